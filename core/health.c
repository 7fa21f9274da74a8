/* SPDX-License-Identifier: MIT */
/* health.c — a member's health as the monitor and the statement path see
 * it: bans (at once on a failure, lifted by the monitor after recover_after
 * good probes), the backoff of connects to a banned member, lag breaches,
 * roles; and what stage 2, the pool and status read of it. The state
 * machine takes the clock as an argument (tests/test_health.c drives it). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dbr_private.h"

#define LOAD(x) atomic_load_explicit(&(x), memory_order_relaxed)
#define STORE(x, v) atomic_store_explicit(&(x), (v), memory_order_relaxed)

int64_t dbr__mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int64_t us_of(double s)
{
	return (int64_t)(s * 1e6);
}

void dbr__health_init(dbr__health *h)
{
	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->lock, NULL);
	atomic_init(&h->lag_us, -1);
	atomic_init(&h->lag_bytes, -1);
}

void dbr__health_destroy(dbr__health *h)
{
	pthread_mutex_destroy(&h->lock);
}

/* ------------------------------------------------------------ the state machine */

/* Long enough for the monitor to see recover_after good probes. */
static int64_t ban_span(const dbr__monconf *mc)
{
	return us_of(mc->interval * mc->recover_after + mc->timeout);
}

int dbr__health_ban(dbr__health *h, const dbr__monconf *mc, const char *reason, int64_t now,
                    int extend)
{
	pthread_mutex_lock(&h->lock);
	int64_t until = atomic_load(&h->banned_until);
	int fresh = until <= now;
	if (fresh || extend) {
		atomic_store(&h->banned_until, now + ban_span(mc));
		snprintf(h->reason, sizeof(h->reason), "%s", reason ? reason : "");
	}
	if (fresh) {
		h->backoff = 100000; /* 100 ms, doubling per trial */
		h->next_try = now + h->backoff;
		DBR__COUNT(h->bans, 1);
	}
	h->good = 0;
	pthread_mutex_unlock(&h->lock);
	return fresh;
}

int64_t dbr__health_ban_left(dbr__health *h, int64_t now)
{
	int64_t until = atomic_load(&h->banned_until);
	return until > now ? until - now : 0;
}

/* Lag over a bound (strictly), known and checked. */
static int over_lag(const dbr__monconf *mc, const dbr_repl_info *ri)
{
	return (mc->max_lag > 0 && ri->lag_us >= 0 && ri->lag_us > us_of(mc->max_lag)) ||
	       (mc->max_lag_bytes > 0 && ri->lag_bytes >= 0 && ri->lag_bytes > mc->max_lag_bytes);
}

int dbr__health_probe_ok(dbr__health *h, const dbr__monconf *mc, const dbr_repl_info *ri,
                         int is_replica, int64_t now, int *prev_role)
{
	int out = 0;
	*prev_role = atomic_exchange(&h->role, (int)ri->role);
	if (*prev_role != DBR_ROLE_UNKNOWN && *prev_role != (int)ri->role)
		out |= DBR__H_ROLE;
	STORE(h->read_only, ri->read_only);
	STORE(h->lag_us, ri->lag_us);
	STORE(h->lag_bytes, ri->lag_bytes);
	pthread_mutex_lock(&h->lock);
	snprintf(h->position, sizeof(h->position), "%s", ri->position);
	if (atomic_load(&h->banned_until) && ++h->good >= mc->recover_after) {
		atomic_store(&h->banned_until, 0);
		h->good = 0;
		out |= DBR__H_READMITTED;
	}
	pthread_mutex_unlock(&h->lock);
	int over = is_replica && over_lag(mc, ri);
	h->breaches = over ? h->breaches + 1 : 0;
	int was = LOAD(h->lagging);
	int now_lagging = over ? (was || h->breaches >= mc->lag_breaches) : 0;
	if (now_lagging != was) {
		STORE(h->lagging, now_lagging);
		out |= now_lagging ? DBR__H_LAGGING : DBR__H_CAUGHT_UP;
	}
	atomic_store(&h->probed_at, now);
	return out;
}

int dbr__health_gate(dbr__health *h, const dbr__monconf *mc, int64_t now, int64_t *left)
{
	if (!dbr__health_ban_left(h, now))
		return 0;
	int refuse = 1;
	pthread_mutex_lock(&h->lock);
	if (now >= h->next_try) {
		refuse = 0;
		int64_t max = us_of(mc->backoff_max);
		h->backoff = h->backoff * 2 > max ? max : h->backoff * 2;
		h->next_try = now + h->backoff;
	}
	pthread_mutex_unlock(&h->lock);
	*left = dbr__health_ban_left(h, now);
	return refuse;
}

/* ------------------------------------------------------------ per database */

int dbr__db_watch_init(dbr__database *d, const dbr *db)
{
	dbr__health_init(&d->h);
	d->mc = db->monitor;
	dbr__monconf_overlay(&d->mc, &d->conf.monitor);
	d->monitor_all = db->has_monitor;
	dbr__pool_set_owner(d->pool, d);
	return dbr__monitor_prepare(d);
}

void dbr__db_watch_free(dbr__database *d)
{
	dbr__monitor_forget(d);
	dbr__health_destroy(&d->h);
	free(d->probe_keys);
	free(d->probe_values);
}

/* A replica's copy of its primary's, taken when it was linked. */
const dbr__monconf *dbr__db_monconf(const dbr__database *d)
{
	return &d->mc;
}

int dbr__db_monitored(const dbr__database *d)
{
	if (d->ops->flags & DBR_DRIVER_EMBEDDED)
		return 0; /* no server to watch (driver.h) */
	return d->primary || atomic_load(&d->nreplicas) > 0 || d->mc.set || d->monitor_all;
}

void dbr__db_conn_failed(dbr__database *d)
{
	if (!dbr__db_monitored(d))
		return;
	char reason[256];
	snprintf(reason, sizeof(reason), "%s", dbr_error_last()->message);
	if (dbr__health_ban(&d->h, dbr__db_monconf(d), reason, dbr__mono_us(), 0))
		dbr__logm(DBR_LOG_WARN, "monitor", "database \"%s\" banned: %s", d->conf.alias, reason);
	dbr__pool_drop_idle(d->pool);
}

void dbr__db_member(dbr_member *m, char *pos, dbr__database *d, int64_t now)
{
	dbr__health *h = &d->h;
	m->banned_for_us = dbr__health_ban_left(h, now);
	m->healthy = m->banned_for_us == 0;
	m->lag_us = LOAD(h->lag_us);
	m->lag_bytes = LOAD(h->lag_bytes);
	m->role = LOAD(h->role);
	m->lagging = LOAD(h->lagging);
	int64_t at = atomic_load(&h->probed_at);
	m->probed_us_ago = at ? now - at : -1;
	m->position = NULL;
	if (at) {
		pthread_mutex_lock(&h->lock);
		memcpy(pos, h->position, DBR_POSITION_MAX);
		pthread_mutex_unlock(&h->lock);
		m->position = pos[0] ? pos : NULL;
	}
}

int dbr__db_member_out(char *note, size_t size, dbr__database *d, const dbr_member *m)
{
	const dbr__monconf *mc = dbr__db_monconf(d);
	int out = m->banned_for_us > 0 || (m->lagging && !m->is_primary);
	if (!out || !note) /* no trace: no note to format */
		return out;
	if (m->banned_for_us > 0) {
		char reason[256];
		pthread_mutex_lock(&d->h.lock);
		snprintf(reason, sizeof(reason), "%s", d->h.reason);
		pthread_mutex_unlock(&d->h.lock);
		snprintf(note, size, "banned %.1f s more: %s", (double)m->banned_for_us / 1e6, reason);
		return 1;
	}
	if (m->lagging && !m->is_primary) {
		snprintf(note, size, "lagging: lag %.1f s / %lld bytes (max_lag %g s, max_lag_bytes %lld)",
		         (double)m->lag_us / 1e6, (long long)m->lag_bytes, mc->max_lag,
		         (long long)mc->max_lag_bytes);
		return 1;
	}
	return 0;
}

const char *dbr__role_name(int role)
{
	return role == DBR_ROLE_PRIMARY ? "primary" : role == DBR_ROLE_REPLICA ? "replica" : "unknown";
}

int dbr__db_writable(dbr__database *d)
{
	if (d->primary)
		return 0;
	int role = LOAD(d->h.role);
	if (role != DBR_ROLE_REPLICA && !LOAD(d->h.read_only))
		return 0;
	return dbr__err(DBR_EROUTE, "25006",
	                "database \"%s\" is configured as a primary but the monitor saw it %s: "
	                "writes refused (failover? point the configuration at the new primary)",
	                d->conf.alias, role == DBR_ROLE_REPLICA ? "as a replica (in recovery)" : "read-only");
}

void dbr__db_state(dbr_member_state *out, dbr__database *d)
{
	dbr_member_state st;
	memset(&st, 0, sizeof(st));
	st.struct_size = sizeof(st);
	int64_t now = dbr__mono_us();
	dbr_member m = { 0 };
	dbr__db_member(&m, st.position, d, now);
	st.monitored = dbr__db_monitored(d);
	st.role = m.role;
	st.read_only = LOAD(d->h.read_only);
	st.healthy = m.healthy;
	st.lagging = m.lagging;
	st.banned_for_us = m.banned_for_us;
	st.lag_us = m.lag_us;
	st.lag_bytes = m.lag_bytes;
	st.probed_us_ago = m.probed_us_ago;
	pthread_mutex_lock(&d->h.lock);
	snprintf(st.ban_reason, sizeof(st.ban_reason), "%s", d->h.reason);
	pthread_mutex_unlock(&d->h.lock);
	st.bans = LOAD(d->h.bans);
	st.retries = LOAD(d->h.retries);
	st.connect_attempts = LOAD(d->h.connect_attempts);
	size_t n = out->struct_size < sizeof(st) ? out->struct_size : sizeof(st);
	size_t keep = out->struct_size;
	memcpy(out, &st, n);
	out->struct_size = keep;
}

/* ------------------------------------------------------------ the pool's hooks */

int dbr__health_gate_owner(void *owner)
{
	dbr__database *d = owner;
	/* The primary is never banned for writes: its connects always go. */
	if (!d || !d->primary)
		return 0;
	int64_t left = 0;
	if (!dbr__health_gate(&d->h, dbr__db_monconf(d), dbr__mono_us(), &left))
		return 0;
	char reason[256];
	pthread_mutex_lock(&d->h.lock);
	snprintf(reason, sizeof(reason), "%s", d->h.reason);
	pthread_mutex_unlock(&d->h.lock);
	return dbr__err(DBR_ECONNECT, "08001", "\"%s\" is banned for %.1f s: %s", d->conf.alias,
	                (double)left / 1e6, reason);
}

void dbr__health_connected_owner(void *owner, int rc)
{
	dbr__database *d = owner;
	(void)rc;
	if (d)
		DBR__COUNT(d->h.connect_attempts, 1);
}

/* The last value of `key` among the view's options, or NULL. */
static const char *last_option(const dbr_url_view *v, const char *key)
{
	const char *val = NULL;
	for (size_t i = 0; i < v->noptions; i++)
		if (strcmp(v->keys[i], key) == 0)
			val = v->values[i];
	return val;
}

const dbr_url_view *dbr__health_connect_view(dbr_url_view *tmp, const char **keys,
                                             const char **values, char *num, size_t numsz,
                                             void *owner, const dbr_url_view *url,
                                             int64_t left_us)
{
	const dbr__database *d = owner;
	if (!d || !d->timeouts_ok)
		return url;
	const char *mine = last_option(url, "connect_timeout");
	double limit = mine ? strtod(mine, NULL) : 5.0; /* the drivers' default */
	double left = left_us > 0 ? (double)left_us / 1e6 : 0.001;
	if (limit > 0 && limit <= left)
		return url;
	*tmp = *url;
	for (size_t i = 0; i < url->noptions; i++) {
		keys[i] = url->keys[i];
		values[i] = url->values[i];
	}
	snprintf(num, numsz, "%.3f", left < 0.001 ? 0.001 : left);
	keys[url->noptions] = "connect_timeout";
	values[url->noptions] = num;
	tmp->noptions = url->noptions + 1;
	tmp->keys = keys;
	tmp->values = values;
	return tmp;
}
