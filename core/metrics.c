/* SPDX-License-Identifier: MIT */
/* metrics.c — the always-on counters: bumping a statement's (relaxed
 * atomics in the database record, no lock), snapshots (copied under the
 * registry's read lock, as the alias list is; the chain held by a
 * reference) and their Prometheus and JSON text. */
#include <inttypes.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dbr_private.h"

#define FIRST_BOUND_NS 16000ull /* bucket 0: up to 16 µs; bucket i: 16 µs * 2^i */

uint64_t dbr__metrics_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The bucket of a latency: the first whose bound is not below it. */
static size_t bucket_of(uint64_t ns)
{
	if (ns <= FIRST_BOUND_NS)
		return 0;
	uint64_t q = (ns - 1) / FIRST_BOUND_NS; /* >= 1: bucket = bits of q */
	size_t b = (size_t)(64 - __builtin_clzll(q));
	return b < DBR_METRICS_NBUCKETS - 1 ? b : DBR_METRICS_NBUCKETS - 1;
}

double dbr_metrics_bucket_le(size_t i)
{
	if (i >= DBR_METRICS_NBUCKETS)
		return NAN;
	if (i == DBR_METRICS_NBUCKETS - 1)
		return INFINITY;
	return (double)(FIRST_BOUND_NS << i) / 1e9;
}

/* Error class of a statement's code. */
static const struct {
	int code;
	dbr_metrics_error cls;
} err_classes[] = {
	{ DBR_ESQL, DBR_METRICS_ERR_SQL },
	{ DBR_ECONNECT, DBR_METRICS_ERR_CONNECT },
	{ DBR_ETIMEOUT, DBR_METRICS_ERR_TIMEOUT },
	{ DBR_EPARAM, DBR_METRICS_ERR_PARAM },
};

static dbr_metrics_error err_class(int rc)
{
	for (size_t i = 0; i < sizeof(err_classes) / sizeof(err_classes[0]); i++)
		if (err_classes[i].code == rc)
			return err_classes[i].cls;
	return DBR_METRICS_ERR_OTHER;
}

void dbr__metrics_stmt(dbr__database *d, dbr_intent intent, int rc, const dbr_result *r,
                       uint64_t t0)
{
	dbr__dbmetrics *m = &d->m;
	uint64_t ns = dbr__metrics_now() - t0;
	DBR__COUNT(m->stmts[intent == DBR_INTENT_READ ? 0 : 1], 1);
	DBR__COUNT(m->buckets[bucket_of(ns)], 1);
	DBR__COUNT(m->sum_ns, ns);
	if (rc) {
		DBR__COUNT(m->errors[err_class(rc)], 1);
		return;
	}
	if (!r)
		return;
	size_t rows = dbr_result_nrows(r);
	int64_t affected = dbr_result_affected(r);
	if (rows)
		DBR__COUNT(m->rows, rows);
	if (affected > 0)
		DBR__COUNT(m->affected, affected);
}

/* ------------------------------------------------------------ snapshots */

struct dbr_metrics {
	dbr_metrics_alias *aliases;
	size_t naliases;
	dbr_metrics_router *routers;
	size_t nrouters;
};

#define LOAD(x) atomic_load_explicit(&(x), memory_order_relaxed)

/* A copy of d's counters. Under the registry's read lock: d cannot be
 * unlinked, let alone freed, meanwhile. Errors: DBR_ENOMEM. */
static int alias_fill(dbr_metrics_alias *a, dbr__database *d)
{
	const dbr__dbmetrics *m = &d->m;
	dbr_pool_stats ps;
	a->struct_size = sizeof(*a);
	a->alias = dbr__strdup(d->conf.alias);
	a->replica_of = d->primary ? dbr__strdup(d->primary->conf.alias) : NULL;
	if (!a->alias || (d->primary && !a->replica_of))
		return DBR_ENOMEM;
	a->reads = LOAD(m->stmts[0]);
	a->writes = LOAD(m->stmts[1]);
	for (size_t i = 0; i < DBR_METRICS_NERR; i++)
		a->errors[i] = LOAD(m->errors[i]);
	a->rows = LOAD(m->rows);
	a->affected_rows = LOAD(m->affected);
	for (size_t i = 0; i < DBR_METRICS_NBUCKETS; i++)
		a->latency_count += a->latency_buckets[i] = LOAD(m->buckets[i]);
	a->latency_sum_ns = LOAD(m->sum_ns);
	dbr__pool_stats(&ps, d->pool);
	dbr__pool_counts(&a->pool_waits, &a->connects, d->pool);
	a->pool_wait_us = ps.wait_us_total;
	a->connect_failures = ps.connect_errors;
	a->retries = LOAD(d->h.retries);
	a->bans = LOAD(d->h.bans);
	return 0;
}

static int aliases_fill(dbr_metrics *m, dbr *db)
{
	int rc = 0;
	pthread_rwlock_rdlock(&db->dbs_lock);
	if (!(m->aliases = calloc(db->ndbs + 1, sizeof(*m->aliases))))
		rc = DBR_ENOMEM;
	for (size_t i = 0; rc == 0 && i < db->ndbs; i++)
		rc = alias_fill(&m->aliases[m->naliases++], db->dbs[i]);
	pthread_rwlock_unlock(&db->dbs_lock);
	return rc;
}

/* The chain is held by a reference: a swap meanwhile frees nothing of it. */
static int routers_fill(dbr_metrics *m, dbr *db)
{
	dbr__chain *c = dbr__chain_get(db);
	int rc = 0;
	if (!(m->routers = calloc(c->n + 1, sizeof(*m->routers))))
		rc = DBR_ENOMEM;
	for (size_t i = 0; rc == 0 && i < c->n; i++) {
		dbr__router *r = c->routers[i];
		dbr_metrics_router *o = &m->routers[m->nrouters++];
		*o = (dbr_metrics_router){ sizeof(*o), dbr__strdup(r->name), LOAD(r->answers),
		                           LOAD(r->picks), LOAD(r->exclusions) };
		if (!o->name)
			rc = DBR_ENOMEM;
	}
	dbr__chain_put(c);
	return rc;
}

int dbr_metrics_get(dbr_metrics **out, dbr *db)
{
	if (!out || !db)
		return dbr__err(DBR_EINVAL, NULL, "dbr_metrics_get: NULL argument");
	dbr_metrics *m = calloc(1, sizeof(*m));
	int rc = m ? aliases_fill(m, db) : DBR_ENOMEM;
	if (rc == 0)
		rc = routers_fill(m, db);
	if (rc) {
		dbr_metrics_free(m);
		return dbr__err(DBR_ENOMEM, NULL, "out of memory");
	}
	*out = m;
	return 0;
}

size_t dbr_metrics_alias_count(const dbr_metrics *m) { return m ? m->naliases : 0; }
size_t dbr_metrics_router_count(const dbr_metrics *m) { return m ? m->nrouters : 0; }

const dbr_metrics_alias *dbr_metrics_alias_at(const dbr_metrics *m, size_t i)
{
	return m && i < m->naliases ? &m->aliases[i] : NULL;
}

const dbr_metrics_router *dbr_metrics_router_at(const dbr_metrics *m, size_t i)
{
	return m && i < m->nrouters ? &m->routers[i] : NULL;
}

void dbr_metrics_free(dbr_metrics *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->naliases; i++) {
		free((char *)m->aliases[i].alias);
		free((char *)m->aliases[i].replica_of);
	}
	for (size_t i = 0; i < m->nrouters; i++)
		free((char *)m->routers[i].name);
	free(m->aliases);
	free(m->routers);
	free(m);
}

/* ------------------------------------------------------------ text */

static const char *const err_names[DBR_METRICS_NERR] = { "sql", "connect", "timeout", "param",
                                                         "other" };

/* A label value (Prometheus) or string body (JSON, which also escapes the
 * other control characters). */
static void put_escaped(FILE *f, const char *s, int json)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '\\' || ch == '"')
			fprintf(f, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", f);
		else if (json && ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
}

/* The per-alias counters both formats print, as a table. */
typedef struct alias_counter {
	const char *name; /* Prometheus name after "dbrouter_"; JSON key drops "_total" */
	const char *help;
	size_t off;       /* of a uint64_t in dbr_metrics_alias */
	double scale;     /* multiplier to the unit of the name */
} alias_counter;

#define AOFF(m) offsetof(dbr_metrics_alias, m)
static const alias_counter alias_counters[] = {
	{ "rows_total", "Rows returned by statements.", AOFF(rows), 1 },
	{ "affected_rows_total", "Rows changed by statements, as the driver reports them.",
	  AOFF(affected_rows), 1 },
	{ "retries_total", "Reads that failed here (connection-class) and were retried elsewhere.", AOFF(retries), 1 },
	{ "bans_total", "Times the cluster monitor banned the database.", AOFF(bans), 1 },
	{ "pool_waits_total", "Connection acquires that queued for a connection.", AOFF(pool_waits), 1 },
	{ "pool_wait_seconds_total", "Time spent queued for a connection.", AOFF(pool_wait_us), 1e-6 },
	{ "connects_total", "Connections opened.", AOFF(connects), 1 },
	{ "connect_failures_total", "Connection attempts that failed.", AOFF(connect_failures), 1 },
};
#define NALIAS_COUNTERS (sizeof(alias_counters) / sizeof(alias_counters[0]))

static uint64_t counter_at(const dbr_metrics_alias *a, size_t off)
{
	return *(const uint64_t *)(const void *)((const char *)a + off);
}

static void prom_head(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP dbrouter_%s %s\n# TYPE dbrouter_%s %s\n", name, help, name, type);
}

/* `dbrouter_NAME{alias="A"` — the caller adds the rest of the labels. */
static void prom_start(FILE *f, const char *name, const char *label, const char *value)
{
	fprintf(f, "dbrouter_%s{%s=\"", name, label);
	put_escaped(f, value, 0);
	fputc('"', f);
}

static void prom_histogram(FILE *f, const dbr_metrics *m)
{
	prom_head(f, "statement_duration_seconds", "histogram",
	          "Statement latency, from taking a connection to giving it back.");
	for (size_t i = 0; i < m->naliases; i++) {
		const dbr_metrics_alias *a = &m->aliases[i];
		uint64_t cum = 0;
		for (size_t b = 0; b < DBR_METRICS_NBUCKETS; b++) {
			cum += a->latency_buckets[b];
			prom_start(f, "statement_duration_seconds_bucket", "alias", a->alias);
			if (b == DBR_METRICS_NBUCKETS - 1)
				fprintf(f, ",le=\"+Inf\"} %" PRIu64 "\n", cum);
			else
				fprintf(f, ",le=\"%.9g\"} %" PRIu64 "\n", dbr_metrics_bucket_le(b), cum);
		}
		prom_start(f, "statement_duration_seconds_sum", "alias", a->alias);
		fprintf(f, "} %.9f\n", (double)a->latency_sum_ns / 1e9);
		prom_start(f, "statement_duration_seconds_count", "alias", a->alias);
		fprintf(f, "} %" PRIu64 "\n", cum);
	}
}

static void write_prometheus(FILE *f, const dbr_metrics *m)
{
	static const char *const intents[2] = { "read", "write" };
	prom_head(f, "statements_total", "counter", "Statements run, by intent.");
	for (size_t i = 0; i < m->naliases; i++)
		for (int k = 0; k < 2; k++) {
			prom_start(f, "statements_total", "alias", m->aliases[i].alias);
			fprintf(f, ",intent=\"%s\"} %" PRIu64 "\n", intents[k],
			        k ? m->aliases[i].writes : m->aliases[i].reads);
		}
	prom_head(f, "errors_total", "counter", "Statements that failed, by class.");
	for (size_t i = 0; i < m->naliases; i++)
		for (size_t k = 0; k < DBR_METRICS_NERR; k++) {
			prom_start(f, "errors_total", "alias", m->aliases[i].alias);
			fprintf(f, ",class=\"%s\"} %" PRIu64 "\n", err_names[k], m->aliases[i].errors[k]);
		}
	for (size_t c = 0; c < NALIAS_COUNTERS; c++) {
		const alias_counter *ac = &alias_counters[c];
		prom_head(f, ac->name, "counter", ac->help);
		for (size_t i = 0; i < m->naliases; i++) {
			prom_start(f, ac->name, "alias", m->aliases[i].alias);
			uint64_t v = counter_at(&m->aliases[i], ac->off);
			if (ac->scale == 1)
				fprintf(f, "} %" PRIu64 "\n", v);
			else
				fprintf(f, "} %.9f\n", (double)v * ac->scale);
		}
	}
	prom_histogram(f, m);
	static const struct {
		const char *name, *help;
		size_t off;
	} rc[] = {
		{ "router_answers_total", "Times db_for_read/db_for_write named an alias.",
		  offsetof(dbr_metrics_router, answers) },
		{ "router_picks_total", "Times select picked a member.", offsetof(dbr_metrics_router, picks) },
		{ "router_exclusions_total", "Members select excluded.",
		  offsetof(dbr_metrics_router, exclusions) },
	};
	for (size_t c = 0; c < sizeof(rc) / sizeof(rc[0]); c++) {
		prom_head(f, rc[c].name, "counter", rc[c].help);
		for (size_t i = 0; i < m->nrouters; i++) {
			prom_start(f, rc[c].name, "router", m->routers[i].name);
			fprintf(f, "} %" PRIu64 "\n",
			        *(const uint64_t *)(const void *)((const char *)&m->routers[i] + rc[c].off));
		}
	}
}

static void json_str(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	put_escaped(f, s, 1);
	fputc('"', f);
}

static void json_alias(FILE *f, const dbr_metrics_alias *a)
{
	fputs("{\"alias\":", f);
	json_str(f, a->alias);
	fputs(",\"replica_of\":", f);
	json_str(f, a->replica_of);
	fprintf(f, ",\"statements\":{\"read\":%" PRIu64 ",\"write\":%" PRIu64 "},\"errors\":{",
	        a->reads, a->writes);
	for (size_t k = 0; k < DBR_METRICS_NERR; k++)
		fprintf(f, "%s\"%s\":%" PRIu64, k ? "," : "", err_names[k], a->errors[k]);
	fputc('}', f);
	for (size_t c = 0; c < NALIAS_COUNTERS; c++) {
		const alias_counter *ac = &alias_counters[c];
		int len = (int)(strlen(ac->name) - strlen("_total"));
		uint64_t v = counter_at(a, ac->off);
		if (ac->scale == 1)
			fprintf(f, ",\"%.*s\":%" PRIu64, len, ac->name, v);
		else
			fprintf(f, ",\"%.*s\":%.9f", len, ac->name, (double)v * ac->scale);
	}
	fputs(",\"latency\":{\"buckets\":[", f);
	for (size_t b = 0; b < DBR_METRICS_NBUCKETS; b++)
		fprintf(f, "%s%" PRIu64, b ? "," : "", a->latency_buckets[b]);
	fprintf(f, "],\"count\":%" PRIu64 ",\"sum_seconds\":%.9f}}", a->latency_count,
	        (double)a->latency_sum_ns / 1e9);
}

static void write_json(FILE *f, const dbr_metrics *m)
{
	fputs("{\"latency_bucket_le_seconds\":[", f);
	for (size_t b = 0; b + 1 < DBR_METRICS_NBUCKETS; b++)
		fprintf(f, "%s%.9g", b ? "," : "", dbr_metrics_bucket_le(b));
	fputs(",null],\"aliases\":[", f); /* null: +Inf, which JSON cannot say */
	for (size_t i = 0; i < m->naliases; i++) {
		fputs(i ? "," : "", f);
		json_alias(f, &m->aliases[i]);
	}
	fputs("],\"routers\":[", f);
	for (size_t i = 0; i < m->nrouters; i++) {
		const dbr_metrics_router *r = &m->routers[i];
		fputs(i ? ",{\"name\":" : "{\"name\":", f);
		json_str(f, r->name);
		fprintf(f, ",\"answers\":%" PRIu64 ",\"picks\":%" PRIu64 ",\"exclusions\":%" PRIu64 "}",
		        r->answers, r->picks, r->exclusions);
	}
	fputs("]}\n", f);
}

int dbr_metrics_write(dbr *db, FILE *f, dbr_metrics_format fmt)
{
	if (!db || !f)
		return dbr__err(DBR_EINVAL, NULL, "dbr_metrics_write: NULL argument");
	if (fmt != DBR_METRICS_PROMETHEUS && fmt != DBR_METRICS_JSON)
		return dbr__err(DBR_EINVAL, NULL, "dbr_metrics_write: unknown format %d", (int)fmt);
	dbr_metrics *m = NULL;
	int rc = dbr_metrics_get(&m, db);
	if (rc)
		return rc;
	if (fmt == DBR_METRICS_JSON)
		write_json(f, m);
	else
		write_prometheus(f, m);
	dbr_metrics_free(m);
	if (fflush(f) != 0 || ferror(f))
		return dbr__err(DBR_ERROR, NULL, "dbr_metrics_write: writing the metrics failed");
	return 0;
}
