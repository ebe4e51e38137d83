/*
 * The seed's three messages as jansson objects (serve/message.h).
 */
#include "serve/message.h"

#include "util/buf.h"

#include "util/error.h"
#include "util/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ERR_USAGE unless `s` is one of the NULL-terminated `set` */
static int check_one_of(const char *what, const char *field, const char *s,
			const char *const *set)
{
	size_t i;

	for (i = 0; s && set[i]; i++)
		if (!strcmp(s, set[i]))
			return 0;
	return error_setc(ERR_USAGE, "bad %s message: \"%s\" is '%s', not one of %s%s%s%s", what,
			  field, s ? s : "(none)", set[0], set[1] ? ", " : "", set[1] ? set[1] : "",
			  set[1] && set[2] ? ", ..." : "");
}

static int check_required(const char *what, const char *field, const char *s)
{
	if (!s || !*s)
		return error_setc(ERR_USAGE, "bad %s message: \"%s\" is missing", what, field);
	return 0;
}

/* set `key` of `o` to the string `s` (NULL: null); ERR_USAGE when it is not UTF-8 */
static int set_string(json_t *o, const char *what, const char *key, const char *s)
{
	json_t *v = s ? json_string(s) : json_null();

	if (!v)
		return error_setc(ERR_USAGE, "bad %s message: \"%s\" is not valid UTF-8", what, key);
	json_object_set_new(o, key, v);
	return 0;
}

void message_duration(char out[MESSAGE_DURATION_MAX], double seconds)
{
	/* clamped below 10^8 days, before the conversion could overflow */
	double most = 100000000.0 * 86400 - 1;
	long long s = !(seconds > 0) ? 0 : seconds > most ? (long long)most : (long long)seconds;
	long long d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;
	if (d)
		snprintf(out, MESSAGE_DURATION_MAX, "%lldd %02lldh %02lldm %02llds", d, h, m, sec);
	else if (h)
		snprintf(out, MESSAGE_DURATION_MAX, "%lldh %02lldm %02llds", h, m, sec);
	else if (m)
		snprintf(out, MESSAGE_DURATION_MAX, "%lldm %02llds", m, sec);
	else
		snprintf(out, MESSAGE_DURATION_MAX, "%llds", sec);
}

void message_timestamp(char out[MESSAGE_TIMESTAMP_MAX], double seconds)
{
	time_t t = (time_t)seconds;
	struct tm tm;

	if (!gmtime_r(&t, &tm) || !strftime(out, MESSAGE_TIMESTAMP_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, MESSAGE_TIMESTAMP_MAX, "1970-01-01T00:00:00Z");
}

int message_check_failed(json_t **out, const struct message_check_failed *m)
{
	static const char what[] = MESSAGE_CHECK_FAILED;
	char id[32], when[MESSAGE_TIMESTAMP_MAX];
	json_t *o = json_object();
	int err;

	*out = NULL;
	if ((err = check_required(what, "pr_id", m->pr_id)) < 0 ||
	    (err = check_required(what, "repository", m->repository)) < 0 ||
	    (err = check_required(what, "check_name", m->check_name)) < 0)
		goto done;
	if (m->check_run_id <= 0) {
		err = error_setc(ERR_USAGE, "bad %s message: \"check_run_id\" is %lld", what,
				 m->check_run_id);
		goto done;
	}
	snprintf(id, sizeof(id), "%lld", m->check_run_id);
	if (m->failure_time > 0)
		message_timestamp(when, m->failure_time);
	json_object_set_new(o, "event_type", json_string(what));
	if ((err = set_string(o, what, "pr_id", m->pr_id)) < 0 ||
	    (err = set_string(o, what, "repository", m->repository)) < 0 ||
	    (err = set_string(o, what, "check_name", m->check_name)) < 0 ||
	    (err = set_string(o, what, "check_run_id", id)) < 0 ||
	    (err = set_string(o, what, "failure_timestamp",
			      m->failure_time > 0 ? when : NULL)) < 0 ||
	    (err = set_string(o, what, "log_url", m->log_url)) < 0)
		goto done;
	*out = o;
	o = NULL;
done:
	json_decref(o);
	return err;
}

int message_fix_requested(json_t **out, const struct message_fix_requested *m)
{
	static const char what[] = MESSAGE_FIX_REQUESTED;
	static const char *const priorities[] = MESSAGE_PRIORITIES;
	static const char *const complexities[] = MESSAGE_COMPLEXITIES;
	json_t *o = json_object(), *files = json_array();
	size_t i;
	int err;

	*out = NULL;
	if ((err = check_required(what, "pr_id", m->pr_id)) < 0 ||
	    (err = check_required(what, "analysis_id", m->analysis_id)) < 0 ||
	    (err = check_one_of(what, "priority", m->priority, priorities)) < 0 ||
	    (err = check_one_of(what, "estimated_complexity", m->estimated_complexity,
				complexities)) < 0)
		goto done;
	for (i = 0; m->files_to_modify && i < m->files_to_modify->nr; i++) {
		json_t *f = json_string(m->files_to_modify->v[i]);
		if (!f) {
			err = error_setc(ERR_USAGE, "bad %s message: \"files_to_modify\" %zu is not "
					 "valid UTF-8", what, i + 1);
			goto done;
		}
		json_array_append_new(files, f);
	}
	json_object_set_new(o, "event_type", json_string(what));
	if ((err = set_string(o, what, "pr_id", m->pr_id)) < 0 ||
	    (err = set_string(o, what, "analysis_id", m->analysis_id)) < 0)
		goto done;
	json_object_set_new(o, "priority", json_string(m->priority));
	json_object_set_new(o, "estimated_complexity", json_string(m->estimated_complexity));
	json_object_set(o, "files_to_modify", files);
	*out = o;
	o = NULL;
done:
	json_decref(files);
	json_decref(o);
	return err;
}

int message_notification(json_t **out, const struct message_notification *m)
{
	static const char what[] = MESSAGE_NOTIFICATION;
	static const char *const priorities[] = MESSAGE_PRIORITIES;
	static const char *const channels[] = MESSAGE_CHANNELS;
	static const char *const fix_types[] = MESSAGE_FIX_TYPES;
	json_t *o = json_object(), *details = json_object(), *v;
	char took[MESSAGE_DURATION_MAX];
	const char *key;
	int err;

	*out = NULL;
	if ((err = check_one_of(what, "priority", m->priority, priorities)) < 0 ||
	    (err = check_one_of(what, "channel", m->channel, channels)) < 0 ||
	    (err = check_required(what, "message", m->message)) < 0 ||
	    (err = check_one_of(what, "details.fix_type", m->fix_type, fix_types)) < 0)
		goto done;
	if (m->issues_fixed < 0) {
		err = error_setc(ERR_USAGE, "bad %s message: \"issues_fixed\" is %ld", what,
				 m->issues_fixed);
		goto done;
	}
	if (m->extra && !json_is_object(m->extra)) {
		err = error_setc(ERR_USAGE, "bad %s message: its extra details are not an object",
				 what);
		goto done;
	}
	json_object_set_new(o, "event_type", json_string(what));
	json_object_set_new(o, "priority", json_string(m->priority));
	json_object_set_new(o, "channel", json_string(m->channel));
	if ((err = set_string(o, what, "message", m->message)) < 0 ||
	    (err = set_string(o, what, "pr_url", m->pr_url)) < 0)
		goto done;
	json_object_set_new(details, "fix_type", json_string(m->fix_type));
	json_object_set_new(details, "issues_fixed", json_integer(m->issues_fixed));
	if (m->time_to_fix >= 0)
		message_duration(took, m->time_to_fix);
	json_object_set_new(details, "time_to_fix", m->time_to_fix >= 0 ? json_string(took)
									 : json_null());
	if (m->extra)
		json_object_foreach(m->extra, key, v)
			if (!json_object_get(details, key))
				json_object_set(details, key, v);
	json_object_set(o, "details", details);
	*out = o;
	o = NULL;
done:
	json_decref(details);
	json_decref(o);
	return err;
}

char *message_text(const json_t *m)
{
	char *text = json_dumps(m, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (!text) {            /* only when out of memory: what xmalloc does then */
		fputs("pytest-fixer: out of memory serialising a message\n", stderr);
		abort();
	}
	return text;
}

void message_pr_id(struct buf *out, const char *repository, long pull_request,
		   const char *head_sha)
{
	if (pull_request > 0)
		buf_addf(out, "%s#%ld", repository, pull_request);
	else
		buf_addf(out, "%s@%.7s", repository, head_sha ? head_sha : "");
}
