/* SPDX-License-Identifier: MIT */
/* tokenize.c — the core's one SQL lexer. Like SQLite's tokenize.c, a
 * single pass turns the text into tokens that every consumer shares: the
 * classifier, the `?` → `$n` rewriter (host service sql_placeholders) and
 * comment readers. Dialects differ in what hides text:
 *
 *   PostgreSQL  '' doubled (backslash escapes with E'' or when
 *               standard_conforming_strings is off), "names", $tag$ quotes,
 *               $n parameters, nested block comments, `??` is a literal `?`
 *   MariaDB     '' and "" strings with backslash escapes, `names`, # and
 *               "-- " comments, executable comments slash-star-bang (and
 *               slash-star-M-bang) whose body is SQL; $ starts a name
 *   SQLite      '' doubled, "names", `names`, [names], :a @a $a parameters
 *
 * GENERIC lexes as PostgreSQL and raises `ambiguous` wherever another
 * dialect would read the text differently.
 *
 * Keywords are found by a hash of their first and last letters and length
 * (SQLite's keywordhash.h): one compare, rarely two; no list of strncasecmp. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "tokenize.h"

/* ------------------------------------------------------------ keywords */

#define KW(k) [DBR__KW_##k] = #k
static const char *const kw_names[DBR__KW_COUNT_] = {
	[DBR__KW_NONE] = "",
	KW(ABORT), KW(ANALYSE), KW(ANALYZE), KW(AUTOCOMMIT), KW(BEGIN), KW(COMMIT), KW(DELETE),
	KW(DESC), KW(DESCRIBE), KW(END), KW(EXPLAIN), KW(EXTENDED), KW(FOR), KW(FORMAT),
	KW(GLOBAL), KW(IN), KW(INSERT), KW(INTO), KW(JSON), KW(KEY), KW(LOCAL), KW(LOCK),
	KW(MERGE), KW(NEXT), KW(NO), KW(NOT), KW(PARTITIONS), KW(PLAN), KW(PRAGMA),
	KW(PREPARE), KW(PREVIOUS), KW(QUERY), KW(RELEASE), KW(ROLLBACK), KW(SAVEPOINT),
	KW(SELECT), KW(SESSION), KW(SET), KW(SHARE), KW(SHOW), KW(START), KW(TABLE), KW(TEXT),
	KW(TRADITIONAL), KW(TRANSACTION), KW(TREE), KW(UPDATE), KW(VALUE), KW(VALUES),
	KW(VERBOSE), KW(WITH), KW(XA), KW(XML), KW(YAML),
};
#undef KW

/* SQLite's keyword hash: first and last letter and length pick a bucket
 * of a chained table built once from kw_names; a lookup folds nothing
 * but those two letters and compares with one or two keywords. */
#define KW_BUCKETS 64
static unsigned char kw_bucket[KW_BUCKETS], kw_chain[DBR__KW_COUNT_];
static pthread_once_t kw_once = PTHREAD_ONCE_INIT;

static unsigned kw_hash(unsigned char first, unsigned char last, size_t n)
{
	return (((first & 0xdfu) * 4u) ^ ((last & 0xdfu) * 3u) ^ (unsigned)n) % KW_BUCKETS;
}

static void kw_build(void)
{
	for (int k = DBR__KW_COUNT_ - 1; k > DBR__KW_NONE; k--) {
		size_t n = strlen(kw_names[k]);
		unsigned h = kw_hash((unsigned char)kw_names[k][0], (unsigned char)kw_names[k][n - 1], n);
		kw_chain[k] = kw_bucket[h];
		kw_bucket[h] = (unsigned char)k;
	}
}

/* Case-insensitive equality of s (n bytes) with the upper-case keyword. */
static int kw_equal(const char *s, const char *kw, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((s[i] & 0xdf) != kw[i] || kw[i] == '\0')
			return 0;
	return kw[n] == '\0';
}

dbr__kw dbr__kw_lookup(const char *s, size_t n)
{
	if (n < 2 || n > 11)
		return DBR__KW_NONE;
	pthread_once(&kw_once, kw_build);
	unsigned h = kw_hash((unsigned char)s[0], (unsigned char)s[n - 1], n);
	for (unsigned k = kw_bucket[h]; k; k = kw_chain[k])
		if (kw_equal(s, kw_names[k], n))
			return (dbr__kw)k;
	return DBR__KW_NONE;
}

const char *dbr__kw_name(dbr__kw kw)
{
	return kw > DBR__KW_NONE && kw < DBR__KW_COUNT_ ? kw_names[kw] : "";
}

/* ------------------------------------------------------------ bytes */

enum { C_SPACE = 1, C_IDSTART = 2, C_ID = 4, C_DIGIT = 8 };
#define SP C_SPACE
#define DG (C_ID | C_DIGIT)
#define ID (C_IDSTART | C_ID)
/* Byte classes: bytes >= 0x80 (UTF-8) are name characters everywhere. */
static const unsigned char byte_class[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, SP, SP, SP, SP, SP, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	SP, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	DG, DG, DG, DG, DG, DG, DG, DG, DG, DG, 0, 0, 0, 0, 0, 0,
	0, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID,
	ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, 0, 0, 0, 0, ID,
	0, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID,
	ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, 0, 0, 0, 0, 0,
	ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID,
	ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID,
	ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID,
	ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID,
	ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID,
	ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID,
	ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID,
	ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID, ID,
};
#undef SP
#undef DG
#undef ID

static unsigned char cls_of(unsigned char c)
{
	return byte_class[c];
}

static int is_space(unsigned char c) { return cls_of(c) & C_SPACE; }
static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static int is_idstart(unsigned char c) { return cls_of(c) & C_IDSTART; }
/* '$' continues a name in every dialect. */
static int is_id(unsigned char c) { return c == '$' || (cls_of(c) & C_ID); }

/* ------------------------------------------------------------ pieces */

/* Past the quoted run opened at p: a doubled quote escapes it, and with
 * `bs` a backslash escapes the next byte. NULL if unterminated. *saw_bs
 * tells whether a backslash appeared (a GENERIC ambiguity). */
static const char *quoted(const char *p, char close, int bs, int *saw_bs)
{
	for (p++; *p; p++) {
		if (*p == '\\') {
			*saw_bs = 1;
			if (bs && p[1])
				p++;
		} else if (*p == close) {
			if (p[1] != close || close == ']')
				return p + 1;
			p++;
		}
	}
	return NULL;
}

/* A block comment from p; nested ones count when `nest`. NULL if
 * unterminated; *saw_nest if a nested opener appeared. */
static const char *block_comment(const char *p, int nest, int *saw_nest)
{
	int depth = 1;
	for (p += 2; *p; p++) {
		if (p[0] == '*' && p[1] == '/') {
			if (--depth == 0)
				return p + 2;
			p++;
		} else if (p[0] == '/' && p[1] == '*') {
			*saw_nest = 1;
			depth += nest;
			p++;
		}
	}
	return NULL;
}

/* Length of the dollar-quote tag ($$ or $name$) at p, 0 if none. */
static size_t dollar_tag(const char *p)
{
	size_t n = 1;
	if (p[1] != '$' && !is_idstart((unsigned char)p[1]))
		return 0;
	while (p[n] != '$') {
		if (!(cls_of((unsigned char)p[n]) & C_ID))
			return 0;
		n++;
	}
	return n + 1;
}

/* Past a dollar-quoted body whose tag (n bytes) starts at p; NULL if
 * unterminated. */
static const char *dollar_body(const char *p, size_t n)
{
	for (const char *q = strchr(p + n, '$'); q; q = strchr(q + 1, '$'))
		if (strncmp(q, p, n) == 0)
			return q + n;
	return NULL;
}

static const char *number(const char *p)
{
	int hex = p[0] == '0' && (p[1] | 0x20) == 'x';
	for (p++;; p++) {
		unsigned char c = (unsigned char)*p;
		if ((cls_of(c) & C_ID) || c == '.')
			continue;
		if ((c == '+' || c == '-') && !hex && (p[-1] | 0x20) == 'e')
			continue;
		return p;
	}
}

/* ------------------------------------------------------------ the lexer */

void dbr__lex_init(dbr__lexer *lx, const char *sql, dbr_sql_dialect d, unsigned flags)
{
	lx->p = sql ? sql : "";
	lx->d = d;
	lx->flags = flags;
	lx->in_xc = 0;
	lx->ambiguous = 0;
}

/* Sets the token [p, e) of kind k (e NULL: unterminated, to the end). */
static dbr__tk emit(dbr__lexer *lx, dbr__token *t, dbr__tk k, const char *e)
{
	if (!e) {
		k = DBR__TK_BAD;
		e = t->s + strlen(t->s);
	}
	t->kind = k;
	t->n = (size_t)(e - t->s);
	lx->p = e;
	return k;
}

/* '-' and '#': line comments where the dialect has them. */
static dbr__tk lex_line_comment(dbr__lexer *lx, dbr__token *t)
{
	const char *p = t->s;
	int my = lx->d == DBR_SQL_MYSQL, generic = lx->d == DBR_SQL_GENERIC;
	if (*p == '#') {
		lx->ambiguous |= generic;
		if (!my)
			return emit(lx, t, DBR__TK_OP, p + 1);
	} else {
		/* MariaDB needs a blank (or the end) after "--". */
		int blank = !p[2] || is_space((unsigned char)p[2]) || (unsigned char)p[2] < ' ';
		if (my && !blank)
			return emit(lx, t, DBR__TK_OP, p + 1);
		lx->ambiguous |= generic && !blank;
	}
	return emit(lx, t, DBR__TK_COMMENT, p + strcspn(p, "\n"));
}

static dbr__tk lex_slash(dbr__lexer *lx, dbr__token *t)
{
	const char *p = t->s;
	int saw_nest = 0;
	if (p[1] != '*')
		return emit(lx, t, DBR__TK_OP, p + 1);
	int xc = p[2] == '!' || (p[2] == 'M' && p[3] == '!');
	if (xc && lx->d == DBR_SQL_MYSQL && !lx->in_xc) {
		p += p[2] == '!' ? 3 : 4;
		while (is_digit((unsigned char)*p))
			p++;
		lx->in_xc = 1;
		return emit(lx, t, DBR__TK_XOPEN, p);
	}
	const char *e = block_comment(p, lx->d == DBR_SQL_POSTGRES || lx->d == DBR_SQL_GENERIC,
	                              &saw_nest);
	lx->ambiguous |= lx->d == DBR_SQL_GENERIC && (saw_nest || xc);
	return emit(lx, t, DBR__TK_COMMENT, e);
}

/* '...' (and E'...' from `p` = the quote). */
static dbr__tk lex_string(dbr__lexer *lx, dbr__token *t, const char *q, int bs)
{
	int saw_bs = 0;
	const char *e = quoted(q, *q, bs, &saw_bs);
	lx->ambiguous |= lx->d == DBR_SQL_GENERIC && saw_bs && !bs;
	return emit(lx, t, DBR__TK_STRING, e);
}

static dbr__tk lex_quote(dbr__lexer *lx, dbr__token *t)
{
	const char *p = t->s;
	int my = lx->d == DBR_SQL_MYSQL, saw_bs = 0;
	switch (*p) {
	case '\'':
		return lex_string(lx, t, p, my || (lx->flags & DBR_SQL_BACKSLASH_QUOTES));
	case '"':
		if (my)
			return lex_string(lx, t, p, 1);
		{
			const char *e = quoted(p, '"', 0, &saw_bs);
			lx->ambiguous |= lx->d == DBR_SQL_GENERIC && saw_bs;
			return emit(lx, t, DBR__TK_QNAME, e);
		}
	case '`':
		return emit(lx, t, DBR__TK_QNAME, quoted(p, '`', 0, &saw_bs));
	default: /* '[' */
		if (lx->d != DBR_SQL_SQLITE)
			return emit(lx, t, DBR__TK_OP, p + 1);
		return emit(lx, t, DBR__TK_QNAME, quoted(p, ']', 0, &saw_bs));
	}
}

static dbr__tk lex_word(dbr__lexer *lx, dbr__token *t)
{
	const char *p = t->s, *e = p + 1;
	/* E'...' takes backslash escapes (PostgreSQL; harmless elsewhere). */
	if ((*p | 0x20) == 'e' && p[1] == '\'' && lx->d != DBR_SQL_MYSQL &&
	    lx->d != DBR_SQL_SQLITE)
		return lex_string(lx, t, p + 1, 1);
	while (is_id((unsigned char)*e))
		e++;
	emit(lx, t, DBR__TK_WORD, e);
	t->kw = dbr__kw_lookup(p, t->n);
	return DBR__TK_WORD;
}

/* SQLite's :name, @name, $name parameters. */
static dbr__tk lex_sqlite_param(dbr__lexer *lx, dbr__token *t)
{
	const char *e = t->s + 1;
	if (!is_id((unsigned char)*e))
		return emit(lx, t, DBR__TK_OP, e);
	while (is_id((unsigned char)*e))
		e++;
	return emit(lx, t, DBR__TK_PARAM, e);
}

static dbr__tk lex_dollar(dbr__lexer *lx, dbr__token *t)
{
	const char *p = t->s, *e = p + 1;
	size_t tag;
	if (lx->d == DBR_SQL_MYSQL) /* a name */
		return lex_word(lx, t);
	if (lx->d == DBR_SQL_SQLITE)
		return lex_sqlite_param(lx, t);
	if (is_digit((unsigned char)p[1])) {
		while (is_digit((unsigned char)*e))
			e++;
		return emit(lx, t, DBR__TK_PARAM, e);
	}
	if ((tag = dollar_tag(p)) == 0)
		return emit(lx, t, DBR__TK_OP, e);
	lx->ambiguous |= lx->d == DBR_SQL_GENERIC;
	return emit(lx, t, DBR__TK_STRING, dollar_body(p, tag));
}

static dbr__tk lex_other(dbr__lexer *lx, dbr__token *t)
{
	const char *p = t->s, *e = p + 1;
	switch (*p) {
	case '?':
		if (p[1] == '?' && lx->d == DBR_SQL_POSTGRES)
			return emit(lx, t, DBR__TK_OP, p + 2);
		while (lx->d == DBR_SQL_SQLITE && is_digit((unsigned char)*e))
			e++;
		return emit(lx, t, DBR__TK_PARAM, e);
	case ':':
	case '@':
		if (lx->d == DBR_SQL_SQLITE)
			return lex_sqlite_param(lx, t);
		return emit(lx, t, DBR__TK_OP, e);
	case '*':
		if (lx->in_xc && p[1] == '/') {
			lx->in_xc = 0;
			return emit(lx, t, DBR__TK_XCLOSE, p + 2);
		}
		return emit(lx, t, DBR__TK_OP, e);
	case '.':
		if (is_digit((unsigned char)p[1]))
			return emit(lx, t, DBR__TK_NUMBER, number(p));
		return emit(lx, t, DBR__TK_OP, e);
	default:
		return emit(lx, t, DBR__TK_OP, e);
	}
}

dbr__tk dbr__lex_next(dbr__lexer *lx, dbr__token *t)
{
	const char *p = lx->p, *e = p + 1;
	unsigned char c = (unsigned char)*p, k = cls_of(c);
	t->s = p;
	t->kw = DBR__KW_NONE;
	if (!c)
		return emit(lx, t, DBR__TK_END, p);
	if (k & C_SPACE) {
		while (is_space((unsigned char)*e))
			e++;
		return emit(lx, t, DBR__TK_SPACE, e);
	}
	if (k & C_IDSTART)
		return lex_word(lx, t);
	if (k & C_DIGIT)
		return emit(lx, t, DBR__TK_NUMBER, number(p));
	switch (c) {
	case '-':
		return p[1] == '-' ? lex_line_comment(lx, t) : emit(lx, t, DBR__TK_OP, e);
	case '#':
		return lex_line_comment(lx, t);
	case '/':
		return lex_slash(lx, t);
	case '\'':
	case '"':
	case '`':
	case '[':
		return lex_quote(lx, t);
	case '$':
		return lex_dollar(lx, t);
	default:
		return lex_other(lx, t);
	}
}

int dbr__lex_walk(const char *sql, dbr_sql_dialect d, unsigned flags,
                  int (*fn)(void *ctx, const dbr__token *t), void *ctx)
{
	dbr__lexer lx;
	dbr__token t;
	dbr__lex_init(&lx, sql, d, flags);
	while (dbr__lex_next(&lx, &t) != DBR__TK_END) {
		int rc = fn(ctx, &t);
		if (rc)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------ dbr: comments */

static const char hint_blank[] = " \t\r\n";
/* Key and alias bytes; a hint's value is any run of non-blank bytes. */
static const char hint_name[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";

/* The comment's body: the text between its delimiters. */
static void comment_body(const char **b, size_t *n, const dbr__token *t)
{
	size_t open = t->s[0] == '#' ? 1 : 2;
	size_t close = t->s[0] == '/' && t->n >= 4 ? 2 : 0;
	*b = t->s + open;
	*n = t->n - open - close;
}

/* Skips blanks in [*p, end). */
static void skip_blank(const char **p, const char *end)
{
	while (*p < end && strchr(hint_blank, **p) && **p)
		(*p)++;
}

/* A run of bytes from `set` (or, set NULL, of non-blank bytes) as a new
 * string into *out; 0, or 1 if the run is empty, or DBR_ENOMEM. */
static int take_run(char **out, const char **p, const char *end, const char *set)
{
	const char *q = *p;
	while (q < end && *q && (set ? strchr(set, *q) != NULL : strchr(hint_blank, *q) == NULL))
		q++;
	if (q == *p)
		return 1;
	free(*out);
	if (!(*out = dbr__strndup(*p, (size_t)(q - *p))))
		return dbr__err(DBR_ENOMEM, NULL, "out of memory");
	*p = q;
	return 0;
}

static int lit(const char **p, const char *end, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(end - *p) < n || strncmp(*p, word, n) != 0)
		return 0;
	*p += n;
	return 1;
}

static int hint_append(dbr__sql_hints *h, const char **p, const char *end)
{
	char *k = NULL, *v = NULL;
	int rc = take_run(&k, p, end, hint_name);
	if (rc == 0 && !lit(p, end, "="))
		rc = 1;
	if (rc == 0)
		rc = take_run(&v, p, end, NULL);
	char **nk = rc ? NULL : realloc(h->keys, (h->n + 1) * sizeof(*nk));
	if (nk)
		h->keys = nk;
	char **nv = nk ? realloc(h->values, (h->n + 1) * sizeof(*nv)) : NULL;
	if (nv)
		h->values = nv;
	if (rc == 0 && !nv)
		rc = dbr__err(DBR_ENOMEM, NULL, "out of memory");
	if (rc) {
		free(k);
		free(v);
		return rc;
	}
	h->keys[h->n] = k;
	h->values[h->n++] = v;
	return 0;
}

/* One directive after "dbr:": 0, 1 if malformed, or DBR_ENOMEM. */
static int directive(dbr__sql_hints *h, const char *p, const char *end)
{
	int rc = 1;
	skip_blank(&p, end);
	if (lit(&p, end, "route=primary"))
		h->route = DBR__SQLH_ROUTE_PRIMARY, rc = 0;
	else if (lit(&p, end, "route=replica"))
		h->route = DBR__SQLH_ROUTE_REPLICA, rc = 0;
	else if (lit(&p, end, "using="))
		rc = take_run(&h->using_alias, &p, end, hint_name);
	else if (lit(&p, end, "hint") && p < end && strchr(hint_blank, *p)) {
		skip_blank(&p, end);
		rc = hint_append(h, &p, end);
	}
	if (rc)
		return rc;
	skip_blank(&p, end);
	return p == end ? 0 : 1;
}

static int hint_comment(void *ctx, const dbr__token *t)
{
	if (t->kind != DBR__TK_COMMENT)
		return 0;
	const char *b;
	size_t n;
	comment_body(&b, &n, t);
	const char *end = b + n;
	skip_blank(&b, end);
	if (!lit(&b, end, "dbr:"))
		return 0;
	int rc = directive(ctx, b, end);
	if (rc <= 0)
		return rc;
	/* A typo must not silently change where a statement goes. */
	return dbr__err(DBR_EINVAL, NULL, "malformed SQL comment hint \"%.*s\": expected "
	                "dbr: route=primary, route=replica, using=ALIAS or hint KEY=VALUE",
	                (int)(t->n > 200 ? 200 : t->n), t->s);
}

int dbr__sql_hints_parse(dbr__sql_hints *out, const char *sql, dbr_sql_dialect d)
{
	memset(out, 0, sizeof(*out));
	return sql ? dbr__lex_walk(sql, d, 0, hint_comment, out) : 0;
}

void dbr__sql_hints_free(dbr__sql_hints *h)
{
	for (size_t i = 0; i < h->n; i++) {
		free(h->keys[i]);
		free(h->values[i]);
	}
	free(h->keys);
	free(h->values);
	free(h->using_alias);
	memset(h, 0, sizeof(*h));
}

/* ------------------------------------------------------------ ? → $n */

typedef struct outbuf {
	char *s;
	size_t len, cap;
} outbuf;

static int put(outbuf *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap * 2 > o->len + n + 1 ? o->cap * 2 : o->len + n + 1;
		char *p = realloc(o->s, cap);
		if (!p)
			return -1;
		o->s = p;
		o->cap = cap;
	}
	memcpy(o->s + o->len, s, n);
	o->len += n;
	return 0;
}

static int put_param(outbuf *o, size_t n)
{
	char num[24];
	size_t k = sizeof num;
	do {
		num[--k] = (char)('0' + n % 10);
		n /= 10;
	} while (n > 0);
	num[--k] = '$';
	return put(o, num + k, sizeof num - k);
}

int dbr__sql_placeholders(char **out, size_t *nparams, const char *sql, dbr_sql_dialect d,
                          unsigned flags)
{
	size_t len = sql ? strlen(sql) : 0, nq = 0, maxd = 0;
	outbuf o = { malloc(len + 16), 0, len + 16 };
	dbr__lexer lx;
	dbr__token t;
	int rc = o.s ? 0 : -1;
	*out = NULL;
	dbr__lex_init(&lx, sql, d, flags);
	while (rc == 0 && dbr__lex_next(&lx, &t) != DBR__TK_END) {
		if (t.kind == DBR__TK_PARAM && *t.s == '?') {
			rc = put_param(&o, ++nq);
		} else if (t.kind == DBR__TK_OP && t.n == 2) { /* ?? */
			rc = put(&o, "?", 1);
		} else {
			if (t.kind == DBR__TK_PARAM && *t.s == '$' && is_digit((unsigned char)t.s[1])) {
				size_t n = (size_t)strtoul(t.s + 1, NULL, 10);
				maxd = n > maxd ? n : maxd;
			}
			rc = put(&o, t.s, t.n);
		}
	}
	if (rc == 0 && maxd > 0) { /* written for PostgreSQL: every ? is an operator */
		o.len = 0;
		rc = put(&o, sql, len);
	}
	if (rc) {
		free(o.s);
		return dbr__err(DBR_ENOMEM, NULL, "out of memory");
	}
	o.s[o.len] = '\0';
	*out = o.s;
	*nparams = maxd > 0 ? maxd : nq;
	return 0;
}
