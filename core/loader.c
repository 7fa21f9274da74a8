/* SPDX-License-Identifier: MIT */
/*
 * loader.c — finds, opens and checks plugins (docs/design.md, "The plugin
 * ABI"). libltdl is not thread-safe, so every lt_* call below runs under
 * one global mutex; the loaded plugins form a list under the same mutex.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ltdl.h>

#include "internal.h"

#ifndef DBR_PKGLIBDIR
#define DBR_PKGLIBDIR "/usr/local/lib/dbrouter"
#endif
#ifndef LT_MODULE_EXT
#define LT_MODULE_EXT ".so"
#endif

/* A mandatory member of an ops table: its name, where it is, how big. */
typedef struct op_slot {
	const char *name;
	size_t offset, size;
} op_slot;

#define OP_SLOT(T, m) { #m, offsetof(T, m), sizeof(((T *)0)->m) }

static const op_slot driver_ops[] = {
	OP_SLOT(dbr_driver_ops, backend), OP_SLOT(dbr_driver_ops, check),
	OP_SLOT(dbr_driver_ops, connect), OP_SLOT(dbr_driver_ops, close),
	OP_SLOT(dbr_driver_ops, ping), OP_SLOT(dbr_driver_ops, exec),
	OP_SLOT(dbr_driver_ops, script),
};

static const op_slot router_ops[] = {
	OP_SLOT(dbr_router_ops, create), OP_SLOT(dbr_router_ops, destroy),
};

/* What differs between the two kinds. */
typedef struct kind_def {
	dbr_plugin_kind kind;
	const char *word;   /* "driver" */
	const char *subdir; /* "drivers" */
	const char *symbol; /* "dbr_driver_entry" */
	const op_slot *ops;
	size_t nops;
	size_t ops_size;    /* the host's sizeof(dbr_driver_ops) */
	int resident;       /* client libraries are unsafe to unload */
} kind_def;

static const kind_def kinds[] = {
	{ DBR_PLUGIN_DRIVER, "driver", "drivers", "dbr_driver_entry",
	  driver_ops, sizeof driver_ops / sizeof driver_ops[0], sizeof(dbr_driver_ops), 1 },
	{ DBR_PLUGIN_ROUTER, "router", "routers", "dbr_router_entry",
	  router_ops, sizeof router_ops / sizeof router_ops[0], sizeof(dbr_router_ops), 0 },
};

static const kind_def *kind_of(dbr_plugin_kind kind)
{
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (kinds[i].kind == kind)
			return &kinds[i];
	return NULL;
}

static const kind_def *other_kind(const kind_def *k)
{
	return k == &kinds[0] ? &kinds[1] : &kinds[0];
}

/* A loaded plugin; `p` first so a dbr__plugin * is a record *. */
typedef struct record {
	dbr__plugin p;
	struct record *next;
} record;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static record *loaded;
static lt_dladvise advise;
static char init_error[256];

static void init(void)
{
	const char *what = NULL;
	if (lt_dlinit() != 0)
		what = "lt_dlinit";
	else if (lt_dladvise_init(&advise) || lt_dladvise_ext(&advise) ||
	         lt_dladvise_local(&advise))
		what = "lt_dladvise";
	if (what) {
		const char *e = lt_dlerror();
		snprintf(init_error, sizeof init_error, "%s failed: %s", what,
		         e ? e : "unknown error");
	}
}

static const char *dlerr(void)
{
	const char *e = lt_dlerror();
	return e ? e : "unknown error";
}

/* ------------------------------------------------------------ search */

typedef struct search {
	const kind_def *k;
	const char *name;
	dbr__buf tried;      /* "a, b, c" */
	char *last_error;    /* lt_dlerror of the last attempt */
	lt_dlhandle h;       /* set when a file opened */
	int rc;              /* nonzero: stop with this error (set already) */
} search;

static int is_file(const char *path, const char *ext)
{
	char *p = dbr__asprintf("%s%s", path, ext);
	struct stat st;
	int yes = p && stat(p, &st) == 0 && S_ISREG(st.st_mode);
	free(p);
	return yes;
}

/* libltdl tries a name as given only if it has an extension. */
static int has_ext(const char *path)
{
	const char *base = strrchr(path, '/');
	return strchr(base ? base + 1 : path, '.') != NULL;
}

/* A "key='value'" line of a libtool archive: the value (owned), or NULL. */
static char *la_value(const char *text, const char *key)
{
	size_t n = strlen(key);
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		if (strncmp(l, key, n) != 0 || l[n] != '=')
			continue;
		const char *v = l + n + 1, *end = v + strcspn(v, "\n");
		if (*v == '\'')
			v++, end -= end > v && end[-1] == '\'';
		return dbr__strndup(v, (size_t)(end - v));
	}
	return NULL;
}

/* The first of dir/sub/dlname that is a file (sub may be NULL). */
static char *first_file(char *out, const char *dir, const char *sub, const char *dlname)
{
	if (out || !dir || !*dir)
		return out;
	char *p = sub ? dbr__asprintf("%s/%s/%s", dir, sub, dlname)
	              : dbr__asprintf("%s/%s", dir, dlname);
	if (p && is_file(p, ""))
		return p;
	free(p);
	return NULL;
}

/* The shared object a libtool archive names, by libltdl's rules: in libdir
 * if installed, else in <dir>/.libs, else beside the archive. */
static char *la_object(const char *la)
{
	FILE *f = fopen(la, "r");
	if (!f)
		return NULL;
	dbr__buf text = { 0 };
	char chunk[1024];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		dbr__buf_add(&text, chunk, n);
	fclose(f);
	char *dlname = la_value(text.s, "dlname");
	char *libdir = la_value(text.s, "libdir");
	char *installed = la_value(text.s, "installed");
	char *dir = dbr__strndup(la, (size_t)(strrchr(la, '/') - la));
	char *obj = NULL;
	if (dlname && *dlname && dir) {
		int inst = installed && strcmp(installed, "yes") == 0;
		obj = first_file(obj, inst ? libdir : NULL, NULL, dlname);
		obj = first_file(obj, inst ? NULL : dir, ".libs", dlname);
		obj = first_file(obj, dir, NULL, dlname);
	}
	free(dlname), free(libdir), free(installed), free(dir);
	dbr__buf_free(&text);
	return obj;
}

static int ends_with(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);
	return a >= b && strcmp(s + a - b, tail) == 0;
}

/* Which file libltdl will open for `path`: 0 if none exists; else 1 and
 * *object is the shared object (NULL if an archive names none that exists:
 * libltdl then says why). */
static int resolve(char **object, const char *path)
{
	*object = NULL;
	if (has_ext(path) && is_file(path, "")) {
		*object = ends_with(path, ".la") ? la_object(path) : dbr__strdup(path);
		return 1;
	}
	if (is_file(path, ".la")) {
		char *la = dbr__asprintf("%s.la", path);
		*object = la ? la_object(la) : NULL;
		free(la);
		return 1;
	}
	if (is_file(path, LT_MODULE_EXT)) {
		*object = dbr__asprintf("%s%s", path, LT_MODULE_EXT);
		return 1;
	}
	return 0;
}

static int load_error(search *s, const char *path, const char *why)
{
	s->rc = dbr__err(DBR_EPLUGIN, NULL, "cannot load %s \"%s\" from %s: %s",
	                 s->k->word, s->name, path, why);
	return 1;
}

/* Tries one candidate; returns nonzero when the search is over. A file
 * that exists but does not load stops the search: searching on would
 * hide it behind "not found". libltdl opens modules lazily (RTLD_LAZY),
 * and glibc never re-binds an object already open, so the object is first
 * opened with RTLD_NOW: an unresolved symbol fails here, with dlerror's
 * "<file>: undefined symbol: <name>", instead of killing the process at
 * its first call; lt_dlopen then finds it open and fully bound. */
static int try_path(search *s, const char *path)
{
	char *object = NULL;
	if (!resolve(&object, path)) {
		free(s->last_error);
		s->last_error = dbr__strdup("file not found");
		dbr__buf_printf(&s->tried, "%s%s", s->tried.len ? ", " : "", path);
		return 0;
	}
	void *now = object ? dlopen(object, RTLD_NOW | RTLD_LOCAL) : NULL;
	if (object && !now) {
		const char *e = dlerror();
		free(object);
		return load_error(s, path, e ? e : "unknown error");
	}
	/* libltdl keeps an old error (e.g. from closing a resident module)
	 * and sets none for an archive without a module: clear it first. */
	(void)lt_dlerror();
	s->h = lt_dlopenadvise(path, advise);
	const char *e = s->h ? NULL : lt_dlerror();
	int done = s->h ? 1 : load_error(s, path, e ? e : object ? "unknown error"
	                     : "no loadable module: the libtool archive has no dlname, "
	                       "or its file is missing");
	free(object);
	if (now)
		dlclose(now); /* the module stays open through s->h */
	return done;
}

static int try_dir(search *s, const char *dir, size_t len)
{
	if (len == 0)
		return 0;
	char *a = dbr__asprintf("%.*s/%s/%s", (int)len, dir, s->k->subdir, s->name);
	char *b = dbr__asprintf("%.*s/%s", (int)len, dir, s->name);
	int done = a && b ? try_path(s, a) || try_path(s, b)
	                  : (s->rc = dbr__err(DBR_ENOMEM, NULL, "out of memory"), 1);
	free(a);
	free(b);
	return done;
}

/* Each dir of a ':'-separated list; empty entries are skipped. */
static int try_list(search *s, const char *list)
{
	while (list && *list) {
		size_t n = strcspn(list, ":");
		if (try_dir(s, list, n))
			return 1;
		list += n + (list[n] == ':');
	}
	return 0;
}

static int find(search *s, const char *plugin_path)
{
	int done = strchr(s->name, '/') ? try_path(s, s->name)
	         : try_list(s, getenv("DBROUTER_PLUGIN_PATH")) ||
	           try_list(s, plugin_path) || try_list(s, DBR_PKGLIBDIR);
	if (!done)
		return dbr__err(DBR_EPLUGIN, NULL,
		                "%s \"%s\" not found; tried: %s (%s); set DBROUTER_PLUGIN_PATH "
		                "or plugin_path, or install it", s->k->word, s->name,
		                s->tried.s ? s->tried.s : "nothing",
		                s->last_error ? s->last_error : "no directory to search");
	return s->rc;
}

/* ------------------------------------------------------------ checks */

static int check_abi(const dbr_plugin_desc *d, const char *file)
{
	if (d->abi_minor < 0)
		return dbr__err(DBR_EPLUGIN, NULL,
		                "plugin %s has ABI %d.%d, a negative minor: its descriptor is "
		                "malformed; rebuild the plugin against dbrouter's headers of "
		                "ABI %d.x", file, d->abi_major, d->abi_minor, DBR_ABI_MAJOR);
	if (d->abi_major != DBR_ABI_MAJOR)
		return dbr__err(DBR_EPLUGIN, NULL,
		                "plugin %s has ABI %d.%d but this libdbrouter has ABI %d.%d: "
		                "rebuild the plugin against dbrouter's headers of ABI %d.x "
		                "(or use a libdbrouter with ABI %d.x)", file, d->abi_major,
		                d->abi_minor, DBR_ABI_MAJOR, DBR_ABI_MINOR, DBR_ABI_MAJOR,
		                d->abi_major);
	if (d->abi_minor > DBR_ABI_MINOR)
		return dbr__err(DBR_EPLUGIN, NULL,
		                "plugin %s needs ABI %d.%d but this libdbrouter has ABI %d.%d: "
		                "upgrade libdbrouter to a version with ABI >= %d.%d", file,
		                d->abi_major, d->abi_minor, DBR_ABI_MAJOR, DBR_ABI_MINOR,
		                d->abi_major, d->abi_minor);
	return 0;
}

static int slot_set(const void *ops, const op_slot *o)
{
	const unsigned char *b = (const unsigned char *)ops + o->offset;
	for (size_t i = 0; i < o->size; i++)
		if (b[i])
			return 1;
	return 0;
}

/* A struct_size that covers at least itself and is not a negative number
 * cast to size_t. */
static int sane_size(size_t size, size_t least)
{
	return size >= least && size <= PTRDIFF_MAX;
}

/* Every mandatory op covered by struct_size (DBR_HAS_MEMBER's rule) and set. */
static int check_ops(const kind_def *k, const void *ops, const char *file)
{
	if (!ops)
		return dbr__err(DBR_EPLUGIN, NULL, "%s plugin %s has no ops table", k->word, file);
	size_t size = *(const size_t *)ops;
	if (!sane_size(size, sizeof size))
		return dbr__err(DBR_EPLUGIN, NULL,
		                "%s plugin %s has an ops table with struct_size %zu: the table "
		                "is malformed, fix and rebuild the plugin", k->word, file, size);
	for (size_t i = 0; i < k->nops; i++)
		if (size < k->ops[i].offset + k->ops[i].size || !slot_set(ops, &k->ops[i]))
			return dbr__err(DBR_EPLUGIN, NULL,
			                "%s plugin %s lacks the mandatory op \"%s\": "
			                "the plugin is incomplete, fix and rebuild it",
			                k->word, file, k->ops[i].name);
	return 0;
}

static int wrong_kind(const kind_def *k, dbr_plugin_kind got, const char *file)
{
	const kind_def *g = kind_of(got);
	return dbr__err(DBR_EPLUGIN, NULL, "wrong kind: %s is a %s plugin, expected a %s",
	                file, g ? g->word : "malformed", k->word);
}

static int check_desc(const kind_def *k, const dbr_plugin_desc *d, const char *file)
{
	if (!sane_size(d->struct_size, offsetof(dbr_plugin_desc, abi_minor) + sizeof(int)))
		return dbr__err(DBR_EPLUGIN, NULL, "plugin %s has a malformed descriptor "
		                "(struct_size %zu): rebuild it against dbrouter's headers",
		                file, d->struct_size);
	int rc = check_abi(d, file);
	if (rc)
		return rc;
	if (!DBR_HAS_MEMBER(dbr_plugin_desc, d, ops))
		return dbr__err(DBR_EPLUGIN, NULL, "plugin %s has a descriptor of %zu bytes, "
		                "smaller than ABI %d.0's: rebuild it", file, d->struct_size,
		                DBR_ABI_MAJOR);
	if (d->kind != k->kind)
		return wrong_kind(k, d->kind, file);
	if (!d->name || !*d->name)
		return dbr__err(DBR_EPLUGIN, NULL, "plugin %s has no name", file);
	return check_ops(k, d->ops, file);
}

/* The descriptor of an open module, checked. */
static int describe(const dbr_plugin_desc **out, const kind_def *k, lt_dlhandle h,
                    const char *file)
{
	void *sym = lt_dlsym(h, k->symbol);
	if (!sym) {
		if (lt_dlsym(h, other_kind(k)->symbol))
			return wrong_kind(k, other_kind(k)->kind, file);
		return dbr__err(DBR_EPLUGIN, NULL, "%s does not export %s: it is not a "
		                "dbrouter %s plugin", file, k->symbol, k->word);
	}
	dbr_entry_fn entry;
	memcpy(&entry, &sym, sizeof entry); /* object to function pointer */
	dbr__err_clear();
	const dbr_plugin_desc *d = entry(&dbr__host);
	if (!d) {
		const char *m = dbr_error_last()->message;
		char *why = dbr__strdup(*m ? m : "no reason given");
		int rc = dbr__err(DBR_EPLUGIN, NULL, "plugin %s refused to load: %s", file,
		                  why ? why : "out of memory");
		free(why);
		return rc;
	}
	*out = d;
	return check_desc(k, d, file);
}

/* ------------------------------------------------------------ records */

static char *real_file(lt_dlhandle h)
{
	const lt_dlinfo *info = lt_dlgetinfo(h);
	const char *f = info && info->filename ? info->filename : "?";
	char *r = realpath(f, NULL);
	return r ? r : dbr__strdup(f);
}

static record *lookup(const char *path)
{
	for (record *r = loaded; r; r = r->next)
		if (strcmp(r->p.path, path) == 0)
			return r;
	return NULL;
}

static int add_record(dbr__plugin **out, const kind_def *k, lt_dlhandle h,
                      const dbr_plugin_desc *d, char *path)
{
	record *r = calloc(1, sizeof *r);
	if (!r)
		return dbr__err(DBR_ENOMEM, NULL, "out of memory");
	if (k->resident && lt_dlmakeresident(h) != 0) {
		free(r);
		return dbr__err(DBR_EPLUGIN, NULL, "cannot make %s resident: %s", path, dlerr());
	}
	/* Normalised once: the host's full table, zero beyond the plugin's. */
	size_t size = *(const size_t *)d->ops;
	memcpy(&r->p.ops, d->ops, size < k->ops_size ? size : k->ops_size);
	memcpy(&r->p.ops, &k->ops_size, sizeof k->ops_size);
	r->p.path = path;
	r->p.handle = h;
	r->p.desc = d;
	r->p.refs = 1;
	r->p.info = (dbr_plugin_info){
		.kind = k->word, .name = d->name,
		.version = d->version ? d->version : "",
		.description = d->description ? d->description : "",
		.abi_major = d->abi_major, .abi_minor = d->abi_minor, .path = path,
	};
	r->next = loaded;
	loaded = r;
	dbr__logm(DBR_LOG_INFO, "loader", "loaded %s \"%s\" %s (plugin ABI %d.%d) from %s", k->word, d->name, r->p.info.version, d->abi_major, d->abi_minor, path);
	*out = &r->p;
	return 0;
}

/* An open handle: reuse its record, or check it and make one. */
static int adopt(dbr__plugin **out, const kind_def *k, lt_dlhandle h)
{
	char *path = real_file(h);
	if (!path) {
		lt_dlclose(h);
		return dbr__err(DBR_ENOMEM, NULL, "out of memory");
	}
	record *r = lookup(path);
	int rc = 0;
	if (r) {
		/* libltdl counted this open too; our record keeps its own. A
		 * resident module refuses to close, but the count drops. */
		lt_dlclose(h);
		if (r->p.desc->kind != k->kind)
			rc = wrong_kind(k, r->p.desc->kind, path);
		else
			r->p.refs++, *out = &r->p;
		free(path);
		return rc;
	}
	const dbr_plugin_desc *d = NULL;
	rc = describe(&d, k, h, path);
	if (rc == 0)
		rc = add_record(out, k, h, d, path);
	if (rc) {
		lt_dlclose(h);
		free(path);
	}
	return rc;
}

int dbr__plugin_load(dbr__plugin **out, dbr_plugin_kind kind, const char *name,
                     const char *plugin_path)
{
	const kind_def *k = kind_of(kind);
	if (!out || !k || !name || !*name)
		return dbr__err(DBR_EINVAL, NULL, "dbr__plugin_load: bad arguments");
	*out = NULL;
	pthread_once(&once, init);
	if (init_error[0])
		return dbr__err(DBR_EPLUGIN, NULL, "cannot load plugins: %s", init_error);

	search s = { .k = k, .name = name };
	pthread_mutex_lock(&lock);
	int rc = find(&s, plugin_path);
	if (rc == 0)
		rc = adopt(out, k, s.h);
	pthread_mutex_unlock(&lock);
	dbr__buf_free(&s.tried);
	free(s.last_error);
	return rc;
}

static void unlink_record(record *r)
{
	for (record **pp = &loaded; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			return;
		}
}

void dbr__plugin_release(dbr__plugin *p)
{
	if (!p)
		return;
	record *r = (record *)p;
	pthread_mutex_lock(&lock);
	/* Drivers stay resident: keep their record for the next load. */
	int unload = --p->refs == 0 && p->desc->kind != DBR_PLUGIN_DRIVER;
	if (unload) {
		unlink_record(r);
		lt_dlclose((lt_dlhandle)p->handle);
	}
	pthread_mutex_unlock(&lock);
	if (unload) {
		free(p->path);
		free(r);
	}
}
