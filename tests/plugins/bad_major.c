/* SPDX-License-Identifier: MIT */
/* bad_major — a driver built as if the headers said ABI 99.x. The entry
 * the macro writes must refuse a host of major 1 before the body runs; the
 * body would make the host's message "refused to load: ... the body ran". */
#include "inert_ops.h"

#undef DBR_ABI_MAJOR
#define DBR_ABI_MAJOR 99

static const dbr_driver_ops ops = { .struct_size = sizeof ops, INERT_DRIVER_OPS };

static const dbr_plugin_desc desc =
	DBR_PLUGIN_DESC(DBR_PLUGIN_DRIVER, "bad_major", "1", "ABI 99", &ops);

DBR_DRIVER_ENTRY(bad_major)
{
	host->error(DBR_EPLUGIN, NULL, "bad_major: the body ran on a host of another major");
	return desc.abi_major == 99 ? NULL : &desc;
}
