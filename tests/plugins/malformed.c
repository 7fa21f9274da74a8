/* SPDX-License-Identifier: MIT */
/* malformed — a hand-written entry (no DBR_DRIVER_ENTRY guard, as a 1.0
 * plugin or one not using the macro) returning the malformed descriptor
 * that $DBR_TEST_MALFORMED names; the host must refuse each. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "inert_ops.h"

DBR_PLUGIN_EXPORT const dbr_plugin_desc *dbr_driver_entry(const dbr_host *host);

static const dbr_driver_ops good_ops = { .struct_size = sizeof good_ops, INERT_DRIVER_OPS };
static const dbr_driver_ops zero_ops = { .struct_size = 0, INERT_DRIVER_OPS };
static const dbr_driver_ops negative_ops = { .struct_size = (size_t)-1, INERT_DRIVER_OPS };

#define DESC(size, major, minor, ops) \
	{ (size), (major), (minor), DBR_PLUGIN_DRIVER, "malformed", "1", "malformed", (ops) }

static const struct {
	const char *name;
	dbr_plugin_desc desc;
} cases[] = {
	{ "negative_minor", DESC(sizeof(dbr_plugin_desc), DBR_ABI_MAJOR, -1, &good_ops) },
	{ "zero_size", DESC(0, DBR_ABI_MAJOR, 0, &good_ops) },
	{ "negative_size", DESC((size_t)-8, DBR_ABI_MAJOR, 0, &good_ops) },
	{ "ops_zero_size", DESC(sizeof(dbr_plugin_desc), DBR_ABI_MAJOR, 0, &zero_ops) },
	{ "ops_negative_size", DESC(sizeof(dbr_plugin_desc), DBR_ABI_MAJOR, 0, &negative_ops) },
	{ "old_major", DESC(sizeof(dbr_plugin_desc), 0, 3, &good_ops) },
};

const dbr_plugin_desc *dbr_driver_entry(const dbr_host *host)
{
	const char *want = getenv("DBR_TEST_MALFORMED");
	for (size_t i = 0; want && i < sizeof cases / sizeof cases[0]; i++)
		if (strcmp(cases[i].name, want) == 0)
			return &cases[i].desc;
	host->error(DBR_EINVAL, NULL, "malformed: set DBR_TEST_MALFORMED");
	return NULL;
}
