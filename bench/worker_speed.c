/*
 * The warm test worker against a fresh pytest per candidate:
 * bench_worker_speed [CANDIDATES [PROJECT_DIR...]]
 *
 * For each project (default: a few of bench/corpus, copied to a private
 * directory), CANDIDATES (10) candidate-like changes of the bug's line
 * (BUG.json: the fixed line and the buggy one, in turn) are written to disk
 * and the first failing test of BUG.json is run after each, once through a
 * warm worker (runner/worker.h) and once as a fresh pytest process (as the
 * gates did before), in the same run, alternately. Both must give the same
 * verdict. Prints the median per candidate of each, the ratio, and the
 * worker's start-up time; and the CPU time each way (ours and our
 * children's for a fresh run; ours, the worker's and its children's for a
 * warm one), which a loaded machine does not skew as it does wall time.
 * Exit 1 on an error or a verdict that differs.
 */
#include "runner/pytest.h"
#include "runner/worker.h"
#include "runner/worker_state.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strvec.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define DEFAULT_CANDIDATES 10
#define PYTEST_CMD "/usr/bin/python3 -m pytest"
#define CORPUS BENCH_DIR "/corpus"

static const char *const default_projects[] = {
	"01_pagination", "03_bank_account", "09_binary_search", "27_coin_change", NULL,
};

/*
 * CPU seconds of this process and of the children it has waited for (a
 * warm worker's children count once the worker is stopped), and of the
 * live process `pid` itself (0: none), from /proc.
 */
static double cpu_self(void)
{
	struct rusage r;
	getrusage(RUSAGE_SELF, &r);
	return r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6 + r.ru_stime.tv_sec +
	       r.ru_stime.tv_usec / 1e6;
}

static double cpu_children(void)
{
	struct rusage r;
	getrusage(RUSAGE_CHILDREN, &r);
	return r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6 + r.ru_stime.tv_sec +
	       r.ru_stime.tv_usec / 1e6;
}

static double cpu_of(pid_t pid)
{
	struct buf path = BUF_INIT, stat = BUF_INIT;
	double t = 0;

	buf_addf(&path, "/proc/%d/stat", (int)pid);
	if (!fs_read_file(&stat, path.ptr, 0)) {
		/* after "(comm)" the state is field 3; utime and stime are 14 and 15 */
		const char *p = strrchr(stat.ptr, ')');
		unsigned long long v[2] = { 0 };
		int field = 2, k = 0;
		for (; p && *p && k < 2; p++) {
			if (*p != ' ')
				continue;
			field++;
			if (field >= 14 && field <= 15)
				v[k++] = strtoull(p + 1, NULL, 10);
		}
		t = (double)(v[0] + v[1]) / (double)sysconf(_SC_CLK_TCK);
	}
	buf_release(&path);
	buf_release(&stat);
	return t;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* the file with line `line` (1-based) replaced by `text` */
static int write_candidate(const char *path, const struct buf *orig, int line, const char *text)
{
	struct buf out = BUF_INIT;
	const char *p = orig->ptr, *end = orig->ptr + orig->len;
	int n = 1, err;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		if (n == line)
			buf_addf(&out, "%s\n", text);
		else
			buf_add(&out, p, len);
		p += len;
		n++;
	}
	err = fs_write_atomic(path, out.ptr, out.len, 0644);
	buf_release(&out);
	return err;
}

static int run_once(double *secs, int *failed, const char *root, const char *target,
		    struct pytest_worker *w)
{
	struct pytest_options o = PYTEST_OPTIONS_INIT;
	struct test_result res = TEST_RESULT_INIT;
	struct strvec paths = STRVEC_INIT;
	double start = clock_monotonic();
	int err;

	strvec_push(&paths, target);
	o.root = root;
	o.command = PYTEST_CMD;
	o.paths = &paths;
	o.every_test = 1;
	o.worker = w;
	err = pytest_run(&res, &o);
	*secs = clock_monotonic() - start;
	*failed = res.summary.failed + res.summary.errors > 0;
	test_result_release(&res);
	strvec_clear(&paths);
	return err;
}

static double cpu_fresh_sum, cpu_warm_sum, cpu_start_sum;

static int bench_project(double *fresh_sum, double *warm_sum, const char *src, int nr)
{
	struct buf dir = BUF_INIT, bug = BUF_INIT, file = BUF_INIT, orig = BUF_INIT;
	struct pytest_worker_options wo = { 0 };
	struct pytest_worker_stats st;
	struct pytest_worker *w = NULL;
	double *fresh = calloc((size_t)nr, sizeof(double)), *warm = calloc((size_t)nr, sizeof(double));
	json_t *j = NULL;
	const char *name = strrchr(src, '/') ? strrchr(src, '/') + 1 : src;
	double started, kids0 = cpu_children(), fresh_kids = 0, start_cpu = 0;
	int i, err;

	if ((err = fs_mkdtemp(&dir, "bench-worker")) < 0)
		goto done;
	buf_addf(&dir, "/%s", name);
	if ((err = fs_copy_tree(src, dir.ptr, NULL)) < 0)
		goto done;
	buf_addf(&bug, "%s/BUG.json", dir.ptr);
	if (!(j = json_load_file(bug.ptr, 0, NULL))) {
		err = error_set("cannot read '%s'", bug.ptr);
		goto done;
	}
	buf_addf(&file, "%s/%s", dir.ptr, json_string_value(json_object_get(j, "file")));
	if ((err = fs_read_file(&orig, file.ptr, 0)) < 0)
		goto done;
	wo.root = dir.ptr;
	wo.command = PYTEST_CMD;
	wo.test_timeout = PYTEST_DEFAULT_TEST_TIMEOUT;
	started = clock_monotonic();
	if ((err = pytest_worker_start(&w, &wo)) < 0)
		goto done;
	started = clock_monotonic() - started;
	start_cpu = cpu_of(w->child.pid);
	for (i = 0; i < nr; i++) {
		const char *line = json_string_value(json_object_get(j, i % 2 ? "buggy" : "fixed"));
		const char *target = json_string_value(json_array_get(
			json_object_get(j, "failing_tests"), 0));
		int warm_failed, fresh_failed;
		double c0, c1, k1;

		if ((err = write_candidate(file.ptr, &orig,
					   (int)json_integer_value(json_object_get(j, "line")),
					   line)) < 0)
			goto done;
		c0 = cpu_self();
		if ((err = run_once(&warm[i], &warm_failed, dir.ptr, target, w)) < 0)
			goto done;
		c1 = cpu_self();
		k1 = cpu_children();
		if ((err = run_once(&fresh[i], &fresh_failed, dir.ptr, target, NULL)) < 0)
			goto done;
		cpu_warm_sum += c1 - c0;
		cpu_fresh_sum += cpu_self() - c1 + cpu_children() - k1;
		fresh_kids += cpu_children() - k1;
		if (warm_failed != fresh_failed || warm_failed != (i % 2)) {
			err = error_set("%s: candidate %d: the warm run says %s, the fresh one %s", name,
					i, warm_failed ? "failed" : "passed",
					fresh_failed ? "failed" : "passed");
			goto done;
		}
	}
	pytest_worker_stats(&st, w);
	for (i = 0; i < nr; i++) {
		*fresh_sum += fresh[i];
		*warm_sum += warm[i];
	}
	printf("%-18s fresh %.3f s  warm %.3f s  (median per candidate)  x%.1f  "
	       "worker start %.2f s  warm %zu fallback %zu\n", name, median(fresh, (size_t)nr),
	       median(warm, (size_t)nr), median(fresh, (size_t)nr) / median(warm, (size_t)nr),
	       started, st.warm, st.fallback);
	fflush(stdout);

done:
	pytest_worker_stop(w);
	if (!err) {
		/* the worker and its children, now waited for, less what the fresh runs took */
		cpu_warm_sum += cpu_children() - kids0 - fresh_kids - start_cpu;
		cpu_start_sum += start_cpu;
	}
	json_decref(j);
	if (dir.len) {
		char *slash = strrchr(dir.ptr, '/');
		*slash = '\0';
		fs_remove_tree(dir.ptr);
	}
	buf_release(&dir);
	buf_release(&bug);
	buf_release(&file);
	buf_release(&orig);
	free(fresh);
	free(warm);
	return err;
}

int main(int argc, char **argv)
{
	int nr = argc > 1 ? atoi(argv[1]) : DEFAULT_CANDIDATES;
	double fresh = 0, warm = 0;
	int i;

	setenv("PYTHONDONTWRITEBYTECODE", "1", 1);
	if (nr < 1)
		nr = DEFAULT_CANDIDATES;
	if (argc > 2) {
		for (i = 2; i < argc; i++)
			if (bench_project(&fresh, &warm, argv[i], nr) < 0)
				goto fail;
	} else {
		for (i = 0; default_projects[i]; i++) {
			struct buf src = BUF_INIT;
			buf_addf(&src, "%s/%s", CORPUS, default_projects[i]);
			if (bench_project(&fresh, &warm, src.ptr, nr) < 0) {
				buf_release(&src);
				goto fail;
			}
			buf_release(&src);
		}
	}
	printf("all: %d candidates a project, fresh %.2f s, warm %.2f s: the worker is %.1f times "
	       "as fast\n", nr, fresh, warm, fresh / warm);
	printf("CPU time of the runs: fresh %.2f s, warm %.2f s: %.1f times less "
	       "(%.1f with the workers' start, %.2f s)\n", cpu_fresh_sum, cpu_warm_sum,
	       cpu_fresh_sum / cpu_warm_sum, cpu_fresh_sum / (cpu_warm_sum + cpu_start_sum),
	       cpu_start_sum);
	return 0;
fail:
	fprintf(stderr, "bench_worker_speed: %s\n", error_last());
	return 1;
}
