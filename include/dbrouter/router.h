/* SPDX-License-Identifier: MIT */
/*
 * router.h — the ABI of router policies (routers/).
 *
 * A router module exports only dbr_router_entry (DBR_ROUTER_ENTRY) returning
 * a descriptor of kind DBR_PLUGIN_ROUTER whose ops is a dbr_router_ops.
 *
 * Routing has two stages (docs/design.md):
 *  1. target: db_for_read / db_for_write of each router in chain order; the
 *     first non-NULL answer wins; else "default".
 *  2. member: for reads whose target has replicas, each router's select()
 *     sees the members (primary + replicas) in turn; it may drop members or
 *     pick one. If nobody picks, the primary serves.
 * After a write succeeds (or its transaction commits) on_write is called.
 *
 * Hints: host->hint(req, key) reads a key/value hint of the statement
 * (dbr_query version 2, or a "dbr: hint k=v" SQL comment with
 * sql_hints = true) or else of the session (dbr_session_hint_set).
 *
 * Refusing: a router that must not let a statement through (the shard
 * router with require_key and no key) calls host->refuse(req, fmt, ...)
 * and returns NULL (stage 1) or -1 (select). The host stops the chain and
 * fails the statement with DBR_EROUTE: "router \"NAME\" refused: MESSAGE".
 * Passing (NULL or "") lets the next router decide; refusing does not.
 * In a dry run (explain) the refusal fails the explain the same way.
 *
 * Threads: every op but create/destroy is called from many threads at once;
 * a router makes its own state thread-safe (atomics for counters).
 */
#ifndef DBROUTER_ROUTER_H
#define DBROUTER_ROUTER_H

#include <dbrouter/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The statement being routed. Owned by the host, valid during the call. */
typedef struct dbr_route_req {
	size_t struct_size;
	const char *sql;      /* may be NULL (apply, mark-as-writer) */
	const char *model;    /* may be NULL */
	dbr_intent intent;    /* READ or WRITE, never AUTO */
	const char *target;   /* stage 2 and on_write: the cluster's primary */
	int use_primary;      /* > 0 inside a use_primary scope of the session */
	const void *priv;     /* the host's; pass req back to host services */
	/* ABI 1.1 */
	unsigned int flags;   /* DBR_REQ_* (read it only if struct_size covers it) */
} dbr_route_req;

/* dbr_route_req.flags (ABI 1.1). */
/* A dry run (explain): nothing will run, so a router must not change its
 * state (counters, caches) for this request; answer as you would. */
#define DBR_REQ_DRY_RUN 0x1u
/* An explain trace is being built: host->note is kept only then, so a
 * router may skip formatting notes when this flag is clear. */
#define DBR_REQ_TRACE 0x2u
/* Stage 2: no router after this one has a select hook, so a router that
 * would only narrow the members (excluded) should pick one itself, or the
 * primary serves. */
#define DBR_REQ_LAST_SELECT 0x4u

/* One member of a cluster in stage 2. The host fills it; select() may set
 * `excluded` (and should add a note saying why). */
typedef struct dbr_member {
	size_t struct_size;
	const char *alias;
	int is_primary;
	int weight;           /* >= 1 */
	int healthy;          /* 0 if the host knows it is down */
	int64_t lag_us;       /* replication lag, -1 if unknown */
	const char *position; /* replication position text, or NULL */
	int excluded;         /* set by select() hooks; the host skips excluded members */
	/* ABI 1.1: the monitor's facts (healthy, lag_us and position above
	 * are filled too). The host excludes banned and lagging members before
	 * any select() hook runs. */
	int64_t lag_bytes;       /* -1 unknown */
	int64_t banned_for_us;   /* time left of a ban, 0 if not banned */
	int64_t probed_us_ago;   /* age of the last probe, -1 never probed */
	int role;                /* dbr_role as last seen (driver.h) */
	int lagging;             /* over max_lag / max_lag_bytes */
} dbr_member;

typedef struct dbr_router_ops {
	size_t struct_size;

	/* Mandatory. Reads its settings from `conf` (host->conf_*), validates
	 * aliases (host->conf_alias) and allocates *state. Errors: DBR_ECONFIG
	 * (via host->conf_error), DBR_ENOMEM. */
	int (*create)(void **state, const dbr_conf *conf);

	/* Mandatory. Frees the state. */
	void (*destroy)(void *state);

	/* Optional. Stage 1: the alias for a read / a write, or NULL to pass.
	 * An empty string "" passes too, exactly like NULL (as yara_orm treats
	 * "" like None): the next router is asked. The string must stay valid
	 * until destroy. */
	const char *(*db_for_read)(void *state, const dbr_route_req *req);
	const char *(*db_for_write)(void *state, const dbr_route_req *req);

	/* Optional. Stage 2: the index of the member picked, or -1 to pick
	 * none (after possibly excluding some). */
	int (*select)(void *state, const dbr_route_req *req,
	              dbr_member *const *members, size_t n);

	/* Optional. A write to req->target succeeded (or committed). */
	void (*on_write)(void *state, const dbr_route_req *req);
} dbr_router_ops;

#ifdef __cplusplus
}
#endif

#endif
