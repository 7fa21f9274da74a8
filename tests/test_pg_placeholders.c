/* SPDX-License-Identifier: MIT */
/*
 * test_pg_placeholders.c — the `?` → `$n` rewriter the PostgreSQL driver
 * gets from the host (dbr_host.sql_placeholders, the core's lexer), from a
 * table of cases (no server needed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dbrouter/plugin.h>

#include "internal.h"
#include "tokenize.h"

typedef struct ph_case {
	const char *name;
	const char *sql;
	int std_strings;
	const char *want;
	size_t nparams; /* the count of ?, or the highest $n */
} ph_case;

static const ph_case CASES[] = {
	{ "plain", "SELECT ?", 1, "SELECT $1", 1 },
	{ "several", "INSERT INTO t VALUES (?, ?, ?)", 1, "INSERT INTO t VALUES ($1, $2, $3)", 3 },
	{ "ten and more", "?,?,?,?,?,?,?,?,?,?,?", 1, "$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11", 11 },
	{ "none", "SELECT 1", 1, "SELECT 1", 0 },
	{ "string literal", "SELECT '?', ?", 1, "SELECT '?', $1", 1 },
	{ "doubled quote", "SELECT 'it''s ?', ?", 1, "SELECT 'it''s ?', $1", 1 },
	{ "standard string keeps backslash", "SELECT 'a\\', ?", 1, "SELECT 'a\\', $1", 1 },
	{ "non-standard string escapes", "SELECT 'a\\' ?', ?", 0, "SELECT 'a\\' ?', $1", 1 },
	{ "E string escapes", "SELECT E'\\'?', ?", 1, "SELECT E'\\'?', $1", 1 },
	{ "e lower case", "SELECT e'\\'?', ?", 1, "SELECT e'\\'?', $1", 1 },
	{ "identifier ending in e", "SELECT some'?', ?", 1, "SELECT some'?', $1", 1 },
	{ "quoted identifier", "SELECT \"a?b\" FROM t WHERE x = ?", 1,
	  "SELECT \"a?b\" FROM t WHERE x = $1", 1 },
	{ "doubled identifier quote", "SELECT \"a\"\"?\" , ?", 1, "SELECT \"a\"\"?\" , $1", 1 },
	{ "dollar quoted", "SELECT $$?$$, ?", 1, "SELECT $$?$$, $1", 1 },
	{ "tagged dollar quote", "DO $body$ BEGIN PERFORM '?'; $$ ? $$; END $body$; SELECT ?", 1,
	  "DO $body$ BEGIN PERFORM '?'; $$ ? $$; END $body$; SELECT $1", 1 },
	{ "line comment", "SELECT ? -- what?\n, ?", 1, "SELECT $1 -- what?\n, $2", 2 },
	{ "block comment", "SELECT /* ? */ ?", 1, "SELECT /* ? */ $1", 1 },
	{ "nested block comment", "SELECT /* a /* ? */ ? */ ?", 1, "SELECT /* a /* ? */ ? */ $1", 1 },
	{ "double question mark", "SELECT data ?? 'k' FROM t WHERE id = ?", 1,
	  "SELECT data ? 'k' FROM t WHERE id = $1", 1 },
	{ "jsonb ?| and ?&", "SELECT d ??| ?, d ??& ?", 1, "SELECT d ?| $1, d ?& $2", 2 },
	{ "already $n", "SELECT $1, $2 WHERE d ? 'k'", 1, "SELECT $1, $2 WHERE d ? 'k'", 2 },
	{ "highest $n counts", "SELECT $3, $1", 1, "SELECT $3, $1", 3 },
	{ "$ inside identifier", "SELECT a$1, ?", 1, "SELECT a$1, $1", 1 },
	{ "cast after placeholder", "SELECT ?::int", 1, "SELECT $1::int", 1 },
	{ "unterminated string", "SELECT '?", 1, "SELECT '?", 0 },
	{ "unterminated comment", "SELECT ? /* ?", 1, "SELECT $1 /* ?", 1 },
	{ "utf-8 text", "SELECT 'é?', ? AS \"ü?\"", 1, "SELECT 'é?', $1 AS \"ü?\"", 1 },
	{ "empty", "", 1, "", 0 },
	{ "dollar tag with digits", "SELECT $a1$ ? $a1$, ?", 1, "SELECT $a1$ ? $a1$, $1", 1 },
	{ "unterminated dollar quote", "SELECT ?, $q$ ?", 1, "SELECT $1, $q$ ?", 1 },
	{ "placeholder after comment end", "SELECT /* x */? /* y */", 1, "SELECT /* x */$1 /* y */", 1 },
	{ "line comment at the end", "SELECT ? -- ?", 1, "SELECT $1 -- ?", 1 },
	{ "E string then ?", "SELECT E'a\\\\'?", 1, "SELECT E'a\\\\'$1", 1 },
	{ "non-standard, E-less string", "SELECT 'a\\'?', ?", 0, "SELECT 'a\\'?', $1", 1 },
};

/* Through the host table, as the driver calls it. */
static void test_cases(void **state)
{
	(void)state;
	const dbr_host *h = &dbr__host;
	assert_true(DBR_HAS_MEMBER(dbr_host, h, sql_placeholders));
	for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
		const ph_case *c = &CASES[i];
		char *out = NULL;
		size_t n = 99;
		assert_int_equal(h->sql_placeholders(&out, &n, c->sql, DBR_SQL_POSTGRES,
		                                     c->std_strings ? 0 : DBR_SQL_BACKSLASH_QUOTES), 0);
		if (strcmp(out, c->want) != 0 || n != c->nparams)
			fail_msg("case \"%s\": got \"%s\" (%zu params), want \"%s\" (%zu)", c->name,
			         out, n, c->want, c->nparams);
		h->free(out);
	}
}

/* A long statement with many placeholders grows the output past its first
 * allocation; the numbers stay in order. */
static void test_grows(void **state)
{
	(void)state;
	char sql[4096] = "SELECT ?", want[8192] = "SELECT $1";
	for (int i = 2; i <= 500; i++) {
		strcat(sql, ",?");
		snprintf(want + strlen(want), sizeof want - strlen(want), ",$%d", i);
	}
	char *out = NULL;
	size_t n = 0;
	assert_int_equal(dbr__sql_placeholders(&out, &n, sql, DBR_SQL_POSTGRES, 0), 0);
	assert_string_equal(out, want);
	assert_int_equal(n, 500);
	free(out);
}

/* `??` is a literal `?` on PostgreSQL only: on other dialects two markers. */
static void test_dialects(void **state)
{
	(void)state;
	char *out = NULL;
	size_t n = 0;
	assert_int_equal(dbr__sql_placeholders(&out, &n, "SELECT ??, `?`, '\\'', ?",
	                                       DBR_SQL_MYSQL, 0), 0);
	assert_string_equal(out, "SELECT $1$2, `?`, '\\'', $3");
	assert_int_equal(n, 3);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_grows),
		cmocka_unit_test(test_dialects),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
