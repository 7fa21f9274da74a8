/* SPDX-License-Identifier: MIT */
/*
 * tokenize.h — the core's one SQL lexer (tokenize.c) and what it feeds:
 * the classifier (classify.c), the `?` → `$n` rewriter (a host service) and
 * any consumer that walks tokens (comment hints). Private to the core.
 */
#ifndef DBR_CORE_TOKENIZE_H
#define DBR_CORE_TOKENIZE_H

#include <stddef.h>

#include <dbrouter/plugin.h>

typedef enum dbr__tk {
	DBR__TK_END = 0,
	DBR__TK_SPACE,   /* blanks */
	DBR__TK_COMMENT, /* -- and # to the end of the line, block comments */
	DBR__TK_XOPEN,   /* MariaDB "/" "*!" [version] or "/" "*M!": what follows is SQL */
	DBR__TK_XCLOSE,  /* the end of that executable comment */
	DBR__TK_WORD,    /* identifier or keyword: see kw */
	DBR__TK_QNAME,   /* "quoted", `quoted` or [quoted] name (s/n include quotes) */
	DBR__TK_STRING,  /* '...', E'...', $tag$...$tag$, MySQL "..." */
	DBR__TK_NUMBER,
	DBR__TK_PARAM,   /* ?, $n, and SQLite's :name @name $name */
	DBR__TK_OP,      /* one punctuation byte; "??" on PostgreSQL */
	DBR__TK_BAD      /* unterminated quote or comment: the rest of the text */
} dbr__tk;

/* Keywords the consumers test (kw of a WORD token; 0 for any other word). */
typedef enum dbr__kw {
	DBR__KW_NONE = 0,
	DBR__KW_ABORT, DBR__KW_ANALYSE, DBR__KW_ANALYZE, DBR__KW_AUTOCOMMIT, DBR__KW_BEGIN,
	DBR__KW_COMMIT, DBR__KW_DELETE, DBR__KW_DESC, DBR__KW_DESCRIBE, DBR__KW_END,
	DBR__KW_EXPLAIN, DBR__KW_EXTENDED, DBR__KW_FOR, DBR__KW_FORMAT, DBR__KW_GLOBAL,
	DBR__KW_IN, DBR__KW_INSERT, DBR__KW_INTO, DBR__KW_JSON, DBR__KW_KEY, DBR__KW_LOCAL,
	DBR__KW_LOCK, DBR__KW_MERGE, DBR__KW_NEXT, DBR__KW_NO, DBR__KW_NOT,
	DBR__KW_PARTITIONS, DBR__KW_PLAN, DBR__KW_PRAGMA, DBR__KW_PREPARE, DBR__KW_PREVIOUS,
	DBR__KW_QUERY, DBR__KW_RELEASE, DBR__KW_ROLLBACK, DBR__KW_SAVEPOINT, DBR__KW_SELECT,
	DBR__KW_SESSION, DBR__KW_SET, DBR__KW_SHARE, DBR__KW_SHOW, DBR__KW_START,
	DBR__KW_TABLE, DBR__KW_TEXT, DBR__KW_TRADITIONAL, DBR__KW_TRANSACTION, DBR__KW_TREE,
	DBR__KW_UPDATE, DBR__KW_VALUE, DBR__KW_VALUES, DBR__KW_VERBOSE, DBR__KW_WITH,
	DBR__KW_XA, DBR__KW_XML, DBR__KW_YAML,
	DBR__KW_COUNT_
} dbr__kw;

typedef struct dbr__token {
	dbr__tk kind;
	dbr__kw kw;       /* WORD only */
	const char *s;    /* into the SQL text, not NUL-terminated */
	size_t n;
} dbr__token;

/* The lexer's state: an iterator over one SQL text. `ambiguous` is set
 * (GENERIC only) when the dialects would read some text differently, so
 * that a caller that must be sure can lex again under each dialect. */
typedef struct dbr__lexer {
	const char *p;
	dbr_sql_dialect d;
	unsigned flags;   /* DBR_SQL_BACKSLASH_QUOTES */
	int in_xc;        /* inside a MariaDB executable comment */
	int ambiguous;
} dbr__lexer;

void dbr__lex_init(dbr__lexer *lx, const char *sql, dbr_sql_dialect d, unsigned flags);
/* The next token (every byte of the text is in exactly one token, so a
 * consumer that copies tokens rebuilds the text). Returns t->kind. */
dbr__tk dbr__lex_next(dbr__lexer *lx, dbr__token *t);
/* The keyword of `n` bytes at s (any case), or DBR__KW_NONE. */
dbr__kw dbr__kw_lookup(const char *s, size_t n);
/* The keyword's text (upper case), for tests; "" for NONE. */
const char *dbr__kw_name(dbr__kw kw);

/* Calls fn on every token until it returns non-zero (that value is
 * returned) or the text ends (0). */
int dbr__lex_walk(const char *sql, dbr_sql_dialect d, unsigned flags,
                  int (*fn)(void *ctx, const dbr__token *t), void *ctx);

/* Routing hints written in SQL comments (sql_hints = true): one
 * directive per comment, "dbr:" first, in a block or line comment:
 * route=primary, route=replica, using=ALIAS, hint KEY=VALUE. */
enum { DBR__SQLH_ROUTE_PRIMARY = 1, DBR__SQLH_ROUTE_REPLICA = 2 };
typedef struct dbr__sql_hints {
	int route;          /* 0 or DBR__SQLH_ROUTE_* (a later comment wins) */
	char *using_alias;  /* owned, or NULL */
	char **keys, **values; /* owned, n pairs, in text order */
	size_t n;
} dbr__sql_hints;
/* Reads the dbr: comments of `sql` (never inside literals) into *out
 * (zeroed first; dbr__sql_hints_free it, even on failure). Comments that
 * do not begin with "dbr:" are ignored. Errors: DBR_EINVAL naming a
 * malformed dbr: comment, DBR_ENOMEM. */
int dbr__sql_hints_parse(dbr__sql_hints *out, const char *sql, dbr_sql_dialect d);
void dbr__sql_hints_free(dbr__sql_hints *h);

/* The host service sql_placeholders (see plugin.h). */
int dbr__sql_placeholders(char **out, size_t *nparams, const char *sql, dbr_sql_dialect d,
                          unsigned flags);

/* ---- classify.c */

/* What a statement is, for routing. */
typedef enum dbr__sql_kind {
	DBR__SQL_READ = DBR_INTENT_READ,
	DBR__SQL_WRITE = DBR_INTENT_WRITE,
	DBR__SQL_TX = 3 /* transaction control: dbr_exec refuses it */
} dbr__sql_kind;

/* A deployment's own write functions (write_functions = [ ... ]): names
 * lower-cased, "schema.name" or "name" (any schema). */
typedef struct dbr__wfuncs {
	size_t n;
	char **names;
} dbr__wfuncs;

/* Builds the set from config names (copied); *out NULL when n is 0. */
int dbr__wfuncs_new(dbr__wfuncs **out, char *const *names, size_t n);
void dbr__wfuncs_free(dbr__wfuncs *w);

/* Classifies `sql` read under dialect d; `extra` may be NULL. Unsure is
 * WRITE. Pure; thread-safe. */
dbr__sql_kind dbr__classify(const char *sql, dbr_sql_dialect d, const dbr__wfuncs *extra);
/* Only whether `sql` is a transaction control statement (its first
 * words): for statements whose intent the caller gave. */
int dbr__sql_is_tx(const char *sql, dbr_sql_dialect d);
/* The dialect of a driver module name ("postgres", "mariadb", "sqlite",
 * or a path ending in one of them), GENERIC if unknown. */
dbr_sql_dialect dbr__dialect_of(const char *driver);
/* Sets DBR_EINVAL with the message that points at dbr_tx_*; returns it. */
int dbr__tx_refuse(const char *who);

#endif
