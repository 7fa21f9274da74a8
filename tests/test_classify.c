/* test_classify.c — dbr_classify over a table of SQL samples. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include <dbrouter/dbrouter.h>

typedef struct ccase {
	const char *sql;
	dbr_intent want;
	const char *name; /* the TAP line: what the case shows */
} ccase;

#define R(sql, name) { sql, DBR_INTENT_READ, "read: " name }
#define W(sql, name) { sql, DBR_INTENT_WRITE, "write: " name }

static const ccase cases[] = {
	/* plain reads */
	R("SELECT 1", "select"),
	R("  \n\tselect * from t where id = ?", "lower case after blanks"),
	R("-- a comment\nSELECT a FROM t", "line comment first"),
	R("/* lead */ /* two */ SELECT a FROM t", "block comments first"),
	R("((SELECT a FROM t) UNION (SELECT b FROM u))", "leading parentheses"),
	R("SELECT 1;", "trailing semicolon"),
	R("SELECT 1; -- done\n /* end */  ", "semicolon then comments"),
	R("SHOW TABLES", "show"),
	R("show transaction_isolation", "show (PostgreSQL)"),
	R("DESCRIBE users", "describe"),
	R("DESC users", "desc"),
	R("EXPLAIN SELECT * FROM t", "explain select"),
	R("EXPLAIN DELETE FROM t", "explain without analyze only plans"),
	R("EXPLAIN QUERY PLAN SELECT * FROM t", "sqlite explain query plan"),
	R("EXPLAIN ANALYZE SELECT * FROM t", "explain analyze select"),
	R("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT 1", "explain (analyze) select"),
	R("EXPLAIN FORMAT=JSON SELECT 1", "mysql explain format"),
	R("VALUES (1, 'a'), (2, 'b')", "values"),
	R("TABLE users", "table statement"),
	R("PRAGMA journal_mode", "pragma read"),
	R("PRAGMA main.table_info(users)", "pragma introspection with argument"),
	R("WITH x AS (SELECT 1 AS a) SELECT a FROM x", "with ... select"),
	R("WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM r WHERE n < 5) "
	  "SELECT * FROM r", "recursive with"),
	R("SELECT 'FOR UPDATE', 'it''s INTO' FROM t", "keywords inside strings"),
	R("SELECT \"into\", `update` FROM t", "keywords as quoted names"),
	R("SELECT $$ DELETE FROM t $$, $body$ INTO $body$", "keywords inside dollar quotes"),
	R("SELECT a /* FOR UPDATE */ FROM t -- INTO\n", "keywords inside comments"),
	R("SELECT $1::int, a$b FROM t", "placeholders and $ in names"),
	R("SELECT * FROM t FOR SYSTEM_TIME AS OF TIMESTAMP '2024-01-01'", "FOR other than locks"),
	R("SELECT 'a;b' FROM t", "semicolon in a string"),
	/* writes */
	W("INSERT INTO t VALUES (1)", "insert"),
	W("update t set a = 1", "update"),
	W("DELETE FROM t", "delete"),
	W("CREATE TABLE t (a int)", "ddl"),
	W("BEGIN", "transaction control"),
	W("SET search_path = app", "set"),
	W("SELECT * FROM t FOR UPDATE", "select for update"),
	W("SELECT * FROM t for share", "select for share"),
	W("SELECT * FROM t FOR NO KEY UPDATE", "for no key update"),
	W("SELECT * FROM t FOR KEY SHARE", "for key share"),
	W("SELECT * FROM t LOCK IN SHARE MODE", "lock in share mode"),
	W("SELECT * INTO backup FROM t", "select into"),
	W("SELECT a FROM t INTO OUTFILE '/tmp/x'", "select into outfile"),
	W("SELECT nextval('s')", "sequence function"),
	W("SELECT pg_advisory_lock(1)", "advisory lock"),
	W("SELECT GET_LOCK('x', 1)", "mysql lock function"),
	W("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", "data-modifying cte"),
	W("WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", "with ... insert"),
	W("EXPLAIN ANALYZE DELETE FROM t", "explain analyze of a write"),
	W("EXPLAIN (ANALYZE) UPDATE t SET a = 1", "explain (analyze) of a write"),
	W("PRAGMA journal_mode = WAL", "pragma with ="),
	W("PRAGMA journal_mode(WAL)", "pragma with argument"),
	W("PRAGMA optimize", "pragma that writes"),
	W("SELECT 1; DELETE FROM t", "two statements"),
	W("SELECT 1; SELECT 2", "two reads are still several statements"),
	W(NULL, "NULL"),
	W("", "empty"),
	W("   -- only a comment\n", "only a comment"),
	W("SELECT 'unterminated", "unterminated string"),
	W("SELECT 1 /* unterminated", "unterminated comment"),
	W("SELECT 'a\\' FOR UPDATE -- '", "backslash escape: unsure, so write"),
	W("SELECT 1 # FOR UPDATE\n", "hash comment in MySQL only: unsure"),
	W("SELECT 1 /*! FOR UPDATE */", "mysql executable comment"),
	W("SELECT 1--1 FOR UPDATE", "mysql: -- without space is no comment"),
	W("CALL proc()", "call"),
	W("ANALYZE t", "analyze"),
	W("(INSERT INTO t VALUES (1))", "parenthesised write"),
};

static void test_case(void **state)
{
	const ccase *c = *state;
	assert_int_equal(dbr_classify(c->sql), c->want);
}

int main(void)
{
	enum { N = sizeof(cases) / sizeof(cases[0]) };
	struct CMUnitTest tests[N];
	for (size_t i = 0; i < N; i++)
		tests[i] = (struct CMUnitTest){ cases[i].name, test_case, NULL, NULL,
		                                (void *)&cases[i] };
	return _cmocka_run_group_tests("classify", tests, N, NULL, NULL);
}
