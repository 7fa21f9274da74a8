/*
 * test_pg_placeholders.c — the PostgreSQL driver's `?` → `$n` translator,
 * from a table of cases (no server needed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "placeholders.h"

typedef struct ph_case {
	const char *name;
	const char *sql;
	int std_strings;
	const char *want;
	size_t nparams;
	int dollar;
} ph_case;

static const ph_case CASES[] = {
	{ "plain", "SELECT ?", 1, "SELECT $1", 1, 0 },
	{ "several", "INSERT INTO t VALUES (?, ?, ?)", 1, "INSERT INTO t VALUES ($1, $2, $3)", 3, 0 },
	{ "ten and more", "?,?,?,?,?,?,?,?,?,?,?", 1, "$1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11", 11, 0 },
	{ "none", "SELECT 1", 1, "SELECT 1", 0, 0 },
	{ "string literal", "SELECT '?', ?", 1, "SELECT '?', $1", 1, 0 },
	{ "doubled quote", "SELECT 'it''s ?', ?", 1, "SELECT 'it''s ?', $1", 1, 0 },
	{ "standard string keeps backslash", "SELECT 'a\\', ?", 1, "SELECT 'a\\', $1", 1, 0 },
	{ "non-standard string escapes", "SELECT 'a\\' ?', ?", 0, "SELECT 'a\\' ?', $1", 1, 0 },
	{ "E string escapes", "SELECT E'\\'?', ?", 1, "SELECT E'\\'?', $1", 1, 0 },
	{ "e lower case", "SELECT e'\\'?', ?", 1, "SELECT e'\\'?', $1", 1, 0 },
	{ "identifier ending in e", "SELECT some'?', ?", 1, "SELECT some'?', $1", 1, 0 },
	{ "quoted identifier", "SELECT \"a?b\" FROM t WHERE x = ?", 1,
	  "SELECT \"a?b\" FROM t WHERE x = $1", 1, 0 },
	{ "doubled identifier quote", "SELECT \"a\"\"?\" , ?", 1, "SELECT \"a\"\"?\" , $1", 1, 0 },
	{ "dollar quoted", "SELECT $$?$$, ?", 1, "SELECT $$?$$, $1", 1, 0 },
	{ "tagged dollar quote", "DO $body$ BEGIN PERFORM '?'; $$ ? $$; END $body$; SELECT ?", 1,
	  "DO $body$ BEGIN PERFORM '?'; $$ ? $$; END $body$; SELECT $1", 1, 0 },
	{ "line comment", "SELECT ? -- what?\n, ?", 1, "SELECT $1 -- what?\n, $2", 2, 0 },
	{ "block comment", "SELECT /* ? */ ?", 1, "SELECT /* ? */ $1", 1, 0 },
	{ "nested block comment", "SELECT /* a /* ? */ ? */ ?", 1, "SELECT /* a /* ? */ ? */ $1", 1, 0 },
	{ "double question mark", "SELECT data ?? 'k' FROM t WHERE id = ?", 1,
	  "SELECT data ? 'k' FROM t WHERE id = $1", 1, 0 },
	{ "jsonb ?| and ?&", "SELECT d ??| ?, d ??& ?", 1, "SELECT d ?| $1, d ?& $2", 2, 0 },
	{ "already $n", "SELECT $1, $2 WHERE d ? 'k'", 1, "SELECT $1, $2 WHERE d ? 'k'", 2, 1 },
	{ "highest $n counts", "SELECT $3, $1", 1, "SELECT $3, $1", 3, 1 },
	{ "$ inside identifier", "SELECT a$1, ?", 1, "SELECT a$1, $1", 1, 0 },
	{ "cast after placeholder", "SELECT ?::int", 1, "SELECT $1::int", 1, 0 },
	{ "unterminated string", "SELECT '?", 1, "SELECT '?", 0, 0 },
	{ "unterminated comment", "SELECT ? /* ?", 1, "SELECT $1 /* ?", 1, 0 },
	{ "utf-8 text", "SELECT 'é?', ? AS \"ü?\"", 1, "SELECT 'é?', $1 AS \"ü?\"", 1, 0 },
	{ "empty", "", 1, "", 0, 0 },
};

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++) {
		const ph_case *c = &CASES[i];
		pgph_info info;
		long len = pgph_translate(NULL, 0, c->sql, c->std_strings, &info);
		char *out = malloc((size_t)len + 1);
		assert_non_null(out);
		long len2 = pgph_translate(out, (size_t)len + 1, c->sql, c->std_strings, &info);
		if (strcmp(out, c->want) != 0 || info.nparams != c->nparams ||
		    info.dollar != c->dollar)
			fail_msg("case \"%s\": got \"%s\" (%zu params, dollar %d), want \"%s\" "
			         "(%zu, %d)", c->name, out, info.nparams, info.dollar,
			         c->want, c->nparams, c->dollar);
		assert_int_equal(len, len2);
		assert_int_equal((size_t)len, strlen(c->want));
		free(out);
	}
}

/* A buffer too small gets a truncated, terminated prefix and the full length. */
static void test_truncates(void **state)
{
	char buf[8];
	pgph_info info;
	(void)state;
	long len = pgph_translate(buf, sizeof buf, "SELECT ?, ?", 1, &info);
	assert_int_equal(len, (long)strlen("SELECT $1, $2"));
	assert_string_equal(buf, "SELECT ");
	assert_int_equal(info.nparams, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_truncates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
