#include "serve/metrics.h"

#include "util/error.h"
#include "util/utf8.h"
#include "util/xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The Prometheus exposition of the queue's figures (metrics.h). */

#define METRIC_TYPE_COUNTER "counter"
#define METRIC_TYPE_GAUGE "gauge"
#define METRIC_TYPE_HISTOGRAM "histogram"
/* the shortest "%.*g" that reads back the same is looked for from here */
#define METRICS_VALUE_DIGITS 15
#define METRICS_VALUE_DIGITS_EXACT 17
/* larger whole numbers are printed with an exponent */
#define METRICS_INTEGER_MAX 1e15

/* the outcomes the duration histogram is labelled with */
static const enum job_state outcomes[] = { JOB_FIXED, JOB_ESCALATED, JOB_FAILED };

/* the counters workers add to, in the order printed, with their help */
static const struct known_counter {
	const char *family;
	const char *help;
	int labelled;   /* 0: a sample 0 is printed before the first count */
} known_counters[] = {
	{ METRIC_LLM_TOKENS, "LLM tokens used, by step", 1 },
	{ METRIC_LLM_COST, "LLM cost in US dollars, by step", 1 },
	{ METRIC_STEP_FAILURES, "Failed steps of jobs (each retry counts), by step", 1 },
	{ METRIC_RATE_LIMIT_WAITS, "Times a GitHub rate limit made a worker wait", 0 },
	{ METRIC_RATE_LIMIT_WAIT_SECONDS, "Seconds workers waited for GitHub rate limits", 0 },
};

/* our own families: a worker's counter of one of these names is refused */
static const char *const own_families[] = {
	METRIC_JOBS, METRIC_DURATION "_bucket", METRIC_DURATION "_sum", METRIC_DURATION "_count",
	METRIC_SUCCESS_RATIO, METRIC_FIRST_TRY_RATIO, METRIC_FIRST_TRY_FIXES, METRIC_RETRIES,
	METRIC_ESCALATIONS, METRIC_QUEUE_DEPTH, METRIC_RESCUES, METRIC_PROCESSES,
	METRIC_INVALID_COUNTERS, METRIC_DELIVERIES, METRIC_PROCESS_UPTIME, METRIC_PROCESS_START,
	METRIC_PROCESS_JOBS_DONE,
};

/* one label of a sample; a NULL value leaves it out */
struct metric_label {
	const char *name;
	const char *value;
};

double metrics_job_duration(const struct job *job)
{
	double d;

	if (!job_state_final(job->state) || job->finished_at <= 0)
		return -1;
	d = job->finished_at - job->created_at;
	return d > 0 ? d : 0;   /* the wall clock was set back meanwhile */
}

static int compare_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double metrics_median(double *values, size_t nr)
{
	if (!nr)
		return NAN;
	qsort(values, nr, sizeof(*values), compare_double);
	return nr % 2 ? values[nr / 2] : (values[nr / 2 - 1] + values[nr / 2]) / 2;
}

void metrics_summarize(struct metrics_summary *out, const struct job *jobs, size_t nr)
{
	double *fix_s = xcalloc(nr ? nr : 1, sizeof(*fix_s));
	size_t i, fixes = 0;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < nr; i++) {
		const struct job *job = &jobs[i];
		if ((unsigned)job->state >= JOB_STATE_NR)
			continue;
		out->jobs++;
		out->by_state[job->state]++;
		if (job->attempts > 0)
			out->retries += (uint64_t)job->attempts;
		if (job->rescue_count > 0)
			out->rescues += (uint64_t)job->rescue_count;
		if (job->state == JOB_FIXED) {
			if (job->attempts == 0)
				out->first_try++;
			if (metrics_job_duration(job) >= 0)
				fix_s[fixes++] = metrics_job_duration(job);
		}
	}
	out->ended = out->by_state[JOB_FIXED] + out->by_state[JOB_ESCALATED] +
		     out->by_state[JOB_FAILED];
	out->success_ratio = out->ended ? (double)out->by_state[JOB_FIXED] / out->ended : NAN;
	out->first_try_ratio = out->ended ? (double)out->first_try / out->ended : NAN;
	out->median_fix_s = metrics_median(fix_s, fixes);
	free(fix_s);
}

static void add_escaped(struct buf *out, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '\\')
			buf_adds(out, "\\\\");
		else if (s[i] == '"')
			buf_adds(out, "\\\"");
		else if (s[i] == '\n')
			buf_adds(out, "\\n");
		else
			buf_addch(out, s[i]);
	}
}

int metrics_series(struct buf *out, const char *family, const char *label, const char *value)
{
	buf_adds(out, family);
	if (!label)
		return 0;
	buf_addf(out, "{%s=\"", label);
	add_escaped(out, value ? value : "", value ? strlen(value) : 0);
	return buf_adds(out, "\"}");
}

/* a sample's value as Prometheus reads it back: the shortest exact form */
static void add_value(struct buf *out, double v)
{
	char text[64];
	int digits;

	if (isnan(v)) {
		buf_adds(out, "NaN");
		return;
	}
	if (isinf(v)) {
		buf_adds(out, v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (v == 0) {
		buf_addch(out, '0');   /* not "-0" */
		return;
	}
	if (v == rint(v) && fabs(v) < METRICS_INTEGER_MAX) {
		buf_addf(out, "%.0f", v);
		return;
	}
	for (digits = METRICS_VALUE_DIGITS; digits < METRICS_VALUE_DIGITS_EXACT; digits++) {
		snprintf(text, sizeof(text), "%.*g", digits, v);
		if (strtod(text, NULL) == v)
			break;
	}
	snprintf(text, sizeof(text), "%.*g", digits, v);
	buf_adds(out, text);
}

static int name_start(int c, int colon)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
}

static int name_char(int c, int colon)
{
	return name_start(c, colon) || (c >= '0' && c <= '9');
}

struct label {
	char *name;
	struct buf value;   /* unescaped */
};

static int compare_label(const void *a, const void *b)
{
	return strcmp(((const struct label *)a)->name, ((const struct label *)b)->name);
}

/* read `"value"` at s[*pos] into `value`, unescaped */
static int parse_value(struct buf *value, const char *s, size_t *pos)
{
	size_t i = *pos;

	if (s[i] != '"')
		return error_setc(ERR_PARSE, "invalid metric series: no '\"' at byte %zu", i);
	for (i++; s[i] != '"'; i++) {
		if (!s[i] || s[i] == '\n')
			return error_setc(ERR_PARSE, "invalid metric series: unterminated label value");
		if (s[i] != '\\') {
			buf_addch(value, s[i]);
			continue;
		}
		i++;
		if (s[i] == '\\' || s[i] == '"')
			buf_addch(value, s[i]);
		else if (s[i] == 'n')
			buf_addch(value, '\n');
		else
			return error_setc(ERR_PARSE, "invalid metric series: bad escape at byte %zu",
					  i - 1);
	}
	if (!utf8_is_valid(value->ptr, value->len))
		return error_setc(ERR_PARSE, "invalid metric series: a label value is not UTF-8");
	*pos = i + 1;
	return 0;
}

/* read the labels at s[*pos] (just past '{') up to and past the '}' */
static int parse_labels(struct label *labels, size_t *nr, const char *s, size_t *pos)
{
	size_t i = *pos, start, k;
	int ret;

	while (s[i] != '}') {
		if (*nr == METRICS_LABELS_MAX)
			return error_setc(ERR_PARSE, "invalid metric series: more than %d labels",
					  METRICS_LABELS_MAX);
		start = i;
		if (!name_start((unsigned char)s[i], 0))
			return error_setc(ERR_PARSE, "invalid metric series: bad label name at byte %zu",
					  i);
		while (name_char((unsigned char)s[i], 0))
			i++;
		if (i - start >= 2 && s[start] == '_' && s[start + 1] == '_')
			return error_setc(ERR_PARSE, "invalid metric series: label names starting '__' "
					  "are reserved");
		if (s[i] != '=')
			return error_setc(ERR_PARSE, "invalid metric series: no '=' at byte %zu", i);
		labels[*nr].name = xstrndup(s + start, i - start);
		buf_init(&labels[*nr].value, 0);
		(*nr)++;
		i++;
		if ((ret = parse_value(&labels[*nr - 1].value, s, &i)) < 0)
			return ret;
		for (k = 0; k + 1 < *nr; k++)
			if (!strcmp(labels[k].name, labels[*nr - 1].name))
				return error_setc(ERR_PARSE, "invalid metric series: a label named twice");
		if (s[i] == ',')
			i++;
		else if (s[i] != '}')
			return error_setc(ERR_PARSE, "invalid metric series: no ',' or '}' at byte %zu",
					  i);
	}
	*pos = i + 1;
	return 0;
}

int metrics_series_parse(struct buf *out, struct buf *family, const char *series)
{
	struct label labels[METRICS_LABELS_MAX];
	size_t nr = 0, i = 0, k;
	int ret = 0;

	if (strlen(series) > METRICS_SERIES_MAX)
		return error_setc(ERR_PARSE, "invalid metric series: longer than %d bytes",
				  METRICS_SERIES_MAX);
	if (!name_start((unsigned char)series[0], 1))
		return error_setc(ERR_PARSE, "invalid metric series: bad name");
	while (name_char((unsigned char)series[i], 1))
		i++;
	if (family)
		buf_add(family, series, i);
	if (series[i] == '{') {
		i++;
		if ((ret = parse_labels(labels, &nr, series, &i)) < 0)
			goto done;
	}
	if (series[i]) {
		ret = error_setc(ERR_PARSE, "invalid metric series: unexpected byte at %zu", i);
		goto done;
	}
	qsort(labels, nr, sizeof(*labels), compare_label);
	buf_add(out, series, strcspn(series, "{"));
	for (k = 0; k < nr; k++) {
		buf_addf(out, "%c%s=\"", k ? ',' : '{', labels[k].name);
		add_escaped(out, labels[k].value.ptr, labels[k].value.len);
		buf_adds(out, k + 1 < nr ? "\"" : "\"}");
	}
done:
	for (k = 0; k < nr; k++) {
		free(labels[k].name);
		buf_release(&labels[k].value);
	}
	return ret;
}

static void add_family(struct buf *out, const char *name, const char *type, const char *help)
{
	buf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void add_sample(struct buf *out, const char *series, double v)
{
	buf_addf(out, "%s ", series);
	add_value(out, v);
	buf_addch(out, '\n');
}

/* the sample family{label="value",...} (labels with a value only), values escaped */
static void add_labelled(struct buf *out, const char *family, const struct metric_label *labels,
			 size_t nr, double v)
{
	size_t i, shown = 0;

	buf_adds(out, family);
	for (i = 0; i < nr; i++) {
		if (!labels[i].value)
			continue;
		buf_addf(out, "%c%s=\"", shown++ ? ',' : '{', labels[i].name);
		add_escaped(out, labels[i].value, strlen(labels[i].value));
		buf_addch(out, '"');
	}
	buf_adds(out, shown ? "} " : " ");
	add_value(out, v);
	buf_addch(out, '\n');
}

/* one family with one unlabelled sample */
static void add_single(struct buf *out, const char *name, const char *type, const char *help,
		       double v)
{
	add_family(out, name, type, help);
	add_sample(out, name, v);
}

static void add_jobs(struct buf *out, const struct metrics_summary *sum)
{
	struct buf series = BUF_INIT;
	size_t i;

	add_family(out, METRIC_JOBS, METRIC_TYPE_GAUGE, "Jobs in the queue, by state");
	for (i = 0; i < JOB_STATE_NR; i++) {
		buf_reset(&series);
		metrics_series(&series, METRIC_JOBS, METRIC_LABEL_STATE,
			       job_state_name((enum job_state)i));
		add_sample(out, series.ptr, (double)sum->by_state[i]);
	}
	buf_release(&series);
}

static void add_durations(struct buf *out, const struct job *jobs, size_t nr)
{
	static const double bounds[] = METRICS_DURATION_BUCKETS;
	size_t counts[METRICS_DURATION_BUCKETS_NR + 1], o, i, b, total;
	double sum;

	add_family(out, METRIC_DURATION, METRIC_TYPE_HISTOGRAM,
		   "Seconds from a job's event to its end, by outcome");
	for (o = 0; o < ARRAY_SIZE(outcomes); o++) {
		const char *outcome = job_state_name(outcomes[o]);
		memset(counts, 0, sizeof(counts));
		sum = 0;
		for (i = 0; i < nr; i++) {
			double d = metrics_job_duration(&jobs[i]);
			if (jobs[i].state != outcomes[o] || d < 0)
				continue;
			sum += d;
			for (b = 0; b < METRICS_DURATION_BUCKETS_NR && d > bounds[b]; b++)
				;
			counts[b]++;
		}
		for (b = 0, total = 0; b <= METRICS_DURATION_BUCKETS_NR; b++) {
			total += counts[b];
			buf_addf(out, "%s_bucket{outcome=\"%s\",le=\"", METRIC_DURATION, outcome);
			add_value(out, b < METRICS_DURATION_BUCKETS_NR ? bounds[b] : INFINITY);
			buf_addf(out, "\"} %zu\n", total);
		}
		buf_addf(out, "%s_sum{outcome=\"%s\"} ", METRIC_DURATION, outcome);
		add_value(out, sum);
		buf_addf(out, "\n%s_count{outcome=\"%s\"} %zu\n", METRIC_DURATION, outcome, total);
	}
}

/* a worker's counter, read */
struct series {
	char *family;
	char *name;   /* the whole series, in the one form */
	double value;
};

static int compare_series(const void *a, const void *b)
{
	const struct series *x = a, *y = b;
	int c = strcmp(x->family, y->family);
	return c ? c : strcmp(x->name, y->name);
}

static int own_family(const char *family)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(own_families); i++)
		if (!strcmp(family, own_families[i]))
			return 1;
	return 0;
}

static const struct known_counter *known_counter(const char *family)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(known_counters); i++)
		if (!strcmp(family, known_counters[i].family))
			return &known_counters[i];
	return NULL;
}

/*
 * The counters as series sorted by family and name, one each (added up);
 * *invalid gets how many were left out.
 */
static void read_series(struct series **out, size_t *nr, size_t *invalid,
			const struct queue_counter *c, size_t cnr)
{
	struct buf name = BUF_INIT, family = BUF_INIT;
	size_t i, n = 0, len;

	*out = xcalloc(cnr ? cnr : 1, sizeof(**out));
	*invalid = 0;
	for (i = 0; i < cnr; i++) {
		buf_reset(&name);
		buf_reset(&family);
		if (!c[i].name || metrics_series_parse(&name, &family, c[i].name) < 0 ||
		    own_family(family.ptr) || (len = family.len) < strlen("_total") ||
		    strcmp(family.ptr + len - strlen("_total"), "_total")) {
			(*invalid)++;
			continue;
		}
		(*out)[n].family = buf_detach(&family, NULL);
		(*out)[n].name = buf_detach(&name, NULL);
		(*out)[n++].value = c[i].value;
	}
	error_clear();
	qsort(*out, n, sizeof(**out), compare_series);
	for (i = 0, *nr = 0; i < n; i++) {
		if (*nr && !strcmp((*out)[*nr - 1].name, (*out)[i].name)) {
			(*out)[*nr - 1].value += (*out)[i].value;
			FREE_ALL((*out)[i].family, (*out)[i].name);
			continue;
		}
		(*out)[(*nr)++] = (*out)[i];
	}
	buf_release(&name);
	buf_release(&family);
}

static void series_release(struct series *s)
{
	FREE_ALL(s->family, s->name);
}

static void add_counters(struct buf *out, const struct series *s, size_t nr)
{
	size_t k, i;

	for (k = 0; k < ARRAY_SIZE(known_counters); k++) {
		const struct known_counter *kc = &known_counters[k];
		int seen = 0;
		add_family(out, kc->family, METRIC_TYPE_COUNTER, kc->help);
		for (i = 0; i < nr; i++) {
			if (strcmp(s[i].family, kc->family))
				continue;
			add_sample(out, s[i].name, s[i].value);
			seen = 1;
		}
		if (!seen && !kc->labelled)
			add_sample(out, kc->family, 0);
	}
	for (i = 0; i < nr; i++) {
		if (known_counter(s[i].family))
			continue;
		if (!i || strcmp(s[i - 1].family, s[i].family))
			add_family(out, s[i].family, METRIC_TYPE_COUNTER, "A counter of the workers");
		add_sample(out, s[i].name, s[i].value);
	}
}

static int compare_delivery(const void *a, const void *b)
{
	int x = ((const struct metrics_delivery *)a)->status;
	int y = ((const struct metrics_delivery *)b)->status;
	return (x > y) - (x < y);
}

void metrics_count_roles(size_t out[METRICS_ROLES_NR], const struct queue_process *procs,
			 size_t nr)
{
	static const char *const roles[METRICS_ROLES_NR] = METRICS_ROLES;
	size_t r, i;

	for (r = 0; r < METRICS_ROLES_NR; r++)
		for (i = 0, out[r] = 0; i < nr; i++)
			out[r] += procs[i].role && !strcmp(procs[i].role, roles[r]);
}

/* the live processes of the cluster, by role (every role, 0 when none) */
static void add_processes(struct buf *out, const struct queue_process *p, size_t nr)
{
	static const char *const roles[METRICS_ROLES_NR] = METRICS_ROLES;
	size_t counts[METRICS_ROLES_NR], r;

	add_family(out, METRIC_PROCESSES, METRIC_TYPE_GAUGE,
		   "Processes of the service alive (seen lately), by role");
	metrics_count_roles(counts, p, nr);
	for (r = 0; r < METRICS_ROLES_NR; r++) {
		struct metric_label role = { METRIC_LABEL_ROLE, roles[r] };
		add_labelled(out, METRIC_PROCESSES, &role, 1, (double)counts[r]);
	}
}

static void add_deliveries(struct buf *out, const struct metrics_extra *extra)
{
	struct metrics_delivery *d = NULL;
	size_t nr = extra ? extra->deliveries_nr : 0, i;
	char status[16];
	struct metric_label labels[] = {
		{ METRIC_LABEL_INSTANCE, extra ? extra->instance : NULL },
		{ METRIC_LABEL_STATUS, status },
	};

	add_family(out, METRIC_DELIVERIES, METRIC_TYPE_COUNTER,
		   "GitHub deliveries this process answered, by HTTP status");
	if (nr) {
		d = xmalloc(st_mult(nr, sizeof(*d)));
		memcpy(d, extra->deliveries, nr * sizeof(*d));
		qsort(d, nr, sizeof(*d), compare_delivery);
	}
	for (i = 0; i < nr; i++) {
		if (i + 1 < nr && d[i + 1].status == d[i].status) {
			d[i + 1].count += d[i].count;
			continue;
		}
		snprintf(status, sizeof(status), "%d", d[i].status);
		add_labelled(out, METRIC_DELIVERIES, labels, ARRAY_SIZE(labels), (double)d[i].count);
	}
	free(d);
}

/* the serving process's own figures, when it says who it is */
static void add_own(struct buf *out, const struct metrics_extra *extra)
{
	const struct metric_label labels[] = {
		{ METRIC_LABEL_INSTANCE, extra->instance },
		{ METRIC_LABEL_ROLE, extra->role },
	};

	if (extra->uptime_s >= 0) {
		add_family(out, METRIC_PROCESS_UPTIME, METRIC_TYPE_GAUGE,
			   "Seconds since this process started");
		add_labelled(out, METRIC_PROCESS_UPTIME, labels, ARRAY_SIZE(labels), extra->uptime_s);
	}
	if (extra->started_at > 0) {
		add_family(out, METRIC_PROCESS_START, METRIC_TYPE_GAUGE,
			   "When this process started, in seconds since the epoch");
		add_labelled(out, METRIC_PROCESS_START, labels, ARRAY_SIZE(labels),
			     extra->started_at);
	}
	add_family(out, METRIC_PROCESS_JOBS_DONE, METRIC_TYPE_COUNTER,
		   "Jobs this process's workers took to an end or gave back");
	add_labelled(out, METRIC_PROCESS_JOBS_DONE, labels, 1, (double)extra->jobs_done);
}

int metrics_render(struct buf *out, struct queue *q, const struct metrics_extra *extra)
{
	struct metrics_summary sum;
	struct queue_counter *c = NULL;
	struct queue_process *procs = NULL;
	struct series *s = NULL;
	struct job *jobs = NULL;
	size_t nr = 0, cnr = 0, pnr = 0, snr = 0, invalid = 0, depth = 0;
	int ret;

	if ((ret = queue_list(q, &jobs, &nr, 0)) < 0 || (ret = queue_depth(q, &depth)) < 0 ||
	    (ret = queue_counters(q, &c, &cnr)) < 0 ||
	    (ret = queue_processes(q, &procs, &pnr)) < 0)
		goto done;
	metrics_summarize(&sum, jobs, nr);
	add_jobs(out, &sum);
	add_durations(out, jobs, nr);
	add_single(out, METRIC_SUCCESS_RATIO, METRIC_TYPE_GAUGE,
		   "Jobs fixed of those worked on to an end (fixed, escalated, failed)",
		   sum.success_ratio);
	add_single(out, METRIC_FIRST_TRY_RATIO, METRIC_TYPE_GAUGE,
		   "Jobs fixed without a retry of those worked on to an end", sum.first_try_ratio);
	add_single(out, METRIC_FIRST_TRY_FIXES, METRIC_TYPE_COUNTER, "Jobs fixed without a retry",
		   (double)sum.first_try);
	add_single(out, METRIC_RETRIES, METRIC_TYPE_COUNTER, "Retries of failed steps, all jobs",
		   (double)sum.retries);
	add_single(out, METRIC_ESCALATIONS, METRIC_TYPE_COUNTER, "Jobs escalated to people",
		   (double)sum.by_state[JOB_ESCALATED]);
	add_single(out, METRIC_QUEUE_DEPTH, METRIC_TYPE_GAUGE, "Jobs queued or being worked on",
		   (double)depth);
	add_single(out, METRIC_RESCUES, METRIC_TYPE_COUNTER,
		   "Claims of jobs whose worker's lease ran out (the worker died or stalled)",
		   (double)sum.rescues);
	add_processes(out, procs, pnr);
	read_series(&s, &snr, &invalid, c, cnr);
	add_counters(out, s, snr);
	add_single(out, METRIC_INVALID_COUNTERS, METRIC_TYPE_GAUGE,
		   "Counters of the workers left out: their name is no valid series",
		   (double)invalid);
	add_deliveries(out, extra);
	if (extra && extra->instance)
		add_own(out, extra);
done:
	if (s)
		FREE_ARRAY(s, snr, series_release);
	queue_processes_free(procs, pnr);
	queue_counters_free(c, cnr);
	queue_jobs_free(jobs, nr);
	return ret;
}
