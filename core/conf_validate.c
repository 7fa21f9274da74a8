/* SPDX-License-Identifier: MIT */
/*
 * conf_validate.c — checks shared by the schema: a group's keys run
 * against a table (unknown keys named with the known ones), non-empty
 * strings, alias syntax, and the cross-entry checks (replica_of names a
 * primary).
 */
#include <ctype.h>
#include <errno.h>
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

/* ---- integers: 64-bit reading and ranges */

/* Copies a "..." string literal; returns the character after it. */
static const char *copy_string(dbr__buf *b, const char *p)
{
	const char *q = p + 1;
	for (; *q && *q != '"'; q++)
		q += q[0] == '\\' && q[1];
	q += *q == '"';
	dbr__buf_add(b, p, (size_t)(q - p));
	return q;
}

/* Length of a comment or directive at p (to the end of line, or of a block
 * comment), 0 if none. */
static size_t comment_len(const char *p)
{
	if (*p == '#' || *p == '@' || (p[0] == '/' && p[1] == '/'))
		return strcspn(p, "\n");
	if (p[0] == '/' && p[1] == '*') {
		const char *e = strstr(p + 2, "*/");
		return e ? (size_t)(e + 2 - p) : strlen(p);
	}
	return 0;
}

/* One number at p: copied, with 'L' appended to an integer that lacks it.
 * Returns its end, or NULL if the integer does not fit in 64 bits. */
static const char *widen_number(dbr__buf *b, const char *p)
{
	const char *q = p + (*p == '+' || *p == '-');
	int hex = q[0] == '0' && (q[1] == 'x' || q[1] == 'X');
	q += hex ? 2 : 0;
	while (hex ? isxdigit((unsigned char)*q) : isdigit((unsigned char)*q))
		q++;
	if (!hex && (*q == '.' || *q == 'e' || *q == 'E')) { /* a float: as is */
		while (*q && strchr("0123456789.eE+-", *q))
			q++;
		dbr__buf_add(b, p, (size_t)(q - p));
		return q;
	}
	char lit[128];
	size_t n = (size_t)(q - p);
	snprintf(lit, sizeof(lit), "%.*s", (int)(n < sizeof(lit) ? n : sizeof(lit) - 1), p);
	errno = 0;
	if (hex)
		(void)strtoull(lit + (*p == '+' || *p == '-'), NULL, 16);
	else
		(void)strtoll(lit, NULL, 10);
	if (errno == ERANGE || n >= sizeof(lit))
		return NULL;
	dbr__buf_add(b, p, n);
	if (*q == 'L')
		q++;
	dbr__buf_add(b, "L", 1);
	return q;
}

/* libconfig 1.5 reads an integer literal without 'L' into 32 bits and
 * silently wraps it (99999999999 reads as 1215752191) before any check can
 * see it: every integer literal outside strings and comments gets its 'L',
 * so all are read as 64-bit and the range checks see the value written.
 * Line numbers are kept. Returns 0, DBR_ENOMEM, or DBR_ERANGE with *line
 * and *at (its offset in text) set for a literal beyond 64 bits. */
int dbr__conf_widen_ints(char **out, unsigned *line, size_t *at, const char *text)
{
	dbr__buf b = { 0 };
	const char *p = text;
	char prev = ' ';
	*line = 1;
	while (*p) {
		size_t skip = comment_len(p);
		const char *q = p;
		if (*p == '"')
			q = copy_string(&b, p);
		else if (skip)
			dbr__buf_add(&b, p, skip), q = p + skip;
		else if ((isdigit((unsigned char)*p) ||
		          ((*p == '-' || *p == '+') && isdigit((unsigned char)p[1]))) &&
		         !(isalnum((unsigned char)prev) || strchr("_-*.", prev)))
			q = widen_number(&b, p);
		else
			dbr__buf_add(&b, p, 1), q = p + 1;
		if (!q)
			break;
		for (; p < q; p++)
			*line += *p == '\n';
		prev = p[-1];
	}
	*at = (size_t)(p - text);
	if (*p || b.oom) {
		dbr__buf_free(&b);
		return *p ? DBR_ERANGE : DBR_ENOMEM;
	}
	dbr__buf_add(&b, "", 0);
	if (b.oom) {
		dbr__buf_free(&b);
		return DBR_ENOMEM;
	}
	*out = b.s;
	return 0;
}

/* An integer setting within [lo, hi] into *out; else "must be an integer
 * from LO to HI, got V" naming the file, line and setting. */
int dbr__conf_int_range(int *out, const config_setting_t *s, int64_t lo, int64_t hi)
{
	int64_t v;
	int rc = dbr__conf_int(&v, (const dbr_conf *)s, NULL);
	if (rc)
		return rc;
	if (v < lo || v > hi)
		return dbr__conf_fail(s, NULL, "must be an integer from %lld to %lld, got %lld",
		                      (long long)lo, (long long)hi, (long long)v);
	*out = (int)v;
	return 0;
}
