/* SPDX-License-Identifier: MIT */
/*
 * conf_schema.c — the core's own settings in plugins.conf: the tables of
 * known keys (top level, databases, pool) and what each one sets in the
 * configuration model.
 */
#include <libconfig.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "conf_private.h"

void dbr__pool_conf_defaults(dbr__pool_conf *pc)
{
	*pc = (dbr__pool_conf){
		.max_connections = 10,
		.min_connections = 0,
		.acquire_timeout = 30.0,
		.idle_timeout = 600.0,
		.max_lifetime = 1800.0,
		.test_before_acquire = 60.0,
		.transaction_timeout = 0.0,
	};
}

/* ---- pool = { ... } */

/* Each setting with its range: integers are read as 64-bit (never wrapped)
 * and checked against [lo, hi] in one place (dbr__conf_int_range). */
static const struct pooldef {
	const char *key;
	int is_int;
	size_t off;
	double lo;        /* lowest value allowed */
	int lo_excluded;  /* value must be > lo */
	int64_t hi;       /* integers: highest value allowed */
} pooldefs[] = {
	{ "max_connections", 1, offsetof(dbr__pool_conf, max_connections), 1, 0, 100000 },
	{ "min_connections", 1, offsetof(dbr__pool_conf, min_connections), 0, 0, 100000 },
	{ "acquire_timeout", 0, offsetof(dbr__pool_conf, acquire_timeout), 0, 1, 0 },
	{ "idle_timeout", 0, offsetof(dbr__pool_conf, idle_timeout), 0, 0, 0 },
	{ "max_lifetime", 0, offsetof(dbr__pool_conf, max_lifetime), 0, 0, 0 },
	{ "test_before_acquire", 0, offsetof(dbr__pool_conf, test_before_acquire), -HUGE_VAL, 0, 0 },
	{ "transaction_timeout", 0, offsetof(dbr__pool_conf, transaction_timeout), 0, 0, 0 },
};

/* The highest `weight`: a round_robin schedule stays small (it scales
 * weights down past 4096 anyway). */
#define WEIGHT_MAX 1000000

static int pool_int(dbr__pool_conf *pc, const struct pooldef *pd, const config_setting_t *s)
{
	return dbr__conf_int_range((int *)(void *)((char *)pc + pd->off), s, (int64_t)pd->lo, pd->hi);
}

static int pool_seconds(dbr__pool_conf *pc, const struct pooldef *pd, const config_setting_t *s)
{
	double v;
	int rc = dbr__conf_double(&v, (const dbr_conf *)s, NULL);
	if (rc)
		return rc;
	if (!isfinite(v) || v < pd->lo || (pd->lo_excluded && v == pd->lo))
		return dbr__conf_fail(s, NULL, "must be a number of seconds %s %g, got %g",
		            pd->lo_excluded ? ">" : ">=", pd->lo, v);
	*(double *)(void *)((char *)pc + pd->off) = v;
	return 0;
}

static int pool_set(void *obj, const config_setting_t *s)
{
	for (size_t i = 0; i < NELEM(pooldefs); i++)
		if (strcmp(pooldefs[i].key, s->name) == 0)
			return (pooldefs[i].is_int ? pool_int : pool_seconds)(obj, &pooldefs[i], s);
	return DBR_ERROR; /* unreachable: dbr__conf_dispatch checked the key */
}

static const keydef pool_keys[] = {
	{ "max_connections", pool_set },  { "min_connections", pool_set },
	{ "acquire_timeout", pool_set },  { "idle_timeout", pool_set },
	{ "max_lifetime", pool_set },     { "test_before_acquire", pool_set },
	{ "transaction_timeout", pool_set },
};

/* ---- monitor = { ... } (top level, or a primary's entry) */

void dbr__monconf_defaults(dbr__monconf *m)
{
	*m = (dbr__monconf){
		.interval = 1.0, .timeout = 1.0, .recover_after = 2, .max_lag = 0.0,
		.max_lag_bytes = 0, .lag_breaches = 2, .fallback = DBR__FALLBACK_PRIMARY,
		.backoff_max = 10.0,
	};
}

enum { M_SECONDS, M_INT, M_INT64, M_FALLBACK };

/* Each key's kind, place and range; its index is its bit in `set`. */
static const struct mondef {
	const char *key;
	int kind;
	size_t off;
	double lo;        /* lowest value allowed */
	int lo_excluded;  /* value must be > lo */
	int64_t hi;       /* integers: highest value allowed */
} mondefs[] = {
	{ "interval", M_SECONDS, offsetof(dbr__monconf, interval), 0, 1, 0 },
	{ "timeout", M_SECONDS, offsetof(dbr__monconf, timeout), 0, 1, 0 },
	{ "recover_after", M_INT, offsetof(dbr__monconf, recover_after), 1, 0, 1000 },
	{ "max_lag", M_SECONDS, offsetof(dbr__monconf, max_lag), 0, 0, 0 },
	{ "max_lag_bytes", M_INT64, offsetof(dbr__monconf, max_lag_bytes), 0, 0, INT64_MAX },
	{ "lag_breaches", M_INT, offsetof(dbr__monconf, lag_breaches), 1, 0, 1000 },
	{ "fallback", M_FALLBACK, offsetof(dbr__monconf, fallback), 0, 0, 0 },
	{ "backoff_max", M_SECONDS, offsetof(dbr__monconf, backoff_max), 0, 1, 0 },
};

void dbr__monconf_overlay(dbr__monconf *base, const dbr__monconf *over)
{
	static const size_t size[] = { [M_SECONDS] = sizeof(double), [M_INT] = sizeof(int),
	                               [M_INT64] = sizeof(int64_t), [M_FALLBACK] = sizeof(int) };
	for (size_t i = 0; i < NELEM(mondefs); i++)
		if (over->set & (1u << i))
			memcpy((char *)base + mondefs[i].off, (const char *)over + mondefs[i].off,
			       size[mondefs[i].kind]);
	base->set |= over->set;
}

static int mon_value(void *field, const struct mondef *md, const config_setting_t *s)
{
	double v;
	int64_t i;
	const char *t;
	int rc;
	switch (md->kind) {
	case M_INT:
		return dbr__conf_int_range(field, s, (int64_t)md->lo, md->hi);
	case M_INT64:
		if ((rc = dbr__conf_int(&i, (const dbr_conf *)s, NULL)))
			return rc;
		if (i < (int64_t)md->lo)
			return dbr__conf_fail(s, NULL, "must be a number of bytes >= 0, got %lld", (long long)i);
		*(int64_t *)field = i;
		return 0;
	case M_FALLBACK:
		if ((rc = dbr__conf_string(&t, (const dbr_conf *)s, NULL)))
			return rc;
		if (strcmp(t, "primary") && strcmp(t, "error"))
			return dbr__conf_fail(s, NULL, "must be \"primary\" or \"error\", got \"%s\"", t);
		*(int *)field = strcmp(t, "error") == 0 ? DBR__FALLBACK_ERROR : DBR__FALLBACK_PRIMARY;
		return 0;
	default:
		if ((rc = dbr__conf_double(&v, (const dbr_conf *)s, NULL)))
			return rc;
		if (!isfinite(v) || v < md->lo || (md->lo_excluded && v == md->lo))
			return dbr__conf_fail(s, NULL, "must be a number of seconds %s %g, got %g",
			                      md->lo_excluded ? ">" : ">=", md->lo, v);
		*(double *)field = v;
		return 0;
	}
}

static int mon_set(void *obj, const config_setting_t *s)
{
	dbr__monconf *m = obj;
	for (size_t i = 0; i < NELEM(mondefs); i++)
		if (strcmp(mondefs[i].key, s->name) == 0) {
			m->set |= 1u << i;
			return mon_value((char *)m + mondefs[i].off, &mondefs[i], s);
		}
	return DBR_ERROR; /* unreachable: dbr__conf_dispatch checked the key */
}

static const keydef mon_keys[] = {
	{ "interval", mon_set },      { "timeout", mon_set },       { "recover_after", mon_set },
	{ "max_lag", mon_set },       { "max_lag_bytes", mon_set }, { "lag_breaches", mon_set },
	{ "fallback", mon_set },      { "backoff_max", mon_set },
};

/* Fills m (defaults, then the keys written, each marked in m->set). */
static int mon_group(dbr__monconf *m, const config_setting_t *s)
{
	const config_setting_t *g;
	dbr__monconf_defaults(m);
	int rc = dbr__conf_fetch(&g, (const dbr_conf *)s, NULL, W_GROUP);
	return rc ? rc : dbr__conf_dispatch(m, g, mon_keys, NELEM(mon_keys));
}

/* ---- one database entry */

static int db_monitor(void *obj, const config_setting_t *s)
{
	dbr__dbconf *d = obj;
	int rc = mon_group(&d->monitor, s);
	/* An empty group still means "watch this one". */
	if (rc == 0 && !d->monitor.set)
		d->monitor.set = 1u << 31;
	return rc;
}

static int db_pool(void *obj, const config_setting_t *s)
{
	dbr__dbconf *d = obj;
	const config_setting_t *g;
	int rc = dbr__conf_fetch(&g, (const dbr_conf *)s, NULL, W_GROUP);
	if (rc == 0)
		rc = dbr__conf_dispatch(&d->pool, g, pool_keys, NELEM(pool_keys));
	if (rc == 0 && d->pool.min_connections > d->pool.max_connections)
		rc = dbr__conf_fail(config_setting_get_member(g, "min_connections"), NULL,
		          "%d is more than max_connections (%d)",
		          d->pool.min_connections, d->pool.max_connections);
	return rc;
}

/* Scalars as text: int as decimal, float %g, bool "true"/"false". */
static char *scalar_text(const config_setting_t *s)
{
	switch (s->type) {
	case CONFIG_TYPE_STRING:
		return dbr__strdup(config_setting_get_string(s));
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		return dbr__asprintf("%lld", config_setting_get_int64(s));
	case CONFIG_TYPE_FLOAT:
		return dbr__asprintf("%g", config_setting_get_float(s));
	default:
		return dbr__strdup(config_setting_get_bool(s) ? "true" : "false");
	}
}

static int db_options(void *obj, const config_setting_t *s)
{
	dbr__dbconf *d = obj;
	const config_setting_t *g;
	int rc = dbr__conf_fetch(&g, (const dbr_conf *)s, NULL, W_GROUP);
	if (rc)
		return rc;
	size_t n = (size_t)config_setting_length(g);
	d->okeys = calloc(n + 1, sizeof(char *));
	d->ovalues = calloc(n + 1, sizeof(char *));
	if (!d->okeys || !d->ovalues)
		return dbr__conf_oom();
	for (size_t i = 0; i < n; i++) {
		const config_setting_t *o = config_setting_get_elem(g, (unsigned)i);
		if (!config_setting_is_scalar(o))
			return dbr__conf_fail(o, NULL, "expected a string, number or boolean, got %s",
			            dbr__conf_type_name(o));
		dbr__conf_mark(o);
		d->okeys[i] = dbr__strdup(o->name);
		d->ovalues[i] = scalar_text(o);
		d->noptions = i + 1;
		if (!d->okeys[i] || !d->ovalues[i])
			return dbr__conf_oom();
	}
	return 0;
}

static int db_url(void *obj, const config_setting_t *s)
{
	dbr__dbconf *d = obj;
	const char *v;
	int rc = dbr__conf_string(&v, (const dbr_conf *)s, NULL);
	if (rc)
		return rc;
	rc = dbr__url_parse(&d->url, v);
	if (rc == DBR_ENOMEM)
		return rc;
	/* url.c's message quotes the URL masked. */
	return rc ? dbr__conf_fail(s, NULL, "%s", dbr_error_last()->message) : 0;
}

static int db_replica_of(void *obj, const config_setting_t *s)
{
	dbr__dbconf *d = obj;
	int rc = dbr__conf_take_string(&d->replica_of, s, 1);
	if (rc == 0 && strcmp(d->replica_of, d->alias) == 0)
		rc = dbr__conf_fail(s, NULL, "database \"%s\" cannot be a replica of itself", d->alias);
	return rc;
}

static int db_weight(void *obj, const config_setting_t *s)
{
	return dbr__conf_int_range(&((dbr__dbconf *)obj)->weight, s, 1, WEIGHT_MAX);
}

static int db_driver(void *obj, const config_setting_t *s)
{
	return dbr__conf_take_string(&((dbr__dbconf *)obj)->driver, s, 1);
}

/* password_file = "path": the password is the file's first line, read now
 * (at open). Refused if missing, empty, or readable by group or others; its
 * contents are never shown. */
static int db_password_file(void *obj, const config_setting_t *s)
{
	dbr__dbconf *d = obj;
	const char *path;
	struct stat st;
	char *line = NULL;
	size_t cap = 0;
	int rc = dbr__conf_string(&path, (const dbr_conf *)s, NULL);
	FILE *f = rc ? NULL : fopen(path, "r");
	if (rc)
		return rc;
	if (!f)
		return dbr__conf_fail(s, NULL, "database \"%s\": cannot read password file \"%s\": %s",
		                      d->alias, path, strerror(errno));
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077)) {
		fclose(f);
		return dbr__conf_fail(s, NULL, "database \"%s\": password file \"%s\" is readable by group "
		                      "or others (mode %04o): chmod 600 it", d->alias, path,
		                      (unsigned)(st.st_mode & 07777));
	}
	ssize_t n = getline(&line, &cap, f);
	fclose(f);
	if (n > 0)
		line[strcspn(line, "\r\n")] = '\0';
	if (n <= 0 || !line[0]) {
		free(line);
		return dbr__conf_fail(s, NULL, "database \"%s\": password file \"%s\" is empty (the "
		                      "password is its first line)", d->alias, path);
	}
	free(d->file_password);
	d->file_password = line;
	return 0;
}

static const keydef db_keys[] = {
	{ "url", db_url },         { "replica_of", db_replica_of }, { "weight", db_weight },
	{ "driver", db_driver },   { "options", db_options },       { "pool", db_pool },
	{ "password_file", db_password_file }, { "monitor", db_monitor },
};

/* Fills `d` from the group `s`. `url` is given (dbr_add_database: the key is
 * then not allowed) or NULL (plugins.conf: the key is required). */
int dbr__conf_db_fill(dbr__dbconf *d, const config_setting_t *s, const char *alias, const char *url)
{
	memset(d, 0, sizeof(*d));
	d->weight = 1;
	dbr__monconf_defaults(&d->monitor);
	dbr__pool_conf_defaults(&d->pool);
	if (!dbr__conf_alias_valid(alias))
		return dbr__conf_fail(s, NULL, "invalid database alias \"%s\": use letters, digits, '_' "
		            "and '-', starting with a letter or '_'", alias ? alias : "");
	d->alias = dbr__strdup(alias);
	d->where = dbr__conf_place_of(s);
	if (!d->alias || !d->where)
		return dbr__conf_oom();
	if (!config_setting_is_group(s))
		return dbr__conf_fail(s, NULL, "expected a group { url = \"...\"; ... }, got %s",
		                      dbr__conf_type_name(s));
	const config_setting_t *u = config_setting_get_member(s, "url");
	if (url && u)
		return dbr__conf_fail(u, NULL, "not allowed here: the URL is given as an argument");
	if (!url && !u)
		return dbr__conf_fail(s, "url", "missing (every database needs a url)");
	int rc = dbr__conf_dispatch(d, s, db_keys, NELEM(db_keys));
	if (rc)
		return rc;
	if (url && (rc = dbr__url_parse(&d->url, url)) != 0)
		return rc == DBR_ENOMEM ? rc : dbr__conf_fail(s, "url", "%s", dbr_error_last()->message);
	if (d->monitor.set && d->replica_of)
		return dbr__conf_fail(s, "monitor", "a replica's cluster is monitored with the settings of "
		                      "its primary: put monitor = { ... } in \"%s\"'s entry", d->replica_of);
	if (d->file_password && d->url.password)
		return dbr__conf_fail(s, "password_file", "database \"%s\" has a password in its url too: "
		                      "keep one", d->alias);
	if (d->file_password) { /* the driver sees it as the URL's password */
		d->url.password = d->file_password;
		d->file_password = NULL;
	}
	if (d->driver)
		return 0;
	int builtin = 0;
	const char *drv = dbr__url_driver_module(d->url.scheme, &builtin);
	d->driver_from_scheme = drv && !builtin;
	if (!drv)
		return dbr__conf_fail(u ? u : s, u ? NULL : "url",
		            "no built-in driver for scheme \"%s\" of %s: set driver = \"...\"",
		            d->url.scheme ? d->url.scheme : "", d->url.masked ? d->url.masked : "");
	d->driver = dbr__strdup(drv);
	return d->driver ? 0 : dbr__conf_oom();
}

void dbr__dbconf_clear(dbr__dbconf *d)
{
	if (!d)
		return;
	free(d->alias);
	free(d->file_password);
	dbr__url_clear(&d->url);
	free(d->replica_of);
	free(d->driver);
	for (size_t i = 0; i < d->noptions; i++) {
		free(d->okeys[i]);
		free(d->ovalues[i]);
	}
	free(d->okeys);
	free(d->ovalues);
	free(d->where);
	memset(d, 0, sizeof(*d));
}


/* ---- the whole file */

static int top_databases(void *obj, const config_setting_t *s)
{
	dbr__config *c = obj;
	const config_setting_t *g;
	int rc = dbr__conf_fetch(&g, (const dbr_conf *)s, NULL, W_GROUP);
	if (rc)
		return rc;
	size_t n = (size_t)config_setting_length(g);
	c->dbs = calloc(n ? n : 1, sizeof(*c->dbs));
	if (!c->dbs)
		return dbr__conf_oom();
	for (size_t i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(g, (unsigned)i);
		dbr__conf_mark(e);
		c->ndbs = i + 1;
		if ((rc = dbr__conf_db_fill(&c->dbs[i], e, e->name, NULL)) != 0)
			return rc;
	}
	if (!dbr__conf_find_db(c, "default"))
		return dbr__conf_fail_aliases(c, g, NULL, "no database \"default\"");
	for (size_t i = 0; i < n; i++)
		if (c->dbs[i].replica_of && (rc = dbr__conf_check_replica(c, &c->dbs[i], g)) != 0)
			return rc;
	return 0;
}

/* One router entry: `name` and `module` are ours, the rest the plugin's. */
static int router_fill(dbr__rconf *r, const config_setting_t *e)
{
	const config_setting_t *s;
	r->where = dbr__conf_place_of(e);
	if (!r->where)
		return dbr__conf_oom();
	int rc = dbr__conf_fetch(&s, (const dbr_conf *)e, NULL, W_GROUP);
	if (rc)
		return rc;
	r->node = (const dbr_conf *)e;
	s = config_setting_get_member(e, "module");
	if (s && (rc = dbr__conf_take_string(&r->module, s, 1)) != 0)
		return rc;
	s = config_setting_get_member(e, "name");
	if (!s)
		return dbr__conf_fail(e, "name", "missing (the router module to load)");
	return dbr__conf_take_string(&r->name, s, 1);
}

static int top_routers(void *obj, const config_setting_t *s)
{
	dbr__config *c = obj;
	const config_setting_t *l;
	int rc = dbr__conf_fetch(&l, (const dbr_conf *)s, NULL, W_LIST);
	if (rc)
		return rc;
	size_t n = (size_t)config_setting_length(l);
	c->routers = calloc(n ? n : 1, sizeof(*c->routers));
	if (!c->routers)
		return dbr__conf_oom();
	for (size_t i = 0; i < n; i++) {
		c->nrouters = i + 1;
		rc = router_fill(&c->routers[i], config_setting_get_elem(l, (unsigned)i));
		if (rc)
			return rc;
	}
	return 0;
}

static int top_plugin_path(void *obj, const config_setting_t *s)
{
	return dbr__conf_take_string(&((dbr__config *)obj)->plugin_path, s, 0);
}

static int top_token_secret(void *obj, const config_setting_t *s)
{
	return dbr__conf_take_string(&((dbr__config *)obj)->token_secret, s, 1);
}

static int fn_name_valid(const char *v)
{
	size_t a = strspn(v, dbr__conf_alias_rest);
	if (a > 0 && v[a] == '.') {
		v += a + 1;
		a = strspn(v, dbr__conf_alias_rest);
	}
	return a > 0 && v[a] == '\0';
}

/* write_functions = [ "fn", "schema.fn", ... ]: calls the classifier
 * sends to the primary (classify.c). */
static int top_write_functions(void *obj, const config_setting_t *s)
{
	dbr__config *c = obj;
	const dbr_conf *l;
	int rc = dbr__conf_child(&l, (const dbr_conf *)s, NULL);
	size_t n = rc ? 0 : dbr__conf_count(l);
	if (rc == 0 && !(c->write_functions = calloc(n ? n : 1, sizeof(char *))))
		return dbr__conf_oom();
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const config_setting_t *e = (const config_setting_t *)dbr__conf_at(l, i);
		if ((rc = dbr__conf_take_string(&c->write_functions[i], e, 1)) != 0)
			break;
		c->nwrite_functions = i + 1;
		if (!fn_name_valid(c->write_functions[i]))
			rc = dbr__conf_fail(e, NULL, "\"%s\" is not a function name (name or schema.name)",
			                    c->write_functions[i]);
	}
	return rc;
}

/* sql_hints = true: dbr: comments in the SQL route (tokenize.c). */
static int top_sql_hints(void *obj, const config_setting_t *s)
{
	return dbr__conf_bool(&((dbr__config *)obj)->sql_hints, (const dbr_conf *)s, NULL);
}

/* monitor = { ... }: every database is watched, with these defaults. */
static int top_monitor(void *obj, const config_setting_t *s)
{
	dbr__config *c = obj;
	c->has_monitor = 1;
	int rc = mon_group(&c->monitor, s);
	c->monitor.set = 0; /* the base of the entries' own, not an override */
	return rc;
}

const keydef dbr__conf_top_keys[] = {
	{ "plugin_path", top_plugin_path }, { "token_secret", top_token_secret },
	{ "monitor", top_monitor },
	{ "write_functions", top_write_functions }, { "sql_hints", top_sql_hints },
	{ "databases", top_databases },     { "routers", top_routers },
};

const keydef dbr__conf_routers_only[] = { { "routers", top_routers } };
