/* classify.c — dbr_classify: does a statement only read? A small lexer skips
 * comments, string literals, quoted names and dollar-quoted bodies (their
 * text never counts as a keyword); a table of leading keywords picks a rule.
 * Anything unsure is a write: a write on the primary is only slower, a write
 * sent to a replica fails. */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

#define READ DBR_INTENT_READ
#define WRITE DBR_INTENT_WRITE

typedef enum { T_END, T_WORD, T_LIT, T_PUNCT, T_BAD } tkind;

typedef struct tok {
	tkind kind;
	const char *s;
	size_t n;
} tok;

/* my = MySQL lexing: backslash escapes, "..." strings, '#' and "-- "
 * comments, no nested comments, and the body of an executable comment
 * ("slash-star-bang") is code. dbr_classify tries both lexings. */
typedef struct lexer {
	const char *p;
	int my;
} lexer;

static int is_ident(int c)
{
	return isalnum(c) || c == '_' || c >= 0x80;
}

static const char *skip_block(const char *p, int nest)
{
	for (int depth = 0;;) {
		if (*p == '\0')
			return NULL;
		if (p[0] == '/' && p[1] == '*' && (nest || depth == 0)) {
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
}

/* Skips blanks and comments; -1 on an unterminated comment. */
static int skip_blank(lexer *lx)
{
	for (const char *p = lx->p;; lx->p = p) {
		while (isspace((unsigned char)*p))
			p++;
		if (p[0] == '-' && p[1] == '-' && (!lx->my || !p[2] || isspace((unsigned char)p[2])))
			p += strcspn(p, "\n");
		else if (p[0] == '#' && lx->my)
			p += strcspn(p, "\n");
		else if (lx->my && !strncmp(p, "/*!", 3)) {
			/* an executable comment: its body is code */
			for (p += 3; isdigit((unsigned char)*p); p++)
				;
		} else if (p[0] == '/' && p[1] == '*') {
			if (!(p = skip_block(p, !lx->my)))
				return -1;
		} else {
			lx->p = p;
			return 0;
		}
	}
}

/* Skips the quoted run opened by *p (a doubled quote escapes it; with bs a
 * backslash escapes too). NULL if unterminated. */
static const char *skip_quoted(const char *p, int bs)
{
	char q = *p++;
	for (; *p; p++) {
		if (bs && *p == '\\' && p[1]) {
			p++;
		} else if (*p == q) {
			if (p[1] != q)
				return p + 1;
			p++;
		}
	}
	return NULL;
}

/* $tag$ ... $tag$: returns past the end, p if p is no dollar quote ($1),
 * NULL if unterminated. */
static const char *skip_dollar(const char *p)
{
	size_t n = 1;
	if (isdigit((unsigned char)p[1]))
		return p;
	while (is_ident((unsigned char)p[n]))
		n++;
	if (p[n++] != '$')
		return p;
	for (const char *e = strchr(p + n, '$'); e; e = strchr(e + 1, '$'))
		if (strncmp(e, p, n) == 0)
			return e + n;
	return NULL;
}

static tok lex(lexer *lx)
{
	tok t = { T_BAD, lx->p, 0 };
	if (skip_blank(lx) < 0)
		return t;
	const char *p = lx->p, *e;
	unsigned char c = (unsigned char)*p;
	t.s = p;
	if (!c) {
		t.kind = T_END;
		return t;
	}
	if (is_ident(c)) {
		for (e = p + 1; is_ident((unsigned char)*e) || *e == '$'; e++)
			;
		t.kind = T_WORD;
	} else if (c == '\'' || c == '"' || c == '`') {
		e = skip_quoted(p, lx->my && c != '`');
		t.kind = T_LIT;
	} else if (c == '$' && (e = skip_dollar(p)) != p) {
		t.kind = T_LIT;
	} else {
		e = p + 1;
		t.kind = T_PUNCT;
	}
	if (!e) {
		t.kind = T_BAD;
		return t;
	}
	t.n = (size_t)(e - p);
	lx->p = e;
	return t;
}

static int is_kw(tok t, const char *kw)
{
	return t.kind == T_WORD && strlen(kw) == t.n && strncasecmp(t.s, kw, t.n) == 0;
}

static int is_punct(tok t, char c)
{
	return t.kind == T_PUNCT && *t.s == c;
}

/* A trailing '*' in pat matches any rest. */
static int word_match(tok t, const char *pat)
{
	size_t n = strlen(pat);
	if (n && pat[n - 1] == '*')
		return t.kind == T_WORD && t.n >= n - 1 && strncasecmp(t.s, pat, n - 1) == 0;
	return is_kw(t, pat);
}

/* Text after a ';' (several statements), or a lexing error. */
static int several(lexer lx)
{
	int semi = 0;
	for (tok t; (t = lex(&lx)).kind != T_END;) {
		if (t.kind == T_BAD || (semi && !is_punct(t, ';')))
			return 1;
		semi |= is_punct(t, ';');
	}
	return 0;
}

static dbr_intent by_first(tok first, lexer lx);

static dbr_intent r_read(lexer lx)
{
	(void)lx;
	return READ;
}

/* Words that make a query write or lock (`after`, if set, must come just
 * before): locking clauses, SELECT INTO, data-modifying CTEs, and functions
 * that write, lock or read session state a replica does not have. */
static const struct {
	const char *after, *word;
} query_writes[] = {
	{ NULL, "INTO" }, { NULL, "INSERT" }, { NULL, "UPDATE" }, { NULL, "DELETE" },
	{ NULL, "MERGE" }, { "FOR", "SHARE" }, { "FOR", "NO" }, { "FOR", "KEY" },
	{ "LOCK", "IN" },
	{ NULL, "nextval" }, { NULL, "setval" }, { NULL, "currval" }, { NULL, "lastval" },
	{ NULL, "last_insert_id" }, { NULL, "pg_advisory_*" }, { NULL, "pg_try_advisory_*" },
	{ NULL, "get_lock" }, { NULL, "release_lock" }, { NULL, "release_all_locks" },
	{ NULL, "set_config" }, { NULL, "pg_notify" }, { NULL, "txid_current" },
	{ NULL, "pg_current_xact_id" },
};

/* SELECT, WITH, VALUES, TABLE. */
static dbr_intent r_query(lexer lx)
{
	tok prev = { T_END, NULL, 0 };
	for (tok t; (t = lex(&lx)).kind != T_END; prev = t)
		for (size_t i = 0; i < sizeof(query_writes) / sizeof(query_writes[0]); i++)
			if (word_match(t, query_writes[i].word) &&
			    (!query_writes[i].after || is_kw(prev, query_writes[i].after)))
				return WRITE;
	return READ;
}

static int is_analyze(tok t)
{
	return is_kw(t, "ANALYZE") || is_kw(t, "ANALYSE");
}

/* Options between EXPLAIN and its statement (PostgreSQL, MySQL, SQLite). */
static const char *const explain_opts[] = {
	"VERBOSE", "EXTENDED", "PARTITIONS", "FORMAT", "QUERY", "PLAN",
	"JSON", "TREE", "TRADITIONAL", "TEXT", "XML", "YAML",
};

static int is_explain_opt(tok t)
{
	for (size_t i = 0; i < sizeof(explain_opts) / sizeof(explain_opts[0]); i++)
		if (is_kw(t, explain_opts[i]))
			return 1;
	return is_punct(t, '=') || is_analyze(t);
}

/* EXPLAIN only plans, unless ANALYZE runs the statement: then it is what
 * the statement is. */
static dbr_intent r_explain(lexer lx)
{
	int analyze = 0;
	tok t = lex(&lx);
	if (is_punct(t, '(')) { /* PostgreSQL's option list */
		for (; t.kind != T_END && !is_punct(t, ')'); t = lex(&lx))
			analyze |= is_analyze(t);
		t = lex(&lx);
	}
	for (; is_explain_opt(t); t = lex(&lx))
		analyze |= is_analyze(t);
	if (!analyze)
		return READ;
	return t.kind == T_WORD ? by_first(t, lx) : WRITE;
}

enum { P_ARG_READ = 1, P_WRITE = 2 };

/* SQLite pragmas that read with an argument, or write without '='. */
static const struct {
	const char *name;
	int flags;
} pragmas[] = {
	{ "table_info", P_ARG_READ }, { "table_xinfo", P_ARG_READ }, { "table_list", P_ARG_READ },
	{ "index_info", P_ARG_READ }, { "index_xinfo", P_ARG_READ }, { "index_list", P_ARG_READ },
	{ "foreign_key_list", P_ARG_READ }, { "foreign_key_check", P_ARG_READ },
	{ "integrity_check", P_ARG_READ }, { "quick_check", P_ARG_READ },
	{ "optimize", P_WRITE }, { "wal_checkpoint", P_WRITE },
	{ "incremental_vacuum", P_WRITE }, { "shrink_memory", P_WRITE },
};

/* PRAGMA [schema.]name reads; "= value" sets; "(arg)" sets unless the
 * pragma is an introspection one. */
static dbr_intent r_pragma(lexer lx)
{
	tok name = lex(&lx), t = lex(&lx);
	int flags = 0, arg = 0;
	if (is_punct(t, '.')) {
		name = lex(&lx);
		t = lex(&lx);
	}
	if (name.kind != T_WORD)
		return WRITE;
	for (size_t i = 0; i < sizeof(pragmas) / sizeof(pragmas[0]); i++)
		if (is_kw(name, pragmas[i].name))
			flags = pragmas[i].flags;
	for (; t.kind != T_END; t = lex(&lx)) {
		if (is_punct(t, '='))
			return WRITE;
		arg |= is_punct(t, '(');
	}
	return (flags & P_WRITE) || (arg && !(flags & P_ARG_READ)) ? WRITE : READ;
}

/* Leading keyword → rule; any other statement writes. */
static const struct {
	const char *kw;
	dbr_intent (*rule)(lexer lx);
} leading[] = {
	{ "SELECT", r_query }, { "WITH", r_query }, { "VALUES", r_query }, { "TABLE", r_query },
	{ "SHOW", r_read }, { "DESCRIBE", r_read }, { "DESC", r_read },
	{ "EXPLAIN", r_explain }, { "PRAGMA", r_pragma },
};

static dbr_intent by_first(tok first, lexer lx)
{
	for (size_t i = 0; i < sizeof(leading) / sizeof(leading[0]); i++)
		if (is_kw(first, leading[i].kw))
			return leading[i].rule(lx);
	return WRITE;
}

static dbr_intent classify_as(const char *sql, int my)
{
	lexer lx = { sql, my };
	tok t;
	if (several(lx))
		return WRITE;
	while (is_punct(t = lex(&lx), '('))
		;
	return t.kind == T_WORD ? by_first(t, lx) : WRITE;
}

dbr_intent dbr_classify(const char *sql)
{
	/* The dialect is unknown here: a read under both lexings is a read. */
	if (!sql || classify_as(sql, 0) != READ || classify_as(sql, 1) != READ)
		return WRITE;
	return READ;
}
