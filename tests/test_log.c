/* SPDX-License-Identifier: MIT */
/* test_log.c — the log sink (dbr_log_set, DBROUTER_LOG) and the lines the
 * library logs, on real SQLite files: each level lets through its lines and
 * none below, every line carries its level and module, no password in any
 * line, a bad DBROUTER_LOG is reported, callbacks swap safely under 8
 * logging threads; and dbr_version / dbr_abi_version. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <dbrouter/dbrouter.h>
#include <dbrouter/plugin.h>
#include "testutil.h"

static char dir[256];

/* ------------------------------------------------------------ capture */

#define MAX_LINES 512

typedef struct line {
	dbr_log_level level;
	char module[32];
	char text[1024];
} line;

typedef struct capture {
	pthread_mutex_t lock;
	line lines[MAX_LINES];
	size_t n;
} capture;

static capture cap = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void capture_fn(dbr_log_level level, const char *module, const char *message, void *ud)
{
	capture *c = ud;
	pthread_mutex_lock(&c->lock);
	if (c->n < MAX_LINES) {
		line *l = &c->lines[c->n++];
		l->level = level;
		snprintf(l->module, sizeof l->module, "%s", module);
		snprintf(l->text, sizeof l->text, "%s", message);
	}
	pthread_mutex_unlock(&c->lock);
}

static void capture_reset(dbr_log_level level)
{
	pthread_mutex_lock(&cap.lock);
	cap.n = 0;
	pthread_mutex_unlock(&cap.lock);
	assert_int_equal(dbr_log_set(capture_fn, &cap, level), 0);
}

/* The captured line of `level` from `module` holding `needle`, or NULL. */
static const line *find(dbr_log_level level, const char *module, const char *needle)
{
	for (size_t i = 0; i < cap.n; i++)
		if (cap.lines[i].level == level && strcmp(cap.lines[i].module, module) == 0 &&
		    strstr(cap.lines[i].text, needle))
			return &cap.lines[i];
	return NULL;
}

static void print_lines(void)
{
	for (size_t i = 0; i < cap.n; i++)
		print_message("#   [%d] %s: %s\n", cap.lines[i].level, cap.lines[i].module, cap.lines[i].text);
}

#define assert_line(level, module, needle)                                                  \
	do {                                                                                \
		if (!find(level, module, needle)) {                                         \
			print_lines();                                                      \
			fail_msg("no %s line from %s holding \"%s\"", #level, module, needle); \
		}                                                                           \
	} while (0)

static void assert_max_level(dbr_log_level max)
{
	for (size_t i = 0; i < cap.n; i++)
		if ((int)cap.lines[i].level > (int)max) {
			print_lines();
			fail_msg("line %zu has level %d, above the threshold %d", i, cap.lines[i].level, max);
		}
}

/* ------------------------------------------------------------ helpers */

static dbr *new_db(void)
{
	dbr *db = NULL;
	assert_int_equal(dbr_new(&db), 0);
	return db;
}

static void add_sqlite(dbr *db, const char *alias, const char *file, const char *query,
                       const char *settings)
{
	char url[512];
	snprintf(url, sizeof url, "sqlite://%s/%s%s", dir, file, query ? query : "");
	if (dbr_add_database(db, alias, url, settings))
		fail_msg("dbr_add_database %s: %s", alias, dbr_error_last()->message);
}

static void exec_ok(dbr_session *s, const char *sql)
{
	dbr_result *r = NULL;
	if (dbr_exec_sql(&r, s, sql))
		fail_msg("%s: %s", sql, dbr_session_errmsg(s));
	dbr_result_free(r);
}

/* ------------------------------------------------------------ DBROUTER_LOG */

/* Runs a fresh process (fork: the level is read once per process) with
 * DBROUTER_LOG=value that adds a database (one INFO line) and drops it;
 * returns what it wrote on stderr. */
static char *child_stderr(const char *value)
{
	char path[300];
	snprintf(path, sizeof path, "%s/stderr-XXXXXX", dir);
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fd, 2);
		setenv("DBROUTER_LOG", value, 1);
		dbr *db = NULL;
		char url[300];
		snprintf(url, sizeof url, "sqlite://%s/child.db", dir);
		int rc = dbr_new(&db) || dbr_add_database(db, "default", url, NULL);
		dbr_close(db);
		_exit(rc ? 1 : 0);
	}
	int status = 0;
	waitpid(pid, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	FILE *f = fdopen(fd, "r");
	assert_non_null(f);
	rewind(f);
	static char buf[4096];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	unlink(path);
	return buf;
}

static void test_env_bad_value_is_reported(void **state)
{
	(void)state;
	const char *err = child_stderr("bogus");
	if (!strstr(err, "DBROUTER_LOG=\"bogus\"") ||
	    !strstr(err, "error, warn, info, debug or off"))
		fail_msg("no error naming DBROUTER_LOG and its values on stderr: \"%s\"", err);
	/* then the default, warn: the INFO line stays out */
	assert_null(strstr(err, "added"));
}

static void test_env_levels_on_stderr(void **state)
{
	(void)state;
	const char *err = child_stderr("info");
	if (!strstr(err, "dbrouter: info: registry: database \"default\" added (sqlite://"))
		fail_msg("DBROUTER_LOG=info: no INFO line on stderr: \"%s\"", err);
	assert_string_equal(child_stderr("warn"), "");
	assert_string_equal(child_stderr("off"), "");
}

/* ------------------------------------------------------------ levels */

/* One workload: a database added, a statement, a router chain set, a
 * read-only member whose journal_mode the sqlite driver logs it ignores, a
 * removal. */
static void workload(void)
{
	dbr *db = new_db();
	add_sqlite(db, "default", "main.db", NULL, NULL);
	add_sqlite(db, "ro", "main.db", "?mode=ro", "options = { journal_mode = \"wal\"; };");
	assert_int_equal(dbr_set_routers(db, "( { name = \"round_robin\"; } )"), 0);
	dbr_session *s = NULL;
	assert_int_equal(dbr_session_new(&s, db), 0);
	exec_ok(s, "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY)");
	exec_ok(s, "SELECT count(*) FROM t");
	assert_int_equal(dbr_connect(db, "ro"), 0);
	dbr_session_free(s);
	assert_int_equal(dbr_remove_database(db, "ro"), 0);
	dbr_close(db);
}

static void test_info_lines(void **state)
{
	(void)state;
	capture_reset(DBR_LOG_INFO);
	workload();
	assert_line(DBR_LOG_INFO, "registry", "database \"default\" added (sqlite://");
	assert_line(DBR_LOG_INFO, "pool", "database \"default\" (sqlite://");
	assert_line(DBR_LOG_INFO, "pool", "): connected");
	assert_line(DBR_LOG_INFO, "pool", "): disconnected");
	assert_line(DBR_LOG_INFO, "chain", "router chain installed: 1 router: round_robin");
	assert_line(DBR_LOG_INFO, "loader", "router \"round_robin\"");
	assert_line(DBR_LOG_INFO, "loader", "(plugin ABI 1.");
	assert_line(DBR_LOG_INFO, "registry", "database \"ro\" removed");
	/* a plugin's line, through the host's log service, tagged with its name */
	assert_line(DBR_LOG_INFO, "sqlite", "journal_mode ignored on a read-only connection");
	assert_max_level(DBR_LOG_INFO);
}

static void test_debug_routing_lines(void **state)
{
	(void)state;
	capture_reset(DBR_LOG_DEBUG);
	workload();
	assert_line(DBR_LOG_DEBUG, "route", "write statement served by \"default\" "
	                                    "(target \"default\" chosen by default)");
	assert_line(DBR_LOG_DEBUG, "route", "read statement served by \"default\"");
	assert_line(DBR_LOG_INFO, "pool", "): connected"); /* INFO still in */
}

static void test_warn_and_off_let_nothing_below(void **state)
{
	(void)state;
	capture_reset(DBR_LOG_WARN);
	workload();
	assert_max_level(DBR_LOG_WARN);
	assert_int_equal(cap.n, 0); /* the workload has nothing to warn about */
	capture_reset(DBR_LOG_ERROR);
	workload();
	assert_int_equal(cap.n, 0);
	capture_reset(DBR_LOG_OFF);
	workload();
	assert_int_equal(cap.n, 0);
}

/* A full pool: the wait is a DEBUG line, its timeout an INFO line. */
static void test_pool_exhaustion(void **state)
{
	(void)state;
	capture_reset(DBR_LOG_DEBUG);
	dbr *db = new_db();
	add_sqlite(db, "default", "main.db", NULL,
	           "pool = { max_connections = 1; acquire_timeout = 0.05; };");
	dbr_session *s1 = NULL, *s2 = NULL;
	assert_int_equal(dbr_session_new(&s1, db), 0);
	assert_int_equal(dbr_session_new(&s2, db), 0);
	dbr_conn *held = NULL;
	assert_int_equal(dbr_conn_get(&held, s1, "default"), 0);
	dbr_result *r = NULL;
	assert_int_equal(dbr_exec_sql(&r, s2, "SELECT 1"), DBR_ETIMEOUT);
	dbr_conn_release(held);
	dbr_session_free(s1);
	dbr_session_free(s2);
	dbr_close(db);
	assert_line(DBR_LOG_DEBUG, "pool", "pool of \"default\" full (1 connections in use): waiting");
	assert_line(DBR_LOG_INFO, "pool", "pool of \"default\" exhausted");
}

#ifdef DBR_TEST_POSTGRES
/* A URL with a password, to a closed port: the failure is a WARN line with
 * the masked URL; the password is in no line at any level. */
static void test_no_password_in_any_line(void **state)
{
	(void)state;
	static const char pw[] = "Sup3rS3cretPW";
	capture_reset(DBR_LOG_DEBUG);
	dbr *db = new_db();
	add_sqlite(db, "default", "main.db", NULL, NULL);
	assert_int_equal(dbr_add_database(db, "pg", "postgresql://app:Sup3rS3cretPW@127.0.0.1:1/app?connect_timeout=2",
	                                   "pool = { acquire_timeout = 1.0; };"), 0);
	assert_int_not_equal(dbr_connect(db, "pg"), 0);
	dbr_session *s = NULL;
	assert_int_equal(dbr_session_new(&s, db), 0);
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "SELECT 1";
	q.using_alias = "pg";
	dbr_result *r = NULL;
	assert_int_not_equal(dbr_exec(&r, s, &q), 0);
	dbr_session_free(s);
	assert_int_equal(dbr_remove_database(db, "pg"), 0);
	dbr_close(db);
	assert_line(DBR_LOG_WARN, "pool", "database \"pg\" (postgresql://app:****@127.0.0.1:1/app");
	assert_line(DBR_LOG_WARN, "pool", "connect failed: ");
	assert_line(DBR_LOG_INFO, "registry", "database \"pg\" added (postgresql://app:****@");
	for (size_t i = 0; i < cap.n; i++)
		if (strstr(cap.lines[i].text, pw))
			fail_msg("a password in a log line: %s: %s", cap.lines[i].module, cap.lines[i].text);
}
#endif

/* ------------------------------------------------------------ the rules */

static int nested_rc = 1;

static void nested_fn(dbr_log_level level, const char *module, const char *message, void *ud)
{
	(void)level, (void)module, (void)message, (void)ud;
	nested_rc = dbr_log_set(NULL, NULL, DBR_LOG_WARN);
}

static void test_set_rules(void **state)
{
	(void)state;
	assert_int_equal(dbr_log_set(capture_fn, &cap, (dbr_log_level)4), DBR_EINVAL);
	assert_int_equal(dbr_log_set(capture_fn, &cap, (dbr_log_level)-2), DBR_EINVAL);
	assert_non_null(strstr(dbr_error_last()->message, "dbr_log_set"));
	/* from inside a callback: refused, no deadlock */
	assert_int_equal(dbr_log_set(nested_fn, NULL, DBR_LOG_INFO), 0);
	dbr *db = new_db();
	add_sqlite(db, "default", "main.db", NULL, NULL);
	dbr_close(db);
	assert_int_equal(nested_rc, DBR_ESTATE);
	assert_int_equal(dbr_log_set(NULL, NULL, DBR_LOG_WARN), 0);
}

/* ------------------------------------------------------------ swaps */

#define THREADS 8
#define MAGIC_A 0xA11A
#define MAGIC_B 0xB22B

typedef struct counter {
	int magic;
	atomic_long calls;
} counter;

static counter ca = { MAGIC_A, 0 }, cb = { MAGIC_B, 0 };
static atomic_int torn, stop;

static void count_a(dbr_log_level level, const char *module, const char *message, void *ud)
{
	(void)level, (void)module, (void)message;
	counter *c = ud;
	if (c->magic != MAGIC_A)
		atomic_store(&torn, 1);
	atomic_fetch_add(&c->calls, 1);
}

static void count_b(dbr_log_level level, const char *module, const char *message, void *ud)
{
	(void)level, (void)module, (void)message;
	counter *c = ud;
	if (c->magic != MAGIC_B)
		atomic_store(&torn, 1);
	atomic_fetch_add(&c->calls, 1);
}

static void *reader(void *arg)
{
	dbr_session *s = NULL;
	if (dbr_session_new(&s, arg))
		return (void *)1;
	void *bad = NULL;
	while (!atomic_load(&stop)) {
		dbr_result *r = NULL;
		if (dbr_exec_sql(&r, s, "SELECT 1"))
			bad = (void *)1;
		dbr_result_free(r);
	}
	dbr_session_free(s);
	return bad;
}

static void test_swap_under_threads(void **state)
{
	(void)state;
	assert_int_equal(dbr_log_set(count_a, &ca, DBR_LOG_DEBUG), 0);
	dbr *db = new_db();
	add_sqlite(db, "default", "main.db", NULL, NULL);
	pthread_t th[THREADS];
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, reader, db), 0);
	for (int i = 0; i < 200; i++) {
		if (i % 2)
			assert_int_equal(dbr_log_set(count_b, &cb, i % 4 == 1 ? DBR_LOG_DEBUG : DBR_LOG_INFO), 0);
		else
			assert_int_equal(dbr_log_set(count_a, &ca, DBR_LOG_DEBUG), 0);
		usleep(200);
	}
	/* once dbr_log_set returned, the old callback is never called again */
	assert_int_equal(dbr_log_set(count_b, &cb, DBR_LOG_DEBUG), 0);
	long a = atomic_load(&ca.calls), b = atomic_load(&cb.calls);
	usleep(20000);
	atomic_store(&stop, 1);
	for (int i = 0; i < THREADS; i++) {
		void *bad = NULL;
		pthread_join(th[i], &bad);
		assert_null(bad);
	}
	dbr_close(db);
	assert_int_equal(dbr_log_set(NULL, NULL, DBR_LOG_WARN), 0);
	assert_int_equal(atomic_load(&torn), 0);
	assert_int_equal(atomic_load(&ca.calls), a);
	assert_true(a > 0);
	assert_true(atomic_load(&cb.calls) > b); /* the threads went on logging into b */
}

/* ------------------------------------------------------------ version */

static void test_version(void **state)
{
	(void)state;
	int major = -1, minor = -1, patch = -1;
	const char *v = dbr_version(&major, &minor, &patch);
	assert_string_equal(v, DBR_VERSION);
	assert_int_equal(major, DBR_VERSION_MAJOR);
	assert_int_equal(minor, DBR_VERSION_MINOR);
	assert_int_equal(patch, DBR_VERSION_PATCH);
	assert_ptr_equal(dbr_version(NULL, NULL, NULL), v);
	int am = -1, an = -1;
	dbr_abi_version(&am, &an);
	assert_int_equal(am, DBR_ABI_MAJOR);
	assert_int_equal(an, DBR_ABI_MINOR);
	dbr_abi_version(NULL, NULL);
}

int main(void)
{
	if (make_temp_dir(dir, sizeof dir, "log") != 0)
		return 1;
	/* The DBROUTER_LOG tests fork before this process reads the level. */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env_bad_value_is_reported),
		cmocka_unit_test(test_env_levels_on_stderr),
		cmocka_unit_test(test_info_lines),
		cmocka_unit_test(test_debug_routing_lines),
		cmocka_unit_test(test_warn_and_off_let_nothing_below),
		cmocka_unit_test(test_pool_exhaustion),
#ifdef DBR_TEST_POSTGRES
		cmocka_unit_test(test_no_password_in_any_line),
#endif
		cmocka_unit_test(test_set_rules),
		cmocka_unit_test(test_swap_under_threads),
		cmocka_unit_test(test_version),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	if (remove_tree(dir) != 0)
		failed++;
	return failed;
}
