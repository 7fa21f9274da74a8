/* SPDX-License-Identifier: MIT */
/*
 * test_monitor.c — the cluster monitor against the real PostgreSQL primary
 * and two streaming replicas of tests/servers.sh (run by
 * tests/server-suite.sh): faults are injected with pg_ctl (as the postgres
 * user, DBR_PG_BINDIR / DBR_PG_SOCKET_DIR) and ALTER SYSTEM over the unix
 * socket, and every server a test touches is restored by its teardown,
 * also when an assertion failed.
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
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <dbrouter/dbrouter.h>

#include "monitor_fixture.h"
#include "testutil.h"

static struct {
	int stopped[3];   /* 0 primary, 1 replica1, 2 replica2: to start again */
	int delayed;      /* replica2 has recovery_min_apply_delay set */
	int frozen[3];    /* SIGSTOPped: to SIGCONT */
	char private_dir[256]; /* a private cluster (servers.sh start-pg): stopped */
	int my_frozen;    /* the MariaDB replica is SIGSTOPped */
} F;

static int have_servers(void)
{
	return env("DBR_PG_PRIMARY_URL") && env("DBR_PG_REPLICA1_URL") && env("DBR_PG_REPLICA2_URL") &&
	       env("DBR_PG_BINDIR") && env("DBR_PG_SOCKET_DIR");
}

static const char *const DIRS[3] = { "primary", "replica1", "replica2" };
static const char *const PORTS[3] = { "DBR_PG_PRIMARY_PORT", "DBR_PG_REPLICA1_PORT",
                                      "DBR_PG_REPLICA2_PORT" };

/* pg_ctl stop (immediate) or start of server i, as the postgres user. */
static int pg_ctl(int i, const char *action)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd,
	         "run() { if [ \"$(id -u)\" = 0 ]; then runuser -u postgres -- \"$@\"; else \"$@\"; fi; }; "
	         "run \"$DBR_PG_BINDIR/pg_ctl\" -D \"$DBR_PG_SOCKET_DIR/%s\" "
	         "-l \"$DBR_PG_SOCKET_DIR/%s.log\" -o \"-p $%s\" -m immediate -w -t 60 %s >/dev/null 2>&1",
	         DIRS[i], DIRS[i], PORTS[i], action);
	int rc = system(cmd);
	/* A start right after an immediate stop can fail on a loaded machine
	 * (crash recovery, the port not yet free): retry, a failure here
	 * would leave the server down for every later suite. */
	for (int tries = 1; rc != 0 && strcmp(action, "start") == 0 && tries < 4; tries++) {
		sleep(1);
		char st[1024];
		snprintf(st, sizeof st,
		         "run() { if [ \"$(id -u)\" = 0 ]; then runuser -u postgres -- \"$@\"; else \"$@\"; fi; }; "
		         "run \"$DBR_PG_BINDIR/pg_ctl\" -D \"$DBR_PG_SOCKET_DIR/%s\" status >/dev/null 2>&1",
		         DIRS[i]);
		rc = system(st) == 0 ? 0 : system(cmd); /* up after all, or try again */
	}
	if (rc == 0)
		F.stopped[i] = strcmp(action, "stop") == 0;
	return rc;
}

/* SQL as the superuser over the unix socket of server i. */
static int psql(int i, const char *sql)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd,
	         "run() { if [ \"$(id -u)\" = 0 ]; then runuser -u postgres -- \"$@\"; else \"$@\"; fi; }; "
	         "run \"$DBR_PG_BINDIR/psql\" -X -q -h \"$DBR_PG_SOCKET_DIR\" -p \"$%s\" -U postgres "
	         "-d postgres -c \"%s\" >/dev/null 2>&1", PORTS[i], sql);
	return system(cmd);
}

/* SIGSTOP / SIGCONT of a replica's postmaster and its backends. */
static int freeze(int i, int on)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd,
	         "pid=$(head -n1 \"$DBR_PG_SOCKET_DIR/%s/postmaster.pid\") && "
	         "kill -%s $pid $(pgrep -P $pid) 2>/dev/null", DIRS[i], on ? "STOP" : "CONT");
	int rc = system(cmd);
	if (rc == 0)
		F.frozen[i] = on;
	return rc;
}

/* SIGSTOP / SIGCONT of the MariaDB replica (servers.sh records its pid). */
static int my_freeze(int on)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "kill -%s $(cat \"$DBR_MY_SOCKET_DIR/replica.launched\")",
	         on ? "STOP" : "CONT");
	int rc = system(cmd);
	if (rc == 0)
		F.my_frozen = on;
	return rc;
}

static void writer_stop(void);

static int teardown(void **state)
{
	(void)state;
	writer_stop();
	load_stop(); /* before dbr_close: readers use the handle */
	if (F.my_frozen)
		my_freeze(0);
	for (int i = 0; i < 3; i++)
		if (F.frozen[i])
			freeze(i, 0);
	monitor_close();
	for (int i = 0; i < 3; i++)
		if (F.stopped[i] && pg_ctl(i, "start") != 0)
			fprintf(stderr, "# could not start PostgreSQL %s again\n", DIRS[i]);
	if (F.private_dir[0]) {
		char cmd[1200];
		snprintf(cmd, sizeof cmd, "[ ! -e '%s/c' ] || \"$DBR_SRCDIR/tests/servers.sh\" stop '%s/c' "
		         ">/dev/null 2>&1; rm -rf '%s'", F.private_dir, F.private_dir, F.private_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "# could not stop the private cluster %s\n", F.private_dir);
		F.private_dir[0] = '\0';
	}
	if (F.delayed) {
		psql(2, "ALTER SYSTEM RESET recovery_min_apply_delay");
		psql(2, "SELECT pg_reload_conf()");
		F.delayed = 0;
	}
	return 0;
}

/* The cluster: default = the primary, r1 and r2 its replicas, round_robin;
 * `extra` goes into the primary's monitor group, `opts` into every
 * database's options. */
static void open_cluster_opts(const char *extra, const char *opts)
{
	char text[4096];
	snprintf(text, sizeof text,
	         "databases = {\n"
	         "  default = { url = \"%s\"; options = { %s };\n"
	         "              monitor = { interval = %g; timeout = 1.0; %s }; };\n"
	         "  r1 = { url = \"%s\"; replica_of = \"default\"; options = { %s }; };\n"
	         "  r2 = { url = \"%s\"; replica_of = \"default\"; options = { %s }; };\n"
	         "};\n"
	         "routers = ( { name = \"round_robin\"; } );\n",
	         env("DBR_PG_PRIMARY_URL"), opts, INTERVAL, extra, env("DBR_PG_REPLICA1_URL"), opts,
	         env("DBR_PG_REPLICA2_URL"), opts);
	monitor_open(text);
}

static void open_cluster(const char *extra)
{
	open_cluster_opts(extra, "connect_timeout = 2;");
}

static int is_lagging(const char *a) { return state_of(a).lagging; }
static int not_lagging(const char *a) { return !state_of(a).lagging; }

/* ------------------------------------------------------------ writers */

static pthread_t wthread; /* a writer, when wrunning */
static int wrunning;

/* Stops and joins the writer thread, if one runs. */
static void writer_stop(void)
{
	if (!wrunning)
		return;
	wrunning = 0;
	atomic_store(&L.stop, 1);
	pthread_join(wthread, NULL);
}

/* ------------------------------------------------------------ tests */

/* r1 (PostgreSQL) stopped and started again with pg_ctl. */
static int stop_r1(void) { return pg_ctl(1, "stop"); }
static int start_r1(void) { return pg_ctl(1, "start"); }

/* A replica stopped under a 16-thread read load: no read fails (retries),
 * it is out of rotation within an interval, back within two after it
 * restarts, and it sees a bounded number of connects while down. */
static void test_replica_stopped_under_load(void **state)
{
	(void)state;
	if (!have_servers())
		skip();
	open_cluster("");
	assert_true(wait_for(is_probed, "r1", 5) >= 0);
	check_r1_down_under_load(stop_r1, start_r1, "r1", "its stop");
}

/* r1 hung by hang(1) (SIGSTOP) under the read load, woken by hang(0)
 * (SIGCONT) 2 s after its ban: r1 banned within an interval, no call
 * waited longer than monitor.timeout + connect_timeout (+ slack), no read
 * failed, and r1 serves reads again. `name` names r1 in the log lines. */
static void check_r1_hung_under_load(int (*hang)(int on), const char *name)
{
	load_start();
	sleep(1);
	assert_int_equal(hang(1), 0);
	double banned_after = wait_for(is_banned, "r1", 10);
	fprintf(stderr, "# %s banned %.2f s after SIGSTOP\n", name, banned_after);
	sleep(2);
	double longest = atomic_load(&L.longest);
	assert_int_equal(hang(0), 0);
	double back = wait_for(is_admitted, "r1", 15);
	fprintf(stderr, "# %s re-admitted %.2f s after SIGCONT\n", name, back);
	int serves_again = r1_serves_again();
	load_stop();
	fprintf(stderr, "# longest call while hung %.2f s\n", longest);
	assert_true(banned_after >= 0 && banned_after <= INTERVAL + 1.0 + 1.5);
	assert_true(longest <= 1.0 + 1.0 + 1.5); /* monitor.timeout + connect_timeout + slack */
	assert_true(back >= 0);
	assert_true(serves_again);
	assert_int_equal(atomic_load(&L.failures), 0);
}

static int freeze_r1(int on) { return freeze(1, on); }

/* A hung replica (SIGSTOP) under the read load: no call waits longer than
 * monitor.timeout + connect_timeout (+ slack), no read fails, and after
 * SIGCONT the replica is back in rotation. */
static void test_hung_replica(void **state)
{
	(void)state;
	if (!have_servers())
		skip();
	open_cluster_opts("", "connect_timeout = 1; read_timeout = 1;");
	assert_true(wait_for(is_probed, "r1", 5) >= 0);
	check_r1_hung_under_load(freeze_r1, "r1");
}

/* Lag injected on r2 (recovery_min_apply_delay while the primary writes):
 * excluded while over max_lag, re-admitted once caught up. */
static void *writer(void *arg)
{
	(void)arg;
	dbr_session *s = NULL;
	if (dbr_session_new(&s, mon_db))
		return NULL;
	while (!atomic_load(&L.stop)) {
		dbr_exec_sql(NULL, s, "INSERT INTO mon_lag (at) VALUES (now())");
		usleep(100000);
	}
	dbr_session_free(s);
	return NULL;
}

static void test_lagging_replica_excluded(void **state)
{
	(void)state;
	if (!have_servers())
		skip();
	open_cluster("max_lag = 1.0; lag_breaches = 2;");
	dbr_session *s = NULL;
	assert_int_equal(dbr_session_new(&s, mon_db), 0);
	assert_int_equal(dbr_exec_sql(NULL, s, "CREATE TABLE IF NOT EXISTS mon_lag (at timestamptz)"), 0);
	dbr_session_free(s);
	assert_true(wait_for(is_probed, "r2", 5) >= 0);
	assert_int_equal(state_of("r2").lagging, 0);
	F.delayed = 1;
	assert_int_equal(psql(2, "ALTER SYSTEM SET recovery_min_apply_delay = '30s'"), 0);
	assert_int_equal(psql(2, "SELECT pg_reload_conf()"), 0);
	memset(&L, 0, sizeof L);
	assert_int_equal(pthread_create(&wthread, NULL, writer, NULL), 0);
	wrunning = 1;
	double t = wait_for(is_lagging, "r2", 15);
	fprintf(stderr, "# r2 lagging after %.2f s\n", t);
	int ok = t >= 0;
	char *text = ok ? explain_read() : NULL;
	if (text) {
		fprintf(stderr, "# %s", text);
		ok = strstr(text, "lagging") != NULL && strstr(text, "r2") != NULL;
		free(text);
	}
	dbr_member_state st = state_of("r2");
	fprintf(stderr, "# r2 lag %.2f s / %lld bytes\n", st.lag_us / 1e6, (long long)st.lag_bytes);
	psql(2, "ALTER SYSTEM RESET recovery_min_apply_delay");
	psql(2, "SELECT pg_reload_conf()");
	F.delayed = 0;
	double back = wait_for(not_lagging, "r2", 15);
	fprintf(stderr, "# r2 caught up %.2f s after the reset\n", back);
	writer_stop();
	assert_true(ok);
	assert_true(st.lag_us > 1000000);
	assert_true(back >= 0);
}

/* The primary stopped under a mixed load: writes fail fast naming it,
 * reads go on on the replicas, and no write seen failing is in the table. */
#define NWRITES 4000
static struct {
	int failed[NWRITES];
	int n;
	double slowest_failure;
	char msg[512];
} W;

static void *mixed_writer(void *arg)
{
	(void)arg;
	dbr_session *s = NULL;
	if (dbr_session_new(&s, mon_db))
		return NULL;
	while (!atomic_load(&L.stop) && W.n < NWRITES) {
		char sql[128];
		snprintf(sql, sizeof sql, "INSERT INTO mon_writes (id) VALUES (%d)", W.n);
		double t0 = mono_s();
		int rc = dbr_exec_sql(NULL, s, sql);
		double d = mono_s() - t0;
		if (rc) {
			W.failed[W.n] = rc;
			if (d > W.slowest_failure)
				W.slowest_failure = d;
			if (!W.msg[0] || !strstr(dbr_session_errmsg(s), "\"default\""))
				snprintf(W.msg, sizeof W.msg, "%s", dbr_session_errmsg(s));
		}
		W.n++;
		usleep(20000);
	}
	dbr_session_free(s);
	return NULL;
}

static void test_primary_stopped_mixed_load(void **state)
{
	(void)state;
	if (!have_servers())
		skip();
	open_cluster("");
	dbr_session *s = NULL;
	assert_int_equal(dbr_session_new(&s, mon_db), 0);
	assert_int_equal(dbr_exec_sql(NULL, s, "DROP TABLE IF EXISTS mon_writes"), 0);
	assert_int_equal(dbr_exec_sql(NULL, s, "CREATE TABLE mon_writes (id int PRIMARY KEY)"), 0);
	memset(&W, 0, sizeof W);
	load_start();
	assert_int_equal(pthread_create(&wthread, NULL, mixed_writer, NULL), 0);
	wrunning = 1;
	sleep(1);
	assert_int_equal(pg_ctl(0, "stop"), 0);
	sleep(2);
	assert_int_equal(pg_ctl(0, "start"), 0);
	sleep(1);
	atomic_store(&L.stop, 1);
	writer_stop();
	load_stop();
	int nfailed = 0;
	for (int i = 0; i < W.n; i++)
		nfailed += W.failed[i] != 0;
	fprintf(stderr, "# %d writes, %d failed (slowest failure %.2f s): %s\n", W.n, nfailed,
	        W.slowest_failure, W.msg);
	assert_true(nfailed > 0);
	assert_non_null(strstr(W.msg, "\"default\""));
	assert_null(strstr(W.msg, "Sekr1t"));
	assert_true(W.slowest_failure < 2.0 + 1.5); /* connect_timeout + slack */
	assert_int_equal(atomic_load(&L.failures), 0);
	/* Every write the client saw succeed is there; of those it saw fail,
	 * only one whose connection died in flight may be (in doubt: the
	 * server can commit and die before it answers; the writer has one
	 * statement in flight at a time). */
	int found = 0, in_doubt = 0;
	for (int i = 0; i < W.n; i++) {
		char sql[128];
		snprintf(sql, sizeof sql, "SELECT id FROM mon_writes WHERE id = %d", i);
		dbr_query q = DBR_QUERY_INIT;
		q.sql = sql;
		q.using_alias = "default";
		dbr_result *r = NULL;
		assert_int_equal(dbr_exec(&r, s, &q), 0);
		int there = (int)dbr_result_nrows(r);
		dbr_result_free(r);
		if (!W.failed[i]) {
			found += there;
			continue;
		}
		if (there)
			assert_int_equal(W.failed[i], DBR_ECONNECT);
		in_doubt += there;
	}
	dbr_session_free(s);
	assert_int_equal(found, W.n - nfailed);
	assert_true(in_doubt <= 1);
}

/* The same with MariaDB's replica hung (SIGSTOP): its one replica banned,
 * reads go to the primary (fallback), no read fails, no call waits longer
 * than monitor.timeout + connect_timeout; back after SIGCONT. */
static void test_mariadb_replica_hung(void **state)
{
	(void)state;
	if (!env("DBR_MY_PRIMARY_URL") || !env("DBR_MY_REPLICA_URL") || !env("DBR_MY_SOCKET_DIR"))
		skip();
	char text[2048];
	snprintf(text, sizeof text,
	         "databases = {\n"
	         "  default = { url = \"%s\"; options = { connect_timeout = 1; read_timeout = 1; };\n"
	         "              monitor = { interval = %g; timeout = 1.0; }; };\n"
	         "  r1 = { url = \"%s\"; replica_of = \"default\";\n"
	         "         options = { connect_timeout = 1; read_timeout = 1; }; };\n"
	         "};\n"
	         "routers = ( { name = \"round_robin\"; } );\n",
	         env("DBR_MY_PRIMARY_URL"), INTERVAL, env("DBR_MY_REPLICA_URL"));
	monitor_open(text);
	assert_true(wait_for(is_probed, "r1", 5) >= 0);
	assert_int_equal(state_of("r1").role, 2);
	check_r1_hung_under_load(my_freeze, "MariaDB r1");
}

/* ------------------------------------------------------------ failover seen */

/* NAME's value in the private cluster's env file, into buf. */
static int private_env(char *buf, size_t size, const char *name)
{
	char cmd[600];
	snprintf(cmd, sizeof cmd, ". '%s/c/env' && printf '%%s' \"$%s\"", F.private_dir, name);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	size_t n = fread(buf, 1, size - 1, p);
	buf[n] = '\0';
	return pclose(p) == 0 && n > 0 ? 0 : -1;
}

static int is_primary_role(const char *a) { return state_of(a).role == 1; }

/* A replica promoted (pg_promote()) on a private cluster (promotion cannot
 * be undone): the monitor sees the new role; status and explain show it. */
static void test_promoted_replica_seen(void **state)
{
	(void)state;
	if (!have_servers() || !env("DBR_SRCDIR"))
		skip();
	snprintf(F.private_dir, sizeof F.private_dir, "/tmp/dbr-mon-XXXXXX");
	assert_non_null(mkdtemp(F.private_dir));
	assert_int_equal(chmod(F.private_dir, 0755), 0); /* the servers' users enter it */
	char cmd[600];
	snprintf(cmd, sizeof cmd, "\"$DBR_SRCDIR/tests/servers.sh\" start-pg '%s/c' >/dev/null 2>&1",
	         F.private_dir);
	assert_int_equal(system(cmd), 0);
	char primary[512], replica[512], sock[300], port[16];
	assert_int_equal(private_env(primary, sizeof primary, "DBR_PG_PRIMARY_URL"), 0);
	assert_int_equal(private_env(replica, sizeof replica, "DBR_PG_REPLICA1_URL"), 0);
	assert_int_equal(private_env(sock, sizeof sock, "DBR_PG_SOCKET_DIR"), 0);
	assert_int_equal(private_env(port, sizeof port, "DBR_PG_REPLICA1_PORT"), 0);
	char text[2048];
	snprintf(text, sizeof text,
	         "databases = {\n"
	         "  default = { url = \"%s\"; monitor = { interval = %g; }; };\n"
	         "  r1 = { url = \"%s\"; replica_of = \"default\"; };\n"
	         "};\n"
	         "routers = ( { name = \"round_robin\"; } );\n", primary, INTERVAL, replica);
	monitor_open(text);
	assert_true(wait_for(is_probed, "r1", 10) >= 0);
	assert_int_equal(state_of("r1").role, 2);
	snprintf(cmd, sizeof cmd,
	         "run() { if [ \"$(id -u)\" = 0 ]; then runuser -u postgres -- \"$@\"; else \"$@\"; fi; }; "
	         "run \"$DBR_PG_BINDIR/psql\" -X -q -h '%s' -p %s -U postgres -d postgres "
	         "-c 'SELECT pg_promote()' >/dev/null 2>&1", sock, port);
	assert_int_equal(system(cmd), 0);
	double t = wait_for(is_primary_role, "r1", 15);
	fprintf(stderr, "# r1 seen as a primary %.2f s after pg_promote()\n", t);
	assert_true(t >= 0);
	char *x = explain_read();
	fprintf(stderr, "# %s", x);
	assert_non_null(strstr(x, "r1 primary (configured as a replica)"));
	free(x);
	/* dbrouter status shows it too (its MONITOR column). */
	char conf[400];
	snprintf(conf, sizeof conf, "%s/dbr.conf", F.private_dir);
	FILE *f = fopen(conf, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	snprintf(cmd, sizeof cmd, "tools/dbrouter -c '%s' status 2>/dev/null | grep -E '^r1 .*primary, '",
	         conf);
	assert_int_equal(system(cmd), 0);
}

/* Settings: unknown keys and a replica's own monitor group are refused,
 * naming the setting. */
static void test_settings_checked(void **state)
{
	(void)state;
	dbr *db = NULL;
	int rc = dbr_open_string(&db, "monitor = { intervall = 1; };\n"
	                              "databases = { default = { url = \"sqlite://:memory:\"; }; };\n");
	assert_int_equal(rc, DBR_ECONFIG);
	assert_non_null(strstr(dbr_error_last()->message, "monitor.intervall"));
	rc = dbr_open_string(&db, "databases = { default = { url = \"sqlite://:memory:\"; };\n"
	                          " r = { url = \"sqlite://:memory:\"; replica_of = \"default\";"
	                          " monitor = { interval = 1; }; }; };\n");
	assert_int_equal(rc, DBR_ECONFIG);
	assert_non_null(strstr(dbr_error_last()->message, "databases.r.monitor"));
	rc = dbr_open_string(&db, "monitor = { fallback = \"random\"; };\n"
	                          "databases = { default = { url = \"sqlite://:memory:\"; }; };\n");
	assert_int_equal(rc, DBR_ECONFIG);
	assert_non_null(strstr(dbr_error_last()->message, "monitor.fallback"));
	rc = dbr_open_string(&db, "monitor = { interval = 0.2; timeout = 0.5; recover_after = 3;"
	                          " max_lag = 2.5; max_lag_bytes = 1000000; lag_breaches = 1;"
	                          " fallback = \"error\"; backoff_max = 5; };\n"
	                          "databases = { default = { url = \"sqlite://:memory:\"; }; };\n");
	assert_int_equal(rc, 0);
	dbr_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_settings_checked),
		cmocka_unit_test_teardown(test_replica_stopped_under_load, teardown),
		cmocka_unit_test_teardown(test_hung_replica, teardown),
		cmocka_unit_test_teardown(test_lagging_replica_excluded, teardown),
		cmocka_unit_test_teardown(test_primary_stopped_mixed_load, teardown),
		cmocka_unit_test_teardown(test_mariadb_replica_hung, teardown),
		cmocka_unit_test_teardown(test_promoted_replica_seen, teardown),
	};
	return cmocka_run_group_tests_name("monitor", tests, NULL, NULL);
}
