/* SPDX-License-Identifier: MIT */
/*
 * pinning — stage 2 router: read-your-writes by a time window. A read of a
 * cluster the session wrote to less than `seconds` ago goes to the primary
 * (django-multidb-router's PinningReplicaRouter).
 *
 *   seconds = 15.0;   # default 15
 *
 * The core records the writes (per session and cluster, at commit) and
 * handles use_primary itself; this policy only reads them.
 */
#include <dbrouter/router.h>

/* The host services, kept by the entry (the entry's parameter is `host`). */
static const dbr_host *h;

typedef struct pinning {
	double seconds;
	int64_t window_us;
} pinning;

static int pin_create(void **state, const dbr_conf *conf)
{
	double seconds = 15.0;
	int rc = h->conf_double(&seconds, conf, "seconds");
	if (rc < 0 && rc != DBR_ENOTFOUND)
		return rc;
	/* Also catches NaN. */
	if (!(seconds >= 0.0 && seconds <= 1e9))
		return h->conf_error(conf, "seconds: %g is out of range (0 to 1e9)", seconds);
	pinning *p = h->calloc(1, sizeof *p);
	if (!p)
		return h->error(DBR_ENOMEM, NULL, "pinning: out of memory");
	p->seconds = seconds;
	p->window_us = (int64_t)(seconds * 1e6);
	*state = p;
	return 0;
}

static void pin_destroy(void *state)
{
	h->free(state);
}

static int primary_of(dbr_member *const *m, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (m[i]->is_primary)
			return (int)i;
	return -1;
}

static int pin_select(void *state, const dbr_route_req *req, dbr_member *const *m, size_t n)
{
	const pinning *p = state;
	int64_t when;
	const char *pos;
	if (!req->target)
		return -1; /* not a stage 2 call */
	if (h->last_write(&when, &pos, req, req->target) == 0) {
		int64_t ago = h->now_us() - when;
		int i = primary_of(m, n);
		if (ago < p->window_us && i >= 0) {
			h->note(req, "last write to %s %.1f s ago \xe2\x86\x92 primary (window %g s)",
			        req->target, (double)ago / 1e6, p->seconds);
			return i;
		}
	}
	h->note(req, "no write to %s in the last %g s", req->target, p->seconds);
	return -1;
}

static const dbr_router_ops ops = {
	.struct_size = sizeof(dbr_router_ops),
	.create = pin_create,
	.destroy = pin_destroy,
	.select = pin_select,
};

static const dbr_plugin_desc desc = DBR_PLUGIN_DESC(DBR_PLUGIN_ROUTER, "pinning", "0.1.0",
	"reads go to the primary for a while after the session wrote to it", &ops);

/* A prototype first: -Wmissing-prototypes. */
DBR_ROUTER_ENTRY(pinning)
{
	h = host;
	return &desc;
}
