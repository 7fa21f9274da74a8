/* SPDX-License-Identifier: MIT */
/*
 * test_routers — the router modules (round_robin, pinning, per_model) and a
 * Django-style user router, through the public API on SQLite files in a
 * temporary directory: a primary `default`, its read-only replicas
 * `replica1` and `replica2` (the same file opened with ?mode=ro) and `logs`.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <dbrouter/dbrouter.h>
#include "testutil.h"

static char dir[256];

/* ---------------------------------------------------------- helpers */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Writes plugins.conf with the four databases (replica weights w1, w2) and
 * the router list `routers`, then opens it. Returns dbr_open's code. */
static int open_conf(dbr **db, const char *routers, int w1, int w2)
{
	char text[4096], path[300];
	snprintf(text, sizeof text,
	         "databases = {\n"
	         "  default = { url = \"sqlite://%s/app.db\"; };\n"
	         "  replica1 = { url = \"sqlite://%s/app.db?mode=ro\"; replica_of = \"default\"; weight = %d; };\n"
	         "  replica2 = { url = \"sqlite://%s/app.db?mode=ro\"; replica_of = \"default\"; weight = %d; };\n"
	         "  logs = { url = \"sqlite://%s/logs.db\"; };\n"
	         "};\n"
	         "routers = ( %s );\n",
	         dir, dir, w1, dir, w2, dir, routers);
	snprintf(path, sizeof path, "%s/plugins.conf", dir);
	write_file(path, text);
	*db = NULL;
	return dbr_open(db, path);
}

static dbr *open_ok(const char *routers, int w1, int w2)
{
	dbr *db;
	int rc = open_conf(&db, routers, w1, w2);
	if (rc != 0)
		fail_msg("dbr_open: %d %s", rc, dbr_error_last()->message);
	return db;
}

/* dbr_open fails with DBR_ECONFIG and a message holding every `want`. */
static void open_fails(const char *routers, const char *const *want)
{
	dbr *db;
	assert_int_equal(open_conf(&db, routers, 1, 1), DBR_ECONFIG);
	assert_null(db);
	const char *msg = dbr_error_last()->message;
	for (; *want; want++)
		if (!strstr(msg, *want))
			fail_msg("message \"%s\" lacks \"%s\"", msg, *want);
}

static dbr_session *session(dbr *db)
{
	dbr_session *s;
	assert_int_equal(dbr_session_new(&s, db), 0);
	return s;
}

typedef struct routed {
	char alias[64];
	char target[64];
	char text[4096];
} routed;

static routed explain(dbr_session *s, dbr_intent intent, const char *model)
{
	dbr_query q = DBR_QUERY_INIT;
	q.sql = intent == DBR_INTENT_READ ? "SELECT x FROM t" : "INSERT INTO t VALUES (2)";
	q.intent = intent;
	q.model = model;
	dbr_trace *t;
	routed r;
	int rc = dbr_explain(&t, s, &q);
	if (rc != 0)
		fail_msg("dbr_explain: %d %s", rc, dbr_session_errmsg(s));
	snprintf(r.alias, sizeof r.alias, "%s", dbr_trace_alias(t));
	snprintf(r.target, sizeof r.target, "%s", dbr_trace_target(t));
	snprintf(r.text, sizeof r.text, "%s", dbr_trace_text(t));
	dbr_trace_free(t);
	return r;
}

static routed rd(dbr_session *s, const char *model)
{
	return explain(s, DBR_INTENT_READ, model);
}

static routed wr(dbr_session *s, const char *model)
{
	return explain(s, DBR_INTENT_WRITE, model);
}

/* Runs `sql` for real and returns the alias that served it. */
static void run(char *alias, size_t n, dbr_session *s, const char *sql, dbr_intent intent,
                const char *model)
{
	dbr_query q = DBR_QUERY_INIT;
	q.sql = sql;
	q.intent = intent;
	q.model = model;
	dbr_result *res;
	int rc = dbr_exec(&res, s, &q);
	if (rc != 0)
		fail_msg("dbr_exec %s: %d %s", sql, rc, dbr_session_errmsg(s));
	snprintf(alias, n, "%s", dbr_result_alias(res));
	dbr_result_free(res);
}

/* One read turn: explained twice (explain has no side effect: both name
 * the same member), then run for real on that very member. */
static routed turn(dbr_session *s)
{
	routed r = rd(s, NULL), again = rd(s, NULL);
	char alias[64];
	assert_string_equal(again.alias, r.alias);
	run(alias, sizeof alias, s, "SELECT x FROM t", DBR_INTENT_READ, NULL);
	assert_string_equal(alias, r.alias);
	return r;
}

static void assert_contains(const char *text, const char *want)
{
	if (!strstr(text, want))
		fail_msg("\"%s\" lacks \"%s\"", text, want);
}

static int is_replica(const char *alias)
{
	return strcmp(alias, "replica1") == 0 || strcmp(alias, "replica2") == 0;
}

#define assert_replica(alias) \
	do { if (!is_replica(alias)) fail_msg("%s is not a replica", (alias)); } while (0)

/* Index of `alias` in {default, replica1, replica2, logs}. */
static int slot_of(const char *alias)
{
	static const char *const names[] = { "default", "replica1", "replica2", "logs" };
	for (int i = 0; i < 4; i++)
		if (strcmp(alias, names[i]) == 0)
			return i;
	fail_msg("unexpected alias %s", alias);
	return -1;
}

static void assert_near(int got, int want, int slack)
{
	if (got < want - slack || got > want + slack)
		fail_msg("%d is not %d (±%d)", got, want, slack);
}

/* ---------------------------------------------------- fake clock */

/* Atomic: pool maintenance threads read the clock too. */
static _Atomic int64_t fake_us = 1700000000LL * 1000000;

static int64_t fake_clock(void)
{
	return fake_us;
}

/* ------------------------------------------------------------ tests */

static void reads_to_replicas_writes_to_default(void **st)
{
	dbr *db = open_ok("{ name = \"round_robin\"; }", 1, 1);
	dbr_session *s = session(db);
	routed r = rd(s, NULL);
	assert_replica(r.alias);
	assert_string_equal(r.target, "default");
	assert_contains(r.text, "picked replica");
	assert_contains(r.text, "(weight 1)");
	assert_string_equal(wr(s, NULL).alias, "default");
	dbr_session_free(s);
	dbr_close(db);
}

/* Explaining a read takes no turn of the rotation: however often a read is
 * explained, the next real read goes where the last explain said. */
static void explain_takes_no_turn(void **st)
{
	dbr *db = open_ok("{ name = \"pinning\"; }, { name = \"round_robin\"; }", 1, 1);
	dbr_session *s = session(db);
	int count[4] = { 0 };
	for (int i = 0; i < 101; i++)
		count[slot_of(turn(s).alias)]++;
	assert_int_equal(count[0], 0);
	assert_near(count[1], 50, 1);
	assert_near(count[2], 50, 1);
	dbr_session_free(s);
	dbr_close(db);
}

static void even_spread_exec(void **st)
{
	dbr *db = open_ok("{ name = \"round_robin\"; }", 1, 1);
	dbr_session *s = session(db);
	int count[4] = { 0 };
	char alias[64];
	for (int i = 0; i < 40; i++) {
		run(alias, sizeof alias, s, "SELECT x FROM t", DBR_INTENT_READ, NULL);
		count[slot_of(alias)]++;
	}
	assert_int_equal(count[0], 0);
	assert_int_equal(count[1], 20);
	assert_int_equal(count[2], 20);
	run(alias, sizeof alias, s, "INSERT INTO t VALUES (3)", DBR_INTENT_WRITE, NULL);
	assert_string_equal(alias, "default");
	dbr_session_free(s);
	dbr_close(db);
}

/* Over `n` reads, every window of `period` consecutive reads holds exactly
 * `want1` reads of replica1; and no member serves more than `maxrun` in a
 * row. */
static void check_weights(int w1, int w2, int want1, int maxrun)
{
	enum { N = 60 };
	dbr *db = open_ok("{ name = \"round_robin\"; }", w1, w2);
	dbr_session *s = session(db);
	int seq[N], period = w1 + w2;
	for (int i = 0; i < N; i++) {
		routed r = turn(s);
		assert_replica(r.alias);
		seq[i] = slot_of(r.alias);
	}
	for (int i = 0; i + period <= N; i++) {
		int ones = 0;
		for (int j = i; j < i + period; j++)
			ones += seq[j] == 1;
		if (ones != want1)
			fail_msg("window at %d: %d reads of replica1, want %d", i, ones, want1);
	}
	for (int i = 0, run_len = 1; i + 1 < N; i++) {
		run_len = seq[i + 1] == seq[i] ? run_len + 1 : 1;
		if (run_len > maxrun)
			fail_msg("%d reads in a row to the same replica at %d", run_len, i);
	}
	routed r = rd(s, NULL);
	char want[128];
	snprintf(want, sizeof want, "picked %s (weight %d)", r.alias,
	         strcmp(r.alias, "replica1") == 0 ? w1 : w2);
	assert_contains(r.text, want);
	dbr_session_free(s);
	dbr_close(db);
}

static void weights_one_to_three(void **st)
{
	/* b a b b: exactly 1:3 in every 4, never 4 in a row. */
	check_weights(1, 3, 1, 3);
	dbr *db = open_ok("{ name = \"round_robin\"; }", 1, 3);
	dbr_session *s = session(db);
	int seen3 = 0;
	for (int i = 0; i < 4; i++) {
		routed r = turn(s);
		if (strcmp(r.alias, "replica2") == 0) {
			assert_contains(r.text, "picked replica2 (weight 3)");
			seen3 = 1;
		}
	}
	assert_true(seen3);
	dbr_session_free(s);
	dbr_close(db);
}

static void weights_smooth_interleave(void **st)
{
	/* 2:3 smooth is b a b a b: never more than 2 in a row (a naive
	 * weighted rotation gives a a b b b). */
	check_weights(2, 3, 2, 2);
}

static void shuffled_start(void **st)
{
	int first1 = 0;
	for (int i = 0; i < 20; i++) {
		dbr *db = open_ok("{ name = \"round_robin\"; }", 1, 1);
		dbr_session *s = session(db);
		first1 += strcmp(rd(s, NULL).alias, "replica1") == 0;
		dbr_session_free(s);
		dbr_close(db);
	}
	if (first1 == 0 || first1 == 20)
		fail_msg("20 instances all started on the same replica");
}

static void include_primary(void **st)
{
	dbr *db = open_ok("{ name = \"round_robin\"; include_primary = true; }", 1, 1);
	dbr_session *s = session(db);
	int count[4] = { 0 };
	for (int i = 0; i < 30; i++)
		count[slot_of(turn(s).alias)]++;
	assert_int_equal(count[0], 10);
	assert_int_equal(count[1], 10);
	assert_int_equal(count[2], 10);
	dbr_session_free(s);
	dbr_close(db);

	db = open_ok("{ name = \"round_robin\"; include_primary = false; }", 1, 1);
	s = session(db);
	for (int i = 0; i < 10; i++)
		assert_replica(rd(s, NULL).alias);
	dbr_session_free(s);
	dbr_close(db);
}

static const char per_model_chain[] =
	"{ name = \"per_model\"; models = { Log = \"logs\";"
	" Report = { read = \"logs\"; write = \"default\"; };"
	" Audit = { write = \"logs\"; }; }; },"
	"{ name = \"round_robin\"; }";

static void per_model_split(void **st)
{
	dbr *db = open_ok(per_model_chain, 1, 1);
	dbr_session *s = session(db);
	routed r = rd(s, "Log");
	assert_string_equal(r.alias, "logs");
	assert_contains(r.text, "model Log \xe2\x86\x92 logs");
	assert_string_equal(wr(s, "Log").alias, "logs");
	assert_string_equal(rd(s, "Report").alias, "logs");
	assert_string_equal(wr(s, "Report").alias, "default");
	/* Audit has no read rule: the read passes on to round_robin. */
	r = rd(s, "Audit");
	assert_replica(r.alias);
	assert_string_equal(r.target, "default");
	assert_string_equal(wr(s, "Audit").alias, "logs");
	/* Unlisted, differently cased, or no model: passes. */
	assert_replica(rd(s, "Other").alias);
	assert_replica(rd(s, "log").alias);
	assert_string_equal(wr(s, "log").alias, "default");
	assert_string_equal(wr(s, NULL).alias, "default");

	char alias[64];
	run(alias, sizeof alias, s, "INSERT INTO l VALUES (1)", DBR_INTENT_WRITE, "Log");
	assert_string_equal(alias, "logs");
	run(alias, sizeof alias, s, "SELECT x FROM l", DBR_INTENT_READ, "Log");
	assert_string_equal(alias, "logs");
	dbr_session_free(s);
	dbr_close(db);
}

static void per_model_missing_alias(void **st)
{
	static const char *const one[] = { "plugins.conf", "models.Log", "nowhere", NULL };
	open_fails("{ name = \"per_model\"; models = { Log = \"nowhere\"; }; }", one);
	static const char *const side[] = { "plugins.conf", "models.User", "write", "nowhere", NULL };
	open_fails("{ name = \"per_model\"; models = { User = { read = \"default\";"
	           " write = \"nowhere\"; }; }; }", side);
	static const char *const none[] = { "plugins.conf", "models", NULL };
	open_fails("{ name = \"per_model\"; }", none);
}

static void unknown_setting_rejected(void **st)
{
	static const char *const rr[] = { "plugins.conf", "include_primry", NULL };
	open_fails("{ name = \"round_robin\"; include_primry = true; }", rr);
	static const char *const pin[] = { "plugins.conf", "second", NULL };
	open_fails("{ name = \"pinning\"; second = 3.0; }", pin);
	static const char *const pm[] = { "plugins.conf", "reed", NULL };
	open_fails("{ name = \"per_model\"; models = { User = { reed = \"default\"; }; }; }", pm);
	static const char *const bad[] = { "plugins.conf", "seconds", NULL };
	open_fails("{ name = \"pinning\"; seconds = -1.0; }", bad);
}

static const char pinning_chain[] =
	"{ name = \"per_model\"; models = { Log = \"logs\"; }; },"
	"{ name = \"pinning\"; }, { name = \"round_robin\"; }";

static void pinning_window(void **st)
{
	dbr_clock_set(fake_clock);
	dbr *db = open_ok(pinning_chain, 1, 1);
	dbr_session *s = session(db);
	routed r = rd(s, NULL);
	assert_replica(r.alias);
	assert_contains(r.text, "no write to default in the last 15 s");

	char alias[64];
	run(alias, sizeof alias, s, "INSERT INTO t VALUES (4)", DBR_INTENT_WRITE, NULL);
	assert_string_equal(alias, "default");
	fake_us += 3200000;
	r = rd(s, NULL);
	assert_string_equal(r.alias, "default");
	assert_contains(r.text, "last write to default 3.2 s ago");
	assert_contains(r.text, "primary (window 15 s)");
	run(alias, sizeof alias, s, "SELECT x FROM t", DBR_INTENT_READ, NULL);
	assert_string_equal(alias, "default");

	/* Pins belong to the session that wrote. */
	dbr_session *other = session(db);
	assert_replica(rd(other, NULL).alias);
	dbr_session_free(other);

	fake_us += 12000000; /* 15.2 s after the write */
	r = rd(s, NULL);
	assert_replica(r.alias);
	assert_contains(r.text, "no write to default in the last 15 s");
	dbr_session_free(s);
	dbr_close(db);
	dbr_clock_set(NULL);
}

/* django-multidb-router's `response._db_write = True`: this request is not
 * pinned, the next one (restored from the token) is, as if it had just
 * written to the cluster; the session that made the token is unchanged. */
static void pinning_next_request_only(void **st)
{
	dbr_clock_set(fake_clock);
	dbr *db = open_ok(pinning_chain, 1, 1);
	dbr_session *s = session(db);
	char tok[DBR_TOKEN_MAX], plain[DBR_TOKEN_MAX];
	/* a replica's alias pins its cluster's primary */
	assert_int_equal(dbr_session_token_mark_write(tok, sizeof tok, s, "replica1"), 0);
	assert_replica(rd(s, NULL).alias);
	assert_int_equal(dbr_session_token(plain, sizeof plain, s), 0);
	assert_string_not_equal(tok, plain);

	fake_us += 2000000;
	dbr_session *next = NULL;
	assert_int_equal(dbr_session_open(&next, db, tok), 0);
	routed r = rd(next, NULL);
	assert_string_equal(r.alias, "default");
	assert_contains(r.text, "last write to default 2.0 s ago");
	char alias[64];
	run(alias, sizeof alias, next, "SELECT x FROM t", DBR_INTENT_READ, NULL);
	assert_string_equal(alias, "default");
	/* the plain token pins nothing */
	dbr_session *unpinned = NULL;
	assert_int_equal(dbr_session_open(&unpinned, db, plain), 0);
	assert_replica(rd(unpinned, NULL).alias);
	/* the pin lasts the window, counted from the token's making */
	fake_us += 13500000;
	assert_replica(rd(next, NULL).alias);
	assert_int_equal(dbr_session_token_mark_write(tok, sizeof tok, s, "nowhere"), DBR_ENOTFOUND);
	dbr_session_free(unpinned);
	dbr_session_free(next);
	dbr_session_free(s);
	dbr_close(db);
	dbr_clock_set(NULL);
}

static void pinning_other_cluster(void **st)
{
	dbr_clock_set(fake_clock);
	dbr *db = open_ok(pinning_chain, 1, 1);
	dbr_session *s = session(db);
	char alias[64];
	run(alias, sizeof alias, s, "INSERT INTO l VALUES (2)", DBR_INTENT_WRITE, "Log");
	assert_string_equal(alias, "logs");
	fake_us += 1000000;
	routed r = rd(s, NULL);
	assert_replica(r.alias);
	assert_contains(r.text, "no write to default");
	dbr_session_free(s);
	dbr_close(db);
	dbr_clock_set(NULL);
}

static void pinning_seconds(void **st)
{
	dbr_clock_set(fake_clock);
	dbr *db = open_ok("{ name = \"pinning\"; seconds = 2.5; }, { name = \"round_robin\"; }", 1, 1);
	dbr_session *s = session(db);
	assert_int_equal(dbr_session_mark_write(s, "default"), 0);
	fake_us += 2000000;
	routed r = rd(s, NULL);
	assert_string_equal(r.alias, "default");
	assert_contains(r.text, "(window 2.5 s)");
	fake_us += 1000000;
	r = rd(s, NULL);
	assert_replica(r.alias);
	assert_contains(r.text, "no write to default in the last 2.5 s");
	dbr_session_free(s);
	dbr_close(db);
	dbr_clock_set(NULL);
}

static void user_router_unchanged(void **st)
{
	const char *plugins = getenv("DBR_TEST_PLUGINS");
	assert_non_null(plugins);
	char chain[1024];
	snprintf(chain, sizeof chain,
	         "{ name = \"user_router\"; module = \"%s/user_router.la\"; },"
	         "{ name = \"round_robin\"; }", plugins);
	dbr *db = open_ok(chain, 1, 1);
	dbr_session *s = session(db);
	routed r = rd(s, "Audit");
	assert_string_equal(r.alias, "replica1");
	assert_string_equal(wr(s, "Audit").alias, "default");
	assert_replica(rd(s, "Other").alias);
	assert_string_equal(wr(s, "Other").alias, "default");

	char alias[64];
	run(alias, sizeof alias, s, "INSERT INTO t VALUES (5)", DBR_INTENT_WRITE, "Audit");
	assert_string_equal(alias, "default");
	run(alias, sizeof alias, s, "SELECT x FROM t", DBR_INTENT_READ, "Audit");
	assert_string_equal(alias, "replica1");
	dbr_session_free(s);
	dbr_close(db);
}

/* ------------------------------------------------------------ fixture */

/* A temporary directory with app.db (table t) and logs.db (table l). */
static int make_dir(void **st)
{
	if (make_temp_dir(dir, sizeof dir, "routers") != 0)
		return -1;
	dbr *db;
	if (open_conf(&db, "", 1, 1) != 0) {
		fprintf(stderr, "# dbr_open: %s\n", dbr_error_last()->message);
		return -1;
	}
	dbr_session *s;
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "CREATE TABLE l (x INTEGER)";
	q.intent = DBR_INTENT_WRITE;
	q.using_alias = "logs";
	int rc = dbr_session_new(&s, db);
	if (rc == 0)
		rc = dbr_apply(NULL, s, NULL, "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);");
	if (rc == 0)
		rc = dbr_exec(NULL, s, &q);
	if (rc != 0)
		fprintf(stderr, "# setup: %s\n", dbr_error_last()->message);
	dbr_session_free(s);
	dbr_close(db);
	return rc;
}

static int remove_dir(void **st)
{
	return remove_tree(dir);
}

/* A router answering "" passes like NULL (yara_orm's routers answer ""):
 * the next router decides, or "default". */
static void empty_answer_passes(void **st)
{
	const char *plugins = getenv("DBR_TEST_PLUGINS");
	char chain[1024];
	snprintf(chain, sizeof chain,
	         "{ name = \"fixed_router\"; module = \"%s/fixed_router\"; read = \"\"; write = \"\"; },"
	         " { name = \"per_model\"; models = { Log = \"logs\"; }; }",
	         plugins ? plugins : "tests/plugins");
	dbr *db = open_ok(chain, 1, 1);
	dbr_session *s = session(db);
	routed r = rd(s, "Log");
	assert_string_equal(r.alias, "logs");
	assert_contains(r.text, "fixed_router passed");
	assert_contains(r.text, "per_model    chose    logs");
	assert_string_equal(wr(s, "Log").alias, "logs");
	r = wr(s, NULL);
	assert_string_equal(r.alias, "default");
	assert_contains(r.text, "default      chose    default");
	char alias[64];
	run(alias, sizeof alias, s, "INSERT INTO l VALUES (1)", DBR_INTENT_WRITE, "Log");
	assert_string_equal(alias, "logs");
	dbr_session_free(s);
	dbr_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_to_replicas_writes_to_default),
		cmocka_unit_test(explain_takes_no_turn),
		cmocka_unit_test(even_spread_exec),
		cmocka_unit_test(weights_one_to_three),
		cmocka_unit_test(weights_smooth_interleave),
		cmocka_unit_test(shuffled_start),
		cmocka_unit_test(include_primary),
		cmocka_unit_test(per_model_split),
		cmocka_unit_test(per_model_missing_alias),
		cmocka_unit_test(unknown_setting_rejected),
		cmocka_unit_test(pinning_window),
		cmocka_unit_test(pinning_other_cluster),
		cmocka_unit_test(pinning_next_request_only),
		cmocka_unit_test(pinning_seconds),
		cmocka_unit_test(user_router_unchanged),
		cmocka_unit_test(empty_answer_passes),
	};
	return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
