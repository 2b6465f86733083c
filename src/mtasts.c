/*
 * mtasts.c: the pure parts of MTA-STS (RFC 8461).
 *
 * Both parsers follow the ABNF of RFC 8461 sections 3.1 and 3.2 closely:
 * field names are case-sensitive, every value is checked character by
 * character, and the known fields are held to their own grammar.  The
 * only liberties taken cannot change what a well-formed record or policy
 * means: LF as well as CRLF, blank lines in a policy, blanks at the end of
 * a TXT record, and one trailing dot on an mx pattern.
 *
 * A field that the ABNF would read as an extension only because its value
 * is malformed ("id=abc-def", "mode: Enforce") is refused, not ignored:
 * a record that means to say something but says it wrong is invalid.
 */
#include <config.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "mtasts.h"

/* Longest host name in presentation form, without a trailing dot. */
#define HOST_MAX 253
/* Longest label of a host name. */
#define LABEL_MAX 63
/* Longest field name (sts-ext-name, sts-policy-ext-name). */
#define FIELD_NAME_MAX 32
/* Most digits of max_age (sts-policy-max-age-value). */
#define MAX_AGE_DIGITS 10

/* What getk_mtasts_parse_policy() knows while it reads the lines. */
struct policy_state {
	struct getk_mtasts_policy *policy;
	int have_version;
	int have_mode;
	int have_max_age;
	size_t lineno;		/* the line being read; 0 after the last */
	char *why;
	size_t whysz;
};

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int
is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* WSP of RFC 5234: a space or a horizontal tab. */
static int
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* ASCII tolower(), whatever the locale. */
static char
lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Non-zero when the LEN bytes at P are exactly the string S. */
static int
token_is(const char *p, size_t len, const char *s)
{
	return strlen(s) == len && memcmp(p, s, len) == 0;
}

/* Compares LEN bytes of A and B, ignoring the case of ASCII letters. */
static int
ascii_caseeq(const char *a, const char *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (lower(a[i]) != lower(b[i]))
			return 0;
	return 1;
}

/*
 * The length of the field name at the start of the LEN bytes at P:
 * (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / "."), the same for the
 * TXT record and the policy.  0 when there is none or when it is longer.
 */
static size_t
field_name_len(const char *p, size_t len)
{
	size_t n;

	if (len == 0 || !is_alnum(p[0]))
		return 0;
	for (n = 1; n < len && (is_alnum(p[n]) || p[n] == '_' ||
	    p[n] == '-' || p[n] == '.'); n++)
		;
	return n <= FIELD_NAME_MAX ? n : 0;
}

/*
 * Non-zero when the LEN bytes at P are a Domain of RFC 5321 4.1.2, which
 * RFC 8461 3.2 uses for mx patterns: labels of letters, digits and
 * hyphens, 1 to 63 long, starting and ending with a letter or digit, and
 * at most HOST_MAX characters in all.
 */
static int
domain_ok(const char *p, size_t len)
{
	size_t i, start = 0;

	if (len == 0 || len > HOST_MAX)
		return 0;
	for (i = 0; i <= len; i++) {
		if (i < len && p[i] != '.') {
			if (!is_alnum(p[i]) && p[i] != '-')
				return 0;
			continue;
		}
		if (i == start || i - start > LABEL_MAX || p[start] == '-' ||
		    p[i - 1] == '-')
			return 0;
		start = i + 1;
	}
	return 1;
}

/*
 * Checks the mx pattern of LEN bytes at P (["*."] Domain; one trailing
 * dot is allowed, since it names the same host) and writes its canonical
 * form, lower case and without the trailing dot, to OUT.  The whole
 * pattern, "*." included, must fit HOST_MAX characters, as every name it
 * matches with a one-letter label then does.  Returns 0, with OUT
 * untouched, when the pattern is not valid.
 */
static int
pattern_canon(const char *p, size_t len, char out[256])
{
	size_t i, skip = 0;

	if (len > 1 && p[len - 1] == '.')
		len--;
	if (len > HOST_MAX)
		return 0;
	if (len >= 2 && p[0] == '*' && p[1] == '.')
		skip = 2;
	if (!domain_ok(p + skip, len - skip))
		return 0;
	for (i = 0; i < len; i++)
		out[i] = lower(p[i]);
	out[len] = '\0';
	return 1;
}

/*
 * The length of the well-formed UTF-8 sequence of two to four bytes at
 * the start of the LEN bytes at P (RFC 3629 4: no overlong forms, no
 * surrogates, nothing past U+10FFFF), or 0.
 */
static size_t
utf8_len(const unsigned char *p, size_t len)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		n = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		n = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		n = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (len < n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/*
 * Non-zero when the LEN bytes at P are an sts-policy-ext-value: visible
 * ASCII and UTF-8 characters, with spaces between them but not at either
 * end.
 */
static int
policy_value_ok(const char *p, size_t len)
{
	size_t i = 0, n;

	if (len == 0 || p[0] == ' ' || p[len - 1] == ' ')
		return 0;
	while (i < len) {
		unsigned char c = (unsigned char)p[i];

		if (c >= 0x20 && c <= 0x7e) {
			i++;
			continue;
		}
		n = utf8_len((const unsigned char *)p + i, len - i);
		if (n == 0)
			return 0;
		i += n;
	}
	return 1;
}

/* A character of an sts-ext-value: VCHAR but '=' and ';'. */
static int
txt_value_char(char c)
{
	return (c >= 0x21 && c <= 0x7e) && c != '=' && c != ';';
}

/* Non-zero when the LEN bytes at P are an id: 1*32(ALPHA / DIGIT). */
static int
id_ok(const char *p, size_t len)
{
	size_t i;

	if (len == 0 || len > GETK_MTASTS_ID_SIZE - 1)
		return 0;
	for (i = 0; i < len; i++)
		if (!is_alnum(p[i]))
			return 0;
	return 1;
}

enum getk_err
getk_mtasts_parse_txt(const char *txt, size_t len,
    char r_id[GETK_MTASTS_ID_SIZE])
{
	static const char version[] = "v=STSv1";
	size_t pos, nlen, vstart, vlen;
	int have_id = 0;
	enum getk_err err = GETK_ERR_SYNTAX;

	r_id[0] = '\0';
	/* The version comes first, and exactly so (%s"v=STSv1"). */
	if (len < sizeof(version) - 1 ||
	    memcmp(txt, version, sizeof(version) - 1) != 0)
		goto leave;
	pos = sizeof(version) - 1;
	for (;;) {
		/* *WSP ";" *WSP, or the end of the record. */
		while (pos < len && is_wsp(txt[pos]))
			pos++;
		if (pos == len)
			break;
		if (txt[pos] != ';')
			goto leave;
		pos++;
		while (pos < len && is_wsp(txt[pos]))
			pos++;
		if (pos == len)
			break;

		/* name=value */
		nlen = field_name_len(txt + pos, len - pos);
		if (nlen == 0 || pos + nlen == len || txt[pos + nlen] != '=')
			goto leave;
		vstart = pos + nlen + 1;
		for (vlen = 0; vstart + vlen < len &&
		    txt_value_char(txt[vstart + vlen]); vlen++)
			;
		if (vlen == 0)
			goto leave;
		if (token_is(txt + pos, nlen, "id")) {
			if (!id_ok(txt + vstart, vlen))
				goto leave;
			/* RFC 8461 3.2: of repeated fields the first counts. */
			if (!have_id) {
				memcpy(r_id, txt + vstart, vlen);
				r_id[vlen] = '\0';
				have_id = 1;
			}
		}
		pos = vstart + vlen;
	}
	if (have_id)
		err = GETK_OK;

leave:
	if (err)
		r_id[0] = '\0';
	return err;
}

static enum getk_err policy_fail(struct policy_state *st, enum getk_err err,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Puts the reason for a failure, after the line number, into st->why. */
static enum getk_err
policy_fail(struct policy_state *st, enum getk_err err, const char *fmt, ...)
{
	va_list ap;
	char msg[160];

	if (!st->why || st->whysz == 0)
		return err;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (st->lineno)
		snprintf(st->why, st->whysz, "line %zu: %s", st->lineno, msg);
	else
		snprintf(st->why, st->whysz, "%s", msg);
	return err;
}

/*
 * Reads max_age, 1*10 DIGIT, into *R_AGE, clamped to GETK_MTASTS_MAX_AGE.
 * Ten digits fit 64 bits, so there is no overflow to guard against once
 * the length is checked.  Returns 0 when the value is malformed.
 */
static int
parse_max_age(const char *p, size_t len, long *r_age)
{
	uint64_t n = 0;
	size_t i;

	if (len == 0 || len > MAX_AGE_DIGITS)
		return 0;
	for (i = 0; i < len; i++) {
		if (!is_digit(p[i]))
			return 0;
		n = n * 10 + (uint64_t)(p[i] - '0');
	}
	*r_age = n > GETK_MTASTS_MAX_AGE ? GETK_MTASTS_MAX_AGE : (long)n;
	return 1;
}

/* Reads one policy line of LEN bytes, without its CRLF or LF. */
static enum getk_err
policy_line(struct policy_state *st, const char *line, size_t len)
{
	struct getk_mtasts_policy *p = st->policy;
	const char *val;
	size_t nlen, vlen;

	while (len > 0 && is_wsp(line[len - 1]))
		len--;
	/* Blank lines are not in the ABNF but harm nobody. */
	if (len == 0)
		return GETK_OK;
	nlen = field_name_len(line, len);
	if (nlen == 0)
		return policy_fail(st, GETK_ERR_SYNTAX, "malformed field name");
	if (nlen == len || line[nlen] != ':')
		return policy_fail(st, GETK_ERR_SYNTAX,
		    "no ':' right after the field name");
	val = line + nlen + 1;
	vlen = len - nlen - 1;
	while (vlen > 0 && is_wsp(*val)) {
		val++;
		vlen--;
	}
	if (vlen == 0)
		return policy_fail(st, GETK_ERR_SYNTAX, "%.*s has no value",
		    (int)nlen, line);
	if (!policy_value_ok(val, vlen))
		return policy_fail(st, GETK_ERR_SYNTAX,
		    "bad character in the value of %.*s", (int)nlen, line);

	/*
	 * RFC 8461 3.2: of a repeated field other than mx the first counts,
	 * and the others are ignored like unknown fields.
	 */
	if (token_is(line, nlen, "version")) {
		if (st->have_version)
			return GETK_OK;
		if (!token_is(val, vlen, "STSv1"))
			return policy_fail(st, GETK_ERR_SYNTAX,
			    "version is not STSv1");
		st->have_version = 1;
	} else if (token_is(line, nlen, "mode")) {
		if (st->have_mode)
			return GETK_OK;
		if (token_is(val, vlen, "enforce"))
			p->mode = GETK_MTASTS_ENFORCE;
		else if (token_is(val, vlen, "testing"))
			p->mode = GETK_MTASTS_TESTING;
		else if (token_is(val, vlen, "none"))
			p->mode = GETK_MTASTS_NONE;
		else
			return policy_fail(st, GETK_ERR_SYNTAX,
			    "mode is not enforce, testing or none");
		st->have_mode = 1;
	} else if (token_is(line, nlen, "max_age")) {
		if (st->have_max_age)
			return GETK_OK;
		if (!parse_max_age(val, vlen, &p->max_age))
			return policy_fail(st, GETK_ERR_SYNTAX,
			    "max_age is not 1 to %d digits", MAX_AGE_DIGITS);
		st->have_max_age = 1;
	} else if (token_is(line, nlen, "mx")) {
		if (p->nmx >= GETK_MTASTS_MAX_MX)
			return policy_fail(st, GETK_ERR_TOOBIG,
			    "more than %d mx patterns", GETK_MTASTS_MAX_MX);
		if (!pattern_canon(val, vlen, p->mx[p->nmx]))
			return policy_fail(st, GETK_ERR_SYNTAX,
			    "bad mx pattern");
		p->nmx++;
	}
	return GETK_OK;
}

enum getk_err
getk_mtasts_parse_policy(const char *body, size_t len,
    struct getk_mtasts_policy *r_policy, char *why, size_t whysz)
{
	struct policy_state st;
	size_t pos = 0, n;
	const char *line, *nl;
	enum getk_err err = GETK_OK;

	memset(r_policy, 0, sizeof(*r_policy));
	if (why && whysz)
		why[0] = '\0';
	memset(&st, 0, sizeof(st));
	st.policy = r_policy;
	st.why = why;
	st.whysz = whysz;

	if (len > GETK_MTASTS_MAX_POLICY) {
		err = policy_fail(&st, GETK_ERR_TOOBIG,
		    "policy larger than %d bytes", GETK_MTASTS_MAX_POLICY);
		goto leave;
	}
	if (len && memchr(body, '\0', len)) {
		err = policy_fail(&st, GETK_ERR_SYNTAX,
		    "policy contains a NUL byte");
		goto leave;
	}
	while (pos < len) {
		st.lineno++;
		line = body + pos;
		nl = memchr(line, '\n', len - pos);
		if (nl) {
			n = (size_t)(nl - line);
			pos += n + 1;
			if (n > 0 && line[n - 1] == '\r')
				n--;
		} else {
			n = len - pos;
			pos = len;
		}
		err = policy_line(&st, line, n);
		if (err)
			goto leave;
	}
	st.lineno = 0;

	/* RFC 8461 3.2: "If any field is not specified, the policy SHALL be
	 * treated as invalid." */
	if (!st.have_version)
		err = policy_fail(&st, GETK_ERR_SYNTAX, "policy has no version");
	else if (!st.have_mode)
		err = policy_fail(&st, GETK_ERR_SYNTAX, "policy has no mode");
	else if (!st.have_max_age)
		err = policy_fail(&st, GETK_ERR_SYNTAX, "policy has no max_age");
	else if (r_policy->mode != GETK_MTASTS_NONE && r_policy->nmx == 0)
		err = policy_fail(&st, GETK_ERR_SYNTAX,
		    "policy in mode %s has no mx",
		    getk_mtasts_mode_name(r_policy->mode));

leave:
	if (err)
		memset(r_policy, 0, sizeof(*r_policy));
	return err;
}

int
getk_mtasts_mx_match(const struct getk_mtasts_policy *p, const char *host)
{
	size_t len, plen, first, i, nmx;
	const char *pat, *dot;

	if (!p || !host)
		return 0;
	len = strnlen(host, HOST_MAX + 2);
	if (len > 1 && host[len - 1] == '.')
		len--;
	if (!domain_ok(host, len))
		return 0;
	dot = memchr(host, '.', len);
	first = dot ? (size_t)(dot - host) : len;
	nmx = p->nmx < GETK_MTASTS_MAX_MX ? p->nmx : GETK_MTASTS_MAX_MX;
	for (i = 0; i < nmx; i++) {
		pat = p->mx[i];
		plen = strnlen(pat, sizeof(p->mx[i]));
		if (plen == sizeof(p->mx[i]))
			continue;
		if (plen >= 2 && pat[0] == '*' && pat[1] == '.') {
			/* One whole label, the leftmost, stands for the '*'. */
			if (first < len && len - first - 1 == plen - 2 &&
			    ascii_caseeq(host + first + 1, pat + 2, plen - 2))
				return 1;
		} else if (plen == len && ascii_caseeq(host, pat, len)) {
			return 1;
		}
	}
	return 0;
}

const char *
getk_mtasts_mode_name(enum getk_mtasts_mode m)
{
	switch (m) {
	case GETK_MTASTS_NONE: return "none";
	case GETK_MTASTS_TESTING: return "testing";
	case GETK_MTASTS_ENFORCE: return "enforce";
	}
	return "unknown";
}

/*
 * Non-zero when P is a policy the parser could have made, so that its
 * text parses back to it: everything in range, every pattern valid and
 * already in canonical form.
 */
static int
policy_ok(const struct getk_mtasts_policy *p)
{
	char canon[256];
	size_t i, len;

	switch (p->mode) {
	case GETK_MTASTS_NONE:
	case GETK_MTASTS_TESTING:
	case GETK_MTASTS_ENFORCE:
		break;
	default:
		return 0;
	}
	if (p->max_age < 0 || p->max_age > GETK_MTASTS_MAX_AGE ||
	    p->nmx > GETK_MTASTS_MAX_MX ||
	    (p->mode != GETK_MTASTS_NONE && p->nmx == 0))
		return 0;
	for (i = 0; i < p->nmx; i++) {
		len = strnlen(p->mx[i], sizeof(p->mx[i]));
		if (len == sizeof(p->mx[i]) ||
		    !pattern_canon(p->mx[i], len, canon) ||
		    strcmp(canon, p->mx[i]) != 0)
			return 0;
	}
	return 1;
}

enum getk_err
getk_mtasts_policy_text(const struct getk_mtasts_policy *p, char **r_text)
{
	struct getk_buf b;
	size_t i;
	enum getk_err err;

	*r_text = NULL;
	getk_buf_init(&b, GETK_MTASTS_MAX_POLICY);
	if (!policy_ok(p)) {
		err = GETK_ERR_INVAL;
		goto leave;
	}
	err = getk_buf_printf(&b, "version: STSv1\r\nmode: %s\r\n",
	    getk_mtasts_mode_name(p->mode));
	for (i = 0; !err && i < p->nmx; i++)
		err = getk_buf_printf(&b, "mx: %s\r\n", p->mx[i]);
	if (!err)
		err = getk_buf_printf(&b, "max_age: %ld\r\n", p->max_age);
	if (err)
		goto leave;
	*r_text = getk_buf_take(&b, NULL);
	if (!*r_text)
		err = GETK_ERR_NOMEM;

leave:
	getk_buf_free(&b);
	return err;
}
