/* SPDX-License-Identifier: MIT */
/* null_entry — its entry refuses to load and says why through the host. */
#include "inert_ops.h"

DBR_DRIVER_ENTRY(null_entry)
{
	host->error(DBR_ECONFIG, NULL, "null_entry: refusing to load on purpose");
	return NULL;
}
