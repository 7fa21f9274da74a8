/* SPDX-License-Identifier: MIT */
/* test_causal_unit.c — the causal router and the position bookkeeping
 * that need no server, on real SQLite files: without positions the router
 * behaves like pinning; pin tokens carry positions (version 2, encoded,
 * bounded, signed), version 1 tokens still read, tampered ones are refused;
 * settings are checked. The servers' side is tests/test_causal.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
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
static _Atomic int64_t fake_now = 1700000000LL * 1000000;

static int64_t fake_clock(void) { return atomic_load(&fake_now); }
static void advance(double seconds) { atomic_fetch_add(&fake_now, (int64_t)(seconds * 1e6)); }

#define CAUSAL(settings) "routers = ( { name = \"causal\"; " settings " } );\n"

/* A deployment on the temp dir's files: `default` with two replicas. */
static int open_with(dbr **db, const char *routers, const char *extra)
{
	char conf[4096];
	const char *plugins = getenv("DBR_TEST_PLUGINS");
	snprintf(conf, sizeof(conf),
	         "plugin_path = \"%s\";\n%s\n"
	         "databases = {\n"
	         "  default = { url = \"sqlite://%s/main.db\"; };\n"
	         "  replica1 = { url = \"sqlite://%s/main.db?mode=ro\"; replica_of = \"default\"; };\n"
	         "  replica2 = { url = \"sqlite://%s/main.db?mode=ro\"; replica_of = \"default\"; };\n"
	         "};\n%s",
	         plugins ? plugins : ".", extra ? extra : "", dir, dir, dir, routers);
	return dbr_open_string(db, conf);
}

static dbr *open_ok(const char *routers, const char *extra)
{
	dbr *db = NULL;
	if (open_with(&db, routers, extra))
		fail_msg("dbr_open_string: %s", dbr_error_last()->message);
	return db;
}

/* The explain text of a read (static copy) and who serves it. */
static const char *explain_read(const char **alias, dbr_session *s)
{
	static char text[4096], who[64];
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "SELECT v FROM t";
	dbr_trace *t = NULL;
	if (dbr_explain(&t, s, &q))
		fail_msg("explain: %s", dbr_session_errmsg(s));
	snprintf(text, sizeof text, "%s", dbr_trace_text(t));
	snprintf(who, sizeof who, "%s", dbr_trace_alias(t));
	dbr_trace_free(t);
	if (alias)
		*alias = who;
	return text;
}

static const char *served_by(dbr_session *s)
{
	const char *a;
	explain_read(&a, s);
	return a;
}

static void write_one(dbr_session *s)
{
	if (dbr_exec_sql(NULL, s, "INSERT INTO t(v) VALUES ('x')"))
		fail_msg("insert: %s", dbr_session_errmsg(s));
}

static int setup(void **state)
{
	(void)state;
	if (make_temp_dir(dir, sizeof dir, "causal-unit") != 0)
		return -1;
	dbr_clock_set(fake_clock);
	dbr *db = open_ok(CAUSAL(""), NULL);
	dbr_session *s;
	dbr_session_new(&s, db);
	int rc = dbr_apply(NULL, s, NULL, "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);");
	dbr_session_free(s);
	dbr_close(db);
	return rc;
}

static int teardown(void **state)
{
	(void)state;
	dbr_clock_set(NULL);
	remove_tree(dir);
	return 0;
}

/* ------------------------------------------------------------ base64url */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void b64(char *out, const char *in)
{
	size_t n = strlen(in), o = 0;
	const unsigned char *p = (const unsigned char *)in;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
		             (i + 2 < n ? p[i + 2] : 0);
		size_t k = n - i >= 3 ? 4 : n - i + 1;
		for (size_t j = 0; j < k; j++)
			out[o++] = B64[(v >> (18 - 6 * j)) & 63];
	}
	out[o] = '\0';
}

static void b64_decode(char *out, const char *in, size_t n)
{
	uint32_t v = 0;
	int bits = 0;
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		v = v << 6 | (uint32_t)(strchr(B64, in[i]) - B64);
		if ((bits += 6) >= 8) {
			bits -= 8;
			out[o++] = (char)((v >> bits) & 0xff);
		}
	}
	out[o] = '\0';
}

/* out = "vN." + body + sig (sig may be ""); fails the test if too long. */
static void frame(char out[DBR_TOKEN_MAX], int version, const char *body, const char *sig)
{
	size_t nb = strlen(body), ns = strlen(sig);
	if (3 + nb + ns >= DBR_TOKEN_MAX)
		fail_msg("token of %zu bytes", 3 + nb + ns);
	out[0] = 'v';
	out[1] = (char)('0' + version);
	out[2] = '.';
	memcpy(out + 3, body, nb);
	memcpy(out + 3 + nb, sig, ns + 1);
}

/* "vN." + base64url(payload), unsigned; payload's "%NOW" is the clock. */
static void make_token(char *out, int version, const char *entries)
{
	char payload[1024], body[1500];
	int64_t ms = fake_clock() / 1000;
	snprintf(payload, sizeof payload, "%lld;default,%lld%s", (long long)ms, (long long)ms, entries);
	b64(body, payload);
	frame(out, version, body, "");
}

/* The decoded payload of an unsigned token. */
static void payload_of(char *out, const char *token)
{
	const char *body = token + 3, *dot = strchr(body, '.');
	b64_decode(out, body, dot ? (size_t)(dot - body) : strlen(body));
}

/* ------------------------------------------------------------ cases */

/* Without positions (SQLite has none) causal behaves like pinning: the
 * primary for `window` after a write, then the replicas again. */
static void test_no_position_is_pinning(void **state)
{
	(void)state;
	dbr *db = open_ok(CAUSAL("window = 2.0;"), NULL);
	dbr_session *s;
	dbr_session_new(&s, db);
	const char *who, *text = explain_read(&who, s);
	assert_string_not_equal(who, "default");
	assert_non_null(strstr(text, "no write to default known"));
	write_one(s);
	text = explain_read(&who, s);
	assert_string_equal(who, "default");
	assert_non_null(strstr(text, "no position known"));
	assert_non_null(strstr(text, "as pinning"));
	advance(1.5);
	assert_string_equal(served_by(s), "default");
	advance(1.0);
	text = explain_read(&who, s);
	assert_string_not_equal(who, "default");
	assert_non_null(strstr(text, "past the 2 s window"));
	dbr_session_free(s);
	dbr_close(db);
}

/* The same after a transaction's COMMIT; a rolled back one pins nothing. */
static void test_commit_pins(void **state)
{
	(void)state;
	dbr *db = open_ok(CAUSAL(""), NULL);
	dbr_session *s;
	dbr_session_new(&s, db);
	assert_int_equal(dbr_tx_begin(s, NULL), 0);
	write_one(s);
	assert_int_equal(dbr_tx_rollback(s, NULL), 0);
	assert_string_not_equal(served_by(s), "default");
	assert_int_equal(dbr_tx_begin(s, NULL), 0);
	write_one(s);
	assert_int_equal(dbr_tx_commit(s, NULL), 0);
	assert_string_equal(served_by(s), "default");
	dbr_session_free(s);
	dbr_close(db);
}

/* With round_robin after it, causal passes an unpinned read (round_robin
 * picks a replica) and sends a pinned one to the primary itself. */
static void test_composes_with_round_robin(void **state)
{
	(void)state;
	dbr *db = open_ok("routers = ( { name = \"causal\"; }, { name = \"round_robin\"; } );\n", NULL);
	dbr_session *s;
	dbr_session_new(&s, db);
	const char *who, *text = explain_read(&who, s);
	assert_true(strcmp(who, "replica1") == 0 || strcmp(who, "replica2") == 0);
	assert_non_null(strstr(text, "causal"));
	assert_non_null(strstr(text, "round_robin  picked"));
	write_one(s);
	text = explain_read(&who, s);
	assert_string_equal(who, "default");
	assert_non_null(strstr(text, "causal       picked"));
	dbr_session_free(s);
	dbr_close(db);
}

/* Tokens are version 2; a version 1 token (the previous format) still
 * restores its pins. */
static void test_token_versions(void **state)
{
	(void)state;
	dbr *db = open_ok(CAUSAL(""), NULL);
	dbr_session *s, *t;
	char tok[DBR_TOKEN_MAX], v1[DBR_TOKEN_MAX];
	dbr_session_new(&s, db);
	write_one(s);
	assert_int_equal(dbr_session_token(tok, sizeof tok, s), 0);
	assert_memory_equal(tok, "v2.", 3);
	assert_int_equal(dbr_session_open(&t, db, tok), 0);
	assert_string_equal(served_by(t), "default");
	dbr_session_free(t);
	make_token(v1, 1, "");
	assert_int_equal(dbr_session_open(&t, db, v1), 0);
	assert_string_equal(served_by(t), "default");
	dbr_session_free(t);
	dbr_session_free(s);
	dbr_close(db);
}

/* A version 2 token's position (a GTID list: commas, percent-encoded)
 * is restored exactly, shown in explain, and travels on in the next token;
 * the SQLite driver cannot compare it, so no replica serves. */
static void test_token_carries_position(void **state)
{
	(void)state;
	dbr *db = open_ok(CAUSAL(""), NULL);
	dbr_session *s;
	char tok[DBR_TOKEN_MAX], again[DBR_TOKEN_MAX], payload[1024];
	make_token(tok, 2, ",0-1-42%2C1-2-7");
	assert_int_equal(dbr_session_open(&s, db, tok), 0);
	const char *who, *text = explain_read(&who, s);
	assert_string_equal(who, "default");
	assert_non_null(strstr(text, "needs 0-1-42,1-2-7"));
	assert_non_null(strstr(text, "no replica has the position"));
	assert_int_equal(dbr_session_token(again, sizeof again, s), 0);
	payload_of(payload, again);
	assert_non_null(strstr(payload, ",0-1-42%2C1-2-7"));
	dbr_session_free(s);
	/* a version 1 token cannot hold a comma in a position: malformed */
	make_token(tok, 1, ",0-1-42,1-2-7");
	assert_int_equal(dbr_session_open(&s, db, tok), 0);
	assert_string_not_equal(served_by(s), "default");
	dbr_session_free(s);
	/* a position encoding an unprintable byte is malformed too */
	make_token(tok, 2, ",1%0A2");
	assert_int_equal(dbr_session_open(&s, db, tok), 0);
	assert_string_not_equal(served_by(s), "default");
	dbr_session_free(s);
	dbr_close(db);
}

/* A position too long for a token is left out of it: the pin travels
 * without it (the primary for a window), the token stays bounded. */
static void test_token_position_bounded(void **state)
{
	(void)state;
	dbr *db = open_ok(CAUSAL(""), NULL);
	char entries[600] = ",", tok[DBR_TOKEN_MAX], again[DBR_TOKEN_MAX], payload[1024];
	for (int i = 0; i < 40; i++)
		strcat(entries, "0-1%2C");
	strcat(entries, "9");
	dbr_session *s;
	make_token(tok, 2, entries);
	assert_true(strlen(tok) < DBR_TOKEN_MAX);
	assert_int_equal(dbr_session_open(&s, db, tok), 0);
	assert_int_equal(dbr_session_token(again, sizeof again, s), 0);
	payload_of(payload, again);
	assert_null(strstr(payload, "0-1"));
	assert_non_null(strstr(payload, ";default,"));
	dbr_session_free(s);
	assert_int_equal(dbr_session_open(&s, db, again), 0);
	assert_string_equal(served_by(s), "default");
	assert_non_null(strstr(explain_read(NULL, s), "no position known"));
	dbr_session_free(s);
	dbr_close(db);
}

/* Signed: a token with a changed position is refused (its signature no
 * longer matches), as is an unsigned one. */
static void test_signed_token_with_position(void **state)
{
	(void)state;
	dbr *db = open_ok(CAUSAL(""), "token_secret = \"causal-secret\";");
	dbr_session *s, *t;
	char tok[DBR_TOKEN_MAX], raw[DBR_TOKEN_MAX], bad[DBR_TOKEN_MAX], payload[1024], body[1500];
	make_token(raw, 2, ",7-7-7");
	/* unsigned while a secret is set: ignored */
	assert_int_equal(dbr_session_open(&s, db, raw), 0);
	assert_string_not_equal(served_by(s), "default");
	dbr_session_free(s);
	/* signed by the library, then a position added inside the body */
	dbr_session_new(&s, db);
	write_one(s);
	assert_int_equal(dbr_session_token(tok, sizeof tok, s), 0);
	assert_non_null(strchr(tok + 3, '.'));
	assert_int_equal(dbr_session_open(&t, db, tok), 0);
	assert_string_equal(served_by(t), "default");
	dbr_session_free(t);
	payload_of(payload, tok);
	strcat(payload, ",0-1-1");
	b64(body, payload);
	frame(bad, 2, body, strchr(tok + 3, '.'));
	assert_int_equal(dbr_session_open(&t, db, bad), 0);
	assert_string_not_equal(served_by(t), "default");
	dbr_session_free(t);
	dbr_session_free(s);
	dbr_close(db);
}

/* Settings: a bad mode or an out-of-range number names the setting. */
static void test_settings(void **state)
{
	(void)state;
	static const struct {
		const char *settings, *expect;
	} bad[] = {
		{ "mode = \"slow\";", "mode: \"slow\" is not fast, wait or global" },
		{ "mode = 3;", "mode" },
		{ "timeout = 0.0;", "timeout: 0 is out of range" },
		{ "timeout = 61.0;", "timeout: 61 is out of range" },
		{ "window = -1.0;", "window: -1 is out of range" },
		{ "windows = 1.0;", "windows" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char routers[256];
		dbr *db = NULL;
		snprintf(routers, sizeof routers, "routers = ( { name = \"causal\"; %s } );\n",
		         bad[i].settings);
		assert_int_equal(open_with(&db, routers, NULL), DBR_ECONFIG);
		const char *msg = dbr_error_last()->message;
		if (!strstr(msg, bad[i].expect))
			fail_msg("%s: got \"%s\"", bad[i].settings, msg);
	}
	static const char *const good[] = { "mode = \"fast\";", "mode = \"wait\"; timeout = 0.25;",
		                             "mode = \"global\"; window = 0.0;" };
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		char routers[256];
		snprintf(routers, sizeof routers, "routers = ( { name = \"causal\"; %s } );\n", good[i]);
		dbr_close(open_ok(routers, NULL));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_position_is_pinning),
		cmocka_unit_test(test_commit_pins),
		cmocka_unit_test(test_composes_with_round_robin),
		cmocka_unit_test(test_token_versions),
		cmocka_unit_test(test_token_carries_position),
		cmocka_unit_test(test_token_position_bounded),
		cmocka_unit_test(test_signed_token_with_position),
		cmocka_unit_test(test_settings),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
