/* SPDX-License-Identifier: MIT */
/* version.c — the run-time library's version (configure's PACKAGE_VERSION,
 * checked against dbrouter.h's DBR_VERSION by configure) and plugin ABI. */
#include "config.h"

#include <stdio.h>

#include "internal.h"

const char *dbr_version(int *major, int *minor, int *patch)
{
	int v[3] = { 0, 0, 0 };
	sscanf(PACKAGE_VERSION, "%d.%d.%d", &v[0], &v[1], &v[2]);
	if (major)
		*major = v[0];
	if (minor)
		*minor = v[1];
	if (patch)
		*patch = v[2];
	return PACKAGE_VERSION;
}

void dbr_abi_version(int *major, int *minor)
{
	if (major)
		*major = DBR_ABI_MAJOR;
	if (minor)
		*minor = DBR_ABI_MINOR;
}
