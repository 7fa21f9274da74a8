/* SPDX-License-Identifier: MIT */
/* url_fuzzer.c — the connection URL parser and its masking (core/url.c,
 * through dbr__url_parse and dbr_url_mask) on arbitrary text.
 *
 * Properties:
 * - a URL that parses masks to the same text through dbr_url_mask as
 *   through the parser (one masking function);
 * - a password (or password query value) that occurs once in a text
 *   without %-escapes never occurs in the masked text;
 * - parser-independent: the canary below, placed after the ':' of the user
 *   info (between "://" and '@') or as a `password=` query value, never
 *   shows in the masked text nor in the message of a URL that does not
 *   parse, nor in what dbr_url_mask returns. */
#include <strings.h>

#include <dbrouter/dbrouter.h>

#include "fuzzer.h"
#include "internal.h"

#define CANARY "Sekr1tCanary"

static char *mask; /* what a password becomes, learned from the parser */

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0, len = strlen(needle);
	if (len == 0)
		return 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/* Is the canary where the text says a password is, whatever the parser
 * makes of the rest? (Once; not in a sqlite URL, which has no user info.) */
static int canary_is_secret(const char *text)
{
	const char *c = strstr(text, CANARY);
	if (!c || count(text, CANARY) != 1 || strncasecmp(text, "sqlite:", 7) == 0)
		return 0;
	const char *auth = strstr(text, "://");
	if (auth && auth < c) {
		auth += 3;
		const char *at = strchr(auth, '@'), *colon = strchr(auth, ':');
		size_t before_at = at ? strcspn(auth, "/?") : 0;
		if (at && auth + before_at > at && colon && colon < c && c + strlen(CANARY) <= at)
			return 1;
	}
	/* ?password=CANARY or &password=CANARY, in the only query, the value
	 * ending there, and no '@' after the '?' */
	const char *q = strchr(text, '?');
	size_t klen = strlen("password=");
	if (!q || strchr(q + 1, '?') || strchr(q, '@') || c < q + 1 + klen)
		return 0;
	const char *key = c - klen;
	return strncasecmp(key, "password=", klen) == 0 && (key - 1 == q || key[-1] == '&') &&
	       (c[strlen(CANARY)] == '\0' || c[strlen(CANARY)] == '&');
}

/* The shown text with every mask replaced by one byte the secret lacks:
 * a secret such as "*" or "=*" must not be found inside or across the mask
 * that replaced it. NULL when no such byte exists or out of memory. */
static char *unmasked_view(const char *shown, const char *secret)
{
	int fill = 1;
	while (fill < 256 && strchr(secret, fill))
		fill++;
	char *v = fill < 256 ? strdup(shown) : NULL;
	size_t mlen = strlen(mask);
	for (char *p = v; p && mlen && (p = strstr(p, mask)) != NULL; p++) {
		*p = (char)fill;
		memmove(p + 1, p + mlen, strlen(p + mlen) + 1);
	}
	return v;
}

/* A secret that occurs once in a text without %-escapes is the secret
 * itself: it must not show. */
static void check_hidden(const char *raw, const char *secret, const char *shown)
{
	if (!secret || !*secret || strchr(raw, '%') || count(raw, secret) != 1)
		return;
	char *v = unmasked_view(shown, secret);
	if (v)
		FUZZ_CHECK(!strstr(v, secret), "the secret '%s' shows in '%s'", secret, shown);
	free(v);
}

/* A URL that parsed: the one masking function agrees with the parser, and
 * no secret it parsed shows in the masked text. (Whether the masked text
 * parses back to the same parts is not asserted: the mask over-hides on
 * purpose where text is ambiguous, e.g. "password=" inside a host or an
 * embedded "//u:pw@".) */
static void check_parsed(const dbr__url *u, const char *text)
{
	FUZZ_CHECK(u->raw && strcmp(u->raw, text) == 0, "raw differs from the input");
	FUZZ_CHECK(u->masked != NULL, "no masked text");
	char *m = dbr_url_mask(text);
	FUZZ_CHECK(m && strcmp(m, u->masked) == 0, "dbr_url_mask and the parser disagree");
	free(m);
	(void)dbr__url_driver(u->scheme);
	check_hidden(text, u->password, u->masked);
	for (size_t i = 0; i < u->nparams; i++)
		if (strcasecmp(u->keys[i], "password") == 0)
			check_hidden(text, u->values[i], u->masked);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	dbr__url u, m;
	if (dbr__url_parse(&u, "postgresql://u:pw@h/db") != 0 ||
	    dbr__url_parse(&m, u.masked) != 0 || !m.password)
		abort();
	mask = strdup(m.password);
	dbr__url_clear(&u);
	dbr__url_clear(&m);
	if (!mask)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_cstr(data, size);
	if (!text)
		return 0;
	dbr__url u;
	int rc = dbr__url_parse(&u, text);
	const char *shown;
	if (rc == 0) {
		check_parsed(&u, text);
		shown = u.masked;
	} else {
		FUZZ_CHECK(rc == DBR_EINVAL || rc == DBR_ENOMEM, "rc %d", rc);
		shown = dbr_error_last()->message;
		FUZZ_CHECK(u.raw == NULL && u.masked == NULL, "a failed parse left parts behind");
	}
	if (canary_is_secret(text)) {
		char *m = dbr_url_mask(text);
		FUZZ_CHECK(!strstr(shown, CANARY), "the password shows in '%s'", shown);
		FUZZ_CHECK(!m || !strstr(m, CANARY), "dbr_url_mask shows the password: '%s'", m);
		free(m);
	}
	dbr__url_clear(&u);
	free(text);
	return 0;
}
