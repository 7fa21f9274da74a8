/* SPDX-License-Identifier: MIT */
/* inert_ops.h — ops shared by the test-only plugins: a driver whose check
 * succeeds and whose other ops say "not supported", and a router that
 * keeps no state. Each plugin picks the ops it wants. */
#ifndef DBR_TEST_INERT_OPS_H
#define DBR_TEST_INERT_OPS_H

#include <dbrouter/driver.h>
#include <dbrouter/router.h>

#define INERT __attribute__((unused)) static

INERT int inert_check(const dbr_url_view *url) { (void)url; return 0; }
INERT int inert_connect(void **conn, const dbr_url_view *url) { (void)conn, (void)url; return DBR_ENOTSUP; }
INERT void inert_close(void *conn) { (void)conn; }
INERT int inert_ping(void *conn) { (void)conn; return DBR_ENOTSUP; }
INERT int inert_exec(void *conn, const char *sql, const dbr_value *params, size_t n,
                   dbr_sink *sink) { (void)conn, (void)sql, (void)params, (void)n, (void)sink; return DBR_ENOTSUP; }
INERT int inert_script(void *conn, const char *sql) { (void)conn, (void)sql; return DBR_ENOTSUP; }

/* Every mandatory driver op but exec. */
#define INERT_DRIVER_OPS_NO_EXEC \
	.backend = "test", .check = inert_check, .connect = inert_connect, \
	.close = inert_close, .ping = inert_ping, .script = inert_script
#define INERT_DRIVER_OPS INERT_DRIVER_OPS_NO_EXEC, .exec = inert_exec

INERT int inert_create(void **state, const dbr_conf *conf) { (void)conf; *state = NULL; return 0; }
INERT void inert_destroy(void *state) { (void)state; }

#define INERT_ROUTER_OPS .create = inert_create, .destroy = inert_destroy

#endif
