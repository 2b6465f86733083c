/*
 * outgoing.c: the send pipeline of getk-sendmail, for the immediate send
 * and the queue runner alike.
 *
 * One attempt on a message is a state machine, one handler per step and
 * send_step() the one place the step changes (and logs at -vv):
 *
 *     PREPARE -> PASSTHROUGH -> LOOKUP -> VERDICT -> SELF -> BUILD
 *             -> SUBMIT -> END
 *
 * PREPARE lists the recipients of the pending copies (none: END);
 * PASSTHROUGH goes straight to BUILD for a message that is ciphertext
 * already; LOOKUP asks the engine for every recipient's key and the
 * sender's; VERDICT holds each to the trust rules and decides the
 * message's fate (refused, later, in clear, encrypted); SELF finds the
 * sender's key; BUILD writes every pending copy before the relay is
 * contacted; SUBMIT hands them over one connection and records each
 * copy's outcome.  Any failure goes to END with the error and why.
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "addr.h"
#include "clock.h"
#include "host.h"
#include "key.h"
#include "keyring.h"
#include "lookup.h"
#include "net.h"
#include "outgoing.h"
#include "pgpmime.h"
#include "store.h"
#include "submit.h"

enum send_step {
	SEND_PREPARE,		/* the recipients of the pending copies */
	SEND_PASSTHROUGH,	/* ciphertext already: sent unchanged */
	SEND_LOOKUP,		/* every recipient's key, and the sender's */
	SEND_VERDICT,		/* the trust rules, recipient by recipient */
	SEND_SELF,		/* the sender's key for encrypt_to_self */
	SEND_BUILD,		/* every pending copy written */
	SEND_SUBMIT,		/* handed to the relay, outcomes recorded */
	SEND_END		/* done, or failed */
};

static const char *const send_names[] = {
	"PREPARE", "PASSTHROUGH", "LOOKUP", "VERDICT", "SELF", "BUILD",
	"SUBMIT", "END"
};
#define SEND_NSTEPS (sizeof(send_names) / sizeof(send_names[0]))

/* One attempt: what the step handlers share. */
struct send {
	struct getk_outgoing *out;
	const struct getk_send_settings *s;
	const struct getk_account *acct;
	struct getk_send_report *r;
	enum send_step step;
	enum getk_err err;

	size_t *pending;		/* indexes of the pending copies */
	size_t npending;
	const char **boxes;		/* lookup input: the recipients of
					   the pending copies, then maybe
					   the sender */
	size_t nboxes;
	struct getk_result *results;	/* one per box */
	struct getk_store *store;
	struct getk_key *self_owned;	/* self_key's, exported */
	const struct getk_key *self;	/* the sender's key, or NULL */
	int plain;			/* copies go unchanged or in clear */
	struct getk_spool **written;	/* one per pending copy */
	/* The relay source's session, which the submission goes on with
	 * (lookup.h), or NULL. */
	struct getk_smtp *relay_session;
	char host[256];
};

/* Moves the attempt to NEXT and logs it. */
static void
send_step(struct send *sd, enum send_step next)
{
	if (sd->step == next)
		return;
	getk_log(sd->s->log, GETK_LOG_DEBUG, "send: %s -> %s",
	    send_names[sd->step], send_names[next]);
	sd->step = next;
}

static void send_fail(struct send *sd, enum getk_err err, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

/* Ends the attempt with ERR and the reason FMT. */
static void
send_fail(struct send *sd, enum getk_err err, const char *fmt, ...)
{
	va_list ap;

	sd->err = err;
	va_start(ap, fmt);
	vsnprintf(sd->r->why, sizeof(sd->r->why), fmt, ap);
	va_end(ap);
	send_step(sd, SEND_END);
}

/* --- the message ------------------------------------------------------ */

enum getk_err
getk_outgoing_new(struct getk_headers *headers, struct getk_spool *body,
    off_t body_off, struct getk_outgoing **r_out)
{
	struct getk_outgoing *o;

	*r_out = NULL;
	o = calloc(1, sizeof(*o));
	if (!o) {
		getk_headers_free(headers);
		getk_spool_free(body);
		return GETK_ERR_NOMEM;
	}
	o->headers = headers;
	o->body = body;
	o->body_off = body_off;
	*r_out = o;
	return GETK_OK;
}

void
getk_outgoing_free(struct getk_outgoing *o)
{
	size_t i;

	if (!o)
		return;
	getk_headers_free(o->headers);
	getk_spool_free(o->body);
	free(o->account);
	free(o->from);
	free(o->fullname);
	free(o->dsn_notify);
	free(o->dsn_ret);
	free(o->date);
	free(o->message_id);
	for (i = 0; i < o->ncopies; i++)
		getk_strv_free(o->copies[i].rcpts);
	free(o->copies);
	free(o);
}

enum getk_err
getk_outgoing_add_copy(struct getk_outgoing *o, const char *const *rcpts,
    size_t n, enum getk_copy_state state)
{
	struct getk_copy *c;
	char **list;
	size_t i;

	c = realloc(o->copies, (o->ncopies + 1) * sizeof(*c));
	if (!c)
		return GETK_ERR_NOMEM;
	o->copies = c;
	list = calloc(n + 1, sizeof(*list));
	if (!list)
		return GETK_ERR_NOMEM;
	for (i = 0; i < n; i++) {
		list[i] = strdup(rcpts[i]);
		if (!list[i]) {
			getk_strv_free(list);
			return GETK_ERR_NOMEM;
		}
	}
	c[o->ncopies].rcpts = list;
	c[o->ncopies].nrcpts = n;
	c[o->ncopies].state = state;
	o->ncopies++;
	return GETK_OK;
}

/* A recipient while the copies are planned. */
struct rcpt {
	const char *mailbox;
	int bcc;			/* not in To or Cc */
};

/* Non-zero when LIST (N entries) holds MAILBOX. */
static int
list_has(char *const *list, size_t n, const char *mailbox)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (getk_mailbox_match(list[i], mailbox) &&
		    getk_mailbox_match(mailbox, list[i]))
			return 1;
	return 0;
}

/* Adds MAILBOX to the N recipients at V unless there (as To/Cc wins). */
static void
add_rcpt(struct rcpt *v, size_t *n, const char *mailbox, int bcc)
{
	size_t i;

	for (i = 0; i < *n; i++) {
		if (strcmp(v[i].mailbox, mailbox) == 0) {
			if (!bcc)
				v[i].bcc = 0;
			return;
		}
	}
	v[*n].mailbox = mailbox;
	v[*n].bcc = bcc;
	(*n)++;
}

enum getk_err
getk_outgoing_recipients(struct getk_outgoing *o, char *const *mailboxes,
    size_t n, int read_headers, char *why, size_t whysz)
{
	char **tocc = NULL, **bcc = NULL;
	const char **list = NULL;
	struct rcpt *v = NULL;
	size_t ntocc = 0, nbcc = 0, nv = 0, i, nl;
	const char *w = NULL;
	enum getk_err err;

	why[0] = '\0';
	err = getk_headers_recipients(o->headers, &tocc, &ntocc, &bcc, &nbcc,
	    &w);
	if (err) {
		snprintf(why, whysz, "recipients in the header: %s", w ? w :
		    getk_strerror(err));
		goto leave;
	}
	v = calloc(n + ntocc + nbcc + 1, sizeof(*v));
	list = calloc(n + ntocc + nbcc + 1, sizeof(*list));
	if (!v || !list) {
		err = GETK_ERR_NOMEM;
		goto leave;
	}
	for (i = 0; i < n; i++)
		add_rcpt(v, &nv, mailboxes[i], !list_has(tocc, ntocc,
		    mailboxes[i]));
	for (i = 0; read_headers && i < ntocc; i++)
		add_rcpt(v, &nv, tocc[i], 0);
	for (i = 0; read_headers && i < nbcc; i++)
		add_rcpt(v, &nv, bcc[i], 1);
	if (nv == 0) {
		snprintf(why, whysz, "no recipients");
		err = GETK_ERR_INVAL;
		goto leave;
	}
	/* The To/Cc copy first, then one copy per Bcc recipient. */
	for (i = 0, nl = 0; i < nv; i++)
		if (!v[i].bcc)
			list[nl++] = v[i].mailbox;
	err = nl ? getk_outgoing_add_copy(o, list, nl, GETK_COPY_PENDING) :
	    GETK_OK;
	for (i = 0; !err && i < nv; i++)
		if (v[i].bcc)
			err = getk_outgoing_add_copy(o, &v[i].mailbox, 1,
			    GETK_COPY_PENDING);
leave:
	free(v);
	free(list);
	getk_strv_free(tocc);
	getk_strv_free(bcc);
	return err;
}

/* The first mailbox of the From field, or NULL. */
static char *
header_from(const struct getk_headers *h)
{
	const struct getk_header *f;
	char **list = NULL, *m = NULL;
	size_t n = 0, pos = 0;
	const char *why;

	f = getk_headers_find(h, "From", &pos);
	if (!f || getk_addrlist_parse(f->value, strlen(f->value), &list, &n,
	    &why) || n == 0) {
		getk_strv_free(list);
		return NULL;
	}
	m = list[0];
	list[0] = NULL;
	getk_strv_free(list);
	return m;
}

/*
 * The account: NAME, else the one whose "from" is the envelope sender
 * FROM, else the default.
 */
static const struct getk_account *
pick_account(const struct getk_config *cfg, const char *name,
    const char *from)
{
	size_t i;

	if (name)
		return getk_config_account(cfg, name);
	for (i = 0; from && i < cfg->naccounts; i++)
		if (cfg->accounts[i]->from &&
		    strcasecmp(cfg->accounts[i]->from, from) == 0)
			return cfg->accounts[i];
	return getk_config_account(cfg, NULL);
}

/* A copy of S (NULL stays NULL) into *R; 0, or -1 out of memory. */
static int
dup_opt(const char *s, char **r)
{
	*r = s ? strdup(s) : NULL;
	return s && !*r ? -1 : 0;
}

/*
 * Date and Message-ID for copies of a message that lacks them, made once
 * so that every copy, sent now or from the queue later, has the same.
 */
static enum getk_err
make_ids(struct getk_outgoing *o)
{
	unsigned char rnd[10];
	char hex[21], host[256], date[64], mid[320];
	const char *dom;
	time_t now = getk_now();
	struct tm tm;
	size_t i;

	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		memset(rnd, 0, sizeof(rnd));
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	getk_local_name(host, sizeof(host));
	dom = strchr(o->from, '@') ? getk_mailbox_domain(o->from) : host;
	snprintf(mid, sizeof(mid), "<%lld.%s.getk@%s>", (long long)now, hex,
	    dom);
	o->date = strdup(date);
	o->message_id = strdup(mid);
	return o->date && o->message_id ? GETK_OK : GETK_ERR_NOMEM;
}

enum getk_err
getk_outgoing_envelope(struct getk_outgoing *o, const struct getk_config *cfg,
    const struct getk_envelope_options *opts,
    const struct getk_account **r_account, char *why, size_t whysz)
{
	const struct getk_account *a;
	const char *w;

	*r_account = NULL;
	why[0] = '\0';
	a = pick_account(cfg, opts->account, opts->from);
	if (!a) {
		snprintf(why, whysz, "no account named %s", opts->account);
		return GETK_ERR_CONFIG;
	}
	*r_account = a;
	if (dup_opt(a->name, &o->account) ||
	    dup_opt(opts->fullname, &o->fullname) ||
	    dup_opt(opts->dsn_notify, &o->dsn_notify) ||
	    dup_opt(opts->dsn_ret, &o->dsn_ret) ||
	    dup_opt(opts->from, &o->from))
		return GETK_ERR_NOMEM;
	if (getk_outgoing_check_account(a, why, whysz))
		return GETK_ERR_CONFIG;
	if (!o->from && a->from && getk_addr_parse(a->from, &o->from, &w)) {
		snprintf(why, whysz, "from %s: %s", a->from, w);
		return GETK_ERR_CONFIG;
	}
	if (!o->from)
		o->from = header_from(o->headers);
	if (!o->from) {
		snprintf(why, whysz, "no sender: give -f, set from, or put a "
		    "From field in the message");
		return GETK_ERR_SYNTAX;
	}
	return make_ids(o);
}

enum getk_err
getk_outgoing_check_account(const struct getk_account *a, char *why,
    size_t whysz)
{
	if (!a->host) {
		snprintf(why, whysz, "no relay: set host in the configuration "
		    "(see getk.conf(5))");
		return GETK_ERR_CONFIG;
	}
	if (a->auth && strcmp(a->auth, "off") != 0 && !a->user) {
		snprintf(why, whysz, "auth %s needs a user", a->auth);
		return GETK_ERR_CONFIG;
	}
	return GETK_OK;
}

const struct getk_account *
getk_outgoing_account(const struct getk_outgoing *o,
    const struct getk_config *cfg)
{
	size_t i;

	if (!o->account)
		return &cfg->defaults;
	for (i = 0; i < cfg->naccounts; i++)
		if (strcmp(cfg->accounts[i]->name, o->account) == 0)
			return cfg->accounts[i];
	return NULL;
}

/* --- the steps ---------------------------------------------------------- */

/*
 * The deadline of one encryption: the account's timeout, and a second
 * more for every 10 MiB of message, which gpg encrypts in well under
 * that.
 */
static long
encrypt_deadline(const struct send *sd)
{
	long size_mib = (long)((getk_spool_size(sd->out->body) -
	    sd->out->body_off) / (1024 * 1024));

	return getk_mono_ms() + sd->acct->timeout * 1000L +
	    size_mib / 10 * 1000L;
}

/* The first box of pending copy K in the lookup input. */
static size_t
first_box(const struct send *sd, size_t k)
{
	size_t i, b = 0;

	for (i = 0; i < k; i++)
		b += sd->out->copies[sd->pending[i]].nrcpts;
	return b;
}

/* PREPARE: the pending copies and their recipients. */
static void
on_prepare(struct send *sd)
{
	struct getk_outgoing *o = sd->out;
	size_t i, k, n = 0;

	for (i = 0; i < o->ncopies; i++)
		if (o->copies[i].state == GETK_COPY_PENDING)
			n += o->copies[i].nrcpts;
	sd->pending = calloc(o->ncopies + 1, sizeof(*sd->pending));
	sd->boxes = calloc(n + 2, sizeof(*sd->boxes));
	sd->r->rcpts = calloc(n + 1, sizeof(*sd->r->rcpts));
	sd->written = calloc(o->ncopies + 1, sizeof(*sd->written));
	if (!sd->pending || !sd->boxes || !sd->r->rcpts || !sd->written) {
		send_fail(sd, GETK_ERR_NOMEM, "out of memory");
		return;
	}
	for (i = 0; i < o->ncopies; i++) {
		if (o->copies[i].state != GETK_COPY_PENDING)
			continue;
		sd->pending[sd->npending++] = i;
		for (k = 0; k < o->copies[i].nrcpts; k++) {
			sd->r->rcpts[sd->r->nrcpts++].mailbox =
			    o->copies[i].rcpts[k];
			sd->boxes[sd->nboxes++] = o->copies[i].rcpts[k];
		}
	}
	sd->r->tried = sd->npending;
	send_step(sd, sd->npending ? SEND_PASSTHROUGH : SEND_END);
}

/*
 * PASSTHROUGH: a message that is OpenPGP ciphertext already goes out as
 * it is; one that only looks so is encrypted like any other.
 */
static void
on_passthrough(struct send *sd)
{
	struct getk_pgpmime probe;
	char why[512];
	int claims;

	memset(&probe, 0, sizeof(probe));
	probe.headers = sd->out->headers;
	probe.body = sd->out->body;
	probe.body_off = sd->out->body_off;
	if (!getk_pgpmime_is_encrypted(&probe, why, sizeof(why), &claims)) {
		getk_log(sd->s->log, claims ? GETK_LOG_WARN : GETK_LOG_DEBUG,
		    "%s: %s; it is encrypted like any message", claims ?
		    "the message looks encrypted but is no OpenPGP ciphertext" :
		    "not ciphertext already", why);
		send_step(sd, SEND_LOOKUP);
		return;
	}
	getk_log(sd->s->log, GETK_LOG_INFO, "the message is OpenPGP ciphertext "
	    "already (%s): it goes out unchanged", why);
	sd->plain = 1;
	sd->r->mode = GETK_MODE_UNCHANGED;
	send_step(sd, SEND_BUILD);
}

/*
 * Opens the key cache for the lookups.  One that exists but cannot be
 * used is an error (its pins could not be held against what is
 * offered); one that cannot be made where none exists costs only the
 * cache.
 */
static enum getk_err
open_cache(struct send *sd)
{
	char *state = NULL, why[512];
	enum getk_err err = GETK_OK;

	if (getk_account_state_dir(sd->acct, &state) != GETK_OK) {
		getk_log(sd->s->log, GETK_LOG_WARN, "no state_dir, "
		    "XDG_STATE_HOME or HOME: going on without the key cache");
		return GETK_OK;
	}
	if (getk_store_open(state, 0, &sd->store, why, sizeof(why)) !=
	    GETK_OK) {
		if (getk_store_exists(state)) {
			snprintf(sd->r->why, sizeof(sd->r->why), "%s; its pins "
			    "cannot be checked. Make it readable and writable "
			    "for you, or move %s/%s aside (its pins are then "
			    "lost)", why, state, GETK_STORE_FILE);
			err = GETK_ERR_SYSTEM;
		} else {
			getk_log(sd->s->log, GETK_LOG_WARN, "%s; going on "
			    "without the key cache", why);
		}
	}
	free(state);
	return err;
}

/* LOOKUP: every recipient's key and, for encrypt_to_self, the sender's. */
static void
on_lookup(struct send *sd)
{
	const struct getk_account *a = sd->acct;
	struct getk_lookup_settings ls;
	char why[1024];
	enum getk_err err;

	if (a->encrypt_to_self && !a->self_key && *sd->out->from)
		sd->boxes[sd->nboxes++] = sd->out->from;
	getk_lookup_settings_init(&ls, a, sd->host, sizeof(sd->host));
	ls.net = getk_net_linked;
	ls.log = sd->s->log;
	ls.relay_password = sd->s->password;
	ls.relay_session = &sd->relay_session;
	err = open_cache(sd);
	if (err) {
		sd->err = err;
		send_step(sd, SEND_END);
		return;
	}
	ls.store = sd->store;
	err = getk_lookup(&ls, sd->boxes, sd->nboxes, &sd->results, why,
	    sizeof(why));
	if (err) {
		send_fail(sd, err == GETK_ERR_CONFIG || err == GETK_ERR_NOMEM ?
		    err : GETK_ERR_SYSTEM, "%s", why[0] ? why :
		    getk_strerror(err));
		return;
	}
	sd->r->looked_up = 1;
	/* The relay that refused the credentials for GETK will refuse
	 * them for the submission too: say so now, not "try again". */
	if (sd->nboxes && sd->results[0].relay_auth_failed) {
		send_fail(sd, GETK_ERR_AUTH, "the relay %s refused the "
		    "credentials of user %s", a->host, a->user ? a->user : "");
		return;
	}
	send_step(sd, SEND_VERDICT);
}

/*
 * VERDICT: the trust rules decide, recipient by recipient: only a
 * recipient without any key may allow clear text; a key that failed, a
 * conflict or a temporary failure never do.
 */
static void
on_verdict(struct send *sd)
{
	const struct getk_account *a = sd->acct;
	enum getk_send *each = NULL;
	const char *later = NULL, *later_why = NULL;
	size_t i, n = sd->r->nrcpts;

	each = calloc(n ? n : 1, sizeof(*each));
	if (!each) {
		send_fail(sd, GETK_ERR_NOMEM, "out of memory");
		return;
	}
	for (i = 0; i < n; i++) {
		const struct getk_result *res = &sd->results[i];
		struct getk_send_rcpt *rc = &sd->r->rcpts[i];
		const char *rule;

		each[i] = getk_trust_send(res->status, res->trust,
		    a->key_trust_any, a->missing_key_plaintext, &rule);
		if (res->status == GETK_STATUS_FOUND) {
			snprintf(rc->fpr, sizeof(rc->fpr), "%s", res->key->fpr);
			rc->trust = res->trust;
			if (rule)
				getk_log(sd->s->log, GETK_LOG_WARN, "%s: key "
				    "%s: %s", rc->mailbox, res->key->fpr, rule);
		} else {
			getk_log(sd->s->log, GETK_LOG_WARN, "%s: %s",
			    rc->mailbox, res->reason ? res->reason : rule);
		}
		if (each[i] == GETK_SEND_LATER && !later) {
			later = rc->mailbox;
			later_why = res->reason ? res->reason : rule;
		}
	}
	sd->r->mode = GETK_MODE_ENCRYPTED;
	switch (getk_trust_send_message(each, n)) {
	case GETK_SEND_REFUSE:
		send_fail(sd, GETK_ERR_NOKEY, "some recipients have no usable "
		    "key (see above)%s", a->missing_key_plaintext ? "" :
		    "; missing_key is refuse");
		break;
	case GETK_SEND_LATER:
		/* An authentication or network failure never leads to clear
		 * text, whatever missing_key says (INTERFACE.md). */
		send_fail(sd, GETK_ERR_TEMPFAIL, "some lookups failed "
		    "temporarily (%s: %s)", later, later_why ? later_why : "");
		break;
	case GETK_SEND_CLEAR:
		getk_log(sd->s->log, GETK_LOG_WARN, "some recipients have no "
		    "key at all: the message goes in clear text "
		    "(missing_key plaintext)");
		sd->plain = 1;
		sd->r->mode = GETK_MODE_PLAINTEXT;
		send_step(sd, SEND_BUILD);
		break;
	case GETK_SEND_ENCRYPT:
		send_step(sd, SEND_SELF);
		break;
	}
	free(each);
}

/* Whether a lookup result gives a key the account may use. */
static int
usable(const struct getk_account *acct, const struct getk_result *r)
{
	const char *why;

	return r && r->key && getk_trust_send(r->status, r->trust,
	    acct->key_trust_any, 0, &why) == GETK_SEND_ENCRYPT;
}

/* SELF: the sender's key, from self_key or from the lookup. */
static void
on_self(struct send *sd)
{
	const struct getk_account *a = sd->acct;
	const struct getk_result *res;
	char why[512], *home = NULL;
	enum getk_err err;

	if (a->encrypt_to_self && a->self_key) {
		if (getk_key_engine_init() != GETK_OK) {
			send_fail(sd, GETK_ERR_CRYPTO, "GnuPG cannot be used");
			return;
		}
		/* From the keyring source's home, through its copy: the
		 * user's keyring is never written for it either. */
		err = getk_keyring_home(a->keyring_home, &home);
		if (err) {
			send_fail(sd, err == GETK_ERR_NOMEM ? err :
			    GETK_ERR_CONFIG, "self_key %s: no GnuPG home "
			    "(keyring_home, GNUPGHOME or HOME)", a->self_key);
			return;
		}
		err = getk_keyring_self_key(home, a->self_key, NULL,
		    getk_mono_ms() + a->timeout * 1000L, &sd->self_owned, why,
		    sizeof(why));
		free(home);
		if (err) {
			/* A keyring locked or unreadable now, or a gpg out of
			 * time, may do better later; a key that is not there
			 * or cannot be used will not. */
			send_fail(sd, err == GETK_ERR_TIMEOUT || err ==
			    GETK_ERR_NOMEM ? err : err == GETK_ERR_TEMPFAIL ||
			    err == GETK_ERR_SYSTEM ? GETK_ERR_TEMPFAIL :
			    GETK_ERR_CONFIG, "self_key %s: %s", a->self_key,
			    why);
			return;
		}
		sd->self = sd->self_owned;
	} else if (a->encrypt_to_self && *sd->out->from) {
		res = &sd->results[sd->nboxes - 1];
		if (usable(a, res))
			sd->self = res->key;
		else
			getk_log(sd->s->log, GETK_LOG_WARN, "no usable key for "
			    "the sender %s: the message goes without it (%s)",
			    sd->out->from, res->reason ? res->reason :
			    "trust none");
	}
	if (sd->self)
		snprintf(sd->r->self_fpr, sizeof(sd->r->self_fpr), "%s",
		    sd->self->fpr);
	send_step(sd, SEND_BUILD);
}

/*
 * The From field body for a message without one: the sender, with -F's
 * name quoted; NULL for the null sender.
 */
static enum getk_err
from_field(const struct getk_outgoing *o, struct getk_buf *b)
{
	const char *p;
	enum getk_err err = GETK_OK;

	if (!*o->from)
		return GETK_OK;
	if (o->fullname && *o->fullname) {
		err = getk_buf_adds(b, "\"");
		for (p = o->fullname; !err && *p; p++) {
			if (*p == '\r' || *p == '\n')
				continue;
			if (*p == '"' || *p == '\\')
				err = getk_buf_add(b, "\\", 1);
			if (!err)
				err = getk_buf_add(b, p, 1);
		}
		if (!err)
			err = getk_buf_adds(b, "\" ");
	}
	return err ? err : getk_buf_printf(b, "<%s>", o->from);
}

/*
 * BUILD: every pending copy, before the relay is contacted: the To/Cc
 * copy encrypted to the To/Cc recipients and the sender, each Bcc copy
 * to its recipient and the sender only, so that no Bcc key ID shows in
 * another recipient's copy; in clear or unchanged, as they are.
 */
static void
on_build(struct send *sd)
{
	struct getk_outgoing *o = sd->out;
	struct getk_pgpmime m;
	struct getk_buf fromhdr;
	const struct getk_key **keys = NULL;
	char why[512];
	size_t k, i, b, nk;
	enum getk_err err = GETK_OK;

	getk_buf_init(&fromhdr, 2048);
	keys = calloc(sd->nboxes + 2, sizeof(*keys));
	if (!keys || from_field(o, &fromhdr)) {
		send_fail(sd, GETK_ERR_NOMEM, "out of memory");
		goto leave;
	}
	if (!sd->plain && getk_key_engine_init() != GETK_OK) {
		send_fail(sd, GETK_ERR_CRYPTO, "GnuPG cannot be used");
		goto leave;
	}
	memset(&m, 0, sizeof(m));
	m.headers = o->headers;
	m.body = o->body;
	m.body_off = o->body_off;
	m.protect_subject = sd->acct->protect_subject;
	m.date = o->date;
	m.message_id = o->message_id;
	m.from = fromhdr.data;
	for (k = 0; k < sd->npending; k++) {
		const struct getk_copy *c = &o->copies[sd->pending[k]];

		nk = 0;
		for (i = 0, b = first_box(sd, k); !sd->plain && i < c->nrcpts;
		    i++)
			keys[nk++] = sd->results[b + i].key;
		if (sd->self && !sd->plain)
			keys[nk++] = sd->self;
		err = getk_spool_new(NULL, &sd->written[k]);
		if (err) {
			send_fail(sd, err, "cannot make a spool file: %s",
			    strerror(errno));
			goto leave;
		}
		why[0] = '\0';
		if (sd->plain)
			err = getk_pgpmime_plain(&m, sd->written[k]);
		else
			err = getk_pgpmime_encrypt(&m, keys, nk, sd->written[k],
			    encrypt_deadline(sd), why, sizeof(why));
		if (err) {
			/* A gpg that ran out of time may do better later;
			 * one that failed, or a key it was not given, will
			 * not. */
			send_fail(sd, err == GETK_ERR_BADKEY ? GETK_ERR_CRYPTO :
			    err, "cannot write the message: %s", why[0] ? why :
			    strerror(errno));
			goto leave;
		}
		sd->r->size += getk_spool_size(sd->written[k]);
	}
	send_step(sd, SEND_SUBMIT);
leave:
	free(keys);
	getk_buf_free(&fromhdr);
}

/* Records each copy the relay accepts as soon as it does. */
static enum getk_err
copy_accepted(void *arg, size_t i)
{
	struct send *sd = arg;
	size_t copy = sd->pending[i];

	sd->out->copies[copy].state = GETK_COPY_SUBMITTED;
	sd->r->submitted++;
	return sd->s->submitted ? sd->s->submitted(sd->s->arg, sd->out,
	    copy) : GETK_OK;
}

/* SUBMIT: the pending copies, over one connection, each one recorded. */
static void
on_submit(struct send *sd)
{
	const struct getk_account *a = sd->acct;
	struct getk_submit_settings ss;
	struct getk_submission *subs = NULL;
	struct getk_submit_result *res = NULL;
	char host[256], why[GETK_SUBMIT_WHY];
	size_t k, done = 0;
	enum getk_err err;

	subs = calloc(sd->npending, sizeof(*subs));
	res = calloc(sd->npending, sizeof(*res));
	if (!subs || !res) {
		send_fail(sd, GETK_ERR_NOMEM, "out of memory");
		goto leave;
	}
	for (k = 0; k < sd->npending; k++) {
		const struct getk_copy *c = &sd->out->copies[sd->pending[k]];

		subs[k].from = sd->out->from;
		subs[k].rcpts = (const char *const *)c->rcpts;
		subs[k].nrcpts = c->nrcpts;
		subs[k].message = sd->written[k];
	}
	memset(&ss, 0, sizeof(ss));
	getk_account_relay(a, &ss.relay);
	ss.password = sd->s->password;
	ss.ca_file = a->tls_trust_file;
	ss.connect_to = a->connect_to;
	ss.timeout_ms = a->timeout * 1000;
	getk_local_name(host, sizeof(host));
	ss.ehlo_name = host;
	ss.log = sd->s->log;
	ss.dsn_notify = sd->out->dsn_notify;
	ss.dsn_ret = sd->out->dsn_ret;
	ss.keep_going = sd->s->keep_going;
	ss.accepted = copy_accepted;
	ss.accepted_arg = sd;
	/* The lookup's session to the relay, if it left one: getk_submit
	 * takes it over. */
	ss.session = sd->relay_session;
	sd->relay_session = NULL;
	err = getk_submit(&ss, subs, sd->npending, res, &done,
	    &sd->r->smtp_code, why, sizeof(why));
	/* A copy refused for good speaks for the message: another try
	 * will not change it. */
	for (k = 0; k < sd->npending; k++) {
		if (res[k].refused && res[k].err == GETK_ERR_PERMFAIL) {
			sd->out->copies[sd->pending[k]].state =
			    GETK_COPY_REFUSED;
			if (err != GETK_ERR_PERMFAIL) {
				err = GETK_ERR_PERMFAIL;
				snprintf(why, sizeof(why), "%s", res[k].why);
			}
		}
	}
	if (err)
		send_fail(sd, err, "%s", why);
	else
		send_step(sd, SEND_END);
leave:
	free(subs);
	free(res);
}

/* The handler of each step; NULL for SEND_END. */
static void (*const send_handlers[SEND_NSTEPS])(struct send *) = {
	[SEND_PREPARE] = on_prepare,
	[SEND_PASSTHROUGH] = on_passthrough,
	[SEND_LOOKUP] = on_lookup,
	[SEND_VERDICT] = on_verdict,
	[SEND_SELF] = on_self,
	[SEND_BUILD] = on_build,
	[SEND_SUBMIT] = on_submit,
};

void
getk_send_report_clear(struct getk_send_report *r)
{
	free(r->rcpts);
	memset(r, 0, sizeof(*r));
}

enum getk_err
getk_outgoing_send(struct getk_outgoing *out,
    const struct getk_send_settings *s, struct getk_send_report *r_report)
{
	struct send sd;
	size_t k;

	getk_send_report_clear(r_report);
	memset(&sd, 0, sizeof(sd));
	sd.out = out;
	sd.s = s;
	sd.acct = s->account;
	sd.r = r_report;
	sd.step = SEND_PREPARE;
	while (send_handlers[sd.step])
		send_handlers[sd.step](&sd);
	for (k = 0; sd.written && k < sd.npending; k++)
		getk_spool_free(sd.written[k]);
	free(sd.written);
	getk_results_free(sd.results, sd.nboxes);
	getk_smtp_close(sd.relay_session);
	getk_key_free(sd.self_owned);
	getk_store_close(sd.store);
	free(sd.boxes);
	free(sd.pending);
	return sd.err;
}

int
getk_outgoing_refused(enum getk_err err)
{
	return err == GETK_ERR_PERMFAIL || err == GETK_ERR_NOKEY;
}

/* --- the log line --------------------------------------------------- */

enum getk_err
getk_outgoing_log_line(const struct getk_log_facts *f, struct getk_buf *b)
{
	const struct getk_outgoing *o = f->out;
	const struct getk_account *a = f->account;
	const struct getk_send_report *r = f->report;
	static const char *const modes[] = {
		"none", "encrypted", "plaintext", "unchanged"
	};
	const char *sep = "";
	size_t i, k;
	enum getk_err err;

	err = getk_buf_printf(b, "host=%s from=%s recipients=", a && a->host ?
	    a->host : "", o->from ? o->from : "");
	/* The recipients of this attempt; before one, all of them. */
	for (i = 0; !err && i < r->nrcpts; i++)
		err = getk_buf_printf(b, "%s%s", i ? "," : "",
		    r->rcpts[i].mailbox);
	for (i = 0; !err && !r->nrcpts && i < o->ncopies; i++)
		for (k = 0; !err && k < o->copies[i].nrcpts; k++) {
			err = getk_buf_printf(b, "%s%s", sep,
			    o->copies[i].rcpts[k]);
			sep = ",";
		}
	/* Nothing written is mode none, whatever was to be. */
	if (!err)
		err = getk_buf_printf(b, " mode=%s keys=", r->size ?
		    modes[r->mode] : "none");
	sep = "";
	for (i = 0; !err && r->mode == GETK_MODE_ENCRYPTED && i < r->nrcpts;
	    i++) {
		if (!r->rcpts[i].fpr[0])
			continue;
		err = getk_buf_printf(b, "%s%s:%s/%s", sep, r->rcpts[i].mailbox,
		    r->rcpts[i].fpr, getk_trust_name(r->rcpts[i].trust));
		sep = ",";
	}
	/* Without the sender's key there is no self: entry (getk-
	 * sendmail(8) LOGGING). */
	if (!err && r->size && r->mode == GETK_MODE_ENCRYPTED && r->self_fpr[0])
		err = getk_buf_printf(b, "%sself:%s", sep, r->self_fpr);
	if (!err)
		err = getk_buf_printf(b, " size=%lld smtpstatus=%d exitcode=%s",
		    r->size, r->smtp_code, f->exitcode);
	if (!err && f->queue)
		err = getk_buf_printf(b, " queue=%s id=%s", f->queue,
		    f->queue_id ? f->queue_id : "");
	if (!err && f->queue && f->reason && *f->reason)
		err = getk_buf_printf(b, " reason=%s", f->reason);
	return err;
}
