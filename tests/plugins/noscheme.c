/* SPDX-License-Identifier: MIT */
/* noscheme — a driver that declares no URL scheme: a `noscheme://` URL
 * finds it by name but must not trust it with the scheme. */
#include "inert_ops.h"

static const dbr_driver_ops ops = { .struct_size = sizeof ops, INERT_DRIVER_OPS };

static const dbr_plugin_desc desc =
	DBR_PLUGIN_DESC(DBR_PLUGIN_DRIVER, "noscheme", "0", "declares no scheme", &ops);

DBR_DRIVER_ENTRY(noscheme)
{
	(void)host;
	return &desc;
}
