/*
 * netload.c: the network half as a module (net.h), for getk-fetch: the
 * first lookup that needs the network or gpg loads getk-net.so, and with
 * it libcurl, libunbound, gpgme and libgcrypt; answers from the cache
 * never do.
 *
 * The module is found by a path fixed at build time, never through the
 * environment: the installed program loads GETK_NET_MODULE (in
 * pkglibdir), and only the program that runs from the build tree, where
 * `make check` runs it, loads the module built beside it.  The module
 * must come from the same build: its table carries the ABI number, the
 * version and the sizes of the structures it passes.
 */
#include <config.h>

#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"

/* The module's path: the build tree's module for the program of the
 * build tree, else the installed one.  A build tree too deep for PATH
 * leaves the installed one. */
static void
module_path(char *path, size_t sz)
{
	char exe[PATH_MAX], dir[PATH_MAX], *slash;

	snprintf(path, sz, "%s", GETK_NET_MODULE);
	if (!realpath("/proc/self/exe", exe) || !realpath(GETK_BUILDDIR, dir))
		return;
	slash = strrchr(exe, '/');
	if (!slash)
		return;
	*slash = '\0';
	if (strcmp(exe, dir) == 0 && strlen(dir) + sizeof("/getk-net.so") <=
	    sz)
		snprintf(path, sz, "%.*s/getk-net.so", (int)(sz -
		    sizeof("/getk-net.so")), dir);
}

const struct getk_net *
getk_net_load(char *why, size_t whysz)
{
	/* The process's one copy of the module, kept once loaded: it is
	 * never unloaded, so this is written once, from the main thread. */
	static const struct getk_net *loaded;
	const struct getk_net *(*table)(char *, size_t);
	const struct getk_net *net;
	char path[PATH_MAX];
	void *h;

	if (loaded)
		return loaded;
	module_path(path, sizeof(path));
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(why, whysz, "cannot load %s: %s", path, dlerror());
		return NULL;
	}
	*(void **)&table = dlsym(h, "getk_net_table");
	if (!table) {
		snprintf(why, whysz, "%s is not getk's network module", path);
		return NULL;
	}
	net = table(why, whysz);
	if (!net)
		return NULL;
	if (net->abi != GETK_NET_ABI || strcmp(net->version,
	    PACKAGE_VERSION) != 0 || net->sizes != getk_net_sizes()) {
		snprintf(why, whysz, "%s is of another build of getk (%s), not "
		    "of this one (%s)", path, net->version, PACKAGE_VERSION);
		return NULL;
	}
	loaded = net;
	return loaded;
}
