/* SPDX-License-Identifier: MIT */
/* good_router — the smallest valid router: create and destroy only. */
#include "inert_ops.h"

static const dbr_router_ops ops = { .struct_size = sizeof ops, INERT_ROUTER_OPS };

static const dbr_plugin_desc desc =
	DBR_PLUGIN_DESC(DBR_PLUGIN_ROUTER, "good_router", "0.9", "a test router", &ops);

DBR_ROUTER_ENTRY(good_router)
{
	(void)host;
	return &desc;
}
