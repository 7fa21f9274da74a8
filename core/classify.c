/* SPDX-License-Identifier: MIT */
/* classify.c — does a statement only read? One pass of the SQL lexer
 * (tokenize.c): the first keyword picks a rule, the rule reads the tokens
 * that follow. Text in literals, quoted names, dollar quotes and comments
 * never counts (a MariaDB executable comment's body does). Anything unsure
 * is a write: a write on the primary is only slower, a write sent to a
 * replica fails. Transaction control is its own kind: dbr_exec refuses it
 * (on a pooled connection the next statement runs elsewhere). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "tokenize.h"

#define READ DBR__SQL_READ
#define WRITE DBR__SQL_WRITE
#define TX DBR__SQL_TX

/* One statement being classified: the lexer and a ring of the last four
 * significant tokens (prev(c, 0) the latest). */
typedef struct cls {
	dbr__lexer lx;
	const dbr__wfuncs *extra;
	int bad;          /* unterminated text, or a second statement */
	unsigned i;       /* tokens seen */
	dbr__token ring[4];
} cls;

static const dbr__token *prev(const cls *c, unsigned k)
{
	return &c->ring[(c->i - 1 - k) & 3];
}

static int is_kw(const dbr__token *t, dbr__kw kw)
{
	return t->kind == DBR__TK_WORD && t->kw == kw;
}

static int is_op(const dbr__token *t, char c)
{
	return t->kind == DBR__TK_OP && t->n == 1 && *t->s == c;
}

static int insignificant(dbr__tk k)
{
	return k == DBR__TK_SPACE || k == DBR__TK_COMMENT || k == DBR__TK_XOPEN ||
	       k == DBR__TK_XCLOSE;
}

/* The next significant token. A ';' ends the statement: anything but
 * blanks and ';' after it makes it several statements (bad). */
static dbr__tk next(cls *c, dbr__token *t)
{
	dbr__tk k;
	while (insignificant(k = dbr__lex_next(&c->lx, t)))
		;
	if (k == DBR__TK_BAD)
		c->bad = 1;
	if (k == DBR__TK_OP && is_op(t, ';')) {
		dbr__token u;
		while ((k = dbr__lex_next(&c->lx, &u)) != DBR__TK_END)
			if (!insignificant(k) && !is_op(&u, ';'))
				c->bad = 1;
	}
	if (k != DBR__TK_END && k != DBR__TK_BAD) {
		c->ring[c->i++ & 3] = *t;
		return k;
	}
	t->kind = DBR__TK_END;
	return DBR__TK_END;
}

/* Reads to the end (a second statement or bad text still counts). */
static dbr__sql_kind drain(cls *c, dbr__sql_kind k)
{
	dbr__token t;
	while (next(c, &t) != DBR__TK_END)
		;
	return k;
}

/* ------------------------------------------------------------ functions */

/* Functions that write, lock, signal, assign a transaction id, or read
 * session state only the primary's session has (currval, lastval,
 * last_insert_id: a replica answers wrongly or fails). Sorted; plus every
 * pg_advisory_* and pg_try_advisory_*. */
static const char *const write_fns[] = {
	"currval", "dblink_exec", "get_lock", "last_insert_id", "lastval", "lo_creat",
	"lo_create", "lo_export", "lo_from_bytea", "lo_import", "lo_open", "lo_put",
	"lo_truncate", "lo_truncate64", "lo_unlink", "lowrite", "nextval",
	"pg_cancel_backend", "pg_create_logical_replication_slot",
	"pg_create_physical_replication_slot", "pg_create_restore_point",
	"pg_current_xact_id", "pg_drop_replication_slot", "pg_logical_emit_message",
	"pg_notify", "pg_reload_conf", "pg_rotate_logfile", "pg_switch_wal",
	"pg_terminate_backend", "release_all_locks", "release_lock", "set_config", "setval",
	"txid_current",
};

static int cmp_name(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

/* The text of a name token, lower-cased into buf (quotes removed); 0 if
 * it does not fit. */
static size_t name_text(char *buf, size_t size, const dbr__token *t)
{
	const char *s = t->s;
	size_t n = t->n;
	if (t->kind != DBR__TK_WORD) {
		s++;
		n -= 2;
	}
	if (n + 1 > size)
		return 0;
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]);
	buf[n] = '\0';
	return n;
}

/* A name, quoted or not. MariaDB's "..." counts too: under ANSI_QUOTES it
 * is a name, and unsure is a write. */
static int is_name(const dbr__token *t)
{
	return (t->kind == DBR__TK_WORD && t->kw == DBR__KW_NONE) ||
	       ((t->kind == DBR__TK_QNAME || (t->kind == DBR__TK_STRING && *t->s == '"')) &&
	        t->n >= 2);
}

static int builtin_writes(const char *name)
{
	return strncmp(name, "pg_advisory_", 12) == 0 || strncmp(name, "pg_try_advisory_", 16) == 0 ||
	       bsearch(name, write_fns, sizeof write_fns / sizeof write_fns[0], sizeof write_fns[0],
	               cmp_name) != NULL;
}

/* A deployment's names: "schema.fn" matches that qualified call, "fn" a
 * call in any schema. */
static int extra_writes(const dbr__wfuncs *w, const char *name, const char *qualified)
{
	for (size_t i = 0; w && i < w->n; i++)
		if (strcmp(w->names[i], strchr(w->names[i], '.') ? qualified : name) == 0)
			return 1;
	return 0;
}

/* The call whose '(' was just read: prev 1 is its name, prev 3 "."
 * prev 2 perhaps its schema. */
static int call_writes(cls *c)
{
	char name[64], qual[130];
	if (name_text(name, sizeof name, prev(c, 1)) == 0)
		return c->extra != NULL; /* too long for a built-in: unsure if configured */
	if (builtin_writes(name))
		return 1;
	if (!c->extra)
		return 0;
	size_t n = 0;
	if (is_op(prev(c, 2), '.') && is_name(prev(c, 3)) &&
	    (n = name_text(qual, sizeof qual - sizeof name, prev(c, 3))) > 0)
		snprintf(qual + n, sizeof qual - n, ".%s", name);
	return extra_writes(c->extra, name, n ? qual : name);
}

/* ------------------------------------------------------------ rules */

/* SELECT, WITH, VALUES, TABLE: locking clauses, SELECT INTO,
 * data-modifying CTEs, NEXT VALUE FOR, and calls of writing functions. */
static dbr__sql_kind r_query(cls *c)
{
	dbr__token t;
	while (next(c, &t) != DBR__TK_END) {
		const dbr__token *before = prev(c, 1);
		if (t.kind == DBR__TK_WORD) {
			switch (t.kw) {
			case DBR__KW_INTO: case DBR__KW_INSERT: case DBR__KW_UPDATE:
			case DBR__KW_DELETE: case DBR__KW_MERGE:
				return WRITE;
			case DBR__KW_SHARE: case DBR__KW_NO: case DBR__KW_KEY:
				if (is_kw(before, DBR__KW_FOR))
					return WRITE;
				break;
			case DBR__KW_IN:
				if (is_kw(before, DBR__KW_LOCK))
					return WRITE;
				break;
			case DBR__KW_VALUE:
				if (is_kw(before, DBR__KW_NEXT) || is_kw(before, DBR__KW_PREVIOUS))
					return WRITE;
				break;
			default:
				break;
			}
		} else if (is_op(&t, '(') && is_name(before) && call_writes(c)) {
			return WRITE;
		}
	}
	return READ;
}

static int is_analyze(const dbr__token *t)
{
	return is_kw(t, DBR__KW_ANALYZE) || is_kw(t, DBR__KW_ANALYSE);
}

/* Options between EXPLAIN and its statement (PostgreSQL, MySQL, SQLite). */
static int is_explain_opt(const dbr__token *t)
{
	static const unsigned char opts[] = {
		DBR__KW_VERBOSE, DBR__KW_EXTENDED, DBR__KW_PARTITIONS, DBR__KW_FORMAT,
		DBR__KW_QUERY, DBR__KW_PLAN, DBR__KW_JSON, DBR__KW_TREE, DBR__KW_TRADITIONAL,
		DBR__KW_TEXT, DBR__KW_XML, DBR__KW_YAML, DBR__KW_ANALYZE, DBR__KW_ANALYSE,
	};
	if (is_op(t, '='))
		return 1;
	for (size_t i = 0; t->kind == DBR__TK_WORD && i < sizeof opts; i++)
		if (t->kw == opts[i])
			return 1;
	return 0;
}

static dbr__sql_kind by_first(cls *c, const dbr__token *first, int tx_only);

/* EXPLAIN only plans, unless ANALYZE runs the statement: then it is what
 * the statement is. */
static dbr__sql_kind r_explain(cls *c)
{
	int analyze = 0;
	dbr__token t;
	next(c, &t);
	if (is_op(&t, '(')) { /* PostgreSQL's option list */
		for (; t.kind != DBR__TK_END && !is_op(&t, ')'); next(c, &t))
			analyze |= is_analyze(&t);
		next(c, &t);
	}
	for (; is_explain_opt(&t); next(c, &t))
		analyze |= is_analyze(&t);
	if (!analyze)
		return drain(c, READ);
	return t.kind == DBR__TK_WORD ? by_first(c, &t, 0) : WRITE;
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
static dbr__sql_kind r_pragma(cls *c)
{
	dbr__token name, t;
	char buf[32];
	int flags = 0, arg = 0;
	next(c, &name);
	next(c, &t);
	if (is_op(&t, '.')) {
		next(c, &name);
		next(c, &t);
	}
	if (name.kind != DBR__TK_WORD)
		return WRITE;
	if (name_text(buf, sizeof buf, &name))
		for (size_t i = 0; i < sizeof pragmas / sizeof pragmas[0]; i++)
			if (strcmp(buf, pragmas[i].name) == 0)
				flags = pragmas[i].flags;
	for (; t.kind != DBR__TK_END; next(c, &t)) {
		if (is_op(&t, '='))
			return WRITE;
		arg |= is_op(&t, '(');
	}
	return (flags & P_WRITE) || (arg && !(flags & P_ARG_READ)) ? WRITE : READ;
}

/* SET TRANSACTION, SET [SESSION|LOCAL|GLOBAL] TRANSACTION, and any
 * assignment of autocommit (not a user variable @autocommit). */
static dbr__sql_kind r_set(cls *c)
{
	dbr__token t;
	for (int i = 0; next(c, &t) != DBR__TK_END; i++) {
		if (is_kw(&t, DBR__KW_TRANSACTION) &&
		    (i == 0 || (i == 1 && (is_kw(prev(c, 1), DBR__KW_SESSION) ||
		                           is_kw(prev(c, 1), DBR__KW_LOCAL) ||
		                           is_kw(prev(c, 1), DBR__KW_GLOBAL)))))
			return drain(c, TX);
		if (is_kw(&t, DBR__KW_AUTOCOMMIT) && !(is_op(prev(c, 1), '@') && !is_op(prev(c, 2), '@')))
			return drain(c, TX);
	}
	return WRITE;
}

/* BEGIN (not MariaDB's BEGIN NOT ATOMIC block), START TRANSACTION,
 * PREPARE TRANSACTION: transaction control only with the right next word. */
static dbr__sql_kind r_tx_if(cls *c, dbr__kw lead)
{
	dbr__token t;
	next(c, &t);
	int tx = lead == DBR__KW_BEGIN ? !is_kw(&t, DBR__KW_NOT) : is_kw(&t, DBR__KW_TRANSACTION);
	return tx ? drain(c, TX) : WRITE;
}

static dbr__sql_kind by_first(cls *c, const dbr__token *first, int tx_only)
{
	if (first->kind != DBR__TK_WORD)
		return WRITE;
	switch (first->kw) {
	case DBR__KW_COMMIT: case DBR__KW_END: case DBR__KW_ROLLBACK: case DBR__KW_ABORT:
	case DBR__KW_SAVEPOINT: case DBR__KW_RELEASE: case DBR__KW_XA:
		return drain(c, TX);
	case DBR__KW_BEGIN: case DBR__KW_START: case DBR__KW_PREPARE:
		return r_tx_if(c, first->kw);
	case DBR__KW_SET:
		return r_set(c);
	default:
		break;
	}
	if (tx_only)
		return WRITE;
	switch (first->kw) {
	case DBR__KW_SELECT: case DBR__KW_WITH: case DBR__KW_VALUES: case DBR__KW_TABLE:
		return r_query(c);
	case DBR__KW_SHOW: case DBR__KW_DESCRIBE: case DBR__KW_DESC:
		return drain(c, READ);
	case DBR__KW_EXPLAIN:
		return r_explain(c);
	case DBR__KW_PRAGMA:
		return r_pragma(c);
	default:
		return WRITE;
	}
}

static dbr__sql_kind classify_as(const char *sql, dbr_sql_dialect d, const dbr__wfuncs *extra,
                                 int tx_only, int *ambiguous)
{
	cls c;
	dbr__token t;
	memset(&c, 0, sizeof c);
	c.extra = extra;
	dbr__lex_init(&c.lx, sql, d, 0);
	while (next(&c, &t) != DBR__TK_END && is_op(&t, '('))
		;
	dbr__sql_kind k = by_first(&c, &t, tx_only);
	if (ambiguous)
		*ambiguous = c.lx.ambiguous;
	return c.bad && k == READ ? WRITE : k;
}

dbr__sql_kind dbr__classify(const char *sql, dbr_sql_dialect d, const dbr__wfuncs *extra)
{
	static const dbr_sql_dialect each[] = { DBR_SQL_POSTGRES, DBR_SQL_MYSQL, DBR_SQL_SQLITE };
	int ambiguous = 0;
	if (!sql)
		return WRITE;
	dbr__sql_kind k = classify_as(sql, d, extra, 0, &ambiguous);
	/* A read whose text the dialects read differently: a read only if it
	 * is one under each (rare: a second pass only then). */
	for (size_t i = 0; k == READ && ambiguous && i < sizeof each / sizeof each[0]; i++)
		k = classify_as(sql, each[i], extra, 0, NULL);
	return k;
}

int dbr__sql_is_tx(const char *sql, dbr_sql_dialect d)
{
	return sql && classify_as(sql, d, NULL, 1, NULL) == TX;
}

dbr_intent dbr_classify(const char *sql)
{
	/* Transaction control is a write to the caller of the public API. */
	return dbr__classify(sql, DBR_SQL_GENERIC, NULL) == READ ? DBR_INTENT_READ
	                                                        : DBR_INTENT_WRITE;
}

/* ------------------------------------------------------------ support */

dbr_sql_dialect dbr__dialect_of(const char *driver)
{
	static const struct {
		const char *name;
		dbr_sql_dialect d;
	} drivers[] = {
		{ "postgres", DBR_SQL_POSTGRES }, { "mariadb", DBR_SQL_MYSQL },
		{ "mysql", DBR_SQL_MYSQL }, { "sqlite", DBR_SQL_SQLITE },
	};
	const char *base = driver ? strrchr(driver, '/') : NULL;
	base = base ? base + 1 : driver;
	for (size_t i = 0; base && i < sizeof drivers / sizeof drivers[0]; i++)
		if (strncmp(base, drivers[i].name, strlen(drivers[i].name)) == 0)
			return drivers[i].d;
	return DBR_SQL_GENERIC;
}

int dbr__tx_refuse(const char *who)
{
	return dbr__err(DBR_EINVAL, NULL,
	                "%s: transaction statements (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, SET "
	                "TRANSACTION, SET autocommit, XA ...) are refused: on a pooled connection "
	                "the next statement may run on another connection and autocommit; use "
	                "dbr_tx_begin, dbr_tx_commit and dbr_tx_rollback",
	                who);
}

int dbr__wfuncs_new(dbr__wfuncs **out, char *const *names, size_t n)
{
	*out = NULL;
	if (n == 0)
		return 0;
	dbr__wfuncs *w = calloc(1, sizeof *w);
	if (!w || !(w->names = calloc(n, sizeof *w->names))) {
		free(w);
		return dbr__err(DBR_ENOMEM, NULL, "out of memory");
	}
	for (w->n = 0; w->n < n; w->n++) {
		if (!(w->names[w->n] = dbr__strdup(names[w->n]))) {
			dbr__wfuncs_free(w);
			return dbr__err(DBR_ENOMEM, NULL, "out of memory");
		}
		for (char *p = w->names[w->n]; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
	}
	*out = w;
	return 0;
}

void dbr__wfuncs_free(dbr__wfuncs *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n; i++)
		free(w->names[i]);
	free(w->names);
	free(w);
}
