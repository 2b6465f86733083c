/*
 * keydir.c: key lookups in a Web Key Directory on disk.
 *
 * Unknown users and users without a key must look alike to a client
 * (GETK.md section 5): in a WKD both are simply a missing file, and the
 * lookup does the same work for both, so that neither the reply nor its
 * timing tells them apart.  A file that is there but too large or not a
 * key is "no key" too, with a reason for the log.
 */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "keydir.h"
#include "packet.h"
#include "wkd.h"

/* The cache: slots chosen by the hash, and the bytes they may hold. */
#define CACHE_SLOTS 1024
#define CACHE_BYTES (4 * 1024 * 1024)

/* One key file as it was read, or the reason it is no key. */
struct cached {
	long domain;			/* index in domains; -1: slot free */
	char hash[GETK_WKD_HASH_LEN + 1];
	dev_t dev;			/* the file's identity and state */
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
	const char *why;		/* NULL: DATA is a key */
	unsigned char *data;
	size_t len;
};

struct getk_keydir {
	char *dir;
	char **domains;		/* lower case, NULL-terminated */
	size_t ndomains;
	struct cached *cache;	/* CACHE_SLOTS, made at the first lookup */
	size_t cached_bytes;
};

static int
ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Whether the LEN bytes at S are a domain name getkd may use in a path. */
static int
domain_name_ok(const char *s, size_t len)
{
	char probe[GETK_MAX_DOMAIN + 3];

	if (len == 0 || len > GETK_MAX_DOMAIN)
		return 0;
	probe[0] = 'a';
	probe[1] = '@';
	memcpy(probe + 2, s, len);
	return getk_mailbox_check(probe, len + 2) == NULL;
}

static enum getk_err
add_domain(struct getk_keydir *kd, const char *name, size_t len)
{
	char **list, *copy;
	size_t i;

	if (!domain_name_ok(name, len) || getk_keydir_serves(kd, name, len))
		return GETK_OK;
	copy = malloc(len + 1);
	if (!copy)
		return GETK_ERR_NOMEM;
	for (i = 0; i < len; i++)
		copy[i] = (char)ascii_lower((unsigned char)name[i]);
	copy[len] = '\0';
	list = realloc(kd->domains, (kd->ndomains + 2) * sizeof(*list));
	if (!list) {
		free(copy);
		return GETK_ERR_NOMEM;
	}
	list[kd->ndomains++] = copy;
	list[kd->ndomains] = NULL;
	kd->domains = list;
	return GETK_OK;
}

/* Every subdirectory of KD->dir named like a domain. */
static enum getk_err
list_domains(struct getk_keydir *kd)
{
	struct dirent *de;
	enum getk_err err = GETK_OK;
	DIR *d;

	d = opendir(kd->dir);
	if (!d)
		return GETK_ERR_SYSTEM;
	for (;;) {
		struct stat st;

		de = readdir(d);
		if (!de || err)
			break;
		if (de->d_name[0] == '.')
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, 0) != 0 ||
		    !S_ISDIR(st.st_mode))
			continue;
		err = add_domain(kd, de->d_name, strlen(de->d_name));
	}
	closedir(d);
	return err;
}

enum getk_err
getk_keydir_new(const char *dir, char *const *domains,
    struct getk_keydir **r_kd)
{
	struct getk_keydir *kd;
	enum getk_err err = GETK_OK;
	size_t i;

	*r_kd = NULL;
	kd = calloc(1, sizeof(*kd));
	if (!kd)
		return GETK_ERR_NOMEM;
	kd->dir = strdup(dir);
	if (!kd->dir)
		err = GETK_ERR_NOMEM;
	for (i = 0; !err && domains && domains[i]; i++)
		err = add_domain(kd, domains[i], strlen(domains[i]));
	if (!err && (!domains || !domains[0]))
		err = list_domains(kd);
	if (err) {
		int saved = errno;

		getk_keydir_free(kd);
		errno = saved;
		return err;
	}
	*r_kd = kd;
	return GETK_OK;
}

void
getk_keydir_free(struct getk_keydir *kd)
{
	size_t i;

	if (!kd)
		return;
	for (i = 0; i < kd->ndomains; i++)
		free(kd->domains[i]);
	free(kd->domains);
	if (kd->cache)
		for (i = 0; i < CACHE_SLOTS; i++)
			free(kd->cache[i].data);
	free(kd->cache);
	free(kd->dir);
	free(kd);
}

size_t
getk_keydir_ndomains(const struct getk_keydir *kd)
{
	return kd->ndomains;
}

const char *
getk_keydir_domain(const struct getk_keydir *kd, size_t i)
{
	return i < kd->ndomains ? kd->domains[i] : NULL;
}

/* The index of the served domain DOMAIN, or -1. */
static long
domain_index(const struct getk_keydir *kd, const char *domain, size_t dlen)
{
	size_t i;

	for (i = 0; i < kd->ndomains; i++)
		if (strlen(kd->domains[i]) == dlen &&
		    strncasecmp(kd->domains[i], domain, dlen) == 0)
			return (long)i;
	return -1;
}

int
getk_keydir_serves(const struct getk_keydir *kd, const char *domain,
    size_t dlen)
{
	return domain_index(kd, domain, dlen) >= 0;
}

/* PATH (SIZE bytes) = "DIR/DOMAIN/hu/HASH"; -1 when it does not fit. */
static int
join_path(char *path, size_t size, const char *dir, const char *domain,
    const char *hash)
{
	const char *parts[] = { dir, "/", domain, "/hu/", hash };
	size_t i, used = 0;

	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		size_t n = strlen(parts[i]);

		if (n >= size - used)
			return -1;
		memcpy(path + used, parts[i], n);
		used += n;
	}
	path[used] = '\0';
	return 0;
}

/* The slot of the file HASH of domain I. */
static struct cached *
slot_of(struct getk_keydir *kd, long i, const char *hash)
{
	unsigned long h = (unsigned long)i;
	const char *c;

	/* The hash is already uniform: a few of its letters will do. */
	for (c = hash; *c && c < hash + 8; c++)
		h = h * 33 + (unsigned char)*c;
	return &kd->cache[h % CACHE_SLOTS];
}

static int
same_time(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

/* Whether slot C holds the file HASH of domain I in the state ST. */
static int
cache_hit(const struct cached *c, long i, const char *hash,
    const struct stat *st)
{
	return c->domain == i && strcmp(c->hash, hash) == 0 &&
	    c->dev == st->st_dev && c->ino == st->st_ino &&
	    c->size == st->st_size && same_time(&c->mtime, &st->st_mtim) &&
	    same_time(&c->ctime, &st->st_ctim);
}

static void
cache_drop(struct getk_keydir *kd, struct cached *c)
{
	kd->cached_bytes -= c->len;
	free(c->data);
	memset(c, 0, sizeof(*c));
	c->domain = -1;
}

/*
 * Keeps what was read of the file HASH of domain I in the state ST: its
 * LEN bytes at DATA when WHY is NULL, else only WHY.  A file changed in
 * the last second, or one over the byte budget, is not kept.
 */
static void
cache_put(struct getk_keydir *kd, struct cached *c, long i, const char *hash,
    const struct stat *st, const unsigned char *data, size_t len,
    const char *why)
{
	time_t now = time(NULL);

	if (c->domain >= 0)
		cache_drop(kd, c);
	if (now == (time_t)-1 || st->st_ctim.tv_sec >= now - 1 ||
	    st->st_mtim.tv_sec >= now - 1)
		return;
	if (why)
		len = 0;
	if (kd->cached_bytes + len > CACHE_BYTES)
		return;
	if (len) {
		c->data = malloc(len);
		if (!c->data)
			return;
		memcpy(c->data, data, len);
	}
	c->len = len;
	kd->cached_bytes += len;
	c->domain = i;
	memcpy(c->hash, hash, sizeof(c->hash));
	c->dev = st->st_dev;
	c->ino = st->st_ino;
	c->size = st->st_size;
	c->mtime = st->st_mtim;
	c->ctime = st->st_ctim;
	c->why = why;
}

/* The slots, all free; NULL when out of memory (lookups then read). */
static struct cached *
cache_new(void)
{
	struct cached *cache = calloc(CACHE_SLOTS, sizeof(*cache));
	size_t i;

	for (i = 0; cache && i < CACHE_SLOTS; i++)
		cache[i].domain = -1;
	return cache;
}

enum getk_err
getk_keydir_lookup(struct getk_keydir *kd, const char *local, size_t llen,
    const char *domain, size_t dlen, struct getk_buf *key,
    const char **r_why)
{
	char hash[GETK_WKD_HASH_LEN + 1], path[PATH_MAX];
	unsigned char data[GETK_KEYDIR_MAX + 1];
	char why[256];
	struct cached *c = NULL;
	struct stat st;
	size_t before = key->len;
	enum getk_err err;
	long i;
	int fd, n;

	*r_why = NULL;
	i = domain_index(kd, domain, dlen);
	if (i < 0)
		return GETK_ERR_INVAL;
	getk_wkd_hash(local, llen, hash);
	if (!hash[0] || join_path(path, sizeof(path), kd->dir, kd->domains[i],
	    hash) != 0) {
		errno = ENAMETOOLONG;
		return GETK_ERR_SYSTEM;
	}
	/* The one system call of a lookup, whether the user has a key, has
	 * none or does not exist.  A symbolic link, which a WKD never
	 * needs, is no key, as open(2) with O_NOFOLLOW would have it. */
	if (fstatat(AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return GETK_ERR_NOKEY;
		return GETK_ERR_SYSTEM;
	}
	if (S_ISLNK(st.st_mode))
		return GETK_ERR_NOKEY;
	if (S_ISDIR(st.st_mode)) {
		*r_why = "key file is a directory";
		return GETK_ERR_NOKEY;
	}
	if (!S_ISREG(st.st_mode)) {
		*r_why = "key file is not a regular file";
		return GETK_ERR_NOKEY;
	}
	if (st.st_size > GETK_KEYDIR_MAX) {
		*r_why = "key file larger than 65536 octets";
		return GETK_ERR_NOKEY;
	}
	if (!kd->cache)
		kd->cache = cache_new();
	if (kd->cache) {
		c = slot_of(kd, i, hash);
		if (cache_hit(c, i, hash, &st)) {
			*r_why = c->why;
			if (c->why)
				return GETK_ERR_NOKEY;
			return getk_buf_add(key, c->data, c->len);
		}
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		/* Gone or replaced by a link since the stat(2). */
		if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
			return GETK_ERR_NOKEY;
		return GETK_ERR_SYSTEM;
	}
	/* One read(2): a short read of a regular file is its end, and a
	 * file that fills the buffer is too large anyway.  What is read is
	 * kept with the state the stat(2) saw: if the file changed between
	 * the two, the next lookup sees another state and reads it again. */
	n = (int)read(fd, data, sizeof(data));
	close(fd);
	err = GETK_OK;
	if (n < 0 && errno == EISDIR) {
		*r_why = "key file is a directory";
		err = GETK_ERR_NOKEY;
	} else if (n < 0) {
		err = GETK_ERR_SYSTEM;
	} else if ((size_t)n > GETK_KEYDIR_MAX) {
		*r_why = "key file larger than 65536 octets";
		err = GETK_ERR_NOKEY;
	} else if (getk_packet_check_key(data, (size_t)n, why, sizeof(why)) !=
	    GETK_OK) {
		*r_why = "key file is not an OpenPGP public key";
		err = GETK_ERR_NOKEY;
	}
	if (c && (err == GETK_OK || err == GETK_ERR_NOKEY))
		cache_put(kd, c, i, hash, &st, data, (size_t)n, *r_why);
	if (!err)
		err = getk_buf_add(key, data, (size_t)n);
	if (err)
		key->len = before;
	return err;
}
