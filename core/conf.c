/*
 * conf.c — the deployment file (plugins.conf) over libconfig: schema checks,
 * messages that name FILE:LINE: SETTING.PATH, and the host's accessors over
 * dbr_conf nodes (a dbr_conf IS a config_setting_t).
 *
 * Hooks: the root setting's hook points to its dbr__config (the owner); any
 * other setting's hook is &read_marker once somebody read it, so that
 * dbr__conf_unread can report settings nobody knows (typos).
 */
#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define S(node) ((config_setting_t *)(node))
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static char read_marker;

static const char alias_first[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_";
static const char alias_rest[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_0123456789-";

/* ------------------------------------------------------- nodes and errors */

static const config_setting_t *root_of(const config_setting_t *s)
{
	while (s->parent)
		s = s->parent;
	return s;
}

dbr__config *dbr__conf_owner(const dbr_conf *node)
{
	return node ? config_setting_get_hook(root_of(S(node))) : NULL;
}

static void mark(const config_setting_t *s)
{
	if (s->parent) /* the root's hook is its owner */
		config_setting_set_hook(S(s), &read_marker);
}

static int is_read(const config_setting_t *s)
{
	return config_setting_get_hook(s) == &read_marker;
}

/* "FILE" or "FILE:LINE" of a setting. FILE is the path as given, "<string>"
 * etc. for text, or an included file's path as libconfig opened it. */
static void place_add(dbr__buf *b, const config_setting_t *s)
{
	const char *f = config_setting_source_file(s);
	const dbr__config *c = dbr__conf_owner((const dbr_conf *)s);
	const char *dir = c && c->cfg ? config_get_include_dir((const config_t *)c->cfg) : NULL;
	unsigned line = config_setting_source_line(s);

	if (!f)
		f = c && c->file ? c->file : "<string>";
	else if (dir && f[0] != '/' && !(c->file && strcmp(f, c->file) == 0))
		dbr__buf_printf(b, "%s/", dir); /* an @include, relative to the dir */
	dbr__buf_printf(b, "%s", f);
	if (line > 0)
		dbr__buf_printf(b, ":%u", line);
}

/* place_add as a new string (the `where` of entries). */
static char *place_of(const config_setting_t *s)
{
	dbr__buf b = { 0 };
	place_add(&b, s);
	if (b.oom)
		dbr__buf_free(&b);
	return b.s;
}

/* "databases.default.pool", list elements as "[i]"; "" for the root. */
static void path_add(dbr__buf *b, size_t start, const config_setting_t *s)
{
	if (!s->parent)
		return;
	path_add(b, start, s->parent);
	if (b->len > start)
		dbr__buf_add(b, ".", 1);
	if (s->name)
		dbr__buf_add(b, s->name, strlen(s->name));
	else
		dbr__buf_printf(b, "[%d]", config_setting_index(s));
}

/* Sets DBR_ECONFIG "FILE:LINE: PATH[.child]: message" for setting `s`. */
static int verr_at(const config_setting_t *s, const char *child, const char *fmt, va_list ap)
{
	char msg[768];
	dbr__buf b = { 0 };

	vsnprintf(msg, sizeof(msg), fmt, ap);
	place_add(&b, s);
	dbr__buf_add(&b, ": ", 2);
	size_t start = b.len;
	path_add(&b, start, s);
	if (child)
		dbr__buf_printf(&b, "%s%s", b.len > start ? "." : "", child);
	if (b.len > start)
		dbr__buf_add(&b, ": ", 2);
	dbr__buf_printf(&b, "%s", msg);
	int rc = b.oom ? dbr__err(DBR_ENOMEM, NULL, "out of memory")
	               : dbr__err(DBR_ECONFIG, NULL, "%s", b.s);
	dbr__buf_free(&b);
	return rc;
}

static int fail(const config_setting_t *s, const char *child, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(const config_setting_t *s, const char *child, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = verr_at(s, child, fmt, ap);
	va_end(ap);
	return rc;
}

static int oom(void)
{
	return dbr__err(DBR_ENOMEM, NULL, "out of memory");
}

int dbr__conf_verror(const dbr_conf *node, const char *fmt, va_list ap)
{
	if (!node)
		return dbr__verr(DBR_ECONFIG, NULL, fmt, ap);
	return verr_at(S(node), NULL, fmt, ap);
}

/* ------------------------------------------------------------ accessors */

static const char *const type_names[] = {
	[CONFIG_TYPE_NONE] = "nothing",     [CONFIG_TYPE_GROUP] = "a group",
	[CONFIG_TYPE_INT] = "an integer",   [CONFIG_TYPE_INT64] = "an integer",
	[CONFIG_TYPE_FLOAT] = "a float",    [CONFIG_TYPE_STRING] = "a string",
	[CONFIG_TYPE_BOOL] = "a boolean",   [CONFIG_TYPE_ARRAY] = "an array",
	[CONFIG_TYPE_LIST] = "a list",
};

#define T(t) (1u << CONFIG_TYPE_##t)
enum want { W_STRING, W_INT, W_NUMBER, W_BOOL, W_AGGREGATE, W_GROUP, W_LIST };
static const struct {
	const char *what;
	unsigned types;
} wants[] = {
	[W_STRING] = { "a string", T(STRING) },
	[W_INT] = { "an integer", T(INT) | T(INT64) },
	[W_NUMBER] = { "a number", T(INT) | T(INT64) | T(FLOAT) },
	[W_BOOL] = { "a boolean (true or false)", T(BOOL) },
	[W_AGGREGATE] = { "a group or a list", T(GROUP) | T(LIST) | T(ARRAY) },
	[W_GROUP] = { "a group { ... }", T(GROUP) },
	[W_LIST] = { "a list ( { ... }, ... )", T(LIST) },
};
#undef T

static const char *type_name(const config_setting_t *s)
{
	unsigned t = (unsigned)s->type;
	return t < NELEM(type_names) && type_names[t] ? type_names[t] : "an unknown type";
}

/* Finds `key` under `node` (NULL: the node itself), checks its type, marks it. */
static int fetch(const config_setting_t **out, const dbr_conf *node, const char *key, enum want w)
{
	const config_setting_t *s = S(node);
	if (s && key)
		s = config_setting_is_group(s) ? config_setting_get_member(s, key) : NULL;
	if (!s)
		return DBR_ENOTFOUND;
	if (!(wants[w].types & (1u << (unsigned)s->type)))
		return fail(s, NULL, "expected %s, got %s", wants[w].what, type_name(s));
	mark(s);
	*out = s;
	return 0;
}

int dbr__conf_string(const char **out, const dbr_conf *node, const char *key)
{
	const config_setting_t *s;
	int rc = fetch(&s, node, key, W_STRING);
	if (rc == 0)
		*out = config_setting_get_string(s);
	return rc;
}

int dbr__conf_int(int64_t *out, const dbr_conf *node, const char *key)
{
	const config_setting_t *s;
	int rc = fetch(&s, node, key, W_INT);
	if (rc == 0)
		*out = (int64_t)config_setting_get_int64(s);
	return rc;
}

int dbr__conf_double(double *out, const dbr_conf *node, const char *key)
{
	const config_setting_t *s;
	int rc = fetch(&s, node, key, W_NUMBER);
	if (rc == 0)
		*out = s->type == CONFIG_TYPE_FLOAT ? config_setting_get_float(s)
		                                    : (double)config_setting_get_int64(s);
	return rc;
}

int dbr__conf_bool(int *out, const dbr_conf *node, const char *key)
{
	const config_setting_t *s;
	int rc = fetch(&s, node, key, W_BOOL);
	if (rc == 0)
		*out = config_setting_get_bool(s) != 0;
	return rc;
}

int dbr__conf_child(const dbr_conf **out, const dbr_conf *node, const char *key)
{
	const config_setting_t *s;
	int rc = fetch(&s, node, key, W_AGGREGATE);
	if (rc == 0)
		*out = (const dbr_conf *)s;
	return rc;
}

size_t dbr__conf_count(const dbr_conf *node)
{
	if (!node || !config_setting_is_aggregate(S(node)))
		return 0;
	return (size_t)config_setting_length(S(node));
}

const dbr_conf *dbr__conf_at(const dbr_conf *node, size_t i)
{
	if (i >= dbr__conf_count(node) || i > UINT_MAX)
		return NULL;
	const config_setting_t *s = config_setting_get_elem(S(node), (unsigned)i);
	if (s)
		mark(s);
	return (const dbr_conf *)s;
}

const char *dbr__conf_name(const dbr_conf *node)
{
	return node ? config_setting_name(S(node)) : NULL;
}

static const dbr__dbconf *find_db(const dbr__config *c, const char *alias)
{
	for (size_t i = 0; c && alias && i < c->ndbs; i++)
		if (strcmp(c->dbs[i].alias, alias) == 0)
			return &c->dbs[i];
	return NULL;
}

int dbr__conf_alias(const char **replica_of, const dbr_conf *node, const char *alias)
{
	dbr__config *c = dbr__conf_owner(node);
	const dbr__dbconf *d = find_db(c, alias);
	const char *ro = NULL;

	if (d)
		ro = d->replica_of;
	else if (!c || !alias || !c->extra_alias || c->extra_alias(c->extra_ctx, alias, &ro) != 0)
		return DBR_ENOTFOUND;
	if (replica_of)
		*replica_of = ro;
	return 0;
}

/* The first named setting under `s` that nobody read. List and array
 * elements have no name to misspell: only what is inside them counts. */
static const config_setting_t *first_unread(const config_setting_t *s)
{
	int n = config_setting_is_aggregate(s) ? config_setting_length(s) : 0;
	for (int i = 0; i < n; i++) {
		const config_setting_t *c = config_setting_get_elem(s, (unsigned)i);
		if (c->name && !is_read(c))
			return c;
		const config_setting_t *u = first_unread(c);
		if (u)
			return u;
	}
	return NULL;
}

int dbr__conf_unread(const dbr_conf *node)
{
	const config_setting_t *u = node ? first_unread(S(node)) : NULL;
	return u ? fail(u, NULL, "unknown setting") : 0;
}

/* ------------------------------------------------------------ schema */

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

/* A known key of a group and what to do with its setting. */
typedef struct keydef {
	const char *key;
	int (*fn)(void *obj, const config_setting_t *s);
} keydef;

static const keydef *find_key(const keydef *keys, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(keys[i].key, name) == 0)
			return &keys[i];
	return NULL;
}

static int unknown_key(const config_setting_t *s, const keydef *keys, size_t n)
{
	dbr__buf b = { 0 };
	for (size_t i = 0; i < n; i++)
		dbr__buf_printf(&b, "%s%s", i ? ", " : "", keys[i].key);
	int rc = b.oom ? oom() : fail(s, NULL, "unknown setting (known here: %s)", b.s);
	dbr__buf_free(&b);
	return rc;
}

/* Runs each child of `group` through its key's handler, in file order. */
static int dispatch(void *obj, const config_setting_t *group, const keydef *keys, size_t n)
{
	int len = config_setting_length(group);
	for (int i = 0; i < len; i++) {
		const config_setting_t *c = config_setting_get_elem(group, (unsigned)i);
		const keydef *k = find_key(keys, n, c->name);
		if (!k)
			return unknown_key(c, keys, n);
		mark(c);
		int rc = k->fn(obj, c);
		if (rc)
			return rc;
	}
	return 0;
}

/* A string setting copied into *dst. */
static int take_string(char **dst, const config_setting_t *s, int nonempty)
{
	const char *v;
	int rc = dbr__conf_string(&v, (const dbr_conf *)s, NULL);
	if (rc)
		return rc;
	if (nonempty && !*v)
		return fail(s, NULL, "must not be empty");
	free(*dst);
	*dst = dbr__strdup(v);
	return *dst ? 0 : oom();
}

static int alias_valid(const char *a)
{
	return a && a[0] && strchr(alias_first, a[0]) && strspn(a, alias_rest) == strlen(a);
}

/* ---- pool = { ... } */

static const struct pooldef {
	const char *key;
	int is_int;
	size_t off;
	double lo;        /* lowest value allowed */
	int lo_excluded;  /* value must be > lo */
} pooldefs[] = {
	{ "max_connections", 1, offsetof(dbr__pool_conf, max_connections), 1, 0 },
	{ "min_connections", 1, offsetof(dbr__pool_conf, min_connections), 0, 0 },
	{ "acquire_timeout", 0, offsetof(dbr__pool_conf, acquire_timeout), 0, 1 },
	{ "idle_timeout", 0, offsetof(dbr__pool_conf, idle_timeout), 0, 0 },
	{ "max_lifetime", 0, offsetof(dbr__pool_conf, max_lifetime), 0, 0 },
	{ "test_before_acquire", 0, offsetof(dbr__pool_conf, test_before_acquire), -HUGE_VAL, 0 },
	{ "transaction_timeout", 0, offsetof(dbr__pool_conf, transaction_timeout), 0, 0 },
};

static int pool_int(dbr__pool_conf *pc, const struct pooldef *pd, const config_setting_t *s)
{
	int64_t v;
	int rc = dbr__conf_int(&v, (const dbr_conf *)s, NULL);
	if (rc)
		return rc;
	if (v < (int64_t)pd->lo || v > INT_MAX)
		return fail(s, NULL, "must be an integer from %d to %d, got %lld",
		            (int)pd->lo, INT_MAX, (long long)v);
	*(int *)(void *)((char *)pc + pd->off) = (int)v;
	return 0;
}

static int pool_seconds(dbr__pool_conf *pc, const struct pooldef *pd, const config_setting_t *s)
{
	double v;
	int rc = dbr__conf_double(&v, (const dbr_conf *)s, NULL);
	if (rc)
		return rc;
	if (!isfinite(v) || v < pd->lo || (pd->lo_excluded && v == pd->lo))
		return fail(s, NULL, "must be a number of seconds %s %g, got %g",
		            pd->lo_excluded ? ">" : ">=", pd->lo, v);
	*(double *)(void *)((char *)pc + pd->off) = v;
	return 0;
}

static int pool_set(void *obj, const config_setting_t *s)
{
	for (size_t i = 0; i < NELEM(pooldefs); i++)
		if (strcmp(pooldefs[i].key, s->name) == 0)
			return (pooldefs[i].is_int ? pool_int : pool_seconds)(obj, &pooldefs[i], s);
	return DBR_ERROR; /* unreachable: dispatch checked the key */
}

static const keydef pool_keys[] = {
	{ "max_connections", pool_set },  { "min_connections", pool_set },
	{ "acquire_timeout", pool_set },  { "idle_timeout", pool_set },
	{ "max_lifetime", pool_set },     { "test_before_acquire", pool_set },
	{ "transaction_timeout", pool_set },
};

/* ---- one database entry */

static int db_pool(void *obj, const config_setting_t *s)
{
	dbr__dbconf *d = obj;
	const config_setting_t *g;
	int rc = fetch(&g, (const dbr_conf *)s, NULL, W_GROUP);
	if (rc == 0)
		rc = dispatch(&d->pool, g, pool_keys, NELEM(pool_keys));
	if (rc == 0 && d->pool.min_connections > d->pool.max_connections)
		rc = fail(config_setting_get_member(g, "min_connections"), NULL,
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
	int rc = fetch(&g, (const dbr_conf *)s, NULL, W_GROUP);
	if (rc)
		return rc;
	size_t n = (size_t)config_setting_length(g);
	d->okeys = calloc(n + 1, sizeof(char *));
	d->ovalues = calloc(n + 1, sizeof(char *));
	if (!d->okeys || !d->ovalues)
		return oom();
	for (size_t i = 0; i < n; i++) {
		const config_setting_t *o = config_setting_get_elem(g, (unsigned)i);
		if (!config_setting_is_scalar(o))
			return fail(o, NULL, "expected a string, number or boolean, got %s",
			            type_name(o));
		mark(o);
		d->okeys[i] = dbr__strdup(o->name);
		d->ovalues[i] = scalar_text(o);
		d->noptions = i + 1;
		if (!d->okeys[i] || !d->ovalues[i])
			return oom();
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
	return rc ? fail(s, NULL, "%s", dbr_error_last()->message) : 0;
}

static int db_replica_of(void *obj, const config_setting_t *s)
{
	dbr__dbconf *d = obj;
	int rc = take_string(&d->replica_of, s, 1);
	if (rc == 0 && strcmp(d->replica_of, d->alias) == 0)
		rc = fail(s, NULL, "database \"%s\" cannot be a replica of itself", d->alias);
	return rc;
}

static int db_weight(void *obj, const config_setting_t *s)
{
	dbr__dbconf *d = obj;
	int64_t v;
	int rc = dbr__conf_int(&v, (const dbr_conf *)s, NULL);
	if (rc)
		return rc;
	if (v < 1 || v > INT_MAX)
		return fail(s, NULL, "must be an integer from 1 to %d, got %lld", INT_MAX, (long long)v);
	d->weight = (int)v;
	return 0;
}

static int db_driver(void *obj, const config_setting_t *s)
{
	return take_string(&((dbr__dbconf *)obj)->driver, s, 1);
}

static const keydef db_keys[] = {
	{ "url", db_url },         { "replica_of", db_replica_of }, { "weight", db_weight },
	{ "driver", db_driver },   { "options", db_options },       { "pool", db_pool },
};

/* Fills `d` from the group `s`. `url` is given (dbr_add_database: the key is
 * then not allowed) or NULL (plugins.conf: the key is required). */
static int db_fill(dbr__dbconf *d, const config_setting_t *s, const char *alias, const char *url)
{
	memset(d, 0, sizeof(*d));
	d->weight = 1;
	dbr__pool_conf_defaults(&d->pool);
	if (!alias_valid(alias))
		return fail(s, NULL, "invalid database alias \"%s\": use letters, digits, '_' "
		            "and '-', starting with a letter or '_'", alias ? alias : "");
	d->alias = dbr__strdup(alias);
	d->where = place_of(s);
	if (!d->alias || !d->where)
		return oom();
	if (!config_setting_is_group(s))
		return fail(s, NULL, "expected a group { url = \"...\"; ... }, got %s", type_name(s));
	const config_setting_t *u = config_setting_get_member(s, "url");
	if (url && u)
		return fail(u, NULL, "not allowed here: the URL is given as an argument");
	if (!url && !u)
		return fail(s, "url", "missing (every database needs a url)");
	int rc = dispatch(d, s, db_keys, NELEM(db_keys));
	if (rc)
		return rc;
	if (url && (rc = dbr__url_parse(&d->url, url)) != 0)
		return rc == DBR_ENOMEM ? rc : fail(s, "url", "%s", dbr_error_last()->message);
	if (d->driver)
		return 0;
	const char *drv = dbr__url_driver(d->url.scheme);
	if (!drv)
		return fail(u ? u : s, u ? NULL : "url",
		            "no built-in driver for scheme \"%s\" of %s: set driver = \"...\"",
		            d->url.scheme ? d->url.scheme : "", d->url.masked ? d->url.masked : "");
	d->driver = dbr__strdup(drv);
	return d->driver ? 0 : oom();
}

void dbr__dbconf_clear(dbr__dbconf *d)
{
	if (!d)
		return;
	free(d->alias);
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

static void alias_list(dbr__buf *b, const dbr__config *c)
{
	for (size_t i = 0; i < c->ndbs; i++)
		dbr__buf_printf(b, "%s%s", i ? ", " : "", c->dbs[i].alias);
	if (!c->ndbs)
		dbr__buf_printf(b, "none");
}

/* Fails on `s` (child `child`) with "MESSAGE (databases are: a, b)". */
static int fail_aliases(const dbr__config *c, const config_setting_t *s, const char *child,
                        const char *what)
{
	dbr__buf b = { 0 };
	alias_list(&b, c);
	int rc = b.oom ? oom() : fail(s, child, "%s (databases are: %s)", what, b.s);
	dbr__buf_free(&b);
	return rc;
}

/* replica_of names an existing primary. */
static int check_replica(const dbr__config *c, const dbr__dbconf *d, const config_setting_t *dbs)
{
	const config_setting_t *s =
		config_setting_get_member(config_setting_get_member(dbs, d->alias), "replica_of");
	const dbr__dbconf *p = find_db(c, d->replica_of);
	char what[300];
	if (!p) {
		snprintf(what, sizeof(what), "no database \"%s\"", d->replica_of);
		return fail_aliases(c, s, NULL, what);
	}
	if (p->replica_of)
		return fail(s, NULL, "\"%s\" is itself a replica (of \"%s\"): name its primary",
		            p->alias, p->replica_of);
	return 0;
}

static int top_databases(void *obj, const config_setting_t *s)
{
	dbr__config *c = obj;
	const config_setting_t *g;
	int rc = fetch(&g, (const dbr_conf *)s, NULL, W_GROUP);
	if (rc)
		return rc;
	size_t n = (size_t)config_setting_length(g);
	c->dbs = calloc(n ? n : 1, sizeof(*c->dbs));
	if (!c->dbs)
		return oom();
	for (size_t i = 0; i < n; i++) {
		const config_setting_t *e = config_setting_get_elem(g, (unsigned)i);
		mark(e);
		c->ndbs = i + 1;
		if ((rc = db_fill(&c->dbs[i], e, e->name, NULL)) != 0)
			return rc;
	}
	if (!find_db(c, "default"))
		return fail_aliases(c, g, NULL, "no database \"default\"");
	for (size_t i = 0; i < n; i++)
		if (c->dbs[i].replica_of && (rc = check_replica(c, &c->dbs[i], g)) != 0)
			return rc;
	return 0;
}

/* One router entry: `name` and `module` are ours, the rest the plugin's. */
static int router_fill(dbr__rconf *r, const config_setting_t *e)
{
	const config_setting_t *s;
	r->where = place_of(e);
	if (!r->where)
		return oom();
	int rc = fetch(&s, (const dbr_conf *)e, NULL, W_GROUP);
	if (rc)
		return rc;
	r->node = (const dbr_conf *)e;
	s = config_setting_get_member(e, "module");
	if (s && (rc = take_string(&r->module, s, 1)) != 0)
		return rc;
	s = config_setting_get_member(e, "name");
	if (!s)
		return fail(e, "name", "missing (the router module to load)");
	return take_string(&r->name, s, 1);
}

static int top_routers(void *obj, const config_setting_t *s)
{
	dbr__config *c = obj;
	const config_setting_t *l;
	int rc = fetch(&l, (const dbr_conf *)s, NULL, W_LIST);
	if (rc)
		return rc;
	size_t n = (size_t)config_setting_length(l);
	c->routers = calloc(n ? n : 1, sizeof(*c->routers));
	if (!c->routers)
		return oom();
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
	return take_string(&((dbr__config *)obj)->plugin_path, s, 0);
}

static int top_token_secret(void *obj, const config_setting_t *s)
{
	return take_string(&((dbr__config *)obj)->token_secret, s, 1);
}

static int fn_name_valid(const char *v)
{
	size_t a = strspn(v, alias_rest);
	if (a > 0 && v[a] == '.') {
		v += a + 1;
		a = strspn(v, alias_rest);
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
		return oom();
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const config_setting_t *e = (const config_setting_t *)dbr__conf_at(l, i);
		if ((rc = take_string(&c->write_functions[i], e, 1)) != 0)
			break;
		c->nwrite_functions = i + 1;
		if (!fn_name_valid(c->write_functions[i]))
			rc = fail(e, NULL, "\"%s\" is not a function name (name or schema.name)",
			          c->write_functions[i]);
	}
	return rc;
}

static const keydef top_keys[] = {
	{ "plugin_path", top_plugin_path }, { "token_secret", top_token_secret },
	{ "databases", top_databases },     { "routers", top_routers },
	{ "write_functions", top_write_functions },
};

/* ------------------------------------------------------------ parsing */

/* libconfig reports a duplicate setting by line only; this scanner follows
 * the text's nesting to name it in full ("databases.default"). */
typedef struct dupscan {
	const char *p;
	unsigned line, target;
	int any;          /* take the first name at `target`, repeated or not */
	dbr__buf path;
	struct frame {
		char kind;        /* '{' group, '(' list, '[' array */
		int index;        /* element index in a list or array */
		size_t pathlen;   /* path length at this frame */
		size_t nnames;    /* names[] below this frame's own */
	} frames[64];
	int depth;
	const char *names[256]; /* names seen in the open groups, innermost last */
	size_t nameslen[256];
	size_t nnames;
} dupscan;

static void scan_skip(dupscan *z)
{
	for (;;) {
		const char *p = z->p;
		if (*p == '\n')
			z->line++;
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == '\f')
			z->p++;
		else if (*p == '#' || (p[0] == '/' && p[1] == '/') || *p == '@')
			z->p += strcspn(p, "\n");
		else if (p[0] == '/' && p[1] == '*') {
			const char *e = strstr(p + 2, "*/");
			e = e ? e + 2 : p + strlen(p);
			for (; p < e; p++)
				z->line += *p == '\n';
			z->p = e;
		} else
			return;
	}
}

/* Back to the current frame's own path (a value ended). */
static void scan_trunc(dupscan *z)
{
	z->path.len = z->frames[z->depth].pathlen;
	if (z->path.s)
		z->path.s[z->path.len] = '\0';
}

/* A setting name in a group: 1 if it repeats one at line `target`. */
static int scan_name(dupscan *z, const char *name, size_t len, unsigned line)
{
	scan_trunc(z);
	dbr__buf_printf(&z->path, "%s%.*s", z->path.len ? "." : "", (int)len, name);
	if (z->any && line == z->target)
		return 1;
	for (size_t i = z->frames[z->depth].nnames; i < z->nnames; i++)
		if (z->nameslen[i] == len && memcmp(z->names[i], name, len) == 0 && line == z->target)
			return 1;
	if (z->nnames < NELEM(z->names)) {
		z->names[z->nnames] = name;
		z->nameslen[z->nnames++] = len;
	}
	return 0;
}

/* One punctuation character. Returns -1 when the text is beyond us. */
static int scan_punct(dupscan *z, char ch)
{
	struct frame *f = &z->frames[z->depth];
	if (strchr("{([", ch)) {
		if (f->kind != '{') {
			scan_trunc(z);
			dbr__buf_printf(&z->path, "%s[%d]", z->path.len ? "." : "", f->index);
		}
		if (z->depth + 1 >= (int)NELEM(z->frames))
			return -1;
		z->frames[++z->depth] = (struct frame){ ch, 0, z->path.len, z->nnames };
		return 0;
	}
	if (strchr("})]", ch)) {
		if (z->depth == 0)
			return -1;
		z->nnames = z->frames[z->depth--].nnames;
	} else if (ch == ',' && f->kind != '{') {
		f->index++;
	}
	scan_trunc(z);
	return 0;
}

/* Path of the setting set twice at line `target`, or NULL (caller frees).
 * With `any`, of the first setting named at that line (the first one may
 * come from an @include this scanner does not follow). */
static char *dup_path(const char *text, unsigned target, int any)
{
	dupscan z = { .p = text, .line = 1, .target = target, .any = any };
	int found = 0;
	z.frames[0].kind = '{';
	while (!found) {
		scan_skip(&z);
		const char *p = z.p;
		if (!*p)
			break;
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++)
				p += p[0] == '\\' && p[1];
			z.p = *p ? p + 1 : p;
		} else if (strchr("{}()[],;=:", *p)) {
			z.p++;
			if (*p != '=' && *p != ':' && scan_punct(&z, *p) < 0)
				break;
		} else {
			size_t len = strcspn(p, " \t\r\n\f{}()[],;=:\"#/");
			unsigned line = z.line;
			z.p += len ? len : 1;
			scan_skip(&z);
			if ((*z.p == '=' || *z.p == ':') && strchr(alias_first, *p) &&
			    z.frames[z.depth].kind == '{')
				found = scan_name(&z, p, len, line);
		}
	}
	char *out = found && !z.path.oom ? dbr__strdup(z.path.s) : NULL;
	dbr__buf_free(&z.path);
	return out;
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	dbr__buf b = { 0 };
	char chunk[4096];
	size_t n;
	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		dbr__buf_add(&b, chunk, n);
	fclose(f);
	if (b.oom || !b.s) {
		dbr__buf_free(&b);
		return NULL;
	}
	return b.s;
}

/* The path libconfig opened for `f`: an @include is relative to the
 * include dir (the main file's directory). Caller frees. */
static char *opened_path(const dbr__config *c, const config_t *cfg, const char *f)
{
	const char *dir = config_get_include_dir(cfg);
	if (!f)
		return dbr__strdup(c->file);
	if (dir && f[0] != '/' && strcmp(f, c->file) != 0)
		return dbr__asprintf("%s/%s", dir, f);
	return dbr__strdup(f);
}

static int parse_error(const dbr__config *c, const config_t *cfg, const char *text, int err)
{
	if (config_error_type(cfg) == CONFIG_ERR_FILE_IO)
		return dbr__err(DBR_ECONFIG, NULL, "%s: cannot read: %s", c->file, strerror(err));
	char *file = opened_path(c, cfg, config_error_file(cfg)), *owned = NULL, *path = NULL;
	const char *why = config_error_text(cfg) ? config_error_text(cfg) : "parse error";
	int line = config_error_line(cfg);
	if (!file)
		return oom();
	if (strstr(why, "duplicate") && line > 0) {
		if (config_error_file(cfg))
			text = owned = read_text(file);
		path = text ? dup_path(text, (unsigned)line, 0) : NULL;
		if (!path && text)
			path = dup_path(text, (unsigned)line, 1);
	}
	int rc = path ? dbr__err(DBR_ECONFIG, NULL, "%s:%d: %s: set twice (duplicate setting name)",
	                         file, line, path)
	              : dbr__err(DBR_ECONFIG, NULL, "%s:%d: %s", file, line, why);
	free(file);
	free(owned);
	free(path);
	return rc;
}

/* A new config named `file`, parsed from the file `path` or from `text`. */
static int config_read_new(dbr__config **out, const char *file, const char *path, const char *text)
{
	dbr__config *c = calloc(1, sizeof(*c));
	config_t *cfg = calloc(1, sizeof(*cfg));
	*out = NULL;
	if (!c || !cfg || !(c->file = dbr__strdup(file))) {
		free(c);
		free(cfg);
		return oom();
	}
	config_init(cfg);
	c->cfg = cfg;
	int ok;
	if (path) {
		/* @include is relative to the including file's directory */
		const char *slash = strrchr(path, '/');
		char *dir = slash ? dbr__strndup(path, (size_t)(slash - path + (slash == path))) : NULL;
		if (dir)
			config_set_include_dir(cfg, dir);
		free(dir);
		ok = config_read_file(cfg, path);
	} else {
		ok = config_read_string(cfg, text);
	}
	int err = errno;
	if (!ok) {
		int rc = parse_error(c, cfg, text, err);
		dbr__config_free(c);
		return rc;
	}
	/* set after reading: a read replaces the root */
	config_setting_set_hook(config_root_setting(cfg), c);
	*out = c;
	return 0;
}

static int load(dbr__config **out, const char *file, const char *path, const char *text)
{
	dbr__config *c;
	*out = NULL;
	int rc = config_read_new(&c, file, path, text);
	if (rc)
		return rc;
	const config_setting_t *root = config_root_setting((config_t *)c->cfg);
	rc = dispatch(c, root, top_keys, NELEM(top_keys));
	if (rc == 0 && !c->dbs)
		rc = fail(root, "databases", "missing: a group of databases, with at least "
		          "default = { url = \"...\"; }");
	if (rc) {
		dbr__config_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

int dbr__config_load_file(dbr__config **out, const char *path)
{
	if (!path)
		return dbr__err(DBR_EINVAL, NULL, "no configuration file given");
	return load(out, path, path, NULL);
}

int dbr__config_load_string(dbr__config **out, const char *text)
{
	return load(out, "<string>", NULL, text ? text : "");
}

int dbr__config_parse_database(dbr__dbconf *out, const char *alias, const char *url,
                               const char *settings)
{
	dbr__config *c;
	memset(out, 0, sizeof(*out));
	if (!url)
		return dbr__err(DBR_ECONFIG, NULL, "<dbr_add_database>: url: missing");
	int rc = config_read_new(&c, "<dbr_add_database>", NULL, settings ? settings : "");
	if (rc)
		return rc;
	rc = db_fill(out, config_root_setting((config_t *)c->cfg), alias, url);
	dbr__config_free(c);
	if (rc)
		dbr__dbconf_clear(out);
	return rc;
}

int dbr__config_parse_router(dbr__config **out, const char *name, const char *settings)
{
	dbr__config *c;
	*out = NULL;
	if (!name || !*name)
		return dbr__err(DBR_ECONFIG, NULL, "<dbr_add_router>: name: missing (the router module to load)");
	int rc = config_read_new(&c, "<dbr_add_router>", NULL, settings ? settings : "");
	if (rc)
		return rc;
	const config_setting_t *root = config_root_setting((config_t *)c->cfg);
	const config_setting_t *s = config_setting_get_member(root, "name");
	dbr__rconf *r = c->routers = calloc(1, sizeof(*c->routers));
	if (!r)
		rc = oom();
	else if (s)
		rc = fail(s, NULL, "not allowed here: the router's name is given as an argument");
	else {
		c->nrouters = 1;
		r->node = (const dbr_conf *)root;
		r->name = dbr__strdup(name);
		r->where = dbr__strdup(c->file);
		s = config_setting_get_member(root, "module");
		rc = !r->name || !r->where ? oom() : s ? take_string(&r->module, s, 1) : 0;
	}
	if (rc) {
		dbr__config_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

static const keydef routers_only[] = { { "routers", top_routers } };

int dbr__config_parse_routers(dbr__config **out, const char *text)
{
	dbr__config *c;
	*out = NULL;
	/* "routers = <text>" on the text's own first line keeps its line
	 * numbers; libconfig makes the final ';' optional */
	int empty = !text || !text[strspn(text, " \t\r\n")];
	char *wrapped = empty ? dbr__strdup("routers = ();") : dbr__asprintf("routers = %s\n", text);
	if (!wrapped)
		return oom();
	int rc = config_read_new(&c, "<dbr_set_routers>", NULL, wrapped);
	free(wrapped);
	if (rc)
		return rc;
	rc = dispatch(c, config_root_setting((config_t *)c->cfg), routers_only, NELEM(routers_only));
	if (rc) {
		dbr__config_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void dbr__config_free(dbr__config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->ndbs; i++)
		dbr__dbconf_clear(&c->dbs[i]);
	free(c->dbs);
	for (size_t i = 0; i < c->nrouters; i++) {
		free(c->routers[i].name);
		free(c->routers[i].module);
		free(c->routers[i].where);
	}
	free(c->routers);
	free(c->file);
	free(c->plugin_path);
	free(c->token_secret);
	for (size_t i = 0; i < c->nwrite_functions; i++)
		free(c->write_functions[i]);
	free(c->write_functions);
	if (c->cfg) {
		config_destroy(c->cfg);
		free(c->cfg);
	}
	free(c);
}
