/*
 * placeholders.h — `?` → `$n` for PostgreSQL (see placeholders.c).
 */
#ifndef DBR_PG_PLACEHOLDERS_H
#define DBR_PG_PLACEHOLDERS_H

#include <stddef.h>

typedef struct pgph_info {
	size_t nparams; /* number of `?`, or the highest `$n` */
	int dollar;     /* the statement already uses $n (then it is unchanged) */
} pgph_info;

/* Writes the translated statement into out (at most size bytes, always
 * NUL-terminated when size > 0) and returns its full length without the NUL,
 * like snprintf: call once with size 0 to learn the length. A statement that
 * uses $n is copied unchanged (its `?` are operators). `std_strings` is the connection's
 * standard_conforming_strings (1 = backslashes are literal in '...'). */
long pgph_translate(char *out, size_t size, const char *sql, int std_strings,
                    pgph_info *info);

#endif
