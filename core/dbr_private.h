/*
 * dbr_private.h — the core's handles (dbr, session, trace) and the routing
 * engine's interface between dbr.c, route.c, session.c and exec.c.
 */
#ifndef DBR_CORE_PRIVATE_H
#define DBR_CORE_PRIVATE_H

#include <stdatomic.h>

#include "internal.h"

#define DBR__ERRMAX 1024

/* One database (alias) of a running dbr. Never freed before dbr_close. */
typedef struct dbr__database {
	dbr__dbconf conf;
	char uid[64];
	dbr__plugin *driver;
	const dbr_driver_ops *ops;
	dbr_url_view view;
	const char **keys, **values; /* view's merged options */
	dbr__pool *pool;
	struct dbr__database *primary; /* NULL for a primary */
	atomic_int nreplicas;
} dbr__database;

/* A router of one or more chains (a chain extended at run time shares the
 * routers it keeps); destroyed with its last chain. */
typedef struct dbr__router {
	atomic_int refs;
	char *name;
	dbr__plugin *plugin;
	const dbr_router_ops *ops;
	void *state;
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
	unsigned long id;
	char errmsg[DBR__ERRMAX];
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
	dbr__conn *c;
	int depth;       /* 1 = BEGIN, >1 = savepoints */
	int wrote;
	int64_t begun_us;
} dbr__tx;

struct dbr_session {
	dbr *db;
	int use_primary;
	dbr__pin *pins;
	size_t npins;
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
};

/* ---- dbr.c */
/* The database `alias`, or NULL. Thread-safe. */
dbr__database *dbr__db_find(dbr *db, const char *alias);
/* Replicas of `primary` into a new array (caller frees) of *n entries. */
dbr__database **dbr__db_replicas(dbr *db, const dbr__database *primary, size_t *n);
dbr__chain *dbr__chain_get(dbr *db);
void dbr__chain_put(dbr__chain *c);
/* Records the thread's error on the handle too. Returns the code. */
int dbr__db_fail(dbr *db, int code);

/* ---- route.c */
typedef struct dbr__route {
	dbr__database *d;   /* who serves */
	dbr__database *target; /* stage-1 target */
	dbr__tx *tx;        /* set when the statement joins a transaction */
	dbr_intent intent;
} dbr__route;

/* Routes one statement: fills *out and the trace `t`. `stage2` 0 skips the
 * member stage (apply, transactions). Errors: DBR_ENOTFOUND, DBR_EROUTE. */
int dbr__route_statement(dbr__route *out, dbr_trace *t, dbr_session *s,
                         const char *sql, const char *model, dbr_intent intent,
                         const char *using_alias, int stage2);
/* After a successful write to `d` outside a transaction (or at commit):
 * records the pin and tells the routers. */
void dbr__route_wrote(dbr_session *s, dbr__database *d);
int dbr__trace_new(dbr_trace **out);
void dbr__host_note(const dbr_route_req *req, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int dbr__host_last_write(int64_t *when_us, const char **position,
                         const dbr_route_req *req, const char *primary);

/* ---- session.c */
/* Sets the session's (and thread's) error and returns code. */
int dbr__session_fail(dbr_session *s, int code);
dbr__tx *dbr__session_tx(dbr_session *s, const dbr__database *d);
dbr__tx *dbr__session_tx_latest(dbr_session *s);
void dbr__session_pin(dbr_session *s, const char *primary, int64_t when_us, const char *position);

/* ---- exec.c */
/* Runs one statement on a connection into a new result (out may be NULL). */
int dbr__exec_on(dbr_result **out, dbr__database *d, dbr__conn *c, const char *sql,
                 const dbr_value *params, size_t nparams);

#endif
