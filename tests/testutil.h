/* SPDX-License-Identifier: MIT */
/*
 * testutil.h — the small helpers many test suites share (header only, no
 * link change): the monotonic clock, and the temp directory a suite keeps
 * its SQLite files and configuration in.
 */
#ifndef DBR_TESTUTIL_H
#define DBR_TESTUTIL_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The URLs of a primary and its two replicas: the harness's servers named
 * by the environment variables env[0..2], or with env NULL the SQLite file
 * dir/file (the replicas read-only). -1, said on stderr, when a variable
 * is unset. */
static inline int cluster_urls(char urls[3][1024], const char *const *env, const char *dir,
                               const char *file)
{
	for (int i = 0; i < 3; i++) {
		const char *v = env ? getenv(env[i]) : NULL;
		if (env && !v) {
			fprintf(stderr, "%s is not set: run through tests/server-suite.sh\n", env[i]);
			return -1;
		}
		if (v)
			snprintf(urls[i], 1024, "%s", v);
		else
			snprintf(urls[i], 1024, "sqlite://%s/%s%s", dir, file, i ? "?mode=ro" : "");
	}
	return 0;
}

/* Seconds on the monotonic clock. */
static inline double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A new directory "$TMPDIR/dbr-<name>-XXXXXX" (/tmp when TMPDIR is unset or
 * empty) written into dir; 0, or -1 (mkdtemp failed, errno set). */
static inline int make_temp_dir(char *dir, size_t size, const char *name)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, size, "%s/dbr-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", name);
	return mkdtemp(dir) ? 0 : -1;
}

/* Removes dir and everything below it (links are removed, not followed);
 * 0, or -1 when dir could not be removed. */
static inline int remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096];
	struct stat st;
	while (d && (e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		int n = snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
		if (n < 0 || (size_t)n >= sizeof path)
			continue; /* too long: rmdir below fails, and says so */
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			remove_tree(path);
		else
			unlink(path);
	}
	if (d)
		closedir(d);
	return rmdir(dir);
}

#endif
