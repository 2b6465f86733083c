/*
 * packet.c: the OpenPGP packet walker, and the key and message checks
 * built on it.
 *
 * The walker is a state machine fed octets in pieces of any size: a
 * header octet, the length octets, then the body, chunk by chunk where
 * the body comes in partial lengths.  It hands its handler one START
 * event per header, BODY events for the body octets as they arrive and
 * one END event when the body is complete, and keeps no more than the
 * five octets of a length.  The checks are handlers: each is a grammar
 * over the sequence of packet types, with a few body octets looked at
 * (versions, the marker's "PGP") and limits on counts and sizes.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "packet.h"

/* The walker's states. */
enum walk_state {
	WS_HEADER,	/* expecting the first octet of a header */
	WS_LENGTH,	/* reading the body length of the header */
	WS_BODY,	/* inside a body chunk of known length */
	WS_PARTIAL,	/* reading the length of the next partial chunk */
	WS_REST,	/* an indeterminate body: all to the end */
	WS_FAILED	/* an error was returned; the walker is spent */
};


struct getk_packet_walker {
	enum walk_state state;
	getk_packet_fn fn;
	void *arg;
	struct getk_packet pkt;		/* the packet being read */
	unsigned long long pos;		/* octets fed so far */
	unsigned char len[5];		/* length octets read so far */
	size_t nlen;			/* how many */
	size_t need;			/* how many the length has (0: not
					   known before the first) */
	unsigned long long chunk;	/* body octets left in this chunk */
	int last_chunk;			/* this chunk ends the body */
	const char *why;		/* a framing error, static */
};

/* The data packets: the only ones that may have partial lengths. */
static int
is_data_packet(unsigned int tag)
{
	return tag == GETK_PKT_COMPRESSED || tag == GETK_PKT_SED ||
	    tag == GETK_PKT_LITERAL || tag == GETK_PKT_SEIPD ||
	    tag == GETK_PKT_AEAD;
}

const char *
getk_packet_tag_name(unsigned int tag)
{
	switch (tag) {
	case 0: return "reserved";
	case GETK_PKT_PKESK: return "public-key encrypted session key";
	case GETK_PKT_SIG: return "signature";
	case GETK_PKT_SKESK: return "symmetric-key encrypted session key";
	case GETK_PKT_OPS: return "one-pass signature";
	case GETK_PKT_SECKEY: return "secret key";
	case GETK_PKT_PUBKEY: return "public key";
	case GETK_PKT_SECSUBKEY: return "secret subkey";
	case GETK_PKT_COMPRESSED: return "compressed data";
	case GETK_PKT_SED: return "symmetrically encrypted data";
	case GETK_PKT_MARKER: return "marker";
	case GETK_PKT_LITERAL: return "literal data";
	case GETK_PKT_TRUST: return "trust";
	case GETK_PKT_UID: return "User ID";
	case GETK_PKT_PUBSUBKEY: return "public subkey";
	case GETK_PKT_UAT: return "User Attribute";
	case GETK_PKT_SEIPD: return "integrity protected encrypted data";
	case GETK_PKT_MDC: return "modification detection code";
	case GETK_PKT_AEAD: return "AEAD encrypted data";
	case GETK_PKT_PADDING: return "padding";
	default: return tag >= 60 ? "private or experimental" : "unknown";
	}
}

/* The one place the walker changes state. */
static void
walk_set_state(struct getk_packet_walker *w, enum walk_state s)
{
	w->state = s;
}

static enum getk_err
walk_fail(struct getk_packet_walker *w, const char *why)
{
	w->why = why;
	walk_set_state(w, WS_FAILED);
	return GETK_ERR_SYNTAX;
}

/* Hands an event to the handler; its error spends the walker. */
static enum getk_err
walk_emit(struct getk_packet_walker *w, enum getk_packet_event ev,
    const unsigned char *p, size_t len)
{
	enum getk_err err;

	err = w->fn(w->arg, ev, &w->pkt, p, len);
	if (err)
		walk_set_state(w, WS_FAILED);
	return err;
}

enum getk_err
getk_packet_walker_new(getk_packet_fn fn, void *arg,
    struct getk_packet_walker **r_walker)
{
	struct getk_packet_walker *w;

	*r_walker = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return GETK_ERR_NOMEM;
	w->fn = fn;
	w->arg = arg;
	walk_set_state(w, WS_HEADER);
	*r_walker = w;
	return GETK_OK;
}

void
getk_packet_walker_free(struct getk_packet_walker *w)
{
	free(w);
}

const char *
getk_packet_walker_why(const struct getk_packet_walker *w)
{
	return w->why;
}

/* The body is complete: END, then the next header. */
static enum getk_err
walk_end_packet(struct getk_packet_walker *w)
{
	enum getk_err err = walk_emit(w, GETK_PACKET_END, NULL, 0);

	if (!err)
		walk_set_state(w, WS_HEADER);
	return err;
}

/* A chunk of LEN octets starts (LAST: the body ends with it). */
static enum getk_err
walk_chunk(struct getk_packet_walker *w, unsigned long long len, int last)
{
	w->chunk = len;
	w->last_chunk = last;
	if (len == 0 && last)
		return walk_end_packet(w);
	walk_set_state(w, WS_BODY);
	return GETK_OK;
}

/* The first octet of a header. */
static enum getk_err
walk_header(struct getk_packet_walker *w, unsigned char c)
{
	memset(&w->pkt, 0, sizeof(w->pkt));
	w->pkt.offset = w->pos;
	w->nlen = 0;
	w->need = 0;
	if (!(c & 0x80))
		return walk_fail(w, "a packet header without bit 7 set "
		    "(not OpenPGP packet data)");
	if (c & 0x40) {
		w->pkt.tag = c & 0x3f;
	} else {
		w->pkt.legacy = 1;
		w->pkt.tag = (c >> 2) & 0x0f;
		/* Length type 0, 1, 2: 1, 2, 4 octets; 3: none. */
		w->need = (c & 3) == 3 ? 0 : (size_t)1 << (c & 3);
		if ((c & 3) == 3)
			w->pkt.indeterminate = 1;
	}
	if (w->pkt.tag == 0)
		return walk_fail(w, "a packet of the reserved type 0");
	if (w->pkt.indeterminate && !is_data_packet(w->pkt.tag))
		return walk_fail(w, "an indeterminate length on a packet that "
		    "is not a data packet");
	if (w->pkt.indeterminate) {
		enum getk_err err = walk_emit(w, GETK_PACKET_START, NULL, 0);

		if (!err)
			walk_set_state(w, WS_REST);
		return err;
	}
	walk_set_state(w, WS_LENGTH);
	return GETK_OK;
}

/*
 * One octet of a new-format length (in the header, or of a partial
 * chunk).  Sets *R_DONE when the length is complete, with *R_LEN and
 * *R_PARTIAL.
 */
static void
new_length(struct getk_packet_walker *w, unsigned char c, int *r_done,
    unsigned long long *r_len, int *r_partial)
{
	unsigned char o;

	*r_done = 0;
	*r_partial = 0;
	w->len[w->nlen++] = c;
	o = w->len[0];
	if (w->nlen == 1) {
		if (o < 192) {
			*r_len = o;
			*r_done = 1;
		} else if (o < 224) {
			w->need = 2;
		} else if (o < 255) {
			*r_len = 1ULL << (o & 0x1f);
			*r_partial = 1;
			*r_done = 1;
		} else {
			w->need = 5;
		}
		return;
	}
	if (w->nlen < w->need)
		return;
	if (w->need == 2)
		*r_len = ((unsigned long long)(o - 192) << 8) + w->len[1] + 192;
	else
		*r_len = ((unsigned long long)w->len[1] << 24) |
		    ((unsigned long long)w->len[2] << 16) |
		    ((unsigned long long)w->len[3] << 8) | w->len[4];
	*r_done = 1;
}

/* One octet of the header's length. */
static enum getk_err
walk_length(struct getk_packet_walker *w, unsigned char c)
{
	unsigned long long len = 0;
	int done, partial = 0;
	size_t i;
	enum getk_err err;

	if (w->pkt.legacy) {
		w->len[w->nlen++] = c;
		if (w->nlen < w->need)
			return GETK_OK;
		for (i = 0; i < w->nlen; i++)
			len = (len << 8) | w->len[i];
	} else {
		new_length(w, c, &done, &len, &partial);
		if (!done)
			return GETK_OK;
		if (partial && !is_data_packet(w->pkt.tag))
			return walk_fail(w, "a partial body length on a packet "
			    "that is not a data packet");
		if (partial && len < 512)
			return walk_fail(w, "a first partial body length under "
			    "512 octets");
	}
	w->pkt.partial = partial;
	err = walk_emit(w, GETK_PACKET_START, NULL, 0);
	if (err)
		return err;
	return walk_chunk(w, len, !partial);
}

/* One octet of the length of a partial chunk after the first. */
static enum getk_err
walk_partial(struct getk_packet_walker *w, unsigned char c)
{
	unsigned long long len = 0;
	int done, partial;

	new_length(w, c, &done, &len, &partial);
	if (!done)
		return GETK_OK;
	return walk_chunk(w, len, !partial);
}

enum getk_err
getk_packet_walk(struct getk_packet_walker *w, const unsigned char *p,
    size_t len)
{
	size_t i = 0, n;
	enum getk_err err = GETK_OK;

	if (w->state == WS_FAILED)
		return GETK_ERR_SYNTAX;
	while (!err && i < len) {
		switch (w->state) {
		case WS_HEADER:
			err = walk_header(w, p[i]);
			i++;
			w->pos++;
			break;
		case WS_LENGTH:
			err = walk_length(w, p[i]);
			i++;
			w->pos++;
			break;
		case WS_PARTIAL:
			if (w->nlen == 0)
				w->need = 0;
			err = walk_partial(w, p[i]);
			i++;
			w->pos++;
			break;
		case WS_BODY:
			n = len - i;
			if (n > w->chunk)
				n = (size_t)w->chunk;
			w->chunk -= n;
			w->pkt.length += n;
			w->pos += n;
			err = walk_emit(w, GETK_PACKET_BODY, p + i, n);
			i += n;
			if (err || w->chunk)
				break;
			if (w->last_chunk) {
				err = walk_end_packet(w);
			} else {
				w->nlen = 0;
				walk_set_state(w, WS_PARTIAL);
			}
			break;
		case WS_REST:
			n = len - i;
			w->pkt.length += n;
			w->pos += n;
			err = walk_emit(w, GETK_PACKET_BODY, p + i, n);
			i += n;
			break;
		case WS_FAILED:
			return GETK_ERR_SYNTAX;
		}
	}
	return err;
}

enum getk_err
getk_packet_walk_end(struct getk_packet_walker *w)
{
	switch (w->state) {
	case WS_HEADER:
		return GETK_OK;
	case WS_REST:
		return walk_end_packet(w);
	case WS_FAILED:
		return GETK_ERR_SYNTAX;
	default:
		return walk_fail(w, "the data ends inside a packet");
	}
}

/* --- transferable public keys ----------------------------------------- */

/* Where the key grammar is. */
enum tpk_state {
	TS_START,	/* expecting a Public-Key packet */
	TS_PRIMARY,	/* after it: its signatures, then a User ID */
	TS_USERID,	/* after a User ID: signatures, User IDs, subkeys */
	TS_SUBKEY	/* after a subkey: signatures, subkeys, next key */
};


struct tpk_check {
	enum tpk_state state;
	size_t packets, userids, sigs;
	size_t key_userids;		/* of the current key */
	unsigned long long primary_at;	/* offset of the current key */
	char *why;
	size_t whysz;
};

static void
tpk_set_state(struct tpk_check *c, enum tpk_state s)
{
	c->state = s;
}

static enum getk_err
tpk_refuse(struct tpk_check *c, enum getk_err err, const char *fmt,
    const struct getk_packet *pkt) __attribute__((format(printf, 3, 0)));

/* Refuses with FMT, which takes the name, type and offset of PKT. */
static enum getk_err
tpk_refuse(struct tpk_check *c, enum getk_err err, const char *fmt,
    const struct getk_packet *pkt)
{
	snprintf(c->why, c->whysz, fmt, getk_packet_tag_name(pkt->tag),
	    pkt->tag, pkt->offset);
	return err;
}

static enum getk_err
tpk_packet(void *arg, enum getk_packet_event ev, const struct getk_packet *pkt,
    const unsigned char *p, size_t len)
{
	struct tpk_check *c = arg;

	(void)p;
	(void)len;
	if (ev != GETK_PACKET_START)
		return GETK_OK;
	if (++c->packets > GETK_KEY_MAX_PACKETS) {
		snprintf(c->why, c->whysz, "more than %d packets",
		    GETK_KEY_MAX_PACKETS);
		return GETK_ERR_TOOBIG;
	}
	switch (pkt->tag) {
	case GETK_PKT_PUBKEY:
		if (c->state == TS_PRIMARY)
			break;
		c->primary_at = pkt->offset;
		c->key_userids = 0;
		tpk_set_state(c, TS_PRIMARY);
		return GETK_OK;
	case GETK_PKT_SIG:
		if (c->state == TS_START)
			break;
		if (++c->sigs > GETK_KEY_MAX_SIGS) {
			snprintf(c->why, c->whysz, "more than %d signature "
			    "packets", GETK_KEY_MAX_SIGS);
			return GETK_ERR_TOOBIG;
		}
		return GETK_OK;
	case GETK_PKT_UID:
	case GETK_PKT_UAT:
		if (c->state != TS_PRIMARY && c->state != TS_USERID)
			break;
		if (++c->userids > GETK_KEY_MAX_USERIDS) {
			snprintf(c->why, c->whysz, "more than %d User ID and "
			    "User Attribute packets", GETK_KEY_MAX_USERIDS);
			return GETK_ERR_TOOBIG;
		}
		if (++c->key_userids > GETK_KEY_MAX_KEY_USERIDS) {
			snprintf(c->why, c->whysz, "more than %d User ID and "
			    "User Attribute packets in the key at octet %llu",
			    GETK_KEY_MAX_KEY_USERIDS, c->primary_at);
			return GETK_ERR_TOOBIG;
		}
		tpk_set_state(c, TS_USERID);
		return GETK_OK;
	case GETK_PKT_PUBSUBKEY:
		if (c->state != TS_USERID && c->state != TS_SUBKEY)
			break;
		tpk_set_state(c, TS_SUBKEY);
		return GETK_OK;
	default:
		return tpk_refuse(c, GETK_ERR_SYNTAX, "a %s packet (type %u) at "
		    "octet %llu, which no public key holds", pkt);
	}
	/* A packet a key may hold, in a place where it may not. */
	switch (c->state) {
	case TS_START:
		return tpk_refuse(c, GETK_ERR_SYNTAX, "a %s packet (type %u) "
		    "at octet %llu before any public key packet", pkt);
	case TS_PRIMARY:
		return tpk_refuse(c, GETK_ERR_SYNTAX, "a %s packet (type %u) "
		    "at octet %llu before any User ID of its key", pkt);
	default:
		return tpk_refuse(c, GETK_ERR_SYNTAX, "a %s packet (type %u) "
		    "at octet %llu after the subkeys of its key", pkt);
	}
}

enum getk_err
getk_packet_check_key(const unsigned char *p, size_t len, char *why,
    size_t whysz)
{
	struct getk_packet_walker *w = NULL;
	struct tpk_check c;
	enum getk_err err;

	why[0] = '\0';
	if (len > GETK_KEY_MAX_OCTETS) {
		snprintf(why, whysz, "larger than %d octets",
		    GETK_KEY_MAX_OCTETS);
		return GETK_ERR_TOOBIG;
	}
	memset(&c, 0, sizeof(c));
	c.why = why;
	c.whysz = whysz;
	tpk_set_state(&c, TS_START);
	err = getk_packet_walker_new(tpk_packet, &c, &w);
	if (!err)
		err = getk_packet_walk(w, p, len);
	if (!err)
		err = getk_packet_walk_end(w);
	if (err == GETK_ERR_SYNTAX && getk_packet_walker_why(w))
		snprintf(why, whysz, "%s at octet %llu",
		    getk_packet_walker_why(w), w->pkt.offset);
	if (err)
		goto leave;
	if (c.state == TS_START) {
		snprintf(why, whysz, "no OpenPGP packets");
		err = GETK_ERR_SYNTAX;
	} else if (c.state == TS_PRIMARY) {
		snprintf(why, whysz, "the public key packet at octet %llu has "
		    "no User ID", c.primary_at);
		err = GETK_ERR_SYNTAX;
	}
leave:
	getk_packet_walker_free(w);
	return err;
}

/* --- encrypted messages ------------------------------------------------ */

/* Where the message grammar is. */
enum msg_state {
	MS_ESK,		/* session key packets, none yet */
	MS_ESK_MORE,	/* session key packets, or the encrypted data */
	MS_DATA,	/* inside the encrypted data packet */
	MS_DONE,	/* the data ended: nothing may follow */
	MS_FAILED	/* refused */
};


struct getk_packet_msg {
	enum msg_state state;
	struct getk_packet_walker *w;
	size_t packets;			/* before the data */
	int want_version;		/* the first body octet is checked */
	int have_version;
	unsigned char marker[3];	/* a marker packet's body */
	char why[160];
};

static void
msg_set_state(struct getk_packet_msg *m, enum msg_state s)
{
	m->state = s;
}

static enum getk_err
msg_refuse(struct getk_packet_msg *m, const struct getk_packet *pkt,
    const char *what)
{
	snprintf(m->why, sizeof(m->why), "a %s packet (type %u) at octet %llu "
	    "%s", getk_packet_tag_name(pkt->tag), pkt->tag, pkt->offset, what);
	msg_set_state(m, MS_FAILED);
	return GETK_ERR_SYNTAX;
}

/* Whether VERSION is one the message grammar knows for TAG. */
static int
version_ok(unsigned int tag, unsigned char version)
{
	switch (tag) {
	case GETK_PKT_PKESK: return version == 3 || version == 6;
	case GETK_PKT_SKESK: return version >= 4 && version <= 6;
	case GETK_PKT_SEIPD: return version == 1 || version == 2;
	case GETK_PKT_AEAD: return version == 1;
	default: return 1;
	}
}

static enum getk_err
msg_start(struct getk_packet_msg *m, const struct getk_packet *pkt)
{
	if (m->state == MS_DONE)
		return msg_refuse(m, pkt, "after the encrypted data");
	m->have_version = 0;
	m->want_version = pkt->tag != GETK_PKT_SED &&
	    pkt->tag != GETK_PKT_MARKER;
	switch (pkt->tag) {
	case GETK_PKT_PKESK:
	case GETK_PKT_SKESK:
		msg_set_state(m, MS_ESK_MORE);
		/* FALLTHROUGH */
	case GETK_PKT_MARKER:
		if (++m->packets > GETK_MSG_MAX_ESK)
			return msg_refuse(m, pkt, "after too many session key "
			    "packets");
		return GETK_OK;
	case GETK_PKT_SED:
	case GETK_PKT_SEIPD:
	case GETK_PKT_AEAD:
		if (m->state != MS_ESK_MORE)
			return msg_refuse(m, pkt, "without a session key "
			    "packet before it");
		msg_set_state(m, MS_DATA);
		return GETK_OK;
	default:
		return msg_refuse(m, pkt, "where an encrypted message has "
		    "none");
	}
}

static enum getk_err
msg_packet(void *arg, enum getk_packet_event ev, const struct getk_packet *pkt,
    const unsigned char *p, size_t len)
{
	struct getk_packet_msg *m = arg;
	unsigned long long before = pkt->length - len;
	size_t i;

	switch (ev) {
	case GETK_PACKET_START:
		return msg_start(m, pkt);
	case GETK_PACKET_BODY:
		if (len && m->want_version && !m->have_version) {
			m->have_version = 1;
			if (!version_ok(pkt->tag, p[0]))
				return msg_refuse(m, pkt, "of a version this "
				    "check does not know");
		}
		if (m->state == MS_DATA)
			return GETK_OK;
		if (pkt->length > GETK_MSG_MAX_ESK_OCTETS)
			return msg_refuse(m, pkt, "that is too long");
		for (i = 0; pkt->tag == GETK_PKT_MARKER && i < len &&
		    before + i < 3; i++)
			m->marker[before + i] = p[i];
		return GETK_OK;
	case GETK_PACKET_END:
		if (m->want_version && !m->have_version)
			return msg_refuse(m, pkt, "that is empty");
		if (pkt->tag == GETK_PKT_MARKER && (pkt->length != 3 ||
		    memcmp(m->marker, "PGP", 3) != 0))
			return msg_refuse(m, pkt, "that does not hold \"PGP\"");
		if (m->state == MS_DATA)
			msg_set_state(m, MS_DONE);
		return GETK_OK;
	}
	return GETK_OK;
}

enum getk_err
getk_packet_msg_new(struct getk_packet_msg **r_msg)
{
	struct getk_packet_msg *m;
	enum getk_err err;

	*r_msg = NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return GETK_ERR_NOMEM;
	err = getk_packet_walker_new(msg_packet, m, &m->w);
	if (err) {
		free(m);
		return err;
	}
	msg_set_state(m, MS_ESK);
	*r_msg = m;
	return GETK_OK;
}

void
getk_packet_msg_free(struct getk_packet_msg *m)
{
	if (!m)
		return;
	getk_packet_walker_free(m->w);
	free(m);
}

/* Turns a framing error of the walker into the check's reason. */
static enum getk_err
msg_walked(struct getk_packet_msg *m, enum getk_err err)
{
	if (err == GETK_ERR_SYNTAX && m->state != MS_FAILED) {
		snprintf(m->why, sizeof(m->why), "%s at octet %llu",
		    getk_packet_walker_why(m->w) ? getk_packet_walker_why(m->w) :
		    "malformed packets", m->w->pkt.offset);
		msg_set_state(m, MS_FAILED);
	}
	return err;
}

enum getk_err
getk_packet_msg_feed(struct getk_packet_msg *m, const unsigned char *p,
    size_t len)
{
	if (m->state == MS_FAILED)
		return GETK_ERR_SYNTAX;
	return msg_walked(m, getk_packet_walk(m->w, p, len));
}

enum getk_err
getk_packet_msg_end(struct getk_packet_msg *m)
{
	enum getk_err err;

	if (m->state == MS_FAILED)
		return GETK_ERR_SYNTAX;
	err = msg_walked(m, getk_packet_walk_end(m->w));
	if (err)
		return err;
	if (m->state != MS_DONE) {
		snprintf(m->why, sizeof(m->why), "%s", m->state == MS_DATA ?
		    "the encrypted data is cut short" :
		    "no encrypted data packet");
		msg_set_state(m, MS_FAILED);
		return GETK_ERR_SYNTAX;
	}
	return GETK_OK;
}

const char *
getk_packet_msg_why(const struct getk_packet_msg *m)
{
	return m->why[0] ? m->why : NULL;
}

enum getk_err
getk_packet_check_message(const unsigned char *p, size_t len, char *why,
    size_t whysz)
{
	struct getk_packet_msg *m = NULL;
	enum getk_err err;

	why[0] = '\0';
	err = getk_packet_msg_new(&m);
	if (!err)
		err = getk_packet_msg_feed(m, p, len);
	if (!err)
		err = getk_packet_msg_end(m);
	if (err == GETK_ERR_SYNTAX)
		snprintf(why, whysz, "%s", getk_packet_msg_why(m) ?
		    getk_packet_msg_why(m) : "not an encrypted message");
	getk_packet_msg_free(m);
	return err;
}
