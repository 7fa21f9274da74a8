/* SPDX-License-Identifier: MIT */
/* test_stream.c — dbr_stream (issue 11.6) through the public API.
 *
 *   test_stream            on SQLite files in a temp dir (primary file,
 *                          two read-only "replicas" of the same file)
 *   test_stream postgres   on the PostgreSQL primary + 2 replicas that
 *                          tests/servers.sh started (DBR_PG_*_URL;
 *                          tests/server-suite.sh runs it)
 *   test_stream mariadb    on its MariaDB primary + replica (DBR_MY_*_URL;
 *                          the replica twice), plus MariaDB's own cases: a
 *                          connection killed mid-stream, the text protocol
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

static char dir[256];
enum { B_SQLITE, B_PG, B_MY };
static const char *const BACKENDS[] = { "sqlite", "postgres", "mariadb" };
static int backend;
#define on_pg (backend == B_PG)
static dbr *db;

/* The SQL of each test, per backend (BACKENDS' order). */
#define SQL(name) (name[backend])
/* MariaDB: its Sequence engine's table seq_1_to_N as g(x) (a recursive
 * CTE stops at max_recursive_iterations, 1000); `||` is OR there. */
#define MY_SERIES(n) "WITH g AS (SELECT seq AS x FROM seq_1_to_" #n ") "
static const char *const SERIES[3] = {
	"WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 100000) "
	"SELECT x, 'r' || x AS t FROM g WHERE x <= ?",
	"SELECT x, 'r' || x AS t FROM generate_series(1, 100000) x WHERE x <= ?",
	MY_SERIES(100000) "SELECT x, CONCAT('r', x) AS t FROM g WHERE x <= ?",
};
/* Rows 1 to 4 are fine, row 5 fails (SQLite: abs() of INT64_MIN overflows;
 * MariaDB: 4 - x is BIGINT UNSIGNED like seq, out of range at x = 5). */
static const char *const FAILS_AT_5[3] = {
	"WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 10) "
	"SELECT abs(CASE WHEN x = 5 THEN -9223372036854775807 - 1 ELSE x END) FROM g",
	"SELECT 1 / (x - 5) FROM generate_series(1, 10) x",
	MY_SERIES(10) "SELECT 4 - x FROM g",
};
/* The message and SQLSTATE of FAILS_AT_5's error. */
static const char *const FAILS_MSG[3] = { "overflow", "division by zero", "out of range" };
static const char *const FAILS_STATE[3] = { NULL, "22012", "22003" };
static const char *const BIG[3] = {
	"WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 200000) "
	"SELECT x, printf('%0100d', x) FROM g",
	"SELECT x, repeat('x', 100) FROM generate_series(1, 200000) x",
	MY_SERIES(200000) "SELECT x, REPEAT('x', 100) FROM g",
};

static dbr_session *session(void)
{
	dbr_session *s = NULL;
	assert_int_equal(dbr_session_new(&s, db), 0);
	return s;
}

static void exec_ok(dbr_session *s, const char *alias, const char *sql, const dbr_value *p,
                    size_t n)
{
	dbr_query q = DBR_QUERY_INIT;
	q.sql = sql;
	q.using_alias = alias;
	q.params = p;
	q.nparams = n;
	if (dbr_exec(NULL, s, &q))
		fail_msg("%s: %s", sql, dbr_error_last()->message);
}

static dbr_stream *open_ok(dbr_session *s, const char *alias, const char *sql,
                           const dbr_value *p, size_t n)
{
	dbr_query q = DBR_QUERY_INIT;
	q.sql = sql;
	q.using_alias = alias;
	q.params = p;
	q.nparams = n;
	dbr_stream *st = NULL;
	if (dbr_stream_open(&st, s, &q))
		fail_msg("dbr_stream_open %s: %s", sql, dbr_error_last()->message);
	return st;
}

static long vm_hwm_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kib = -1;
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return kib;
}

static dbr_pool_stats pool(const char *alias)
{
	dbr_pool_stats ps;
	assert_int_equal(dbr_pool_stats_get(&ps, db, alias), 0);
	return ps;
}

/* Every row, in order, with its typed values; the parameter is bound. */
static void all_rows_in_order(void **state)
{
	(void)state;
	dbr_session *s = session();
	dbr_value lim = dbr_int(1000);
	dbr_stream *st = open_ok(s, "default", SQL(SERIES), &lim, 1);
	assert_int_equal(dbr_stream_ncols(st), 2);
	assert_string_equal(dbr_stream_colname(st, 1), "t");
	assert_int_equal(dbr_stream_int64(&(int64_t){ 0 }, st, 0), DBR_ERANGE); /* no row yet */
	int64_t want = 1, x;
	int rc;
	while ((rc = dbr_stream_next(st)) == 1) {
		char t[32];
		const char *text;
		assert_int_equal(dbr_stream_int64(&x, st, 0), 0);
		assert_int_equal(x, want);
		snprintf(t, sizeof(t), "r%lld", (long long)want);
		assert_int_equal(dbr_stream_text(&text, NULL, st, 1), 0);
		assert_string_equal(text, t);
		want++;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(want, 1001);
	assert_int_equal(dbr_stream_rows(st), 1000);
	assert_int_equal(dbr_stream_next(st), 0); /* the end stays the end */
	assert_true(dbr_stream_isnull(st, 0)); /* no row current */
	assert_string_equal(dbr_stream_alias(st), "default");
	dbr_stream_close(st);
	dbr_session_free(s);
}

/* Closed after 3 rows: the connection is back in the pool and the session
 * runs the next statement on it. */
static void early_close_returns_connection(void **state)
{
	(void)state;
	dbr_session *s = session();
	dbr_value lim = dbr_int(100000);
	size_t in_use = pool("default").in_use;
	dbr_stream *st = open_ok(s, "default", SQL(SERIES), &lim, 1);
	assert_int_equal(pool("default").in_use, in_use + 1); /* held while open */
	for (int i = 0; i < 3; i++)
		assert_int_equal(dbr_stream_next(st), 1);
	dbr_stream_close(st);
	dbr_pool_stats ps = pool("default");
	assert_int_equal(ps.in_use, in_use);
	assert_true(ps.idle >= 1);
	size_t size = ps.size;
	dbr_result *r = NULL;
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "SELECT 42";
	q.using_alias = "default";
	assert_int_equal(dbr_exec(&r, s, &q), 0);
	int64_t v = 0;
	assert_int_equal(dbr_result_int64(&v, r, 0, 0), 0);
	assert_int_equal(v, 42);
	dbr_result_free(r);
	assert_int_equal(pool("default").size, size); /* the same connection, reused */
	dbr_session_free(s);
}

/* The failing row is reported by next() with the backend's message; the
 * rows before it came; the session goes on. */
static void error_mid_stream(void **state)
{
	(void)state;
	dbr_session *s = session();
	dbr_stream *st = open_ok(s, "default", SQL(FAILS_AT_5), NULL, 0);
	int rc, n = 0;
	while ((rc = dbr_stream_next(st)) == 1)
		n++;
	assert_int_equal(rc, DBR_ESQL);
	if (!strstr(dbr_error_last()->message, SQL(FAILS_MSG)))
		fail_msg("unexpected error: %s", dbr_error_last()->message);
	if (SQL(FAILS_STATE))
		assert_string_equal(dbr_error_last()->sqlstate, SQL(FAILS_STATE));
	assert_true(n <= 4);
	if (!on_pg)
		assert_int_equal(n, 4); /* SQLite steps row by row; MariaDB reads them
		                           off the wire before the error (buffered: none) */
	assert_int_equal(dbr_stream_next(st), DBR_ESQL); /* stays failed */
	dbr_stream_close(st);
	assert_int_equal(pool("default").in_use, 0);
	exec_ok(s, "default", "SELECT 1", NULL, 0);
	dbr_session_free(s);
}

static const char *explained(dbr_session *s, const char *sql, char *buf, size_t size)
{
	dbr_trace *t = NULL;
	dbr_query q = DBR_QUERY_INIT;
	q.sql = sql;
	assert_int_equal(dbr_explain(&t, s, &q), 0);
	snprintf(buf, size, "%s", dbr_trace_alias(t));
	dbr_trace_free(t);
	return buf;
}

/* Routed as dbr_exec: a read goes to a replica; after a write in the same
 * session the pinning router sends it to the primary, as dbr_explain says. */
static void routed_and_pinned(void **state)
{
	(void)state;
	dbr_session *s = session();
	char where[64];
	const char *sql = "SELECT 7";
	assert_string_not_equal(explained(s, sql, where, sizeof(where)), "default");
	dbr_stream *st = open_ok(s, NULL, sql, NULL, 0);
	assert_string_not_equal(dbr_stream_alias(st), "default");
	assert_int_equal(dbr_stream_next(st), 1);
	dbr_stream_close(st);

	dbr_value v = dbr_int(1);
	exec_ok(s, NULL, "INSERT INTO stream_t (v) VALUES (?)", &v, 1);
	assert_string_equal(explained(s, sql, where, sizeof(where)), "default");
	st = open_ok(s, NULL, sql, NULL, 0);
	assert_string_equal(dbr_stream_alias(st), where);
	assert_int_equal(dbr_stream_next(st), 1);
	dbr_stream_close(st);
	dbr_session_free(s);
}

static int64_t count_v(dbr_session *s, int64_t v)
{
	dbr_value p = dbr_int(v);
	dbr_stream *st = open_ok(s, NULL, "SELECT count(*) FROM stream_t WHERE v = ?", &p, 1);
	int64_t n = -1;
	assert_int_equal(dbr_stream_next(st), 1);
	assert_int_equal(dbr_stream_int64(&n, st, 0), 0);
	assert_string_equal(dbr_stream_alias(st), "default");
	dbr_stream_close(st);
	return n;
}

/* Inside a transaction the stream joins it: it sees the uncommitted row,
 * which is gone after the rollback. */
static void joins_transaction(void **state)
{
	(void)state;
	dbr_session *s = session();
	dbr_value v = dbr_int(99);
	assert_int_equal(dbr_tx_begin(s, "default"), 0);
	exec_ok(s, NULL, "INSERT INTO stream_t (v) VALUES (?)", &v, 1);
	assert_int_equal(count_v(s, 99), 1);
	assert_int_equal(dbr_tx_rollback(s, "default"), 0);
	/* Now pinned by nothing (the write rolled back): ask the primary. */
	dbr_session *s2 = session();
	assert_int_equal(dbr_tx_begin(s2, "default"), 0);
	assert_int_equal(count_v(s2, 99), 0);
	assert_int_equal(dbr_tx_rollback(s2, "default"), 0);
	dbr_session_free(s2);
	dbr_session_free(s);
}

static dbr_metrics_alias metrics_of(const char *alias)
{
	dbr_metrics *m = NULL;
	dbr_metrics_alias out = { 0 };
	assert_int_equal(dbr_metrics_get(&m, db), 0);
	for (size_t i = 0; i < dbr_metrics_alias_count(m); i++)
		if (strcmp(dbr_metrics_alias_at(m, i)->alias, alias) == 0)
			out = *dbr_metrics_alias_at(m, i);
	dbr_metrics_free(m);
	assert_non_null(out.alias);
	return out;
}

/* A stream counts as one statement, with the rows it returned; a failed
 * one as an error. */
static void counted_in_metrics(void **state)
{
	(void)state;
	dbr_session *s = session();
	dbr_metrics_alias before = metrics_of("default");
	dbr_value lim = dbr_int(25);
	dbr_stream *st = open_ok(s, "default", SQL(SERIES), &lim, 1);
	while (dbr_stream_next(st) == 1)
		;
	dbr_stream_close(st);
	st = open_ok(s, "default", SQL(FAILS_AT_5), NULL, 0);
	while (dbr_stream_next(st) == 1)
		;
	dbr_stream_close(st);
	dbr_metrics_alias after = metrics_of("default");
	assert_int_equal(after.reads - before.reads, 2);
	assert_true(after.rows - before.rows >= 25 && after.rows - before.rows <= 29);
	uint64_t errors = 0;
	for (size_t i = 0; i < DBR_METRICS_NERR; i++)
		errors += after.errors[i] - before.errors[i];
	assert_int_equal(errors, 1);
	dbr_session_free(s);
}

/* 200,000 rows of about 110 bytes: buffered they would take well over
 * 30 MiB; streamed the peak RSS must grow by less than 16 MiB. */
#if defined(__SANITIZE_ADDRESS__)
#define DBR_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DBR_ASAN 1
#endif
#endif

#ifdef DBR_ASAN
/* ASan keeps freed blocks in quarantine, so RSS is not the client's need:
 * under ASan the live heap is sampled instead (the runtime's own count). */
size_t __sanitizer_get_current_allocated_bytes(void);
#define LIVE_BYTES() ((long)__sanitizer_get_current_allocated_bytes())
#else
#define LIVE_BYTES() 0L
#endif

/* Streams `sql` (200,000 rows of x and 100 bytes) to its end on `alias`
 * and checks the client's memory stayed bounded. */
static void stream_bounded(dbr_session *s, const char *alias, const char *sql)
{
	long before = vm_hwm_kib(), live0 = LIVE_BYTES(), live_max = live0;
	assert_true(before > 0);
	dbr_stream *st = open_ok(s, alias, sql, NULL, 0);
	int64_t n = 0, x = 0;
	const char *text;
	size_t len = 0;
	while (dbr_stream_next(st) == 1) {
		assert_int_equal(dbr_stream_int64(&x, st, 0), 0);
		assert_int_equal(dbr_stream_text(&text, &len, st, 1), 0);
		n++;
		long live = LIVE_BYTES();
		live_max = live > live_max ? live : live_max;
	}
	assert_int_equal(n, 200000);
	assert_int_equal(x, 200000);
	assert_int_equal(len, 100);
	dbr_stream_close(st);
#ifdef DBR_ASAN
	print_message("# live heap grew at most %ld KiB while streaming (AddressSanitizer)\n",
	              (live_max - live0) / 1024);
	assert_true(live_max - live0 < 16L * 1024 * 1024);
#else
	long after = vm_hwm_kib();
	print_message("# peak RSS %ld KiB before, %ld KiB after (+%ld KiB)\n", before, after,
	              after - before);
	assert_true(after - before < 16 * 1024);
#endif
}

static void bounded_memory(void **state)
{
	(void)state;
	dbr_session *s = session();
	stream_bounded(s, "default", SQL(BIG));
	dbr_session_free(s);
}

/* MariaDB: the server kills the connection mid-stream. next() fails with
 * DBR_ECONNECT naming the alias, the connection is discarded, not pooled,
 * and the session's next statement gets another. ("solo": no replicas, so
 * not monitored: the failure bans nothing.) */
static void killed_mid_stream(void **state)
{
	(void)state;
	dbr_session *s = session(), *killer = session();
	dbr_stream *st = open_ok(s, "solo", MY_SERIES(200000) "SELECT CONNECTION_ID(), x, "
	                         "REPEAT('x', 100) FROM g", NULL, 0);
	int64_t id = 0;
	assert_int_equal(dbr_stream_next(st), 1);
	assert_int_equal(dbr_stream_int64(&id, st, 0), 0);
	char kill[64];
	snprintf(kill, sizeof(kill), "KILL CONNECTION %lld", (long long)id);
	exec_ok(killer, "solo", kill, NULL, 0);
	size_t size = pool("solo").size; /* the stream's and the killer's */
	int rc, n = 1;
	while ((rc = dbr_stream_next(st)) == 1)
		n++;
	assert_int_equal(rc, DBR_ECONNECT);
	assert_non_null(strstr(dbr_error_last()->message, "database \"solo\""));
	assert_true(n < 200000);
	assert_int_equal(dbr_stream_next(st), DBR_ECONNECT); /* stays failed */
	dbr_stream_close(st);
	dbr_pool_stats ps = pool("solo");
	assert_int_equal(ps.in_use, 0);
	assert_int_equal(ps.size, size - 1); /* discarded */
	exec_ok(s, "solo", "SELECT 1", NULL, 0);
	dbr_session_free(killer);
	dbr_session_free(s);
}

/* A value of row x of LONG_SQL: its length and letter. */
#define LONG_SQL MY_SERIES(40) "SELECT x, REPEAT(ELT(1 + x % 3, 'a', 'b', 'c'), " \
	"IF(x % 2, 50, 3000 * x)) FROM g"
static void long_value_ok(int64_t x, const char *t, size_t len)
{
	assert_int_equal(len, x % 2 ? 50 : 3000 * x);
	assert_int_equal(t[0], "abc"[x % 3]);
	assert_int_equal(t[len - 1], "abc"[x % 3]);
	assert_int_equal(t[len], '\0');
}

/* MariaDB: values longer than a column's first buffer (256 bytes) grow it
 * and come whole, short and long alternating, in a stream and in dbr_exec
 * of the same cached statement (which reuses the grown buffers), three
 * times over. */
static void long_values(void **state)
{
	(void)state;
	dbr_session *s = session();
	for (int round = 0; round < 3; round++) {
		dbr_stream *st = open_ok(s, "solo", LONG_SQL, NULL, 0);
		int64_t x = 0, n = 0;
		const char *t;
		size_t len;
		while (dbr_stream_next(st) == 1) {
			assert_int_equal(dbr_stream_int64(&x, st, 0), 0);
			assert_int_equal(dbr_stream_text(&t, &len, st, 1), 0);
			long_value_ok(x, t, len);
			n++;
		}
		assert_int_equal(n, 40);
		dbr_stream_close(st);
		dbr_result *r = NULL;
		dbr_query q = DBR_QUERY_INIT;
		q.sql = LONG_SQL;
		q.using_alias = "solo";
		assert_int_equal(dbr_exec(&r, s, &q), 0);
		assert_int_equal(dbr_result_nrows(r), 40);
		for (size_t i = 0; i < 40; i++) {
			assert_int_equal(dbr_result_int64(&x, r, i, 0), 0);
			assert_int_equal(x, (int64_t)i + 1);
			assert_int_equal(dbr_result_text(&t, &len, r, i, 1), 0);
			long_value_ok(x, t, len);
		}
		dbr_result_free(r);
	}
	dbr_session_free(s);
}

/* MariaDB: EXECUTE cannot be prepared, so it streams over the text
 * protocol (mysql_use_result): every row in bounded memory, then an early
 * close discards the rest and the connection (the transaction's: the
 * PREPAREd statement lives there) runs the next statement. */
static void text_protocol(void **state)
{
	(void)state;
	dbr_session *s = session();
	assert_int_equal(dbr_tx_begin(s, "solo"), 0);
	exec_ok(s, "solo", "PREPARE dbr_big FROM '" MY_SERIES(200000)
	        "SELECT x, REPEAT(''x'', 100) FROM g'", NULL, 0);
	stream_bounded(s, "solo", "EXECUTE dbr_big");
	dbr_stream *st = open_ok(s, "solo", "EXECUTE dbr_big", NULL, 0);
	for (int64_t want = 1, x = 0; want <= 3; want++) {
		assert_int_equal(dbr_stream_next(st), 1);
		assert_int_equal(dbr_stream_int64(&x, st, 0), 0);
		assert_int_equal(x, want);
	}
	dbr_stream_close(st);
	exec_ok(s, "solo", "DEALLOCATE PREPARE dbr_big", NULL, 0);
	assert_int_equal(dbr_tx_commit(s, "solo"), 0);
	assert_int_equal(pool("solo").in_use, 0);
	dbr_session_free(s);
}

static int setup(void **state)
{
	(void)state;
	char conf[8192], urls[3][1024];
	if (backend != B_SQLITE) {
		static const char *const ENV[][3] = {
			[B_PG] = { "DBR_PG_PRIMARY_URL", "DBR_PG_REPLICA1_URL", "DBR_PG_REPLICA2_URL" },
			[B_MY] = { "DBR_MY_PRIMARY_URL", "DBR_MY_REPLICA_URL", "DBR_MY_REPLICA_URL" },
		};
		if (cluster_urls(urls, ENV[backend], NULL, NULL) != 0)
			return -1;
	} else if (make_temp_dir(dir, sizeof dir, "stream") != 0 ||
	           cluster_urls(urls, NULL, dir, "s.db") != 0) {
		return -1;
	}
	snprintf(conf, sizeof(conf),
	         "plugin_path = \"%s\";\n"
	         "databases = {\n"
	         "  default = { url = \"%s\"; pool = { max_connections = 4; }; };\n"
	         "  r1 = { url = \"%s\"; replica_of = \"default\"; };\n"
	         "  r2 = { url = \"%s\"; replica_of = \"default\"; };\n"
	         "  solo = { url = \"%s\"; };\n"
	         "};\n"
	         "routers = ( { name = \"pinning\"; seconds = 600.0; }, { name = \"round_robin\"; } );\n",
	         getenv("DBR_TEST_PLUGINS") ? getenv("DBR_TEST_PLUGINS") : ".", urls[0], urls[1],
	         urls[2], urls[0]);
	if (dbr_open_string(&db, conf)) {
		fprintf(stderr, "dbr_open_string: %s\n", dbr_error_last()->message);
		return -1;
	}
	dbr_session *s = NULL;
	if (dbr_session_new(&s, db) ||
	    dbr_apply(NULL, s, NULL, "DROP TABLE IF EXISTS stream_t; CREATE TABLE stream_t (v BIGINT)")) {
		fprintf(stderr, "setup: %s\n", dbr_error_last()->message);
		dbr_session_free(s);
		return -1;
	}
	dbr_session_free(s);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	dbr_close(db);
	if (backend != B_SQLITE)
		return 0;
	return remove_tree(dir);
}

int main(int argc, char **argv)
{
	backend = B_SQLITE;
	for (int b = B_PG; argc > 1 && b <= B_MY; b++)
		if (strcmp(argv[1], BACKENDS[b]) == 0)
			backend = b;
	if (argc > 2 || (argc > 1 && backend == B_SQLITE)) {
		fprintf(stderr, "usage: test_stream [postgres|mariadb]\n");
		return 2;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bounded_memory), /* first: the peak before is the lowest */
		cmocka_unit_test(all_rows_in_order),
		cmocka_unit_test(early_close_returns_connection),
		cmocka_unit_test(error_mid_stream),
		cmocka_unit_test(routed_and_pinned),
		cmocka_unit_test(joins_transaction),
		cmocka_unit_test(counted_in_metrics),
		/* MariaDB's own (run only there: the count below) */
		cmocka_unit_test(killed_mid_stream),
		cmocka_unit_test(text_protocol),
		cmocka_unit_test(long_values),
	};
	static const char *const NAMES[] = { "stream-sqlite", "stream-postgres", "stream-mariadb" };
	size_t n = sizeof(tests) / sizeof(tests[0]) - (backend == B_MY ? 0 : 3);
	return _cmocka_run_group_tests(NAMES[backend], tests, n, setup, teardown);
}
