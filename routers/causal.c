/* SPDX-License-Identifier: MIT */
/*
 * causal — stage 2 router: read-your-writes by replication position. A read
 * of a cluster the session wrote to goes to a member that has replayed the
 * session's last write there (its position: the core records it after the
 * write commits), else to the primary.
 *
 *   mode = "fast";   # fast (default): members whose position, as the
 *                    #   monitor last saw it, has reached the write; no
 *                    #   extra round trip; none → the primary
 *                    # wait: pick a replica and wait there for the
 *                    #   position, at most `timeout`, then the primary
 *                    # global: as fast, with the newest position any
 *                    #   session of this dbr wrote (no token needed)
 *   timeout = 0.5;   # wait: seconds (0.001 to 60)
 *   window = 15.0;   # no position known (SQLite, a driver without
 *                    #   positions): the primary for this long, as pinning
 *
 * A position that cannot be compared (another timeline or lineage, foreign
 * text: the driver's position_cmp says DBR_ERANGE) never sends a read to a
 * replica. The router only excludes members when a later router (e.g.
 * round_robin) selects: that one balances the members left; when it is the
 * last to select (DBR_REQ_LAST_SELECT) it picks among them itself.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <dbrouter/driver.h>
#include <dbrouter/router.h>

/* The host services, kept by the entry (the entry's parameter is `host`). */
static const dbr_host *h;

typedef enum mode { FAST, WAIT, GLOBAL } mode;

static const char *const MODES[] = { [FAST] = "fast", [WAIT] = "wait", [GLOBAL] = "global" };

typedef struct causal {
	mode mode;
	int timeout_ms;
	double window;
	int64_t window_us;
	atomic_uint turn;  /* rotation over eligible members when picking itself */
} causal;

/* What one select() knows about the position the read needs. */
typedef struct need {
	const char *pos;           /* NULL: none known */
	char buf[DBR_POSITION_MAX]; /* global mode's copy */
	int64_t when_us;           /* the session's last write, -1 none */
	const char *whose;         /* "the session's" or "the dbr's newest" */
} need;

static int read_mode(mode *out, const dbr_conf *conf)
{
	const char *s = NULL;
	int rc = h->conf_string(&s, conf, "mode");
	if (rc == DBR_ENOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < sizeof MODES / sizeof MODES[0]; i++)
		if (strcmp(s, MODES[i]) == 0) {
			*out = (mode)i;
			return 0;
		}
	return h->conf_error_at(conf, "mode", "mode: \"%s\" is not fast, wait or global", s);
}

/* A number of seconds `rc` read (absent: the default) in [lo, hi]; NaN
 * is refused too. */
static int in_range(int rc, double v, const dbr_conf *conf, const char *key, double lo, double hi)
{
	if (rc < 0 && rc != DBR_ENOTFOUND)
		return rc;
	if (!(v >= lo && v <= hi))
		return h->conf_error_at(conf, key, "%s: %g is out of range (%g to %g)", key, v, lo, hi);
	return 0;
}

static int causal_create(void **state, const dbr_conf *conf)
{
	if (!DBR_HAS_MEMBER(dbr_host, h, wait_position))
		return h->error(DBR_EPLUGIN, NULL, "causal: the host is too old (no causal read services)");
	mode m = FAST;
	double timeout = 0.5, window = 15.0;
	int rc = read_mode(&m, conf);
	if (rc == 0) {
		rc = h->conf_double(&timeout, conf, "timeout");
		rc = in_range(rc, timeout, conf, "timeout", 0.001, 60.0);
	}
	if (rc == 0) {
		rc = h->conf_double(&window, conf, "window");
		rc = in_range(rc, window, conf, "window", 0.0, 1e9);
	}
	if (rc)
		return rc;
	causal *c = h->calloc(1, sizeof *c);
	if (!c)
		return h->error(DBR_ENOMEM, NULL, "causal: out of memory");
	c->mode = m;
	c->timeout_ms = (int)(timeout * 1000.0 + 0.5);
	c->window = window;
	c->window_us = (int64_t)(window * 1e6);
	atomic_init(&c->turn, 0);
	*state = c;
	return 0;
}

static void causal_destroy(void *state)
{
	h->free(state);
}

static int traced(const dbr_route_req *req)
{
	return (req->flags & DBR_REQ_TRACE) != 0;
}

/* A replica that may serve: not dropped, not known down. */
static int usable(const dbr_member *x)
{
	return !x->is_primary && !x->excluded && x->healthy;
}

static int primary_of(dbr_member *const *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (m[i]->is_primary)
			return (int)i;
	return -1;
}

/* Fills *nd: the position the read needs and when the session wrote. 0 if
 * the session (or, global, this dbr) wrote to the cluster, else -1. */
static int needed(need *nd, const causal *c, const dbr_route_req *req)
{
	const char *pos = NULL;
	nd->pos = NULL;
	nd->when_us = -1;
	nd->whose = "the session's last write";
	int wrote = h->last_write(&nd->when_us, &pos, req, req->target) == 0;
	if (!wrote)
		nd->when_us = -1;
	if (c->mode == GLOBAL && h->newest_position(nd->buf, sizeof nd->buf, req) == 0) {
		nd->pos = nd->buf;
		nd->whose = "the newest write of this dbr";
		return 0;
	}
	nd->pos = pos && *pos ? pos : NULL;
	return wrote ? 0 : -1;
}

/* The picked member, with its note. */
static int chose(const dbr_route_req *req, dbr_member *const *m, int i, const char *why)
{
	if (i >= 0 && traced(req))
		h->note(req, "%s %s", m[i]->is_primary ? "primary" : "picked", why);
	return i;
}

/* The primary serves (or, without one in the set, nobody picks). */
static int to_primary(const dbr_route_req *req, dbr_member *const *m, size_t n, const char *why)
{
	int p = primary_of(m, n);
	if (traced(req))
		h->note(req, "\xe2\x86\x92 primary: %s", why);
	return p;
}

/* No position known: the primary for `window` after the write. */
static int like_pinning(const causal *c, const dbr_route_req *req, dbr_member *const *m,
                        size_t n, const need *nd)
{
	int64_t ago = h->now_us() - nd->when_us;
	if (ago < c->window_us) {
		if (traced(req))
			h->note(req, "no position known for the last write to %s (%.1f s ago)",
			        req->target, (double)ago / 1e6);
		return to_primary(req, m, n, "within the window, as pinning");
	}
	if (traced(req))
		h->note(req, "no position known; last write to %s %.1f s ago, past the %g s window",
		        req->target, (double)ago / 1e6, c->window);
	return -1;
}

/* Whether replica `x` has replayed `pos` as the monitor last saw it:
 * 1 yes, 0 no or unknown, DBR_ERANGE cannot be compared. */
static int has_reached(const dbr_route_req *req, const dbr_member *x, const char *pos)
{
	int o = 0;
	if (!x->position || !*x->position)
		return 0;
	int rc = h->position_cmp(&o, req, x->position, pos);
	if (rc == DBR_ERANGE)
		return DBR_ERANGE;
	return rc == 0 && o >= 0;
}

/* Excludes the replicas that have not reached `pos` (noted); returns how
 * many remain and whether a comparison was refused (*invalid). */
static size_t keep_reached(const dbr_route_req *req, dbr_member *const *m, size_t n,
                           const char *pos, int *invalid)
{
	size_t k = 0;
	*invalid = 0;
	for (size_t i = 0; i < n; i++) {
		dbr_member *x = m[i];
		if (!usable(x))
			continue;
		int r = has_reached(req, x, pos);
		if (r == 1) {
			k++;
			if (traced(req))
				h->note(req, "%s at %s: has it", x->alias, x->position);
			continue;
		}
		*invalid |= r == DBR_ERANGE;
		x->excluded = 1;
		if (traced(req))
			h->note(req, "%s at %s: %s", x->alias, x->position ? x->position : "(unknown)",
			        r == DBR_ERANGE ? "cannot be compared (another timeline or lineage?)"
			                        : "behind");
	}
	return k;
}

/* The index of the turn-th usable replica of k (a dry run only peeks at
 * the turn), or -1. */
static int in_turn(causal *c, const dbr_route_req *req, dbr_member *const *m, size_t n, size_t k)
{
	unsigned t = (req->flags & DBR_REQ_DRY_RUN) ? atomic_load(&c->turn)
	                                             : atomic_fetch_add(&c->turn, 1u);
	size_t want = t % k;
	for (size_t i = 0; i < n; i++)
		if (usable(m[i]) && want-- == 0)
			return (int)i;
	return -1;
}

/* Nothing to wait for: when nobody after us selects, a replica in turn;
 * else pass (round_robin balances). */
static int any_member(causal *c, const dbr_route_req *req, dbr_member *const *m, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += usable(m[i]) != 0;
	if (!(req->flags & DBR_REQ_LAST_SELECT) || k == 0)
		return -1;
	return chose(req, m, in_turn(c, req, m, n, k), "(in turn)");
}

static int fast(causal *c, const dbr_route_req *req, dbr_member *const *m, size_t n,
                const need *nd)
{
	int invalid = 0;
	size_t k = keep_reached(req, m, n, nd->pos, &invalid);
	if (k == 0)
		return to_primary(req, m, n, invalid ? "the position cannot be compared on the replicas"
		                                      : "no replica has the position yet");
	/* Nobody after us balances them: pick one in turn. */
	if (req->flags & DBR_REQ_LAST_SELECT)
		return chose(req, m, in_turn(c, req, m, n, k), "(has the position)");
	if (traced(req))
		h->note(req, "%zu replica%s left for the next router", k, k == 1 ? "" : "s");
	return -1;
}

/* The replica to wait on: one that has the position already (no wait),
 * else the next healthy one in turn. -1 if none. */
static int wait_candidate(causal *c, const dbr_route_req *req, dbr_member *const *m, size_t n,
                          const char *pos, int *reached)
{
	size_t k = 0;
	*reached = 0;
	for (size_t i = 0; i < n; i++) {
		if (!usable(m[i]))
			continue;
		if (has_reached(req, m[i], pos) == 1) {
			*reached = 1;
			return (int)i;
		}
		k++;
	}
	return k ? in_turn(c, req, m, n, k) : -1;
}

static int wait_mode(causal *c, const dbr_route_req *req, dbr_member *const *m, size_t n,
                     const need *nd)
{
	int reached = 0;
	int i = wait_candidate(c, req, m, n, nd->pos, &reached);
	if (i < 0)
		return to_primary(req, m, n, "no healthy replica to wait on");
	if (reached)
		return chose(req, m, i, "(the monitor saw it at the position: no wait)");
	if (req->flags & DBR_REQ_DRY_RUN)
		return chose(req, m, i, "(would wait for the position there, dry run)");
	int64_t t0 = h->now_us();
	int rc = h->wait_position(req, m[i]->alias, nd->pos, c->timeout_ms);
	double ms = (double)(h->now_us() - t0) / 1e3;
	char why[160];
	if (rc == 0) {
		snprintf(why, sizeof why, "(reached the position after %.1f ms)", ms);
		return chose(req, m, i, why);
	}
	if (rc == DBR_ETIMEOUT)
		snprintf(why, sizeof why, "%s did not reach it in %d ms (waited %.1f ms)", m[i]->alias,
		         c->timeout_ms, ms);
	else if (rc == DBR_ERANGE)
		snprintf(why, sizeof why, "%s cannot compare the position (another timeline or lineage?)",
		         m[i]->alias);
	else
		snprintf(why, sizeof why, "waiting on %s failed (%d)", m[i]->alias, rc);
	return to_primary(req, m, n, why);
}

static int causal_select(void *state, const dbr_route_req *req, dbr_member *const *m, size_t n)
{
	causal *c = state;
	need nd;
	if (!req->target)
		return -1; /* not a stage 2 call */
	if (needed(&nd, c, req) != 0) {
		if (traced(req))
			h->note(req, "no write to %s known: any member", req->target);
		return any_member(c, req, m, n);
	}
	if (!nd.pos) {
		int p = like_pinning(c, req, m, n, &nd);
		return p >= 0 ? p : any_member(c, req, m, n);
	}
	if (traced(req))
		h->note(req, "needs %s (%s) on %s", nd.pos, nd.whose, req->target);
	return c->mode == WAIT ? wait_mode(c, req, m, n, &nd) : fast(c, req, m, n, &nd);
}

static const dbr_router_ops ops = {
	.struct_size = sizeof(dbr_router_ops),
	.create = causal_create,
	.destroy = causal_destroy,
	.select = causal_select,
};

static const dbr_plugin_desc desc = DBR_PLUGIN_DESC(DBR_PLUGIN_ROUTER, "causal", "0.1.0",
	"reads go to members that have replayed the session's last write (replication position)",
	&ops);

/* A prototype first: -Wmissing-prototypes. */
DBR_ROUTER_ENTRY(causal)
{
	h = host;
	return &desc;
}
