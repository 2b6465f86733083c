/*
 * netlink.c: the network half linked into the program (net.h), for
 * getk-sendmail, the unit tests and getk-net.so itself.
 */
#include <config.h>

#include <stdio.h>

#include <curl/curl.h>

#include "net.h"

static const struct getk_net table = {
	GETK_NET_ABI,
	PACKAGE_VERSION,
	getk_net_sizes(),
	getk_engine_run,
	getk_key_engine_init,
	getk_key_lib_init,
	getk_key_certifies,
	getk_keyring_open,
	getk_keyring_list,
	getk_keyring_export,
	getk_keyring_close
};

const struct getk_net *
getk_net_table(char *why, size_t whysz)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		snprintf(why, whysz, "cannot initialise libcurl");
		return NULL;
	}
	if (getk_key_init() != GETK_OK) {
		snprintf(why, whysz, "cannot initialise libgcrypt");
		return NULL;
	}
	return &table;
}

/* Linked in: the program initialised libcurl and libgcrypt itself, as
 * getk-sendmail does in main(). */
const struct getk_net *
getk_net_linked(char *why, size_t whysz)
{
	(void)why;
	(void)whysz;
	return &table;
}
