#ifndef RUNNER_RECORDS_H
#define RUNNER_RECORDS_H

#include "runner/result.h"
#include "util/buf.h"
#include "util/strvec.h"

#include <stddef.h>

/*
 * Reader of the records our pytest plugin writes (one JSON object a line,
 * see pytest_fixer_plugin.py). It is fed bytes as they arrive, so the
 * watchdog can follow a run live, and folds the records into a
 * test_result: one outcome per node id, one failure per failed phase (as
 * pytest's JUnit: a failed test body and then a teardown error are two
 * entries of one test).
 *
 * The reader borrows `res` (owned by the caller) and owns everything else.
 */

#define RECORDS_LINE_CAP (16u * 1024 * 1024)
#define RECORDS_MAX_RUNNING 256

struct running_test {
	char *id;
	double started;      /* monotonic seconds */
	long pid;            /* the process running it, 0 if unknown */
	int alarmed;         /* the watchdog has sent it SIGALRM */
	/* the phases seen so far */
	int setup_failed, call_failed, teardown_failed;
	int skipped, xfail, xpassed;
	struct failure *pending;   /* details of the first failed phase; owned */
	struct failure *teardown;  /* a teardown error after that, a second entry; owned */
	enum failure_kind kind;
};

struct json_t;
/*
 * Called with each record as it is read, before the reader folds it in:
 * 0 folds it, 1 takes it (it is not folded: records the reader does not
 * know, e.g. a stress run's "iteration"), negative: an error, which stops
 * the reading. `ev` is the record's "ev".
 */
typedef int (*records_fn)(void *payload, struct json_t *rec, const char *ev);

struct records_reader {
	struct test_result *res;
	records_fn on_record;      /* optional, with `payload` */
	void *payload;
	struct buf partial;        /* an unfinished line */
	size_t line_no;
	struct running_test running[RECORDS_MAX_RUNNING];
	size_t nr_running;
	int sessions;              /* session records seen (controller, not workers) */
	int finished;              /* a controller's finish record was seen */
	int exitstatus;            /* from it */
	char *pytest_version;
	size_t finalized;          /* tests folded into res so far */
	struct strvec *done_ids;   /* optional (borrowed): ids of finished tests are pushed here */
};

void records_reader_init(struct records_reader *r, struct test_result *res);
void records_reader_release(struct records_reader *r);
/* feed bytes; ERR_PARSE with "line N: ..." for a malformed record */
int records_reader_feed(struct records_reader *r, const char *data, size_t len);
/* the input is over: a trailing unterminated line is an error */
int records_reader_finish(struct records_reader *r);
/* the test that has been running longest, or NULL */
struct running_test *records_reader_oldest(struct records_reader *r);
/*
 * The run ended while `id` was running: record it as a failure with this
 * error type and message, so the rest of the run can be resumed without it.
 */
void records_reader_abandon(struct records_reader *r, const char *id, const char *error_type,
			    const char *message);

/* forget the tests in flight (they will be run again) */
void records_reader_drop_running(struct records_reader *r);

#endif
