/* SPDX-License-Identifier: MIT */
/*
 * shard — stage 1 router: the value of one hint (host->hint) picks one of
 * several databases, for reads and writes alike (stage 2 still spreads a
 * shard's reads over its replicas).
 *
 *   { name = "shard"; key = "tenant"; method = "hash";
 *     shards = [ "s0", "s1", "s2" ]; }
 *   { name = "shard"; key = "tenant"; method = "range";
 *     bounds = [ "g", "n", "t" ]; shards = [ "a_f", "g_m", "n_s", "t_z" ]; }
 *   { name = "shard"; key = "id"; method = "range"; numeric = true;
 *     bounds = [ 1000, 2000 ]; shards = [ "low", "mid", "high" ]; }
 *   { name = "shard"; key = "tenant"; method = "list";
 *     values = { s0 = [ "acme", "initech" ]; s1 = [ "globex" ]; };
 *     default = "s2"; }
 *
 * hash: jump consistent hash (Lamping & Veach 2014) of FNV-1a 64 of the
 *       value's bytes, over the shards in their listed order (README,
 *       "Many databases: shards and tenants", gives the exact algorithm).
 * range: shard i holds bounds[i-1] <= value < bounds[i]; compared byte by
 *       byte (strcmp) or, with numeric = true, as 64-bit integers.
 * list: the alias whose list holds the value, else `default`, else pass.
 * No hint: pass to the next router, or refuse with require_key = true.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <dbrouter/router.h>

static const dbr_host *h;

enum method { M_HASH, M_RANGE, M_LIST };
static const char *const method_names[] = { "hash", "range", "list" };

typedef struct entry {
	char *value;
	size_t shard;
} entry;

typedef struct shard {
	char *key;
	enum method method;
	int require_key;
	int numeric;
	char **shards;       /* aliases: hash/range in order; list: values' then default */
	size_t nshards;
	char **sbounds;      /* range, strings */
	int64_t *ibounds;    /* range, numeric */
	size_t nbounds;
	entry *entries;      /* list, sorted by value */
	size_t nentries;
	int has_default;     /* list: shards[nshards - 1] is the default */
} shard;

#define OOM() h->error(DBR_ENOMEM, NULL, "shard: out of memory")

static void sh_destroy(void *state)
{
	shard *sh = state;
	if (!sh)
		return;
	for (size_t i = 0; i < sh->nshards; i++)
		h->free(sh->shards[i]);
	for (size_t i = 0; sh->sbounds && i < sh->nbounds; i++)
		h->free(sh->sbounds[i]);
	for (size_t i = 0; i < sh->nentries; i++)
		h->free(sh->entries[i].value);
	h->free(sh->shards);
	h->free(sh->sbounds);
	h->free(sh->ibounds);
	h->free(sh->entries);
	h->free(sh->key);
	h->free(sh);
}

/* ------------------------------------------------------------ mapping */

/* FNV-1a, 64 bits, of the value's bytes (no terminating NUL). */
static uint64_t fnv1a64(const char *s)
{
	uint64_t x = 0xcbf29ce484222325u;
	for (; *s; s++) {
		x ^= (unsigned char)*s;
		x *= 0x100000001b3u;
	}
	return x;
}

/* Jump consistent hash (Lamping & Veach, arXiv:1406.2294): a bucket in
 * [0, n); growing n to n+1 moves only 1/(n+1) of the keys. */
static size_t jump(uint64_t key, size_t n)
{
	int64_t b = -1, j = 0;
	while (j < (int64_t)n) {
		b = j;
		key = key * 2862933555777941757u + 1;
		j = (int64_t)((double)(b + 1) * ((double)(1LL << 31) / (double)((key >> 33) + 1)));
	}
	return (size_t)b;
}

static int parse_int(int64_t *out, const char *s)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return -1;
	*out = v;
	return 0;
}

/* The number of bounds <= v: shard i holds bounds[i-1] <= v < bounds[i]. */
static size_t range_index(const shard *sh, const char *v, int64_t iv)
{
	size_t lo = 0, hi = sh->nbounds;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int le = sh->numeric ? sh->ibounds[mid] <= iv : strcmp(sh->sbounds[mid], v) <= 0;
		if (le)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const entry *)a)->value, ((const entry *)b)->value);
}

/* The shard index of `v`, or -1 to pass (list without a match or
 * default) or -2 after a refusal. */
static long shard_of(const shard *sh, const dbr_route_req *req, const char *v)
{
	int64_t iv = 0;
	switch (sh->method) {
	case M_HASH:
		return (long)jump(fnv1a64(v), sh->nshards);
	case M_RANGE:
		if (sh->numeric && parse_int(&iv, v) != 0) {
			h->refuse(req, "hint %s=\"%s\" is not an integer (numeric = true)", sh->key, v);
			return -2;
		}
		return (long)range_index(sh, v, iv);
	case M_LIST: {
		entry k = { .value = (char *)v };
		const entry *e = bsearch(&k, sh->entries, sh->nentries, sizeof(*e), entry_cmp);
		if (e)
			return (long)e->shard;
		return sh->has_default ? (long)sh->nshards - 1 : -1;
	}
	}
	return -1;
}

static const char *route(void *state, const dbr_route_req *req)
{
	const shard *sh = state;
	const char *v = h->hint(req, sh->key);
	if (!v) {
		if (sh->require_key)
			h->refuse(req, "no hint \"%s\" (require_key = true)", sh->key);
		else
			h->note(req, "no hint %s", sh->key);
		return NULL;
	}
	long i = shard_of(sh, req, v);
	if (i == -1)
		h->note(req, "%s=%s is in no list and there is no default", sh->key, v);
	if (i < 0)
		return NULL;
	h->note(req, "%s=%s \xe2\x86\x92 %s (%s, shard %ld of %zu)", sh->key, v, sh->shards[i],
	        method_names[sh->method], i, sh->nshards);
	return sh->shards[i];
}

/* ------------------------------------------------------------ settings */

/* A copy of alias `a` (read from `node`) after checking it exists. */
static int take_alias(char **out, const dbr_conf *node, const char *a)
{
	if (h->conf_alias(NULL, node, a) != 0)
		return h->conf_error(node, "no database \"%s\"", a);
	return (*out = h->strdup(a)) ? 0 : OOM();
}

/* shards = [ "alias", ... ]: at least `min` aliases. */
static int read_shards(shard *sh, const dbr_conf *conf, size_t min)
{
	const dbr_conf *l;
	int rc = h->conf_child(&l, conf, "shards");
	if (rc == DBR_ENOTFOUND)
		return h->conf_error(conf, "shards: required (a list of aliases)");
	if (rc < 0)
		return rc;
	size_t n = h->conf_count(l);
	if (n < min)
		return h->conf_error_at(conf, "shards", "expected at least %zu aliases, got %zu",
		                        min, n);
	if (!(sh->shards = h->calloc(n, sizeof(char *))))
		return OOM();
	for (; sh->nshards < n; sh->nshards++) {
		const dbr_conf *e = h->conf_at(l, sh->nshards);
		const char *a;
		if ((rc = h->conf_string(&a, e, NULL)) < 0)
			return rc;
		if ((rc = take_alias(&sh->shards[sh->nshards], e, a)) < 0)
			return rc;
	}
	return 0;
}

/* bounds = [ ... ]: strictly increasing strings, or integers (numeric). */
static int read_bounds(shard *sh, const dbr_conf *conf)
{
	const dbr_conf *l;
	int rc = h->conf_child(&l, conf, "bounds");
	if (rc == DBR_ENOTFOUND)
		return h->conf_error(conf, "bounds: required with method = \"range\"");
	if (rc < 0)
		return rc;
	size_t n = h->conf_count(l);
	if (n == 0)
		return h->conf_error_at(conf, "bounds", "at least one bound");
	sh->sbounds = sh->numeric ? NULL : h->calloc(n, sizeof(char *));
	sh->ibounds = sh->numeric ? h->calloc(n, sizeof(int64_t)) : NULL;
	if (!sh->sbounds && !sh->ibounds)
		return OOM();
	for (; sh->nbounds < n; sh->nbounds++) {
		size_t i = sh->nbounds;
		const dbr_conf *e = h->conf_at(l, i);
		const char *s = NULL;
		rc = sh->numeric ? h->conf_int(&sh->ibounds[i], e, NULL) : h->conf_string(&s, e, NULL);
		if (rc < 0)
			return rc;
		if (s && !(sh->sbounds[i] = h->strdup(s)))
			return OOM();
		int up = i == 0 || (sh->numeric ? sh->ibounds[i - 1] < sh->ibounds[i]
		                                : strcmp(sh->sbounds[i - 1], sh->sbounds[i]) < 0);
		if (!up) {
			sh->nbounds++;
			return h->conf_error(e, "bounds must increase strictly");
		}
	}
	if ((rc = read_shards(sh, conf, n + 1)) < 0)
		return rc;
	if (sh->nshards != n + 1)
		return h->conf_error_at(conf, "shards", "%zu bounds make %zu shards, got %zu aliases",
		                        n, n + 1, sh->nshards);
	return 0;
}

/* values = { alias = [ "v", ... ]; ... }; default = "alias"; */
static int read_list(shard *sh, const dbr_conf *conf)
{
	const dbr_conf *g;
	int rc = h->conf_child(&g, conf, "values");
	if (rc == DBR_ENOTFOUND)
		return h->conf_error(conf, "values: required with method = \"list\" "
		                     "(a group alias = [ \"value\", ... ])");
	if (rc < 0)
		return rc;
	size_t n = h->conf_count(g), nv = 0;
	for (size_t i = 0; i < n; i++)
		nv += h->conf_count(h->conf_at(g, i));
	if (!(sh->shards = h->calloc(n + 1, sizeof(char *))) ||
	    !(sh->entries = h->calloc(nv ? nv : 1, sizeof(entry))))
		return OOM();
	for (size_t i = 0; i < n; i++) {
		const dbr_conf *c = h->conf_at(g, i);
		if (!h->conf_name(c) || h->conf_type(c, NULL) != DBR_CONF_ARRAY)
			return h->conf_error(c, "values: expected alias = [ \"value\", ... ] entries");
		if ((rc = take_alias(&sh->shards[i], c, h->conf_name(c))) < 0)
			return rc;
		sh->nshards = i + 1; /* owned from here, for destroy */
		for (size_t j = 0; j < h->conf_count(c); j++) {
			const char *v;
			if ((rc = h->conf_string(&v, h->conf_at(c, j), NULL)) < 0)
				return rc;
			entry *e = &sh->entries[sh->nentries];
			for (size_t k = 0; k < sh->nentries; k++)
				if (strcmp(sh->entries[k].value, v) == 0)
					return h->conf_error(h->conf_at(c, j), "value \"%s\" is listed twice",
					                     v);
			if (!(e->value = h->strdup(v)))
				return OOM();
			e->shard = i;
			sh->nentries++;
		}
	}
	qsort(sh->entries, sh->nentries, sizeof(entry), entry_cmp);
	const char *d;
	rc = h->conf_string(&d, conf, "default");
	if (rc == 0 && (rc = take_alias(&sh->shards[sh->nshards], conf, d)) == 0) {
		sh->nshards++;
		sh->has_default = 1;
	}
	return rc == DBR_ENOTFOUND ? 0 : rc;
}

static int read_method(shard *sh, const dbr_conf *conf)
{
	const char *m = "hash";
	int rc = h->conf_string(&m, conf, "method");
	if (rc < 0 && rc != DBR_ENOTFOUND)
		return rc;
	for (size_t i = 0; i < sizeof method_names / sizeof *method_names; i++)
		if (strcmp(m, method_names[i]) == 0) {
			sh->method = (enum method)i;
			return 0;
		}
	return h->conf_error_at(conf, "method", "\"%s\": expected \"hash\", \"range\" or \"list\"", m);
}

static int read_conf(shard *sh, const dbr_conf *conf)
{
	const char *key;
	int rc = h->conf_string(&key, conf, "key");
	if (rc == DBR_ENOTFOUND)
		return h->conf_error(conf, "key: required (the hint that picks the shard)");
	if (rc < 0)
		return rc;
	if (!*key)
		return h->conf_error_at(conf, "key", "must not be empty");
	if (!(sh->key = h->strdup(key)))
		return OOM();
	if ((rc = read_method(sh, conf)) < 0)
		return rc;
	rc = h->conf_bool(&sh->require_key, conf, "require_key");
	if (rc < 0 && rc != DBR_ENOTFOUND)
		return rc;
	if (sh->method == M_RANGE) {
		rc = h->conf_bool(&sh->numeric, conf, "numeric");
		if (rc < 0 && rc != DBR_ENOTFOUND)
			return rc;
	}
	switch (sh->method) {
	case M_HASH: return read_shards(sh, conf, 1);
	case M_RANGE: return read_bounds(sh, conf);
	case M_LIST: return read_list(sh, conf);
	}
	return 0;
}

static int sh_create(void **state, const dbr_conf *conf)
{
	shard *sh = h->calloc(1, sizeof *sh);
	if (!sh)
		return OOM();
	int rc = read_conf(sh, conf);
	if (rc < 0) {
		sh_destroy(sh);
		return rc;
	}
	*state = sh;
	return 0;
}

static const dbr_router_ops ops = {
	.struct_size = sizeof(dbr_router_ops),
	.create = sh_create,
	.destroy = sh_destroy,
	.db_for_read = route,
	.db_for_write = route,
};

static const dbr_plugin_desc desc = DBR_PLUGIN_DESC(DBR_PLUGIN_ROUTER, "shard", "0.1.0",
	"routes by a hint's value to one of several databases (hash, range or list)", &ops);

DBR_ROUTER_ENTRY(shard)
{
	if (!DBR_HAS_MEMBER(dbr_host, host, refuse)) {
		host->error(DBR_EPLUGIN, NULL, "shard: this libdbrouter has no hints (host->hint)");
		return NULL;
	}
	h = host;
	return &desc;
}
