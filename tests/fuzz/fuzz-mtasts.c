/*
 * fuzz-mtasts.c: libFuzzer target for the MTA-STS parsers (src/mtasts.c).
 *
 * The input is given whole to getk_mtasts_parse_policy() and to
 * getk_mtasts_parse_txt(), and, when short enough, as an MX host name to
 * getk_mtasts_mx_match() against the policy just parsed (or a fixed one
 * when the input is no policy).  Checks:
 *
 * - an accepted policy has a valid mode, max_age within range, at most
 *   GETK_MTASTS_MAX_MX patterns (at least one unless the mode is none),
 *   and every pattern is lower case, "[*.]" and labels of [a-z0-9-] that
 *   neither start nor end with '-', 1 to 63 long, 253 characters at most;
 * - its canonical text (getk_mtasts_policy_text) parses back to an equal
 *   policy and to the same text again;
 * - every pattern matches its own host ("a.x" for "*.x"), in any case and
 *   with a trailing dot, and getk_mtasts_mx_match agrees with a matcher
 *   of this file's own on names made from each pattern;
 * - a refused policy leaves a cleared structure and a printable reason,
 *   GETK_ERR_TOOBIG only for input over GETK_MTASTS_MAX_POLICY bytes or
 *   with more than GETK_MTASTS_MAX_MX "mx:" lines;
 * - an accepted TXT record starts with "v=STSv1", holds only visible ASCII
 *   and blanks, and contains "id=" followed by the id, 1 to 32 letters and
 *   digits, written within its 33 bytes; a refused one leaves "".
 *
 * A broken invariant aborts, which libFuzzer reports as a crash.
 */
#include <config.h>

#include "fuzz.h"
#include "mtasts.h"

/* Longest host name in presentation form, without a trailing dot. */
#define HOST_MAX 253

static int
ref_ldh(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/*
 * Non-zero when the LEN bytes at P, already lower case, are a host name:
 * labels of [a-z0-9-], 1 to 63 long, not starting or ending with '-',
 * HOST_MAX characters at most.
 */
static int
ref_host_ok(const char *p, size_t len)
{
	size_t i, start = 0;

	if (len == 0 || len > HOST_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		if (p[i] == '.') {
			if (i == start || i - start > 63 || p[start] == '-' ||
			    p[i - 1] == '-')
				return 0;
			start = i + 1;
		} else if (!ref_ldh((unsigned char)p[i])) {
			return 0;
		}
	}
	return len > start && len - start <= 63 && p[start] != '-' &&
	    p[len - 1] != '-';
}

/* Checks one pattern of an accepted policy. */
static void
check_pattern(const char *pat)
{
	size_t len = strnlen(pat, 256), skip = 0;

	ASSERT(len < 256);
	ASSERT(len >= 1 && len <= HOST_MAX);
	if (len >= 2 && pat[0] == '*' && pat[1] == '.')
		skip = 2;
	ASSERT(ref_host_ok(pat + skip, len - skip));
}

/*
 * RFC 8461 4.1 by another route than src/mtasts.c: the host lowered and
 * without its trailing dot must be a valid name and equal a pattern, or
 * end in the ".x" of a pattern "*.x" after one label without a dot.
 */
static int
ref_match(const struct getk_mtasts_policy *p, const char *host)
{
	char h[HOST_MAX + 2];
	size_t len, i, plen, nmx;

	len = strlen(host);
	if (len > 1 && host[len - 1] == '.')
		len--;
	if (len > HOST_MAX)
		return 0;
	for (i = 0; i < len; i++)
		h[i] = (char)fuzz_lower((unsigned char)host[i]);
	h[len] = '\0';
	if (!ref_host_ok(h, len))
		return 0;
	nmx = p->nmx < GETK_MTASTS_MAX_MX ? p->nmx : GETK_MTASTS_MAX_MX;
	for (i = 0; i < nmx; i++) {
		const char *pat = p->mx[i];

		plen = strlen(pat);
		if (plen >= 2 && pat[0] == '*' && pat[1] == '.') {
			const char *suffix = pat + 1;	/* ".x" */
			size_t slen = plen - 1;

			if (len > slen &&
			    strcmp(h + len - slen, suffix) == 0 &&
			    memchr(h, '.', len - slen) == NULL)
				return 1;
		} else if (strcmp(h, pat) == 0) {
			return 1;
		}
	}
	return 0;
}

/* Compares mx_match with ref_match on HOST. */
static void
check_agree(const struct getk_mtasts_policy *p, const char *host)
{
	ASSERT(!!getk_mtasts_mx_match(p, host) == ref_match(p, host));
}

/* The lines of the input that start with "mx:" (only those count). */
static size_t
count_mx_lines(const uint8_t *data, size_t size)
{
	size_t i, n = 0;

	for (i = 0; i < size; i++)
		if ((i == 0 || data[i - 1] == '\n') && size - i >= 3 &&
		    memcmp(data + i, "mx:", 3) == 0)
			n++;
	return n;
}

static int
same_policy(const struct getk_mtasts_policy *a,
    const struct getk_mtasts_policy *b)
{
	size_t i;

	if (a->mode != b->mode || a->max_age != b->max_age || a->nmx != b->nmx)
		return 0;
	for (i = 0; i < a->nmx; i++)
		if (strcmp(a->mx[i], b->mx[i]) != 0)
			return 0;
	return 1;
}

/* Checks a policy the parser accepted from the SIZE bytes at DATA. */
static void
check_policy(const struct getk_mtasts_policy *p, const uint8_t *data,
    size_t size)
{
	static struct getk_mtasts_policy back;
	char *text = NULL, *again = NULL, why[128];
	char host[HOST_MAX + 16];
	size_t i, j, len;
	const char *dom;
	enum getk_err err;

	ASSERT(size <= GETK_MTASTS_MAX_POLICY);
	ASSERT(size == 0 || memchr(data, '\0', size) == NULL);
	ASSERT(p->mode == GETK_MTASTS_NONE || p->mode == GETK_MTASTS_TESTING ||
	    p->mode == GETK_MTASTS_ENFORCE);
	ASSERT(p->max_age >= 0 && p->max_age <= GETK_MTASTS_MAX_AGE);
	ASSERT(p->nmx <= GETK_MTASTS_MAX_MX);
	ASSERT(p->mode == GETK_MTASTS_NONE || p->nmx >= 1);
	for (i = 0; i < p->nmx; i++)
		check_pattern(p->mx[i]);

	/* The canonical text parses back to the same policy and text. */
	err = getk_mtasts_policy_text(p, &text);
	if (err == GETK_ERR_NOMEM)
		return;
	ASSERT(err == GETK_OK && text != NULL);
	err = getk_mtasts_parse_policy(text, strlen(text), &back, why,
	    sizeof(why));
	ASSERT(err == GETK_OK);
	ASSERT(same_policy(p, &back));
	err = getk_mtasts_policy_text(&back, &again);
	if (err == GETK_OK) {
		ASSERT(strcmp(text, again) == 0);
		free(again);
	} else {
		ASSERT(err == GETK_ERR_NOMEM);
	}
	free(text);

	/* Every pattern matches its own host, however spelt. */
	for (i = 0; i < p->nmx; i++) {
		const char *pat = p->mx[i];
		int wild = pat[0] == '*';

		if (wild)
			snprintf(host, sizeof(host), "a%s", pat + 1);
		else
			snprintf(host, sizeof(host), "%s", pat);
		ASSERT(getk_mtasts_mx_match(p, host));
		len = strlen(host);
		for (j = 0; j < len; j++)
			if (host[j] >= 'a' && host[j] <= 'z')
				host[j] = (char)(host[j] - 'a' + 'A');
		host[len] = '.';
		host[len + 1] = '\0';
		ASSERT(getk_mtasts_mx_match(p, host));

		/* Names made from the pattern: the reference must agree. */
		dom = wild ? pat + 2 : pat;
		check_agree(p, pat);
		check_agree(p, dom);
		snprintf(host, sizeof(host), "x.%s", dom);
		check_agree(p, host);
		snprintf(host, sizeof(host), "x.y.%s", dom);
		check_agree(p, host);
		snprintf(host, sizeof(host), "x%s", dom);
		check_agree(p, host);
		if (strchr(dom, '.'))
			check_agree(p, strchr(dom, '.') + 1);
	}
}

/* A fixed policy to match input host names against. */
static const struct getk_mtasts_policy fixed = {
	GETK_MTASTS_ENFORCE, 86400, 4,
	{ "mail.example.com", "*.example.net", "*.a-b.example",
	  "mx1.xn--bcher-kva.example" }
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct getk_mtasts_policy pol, zero;
	char why[128], id[GETK_MTASTS_ID_SIZE + 8], needle[3 + 32];
	const struct getk_mtasts_policy *against;
	enum getk_err err;
	size_t i, len;
	char *host;

	/* The input as a policy. */
	memset(&pol, 0x5a, sizeof(pol));
	memset(why, 'Z', sizeof(why));
	err = getk_mtasts_parse_policy((const char *)data, size, &pol, why,
	    sizeof(why));
	ASSERT(memchr(why, '\0', sizeof(why)) != NULL);
	for (i = 0; why[i]; i++)
		ASSERT(why[i] >= 0x20 && why[i] <= 0x7e);
	if (err == GETK_OK) {
		ASSERT(why[0] == '\0');
		check_policy(&pol, data, size);
	} else {
		ASSERT(err == GETK_ERR_SYNTAX || err == GETK_ERR_TOOBIG);
		ASSERT(why[0] != '\0');
		ASSERT(memcmp(&pol, &zero, sizeof(pol)) == 0);
		if (err == GETK_ERR_TOOBIG)
			ASSERT(size > GETK_MTASTS_MAX_POLICY ||
			    count_mx_lines(data, size) > GETK_MTASTS_MAX_MX);
	}

	/* The input as a TXT record. */
	memset(id, 'Z', sizeof(id));
	err = getk_mtasts_parse_txt((const char *)data, size, id);
	for (i = GETK_MTASTS_ID_SIZE; i < sizeof(id); i++)
		ASSERT(id[i] == 'Z');
	if (err == GETK_OK) {
		len = strnlen(id, GETK_MTASTS_ID_SIZE);
		ASSERT(len >= 1 && len < GETK_MTASTS_ID_SIZE);
		for (i = 0; i < len; i++)
			ASSERT((id[i] >= '0' && id[i] <= '9') ||
			    (id[i] >= 'a' && id[i] <= 'z') ||
			    (id[i] >= 'A' && id[i] <= 'Z'));
		ASSERT(size >= 7 && memcmp(data, "v=STSv1", 7) == 0);
		for (i = 0; i < size; i++)
			ASSERT((data[i] >= 0x21 && data[i] <= 0x7e) ||
			    data[i] == ' ' || data[i] == '\t');
		memcpy(needle, "id=", 3);
		memcpy(needle + 3, id, len);
		ASSERT(memmem(data, size, needle, 3 + len) != NULL);
	} else {
		ASSERT(err == GETK_ERR_SYNTAX);
		ASSERT(id[0] == '\0');
	}

	/* The input as an MX host name. */
	if (size <= HOST_MAX + 8) {
		host = fuzz_strndup(data, size);
		if (!host)
			return 0;
		against = pol.nmx > 0 ? &pol : &fixed;
		check_agree(against, host);
		free(host);
	}
	return 0;
}
