/* SPDX-License-Identifier: MIT */
/* host.c — the services table every plugin receives, and the clock. */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dbr_private.h"
#include "lru.h"
#include "tokenize.h"

static int64_t system_clock(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static _Atomic(int64_t (*)(void)) clock_fn = system_clock;

void dbr_clock_set(int64_t (*now_us)(void))
{
	atomic_store(&clock_fn, now_us ? now_us : system_clock);
}

int64_t dbr_clock_now(void)
{
	return atomic_load(&clock_fn)();
}

/* A plugin's line: the same sink, threshold and scrubbing as the core's
 * (log.c); below the threshold nothing is formatted. */
static void host_log(dbr_log_level level, const char *plugin, const char *fmt, ...)
{
	if (!DBR__LOG_ON(level))
		return;
	va_list ap;
	va_start(ap, fmt);
	dbr__log_vemit(level, plugin ? plugin : "plugin", fmt, ap);
	va_end(ap);
}

static int host_error(int code, const char *sqlstate, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	dbr__verr(code < 0 ? code : DBR_ERROR, sqlstate, fmt, ap);
	va_end(ap);
	/* the client library's text may quote the URL: scrub it here, once */
	if (dbr__secret_scope_get())
		dbr__err_scrub(dbr__secret_scope_get());
	return code < 0 ? code : DBR_ERROR;
}

static int host_conf_error(const dbr_conf *node, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = dbr__conf_verror(node, fmt, ap);
	va_end(ap);
	return rc;
}

static int host_conf_error_at(const dbr_conf *node, const char *key, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = dbr__conf_verror_at(node, key, fmt, ap);
	va_end(ap);
	return rc;
}

static char *host_strdup(const char *s)
{
	return dbr__strdup(s);
}

/* ------------------------------------------------------ run-time databases
 *
 * Called by routers from db_for_read/db_for_write, where the core holds no
 * lock (only references: the chain's, none on databases yet), so taking
 * the registry's lock (db_ensure, db_close_idle) or a pool's (query_row)
 * cannot deadlock; see docs/design.md, "Run-time databases". */

static dbr *req_db(const dbr_route_req *req)
{
	dbr_session *s = dbr__req_session(req);
	return s ? s->db : NULL;
}

/* A failure the router may refuse over: host->refuse names it as cause. */
static int failed(const dbr_route_req *req, int rc)
{
	if (rc)
		dbr__req_cause(req);
	return rc;
}

/* The first row's first ncols columns of r as allocated text. */
static int row_texts(char **out, size_t ncols, const dbr_result *r, const char *alias)
{
	if (dbr_result_nrows(r) == 0)
		return DBR_ENOTFOUND; /* an answer, not a failure: no message */
	if (dbr_result_ncols(r) < ncols)
		return dbr__err(DBR_ERANGE, NULL, "the query on \"%s\" returned %zu column(s), not %zu",
		                alias, dbr_result_ncols(r), ncols);
	for (size_t i = 0; i < ncols; i++) {
		const char *t = NULL;
		if (dbr_result_type(r, 0, i) == DBR_TYPE_NULL)
			continue;
		if (dbr_result_text(&t, NULL, r, 0, i) || !(out[i] = dbr__strdup(t)))
			return dbr__err(DBR_ENOMEM, NULL, "out of memory");
	}
	return 0;
}

static int host_query_row(char **out, size_t ncols, const dbr_route_req *req,
                          const char *alias, const char *sql, const char *const *params,
                          size_t nparams)
{
	dbr *db = req_db(req);
	for (size_t i = 0; out && i < ncols; i++)
		out[i] = NULL;
	if (!db || !out || !alias || !sql || (nparams && !params))
		return failed(req, dbr__err(DBR_EINVAL, NULL,
		                            "query_row: NULL argument or a request of no session"));
	dbr__database *d = dbr__db_get(db, alias);
	if (!d)
		return failed(req, dbr__err(DBR_EINVAL, NULL, "query_row: no database \"%s\"", alias));
	dbr_value *v = calloc(nparams + 1, sizeof(*v));
	dbr__conn *c = NULL;
	dbr_result *r = NULL;
	int rc = v ? 0 : dbr__err(DBR_ENOMEM, NULL, "out of memory");
	for (size_t i = 0; rc == 0 && i < nparams; i++)
		v[i] = params[i] ? dbr_text(params[i]) : dbr_null();
	if (rc == 0 && (rc = dbr__pool_acquire(&c, d->pool)) == 0) {
		rc = dbr__exec_on(&r, d, c, sql, v, nparams);
		dbr__pool_release(d->pool, c, rc == DBR_ECONNECT);
	}
	int norow = rc == 0 && dbr_result_nrows(r) == 0;
	if (rc == 0)
		rc = row_texts(out, ncols, r, alias);
	if (!norow)
		failed(req, rc);
	for (size_t i = 0; rc && i < ncols; i++) {
		free(out[i]);
		out[i] = NULL;
	}
	dbr_result_free(r);
	free(v);
	dbr__db_put(db, d);
	return rc;
}

static int host_db_ensure(int *added, const dbr_route_req *req, const char *alias,
                          const char *url)
{
	dbr *db = req_db(req);
	if (added)
		*added = 0;
	if (!db || !alias || !url)
		return failed(req, dbr__err(DBR_EINVAL, NULL,
		                            "db_ensure: NULL argument or a request of no session"));
	if (dbr__db_find(db, alias))
		return 0;
	int rc = dbr_add_database(db, alias, url, NULL);
	/* Another thread added it between the look and the add: kept. */
	if (rc == DBR_EINVAL && dbr__db_find(db, alias))
		return 0;
	if (rc == 0 && added)
		*added = 1;
	return failed(req, rc);
}

static int host_db_close_idle(const dbr_route_req *req, const char *alias)
{
	dbr *db = req_db(req);
	if (!db || !alias)
		return dbr__err(DBR_EINVAL, NULL, "db_close_idle: NULL argument or a request of no session");
	return dbr__db_remove_unused(db, alias);
}

/* ------------------------------------------------------------ causal reads */

/* req->target's database (a primary), referenced; NULL outside stage 2. */
static dbr__database *req_target(dbr_session **s, const dbr_route_req *req)
{
	*s = dbr__req_session(req);
	if (!*s || !(*s)->db || !req->target)
		return NULL;
	dbr__database *d = dbr__db_get((*s)->db, req->target);
	if (d && d->primary) {
		dbr__db_put((*s)->db, d);
		return NULL;
	}
	return d;
}

static int host_newest_position(char *buf, size_t size, const dbr_route_req *req)
{
	dbr_session *s;
	dbr__database *d = req_target(&s, req);
	if (!d || !buf || size == 0)
		return DBR_ENOTFOUND;
	dbr__newest_position(buf, size, d);
	dbr__db_put(s->db, d);
	return buf[0] ? 0 : DBR_ENOTFOUND;
}

static int host_position_cmp(int *out, const dbr_route_req *req, const char *a, const char *b)
{
	dbr_session *s;
	dbr__database *d = req_target(&s, req);
	int rc = DBR_ENOTSUP, o = 0;
	if (d && d->ops->position_cmp && a && b && out)
		rc = DBR__CALL_KEEP(d->ops->position_cmp(&o, a, b)) ? DBR_ERANGE : 0;
	if (rc == 0)
		*out = o;
	if (d)
		dbr__db_put(s->db, d);
	return rc;
}

/* Runs the member's wait_position on one of its pooled connections. */
static int wait_on(dbr__database *m, const char *position, int timeout_ms)
{
	if (!m->ops->wait_position)
		return DBR_ENOTSUP;
	dbr__conn *c = NULL;
	int rc = dbr__pool_acquire(&c, m->pool);
	if (rc == 0) {
		const dbr_url_view *scope = dbr__secret_scope(&m->view);
		rc = DBR__DRIVER_CALL(m->driver->desc->name, m->ops, wait_position, c->conn,
		                      position, timeout_ms);
		dbr__secret_scope(scope);
		dbr__pool_release(m->pool, c, rc == DBR_ECONNECT);
	}
	/* The router decides what a failed wait means; the statement's own
	 * error is not this one. */
	if (rc && rc != DBR_ETIMEOUT)
		dbr__log(DBR_LOG_WARN, "%s: wait_position: %s", m->conf.alias, dbr_error_last()->message);
	if (rc == DBR_ECONNECT) /* connection-class: ban, as a statement would */
		dbr__db_conn_failed(m);
	if (rc)
		dbr__err_clear();
	return rc;
}

static int host_wait_position(const dbr_route_req *req, const char *alias, const char *position,
                              int timeout_ms)
{
	dbr_session *s;
	dbr__database *t = req_target(&s, req);
	if (!t)
		return DBR_ENOTFOUND;
	dbr__database *m = alias && position ? dbr__db_get(s->db, alias) : NULL;
	int rc = DBR_ENOTFOUND;
	if (m && (m == t || m->primary == t))
		rc = wait_on(m, position, timeout_ms < 0 ? 0 : timeout_ms > 60000 ? 60000 : timeout_ms);
	dbr__db_put(s->db, m);
	dbr__db_put(s->db, t);
	return rc;
}

const dbr_host dbr__host = {
	.struct_size = sizeof(dbr_host),
	.abi_major = DBR_ABI_MAJOR,
	.abi_minor = DBR_ABI_MINOR,
	.log = host_log,
	.error = host_error,
	.malloc = malloc,
	.calloc = calloc,
	.realloc = realloc,
	.free = free,
	.strdup = host_strdup,
	.conf_string = dbr__conf_string,
	.conf_int = dbr__conf_int,
	.conf_double = dbr__conf_double,
	.conf_bool = dbr__conf_bool,
	.conf_child = dbr__conf_child,
	.conf_count = dbr__conf_count,
	.conf_at = dbr__conf_at,
	.conf_name = dbr__conf_name,
	.conf_error = host_conf_error,
	.conf_alias = dbr__conf_alias,
	.now_us = dbr_clock_now,
	.sink_columns = dbr__sink_columns,
	.sink_row = dbr__sink_row,
	.sink_affected = dbr__sink_affected,
	.sink_insert_id = dbr__sink_insert_id,
	.note = dbr__host_note,
	.last_write = dbr__host_last_write,
	.conf_type = dbr__conf_type,
	.conf_error_at = host_conf_error_at,
	/* ABI 1.1: SQL lexer */
	.sql_placeholders = dbr__sql_placeholders,
	/* ABI 1.1: hints */
	.hint = dbr__host_hint,
	/* ABI 1.1: refuse */
	.refuse = dbr__host_refuse,
	/* ABI 1.1: statement cache */
	.lru_new = dbr__lru_new,
	.lru_get = dbr__lru_get,
	.lru_put = dbr__lru_put,
	.lru_remove = dbr__lru_remove,
	.lru_clear = dbr__lru_clear,
	.lru_free = dbr__lru_free,
	.lru_count = dbr__lru_count,
	/* ABI 1.1: run-time databases */
	.query_row = host_query_row,
	.db_ensure = host_db_ensure,
	.db_close_idle = host_db_close_idle,
	/* ABI 1.1: causal reads */
	.newest_position = host_newest_position,
	.position_cmp = host_position_cmp,
	.wait_position = host_wait_position,
	.lru_obtain = dbr__lru_obtain,
};

/* ------------------------------------------------------------ plugin calls */

/* The error pending when the outermost plugin call began. */
static _Thread_local struct {
	int depth;
	int code;
	char msg[1024];
	char sqlstate[6];
} pending;

void dbr__call_enter(void)
{
	const dbr_error *e = dbr_error_last();
	if (pending.depth++ == 0 && (pending.code = e->code) != 0) {
		snprintf(pending.msg, sizeof(pending.msg), "%s", e->message);
		snprintf(pending.sqlstate, sizeof(pending.sqlstate), "%s", e->sqlstate);
	}
	dbr__err_clear();
}

static void call_restore(void)
{
	if (--pending.depth == 0 && pending.code)
		dbr__err(pending.code, pending.sqlstate[0] ? pending.sqlstate : NULL, "%s", pending.msg);
}

int dbr__call_keep(int rc)
{
	if (pending.depth == 1 && !pending.code)
		dbr__err_clear(); /* what the op said is not the caller's business */
	call_restore();
	return rc;
}

int dbr__call_leave(int rc, const char *kind, const char *name, const char *op)
{
	if (rc == 0) {
		call_restore();
		return 0;
	}
	pending.depth--;
	name = name ? name : "?";
	const dbr_error *e = dbr_error_last();
	if (!e->message[0] && rc > 0)
		return dbr__err(DBR_ERROR, NULL, "%s \"%s\": %s returned %d (not 0 or a negative DBR_E* code) without a message",
		                kind, name, op, rc);
	if (!e->message[0])
		return dbr__err(rc, NULL, "%s \"%s\": %s failed without a message", kind, name, op);
	int code = rc < 0 ? rc : DBR_ERROR;
	if (e->code != code) { /* the message stays; the code is the one returned */
		char msg[1024], st[6];
		snprintf(msg, sizeof(msg), "%s", e->message);
		snprintf(st, sizeof(st), "%s", e->sqlstate);
		dbr__err(code, st[0] ? st : NULL, "%s", msg);
	}
	return code;
}

int dbr__err_located(const char *where)
{
	if (!where)
		return 0;
	size_t n = strlen(where);
	const char *colon = strrchr(where, ':');
	if (colon && colon[1] && strspn(colon + 1, "0123456789") == strlen(colon + 1))
		n = (size_t)(colon - where);
	const char *msg = dbr_error_last()->message;
	return strncmp(msg, where, n) == 0 && msg[n] == ':';
}
