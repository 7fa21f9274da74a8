/* SPDX-License-Identifier: MIT */
/* no_entry — a module without any entry symbol. */
#include "inert_ops.h"

__attribute__((visibility("default"))) int no_entry_here(void);

int no_entry_here(void)
{
	return 42;
}
