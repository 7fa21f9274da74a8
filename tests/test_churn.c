/* SPDX-License-Identifier: MIT */
/* test_churn.c — memory safety while databases come and go: 16 threads
 * run statements (routed, by `using`, in transactions) on SQLite files
 * while other threads add and remove aliases (tenants and their replicas),
 * list the aliases and read every string of the list, and swap the router
 * chain. Run under ThreadSanitizer and ASan by .ci/run: any report fails
 * the pass. Afterwards no statement failed for another reason than its
 * alias being gone, and every pool is back to zero in use.
 *
 * DBR_CHURN_SECONDS sets the duration (default 30, what CI runs). SQLite's
 * busy_timeout is long: 16 threads writing one file on a loaded machine
 * wait for its lock, and lock contention is not what this test is about. */
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

enum { NWORKERS = 16, NTENANTS = 4 };

static char dir[256];
static dbr *db;
static double seconds = 30.0;
static atomic_int stop;
static atomic_long statements, gone, adds, removes, lists, swaps;

/* The first unexpected failure, reported by the main thread. */
static pthread_mutex_t failure_lock = PTHREAD_MUTEX_INITIALIZER;
static char failure[1024];

static void failed(const char *what, int rc, const char *msg)
{
	pthread_mutex_lock(&failure_lock);
	if (!failure[0])
		snprintf(failure, sizeof failure, "%s: %d %s", what, rc, msg);
	pthread_mutex_unlock(&failure_lock);
	atomic_store(&stop, 1);
}

/* An alias removed under the statement is the only tolerated failure. */
static void outcome(dbr_session *s, const char *what, int rc)
{
	if (rc == 0)
		atomic_fetch_add(&statements, 1);
	else if (rc == DBR_ENOTFOUND || (rc == DBR_ESTATE && strstr(dbr_session_errmsg(s), "no transaction")))
		atomic_fetch_add(&gone, 1);
	else
		failed(what, rc, dbr_session_errmsg(s));
}

static int run(dbr_session *s, const char *alias, const char *sql, int64_t v)
{
	dbr_value p = dbr_int(v);
	dbr_query q = DBR_QUERY_INIT;
	q.sql = sql;
	q.params = strchr(sql, '?') ? &p : NULL;
	q.nparams = q.params ? 1 : 0;
	q.using_alias = alias;
	dbr_result *r = NULL;
	int rc = dbr_exec(&r, s, &q);
	if (rc == 0 && dbr_result_alias(r)[0] == '\0')
		failed("result without an alias", 0, sql);
	dbr_result_free(r);
	return rc;
}

static void tenant_name(char *buf, size_t n, const char *prefix, unsigned k)
{
	snprintf(buf, n, "%s%u", prefix, k % NTENANTS);
}

/* One unit of work: a read (routed: the chain in place decides), a read or
 * write on a tenant or its replica by name, or a short transaction. */
static void work(dbr_session *s, unsigned *seed, int64_t id)
{
	char alias[32];
	unsigned k = (unsigned)rand_r(seed);
	switch (k % 5) {
	case 0:
		outcome(s, "routed read", run(s, NULL, "SELECT count(*) FROM t", 0));
		break;
	case 1:
		tenant_name(alias, sizeof alias, "tenant", k / 5);
		outcome(s, "tenant write", run(s, alias, "INSERT INTO t(v) VALUES (?)", id));
		break;
	case 2:
		tenant_name(alias, sizeof alias, "replica", k / 5);
		outcome(s, "replica read", run(s, alias, "SELECT count(*) FROM t", 0));
		break;
	case 3: {
		tenant_name(alias, sizeof alias, "tenant", k / 5);
		int rc = dbr_tx_begin(s, alias);
		if (rc == 0)
			rc = run(s, NULL, "INSERT INTO t(v) VALUES (?)", id);
		outcome(s, "transaction", rc == 0 ? dbr_tx_commit(s, alias) : rc);
		if (dbr_tx_depth(s, NULL) > 0)
			dbr_tx_rollback(s, NULL);
		break;
	}
	default:
		outcome(s, "default write", run(s, "default", "INSERT INTO t(v) VALUES (?)", id));
	}
}

static void *worker(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u;
	dbr_session *s = NULL;
	if (dbr_session_new(&s, db)) {
		failed("session", -1, dbr_error_last()->message);
		return NULL;
	}
	for (int64_t i = 0; !atomic_load(&stop); i++)
		work(s, &seed, i);
	dbr_session_free(s);
	return NULL;
}

/* A tenant and its replica come and go (each churner has its own tenants:
 * even or odd). A tenant's file has its table from the setup, so statements
 * that find it succeed. */
static void *churner(void *arg)
{
	unsigned first = (unsigned)(uintptr_t)arg;
	for (unsigned k = first; !atomic_load(&stop); k += 2) {
		char tenant[32], replica[32], url[400];
		tenant_name(tenant, sizeof tenant, "tenant", k);
		tenant_name(replica, sizeof replica, "replica", k);
		snprintf(url, sizeof url, "sqlite://%s/%s.db?busy_timeout=120000", dir, tenant);
		int rc = dbr_add_database(db, tenant, url, NULL);
		if (rc)
			failed("add tenant", rc, dbr_error_last()->message);
		else {
			atomic_fetch_add(&adds, 1);
			snprintf(url, sizeof url, "sqlite://%s/%s.db?mode=ro&busy_timeout=120000", dir, tenant);
			char settings[64];
			snprintf(settings, sizeof settings, "replica_of = \"%s\";", tenant);
			if ((rc = dbr_add_database(db, replica, url, settings)) != 0)
				failed("add replica", rc, dbr_error_last()->message);
			usleep(2000);
			if (rc == 0 && (rc = dbr_remove_database(db, replica)) != 0)
				failed("remove replica", rc, dbr_error_last()->message);
			if ((rc = dbr_remove_database(db, tenant)) == 0)
				atomic_fetch_add(&removes, 1);
			else
				failed("remove tenant", rc, dbr_error_last()->message);
		}
	}
	return NULL;
}

/* Lists and reads every string of each list, slowly enough that removals
 * happen while a list is held. */
static void *lister(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		dbr_alias_list *l = NULL;
		int rc = dbr_alias_list_get(&l, db);
		if (rc) {
			failed("list", rc, dbr_error_last()->message);
			break;
		}
		usleep(500);
		size_t total = 0;
		for (size_t i = 0; i < dbr_alias_list_count(l); i++) {
			const dbr_alias_info *a = dbr_alias_list_at(l, i);
			total += strlen(a->alias) + strlen(a->backend) + strlen(a->url) +
			         (a->replica_of ? strlen(a->replica_of) : 0);
		}
		if (total == 0)
			failed("list", 0, "empty");
		dbr_alias_list_free(l);
		atomic_fetch_add(&lists, 1);
	}
	return NULL;
}

static void *swapper(void *arg)
{
	(void)arg;
	static const char *const chains[] = {
		"( { name = \"pinning\"; }, { name = \"round_robin\"; } )",
		"( { name = \"round_robin\"; include_primary = true; } )",
		NULL,
	};
	for (unsigned i = 0; !atomic_load(&stop); i++) {
		int rc = dbr_set_routers(db, chains[i % 3]);
		if (rc)
			failed("set_routers", rc, dbr_error_last()->message);
		atomic_fetch_add(&swaps, 1);
		usleep(1000);
	}
	return NULL;
}

static void in_use_zero(void)
{
	dbr_alias_list *l = NULL;
	assert_int_equal(dbr_alias_list_get(&l, db), 0);
	for (size_t i = 0; i < dbr_alias_list_count(l); i++)
		if (dbr_alias_list_at(l, i)->pool.in_use != 0)
			fail_msg("%s: %zu connections still in use", dbr_alias_list_at(l, i)->alias,
			         dbr_alias_list_at(l, i)->pool.in_use);
	dbr_alias_list_free(l);
}

static void test_churn(void **state)
{
	(void)state;
	pthread_t w[NWORKERS], c[2], l, sw;
	for (int i = 0; i < NWORKERS; i++)
		assert_int_equal(pthread_create(&w[i], NULL, worker, (void *)(uintptr_t)(i + 1)), 0);
	assert_int_equal(pthread_create(&c[0], NULL, churner, (void *)(uintptr_t)0), 0);
	assert_int_equal(pthread_create(&c[1], NULL, churner, (void *)(uintptr_t)1), 0);
	assert_int_equal(pthread_create(&l, NULL, lister, NULL), 0);
	assert_int_equal(pthread_create(&sw, NULL, swapper, NULL), 0);
	double end = mono_s() + seconds;
	while (!atomic_load(&stop) && mono_s() < end)
		usleep(50000);
	atomic_store(&stop, 1);
	for (int i = 0; i < NWORKERS; i++)
		pthread_join(w[i], NULL);
	pthread_join(c[0], NULL);
	pthread_join(c[1], NULL);
	pthread_join(l, NULL);
	pthread_join(sw, NULL);
	fprintf(stderr, "# %.0f s: %ld statements, %ld on removed aliases, %ld adds, %ld removes, "
	        "%ld lists, %ld chain swaps\n", seconds, atomic_load(&statements), atomic_load(&gone),
	        atomic_load(&adds), atomic_load(&removes), atomic_load(&lists), atomic_load(&swaps));
	if (failure[0])
		fail_msg("%s", failure);
	assert_true(atomic_load(&statements) > 0);
	assert_true(atomic_load(&adds) > 0 && atomic_load(&removes) > 0);
	assert_true(atomic_load(&lists) > 0 && atomic_load(&swaps) > 0);
	in_use_zero();
}

/* The primary, its replica and every tenant's file with its table. */
static int setup(void **state)
{
	(void)state;
	const char *env = getenv("DBR_CHURN_SECONDS");
	if (env && atof(env) > 0)
		seconds = atof(env);
	if (make_temp_dir(dir, sizeof dir, "churn") != 0)
		return -1;
	char conf[1024];
	snprintf(conf, sizeof conf,
	         "databases = {\n"
	         "  default = { url = \"sqlite://%s/main.db?busy_timeout=120000\"; };\n"
	         "  replica = { url = \"sqlite://%s/main.db?mode=ro&busy_timeout=120000\";"
	         " replica_of = \"default\"; };\n"
	         "};\n"
	         "routers = ( { name = \"pinning\"; }, { name = \"round_robin\"; } );\n",
	         dir, dir);
	if (dbr_open_string(&db, conf)) {
		fprintf(stderr, "# open: %s\n", dbr_error_last()->message);
		return -1;
	}
	dbr_session *s = NULL;
	int rc = dbr_session_new(&s, db);
	if (rc == 0)
		rc = run(s, "default", "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)", 0);
	for (unsigned k = 0; rc == 0 && k < NTENANTS; k++) {
		char tenant[32], url[400];
		tenant_name(tenant, sizeof tenant, "tenant", k);
		snprintf(url, sizeof url, "sqlite://%s/%s.db", dir, tenant);
		rc = dbr_add_database(db, tenant, url, NULL);
		if (rc == 0)
			rc = run(s, tenant, "CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)", 0);
		if (rc == 0)
			rc = dbr_remove_database(db, tenant);
	}
	if (rc)
		fprintf(stderr, "# setup: %s\n", dbr_error_last()->message);
	dbr_session_free(s);
	return rc;
}

static int teardown(void **state)
{
	(void)state;
	dbr_close(db);
	return remove_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_churn),
	};
	return cmocka_run_group_tests_name("churn", tests, setup, teardown);
}
