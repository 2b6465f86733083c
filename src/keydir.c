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
#include <unistd.h>

#include "addr.h"
#include "keydir.h"
#include "packet.h"
#include "wkd.h"

struct getk_keydir {
	char *dir;
	char **domains;		/* lower case, NULL-terminated */
	size_t ndomains;
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

enum getk_err
getk_keydir_lookup(const struct getk_keydir *kd, const char *local,
    size_t llen, const char *domain, size_t dlen, struct getk_buf *key,
    const char **r_why)
{
	char hash[GETK_WKD_HASH_LEN + 1], path[PATH_MAX];
	unsigned char data[GETK_KEYDIR_MAX + 1];
	char why[256];
	size_t before = key->len;
	enum getk_err err;
	long i;
	int fd, n;

	*r_why = NULL;
	i = domain_index(kd, domain, dlen);
	if (i < 0)
		return GETK_ERR_INVAL;
	getk_wkd_hash(local, llen, hash);
	n = snprintf(path, sizeof(path), "%s/%s/hu/%s", kd->dir,
	    kd->domains[i], hash);
	if (n < 0 || (size_t)n >= sizeof(path) || !hash[0]) {
		errno = ENAMETOOLONG;
		return GETK_ERR_SYSTEM;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0) {
		/* ELOOP: a symbolic link, which a WKD never needs. */
		if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
			return GETK_ERR_NOKEY;
		return GETK_ERR_SYSTEM;
	}
	/* One read(2): a short read of a regular file is its end, and a
	 * file that fills the buffer is too large anyway. */
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
	if (!err)
		err = getk_buf_add(key, data, (size_t)n);
	if (err)
		key->len = before;
	return err;
}
