/*
 * keydata.c: key records (key.h) as plain memory: made from bytes and
 * freed, without gpgme, so that a key answered from the cache needs no
 * OpenPGP library.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "key.h"

void
getk_key_free(struct getk_key *key)
{
	if (!key)
		return;
	free(key->data);
	free(key);
}

enum getk_err
getk_key_from_data(const unsigned char *data, size_t len, const char *fpr,
    time_t created, time_t expires, struct getk_key **r_key)
{
	struct getk_key *key;

	*r_key = NULL;
	key = calloc(1, sizeof(*key));
	if (!key || !(key->data = malloc(len ? len : 1))) {
		free(key);
		return GETK_ERR_NOMEM;
	}
	memcpy(key->data, data, len);
	key->len = len;
	snprintf(key->fpr, sizeof(key->fpr), "%s", fpr);
	key->created = created;
	key->expires = expires;
	*r_key = key;
	return GETK_OK;
}
