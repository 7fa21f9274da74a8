/* SPDX-License-Identifier: MIT */
/* placeholders_fuzzer.c — the core's `?` → `$n` rewriter (the host
 * service sql_placeholders, core/tokenize.c, which the PostgreSQL driver
 * uses) on arbitrary SQL; the first input byte picks the dialect and
 * whether '...' takes backslash escapes.
 *
 * Properties: the same answer twice; when the text changed, the output
 * holds exactly `nparams` more '$' than the input (each `?` placeholder
 * became one `$k`) and a `$k` with k >= nparams; unchanged text reports no
 * parameter unless it was written with `$n`. */
#include "fuzzer.h"
#include "tokenize.h"

/* The number of '$' in s, and the highest number after any '$'. */
static size_t count_dollars(const char *s, unsigned long *highest)
{
	size_t n = 0;
	*highest = 0;
	for (const char *p = s; (p = strchr(p, '$')) != NULL; p++) {
		n++;
		if (p[1] < '0' || p[1] > '9')
			continue;
		char *end;
		unsigned long v = strtoul(p + 1, &end, 10);
		if (v > *highest)
			*highest = v;
	}
	return n;
}

static void check(const char *sql, dbr_sql_dialect d, unsigned flags)
{
	char *out = NULL, *again = NULL;
	size_t n = 0, n2 = 0;
	if (dbr__sql_placeholders(&out, &n, sql, d, flags) != 0)
		return; /* out of memory only */
	FUZZ_CHECK(out != NULL, "no output");
	FUZZ_CHECK(dbr__sql_placeholders(&again, &n2, sql, d, flags) == 0 && n2 == n &&
	           strcmp(again, out) == 0, "two answers for one statement");
	free(again);
	unsigned long in_high, out_high;
	size_t in_n = count_dollars(sql, &in_high), out_n = count_dollars(out, &out_high);
	if (strcmp(out, sql) == 0) {
		/* nothing rewritten: no placeholder, or a statement written with $n */
		FUZZ_CHECK(n == 0 || in_n > 0, "unchanged text but %zu parameters", n);
	} else {
		/* each `?` placeholder became one `$k`; `??` became `?` */
		FUZZ_CHECK(out_n == in_n + n, "%zu '$' in the output, %zu before, %zu reported",
		           out_n, in_n, n);
		FUZZ_CHECK(n == 0 || out_high >= n, "reported %zu parameters, highest $n is %lu",
		           n, out_high);
	}
	free(out);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0) {
		check("", DBR_SQL_POSTGRES, 0);
		return 0;
	}
	static const dbr_sql_dialect dialects[] = { DBR_SQL_POSTGRES, DBR_SQL_MYSQL,
	                                            DBR_SQL_GENERIC, DBR_SQL_POSTGRES };
	char *sql = fuzz_cstr(data + 1, size - 1);
	if (sql)
		check(sql, dialects[(data[0] >> 1) & 3], data[0] & 1 ? DBR_SQL_BACKSLASH_QUOTES : 0);
	free(sql);
	return 0;
}
