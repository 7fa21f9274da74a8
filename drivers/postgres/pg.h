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
} pg_conn;

/* Sets the host error from a failed result (or the connection when res is
 * NULL) and returns its code: DBR_ECONNECT for a connection-class failure,
 * DBR_ETIMEOUT for a statement the server cancelled, else DBR_ESQL. */
int pg_fail(pg_conn *c, const PGresult *res);

/* Runs one parameterless statement (one round trip) into *res, which the
 * caller PQclears. 0 when it returned tuples or a command status, else the
 * error as pg_fail (*res NULL). */
int pg_query(PGresult **res, pg_conn *c, const char *sql);

/* repl.c: the replication ops (driver.h "Replication"). */
int pg_repl_info(dbr_repl_info *out, void *conn);

#endif
