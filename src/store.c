/*
 * store.c: the key cache and pins in SQLite.
 *
 * Schema version 3 (PRAGMA user_version), application id "GETK".  The
 * migrations array takes a database from any older version to the
 * current one, each step in its own transaction.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "file.h"
#include "store.h"

/* "GETK" as a big-endian 32-bit number. */
#define STORE_APP_ID 0x4745544B
/* How long a writer waits for another one, in milliseconds. */
#define STORE_BUSY_MS 5000

struct getk_store {
	sqlite3 *db;
};

/* Each entry takes the schema from version i to i + 1. */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE keys ("
	"  address TEXT PRIMARY KEY,"
	"  fingerprint TEXT NOT NULL,"
	"  keydata BLOB NOT NULL,"
	"  sources TEXT NOT NULL,"
	"  trust TEXT NOT NULL,"
	"  first_seen INTEGER NOT NULL,"
	"  fetched INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL DEFAULT 0,"
	"  offered_hash TEXT NOT NULL DEFAULT '');"
	"CREATE TABLE pins ("
	"  address TEXT PRIMARY KEY,"
	"  fingerprint TEXT NOT NULL,"
	"  pinned INTEGER NOT NULL);"
	"CREATE TABLE negative ("
	"  address TEXT PRIMARY KEY,"
	"  reason TEXT NOT NULL,"
	"  fetched INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL);"
	"CREATE TABLE offered ("
	"  address TEXT PRIMARY KEY,"
	"  fingerprint TEXT NOT NULL,"
	"  keydata BLOB NOT NULL,"
	"  sources TEXT NOT NULL,"
	"  trust TEXT NOT NULL,"
	"  fetched INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE history ("
	"  id INTEGER PRIMARY KEY,"
	"  address TEXT NOT NULL,"
	"  time INTEGER NOT NULL,"
	"  event TEXT NOT NULL,"
	"  old_fpr TEXT,"
	"  new_fpr TEXT,"
	"  detail TEXT);"
	"CREATE INDEX history_address ON history(address, id);",
	/* 1 -> 2: MTA-STS policies (RFC 8461 5.1), by policy domain. */
	"CREATE TABLE policies ("
	"  domain TEXT PRIMARY KEY,"
	"  id TEXT NOT NULL,"
	"  policy TEXT NOT NULL,"
	"  fetched INTEGER NOT NULL,"
	"  expires INTEGER NOT NULL);",
	/* 2 -> 3: what the user's keyring held for an address, and the
	 * keyring's state then, so that an unchanged keyring needs no gpg
	 * run.  The keyring's keys themselves are never stored. */
	"CREATE TABLE keyring ("
	"  address TEXT PRIMARY KEY,"
	"  state TEXT NOT NULL,"
	"  verdict TEXT NOT NULL,"
	"  expires INTEGER NOT NULL DEFAULT 0,"
	"  checked INTEGER NOT NULL);",
};
#define SCHEMA_VERSION ((int)(sizeof(migrations) / sizeof(migrations[0])))

static enum getk_err
db_fail(struct getk_store *s, const char *what, char *why, size_t whysz)
{
	snprintf(why, whysz, "key cache: %s: %s", what,
	    s && s->db ? sqlite3_errmsg(s->db) : "out of memory");
	return GETK_ERR_SYSTEM;
}

/* Runs SQL without results. */
static int
exec(struct getk_store *s, const char *sql)
{
	return sqlite3_exec(s->db, sql, NULL, NULL, NULL);
}

/* One integer from a query without parameters, or -1. */
static long long
query_int(struct getk_store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;
	long long v = -1;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Brings the schema to SCHEMA_VERSION, or refuses a foreign file. */
static enum getk_err
migrate(struct getk_store *s, char *why, size_t whysz)
{
	long long app, version, tables;
	int v;

	app = query_int(s, "PRAGMA application_id");
	version = query_int(s, "PRAGMA user_version");
	tables = query_int(s, "SELECT count(*) FROM sqlite_master");
	if (app < 0 || version < 0 || tables < 0) {
		/* "file is not a database" and the like. */
		snprintf(why, whysz, "key cache: cannot read the database: %s",
		    sqlite3_errmsg(s->db));
		return GETK_ERR_DAMAGED;
	}
	if (app != STORE_APP_ID && !(app == 0 && tables == 0)) {
		snprintf(why, whysz, "key cache: the file is not a getk "
		    "database; it is left as it is");
		return GETK_ERR_DAMAGED;
	}
	if (version > SCHEMA_VERSION) {
		snprintf(why, whysz, "key cache: schema version %lld is newer "
		    "than this getk knows (%d)", version, SCHEMA_VERSION);
		return GETK_ERR_DAMAGED;
	}
	for (v = (int)version; v < SCHEMA_VERSION; v++) {
		char pragma[64];

		if (exec(s, "BEGIN IMMEDIATE") != SQLITE_OK)
			return db_fail(s, "migration", why, whysz);
		/* Another process may have migrated meanwhile. */
		if (query_int(s, "PRAGMA user_version") > v) {
			exec(s, "COMMIT");
			continue;
		}
		snprintf(pragma, sizeof(pragma),
		    "PRAGMA application_id = %d; PRAGMA user_version = %d",
		    STORE_APP_ID, v + 1);
		if (exec(s, migrations[v]) != SQLITE_OK ||
		    exec(s, pragma) != SQLITE_OK) {
			enum getk_err err = db_fail(s, "migration", why, whysz);

			exec(s, "ROLLBACK");
			return err;
		}
		if (exec(s, "COMMIT") != SQLITE_OK)
			return db_fail(s, "migration", why, whysz);
	}
	return GETK_OK;
}

enum getk_err
getk_store_open(const char *dir, int readonly, struct getk_store **r_store,
    char *why, size_t whysz)
{
	struct getk_store *s = NULL;
	struct getk_buf path;
	enum getk_err err = GETK_OK;
	int fd, flags;

	*r_store = NULL;
	why[0] = '\0';
	getk_buf_init(&path, 4096);
	if (getk_buf_printf(&path, "%s/%s", dir, GETK_STORE_FILE))
		return GETK_ERR_NOMEM;
	s = calloc(1, sizeof(*s));
	if (!s) {
		err = GETK_ERR_NOMEM;
		goto leave;
	}
	if (readonly) {
		if (access(path.data, F_OK) != 0) {
			snprintf(why, whysz, "key cache: %s does not exist",
			    path.data);
			err = GETK_ERR_NOKEY;
			goto leave;
		}
		flags = SQLITE_OPEN_READWRITE;
	} else {
		if (getk_mkdirs(dir) != GETK_OK) {
			snprintf(why, whysz, "key cache: cannot create %s: %s",
			    dir, strerror(errno));
			err = GETK_ERR_SYSTEM;
			goto leave;
		}
		/* Create the file 0600 before SQLite does it with 0644. */
		fd = open(path.data, O_WRONLY | O_CREAT | O_CLOEXEC |
		    O_NOFOLLOW, 0600);
		if (fd < 0) {
			snprintf(why, whysz, "key cache: cannot open %s: %s",
			    path.data, strerror(errno));
			err = GETK_ERR_SYSTEM;
			goto leave;
		}
		close(fd);
		flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	}
	if (sqlite3_open_v2(path.data, &s->db, flags | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK) {
		err = db_fail(s, path.data, why, whysz);
		goto leave;
	}
	sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
	err = migrate(s, why, whysz);
	if (err)
		goto leave;
	if (exec(s, "PRAGMA journal_mode = WAL") != SQLITE_OK ||
	    exec(s, "PRAGMA synchronous = NORMAL") != SQLITE_OK ||
	    exec(s, "PRAGMA foreign_keys = ON") != SQLITE_OK) {
		err = db_fail(s, "setup", why, whysz);
		goto leave;
	}
	*r_store = s;
	s = NULL;
leave:
	getk_store_close(s);
	getk_buf_free(&path);
	return err;
}

int
getk_store_exists(const char *dir)
{
	struct getk_buf path;
	struct stat st;
	int gone;

	getk_buf_init(&path, 4096);
	if (getk_buf_printf(&path, "%s/%s", dir, GETK_STORE_FILE))
		return 1;
	/* Anything but "no such file" may be a store we cannot see. */
	gone = lstat(path.data, &st) != 0 && (errno == ENOENT ||
	    errno == ENOTDIR);
	getk_buf_free(&path);
	return !gone;
}

void
getk_store_close(struct getk_store *store)
{
	if (!store)
		return;
	sqlite3_close(store->db);
	free(store);
}

void
getk_store_key_free(struct getk_store_key *key)
{
	if (!key)
		return;
	free(key->address);
	free(key->fingerprint);
	free(key->data);
	free(key->sources);
	free(key->trust);
	free(key->offered_hash);
	free(key);
}

void
getk_store_entry_free(struct getk_store_entry *entry)
{
	if (!entry)
		return;
	getk_store_key_free(entry->key);
	getk_store_key_free(entry->offered);
	free(entry->pin);
	free(entry->negative);
	free(entry->keyring_state);
	free(entry->keyring_verdict);
	free(entry);
}

static char *
col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);

	return strdup(t ? (const char *)t : "");
}

/*
 * A key record from a row whose columns are: address, fingerprint,
 * keydata, sources, trust, first_seen, fetched, expires, and optionally
 * offered_hash.
 */
static struct getk_store_key *
row_key(sqlite3_stmt *st)
{
	struct getk_store_key *k = calloc(1, sizeof(*k));
	const void *blob;
	int len;

	if (!k)
		return NULL;
	k->address = col_text(st, 0);
	k->fingerprint = col_text(st, 1);
	blob = sqlite3_column_blob(st, 2);
	len = sqlite3_column_bytes(st, 2);
	k->data = malloc(len > 0 ? (size_t)len : 1);
	k->sources = col_text(st, 3);
	k->trust = col_text(st, 4);
	k->offered_hash = sqlite3_column_count(st) > 8 ? col_text(st, 8) :
	    strdup("");
	if (!k->address || !k->fingerprint || !k->data || !k->sources ||
	    !k->trust || !k->offered_hash) {
		getk_store_key_free(k);
		return NULL;
	}
	if (len > 0)
		memcpy(k->data, blob, (size_t)len);
	k->len = (size_t)len;
	k->first_seen = (time_t)sqlite3_column_int64(st, 5);
	k->fetched = (time_t)sqlite3_column_int64(st, 6);
	k->expires = (time_t)sqlite3_column_int64(st, 7);
	return k;
}

/* Runs a one-parameter SELECT for ADDRESS and takes its first row. */
static int
select_one(struct getk_store *s, const char *sql, const char *address,
    sqlite3_stmt **r_st)
{
	int rc;

	*r_st = NULL;
	rc = sqlite3_prepare_v2(s->db, sql, -1, r_st, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_text(*r_st, 1, address, -1, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(*r_st);
	return rc;
}

/* The key record of the row SQL selects for ADDRESS, or NULL. */
static enum getk_err
select_key(struct getk_store *s, const char *sql, const char *address,
    struct getk_store_key **r_key, char *why, size_t whysz)
{
	sqlite3_stmt *st = NULL;
	enum getk_err err = GETK_OK;
	int rc;

	rc = select_one(s, sql, address, &st);
	if (rc == SQLITE_ROW && !(*r_key = row_key(st)))
		err = GETK_ERR_NOMEM;
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		err = db_fail(s, "read", why, whysz);
	sqlite3_finalize(st);
	return err;
}

/* The text and time of the row SQL selects for ADDRESS, or NULL and 0. */
static enum getk_err
select_text_time(struct getk_store *s, const char *sql, const char *address,
    char **r_text, time_t *r_time, char *why, size_t whysz)
{
	sqlite3_stmt *st = NULL;
	enum getk_err err = GETK_OK;
	int rc;

	rc = select_one(s, sql, address, &st);
	if (rc == SQLITE_ROW) {
		*r_text = col_text(st, 0);
		*r_time = (time_t)sqlite3_column_int64(st, 1);
		if (!*r_text)
			err = GETK_ERR_NOMEM;
	} else if (rc != SQLITE_DONE) {
		err = db_fail(s, "read", why, whysz);
	}
	sqlite3_finalize(st);
	return err;
}

/* The keyring's remembered verdict on ADDRESS into E, if any. */
static enum getk_err
select_keyring(struct getk_store *s, const char *address,
    struct getk_store_entry *e, char *why, size_t whysz)
{
	sqlite3_stmt *st = NULL;
	enum getk_err err = GETK_OK;
	int rc;

	rc = select_one(s, "SELECT state, verdict, expires FROM keyring WHERE "
	    "address = ?", address, &st);
	if (rc == SQLITE_ROW) {
		e->keyring_state = col_text(st, 0);
		e->keyring_verdict = col_text(st, 1);
		e->keyring_expires = (time_t)sqlite3_column_int64(st, 2);
		if (!e->keyring_state || !e->keyring_verdict)
			err = GETK_ERR_NOMEM;
	} else if (rc != SQLITE_DONE) {
		err = db_fail(s, "read", why, whysz);
	}
	sqlite3_finalize(st);
	return err;
}

enum getk_err
getk_store_get(struct getk_store *store, const char *address,
    struct getk_store_entry **r_entry, char *why, size_t whysz)
{
	struct getk_store_entry *e;
	enum getk_err err = GETK_OK;

	*r_entry = NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return GETK_ERR_NOMEM;
	/* One read transaction: a consistent view of the four tables. */
	if (exec(store, "BEGIN") != SQLITE_OK) {
		err = db_fail(store, "read", why, whysz);
		goto leave;
	}
	err = select_key(store, "SELECT address, fingerprint, keydata, sources,"
	    " trust, first_seen, fetched, expires, offered_hash FROM keys "
	    "WHERE address = ?", address, &e->key, why, whysz);
	if (!err)
		err = select_text_time(store, "SELECT fingerprint, pinned FROM "
		    "pins WHERE address = ?", address, &e->pin, &e->pinned, why,
		    whysz);
	if (!err)
		err = select_text_time(store, "SELECT reason, expires FROM "
		    "negative WHERE address = ?", address, &e->negative,
		    &e->negative_expires, why, whysz);
	if (!err)
		err = select_key(store, "SELECT address, fingerprint, keydata, "
		    "sources, trust, fetched, fetched, expires FROM offered "
		    "WHERE address = ?", address, &e->offered, why, whysz);
	if (!err)
		err = select_keyring(store, address, e, why, whysz);
leave:
	exec(store, "COMMIT");
	if (err) {
		getk_store_entry_free(e);
		return err;
	}
	*r_entry = e;
	return GETK_OK;
}

/*
 * Prepares SQL and binds the arguments described by FMT: 't' text
 * (const char *, may be NULL), 'i' integer (long long), 'b' blob (const
 * void *, size_t).
 */
static int
vprepare_bind(struct getk_store *s, sqlite3_stmt **r_st, const char *sql,
    const char *fmt, va_list ap)
{
	int rc, i;

	*r_st = NULL;
	rc = sqlite3_prepare_v2(s->db, sql, -1, r_st, NULL);
	for (i = 0; rc == SQLITE_OK && fmt[i]; i++) {
		if (fmt[i] == 't') {
			const char *t = va_arg(ap, const char *);

			rc = t ? sqlite3_bind_text(*r_st, i + 1, t, -1,
			    SQLITE_TRANSIENT) : sqlite3_bind_null(*r_st, i + 1);
		} else if (fmt[i] == 'i') {
			rc = sqlite3_bind_int64(*r_st, i + 1,
			    va_arg(ap, long long));
		} else {
			const void *p = va_arg(ap, const void *);
			size_t n = va_arg(ap, size_t);

			rc = sqlite3_bind_blob64(*r_st, i + 1, p, n,
			    SQLITE_TRANSIENT);
		}
	}
	return rc;
}

/* vprepare_bind with the arguments given here. */
static int
prepare_bind(struct getk_store *s, sqlite3_stmt **r_st, const char *sql,
    const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vprepare_bind(s, r_st, sql, fmt, ap);
	va_end(ap);
	return rc;
}

/* Runs a statement prepared by prepare_bind to completion. */
static int
run(sqlite3_stmt *st, int rc)
{
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static int
history(struct getk_store *s, const char *address, time_t now,
    const char *event, const char *old_fpr, const char *new_fpr,
    const char *detail)
{
	sqlite3_stmt *st;
	int rc;

	rc = prepare_bind(s, &st, "INSERT INTO history (address, time, event,"
	    " old_fpr, new_fpr, detail) VALUES (?, ?, ?, ?, ?, ?)", "titttt",
	    address, (long long)now, event, old_fpr, new_fpr, detail);
	return run(st, rc);
}

/* Ends a write transaction: commit when RC is OK, else roll back. */
static enum getk_err
finish(struct getk_store *s, int rc, const char *what, char *why,
    size_t whysz)
{
	if (rc == SQLITE_OK && exec(s, "COMMIT") == SQLITE_OK)
		return GETK_OK;
	{
		enum getk_err err = db_fail(s, what, why, whysz);

		exec(s, "ROLLBACK");
		return err;
	}
}

/*
 * Runs one statement, SQL with the arguments of FMT as prepare_bind
 * takes them, in a write transaction of its own.
 */
static enum getk_err
write_one(struct getk_store *s, char *why, size_t whysz, const char *sql,
    const char *fmt, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int rc;

	if (exec(s, "BEGIN IMMEDIATE") != SQLITE_OK)
		return db_fail(s, "write", why, whysz);
	va_start(ap, fmt);
	rc = vprepare_bind(s, &st, sql, fmt, ap);
	va_end(ap);
	return finish(s, run(st, rc), "write", why, whysz);
}

enum getk_err
getk_store_put_key(struct getk_store *store, const struct getk_store_key *key,
    int repin, const char *event, const char *detail, time_t now, char *why,
    size_t whysz)
{
	sqlite3_stmt *st = NULL;
	char *old_fpr = NULL, *pin = NULL;
	long long first_seen = (long long)now;
	int rc;
	enum getk_err err;

	if (exec(store, "BEGIN IMMEDIATE") != SQLITE_OK)
		return db_fail(store, "write", why, whysz);
	rc = select_one(store, "SELECT fingerprint, first_seen FROM keys "
	    "WHERE address = ?", key->address, &st);
	if (rc == SQLITE_ROW) {
		old_fpr = col_text(st, 0);
		if (old_fpr && strcmp(old_fpr, key->fingerprint) == 0)
			first_seen = sqlite3_column_int64(st, 1);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_OK) {
		rc = select_one(store, "SELECT fingerprint FROM pins WHERE "
		    "address = ?", key->address, &st);
		if (rc == SQLITE_ROW)
			pin = col_text(st, 0);
		rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
		sqlite3_finalize(st);
	}
	if (rc == SQLITE_OK) {
		rc = prepare_bind(store, &st, "INSERT OR REPLACE INTO keys "
		    "(address, fingerprint, keydata, sources, trust, "
		    "first_seen, fetched, expires, offered_hash) VALUES (?, ?, "
		    "?, ?, ?, ?, ?, ?, ?)", "ttbttiiit", key->address,
		    key->fingerprint, (const void *)key->data, key->len,
		    key->sources, key->trust, first_seen,
		    (long long)key->fetched, (long long)key->expires,
		    key->offered_hash ? key->offered_hash : "");
		rc = run(st, rc);
	}
	if (rc == SQLITE_OK && (!pin || repin)) {
		rc = prepare_bind(store, &st, "INSERT OR REPLACE INTO pins "
		    "(address, fingerprint, pinned) VALUES (?, ?, ?)", "tti",
		    key->address, key->fingerprint, (long long)now);
		rc = run(st, rc);
	}
	if (rc == SQLITE_OK) {
		rc = prepare_bind(store, &st, "DELETE FROM negative WHERE "
		    "address = ?", "t", key->address);
		rc = run(st, rc);
	}
	if (rc == SQLITE_OK) {
		rc = prepare_bind(store, &st, "DELETE FROM offered WHERE "
		    "address = ?", "t", key->address);
		rc = run(st, rc);
	}
	if (rc == SQLITE_OK && (strcmp(event, "refreshed") != 0 || !old_fpr ||
	    strcmp(old_fpr, key->fingerprint) != 0))
		rc = history(store, key->address, now, event, old_fpr,
		    key->fingerprint, detail);
	err = finish(store, rc, "write", why, whysz);
	free(old_fpr);
	free(pin);
	return err;
}

enum getk_err
getk_store_touch(struct getk_store *store, const char *address, time_t now,
    char *why, size_t whysz)
{
	return write_one(store, why, whysz, "UPDATE keys SET fetched = ? WHERE "
	    "address = ?", "it", (long long)now, address);
}

enum getk_err
getk_store_put_negative(struct getk_store *store, const char *address,
    const char *reason, time_t now, time_t expires, char *why, size_t whysz)
{
	return write_one(store, why, whysz, "INSERT OR REPLACE INTO negative "
	    "(address, reason, fetched, expires) VALUES (?, ?, ?, ?)", "ttii",
	    address, reason, (long long)now, (long long)expires);
}

enum getk_err
getk_store_put_keyring(struct getk_store *store, const char *address,
    const char *state, const char *verdict, time_t expires, time_t now,
    char *why, size_t whysz)
{
	return write_one(store, why, whysz, "INSERT OR REPLACE INTO keyring "
	    "(address, state, verdict, expires, checked) VALUES (?, ?, ?, ?, ?)",
	    "tttii", address, state, verdict, (long long)expires,
	    (long long)now);
}

enum getk_err
getk_store_put_offered(struct getk_store *store,
    const struct getk_store_key *key, const char *pinned_fpr, time_t now,
    char *why, size_t whysz)
{
	sqlite3_stmt *st;
	int rc;

	if (exec(store, "BEGIN IMMEDIATE") != SQLITE_OK)
		return db_fail(store, "write", why, whysz);
	rc = prepare_bind(store, &st, "INSERT OR REPLACE INTO offered "
	    "(address, fingerprint, keydata, sources, trust, fetched, expires)"
	    " VALUES (?, ?, ?, ?, ?, ?, ?)", "ttbttii", key->address,
	    key->fingerprint, (const void *)key->data, key->len, key->sources,
	    key->trust, (long long)key->fetched, (long long)key->expires);
	rc = run(st, rc);
	if (rc == SQLITE_OK)
		rc = history(store, key->address, now, "refused", pinned_fpr,
		    key->fingerprint, "key differs from the pinned one");
	return finish(store, rc, "write", why, whysz);
}

enum getk_err
getk_store_accept(struct getk_store *store, const char *address, time_t now,
    char *r_fpr, size_t fprsz, char *why, size_t whysz)
{
	struct getk_store_entry *e = NULL;
	enum getk_err err;

	r_fpr[0] = '\0';
	err = getk_store_get(store, address, &e, why, whysz);
	if (err)
		return err;
	if (!e->offered) {
		getk_store_entry_free(e);
		snprintf(why, whysz, "no key is on offer for %s", address);
		return GETK_ERR_NOKEY;
	}
	e->offered->fetched = now;
	err = getk_store_put_key(store, e->offered, 1, "accepted",
	    e->pin ? "replaces the pinned key" : NULL, now, why, whysz);
	if (!err)
		snprintf(r_fpr, fprsz, "%s", e->offered->fingerprint);
	getk_store_entry_free(e);
	return err;
}

enum getk_err
getk_store_reject(struct getk_store *store, const char *address, time_t now,
    char *r_fpr, size_t fprsz, char *why, size_t whysz)
{
	struct getk_store_entry *e = NULL;
	sqlite3_stmt *st;
	enum getk_err err;
	int rc;

	r_fpr[0] = '\0';
	err = getk_store_get(store, address, &e, why, whysz);
	if (err)
		return err;
	if (!e->offered) {
		getk_store_entry_free(e);
		snprintf(why, whysz, "no key is on offer for %s", address);
		return GETK_ERR_NOKEY;
	}
	snprintf(r_fpr, fprsz, "%s", e->offered->fingerprint);
	if (exec(store, "BEGIN IMMEDIATE") != SQLITE_OK) {
		getk_store_entry_free(e);
		return db_fail(store, "write", why, whysz);
	}
	rc = prepare_bind(store, &st, "DELETE FROM offered WHERE address = ?",
	    "t", address);
	rc = run(st, rc);
	if (rc == SQLITE_OK)
		rc = history(store, address, now, "rejected", e->pin,
		    e->offered->fingerprint, "the pinned key stays");
	getk_store_entry_free(e);
	return finish(store, rc, "write", why, whysz);
}

enum getk_err
getk_store_forget(struct getk_store *store, const char *address, time_t now,
    char *why, size_t whysz)
{
	static const char *const tables[] = { "keys", "pins", "negative",
	    "offered", "keyring" };
	sqlite3_stmt *st;
	char sql[64];
	int rc = SQLITE_OK, changed = 0;
	size_t i;

	if (exec(store, "BEGIN IMMEDIATE") != SQLITE_OK)
		return db_fail(store, "write", why, whysz);
	for (i = 0; rc == SQLITE_OK && i < sizeof(tables) / sizeof(*tables);
	    i++) {
		snprintf(sql, sizeof(sql), "DELETE FROM %s WHERE address = ?",
		    tables[i]);
		rc = prepare_bind(store, &st, sql, "t", address);
		rc = run(st, rc);
		changed += sqlite3_changes(store->db);
	}
	if (rc == SQLITE_OK && changed)
		rc = history(store, address, now, "forgotten", NULL, NULL,
		    NULL);
	if (rc == SQLITE_OK && !changed) {
		exec(store, "ROLLBACK");
		snprintf(why, whysz, "nothing is cached for %s", address);
		return GETK_ERR_NOKEY;
	}
	return finish(store, rc, "write", why, whysz);
}

enum getk_err
getk_store_each_key(struct getk_store *store,
    int (*fn)(void *arg, const struct getk_store_key *key,
    const char *offered), void *arg, char *why, size_t whysz)
{
	sqlite3_stmt *st = NULL;
	enum getk_err err = GETK_OK;
	int rc;

	rc = sqlite3_prepare_v2(store->db, "SELECT address, fingerprint, "
	    "keydata, sources, trust, first_seen, fetched, expires FROM keys "
	    "ORDER BY address", -1, &st, NULL);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct getk_store_key *k = row_key(st);
		struct getk_store_entry *e = NULL;
		int stop;

		if (!k) {
			err = GETK_ERR_NOMEM;
			break;
		}
		err = getk_store_get(store, k->address, &e, why, whysz);
		if (err) {
			getk_store_key_free(k);
			break;
		}
		stop = fn(arg, k, e->offered ? e->offered->fingerprint : NULL);
		getk_store_entry_free(e);
		getk_store_key_free(k);
		if (stop)
			break;
		rc = SQLITE_OK;
	}
	if (!err && rc != SQLITE_DONE && rc != SQLITE_ROW && rc != SQLITE_OK)
		err = db_fail(store, "read", why, whysz);
	sqlite3_finalize(st);
	return err;
}

enum getk_err
getk_store_each_event(struct getk_store *store, const char *address,
    int (*fn)(void *arg, const char *address, time_t when, const char *event,
    const char *old_fpr, const char *new_fpr, const char *detail),
    void *arg, char *why, size_t whysz)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = prepare_bind(store, &st, address ?
	    "SELECT address, time, event, old_fpr, new_fpr, detail FROM "
	    "history WHERE address = ? ORDER BY id" :
	    "SELECT address, time, event, old_fpr, new_fpr, detail FROM "
	    "history ORDER BY id", address ? "t" : "", address);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (fn(arg, (const char *)sqlite3_column_text(st, 0),
		    (time_t)sqlite3_column_int64(st, 1),
		    (const char *)sqlite3_column_text(st, 2),
		    (const char *)sqlite3_column_text(st, 3),
		    (const char *)sqlite3_column_text(st, 4),
		    (const char *)sqlite3_column_text(st, 5)))
			break;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW && rc != SQLITE_OK)
		return db_fail(store, "read", why, whysz);
	return GETK_OK;
}

enum getk_err
getk_store_due(struct getk_store *store, time_t before, char ***r_addrs,
    size_t *r_n, char *why, size_t whysz)
{
	sqlite3_stmt *st = NULL;
	char **list = NULL;
	size_t n = 0;
	int rc;

	*r_addrs = NULL;
	*r_n = 0;
	rc = prepare_bind(store, &st, "SELECT address FROM keys WHERE "
	    "? = 0 OR fetched < ? UNION SELECT address FROM negative WHERE "
	    "? = 0 OR fetched < ? ORDER BY 1", "iiii", (long long)before,
	    (long long)before, (long long)before, (long long)before);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		char **l = realloc(list, (n + 2) * sizeof(*l));

		if (!l || !(l[n] = strdup((const char *)
		    sqlite3_column_text(st, 0)))) {
			if (l)
				list = l;
			rc = SQLITE_NOMEM;
			break;
		}
		list = l;
		list[++n] = NULL;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		while (n)
			free(list[--n]);
		free(list);
		return rc == SQLITE_NOMEM ? GETK_ERR_NOMEM :
		    db_fail(store, "read", why, whysz);
	}
	if (!list)
		list = calloc(1, sizeof(*list));
	if (!list)
		return GETK_ERR_NOMEM;
	*r_addrs = list;
	*r_n = n;
	return GETK_OK;
}

enum getk_err
getk_store_drop_key(struct getk_store *store, const char *address,
    const char *event, const char *fpr, time_t now, char *why, size_t whysz)
{
	sqlite3_stmt *st;
	int rc;

	if (exec(store, "BEGIN IMMEDIATE") != SQLITE_OK)
		return db_fail(store, "write", why, whysz);
	rc = prepare_bind(store, &st, "DELETE FROM keys WHERE address = ?", "t",
	    address);
	rc = run(st, rc);
	if (rc == SQLITE_OK)
		rc = history(store, address, now, event, fpr, NULL, NULL);
	return finish(store, rc, "write", why, whysz);
}

enum getk_err
getk_store_get_policy(struct getk_store *store, const char *domain,
    struct getk_store_policy *r_policy, char *why, size_t whysz)
{
	sqlite3_stmt *st = NULL;
	enum getk_err err = GETK_OK;
	int rc;

	memset(r_policy, 0, sizeof(*r_policy));
	rc = select_one(store, "SELECT id, policy, fetched, expires FROM "
	    "policies WHERE domain = ?", domain, &st);
	if (rc == SQLITE_ROW) {
		r_policy->id = col_text(st, 0);
		r_policy->text = col_text(st, 1);
		r_policy->fetched = (time_t)sqlite3_column_int64(st, 2);
		r_policy->expires = (time_t)sqlite3_column_int64(st, 3);
		if (!r_policy->id || !r_policy->text) {
			getk_store_policy_clear(r_policy);
			err = GETK_ERR_NOMEM;
		}
	} else if (rc != SQLITE_DONE) {
		err = db_fail(store, "read", why, whysz);
	}
	sqlite3_finalize(st);
	return err;
}

enum getk_err
getk_store_put_policy(struct getk_store *store, const char *domain,
    const struct getk_store_policy *policy, char *why, size_t whysz)
{
	return write_one(store, why, whysz, "INSERT OR REPLACE INTO policies "
	    "(domain, id, policy, fetched, expires) VALUES (?, ?, ?, ?, ?)",
	    "tttii", domain, policy->id, policy->text,
	    (long long)policy->fetched, (long long)policy->expires);
}

void
getk_store_policy_clear(struct getk_store_policy *policy)
{
	free(policy->id);
	free(policy->text);
	policy->id = NULL;
	policy->text = NULL;
}
