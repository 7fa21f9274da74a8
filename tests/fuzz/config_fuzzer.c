/* SPDX-License-Identifier: MIT */
/* config_fuzzer.c — the deployment loader (dbr_open_string) on arbitrary
 * text: libconfig's parser and every schema check of core/conf.c.
 *
 * No plugin is loaded: DBROUTER_PLUGIN_PATH points at a directory that does
 * not exist (and run.sh builds with a prefix that does not either), so each
 * input stops, at the latest, at its first driver or router and a run stays
 * fast and touches no file.
 *
 * Properties: the answer is 0 or one of the documented errors, with a
 * message; a failed open returns no handle; the message never shows the
 * canary when it is the password of a `url` or the `token_secret`; no
 * leak (LeakSanitizer, under libFuzzer). */
#include <ctype.h>

#include <dbrouter/dbrouter.h>

#include "fuzzer.h"

#define CANARY "Sekr1tCanary"

static const int documented[] = { DBR_ECONFIG, DBR_EPLUGIN, DBR_ENOMEM, DBR_EINVAL };

/* Is the canary inside the string value of `key` (key = "...", key: "...")? */
static const char *value_of(const char *text, const char *c, const char *key)
{
	const char *lit = c;
	while (lit > text && lit[-1] != '"' && lit[-1] != '\n')
		lit--;
	if (lit == text || lit[-1] != '"')
		return NULL;
	const char *k = lit - 1;
	while (k > text && (k[-1] == ' ' || k[-1] == '\t' || k[-1] == '=' || k[-1] == ':'))
		k--;
	size_t n = strlen(key);
	if ((size_t)(k - text) < n || strncmp(k - n, key, n) != 0)
		return NULL;
	const char *name = k - n;
	if (name > text && (name[-1] == '_' || isalnum((unsigned char)name[-1])))
		return NULL; /* a longer name that ends in `key` */
	return lit;
}

/* The canary, once, as the password of a url (after "://user:" and before
 * '@', in one string) or anywhere in the token_secret. */
static int canary_is_secret(const char *text)
{
	const char *c = strstr(text, CANARY), *lit;
	if (!c || strstr(c + 1, CANARY))
		return 0;
	if (value_of(text, c, "token_secret"))
		return 1;
	if (!(lit = value_of(text, c, "url")))
		return 0;
	const char *auth = strstr(lit, "://");
	if (!auth || auth > c)
		return 0;
	auth += 3;
	size_t head = strcspn(auth, "/?@\"");
	const char *colon = memchr(auth, ':', (size_t)(c - auth));
	const char *end = c + strlen(CANARY);
	return colon && auth + head >= c && end[strcspn(end, "/?@\"")] == '@';
}

/* libconfig 1.5 (Debian 12) leaks what its scanner allocated when a syntax
 * error stops the parse (tests/fuzz/corpus/config/libconfig_*_leak; a bare
 * config_read_string + config_destroy leaks the same): nothing we can free.
 * Leaks from any other allocation still count. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:strbuf_append\nleak:libconfig_yylex\n";
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	setenv("DBROUTER_PLUGIN_PATH", "/nonexistent/dbrouter-fuzz", 1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	if (!text)
		return 0;
	dbr *db = NULL;
	int rc = dbr_open_string(&db, text);
	if (rc == 0) {
		FUZZ_CHECK(db != NULL, "success without a handle");
		dbr_close(db);
	} else {
		int known = 0;
		for (size_t i = 0; i < sizeof(documented) / sizeof(documented[0]); i++)
			known |= rc == documented[i];
		FUZZ_CHECK(known, "undocumented error %d", rc);
		FUZZ_CHECK(db == NULL, "a failed open returned a handle");
		const char *msg = dbr_errmsg(NULL);
		FUZZ_CHECK(msg && *msg, "an error without a message");
		if (canary_is_secret(text))
			FUZZ_CHECK(!strstr(msg, CANARY), "the message shows a secret: %s", msg);
	}
	free(text);
	return 0;
}
