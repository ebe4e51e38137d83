/*
 * `pytest-fixer jobs`: the service's queue by hand (SPEC C10), on either
 * backend: list the jobs, show one, retry or discard one. The database is
 * chosen as `serve` chooses it: --db, else PYTEST_FIXER_DATABASE_URL, else
 * the config's `database:`, else serve.db. A database URL is shown without
 * its password (queue_display_name()), and the password (the URL's, or
 * PGPASSWORD) is registered as a secret before anything is opened, so no
 * message can hold it.
 */
#include "cli/cli.h"
#include "cli/options.h"
#include "serve/api.h"
#include "serve/config.h"
#include "serve/queue.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/secret.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char jobs_usage[] =
	"pytest-fixer jobs [list] [--state STATE] [--limit N] [--json]\n"
	"       pytest-fixer jobs show ID [--json]\n"
	"       pytest-fixer jobs retry ID [--reason TEXT]\n"
	"       pytest-fixer jobs discard ID [--reason TEXT]\n"
	"  each with [--db PATH|URL] [--config FILE]";

/* the environment variable naming the service's database (as for serve) */
/* `jobs list` shows the newest this many unless --limit says */
#define JOBS_DEFAULT_LIMIT 50
/* columns of the table: a head commit by this many characters, a reason cut at this many */
#define JOBS_SHA_CHARS 7
#define JOBS_REASON_CHARS 48
#define JOBS_TEXT_CHARS 40
/* what an empty cell shows */
#define JOBS_NONE "-"

enum jobs_verb { JOBS_LIST, JOBS_SHOW, JOBS_RETRY, JOBS_DISCARD };

static const char *const verbs[] = {
	[JOBS_LIST] = "list", [JOBS_SHOW] = "show", [JOBS_RETRY] = "retry",
	[JOBS_DISCARD] = "discard",
};

struct jobs_args {
	enum jobs_verb verb;
	int64_t id;
	const char *db, *config, *state, *reason;
	int limit, json;
};

/* the database: --db, the environment, the config's (--config, or the default file), serve.db */
static int choose_database(char **out, const struct jobs_args *a)
{
	const char *over = serve_database_override(a->db);
	struct serve_config cfg;
	int err;

	*out = NULL;
	if (over) {     /* the config is not read at all then */
		*out = xstrdup(over);
		return 0;
	}
	/* no file: serve's default (the defaults alone are no valid config: no repository) */
	if (!a->config && !fs_is_file(SERVE_CONFIG_DEFAULT)) {
		*out = xstrdup(SERVE_DEFAULT_DATABASE);
		return 0;
	}
	if ((err = serve_config_load_default(&cfg, a->config)) == 0)
		*out = xstrdup(cfg.database);
	serve_config_release(&cfg);
	return err;
}

/* the queue of `database`: a SQLite file must exist (jobs never makes one) */
/* (the queue's errors name the database, a URL without its password) */
static int open_queue(struct queue **out, const char *database)
{
	*out = NULL;
	secret_add_url(database);
	secret_add(getenv("PGPASSWORD"));
	if (!queue_is_pg(database) && !fs_is_file(database))
		return error_setc(ERR_USAGE, "no database '%s': start 'pytest-fixer serve' first, "
				  "or name it with --db or " SERVE_DATABASE_ENV, database);
	return queue_open(out, database);
}

static int parse_id(int64_t *out, const char *s)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end || v <= 0 || errno)
		return error_setc(ERR_USAGE, "'%s' is no job id (a positive number)", s);
	*out = v;
	return 0;
}

/* the verb and its id from the positional arguments, and the options that go with it */
static int check_args(struct jobs_args *a, const struct strvec *pos)
{
	size_t v, want_id;

	a->verb = JOBS_LIST;
	if (pos->nr) {
		for (v = 0; v < ARRAY_SIZE(verbs) && strcmp(verbs[v], pos->v[0]); v++)
			;
		if (v == ARRAY_SIZE(verbs))
			return error_setc(ERR_USAGE, "unknown jobs command '%s': list, show, retry "
					  "or discard", pos->v[0]);
		a->verb = (enum jobs_verb)v;
	}
	want_id = a->verb != JOBS_LIST;
	if (pos->nr != (pos->nr ? 1 : 0) + want_id)
		return error_setc(ERR_USAGE, want_id ? "jobs %s takes one job id"
					     : "jobs %s takes no arguments", verbs[a->verb]);
	if (want_id && parse_id(&a->id, pos->v[1]) < 0)
		return ERR_USAGE;
	if (a->verb != JOBS_LIST && (a->state || a->limit))
		return error_setc(ERR_USAGE, "--state and --limit are for 'jobs list'");
	if ((a->verb == JOBS_LIST || a->verb == JOBS_SHOW) && a->reason)
		return error_setc(ERR_USAGE, "--reason is for 'jobs retry' and 'jobs discard'");
	if ((a->verb == JOBS_RETRY || a->verb == JOBS_DISCARD) && a->json)
		return error_setc(ERR_USAGE, "--json is for 'jobs list' and 'jobs show'");
	if (a->limit < 0)
		return error_setc(ERR_USAGE, "--limit %d: at least 1", a->limit);
	return 0;
}

/* --state's name, naming the valid ones when it is none */
static int parse_state(enum job_state *out, const char *name)
{
	struct buf names = BUF_INIT;
	int s, err;

	if (job_state_parse(out, name) == 0)
		return 0;
	for (s = 0; s < JOB_STATE_NR; s++)
		buf_addf(&names, "%s%s", s ? ", " : "", job_state_name((enum job_state)s));
	err = error_setc(ERR_USAGE, "--state '%s': no such state (one of %s)", name, names.ptr);
	buf_release(&names);
	return err;
}

/*
 * `s` for a terminal: valid UTF-8, control characters as '?', at most `max`
 * characters (0: all) and then `more`
 */
static void add_cut(struct buf *out, const char *s, size_t max, const char *more)
{
	struct buf clean = BUF_INIT;
	size_t i, chars = 0;

	if (!s || !*s) {
		buf_adds(out, JOBS_NONE);
		return;
	}
	utf8_sanitize(&clean, s, strlen(s));
	for (i = 0; i < clean.len; i++) {
		unsigned char c = (unsigned char)clean.ptr[i];
		if ((c & 0xc0) != 0x80 && max && chars++ == max) {
			buf_adds(out, more);
			break;
		}
		buf_addch(out, c < 0x20 || c == 0x7f ? '?' : (char)c);
	}
	buf_release(&clean);
}

static void add_text(struct buf *out, const char *s, size_t max)
{
	add_cut(out, s, max, "...");
}

static const char *state_name(enum job_state s)
{
	return job_state_name(s) ? job_state_name(s) : "unknown";
}

/* how long ago `t` was: 42s, 5m, 3h, 2d */
static void add_age(struct buf *out, double t, double now)
{
	double s = now > t ? now - t : 0;

	if (s < 60)
		buf_addf(out, "%.0fs", s);
	else if (s < 3600)
		buf_addf(out, "%.0fm", s / 60);
	else if (s < 86400)
		buf_addf(out, "%.0fh", s / 3600);
	else
		buf_addf(out, "%.0fd", s / 86400);
}

/* `t` in UTC, or JOBS_NONE for 0 */
static void add_time(struct buf *out, double t)
{
	time_t secs = (time_t)t;
	char text[32];
	struct tm tm;

	if (t <= 0 || !gmtime_r(&secs, &tm) ||
	    !strftime(text, sizeof(text), "%Y-%m-%d %H:%M:%S UTC", &tm)) {
		buf_adds(out, JOBS_NONE);
		return;
	}
	buf_adds(out, text);
}

static void print_table(const struct job *jobs, size_t nr)
{
	struct buf line = BUF_INIT, cell = BUF_INIT;
	double now = clock_wall();
	size_t i;

	printf("%-6s %-10s %-24s %-6s %-8s %-16s %8s %7s %5s  %s\n", "ID", "STATE", "REPOSITORY",
	       "PR", "SHA", "CHECK", "ATTEMPTS", "RESCUES", "AGE", "REASON");
	for (i = 0; i < nr; i++) {
		const struct job *j = &jobs[i];
		buf_reset(&line);
		buf_addf(&line, "%-6" PRId64 " %-10s ", j->id, state_name(j->state));
		buf_reset(&cell);
		add_text(&cell, j->repository, JOBS_TEXT_CHARS);
		buf_addf(&line, "%-24s ", cell.ptr);
		buf_reset(&cell);
		if (j->pull_request > 0)
			buf_addf(&cell, "#%ld", j->pull_request);
		else
			buf_adds(&cell, JOBS_NONE);
		buf_addf(&line, "%-6s ", cell.ptr);
		buf_reset(&cell);
		add_cut(&cell, j->head_sha, JOBS_SHA_CHARS, "");
		buf_addf(&line, "%-8s ", cell.ptr);
		buf_reset(&cell);
		add_text(&cell, j->check, JOBS_TEXT_CHARS);
		buf_addf(&line, "%-16s %8d %7d ", cell.ptr, j->attempts, j->rescue_count);
		buf_reset(&cell);
		add_age(&cell, j->created_at, now);
		buf_addf(&line, "%5s  ", cell.ptr);
		add_text(&line, j->reason, JOBS_REASON_CHARS);
		printf("%s\n", line.ptr);
	}
	buf_release(&cell);
	buf_release(&line);
}

static int jobs_list(struct queue *q, const struct jobs_args *a)
{
	enum job_state state = JOB_STATE_NR;
	size_t limit = a->limit ? (size_t)a->limit : JOBS_DEFAULT_LIMIT, nr = 0, i, kept = 0;
	struct job *jobs = NULL;
	json_t *list, *doc;
	int err;

	if (a->state && (err = parse_state(&state, a->state)) < 0)
		return err;
	/* a filter looks at every job: the newest `limit` of that state */
	if ((err = queue_list(q, &jobs, &nr, a->state ? 0 : limit)) < 0)
		return err;
	for (i = 0; i < nr; i++) {
		if ((a->state && jobs[i].state != state) || kept == limit) {
			job_release(&jobs[i]);
			continue;
		}
		jobs[kept++] = jobs[i];
	}
	if (a->json) {
		list = json_array();
		for (i = 0; i < kept; i++)
			json_array_append_new(list, api_job_json(&jobs[i]));
		doc = json_pack("{s:o}", "jobs", list);
		cli_print_json(doc);
		json_decref(doc);
	} else if (!kept) {
		printf(a->state ? "no %s jobs\n" : "no jobs%s\n", a->state ? a->state : "");
	} else {
		print_table(jobs, kept);
	}
	queue_jobs_free(jobs, kept);
	return 0;
}

static void print_field(const char *name, const char *value)
{
	printf("  %-13s %s\n", name, value);
}

static void print_job(const struct job *j, const struct job_transition *hist, size_t hist_nr,
		      size_t messages)
{
	struct buf v = BUF_INIT;
	size_t i;

	printf("job %" PRId64 ": %s\n", j->id, state_name(j->state));
#define FIELD(name, ...) do { buf_reset(&v); __VA_ARGS__; print_field(name, v.ptr); } while (0)
	FIELD("repository", add_text(&v, j->repository, 0));
	FIELD("pull request", j->pull_request > 0 ? buf_addf(&v, "#%ld", j->pull_request)
						  : buf_adds(&v, JOBS_NONE));
	FIELD("head sha", add_text(&v, j->head_sha, 0));
	FIELD("check", add_text(&v, j->check, 0));
	FIELD("confidence", j->confidence >= 0 ? buf_addf(&v, "%.2f", j->confidence)
					       : buf_adds(&v, JOBS_NONE));
	FIELD("attempts", buf_addf(&v, "%d", j->attempts));
	FIELD("rescues", buf_addf(&v, "%d", j->rescue_count));
	FIELD("fence", buf_addf(&v, "%" PRId64, j->fence));
	FIELD("lease", if (j->lease_owner) {
		add_text(&v, j->lease_owner, 0);
		buf_adds(&v, " until ");
		add_time(&v, j->lease_until);
	} else buf_adds(&v, JOBS_NONE));
	FIELD("created", add_time(&v, j->created_at));
	FIELD("finished", add_time(&v, j->finished_at));
	if (j->state == JOB_QUEUED && j->not_before > clock_wall())
		FIELD("not before", add_time(&v, j->not_before));
	FIELD("category", add_text(&v, j->category, 0));
	FIELD("commit", add_text(&v, j->commit, 0));
	FIELD("reason", add_text(&v, j->reason, 0));
	FIELD("messages", buf_addf(&v, "%zu", messages));
#undef FIELD
	printf("history:\n");
	for (i = 0; i < hist_nr; i++) {
		buf_reset(&v);
		add_time(&v, hist[i].at);
		buf_addf(&v, "  %s -> %s",
			 hist[i].from == JOB_STATE_NR ? "(created)" : state_name(hist[i].from),
			 state_name(hist[i].to));
		if (hist[i].reason && *hist[i].reason) {
			buf_adds(&v, ": ");
			add_text(&v, hist[i].reason, 0);
		}
		printf("  %s\n", v.ptr);
	}
	buf_release(&v);
}

static int jobs_show(struct queue *q, const struct jobs_args *a)
{
	struct job job = { 0 };
	struct job_transition *hist = NULL;
	struct queue_message *msgs = NULL;
	size_t hist_nr = 0, msgs_nr = 0;
	json_t *doc;
	int err;

	if ((err = queue_get(q, &job, a->id)) < 0 ||
	    (err = queue_history(q, &hist, &hist_nr, a->id)) < 0 ||
	    (err = queue_messages(q, &msgs, &msgs_nr, a->id)) < 0)
		goto done;
	if (a->json) {
		doc = json_pack("{s:[o]}", "jobs",
				api_job_detail_json(&job, hist, hist_nr, msgs, msgs_nr));
		cli_print_json(doc);
		json_decref(doc);
	} else {
		print_job(&job, hist, hist_nr, msgs_nr);
	}
done:
	queue_messages_free(msgs, msgs_nr);
	queue_history_free(hist, hist_nr);
	job_release(&job);
	return err;
}

/* retry (to queued) or discard (to discarded) by hand; a job with nothing to do is ERR_USAGE */
static int jobs_move(struct queue *q, const struct jobs_args *a)
{
	enum job_state to = a->verb == JOBS_RETRY ? JOB_QUEUED : JOB_DISCARDED;
	struct job before = { 0 }, after = { 0 };
	int err;

	if ((err = queue_get(q, &before, a->id)) < 0)
		goto done;
	if (to == JOB_QUEUED && before.state == JOB_QUEUED) {
		err = error_setc(ERR_USAGE, "job %" PRId64 " is queued already: nothing to retry",
				 a->id);
		goto done;
	}
	if (to == JOB_DISCARDED && job_state_final(before.state)) {
		err = error_setc(ERR_USAGE, "job %" PRId64 " is %s, its life is over: nothing to "
				 "discard", a->id, state_name(before.state));
		goto done;
	}
	if ((err = queue_manual(q, a->id, to, a->reason)) < 0) {
		/* it moved meanwhile: the queue's message names its state */
		if (err == ERR_CONFLICT)
			err = error_prefix(ERR_USAGE, "job %" PRId64, a->id);
		goto done;
	}
	if ((err = queue_get(q, &after, a->id)) < 0)
		goto done;
	printf("job %" PRId64 ": %s (was %s)\n", a->id, state_name(after.state),
	       state_name(before.state));
done:
	job_release(&before);
	job_release(&after);
	return err;
}

int cmd_jobs(int argc, const char **argv, struct project *p)
{
	struct parsed_args pa = PARSED_ARGS_INIT;
	struct jobs_args a = { 0 };
	struct queue *q = NULL;
	char *database = NULL;
	int code = EXIT_OK, err;
	struct option opts[] = {
		{ OPT_STRING, "db", 0, &a.db, "PATH|URL", "the service's database: a SQLite file or a postgres:// URL (default: " SERVE_DATABASE_ENV ", the config's, " SERVE_DEFAULT_DATABASE ")" },
		{ OPT_STRING, "config", 'c', &a.config, "FILE", "the service's configuration, for its database (default " SERVE_CONFIG_DEFAULT " when it exists)" },
		{ OPT_STRING, "state", 0, &a.state, "STATE", "list: only the jobs in this state" },
		{ OPT_INT, "limit", 0, &a.limit, "N", "list: the newest N jobs (default 50)" },
		{ OPT_FLAG, "json", 0, &a.json, NULL, "list, show: print JSON, as GET /api/jobs does" },
		{ OPT_STRING, "reason", 0, &a.reason, "TEXT", "retry, discard: why, for the job's history (default \"by hand\")" },
		OPT_END_ENTRY,
	};

	(void)p;
	if (cli_parse_options(&pa, opts, argc, argv, jobs_usage, &code))
		goto done;
	if ((err = check_args(&a, &pa.positional)) < 0 ||
	    (err = choose_database(&database, &a)) < 0 || (err = open_queue(&q, database)) < 0)
		goto fail;
	if (a.verb == JOBS_LIST)
		err = jobs_list(q, &a);
	else if (a.verb == JOBS_SHOW)
		err = jobs_show(q, &a);
	else
		err = jobs_move(q, &a);
fail:
	/* an unknown id is bad input, as for `show` of a session */
	if (err < 0)
		code = cli_exit_for_error(err == ERR_NOTFOUND ? ERR_USAGE : err);
done:
	queue_close(q);
	free(database);
	parsed_args_release(&pa);
	return code;
}
