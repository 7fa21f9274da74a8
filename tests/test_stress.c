/* SPDX-License-Identifier: MIT */
/* test_stress.c — 16 threads share one dbr for a bounded time: reads,
 * autocommit writes and transactions (commits, rollbacks, savepoints,
 * two aliases at once) across the aliases given. Afterwards each table
 * holds exactly what was reported committed (counted per thread), and
 * every pool is back to zero in use.
 *
 *   test_stress          SQLite only (runs without servers)
 *   test_stress all      SQLite, plus PostgreSQL and MariaDB from
 *                        DBR_PG_PRIMARY_URL / DBR_MY_PRIMARY_URL
 *
 * DBR_STRESS_SECONDS changes the duration (default 3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <dbrouter/dbrouter.h>
#include "testutil.h"

#define NTHREADS 16
#define MAXALIASES 3

static char dir[256];
static dbr *db;
static const char *aliases[MAXALIASES];
static size_t naliases;
static double seconds = 3.0;

/* Per thread: rows it saw committed per alias, and what went wrong. */
typedef struct worker {
	int id;
	unsigned seed;
	int64_t committed[MAXALIASES];
	int64_t ops, errors, commits, rollbacks, savepoints;
	char failure[512]; /* a broken invariant, not a tolerated SQL error */
} worker;

static int insert(dbr_session *s, size_t a, int thread, int64_t seq)
{
	dbr_value p[2] = { dbr_int(thread), dbr_int(seq) };
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "INSERT INTO dbr_stress(thread, seq) VALUES (?, ?)";
	q.params = p;
	q.nparams = 2;
	q.using_alias = aliases[a];
	return dbr_exec(NULL, s, &q);
}

static int64_t count_rows(dbr_session *s, size_t a, int thread, int *rc)
{
	dbr_value p = dbr_int(thread);
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "SELECT count(*) FROM dbr_stress WHERE thread = ?";
	q.params = &p;
	q.nparams = 1;
	q.using_alias = aliases[a];
	dbr_result *r = NULL;
	int64_t n = -1;
	if ((*rc = dbr_exec(&r, s, &q)) == 0)
		*rc = dbr_result_int64(&n, r, 0, 0);
	dbr_result_free(r);
	return n;
}

/* After a failure inside a transaction: roll everything back. */
static void abandon(worker *w, dbr_session **s)
{
	for (int i = 0; i < 8 && dbr_tx_depth(*s, NULL) > 0; i++)
		dbr_tx_rollback(*s, NULL);
	if (dbr_tx_depth(*s, NULL) > 0) { /* a stuck level: the session's end rolls back */
		dbr_session_free(*s);
		dbr_session_new(s, db);
	}
	w->errors++;
}

/* Each op returns the rows it committed per alias in add[], or -1. */
static int op_read(worker *w, dbr_session *s, size_t a, int64_t *add)
{
	(void)add;
	int rc = 0;
	int64_t n = count_rows(s, a, w->id, &rc);
	if (rc)
		return -1;
	/* only this thread writes its rows: it reads exactly its commits */
	if (n != w->committed[a] && !w->failure[0])
		snprintf(w->failure, sizeof(w->failure), "thread %d reads %lld rows on %s, committed %lld",
		         w->id, (long long)n, aliases[a], (long long)w->committed[a]);
	return 0;
}

static int op_autocommit(worker *w, dbr_session *s, size_t a, int64_t *add)
{
	if (insert(s, a, w->id, w->ops))
		return -1;
	add[a] = 1;
	return 0;
}

static int op_commit(worker *w, dbr_session *s, size_t a, int64_t *add)
{
	if (dbr_tx_begin(s, aliases[a]) || insert(s, a, w->id, w->ops) || insert(s, a, w->id, w->ops) ||
	    dbr_tx_commit(s, aliases[a]))
		return -1;
	w->commits++;
	add[a] = 2;
	return 0;
}

static int op_rollback(worker *w, dbr_session *s, size_t a, int64_t *add)
{
	(void)add;
	if (dbr_tx_begin(s, aliases[a]) || insert(s, a, w->id, w->ops) || dbr_tx_rollback(s, aliases[a]))
		return -1;
	w->rollbacks++;
	return 0;
}

/* outer A, savepoint B rolled back, savepoint C released: A and C stay. */
static int op_savepoints(worker *w, dbr_session *s, size_t a, int64_t *add)
{
	const char *al = aliases[a];
	if (dbr_tx_begin(s, al) || insert(s, a, w->id, w->ops) ||
	    dbr_tx_begin(s, al) || insert(s, a, w->id, w->ops) || dbr_tx_rollback(s, al) ||
	    dbr_tx_begin(s, al) || insert(s, a, w->id, w->ops) || dbr_tx_commit(s, al) ||
	    dbr_tx_depth(s, al) != 1 || dbr_tx_commit(s, al))
		return -1;
	w->savepoints++;
	add[a] = 2;
	return 0;
}

/* Two independent transactions: the second commits, the first rolls
 * back. Both begin (take their connections) before any row is written, in
 * alias order, so that no two threads wait on each other. */
static int op_two_aliases(worker *w, dbr_session *s, size_t a, int64_t *add)
{
	if (naliases < 2)
		return op_commit(w, s, a, add);
	size_t b = (a + 1 + (size_t)rand_r(&w->seed) % (naliases - 1)) % naliases;
	size_t lo = a < b ? a : b, hi = a < b ? b : a;
	if (dbr_tx_begin(s, aliases[lo]) || dbr_tx_begin(s, aliases[hi]) ||
	    insert(s, lo, w->id, w->ops) || insert(s, hi, w->id, w->ops) ||
	    dbr_tx_commit(s, aliases[hi]))
		return -1;
	add[hi] = 1; /* committed whatever happens to lo */
	if (dbr_tx_rollback(s, aliases[lo]))
		return -1;
	return 0;
}

typedef int (*op_fn)(worker *, dbr_session *, size_t, int64_t *);
static const op_fn op_table[] = { op_read, op_read, op_autocommit, op_autocommit, op_commit,
                             op_rollback, op_savepoints, op_two_aliases };

static void *work(void *arg)
{
	worker *w = arg;
	dbr_session *s = NULL;
	if (dbr_session_new(&s, db))
		return NULL;
	double end = mono_s() + seconds;
	while (mono_s() < end) {
		int64_t add[MAXALIASES] = { 0 };
		size_t a = (size_t)rand_r(&w->seed) % naliases;
		op_fn fn = op_table[(size_t)rand_r(&w->seed) % (sizeof(op_table) / sizeof(op_table[0]))];
		w->ops++;
		int rc = fn(w, s, a, add);
		/* what committed before a failure stays counted (op_two_aliases) */
		for (size_t i = 0; i < naliases; i++)
			w->committed[i] += add[i];
		if (rc)
			abandon(w, &s);
	}
	dbr_session_free(s);
	return NULL;
}

/* ------------------------------------------------------------ setup */

static void add_alias(const char *alias, const char *url, const char *settings)
{
	if (dbr_add_database(db, alias, url, settings))
		fail_msg("add %s: %s", alias, dbr_error_last()->message);
	aliases[naliases++] = alias;
}

static void create_table(dbr_session *s, size_t a)
{
	dbr_query q = DBR_QUERY_INIT;
	q.using_alias = aliases[a];
	q.sql = "DROP TABLE IF EXISTS dbr_stress";
	if (dbr_exec(NULL, s, &q) == 0) {
		q.sql = "CREATE TABLE dbr_stress(thread INTEGER NOT NULL, seq INTEGER NOT NULL)";
		if (dbr_exec(NULL, s, &q) == 0)
			return;
	}
	fail_msg("schema on %s: %s", aliases[a], dbr_session_errmsg(s));
}

static int with_servers;

static int setup(void **state)
{
	(void)state;
	const char *pool = "pool = { max_connections = 6; acquire_timeout = 30.0; };";
	char url[512], settings[512];
	if (dbr_new(&db))
		return -1;
	snprintf(url, sizeof(url), "sqlite://%s/stress.db", dir);
	snprintf(settings, sizeof(settings), "%s options = { journal_mode = \"wal\"; busy_timeout = 20000; };",
	         pool);
	add_alias("default", url, settings);
	if (with_servers) {
		const char *pg = getenv("DBR_PG_PRIMARY_URL"), *my = getenv("DBR_MY_PRIMARY_URL");
		if (!pg || !my)
			fail_msg("test_stress all: DBR_PG_PRIMARY_URL and DBR_MY_PRIMARY_URL must be set");
		add_alias("pg", pg, pool);
		add_alias("my", my, pool);
	}
	dbr_session *s = NULL;
	if (dbr_session_new(&s, db))
		return -1;
	for (size_t a = 0; a < naliases; a++)
		create_table(s, a);
	dbr_session_free(s);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dbr_close(db);
	return 0;
}

/* ------------------------------------------------------------ the test */

/* The table's rows per thread must equal the commits counted. */
static void check_table(dbr_session *s, size_t a, const worker *ws, int64_t *total)
{
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "SELECT thread, count(*) FROM dbr_stress GROUP BY thread ORDER BY thread";
	q.using_alias = aliases[a];
	dbr_result *r = NULL;
	assert_int_equal(dbr_exec(&r, s, &q), 0);
	int64_t seen[NTHREADS] = { 0 };
	for (size_t i = 0; i < dbr_result_nrows(r); i++) {
		int64_t th = -1, n = -1;
		assert_int_equal(dbr_result_int64(&th, r, i, 0), 0);
		assert_int_equal(dbr_result_int64(&n, r, i, 1), 0);
		assert_in_range(th, 0, NTHREADS - 1);
		seen[th] = n;
	}
	dbr_result_free(r);
	*total = 0;
	for (int t = 0; t < NTHREADS; t++) {
		if (seen[t] != ws[t].committed[a])
			fail_msg("%s: thread %d has %lld rows, committed %lld (lost or phantom write)", aliases[a], t,
			         (long long)seen[t], (long long)ws[t].committed[a]);
		*total += seen[t];
	}
}

static void test_stress_mixed(void **state)
{
	(void)state;
	static worker ws[NTHREADS];
	pthread_t th[NTHREADS];
	for (int i = 0; i < NTHREADS; i++) {
		ws[i] = (worker){ .id = i, .seed = 0x5eed0000u + (unsigned)i };
		assert_int_equal(pthread_create(&th[i], NULL, work, &ws[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(th[i], NULL);
	int64_t ops = 0, errors = 0, commits = 0, rollbacks = 0, savepoints = 0;
	for (int i = 0; i < NTHREADS; i++) {
		if (ws[i].failure[0])
			fail_msg("%s", ws[i].failure);
		ops += ws[i].ops;
		errors += ws[i].errors;
		commits += ws[i].commits;
		rollbacks += ws[i].rollbacks;
		savepoints += ws[i].savepoints;
	}
	printf("# %lld ops in %.1f s: %lld commits, %lld rollbacks, %lld savepoint rounds, %lld failed ops\n",
	       (long long)ops, seconds, (long long)commits, (long long)rollbacks, (long long)savepoints,
	       (long long)errors);
	/* the run did real work of every kind, and failures stayed rare */
	assert_true(commits > 0 && rollbacks > 0 && savepoints > 0);
	assert_true(errors * 10 <= ops);
	dbr_session *s = NULL;
	assert_int_equal(dbr_session_new(&s, db), 0);
	for (size_t a = 0; a < naliases; a++) {
		int64_t total = 0;
		check_table(s, a, ws, &total);
		printf("# %s: %lld rows, as committed\n", aliases[a], (long long)total);
		assert_true(total > 0);
	}
	dbr_session_free(s);
	for (size_t a = 0; a < naliases; a++) {
		dbr_pool_stats st;
		assert_int_equal(dbr_pool_stats_get(&st, db, aliases[a]), 0);
		if (st.in_use != 0)
			fail_msg("pool of %s: %zu connections still in use", aliases[a], st.in_use);
		assert_true(st.size <= st.max);
	}
}

int main(int argc, char **argv)
{
	with_servers = argc > 1 && strcmp(argv[1], "all") == 0;
	const char *sec = getenv("DBR_STRESS_SECONDS");
	if (sec && atof(sec) > 0)
		seconds = atof(sec);
	if (make_temp_dir(dir, sizeof dir, "stress") != 0) {
		perror("mkdtemp");
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stress_mixed),
	};
	int rc = cmocka_run_group_tests_name(with_servers ? "stress (sqlite, postgres, mariadb)" : "stress (sqlite)",
	                                     tests, setup, teardown);
	if (remove_tree(dir) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return rc;
}
