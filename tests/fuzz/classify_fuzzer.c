/* SPDX-License-Identifier: MIT */
/* classify_fuzzer.c — dbr_classify on arbitrary text.
 *
 * Properties: the answer is READ or WRITE and the same every time; a READ
 * names a reading statement (one of the leading keywords that can read);
 * blanks or a comment before the statement change nothing; a statement list
 * that starts with a write is a write, whatever follows. */
#include <ctype.h>

#include <dbrouter/dbrouter.h>

#include "fuzzer.h"

/* Every statement that may be a read starts with one of these. */
static const char *const read_words[] = {
	"select", "with", "values", "table", "show", "desc", "explain", "pragma",
};

static int has_read_word(const char *sql)
{
	size_t n = strlen(sql);
	char *low = malloc(n + 1);
	int found = 0;
	if (!low)
		return 1;
	for (size_t i = 0; i <= n; i++)
		low[i] = (char)tolower((unsigned char)sql[i]);
	for (size_t i = 0; !found && i < sizeof(read_words) / sizeof(read_words[0]); i++)
		found = strstr(low, read_words[i]) != NULL;
	free(low);
	return found;
}

static dbr_intent classify_prefixed(const char *prefix, const char *sql)
{
	size_t a = strlen(prefix), b = strlen(sql);
	char *s = malloc(a + b + 1);
	if (!s)
		return DBR_INTENT_WRITE;
	memcpy(s, prefix, a);
	memcpy(s + a, sql, b + 1);
	dbr_intent r = dbr_classify(s);
	free(s);
	return r;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *sql = fuzz_cstr(data, size);
	if (!sql)
		return 0;
	dbr_intent r = dbr_classify(sql);
	FUZZ_CHECK(r == DBR_INTENT_READ || r == DBR_INTENT_WRITE, "answer %d", (int)r);
	FUZZ_CHECK(dbr_classify(sql) == r, "two answers for one text");
	FUZZ_CHECK(r == DBR_INTENT_WRITE || has_read_word(sql), "READ without a reading keyword");
	FUZZ_CHECK(classify_prefixed(" \t\r\n", sql) == r, "leading blanks changed the answer");
	FUZZ_CHECK(classify_prefixed("/* fuzz */ ", sql) == r, "a leading comment changed the answer");
	FUZZ_CHECK(classify_prefixed("DELETE FROM t WHERE id = 1; ", sql) == DBR_INTENT_WRITE,
	           "a list starting with DELETE is not a write");
	free(sql);
	return 0;
}
