/*
 * key.c: checking an offered OpenPGP key with gpgme.
 *
 * A batch of offers is verified together: each offer's packets are
 * checked (packet.c) and stripped of the User IDs of other mailboxes, as
 * gpg's import filter keep-uid=mbox would strip them; the offers go into
 * throw-away GnuPG homes (gpg.conf says no-autostart, so no gpg-agent is
 * left behind), as few as can be without two offers of one primary key
 * in the same home, where gpg would merge them; each home costs one
 * import, one listing, to which the checks of GETK.md 6.5 are applied
 * offer by offer, and one export of its keys in binary.  gpg
 * checks signatures in one thread, so a large batch is spread over one
 * home per CPU (up to GETK_KEY_MAX_HOMES), judged at once, and first
 * without gpg's repair-keys (FAST_CONF).  Every
 * gpg runs through gpg.c, under the caller's deadline, and no byte
 * reaches gpg before packet.c has found it to be a public key.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <gcrypt.h>
#include <gpgme.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr.h"
#include "buf.h"
#include "file.h"
#include "gpg.h"
#include "key.h"
#include "packet.h"

/* Offers a home gets before a batch is spread over one more. */
#define GETK_KEY_SPREAD 8

enum getk_err
getk_key_init(void)
{
	if (!gcry_check_version(GCRYPT_VERSION))
		return GETK_ERR_CRYPTO;
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	return GETK_OK;
}

enum getk_err
getk_key_lib_init(void)
{
	return gpgme_check_version(NULL) ? GETK_OK : GETK_ERR_CRYPTO;
}

enum getk_err
getk_key_engine_init(void)
{
	if (getk_key_lib_init() != GETK_OK)
		return GETK_ERR_CRYPTO;
	if (gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP))
		return GETK_ERR_CRYPTO;
	return GETK_OK;
}

/*
 * gpg.conf's line for a home where offers are judged fast: gpg's
 * repair-keys checks every signature a second time, to move one that
 * sits under the wrong subkey or User ID to its place, and doubles the
 * cost of an import.  Without it gpg drops such a signature; a batch
 * whose gpg kept fewer signatures of an offer than it was given judges
 * that offer again in a home with repair-keys (getk_key_verify_batch),
 * so that every verdict is the one repair-keys gives.
 */
#define FAST_CONF "import-options no-repair-keys\n"

/* Makes a private temporary GnuPG home getk-NAME-XXXXXX, with EXTRA
 * (NULL: none) added to its gpg.conf; *R_HOME is new. */
static enum getk_err
make_home(const char *tmpdir, const char *name, const char *extra,
    char **r_home)
{
	struct getk_buf b;
	char *home;
	int fd;
	static const char conf[] = "no-autostart\nno-auto-check-trustdb\n"
	    "trust-model always\n";

	*r_home = NULL;
	if (!tmpdir)
		tmpdir = getenv("TMPDIR");
	if (!tmpdir || !*tmpdir)
		tmpdir = "/tmp";
	getk_buf_init(&b, 4096);
	if (getk_buf_printf(&b, "%s/getk-%s-XXXXXX", tmpdir, name))
		return GETK_ERR_NOMEM;
	home = getk_buf_take(&b, NULL);
	if (!home)
		return GETK_ERR_NOMEM;
	if (!mkdtemp(home)) {
		free(home);
		return GETK_ERR_SYSTEM;
	}
	getk_buf_init(&b, 4096);
	if (getk_buf_printf(&b, "%s/gpg.conf", home)) {
		rmdir(home);
		free(home);
		return GETK_ERR_NOMEM;
	}
	fd = open(b.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	getk_buf_free(&b);
	if (!extra)
		extra = "";
	if (fd < 0 || write(fd, conf, sizeof(conf) - 1) !=
	    (ssize_t)(sizeof(conf) - 1) || write(fd, extra, strlen(extra)) !=
	    (ssize_t)strlen(extra)) {
		if (fd >= 0)
			close(fd);
		getk_key_rmhome(home);
		return GETK_ERR_SYSTEM;
	}
	close(fd);
	*r_home = home;
	return GETK_OK;
}

int
getk_key_uid_matches(const char *mailbox, gpgme_user_id_t uid)
{
	char spec[GETK_MAX_MAILBOX + 1];
	const char *p;
	size_t len;

	/* gpgme's uid->address is lower-cased: match the spelling. */
	p = getk_uid_addr_spec(uid->uid, uid->address, &len);
	if (!p || len >= sizeof(spec))
		return 0;
	memcpy(spec, p, len);
	spec[len] = '\0';
	return getk_mailbox_match(mailbox, spec);
}

static int
uid_usable(const char *mailbox, gpgme_user_id_t uid)
{
	return !uid->revoked && !uid->invalid &&
	    getk_key_uid_matches(mailbox, uid);
}

static int
subkey_encrypts(gpgme_subkey_t sk)
{
	return sk->can_encrypt && !sk->expired && !sk->revoked &&
	    !sk->invalid && !sk->disabled;
}

/* The newest self-signature on the usable UIDs of KEY, or 0. */
static time_t
newest_selfsig(const char *mailbox, gpgme_key_t key)
{
	gpgme_user_id_t uid;
	gpgme_key_sig_t sig;
	time_t best = 0;

	for (uid = key->uids; uid; uid = uid->next) {
		if (!uid_usable(mailbox, uid))
			continue;
		for (sig = uid->signatures; sig; sig = sig->next) {
			if (sig->revoked || sig->expired || sig->invalid ||
			    !sig->keyid || strcmp(sig->keyid,
			    key->subkeys->keyid) != 0)
				continue;
			if (sig->timestamp > 0 && sig->timestamp > best)
				best = sig->timestamp;
		}
	}
	return best ? best : key->subkeys->timestamp;
}

const char *
getk_key_problem(const char *mailbox, gpgme_key_t key)
{
	gpgme_user_id_t uid;
	gpgme_subkey_t sk;
	int has_uid = 0, has_enc = 0;

	if (!key->subkeys || !key->subkeys->fpr)
		return "key has no primary key";
	if (key->revoked)
		return "key is revoked";
	if (key->expired)
		return "key has expired";
	if (key->invalid || key->disabled)
		return "key is invalid";
	for (uid = key->uids; mailbox && uid; uid = uid->next)
		if (uid_usable(mailbox, uid))
			has_uid = 1;
	if (mailbox && !has_uid)
		return "key has no valid User ID for the address";
	for (sk = key->subkeys; sk; sk = sk->next)
		if (subkey_encrypts(sk))
			has_enc = 1;
	if (!has_enc)
		return "key has no usable encryption subkey";
	return NULL;
}

/* Fingerprints are written in upper-case hex. */
static void
upper_hex(char *s)
{
	for (; *s; s++)
		if (*s >= 'a' && *s <= 'f')
			*s = (char)(*s - 'a' + 'A');
}

/*
 * Weighs the listed key K of an offer for MAILBOX: the best usable one
 * goes to *R_BEST (with the time of its newest self-signature in
 * *R_TIME), the first problem to *R_PROBLEM, a revoked key's fingerprint
 * to R_REVOKED.  Takes K.
 */
static void
weigh_key(gpgme_key_t k, const char *mailbox, gpgme_key_t *r_best,
    time_t *r_time, const char **r_problem, char r_revoked[41])
{
	const char *p = getk_key_problem(mailbox, k);
	time_t t;

	if (p) {
		if (!*r_problem)
			*r_problem = p;
		if (k->revoked && !r_revoked[0] && k->subkeys &&
		    k->subkeys->fpr) {
			snprintf(r_revoked, 41, "%s", k->subkeys->fpr);
			upper_hex(r_revoked);
		}
		gpgme_key_unref(k);
		return;
	}
	t = newest_selfsig(mailbox, k);
	if (!*r_best || t > *r_time) {
		if (*r_best)
			gpgme_key_unref(*r_best);
		*r_best = k;
		*r_time = t;
	} else {
		gpgme_key_unref(k);
	}
}

int
getk_key_v4_fpr(const unsigned char *body, size_t len, char fpr[41])
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char head[3];
	const unsigned char *md;
	gcry_md_hd_t h;
	size_t i;

	if (len < 1 || body[0] != 4 || len > 0xffff ||
	    gcry_md_open(&h, GCRY_MD_SHA1, 0))
		return 1;
	head[0] = 0x99;
	head[1] = (unsigned char)(len >> 8);
	head[2] = (unsigned char)len;
	gcry_md_write(h, head, sizeof(head));
	gcry_md_write(h, body, len);
	md = gcry_md_read(h, GCRY_MD_SHA1);
	for (i = 0; i < 20; i++) {
		fpr[2 * i] = hex[md[i] >> 4];
		fpr[2 * i + 1] = hex[md[i] & 15];
	}
	fpr[40] = '\0';
	gcry_md_close(h);
	return 0;
}

/* gpg's export of several keys, as getk_key_split walks it. */
struct split {
	const unsigned char *data;	/* the export */
	const char *const *fprs;	/* the keys asked for */
	size_t n;
	const time_t *created, *expires;
	struct getk_key **keys;		/* by the index of FPRS */
	size_t *sigs;			/* signature packets, by the index
					   of FPRS; NULL: not counted */
	size_t cur;			/* the index of the current key, or
					   N */
	int open;			/* a key has started */
	unsigned long long start;	/* where it starts */
	char fpr[41];			/* its fingerprint, once known */
	unsigned char body[0xffff];	/* its public key packet's body */
	size_t blen;
	int toolong;
	char *why;
	size_t whysz;
};

/* The key that started at S->start ends at END: kept when asked for. */
static enum getk_err
split_end_key(struct split *s, unsigned long long end)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (!s->keys[i] && strcasecmp(s->fprs[i], s->fpr) == 0)
			return getk_key_from_data(s->data + s->start,
			    (size_t)(end - s->start), s->fpr, s->created ?
			    s->created[i] : 0, s->expires ? s->expires[i] : 0,
			    &s->keys[i]);
	return GETK_OK;
}

/* The packet walker's handler (packet.h) for getk_key_split. */
static enum getk_err
split_packet(void *arg, enum getk_packet_event ev,
    const struct getk_packet *pkt, const unsigned char *p, size_t len)
{
	struct split *s = arg;
	enum getk_err err = GETK_OK;

	if (pkt->tag != GETK_PKT_PUBKEY) {
		if (ev == GETK_PACKET_START && !s->open) {
			snprintf(s->why, s->whysz, "gpg exported a %s at octet "
			    "%llu before any key", getk_packet_tag_name(pkt->tag),
			    pkt->offset);
			return GETK_ERR_CRYPTO;
		}
		if (ev == GETK_PACKET_START && pkt->tag == GETK_PKT_SIG &&
		    s->sigs && s->cur < s->n)
			s->sigs[s->cur]++;
		return GETK_OK;
	}
	switch (ev) {
	case GETK_PACKET_START:
		if (s->open)
			err = split_end_key(s, pkt->offset);
		s->open = 1;
		s->start = pkt->offset;
		s->blen = 0;
		s->toolong = 0;
		break;
	case GETK_PACKET_BODY:
		if (s->toolong || len > sizeof(s->body) - s->blen) {
			s->toolong = 1;
			break;
		}
		memcpy(s->body + s->blen, p, len);
		s->blen += len;
		break;
	case GETK_PACKET_END:
		if (s->toolong || getk_key_v4_fpr(s->body, s->blen, s->fpr)) {
			snprintf(s->why, s->whysz, "gpg exported a key other "
			    "than of version 4 at octet %llu", s->start);
			err = GETK_ERR_CRYPTO;
			break;
		}
		for (s->cur = 0; s->cur < s->n; s->cur++)
			if (strcasecmp(s->fprs[s->cur], s->fpr) == 0)
				break;
		break;
	}
	return err;
}

/* getk_key_split, and the signature packets of each key into SIGS
 * (NULL: not counted), by the index of FPRS. */
static enum getk_err
split_keys(const unsigned char *p, size_t len, const char *const *fprs,
    size_t n, const time_t *created, const time_t *expires,
    struct getk_key **keys, size_t *sigs, char *why, size_t whysz)
{
	struct getk_packet_walker *w = NULL;
	struct split *s;
	enum getk_err err;

	s = calloc(1, sizeof(*s));
	if (!s)
		return GETK_ERR_NOMEM;
	s->data = p;
	s->fprs = fprs;
	s->n = n;
	s->created = created;
	s->expires = expires;
	s->keys = keys;
	s->sigs = sigs;
	s->cur = n;
	s->why = why;
	s->whysz = whysz;
	why[0] = '\0';
	err = getk_packet_walker_new(split_packet, s, &w);
	if (!err)
		err = getk_packet_walk(w, p, len);
	if (!err)
		err = getk_packet_walk_end(w);
	if (!err && s->open)
		err = split_end_key(s, len);
	if (err == GETK_ERR_SYNTAX) {
		snprintf(why, whysz, "gpg exported what is no key: %s",
		    getk_packet_walker_why(w) ? getk_packet_walker_why(w) :
		    "malformed");
		err = GETK_ERR_CRYPTO;
	}
	getk_packet_walker_free(w);
	free(s);
	return err;
}

enum getk_err
getk_key_split(const unsigned char *p, size_t len, const char *const *fprs,
    size_t n, const time_t *created, const time_t *expires,
    struct getk_key **keys, char *why, size_t whysz)
{
	return split_keys(p, len, fprs, n, created, expires, keys, NULL, why,
	    whysz);
}

/* --- batches ---------------------------------------------------------- */

/*
 * One offer of a batch, made ready for a shared import: its packets
 * without the User IDs that gpg's import filter "keep-uid=mbox = MAILBOX"
 * would drop (with their signatures), and what decides whom it may share
 * a GnuPG home with.
 */
struct prep {
	struct getk_buf data;		/* the filtered offer */
	char (*fprs)[41];		/* its primary keys' fingerprints */
	size_t nfprs;
	int alone;			/* a key without a version 4
					   fingerprint: the offer gets a home
					   of its own */
	int lost_uids;			/* a key whose every User ID was
					   dropped */
	size_t packets, sigs, uids;	/* kept, for packet.c's limits */
	size_t group;
	int careful;			/* judged in a home with gpg's
					   repair-keys */
	int recheck;			/* gpg dropped signatures in a fast
					   home: to be judged carefully */
	gpgme_key_t best;		/* the winner, while listing */
	size_t win;			/* its index in the group's export
					   list */
	time_t best_time;
	const char *problem;
};

/* The packet walker's state while an offer is filtered. */
struct filter {
	const char *mailbox;
	const unsigned char *in;
	struct prep *p;
	struct getk_buf key;		/* the current key's kept packets */
	size_t packets, sigs, uids;	/* ... and their counts */
	struct getk_buf body;		/* of the packet, when wanted */
	unsigned int tag;		/* of the packet */
	int keep;			/* the packet is kept */
	int dropping;			/* in a dropped User ID's block */
	unsigned long long start;	/* where the packet starts */
	int open;			/* a packet has started */
	size_t key_uids, key_kept;	/* of the current key */
};

/* Copies the packet that started at F->start and ends at END, if kept. */
static enum getk_err
filter_flush(struct filter *f, unsigned long long end)
{
	if (!f->open || !f->keep)
		return GETK_OK;
	f->packets++;
	f->sigs += f->tag == GETK_PKT_SIG;
	f->uids += f->tag == GETK_PKT_UID;
	return getk_buf_add(&f->key, f->in + f->start,
	    (size_t)(end - f->start)) ? GETK_ERR_NOMEM : GETK_OK;
}

/*
 * The end of a key: kept when a User ID is left, else dropped whole, as
 * gpg skips a key without User IDs ("no valid user IDs").
 */
static enum getk_err
filter_end_key(struct filter *f)
{
	struct prep *p = f->p;
	enum getk_err err = GETK_OK;

	if (f->key_kept) {
		err = getk_buf_add(&p->data, f->key.data, f->key.len);
		p->packets += f->packets;
		p->sigs += f->sigs;
		p->uids += f->uids;
	} else if (f->key_uids) {
		p->lost_uids = 1;
	}
	f->key.len = 0;
	f->packets = f->sigs = f->uids = 0;
	f->key_uids = f->key_kept = 0;
	return err ? GETK_ERR_NOMEM : GETK_OK;
}

/* A User ID packet's body is complete: kept when gpg's mbox matches. */
static void
filter_uid(struct filter *f)
{
	char mbox[GETK_MAX_MAILBOX + 1];
	/* gpg takes the User ID as a C string: up to a NUL. */
	size_t n = strnlen(f->body.data ? f->body.data : "", f->body.len);
	char *text = strndup(f->body.data ? f->body.data : "", n);

	f->keep = f->tag == GETK_PKT_UID && text &&
	    getk_uid_mbox(text, mbox, sizeof(mbox)) &&
	    strcasecmp(mbox, f->mailbox) == 0;
	free(text);
	f->dropping = !f->keep;
	f->key_uids++;
	f->key_kept += f->keep;
}

static enum getk_err
filter_packet(void *arg, enum getk_packet_event ev,
    const struct getk_packet *pkt, const unsigned char *p, size_t len)
{
	struct filter *f = arg;
	struct prep *pr = f->p;
	char (*fprs)[41];
	enum getk_err err;

	switch (ev) {
	case GETK_PACKET_START:
		err = filter_flush(f, pkt->offset);
		if (err)
			return err;
		f->open = 1;
		f->start = pkt->offset;
		f->tag = pkt->tag;
		f->body.len = 0;
		if (pkt->tag == GETK_PKT_PUBKEY && (err = filter_end_key(f)))
			return err;
		if (pkt->tag == GETK_PKT_PUBKEY || pkt->tag == GETK_PKT_PUBSUBKEY)
			f->dropping = 0;
		f->keep = !f->dropping;
		return GETK_OK;
	case GETK_PACKET_BODY:
		if (f->tag == GETK_PKT_PUBKEY || f->tag == GETK_PKT_UID)
			return getk_buf_add(&f->body, p, len) ? GETK_ERR_NOMEM :
			    GETK_OK;
		return GETK_OK;
	case GETK_PACKET_END:
		break;
	}
	if (f->tag == GETK_PKT_UID || f->tag == GETK_PKT_UAT) {
		filter_uid(f);
		return GETK_OK;
	}
	if (f->tag != GETK_PKT_PUBKEY)
		return GETK_OK;
	fprs = realloc(pr->fprs, (pr->nfprs + 1) * sizeof(*pr->fprs));
	if (!fprs)
		return GETK_ERR_NOMEM;
	pr->fprs = fprs;
	if (getk_key_v4_fpr((const unsigned char *)f->body.data, f->body.len,
	    pr->fprs[pr->nfprs]))
		pr->alone = 1;
	else
		pr->nfprs++;
	return GETK_OK;
}

/*
 * Filters offer O into P: its packets must pass packet.c's check first,
 * else O's verdict is given here (GETK_ERR_BADKEY, as getk_gpg_import
 * says it) and P stays empty.
 */
static enum getk_err
prepare(struct getk_key_offer *o, struct prep *p)
{
	struct getk_packet_walker *w = NULL;
	struct filter f;
	char reason[200];
	enum getk_err err;

	getk_buf_init(&p->data, GETK_KEY_MAX_OCTETS);
	err = getk_packet_check_key(o->data, o->len, reason, sizeof(reason));
	if (err == GETK_ERR_NOMEM)
		return err;
	if (err) {
		o->err = GETK_ERR_BADKEY;
		snprintf(o->why, sizeof(o->why), "not a transferable public "
		    "key: %s", reason);
		return GETK_OK;
	}
	memset(&f, 0, sizeof(f));
	f.mailbox = o->mailbox;
	f.in = o->data;
	f.p = p;
	getk_buf_init(&f.body, GETK_KEY_MAX_OCTETS);
	getk_buf_init(&f.key, GETK_KEY_MAX_OCTETS);
	err = getk_packet_walker_new(filter_packet, &f, &w);
	if (!err)
		err = getk_packet_walk(w, o->data, o->len);
	if (!err)
		err = getk_packet_walk_end(w);
	if (!err)
		err = filter_flush(&f, o->len);
	if (!err)
		err = filter_end_key(&f);
	getk_packet_walker_free(w);
	getk_buf_free(&f.body);
	getk_buf_free(&f.key);
	if (err == GETK_ERR_NOMEM)
		return err;
	if (err) {
		/* The check passed; the same walk cannot fail otherwise. */
		o->err = GETK_ERR_CRYPTO;
		snprintf(o->why, sizeof(o->why), "cannot read the offered "
		    "packets");
	} else if (p->data.len == 0) {
		/* No key keeps a User ID for the mailbox: gpg would import
		 * nothing ("no valid user IDs"), and is not asked. */
		o->err = GETK_ERR_BADKEY;
		snprintf(o->why, sizeof(o->why), "key has no valid User ID for "
		    "the address");
	}
	return GETK_OK;
}

/* Non-zero when offer P may join the offers of group G in PREPS: no
 * primary key in common, and within packet.c's limits together. */
static int
fits(const struct prep *preps, const struct getk_key_offer *offers,
    size_t n, size_t g, const struct prep *p)
{
	size_t octets = p->data.len, packets = p->packets, sigs = p->sigs;
	size_t uids = p->uids, i, a, b;

	for (i = 0; i < n; i++) {
		const struct prep *q = &preps[i];

		if (&preps[i] == p || offers[i].err || q->group != g)
			continue;
		if (q->alone || p->alone)
			return 0;
		for (a = 0; a < q->nfprs; a++)
			for (b = 0; b < p->nfprs; b++)
				if (strcmp(q->fprs[a], p->fprs[b]) == 0)
					return 0;
		octets += q->data.len;
		packets += q->packets;
		sigs += q->sigs;
		uids += q->uids;
	}
	return octets <= GETK_KEY_MAX_OCTETS && packets <= GETK_KEY_MAX_PACKETS &&
	    sigs <= GETK_KEY_MAX_SIGS && uids <= GETK_KEY_MAX_USERIDS;
}

/* The offer of group G in PREPS that holds the key FPR, or NULL. */
static size_t
owner(const struct prep *preps, const struct getk_key_offer *offers,
    size_t n, size_t g, const char *fpr)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		if (offers[i].err || preps[i].group != g)
			continue;
		for (k = 0; k < preps[i].nfprs; k++)
			if (strcasecmp(preps[i].fprs[k], fpr) == 0)
				return i;
	}
	return n;
}

/* Gives every offer of group G that has no verdict yet ERR and WHY. */
static void
group_fails(struct getk_key_offer *offers, const struct prep *preps,
    size_t n, size_t g, enum getk_err err, const char *why)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!offers[i].err && !offers[i].key && preps[i].group == g) {
			offers[i].err = err;
			snprintf(offers[i].why, sizeof(offers[i].why), "%s", why);
		}
}

struct getk_key_home {
	char *home;
	struct getk_gpg *gpg;		/* a session of HOME */
	struct getk_key_home *next;
};

size_t
getk_key_homes_for(size_t noffers)
{
	size_t want = (noffers + GETK_KEY_SPREAD - 1) / GETK_KEY_SPREAD;
	long cpus = -1;
#ifdef CPU_COUNT
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) == 0)
		cpus = CPU_COUNT(&set);
#endif
	if (cpus < 1)
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus < 1)
		cpus = 1;
	if (want > (size_t)cpus)
		want = (size_t)cpus;
	if (want > GETK_KEY_MAX_HOMES)
		want = GETK_KEY_MAX_HOMES;
	return want ? want : 1;
}

/* A home with its session; EXTRA as make_home's. */
static enum getk_err
home_new(const char *tmpdir, const char *extra, struct getk_key_home **r_home,
    char *why, size_t whysz)
{
	struct getk_key_home *h;
	enum getk_err err;

	*r_home = NULL;
	h = calloc(1, sizeof(*h));
	if (!h)
		return GETK_ERR_NOMEM;
	err = make_home(tmpdir, "gpg", extra, &h->home);
	if (err) {
		if (err == GETK_ERR_SYSTEM)
			snprintf(why, whysz, "cannot make a temporary GnuPG "
			    "home: %s", strerror(errno));
		free(h);
		return err;
	}
	err = getk_gpg_new(h->home, 0, &h->gpg, why, whysz);
	if (err) {
		getk_key_home_free(h);
		return err;
	}
	*r_home = h;
	return GETK_OK;
}

enum getk_err
getk_key_homes_new(const char *tmpdir, size_t count,
    struct getk_key_home **r_homes, char *why, size_t whysz)
{
	struct getk_key_home *h;
	enum getk_err err = GETK_OK;
	size_t i;

	*r_homes = NULL;
	why[0] = '\0';
	if (getk_key_engine_init() != GETK_OK) {
		snprintf(why, whysz, "GnuPG (gpg) cannot be used");
		return GETK_ERR_CRYPTO;
	}
	for (i = 0; i < (count ? count : 1); i++) {
		err = home_new(tmpdir, FAST_CONF, &h, why, whysz);
		if (err)
			break;
		h->next = *r_homes;
		*r_homes = h;
	}
	/* The homes made serve; the batch makes the rest itself. */
	return *r_homes ? GETK_OK : err;
}

void
getk_key_home_free(struct getk_key_home *h)
{
	struct getk_key_home *next;

	for (; h; h = next) {
		next = h->next;
		/* No operation of the session runs: its home can go. */
		getk_gpg_free(h->gpg);
		getk_key_rmhome(h->home);
		free(h);
	}
}

/*
 * Judges the offers of group G in one GnuPG home, the first of *READY
 * when the group is not careful: one import of them all, one listing,
 * one export of their keys.
 */
static enum getk_err
judge_group(struct getk_key_offer *offers, struct prep *preps, size_t n,
    size_t g, const char *tmpdir, long deadline_ms,
    struct getk_key_home **ready)
{
	struct getk_gpg *g_ = NULL;
	struct getk_buf all;
	gpgme_ctx_t ctx;
	gpgme_import_result_t ires;
	gpgme_data_t out = NULL;
	gpgme_key_t k;
	const char **fprs = NULL;
	struct getk_key **keys = NULL;
	time_t *created = NULL, *expires = NULL;
	size_t *sigs = NULL;
	char *home = NULL, *exported = NULL, why[200];
	size_t i, k2, m = 0, nall = 0, members = 0, outlen = 0;
	int careful = 0;
	enum getk_err err;

	why[0] = '\0';
	getk_buf_init(&all, GETK_KEY_MAX_OCTETS);
	for (i = 0; i < n; i++) {
		if (offers[i].err || preps[i].group != g)
			continue;
		members++;
		careful = preps[i].careful;
		if (getk_buf_add(&all, preps[i].data.data, preps[i].data.len)) {
			err = GETK_ERR_NOMEM;
			goto leave;
		}
	}
	/* A fast group takes a home made while the network was asked. */
	if (careful || !*ready) {
		getk_key_home_free(*ready);
		err = home_new(tmpdir, careful ? NULL : FAST_CONF, ready, why,
		    sizeof(why));
		if (err)
			goto fail;
	}
	home = (*ready)->home;
	g_ = (*ready)->gpg;
	free(*ready);
	*ready = NULL;
	getk_gpg_set_deadline(g_, deadline_ms);
	ctx = getk_gpg_ctx(g_);
	err = getk_gpg_import(g_, (const unsigned char *)all.data, all.len,
	    why, sizeof(why));
	if (err == GETK_ERR_BADKEY)
		/* Each offer passed alone; together they are never judged. */
		err = GETK_ERR_CRYPTO;
	if (err)
		goto fail;
	ires = gpgme_op_import_result(ctx);
	if (gpgme_set_keylist_mode(ctx, GPGME_KEYLIST_MODE_LOCAL |
	    GPGME_KEYLIST_MODE_SIGS)) {
		err = GETK_ERR_CRYPTO;
		snprintf(why, sizeof(why), "gpgme: cannot list signatures");
		goto fail;
	}
	err = getk_gpg_keylist(g_, NULL, why, sizeof(why));
	if (err)
		goto fail;
	while ((k = getk_gpg_next_key(g_)) != NULL) {
		i = k->subkeys && k->subkeys->fpr ? owner(preps, offers, n, g,
		    k->subkeys->fpr) : n;
		if (i == n) {
			gpgme_key_unref(k);
			continue;
		}
		weigh_key(k, offers[i].mailbox, &preps[i].best,
		    &preps[i].best_time, &preps[i].problem, offers[i].revoked);
	}
	/* Every key of the group, in one export, split by key: the winners
	 * are taken from it, and in a fast home the signatures that gpg
	 * kept are counted. */
	for (i = 0; i < n; i++)
		if (!offers[i].err && preps[i].group == g)
			nall += preps[i].nfprs;
	fprs = calloc(nall + 1, sizeof(*fprs));
	keys = calloc(nall + 1, sizeof(*keys));
	created = calloc(nall + 1, sizeof(*created));
	expires = calloc(nall + 1, sizeof(*expires));
	sigs = calloc(nall + 1, sizeof(*sigs));
	if (!fprs || !keys || !created || !expires || !sigs) {
		err = GETK_ERR_NOMEM;
		goto leave;
	}
	for (i = 0; i < n; i++) {
		struct prep *p = &preps[i];

		if (offers[i].err || p->group != g)
			continue;
		p->win = nall;
		for (k2 = 0; k2 < p->nfprs; k2++, m++) {
			fprs[m] = p->fprs[k2];
			if (!p->best || strcasecmp(p->best->subkeys->fpr,
			    fprs[m]) != 0)
				continue;
			p->win = m;
			created[m] = p->best_time;
			expires[m] = p->best->subkeys->expires > 0 ?
			    (time_t)p->best->subkeys->expires : 0;
		}
	}
	if (m) {
		if (gpgme_data_new(&out)) {
			err = GETK_ERR_NOMEM;
			goto leave;
		}
		gpgme_set_armor(ctx, 0);
		err = getk_gpg_export_ext(g_, fprs, 0, out, why, sizeof(why));
		if (err)
			goto fail;
		exported = gpgme_data_release_and_get_mem(out, &outlen);
		out = NULL;
		if (outlen)
			err = split_keys((const unsigned char *)exported, outlen,
			    fprs, m, created, expires, keys, sigs, why,
			    sizeof(why));
		if (err == GETK_ERR_NOMEM)
			goto leave;
		if (err)
			goto fail;
	}
	for (i = 0, m = 0; i < n; i++) {
		struct getk_key_offer *o = &offers[i];
		struct prep *p = &preps[i];
		size_t kept = 0;

		if (o->err || p->group != g)
			continue;
		for (k2 = 0; k2 < p->nfprs; k2++, m++)
			kept += sigs[m];
		if (!p->careful && kept < p->sigs) {
			/* gpg dropped signatures, which gpg's repair-keys
			 * might have put in their place: the offer is judged
			 * again in a careful home (getk_key_verify_batch). */
			p->recheck = 1;
			continue;
		}
		if (p->best) {
			if (p->win < nall) {
				o->key = keys[p->win];
				keys[p->win] = NULL;
			}
			if (!o->key) {
				o->err = GETK_ERR_CRYPTO;
				snprintf(o->why, sizeof(o->why), "gpg did not "
				    "export the key it listed");
			}
			continue;
		}
		/* The verdict on an offer without a usable key, as an
		 * import of the offer alone would give it
		 * (getk_key_verify_batch). */
		o->err = GETK_ERR_BADKEY;
		if (p->problem)
			snprintf(o->why, sizeof(o->why), "%s", p->problem);
		else if (members == 1 && (!ires || ires->considered == 0))
			snprintf(o->why, sizeof(o->why), "offered data holds no "
			    "OpenPGP key");
		else if (p->lost_uids || (ires && ires->no_user_id))
			snprintf(o->why, sizeof(o->why), "key has no valid User "
			    "ID for the address");
		else if (p->nfprs)
			snprintf(o->why, sizeof(o->why), "key could not be "
			    "imported");
		else
			snprintf(o->why, sizeof(o->why), "offered data holds no "
			    "OpenPGP key");
	}
	goto leave;
fail:
	if (err == GETK_ERR_NOMEM)
		goto leave;
	group_fails(offers, preps, n, g, err, why);
	err = GETK_OK;
leave:
	for (i = 0; keys && i < nall; i++)
		getk_key_free(keys[i]);
	for (i = 0; i < n; i++) {
		if (preps[i].group == g && preps[i].best) {
			gpgme_key_unref(preps[i].best);
			preps[i].best = NULL;
		}
	}
	free(fprs);
	free(keys);
	free(created);
	free(expires);
	free(sigs);
	gpgme_free(exported);
	gpgme_data_release(out);
	/* gpg has ended, or was killed and is gone: its home can go. */
	getk_gpg_free(g_);
	getk_key_rmhome(home);
	getk_buf_free(&all);
	return err;
}

/* The groups of a batch, judged by workers that take them in turn. */
struct judging {
	struct getk_key_offer *offers;
	struct prep *preps;
	size_t n;
	const char *tmpdir;
	long deadline_ms;
	pthread_mutex_t lock;		/* guards what follows */
	size_t next, ngroups;		/* the next group to judge */
	struct getk_key_home *ready;	/* homes not yet taken */
	enum getk_err err;		/* the first failure */
};

static void *
judge_worker(void *arg)
{
	struct judging *j = arg;
	struct getk_key_home *home;
	enum getk_err err;
	size_t g;

	for (;;) {
		pthread_mutex_lock(&j->lock);
		if (j->err || j->next == j->ngroups) {
			pthread_mutex_unlock(&j->lock);
			return NULL;
		}
		g = j->next++;
		home = j->ready;
		if (home) {
			j->ready = home->next;
			home->next = NULL;
		}
		pthread_mutex_unlock(&j->lock);
		/* Each group's offers and preps are its own: the workers
		 * share only what they read. */
		err = judge_group(j->offers, j->preps, j->n, g, j->tmpdir,
		    j->deadline_ms, &home);
		getk_key_home_free(home);
		if (err) {
			pthread_mutex_lock(&j->lock);
			if (!j->err)
				j->err = err;
			pthread_mutex_unlock(&j->lock);
		}
	}
}

/*
 * Judges groups FIRST to NGROUPS - 1 of OFFERS, as many at a time as
 * getk_key_homes_for allows for NVALID offers: gpg checks signatures in
 * one thread, and the homes' gpgs are independent.
 */
static enum getk_err
judge_groups(struct getk_key_offer *offers, struct prep *preps, size_t n,
    size_t first, size_t ngroups, size_t nvalid, const char *tmpdir,
    long deadline_ms, struct getk_key_home **ready)
{
	struct judging j;
	pthread_t tids[GETK_KEY_MAX_HOMES];
	size_t w, workers = getk_key_homes_for(nvalid), started = 0;

	memset(&j, 0, sizeof(j));
	j.offers = offers;
	j.preps = preps;
	j.n = n;
	j.tmpdir = tmpdir;
	j.deadline_ms = deadline_ms;
	j.next = first;
	j.ngroups = ngroups;
	j.ready = *ready;
	*ready = NULL;
	pthread_mutex_init(&j.lock, NULL);
	if (workers > ngroups - first)
		workers = ngroups - first;
	for (w = 1; w < workers; w++)
		if (pthread_create(&tids[started], NULL, judge_worker, &j) == 0)
			started++;
	judge_worker(&j);
	for (w = 0; w < started; w++)
		pthread_join(tids[w], NULL);
	pthread_mutex_destroy(&j.lock);
	getk_key_home_free(j.ready);
	return j.err;
}

/*
 * Puts each offer of OFFERS that is still to be judged (RECHECK: the
 * offers to be judged again, made careful) into the first group from
 * FIRST on that it fits and that has room: no two offers of one key ever
 * share a home, where gpg would merge them, and the offers are spread
 * over as many homes as may be judged at once.  MEMBERS counts each
 * group's offers.  Returns the number of groups after, and the number
 * of offers put in *R_PUT.
 */
static size_t
assign_groups(struct getk_key_offer *offers, struct prep *preps, size_t n,
    size_t first, int recheck, size_t *members, size_t *r_put)
{
	size_t i, g, ngroups = first, put = 0, cap;

	for (i = 0; i < n; i++)
		put += !offers[i].err && preps[i].recheck == recheck;
	g = getk_key_homes_for(put);
	cap = (put + g - 1) / g;
	for (i = 0; i < n; i++) {
		if (offers[i].err || preps[i].recheck != recheck)
			continue;
		if (recheck) {
			preps[i].recheck = 0;
			preps[i].careful = 1;
		}
		for (g = first; g < ngroups; g++) {
			preps[i].group = g;
			if (members[g] < cap && fits(preps, offers, i, g,
			    &preps[i]))
				break;
		}
		preps[i].group = g;
		members[g]++;
		if (g == ngroups)
			ngroups++;
	}
	*r_put = put;
	return ngroups;
}

enum getk_err
getk_key_verify_batch(struct getk_key_offer *offers, size_t n,
    const char *tmpdir, long deadline_ms, struct getk_key_home *ready)
{
	struct prep *preps = NULL;
	size_t *members = NULL;
	size_t i, ngroups, first, put;
	enum getk_err err = GETK_OK;

	for (i = 0; i < n; i++) {
		offers[i].err = GETK_OK;
		offers[i].key = NULL;
		offers[i].why[0] = '\0';
		offers[i].revoked[0] = '\0';
	}
	preps = calloc(n ? n : 1, sizeof(*preps));
	/* A group for each offer, and again for each offer judged again. */
	members = calloc(2 * n + 1, sizeof(*members));
	if (!preps || !members) {
		err = GETK_ERR_NOMEM;
		goto leave;
	}
	for (i = 0; i < n && !err; i++)
		err = prepare(&offers[i], &preps[i]);
	if (err)
		goto leave;
	ngroups = assign_groups(offers, preps, n, 0, 0, members, &put);
	if (ngroups)
		err = judge_groups(offers, preps, n, 0, ngroups, put, tmpdir,
		    deadline_ms, &ready);
	/* The offers of which gpg dropped signatures in a fast home, in
	 * homes with repair-keys. */
	first = ngroups;
	if (!err)
		ngroups = assign_groups(offers, preps, n, first, 1, members,
		    &put);
	if (!err && ngroups > first)
		err = judge_groups(offers, preps, n, first, ngroups, put, tmpdir,
		    deadline_ms, &ready);
leave:
	getk_key_home_free(ready);
	free(members);
	for (i = 0; i < n; i++) {
		getk_buf_free(&preps[i].data);
		free(preps[i].fprs);
		if (err) {
			getk_key_free(offers[i].key);
			offers[i].key = NULL;
		}
	}
	free(preps);
	return err;
}

enum getk_err
getk_key_certifies(const unsigned char *old_key, size_t old_len,
    const char *old_fpr, const unsigned char *new_key, size_t new_len,
    const char *new_fpr, const char *tmpdir, long deadline_ms, int *r_yes)
{
	struct getk_gpg *g = NULL;
	gpgme_key_t k = NULL;
	gpgme_user_id_t uid;
	gpgme_key_sig_t sig;
	char *home = NULL, why[256];
	const char *old_keyid;
	enum getk_err err;

	*r_yes = 0;
	if (strlen(old_fpr) < 16)
		return GETK_ERR_INVAL;
	old_keyid = old_fpr + strlen(old_fpr) - 16;
	err = make_home(tmpdir, "gpg", NULL, &home);
	if (err)
		return err;
	err = getk_gpg_new(home, deadline_ms, &g, why, sizeof(why));
	if (!err)
		err = getk_gpg_import(g, old_key, old_len, why, sizeof(why));
	if (!err)
		err = getk_gpg_import(g, new_key, new_len, why, sizeof(why));
	/* With SIGS, gpgme lists with --check-sigs: each signature's status
	 * says whether it verified against a key in the keyring. */
	if (!err && gpgme_set_keylist_mode(getk_gpg_ctx(g),
	    GPGME_KEYLIST_MODE_LOCAL | GPGME_KEYLIST_MODE_SIGS))
		err = GETK_ERR_CRYPTO;
	if (!err)
		err = getk_gpg_keylist(g, new_fpr, why, sizeof(why));
	if (!err && !(k = getk_gpg_next_key(g)))
		err = GETK_ERR_CRYPTO;
	if (err)
		goto leave;
	for (uid = k->uids; uid && !*r_yes; uid = uid->next) {
		if (uid->revoked || uid->invalid)
			continue;
		for (sig = uid->signatures; sig; sig = sig->next) {
			if (sig->keyid && strcasecmp(sig->keyid, old_keyid) == 0 &&
			    gpg_err_code(sig->status) == GPG_ERR_NO_ERROR &&
			    !sig->revoked && !sig->expired && !sig->invalid) {
				*r_yes = 1;
				break;
			}
		}
	}
leave:
	if (k)
		gpgme_key_unref(k);
	getk_gpg_free(g);
	getk_key_rmhome(home);
	return err;
}

void
getk_key_digest(const unsigned char *data, size_t len, char hex[65])
{
	unsigned char md[32];
	size_t i;

	gcry_md_hash_buffer(GCRY_MD_SHA256, md, data, len);
	for (i = 0; i < sizeof(md); i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

enum getk_err
getk_key_tmphome(const char *tmpdir, char **r_home)
{
	return make_home(tmpdir, "gpg", NULL, r_home);
}

enum getk_err
getk_key_tmphome_named(const char *tmpdir, const char *name, char **r_home)
{
	return make_home(tmpdir, name, NULL, r_home);
}

void
getk_key_rmhome(char *home)
{
	if (!home)
		return;
	getk_remove_tree(home);
	free(home);
}
