/* SPDX-License-Identifier: MIT */
/* pool.c — connections of one alias: reuse idle ones, open new ones up to
 * max_connections, wait up to acquire_timeout (first come, first served:
 * a release hands its connection, or its free slot, to the oldest waiter).
 *
 * Network I/O (connect, ping, reset, close) never happens under the pool
 * lock: a slot is reserved under the lock ("pending"), the I/O runs outside
 * it, and the outcome is booked under the lock again. A maintenance thread
 * (started only when there is something to maintain) retires idle and old
 * connections and keeps min_connections warm; callers never do that work.
 * Ages are measured with dbr_clock_now() (replaceable in tests); waits with
 * the monotonic clock. With transaction_timeout the maintenance thread also
 * reaps transactions left open too long (leases, below). */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* One caller waiting for a connection; lives on the caller's stack. */
typedef struct waiter {
	pthread_cond_t cond;
	dbr__conn *conn;     /* a connection handed over by a release */
	int slot;            /* or a free slot: the waiter connects itself */
	int64_t since;       /* queued at (mono_us) */
	struct waiter *next;
} waiter;

/* Fairness is bounded, not strict: a released connection goes idle and
 * wakes the oldest waiter, but a running thread may take it first (it is
 * hot: no context switch, no convoy where every acquire waits for a
 * wake-up). Once the oldest waiter has waited HANDOFF_US, releases hand
 * connections to it directly, first come first served, until the queue
 * is served in time again (Go's sync.Mutex starvation mode). */
#define HANDOFF_US 2000

struct dbr__pool {
	pthread_mutex_t lock;
	const dbr_driver_ops *ops;
	const char *driver;  /* the driver's name, for messages */
	const dbr_url_view *url;
	dbr__pool_conf conf;
	int keep_one;        /* DBR_DRIVER_KEEP_ONE: never reap the last one */
	dbr__conn *idle;     /* LIFO: the warmest first */
	size_t nidle;
	size_t open;         /* slots taken: connections + connects/closes under way */
	size_t pending;      /* of which a connect or close is under way */
	size_t connecting;   /* of which a connect is under way */
	waiter *whead, *wtail;
	size_t waiting;
	uint64_t acquires, timeouts, connect_errors, wait_us_total, wait_us_max;
	uint64_t waits, connects; /* metrics (metrics.c), under the lock like the rest */
	char last_error[512]; /* the last connect failure (drivers mask passwords) */
	int warm_failing;    /* the warm-up's last connect failed (log once) */
	/* maintenance thread */
	pthread_t thread;
	int has_thread, stop;
	pthread_cond_t wake;
	int64_t tick_us;
	struct dbr__lease *leases; /* with a deadline: the reaper's to watch */
	/* The database (health.c: ban gate, connect view); set after the
	 * maintenance thread may have started, hence atomic. */
	_Atomic(void *) owner;
};

enum { LEASE_ACTIVE, LEASE_IN_CALL, LEASE_EXPIRED };

struct dbr__lease {
	atomic_int state;    /* LEASE_*: the owner/reaper handoff */
	int calls;           /* the owner's nested claims (owner only) */
	dbr__conn *c;        /* set before the lease is listed, then read-only */
	int64_t deadline_us; /* library clock; 0: no timeout, never listed */
	struct dbr__lease *prev, *next; /* p->leases, under p->lock */
};

enum { TAKE_CONN = 1, TAKE_SLOT, TAKE_STALE };

/* ------------------------------------------------------------ clocks */

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* A monotonic-clock deadline as the absolute time timedwait wants. */
static struct timespec mono_ts(int64_t at_us)
{
	return (struct timespec){ .tv_sec = at_us / 1000000, .tv_nsec = (at_us % 1000000) * 1000 };
}

static int cond_init_mono(pthread_cond_t *c)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	int rc = pthread_cond_init(c, &ca);
	pthread_condattr_destroy(&ca);
	return rc;
}

static int64_t seconds_us(double s)
{
	return (int64_t)(s * 1e6);
}

static int lifetime_over(const dbr__pool *p, const dbr__conn *c, int64_t now)
{
	return p->conf.max_lifetime > 0 && now - c->created_us >= seconds_us(p->conf.max_lifetime);
}

static int idle_over(const dbr__pool *p, const dbr__conn *c, int64_t now)
{
	return p->conf.idle_timeout > 0 && now - c->used_us >= seconds_us(p->conf.idle_timeout);
}

/* Connections that exist and are not being closed (lock held). */
static size_t live_locked(const dbr__pool *p)
{
	return p->open - p->pending;
}

/* KEEP_ONE: the last live connection holds the data (a memory database). */
static int must_keep_locked(const dbr__pool *p)
{
	return p->keep_one && live_locked(p) <= 1;
}

/* ------------------------------------------------------------ hand-over */

/* Gives a connection (or, for NULL, a free slot) to the oldest waiter;
 * else the connection goes idle, the slot is freed. Lock held. */
static int starving_locked(const dbr__pool *p)
{
	return p->whead && mono_us() - p->whead->since >= HANDOFF_US;
}

static void give_locked(dbr__pool *p, dbr__conn *c)
{
	waiter *w = p->whead;
	if (w && c && !starving_locked(p)) {
		/* Idle, and the oldest waiter is woken to take it unless a
		 * running thread does first. */
		c->next = p->idle;
		p->idle = c;
		p->nidle++;
		pthread_cond_signal(&w->cond);
		return;
	}
	if (w) {
		p->whead = w->next;
		if (!p->whead)
			p->wtail = NULL;
		if (c) {
			w->conn = c;
		} else {
			w->slot = 1;
			p->pending++;
			p->connecting++;
		}
		pthread_cond_signal(&w->cond);
		return;
	}
	if (c) {
		c->next = p->idle;
		p->idle = c;
		p->nidle++;
		return;
	}
	p->open--;
	if (p->has_thread && p->open < (size_t)p->conf.min_connections)
		pthread_cond_signal(&p->wake);
}

/* Closes a connection whose slot is pending (outside the lock), then frees
 * the slot. */
static void discard(dbr__pool *p, dbr__conn *c)
{
	p->ops->close(c->conn);
	dbr__logm(DBR_LOG_INFO, "pool", "database \"%s\" (%s): disconnected", p->url->alias, p->url->masked);
	free(c);
	pthread_mutex_lock(&p->lock);
	p->pending--;
	give_locked(p, NULL);
	pthread_mutex_unlock(&p->lock);
}

/* The view a connect uses: with a deadline (an acquire's), its
 * connect_timeout is bounded by the time left (health.c). */
static int connect_driver(dbr__conn *c, dbr__pool *p, int64_t deadline)
{
	const dbr_url_view *v = p->url;
	dbr_url_view tmp;
	const char **keys = NULL, **values = NULL;
	char num[32];
	void *owner = atomic_load(&p->owner);
	if (deadline && owner) {
		keys = calloc(p->url->noptions + 1, sizeof(*keys));
		values = calloc(p->url->noptions + 1, sizeof(*values));
		if (keys && values)
			v = dbr__health_connect_view(&tmp, keys, values, num, sizeof(num), owner, p->url,
			                             deadline - mono_us());
	}
	int rc = DBR__DRIVER_CALL(p->driver, p->ops, connect, &c->conn, v);
	free(keys);
	free(values);
	dbr__health_connected_owner(owner, rc);
	return rc;
}

/* Opens a connection for a pending slot (bounded by `deadline`, 0: none).
 * On failure the slot is freed (an `extra` one just goes away) and the
 * error kept for the timeout message; returns the driver's code. */
static int connect_slot(dbr__conn **out, dbr__pool *p, int extra, int64_t deadline)
{
	dbr__conn *c = calloc(1, sizeof(*c));
	const dbr_url_view *scope = dbr__secret_scope(p->url);
	int rc = c ? connect_driver(c, p, deadline) : dbr__err(DBR_ENOMEM, NULL, "out of memory");
	dbr__secret_scope(scope);
	dbr__logm(rc ? DBR_LOG_WARN : DBR_LOG_INFO, "pool", "database \"%s\" (%s): %s%s", p->url->alias, p->url->masked, rc ? "connect failed: " : "connected", rc ? dbr_error_last()->message : "");
	pthread_mutex_lock(&p->lock);
	p->pending--;
	p->connecting--;
	p->connects += rc == 0;
	if (rc) {
		p->connect_errors++;
		snprintf(p->last_error, sizeof(p->last_error), "%s", dbr_error_last()->message);
		if (extra)
			p->open--;
		else
			give_locked(p, NULL);
	}
	pthread_mutex_unlock(&p->lock);
	if (rc) {
		free(c);
		return rc;
	}
	c->created_us = c->used_us = dbr_clock_now();
	*out = c;
	return 0;
}

/* ------------------------------------------------------------ acquire */

static void dequeue_locked(dbr__pool *p, waiter *w)
{
	waiter **pp = &p->whead, *prev = NULL;
	while (*pp && *pp != w) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (!*pp)
		return;
	*pp = w->next;
	if (p->wtail == w)
		p->wtail = prev;
}

/* Names the alias and masked URL in a connect error, unless the driver's
 * message already does (drivers name the alias). */
static int unreachable(const dbr__pool *p)
{
	char quoted[160];
	snprintf(quoted, sizeof(quoted), "\"%s\"", p->url->alias);
	if (strstr(dbr_error_last()->message, quoted))
		return dbr__err_prefix("unreachable");
	return dbr__err_prefix("database \"%s\" unreachable (%s)", p->url->alias, p->url->masked);
}

/* The DBR_ETIMEOUT of an acquire: unreachable if connects failed during the
 * wait (or one is still under way), else exhausted. Lock held. */
static int timeout_locked(dbr__pool *p, uint64_t errors_before)
{
	p->timeouts++;
	if (p->connect_errors > errors_before || p->connecting > 0)
		return dbr__err(DBR_ETIMEOUT, "08001",
		                "database \"%s\" (%s) unreachable: no connection within acquire_timeout = %g s; "
		                "last connect error: %s", p->url->alias, p->url->masked,
		                p->conf.acquire_timeout, p->last_error[0] ? p->last_error : "(none yet)");
	return dbr__err(DBR_ETIMEOUT, NULL,
	                "pool of \"%s\" exhausted: all %d connections in use, none freed within "
	                "acquire_timeout = %g s", p->url->alias, p->conf.max_connections,
	                p->conf.acquire_timeout);
}

static void wait_booked_locked(dbr__pool *p, int64_t since)
{
	uint64_t us = (uint64_t)(mono_us() - since);
	p->wait_us_total += us;
	if (us > p->wait_us_max)
		p->wait_us_max = us;
}

/* Takes the newest idle connection: TAKE_STALE if past max_lifetime (its
 * slot is then pending: close it). Lock held. */
static int pop_idle_locked(dbr__pool *p, dbr__conn **c)
{
	*c = p->idle;
	p->idle = (*c)->next;
	p->nidle--;
	if (lifetime_over(p, *c, dbr_clock_now()) && !must_keep_locked(p)) {
		p->pending++;
		return TAKE_STALE;
	}
	return TAKE_CONN;
}

/* Queues the caller until a release hands it something or the deadline
 * passes. Lock held. Returns TAKE_CONN / TAKE_SLOT or DBR_ETIMEOUT. */
static int wait_locked(dbr__pool *p, dbr__conn **c, int64_t deadline)
{
	waiter w = { .conn = NULL, .since = mono_us() };
	if (cond_init_mono(&w.cond))
		return dbr__err(DBR_ENOMEM, NULL, "cannot wait for a connection: out of resources");
	if (p->wtail)
		p->wtail->next = &w;
	else
		p->whead = &w;
	p->wtail = &w;
	p->waiting++;
	p->waits++;
	dbr__logm(DBR_LOG_DEBUG, "pool", "pool of \"%s\" full (%d connections in use): waiting up to acquire_timeout = %g s", p->url->alias, p->conf.max_connections, p->conf.acquire_timeout);
	uint64_t errors_before = p->connect_errors;
	struct timespec ts = mono_ts(deadline);
	int rc = 0, took = 0;
	while (!w.conn && !w.slot && rc != ETIMEDOUT) {
		rc = pthread_cond_timedwait(&w.cond, &p->lock, &ts);
		if (!w.conn && !w.slot && p->idle) { /* woken to an idle one */
			dequeue_locked(p, &w);
			took = pop_idle_locked(p, c);
			break;
		}
	}
	p->waiting--;
	wait_booked_locked(p, w.since);
	pthread_cond_destroy(&w.cond);
	if (took)
		return took;
	if (w.conn) {
		*c = w.conn;
		return TAKE_CONN;
	}
	if (w.slot)
		return TAKE_SLOT;
	dequeue_locked(p, &w);
	return timeout_locked(p, errors_before);
}

/* One step of an acquire, lock held: an idle connection (TAKE_STALE if past
 * max_lifetime: its slot is pending, close it), a reserved slot to connect,
 * or a wait. A running thread may take an idle connection before a woken
 * waiter does, but not once the oldest waiter has waited HANDOFF_US. */
static int take_locked(dbr__pool *p, dbr__conn **c, int64_t deadline)
{
	if (p->idle && starving_locked(p)) {
		/* The oldest waiter has waited long enough: it goes first. */
		dbr__conn *idle = p->idle;
		p->idle = idle->next;
		p->nidle--;
		give_locked(p, idle);
	}
	if (p->idle)
		return pop_idle_locked(p, c);
	if (!p->whead && p->open < (size_t)p->conf.max_connections) {
		p->open++;
		p->pending++;
		p->connecting++;
		return TAKE_SLOT;
	}
	return wait_locked(p, c, deadline);
}

/* An idle connection past test_before_acquire is pinged first. */
static int usable(dbr__pool *p, dbr__conn *c)
{
	double t = p->conf.test_before_acquire;
	if (t < 0 || dbr_clock_now() - c->used_us < seconds_us(t))
		return 1;
	const dbr_url_view *scope = dbr__secret_scope(p->url);
	int rc = DBR__DRIVER_CALL(p->driver, p->ops, ping, c->conn);
	dbr__secret_scope(scope);
	return rc == 0;
}

/* A connection that failed its ping: its slot becomes pending, then it
 * closes. */
static void drop_broken(dbr__pool *p, dbr__conn *c)
{
	pthread_mutex_lock(&p->lock);
	p->pending++;
	pthread_mutex_unlock(&p->lock);
	discard(p, c);
}

int dbr__pool_acquire(dbr__conn **out, dbr__pool *p)
{
	int64_t deadline = mono_us() + seconds_us(p->conf.acquire_timeout);
	pthread_mutex_lock(&p->lock);
	p->acquires++;
	for (;;) {
		dbr__conn *c = NULL;
		int took = take_locked(p, &c, deadline);
		pthread_mutex_unlock(&p->lock);
		if (took == DBR_ETIMEOUT) dbr__logm(DBR_LOG_INFO, "pool", "%s", dbr_error_last()->message);
		if (took < 0)
			return took;
		if (took == TAKE_SLOT) {
			/* A banned member between backoff trials: fail fast, no connect. */
			int rc = dbr__health_gate_owner(atomic_load(&p->owner));
			if (rc) {
				pthread_mutex_lock(&p->lock);
				p->pending--;
				p->connecting--;
				give_locked(p, NULL);
				pthread_mutex_unlock(&p->lock);
				return rc;
			}
			rc = connect_slot(out, p, 0, deadline);
			return rc ? unreachable(p) : 0;
		}
		if (took == TAKE_STALE)
			discard(p, c);
		else if (usable(p, c)) {
			*out = c;
			return 0;
		} else {
			drop_broken(p, c);
		}
		pthread_mutex_lock(&p->lock);
	}
}

void dbr__pool_set_owner(dbr__pool *p, void *owner)
{
	atomic_store(&p->owner, owner);
}

/* The server was found dead: its idle connections are too (else each
 * would fail one more statement after the member is re-admitted). */
void dbr__pool_drop_idle(dbr__pool *p)
{
	pthread_mutex_lock(&p->lock);
	dbr__conn *victims = p->keep_one ? NULL : p->idle;
	if (victims) {
		p->pending += p->nidle;
		p->idle = NULL;
		p->nidle = 0;
	}
	pthread_mutex_unlock(&p->lock);
	while (victims) {
		dbr__conn *next = victims->next;
		discard(p, victims);
		victims = next;
	}
}

/* ------------------------------------------------------------ release */

void dbr__pool_release(dbr__pool *p, dbr__conn *c, int broken)
{
	if (!c)
		return;
	const dbr_url_view *scope = dbr__secret_scope(p->url);
	if (!broken && p->ops->reset && DBR__CALL_KEEP(p->ops->reset(c->conn)))
		broken = 1;
	dbr__secret_scope(scope);
	int64_t now = dbr_clock_now();
	pthread_mutex_lock(&p->lock);
	if (broken || (lifetime_over(p, c, now) && !must_keep_locked(p))) {
		p->pending++;
		pthread_mutex_unlock(&p->lock);
		discard(p, c);
		return;
	}
	c->used_us = now;
	give_locked(p, c);
	pthread_mutex_unlock(&p->lock);
}

/* ------------------------------------------------------------ maintenance */

/* Unlinks the idle connections to retire (lifetime over; idle too long while
 * above min_connections; never the last one under KEEP_ONE) into a list;
 * their slots become pending. Lock held. */
static dbr__conn *victims_locked(dbr__pool *p)
{
	int64_t now = dbr_clock_now();
	dbr__conn *victims = NULL, **pp = &p->idle;
	while (*pp) {
		dbr__conn *c = *pp;
		int retire = lifetime_over(p, c, now) ||
		             (idle_over(p, c, now) && live_locked(p) > (size_t)p->conf.min_connections);
		if (!retire || must_keep_locked(p)) {
			pp = &c->next;
			continue;
		}
		*pp = c->next;
		p->nidle--;
		p->pending++;
		c->next = victims;
		victims = c;
	}
	return victims;
}

/* Reserves the slots missing to min_connections. Lock held. */
static int deficit_locked(dbr__pool *p)
{
	int need = p->conf.min_connections - (int)p->open;
	if (need <= 0)
		return 0;
	p->open += (size_t)need;
	p->pending += (size_t)need;
	p->connecting += (size_t)need;
	return need;
}

static void warm_failed(dbr__pool *p, int failing)
{
	pthread_mutex_lock(&p->lock);
	int was = p->warm_failing;
	p->warm_failing = failing;
	pthread_mutex_unlock(&p->lock);
	if (failing && !was)
		dbr__log(DBR_LOG_WARN, "pool of \"%s\": cannot keep min_connections open: %s",
		         p->url->alias, dbr_error_last()->message);
}

/* Opens `need` reserved slots; after a failure frees the rest (the next
 * pass retries: no tight loop against a dead server). */
static void warm(dbr__pool *p, int need)
{
	int failed = 0;
	for (int i = 0; i < need; i++) {
		dbr__conn *c = NULL;
		if (!failed && connect_slot(&c, p, 0, 0) == 0) {
			pthread_mutex_lock(&p->lock);
			give_locked(p, c);
			pthread_mutex_unlock(&p->lock);
			continue;
		}
		if (failed) {
			pthread_mutex_lock(&p->lock);
			p->pending--;
			p->connecting--;
			give_locked(p, NULL);
			pthread_mutex_unlock(&p->lock);
		}
		failed = 1;
	}
	if (need)
		warm_failed(p, failed);
}

/* Under KEEP_ONE the last connection cannot simply retire at max_lifetime:
 * takes it out of the idle list if it is due, and reserves a slot for its
 * successor (one over max_connections for the time of a connect). */
static dbr__conn *renewal_locked(dbr__pool *p)
{
	int64_t now = dbr_clock_now();
	dbr__conn *c = p->idle;
	if (!c || c->next || !must_keep_locked(p) || !lifetime_over(p, c, now))
		return NULL;
	p->idle = NULL;
	p->nidle--;
	p->open++;
	p->pending++;
	p->connecting++;
	return c;
}

/* Opens the successor before the old one closes: the data lives on. */
static void renew(dbr__pool *p, dbr__conn *old)
{
	dbr__conn *c = NULL;
	if (connect_slot(&c, p, 1, 0)) {
		pthread_mutex_lock(&p->lock);
		give_locked(p, old);
		pthread_mutex_unlock(&p->lock);
		return;
	}
	pthread_mutex_lock(&p->lock);
	give_locked(p, c);
	p->pending++; /* the old one is being closed: no longer counted live */
	pthread_mutex_unlock(&p->lock);
	p->ops->close(old->conn);
	dbr__logm(DBR_LOG_INFO, "pool", "database \"%s\" (%s): disconnected", p->url->alias, p->url->masked);
	free(old);
	pthread_mutex_lock(&p->lock);
	p->pending--;
	p->open--; /* the extra slot goes away, nobody inherits it */
	pthread_mutex_unlock(&p->lock);
}

/* ------------------------------------------------------------ leases */

static void lease_unlink_locked(dbr__pool *p, dbr__lease *l)
{
	if (l->prev)
		l->prev->next = l->next;
	else
		p->leases = l->next;
	if (l->next)
		l->next->prev = l->prev;
	l->prev = l->next = NULL;
}

int dbr__lease_new(dbr__lease **out, dbr__pool *p, dbr__conn *c)
{
	dbr__lease *l = calloc(1, sizeof(*l));
	if (!l)
		return dbr__err(DBR_ENOMEM, NULL, "out of memory");
	atomic_init(&l->state, LEASE_ACTIVE);
	l->c = c;
	if (p->conf.transaction_timeout > 0) {
		l->deadline_us = dbr_clock_now() + seconds_us(p->conf.transaction_timeout);
		pthread_mutex_lock(&p->lock);
		l->next = p->leases;
		if (p->leases)
			p->leases->prev = l;
		p->leases = l;
		pthread_mutex_unlock(&p->lock);
	}
	*out = l;
	return 0;
}

int dbr__lease_claim(dbr__lease *l)
{
	int want = LEASE_ACTIVE;
	if (l->calls > 0 ||
	    atomic_compare_exchange_strong(&l->state, &want, LEASE_IN_CALL)) {
		l->calls++;
		return 0;
	}
	return DBR_ETIMEOUT;
}

void dbr__lease_unclaim(dbr__lease *l)
{
	if (l->calls > 0 && --l->calls == 0)
		atomic_store(&l->state, LEASE_ACTIVE);
}

int dbr__lease_expired(const dbr__lease *l)
{
	return atomic_load(&l->state) == LEASE_EXPIRED;
}

void dbr__lease_end(dbr__pool *p, dbr__lease *l, int broken)
{
	if (!l)
		return;
	int reaped = dbr__lease_expired(l);
	if (l->deadline_us) {
		/* Claimed: unlink it. Reaped: the reaper unlinked it under the lock
		 * and may still be leaving it; taking the lock waits for that. */
		pthread_mutex_lock(&p->lock);
		if (!reaped)
			lease_unlink_locked(p, l);
		pthread_mutex_unlock(&p->lock);
	}
	if (!reaped)
		dbr__pool_release(p, l->c, broken);
	free(l);
}

/* Takes the leases past their deadline whose owner is not in a call; their
 * connections into a list. Lock held. */
static dbr__conn *reap_locked(dbr__pool *p, int *n)
{
	int64_t now = dbr_clock_now();
	dbr__conn *reaped = NULL;
	dbr__lease *next;
	for (dbr__lease *l = p->leases; l; l = next) {
		next = l->next;
		int want = LEASE_ACTIVE;
		if (now < l->deadline_us ||
		    !atomic_compare_exchange_strong(&l->state, &want, LEASE_EXPIRED))
			continue;
		dbr__conn *c = l->c;
		lease_unlink_locked(p, l);
		c->next = reaped;
		reaped = c;
		(*n)++;
	}
	return reaped;
}

/* Rolls back and gives back what reap_locked took: the driver's reset rolls
 * back (else, or if it fails, the connection closes, which rolls back on
 * the server). */
static void reap(dbr__pool *p)
{
	int n = 0;
	pthread_mutex_lock(&p->lock);
	dbr__conn *c = p->leases ? reap_locked(p, &n) : NULL;
	pthread_mutex_unlock(&p->lock);
	if (n)
		dbr__log(DBR_LOG_WARN, "pool of \"%s\": rolled back %d transaction%s left open longer "
		         "than transaction_timeout = %g s", p->url->alias, n, n > 1 ? "s" : "",
		         p->conf.transaction_timeout);
	while (c) {
		dbr__conn *next = c->next;
		dbr__pool_release(p, c, !p->ops->reset);
		c = next;
	}
}

void dbr__pool_maintain(dbr__pool *p)
{
	reap(p);
	pthread_mutex_lock(&p->lock);
	dbr__conn *victims = victims_locked(p);
	dbr__conn *old = renewal_locked(p);
	pthread_mutex_unlock(&p->lock);
	while (victims) {
		dbr__conn *next = victims->next;
		discard(p, victims);
		victims = next;
	}
	if (old)
		renew(p, old);
	pthread_mutex_lock(&p->lock);
	int need = p->stop ? 0 : deficit_locked(p);
	pthread_mutex_unlock(&p->lock);
	warm(p, need);
}

static void *maintenance_main(void *arg)
{
	dbr__pool *p = arg;
	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		pthread_mutex_unlock(&p->lock);
		dbr__pool_maintain(p);
		pthread_mutex_lock(&p->lock);
		if (p->stop)
			break;
		struct timespec ts = mono_ts(mono_us() + p->tick_us);
		pthread_cond_timedwait(&p->wake, &p->lock, &ts);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* A quarter of the shortest timeout, between 10 ms and 1 s: retirements are
 * late by at most that much. */
static int64_t tick_of(const dbr__pool_conf *c)
{
	double t = 1.0;
	if (c->idle_timeout > 0 && c->idle_timeout / 4 < t)
		t = c->idle_timeout / 4;
	if (c->max_lifetime > 0 && c->max_lifetime / 4 < t)
		t = c->max_lifetime / 4;
	if (c->transaction_timeout > 0 && c->transaction_timeout / 4 < t)
		t = c->transaction_timeout / 4;
	return seconds_us(t < 0.01 ? 0.01 : t);
}

static int needs_thread(const dbr__pool_conf *c)
{
	return c->min_connections > 0 || c->idle_timeout > 0 || c->max_lifetime > 0 ||
	       c->transaction_timeout > 0;
}

/* ------------------------------------------------------------ life */

int dbr__pool_new(dbr__pool **out, const dbr_driver_ops *ops, const char *driver,
                  const dbr_url_view *url, const dbr__pool_conf *conf)
{
	dbr__pool *p = calloc(1, sizeof(*p));
	if (!p)
		return dbr__err(DBR_ENOMEM, NULL, "out of memory");
	pthread_mutex_init(&p->lock, NULL);
	cond_init_mono(&p->wake);
	p->ops = ops;
	p->driver = driver;
	p->url = url;
	p->conf = *conf;
	p->keep_one = (ops->flags & DBR_DRIVER_KEEP_ONE) != 0;
	p->tick_us = tick_of(conf);
	if (needs_thread(conf)) {
		if (pthread_create(&p->thread, NULL, maintenance_main, p)) {
			dbr__pool_free(p);
			return dbr__err(DBR_ENOMEM, NULL, "pool of \"%s\": cannot start its maintenance thread",
			                url->alias);
		}
		p->has_thread = 1;
	}
	*out = p;
	return 0;
}

void dbr__pool_stats(dbr_pool_stats *out, dbr__pool *p)
{
	pthread_mutex_lock(&p->lock);
	*out = (dbr_pool_stats){
		.size = live_locked(p),
		.idle = p->nidle,
		.in_use = live_locked(p) - p->nidle,
		.max = (size_t)p->conf.max_connections,
		.acquires = p->acquires,
		.connect_errors = p->connect_errors,
		.waiting = p->waiting,
		.timeouts = p->timeouts,
		.wait_us_total = p->wait_us_total,
		.wait_us_max = p->wait_us_max,
	};
	pthread_mutex_unlock(&p->lock);
}

void dbr__pool_counts(uint64_t *waits, uint64_t *connects, dbr__pool *p)
{
	pthread_mutex_lock(&p->lock);
	*waits = p->waits;
	*connects = p->connects;
	pthread_mutex_unlock(&p->lock);
}

void dbr__pool_free(dbr__pool *p)
{
	if (!p)
		return;
	if (p->has_thread) {
		pthread_mutex_lock(&p->lock);
		p->stop = 1;
		pthread_cond_signal(&p->wake);
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->thread, NULL);
	}
	while (p->idle) {
		dbr__conn *c = p->idle;
		p->idle = c->next;
		p->ops->close(c->conn);
		dbr__logm(DBR_LOG_INFO, "pool", "database \"%s\" (%s): disconnected", p->url->alias, p->url->masked);
		free(c);
	}
	pthread_cond_destroy(&p->wake);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
