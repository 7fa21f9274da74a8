/* SPDX-License-Identifier: MIT */
/* twin_a — exports twin_value() like twin_b does; under RTLD_LOCAL
 * each twin must call its own (this one returns 1). */
#include "inert_ops.h"

__attribute__((visibility("default"), noinline)) int twin_value(void);

int twin_value(void)
{
	return 1;
}

static const char *const answers[] = { "none", "one", "two" };

/* The state is the answer twin_value() gave when the router was created. */
static int create(void **state, const dbr_conf *conf)
{
	(void)conf;
	int v = twin_value();
	*state = (void *)answers[v >= 1 && v <= 2 ? v : 0];
	return 0;
}

static const char *db_for_read(void *state, const dbr_route_req *req)
{
	(void)req;
	return state;
}

static const dbr_router_ops ops = {
	.struct_size = sizeof ops, .create = create, .destroy = inert_destroy,
	.db_for_read = db_for_read,
};

static const dbr_plugin_desc desc =
	DBR_PLUGIN_DESC(DBR_PLUGIN_ROUTER, "twin_a", "1", "same symbol as its twin", &ops);

DBR_ROUTER_ENTRY(twin_a)
{
	(void)host;
	return &desc;
}
