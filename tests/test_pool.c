/* SPDX-License-Identifier: MIT */
/*
 * test_pool.c — connection pools through the public API, on SQLite files in
 * a mkdtemp directory: exhaustion and unreachable backends (DBR_ETIMEOUT /
 * DBR_ECONNECT and their messages), no leaked slot, idle_timeout and
 * max_lifetime retirement (with a replaceable clock, not sleeps),
 * min_connections warm-up, keep-one for a memory database, statistics.
 *
 * A connection's identity is seen through a TEMP table: it lives in one
 * SQLite connection only (a reset on release does not drop it).
 */
#include <dirent.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <dbrouter/dbrouter.h>
#include "testutil.h"

static struct {
	char dir[256];
	dbr *db;
} F;

/* The library's clock in tests: a fixed base moved only by advance(). */
static int64_t clock_base;
static atomic_llong clock_offset;

static int64_t fake_now(void)
{
	return clock_base + (int64_t)atomic_load(&clock_offset);
}

static void advance(double seconds)
{
	atomic_fetch_add(&clock_offset, (long long)(seconds * 1e6));
}

static void nap_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Opens a deployment of "default" (a file) and `alias` at `url` (@DIR@ is
 * the temp directory) with `pool` settings. */
static void open_pool(const char *alias, const char *url, const char *pool)
{
	char u[600], text[2048];
	const char *at = strstr(url, "@DIR@");
	if (at)
		snprintf(u, sizeof u, "%.*s%s%s", (int)(at - url), url, F.dir, at + 5);
	else
		snprintf(u, sizeof u, "%s", url);
	snprintf(text, sizeof text,
	         "databases = {\n"
	         "  default = { url = \"sqlite://%s/default.db\"; };\n"
	         "  %s = { url = \"%s\"; pool = { %s }; };\n"
	         "};\n", F.dir, alias, u, pool);
	int rc = dbr_open_string(&F.db, text);
	if (rc)
		fprintf(stderr, "# dbr_open_string: %s\n", dbr_error_last()->message);
	assert_int_equal(rc, 0);
}

static dbr_pool_stats stats(const char *alias)
{
	dbr_pool_stats st;
	assert_int_equal(dbr_pool_stats_get(&st, F.db, alias), 0);
	return st;
}

/* Waits (bounded) until the pool of `alias` has `size` connections. */
static int wait_size(const char *alias, size_t size, double seconds)
{
	double end = mono_s() + seconds;
	while (stats(alias).size != size && mono_s() < end)
		nap_ms(10);
	return stats(alias).size == size;
}

static dbr_session *session(void)
{
	dbr_session *s = NULL;
	assert_int_equal(dbr_session_new(&s, F.db), 0);
	return s;
}

/* Runs `sql` on `alias` in a new session; returns the code. */
static int run(const char *alias, const char *sql)
{
	dbr_session *s = session();
	dbr_query q = DBR_QUERY_INIT;
	q.sql = sql;
	q.using_alias = alias;
	int rc = dbr_exec(NULL, s, &q);
	dbr_session_free(s);
	return rc;
}

static int64_t scalar(const char *alias, const char *sql)
{
	dbr_session *s = session();
	dbr_query q = DBR_QUERY_INIT;
	q.sql = sql;
	q.using_alias = alias;
	dbr_result *r = NULL;
	int64_t v = -1;
	assert_int_equal(dbr_exec(&r, s, &q), 0);
	assert_int_equal(dbr_result_int64(&v, r, 0, 0), 0);
	dbr_result_free(r);
	dbr_session_free(s);
	return v;
}

/* `n` sessions each holding a connection of `alias` in a transaction. */
static void hold(dbr_session **s, int n, const char *alias)
{
	for (int i = 0; i < n; i++) {
		s[i] = session();
		assert_int_equal(dbr_tx_begin(s[i], alias), 0);
	}
}

/* Creates TEMP table `mark` in each held connection and commits: the
 * connections go back to the pool carrying the mark. */
static void mark_and_commit(dbr_session **s, int n, const char *alias)
{
	for (int i = 0; i < n; i++) {
		assert_int_equal(dbr_exec_sql(NULL, s[i], "CREATE TEMP TABLE mark (x)"), 0);
		assert_int_equal(dbr_tx_commit(s[i], alias), 0);
	}
}

/* Waits (bounded) until a statement on `alias` lands on a connection
 * without the mark; 1 if it did. */
static int wait_unmarked(const char *alias, double seconds)
{
	double end = mono_s() + seconds;
	while (mono_s() < end) {
		if (run(alias, "SELECT count(*) FROM temp.mark") != 0)
			return 1;
		nap_ms(20);
	}
	return 0;
}

static void let_go(dbr_session **s, int n)
{
	for (int i = 0; i < n; i++)
		dbr_session_free(s[i]);
}

static int setup(void **state)
{
	(void)state;
	if (make_temp_dir(F.dir, sizeof F.dir, "pool") != 0)
		return -1;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	clock_base = (int64_t)ts.tv_sec * 1000000;
	atomic_store(&clock_offset, 0);
	dbr_clock_set(fake_now);
	F.db = NULL;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dbr_close(F.db);
	F.db = NULL;
	dbr_clock_set(NULL);
	remove_tree(F.dir);
	return 0;
}

/* ---------------------------------------------------------------- tests */

/* All connections held: the next acquire fails with DBR_ETIMEOUT after
 * acquire_timeout (±10%), saying the pool is exhausted. */
static void test_exhausted_times_out(void **state)
{
	(void)state;
	open_pool("tenant", "sqlite://@DIR@/t.db",
	          "max_connections = 2; acquire_timeout = 1.0; idle_timeout = 0; max_lifetime = 0;");
	dbr_session *held[2], *s = session();
	hold(held, 2, "tenant");
	double t0 = mono_s();
	assert_int_equal(dbr_tx_begin(s, "tenant"), DBR_ETIMEOUT);
	double took = mono_s() - t0;
	const char *msg = dbr_session_errmsg(s);
	assert_true(took >= 0.9 && took <= 1.1);
	assert_non_null(strstr(msg, "exhausted"));
	assert_non_null(strstr(msg, "\"tenant\""));
	assert_null(strstr(msg, "unreachable"));
	dbr_pool_stats st = stats("tenant");
	assert_int_equal(st.size, 2);
	assert_int_equal(st.in_use, 2);
	assert_int_equal(st.idle, 0);
	assert_int_equal(st.max, 2);
	assert_int_equal(st.timeouts, 1);
	assert_int_equal(st.waiting, 0);
	assert_int_equal(st.acquires, 3);
	assert_true(st.wait_us_total >= 900000 && st.wait_us_max == st.wait_us_total);
	let_go(held, 2);
	dbr_session_free(s);
	st = stats("tenant");
	assert_int_equal(st.in_use, 0);
	assert_int_equal(st.idle, 2);
}

struct waiter_arg {
	dbr_session *s;
	int rc;
	double took;
};

static void *waiter_main(void *arg)
{
	struct waiter_arg *w = arg;
	double t0 = mono_s();
	w->rc = dbr_tx_begin(w->s, "tenant");
	w->took = mono_s() - t0;
	return NULL;
}

/* A caller that waits is counted in `waiting`, gets the connection the
 * moment it is released, and its wait is booked. */
static void test_waiter_gets_released_connection(void **state)
{
	(void)state;
	open_pool("tenant", "sqlite://@DIR@/t.db",
	          "max_connections = 1; acquire_timeout = 10; idle_timeout = 0; max_lifetime = 0;");
	dbr_session *held[1];
	hold(held, 1, "tenant");
	struct waiter_arg w = { session(), -1, 0 };
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, waiter_main, &w), 0);
	double end = mono_s() + 5;
	while (stats("tenant").waiting != 1 && mono_s() < end)
		nap_ms(5);
	assert_int_equal(stats("tenant").waiting, 1);
	nap_ms(200);
	let_go(held, 1);
	pthread_join(t, NULL);
	assert_int_equal(w.rc, 0);
	assert_true(w.took >= 0.2 && w.took < 5);
	dbr_pool_stats st = stats("tenant");
	assert_int_equal(st.waiting, 0);
	assert_int_equal(st.timeouts, 0);
	assert_int_equal(st.size, 1);
	assert_int_equal(st.in_use, 1);
	assert_true(st.wait_us_max >= 200000 && st.wait_us_max <= st.wait_us_total);
	dbr_session_free(w.s);
	assert_int_equal(stats("tenant").in_use, 0);
}

/* A backend that cannot be reached: the acquire fails at once (no waiting
 * out the timeout), says "unreachable" and names the alias, and gives its
 * slot back every time; once the backend exists, it connects. */
static void test_unreachable_leaks_no_slot(void **state)
{
	(void)state;
	open_pool("gone", "sqlite://@DIR@/missing/x.db",
	          "max_connections = 2; acquire_timeout = 5; idle_timeout = 0; max_lifetime = 0;");
	for (int i = 0; i < 5; i++) {
		dbr_session *s = session();
		double t0 = mono_s();
		int rc = dbr_tx_begin(s, "gone");
		assert_true(mono_s() - t0 < 2.5);
		assert_true(rc == DBR_ECONNECT || rc == DBR_ETIMEOUT);
		const char *msg = dbr_session_errmsg(s);
		assert_non_null(strstr(msg, "unreachable"));
		assert_non_null(strstr(msg, "\"gone\""));
		assert_null(strstr(msg, "exhausted"));
		dbr_session_free(s);
	}
	dbr_pool_stats st = stats("gone");
	assert_int_equal(st.size, 0);
	assert_int_equal(st.in_use, 0);
	assert_int_equal(st.connect_errors, 5);
	assert_int_equal(st.timeouts, 0);
	assert_int_equal(dbr_is_connected(F.db, "gone"), 0);
	assert_int_equal(dbr_connect(F.db, "gone"), DBR_ECONNECT);
	/* The backend comes back. */
	char path[300];
	snprintf(path, sizeof path, "%s/missing", F.dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(dbr_connect(F.db, "gone"), 0);
	assert_int_equal(dbr_is_connected(F.db, "gone"), 1);
	assert_int_equal(stats("gone").size, 1);
}

/* Idle connections past idle_timeout close without any caller (down to the
 * one SQLite keeps: DBR_DRIVER_KEEP_ONE); never before. */
static void test_idle_timeout_retires(void **state)
{
	(void)state;
	open_pool("tenant", "sqlite://@DIR@/t.db",
	          "max_connections = 4; idle_timeout = 1; max_lifetime = 0;");
	dbr_session *held[3];
	hold(held, 3, "tenant");
	let_go(held, 3);
	assert_int_equal(stats("tenant").idle, 3);
	advance(0.5);
	nap_ms(600); /* > 2 maintenance ticks of 0.25 s */
	assert_int_equal(stats("tenant").size, 3);
	advance(0.6);
	assert_true(wait_size("tenant", 1, 5));
	dbr_pool_stats st = stats("tenant");
	assert_int_equal(st.idle, 1);
	assert_int_equal(st.in_use, 0);
	assert_int_equal(dbr_is_connected(F.db, "tenant"), 1);
	assert_int_equal(scalar("tenant", "SELECT 41 + 1"), 42);
}

/* max_lifetime: idle connections past it are retired by maintenance, one
 * in use when it comes back, and an acquire never hands one out; the last
 * one (SQLite keeps one) is renewed: a successor opens, then it closes. */
static void test_max_lifetime_retires(void **state)
{
	(void)state;
	open_pool("tenant", "sqlite://@DIR@/t.db",
	          "max_connections = 3; idle_timeout = 0; max_lifetime = 2; test_before_acquire = -1;");
	dbr_session *held[3];
	hold(held, 3, "tenant");
	let_go(held, 2);
	advance(2.5);
	assert_true(wait_size("tenant", 1, 5)); /* the two idle ones retired */
	assert_int_equal(stats("tenant").in_use, 1);
	mark_and_commit(held + 2, 1, "tenant"); /* back past its lifetime: kept, */
	let_go(held + 2, 1);
	assert_true(wait_unmarked("tenant", 5)); /* then renewed */
	/* An acquire racing the renewal may have opened one more: past its
	 * lifetime too, it retires, the last one is renewed again. */
	advance(2.5);
	assert_true(wait_size("tenant", 1, 5));
	assert_int_equal(stats("tenant").in_use, 0);
	/* Not the last one: closed when it comes back past its lifetime. */
	dbr_session *a[2];
	hold(a, 2, "tenant");
	advance(2.5);
	let_go(a, 1);
	assert_int_equal(stats("tenant").size, 1);
	let_go(a + 1, 1);
	assert_int_equal(stats("tenant").size, 1);
}

/* min_connections are opened without any statement, kept through
 * idle_timeout, and replaced when max_lifetime retires them. */
static void test_min_connections_warm(void **state)
{
	(void)state;
	open_pool("tenant", "sqlite://@DIR@/t.db",
	          "max_connections = 4; min_connections = 2; idle_timeout = 1; max_lifetime = 3;");
	assert_true(wait_size("tenant", 2, 5));
	dbr_pool_stats st = stats("tenant");
	assert_int_equal(st.idle, 2);
	assert_int_equal(st.acquires, 0);
	assert_int_equal(dbr_is_connected(F.db, "tenant"), 1);
	/* A third one opened by a burst goes at idle_timeout; the two stay. */
	dbr_session *held[3];
	hold(held, 3, "tenant");
	mark_and_commit(held, 3, "tenant");
	let_go(held, 3);
	assert_int_equal(stats("tenant").size, 3);
	advance(1.5);
	assert_true(wait_size("tenant", 2, 5));
	nap_ms(300);
	assert_int_equal(stats("tenant").size, 2);
	assert_int_equal(run("tenant", "SELECT count(*) FROM temp.mark"), 0);
	/* Past max_lifetime: both retired and replaced by fresh ones. */
	advance(2.0);
	double end = mono_s() + 5;
	int fresh = 0;
	while (fresh < 2 && mono_s() < end) {
		dbr_session *s[2];
		hold(s, 2, "tenant");
		fresh = 0;
		for (int i = 0; i < 2; i++)
			fresh += dbr_exec_sql(NULL, s[i], "SELECT count(*) FROM temp.mark") != 0;
		let_go(s, 2);
		nap_ms(20);
	}
	assert_int_equal(fresh, 2);
	assert_true(stats("tenant").size >= 2);
}

/* A memory database lives in its connections: retiring idle and old ones
 * never closes the last, and a renewal at max_lifetime keeps the data. */
static void test_keep_one_memory(void **state)
{
	(void)state;
	open_pool("mem", "sqlite::memory:",
	          "max_connections = 3; idle_timeout = 1; max_lifetime = 5;");
	assert_int_equal(run("mem", "CREATE TABLE kept (v INTEGER)"), 0);
	assert_int_equal(run("mem", "INSERT INTO kept VALUES (7)"), 0);
	dbr_session *held[3];
	hold(held, 3, "mem");
	let_go(held, 3);
	assert_int_equal(stats("mem").size, 3);
	advance(2);
	assert_true(wait_size("mem", 1, 5));
	nap_ms(600);
	assert_int_equal(stats("mem").size, 1);
	assert_int_equal(scalar("mem", "SELECT v FROM kept"), 7);
	/* Past max_lifetime: renewed (a successor opens before it closes). */
	assert_int_equal(run("mem", "CREATE TEMP TABLE mark (x)"), 0);
	advance(10);
	assert_true(wait_unmarked("mem", 5));
	/* An acquire racing the renewal may open one more connection; idle,
	 * it retires again, and the last one is kept. */
	advance(2);
	assert_true(wait_size("mem", 1, 5));
	nap_ms(300);
	assert_int_equal(stats("mem").size, 1);
	assert_int_equal(scalar("mem", "SELECT v FROM kept"), 7);
}

/* Figures and introspection: acquires counted, is_connected without I/O,
 * unknown aliases refused. */
static void test_stats_and_is_connected(void **state)
{
	(void)state;
	open_pool("tenant", "sqlite://@DIR@/t.db", "max_connections = 5;");
	dbr_pool_stats st = stats("tenant");
	assert_int_equal(st.size, 0);
	assert_int_equal(st.max, 5);
	assert_int_equal(st.acquires, 0);
	assert_int_equal(dbr_is_connected(F.db, "tenant"), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(scalar("tenant", "SELECT 1"), 1);
	st = stats("tenant");
	assert_int_equal(st.acquires, 4);
	assert_int_equal(st.size, 1);
	assert_int_equal(st.idle, 1);
	assert_int_equal(st.connect_errors, 0);
	assert_int_equal(st.wait_us_total, 0);
	assert_int_equal(dbr_is_connected(F.db, "tenant"), 1);
	assert_int_equal(dbr_is_connected(F.db, "nope"), DBR_ENOTFOUND);
	assert_int_equal(dbr_pool_stats_get(&st, F.db, "nope"), DBR_ENOTFOUND);
	assert_non_null(strstr(dbr_errmsg(F.db), "nope"));
	dbr_alias_list *l = NULL;
	assert_int_equal(dbr_alias_list_get(&l, F.db), 0);
	for (size_t i = 0; i < dbr_alias_list_count(l); i++) {
		const dbr_alias_info *a = dbr_alias_list_at(l, i);
		if (strcmp(a->alias, "tenant") == 0)
			assert_true(a->connected == 1 && a->pool.acquires == 4);
	}
	dbr_alias_list_free(l);
}

/* test_before_acquire = 0 pings every handed-out connection; a healthy one
 * passes and is reused (no new connection). */
static void test_before_acquire_reuses_healthy(void **state)
{
	(void)state;
	open_pool("tenant", "sqlite://@DIR@/t.db", "test_before_acquire = 0;");
	for (int i = 0; i < 3; i++)
		assert_int_equal(scalar("tenant", "SELECT 2"), 2);
	dbr_pool_stats st = stats("tenant");
	assert_int_equal(st.size, 1);
	assert_int_equal(st.acquires, 3);
}

#define THREADS 8
#define ROUNDS 40

static void *churn_main(void *arg)
{
	int *fails = arg;
	for (int i = 0; i < ROUNDS; i++) {
		dbr_session *s = NULL;
		if (dbr_session_new(&s, F.db)) {
			(*fails)++;
			continue;
		}
		int rc = dbr_tx_begin(s, "tenant");
		rc = rc ? rc : dbr_exec_sql(NULL, s, "INSERT INTO churn VALUES (1)");
		rc = rc ? rc : (i % 3 ? dbr_tx_commit(s, "tenant") : dbr_tx_rollback(s, "tenant"));
		*fails += rc != 0;
		dbr_session_free(s);
		if (i % 10 == 0)
			advance(0.3); /* maintenance retires connections meanwhile */
	}
	return NULL;
}

/* Many threads over a small pool with short lifetimes: every acquire
 * succeeds, every connection comes back, and the pool never overflows. */
static void test_threads_share_small_pool(void **state)
{
	(void)state;
	open_pool("tenant", "sqlite://@DIR@/churn.db?busy_timeout=10000",
	          "max_connections = 3; min_connections = 1; acquire_timeout = 30; "
	          "idle_timeout = 0.5; max_lifetime = 1;");
	assert_int_equal(run("tenant", "CREATE TABLE churn (v INTEGER)"), 0);
	pthread_t t[THREADS];
	int fails[THREADS] = { 0 };
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, churn_main, &fails[i]), 0);
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(fails[i], 0);
	}
	dbr_pool_stats st = stats("tenant");
	assert_int_equal(st.in_use, 0);
	assert_int_equal(st.waiting, 0);
	assert_true(st.size <= 3);
	assert_int_equal(st.timeouts, 0);
	int64_t committed = 0;
	for (int i = 0; i < ROUNDS; i++)
		committed += i % 3 != 0;
	assert_int_equal(scalar("tenant", "SELECT count(*) FROM churn"), committed * THREADS);
}

/* ---- fairness: 16 threads on 4 connections */

#define FAIR_THREADS 16

typedef struct fair_arg {
	atomic_int *stop;
	long done;
	double worst; /* the longest statement, acquire included (s) */
} fair_arg;

static void *fair_main(void *arg)
{
	fair_arg *a = arg;
	dbr_session *s = session();
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "SELECT count(*) FROM fair";
	q.using_alias = "tenant";
	while (!atomic_load(a->stop)) {
		double t0 = mono_s();
		if (dbr_exec(NULL, s, &q) != 0)
			break;
		double dt = mono_s() - t0;
		a->worst = dt > a->worst ? dt : a->worst;
		a->done++;
	}
	dbr_session_free(s);
	return NULL;
}

/* Statements per second of `n` threads for `seconds`; fills a[0..n). */
static double fair_run(fair_arg *a, int n, double seconds)
{
	pthread_t t[FAIR_THREADS];
	atomic_int stop = 0;
	for (int i = 0; i < n; i++) {
		a[i] = (fair_arg){ .stop = &stop };
		assert_int_equal(pthread_create(&t[i], NULL, fair_main, &a[i]), 0);
	}
	double t0 = mono_s();
	nap_ms((int)(seconds * 1000));
	atomic_store(&stop, 1);
	long total = 0;
	for (int i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		total += a[i].done;
	}
	return (double)total / (mono_s() - t0);
}

/* Fairness is bounded, not strict (pool.c, HANDOFF_US): with 16 threads
 * on 4 connections every thread is served its share within bounds, and no
 * statement waits for long; the throughput against 4 threads is printed
 * (a measurement, not asserted: it depends on the machine). */
static void test_fairness_bounded_under_16_threads(void **state)
{
	(void)state;
	open_pool("tenant", "sqlite://@DIR@/fair.db?busy_timeout=10000",
	          "max_connections = 4; acquire_timeout = 30;");
	assert_int_equal(run("tenant", "CREATE TABLE fair (v INTEGER)"), 0);
	fair_arg a[FAIR_THREADS];
	double four = fair_run(a, 4, 0.5);
	double sixteen = fair_run(a, FAIR_THREADS, 1.0);
	long total = 0, least = -1;
	double worst = 0;
	for (int i = 0; i < FAIR_THREADS; i++) {
		total += a[i].done;
		least = least < 0 || a[i].done < least ? a[i].done : least;
		worst = a[i].worst > worst ? a[i].worst : worst;
	}
	printf("# pool fairness: %.0f stmt/s at 4 threads, %.0f at 16 on 4 connections (%.2f); "
	       "least served thread %ld of mean %ld; longest statement %.1f ms\n",
	       four, sixteen, sixteen / four, least, total / FAIR_THREADS, worst * 1e3);
	assert_true(total > 0);
	/* Every thread gets at least a tenth of the mean share... */
	assert_true(least * 10 >= total / FAIR_THREADS);
	/* ...and no statement waits anywhere near acquire_timeout. */
	assert_true(worst < 1.0);
	assert_int_equal(stats("tenant").timeouts, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exhausted_times_out, setup, teardown),
		cmocka_unit_test_setup_teardown(test_waiter_gets_released_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreachable_leaks_no_slot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_timeout_retires, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_lifetime_retires, setup, teardown),
		cmocka_unit_test_setup_teardown(test_min_connections_warm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keep_one_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stats_and_is_connected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_before_acquire_reuses_healthy, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads_share_small_pool, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fairness_bounded_under_16_threads, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
