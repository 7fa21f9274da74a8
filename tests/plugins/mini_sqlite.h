/* SPDX-License-Identifier: MIT */
/* mini_sqlite.h — the ops of a minimal SQLite driver, for test plugins
 * that must run against real SQLite files while their tables differ (a
 * short table with poison beyond it; a table built against the ABI 1.0
 * headers). Written against the 1.0 ABI only, so it compiles with the
 * frozen headers of tests/abi-1.0 too. The including plugin sets mini_host
 * in its entry. */
#ifndef DBR_TEST_MINI_SQLITE_H
#define DBR_TEST_MINI_SQLITE_H

#include <sqlite3.h>

#include <dbrouter/driver.h>

static const dbr_host *mini_host;

static int mini_fail(sqlite3 *db)
{
	return mini_host->error(DBR_ESQL, NULL, "mini_sqlite: %s", sqlite3_errmsg(db));
}

static int mini_check(const dbr_url_view *url)
{
	if (!url->path || url->noptions)
		return mini_host->error(DBR_ECONFIG, NULL, "mini_sqlite: a file path and no options");
	return 0;
}

static int mini_connect(void **conn, const dbr_url_view *url)
{
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(url->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL)) {
		int rc = mini_host->error(DBR_ECONNECT, NULL, "mini_sqlite: cannot open %s", url->path);
		sqlite3_close(db);
		return rc;
	}
	*conn = db;
	return 0;
}

static void mini_close(void *conn)
{
	sqlite3_close((sqlite3 *)conn);
}

static int mini_ping(void *conn)
{
	(void)conn;
	return 0;
}

static int mini_bind(sqlite3_stmt *st, int i, const dbr_value *v)
{
	switch (v->type) {
	case DBR_TYPE_INT64:
	case DBR_TYPE_BOOL: return sqlite3_bind_int64(st, i, v->v.i);
	case DBR_TYPE_DOUBLE: return sqlite3_bind_double(st, i, v->v.d);
	case DBR_TYPE_TEXT: return sqlite3_bind_text(st, i, (const char *)v->v.b.ptr, (int)v->v.b.len, SQLITE_TRANSIENT);
	case DBR_TYPE_BLOB: return sqlite3_bind_blob(st, i, v->v.b.ptr, (int)v->v.b.len, SQLITE_TRANSIENT);
	default: return sqlite3_bind_null(st, i);
	}
}

/* One row into the sink: integers, reals and text (enough for the tests). */
static int mini_row(sqlite3_stmt *st, dbr_sink *sink, int n)
{
	dbr_value vals[16];
	for (int i = 0; i < n && i < 16; i++) {
		switch (sqlite3_column_type(st, i)) {
		case SQLITE_INTEGER: vals[i] = dbr_int(sqlite3_column_int64(st, i)); break;
		case SQLITE_FLOAT: vals[i] = dbr_double(sqlite3_column_double(st, i)); break;
		case SQLITE_NULL: vals[i] = dbr_null(); break;
		default:
			vals[i] = dbr_textn((const char *)sqlite3_column_text(st, i),
			                    (size_t)sqlite3_column_bytes(st, i));
		}
	}
	return mini_host->sink_row(sink, vals);
}

static int mini_exec(void *conn, const char *sql, const dbr_value *params, size_t nparams,
                     dbr_sink *sink)
{
	sqlite3 *db = (sqlite3 *)conn;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL))
		return mini_fail(db);
	int n = sqlite3_column_count(st), rc = 0;
	if ((size_t)sqlite3_bind_parameter_count(st) != nparams || n > 16)
		rc = mini_host->error(DBR_EPARAM, NULL, "mini_sqlite: parameter or column count");
	for (size_t i = 0; rc == 0 && i < nparams; i++)
		if (mini_bind(st, (int)i + 1, &params[i]))
			rc = mini_fail(db);
	if (rc == 0 && n > 0) {
		const char *names[16];
		for (int i = 0; i < n; i++)
			names[i] = sqlite3_column_name(st, i);
		rc = mini_host->sink_columns(sink, (size_t)n, names);
	}
	int step = SQLITE_DONE;
	while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW)
		rc = mini_row(st, sink, n);
	if (rc == 0 && step != SQLITE_DONE)
		rc = mini_fail(db);
	if (rc == 0) {
		mini_host->sink_affected(sink, sqlite3_changes(db));
		mini_host->sink_insert_id(sink, sqlite3_last_insert_rowid(db));
	}
	sqlite3_finalize(st);
	return rc;
}

static int mini_script(void *conn, const char *sql)
{
	sqlite3 *db = (sqlite3 *)conn;
	return sqlite3_exec(db, sql, NULL, NULL, NULL) ? mini_fail(db) : 0;
}

#define MINI_SQLITE_OPS \
	.backend = "sqlite", .check = mini_check, .connect = mini_connect, \
	.close = mini_close, .ping = mini_ping, .exec = mini_exec, .script = mini_script

#endif
