/* SPDX-License-Identifier: MIT */
/*
 * conf_private.h — what conf.c, conf_schema.c, conf_validate.c and
 * conf_parse.c share: libconfig settings, typed fetches, FILE:LINE errors
 * and the key tables. Only these four files include libconfig.
 */
#ifndef DBR_CORE_CONF_PRIVATE_H
#define DBR_CORE_CONF_PRIVATE_H

#include <libconfig.h>

#include "internal.h"

#define S(node) ((config_setting_t *)(node))
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---- conf.c */
extern const char dbr__conf_alias_first[]; /* first character of an alias */
extern const char dbr__conf_alias_rest[];  /* the others */

/* What a fetch expects of a setting's type. */
enum want { W_STRING, W_INT, W_NUMBER, W_BOOL, W_AGGREGATE, W_GROUP, W_LIST };

/* Marks `s` read (dbr__conf_unread then passes it). */
void dbr__conf_mark(const config_setting_t *s);
/* "FILE:LINE" of `s` as a new string (the `where` of entries), NULL on OOM. */
char *dbr__conf_place_of(const config_setting_t *s);
/* Sets DBR_ECONFIG "FILE:LINE: PATH[.child]: message" for `s`; returns it. */
int dbr__conf_fail(const config_setting_t *s, const char *child, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int dbr__conf_oom(void); /* DBR_ENOMEM with its message */
const char *dbr__conf_type_name(const config_setting_t *s); /* "a string", ... */
/* Finds `key` under `node` (NULL: the node itself), checks its type, marks it. */
int dbr__conf_fetch(const config_setting_t **out, const dbr_conf *node, const char *key,
                    enum want w);
const dbr__dbconf *dbr__conf_find_db(const dbr__config *c, const char *alias);

/* ---- conf_validate.c */
/* A known key of a group and what to do with its setting. */
typedef struct keydef {
	const char *key;
	int (*fn)(void *obj, const config_setting_t *s);
} keydef;

/* Runs each child of `group` through its key's handler, in file order. */
int dbr__conf_dispatch(void *obj, const config_setting_t *group, const keydef *keys, size_t n);
/* A string setting copied into *dst. */
int dbr__conf_take_string(char **dst, const config_setting_t *s, int nonempty);
int dbr__conf_alias_valid(const char *a);
/* Fails on `s` (child `child`) with "MESSAGE (databases are: a, b)". */
int dbr__conf_fail_aliases(const dbr__config *c, const config_setting_t *s, const char *child,
                           const char *what);
/* replica_of names an existing primary. */
int dbr__conf_check_replica(const dbr__config *c, const dbr__dbconf *d,
                            const config_setting_t *dbs);

/* Rewrites config text so that libconfig reads every integer as 64-bit
 * (no silent 32-bit wrap). 0 (*out: new text, caller frees), DBR_ENOMEM, or
 * DBR_ERANGE with *line and *at (its offset): a literal beyond 64 bits. */
int dbr__conf_widen_ints(char **out, unsigned *line, size_t *at, const char *text);
/* An integer setting within [lo, hi] (checked as 64-bit) into *out;
 * DBR_ECONFIG naming file, line and setting otherwise. */
int dbr__conf_int_range(int *out, const config_setting_t *s, int64_t lo, int64_t hi);

/* ---- conf_schema.c */
/* Fills `d` from the group `s`. `url` is given (dbr_add_database: the key is
 * then not allowed) or NULL (plugins.conf: the key is required). */
int dbr__conf_db_fill(dbr__dbconf *d, const config_setting_t *s, const char *alias,
                      const char *url);
extern const keydef dbr__conf_top_keys[7];     /* the whole file */
extern const keydef dbr__conf_routers_only[1]; /* dbr_set_routers */

#endif
