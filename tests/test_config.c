/* SPDX-License-Identifier: MIT */
/*
 * test_config.c — core/conf.c: the plugins.conf schema, error messages that
 * name FILE:LINE: SETTING, the fragments of dbr_add_database / dbr_add_router
 * / dbr_set_routers, and the host's accessors over dbr_conf nodes.
 * Config files live in $DBR_SRCDIR/tests/conf.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static char *conf_path(const char *name)
{
	const char *src = getenv("DBR_SRCDIR");
	char *p = dbr__asprintf("%s/tests/conf/%s", src ? src : ".", name);
	assert_non_null(p);
	return p;
}

static const char *last_msg(void)
{
	return dbr_error_last()->message;
}

/* The last error starts with `prefix` and contains `frag`. */
static void assert_msg(const char *prefix, const char *frag)
{
	const char *m = last_msg();
	if (strncmp(m, prefix, strlen(prefix)) != 0 || (frag && !strstr(m, frag)))
		fail_msg("message \"%s\"\n  wanted prefix \"%s\" and \"%s\"", m, prefix, frag ? frag : "");
}

/* ------------------------------------------------------------ bad files */

static const struct bad {
	const char *file;
	int line;            /* 0: the message names no line */
	const char *setting; /* NULL: a parse error, no setting */
	const char *frag;    /* also in the message */
	const char *secret;  /* must NOT be in the message */
} bads[] = {
	{ "bad-top-unknown.conf", 5, "plugins_path", "unknown setting (known here: plugin_path", NULL },
	{ "bad-db-unknown.conf", 4, "databases.default.wieght", "unknown setting", NULL },
	{ "bad-pool-unknown.conf", 6, "databases.default.pool.max_conections", "unknown setting", NULL },
	{ "bad-router-noname.conf", 7, "routers.[1].name", "missing", NULL },
	{ "bad-dup-alias.conf", 5, "databases.logs", "set twice", NULL },
	{ "bad-dup-key.conf", 5, "databases.default.url", "set twice", NULL },
	{ "bad-dup-router-key.conf", 5, "routers.[1].name", "set twice", NULL },
	{ "bad-replica-missing.conf", 6, "databases.replica1.replica_of",
	  "no database \"primary2\" (databases are: default, logs, replica1)", NULL },
	{ "bad-replica-self.conf", 4, "databases.replica1.replica_of", "replica of itself", NULL },
	{ "bad-replica-chain.conf", 6, "databases.replica2.replica_of",
	  "\"replica1\" is itself a replica (of \"default\")", NULL },
	{ "bad-replica-type.conf", 3, "databases.replica1.replica_of", "expected a string, got a boolean", NULL },
	{ "bad-no-default.conf", 3, "databases", "no database \"default\" (databases are: main, logs)", NULL },
	{ "bad-no-databases.conf", 0, "databases", "missing", "s3cr3t" },
	{ "bad-url-parse.conf", 4, "databases.users.url",
	  "invalid URL 'postgresql://****@db.example:99999/app'", "hunter2" },
	{ "bad-url-scheme.conf", 4, "databases.default.url",
	  "no built-in driver for scheme \"oracle+thin\" of oracle+thin://scott:****@db.example/orcl", "tiger" },
	{ "bad-url-missing.conf", 3, "databases.logs.url", "missing", NULL },
	{ "bad-weight-type.conf", 6, "databases.replica1.weight", "expected an integer, got a string", NULL },
	{ "bad-weight-range.conf", 4, "databases.replica1.weight", "from 1 to", NULL },
	{ "bad-pool-max.conf", 4, "databases.default.pool.max_connections", "from 1 to", NULL },
	/* read as 64-bit: libconfig alone wraps these to 1215752191 and 1 */
	{ "bad-weight-wrap.conf", 4, "databases.replica1.weight",
	  "must be an integer from 1 to 1000000, got 99999999999", NULL },
	{ "bad-pool-max-wrap.conf", 4, "databases.default.pool.max_connections",
	  "must be an integer from 1 to 100000, got 4294967297", NULL },
	{ "bad-int-65bit.conf", 4, "databases.default.pool.min_connections", "integer out of range: it does not fit in 64 bits",
	  NULL },
	{ "bad-pool-min.conf", 5, "databases.default.pool.min_connections",
	  "20 is more than max_connections (5)", NULL },
	{ "bad-pool-acquire.conf", 5, "databases.default.pool.acquire_timeout", "> 0", NULL },
	{ "bad-pool-lifetime.conf", 5, "databases.default.pool.max_lifetime", ">= 0, got -1.5", NULL },
	{ "bad-pool-type.conf", 5, "databases.default.pool.idle_timeout", "expected a number, got a string", NULL },
	{ "bad-pool-int.conf", 4, "databases.default.pool.max_connections", "expected an integer, got a float", NULL },
	{ "bad-options-group.conf", 6, "databases.default.options.pragmas",
	  "expected a string, number or boolean, got a group", NULL },
	{ "bad-options-type.conf", 4, "databases.default.options", "expected a group", NULL },
	{ "bad-routers-group.conf", 3, "routers", "expected a list", NULL },
	{ "bad-router-elem.conf", 4, "routers.[1]", "expected a group", NULL },
	{ "bad-router-name-type.conf", 4, "routers.[0].name", "expected a string, got an integer", NULL },
	{ "bad-alias-name.conf", 3, "databases.log*s", "invalid database alias \"log*s\"", NULL },
	{ "bad-syntax.conf", 4, NULL, "syntax error", NULL },
	{ "bad-databases-list.conf", 2, "databases", "expected a group", NULL },
	{ "bad-entry-scalar.conf", 2, "databases.default", "expected a group", NULL },
	{ "bad-driver-empty.conf", 4, "databases.default.driver", "must not be empty", NULL },
	{ "bad-token-type.conf", 2, "token_secret", "expected a string, got an integer", NULL },
	{ "bad-include.conf", 4, "databases.logs", "set twice", NULL },
};

/* One TAP line per file: the state is its row of bads[]. */
static void test_bad_file(void **state)
{
	const struct bad *b = *state;
	char *path = conf_path(b->file), *prefix;
	dbr__config *c = (dbr__config *)&c; /* must come back NULL */
	if (b->line && b->setting)
		prefix = dbr__asprintf("%s:%d: %s: ", path, b->line, b->setting);
	else if (b->line)
		prefix = dbr__asprintf("%s:%d: ", path, b->line);
	else
		prefix = dbr__asprintf("%s: %s: ", path, b->setting);
	int rc = dbr__config_load_file(&c, path);
	if (rc != DBR_ECONFIG)
		fail_msg("%s: rc %d, wanted DBR_ECONFIG (%s)", b->file, rc, last_msg());
	assert_null(c);
	assert_int_equal(dbr_error_last()->code, DBR_ECONFIG);
	assert_msg(prefix, b->frag);
	if (b->secret && strstr(last_msg(), b->secret))
		fail_msg("%s: secret in \"%s\"", b->file, last_msg());
	free(prefix);
	free(path);
}

static void test_missing_file(void **state)
{
	(void)state;
	dbr__config *c;
	assert_int_equal(dbr__config_load_file(&c, "/nonexistent/plugins.conf"), DBR_ECONFIG);
	assert_null(c);
	assert_msg("/nonexistent/plugins.conf: cannot read: ", "No such file");
}

/* ------------------------------------------------------------ good files */

static const char *opt(const dbr__dbconf *d, const char *key)
{
	for (size_t i = 0; i < d->noptions; i++)
		if (strcmp(d->okeys[i], key) == 0)
			return d->ovalues[i];
	return NULL;
}

static void check_full_dbs(const dbr__config *c, const char *path)
{
	assert_int_equal(c->ndbs, 4);
	const dbr__dbconf *d = &c->dbs[0];
	assert_string_equal(d->alias, "default");
	assert_string_equal(d->url.scheme, "sqlite");
	assert_string_equal(d->driver, "sqlite");
	assert_null(d->replica_of);
	assert_int_equal(d->weight, 1);
	char *where = dbr__asprintf("%s:6", path);
	assert_string_equal(d->where, where);
	free(where);
	assert_int_equal(d->noptions, 4);
	assert_string_equal(opt(d, "journal_mode"), "WAL");
	assert_string_equal(opt(d, "busy_timeout"), "5000");
	assert_string_equal(opt(d, "foreign_keys"), "true");
	assert_string_equal(opt(d, "cache_ratio"), "0.25");
	assert_int_equal(d->pool.max_connections, 20);
	assert_int_equal(d->pool.min_connections, 2);
	assert_true(d->pool.acquire_timeout == 5.0);
	assert_true(d->pool.idle_timeout == 300.5);
	assert_true(d->pool.max_lifetime == 0.0);
	assert_true(d->pool.test_before_acquire == -1.0);
	assert_true(d->pool.transaction_timeout == 12.5);

	d = &c->dbs[1];
	assert_string_equal(d->alias, "replica1");
	assert_string_equal(d->replica_of, "default");
	assert_int_equal(d->weight, 3);
	assert_int_equal(d->noptions, 0);
	assert_int_equal(d->pool.max_connections, 10); /* defaults */
	assert_true(d->pool.acquire_timeout == 30.0);

	d = &c->dbs[2];
	assert_string_equal(d->alias, "logs");
	assert_string_equal(d->driver, "/opt/drivers/postgres-custom.so");
	assert_string_equal(d->url.password, "hunter2");
	assert_null(strstr(d->url.masked, "hunter2"));

	d = &c->dbs[3];
	assert_string_equal(d->alias, "replica-2");
	assert_string_equal(d->driver, "mariadb");
	assert_string_equal(d->replica_of, "default");
}

static void check_full_routers(const dbr__config *c)
{
	assert_int_equal(c->nrouters, 3);
	assert_string_equal(c->routers[0].name, "per_model");
	assert_null(c->routers[0].module);
	assert_string_equal(c->routers[1].name, "pinning");
	assert_string_equal(c->routers[1].module, "/opt/routers/pinning.so");
	assert_string_equal(c->routers[2].name, "round_robin");
	for (size_t i = 0; i < c->nrouters; i++) {
		assert_non_null(c->routers[i].node);
		assert_ptr_equal(dbr__conf_owner(c->routers[i].node), c);
	}
	/* the plugin's own keys are left for the plugin */
	const dbr_conf *models;
	assert_int_equal(dbr__conf_child(&models, c->routers[0].node, "models"), 0);
	assert_int_equal(dbr__conf_count(models), 2);
	int64_t secs;
	assert_int_equal(dbr__conf_int(&secs, c->routers[1].node, "seconds"), 0);
	assert_int_equal(secs, 15);
}

static void test_good_full(void **state)
{
	(void)state;
	char *path = conf_path("good-full.conf");
	dbr__config *c;
	int rc = dbr__config_load_file(&c, path);
	if (rc)
		fail_msg("%s", last_msg());
	assert_string_equal(c->file, path);
	assert_string_equal(c->plugin_path, "/opt/dbrouter/plugins:/usr/local/lib/dbrouter");
	assert_string_equal(c->token_secret, "pin-signing-key");
	assert_non_null(c->cfg);
	check_full_dbs(c, path);
	check_full_routers(c);
	dbr__config_free(c);
	free(path);
}

static void test_good_include(void **state)
{
	(void)state;
	char *path = conf_path("good-include.conf");
	dbr__config *c;
	int rc = dbr__config_load_file(&c, path);
	if (rc)
		fail_msg("%s", last_msg());
	assert_int_equal(c->ndbs, 2);
	assert_string_equal(c->dbs[1].alias, "logs");
	char *where = conf_path("part-include.conf:2"); /* the included file's line */
	assert_string_equal(c->dbs[1].where, where);
	free(where);
	dbr__config_free(c);
	free(path);
}

static void test_bad_include_syntax(void **state)
{
	(void)state;
	char *path = conf_path("bad-include-syntax.conf");
	char *part = conf_path("part-syntax.conf:2: syntax error");
	dbr__config *c;
	assert_int_equal(dbr__config_load_file(&c, path), DBR_ECONFIG);
	assert_null(c);
	assert_msg(part, NULL);
	free(part);
	free(path);
}

/* A bare file name: messages show it as given; @include from the cwd. */
static void test_relative_path(void **state)
{
	(void)state;
	char cwd[PATH_MAX], *dir = conf_path("");
	dbr__config *c;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	int rc = dbr__config_load_file(&c, "bad-db-unknown.conf");
	char *msg = dbr__strdup(last_msg());
	int rc2 = dbr__config_load_file(&c, "good-include.conf");
	assert_int_equal(chdir(cwd), 0);
	free(dir);
	assert_int_equal(rc, DBR_ECONFIG);
	assert_string_equal(msg, "bad-db-unknown.conf:4: databases.default.wieght: unknown setting "
	                    "(known here: url, replica_of, weight, driver, options, pool, "
	                    "password_file, monitor)");
	free(msg);
	assert_int_equal(rc2, 0);
	assert_string_equal(c->dbs[1].where, "part-include.conf:2");
	dbr__config_free(c);
	assert_int_equal(dbr__config_load_file(&c, "bad-db-unknown.conf"), DBR_ECONFIG);
	assert_msg("bad-db-unknown.conf: cannot read: ", NULL);
}

static void test_good_minimal(void **state)
{
	(void)state;
	char *path = conf_path("good-minimal.conf");
	dbr__config *c;
	assert_int_equal(dbr__config_load_file(&c, path), 0);
	assert_null(c->plugin_path);
	assert_null(c->token_secret);
	assert_int_equal(c->ndbs, 1);
	assert_int_equal(c->nrouters, 0);
	dbr__pool_conf def;
	dbr__pool_conf_defaults(&def);
	assert_memory_equal(&c->dbs[0].pool, &def, sizeof(def));
	assert_int_equal(def.max_connections, 10);
	assert_int_equal(def.min_connections, 0);
	assert_true(def.acquire_timeout == 30.0 && def.idle_timeout == 600.0);
	assert_true(def.max_lifetime == 1800.0 && def.test_before_acquire == 60.0);
	assert_true(def.transaction_timeout == 0.0);
	dbr__config_free(c);
	free(path);
}

static void test_load_string(void **state)
{
	(void)state;
	dbr__config *c;
	assert_int_equal(dbr__config_load_string(&c,
		"databases = {\n"
		"  default = { url = \"sqlite:///tmp/s.db\"; };\n"
		"  r = { url = \"sqlite:///tmp/s.db\"; replica_of = \"default\"; weight = 2; };\n"
		"};\n"), 0);
	assert_string_equal(c->file, "<string>");
	assert_int_equal(c->ndbs, 2);
	assert_string_equal(c->dbs[1].replica_of, "default");
	assert_string_equal(c->dbs[1].where, "<string>:3");
	dbr__config_free(c);

	/* messages name "<string>" */
	assert_int_equal(dbr__config_load_string(&c,
		"databases = {\n  default = { url = \"sqlite:///tmp/s.db\";\n  port = 5; };\n};\n"),
		DBR_ECONFIG);
	assert_null(c);
	assert_msg("<string>:3: databases.default.port: unknown setting", NULL);
	assert_int_equal(dbr__config_load_string(&c, "databases = {\n default = {\n};\n"), DBR_ECONFIG);
	assert_msg("<string>:4: syntax error", NULL);
	assert_int_equal(dbr__config_load_string(&c, "a = 1;\nb = {\n c = 1;\n c = 2; };\n"), DBR_ECONFIG);
	assert_msg("<string>:4: b.c: set twice", NULL);
	/* braces in strings and comments do not confuse the duplicate's path */
	assert_int_equal(dbr__config_load_string(&c,
		"a = \"{ ( [\"; # } ) ]\n"
		"/* { */ g = ( { x = 1; }, { y = \"}\";\n"
		" y = 3; } );\n"), DBR_ECONFIG);
	assert_msg("<string>:3: g.[1].y: set twice", NULL);
	/* a replica may come before its primary */
	assert_int_equal(dbr__config_load_string(&c,
		"databases = { r = { url = \"sqlite:///tmp/s.db\"; replica_of = \"default\"; };\n"
		"  default = { url = \"sqlite:///tmp/s.db\"; }; };\n"), 0);
	assert_string_equal(c->dbs[0].replica_of, "default");
	dbr__config_free(c);
	assert_int_equal(dbr__config_load_string(&c, ""), DBR_ECONFIG);
	assert_msg("<string>: databases: missing", NULL);
}

/* Integers are read as 64-bit everywhere (files, fragments, plugin
 * settings): a value out of a setting's range is refused as written, never
 * wrapped to 32 bits first. */
static void test_int_ranges(void **state)
{
	(void)state;
	dbr__config *c;
	assert_int_equal(dbr__config_load_string(&c,
		"databases = { default = { url = \"sqlite:///tmp/s.db\";\n"
		"  pool = { min_connections = -4294967295; }; }; };\n"), DBR_ECONFIG);
	assert_string_equal(last_msg(), "<string>:2: databases.default.pool.min_connections: "
	                    "must be an integer from 0 to 100000, got -4294967295");
	assert_int_equal(dbr__config_load_string(&c,
		"databases = { default = { url = \"sqlite:///tmp/s.db\"; weight = 0x100000001; }; };\n"),
		DBR_ECONFIG);
	assert_string_equal(last_msg(), "<string>:1: databases.default.weight: "
	                    "must be an integer from 1 to 1000000, got 4294967297");
	assert_int_equal(dbr__config_load_string(&c,
		"databases = { default = { url = \"sqlite:///tmp/s.db\";\n"
		"  weight = -99999999999999999999; }; };\n"), DBR_ECONFIG);
	assert_string_equal(last_msg(), "<string>:2: databases.default.weight: "
	                    "integer out of range: it does not fit in 64 bits");
	/* the limits themselves are accepted; floats, strings and names with
	 * digits are left alone */
	assert_int_equal(dbr__config_load_string(&c,
		"databases = { default = { url = \"sqlite:///tmp/s1.db?x=99999999999\"; weight = 1000000;\n"
		"  pool = { max_connections = 100000; acquire_timeout = 1.5e3; idle_timeout = 2; }; };\n"
		"  r2 = { url = \"sqlite:///tmp/s1.db\"; replica_of = \"default\"; weight = 5L; }; };\n"), 0);
	assert_int_equal(c->dbs[0].weight, 1000000);
	assert_int_equal(c->dbs[0].pool.max_connections, 100000);
	assert_true(c->dbs[0].pool.acquire_timeout == 1500.0);
	assert_true(c->dbs[0].pool.idle_timeout == 2.0);
	assert_int_equal(c->dbs[1].weight, 5);
	assert_string_equal(c->dbs[0].url.raw, "sqlite:///tmp/s1.db?x=99999999999");
	dbr__config_free(c);
	/* dbr_add_database's settings text: the same */
	dbr__dbconf d;
	assert_int_equal(dbr__config_parse_database(&d, "x", "sqlite:///tmp/x.db",
	                                            "weight = 99999999999;"), DBR_ECONFIG);
	assert_string_equal(last_msg(), "<dbr_add_database>:1: weight: "
	                    "must be an integer from 1 to 1000000, got 99999999999");
	/* a plugin's conf_int sees the value written, beyond 32 bits */
	assert_int_equal(dbr__config_parse_router(&c, "r", "limit = 99999999999; low = -4294967297;"), 0);
	int64_t i;
	assert_int_equal(dbr__conf_int(&i, c->routers[0].node, "limit"), 0);
	assert_true(i == INT64_C(99999999999));
	assert_int_equal(dbr__conf_int(&i, c->routers[0].node, "low"), 0);
	assert_true(i == INT64_C(-4294967297));
	dbr__config_free(c);
}

/* ------------------------------------------------------- fragments */

static void test_parse_database(void **state)
{
	(void)state;
	dbr__dbconf d;
	assert_int_equal(dbr__config_parse_database(&d, "tenant_42", "sqlite:///tmp/t42.db", NULL), 0);
	assert_string_equal(d.alias, "tenant_42");
	assert_string_equal(d.driver, "sqlite");
	assert_int_equal(d.weight, 1);
	assert_int_equal(d.pool.max_connections, 10);
	dbr__dbconf_clear(&d);
	assert_null(d.alias);

	assert_int_equal(dbr__config_parse_database(&d, "r1", "postgres://u:pw9@h/db",
		"replica_of = \"default\";\nweight = 4;\n"
		"pool = { max_connections = 3; acquire_timeout = 1; };\n"
		"options = { application_name = \"app\"; };\n"), 0);
	assert_string_equal(d.replica_of, "default");
	assert_int_equal(d.weight, 4);
	assert_int_equal(d.pool.max_connections, 3);
	assert_true(d.pool.acquire_timeout == 1.0);
	assert_int_equal(d.noptions, 1);
	assert_string_equal(d.driver, "postgres");
	assert_string_equal(d.where, "<dbr_add_database>");
	dbr__dbconf_clear(&d);

	static const struct {
		const char *alias, *url, *settings, *prefix;
		const char *secret;
	} bad[] = {
		{ "x", "sqlite:///tmp/x.db", "url = \"sqlite:///tmp/y.db\";",
		  "<dbr_add_database>:1: url: not allowed here", NULL },
		{ "x", "sqlite:///tmp/x.db", "weight = 1;\nwieght = 2;",
		  "<dbr_add_database>:2: wieght: unknown setting", NULL },
		{ "x", "sqlite:///tmp/x.db", "weight = ;", "<dbr_add_database>:1: syntax error", NULL },
		{ "x", "sqlite:///tmp/x.db", "\nreplica_of = \"x\";",
		  "<dbr_add_database>:2: replica_of: database \"x\" cannot be a replica of itself", NULL },
		{ "bad alias", "sqlite:///tmp/x.db", NULL, "<dbr_add_database>: invalid database alias", NULL },
		{ "x", "postgres://u:topsecret@h:0x/db", NULL,
		  "<dbr_add_database>: url: invalid URL 'postgres://****@h:0x/db'", "topsecret" },
		{ "x", "ftp+ssl://u:topsecret@h/db", NULL,
		  "<dbr_add_database>: url: no built-in driver for scheme \"ftp+ssl\"", "topsecret" },
	};
	for (size_t i = 0; i < NELEM(bad); i++) {
		memset(&d, 0x5a, sizeof(d));
		assert_int_equal(dbr__config_parse_database(&d, bad[i].alias, bad[i].url, bad[i].settings),
		                 DBR_ECONFIG);
		assert_msg(bad[i].prefix, NULL);
		assert_null(d.alias); /* cleared: nothing half-built */
		assert_null(d.driver);
		if (bad[i].secret)
			assert_null(strstr(last_msg(), bad[i].secret));
	}
}

static void test_parse_router(void **state)
{
	(void)state;
	dbr__config *c;
	assert_int_equal(dbr__config_parse_router(&c, "per_model",
		"models = { Log = \"logs\"; };\nmodule = \"/x/per_model.so\";\n"), 0);
	assert_string_equal(c->file, "<dbr_add_router>");
	assert_int_equal(c->ndbs, 0);
	assert_int_equal(c->nrouters, 1);
	assert_string_equal(c->routers[0].name, "per_model");
	assert_string_equal(c->routers[0].module, "/x/per_model.so");
	const dbr_conf *node = c->routers[0].node;
	assert_ptr_equal(dbr__conf_owner(node), c);
	assert_int_equal(dbr__conf_unread(node), DBR_ECONFIG);
	assert_msg("<dbr_add_router>:1: models: unknown setting", NULL);
	const dbr_conf *models;
	assert_int_equal(dbr__conf_child(&models, node, "models"), 0);
	assert_int_equal(dbr__conf_unread(node), DBR_ECONFIG);
	assert_msg("<dbr_add_router>:1: models.Log: unknown setting", NULL);
	const char *v;
	assert_int_equal(dbr__conf_string(&v, models, "Log"), 0);
	assert_string_equal(v, "logs");
	assert_int_equal(dbr__conf_unread(node), 0);
	dbr__config_free(c);

	assert_int_equal(dbr__config_parse_router(&c, "round_robin", NULL), 0);
	assert_int_equal(dbr__conf_count(c->routers[0].node), 0);
	assert_int_equal(dbr__conf_unread(c->routers[0].node), 0);
	dbr__config_free(c);

	assert_int_equal(dbr__config_parse_router(&c, "x", "name = \"y\";"), DBR_ECONFIG);
	assert_null(c);
	assert_msg("<dbr_add_router>:1: name: not allowed here", NULL);
	assert_int_equal(dbr__config_parse_router(&c, "x", "module = 5;"), DBR_ECONFIG);
	assert_msg("<dbr_add_router>:1: module: expected a string, got an integer", NULL);
	assert_int_equal(dbr__config_parse_router(&c, "x", "a = {"), DBR_ECONFIG);
	assert_msg("<dbr_add_router>:1: syntax error", NULL);
	assert_int_equal(dbr__config_parse_router(&c, "", NULL), DBR_ECONFIG);
}

static void test_parse_routers(void **state)
{
	(void)state;
	dbr__config *c;
	assert_int_equal(dbr__config_parse_routers(&c,
		"( { name = \"per_model\"; models = { Log = \"logs\"; }; },\n"
		"  { name = \"round_robin\"; } );\n# a trailing comment"), 0);
	assert_int_equal(c->nrouters, 2);
	assert_string_equal(c->routers[1].name, "round_robin");
	assert_string_equal(c->routers[1].where, "<dbr_set_routers>:2");
	assert_int_equal(dbr__conf_unread(c->routers[0].node), DBR_ECONFIG);
	assert_msg("<dbr_set_routers>:1: routers.[0].models: unknown setting", NULL);
	dbr__config_free(c);

	assert_int_equal(dbr__config_parse_routers(&c, NULL), 0);
	assert_int_equal(c->nrouters, 0);
	dbr__config_free(c);
	assert_int_equal(dbr__config_parse_routers(&c, " "), 0);
	assert_int_equal(c->nrouters, 0);
	dbr__config_free(c);

	assert_int_equal(dbr__config_parse_routers(&c, "(\n { nmae = \"x\"; } )"), DBR_ECONFIG);
	assert_null(c);
	assert_msg("<dbr_set_routers>:2: routers.[0].name: missing", NULL);
	assert_int_equal(dbr__config_parse_routers(&c, "{ name = \"x\"; }"), DBR_ECONFIG);
	assert_msg("<dbr_set_routers>:1: routers: expected a list", NULL);
}

/* ------------------------------------------------------- accessors */

static const char router_text[] =
	"databases = {\n"                                        /* 1 */
	"  default = { url = \"sqlite:///tmp/a.db\"; };\n"       /* 2 */
	"  ro = { url = \"sqlite:///tmp/a.db\"; replica_of = \"default\"; };\n"
	"};\n"                                                   /* 4 */
	"routers = (\n"                                          /* 5 */
	"  { name = \"custom\";\n"                               /* 6 */
	"    text = \"hello\"; count = 7; big = 9000000000L; ratio = 0.5;\n" /* 7 */
	"    flag = true; models = { Log = \"logs\"; };\n"      /* 8 */
	"    list = ( 1, \"two\" ); nums = [ 1, 2 ];\n"          /* 9 */
	"    modles = 1;\n"                                      /* 10 */
	"  }\n"
	");\n";

static void test_accessor_types(void **state)
{
	(void)state;
	dbr__config *c;
	assert_int_equal(dbr__config_load_string(&c, router_text), 0);
	const dbr_conf *n = c->routers[0].node;
	const char *s;
	int64_t i;
	double d;
	int b;

	assert_int_equal(dbr__conf_string(&s, n, "text"), 0);
	assert_string_equal(s, "hello");
	assert_int_equal(dbr__conf_int(&i, n, "count"), 0);
	assert_int_equal(i, 7);
	assert_int_equal(dbr__conf_int(&i, n, "big"), 0);
	assert_true(i == INT64_C(9000000000));
	assert_int_equal(dbr__conf_double(&d, n, "ratio"), 0);
	assert_true(d == 0.5);
	assert_int_equal(dbr__conf_double(&d, n, "count"), 0); /* an int is a number */
	assert_true(d == 7.0);
	assert_int_equal(dbr__conf_bool(&b, n, "flag"), 0);
	assert_int_equal(b, 1);

	/* wrong types: DBR_ECONFIG naming file, line, setting */
	assert_int_equal(dbr__conf_int(&i, n, "ratio"), DBR_ECONFIG);
	assert_msg("<string>:7: routers.[0].ratio: expected an integer, got a float", NULL);
	assert_int_equal(dbr__conf_bool(&b, n, "count"), DBR_ECONFIG);
	assert_msg("<string>:7: routers.[0].count: expected a boolean", NULL);
	assert_int_equal(dbr__conf_string(&s, n, "flag"), DBR_ECONFIG);
	assert_msg("<string>:8: routers.[0].flag: expected a string, got a boolean", NULL);
	assert_int_equal(dbr__conf_double(&d, n, "text"), DBR_ECONFIG);
	assert_msg("<string>:7: routers.[0].text: expected a number, got a string", NULL);
	const dbr_conf *ch;
	assert_int_equal(dbr__conf_child(&ch, n, "count"), DBR_ECONFIG);
	assert_msg("<string>:7: routers.[0].count: expected a group or a list, got an integer", NULL);

	/* absent */
	assert_int_equal(dbr__conf_string(&s, n, "nothing"), DBR_ENOTFOUND);
	assert_int_equal(dbr__conf_int(&i, n, "nothing"), DBR_ENOTFOUND);
	assert_int_equal(dbr__conf_double(&d, n, "nothing"), DBR_ENOTFOUND);
	assert_int_equal(dbr__conf_bool(&b, n, "nothing"), DBR_ENOTFOUND);
	assert_int_equal(dbr__conf_child(&ch, n, "nothing"), DBR_ENOTFOUND);
	assert_int_equal(dbr__conf_string(&s, NULL, "x"), DBR_ENOTFOUND);
	dbr__config_free(c);
}

static void test_accessor_tree(void **state)
{
	(void)state;
	dbr__config *c;
	assert_int_equal(dbr__config_load_string(&c, router_text), 0);
	const dbr_conf *n = c->routers[0].node, *list, *nums, *models;
	const char *s;
	int64_t i;

	assert_null(dbr__conf_name(n)); /* a list element */
	assert_int_equal(dbr__conf_count(n), 10);
	assert_int_equal(dbr__conf_child(&list, n, "list"), 0);
	assert_string_equal(dbr__conf_name(list), "list");
	assert_int_equal(dbr__conf_count(list), 2);
	assert_int_equal(dbr__conf_int(&i, dbr__conf_at(list, 0), NULL), 0);
	assert_int_equal(i, 1);
	assert_int_equal(dbr__conf_string(&s, dbr__conf_at(list, 1), NULL), 0);
	assert_string_equal(s, "two");
	assert_null(dbr__conf_at(list, 2));
	assert_int_equal(dbr__conf_child(&nums, n, "nums"), 0);
	assert_int_equal(dbr__conf_count(nums), 2);
	assert_int_equal(dbr__conf_count(dbr__conf_at(nums, 0)), 0); /* a scalar */
	assert_int_equal(dbr__conf_int(&i, dbr__conf_at(list, 1), NULL), DBR_ECONFIG);
	assert_msg("<string>:9: routers.[0].list.[1]: expected an integer", NULL);

	/* iterate a group by index: name and value */
	assert_int_equal(dbr__conf_child(&models, n, "models"), 0);
	const dbr_conf *e = dbr__conf_at(models, 0);
	assert_string_equal(dbr__conf_name(e), "Log");
	assert_int_equal(dbr__conf_string(&s, e, NULL), 0);
	assert_string_equal(s, "logs");

	/* conf_error names file, line and setting */
	assert_int_equal(dbr__host.conf_error(e, "no database \"%s\"", s), DBR_ECONFIG);
	assert_msg("<string>:8: routers.[0].models.Log: no database \"logs\"", NULL);
	dbr__config_free(c);
}

static void test_unread(void **state)
{
	(void)state;
	dbr__config *c;
	assert_int_equal(dbr__config_load_string(&c, router_text), 0);
	const dbr_conf *n = c->routers[0].node, *x;
	const char *s;
	int64_t i;
	double d;
	int b;

	/* name is read by the core; the rest waits for the plugin */
	assert_int_equal(dbr__conf_unread(n), DBR_ECONFIG);
	assert_msg("<string>:7: routers.[0].text: unknown setting", NULL);
	assert_int_equal(dbr__conf_string(&s, n, "text"), 0);
	assert_int_equal(dbr__conf_int(&i, n, "count"), 0);
	assert_int_equal(dbr__conf_int(&i, n, "big"), 0);
	assert_int_equal(dbr__conf_double(&d, n, "ratio"), 0);
	assert_int_equal(dbr__conf_bool(&b, n, "flag"), 0);
	assert_int_equal(dbr__conf_child(&x, n, "models"), 0);
	assert_int_equal(dbr__conf_unread(n), DBR_ECONFIG);
	assert_msg("<string>:8: routers.[0].models.Log: unknown setting", NULL);
	assert_int_equal(dbr__conf_string(&s, x, "Log"), 0);
	assert_int_equal(dbr__conf_child(&x, n, "list"), 0);
	assert_int_equal(dbr__conf_child(&x, n, "nums"), 0);
	assert_int_equal(dbr__conf_unread(n), DBR_ECONFIG);
	assert_msg("<string>:10: routers.[0].modles: unknown setting", NULL);
	/* a type error does not count as a read */
	assert_int_equal(dbr__conf_string(&s, n, "modles"), DBR_ECONFIG);
	assert_int_equal(dbr__conf_unread(n), DBR_ECONFIG);
	assert_int_equal(dbr__conf_int(&i, n, "modles"), 0);
	assert_int_equal(dbr__conf_unread(n), 0);
	dbr__config_free(c);
}

static int extra_alias(void *ctx, const char *alias, const char **replica_of)
{
	if (strcmp(alias, "tenant") != 0)
		return DBR_ENOTFOUND;
	*replica_of = ctx;
	return 0;
}

static void test_alias(void **state)
{
	(void)state;
	dbr__config *c;
	assert_int_equal(dbr__config_load_string(&c, router_text), 0);
	const dbr_conf *n = c->routers[0].node;
	const char *ro = "unset";
	assert_int_equal(dbr__conf_alias(&ro, n, "default"), 0);
	assert_null(ro);
	assert_int_equal(dbr__conf_alias(&ro, n, "ro"), 0);
	assert_string_equal(ro, "default");
	assert_int_equal(dbr__conf_alias(NULL, n, "ro"), 0);
	assert_int_equal(dbr__conf_alias(&ro, n, "tenant"), DBR_ENOTFOUND);
	c->extra_alias = extra_alias;
	c->extra_ctx = "default";
	assert_int_equal(dbr__conf_alias(&ro, n, "tenant"), 0);
	assert_string_equal(ro, "default");
	assert_int_equal(dbr__conf_alias(&ro, n, "nobody"), DBR_ENOTFOUND);
	dbr__config_free(c);

	/* a router added at run time sees only the running databases */
	assert_int_equal(dbr__config_parse_router(&c, "per_model", NULL), 0);
	n = c->routers[0].node;
	assert_int_equal(dbr__conf_alias(&ro, n, "default"), DBR_ENOTFOUND);
	c->extra_alias = extra_alias;
	c->extra_ctx = NULL;
	assert_int_equal(dbr__conf_alias(&ro, n, "tenant"), 0);
	assert_null(ro);
	dbr__config_free(c);
}

int main(void)
{
	struct CMUnitTest tests[NELEM(bads) + 14] = {
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_good_full),
		cmocka_unit_test(test_good_minimal),
		cmocka_unit_test(test_good_include),
		cmocka_unit_test(test_bad_include_syntax),
		cmocka_unit_test(test_relative_path),
		cmocka_unit_test(test_load_string),
		cmocka_unit_test(test_int_ranges),
		cmocka_unit_test(test_parse_database),
		cmocka_unit_test(test_parse_router),
		cmocka_unit_test(test_parse_routers),
		cmocka_unit_test(test_accessor_types),
		cmocka_unit_test(test_accessor_tree),
		cmocka_unit_test(test_unread),
		cmocka_unit_test(test_alias),
	};
	for (size_t i = 0; i < NELEM(bads); i++)
		tests[14 + i] = (struct CMUnitTest){ bads[i].file, test_bad_file, NULL, NULL,
		                                     (void *)&bads[i] };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
