/* SPDX-License-Identifier: MIT */
/*
 * gtid.c — MariaDB positions: GTID lists "D-S-N,D-S-N…" (domain, server
 * id, sequence number), as @@gtid_binlog_pos, @@gtid_slave_pos and
 * @@last_gtid give them ("" is the empty list).
 *
 * Order: per domain, the highest seqno of the list (a binlog position may
 * list one domain under several server ids after a failover; the server id
 * is not compared: with gtid_strict_mode a domain's seqnos only grow,
 * whoever writes). A domain missing from one side counts as seqno 0. a is
 * at or past b when it is in every domain; two lists each ahead in some
 * domain are not ordered (DBR_ERANGE), nor is text that is not a list.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "mariadb.h"

/* A list holds at most DBR_POSITION_MAX / 6 entries ("D-S-N,"). */
#define MAX_DOMAINS (DBR_POSITION_MAX / 6 + 1)

typedef struct gtid_set {
	size_t n;
	uint32_t domain[MAX_DOMAINS];
	uint64_t seqno[MAX_DOMAINS]; /* the highest seen in the domain */
} gtid_set;

/* An unsigned decimal at *p (no sign, at least one digit), at most max. */
static int parse_num(uint64_t *out, const char **p, uint64_t max)
{
	char *end;
	if (!isdigit((unsigned char)**p))
		return -1;
	errno = 0;
	unsigned long long v = strtoull(*p, &end, 10);
	if (errno || v > max)
		return -1;
	*out = v;
	*p = end;
	return 0;
}

static int add(gtid_set *s, uint32_t domain, uint64_t seqno)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->domain[i] == domain) {
			if (seqno > s->seqno[i])
				s->seqno[i] = seqno;
			return 0;
		}
	if (s->n == MAX_DOMAINS)
		return -1;
	s->domain[s->n] = domain;
	s->seqno[s->n++] = seqno;
	return 0;
}

static void skip_space(const char **p)
{
	while (isspace((unsigned char)**p))
		(*p)++;
}

/* Entries separated by commas (spaces and newlines around them allowed:
 * SHOW SLAVE STATUS wraps long lists). */
static int parse(gtid_set *s, const char *text)
{
	const char *p = text;
	s->n = 0;
	if (p == NULL)
		return -1;
	skip_space(&p);
	if (*p == '\0')
		return 0;
	for (;;) {
		uint64_t d, srv, seq;
		if (parse_num(&d, &p, UINT32_MAX) || *p++ != '-' ||
		    parse_num(&srv, &p, UINT32_MAX) || *p++ != '-' ||
		    parse_num(&seq, &p, UINT64_MAX) || add(s, (uint32_t)d, seq))
			return -1;
		skip_space(&p);
		if (*p == '\0')
			return 0;
		if (*p++ != ',')
			return -1;
		skip_space(&p);
	}
}

int my_gtid_valid(const char *text)
{
	gtid_set s;
	return parse(&s, text) == 0;
}

static uint64_t seqno_of(const gtid_set *s, uint32_t domain)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->domain[i] == domain)
			return s->seqno[i];
	return 0;
}

/* Sets *ahead / *behind when some domain of `x` is past / short of `y`'s. */
static void scan(int *ahead, int *behind, const gtid_set *x, const gtid_set *y)
{
	for (size_t i = 0; i < x->n; i++) {
		uint64_t other = seqno_of(y, x->domain[i]);
		*ahead |= x->seqno[i] > other;
		*behind |= x->seqno[i] < other;
	}
}

int my_position_cmp(int *out, const char *a, const char *b)
{
	gtid_set sa, sb;
	int ahead = 0, behind = 0;
	if (parse(&sa, a) || parse(&sb, b))
		return DBR_ERANGE;
	scan(&ahead, &behind, &sa, &sb);
	scan(&behind, &ahead, &sb, &sa); /* b's domains, seen from b */
	if (ahead && behind)
		return DBR_ERANGE;
	*out = ahead - behind;
	return 0;
}
