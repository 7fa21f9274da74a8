/* SPDX-License-Identifier: MIT */
/* short_ops — a driver whose ops table claims to end before exec: the
 * pointers past struct_size are set but must not count. */
#include "inert_ops.h"

static const dbr_driver_ops ops = {
	.struct_size = offsetof(dbr_driver_ops, exec), INERT_DRIVER_OPS
};

static const dbr_plugin_desc desc =
	DBR_PLUGIN_DESC(DBR_PLUGIN_DRIVER, "short_ops", "1", "table ends before exec", &ops);

DBR_DRIVER_ENTRY(short_ops)
{
	(void)host;
	return &desc;
}
