#include "serve/poll.h"

#include "github/github.h"
#include "serve/config.h"
#include "serve/message.h"
#include "serve/queue.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

/*
 * The clone URL of a run's repository from the run's page
 * (https://HOST/OWNER/NAME/actions/runs/ID -> https://HOST/OWNER/NAME.git):
 * the list of runs names no clone URL, and the page is on the host git
 * serves, github.com's or an Enterprise server's.
 */
static int clone_url(struct buf *out, const struct github_run *run, const char *repository)
{
	const char *cut = run->html_url ? strstr(run->html_url, "/actions/runs/") : NULL;

	if (!cut || (strncmp(run->html_url, "https://", 8) && strncmp(run->html_url, "http://", 7)))
		return error_setc(ERR_PARSE, "run %lld of %s: no page to find the repository from",
				  run->id, repository);
	buf_add(out, run->html_url, (size_t)(cut - run->html_url));
	buf_adds(out, ".git");
	return 0;
}

/* the run as a workflow_run delivery's payload (what webhook_parse() reads) */
static json_t *run_payload(const struct github_run *run, const char *repository, const char *url)
{
	json_t *prs = json_array();
	int fork = run->head_repo && strcmp(run->head_repo, repository);
	size_t i;

	for (i = 0; i < run->nr_pull_requests; i++)
		json_array_append_new(prs, json_pack("{s:I, s:{s:{s:i}}, s:{s:{s:i}}}",
						     "number", (json_int_t)run->pull_requests[i],
						     "head", "repo", "id", fork ? 2 : 1,
						     "base", "repo", "id", 1));
	return json_pack("{s:s, s:{s:I, s:s, s:s, s:s?, s:s, s:s, s:o, s:{s:i, s:s}},"
			 " s:{s:i, s:s, s:s}}",
			 "action", "completed",
			 "workflow_run", "id", (json_int_t)run->id, "name", run->name,
			 "head_sha", run->head_sha, "head_branch", run->head_branch,
			 "status", "completed", "conclusion", "failure", "pull_requests", prs,
			 "head_repository", "id", fork ? 2 : 1, "full_name",
			 run->head_repo ? run->head_repo : repository,
			 "repository", "id", 1, "full_name", repository, "clone_url", url);
}

static void enqueue_run(struct queue *q, pthread_mutex_t *lock, const struct github_run *run,
			const char *repository)
{
	struct message_check_failed cf = { .repository = repository, .check_run_id = run->id,
					   .failure_time = clock_wall() };
	struct job_new n = { .repository = repository, .head_sha = run->head_sha,
			     .check = run->name };
	struct buf url = BUF_INIT, pr_id = BUF_INIT;
	json_t *payload = NULL, *msg = NULL;
	char *text = NULL, *msg_text = NULL;
	struct job job;
	int created = 0, err;

	memset(&job, 0, sizeof(job));
	if (!run->name || !run->head_sha || clone_url(&url, run, repository) < 0 ||
	    !(payload = run_payload(run, repository, url.ptr)) ||
	    !(text = json_dumps(payload, JSON_COMPACT))) {
		log_warn("poll: %s: run %lld cannot be queued: %s", repository, run->id,
			 error_last());
		goto done;
	}
	n.payload = text;
	n.pull_request = run->nr_pull_requests ? (long)run->pull_requests[0] : 0;
	message_pr_id(&pr_id, repository, n.pull_request, run->head_sha);
	cf.pr_id = pr_id.ptr;
	cf.check_name = run->name;
	cf.log_url = run->html_url;
	if (message_check_failed(&msg, &cf) == 0)
		msg_text = message_text(msg);
	pthread_mutex_lock(lock);
	err = queue_enqueue(q, &job, &created, &n);
	if (err == 0 && created && msg_text)
		err = queue_message_add(q, job.id, MESSAGE_CHECK_FAILED, msg_text);
	pthread_mutex_unlock(lock);
	if (err < 0)
		log_warn("poll: %s: run %lld: %s", repository, run->id, error_last());
	else if (created)
		log_info("job %lld: %s@%.7s %s: queued (failed run %lld, polled)",
			 (long long)job.id, repository, run->head_sha, run->name, run->id);
done:
	if (job.repository)
		job_release(&job);
	json_decref(payload);
	json_decref(msg);
	free(text);
	free(msg_text);
	buf_release(&url);
	buf_release(&pr_id);
}

int poll_once(struct queue *q, pthread_mutex_t *lock, const struct serve_config *cfg)
{
	struct github_options go = GITHUB_OPTIONS_INIT;
	struct github *gh = NULL;
	struct github_run *runs;
	size_t i, j, nr;
	int err, last = 0;

	go.api_url = cfg->github_api_url;
	go.token = cfg->github_token ? cfg->github_token : "";
	if ((err = github_open(&gh, NULL, &go)) < 0)
		return err;
	for (i = 0; i < cfg->repos_nr; i++) {
		const char *name = cfg->repos[i].name, *slash = strchr(name, '/');
		char owner[128];

		if (!slash || (size_t)(slash - name) >= sizeof(owner))
			continue;
		memcpy(owner, name, (size_t)(slash - name));
		owner[slash - name] = '\0';
		if ((err = github_failed_runs(&runs, &nr, gh, owner, slash + 1, POLL_RUNS_PER_REPO)) < 0) {
			log_warn("poll: %s: %s", name, error_last());
			last = err;
			continue;
		}
		/* oldest first, so that job ids follow the runs' order */
		for (j = nr; j-- > 0;)
			enqueue_run(q, lock, &runs[j], name);
		github_runs_free(runs, nr);
	}
	github_free(gh);
	return last;
}
