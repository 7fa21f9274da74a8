/* SPDX-License-Identifier: MIT */
/*
 * test_monitor_my.c — the cluster monitor against the real MariaDB primary
 * and GTID replica of tests/servers.sh (run by tests/server-suite.sh):
 * the replica is killed (SIGKILL) and started again with `servers.sh
 * my-replica kill|start`, the primary made read-only with SET GLOBAL as
 * root over its unix socket (DBR_MY_SOCKET_DIR). Later suites use these
 * servers: every fault is undone by the test's teardown, also when an
 * assertion failed, and again at exit.
 *
 * Bounds are generous (a loaded 2-core machine): the monitor probes every
 * 0.3 s; "within one interval" is checked as interval + timeout + slack.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <dbrouter/dbrouter.h>
#include <dbrouter/driver.h> /* dbr_role */

#include "monitor_fixture.h"
#include "testutil.h"

#define TIMEOUT 1.0

static struct {
	dbr_session *s; /* a test's session: freed by teardown */
	int killed;    /* the replica was killed: start it, START SLAVE, catch up */
	int read_only; /* the primary was made read-only: undo */
} F;

static int have_servers(void)
{
	return env("DBR_MY_PRIMARY_URL") && env("DBR_MY_REPLICA_URL") && env("DBR_MY_SOCKET_DIR") &&
	       env("DBR_SRCDIR");
}

/* servers.sh my-replica kill|start on the harness's servers (the parent
 * of DBR_MY_SOCKET_DIR). start also runs START SLAVE and waits until the
 * replica has caught up with the primary. */
static int my_replica(const char *action)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd,
	         "\"$DBR_SRCDIR/tests/servers.sh\" my-replica %s \"$(dirname \"$DBR_MY_SOCKET_DIR\")\" "
	         ">/dev/null", action);
	int killing = strcmp(action, "kill") == 0;
	if (killing)
		F.killed = 1; /* even if the kill half failed: start checks */
	int rc = system(cmd);
	if (rc == 0 && !killing)
		F.killed = 0;
	return rc;
}

/* SQL as root over the primary's unix socket. */
static int my_primary_sql(const char *sql)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd,
	         "mariadb --no-defaults -S \"$DBR_MY_SOCKET_DIR/primary.sock\" -uroot -e '%s'", sql);
	return system(cmd);
}

static int set_read_only(int on)
{
	if (on)
		F.read_only = 1;
	int rc = my_primary_sql(on ? "SET GLOBAL read_only = 1" : "SET GLOBAL read_only = 0");
	if (rc == 0 && !on)
		F.read_only = 0;
	return rc;
}

/* Puts the servers back as later suites expect them. */
static void restore_servers(void)
{
	if (F.read_only && set_read_only(0) != 0)
		fprintf(stderr, "# could not make the MariaDB primary writable again\n");
	if (F.killed && my_replica("start") != 0)
		fprintf(stderr, "# could not start the MariaDB replica again\n");
}

static int teardown(void **state)
{
	(void)state;
	dbr_session_free(F.s);
	F.s = NULL;
	monitor_close();
	restore_servers();
	return 0;
}

/* The cluster: default = the primary, r1 its replica, round_robin. */
static void open_cluster(void)
{
	char text[2048];
	snprintf(text, sizeof text,
	         "databases = {\n"
	         "  default = { url = \"%s\"; options = { connect_timeout = 2; };\n"
	         "              monitor = { interval = %g; timeout = %g; }; };\n"
	         "  r1 = { url = \"%s\"; replica_of = \"default\"; options = { connect_timeout = 2; }; };\n"
	         "};\n"
	         "routers = ( { name = \"round_robin\"; } );\n",
	         env("DBR_MY_PRIMARY_URL"), INTERVAL, TIMEOUT, env("DBR_MY_REPLICA_URL"));
	monitor_open(text);
}

static int is_read_only(const char *a) { return state_of(a).read_only; }
static int is_writable(const char *a) { return !state_of(a).read_only; }

/* ------------------------------------------------------------ tests */

static int kill_r1(void) { return my_replica("kill"); }
static int start_r1(void) { return my_replica("start"); } /* up, replicating, caught up */

/* MariaDB's replica killed (SIGKILL) under a 16-thread read load: no read
 * fails (retries, then the primary: it is the only replica), it is out of
 * rotation within an interval, sees a bounded number of connects while
 * down (backoff), and is back within two intervals after it restarts. */
static void test_replica_killed_under_load(void **state)
{
	(void)state;
	if (!have_servers())
		skip();
	open_cluster();
	assert_true(wait_for(is_probed, "r1", 5) >= 0);
	assert_int_equal(state_of("r1").role, DBR_ROLE_REPLICA);
	check_r1_down_under_load(kill_r1, start_r1, "MariaDB r1", "SIGKILL");
	assert_int_equal(state_of("r1").role, DBR_ROLE_REPLICA);
}

/* The output of `dbrouter status` on the configuration `text` (a file
 * removed after), or NULL. */
static char *status_output(const char *text)
{
	char conf[] = "/tmp/dbr-monmy-XXXXXX";
	int fd = mkstemp(conf);
	if (fd < 0)
		return NULL;
	FILE *f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	char cmd[300];
	snprintf(cmd, sizeof cmd, "tools/dbrouter -c '%s' status 2>/dev/null", conf);
	FILE *p = popen(cmd, "r");
	char *out = calloc(1, 8192);
	size_t n = p && out ? fread(out, 1, 8191, p) : 0;
	if (p)
		pclose(p);
	unlink(conf);
	if (out)
		out[n] = '\0';
	return out;
}

/* One write on `s`; its time in *took. */
static int write_one(dbr_session *s, int id, double *took)
{
	char sql[96];
	snprintf(sql, sizeof sql, "INSERT INTO mon_my_ro (id) VALUES (%d)", id);
	double t0 = mono_s();
	int rc = dbr_exec_sql(NULL, s, sql);
	*took = mono_s() - t0;
	return rc;
}

/* The MariaDB primary made read-only (SET GLOBAL read_only = 1): within an
 * interval the monitor sees it, a write fails fast with DBR_EROUTE naming
 * the alias and its state (without reaching the server: the server's own
 * refusal would be DBR_ESQL), status shows it; writable again, writes go
 * through once the monitor has re-probed. */
static void test_primary_read_only(void **state)
{
	(void)state;
	if (!have_servers())
		skip();
	open_cluster();
	assert_int_equal(dbr_session_new(&F.s, mon_db), 0);
	dbr_session *s = F.s;
	assert_int_equal(dbr_exec_sql(NULL, s, "DROP TABLE IF EXISTS mon_my_ro"), 0);
	assert_int_equal(dbr_exec_sql(NULL, s, "CREATE TABLE mon_my_ro (id int PRIMARY KEY)"), 0);
	assert_true(wait_for(is_probed, "default", 5) >= 0);
	dbr_member_state st = state_of("default");
	assert_int_equal(st.role, DBR_ROLE_PRIMARY);
	assert_int_equal(st.read_only, 0);
	double took;
	assert_int_equal(write_one(s, 1, &took), 0);

	assert_int_equal(set_read_only(1), 0);
	double seen = wait_for(is_read_only, "default", 10);
	fprintf(stderr, "# MariaDB primary seen read-only %.2f s after SET GLOBAL\n", seen);
	assert_true(seen >= 0 && seen <= INTERVAL + TIMEOUT + 1.0);
	int rc = write_one(s, 2, &took);
	char msg[512];
	snprintf(msg, sizeof msg, "%s", dbr_session_errmsg(s));
	char sqlstate[8];
	snprintf(sqlstate, sizeof sqlstate, "%s", dbr_session_sqlstate(s));
	fprintf(stderr, "# write refused in %.3f s: %s (%s)\n", took, msg, sqlstate);
	assert_int_equal(rc, DBR_EROUTE);
	assert_string_equal(sqlstate, "25006");
	assert_non_null(strstr(msg, "\"default\""));
	assert_non_null(strstr(msg, "read-only"));
	assert_true(took < 0.5); /* refused by the core: no round trip */
	st = state_of("default");
	assert_int_equal(st.read_only, 1);
	assert_int_equal(st.role, DBR_ROLE_PRIMARY); /* no replication runs there */
	char text[2048];
	snprintf(text, sizeof text,
	         "databases = {\n"
	         "  default = { url = \"%s\"; monitor = { interval = %g; }; };\n"
	         "  r1 = { url = \"%s\"; replica_of = \"default\"; };\n"
	         "};\n",
	         env("DBR_MY_PRIMARY_URL"), INTERVAL, env("DBR_MY_REPLICA_URL"));
	char *out = status_output(text);
	assert_non_null(out);
	const char *o = out ? out : ""; /* (the compiler cannot see the assert) */
	fprintf(stderr, "# status:\n%s", o);
	const char *line = strstr(o, "\ndefault "), *at = line ? strstr(line, "primary (read-only), ") : NULL;
	int shown = at && !memchr(line + 1, '\n', (size_t)(at - line - 1)); /* on that line */
	int leaks = strstr(o, "Sekr1t") != NULL;
	free(out);
	assert_true(shown);
	assert_false(leaks);

	assert_int_equal(set_read_only(0), 0);
	double back = wait_for(is_writable, "default", 10);
	fprintf(stderr, "# MariaDB primary seen writable %.2f s after SET GLOBAL\n", back);
	assert_true(back >= 0 && back <= INTERVAL + TIMEOUT + 1.0);
	assert_int_equal(write_one(s, 3, &took), 0);
	/* The refused write is not in the table; the others are. */
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "SELECT id FROM mon_my_ro ORDER BY id";
	q.using_alias = "default";
	dbr_result *r = NULL;
	assert_int_equal(dbr_exec(&r, s, &q), 0);
	size_t rows = dbr_result_nrows(r);
	dbr_result_free(r);
	assert_int_equal(dbr_exec_sql(NULL, s, "DROP TABLE mon_my_ro"), 0);
	assert_int_equal(rows, 2);
}

int main(void)
{
	/* A crash past cmocka's teardown still puts the servers back. */
	atexit(restore_servers);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_replica_killed_under_load, teardown),
		cmocka_unit_test_teardown(test_primary_read_only, teardown),
	};
	return cmocka_run_group_tests_name("monitor-mariadb", tests, NULL, NULL);
}
