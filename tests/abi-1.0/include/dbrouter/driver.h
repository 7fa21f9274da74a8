/*
 * driver.h — the ABI of backend drivers (drivers/<name>/).
 *
 * A driver module exports only dbr_driver_entry (DBR_DRIVER_ENTRY) returning
 * a descriptor of kind DBR_PLUGIN_DRIVER whose ops is a dbr_driver_ops.
 * Drivers stay resident once loaded (client libraries are unsafe to unload).
 *
 * Threads: a connection is used by one thread at a time (the pool guarantees
 * it); different connections are used concurrently, so a driver keeps no
 * unguarded global state.
 *
 * Errors: an op that fails returns a negative DBR_E* code after calling
 * host->error() with a message (never containing a password) and the
 * backend's SQLSTATE where it has one.
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

/* The backend has no last-insert-id (e.g. PostgreSQL: use RETURNING). */
#define DBR_DRIVER_NO_INSERT_ID 0x1u
/* The pool never closes the last open connection when it retires idle or
 * old ones: it holds the data (e.g. a shared in-memory SQLite database). */
#define DBR_DRIVER_KEEP_ONE 0x2u

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
} dbr_driver_ops;

#ifdef __cplusplus
}
#endif

#endif
