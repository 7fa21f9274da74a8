/* SPDX-License-Identifier: MIT */
/*
 * sqlite.c — the SQLite driver.
 *
 * URL: sqlite:///abs/file.db, sqlite://rel.db or sqlite::memory:. A memory
 * database is one shared-cache database per alias (named by url->uid), so
 * every pooled connection of the alias sees the same data.
 *
 * Options (URL query, then the `options` group) are checked against OPTS:
 * mode, journal_mode, synchronous, busy_timeout, cache_size, foreign_keys,
 * statement_cache, prepare_threshold.
 *
 * Statements: each connection keeps up to statement_cache (default 256)
 * prepared sqlite3_stmt in an LRU keyed by the SQL text (the host's lru_*),
 * from their prepare_threshold-th use (default 1: the first), and resets
 * and clears their bindings after each run. sqlite3_prepare_v2 statements
 * re-prepare themselves when the schema changes (SQLITE_SCHEMA is retried
 * inside sqlite3_step), so a cached statement never goes stale; the column
 * count is read after the first step for that reason.
 * All services come from the host table: this module never links libdbrouter.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include <dbrouter/driver.h>

static const dbr_host *svc; /* the host services, kept by the entry */

/* ------------------------------------------------------------ options */

typedef struct word {
	const char *text;  /* accepted spelling (case-insensitive) */
	const char *value; /* what the PRAGMA gets */
} word;

static const word MODES[] = {
	{ "ro", "ro" }, { "rw", "rw" }, { "rwc", "rwc" }, { NULL, NULL }
};
static const word JOURNALS[] = {
	{ "delete", "DELETE" }, { "truncate", "TRUNCATE" }, { "persist", "PERSIST" },
	{ "memory", "MEMORY" }, { "wal", "WAL" }, { "off", "OFF" }, { NULL, NULL }
};
static const word SYNCS[] = {
	{ "off", "OFF" }, { "normal", "NORMAL" }, { "full", "FULL" }, { "extra", "EXTRA" },
	{ "0", "OFF" }, { "1", "NORMAL" }, { "2", "FULL" }, { "3", "EXTRA" }, { NULL, NULL }
};
static const word BOOLS[] = {
	{ "true", "ON" }, { "false", "OFF" }, { "on", "ON" }, { "off", "OFF" },
	{ "1", "ON" }, { "0", "OFF" }, { NULL, NULL }
};

enum { O_MODE, O_JOURNAL, O_SYNC, O_BUSY, O_CACHE, O_FK, O_STMTS, O_THRESHOLD, O_COUNT };

typedef struct opt_def {
	const char *name;   /* option name, and PRAGMA name unless pragma is 0 */
	const word *words;  /* allowed values, or NULL for an integer */
	long long min, max; /* integer range */
	const char *dflt;   /* value when absent, or NULL: SQLite's own */
	int pragma;         /* applied with PRAGMA name=value */
	int writes;         /* the PRAGMA writes the file: skipped when read-only */
} opt_def;

/* Indexed by O_*. */
static const opt_def OPTS[O_COUNT] = {
	[O_MODE] = { "mode", MODES, 0, 0, "rwc", 0, 0 },
	[O_JOURNAL] = { "journal_mode", JOURNALS, 0, 0, NULL, 1, 1 },
	[O_SYNC] = { "synchronous", SYNCS, 0, 0, NULL, 1, 0 },
	[O_BUSY] = { "busy_timeout", NULL, 0, INT_MAX, "5000", 1, 0 },
	[O_CACHE] = { "cache_size", NULL, INT_MIN, INT_MAX, NULL, 1, 0 },
	[O_FK] = { "foreign_keys", BOOLS, 0, 0, "ON", 1, 0 },
	[O_STMTS] = { "statement_cache", NULL, 0, 100000, "256", 0, 0 },
	[O_THRESHOLD] = { "prepare_threshold", NULL, 1, 1000000, "1", 0, 0 },
};

/* Validated option values, canonical text ("" when absent and no default). */
typedef struct sq_opts {
	char val[O_COUNT][24];
} sq_opts;

static void join_words(char *buf, size_t size, const word *w)
{
	size_t len = 0;
	buf[0] = '\0';
	for (; w->text != NULL && len < size; w++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
		                        len ? ", " : "", w->text);
}

static void join_names(char *buf, size_t size)
{
	size_t len = 0;
	for (size_t i = 0; i < O_COUNT && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%s",
		                        i ? ", " : "", OPTS[i].name);
}

static int parse_word(char *out, const opt_def *d, const char *v, const char *alias)
{
	char allowed[128];
	for (const word *w = d->words; w->text != NULL; w++) {
		if (sqlite3_stricmp(w->text, v) == 0) {
			snprintf(out, sizeof(((sq_opts *)0)->val[0]), "%s", w->value);
			return 0;
		}
	}
	join_words(allowed, sizeof allowed, d->words);
	return svc->error(DBR_ECONFIG, NULL,
	                   "database \"%s\": sqlite option %s: \"%s\" is not one of %s",
	                   alias, d->name, v, allowed);
}

static int parse_int(char *out, const opt_def *d, const char *v, const char *alias)
{
	char *end = NULL;
	errno = 0;
	long long n = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || n < d->min || n > d->max)
		return svc->error(DBR_ECONFIG, NULL,
		                   "database \"%s\": sqlite option %s: \"%s\" is not an "
		                   "integer in %lld..%lld", alias, d->name, v, d->min, d->max);
	snprintf(out, sizeof(((sq_opts *)0)->val[0]), "%lld", n);
	return 0;
}

static int find_opt(const char *name)
{
	for (int i = 0; i < O_COUNT; i++)
		if (strcmp(OPTS[i].name, name) == 0)
			return i;
	return -1;
}

static int parse_opts(sq_opts *o, const dbr_url_view *url)
{
	int seen[O_COUNT] = { 0 };
	char names[128];

	memset(o, 0, sizeof *o);
	for (size_t i = 0; i < url->noptions; i++) {
		int k = find_opt(url->keys[i]);
		if (k < 0) {
			join_names(names, sizeof names);
			return svc->error(DBR_ECONFIG, NULL,
			                   "database \"%s\": unknown sqlite option \"%s\" "
			                   "(known: %s)", url->alias, url->keys[i], names);
		}
		if (seen[k]++)
			return svc->error(DBR_ECONFIG, NULL,
			                   "database \"%s\": sqlite option %s given twice",
			                   url->alias, OPTS[k].name);
		int rc = OPTS[k].words
			? parse_word(o->val[k], &OPTS[k], url->values[i], url->alias)
			: parse_int(o->val[k], &OPTS[k], url->values[i], url->alias);
		if (rc)
			return rc;
	}
	for (int k = 0; k < O_COUNT; k++)
		if (!seen[k] && OPTS[k].dflt)
			snprintf(o->val[k], sizeof o->val[k], "%s", OPTS[k].dflt);
	return 0;
}

static int is_memory(const dbr_url_view *url)
{
	return strcmp(url->path, ":memory:") == 0;
}

static int sq_check(const dbr_url_view *url)
{
	sq_opts o;
	if (url->path == NULL || url->path[0] == '\0')
		return svc->error(DBR_ECONFIG, NULL,
		                   "database \"%s\": %s: an sqlite URL needs a file path "
		                   "or :memory:", url->alias, url->masked);
	return parse_opts(&o, url);
}

/* ------------------------------------------------------------ errors */

typedef struct sq_state {
	int code;             /* SQLite (extended or primary) result code */
	const char *sqlstate;
	int err;              /* DBR_E* */
} sq_state;

/* Extended codes first: the lookup tries the extended code, then its primary. */
static const sq_state STATES[] = {
	{ SQLITE_CONSTRAINT_UNIQUE, "23505", DBR_ESQL },
	{ SQLITE_CONSTRAINT_PRIMARYKEY, "23505", DBR_ESQL },
	{ SQLITE_CONSTRAINT_NOTNULL, "23502", DBR_ESQL },
	{ SQLITE_CONSTRAINT_FOREIGNKEY, "23503", DBR_ESQL },
	{ SQLITE_CONSTRAINT_CHECK, "23514", DBR_ESQL },
	{ SQLITE_BUSY_SNAPSHOT, "40001", DBR_ESQL },
	{ SQLITE_ABORT_ROLLBACK, "40000", DBR_ESQL },
	{ SQLITE_CONSTRAINT, "23000", DBR_ESQL },
	{ SQLITE_READONLY, "25006", DBR_ESQL },
	{ SQLITE_BUSY, "55P03", DBR_ESQL },
	{ SQLITE_LOCKED, "55P03", DBR_ESQL },
	{ SQLITE_CANTOPEN, "08001", DBR_ECONNECT },
	{ SQLITE_FULL, "53100", DBR_ESQL },
	{ SQLITE_TOOBIG, "54000", DBR_ESQL },
	{ SQLITE_MISMATCH, "42804", DBR_ESQL },
	{ SQLITE_NOMEM, "53200", DBR_ENOMEM },
	{ SQLITE_RANGE, "22023", DBR_ESQL },
	{ SQLITE_INTERRUPT, "57014", DBR_ESQL },
	{ SQLITE_PERM, "42501", DBR_ESQL },
	{ SQLITE_AUTH, "42501", DBR_ESQL },
	{ SQLITE_IOERR, "58030", DBR_ESQL },
	{ SQLITE_CORRUPT, "XX001", DBR_ESQL },
	{ SQLITE_NOTADB, "XX001", DBR_ESQL },
	{ SQLITE_ABORT, "40000", DBR_ESQL },
};

/* SQLITE_ERROR carries no detail but its message. */
static const struct {
	const char *needle;
	const char *sqlstate;
} MESSAGES[] = {
	{ "syntax error", "42601" },
	{ "incomplete input", "42601" },
	{ "unrecognized token", "42601" },
	{ "no such table", "42P01" },
	{ "no such column", "42703" },
	{ "no such function", "42883" },
	{ "already exists", "42P07" },
	{ "ambiguous column", "42702" },
	{ "datatype mismatch", "42804" },
	{ "cannot start a transaction within a transaction", "25001" },
	{ "no transaction is active", "25P01" },
};

static sq_state lookup_state(int code, const char *msg)
{
	sq_state s = { code, "42000", DBR_ESQL };
	for (int pass = 0; pass < 2; pass++, code &= 0xff)
		for (size_t i = 0; i < sizeof STATES / sizeof STATES[0]; i++)
			if (STATES[i].code == code)
				return STATES[i];
	for (size_t i = 0; msg && i < sizeof MESSAGES / sizeof MESSAGES[0]; i++)
		if (strstr(msg, MESSAGES[i].needle))
			s.sqlstate = MESSAGES[i].sqlstate;
	return s;
}

/* ------------------------------------------------------------ connections */

typedef struct sq_conn {
	sqlite3 *db;
	char *alias;
	int memory;       /* shared-cache memory database: locks do not wait */
	long long busy_ms;
	dbr_lru *stmts;   /* SQL text -> sq_entry, or NULL: statement_cache = 0 */
	unsigned threshold; /* the use from which a statement is kept */
	int query_only;   /* set by sq_begin_read until the reset */
} sq_conn;

/* A statement of the cache: counted from its first use, kept prepared
 * from its threshold-th. */
typedef struct sq_entry {
	sqlite3_stmt *st; /* NULL until kept */
	unsigned uses;
} sq_entry;

static void entry_evict(void *arg, void *value)
{
	sq_entry *e = value;
	(void)arg;
	sqlite3_finalize(e->st);
	svc->free(e);
}

/* Sets the host error from the connection's last SQLite error; `code` 0
 * keeps the mapped DBR_E* code. */
static int sq_fail_as(sq_conn *c, int rc, int code)
{
	int ext = sqlite3_extended_errcode(c->db);
	const char *msg = sqlite3_errmsg(c->db);
	sq_state s = lookup_state(ext ? ext : rc, msg);
	return svc->error(code ? code : s.err, s.sqlstate,
	                  "database \"%s\": sqlite: %s", c->alias, msg);
}

static int sq_fail(sq_conn *c, int rc)
{
	return sq_fail_as(c, rc, 0);
}

static void sq_close(void *conn)
{
	sq_conn *c = conn;
	if (c == NULL)
		return;
	svc->lru_free(c->stmts); /* finalized before the close */
	sqlite3_close_v2(c->db);
	svc->free(c->alias);
	svc->free(c);
}

static int journal_row(void *arg, int n, char **vals, char **cols)
{
	(void)cols;
	if (n > 0 && vals[0])
		snprintf(arg, 16, "%s", vals[0]);
	return 0;
}

/* Runs one option's PRAGMA; a journal mode SQLite does not take is a warning
 * (a memory database only has MEMORY or OFF). */
static int apply_pragma(sq_conn *c, int k, const char *value)
{
	char sql[96], got[16] = "";
	snprintf(sql, sizeof sql, "PRAGMA %s=%s", OPTS[k].name, value);
	int rc = sqlite3_exec(c->db, sql, journal_row, got, NULL);
	if (rc != SQLITE_OK)
		return sq_fail_as(c, rc, DBR_ECONNECT);
	if (k == O_JOURNAL && sqlite3_stricmp(got, value) != 0)
		svc->log(DBR_LOG_WARN, "sqlite", "database \"%s\": journal_mode %s "
		          "requested, SQLite kept %s", c->alias, value, got);
	return 0;
}

static int apply_opts(sq_conn *c, const sq_opts *o, int readonly)
{
	for (int k = 0; k < O_COUNT; k++) {
		if (!OPTS[k].pragma || o->val[k][0] == '\0')
			continue;
		if (OPTS[k].writes && readonly) {
			svc->log(DBR_LOG_INFO, "sqlite", "database \"%s\": %s ignored on "
			          "a read-only connection", c->alias, OPTS[k].name);
			continue;
		}
		int rc = apply_pragma(c, k, o->val[k]);
		if (rc)
			return rc;
	}
	return 0;
}

static int open_flags(const char *mode)
{
	static const struct {
		const char *mode;
		int flags;
	} FLAGS[] = {
		{ "ro", SQLITE_OPEN_READONLY },
		{ "rw", SQLITE_OPEN_READWRITE },
		{ "rwc", SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE },
	};
	for (size_t i = 0; i < sizeof FLAGS / sizeof FLAGS[0]; i++)
		if (strcmp(FLAGS[i].mode, mode) == 0)
			return FLAGS[i].flags;
	return SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
}

static int sq_open(sq_conn *c, const dbr_url_view *url, int flags)
{
	char *name = NULL;
	int rc;
	flags |= SQLITE_OPEN_NOMUTEX; /* the pool gives a connection to one thread */
	if (c->memory) {
		name = sqlite3_mprintf("file:dbr-mem-%s?mode=memory&cache=shared",
		                       url->uid ? url->uid : url->alias);
		if (name == NULL)
			return svc->error(DBR_ENOMEM, "53200", "out of memory");
		flags |= SQLITE_OPEN_URI;
	}
	rc = sqlite3_open_v2(name ? name : url->path, &c->db, flags, NULL);
	sqlite3_free(name);
	if (c->db == NULL)
		return svc->error(DBR_ENOMEM, "53200", "out of memory");
	if (rc != SQLITE_OK) {
		svc->error(DBR_ECONNECT, "08001", "database \"%s\": cannot open %s: "
		            "sqlite: %s", c->alias, url->masked, sqlite3_errmsg(c->db));
		return DBR_ECONNECT;
	}
	sqlite3_extended_result_codes(c->db, 1);
	return 0;
}

static int sq_connect(void **conn, const dbr_url_view *url)
{
	sq_opts o;
	int rc = sq_check(url);
	if (rc)
		return rc;
	parse_opts(&o, url);

	sq_conn *c = svc->calloc(1, sizeof *c);
	if (c == NULL || (c->alias = svc->strdup(url->alias)) == NULL) {
		svc->free(c);
		return svc->error(DBR_ENOMEM, "53200", "out of memory");
	}
	c->memory = is_memory(url);
	c->busy_ms = strtoll(o.val[O_BUSY], NULL, 10);
	int flags = open_flags(o.val[O_MODE]);
	c->threshold = (unsigned)strtoul(o.val[O_THRESHOLD], NULL, 10);
	size_t cap = (size_t)strtoul(o.val[O_STMTS], NULL, 10);
	if (cap > 0 && (c->stmts = svc->lru_new(cap, entry_evict, c)) == NULL)
		rc = svc->error(DBR_ENOMEM, "53200", "out of memory");
	if (rc == 0)
		rc = sq_open(c, url, flags);
	if (rc == 0)
		rc = apply_opts(c, &o, flags == SQLITE_OPEN_READONLY);
	if (rc) {
		sq_close(c);
		return rc;
	}
	*conn = c;
	return 0;
}

/* ------------------------------------------------------------ exec */

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A shared-cache table lock fails at once (the busy handler does not run):
 * wait here instead, within busy_timeout. Returns 1 to retry. */
static int locked_wait(sq_conn *c, int rc, long long start_ms)
{
	static const struct timespec ms = { 0, 1000000 };
	if (!c->memory || (rc & 0xff) != SQLITE_LOCKED || mono_ms() - start_ms >= c->busy_ms)
		return 0;
	nanosleep(&ms, NULL);
	return 1;
}

static int prepare(sqlite3_stmt **st, const char **tail, sq_conn *c, const char *sql)
{
	long long start = mono_ms();
	int rc;
	while ((rc = sqlite3_prepare_v2(c->db, sql, -1, st, tail)) != SQLITE_OK)
		if (!locked_wait(c, rc, start))
			return sq_fail(c, rc);
	return 0;
}

/* 1 if `tail` holds another statement (not just blanks, comments or ';'). */
static int has_more(sq_conn *c, const char *tail)
{
	sqlite3_stmt *st = NULL;
	tail += strspn(tail, " \t\r\n;");
	if (*tail == '\0')
		return 0;
	int rc = sqlite3_prepare_v2(c->db, tail, -1, &st, NULL);
	sqlite3_finalize(st);
	return rc != SQLITE_OK || st != NULL;
}

typedef int (*binder)(sqlite3_stmt *st, int i, const dbr_value *v);

static int bind_null(sqlite3_stmt *st, int i, const dbr_value *v)
{
	(void)v;
	return sqlite3_bind_null(st, i);
}

static int bind_int(sqlite3_stmt *st, int i, const dbr_value *v)
{
	return sqlite3_bind_int64(st, i, v->v.i);
}

static int bind_double(sqlite3_stmt *st, int i, const dbr_value *v)
{
	return sqlite3_bind_double(st, i, v->v.d);
}

/* With its length: a NUL inside is stored and read back. */
static int bind_text(sqlite3_stmt *st, int i, const dbr_value *v)
{
	const char *p = v->v.b.ptr ? v->v.b.ptr : "";
	return sqlite3_bind_text64(st, i, p, v->v.b.len, SQLITE_STATIC, SQLITE_UTF8);
}

/* A NULL pointer would bind NULL: an empty blob is a zeroblob. */
static int bind_blob(sqlite3_stmt *st, int i, const dbr_value *v)
{
	if (v->v.b.len == 0)
		return sqlite3_bind_zeroblob(st, i, 0);
	return sqlite3_bind_blob64(st, i, v->v.b.ptr, v->v.b.len, SQLITE_STATIC);
}

static int bind_bool(sqlite3_stmt *st, int i, const dbr_value *v)
{
	return sqlite3_bind_int(st, i, v->v.i != 0);
}

static const binder BINDERS[] = {
	[DBR_TYPE_NULL] = bind_null, [DBR_TYPE_INT64] = bind_int,
	[DBR_TYPE_DOUBLE] = bind_double, [DBR_TYPE_TEXT] = bind_text,
	[DBR_TYPE_BLOB] = bind_blob, [DBR_TYPE_BOOL] = bind_bool,
	/* No decimal type: its text, which a NUMERIC column's affinity turns
	 * into INTEGER or REAL (15 digits) and a TEXT column keeps exact. */
	[DBR_TYPE_DECIMAL] = bind_text,
};

static int bind_all(sq_conn *c, sqlite3_stmt *st, const dbr_value *params, size_t n)
{
	int want = sqlite3_bind_parameter_count(st);
	if ((size_t)want != n)
		return svc->error(DBR_EPARAM, NULL, "database \"%s\": the statement has "
		                   "%d placeholder%s but %zu parameter%s given", c->alias,
		                   want, want == 1 ? "" : "s", n, n == 1 ? " was" : "s were");
	for (size_t i = 0; i < n; i++) {
		unsigned t = (unsigned)params[i].type;
		if (t >= sizeof BINDERS / sizeof BINDERS[0])
			return svc->error(DBR_EINVAL, NULL, "parameter %zu has an unknown "
			                   "type %u", i + 1, t);
		int rc = BINDERS[t](st, (int)i + 1, &params[i]);
		if (rc != SQLITE_OK)
			return sq_fail(c, rc);
	}
	return 0;
}

/* One cell with its own SQLite type. Text/blob point into the statement. */
static dbr_value cell(sqlite3_stmt *st, int i)
{
	dbr_value v = dbr_null();
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		return dbr_int(sqlite3_column_int64(st, i));
	case SQLITE_FLOAT:
		return dbr_double(sqlite3_column_double(st, i));
	case SQLITE_TEXT:
		v = dbr_textn((const char *)sqlite3_column_text(st, i), 0);
		v.v.b.len = (size_t)sqlite3_column_bytes(st, i);
		break;
	case SQLITE_BLOB:
		v = dbr_blob(sqlite3_column_blob(st, i), 0);
		v.v.b.len = (size_t)sqlite3_column_bytes(st, i);
		if (v.v.b.ptr == NULL)
			v.v.b.ptr = "";
		break;
	}
	return v;
}

/* Per-column arrays of a statement: on the stack up to this many. */
#define STACK_COLS 32

static int sink_columns(sqlite3_stmt *st, int ncols, dbr_sink *sink)
{
	const char *local[STACK_COLS];
	const char **names = ncols <= STACK_COLS ? local : svc->calloc((size_t)ncols, sizeof *names);
	if (names == NULL)
		return svc->error(DBR_ENOMEM, "53200", "out of memory");
	for (int i = 0; i < ncols; i++) {
		names[i] = sqlite3_column_name(st, i);
		if (names[i] == NULL)
			names[i] = "";
	}
	int rc = svc->sink_columns(sink, (size_t)ncols, names);
	if (names != local)
		svc->free(names);
	return rc;
}

/* The columns, once the first step has run: a cached statement that the
 * step re-prepared after a schema change may have gained or lost some.
 * `row` (NULL: columns only) gets a buffer for one row's values. */
static int start_rows(sqlite3_stmt *st, int *ncols, dbr_value **row, dbr_sink *sink)
{
	int rc;
	*ncols = sqlite3_column_count(st);
	if (*ncols > 0 && (rc = sink_columns(st, *ncols, sink)) != 0)
		return rc;
	if (row && *ncols > 0 && (*row = svc->calloc((size_t)*ncols, sizeof **row)) == NULL)
		return svc->error(DBR_ENOMEM, "53200", "out of memory");
	return 0;
}

/* Steps every row into the sink; the row's values on the stack up to
 * STACK_COLS columns. */
static int step_rows(sq_conn *c, sqlite3_stmt *st, dbr_sink *sink)
{
	int ncols = 0, rc, sunk = 0, started = 0;
	long long start = mono_ms();
	dbr_value local[STACK_COLS], *row = NULL;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW || (!sunk && locked_wait(c, rc, start))) {
		if (rc != SQLITE_ROW) {
			sqlite3_reset(st);
			continue;
		}
		if (!started++ && (rc = start_rows(st, &ncols, sqlite3_column_count(st) <= STACK_COLS
		                                                    ? NULL : &row, sink)) != 0) {
			svc->free(row);
			return rc;
		}
		if (row == NULL)
			row = local;
		for (int i = 0; i < ncols; i++)
			row[i] = cell(st, i);
		sunk = 1;
		if (svc->sink_row(sink, row) != 0) {
			if (row != local)
				svc->free(row);
			return svc->error(DBR_ENOMEM, "53200", "out of memory");
		}
	}
	if (row != local)
		svc->free(row);
	if (rc == SQLITE_DONE && !started)
		return start_rows(st, &ncols, NULL, sink); /* no row: columns only */
	return rc == SQLITE_DONE ? 0 : sq_fail(c, rc);
}

/* 1 if the statement starts with INSERT or REPLACE. */
static int is_insert(const char *sql)
{
	static const char *const KW[] = { "INSERT", "REPLACE" };
	sql += strspn(sql, " \t\r\n(");
	for (size_t i = 0; i < sizeof KW / sizeof KW[0]; i++) {
		size_t n = strlen(KW[i]);
		if (sqlite3_strnicmp(sql, KW[i], (int)n) == 0 &&
		    strchr(" \t\r\n(", sql[n]) != NULL && sql[n] != '\0')
			return 1;
	}
	return 0;
}

static sqlite3_int64 total_changes(sqlite3 *db)
{
#if SQLITE_VERSION_NUMBER >= 3037000
	return sqlite3_total_changes64(db);
#else
	return sqlite3_total_changes(db);
#endif
}

static sqlite3_int64 changes(sqlite3 *db)
{
#if SQLITE_VERSION_NUMBER >= 3037000
	return sqlite3_changes64(db);
#else
	return sqlite3_changes(db);
#endif
}

/* Affected rows only when this statement changed rows (changes() keeps the
 * previous DML's count across DDL); the insert id only for an insert that
 * set one (reset to 0 first, so an upsert that updated reports none). */
static int run(sq_conn *c, sqlite3_stmt *st, dbr_sink *sink)
{
	int writes = !sqlite3_stmt_readonly(st);
	int insert = writes && is_insert(sqlite3_sql(st));
	sqlite3_int64 before = total_changes(c->db);

	if (insert)
		sqlite3_set_last_insert_rowid(c->db, 0);
	int rc = step_rows(c, st, sink);
	if (rc || !writes)
		return rc;
	sqlite3_int64 n = total_changes(c->db) != before ? changes(c->db) : 0;
	svc->sink_affected(sink, n);
	if (insert && n > 0 && sqlite3_last_insert_rowid(c->db) != 0)
		svc->sink_insert_id(sink, sqlite3_last_insert_rowid(c->db));
	return 0;
}

/* A fresh statement: exactly one, else an error. */
static int prepare_one(sqlite3_stmt **st, sq_conn *c, const char *sql)
{
	const char *tail = NULL;
	int rc = prepare(st, &tail, c, sql);
	if (rc)
		return rc;
	if (*st == NULL)
		return svc->error(DBR_EINVAL, NULL, "database \"%s\": empty statement",
		                   c->alias);
	if (has_more(c, tail)) {
		sqlite3_finalize(*st);
		*st = NULL;
		return svc->error(DBR_EINVAL, NULL, "database \"%s\": several statements: "
		                   "use a script", c->alias);
	}
	return 0;
}

/* The cache's entry of `sql`, counted one more use (added if new; NULL
 * without a cache or memory). */
static sq_entry *entry_use(sq_conn *c, const char *sql)
{
	sq_entry *e = svc->lru_obtain(c->stmts, sql, sizeof *e);
	if (e != NULL)
		e->uses++;
	return e;
}

static int sq_exec(void *conn, const char *sql, const dbr_value *params,
                   size_t nparams, dbr_sink *sink)
{
	sq_conn *c = conn;
	sq_entry *e = entry_use(c, sql);
	sqlite3_stmt *st = e ? e->st : NULL;
	int rc = 0;
	if (st == NULL && (rc = prepare_one(&st, c, sql)) != 0)
		return rc;
	if (e != NULL && e->st == NULL && e->uses >= c->threshold)
		e->st = st; /* kept from now on */
	rc = bind_all(c, st, params, nparams);
	if (rc == 0)
		rc = run(c, st, sink);
	if (e != NULL && e->st == st) {
		sqlite3_reset(st); /* ends its read; the error is already reported */
		sqlite3_clear_bindings(st); /* they point into the caller's values */
	} else {
		sqlite3_finalize(st);
	}
	return rc;
}

/* ------------------------------------------------------------ streams */

/* A streaming cursor: a fresh statement (never the cache's: it stays
 * stepped until closed), its parameters bound as copies (the caller's
 * values are read during query_open only). */
typedef struct sq_cursor {
	sq_conn *c;
	sqlite3_stmt *st;
	dbr_value *row;
	int ncols, sunk, writes, insert;
	sqlite3_int64 before;
	long long start;
} sq_cursor;

static int sq_query_close(void *cur)
{
	sq_cursor *k = cur;
	sqlite3_finalize(k->st); /* ends its read */
	svc->free(k->row);
	svc->free(k);
	return 0;
}

static int sq_query_open(void **cur, void *conn, const char *sql, const dbr_value *params,
                         size_t nparams, dbr_sink *sink)
{
	sq_conn *c = conn;
	sq_cursor *k = svc->calloc(1, sizeof *k);
	if (k == NULL)
		return svc->error(DBR_ENOMEM, "53200", "out of memory");
	k->c = c;
	k->start = mono_ms();
	int rc = prepare_one(&k->st, c, sql);
	if (rc == 0)
		rc = bind_all(c, k->st, params, nparams);
	/* The binders bind text and blobs SQLITE_STATIC: copy them now. */
	for (size_t i = 0; rc == 0 && i < nparams; i++) {
		const dbr_value *v = &params[i];
		if (v->type == DBR_TYPE_TEXT && sqlite3_bind_text64(k->st, (int)i + 1,
		        v->v.b.ptr ? v->v.b.ptr : "", v->v.b.len, SQLITE_TRANSIENT, SQLITE_UTF8))
			rc = sq_fail(c, sqlite3_errcode(c->db));
		else if (v->type == DBR_TYPE_BLOB && v->v.b.len && sqlite3_bind_blob64(k->st,
		             (int)i + 1, v->v.b.ptr, v->v.b.len, SQLITE_TRANSIENT))
			rc = sq_fail(c, sqlite3_errcode(c->db));
	}
	if (rc == 0) {
		k->writes = !sqlite3_stmt_readonly(k->st);
		k->insert = k->writes && is_insert(sql);
		k->before = total_changes(c->db);
		if (k->insert)
			sqlite3_set_last_insert_rowid(c->db, 0);
		rc = start_rows(k->st, &k->ncols, &k->row, sink);
	}
	if (rc) {
		sq_query_close(k);
		return rc;
	}
	*cur = k;
	return 0;
}

static int sq_query_next(void *cur, dbr_sink *sink)
{
	sq_cursor *k = cur;
	int rc;
	while ((rc = sqlite3_step(k->st)) != SQLITE_ROW && !k->sunk && rc != SQLITE_DONE &&
	       locked_wait(k->c, rc, k->start))
		sqlite3_reset(k->st);
	if (rc == SQLITE_ROW) {
		for (int i = 0; i < k->ncols; i++)
			k->row[i] = cell(k->st, i);
		k->sunk = 1;
		return svc->sink_row(sink, k->row) != 0
		       ? svc->error(DBR_ENOMEM, "53200", "out of memory") : 1;
	}
	if (rc != SQLITE_DONE)
		return sq_fail(k->c, rc);
	sqlite3_int64 n = total_changes(k->c->db) != k->before ? changes(k->c->db) : 0;
	if (k->writes)
		svc->sink_affected(sink, n);
	if (k->insert && n > 0 && sqlite3_last_insert_rowid(k->c->db) != 0)
		svc->sink_insert_id(sink, sqlite3_last_insert_rowid(k->c->db));
	return 0;
}

static int sq_script(void *conn, const char *sql)
{
	sq_conn *c = conn;
	int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : sq_fail(c, rc);
}

static int sq_ping(void *conn)
{
	sq_conn *c = conn;
	if (sqlite3_exec(c->db, "SELECT 1", NULL, NULL, NULL) != SQLITE_OK)
		return svc->error(DBR_ECONNECT, "08006", "database \"%s\": sqlite: %s",
		                   c->alias, sqlite3_errmsg(c->db));
	return 0;
}

/* A transaction left open is rolled back and query_only turned off;
 * failing that, drop the connection. */
static int sq_reset(void *conn)
{
	sq_conn *c = conn;
	if (!sqlite3_get_autocommit(c->db) &&
	    sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL) != SQLITE_OK)
		return 1;
	if (c->query_only && sqlite3_exec(c->db, "PRAGMA query_only = OFF", NULL, NULL, NULL) != SQLITE_OK)
		return 1;
	c->query_only = 0;
	return 0;
}

/* SQLite has no read-only transaction: query_only refuses writes
 * (SQLITE_READONLY) until the connection goes back to the pool (reset). */
static int sq_begin_read(void *conn)
{
	sq_conn *c = conn;
	int rc = sqlite3_exec(c->db, "BEGIN DEFERRED", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(c, rc);
	c->query_only = 1;
	rc = sqlite3_exec(c->db, "PRAGMA query_only = ON", NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : sq_fail(c, rc);
}

static int sq_server_version(char *buf, size_t size, void *conn)
{
	(void)conn;
	if (size == 0 || (size_t)snprintf(buf, size, "SQLite %s", sqlite3_libversion()) >= size)
		return svc->error(DBR_ERANGE, NULL, "sqlite: version buffer of %zu bytes "
		                  "is too small", size);
	return 0;
}

/* A file has no replication: always a writable primary, no position, no
 * lag. */
static int sq_repl_info(dbr_repl_info *out, void *conn)
{
	(void)conn;
	out->role = DBR_ROLE_PRIMARY;
	out->read_only = 0;
	out->lag_us = 0;
	out->lag_bytes = 0;
	out->position[0] = '\0';
	return 0;
}

/* ------------------------------------------------------------ entry */

static const char *const SCHEMES[] = { "sqlite", NULL };

static const dbr_driver_ops OPS = {
	.struct_size = sizeof(dbr_driver_ops),
	.backend = "sqlite",
	/* a memory database lives in its connections; no server to monitor */
	.flags = DBR_DRIVER_KEEP_ONE | DBR_DRIVER_EMBEDDED,
	.check = sq_check,
	.connect = sq_connect,
	.close = sq_close,
	.ping = sq_ping,
	.exec = sq_exec,
	.script = sq_script,
	.reset = sq_reset,
	.server_version = sq_server_version,
	.schemes = SCHEMES,
	/* ABI 1.1: read-only transactions */
	.begin_read = sq_begin_read,
	.repl_info = sq_repl_info,
	/* ABI 1.1: streaming */
	.query_open = sq_query_open,
	.query_next = sq_query_next,
	.query_close = sq_query_close,
};

static const dbr_plugin_desc DESC = DBR_PLUGIN_DESC(DBR_PLUGIN_DRIVER, "sqlite",
	"1.0.0", "SQLite files and shared in-memory databases", &OPS);

DBR_DRIVER_ENTRY(sqlite)
{
	svc = host;
	if (!sqlite3_threadsafe()) {
		svc->error(DBR_EPLUGIN, NULL, "sqlite: the SQLite library was built "
		            "without thread support (SQLITE_THREADSAFE=0)");
		return NULL;
	}
	return &DESC;
}
