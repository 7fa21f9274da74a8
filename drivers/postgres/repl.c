/* SPDX-License-Identifier: MIT */
/*
 * repl.c — the PostgreSQL driver's replication ops (driver.h,
 * "Replication"): repl_info for the core's monitor, write_position,
 * wait_position and position_cmp for causal reads.
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
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pg.h"

/* The timeline a WAL file name starts with (8 hex digits). */
#define TLI_OF_WAL(lsn) "('x' || substr(pg_walfile_name(" lsn "), 1, 8))::bit(32)::int"

/* The member's position as two columns, timeline and LSN, given `rec`
 * (in recovery). A replica: the WAL receiver's timeline (hidden from roles
 * without pg_read_all_stats, and gone while the receiver is down: then
 * the last restartpoint's). */
#define POSITION_COLS \
	"CASE WHEN rec THEN coalesce((SELECT received_tli FROM pg_stat_wal_receiver)," \
	" (pg_control_checkpoint()).timeline_id)" \
	" ELSE " TLI_OF_WAL("pg_current_wal_lsn()") " END, " \
	"CASE WHEN rec THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END"

#define WITH_REC "WITH s AS (SELECT pg_is_in_recovery() AS rec) "

/* One round trip: role, read-only, timeline, position, lag in bytes and
 * in microseconds. A replica whose received WAL is all replayed has no
 * lag, however old its last replayed transaction. */
static const char REPL_SQL[] =
	WITH_REC "SELECT rec, "
	"rec OR current_setting('default_transaction_read_only')::bool, "
	POSITION_COLS ", "
	"CASE WHEN NOT rec THEN 0 ELSE pg_wal_lsn_diff(pg_last_wal_receive_lsn(),"
	" pg_last_wal_replay_lsn())::int8 END, "
	"CASE WHEN NOT rec OR pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0"
	" ELSE (extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp())"
	" * 1000000)::int8 END "
	"FROM s";

/* Parses 1 to 8 hex digits into *out; the end, or NULL. */
static const char *hex32(uint32_t *out, const char *s)
{
	static const char DIGITS[] = "0123456789ABCDEF0123456789abcdef";
	uint32_t v = 0;
	int n = 0;
	const char *d;
	for (; *s && (d = strchr(DIGITS, *s)) != NULL && n < 9; s++, n++)
		v = v << 4 | (uint32_t)((d - DIGITS) % 16);
	if (n == 0 || n > 8)
		return NULL;
	*out = v;
	return s;
}

/* Parses an LSN "X/Y" (hex halves, as PostgreSQL prints it) into *lsn and
 * its end into *end; 0 or -1. */
static int lsn_parse(uint64_t *lsn, const char *s, const char **end)
{
	uint32_t hi, lo;
	if ((s = hex32(&hi, s)) == NULL || *s != '/' || (s = hex32(&lo, s + 1)) == NULL)
		return -1;
	*lsn = (uint64_t)hi << 32 | lo;
	*end = s;
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

/* ------------------------------------------------------------ positions */

/* Parses "<tli>/<LSN>"; 0 or -1 (not a position). */
static int position_parse(uint32_t *tli, uint64_t *lsn, const char *s)
{
	char *e = NULL;
	const char *end;
	if (s == NULL || *s < '1' || *s > '9')
		return -1;
	unsigned long long t = strtoull(s, &e, 10);
	if (*e != '/' || t > UINT32_MAX || lsn_parse(lsn, e + 1, &end) != 0 || *end)
		return -1;
	*tli = (uint32_t)t;
	return 0;
}

int pg_position_cmp(int *out, const char *a, const char *b)
{
	uint32_t ta, tb;
	uint64_t la, lb;
	if (position_parse(&ta, &la, a) || position_parse(&tb, &lb, b) || ta != tb)
		return DBR_ERANGE; /* garbage, or another timeline: a failover between */
	*out = la < lb ? -1 : la > lb;
	return 0;
}

/* The insert LSN, not the flush or write LSN: it is at or past the end of
 * the commit record of every transaction this session has committed (they
 * were all inserted before this call), it needs no wait for a flush, and
 * it is cheap. Replaying up to it makes those commits visible. */
static const char WRITE_POS_SQL[] =
	"SELECT " TLI_OF_WAL("lsn") ", lsn FROM (SELECT pg_current_wal_insert_lsn() AS lsn) s";

static const char WAIT_POS_SQL[] = WITH_REC "SELECT " POSITION_COLS " FROM s";

/* Runs a query of two columns, timeline and LSN, into tli and lsn (0 when
 * NULL: none yet). */
static int query_position(uint32_t *tli, uint64_t *lsn, pg_conn *c, const char *sql)
{
	PGresult *res = NULL;
	const char *end;
	int rc = pg_query(&res, c, sql);
	if (rc)
		return rc;
	*tli = 0;
	*lsn = 0;
	if (PQntuples(res) != 1 || PQnfields(res) != 2 ||
	    (!PQgetisnull(res, 0, 1) && lsn_parse(lsn, PQgetvalue(res, 0, 1), &end) != 0))
		rc = svc->error(DBR_EPLUGIN, NULL, "database \"%s\": postgres: the position "
		                "query returned an unexpected shape", c->alias);
	else if (!PQgetisnull(res, 0, 0) && !PQgetisnull(res, 0, 1))
		*tli = (uint32_t)strtoul(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return rc;
}

int pg_write_position(char *buf, size_t size, void *conn)
{
	pg_conn *c = conn;
	uint32_t tli;
	uint64_t lsn;
	int rc = query_position(&tli, &lsn, c, WRITE_POS_SQL);
	if (rc)
		return rc;
	int n = tli == 0 ? snprintf(buf, size, "%s", "")
		: snprintf(buf, size, "%" PRIu32 "/%" PRIX32 "/%" PRIX32, tli,
		           (uint32_t)(lsn >> 32), (uint32_t)lsn);
	if (n < 0 || (size_t)n >= size)
		return svc->error(DBR_ERANGE, NULL, "database \"%s\": postgres: a position "
		                  "buffer of %zu bytes is too small", c->alias, size);
	return 0;
}

static void nap_ms(int64_t ms)
{
	struct timespec ts = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Polls the replayed position, every 1 ms at first, then every 10 ms at
 * most: one cheap round trip each, bounded by timeout_ms and never longer
 * than read_timeout. */
int pg_wait_position(void *conn, const char *position, int timeout_ms)
{
	pg_conn *c = conn;
	uint32_t want_tli, tli;
	uint64_t want, lsn;
	if (position_parse(&want_tli, &want, position) != 0)
		return svc->error(DBR_ERANGE, NULL, "database \"%s\": postgres: \"%.64s\" is "
		                  "not a position (<timeline>/<LSN>)", c->alias, position ? position : "");
	int64_t limit = timeout_ms > 0 ? timeout_ms : 0;
	if (c->read_timeout > 0 && c->read_timeout * 1000 < (double)limit)
		limit = (int64_t)(c->read_timeout * 1000);
	int64_t deadline = pg_now_ms() + limit, nap = 1;
	for (;;) {
		int rc = query_position(&tli, &lsn, c, WAIT_POS_SQL);
		if (rc)
			return rc;
		if (tli != 0 && tli != want_tli)
			return svc->error(DBR_ERANGE, NULL, "database \"%s\": postgres: position "
			                  "%s is of timeline %" PRIu32 ", the server is on %" PRIu32
			                  " (a failover between)", c->alias, position, want_tli, tli);
		if (tli != 0 && lsn >= want)
			return 0;
		int64_t left = deadline - pg_now_ms();
		if (left <= 0)
			return svc->error(DBR_ETIMEOUT, NULL, "database \"%s\": postgres: position "
			                  "%s not replayed within %lld ms", c->alias, position,
			                  (long long)limit);
		nap_ms(nap < left ? nap : left);
		nap = nap * 2 > 10 ? 10 : nap * 2;
	}
}
