/* SPDX-License-Identifier: MIT */
/* abi10_driver — a SQLite driver built against the frozen ABI 1.0 headers
 * of tests/abi-1.0 (its CPPFLAGS put them first): its dbr_driver_ops and
 * descriptor are 1.0's, smaller than the host's, and it must load and run
 * unchanged in a newer core. */
#include "mini_sqlite.h"

#if DBR_ABI_MAJOR != 1 || DBR_ABI_MINOR != 0
#error "abi10_driver must be built against the ABI 1.0 headers"
#endif

static const dbr_driver_ops ops = { .struct_size = sizeof ops, MINI_SQLITE_OPS };

static const dbr_plugin_desc desc = DBR_PLUGIN_DESC(DBR_PLUGIN_DRIVER, "abi10_driver",
	"1.0", "SQLite, built against the ABI 1.0 headers", &ops);

DBR_DRIVER_ENTRY(abi10_driver)
{
	mini_host = host;
	return &desc;
}
