/* SPDX-License-Identifier: MIT */
/*
 * pg.h — what the PostgreSQL driver's files share (drivers/postgres/):
 * postgres.c (connections, statements, results), repl.c (replication
 * facts and positions).
 */
#ifndef DBR_DRIVERS_PG_H
#define DBR_DRIVERS_PG_H

#include <libpq-fe.h>

#include <dbrouter/driver.h>

extern const dbr_host *svc; /* the host services, kept by the entry */

typedef struct pg_conn {
	PGconn *pg;
	char *alias;
	dbr_lru *stmts;      /* cache key -> pg_entry, or NULL: not preparing */
	unsigned threshold;  /* the use at which a statement is prepared */
	unsigned long next_id; /* names dbr_1, dbr_2 … */
	int server_dropped;  /* evictions need no DEALLOCATE (closing, DISCARD ALL) */
	char **pending;      /* names evicted, to DEALLOCATE outside a transaction */
	size_t npending, cap_pending;
	double read_timeout; /* seconds a round trip may take; 0: no limit */
} pg_conn;

/* Sets the host error from a failed result (or the connection when res is
 * NULL) and returns its code: DBR_ECONNECT for a connection-class failure,
 * DBR_ETIMEOUT for a statement the server cancelled, else DBR_ESQL. */
int pg_fail(pg_conn *c, const PGresult *res);

/* Closes the connection at once (c->pg NULL), forgetting its prepared
 * statements: after a deadline passed, nothing more is asked of the
 * server. */
void pg_drop(pg_conn *c);

/* io.c: bounded waits (see there). Times are CLOCK_MONOTONIC ms; a
 * deadline of 0 is none. */
int64_t pg_now_ms(void);
/* The deadline `seconds` from now (0 when seconds is 0: none). */
int64_t pg_deadline(double seconds);
/* Waits until fd has `events` (POLLIN, POLLOUT) or the deadline passes:
 * 1 ready, 0 deadline passed, -1 poll failed. */
int pg_wait_socket(int fd, short events, int64_t deadline);
/* Waits for a PQconnectStartParams connection until `seconds` (0: no
 * limit) have passed: 1 connected, 0 deadline passed, -1 failed. */
int pg_connect_wait(PGconn *pg, double seconds);
/* After a PQsend* call that returned `sent`: flushes, then collects its
 * results within read_timeout into *res (the last one, or the first error;
 * the caller PQclears it). 0, or the error (DBR_ECONNECT, connection closed
 * when the deadline passed). */
int pg_await(PGresult **res, pg_conn *c, int sent);

/* Streams (single-row mode): after a PQsend* call that returned `sent`,
 * flushes within read_timeout (0 or the error). Then each result in turn
 * (NULL once the statement is over), each wait bounded by read_timeout
 * afresh: 0, or the error (DBR_ECONNECT, connection closed when the
 * deadline passed). */
int pg_send(pg_conn *c, int sent);
int pg_next_result(PGresult **res, pg_conn *c);

/* Runs one parameterless statement (one round trip) into *res, which the
 * caller PQclears. 0 when it returned tuples or a command status, else the
 * error as pg_fail (*res NULL). */
int pg_query(PGresult **res, pg_conn *c, const char *sql);

/* repl.c: the replication ops (driver.h "Replication"). */
int pg_repl_info(dbr_repl_info *out, void *conn);
int pg_write_position(char *buf, size_t size, void *conn);
int pg_wait_position(void *conn, const char *position, int timeout_ms);
int pg_position_cmp(int *out, const char *a, const char *b);

#endif
