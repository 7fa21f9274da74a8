/* SPDX-License-Identifier: MIT */
/*
 * conf_parse.c — reading plugins.conf (or settings text) with libconfig:
 * parse errors as FILE:LINE messages, the duplicate-key scan that names the
 * setting set twice, and the entry points that build a dbr__config.
 */
#include <errno.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_private.h"

/* ------------------------------------------------------------ parsing */

/* libconfig reports a duplicate setting by line only; this scanner follows
 * the text's nesting to name it in full ("databases.default"). */
typedef struct dupscan {
	const char *p;
	unsigned line, target;
	int any;          /* take the first name at `target`, repeated or not */
	dbr__buf path;
	struct frame {
		char kind;        /* '{' group, '(' list, '[' array */
		int index;        /* element index in a list or array */
		size_t pathlen;   /* path length at this frame */
		size_t nnames;    /* names[] below this frame's own */
	} frames[64];
	int depth;
	const char *names[256]; /* names seen in the open groups, innermost last */
	size_t nameslen[256];
	size_t nnames;
} dupscan;

static void scan_skip(dupscan *z)
{
	for (;;) {
		const char *p = z->p;
		if (*p == '\n')
			z->line++;
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == '\f')
			z->p++;
		else if (*p == '#' || (p[0] == '/' && p[1] == '/') || *p == '@')
			z->p += strcspn(p, "\n");
		else if (p[0] == '/' && p[1] == '*') {
			const char *e = strstr(p + 2, "*/");
			e = e ? e + 2 : p + strlen(p);
			for (; p < e; p++)
				z->line += *p == '\n';
			z->p = e;
		} else
			return;
	}
}

/* Back to the current frame's own path (a value ended). */
static void scan_trunc(dupscan *z)
{
	z->path.len = z->frames[z->depth].pathlen;
	if (z->path.s)
		z->path.s[z->path.len] = '\0';
}

/* A setting name in a group: 1 if it repeats one at line `target`. */
static int scan_name(dupscan *z, const char *name, size_t len, unsigned line)
{
	scan_trunc(z);
	dbr__buf_printf(&z->path, "%s%.*s", z->path.len ? "." : "", (int)len, name);
	if (z->any && line == z->target)
		return 1;
	for (size_t i = z->frames[z->depth].nnames; i < z->nnames; i++)
		if (z->nameslen[i] == len && memcmp(z->names[i], name, len) == 0 && line == z->target)
			return 1;
	if (z->nnames < NELEM(z->names)) {
		z->names[z->nnames] = name;
		z->nameslen[z->nnames++] = len;
	}
	return 0;
}

/* One punctuation character. Returns -1 when the text is beyond us. */
static int scan_punct(dupscan *z, char ch)
{
	struct frame *f = &z->frames[z->depth];
	if (strchr("{([", ch)) {
		if (f->kind != '{') {
			scan_trunc(z);
			dbr__buf_printf(&z->path, "%s[%d]", z->path.len ? "." : "", f->index);
		}
		if (z->depth + 1 >= (int)NELEM(z->frames))
			return -1;
		z->frames[++z->depth] = (struct frame){ ch, 0, z->path.len, z->nnames };
		return 0;
	}
	if (strchr("})]", ch)) {
		if (z->depth == 0)
			return -1;
		z->nnames = z->frames[z->depth--].nnames;
	} else if (ch == ',' && f->kind != '{') {
		f->index++;
	}
	scan_trunc(z);
	return 0;
}

/* Path of the setting set twice at line `target`, or NULL (caller frees).
 * With `any`, of the first setting named at that line (the first one may
 * come from an @include this scanner does not follow); with `any` == 2, of
 * the last one named there before the text ends. */
static char *dup_path(const char *text, unsigned target, int any)
{
	dupscan z = { .p = text, .line = 1, .target = target, .any = any };
	int found = 0;
	char *last = NULL;
	z.frames[0].kind = '{';
	while (!found) {
		scan_skip(&z);
		const char *p = z.p;
		if (!*p)
			break;
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++)
				p += p[0] == '\\' && p[1];
			z.p = *p ? p + 1 : p;
		} else if (strchr("{}()[],;=:", *p)) {
			z.p++;
			if (*p != '=' && *p != ':' && scan_punct(&z, *p) < 0)
				break;
		} else {
			size_t len = strcspn(p, " \t\r\n\f{}()[],;=:\"#/");
			unsigned line = z.line;
			z.p += len ? len : 1;
			scan_skip(&z);
			if ((*z.p == '=' || *z.p == ':') && strchr(dbr__conf_alias_first, *p) &&
			    z.frames[z.depth].kind == '{')
				found = scan_name(&z, p, len, line);
			if (found && any == 2) {
				free(last);
				last = z.path.oom ? NULL : dbr__strdup(z.path.s);
				found = 0;
			}
		}
	}
	char *out = found && !z.path.oom ? dbr__strdup(z.path.s) : last;
	dbr__buf_free(&z.path);
	return out;
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	dbr__buf b = { 0 };
	char chunk[4096];
	size_t n;
	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		dbr__buf_add(&b, chunk, n);
	int bad = ferror(f);
	fclose(f);
	if (b.oom || bad) {
		dbr__buf_free(&b);
		return NULL;
	}
	return b.s ? b.s : dbr__strdup(""); /* an empty file */
}

/* The path libconfig opened for `f`: an @include is relative to the
 * include dir (the main file's directory). Caller frees. */
static char *opened_path(const dbr__config *c, const config_t *cfg, const char *f)
{
	const char *dir = config_get_include_dir(cfg);
	if (!f)
		return dbr__strdup(c->file);
	if (dir && f[0] != '/' && strcmp(f, c->file) != 0)
		return dbr__asprintf("%s/%s", dir, f);
	return dbr__strdup(f);
}

static int parse_error(const dbr__config *c, const config_t *cfg, const char *text, int err)
{
	if (config_error_type(cfg) == CONFIG_ERR_FILE_IO)
		return dbr__err(DBR_ECONFIG, NULL, "%s: cannot read: %s", c->file, strerror(err));
	char *file = opened_path(c, cfg, config_error_file(cfg)), *owned = NULL, *path = NULL;
	const char *why = config_error_text(cfg) ? config_error_text(cfg) : "parse error";
	int line = config_error_line(cfg);
	if (!file)
		return dbr__conf_oom();
	if (strstr(why, "duplicate") && line > 0) {
		if (config_error_file(cfg))
			text = owned = read_text(file);
		path = text ? dup_path(text, (unsigned)line, 0) : NULL;
		if (!path && text)
			path = dup_path(text, (unsigned)line, 1);
	}
	int rc = path ? dbr__err(DBR_ECONFIG, NULL, "%s:%d: %s: set twice (duplicate setting name)",
	                         file, line, path)
	              : dbr__err(DBR_ECONFIG, NULL, "%s:%d: %s", file, line, why);
	free(file);
	free(owned);
	free(path);
	return rc;
}

/* An integer literal beyond 64 bits at `line` of the main text: the
 * setting is the last one named before it. */
static int too_big(const dbr__config *c, const char *text, unsigned line, size_t at)
{
	char *head = dbr__strndup(text, at);
	char *path = head ? dup_path(head, line, 2) : NULL;
	free(head);
	int rc = dbr__err(DBR_ECONFIG, NULL, "%s:%u: %s%sinteger out of range: it does not fit in 64 bits",
	                  c->file, line, path ? path : "", path ? ": " : "");
	free(path);
	return rc;
}

/* A new config named `file`, parsed from the file `path` or from `text`
 * (read whole first: every integer is widened to 64 bits). */
static int config_read_new(dbr__config **out, const char *file, const char *path, const char *text)
{
	dbr__config *c = calloc(1, sizeof(*c));
	config_t *cfg = calloc(1, sizeof(*cfg));
	*out = NULL;
	if (!c || !cfg || !(c->file = dbr__strdup(file))) {
		free(c);
		free(cfg);
		return dbr__conf_oom();
	}
	config_init(cfg);
	c->cfg = cfg;
	char *owned = NULL, *wide = NULL;
	if (path) {
		/* @include is relative to the including file's directory */
		const char *slash = strrchr(path, '/');
		char *dir = slash ? dbr__strndup(path, (size_t)(slash - path + (slash == path))) : NULL;
		if (dir)
			config_set_include_dir(cfg, dir);
		free(dir);
		if (!(text = owned = read_text(path))) {
			int rc = dbr__err(DBR_ECONFIG, NULL, "%s: cannot read: %s", c->file, strerror(errno));
			dbr__config_free(c);
			return rc;
		}
	}
	unsigned line = 0;
	size_t at = 0;
	int rc = dbr__conf_widen_ints(&wide, &line, &at, text);
	if (rc == 0 && !config_read_string(cfg, wide))
		rc = parse_error(c, cfg, text, errno);
	else if (rc == DBR_ERANGE)
		rc = too_big(c, text, line, at);
	else if (rc)
		rc = dbr__conf_oom();
	free(wide);
	free(owned);
	if (rc) {
		dbr__config_free(c);
		return rc;
	}
	/* set after reading: a read replaces the root */
	config_setting_set_hook(config_root_setting(cfg), c);
	*out = c;
	return 0;
}

static int load(dbr__config **out, const char *file, const char *path, const char *text)
{
	dbr__config *c;
	*out = NULL;
	int rc = config_read_new(&c, file, path, text);
	if (rc)
		return rc;
	const config_setting_t *root = config_root_setting((config_t *)c->cfg);
	rc = dbr__conf_dispatch(c, root, dbr__conf_top_keys, NELEM(dbr__conf_top_keys));
	if (rc == 0 && !c->dbs)
		rc = dbr__conf_fail(root, "databases", "missing: a group of databases, with at least "
		          "default = { url = \"...\"; }");
	if (rc) {
		dbr__config_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

int dbr__config_load_file(dbr__config **out, const char *path)
{
	if (!path)
		return dbr__err(DBR_EINVAL, NULL, "no configuration file given");
	return load(out, path, path, NULL);
}

int dbr__config_load_string(dbr__config **out, const char *text)
{
	return load(out, "<string>", NULL, text ? text : "");
}

int dbr__config_parse_database(dbr__dbconf *out, const char *alias, const char *url,
                               const char *settings)
{
	dbr__config *c;
	memset(out, 0, sizeof(*out));
	if (!url)
		return dbr__err(DBR_ECONFIG, NULL, "<dbr_add_database>: url: missing");
	int rc = config_read_new(&c, "<dbr_add_database>", NULL, settings ? settings : "");
	if (rc)
		return rc;
	rc = dbr__conf_db_fill(out, config_root_setting((config_t *)c->cfg), alias, url);
	dbr__config_free(c);
	if (rc)
		dbr__dbconf_clear(out);
	return rc;
}

int dbr__config_parse_router(dbr__config **out, const char *name, const char *settings)
{
	dbr__config *c;
	*out = NULL;
	if (!name || !*name)
		return dbr__err(DBR_ECONFIG, NULL, "<dbr_add_router>: name: missing (the router module to load)");
	int rc = config_read_new(&c, "<dbr_add_router>", NULL, settings ? settings : "");
	if (rc)
		return rc;
	const config_setting_t *root = config_root_setting((config_t *)c->cfg);
	const config_setting_t *s = config_setting_get_member(root, "name");
	dbr__rconf *r = c->routers = calloc(1, sizeof(*c->routers));
	if (!r)
		rc = dbr__conf_oom();
	else if (s)
		rc = dbr__conf_fail(s, NULL, "not allowed here: the router's name is given as an argument");
	else {
		c->nrouters = 1;
		r->node = (const dbr_conf *)root;
		r->name = dbr__strdup(name);
		r->where = dbr__strdup(c->file);
		s = config_setting_get_member(root, "module");
		rc = !r->name || !r->where ? dbr__conf_oom() : s ? dbr__conf_take_string(&r->module, s, 1) : 0;
	}
	if (rc) {
		dbr__config_free(c);
		return rc;
	}
	*out = c;
	return 0;
}


int dbr__config_parse_routers(dbr__config **out, const char *text)
{
	dbr__config *c;
	*out = NULL;
	/* "routers = <text>" on the text's own first line keeps its line
	 * numbers; libconfig makes the final ';' optional */
	int empty = !text || !text[strspn(text, " \t\r\n")];
	char *wrapped = empty ? dbr__strdup("routers = ();") : dbr__asprintf("routers = %s\n", text);
	if (!wrapped)
		return dbr__conf_oom();
	int rc = config_read_new(&c, "<dbr_set_routers>", NULL, wrapped);
	free(wrapped);
	if (rc)
		return rc;
	rc = dbr__conf_dispatch(c, config_root_setting((config_t *)c->cfg), dbr__conf_routers_only,
	                        NELEM(dbr__conf_routers_only));
	if (rc) {
		dbr__config_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void dbr__config_free(dbr__config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->ndbs; i++)
		dbr__dbconf_clear(&c->dbs[i]);
	free(c->dbs);
	for (size_t i = 0; i < c->nrouters; i++) {
		free(c->routers[i].name);
		free(c->routers[i].module);
		free(c->routers[i].where);
	}
	free(c->routers);
	free(c->file);
	free(c->plugin_path);
	free(c->token_secret);
	for (size_t i = 0; i < c->nwrite_functions; i++)
		free(c->write_functions[i]);
	free(c->write_functions);
	if (c->cfg) {
		config_destroy(c->cfg);
		free(c->cfg);
	}
	free(c);
}
