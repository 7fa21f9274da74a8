/* SPDX-License-Identifier: MIT */
/*
 * test_pool_server.c — pools against a real PostgreSQL primary that the test
 * stops and starts again (run by tests/server-suite.sh, which exports
 * DBR_PG_PRIMARY_URL, DBR_PG_BINDIR and DBR_PG_SOCKET_DIR from
 * tests/servers.sh): connections left idle while the server goes away are
 * detected on acquire, no slot leaks, and the pool reconnects when the
 * server is back. The server is always started again, also on failure.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <dbrouter/dbrouter.h>
#include "testutil.h"

static struct {
	char dir[256];
	dbr *db;
	int stopped;
} F;

static const char *env(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* pg_ctl on the primary, as the postgres user when we are root. */
static int pg_ctl(const char *action)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd,
	         "run() { if [ \"$(id -u)\" = 0 ]; then runuser -u postgres -- \"$@\"; else \"$@\"; fi; }; "
	         "run \"$DBR_PG_BINDIR/pg_ctl\" -D \"$DBR_PG_SOCKET_DIR/primary\" "
	         "-l \"$DBR_PG_SOCKET_DIR/primary.log\" -m fast -w -t 60 %s >/dev/null 2>&1", action);
	int rc = system(cmd);
	if (rc == 0)
		F.stopped = strcmp(action, "stop") == 0;
	return rc;
}

static int setup(void **state)
{
	(void)state;
	if (!env("DBR_PG_PRIMARY_URL") || !env("DBR_PG_BINDIR") || !env("DBR_PG_SOCKET_DIR"))
		return 0; /* the tests skip */
	return make_temp_dir(F.dir, sizeof F.dir, "pool-srv");
}

static int teardown(void **state)
{
	(void)state;
	dbr_close(F.db);
	F.db = NULL;
	if (F.stopped && pg_ctl("start") != 0)
		fprintf(stderr, "# could not start the PostgreSQL primary again\n");
	if (F.dir[0]) {
		remove_tree(F.dir);
		F.dir[0] = 0;
	}
	return 0;
}

static void open_pg(const char *pool)
{
	char text[2048];
	snprintf(text, sizeof text,
	         "databases = {\n"
	         "  default = { url = \"sqlite://%s/default.db\"; };\n"
	         "  pg = { url = \"%s\"; pool = { %s }; };\n"
	         "};\n", F.dir, env("DBR_PG_PRIMARY_URL"), pool);
	int rc = dbr_open_string(&F.db, text);
	if (rc)
		fprintf(stderr, "# dbr_open_string: %s\n", dbr_error_last()->message);
	assert_int_equal(rc, 0);
}

static dbr_pool_stats stats(void)
{
	dbr_pool_stats st;
	assert_int_equal(dbr_pool_stats_get(&st, F.db, "pg"), 0);
	return st;
}

/* Runs "SELECT 1" on pg in a new session; the code, and the message into
 * msg. */
static int select1(char *msg, size_t size)
{
	dbr_session *s = NULL;
	assert_int_equal(dbr_session_new(&s, F.db), 0);
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "SELECT 1";
	q.using_alias = "pg";
	int rc = dbr_exec(NULL, s, &q);
	snprintf(msg, size, "%s", rc ? dbr_session_errmsg(s) : "");
	dbr_session_free(s);
	return rc;
}

/* Two idle connections: PostgreSQL restarts under them. */
static void two_idle(void)
{
	dbr_session *s[2];
	for (int i = 0; i < 2; i++) {
		assert_int_equal(dbr_session_new(&s[i], F.db), 0);
		assert_int_equal(dbr_tx_begin(s[i], "pg"), 0);
	}
	for (int i = 0; i < 2; i++)
		dbr_session_free(s[i]);
	assert_int_equal(stats().idle, 2);
}

static void expect_unreachable(const char *msg)
{
	assert_non_null(strstr(msg, "unreachable"));
	assert_non_null(strstr(msg, "\"pg\""));
	assert_null(strstr(msg, "Sekr1t"));
}

/* test_before_acquire = 0: the dead idle connections fail their ping on
 * acquire and close; the connect that follows fails (unreachable); no slot
 * is left taken; once the server is back the next acquire connects. */
static void test_server_restart_detected_on_acquire(void **state)
{
	(void)state;
	if (!env("DBR_PG_PRIMARY_URL"))
		skip();
	open_pg("max_connections = 3; acquire_timeout = 5; test_before_acquire = 0;");
	two_idle();
	assert_int_equal(pg_ctl("stop"), 0);
	char msg[1024];
	int rc = select1(msg, sizeof msg);
	assert_true(rc == DBR_ECONNECT || rc == DBR_ETIMEOUT);
	expect_unreachable(msg);
	dbr_pool_stats st = stats();
	assert_int_equal(st.size, 0);
	assert_int_equal(st.in_use, 0);
	assert_true(st.connect_errors >= 1);
	assert_int_equal(dbr_is_connected(F.db, "pg"), 0);
	assert_int_equal(pg_ctl("start"), 0);
	assert_int_equal(select1(msg, sizeof msg), 0);
	st = stats();
	assert_int_equal(st.size, 1);
	assert_int_equal(st.in_use, 0);
	assert_int_equal(dbr_is_connected(F.db, "pg"), 1);
}

/* test_before_acquire < 0 (never ping): a dead connection is handed out,
 * its statement fails with DBR_ECONNECT and it is dropped, never leaking a
 * slot; after the restart the pool is whole again. */
static void test_dead_connection_dropped_without_ping(void **state)
{
	(void)state;
	if (!env("DBR_PG_PRIMARY_URL"))
		skip();
	open_pg("max_connections = 2; acquire_timeout = 5; test_before_acquire = -1;");
	two_idle();
	assert_int_equal(pg_ctl("stop"), 0);
	assert_int_equal(pg_ctl("start"), 0);
	char msg[1024];
	int failures = 0;
	for (int i = 0; i < 3; i++) { /* two dead ones, then a fresh one */
		int rc = select1(msg, sizeof msg);
		if (rc) {
			assert_int_equal(rc, DBR_ECONNECT);
			assert_null(strstr(msg, "Sekr1t"));
			failures++;
		}
	}
	assert_int_equal(failures, 2);
	assert_int_equal(select1(msg, sizeof msg), 0);
	dbr_pool_stats st = stats();
	assert_int_equal(st.in_use, 0);
	assert_true(st.size >= 1 && st.size <= 2);
	/* Both slots usable: two connections at once. */
	dbr_session *s[2];
	for (int i = 0; i < 2; i++) {
		assert_int_equal(dbr_session_new(&s[i], F.db), 0);
		assert_int_equal(dbr_tx_begin(s[i], "pg"), 0);
	}
	for (int i = 0; i < 2; i++)
		dbr_session_free(s[i]);
	assert_int_equal(stats().size, 2);
}

/* Runs `sql` on pg in session s; the code. */
static int on_pg(dbr_session *s, const char *sql)
{
	dbr_query q = DBR_QUERY_INIT;
	q.sql = sql;
	q.using_alias = "pg";
	return dbr_exec(NULL, s, &q);
}

/* transaction_timeout on a real server: a session locks a row and never
 * calls again; the pool's maintenance thread rolls it back, so another
 * session can update the row (the lock is gone) and the connection is back
 * in the pool; the owner's next call says DBR_ETIMEOUT. */
static void test_transaction_timeout_releases_locks(void **state)
{
	(void)state;
	if (!env("DBR_PG_PRIMARY_URL"))
		skip();
	open_pg("max_connections = 3; transaction_timeout = 0.5;");
	dbr_session *owner = NULL, *other = NULL;
	assert_int_equal(dbr_session_new(&owner, F.db), 0);
	assert_int_equal(dbr_session_new(&other, F.db), 0);
	assert_int_equal(on_pg(other, "DROP TABLE IF EXISTS dbr_tx_reap"), 0);
	assert_int_equal(on_pg(other, "CREATE TABLE dbr_tx_reap (id int PRIMARY KEY, v text)"), 0);
	assert_int_equal(on_pg(other, "INSERT INTO dbr_tx_reap VALUES (1, 'start')"), 0);
	assert_int_equal(dbr_tx_begin(owner, "pg"), 0);
	assert_int_equal(on_pg(owner, "UPDATE dbr_tx_reap SET v = 'abandoned' WHERE id = 1"), 0);
	/* the owner never calls again; the other's update waits for the row
	 * lock until the reaper rolls the owner back (lock_timeout: a reaper
	 * that never comes fails the test instead of hanging it) */
	int rc = on_pg(other, "DO $$ BEGIN SET LOCAL lock_timeout = '10s'; "
	                      "UPDATE dbr_tx_reap SET v = 'other' WHERE id = 1; END $$");
	if (rc)
		fail_msg("update: %s", dbr_session_errmsg(other));
	/* The reaper's ROLLBACK frees the row lock before it hands the
	 * connection back: give that last step a bounded moment. */
	for (int i = 0; i < 200 && stats().in_use != 0; i++)
		usleep(10000);
	assert_int_equal(stats().in_use, 0);
	dbr_result *r = NULL;
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "SELECT v FROM dbr_tx_reap WHERE id = 1";
	q.using_alias = "pg";
	assert_int_equal(dbr_exec(&r, other, &q), 0);
	const char *v = NULL;
	assert_int_equal(dbr_result_text(&v, NULL, r, 0, 0), 0);
	assert_string_equal(v, "other");
	dbr_result_free(r);
	assert_int_equal(dbr_tx_commit(owner, "pg"), DBR_ETIMEOUT);
	assert_non_null(strstr(dbr_session_errmsg(owner), "\"pg\""));
	assert_non_null(strstr(dbr_session_errmsg(owner), "transaction_timeout 0.5 s"));
	assert_int_equal(on_pg(owner, "SELECT 1"), 0);
	assert_int_equal(on_pg(other, "DROP TABLE dbr_tx_reap"), 0);
	dbr_session_free(owner);
	dbr_session_free(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_server_restart_detected_on_acquire, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dead_connection_dropped_without_ping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_transaction_timeout_releases_locks, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
