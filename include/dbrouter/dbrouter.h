/* SPDX-License-Identifier: MIT */
/*
 * dbrouter.h — the application API of libdbrouter.
 *
 * Conventions (libgit2's): functions are dbr_<noun>_<verb>; out parameters come
 * first; every function that can fail returns 0 or a negative DBR_E* code; the
 * message of the last failure is readable from the calling thread
 * (dbr_error_last) and from the handle (dbr_errmsg, dbr_session_errmsg).
 * Handles are opaque. Messages never contain a password: URLs are masked.
 *
 * Threads: one `dbr` is shared by all threads. A `dbr_session`, a `dbr_result`,
 * a `dbr_trace` and a `dbr_conn` are used by one thread at a time (any
 * thread, one after the other); distinct ones run at once. Each function
 * says which rule it follows: "Thread-safe" (any thread, any time), "Per
 * session" / "Per result" / "Per trace" (one thread at a time per handle),
 * or "Not thread-safe" (must not overlap any other call on the handle).
 */
#ifndef DBROUTER_H
#define DBROUTER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(DBR_BUILDING_LIBRARY)
#define DBR_API __attribute__((visibility("default")))
#else
#define DBR_API
#endif

/* The library's version (not the plugin ABI: see plugin.h). */
#define DBR_VERSION_MAJOR 0
#define DBR_VERSION_MINOR 2
#define DBR_VERSION_PATCH 0
#define DBR_VERSION "0.2.0"

/* ---------------------------------------------------------------- errors */

/* Return codes. 0 is success; every failure is negative. */
typedef enum dbr_errcode {
	DBR_OK = 0,
	DBR_ERROR = -1,     /* generic failure */
	DBR_ENOMEM = -2,    /* out of memory */
	DBR_EINVAL = -3,    /* bad argument from the caller */
	DBR_ECONFIG = -4,   /* configuration error: message names file, line, setting */
	DBR_EPLUGIN = -5,   /* plugin missing, incompatible or malformed */
	DBR_ENOTFOUND = -6, /* no such alias, model, column, row, setting */
	DBR_ECONNECT = -7,  /* a database could not be reached */
	DBR_ESQL = -8,      /* the database rejected the statement (see SQLSTATE) */
	DBR_EROUTE = -9,    /* routing failed (e.g. a router named an unknown alias) */
	DBR_ETIMEOUT = -10, /* a wait ran out */
	DBR_ENOTSUP = -11,  /* not supported by this backend or plugin */
	DBR_ERANGE = -12,   /* value or index out of range */
	DBR_ETYPE = -13,    /* value has another type and cannot be converted */
	DBR_ESTATE = -14,   /* call not valid in the handle's current state */
	DBR_EPARAM = -15    /* parameter count does not match the placeholders */
} dbr_errcode;

/* The last error of the calling thread. */
typedef struct dbr_error {
	int code;             /* a dbr_errcode, 0 if none */
	const char *message;  /* never NULL; "" if none */
	const char *sqlstate; /* five characters, or "" if none */
} dbr_error;

/* Static English text for a code. Never NULL. Thread-safe. */
DBR_API const char *dbr_strerror(int code);

/* The calling thread's last error. Never NULL; valid until this thread's next
 * call into the library. Thread-safe (thread-local). */
DBR_API const dbr_error *dbr_error_last(void);

/* ----------------------------------------------------------------- types */

typedef struct dbr dbr;                 /* a deployment: databases, routers, pools */
typedef struct dbr_session dbr_session; /* one caller's unit of work */
typedef struct dbr_result dbr_result;   /* a buffered result */
typedef struct dbr_trace dbr_trace;     /* the routing trace of one statement */
typedef struct dbr_stream dbr_stream;   /* a statement's rows, one at a time */

/* Whether a statement reads or writes. AUTO classifies the SQL. */
typedef enum dbr_intent {
	DBR_INTENT_AUTO = 0,
	DBR_INTENT_READ = 1,
	DBR_INTENT_WRITE = 2
} dbr_intent;

/* Parameter and column value types. New types are only ever appended. */
typedef enum dbr_type {
	DBR_TYPE_NULL = 0,
	DBR_TYPE_INT64 = 1,
	DBR_TYPE_DOUBLE = 2,
	DBR_TYPE_TEXT = 3,
	DBR_TYPE_BLOB = 4,
	DBR_TYPE_BOOL = 5,
	/* An exact decimal number as text, e.g. "-12345678901234567890.0100"
	 * (PostgreSQL numeric, MariaDB DECIMAL, a MariaDB BIGINT UNSIGNED above
	 * INT64_MAX); may also be "NaN", "Infinity", "-Infinity" (PostgreSQL).
	 * Carried like TEXT. SQLite has no such type: its NUMERIC/DECIMAL
	 * columns hold INTEGER or REAL (15 significant digits), so its results
	 * are never DECIMAL. Since plugin ABI 1.1. */
	DBR_TYPE_DECIMAL = 6
} dbr_type;

/* A typed value. Text, decimal and blob point to memory owned by whoever
 * built the value. Text need not be NUL-terminated: len counts its bytes,
 * and a NUL byte inside is part of the value. SQLite and MariaDB store such
 * text as given; PostgreSQL text cannot hold a NUL, so a TEXT (or DECIMAL)
 * parameter with one is refused with DBR_EPARAM there, never shortened:
 * send such bytes as a BLOB. A DECIMAL parameter binds as the backend's
 * exact number (numeric, DECIMAL; SQLite: as text, the column's affinity
 * converts it); a third-party driver built before ABI 1.1 may refuse it
 * (DBR_EINVAL). */
typedef struct dbr_value {
	dbr_type type;
	union {
		int64_t i;  /* INT64, BOOL (0 or 1) */
		double d;   /* DOUBLE */
		struct {
			const void *ptr;
			size_t len;
		} b;        /* TEXT, BLOB, DECIMAL */
	} v;
} dbr_value;

static inline dbr_value dbr_null(void) { dbr_value x; x.type = DBR_TYPE_NULL; x.v.i = 0; return x; }
static inline dbr_value dbr_int(int64_t i) { dbr_value x; x.type = DBR_TYPE_INT64; x.v.i = i; return x; }
static inline dbr_value dbr_double(double d) { dbr_value x; x.type = DBR_TYPE_DOUBLE; x.v.d = d; return x; }
static inline dbr_value dbr_bool(int b) { dbr_value x; x.type = DBR_TYPE_BOOL; x.v.i = b ? 1 : 0; return x; }
static inline dbr_value dbr_blob(const void *p, size_t n) { dbr_value x; x.type = DBR_TYPE_BLOB; x.v.b.ptr = p; x.v.b.len = n; return x; }
static inline dbr_value dbr_textn(const char *s, size_t n) { dbr_value x; x.type = DBR_TYPE_TEXT; x.v.b.ptr = s; x.v.b.len = n; return x; }
static inline dbr_value dbr_text(const char *s) { return dbr_textn(s, strlen(s)); }
/* An exact decimal from its text ("19.99"): digits, an optional sign, point
 * and exponent; checked by the backend that receives it. */
static inline dbr_value dbr_decimaln(const char *s, size_t n) { dbr_value x = dbr_textn(s, n); x.type = DBR_TYPE_DECIMAL; return x; }
static inline dbr_value dbr_decimal(const char *s) { return dbr_decimaln(s, strlen(s)); }

/* ------------------------------------------------------- opening, closing */

/* Opens the deployment described by the libconfig file at `path`: the whole
 * configuration is validated and every plugin loaded before any database is
 * opened; on failure nothing is left open. Connections are made lazily.
 * *out is owned by the caller (dbr_close). Errors: DBR_ECONFIG (message names
 * file, line and setting), DBR_EPLUGIN, DBR_ENOMEM. Thread-safe. */
DBR_API int dbr_open(dbr **out, const char *path);

/* As dbr_open, from configuration text; messages name the file "<string>".
 * Thread-safe. */
DBR_API int dbr_open_string(dbr **out, const char *text);

/* An empty deployment to build in code with dbr_add_database and
 * dbr_add_router. Statements fail with DBR_ENOTFOUND until a database named
 * "default" is added. Errors: DBR_ENOMEM. Thread-safe. */
DBR_API int dbr_new(dbr **out);

/* Adds the database `alias` at `url`. `settings` is optional libconfig text
 * with the same keys as a database entry of plugins.conf besides `url`
 * (replica_of, weight, driver, options = {...}, pool = {...}), or NULL.
 * Validated whole (the driver checks its options) before it is added; on
 * failure nothing changes. Errors: DBR_ECONFIG, DBR_EPLUGIN, DBR_EINVAL
 * (alias exists). Thread-safe. */
DBR_API int dbr_add_database(dbr *db, const char *alias, const char *url,
                             const char *settings);

/* Appends the router module `name` to the chain, configured by `settings`
 * (libconfig text with the router's keys, or NULL). Errors: DBR_ECONFIG,
 * DBR_EPLUGIN. Thread-safe. */
DBR_API int dbr_add_router(dbr *db, const char *name, const char *settings);

/* Rolls back every transaction still open in any session of `db` (nothing
 * is ever committed by accident), gives back the sessions' connections,
 * closes every connection, unloads routers and frees `db`. Sessions still
 * open are detached, not freed: the only valid call on them afterwards is
 * dbr_session_free (every other call taking the session fails with
 * DBR_ESTATE — use_primary, tokens and dbr_tx_depth included;
 * dbr_session_errmsg still reads the message; dbr_conn handles likewise,
 * freed by dbr_conn_release). NULL is a no-op.
 * Not thread-safe: call once, after every other thread is done with `db`
 * and its sessions. */
DBR_API void dbr_close(dbr *db);

/* Message of the last failure on `db` (any thread), copied into storage of
 * the calling thread: valid until this thread's next call. Never NULL. */
DBR_API const char *dbr_errmsg(const dbr *db);

/* Replaces the clock the library reads (microseconds since the epoch), for
 * tests; NULL restores the system clock. Process-wide. Not thread-safe with
 * concurrent routing: set it before starting threads. */
DBR_API void dbr_clock_set(int64_t (*now_us)(void));

/* The library's clock, in microseconds since the epoch. Thread-safe. */
DBR_API int64_t dbr_clock_now(void);

/* ------------------------------------------------------------ version */

/* The run-time library's version ("0.2.0", static storage: never free it)
 * and, when the pointers are not NULL, its parts. Compare with
 * DBR_VERSION, the version the application was compiled against.
 * Thread-safe (pure function). */
DBR_API const char *dbr_version(int *major, int *minor, int *patch);

/* The plugin ABI the run-time library hosts (DBR_ABI_MAJOR/MINOR of the
 * plugin.h it was built with) into the non-NULL pointers. Thread-safe. */
DBR_API void dbr_abi_version(int *major, int *minor);

/* ------------------------------------------------------------ logging */

/* Severity of a log line; a threshold lets through its level and those
 * above it (lower numbers). */
typedef enum dbr_log_level {
	DBR_LOG_ERROR = 0,
	DBR_LOG_WARN = 1,
	DBR_LOG_INFO = 2,
	DBR_LOG_DEBUG = 3
} dbr_log_level;

/* A threshold that lets nothing through (dbr_log_set). */
#define DBR_LOG_OFF ((dbr_log_level)-1)

/* Receives one log line: `module` is "core", a core module ("pool",
 * "route", "loader", ...) or a plugin's name; `message` is one line without
 * a newline and never holds a password. Both strings are valid during the
 * call only. Called from any thread, at once from several, possibly with
 * the library's internal locks held: it must be thread-safe and must not
 * call libdbrouter (a log line it causes goes to stderr instead; a
 * dbr_log_set from inside it fails with DBR_ESTATE). */
typedef void (*dbr_log_fn)(dbr_log_level level, const char *module, const char *message,
                           void *userdata);

/* Sends the library's log lines (the core's and every plugin's) of `level`
 * and above to `callback` with `userdata`; NULL restores the default sink,
 * standard error ("dbrouter: LEVEL: MODULE: message"). `level` DBR_LOG_OFF
 * silences everything. Before any call the level is DBROUTER_LOG's
 * (error|warn|info|debug|off, read once at first use; default warn; a bad
 * value is reported on stderr). Lines below the level cost one atomic read:
 * nothing is formatted.
 * Process-wide. Thread-safe: lines logged while it runs go to the old sink
 * or the new one; once it returns the old callback is never called again
 * and its userdata may be freed.
 * Errors: DBR_EINVAL (level out of range), DBR_ESTATE (called from a
 * callback). */
DBR_API int dbr_log_set(dbr_log_fn callback, void *userdata, dbr_log_level level);

/* -------------------------------------------------------------- sessions */

/* A new session on `db`. Owned by the caller (dbr_session_free); used by one
 * thread at a time; many sessions may run at once. Errors: DBR_ENOMEM.
 * Thread-safe (registers the session with `db`). */
DBR_API int dbr_session_new(dbr_session **out, dbr *db);

/* Ends the session: rolls back what is still open, returns its connections
 * (raw dbr_conn handles are detached: only dbr_conn_release remains valid).
 * Valid before or after dbr_close of its dbr. NULL is a no-op. Per session:
 * no other call on `s` may overlap, and none may follow. */
DBR_API void dbr_session_free(dbr_session *s);

/* Every function from here to the results section is "per session": one
 * thread at a time on a given session, while other sessions of the same
 * dbr run in other threads. Those that run SQL, route or begin/end a
 * transaction first check the session's open transactions against their
 * transaction_timeout (see dbr_tx_begin). */

/* Message of the session's last failure; "" if none. Valid until the next
 * call on `s`. */
DBR_API const char *dbr_session_errmsg(const dbr_session *s);

/* SQLSTATE of the session's last failure, or "". */
DBR_API const char *dbr_session_sqlstate(const dbr_session *s);

/* Opens a session that restores the pins recorded in `token` (made by
 * dbr_session_token, possibly in another process). A malformed, foreign,
 * expired or (with token_secret) unsigned or tampered token is ignored and
 * logged: the session simply starts unpinned. NULL token = dbr_session_new.
 * Errors: DBR_ENOMEM only. */
DBR_API int dbr_session_open(dbr_session **out, dbr *db, const char *token);

/* Longest token dbr_session_token writes, with its NUL. */
#define DBR_TOKEN_MAX 512

/* Writes the session's pin token into buf: short printable ASCII, safe in a
 * cookie, recording only the session's recent writes (cluster, time,
 * position), never a URL or a password; signed when token_secret is set.
 * Errors: DBR_ERANGE (buf too small: DBR_TOKEN_MAX is always enough). */
DBR_API int dbr_session_token(char *buf, size_t size, dbr_session *s);

/* As dbr_session_token, plus a write to the cluster of `alias` (its
 * primary) made now: the session restored from this token is pinned there
 * as if it had just written, while `s` itself is left unchanged (no pin,
 * no router's on_write). This is django-multidb-router's
 * `response._db_write = True`: the request that set it keeps reading
 * where it was, the next one (carrying the cookie) reads its writes.
 * Errors: DBR_ENOTFOUND (alias), DBR_ERANGE, DBR_EINVAL, DBR_ESTATE. */
DBR_API int dbr_session_token_mark_write(char *buf, size_t size, dbr_session *s,
                                         const char *alias);

/* Enters a use_primary scope: until the matching _end, every read of the
 * session goes to its target's primary. Scopes nest. Errors: DBR_EINVAL,
 * DBR_ESTATE (detached by dbr_close). */
DBR_API int dbr_session_use_primary_begin(dbr_session *s);
/* Leaves the innermost use_primary scope, restoring the previous state.
 * Errors: DBR_ESTATE (not inside a scope, or detached by dbr_close). */
DBR_API int dbr_session_use_primary_end(dbr_session *s);

/* Sets the session's default hint `key` to `value` for the routers
 * (host->hint), e.g. "tenant" = "acme" for the whole unit of work; a
 * statement's own hints (dbr_query version 2) override it. A NULL value
 * removes the hint. Both strings are copied. Per session.
 * Errors: DBR_EINVAL (NULL session or key, empty key), DBR_ENOMEM,
 * DBR_ESTATE (detached by dbr_close). */
DBR_API int dbr_session_hint_set(dbr_session *s, const char *key, const char *value);

/* Records a write to the cluster of `alias` done outside the library (as
 * django-multidb-router's db_write): pins like a real write.
 * Errors: DBR_ENOTFOUND. */
DBR_API int dbr_session_mark_write(dbr_session *s, const char *alias);

/* ---------------------------------------------------------- transactions */

/* Begins a transaction on `alias` (NULL = "default"). A nested begin on the
 * same alias makes a SAVEPOINT; a begin on another alias is an independent
 * transaction. While a transaction is open the session's statements run on
 * its connection (routers bypassed; the latest begun alias wins, `using`
 * picks another open one: a statement whose `using` names an alias with no
 * open transaction runs in autocommit there). A transaction open longer
 * than its database's pool `transaction_timeout` (seconds, 0 = none, the
 * default) is rolled back by the pool's maintenance thread, even if the
 * session never calls again (its connection goes back to the pool and its
 * locks are released; never while a call of the session is using it), or
 * at the session's next call, whichever comes first; that next call then
 * fails with DBR_ETIMEOUT naming the alias and the timeout; later calls
 * run normally.
 * Errors: DBR_ENOTFOUND, DBR_ECONNECT, DBR_ETIMEOUT, DBR_ESQL. */
DBR_API int dbr_tx_begin(dbr_session *s, const char *alias);
/* Begins on the routed write target of `model` (stage 1 of a write; the
 * routers are asked even while another transaction is open, so a model
 * routed elsewhere begins an independent transaction). */
DBR_API int dbr_tx_begin_model(dbr_session *s, const char *model);
/* Begins a read-only transaction for the cluster of `alias` (NULL =
 * "default") on a member chosen by stage 2 as for a read (a replica when
 * the routers pick one, else the primary), so several reads see one
 * snapshot: BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY on PostgreSQL,
 * START TRANSACTION READ ONLY, WITH CONSISTENT SNAPSHOT on MariaDB, BEGIN
 * DEFERRED plus PRAGMA query_only on SQLite (the driver's begin_read op
 * when it has one, else the core's text for the dialect). Per session, as
 * every dbr_tx_* call. Statements of the session run in it as in any
 * transaction; `alias` (or the member's own alias) names it to
 * dbr_tx_commit/dbr_tx_rollback/using; a write inside fails with the
 * backend's error (SQLSTATE 25006 on PostgreSQL). A begin while a
 * transaction is open on `alias` is a savepoint of that one.
 * Errors: DBR_ENOTFOUND, DBR_ECONNECT, DBR_ETIMEOUT, DBR_ESQL, DBR_EROUTE. */
DBR_API int dbr_tx_begin_read(dbr_session *s, const char *alias);
/* Commits (or releases the savepoint of) the innermost level on `alias`
 * (NULL = the latest begun). A committed write transaction records its pin
 * once. Errors: DBR_ESTATE (none open), DBR_ESQL. */
DBR_API int dbr_tx_commit(dbr_session *s, const char *alias);
/* Rolls back the innermost level on `alias` (NULL = the latest begun). */
DBR_API int dbr_tx_rollback(dbr_session *s, const char *alias);
/* Open nesting depth on `alias` (NULL = any alias: total); DBR_ESTATE once
 * dbr_close detached the session. */
DBR_API int dbr_tx_depth(const dbr_session *s, const char *alias);

/* --------------------------------------------------------------- routers */

/* Replaces the whole router chain atomically while other threads route:
 * `routers` is libconfig text of a routers list, e.g.
 * `( { name = "per_model"; models = { Log = "logs"; }; } )`, or NULL / ""
 * for an empty chain (everything to "default"). The new chain is built and
 * validated first; on error the old one stays. The old chain is destroyed
 * when no statement uses it any more. Errors: DBR_ECONFIG, DBR_EPLUGIN.
 * Thread-safe. */
DBR_API int dbr_set_routers(dbr *db, const char *routers);

/* ------------------------------------------------------------ statements */

/* The newest dbr_query version this header describes. A member added later
 * comes with a new version and is read only from queries of that version or
 * newer, so a program built against an older header keeps working: dbr_exec
 * accepts every version from 1 to DBR_QUERY_VERSION and refuses 0 (not
 * initialised) and newer ones (built against a newer libdbrouter) with
 * DBR_EINVAL. */
#define DBR_QUERY_VERSION 2

/* A statement. Initialise it with DBR_QUERY_INIT, which sets `version` and
 * the defaults, then set the members you need. (There is no init function:
 * the macro is the only initialiser.) */
typedef struct dbr_query {
	unsigned int version;     /* DBR_QUERY_VERSION */
	const char *sql;          /* with ? placeholders */
	const dbr_value *params;  /* nparams values, bound (never formatted in) */
	size_t nparams;
	const char *model;        /* model / table name for routers, or NULL */
	dbr_intent intent;        /* AUTO classifies the SQL */
	const char *using_alias;  /* explicit alias: skips the routers, or NULL */
	/* version 2: key/value hints for the routers (host->hint), e.g.
	 * "tenant" = "acme". nhints pairs; they override the session's hints
	 * (dbr_session_hint_set). The caller's arrays, read during the call. */
	const char *const *hint_keys;
	const char *const *hint_values;
	size_t nhints;
} dbr_query;

#define DBR_QUERY_INIT { DBR_QUERY_VERSION, NULL, NULL, 0, NULL, DBR_INTENT_AUTO, NULL, \
                         NULL, NULL, 0 }

/* Routes and runs `q` on the session. On success *out (if out is not NULL)
 * holds the buffered result, owned by the caller (dbr_result_free).
 * Errors: DBR_ESQL (sqlstate set), DBR_EPARAM, DBR_ENOTFOUND (alias),
 * DBR_EROUTE, DBR_ECONNECT, DBR_EINVAL. The session's error is set too. */
DBR_API int dbr_exec(dbr_result **out, dbr_session *s, const dbr_query *q);

/* Runs `sql` with no parameters (AUTO intent). Convenience over dbr_exec. */
DBR_API int dbr_exec_sql(dbr_result **out, dbr_session *s, const char *sql);

/* Routes `q` without running it: *out is the trace of both stages, owned by
 * the caller (dbr_trace_free). Errors as dbr_exec's routing part. */
DBR_API int dbr_explain(dbr_trace **out, dbr_session *s, const dbr_query *q);

/* Runs the SQL script `script` (several statements, typically DDL) on the
 * routed write database of `model` (stage 1 only: never a replica). `model`
 * NULL means `default`. *trace_out (if not NULL) tells where and why, owned
 * by the caller. Errors as dbr_exec. */
DBR_API int dbr_apply(dbr_trace **trace_out, dbr_session *s, const char *model,
                      const char *script);

/* Classifies `sql`: DBR_INTENT_READ or DBR_INTENT_WRITE (unsure → WRITE).
 * Pure function; thread-safe. */
DBR_API dbr_intent dbr_classify(const char *sql);

/* --------------------------------------------------------------- results */

/* The result functions are "per result": a result is read by one thread
 * at a time (several threads may read distinct results at once); it does
 * not depend on its session or dbr, and may outlive both. */

/* Frees a result. NULL is a no-op. */
DBR_API void dbr_result_free(dbr_result *r);
DBR_API size_t dbr_result_nrows(const dbr_result *r);
DBR_API size_t dbr_result_ncols(const dbr_result *r);
/* Column name, or NULL if col is out of range. Valid while r lives. */
DBR_API const char *dbr_result_colname(const dbr_result *r, size_t col);
/* Column index of `name` in *out. Errors: DBR_ENOTFOUND. */
DBR_API int dbr_result_colindex(size_t *out, const dbr_result *r, const char *name);
/* Type of a cell as the backend returned it; DBR_TYPE_NULL when out of range.
 * DBR_TYPE_DECIMAL tells an exact decimal from a string. */
DBR_API dbr_type dbr_result_type(const dbr_result *r, size_t row, size_t col);
/* 1 if the cell is NULL (or out of range), else 0. */
DBR_API int dbr_result_isnull(const dbr_result *r, size_t row, size_t col);
/* Typed getters: convert where the backend returned text or a decimal
 * (e.g. "42" → 42; a decimal to int64 only when it is integral and fits; to
 * double, the nearest double). Errors: DBR_ERANGE (no such cell),
 * DBR_ETYPE (NULL, or not convertible). */
DBR_API int dbr_result_int64(int64_t *out, const dbr_result *r, size_t row, size_t col);
DBR_API int dbr_result_double(double *out, const dbr_result *r, size_t row, size_t col);
/* Text of a cell; NUL-terminated, *len (if not NULL) its length in bytes
 * (text may hold NUL bytes: use *len). Numbers are formatted: an integer in
 * decimal, a bool as "true"/"false", a decimal exactly as the backend sent
 * its digits, a double as the shortest text that reads back (strtod) as the
 * same double ("19.99", "0.1", "-0", "1e+300", "5e-324"; "Infinity",
 * "-Infinity", "NaN"), with '.' whatever the locale. Valid while r lives.
 * Errors: DBR_ERANGE, DBR_ETYPE (NULL). */
DBR_API int dbr_result_text(const char **out, size_t *len, const dbr_result *r, size_t row, size_t col);
/* Bytes of a text, decimal or blob cell. Valid while r lives. Errors:
 * DBR_ERANGE, DBR_ETYPE. */
DBR_API int dbr_result_blob(const void **out, size_t *len, const dbr_result *r, size_t row, size_t col);
/* Rows changed by a write (0 for reads). */
DBR_API int64_t dbr_result_affected(const dbr_result *r);
/* Row id of the last insert. Errors: DBR_ENOTSUP (the backend has none:
 * e.g. PostgreSQL, use RETURNING), DBR_ENOTFOUND (the statement inserted nothing). */
DBR_API int dbr_result_last_insert_id(int64_t *out, const dbr_result *r);
/* Alias of the database that served the statement. Valid while r lives. */
DBR_API const char *dbr_result_alias(const dbr_result *r);

/* --------------------------------------------------------------- streams */

/* A stream yields a statement's rows one at a time, holding at most one row
 * (or one chunk of the driver's) in memory: for results too big to buffer.
 * It is routed exactly as dbr_exec routes (routers, pins, the session's
 * open transaction on the target joined) and holds its connection until
 * dbr_stream_close: while it is open that connection runs nothing else.
 * Drivers without the streaming ops (ABI 1.1 query_open…) are served by
 * dbr_exec's buffered result, iterated: correct, but not bounded. A stream
 * belongs to its session: use both from one thread at a time, close the
 * stream before ending the transaction it joined and before closing the
 * session. A read that fails to connect is not retried on another member
 * (dbr_exec retries). A stream counts as one statement in the metrics. */

/* Routes and starts `q` (read during the call only) on the session. On
 * success *out is the stream, positioned before its first row; the caller
 * owns it and must dbr_stream_close it. Errors as dbr_exec (the session's
 * error is set too); *out is untouched on failure. */
DBR_API int dbr_stream_open(dbr_stream **out, dbr_session *s, const dbr_query *q);
/* Moves to the next row: 1 a row is current, 0 the end (no row current),
 * or an error as dbr_exec (DBR_ESQL, DBR_ECONNECT…) with its message, e.g.
 * a division by zero on a later row; after the end or an error every
 * further call returns the same. The previous row's values are freed. */
DBR_API int dbr_stream_next(dbr_stream *st);
/* Ends the stream, at any point: unread rows are discarded, the connection
 * is reset and goes back to the pool (closed if the driver reported it
 * lost, or cannot discard the rest), or stays with its transaction. A
 * write streamed to its end pins the session as dbr_exec does. NULL is a
 * no-op. */
DBR_API void dbr_stream_close(dbr_stream *st);
/* The current row, as the dbr_result getters of the same names (same
 * conversions and errors; DBR_ERANGE when no row is current). Columns are
 * known from dbr_stream_open on. Pointers stay valid until the next
 * dbr_stream_next or dbr_stream_close. */
DBR_API size_t dbr_stream_ncols(const dbr_stream *st);
DBR_API const char *dbr_stream_colname(const dbr_stream *st, size_t col);
DBR_API dbr_type dbr_stream_type(const dbr_stream *st, size_t col);
DBR_API int dbr_stream_isnull(const dbr_stream *st, size_t col);
DBR_API int dbr_stream_int64(int64_t *out, const dbr_stream *st, size_t col);
DBR_API int dbr_stream_double(double *out, const dbr_stream *st, size_t col);
DBR_API int dbr_stream_text(const char **out, size_t *len, const dbr_stream *st, size_t col);
DBR_API int dbr_stream_blob(const void **out, size_t *len, const dbr_stream *st, size_t col);
/* Alias of the database serving the stream. Valid while st lives. */
DBR_API const char *dbr_stream_alias(const dbr_stream *st);
/* Rows read so far (after the end: the result's row count), and the rows a
 * streamed write changed (known at the end). */
DBR_API uint64_t dbr_stream_rows(const dbr_stream *st);
DBR_API int64_t dbr_stream_affected(const dbr_stream *st);

/* ----------------------------------------------------------------- trace */

/* Stage of a trace step. */
typedef enum dbr_stage {
	DBR_STAGE_TARGET = 1, /* stage 1: which database (cluster) */
	DBR_STAGE_MEMBER = 2  /* stage 2: which member of the cluster */
} dbr_stage;

/* One step of a trace: who decided what, and why. Strings valid while the
 * trace lives; `alias` and `note` may be "". */
typedef struct dbr_trace_step {
	dbr_stage stage;
	const char *who;    /* "using", "transaction", a router's name, "default", "core" */
	const char *action; /* "chose", "passed", "dropped", "picked", "kept" … */
	const char *alias;
	const char *note;
} dbr_trace_step;

/* The trace functions are "per trace"; a trace may outlive its session. */
DBR_API void dbr_trace_free(dbr_trace *t);
/* The alias the statement goes to. Never NULL. */
DBR_API const char *dbr_trace_alias(const dbr_trace *t);
/* The stage-1 target (the cluster's primary). Never NULL. */
DBR_API const char *dbr_trace_target(const dbr_trace *t);
/* The intent after classification (READ or WRITE). */
DBR_API dbr_intent dbr_trace_intent(const dbr_trace *t);
DBR_API size_t dbr_trace_count(const dbr_trace *t);
/* Step i, or NULL when out of range. */
DBR_API const dbr_trace_step *dbr_trace_get(const dbr_trace *t, size_t i);
/* The whole trace as human-readable text, one step a line. Valid while t lives. */
DBR_API const char *dbr_trace_text(dbr_trace *t);

/* --------------------------------------------------------- introspection */

/* Pool figures of one alias. */
typedef struct dbr_pool_stats {
	size_t size;    /* connections open */
	size_t idle;    /* open and idle */
	size_t in_use;  /* handed out */
	size_t max;     /* max_connections */
	uint64_t acquires;
	uint64_t connect_errors;
	size_t waiting;         /* callers waiting for a connection now */
	uint64_t timeouts;      /* acquires that ran out of acquire_timeout */
	uint64_t wait_us_total; /* time spent waiting in acquires, summed */
	uint64_t wait_us_max;   /* the longest single wait */
} dbr_pool_stats;

/* Pool figures of `alias` into *out. Errors: DBR_ENOTFOUND. Thread-safe. */
DBR_API int dbr_pool_stats_get(dbr_pool_stats *out, dbr *db, const char *alias);

/* 1 if `alias` has a connection open, 0 if not; DBR_ENOTFOUND. Does no I/O.
 * Thread-safe. */
DBR_API int dbr_is_connected(dbr *db, const char *alias);

/* Removes the database `alias` while other threads run: new statements,
 * transactions and raw connections on it fail with DBR_ENOTFOUND at once;
 * statements in flight finish, transactions already open on it run to
 * their commit or rollback and raw connections to their release; then its
 * connections close. This call returns when drained (so it must not be
 * called by a thread that itself holds a transaction or dbr_conn on
 * `alias`). "default" and a primary that still has replicas cannot be
 * removed. Errors: DBR_ENOTFOUND, DBR_EINVAL. Thread-safe. */
DBR_API int dbr_remove_database(dbr *db, const char *alias);

/* Raw access to one named connection of a session. */
typedef struct dbr_conn dbr_conn;

/* A connection to `alias` for raw SQL: inside a transaction of the session
 * on that alias it is the transaction's connection (statements join it),
 * else one from the pool, held until dbr_conn_release (or the session's
 * end). Owned by the caller. Per session: used by the session's thread.
 * Errors: DBR_ENOTFOUND, DBR_ETIMEOUT, DBR_ECONNECT. */
DBR_API int dbr_conn_get(dbr_conn **out, dbr_session *s, const char *alias);
/* Runs one statement on the connection (no routing); a write pins like a
 * routed one (at commit inside a transaction). Errors as dbr_exec, and
 * DBR_ESTATE once the transaction it joined ended or its session did.
 * Per session. */
DBR_API int dbr_conn_exec(dbr_result **out, dbr_conn *c, const char *sql,
                          const dbr_value *params, size_t nparams);
/* Gives the connection back (to the pool, or leaves it to its transaction)
 * and frees the handle. NULL is a no-op. Per session. */
DBR_API void dbr_conn_release(dbr_conn *c);

/* What `status` shows of one alias. URLs are masked. Every string is a
 * copy owned by the list it comes from: valid until dbr_alias_list_free,
 * even if the alias is removed meanwhile. */
typedef struct dbr_alias_info {
	const char *alias;
	const char *backend;    /* "sqlite", "postgres", "mysql" or a third party's */
	const char *url;        /* masked */
	const char *replica_of; /* primary's alias, or NULL for a primary */
	int weight;
	int connected;          /* 1 if a connection is open */
	dbr_pool_stats pool;
} dbr_alias_info;

typedef struct dbr_alias_list dbr_alias_list;

/* A snapshot of every alias, in configuration order. Owned by the caller
 * (dbr_alias_list_free). Thread-safe. Errors: DBR_ENOMEM. */
DBR_API int dbr_alias_list_get(dbr_alias_list **out, dbr *db);
DBR_API size_t dbr_alias_list_count(const dbr_alias_list *l);
DBR_API const dbr_alias_info *dbr_alias_list_at(const dbr_alias_list *l, size_t i);
DBR_API void dbr_alias_list_free(dbr_alias_list *l);

/* What the cluster monitor knows of one alias (replication awareness,
 * docs/design.md "The monitor"). Set struct_size to sizeof before the call:
 * members may be appended, a caller built against an older header gets the
 * members its size covers. Roles use the values of dbr_role (driver.h):
 * 0 unknown, 1 primary, 2 replica. */
typedef struct dbr_member_state {
	size_t struct_size;
	int monitored;          /* the monitor watches this alias */
	int role;               /* as last seen by a probe; 0 unknown */
	int read_only;          /* the server refuses writes (in recovery, read_only) */
	int healthy;            /* 0 while banned */
	int lagging;            /* excluded from reads for lag */
	int64_t banned_for_us;  /* time left of the ban, 0 if none */
	int64_t lag_us;         /* replication lag, -1 unknown */
	int64_t lag_bytes;      /* -1 unknown */
	int64_t probed_us_ago;  /* age of the last probe, -1 never probed */
	char position[256];     /* replication position text, "" if none */
	char ban_reason[256];   /* why it was banned last ("" if never): no password */
	uint64_t bans;          /* times banned */
	uint64_t retries;       /* reads that failed here and were retried elsewhere */
	uint64_t connect_attempts; /* connects tried: pool and monitor */
} dbr_member_state;

/* The monitor's facts about entry i of the snapshot l (taken with it by
 * dbr_alias_list_get) into *out, whose struct_size the caller sets.
 * Thread-safe (read-only). Errors: DBR_EINVAL (NULL, a struct_size of 0,
 * i out of range). */
DBR_API int dbr_alias_list_state(dbr_member_state *out, const dbr_alias_list *l, size_t i);

/* ---------------------------------------------------------------- metrics */

/* Counters of what the library did, always on: relaxed atomic increments
 * beside the objects they count (no lock on the statement path). They
 * start at 0 when a database or router is built and go away with it: a
 * removed alias leaves the snapshot, a router rebuilt by dbr_set_routers
 * starts again from 0 (dbr_add_router keeps the routers it keeps, with
 * their counts). A snapshot is not one instant: each counter is read
 * once, while statements run. */

/* Error classes of dbr_metrics_alias.errors, by the statement's code. */
typedef enum dbr_metrics_error {
	DBR_METRICS_ERR_SQL = 0,  /* DBR_ESQL: the database refused the statement */
	DBR_METRICS_ERR_CONNECT,  /* DBR_ECONNECT */
	DBR_METRICS_ERR_TIMEOUT,  /* DBR_ETIMEOUT (pool acquire, transaction_timeout) */
	DBR_METRICS_ERR_PARAM,    /* DBR_EPARAM: parameter count */
	DBR_METRICS_ERR_OTHER,    /* anything else */
	DBR_METRICS_NERR
} dbr_metrics_error;

/* The latency histogram's buckets: bucket i (0 <= i < 20) holds statements
 * that took at most 16 µs * 2^i (16 µs, 32 µs … 8.388608 s) and more than
 * the bound before; bucket 20 (the last, "+Inf") everything longer. */
#define DBR_METRICS_NBUCKETS 21

/* One database (alias; replicas included). Counts are per statement that
 * dbr_exec or dbr_apply ran on this alias (routed or by `using`, in a
 * transaction or not; statements of raw connections, dbr_conn_exec, are
 * not counted); a statement that fails routing has no alias and is not
 * counted. Latency is measured from taking the connection to giving it
 * back (a pool wait included). */
typedef struct dbr_metrics_alias {
	size_t struct_size;       /* sizeof as this library built it: members may be appended */
	const char *alias;
	const char *replica_of;   /* the primary's alias, or NULL */
	uint64_t reads, writes;   /* statements by (settled) intent */
	uint64_t errors[DBR_METRICS_NERR]; /* failed statements by class */
	uint64_t rows;            /* rows returned */
	uint64_t affected_rows;   /* rows changed by writes, as the driver reports them */
	uint64_t latency_buckets[DBR_METRICS_NBUCKETS]; /* per bucket, not cumulative */
	uint64_t latency_count;   /* = reads + writes (read once more: may run ahead) */
	uint64_t latency_sum_ns;  /* total time of the statements */
	uint64_t retries;         /* reads that failed here and were retried elsewhere */
	uint64_t bans;            /* times the monitor banned it */
	uint64_t pool_waits;      /* acquires that had to queue for a connection */
	uint64_t pool_wait_us;    /* time spent queued, summed */
	uint64_t connects;        /* connections opened */
	uint64_t connect_failures;/* connects that failed */
} dbr_metrics_alias;

/* One router of the chain, by its entry's name. */
typedef struct dbr_metrics_router {
	size_t struct_size;
	const char *name;
	uint64_t answers;    /* db_for_read/db_for_write named an alias */
	uint64_t picks;      /* select picked a member */
	uint64_t exclusions; /* members its select newly excluded */
} dbr_metrics_router;

typedef struct dbr_metrics dbr_metrics;

/* A snapshot of every alias (configuration order) and every router of the
 * current chain (chain order) into *out, owned by the caller
 * (dbr_metrics_free); its strings are copies, valid until then even if the
 * alias or router goes away. Routing done by dbr_explain is not counted.
 * Errors: DBR_EINVAL, DBR_ENOMEM. Thread-safe. */
DBR_API int dbr_metrics_get(dbr_metrics **out, dbr *db);
/* Sizes and entries of a snapshot (NULL when i is out of range); the
 * entries live as long as the snapshot. Thread-safe (read-only). */
DBR_API size_t dbr_metrics_alias_count(const dbr_metrics *m);
DBR_API const dbr_metrics_alias *dbr_metrics_alias_at(const dbr_metrics *m, size_t i);
DBR_API size_t dbr_metrics_router_count(const dbr_metrics *m);
DBR_API const dbr_metrics_router *dbr_metrics_router_at(const dbr_metrics *m, size_t i);
/* The upper bound of latency bucket i in seconds (INFINITY for the last;
 * NAN out of range). Thread-safe (pure function). */
DBR_API double dbr_metrics_bucket_le(size_t i);
/* Frees a snapshot; NULL is a no-op. Per snapshot. */
DBR_API void dbr_metrics_free(dbr_metrics *m);

typedef enum dbr_metrics_format {
	DBR_METRICS_PROMETHEUS = 0, /* the Prometheus text exposition format 0.0.4 */
	DBR_METRICS_JSON = 1        /* one JSON object (see the README's Metrics) */
} dbr_metrics_format;

/* Takes a snapshot and writes it to `f` (the caller's; not closed) in `fmt`.
 * Prometheus: dbrouter_* counters labelled alias="…" (and intent, class) or
 * router="…", a dbrouter_statement_duration_seconds histogram; label values
 * escaped (\\, \", \n). Errors: DBR_EINVAL, DBR_ENOMEM, DBR_ERROR (a write
 * to f failed). Thread-safe (writes to f are the caller's to serialise). */
DBR_API int dbr_metrics_write(dbr *db, FILE *f, dbr_metrics_format fmt);

/* Backend name of `alias` ("sqlite" …) in *out, static storage.
 * Errors: DBR_ENOTFOUND. Thread-safe. */
DBR_API int dbr_backend(const char **out, dbr *db, const char *alias);

/* Connects `alias` now if it is not connected (a ping through the pool).
 * Errors: DBR_ENOTFOUND, DBR_ECONNECT (names the alias, never the password).
 * Thread-safe. */
DBR_API int dbr_connect(dbr *db, const char *alias);

/* The server's version text of `alias` ("PostgreSQL 15.18", "SQLite
 * 3.40.1" …) into buf, NUL-terminated; takes a connection from the pool.
 * Errors: DBR_ENOTFOUND, DBR_ECONNECT, DBR_ENOTSUP (the driver cannot
 * tell), DBR_ERANGE (buf too small). Thread-safe. */
DBR_API int dbr_server_version(char *buf, size_t size, dbr *db, const char *alias);

/* One loaded plugin, for `check`. */
typedef struct dbr_plugin_info {
	const char *kind;    /* "driver" or "router" */
	const char *name;
	const char *version;
	const char *description;
	int abi_major, abi_minor;
	const char *path;    /* the file loaded */
} dbr_plugin_info;

/* Number of loaded plugins, and plugin i (NULL when out of range). Strings
 * live as long as db. Thread-safe. */
DBR_API size_t dbr_plugin_count(dbr *db);
DBR_API const dbr_plugin_info *dbr_plugin_at(dbr *db, size_t i);

/* Masks the password of `url` ("****") into a new string owned by the caller
 * (free()). Text that does not parse (a libpq key=value string, …) is masked
 * conservatively: everything from "//" (or the first ':') to the last '@'.
 * Always masked: every password-like value (password, pass, passwd, pwd,
 * sslpassword = …, quoted or not), wherever it is. NULL for NULL or on
 * ENOMEM. Thread-safe (pure function). */
DBR_API char *dbr_url_mask(const char *url);

#ifdef __cplusplus
}
#endif


#endif
