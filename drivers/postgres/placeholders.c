/*
 * placeholders.c — translates `?` placeholders to PostgreSQL's `$n`.
 *
 * A small lexer skips what may legitimately contain a `?`: string literals
 * ('…', E'…' with backslash escapes, and every '…' when
 * standard_conforming_strings is off), quoted identifiers ("…"),
 * dollar-quoted bodies ($$…$$, $tag$…$tag$), -- comments and nested
 * block comments. `??` stands for a literal `?` (the jsonb operators ?, ?|
 * and ?&). A statement already written with $n passes unchanged (its `?`
 * are operators).
 */
#include <string.h>

#include "placeholders.h"

/* Characters that continue an identifier (PostgreSQL allows $ after the
 * first character, and any byte >= 0x80). */
static int ident_char(unsigned char c)
{
	return c == '_' || c == '$' || c >= 0x80 || (c >= '0' && c <= '9') ||
	       ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

static int ident_start(unsigned char c)
{
	return c == '_' || c >= 0x80 || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* End of a quoted run that starts at p (the opening quote `q`); a doubled
 * quote is an escaped one; `backslash` makes \x an escape too. */
static const char *skip_quoted(const char *p, char q, int backslash)
{
	for (p++; *p != '\0'; p++) {
		if (backslash && *p == '\\' && p[1] != '\0')
			p++;
		else if (*p == q && p[1] == q)
			p++;
		else if (*p == q)
			return p + 1;
	}
	return p; /* unterminated: the server reports it */
}

static const char *skip_line_comment(const char *p)
{
	const char *e = strchr(p, '\n');
	return e ? e + 1 : p + strlen(p);
}

/* Block comments nest in PostgreSQL. */
static const char *skip_block_comment(const char *p)
{
	int depth = 0;
	while (*p != '\0') {
		if (p[0] == '/' && p[1] == '*') {
			depth++;
			p += 2;
		} else if (p[0] == '*' && p[1] == '/') {
			p += 2;
			if (--depth == 0)
				return p;
		} else {
			p++;
		}
	}
	return p;
}

/* Length of a dollar-quote tag ($$ or $tag$) at p, or 0 if there is none. */
static size_t dollar_tag(const char *p)
{
	size_t n = 1;
	if (p[1] != '$' && !ident_start((unsigned char)p[1]))
		return 0;
	while (p[n] != '$') {
		if (!ident_char((unsigned char)p[n]) || p[n] == '$')
			return 0;
		n++;
	}
	return n + 1;
}

static const char *skip_dollar_quoted(const char *p, size_t taglen)
{
	const char *body = p + taglen;
	for (const char *q = body; (q = strchr(q, '$')) != NULL; q++)
		if (strncmp(q, p, taglen) == 0)
			return q + taglen;
	return body + strlen(body);
}

/* Where the token at p ends if it is one that hides `?`, or NULL. `prev` is
 * the byte before p (0 at the start). */
static const char *skip_opaque(const char *p, unsigned char prev, int std_strings)
{
	size_t tag;
	switch (*p) {
	case '\'':
		return skip_quoted(p, '\'', !std_strings);
	case '"':
		return skip_quoted(p, '"', 0);
	case 'E':
	case 'e':
		if (p[1] == '\'' && !ident_char(prev))
			return skip_quoted(p + 1, '\'', 1);
		return NULL;
	case '-':
		return p[1] == '-' ? skip_line_comment(p) : NULL;
	case '/':
		return p[1] == '*' ? skip_block_comment(p) : NULL;
	case '$':
		if (ident_char(prev) || (tag = dollar_tag(p)) == 0)
			return NULL;
		return skip_dollar_quoted(p, tag);
	default:
		return NULL;
	}
}

/* Appends n bytes to out within size; counts them all. */
static void put(char *out, size_t size, size_t *len, const char *s, size_t n)
{
	if (*len < size) {
		size_t room = size - *len - 1;
		memcpy(out + *len, s, n < room ? n : room);
	}
	*len += n;
}

static void put_param(char *out, size_t size, size_t *len, size_t n)
{
	char num[24];
	size_t k = sizeof num;
	do {
		num[--k] = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0);
	num[--k] = '$';
	put(out, size, len, num + k, sizeof num - k);
}

/* A $n parameter at p (not inside an identifier): its number, else 0. */
static size_t dollar_param(const char *p, unsigned char prev, const char **end)
{
	size_t n = 0;
	if (ident_char(prev) || !is_digit((unsigned char)p[1]))
		return 0;
	for (p++; is_digit((unsigned char)*p); p++)
		n = n * 10 + (size_t)(*p - '0');
	*end = p;
	return n;
}

long pgph_translate(char *out, size_t size, const char *sql, int std_strings,
                    pgph_info *info)
{
	size_t len = 0, nq = 0, maxd = 0;
	unsigned char prev = 0;
	const char *p = sql, *end;

	while (*p != '\0') {
		size_t n;
		if ((end = skip_opaque(p, prev, std_strings)) != NULL) {
			put(out, size, &len, p, (size_t)(end - p));
		} else if (p[0] == '?' && p[1] == '?') {
			put(out, size, &len, "?", 1);
			end = p + 2;
		} else if (p[0] == '?') {
			put_param(out, size, &len, ++nq);
			end = p + 1;
		} else if (p[0] == '$' && (n = dollar_param(p, prev, &end)) > 0) {
			maxd = n > maxd ? n : maxd;
			put(out, size, &len, p, (size_t)(end - p));
		} else {
			put(out, size, &len, p, 1);
			end = p + 1;
		}
		prev = (unsigned char)end[-1];
		p = end;
	}
	info->nparams = maxd > 0 ? maxd : nq;
	info->dollar = maxd > 0;
	if (maxd > 0) { /* written for PostgreSQL: every ? is an operator */
		len = 0;
		put(out, size, &len, sql, strlen(sql));
	}
	if (size > 0)
		out[len < size ? len : size - 1] = '\0';
	return (long)len;
}
