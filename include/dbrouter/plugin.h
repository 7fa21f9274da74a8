/* SPDX-License-Identifier: MIT */
/*
 * plugin.h — what driver and router plugins share: the ABI version, the host
 * services table, the descriptor and the entry-point macros.
 *
 * Rules (see docs/design.md, "The plugin ABI"):
 * - A module exports exactly one symbol: dbr_driver_entry or dbr_router_entry,
 *   defined with DBR_DRIVER_ENTRY / DBR_ROUTER_ENTRY (unmangled in C++ too).
 * - The major is checked before any plugin code sees the host: the entry
 *   the macro defines compares host->abi_major (and host->abi_minor with
 *   DBR_TARGET_ABI_MINOR) first and, on a mismatch, returns a version-only
 *   descriptor without running the plugin's body; the host then refuses the
 *   module with a message naming both versions.
 * - The host loads a plugin when its abi_major equals DBR_ABI_MAJOR and its
 *   abi_minor (0 or more) is not newer than the host's; a minor bump only
 *   appends members.
 * - Every table begins with struct_size. The host copies each ops table
 *   once, at load, into a zero-filled table of its own size, so an op the
 *   plugin's table does not cover is NULL to the host. A plugin uses a host
 *   service added in minor M only when host->abi_minor >= M (or
 *   DBR_HAS_MEMBER(dbr_host, host, member)).
 * - Plugins never link against libdbrouter: everything goes through dbr_host.
 * - Strings a plugin returns stay valid until its destroy/close; the host
 *   copies what it keeps; no allocation is freed on the other side.
 * - The headers compile as C11 and as C++11 or later.
 */
#ifndef DBROUTER_PLUGIN_H
#define DBROUTER_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <dbrouter/dbrouter.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI of these headers. 1.1 appended members to dbr_host and the ops
 * tables and added DBR_TYPE_DECIMAL; a 1.0 plugin loads unchanged. */
#define DBR_ABI_MAJOR 1
#define DBR_ABI_MINOR 1

/* The oldest host minor the plugin needs (as GLib's MIN_REQUIRED): define
 * it before including any dbrouter header to load on hosts older than these
 * headers. The descriptor then claims that minor, and the plugin must check
 * host->abi_minor (or DBR_HAS_MEMBER on dbr_host) before it uses a host
 * service or table member newer than DBR_TARGET_ABI_MINOR. */
#ifndef DBR_TARGET_ABI_MINOR
#define DBR_TARGET_ABI_MINOR DBR_ABI_MINOR
#endif
#if DBR_TARGET_ABI_MINOR < 0 || DBR_TARGET_ABI_MINOR > DBR_ABI_MINOR
#error "DBR_TARGET_ABI_MINOR must be between 0 and DBR_ABI_MINOR"
#endif

/* True when the table at `ptr` (of type T or an older, shorter T) includes
 * member `m`. The host normalises plugin tables at load, so plugins use this
 * on the host's tables (dbr_host, dbr_route_req, dbr_member, ...). */
#define DBR_HAS_MEMBER(T, ptr, m) \
	((ptr) != NULL && (ptr)->struct_size >= offsetof(T, m) + sizeof(((T *)NULL)->m))

typedef enum dbr_plugin_kind {
	DBR_PLUGIN_DRIVER = 1,
	DBR_PLUGIN_ROUTER = 2
} dbr_plugin_kind;

/* dbr_log_level (host->log) is in dbrouter.h. */

/* An opaque node of the configuration: a group, a list or a scalar. Owned
 * by the host; valid during create()/check() only. */
typedef struct dbr_conf dbr_conf;

/* What a configuration setting holds (host->conf_type, ABI 1.1). A
 * `( … )` list and a `[ … ]` array are both read with conf_count/conf_at. */
typedef enum dbr_conf_type {
	DBR_CONF_NONE = 0,   /* absent */
	DBR_CONF_STRING = 1,
	DBR_CONF_INT = 2,
	DBR_CONF_FLOAT = 3,
	DBR_CONF_BOOL = 4,
	DBR_CONF_GROUP = 5,  /* { … } */
	DBR_CONF_LIST = 6,   /* ( … ) */
	DBR_CONF_ARRAY = 7   /* [ … ] */
} dbr_conf_type;

/* An opaque result builder handed to a driver's exec(). */
typedef struct dbr_sink dbr_sink;

struct dbr_route_req; /* router.h */

/* A bounded LRU map (ABI 1.1, host->lru_*): string keys, opaque values. */
typedef struct dbr_lru dbr_lru;
/* Releases a value leaving the map (evicted, replaced, removed, cleared);
 * `arg` is lru_new's. It must not modify the map. */
typedef void (*dbr_lru_evict_fn)(void *arg, void *value);

/* The SQL a lexer reads (ABI 1.1): which quotes, comments and escapes
 * exist. GENERIC is what every dialect agrees on; where they disagree the
 * reading that hides less wins. */
typedef enum dbr_sql_dialect {
	DBR_SQL_GENERIC = 0,
	DBR_SQL_POSTGRES = 1,
	DBR_SQL_MYSQL = 2,   /* MariaDB and MySQL */
	DBR_SQL_SQLITE = 3
} dbr_sql_dialect;

/* Flags of sql_placeholders. */
#define DBR_SQL_BACKSLASH_QUOTES 1u /* '...' takes backslash escapes
                                     * (PostgreSQL, standard_conforming_strings off) */

/*
 * Services the host gives every plugin. The table is static and lives as
 * long as the module is loaded; every function is thread-safe.
 */
typedef struct dbr_host {
	size_t struct_size;
	/* Frozen in every major: the entry macros read abi_major (and abi_minor)
	 * before anything else of the table. */
	int abi_major;
	int abi_minor;

	/* Logs a line tagged with the plugin's name. Never log a password. */
	void (*log)(dbr_log_level level, const char *plugin, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));
	/* Sets the calling thread's error (code < 0; sqlstate may be NULL) and
	 * returns `code`, so a plugin can `return host->error(…)`. */
	int (*error)(int code, const char *sqlstate, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));

	void *(*malloc)(size_t n);
	void *(*calloc)(size_t n, size_t size);
	void *(*realloc)(void *p, size_t n);
	void (*free)(void *p);
	char *(*strdup)(const char *s);

	/* Configuration accessors. `key` names a child of `node`, or is NULL for
	 * the node itself. Each returns 0, DBR_ENOTFOUND (absent: use your
	 * default) or DBR_ECONFIG (present with the wrong type; the error already
	 * names file, line and setting). Reading a setting marks it as known:
	 * after create()/check() the host rejects every setting nobody read. */
	int (*conf_string)(const char **out, const dbr_conf *node, const char *key);
	int (*conf_int)(int64_t *out, const dbr_conf *node, const char *key);
	int (*conf_double)(double *out, const dbr_conf *node, const char *key);
	int (*conf_bool)(int *out, const dbr_conf *node, const char *key);
	/* A group or list child. */
	int (*conf_child)(const dbr_conf **out, const dbr_conf *node, const char *key);
	/* Number of children of a group or list (0 for a scalar). */
	size_t (*conf_count)(const dbr_conf *node);
	/* Child i of a group or list, or NULL. */
	const dbr_conf *(*conf_at)(const dbr_conf *node, size_t i);
	/* The setting's name (NULL for a list element). */
	const char *(*conf_name)(const dbr_conf *node);
	/* Sets a DBR_ECONFIG error that names the file, line and setting of
	 * `node`, followed by the message; returns DBR_ECONFIG. */
	int (*conf_error)(const dbr_conf *node, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));
	/* 0 if the configuration of `node` has a database `alias` (and then
	 * *replica_of, if not NULL, is its primary or NULL); else DBR_ENOTFOUND. */
	int (*conf_alias)(const char **replica_of, const dbr_conf *node, const char *alias);

	/* The library's clock, microseconds since the epoch (replaceable by tests). */
	int64_t (*now_us)(void);

	/* Result building, for drivers: columns once, then rows of ncols values
	 * (the host copies them), then the counts. Return 0 or DBR_ENOMEM. */
	int (*sink_columns)(dbr_sink *sink, size_t ncols, const char *const *names);
	int (*sink_row)(dbr_sink *sink, const dbr_value *values);
	void (*sink_affected)(dbr_sink *sink, int64_t n);
	void (*sink_insert_id)(dbr_sink *sink, int64_t id);

	/* Routing, for routers: adds a note to the statement's explain trace. */
	void (*note)(const struct dbr_route_req *req, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));
	/* The session's last recorded write to the cluster whose primary is
	 * `primary`: *when_us (the library's clock) and *position (replication
	 * position text or NULL; valid during the call). DBR_ENOTFOUND if none. */
	int (*last_write)(int64_t *when_us, const char **position,
	                  const struct dbr_route_req *req, const char *primary);

	/* ABI 1.1 */
	/* What `key` of `node` (NULL: the node itself) holds; DBR_CONF_NONE if
	 * absent. Does not mark the setting read: read it with the accessor of
	 * its type, or the host rejects it as unknown. */
	dbr_conf_type (*conf_type)(const dbr_conf *node, const char *key);
	/* As conf_error, naming FILE:LINE of the child `key` itself (or of
	 * `node` with the path `….key` when the child is absent). Returns
	 * DBR_ECONFIG. */
	int (*conf_error_at)(const dbr_conf *node, const char *key, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));
	/* ABI 1.1: SQL lexer */
	/* Rewrites `?` placeholders to $1..$n in one pass of the host's SQL
	 * lexer (never inside literals, quoted names, comments or dollar
	 * quotes; `??` on PostgreSQL is a literal `?`, the jsonb operators).
	 * A statement already written with $n is copied unchanged and
	 * *nparams is its highest $n; else *nparams counts the `?`. *out is
	 * allocated by the host (host->free). Returns 0 or DBR_ENOMEM. */
	int (*sql_placeholders)(char **out, size_t *nparams, const char *sql,
	                        dbr_sql_dialect dialect, unsigned flags);
	/* ABI 1.1: hints */
	/* The value of hint `key` for this request (statement hints first, then the session's), or NULL. Valid during the call. */
	const char *(*hint)(const struct dbr_route_req *req, const char *key);
	/* ABI 1.1: refuse */
	/* Refuses the statement being routed (router.h, "Refusing"): the
	 * statement fails with DBR_EROUTE and this message, naming the router;
	 * no later router is asked. Call it from db_for_read / db_for_write /
	 * select, then return NULL (or -1). Returns DBR_EROUTE. */
	int (*refuse)(const struct dbr_route_req *req, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));
	/* ABI 1.1: statement cache */
	/* A map of at most `capacity` (>= 1) entries whose values the map owns:
	 * each leaves through evict(arg, value). NULL when capacity is 0 or
	 * memory runs out. Not thread-safe: one map per connection. Keys are
	 * copied; values are the caller's until they are evicted. */
	dbr_lru *(*lru_new)(size_t capacity, dbr_lru_evict_fn evict, void *arg);
	/* The value of `key` (now the most recent), or NULL. */
	void *(*lru_get)(dbr_lru *lru, const char *key);
	/* Adds or replaces `key` (a replaced value is evicted); when the map is
	 * full the least recent entry is evicted first. 0 or DBR_ENOMEM (then
	 * `value` stays the caller's). */
	int (*lru_put)(dbr_lru *lru, const char *key, void *value);
	/* Evicts `key`: 0, or DBR_ENOTFOUND. */
	int (*lru_remove)(dbr_lru *lru, const char *key);
	/* Evicts every entry, least recent first. */
	void (*lru_clear)(dbr_lru *lru);
	/* Evicts every entry and frees the map (NULL is a no-op). */
	void (*lru_free)(dbr_lru *lru);
	/* The number of entries. */
	size_t (*lru_count)(const dbr_lru *lru);
	/* ABI 1.1: run-time databases */
	/* For routers, from db_for_read/db_for_write only (no lock of the
	 * host is held there; docs/design.md, "Run-time databases"). A failure
	 * of these services is kept as the cause a host->refuse in the same
	 * call appends to its message.
	 * Runs the read `sql` (`?` placeholders, nparams text values) on
	 * database `alias` with a connection of its own pool (never the
	 * session's transaction) and stores the first row's first ncols
	 * columns in out[0..ncols) as text (host->malloc'd, the caller frees
	 * each with host->free; NULL for SQL NULL). Returns 0, DBR_ENOTFOUND
	 * (no row; out all NULL; no message), DBR_EINVAL (no database `alias`),
	 * or the error of the pool or the statement (message set). */
	int (*query_row)(char **out, size_t ncols, const struct dbr_route_req *req,
	                 const char *alias, const char *sql, const char *const *params,
	                 size_t nparams);
	/* Adds database `alias` at `url` (as dbr_add_database, no settings) if
	 * the handle of `req` has none of that name; *added is 1 if this call
	 * added it, else 0 (an existing database is kept as it is, whatever its
	 * URL). Connects nothing. Error messages show the URL masked.
	 * Errors: DBR_EINVAL (bad URL), DBR_ECONFIG, DBR_EPLUGIN, DBR_ENOMEM. */
	int (*db_ensure)(int *added, const struct dbr_route_req *req, const char *alias,
	                 const char *url);
	/* Removes database `alias` if nothing uses it now (no statement,
	 * transaction or raw connection holds it; never waits): its pooled
	 * connections close. 0 if removed, DBR_ESTATE if in use (nothing
	 * done, no message), DBR_ENOTFOUND if absent; DBR_EINVAL for
	 * "default" or a primary with replicas. */
	int (*db_close_idle)(const struct dbr_route_req *req, const char *alias);
	/* ABI 1.1: causal reads */
	/* (The session's own last write and its position: last_write.) The
	 * newest replication position any session of this dbr wrote to the
	 * cluster of req->target, into buf (NUL-terminated; DBR_POSITION_MAX
	 * of driver.h is always enough). 0, or DBR_ENOTFOUND if none. */
	int (*newest_position)(char *buf, size_t size, const struct dbr_route_req *req);
	/* Orders positions a and b through the driver of req->target: *out < 0
	 * when a is behind b, 0 equal, > 0 ahead. DBR_ERANGE when they cannot
	 * be compared (another timeline or server lineage, a GTID domain set,
	 * text that is no position); DBR_ENOTSUP when the driver cannot. */
	int (*position_cmp)(int *out, const struct dbr_route_req *req, const char *a,
	                    const char *b);
	/* Waits until member `alias` of req->target's cluster has replayed
	 * `position`, on a pooled connection of that member, at most
	 * timeout_ms (clamped to 0..60000). 0: reached; DBR_ETIMEOUT: not in
	 * time; DBR_ERANGE: cannot be compared there; DBR_ENOTSUP: the driver
	 * cannot wait; DBR_ENOTFOUND: not a member; else the connection's
	 * error. Blocks: a router never calls it in a dry run. */
	int (*wait_position)(const struct dbr_route_req *req, const char *alias,
	                     const char *position, int timeout_ms);
	/* ABI 1.1: statement cache, one lookup */
	/* The value of `key` (now the most recent); when absent, a new value
	 * of `size` zeroed bytes (host->calloc) is added first, evicted like
	 * any other. NULL when `lru` is NULL or memory runs out. The lookup
	 * every driver's statement cache makes per statement. */
	void *(*lru_obtain)(dbr_lru *lru, const char *key, size_t size);
} dbr_host;

/* What a plugin's entry returns: a static descriptor. */
typedef struct dbr_plugin_desc {
	size_t struct_size;
	int abi_major;          /* DBR_ABI_MAJOR the plugin was built with */
	int abi_minor;          /* the oldest host minor it needs:
	                           DBR_TARGET_ABI_MINOR, >= 0 */
	dbr_plugin_kind kind;
	const char *name;       /* e.g. "sqlite", "per_model" */
	const char *version;    /* the plugin's own version */
	const char *description;
	const void *ops;        /* dbr_driver_ops or dbr_router_ops */
} dbr_plugin_desc;

/* Fills the fields every descriptor shares. */
#define DBR_PLUGIN_DESC(kind_, name_, version_, description_, ops_) \
	{ sizeof(dbr_plugin_desc), DBR_ABI_MAJOR, DBR_TARGET_ABI_MINOR, (kind_), \
	  (name_), (version_), (description_), (ops_) }

typedef const dbr_plugin_desc *(*dbr_entry_fn)(const dbr_host *host);

#if defined(__GNUC__)
#define DBR_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define DBR_PLUGIN_EXPORT
#endif

/*
 * Defines a module's entry point: `DBR_DRIVER_ENTRY(module) { ... }`, a body
 * that receives `const dbr_host *host`, may keep it (it stays valid) and
 * returns the descriptor, or NULL to refuse to load (after host->error).
 * `module` is the file's base name; in a static (preloaded) build, define
 * DBR_STATIC_PLUGIN and the symbol gets libltdl's <module>_LTX_ prefix.
 *
 * The exported function the macro writes runs first: when host is NULL, its
 * abi_major differs from DBR_ABI_MAJOR or its abi_minor is older than
 * DBR_TARGET_ABI_MINOR, it returns a descriptor holding only the plugin's
 * versions (struct_size covers abi_minor; kind 0) and the body never runs.
 * The host refuses such a module with a message naming both versions. The
 * symbol is extern "C" in C++.
 */
#ifdef DBR_STATIC_PLUGIN
#define DBR__ENTRY_NAME(module, sym) module##_LTX_##sym
#else
#define DBR__ENTRY_NAME(module, sym) sym
#endif
#ifdef __cplusplus
#define DBR__EXTERN_C extern "C"
#else
#define DBR__EXTERN_C
#endif
/* What the entry returns to a host it must not touch. */
#define DBR__VERSION_DESC \
	{ offsetof(dbr_plugin_desc, abi_minor) + sizeof(int), DBR_ABI_MAJOR, \
	  DBR_TARGET_ABI_MINOR, (dbr_plugin_kind)0, NULL, NULL, NULL, NULL }
/* The prototypes come first so -Wmissing-prototypes stays quiet. */
#define DBR__ENTRY(module, sym) \
	static const dbr_plugin_desc *dbr__entry_body(const dbr_host *host); \
	DBR__EXTERN_C DBR_PLUGIN_EXPORT const dbr_plugin_desc * \
	DBR__ENTRY_NAME(module, sym)(const dbr_host *host); \
	DBR__EXTERN_C DBR_PLUGIN_EXPORT const dbr_plugin_desc * \
	DBR__ENTRY_NAME(module, sym)(const dbr_host *host) \
	{ \
		static const dbr_plugin_desc versions = DBR__VERSION_DESC; \
		if (host == NULL || host->abi_major != DBR_ABI_MAJOR || \
		    host->abi_minor < DBR_TARGET_ABI_MINOR) \
			return &versions; \
		return dbr__entry_body(host); \
	} \
	static const dbr_plugin_desc *dbr__entry_body(const dbr_host *host)
#define DBR_DRIVER_ENTRY(module) DBR__ENTRY(module, dbr_driver_entry)
#define DBR_ROUTER_ENTRY(module) DBR__ENTRY(module, dbr_router_entry)

#ifdef __cplusplus
}
#endif

#endif
