/* SPDX-License-Identifier: MIT */
/* good_driver — the smallest valid driver: check succeeds, connect fails
 * through the host (so a test sees the host table reached the plugin). */
#include "inert_ops.h"

static const dbr_host *the_host;

static int connect_(void **conn, const dbr_url_view *url)
{
	(void)conn, (void)url;
	return the_host->error(DBR_ENOTSUP, NULL, "good_driver: connect is not supported");
}

static const dbr_driver_ops ops = {
	.struct_size = sizeof ops, .backend = "test", .check = inert_check,
	.connect = connect_, .close = inert_close, .ping = inert_ping,
	.exec = inert_exec, .script = inert_script,
};

static const dbr_plugin_desc desc =
	DBR_PLUGIN_DESC(DBR_PLUGIN_DRIVER, "good_driver", "1.2.3", "a test driver", &ops);

DBR_DRIVER_ENTRY(good_driver)
{
	the_host = host;
	return &desc;
}
