/*
 * plugin.h — what driver and router plugins share: the ABI version, the host
 * services table, the descriptor and the entry-point macros.
 *
 * Rules (see docs/design.md, "The plugin ABI"):
 * - A module exports exactly one symbol: dbr_driver_entry or dbr_router_entry.
 * - The host loads a plugin when its abi_major equals DBR_ABI_MAJOR and its
 *   abi_minor is not newer than the host's; a minor bump only appends members.
 * - Every table begins with struct_size. The host calls an optional op only if
 *   struct_size covers it and the pointer is not NULL; a plugin uses a host
 *   service added in minor M only when host->abi_minor >= M.
 * - Plugins never link against libdbrouter: everything goes through dbr_host.
 * - Strings a plugin returns stay valid until its destroy/close; the host
 *   copies what it keeps; no allocation is freed on the other side.
 */
#ifndef DBROUTER_PLUGIN_H
#define DBROUTER_PLUGIN_H

#include <stddef.h>
#include <stdint.h>
#include <dbrouter/dbrouter.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DBR_ABI_MAJOR 1
#define DBR_ABI_MINOR 0

/* True when a table of `size` bytes includes member `m` of type T. */
#define DBR_HAS_MEMBER(T, ptr, m) \
	((ptr) != NULL && (ptr)->struct_size >= offsetof(T, m) + sizeof(((T *)0)->m))

typedef enum dbr_plugin_kind {
	DBR_PLUGIN_DRIVER = 1,
	DBR_PLUGIN_ROUTER = 2
} dbr_plugin_kind;

typedef enum dbr_log_level {
	DBR_LOG_ERROR = 0,
	DBR_LOG_WARN = 1,
	DBR_LOG_INFO = 2,
	DBR_LOG_DEBUG = 3
} dbr_log_level;

/* An opaque node of the configuration: a group, a list or a scalar. Owned
 * by the host; valid during create()/check() only. */
typedef struct dbr_conf dbr_conf;

/* An opaque result builder handed to a driver's exec(). */
typedef struct dbr_sink dbr_sink;

struct dbr_route_req; /* router.h */

/*
 * Services the host gives every plugin. The table is static and lives as
 * long as the module is loaded; every function is thread-safe.
 */
typedef struct dbr_host {
	size_t struct_size;
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
} dbr_host;

/* What a plugin's entry returns: a static descriptor. */
typedef struct dbr_plugin_desc {
	size_t struct_size;
	int abi_major;          /* DBR_ABI_MAJOR the plugin was built with */
	int abi_minor;          /* DBR_ABI_MINOR the plugin was built with */
	dbr_plugin_kind kind;
	const char *name;       /* e.g. "sqlite", "per_model" */
	const char *version;    /* the plugin's own version */
	const char *description;
	const void *ops;        /* dbr_driver_ops or dbr_router_ops */
} dbr_plugin_desc;

/* Fills the fields every descriptor shares. */
#define DBR_PLUGIN_DESC(kind_, name_, version_, description_, ops_) \
	{ sizeof(dbr_plugin_desc), DBR_ABI_MAJOR, DBR_ABI_MINOR, (kind_), \
	  (name_), (version_), (description_), (ops_) }

typedef const dbr_plugin_desc *(*dbr_entry_fn)(const dbr_host *host);

#if defined(__GNUC__)
#define DBR_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define DBR_PLUGIN_EXPORT
#endif

/* Declares a module's entry point. `module` is the file's base name; in a
 * static (preloaded) build, define DBR_STATIC_PLUGIN and the symbol gets
 * libltdl's <module>_LTX_ prefix. The entry may keep `host` (it stays valid)
 * and returns its descriptor, or NULL to refuse to load (after host->error). */
#ifdef DBR_STATIC_PLUGIN
#define DBR__ENTRY_NAME(module, sym) module##_LTX_##sym
#else
#define DBR__ENTRY_NAME(module, sym) sym
#endif
/* The prototype comes first so -Wmissing-prototypes stays quiet. */
#define DBR__ENTRY(module, sym) \
	DBR_PLUGIN_EXPORT const dbr_plugin_desc *DBR__ENTRY_NAME(module, sym)(const dbr_host *host); \
	DBR_PLUGIN_EXPORT const dbr_plugin_desc *DBR__ENTRY_NAME(module, sym)(const dbr_host *host)
#define DBR_DRIVER_ENTRY(module) DBR__ENTRY(module, dbr_driver_entry)
#define DBR_ROUTER_ENTRY(module) DBR__ENTRY(module, dbr_router_entry)

#ifdef __cplusplus
}
#endif

#endif
