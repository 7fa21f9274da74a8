/* SPDX-License-Identifier: MIT */
/* token_fuzzer.c — restoring a session from an arbitrary pin token
 * (dbr_session_open) on two deployments: one without token_secret (tokens
 * unsigned) and one with it (tokens signed, anything else ignored).
 *
 * The clock is fixed (FUZZ_NOW_MS) so that the seed tokens stay fresh. The
 * deployments use the SQLite driver (found through DBROUTER_PLUGIN_PATH, as
 * in the test suite) on in-memory databases; no connection is made.
 *
 * Properties, on each deployment: a session always opens; its token is
 * printable, starts with "v2." and fits DBR_TOKEN_MAX; restoring that token
 * gives a token with the same pins (their order may change). With token_secret: an unsigned token restores
 * nothing; a signed token with one character changed restores nothing; a
 * token the signed deployment accepts means the same to the unsigned one. */
#include <dbrouter/dbrouter.h>

#include "fuzzer.h"

#define FUZZ_NOW_MS 1700000000000LL

static const char *const conf[2] = {
	"databases = {\n"
	"  default = { url = \"sqlite::memory:\"; };\n"
	"  logs = { url = \"sqlite::memory:\"; };\n"
	"  replica = { url = \"sqlite::memory:\"; replica_of = \"default\"; };\n"
	"};\n",
	"token_secret = \"fuzz-secret\";\n"
	"databases = {\n"
	"  default = { url = \"sqlite::memory:\"; };\n"
	"  logs = { url = \"sqlite::memory:\"; };\n"
	"  replica = { url = \"sqlite::memory:\"; replica_of = \"default\"; };\n"
	"};\n",
};
enum { UNSIGNED, SIGNED };

static dbr *dep[2];
static char empty[2][DBR_TOKEN_MAX]; /* the token of a session with no pin */

static int64_t fixed_clock(void)
{
	return FUZZ_NOW_MS * 1000;
}

/* The token of a session restored from `token` into `d`. */
static void restored(char out[DBR_TOKEN_MAX], int d, const char *token)
{
	dbr_session *s = NULL;
	FUZZ_CHECK(dbr_session_open(&s, dep[d], token) == 0 && s, "no session: %s", dbr_errmsg(NULL));
	FUZZ_CHECK(dbr_session_token(out, DBR_TOKEN_MAX, s) == 0, "no token: %s", dbr_session_errmsg(s));
	dbr_session_free(s);
	FUZZ_CHECK(strncmp(out, "v2.", 3) == 0 && strlen(out) < DBR_TOKEN_MAX, "token '%s'", out);
	for (const char *c = out; *c; c++)
		FUZZ_CHECK(*c > ' ' && *c < 127, "unprintable token '%s'", out);
}

static int by_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void close_all(void)
{
	dbr_close(dep[UNSIGNED]);
	dbr_close(dep[SIGNED]);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	dbr_clock_set(fixed_clock);
	for (int d = 0; d < 2; d++)
		if (dbr_open_string(&dep[d], conf[d]) != 0) {
			fprintf(stderr, "cannot open the deployment (DBROUTER_PLUGIN_PATH?): %s\n",
			        dbr_errmsg(NULL));
			exit(1);
		}
	atexit(close_all);
	restored(empty[UNSIGNED], UNSIGNED, NULL);
	restored(empty[SIGNED], SIGNED, NULL);
	return 0;
}

/* A token in a form that compares by meaning: its payload decoded, the
 * entries ("alias,ms[,position]") sorted, since restoring may reorder them. */
static void canonical(char out[DBR_TOKEN_MAX], const char *token)
{
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char payload[DBR_TOKEN_MAX], *entry[DBR_TOKEN_MAX / 2], *save = NULL;
	size_t n = 0, k = 0;
	uint32_t v = 0;
	int bits = 0;
	for (const char *c = token + 3; *c && *c != '.'; c++) {
		const char *d = strchr(b64, *c);
		FUZZ_CHECK(d && *c, "token '%s' is not base64url", token);
		v = v << 6 | (uint32_t)(d - b64);
		if ((bits += 6) >= 8)
			payload[n++] = (char)((v >> (bits -= 8)) & 0xff);
	}
	payload[n] = '\0';
	for (char *e = strtok_r(payload, ";", &save); e; e = strtok_r(NULL, ";", &save))
		entry[k++] = e;
	qsort(entry + (k > 0), k - (k > 0), sizeof(*entry), by_text);
	out[0] = '\0';
	for (size_t i = 0; i < k; i++)
		snprintf(out + strlen(out), DBR_TOKEN_MAX - strlen(out), "%s;", entry[i]);
}

/* Do two tokens restore the same pins? */
static int same_pins(const char *a, const char *b)
{
	char ca[DBR_TOKEN_MAX], cb[DBR_TOKEN_MAX];
	canonical(ca, a);
	canonical(cb, b);
	return strcmp(ca, cb) == 0;
}

/* `token` with the character at `at` (before the signature) changed. */
static void tamper(char *token, size_t at)
{
	char *sig = strrchr(token, '.');
	size_t n = (size_t)(sig - token);
	at %= n;
	token[at] = token[at] == 'A' ? 'B' : 'A';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *token = fuzz_cstr(data, size);
	char t[2][DBR_TOKEN_MAX], again[DBR_TOKEN_MAX];
	if (!token)
		return 0;
	for (int d = 0; d < 2; d++) {
		restored(t[d], d, token);
		restored(again, d, t[d]);
		FUZZ_CHECK(same_pins(again, t[d]), "'%s' restored as '%s'", t[d], again);
	}
	if (!strchr(token + (size >= 3 ? 3 : size), '.'))
		FUZZ_CHECK(strcmp(t[SIGNED], empty[SIGNED]) == 0, "an unsigned token pinned: '%s'", t[SIGNED]);
	restored(again, SIGNED, t[UNSIGNED]);
	FUZZ_CHECK(strcmp(again, empty[SIGNED]) == 0, "an unsigned token pinned: '%s'", t[UNSIGNED]);
	restored(again, UNSIGNED, t[SIGNED]);
	FUZZ_CHECK(same_pins(again, strcmp(t[SIGNED], empty[SIGNED]) ? t[UNSIGNED] : empty[UNSIGNED]),
	           "signed and unsigned deployments read '%s' differently", t[SIGNED]);
	if (strcmp(t[SIGNED], empty[SIGNED]) != 0) {
		size_t h = 0;
		for (size_t i = 0; i < size; i++)
			h = h * 31 + data[i];
		tamper(t[SIGNED], h);
		restored(again, SIGNED, t[SIGNED]);
		FUZZ_CHECK(strcmp(again, empty[SIGNED]) == 0, "a tampered token pinned: '%s'", t[SIGNED]);
	}
	free(token);
	return 0;
}
