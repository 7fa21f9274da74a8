/* SPDX-License-Identifier: MIT */
/*
 * repl.c — the MariaDB driver's replication ops (ABI 1.1): repl_info for
 * the monitor, write_position from the session-tracked @@last_gtid,
 * wait_position with MASTER_GTID_WAIT. Positions are GTID lists (gtid.c).
 *
 * repl_info is one round trip: the monitor's connection gets
 * multi-statements on at its first probe (it never runs application SQL)
 * and sends the variables and SHOW ALL SLAVES STATUS together. SHOW needs
 * the SLAVE MONITOR privilege (REPLICATION CLIENT before 10.5): when it is
 * refused, the connection stops asking and the role comes from the
 * variables alone, with the lag unknown.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mysqld_error.h>

#include "mariadb.h"

/* The variables every user may read: read_only, both positions, and how
 * many replication SQL threads run. */
#define PROBE_VARS \
	"SELECT @@global.read_only, @@global.gtid_binlog_pos, " \
	"@@global.gtid_slave_pos, (SELECT VARIABLE_VALUE FROM " \
	"information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'SLAVES_RUNNING')"
#define PROBE_SLAVES ";SHOW ALL SLAVES STATUS"

/* The columns of SHOW ALL SLAVES STATUS read, by name (their order moves
 * between versions). */
enum { IO_RUN, SQL_RUN, BEHIND, IO_POS, READ_FILE, READ_POS, EXEC_FILE, EXEC_POS, NCOLS };
static const char *const COLS[NCOLS] = {
	[IO_RUN] = "Slave_IO_Running", [SQL_RUN] = "Slave_SQL_Running",
	[BEHIND] = "Seconds_Behind_Master", [IO_POS] = "Gtid_IO_Pos",
	[READ_FILE] = "Master_Log_File", [READ_POS] = "Read_Master_Log_Pos",
	[EXEC_FILE] = "Relay_Master_Log_File", [EXEC_POS] = "Exec_Master_Log_Pos",
};

static int copy_pos(char *dst, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	if (n >= DBR_POSITION_MAX)
		return -1;
	memcpy(dst, src ? src : "", n + 1);
	return 0;
}

static int too_long(my_conn *c)
{
	return my_svc->error(DBR_ERANGE, NULL, "database \"%s\": mysql: the GTID "
	                     "position is longer than %d bytes", c->alias,
	                     DBR_POSITION_MAX - 1);
}

/* The first result: read_only, gtid_binlog_pos, gtid_slave_pos,
 * Slaves_running. */
typedef struct probe_vars {
	int read_only;
	long slaves_running;
	char binlog_pos[DBR_POSITION_MAX];
	char slave_pos[DBR_POSITION_MAX];
} probe_vars;

static int read_vars(probe_vars *v, my_conn *c)
{
	MYSQL_RES *res = mysql_store_result(c->m);
	MYSQL_ROW r = res ? mysql_fetch_row(res) : NULL;
	int rc = 0;
	if (r == NULL || mysql_num_fields(res) != 4)
		rc = mysql_errno(c->m) ? my_fail(c) : my_svc->error(DBR_ESQL, "HY000",
		     "database \"%s\": mysql: the replication probe returned no row",
		     c->alias);
	else if (copy_pos(v->binlog_pos, r[1]) || copy_pos(v->slave_pos, r[2]))
		rc = too_long(c);
	else {
		v->read_only = r[0] && atoi(r[0]) != 0;
		v->slaves_running = r[3] ? atol(r[3]) : 0;
	}
	mysql_free_result(res);
	return rc;
}

/* One replication connection's facts (a row of SHOW ALL SLAVES STATUS). */
typedef struct slave_row {
	int io, sql;        /* threads running */
	int64_t lag_us, lag_bytes;
} slave_row;

static int64_t num(const char *s)
{
	return s ? strtoll(s, NULL, 10) : -1;
}

/* Caught up: both threads run and every GTID received is applied (the
 * applied position is at or past the received one, per domain). */
static void read_row(slave_row *s, MYSQL_ROW r, const int *col, const char *slave_pos)
{
	int cmp = -1;
	s->io = r[col[IO_RUN]] && strcmp(r[col[IO_RUN]], "Yes") == 0;
	s->sql = r[col[SQL_RUN]] && strcmp(r[col[SQL_RUN]], "Yes") == 0;
	if (s->io && s->sql && my_position_cmp(&cmp, slave_pos, r[col[IO_POS]]) == 0 &&
	    cmp >= 0) {
		s->lag_us = s->lag_bytes = 0;
		return;
	}
	s->lag_us = r[col[BEHIND]] ? num(r[col[BEHIND]]) * 1000000 : -1;
	/* Bytes of the primary's binlog received but not applied, when both
	 * threads are in the same file (else unknown). */
	s->lag_bytes = r[col[READ_FILE]] && r[col[EXEC_FILE]] &&
	               strcmp(r[col[READ_FILE]], r[col[EXEC_FILE]]) == 0
	               ? num(r[col[READ_POS]]) - num(r[col[EXEC_POS]]) : -1;
	if (s->lag_bytes < -1)
		s->lag_bytes = -1;
}

/* The worst lag of all connections; unknown wins. */
static int64_t worse(int64_t a, int64_t b)
{
	return a < 0 || b < 0 ? -1 : a > b ? a : b;
}

/* *replica: a replication connection runs (either thread), or one is
 * configured and the server is read-only (a replica stopped by hand). */
static int read_slaves(dbr_repl_info *out, int *replica, my_conn *c,
                       const probe_vars *v)
{
	MYSQL_RES *res = mysql_store_result(c->m);
	if (res == NULL)
		return my_fail(c);
	int col[NCOLS];
	unsigned n = mysql_num_fields(res);
	MYSQL_FIELD *f = mysql_fetch_fields(res);
	for (int k = 0; k < NCOLS; k++) {
		col[k] = -1;
		for (unsigned i = 0; i < n; i++)
			if (strcmp(f[i].name, COLS[k]) == 0)
				col[k] = (int)i;
		if (col[k] < 0) {
			mysql_free_result(res);
			return my_svc->error(DBR_ESQL, "HY000", "database \"%s\": mysql: "
			                     "SHOW ALL SLAVES STATUS has no column %s",
			                     c->alias, COLS[k]);
		}
	}
	MYSQL_ROW r;
	int rows = 0;
	while ((r = mysql_fetch_row(res)) != NULL) {
		slave_row s;
		read_row(&s, r, col, v->slave_pos);
		out->lag_us = rows ? worse(out->lag_us, s.lag_us) : s.lag_us;
		out->lag_bytes = rows ? worse(out->lag_bytes, s.lag_bytes) : s.lag_bytes;
		*replica |= s.io || s.sql || v->read_only;
		rows++;
	}
	mysql_free_result(res);
	return 0;
}

/* The second result, if asked: refused for want of privilege, the
 * connection stops asking. */
static int next_slaves(dbr_repl_info *out, int *replica, my_conn *c,
                       const probe_vars *v)
{
	if (mysql_next_result(c->m) == 0)
		return read_slaves(out, replica, c, v);
	if (mysql_errno(c->m) != ER_SPECIFIC_ACCESS_DENIED_ERROR)
		return my_fail(c);
	c->no_slave_status = 1;
	my_svc->log(DBR_LOG_INFO, "mariadb", "database \"%s\": SHOW ALL SLAVES STATUS "
	            "refused (%s): replication lag unknown; grant SLAVE MONITOR to see "
	            "it", c->alias, mysql_error(c->m));
	*replica = v->slaves_running > 0 || (v->read_only && v->slave_pos[0]);
	return 0;
}

int my_repl_info(dbr_repl_info *out, void *conn)
{
	my_conn *c = conn;
	probe_vars v;
	int replica = 0, rc;
	if (c->mysql) /* MySQL has neither these variables nor GTID lists */
		return my_svc->error(DBR_ENOTSUP, NULL, "database \"%s\": replication "
		                     "facts are read from MariaDB servers only", c->alias);
	if (!c->probe) {
		if (mysql_set_server_option(c->m, MYSQL_OPTION_MULTI_STATEMENTS_ON) != 0)
			return my_fail(c);
		c->probe = 1;
	}
	const char *sql = c->no_slave_status ? PROBE_VARS : PROBE_VARS PROBE_SLAVES;
	int slaves = !c->no_slave_status;
	if (mysql_real_query(c->m, sql, (unsigned long)strlen(sql)) != 0)
		return my_fail(c);
	out->lag_us = out->lag_bytes = -1;
	rc = read_vars(&v, c);
	if (rc == 0 && slaves)
		rc = next_slaves(out, &replica, c, &v);
	else if (rc == 0)
		replica = v.slaves_running > 0 || (v.read_only && v.slave_pos[0]);
	while (mysql_more_results(c->m) && mysql_next_result(c->m) == 0)
		mysql_free_result(mysql_store_result(c->m));
	if (rc)
		return rc;
	out->role = replica ? DBR_ROLE_REPLICA : DBR_ROLE_PRIMARY;
	out->read_only = v.read_only;
	if (!replica)
		out->lag_us = out->lag_bytes = 0;
	copy_pos(out->position, replica ? v.slave_pos : v.binlog_pos);
	return 0;
}

/* ------------------------------------------------------------ positions */

/* Keeps @@last_gtid if the last OK packet carried it (session tracking,
 * set at connect: no round trip). Names and values come in pairs. */
void my_track_gtid(my_conn *c)
{
	const char *d;
	size_t len;
	if (c->mysql ||
	    mysql_session_track_get_first(c->m, SESSION_TRACK_SYSTEM_VARIABLES, &d, &len) != 0)
		return;
	do {
		int gtid = len == 9 && memcmp(d, "last_gtid", 9) == 0;
		if (mysql_session_track_get_next(c->m, SESSION_TRACK_SYSTEM_VARIABLES,
		                                 &d, &len) != 0)
			return;
		if (gtid && len > 0 && len < sizeof c->last_gtid) {
			memcpy(c->last_gtid, d, len);
			c->last_gtid[len] = '\0';
		}
	} while (mysql_session_track_get_next(c->m, SESSION_TRACK_SYSTEM_VARIABLES,
	                                      &d, &len) == 0);
}

int my_write_position(char *buf, size_t size, void *conn)
{
	my_conn *c = conn;
	if (size <= strlen(c->last_gtid))
		return my_svc->error(DBR_ERANGE, NULL, "database \"%s\": a buffer of %zu "
		                     "bytes cannot hold the position", c->alias, size);
	memcpy(buf, c->last_gtid, strlen(c->last_gtid) + 1);
	return 0;
}

/* The server's wait, in seconds: timeout_ms, but ending before the
 * client's read deadline would drop the connection. */
static double wait_seconds(const my_conn *c, int timeout_ms)
{
	int ms = timeout_ms > 0 ? timeout_ms : 0;
	if (c->read_timeout_ms > 0) {
		int cap = c->read_timeout_ms - 1000;
		if (cap < c->read_timeout_ms / 2)
			cap = c->read_timeout_ms / 2;
		if (ms > cap)
			ms = cap;
	}
	return ms / 1000.0;
}

/* SELECT MASTER_GTID_WAIT(position, seconds) into *out (0 reached, -1 not). */
static int gtid_wait(long long *out, my_conn *c, const char *position, double secs)
{
	static const char SQL[] = "SELECT MASTER_GTID_WAIT(?, ?)";
	MYSQL_BIND in[2], res;
	unsigned long len = (unsigned long)strlen(position);
	my_bool null = 1;
	MYSQL_STMT *st = mysql_stmt_init(c->m);
	if (st == NULL)
		return my_svc->error(DBR_ENOMEM, "HY001", "out of memory");
	memset(in, 0, sizeof in);
	in[0].buffer_type = MYSQL_TYPE_STRING;
	in[0].buffer = (void *)position;
	in[0].buffer_length = len;
	in[0].length = &len;
	in[1].buffer_type = MYSQL_TYPE_DOUBLE;
	in[1].buffer = &secs;
	memset(&res, 0, sizeof res);
	res.buffer_type = MYSQL_TYPE_LONGLONG;
	res.buffer = out;
	res.is_null = &null;
	int rc = mysql_stmt_prepare(st, SQL, sizeof SQL - 1) || mysql_stmt_bind_param(st, in) ||
	         mysql_stmt_execute(st) || mysql_stmt_bind_result(st, &res) ||
	         mysql_stmt_fetch(st) != 0;
	if (rc)
		rc = mysql_stmt_errno(st)
		     ? my_fail_with(c, mysql_stmt_errno(st), mysql_stmt_sqlstate(st),
		                    mysql_stmt_error(st))
		     : my_svc->error(DBR_ESQL, "HY000", "database \"%s\": mysql: "
		                     "MASTER_GTID_WAIT returned no row", c->alias);
	else if (null)
		rc = my_svc->error(DBR_ESQL, "HY000", "database \"%s\": mysql: "
		                   "MASTER_GTID_WAIT returned NULL", c->alias);
	mysql_stmt_close(st);
	return rc;
}

int my_wait_position(void *conn, const char *position, int timeout_ms)
{
	my_conn *c = conn;
	long long reached = -1;
	if (c->mysql)
		return my_svc->error(DBR_ENOTSUP, NULL, "database \"%s\": waiting for a "
		                     "position needs a MariaDB server", c->alias);
	if (!my_gtid_valid(position) || position[0] == '\0')
		return my_svc->error(DBR_ERANGE, NULL, "database \"%s\": \"%.64s\" is not "
		                     "a GTID position", c->alias, position ? position : "");
	double secs = wait_seconds(c, timeout_ms);
	int rc = gtid_wait(&reached, c, position, secs);
	if (rc == 0 && reached != 0)
		rc = my_svc->error(DBR_ETIMEOUT, NULL, "database \"%s\": the replica did "
		                   "not reach GTID %s within %.3f s", c->alias, position, secs);
	return rc;
}
