/* SPDX-License-Identifier: MIT */
/* newer_minor — a driver that needs a minor newer than the host's. */
#include "inert_ops.h"

static const dbr_driver_ops ops = { .struct_size = sizeof ops, INERT_DRIVER_OPS };

static const dbr_plugin_desc desc = {
	sizeof desc, DBR_ABI_MAJOR, DBR_ABI_MINOR + 1, DBR_PLUGIN_DRIVER,
	"newer_minor", "1", "needs a newer host", &ops
};

DBR_DRIVER_ENTRY(newer_minor)
{
	(void)host;
	return &desc;
}
