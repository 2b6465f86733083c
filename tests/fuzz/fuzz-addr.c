/*
 * fuzz-addr.c: libFuzzer target for the address parser (src/addr.c).
 *
 * The input, as a NUL-terminated string, goes to getk_addr_parse().  When
 * it is accepted, the mailbox must be valid by getk_mailbox_check(), must
 * parse again to itself (the parser's output is one of the forms it
 * reads), must have a lower-case domain and must match itself under the
 * GETK.md 6.5 rule.  When it is refused, there must be a reason and no
 * mailbox.  The raw bytes also go to getk_mailbox_check(), which must
 * agree with the parser on inputs that are plain mailboxes.
 */
#include <config.h>

#include "fuzz.h"
#include "addr.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in, *mbox = NULL, *again = NULL;
	const char *why = NULL, *why2 = NULL, *dom, *p, *raw_why;
	enum getk_err err;

	/* The raw bytes, NUL bytes and all. */
	raw_why = getk_mailbox_check((const char *)data, size);

	in = fuzz_strndup(data, size);
	if (!in)
		return 0;

	err = getk_addr_parse(in, &mbox, &why);
	if (err == GETK_OK) {
		size_t len;

		ASSERT(mbox != NULL && why == NULL);
		len = strlen(mbox);
		ASSERT(len >= 3 && len <= GETK_MAX_MAILBOX);
		ASSERT(getk_mailbox_check(mbox, len) == NULL);
		dom = getk_mailbox_domain(mbox);
		ASSERT(dom > mbox && dom[-1] == '@' && *dom);
		for (p = dom; *p; p++)
			ASSERT(!(*p >= 'A' && *p <= 'Z'));
		ASSERT(getk_mailbox_match(mbox, mbox));
		/* Idempotence: the output is a mailbox the parser reads. */
		ASSERT(getk_addr_parse(mbox, &again, &why2) == GETK_OK);
		ASSERT(strcmp(again, mbox) == 0);
		/* The output is in the input, but for the domain's case. */
		if (strlen(in) == len && raw_why == NULL)
			ASSERT(strncmp(in, mbox, (size_t)(dom - mbox)) == 0);
	} else {
		ASSERT(err == GETK_ERR_SYNTAX || err == GETK_ERR_NOMEM);
		ASSERT(mbox == NULL);
		if (err == GETK_ERR_SYNTAX)
			ASSERT(why != NULL && *why);
	}
	/* A valid plain mailbox, alone, is always accepted by the parser. */
	if (raw_why == NULL)
		ASSERT(err == GETK_OK);

	free(again);
	free(mbox);
	free(in);
	return 0;
}
