/* SPDX-License-Identifier: MIT */
/*
 * io.c — every round trip of the PostgreSQL driver, bounded by a deadline
 * of its own (issue 10, hung servers).
 *
 * On loopback the kernel keeps acknowledging a frozen (SIGSTOPped) server,
 * so keepalives and tcp_user_timeout never fire and a blocking libpq call
 * waits forever. Every call therefore uses libpq's non-blocking API: the
 * connect goes through PQconnectStartParams + PQconnectPoll, a statement
 * through PQsend* + PQflush, and its results are collected with
 * PQconsumeInput / PQisBusy / PQgetResult, each wait a poll() on the socket
 * against a monotonic deadline (pg_wait_socket, the only place that
 * waits). A deadline that passes closes the connection: no PQcancel, which
 * would wait on the frozen server as well. The connection is then gone
 * (DBR_ECONNECT, SQLSTATE 08006): the core drops it from its pool.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "pg.h"

int64_t pg_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t pg_deadline(double seconds)
{
	return seconds > 0 ? pg_now_ms() + (int64_t)(seconds * 1000 + 0.5) : 0;
}

int pg_wait_socket(int fd, short events, int64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	if (fd < 0)
		return -1;
	for (;;) {
		int64_t left = deadline ? deadline - pg_now_ms() : -1;
		if (deadline && left <= 0)
			return 0;
		int n = poll(&p, 1, left > 0x7fffffff ? 0x7fffffff : (int)left);
		if (n > 0)
			return 1; /* readable, writable, or an error libpq will see */
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/* The deadline passed: the connection is closed (the server may be frozen:
 * no cancel, no goodbye awaited) and its statements forgotten. */
static int expired(pg_conn *c)
{
	pg_drop(c);
	return svc->error(DBR_ECONNECT, "08006", "database \"%s\": postgres: no answer "
	                  "within read_timeout %g s (connection closed)", c->alias,
	                  c->read_timeout);
}

/* Waits until libpq has a whole result (PQisBusy false). 0, or an error
 * (the connection failed, or the deadline passed). */
static int await_idle(pg_conn *c, int64_t deadline)
{
	while (PQisBusy(c->pg)) {
		int w = pg_wait_socket(PQsocket(c->pg), POLLIN, deadline);
		if (w == 0)
			return expired(c);
		if (w < 0 || !PQconsumeInput(c->pg))
			return pg_fail(c, NULL);
	}
	return 0;
}

/* Sends what libpq has queued (non-blocking mode), bounded. */
static int flush_out(pg_conn *c, int64_t deadline)
{
	int f;
	while ((f = PQflush(c->pg)) == 1) {
		/* The server may be sending while we write: read what comes
		 * (libpq buffers it) so neither side blocks on a full buffer. */
		int w = pg_wait_socket(PQsocket(c->pg), POLLIN | POLLOUT, deadline);
		if (w == 0)
			return expired(c);
		if (w < 0 || !PQconsumeInput(c->pg))
			return pg_fail(c, NULL);
	}
	return f == 0 ? 0 : pg_fail(c, NULL);
}

int pg_await(PGresult **res, pg_conn *c, int sent)
{
	int64_t deadline = pg_deadline(c->read_timeout);
	PGresult *r;
	int rc;
	*res = NULL;
	if (!sent)
		return pg_fail(c, NULL);
	if ((rc = flush_out(c, deadline)) != 0)
		return rc;
	/* As PQexec: the last result, but the first error wins; a COPY
	 * stops the collection (the caller ends it). */
	while ((rc = await_idle(c, deadline)) == 0 && (r = PQgetResult(c->pg)) != NULL) {
		ExecStatusType st = PQresultStatus(r);
		if (*res && PQresultStatus(*res) == PGRES_FATAL_ERROR) {
			PQclear(r);
		} else {
			PQclear(*res);
			*res = r;
		}
		if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH)
			break;
	}
	if (rc) {
		PQclear(*res);
		*res = NULL;
	}
	return rc;
}

int pg_send(pg_conn *c, int sent)
{
	return sent ? flush_out(c, pg_deadline(c->read_timeout)) : pg_fail(c, NULL);
}

int pg_next_result(PGresult **res, pg_conn *c)
{
	*res = NULL;
	if (c->pg == NULL) /* dropped by a deadline: nothing more comes */
		return 0;
	int rc = await_idle(c, pg_deadline(c->read_timeout));
	if (rc == 0)
		*res = PQgetResult(c->pg);
	return rc;
}

int pg_query(PGresult **res, pg_conn *c, const char *sql)
{
	int rc = pg_await(res, c, PQsendQuery(c->pg, sql));
	if (rc)
		return rc;
	ExecStatusType st = *res ? PQresultStatus(*res) : PGRES_FATAL_ERROR;
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return 0;
	rc = pg_fail(c, *res);
	PQclear(*res);
	*res = NULL;
	return rc;
}

int pg_connect_wait(PGconn *pg, double seconds)
{
	int64_t deadline = pg_deadline(seconds);
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
		/* The socket changes as libpq tries the next host or address. */
		int w = pg_wait_socket(PQsocket(pg), st == PGRES_POLLING_WRITING ? POLLOUT : POLLIN,
		                       deadline);
		if (w == 0)
			return 0;
		st = w < 0 ? PGRES_POLLING_FAILED : PQconnectPoll(pg);
	}
	return st == PGRES_POLLING_OK ? 1 : -1;
}
