/* SPDX-License-Identifier: MIT */
/* memkv — an out-of-tree driver built only from the installed headers
 * (pkg-config --cflags dbrouter), never linking libdbrouter: a tiny
 * in-memory key/value "database" that serves URLs memkv://NAME.
 *
 * Statements (keys are words of [A-Za-z0-9_.:-]):
 *   SET k = ?     store the one parameter as text (affected: 1)
 *   GET k         one row (value) or none
 *   DEL k         affected: 1 if it was there, else 0
 *   KEYS          every pair (key, value), sorted by key
 * It declares the scheme "memkv" (so a database needs no driver = line) and
 * implements the transaction ops: writes inside a transaction go to the
 * connection's log, visible to it alone, applied at commit; savepoints are
 * positions in that log. The data of NAME lives while a connection to it
 * is open (DBR_DRIVER_KEEP_ONE keeps one). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dbrouter/driver.h>

static const dbr_host *h;

typedef struct pair {
	char *key, *value; /* value NULL: deleted (in a transaction log) */
	struct pair *next;
} pair;

typedef struct store {
	char name[128];
	int users;
	pair *pairs;
	struct store *next;
} store;

/* Every store, and every store's pairs, under one lock. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static store *stores;

typedef struct conn {
	store *st;
	int in_tx;
	pair *log;            /* newest first */
	size_t nlog;
	size_t marks[64];     /* savepoint depth -> log length */
} conn;

static void pair_free(pair *p)
{
	free(p->key);
	free(p->value);
	free(p);
}

static const char *db_name(const dbr_url_view *u)
{
	return u->host && *u->host ? u->host : u->path ? u->path : "";
}

static int mk_check(const dbr_url_view *u)
{
	if (u->noptions)
		return h->error(DBR_ECONFIG, NULL, "memkv: unknown option \"%s\" (memkv has none)", u->keys[0]);
	size_t n = strlen(db_name(u));
	if (n == 0 || n >= sizeof(((store *)0)->name))
		return h->error(DBR_ECONFIG, NULL, "memkv: %s: name the store: memkv://NAME (1 to 127 bytes)",
		                u->masked);
	return 0;
}

static int mk_connect(void **out, const dbr_url_view *u)
{
	conn *c = calloc(1, sizeof(*c));
	if (!c)
		return h->error(DBR_ENOMEM, NULL, "memkv: out of memory");
	pthread_mutex_lock(&lock);
	store *s = stores;
	while (s && strcmp(s->name, db_name(u)) != 0)
		s = s->next;
	if (!s && (s = calloc(1, sizeof(*s)))) {
		snprintf(s->name, sizeof(s->name), "%s", db_name(u));
		s->next = stores;
		stores = s;
	}
	if (s)
		s->users++;
	pthread_mutex_unlock(&lock);
	if (!s) {
		free(c);
		return h->error(DBR_ENOMEM, NULL, "memkv: out of memory");
	}
	c->st = s;
	*out = c;
	return 0;
}

static void log_truncate(conn *c, size_t n)
{
	while (c->nlog > n) {
		pair *p = c->log;
		c->log = p->next;
		pair_free(p);
		c->nlog--;
	}
}

static void mk_close(void *cv)
{
	conn *c = cv;
	log_truncate(c, 0);
	pthread_mutex_lock(&lock);
	if (--c->st->users == 0) { /* the last connection: the data goes */
		store **pp = &stores;
		while (*pp != c->st)
			pp = &(*pp)->next;
		*pp = c->st->next;
		while (c->st->pairs) {
			pair *p = c->st->pairs;
			c->st->pairs = p->next;
			pair_free(p);
		}
		free(c->st);
	}
	pthread_mutex_unlock(&lock);
	free(c);
}

static int mk_ping(void *c) { (void)c; return 0; }

/* Stores key=value (value NULL deletes) in the store's sorted list. Lock held. */
static int store_put(store *s, const char *key, const char *value)
{
	pair **pp = &s->pairs;
	while (*pp && strcmp((*pp)->key, key) < 0)
		pp = &(*pp)->next;
	pair *p = *pp && strcmp((*pp)->key, key) == 0 ? *pp : NULL;
	if (!value) {
		if (p) {
			*pp = p->next;
			pair_free(p);
		}
		return 0;
	}
	char *v = strdup(value);
	if (!v || (!p && !(p = calloc(1, sizeof(*p))))) {
		free(v);
		return DBR_ENOMEM;
	}
	if (!p->key && !(p->key = strdup(key))) {
		free(v);
		free(p);
		return DBR_ENOMEM;
	}
	if (p->value)
		free(p->value);
	else {
		p->next = *pp;
		*pp = p;
	}
	p->value = v;
	return 0;
}

/* The value of `key` as this connection sees it: its log first. *found is
 * 0 when absent. Returns a copy (free it) or NULL. Lock held. */
static char *lookup(conn *c, const char *key, int *found)
{
	for (pair *p = c->log; p; p = p->next)
		if (strcmp(p->key, key) == 0)
			return (*found = p->value != NULL) ? strdup(p->value) : NULL;
	for (pair *p = c->st->pairs; p; p = p->next)
		if (strcmp(p->key, key) == 0)
			return (*found = 1), strdup(p->value);
	*found = 0;
	return NULL;
}

/* A write: to the log inside a transaction, else to the store. */
static int write_key(conn *c, const char *key, const char *value)
{
	if (!c->in_tx) {
		pthread_mutex_lock(&lock);
		int rc = store_put(c->st, key, value);
		pthread_mutex_unlock(&lock);
		return rc;
	}
	pair *p = calloc(1, sizeof(*p));
	if (!p || !(p->key = strdup(key)) || (value && !(p->value = strdup(value)))) {
		if (p)
			pair_free(p);
		return DBR_ENOMEM;
	}
	p->next = c->log;
	c->log = p;
	c->nlog++;
	return 0;
}

static int value_text(char *buf, size_t size, const dbr_value *v)
{
	switch (v->type) {
	case DBR_TYPE_TEXT:
	case DBR_TYPE_BLOB:
		return snprintf(buf, size, "%.*s", (int)v->v.b.len, (const char *)v->v.b.ptr) < (int)size ? 0 : -1;
	case DBR_TYPE_INT64: snprintf(buf, size, "%lld", (long long)v->v.i); return 0;
	case DBR_TYPE_DOUBLE: snprintf(buf, size, "%.17g", v->v.d); return 0;
	case DBR_TYPE_BOOL: snprintf(buf, size, "%s", v->v.i ? "true" : "false"); return 0;
	default: return -1; /* NULL: memkv stores no NULLs */
	}
}

static int mk_exec(void *cv, const char *sql, const dbr_value *params, size_t np, dbr_sink *sink)
{
	conn *c = cv;
	char verb[8] = "", key[128] = "", eq[2] = "", q[2] = "", val[1024];
	int n = sscanf(sql, "%7s %127[A-Za-z0-9_.:-] %1s %1s", verb, key, eq, q);
	int want = strcmp(verb, "SET") == 0 ? 3 : strcmp(verb, "KEYS") == 0 ? 0 : 1;
	if (!strcmp(verb, "SET") ? n != 4 || *eq != '=' || *q != '?' : n != want + 1)
		return h->error(DBR_ESQL, "42601", "memkv: not a statement: \"%s\" (SET k = ?, GET k, DEL k, KEYS)", sql);
	if (np != (want == 3 ? 1u : 0u))
		return h->error(DBR_EPARAM, "07001", "memkv: %s takes %d parameter(s), got %zu", verb,
		                want == 3, np);
	if (want == 3 && value_text(val, sizeof(val), &params[0]))
		return h->error(DBR_ESQL, "22000", "memkv: the value must be non-NULL and under %zu bytes", sizeof(val));
	if (want == 3 || !strcmp(verb, "DEL")) {
		int found = 1;
		if (want != 3) {
			pthread_mutex_lock(&lock);
			free(lookup(c, key, &found));
			pthread_mutex_unlock(&lock);
		}
		if (write_key(c, key, want == 3 ? val : NULL))
			return h->error(DBR_ENOMEM, NULL, "memkv: out of memory");
		h->sink_affected(sink, found);
		return 0;
	}
	static const char *const cols[] = { "key", "value" };
	int rc = want ? h->sink_columns(sink, 1, cols + 1) : h->sink_columns(sink, 2, cols);
	pthread_mutex_lock(&lock);
	if (want) { /* GET */
		int found;
		char *v = lookup(c, key, &found);
		dbr_value row = dbr_text(v ? v : "");
		if (rc == 0 && found)
			rc = v ? h->sink_row(sink, &row) : h->error(DBR_ENOMEM, NULL, "memkv: out of memory");
		free(v);
	} else { /* KEYS: the committed pairs as this connection sees them */
		for (pair *p = c->st->pairs; rc == 0 && p; p = p->next) {
			int found;
			char *v = lookup(c, p->key, &found);
			dbr_value row[2] = { dbr_text(p->key), dbr_text(v ? v : "") };
			if (found)
				rc = v ? h->sink_row(sink, row) : h->error(DBR_ENOMEM, NULL, "memkv: out of memory");
			free(v);
		}
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

static int mk_script(void *c, const char *sql)
{
	(void)c, (void)sql;
	return h->error(DBR_ENOTSUP, NULL, "memkv: no scripts (there is no schema)");
}

/* ---- transactions: the core numbers savepoints dbr_sp_2, dbr_sp_3 … */

static int depth_of(const char *name)
{
	int d = 0;
	return sscanf(name, "dbr_sp_%d", &d) == 1 && d >= 0 && d < 64 ? d : -1;
}

static int mk_begin(void *cv) { ((conn *)cv)->in_tx = 1; return 0; }

static int mk_commit(void *cv)
{
	conn *c = cv;
	int rc = 0;
	pair *rev = NULL; /* oldest first */
	while (c->log) {
		pair *p = c->log;
		c->log = p->next;
		p->next = rev;
		rev = p;
	}
	pthread_mutex_lock(&lock);
	for (pair *p = rev; p && rc == 0; p = p->next)
		rc = store_put(c->st, p->key, p->value);
	pthread_mutex_unlock(&lock);
	c->log = rev;
	log_truncate(c, 0);
	c->in_tx = 0;
	return rc ? h->error(DBR_ENOMEM, NULL, "memkv: out of memory at commit") : 0;
}

static int mk_rollback(void *cv)
{
	conn *c = cv;
	log_truncate(c, 0);
	c->in_tx = 0;
	return 0;
}

static int mk_savepoint(void *cv, const char *name)
{
	int d = depth_of(name);
	if (d < 0)
		return h->error(DBR_ENOTSUP, NULL, "memkv: savepoint \"%s\": too deep", name);
	((conn *)cv)->marks[d] = ((conn *)cv)->nlog;
	return 0;
}

static int mk_release(void *cv, const char *name) { (void)cv, (void)name; return 0; }

static int mk_rollback_to(void *cv, const char *name)
{
	int d = depth_of(name);
	if (d < 0)
		return h->error(DBR_ESQL, "3B001", "memkv: no savepoint \"%s\"", name);
	log_truncate(cv, ((conn *)cv)->marks[d]);
	return 0;
}

/* Called when the pool takes the connection back: nothing stays open. */
static int mk_reset(void *cv) { return mk_rollback(cv); }

static const char *const schemes[] = { "memkv", NULL };

static const dbr_driver_ops ops = {
	.struct_size = sizeof(dbr_driver_ops),
	.backend = "memkv",
	.flags = DBR_DRIVER_NO_INSERT_ID | DBR_DRIVER_KEEP_ONE,
	.check = mk_check, .connect = mk_connect, .close = mk_close, .ping = mk_ping,
	.exec = mk_exec, .script = mk_script, .reset = mk_reset,
	.begin = mk_begin, .commit = mk_commit, .rollback = mk_rollback,
	.savepoint = mk_savepoint, .release = mk_release, .rollback_to = mk_rollback_to,
	.schemes = schemes,
};

static const dbr_plugin_desc desc = DBR_PLUGIN_DESC(DBR_PLUGIN_DRIVER, "memkv", "0.1.0",
	"an in-memory key/value store (example)", &ops);

DBR_DRIVER_ENTRY(memkv)
{
	h = host;
	return &desc;
}
