/* SPDX-License-Identifier: MIT */
/*
 * user_router — a test-only "Django-style" router as an application would
 * write it: only db_for_read / db_for_write (plus the mandatory create and
 * destroy). Its ops table ends before `select`: an older, shorter table the
 * host must not read past (struct_size).
 *
 * Model "Audit": reads from "replica1", writes to "default"; anything else
 * passes (NULL).
 */
#include <string.h>

#include <dbrouter/router.h>

static int user_create(void **state, const dbr_conf *conf)
{
	static int dummy;
	*state = &dummy;
	return 0;
}

static void user_destroy(void *state)
{
}

static int is_audit(const dbr_route_req *req)
{
	return req->model && strcmp(req->model, "Audit") == 0;
}

static const char *user_db_for_read(void *state, const dbr_route_req *req)
{
	return is_audit(req) ? "replica1" : NULL;
}

static const char *user_db_for_write(void *state, const dbr_route_req *req)
{
	return is_audit(req) ? "default" : NULL;
}

static const dbr_router_ops ops = {
	.struct_size = offsetof(dbr_router_ops, select),
	.create = user_create,
	.destroy = user_destroy,
	.db_for_read = user_db_for_read,
	.db_for_write = user_db_for_write,
};

static const dbr_plugin_desc desc = DBR_PLUGIN_DESC(DBR_PLUGIN_ROUTER, "user_router", "0.0.1",
	"test: a Django-style router with db_for_read/db_for_write only", &ops);

/* A prototype first: -Wmissing-prototypes. */
DBR_ROUTER_ENTRY(user_router)
{
	return &desc;
}
