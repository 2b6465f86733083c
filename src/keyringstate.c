/*
 * keyringstate.c: what the keyring source knows of a GnuPG home without
 * gpg (keyring.h): where it is, whether it holds a keyring, and the state
 * of its files, by which a cache hit tells that the keyring has not
 * changed since its last listing.  Apart from keyring.c so that such a
 * hit loads neither gpgme nor libgcrypt.
 */
#include <config.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "conf.h"
#include "keyring.h"
#include "sha256.h"

/*
 * The files of a GnuPG home that decide what gpg lists: the public
 * keyring (a keybox, or the keyring of gpg before 2.1), the trustdb, the
 * TOFU database with its journal, and gpg.conf.  The copy takes these
 * (gpg.conf only in part), and the state is made of them.
 */
const char *const getk_keyring_files[] = { "pubring.kbx", "pubring.gpg",
    "trustdb.gpg", "tofu.db", "tofu.db-wal", "tofu.db-journal", "gpg.conf" };
const size_t getk_keyring_nfiles = sizeof(getk_keyring_files) /
    sizeof(getk_keyring_files[0]);

enum getk_err
getk_keyring_home(const char *home, char **r_home)
{
	return getk_default_path(home && *home ? home : NULL, "GNUPGHOME", 0,
	    NULL, ".gnupg", r_home);
}

/* Non-zero when NAME is a regular file (symbolic links followed). */
static int
is_file(const char *home, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", home, name) >=
	    sizeof(path))
		return 0;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int
getk_keyring_present(const char *home)
{
	return is_file(home, "pubring.kbx") || is_file(home, "pubring.gpg");
}

void
getk_keyring_state(const char *home, char r_state[65], int *r_present)
{
	struct getk_buf b;
	struct stat st;
	char path[PATH_MAX];
	size_t i;
	enum getk_err err;

	r_state[0] = '\0';
	*r_present = getk_keyring_present(home);
	getk_buf_init(&b, 64 * 1024);
	err = getk_buf_printf(&b, "%s\n", home);
	for (i = 0; !err && i < getk_keyring_nfiles; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", home,
		    getk_keyring_files[i]) >= sizeof(path) ||
		    stat(path, &st) != 0) {
			err = getk_buf_printf(&b, "%s -\n",
			    getk_keyring_files[i]);
			continue;
		}
		/* The change time catches a file rewritten within the
		 * resolution of its modification time, or set back. */
		err = getk_buf_printf(&b, "%s %llu %llu %o %lld %lld.%09ld "
		    "%lld.%09ld\n", getk_keyring_files[i],
		    (unsigned long long)st.st_dev,
		    (unsigned long long)st.st_ino, (unsigned)st.st_mode,
		    (long long)st.st_size, (long long)st.st_mtim.tv_sec,
		    st.st_mtim.tv_nsec, (long long)st.st_ctim.tv_sec,
		    st.st_ctim.tv_nsec);
	}
	/* Without a state, nothing remembered ever matches. */
	if (!err)
		getk_sha256_hex(b.data, b.len, r_state);
	getk_buf_free(&b);
}
