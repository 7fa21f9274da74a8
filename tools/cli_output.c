/* SPDX-License-Identifier: MIT */
/*
 * cli_output.c — how `dbrouter` prints: aligned tables, RFC 4180 CSV,
 * JSON and TSV in PostgreSQL's COPY text format. Everything goes to the
 * FILE given; errors are the caller's.
 */
#include <inttypes.h>
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

/* Length of the well-formed UTF-8 sequence at s (1 to 4), or 0 for a byte
 * that starts none (a stray continuation, an overlong form, a surrogate,
 * beyond U+10FFFF, or cut short). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	static const struct { unsigned char lead_lo, lead_hi, len, next_lo, next_hi; } FORMS[] = {
		{ 0x00, 0x7F, 1, 0, 0 },       { 0xC2, 0xDF, 2, 0x80, 0xBF },
		{ 0xE0, 0xE0, 3, 0xA0, 0xBF }, { 0xE1, 0xEC, 3, 0x80, 0xBF },
		{ 0xED, 0xED, 3, 0x80, 0x9F }, { 0xEE, 0xEF, 3, 0x80, 0xBF },
		{ 0xF0, 0xF0, 4, 0x90, 0xBF }, { 0xF1, 0xF3, 4, 0x80, 0xBF },
		{ 0xF4, 0xF4, 4, 0x80, 0x8F },
	};
	for (size_t k = 0; k < sizeof FORMS / sizeof FORMS[0]; k++) {
		if (s[0] < FORMS[k].lead_lo || s[0] > FORMS[k].lead_hi)
			continue;
		size_t len = FORMS[k].len;
		if (len > n)
			return 0;
		if (len > 1 && (s[1] < FORMS[k].next_lo || s[1] > FORMS[k].next_hi))
			return 0;
		for (size_t i = 2; i < len; i++)
			if ((s[i] & 0xC0) != 0x80)
				return 0;
		return len;
	}
	return 0;
}

/* A C0 or C1 control, or DEL: never sent raw to a terminal or into JSON. */
static int is_control(const unsigned char *s, size_t len)
{
	return (len == 1 && (s[0] < 0x20 || s[0] == 0x7F)) ||
	       (len == 2 && s[0] == 0xC2 && s[1] < 0xA0);
}

/* Short escapes shared by the table and JSON. */
static const char *short_escape(unsigned char ch)
{
	switch (ch) {
	case '\n': return "\\n";
	case '\r': return "\\r";
	case '\t': return "\\t";
	default: return NULL;
	}
}

/* Text for the table: controls as \n, \r, \t or \xHH (\u0080-\u009f for
 * C1), bytes that are not UTF-8 as \xHH; the rest as is. */
static char *display_text(const char *text, size_t n)
{
	const unsigned char *s = (const unsigned char *)text;
	char *out = malloc(4 * n + 1), *o = out; /* "\xHH" per byte at most */
	if (!out)
		return NULL;
	for (size_t i = 0; i < n;) {
		size_t len = utf8_seq(s + i, n - i);
		const char *e = len == 1 ? short_escape(s[i]) : NULL;
		if (e)
			o += sprintf(o, "%s", e);
		else if (len == 2 && is_control(s + i, len))
			o += sprintf(o, "\\u%04x", s[i + 1]);
		else if (len == 0 || is_control(s + i, len))
			o += sprintf(o, "\\x%02x", s[i]);
		else
			o += sprintf(o, "%.*s", (int)len, (const char *)s + i);
		i += len ? len : 1;
	}
	*o = '\0';
	return out;
}

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

/* JSON's number grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int json_number_ok(const char *s)
{
	size_t k;
	s += *s == '-';
	if (*s == '0')
		s++;
	else if ((k = strspn(s, "0123456789")) > 0)
		s += k;
	else
		return 0;
	if (*s == '.') {
		if ((k = strspn(s + 1, "0123456789")) == 0)
			return 0;
		s += k + 1;
	}
	if (*s == 'e' || *s == 'E') {
		s += 1 + (s[1] == '+' || s[1] == '-');
		if ((k = strspn(s, "0123456789")) == 0)
			return 0;
		s += k;
	}
	return *s == '\0';
}

/* One cell as every format sees it: NULL, a bare token (a number, true,
 * false: unquoted in JSON) or a string (text; a blob as \x + hex). */
typedef enum { V_NULL, V_BARE, V_STRING } vclass;
typedef struct cellv {
	vclass cls;
	const char *s; /* the library's text, or `owned` */
	size_t n;
	char *owned;
	int numeric;   /* right-aligned in the table */
} cellv;

/* Where the rows come from: a buffered result, or a stream (whose
 * current row is every row index). */
typedef struct rows {
	const dbr_result *r;
	dbr_stream *st;
	size_t n;     /* rows done */
} rows;

static size_t rows_ncols(const rows *src)
{
	return src->st ? dbr_stream_ncols(src->st) : dbr_result_ncols(src->r);
}

static const char *rows_colname(const rows *src, size_t j)
{
	return src->st ? dbr_stream_colname(src->st, j) : dbr_result_colname(src->r, j);
}

/* The next row's index in *i: 1, 0 at the end, or a stream's error. */
static int rows_next(rows *src, size_t *i)
{
	int rc = src->st ? dbr_stream_next(src->st) : src->n < dbr_result_nrows(src->r);
	*i = src->n;
	if (rc == 1)
		src->n++;
	return rc;
}

static int cell_get(cellv *v, const rows *src, size_t i, size_t j)
{
	const void *b;
	const dbr_result *r = src->r;
	const dbr_stream *st = src->st;
	dbr_type t = st ? dbr_stream_type(st, j) : dbr_result_type(r, i, j);
	memset(v, 0, sizeof *v);
	if (st ? dbr_stream_isnull(st, j) : dbr_result_isnull(r, i, j)) {
		v->cls = V_NULL;
		return 0;
	}
	if (t == DBR_TYPE_BLOB) {
		if ((st ? dbr_stream_blob(&b, &v->n, st, j) : dbr_result_blob(&b, &v->n, r, i, j)) != 0 ||
		    !(v->owned = hex(b, v->n, "\\x")))
			return -1;
		v->s = v->owned;
		v->n = strlen(v->owned);
		v->cls = V_STRING;
		return 0;
	}
	if ((st ? dbr_stream_text(&v->s, &v->n, st, j) : dbr_result_text(&v->s, &v->n, r, i, j)) != 0)
		return -1;
	v->numeric = t == DBR_TYPE_INT64 || t == DBR_TYPE_DOUBLE || t == DBR_TYPE_DECIMAL;
	/* NaN and ±Infinity are no JSON numbers: they stay strings. */
	v->cls = t == DBR_TYPE_BOOL || (v->numeric && json_number_ok(v->s)) ? V_BARE : V_STRING;
	return 0;
}

static int print_table(FILE *f, const dbr_result *r)
{
	const rows src = { r, NULL, 0 };
	size_t nr = dbr_result_nrows(r), nc = dbr_result_ncols(r);
	size_t ncells = nr * nc + 1; /* +1: calloc(0) may return NULL */
	char **header = calloc(nc + 1, sizeof *header);
	char **cells = calloc(ncells, sizeof *cells);
	unsigned char *right = calloc(ncells, 1);
	int rc = header && cells && right ? 0 : -1;
	for (size_t j = 0; rc == 0 && j < nc; j++) {
		const char *name = dbr_result_colname(r, j);
		rc = (header[j] = display_text(name, strlen(name))) ? 0 : -1;
	}
	for (size_t i = 0; rc == 0 && i < nr; i++)
		for (size_t j = 0; rc == 0 && j < nc; j++) {
			cellv v;
			char **c = &cells[i * nc + j];
			if ((rc = cell_get(&v, &src, i, j)) != 0)
				break;
			*c = v.cls == V_NULL ? strdup("NULL") : display_text(v.s, v.n);
			right[i * nc + j] = (unsigned char)v.numeric;
			free(v.owned);
			rc = *c ? 0 : -1;
		}
	if (rc == 0)
		cli_table(f, nc, nr, (const char *const *)header, (const char *const *)cells, right);
	for (size_t k = 0; cells && k < nr * nc; k++)
		free(cells[k]);
	for (size_t j = 0; header && j < nc; j++)
		free(header[j]);
	free(cells);
	free(header);
	free(right);
	return rc;
}

/* ----------------------------------------------------------------- CSV */

/* RFC 4180: a field with a comma, quote, CR or LF (or leading/trailing
 * space) is quoted, quotes doubled; other bytes go as stored. An empty
 * string is "" so that it stays apart from NULL, which is an empty unquoted
 * field. */
static void csv_field(FILE *f, const char *s, size_t n, int is_null)
{
	int quote = !is_null && n == 0;
	for (size_t k = 0; k < n && !quote; k++)
		quote = strchr(",\"\r\n", s[k]) != NULL && s[k] != '\0';
	quote = quote || (n > 0 && (s[0] == ' ' || s[n - 1] == ' '));
	if (!quote) {
		fwrite(s, 1, n, f);
		return;
	}
	fputc('"', f);
	for (size_t k = 0; k < n; k++) {
		if (s[k] == '"')
			fputc('"', f);
		fputc(s[k], f);
	}
	fputc('"', f);
}

/* ----------------------------------------------------------------- TSV */

/* PostgreSQL's COPY text format: fields split by tabs, rows by LF; in a
 * field backslash, tab, LF and CR are \\, \t, \n, \r; NULL is \N. Every
 * other byte goes as stored. */
static void tsv_field(FILE *f, const char *s, size_t n, int is_null)
{
	if (is_null) {
		fputs("\\N", f);
		return;
	}
	for (size_t k = 0; k < n; k++) {
		const char *e = s[k] == '\\' ? "\\\\" : short_escape((unsigned char)s[k]);
		if (e)
			fputs(e, f);
		else
			fputc(s[k], f);
	}
}

/* The delimited formats differ only in separators and field escaping. */
typedef void (*field_fn)(FILE *f, const char *s, size_t n, int is_null);

static int print_delimited(FILE *f, rows *src, char sep, const char *eol, field_fn field)
{
	size_t nc = rows_ncols(src), i;
	int rc;
	for (size_t j = 0; j < nc; j++) {
		const char *name = rows_colname(src, j);
		if (j)
			fputc(sep, f);
		field(f, name, strlen(name), 0);
	}
	fputs(eol, f);
	while ((rc = rows_next(src, &i)) == 1) {
		for (size_t j = 0; j < nc; j++) {
			cellv v;
			if (cell_get(&v, src, i, j) != 0)
				return -1;
			if (j)
				fputc(sep, f);
			field(f, v.s ? v.s : "", v.n, v.cls == V_NULL);
			free(v.owned);
		}
		fputs(eol, f);
	}
	return rc;
}

static int print_csv(FILE *f, rows *src)
{
	return print_delimited(f, src, ',', "\r\n", csv_field);
}

static int print_tsv(FILE *f, rows *src)
{
	return print_delimited(f, src, '\t', "\n", tsv_field);
}

/* ---------------------------------------------------------------- JSON */

/* A JSON string (RFC 8259) of any bytes: quote and backslash escaped,
 * controls as \n, \r, \t or \u00XX, bytes that are not UTF-8 as \ufffd
 * (the replacement character), valid UTF-8 as is. */
void cli_json_string(FILE *f, const char *text, size_t n)
{
	const unsigned char *s = (const unsigned char *)text;
	fputc('"', f);
	for (size_t i = 0; i < n;) {
		size_t len = utf8_seq(s + i, n - i);
		const char *e = len == 1 ? short_escape(s[i]) : NULL;
		if (len == 0)
			fputs("\\ufffd", f);
		else if (e)
			fputs(e, f);
		else if (len == 1 && (s[i] == '"' || s[i] == '\\'))
			fprintf(f, "\\%c", s[i]);
		else if (is_control(s + i, len))
			fprintf(f, "\\u%04x", len == 1 ? s[i] : s[i + 1]);
		else
			fwrite(s + i, 1, len, f);
		i += len ? len : 1;
	}
	fputc('"', f);
}

static int json_cell(FILE *f, const rows *src, size_t i, size_t j)
{
	cellv v;
	if (cell_get(&v, src, i, j) != 0)
		return -1;
	if (v.cls == V_NULL)
		fputs("null", f);
	else if (v.cls == V_BARE)
		fwrite(v.s, 1, v.n, f);
	else
		cli_json_string(f, v.s, v.n);
	free(v.owned);
	return 0;
}

static int print_json(FILE *f, rows *src)
{
	size_t nc = rows_ncols(src), i;
	int rc;
	fputc('[', f);
	while ((rc = rows_next(src, &i)) == 1) {
		fputs(i ? ",\n  {" : "\n  {", f);
		for (size_t j = 0; j < nc; j++) {
			const char *name = rows_colname(src, j);
			if (j)
				fputs(", ", f);
			cli_json_string(f, name, strlen(name));
			fputs(": ", f);
			if (json_cell(f, src, i, j) != 0)
				return -1;
		}
		fputc('}', f);
	}
	if (rc < 0)
		return rc;
	fputs(src->n ? "\n]\n" : "]\n", f);
	return 0;
}

static int (*const STREAMERS[])(FILE *, rows *) = {
	[OUT_CSV] = print_csv, [OUT_JSON] = print_json, [OUT_TSV] = print_tsv,
};

int cli_print_result(FILE *f, const dbr_result *r, cli_format fmt)
{
	rows src = { r, NULL, 0 };
	if (fmt == OUT_TABLE)
		return dbr_result_ncols(r) == 0 ? 0 /* a write: the footer says it all */
		                                : print_table(f, r);
	return STREAMERS[fmt](f, &src);
}

int cli_print_stream(FILE *f, dbr_stream *st, cli_format fmt)
{
	rows src = { NULL, st, 0 };
	return fmt == OUT_TABLE ? DBR_EINVAL : STREAMERS[fmt](f, &src);
}

void cli_print_rows_footer(FILE *f, uint64_t n, const char *alias)
{
	fprintf(f, "(%" PRIu64 " row%s, served by %s)\n", n, n == 1 ? "" : "s", alias);
}

void cli_print_footer(FILE *f, const dbr_result *r)
{
	int64_t id;
	if (dbr_result_ncols(r) > 0) {
		cli_print_rows_footer(f, dbr_result_nrows(r), dbr_result_alias(r));
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
