/* SPDX-License-Identifier: MIT */
// cxx_router — a router written in C++ (built by g++ with -Wall -Wextra
// -Werror -pedantic): the headers must compile as C++ and
// DBR_ROUTER_ENTRY must export the unmangled dbr_router_entry. Reads go
// to its `read` setting; writes pass.
#include <new>

#include <dbrouter/router.h>

namespace {

const dbr_host *h = nullptr;

class Router {
public:
	explicit Router(char *read) : read_(read) {}
	~Router() { h->free(read_); }
	const char *read() const { return read_; }
private:
	char *read_;
};

int create(void **state, const dbr_conf *conf)
{
	const char *read = nullptr;
	int rc = h->conf_string(&read, conf, "read");
	if (rc)
		return rc == DBR_ENOTFOUND ? h->conf_error(conf, "cxx_router needs read = \"alias\"") : rc;
	if (h->conf_alias(nullptr, conf, read))
		return h->conf_error(conf, "cxx_router: no database \"%s\"", read);
	char *copy = h->strdup(read);
	Router *r = copy ? new (std::nothrow) Router(copy) : nullptr;
	if (!r) {
		h->free(copy);
		return h->error(DBR_ENOMEM, nullptr, "cxx_router: out of memory");
	}
	*state = r;
	return 0;
}

void destroy(void *state)
{
	delete static_cast<Router *>(state);
}

const char *db_for_read(void *state, const dbr_route_req *req)
{
	const Router *r = static_cast<const Router *>(state);
	h->note(req, "cxx_router sends reads to %s", r->read());
	return r->read();
}

dbr_router_ops make_ops()
{
	dbr_router_ops o = dbr_router_ops();
	o.struct_size = sizeof o;
	o.create = create;
	o.destroy = destroy;
	o.db_for_read = db_for_read;
	return o;
}

const dbr_router_ops ops = make_ops();
const dbr_plugin_desc desc = DBR_PLUGIN_DESC(DBR_PLUGIN_ROUTER, "cxx_router", "1",
                                             "a router written in C++", &ops);

} // namespace

DBR_ROUTER_ENTRY(cxx_router)
{
	h = host;
	return &desc;
}
