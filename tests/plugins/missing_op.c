/* SPDX-License-Identifier: MIT */
/* missing_op — a driver whose table is full size but has no exec. */
#include "inert_ops.h"

static const dbr_driver_ops ops = { .struct_size = sizeof ops, INERT_DRIVER_OPS_NO_EXEC };

static const dbr_plugin_desc desc =
	DBR_PLUGIN_DESC(DBR_PLUGIN_DRIVER, "missing_op", "1", "no exec", &ops);

DBR_DRIVER_ENTRY(missing_op)
{
	(void)host;
	return &desc;
}
