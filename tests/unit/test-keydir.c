/*
 * test-keydir.c: unit tests of src/keydir.c: the domains of a key_dir,
 * lookups in its WKD layout (DOMAIN/hu/HASH), and files that are no key
 * (the packet check itself is test-packet's).  The key_dir is made in a temporary
 * directory; the hash of "Joe.Doe" is DESIGN.md's vector.
 */
#include <config.h>

#include <gcrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keydir.h"
#include "unit.h"

/* A minimal public key packet: old format, tag 6, 12 body bytes. */
static const unsigned char pubkey[] = { 0x99, 0x00, 0x0c, 4, 0, 0, 0, 0, 22,
    1, 2, 3, 4, 5, 6, 0xb4, 0x03, 'a', '@', 'b' };

static void
put(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(data, 1, len, f) != len)
		BAIL_OUT("cannot write %s", path);
	fclose(f);
}

static void
test_lookup(const char *dir)
{
	char path[512], d1[] = "Example.ORG", d2[] = "example.net";
	char *domains[] = { d1, d2, NULL };
	struct getk_keydir *kd = NULL;
	struct getk_buf key;
	const char *why;
	unsigned char *big;

	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/example.org", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/example.org/hu", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/Other.Example", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/not a domain", dir);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/file.example", dir);
	put(path, "x", 1);
	snprintf(path, sizeof(path),
	    "%s/example.org/hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q", dir);
	put(path, pubkey, sizeof(pubkey));
	/* bob: not a key; carol: too large. */
	snprintf(path, sizeof(path),
	    "%s/example.org/hu/%s", dir, "jycbiujnsxs47xrkethgtj69xuunurok");
	put(path, "-----BEGIN PGP PUBLIC KEY BLOCK-----\n", 37);
	big = calloc(1, GETK_KEYDIR_MAX + 1);
	big[0] = 0xc6;
	snprintf(path, sizeof(path),
	    "%s/example.org/hu/%s", dir, "fnh1sizqc1h17q515b19nhzxyddotzhd");
	put(path, big, GETK_KEYDIR_MAX + 1);
	free(big);

	CHECK(getk_keydir_new(dir, NULL, &kd) == GETK_OK, "listed");
	CHECK_INT(getk_keydir_ndomains(kd), 2, "two directories are domains");
	CHECK(getk_keydir_serves(kd, "EXAMPLE.org", 11) &&
	    getk_keydir_serves(kd, "other.example", 13),
	    "served, case-insensitively");
	CHECK(!getk_keydir_serves(kd, "file.example", 12), "a file is not");
	getk_buf_init(&key, 0);
	CHECK(getk_keydir_lookup(kd, "Joe.Doe", 7, "example.org", 11, &key,
	    &why) == GETK_OK && key.len == sizeof(pubkey) &&
	    memcmp(key.data, pubkey, key.len) == 0, "Joe.Doe's key");
	getk_buf_free(&key);
	CHECK(getk_keydir_lookup(kd, "JOE.DOE", 7, "Example.Org", 11, &key,
	    &why) == GETK_OK, "the local part lower-cased for the hash");
	getk_buf_free(&key);
	CHECK(getk_keydir_lookup(kd, "nobody", 6, "example.org", 11, &key,
	    &why) == GETK_ERR_NOKEY && why == NULL && key.len == 0,
	    "no file: no key, nothing to log");
	CHECK(getk_keydir_lookup(kd, "joe", 3, "other.example", 13, &key,
	    &why) == GETK_ERR_NOKEY, "no hu directory: no key");
	CHECK(getk_keydir_lookup(kd, "joe", 3, "example.com", 11, &key,
	    &why) == GETK_ERR_INVAL, "a domain not served");
	getk_keydir_free(kd);

	CHECK(getk_keydir_new(dir, domains, &kd) == GETK_OK &&
	    getk_keydir_ndomains(kd) == 2 &&
	    strcmp(getk_keydir_domain(kd, 0), "example.org") == 0,
	    "domain keywords: those, lower-cased");
	CHECK(!getk_keydir_serves(kd, "other.example", 13),
	    "and no directory besides");
	getk_keydir_free(kd);
	getk_keydir_free(NULL);
	CHECK(getk_keydir_new("/nonexistent/wks", NULL, &kd) ==
	    GETK_ERR_SYSTEM, "a key_dir that cannot be listed");
}

static void
test_bad_files(const char *dir)
{
	struct getk_keydir *kd = NULL;
	struct getk_buf key;
	const char *why = NULL;

	getk_keydir_new(dir, NULL, &kd);
	getk_buf_init(&key, 0);
	CHECK(getk_keydir_lookup(kd, "bob", 3, "example.org", 11, &key,
	    &why) == GETK_ERR_NOKEY && why && strstr(why, "not an OpenPGP"),
	    "an armored file: no key, and why (%s)", why ? why : "");
	why = NULL;
	CHECK(getk_keydir_lookup(kd, "carol", 5, "example.org", 11, &key,
	    &why) == GETK_ERR_NOKEY && why && strstr(why, "65536"),
	    "a file over 65536 octets: no key, and why");
	CHECK_INT(key.len, 0, "nothing appended");
	getk_keydir_free(kd);
}

/*
 * The cache: a key file read once is served from memory while its stat(2)
 * is the same, and read again when it changes, goes or becomes a link.
 * Files changed in the last second are never kept, so the files are made
 * and then aged by waiting.
 */
static void
test_cache(const char *dir)
{
	static const unsigned char other[] = { 0x99, 0x00, 0x0d, 4, 0, 0, 0,
	    0, 22, 1, 2, 3, 4, 5, 6, 7, 0xb4, 0x03, 'a', '@', 'b' };
	static const unsigned char same_size[] = { 0x99, 0x00, 0x0d, 4, 0, 0,
	    0, 0, 22, 7, 6, 5, 4, 3, 2, 1, 0xb4, 0x03, 'a', '@', 'b' };
	char path[512], tmp[512];
	struct getk_keydir *kd = NULL;
	struct getk_buf key;
	const char *why = NULL;
	int i, ok;

	snprintf(path, sizeof(path),
	    "%s/example.org/hu/iy9q119eutrkn8s1mk4r39qejnbu3n5q", dir);
	snprintf(tmp, sizeof(tmp), "%s/example.org/hu/tmp", dir);
	put(path, pubkey, sizeof(pubkey));
	sleep(2);
	getk_keydir_new(dir, NULL, &kd);
	getk_buf_init(&key, 0);
	for (i = 0, ok = 1; i < 3; i++) {
		key.len = 0;
		ok &= getk_keydir_lookup(kd, "Joe.Doe", 7, "example.org", 11,
		    &key, &why) == GETK_OK && key.len == sizeof(pubkey) &&
		    memcmp(key.data, pubkey, key.len) == 0;
	}
	CHECK(ok, "the same key at every lookup, cached or not");
	for (i = 0, ok = 1; i < 2; i++)
		ok &= getk_keydir_lookup(kd, "bob", 3, "example.org", 11, &key,
		    &why) == GETK_ERR_NOKEY && why && strstr(why, "not an");
	CHECK(ok, "a file that is no key: no key again, with its reason");

	/* Replaced, as gpg-wks-server does: a new file renamed over it. */
	put(tmp, other, sizeof(other));
	CHECK(rename(tmp, path) == 0, "key replaced");
	key.len = 0;
	CHECK(getk_keydir_lookup(kd, "Joe.Doe", 7, "example.org", 11, &key,
	    &why) == GETK_OK && key.len == sizeof(other) &&
	    memcmp(key.data, other, key.len) == 0, "the new key at once");
	/* Aged and kept, then written in place with as many bytes: only
	 * the times tell. */
	sleep(2);
	getk_keydir_lookup(kd, "Joe.Doe", 7, "example.org", 11, &key, &why);
	put(path, same_size, sizeof(same_size));
	key.len = 0;
	CHECK(getk_keydir_lookup(kd, "Joe.Doe", 7, "example.org", 11, &key,
	    &why) == GETK_OK && key.len == sizeof(same_size) &&
	    memcmp(key.data, same_size, key.len) == 0,
	    "a key rewritten in place: the new bytes");
	CHECK(unlink(path) == 0 && symlink("../../file.example", path) == 0,
	    "key replaced by a symbolic link");
	CHECK(getk_keydir_lookup(kd, "Joe.Doe", 7, "example.org", 11, &key,
	    &why) == GETK_ERR_NOKEY, "a symbolic link: no key");
	CHECK(unlink(path) == 0, "key removed");
	CHECK(getk_keydir_lookup(kd, "Joe.Doe", 7, "example.org", 11, &key,
	    &why) == GETK_ERR_NOKEY && why == NULL,
	    "a removed key: no key at once");
	getk_buf_free(&key);
	getk_keydir_free(kd);
}

int
main(void)
{
	char dir[] = "/tmp/test-keydir.XXXXXX", cmd[64];

	if (!gcry_check_version(GCRYPT_VERSION))
		BAIL_OUT("libgcrypt version mismatch");
	gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
	gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
	if (!mkdtemp(dir))
		BAIL_OUT("mkdtemp");
	test_lookup(dir);
	test_bad_files(dir);
	test_cache(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		DIAG("could not remove %s", dir);
	return done_testing();
}
