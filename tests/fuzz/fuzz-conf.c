/*
 * fuzz-conf.c: libFuzzer target for the configuration parser
 * (src/conf.c).
 *
 * The input is a configuration file "fuzz" with HOME "/home/fuzz".  Either
 * a configuration or a message "fuzz:LINE: ..." comes back, never both;
 * an accepted configuration must hold only values the keywords allow, its
 * accounts must be found by name, and everything is freed (LeakSanitizer
 * checks that).
 */
#include <config.h>

#include "fuzz.h"
#include "conf.h"

static void
check_list(char *const *list)
{
	size_t i;

	for (i = 0; list && list[i]; i++)
		ASSERT(*list[i] != '\0');
}

static void
check_account(const struct getk_account *a)
{
	size_t i, k;

	ASSERT(a->nsources >= 1 && a->nsources <= GETK_NSOURCES);
	for (i = 0; i < a->nsources; i++) {
		ASSERT(a->sources[i] != GETK_SOURCE_CACHE);
		for (k = 0; k < i; k++)
			ASSERT(a->sources[i] != a->sources[k]);
	}
	ASSERT(a->getk_port >= 1 && a->getk_port <= 65535);
	ASSERT(a->port >= 0 && a->port <= 65535);
	ASSERT(a->timeout >= 1 && a->timeout <= 3600);
	ASSERT(a->refresh_after >= 0 && a->negative_ttl >= 0);
	ASSERT(a->tls == 0 || a->tls == 1);
	ASSERT(a->tls_starttls == 0 || a->tls_starttls == 1);
	ASSERT(a->encrypt_to_self == 0 || a->encrypt_to_self == 1);
	ASSERT(a->protect_subject == 0 || a->protect_subject == 1);
	ASSERT(a->key_trust_any == 0 || a->key_trust_any == 1);
	ASSERT(a->missing_key_plaintext == 0 || a->missing_key_plaintext == 1);
	check_list(a->dns_servers);
	check_list(a->connect_to);
	if (a->dns_trust_anchor)
		ASSERT(*a->dns_trust_anchor != '\0');
	if (a->auth)
		ASSERT(*a->auth != '\0');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct getk_config *cfg = NULL;
	char msg[1024];
	enum getk_err err;
	size_t i;

	memset(msg, 'x', sizeof(msg));
	err = getk_config_parse((const char *)data, size, "fuzz",
	    "/home/fuzz", &cfg, msg, sizeof(msg));
	if (err == GETK_OK) {
		ASSERT(cfg != NULL && msg[0] == '\0');
		check_account(&cfg->defaults);
		ASSERT(cfg->defaults.name == NULL);
		for (i = 0; i < cfg->naccounts; i++) {
			const struct getk_account *a = cfg->accounts[i];

			ASSERT(a->name && *a->name);
			ASSERT(getk_config_account(cfg, a->name) == a);
			check_account(a);
		}
		if (cfg->default_account)
			ASSERT(getk_config_account(cfg, NULL) != NULL);
		else
			ASSERT(getk_config_account(cfg, NULL) ==
			    &cfg->defaults);
	} else {
		const char *p;

		ASSERT(err == GETK_ERR_CONFIG || err == GETK_ERR_NOMEM);
		ASSERT(cfg == NULL);
		ASSERT(memchr(msg, '\0', sizeof(msg)) != NULL);
		if (err == GETK_ERR_CONFIG) {
			ASSERT(strncmp(msg, "fuzz:", 5) == 0);
			for (p = msg + 5; *p >= '0' && *p <= '9'; p++)
				;
			ASSERT(p > msg + 5 && p[0] == ':' && p[1] == ' ');
		}
	}
	getk_config_free(cfg);
	return 0;
}
