/*
 * The per-test coverage map: the plugin's "cov" lines read into one sorted
 * array of keys per test (a key is the interned file's index and the line),
 * Ochiai from counts over those arrays, and the tests covering a range by
 * binary search in each.
 */
#include "runner/coverage.h"

#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strmap.h"
#include "util/xalloc.h"

#include <jansson.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_CHUNK 65536

struct cov_test {
	char *id;
	uint64_t *keys;     /* sorted, unique: file index << 32 | line */
	size_t nr, alloc;
	int failed;         /* recorded failed */
};

struct coverage_map {
	struct strmap file_ids;
	char **files;
	size_t nr_files, alloc_files;
	struct strmap test_ids;
	struct cov_test *tests;
	size_t nr_tests, alloc_tests;
	size_t entries;
	char *off_reason;   /* the first "cov-off" line's */
};

/* the state of one read: the map, where it is and what it is called */
struct cov_reader {
	struct coverage_map *m;
	const char *name;
	size_t line_no;
};

static uint64_t make_key(size_t file, int line)
{
	return (uint64_t)file << 32 | (uint32_t)line;
}

static size_t key_file(uint64_t k)
{
	return (size_t)(k >> 32);
}

static int key_line(uint64_t k)
{
	return (int)(k & 0xffffffffu);
}

static int key_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* sort and drop repeats */
static size_t keys_unique(uint64_t *keys, size_t nr)
{
	size_t i, out = 0;

	if (!nr)
		return 0;
	qsort(keys, nr, sizeof(*keys), key_cmp);
	for (i = 1, out = 1; i < nr; i++)
		if (keys[i] != keys[out - 1])
			keys[out++] = keys[i];
	return out;
}

static size_t intern_file(struct coverage_map *m, const char *path, size_t len)
{
	size_t idx;

	if (strmap_get(&idx, &m->file_ids, path, len))
		return idx;
	ALLOC_GROW(m->files, m->nr_files + 1, m->alloc_files);
	m->files[m->nr_files] = xstrndup(path, len);
	strmap_put(&m->file_ids, path, len, m->nr_files);
	return m->nr_files++;
}

static int bad(const struct cov_reader *r, const char *what)
{
	return error_setc(ERR_PARSE, "cannot read the coverage map '%s': line %zu: %s", r->name,
			  r->line_no, what);
}

static int valid_path(const char *p, size_t len)
{
	return len && p[0] != '/' && !memchr(p, '\0', len);
}

static int line_number(const json_t *v, int *out)
{
	json_int_t n;

	if (!json_is_integer(v))
		return -1;
	n = json_integer_value(v);
	if (n < 1 || n > COVERAGE_MAX_LINENO)
		return -1;
	*out = (int)n;
	return 0;
}

/* the lines of one file of a "cov" record, appended to `keys` */
static int add_lines(struct cov_reader *r, uint64_t **keys, size_t *nr, size_t *alloc, size_t file,
		     const json_t *lines)
{
	size_t i;
	const json_t *v;

	if (!json_is_array(lines))
		return bad(r, "a file's lines are not an array");
	json_array_foreach(lines, i, v) {
		int first, last, l;
		if (json_is_array(v)) {
			if (json_array_size(v) != 2 || line_number(json_array_get(v, 0), &first) ||
			    line_number(json_array_get(v, 1), &last) || first > last)
				return bad(r, "a run of lines is not [first, last]");
		} else if (line_number(v, &first)) {
			return bad(r, "a line is not a number from 1 to 1000000");
		} else {
			last = first;
		}
		if (*nr + (size_t)(last - first) + 1 > COVERAGE_MAX_TEST_LINES)
			return error_setc(ERR_LIMIT, "cannot read the coverage map '%s': line %zu: "
					  "a test with more than %u lines", r->name, r->line_no,
					  COVERAGE_MAX_TEST_LINES);
		ALLOC_GROW(*keys, *nr + (size_t)(last - first) + 1, *alloc);
		for (l = first; l <= last; l++)
			(*keys)[(*nr)++] = make_key(file, l);
	}
	return 0;
}

/* merge the sorted unique keys of a record into its test's */
static void test_merge(struct cov_test *t, const uint64_t *keys, size_t nr)
{
	uint64_t *out;
	size_t i = 0, j = 0, n = 0;

	if (!t->nr) {
		ALLOC_GROW(t->keys, nr, t->alloc);
		if (nr)
			memcpy(t->keys, keys, nr * sizeof(*keys));
		t->nr = nr;
		return;
	}
	out = xmalloc(st_mult(st_add(t->nr, nr), sizeof(*out)));
	while (i < t->nr || j < nr) {
		if (j == nr || (i < t->nr && t->keys[i] < keys[j]))
			out[n++] = t->keys[i++];
		else if (i == t->nr || keys[j] < t->keys[i])
			out[n++] = keys[j++];
		else
			out[n++] = t->keys[i++], j++;
	}
	free(t->keys);
	t->keys = out;
	t->nr = t->alloc = n;
}

static int read_cov(struct cov_reader *r, const json_t *rec)
{
	struct coverage_map *m = r->m;
	const json_t *id = json_object_get(rec, "id"), *outcome = json_object_get(rec, "outcome");
	const json_t *files = json_object_get(rec, "files"), *lines;
	const char *o, *path;
	uint64_t *keys = NULL;
	size_t nr = 0, alloc = 0, idx, before;
	struct cov_test *t;
	int err = 0;

	if (!json_is_string(id) || !json_string_length(id))
		return bad(r, "no test id");
	if (!json_is_string(outcome))
		return bad(r, "no outcome");
	o = json_string_value(outcome);
	if (strcmp(o, "passed") && strcmp(o, "failed") && strcmp(o, "skipped"))
		return bad(r, "an outcome other than passed, failed or skipped");
	if (!json_is_object(files))
		return bad(r, "no files object");
	json_object_foreach((json_t *)files, path, lines) {
		size_t plen = strlen(path);
		if (!valid_path(path, plen)) {
			err = bad(r, "a file path that is empty or absolute");
			goto done;
		}
		if ((err = add_lines(r, &keys, &nr, &alloc, intern_file(m, path, plen), lines)) < 0)
			goto done;
	}
	nr = keys_unique(keys, nr);
	if (!strmap_get(&idx, &m->test_ids, json_string_value(id), json_string_length(id))) {
		if (m->nr_tests >= COVERAGE_MAX_TESTS) {
			err = error_setc(ERR_LIMIT, "cannot read the coverage map '%s': more than %u tests",
					 r->name, COVERAGE_MAX_TESTS);
			goto done;
		}
		ALLOC_APPEND(t, m->tests, m->nr_tests, m->alloc_tests);
		t->id = xstrndup(json_string_value(id), json_string_length(id));
		strmap_put(&m->test_ids, t->id, json_string_length(id), m->nr_tests - 1);
	} else {
		t = &m->tests[idx];
	}
	before = t->nr;
	test_merge(t, keys, nr);
	t->failed |= !strcmp(o, "failed");
	m->entries += t->nr - before;
	if (m->entries > COVERAGE_MAX_ENTRIES)
		err = error_setc(ERR_LIMIT, "cannot read the coverage map '%s': more than %lu lines "
				 "over all tests", r->name, COVERAGE_MAX_ENTRIES);
done:
	free(keys);
	return err;
}

static int read_line(struct cov_reader *r, const char *line, size_t len)
{
	json_error_t jerr;
	json_t *rec;
	const json_t *ev;
	int err = 0;

	r->line_no++;
	if (len && line[len - 1] == '\r')
		len--;
	if (!len)
		return 0;
	rec = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!rec)
		return bad(r, jerr.text);
	ev = json_object_get(rec, "ev");
	if (!json_is_object(rec) || !json_is_string(ev)) {
		err = bad(r, "not a record");
	} else if (!strcmp(json_string_value(ev), "cov")) {
		err = read_cov(r, rec);
	} else if (!strcmp(json_string_value(ev), "cov-off")) {
		const json_t *why = json_object_get(rec, "reason");
		if (!r->m->off_reason)
			r->m->off_reason = xstrdup(json_is_string(why) ? json_string_value(why)
						   : "the plugin did not record coverage");
	} else {
		err = bad(r, "an unknown record");
	}
	json_decref(rec);
	return err;
}

static int finish(struct coverage_map **out, struct cov_reader *r, int err)
{
	if (!err && !r->m->nr_tests && r->m->off_reason)
		err = error_setc(ERR_CONFLICT, "no coverage recorded in '%s': %s", r->name,
				 r->m->off_reason);
	if (err) {
		coverage_map_free(r->m);
		return err;
	}
	*out = r->m;
	return 0;
}

int coverage_map_parse(struct coverage_map **out, const char *data, size_t len, const char *name)
{
	struct cov_reader r = { xcalloc(1, sizeof(*r.m)), name, 0 };
	int err = 0;

	*out = NULL;
	while (len && !err) {
		const char *nl = memchr(data, '\n', len);
		size_t take = nl ? (size_t)(nl - data) : len;
		if (take > COVERAGE_MAX_RECORD_BYTES)
			err = error_setc(ERR_LIMIT, "cannot read the coverage map '%s': line %zu: "
					 "longer than %u bytes", name, r.line_no + 1,
					 COVERAGE_MAX_RECORD_BYTES);
		else
			err = read_line(&r, data, take);
		data += take + (nl != NULL);
		len -= take + (nl != NULL);
	}
	return finish(out, &r, err);
}

int coverage_map_read(struct coverage_map **out, const char *path)
{
	struct cov_reader r = { NULL, path, 0 };
	struct buf pending = BUF_INIT;
	char *chunk = NULL;
	int fd = -1, err;

	*out = NULL;
	if ((err = fs_open_regular(&fd, path)) < 0)
		return err;
	r.m = xcalloc(1, sizeof(*r.m));
	chunk = xmalloc(READ_CHUNK);
	buf_init(&pending, COVERAGE_MAX_RECORD_BYTES);
	for (;;) {
		ssize_t got = read(fd, chunk, READ_CHUNK);
		const char *p = chunk, *nl;
		size_t left;
		if (got < 0) {
			err = error_errno("cannot read the coverage map '%s'", path);
			break;
		}
		if (!got) {
			err = read_line(&r, pending.ptr, pending.len);
			break;
		}
		left = (size_t)got;
		while (!err && (nl = memchr(p, '\n', left))) {
			size_t take = (size_t)(nl - p);
			if ((err = buf_add(&pending, p, take)) < 0)
				break;
			err = read_line(&r, pending.ptr, pending.len);
			buf_reset(&pending);
			p = nl + 1;
			left -= take + 1;
		}
		if (!err)
			err = buf_add(&pending, p, left);
		if (err == ERR_LIMIT)
			err = error_setc(ERR_LIMIT, "cannot read the coverage map '%s': line %zu: "
					 "longer than %u bytes", path, r.line_no + 1,
					 COVERAGE_MAX_RECORD_BYTES);
		if (err)
			break;
	}
	close(fd);
	free(chunk);
	buf_release(&pending);
	return finish(out, &r, err);
}

void coverage_map_free(struct coverage_map *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->nr_files; i++)
		free(m->files[i]);
	free(m->files);
	for (i = 0; i < m->nr_tests; i++)
		FREE_ALL(m->tests[i].id, m->tests[i].keys);
	free(m->tests);
	strmap_release(&m->file_ids);
	strmap_release(&m->test_ids);
	free(m->off_reason);
	free(m);
}

size_t coverage_map_tests(const struct coverage_map *m)
{
	return m ? m->nr_tests : 0;
}

/* the first index of sorted `keys` not below `k` */
static size_t lower_bound(const uint64_t *keys, size_t nr, uint64_t k)
{
	size_t lo = 0, hi = nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (keys[mid] < k)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

enum role { ROLE_PASSING, ROLE_FAILING, ROLE_NEITHER };

struct ranked {
	uint64_t key;
	uint64_t ef, ep;
	const char *file;
};

/*
 * Best first. Scores are compared exactly, as ef^2 / (ef + ep) (the same
 * nf + ef for all): with at most 2^20 tests the products fit in 64 bits,
 * and equal scores are ties whatever rounding would say.
 */
static int ranked_cmp(const void *a, const void *b)
{
	const struct ranked *x = a, *y = b;
	uint64_t left = x->ef * x->ef * (y->ef + y->ep), right = y->ef * y->ef * (x->ef + x->ep);
	int c;

	if (left != right)
		return left > right ? -1 : 1;
	if ((c = strcmp(x->file, y->file)))
		return c;
	return key_line(x->key) < key_line(y->key) ? -1 : key_line(x->key) > key_line(y->key);
}

/* ep[i] += 1 for each of the sorted `lines` a passing test with sorted `keys` executed */
static void count_passing(size_t *ep, const uint64_t *lines, size_t nr_lines, const uint64_t *keys,
			  size_t nr)
{
	size_t i = 0, j = 0;

	while (i < nr_lines && j < nr) {
		if (lines[i] < keys[j]) {
			i = lower_bound(lines + i, nr_lines - i, keys[j]) + i;
		} else if (keys[j] < lines[i]) {
			j = lower_bound(keys + j, nr - j, lines[i]) + j;
		} else {
			ep[i]++;
			i++;
			j++;
		}
	}
}

int coverage_rank(struct suspect **out, size_t *nr, const struct coverage_map *m,
		  const struct strvec *failing, size_t max)
{
	unsigned char *role = NULL;
	uint64_t *lines = NULL;
	size_t *ef = NULL, *ep = NULL;
	struct ranked *r = NULL;
	size_t nr_lines = 0, nr_failing = 0, total = 0, i, j, n;

	*out = NULL;
	*nr = 0;
	if (!m || !m->nr_tests)
		return 0;
	role = xmalloc(m->nr_tests);
	for (i = 0; i < m->nr_tests; i++)
		role[i] = m->tests[i].failed ? ROLE_NEITHER : ROLE_PASSING;
	for (i = 0; i < failing->nr; i++) {
		size_t idx;
		if (strmap_get(&idx, &m->test_ids, failing->v[i], strlen(failing->v[i])) &&
		    role[idx] != ROLE_FAILING) {
			role[idx] = ROLE_FAILING;
			nr_failing++;
			total = st_add(total, m->tests[idx].nr);
		}
	}
	if (!nr_failing)
		goto done;
	/* the lines failing tests executed, with how many executed each */
	lines = xmalloc(st_mult(total ? total : 1, sizeof(*lines)));
	for (i = 0; i < m->nr_tests; i++)
		if (role[i] == ROLE_FAILING && m->tests[i].nr) {
			memcpy(lines + nr_lines, m->tests[i].keys, m->tests[i].nr * sizeof(*lines));
			nr_lines += m->tests[i].nr;
		}
	qsort(lines, nr_lines, sizeof(*lines), key_cmp);
	ef = xcalloc(nr_lines ? nr_lines : 1, sizeof(*ef));
	for (i = 0, n = 0; i < nr_lines; i = j, n++) {
		for (j = i; j < nr_lines && lines[j] == lines[i]; j++)
			;
		lines[n] = lines[i];
		ef[n] = j - i;
	}
	nr_lines = n;
	ep = xcalloc(nr_lines ? nr_lines : 1, sizeof(*ep));
	for (i = 0; i < m->nr_tests; i++)
		if (role[i] == ROLE_PASSING)
			count_passing(ep, lines, nr_lines, m->tests[i].keys, m->tests[i].nr);
	r = xmalloc(st_mult(nr_lines ? nr_lines : 1, sizeof(*r)));
	for (i = 0; i < nr_lines; i++) {
		r[i].key = lines[i];
		r[i].file = m->files[key_file(lines[i])];
		r[i].ef = ef[i];
		r[i].ep = ep[i];
	}
	qsort(r, nr_lines, sizeof(*r), ranked_cmp);
	n = max && max < nr_lines ? max : nr_lines;
	if (n) {
		*out = xcalloc(n, sizeof(**out));
		for (i = 0; i < n; i++) {
			(*out)[i].file = xstrdup(r[i].file);
			(*out)[i].line = key_line(r[i].key);
			(*out)[i].score = (double)r[i].ef /
					  sqrt((double)nr_failing * (double)(r[i].ef + r[i].ep));
		}
	}
	*nr = n;
done:
	FREE_ALL(role, lines, ef, ep, r);
	return 0;
}

void suspects_free(struct suspect *s, size_t nr)
{
	size_t i;

	for (i = 0; s && i < nr; i++)
		free(s[i].file);
	free(s);
}

void coverage_tests_covering(struct strvec *out, const struct coverage_map *m,
			     const char *file, int first, int last)
{
	size_t f, i;

	if (!m || first > last || last < 1 ||
	    !strmap_get(&f, &m->file_ids, file, strlen(file)))
		return;
	if (first < 1)
		first = 1;
	for (i = 0; i < m->nr_tests; i++) {
		const struct cov_test *t = &m->tests[i];
		size_t at = lower_bound(t->keys, t->nr, make_key(f, first));
		if (at < t->nr && t->keys[at] <= make_key(f, last))
			strvec_push(out, t->id);
	}
}
