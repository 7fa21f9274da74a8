/* SPDX-License-Identifier: MIT */
/* fuzzer.h — what every harness in tests/fuzz/ shares.
 *
 * Each <target>_fuzzer.c defines LLVMFuzzerTestOneInput (and may define
 * LLVMFuzzerInitialize). Built with clang -fsanitize=fuzzer it is a libFuzzer
 * binary (tests/fuzz/run.sh); linked with standalone_driver.c it replays a
 * corpus with any compiler (the normal test suite). A property that does not
 * hold aborts, so both report it as a crash with the input that broke it. */
#ifndef DBR_FUZZER_H
#define DBR_FUZZER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts with a message when a property does not hold. */
#define FUZZ_CHECK(cond, ...)                                                   \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "%s:%d: property failed: %s: ", __FILE__, \
			        __LINE__, #cond);                               \
			fprintf(stderr, __VA_ARGS__);                           \
			fputc('\n', stderr);                                    \
			abort();                                                \
		}                                                               \
	} while (0)

/* The input as a C string (it ends at its first NUL, as C callers see it).
 * Owned by the caller (free). NULL only when out of memory. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

/* The library logs ignored tokens and the like to stderr: keep only errors
 * so that a fuzzing run's output stays readable. */
static inline void fuzz_quiet(void)
{
	setenv("DBROUTER_LOG", "error", 0);
}

#endif
