/* SPDX-License-Identifier: MIT */
/* test_tx.c — transactions of sessions through the public API, on SQLite
 * files in a temp dir: savepoints, dbr_close rolling back, the
 * transaction_timeout, `using` and raw connections joining a transaction,
 * and dbr_remove_database draining while another thread works. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <dbrouter/dbrouter.h>
#include "testutil.h"

static char dir[256];
static _Atomic int64_t fake_now = 1700000000LL * 1000000;

static int64_t fake_clock(void) { return atomic_load(&fake_now); }
static void advance(double seconds) { atomic_fetch_add(&fake_now, (int64_t)(seconds * 1e6)); }

/* default and logs, two files; `pool` is the default's pool group text. */
static dbr *open_pool(const char *pool)
{
	char conf[2048];
	snprintf(conf, sizeof(conf),
	         "databases = {\n"
	         "  default = { url = \"sqlite://%s/main.db\"; pool = { %s }; };\n"
	         "  logs = { url = \"sqlite://%s/logs.db\"; };\n"
	         "};\n",
	         dir, pool ? pool : "", dir);
	dbr *db = NULL;
	if (dbr_open_string(&db, conf))
		fail_msg("dbr_open_string: %s", dbr_error_last()->message);
	return db;
}

static dbr_session *session(dbr *db)
{
	dbr_session *s = NULL;
	assert_int_equal(dbr_session_new(&s, db), 0);
	return s;
}

/* Runs `sql` with one text parameter on `alias` (NULL: routed). */
static int run(dbr_session *s, const char *alias, const char *sql, const char *v)
{
	dbr_query q = DBR_QUERY_INIT;
	dbr_value p = dbr_text(v ? v : "");
	q.sql = sql;
	q.params = v ? &p : NULL;
	q.nparams = v ? 1 : 0;
	q.using_alias = alias;
	return dbr_exec(NULL, s, &q);
}

/* Rows of `table` on `alias` holding `v` (NULL: all), from a fresh dbr so
 * that only committed work is seen. */
static int64_t count_fresh(const char *alias, const char *table, const char *v)
{
	dbr *db = open_pool(NULL);
	dbr_session *s = session(db);
	char sql[128];
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s%s", table, v ? " WHERE v = ?" : "");
	dbr_query q = DBR_QUERY_INIT;
	dbr_value p = dbr_text(v ? v : "");
	q.sql = sql;
	q.params = v ? &p : NULL;
	q.nparams = v ? 1 : 0;
	q.using_alias = alias;
	dbr_result *r = NULL;
	int64_t n = -1;
	if (dbr_exec(&r, s, &q) || dbr_result_int64(&n, r, 0, 0))
		fail_msg("count %s: %s", table, dbr_session_errmsg(s));
	dbr_result_free(r);
	dbr_session_free(s);
	dbr_close(db);
	return n;
}

static size_t in_use(dbr *db, const char *alias)
{
	dbr_alias_list *l = NULL;
	assert_int_equal(dbr_alias_list_get(&l, db), 0);
	size_t n = (size_t)-1;
	for (size_t i = 0; i < dbr_alias_list_count(l); i++)
		if (strcmp(dbr_alias_list_at(l, i)->alias, alias) == 0)
			n = dbr_alias_list_at(l, i)->pool.in_use;
	dbr_alias_list_free(l);
	return n;
}

/* Runs one statement on default and one on logs, in a fresh deployment. */
static int on_both(const char *on_default, const char *on_logs)
{
	dbr *db = open_pool(NULL);
	dbr_session *s = session(db);
	assert_int_equal(run(s, "default", on_default, NULL), 0);
	assert_int_equal(run(s, "logs", on_logs, NULL), 0);
	dbr_session_free(s);
	dbr_close(db);
	return 0;
}

static int setup_schema(void **state)
{
	(void)state;
	return on_both("CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v TEXT)",
	               "CREATE TABLE IF NOT EXISTS log(id INTEGER PRIMARY KEY, v TEXT)");
}

static int clean_tables(void **state)
{
	(void)state;
	return on_both("DELETE FROM t", "DELETE FROM log");
}

/* ------------------------------------------------------------ savepoints */

static void test_savepoint_rollback_keeps_outer_work(void **state)
{
	(void)state;
	dbr *db = open_pool(NULL);
	dbr_session *s = session(db);
	assert_int_equal(dbr_tx_begin(s, "default"), 0);
	assert_int_equal(run(s, NULL, "INSERT INTO t(v) VALUES (?)", "outer-1"), 0);
	assert_int_equal(dbr_tx_begin(s, "default"), 0);
	assert_int_equal(dbr_tx_depth(s, "default"), 2);
	assert_int_equal(run(s, NULL, "INSERT INTO t(v) VALUES (?)", "inner-rolled-back"), 0);
	assert_int_equal(dbr_tx_rollback(s, "default"), 0);
	assert_int_equal(dbr_tx_depth(s, "default"), 1);
	/* a second savepoint, released: its work stays with the outer level */
	assert_int_equal(dbr_tx_begin(s, NULL), 0);
	assert_int_equal(run(s, NULL, "INSERT INTO t(v) VALUES (?)", "inner-released"), 0);
	assert_int_equal(dbr_tx_commit(s, NULL), 0);
	assert_int_equal(run(s, NULL, "INSERT INTO t(v) VALUES (?)", "outer-2"), 0);
	assert_int_equal(count_fresh("default", "t", NULL), 0); /* nothing visible yet */
	assert_int_equal(dbr_tx_commit(s, NULL), 0);
	assert_int_equal(dbr_tx_depth(s, NULL), 0);
	assert_int_equal(count_fresh("default", "t", "outer-1"), 1);
	assert_int_equal(count_fresh("default", "t", "outer-2"), 1);
	assert_int_equal(count_fresh("default", "t", "inner-released"), 1);
	assert_int_equal(count_fresh("default", "t", "inner-rolled-back"), 0);
	assert_int_equal(in_use(db, "default"), 0);
	dbr_session_free(s);
	dbr_close(db);
}

static void test_begin_on_other_alias_is_independent(void **state)
{
	(void)state;
	dbr *db = open_pool(NULL);
	dbr_session *s = session(db);
	assert_int_equal(dbr_tx_begin(s, "default"), 0);
	assert_int_equal(run(s, "default", "INSERT INTO t(v) VALUES (?)", "kept"), 0);
	assert_int_equal(dbr_tx_begin(s, "logs"), 0);
	assert_int_equal(dbr_tx_depth(s, "logs"), 1); /* not a savepoint of default's */
	assert_int_equal(dbr_tx_depth(s, NULL), 2);
	assert_int_equal(run(s, NULL, "INSERT INTO log(v) VALUES (?)", "dropped"), 0); /* latest: logs */
	assert_int_equal(dbr_tx_rollback(s, "logs"), 0);
	assert_int_equal(dbr_tx_commit(s, "default"), 0);
	assert_int_equal(count_fresh("default", "t", "kept"), 1);
	assert_int_equal(count_fresh("logs", "log", NULL), 0);
	assert_int_equal(dbr_tx_commit(s, "logs"), DBR_ESTATE);
	dbr_session_free(s);
	dbr_close(db);
}

/* ------------------------------------------------------------ closing */

static void test_close_with_open_transactions_commits_neither(void **state)
{
	(void)state;
	dbr *db = open_pool(NULL);
	dbr_session *s = session(db);
	dbr_session *other = session(db);
	assert_int_equal(dbr_tx_begin(s, "default"), 0);
	assert_int_equal(run(s, NULL, "INSERT INTO t(v) VALUES (?)", "never"), 0);
	assert_int_equal(dbr_tx_begin(s, "logs"), 0);
	assert_int_equal(run(s, NULL, "INSERT INTO log(v) VALUES (?)", "never"), 0);
	assert_int_equal(dbr_tx_begin(s, "logs"), 0); /* a savepoint too */
	dbr_close(db); /* sessions still open: both transactions roll back */
	/* the sessions outlive their dbr only to be freed; other calls say so */
	assert_int_equal(dbr_exec_sql(NULL, other, "SELECT 1"), DBR_ESTATE);
	assert_int_equal(dbr_tx_commit(s, NULL), DBR_ESTATE);
	assert_int_equal(dbr_tx_depth(s, NULL), DBR_ESTATE);
	dbr_session_free(s);
	dbr_session_free(other);
	assert_int_equal(count_fresh("default", "t", NULL), 0);
	assert_int_equal(count_fresh("logs", "log", NULL), 0);
}

/* After dbr_close, every call on a session but dbr_session_free says
 * DBR_ESTATE; so does dbr_conn_exec on a connection taken before. */
static void test_detached_session_refuses_every_call(void **state)
{
	(void)state;
	dbr *db = open_pool(NULL);
	dbr_session *s = session(db);
	dbr_conn *c = NULL;
	assert_int_equal(dbr_conn_get(&c, s, "logs"), 0);
	assert_int_equal(dbr_session_use_primary_begin(s), 0);
	dbr_close(db);
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "SELECT 1";
	dbr_result *r = NULL;
	dbr_trace *t = NULL;
	dbr_conn *c2 = NULL;
	char tok[DBR_TOKEN_MAX];
	assert_int_equal(dbr_exec(&r, s, &q), DBR_ESTATE);
	assert_non_null(strstr(dbr_session_errmsg(s), "closed"));
	assert_int_equal(dbr_exec_sql(&r, s, "SELECT 1"), DBR_ESTATE);
	assert_int_equal(dbr_explain(&t, s, &q), DBR_ESTATE);
	assert_int_equal(dbr_apply(&t, s, NULL, "SELECT 1"), DBR_ESTATE);
	assert_int_equal(dbr_session_token(tok, sizeof tok, s), DBR_ESTATE);
	assert_int_equal(dbr_session_token_mark_write(tok, sizeof tok, s, "default"), DBR_ESTATE);
	assert_int_equal(dbr_session_use_primary_end(s), DBR_ESTATE);
	assert_non_null(strstr(dbr_session_errmsg(s), "dbr_session_use_primary_end"));
	assert_int_equal(dbr_session_use_primary_begin(s), DBR_ESTATE);
	assert_int_equal(dbr_session_mark_write(s, "default"), DBR_ESTATE);
	assert_int_equal(dbr_tx_begin(s, NULL), DBR_ESTATE);
	assert_int_equal(dbr_tx_begin_model(s, NULL), DBR_ESTATE);
	assert_int_equal(dbr_tx_commit(s, NULL), DBR_ESTATE);
	assert_int_equal(dbr_tx_rollback(s, NULL), DBR_ESTATE);
	assert_int_equal(dbr_tx_depth(s, NULL), DBR_ESTATE);
	assert_int_equal(dbr_conn_get(&c2, s, "default"), DBR_ESTATE);
	assert_int_equal(dbr_conn_exec(&r, c, "SELECT 1", NULL, 0), DBR_ESTATE);
	assert_null(r);
	assert_null(t);
	assert_null(c2);
	dbr_conn_release(c);
	dbr_session_free(s);
}

static void test_session_free_rolls_back(void **state)
{
	(void)state;
	dbr *db = open_pool(NULL);
	dbr_session *s = session(db);
	assert_int_equal(dbr_tx_begin(s, "default"), 0);
	assert_int_equal(run(s, NULL, "INSERT INTO t(v) VALUES (?)", "never"), 0);
	dbr_session_free(s);
	assert_int_equal(in_use(db, "default"), 0);
	assert_int_equal(count_fresh("default", "t", NULL), 0);
	dbr_close(db);
}

/* ------------------------------------------------------------ timeout */

/* Polls (real time, up to 10 s) until `alias` has no connection in use. */
static int wait_released(dbr *db, const char *alias)
{
	for (int i = 0; i < 1000; i++) {
		if (in_use(db, alias) == 0)
			return 0;
		usleep(10000);
	}
	return -1;
}

/* A session that never calls again: the pool's maintenance thread rolls its
 * transaction back after transaction_timeout and takes the connection back
 * (and SQLite's write lock goes with it); the owner learns at its next call. */
static void test_transaction_timeout_reaped_in_background(void **state)
{
	(void)state;
	dbr_clock_set(NULL);
	dbr *db = open_pool("transaction_timeout = 0.3; idle_timeout = 0;");
	dbr_session *s = session(db);
	assert_int_equal(dbr_tx_begin(s, "default"), 0);
	assert_int_equal(run(s, NULL, "INSERT INTO t(v) VALUES (?)", "abandoned"), 0);
	assert_int_equal(in_use(db, "default"), 1);
	/* the owner sleeps; nobody calls on s */
	assert_int_equal(wait_released(db, "default"), 0);
	assert_int_equal(dbr_tx_depth(s, "default"), 0);
	dbr_session *other = session(db);
	assert_int_equal(run(other, "default", "INSERT INTO t(v) VALUES (?)", "other"), 0);
	assert_int_equal(count_fresh("default", "t", "abandoned"), 0);
	assert_int_equal(count_fresh("default", "t", "other"), 1);
	/* the owner's next call on that transaction fails, clearly */
	assert_int_equal(dbr_tx_commit(s, NULL), DBR_ETIMEOUT);
	const char *msg = dbr_session_errmsg(s);
	if (!strstr(msg, "\"default\"") || !strstr(msg, "transaction_timeout 0.3 s"))
		fail_msg("message: %s", msg);
	/* and then the session works again */
	assert_int_equal(dbr_tx_commit(s, NULL), DBR_ESTATE);
	assert_int_equal(run(s, NULL, "INSERT INTO t(v) VALUES (?)", "later"), 0);
	assert_int_equal(count_fresh("default", "t", "later"), 1);
	/* in time, a transaction commits as usual */
	assert_int_equal(dbr_tx_begin(s, "default"), 0);
	assert_int_equal(run(s, NULL, "INSERT INTO t(v) VALUES (?)", "kept"), 0);
	assert_int_equal(dbr_tx_commit(s, NULL), 0);
	assert_int_equal(count_fresh("default", "t", "kept"), 1);
	dbr_session_free(other);
	dbr_session_free(s);
	dbr_close(db);
}

static void test_transaction_timeout_rolls_back(void **state)
{
	(void)state;
	dbr_clock_set(fake_clock);
	dbr *db = open_pool("transaction_timeout = 5.0;");
	dbr_session *s = session(db);
	/* within the limit: commits */
	assert_int_equal(dbr_tx_begin(s, "default"), 0);
	assert_int_equal(run(s, NULL, "INSERT INTO t(v) VALUES (?)", "in-time"), 0);
	advance(4.0);
	assert_int_equal(dbr_tx_commit(s, NULL), 0);
	/* past it: the next call fails clearly, the work is rolled back */
	assert_int_equal(dbr_tx_begin(s, "default"), 0);
	assert_int_equal(run(s, NULL, "INSERT INTO t(v) VALUES (?)", "too-late"), 0);
	advance(6.0);
	assert_int_equal(dbr_tx_commit(s, NULL), DBR_ETIMEOUT);
	assert_non_null(strstr(dbr_session_errmsg(s), "transaction_timeout"));
	assert_non_null(strstr(dbr_session_errmsg(s), "\"default\""));
	assert_int_equal(dbr_tx_depth(s, NULL), 0);
	assert_int_equal(in_use(db, "default"), 0);
	assert_int_equal(count_fresh("default", "t", "too-late"), 0);
	assert_int_equal(count_fresh("default", "t", "in-time"), 1);
	/* then the session works again, in autocommit */
	assert_int_equal(run(s, NULL, "INSERT INTO t(v) VALUES (?)", "after"), 0);
	assert_int_equal(count_fresh("default", "t", "after"), 1);
	/* logs has no timeout: left open for long, it still commits */
	assert_int_equal(dbr_tx_begin(s, "logs"), 0);
	assert_int_equal(run(s, NULL, "INSERT INTO log(v) VALUES (?)", "slow"), 0);
	advance(3600.0);
	assert_int_equal(dbr_tx_commit(s, "logs"), 0);
	assert_int_equal(count_fresh("logs", "log", "slow"), 1);
	dbr_session_free(s);
	dbr_close(db);
	dbr_clock_set(NULL);
}

/* ------------------------------------------------------------ joining */

static const char *first_who(dbr_session *s, const char *sql, const char *using_alias, char *alias,
                             size_t n)
{
	static _Thread_local char who[64];
	dbr_query q = DBR_QUERY_INIT;
	q.sql = sql;
	q.using_alias = using_alias;
	dbr_trace *t = NULL;
	if (dbr_explain(&t, s, &q))
		fail_msg("explain: %s", dbr_session_errmsg(s));
	snprintf(who, sizeof(who), "%s", dbr_trace_get(t, 0)->who);
	snprintf(alias, n, "%s", dbr_trace_alias(t));
	dbr_trace_free(t);
	return who;
}

static void test_using_joins_open_transaction(void **state)
{
	(void)state;
	dbr *db = open_pool(NULL);
	dbr_session *s = session(db);
	char alias[64];
	assert_int_equal(dbr_tx_begin(s, "logs"), 0);
	/* using names an alias with no transaction: autocommit there */
	assert_string_equal(first_who(s, "INSERT INTO t(v) VALUES ('x')", "default", alias, sizeof alias), "using");
	assert_int_equal(run(s, "default", "INSERT INTO t(v) VALUES (?)", "autocommit"), 0);
	assert_int_equal(count_fresh("default", "t", "autocommit"), 1);
	assert_int_equal(dbr_tx_begin(s, "default"), 0); /* now the latest */
	/* using logs: joins logs' transaction although default is the latest */
	assert_string_equal(first_who(s, "INSERT INTO log(v) VALUES ('x')", "logs", alias, sizeof alias),
	                    "transaction");
	assert_string_equal(alias, "logs");
	assert_int_equal(run(s, "logs", "INSERT INTO log(v) VALUES (?)", "joined"), 0);
	/* no using: the latest begun, routers bypassed (explain says so) */
	assert_string_equal(first_who(s, "SELECT 1", NULL, alias, sizeof alias), "transaction");
	assert_string_equal(alias, "default");
	assert_int_equal(count_fresh("logs", "log", "joined"), 0);
	assert_int_equal(dbr_tx_rollback(s, "logs"), 0);
	assert_int_equal(dbr_tx_commit(s, "default"), 0);
	assert_int_equal(count_fresh("logs", "log", "joined"), 0);
	dbr_session_free(s);
	dbr_close(db);
}

static void test_raw_conn_joins_transaction(void **state)
{
	(void)state;
	dbr *db = open_pool(NULL);
	dbr_session *s = session(db);
	dbr_conn *c = NULL;
	dbr_value v = dbr_text("raw-in-tx");
	/* outside a transaction: its own connection, autocommit */
	assert_int_equal(dbr_conn_get(&c, s, "default"), 0);
	assert_int_equal(in_use(db, "default"), 1);
	dbr_value a = dbr_text("raw-auto");
	assert_int_equal(dbr_conn_exec(NULL, c, "INSERT INTO t(v) VALUES (?)", &a, 1), 0);
	dbr_conn_release(c);
	assert_int_equal(in_use(db, "default"), 0);
	assert_int_equal(count_fresh("default", "t", "raw-auto"), 1);
	/* inside: the transaction's connection */
	assert_int_equal(dbr_tx_begin(s, "default"), 0);
	assert_int_equal(dbr_conn_get(&c, s, "default"), 0);
	assert_int_equal(in_use(db, "default"), 1); /* no second connection */
	assert_int_equal(dbr_conn_exec(NULL, c, "INSERT INTO t(v) VALUES (?)", &v, 1), 0);
	dbr_result *r = NULL;
	int64_t n = -1;
	assert_int_equal(run(s, NULL, "SELECT 1", NULL), 0);
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "SELECT count(*) FROM t WHERE v = ?";
	q.params = &v;
	q.nparams = 1;
	assert_int_equal(dbr_exec(&r, s, &q), 0); /* the session sees the raw write */
	assert_int_equal(dbr_result_int64(&n, r, 0, 0), 0);
	assert_int_equal(n, 1);
	dbr_result_free(r);
	assert_int_equal(dbr_tx_rollback(s, NULL), 0);
	/* the transaction it joined has ended */
	assert_int_equal(dbr_conn_exec(NULL, c, "SELECT 1", NULL, 0), DBR_ESTATE);
	dbr_conn_release(c);
	assert_int_equal(count_fresh("default", "t", "raw-in-tx"), 0);
	assert_int_equal(dbr_conn_get(&c, s, "nope"), DBR_ENOTFOUND);
	/* a connection still held is given back by the session's end */
	assert_int_equal(dbr_conn_get(&c, s, "logs"), 0);
	dbr_session_free(s);
	assert_int_equal(in_use(db, "logs"), 0);
	assert_int_equal(dbr_conn_exec(NULL, c, "SELECT 1", NULL, 0), DBR_ESTATE);
	dbr_conn_release(c);
	dbr_close(db);
}

/* ------------------------------------------------------------ removal */

typedef struct tenant_work {
	dbr *db;
	atomic_int inside;    /* the transaction is open */
	atomic_int committed; /* and committed */
	int rc;
	char msg[512];        /* the writer's error, if any */
} tenant_work;

static void *tenant_writer(void *arg)
{
	tenant_work *w = arg;
	dbr_session *s = NULL;
	w->rc = dbr_session_new(&s, w->db);
	if (w->rc == 0)
		w->rc = dbr_tx_begin(s, "tenant");
	if (w->rc == 0)
		w->rc = run(s, NULL, "INSERT INTO t(v) VALUES (?)", "first");
	atomic_store(&w->inside, 1);
	usleep(300 * 1000); /* the remover waits meanwhile */
	if (w->rc == 0)
		w->rc = run(s, NULL, "INSERT INTO t(v) VALUES (?)", "second");
	if (w->rc == 0)
		w->rc = dbr_tx_commit(s, NULL);
	if (w->rc)
		snprintf(w->msg, sizeof(w->msg), "%s", s ? dbr_session_errmsg(s) : "no session");
	atomic_store(&w->committed, 1);
	dbr_session_free(s);
	return NULL;
}

static void test_remove_database_drains(void **state)
{
	(void)state;
	dbr *db = open_pool(NULL);
	char url[512];
	snprintf(url, sizeof(url), "sqlite://%s/tenant.db", dir);
	assert_int_equal(dbr_add_database(db, "tenant", url, NULL), 0);
	dbr_session *s = session(db);
	assert_int_equal(run(s, "tenant", "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v TEXT)", NULL), 0);
	assert_int_equal(run(s, "tenant", "DELETE FROM t", NULL), 0);
	tenant_work w = { .db = db };
	pthread_t th;
	pthread_create(&th, NULL, tenant_writer, &w);
	while (!atomic_load(&w.inside))
		usleep(1000);
	int removed = dbr_remove_database(db, "tenant");
	/* It returned only once the transaction in flight had ended: both rows
	 * are committed now. (The writer's own "committed" flag is set after
	 * dbr_tx_commit returns, which can be after the remover wakes.) */
	int re_added = dbr_add_database(db, "tenant", url, NULL);
	int64_t n = -1;
	dbr_result *r = NULL;
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "SELECT count(*) FROM t";
	q.using_alias = "tenant";
	int counted = re_added ? re_added : dbr_exec(&r, s, &q);
	if (counted == 0)
		dbr_result_int64(&n, r, 0, 0);
	dbr_result_free(r);
	/* join first: a failed assertion must not leave the thread writing to w */
	pthread_join(th, NULL);
	if (w.rc)
		fail_msg("the tenant's writer failed (%d): %s", w.rc, w.msg);
	assert_int_equal(removed, 0);
	assert_int_equal(counted, 0);
	assert_int_equal(n, 2);
	/* gone while removed: new statements and transactions were refused */
	assert_int_equal(dbr_remove_database(db, "tenant"), 0);
	assert_int_equal(run(s, "tenant", "SELECT 1", NULL), DBR_ENOTFOUND);
	assert_int_equal(dbr_tx_begin(s, "tenant"), DBR_ENOTFOUND);
	const char *backend = NULL;
	assert_int_equal(dbr_backend(&backend, db, "tenant"), DBR_ENOTFOUND);
	assert_int_equal(dbr_remove_database(db, "tenant"), DBR_ENOTFOUND);
	dbr_session_free(s);
	dbr_close(db);
}

static void test_remove_database_refusals(void **state)
{
	(void)state;
	dbr *db = open_pool(NULL);
	char url[512];
	snprintf(url, sizeof(url), "sqlite://%s/main.db?mode=ro", dir);
	assert_int_equal(dbr_add_database(db, "ro", url, "replica_of = \"logs\";"), 0);
	assert_int_equal(dbr_remove_database(db, "default"), DBR_EINVAL);
	assert_int_equal(dbr_remove_database(db, "logs"), DBR_EINVAL); /* has a replica */
	assert_non_null(strstr(dbr_errmsg(db), "replica"));
	assert_int_equal(dbr_remove_database(db, "nope"), DBR_ENOTFOUND);
	assert_int_equal(dbr_remove_database(db, "ro"), 0);
	assert_int_equal(dbr_remove_database(db, "logs"), 0);
	dbr_session *s = session(db);
	assert_int_equal(run(s, "logs", "SELECT 1", NULL), DBR_ENOTFOUND);
	assert_int_equal(run(s, NULL, "SELECT 1", NULL), 0);
	dbr_session_free(s);
	dbr_close(db);
}

/* An alias list owns its strings: read after the database is removed (and
 * freed), it still holds what it showed. ASan catches the old dangling
 * pointers. */
static void test_alias_list_outlives_removal(void **state)
{
	(void)state;
	dbr *db = open_pool(NULL);
	char url[400];
	snprintf(url, sizeof url, "sqlite://%s/tenant.db", dir);
	assert_int_equal(dbr_add_database(db, "tenant", url, "replica_of = \"default\";"), 0);
	dbr_alias_list *l = NULL;
	assert_int_equal(dbr_alias_list_get(&l, db), 0);
	assert_int_equal(dbr_remove_database(db, "tenant"), 0);
	assert_int_equal(dbr_alias_list_count(l), 3);
	const dbr_alias_info *a = dbr_alias_list_at(l, 2);
	assert_string_equal(a->alias, "tenant");
	assert_string_equal(a->backend, "sqlite");
	assert_string_equal(a->url, url);
	assert_string_equal(a->replica_of, "default");
	dbr_close(db); /* the list outlives its dbr too */
	assert_string_equal(dbr_alias_list_at(l, 0)->alias, "default");
	assert_null(dbr_alias_list_at(l, 0)->replica_of);
	dbr_alias_list_free(l);
}

int main(void)
{
	if (make_temp_dir(dir, sizeof dir, "tx") != 0) {
		perror("mkdtemp");
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_savepoint_rollback_keeps_outer_work, clean_tables),
		cmocka_unit_test_setup(test_begin_on_other_alias_is_independent, clean_tables),
		cmocka_unit_test_setup(test_close_with_open_transactions_commits_neither, clean_tables),
		cmocka_unit_test_setup(test_session_free_rolls_back, clean_tables),
		cmocka_unit_test_setup(test_detached_session_refuses_every_call, clean_tables),
		cmocka_unit_test_setup(test_transaction_timeout_rolls_back, clean_tables),
		cmocka_unit_test_setup(test_transaction_timeout_reaped_in_background, clean_tables),
		cmocka_unit_test_setup(test_using_joins_open_transaction, clean_tables),
		cmocka_unit_test_setup(test_raw_conn_joins_transaction, clean_tables),
		cmocka_unit_test_setup(test_remove_database_drains, clean_tables),
		cmocka_unit_test_setup(test_remove_database_refusals, clean_tables),
		cmocka_unit_test_setup(test_alias_list_outlives_removal, clean_tables),
	};
	int rc = cmocka_run_group_tests_name("tx", tests, setup_schema, NULL);
	if (remove_tree(dir) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return rc;
}
