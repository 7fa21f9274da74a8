/*
 * cli_output.c — how `dbrouter` prints: aligned tables, RFC 4180 CSV and
 * JSON. Everything goes to the FILE given; errors are the caller's.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* Display width of UTF-8 text: code points, not bytes (continuation bytes
 * 10xxxxxx do not count), so accented names keep the columns aligned. */
static size_t text_width(const char *s)
{
	size_t w = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			w++;
	return w;
}

static void pad(FILE *f, size_t n)
{
	while (n-- > 0)
		fputc(' ', f);
}

static void table_row(FILE *f, size_t ncols, const char *const *row, const size_t *width,
                      const unsigned char *right)
{
	for (size_t j = 0; j < ncols; j++) {
		size_t gap = width[j] - text_width(row[j]);
		int last = j + 1 == ncols;
		if (j > 0)
			fputs(" | ", f);
		if (right && right[j])
			pad(f, gap);
		fputs(row[j], f);
		if (!(right && right[j]) && !last)
			pad(f, gap);
	}
	fputc('\n', f);
}

void cli_table(FILE *f, size_t ncols, size_t nrows, const char *const *header,
               const char *const *cells, const unsigned char *right)
{
	size_t *width = calloc(ncols ? ncols : 1, sizeof *width);
	if (!width)
		return;
	for (size_t j = 0; j < ncols; j++)
		width[j] = text_width(header[j]);
	for (size_t i = 0; i < nrows; i++)
		for (size_t j = 0; j < ncols; j++) {
			size_t w = text_width(cells[i * ncols + j]);
			if (w > width[j])
				width[j] = w;
		}
	table_row(f, ncols, header, width, NULL);
	for (size_t j = 0; j < ncols; j++) {
		for (size_t k = 0; k < width[j] + (j > 0) + (j + 1 < ncols); k++)
			fputc('-', f);
		if (j + 1 < ncols)
			fputc('+', f);
	}
	fputc('\n', f);
	for (size_t i = 0; i < nrows; i++)
		table_row(f, ncols, cells + i * ncols, width,
		          right ? right + i * ncols : NULL);
	free(width);
}

/* ------------------------------------------------------------- cells */

static char *hex(const void *p, size_t n, const char *prefix)
{
	static const char digits[] = "0123456789abcdef";
	size_t plen = strlen(prefix);
	char *s = malloc(plen + 2 * n + 1);
	if (!s)
		return NULL;
	memcpy(s, prefix, plen);
	for (size_t i = 0; i < n; i++) {
		s[plen + 2 * i] = digits[((const unsigned char *)p)[i] >> 4];
		s[plen + 2 * i + 1] = digits[((const unsigned char *)p)[i] & 15];
	}
	s[plen + 2 * n] = '\0';
	return s;
}

/* A cell as text for the table and CSV: NULL is `null_text`, a blob is
 * PostgreSQL-style hex (\x00ff), anything else the library's text. */
static char *cell_text(const dbr_result *r, size_t i, size_t j, const char *null_text)
{
	const char *t;
	const void *b;
	size_t n;
	if (dbr_result_isnull(r, i, j))
		return strdup(null_text);
	if (dbr_result_type(r, i, j) == DBR_TYPE_BLOB) {
		if (dbr_result_blob(&b, &n, r, i, j) != 0)
			return NULL;
		return hex(b, n, "\\x");
	}
	if (dbr_result_text(&t, NULL, r, i, j) != 0)
		return NULL;
	return strdup(t);
}

static int print_table(FILE *f, const dbr_result *r)
{
	size_t nr = dbr_result_nrows(r), nc = dbr_result_ncols(r);
	size_t ncells = nr * nc + 1; /* +1: calloc(0) may return NULL */
	const char **header = calloc(nc + 1, sizeof *header);
	char **cells = calloc(ncells, sizeof *cells);
	unsigned char *right = calloc(ncells, 1);
	int rc = header && cells && right ? 0 : -1;
	for (size_t j = 0; rc == 0 && j < nc; j++)
		header[j] = dbr_result_colname(r, j);
	for (size_t i = 0; rc == 0 && i < nr; i++)
		for (size_t j = 0; rc == 0 && j < nc; j++) {
			dbr_type t = dbr_result_type(r, i, j);
			cells[i * nc + j] = cell_text(r, i, j, "NULL");
			right[i * nc + j] = t == DBR_TYPE_INT64 || t == DBR_TYPE_DOUBLE;
			rc = cells[i * nc + j] ? 0 : -1;
		}
	if (rc == 0)
		cli_table(f, nc, nr, header, (const char *const *)cells, right);
	for (size_t k = 0; cells && k < nr * nc; k++)
		free(cells[k]);
	free(cells);
	free(header);
	free(right);
	return rc;
}

/* ----------------------------------------------------------------- CSV */

/* RFC 4180: a field with a comma, quote, CR or LF (or leading/trailing
 * space) is quoted, quotes doubled. An empty string is "" so that it stays
 * apart from NULL, which is an empty unquoted field. */
static void csv_field(FILE *f, const char *s, int is_null)
{
	size_t n = strlen(s);
	int quote = !is_null && (n == 0 || strpbrk(s, ",\"\r\n") || s[0] == ' ' || s[n - 1] == ' ');
	if (!quote) {
		fputs(s, f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static int print_csv(FILE *f, const dbr_result *r)
{
	size_t nr = dbr_result_nrows(r), nc = dbr_result_ncols(r);
	for (size_t j = 0; j < nc; j++) {
		if (j)
			fputc(',', f);
		csv_field(f, dbr_result_colname(r, j), 0);
	}
	fputs("\r\n", f);
	for (size_t i = 0; i < nr; i++) {
		for (size_t j = 0; j < nc; j++) {
			int is_null = dbr_result_isnull(r, i, j);
			char *s = cell_text(r, i, j, "");
			if (!s)
				return -1;
			if (j)
				fputc(',', f);
			csv_field(f, s, is_null);
			free(s);
		}
		fputs("\r\n", f);
	}
	return 0;
}

/* ---------------------------------------------------------------- JSON */

static void json_string(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", f);
		else if (ch == '\t')
			fputs("\\t", f);
		else if (ch == '\r')
			fputs("\\r", f);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

/* The shortest %g that reads back as the same double. */
static void json_double(FILE *f, double d)
{
	char buf[40];
	if (!isfinite(d)) {
		fputs("null", f); /* JSON has no inf/nan */
		return;
	}
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, sizeof buf, "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	fputs(buf, f);
}

static int json_cell(FILE *f, const dbr_result *r, size_t i, size_t j)
{
	const void *b;
	const char *t;
	size_t n;
	int64_t iv;
	double dv;
	if (dbr_result_isnull(r, i, j)) {
		fputs("null", f);
		return 0;
	}
	switch (dbr_result_type(r, i, j)) {
	case DBR_TYPE_INT64:
		if (dbr_result_int64(&iv, r, i, j) != 0)
			return -1;
		fprintf(f, "%" PRId64, iv);
		return 0;
	case DBR_TYPE_BOOL:
		if (dbr_result_int64(&iv, r, i, j) != 0)
			return -1;
		fputs(iv ? "true" : "false", f);
		return 0;
	case DBR_TYPE_DOUBLE:
		if (dbr_result_double(&dv, r, i, j) != 0)
			return -1;
		json_double(f, dv);
		return 0;
	case DBR_TYPE_BLOB: {
		char *h;
		if (dbr_result_blob(&b, &n, r, i, j) != 0 || !(h = hex(b, n, "")))
			return -1;
		json_string(f, h, strlen(h));
		free(h);
		return 0;
	}
	default:
		if (dbr_result_text(&t, &n, r, i, j) != 0)
			return -1;
		json_string(f, t, n);
		return 0;
	}
}

static int print_json(FILE *f, const dbr_result *r)
{
	size_t nr = dbr_result_nrows(r), nc = dbr_result_ncols(r);
	fputc('[', f);
	for (size_t i = 0; i < nr; i++) {
		fputs(i ? ",\n  {" : "\n  {", f);
		for (size_t j = 0; j < nc; j++) {
			const char *name = dbr_result_colname(r, j);
			if (j)
				fputs(", ", f);
			json_string(f, name, strlen(name));
			fputs(": ", f);
			if (json_cell(f, r, i, j) != 0)
				return -1;
		}
		fputc('}', f);
	}
	fputs(nr ? "\n]\n" : "]\n", f);
	return 0;
}

int cli_print_result(FILE *f, const dbr_result *r, cli_format fmt)
{
	static int (*const printers[])(FILE *, const dbr_result *) = {
		[OUT_TABLE] = print_table, [OUT_CSV] = print_csv, [OUT_JSON] = print_json,
	};
	if (fmt == OUT_TABLE && dbr_result_ncols(r) == 0)
		return 0; /* a write: the footer says it all */
	return printers[fmt](f, r);
}

void cli_print_footer(FILE *f, const dbr_result *r)
{
	int64_t id;
	if (dbr_result_ncols(r) > 0) {
		size_t n = dbr_result_nrows(r);
		fprintf(f, "(%zu row%s, served by %s)\n", n, n == 1 ? "" : "s",
		        dbr_result_alias(r));
		return;
	}
	fprintf(f, "(%" PRId64 " row%s affected, served by %s", dbr_result_affected(r),
	        dbr_result_affected(r) == 1 ? "" : "s", dbr_result_alias(r));
	if (dbr_result_last_insert_id(&id, r) == 0)
		fprintf(f, ", last insert id %" PRId64, id);
	fputs(")\n", f);
}

/* A routing trace, ending with a newline. */
void cli_print_trace(dbr_trace *t)
{
	const char *text = dbr_trace_text(t);
	size_t n = strlen(text);
	fputs(text, stdout);
	if (n && text[n - 1] != '\n')
		fputc('\n', stdout);
}
