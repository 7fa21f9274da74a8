/* SPDX-License-Identifier: MIT */
/*
 * internal.h — what the core's modules share. Nothing here is public: every
 * symbol is dbr__* (double underscore) and hidden by -fvisibility=hidden.
 */
#ifndef DBR_CORE_INTERNAL_H
#define DBR_CORE_INTERNAL_H

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <dbrouter/dbrouter.h>
#include <dbrouter/driver.h>
#include <dbrouter/plugin.h>
#include <dbrouter/router.h>

#define DBR__HIDDEN __attribute__((visibility("hidden")))

/* ------------------------------------------------------------ error.c */

/* Sets the calling thread's last error (message formatted, sqlstate may be
 * NULL) and returns `code`. */
int dbr__err(int code, const char *sqlstate, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int dbr__verr(int code, const char *sqlstate, const char *fmt, va_list ap);
/* Prefixes the current thread error message with "prefix: " (keeps code and
 * sqlstate); returns the code. */
int dbr__err_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void dbr__err_clear(void);
/* Scrubs the current thread error message of v's secrets (scrub.c). */
void dbr__err_scrub(const dbr_url_view *v);

/* ------------------------------------------------------------ util.c */

char *dbr__strdup(const char *s);           /* NULL for NULL */
char *dbr__strndup(const char *s, size_t n);
char *dbr__asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growable string. */
typedef struct dbr__buf {
	char *s;
	size_t len, cap;
	int oom;
} dbr__buf;
void dbr__buf_add(dbr__buf *b, const char *s, size_t n);
void dbr__buf_printf(dbr__buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void dbr__buf_free(dbr__buf *b);

/* ------------------------------------------------------------ sha256.c */

void dbr__sha256(unsigned char out[32], const void *data, size_t n);
void dbr__hmac_sha256(unsigned char out[32], const void *key, size_t keylen,
                      const void *data, size_t n);

/* ------------------------------------------------------------ url.c */

/* A parsed connection URL. All strings are owned by the struct. */
typedef struct dbr__url {
	char *raw;       /* as given */
	char *masked;    /* password (and password-like query values) as **** */
	char *scheme;    /* lower case */
	char *user, *password, *host; /* decoded, NULL if absent */
	int port;        /* 0 if absent */
	char *path;      /* decoded; see dbr_url_view.path */
	size_t nparams;
	char **keys, **values; /* query parameters, decoded */
} dbr__url;

/* Parses `text`. On failure returns DBR_EINVAL with a message that quotes
 * the URL masked and says what is wrong, and leaves *out cleared. */
int dbr__url_parse(dbr__url *out, const char *text);
void dbr__url_clear(dbr__url *u);
/* Driver module for a scheme: "sqlite", "postgres", "mariadb", or NULL if
 * the scheme is not a built-in one. */
const char *dbr__url_driver(const char *scheme);
/* The driver module a URL of `scheme` loads when no `driver` is set: the
 * built-in one (*builtin = 1), else the module named after the scheme
 * (which must then list it in its ops' schemes), else NULL (a scheme with
 * '+' or '.' names no module). */
const char *dbr__url_driver_module(const char *scheme, int *builtin);
/* 1 if the NULL-terminated `schemes` (may be NULL) lists `scheme`. */
int dbr__url_scheme_listed(const char *const *schemes, const char *scheme);
/* The parts of `text` that dbr_url_mask hides, as [from, to) byte offsets
 * into out (at most max); returns how many. */
size_t dbr__url_secret_spans(size_t (*out)[2], size_t max, const char *text);
/* 1 if a URL query or option key names a secret (password, pass, pwd...). */
int dbr__url_key_secret(const char *key);

/* ------------------------------------------------------------ scrub.c */

/* Sets the database whose secrets the calling thread's driver messages
 * must not show (NULL: none) and returns the previous one: the core sets
 * it around every driver call made for a database. */
const dbr_url_view *dbr__secret_scope(const dbr_url_view *v);
const dbr_url_view *dbr__secret_scope_get(void);
/* Replaces in msg (a buffer of cap bytes) every form of v's secrets (the
 * password and password-like options: decoded, as written in the URL,
 * percent-encoded) with "****". */
void dbr__scrub_secrets(char *msg, size_t cap, const dbr_url_view *v);

/* ----------------------------------------------------------- conf*.c */

typedef struct dbr__pool_conf {
	int max_connections;    /* default 10 */
	int min_connections;    /* default 0 */
	double acquire_timeout; /* seconds, default 30 */
	double idle_timeout;    /* seconds, default 600; 0 = never */
	double max_lifetime;    /* seconds, default 1800; 0 = never */
	double test_before_acquire; /* seconds idle before a ping; default 60; <0 never */
	double transaction_timeout; /* seconds, 0 = none (default) */
} dbr__pool_conf;

void dbr__pool_conf_defaults(dbr__pool_conf *pc);

/* monitor = { ... } (core/monitor.c): at the top level (defaults of every
 * cluster) or in a primary's entry (its cluster's own). */
typedef struct dbr__monconf {
	double interval;       /* seconds between probes of a member, default 1 */
	double timeout;        /* bound of one probe (connect and round trip), default 1 */
	int recover_after;     /* good probes that re-admit a banned member, default 2 */
	double max_lag;        /* seconds, 0 = off */
	int64_t max_lag_bytes; /* 0 = off */
	int lag_breaches;      /* probes over a max_lag* before exclusion, default 2 */
	int fallback;          /* DBR__FALLBACK_*: every replica out */
	double backoff_max;    /* seconds: the longest wait between connects to a banned member */
	unsigned set;          /* bit i: the i-th key of the schema was written */
} dbr__monconf;
enum { DBR__FALLBACK_PRIMARY, DBR__FALLBACK_ERROR };
void dbr__monconf_defaults(dbr__monconf *m);
/* The keys written in `over` (over->set) replace those of `base`. */
void dbr__monconf_overlay(dbr__monconf *base, const dbr__monconf *over);

/* One database entry. Strings owned. */
typedef struct dbr__dbconf {
	char *alias;
	dbr__url url;
	char *replica_of;     /* NULL for a primary */
	int weight;           /* default 1 */
	char *driver;         /* module name or path; default from the scheme */
	int driver_from_scheme; /* driver named after a scheme that is not built
	                           in: the module must declare the scheme */
	dbr__pool_conf pool;
	size_t noptions;      /* the `options` group, values as text */
	char **okeys, **ovalues;
	char *where;          /* "file:line" of the entry, for messages */
	char *file_password;  /* read from password_file until moved to url.password */
	dbr__monconf monitor; /* its own monitor = { ... } (monitor.set 0: none) */
} dbr__dbconf;

/* One router entry. `node` is the libconfig setting of the entry (a
 * dbr_conf for the plugin), valid while the config lives. */
typedef struct dbr__rconf {
	char *name;           /* the router's name (module) */
	char *module;         /* `module = "path"` if given, else NULL */
	const dbr_conf *node;
	char *where;
} dbr__rconf;

typedef struct dbr__config dbr__config;
struct dbr__config {
	char *file;           /* path, or "<string>" */
	char *plugin_path;    /* NULL if absent */
	char *token_secret;   /* NULL if absent */
	char **write_functions; /* write_functions = [ ... ] (classify.c) */
	size_t nwrite_functions;
	int sql_hints;        /* sql_hints = true (tokenize.c: dbr: comments) */
	dbr__dbconf *dbs;
	size_t ndbs;
	dbr__rconf *routers;
	size_t nrouters;
	dbr__monconf monitor; /* monitor = { ... }: defaults of every cluster */
	int has_monitor;      /* the group is present: monitor every database */
	void *cfg;            /* the libconfig config_t, kept for router nodes */
	/* Aliases that exist beside dbs[] (a running dbr's databases, when a
	 * fragment is validated against it); may be NULL. Returns 0 and sets
	 * *replica_of, or DBR_ENOTFOUND. */
	int (*extra_alias)(void *ctx, const char *alias, const char **replica_of);
	void *extra_ctx;
};

/* Loads a whole deployment: parses, checks every key (unknown keys are
 * errors), cross-checks aliases (default exists, replica_of names an
 * existing primary). Errors: DBR_ECONFIG naming file, line, setting. */
int dbr__config_load_file(dbr__config **out, const char *path);
int dbr__config_load_string(dbr__config **out, const char *text);
/* Parses one database entry's settings text (dbr_add_database) into *out;
 * `alias` and `url` given. Errors: DBR_ECONFIG. */
int dbr__config_parse_database(dbr__dbconf *out, const char *alias,
                               const char *url, const char *settings);
/* Parses a router's settings text (dbr_add_router) into a config holding one
 * router entry. */
int dbr__config_parse_router(dbr__config **out, const char *name, const char *settings);
/* Parses a routers list, "( { name = ...; ... }, ... )", or "" / NULL for
 * none, into a config holding only routers (dbr_set_routers). */
int dbr__config_parse_routers(dbr__config **out, const char *text);
void dbr__config_free(dbr__config *c);
void dbr__dbconf_clear(dbr__dbconf *d);
/* After a plugin's create/check: DBR_ECONFIG naming the first setting
 * under `node` that nobody read (an unknown key), else 0. */
int dbr__conf_unread(const dbr_conf *node);
/* The config a node belongs to. */
dbr__config *dbr__conf_owner(const dbr_conf *node);

/* Host services over dbr_conf (host.c puts them in the table). */
int dbr__conf_string(const char **out, const dbr_conf *node, const char *key);
int dbr__conf_int(int64_t *out, const dbr_conf *node, const char *key);
int dbr__conf_double(double *out, const dbr_conf *node, const char *key);
int dbr__conf_bool(int *out, const dbr_conf *node, const char *key);
int dbr__conf_child(const dbr_conf **out, const dbr_conf *node, const char *key);
size_t dbr__conf_count(const dbr_conf *node);
const dbr_conf *dbr__conf_at(const dbr_conf *node, size_t i);
const char *dbr__conf_name(const dbr_conf *node);
int dbr__conf_verror(const dbr_conf *node, const char *fmt, va_list ap);
int dbr__conf_alias(const char **replica_of, const dbr_conf *node, const char *alias);
dbr_conf_type dbr__conf_type(const dbr_conf *node, const char *key);
int dbr__conf_verror_at(const dbr_conf *node, const char *key, const char *fmt, va_list ap);

/* ------------------------------------------------------------ loader.c */

typedef struct dbr__plugin {
	char *path;                 /* the file loaded */
	void *handle;               /* lt_dlhandle */
	const dbr_plugin_desc *desc;
	dbr_plugin_info info;       /* strings point into desc / path */
	int refs;
	/* The plugin's ops table normalised at load: min(struct_size, sizeof)
	 * bytes copied, the rest zero, struct_size the host's. Every call
	 * into the plugin goes through this copy, never desc->ops, so an op
	 * beyond the plugin's table is NULL. */
	union {
		dbr_driver_ops driver;
		dbr_router_ops router;
	} ops;
} dbr__plugin;

/* Finds and loads the plugin `name` (a bare name or a path) of `kind`.
 * Search: absolute/relative path as given if it contains '/'; each dir of
 * $DBROUTER_PLUGIN_PATH (':'-separated); each dir of `plugin_path` (may be
 * NULL); the installed pkglibdir. In each dir, "<dir>/<kind>s/<name>" then
 * "<dir>/<name>", with libltdl's extensions. The file is bound now
 * (an unresolved symbol fails here, naming it), then checked: version rule,
 * kind, descriptor and mandatory ops; its ops are copied into p->ops.
 * Drivers are made resident. The same file loaded twice
 * is the same dbr__plugin (refcounted).
 * Errors: DBR_EPLUGIN, message names the file (or every path tried), both
 * ABI versions where relevant, and what to do. Thread-safe. */
int dbr__plugin_load(dbr__plugin **out, dbr_plugin_kind kind, const char *name,
                     const char *plugin_path);
/* Drops a reference; unloads routers at zero (drivers stay resident). */
void dbr__plugin_release(dbr__plugin *p);

/* ------------------------------------------------------------ host.c */

extern const dbr_host dbr__host;
/* dbr__log / dbr__logm: core/log.h. */
#include "log.h"

/* The one way the core calls a plugin op that returns 0 or a DBR_E* code.
 * Before the call the thread's error is set aside and cleared; after it, a
 * positive return becomes DBR_ERROR and a failure that left no message gets
 * "KIND \"NAME\": OP failed without a message"; on success the error set
 * aside comes back (a plugin call never hides the core's pending error).
 * DBR__CALL_KEEP is for ops whose failure only decides something (reset):
 * the error set aside always comes back and the return is not mapped. */
#define DBR__CALL(kind, name, op, call) \
	(dbr__call_enter(), dbr__call_leave((call), (kind), (name), (op)))
#define DBR__CALL_KEEP(call) (dbr__call_enter(), dbr__call_keep(call))
#define DBR__DRIVER_CALL(name, ops, op, ...) \
	DBR__CALL("driver", (name), #op, (ops)->op(__VA_ARGS__))
void dbr__call_enter(void);
int dbr__call_leave(int rc, const char *kind, const char *name, const char *op);
int dbr__call_keep(int rc);
/* 1 if the thread's error message starts with the FILE: of `where`
 * ("FILE:LINE"), i.e. already points into the configuration. */
int dbr__err_located(const char *where);

/* ------------------------------------------------------------ result.c */

struct dbr_sink {
	dbr_result *r;
	const char *driver;  /* the driver's name, for messages */
	int rc;              /* the first sink error: the statement fails */
	char msg[512];       /* and its message */
};
int dbr__result_new(dbr_result **out, const char *alias);
int dbr__sink_columns(dbr_sink *sink, size_t ncols, const char *const *names);
int dbr__sink_row(dbr_sink *sink, const dbr_value *values);
void dbr__sink_affected(dbr_sink *sink, int64_t n);
void dbr__sink_insert_id(dbr_sink *sink, int64_t id);
/* Marks the result: last insert id is unsupported by the backend. */
void dbr__result_no_insert_id(dbr_result *r);
/* Frees the rows, keeps the columns and the row buffer (streams). */
void dbr__result_clear_rows(dbr_result *r);

/* ------------------------------------------------------------ pool.c */

typedef struct dbr__pool dbr__pool;

typedef struct dbr__conn {
	void *conn;          /* the driver's */
	int64_t created_us;  /* dbr_clock_now() at connect */
	int64_t used_us;     /* dbr_clock_now() at the last release */
	struct dbr__conn *next;
} dbr__conn;

/* `driver` (the driver's name, for messages) must outlive the pool. */
int dbr__pool_new(dbr__pool **out, const dbr_driver_ops *ops, const char *driver,
                  const dbr_url_view *url, const dbr__pool_conf *conf);
/* Hands out a connection (idle one, pinged if idle longer than
 * test_before_acquire; or a new one below max; else waits up to
 * acquire_timeout, first come first served). Errors: DBR_ETIMEOUT (the
 * message says "exhausted" or "unreachable"), DBR_ECONNECT (a connect of
 * this call failed: "unreachable", names the alias). Never leaks a slot. */
int dbr__pool_acquire(dbr__conn **out, dbr__pool *p);
/* Gives a connection back; `broken` closes it. */
void dbr__pool_release(dbr__pool *p, dbr__conn *c, int broken);
/* The database owning the pool (health.c's gate and connect views); set
 * once before the database is published. */
void dbr__pool_set_owner(dbr__pool *p, void *owner);
/* Closes every idle connection (the server was found dead: they are too). */
void dbr__pool_drop_idle(dbr__pool *p);
/* health.c, for the pool: 0 to go on with a connect, else DBR_ECONNECT
 * with the message (a banned member between its backoff trials). */
int dbr__health_gate_owner(void *owner);
/* A connect of the pool ended (rc 0 or its error). */
void dbr__health_connected_owner(void *owner, int rc);
/* The view a pool connect uses: url, with connect_timeout bounded by
 * `left_us` (the acquire's remaining time) appended when the driver takes
 * it. keys/values have room for url->noptions + 1 entries; num a buffer. */
const dbr_url_view *dbr__health_connect_view(dbr_url_view *tmp, const char **keys,
                                             const char **values, char *num, size_t numsz,
                                             void *owner, const dbr_url_view *url,
                                             int64_t left_us);
void dbr__pool_stats(dbr_pool_stats *out, dbr__pool *p);
/* Metrics beyond dbr_pool_stats: acquires that queued, connections opened. */
void dbr__pool_counts(uint64_t *waits, uint64_t *connects, dbr__pool *p);
/* One maintenance pass: closes idle connections past idle_timeout (down to
 * min_connections) or max_lifetime, then opens what min_connections lacks.
 * The pool's own thread calls it periodically (started by dbr__pool_new
 * when min_connections, idle_timeout or max_lifetime is set; joined by
 * dbr__pool_free). Does its I/O outside the lock; safe from any thread. */
void dbr__pool_maintain(dbr__pool *p);
/* Stops the maintenance thread, closes the idle connections, frees. Every
 * connection must have been released and every lease ended. */
void dbr__pool_free(dbr__pool *p);

/* A transaction's hold on a pool connection. With transaction_timeout set
 * the pool's maintenance thread rolls back (driver reset, or close) and
 * takes back the connection of a lease past its deadline, unless its owner
 * is in a call on it. The handoff is one atomic state: ACTIVE (between the
 * owner's calls: the reaper may take it), IN_CALL (claimed by the owner:
 * the reaper leaves it), EXPIRED (reaped: the connection is no longer the
 * owner's). Owner and reaper move it only by compare-and-swap from ACTIVE,
 * so exactly one of them wins. The owner (one thread at a time) creates,
 * claims, unclaims and ends the lease; the reaper never frees it. */
typedef struct dbr__lease dbr__lease;
/* A lease on `c` (acquired from `p`), deadline now + transaction_timeout.
 * Errors: DBR_ENOMEM. */
int dbr__lease_new(dbr__lease **out, dbr__pool *p, dbr__conn *c);
/* Claims the lease for a call (nests). 0, or DBR_ETIMEOUT (no message set)
 * if the reaper took it: then only dbr__lease_end remains. */
int dbr__lease_claim(dbr__lease *l);
void dbr__lease_unclaim(dbr__lease *l);
/* 1 once the reaper took the lease. */
int dbr__lease_expired(const dbr__lease *l);
/* Ends a claimed or expired lease: a claimed one gives its connection back
 * (closed when `broken`); frees the lease. */
void dbr__lease_end(dbr__pool *p, dbr__lease *l, int broken);

#endif
