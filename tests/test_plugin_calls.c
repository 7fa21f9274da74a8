/* SPDX-License-Identifier: MIT */
/*
 * test_plugin_calls — what a plugin gives back is checked: the test-only
 * plugins misbehave (driver), misbehave_router and noscheme break the
 * rules one at a time and each test asserts the exact message the
 * application gets. Also: transaction ops, scheme lookup, conf_type /
 * conf_error_at, unique router names, the request flags.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dbrouter/dbrouter.h>

/* Line 1 plugin_path, 2 "databases = {", 3 default, 4 "};", then the
 * routers text from line 5. */
static int open_conf(dbr **db, const char *url_and_more, const char *routers)
{
	const char *plugins = getenv("DBR_TEST_PLUGINS");
	char text[2048];
	snprintf(text, sizeof(text),
	         "plugin_path = \"%s\";\n"
	         "databases = {\n"
	         "  default = { %s };\n"
	         "};\n%s",
	         plugins ? plugins : ".", url_and_more, routers ? routers : "");
	*db = NULL;
	return dbr_open_string(db, text);
}

static void open_fails(int code, const char *url_and_more, const char *routers, const char *msg)
{
	dbr *db;
	assert_int_equal(open_conf(&db, url_and_more, routers), code);
	assert_null(db);
	assert_string_equal(dbr_error_last()->message, msg);
	assert_int_equal(dbr_error_last()->code, code);
}

static dbr *must_open(const char *url_and_more, const char *routers)
{
	dbr *db;
	if (open_conf(&db, url_and_more, routers))
		fail_msg("open: %s", dbr_error_last()->message);
	return db;
}

static int run(dbr_result **out, dbr_session *s, const char *sql)
{
	dbr_query q = DBR_QUERY_INIT;
	q.sql = sql;
	q.intent = DBR_INTENT_READ;
	return dbr_exec(out, s, &q);
}

/* Runs `sql` on the misbehave driver: fails with `code` and `msg`. */
static void exec_fails(const char *sql, int code, const char *msg)
{
	dbr *db = must_open("url = \"misbehave://x\";", NULL);
	dbr_session *s;
	dbr_result *r = (dbr_result *)&r; /* must stay untouched */
	dbr_result *const before = r;
	assert_int_equal(dbr_session_new(&s, db), 0);
	assert_int_equal(run(&r, s, sql), code);
	assert_ptr_equal(r, before);
	assert_string_equal(dbr_error_last()->message, msg);
	assert_int_equal(dbr_error_last()->code, code);
	assert_string_equal(dbr_session_errmsg(s), msg);
	dbr_session_free(s);
	dbr_close(db);
}

/* ---------------------------------------------------------- the sink */

static void test_row_before_columns(void **state)
{
	(void)state;
	exec_fails("row first", DBR_EPLUGIN, "driver \"misbehave\": sink_row called before sink_columns");
}

static void test_ignored_sink_error_still_fails(void **state)
{
	(void)state;
	exec_fails("ignore", DBR_EPLUGIN, "driver \"misbehave\": sink_row called before sink_columns");
}

static void test_null_values(void **state)
{
	(void)state;
	exec_fails("null values", DBR_EPLUGIN, "driver \"misbehave\": sink_row: NULL values for 1 columns");
}

static void test_unknown_type(void **state)
{
	(void)state;
	exec_fails("bad type", DBR_EPLUGIN,
	           "driver \"misbehave\": sink_row: column 1 (\"b\") has an unknown type (type 99)");
}

static void test_null_text(void **state)
{
	(void)state;
	exec_fails("null text", DBR_EPLUGIN,
	           "driver \"misbehave\": sink_row: column 0 (\"v\") is text or blob with a NULL pointer "
	           "and a length (type 3)");
}

static void test_columns_twice(void **state)
{
	(void)state;
	exec_fails("columns twice", DBR_EPLUGIN, "driver \"misbehave\": sink_columns called twice");
}

/* A refused row fails the statement; the next one on the same connection
 * is whole. */
static void test_bad_row_corrupts_nothing(void **state)
{
	(void)state;
	exec_fails("good then bad", DBR_EPLUGIN,
	           "driver \"misbehave\": sink_row: column 1 (\"b\") is text or blob with a NULL pointer "
	           "and a length (type 3)");
	dbr *db = must_open("url = \"misbehave://x\"; pool = { max_connections = 1; };", NULL);
	dbr_session *s;
	dbr_result *r = NULL;
	assert_int_equal(dbr_session_new(&s, db), 0);
	assert_int_equal(run(&r, s, "good then bad"), DBR_EPLUGIN);
	assert_int_equal(run(&r, s, "ok"), 0);
	assert_int_equal(dbr_result_nrows(r), 1);
	assert_int_equal(dbr_result_ncols(r), 2);
	const char *text;
	assert_int_equal(dbr_result_text(&text, NULL, r, 0, 1), 0);
	assert_string_equal(text, "one");
	dbr_result_free(r);
	dbr_session_free(s);
	dbr_close(db);
}

/* ---------------------------------------------------------- return codes */

static void test_positive_return(void **state)
{
	(void)state;
	exec_fails("positive", DBR_ERROR,
	           "driver \"misbehave\": exec returned 1 (not 0 or a negative DBR_E* code) without a message");
}

static void test_positive_return_keeps_message(void **state)
{
	(void)state;
	exec_fails("positive message", DBR_ERROR, "misbehave: a message, then a positive return");
	assert_string_equal(dbr_error_last()->sqlstate, "42000");
}

/* The error is cleared before the call: the earlier failure's message is
 * not reported for this one. */
static void test_silent_failure_is_named(void **state)
{
	(void)state;
	dbr *db = must_open("url = \"misbehave://x\";", NULL);
	dbr_session *s;
	dbr_result *r = NULL;
	assert_int_equal(dbr_session_new(&s, db), 0);
	assert_int_equal(run(&r, s, "positive message"), DBR_ERROR);
	assert_int_equal(run(&r, s, "silent"), DBR_ESQL);
	assert_string_equal(dbr_error_last()->message, "driver \"misbehave\": exec failed without a message");
	assert_string_equal(dbr_error_last()->sqlstate, "");
	dbr_session_free(s);
	dbr_close(db);
}

static void test_script_positive(void **state)
{
	(void)state;
	dbr *db = must_open("url = \"misbehave://x\";", NULL);
	dbr_session *s;
	assert_int_equal(dbr_session_new(&s, db), 0);
	assert_int_equal(dbr_apply(NULL, s, NULL, "CREATE TABLE t(x)"), DBR_ERROR);
	assert_string_equal(dbr_error_last()->message,
	                    "driver \"misbehave\": script returned 1 (not 0 or a negative DBR_E* code) without a message");
	dbr_session_free(s);
	dbr_close(db);
}

static void test_connect_without_message(void **state)
{
	(void)state;
	dbr *db = must_open("url = \"misbehave://x?fail=connect\";", NULL);
	assert_int_equal(dbr_connect(db, "default"), DBR_ECONNECT);
	const char *m = dbr_error_last()->message;
	if (!strstr(m, "driver \"misbehave\": connect failed without a message"))
		fail_msg("message: %s", m);
	dbr_close(db);
}

static void test_check_without_message(void **state)
{
	(void)state;
	open_fails(DBR_ECONFIG, "url = \"misbehave://x?fail=check\";", NULL,
	           "<string>:3: databases.default: driver \"misbehave\": check failed without a message");
}

static void test_check_message_gets_location(void **state)
{
	(void)state;
	open_fails(DBR_ECONFIG, "url = \"misbehave://x?fail=check_message\";", NULL,
	           "<string>:3: databases.default: fail=check_message: this driver says no");
}

/* ---------------------------------------------------------- routers */

#define DB_OK "url = \"misbehave://x\";"
#define MR(mode) "routers = ( { name = \"m\"; module = \"misbehave_router\"; mode = \"" mode "\"; } );\n"

static void test_create_without_message(void **state)
{
	(void)state;
	open_fails(DBR_ECONFIG, DB_OK, MR("silent"), "<string>:5: router \"m\": create failed without a message");
}

static void test_create_positive(void **state)
{
	(void)state;
	open_fails(DBR_ERROR, DB_OK, MR("positive"),
	           "<string>:5: router \"m\": create returned 1 (not 0 or a negative DBR_E* code) without a message");
}

static void test_create_unlocated(void **state)
{
	(void)state;
	open_fails(DBR_ECONFIG, DB_OK, MR("unlocated"), "<string>:5: router \"m\": mode \"unlocated\" says no");
}

static void test_conf_error_at_names_the_setting(void **state)
{
	(void)state;
	open_fails(DBR_ECONFIG, DB_OK,
	           "routers = ( {\n"
	           "  name = \"m\"; module = \"misbehave_router\";\n"
	           "  mode = \"at\";\n"
	           "  limit = 100;\n"
	           "} );\n",
	           "<string>:8: routers.[0].limit: too big");
	/* absent: the entry's line and the setting's path */
	open_fails(DBR_ECONFIG, DB_OK, MR("at"), "<string>:5: routers.[0].limit: too big");
}

static void test_conf_type(void **state)
{
	(void)state;
	open_fails(DBR_ECONFIG, DB_OK,
	           "routers = ( { name = \"m\"; module = \"misbehave_router\";\n"
	           "  mode = \"types\"; s = \"x\"; i = 1; f = 1.5; b = true; g = { }; l = ( 1 ); a = [ 1 ]; } );\n",
	           "<string>:6: routers.[0].mode: types: s=1 i=2 f=3 b=4 g=5 l=6 a=7 nothing=0");
}

/* A type query is not a read: a setting only peeked at is still unknown. */
static void test_conf_type_does_not_mark(void **state)
{
	(void)state;
	open_fails(DBR_ECONFIG, DB_OK,
	           "routers = ( { name = \"m\"; module = \"misbehave_router\"; mode = \"peek\"; extra = \"x\"; } );\n",
	           "<string>:5: routers.[0].extra: unknown setting");
}

static void test_duplicate_router_names(void **state)
{
	(void)state;
	open_fails(DBR_ECONFIG, DB_OK,
	           "routers = ( { name = \"m\"; module = \"misbehave_router\"; mode = \"ok\"; },\n"
	           "  { name = \"m\"; module = \"misbehave_router\"; mode = \"ok\"; } );\n",
	           "<string>:6: router \"m\": the chain already has a router named \"m\" (the entry at "
	           "<string>:5): names must be unique in a chain; give this entry its own, e.g. "
	           "name = \"m_2\"; module = \"misbehave_router\";");
	/* instance names tell two entries of one module apart */
	dbr *db = must_open(DB_OK,
	                    "routers = ( { name = \"m\"; module = \"misbehave_router\"; mode = \"ok\"; },\n"
	                    "  { name = \"m2\"; module = \"misbehave_router\"; mode = \"ok\"; } );\n");
	/* at run time too */
	assert_int_equal(dbr_add_router(db, "m2", "module = \"misbehave_router\"; mode = \"ok\";"), DBR_ECONFIG);
	assert_string_equal(dbr_errmsg(db),
	                    "<dbr_add_router>: router \"m2\": the chain already has a router named \"m2\" (the entry "
	                    "at <string>:6): names must be unique in a chain; give this entry its own, e.g. "
	                    "name = \"m2_2\"; module = \"misbehave_router\";");
	dbr_close(db);
}

/* explain is a dry run with a trace; dbr_apply with a trace out keeps one. */
static void test_request_flags(void **state)
{
	(void)state;
	dbr *db = must_open(DB_OK, MR("ok"));
	dbr_session *s;
	assert_int_equal(dbr_session_new(&s, db), 0);
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "SELECT 1";
	dbr_trace *t = NULL;
	assert_int_equal(dbr_explain(&t, s, &q), 0);
	assert_string_equal(dbr_trace_get(t, 0)->who, "m");
	assert_string_equal(dbr_trace_get(t, 0)->note, "flags=3");
	dbr_trace_free(t);
	t = NULL;
	assert_int_equal(dbr_apply(&t, s, NULL, "ignored"), DBR_ERROR); /* misbehave's script */
	dbr_session_free(s);
	dbr_close(db);
}

/* ---------------------------------------------------------- transactions */

static const char *const expected_journal[] = {
	"begin", "savepoint dbr_sp_2", "savepoint dbr_sp_3", "rollback_to dbr_sp_3",
	"release dbr_sp_3", "exec INSERT", "release dbr_sp_2", "commit", "begin", "rollback",
};

static void test_tx_ops_are_used(void **state)
{
	(void)state;
	dbr *db = must_open("url = \"misbehave://x\"; pool = { max_connections = 1; };", NULL);
	dbr_session *s;
	dbr_result *r = NULL;
	assert_int_equal(dbr_session_new(&s, db), 0);
	assert_int_equal(dbr_tx_begin(s, NULL), 0);
	assert_int_equal(dbr_tx_begin(s, NULL), 0);
	assert_int_equal(dbr_tx_begin(s, NULL), 0);
	assert_int_equal(dbr_tx_rollback(s, NULL), 0);
	assert_int_equal(run(NULL, s, "INSERT"), 0);
	assert_int_equal(dbr_tx_commit(s, NULL), 0);
	assert_int_equal(dbr_tx_commit(s, NULL), 0);
	assert_int_equal(dbr_tx_begin(s, NULL), 0);
	assert_int_equal(dbr_tx_rollback(s, NULL), 0);
	assert_int_equal(run(&r, s, "journal"), 0);
	size_t n = sizeof(expected_journal) / sizeof(expected_journal[0]);
	assert_int_equal(dbr_result_nrows(r), n);
	for (size_t i = 0; i < n; i++) {
		const char *text;
		assert_int_equal(dbr_result_text(&text, NULL, r, i, 0), 0);
		assert_string_equal(text, expected_journal[i]);
	}
	dbr_result_free(r);
	dbr_session_free(s);
	dbr_close(db);
}

static void test_tx_op_positive(void **state)
{
	(void)state;
	dbr *db = must_open("url = \"misbehave://x?fail=begin\";", NULL);
	dbr_session *s;
	assert_int_equal(dbr_session_new(&s, db), 0);
	assert_int_equal(dbr_tx_begin(s, NULL), DBR_ERROR);
	assert_string_equal(dbr_session_errmsg(s),
	                    "driver \"misbehave\": begin returned 1 (not 0 or a negative DBR_E* code) without a message");
	assert_int_equal(dbr_tx_depth(s, NULL), 0);
	dbr_session_free(s);
	dbr_close(db);
}

/* ---------------------------------------------------------- schemes */

static void test_scheme_finds_module(void **state)
{
	(void)state;
	dbr *db = must_open(DB_OK, NULL); /* misbehave:// without driver = */
	const char *backend;
	assert_int_equal(dbr_backend(&backend, db, "default"), 0);
	assert_string_equal(backend, "test");
	dbr_close(db);
}

static void test_scheme_must_be_declared(void **state)
{
	(void)state;
	dbr *db;
	assert_int_equal(open_conf(&db, "url = \"noscheme://x\";", NULL), DBR_ECONFIG);
	const char *m = dbr_error_last()->message;
	const char *head = "<string>:3: databases.default: driver \"noscheme\" (";
	const char *tail = "), loaded for the URL scheme \"noscheme\", does not declare that scheme in its "
	                   "ops' schemes: set driver = \"...\" if it really serves it";
	assert_int_equal(strncmp(m, head, strlen(head)), 0);
	assert_string_equal(m + strlen(m) - strlen(tail), tail);
	/* named explicitly, it is trusted */
	db = must_open("url = \"noscheme://x\"; driver = \"noscheme\";", NULL);
	dbr_close(db);
}

static void test_unknown_scheme(void **state)
{
	(void)state;
	dbr *db;
	assert_int_equal(open_conf(&db, "url = \"nosuchdb://x\";", NULL), DBR_EPLUGIN);
	const char *m = dbr_error_last()->message;
	const char *head = "<string>:3: databases.default: ";
	assert_int_equal(strncmp(m, head, strlen(head)), 0);
	assert_non_null(strstr(m, "\"nosuchdb\" not found"));
	/* a scheme that cannot be a file name names no module */
	open_fails(DBR_ECONFIG, "url = \"no.such+db://x\";", NULL,
	           "<string>:3: databases.default.url: no built-in driver for scheme \"no.such+db\" of "
	           "no.such+db://x: set driver = \"...\"");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_row_before_columns),
		cmocka_unit_test(test_ignored_sink_error_still_fails),
		cmocka_unit_test(test_null_values),
		cmocka_unit_test(test_unknown_type),
		cmocka_unit_test(test_null_text),
		cmocka_unit_test(test_columns_twice),
		cmocka_unit_test(test_bad_row_corrupts_nothing),
		cmocka_unit_test(test_positive_return),
		cmocka_unit_test(test_positive_return_keeps_message),
		cmocka_unit_test(test_silent_failure_is_named),
		cmocka_unit_test(test_script_positive),
		cmocka_unit_test(test_connect_without_message),
		cmocka_unit_test(test_check_without_message),
		cmocka_unit_test(test_check_message_gets_location),
		cmocka_unit_test(test_create_without_message),
		cmocka_unit_test(test_create_positive),
		cmocka_unit_test(test_create_unlocated),
		cmocka_unit_test(test_conf_error_at_names_the_setting),
		cmocka_unit_test(test_conf_type),
		cmocka_unit_test(test_conf_type_does_not_mark),
		cmocka_unit_test(test_duplicate_router_names),
		cmocka_unit_test(test_request_flags),
		cmocka_unit_test(test_tx_ops_are_used),
		cmocka_unit_test(test_tx_op_positive),
		cmocka_unit_test(test_scheme_finds_module),
		cmocka_unit_test(test_scheme_must_be_declared),
		cmocka_unit_test(test_unknown_scheme),
	};
	return cmocka_run_group_tests_name("plugin_calls", tests, NULL, NULL);
}
