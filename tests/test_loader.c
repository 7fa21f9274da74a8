/* SPDX-License-Identifier: MIT */
/*
 * test_loader.c — core/loader.c against real modules: the test-only plugins
 * of tests/plugins ($DBR_TEST_PLUGINS) and the real drivers/sqlite and
 * routers/per_model ($DBROUTER_PLUGIN_PATH = the build dir). Runs with
 * LD_BIND_NOW=1 (the test environment sets it); the bind-now test re-runs
 * this program without it (--unbound-child).
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <ltdl.h>

#include "internal.h"
#include "testutil.h"

#ifndef DBR_PKGLIBDIR /* as in core/loader.c */
#define DBR_PKGLIBDIR "/usr/local/lib/dbrouter"
#endif

/* ------------------------------------------------------------ helpers */

static const char *plugdir(void)
{
	const char *d = getenv("DBR_TEST_PLUGINS");
	if (!d || !*d)
		fail_msg("DBR_TEST_PLUGINS is not set: run through make check");
	return d;
}

/* libtool puts the shared object of <dir>/<name>.la in <dir>/.libs. */
static void so_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/.libs/%s.so", plugdir(), name);
	struct stat st;
	if (stat(buf, &st) != 0)
		fail_msg("%s: %s (are the test plugins built?)", buf, strerror(errno));
}

/* 1 if the object at `path` is mapped in this process. */
static int is_mapped(const char *path)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
	if (h)
		dlclose(h);
	return h != NULL;
}

/* so_path, resolved as the loader names files (realpath). */
static void real_so(char *buf, size_t size, const char *name)
{
	char so[PATH_MAX];
	so_path(so, sizeof so, name);
	if (!realpath(so, buf))
		fail_msg("realpath %s: %s", so, strerror(errno));
	(void)size;
}

/* The thread's error message is exactly the formatted text. */
__attribute__((format(printf, 1, 2)))
static void assert_msg_is(const char *fmt, ...)
{
	char want[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(want, sizeof want, fmt, ap);
	va_end(ap);
	assert_string_equal(dbr_error_last()->message, want);
}

static void assert_msg_has(const char *needle)
{
	const char *m = dbr_error_last()->message;
	if (!strstr(m, needle))
		fail_msg("message \"%s\" lacks \"%s\"", m, needle);
}

/* The needles appear in the message in this order. */
static void assert_msg_order(const char *const *needles, size_t n)
{
	const char *m = dbr_error_last()->message, *at = m;
	for (size_t i = 0; i < n; i++) {
		const char *f = strstr(at, needles[i]);
		if (!f)
			fail_msg("message \"%s\" lacks \"%s\" (after offset %td)", m,
			         needles[i], at - m);
		at = f + strlen(needles[i]);
	}
}

static void assert_refused(dbr_plugin_kind kind, const char *name)
{
	dbr__plugin *p = (dbr__plugin *)1;
	assert_int_equal(dbr__plugin_load(&p, kind, name, plugdir()), DBR_EPLUGIN);
	assert_null(p);
	assert_int_equal(dbr_error_last()->code, DBR_EPLUGIN);
}

/* Loads a test plugin that must fail: message names the file, and the
 * module is not left mapped. */
static void assert_refused_unmapped(dbr_plugin_kind kind, const char *name)
{
	char so[PATH_MAX];
	so_path(so, sizeof so, name);
	assert_refused(kind, name);
	assert_msg_has(name);
	assert_false(is_mapped(so));
}

static const char *saved_env;

static int save_env(void **state)
{
	(void)state;
	const char *e = getenv("DBROUTER_PLUGIN_PATH");
	saved_env = e ? strdup(e) : NULL;
	return 0;
}

static int restore_env(void **state)
{
	(void)state;
	if (saved_env)
		setenv("DBROUTER_PLUGIN_PATH", saved_env, 1);
	else
		unsetenv("DBROUTER_PLUGIN_PATH");
	free((void *)saved_env);
	saved_env = NULL;
	return 0;
}

/* ------------------------------------------------------------ good plugins */

static void test_good_driver(void **state)
{
	(void)state;
	dbr__plugin *p = NULL, *q = NULL;
	assert_int_equal(dbr__plugin_load(&p, DBR_PLUGIN_DRIVER, "good_driver", plugdir()), 0);
	assert_string_equal(p->info.kind, "driver");
	assert_string_equal(p->info.name, "good_driver");
	assert_string_equal(p->info.version, "1.2.3");
	assert_string_equal(p->info.description, "a test driver");
	assert_int_equal(p->info.abi_major, DBR_ABI_MAJOR);
	assert_int_equal(p->info.abi_minor, DBR_ABI_MINOR);
	assert_true(p->info.path[0] == '/');
	assert_non_null(strstr(p->info.path, "good_driver.so"));
	assert_ptr_equal(p->info.path, p->path);

	/* The ops work (through the normalised copy) and reach the host table. */
	const dbr_driver_ops *ops = &p->ops.driver;
	assert_int_equal(ops->struct_size, sizeof(dbr_driver_ops));
	assert_ptr_not_equal(ops, p->desc->ops);
	assert_string_equal(ops->backend, "test");
	assert_int_equal(ops->check(NULL), 0);
	void *conn = NULL;
	assert_int_equal(ops->connect(&conn, NULL), DBR_ENOTSUP);
	assert_msg_has("good_driver: connect is not supported");

	/* The same file by its .la path is the same plugin. */
	char la[PATH_MAX];
	snprintf(la, sizeof la, "%s/good_driver.la", plugdir());
	assert_int_equal(dbr__plugin_load(&q, DBR_PLUGIN_DRIVER, la, NULL), 0);
	assert_ptr_equal(p, q);
	assert_int_equal(p->refs, 2);

	/* Drivers stay resident and keep their record. */
	assert_true(lt_dlisresident((lt_dlhandle)p->handle));
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s", p->path);
	dbr__plugin_release(q);
	dbr__plugin_release(p);
	assert_true(is_mapped(path));
	assert_int_equal(dbr__plugin_load(&q, DBR_PLUGIN_DRIVER, "good_driver", plugdir()), 0);
	assert_ptr_equal(p, q);
	assert_int_equal(q->refs, 1);
	dbr__plugin_release(q);
}

static void test_good_router(void **state)
{
	(void)state;
	dbr__plugin *p = NULL, *q = NULL;
	assert_int_equal(dbr__plugin_load(&p, DBR_PLUGIN_ROUTER, "good_router", plugdir()), 0);
	assert_string_equal(p->info.kind, "router");
	assert_string_equal(p->info.name, "good_router");
	assert_string_equal(p->info.version, "0.9");
	assert_int_equal(p->refs, 1);
	assert_false(lt_dlisresident((lt_dlhandle)p->handle));
	const dbr_router_ops *ops = &p->ops.router;
	assert_int_equal(ops->struct_size, sizeof(dbr_router_ops));
	void *st = (void *)1;
	assert_int_equal(ops->create(&st, NULL), 0);
	assert_null(st);
	ops->destroy(st);

	assert_int_equal(dbr__plugin_load(&q, DBR_PLUGIN_ROUTER, "good_router", plugdir()), 0);
	assert_ptr_equal(p, q);
	assert_int_equal(p->refs, 2);

	/* Only the module's entry is visible from outside. */
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s", p->path);
	void *h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
	assert_non_null(h);
	assert_non_null(dlsym(h, "dbr_router_entry"));
	assert_null(dlsym(h, "inert_create"));
	dlclose(h);

	dbr__plugin_release(q);
	assert_true(is_mapped(path));
	dbr__plugin_release(p);
	assert_false(is_mapped(path)); /* routers unload at zero */
}

/* ------------------------------------------------------------ refusals */

/* Built for ABI 99: the entry the macro wrote refuses a major-1 host
 * before the body (which would say "the body ran") is reached. */
static void test_bad_major(void **state)
{
	(void)state;
	char so[PATH_MAX];
	real_so(so, sizeof so, "bad_major");
	assert_refused_unmapped(DBR_PLUGIN_DRIVER, "bad_major");
	assert_msg_is("plugin %s has ABI 99.%d but this libdbrouter has ABI %d.%d: rebuild "
	              "the plugin against dbrouter's headers of ABI %d.x (or use a libdbrouter "
	              "with ABI 99.x)", so, DBR_ABI_MINOR, DBR_ABI_MAJOR, DBR_ABI_MINOR,
	              DBR_ABI_MAJOR);
}

/* A hand-written descriptor claiming a newer minor (no macro guard). */
static void test_newer_minor(void **state)
{
	(void)state;
	char so[PATH_MAX];
	real_so(so, sizeof so, "newer_minor");
	assert_refused_unmapped(DBR_PLUGIN_DRIVER, "newer_minor");
	assert_msg_is("plugin %s needs ABI %d.%d but this libdbrouter has ABI %d.%d: upgrade "
	              "libdbrouter to a version with ABI >= %d.%d", so, DBR_ABI_MAJOR,
	              DBR_ABI_MINOR + 1, DBR_ABI_MAJOR, DBR_ABI_MINOR, DBR_ABI_MAJOR,
	              DBR_ABI_MINOR + 1);
}

/* The entry DBR_DRIVER_ENTRY writes, called directly with hosts the body
 * must never see: NULL, another major, a minor older than the target. */
static const dbr_plugin_desc *call_entry(const char *name, const dbr_host *host)
{
	char so[PATH_MAX];
	so_path(so, sizeof so, name);
	void *h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
	assert_non_null(h);
	void *sym = dlsym(h, "dbr_driver_entry");
	assert_non_null(sym);
	dbr_entry_fn entry;
	memcpy(&entry, &sym, sizeof entry);
	dbr__err_clear();
	static dbr_plugin_desc copy;
	const dbr_plugin_desc *d = entry(host);
	if (d)
		memcpy(&copy, d, d->struct_size < sizeof copy ? d->struct_size : sizeof copy);
	dlclose(h);
	return d ? &copy : NULL;
}

static void assert_versions_only(const dbr_plugin_desc *d, int minor)
{
	assert_non_null(d); /* null_entry's body returns NULL */
	assert_int_equal(d->struct_size, offsetof(dbr_plugin_desc, abi_minor) + sizeof(int));
	assert_int_equal(d->abi_major, DBR_ABI_MAJOR);
	assert_int_equal(d->abi_minor, minor);
	assert_string_equal(dbr_error_last()->message, ""); /* host->error not called */
}

static void test_entry_guard(void **state)
{
	(void)state;
	dbr_host other = dbr__host;
	assert_versions_only(call_entry("null_entry", NULL), DBR_ABI_MINOR);
	other.abi_major = DBR_ABI_MAJOR + 1;
	assert_versions_only(call_entry("null_entry", &other), DBR_ABI_MINOR);
	other.abi_major = DBR_ABI_MAJOR;
	other.abi_minor = DBR_ABI_MINOR - 1;
	assert_versions_only(call_entry("null_entry", &other), DBR_ABI_MINOR);
	/* The control: the same host with the right versions reaches the body. */
	assert_null(call_entry("null_entry", &dbr__host));
	assert_string_equal(dbr_error_last()->message, "null_entry: refusing to load on purpose");
	/* A plugin targeting 1.0 runs on a 1.0 host and says so. */
	const dbr_plugin_desc *d = call_entry("target_minor", &other);
	assert_int_equal(d->struct_size, sizeof(dbr_plugin_desc));
	assert_int_equal(d->kind, DBR_PLUGIN_DRIVER);
	assert_int_equal(d->abi_minor, 0);
}

static void test_target_minor(void **state)
{
	(void)state;
	dbr__plugin *p = NULL;
	assert_int_equal(dbr__plugin_load(&p, DBR_PLUGIN_DRIVER, "target_minor", plugdir()), 0);
	assert_int_equal(p->info.abi_major, DBR_ABI_MAJOR);
	assert_int_equal(p->info.abi_minor, 0);
	dbr__plugin_release(p);
}

/* Hand-written descriptors the host checks itself. */
static void test_malformed(void **state)
{
	(void)state;
	char so[PATH_MAX];
	real_so(so, sizeof so, "malformed");
	static const struct {
		const char *name, *fmt; /* fmt takes the file, then the ints below */
		int a, b, c, d;
	} cases[] = {
		{ "negative_minor", "plugin %s has ABI %d.%d, a negative minor: its descriptor is "
		  "malformed; rebuild the plugin against dbrouter's headers of ABI %d.x",
		  DBR_ABI_MAJOR, -1, DBR_ABI_MAJOR, 0 },
		{ "zero_size", "plugin %s has a malformed descriptor (struct_size 0): rebuild it "
		  "against dbrouter's headers", 0, 0, 0, 0 },
		{ "negative_size", "plugin %s has a malformed descriptor (struct_size "
		  "18446744073709551608): rebuild it against dbrouter's headers", 0, 0, 0, 0 },
		{ "ops_zero_size", "driver plugin %s has an ops table with struct_size 0: the "
		  "table is malformed, fix and rebuild the plugin", 0, 0, 0, 0 },
		{ "ops_negative_size", "driver plugin %s has an ops table with struct_size "
		  "18446744073709551615: the table is malformed, fix and rebuild the plugin",
		  0, 0, 0, 0 },
		{ "old_major", "plugin %s has ABI 0.3 but this libdbrouter has ABI %d.%d: rebuild "
		  "the plugin against dbrouter's headers of ABI %d.x (or use a libdbrouter with "
		  "ABI 0.x)", DBR_ABI_MAJOR, DBR_ABI_MINOR, DBR_ABI_MAJOR, 0 },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		setenv("DBR_TEST_MALFORMED", cases[i].name, 1);
		assert_refused_unmapped(DBR_PLUGIN_DRIVER, "malformed");
		assert_msg_is(cases[i].fmt, so, cases[i].a, cases[i].b, cases[i].c, cases[i].d);
	}
	unsetenv("DBR_TEST_MALFORMED");
}

static void test_no_entry(void **state)
{
	(void)state;
	assert_refused_unmapped(DBR_PLUGIN_DRIVER, "no_entry");
	assert_msg_has("dbr_driver_entry");
	assert_msg_has("/no_entry.so");
}

static void test_null_entry(void **state)
{
	(void)state;
	assert_refused_unmapped(DBR_PLUGIN_DRIVER, "null_entry");
	assert_msg_has("/null_entry.so refused to load");
	assert_msg_has("null_entry: refusing to load on purpose");
}

static void test_wrong_kind(void **state)
{
	(void)state;
	/* A router descriptor behind the driver symbol. */
	assert_refused_unmapped(DBR_PLUGIN_DRIVER, "wrong_kind");
	assert_msg_has("wrong kind: ");
	assert_msg_has("is a router plugin, expected a driver");
	/* A module exporting only the router symbol, asked for as a driver. */
	assert_refused_unmapped(DBR_PLUGIN_DRIVER, "good_router");
	assert_msg_has("/good_router.so is a router plugin, expected a driver");
	/* And the reverse, before and after it is loaded as what it is. */
	assert_refused(DBR_PLUGIN_ROUTER, "good_driver");
	assert_msg_has("/good_driver.so is a driver plugin, expected a router");
	dbr__plugin *p = NULL;
	assert_int_equal(dbr__plugin_load(&p, DBR_PLUGIN_DRIVER, "good_driver", plugdir()), 0);
	int refs = p->refs;
	assert_refused(DBR_PLUGIN_ROUTER, "good_driver");
	assert_msg_has("is a driver plugin, expected a router");
	assert_int_equal(p->refs, refs);
	dbr__plugin_release(p);
}

static void test_missing_op(void **state)
{
	(void)state;
	assert_refused_unmapped(DBR_PLUGIN_DRIVER, "missing_op");
	assert_msg_has("\"exec\"");
	/* A table whose struct_size ends before exec lacks it too. */
	assert_refused_unmapped(DBR_PLUGIN_DRIVER, "short_ops");
	assert_msg_has("\"exec\"");
}

static void test_bad_arguments(void **state)
{
	(void)state;
	dbr__plugin *p = NULL;
	assert_int_equal(dbr__plugin_load(&p, DBR_PLUGIN_DRIVER, NULL, NULL), DBR_EINVAL);
	assert_int_equal(dbr__plugin_load(&p, DBR_PLUGIN_DRIVER, "", NULL), DBR_EINVAL);
	assert_int_equal(dbr__plugin_load(&p, (dbr_plugin_kind)7, "x", NULL), DBR_EINVAL);
	dbr__plugin_release(NULL);
}

/* ------------------------------------------------------------ the twins */

static const char *twin_answer(dbr__plugin *p)
{
	const dbr_router_ops *ops = p->desc->ops;
	void *st = NULL;
	assert_int_equal(ops->create(&st, NULL), 0);
	const char *a = ops->db_for_read(st, NULL);
	ops->destroy(st);
	return a;
}

/* Loads both twins in the order given and checks each calls its own
 * twin_value (1 for a, 2 for b). */
static void twins_in_order(const char *first, const char *second)
{
	dbr__plugin *p1 = NULL, *p2 = NULL;
	assert_int_equal(dbr__plugin_load(&p1, DBR_PLUGIN_ROUTER, first, plugdir()), 0);
	assert_int_equal(dbr__plugin_load(&p2, DBR_PLUGIN_ROUTER, second, plugdir()), 0);
	assert_ptr_not_equal(p1, p2);
	dbr__plugin *a = strcmp(first, "twin_a") == 0 ? p1 : p2;
	dbr__plugin *b = a == p1 ? p2 : p1;
	assert_string_equal(twin_answer(a), "one");
	assert_string_equal(twin_answer(b), "two");
	dbr__plugin_release(p1);
	dbr__plugin_release(p2);
}

static void test_twins_local(void **state)
{
	(void)state;
	twins_in_order("twin_a", "twin_b");
	twins_in_order("twin_b", "twin_a");
}

/* The control: with RTLD_GLOBAL, twin_b loaded first captures twin_a's
 * call, so test_twins_local would notice a loader that forgot
 * lt_dladvise_local. In a child, to keep this process clean. */
static void test_twins_global_control(void **state)
{
	(void)state;
	char a[PATH_MAX], b[PATH_MAX];
	so_path(a, sizeof a, "twin_a");
	so_path(b, sizeof b, "twin_b");
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		void *hb = dlopen(b, RTLD_NOW | RTLD_GLOBAL);
		void *ha = dlopen(a, RTLD_NOW | RTLD_LOCAL);
		void *sym = ha ? dlsym(ha, "dbr_router_entry") : NULL;
		if (!hb || !sym)
			_exit(9);
		dbr_entry_fn entry;
		memcpy(&entry, &sym, sizeof entry);
		const dbr_router_ops *ops = entry(&dbr__host)->ops;
		void *st = NULL;
		ops->create(&st, NULL);
		_exit(strcmp(ops->db_for_read(st, NULL), "two") == 0 ? 0 : 1);
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* ------------------------------------------------------------ search */

static void test_not_found_lists_paths(void **state)
{
	(void)state;
	dbr__plugin *p = NULL;
	setenv("DBROUTER_PLUGIN_PATH", "/nonexistent/env", 1);
	assert_int_equal(dbr__plugin_load(&p, DBR_PLUGIN_DRIVER, "nosuch",
	                                  "/nonexistent/a::/nonexistent/b"), DBR_EPLUGIN);
	assert_null(p);
	char pkg[PATH_MAX];
	snprintf(pkg, sizeof pkg, "%s/drivers/nosuch", DBR_PKGLIBDIR);
	const char *order[] = {
		"driver \"nosuch\" not found; tried: ",
		"/nonexistent/env/drivers/nosuch, ", "/nonexistent/env/nosuch, ",
		"/nonexistent/a/drivers/nosuch, ", "/nonexistent/a/nosuch, ",
		"/nonexistent/b/drivers/nosuch, ", "/nonexistent/b/nosuch, ",
		pkg, "(file not found)", "set DBROUTER_PLUGIN_PATH or plugin_path",
	};
	assert_msg_order(order, sizeof order / sizeof order[0]);

	/* A path is used as given. */
	assert_int_equal(dbr__plugin_load(&p, DBR_PLUGIN_ROUTER, "/nonexistent/x/foo", NULL),
	                 DBR_EPLUGIN);
	assert_msg_has("router \"/nonexistent/x/foo\" not found; tried: /nonexistent/x/foo (");
}

/* A temp dir; removed by rm_tree. */
static char *make_tmp(void)
{
	char dir[PATH_MAX];
	assert_int_equal(make_temp_dir(dir, sizeof dir, "loader"), 0);
	return strdup(dir);
}

static void rm_tree(const char *dir)
{
	assert_int_equal(remove_tree(dir), 0);
}

/* <root>/<sub>/<file> -> target (sub may be ""). */
static void link_at(const char *root, const char *sub, const char *file, const char *target)
{
	char dir[PATH_MAX], path[2 * PATH_MAX];
	snprintf(dir, sizeof dir, "%s/%s", root, sub);
	mkdir(dir, 0700);
	snprintf(path, sizeof path, "%s/%s", dir, file);
	assert_int_equal(symlink(target, path), 0);
}

static void write_at(const char *path, const void *data, size_t n)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* A file that exists but is no loadable object stops the search with the
 * dynamic loader's own reason, whichever way it was named. */
static void test_broken_file_stops_search(void **state)
{
	(void)state;
	char *root = make_tmp(), path[PATH_MAX], so[PATH_MAX], la[PATH_MAX];
	snprintf(path, sizeof path, "%s/drivers", root);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(so, sizeof so, "%s/drivers/broken.so", root);
	const char *text = "this is a text file named broken.so,\n"
	                   "long enough to hold an ELF header if it were one,\n"
	                   "but it is not one: the loader must say so.\n";
	write_at(so, text, strlen(text));

	dbr__plugin *p = NULL;
	/* By name, through DBROUTER_PLUGIN_PATH. */
	setenv("DBROUTER_PLUGIN_PATH", root, 1);
	assert_int_equal(dbr__plugin_load(&p, DBR_PLUGIN_DRIVER, "broken", plugdir()),
	                 DBR_EPLUGIN);
	assert_msg_is("cannot load driver \"broken\" from %s/drivers/broken: %s: invalid ELF "
	              "header", root, so);
	/* By path. */
	assert_int_equal(dbr__plugin_load(&p, DBR_PLUGIN_DRIVER, so, NULL), DBR_EPLUGIN);
	assert_msg_is("cannot load driver \"%s\" from %s: %s: invalid ELF header", so, so, so);

	/* Through a libtool archive naming a truncated ELF object. */
	char good[PATH_MAX], head[128];
	so_path(good, sizeof good, "good_driver");
	FILE *f = fopen(good, "r");
	assert_non_null(f);
	assert_int_equal(fread(head, 1, sizeof head, f), sizeof head);
	fclose(f);
	snprintf(so, sizeof so, "%s/drivers/cut.so", root);
	write_at(so, head, sizeof head);
	snprintf(la, sizeof la, "%s/drivers/cut.la", root);
	const char *archive = "# cut.la - a libtool library file\n"
	                      "dlname='cut.so'\nlibrary_names='cut.so'\ninstalled=yes\n"
	                      "libdir='/nonexistent'\n";
	write_at(la, archive, strlen(archive));
	assert_int_equal(dbr__plugin_load(&p, DBR_PLUGIN_DRIVER, "cut", NULL), DBR_EPLUGIN);
	assert_msg_is("cannot load driver \"cut\" from %s/drivers/cut: %s: cannot read file data",
	              root, so);
	assert_int_equal(dbr__plugin_load(&p, DBR_PLUGIN_DRIVER, la, NULL), DBR_EPLUGIN);
	assert_msg_is("cannot load driver \"%s\" from %s: %s: cannot read file data", la, la, so);

	/* An archive that is not one: libltdl's reason. */
	snprintf(la, sizeof la, "%s/drivers/junk.la", root);
	write_at(la, "junk\n", 5);
	assert_int_equal(dbr__plugin_load(&p, DBR_PLUGIN_DRIVER, la, NULL), DBR_EPLUGIN);
	assert_msg_is("cannot load driver \"%s\" from %s: no loadable module: the libtool "
	              "archive has no dlname, or its file is missing", la, la);
	rm_tree(root);
	free(root);
}

/* Which twin a search for `name` finds: "one" (twin_a) or "two". */
static const char *find_twin(const char *name, const char *env, const char *plugin_path)
{
	static char answer[8];
	dbr__plugin *p = NULL;
	setenv("DBROUTER_PLUGIN_PATH", env, 1);
	int rc = dbr__plugin_load(&p, DBR_PLUGIN_ROUTER, name, plugin_path);
	if (rc)
		fail_msg("%s env=%s pp=%s: %s", name, env, plugin_path, dbr_error_last()->message);
	snprintf(answer, sizeof answer, "%s", twin_answer(p));
	dbr__plugin_release(p);
	return answer;
}

static void test_search_order(void **state)
{
	(void)state;
	char a[PATH_MAX], b[PATH_MAX], envs[3 * PATH_MAX];
	so_path(a, sizeof a, "twin_a");
	so_path(b, sizeof b, "twin_b");
	char *A = make_tmp(), *B = make_tmp(), *C = make_tmp();
	link_at(A, "routers", "probe.so", a);
	link_at(B, "routers", "probe.so", b);
	link_at(C, "routers", "probe.so", b); /* <dir>/routers/ before <dir>/ */
	link_at(C, "", "probe.so", a);

	snprintf(envs, sizeof envs, "%s:%s", A, B);
	assert_string_equal(find_twin("probe", envs, NULL), "one");
	snprintf(envs, sizeof envs, "%s:%s", B, A);
	assert_string_equal(find_twin("probe", envs, NULL), "two");
	assert_string_equal(find_twin("probe", B, A), "two");   /* env before plugin_path */
	assert_string_equal(find_twin("probe", "", A), "one");  /* then plugin_path */
	snprintf(envs, sizeof envs, "::%s:", B);   /* empty entries skipped */
	assert_string_equal(find_twin("probe", envs, NULL), "two");
	assert_string_equal(find_twin("probe", C, NULL), "two");
	snprintf(envs, sizeof envs, "%s/probe", C); /* a path is used as given */
	assert_string_equal(find_twin(envs, B, B), "one");
	rm_tree(A), rm_tree(B), rm_tree(C);
	free(A), free(B), free(C);
}

/* ------------------------------------------------------------ threads */

static void *load_loop(void *arg)
{
	(void)arg;
	for (int i = 0; i < 50; i++) {
		dbr__plugin *r = NULL, *d = NULL;
		if (dbr__plugin_load(&r, DBR_PLUGIN_ROUTER, "good_router", plugdir()) ||
		    dbr__plugin_load(&d, DBR_PLUGIN_DRIVER, "good_driver", plugdir()))
			return (void *)dbr_error_last()->message;
		dbr__plugin_release(r);
		dbr__plugin_release(d);
	}
	return NULL;
}

static void test_threads(void **state)
{
	(void)state;
	pthread_t t[8];
	for (size_t i = 0; i < 8; i++)
		assert_int_equal(pthread_create(&t[i], NULL, load_loop, NULL), 0);
	for (size_t i = 0; i < 8; i++) {
		void *err = NULL;
		pthread_join(t[i], &err);
		if (err)
			fail_msg("thread %zu: %s", i, (const char *)err);
	}
	dbr__plugin *p = NULL;
	assert_int_equal(dbr__plugin_load(&p, DBR_PLUGIN_ROUTER, "good_router", plugdir()), 0);
	assert_int_equal(p->refs, 1);
	dbr__plugin_release(p);
}

/* ------------------------------------------------------------ through dbr */

/* Opens a deployment of one SQLite file in `dir` served by the driver
 * module `driver`, plus `more` (more settings at the top level). */
static dbr *open_sqlite(const char *dir, const char *driver, const char *more)
{
	char text[4 * PATH_MAX];
	snprintf(text, sizeof text,
	         "databases = {\n"
	         "  default = { url = \"sqlite://%s/main.db\"; driver = \"%s\"; };\n"
	         "  other = { url = \"sqlite://%s/other.db\"; driver = \"%s\"; };\n"
	         "};\n%s\n", dir, driver, dir, driver, more);
	dbr *db = NULL;
	if (dbr_open_string(&db, text))
		fail_msg("dbr_open_string: %s", dbr_error_last()->message);
	return db;
}

static void exec_ok(dbr_result **out, dbr_session *s, const dbr_query *q)
{
	if (dbr_exec(out, s, q))
		fail_msg("%s: %s", q->sql, dbr_session_errmsg(s));
}

/* Writes and reads back through `driver` on a real SQLite file, releasing
 * connections to the pool after each statement (the pool's reset path). */
static void sqlite_round_trip(const char *driver)
{
	char *dir = make_tmp(), la[PATH_MAX];
	snprintf(la, sizeof la, "%s/%s.la", plugdir(), driver);
	dbr *db = open_sqlite(dir, la, "");
	dbr_session *s = NULL;
	assert_int_equal(dbr_session_new(&s, db), 0);
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)";
	exec_ok(NULL, s, &q);
	dbr_value v[] = { dbr_text("ada"), dbr_text("bob") };
	q.sql = "INSERT INTO t (name) VALUES (?), (?)";
	q.params = v, q.nparams = 2;
	dbr_result *r = NULL;
	exec_ok(&r, s, &q);
	assert_int_equal(dbr_result_affected(r), 2);
	dbr_result_free(r);
	q.sql = "SELECT name FROM t WHERE id = ?";
	v[0] = dbr_int(2), q.nparams = 1;
	exec_ok(&r, s, &q);
	const char *name = NULL;
	size_t len = 0;
	assert_int_equal(dbr_result_nrows(r), 1);
	assert_int_equal(dbr_result_text(&name, &len, r, 0, 0), 0);
	assert_string_equal(name, "bob");
	dbr_result_free(r);
	/* An optional op the table does not cover is "not supported". */
	char buf[64];
	assert_int_equal(dbr_server_version(buf, sizeof buf, db, "default"), DBR_ENOTSUP);
	assert_msg_is("driver of \"default\" cannot tell its server version");
	dbr_session_free(s);
	dbr_close(db);
	rm_tree(dir);
	free(dir);
}

/* The table ends before reset; every slot after it holds 0x1. */
static void test_poison_driver(void **state)
{
	(void)state;
	dbr__plugin *p = NULL;
	assert_int_equal(dbr__plugin_load(&p, DBR_PLUGIN_DRIVER, "poison_driver", plugdir()), 0);
	/* The control: the plugin's own table does hold the poison... */
	const dbr_driver_ops *raw = p->desc->ops;
	assert_int_equal(raw->struct_size, offsetof(dbr_driver_ops, reset));
	assert_ptr_equal((void *)raw->reset, (void *)1);
	assert_ptr_equal((void *)raw->server_version, (void *)1);
	/* ... and the host's copy does not. */
	assert_null(p->ops.driver.reset);
	assert_null(p->ops.driver.server_version);
	assert_int_equal(p->ops.driver.struct_size, sizeof(dbr_driver_ops));
	const unsigned char *tail = (const unsigned char *)&p->ops.driver +
	                            offsetof(dbr_driver_ops, reset);
	for (size_t i = 0; i < sizeof(dbr_driver_ops) - offsetof(dbr_driver_ops, reset); i++)
		assert_int_equal(tail[i], 0);
	dbr__plugin_release(p);
	sqlite_round_trip("poison_driver");
}

/* Built against the frozen 1.0 headers: loads and runs in this core. */
static void test_abi10_driver(void **state)
{
	(void)state;
	dbr__plugin *p = NULL;
	assert_int_equal(dbr__plugin_load(&p, DBR_PLUGIN_DRIVER, "abi10_driver", plugdir()), 0);
	assert_int_equal(p->info.abi_major, 1);
	assert_int_equal(p->info.abi_minor, 0);
	assert_int_equal(p->ops.driver.struct_size, sizeof(dbr_driver_ops));
	assert_string_equal(p->ops.driver.backend, "sqlite");
	dbr__plugin_release(p);
	sqlite_round_trip("abi10_driver");
}

/* Built against "1.2" headers: refused before its body reads the 1.2
 * member of dbr_host, with the upgrade message. */
static void test_abi12_refused(void **state)
{
	(void)state;
	char so[PATH_MAX];
	real_so(so, sizeof so, "abi12_driver");
	assert_refused_unmapped(DBR_PLUGIN_DRIVER, "abi12_driver");
	assert_msg_is("plugin %s needs ABI %d.2 but this libdbrouter has ABI %d.%d: upgrade "
	              "libdbrouter to a version with ABI >= %d.2", so, DBR_ABI_MAJOR,
	              DBR_ABI_MAJOR, DBR_ABI_MINOR, DBR_ABI_MAJOR);
}

/* A router built by g++: found by its unmangled entry, and it routes. */
static void test_cxx_router(void **state)
{
	(void)state;
	char so[PATH_MAX], la[PATH_MAX], more[2 * PATH_MAX];
	so_path(so, sizeof so, "cxx_router");
	void *h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
	assert_non_null(h);
	assert_non_null(dlsym(h, "dbr_router_entry"));
	dlclose(h);

	char *dir = make_tmp();
	snprintf(la, sizeof la, "%s/cxx_router.la", plugdir());
	snprintf(more, sizeof more,
	         "routers = ( { name = \"cxx\"; module = \"%s\"; read = \"other\"; } );", la);
	dbr *db = open_sqlite(dir, "sqlite", more);
	dbr_session *s = NULL;
	assert_int_equal(dbr_session_new(&s, db), 0);
	dbr_query q = DBR_QUERY_INIT;
	q.sql = "CREATE TABLE who (name TEXT)";
	q.using_alias = "other";
	exec_ok(NULL, s, &q);
	q.sql = "INSERT INTO who VALUES ('other')";
	exec_ok(NULL, s, &q);
	q.using_alias = NULL;
	q.sql = "SELECT name FROM who";
	dbr_result *r = NULL;
	exec_ok(&r, s, &q);
	assert_string_equal(dbr_result_alias(r), "other");
	const char *name = NULL;
	size_t len = 0;
	assert_int_equal(dbr_result_text(&name, &len, r, 0, 0), 0);
	assert_string_equal(name, "other");
	dbr_result_free(r);
	dbr_trace *t = NULL;
	assert_int_equal(dbr_explain(&t, s, &q), 0);
	if (!strstr(dbr_trace_text(t), "cxx_router sends reads to other"))
		fail_msg("trace lacks the C++ router's note: %s", dbr_trace_text(t));
	dbr_trace_free(t);
	dbr_session_free(s);
	dbr_close(db);
	rm_tree(dir);
	free(dir);
}

/* ------------------------------------------------------------ bind now */

#define MISSING "dbr_test_missing_symbol"

/* The refusal of tests/plugins/unresolved, exactly. */
static void assert_unresolved_refused(const char *la, const char *so)
{
	assert_msg_is("cannot load router \"%s\" from %s: %s: undefined symbol: " MISSING,
	              la, la, so);
}

static void unresolved_paths(char *la, char *so)
{
	snprintf(la, PATH_MAX, "%s/unresolved.la", plugdir());
	so_path(so, PATH_MAX, "unresolved");
}

/* In this process LD_BIND_NOW=1 makes every dlopen bind now, so this
 * alone cannot tell that the loader does; see the unbound child. */
static void test_unresolved(void **state)
{
	(void)state;
	char la[PATH_MAX], so[PATH_MAX];
	unresolved_paths(la, so);
	assert_refused(DBR_PLUGIN_ROUTER, la);
	assert_unresolved_refused(la, so);
	assert_false(is_mapped(so));

	/* The same in a child started without LD_BIND_NOW, where libltdl's
	 * RTLD_LAZY would load the module fine (the child checks that too). */
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		unsetenv("LD_BIND_NOW");
		execl("/proc/self/exe", "test_loader", "--unbound-child", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	char out[4096] = "";
	size_t n = 0;
	ssize_t got;
	while (n < sizeof out - 1 && (got = read(fds[0], out + n, sizeof out - 1 - n)) > 0)
		n += (size_t)got;
	out[n] = '\0';
	close(fds[0]);
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("unbound child: status %d: %s", status, out);
	char want[4 * PATH_MAX];
	snprintf(want, sizeof want, "cannot load router \"%s\" from %s: %s: undefined symbol: "
	         MISSING "\n", la, la, so);
	assert_string_equal(out, want);
}

/* The child of test_unresolved: loads the plugin through the loader (must
 * be refused) and then, as the control, with a lazy dlopen (must load:
 * LD_BIND_NOW really is off). Prints the loader's message. */
static int unbound_child(void)
{
	if (getenv("LD_BIND_NOW"))
		return 3;
	char la[PATH_MAX], so[PATH_MAX];
	unresolved_paths(la, so);
	dbr__plugin *p = NULL;
	int rc = dbr__plugin_load(&p, DBR_PLUGIN_ROUTER, la, NULL);
	printf("%s\n", dbr_error_last()->message);
	if (rc != DBR_EPLUGIN)
		return 4;
	void *h = dlopen(so, RTLD_LAZY | RTLD_LOCAL);
	if (!h)
		return 5;
	dlclose(h);
	return 0;
}

/* ------------------------------------------------------------ real plugins */

static void test_real_sqlite_driver(void **state)
{
	(void)state;
	dbr__plugin *p = NULL;
	if (dbr__plugin_load(&p, DBR_PLUGIN_DRIVER, "sqlite", NULL) != 0)
		fail_msg("drivers/sqlite: %s", dbr_error_last()->message);
	assert_string_equal(p->info.kind, "driver");
	assert_string_equal(p->info.name, "sqlite");
	assert_non_null(strstr(p->info.path, "/drivers/"));
	assert_string_equal(((const dbr_driver_ops *)p->desc->ops)->backend, "sqlite");
	dbr__plugin_release(p);
}

static void test_real_per_model_router(void **state)
{
	(void)state;
	dbr__plugin *p = NULL;
	if (dbr__plugin_load(&p, DBR_PLUGIN_ROUTER, "per_model", NULL) != 0)
		fail_msg("routers/per_model: %s", dbr_error_last()->message);
	assert_string_equal(p->info.kind, "router");
	assert_string_equal(p->info.name, "per_model");
	assert_non_null(strstr(p->info.path, "/routers/"));
	dbr__plugin_release(p);
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--unbound-child") == 0)
		return unbound_child();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_driver),
		cmocka_unit_test(test_good_router),
		cmocka_unit_test(test_bad_major),
		cmocka_unit_test(test_newer_minor),
		cmocka_unit_test(test_entry_guard),
		cmocka_unit_test(test_target_minor),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_poison_driver),
		cmocka_unit_test(test_abi10_driver),
		cmocka_unit_test(test_abi12_refused),
		cmocka_unit_test(test_cxx_router),
		cmocka_unit_test(test_unresolved),
		cmocka_unit_test(test_no_entry),
		cmocka_unit_test(test_null_entry),
		cmocka_unit_test(test_wrong_kind),
		cmocka_unit_test(test_missing_op),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_twins_local),
		cmocka_unit_test(test_twins_global_control),
		cmocka_unit_test_setup_teardown(test_not_found_lists_paths, save_env, restore_env),
		cmocka_unit_test_setup_teardown(test_broken_file_stops_search, save_env, restore_env),
		cmocka_unit_test_setup_teardown(test_search_order, save_env, restore_env),
		cmocka_unit_test(test_threads),
		cmocka_unit_test(test_real_sqlite_driver),
		cmocka_unit_test(test_real_per_model_router),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
