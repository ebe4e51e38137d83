#ifndef TESTS_FAKE_SERVER_H
#define TESTS_FAKE_SERVER_H

/*
 * A loopback fake of a remote service for the unit tests: a Python script
 * of tests/fakes/ that binds 127.0.0.1, prints its port on its first line
 * and records every request it gets as JSON lines in `log`. Included by the
 * test programs after cmocka, jansson, util/buf.h and util/fs.h.
 */

#define FAKE_START_MS 10000

struct fake {
	pid_t pid;
	int stdin_fd;
	struct buf dir;          /* a private directory for the script and the log */
	char base[128];          /* http://127.0.0.1:PORT */
	char script[4096];       /* dir/script.json */
	char log[4096];          /* dir/requests.jsonl */
};

/* make the fake's directory and name its files */
static void fake_init(struct fake *f, const char *prefix)
{
	memset(f, 0, sizeof(*f));
	buf_init(&f->dir, 0);
	assert_int_equal(fs_mkdtemp(&f->dir, prefix), 0);
	snprintf(f->script, sizeof(f->script), "%s/script.json", f->dir.ptr);
	snprintf(f->log, sizeof(f->log), "%s/requests.jsonl", f->dir.ptr);
}

/* write its script, run `argv` (python3 and the fake's arguments) and read its port */
static void fake_spawn(struct fake *f, const char *script, char *const *argv)
{
	char line[32];
	int in[2], out[2];
	size_t n = 0;

	assert_int_equal(fs_write_atomic(f->script, script, strlen(script), 0600), 0);
	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	f->pid = fork();
	assert_true(f->pid >= 0);
	if (!f->pid) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		execv("/usr/bin/python3", argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	f->stdin_fd = in[1];
	while (n < sizeof(line) - 1) {
		struct pollfd pfd = { out[0], POLLIN, 0 };
		ssize_t got;
		assert_true(poll(&pfd, 1, FAKE_START_MS) == 1);
		got = read(out[0], line + n, 1);
		assert_true(got == 1);
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	close(out[0]);
	assert_true(n > 0);
	snprintf(f->base, sizeof(f->base), "http://127.0.0.1:%s", line);
}

static void fake_stop(struct fake *f)
{
	close(f->stdin_fd);
	kill(f->pid, SIGTERM);
	waitpid(f->pid, NULL, 0);
	fs_remove_tree(f->dir.ptr);
	buf_release(&f->dir);
}

/* the requests the fake received, as JSON objects */
static json_t *fake_requests(const struct fake *f)
{
	json_t *all = json_array();
	FILE *fp = fopen(f->log, "r");
	char *line = NULL;
	size_t cap = 0;

	if (!fp)
		return all;
	while (getline(&line, &cap, fp) > 0) {
		json_t *o = json_loads(line, 0, NULL);
		assert_non_null(o);
		json_array_append_new(all, o);
	}
	free(line);
	fclose(fp);
	return all;
}

#endif
