/*
 * test-store.c: unit tests of src/store.c, the key cache and pins in
 * SQLite: file modes, keys, pins, "no key" entries, keys on offer and
 * their --accept and --reject, --forget, the history, what is due, MTA-STS
 * policies, and the refusal of files that are damaged, foreign or newer.
 * Each test works in a fresh directory of its own under $TMPDIR.
 */
#include <config.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "store.h"
#include "unit.h"

#define A "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define B "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB"
#define NOW 1700000000L

static char top[4096];

/* A fresh directory path under TOP (not yet created) in BUF. */
static const char *
fresh(char *buf, size_t sz, const char *name)
{
	snprintf(buf, sz, "%s/%s/state", top, name);
	return buf;
}

/* A key record for ADDRESS with fingerprint FPR and DATA. */
static void
key_of(struct getk_store_key *k, const char *address, const char *fpr,
    const char *data, const char *trust)
{
	memset(k, 0, sizeof(*k));
	k->address = (char *)address;
	k->fingerprint = (char *)fpr;
	k->data = (unsigned char *)data;
	k->len = strlen(data);
	k->sources = (char *)"wkd:webpki";
	k->trust = (char *)trust;
	k->first_seen = NOW;
	k->fetched = NOW;
	k->offered_hash = (char *)"00ff";
}

static struct getk_store *
open_ok(const char *dir)
{
	struct getk_store *s = NULL;
	char why[512];

	if (!CHECK(getk_store_open(dir, 0, &s, why, sizeof(why)) == GETK_OK &&
	    s, "open %s", dir))
		DIAG("%s", why);
	return s;
}

static struct getk_store_entry *
get(struct getk_store *s, const char *address)
{
	struct getk_store_entry *e = NULL;
	char why[512];

	if (!CHECK(getk_store_get(s, address, &e, why, sizeof(why)) ==
	    GETK_OK && e, "get %s", address))
		DIAG("%s", why);
	return e;
}

static void
test_open(void)
{
	struct getk_store *s = NULL;
	struct stat st;
	char dir[4200], path[4300], why[512];

	fresh(dir, sizeof(dir), "open");
	CHECK(!getk_store_exists(dir), "no store before the first open");
	CHECK(getk_store_open(dir, 1, &s, why, sizeof(why)) == GETK_ERR_NOKEY &&
	    !s && strstr(why, "does not exist"),
	    "read-only open of a missing store: NOKEY, nothing made");
	s = open_ok(dir);
	getk_store_close(s);
	snprintf(path, sizeof(path), "%s/%s", dir, GETK_STORE_FILE);
	CHECK(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700,
	    "the state directory is made 0700");
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "the database is made 0600");
	CHECK(getk_store_exists(dir), "the store exists then");
	s = open_ok(dir);
	getk_store_close(s);
	getk_store_close(NULL);
}

static void
test_keys_and_pins(void)
{
	struct getk_store *s;
	struct getk_store_entry *e;
	struct getk_store_key k;
	char dir[4200], why[512];

	s = open_ok(fresh(dir, sizeof(dir), "keys"));
	if (!s)
		return;
	e = get(s, "alice@example.org");
	CHECK(e && !e->key && !e->pin && !e->negative && !e->offered,
	    "nothing known of a new address");
	getk_store_entry_free(e);

	key_of(&k, "alice@example.org", A, "key-a", "webpki");
	CHECK(getk_store_put_key(s, &k, 1, "new", NULL, NOW, why,
	    sizeof(why)) == GETK_OK, "put the first key, pinned");
	e = get(s, "alice@example.org");
	CHECK(e && e->key && strcmp(e->key->fingerprint, A) == 0 &&
	    e->key->len == 5 && memcmp(e->key->data, "key-a", 5) == 0 &&
	    strcmp(e->key->trust, "webpki") == 0 &&
	    strcmp(e->key->offered_hash, "00ff") == 0, "the key is stored");
	CHECK(e && e->pin && strcmp(e->pin, A) == 0 && e->pinned == NOW,
	    "and pinned");
	getk_store_entry_free(e);

	/* Refreshed later: first_seen stays, fetched moves. */
	k.fetched = NOW + 100;
	k.first_seen = NOW + 100;
	CHECK(getk_store_put_key(s, &k, 0, "refreshed", NULL, NOW + 100, why,
	    sizeof(why)) == GETK_OK, "refresh the key");
	e = get(s, "alice@example.org");
	CHECK(e && e->key && e->key->first_seen == NOW &&
	    e->key->fetched == NOW + 100, "first_seen kept, fetched renewed");
	getk_store_entry_free(e);

	/* A key put without repin leaves the pin as it was. */
	key_of(&k, "alice@example.org", B, "key-b", "none");
	CHECK(getk_store_put_key(s, &k, 0, "refreshed", NULL, NOW + 200, why,
	    sizeof(why)) == GETK_OK, "put another key without repinning");
	e = get(s, "alice@example.org");
	CHECK(e && e->pin && strcmp(e->pin, A) == 0 && e->key &&
	    strcmp(e->key->fingerprint, B) == 0, "the pin stays");
	getk_store_entry_free(e);

	CHECK(getk_store_drop_key(s, "alice@example.org", "revoked", B,
	    NOW + 300, why, sizeof(why)) == GETK_OK, "drop the key");
	e = get(s, "alice@example.org");
	CHECK(e && !e->key && e->pin, "dropped: the key goes, the pin stays");
	getk_store_entry_free(e);
	getk_store_close(s);
}

static void
test_negative(void)
{
	struct getk_store *s;
	struct getk_store_entry *e;
	struct getk_store_key k;
	char dir[4200], why[512];

	s = open_ok(fresh(dir, sizeof(dir), "negative"));
	if (!s)
		return;
	CHECK(getk_store_put_negative(s, "bob@example.org", "no key: getk: 550",
	    NOW, NOW + 3600, why, sizeof(why)) == GETK_OK, "remember no key");
	e = get(s, "bob@example.org");
	CHECK(e && e->negative && strcmp(e->negative, "no key: getk: 550") ==
	    0 && e->negative_expires == NOW + 3600, "the reason and expiry");
	getk_store_entry_free(e);
	key_of(&k, "bob@example.org", A, "key-a", "webpki");
	getk_store_put_key(s, &k, 1, "new", NULL, NOW + 10, why, sizeof(why));
	e = get(s, "bob@example.org");
	CHECK(e && !e->negative && e->key, "a key replaces the no key");
	getk_store_entry_free(e);
	getk_store_close(s);
}

/* History records of ALICE as "EVENT OLD NEW" lines in a buffer. */
struct hist {
	char text[4096];
};

static int
collect(void *arg, const char *address, time_t when, const char *event,
    const char *old_fpr, const char *new_fpr, const char *detail)
{
	struct hist *h = arg;
	size_t len = strlen(h->text);

	(void)address;
	(void)when;
	(void)detail;
	snprintf(h->text + len, sizeof(h->text) - len, "%s %c%c;", event,
	    old_fpr ? old_fpr[0] : '-', new_fpr ? new_fpr[0] : '-');
	return 0;
}

/* --list lines: ADDRESS FPR OFFERED. */
static int
list_one(void *arg, const struct getk_store_key *key, const char *offered)
{
	struct hist *h = arg;
	size_t len = strlen(h->text);

	snprintf(h->text + len, sizeof(h->text) - len, "%s %c %c;",
	    key->address, key->fingerprint[0], offered ? offered[0] : '-');
	return 0;
}

static void
test_offered(void)
{
	struct getk_store *s;
	struct getk_store_entry *e;
	struct getk_store_key k;
	struct hist h;
	char dir[4200], why[512], fpr[64];

	s = open_ok(fresh(dir, sizeof(dir), "offered"));
	if (!s)
		return;
	key_of(&k, "alice@example.org", A, "key-a", "webpki");
	getk_store_put_key(s, &k, 1, "new", NULL, NOW, why, sizeof(why));
	CHECK(getk_store_accept(s, "alice@example.org", NOW, fpr, sizeof(fpr),
	    why, sizeof(why)) == GETK_ERR_NOKEY && fpr[0] == '\0',
	    "--accept with nothing on offer: NOKEY");
	CHECK(getk_store_reject(s, "alice@example.org", NOW, fpr, sizeof(fpr),
	    why, sizeof(why)) == GETK_ERR_NOKEY && fpr[0] == '\0',
	    "--reject with nothing on offer: NOKEY");

	key_of(&k, "alice@example.org", B, "key-b", "webpki");
	CHECK(getk_store_put_offered(s, &k, A, NOW + 1, why, sizeof(why)) ==
	    GETK_OK, "a refused change kept on offer");
	e = get(s, "alice@example.org");
	CHECK(e && e->offered && strcmp(e->offered->fingerprint, B) == 0 &&
	    e->pin && strcmp(e->pin, A) == 0 && e->key &&
	    strcmp(e->key->fingerprint, A) == 0,
	    "on offer: B; pinned and cached: A");
	getk_store_entry_free(e);
	memset(&h, 0, sizeof(h));
	getk_store_each_key(s, list_one, &h, why, sizeof(why));
	CHECK_STR(h.text, "alice@example.org A B;",
	    "each_key gives the key on offer");

	CHECK(getk_store_reject(s, "alice@example.org", NOW + 2, fpr,
	    sizeof(fpr), why, sizeof(why)) == GETK_OK && strcmp(fpr, B) == 0,
	    "--reject drops B");
	e = get(s, "alice@example.org");
	CHECK(e && !e->offered && e->pin && strcmp(e->pin, A) == 0,
	    "after --reject: nothing on offer, A stays pinned");
	getk_store_entry_free(e);

	getk_store_put_offered(s, &k, A, NOW + 3, why, sizeof(why));
	CHECK(getk_store_accept(s, "alice@example.org", NOW + 4, fpr,
	    sizeof(fpr), why, sizeof(why)) == GETK_OK && strcmp(fpr, B) == 0,
	    "--accept takes B");
	e = get(s, "alice@example.org");
	CHECK(e && !e->offered && e->pin && strcmp(e->pin, B) == 0 && e->key &&
	    strcmp(e->key->fingerprint, B) == 0 && e->key->fetched == NOW + 4,
	    "after --accept: B cached and pinned, fetched now");
	getk_store_entry_free(e);

	memset(&h, 0, sizeof(h));
	CHECK(getk_store_each_event(s, "alice@example.org", collect, &h, why,
	    sizeof(why)) == GETK_OK, "history read");
	CHECK_STR(h.text, "new -A;refused AB;rejected AB;refused AB;"
	    "accepted AB;", "history: new, refused, rejected, refused, "
	    "accepted");

	CHECK(getk_store_forget(s, "alice@example.org", NOW + 5, why,
	    sizeof(why)) == GETK_OK, "--forget");
	e = get(s, "alice@example.org");
	CHECK(e && !e->key && !e->pin && !e->negative && !e->offered,
	    "forgotten: nothing left");
	getk_store_entry_free(e);
	CHECK(getk_store_forget(s, "alice@example.org", NOW + 6, why,
	    sizeof(why)) == GETK_ERR_NOKEY, "--forget again: NOKEY");
	memset(&h, 0, sizeof(h));
	getk_store_each_event(s, "alice@example.org", collect, &h, why,
	    sizeof(why));
	CHECK(strstr(h.text, "forgotten --;") != NULL,
	    "the history stays, with forgotten");
	getk_store_close(s);
}

static void
test_due(void)
{
	struct getk_store *s;
	struct getk_store_key k;
	char dir[4200], why[512], **addrs = NULL;
	size_t n = 0, i;

	s = open_ok(fresh(dir, sizeof(dir), "due"));
	if (!s)
		return;
	key_of(&k, "old@example.org", A, "key-a", "webpki");
	k.fetched = NOW - 1000;
	getk_store_put_key(s, &k, 1, "new", NULL, NOW, why, sizeof(why));
	key_of(&k, "new@example.org", B, "key-b", "webpki");
	k.fetched = NOW;
	getk_store_put_key(s, &k, 1, "new", NULL, NOW, why, sizeof(why));
	getk_store_put_negative(s, "none@example.org", "no key", NOW - 2000,
	    NOW + 10, why, sizeof(why));
	CHECK(getk_store_due(s, NOW - 500, &addrs, &n, why, sizeof(why)) ==
	    GETK_OK, "due");
	CHECK(n == 2 && addrs && addrs[2] == NULL, "two due, NULL-terminated");
	for (i = 0; i < n; i++)
		CHECK(strcmp(addrs[i], "new@example.org") != 0,
		    "due: %s, not the fresh one", addrs[i]);
	for (i = 0; i < n; i++)
		free(addrs[i]);
	free(addrs);
	CHECK(getk_store_due(s, 0, &addrs, &n, why, sizeof(why)) == GETK_OK &&
	    n == 3, "--all: every address");
	for (i = 0; i < n; i++)
		free(addrs[i]);
	free(addrs);
	getk_store_close(s);
}

static void
test_policies(void)
{
	struct getk_store *s;
	struct getk_store_policy p, got;
	char dir[4200], why[512];

	s = open_ok(fresh(dir, sizeof(dir), "policies"));
	if (!s)
		return;
	memset(&got, 0, sizeof(got));
	CHECK(getk_store_get_policy(s, "example.org", &got, why, sizeof(why)) ==
	    GETK_OK && !got.text && !got.id, "no policy yet");
	memset(&p, 0, sizeof(p));
	p.id = (char *)"20261201";
	p.text = (char *)"version: STSv1\nmode: enforce\n";
	p.fetched = NOW;
	p.expires = NOW + 86400;
	CHECK(getk_store_put_policy(s, "example.org", &p, why, sizeof(why)) ==
	    GETK_OK, "put a policy");
	CHECK(getk_store_get_policy(s, "example.org", &got, why, sizeof(why)) ==
	    GETK_OK && got.text && strcmp(got.text, p.text) == 0 && got.id &&
	    strcmp(got.id, "20261201") == 0 && got.expires == NOW + 86400,
	    "the policy comes back whole");
	getk_store_policy_clear(&got);
	getk_store_policy_clear(&got);
	getk_store_close(s);
}

/* Runs SQL on the database file in DIR (outside the store). */
static void
poke(const char *dir, const char *sql)
{
	char path[4300];
	sqlite3 *db = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, GETK_STORE_FILE);
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		BAIL_OUT("cannot change %s: %s", path, sqlite3_errmsg(db));
	sqlite3_close(db);
}

static void
test_refused_files(void)
{
	struct getk_store *s = NULL;
	char dir[4200], path[4300], why[512];
	FILE *f;

	s = open_ok(fresh(dir, sizeof(dir), "newer"));
	getk_store_close(s);
	poke(dir, "PRAGMA user_version = 99");
	CHECK(getk_store_open(dir, 0, &s, why, sizeof(why)) == GETK_ERR_DAMAGED &&
	    !s && strstr(why, "newer"), "a newer schema is refused");

	s = open_ok(fresh(dir, sizeof(dir), "foreign"));
	getk_store_close(s);
	poke(dir, "PRAGMA application_id = 12345");
	CHECK(getk_store_open(dir, 0, &s, why, sizeof(why)) == GETK_ERR_DAMAGED &&
	    !s && strstr(why, "not a getk database"),
	    "another application's database is refused");

	fresh(dir, sizeof(dir), "damaged");
	s = open_ok(dir);
	getk_store_close(s);
	snprintf(path, sizeof(path), "%s/%s", dir, GETK_STORE_FILE);
	f = fopen(path, "w");
	if (!f)
		BAIL_OUT("cannot write %s", path);
	fputs("this is not an SQLite database, but it is long enough to be "
	    "read as a header by SQLite: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	    f);
	fclose(f);
	CHECK(getk_store_open(dir, 0, &s, why, sizeof(why)) == GETK_ERR_DAMAGED &&
	    !s, "a damaged file is refused");
	CHECK(getk_store_exists(dir), "and still exists (left as it is)");
}

int
main(void)
{
	unit_tmpdir(top, sizeof(top), "getk-test-store");
	test_open();
	test_keys_and_pins();
	test_negative();
	test_offered();
	test_due();
	test_policies();
	test_refused_files();
	getk_remove_tree(top);
	return done_testing();
}
