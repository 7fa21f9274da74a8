/* SPDX-License-Identifier: MIT */
/* misbehave_router — a test-only router whose create() breaks the rules on
 * request (`mode`), and shows conf_type / conf_error_at at work:
 *   "silent"    fails with DBR_ECONFIG and no message
 *   "positive"  returns 1
 *   "unlocated" fails with a message that names no place
 *   "at"        conf_error_at on its `limit` setting (or where it would be)
 *   "types"     fails listing conf_type of s, i, f, b, g, l, a, nothing
 *   "peek"      asks conf_type of `extra` without reading it, succeeds
 *   "ok"        succeeds
 * Its db_for_read/db_for_write pass, noting req->flags. */
#include <stdio.h>
#include <string.h>

#include "inert_ops.h"

static const dbr_host *H;

static int types(const dbr_conf *conf)
{
	static const char *const keys[] = { "s", "i", "f", "b", "g", "l", "a", "nothing" };
	char buf[128] = "";
	size_t n = 0;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%s=%d", i ? " " : "", keys[i],
		                      (int)H->conf_type(conf, keys[i]));
	return H->conf_error_at(conf, "mode", "types: %s", buf);
}

static int mr_create(void **state, const dbr_conf *conf)
{
	const char *mode = "";
	*state = NULL;
	if (!DBR_HAS_MEMBER(dbr_host, H, conf_error_at))
		return H->error(DBR_EPLUGIN, NULL, "misbehave_router: needs a host of ABI 1.1");
	int rc = H->conf_string(&mode, conf, "mode");
	if (rc)
		return rc;
	if (strcmp(mode, "silent") == 0)
		return DBR_ECONFIG;
	if (strcmp(mode, "positive") == 0)
		return 1;
	if (strcmp(mode, "unlocated") == 0)
		return H->error(DBR_ECONFIG, NULL, "mode \"unlocated\" says no");
	if (strcmp(mode, "at") == 0)
		return H->conf_error_at(conf, "limit", "too big");
	if (strcmp(mode, "types") == 0)
		return types(conf);
	if (strcmp(mode, "peek") == 0)
		return H->conf_type(conf, "extra") == DBR_CONF_STRING ? 0 : H->error(DBR_ERROR, NULL, "peek: no extra");
	return 0;
}

/* Passes, noting the request's flags (DBR_REQ_*) in the trace. */
static const char *mr_pass(void *state, const dbr_route_req *req)
{
	(void)state;
	H->note(req, "flags=%u", DBR_HAS_MEMBER(dbr_route_req, req, flags) ? req->flags : 99u);
	return NULL;
}

static const dbr_router_ops ops = {
	.struct_size = sizeof ops, .create = mr_create, .destroy = inert_destroy,
	.db_for_read = mr_pass, .db_for_write = mr_pass,
};

static const dbr_plugin_desc desc =
	DBR_PLUGIN_DESC(DBR_PLUGIN_ROUTER, "misbehave_router", "0", "breaks the router rules on request", &ops);

DBR_ROUTER_ENTRY(misbehave_router)
{
	H = host;
	return &desc;
}
