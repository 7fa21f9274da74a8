/* SPDX-License-Identifier: MIT */
/*
 * round_robin — stage 2 router: reads of a primary with replicas go to its
 * replicas in turn, honouring `weight` with smooth weighted round-robin
 * (nginx's: weights 1 and 3 give b a b b, exactly 1:3 over every period).
 *
 *   include_primary = false;   # true: the primary takes a share of reads too
 *
 * Hot path without a global lock: per cluster (primary) an atomic counter
 * and a cache of schedules, one per member set seen (the set changes when a
 * member is down or dropped by an earlier router). A schedule is an array of
 * sum(weights) member positions, built once under the lock and then only
 * read. Schedules live until destroy; past SCHED_MAX sets a schedule is built
 * on the stack of the call instead. Each cluster's counter starts at a random
 * point so that many processes do not all hit the same replica first.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <dbrouter/router.h>

/* The host services, kept by the entry (the entry's parameter is `host`). */
static const dbr_host *h;

enum {
	SCHED_MAX = 16,     /* member sets cached per cluster */
	PERIOD_MAX = 4096,  /* longest schedule: weights are scaled down to fit */
	SMALL_N = 32        /* members handled without allocating */
};

typedef struct sched {
	struct sched *next;
	size_t k;           /* eligible members: the set's signature is */
	char **aliases;     /* their aliases and weights, in member order */
	int *weights;
	size_t len;         /* period */
	uint32_t *slot;     /* position (0..k-1) of the member of each turn */
} sched;

typedef struct cluster {
	struct cluster *next;
	char *primary;
	atomic_uint_fast64_t turn;
	_Atomic(sched *) scheds;
	int nscheds;        /* under the router's lock */
} cluster;

typedef struct rr {
	int include_primary;
	uint64_t seed;
	_Atomic(cluster *) clusters;
	pthread_mutex_t lock; /* taken only to add a cluster or a schedule */
} rr;

/* ------------------------------------------------------------ helpers */

static uint64_t splitmix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15u;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
	return x ^ (x >> 31);
}

static uint64_t hash_str(const char *s)
{
	uint64_t x = 0xcbf29ce484222325u; /* FNV-1a */
	while (*s)
		x = (x ^ (unsigned char)*s++) * 0x100000001b3u;
	return x;
}

static int gcd(int a, int b)
{
	while (b) {
		int t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* Weights reduced by their gcd, then scaled down (each >= 1) when the
 * period would exceed PERIOD_MAX. Returns the period. */
static size_t normalise(int *w, size_t k)
{
	int g = 0;
	uint64_t total = 0;
	for (size_t i = 0; i < k; i++)
		g = gcd(g, w[i]);
	for (size_t i = 0; i < k; i++)
		total += (uint64_t)(w[i] /= g);
	if (total <= PERIOD_MAX)
		return (size_t)total;
	uint64_t budget = k < PERIOD_MAX ? PERIOD_MAX - k : 0; /* all 1 when 0 */
	size_t len = 0;
	for (size_t i = 0; i < k; i++) {
		uint64_t s = (uint64_t)w[i] * budget / total;
		w[i] = s ? (int)s : 1;
		len += (size_t)w[i];
	}
	return len;
}

/* nginx's smooth weighted round-robin over one period: every turn each
 * member gains its weight, the richest (first on ties) is picked and pays
 * the total. `cur` is scratch of k ints. */
static void smooth_wrr(uint32_t *slot, size_t len, const int *w, int *cur, size_t k)
{
	memset(cur, 0, k * sizeof *cur);
	for (size_t t = 0; t < len; t++) {
		size_t best = 0;
		for (size_t i = 0; i < k; i++) {
			cur[i] += w[i];
			if (cur[i] > cur[best])
				best = i;
		}
		cur[best] -= (int)len;
		slot[t] = (uint32_t)best;
	}
}

/* ----------------------------------------------------- member sets */

/* Positions in `members` of the members that take reads. */
static size_t eligible(size_t *out, const rr *r, dbr_member *const *m, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!m[i]->excluded && m[i]->healthy && (r->include_primary || !m[i]->is_primary))
			out[k++] = i;
	return k;
}

static int weight_of(const dbr_member *m)
{
	return m->weight > 0 ? m->weight : 1;
}

static int same_set(const sched *s, dbr_member *const *m, const size_t *el, size_t k)
{
	if (s->k != k)
		return 0;
	for (size_t j = 0; j < k; j++)
		if (s->weights[j] != weight_of(m[el[j]]) || strcmp(s->aliases[j], m[el[j]]->alias) != 0)
			return 0;
	return 1;
}

static const sched *find_sched(cluster *c, dbr_member *const *m, const size_t *el, size_t k)
{
	for (const sched *s = atomic_load_explicit(&c->scheds, memory_order_acquire); s; s = s->next)
		if (same_set(s, m, el, k))
			return s;
	return NULL;
}

static void sched_free(sched *s)
{
	for (size_t j = 0; s->aliases && j < s->k; j++)
		h->free(s->aliases[j]);
	h->free(s->aliases);
	h->free(s->weights);
	h->free(s->slot);
	h->free(s);
}

static sched *sched_new(dbr_member *const *m, const size_t *el, size_t k)
{
	sched *s = h->calloc(1, sizeof *s);
	int *w = s ? h->calloc(2 * k, sizeof *w) : NULL; /* weights, then scratch */
	if (!w || !(s->aliases = h->calloc(k, sizeof *s->aliases)) ||
	    !(s->weights = h->calloc(k, sizeof *s->weights)))
		goto fail;
	s->k = k;
	for (size_t j = 0; j < k; j++) {
		w[j] = s->weights[j] = weight_of(m[el[j]]);
		if (!(s->aliases[j] = h->strdup(m[el[j]]->alias)))
			goto fail;
	}
	s->len = normalise(w, k);
	if (!(s->slot = h->calloc(s->len, sizeof *s->slot)))
		goto fail;
	smooth_wrr(s->slot, s->len, w, w + k, k);
	h->free(w);
	return s;
fail:
	h->free(w);
	if (s)
		sched_free(s);
	return NULL;
}

/* ---------------------------------------------------------- clusters */

static cluster *find_cluster(rr *r, const char *primary)
{
	for (cluster *c = atomic_load_explicit(&r->clusters, memory_order_acquire); c; c = c->next)
		if (strcmp(c->primary, primary) == 0)
			return c;
	return NULL;
}

static cluster *add_cluster(rr *r, const char *primary)
{
	pthread_mutex_lock(&r->lock);
	cluster *c = find_cluster(r, primary);
	if (!c && (c = h->calloc(1, sizeof *c)) != NULL) {
		if (!(c->primary = h->strdup(primary))) {
			h->free(c);
			c = NULL;
		} else {
			atomic_init(&c->turn, splitmix64(r->seed ^ hash_str(primary)));
			atomic_init(&c->scheds, NULL);
			c->next = atomic_load_explicit(&r->clusters, memory_order_relaxed);
			atomic_store_explicit(&r->clusters, c, memory_order_release);
		}
	}
	pthread_mutex_unlock(&r->lock);
	return c;
}

/* The cached schedule of this member set, built and published if new;
 * NULL when the cache is full or memory ran out. */
static const sched *add_sched(rr *r, cluster *c, dbr_member *const *m, const size_t *el, size_t k)
{
	pthread_mutex_lock(&r->lock);
	const sched *found = find_sched(c, m, el, k);
	sched *s = NULL;
	if (!found && c->nscheds < SCHED_MAX && (s = sched_new(m, el, k)) != NULL) {
		s->next = atomic_load_explicit(&c->scheds, memory_order_relaxed);
		atomic_store_explicit(&c->scheds, s, memory_order_release);
		c->nscheds++;
		found = s;
	}
	pthread_mutex_unlock(&r->lock);
	return found;
}

/* ------------------------------------------------------------- ops */

static void rr_destroy(void *state)
{
	rr *r = state;
	if (!r)
		return;
	cluster *c = atomic_load(&r->clusters);
	while (c) {
		cluster *cn = c->next;
		sched *s = atomic_load(&c->scheds);
		while (s) {
			sched *sn = s->next;
			sched_free(s);
			s = sn;
		}
		h->free(c->primary);
		h->free(c);
		c = cn;
	}
	pthread_mutex_destroy(&r->lock);
	h->free(r);
}

static int rr_create(void **state, const dbr_conf *conf)
{
	int include_primary = 0;
	int rc = h->conf_bool(&include_primary, conf, "include_primary");
	if (rc < 0 && rc != DBR_ENOTFOUND)
		return rc;
	rr *r = h->calloc(1, sizeof *r);
	if (!r)
		return h->error(DBR_ENOMEM, NULL, "round_robin: out of memory");
	if (pthread_mutex_init(&r->lock, NULL) != 0) {
		h->free(r);
		return h->error(DBR_ENOMEM, NULL, "round_robin: cannot create a mutex");
	}
	r->include_primary = include_primary;
	/* Different in every process and every instance. */
	r->seed = splitmix64((uint64_t)h->now_us() ^ ((uint64_t)getpid() << 32) ^
	                     (uint64_t)(uintptr_t)r);
	atomic_init(&r->clusters, NULL);
	*state = r;
	return 0;
}

/* A dry run (explain) only peeks at the next turn: explaining a read must
 * not move the rotation. Hosts older than ABI 1.1 send no flags. */
static int dry_run(const dbr_route_req *req)
{
	return DBR_HAS_MEMBER(dbr_route_req, req, flags) && (req->flags & DBR_REQ_DRY_RUN);
}

/* Picks the member of this turn from `s` (of eligible members `el`): takes
 * the turn, or only peeks at it on a dry run. */
static int pick(cluster *c, const sched *s, const size_t *el, int peek)
{
	uint64_t t = peek ? atomic_load_explicit(&c->turn, memory_order_relaxed)
	                  : atomic_fetch_add_explicit(&c->turn, 1, memory_order_relaxed);
	return (int)el[s->slot[t % s->len]];
}

/* A turn on a schedule built for this call only (the cache is full). */
static int pick_uncached(cluster *c, dbr_member *const *m, const size_t *el, size_t k, int peek)
{
	sched *s = sched_new(m, el, k);
	if (!s)
		return -1;
	int i = pick(c, s, el, peek);
	sched_free(s);
	return i;
}

static int choose(rr *r, const dbr_route_req *req, dbr_member *const *m, const size_t *el, size_t k)
{
	cluster *c = find_cluster(r, req->target);
	if (!c && !(c = add_cluster(r, req->target)))
		return -1;
	const sched *s = find_sched(c, m, el, k);
	if (!s)
		s = add_sched(r, c, m, el, k);
	int peek = dry_run(req);
	return s ? pick(c, s, el, peek) : pick_uncached(c, m, el, k, peek);
}

static int rr_select(void *state, const dbr_route_req *req, dbr_member *const *m, size_t n)
{
	rr *r = state;
	if (!req->target)
		return -1; /* not a stage 2 call */
	size_t small[SMALL_N];
	size_t *el = n <= SMALL_N ? small : h->calloc(n, sizeof *el);
	if (!el)
		return -1;
	size_t k = eligible(el, r, m, n);
	int i = k ? choose(r, req, m, el, k) : -1;
	if (i >= 0)
		h->note(req, "picked %s (weight %d)", m[i]->alias, m[i]->weight);
	else if (k)
		h->note(req, "out of memory: picked nobody");
	else
		h->note(req, "no healthy %s: picked nobody", r->include_primary ? "member" : "replica");
	if (el != small)
		h->free(el);
	return i;
}

static const dbr_router_ops ops = {
	.struct_size = sizeof(dbr_router_ops),
	.create = rr_create,
	.destroy = rr_destroy,
	.select = rr_select,
};

static const dbr_plugin_desc desc = DBR_PLUGIN_DESC(DBR_PLUGIN_ROUTER, "round_robin", "0.1.0",
	"spreads reads over a primary's replicas by smooth weighted round-robin", &ops);

/* A prototype first: -Wmissing-prototypes. */
DBR_ROUTER_ENTRY(round_robin)
{
	h = host;
	return &desc;
}
