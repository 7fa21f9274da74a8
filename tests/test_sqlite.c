/* SPDX-License-Identifier: MIT */
/*
 * test_sqlite.c — the SQLite driver through the public API: real database
 * files in a mkdtemp directory, the driver loaded from DBROUTER_PLUGIN_PATH.
 */
#include <dirent.h>
#include <pthread.h>
#include <time.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <dbrouter/dbrouter.h>
#include "testutil.h"

/* The deployment every test shares: a file primary, a read-only replica of
 * the same file, a WAL file and a shared in-memory database of two
 * connections. @DIR@ is the temp directory. */
static const char CONF[] =
	"databases = {\n"
	"  default = { url = \"sqlite://@DIR@/main.db\"; };\n"
	"  ro = { url = \"sqlite://@DIR@/main.db?mode=ro\"; replica_of = \"default\"; };\n"
	"  wal = { url = \"sqlite://@DIR@/wal.db\"; options = { journal_mode = \"WAL\"; }; };\n"
	"  mem = { url = \"sqlite::memory:?busy_timeout=800\"; pool = { max_connections = 2; }; };\n"
	"};\n";

static struct {
	char dir[256];
	dbr *db;
	dbr_session *s;
} F;

/* `tmpl` with every "@DIR@" replaced by the temp directory. */
static char *conf_text(const char *tmpl)
{
	size_t n = strlen(tmpl) + 4 * strlen(F.dir) + 1, len = 0;
	char *text = malloc(n);
	assert_non_null(text);
	for (const char *at; (at = strstr(tmpl, "@DIR@")) != NULL; tmpl = at + 5)
		len += (size_t)snprintf(text + len, n - len, "%.*s%s", (int)(at - tmpl), tmpl, F.dir);
	snprintf(text + len, n - len, "%s", tmpl);
	return text;
}

static int group_setup(void **state)
{
	(void)state;
	if (make_temp_dir(F.dir, sizeof F.dir, "sqlite") != 0)
		return -1;
	char *text = conf_text(CONF);
	int rc = dbr_open_string(&F.db, text);
	free(text);
	if (rc != 0)
		fprintf(stderr, "# dbr_open_string: %s\n", dbr_error_last()->message);
	return rc;
}

static int group_teardown(void **state)
{
	(void)state;
	dbr_close(F.db);
	remove_tree(F.dir);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	return dbr_session_new(&F.s, F.db);
}

static int teardown(void **state)
{
	(void)state;
	dbr_session_free(F.s);
	F.s = NULL;
	return 0;
}

/* Runs `sql` on `alias` (NULL: routed) and returns the result, or NULL with
 * *rc set when rc is not NULL; without rc a failure fails the test. */
static dbr_result *query(int *rc, const char *alias, const char *sql,
                         const dbr_value *params, size_t n)
{
	dbr_query q = DBR_QUERY_INIT;
	dbr_result *r = NULL;
	q.sql = sql;
	q.params = params;
	q.nparams = n;
	q.using_alias = alias;
	int got = dbr_exec(&r, F.s, &q);
	if (rc != NULL) {
		*rc = got;
		return r;
	}
	if (got != 0)
		fail_msg("%s: %d %s", sql, got, dbr_session_errmsg(F.s));
	return r;
}

static void run(const char *alias, const char *sql)
{
	dbr_result_free(query(NULL, alias, sql, NULL, 0));
}

static int64_t one_int(const char *alias, const char *sql)
{
	int64_t v = 0;
	dbr_result *r = query(NULL, alias, sql, NULL, 0);
	assert_int_equal(dbr_result_nrows(r), 1);
	assert_int_equal(dbr_result_int64(&v, r, 0, 0), 0);
	dbr_result_free(r);
	return v;
}

/* A statement that must fail with `code`; returns the session's SQLSTATE. */
static const char *expect_error(int code, const char *alias, const char *sql,
                                const dbr_value *params, size_t n)
{
	int rc = 0;
	dbr_result *r = query(&rc, alias, sql, params, n);
	assert_null(r);
	if (rc != code)
		fail_msg("%s: got %d (%s), want %d", sql, rc, dbr_session_errmsg(F.s), code);
	return dbr_session_sqlstate(F.s);
}

/* ------------------------------------------------------------ tests */

static void test_types_round_trip(void **state)
{
	(void)state;
	static const char text[] = "h\xc3\xa9llo w\xc3\xb6rld \xe2\x9c\x93 \xe6\x97\xa5\xe6\x9c\xac";
	static const char blob[] = { 'a', 0, 'b', 0, 0 };
	static const int64_t ints[] = { INT64_MIN, INT64_MAX, 0, -1 };
	static const double dbls[] = { -2.5, 1e-300, 1.7976931348623157e308, -4.9e-324 };

	run(NULL, "CREATE TABLE types(i INTEGER, d REAL, t TEXT, b BLOB, n)");
	for (size_t k = 0; k < 4; k++) {
		dbr_value p[] = { dbr_int(ints[k]), dbr_double(dbls[k]),
		                  dbr_textn(text, sizeof text - 1), dbr_blob(blob, sizeof blob),
		                  dbr_null() };
		dbr_result_free(query(NULL, NULL, "INSERT INTO types VALUES (?, ?, ?, ?, ?)", p, 5));
	}
	dbr_result *r = query(NULL, NULL, "SELECT i, d, t, b, n FROM types ORDER BY rowid", NULL, 0);
	assert_int_equal(dbr_result_nrows(r), 4);
	assert_int_equal(dbr_result_ncols(r), 5);
	assert_string_equal(dbr_result_colname(r, 3), "b");
	for (size_t k = 0; k < 4; k++) {
		int64_t i;
		double d;
		const char *t;
		const void *b;
		size_t len;
		assert_int_equal(dbr_result_type(r, k, 0), DBR_TYPE_INT64);
		assert_int_equal(dbr_result_int64(&i, r, k, 0), 0);
		assert_true(i == ints[k]);
		assert_int_equal(dbr_result_type(r, k, 1), DBR_TYPE_DOUBLE);
		assert_int_equal(dbr_result_double(&d, r, k, 1), 0);
		assert_true(d == dbls[k]);
		assert_int_equal(dbr_result_type(r, k, 2), DBR_TYPE_TEXT);
		assert_int_equal(dbr_result_text(&t, &len, r, k, 2), 0);
		assert_int_equal(len, sizeof text - 1);
		assert_memory_equal(t, text, len);
		assert_int_equal(dbr_result_type(r, k, 3), DBR_TYPE_BLOB);
		assert_int_equal(dbr_result_blob(&b, &len, r, k, 3), 0);
		assert_int_equal(len, sizeof blob);
		assert_memory_equal(b, blob, len);
		assert_int_equal(dbr_result_type(r, k, 4), DBR_TYPE_NULL);
		assert_true(dbr_result_isnull(r, k, 4));
	}
	dbr_result_free(r);
}

static void test_bool_and_empty_blob(void **state)
{
	(void)state;
	dbr_value p[] = { dbr_bool(1), dbr_bool(0), dbr_blob("", 0), dbr_textn("", 0) };
	dbr_result *r = query(NULL, NULL, "SELECT ?, ?, ?, typeof(?3), ?", p, 4);
	const void *b;
	size_t len = 99;
	const char *t;
	int64_t i;
	assert_int_equal(dbr_result_int64(&i, r, 0, 0), 0);
	assert_int_equal(i, 1);
	assert_int_equal(dbr_result_int64(&i, r, 0, 1), 0);
	assert_int_equal(i, 0);
	assert_int_equal(dbr_result_type(r, 0, 2), DBR_TYPE_BLOB);
	assert_int_equal(dbr_result_blob(&b, &len, r, 0, 2), 0);
	assert_int_equal(len, 0);
	assert_int_equal(dbr_result_text(&t, NULL, r, 0, 3), 0);
	assert_string_equal(t, "blob");
	assert_int_equal(dbr_result_type(r, 0, 4), DBR_TYPE_TEXT);
	dbr_result_free(r);
}

static void test_null_params(void **state)
{
	(void)state;
	dbr_value p[] = { dbr_null(), dbr_int(7) };
	run(NULL, "CREATE TABLE nulls(a, b)");
	dbr_result_free(query(NULL, NULL, "INSERT INTO nulls VALUES (?, ?)", p, 2));
	dbr_result *r = query(NULL, NULL, "SELECT a, a IS NULL, b FROM nulls", NULL, 0);
	int64_t v;
	assert_int_equal(dbr_result_nrows(r), 1);
	assert_true(dbr_result_isnull(r, 0, 0));
	assert_int_equal(dbr_result_int64(&v, r, 0, 0), DBR_ETYPE);
	assert_int_equal(dbr_result_int64(&v, r, 0, 1), 0);
	assert_int_equal(v, 1);
	assert_int_equal(dbr_result_int64(&v, r, 0, 2), 0);
	assert_int_equal(v, 7);
	dbr_result_free(r);
}

static void test_param_count_mismatch(void **state)
{
	(void)state;
	dbr_value p[] = { dbr_int(1) };
	expect_error(DBR_EPARAM, NULL, "SELECT ?, ?", p, 1);
	const char *msg = dbr_session_errmsg(F.s);
	assert_non_null(strstr(msg, "2 placeholders"));
	assert_non_null(strstr(msg, "1 parameter"));
	expect_error(DBR_EPARAM, NULL, "SELECT 1", p, 1);
	assert_non_null(strstr(dbr_session_errmsg(F.s), "0 placeholders"));
}

static void test_constraints(void **state)
{
	(void)state;
	static const struct {
		const char *sql;
		const char *sqlstate;
	} CASES[] = {
		{ "INSERT INTO child(id, pid) VALUES (1, 1)", "23505" },   /* UNIQUE */
		{ "INSERT INTO parent(id, name) VALUES (1, 'b')", "23505" }, /* PRIMARY KEY */
		{ "INSERT INTO parent(id, name) VALUES (2, NULL)", "23502" },
		{ "INSERT INTO child(id, pid) VALUES (2, 99)", "23503" },    /* foreign_keys default on */
		{ "INSERT INTO child(id, pid, qty) VALUES (3, 1, -1)", "23514" },
	};
	run(NULL, "CREATE TABLE parent(id INTEGER PRIMARY KEY, name TEXT NOT NULL)");
	run(NULL, "CREATE TABLE child(id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent(id),"
	          " qty INTEGER CHECK (qty >= 0))");
	run(NULL, "INSERT INTO parent VALUES (1, 'a')");
	run(NULL, "INSERT INTO child(id, pid) VALUES (1, 1)");
	for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
		const char *st = expect_error(DBR_ESQL, NULL, CASES[i].sql, NULL, 0);
		assert_string_equal(st, CASES[i].sqlstate);
		assert_memory_equal(st, "23", 2);
	}
	assert_int_equal(one_int(NULL, "SELECT count(*) FROM child"), 1);
}

static void test_sql_errors(void **state)
{
	(void)state;
	static const struct {
		const char *sql;
		const char *sqlstate;
	} CASES[] = {
		{ "SELEC 1", "42601" },
		{ "SELECT * FROM no_such_table", "42P01" },
		{ "SELECT no_such_column FROM sqlite_master", "42703" },
	};
	for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
		const char *st = expect_error(DBR_ESQL, NULL, CASES[i].sql, NULL, 0);
		assert_string_equal(st, CASES[i].sqlstate);
		assert_memory_equal(st, "42", 2);
	}
	/* the message carries SQLite's text and the alias */
	expect_error(DBR_ESQL, NULL, "SELEC 1", NULL, 0);
	assert_non_null(strstr(dbr_session_errmsg(F.s), "syntax error"));
	assert_non_null(strstr(dbr_session_errmsg(F.s), "default"));
}

static void test_last_insert_id(void **state)
{
	(void)state;
	int64_t id = 0;
	run(NULL, "CREATE TABLE ids(id INTEGER PRIMARY KEY, v TEXT UNIQUE)");
	for (int64_t want = 1; want <= 3; want++) {
		dbr_result *r = query(NULL, NULL, "INSERT INTO ids(v) VALUES (hex(randomblob(8)))", NULL, 0);
		assert_int_equal(dbr_result_last_insert_id(&id, r), 0);
		assert_int_equal(id, want);
		dbr_result_free(r);
	}
	dbr_result *r = query(NULL, NULL, "INSERT INTO ids(id, v) VALUES (100, 'x')", NULL, 0);
	assert_int_equal(dbr_result_last_insert_id(&id, r), 0);
	assert_int_equal(id, 100);
	dbr_result_free(r);
	/* reads, updates and an insert that inserted nothing carry no id */
	static const char *const NONE[] = {
		"SELECT * FROM ids",
		"UPDATE ids SET v = v || 'y' WHERE id = 1",
		"INSERT INTO ids(v) SELECT v FROM ids WHERE 0",
		"INSERT INTO ids(id, v) VALUES (100, 'z') ON CONFLICT(id) DO UPDATE SET v = 'z'",
	};
	for (size_t i = 0; i < sizeof NONE / sizeof NONE[0]; i++) {
		r = query(NULL, NULL, NONE[i], NULL, 0);
		if (dbr_result_last_insert_id(&id, r) != DBR_ENOTFOUND)
			fail_msg("%s: an insert id %lld", NONE[i], (long long)id);
		dbr_result_free(r);
	}
}

static void test_affected_rows(void **state)
{
	(void)state;
	static const struct {
		const char *sql;
		int64_t affected;
	} CASES[] = {
		{ "INSERT INTO aff(v) VALUES (1), (2), (3), (4)", 4 },
		{ "UPDATE aff SET v = v * 10 WHERE v >= 3", 2 },
		{ "UPDATE aff SET v = 0 WHERE v = 12345", 0 },
		{ "CREATE INDEX aff_v ON aff(v)", 0 }, /* DDL after DML: not the old count */
		{ "DELETE FROM aff WHERE v < 10", 2 },
		{ "SELECT * FROM aff", 0 },
		{ "DELETE FROM aff", 2 },
	};
	run(NULL, "CREATE TABLE aff(v INTEGER)");
	for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
		dbr_result *r = query(NULL, NULL, CASES[i].sql, NULL, 0);
		if (dbr_result_affected(r) != CASES[i].affected)
			fail_msg("%s: affected %lld, want %lld", CASES[i].sql,
			         (long long)dbr_result_affected(r), (long long)CASES[i].affected);
		dbr_result_free(r);
	}
}

/* Both pooled connections of `mem` see one database: a session holds one
 * connection in a transaction while another session reads on the second. */
static void test_shared_memory(void **state)
{
	(void)state;
	dbr_session *other = NULL;
	dbr_alias_list *l = NULL;

	run("mem", "CREATE TABLE shared(v TEXT)");
	run("mem", "INSERT INTO shared VALUES ('seen')");
	assert_int_equal(dbr_tx_begin(F.s, "mem"), 0);
	assert_int_equal(dbr_session_new(&other, F.db), 0);
	dbr_query q = DBR_QUERY_INIT;
	dbr_result *r = NULL;
	q.sql = "SELECT v FROM shared";
	q.using_alias = "mem";
	if (dbr_exec(&r, other, &q) != 0)
		fail_msg("read on the second connection: %s", dbr_session_errmsg(other));
	const char *t;
	assert_int_equal(dbr_result_nrows(r), 1);
	assert_int_equal(dbr_result_text(&t, NULL, r, 0, 0), 0);
	assert_string_equal(t, "seen");
	dbr_result_free(r);

	assert_int_equal(dbr_alias_list_get(&l, F.db), 0);
	for (size_t i = 0; i < dbr_alias_list_count(l); i++) {
		const dbr_alias_info *a = dbr_alias_list_at(l, i);
		if (strcmp(a->alias, "mem") == 0)
			assert_int_equal(a->pool.size, 2); /* really two connections */
	}
	dbr_alias_list_free(l);
	dbr_session_free(other);
	assert_int_equal(dbr_tx_rollback(F.s, "mem"), 0);
	/* a memory database is not a file: the primary never sees the table */
	expect_error(DBR_ESQL, NULL, "SELECT * FROM shared", NULL, 0);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

typedef struct reader {
	int rc;
	int64_t count;
	int64_t waited_ms;
	char sqlstate[6];
} reader;

/* Reads table lk of `mem` in its own session. */
static void *read_lk(void *arg)
{
	reader *rd = arg;
	dbr_session *s = NULL;
	dbr_result *r = NULL;
	dbr_query q = DBR_QUERY_INIT;
	int64_t start = now_ms();
	q.sql = "SELECT count(*) FROM lk";
	q.using_alias = "mem";
	rd->rc = dbr_session_new(&s, F.db);
	if (rd->rc == 0)
		rd->rc = dbr_exec(&r, s, &q);
	rd->waited_ms = now_ms() - start;
	snprintf(rd->sqlstate, sizeof rd->sqlstate, "%s", s ? dbr_session_sqlstate(s) : "");
	if (rd->rc == 0)
		rd->rc = dbr_result_int64(&rd->count, r, 0, 0);
	dbr_result_free(r);
	dbr_session_free(s);
	return NULL;
}

/* A shared-cache table lock fails at once in SQLite: the driver waits up to
 * busy_timeout (800 ms for mem), then reports 55P03. */
static void test_shared_memory_lock_wait(void **state)
{
	(void)state;
	static const struct timespec pause = { 0, 200 * 1000000 };
	reader rd = { -1, 0, 0, "" };
	pthread_t t;

	run("mem", "CREATE TABLE lk(v INTEGER)");
	assert_int_equal(dbr_tx_begin(F.s, "mem"), 0);
	run("mem", "INSERT INTO lk VALUES (1)");
	/* the reader waits while the writer holds the table, then succeeds */
	assert_int_equal(pthread_create(&t, NULL, read_lk, &rd), 0);
	nanosleep(&pause, NULL);
	assert_int_equal(dbr_tx_commit(F.s, "mem"), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(rd.rc, 0);
	assert_int_equal(rd.count, 1);
	assert_true(rd.waited_ms >= 150);
	/* a writer that keeps the table past busy_timeout: 55P03 */
	assert_int_equal(dbr_tx_begin(F.s, "mem"), 0);
	run("mem", "INSERT INTO lk VALUES (2)");
	read_lk(&rd);
	assert_int_equal(rd.rc, DBR_ESQL);
	assert_string_equal(rd.sqlstate, "55P03");
	assert_true(rd.waited_ms >= 700);
	assert_int_equal(dbr_tx_rollback(F.s, "mem"), 0);
	read_lk(&rd);
	assert_int_equal(rd.rc, 0);
	assert_int_equal(rd.count, 1);
}

static void test_read_only_replica(void **state)
{
	(void)state;
	run(NULL, "CREATE TABLE ro_t(v INTEGER)");
	run(NULL, "INSERT INTO ro_t VALUES (5)");
	assert_int_equal(one_int("ro", "SELECT v FROM ro_t"), 5);
	const char *st = expect_error(DBR_ESQL, "ro", "INSERT INTO ro_t VALUES (6)", NULL, 0);
	assert_string_equal(st, "25006");
	assert_int_equal(one_int(NULL, "SELECT count(*) FROM ro_t"), 1);
}

static void test_journal_mode(void **state)
{
	(void)state;
	const char *t;
	dbr_result *r = query(NULL, "wal", "PRAGMA journal_mode", NULL, 0);
	assert_int_equal(dbr_result_text(&t, NULL, r, 0, 0), 0);
	assert_string_equal(t, "wal");
	dbr_result_free(r);
	r = query(NULL, NULL, "PRAGMA journal_mode", NULL, 0);
	assert_int_equal(dbr_result_text(&t, NULL, r, 0, 0), 0);
	assert_string_equal(t, "delete");
	dbr_result_free(r);
	/* the defaults: foreign keys on, busy_timeout 5000 ms */
	assert_int_equal(one_int(NULL, "PRAGMA foreign_keys"), 1);
	assert_int_equal(one_int(NULL, "PRAGMA busy_timeout"), 5000);
}

/* Options from the URL and from the options group reach the connection. */
static void test_options_applied(void **state)
{
	(void)state;
	static const char conf[] =
		"databases = { default = { url = \"sqlite://@DIR@/opts.db?synchronous=full\";\n"
		"  options = { cache_size = -4000; foreign_keys = false; busy_timeout = 250; }; }; };\n";
	char *text = conf_text(conf);
	dbr *db = NULL;
	dbr_session *s = F.s;
	assert_int_equal(dbr_open_string(&db, text), 0);
	free(text);
	assert_int_equal(dbr_session_new(&F.s, db), 0);
	assert_int_equal(one_int(NULL, "PRAGMA synchronous"), 2);
	assert_int_equal(one_int(NULL, "PRAGMA cache_size"), -4000);
	assert_int_equal(one_int(NULL, "PRAGMA foreign_keys"), 0);
	assert_int_equal(one_int(NULL, "PRAGMA busy_timeout"), 250);
	const char *backend = NULL;
	assert_int_equal(dbr_backend(&backend, db, "default"), 0);
	assert_string_equal(backend, "sqlite");
	dbr_session_free(F.s);
	F.s = s;
	dbr_close(db);
}

static void test_bad_options(void **state)
{
	(void)state;
	static const struct {
		const char *conf;
		const char *needles[2];
	} CASES[] = {
		{ "databases = { default = { url = \"sqlite://@DIR@/x.db\"; "
		  "options = { jornal_mode = \"WAL\"; }; }; };", { "jornal_mode", "journal_mode" } },
		{ "databases = { default = { url = \"sqlite://@DIR@/x.db?colour=red\"; }; };",
		  { "colour", "busy_timeout" } },
		{ "databases = { default = { url = \"sqlite://@DIR@/x.db\"; "
		  "options = { journal_mode = \"wall\"; }; }; };", { "journal_mode", "truncate" } },
		{ "databases = { default = { url = \"sqlite://@DIR@/x.db?mode=rx\"; }; };",
		  { "mode", "rwc" } },
		{ "databases = { default = { url = \"sqlite://@DIR@/x.db\"; "
		  "options = { busy_timeout = -5; }; }; };", { "busy_timeout", "-5" } },
		{ "databases = { default = { url = \"sqlite://@DIR@/x.db?synchronous=4\"; }; };",
		  { "synchronous", "extra" } },
	};
	for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
		char *text = conf_text(CASES[i].conf);
		dbr *db = NULL;
		int rc = dbr_open_string(&db, text);
		free(text);
		if (rc != DBR_ECONFIG)
			fail_msg("case %zu: got %d, want DBR_ECONFIG", i, rc);
		assert_null(db);
		const char *msg = dbr_error_last()->message;
		for (size_t k = 0; k < 2; k++)
			if (strstr(msg, CASES[i].needles[k]) == NULL)
				fail_msg("case %zu: \"%s\" lacks \"%s\"", i, msg, CASES[i].needles[k]);
	}
	/* nothing was opened: no file was created */
	char path[512];
	snprintf(path, sizeof path, "%s/x.db", F.dir);
	assert_int_equal(access(path, F_OK), -1);
}

static void test_multi_statement(void **state)
{
	(void)state;
	static const char script[] =
		"CREATE TABLE ms_a(x); CREATE TABLE ms_b(y); INSERT INTO ms_a VALUES (1);";
	expect_error(DBR_EINVAL, NULL, script, NULL, 0);
	assert_non_null(strstr(dbr_session_errmsg(F.s), "several statements"));
	expect_error(DBR_ESQL, NULL, "SELECT * FROM ms_a", NULL, 0); /* nothing ran */
	/* a trailing ';' and comment are one statement */
	assert_int_equal(one_int(NULL, "SELECT 1; -- done"), 1);
	assert_int_equal(dbr_apply(NULL, F.s, NULL, script), 0);
	assert_int_equal(one_int(NULL, "SELECT count(*) FROM ms_a"), 1);
	assert_int_equal(one_int(NULL, "SELECT count(*) FROM ms_b"), 0);
}

/* A session freed inside a transaction leaves nothing behind. */
static void test_open_transaction_rolled_back(void **state)
{
	(void)state;
	run(NULL, "CREATE TABLE tx_t(v INTEGER)");
	assert_int_equal(dbr_tx_begin(F.s, NULL), 0);
	run(NULL, "INSERT INTO tx_t VALUES (1)");
	dbr_session_free(F.s);
	assert_int_equal(dbr_session_new(&F.s, F.db), 0);
	assert_int_equal(one_int(NULL, "SELECT count(*) FROM tx_t"), 0);
	run(NULL, "INSERT INTO tx_t VALUES (2)"); /* not locked by a leftover */
	assert_int_equal(one_int(NULL, "SELECT count(*) FROM tx_t"), 1);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_types_round_trip),
		T(test_bool_and_empty_blob),
		T(test_null_params),
		T(test_param_count_mismatch),
		T(test_constraints),
		T(test_sql_errors),
		T(test_last_insert_id),
		T(test_affected_rows),
		T(test_shared_memory),
		T(test_shared_memory_lock_wait),
		T(test_read_only_replica),
		T(test_journal_mode),
		T(test_options_applied),
		T(test_bad_options),
		T(test_multi_statement),
		T(test_open_transaction_rolled_back),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
