/* SPDX-License-Identifier: MIT */
/*
 * mariadb.h — what the MariaDB driver's files share (internal: the module
 * is built with hidden visibility, only dbr_driver_entry is exported).
 */
#ifndef DBR_MARIADB_H
#define DBR_MARIADB_H

#include <mysql.h>

#include <dbrouter/driver.h>

extern const dbr_host *my_svc; /* the host services, kept by the entry */

typedef struct my_conn {
	MYSQL *m;
	char *alias;
	dbr_lru *stmts;     /* SQL text -> my_entry, or NULL: statement_cache = 0 */
	unsigned threshold; /* the use from which a statement is kept */
	int read_timeout_ms; /* the client's deadline per round trip, 0 = none */
	int mysql;          /* the server is MySQL, not MariaDB (error codes differ) */
	/* repl.c */
	int probe;          /* multi-statements on: a monitor's connection */
	int no_slave_status; /* SHOW ALL SLAVES STATUS refused: not asked again */
	char last_gtid[DBR_POSITION_MAX]; /* session-tracked @@last_gtid, "" none */
} my_conn;

/* Fails with the connection's last error (DBR_ESQL, DBR_ECONNECT for a
 * lost connection, DBR_ETIMEOUT for a statement the server timed out). */
int my_fail(my_conn *c);
int my_fail_with(my_conn *c, unsigned e, const char *state, const char *msg);

/* repl.c: the replication ops (dbr_driver_ops, ABI 1.1), and the
 * session-tracked @@last_gtid read after each statement. */
int my_repl_info(dbr_repl_info *out, void *conn);
int my_write_position(char *buf, size_t size, void *conn);
int my_wait_position(void *conn, const char *position, int timeout_ms);
void my_track_gtid(my_conn *c);

/* gtid.c: GTID list positions "D-S-N,…" (pure). */
int my_position_cmp(int *out, const char *a, const char *b);
/* 1 if `text` is a GTID list (possibly empty). */
int my_gtid_valid(const char *text);

#endif
