/* SPDX-License-Identifier: MIT */
/* url.c — connection URLs: parse them into parts, mask their secrets, and
 * map a scheme to its driver module. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

#define MASK "****"
#define MAX_SPANS 8
#define AT_HINT "'@' after the host: percent-encode '@', '/', '?' and ':' " \
	"in the user name and password (%40, %2F, %3F, %3A)"

/* Query keys whose values are secrets. */
static const char *const secret_keys[] = { "password", "pass", "passwd", "pwd", "sslpassword" };

static const struct {
	const char *scheme, *driver;
} scheme_drivers[] = {
	{ "sqlite", "sqlite" },
	{ "postgres", "postgres" },
	{ "postgresql", "postgres" },
	{ "mysql", "mariadb" },
	{ "mariadb", "mariadb" },
};

/* A range of the raw text shown as MASK. */
typedef struct span {
	size_t from, to;
} span;

typedef struct parser {
	const char *raw;
	dbr__url *u;
	span spans[MAX_SPANS]; /* ascending, disjoint */
	size_t nspans;
	const char *why;       /* static text: never quotes the input */
} parser;

static int fail(parser *p, const char *why)
{
	p->why = why;
	return DBR_EINVAL;
}

static int add_span(parser *p, const char *from, const char *to)
{
	if (p->nspans == MAX_SPANS)
		return fail(p, "too many password parameters");
	p->spans[p->nspans++] = (span){ (size_t)(from - p->raw), (size_t)(to - p->raw) };
	return 0;
}

/* A copy of raw with each span replaced by MASK. */
static char *mask_build(const char *raw, const span *sp, size_t n)
{
	dbr__buf b = { 0 };
	size_t at = 0;
	for (size_t i = 0; i < n; i++) {
		dbr__buf_add(&b, raw + at, sp[i].from - at);
		dbr__buf_add(&b, MASK, strlen(MASK));
		at = sp[i].to;
	}
	dbr__buf_add(&b, raw + at, strlen(raw + at));
	if (b.oom || !b.s) {
		dbr__buf_free(&b);
		return NULL;
	}
	return b.s;
}

static int hexval(int c)
{
	if (isdigit(c))
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int is_secret(const char *key)
{
	for (size_t i = 0; i < sizeof(secret_keys) / sizeof(secret_keys[0]); i++)
		if (strcasecmp(key, secret_keys[i]) == 0)
			return 1;
	return 0;
}

int dbr__url_key_secret(const char *key)
{
	return key && is_secret(key);
}

/* Percent-decodes s[0..n) into a new string; empty gives NULL unless
 * keep_empty. A bad escape (or %00) is an error. */
static int decode(parser *p, char **out, const char *s, size_t n, int keep_empty)
{
	*out = NULL;
	if (n == 0 && !keep_empty)
		return 0;
	char *d = malloc(n + 1);
	if (!d)
		return DBR_ENOMEM;
	size_t j = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '%') {
			d[j++] = s[i];
			continue;
		}
		int hi = i + 2 < n ? hexval((unsigned char)s[i + 1]) : -1;
		int lo = i + 2 < n ? hexval((unsigned char)s[i + 2]) : -1;
		if (hi < 0 || lo < 0 || (hi | lo) == 0) {
			free(d);
			return fail(p, "bad %-escape (expected % and two hex digits)");
		}
		d[j++] = (char)(hi * 16 + lo);
		i += 2;
	}
	d[j] = '\0';
	*out = d;
	return 0;
}

/* Lenient decode of a key for the loose mask: is it a secret? */
static int key_secret(const char *s, size_t n)
{
	char buf[32];
	size_t j = 0;
	for (size_t i = 0; i < n && j < sizeof(buf) - 1; i++, j++) {
		int hi = i + 2 < n ? hexval((unsigned char)s[i + 1]) : -1;
		int lo = i + 2 < n ? hexval((unsigned char)s[i + 2]) : -1;
		buf[j] = s[i];
		if (s[i] == '%' && hi >= 0 && lo >= 0) {
			buf[j] = (char)(hi * 16 + lo);
			i += 2;
		}
	}
	buf[j] = '\0';
	return is_secret(buf);
}

/* The spans of the loose mask; when full, the last one runs to the end. */
#define MAX_LOOSE 32
typedef struct spanset {
	span v[MAX_LOOSE];
	size_t n, len;
} spanset;

static void loose_add(spanset *s, const char *raw, const char *from, const char *to)
{
	span sp = { (size_t)(from - raw), (size_t)(to - raw) };
	if (s->n == MAX_LOOSE - 1)
		sp.to = s->len; /* too many to tell apart: hide the rest */
	if (s->n < MAX_LOOSE)
		s->v[s->n++] = sp;
}

/* Sorts the spans and merges overlapping or touching ones. */
static void loose_merge(spanset *s)
{
	for (size_t i = 1; i < s->n; i++)
		for (size_t j = i; j > 0 && s->v[j].from < s->v[j - 1].from; j--) {
			span t = s->v[j];
			s->v[j] = s->v[j - 1];
			s->v[j - 1] = t;
		}
	size_t m = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (m && s->v[i].from <= s->v[m - 1].to) {
			if (s->v[i].to > s->v[m - 1].to)
				s->v[m - 1].to = s->v[i].to;
		} else {
			s->v[m++] = s->v[i];
		}
	}
	s->n = m;
}

/* The user info: everything from after "//" (else the first ':', else the
 * start) to the last '@'. Without an '@', "//user:password/db" looks like
 * "//host:port/db": what follows the first ':' of the authority (outside
 * [...]) is hidden unless it is a port number. */
static void loose_authority(spanset *s, const char *raw)
{
	const char *slash = strstr(raw, "//"), *colon = strchr(raw, ':');
	const char *from = slash ? slash + 2 : colon ? colon + 1 : raw;
	const char *at = strrchr(from, '@');
	if (at) {
		loose_add(s, raw, from, at);
		return;
	}
	if (!slash)
		return;
	const char *end = from + strcspn(from, "/?#"), *c = from;
	for (int depth = 0; c < end && (depth || *c != ':'); c++)
		depth += *c == '[' ? 1 : *c == ']' ? -1 : 0;
	if (c < end && strspn(c + 1, "0123456789") != (size_t)(end - c - 1))
		loose_add(s, raw, c + 1, end);
}

/* A URL embedded in another ("sqlite:/x?next=pg://u:pw@h") hides its
 * user info too: everything from each "//" but the text's own
 * "scheme://" to the next '@'. */
static void loose_embedded(spanset *s, const char *raw)
{
	size_t sch = strspn(raw, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+.-");
	const char *p = strstr(raw, "//");
	if (p && sch > 0 && p == raw + sch + 1 && raw[sch] == ':')
		p = strstr(p + 2, "//"); /* the authority: the parser's spans cover it */
	for (; p; p = strstr(p + 2, "//")) {
		const char *at = strchr(p + 2, '@');
		if (!at)
			return;
		loose_add(s, raw, p + 2, at);
	}
}

/* Where a value starting at v ends: a quoted one at its closing quote
 * (backslash escapes, as libpq's key=value form), an unquoted one at white
 * space, or also at '&' and '#' in a URL query. */
static const char *value_end(const char *v, int in_query)
{
	char q = *v == '\'' || *v == '"' ? *v : 0;
	const char *c = v + (q != 0);
	for (; *c; c++) {
		if (*c == '\\' && c[1]) {
			c++;
		} else if (q ? *c == q : isspace((unsigned char)*c) ||
		           (in_query && (*c == '&' || *c == '#'))) {
			return c + (q != 0);
		}
	}
	return c;
}

#define KEY_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.%"

/* Every "key = value" whose key names a secret, wherever it is (URL query,
 * libpq key=value string, ODBC-like text), and whatever precedes the key:
 * "mypassword=x" is hidden too. */
static void loose_keys(spanset *s, const char *raw)
{
	for (const char *c = raw; *c; c++) {
		size_t klen = strspn(c, KEY_CHARS);
		if (klen == 0 || !key_secret(c, klen))
			continue;
		const char *e = c + klen;
		e += strspn(e, " \t\r\n");
		if (*e != '=')
			continue;
		e++;
		e += strspn(e, " \t\r\n");
		int in_query = c > raw && (c[-1] == '?' || c[-1] == '&');
		const char *end = value_end(e, in_query);
		loose_add(s, raw, e, end);
		c = end > c ? end - 1 : c;
	}
}

static int parse_port(const char *s, size_t n)
{
	int v = 0;
	if (n == 0 || n > 5)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v >= 1 && v <= 65535 ? v : -1;
}

/* Checks one "host[:port]" or "[v6][:port]": the host is s[*hoff..+*hlen]. */
static int split_host(parser *p, const char *s, size_t n, size_t *hoff, size_t *hlen,
                      int *port)
{
	const char *colon;
	*hoff = 0;
	*port = 0;
	if (n && s[0] == '[') {
		const char *end = memchr(s, ']', n);
		if (!end)
			return fail(p, "unterminated '[' in the host");
		*hoff = 1;
		*hlen = (size_t)(end - s) - 1;
		colon = end + 1;
		if (colon == s + n)
			return 0;
		if (*colon != ':')
			return fail(p, "unexpected text after ']' in the host");
	} else {
		colon = memchr(s, ':', n);
		*hlen = colon ? (size_t)(colon - s) : n;
		if (!colon)
			return 0;
		if (memchr(colon + 1, ':', n - *hlen - 1))
			return fail(p, "an IPv6 address must be in brackets, e.g. [::1]:5432");
	}
	*port = parse_port(colon + 1, (size_t)(s + n - colon - 1));
	return *port < 0 ? fail(p, "bad port (expected a number from 1 to 65535)") : 0;
}

/* One host or a comma-separated list (then host is the whole list text,
 * port 0; each element is still checked). */
static int parse_hostport(parser *p, const char *s, size_t n)
{
	size_t hoff = 0, hlen = n;
	int port = 0, many = memchr(s, ',', n) != NULL;
	for (const char *e = s, *end = s + n;;) {
		const char *c = memchr(e, ',', (size_t)(end - e));
		int rc = split_host(p, e, (size_t)((c ? c : end) - e), &hoff, &hlen, &port);
		if (rc)
			return rc;
		if (!c)
			break;
		e = c + 1;
	}
	if (many) {
		hoff = 0;
		hlen = n;
		port = 0;
	}
	p->u->port = port;
	return decode(p, &p->u->host, s + hoff, hlen, 0);
}

static int parse_userinfo(parser *p, const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	size_t ulen = colon ? (size_t)(colon - s) : n;
	int rc = decode(p, &p->u->user, s, ulen, 0);
	if (rc || !colon)
		return rc;
	rc = add_span(p, colon + 1, s + n);
	return rc ? rc : decode(p, &p->u->password, colon + 1, n - ulen - 1, 0);
}

static int parse_authority(parser *p, const char *s, size_t n)
{
	const char *at = NULL;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '@')
			at = s + i;
	if (!at)
		return parse_hostport(p, s, n);
	int rc = parse_userinfo(p, s, (size_t)(at - s));
	return rc ? rc : parse_hostport(p, at + 1, n - (size_t)(at - s) - 1);
}

/* One "key[=value]" of the query. */
static int add_param(parser *p, const char *seg, size_t n)
{
	dbr__url *u = p->u;
	const char *eq = memchr(seg, '=', n);
	size_t klen = eq ? (size_t)(eq - seg) : n;
	char *k, *v;
	if (klen == 0)
		return fail(p, "empty query parameter name");
	if (memchr(seg, '@', klen))
		return fail(p, AT_HINT);
	int rc = decode(p, &k, seg, klen, 1);
	if (rc)
		return rc;
	for (size_t i = 0; i < u->nparams; i++)
		if (strcasecmp(u->keys[i], k) == 0) {
			free(k);
			return fail(p, "duplicate query parameter");
		}
	if (eq && is_secret(k) && (rc = add_span(p, eq + 1, seg + n)) != 0) {
		free(k);
		return rc;
	}
	char **ks = realloc(u->keys, (u->nparams + 1) * sizeof(*ks));
	if (ks)
		u->keys = ks;
	char **vs = ks ? realloc(u->values, (u->nparams + 1) * sizeof(*vs)) : NULL;
	if (vs)
		u->values = vs;
	rc = !vs ? DBR_ENOMEM : eq ? decode(p, &v, eq + 1, n - klen - 1, 1) : decode(p, &v, "", 0, 1);
	if (rc) {
		free(k);
		return rc;
	}
	u->keys[u->nparams] = k;
	u->values[u->nparams++] = v;
	return 0;
}

static int parse_query(parser *p, const char *q)
{
	while (*q) {
		size_t n = strcspn(q, "&");
		int rc = n ? add_param(p, q, n) : 0;
		if (rc)
			return rc;
		q += n + (q[n] == '&');
	}
	return 0;
}

/* sqlite::memory:, sqlite:///abs.db, sqlite://rel.db, sqlite:rel.db */
static int parse_sqlite(parser *p, const char *rest)
{
	dbr__url *u = p->u;
	const char *body = strncmp(rest, "//", 2) == 0 ? rest + 2 : rest;
	size_t n = strcspn(body, "?");
	int rc = decode(p, &u->path, body, n, 0);
	if (rc)
		return rc;
	if (u->path && strcmp(u->path, "/:memory:") == 0)
		memmove(u->path, u->path + 1, strlen(u->path));
	if (!u->path || strcmp(u->path, "/") == 0)
		return fail(p, "no database file (e.g. sqlite:///abs/path.db, "
		               "sqlite://rel.db, sqlite::memory:)");
	return body[n] == '?' ? parse_query(p, body + n + 1) : 0;
}

/* scheme://[user[:password]@]host[:port][,host[:port]...][/path][?query],
 * or scheme:opaque[?query]. */
static int parse_generic(parser *p, const char *rest)
{
	const char *path = rest;
	int rc;
	if (strncmp(rest, "//", 2) == 0) {
		size_t n = strcspn(rest + 2, "/?");
		if ((rc = parse_authority(p, rest + 2, n)) != 0)
			return rc;
		path = rest + 2 + n;
		path += *path == '/';
	}
	size_t n = strcspn(path, "?");
	if (memchr(path, '@', n))
		return fail(p, AT_HINT);
	if ((rc = decode(p, &p->u->path, path, n, 0)) != 0)
		return rc;
	return path[n] == '?' ? parse_query(p, path + n + 1) : 0;
}

static int parse(parser *p, const char *text)
{
	dbr__url *u = p->u;
	if (!text || !*text)
		return fail(p, "the URL is empty");
	size_t n = strcspn(text, ":/?@");
	if (n == 0 || text[n] != ':')
		return fail(p, "no scheme (e.g. postgresql://, mysql://, sqlite:///file.db)");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)text[i];
		if (!(isalpha(c) || (i && (isdigit(c) || c == '+' || c == '-' || c == '.'))))
			return fail(p, "bad character in the scheme");
	}
	if (!(u->scheme = dbr__strndup(text, n)))
		return DBR_ENOMEM;
	for (char *c = u->scheme; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return strcmp(u->scheme, "sqlite") == 0 ? parse_sqlite(p, text + n + 1)
	                                        : parse_generic(p, text + n + 1);
}

int dbr__url_parse(dbr__url *out, const char *text)
{
	parser p = { .raw = text, .u = out };
	memset(out, 0, sizeof(*out));
	int rc = parse(&p, text);
	if (rc == 0) {
		out->raw = dbr__strdup(text);
		out->masked = dbr_url_mask(text);
		if (out->raw && out->masked)
			return 0;
		rc = DBR_ENOMEM;
	}
	dbr__url_clear(out);
	char *m = rc == DBR_EINVAL ? dbr_url_mask(text ? text : "") : NULL;
	if (!m)
		return dbr__err(DBR_ENOMEM, NULL, "out of memory while parsing a URL");
	dbr__err(DBR_EINVAL, NULL, "invalid URL '%s': %s", m, p.why);
	free(m);
	return DBR_EINVAL;
}

void dbr__url_clear(dbr__url *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->nparams; i++) {
		free(u->keys[i]);
		free(u->values[i]);
	}
	free(u->keys);
	free(u->values);
	free(u->raw);
	free(u->masked);
	free(u->scheme);
	free(u->user);
	free(u->password);
	free(u->host);
	free(u->path);
	memset(u, 0, sizeof(*u));
}

const char *dbr__url_driver(const char *scheme)
{
	for (size_t i = 0; scheme && i < sizeof(scheme_drivers) / sizeof(scheme_drivers[0]); i++)
		if (strcasecmp(scheme, scheme_drivers[i].scheme) == 0)
			return scheme_drivers[i].driver;
	return NULL;
}

const char *dbr__url_driver_module(const char *scheme, int *builtin)
{
	const char *m = dbr__url_driver(scheme);
	*builtin = m != NULL;
	if (m || !scheme || !*scheme)
		return m;
	/* Only a scheme that can be a plain file name names a module. */
	return strspn(scheme, "abcdefghijklmnopqrstuvwxyz0123456789-") == strlen(scheme) ? scheme : NULL;
}

int dbr__url_scheme_listed(const char *const *schemes, const char *scheme)
{
	for (size_t i = 0; schemes && scheme && schemes[i]; i++)
		if (strcasecmp(schemes[i], scheme) == 0)
			return 1;
	return 0;
}

/* The parts of `text` to hide: the parser's spans if it parses, else the
 * loose user info; and every password-like key=value wherever it is.
 * Never "show as is" because the text is not understood. */
static int secret_spans(spanset *s, const char *text)
{
	dbr__url u;
	parser p = { .raw = text, .u = &u };
	memset(&u, 0, sizeof(u));
	int rc = parse(&p, text);
	dbr__url_clear(&u);
	memset(s, 0, sizeof(*s));
	s->len = strlen(text);
	if (rc != 0 && rc != DBR_EINVAL)
		return rc;
	if (rc == 0) {
		memcpy(s->v, p.spans, p.nspans * sizeof(span));
		s->n = p.nspans;
	} else {
		loose_authority(s, text);
	}
	loose_embedded(s, text);
	loose_keys(s, text); /* also "password=" where a URL has a path */
	loose_merge(s);
	return 0;
}

/* The one masking function: every URL or connection string shown in a
 * message goes through it (dbr__url.masked is its result too). */
char *dbr_url_mask(const char *url)
{
	spanset s;
	if (!url || secret_spans(&s, url))
		return NULL;
	return mask_build(url, s.v, s.n);
}

size_t dbr__url_secret_spans(size_t (*out)[2], size_t max, const char *text)
{
	spanset s;
	size_t n = 0;
	if (!text || secret_spans(&s, text))
		return 0;
	for (; n < s.n && n < max; n++) {
		out[n][0] = s.v[n].from;
		out[n][1] = s.v[n].to;
	}
	return n;
}
