/* SPDX-License-Identifier: MIT */
/*
 * test_hints — hints (dbr_query version 2, dbr_session_hint_set, dbr: SQL
 * comments with sql_hints = true) read by the shard router, and the shard
 * router itself (hash, range, list, require_key, alias checks), through
 * the public API on SQLite files in a temporary directory.
 */
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

static char dir[256];

/* ---------------------------------------------------------- helpers */

/* Writes plugins.conf: `top` (top-level settings), databases default,
 * its replica `ro`, s0..s4, then routers = ( `routers` ); opens it. */
static int open_conf(dbr **db, const char *top, const char *routers)
{
	char text[8192], path[300];
	int n = snprintf(text, sizeof text, "%s\ndatabases = {\n"
	                 "  default = { url = \"sqlite://%s/default.db\"; };\n"
	                 "  ro = { url = \"sqlite://%s/default.db?mode=ro\"; replica_of = \"default\"; };\n",
	                 top, dir, dir);
	for (int i = 0; i < 5; i++)
		n += snprintf(text + n, sizeof text - (size_t)n,
		              "  s%d = { url = \"sqlite://%s/s%d.db\"; };\n", i, dir, i);
	snprintf(text + n, sizeof text - (size_t)n, "};\nrouters = ( %s );\n", routers);
	snprintf(path, sizeof path, "%s/plugins.conf", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
	*db = NULL;
	return dbr_open(db, path);
}

static dbr *open_ok(const char *top, const char *routers)
{
	dbr *db;
	if (open_conf(&db, top, routers) != 0)
		fail_msg("dbr_open: %s", dbr_error_last()->message);
	return db;
}

/* dbr_open fails with DBR_ECONFIG and a message holding each of `want`. */
static void open_fails(const char *routers, const char *const *want)
{
	dbr *db;
	assert_int_equal(open_conf(&db, "", routers), DBR_ECONFIG);
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

/* Explains `sql` with the hints (NULL-terminated key, value pairs) and
 * returns dbr_explain's code; on success *alias (static copy) is where
 * it went and *text the trace text (static copy). */
static char last_alias[64], last_text[4096];
static int explain_v(dbr_session *s, const char *sql, const char *const *kv)
{
	const char *keys[8], *values[8];
	size_t n = 0;
	for (; kv && kv[2 * n]; n++) {
		keys[n] = kv[2 * n];
		values[n] = kv[2 * n + 1];
	}
	dbr_query q = DBR_QUERY_INIT;
	q.sql = sql;
	q.hint_keys = keys;
	q.hint_values = values;
	q.nhints = n;
	dbr_trace *t = NULL;
	int rc = dbr_explain(&t, s, &q);
	last_alias[0] = last_text[0] = '\0';
	if (rc == 0) {
		snprintf(last_alias, sizeof last_alias, "%s", dbr_trace_alias(t));
		snprintf(last_text, sizeof last_text, "%s", dbr_trace_text(t));
	}
	dbr_trace_free(t);
	return rc;
}

/* The alias `sql` goes to with hint key=value (value NULL: no hint). */
static const char *where(dbr_session *s, const char *sql, const char *key, const char *value)
{
	const char *kv[] = { key, value, NULL };
	int rc = explain_v(s, sql, value ? kv : NULL);
	if (rc != 0)
		fail_msg("explain %s: %d %s", sql, rc, dbr_session_errmsg(s));
	return last_alias;
}

/* The reference mapping of README ("Many databases: shards and tenants"),
 * written again here from the text: FNV-1a 64 then jump consistent hash. */
static uint64_t ref_fnv1a64(const char *s)
{
	uint64_t h = 14695981039346656037u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return h;
}

static int ref_jump(uint64_t key, int n)
{
	int64_t b = -1, j = 0;
	while (j < n) {
		b = j;
		key = key * 2862933555777941757u + 1;
		j = (int64_t)((double)(b + 1) * (2147483648.0 / (double)((key >> 33) + 1)));
	}
	return (int)b;
}

#define HASH_ROUTER(shards) \
	"{ name = \"shard\"; key = \"tenant\"; method = \"hash\"; shards = [ " shards " ]; }"

/* ---------------------------------------------------------- hints */

/* A statement's hint and the session's reach the router; the statement's
 * overrides; removing the session's hint removes it. */
static void test_hints_statement_and_session(void **state)
{
	(void)state;
	dbr *db = open_ok("", HASH_ROUTER("\"s0\", \"s1\", \"s2\", \"s3\""));
	dbr_session *s = session(db);
	char want[8];
	snprintf(want, sizeof want, "s%d", ref_jump(ref_fnv1a64("acme"), 4));
	char other[8];
	snprintf(other, sizeof other, "s%d", ref_jump(ref_fnv1a64("globex"), 4));
	assert_string_not_equal(want, other); /* else the override test proves nothing */

	assert_string_equal(where(s, "SELECT 1", NULL, NULL), "default");
	assert_string_equal(where(s, "SELECT 1", "tenant", "acme"), want);
	assert_non_null(strstr(last_text, "tenant=acme"));
	assert_int_equal(dbr_session_hint_set(s, "tenant", "globex"), 0);
	assert_string_equal(where(s, "SELECT 1", NULL, NULL), other);
	assert_non_null(strstr(last_text, "tenant=globex (session)"));
	assert_string_equal(where(s, "SELECT 1", "tenant", "acme"), want);
	assert_null(strstr(last_text, "(session)")); /* overridden: not shown */
	assert_int_equal(dbr_session_hint_set(s, "tenant", NULL), 0);
	assert_string_equal(where(s, "SELECT 1", NULL, NULL), "default");
	assert_int_equal(dbr_session_hint_set(s, "", "x"), DBR_EINVAL);
	assert_int_equal(dbr_session_hint_set(NULL, "k", "x"), DBR_EINVAL);
	dbr_session_free(s);
	dbr_close(db);
}

/* A caller built against dbr_query version 1 passes a struct that ends
 * before the hints: it is accepted and nothing past its end is read (a
 * heap block of exactly that size, so ASan would see an overread). */
static void test_query_version_1(void **state)
{
	(void)state;
	dbr *db = open_ok("", HASH_ROUTER("\"s0\", \"s1\""));
	dbr_session *s = session(db);
	size_t v1 = offsetof(dbr_query, hint_keys);
	dbr_query full = DBR_QUERY_INIT;
	full.version = 1;
	full.sql = "SELECT 1";
	dbr_query *q = malloc(v1);
	assert_non_null(q);
	memcpy(q, &full, v1);
	dbr_trace *t = NULL;
	assert_int_equal(dbr_explain(&t, s, q), 0);
	assert_string_equal(dbr_trace_alias(t), "default");
	dbr_trace_free(t);
	free(q);
	/* version 2 with nhints but no arrays is refused */
	full.version = 2;
	full.nhints = 1;
	assert_int_equal(dbr_explain(&t, s, &full), DBR_EINVAL);
	dbr_session_free(s);
	dbr_close(db);
}

/* ---------------------------------------------------------- SQL comments */

static void test_comment_hints(void **state)
{
	(void)state;
	dbr *db = open_ok("sql_hints = true;", HASH_ROUTER("\"s0\", \"s1\", \"s2\", \"s3\""));
	dbr_session *s = session(db);
	char want[8];
	snprintf(want, sizeof want, "s%d", ref_jump(ref_fnv1a64("acme"), 4));
	/* hint, before or after the statement, block or line comment */
	assert_string_equal(where(s, "SELECT 1 /* dbr: hint tenant=acme */", NULL, NULL), want);
	assert_non_null(strstr(last_text, "tenant=acme (SQL comment)"));
	assert_string_equal(where(s, "/*dbr:hint tenant=acme*/ SELECT 1", NULL, NULL), want);
	assert_string_equal(where(s, "SELECT 1 -- dbr: hint tenant=acme", NULL, NULL), want);
	/* never inside a literal or a quoted name */
	assert_string_equal(where(s, "SELECT '/* dbr: hint tenant=acme */'", NULL, NULL), "default");
	assert_string_equal(where(s, "SELECT 1 AS \"/* dbr: using=s3 */\"", NULL, NULL), "default");
	/* other comments are not ours */
	assert_string_equal(where(s, "SELECT 1 /* hint tenant=acme */", NULL, NULL), "default");
	/* using= names the alias; an unknown one is named in the error */
	assert_string_equal(where(s, "SELECT 1 /* dbr: using=s2 */", NULL, NULL), "s2");
	assert_int_equal(explain_v(s, "SELECT 1 /* dbr: using=nope */", NULL), DBR_ENOTFOUND);
	assert_non_null(strstr(dbr_session_errmsg(s), "\"nope\""));
	/* route=replica: a statement the classifier calls a write is read */
	dbr_trace *t = NULL;
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "SELECT currval('s') /* dbr: route=replica */";
	assert_int_equal(dbr_explain(&t, s, &q), 0);
	assert_int_equal(dbr_trace_intent(t), DBR_INTENT_READ);
	dbr_trace_free(t);
	q.sql = "SELECT currval('s')";
	assert_int_equal(dbr_explain(&t, s, &q), 0);
	assert_int_equal(dbr_trace_intent(t), DBR_INTENT_WRITE);
	dbr_trace_free(t);
	/* a malformed dbr: comment is refused, naming it */
	assert_int_equal(explain_v(s, "SELECT 1 /* dbr: route=primay */", NULL), DBR_EINVAL);
	assert_non_null(strstr(dbr_session_errmsg(s), "dbr: route=primay"));
	assert_int_equal(explain_v(s, "SELECT 1 /* dbr: hint tenant */", NULL), DBR_EINVAL);
	/* a statement hint given by the caller wins over the comment's */
	const char *kv[] = { "tenant", "acme", NULL };
	assert_int_equal(explain_v(s, "SELECT 1 /* dbr: hint tenant=zzz */", kv), 0);
	assert_string_equal(last_alias, want);
	dbr_session_free(s);
	dbr_close(db);
}

/* route=primary through stage 2: the replica `ro` serves plain reads of
 * default, the comment sends the read to the primary. */
static void test_comment_route_primary(void **state)
{
	(void)state;
	dbr *db = open_ok("sql_hints = true;", "{ name = \"round_robin\"; }");
	dbr_session *s = session(db);
	assert_string_equal(where(s, "SELECT 1", NULL, NULL), "ro");
	assert_string_equal(where(s, "SELECT 1 /* dbr: route=primary */", NULL, NULL), "default");
	assert_non_null(strstr(last_text, "dbr: route=primary"));
	dbr_session_free(s);
	dbr_close(db);
}

/* Disabled (the default): dbr: comments are plain comments, even malformed. */
static void test_comment_hints_disabled(void **state)
{
	(void)state;
	dbr *db = open_ok("", HASH_ROUTER("\"s0\", \"s1\", \"s2\", \"s3\""));
	dbr_session *s = session(db);
	assert_string_equal(where(s, "SELECT 1 /* dbr: hint tenant=acme */", NULL, NULL), "default");
	assert_string_equal(where(s, "SELECT 1 /* dbr: using=s2 */", NULL, NULL), "default");
	assert_string_equal(where(s, "SELECT 1 /* dbr: nonsense */", NULL, NULL), "default");
	dbr_session_free(s);
	dbr_close(db);
}

/* ---------------------------------------------------------- shard: hash */

#define NKEYS 100000

/* The shard index of `key` as the router answers it (alias sN). */
static int shard_index(dbr_session *s, const char *key)
{
	const char *a = where(s, "SELECT 1", "tenant", key);
	assert_true(a[0] == 's');
	return atoi(a + 1);
}

static void check_uniform(const int *count, int n)
{
	double expect = (double)NKEYS / n;
	for (int i = 0; i < n; i++)
		if (count[i] < expect * 0.97 || count[i] > expect * 1.03)
			fail_msg("%d shards: shard %d has %d keys, expected %.0f ±3%%", n, i, count[i],
			         expect);
}

/* 100,000 keys spread within ±3% over 4 and over 5 shards; going from 4
 * to 5 moves at most 1.1/5 of them, each to the new shard; every answer
 * matches the documented algorithm. */
static void test_shard_hash_distribution(void **state)
{
	(void)state;
	dbr *db4 = open_ok("", HASH_ROUTER("\"s0\", \"s1\", \"s2\", \"s3\""));
	dbr *db5 = open_ok("", HASH_ROUTER("\"s0\", \"s1\", \"s2\", \"s3\", \"s4\""));
	dbr_session *s4 = session(db4), *s5 = session(db5);
	int c4[4] = { 0 }, c5[5] = { 0 }, moved = 0;
	char key[32];
	for (int k = 0; k < NKEYS; k++) {
		snprintf(key, sizeof key, "tenant-%d", k);
		int a = shard_index(s4, key), b = shard_index(s5, key);
		if (k % 1000 == 0) {
			assert_int_equal(a, ref_jump(ref_fnv1a64(key), 4));
			assert_int_equal(b, ref_jump(ref_fnv1a64(key), 5));
		}
		c4[a]++;
		c5[b]++;
		if (a != b) {
			moved++;
			assert_int_equal(b, 4); /* keys only move to the new shard */
		}
	}
	check_uniform(c4, 4);
	check_uniform(c5, 5);
	if (moved > NKEYS * 1.1 / 5)
		fail_msg("%d of %d keys moved from 4 to 5 shards, more than 1.1/5", moved, NKEYS);
	assert_true(moved > 0);
	dbr_session_free(s4);
	dbr_session_free(s5);
	dbr_close(db4);
	dbr_close(db5);
}

/* The README's worked examples. */
static void test_shard_hash_examples(void **state)
{
	(void)state;
	assert_true(ref_fnv1a64("") == 0xcbf29ce484222325u);
	assert_true(ref_fnv1a64("a") == 0xaf63dc4c8601ec8cu);
	assert_true(ref_fnv1a64("acme") == 0x0724d383f4f6de0fu);
	dbr *db = open_ok("", HASH_ROUTER("\"s0\", \"s1\", \"s2\", \"s3\""));
	dbr_session *s = session(db);
	static const struct { const char *key; int shard; } ex[] = {
		{ "acme", 3 }, { "globex", 1 }, { "umbrella", 0 },
	};
	for (size_t i = 0; i < sizeof ex / sizeof *ex; i++) {
		assert_int_equal(ref_jump(ref_fnv1a64(ex[i].key), 4), ex[i].shard);
		assert_int_equal(shard_index(s, ex[i].key), ex[i].shard);
	}
	dbr_session_free(s);
	dbr_close(db);
}

/* ---------------------------------------------------------- shard: range, list */

static void test_shard_range_edges(void **state)
{
	(void)state;
	dbr *db = open_ok("", "{ name = \"shard\"; key = \"tenant\"; method = \"range\"; "
	                      "bounds = [ \"g\", \"n\", \"t\" ]; shards = [ \"s0\", \"s1\", \"s2\", \"s3\" ]; }");
	dbr_session *s = session(db);
	static const struct { const char *v, *alias; } cases[] = {
		{ "", "s0" }, { "a", "s0" }, { "fzzz", "s0" }, { "g", "s1" }, { "m", "s1" },
		{ "n", "s2" }, { "szz", "s2" }, { "t", "s3" }, { "zzzz", "s3" }, { "G", "s0" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		if (strcmp(where(s, "SELECT 1", "tenant", cases[i].v), cases[i].alias) != 0)
			fail_msg("range: \"%s\" went to %s, expected %s", cases[i].v, last_alias,
			         cases[i].alias);
	dbr_session_free(s);
	dbr_close(db);

	db = open_ok("", "{ name = \"shard\"; key = \"id\"; method = \"range\"; numeric = true; "
	                 "bounds = [ 100, 200 ]; shards = [ \"s0\", \"s1\", \"s2\" ]; }");
	s = session(db);
	static const struct { const char *v, *alias; } num[] = {
		{ "-5", "s0" }, { "99", "s0" }, { "100", "s1" }, { "199", "s1" }, { "200", "s2" },
		{ "1000000000000", "s2" }, { "20", "s0" }, /* as strings "20" > "100" */
	};
	for (size_t i = 0; i < sizeof num / sizeof *num; i++)
		if (strcmp(where(s, "SELECT 1", "id", num[i].v), num[i].alias) != 0)
			fail_msg("numeric range: %s went to %s, expected %s", num[i].v, last_alias,
			         num[i].alias);
	const char *bad[] = { "id", "12abc", NULL };
	assert_int_equal(explain_v(s, "SELECT 1", bad), DBR_EROUTE);
	assert_non_null(strstr(dbr_session_errmsg(s), "not an integer"));
	dbr_session_free(s);
	dbr_close(db);
}

static void test_shard_list(void **state)
{
	(void)state;
	dbr *db = open_ok("", "{ name = \"shard\"; key = \"tenant\"; method = \"list\"; "
	                      "values = { s0 = [ \"acme\", \"initech\" ]; s1 = [ \"globex\" ]; }; "
	                      "default = \"s2\"; }");
	dbr_session *s = session(db);
	assert_string_equal(where(s, "SELECT 1", "tenant", "acme"), "s0");
	assert_string_equal(where(s, "SELECT 1", "tenant", "initech"), "s0");
	assert_string_equal(where(s, "SELECT 1", "tenant", "globex"), "s1");
	assert_string_equal(where(s, "SELECT 1", "tenant", "other"), "s2");
	assert_string_equal(where(s, "SELECT 1", "tenant", "ACME"), "s2");
	assert_string_equal(where(s, "SELECT 1", NULL, NULL), "default");
	dbr_session_free(s);
	dbr_close(db);
	/* no default: an unlisted value passes to the next router */
	db = open_ok("", "{ name = \"shard\"; key = \"tenant\"; method = \"list\"; "
	                 "values = { s0 = [ \"acme\" ]; }; }");
	s = session(db);
	assert_string_equal(where(s, "SELECT 1", "tenant", "other"), "default");
	assert_non_null(strstr(last_text, "no default"));
	dbr_session_free(s);
	dbr_close(db);
}

static void test_shard_require_key(void **state)
{
	(void)state;
	dbr *db = open_ok("", "{ name = \"shard\"; key = \"tenant\"; require_key = true; "
	                      "shards = [ \"s0\", \"s1\" ]; }, { name = \"round_robin\"; }");
	dbr_session *s = session(db);
	assert_int_equal(explain_v(s, "SELECT 1", NULL), DBR_EROUTE);
	const char *msg = dbr_session_errmsg(s);
	assert_non_null(strstr(msg, "router \"shard\" refused"));
	assert_non_null(strstr(msg, "require_key"));
	assert_int_equal(dbr_exec_sql(NULL, s, "CREATE TABLE t (x)"), DBR_EROUTE);
	char want[8];
	snprintf(want, sizeof want, "s%d", ref_jump(ref_fnv1a64("a"), 2));
	assert_string_equal(where(s, "SELECT 1", "tenant", "a"), want);
	dbr_session_free(s);
	dbr_close(db);
}

/* Every alias is checked at load, with the file and line of the setting. */
static void test_shard_alias_checks(void **state)
{
	(void)state;
	open_fails(HASH_ROUTER("\"s0\", \"nope\""),
	           (const char *const[]){ "plugins.conf:", "no database \"nope\"", NULL });
	open_fails("{ name = \"shard\"; key = \"k\"; method = \"range\"; bounds = [ \"m\" ]; "
	           "shards = [ \"s0\", \"gone\" ]; }",
	           (const char *const[]){ "plugins.conf:", "\"gone\"", NULL });
	open_fails("{ name = \"shard\"; key = \"k\"; method = \"list\"; "
	           "values = { s0 = [ \"a\" ]; nosuch = [ \"b\" ]; }; }",
	           (const char *const[]){ "plugins.conf:", "\"nosuch\"", NULL });
	open_fails("{ name = \"shard\"; key = \"k\"; method = \"list\"; "
	           "values = { s0 = [ \"a\" ]; }; default = \"dflt\"; }",
	           (const char *const[]){ "plugins.conf:", "\"dflt\"", NULL });
	open_fails("{ name = \"shard\"; key = \"k\"; method = \"range\"; bounds = [ \"m\", \"c\" ]; "
	           "shards = [ \"s0\", \"s1\", \"s2\" ]; }",
	           (const char *const[]){ "plugins.conf:", "increase", NULL });
	open_fails("{ name = \"shard\"; key = \"k\"; method = \"range\"; bounds = [ \"m\" ]; "
	           "shards = [ \"s0\", \"s1\", \"s2\" ]; }",
	           (const char *const[]){ "plugins.conf:", "2 shards", NULL });
	open_fails("{ name = \"shard\"; key = \"k\"; method = \"modulo\"; shards = [ \"s0\" ]; }",
	           (const char *const[]){ "plugins.conf:", "modulo", NULL });
	open_fails("{ name = \"shard\"; shards = [ \"s0\" ]; }",
	           (const char *const[]){ "plugins.conf:", "key", NULL });
	open_fails("{ name = \"shard\"; key = \"k\"; method = \"list\"; "
	           "values = { s0 = [ \"a\" ]; s1 = [ \"a\" ]; }; }",
	           (const char *const[]){ "plugins.conf:", "twice", NULL });
	open_fails("{ name = \"shard\"; key = \"k\"; method = \"list\"; values = [ \"a\" ]; }",
	           (const char *const[]){ "plugins.conf:", "alias = [", NULL });
}

/* ---------------------------------------------------------- end to end */

/* Rows written with a tenant hint land in the SQLite file of its shard,
 * and only there. */
static void test_shard_end_to_end(void **state)
{
	(void)state;
	dbr *db = open_ok("", HASH_ROUTER("\"s0\", \"s1\", \"s2\""));
	dbr_session *s = session(db);
	dbr_query q = DBR_QUERY_INIT;
	for (int i = 0; i < 3; i++) {
		char alias[8];
		snprintf(alias, sizeof alias, "s%d", i);
		q.sql = "CREATE TABLE orders (tenant TEXT, n INTEGER)";
		q.using_alias = alias;
		assert_int_equal(dbr_exec(NULL, s, &q), 0);
	}
	const char *keys[] = { "tenant" }, *values[1];
	char tenant[32];
	int expect[3] = { 0 };
	for (int k = 0; k < 60; k++) {
		snprintf(tenant, sizeof tenant, "customer%d", k);
		values[0] = tenant;
		dbr_value p[2] = { dbr_text(tenant), dbr_int(k) };
		dbr_query w = DBR_QUERY_INIT;
		w.sql = "INSERT INTO orders VALUES (?, ?)";
		w.params = p;
		w.nparams = 2;
		w.hint_keys = keys;
		w.hint_values = values;
		w.nhints = 1;
		dbr_result *r = NULL;
		assert_int_equal(dbr_exec(&r, s, &w), 0);
		int sh = ref_jump(ref_fnv1a64(tenant), 3);
		char alias[8];
		snprintf(alias, sizeof alias, "s%d", sh);
		assert_string_equal(dbr_result_alias(r), alias);
		dbr_result_free(r);
		expect[sh]++;
	}
	for (int i = 0; i < 3; i++) {
		char alias[8];
		snprintf(alias, sizeof alias, "s%d", i);
		dbr_query c = DBR_QUERY_INIT;
		c.sql = "SELECT tenant FROM orders";
		c.using_alias = alias;
		dbr_result *r = NULL;
		assert_int_equal(dbr_exec(&r, s, &c), 0);
		assert_int_equal(dbr_result_nrows(r), expect[i]);
		assert_true(expect[i] > 0);
		for (size_t row = 0; row < dbr_result_nrows(r); row++) {
			const char *t;
			size_t len;
			assert_int_equal(dbr_result_text(&t, &len, r, row, 0), 0);
			assert_int_equal(ref_jump(ref_fnv1a64(t), 3), i);
		}
		dbr_result_free(r);
	}
	dbr_session_free(s);
	dbr_close(db);
}

/* ---------------------------------------------------------- main */

int main(void)
{
	if (make_temp_dir(dir, sizeof dir, "hints") != 0) {
		perror("mkdtemp");
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hints_statement_and_session),
		cmocka_unit_test(test_query_version_1),
		cmocka_unit_test(test_comment_hints),
		cmocka_unit_test(test_comment_route_primary),
		cmocka_unit_test(test_comment_hints_disabled),
		cmocka_unit_test(test_shard_hash_examples),
		cmocka_unit_test(test_shard_hash_distribution),
		cmocka_unit_test(test_shard_range_edges),
		cmocka_unit_test(test_shard_list),
		cmocka_unit_test(test_shard_require_key),
		cmocka_unit_test(test_shard_alias_checks),
		cmocka_unit_test(test_shard_end_to_end),
	};
	int rc = cmocka_run_group_tests_name("hints", tests, NULL, NULL);
	remove_tree(dir);
	return rc;
}
