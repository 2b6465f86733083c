/*
 * addr.c: RFC 5321 mailbox validation and the address forms users type.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "buf.h"

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

/* GnuPG's has_invalid_email_chars(): the characters of a plain mailbox. */
static int
gpg_invalid_email_chars(const char *s)
{
	static const char valid[] = "01234567890_-.abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	int at_seen = 0;

	for (; *s; s++) {
		if (*s & 0x80)
			continue;
		if (*s == '@')
			at_seen = 1;
		else if (!at_seen && !strchr(valid, *s) &&
		    !strchr("!#$%&'*+/=?^`{|}~", *s))
			return 1;
		else if (at_seen && !strchr(valid, *s))
			return 1;
	}
	return 0;
}

/* Number of C in S. */
static size_t
count_chr(const char *s, size_t len, char c)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		n += s[i] == c;
	return n;
}

int
getk_uid_mbox(const char *uid, char *mbox, size_t mboxsz)
{
	const char *lt, *gt, *at, *p = uid;
	size_t len, i;

	if (mboxsz)
		mbox[0] = '\0';
	lt = strchr(uid, '<');
	if (lt) {
		p = lt + 1;
		gt = strchr(p, '>');
		if (!gt || gt == p)
			return 0;
		len = (size_t)(gt - p);
		if (count_chr(p, len, '@') != 1 || p[0] == '@' ||
		    p[len - 1] == '@' || p[len - 1] == '.')
			return 0;
		for (i = 0; i < len; i++)
			if (!(p[i] & 0x80) && (unsigned char)p[i] <= 0x20)
				return 0;
		at = memchr(p, '@', len);
		for (i = (size_t)(at - p) + 1; i + 1 < len; i++)
			if (p[i] == '.' && p[i + 1] == '.')
				return 0;
	} else {
		len = strlen(uid);
		if (!len || gpg_invalid_email_chars(uid) ||
		    count_chr(uid, len, '@') != 1 || uid[0] == '@' ||
		    uid[len - 1] == '@' || uid[len - 1] == '.' ||
		    strstr(uid, ".."))
			return 0;
	}
	if (len >= mboxsz)
		return 0;
	for (i = 0; i < len; i++)
		mbox[i] = p[i] >= 'A' && p[i] <= 'Z' ? (char)(p[i] - 'A' + 'a') :
		    p[i];
	mbox[len] = '\0';
	return 1;
}

const char *
getk_uid_addr_spec(const char *uid, const char *address, size_t *r_len)
{
	const char *lt, *gt;
	size_t alen;

	*r_len = 0;
	if (!uid || !address || !*address)
		return NULL;
	alen = strlen(address);
	lt = strchr(uid, '<');
	if (lt) {
		gt = strchr(lt + 1, '>');
		if (!gt || (size_t)(gt - lt - 1) != alen ||
		    strncasecmp(lt + 1, address, alen) != 0)
			return NULL;
		*r_len = alen;
		return lt + 1;
	}
	if (strcasecmp(uid, address) != 0)
		return NULL;
	*r_len = alen;
	return uid;
}

/*
 * Address lists.  The list is first unfolded into a copy that holds no
 * CR, LF or NUL; a lexer then turns the copy into tokens, skipping the
 * white space and comments (CFWS) between them, and a small parser reads
 * the RFC 5322 grammar from the tokens.  Nothing recurses but a group's
 * members, one level deep.
 */

enum tok_type {
	TOK_END,	/* the end of the list */
	TOK_ATOM,	/* a run of atext (8-bit bytes included) */
	TOK_QSTRING,	/* a quoted string, with its quotes */
	TOK_LITERAL,	/* a domain literal, with its brackets */
	TOK_SPECIAL	/* one of , : ; < > @ . */
};

struct token {
	enum tok_type type;
	const char *p;	/* the token's first byte */
	size_t len;	/* its length */
};

struct lexer {
	const char *s;	/* the unfolded list: no CR, LF or NUL */
	size_t len;	/* its length */
	size_t pos;	/* the next byte to read */
};

/* A bounded piece of text: the local part or the domain being read. */
struct part {
	char s[GETK_MAX_MAILBOX + 1];
	size_t len;	/* bytes in S */
	int over;	/* more text came than S holds */
};

/* The mailboxes found so far: a NULL-terminated array while v is set. */
struct mblist {
	char **v;
	size_t n;	/* strings in v */
	size_t cap;	/* slots allocated in v, the NULL's included */
};

static void
part_add(struct part *pt, const char *s, size_t len)
{
	if (pt->over || len > sizeof(pt->s) - pt->len) {
		pt->over = 1;
		return;
	}
	memcpy(pt->s + pt->len, s, len);
	pt->len += len;
}

/* Skips white space and comments; NULL or the reason they are bad. */
static const char *
skip_cfws(struct lexer *lx)
{
	size_t depth;

	for (;;) {
		while (lx->pos < lx->len && is_space(lx->s[lx->pos]))
			lx->pos++;
		if (lx->pos >= lx->len || lx->s[lx->pos] != '(')
			return NULL;
		/* A comment: nested parentheses and quoted pairs. */
		depth = 0;
		do {
			char c;

			if (lx->pos >= lx->len)
				return "unterminated comment";
			c = lx->s[lx->pos++];
			if (c == '\\') {
				if (lx->pos >= lx->len)
					return "unterminated comment";
				lx->pos++;
			} else if (c == '(') {
				depth++;
			} else if (c == ')') {
				depth--;
			}
		} while (depth > 0);
	}
}

/*
 * Reads the next token into *TOK, CFWS before it skipped.  NULL, or the
 * reason the text there is not part of an address list.
 */
static const char *
lex(struct lexer *lx, struct token *tok)
{
	const char *why;
	size_t start;
	char c;

	tok->type = TOK_END;
	tok->p = lx->s + lx->len;
	tok->len = 0;
	why = skip_cfws(lx);
	if (why)
		return why;
	if (lx->pos >= lx->len)
		return NULL;
	start = lx->pos;
	c = lx->s[lx->pos];
	if (c == '"' || c == '[') {
		char close = c == '"' ? '"' : ']';

		for (lx->pos++; lx->pos < lx->len; lx->pos++) {
			if (lx->s[lx->pos] == '\\')
				lx->pos++;
			else if (lx->s[lx->pos] == close)
				break;
		}
		if (lx->pos >= lx->len)
			return c == '"' ? "unterminated quoted string" :
			    "unterminated domain literal";
		lx->pos++;
		tok->type = c == '"' ? TOK_QSTRING : TOK_LITERAL;
	} else if (strchr(",:;<>@.", c)) {
		lx->pos++;
		tok->type = TOK_SPECIAL;
	} else if (is_atext(c) || (unsigned char)c >= 128) {
		while (lx->pos < lx->len && (is_atext(lx->s[lx->pos]) ||
		    (unsigned char)lx->s[lx->pos] >= 128))
			lx->pos++;
		tok->type = TOK_ATOM;
	} else if (c == ')') {
		return "unbalanced parentheses";
	} else if (c == ']') {
		return "unbalanced brackets";
	} else {
		return "bad character in address list";
	}
	tok->p = lx->s + start;
	tok->len = lx->pos - start;
	return NULL;
}

/* Reads the next token without taking it. */
static const char *
peek(struct lexer *lx, struct token *tok)
{
	size_t pos = lx->pos;
	const char *why;

	why = lex(lx, tok);
	lx->pos = pos;
	return why;
}

static int
is_special(const struct token *tok, char c)
{
	return tok->type == TOK_SPECIAL && tok->p[0] == c;
}

static int
is_word(const struct token *tok)
{
	return tok->type == TOK_ATOM || tok->type == TOK_QSTRING;
}

/*
 * Reads a phrase: words (atoms, quoted strings) and dots, a display name
 * or a local part, into PT without the CFWS between them.  *R_LOCAL is
 * cleared when two words follow each other without a dot, which a local
 * part may not do; *R_EMPTY is set when there was no token at all.
 */
static const char *
read_phrase(struct lexer *lx, struct part *pt, int *r_local, int *r_empty)
{
	struct token tok;
	const char *why;
	int last_word = 0;

	*r_local = 1;
	*r_empty = 1;
	for (;;) {
		why = peek(lx, &tok);
		if (why)
			return why;
		if (!is_word(&tok) && !is_special(&tok, '.'))
			return NULL;
		if (is_word(&tok) && last_word)
			*r_local = 0;
		last_word = is_word(&tok);
		*r_empty = 0;
		part_add(pt, tok.p, tok.len);
		lex(lx, &tok);
	}
}

/* Reads a domain after the '@': a domain literal or atoms and dots. */
static const char *
read_domain(struct lexer *lx, struct part *pt)
{
	struct token tok;
	const char *why;
	int last_atom = 0;

	why = peek(lx, &tok);
	if (why)
		return why;
	if (tok.type == TOK_LITERAL) {
		part_add(pt, tok.p, tok.len);
		lex(lx, &tok);
		return NULL;
	}
	for (;;) {
		why = peek(lx, &tok);
		if (why)
			return why;
		/* Two atoms in a row: the second is not ours. */
		if (tok.type == TOK_ATOM && last_atom)
			return NULL;
		if (tok.type != TOK_ATOM && !is_special(&tok, '.'))
			return NULL;
		last_atom = tok.type == TOK_ATOM;
		part_add(pt, tok.p, tok.len);
		lex(lx, &tok);
	}
}

/*
 * Checks LOCAL@DOMAIN, normalises it and appends it to LIST.
 */
static enum getk_err
add_mailbox(struct mblist *list, const struct part *local,
    const struct part *domain, const char **r_why)
{
	char *box = NULL, **v;
	const char *why;
	size_t len, i;
	enum getk_err err;

	if (local->over || domain->over) {
		*r_why = "address longer than 254 octets";
		err = GETK_ERR_SYNTAX;
		goto leave;
	}
	len = local->len + 1 + domain->len;
	box = malloc(len + 1);
	if (!box) {
		err = GETK_ERR_NOMEM;
		goto leave;
	}
	memcpy(box, local->s, local->len);
	box[local->len] = '@';
	memcpy(box + local->len + 1, domain->s, domain->len);
	box[len] = '\0';
	why = getk_mailbox_check(box, len);
	if (why) {
		*r_why = why;
		err = GETK_ERR_SYNTAX;
		goto leave;
	}
	for (i = local->len + 1; i < len; i++)
		box[i] = lower(box[i]);
	if (list->n >= GETK_MAX_ADDRESSES) {
		*r_why = "more than 1000 addresses in the list";
		err = GETK_ERR_TOOBIG;
		goto leave;
	}
	if (list->n + 2 > list->cap) {
		size_t cap = list->cap ? list->cap * 2 : 8;

		v = realloc(list->v, cap * sizeof(*v));
		if (!v) {
			err = GETK_ERR_NOMEM;
			goto leave;
		}
		list->v = v;
		list->cap = cap;
	}
	list->v[list->n++] = box;
	list->v[list->n] = NULL;
	box = NULL;
	err = GETK_OK;
leave:
	free(box);
	return err;
}

/* Reads "@domain" after a local part LOCAL and appends the mailbox. */
static enum getk_err
finish_addr_spec(struct lexer *lx, struct mblist *list,
    const struct part *local, const char **r_why)
{
	struct part domain;
	struct token tok;
	const char *why;

	domain.len = 0;
	domain.over = 0;
	lex(lx, &tok);	/* the '@' */
	why = read_domain(lx, &domain);
	if (why) {
		*r_why = why;
		return GETK_ERR_SYNTAX;
	}
	return add_mailbox(list, local, &domain, r_why);
}

/* Reads an angle-addr after its '<' and appends the mailbox. */
static enum getk_err
parse_angle(struct lexer *lx, struct mblist *list, const char **r_why)
{
	struct part local;
	struct token tok;
	const char *why;
	int local_ok, empty;
	enum getk_err err;

	local.len = 0;
	local.over = 0;
	why = peek(lx, &tok);
	if (!why && is_special(&tok, '@'))
		why = "route addresses are not supported";
	if (!why)
		why = read_phrase(lx, &local, &local_ok, &empty);
	if (!why)
		why = peek(lx, &tok);
	if (why) {
		*r_why = why;
		return GETK_ERR_SYNTAX;
	}
	if (is_special(&tok, '>')) {
		*r_why = empty ? "empty address" : "address without domain";
		return GETK_ERR_SYNTAX;
	}
	if (!is_special(&tok, '@')) {
		*r_why = "unbalanced angle brackets";
		return GETK_ERR_SYNTAX;
	}
	if (!local_ok) {
		*r_why = "malformed local part";
		return GETK_ERR_SYNTAX;
	}
	err = finish_addr_spec(lx, list, &local, r_why);
	if (err)
		return err;
	why = lex(lx, &tok);
	if (!why && !is_special(&tok, '>'))
		why = "unbalanced angle brackets";
	if (why) {
		*r_why = why;
		return GETK_ERR_SYNTAX;
	}
	return GETK_OK;
}

static enum getk_err parse_element(struct lexer *lx, struct mblist *list,
    int in_group, const char **r_why);

/*
 * Checks the token after an element: a ',', the end, or in a group its
 * ';'.  NULL, or the reason it is wrong.
 */
static const char *
after_element(const struct token *tok, int in_group)
{
	if (tok->type == TOK_END || is_special(tok, ','))
		return NULL;
	if (is_special(tok, ';'))
		return in_group ? NULL : "';' outside a group";
	if (is_special(tok, '>'))
		return "unbalanced angle brackets";
	return "expected ',' between addresses";
}

/*
 * Reads the members of a group after its ':' up to and with the ';'.  A
 * missing ';' at the end of the list is forgiven.
 */
static enum getk_err
parse_group(struct lexer *lx, struct mblist *list, const char **r_why)
{
	struct token tok;
	const char *why;
	enum getk_err err;

	for (;;) {
		why = lex(lx, &tok);
		if (why) {
			*r_why = why;
			return GETK_ERR_SYNTAX;
		}
		if (tok.type == TOK_END || is_special(&tok, ';'))
			return GETK_OK;
		if (is_special(&tok, ','))
			continue;
		lx->pos = (size_t)(tok.p - lx->s);
		err = parse_element(lx, list, 1, r_why);
		if (err)
			return err;
		why = peek(lx, &tok);
		if (!why)
			why = after_element(&tok, 1);
		if (why) {
			*r_why = why;
			return GETK_ERR_SYNTAX;
		}
	}
}

/*
 * Reads one element of a list (of the address list, or of a group's
 * members when IN_GROUP): a mailbox, a group, or nothing before a ',',
 * a ';' or the end.  The token after the element is not taken.
 */
static enum getk_err
parse_element(struct lexer *lx, struct mblist *list, int in_group,
    const char **r_why)
{
	struct part phrase;
	struct token tok;
	const char *why;
	int local_ok, empty;

	phrase.len = 0;
	phrase.over = 0;
	why = read_phrase(lx, &phrase, &local_ok, &empty);
	if (!why)
		why = peek(lx, &tok);
	if (why) {
		*r_why = why;
		return GETK_ERR_SYNTAX;
	}
	if (is_special(&tok, '<')) {
		lex(lx, &tok);
		return parse_angle(lx, list, r_why);
	}
	if (is_special(&tok, ':')) {
		if (in_group) {
			*r_why = "group inside a group";
			return GETK_ERR_SYNTAX;
		}
		if (empty) {
			*r_why = "group without a name";
			return GETK_ERR_SYNTAX;
		}
		lex(lx, &tok);
		return parse_group(lx, list, r_why);
	}
	if (is_special(&tok, '@')) {
		if (!local_ok) {
			*r_why = "malformed local part";
			return GETK_ERR_SYNTAX;
		}
		return finish_addr_spec(lx, list, &phrase, r_why);
	}
	if (tok.type == TOK_END || is_special(&tok, ',') ||
	    (in_group && is_special(&tok, ';'))) {
		if (!empty) {
			*r_why = "address without domain";
			return GETK_ERR_SYNTAX;
		}
		return GETK_OK;
	}
	if (is_special(&tok, '>'))
		*r_why = "unbalanced angle brackets";
	else if (is_special(&tok, ';'))
		*r_why = "';' outside a group";
	else if (tok.type == TOK_LITERAL)
		*r_why = "domain literal outside an address";
	else
		*r_why = "unexpected character in address list";
	return GETK_ERR_SYNTAX;
}

/*
 * Copies the LEN bytes at VALUE to a new string without the line breaks
 * of folding; refuses any other CR or LF, and NUL.
 */
static enum getk_err
unfold(const char *value, size_t len, char **r_out, size_t *r_len,
    const char **r_why)
{
	char *out;
	size_t i, n = 0;

	*r_out = NULL;
	*r_len = 0;
	out = malloc(len + 1);
	if (!out)
		return GETK_ERR_NOMEM;
	for (i = 0; i < len; i++) {
		char c = value[i];

		if (c == '\r' && i + 2 < len && value[i + 1] == '\n' &&
		    is_space(value[i + 2])) {
			i++;
			continue;
		}
		if (c == '\n' && i + 1 < len && is_space(value[i + 1]))
			continue;
		if (c == '\r' || c == '\n' || c == '\0') {
			*r_why = c ? "line break in address list" :
			    "NUL byte in address list";
			free(out);
			return GETK_ERR_SYNTAX;
		}
		out[n++] = c;
	}
	out[n] = '\0';
	*r_out = out;
	*r_len = n;
	return GETK_OK;
}

enum getk_err
getk_addrlist_parse(const char *value, size_t len, char ***r_mailboxes,
    size_t *r_n, const char **r_why)
{
	struct mblist list = { NULL, 0, 0 };
	struct lexer lx;
	struct token tok;
	char *text = NULL;
	const char *why;
	size_t text_len;
	enum getk_err err;

	*r_mailboxes = NULL;
	*r_n = 0;
	*r_why = NULL;
	if (len > GETK_MAX_ADDRLIST) {
		*r_why = "address list longer than 1 MiB";
		err = GETK_ERR_TOOBIG;
		goto leave;
	}
	err = unfold(value, len, &text, &text_len, r_why);
	if (err)
		goto leave;
	/* An empty list is an array holding only NULL. */
	list.v = calloc(1, sizeof(*list.v));
	if (!list.v) {
		err = GETK_ERR_NOMEM;
		goto leave;
	}
	list.cap = 1;
	lx.s = text;
	lx.len = text_len;
	lx.pos = 0;
	for (;;) {
		why = peek(&lx, &tok);
		if (why)
			break;
		if (tok.type == TOK_END)
			break;
		if (is_special(&tok, ',')) {
			lex(&lx, &tok);
			continue;
		}
		err = parse_element(&lx, &list, 0, r_why);
		if (err)
			goto leave;
		why = peek(&lx, &tok);
		if (!why)
			why = after_element(&tok, 0);
		if (why || tok.type == TOK_END)
			break;
	}
	if (why) {
		*r_why = why;
		err = GETK_ERR_SYNTAX;
		goto leave;
	}
	*r_mailboxes = list.v;
	*r_n = list.n;
	list.v = NULL;
	err = GETK_OK;
leave:
	getk_strv_free(list.v);
	free(text);
	return err;
}

