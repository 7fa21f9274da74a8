/* test_url.c — dbr__url_parse, dbr_url_mask and dbr__url_driver over a
 * table of valid and invalid connection URLs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"

typedef struct ucase {
	const char *url;
	int rc;
	const char *scheme, *user, *password, *host;
	int port;
	const char *path;
	const char *params[9]; /* key, value, ..., NULL (decoded) */
	const char *masked;    /* valid: exact; invalid: quoted in the message */
	const char *secret;    /* must appear in no masked text and no message */
	const char *why;       /* invalid: part of the message */
} ucase;

/* A valid URL: the password is the secret that masking must hide. */
#define OK(url, scheme, user, pw, host, port, path, masked, ...) \
	{ url, 0, scheme, user, pw, host, port, path, { __VA_ARGS__ }, masked, pw, NULL }
/* An invalid URL: its message quotes `masked`, says `why`, hides `secret`. */
#define BAD(url, m, s, w) { url, DBR_EINVAL, .masked = m, .secret = s, .why = w }

static const ucase cases[] = {
	/* SQLite */
	OK("sqlite::memory:", "sqlite", NULL, NULL, NULL, 0, ":memory:", "sqlite::memory:", NULL),
	OK("sqlite:///:memory:", "sqlite", NULL, NULL, NULL, 0, ":memory:", "sqlite:///:memory:", NULL),
	OK("sqlite://:memory:", "sqlite", NULL, NULL, NULL, 0, ":memory:", "sqlite://:memory:", NULL),
	OK("sqlite:///abs/path.db", "sqlite", NULL, NULL, NULL, 0, "/abs/path.db",
	   "sqlite:///abs/path.db", NULL),
	OK("sqlite://./rel.db", "sqlite", NULL, NULL, NULL, 0, "./rel.db", "sqlite://./rel.db", NULL),
	OK("sqlite://rel.db", "sqlite", NULL, NULL, NULL, 0, "rel.db", "sqlite://rel.db", NULL),
	OK("sqlite:///tmp/a.db?mode=ro&journal_mode=WAL", "sqlite", NULL, NULL, NULL, 0, "/tmp/a.db",
	   "sqlite:///tmp/a.db?mode=ro&journal_mode=WAL", "mode", "ro", "journal_mode", "WAL", NULL),
	OK("SQLite:///x.db", "sqlite", NULL, NULL, NULL, 0, "/x.db", "SQLite:///x.db", NULL),
	OK("sqlite:///dir%20with%20space/a.db", "sqlite", NULL, NULL, NULL, 0,
	   "/dir with space/a.db", "sqlite:///dir%20with%20space/a.db", NULL),
	OK("sqlite:///a.db?busy_timeout=5000&cache_size=", "sqlite", NULL, NULL, NULL, 0, "/a.db",
	   "sqlite:///a.db?busy_timeout=5000&cache_size=", "busy_timeout", "5000", "cache_size", "",
	   NULL),
	/* PostgreSQL */
	OK("postgresql://user:secret@localhost:5432/app", "postgresql", "user", "secret", "localhost",
	   5432, "app", "postgresql://user:****@localhost:5432/app", NULL),
	OK("postgres://u@h/db", "postgres", "u", NULL, "h", 0, "db", "postgres://u@h/db", NULL),
	OK("postgres://h", "postgres", NULL, NULL, "h", 0, NULL, "postgres://h", NULL),
	OK("postgresql://u:p%40ss%3Aw@h/db", "postgresql", "u", "p@ss:w", "h", 0, "db",
	   "postgresql://u:****@h/db", NULL),
	OK("postgresql://u:pw@[::1]:5433/db", "postgresql", "u", "pw", "::1", 5433, "db",
	   "postgresql://u:****@[::1]:5433/db", NULL),
	OK("postgresql://[2001:db8::1]/db", "postgresql", NULL, NULL, "2001:db8::1", 0, "db",
	   "postgresql://[2001:db8::1]/db", NULL),
	OK("postgresql://u:pw@h1:5432,h2:5433/db?target_session_attrs=read-write", "postgresql",
	   "u", "pw", "h1:5432,h2:5433", 0, "db",
	   "postgresql://u:****@h1:5432,h2:5433/db?target_session_attrs=read-write",
	   "target_session_attrs", "read-write", NULL),
	OK("postgresql:///db?host=/var/run/postgresql", "postgresql", NULL, NULL, NULL, 0, "db",
	   "postgresql:///db?host=/var/run/postgresql", "host", "/var/run/postgresql", NULL),
	OK("postgresql://%2Fvar%2Frun%2Fpostgresql/db", "postgresql", NULL, NULL,
	   "/var/run/postgresql", 0, "db", "postgresql://%2Fvar%2Frun%2Fpostgresql/db", NULL),
	OK("postgresql://u@h/db?password=topsecret&sslmode=require", "postgresql", "u", NULL, "h", 0,
	   "db", "postgresql://u@h/db?password=****&sslmode=require", "password", "topsecret",
	   "sslmode", "require", NULL),
	OK("postgresql://u:pw@h/db?sslpassword=k2&application_name=x", "postgresql", "u", "pw", "h",
	   0, "db", "postgresql://u:****@h/db?sslpassword=****&application_name=x", "sslpassword",
	   "k2", "application_name", "x", NULL),
	OK("postgresql://u:@h/db", "postgresql", "u", NULL, "h", 0, "db", "postgresql://u:****@h/db",
	   NULL),
	OK("postgresql://p%40t@h/db", "postgresql", "p@t", NULL, "h", 0, "db",
	   "postgresql://p%40t@h/db", NULL),
	OK("postgresql://u:pw@h/db?a=1&b&c=", "postgresql", "u", "pw", "h", 0, "db",
	   "postgresql://u:****@h/db?a=1&b&c=", "a", "1", "b", "", "c", "", NULL),
	OK("postgresql://u:p@ss@h/db", "postgresql", "u", "p@ss", "h", 0, "db",
	   "postgresql://u:****@h/db", NULL),
	OK("POSTGRESQL://H/DB", "postgresql", NULL, NULL, "H", 0, "DB", "POSTGRESQL://H/DB", NULL),
	OK("postgresql://h:65535/db", "postgresql", NULL, NULL, "h", 65535, "db",
	   "postgresql://h:65535/db", NULL),
	OK("postgresql://h/my%20db?application_name=a%26b", "postgresql", NULL, NULL, "h", 0,
	   "my db", "postgresql://h/my%20db?application_name=a%26b", "application_name", "a&b", NULL),
	/* MySQL / MariaDB */
	OK("mysql://root:pw@127.0.0.1:3306/shop", "mysql", "root", "pw", "127.0.0.1", 3306, "shop",
	   "mysql://root:****@127.0.0.1:3306/shop", NULL),
	OK("mariadb://app:pw@localhost/shop?socket=/run/mysqld/mysqld.sock", "mariadb", "app", "pw",
	   "localhost", 0, "shop", "mariadb://app:****@localhost/shop?socket=/run/mysqld/mysqld.sock",
	   "socket", "/run/mysqld/mysqld.sock", NULL),
	OK("mysql://app@h/db?PASS=x", "mysql", "app", NULL, "h", 0, "db",
	   "mysql://app@h/db?PASS=****", "PASS", "x", NULL),
	OK("mysql://app:pw@h/db?passwd=y&charset=utf8mb4", "mysql", "app", "pw", "h", 0, "db",
	   "mysql://app:****@h/db?passwd=****&charset=utf8mb4", "passwd", "y", "charset", "utf8mb4",
	   NULL),
	/* third-party schemes parse generically */
	OK("redis://h:6379/0", "redis", NULL, NULL, "h", 6379, "0", "redis://h:6379/0", NULL),
	OK("my-driver+tls://u:pw@h:1/x", "my-driver+tls", "u", "pw", "h", 1, "x",
	   "my-driver+tls://u:****@h:1/x", NULL),
	OK("duckdb:/tmp/x.duckdb", "duckdb", NULL, NULL, NULL, 0, "/tmp/x.duckdb",
	   "duckdb:/tmp/x.duckdb", NULL),

	/* invalid */
	BAD("", "''", NULL, "empty"),
	BAD("localhost/db", "'localhost/db'", NULL, "no scheme"),
	BAD("://h/db", "'://h/db'", NULL, "no scheme"),
	BAD("post gres://h", "'post gres://h'", NULL, "scheme"),
	BAD("1pg://h", "'1pg://h'", NULL, "scheme"),
	BAD("pg_sql://h", "'pg_sql://h'", NULL, "scheme"),
	BAD("postgresql://u:secret@h:abc/db", "'postgresql://****@h:abc/db'", "secret", "port"),
	BAD("postgresql://u:secret@h:0/db", "'postgresql://****@h:0/db'", "secret", "port"),
	BAD("postgresql://u:secret@h:65536/db", "'postgresql://****@h:65536/db'", "secret", "port"),
	BAD("postgresql://u:secret@h:/db", "'postgresql://****@h:/db'", "secret", "port"),
	BAD("postgresql://u:sec%zzret@h/db", "'postgresql://****@h/db'", "sec%zzret", "%-escape"),
	BAD("postgresql://h/db%2", "'postgresql://h/db%2'", NULL, "%-escape"),
	BAD("postgresql://h/db%00x", "'postgresql://h/db%00x'", NULL, "%-escape"),
	BAD("postgresql://u:secret@[::1/db", "'postgresql://****@[::1/db'", "secret", "'['"),
	BAD("postgresql://::1/db", "'postgresql://::1/db'", NULL, "brackets"),
	BAD("postgresql://[::1]x/db", "'postgresql://[::1]x/db'", NULL, "']'"),
	BAD("sqlite://", "'sqlite://'", NULL, "no database file"),
	BAD("sqlite:", "'sqlite:'", NULL, "no database file"),
	BAD("sqlite:///", "'sqlite:///'", NULL, "no database file"),
	BAD("sqlite:///x.db?mode=ro&mode=rw", "'sqlite:///x.db?mode=ro&mode=rw'", NULL, "duplicate"),
	BAD("postgresql://u:secret@h/db?sslmode=a&SSLMODE=b",
	    "'postgresql://****@h/db?sslmode=a&SSLMODE=b'", "secret", "duplicate"),
	BAD("postgresql://u:secret@h/db?password=hunter2&password=hunter2",
	    "'postgresql://****@h/db?password=****&password=****'", "hunter2", "duplicate"),
	BAD("postgresql://u:pa/ss@h/db", "'postgresql://****@h/db'", "pa/ss", "port"),
	BAD("postgresql://u:12/x@h/db", "'postgresql://****@h/db'", "12/x", "percent-encode"),
	BAD("postgresql://h/db?=v", "'postgresql://h/db?=v'", NULL, "empty query parameter"),
	BAD("mysql://u:pw1@h1:3306,h2:99999/db", "'mysql://****@h1:3306,h2:99999/db'", "pw1",
	    "port"),
	BAD("user:secret@host/db", "'user:****@host/db'", "secret", "percent-encode"),
};

static void assert_str(const char *want, const char *got)
{
	if (!want)
		assert_null(got);
	else
		assert_non_null(got), assert_string_equal(want, got);
}

static void check_valid(const ucase *c)
{
	dbr__url u;
	assert_int_equal(dbr__url_parse(&u, c->url), 0);
	assert_string_equal(u.raw, c->url);
	assert_str(c->scheme, u.scheme);
	assert_str(c->user, u.user);
	assert_str(c->password, u.password);
	assert_str(c->host, u.host);
	assert_int_equal(u.port, c->port);
	assert_str(c->path, u.path);
	assert_string_equal(u.masked, c->masked);
	size_t n = 0;
	while (c->params[2 * n])
		n++;
	assert_int_equal(u.nparams, n);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(u.keys[i], c->params[2 * i]);
		assert_string_equal(u.values[i], c->params[2 * i + 1]);
	}
	char *m = dbr_url_mask(c->url);
	assert_non_null(m);
	assert_string_equal(m, c->masked);
	free(m);
	dbr__url_clear(&u);
	assert_null(u.raw);
	assert_int_equal(u.nparams, 0);
}

static void check_invalid(const ucase *c)
{
	dbr__url u;
	static const dbr__url zero;
	assert_int_equal(dbr__url_parse(&u, c->url), DBR_EINVAL);
	assert_memory_equal(&u, &zero, sizeof(u)); /* left cleared */
	const dbr_error *e = dbr_error_last();
	assert_int_equal(e->code, DBR_EINVAL);
	assert_non_null(strstr(e->message, c->masked));
	assert_non_null(strstr(e->message, c->why));
	char *m = dbr_url_mask(c->url);
	assert_non_null(m);
	if (c->secret) {
		assert_null(strstr(e->message, c->secret));
		assert_null(strstr(m, c->secret));
	}
	free(m);
}

static void test_case(void **state)
{
	const ucase *c = *state;
	if (c->rc == 0)
		check_valid(c);
	else
		check_invalid(c);
}

static void test_driver(void **state)
{
	static const char *const map[][2] = {
		{ "sqlite", "sqlite" }, { "postgres", "postgres" }, { "postgresql", "postgres" },
		{ "mysql", "mariadb" }, { "mariadb", "mariadb" }, { "redis", NULL }, { "", NULL },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		assert_str(map[i][1], dbr__url_driver(map[i][0]));
	assert_null(dbr__url_driver(NULL));
}

static void test_mask_edges(void **state)
{
	(void)state;
	assert_null(dbr_url_mask(NULL));
	char *m = dbr_url_mask("not a url");
	assert_string_equal(m, "not a url");
	free(m);
	/* a NULL url is an error too, and clearing twice is harmless */
	dbr__url u;
	assert_int_equal(dbr__url_parse(&u, NULL), DBR_EINVAL);
	dbr__url_clear(&u);
	dbr__url_clear(NULL);
}

int main(void)
{
	enum { N = sizeof(cases) / sizeof(cases[0]) };
	struct CMUnitTest tests[N + 2];
	for (size_t i = 0; i < N; i++)
		tests[i] = (struct CMUnitTest){ cases[i].url[0] ? cases[i].url : "(empty)", test_case,
		                                NULL, NULL, (void *)&cases[i] };
	tests[N] = (struct CMUnitTest){ "driver", test_driver, NULL, NULL, NULL };
	tests[N + 1] = (struct CMUnitTest){ "mask_edges", test_mask_edges, NULL, NULL, NULL };
	return _cmocka_run_group_tests("url", tests, N + 2, NULL, NULL);
}
