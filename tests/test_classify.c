/* SPDX-License-Identifier: MIT */
/* test_classify.c — the classifier over tables of SQL samples, read in
 * each dialect (GENERIC is what dbr_classify uses), and the lexer under it:
 * keyword lookup, tokens that rebuild the text, a deployment's own write
 * functions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <dbrouter/dbrouter.h>

#include "internal.h"
#include "tokenize.h"

/* Dialect masks. */
#define G 1u  /* generic: dbr_classify */
#define P 2u  /* PostgreSQL */
#define M 4u  /* MariaDB / MySQL */
#define S 8u  /* SQLite */
#define ALL (G | P | M | S)

typedef struct ccase {
	unsigned dialects;
	const char *sql;
	dbr__sql_kind want;
	const char *name; /* the TAP line: what the case shows */
} ccase;

#define R(d, sql, name) { d, sql, DBR__SQL_READ, "read: " name }
#define W(d, sql, name) { d, sql, DBR__SQL_WRITE, "write: " name }
#define T(d, sql, name) { d, sql, DBR__SQL_TX, "transaction: " name }

static const ccase cases[] = {
	/* plain reads */
	R(ALL, "SELECT 1", "select"),
	R(ALL, "  \n\tselect * from t where id = ?", "lower case after blanks"),
	R(ALL, "-- a comment\nSELECT a FROM t", "line comment first"),
	R(ALL, "/* lead */ /* two */ SELECT a FROM t", "block comments first"),
	R(ALL, "((SELECT a FROM t) UNION (SELECT b FROM u))", "leading parentheses"),
	R(ALL, "SELECT 1;", "trailing semicolon"),
	R(ALL, "SELECT 1; -- done\n /* end */  ", "semicolon then comments"),
	R(ALL, "SELECT 1;;", "two semicolons"),
	R(ALL, "SHOW TABLES", "show"),
	R(ALL, "show transaction_isolation", "show (PostgreSQL)"),
	R(ALL, "SHOW autocommit", "show autocommit"),
	R(ALL, "DESCRIBE users", "describe"),
	R(ALL, "DESC users", "desc"),
	R(ALL, "EXPLAIN SELECT * FROM t", "explain select"),
	R(ALL, "EXPLAIN DELETE FROM t", "explain without analyze only plans"),
	R(ALL, "EXPLAIN QUERY PLAN SELECT * FROM t", "sqlite explain query plan"),
	R(ALL, "EXPLAIN ANALYZE SELECT * FROM t", "explain analyze select"),
	R(ALL, "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT 1", "explain (analyze) select"),
	R(ALL, "EXPLAIN FORMAT=JSON SELECT 1", "mysql explain format"),
	R(ALL, "VALUES (1, 'a'), (2, 'b')", "values"),
	R(ALL, "TABLE users", "table statement"),
	R(ALL, "PRAGMA journal_mode", "pragma read"),
	R(ALL, "PRAGMA main.table_info(users)", "pragma introspection with argument"),
	R(ALL, "WITH x AS (SELECT 1 AS a) SELECT a FROM x", "with ... select"),
	R(ALL, "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM r WHERE n < 5) "
	       "SELECT * FROM r", "recursive with"),
	R(ALL, "SELECT 'FOR UPDATE', 'it''s INTO' FROM t", "keywords inside strings"),
	R(ALL, "SELECT \"into\", `update` FROM t", "keywords as quoted names"),
	R(ALL, "SELECT a /* FOR UPDATE */ FROM t -- INTO\n", "keywords inside comments"),
	R(ALL, "SELECT 1 /*+ FOR UPDATE */", "optimizer hint comment"),
	R(ALL, "SELECT $1::int, a$b FROM t", "placeholders and $ in names"),
	R(ALL, "SELECT :name, @v, $x FROM t", "named parameters and variables"),
	R(ALL, "SELECT * FROM t FOR SYSTEM_TIME AS OF TIMESTAMP '2024-01-01'", "FOR other than locks"),
	R(ALL, "SELECT 'a;b' FROM t", "semicolon in a string"),
	R(ALL, "SELECT 1.5e+3, .5, 0x1F FROM t", "numbers"),
	R(ALL, "SELECT count(*), max(a), coalesce(b, 0) FROM t", "functions that read"),
	R(ALL, "SELECT now(), pg_is_in_recovery(), pg_last_wal_replay_lsn()", "more read functions"),
	R(ALL, "SELECT txid_current_snapshot(), lo_get(1)", "near names of writers that read"),
	R(ALL, "SELECT is_free_lock('x'), IS_USED_LOCK('x')", "lock tests read"),
	R(ALL, "SELECT pg_sleep(0)", "sleep reads"),
	R(ALL, "SELECT nextval FROM t", "a column named like a writer"),
	R(ALL, "SELECT t.nextval, \"setval\" FROM t", "qualified and quoted columns, no call"),
	R(ALL, "SELECT 'nextval(1)' FROM t", "a call inside a string"),
	R(ALL, "SELECT 1 -- nextval('s')\n", "a call inside a comment"),
	R(ALL, "SELECT \"a\"\"nextval(\" FROM t", "doubled quote in a quoted name"),
	R(ALL, "SELECT x FROM t ORDER BY update_time", "a word starting with a keyword"),
	R(ALL, "SELECT into_date, for_key FROM t", "more keyword prefixes"),
	R(ALL, "SELECT a FROM t WHERE b IN (1, 2)", "IN list"),
	R(ALL, "SELECT @@autocommit", "reading autocommit"),
	R(ALL, "SELECT 'BEGIN', commit_ts FROM t", "transaction words as data"),
	R(ALL, "SELECT `a``b` FROM t", "doubled backtick"),
	R(ALL, "SELECT 'é' AS \"ünïcode\" FROM t", "UTF-8 text"),
	R(ALL, "select * from t where a = ? and b like 'x%' limit 10 offset 20", "a typical read"),
	R(ALL, "SELECT a FROM t UNION SELECT b FROM u EXCEPT SELECT c FROM v", "set operations"),
	R(ALL, "SELECT CASE WHEN a THEN 1 ELSE 2 END FROM t", "CASE ... END in a read"),
	R(ALL, "SELECT key, value FROM kv", "KEY and VALUE as column names"),
	R(ALL, "SELECT * FROM lock_table, share", "LOCK and SHARE prefixes"),
	/* dialects disagree */
	R(P, "SELECT $$ DELETE FROM t $$, $body$ INTO $body$", "keywords inside dollar quotes"),
	W(G | M | S, "SELECT $$ DELETE FROM t $$", "$$ is a name or parameter outside PostgreSQL"),
	R(P, "SELECT $a$, nextval('s') $a$", "a call inside a dollar quote"),
	W(G | M | S, "SELECT $a$, nextval('s') $a$", "$a$ is a name: the call is real"),
	W(P, "SELECT $a$, nextval('s')", "unterminated dollar quote"),
	R(P | G | M, "SELECT E'\\' nextval(1) '", "E string with a backslash escape"),
	W(S, "SELECT E'\\' nextval(1) '", "no E strings on SQLite"),
	R(S, "SELECT [nextval(] FROM t", "bracketed name on SQLite"),
	W(G | P | M, "SELECT [nextval(] FROM t", "brackets are no quotes elsewhere"),
	R(M, "SELECT 1 # FOR UPDATE\n", "hash comment on MariaDB"),
	W(G | P | S, "SELECT 1 # FOR UPDATE\n", "hash is no comment elsewhere"),
	W(G | M, "SELECT 1 /*! FOR UPDATE */", "executable comment is SQL"),
	R(P | S, "SELECT 1 /*! FOR UPDATE */", "executable comment is a comment elsewhere"),
	W(G | M, "SELECT 1 /*M! FOR UPDATE */", "MariaDB-only executable comment"),
	W(G | M, "SELECT 1 /*!50000 FOR UPDATE */", "versioned executable comment"),
	W(G | M, "SELECT 1 /*!100100 LOCK IN SHARE MODE */", "six-digit version"),
	W(G | M, "SELECT /*! nextval(s), */ 1", "call inside an executable comment"),
	R(M, "SELECT /*! 1, */ 2 /*!50000 , 3 */", "executable comments that read"),
	W(G | M, "SELECT 1--1 FOR UPDATE", "-- without a blank is no comment on MariaDB"),
	R(P | S, "SELECT 1--1 FOR UPDATE", "-- is a comment elsewhere"),
	R(M, "SELECT 'a\\' FOR UPDATE -- '", "backslash escape on MariaDB"),
	W(G | P | S, "SELECT 'a\\' FOR UPDATE -- '", "backslash is plain elsewhere"),
	R(M, "SELECT \"a\\\" FOR UPDATE -- \"", "double-quoted string on MariaDB"),
	W(G | P | S, "SELECT \"a\\\" FOR UPDATE -- \"", "double quotes name elsewhere"),
	R(P, "SELECT /* a /* b */ nextval(1) */ 1", "nested comment on PostgreSQL"),
	W(G | M | S, "SELECT /* a /* b */ nextval(1) */ 1", "comments do not nest elsewhere"),
	/* writes */
	W(ALL, "INSERT INTO t VALUES (1)", "insert"),
	W(ALL, "update t set a = 1", "update"),
	W(ALL, "DELETE FROM t", "delete"),
	W(ALL, "REPLACE INTO t VALUES (1)", "replace"),
	W(ALL, "CREATE TABLE t (a int)", "ddl"),
	W(ALL, "SET search_path = app", "set"),
	W(ALL, "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY", "session default"),
	W(ALL, "SET @autocommit = 0", "a user variable named autocommit"),
	W(ALL, "SET x = 'autocommit'", "autocommit as a value"),
	W(ALL, "SELECT * FROM t FOR UPDATE", "select for update"),
	W(ALL, "SELECT * FROM t for share", "select for share"),
	W(ALL, "SELECT * FROM t FOR NO KEY UPDATE", "for no key update"),
	W(ALL, "SELECT * FROM t FOR KEY SHARE", "for key share"),
	W(ALL, "SELECT * FROM t FOR UPDATE OF t SKIP LOCKED", "for update of, skip locked"),
	W(ALL, "SELECT * FROM t LOCK IN SHARE MODE", "lock in share mode"),
	W(ALL, "SELECT * INTO backup FROM t", "select into"),
	W(ALL, "SELECT a FROM t INTO OUTFILE '/tmp/x'", "select into outfile"),
	W(ALL, "SELECT a INTO @x FROM t", "select into a variable"),
	W(ALL, "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", "data-modifying cte"),
	W(ALL, "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x", "with ... insert"),
	W(ALL, "WITH u AS (UPDATE t SET a = 1 RETURNING a) SELECT a FROM u", "cte update"),
	W(ALL, "EXPLAIN ANALYZE DELETE FROM t", "explain analyze of a write"),
	W(ALL, "EXPLAIN (ANALYZE) UPDATE t SET a = 1", "explain (analyze) of a write"),
	W(ALL, "EXPLAIN ANALYZE SELECT nextval('s')", "explain analyze of a writing call"),
	W(ALL, "PRAGMA journal_mode = WAL", "pragma with ="),
	W(ALL, "PRAGMA journal_mode(WAL)", "pragma with argument"),
	W(ALL, "PRAGMA optimize", "pragma that writes"),
	W(ALL, "SELECT 1; DELETE FROM t", "two statements"),
	W(ALL, "SELECT 1; SELECT 2", "two reads are still several statements"),
	W(ALL, NULL, "NULL"),
	W(ALL, "", "empty"),
	W(ALL, "   -- only a comment\n", "only a comment"),
	W(ALL, "SELECT 'unterminated", "unterminated string"),
	W(ALL, "SELECT \"unterminated", "unterminated quoted name"),
	W(ALL, "SELECT 1 /* unterminated", "unterminated comment"),
	W(ALL, "CALL proc()", "call"),
	W(ALL, "DO $$ BEGIN PERFORM 1; END $$", "do block"),
	W(ALL, "ANALYZE t", "analyze"),
	W(ALL, "(INSERT INTO t VALUES (1))", "parenthesised write"),
	W(ALL, "BEGIN NOT ATOMIC INSERT INTO t VALUES (1); END", "MariaDB compound statement"),
	W(ALL, "START SLAVE", "start other than a transaction"),
	W(ALL, "PREPARE s FROM 'SELECT 1'", "prepare a statement"),
	/* functions that write, lock or signal, in a SELECT */
	W(ALL, "SELECT nextval('s')", "nextval"),
	W(ALL, "SELECT \"nextval\"('s')", "quoted nextval"),
	W(ALL, "SELECT pg_catalog.nextval('s')", "schema-qualified nextval"),
	W(ALL, "SELECT PG_CATALOG.\"NEXTVAL\"('s')", "qualified, quoted, upper case"),
	W(ALL, "SELECT NEXTVAL ('s')", "a blank before the parenthesis"),
	W(ALL, "SELECT nextval/* c */('s')", "a comment before the parenthesis"),
	W(ALL, "SELECT setval('s', 1)", "setval"),
	W(ALL, "SELECT currval('s')", "currval: session state of the primary"),
	W(ALL, "SELECT lastval()", "lastval"),
	W(ALL, "SELECT lo_import('/tmp/x')", "lo_import"),
	W(ALL, "SELECT lo_export(1, '/tmp/x')", "lo_export"),
	W(ALL, "SELECT lo_unlink(1)", "lo_unlink"),
	W(ALL, "SELECT lo_create(0)", "lo_create"),
	W(ALL, "SELECT lo_creat(-1)", "lo_creat"),
	W(ALL, "SELECT lo_from_bytea(0, 'x')", "lo_from_bytea"),
	W(ALL, "SELECT lo_put(1, 0, 'x')", "lo_put"),
	W(ALL, "SELECT pg_advisory_lock(1)", "advisory lock"),
	W(ALL, "SELECT pg_advisory_lock_shared(1)", "advisory lock shared"),
	W(ALL, "SELECT pg_advisory_unlock(1)", "advisory unlock"),
	W(ALL, "SELECT pg_advisory_unlock_shared(1)", "advisory unlock shared"),
	W(ALL, "SELECT pg_advisory_unlock_all()", "advisory unlock all"),
	W(ALL, "SELECT pg_advisory_xact_lock(1)", "advisory xact lock"),
	W(ALL, "SELECT pg_advisory_xact_lock_shared(1)", "advisory xact lock shared"),
	W(ALL, "SELECT pg_try_advisory_lock(1)", "try advisory lock"),
	W(ALL, "SELECT pg_try_advisory_lock_shared(1)", "try advisory lock shared"),
	W(ALL, "SELECT pg_try_advisory_xact_lock(1)", "try advisory xact lock"),
	W(ALL, "SELECT pg_try_advisory_xact_lock_shared(1)", "try advisory xact lock shared"),
	W(ALL, "SELECT pg_notify('c', 'p')", "pg_notify"),
	W(ALL, "SELECT txid_current()", "txid_current assigns an xid"),
	W(ALL, "SELECT pg_current_xact_id()", "pg_current_xact_id assigns an xid"),
	W(ALL, "SELECT set_config('a.b', 'c', false)", "set_config"),
	W(ALL, "SELECT pg_switch_wal()", "pg_switch_wal"),
	W(ALL, "SELECT pg_terminate_backend(1)", "pg_terminate_backend"),
	W(ALL, "SELECT pg_cancel_backend(1)", "pg_cancel_backend"),
	W(ALL, "SELECT dblink_exec('x')", "dblink_exec"),
	W(ALL, "SELECT a, nextval('s') FROM t WHERE b = 1", "a call among columns"),
	W(ALL, "SELECT * FROM t WHERE id = (SELECT nextval('s'))", "a call in a subquery"),
	W(ALL, "WITH x AS (SELECT nextval('s')) SELECT * FROM x", "a call in a CTE"),
	W(ALL, "SELECT LAST_INSERT_ID(5)", "last_insert_id(expr) sets it"),
	W(ALL, "SELECT LAST_INSERT_ID()", "last_insert_id(): session state of the primary"),
	W(ALL, "SELECT GET_LOCK('x', 1)", "get_lock"),
	W(ALL, "SELECT RELEASE_LOCK('x')", "release_lock"),
	W(ALL, "SELECT RELEASE_ALL_LOCKS()", "release_all_locks"),
	W(ALL, "SELECT NEXT VALUE FOR s", "next value for"),
	W(ALL, "SELECT PREVIOUS VALUE FOR s", "previous value for: session state"),
	W(ALL, "SELECT NEXTVAL(s), SETVAL(s, 10), LASTVAL(s)", "MariaDB sequence functions"),
	W(ALL, "SELECT `nextval`(s)", "backquoted call"),
	/* transaction control: refused by dbr_exec */
	T(ALL, "BEGIN", "begin"),
	T(ALL, "begin;", "begin with a semicolon"),
	T(ALL, "BEGIN WORK", "begin work"),
	T(ALL, "BEGIN TRANSACTION", "begin transaction"),
	T(ALL, "BEGIN ISOLATION LEVEL SERIALIZABLE", "begin with options"),
	T(ALL, "BEGIN IMMEDIATE", "sqlite begin immediate"),
	T(ALL, "START TRANSACTION", "start transaction"),
	T(ALL, "START TRANSACTION READ ONLY", "start transaction read only"),
	T(ALL, "COMMIT", "commit"),
	T(ALL, "COMMIT WORK", "commit work"),
	T(ALL, "END", "end"),
	T(ALL, "END TRANSACTION", "end transaction"),
	T(ALL, "ROLLBACK", "rollback"),
	T(ALL, "ROLLBACK TO SAVEPOINT a", "rollback to savepoint"),
	T(ALL, "ROLLBACK TO a", "rollback to"),
	T(ALL, "ABORT", "abort"),
	T(ALL, "SAVEPOINT a", "savepoint"),
	T(ALL, "RELEASE SAVEPOINT a", "release savepoint"),
	T(ALL, "RELEASE a", "release"),
	T(ALL, "SET TRANSACTION ISOLATION LEVEL READ COMMITTED", "set transaction"),
	T(ALL, "SET SESSION TRANSACTION READ ONLY", "set session transaction"),
	T(ALL, "PREPARE TRANSACTION 'x'", "prepare transaction"),
	T(ALL, "COMMIT PREPARED 'x'", "commit prepared"),
	T(ALL, "ROLLBACK PREPARED 'x'", "rollback prepared"),
	T(ALL, "SET autocommit=0", "set autocommit=0"),
	T(ALL, "SET autocommit = OFF", "set autocommit = OFF"),
	T(G | P | M, "SET @@autocommit = OFF", "set @@autocommit"),
	W(S, "SET @@autocommit = OFF", "no SET on SQLite (@name is a parameter)"),
	T(ALL, "SET @@session.autocommit=0", "set @@session.autocommit"),
	T(ALL, "SET SESSION autocommit=0", "set session autocommit"),
	T(ALL, "set AUTOCOMMIT=1", "set autocommit=1"),
	T(ALL, "SET sql_mode='', autocommit=0", "autocommit among other assignments"),
	T(ALL, "XA START 'x'", "xa start"),
	T(ALL, "XA END 'x'", "xa end"),
	T(ALL, "XA PREPARE 'x'", "xa prepare"),
	T(ALL, "XA COMMIT 'x'", "xa commit"),
	T(ALL, "XA ROLLBACK 'x'", "xa rollback"),
	T(ALL, "XA RECOVER", "xa recover"),
	T(ALL, "/* c */ COMMIT", "after a comment"),
	T(ALL, "-- c\nBEGIN", "after a line comment"),
};

static const struct {
	unsigned bit;
	dbr_sql_dialect d;
	const char *tag;
} DIALECTS[] = {
	{ G, DBR_SQL_GENERIC, "generic" }, { P, DBR_SQL_POSTGRES, "postgres" },
	{ M, DBR_SQL_MYSQL, "mariadb" },   { S, DBR_SQL_SQLITE, "sqlite" },
};
#define NDIALECTS (sizeof DIALECTS / sizeof DIALECTS[0])

typedef struct run {
	const ccase *c;
	size_t dialect;
	char name[160];
} run;

static void test_case(void **state)
{
	const run *r = *state;
	dbr__sql_kind got = dbr__classify(r->c->sql, DIALECTS[r->dialect].d, NULL);
	if (got != r->c->want)
		fail_msg("%s: got %d, want %d", r->name, (int)got, (int)r->c->want);
	/* The public API: transaction control is a write there; and the
	 * transaction check alone agrees with the full one. */
	if (DIALECTS[r->dialect].d == DBR_SQL_GENERIC)
		assert_int_equal(dbr_classify(r->c->sql),
		                 r->c->want == DBR__SQL_READ ? DBR_INTENT_READ : DBR_INTENT_WRITE);
	assert_int_equal(dbr__sql_is_tx(r->c->sql, DIALECTS[r->dialect].d),
	                 r->c->want == DBR__SQL_TX);
}

/* Every keyword is found in any case, and only keywords are. */
static void test_keywords(void **state)
{
	(void)state;
	for (int k = DBR__KW_NONE + 1; k < DBR__KW_COUNT_; k++) {
		char lower[32], mixed[32];
		const char *name = dbr__kw_name((dbr__kw)k);
		size_t n = strlen(name);
		for (size_t i = 0; i <= n; i++) {
			lower[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
			mixed[i] = i % 2 ? lower[i] : name[i];
		}
		assert_int_equal(dbr__kw_lookup(name, n), k);
		assert_int_equal(dbr__kw_lookup(lower, n), k);
		assert_int_equal(dbr__kw_lookup(mixed, n), k);
		assert_int_not_equal(dbr__kw_lookup(name, n - 1), k);
	}
	static const char *const not_kw[] = { "selects", "sel", "x", "ab", "updat", "transactions",
	                                      "autocommits", "select_", "" };
	for (size_t i = 0; i < sizeof not_kw / sizeof not_kw[0]; i++)
		assert_int_equal(dbr__kw_lookup(not_kw[i], strlen(not_kw[i])), DBR__KW_NONE);
}

/* Tokens cover the text exactly, in every dialect, bad text included. */
static void test_tokens_rebuild(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (!cases[i].sql)
			continue;
		for (size_t d = 0; d < NDIALECTS; d++) {
			dbr__lexer lx;
			dbr__token t;
			char buf[512] = "";
			size_t len = 0;
			dbr__lex_init(&lx, cases[i].sql, DIALECTS[d].d, 0);
			while (dbr__lex_next(&lx, &t) != DBR__TK_END) {
				assert_true(t.n > 0);
				assert_true(len + t.n < sizeof buf);
				memcpy(buf + len, t.s, t.n);
				len += t.n;
			}
			buf[len] = '\0';
			assert_string_equal(buf, cases[i].sql);
		}
	}
}

static int count_comments(void *ctx, const dbr__token *t)
{
	*(int *)ctx += t->kind == DBR__TK_COMMENT;
	return 0;
}

static int stop_at_word(void *ctx, const dbr__token *t)
{
	(void)ctx;
	return t->kind == DBR__TK_WORD ? 7 : 0;
}

/* A consumer walks tokens with a callback (the comment hints will). */
static void test_walk(void **state)
{
	int n = 0;
	(void)state;
	assert_int_equal(dbr__lex_walk("/* dbr: a */ SELECT 1 -- b\n", DBR_SQL_POSTGRES, 0,
	                               count_comments, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(dbr__lex_walk("  SELECT", DBR_SQL_GENERIC, 0, stop_at_word, NULL), 7);
}

/* write_functions = [ "my_fn", "audit.log_it" ]. */
static void test_extra_functions(void **state)
{
	char *names[] = { "My_Fn", "audit.log_it" };
	dbr__wfuncs *w = NULL;
	(void)state;
	assert_int_equal(dbr__wfuncs_new(&w, names, 2), 0);
	assert_non_null(w);
	static const struct {
		const char *sql;
		dbr__sql_kind want;
	} c[] = {
		{ "SELECT my_fn(1)", DBR__SQL_WRITE },
		{ "SELECT x.MY_FN(1)", DBR__SQL_WRITE },
		{ "SELECT audit.log_it(1)", DBR__SQL_WRITE },
		{ "SELECT \"audit\".\"log_it\"(1)", DBR__SQL_WRITE },
		{ "SELECT a FROM t WHERE b = audit . log_it (2)", DBR__SQL_WRITE },
		{ "SELECT log_it(1)", DBR__SQL_READ },
		{ "SELECT other.log_it(1)", DBR__SQL_READ },
		{ "SELECT my_fn FROM t", DBR__SQL_READ },
		{ "SELECT 'my_fn(1)'", DBR__SQL_READ },
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
		for (size_t d = 0; d < NDIALECTS; d++)
			if (dbr__classify(c[i].sql, DIALECTS[d].d, w) != c[i].want)
				fail_msg("%s (%s): want %d", c[i].sql, DIALECTS[d].tag, (int)c[i].want);
	/* Without the setting they are ordinary calls. */
	assert_int_equal(dbr__classify("SELECT my_fn(1)", DBR_SQL_POSTGRES, NULL), DBR__SQL_READ);
	dbr__wfuncs_free(w);
	assert_int_equal(dbr__wfuncs_new(&w, NULL, 0), 0);
	assert_null(w);
}

static void test_dialect_of(void **state)
{
	(void)state;
	assert_int_equal(dbr__dialect_of("postgres"), DBR_SQL_POSTGRES);
	assert_int_equal(dbr__dialect_of("mariadb"), DBR_SQL_MYSQL);
	assert_int_equal(dbr__dialect_of("/x/drivers/sqlite.la"), DBR_SQL_SQLITE);
	assert_int_equal(dbr__dialect_of("oracle"), DBR_SQL_GENERIC);
	assert_int_equal(dbr__dialect_of(NULL), DBR_SQL_GENERIC);
}

int main(void)
{
	enum { N = sizeof(cases) / sizeof(cases[0]) };
	static run runs[N * 4];
	static struct CMUnitTest tests[N * 4 + 8];
	size_t n = 0;
	for (size_t i = 0; i < N; i++)
		for (size_t d = 0; d < NDIALECTS; d++) {
			if (!(cases[i].dialects & DIALECTS[d].bit))
				continue;
			run *r = &runs[n];
			r->c = &cases[i];
			r->dialect = d;
			snprintf(r->name, sizeof r->name, "%s %s", DIALECTS[d].tag, cases[i].name);
			tests[n++] = (struct CMUnitTest){ r->name, test_case, NULL, NULL, r };
		}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_keywords);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_tokens_rebuild);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_walk);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_extra_functions);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_dialect_of);
	return _cmocka_run_group_tests("classify", tests, n, NULL, NULL);
}
