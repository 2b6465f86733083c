/*
 * fuzz-packet.c: libFuzzer target for the OpenPGP packet walker and the
 * two checks on it (src/packet.c).
 *
 * The input is walked three times: whole, one octet at a time, and in
 * pieces whose sizes come from the input itself.  The three walks must
 * give the same packets (BODY events aside, which follow the pieces) and
 * the same result, and the events must keep
 * their rules: a START with length 0, BODY events that add up to the
 * length, one END per START, offsets that grow, type IDs of 1 to 63 (15
 * for old headers), partial and indeterminate lengths only on data
 * packets, an indeterminate packet only last, and on success every input
 * octet inside some packet.
 *
 * From the packets the walk saw, a reference of each grammar is
 * computed here, apart from packet.c:
 *   - getk_packet_check_key() may accept only a sequence of keys (Public
 *     Key; Signatures; User IDs or Attributes each with Signatures, at
 *     least one; Subkeys each with Signatures), within every limit, with
 *     no partial or indeterminate length; and must accept every such
 *     sequence (its refusals are then TOOBIG only for a limit);
 *   - getk_packet_check_message() may accept only session keys and
 *     markers, at least one session key, then one encrypted data packet
 *     last; and it gives the same verdict fed octet by octet.
 *
 * A broken invariant aborts, which libFuzzer reports as a crash.
 */
#include <config.h>

#include "fuzz.h"
#include "packet.h"

/* Most packets remembered for the reference grammars. */
#define MAX_SEEN 8192

struct seen {
	unsigned tag;
	int partial, indeterminate;
	unsigned long long offset, length;
	unsigned char first;		/* the first body octet */
	int has_first;
};

/* What one walk saw. */
struct walk {
	struct seen pkts[MAX_SEEN];
	size_t n;
	int overflow;			/* more packets than MAX_SEEN */
	unsigned long long digest;	/* of every event */
	unsigned long long body;	/* octets of the open packet */
	unsigned long long last_offset;
	int open;
};

static void
mix(struct walk *w, unsigned long long v)
{
	w->digest = (w->digest ^ v) * 1099511628211ULL;
}

static int
is_data(unsigned tag)
{
	return tag == 8 || tag == 9 || tag == 11 || tag == 18 || tag == 20;
}

static enum getk_err
on_event(void *arg, enum getk_packet_event ev, const struct getk_packet *pkt,
    const unsigned char *p, size_t len)
{
	struct walk *w = arg;
	struct seen *s = w->n && w->n <= MAX_SEEN ? &w->pkts[w->n - 1] : NULL;

	/* BODY events depend on how the input was cut; the rest must not. */
	if (ev != GETK_PACKET_BODY) {
		mix(w, (unsigned long long)ev);
		mix(w, pkt->tag);
		mix(w, pkt->offset);
		mix(w, pkt->length);
		mix(w, (unsigned long long)(pkt->legacy | pkt->partial << 1 |
		    pkt->indeterminate << 2));
	}
	switch (ev) {
	case GETK_PACKET_START:
		ASSERT(!w->open);
		ASSERT(pkt->length == 0);
		ASSERT(pkt->tag >= 1 && pkt->tag <= 63);
		ASSERT(!pkt->legacy || pkt->tag <= 15);
		ASSERT(!pkt->partial || (!pkt->legacy && is_data(pkt->tag)));
		ASSERT(!pkt->indeterminate || (pkt->legacy &&
		    is_data(pkt->tag)));
		ASSERT(w->n == 0 || pkt->offset > w->last_offset);
		w->last_offset = pkt->offset;
		w->open = 1;
		w->body = 0;
		if (w->n < MAX_SEEN) {
			s = &w->pkts[w->n];
			memset(s, 0, sizeof(*s));
			s->tag = pkt->tag;
			s->partial = pkt->partial;
			s->indeterminate = pkt->indeterminate;
			s->offset = pkt->offset;
		} else {
			w->overflow = 1;
		}
		w->n++;
		break;
	case GETK_PACKET_BODY:
		ASSERT(w->open && len > 0);
		w->body += len;
		ASSERT(pkt->length == w->body);
		if (s && !s->has_first) {
			s->first = p[0];
			s->has_first = 1;
		}
		break;
	case GETK_PACKET_END:
		ASSERT(w->open && pkt->length == w->body);
		w->open = 0;
		if (s)
			s->length = pkt->length;
		break;
	}
	return GETK_OK;
}

/* Walks DATA in pieces: STEP octets (0: whole), or sizes from the input. */
static enum getk_err
walk(const uint8_t *data, size_t size, size_t step, struct walk *w)
{
	struct getk_packet_walker *pw = NULL;
	size_t off = 0, n, k = 0;
	enum getk_err err;

	memset(w, 0, sizeof(*w));
	w->digest = 14695981039346656037ULL;
	if (getk_packet_walker_new(on_event, w, &pw))
		return GETK_ERR_NOMEM;
	err = GETK_OK;
	while (!err && off < size) {
		n = step == (size_t)-1 ? 1 + data[k++ % size] % 97 : step;
		if (n == 0 || n > size - off)
			n = size - off;
		err = getk_packet_walk(pw, data + off, n);
		off += n;
	}
	if (!err)
		err = getk_packet_walk_end(pw);
	if (err) {
		ASSERT(err == GETK_ERR_SYNTAX);
		ASSERT(getk_packet_walker_why(pw) != NULL);
		ASSERT(getk_packet_walk(pw, data, size ? 1 : 0) ==
		    GETK_ERR_SYNTAX);
	}
	getk_packet_walker_free(pw);
	return err;
}

/* The reference key grammar: 1 accept, 0 refuse, -1 over a limit. */
static int
ref_key(const struct walk *w, size_t size)
{
	size_t i, uids = 0, key_uids = 0, sigs = 0;
	int state = 0;	/* 0 start, 1 primary, 2 user ID, 3 subkey */
	int over = 0;

	if (size > GETK_KEY_MAX_OCTETS || w->n > GETK_KEY_MAX_PACKETS)
		over = 1;
	for (i = 0; i < w->n && i < MAX_SEEN; i++) {
		const struct seen *s = &w->pkts[i];

		switch (s->tag) {
		case 6:
			if (state == 1)
				return over ? -1 : 0;
			state = 1;
			key_uids = 0;
			break;
		case 2:
			if (state == 0)
				return over ? -1 : 0;
			if (++sigs > GETK_KEY_MAX_SIGS)
				over = 1;
			break;
		case 13:
		case 17:
			if (state != 1 && state != 2)
				return over ? -1 : 0;
			state = 2;
			if (++uids > GETK_KEY_MAX_USERIDS ||
			    ++key_uids > GETK_KEY_MAX_KEY_USERIDS)
				over = 1;
			break;
		case 14:
			if (state != 2 && state != 3)
				return over ? -1 : 0;
			state = 3;
			break;
		default:
			return over ? -1 : 0;
		}
	}
	if (over)
		return -1;
	return state == 2 || state == 3;
}

/* The reference message grammar: 1 accept, 0 refuse. */
static int
ref_message(const struct walk *w)
{
	size_t i, esk = 0;

	if (w->n == 0 || w->overflow)
		return 0;
	for (i = 0; i + 1 < w->n; i++) {
		const struct seen *s = &w->pkts[i];

		if (s->tag != 1 && s->tag != 3 && s->tag != 10)
			return 0;
		if (s->tag != 10)
			esk++;
	}
	return esk > 0 && is_data(w->pkts[w->n - 1].tag) &&
	    w->pkts[w->n - 1].tag != 8 && w->pkts[w->n - 1].tag != 11;
}

static void
check_message(const uint8_t *data, size_t size, const struct walk *w,
    enum getk_err walked)
{
	struct getk_packet_msg *m = NULL;
	char why[256];
	size_t i;
	enum getk_err err, err2 = GETK_OK;

	err = getk_packet_check_message(data, size, why, sizeof(why));
	if (err == GETK_ERR_NOMEM)
		return;
	ASSERT(err == GETK_OK || err == GETK_ERR_SYNTAX);
	ASSERT(err == GETK_OK ? why[0] == '\0' : why[0] != '\0');
	if (err == GETK_OK) {
		ASSERT(walked == GETK_OK);
		ASSERT(ref_message(w));
		for (i = 0; i < w->n; i++) {
			const struct seen *s = &w->pkts[i];

			if (s->tag == 10)
				ASSERT(s->length == 3);
			if (s->tag != 9 && s->tag != 10)
				ASSERT(s->has_first);
			if (i + 1 < w->n)
				ASSERT(s->length <= GETK_MSG_MAX_ESK_OCTETS);
		}
		ASSERT(w->n <= GETK_MSG_MAX_ESK + 1);
	}

	/* Octet by octet, the same verdict and reason. */
	if (getk_packet_msg_new(&m))
		return;
	for (i = 0; !err2 && i < size; i++)
		err2 = getk_packet_msg_feed(m, data + i, 1);
	if (!err2)
		err2 = getk_packet_msg_end(m);
	ASSERT(err2 == err);
	ASSERT(err ? getk_packet_msg_why(m) &&
	    strcmp(getk_packet_msg_why(m), why) == 0 :
	    getk_packet_msg_why(m) == NULL);
	getk_packet_msg_free(m);
}

static void
check_key(const uint8_t *data, size_t size, const struct walk *w,
    enum getk_err walked)
{
	char why[256];
	size_t i;
	int ref;
	enum getk_err err;

	err = getk_packet_check_key(data, size, why, sizeof(why));
	if (err == GETK_ERR_NOMEM)
		return;
	ASSERT(err == GETK_OK || err == GETK_ERR_SYNTAX ||
	    err == GETK_ERR_TOOBIG);
	ASSERT(err == GETK_OK ? why[0] == '\0' : why[0] != '\0');
	if (size > GETK_KEY_MAX_OCTETS) {
		ASSERT(err == GETK_ERR_TOOBIG);
		return;
	}
	if (walked != GETK_OK || w->overflow) {
		ASSERT(err != GETK_OK);
		return;
	}
	for (i = 0; err == GETK_OK && i < w->n; i++)
		ASSERT(!w->pkts[i].partial && !w->pkts[i].indeterminate);
	/* Partial and indeterminate lengths are framing errors for keys;
	 * only data packets may have them, which no key holds. */
	ref = ref_key(w, size);
	if (ref == 1)
		ASSERT(err == GETK_OK);
	else if (ref == 0)
		ASSERT(err == GETK_ERR_SYNTAX);
	else
		ASSERT(err != GETK_OK);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct walk w1, w2, w3;
	enum getk_err e1, e2, e3;

	e1 = walk(data, size, 0, &w1);
	e2 = walk(data, size, 1, &w2);
	e3 = walk(data, size, (size_t)-1, &w3);
	if (e1 == GETK_ERR_NOMEM || e2 == GETK_ERR_NOMEM ||
	    e3 == GETK_ERR_NOMEM)
		return 0;
	ASSERT(e1 == e2 && e2 == e3);
	ASSERT(w1.digest == w2.digest && w2.digest == w3.digest);
	ASSERT(w1.n == w2.n && w2.n == w3.n);
	if (e1 == GETK_OK) {
		ASSERT(!w1.open);
		/* Nothing after an indeterminate packet. */
		if (w1.n && w1.n <= MAX_SEEN) {
			size_t i;

			for (i = 0; i + 1 < w1.n; i++)
				ASSERT(!w1.pkts[i].indeterminate);
		}
		ASSERT(size == 0 || w1.n > 0);
	}
	check_key(data, size, &w1, e1);
	check_message(data, size, &w1, e1);
	return 0;
}
