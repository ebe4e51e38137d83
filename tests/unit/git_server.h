#ifndef TESTS_GIT_SERVER_H
#define TESTS_GIT_SERVER_H

/*
 * A git "server" for the unit tests of remote operations: bare
 * repositories under a private directory, reachable as a path or over
 * HTTP with Basic auth (tests/fakes/git_http.py running `git http-backend`),
 * and the real git command to look at them. Included by the test programs
 * after cmocka, jansson, util/buf.h, util/fs.h, util/proc.h and
 * fake_server.h.
 */

#define GIT_HTTP_FAKE FIXTURES_DIR "/../fakes/git_http.py"
#define GIT_SERVER_TIMEOUT_MS 60000
/* the token the HTTP server takes: long enough to be a registered secret */
#define GIT_SERVER_TOKEN "ghs_test0token0for0the0git0server"

struct git_server {
	struct buf dir;           /* private: srv/ (bare repositories), work/ */
	struct buf bare;          /* dir/srv/NAME.git */
	struct buf work;          /* dir/work: a clone to make commits in */
	char url[256];            /* the bare repository over HTTP, when started */
	struct fake http;
	int http_started;
};

/* git with the NULL-terminated arguments in `cwd`: its exit code, stdout in `out` (may be NULL) */
static int git_server_git(struct buf *out, const char *cwd, ...)
{
	struct proc_options opts = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	struct strvec argv = STRVEC_INIT;
	const char *arg;
	va_list ap;
	int code;

	strvec_pushv(&argv, (const char *const[]){ "git", "-c", "user.name=Dev", "-c",
						   "user.email=dev@example.invalid", NULL });
	va_start(ap, cwd);
	while ((arg = va_arg(ap, const char *)))
		strvec_push(&argv, arg);
	va_end(ap);
	opts.argv = argv.v;
	opts.cwd = cwd;
	opts.timeout_ms = GIT_SERVER_TIMEOUT_MS;
	assert_int_equal(proc_run(&res, &opts), 0);
	code = res.signal || res.timed_out ? -1 : res.exit_code;
	if (out) {
		buf_reset(out);
		buf_add(out, res.out.ptr, res.out.len);
		buf_rtrim(out);
	}
	if (code)
		print_message("git %s: %s\n", argv.v[5], res.err.ptr);
	proc_result_release(&res);
	strvec_clear(&argv);
	return code;
}

static void git_server_write(const char *dir, const char *rel, const char *text)
{
	struct buf path = BUF_INIT;
	char *slash;

	buf_addf(&path, "%s/%s", dir, rel);
	slash = strrchr(path.ptr, '/');
	*slash = '\0';
	assert_int_equal(fs_mkdir_p(path.ptr, 0755), 0);
	*slash = '/';
	assert_int_equal(fs_write_atomic(path.ptr, text, strlen(text), 0644), 0);
	buf_release(&path);
}

/* the commit branch `branch` of the bare repository is at, into `out` ("" if none) */
static void git_server_head(char out[41], struct git_server *s, const char *branch)
{
	struct buf got = BUF_INIT, ref = BUF_INIT;

	buf_addf(&ref, "refs/heads/%s", branch);
	out[0] = '\0';
	if (!git_server_git(&got, s->bare.ptr, "rev-parse", "--verify", "-q", ref.ptr, NULL))
		snprintf(out, 41, "%s", got.ptr);
	buf_release(&got);
	buf_release(&ref);
}

/* commit `rel` = `text` in the work clone and push it to `branch`; the new head into `out` */
static void git_server_commit(char out[41], struct git_server *s, const char *branch,
			      const char *rel, const char *text, const char *message)
{
	struct buf spec = BUF_INIT;

	git_server_write(s->work.ptr, rel, text);
	assert_int_equal(git_server_git(NULL, s->work.ptr, "add", "-A", NULL), 0);
	assert_int_equal(git_server_git(NULL, s->work.ptr, "commit", "-q", "-m", message, NULL), 0);
	buf_addf(&spec, "HEAD:refs/heads/%s", branch);
	assert_int_equal(git_server_git(NULL, s->work.ptr, "push", "-q", s->bare.ptr, spec.ptr,
					NULL), 0);
	git_server_head(out, s, branch);
	buf_release(&spec);
}

/*
 * A bare repository `name`.git whose branch `branch` holds `files` (pairs
 * of path and text, NULL-terminated) in one commit, its id into `head`.
 */
static void git_server_init(struct git_server *s, const char *name, const char *branch,
			    const char *const *files, char head[41])
{
	size_t i;

	memset(s, 0, sizeof(*s));
	buf_init(&s->dir, 0);
	buf_init(&s->bare, 0);
	buf_init(&s->work, 0);
	assert_int_equal(fs_mkdtemp(&s->dir, "pf-git-server"), 0);
	buf_addf(&s->bare, "%s/srv/%s.git", s->dir.ptr, name);
	buf_addf(&s->work, "%s/work", s->dir.ptr);
	assert_int_equal(fs_mkdir_p(s->bare.ptr, 0755), 0);
	assert_int_equal(fs_mkdir_p(s->work.ptr, 0755), 0);
	assert_int_equal(git_server_git(NULL, s->bare.ptr, "init", "-q", "--bare", "-b", branch,
					NULL), 0);
	assert_int_equal(git_server_git(NULL, s->work.ptr, "init", "-q", "-b", branch, NULL), 0);
	for (i = 0; files[i] && files[i + 1]; i += 2)
		git_server_write(s->work.ptr, files[i], files[i + 1]);
	git_server_commit(head, s, branch, files[0], files[1], "the project, with its bug");
}

/* serve the bare repositories over HTTP, asking for `token` (NULL: no auth) */
static void git_server_start_http(struct git_server *s, const char *token)
{
	char *argv[] = { "python3", GIT_HTTP_FAKE, s->http.script, "120", NULL };
	json_t *script;
	char *text;
	const char *name = strrchr(s->bare.ptr, '/') + 1;
	struct buf root = BUF_INIT;

	fake_init(&s->http, "pf-git-http");
	buf_add(&root, s->bare.ptr, (size_t)(name - 1 - s->bare.ptr));
	script = json_pack("{s:s, s:s}", "root", root.ptr, "log", s->http.log);
	if (token)
		json_object_set_new(script, "token", json_string(token));
	buf_release(&root);
	text = json_dumps(script, 0);
	fake_spawn(&s->http, text, argv);
	snprintf(s->url, sizeof(s->url), "%s/%s", s->http.base, name);
	s->http_started = 1;
	free(text);
	json_decref(script);
}

/* 1 when some file under `dir` (recursively) holds `needle` */
static int git_server_tree_holds(const char *dir, const char *needle)
{
	struct proc_options opts = PROC_OPTIONS_INIT;
	struct proc_result res = PROC_RESULT_INIT;
	const char *argv[] = { "grep", "-r", "-l", "-F", "-a", "--", needle, dir, NULL };
	int found;

	opts.argv = argv;
	opts.timeout_ms = GIT_SERVER_TIMEOUT_MS;
	assert_int_equal(proc_run(&res, &opts), 0);
	assert_true(res.exit_code == 0 || res.exit_code == 1);
	found = res.exit_code == 0;
	if (found)
		print_message("'%s' found in: %s\n", needle, res.out.ptr);
	proc_result_release(&res);
	return found;
}

static void git_server_release(struct git_server *s)
{
	if (s->http_started)
		fake_stop(&s->http);
	fs_remove_tree(s->dir.ptr);
	buf_release(&s->dir);
	buf_release(&s->bare);
	buf_release(&s->work);
}

/*
 * No user's or system's git configuration, no GIT_* variable: before
 * libgit2 is first initialised (it reads HOME then). `home` is the caller's.
 */
static void git_server_isolate(struct buf *home)
{
	static const char *const unset[] = {
		"GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
		"GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL",
		"GIT_CONFIG", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_COUNT",
		"GIT_CONFIG_PARAMETERS", "XDG_CONFIG_HOME", "EMAIL", "GITHUB_TOKEN",
	};
	size_t i;

	for (i = 0; i < sizeof(unset) / sizeof(unset[0]); i++)
		unsetenv(unset[i]);
	if (fs_mkdtemp(home, "pf-test-git-home") < 0) {
		fprintf(stderr, "%s\n", error_last());
		exit(1);
	}
	setenv("HOME", home->ptr, 1);
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("GIT_TERMINAL_PROMPT", "0", 1);
}

#endif
