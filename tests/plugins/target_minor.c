/* SPDX-License-Identifier: MIT */
/* target_minor — built with the current headers but DBR_TARGET_ABI_MINOR 0:
 * its descriptor claims ABI 1.0, so it would load on a 1.0 host too. */
#define DBR_TARGET_ABI_MINOR 0
#include "inert_ops.h"

static const dbr_driver_ops ops = { .struct_size = sizeof ops, INERT_DRIVER_OPS };

static const dbr_plugin_desc desc =
	DBR_PLUGIN_DESC(DBR_PLUGIN_DRIVER, "target_minor", "1", "targets ABI 1.0", &ops);

DBR_DRIVER_ENTRY(target_minor)
{
	(void)host;
	return &desc;
}
