/* SPDX-License-Identifier: MIT */
/* poison_driver — a working SQLite driver whose ops table claims to end
 * before the optional `reset`: every pointer-sized slot from `reset` to the
 * end of the host's dbr_driver_ops (server_version and any op appended
 * later) holds the poison pointer 0x1. A host that calls an op beyond
 * struct_size jumps to 0x1 and dies; the loader's normalised copy must hold
 * NULL there instead. */
#include <stdint.h>

#include "mini_sqlite.h"

#define POISON ((uintptr_t)1)

static union {
	dbr_driver_ops ops;
	uintptr_t words[sizeof(dbr_driver_ops) / sizeof(uintptr_t)];
} table = { .ops = { .struct_size = offsetof(dbr_driver_ops, reset), MINI_SQLITE_OPS } };

static const dbr_plugin_desc desc = DBR_PLUGIN_DESC(DBR_PLUGIN_DRIVER, "poison_driver",
	"1", "SQLite with poison beyond its table", &table.ops);

DBR_DRIVER_ENTRY(poison_driver)
{
	mini_host = host;
	size_t first = offsetof(dbr_driver_ops, reset) / sizeof(uintptr_t);
	for (size_t i = first; i < sizeof table.words / sizeof table.words[0]; i++)
		table.words[i] = POISON;
	return &desc;
}
