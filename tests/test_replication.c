/* SPDX-License-Identifier: MIT */
/*
 * test_replication.c — replication is real, and one deployment mixes
 * backends. Needs the servers of tests/servers.sh: a PostgreSQL primary
 * with two streaming replicas and a MariaDB primary with a GTID replica.
 *
 * Replicas are caught up by position (PostgreSQL LSN, MariaDB GTID), never
 * by sleeping for a while and hoping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <dbrouter/dbrouter.h>
#include "testutil.h"

typedef struct fixture {
	char dir[64];
	dbr *db;
	dbr_session *s;
} fixture;

static fixture F;

/* alias, backend, replica_of, environment variable of its URL (NULL: the
 * SQLite cache in the temp dir) */
static const struct {
	const char *alias, *backend, *replica_of, *env;
} ALIASES[] = {
	{ "default", "postgres", NULL, "DBR_PG_PRIMARY_URL" },
	{ "pg_r1", "postgres", "default", "DBR_PG_REPLICA1_URL" },
	{ "pg_r2", "postgres", "default", "DBR_PG_REPLICA2_URL" },
	{ "analytics", "mysql", NULL, "DBR_MY_PRIMARY_URL" },
	{ "analytics_r", "mysql", "analytics", "DBR_MY_REPLICA_URL" },
	{ "cache", "sqlite", NULL, NULL },
};
#define NALIASES (sizeof ALIASES / sizeof ALIASES[0])

/* ------------------------------------------------------------ helpers */

static int run_on(dbr_result **out, const char *alias, const char *sql,
                  const dbr_value *params, size_t n)
{
	dbr_query q = DBR_QUERY_INIT;
	q.sql = sql;
	q.params = params;
	q.nparams = n;
	q.using_alias = alias;
	return dbr_exec(out, F.s, &q);
}

static void ok_on(const char *alias, const char *sql)
{
	if (run_on(NULL, alias, sql, NULL, 0) != 0)
		fail_msg("%s on %s: %s", sql, alias, dbr_session_errmsg(F.s));
}

/* The text of the single cell of `sql` on `alias`, into buf. */
static void text_on(char *buf, size_t size, const char *alias, const char *sql,
                    const dbr_value *params, size_t n)
{
	dbr_result *r = NULL;
	const char *t;
	if (run_on(&r, alias, sql, params, n) != 0)
		fail_msg("%s on %s: %s", sql, alias, dbr_session_errmsg(F.s));
	assert_int_equal(dbr_result_nrows(r), 1);
	assert_int_equal(dbr_result_text(&t, NULL, r, 0, 0), 0);
	snprintf(buf, size, "%s", t);
	dbr_result_free(r);
}

/* ------------------------------------------------------------ setup */

static int add_alias(char *conf, size_t size, size_t i)
{
	const char *url = ALIASES[i].env ? getenv(ALIASES[i].env) : NULL;
	char cache[128], rep[64] = "";
	size_t len = strlen(conf);
	if (ALIASES[i].env && (url == NULL || url[0] == '\0')) {
		fprintf(stderr, "test_replication: $%s is not set: run it through "
		        "tests/servers.sh (or make check)\n", ALIASES[i].env);
		return -1;
	}
	if (url == NULL) {
		snprintf(cache, sizeof cache, "sqlite://%s/cache.db", F.dir);
		url = cache;
	}
	if (ALIASES[i].replica_of)
		snprintf(rep, sizeof rep, " replica_of = \"%s\";", ALIASES[i].replica_of);
	snprintf(conf + len, size - len, "  %s = { url = \"%s\";%s };\n",
	         ALIASES[i].alias, url, rep);
	return 0;
}

static int setup(void **state)
{
	char conf[4096] = "databases = {\n";
	(void)state;
	snprintf(F.dir, sizeof F.dir, "/tmp/dbr-replication.XXXXXX");
	if (mkdtemp(F.dir) == NULL)
		return -1;
	for (size_t i = 0; i < NALIASES; i++)
		if (add_alias(conf, sizeof conf, i) != 0)
			return -1;
	strncat(conf, "};\n", sizeof conf - strlen(conf) - 1);
	if (dbr_open_string(&F.db, conf) != 0) {
		fprintf(stderr, "dbr_open_string: %s\n", dbr_error_last()->message);
		return -1;
	}
	return dbr_session_new(&F.s, F.db);
}

static int teardown(void **state)
{
	(void)state;
	dbr_session_free(F.s);
	dbr_close(F.db);
	remove_tree(F.dir);
	return 0;
}

/* ------------------------------------------------------------ cases */

/* Each alias has its own backend; status lists them in order with their
 * primaries; every one answers, and the result names who served it. */
static void test_mixed_backends(void **state)
{
	dbr_alias_list *l = NULL;
	dbr_result *r = NULL;
	const char *b;
	(void)state;
	for (size_t i = 0; i < NALIASES; i++) {
		assert_int_equal(dbr_backend(&b, F.db, ALIASES[i].alias), 0);
		assert_string_equal(b, ALIASES[i].backend);
		assert_int_equal(run_on(&r, ALIASES[i].alias, "SELECT 1", NULL, 0), 0);
		assert_string_equal(dbr_result_alias(r), ALIASES[i].alias);
		dbr_result_free(r);
	}
	assert_int_equal(dbr_alias_list_get(&l, F.db), 0);
	assert_int_equal(dbr_alias_list_count(l), NALIASES);
	for (size_t i = 0; i < NALIASES; i++) {
		const dbr_alias_info *a = dbr_alias_list_at(l, i);
		assert_string_equal(a->alias, ALIASES[i].alias);
		assert_string_equal(a->backend, ALIASES[i].backend);
		if (ALIASES[i].replica_of)
			assert_string_equal(a->replica_of, ALIASES[i].replica_of);
		else
			assert_null(a->replica_of);
		assert_int_equal(a->connected, 1);
		assert_null(strstr(a->url, "Sekr1t"));
	}
	dbr_alias_list_free(l);
}

/* Polls `replica` until it has replayed `lsn`. */
static void pg_wait_lsn(const char *replica, const char *lsn)
{
	char done[8] = "";
	const dbr_value p[] = { dbr_text(lsn) };
	double until = mono_s() + 10;
	for (;;) {
		text_on(done, sizeof done, replica,
		        "SELECT CASE WHEN pg_last_wal_replay_lsn() >= ?::pg_lsn "
		        "THEN 'yes' ELSE 'no' END", p, 1);
		if (strcmp(done, "yes") == 0)
			return;
		if (mono_s() > until)
			fail_msg("%s has not replayed %s in 10 s", replica, lsn);
		usleep(2000);
	}
}

static void test_pg_write_reaches_replicas(void **state)
{
	char lsn[64], got[64];
	(void)state;
	ok_on("default", "DROP TABLE IF EXISTS rp_pg");
	ok_on("default", "CREATE TABLE rp_pg (k INT PRIMARY KEY, v TEXT)");
	const dbr_value p[] = { dbr_int(1), dbr_text("from the primary") };
	assert_int_equal(run_on(NULL, "default", "INSERT INTO rp_pg VALUES (?, ?)", p, 2), 0);
	text_on(lsn, sizeof lsn, "default", "SELECT pg_current_wal_lsn()::text", NULL, 0);
	for (const char *const *r = (const char *const[]){ "pg_r1", "pg_r2", NULL }; *r; r++) {
		pg_wait_lsn(*r, lsn);
		text_on(got, sizeof got, *r, "SELECT v FROM rp_pg WHERE k = 1", NULL, 0);
		assert_string_equal(got, "from the primary");
	}
}

static void test_pg_replica_refuses_write(void **state)
{
	(void)state;
	assert_int_equal(run_on(NULL, "pg_r1", "CREATE TABLE rp_nope (k INT)", NULL, 0), DBR_ESQL);
	assert_string_equal(dbr_session_sqlstate(F.s), "25006");
	assert_non_null(strstr(dbr_session_errmsg(F.s), "pg_r1"));
	assert_non_null(strstr(dbr_session_errmsg(F.s), "read-only"));
}

static void test_my_write_reaches_replica(void **state)
{
	char gtid[256], waited[16], got[64];
	(void)state;
	ok_on("analytics", "DROP TABLE IF EXISTS rp_my");
	ok_on("analytics", "CREATE TABLE rp_my (k INT PRIMARY KEY, v TEXT)");
	const dbr_value p[] = { dbr_int(1), dbr_text("from the primary") };
	assert_int_equal(run_on(NULL, "analytics", "INSERT INTO rp_my VALUES (?, ?)", p, 2), 0);
	text_on(gtid, sizeof gtid, "analytics", "SELECT @@gtid_binlog_pos", NULL, 0);
	assert_true(gtid[0] != '\0');
	/* MASTER_GTID_WAIT must be a statement of its own. */
	const dbr_value w[] = { dbr_text(gtid) };
	text_on(waited, sizeof waited, "analytics_r", "SELECT MASTER_GTID_WAIT(?, 10)", w, 1);
	assert_string_equal(waited, "0");
	text_on(got, sizeof got, "analytics_r", "SELECT v FROM rp_my WHERE k = 1", NULL, 0);
	assert_string_equal(got, "from the primary");
}

static void test_my_replica_refuses_write(void **state)
{
	(void)state;
	assert_int_equal(run_on(NULL, "analytics_r", "INSERT INTO rp_my VALUES (2, 'x')",
	                        NULL, 0), DBR_ESQL);
	assert_string_equal(dbr_session_sqlstate(F.s), "HY000");
	assert_non_null(strstr(dbr_session_errmsg(F.s), "1290"));
	assert_non_null(strstr(dbr_session_errmsg(F.s), "analytics_r"));
	assert_non_null(strstr(dbr_session_errmsg(F.s), "read-only"));
}

/* The SQLite alias is independent of the servers: writes and reads work. */
static void test_sqlite_alias(void **state)
{
	char got[16];
	(void)state;
	ok_on("cache", "CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT)");
	ok_on("cache", "INSERT OR REPLACE INTO kv VALUES ('a', 'b')");
	text_on(got, sizeof got, "cache", "SELECT v FROM kv WHERE k = 'a'", NULL, 0);
	assert_string_equal(got, "b");
}

/* ------------------------------------------------------------ routed writes */

/* A second deployment over the same servers, routed: per_model sends the
 * model "Wf" to the MariaDB cluster, round_robin sends reads to replicas,
 * and the deployment declares its own write function. */
static dbr *routed_open(void)
{
	char conf[4096];
	dbr *db = NULL;
	snprintf(conf, sizeof conf,
	         "databases = {\n"
	         "  default = { url = \"%s\"; };\n"
	         "  pg_r1 = { url = \"%s\"; replica_of = \"default\"; };\n"
	         "  pg_r2 = { url = \"%s\"; replica_of = \"default\"; };\n"
	         "  analytics = { url = \"%s\"; };\n"
	         "  analytics_r = { url = \"%s\"; replica_of = \"analytics\"; };\n"
	         "};\n"
	         "routers = ( { name = \"per_model\"; models = { Wf = \"analytics\"; }; },\n"
	         "            { name = \"round_robin\"; } );\n"
	         "write_functions = [ \"wf_audit\", \"public.wf_touch\" ];\n",
	         getenv("DBR_PG_PRIMARY_URL"), getenv("DBR_PG_REPLICA1_URL"),
	         getenv("DBR_PG_REPLICA2_URL"), getenv("DBR_MY_PRIMARY_URL"),
	         getenv("DBR_MY_REPLICA_URL"));
	if (dbr_open_string(&db, conf) != 0)
		fail_msg("dbr_open_string: %s", dbr_error_last()->message);
	return db;
}

/* Runs `sql` routed (no alias, AUTO intent) and returns who served it. */
static void served_by(char *alias, size_t size, dbr_session *s, const char *model,
                      const char *sql)
{
	dbr_query q = DBR_QUERY_INIT;
	dbr_result *r = NULL;
	q.sql = sql;
	q.model = model;
	if (dbr_exec(&r, s, &q) != 0)
		fail_msg("%s: %s", sql, dbr_session_errmsg(s));
	snprintf(alias, size, "%s", dbr_result_alias(r));
	dbr_result_free(r);
}

/* Every writing or locking SELECT is served by the PostgreSQL primary,
 * while a plain read goes to a replica. */
static void test_pg_write_functions_on_primary(void **state)
{
	static const char *const writes[] = {
		"SELECT nextval('wf_seq')",
		"SELECT \"nextval\"('wf_seq')",
		"SELECT pg_catalog.nextval('wf_seq')",
		"SELECT PG_CATALOG.\"nextval\" ('wf_seq')",
		"SELECT setval('wf_seq', 100)",
		"SELECT lo_unlink(lo_create(0))",
		"SELECT lo_unlink(lo_creat(-1))",
		"SELECT lo_unlink(lo_from_bytea(0, 'x'::bytea))",
		"SELECT lo_put(o, 0, 'y'::bytea), lo_unlink(o) FROM (SELECT lo_create(0) AS o) AS l",
		"SELECT pg_advisory_lock(42), pg_advisory_unlock(42)",
		"SELECT pg_advisory_lock_shared(42), pg_advisory_unlock_shared(42)",
		"SELECT pg_try_advisory_lock(43), pg_advisory_unlock_all()",
		"SELECT pg_try_advisory_lock_shared(43), pg_advisory_unlock_all()",
		"SELECT pg_advisory_xact_lock(44)",
		"SELECT pg_advisory_xact_lock_shared(44)",
		"SELECT pg_try_advisory_xact_lock(45)",
		"SELECT pg_try_advisory_xact_lock_shared(45)",
		"SELECT pg_notify('wf', 'x')",
		"SELECT txid_current()",
		"SELECT pg_current_xact_id()",
		"SELECT set_config('application_name', 'wf', false)",
		"SELECT wf_audit(1)",
		"SELECT public.wf_touch(1)",
		"SELECT k FROM wf_t FOR UPDATE",
		"SELECT k FROM wf_t FOR NO KEY UPDATE",
		"SELECT k FROM wf_t FOR SHARE",
		"SELECT k FROM wf_t FOR KEY SHARE",
		"WITH d AS (DELETE FROM wf_t WHERE k = 0 RETURNING k) SELECT count(*) FROM d",
	};
	char who[64];
	dbr_session *s = NULL;
	(void)state;
	ok_on("default", "DROP SEQUENCE IF EXISTS wf_seq");
	ok_on("default", "CREATE SEQUENCE wf_seq");
	ok_on("default", "DROP TABLE IF EXISTS wf_t");
	ok_on("default", "CREATE TABLE wf_t (k INT PRIMARY KEY)");
	ok_on("default", "INSERT INTO wf_t VALUES (1)");
	ok_on("default", "CREATE OR REPLACE FUNCTION wf_audit(int) RETURNS int "
	                 "LANGUAGE sql AS 'SELECT $1'");
	ok_on("default", "CREATE OR REPLACE FUNCTION public.wf_touch(int) RETURNS int "
	                 "LANGUAGE sql AS 'SELECT $1'");
	dbr *db = routed_open();
	assert_int_equal(dbr_session_new(&s, db), 0);
	/* The control: a read that writes nothing goes to a replica. */
	served_by(who, sizeof who, s, NULL, "SELECT 1");
	assert_true(strcmp(who, "pg_r1") == 0 || strcmp(who, "pg_r2") == 0);
	for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
		served_by(who, sizeof who, s, NULL, writes[i]);
		if (strcmp(who, "default") != 0)
			fail_msg("%s was served by %s, not the primary", writes[i], who);
	}
	dbr_session_free(s);
	dbr_close(db);
}

/* The same on MariaDB: locks, sequences, LAST_INSERT_ID(expr), locking
 * reads and executable comments. */
static void test_my_write_functions_on_primary(void **state)
{
	static const char *const writes[] = {
		"SELECT GET_LOCK('wf', 0), RELEASE_LOCK('wf')",
		"SELECT RELEASE_ALL_LOCKS()",
		"SELECT LAST_INSERT_ID(5)",
		"SELECT NEXT VALUE FOR wf_seq",
		"SELECT NEXTVAL(wf_seq)",
		"SELECT PREVIOUS VALUE FOR wf_seq",
		"SELECT SETVAL(wf_seq, 100)",
		"SELECT k FROM wf_t FOR UPDATE",
		"SELECT k FROM wf_t LOCK IN SHARE MODE",
		"SELECT k FROM wf_t /*! FOR UPDATE */",
		"SELECT k FROM wf_t /*M! LOCK IN SHARE MODE */",
		"SELECT k FROM wf_t /*!50000 FOR UPDATE */",
		"SELECT $a$, NEXTVAL(wf_seq) FROM (SELECT 1 AS $a$) AS x",
	};
	char who[64];
	dbr_session *s = NULL;
	(void)state;
	ok_on("analytics", "DROP SEQUENCE IF EXISTS wf_seq");
	ok_on("analytics", "CREATE SEQUENCE wf_seq");
	ok_on("analytics", "DROP TABLE IF EXISTS wf_t");
	ok_on("analytics", "CREATE TABLE wf_t (k INT PRIMARY KEY)");
	ok_on("analytics", "INSERT INTO wf_t VALUES (1)");
	dbr *db = routed_open();
	assert_int_equal(dbr_session_new(&s, db), 0);
	served_by(who, sizeof who, s, "Wf", "SELECT 1");
	assert_string_equal(who, "analytics_r");
	for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
		served_by(who, sizeof who, s, "Wf", writes[i]);
		if (strcmp(who, "analytics") != 0)
			fail_msg("%s was served by %s, not the primary", writes[i], who);
	}
	dbr_session_free(s);
	dbr_close(db);
}

/* ------------------------------------------------------------ no silent commit */

/* Transaction control through dbr_exec is refused on every backend, with
 * AUTO or a given intent, and points at dbr_tx_*; dbr_tx_* still work. */
static void test_tx_statements_refused(void **state)
{
	static const char *const aliases[] = { "default", "analytics", "cache" };
	static const char *const stmts[] = {
		"BEGIN", "START TRANSACTION", "COMMIT", "END", "ROLLBACK", "ABORT",
		"SAVEPOINT a", "RELEASE SAVEPOINT a", "ROLLBACK TO SAVEPOINT a",
		"SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", "PREPARE TRANSACTION 'x'",
		"COMMIT PREPARED 'x'", "SET autocommit = 0", "SET @@autocommit = OFF",
		"XA START 'x'", "/* lead */ begin;",
	};
	static const dbr_intent intents[] = { DBR_INTENT_AUTO, DBR_INTENT_WRITE, DBR_INTENT_READ };
	(void)state;
	for (size_t a = 0; a < sizeof aliases / sizeof aliases[0]; a++)
		for (size_t i = 0; i < sizeof stmts / sizeof stmts[0]; i++)
			for (size_t k = 0; k < sizeof intents / sizeof intents[0]; k++) {
				/* SQLite has no SET; there @autocommit is a parameter. */
				if (strcmp(aliases[a], "cache") == 0 && strstr(stmts[i], "@@"))
					continue;
				dbr_query q = DBR_QUERY_INIT;
				q.sql = stmts[i];
				q.using_alias = k == 2 ? NULL : aliases[a];
				q.intent = intents[k];
				if (dbr_exec(NULL, F.s, &q) != DBR_EINVAL)
					fail_msg("%s on %s was not refused", stmts[i], aliases[a]);
				assert_non_null(strstr(dbr_session_errmsg(F.s), "dbr_tx_begin"));
			}
	/* Nothing was left open: after a refused BEGIN a row written on the
	 * primary is committed at once, so a replica replays it. */
	char lsn[64], got[64];
	ok_on("default", "CREATE TABLE IF NOT EXISTS txr (k INT)");
	ok_on("default", "INSERT INTO txr VALUES (7)");
	text_on(lsn, sizeof lsn, "default", "SELECT pg_current_wal_lsn()::text", NULL, 0);
	pg_wait_lsn("pg_r1", lsn);
	text_on(got, sizeof got, "pg_r1", "SELECT count(*) FROM txr WHERE k = 7", NULL, 0);
	assert_string_equal(got, "1");
	/* The API's transactions still work. */
	assert_int_equal(dbr_tx_begin(F.s, "default"), 0);
	ok_on("default", "INSERT INTO txr VALUES (8)");
	assert_int_equal(dbr_tx_rollback(F.s, "default"), 0);
	text_on(got, sizeof got, "default", "SELECT count(*) FROM txr WHERE k = 8", NULL, 0);
	assert_string_equal(got, "0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mixed_backends),
		cmocka_unit_test(test_pg_write_reaches_replicas),
		cmocka_unit_test(test_pg_replica_refuses_write),
		cmocka_unit_test(test_my_write_reaches_replica),
		cmocka_unit_test(test_my_replica_refuses_write),
		cmocka_unit_test(test_sqlite_alias),
		cmocka_unit_test(test_pg_write_functions_on_primary),
		cmocka_unit_test(test_my_write_functions_on_primary),
		cmocka_unit_test(test_tx_statements_refused),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
