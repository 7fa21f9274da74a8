/* SPDX-License-Identifier: MIT */
/* unresolved — a router whose db_for_read calls a function nothing
 * defines. Loaded lazily it would load fine and kill the process at its
 * first read; the loader must bind it now and refuse it, naming the
 * symbol. */
#include "inert_ops.h"

int dbr_test_missing_symbol(void);

static const char *db_for_read(void *state, const dbr_route_req *req)
{
	(void)state, (void)req;
	return dbr_test_missing_symbol() ? "default" : NULL;
}

static const dbr_router_ops ops = {
	.struct_size = sizeof ops, INERT_ROUTER_OPS, .db_for_read = db_for_read,
};

static const dbr_plugin_desc desc =
	DBR_PLUGIN_DESC(DBR_PLUGIN_ROUTER, "unresolved", "1", "calls a missing symbol", &ops);

DBR_ROUTER_ENTRY(unresolved)
{
	(void)host;
	return &desc;
}
