/* SPDX-License-Identifier: MIT */
/* abi12_driver — built against generated "1.2" headers (the current ones
 * with DBR_ABI_MINOR 2 and dbr_host.abi_1_2_probe appended; see
 * tests/plugins/local.mk). A 1.1 host must refuse it before its body runs:
 * the body reads the 1.2 member, beyond a 1.1 host's table (ASan would
 * report it). */
#include "inert_ops.h"

#if DBR_ABI_MINOR != 2
#error "abi12_driver must be built against the generated ABI 1.2 headers"
#endif

static const dbr_driver_ops ops = { .struct_size = sizeof ops, INERT_DRIVER_OPS };

static const dbr_plugin_desc desc =
	DBR_PLUGIN_DESC(DBR_PLUGIN_DRIVER, "abi12_driver", "1", "needs ABI 1.2", &ops);

DBR_DRIVER_ENTRY(abi12_driver)
{
	return host->abi_1_2_probe ? &desc : NULL;
}
