/* SPDX-License-Identifier: MIT */
/*
 * dbr_private.h — the core's handles (dbr, session, trace) and the routing
 * engine's interface between dbr.c, registry.c, chain.c, route.c, session.c
 * and exec.c.
 */
#ifndef DBR_CORE_PRIVATE_H
#define DBR_CORE_PRIVATE_H

#include <stdatomic.h>

#include "internal.h"
#include "monitor.h"

#define DBR__ERRMAX 1024

/* One database (alias) of a running dbr. Each user (a statement in flight,
 * an open transaction, a raw connection) holds a reference (dbr__db_get /
 * dbr__db_put); dbr_remove_database unlinks it, sets DBR__DB_REMOVED in
 * `refs` and frees it when the last reference goes. The flag lives in the
 * same atomic as the count so that the last put learns "removed" from its
 * own decrement, never by reading a database that may be freed already. */
#define DBR__DB_REMOVED (1 << 30)

/* A database's statement counters (metrics.c): relaxed atomics, bumped
 * once per statement without a lock. Pool counters live in the pool. */
typedef struct dbr__dbmetrics {
	atomic_uint_fast64_t stmts[2];  /* [0] reads, [1] writes */
	atomic_uint_fast64_t errors[DBR_METRICS_NERR];
	atomic_uint_fast64_t rows, affected, sum_ns;
	atomic_uint_fast64_t buckets[DBR_METRICS_NBUCKETS];
} dbr__dbmetrics;

typedef struct dbr__database {
	dbr__dbconf conf;
	char uid[64];
	dbr__plugin *driver;
	const dbr_driver_ops *ops;   /* driver->ops.driver, normalised */
	dbr_url_view view;
	const char **keys, **values; /* view's merged options */
	dbr__pool *pool;
	struct dbr__database *primary; /* NULL for a primary */
	atomic_int nreplicas;
	atomic_int refs;     /* users besides the dbr itself, | DBR__DB_REMOVED */
	dbr__dbmetrics m;
	/* replication awareness (monitor.h) */
	dbr__health h;       /* its health facts */
	dbr__monconf mc;     /* the handle's monitor settings, its own overlaid */
	int monitor_all;     /* a top-level monitor group: watched even alone */
	int timeouts_ok;     /* the driver takes connect_timeout / read_timeout */
	dbr_url_view probe_view; /* the monitor's: timeouts forced to mc.timeout */
	const char **probe_keys, **probe_values;
	char probe_num[32];
	void *probe;         /* the monitor's connection (monitor thread only) */
	int64_t next_probe;  /* monotonic µs (monitor thread only) */
	int probed_now;      /* probed in this pass (monitor thread, joined probers) */
	/* Causal reads, on a primary: the newest write position any session of
	 * this dbr recorded here ("" none), guarded by a spin flag (a copy and
	 * one pure position_cmp are all that run under it). session.c. */
	atomic_flag newest_busy;
	char newest[DBR_POSITION_MAX];
} dbr__database;

/* A router of one or more chains (a chain extended at run time shares the
 * routers it keeps); destroyed with its last chain. */
typedef struct dbr__router {
	atomic_int refs;
	char *name;
	char *where;        /* "FILE:LINE" of its entry, for messages */
	dbr__plugin *plugin;
	const dbr_router_ops *ops;   /* plugin->ops.router, normalised */
	void *state;
	atomic_uint_fast64_t answers, picks, exclusions; /* metrics (metrics.c) */
} dbr__router;

/* A router chain: immutable once built; freed when the last user lets go. */
typedef struct dbr__chain {
	atomic_int refs;
	dbr__router **routers;
	size_t n;
} dbr__chain;

struct dbr {
	pthread_rwlock_t dbs_lock;   /* dbs array */
	dbr__database **dbs;
	size_t ndbs, capdbs;
	pthread_mutex_t chain_lock;  /* the chain pointer */
	dbr__chain *chain;
	pthread_mutex_t misc_lock;   /* plugins list, errmsg */
	dbr__plugin **plugins;
	size_t nplugins;
	char *file;
	char *plugin_path;
	char *token_secret;
	struct dbr__wfuncs *wfuncs;  /* write_functions, or NULL (classify.c) */
	int sql_hints;               /* sql_hints = true: read dbr: SQL comments */
	unsigned long id;
	char errmsg[DBR__ERRMAX];
	pthread_mutex_t drain_lock;  /* with `drained`: removals wait here */
	pthread_cond_t drained;
	pthread_mutex_t sessions_lock; /* the live sessions list */
	struct dbr_session *sessions;
	dbr__monconf monitor;        /* the top-level monitor group (or defaults) */
	int has_monitor;             /* that group is present */
	pthread_mutex_t mon_lock;    /* with mon_wake: the monitor thread's sleep */
	pthread_cond_t mon_wake;
	pthread_t mon_thread;
	atomic_int mon_running;      /* started (once) */
	int mon_stop;                /* under mon_lock */
};

/* A session's record of a write to one cluster. */
typedef struct dbr__pin {
	char *primary;
	int64_t when_us;
	char *position;
} dbr__pin;

/* One open transaction of a session (one per alias). */
typedef struct dbr__tx {
	dbr__database *d;
	dbr__conn *c;    /* the owner's while its lease is claimed, not expired */
	dbr__lease *lease; /* the handoff with the pool's reaper (pool.c) */
	int depth;       /* 1 = BEGIN, >1 = savepoints */
	int wrote;
	int64_t begun_us;
	int readonly;    /* dbr_tx_begin_read: also named by d's primary's alias */
} dbr__tx;

struct dbr_session {
	dbr *db;          /* NULL once dbr_close detached the session */
	struct dbr_session *prev, *next; /* db->sessions, under sessions_lock */
	struct dbr_conn *conns;          /* raw connections handed out */
	int use_primary;
	dbr__pin *pins;
	size_t npins;
	char **hint_keys, **hint_values; /* dbr_session_hint_set, owned */
	size_t nhints;
	dbr__tx *txs;     /* in begin order; the last is the latest */
	size_t ntxs, captxs;
	char errmsg[DBR__ERRMAX];
	char sqlstate[6];
};

struct dbr_trace {
	dbr_trace_step *steps;
	size_t n, cap;
	char *alias;
	char *target;
	dbr_intent intent;
	char *text;
	dbr__buf pending;   /* notes of the router being asked */
	int off;            /* records nothing: no explain, no debug log (a
	                     * plain dbr_exec pays no formatting, no copies) */
};

/* A raw connection (dbr_conn_get): its own pool connection, or a view of
 * the session's transaction on `d` (then c is NULL and found at each use). */
struct dbr_conn {
	dbr_session *s;      /* NULL once its session or dbr is gone */
	dbr__database *d;    /* referenced */
	dbr__conn *c;        /* owned, or NULL when joining a transaction */
	struct dbr_conn *prev, *next; /* s->conns */
};

/* ---- dbr.c */
/* Re-raises the thread's error as `code` with a prefix. */
int dbr__reraise(int code, const char *prefix);
/* Keeps a reference of its own on each plugin shown by dbr_plugin_at. */
int dbr__remember_plugin(dbr *db, dbr__plugin *p);
/* Records the thread's error on the handle too. Returns the code. */
int dbr__db_fail(dbr *db, int code);

/* ---- registry.c */
/* Loads the driver and lets it check the URL and options; connects nothing.
 * Takes `conf` over (cleared on return, success or not). */
int dbr__db_build(dbr__database **out, dbr *db, dbr__dbconf *conf);
void dbr__db_free(dbr__database *d);
int dbr__dbs_append(dbr *db, dbr__database *d); /* caller holds dbs_lock or owns db */
/* Links a replica to its primary (already in db->dbs). */
int dbr__link_replica(dbr *db, dbr__database *d);
/* The database `alias`, or NULL (unknown or being removed). No reference:
 * the pointer is safe only while no dbr_remove_database can run on it;
 * prefer dbr__db_get. Thread-safe. */
dbr__database *dbr__db_find(dbr *db, const char *alias);
/* As dbr__db_find, holding a reference the caller drops with dbr__db_put. */
dbr__database *dbr__db_get(dbr *db, const char *alias);
void dbr__db_ref(dbr__database *d);  /* one more reference (caller has one) */
void dbr__db_put(dbr *db, dbr__database *d); /* NULL d is a no-op */
/* `primary` (not referenced) then its *n replicas (referenced: the caller
 * dbr__db_puts each): into `buf` when its `cap` entries hold them, else
 * into a new array (the caller frees it when it is not buf). NULL out of
 * memory. */
dbr__database **dbr__db_replicas(dbr *db, dbr__database *primary, size_t *n,
                                 dbr__database **buf, size_t cap);
/* Removes `alias` only if no reference is held now (never waits): 0,
 * DBR_ESTATE (in use; no message), DBR_ENOTFOUND, DBR_EINVAL. */
int dbr__db_remove_unused(dbr *db, const char *alias);

/* ---- chain.c */
dbr__chain *dbr__chain_get(dbr *db);
void dbr__chain_put(dbr__chain *c);
/* Builds a chain: the routers of `keep` (shared), then those of `cfg`. On
 * error nothing remains. */
int dbr__chain_build(dbr__chain **out, dbr *db, const dbr__chain *keep, const dbr__config *cfg);
void dbr__chain_swap(dbr *db, dbr__chain *c); /* installs c, drops the old chain */

/* ---- route.c */
/* route_init (route.c) sets every field without zeroing wpos: a new field
 * must be set there too. */
typedef struct dbr__route {
	dbr__database *d;   /* who serves (referenced: dbr__route_done) */
	dbr__database *target; /* stage-1 target (referenced) */
	dbr__tx *tx;        /* set when the statement joins a transaction */
	dbr_intent intent;
	char wpos[DBR_POSITION_MAX]; /* a write's replication position, "" unknown (exec.c) */
} dbr__route;

/* A statement's hints (dbr_query version 2): the caller's arrays. */
typedef struct dbr__hints {
	const char *const *keys;
	const char *const *values;
	size_t n;
} dbr__hints;

/* Flags of dbr__route_statement. */
#define DBR__ROUTE_STAGE2 1  /* run the member stage (reads) */
#define DBR__ROUTE_NO_TX 2   /* ignore the session's open transactions */
#define DBR__ROUTE_DRY_RUN 4 /* explain: routers see DBR_REQ_DRY_RUN */
#define DBR__ROUTE_TRACE 8   /* the trace is kept: routers see DBR_REQ_TRACE */
#define DBR__ROUTE_REFUSE_TX 16 /* refuse transaction control SQL (dbr_exec) */
/* Routes one statement: fills *out (references held: dbr__route_done) and
 * the trace `t`. An AUTO intent is classified here, in the dialect of the
 * target when it is known before the routers run (explicit alias, open
 * transaction); with DBR__ROUTE_REFUSE_TX transaction control SQL is
 * refused (DBR_EINVAL). `flags` without DBR__ROUTE_STAGE2 skips the member stage
 * (apply, transactions). Errors: DBR_ENOTFOUND, DBR_EROUTE, DBR_EINVAL. */
int dbr__route_statement(dbr__route *out, dbr_trace *t, dbr_session *s,
                         const char *sql, const char *model, dbr_intent intent,
                         const char *using_alias, int flags);
/* As dbr__route_statement with the statement's hints (may be NULL) and,
 * when the deployment sets sql_hints, its dbr: SQL comments. */
int dbr__route_hinted(dbr__route *out, dbr_trace *t, dbr_session *s, const char *sql,
                      const char *model, dbr_intent intent, const char *using_alias,
                      const dbr__hints *hints, int flags);
/* Drops the references of a route (filled or cleared by route_statement). */
void dbr__route_done(dbr_session *s, dbr__route *r);
/* After a successful write to `d` outside a transaction (or at commit):
 * records the pin (with the write's replication position, or NULL) and
 * tells the routers. */
void dbr__route_wrote_at(dbr_session *s, dbr__database *d, const char *position);
#define dbr__route_wrote(s, d) dbr__route_wrote_at((s), (d), NULL)
int dbr__trace_new(dbr_trace **out);
/* Frees what the trace holds, not the trace: a trace on the stack (a
 * dbr_exec's, which records nothing unless explained or logged). */
void dbr__trace_clear(dbr_trace *t);
/* exec.c, shared with stream.c. Enters the session, checks the query and
 * routes it as dbr_exec does (who names the caller in messages) into the
 * caller's trace storage `t` (initialised here); on success the caller
 * dbr__trace_clears t (or frees it) and must dbr__route_done(rt); on
 * failure t is cleared already. */
int dbr__exec_route(dbr__route *rt, dbr_trace *t, dbr_session *s, const dbr_query *q,
                    const char *who, int flags);
/* A routed write succeeded: the transaction wrote, or the session's pin. */
void dbr__exec_wrote(dbr_session *s, dbr__route *rt);
void dbr__host_note(const dbr_route_req *req, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int dbr__host_last_write(int64_t *when_us, const char **position,
                         const dbr_route_req *req, const char *primary);
const char *dbr__host_hint(const dbr_route_req *req, const char *key);
int dbr__host_refuse(const dbr_route_req *req, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* The session a request is routed for (NULL for a foreign req). */
dbr_session *dbr__req_session(const dbr_route_req *req);
/* Keeps the thread's error as the cause a refusal of this request names
 * (a host service that failed for the router). */
void dbr__req_cause(const dbr_route_req *req);
/* Stage 2 for the cluster of `alias` as for a read, outside transactions
 * (dbr_tx_begin_read): fills *out like dbr__route_statement. */
int dbr__route_member(dbr__route *out, dbr_trace *t, dbr_session *s, const char *alias);
/* ---- session.c: the session's hint `key`, or NULL. */
const char *dbr__session_hint(const dbr_session *s, const char *key);

/* ---- session.c */
/* Sets the session's (and thread's) error and returns code. */
int dbr__session_fail(dbr_session *s, int code);
/* At the start of every session call: DBR_ESTATE if dbr_close detached the
 * session; DBR_ETIMEOUT (after rolling it back) if a transaction outlived
 * its transaction_timeout; else 0. Sets the session's error. */
int dbr__session_enter(dbr_session *s, const char *fn);
/* dbr_close: rolls back and releases everything `s` holds; detaches it. */
void dbr__session_detach(dbr_session *s);
dbr__tx *dbr__session_tx(dbr_session *s, const dbr__database *d);
/* Claims `tx` for the current call (the maintenance thread then leaves it
 * alone) until dbr__session_tx_unclaim. If the maintenance thread already
 * rolled it back (transaction_timeout), ends and removes it (tx is then
 * invalid) and returns DBR_ETIMEOUT with the session's error set. */
int dbr__session_tx_claim(dbr_session *s, dbr__tx *tx, const char *fn);
void dbr__session_tx_unclaim(dbr__tx *tx);
dbr__tx *dbr__session_tx_latest(dbr_session *s);
/* The transaction `alias` names: its database's alias, or for a read-only
 * one the alias of its member's primary. NULL if none. */
dbr__tx *dbr__session_tx_named(dbr_session *s, const char *alias);
/* The session's hint `key`, or NULL. */
const char *dbr__session_hint(const dbr_session *s, const char *key);
void dbr__session_pin(dbr_session *s, const char *primary, int64_t when_us, const char *position);
/* Causal reads. Right after a write committed on `c` of `d` (before `c`
 * goes back to the pool): the driver's write_position into buf, "" when
 * unknown (a replica, no such op, a failure). Returns 1 when the
 * connection broke meanwhile (close it), else 0. */
int dbr__session_write_position(char *buf, size_t size, dbr__database *d, dbr__conn *c);
/* A write to `d` succeeded (autocommit or commit) at `position` ("" or
 * NULL unknown): the dbr-wide newest position of its primary, then the
 * session's pin and the routers' on_write. */
void dbr__session_wrote(dbr_session *s, dbr__database *d, const char *position);
/* The dbr-wide newest write position of `primary` into buf ("" none). */
void dbr__newest_position(char *buf, size_t size, dbr__database *primary);

/* ---- conn.c */
/* Session end or dbr_close: gives back the raw connections of `s` and
 * detaches them (a later dbr_conn_release only frees the handle). */
void dbr__conns_orphan(dbr_session *s);

/* ---- metrics.c */
/* One relaxed increment of an atomic counter: the statement path's only cost. */
#define DBR__COUNT(ctr, n) atomic_fetch_add_explicit(&(ctr), (uint_fast64_t)(n), memory_order_relaxed)
uint64_t dbr__metrics_now(void); /* monotonic nanoseconds */
/* Counts one statement run on `d` that began at t0 (dbr__metrics_now):
 * intent, error class of rc, rows of r (may be NULL), latency. */
void dbr__metrics_stmt(dbr__database *d, dbr_intent intent, int rc, const dbr_result *r,
                       uint64_t t0);

/* ---- exec.c */
/* Runs one statement on a connection into a new result (out may be NULL). */
int dbr__exec_on(dbr_result **out, dbr__database *d, dbr__conn *c, const char *sql,
                 const dbr_value *params, size_t nparams);

#endif
