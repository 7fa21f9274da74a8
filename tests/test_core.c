/* SPDX-License-Identifier: MIT */
/* test_core.c — the routing engine and sessions through the public API, on
 * real SQLite files: precedence, explain traces, pins, use_primary, pin
 * tokens, transactions' pins, threads and live router swaps. */
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

#define ROUTERS_DEFAULT \
	"routers = ( { name = \"per_model\"; models = { Log = \"logs\"; }; }," \
	" { name = \"pinning\"; seconds = 15.0; }, { name = \"round_robin\"; } );\n"

/* A deployment on the temp dir's files, with `routers` and `extra` text. */
static dbr *open_with(const char *routers, const char *extra)
{
	char conf[4096];
	const char *plugins = getenv("DBR_TEST_PLUGINS");
	snprintf(conf, sizeof(conf),
	         "plugin_path = \"%s\";\n%s\n"
	         "databases = {\n"
	         "  default = { url = \"sqlite://%s/main.db\"; };\n"
	         "  replica1 = { url = \"sqlite://%s/main.db?mode=ro\"; replica_of = \"default\"; };\n"
	         "  replica2 = { url = \"sqlite://%s/main.db?mode=ro\"; replica_of = \"default\"; };\n"
	         "  logs = { url = \"sqlite://%s/logs.db\"; };\n"
	         "};\n%s",
	         plugins ? plugins : ".", extra ? extra : "", dir, dir, dir, dir, routers ? routers : "");
	dbr *db = NULL;
	int rc = dbr_open_string(&db, conf);
	if (rc)
		fail_msg("dbr_open_string: %s", dbr_error_last()->message);
	return db;
}

/* Where a statement goes, by explain. Returns a static copy. */
static const char *route_of(dbr_session *s, const char *sql, const char *model, const char *using_alias)
{
	static _Thread_local char alias[64];
	dbr_query q = DBR_QUERY_INIT;
	q.sql = sql;
	q.model = model;
	q.using_alias = using_alias;
	dbr_trace *t = NULL;
	int rc = dbr_explain(&t, s, &q);
	if (rc)
		fail_msg("explain %s: %s", sql, dbr_session_errmsg(s));
	snprintf(alias, sizeof(alias), "%s", dbr_trace_alias(t));
	dbr_trace_free(t);
	return alias;
}

static int is_replica(const char *a)
{
	return strcmp(a, "replica1") == 0 || strcmp(a, "replica2") == 0;
}

static int setup_schema(void **state)
{
	dbr *db = open_with(NULL, NULL);
	dbr_session *s;
	assert_int_equal(dbr_session_new(&s, db), 0);
	assert_int_equal(dbr_apply(NULL, s, NULL, "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v TEXT);"), 0);
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "CREATE TABLE IF NOT EXISTS log(id INTEGER PRIMARY KEY, m TEXT)";
	q.using_alias = "logs";
	assert_int_equal(dbr_exec(NULL, s, &q), 0);
	dbr_session_free(s);
	dbr_close(db);
	return 0;
}

/* ------------------------------------------------------------ precedence */

static void test_default_when_no_router(void **state)
{
	dbr *db = open_with(NULL, NULL);
	dbr_session *s;
	dbr_session_new(&s, db);
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "SELECT 1";
	dbr_trace *t;
	assert_int_equal(dbr_explain(&t, s, &q), 0);
	assert_string_equal(dbr_trace_alias(t), "default");
	assert_int_equal(dbr_trace_intent(t), DBR_INTENT_READ);
	const dbr_trace_step *st = dbr_trace_get(t, 0);
	assert_non_null(st);
	assert_string_equal(st->who, "default");
	assert_string_equal(st->action, "chose");
	/* no router: stage 2 has nobody to pick, the primary serves */
	assert_non_null(strstr(dbr_trace_text(t), "the primary serves"));
	dbr_trace_free(t);
	dbr_session_free(s);
	dbr_close(db);
}

static void test_using_beats_routers(void **state)
{
	dbr *db = open_with("routers = ( { name = \"fixed_router\"; read = \"logs\"; write = \"logs\"; } );", NULL);
	dbr_session *s;
	dbr_session_new(&s, db);
	assert_string_equal(route_of(s, "SELECT 1", NULL, NULL), "logs");
	assert_string_equal(route_of(s, "SELECT 1", NULL, "replica2"), "replica2");
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "SELECT 1";
	q.using_alias = "default";
	dbr_trace *t;
	assert_int_equal(dbr_explain(&t, s, &q), 0);
	/* explicit using: one step, stage 2 skipped */
	assert_int_equal(dbr_trace_count(t), 1);
	assert_string_equal(dbr_trace_get(t, 0)->who, "using");
	assert_string_equal(dbr_trace_alias(t), "default");
	dbr_trace_free(t);
	q.using_alias = "nope";
	assert_int_equal(dbr_explain(&t, s, &q), DBR_ENOTFOUND);
	assert_non_null(strstr(dbr_session_errmsg(s), "nope"));
	dbr_session_free(s);
	dbr_close(db);
}

static void test_first_non_null_router_wins(void **state)
{
	dbr *db = open_with("routers = ( { name = \"fixed_router\"; },"
	                    " { name = \"per_model\"; models = { Log = \"logs\"; }; },"
	                    " { name = \"fixed_last\"; module = \"fixed_router\";"
	                    "   read = \"replica2\"; write = \"default\"; } );",
	                    NULL);
	dbr_session *s;
	dbr_session_new(&s, db);
	/* the first router passes; per_model answers for Log */
	assert_string_equal(route_of(s, "SELECT * FROM log", "Log", NULL), "logs");
	assert_string_equal(route_of(s, "INSERT INTO log(m) VALUES ('x')", "Log", NULL), "logs");
	/* per_model passes for other models; the third router answers */
	assert_string_equal(route_of(s, "SELECT 1", "User", NULL), "replica2");
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "SELECT 1";
	q.model = "Log";
	dbr_trace *t;
	assert_int_equal(dbr_explain(&t, s, &q), 0);
	assert_int_equal(dbr_trace_count(t), 2);
	assert_string_equal(dbr_trace_get(t, 0)->who, "fixed_router");
	assert_string_equal(dbr_trace_get(t, 0)->action, "passed");
	assert_string_equal(dbr_trace_get(t, 1)->who, "per_model");
	assert_string_equal(dbr_trace_get(t, 1)->action, "chose");
	assert_string_equal(dbr_trace_get(t, 1)->alias, "logs");
	dbr_trace_free(t);
	dbr_session_free(s);
	dbr_close(db);
}

static void test_router_unknown_alias_is_clear_error(void **state)
{
	dbr *db = open_with("routers = ( { name = \"fixed_router\"; read = \"ghost\"; } );", NULL);
	dbr_session *s;
	dbr_session_new(&s, db);
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "SELECT 1";
	dbr_trace *t = NULL;
	assert_int_equal(dbr_explain(&t, s, &q), DBR_EROUTE);
	assert_null(t);
	assert_non_null(strstr(dbr_session_errmsg(s), "fixed_router"));
	assert_non_null(strstr(dbr_session_errmsg(s), "\"ghost\""));
	assert_int_equal(dbr_exec(NULL, s, &q), DBR_EROUTE);
	assert_int_equal(dbr_error_last()->code, DBR_EROUTE);
	assert_non_null(strstr(dbr_errmsg(db), "ghost"));
	dbr_session_free(s);
	dbr_close(db);
}

static void test_explain_matches_execution(void **state)
{
	dbr *db = open_with(ROUTERS_DEFAULT, NULL);
	dbr_session *s;
	dbr_session_new(&s, db);
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "SELECT count(*) FROM t";
	dbr_trace *t;
	assert_int_equal(dbr_explain(&t, s, &q), 0);
	const char *text = dbr_trace_text(t);
	assert_non_null(strstr(text, "per_model"));
	assert_non_null(strstr(text, "round_robin"));
	assert_string_equal(dbr_trace_target(t), "default");
	assert_true(is_replica(dbr_trace_alias(t)));
	/* the step that picked names the alias the trace ends at */
	size_t n = dbr_trace_count(t);
	const dbr_trace_step *last = dbr_trace_get(t, n - 1);
	assert_string_equal(last->action, "picked");
	assert_string_equal(last->alias, dbr_trace_alias(t));
	dbr_trace_free(t);
	/* a real read is served by a replica too */
	dbr_result *r;
	assert_int_equal(dbr_exec(&r, s, &q), 0);
	assert_true(is_replica(dbr_result_alias(r)));
	dbr_result_free(r);
	dbr_session_free(s);
	dbr_close(db);
}

/* ------------------------------------------------------------ pins */

static dbr_result *run(dbr_session *s, const char *sql, const char *model)
{
	dbr_query q = DBR_QUERY_INIT;
	q.sql = sql;
	q.model = model;
	dbr_result *r = NULL;
	if (dbr_exec(&r, s, &q))
		fail_msg("%s: %s", sql, dbr_session_errmsg(s));
	return r;
}

static void write_one(dbr_session *s, const char *model)
{
	dbr_result_free(run(s, model ? "INSERT INTO log(m) VALUES ('w')" : "INSERT INTO t(v) VALUES ('w')", model));
}

static void test_write_pins_reads_for_window(void **state)
{
	dbr *db = open_with(ROUTERS_DEFAULT, NULL);
	dbr_session *s;
	dbr_session_new(&s, db);
	assert_true(is_replica(route_of(s, "SELECT * FROM t", NULL, NULL)));
	write_one(s, NULL);
	dbr_result *r = run(s, "SELECT count(*) FROM t", NULL);
	assert_string_equal(dbr_result_alias(r), "default");
	dbr_result_free(r);
	advance(14.0);
	assert_string_equal(route_of(s, "SELECT * FROM t", NULL, NULL), "default");
	advance(1.5);
	assert_true(is_replica(route_of(s, "SELECT * FROM t", NULL, NULL)));
	/* another session was never pinned */
	dbr_session *o;
	dbr_session_new(&o, db);
	write_one(s, NULL);
	assert_true(is_replica(route_of(o, "SELECT * FROM t", NULL, NULL)));
	dbr_session_free(o);
	dbr_session_free(s);
	dbr_close(db);
}

static void test_write_to_other_cluster_does_not_pin(void **state)
{
	dbr *db = open_with(ROUTERS_DEFAULT, NULL);
	dbr_session *s;
	dbr_session_new(&s, db);
	write_one(s, "Log");
	assert_true(is_replica(route_of(s, "SELECT * FROM t", NULL, NULL)));
	dbr_session_free(s);
	dbr_close(db);
}

static void test_transaction_pins_at_commit_not_rollback(void **state)
{
	dbr *db = open_with(ROUTERS_DEFAULT, NULL);
	dbr_session *s;
	dbr_session_new(&s, db);
	assert_int_equal(dbr_tx_begin(s, "default"), 0);
	write_one(s, NULL);
	/* inside: the transaction's connection, routers bypassed */
	assert_string_equal(route_of(s, "SELECT * FROM t", NULL, NULL), "default");
	assert_int_equal(dbr_tx_rollback(s, NULL), 0);
	assert_true(is_replica(route_of(s, "SELECT * FROM t", NULL, NULL)));
	assert_int_equal(dbr_tx_begin(s, NULL), 0);
	write_one(s, NULL);
	assert_int_equal(dbr_tx_commit(s, NULL), 0);
	assert_string_equal(route_of(s, "SELECT * FROM t", NULL, NULL), "default");
	assert_int_equal(dbr_tx_commit(s, NULL), DBR_ESTATE);
	dbr_session_free(s);
	dbr_close(db);
}

static void test_mark_write_pins(void **state)
{
	dbr *db = open_with(ROUTERS_DEFAULT, NULL);
	dbr_session *s;
	dbr_session_new(&s, db);
	assert_int_equal(dbr_session_mark_write(s, "default"), 0);
	assert_string_equal(route_of(s, "SELECT 1", NULL, NULL), "default");
	/* marking a replica pins its primary's cluster */
	dbr_session *o;
	dbr_session_new(&o, db);
	assert_int_equal(dbr_session_mark_write(o, "replica2"), 0);
	assert_string_equal(route_of(o, "SELECT 1", NULL, NULL), "default");
	assert_int_equal(dbr_session_mark_write(o, "ghost"), DBR_ENOTFOUND);
	dbr_session_free(o);
	dbr_session_free(s);
	dbr_close(db);
}

/* ------------------------------------------------------------ use_primary */

static void test_use_primary_scopes(void **state)
{
	dbr *db = open_with(ROUTERS_DEFAULT, NULL);
	dbr_session *s;
	dbr_session_new(&s, db);
	assert_int_equal(dbr_session_use_primary_begin(s), 0);
	assert_string_equal(route_of(s, "SELECT 1", NULL, NULL), "default");
	assert_int_equal(dbr_session_use_primary_begin(s), 0);
	assert_string_equal(route_of(s, "SELECT 1", NULL, NULL), "default");
	assert_int_equal(dbr_session_use_primary_end(s), 0);
	assert_string_equal(route_of(s, "SELECT 1", NULL, NULL), "default");
	assert_int_equal(dbr_session_use_primary_end(s), 0);
	/* back to the previous state: unpinned */
	assert_true(is_replica(route_of(s, "SELECT 1", NULL, NULL)));
	/* leaving a scope that is not open is an error and changes nothing */
	assert_int_equal(dbr_session_use_primary_end(s), DBR_ESTATE);
	assert_true(is_replica(route_of(s, "SELECT 1", NULL, NULL)));
	/* pinned before: pinned after */
	write_one(s, NULL);
	dbr_session_use_primary_begin(s);
	dbr_session_use_primary_end(s);
	assert_string_equal(route_of(s, "SELECT 1", NULL, NULL), "default");
	advance(16);
	assert_true(is_replica(route_of(s, "SELECT 1", NULL, NULL)));
	dbr_session_free(s);
	dbr_close(db);
}

/* Left through an error path: the scope ends however the body ends. */
static int body_that_fails(dbr_session *s)
{
	int rc = dbr_session_use_primary_begin(s);
	if (rc)
		return rc;
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "SELECT * FROM no_such_table";
	rc = dbr_exec(NULL, s, &q);
	assert_string_equal(route_of(s, "SELECT 1", NULL, NULL), "default");
	dbr_session_use_primary_end(s);
	return rc;
}

static void test_use_primary_error_path(void **state)
{
	dbr *db = open_with(ROUTERS_DEFAULT, NULL);
	dbr_session *s;
	dbr_session_new(&s, db);
	assert_int_equal(body_that_fails(s), DBR_ESQL);
	assert_true(is_replica(route_of(s, "SELECT 1", NULL, NULL)));
	dbr_session_free(s);
	dbr_close(db);
}

/* ------------------------------------------------------------ tokens */

static void test_token_round_trip_between_instances(void **state)
{
	dbr *a = open_with(ROUTERS_DEFAULT, NULL);
	dbr *b = open_with(ROUTERS_DEFAULT, NULL);
	dbr_session *s;
	dbr_session_new(&s, a);
	write_one(s, NULL);
	char tok[DBR_TOKEN_MAX];
	assert_int_equal(dbr_session_token(tok, sizeof(tok), s), 0);
	assert_true(strlen(tok) < 120);
	for (const char *p = tok; *p; p++)
		assert_true(*p > 32 && *p < 127 && *p != ';' && *p != ',' && *p != '"');
	/* nothing but what it needs: no URL, path or scheme */
	assert_null(strstr(tok, dir));
	assert_null(strstr(tok, "sqlite"));
	char small[8];
	assert_int_equal(dbr_session_token(small, sizeof(small), s), DBR_ERANGE);
	dbr_session *t;
	assert_int_equal(dbr_session_open(&t, b, tok), 0);
	assert_string_equal(route_of(t, "SELECT 1", NULL, NULL), "default");
	advance(16);
	assert_true(is_replica(route_of(t, "SELECT 1", NULL, NULL)));
	dbr_session_free(t);
	dbr_session_free(s);
	dbr_close(a);
	dbr_close(b);
}

static void expect_ignored(dbr *db, const char *tok)
{
	dbr_session *t = NULL;
	assert_int_equal(dbr_session_open(&t, db, tok), 0);
	assert_non_null(t);
	assert_true(is_replica(route_of(t, "SELECT 1", NULL, NULL)));
	dbr_session_free(t);
}

static void test_bad_tokens_are_ignored(void **state)
{
	dbr *db = open_with(ROUTERS_DEFAULT, NULL);
	dbr_session *s;
	dbr_session_new(&s, db);
	write_one(s, NULL);
	char tok[DBR_TOKEN_MAX];
	assert_int_equal(dbr_session_token(tok, sizeof(tok), s), 0);
	static const char *const junk[] = { "", "garbage", "v1.", "v1.!!!!", "v2.MTIz", "v1.MTIzOzs7",
		                            "v1.YWJj", "v1.\xff\xfe", NULL };
	for (int i = 0; junk[i]; i++)
		expect_ignored(db, junk[i]);
	/* truncated at every length */
	for (size_t n = 1; n < strlen(tok); n++) {
		char cut[DBR_TOKEN_MAX];
		memcpy(cut, tok, n);
		cut[n] = '\0';
		dbr_session *t;
		assert_int_equal(dbr_session_open(&t, db, cut), 0);
		dbr_session_free(t);
	}
	/* expired: issued more than 5 minutes ago */
	advance(301);
	expect_ignored(db, tok);
	/* foreign: a deployment whose primary has another name */
	char conf[1024];
	snprintf(conf, sizeof(conf),
	         "databases = { default = { url = \"sqlite://%s/other.db\"; };"
	         " main = { url = \"sqlite://%s/main.db\"; };"
	         " r = { url = \"sqlite://%s/main.db?mode=ro\"; replica_of = \"main\"; }; };"
	         "routers = ( { name = \"pinning\"; }, { name = \"round_robin\"; } );", dir, dir, dir);
	dbr *other;
	assert_int_equal(dbr_open_string(&other, conf), 0);
	dbr_session *o;
	dbr_session_new(&o, other);
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "INSERT INTO t(v) VALUES ('o')";
	q.using_alias = "main";
	assert_int_equal(dbr_exec(NULL, o, &q), 0);
	char ftok[DBR_TOKEN_MAX];
	assert_int_equal(dbr_session_token(ftok, sizeof(ftok), o), 0);
	expect_ignored(db, ftok);
	dbr_session_free(o);
	dbr_close(other);
	dbr_session_free(s);
	dbr_close(db);
}

static void test_signed_tokens(void **state)
{
	dbr *db = open_with(ROUTERS_DEFAULT, "token_secret = \"k3y-for-tests\";");
	dbr *plain = open_with(ROUTERS_DEFAULT, NULL);
	dbr_session *s, *p;
	dbr_session_new(&s, db);
	dbr_session_new(&p, plain);
	write_one(s, NULL);
	write_one(p, NULL);
	char tok[DBR_TOKEN_MAX], utok[DBR_TOKEN_MAX];
	assert_int_equal(dbr_session_token(tok, sizeof(tok), s), 0);
	assert_int_equal(dbr_session_token(utok, sizeof(utok), p), 0);
	assert_null(strstr(tok, "k3y"));
	dbr_session *t;
	assert_int_equal(dbr_session_open(&t, db, tok), 0);
	assert_string_equal(route_of(t, "SELECT 1", NULL, NULL), "default");
	dbr_session_free(t);
	/* unsigned, while a secret is set */
	expect_ignored(db, utok);
	/* tampered: each character of the body and signature changed in turn */
	for (size_t i = 3; i < strlen(tok); i++) {
		char bad[DBR_TOKEN_MAX];
		strcpy(bad, tok);
		if (bad[i] == '.')
			continue;
		bad[i] = bad[i] == 'A' ? 'B' : 'A';
		expect_ignored(db, bad);
	}
	dbr_session_free(s);
	dbr_session_free(p);
	dbr_close(db);
	dbr_close(plain);
}

/* ------------------------------------------------------------ threads */

typedef struct worker {
	dbr *db;
	int pinned;
	int wrong;
} worker;

static void *pinned_or_not(void *arg)
{
	worker *w = arg;
	dbr_session *s;
	dbr_session_new(&s, w->db);
	if (w->pinned)
		dbr_session_mark_write(s, "default");
	for (int i = 0; i < 300; i++) {
		const char *a = route_of(s, "SELECT 1", NULL, NULL);
		if (w->pinned ? strcmp(a, "default") != 0 : !is_replica(a))
			w->wrong++;
	}
	dbr_session_free(s);
	return NULL;
}

static void test_two_threads_sessions_independent(void **state)
{
	dbr *db = open_with(ROUTERS_DEFAULT, NULL);
	worker w[2] = { { db, 1, 0 }, { db, 0, 0 } };
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, pinned_or_not, &w[i]);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(w[0].wrong, 0);
	assert_int_equal(w[1].wrong, 0);
	dbr_close(db);
}

typedef struct swapper {
	dbr *db;
	atomic_int *stop;
	long routed, mixed, errors;
} swapper;

/* Chain A sends reads to logs (fixed_router); chain B routes by model
 * only. A statement seeing half of each would go elsewhere. */
static void *route_loop(void *arg)
{
	swapper *w = arg;
	dbr_session *s;
	dbr_session_new(&s, w->db);
	while (!atomic_load(w->stop)) {
		dbr_query q = DBR_QUERY_INIT;
		q.sql = "SELECT 1";
		dbr_trace *t;
		if (dbr_explain(&t, s, &q)) {
			w->errors++;
			continue;
		}
		const char *a = dbr_trace_alias(t);
		size_t n = dbr_trace_count(t);
		int chain_a = strcmp(a, "logs") == 0 && n == 1;
		int chain_b = is_replica(a) && n >= 3;
		if (!chain_a && !chain_b)
			w->mixed++;
		w->routed++;
		dbr_trace_free(t);
	}
	dbr_session_free(s);
	return NULL;
}

static void test_live_swap_under_load(void **state)
{
	dbr *db = open_with(NULL, NULL);
	const char *a = "( { name = \"fixed_router\"; read = \"logs\"; } )";
	const char *b = "( { name = \"per_model\"; models = { Log = \"logs\"; }; }, { name = \"round_robin\"; } )";
	assert_int_equal(dbr_set_routers(db, a), 0);
	atomic_int stop = 0;
	swapper w[8];
	pthread_t th[8];
	for (int i = 0; i < 8; i++) {
		w[i] = (swapper){ db, &stop, 0, 0, 0 };
		pthread_create(&th[i], NULL, route_loop, &w[i]);
	}
	for (int i = 0; i < 1000; i++)
		assert_int_equal(dbr_set_routers(db, i % 2 ? a : b), 0);
	atomic_store(&stop, 1);
	long routed = 0;
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(w[i].mixed, 0);
		assert_int_equal(w[i].errors, 0);
		routed += w[i].routed;
	}
	assert_true(routed > 0);
	/* a bad chain is refused and the current one stays */
	assert_int_equal(dbr_set_routers(db, "( { name = \"per_model\"; models = { X = \"ghost\"; }; } )"), DBR_ECONFIG);
	dbr_session *s;
	dbr_session_new(&s, db);
	/* the last swap (i = 999) installed chain A */
	assert_string_equal(route_of(s, "SELECT 1", NULL, NULL), "logs");
	/* an empty chain sends everything to default */
	assert_int_equal(dbr_set_routers(db, NULL), 0);
	assert_string_equal(route_of(s, "SELECT 1", "Log", NULL), "default");
	dbr_session_free(s);
	dbr_close(db);
}

/* ------------------------------------------------------------ built in code */

static void test_built_in_code(void **state)
{
	dbr *db;
	assert_int_equal(dbr_new(&db), 0);
	dbr_session *s;
	dbr_session_new(&s, db);
	assert_int_equal(dbr_exec_sql(NULL, s, "SELECT 1"), DBR_ENOTFOUND);
	char url[512];
	snprintf(url, sizeof(url), "sqlite://%s/main.db", dir);
	assert_int_equal(dbr_add_database(db, "default", url, NULL), 0);
	snprintf(url, sizeof(url), "sqlite://%s/main.db?mode=ro", dir);
	assert_int_equal(dbr_add_database(db, "r1", url, "replica_of = \"default\"; weight = 2;"), 0);
	assert_int_equal(dbr_add_database(db, "r1", url, NULL), DBR_EINVAL);
	assert_int_equal(dbr_add_database(db, "r2", url, "replica_of = \"ghost\";"), DBR_ECONFIG);
	assert_int_equal(dbr_add_database(db, "r3", url, "colour = \"blue\";"), DBR_ECONFIG);
	assert_non_null(strstr(dbr_errmsg(db), "colour"));
	assert_int_equal(dbr_add_router(db, "round_robin", NULL), 0);
	assert_int_equal(dbr_add_router(db, "per_model", "models = { X = \"ghost\"; };"), DBR_ECONFIG);
	assert_non_null(strstr(dbr_errmsg(db), "ghost"));
	assert_string_equal(route_of(s, "SELECT 1", NULL, NULL), "r1");
	dbr_result *r;
	assert_int_equal(dbr_exec_sql(&r, s, "SELECT count(*) FROM t"), 0);
	assert_string_equal(dbr_result_alias(r), "r1");
	dbr_result_free(r);
	dbr_alias_list *l;
	assert_int_equal(dbr_alias_list_get(&l, db), 0);
	assert_int_equal(dbr_alias_list_count(l), 2);
	assert_string_equal(dbr_alias_list_at(l, 1)->replica_of, "default");
	assert_int_equal(dbr_alias_list_at(l, 1)->weight, 2);
	dbr_alias_list_free(l);
	const char *backend;
	assert_int_equal(dbr_backend(&backend, db, "r1"), 0);
	assert_string_equal(backend, "sqlite");
	dbr_session_free(s);
	dbr_close(db);
}

static void test_apply_never_on_replica(void **state)
{
	dbr *db = open_with("routers = ( { name = \"fixed_router\"; write = \"replica1\"; } );", NULL);
	dbr_session *s;
	dbr_session_new(&s, db);
	assert_int_equal(dbr_apply(NULL, s, "Any", "CREATE TABLE x(a);"), DBR_EROUTE);
	assert_non_null(strstr(dbr_session_errmsg(s), "replica"));
	dbr_session_free(s);
	dbr_close(db);
}

int main(void)
{
	if (make_temp_dir(dir, sizeof dir, "core") != 0)
		return 1;
	dbr_clock_set(fake_clock);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_when_no_router),
		cmocka_unit_test(test_using_beats_routers),
		cmocka_unit_test(test_first_non_null_router_wins),
		cmocka_unit_test(test_router_unknown_alias_is_clear_error),
		cmocka_unit_test(test_explain_matches_execution),
		cmocka_unit_test(test_write_pins_reads_for_window),
		cmocka_unit_test(test_write_to_other_cluster_does_not_pin),
		cmocka_unit_test(test_transaction_pins_at_commit_not_rollback),
		cmocka_unit_test(test_mark_write_pins),
		cmocka_unit_test(test_use_primary_scopes),
		cmocka_unit_test(test_use_primary_error_path),
		cmocka_unit_test(test_token_round_trip_between_instances),
		cmocka_unit_test(test_bad_tokens_are_ignored),
		cmocka_unit_test(test_signed_tokens),
		cmocka_unit_test(test_two_threads_sessions_independent),
		cmocka_unit_test(test_live_swap_under_load),
		cmocka_unit_test(test_built_in_code),
		cmocka_unit_test(test_apply_never_on_replica),
	};
	int rc = cmocka_run_group_tests_name("core", tests, setup_schema, NULL);
	if (remove_tree(dir) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return rc;
}
