/* SPDX-License-Identifier: MIT */
/*
 * probe.c — makes the plugin ABI visible to abidw (abi/check.sh).
 *
 * Plugins never link libdbrouter, so the library's own dump cannot see
 * dbr_host, the ops tables or the descriptor. This probe's one export takes
 * a table that points to every plugin-facing type; abi/check.sh builds it
 * with -g and compares its dump with abi/plugin-abi.abi.
 *
 * A new plugin-facing struct or enum is appended to struct dbr_abi_probe
 * (then `abi/check.sh --update`): the table begins with struct_size, so the
 * guard accepts the append and the new type is guarded from then on.
 */
#include <dbrouter/dbrouter.h>
#include <dbrouter/plugin.h>
#include <dbrouter/driver.h>
#include <dbrouter/router.h>

/* Macros of the ABI become array lengths, so a changed value is a changed
 * type in the dump. DBR_ABI_MINOR is left out: it changes every minor. */
#define DBR_PROBE_CONST(name, value) const char (*name)[value]

struct dbr_abi_probe {
	size_t struct_size;
	const dbr_host *host;
	const dbr_plugin_desc *desc;
	dbr_entry_fn entry;
	const dbr_driver_ops *driver;
	const dbr_url_view *url;
	const dbr_router_ops *router;
	const dbr_route_req *req;
	const dbr_member *member;
	const dbr_value *value;
	const dbr_errcode *code;
	const dbr_plugin_kind *kind;
	const dbr_log_level *level;
	const dbr_stage *stage;
	DBR_PROBE_CONST(abi_major, DBR_ABI_MAJOR);
	DBR_PROBE_CONST(driver_no_insert_id, DBR_DRIVER_NO_INSERT_ID);
	DBR_PROBE_CONST(driver_keep_one, DBR_DRIVER_KEEP_ONE);
	/* ABI 1.1 */
	const dbr_repl_info *repl_info;
	const dbr_role *role;
	DBR_PROBE_CONST(position_max, DBR_POSITION_MAX);
	DBR_PROBE_CONST(driver_embedded, DBR_DRIVER_EMBEDDED);
};

__attribute__((visibility("default"))) int dbr_abi_probe(const struct dbr_abi_probe *p);

int dbr_abi_probe(const struct dbr_abi_probe *p)
{
	return p != NULL;
}
