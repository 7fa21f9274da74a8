/* SPDX-License-Identifier: MIT */
/* stream.c — dbr_stream: a statement's rows one at a time (issue 11.6).
 * Routed as dbr_exec (exec.c's dbr__exec_route), it holds its connection
 * (the pool's, or its transaction's with the lease claimed) until closed.
 * With the driver's query_open/next/close the result holds one row at a
 * time; without them the statement runs through exec() and its buffered
 * result is iterated (correct, not bounded). */
#include <stdint.h>
#include <stdlib.h>

#include "dbr_private.h"
#include "monitor.h"

struct dbr_stream {
	dbr_session *s;
	dbr__route rt;      /* references held; rt.tx NULL: the lease is ours */
	dbr__lease *lease;  /* the joined transaction's, claimed; NULL: pooled */
	dbr__conn *c;
	void *cur;          /* the driver's cursor; NULL: buffered fallback */
	dbr_result *r;      /* streaming: the current row only */
	dbr_sink sink;
	size_t row;         /* the current row's index in r */
	int current;        /* a row is current */
	int state;          /* 0 running, 1 ended, < 0 the error that ended it */
	int broken;         /* close the connection, not pool it */
	uint64_t rows, t0;
};

static int has_stream_ops(const dbr_driver_ops *ops)
{
	return ops->query_open && ops->query_next && ops->query_close;
}

static const char *driver_name(const dbr_stream *st)
{
	return st->rt.d->driver->desc->name;
}

/* Takes the connection: the transaction's (its claim moves to the stream:
 * the reaper leaves it until close), else one from the pool. */
static int take_conn(dbr_stream *st)
{
	if (st->rt.tx) {
		st->c = st->rt.tx->c;
		st->lease = st->rt.tx->lease;
		if (st->rt.intent == DBR_INTENT_WRITE)
			st->rt.tx->wrote = 1;
		st->rt.tx = NULL; /* its pointer may move as transactions begin */
		return 0;
	}
	return dbr__pool_acquire(&st->c, st->rt.d->pool); /* ECONNECT: finish bans */
}

static int start(dbr_stream *st, const dbr_query *q)
{
	dbr__database *d = st->rt.d;
	if (!has_stream_ops(d->ops)) {
		dbr_result *full = NULL;
		int rc = dbr__exec_on(&full, d, st->c, q->sql, q->params, q->nparams);
		if (rc == 0) {
			dbr_result_free(st->r);
			st->r = full;
		}
		return rc;
	}
	const dbr_url_view *scope = dbr__secret_scope(&d->view);
	int rc = DBR__DRIVER_CALL(driver_name(st), d->ops, query_open, &st->cur, st->c->conn,
	                          q->sql, q->params, q->nparams, &st->sink);
	dbr__secret_scope(scope);
	if (rc == 0 && st->sink.rc) { /* a sink error the driver ignored */
		rc = dbr__err(st->sink.rc, NULL, "%s", st->sink.msg);
		st->broken |= DBR__CALL_KEEP(d->ops->query_close(st->cur)) != 0;
		st->cur = NULL;
	} else if (rc) {
		st->cur = NULL;
	}
	return rc;
}

/* Gives the connection back and counts the statement; frees st. */
static void finish(dbr_stream *st)
{
	dbr__database *d = st->rt.d;
	if (st->cur) {
		const dbr_url_view *scope = dbr__secret_scope(&d->view);
		st->broken |= DBR__CALL_KEEP(d->ops->query_close(st->cur)) != 0;
		dbr__secret_scope(scope);
	}
	/* A write that did not fail may have changed rows, even closed early. */
	int ended_write = st->state >= 0 && st->rt.intent == DBR_INTENT_WRITE;
	if (st->c && !st->lease && ended_write && !st->broken)
		st->broken = dbr__session_write_position(st->rt.wpos, sizeof(st->rt.wpos), d, st->c);
	if (st->c && !st->lease)
		dbr__pool_release(d->pool, st->c, st->broken);
	if (st->lease)
		dbr__lease_unclaim(st->lease);
	if (st->state == DBR_ECONNECT)
		dbr__db_conn_failed(d);
	dbr__metrics_stmt(d, st->rt.intent, st->state < 0 ? st->state : 0, NULL, st->t0);
	DBR__COUNT(d->m.rows, st->rows);
	if (dbr_result_affected(st->r) > 0)
		DBR__COUNT(d->m.affected, dbr_result_affected(st->r));
	if (ended_write && !st->lease)
		dbr__exec_wrote(st->s, &st->rt);
	dbr__route_done(st->s, &st->rt);
	dbr_result_free(st->r);
	free(st);
}

int dbr_stream_open(dbr_stream **out, dbr_session *s, const dbr_query *q)
{
	if (!out)
		return s ? dbr__session_fail(s, dbr__err(DBR_EINVAL, NULL, "dbr_stream_open: NULL out"))
		         : dbr__err(DBR_EINVAL, NULL, "dbr_stream_open: NULL out");
	dbr_stream *st = calloc(1, sizeof(*st));
	if (!st)
		return dbr__err(DBR_ENOMEM, NULL, "out of memory");
	dbr_trace t;
	int rc = dbr__exec_route(&st->rt, &t, s, q, "dbr_stream_open", 0);
	if (rc) {
		free(st);
		return rc;
	}
	dbr__trace_clear(&t);
	st->s = s;
	st->t0 = dbr__metrics_now();
	if ((rc = dbr__result_new(&st->r, st->rt.d->conf.alias)) == 0) {
		st->sink = (dbr_sink){ .r = st->r, .driver = driver_name(st) };
		rc = take_conn(st);
	}
	if (rc == 0)
		rc = start(st, q);
	if (rc) {
		st->state = rc;
		st->broken = rc == DBR_ECONNECT;
		finish(st);
		return dbr__session_fail(s, rc);
	}
	*out = st;
	return 0;
}

/* The driver's next row into st->r (emptied first): 1, 0 or the error. */
static int driver_next(dbr_stream *st)
{
	dbr__database *d = st->rt.d;
	dbr__result_clear_rows(st->r);
	const dbr_url_view *scope = dbr__secret_scope(&d->view);
	dbr__call_enter();
	int n = d->ops->query_next(st->cur, &st->sink);
	/* 1 is a row, not an error: only failures go through the mapping. */
	int rc = dbr__call_leave(n > 0 ? 0 : n, "driver", driver_name(st), "query_next");
	dbr__secret_scope(scope);
	if (rc == 0 && st->sink.rc)
		rc = dbr__err(st->sink.rc, NULL, "%s", st->sink.msg);
	if (rc == 0 && n > 0 && dbr_result_nrows(st->r) != 1)
		rc = dbr__err(DBR_EPLUGIN, NULL, "driver \"%s\": query_next returned a row "
		              "but sank %zu", driver_name(st), dbr_result_nrows(st->r));
	return rc ? rc : n > 0;
}

int dbr_stream_next(dbr_stream *st)
{
	if (!st)
		return dbr__err(DBR_EINVAL, NULL, "dbr_stream_next: NULL stream");
	st->current = 0;
	if (st->state)
		return st->state > 0 ? 0 : dbr__err(st->state, NULL, "dbr_stream_next: the stream "
		                                    "already failed (%s)", st->s->errmsg);
	int rc;
	if (st->cur) {
		rc = driver_next(st);
		st->row = 0;
	} else {
		rc = st->rows < dbr_result_nrows(st->r);
		st->row = (size_t)st->rows;
	}
	if (rc < 0) {
		st->state = rc;
		st->broken |= rc == DBR_ECONNECT;
		return dbr__session_fail(st->s, rc);
	}
	if (rc == 0) {
		st->state = 1;
		return 0;
	}
	st->rows++;
	st->current = 1;
	return 1;
}

void dbr_stream_close(dbr_stream *st)
{
	if (st)
		finish(st);
}

/* ------------------------------------------------------------ getters */

static const dbr_result *res(const dbr_stream *st) { return st ? st->r : NULL; }
/* Out of range (an error from the getters) when no row is current. */
static size_t row(const dbr_stream *st) { return st && st->current ? st->row : SIZE_MAX; }

size_t dbr_stream_ncols(const dbr_stream *st) { return dbr_result_ncols(res(st)); }
const char *dbr_stream_colname(const dbr_stream *st, size_t col)
{
	return dbr_result_colname(res(st), col);
}
dbr_type dbr_stream_type(const dbr_stream *st, size_t col)
{
	return dbr_result_type(res(st), row(st), col);
}
int dbr_stream_isnull(const dbr_stream *st, size_t col)
{
	return dbr_result_isnull(res(st), row(st), col);
}
int dbr_stream_int64(int64_t *out, const dbr_stream *st, size_t col)
{
	return dbr_result_int64(out, res(st), row(st), col);
}
int dbr_stream_double(double *out, const dbr_stream *st, size_t col)
{
	return dbr_result_double(out, res(st), row(st), col);
}
int dbr_stream_text(const char **out, size_t *len, const dbr_stream *st, size_t col)
{
	return dbr_result_text(out, len, res(st), row(st), col);
}
int dbr_stream_blob(const void **out, size_t *len, const dbr_stream *st, size_t col)
{
	return dbr_result_blob(out, len, res(st), row(st), col);
}
const char *dbr_stream_alias(const dbr_stream *st) { return dbr_result_alias(res(st)); }
uint64_t dbr_stream_rows(const dbr_stream *st) { return st ? st->rows : 0; }
int64_t dbr_stream_affected(const dbr_stream *st) { return dbr_result_affected(res(st)); }
