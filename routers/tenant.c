/* SPDX-License-Identifier: MIT */
/*
 * tenant — stage 1 router: one database per tenant, found in a directory
 * table. The tenant comes from a hint (dbr_session_hint_set or the
 * statement's); the directory query gives the tenant's alias and URL; a
 * database not configured yet is added at run time (host->db_ensure), so a
 * new customer needs no restart and no configuration edit.
 *
 *   key = "tenant";          # the hint naming the tenant (default "tenant")
 *   directory = "meta";      # the alias holding the directory (required)
 *   query = "SELECT alias, url FROM tenants WHERE id = ?";   # (default)
 *   cache_ttl = 60.0;        # seconds an answer is reused (default 60)
 *   negative_ttl = 5.0;      # seconds "no such tenant" is reused (default 5)
 *   idle_close = 0.0;        # seconds: remove a database this router added
 *                            # once unused that long (default 0: never)
 *
 * A statement without the hint passes to the next router. An unknown
 * tenant, or one whose lookup or database fails, is refused (host->refuse)
 * with an error naming the tenant: never the default database silently.
 *
 * Aliases are interned until destroy (db_for_read's answer must stay
 * valid); the cache maps tenant ids to them. Idle close removes the whole
 * database (host->db_close_idle: only when no statement, transaction or
 * raw connection uses it), under this router's lock so that no lookup
 * hands out the alias meanwhile; the next use looks the tenant up again.
 */
#include <pthread.h>
#include <string.h>

#include <dbrouter/router.h>

static const dbr_host *h;

#define NBUCKETS 256
#define SWEEP_EVERY_US 1000000 /* expired entries and idle databases */

/* An alias this router answered with (interned until destroy). */
typedef struct alias_rec {
	char *name;
	int added;         /* added by this router (idle close may remove it) */
	int64_t used_us;   /* the last answer naming it */
	struct alias_rec *next;
} alias_rec;

/* A cached directory answer: rec NULL for "no such tenant". */
typedef struct entry {
	char *id;
	alias_rec *rec;
	int64_t expires_us;
	struct entry *next;
} entry;

typedef struct tenant {
	const char *key, *directory, *query; /* copies below */
	char *strings[3];
	int64_t ttl_us, neg_ttl_us, idle_us;
	pthread_mutex_t lock; /* everything below */
	entry *buckets[NBUCKETS];
	alias_rec *aliases;
	int64_t swept_us;
} tenant;

/* ------------------------------------------------------------ settings */

enum { K_KEY, K_DIRECTORY, K_QUERY, K_CACHE_TTL, K_NEGATIVE_TTL, K_IDLE_CLOSE };
/* One line: tests/test_man.sh reads the settings from it. */
static const char *const tenant_key[] = { "key", "directory", "query", "cache_ttl", "negative_ttl", "idle_close" };

static int read_seconds(int64_t *out, const dbr_conf *conf, const char *key, double dflt)
{
	double v = dflt;
	int rc = h->conf_double(&v, conf, key);
	if (rc < 0 && rc != DBR_ENOTFOUND)
		return rc;
	if (!(v >= 0.0 && v <= 1e9))
		return h->conf_error_at(conf, key, "%g is out of range (0 to 1e9 seconds)", v);
	*out = (int64_t)(v * 1e6);
	return 0;
}

static int read_string(char **out, const dbr_conf *conf, const char *key, const char *dflt)
{
	const char *v = dflt;
	int rc = h->conf_string(&v, conf, key);
	if (rc < 0 && rc != DBR_ENOTFOUND)
		return rc;
	if (!v)
		return h->conf_error_at(conf, key, "missing: the alias whose table lists the tenants");
	if (!*v)
		return h->conf_error_at(conf, key, "empty");
	if (!(*out = h->strdup(v)))
		return h->error(DBR_ENOMEM, NULL, "tenant: out of memory");
	return 0;
}

static void tn_destroy(void *state)
{
	tenant *t = state;
	for (size_t i = 0; i < NBUCKETS; i++)
		for (entry *e = t->buckets[i], *n; e; e = n) {
			n = e->next;
			h->free(e->id);
			h->free(e);
		}
	for (alias_rec *a = t->aliases, *n; a; a = n) {
		n = a->next;
		h->free(a->name);
		h->free(a);
	}
	for (size_t i = 0; i < 3; i++)
		h->free(t->strings[i]);
	pthread_mutex_destroy(&t->lock);
	h->free(t);
}

static int tn_create(void **state, const dbr_conf *conf)
{
	tenant *t = h->calloc(1, sizeof *t);
	if (!t)
		return h->error(DBR_ENOMEM, NULL, "tenant: out of memory");
	pthread_mutex_init(&t->lock, NULL);
	int rc = read_string(&t->strings[0], conf, tenant_key[K_KEY], "tenant");
	if (rc == 0)
		rc = read_string(&t->strings[1], conf, tenant_key[K_DIRECTORY], NULL);
	if (rc == 0 && h->conf_alias(NULL, conf, t->strings[1]) != 0)
		rc = h->conf_error_at(conf, tenant_key[K_DIRECTORY],
		                      "\"%s\" is not a database of this configuration", t->strings[1]);
	if (rc == 0)
		rc = read_string(&t->strings[2], conf, tenant_key[K_QUERY],
		                 "SELECT alias, url FROM tenants WHERE id = ?");
	if (rc == 0)
		rc = read_seconds(&t->ttl_us, conf, tenant_key[K_CACHE_TTL], 60.0);
	if (rc == 0)
		rc = read_seconds(&t->neg_ttl_us, conf, tenant_key[K_NEGATIVE_TTL], 5.0);
	if (rc == 0)
		rc = read_seconds(&t->idle_us, conf, tenant_key[K_IDLE_CLOSE], 0.0);
	if (rc) {
		tn_destroy(t);
		return rc;
	}
	t->key = t->strings[0];
	t->directory = t->strings[1];
	t->query = t->strings[2];
	*state = t;
	return 0;
}

/* ------------------------------------------------------------ the cache */

static entry **slot(tenant *t, const char *id)
{
	uint32_t x = 2166136261u; /* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		x = (x ^ *p) * 16777619u;
	entry **e = &t->buckets[x % NBUCKETS];
	while (*e && strcmp((*e)->id, id) != 0)
		e = &(*e)->next;
	return e;
}

static void entry_drop(entry **e)
{
	entry *x = *e;
	*e = x->next;
	h->free(x->id);
	h->free(x);
}

static alias_rec *intern(tenant *t, const char *name)
{
	alias_rec *a = t->aliases;
	while (a && strcmp(a->name, name) != 0)
		a = a->next;
	if (a)
		return a;
	if (!(a = h->calloc(1, sizeof *a)) || !(a->name = h->strdup(name))) {
		h->free(a);
		return NULL;
	}
	a->next = t->aliases;
	t->aliases = a;
	return a;
}

/* Caches the answer for `id` (rec NULL: unknown). Out of memory only
 * loses the cache entry. */
static void remember(tenant *t, const char *id, alias_rec *rec, int64_t now)
{
	entry **e = slot(t, id);
	if (!*e) {
		entry *n = h->calloc(1, sizeof *n);
		if (!n || !(n->id = h->strdup(id))) {
			h->free(n);
			return;
		}
		*e = n;
	}
	(*e)->rec = rec;
	(*e)->expires_us = now + (rec ? t->ttl_us : t->neg_ttl_us);
}

/* Removes the databases this router added that nobody used for idle_close
 * (those in use now stay: the host refuses) and forgets expired answers.
 * Holds the lock across the removal: no lookup can answer the alias while
 * its database goes. */
static void sweep_locked(tenant *t, const dbr_route_req *req, int64_t now)
{
	if (now - t->swept_us < SWEEP_EVERY_US && now >= t->swept_us)
		return;
	t->swept_us = now;
	for (alias_rec *a = t->aliases; t->idle_us > 0 && a; a = a->next) {
		if (!a->added || now - a->used_us < t->idle_us)
			continue;
		if (h->db_close_idle(req, a->name) != 0)
			continue; /* in use (or gone): try again at the next sweep */
		h->log(DBR_LOG_INFO, "tenant", "closed \"%s\": unused for %.0f s", a->name,
		       (double)(now - a->used_us) / 1e6);
		a->added = 0;
		for (size_t i = 0; i < NBUCKETS; i++)
			for (entry **e = &t->buckets[i]; *e;)
				if ((*e)->rec == a)
					entry_drop(e);
				else
					e = &(*e)->next;
	}
	for (size_t i = 0; i < NBUCKETS; i++)
		for (entry **e = &t->buckets[i]; *e;)
			if ((*e)->expires_us <= now)
				entry_drop(e);
			else
				e = &(*e)->next;
}

/* The cached answer for `id`: 1 (alias in *out, NULL for unknown), or 0 if
 * none is fresh. */
static int cached_locked(const char **out, tenant *t, const char *id, int64_t now, int dry)
{
	entry *e = *slot(t, id);
	if (!e || e->expires_us <= now)
		return 0;
	*out = e->rec ? e->rec->name : NULL;
	if (e->rec && !dry)
		e->rec->used_us = now;
	return 1;
}

/* ------------------------------------------------------------ routing */

static const char *unknown(const tenant *t, const dbr_route_req *req, const char *id)
{
	h->refuse(req, "unknown tenant \"%s\": the directory \"%s\" has no row for it",
	          id, t->directory);
	return NULL;
}

/* Asks the directory; adds the database if absent. Returns the alias's
 * record, or NULL after host->refuse (*known 0: no such tenant). */
static alias_rec *look_up(tenant *t, const dbr_route_req *req, const char *id, int *known)
{
	char *row[2] = { NULL, NULL };
	const char *param = id;
	int rc = h->query_row(row, 2, req, t->directory, t->query, &param, 1);
	*known = rc != DBR_ENOTFOUND;
	if (rc == DBR_ENOTFOUND)
		return NULL;
	if (rc) {
		h->refuse(req, "tenant \"%s\": the directory \"%s\" could not be read", id,
		          t->directory);
		return NULL;
	}
	int added = 0;
	alias_rec *a = NULL;
	if (!row[0] || !*row[0])
		h->refuse(req, "tenant \"%s\": the directory \"%s\" gives no alias", id,
		          t->directory);
	else if (!row[1] && (rc = h->db_ensure(&added, req, row[0], "")) != 0)
		h->refuse(req, "tenant \"%s\": database \"%s\" is not configured and the "
		          "directory gives no URL", id, row[0]);
	else if (row[1] && (rc = h->db_ensure(&added, req, row[0], row[1])) != 0)
		h->refuse(req, "tenant \"%s\": database \"%s\" could not be added", id, row[0]);
	else {
		pthread_mutex_lock(&t->lock);
		if ((a = intern(t, row[0])) != NULL)
			a->added |= added;
		pthread_mutex_unlock(&t->lock);
		if (!a)
			h->refuse(req, "tenant \"%s\": out of memory", id);
	}
	h->free(row[0]);
	h->free(row[1]);
	return a;
}

static const char *tn_route(void *state, const dbr_route_req *req)
{
	tenant *t = state;
	const char *id = h->hint(req, t->key);
	if (!id)
		return NULL;
	int dry = (req->flags & DBR_REQ_DRY_RUN) != 0;
	int64_t now = h->now_us();
	const char *alias = NULL;
	pthread_mutex_lock(&t->lock);
	if (!dry)
		sweep_locked(t, req, now);
	int hit = cached_locked(&alias, t, id, now, dry);
	pthread_mutex_unlock(&t->lock);
	if (hit) {
		h->note(req, "tenant %s \xe2\x86\x92 %s (cached)", id, alias ? alias : "unknown");
		return alias ? alias : unknown(t, req, id);
	}
	int known = 0;
	alias_rec *a = look_up(t, req, id, &known);
	if (!dry && (a || !known)) {
		pthread_mutex_lock(&t->lock);
		remember(t, id, a, now);
		if (a)
			a->used_us = now;
		pthread_mutex_unlock(&t->lock);
	}
	if (!known)
		return unknown(t, req, id);
	if (a)
		h->note(req, "tenant %s \xe2\x86\x92 %s (directory %s)", id, a->name, t->directory);
	return a ? a->name : NULL;
}

static const dbr_router_ops ops = {
	.struct_size = sizeof(dbr_router_ops),
	.create = tn_create,
	.destroy = tn_destroy,
	.db_for_read = tn_route,
	.db_for_write = tn_route,
};

static const dbr_plugin_desc desc = DBR_PLUGIN_DESC(DBR_PLUGIN_ROUTER, "tenant", "0.1.0",
	"one database per tenant, found in a directory table and added at run time", &ops);

DBR_ROUTER_ENTRY(tenant)
{
	h = host;
	return &desc;
}
