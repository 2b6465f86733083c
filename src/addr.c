/*
 * addr.c: RFC 5321 mailbox validation and the address forms users type.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"

static int
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* RFC 5322 atext. */
static int
is_atext(char c)
{
	return is_alpha(c) || is_digit(c) || (c && strchr("!#$%&'*+-/=?^_`{|}~",
	    c) != NULL);
}

static char
lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Checks an RFC 5321 Local-part; NULL or the reason. */
static const char *
local_check(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return "empty local part";
	if (len > GETK_MAX_LOCAL)
		return "local part longer than 64 octets";
	if (s[0] == '"') {
		/* Quoted-string: qtextSMTP and quoted-pairSMTP. */
		if (len < 2 || s[len - 1] != '"')
			return "unterminated quoted local part";
		for (i = 1; i < len - 1; i++) {
			unsigned char c = (unsigned char)s[i];

			if (c == '\\') {
				if (i + 1 >= len - 1)
					return "bad quoted pair in local part";
				c = (unsigned char)s[++i];
				if (c < 32 || c > 126)
					return "bad quoted pair in local part";
			} else if (c < 32 || c > 126 || c == '"') {
				return "bad character in quoted local part";
			}
		}
		return NULL;
	}
	/* Dot-string: atoms separated by single dots. */
	for (i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (i == 0 || i == len - 1 || s[i + 1] == '.')
				return "misplaced dot in local part";
		} else if (!is_atext(s[i])) {
			return (unsigned char)s[i] >= 128 ?
			    "non-ASCII characters in local part" :
			    "bad character in local part";
		}
	}
	return NULL;
}

/* Checks an RFC 5321 Domain (no address literal); NULL or the reason. */
static const char *
domain_check(const char *s, size_t len)
{
	size_t i, label = 0;

	if (len == 0)
		return "empty domain";
	if (s[0] == '[')
		return "address literals are not supported";
	if (len > GETK_MAX_DOMAIN)
		return "domain longer than 253 octets";
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return "bad label in domain";
			label = 0;
			continue;
		}
		if (is_alpha(c) || is_digit(c)) {
			label++;
		} else if (c == '-') {
			if (label == 0)
				return "bad label in domain";
			label++;
		} else {
			return (unsigned char)c >= 128 ?
			    "non-ASCII characters in domain" :
			    "bad character in domain";
		}
		if (label > 63)
			return "domain label longer than 63 octets";
	}
	if (label == 0 || s[len - 1] == '-')
		return "bad label in domain";
	if (!memchr(s, '.', len))
		return "domain is not fully qualified";
	return NULL;
}

/* Finds the '@' that separates local part and domain, or NULL. */
static const char *
find_at(const char *s, size_t len)
{
	const char *at = NULL;
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] == '@')
			at = s + i;
	return at;
}

const char *
getk_mailbox_check(const char *s, size_t len)
{
	const char *at, *why;
	size_t i;

	if (len == 0)
		return "empty address";
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r' || c == '\n' || c == '\0')
			return "control character in address";
	}
	if (len > GETK_MAX_MAILBOX)
		return "address longer than 254 octets";
	at = find_at(s, len);
	if (!at)
		return "no @ in address";
	why = local_check(s, (size_t)(at - s));
	if (why)
		return why;
	return domain_check(at + 1, len - (size_t)(at - s) - 1);
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t';
}

enum getk_err
getk_addr_parse(const char *in, char **r_mailbox, const char **r_why)
{
	const char *start, *end, *lt, *gt, *p, *at, *why;
	char *out;
	size_t len, i;

	*r_mailbox = NULL;
	*r_why = NULL;
	for (i = 0; in[i]; i++) {
		if (in[i] == '\r' || in[i] == '\n') {
			*r_why = "control character in address";
			return GETK_ERR_SYNTAX;
		}
	}
	start = in;
	end = in + i;
	while (start < end && is_space(*start))
		start++;
	while (end > start && is_space(end[-1]))
		end--;
	/*
	 * Find angle brackets outside quoted strings, so that a quoted
	 * display name or local part may hold '<' and '>'.  The form with
	 * brackets must end with the '>' that closes the last '<'.
	 */
	lt = NULL;
	gt = NULL;
	for (p = start; p < end; p++) {
		if (*p == '"') {
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\' && p + 1 < end)
					p++;
			if (p >= end) {
				*r_why = "unterminated quoted string";
				return GETK_ERR_SYNTAX;
			}
		} else if (*p == '<') {
			if (lt) {
				*r_why = "unbalanced angle brackets";
				return GETK_ERR_SYNTAX;
			}
			lt = p;
		} else if (*p == '>') {
			if (!lt || gt) {
				*r_why = "unbalanced angle brackets";
				return GETK_ERR_SYNTAX;
			}
			gt = p;
		}
	}
	if (lt) {
		if (!gt || gt != end - 1) {
			*r_why = "unbalanced angle brackets";
			return GETK_ERR_SYNTAX;
		}
		start = lt + 1;
		end = gt;
	}
	len = (size_t)(end - start);
	why = getk_mailbox_check(start, len);
	if (why) {
		*r_why = why;
		return GETK_ERR_SYNTAX;
	}
	out = malloc(len + 1);
	if (!out)
		return GETK_ERR_NOMEM;
	memcpy(out, start, len);
	out[len] = '\0';
	at = find_at(out, len);
	for (char *c = out + (at - out) + 1; *c; c++)
		*c = lower(*c);
	*r_mailbox = out;
	return GETK_OK;
}

const char *
getk_mailbox_domain(const char *mailbox)
{
	const char *at = strrchr(mailbox, '@');

	return at ? at + 1 : mailbox + strlen(mailbox);
}

int
getk_mailbox_match(const char *mailbox, const char *uid)
{
	const char *ma = strrchr(mailbox, '@');
	const char *ua = uid ? strrchr(uid, '@') : NULL;
	size_t ml, ul, i;

	if (!ma || !ua)
		return 0;
	if (strcasecmp(ma + 1, ua + 1) != 0)
		return 0;
	ml = (size_t)(ma - mailbox);
	ul = (size_t)(ua - uid);
	if (ml != ul)
		return 0;
	if (memcmp(mailbox, uid, ml) == 0)
		return 1;
	for (i = 0; i < ml; i++)
		if (lower(mailbox[i]) != uid[i])
			return 0;
	return 1;
}
