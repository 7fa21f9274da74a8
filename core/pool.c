/* pool.c — connections of one alias: reuse idle ones, open new ones up to
 * max_connections, wait up to acquire_timeout. Network I/O (connect, ping,
 * reset, close) never happens under the pool lock. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"

struct dbr__pool {
	pthread_mutex_t lock;
	pthread_cond_t freed;
	const dbr_driver_ops *ops;
	const dbr_url_view *url;
	dbr__pool_conf conf;
	dbr__conn *idle;    /* LIFO: the warmest first */
	size_t open, nidle, waiting;
	uint64_t acquires, timeouts, connect_errors;
};

int dbr__pool_new(dbr__pool **out, const dbr_driver_ops *ops, const dbr_url_view *url,
                  const dbr__pool_conf *conf)
{
	dbr__pool *p = calloc(1, sizeof(*p));
	if (!p)
		return dbr__err(DBR_ENOMEM, NULL, "out of memory");
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->freed, &ca);
	pthread_condattr_destroy(&ca);
	p->ops = ops;
	p->url = url;
	p->conf = *conf;
	*out = p;
	return 0;
}

static int64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void close_conn(dbr__pool *p, dbr__conn *c)
{
	p->ops->close(c->conn);
	free(c);
}

/* Opens a connection for a slot already reserved in p->open. */
static int open_conn(dbr__conn **out, dbr__pool *p)
{
	dbr__conn *c = calloc(1, sizeof(*c));
	if (!c)
		return dbr__err(DBR_ENOMEM, NULL, "out of memory");
	int rc = p->ops->connect(&c->conn, p->url);
	if (rc) {
		free(c);
		return rc < 0 ? rc : DBR_ECONNECT;
	}
	c->created_us = c->used_us = mono_us();
	*out = c;
	return 0;
}

static void slot_free(dbr__pool *p)
{
	pthread_mutex_lock(&p->lock);
	p->open--;
	pthread_cond_signal(&p->freed);
	pthread_mutex_unlock(&p->lock);
}

/* An idle connection past test_before_acquire is pinged first. */
static int usable(dbr__pool *p, dbr__conn *c)
{
	double t = p->conf.test_before_acquire;
	if (t < 0 || (double)(mono_us() - c->used_us) < t * 1e6)
		return 1;
	return p->ops->ping(c->conn) == 0;
}

int dbr__pool_acquire(dbr__conn **out, dbr__pool *p)
{
	int64_t deadline = mono_us() + (int64_t)(p->conf.acquire_timeout * 1e6);
	pthread_mutex_lock(&p->lock);
	p->acquires++;
	for (;;) {
		if (p->idle) {
			dbr__conn *c = p->idle;
			p->idle = c->next;
			p->nidle--;
			pthread_mutex_unlock(&p->lock);
			if (usable(p, c)) {
				*out = c;
				return 0;
			}
			close_conn(p, c);
			pthread_mutex_lock(&p->lock);
			p->open--;
			continue;
		}
		if (p->open < (size_t)p->conf.max_connections) {
			p->open++;
			pthread_mutex_unlock(&p->lock);
			int rc = open_conn(out, p);
			if (rc == 0)
				return 0;
			pthread_mutex_lock(&p->lock);
			p->connect_errors++;
			p->open--;
			pthread_cond_signal(&p->freed);
			pthread_mutex_unlock(&p->lock);
			return dbr__err_prefix("cannot connect to \"%s\" (%s)", p->url->alias, p->url->masked);
		}
		int64_t left = deadline - mono_us();
		if (left <= 0) {
			p->timeouts++;
			size_t max = p->open;
			pthread_mutex_unlock(&p->lock);
			return dbr__err(DBR_ETIMEOUT, NULL,
			                "pool of \"%s\" exhausted: all %zu connections in use for %.3g s (acquire_timeout)",
			                p->url->alias, max, p->conf.acquire_timeout);
		}
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		int64_t ns = ts.tv_nsec + (left % 1000000) * 1000;
		ts.tv_sec += left / 1000000 + ns / 1000000000;
		ts.tv_nsec = ns % 1000000000;
		p->waiting++;
		pthread_cond_timedwait(&p->freed, &p->lock, &ts);
		p->waiting--;
	}
}

void dbr__pool_release(dbr__pool *p, dbr__conn *c, int broken)
{
	if (!c)
		return;
	if (!broken && p->ops->reset && p->ops->reset(c->conn))
		broken = 1;
	if (broken) {
		close_conn(p, c);
		slot_free(p);
		return;
	}
	c->used_us = mono_us();
	pthread_mutex_lock(&p->lock);
	c->next = p->idle;
	p->idle = c;
	p->nidle++;
	pthread_cond_signal(&p->freed);
	pthread_mutex_unlock(&p->lock);
}

void dbr__pool_stats(dbr_pool_stats *out, dbr__pool *p)
{
	pthread_mutex_lock(&p->lock);
	out->size = p->open;
	out->idle = p->nidle;
	out->in_use = p->open - p->nidle;
	out->max = (size_t)p->conf.max_connections;
	out->acquires = p->acquires;
	out->connect_errors = p->connect_errors;
	pthread_mutex_unlock(&p->lock);
}

void dbr__pool_free(dbr__pool *p)
{
	if (!p)
		return;
	while (p->idle) {
		dbr__conn *c = p->idle;
		p->idle = c->next;
		close_conn(p, c);
	}
	pthread_cond_destroy(&p->freed);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
