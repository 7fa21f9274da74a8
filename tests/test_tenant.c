/* SPDX-License-Identifier: MIT */
/*
 * test_tenant — the tenant directory router and read-only transactions.
 *
 *   test_tenant            SQLite files in a temp dir (no server)
 *   test_tenant servers    the servers of tests/servers.sh: the directory on
 *                          the PostgreSQL primary, tenant databases created
 *                          there by the test; read-only transactions on a
 *                          streaming replica and on MariaDB
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <dbrouter/dbrouter.h>
#include "testutil.h"

static char dir[128];

/* Atomic: pool maintenance threads read the clock too. */
static _Atomic int64_t fake_us = 1700000000LL * 1000000;
static int64_t fake_clock(void) { return fake_us; }
static void advance(double seconds) { fake_us += (int64_t)(seconds * 1e6); }

/* ------------------------------------------------------------ helpers */

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("\"%s\" lacks \"%s\"", hay, needle);
}

static dbr *open_text(const char *text)
{
	dbr *db = NULL;
	if (dbr_open_string(&db, text) != 0)
		fail_msg("dbr_open_string: %s", dbr_error_last()->message);
	return db;
}

static dbr_session *session(dbr *db)
{
	dbr_session *s = NULL;
	assert_int_equal(dbr_session_new(&s, db), 0);
	return s;
}

static int run(dbr_result **out, dbr_session *s, const char *alias, const char *sql,
               const dbr_value *p, size_t n)
{
	dbr_query q = DBR_QUERY_INIT;
	q.sql = sql;
	q.using_alias = alias;
	q.params = p;
	q.nparams = n;
	return dbr_exec(out, s, &q);
}

static void ok(dbr_session *s, const char *alias, const char *sql, const dbr_value *p, size_t n)
{
	if (run(NULL, s, alias, sql, p, n) != 0)
		fail_msg("%s on %s: %s", sql, alias ? alias : "(routed)", dbr_session_errmsg(s));
}

/* The single cell of `sql` (routed unless alias) as text into buf; the
 * alias that served into served (may be NULL). */
static void cell(char *buf, size_t size, char *served, dbr_session *s, const char *alias,
                 const char *sql)
{
	dbr_result *r = NULL;
	const char *t = NULL;
	if (run(&r, s, alias, sql, NULL, 0) != 0)
		fail_msg("%s: %s", sql, dbr_session_errmsg(s));
	assert_int_equal(dbr_result_nrows(r), 1);
	assert_int_equal(dbr_result_text(&t, NULL, r, 0, 0), 0);
	snprintf(buf, size, "%s", t);
	if (served)
		snprintf(served, 64, "%s", dbr_result_alias(r));
	dbr_result_free(r);
}

static int has_alias(dbr *db, const char *alias)
{
	dbr_pool_stats st;
	return dbr_pool_stats_get(&st, db, alias) == 0;
}

/* Adds (or moves) a tenant in the directory table on `meta`. */
static void put_tenant(dbr_session *s, const char *id, const char *alias, const char *url)
{
	const dbr_value del[] = { dbr_text(id) };
	ok(s, "meta", "DELETE FROM tenants WHERE id = ?", del, 1);
	const dbr_value p[] = { dbr_text(id), dbr_text(alias), url ? dbr_text(url) : dbr_null() };
	ok(s, "meta", "INSERT INTO tenants (id, alias, url) VALUES (?, ?, ?)", p, 3);
}

/* ------------------------------------------------------------ SQLite */

/* default, meta (the directory) and the tenant router with `extra`
 * settings; the directory table created empty. */
static dbr *open_sqlite(const char *extra)
{
	char text[2048];
	snprintf(text, sizeof text,
	         "databases = {\n"
	         "  default = { url = \"sqlite://%s/app.db\"; };\n"
	         "  meta = { url = \"sqlite://%s/meta.db\"; };\n"
	         "};\n"
	         "routers = ( { name = \"tenant\"; directory = \"meta\"; %s } );\n",
	         dir, dir, extra);
	dbr *db = open_text(text);
	dbr_session *s = session(db);
	ok(s, "meta", "DROP TABLE IF EXISTS tenants", NULL, 0);
	ok(s, "meta", "CREATE TABLE tenants (id TEXT PRIMARY KEY, alias TEXT, url TEXT)", NULL, 0);
	dbr_session_free(s);
	return db;
}

static void sqlite_tenant_url(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "sqlite://%s/%s.db", dir, name);
}

static void adds_database_on_first_use(void **st)
{
	(void)st;
	dbr *db = open_sqlite("");
	dbr_session *s = session(db);
	char url[300], v[64], served[64];
	sqlite_tenant_url(url, sizeof url, "acme");
	put_tenant(s, "acme", "t_acme", url);
	assert_false(has_alias(db, "t_acme"));
	/* no hint: the router passes, the default serves */
	ok(s, NULL, "CREATE TABLE IF NOT EXISTS who (name TEXT)", NULL, 0);
	ok(s, NULL, "INSERT INTO who VALUES ('app')", NULL, 0);
	assert_int_equal(dbr_session_hint_set(s, "tenant", "acme"), 0);
	ok(s, NULL, "CREATE TABLE who (name TEXT)", NULL, 0);
	ok(s, NULL, "INSERT INTO who VALUES ('acme')", NULL, 0);
	assert_true(has_alias(db, "t_acme"));
	cell(v, sizeof v, served, s, NULL, "SELECT name FROM who");
	assert_string_equal(v, "acme");
	assert_string_equal(served, "t_acme");
	char path[300];
	snprintf(path, sizeof path, "%s/acme.db", dir);
	assert_int_equal(access(path, F_OK), 0);
	/* the trace says why */
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "SELECT name FROM who";
	dbr_trace *t = NULL;
	assert_int_equal(dbr_explain(&t, s, &q), 0);
	assert_contains(dbr_trace_text(t), "tenant acme");
	assert_string_equal(dbr_trace_alias(t), "t_acme");
	dbr_trace_free(t);
	/* the hint removed: back to the default */
	assert_int_equal(dbr_session_hint_set(s, "tenant", NULL), 0);
	cell(v, sizeof v, served, s, NULL, "SELECT name FROM who");
	assert_string_equal(v, "app");
	dbr_session_free(s);
	dbr_close(db);
}

static void cache_expires(void **st)
{
	(void)st;
	dbr_clock_set(fake_clock);
	dbr *db = open_sqlite("cache_ttl = 30.0; negative_ttl = 2.0;");
	dbr_session *s = session(db);
	char url[300], v[64], served[64];
	sqlite_tenant_url(url, sizeof url, "old");
	put_tenant(s, "acme", "t_old", url);
	assert_int_equal(dbr_session_hint_set(s, "tenant", "acme"), 0);
	cell(v, sizeof v, served, s, NULL, "SELECT 1");
	assert_string_equal(served, "t_old");
	/* the tenant moves: the cached answer holds for cache_ttl */
	sqlite_tenant_url(url, sizeof url, "new");
	put_tenant(s, "acme", "t_new", url);
	advance(29);
	cell(v, sizeof v, served, s, NULL, "SELECT 1");
	assert_string_equal(served, "t_old");
	advance(2);
	cell(v, sizeof v, served, s, NULL, "SELECT 1");
	assert_string_equal(served, "t_new");
	/* a negative answer is cached for negative_ttl only */
	assert_int_equal(dbr_session_hint_set(s, "tenant", "late"), 0);
	assert_int_equal(run(NULL, s, NULL, "SELECT 1", NULL, 0), DBR_EROUTE);
	put_tenant(s, "late", "t_new", NULL);
	assert_int_equal(run(NULL, s, NULL, "SELECT 1", NULL, 0), DBR_EROUTE);
	advance(3);
	cell(v, sizeof v, served, s, NULL, "SELECT 1");
	assert_string_equal(served, "t_new");
	dbr_session_free(s);
	dbr_close(db);
	dbr_clock_set(NULL);
}

static void unknown_tenant_refused(void **st)
{
	(void)st;
	dbr *db = open_sqlite("");
	dbr_session *s = session(db);
	/* an earlier, unrelated failure is no cause of the refusal */
	assert_int_equal(run(NULL, s, NULL, "SELECT * FROM earlier_failure", NULL, 0), DBR_ESQL);
	assert_int_equal(dbr_session_hint_set(s, "tenant", "nobody"), 0);
	assert_int_equal(run(NULL, s, NULL, "SELECT 1", NULL, 0), DBR_EROUTE);
	assert_contains(dbr_session_errmsg(s), "router \"tenant\"");
	assert_contains(dbr_session_errmsg(s), "unknown tenant \"nobody\"");
	assert_contains(dbr_session_errmsg(s), "\"meta\"");
	if (strstr(dbr_session_errmsg(s), "earlier_failure"))
		fail_msg("a stale error named as the cause: %s", dbr_session_errmsg(s));
	/* explain refuses the same way, and says so in no trace */
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "SELECT 1";
	dbr_trace *t = NULL;
	assert_int_equal(dbr_explain(&t, s, &q), DBR_EROUTE);
	assert_null(t);
	dbr_session_free(s);
	dbr_close(db);
}

/* A directory that cannot be read, a bad URL: DBR_EROUTE naming the tenant,
 * the URL's password never shown. */
static void lookup_failures_are_clear(void **st)
{
	(void)st;
	dbr *db = open_sqlite("query = \"SELECT alias, url FROM missing WHERE id = ?\";");
	dbr_session *s = session(db);
	assert_int_equal(dbr_session_hint_set(s, "tenant", "acme"), 0);
	assert_int_equal(run(NULL, s, NULL, "SELECT 1", NULL, 0), DBR_EROUTE);
	assert_contains(dbr_session_errmsg(s), "tenant \"acme\"");
	assert_contains(dbr_session_errmsg(s), "directory \"meta\" could not be read");
	assert_contains(dbr_session_errmsg(s), "missing");
	dbr_session_free(s);
	dbr_close(db);

	db = open_sqlite("");
	s = session(db);
	put_tenant(s, "acme", "t_acme", "postgresql://u:s3cretpw@[bad/x");
	put_tenant(s, "bare", "t_bare", NULL);
	assert_int_equal(dbr_session_hint_set(s, "tenant", "acme"), 0);
	assert_int_equal(run(NULL, s, NULL, "SELECT 1", NULL, 0), DBR_EROUTE);
	assert_contains(dbr_session_errmsg(s), "tenant \"acme\": database \"t_acme\" could not be added");
	if (strstr(dbr_session_errmsg(s), "s3cretpw") || strstr(dbr_error_last()->message, "s3cretpw"))
		fail_msg("password shown: %s", dbr_session_errmsg(s));
	assert_int_equal(dbr_session_hint_set(s, "tenant", "bare"), 0);
	assert_int_equal(run(NULL, s, NULL, "SELECT 1", NULL, 0), DBR_EROUTE);
	assert_contains(dbr_session_errmsg(s), "not configured and the directory gives no URL");
	assert_false(has_alias(db, "t_acme"));
	dbr_session_free(s);
	dbr_close(db);
}

static void bad_settings_rejected(void **st)
{
	(void)st;
	char text[1024];
	dbr *db = NULL;
	snprintf(text, sizeof text,
	         "databases = { default = { url = \"sqlite://%s/app.db\"; }; };\n"
	         "routers = ( { name = \"tenant\"; directory = \"nowhere\"; } );\n", dir);
	assert_int_equal(dbr_open_string(&db, text), DBR_ECONFIG);
	assert_contains(dbr_error_last()->message, "directory");
	assert_contains(dbr_error_last()->message, "\"nowhere\" is not a database");
	snprintf(text, sizeof text,
	         "databases = { default = { url = \"sqlite://%s/app.db\"; }; };\n"
	         "routers = ( { name = \"tenant\"; directory = \"default\"; cache_ttl = -1.0; } );\n", dir);
	assert_int_equal(dbr_open_string(&db, text), DBR_ECONFIG);
	assert_contains(dbr_error_last()->message, "cache_ttl");
	snprintf(text, sizeof text,
	         "databases = { default = { url = \"sqlite://%s/app.db\"; }; };\n"
	         "routers = ( { name = \"tenant\"; } );\n", dir);
	assert_int_equal(dbr_open_string(&db, text), DBR_ECONFIG);
	assert_contains(dbr_error_last()->message, "directory");
}

/* Databases the router added are removed once unused for idle_close, never
 * while a transaction holds one; the next use adds it again. */
static void closes_idle_tenants(void **st)
{
	(void)st;
	dbr_clock_set(fake_clock);
	dbr *db = open_sqlite("idle_close = 10.0;");
	dbr_session *s = session(db), *s2 = session(db);
	char url[300], v[64], served[64];
	sqlite_tenant_url(url, sizeof url, "idle_a");
	put_tenant(s, "a", "t_a", url);
	sqlite_tenant_url(url, sizeof url, "idle_b");
	put_tenant(s, "b", "t_b", url);
	put_tenant(s, "app", "default", NULL); /* configured: never closed */
	assert_int_equal(dbr_session_hint_set(s, "tenant", "a"), 0);
	assert_int_equal(dbr_session_hint_set(s2, "tenant", "b"), 0);
	cell(v, sizeof v, served, s, NULL, "SELECT 1");
	assert_string_equal(served, "t_a");
	assert_int_equal(dbr_session_hint_set(s, "tenant", "app"), 0);
	cell(v, sizeof v, served, s, NULL, "SELECT 1");
	assert_string_equal(served, "default");
	/* b is in a transaction across the idle time */
	cell(v, sizeof v, served, s2, NULL, "SELECT 1");
	assert_int_equal(dbr_tx_begin(s2, "t_b"), 0);
	advance(11);
	assert_int_equal(dbr_session_hint_set(s, "tenant", "c"), 0);
	assert_int_equal(run(NULL, s, NULL, "SELECT 1", NULL, 0), DBR_EROUTE); /* sweeps */
	assert_false(has_alias(db, "t_a"));
	assert_true(has_alias(db, "t_b"));
	assert_true(has_alias(db, "default"));
	ok(s2, NULL, "CREATE TABLE IF NOT EXISTS k (v INTEGER)", NULL, 0);
	assert_int_equal(dbr_tx_commit(s2, "t_b"), 0);
	/* a comes back on its next use */
	assert_int_equal(dbr_session_hint_set(s, "tenant", "a"), 0);
	cell(v, sizeof v, served, s, NULL, "SELECT 1");
	assert_string_equal(served, "t_a");
	/* b, unused now for idle_close, goes at the next sweep */
	advance(11);
	cell(v, sizeof v, served, s, NULL, "SELECT 1");
	assert_false(has_alias(db, "t_b"));
	assert_true(has_alias(db, "t_a"));
	dbr_session_free(s2);
	dbr_session_free(s);
	dbr_close(db);
	dbr_clock_set(NULL);
}

/* SQLite: a read-only transaction sees one snapshot, refuses writes, and
 * its connection writes again once it went back to the pool. */
static void sqlite_read_only_tx(void **st)
{
	(void)st;
	char text[1024], v[64];
	snprintf(text, sizeof text,
	         "databases = { default = { url = \"sqlite://%s/ro.db?journal_mode=wal\"; "
	         "pool = { max_connections = 1; }; };\n"
	         "  other = { url = \"sqlite://%s/ro.db?journal_mode=wal\"; }; };\n", dir, dir);
	dbr *db = open_text(text);
	dbr_session *s = session(db), *w = session(db);
	ok(s, NULL, "CREATE TABLE t (v INTEGER)", NULL, 0);
	ok(s, NULL, "INSERT INTO t VALUES (1)", NULL, 0);
	assert_int_equal(dbr_tx_begin_read(s, NULL), 0);
	assert_int_equal(dbr_tx_depth(s, "default"), 1);
	cell(v, sizeof v, NULL, s, NULL, "SELECT count(*) FROM t");
	assert_string_equal(v, "1");
	ok(w, "other", "INSERT INTO t VALUES (2)", NULL, 0); /* another connection commits */
	cell(v, sizeof v, NULL, s, NULL, "SELECT count(*) FROM t");
	assert_string_equal(v, "1");
	assert_int_equal(run(NULL, s, NULL, "INSERT INTO t VALUES (3)", NULL, 0), DBR_ESQL);
	assert_contains(dbr_session_errmsg(s), "readonly");
	assert_int_equal(dbr_tx_commit(s, NULL), 0);
	/* the same (only) connection writes again */
	ok(s, NULL, "INSERT INTO t VALUES (4)", NULL, 0);
	cell(v, sizeof v, NULL, s, NULL, "SELECT count(*) FROM t");
	assert_string_equal(v, "3");
	assert_int_equal(dbr_tx_begin_read(s, "nowhere"), DBR_ENOTFOUND);
	dbr_session_free(w);
	dbr_session_free(s);
	dbr_close(db);
}

/* ------------------------------------------------------------ PostgreSQL */

static const char *env(const char *name)
{
	const char *v = getenv(name);
	if (!v || !*v)
		fail_msg("$%s is not set: run through tests/server-suite.sh", name);
	return v;
}

/* The primary's URL with its database replaced by `name`. */
static void pg_url_for(char *buf, size_t size, const char *name)
{
	const char *url = env("DBR_PG_PRIMARY_URL");
	const char *slash = strchr(strstr(url, "://") + 3, '/');
	assert_non_null(slash);
	snprintf(buf, size, "%.*s/%s", (int)(slash - url), url, name);
}

/* The application's role may not create databases: `admin` is the
 * superuser over the primary's socket (local connections trust). */
static void admin_url(char *buf, size_t size)
{
	char enc[256] = "";
	for (const char *p = env("DBR_PG_SOCKET_DIR"); *p && strlen(enc) + 4 < sizeof enc; p++)
		snprintf(enc + strlen(enc), sizeof enc - strlen(enc), *p == '/' ? "%%2F" : "%c", *p);
	snprintf(buf, size, "postgresql://postgres@%s:%s/postgres", enc, env("DBR_PG_PRIMARY_PORT"));
}

static void pg_tenant_adds_database(void **st)
{
	(void)st;
	char text[2048], url[512], admin[400], name[64], v[64], served[64];
	admin_url(admin, sizeof admin);
	snprintf(text, sizeof text,
	         "databases = { default = { url = \"%s\"; }; meta = { url = \"%s\"; };\n"
	         "  admin = { url = \"%s\"; }; };\n"
	         "routers = ( { name = \"tenant\"; directory = \"meta\"; "
	         "query = \"SELECT alias, url FROM dbr_tenants WHERE id = ?\"; } );\n",
	         env("DBR_PG_PRIMARY_URL"), env("DBR_PG_PRIMARY_URL"), admin);
	dbr *db = open_text(text);
	dbr_session *s = session(db);
	snprintf(name, sizeof name, "dbr_tenant_%ld", (long)getpid());
	char sql[256];
	snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", name);
	ok(s, "admin", sql, NULL, 0);
	snprintf(sql, sizeof sql, "CREATE DATABASE %s", name);
	ok(s, "admin", sql, NULL, 0);
	ok(s, "meta", "DROP TABLE IF EXISTS dbr_tenants", NULL, 0);
	ok(s, "meta", "CREATE TABLE dbr_tenants (id text PRIMARY KEY, alias text, url text)", NULL, 0);
	pg_url_for(url, sizeof url, name);
	const dbr_value p[] = { dbr_text("acme"), dbr_text("t_acme"), dbr_text(url) };
	ok(s, "meta", "INSERT INTO dbr_tenants VALUES (?, ?, ?)", p, 3);
	assert_false(has_alias(db, "t_acme"));
	assert_int_equal(dbr_session_hint_set(s, "tenant", "acme"), 0);
	cell(v, sizeof v, served, s, NULL, "SELECT current_database()");
	assert_string_equal(v, name);
	assert_string_equal(served, "t_acme");
	assert_true(has_alias(db, "t_acme"));
	assert_int_equal(dbr_session_hint_set(s, "tenant", "ghost"), 0);
	assert_int_equal(run(NULL, s, NULL, "SELECT 1", NULL, 0), DBR_EROUTE);
	assert_contains(dbr_session_errmsg(s), "unknown tenant \"ghost\"");
	ok(s, "meta", "DROP TABLE dbr_tenants", NULL, 0);
	assert_int_equal(dbr_remove_database(db, "t_acme"), 0);
	snprintf(sql, sizeof sql, "DROP DATABASE %s", name);
	ok(s, "admin", sql, NULL, 0);
	dbr_session_free(s);
	dbr_close(db);
}

/* Polls pg_r1 until it replayed the primary's current WAL position. */
static void pg_catch_up(dbr_session *s)
{
	char lsn[64], got[8];
	cell(lsn, sizeof lsn, NULL, s, "default", "SELECT pg_current_wal_lsn()::text");
	const dbr_value p[] = { dbr_text(lsn) };
	for (int i = 0; i < 1000; i++) {
		dbr_result *r = NULL;
		const char *t;
		if (run(&r, s, "pg_r1", "SELECT CASE WHEN pg_last_wal_replay_lsn() >= ?::pg_lsn "
		        "THEN 'y' ELSE 'n' END", p, 1) != 0)
			fail_msg("pg_r1: %s", dbr_session_errmsg(s));
		assert_int_equal(dbr_result_text(&t, NULL, r, 0, 0), 0);
		snprintf(got, sizeof got, "%s", t);
		dbr_result_free(r);
		if (strcmp(got, "y") == 0)
			return;
		usleep(10000);
	}
	fail_msg("pg_r1 has not replayed %s in 10 s", lsn);
}

static void pg_read_only_tx_on_replica(void **st)
{
	(void)st;
	char text[2048], v[64], served[64];
	snprintf(text, sizeof text,
	         "databases = { default = { url = \"%s\"; };\n"
	         "  pg_r1 = { url = \"%s\"; replica_of = \"default\"; }; };\n"
	         "routers = ( { name = \"round_robin\"; } );\n",
	         env("DBR_PG_PRIMARY_URL"), env("DBR_PG_REPLICA1_URL"));
	dbr *db = open_text(text);
	dbr_session *s = session(db), *w = session(db);
	ok(w, "default", "DROP TABLE IF EXISTS dbr_ro", NULL, 0);
	ok(w, "default", "CREATE TABLE dbr_ro (v int)", NULL, 0);
	ok(w, "default", "INSERT INTO dbr_ro VALUES (1)", NULL, 0);
	pg_catch_up(w);
	assert_int_equal(dbr_tx_begin_read(s, "default"), 0);
	cell(v, sizeof v, served, s, NULL, "SELECT pg_is_in_recovery()::text");
	assert_string_equal(v, "true");
	assert_string_equal(served, "pg_r1");
	cell(v, sizeof v, NULL, s, NULL, "SELECT count(*) FROM dbr_ro");
	assert_string_equal(v, "1");
	/* the primary commits and the replica replays it: the snapshot holds */
	ok(w, "default", "INSERT INTO dbr_ro VALUES (2)", NULL, 0);
	pg_catch_up(w);
	cell(v, sizeof v, NULL, w, "pg_r1", "SELECT count(*) FROM dbr_ro");
	assert_string_equal(v, "2");
	cell(v, sizeof v, served, s, "default", "SELECT count(*) FROM dbr_ro");
	assert_string_equal(v, "1");
	assert_string_equal(served, "pg_r1");
	assert_int_equal(dbr_tx_commit(s, "default"), 0);
	cell(v, sizeof v, NULL, s, "pg_r1", "SELECT count(*) FROM dbr_ro");
	assert_string_equal(v, "2");
	dbr_session_free(w);
	dbr_session_free(s);
	dbr_close(db);
}

/* On the primary itself (no replica configured) a write is refused by
 * PostgreSQL with 25006, and the transaction ends with a rollback. */
static void pg_read_only_tx_refuses_writes(void **st)
{
	(void)st;
	char text[1024];
	snprintf(text, sizeof text, "databases = { default = { url = \"%s\"; }; };\n",
	         env("DBR_PG_PRIMARY_URL"));
	dbr *db = open_text(text);
	dbr_session *s = session(db);
	ok(s, NULL, "CREATE TABLE IF NOT EXISTS dbr_ro2 (v int)", NULL, 0);
	assert_int_equal(dbr_tx_begin_read(s, NULL), 0);
	assert_int_equal(run(NULL, s, NULL, "INSERT INTO dbr_ro2 VALUES (1)", NULL, 0), DBR_ESQL);
	assert_string_equal(dbr_session_sqlstate(s), "25006");
	assert_int_equal(dbr_tx_rollback(s, NULL), 0);
	assert_int_equal(dbr_tx_depth(s, NULL), 0);
	ok(s, NULL, "INSERT INTO dbr_ro2 VALUES (1)", NULL, 0);
	ok(s, NULL, "DROP TABLE dbr_ro2", NULL, 0);
	dbr_session_free(s);
	dbr_close(db);
}

/* MariaDB: START TRANSACTION READ ONLY, WITH CONSISTENT SNAPSHOT keeps one
 * snapshot across statements and refuses writes with 25006. */
static void my_read_only_tx(void **st)
{
	(void)st;
	char text[1024], v[64];
	snprintf(text, sizeof text, "databases = { default = { url = \"%s\"; }; };\n",
	         env("DBR_MY_PRIMARY_URL"));
	dbr *db = open_text(text);
	dbr_session *s = session(db), *w = session(db);
	ok(w, NULL, "DROP TABLE IF EXISTS dbr_ro", NULL, 0);
	ok(w, NULL, "CREATE TABLE dbr_ro (v int) ENGINE=InnoDB", NULL, 0);
	ok(w, NULL, "INSERT INTO dbr_ro VALUES (1)", NULL, 0);
	assert_int_equal(dbr_tx_begin_read(s, NULL), 0);
	cell(v, sizeof v, NULL, s, NULL, "SELECT count(*) FROM dbr_ro");
	assert_string_equal(v, "1");
	ok(w, NULL, "INSERT INTO dbr_ro VALUES (2)", NULL, 0);
	cell(v, sizeof v, NULL, s, NULL, "SELECT count(*) FROM dbr_ro");
	assert_string_equal(v, "1");
	assert_int_equal(run(NULL, s, NULL, "INSERT INTO dbr_ro VALUES (3)", NULL, 0), DBR_ESQL);
	assert_string_equal(dbr_session_sqlstate(s), "25006");
	assert_int_equal(dbr_tx_commit(s, NULL), 0);
	cell(v, sizeof v, NULL, s, NULL, "SELECT count(*) FROM dbr_ro");
	assert_string_equal(v, "2");
	ok(w, NULL, "DROP TABLE dbr_ro", NULL, 0);
	dbr_session_free(w);
	dbr_session_free(s);
	dbr_close(db);
}

/* ------------------------------------------------------------ main */

static int make_dir(void **st)
{
	(void)st;
	return make_temp_dir(dir, sizeof dir, "tenant");
}

static int remove_dir(void **st)
{
	(void)st;
	return remove_tree(dir);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "servers") == 0) {
		const struct CMUnitTest srv[] = {
			cmocka_unit_test(pg_tenant_adds_database),
			cmocka_unit_test(pg_read_only_tx_on_replica),
			cmocka_unit_test(pg_read_only_tx_refuses_writes),
			cmocka_unit_test(my_read_only_tx),
		};
		return cmocka_run_group_tests_name("tenant-servers", srv, NULL, NULL);
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(adds_database_on_first_use),
		cmocka_unit_test(cache_expires),
		cmocka_unit_test(unknown_tenant_refused),
		cmocka_unit_test(lookup_failures_are_clear),
		cmocka_unit_test(bad_settings_rejected),
		cmocka_unit_test(closes_idle_tenants),
		cmocka_unit_test(sqlite_read_only_tx),
	};
	return cmocka_run_group_tests_name("tenant", tests, make_dir, remove_dir);
}
