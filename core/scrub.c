/* SPDX-License-Identifier: MIT */
/* scrub.c — keeps a database's password out of what its driver says.
 *
 * Drivers are asked never to show a password, but the client libraries
 * they wrap do (libpq quotes the whole URI in some errors). So the core
 * does it once: while it calls a driver for a database (a "scope", per
 * thread), every error and log line the driver records is scrubbed of each
 * form of that database's secrets: the password and password-like options
 * as decoded, as written in the URL, and percent-encoded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MASK "****"
#define MAX_SECRETS 48
#define MAX_SPANS 16

static _Thread_local const dbr_url_view *scope;

const dbr_url_view *dbr__secret_scope(const dbr_url_view *v)
{
	const dbr_url_view *old = scope;
	scope = v;
	return old;
}

const dbr_url_view *dbr__secret_scope_get(void)
{
	return scope;
}

typedef struct secrets {
	char *v[MAX_SECRETS];
	size_t n;
	int lost; /* one could not be kept (no memory, too many): hide all */
} secrets;

static void add_copy(secrets *s, const char *text, size_t len)
{
	if (len == 0)
		return;
	for (size_t i = 0; i < s->n; i++)
		if (strlen(s->v[i]) == len && memcmp(s->v[i], text, len) == 0)
			return;
	char *c = s->n < MAX_SECRETS ? dbr__strndup(text, len) : NULL;
	if (c)
		s->v[s->n++] = c;
	else
		s->lost = 1;
}

/* `text` as itself and percent-encoded (upper- and lower-case hex), as a
 * library may echo it re-encoded. */
static void add_forms(secrets *s, const char *text)
{
	static const char unreserved[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                                 "0123456789-._~";
	static const char *const hexes[] = { "0123456789ABCDEF", "0123456789abcdef" };
	if (!text || !*text)
		return;
	add_copy(s, text, strlen(text));
	for (size_t h = 0; h < 2; h++) {
		const char *hex = hexes[h];
		dbr__buf b = { 0 };
		for (const unsigned char *c = (const unsigned char *)text; *c; c++)
			if (strchr(unreserved, *c))
				dbr__buf_add(&b, (const char *)c, 1);
			else
				dbr__buf_printf(&b, "%%%c%c", hex[*c >> 4], hex[*c & 15]);
		if (!b.oom && b.s)
			add_copy(s, b.s, b.len);
		else
			s->lost = 1;
		dbr__buf_free(&b);
	}
}

static void collect(secrets *s, const dbr_url_view *v)
{
	size_t sp[MAX_SPANS][2];
	add_forms(s, v->password);
	for (size_t i = 0; i < v->noptions; i++)
		if (v->keys && v->values && dbr__url_key_secret(v->keys[i]))
			add_forms(s, v->values[i]);
	size_t n = v->raw ? dbr__url_secret_spans(sp, MAX_SPANS, v->raw) : 0;
	for (size_t i = 0; i < n; i++)
		add_copy(s, v->raw + sp[i][0], sp[i][1] - sp[i][0]);
}

/* The longest secret at `at`; a message cut short (`cut`) may end with the
 * start of one, which counts too. Returns its length in the message. */
static size_t match_at(const secrets *s, const char *at, size_t left, int cut)
{
	size_t best = 0;
	for (size_t i = 0; i < s->n; i++) {
		size_t len = strlen(s->v[i]);
		if (len <= left ? memcmp(at, s->v[i], len) == 0 && len > best
		                : cut && memcmp(at, s->v[i], left) == 0)
			best = len <= left ? len : left;
	}
	return best;
}

void dbr__scrub_secrets(char *msg, size_t cap, const dbr_url_view *v)
{
	secrets s = { .n = 0 };
	if (!msg || cap == 0 || !v)
		return;
	collect(&s, v);
	if (s.lost)
		snprintf(msg, cap, "(message hidden: it might show a password)");
	size_t len = strlen(msg);
	int cut = len + 1 >= cap; /* filled: the end may be a truncated secret */
	dbr__buf out = { 0 };
	for (size_t i = 0; i < len;) {
		size_t m = match_at(&s, msg + i, len - i, cut);
		if (m)
			dbr__buf_add(&out, MASK, strlen(MASK));
		else
			dbr__buf_add(&out, msg + i, 1);
		i += m ? m : 1;
	}
	if (!out.oom && out.s) {
		size_t n = out.len < cap - 1 ? out.len : cap - 1;
		memcpy(msg, out.s, n);
		msg[n] = '\0';
	} else if (s.n) {
		snprintf(msg, cap, "(message hidden: it might show a password)");
	}
	dbr__buf_free(&out);
	for (size_t i = 0; i < s.n; i++)
		free(s.v[i]);
}
