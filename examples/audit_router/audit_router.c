/* SPDX-License-Identifier: MIT */
/* audit_router — an out-of-tree router built only from the installed
 * headers (pkg-config --cflags dbrouter), never linking libdbrouter.
 * Settings: archive = "alias" (required): reads of model Audit go there. */
#include <string.h>

#include <dbrouter/router.h>

static const dbr_host *h;

typedef struct audit {
	char *archive;
} audit;

static int create(void **state, const dbr_conf *conf)
{
	const char *alias;
	int rc = h->conf_string(&alias, conf, "archive");
	if (rc == DBR_ENOTFOUND)
		return h->conf_error(conf, "archive: required (the alias audit reads go to)");
	if (rc)
		return rc;
	if (h->conf_alias(NULL, conf, alias))
		return h->conf_error(conf, "archive: no database \"%s\"", alias);
	audit *a = h->calloc(1, sizeof(*a));
	if (!a || !(a->archive = h->strdup(alias))) {
		h->free(a);
		return DBR_ENOMEM;
	}
	*state = a;
	return 0;
}

static void destroy(void *state)
{
	audit *a = state;
	h->free(a->archive);
	h->free(a);
}

static const char *db_for_read(void *state, const dbr_route_req *req)
{
	const audit *a = state;
	if (!req->model || strcmp(req->model, "Audit") != 0)
		return NULL;
	h->note(req, "audit reads go to the archive");
	return a->archive;
}

static const dbr_router_ops ops = {
	.struct_size = sizeof(dbr_router_ops),
	.create = create,
	.destroy = destroy,
	.db_for_read = db_for_read,
};

static const dbr_plugin_desc desc = DBR_PLUGIN_DESC(DBR_PLUGIN_ROUTER, "audit_router", "1.0",
                                                   "reads of model Audit go to an archive", &ops);

DBR_ROUTER_ENTRY(audit_router)
{
	h = host;
	return &desc;
}
