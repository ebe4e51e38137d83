#define _GNU_SOURCE /* memmem, strchrnul */
#include "fix/test_path.h"

#include "runner/pytest.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/proc.h"
#include "util/xalloc.h"

#include <dirent.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading pytest's configuration ----------------------------------------------- */

static int is_blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* push the words of <s, len> as shlex.split() makes them (quotes group, no escapes) */
static void push_words(struct strvec *out, const char *s, size_t len)
{
	const char *end = s + len;
	struct buf word = BUF_INIT;

	while (s < end) {
		int quote = 0, any = 0;
		while (s < end && (is_blank(*s) || *s == '\n'))
			s++;
		buf_reset(&word);
		/* a line ends a word, an unclosed quote's too */
		for (; s < end && *s != '\n' && (quote || !is_blank(*s)); s++) {
			any = 1;
			if (quote && *s == quote)
				quote = 0;
			else if (!quote && (*s == '"' || *s == '\''))
				quote = *s;
			else
				buf_addch(&word, *s);
		}
		if (any)
			strvec_push(out, word.ptr);
	}
	buf_release(&word);
}

/* <s, e> without blanks (and with `quotes`, the quotes) around it */
static void trim(const char **s, const char **e, int quotes)
{
	while (*s < *e && (is_blank(**s) || (quotes && (**s == '"' || **s == '\''))))
		(*s)++;
	while (*e > *s && (is_blank((*e)[-1]) || (quotes && ((*e)[-1] == '"' || (*e)[-1] == '\''))))
		(*e)--;
}

static int name_is(const char *s, const char *e, const char *name)
{
	size_t n = strlen(name);
	return (size_t)(e - s) == n && !memcmp(s, name, n);
}

/* a TOML string at *p (a quote), its text pushed as one word; *p past it */
static void toml_string(struct strvec *out, const char **p, const char *end)
{
	int quote = **p;
	struct buf text = BUF_INIT;
	const char *s = *p + 1;

	for (; s < end && *s != quote && *s != '\n'; s++) {
		if (quote == '"' && *s == '\\' && s + 1 < end && s[1] != '\n')
			s++;
		buf_addch(&text, *s);
	}
	*p = s < end && *s == quote ? s + 1 : s;
	strvec_push(out, text.ptr);
	buf_release(&text);
}

/* a TOML value at `p`: a string (split into words, as pytest does) or an array of strings */
static void toml_value(struct strvec *out, const char *p, const char *end)
{
	while (p < end && is_blank(*p))
		p++;
	if (p < end && (*p == '"' || *p == '\'')) {
		struct strvec one = STRVEC_INIT;
		toml_string(&one, &p, end);
		push_words(out, one.v[0], strlen(one.v[0]));
		strvec_clear(&one);
		return;
	}
	if (p >= end || *p != '[')
		return;
	for (p++; p < end && *p != ']';) {
		if (*p == '"' || *p == '\'') {
			toml_string(out, &p, end);
		} else if (*p == '#') {
			while (p < end && *p != '\n')
				p++;
		} else if (*p == '[' || *p == '=') {
			return;   /* not an array of strings: what was read stands */
		} else {
			p++;
		}
	}
}

int test_path_config_value(struct strvec *out, const char *text, size_t len,
			   enum test_path_config kind, const char *key)
{
	const char *section = kind == TEST_PATH_SETUP_CFG ? "tool:pytest" :
			      kind == TEST_PATH_PYPROJECT ? "tool.pytest.ini_options" : "pytest";
	const char *p = text, *end = text + len, *eol, *s, *e;
	int in = 0, seen = 0, found = 0;

	for (; p < end; p = eol + (eol < end)) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		for (s = p; s < eol && is_blank(*s); s++)
			;
		if (s == eol || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			for (e = ++s; e < eol && *e != ']'; e++)
				;
			trim(&s, &e, kind == TEST_PATH_PYPROJECT);
			in = name_is(s, e, section);
			seen |= in;
			continue;
		}
		if (!in || (s > p && kind != TEST_PATH_PYPROJECT))
			continue;   /* another section, or an ini continuation line */
		for (e = s; e < eol && *e != '=' && (kind == TEST_PATH_PYPROJECT || *e != ':'); e++)
			;
		if (e == eol)
			continue;
		{
			const char *value = e + 1, *ks = s, *ke = e;
			trim(&ks, &ke, kind == TEST_PATH_PYPROJECT);
			if (!name_is(ks, ke, key))
				continue;
			/* the last one wins, as in a dict */
			strvec_clear(out);
			found = 1;
			if (kind == TEST_PATH_PYPROJECT) {
				toml_value(out, value, end);
				continue;
			}
			/* the value and its continuation lines (indented) */
			while (eol < end) {
				const char *next = eol + 1, *nl = memchr(next, '\n', (size_t)(end - next));
				const char *t = next;
				if (!nl)
					nl = end;
				while (t < nl && is_blank(*t))
					t++;
				if (t == next || t == nl)
					break;
				eol = nl;
			}
			push_words(out, value, (size_t)(eol - value));
		}
	}
	return found ? 1 : seen ? 0 : -1;
}

/* ---- which configuration file pytest reads ----------------------------------------- */

static const struct {
	const char *name;
	enum test_path_config kind;
	int needs_section;   /* only a file with pytest's section counts */
} config_files[] = {
	{ "pytest.ini", TEST_PATH_INI, 0 },
	{ ".pytest.ini", TEST_PATH_INI, 0 },
	{ "pyproject.toml", TEST_PATH_PYPROJECT, 1 },
	{ "tox.ini", TEST_PATH_TOX, 1 },
	{ "setup.cfg", TEST_PATH_SETUP_CFG, 1 },
};

struct config {
	struct buf dir;        /* the rootdir: the file's directory (the project root without one) */
	struct buf file;       /* its path; empty: none */
	const char *shown;     /* "pytest.ini", "the [pytest] section of tox.ini", ... */
	struct strvec python_files, testpaths, norecursedirs;
	int has_python_files, has_testpaths, has_norecursedirs;
};

static void config_release(struct config *c)
{
	buf_release(&c->dir);
	buf_release(&c->file);
	strvec_clear(&c->python_files);
	strvec_clear(&c->testpaths);
	strvec_clear(&c->norecursedirs);
}

static const char *config_shown(enum test_path_config kind)
{
	switch (kind) {
	case TEST_PATH_TOX:
		return "the [pytest] section of tox.ini";
	case TEST_PATH_SETUP_CFG:
		return "the [tool:pytest] section of setup.cfg";
	case TEST_PATH_PYPROJECT:
		return "the [tool.pytest.ini_options] table of pyproject.toml";
	case TEST_PATH_INI:
		break;
	}
	return NULL;
}

/* `-o NAME=VALUE` / `--override-ini` among the user's arguments: the last one's words */
static int override_value(struct strvec *out, const struct strvec *args, const char *key)
{
	size_t i, n = strlen(key);
	int found = 0;

	for (i = 0; args && i < args->nr; i++) {
		const char *a = args->v[i], *v = NULL;
		if ((!strcmp(a, "-o") || !strcmp(a, "--override-ini")) && i + 1 < args->nr)
			v = args->v[++i];
		else if (!strncmp(a, "--override-ini=", 15))
			v = a + 15;
		else if (!strncmp(a, "-o", 2))
			v = a + 2;
		if (v && !strncmp(v, key, n) && v[n] == '=') {
			strvec_clear(out);
			push_words(out, v + n + 1, strlen(v + n + 1));
			found = 1;
		}
	}
	return found;
}

static void config_setting(struct strvec *out, int *has, const char *text, size_t len,
			   enum test_path_config kind, const char *key, const struct strvec *args,
			   const char *const *dflt)
{
	*has = text && test_path_config_value(out, text, len, kind, key) == 1;
	if (override_value(out, args, key))
		*has = 1;
	if (!*has)
		strvec_pushv(out, dflt);
}

/* the configuration pytest reads when it runs in `root` (no -c / --rootdir: see the header) */
static void config_find(struct config *c, const char *root, const struct strvec *args)
{
	static const char *const dflt_files[] = { TEST_PATH_DEFAULT_PYTHON_FILES, NULL };
	static const char *const dflt_norecurse[] = { TEST_PATH_DEFAULT_NORECURSEDIRS, NULL };
	static const char *const none[] = { NULL };
	struct buf dir = BUF_INIT, text = BUF_INIT, path = BUF_INIT;
	enum test_path_config kind = TEST_PATH_INI;
	size_t i;

	buf_adds(&dir, root);
	for (;;) {
		for (i = 0; i < ARRAY_SIZE(config_files) && !c->file.len; i++) {
			struct strvec probe = STRVEC_INIT;
			buf_reset(&path);
			buf_addf(&path, "%s/%s", dir.len ? dir.ptr : "", config_files[i].name);
			buf_reset(&text);
			if (fs_read_file(&text, path.ptr, TEST_PATH_MAX_CONFIG) < 0)
				continue;
			if (!config_files[i].needs_section ||
			    test_path_config_value(&probe, text.ptr, text.len, config_files[i].kind,
						   "python_files") >= 0) {
				buf_adds(&c->file, path.ptr);
				buf_adds(&c->dir, dir.len ? dir.ptr : "/");
				kind = config_files[i].kind;
				c->shown = config_shown(kind);
			}
			strvec_clear(&probe);
		}
		if (c->file.len || !dir.len || !strrchr(dir.ptr, '/'))
			break;
		buf_setlen(&dir, (size_t)(strrchr(dir.ptr, '/') - dir.ptr));
	}
	if (!c->file.len) {
		buf_reset(&text);
		buf_adds(&c->dir, root);
	} else if (!c->shown) {
		c->shown = strrchr(c->file.ptr, '/') + 1;
	}
	config_setting(&c->python_files, &c->has_python_files, c->file.len ? text.ptr : NULL,
		       text.len, kind, "python_files", args, dflt_files);
	config_setting(&c->testpaths, &c->has_testpaths, c->file.len ? text.ptr : NULL, text.len,
		       kind, "testpaths", args, none);
	config_setting(&c->norecursedirs, &c->has_norecursedirs, c->file.len ? text.ptr : NULL,
		       text.len, kind, "norecursedirs", args, dflt_norecurse);
	buf_release(&dir);
	buf_release(&text);
	buf_release(&path);
}

/* ---- asking pytest ----------------------------------------------------------------- */

/*
 * The node ids pytest collects in `o->root` (of `path` alone, or the whole
 * suite: NULL); 1 when it cannot say (a run cut short, its output capped)
 */
static int collect(struct strvec *ids, const struct test_path_options *o, const char *path)
{
	struct pytest_options po = PYTEST_OPTIONS_INIT;
	struct strvec argv = STRVEC_INIT, env = STRVEC_INIT;
	struct proc_options pro = PROC_OPTIONS_INIT;
	struct proc_result pr = PROC_RESULT_INIT;
	const char *line, *eol;
	int err;

	po.root = o->root;
	po.command = o->pytest_cmd;
	po.choice = o->choice;
	if ((err = pytest_resolve_command(&argv, &po)) < 0)
		goto done;
	/* no .pytest_cache or __pycache__ left in the user's checkout */
	strvec_pushv(&argv, (const char *const[]){ "-p", "no:cacheprovider", "--color=no",
			      "--continue-on-collection-errors", NULL });
	if (o->pytest_args)
		strvec_pushv(&argv, o->pytest_args->v);
	/* after the user's arguments and addopts: one node id a line, whatever they say */
	strvec_pushv(&argv, (const char *const[]){ "--collect-only", "--verbosity=-1", NULL });
	if (path)
		strvec_push(&argv, path);
	strvec_push(&env, "PYTHONDONTWRITEBYTECODE=1");
	pro.argv = argv.v;
	pro.env = &env;
	pro.cwd = o->root;
	pro.timeout_ms = TEST_PATH_COLLECT_TIMEOUT * 1000;
	if ((err = proc_run(&pr, &pro)) < 0)
		goto done;
	if (pr.interrupted) {
		err = error_setc(ERR_INTERRUPTED, "interrupted while pytest collected the tests");
		goto done;
	}
	if (pr.timed_out || pr.out_omitted) {
		/* not every id was seen: nothing can be said */
		err = 1;
		goto done;
	}
	if (pr.exit_code == 4) {   /* pytest's usage error */
		struct buf msg = BUF_INIT;
		buf_adds(&msg, "pytest rejected its arguments");
		pytest_add_output_tail(&msg, &pr);
		err = error_setc(ERR_USAGE, "%s", msg.ptr);
		buf_release(&msg);
		goto done;
	}
	for (line = pr.out.ptr; *line; line = eol + (*eol == '\n')) {
		eol = strchrnul(line, '\n');
		if (line[0] != ' ' && line[0] != '=' && memmem(line, (size_t)(eol - line), "::", 2)) {
			char *id = xstrndup(line, (size_t)(eol - line));
			strvec_push(ids, id);
			free(id);
		}
	}
done:
	proc_result_release(&pr);
	strvec_clear(&argv);
	strvec_clear(&env);
	return err;
}

/* ---- saying why -------------------------------------------------------------------- */

static int matches_any(const struct strvec *patterns, const char *name)
{
	size_t i;
	for (i = 0; i < patterns->nr; i++)
		if (!fnmatch(patterns->v[i], name, 0))
			return 1;
	return 0;
}

/* "NAME (VALUES, set in pytest.ini)" / "NAME (VALUES, pytest's default)" */
static void add_setting(struct buf *msg, const char *name, const struct strvec *v,
			const struct config *c, int has)
{
	size_t i;

	buf_addf(msg, "%s (", name);
	for (i = 0; i < v->nr; i++)
		buf_addf(msg, "%s%s", i ? " " : "", v->v[i]);
	if (has)
		buf_addf(msg, ", set in %s)", c->shown);
	else
		buf_adds(msg, ", pytest's default)");
}

/* "to python_files in pytest.ini" / "... in a [pytest] section of a new pytest.ini" */
static void add_where(struct buf *msg, const struct config *c)
{
	if (c->file.len)
		buf_addf(msg, " in %s", c->shown);
	else
		buf_adds(msg, " in the [pytest] section of a pytest.ini at the project root");
}

/* 1 when `rel` (rootdir-relative) lies under one of testpaths (directories or globs) */
static int under_testpaths(const struct strvec *testpaths, const char *rel)
{
	size_t i;

	for (i = 0; i < testpaths->nr; i++) {
		const char *t = testpaths->v[i];
		size_t n = strlen(t);
		char *prefix = xstrdup(rel);
		char *slash;
		int hit;

		while (n && t[n - 1] == '/')
			n--;
		if (!strncmp(t, "./", 2)) {
			t += 2;
			n -= 2;
		}
		hit = !n || (!strncmp(rel, t, n) && (rel[n] == '/' || !rel[n]));
		/* a glob: one of rel's leading parts matches it */
		for (slash = prefix + strlen(prefix); !hit; slash = strrchr(prefix, '/')) {
			*slash = 0;
			hit = !fnmatch(t, prefix, FNM_PATHNAME);
			if (!strchr(prefix, '/'))
				break;
		}
		free(prefix);
		if (hit)
			return 1;
	}
	return 0;
}

/* a pattern that would take `name` in: "check_*.py" for check_calc.py, else the name */
static void suggest_pattern(struct buf *out, const char *name)
{
	const char *cut = strchr(name, '_');
	size_t len = strlen(name);

	if (cut && cut > name && len > 3 && !strcmp(name + len - 3, ".py") && cut < name + len - 3)
		buf_addf(out, "%.*s*.py", (int)(cut - name + 1), name);
	else
		buf_adds(out, name);
}

/*
 * The setting that leaves `rel` (rootdir-relative; `file` one of its test
 * files, rootdir-relative) out of the whole suite, said in `msg`
 */
static void explain(struct buf *msg, const struct config *c, const char *rel, int is_dir,
		    const char *file)
{
	char *dirs = xstrdup(rel), *part, *save = NULL, *last;
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	size_t i;

	if (c->testpaths.nr && !under_testpaths(&c->testpaths, rel)) {
		buf_adds(msg, "it lies outside ");
		add_setting(msg, "testpaths", &c->testpaths, c, 1);
		buf_addf(msg, "; add its directory to testpaths in %s", c->shown);
		goto done;
	}
	/* the directories pytest recurses into to reach it */
	last = is_dir ? NULL : strrchr(dirs, '/');
	if (!is_dir)
		*(last ? last : dirs) = 0;
	for (part = strtok_r(dirs, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
		for (i = 0; i < c->norecursedirs.nr; i++) {
			if (fnmatch(c->norecursedirs.v[i], part, 0))
				continue;
			add_setting(msg, "norecursedirs", &c->norecursedirs, c, c->has_norecursedirs);
			buf_addf(msg, " excludes its directory '%s' (pattern '%s'); remove that pattern "
				 "from norecursedirs", part, c->norecursedirs.v[i]);
			add_where(msg, c);
			goto done;
		}
	}
	if (!matches_any(&c->python_files, base)) {
		buf_addf(msg, "'%s' does not match ", base);
		add_setting(msg, "python_files", &c->python_files, c, c->has_python_files);
		buf_adds(msg, "; add a pattern such as '");
		suggest_pattern(msg, base);
		buf_adds(msg, "' to python_files");
		add_where(msg, c);
		buf_adds(msg, ", or pass '-- -o python_files=...' for this run");
		goto done;
	}
	buf_adds(msg, "neither python_files, testpaths nor norecursedirs explain it: look for "
		 "--ignore in addopts or collect_ignore in a conftest.py");
done:
	free(dirs);
}

/*
 * A directory pytest collects nothing from, given on its command line: the
 * first .py file directly in it that python_files leaves out (as a
 * root-relative path, owned by the caller), or NULL
 */
static char *uncollected_file(const char *dir, const char *root, const struct test_path_options *o)
{
	struct config c = { BUF_INIT, BUF_INIT, NULL, STRVEC_INIT, STRVEC_INIT, STRVEC_INIT, 0, 0, 0 };
	DIR *d = opendir(dir);
	struct dirent *de;
	char *found = NULL;

	if (!d)
		return NULL;
	config_find(&c, root, o->pytest_args);
	while (!found && (de = readdir(d))) {
		size_t n = strlen(de->d_name);
		if (n > 3 && !strcmp(de->d_name + n - 3, ".py") && strcmp(de->d_name, "__init__.py") &&
		    strcmp(de->d_name, "conftest.py") && !matches_any(&c.python_files, de->d_name)) {
			struct buf path = BUF_INIT;
			buf_addf(&path, "%s/%s", dir, de->d_name);
			found = fs_relative_to(path.ptr, root);
			buf_release(&path);
		}
	}
	closedir(d);
	config_release(&c);
	return found;
}

/* the absolute path of the user's test path: relative to the current directory, else the root */
static int resolve(struct buf *out, const struct test_path_options *o)
{
	struct buf under = BUF_INIT;
	int err;

	if (!fs_realpath(out, o->test_path))
		return 0;
	buf_addf(&under, "%s/%s", o->root, o->test_path);
	buf_reset(out);
	err = fs_realpath(out, under.ptr);
	buf_release(&under);
	if (err < 0)
		return error_setc(ERR_USAGE, "--test-path '%s' does not exist (neither in the current "
				  "directory nor under the project root '%s')", o->test_path, o->root);
	return 0;
}

int test_path_check(const struct test_path_options *o)
{
	struct buf abs = BUF_INIT, root = BUF_INIT, msg = BUF_INIT;
	struct strvec alone = STRVEC_INIT, suite = STRVEC_INIT;
	struct config c = { BUF_INIT, BUF_INIT, NULL, STRVEC_INIT, STRVEC_INIT, STRVEC_INIT, 0, 0, 0 };
	char *rel = NULL, *file = NULL;
	size_t i;
	int err;

	if ((err = resolve(&abs, o)) < 0 || (err = fs_realpath(&root, o->root)) < 0)
		goto done;
	if (!(rel = fs_relative_to(abs.ptr, root.ptr))) {
		err = error_setc(ERR_USAGE, "--test-path '%s' is outside the project '%s'",
				 o->test_path, root.ptr);
		goto done;
	}
	if ((err = collect(&alone, o, abs.ptr)) != 0)
		goto done;
	if (!alone.nr && !(fs_is_dir(abs.ptr) && (file = uncollected_file(abs.ptr, root.ptr, o))))
		goto done;   /* no test there at all: the session says "0 failures" */
	if (alone.nr && (err = collect(&suite, o, NULL)) != 0)
		goto done;
	for (i = 0; i < alone.nr; i++)
		if (strvec_find(&suite, alone.v[i]) >= 0)
			goto done;

	config_find(&c, root.ptr, o->pytest_args);
	free(rel);
	rel = fs_relative_to(abs.ptr, c.dir.ptr);
	if (!rel)
		rel = fs_relative_to(abs.ptr, root.ptr);
	/* one of its test files, as the node ids (rootdir-relative) name it */
	if (!file)
		file = xstrndup(alone.v[0], strcspn(alone.v[0], ":"));
	buf_addf(&msg, "pytest does not collect --test-path '%s' when it runs the whole suite, so "
		 "no failure of it can be fixed: ", o->test_path);
	explain(&msg, &c, rel && *rel ? rel : ".", fs_is_dir(abs.ptr), file);
	err = error_setc(ERR_USAGE, "%s", msg.ptr);
done:
	if (err > 0)
		err = 0;   /* pytest could not say: the session goes on, as without the check */
	config_release(&c);
	free(rel);
	free(file);
	strvec_clear(&alone);
	strvec_clear(&suite);
	buf_release(&abs);
	buf_release(&root);
	buf_release(&msg);
	return err;
}
