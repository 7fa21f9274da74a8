/* SPDX-License-Identifier: MIT */
/*
 * per_model — stage 1 router: a model (table) name mapped to an alias.
 *
 *   models = { Log = "logs";                              # reads and writes
 *              User = { read = "default"; write = "users"; }; };
 *
 * A missing side passes to the next router. Model names are case-sensitive.
 * The rules are sorted at create so the hot path is a bsearch.
 */
#include <stdlib.h>
#include <string.h>

#include <dbrouter/router.h>

/* The host services, kept by the entry (the entry's parameter is `host`). */
static const dbr_host *h;

typedef struct rule {
	char *model;
	char *alias[2]; /* [0] read, [1] write; NULL passes */
} rule;

typedef struct per_model {
	rule *rules;
	size_t n;
} per_model;

static const char *const side_key[2] = { "read", "write" };

static void pm_destroy(void *state)
{
	per_model *pm = state;
	if (!pm)
		return;
	for (size_t i = 0; i < pm->n; i++) {
		h->free(pm->rules[i].model);
		h->free(pm->rules[i].alias[0]);
		h->free(pm->rules[i].alias[1]);
	}
	h->free(pm->rules);
	h->free(pm);
}

static int rule_cmp(const void *a, const void *b)
{
	return strcmp(((const rule *)a)->model, ((const rule *)b)->model);
}

/* A copy of `alias` after checking the deployment has it; `key` names the
 * side in the message (NULL when the model maps to one alias). */
static int take_alias(char **out, const dbr_conf *node, const char *key, const char *alias)
{
	if (h->conf_alias(NULL, node, alias) != 0)
		return h->conf_error(node, "%s%sno database \"%s\"",
		                        key ? key : "", key ? ": " : "", alias);
	*out = h->strdup(alias);
	return *out ? 0 : h->error(DBR_ENOMEM, NULL, "per_model: out of memory");
}

/* Model = { read = "a"; write = "b"; } — either side may be absent. */
static int parse_group(rule *r, const dbr_conf *node)
{
	for (int side = 0; side < 2; side++) {
		const char *alias;
		int rc = h->conf_string(&alias, node, side_key[side]);
		if (rc == DBR_ENOTFOUND)
			continue;
		if (rc == 0)
			rc = take_alias(&r->alias[side], node, side_key[side], alias);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Model = "alias" — the same alias for both sides. */
static int parse_scalar(rule *r, const dbr_conf *node)
{
	const char *alias;
	int rc = h->conf_string(&alias, node, NULL);
	if (rc < 0)
		return h->conf_error(node, "expected an alias or a group { read = ...; write = ...; }");
	if ((rc = take_alias(&r->alias[0], node, NULL, alias)) < 0)
		return rc;
	r->alias[1] = h->strdup(alias);
	return r->alias[1] ? 0 : h->error(DBR_ENOMEM, NULL, "per_model: out of memory");
}

static int parse_rule(rule *r, const dbr_conf *node)
{
	const char *name = h->conf_name(node);
	if (!name)
		return h->conf_error(node, "expected Model = \"alias\" entries in a group");
	if (!(r->model = h->strdup(name)))
		return h->error(DBR_ENOMEM, NULL, "per_model: out of memory");
	return h->conf_count(node) > 0 ? parse_group(r, node) : parse_scalar(r, node);
}

static int pm_create(void **state, const dbr_conf *conf)
{
	const dbr_conf *models;
	int rc = h->conf_child(&models, conf, "models");
	if (rc == DBR_ENOTFOUND)
		return h->conf_error(conf, "models: required (a group of Model = \"alias\")");
	if (rc < 0)
		return rc;
	per_model *pm = h->calloc(1, sizeof *pm);
	size_t n = h->conf_count(models);
	if (!pm || !(pm->rules = h->calloc(n ? n : 1, sizeof *pm->rules))) {
		h->free(pm);
		return h->error(DBR_ENOMEM, NULL, "per_model: out of memory");
	}
	for (; pm->n < n; pm->n++) {
		if ((rc = parse_rule(&pm->rules[pm->n], h->conf_at(models, pm->n))) < 0) {
			pm->n++; /* free the partial rule too */
			pm_destroy(pm);
			return rc;
		}
	}
	qsort(pm->rules, pm->n, sizeof *pm->rules, rule_cmp);
	*state = pm;
	return 0;
}

static const char *lookup(per_model *pm, const dbr_route_req *req, int side)
{
	if (!req->model) {
		h->note(req, "no model");
		return NULL;
	}
	rule key = { .model = (char *)req->model };
	const rule *r = bsearch(&key, pm->rules, pm->n, sizeof *pm->rules, rule_cmp);
	if (!r) {
		h->note(req, "no rule for model %s", req->model);
		return NULL;
	}
	if (!r->alias[side]) {
		h->note(req, "model %s has no %s rule", req->model, side_key[side]);
		return NULL;
	}
	h->note(req, "model %s \xe2\x86\x92 %s", req->model, r->alias[side]);
	return r->alias[side];
}

static const char *pm_db_for_read(void *state, const dbr_route_req *req)
{
	return lookup(state, req, 0);
}

static const char *pm_db_for_write(void *state, const dbr_route_req *req)
{
	return lookup(state, req, 1);
}

static const dbr_router_ops ops = {
	.struct_size = sizeof(dbr_router_ops),
	.create = pm_create,
	.destroy = pm_destroy,
	.db_for_read = pm_db_for_read,
	.db_for_write = pm_db_for_write,
};

static const dbr_plugin_desc desc = DBR_PLUGIN_DESC(DBR_PLUGIN_ROUTER, "per_model", "0.1.0",
	"routes a model (table) to an alias, for reads and writes separately", &ops);

/* A prototype first: -Wmissing-prototypes. */
DBR_ROUTER_ENTRY(per_model)
{
	h = host;
	return &desc;
}
