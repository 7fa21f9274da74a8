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

#define INTERVAL 0.3
#define TIMEOUT 1.0
#define NTHREADS 16

static struct {
	dbr *db;
	dbr_session *s; /* a test's session: freed by teardown */
	int killed;    /* the replica was killed: start it, START SLAVE, catch up */
	int read_only; /* the primary was made read-only: undo */
} F;

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

static int have_servers(void)
{
	return env("DBR_MY_PRIMARY_URL") && env("DBR_MY_REPLICA_URL") && env("DBR_MY_SOCKET_DIR") &&
	       env("DBR_SRCDIR");
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
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

static void load_stop(void);

static int teardown(void **state)
{
	(void)state;
	load_stop(); /* before dbr_close: readers use the handle */
	dbr_session_free(F.s);
	F.s = NULL;
	dbr_close(F.db);
	F.db = NULL;
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
	int rc = dbr_open_string(&F.db, text);
	if (rc)
		fprintf(stderr, "# dbr_open_string: %s\n", dbr_error_last()->message);
	assert_int_equal(rc, 0);
}

/* The monitor's state of `alias`. */
static dbr_member_state state_of(const char *alias)
{
	dbr_member_state st;
	memset(&st, 0, sizeof st);
	st.struct_size = sizeof st;
	dbr_alias_list *l = NULL;
	assert_int_equal(dbr_alias_list_get(&l, F.db), 0);
	size_t i = 0;
	while (i < dbr_alias_list_count(l) && strcmp(dbr_alias_list_at(l, i)->alias, alias) != 0)
		i++;
	assert_int_equal(dbr_alias_list_state(&st, l, i), 0);
	dbr_alias_list_free(l);
	return st;
}

/* Waits until `cond(alias)` holds, at most `limit` s; the time it took, or
 * -1. */
static double wait_for(int (*cond)(const char *), const char *alias, double limit)
{
	double t0 = now_s();
	while (now_s() - t0 < limit) {
		if (cond(alias))
			return now_s() - t0;
		usleep(20000);
	}
	return -1;
}

static int is_banned(const char *a) { return !state_of(a).healthy; }
static int is_admitted(const char *a) { return state_of(a).healthy; }
static int is_probed(const char *a) { return state_of(a).probed_us_ago >= 0; }
static int is_read_only(const char *a) { return state_of(a).read_only; }
static int is_writable(const char *a) { return !state_of(a).read_only; }

/* The explain text of a read. */
static char *explain_read(void)
{
	dbr_session *s = NULL;
	assert_int_equal(dbr_session_new(&s, F.db), 0);
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "SELECT 1";
	dbr_trace *t = NULL;
	assert_int_equal(dbr_explain(&t, s, &q), 0);
	char *text = strdup(dbr_trace_text(t));
	dbr_trace_free(t);
	dbr_session_free(s);
	return text;
}

/* ------------------------------------------------------------ read load */

static struct {
	atomic_int stop;
	atomic_long reads, failures, served_r1;
	_Atomic double last_r1; /* when r1 last served a read */
	char first_error[512];
	pthread_mutex_t lock;
} L;

static void *reader(void *arg)
{
	(void)arg;
	dbr_session *s = NULL;
	if (dbr_session_new(&s, F.db))
		return NULL;
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "SELECT 1";
	while (!atomic_load(&L.stop)) {
		dbr_result *r = NULL;
		int rc = dbr_exec(&r, s, &q);
		atomic_fetch_add(&L.reads, 1);
		if (rc) {
			pthread_mutex_lock(&L.lock);
			if (atomic_fetch_add(&L.failures, 1) == 0)
				snprintf(L.first_error, sizeof L.first_error, "%s", dbr_session_errmsg(s));
			pthread_mutex_unlock(&L.lock);
		} else if (strcmp(dbr_result_alias(r), "r1") == 0) {
			atomic_fetch_add(&L.served_r1, 1);
			atomic_store(&L.last_r1, now_s());
		}
		dbr_result_free(r);
	}
	dbr_session_free(s);
	return NULL;
}

static pthread_t readers[NTHREADS];
static int loading; /* readers run: a failed test's teardown stops them */

static void load_start(void)
{
	memset(&L, 0, sizeof L);
	pthread_mutex_init(&L.lock, NULL);
	loading = 1;
	for (int i = 0; i < NTHREADS; i++)
		assert_int_equal(pthread_create(&readers[i], NULL, reader, NULL), 0);
}

static void load_stop(void)
{
	if (!loading)
		return;
	loading = 0;
	atomic_store(&L.stop, 1);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(readers[i], NULL);
	pthread_mutex_destroy(&L.lock);
	fprintf(stderr, "# %ld reads, %ld failed, %ld on r1\n", atomic_load(&L.reads),
	        atomic_load(&L.failures), atomic_load(&L.served_r1));
	if (atomic_load(&L.failures))
		fprintf(stderr, "# first failure: %s\n", L.first_error);
}

/* Waits (at most 5 s) for r1 to serve a read again; 1 if it did. */
static int r1_serves_again(void)
{
	long served = atomic_load(&L.served_r1);
	double t0 = now_s();
	while (atomic_load(&L.served_r1) == served && now_s() - t0 < 5)
		usleep(20000);
	return atomic_load(&L.served_r1) > served;
}

/* ------------------------------------------------------------ tests */

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
	load_start();
	sleep(1);
	assert_true(atomic_load(&L.served_r1) > 0);
	assert_int_equal(my_replica("kill"), 0);
	double t_kill = now_s();
	double banned_after = wait_for(is_banned, "r1", 10);
	fprintf(stderr, "# MariaDB r1 banned %.2f s after SIGKILL\n", banned_after);
	assert_true(banned_after >= 0 && banned_after <= INTERVAL + TIMEOUT + 1.0);
	uint64_t attempts0 = state_of("r1").connect_attempts;
	double t_down0 = now_s();
	sleep(3);
	char *text = explain_read();
	int says_banned = strstr(text, "banned") != NULL, leaks = strstr(text, "Sekr1t") != NULL;
	free(text);
	assert_true(says_banned);
	assert_false(leaks);
	uint64_t attempts = state_of("r1").connect_attempts - attempts0;
	double down = now_s() - t_down0;
	fprintf(stderr, "# %llu connects to r1 in %.1f s down\n", (unsigned long long)attempts, down);
	/* The monitor's one per interval plus the pool's backoff trials. */
	assert_true(attempts <= (uint64_t)(down / (INTERVAL * 0.9)) + 8);
	assert_true(atomic_load(&L.last_r1) < t_kill + 0.5);
	assert_int_equal(my_replica("start"), 0); /* up, replicating, caught up */
	double back = wait_for(is_admitted, "r1", 15);
	fprintf(stderr, "# MariaDB r1 re-admitted %.2f s after its restart\n", back);
	assert_true(back >= 0 && back <= 2 * INTERVAL * 1.1 + TIMEOUT + 5.0);
	assert_true(r1_serves_again());
	load_stop();
	assert_int_equal(atomic_load(&L.failures), 0);
	assert_true(state_of("r1").bans >= 1);
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
	double t0 = now_s();
	int rc = dbr_exec_sql(NULL, s, sql);
	*took = now_s() - t0;
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
	assert_int_equal(dbr_session_new(&F.s, F.db), 0);
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
