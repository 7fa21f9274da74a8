/* SPDX-License-Identifier: MIT */
/*
 * repl.c — the PostgreSQL driver's replication ops (driver.h,
 * "Replication"): repl_info for the core's monitor.
 *
 * Positions are "<timeline>/<LSN>", the timeline in decimal and the LSN as
 * PostgreSQL prints it (two hex halves), e.g. "1/0/3000148". An LSN alone
 * is not enough: after a failover the promoted server starts a new
 * timeline and LSNs of the old one can name different WAL there, so two
 * positions of different timelines are never compared (position_cmp says
 * DBR_ERANGE; causal reads then go to the primary). The timeline is the
 * one WAL is written on (a primary: the name of its current WAL file) or
 * replayed from (a replica: the WAL receiver's timeline, else its last
 * restartpoint's when the receiver is down or hidden from the role).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pg.h"

/* One round trip: role, read-only, timeline, position, lag in bytes and
 * in microseconds. A replica whose received WAL is all replayed has no
 * lag, however old its last replayed transaction. */
static const char REPL_SQL[] =
	"WITH s AS (SELECT pg_is_in_recovery() AS rec) SELECT rec, "
	"rec OR current_setting('default_transaction_read_only')::bool, "
	"CASE WHEN rec THEN coalesce((SELECT received_tli FROM pg_stat_wal_receiver),"
	" (pg_control_checkpoint()).timeline_id)"
	" ELSE ('x' || substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8))::bit(32)::int END, "
	"CASE WHEN rec THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END, "
	"CASE WHEN NOT rec THEN 0 ELSE pg_wal_lsn_diff(pg_last_wal_receive_lsn(),"
	" pg_last_wal_replay_lsn())::int8 END, "
	"CASE WHEN NOT rec OR pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0"
	" ELSE (extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())"
	" * 1000000)::int8 END "
	"FROM s";

/* Parses an LSN "X/Y" (hex halves) into *lsn; 0 or -1. */
static int lsn_parse(uint64_t *lsn, const char *s, const char **end)
{
	char *e = NULL;
	if (*s < '0' || (*s > '9' && (*s | 0x20) < 'a') || (*s | 0x20) > 'f')
		return -1;
	unsigned long long hi = strtoull(s, &e, 16);
	if (*e != '/' || hi > UINT32_MAX)
		return -1;
	s = e + 1;
	if (*s < '0' || (*s > '9' && (*s | 0x20) < 'a') || (*s | 0x20) > 'f')
		return -1;
	unsigned long long lo = strtoull(s, &e, 16);
	if (lo > UINT32_MAX)
		return -1;
	*lsn = (uint64_t)hi << 32 | lo;
	*end = e;
	return 0;
}

/* "<tli>/<LSN>" into buf from a timeline and PostgreSQL's LSN text. */
static int position_format(char *buf, size_t size, long long tli, const char *lsn_text)
{
	uint64_t lsn;
	const char *end;
	if (tli <= 0 || tli > UINT32_MAX || lsn_parse(&lsn, lsn_text, &end) != 0 || *end)
		return -1;
	int n = snprintf(buf, size, "%lld/%" PRIX32 "/%" PRIX32, tli,
	                 (uint32_t)(lsn >> 32), (uint32_t)lsn);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

/* A column as an integer; dflt when NULL (unknown). */
static int64_t int_or(const PGresult *res, int col, int64_t dflt)
{
	return PQgetisnull(res, 0, col) ? dflt : strtoll(PQgetvalue(res, 0, col), NULL, 10);
}

/* A lag: -1 when unknown, never below 0 when known (the receiver may
 * report less than was replayed as it restarts; clocks may differ). */
static int64_t lag_of(const PGresult *res, int col)
{
	int64_t v = int_or(res, col, -1);
	return PQgetisnull(res, 0, col) || v >= 0 ? v : 0;
}

int pg_repl_info(dbr_repl_info *out, void *conn)
{
	pg_conn *c = conn;
	PGresult *res = NULL;
	int rc = pg_query(&res, c, REPL_SQL);
	if (rc)
		return rc;
	if (PQntuples(res) != 1 || PQnfields(res) != 6) {
		PQclear(res);
		return svc->error(DBR_EPLUGIN, NULL, "database \"%s\": postgres: the "
		                  "replication probe returned an unexpected shape", c->alias);
	}
	int replica = PQgetvalue(res, 0, 0)[0] == 't';
	out->role = replica ? DBR_ROLE_REPLICA : DBR_ROLE_PRIMARY;
	out->read_only = PQgetvalue(res, 0, 1)[0] == 't';
	out->lag_bytes = lag_of(res, 4);
	out->lag_us = lag_of(res, 5);
	out->position[0] = '\0';
	/* No replayed LSN yet (a replica still starting): no position. */
	if (!PQgetisnull(res, 0, 3) && !PQgetisnull(res, 0, 2) &&
	    position_format(out->position, sizeof out->position, int_or(res, 2, 0),
	                    PQgetvalue(res, 0, 3)) != 0)
		out->position[0] = '\0';
	PQclear(res);
	return 0;
}
