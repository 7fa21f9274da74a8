/* SPDX-License-Identifier: MIT */
/* error.c — the calling thread's last error and dbr_strerror. */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define DBR__MSG_MAX 1024

static _Thread_local struct {
	dbr_error pub;
	char msg[DBR__MSG_MAX];
	char sqlstate[6];
} tls_err = { { 0, "", "" }, "", "" };

static const struct {
	int code;
	const char *text;
} errtexts[] = {
	{ DBR_OK, "success" },
	{ DBR_ERROR, "error" },
	{ DBR_ENOMEM, "out of memory" },
	{ DBR_EINVAL, "invalid argument" },
	{ DBR_ECONFIG, "configuration error" },
	{ DBR_EPLUGIN, "plugin error" },
	{ DBR_ENOTFOUND, "not found" },
	{ DBR_ECONNECT, "connection failed" },
	{ DBR_ESQL, "SQL error" },
	{ DBR_EROUTE, "routing error" },
	{ DBR_ETIMEOUT, "timed out" },
	{ DBR_ENOTSUP, "not supported" },
	{ DBR_ERANGE, "out of range" },
	{ DBR_ETYPE, "type mismatch" },
	{ DBR_ESTATE, "invalid state" },
	{ DBR_EPARAM, "parameter count mismatch" },
};

const char *dbr_strerror(int code)
{
	for (size_t i = 0; i < sizeof(errtexts) / sizeof(errtexts[0]); i++)
		if (errtexts[i].code == code)
			return errtexts[i].text;
	return "unknown error";
}

static void publish(int code)
{
	tls_err.pub.code = code;
	tls_err.pub.message = tls_err.msg;
	tls_err.pub.sqlstate = tls_err.sqlstate;
}

int dbr__verr(int code, const char *sqlstate, const char *fmt, va_list ap)
{
	vsnprintf(tls_err.msg, sizeof(tls_err.msg), fmt, ap);
	tls_err.sqlstate[0] = '\0';
	if (sqlstate)
		snprintf(tls_err.sqlstate, sizeof(tls_err.sqlstate), "%s", sqlstate);
	publish(code);
	return code;
}

int dbr__err(int code, const char *sqlstate, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	dbr__verr(code, sqlstate, fmt, ap);
	va_end(ap);
	return code;
}

int dbr__err_prefix(const char *fmt, ...)
{
	char prefix[DBR__MSG_MAX], old[DBR__MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, tls_err.msg, sizeof(old));
	/* prefix + ": " + old, truncated to the buffer */
	size_t n = strlen(prefix), cap = sizeof(tls_err.msg) - 1;
	n = n < cap ? n : cap;
	memcpy(tls_err.msg, prefix, n);
	for (const char *p = ": "; *p && n < cap; p++)
		tls_err.msg[n++] = *p;
	size_t m = strlen(old);
	m = m < cap - n ? m : cap - n;
	memcpy(tls_err.msg + n, old, m);
	tls_err.msg[n + m] = '\0';
	publish(tls_err.pub.code);
	return tls_err.pub.code;
}

void dbr__err_scrub(const dbr_url_view *v)
{
	dbr__scrub_secrets(tls_err.msg, sizeof(tls_err.msg), v);
}

void dbr__err_clear(void)
{
	tls_err.msg[0] = '\0';
	tls_err.sqlstate[0] = '\0';
	publish(0);
}

const dbr_error *dbr_error_last(void)
{
	publish(tls_err.pub.code);
	return &tls_err.pub;
}
