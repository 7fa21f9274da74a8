/* SPDX-License-Identifier: MIT */
/*
 * test_conformance.c — one set of cases, run against each backend through
 * the public API: `test_conformance sqlite|postgres|mariadb` (or
 * $DBR_BACKEND). SQLite uses a file in a temp dir; postgres and mariadb use
 * the servers of tests/servers.sh ($DBR_PG_PRIMARY_URL, $DBR_MY_PRIMARY_URL):
 * without them the run fails, it never skips.
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

/* What differs between backends: names, DDL spellings, the URL. */
typedef struct backend {
	const char *name;       /* argv[1] */
	const char *shown;      /* what status shows as the backend */
	const char *url_env;    /* environment variable with the URL, or NULL */
	const char *blob_type;
	const char *serial_pk;  /* an auto-numbered primary key column */
	int has_insert_id;
} backend;

static const backend BACKENDS[] = {
	{ "sqlite", "sqlite", NULL, "BLOB", "id INTEGER PRIMARY KEY", 1 },
	{ "postgres", "postgres", "DBR_PG_PRIMARY_URL", "BYTEA", "id BIGSERIAL PRIMARY KEY", 0 },
	{ "mariadb", "mysql", "DBR_MY_PRIMARY_URL", "LONGBLOB",
	  "id BIGINT AUTO_INCREMENT PRIMARY KEY", 1 },
};

typedef struct fixture {
	const backend *be;
	char url[1024];
	char dir[64];       /* SQLite's temp dir, or "" */
	dbr *db;
	dbr_session *s;
} fixture;

static fixture F;

/* ------------------------------------------------------------ helpers */

static int run(dbr_result **out, const char *sql, const dbr_value *params, size_t n)
{
	dbr_query q = DBR_QUERY_INIT;
	q.sql = sql;
	q.params = params;
	q.nparams = n;
	return dbr_exec(out, F.s, &q);
}

/* Runs a statement that must succeed; prints the error if it does not. */
static void ok(const char *sql, const dbr_value *params, size_t n)
{
	int rc = run(NULL, sql, params, n);
	if (rc != 0)
		fail_msg("%s: %s (%s)", sql, dbr_session_errmsg(F.s), dbr_session_sqlstate(F.s));
}

static void okf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void okf(const char *fmt, ...)
{
	char sql[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(sql, sizeof sql, fmt, ap);
	va_end(ap);
	ok(sql, NULL, 0);
}

/* Runs a statement without parameters on session s; it must succeed. */
static void okf_on(dbr_session *s, const char *sql)
{
	dbr_query q = DBR_QUERY_INIT;
	q.sql = sql;
	if (dbr_exec(NULL, s, &q) != 0)
		fail_msg("%s: %s (%s)", sql, dbr_session_errmsg(s), dbr_session_sqlstate(s));
}

/* The single int64 of a one-cell query. */
static int64_t scalar(dbr_session *s, const char *sql)
{
	dbr_result *r = NULL;
	int64_t v = -1;
	dbr_query q = DBR_QUERY_INIT;
	q.sql = sql;
	if (dbr_exec(&r, s, &q) != 0)
		fail_msg("%s: %s", sql, dbr_session_errmsg(s));
	assert_int_equal(dbr_result_nrows(r), 1);
	assert_int_equal(dbr_result_int64(&v, r, 0, 0), 0);
	dbr_result_free(r);
	return v;
}

static void recreate(const char *table, const char *columns)
{
	okf("DROP TABLE IF EXISTS %s", table);
	okf("CREATE TABLE %s (%s)", table, columns);
}

/* ------------------------------------------------------------ setup */

static const backend *pick_backend(const char *name)
{
	for (size_t i = 0; name && i < sizeof BACKENDS / sizeof BACKENDS[0]; i++)
		if (strcmp(BACKENDS[i].name, name) == 0)
			return &BACKENDS[i];
	return NULL;
}

static int open_db(void)
{
	char conf[1400];
	snprintf(conf, sizeof conf, "databases = { default = { url = \"%s\"; }; };", F.url);
	if (dbr_open_string(&F.db, conf) != 0) {
		fprintf(stderr, "dbr_open_string: %s\n", dbr_error_last()->message);
		return -1;
	}
	return dbr_session_new(&F.s, F.db);
}

static int setup(void **state)
{
	(void)state;
	if (F.be->url_env == NULL) {
		snprintf(F.dir, sizeof F.dir, "/tmp/dbr-conformance.XXXXXX");
		if (mkdtemp(F.dir) == NULL)
			return -1;
		snprintf(F.url, sizeof F.url, "sqlite://%s/conf.db", F.dir);
	} else {
		const char *u = getenv(F.be->url_env);
		if (u == NULL || u[0] == '\0') {
			fprintf(stderr, "test_conformance %s: $%s is not set: run it through "
			        "tests/servers.sh (or make check)\n", F.be->name, F.be->url_env);
			return -1;
		}
		snprintf(F.url, sizeof F.url, "%s", u);
	}
	return open_db();
}

static int teardown(void **state)
{
	(void)state;
	dbr_session_free(F.s);
	dbr_close(F.db);
	if (F.dir[0] != '\0')
		remove_tree(F.dir);
	return 0;
}

/* ------------------------------------------------------------ cases */

/* `status`: the alias shows its backend; the URL is masked. */
static void test_status_backend(void **state)
{
	dbr_alias_list *l = NULL;
	const char *b = NULL;
	(void)state;
	assert_int_equal(dbr_connect(F.db, "default"), 0);
	assert_int_equal(dbr_alias_list_get(&l, F.db), 0);
	assert_int_equal(dbr_alias_list_count(l), 1);
	const dbr_alias_info *a = dbr_alias_list_at(l, 0);
	assert_string_equal(a->alias, "default");
	assert_string_equal(a->backend, F.be->shown);
	assert_int_equal(a->connected, 1);
	assert_null(strstr(a->url, "Sekr1t"));
	dbr_alias_list_free(l);
	assert_int_equal(dbr_backend(&b, F.db, "default"), 0);
	assert_string_equal(b, F.be->shown);
}

static const unsigned char BLOB[] = { 0, 1, 0, 0xff, 0, 'x', 0 };
static const char UTF8[] = "h\xc3\xa9llo w\xc3\xb6rld \xe2\x98\x83 \xf0\x9d\x84\x9e";

/* Every type goes in as a parameter and comes back equal. */
static void test_type_roundtrip(void **state)
{
	char cols[256];
	dbr_result *r = NULL;
	const void *p;
	const char *t;
	size_t len;
	int64_t i;
	double d;
	(void)state;
	snprintf(cols, sizeof cols, "k INT PRIMARY KEY, i BIGINT, d DOUBLE PRECISION, "
	         "t TEXT, b %s, n BIGINT", F.be->blob_type);
	recreate("cf_types", cols);
	const dbr_value rows[][6] = {
		{ dbr_int(1), dbr_int(INT64_MAX), dbr_double(0.1), dbr_text(UTF8),
		  dbr_blob(BLOB, sizeof BLOB), dbr_null() },
		{ dbr_int(2), dbr_int(INT64_MIN), dbr_double(-1.2345678901234567e300),
		  dbr_text(""), dbr_blob(BLOB, 1), dbr_null() },
		{ dbr_int(3), dbr_int(0), dbr_double(3.5), dbr_textn("abc", 2),
		  dbr_blob("\0", 1), dbr_null() },
	};
	for (size_t k = 0; k < 3; k++)
		ok("INSERT INTO cf_types (k, i, d, t, b, n) VALUES (?, ?, ?, ?, ?, ?)", rows[k], 6);

	assert_int_equal(run(&r, "SELECT i, d, t, b, n FROM cf_types ORDER BY k", NULL, 0), 0);
	assert_int_equal(dbr_result_nrows(r), 3);
	assert_int_equal(dbr_result_ncols(r), 5);
	for (size_t k = 0; k < 3; k++) {
		assert_int_equal(dbr_result_int64(&i, r, k, 0), 0);
		assert_true(i == rows[k][1].v.i);
		assert_int_equal(dbr_result_double(&d, r, k, 1), 0);
		assert_true(d == rows[k][2].v.d);
		assert_int_equal(dbr_result_text(&t, &len, r, k, 2), 0);
		assert_int_equal(len, rows[k][3].v.b.len);
		assert_memory_equal(t, rows[k][3].v.b.ptr, len);
		assert_int_equal(dbr_result_blob(&p, &len, r, k, 3), 0);
		assert_int_equal(len, rows[k][4].v.b.len);
		assert_memory_equal(p, rows[k][4].v.b.ptr, len);
		assert_int_equal(dbr_result_type(r, k, 3), DBR_TYPE_BLOB);
		assert_int_equal(dbr_result_isnull(r, k, 4), 1);
		assert_int_equal(dbr_result_int64(&i, r, k, 4), DBR_ETYPE);
	}
	assert_int_equal(dbr_result_type(r, 0, 0), DBR_TYPE_INT64);
	assert_int_equal(dbr_result_type(r, 0, 1), DBR_TYPE_DOUBLE);
	assert_int_equal(dbr_result_type(r, 0, 2), DBR_TYPE_TEXT);
	dbr_result_free(r);
}

/* A boolean parameter reads back as 1 / 0 whatever the backend stores. */
static void test_bool_roundtrip(void **state)
{
	dbr_result *r = NULL;
	int64_t v;
	(void)state;
	recreate("cf_bool", "k INT PRIMARY KEY, f BOOLEAN");
	const dbr_value a[] = { dbr_int(1), dbr_bool(1) }, b[] = { dbr_int(2), dbr_bool(0) };
	ok("INSERT INTO cf_bool VALUES (?, ?)", a, 2);
	ok("INSERT INTO cf_bool VALUES (?, ?)", b, 2);
	assert_int_equal(run(&r, "SELECT f FROM cf_bool ORDER BY k", NULL, 0), 0);
	assert_int_equal(dbr_result_int64(&v, r, 0, 0), 0);
	assert_int_equal(v, 1);
	assert_int_equal(dbr_result_int64(&v, r, 1, 0), 0);
	assert_int_equal(v, 0);
	dbr_result_free(r);
}

/* A `?` inside a string literal is text, not a placeholder. */
static void test_placeholder_in_literal(void **state)
{
	dbr_result *r = NULL;
	const char *t;
	int64_t v;
	(void)state;
	const dbr_value p[] = { dbr_int(41) };
	assert_int_equal(run(&r, "SELECT '?' AS q, ? + 1 AS p", p, 1), 0);
	assert_int_equal(dbr_result_text(&t, NULL, r, 0, 0), 0);
	assert_string_equal(t, "?");
	assert_int_equal(dbr_result_int64(&v, r, 0, 1), 0);
	assert_int_equal(v, 42);
	dbr_result_free(r);
}

static void test_param_count_mismatch(void **state)
{
	dbr_result *r = NULL;
	(void)state;
	const dbr_value p[] = { dbr_int(1) };
	assert_int_equal(run(&r, "SELECT ? + ?", p, 1), DBR_EPARAM);
	assert_null(r);
	const char *msg = dbr_session_errmsg(F.s);
	assert_non_null(strstr(msg, "2 placeholders"));
	assert_non_null(strstr(msg, "1 parameter"));
	assert_non_null(strstr(msg, "default"));
	/* The connection is still usable. */
	assert_int_equal(scalar(F.s, "SELECT 7"), 7);
}

static void expect_class(int rc, const char *cls)
{
	assert_int_equal(rc, DBR_ESQL);
	const char *st = dbr_session_sqlstate(F.s);
	if (strlen(st) != 5 || strncmp(st, cls, 2) != 0)
		fail_msg("SQLSTATE \"%s\", want class %s: %s", st, cls, dbr_session_errmsg(F.s));
	assert_string_equal(dbr_error_last()->sqlstate, st);
	assert_non_null(strstr(dbr_session_errmsg(F.s), "default"));
}

static void test_unique_violation(void **state)
{
	(void)state;
	recreate("cf_uniq", "k INT PRIMARY KEY");
	const dbr_value p[] = { dbr_int(1) };
	ok("INSERT INTO cf_uniq VALUES (?)", p, 1);
	expect_class(run(NULL, "INSERT INTO cf_uniq VALUES (?)", p, 1), "23");
	assert_int_equal(scalar(F.s, "SELECT COUNT(*) FROM cf_uniq"), 1);
}

static void test_syntax_error(void **state)
{
	(void)state;
	expect_class(run(NULL, "SELEKT 1 FROMM nowhere", NULL, 0), "42");
	assert_int_equal(scalar(F.s, "SELECT 3"), 3);
}

static void test_commit_rollback(void **state)
{
	dbr_session *other = NULL;
	(void)state;
	recreate("cf_tx", "k INT PRIMARY KEY");
	assert_int_equal(dbr_session_new(&other, F.db), 0);

	assert_int_equal(dbr_tx_begin(F.s, NULL), 0);
	okf("INSERT INTO cf_tx VALUES (1)");
	assert_int_equal(dbr_tx_commit(F.s, NULL), 0);
	assert_int_equal(scalar(other, "SELECT COUNT(*) FROM cf_tx"), 1);

	assert_int_equal(dbr_tx_begin(F.s, NULL), 0);
	okf("INSERT INTO cf_tx VALUES (2)");
	assert_int_equal(scalar(F.s, "SELECT COUNT(*) FROM cf_tx"), 2);
	assert_int_equal(dbr_tx_rollback(F.s, NULL), 0);
	assert_int_equal(scalar(F.s, "SELECT COUNT(*) FROM cf_tx"), 1);
	assert_int_equal(scalar(other, "SELECT COUNT(*) FROM cf_tx"), 1);
	dbr_session_free(other);
}

/* A session that ends inside a transaction leaves nothing behind. */
static void test_session_end_rolls_back(void **state)
{
	dbr_session *s = NULL;
	dbr_query q = DBR_QUERY_INIT;
	(void)state;
	recreate("cf_end", "k INT PRIMARY KEY");
	assert_int_equal(dbr_session_new(&s, F.db), 0);
	assert_int_equal(dbr_tx_begin(s, NULL), 0);
	q.sql = "INSERT INTO cf_end VALUES (1)";
	assert_int_equal(dbr_exec(NULL, s, &q), 0);
	dbr_session_free(s);
	assert_int_equal(scalar(F.s, "SELECT COUNT(*) FROM cf_end"), 0);
	/* The pooled connection is clean: a new transaction works on it. */
	assert_int_equal(dbr_tx_begin(F.s, NULL), 0);
	okf("INSERT INTO cf_end VALUES (2)");
	assert_int_equal(dbr_tx_commit(F.s, NULL), 0);
	assert_int_equal(scalar(F.s, "SELECT COUNT(*) FROM cf_end"), 1);
}

static void test_savepoints(void **state)
{
	(void)state;
	recreate("cf_sp", "k INT PRIMARY KEY");
	assert_int_equal(dbr_tx_begin(F.s, NULL), 0);
	okf("INSERT INTO cf_sp VALUES (1)");
	assert_int_equal(dbr_tx_begin(F.s, NULL), 0);
	assert_int_equal(dbr_tx_depth(F.s, "default"), 2);
	okf("INSERT INTO cf_sp VALUES (2)");
	assert_int_equal(dbr_tx_rollback(F.s, NULL), 0);
	assert_int_equal(dbr_tx_depth(F.s, "default"), 1);
	assert_int_equal(dbr_tx_begin(F.s, NULL), 0);
	okf("INSERT INTO cf_sp VALUES (3)");
	assert_int_equal(dbr_tx_commit(F.s, NULL), 0);
	assert_int_equal(dbr_tx_commit(F.s, NULL), 0);
	assert_int_equal(dbr_tx_depth(F.s, NULL), 0);
	assert_int_equal(scalar(F.s, "SELECT COUNT(*) FROM cf_sp"), 2);
	assert_int_equal(scalar(F.s, "SELECT COUNT(*) FROM cf_sp WHERE k = 2"), 0);
}

static void test_affected_rows(void **state)
{
	dbr_result *r = NULL;
	(void)state;
	recreate("cf_aff", "k INT PRIMARY KEY, v INT");
	assert_int_equal(run(&r, "INSERT INTO cf_aff VALUES (1, 0), (2, 0), (3, 5)", NULL, 0), 0);
	assert_int_equal(dbr_result_affected(r), 3);
	dbr_result_free(r);
	const dbr_value p[] = { dbr_int(0) };
	assert_int_equal(run(&r, "UPDATE cf_aff SET v = 9 WHERE v = ?", p, 1), 0);
	assert_int_equal(dbr_result_affected(r), 2);
	dbr_result_free(r);
	assert_int_equal(run(&r, "DELETE FROM cf_aff WHERE k > 100", NULL, 0), 0);
	assert_int_equal(dbr_result_affected(r), 0);
	dbr_result_free(r);
	assert_int_equal(run(&r, "DELETE FROM cf_aff", NULL, 0), 0);
	assert_int_equal(dbr_result_affected(r), 3);
	dbr_result_free(r);
}

/* An id where the backend has one; "use RETURNING" where it has none. */
static void test_last_insert_id(void **state)
{
	dbr_result *r = NULL;
	int64_t id = 0;
	char cols[128];
	(void)state;
	snprintf(cols, sizeof cols, "%s, v TEXT", F.be->serial_pk);
	recreate("cf_ids", cols);
	okf("INSERT INTO cf_ids (v) VALUES ('a')");
	assert_int_equal(run(&r, "INSERT INTO cf_ids (v) VALUES ('b')", NULL, 0), 0);
	if (F.be->has_insert_id) {
		assert_int_equal(dbr_result_last_insert_id(&id, r), 0);
		assert_int_equal(id, 2);
	} else {
		assert_int_equal(dbr_result_last_insert_id(&id, r), DBR_ENOTSUP);
	}
	dbr_result_free(r);
}

/* A script of several statements applied for a model, on each backend. */
static void test_apply_script(void **state)
{
	dbr_trace *t = NULL;
	(void)state;
	okf("DROP TABLE IF EXISTS cf_apply");
	assert_int_equal(dbr_apply(&t, F.s, "Conf",
	                           "CREATE TABLE cf_apply (k INT PRIMARY KEY, v TEXT);\n"
	                           "INSERT INTO cf_apply VALUES (1, 'a;b');\n"
	                           "-- a comment; with a semicolon\n"
	                           "INSERT INTO cf_apply VALUES (2, 'c');\n"), 0);
	assert_string_equal(dbr_trace_alias(t), "default");
	dbr_trace_free(t);
	assert_int_equal(scalar(F.s, "SELECT COUNT(*) FROM cf_apply"), 2);
	/* A failing statement in a script fails the apply with its SQLSTATE. */
	expect_class(dbr_apply(NULL, F.s, "Conf", "INSERT INTO cf_apply VALUES (3, 'd');\n"
	                       "INSERT INTO cf_apply VALUES (1, 'dup');\n"), "23");
	/* The connection is usable after the failed script. */
	assert_int_equal(scalar(F.s, "SELECT COUNT(*) FROM cf_apply WHERE k = 1"), 1);
}

/* A connection error names the alias and never the password. */
static void test_connect_error_masks_password(void **state)
{
	char url[1100], *at;
	const char *pw = "Wr0ng_pw_zz9";
	(void)state;
	if (F.be->url_env == NULL) {
		snprintf(url, sizeof url, "sqlite://%s/no/such/dir/x.db?mode=rw", F.dir);
	} else {
		/* scheme://user:password@host… → the same with a wrong password */
		char *colon = strchr(strstr(F.url, "://") + 3, ':');
		at = strchr(F.url, '@');
		assert_non_null(colon);
		assert_non_null(at);
		snprintf(url, sizeof url, "%.*s:%s%s", (int)(colon - F.url), F.url, pw, at);
	}
	assert_int_equal(dbr_add_database(F.db, "broken", url, NULL), 0);
	assert_int_equal(dbr_connect(F.db, "broken"), DBR_ECONNECT);
	const char *msg = dbr_error_last()->message;
	assert_non_null(strstr(msg, "broken"));
	assert_null(strstr(msg, pw));
	assert_null(strstr(msg, "Sekr1t"));
}

/* The driver checks its options before anything connects: a typo is an
 * error that names the option, and nothing is added. */
static void test_unknown_option_rejected(void **state)
{
	const char *b;
	(void)state;
	assert_int_equal(dbr_add_database(F.db, "typo", F.url,
	                                  "options = { bogus_opt = \"1\"; };"), DBR_ECONFIG);
	assert_non_null(strstr(dbr_error_last()->message, "bogus_opt"));
	assert_null(strstr(dbr_error_last()->message, "Sekr1t"));
	assert_int_equal(dbr_backend(&b, F.db, "typo"), DBR_ENOTFOUND);
}

/* ------------------------------------------------------ exact values */

static int on(const char *name)
{
	return strcmp(F.be->name, name) == 0;
}

/* The one-cell result of `sql` (with params): its type and text. */
static void expect_cell(const char *sql, const dbr_value *params, size_t n, dbr_type type,
                        const char *text)
{
	dbr_result *r = NULL;
	const char *t;
	size_t len;
	if (run(&r, sql, params, n) != 0)
		fail_msg("%s: %s", sql, dbr_session_errmsg(F.s));
	assert_int_equal(dbr_result_nrows(r), 1);
	assert_int_equal(dbr_result_text(&t, &len, r, 0, 0), 0);
	if (dbr_result_type(r, 0, 0) != type || strcmp(t, text) != 0 || len != strlen(text))
		fail_msg("%s: type %d \"%s\", want type %d \"%s\"", sql, (int)dbr_result_type(r, 0, 0),
		         t, (int)type, text);
	dbr_result_free(r);
}

/* A double's text is the shortest that reads back as the same double. */
static void test_double_shortest_text(void **state)
{
	static const struct { double d; const char *text; } CASES[] = {
		{ 19.99, "19.99" }, { 0.1, "0.1" }, { 0.1 + 0.2, "0.30000000000000004" },
		{ 1.0 / 3, "0.3333333333333333" }, { 1e300, "1e+300" }, { -1.5e-300, "-1.5e-300" },
		{ 123456789.0, "123456789" },
	};
	(void)state;
	recreate("cf_dbl", "k INT PRIMARY KEY, d DOUBLE PRECISION");
	for (size_t k = 0; k < sizeof CASES / sizeof CASES[0]; k++) {
		const dbr_value row[] = { dbr_int((int64_t)k), dbr_double(CASES[k].d) };
		const dbr_value key[] = { dbr_int((int64_t)k) };
		double back;
		dbr_result *r = NULL;
		ok("INSERT INTO cf_dbl VALUES (?, ?)", row, 2);
		expect_cell("SELECT d FROM cf_dbl WHERE k = ?", key, 1, DBR_TYPE_DOUBLE, CASES[k].text);
		assert_int_equal(run(&r, "SELECT d FROM cf_dbl WHERE k = ?", key, 1), 0);
		assert_int_equal(dbr_result_double(&back, r, 0, 0), 0);
		assert_true(back == CASES[k].d);
		dbr_result_free(r);
	}
	if (on("postgres")) { /* what only PostgreSQL's float8 holds */
		expect_cell("SELECT 'NaN'::float8", NULL, 0, DBR_TYPE_DOUBLE, "NaN");
		expect_cell("SELECT '-Infinity'::float8", NULL, 0, DBR_TYPE_DOUBLE, "-Infinity");
		expect_cell("SELECT '-0'::float8", NULL, 0, DBR_TYPE_DOUBLE, "-0");
		expect_cell("SELECT '4.9406564584124654e-324'::float8", NULL, 0, DBR_TYPE_DOUBLE,
		            "5e-324");
	}
}

/* 35 integer digits and 30 decimals: DECIMAL(65,30) at full precision. */
#define BIG_DEC "-12345678901234567890123456789012345.123456789012345678901234567891"

/* PostgreSQL numeric and MariaDB DECIMAL come back exact, typed DECIMAL;
 * SQLite has no decimal type: a DECIMAL column has NUMERIC affinity and
 * keeps INTEGER or REAL (about 15 significant digits), so exact digits need a
 * TEXT column there. */
static void test_decimal_exact(void **state)
{
	dbr_result *r = NULL;
	double d;
	int64_t i;
	(void)state;
	recreate("cf_dec", "k INT PRIMARY KEY, v DECIMAL(65,30), t TEXT");
	const dbr_value a[] = { dbr_int(1), dbr_decimal(BIG_DEC), dbr_decimal(BIG_DEC) };
	const dbr_value b[] = { dbr_int(2), dbr_text("42"), dbr_text("42") };
	ok("INSERT INTO cf_dec VALUES (?, ?, ?)", a, 3);
	ok("INSERT INTO cf_dec VALUES (?, ?, ?)", b, 3);
	assert_int_equal(run(&r, "SELECT v, t FROM cf_dec ORDER BY k", NULL, 0), 0);
	assert_int_equal(dbr_result_double(&d, r, 0, 0), 0);
	/* SQLite rounded the text to a double with fewer digits: */
	assert_true(d == (on("sqlite") ? -1.234567890123457e34 : -1.2345678901234568e34));
	assert_int_equal(dbr_result_int64(&i, r, 0, 0), DBR_ETYPE);
	assert_int_equal(dbr_result_int64(&i, r, 1, 0), 0);
	assert_int_equal(i, 42);
	assert_int_equal(dbr_result_type(r, 0, 1), DBR_TYPE_TEXT);
	dbr_result_free(r);
	expect_cell("SELECT t FROM cf_dec WHERE k = 1", NULL, 0, DBR_TYPE_TEXT, BIG_DEC);
	if (on("sqlite")) {
		expect_cell("SELECT v FROM cf_dec WHERE k = 1", NULL, 0, DBR_TYPE_DOUBLE,
		            "-1.234567890123457e+34");
		expect_cell("SELECT v FROM cf_dec WHERE k = 2", NULL, 0, DBR_TYPE_INT64, "42");
		expect_cell("SELECT 123456789012345678901234567890.123456789", NULL, 0,
		            DBR_TYPE_DOUBLE, "1.2345678901234568e+29");
		return;
	}
	expect_cell("SELECT v FROM cf_dec WHERE k = 1", NULL, 0, DBR_TYPE_DECIMAL, BIG_DEC);
	expect_cell("SELECT v FROM cf_dec WHERE k = 2", NULL, 0, DBR_TYPE_DECIMAL,
	            "42.000000000000000000000000000000");
	if (on("postgres")) {
		expect_cell("SELECT 123456789012345678901234567890.123456789::numeric", NULL, 0,
		            DBR_TYPE_DECIMAL, "123456789012345678901234567890.123456789");
		expect_cell("SELECT 'NaN'::numeric", NULL, 0, DBR_TYPE_DECIMAL, "NaN");
	} else {
		expect_cell("SELECT CAST('123456789012345678901234567890.123456789' AS DECIMAL(65,9))",
		            NULL, 0, DBR_TYPE_DECIMAL, "123456789012345678901234567890.123456789");
		/* BIGINT UNSIGNED beyond INT64_MAX: exact as a decimal. */
		expect_cell("SELECT CAST(18446744073709551615 AS UNSIGNED)", NULL, 0,
		            DBR_TYPE_DECIMAL, "18446744073709551615");
		expect_cell("SELECT ? + 0", (const dbr_value[]){ dbr_decimal("0.1") }, 1,
		            DBR_TYPE_DECIMAL, "0.1");
	}
}

/* Text holding a NUL byte: stored whole where the backend can (SQLite,
 * MariaDB), refused with DBR_EPARAM where it cannot (PostgreSQL), never
 * shortened. */
static void test_text_with_nul(void **state)
{
	static const char NUL_TEXT[] = { 'a', '\0', 'b' };
	dbr_result *r = NULL;
	const char *t;
	size_t len;
	(void)state;
	recreate("cf_nul", "k INT PRIMARY KEY, t TEXT");
	const dbr_value p[] = { dbr_int(1), dbr_textn(NUL_TEXT, sizeof NUL_TEXT) };
	int rc = run(NULL, "INSERT INTO cf_nul VALUES (?, ?)", p, 2);
	if (on("postgres")) {
		assert_int_equal(rc, DBR_EPARAM);
		assert_non_null(strstr(dbr_session_errmsg(F.s), "NUL"));
		assert_non_null(strstr(dbr_session_errmsg(F.s), "parameter 2"));
		assert_int_equal(scalar(F.s, "SELECT COUNT(*) FROM cf_nul"), 0);
		return;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(run(&r, "SELECT t FROM cf_nul", NULL, 0), 0);
	assert_int_equal(dbr_result_text(&t, &len, r, 0, 0), 0);
	assert_int_equal(len, sizeof NUL_TEXT);
	assert_memory_equal(t, NUL_TEXT, sizeof NUL_TEXT);
	dbr_result_free(r);
}

/* dbr_query versions 1..DBR_QUERY_VERSION run; 0 and newer are refused. */
static void test_query_version(void **state)
{
	dbr_query q = DBR_QUERY_INIT;
	(void)state;
	q.sql = "SELECT 1";
	for (unsigned v = 1; v <= DBR_QUERY_VERSION; v++) {
		q.version = v;
		assert_int_equal(dbr_exec(NULL, F.s, &q), 0);
	}
	const unsigned bad[] = { 0, DBR_QUERY_VERSION + 1, 0xdeadbeefu };
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		q.version = bad[k];
		assert_int_equal(dbr_exec(NULL, F.s, &q), DBR_EINVAL);
		assert_non_null(strstr(dbr_session_errmsg(F.s), "DBR_QUERY_INIT"));
	}
}

/* ------------------------------------------------------------ statement cache */

/* Statements alive on the connection, the counting query included when it
 * is itself prepared: SQLite's sqlite_stmt, PostgreSQL's
 * pg_prepared_statements (named statements only), MariaDB's session
 * prepares minus closes. */
static const struct {
	const char *backend, *live_sql;
	int64_t self_uncached; /* what an unprepared counting query adds */
} LIVE[] = {
	{ "sqlite", "SELECT count(*) FROM sqlite_stmt", 1 },
	{ "postgres", "SELECT count(*) FROM pg_prepared_statements", 0 },
	{ "mariadb", "SELECT CAST(SUM(IF(VARIABLE_NAME = 'COM_STMT_PREPARE', 1, -1) * "
	  "VARIABLE_VALUE) AS SIGNED) FROM information_schema.SESSION_STATUS WHERE "
	  "VARIABLE_NAME IN ('COM_STMT_PREPARE', 'COM_STMT_CLOSE')", 1 },
};

/* A database of its own with one connection (so every statement shares
 * its cache) and these driver options; table sc_t (k, v) with 3 rows. */
static dbr *SC_DB;
static dbr_session *SC;

static void sc_open(const char *options)
{
	char conf[1600];
	snprintf(conf, sizeof conf, "databases = { default = { url = \"%s\"; "
	         "options = { %s }; pool = { max_connections = 1; }; }; };", F.url, options);
	if (dbr_open_string(&SC_DB, conf) != 0)
		fail_msg("dbr_open_string: %s", dbr_error_last()->message);
	assert_int_equal(dbr_session_new(&SC, SC_DB), 0);
	/* a script: never prepared, so the counts start from nothing cached */
	if (dbr_apply(NULL, SC, NULL, "DROP TABLE IF EXISTS sc_t;\n"
	              "CREATE TABLE sc_t (k INT PRIMARY KEY, v INT);\n"
	              "INSERT INTO sc_t VALUES (1, 10), (2, 20), (3, 30);\n") != 0)
		fail_msg("setup: %s", dbr_session_errmsg(SC));
}

static void sc_close(void)
{
	dbr_session_free(SC);
	dbr_close(SC_DB);
	SC = NULL;
	SC_DB = NULL;
}

static int64_t live(void)
{
	for (size_t i = 0; i < sizeof LIVE / sizeof LIVE[0]; i++)
		if (strcmp(LIVE[i].backend, F.be->name) == 0)
			return scalar(SC, LIVE[i].live_sql);
	fail_msg("no live-statement query for %s", F.be->name);
	return -1;
}

static int64_t self_uncached(void)
{
	for (size_t i = 0; i < sizeof LIVE / sizeof LIVE[0]; i++)
		if (strcmp(LIVE[i].backend, F.be->name) == 0)
			return LIVE[i].self_uncached;
	return 0;
}

/* sqlite_stmt needs SQLITE_ENABLE_STMTVTAB: without it the SQLite cases skip. */
static int sc_observable(void)
{
	if (strcmp(F.be->name, "sqlite") != 0)
		return 1;
	/* a script: never cached, so it does not count */
	return dbr_apply(NULL, SC, NULL, "SELECT 1 FROM sqlite_stmt LIMIT 1") == 0;
}

/* SELECT v of key k through `sql`, checked. */
static void sc_get(const char *sql, int64_t k)
{
	dbr_result *r = NULL;
	dbr_value p = dbr_int(k);
	int64_t v = -1;
	dbr_query q = DBR_QUERY_INIT;
	q.sql = sql;
	q.params = &p;
	q.nparams = 1;
	if (dbr_exec(&r, SC, &q) != 0)
		fail_msg("%s: %s (%s)", sql, dbr_session_errmsg(SC), dbr_session_sqlstate(SC));
	assert_int_equal(dbr_result_nrows(r), 1);
	assert_int_equal(dbr_result_int64(&v, r, 0, 0), 0);
	assert_int_equal(v, k * 10);
	dbr_result_free(r);
}

static const char SC_A[] = "SELECT v FROM sc_t WHERE k = ?";
static const char SC_B[] = "SELECT v FROM sc_t WHERE k = ? AND 1 = 1";
static const char SC_C[] = "SELECT v FROM sc_t WHERE k = ? AND 2 = 2";

/* One statement run three times is prepared once and stays prepared (the
 * pool's reset between the calls keeps the cache); the counting query is
 * the second statement alive. */
static void test_stmt_cache_hit(void **state)
{
	(void)state;
	sc_open("statement_cache = 8; prepare_threshold = 1;");
	if (!sc_observable()) {
		sc_close();
		skip();
	}
	for (int i = 1; i <= 3; i++)
		sc_get(SC_A, i);
	assert_int_equal(live(), 2);
	assert_int_equal(live(), 2); /* the counting query is itself a hit */
	sc_close();
}

/* A cache of 2 holds 2 statements: the least recently used is evicted
 * (finalized, deallocated, closed) and comes back prepared when used again. */
static void test_stmt_cache_eviction(void **state)
{
	(void)state;
	sc_open("statement_cache = 2; prepare_threshold = 1;");
	if (!sc_observable()) {
		sc_close();
		skip();
	}
	sc_get(SC_A, 1);
	sc_get(SC_B, 2);
	sc_get(SC_C, 3);
	assert_int_equal(live(), 2); /* SC_C and the counting query */
	sc_get(SC_A, 2);
	assert_int_equal(live(), 2);
	sc_close();
}

/* statement_cache = 0: nothing stays prepared. */
static void test_stmt_cache_off(void **state)
{
	(void)state;
	sc_open("statement_cache = 0;");
	if (!sc_observable()) {
		sc_close();
		skip();
	}
	for (int i = 1; i <= 3; i++)
		sc_get(SC_A, i);
	assert_int_equal(live(), self_uncached());
	sc_close();
}

/* prepare_threshold = 3: two uses leave nothing prepared, the third
 * prepares (the counting query, at its first and second use, is not). */
static void test_stmt_cache_threshold(void **state)
{
	(void)state;
	sc_open("prepare_threshold = 3;");
	if (!sc_observable()) {
		sc_close();
		skip();
	}
	sc_get(SC_A, 1);
	sc_get(SC_A, 2);
	assert_int_equal(live(), self_uncached());
	sc_get(SC_A, 3);
	assert_int_equal(live(), 1 + self_uncached());
	sc_close();
}

/* The result type of a cached statement changes (a column added under
 * SELECT *): the next run succeeds with the new columns (PostgreSQL
 * answers 0A000 and the driver prepares again; MariaDB and SQLite
 * re-prepare themselves). */
static void test_stmt_cache_alter(void **state)
{
	dbr_result *r = NULL;
	dbr_value k = dbr_int(2);
	dbr_query q = DBR_QUERY_INIT;
	(void)state;
	sc_open("prepare_threshold = 1;");
	q.sql = "SELECT * FROM sc_t WHERE k = ?";
	q.params = &k;
	q.nparams = 1;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(dbr_exec(&r, SC, &q), 0);
		assert_int_equal(dbr_result_ncols(r), 2);
		dbr_result_free(r);
	}
	assert_int_equal(dbr_apply(NULL, SC, NULL, "ALTER TABLE sc_t ADD COLUMN w INT"), 0);
	if (dbr_exec(&r, SC, &q) != 0)
		fail_msg("after ALTER TABLE: %s (%s)", dbr_session_errmsg(SC), dbr_session_sqlstate(SC));
	assert_int_equal(dbr_result_ncols(r), 3);
	assert_int_equal(dbr_result_nrows(r), 1);
	dbr_result_free(r);
	sc_close();
}

/* Inside a transaction: statements are cached and hit; on PostgreSQL a
 * result type changed inside the transaction fails it (0A000 aborts the
 * transaction, as it does for pgjdbc) and the statement is prepared again
 * after the rollback. */
static void test_stmt_cache_transaction(void **state)
{
	dbr_result *r = NULL;
	dbr_query q = DBR_QUERY_INIT;
	(void)state;
	sc_open("prepare_threshold = 1;");
	assert_int_equal(dbr_tx_begin(SC, NULL), 0);
	for (int i = 1; i <= 3; i++)
		sc_get(SC_A, i);
	assert_int_equal(dbr_tx_commit(SC, NULL), 0);
	sc_get(SC_A, 1);
	if (strcmp(F.be->name, "postgres") == 0) {
		q.sql = "SELECT * FROM sc_t";
		assert_int_equal(dbr_exec(NULL, SC, &q), 0);
		assert_int_equal(dbr_tx_begin(SC, NULL), 0);
		okf_on(SC, "ALTER TABLE sc_t ADD COLUMN w INT");
		assert_int_equal(dbr_exec(NULL, SC, &q), DBR_ESQL);
		assert_string_equal(dbr_session_sqlstate(SC), "0A000");
		assert_int_equal(dbr_tx_rollback(SC, NULL), 0);
		assert_int_equal(dbr_exec(&r, SC, &q), 0);
		assert_int_equal(dbr_result_ncols(r), 2); /* the ALTER was rolled back */
		dbr_result_free(r);
	}
	sc_close();
}

/* PostgreSQL: prepare = false keeps every statement unnamed (for
 * transaction-pooling poolers); DEALLOCATE ALL by the application empties
 * the cache, and a statement dropped unseen (26000) is prepared again. */
static void test_stmt_cache_pg_server_side(void **state)
{
	(void)state;
	sc_open("prepare = false; prepare_threshold = 1;");
	for (int i = 1; i <= 3; i++)
		sc_get(SC_A, i);
	assert_int_equal(live(), 0);
	sc_close();

	sc_open("prepare_threshold = 1;");
	sc_get(SC_A, 1);
	assert_int_equal(live(), 2);
	okf_on(SC, "DEALLOCATE ALL"); /* seen: the cache empties */
	sc_get(SC_A, 2);
	assert_int_equal(live(), 2);
	/* unseen (the script's last result is the SELECT): 26000, re-prepared */
	assert_int_equal(dbr_apply(NULL, SC, NULL, "DEALLOCATE ALL; SELECT 1"), 0);
	sc_get(SC_A, 3);
	assert_int_equal(live(), 2);
	sc_close();
}

/* The default threshold of PostgreSQL is 5 (as pgjdbc): four uses stay
 * unnamed, the fifth prepares. */
static void test_stmt_cache_pg_default_threshold(void **state)
{
	(void)state;
	sc_open("statement_cache = 256;");
	for (int i = 0; i < 4; i++)
		sc_get(SC_A, 1);
	assert_int_equal(live(), 0);
	sc_get(SC_A, 1);
	assert_int_equal(live(), 1);
	sc_close();
}

/* Malformed settings are refused naming them. */
static void test_stmt_cache_bad_option(void **state)
{
	static const char *const BAD[] = { "statement_cache = -1;", "prepare_threshold = 0;",
	                                   "statement_cache = \"many\";" };
	(void)state;
	for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++) {
		char conf[1600];
		dbr *db = NULL;
		snprintf(conf, sizeof conf, "databases = { default = { url = \"%s\"; "
		         "options = { %s }; }; };", F.url, BAD[i]);
		assert_int_not_equal(dbr_open_string(&db, conf), 0);
		const char *msg = dbr_error_last()->message;
		if (strstr(msg, BAD[i][0] == 's' ? "statement_cache" : "prepare_threshold") == NULL)
			fail_msg("%s: %s", BAD[i], msg);
	}
}

int main(int argc, char **argv)
{
	const char *name = argc > 1 ? argv[1] : getenv("DBR_BACKEND");
	F.be = pick_backend(name);
	if (F.be == NULL) {
		fprintf(stderr, "usage: test_conformance sqlite|postgres|mariadb\n");
		return 2;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status_backend),
		cmocka_unit_test(test_type_roundtrip),
		cmocka_unit_test(test_bool_roundtrip),
		cmocka_unit_test(test_placeholder_in_literal),
		cmocka_unit_test(test_param_count_mismatch),
		cmocka_unit_test(test_unique_violation),
		cmocka_unit_test(test_syntax_error),
		cmocka_unit_test(test_commit_rollback),
		cmocka_unit_test(test_session_end_rolls_back),
		cmocka_unit_test(test_savepoints),
		cmocka_unit_test(test_affected_rows),
		cmocka_unit_test(test_last_insert_id),
		cmocka_unit_test(test_apply_script),
		cmocka_unit_test(test_connect_error_masks_password),
		cmocka_unit_test(test_unknown_option_rejected),
		cmocka_unit_test(test_double_shortest_text),
		cmocka_unit_test(test_decimal_exact),
		cmocka_unit_test(test_text_with_nul),
		cmocka_unit_test(test_query_version),
		cmocka_unit_test(test_stmt_cache_hit),
		cmocka_unit_test(test_stmt_cache_eviction),
		cmocka_unit_test(test_stmt_cache_off),
		cmocka_unit_test(test_stmt_cache_threshold),
		cmocka_unit_test(test_stmt_cache_alter),
		cmocka_unit_test(test_stmt_cache_transaction),
		cmocka_unit_test(test_stmt_cache_bad_option),
		/* PostgreSQL only, last: */
		cmocka_unit_test(test_stmt_cache_pg_server_side),
		cmocka_unit_test(test_stmt_cache_pg_default_threshold),
	};
	size_t n = sizeof tests / sizeof tests[0];
	if (strcmp(F.be->name, "postgres") != 0)
		n -= 2;
	return _cmocka_run_group_tests("tests", tests, n, setup, teardown);
}
