/* stubs.h — ops shared by the test-only plugins: a driver whose check
 * succeeds and whose other ops say "not supported", and a router that
 * keeps no state. Each plugin picks the ops it wants. */
#ifndef DBR_TEST_STUBS_H
#define DBR_TEST_STUBS_H

#include <dbrouter/driver.h>
#include <dbrouter/router.h>

/* plugin.h's entry macros emit no prototype, which -Wmissing-prototypes
 * rejects: declare both entries here. */
DBR_PLUGIN_EXPORT const dbr_plugin_desc *dbr_driver_entry(const dbr_host *host);
DBR_PLUGIN_EXPORT const dbr_plugin_desc *dbr_router_entry(const dbr_host *host);

#define STUB __attribute__((unused)) static

STUB int stub_check(const dbr_url_view *url) { (void)url; return 0; }
STUB int stub_connect(void **conn, const dbr_url_view *url) { (void)conn, (void)url; return DBR_ENOTSUP; }
STUB void stub_close(void *conn) { (void)conn; }
STUB int stub_ping(void *conn) { (void)conn; return DBR_ENOTSUP; }
STUB int stub_exec(void *conn, const char *sql, const dbr_value *params, size_t n,
                   dbr_sink *sink) { (void)conn, (void)sql, (void)params, (void)n, (void)sink; return DBR_ENOTSUP; }
STUB int stub_script(void *conn, const char *sql) { (void)conn, (void)sql; return DBR_ENOTSUP; }

/* Every mandatory driver op but exec. */
#define STUB_DRIVER_OPS_NO_EXEC \
	.backend = "test", .check = stub_check, .connect = stub_connect, \
	.close = stub_close, .ping = stub_ping, .script = stub_script
#define STUB_DRIVER_OPS STUB_DRIVER_OPS_NO_EXEC, .exec = stub_exec

STUB int stub_create(void **state, const dbr_conf *conf) { (void)conf; *state = NULL; return 0; }
STUB void stub_destroy(void *state) { (void)state; }

#define STUB_ROUTER_OPS .create = stub_create, .destroy = stub_destroy

#endif
