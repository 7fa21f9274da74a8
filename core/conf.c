/* SPDX-License-Identifier: MIT */
/*
 * conf.c — the dbr_conf nodes plugins read through the host (host->conf_*):
 * typed accessors, FILE:LINE: SETTING.PATH error messages, and the unread
 * check that reports typos (a dbr_conf IS a config_setting_t).
 *
 * Hooks: the root setting's hook points to its dbr__config (the owner); any
 * other setting's hook is &read_marker once somebody read it, so that
 * dbr__conf_unread can report settings nobody knows (typos).
 */
#include <libconfig.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "conf_private.h"

static char read_marker;

const char dbr__conf_alias_first[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_";
const char dbr__conf_alias_rest[] =
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

void dbr__conf_mark(const config_setting_t *s)
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
char *dbr__conf_place_of(const config_setting_t *s)
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

int dbr__conf_fail(const config_setting_t *s, const char *child, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = verr_at(s, child, fmt, ap);
	va_end(ap);
	return rc;
}

int dbr__conf_oom(void)
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

const char *dbr__conf_type_name(const config_setting_t *s)
{
	unsigned t = (unsigned)s->type;
	return t < NELEM(type_names) && type_names[t] ? type_names[t] : "an unknown type";
}

/* Finds `key` under `node` (NULL: the node itself), checks its type, marks it. */
int dbr__conf_fetch(const config_setting_t **out, const dbr_conf *node, const char *key,
                    enum want w)
{
	const config_setting_t *s = S(node);
	if (s && key)
		s = config_setting_is_group(s) ? config_setting_get_member(s, key) : NULL;
	if (!s)
		return DBR_ENOTFOUND;
	if (!(wants[w].types & (1u << (unsigned)s->type)))
		return dbr__conf_fail(s, NULL, "expected %s, got %s", wants[w].what, dbr__conf_type_name(s));
	dbr__conf_mark(s);
	*out = s;
	return 0;
}

int dbr__conf_string(const char **out, const dbr_conf *node, const char *key)
{
	const config_setting_t *s;
	int rc = dbr__conf_fetch(&s, node, key, W_STRING);
	if (rc == 0)
		*out = config_setting_get_string(s);
	return rc;
}

int dbr__conf_int(int64_t *out, const dbr_conf *node, const char *key)
{
	const config_setting_t *s;
	int rc = dbr__conf_fetch(&s, node, key, W_INT);
	if (rc == 0)
		*out = (int64_t)config_setting_get_int64(s);
	return rc;
}

int dbr__conf_double(double *out, const dbr_conf *node, const char *key)
{
	const config_setting_t *s;
	int rc = dbr__conf_fetch(&s, node, key, W_NUMBER);
	if (rc == 0)
		*out = s->type == CONFIG_TYPE_FLOAT ? config_setting_get_float(s)
		                                    : (double)config_setting_get_int64(s);
	return rc;
}

int dbr__conf_bool(int *out, const dbr_conf *node, const char *key)
{
	const config_setting_t *s;
	int rc = dbr__conf_fetch(&s, node, key, W_BOOL);
	if (rc == 0)
		*out = config_setting_get_bool(s) != 0;
	return rc;
}

int dbr__conf_child(const dbr_conf **out, const dbr_conf *node, const char *key)
{
	const config_setting_t *s;
	int rc = dbr__conf_fetch(&s, node, key, W_AGGREGATE);
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
		dbr__conf_mark(s);
	return (const dbr_conf *)s;
}

const char *dbr__conf_name(const dbr_conf *node)
{
	return node ? config_setting_name(S(node)) : NULL;
}

const dbr__dbconf *dbr__conf_find_db(const dbr__config *c, const char *alias)
{
	for (size_t i = 0; c && alias && i < c->ndbs; i++)
		if (strcmp(c->dbs[i].alias, alias) == 0)
			return &c->dbs[i];
	return NULL;
}

int dbr__conf_alias(const char **replica_of, const dbr_conf *node, const char *alias)
{
	dbr__config *c = dbr__conf_owner(node);
	const dbr__dbconf *d = dbr__conf_find_db(c, alias);
	const char *ro = NULL;

	if (d)
		ro = d->replica_of;
	else if (!c || !alias || !c->extra_alias || c->extra_alias(c->extra_ctx, alias, &ro) != 0)
		return DBR_ENOTFOUND;
	if (replica_of)
		*replica_of = ro;
	return 0;
}

/* `key` of `node` (NULL: the node), unmarked; NULL if absent. */
static const config_setting_t *peek(const dbr_conf *node, const char *key)
{
	const config_setting_t *s = S(node);
	if (s && key)
		s = config_setting_is_group(s) ? config_setting_get_member(s, key) : NULL;
	return s;
}

dbr_conf_type dbr__conf_type(const dbr_conf *node, const char *key)
{
	static const dbr_conf_type types[] = {
		[CONFIG_TYPE_GROUP] = DBR_CONF_GROUP, [CONFIG_TYPE_INT] = DBR_CONF_INT,
		[CONFIG_TYPE_INT64] = DBR_CONF_INT,   [CONFIG_TYPE_FLOAT] = DBR_CONF_FLOAT,
		[CONFIG_TYPE_STRING] = DBR_CONF_STRING, [CONFIG_TYPE_BOOL] = DBR_CONF_BOOL,
		[CONFIG_TYPE_ARRAY] = DBR_CONF_ARRAY, [CONFIG_TYPE_LIST] = DBR_CONF_LIST,
	};
	const config_setting_t *s = peek(node, key);
	unsigned t = s ? (unsigned)s->type : 0;
	return t < NELEM(types) ? types[t] : DBR_CONF_NONE;
}

int dbr__conf_verror_at(const dbr_conf *node, const char *key, const char *fmt, va_list ap)
{
	const config_setting_t *s = peek(node, key);
	if (s)
		return verr_at(s, NULL, fmt, ap);
	if (!node)
		return dbr__verr(DBR_ECONFIG, NULL, fmt, ap);
	return verr_at(S(node), key, fmt, ap);
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
	return u ? dbr__conf_fail(u, NULL, "unknown setting") : 0;
}
