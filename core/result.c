/* SPDX-License-Identifier: MIT */
/* result.c — buffered results: built by drivers through the sink, read by
 * the application through typed getters.
 *
 * Memory: one allocation for a small result. The struct ends with an
 * arena's first block; the alias, the column names, the first rows' cells
 * and every text or formatted number are carved from it, further blocks
 * (growing to 64 KiB) being chained when it is full, all freed with the
 * result. Only a cell array outgrowing its first place moves to the heap
 * (realloc'd from then on, so that a big result keeps one array). */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct cell {
	dbr_type type;
	union {
		int64_t i;
		double d;
	};
	char *p;        /* TEXT/BLOB bytes, NUL-terminated; or formatted number */
	size_t len;
} cell;

/* A further arena block. */
typedef struct block {
	struct block *next; /* the previous one */
	size_t cap;
	_Alignas(16) char data[];
} block;

/* The arena's place: its newest block and what is free in it. */
typedef struct place {
	block *more;    /* blocks beyond the inline one, newest first */
	char *top;
	size_t left;
} place;

#define RESULT_SIZE 1024       /* struct and inline block: one malloc */
#define BLOCK_MIN 2048
#define BLOCK_MAX (64 * 1024)

struct dbr_result {
	char *alias;
	char **names;
	size_t ncols;
	cell *cells;    /* nrows * ncols: in the arena, or on the heap */
	size_t nrows, caprows;
	int cells_heap;
	int has_insert_id;
	int no_insert_id; /* the backend has none */
	int64_t affected;
	int64_t insert_id;
	place at;       /* where the next arena bytes come from */
	place mark;     /* after the columns: where clear_rows goes back to */
	_Alignas(16) char first[]; /* the inline block, up to RESULT_SIZE */
};

/* size bytes from the arena, 16-aligned; NULL out of memory. */
static void *arena_alloc(dbr_result *r, size_t size)
{
	size = (size + 15) & ~(size_t)15;
	if (size > r->at.left) {
		size_t cap = r->at.more ? r->at.more->cap * 2 : BLOCK_MIN;
		if (cap > BLOCK_MAX)
			cap = BLOCK_MAX;
		if (cap < size)
			cap = size;
		block *b = cap > SIZE_MAX - sizeof(block) ? NULL : malloc(sizeof(block) + cap);
		if (!b)
			return NULL;
		b->next = r->at.more;
		b->cap = cap;
		r->at = (place){ b, b->data, cap };
	}
	char *p = r->at.top;
	r->at.top += size;
	r->at.left -= size;
	return p;
}

/* A NUL-terminated copy of len bytes in the arena. */
static char *arena_copy(dbr_result *r, const void *src, size_t len)
{
	char *p = len < SIZE_MAX - 16 ? arena_alloc(r, len + 1) : NULL;
	if (!p)
		return NULL;
	if (len)
		memcpy(p, src, len);
	p[len] = '\0';
	return p;
}

/* Frees the blocks newer than `to` and makes it the place again. */
static void arena_back(dbr_result *r, place to)
{
	while (r->at.more != to.more) {
		block *b = r->at.more;
		r->at.more = b->next;
		free(b);
	}
	r->at = to;
}

int dbr__result_new(dbr_result **out, const char *alias)
{
	dbr_result *r = malloc(RESULT_SIZE);
	if (!r)
		return dbr__err(DBR_ENOMEM, NULL, "out of memory");
	memset(r, 0, offsetof(dbr_result, first));
	r->at = (place){ NULL, r->first, RESULT_SIZE - offsetof(dbr_result, first) };
	alias = alias ? alias : "";
	if (!(r->alias = arena_copy(r, alias, strlen(alias)))) {
		free(r);
		return dbr__err(DBR_ENOMEM, NULL, "out of memory");
	}
	r->mark = r->at;
	*out = r;
	return 0;
}


void dbr__result_no_insert_id(dbr_result *r)
{
	r->no_insert_id = 1;
}

/* A sink misuse or failure: remembered, so that the statement fails even
 * if the driver ignores the error and returns 0. */
static int sink_fail(dbr_sink *sink, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int sink_fail(dbr_sink *sink, int code, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (sink->rc)
		return dbr__err(code, NULL, "%s", sink->msg);
	sink->rc = code;
	snprintf(sink->msg, sizeof(sink->msg), "driver \"%.64s\": %s", sink->driver ? sink->driver : "?", msg);
	return dbr__err(code, NULL, "%s", sink->msg);
}

int dbr__sink_columns(dbr_sink *sink, size_t ncols, const char *const *names)
{
	dbr_result *r = sink->r;
	if (sink->rc)
		return dbr__err(sink->rc, NULL, "%s", sink->msg);
	if (r->names)
		return sink_fail(sink, DBR_EPLUGIN, "sink_columns called twice");
	if (ncols && !names)
		return sink_fail(sink, DBR_EPLUGIN, "sink_columns: NULL names for %zu columns", ncols);
	char **n = ncols > SIZE_MAX / sizeof(char *) ? NULL
	                                              : arena_alloc(r, (ncols ? ncols : 1) * sizeof(char *));
	for (size_t i = 0; n && i < ncols; i++) {
		const char *name = names[i] ? names[i] : "";
		if (!(n[i] = arena_copy(r, name, strlen(name))))
			n = NULL;
	}
	if (!n) {
		arena_back(r, r->mark);
		return sink_fail(sink, DBR_ENOMEM, "out of memory");
	}
	r->names = n;
	r->ncols = ncols;
	r->mark = r->at; /* the columns stay when streams clear the rows */
	return 0;
}

static int cell_set(dbr_result *r, cell *c, const dbr_value *v)
{
	c->type = v->type;
	switch (v->type) {
	case DBR_TYPE_INT64:
	case DBR_TYPE_BOOL:
		c->i = v->v.i;
		return 0;
	case DBR_TYPE_DOUBLE:
		c->d = v->v.d;
		return 0;
	case DBR_TYPE_TEXT:
	case DBR_TYPE_BLOB:
	case DBR_TYPE_DECIMAL:
		c->len = v->v.b.len;
		c->p = arena_copy(r, v->v.b.ptr, c->len);
		return c->p ? 0 : DBR_ENOMEM;
	default:
		c->type = DBR_TYPE_NULL;
		return 0;
	}
}

/* Why value `v` cannot be a cell, or NULL. */
static const char *bad_value(const dbr_value *v)
{
	if ((unsigned)v->type > DBR_TYPE_DECIMAL) /* the last type (ABI 1.1) */
		return "has an unknown type";
	if ((v->type == DBR_TYPE_TEXT || v->type == DBR_TYPE_BLOB || v->type == DBR_TYPE_DECIMAL) &&
	    !v->v.b.ptr && v->v.b.len)
		return "is text or blob with a NULL pointer and a length";
	return NULL;
}

/* Room for more rows. The first cells come from the arena, as many rows
 * as half its free room holds (at least one, at most 16): a small result
 * stays in one allocation. Beyond, a heap array doubling. */
static int grow_rows(dbr_result *r)
{
	if (r->ncols > SIZE_MAX / 16 / sizeof(cell))
		return DBR_ENOMEM;
	size_t row = (r->ncols ? r->ncols : 1) * sizeof(cell);
	if (!r->cells) {
		size_t cap = r->at.left / 2 / row;
		cap = cap < 1 ? 1 : cap > 16 ? 16 : cap;
		if (!(r->cells = arena_alloc(r, cap * row)))
			return DBR_ENOMEM;
		r->caprows = cap;
		return 0;
	}
	size_t cap = r->caprows < 8 ? 16 : r->caprows * 2;
	if (cap > SIZE_MAX / row)
		return DBR_ENOMEM;
	cell *c = r->cells_heap ? realloc(r->cells, cap * row) : malloc(cap * row);
	if (!c)
		return DBR_ENOMEM;
	if (!r->cells_heap)
		memcpy(c, r->cells, r->nrows * r->ncols * sizeof(cell));
	r->cells = c;
	r->cells_heap = 1;
	r->caprows = cap;
	return 0;
}

/* The row is checked whole before anything is stored: a refused row leaves
 * the result as it was. */
int dbr__sink_row(dbr_sink *sink, const dbr_value *values)
{
	dbr_result *r = sink->r;
	if (sink->rc)
		return dbr__err(sink->rc, NULL, "%s", sink->msg);
	if (!r->names)
		return sink_fail(sink, DBR_EPLUGIN, "sink_row called before sink_columns");
	if (r->ncols && !values)
		return sink_fail(sink, DBR_EPLUGIN, "sink_row: NULL values for %zu columns", r->ncols);
	for (size_t i = 0; i < r->ncols; i++) {
		const char *why = bad_value(&values[i]);
		if (why)
			return sink_fail(sink, DBR_EPLUGIN, "sink_row: column %zu (\"%s\") %s (type %d)",
			                 i, r->names[i], why, (int)values[i].type);
	}
	if (r->nrows == r->caprows && grow_rows(r))
		return sink_fail(sink, DBR_ENOMEM, "out of memory");
	cell *row = r->cells + r->nrows * r->ncols;
	memset(row, 0, r->ncols * sizeof(cell));
	r->nrows++;
	for (size_t i = 0; i < r->ncols; i++)
		if (cell_set(r, &row[i], &values[i]))
			return sink_fail(sink, DBR_ENOMEM, "out of memory");
	return 0;
}

void dbr__sink_affected(dbr_sink *sink, int64_t n)
{
	sink->r->affected = n;
}

void dbr__sink_insert_id(dbr_sink *sink, int64_t id)
{
	sink->r->insert_id = id;
	sink->r->has_insert_id = 1;
}

/* The rows' bytes go back to the arena (the blocks they took are freed);
 * a heap cell array stays for the next rows. */
void dbr__result_clear_rows(dbr_result *r)
{
	arena_back(r, r->mark);
	if (!r->cells_heap) {
		r->cells = NULL;
		r->caprows = 0;
	}
	r->nrows = 0;
}

void dbr_result_free(dbr_result *r)
{
	if (!r)
		return;
	if (r->cells_heap)
		free(r->cells);
	arena_back(r, (place){ 0 });
	free(r);
}

size_t dbr_result_nrows(const dbr_result *r) { return r ? r->nrows : 0; }
size_t dbr_result_ncols(const dbr_result *r) { return r ? r->ncols : 0; }
int64_t dbr_result_affected(const dbr_result *r) { return r ? r->affected : 0; }
const char *dbr_result_alias(const dbr_result *r) { return r ? r->alias : ""; }

const char *dbr_result_colname(const dbr_result *r, size_t col)
{
	return r && col < r->ncols ? r->names[col] : NULL;
}

int dbr_result_colindex(size_t *out, const dbr_result *r, const char *name)
{
	for (size_t i = 0; r && name && i < r->ncols; i++)
		if (strcmp(r->names[i], name) == 0) {
			*out = i;
			return 0;
		}
	return dbr__err(DBR_ENOTFOUND, NULL, "no column \"%s\"", name ? name : "(null)");
}

static cell *cell_at(const dbr_result *r, size_t row, size_t col)
{
	if (!r || row >= r->nrows || col >= r->ncols)
		return NULL;
	return &r->cells[row * r->ncols + col];
}

static int cell_get(cell **out, const dbr_result *r, size_t row, size_t col)
{
	cell *c = cell_at(r, row, col);
	if (!c)
		return dbr__err(DBR_ERANGE, NULL, "no cell at row %zu, column %zu", row, col);
	if (c->type == DBR_TYPE_NULL)
		return dbr__err(DBR_ETYPE, NULL, "cell at row %zu, column %zu is NULL", row, col);
	*out = c;
	return 0;
}

dbr_type dbr_result_type(const dbr_result *r, size_t row, size_t col)
{
	cell *c = cell_at(r, row, col);
	return c ? c->type : DBR_TYPE_NULL;
}

int dbr_result_isnull(const dbr_result *r, size_t row, size_t col)
{
	cell *c = cell_at(r, row, col);
	return !c || c->type == DBR_TYPE_NULL;
}

int dbr_result_int64(int64_t *out, const dbr_result *r, size_t row, size_t col)
{
	cell *c = NULL;
	int rc = cell_get(&c, r, row, col);
	if (rc)
		return rc;
	switch (c->type) {
	case DBR_TYPE_INT64:
	case DBR_TYPE_BOOL:
		*out = c->i;
		return 0;
	case DBR_TYPE_DOUBLE:
		if (c->d != floor(c->d) || c->d < -9.2233720368547758e18 || c->d >= 9.2233720368547758e18)
			break;
		*out = (int64_t)c->d;
		return 0;
	case DBR_TYPE_TEXT:
	case DBR_TYPE_DECIMAL: {
		char *end;
		errno = 0;
		long long v = strtoll(c->p, &end, 10);
		if (errno || end == c->p)
			break;
		if (c->type == DBR_TYPE_DECIMAL && *end == '.') /* "42.000" is 42 */
			end += strspn(end + 1, "0") + 1;
		if (*end)
			break;
		*out = v;
		return 0;
	}
	default:
		break;
	}
	return dbr__err(DBR_ETYPE, NULL, "cell at row %zu, column %zu is not an integer "
	                "that fits in 64 bits", row, col);
}

int dbr_result_double(double *out, const dbr_result *r, size_t row, size_t col)
{
	cell *c = NULL;
	int rc = cell_get(&c, r, row, col);
	if (rc)
		return rc;
	switch (c->type) {
	case DBR_TYPE_INT64:
	case DBR_TYPE_BOOL:
		*out = (double)c->i;
		return 0;
	case DBR_TYPE_DOUBLE:
		*out = c->d;
		return 0;
	case DBR_TYPE_TEXT:
	case DBR_TYPE_DECIMAL: {
		char *end;
		errno = 0;
		double v = strtod(c->p, &end);
		/* A decimal beyond the double range is still a number: ±HUGE_VAL
		 * or a rounded-to-zero tiny; text must parse cleanly. */
		if ((errno && c->type != DBR_TYPE_DECIMAL) || end == c->p || *end)
			break;
		*out = v;
		return 0;
	}
	default:
		break;
	}
	return dbr__err(DBR_ETYPE, NULL, "cell at row %zu, column %zu is not a number", row, col);
}

/* %.*g of d with `prec` significant digits, the locale's decimal point
 * (whatever it is: the only characters %g writes besides it are digits,
 * '-', '+' and 'e') replaced by '.'. */
static void fmt_g(char *buf, size_t size, int prec, double d)
{
	char tmp[64];
	size_t n = 0;
	snprintf(tmp, sizeof tmp, "%.*g", prec, d);
	for (const char *p = tmp; *p && n + 1 < size; p++) {
		if (strchr("0123456789-+e", *p)) {
			buf[n++] = *p;
		} else if (n == 0 || buf[n - 1] != '.') {
			buf[n++] = '.';
		}
	}
	buf[n] = '\0';
}

/* The shortest text that strtod reads back as d. A precision that round
 * trips keeps doing so with more digits (the p-digit rounding is also a
 * p+1-digit number, so the nearest p+1-digit one is no farther), so the
 * shortest is found by bisection over 1..17 (17 always round trips). The
 * text is compared through strtod in the current locale, so the locale's
 * point is put back first. */
static void shortest_double(char *buf, size_t size, double d)
{
	if (isnan(d)) {
		snprintf(buf, size, "NaN");
		return;
	}
	if (isinf(d)) {
		snprintf(buf, size, d > 0 ? "Infinity" : "-Infinity");
		return;
	}
	int lo = 1, hi = 17;
	while (lo < hi) {
		int mid = (lo + hi) / 2;
		char probe[64];
		snprintf(probe, sizeof probe, "%.*g", mid, d);
		if (strtod(probe, NULL) == d)
			hi = mid;
		else
			lo = mid + 1;
	}
	fmt_g(buf, size, lo, d);
}

/* Numbers are formatted on first use and kept in the cell (and the
 * result's arena: a result is used by one thread at a time). */
static int format_number(const dbr_result *r, cell *c)
{
	char buf[64];
	if (c->type == DBR_TYPE_DOUBLE)
		shortest_double(buf, sizeof(buf), c->d);
	else if (c->type == DBR_TYPE_BOOL)
		snprintf(buf, sizeof(buf), "%s", c->i ? "true" : "false");
	else
		snprintf(buf, sizeof(buf), "%" PRId64, c->i);
	size_t len = strlen(buf);
	c->p = arena_copy((dbr_result *)(uintptr_t)r, buf, len);
	if (!c->p)
		return dbr__err(DBR_ENOMEM, NULL, "out of memory");
	c->len = len;
	return 0;
}

int dbr_result_text(const char **out, size_t *len, const dbr_result *r, size_t row, size_t col)
{
	cell *c = NULL;
	int rc = cell_get(&c, r, row, col);
	if (rc)
		return rc;
	if (!c->p && (rc = format_number(r, c)))
		return rc;
	*out = c->p;
	if (len)
		*len = c->len;
	return 0;
}

int dbr_result_blob(const void **out, size_t *len, const dbr_result *r, size_t row, size_t col)
{
	cell *c = NULL;
	int rc = cell_get(&c, r, row, col);
	if (rc)
		return rc;
	if (c->type != DBR_TYPE_TEXT && c->type != DBR_TYPE_BLOB && c->type != DBR_TYPE_DECIMAL)
		return dbr__err(DBR_ETYPE, NULL, "cell at row %zu, column %zu is not text, decimal or blob",
		                row, col);
	*out = c->p;
	*len = c->len;
	return 0;
}

int dbr_result_last_insert_id(int64_t *out, const dbr_result *r)
{
	if (r && r->no_insert_id)
		return dbr__err(DBR_ENOTSUP, NULL, "last insert id is not supported by this backend: use RETURNING");
	if (!r || !r->has_insert_id)
		return dbr__err(DBR_ENOTFOUND, NULL, "the statement inserted no row");
	*out = r->insert_id;
	return 0;
}
