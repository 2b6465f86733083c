/*
 * fuzz-addrlist.c: libFuzzer target for the address-list parser
 * (getk_addrlist_parse() in src/addr.c).
 *
 * The input bytes, NUL bytes and all, are an address list.  When it is
 * accepted, the array holds at most GETK_MAX_ADDRESSES mailboxes and ends
 * in NULL; each mailbox passes getk_mailbox_check(), has a lower-case
 * domain, is a one-address list giving itself and is what
 * getk_addr_parse() makes of it.  When it is refused, there is a reason
 * (but for lack of memory) and no array.  And when the input has no line
 * break, the same list folded (every space made CRLF space) gives exactly
 * the same answer, since unfolding gives back the input.
 */
#include <config.h>

#include "fuzz.h"
#include "addr.h"
#include "buf.h"

/* Checks one mailbox of an accepted list. */
static void
check_mailbox(const char *box)
{
	char **again = NULL, *one = NULL;
	const char *why = NULL, *dom, *p;
	size_t n = 0, len = strlen(box);

	ASSERT(len >= 3 && len <= GETK_MAX_MAILBOX);
	ASSERT(getk_mailbox_check(box, len) == NULL);
	dom = getk_mailbox_domain(box);
	ASSERT(dom > box && dom[-1] == '@' && *dom);
	for (p = dom; *p; p++)
		ASSERT(!(*p >= 'A' && *p <= 'Z'));
	ASSERT(getk_addrlist_parse(box, len, &again, &n, &why) == GETK_OK);
	ASSERT(n == 1 && again[1] == NULL && strcmp(again[0], box) == 0);
	getk_strv_free(again);
	ASSERT(getk_addr_parse(box, &one, &why) == GETK_OK);
	ASSERT(strcmp(one, box) == 0);
	free(one);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	char **boxes = NULL, **boxes2 = NULL, *folded = NULL;
	const char *why = NULL, *why2 = NULL;
	size_t n = 0, n2 = 0, i, k;
	enum getk_err err, err2;

	err = getk_addrlist_parse(in, size, &boxes, &n, &why);
	if (err == GETK_OK) {
		ASSERT(boxes != NULL && why == NULL);
		ASSERT(n <= GETK_MAX_ADDRESSES);
		ASSERT(boxes[n] == NULL);
		for (i = 0; i < n; i++)
			check_mailbox(boxes[i]);
	} else {
		ASSERT(err == GETK_ERR_SYNTAX || err == GETK_ERR_TOOBIG ||
		    err == GETK_ERR_NOMEM);
		ASSERT(boxes == NULL && n == 0);
		if (err != GETK_ERR_NOMEM)
			ASSERT(why != NULL && *why);
	}

	/* Folding changes nothing. */
	if (!memchr(in, '\r', size) && !memchr(in, '\n', size) &&
	    size <= GETK_MAX_ADDRLIST / 3) {
		folded = malloc(3 * size + 1);
		if (!folded)
			goto leave;
		for (i = 0, k = 0; i < size; i++) {
			if (in[i] == ' ') {
				folded[k++] = '\r';
				folded[k++] = '\n';
			}
			folded[k++] = in[i];
		}
		err2 = getk_addrlist_parse(folded, k, &boxes2, &n2, &why2);
		ASSERT(err2 == err || err2 == GETK_ERR_NOMEM ||
		    err == GETK_ERR_NOMEM);
		if (err2 == err && err == GETK_OK) {
			ASSERT(n2 == n);
			for (i = 0; i < n; i++)
				ASSERT(strcmp(boxes[i], boxes2[i]) == 0);
		} else if (err2 == err && err != GETK_ERR_NOMEM) {
			ASSERT(strcmp(why, why2) == 0);
		}
	}
leave:
	getk_strv_free(boxes);
	getk_strv_free(boxes2);
	free(folded);
	return 0;
}
