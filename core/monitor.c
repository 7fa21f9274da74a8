/* SPDX-License-Identifier: MIT */
/* monitor.c — the cluster monitor: one thread per dbr, started when a
 * cluster has replicas (or `monitor` is configured), probing each watched
 * database every `interval` (±10 % jitter) on a connection of its own,
 * outside the pool, bounded by `timeout` (connect_timeout and read_timeout
 * appended to the driver's options). It takes referenced snapshots of the
 * databases and holds no lock of the handle during I/O; facts go to each
 * database's dbr__health (health.c). dbr_close wakes and joins it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dbr_private.h"

/* ------------------------------------------------------------ probe view */

static const char *const TIMEOUT_KEYS[] = { "connect_timeout", "read_timeout" };

/* 1 if the driver's check accepts `key` (a number of seconds) appended. */
static int driver_takes(dbr__database *d, const char *key)
{
	size_t n = d->view.noptions;
	const char **k = calloc(n + 1, sizeof(*k)), **v = calloc(n + 1, sizeof(*v));
	int ok = 0;
	if (k && v) {
		memcpy(k, d->view.keys, n * sizeof(*k));
		memcpy(v, d->view.values, n * sizeof(*v));
		k[n] = key;
		v[n] = "1";
		dbr_url_view t = d->view;
		t.noptions = n + 1;
		t.keys = k;
		t.values = v;
		const dbr_url_view *scope = dbr__secret_scope(&d->view);
		ok = DBR__CALL_KEEP(d->ops->check(&t)) == 0;
		dbr__secret_scope(scope);
	}
	free(k);
	free(v);
	return ok;
}

int dbr__monitor_prepare(dbr__database *d)
{
	size_t n = d->view.noptions;
	d->probe_keys = calloc(n + 3, sizeof(char *));
	d->probe_values = calloc(n + 3, sizeof(char *));
	if (!d->probe_keys || !d->probe_values)
		return dbr__err(DBR_ENOMEM, NULL, "out of memory");
	memcpy(d->probe_keys, d->view.keys, n * sizeof(char *));
	memcpy(d->probe_values, d->view.values, n * sizeof(char *));
	d->probe_view = d->view;
	for (size_t i = 0; i < 2; i++)
		if (driver_takes(d, TIMEOUT_KEYS[i])) {
			d->timeouts_ok |= 1 << i;
			d->probe_keys[n] = TIMEOUT_KEYS[i];
			d->probe_values[n++] = d->probe_num; /* written before each connect */
		}
	d->probe_view.noptions = n;
	d->probe_view.keys = d->probe_keys;
	d->probe_view.values = d->probe_values;
	return 0;
}

/* ------------------------------------------------------------ one probe */

void dbr__monitor_forget(dbr__database *d)
{
	if (!d->probe)
		return;
	const dbr_url_view *scope = dbr__secret_scope(&d->view);
	d->ops->close(d->probe);
	dbr__secret_scope(scope);
	d->probe = NULL;
}

static void probe_failed(dbr__database *d, const dbr__monconf *mc, int64_t now)
{
	char reason[256];
	snprintf(reason, sizeof(reason), "probe failed: %s", dbr_error_last()->message);
	dbr__monitor_forget(d);
	if (dbr__health_ban(&d->h, mc, reason, now, 1)) {
		dbr__logm(DBR_LOG_WARN, "monitor", "database \"%s\" banned: %s", d->conf.alias, reason);
		dbr__pool_drop_idle(d->pool);
	}
}

static void probe_ok(dbr__database *d, const dbr__monconf *mc, const dbr_repl_info *ri,
                     int64_t now)
{
	int prev = 0;
	int what = dbr__health_probe_ok(&d->h, mc, ri, d->primary != NULL, now, &prev);
	const char *a = d->conf.alias;
	if (what & DBR__H_READMITTED)
		dbr__logm(DBR_LOG_INFO, "monitor", "database \"%s\" re-admitted after %d good probes", a,
		          mc->recover_after);
	if (what & DBR__H_LAGGING)
		dbr__logm(DBR_LOG_WARN, "monitor", "database \"%s\" excluded from reads: lag %.1f s / %lld "
		          "bytes over max_lag %g s / max_lag_bytes %lld", a, (double)ri->lag_us / 1e6,
		          (long long)ri->lag_bytes, mc->max_lag, (long long)mc->max_lag_bytes);
	if (what & DBR__H_CAUGHT_UP)
		dbr__logm(DBR_LOG_INFO, "monitor", "database \"%s\" caught up: back in rotation", a);
	if (what & DBR__H_ROLE)
		dbr__logm(DBR_LOG_WARN, "monitor", "database \"%s\" (configured as a %s) changed role: "
		          "%s → %s", a, d->primary ? "replica" : "primary", dbr__role_name(prev),
		          dbr__role_name((int)ri->role));
}

/* Connects if needed, then asks repl_info (or pings). */
static void probe(dbr__database *d, int64_t now)
{
	const dbr__monconf *mc = dbr__db_monconf(d);
	const char *drv = d->driver->desc->name;
	const dbr_url_view *scope = dbr__secret_scope(&d->view);
	int rc = 0;
	dbr__err_clear();
	if (!d->probe) {
		snprintf(d->probe_num, sizeof(d->probe_num), "%g", mc->timeout);
		DBR__COUNT(d->h.connect_attempts, 1);
		rc = DBR__DRIVER_CALL(drv, d->ops, connect, &d->probe, &d->probe_view);
		if (rc)
			d->probe = NULL;
	}
	dbr_repl_info ri;
	memset(&ri, 0, sizeof(ri));
	ri.struct_size = sizeof(ri);
	if (rc == 0 && d->ops->repl_info) {
		rc = DBR__DRIVER_CALL(drv, d->ops, repl_info, &ri, d->probe);
	} else if (rc == 0) { /* without repl_info: a primary, no position */
		rc = DBR__DRIVER_CALL(drv, d->ops, ping, d->probe);
		ri.role = DBR_ROLE_PRIMARY;
	}
	ri.position[DBR_POSITION_MAX - 1] = '\0';
	if (rc)
		probe_failed(d, mc, dbr__mono_us());
	else
		probe_ok(d, mc, &ri, dbr__mono_us());
	dbr__secret_scope(scope);
	(void)now;
}

/* ------------------------------------------------------------ the thread */

static int stopping(dbr *db)
{
	pthread_mutex_lock(&db->mon_lock);
	int stop = db->mon_stop;
	pthread_mutex_unlock(&db->mon_lock);
	return stop;
}

/* interval ± 10 %. */
static int64_t next_due(const dbr__monconf *mc, unsigned *seed)
{
	double j = 0.9 + 0.2 * ((double)rand_r(seed) / RAND_MAX);
	return dbr__mono_us() + (int64_t)(mc->interval * j * 1e6);
}

static void *probe_main(void *arg)
{
	probe(arg, dbr__mono_us());
	return NULL;
}

/* Probes every watched member that is due, at the same time: a hung
 * member costs the others nothing (each probe is bounded by `timeout`).
 * Beyond MAX_PROBERS, or if a thread cannot start, probes run inline. */
#define MAX_PROBERS 16
static void probe_due(dbr__database **v, size_t n, dbr *db)
{
	pthread_t th[MAX_PROBERS];
	size_t nth = 0;
	for (size_t i = 0; i < n; i++) {
		dbr__database *d = v[i];
		if ((atomic_load(&d->refs) & DBR__DB_REMOVED) || !dbr__db_monitored(d) ||
		    stopping(db) || dbr__mono_us() < d->next_probe)
			continue;
		d->probed_now = 1;
		if (nth < MAX_PROBERS && pthread_create(&th[nth], NULL, probe_main, d) == 0)
			nth++;
		else
			probe(d, dbr__mono_us());
	}
	for (size_t i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
}

/* One pass over a referenced snapshot of the databases: probes those due.
 * Returns when the next one is due (at most 1 s ahead). */
static int64_t pass(dbr *db, unsigned *seed)
{
	int64_t next = dbr__mono_us() + 1000000;
	pthread_rwlock_rdlock(&db->dbs_lock);
	size_t n = db->ndbs;
	dbr__database **v = calloc(n ? n : 1, sizeof(*v));
	for (size_t i = 0; v && i < n; i++) {
		v[i] = db->dbs[i];
		dbr__db_ref(v[i]);
	}
	pthread_rwlock_unlock(&db->dbs_lock);
	if (!v)
		return next;
	probe_due(v, n, db);
	for (size_t i = 0; i < n; i++) {
		dbr__database *d = v[i];
		int removed = atomic_load(&d->refs) & DBR__DB_REMOVED;
		if (!removed && dbr__db_monitored(d) && !stopping(db)) {
			if (d->probed_now)
				d->next_probe = next_due(dbr__db_monconf(d), seed);
			d->probed_now = 0;
			if (d->next_probe < next)
				next = d->next_probe;
		}
		/* A removed (or no longer watched) database's probe connection goes now. */
		if (removed || !dbr__db_monitored(d) || atomic_load(&d->refs) & DBR__DB_REMOVED)
			dbr__monitor_forget(d);
		dbr__db_put(db, d);
	}
	free(v);
	return next;
}

static void *monitor_main(void *arg)
{
	dbr *db = arg;
	unsigned seed = (unsigned)dbr__mono_us() ^ (unsigned)db->id;
	dbr__logm(DBR_LOG_INFO, "monitor", "monitor started");
	pthread_mutex_lock(&db->mon_lock);
	while (!db->mon_stop) {
		pthread_mutex_unlock(&db->mon_lock);
		int64_t next = pass(db, &seed);
		pthread_mutex_lock(&db->mon_lock);
		if (db->mon_stop)
			break;
		struct timespec ts = { .tv_sec = next / 1000000, .tv_nsec = (next % 1000000) * 1000 };
		pthread_cond_timedwait(&db->mon_wake, &db->mon_lock, &ts);
	}
	pthread_mutex_unlock(&db->mon_lock);
	return NULL;
}

/* Some database needs watching: a cluster, or monitor configured. */
static int needed(dbr *db)
{
	int need = 0;
	pthread_rwlock_rdlock(&db->dbs_lock);
	for (size_t i = 0; i < db->ndbs && !need; i++)
		need = dbr__db_monitored(db->dbs[i]);
	pthread_rwlock_unlock(&db->dbs_lock);
	return need;
}

void dbr__monitor_ensure(dbr *db)
{
	if (atomic_load_explicit(&db->mon_running, memory_order_acquire) || !needed(db))
		return;
	pthread_mutex_lock(&db->mon_lock);
	if (!atomic_load(&db->mon_running) && !db->mon_stop) {
		if (pthread_create(&db->mon_thread, NULL, monitor_main, db) == 0)
			atomic_store_explicit(&db->mon_running, 1, memory_order_release);
		else
			dbr__logm(DBR_LOG_ERROR, "monitor", "cannot start the monitor thread");
	}
	pthread_mutex_unlock(&db->mon_lock);
}

void dbr__monitor_stop(dbr *db)
{
	pthread_mutex_lock(&db->mon_lock);
	db->mon_stop = 1;
	int running = atomic_load(&db->mon_running);
	pthread_cond_signal(&db->mon_wake);
	pthread_mutex_unlock(&db->mon_lock);
	if (running)
		pthread_join(db->mon_thread, NULL);
}
