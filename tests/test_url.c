/* SPDX-License-Identifier: MIT */
/* test_url.c — dbr__url_parse, dbr_url_mask and dbr__url_driver over a
 * table of valid and invalid connection URLs; masking of connection strings
 * that are not URLs; scrubbing of driver messages (scrub.c). */
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
	BAD("postgresql://::1/db", "'postgresql://:****/db'", NULL, "brackets"),
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

/* ---- masking whatever the text: libpq key=value strings, odd URLs, text
 * the parser does not understand. The secret never survives; `masked` is
 * the exact result where given. */
#define SECRET "Pw1sEcret"
typedef struct mcase {
	const char *text, *masked, *secret;
} mcase;

static const mcase masks[] = {
	{ "host=db.example password=" SECRET " dbname=app", "host=db.example password=**** dbname=app", SECRET },
	{ "host=h password='p w " SECRET "' dbname=y", "host=h password=**** dbname=y", SECRET },
	{ "password='it\\'s " SECRET "' host=h", "password=**** host=h", SECRET },
	{ "password=\"a b " SECRET "\" host=h", "password=**** host=h", SECRET },
	{ "host=h password=" SECRET "\\ more dbname=d", "host=h password=**** dbname=d", "more" },
	{ "password = " SECRET " host=h", "password = **** host=h", SECRET },
	{ "PASSWORD=" SECRET, "PASSWORD=****", SECRET },
	{ "password='unterminated " SECRET, "password=****", SECRET },
	{ "Server=h;Uid=u;Pwd=" SECRET ";", "Server=h;Uid=u;Pwd=****", SECRET },
	{ "host=h user=u@corp password=" SECRET, "****@corp password=****", SECRET },
	{ "POSTGRESQL://u:" SECRET "@h/db", "POSTGRESQL://u:****@h/db", SECRET },
	{ "postgresql://u:" SECRET "@[]/db", "postgresql://u:****@[]/db", SECRET },
	{ "postgresql://u@h/db?password=" SECRET, "postgresql://u@h/db?password=****", SECRET },
	{ "postgresql://u:" SECRET "%40x@h/db", "postgresql://u:****@h/db", SECRET },
	{ "postgresql://u:" SECRET "@x@h/db", "postgresql://u:****@h/db", SECRET },
	{ "u:" SECRET "@h/db", "u:****@h/db", SECRET },
	{ "//u:" SECRET "@h/db", "//****@h/db", SECRET },
	{ "postgresql://u:" SECRET "@h1:5432,h2:5433/db", "postgresql://u:****@h1:5432,h2:5433/db", SECRET },
	{ "postgresql://u:" SECRET "/db", "postgresql://u:****/db", SECRET },
	{ "postgresql://u:" SECRET "@h:port/db", "postgresql://****@h:port/db", SECRET },
	{ "postgresql://u:x@h/db?password=" SECRET "&password=y",
	  "postgresql://****@h/db?password=****&password=****", SECRET },
	{ "postgresql://u:" SECRET "%zz@h/db", "postgresql://****@h/db", SECRET },
	{ "jdbc:postgresql://h/db?user=u&password=" SECRET, "jdbc:postgresql://h/db?user=u&password=****", SECRET },
	{ "jdbc:postgresql://u:" SECRET "@h/db", "jdbc:postgresql://****@h/db", SECRET },
	{ "mysql://u:" SECRET "@h/db?pwd=" SECRET, "mysql://u:****@h/db?pwd=****", SECRET },
	{ "postgresql://u@h/db?pass%77ord=" SECRET, "postgresql://u@h/db?pass%77ord=****", SECRET },
	{ "postgresql://h/db?sslpassword=" SECRET "&sslmode=require",
	  "postgresql://h/db?sslpassword=****&sslmode=require", SECRET },
	{ "  postgresql://u:" SECRET "@h/db", "  postgresql://****@h/db", SECRET },
	{ "postgresql:/u:" SECRET "@h/db", "postgresql:****@h/db", SECRET },
	{ "%70ostgresql://u:" SECRET "@h/db", "%70ostgresql://****@h/db", SECRET },
	{ "postgresql://u:" SECRET "@[::1/db", "postgresql://****@[::1/db", SECRET },
	{ "postgresql://u:" SECRET "@/db", "postgresql://u:****@/db", SECRET },
	{ "sqlite:password=" SECRET, "sqlite:password=****", SECRET },
	{ "sqlite:///x.db?password=" SECRET, "sqlite:///x.db?password=****", SECRET },
	{ "mariadb://u:" SECRET "@h:3306/db?ssl=1#frag", "mariadb://u:****@h:3306/db?ssl=1#frag", SECRET },
	{ "postgresql://u:" SECRET "@h/db\nhost=x", NULL, SECRET },
	{ "service=prod password=" SECRET, "service=prod password=****", SECRET },
};

static void test_mask_forms(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(masks) / sizeof(masks[0]); i++) {
		const mcase *c = &masks[i];
		char *m = dbr_url_mask(c->text);
		assert_non_null(m);
		if (strstr(m, c->secret) || (c->masked && strcmp(m, c->masked) != 0))
			fail_msg("case %zu: %s masked as %s", i, c->text, m);
		free(m);
		/* a parse error quotes the same mask */
		dbr__url u;
		if (dbr__url_parse(&u, c->text) == 0) {
			assert_null(strstr(u.masked, c->secret));
			dbr__url_clear(&u);
		} else if (strstr(dbr_error_last()->message, c->secret)) {
			fail_msg("case %zu: %s", i, dbr_error_last()->message);
		}
	}
}

/* ---- scrubbing a client library's message of every form of the secrets */

/* the URL's query, then the options group, decoded */
static const char *const opt_keys[] = { "sslpassword", "sslmode", "password" };
static const char *const opt_values[] = { "k3y!", "require", "0pt-s3cret" };

static dbr_url_view scrub_view(void)
{
	return (dbr_url_view){
		.struct_size = sizeof(dbr_url_view), .alias = "main",
		.raw = "postgresql://app:p%40ss%2fW0rd@h/db?sslpassword=k3y%21",
		.password = "p@ss/W0rd", .noptions = 3, .keys = opt_keys, .values = opt_values,
	};
}

static void test_scrub(void **state)
{
	(void)state;
	dbr_url_view v = scrub_view();
	char msg[256];
	snprintf(msg, sizeof msg, "invalid URI: \"%s\"; pw p@ss/W0rd, enc p%%40ss%%2FW0rd, "
	         "opt 0pt-s3cret, ssl k3y%%21 and k3y!", v.raw);
	dbr__scrub_secrets(msg, sizeof msg, &v);
	static const char *const gone[] = { "p@ss", "p%40ss", "ss%2f", "ss%2F", "W0rd",
	                                    "0pt-s3cret", "k3y" };
	for (size_t i = 0; i < sizeof(gone) / sizeof(gone[0]); i++)
		if (strstr(msg, gone[i]))
			fail_msg("%s left in: %s", gone[i], msg);
	assert_non_null(strstr(msg, "postgresql://app:****@h/db?sslpassword=****\""));
	/* a message cut inside the secret hides its start too */
	char cut[24] = "connect: pw was p@ss/W";
	assert_int_equal(strlen(cut), sizeof cut - 2);
	strcat(cut, "0");
	dbr__scrub_secrets(cut, sizeof cut, &v);
	assert_string_equal(cut, "connect: pw was ****");
	/* nothing secret: unchanged; no view: unchanged */
	snprintf(msg, sizeof msg, "server closed the connection");
	dbr__scrub_secrets(msg, sizeof msg, &v);
	assert_string_equal(msg, "server closed the connection");
	snprintf(msg, sizeof msg, "p@ss/W0rd");
	dbr__scrub_secrets(msg, sizeof msg, NULL);
	assert_string_equal(msg, "p@ss/W0rd");
}

/* What a driver records through the host while the core has a database in
 * scope is scrubbed; the scope nests and restores. */
static void test_scrub_scope(void **state)
{
	(void)state;
	dbr_url_view v = scrub_view(), w = scrub_view();
	assert_null(dbr__secret_scope_get());
	assert_null(dbr__secret_scope(&v));
	assert_ptr_equal(dbr__secret_scope(&w), &v);
	assert_int_equal(dbr__host.error(DBR_ECONNECT, "08001", "libpq: bad URI \"%s\"", v.raw),
	                 DBR_ECONNECT);
	assert_string_equal(dbr_error_last()->message,
	                    "libpq: bad URI \"postgresql://app:****@h/db?sslpassword=****\"");
	assert_string_equal(dbr_error_last()->sqlstate, "08001");
	assert_ptr_equal(dbr__secret_scope(&v), &w);
	assert_ptr_equal(dbr__secret_scope(NULL), &v);
	/* out of scope the core does not guess */
	dbr__host.error(DBR_ESQL, NULL, "%s", "p@ss/W0rd");
	assert_string_equal(dbr_error_last()->message, "p@ss/W0rd");
}

int main(void)
{
	enum { N = sizeof(cases) / sizeof(cases[0]) };
	struct CMUnitTest tests[N + 5];
	for (size_t i = 0; i < N; i++)
		tests[i] = (struct CMUnitTest){ cases[i].url[0] ? cases[i].url : "(empty)", test_case,
		                                NULL, NULL, (void *)&cases[i] };
	tests[N] = (struct CMUnitTest){ "driver", test_driver, NULL, NULL, NULL };
	tests[N + 1] = (struct CMUnitTest){ "mask_edges", test_mask_edges, NULL, NULL, NULL };
	tests[N + 2] = (struct CMUnitTest){ "mask_forms", test_mask_forms, NULL, NULL, NULL };
	tests[N + 3] = (struct CMUnitTest){ "scrub", test_scrub, NULL, NULL, NULL };
	tests[N + 4] = (struct CMUnitTest){ "scrub_scope", test_scrub_scope, NULL, NULL, NULL };
	return _cmocka_run_group_tests("url", tests, N + 5, NULL, NULL);
}
