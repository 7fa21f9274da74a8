/* SPDX-License-Identifier: MIT */
/*
 * driver.h — the ABI of backend drivers (drivers/<name>/), and every rule a
 * driver author needs: nothing here requires reading the core.
 *
 * Loading. A driver module exports only dbr_driver_entry (DBR_DRIVER_ENTRY)
 * returning a descriptor of kind DBR_PLUGIN_DRIVER whose ops is a
 * dbr_driver_ops. Drivers stay resident once loaded (client libraries are
 * unsafe to unload). A database finds its driver by `driver = "name|path"`,
 * else by its URL's scheme: the built-in schemes map to their modules
 * (sqlite; postgres, postgresql → postgres; mysql, mariadb → mariadb), any
 * other scheme loads the module named after it (`memkv://…` → memkv), which
 * must list that scheme in `schemes` (ABI 1.1).
 *
 * Calls. The core clears the thread's error before each op. An op that
 * fails returns a negative DBR_E* code after calling host->error() with a
 * message (never containing a password) and the backend's SQLSTATE where it
 * has one. A failure without a message gets one naming the driver and the
 * op; a positive return is treated as DBR_ERROR. check() errors are
 * prefixed with the database's FILE:LINE and alias by the core.
 *
 * Threads: a connection is used by one thread at a time (the pool
 * guarantees it) but not always by the same thread; different connections
 * are used concurrently, so a driver keeps no unguarded global state.
 * check() may run concurrently with other connections' ops.
 *
 * Statements. exec() gets one statement with `?` placeholders (translate
 * them if the backend wants another style); script() gets text of several
 * statements without parameters (dbr_apply: DDL, migrations). The driver
 * never decides where a statement goes nor whether it reads or writes: the
 * core routes it before the call, from the intent the application gave or,
 * for DBR_INTENT_AUTO, from its own SQL classifier (dbr_classify: SELECT
 * without FOR UPDATE/SHARE/INTO, SHOW, EXPLAIN without ANALYZE, VALUES are
 * reads; anything else or anything unsure is a write). A statement that
 * writes can still arrive on a replica's connection only if the
 * application forced DBR_INTENT_READ or named the alias.
 *
 * Results go through the sink, never through driver memory: in exec(),
 * call host->sink_columns() once (also for a statement that returns no
 * rows but has columns; skip it for statements without a result set), then
 * host->sink_row() once per row with exactly ncols values, then
 * host->sink_affected() and, if the backend has one, host->sink_insert_id().
 * The host copies everything during the call. A row before the columns, a
 * NULL values array, an unknown value type or a TEXT/BLOB value whose
 * pointer is NULL with a length are refused (DBR_EPLUGIN): the statement
 * fails even if exec() then returns 0. Return the sink's error when a sink
 * call fails.
 *
 * Transactions. The core owns transaction state (one per alias and
 * session; nested begins are savepoints dbr_sp_1, dbr_sp_2 … numbered by
 * depth). It drives them through the optional transaction ops below when
 * the driver sets them; for each op left NULL it sends SQL text through
 * exec() (no parameters) instead, exactly:
 *   begin              "BEGIN"
 *   commit             "COMMIT"
 *   rollback           "ROLLBACK"
 *   savepoint(name)    "SAVEPOINT dbr_sp_N"
 *   release(name)      "RELEASE SAVEPOINT dbr_sp_N"
 *   rollback_to(name)  "ROLLBACK TO SAVEPOINT dbr_sp_N" (then release)
 * A rollback that fails makes the core close the connection (the server
 * then rolls back). The application may also send such statements itself
 * through exec(); the core does not parse them.
 *
 * Reset. When a connection goes back to the pool the core calls reset() if
 * set: roll back a transaction left open (check, do not guess), reset
 * session state; a nonzero return closes the connection (its message, if
 * any, is not shown: the caller's own error is kept). Without reset, a
 * connection goes back as it is.
 *
 * Replication (ABI 1.1, all optional). The core's monitor probes every
 * member of a cluster on a connection of its own with repl_info(): role,
 * read-only state, lag and position. Positions are the backend's own text
 * (an LSN, a GTID list); the core never parses them, it orders them with
 * position_cmp(), which refuses (DBR_ERANGE) positions that cannot be
 * compared, e.g. taken before a failover. write_position() gives the
 * position of a connection's last committed write (causal reads);
 * wait_position() blocks, bounded, on a replica until it has reached one.
 * Hung servers: every op must return within the connection's configured
 * bounds (connect_timeout, statement deadline) even when the server stops
 * answering: block on a deadline, never forever.
 */
#ifndef DBROUTER_DRIVER_H
#define DBROUTER_DRIVER_H

#include <dbrouter/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A parsed connection URL as the driver sees it. Strings are owned by the
 * host and valid during the call; absent parts are NULL (port: 0). */
typedef struct dbr_url_view {
	size_t struct_size;
	const char *alias;    /* the database's alias (for messages) */
	const char *uid;      /* unique in this process for this alias of this dbr:
	                         e.g. to name a shared in-memory database */
	const char *raw;      /* the URL as configured: contains the password */
	const char *masked;   /* the URL with the password as **** */
	const char *scheme;   /* "sqlite", "postgresql", "mysql" … (lower case) */
	const char *user;     /* percent-decoded */
	const char *password; /* percent-decoded; never log it */
	const char *host;     /* percent-decoded; may be a socket directory */
	int port;
	const char *path;     /* after the authority, decoded: a file for SQLite
	                         (":memory:" for memory), a database name otherwise */
	size_t noptions;      /* URL query parameters, then the `options` group */
	const char *const *keys;
	const char *const *values;
} dbr_url_view;

/* dbr_driver_ops.flags. Unknown bits are ignored. */
/* The backend has no last-insert-id (e.g. PostgreSQL: use RETURNING):
 * dbr_result_last_insert_id answers DBR_ENOTSUP instead of "no row". */
#define DBR_DRIVER_NO_INSERT_ID 0x1u
/* The pool never closes the last open connection when it retires idle or
 * old ones: it holds the data (e.g. a shared in-memory SQLite database, or
 * a database that lives in the driver's memory). */
#define DBR_DRIVER_KEEP_ONE 0x2u
/* ABI 1.1: the database lives in the client process (a file, memory):
 * there is no server to watch, so the monitor never probes it and a
 * failure never bans it (its "replicas" are other handles on the same
 * data, not servers that can lag or die on their own). */
#define DBR_DRIVER_EMBEDDED 0x4u

/* What a member is in its cluster (dbr_repl_info, dbr_member.role). */
typedef enum dbr_role {
	DBR_ROLE_UNKNOWN = 0,
	DBR_ROLE_PRIMARY = 1,  /* takes writes */
	DBR_ROLE_REPLICA = 2   /* replays another server's writes */
} dbr_role;

/* Longest position text, NUL included. */
#define DBR_POSITION_MAX 256

/* A member's replication facts (repl_info, ABI 1.1). A driver fills only
 * what lies within struct_size. */
typedef struct dbr_repl_info {
	size_t struct_size;
	dbr_role role;
	int read_only;      /* refuses writes (in recovery, read_only = ON) */
	int64_t lag_us;     /* replay delay; 0 when caught up, -1 unknown */
	int64_t lag_bytes;  /* bytes received but not replayed, -1 unknown */
	char position[DBR_POSITION_MAX]; /* replayed (replica) or written
	                                  * (primary) position, "" if none */
} dbr_repl_info;

typedef struct dbr_driver_ops {
	size_t struct_size;
	/* The backend's name shown by status: "sqlite", "postgres", "mysql". */
	const char *backend;
	/* DBR_DRIVER_* flags. */
	unsigned int flags;

	/* Mandatory. Validates the URL and options without connecting (called
	 * when the configuration is checked, before anything opens). An unknown
	 * option is an error. Returns 0 or DBR_ECONFIG (host->error with a
	 * message naming the option). */
	int (*check)(const dbr_url_view *url);

	/* Mandatory. Opens a connection into *conn. Errors: DBR_ECONNECT. */
	int (*connect)(void **conn, const dbr_url_view *url);

	/* Mandatory. Closes and frees a connection. */
	void (*close)(void *conn);

	/* Mandatory. 0 if the connection is usable, else DBR_ECONNECT. */
	int (*ping)(void *conn);

	/* Mandatory. Runs one statement with `?` placeholders and nparams
	 * values; feeds columns, rows and counts to `sink` through the host.
	 * Errors: DBR_ESQL (with SQLSTATE), DBR_EPARAM (count mismatch),
	 * DBR_ECONNECT (connection lost), DBR_ENOMEM. */
	int (*exec)(void *conn, const char *sql, const dbr_value *params,
	            size_t nparams, dbr_sink *sink);

	/* Mandatory. Runs a script of several statements without parameters
	 * (DDL, migrations). Errors as exec. */
	int (*script)(void *conn, const char *sql);

	/* Optional. Called when the pool takes a connection back: roll back a
	 * transaction left open (checked, not guessed), reset session state.
	 * Nonzero means "close this connection". */
	int (*reset)(void *conn);

	/* Optional. The server's version text into buf (NUL-terminated). */
	int (*server_version)(char *buf, size_t size, void *conn);

	/* ABI 1.1 */
	/* Optional transaction control (see "Transactions" above): each op
	 * left NULL is replaced by its SQL text through exec(). `name` is the
	 * savepoint's name, "dbr_sp_N". Errors as exec. */
	int (*begin)(void *conn);
	int (*commit)(void *conn);
	int (*rollback)(void *conn);
	int (*savepoint)(void *conn, const char *name);
	int (*release)(void *conn, const char *name);
	int (*rollback_to)(void *conn, const char *name);
	/* The URL schemes this driver serves, lower case, NULL-terminated (or
	 * NULL). A URL whose scheme is not built in loads the module named
	 * after the scheme and is refused unless that module lists it. */
	const char *const *schemes;
	/* ABI 1.1: replication (see "Replication" above) */
	/* Optional. The member's replication facts into *out (zero-filled by
	 * the host, struct_size set). Runs on the monitor's own connection,
	 * never a pooled one, and must be bounded by the connection's timeouts.
	 * Without it the member counts as a primary with no position. */
	int (*repl_info)(dbr_repl_info *out, void *conn);
	/* Optional. The position that makes every write this connection has
	 * committed visible to a replica that reached it, into buf
	 * (NUL-terminated, at most DBR_POSITION_MAX bytes); "" if unknown.
	 * Called right after a write commits (autocommit or COMMIT). */
	int (*write_position)(char *buf, size_t size, void *conn);
	/* Optional. Waits on this replica connection until it has replayed
	 * `position`, at most timeout_ms. 0: reached; DBR_ETIMEOUT: not in
	 * time; DBR_ERANGE: the position cannot be compared here. */
	int (*wait_position)(void *conn, const char *position, int timeout_ms);
	/* Optional. Orders two positions of this backend: *out < 0 when a is
	 * behind b, 0 when equal, > 0 when ahead. DBR_ERANGE (no message
	 * needed) when they cannot be compared: another timeline, server
	 * lineage or GTID domain set, or text not a position. Pure: no
	 * connection, thread-safe. */
	int (*position_cmp)(int *out, const char *a, const char *b);
	/* ABI 1.1: read-only transactions */
	/* Optional. Begins a read-only transaction (dbr_tx_begin_read): a
	 * write inside it must fail with the backend's error. NULL: the core
	 * sends its dialect's text through exec(): BEGIN ISOLATION LEVEL
	 * REPEATABLE READ READ ONLY on PostgreSQL, START TRANSACTION READ
	 * ONLY, WITH CONSISTENT SNAPSHOT on MariaDB/MySQL, START TRANSACTION
	 * READ ONLY on others (one snapshot for the whole transaction). The
	 * transaction ends with commit/rollback as any other. Errors as exec. */
	int (*begin_read)(void *conn);
	/* ABI 1.1: streaming */
	/* Optional, all three or none (dbr_stream_open). query_open runs one
	 * statement as exec() does but yields its rows one at a time: it
	 * calls host->sink_columns() (as exec, when the statement has
	 * columns) and returns 0 with its cursor in *cur, or an error as exec
	 * (then there is no cursor and the connection is usable). Parameters
	 * are read during the call only. query_next feeds the next row to
	 * `sink` with one host->sink_row() and returns 1; at the end it
	 * reports host->sink_affected() as exec and returns 0; an error (as
	 * exec, DBR_ECONNECT for a lost connection) ends the cursor. The
	 * driver holds at most a bounded number of rows (one, or one chunk)
	 * at a time. query_close discards what the statement has not yet
	 * returned and frees the cursor (after an end or an error too);
	 * nonzero means "close this connection" (it could not be made
	 * usable again). While a cursor is open its connection runs nothing
	 * else. Each wait is bounded as exec's round trips are. */
	int (*query_open)(void **cur, void *conn, const char *sql, const dbr_value *params,
	                  size_t nparams, dbr_sink *sink);
	int (*query_next)(void *cur, dbr_sink *sink);
	int (*query_close)(void *cur);
} dbr_driver_ops;

#ifdef __cplusplus
}
#endif

#endif
