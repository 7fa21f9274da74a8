/* SPDX-License-Identifier: MIT */
/* standalone_driver.c — replays inputs through a harness without libFuzzer,
 * so that the harnesses build with any compiler and their seed corpora run
 * in the normal test suite (libgit2's fuzzers/standalone_driver.c is the
 * model).
 *
 *   <target>_fuzzer [FILE|DIR]...
 *
 * With no argument it replays $DBR_SRCDIR/tests/fuzz/corpus/<target>. It
 * prints TAP: the empty input first, then one test per file, in name order.
 * A property that fails aborts the process (the harness says which and the
 * "# input" line before it names the file), which the TAP driver reports. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzzer.h"

#ifndef FUZZ_TARGET
#error "build with -DFUZZ_TARGET='\"name\"'"
#endif

typedef struct list {
	char **v;
	size_t n;
} list;

static int add(list *l, const char *path)
{
	char **v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v || !(v[l->n] = strdup(path)))
		return -1;
	l->v = v;
	l->n++;
	return 0;
}

static int skip_dotfiles(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/* Adds `path`, or the files of the directory `path` in name order. */
static int collect(list *l, const char *path)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return add(l, path);
	struct dirent **ents;
	int n = scandir(path, &ents, skip_dotfiles, alphasort), rc = n < 0 ? -1 : 0;
	for (int i = 0; i < n; i++) {
		char full[4096];
		snprintf(full, sizeof(full), "%s/%s", path, ents[i]->d_name);
		if (rc == 0 && stat(full, &st) == 0 && S_ISREG(st.st_mode))
			rc = add(l, full);
		free(ents[i]);
	}
	free(ents);
	if (n < 0)
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
	return rc;
}

static int read_file(unsigned char **out, size_t *len, const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t n = 0, cap = 0;
	if (!f)
		return -1;
	for (;;) {
		if (n == cap) {
			unsigned char *b = realloc(buf, cap = cap ? 2 * cap : 4096);
			if (!b)
				break;
			buf = b;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	int rc = ferror(f) || n == cap ? -1 : 0;
	fclose(f);
	if (rc)
		free(buf);
	*out = rc ? NULL : buf;
	*len = n;
	return rc;
}

int main(int argc, char **argv)
{
	list files = { 0 };
	int rc = 0;
	LLVMFuzzerInitialize(&argc, &argv);
	if (argc > 1) {
		for (int i = 1; i < argc && rc == 0; i++)
			rc = collect(&files, argv[i]);
	} else {
		const char *src = getenv("DBR_SRCDIR");
		char dir[4096];
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/%s", src ? src : ".", FUZZ_TARGET);
		rc = collect(&files, dir);
	}
	if (rc == 0 && files.n == 0) {
		fprintf(stderr, "no input to replay\n");
		rc = -1;
	}
	if (rc) {
		printf("1..1\nnot ok 1 - " FUZZ_TARGET ": the corpus could not be read\n");
		return 1;
	}
	printf("1..%zu\n", files.n + 1);
	printf("# input: (empty)\n");
	fflush(stdout);
	LLVMFuzzerTestOneInput((const uint8_t *)"", 0);
	printf("ok 1 - " FUZZ_TARGET ": empty input\n");
	for (size_t i = 0; i < files.n; i++) {
		unsigned char *data;
		size_t len;
		printf("# input: %s\n", files.v[i]);
		fflush(stdout);
		if (read_file(&data, &len, files.v[i]) != 0) {
			printf("not ok %zu - " FUZZ_TARGET ": %s: cannot read\n", i + 2, files.v[i]);
			rc = 1;
			continue;
		}
		LLVMFuzzerTestOneInput(data, len);
		free(data);
		const char *base = strrchr(files.v[i], '/');
		printf("ok %zu - " FUZZ_TARGET ": %s\n", i + 2, base ? base + 1 : files.v[i]);
		fflush(stdout);
	}
	for (size_t i = 0; i < files.n; i++)
		free(files.v[i]);
	free(files.v);
	return rc;
}
