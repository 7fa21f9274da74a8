/* SPDX-License-Identifier: MIT */
/*
 * monitor.h — replication awareness: a member's health facts (health.c:
 * bans, backoff, lag breaches, roles; pure state over a clock passed in)
 * and the monitor thread that probes the members (monitor.c).
 *
 * Facts are written by the monitor thread (probes) and by statement
 * threads (a connection-class failure bans at once); stage 2, the pool and
 * status read them. Hot facts are atomics; strings (ban reason, position)
 * and the backoff sit under `lock`, held only to copy, never during I/O.
 */
#ifndef DBR_CORE_MONITOR_H
#define DBR_CORE_MONITOR_H

#include <stdatomic.h>

#include "internal.h"

typedef struct dbr__health {
	pthread_mutex_t lock;           /* reason, position, next_try, backoff */
	_Atomic int64_t banned_until;   /* monotonic µs; 0: not banned */
	_Atomic int64_t lag_us, lag_bytes; /* -1 unknown */
	_Atomic int64_t probed_at;      /* monotonic µs of the last probe; 0 never */
	atomic_int role;                /* dbr_role last seen (0 unknown) */
	atomic_int read_only, lagging;
	char reason[256];               /* why banned (no password: scrubbed) */
	char position[DBR_POSITION_MAX];
	int64_t next_try, backoff;      /* pool connects to a banned member */
	/* the monitor thread's own */
	int good, breaches;
	atomic_uint_fast64_t connect_attempts, bans, retries;
} dbr__health;

/* What one good probe changed (dbr__health_probe_ok's return bits). */
#define DBR__H_READMITTED 1
#define DBR__H_LAGGING 2     /* now excluded for lag */
#define DBR__H_CAUGHT_UP 4   /* no longer lagging */
#define DBR__H_ROLE 8        /* the role differs from the one seen before */

void dbr__health_init(dbr__health *h);
void dbr__health_destroy(dbr__health *h);
int64_t dbr__mono_us(void);

/* Bans for interval * recover_after + timeout from now. A statement's ban
 * (extend 0) leaves a running ban alone; a failed probe (extend 1) pushes
 * it on. Returns 1 when the member was not banned before. */
int dbr__health_ban(dbr__health *h, const dbr__monconf *mc, const char *reason, int64_t now,
                    int extend);
/* Time left of the ban (0: not banned). */
int64_t dbr__health_ban_left(dbr__health *h, int64_t now);
/* Books a good probe: facts stored; a banned member is re-admitted after
 * recover_after good probes in a row; a replica over max_lag or
 * max_lag_bytes for lag_breaches probes in a row becomes lagging, and stops
 * being so at the first probe under. `prev_role` gets the role seen before. */
int dbr__health_probe_ok(dbr__health *h, const dbr__monconf *mc, const dbr_repl_info *ri,
                         int is_replica, int64_t now, int *prev_role);
/* The pool's gate for a connect to a member that is banned: 0 to try (then
 * the next trial waits twice as long, up to backoff_max), else 1 and *left
 * (µs of the ban left). */
int dbr__health_gate(dbr__health *h, const dbr__monconf *mc, int64_t now, int64_t *left);

/* ---- per database (dbr_private.h's dbr__database) */
struct dbr__database;
struct dbr;
/* At build (after the pool exists): settings, health, probe view. Errors:
 * DBR_ENOMEM. dbr__db_watch_free undoes it (closes the probe connection). */
int dbr__db_watch_init(struct dbr__database *d, const struct dbr *db);
void dbr__db_watch_free(struct dbr__database *d);
/* "primary", "replica", "unknown". */
const char *dbr__role_name(int role);
/* The cluster's monitor settings: its primary's. */
const dbr__monconf *dbr__db_monconf(const struct dbr__database *d);
/* 1 if the monitor watches d (a cluster member, or monitor configured). */
int dbr__db_monitored(const struct dbr__database *d);
/* A statement on d failed with DBR_ECONNECT (message: the thread's error):
 * bans d and drops its idle connections. No-op for unmonitored d. */
void dbr__db_conn_failed(struct dbr__database *d);
/* Fills a stage-2 member's monitor facts; pos (DBR_POSITION_MAX bytes)
 * holds its position. */
void dbr__db_member(dbr_member *m, char *pos, struct dbr__database *d, int64_t now);
/* A note saying why the monitor keeps m out ("banned 2.4 s more: …",
 * "lag 3.1 s over max_lag 1 s"), or 0 if it does not; note NULL: only
 * whether it does (nothing formatted). */
int dbr__db_member_out(char *note, size_t size, struct dbr__database *d, const dbr_member *m);
/* DBR_EROUTE if d, a configured primary, was last seen read-only. */
int dbr__db_writable(struct dbr__database *d);
/* Public state of d into out (dbr_member_state, struct_size honoured). */
void dbr__db_state(dbr_member_state *out, struct dbr__database *d);

/* ---- monitor.c */
/* Starts the handle's monitor thread once, if some database needs it. */
void dbr__monitor_ensure(struct dbr *db);
/* Stops and joins it (dbr_close). */
void dbr__monitor_stop(struct dbr *db);
/* Closes d's probe connection (d unreachable by the monitor: removed). */
void dbr__monitor_forget(struct dbr__database *d);
/* Builds d's probe view (at build): connect_timeout and read_timeout
 * appended when the driver takes them. Errors: DBR_ENOMEM. */
int dbr__monitor_prepare(struct dbr__database *d);

#endif
