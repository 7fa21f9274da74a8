/* placeholders_fuzzer.c — the PostgreSQL driver's `?` → `$n` rewriter
 * (drivers/postgres/placeholders.c) on arbitrary SQL, with both settings of
 * standard_conforming_strings (the first input byte picks it).
 *
 * Properties: the length contract of snprintf (size 0 gives the length; a
 * short buffer gets a NUL-terminated prefix); a statement that already uses
 * $n comes back unchanged; otherwise the output holds exactly `nparams` more
 * `$<digits>` than the input (each `?` placeholder became one) and its
 * highest `$n` is at least nparams. */
#include "fuzzer.h"
#include "placeholders.h"

/* Number of `$<digit>…` runs in s, and the highest number among them. */
static size_t count_dollars(const char *s, unsigned long *highest)
{
	size_t n = 0;
	*highest = 0;
	for (const char *p = s; (p = strchr(p, '$')) != NULL; p++) {
		if (p[1] < '0' || p[1] > '9')
			continue;
		char *end;
		unsigned long v = strtoul(p + 1, &end, 10);
		n++;
		if (v > *highest)
			*highest = v;
	}
	return n;
}

static void check(const char *sql, int std_strings)
{
	pgph_info info = { 0, 0 };
	long len = pgph_translate(NULL, 0, sql, std_strings, &info);
	FUZZ_CHECK(len >= 0, "length %ld", len);
	char *out = malloc((size_t)len + 1);
	if (!out)
		return;
	pgph_info again = { 0, 0 };
	FUZZ_CHECK(pgph_translate(out, (size_t)len + 1, sql, std_strings, &again) == len,
	           "two lengths for one statement");
	FUZZ_CHECK(strlen(out) == (size_t)len, "wrote %zu bytes, said %ld", strlen(out), len);
	FUZZ_CHECK(again.nparams == info.nparams && again.dollar == info.dollar,
	           "two answers for one statement");
	if (len > 0) { /* a short buffer: a NUL-terminated prefix, same length */
		char *half = malloc((size_t)len / 2 + 1);
		if (half) {
			FUZZ_CHECK(pgph_translate(half, (size_t)len / 2 + 1, sql, std_strings, &again) == len,
			           "the length depends on the buffer");
			FUZZ_CHECK(strlen(half) == (size_t)len / 2 && memcmp(half, out, (size_t)len / 2) == 0,
			           "a short buffer did not get a prefix");
			free(half);
		}
	}
	unsigned long in_high, out_high;
	size_t in_n = count_dollars(sql, &in_high), out_n = count_dollars(out, &out_high);
	if (info.dollar) {
		FUZZ_CHECK(strcmp(out, sql) == 0, "a $n statement was changed");
	} else {
		FUZZ_CHECK(out_n == in_n + info.nparams, "%zu $n in the output, %zu before, %zu reported",
		           out_n, in_n, info.nparams);
		FUZZ_CHECK(info.nparams == 0 || out_high >= info.nparams,
		           "reported %zu parameters, highest $n is %lu", info.nparams, out_high);
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
		check("", 1);
		return 0;
	}
	char *sql = fuzz_cstr(data + 1, size - 1);
	if (sql)
		check(sql, data[0] & 1);
	free(sql);
	return 0;
}
