/* SPDX-License-Identifier: MIT */
/* fixed_router — a test router: `read`, `write` (answered for every
 * statement, unchecked), `pick` (the member it picks in stage 2) and
 * `exclude` (the member it excludes there). */
#include <string.h>

#include <dbrouter/router.h>

static const dbr_host *h;

typedef struct fixed {
	const char *read, *write, *pick, *exclude;
} fixed;

static int create(void **state, const dbr_conf *conf)
{
	fixed *f = h->calloc(1, sizeof(*f));
	if (!f)
		return DBR_ENOMEM;
	const char *s;
	if (h->conf_string(&s, conf, "read") == 0)
		f->read = h->strdup(s);
	if (h->conf_string(&s, conf, "write") == 0)
		f->write = h->strdup(s);
	if (h->conf_string(&s, conf, "pick") == 0)
		f->pick = h->strdup(s);
	if (h->conf_string(&s, conf, "exclude") == 0)
		f->exclude = h->strdup(s);
	*state = f;
	return 0;
}

static void destroy(void *state)
{
	fixed *f = state;
	h->free((void *)f->read);
	h->free((void *)f->write);
	h->free((void *)f->pick);
	h->free((void *)f->exclude);
	h->free(f);
}

static const char *for_read(void *state, const dbr_route_req *req)
{
	const fixed *f = state;
	if (f->read)
		h->note(req, "fixed read alias");
	return f->read;
}

static const char *for_write(void *state, const dbr_route_req *req)
{
	const fixed *f = state;
	return f->write;
}

static int select_member(void *state, const dbr_route_req *req, dbr_member *const *m, size_t n)
{
	const fixed *f = state;
	for (size_t i = 0; f->exclude && i < n; i++)
		if (strcmp(m[i]->alias, f->exclude) == 0)
			m[i]->excluded = 1;
	for (size_t i = 0; f->pick && i < n; i++)
		if (strcmp(m[i]->alias, f->pick) == 0)
			return (int)i;
	return -1;
}

static const dbr_router_ops ops = {
	.struct_size = sizeof(dbr_router_ops),
	.create = create,
	.destroy = destroy,
	.db_for_read = for_read,
	.db_for_write = for_write,
	.select = select_member,
};

static const dbr_plugin_desc desc = DBR_PLUGIN_DESC(DBR_PLUGIN_ROUTER, "fixed_router", "1.0",
                                                   "test router answering fixed aliases", &ops);

DBR_ROUTER_ENTRY(fixed_router)
{
	h = host;
	return &desc;
}
