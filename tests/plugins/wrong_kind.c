/* SPDX-License-Identifier: MIT */
/* wrong_kind — a router descriptor behind the driver entry symbol. */
#include "inert_ops.h"

static const dbr_router_ops ops = { .struct_size = sizeof ops, INERT_ROUTER_OPS };

static const dbr_plugin_desc desc =
	DBR_PLUGIN_DESC(DBR_PLUGIN_ROUTER, "wrong_kind", "1", "router under a driver symbol", &ops);

DBR_DRIVER_ENTRY(wrong_kind)
{
	(void)host;
	return &desc;
}
