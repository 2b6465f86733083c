/*
 * source-dane.c: the dane source (RFC 7929): the OPENPGPKEY records that
 * DNS round 1 brought, when DNSSEC-secure.
 */
#include <config.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "engine.h"

/*
 * The dane source for one address: the DNSSEC-secure OPENPGPKEY answer,
 * for the local part as given, else ASCII-lower-cased (RFC 7929 3).
 */
void
getk_source_dane(void *arg)
{
	struct address *a = arg;
	struct finding *f = &a->f[GETK_SOURCE_DANE];
	struct getk_buf keys;
	size_t k, i;

	getk_buf_init(&keys, a->e->s->max_octets);
	getk_finding_set(f, F_NOKEY, "no OPENPGPKEY record");
	for (k = 0; k < a->ndane; k++) {
		const struct getk_dns_query *q = &a->e->q[a->q_dane[k]];

		if (q->err == GETK_ERR_DNS_BOGUS) {
			/* An attack or a broken zone, never "no key". */
			getk_finding_set(f, F_TEMP, "OPENPGPKEY %s: %s", q->name,
			    q->why);
			goto leave;
		}
		if (q->err) {
			getk_finding_set(f, F_TEMP, "OPENPGPKEY %s: %s", q->name,
			    q->why);
			continue;
		}
		if (q->nrr == 0)
			continue;
		if (!q->secure) {
			getk_finding_set(f, F_NOKEY, "OPENPGPKEY %s is not "
			    "DNSSEC-signed; ignored", q->name);
			continue;
		}
		for (i = 0; i < q->nrr; i++)
			if (getk_buf_add(&keys, q->rdata[i], q->rdlen[i])) {
				getk_finding_set(f, F_BAD, "a key was offered by "
				    "DNS but failed verification: larger "
				    "than %zu octets", a->e->s->max_octets);
				goto leave;
			}
		getk_source_offer(a, GETK_SOURCE_DANE, GETK_TRUST_DNSSEC, "DNS",
		    (const unsigned char *)keys.data, keys.len);
		goto leave;
	}
leave:
	getk_buf_free(&keys);
	getk_source_done(a);
}
