/* SPDX-License-Identifier: MIT */
/* exec.c — running statements: route, take a connection (the
 * transaction's or the pool's), run through the driver, record writes. */
#include <stdlib.h>
#include <string.h>

#include "dbr_private.h"

int dbr__exec_on(dbr_result **out, dbr__database *d, dbr__conn *c, const char *sql,
                 const dbr_value *params, size_t nparams)
{
	dbr_result *r;
	int rc = dbr__result_new(&r, d->conf.alias);
	if (rc)
		return rc;
	dbr_sink sink; /* msg is written only with rc: not zeroed (512 bytes) */
	sink.r = r;
	sink.driver = d->driver->desc->name;
	sink.rc = 0;
	sink.msg[0] = '\0';
	const dbr_url_view *scope = dbr__secret_scope(&d->view);
	rc = DBR__DRIVER_CALL(sink.driver, d->ops, exec, c->conn, sql, params, nparams, &sink);
	dbr__secret_scope(scope);
	if (rc == 0 && sink.rc) /* a sink error the driver ignored */
		rc = dbr__err(sink.rc, NULL, "%s", sink.msg);
	if (rc) {
		dbr_result_free(r);
		return rc;
	}
	if (d->ops->flags & DBR_DRIVER_NO_INSERT_ID)
		dbr__result_no_insert_id(r);
	if (out)
		*out = r;
	else
		dbr_result_free(r);
	return 0;
}

static int check_query(dbr_session *s, const dbr_query *q)
{
	if (!s || !q || !q->sql)
		return dbr__err(DBR_EINVAL, NULL, "NULL session, query or SQL");
	/* As libgit2's GIT_*_VERSION checks: every version up to ours is read
	 * (a member added in version N is read only if q->version >= N, else
	 * its default applies); 0 is an uninitialised struct, a larger one a
	 * caller built against a newer libdbrouter. */
	if (q->version < 1 || q->version > DBR_QUERY_VERSION)
		return dbr__err(DBR_EINVAL, NULL, "dbr_query version %u is not supported: this "
		                "libdbrouter reads versions 1 to %d (initialise the query with "
		                "DBR_QUERY_INIT; a newer version needs a newer libdbrouter)",
		                q->version, DBR_QUERY_VERSION);
	if (q->nparams && !q->params)
		return dbr__err(DBR_EINVAL, NULL, "nparams is %zu but params is NULL", q->nparams);
	return 0;
}

/* The statement's hints: version 2 members, read only from a query that
 * declares version 2 or newer (a version 1 struct ends before them). */
static int query_hints(dbr__hints *h, const dbr_query *q)
{
	*h = (dbr__hints){ 0 };
	if (q->version < 2 || q->nhints == 0)
		return 0;
	if (!q->hint_keys || !q->hint_values)
		return dbr__err(DBR_EINVAL, NULL, "nhints is %zu but hint_keys or hint_values is NULL",
		                q->nhints);
	for (size_t i = 0; i < q->nhints; i++)
		if (!q->hint_keys[i] || !*q->hint_keys[i] || !q->hint_values[i])
			return dbr__err(DBR_EINVAL, NULL, "hint %zu: NULL or empty key, or NULL value", i);
	*h = (dbr__hints){ q->hint_keys, q->hint_values, q->nhints };
	return 0;
}

/* Runs the statement (or script) on its connection: the transaction's, or
 * one from the pool that goes back afterwards (closed if the driver lost
 * it). */
static int run_routed(dbr_result **out, dbr__route *rt, const dbr_query *q, const char *script)
{
	uint64_t t0 = dbr__metrics_now();
	dbr_result *r = NULL;
	dbr__conn *c = rt->tx ? rt->tx->c : NULL;
	int rc = c ? 0 : dbr__pool_acquire(&c, rt->d->pool);
	if (rc) {
		if (rc == DBR_ECONNECT)
			dbr__db_conn_failed(rt->d);
		dbr__metrics_stmt(rt->d, rt->intent, rc, NULL, t0);
		return rc;
	}
	if (script) {
		const dbr_url_view *scope = dbr__secret_scope(&rt->d->view);
		rc = DBR__DRIVER_CALL(rt->d->driver->desc->name, rt->d->ops, script, c->conn, script);
		dbr__secret_scope(scope);
	} else {
		rc = dbr__exec_on(&r, rt->d, c, q->sql, q->params, q->nparams);
	}
	int broken = rc == DBR_ECONNECT;
	/* Causal reads: the write's position, asked on the same connection. */
	if (rc == 0 && !rt->tx && rt->intent == DBR_INTENT_WRITE)
		broken = dbr__session_write_position(rt->wpos, sizeof(rt->wpos), rt->d, c);
	if (!rt->tx)
		dbr__pool_release(rt->d->pool, c, broken);
	if (rc == DBR_ECONNECT) /* connection-class: ban (monitor.h) */
		dbr__db_conn_failed(rt->d);
	dbr__metrics_stmt(rt->d, rt->intent, rc, r, t0);
	if (out && rc == 0) /* *out stays untouched on failure */
		*out = r;
	else
		dbr_result_free(r);
	return rc;
}

void dbr__exec_wrote(dbr_session *s, dbr__route *rt)
{
	if (rt->tx)
		rt->tx->wrote = 1;
	else
		dbr__session_wrote(s, rt->d, rt->wpos);
}

/* What dbr_exec and dbr_explain share: enter the session, check the query,
 * route both stages into a new trace *t (freed on failure). On success the
 * caller owns *t and must dbr__route_done(rt). */
int dbr__exec_route(dbr__route *rt, dbr_trace *t, dbr_session *s, const dbr_query *q,
                       const char *who, int flags)
{
	*t = (dbr_trace){ 0 };
	int rc = dbr__session_enter(s, who);
	if (rc)
		return rc;
	dbr__hints h;
	if ((rc = check_query(s, q)) || (rc = query_hints(&h, q)))
		return dbr__session_fail(s, rc);
	/* The route classifies an AUTO intent (in the target's dialect when it
	 * is known) and refuses transaction control: dbr_tx_* own it. */
	rc = dbr__route_hinted(rt, t, s, q->sql, q->model, q->intent, q->using_alias, &h,
	                       DBR__ROUTE_STAGE2 | DBR__ROUTE_REFUSE_TX | flags);
	if (rc) {
		dbr__trace_clear(t);
		return dbr__session_fail(s, rc);
	}
	return 0;
}

/* ------------------------------------------------------------ read retry */

/* A read routed through stage 2 (autocommit, no explicit alias, a
 * cluster's primary as target) that failed with a connection-class error. */
static int retryable(const dbr__route *rt, const dbr_query *q, int rc)
{
	return rc == DBR_ECONNECT && rt->intent == DBR_INTENT_READ && !rt->tx && !q->using_alias &&
	       !rt->target->primary && atomic_load(&rt->target->nreplicas) > 0;
}

/* Where the retry goes: stage 2 again (the failed member is banned now),
 * else the primary; NULL when neither differs from `failed` or the
 * cluster's fallback is "error". Referenced. */
static dbr__database *retry_member(dbr_session *s, const dbr_query *q, dbr__route *rt,
                                   const dbr__database *failed, int attempt)
{
	dbr__database *next = NULL;
	if (attempt == 0) {
		dbr__route r2;
		dbr_trace t = { 0 };
		dbr__hints h;
		if (query_hints(&h, q) == 0 &&
		    dbr__route_hinted(&r2, &t, s, q->sql, q->model, DBR_INTENT_READ, NULL, &h,
		                      DBR__ROUTE_STAGE2 | DBR__ROUTE_NO_TX) == 0) {
			next = r2.d;
			dbr__db_ref(next);
			dbr__route_done(s, &r2);
		}
		dbr__trace_clear(&t);
	}
	if (next && next != failed)
		return next;
	dbr__db_put(s->db, next);
	if (rt->target == failed || dbr__db_monconf(rt->target)->fallback == DBR__FALLBACK_ERROR)
		return NULL;
	dbr__db_ref(rt->target);
	return rt->target;
}

/* Once on another eligible member, then on the primary; counted on the
 * member that failed and logged. */
static int retry_read(dbr_result **out, dbr_session *s, const dbr_query *q, dbr__route *rt, int rc)
{
	for (int attempt = 0; attempt < 2 && retryable(rt, q, rc); attempt++) {
		dbr__database *failed = rt->d;
		dbr__database *next = retry_member(s, q, rt, failed, attempt);
		if (!next)
			break;
		DBR__COUNT(failed->h.retries, 1);
		dbr__logm(DBR_LOG_WARN, "exec", "read on \"%s\" failed (%s): retried on \"%s\"",
		          failed->conf.alias, dbr_error_last()->message, next->conf.alias);
		rt->d = next;
		dbr__db_put(s->db, failed);
		rc = run_routed(out, rt, q, NULL);
	}
	return rc;
}

int dbr_exec(dbr_result **out, dbr_session *s, const dbr_query *q)
{
	dbr__route rt;
	dbr_trace t; /* records nothing unless a debug log reads it */
	int rc = dbr__exec_route(&rt, &t, s, q, "dbr_exec", 0);
	if (rc)
		return rc;
	dbr__trace_clear(&t);
	rc = run_routed(out, &rt, q, NULL);
	if (retryable(&rt, q, rc))
		rc = retry_read(out, s, q, &rt, rc);
	if (rc == 0 && rt.intent == DBR_INTENT_WRITE)
		dbr__exec_wrote(s, &rt);
	dbr__route_done(s, &rt);
	return rc ? dbr__session_fail(s, rc) : 0;
}

int dbr_exec_sql(dbr_result **out, dbr_session *s, const char *sql)
{
	dbr_query q = DBR_QUERY_INIT;
	q.sql = sql;
	return dbr_exec(out, s, &q);
}

int dbr_explain(dbr_trace **out, dbr_session *s, const dbr_query *q)
{
	if (!out)
		return s ? dbr__session_fail(s, dbr__err(DBR_EINVAL, NULL, "dbr_explain: NULL out"))
		         : dbr__err(DBR_EINVAL, NULL, "dbr_explain: NULL out");
	*out = NULL; /* a failed explain leaves no trace to free */
	dbr__route rt;
	dbr_trace *t = NULL;
	int rc = dbr__trace_new(&t);
	if (rc)
		return s ? dbr__session_fail(s, rc) : rc;
	rc = dbr__exec_route(&rt, t, s, q, "dbr_explain", DBR__ROUTE_DRY_RUN | DBR__ROUTE_TRACE);
	if (rc) {
		free(t);
		return rc;
	}
	dbr__route_done(s, &rt);
	*out = t;
	return 0;
}

int dbr_apply(dbr_trace **trace_out, dbr_session *s, const char *model, const char *script)
{
	int rc = dbr__session_enter(s, "dbr_apply");
	if (rc)
		return rc;
	if (!script)
		return dbr__session_fail(s, dbr__err(DBR_EINVAL, NULL, "dbr_apply: NULL script"));
	dbr_trace *t = NULL;
	if ((rc = dbr__trace_new(&t)))
		return dbr__session_fail(s, rc);
	dbr__route rt;
	rc = dbr__route_statement(&rt, t, s, NULL, model, DBR_INTENT_WRITE, NULL,
	                          trace_out ? DBR__ROUTE_TRACE : 0);
	if (rc == 0 && rt.d->primary)
		rc = dbr__err(DBR_EROUTE, NULL,
		              "model %s routes writes to \"%s\", a replica of \"%s\": schema goes to a primary",
		              model ? model : "(none)", rt.d->conf.alias, rt.d->primary->conf.alias);
	if (rc == 0)
		rc = run_routed(NULL, &rt, NULL, script);
	if (rc == 0)
		dbr__exec_wrote(s, &rt);
	dbr__route_done(s, &rt);
	if (rc) {
		dbr_trace_free(t);
		return dbr__session_fail(s, rc);
	}
	if (trace_out)
		*trace_out = t;
	else
		dbr_trace_free(t);
	return 0;
}
