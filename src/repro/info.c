/*
 * info.json: read, validate against seed 002's rules, resolve paths and
 * parse the GitHub Actions URL. Every refusal is ERR_USAGE with a message
 * naming the field and what was expected.
 */
#include "repro/info.h"

#include "util/buf.h"
#include "util/distance.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/xalloc.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define URL_EXPECTED \
	"https://HOST/OWNER/REPO/actions/runs/RUN_ID[/job/JOB_ID][/attempts/N]"
/* digits accepted in a run, job or attempt number: fits a long long */
#define URL_MAX_DIGITS 18

static const char *const known_keys[] = {
	"deterministic", "prompt", "url", "raw-logs", "existing-test-path",
};

static const char *json_kind(const json_t *j)
{
	switch (json_typeof(j)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER:
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "a value";
}

/* edit distance with '_' and '-' alike and case ignored */
static size_t key_distance(const char *a, const char *b)
{
	return distance_levenshtein(a, strlen(a), b, strlen(b), DISTANCE_FOLD_CASE | DISTANCE_DASH_UNDERSCORE);
}

static const char *nearest_key(const char *key)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1, i;

	for (i = 0; i < ARRAY_SIZE(known_keys); i++) {
		size_t d = key_distance(key, known_keys[i]);
		if (d < best_d) {
			best_d = d;
			best = known_keys[i];
		}
	}
	/* close enough to be a typo: a couple of edits, or a third of the word */
	if (best_d <= 2 || best_d * 3 <= strlen(best))
		return best;
	return NULL;
}

static int is_known_key(const char *key)
{
	size_t i;
	for (i = 0; i < ARRAY_SIZE(known_keys); i++)
		if (!strcmp(key, known_keys[i]))
			return 1;
	return 0;
}

/* --- the URL ---------------------------------------------------------- */

static int url_end(int c)
{
	return c == '\0' || c == '?' || c == '#';
}

/* read the segment after the '/' at *p; advances past it; 0 if there is no '/' */
static int url_segment(const char **p, const char **seg, size_t *len)
{
	const char *s = *p;
	if (*s != '/')
		return 0;
	s++;
	*seg = s;
	while (*s != '/' && !url_end(*s))
		s++;
	*len = (size_t)(s - *seg);
	*p = s;
	return 1;
}

static int seg_is(const char *seg, size_t len, const char *word)
{
	return len == strlen(word) && !memcmp(seg, word, len);
}

static int seg_number(const char *seg, size_t len, long long *out)
{
	long long n = 0;
	size_t i;

	if (!len || len > URL_MAX_DIGITS)
		return 0;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)seg[i]))
			return 0;
		n = n * 10 + (seg[i] - '0');
	}
	if (n <= 0)
		return 0;
	*out = n;
	return 1;
}

static int seg_name(const char *seg, size_t len)
{
	size_t i;
	if (!len || seg_is(seg, len, ".") || seg_is(seg, len, ".."))
		return 0;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)seg[i]) && !strchr("-_.", seg[i]))
			return 0;
	return 1;
}

static int url_refuse(const char *url, const char *why)
{
	return error_setc(ERR_USAGE,
			  "'url' is not a GitHub Actions run or job URL: %s: expected "
			  URL_EXPECTED ", got '%s'", why, url);
}

int repro_info_parse_url(struct repro_info *info, const char *url)
{
	const char *p = url, *host, *seg, *owner, *repo;
	size_t host_len, len, owner_len, repo_len, i;
	long long run_id = 0, job_id = 0, attempt = 0;

	if (strncasecmp(p, "https://", 8))
		return url_refuse(url, "it does not start with https://");
	p += 8;
	host = p;
	while (*p != '/' && !url_end(*p))
		p++;
	host_len = (size_t)(p - host);
	if (!host_len)
		return url_refuse(url, "no host");
	for (i = 0; i < host_len; i++)
		if (!isalnum((unsigned char)host[i]) && !strchr("-.:", host[i]))
			return url_refuse(url, "the host has characters a host name cannot have");

	if (!url_segment(&p, &owner, &owner_len) || !seg_name(owner, owner_len) ||
	    !url_segment(&p, &repo, &repo_len) || !seg_name(repo, repo_len))
		return url_refuse(url, "no OWNER/REPO after the host");
	if (!url_segment(&p, &seg, &len) || !seg_is(seg, len, "actions") ||
	    !url_segment(&p, &seg, &len) || !seg_is(seg, len, "runs"))
		return url_refuse(url, "no '/actions/runs/' after OWNER/REPO");
	if (!url_segment(&p, &seg, &len) || !seg_number(seg, len, &run_id))
		return url_refuse(url, "the run id is not a positive number");

	if (url_segment(&p, &seg, &len) && len) {
		if (seg_is(seg, len, "job")) {
			if (!url_segment(&p, &seg, &len) || !seg_number(seg, len, &job_id))
				return url_refuse(url, "the job id is not a positive number");
			if (!url_segment(&p, &seg, &len))
				len = 0;
		}
		if (len && seg_is(seg, len, "attempts")) {
			if (!url_segment(&p, &seg, &len) || !seg_number(seg, len, &attempt))
				return url_refuse(url, "the attempt is not a positive number");
			if (!url_segment(&p, &seg, &len))
				len = 0;
		}
		if (len)
			return url_refuse(url, "unexpected path after the run id");
	}
	/* one trailing '/' at most, then the end, a query or a fragment */
	if (!url_end(*p))
		return url_refuse(url, "unexpected path after the run id");

	info->api_host = xstrndup(host, host_len);
	for (i = 0; i < host_len; i++)
		info->api_host[i] = (char)tolower((unsigned char)info->api_host[i]);
	if (!strcmp(info->api_host, "www.github.com")) {
		free(info->api_host);
		info->api_host = xstrdup("github.com");
	}
	info->owner = xstrndup(owner, owner_len);
	info->repo = xstrndup(repo, repo_len);
	info->run_id = run_id;
	info->job_id = job_id;
	info->attempt = attempt;
	return 0;
}

/* --- paths ------------------------------------------------------------ */

/* `rel` against `dir` unless absolute; owned by the caller */
static char *resolve(const char *dir, const char *rel)
{
	struct buf b = BUF_INIT;
	if (rel[0] == '/' || !strcmp(dir, "."))
		return xstrdup(rel);
	buf_addf(&b, "%s/%s", dir, rel);
	return buf_detach(&b, NULL);
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

static int ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);
	return ls >= lx && !strcasecmp(s + ls - lx, suffix);
}

/*
 * A "raw-logs" value meant as a file name: one line without blanks that ends
 * .log / .txt or has a '/'. A line of log text such as
 * "FAILED tests/test_a.py::test_x - assert 1 == 2" has blanks, so stays text.
 */
static int looks_like_path(const char *s)
{
	if (strpbrk(s, " \t\r\n"))
		return 0;
	return ends_with(s, ".log") || ends_with(s, ".txt") || strchr(s, '/');
}

static int load_logs(struct repro_info *info, const char *dir, const char *info_path,
		     const char *value)
{
	char *file = NULL;
	struct buf text = BUF_INIT;
	int err = 0;

	if (!strchr(value, '\n'))
		file = resolve(dir, value);
	/* anything there but a directory is read, so that a FIFO is refused by name */
	if (file && !fs_is_dir(file) && !access(file, F_OK)) {
		buf_init(&text, REPRO_INFO_MAX_LOGS);
		if ((err = fs_read_file(&text, file, REPRO_INFO_MAX_LOGS)) < 0) {
			if (err == ERR_LIMIT)
				err = error_setc(ERR_USAGE,
						 "invalid '%s': 'raw-logs' file '%s' is larger "
						 "than %d bytes", info_path, file, REPRO_INFO_MAX_LOGS);
			else
				err = error_prefix(ERR_USAGE, "invalid '%s': 'raw-logs'", info_path);
			goto done;
		}
		info->raw_logs = buf_detach(&text, NULL);
		info->raw_logs_path = file;
		file = NULL;
	} else if (file && fs_is_dir(file)) {
		err = error_setc(ERR_USAGE,
				 "invalid '%s': 'raw-logs' names a directory, not a log file: '%s'",
				 info_path, file);
	} else if (looks_like_path(value)) {
		err = error_setc(ERR_USAGE,
				 "invalid '%s': 'raw-logs' names a file that does not exist: '%s' "
				 "(relative paths are relative to the directory of info.json)",
				 info_path, file);
	} else {
		info->raw_logs = xstrdup(value);
	}
done:
	buf_release(&text);
	free(file);
	return err;
}

static int check_test_path(struct repro_info *info, const char *dir, const char *info_path,
			   const char *value)
{
	char *full = resolve(dir, value);
	char *sep = strstr(full, "::");
	char *on_disk = sep ? xstrndup(full, (size_t)(sep - full)) : xstrdup(full);
	int err = 0;

	if (!fs_is_file(on_disk) && !fs_is_dir(on_disk)) {
		err = error_setc(ERR_USAGE,
				 "invalid '%s': 'existing-test-path' does not exist: '%s' "
				 "(relative paths are relative to the directory of info.json)",
				 info_path, on_disk);
		free(full);
	} else {
		info->existing_test_path = full;
	}
	free(on_disk);
	return err;
}

/* --- the document ----------------------------------------------------- */

/* an optional string field: NULL when absent or null; -1 when of another type or empty */
static int optional_string(const char **out, json_t *root, const char *key,
			   const char *info_path)
{
	json_t *v = json_object_get(root, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return error_setc(ERR_USAGE, "invalid '%s': '%s' must be a string, not %s",
				  info_path, key, json_kind(v));
	if (!json_string_length(v))
		return error_setc(ERR_USAGE, "invalid '%s': '%s' is empty", info_path, key);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return error_setc(ERR_USAGE, "invalid '%s': '%s' contains a NUL character",
				  info_path, key);
	*out = json_string_value(v);
	return 0;
}

/* the key `key` of `root`, which must be there: ERR_USAGE saying what it is (`what`) */
static int required_key(json_t **out, json_t *root, const char *path, const char *key,
			const char *what)
{
	if (!(*out = json_object_get(root, key)))
		return error_setc(ERR_USAGE, "invalid '%s': missing required key '%s' (%s)",
				  path, key, what);
	return 0;
}

static int blank(const char *s)
{
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return 0;
	return 1;
}

static int validate(struct repro_info *out, json_t *root, const char *path, const char *dir)
{
	const char *key, *url, *logs, *test_path;
	json_t *v;
	int err;

	if (!json_is_object(root))
		return error_setc(ERR_USAGE, "invalid '%s': expected a JSON object, found %s",
				  path, json_kind(root));

	json_object_foreach(root, key, v) {
		const char *near;
		if (is_known_key(key))
			continue;
		if ((near = nearest_key(key)))
			return error_setc(ERR_USAGE, "invalid '%s': unknown key '%s' (did you mean '%s'?)",
					  path, key, near);
		return error_setc(ERR_USAGE,
				  "invalid '%s': unknown key '%s' (known keys: deterministic, "
				  "prompt, url, raw-logs, existing-test-path)", path, key);
	}

	if ((err = required_key(&v, root, path, "prompt", "a description of the failure")) < 0)
		return err;
	if (!json_is_string(v))
		return error_setc(ERR_USAGE, "invalid '%s': 'prompt' must be a string, not %s",
				  path, json_kind(v));
	if (blank(json_string_value(v)))
		return error_setc(ERR_USAGE, "invalid '%s': 'prompt' is empty", path);

	if ((err = required_key(&v, root, path, "deterministic",
				"true: it always fails, false: intermittent")) < 0)
		return err;
	if (!json_is_boolean(v))
		return error_setc(ERR_USAGE,
				  "invalid '%s': 'deterministic' must be true or false, not %s",
				  path, json_kind(v));
	out->deterministic = json_is_true(v);

	if ((err = optional_string(&url, root, "url", path)) < 0 ||
	    (err = optional_string(&logs, root, "raw-logs", path)) < 0 ||
	    (err = optional_string(&test_path, root, "existing-test-path", path)) < 0)
		return err;

	if (url && logs)
		return error_setc(ERR_USAGE,
				  "invalid '%s': both 'url' and 'raw-logs' are given; give only one",
				  path);
	if (!url && !logs && !test_path)
		return error_setc(ERR_USAGE,
				  "invalid '%s': give 'existing-test-path', or one of 'url' "
				  "and 'raw-logs' (the failing CI run's logs)", path);

	out->prompt = xstrdup(json_string_value(json_object_get(root, "prompt")));
	if (url) {
		if ((err = repro_info_parse_url(out, url)) < 0)
			return error_prefix(err, "invalid '%s'", path);
		out->url = xstrdup(url);
	}
	if (logs && (err = load_logs(out, dir, path, logs)) < 0)
		return err;
	if (test_path && (err = check_test_path(out, dir, path, test_path)) < 0)
		return err;
	return 0;
}

int repro_info_load(struct repro_info *out, const char *path)
{
	struct buf text = BUF_INIT;
	json_error_t jerr;
	json_t *root = NULL;
	char *dir = NULL;
	int err = 0;

	memset(out, 0, sizeof(*out));
	buf_init(&text, REPRO_INFO_MAX_SIZE);
	if ((err = fs_read_file(&text, path, REPRO_INFO_MAX_SIZE)) < 0) {
		if (err == ERR_LIMIT)
			err = error_setc(ERR_USAGE, "cannot read '%s': larger than %d bytes",
					 path, REPRO_INFO_MAX_SIZE);
		else
			err = error_prefix(ERR_USAGE, "cannot read info file");
		goto done;
	}
	root = json_loadb(text.ptr, text.len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!root) {
		err = error_setc(ERR_USAGE, "cannot parse '%s': line %d, column %d: %s",
				 path, jerr.line, jerr.column, jerr.text);
		goto done;
	}
	dir = dir_of(path);
	err = validate(out, root, path, dir);
done:
	if (err < 0)
		repro_info_release(out);
	free(dir);
	json_decref(root);
	buf_release(&text);
	return err;
}

void repro_info_release(struct repro_info *info)
{
	if (!info)
		return;
	FREE_ALL(info->prompt, info->url, info->raw_logs, info->raw_logs_path,
		 info->existing_test_path, info->owner, info->repo, info->api_host);
	memset(info, 0, sizeof(*info));
}
