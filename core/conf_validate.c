/*
 * conf_validate.c — checks shared by the schema: a group's keys run
 * against a table (unknown keys named with the known ones), non-empty
 * strings, alias syntax, and the cross-entry checks (replica_of names a
 * primary).
 */
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_private.h"

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
	int rc = b.oom ? dbr__conf_oom()
	               : dbr__conf_fail(s, NULL, "unknown setting (known here: %s)", b.s);
	dbr__buf_free(&b);
	return rc;
}

/* Runs each child of `group` through its key's handler, in file order. */
int dbr__conf_dispatch(void *obj, const config_setting_t *group, const keydef *keys, size_t n)
{
	int len = config_setting_length(group);
	for (int i = 0; i < len; i++) {
		const config_setting_t *c = config_setting_get_elem(group, (unsigned)i);
		const keydef *k = find_key(keys, n, c->name);
		if (!k)
			return unknown_key(c, keys, n);
		dbr__conf_mark(c);
		int rc = k->fn(obj, c);
		if (rc)
			return rc;
	}
	return 0;
}

/* A string setting copied into *dst. */
int dbr__conf_take_string(char **dst, const config_setting_t *s, int nonempty)
{
	const char *v;
	int rc = dbr__conf_string(&v, (const dbr_conf *)s, NULL);
	if (rc)
		return rc;
	if (nonempty && !*v)
		return dbr__conf_fail(s, NULL, "must not be empty");
	free(*dst);
	*dst = dbr__strdup(v);
	return *dst ? 0 : dbr__conf_oom();
}

int dbr__conf_alias_valid(const char *a)
{
	return a && a[0] && strchr(dbr__conf_alias_first, a[0]) &&
	       strspn(a, dbr__conf_alias_rest) == strlen(a);
}

/* ---- across entries */

static void alias_list(dbr__buf *b, const dbr__config *c)
{
	for (size_t i = 0; i < c->ndbs; i++)
		dbr__buf_printf(b, "%s%s", i ? ", " : "", c->dbs[i].alias);
	if (!c->ndbs)
		dbr__buf_printf(b, "none");
}

/* Fails on `s` (child `child`) with "MESSAGE (databases are: a, b)". */
int dbr__conf_fail_aliases(const dbr__config *c, const config_setting_t *s, const char *child,
                           const char *what)
{
	dbr__buf b = { 0 };
	alias_list(&b, c);
	int rc = b.oom ? dbr__conf_oom() : dbr__conf_fail(s, child, "%s (databases are: %s)", what, b.s);
	dbr__buf_free(&b);
	return rc;
}

/* replica_of names an existing primary. */
int dbr__conf_check_replica(const dbr__config *c, const dbr__dbconf *d, const config_setting_t *dbs)
{
	const config_setting_t *s =
		config_setting_get_member(config_setting_get_member(dbs, d->alias), "replica_of");
	const dbr__dbconf *p = dbr__conf_find_db(c, d->replica_of);
	char what[300];
	if (!p) {
		snprintf(what, sizeof(what), "no database \"%s\"", d->replica_of);
		return dbr__conf_fail_aliases(c, s, NULL, what);
	}
	if (p->replica_of)
		return dbr__conf_fail(s, NULL, "\"%s\" is itself a replica (of \"%s\"): name its primary",
		            p->alias, p->replica_of);
	return 0;
}
