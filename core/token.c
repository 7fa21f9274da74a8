/* SPDX-License-Identifier: MIT */
/* token.c — pin tokens: a session's recent writes as a short printable
 * string a caller carries (cookie, job payload) to another process.
 *
 *   v2.<base64url(payload)>[.<hex of the first 16 bytes of HMAC-SHA-256>]
 *   payload = <issued ms> { ";" <primary alias> "," <write ms> ["," <position>] }
 *
 * Only aliases, times and replication positions: never a URL or password.
 * Version 2 percent-encodes a position (%XX for any byte outside
 * [A-Za-z0-9_./:-]: a GTID list holds commas) and bounds it to
 * POS_TOKEN_MAX encoded bytes; a longer one is left out, so the pin falls
 * back to a time window on the primary. Version 1 (positions unencoded,
 * restricted to the safe characters) is still read. A token that is
 * malformed, foreign (no alias of this deployment), expired (older than
 * DBR__TOKEN_TTL) or, with token_secret, unsigned or tampered is ignored
 * and logged. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dbr_private.h"

#define DBR__TOKEN_TTL_US (300LL * 1000000)  /* a token older than 5 min is stale */
#define DBR__TOKEN_SKEW_US (60LL * 1000000)  /* tolerated clock skew between hosts */
#define SIG_BYTES 16
#define POS_TOKEN_MAX 192 /* longest encoded position a token carries */
#define SAFE "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static void b64_encode(dbr__buf *out, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0) |
		             (i + 2 < n ? p[i + 2] : 0);
		char q[4] = { b64[v >> 18], b64[(v >> 12) & 63], b64[(v >> 6) & 63], b64[v & 63] };
		dbr__buf_add(out, q, n - i >= 3 ? 4 : n - i + 1);
	}
}

/* Decodes into a NUL-terminated string; -1 on a bad character or length. */
static int b64_decode(dbr__buf *out, const char *s, size_t n)
{
	uint32_t v = 0;
	int bits = 0;
	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *c = memchr(b64, s[i], 64);
		if (!c || !s[i])
			return -1;
		v = v << 6 | (uint32_t)(c - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			char byte = (char)((v >> bits) & 0xff);
			dbr__buf_add(out, &byte, 1);
		}
	}
	if (!out->s)
		dbr__buf_add(out, "", 0);
	return out->oom ? -1 : 0;
}

static void sign(char hex[2 * SIG_BYTES + 1], const char *secret, const char *data, size_t n)
{
	unsigned char mac[32];
	dbr__hmac_sha256(mac, secret, strlen(secret), data, n);
	for (int i = 0; i < SIG_BYTES; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
}

/* Characters allowed in an alias or a position inside a token. */
static int token_safe(const char *s)
{
	for (; s && *s; s++)
		if (!strchr(SAFE, *s))
			return 0;
	return s != NULL;
}

/* Appends ",<position>" percent-encoded, unless it would exceed
 * POS_TOKEN_MAX (the pin then travels without it). */
static void add_position(dbr__buf *payload, const char *pos)
{
	char enc[POS_TOKEN_MAX + 1];
	size_t n = 0;
	for (; *pos; pos++) {
		int plain = strchr(SAFE, *pos) != NULL;
		if (n + (plain ? 1 : 3) > POS_TOKEN_MAX)
			return;
		if (plain)
			enc[n++] = *pos;
		else
			n += (size_t)snprintf(enc + n, 4, "%%%02X", (unsigned char)*pos);
	}
	enc[n] = '\0';
	if (n)
		dbr__buf_printf(payload, ",%s", enc);
}

/* Builds the token from the newest `keep` pins, after a write to `marked`
 * (a primary, or NULL) at `now`, which replaces the session's own pin there. */
static void build(dbr__buf *tok, const dbr_session *s, size_t keep, int64_t now,
                  const char *marked)
{
	dbr__buf payload = { 0 };
	dbr__buf_printf(&payload, "%" PRId64, now / 1000);
	if (marked && token_safe(marked))
		dbr__buf_printf(&payload, ";%s,%" PRId64, marked, now / 1000);
	for (size_t i = s->npins; i-- > 0 && keep > 0;) {
		const dbr__pin *p = &s->pins[i];
		if (now - p->when_us > DBR__TOKEN_TTL_US || !token_safe(p->primary) ||
		    (marked && strcmp(p->primary, marked) == 0))
			continue;
		keep--;
		dbr__buf_printf(&payload, ";%s,%" PRId64, p->primary, p->when_us / 1000);
		if (p->position)
			add_position(&payload, p->position);
	}
	dbr__buf_add(tok, "v2.", 3);
	if (payload.s)
		b64_encode(tok, (const unsigned char *)payload.s, payload.len);
	dbr__buf_free(&payload);
	if (s->db->token_secret && tok->s) {
		char hex[2 * SIG_BYTES + 1];
		sign(hex, s->db->token_secret, tok->s, tok->len);
		dbr__buf_printf(tok, ".%s", hex);
	}
}

/* The token of `s` (with a write to `marked` if not NULL) into buf. */
static int token_write(char *buf, size_t size, dbr_session *s, const char *marked)
{
	int64_t now = dbr_clock_now();
	dbr__buf tok = { 0 };
	for (size_t keep = s->npins;; keep--) {
		tok.len = 0;
		build(&tok, s, keep, now, marked);
		if (tok.oom || tok.len < DBR_TOKEN_MAX || keep == 0)
			break;
	}
	int rc = 0;
	if (tok.oom || !tok.s)
		rc = dbr__err(DBR_ENOMEM, NULL, "out of memory");
	else if (tok.len + 1 > size)
		rc = dbr__err(DBR_ERANGE, NULL, "token needs %zu bytes, buffer has %zu", tok.len + 1, size);
	else
		memcpy(buf, tok.s, tok.len + 1);
	dbr__buf_free(&tok);
	return rc ? dbr__session_fail(s, rc) : 0;
}

/* NULL or detached: the error. */
static int token_check(char *buf, dbr_session *s, const char *fn)
{
	if (!buf || !s)
		return dbr__err(DBR_EINVAL, NULL, "%s: NULL argument", fn);
	if (!s->db)
		return dbr__err(DBR_ESTATE, NULL, "%s: the session's dbr was closed", fn);
	return 0;
}

int dbr_session_token(char *buf, size_t size, dbr_session *s)
{
	int rc = token_check(buf, s, "dbr_session_token");
	return rc ? rc : token_write(buf, size, s, NULL);
}

int dbr_session_token_mark_write(char *buf, size_t size, dbr_session *s, const char *alias)
{
	int rc = token_check(buf, s, "dbr_session_token_mark_write");
	if (rc)
		return rc;
	if (!alias)
		return dbr__session_fail(s, dbr__err(DBR_EINVAL, NULL,
		                                     "dbr_session_token_mark_write: NULL alias"));
	dbr__database *d = dbr__db_get(s->db, alias);
	if (!d)
		return dbr__session_fail(s, dbr__err(DBR_ENOTFOUND, NULL, "no database \"%s\"", alias));
	/* The pin goes to the cluster: a replica's primary. */
	char *primary = dbr__strdup(d->primary ? d->primary->conf.alias : d->conf.alias);
	dbr__db_put(s->db, d);
	rc = primary ? token_write(buf, size, s, primary)
	             : dbr__session_fail(s, dbr__err(DBR_ENOMEM, NULL, "out of memory"));
	free(primary);
	return rc;
}

/* ------------------------------------------------------------ restoring */

/* Checks the frame and signature; *payload gets the decoded text. Returns
 * NULL or the reason the token is ignored. */
static const char *unframe(dbr__buf *payload, int *version, const char *token,
                           const char *secret)
{
	size_t len = strlen(token);
	if (len >= DBR_TOKEN_MAX)
		return "too long";
	if (strncmp(token, "v1.", 3) != 0 && strncmp(token, "v2.", 3) != 0)
		return "not a version 1 or 2 token";
	*version = token[1] - '0';
	const char *body = token + 3;
	const char *dot = strchr(body, '.');
	size_t blen = dot ? (size_t)(dot - body) : strlen(body);
	if (secret) {
		char hex[2 * SIG_BYTES + 1];
		if (!dot)
			return "unsigned, and token_secret is set";
		sign(hex, secret, token, (size_t)(dot - token));
		unsigned diff = strlen(dot + 1) != 2 * SIG_BYTES;
		for (size_t i = 0; !diff && i < 2 * SIG_BYTES; i++)
			diff |= (unsigned)(hex[i] ^ dot[1 + i]);
		if (diff)
			return "bad signature";
	}
	if (b64_decode(payload, body, blen))
		return "malformed";
	return NULL;
}

/* Parses "<ms>" fully into *out (microseconds). */
static int parse_ms(int64_t *out, const char *s)
{
	char *end;
	if (!*s || *s == '-')
		return -1;
	long long v = strtoll(s, &end, 10);
	if (*end || v > INT64_MAX / 1000)
		return -1;
	*out = (int64_t)v * 1000;
	return 0;
}

static int hexval(char c)
{
	const char *x = strchr("0123456789ABCDEF", c);
	return c && x ? (int)(x - "0123456789ABCDEF") : -1;
}

/* Decodes a version 2 position in place: %XX of a printable byte, the
 * safe characters as they are. -1 on anything else. */
static int pos_decode(char *pos)
{
	char *w = pos;
	for (const char *r = pos; *r; r++) {
		if (*r != '%') {
			if (!strchr(SAFE, *r))
				return -1;
			*w++ = *r;
			continue;
		}
		int hi = hexval(r[1]), lo = hi < 0 ? -1 : hexval(r[2]);
		if (lo < 0 || hi * 16 + lo <= ' ' || hi * 16 + lo > '~')
			return -1;
		*w++ = (char)(hi * 16 + lo);
		r += 2;
	}
	*w = '\0';
	return 0;
}

/* Restores one "alias,ms[,position]" entry; 1 if it pinned, 0 if foreign
 * or stale, -1 if malformed. */
static int restore_entry(dbr_session *s, char *entry, int version, int64_t now)
{
	char *alias = entry, *ms = strchr(entry, ','), *pos = NULL;
	if (!ms)
		return -1;
	*ms++ = '\0';
	if ((pos = strchr(ms, ',')))
		*pos++ = '\0';
	int64_t when;
	if (!token_safe(alias) || parse_ms(&when, ms) ||
	    (pos && (version == 1 ? !token_safe(pos) : pos_decode(pos) != 0)))
		return -1;
	dbr__database *d = dbr__db_get(s->db, alias);
	int primary = d && !d->primary;
	dbr__db_put(s->db, d);
	if (!primary || now - when > DBR__TOKEN_TTL_US || when - now > DBR__TOKEN_SKEW_US)
		return 0;
	dbr__session_pin(s, alias, when, pos);
	return 1;
}

static const char *restore(dbr_session *s, char *payload, int version, int64_t now)
{
	char *save = NULL;
	char *issued = strtok_r(payload, ";", &save);
	int64_t iat;
	if (!issued || parse_ms(&iat, issued))
		return "malformed";
	if (now - iat > DBR__TOKEN_TTL_US || iat - now > DBR__TOKEN_SKEW_US)
		return "expired";
	int entries = 0, pinned = 0;
	for (char *e; (e = strtok_r(NULL, ";", &save));) {
		int r = restore_entry(s, e, version, now);
		if (r < 0)
			return "malformed";
		entries++;
		pinned += r;
	}
	return entries && !pinned ? "foreign or stale: no database of this deployment" : NULL;
}

int dbr_session_open(dbr_session **out, dbr *db, const char *token)
{
	int rc = dbr_session_new(out, db);
	if (rc || !token || !*token)
		return rc;
	dbr__buf payload = { 0 };
	int version = 0;
	const char *why = unframe(&payload, &version, token, db->token_secret);
	if (!why)
		why = restore(*out, payload.s, version, dbr_clock_now());
	dbr__buf_free(&payload);
	if (why) {
		for (size_t i = 0; i < (*out)->npins; i++) {
			free((*out)->pins[i].primary);
			free((*out)->pins[i].position);
		}
		(*out)->npins = 0;
		dbr__log(DBR_LOG_WARN, "pin token ignored (%s): the session starts unpinned", why);
	}
	return 0;
}
