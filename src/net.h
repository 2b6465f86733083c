/*
 * net.h: the network half of the lookup, as the cache (lookup.c) sees it.
 *
 * Everything that needs libcurl, libunbound, gpgme or libgcrypt is behind
 * this table: the engine (DNS, SMTP, HTTPS and the verification of what
 * they offer), the gpg runs of the pin rules, and the keyring source's
 * listing and export.  A cache hit asks for none of them, so a program
 * that gets the table from getk-net.so (netload.c: getk-fetch) maps none
 * of those libraries until a lookup needs the network or gpg; one that
 * links the network half in (netlink.c: getk-sendmail, the unit tests)
 * gets the same functions directly.
 */
#ifndef GETK_NET_H
#define GETK_NET_H

#include <stddef.h>
#include <time.h>

#include "engine.h"
#include "key.h"
#include "keyring.h"

/* Changes with any change of this table or of the structures it takes,
 * so that a program never uses a module of another build. */
#define GETK_NET_ABI 3

struct getk_net {
	int abi;			/* GETK_NET_ABI */
	const char *version;		/* PACKAGE_VERSION */
	size_t sizes;			/* getk_net_sizes() of the build */
	/* engine.h */
	enum getk_err (*engine_run)(const struct getk_lookup_settings *s,
	    const char **boxes, size_t n, struct getk_result *results,
	    struct getk_store_entry *const *known, struct finding *keyring,
	    char *why, size_t whysz);
	/* key.h */
	enum getk_err (*key_engine_init)(void);
	enum getk_err (*key_lib_init)(void);
	enum getk_err (*key_certifies)(const unsigned char *old_key,
	    size_t old_len, const char *old_fpr, const unsigned char *new_key,
	    size_t new_len, const char *new_fpr, const char *tmpdir,
	    long deadline_ms, int *r_yes);
	/* keyring.h */
	enum getk_err (*keyring_open)(const char *home, const char *tmpdir,
	    struct getk_keyring **r_kr, char *why, size_t whysz);
	enum getk_err (*keyring_list)(struct getk_keyring *kr,
	    long deadline_ms, const char *const *mailboxes, size_t n,
	    struct getk_keyring_find *finds, char *why, size_t whysz);
	enum getk_err (*keyring_export)(struct getk_keyring *kr,
	    long deadline_ms, const char *const *fprs, size_t n,
	    const time_t *created, const time_t *expires,
	    struct getk_key **keys, char *why, size_t whysz);
	void (*keyring_close)(struct getk_keyring *kr);
};

/* A check sum of the sizes of the structures the table passes. */
#define getk_net_sizes() (sizeof(struct getk_lookup_settings) + \
	3 * sizeof(struct getk_result) + 5 * sizeof(struct finding) + \
	7 * sizeof(struct getk_store_entry) + 11 * sizeof(struct getk_key) + \
	13 * sizeof(struct getk_keyring_find) + 17 * sizeof(struct getk_net))

/*
 * The network half, for getk_lookup_settings' net; call from the main
 * thread.  NULL when it cannot be had, with WHY (WHYSZ bytes) saying why.
 *
 * getk_net_load (netload.c, getk-fetch): loaded from getk-net.so and
 * initialised (libcurl, libgcrypt) on the first call, then kept for the
 * life of the process.
 *
 * getk_net_linked (netlink.c, libgetk.a): linked into the program, which
 * has initialised libcurl and libgcrypt itself (getk-sendmail's main).
 */
const struct getk_net *getk_net_load(char *why, size_t whysz);
const struct getk_net *getk_net_linked(char *why, size_t whysz);

/*
 * The table of the network half, in the program or module that holds
 * it, after libcurl's and libgcrypt's initialisation; NULL with WHY when
 * either fails.  netlink.c; getk-net.so exports it as its one symbol.
 */
const struct getk_net *getk_net_table(char *why, size_t whysz);

#endif
