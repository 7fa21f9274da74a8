/* bad_major — a driver built for ABI 99.0: the host must refuse it. */
#include "inert_ops.h"

static const dbr_driver_ops ops = { .struct_size = sizeof ops, INERT_DRIVER_OPS };

static const dbr_plugin_desc desc = {
	sizeof desc, 99, 0, DBR_PLUGIN_DRIVER, "bad_major", "1", "ABI 99", &ops
};

DBR_DRIVER_ENTRY(bad_major)
{
	(void)host;
	return &desc;
}
