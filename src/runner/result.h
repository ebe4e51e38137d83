#ifndef RUNNER_RESULT_H
#define RUNNER_RESULT_H

#include "util/buf.h"

#include <stddef.h>

/*
 * The outcome of one test run: counts, and one `struct failure` per node id
 * that failed (SPEC C1, the `scan --json` contract). A test_result owns
 * every string and array it holds; test_result_release() frees them all.
 *
 * Paths are relative to the project root (pytest's rootdir), lines are
 * 1-based, frames run outermost first, and `location` is the deepest frame
 * in project source (where it crashed).
 */

enum failure_kind {
	FAILURE_KIND_FAILURE,     /* the test body failed */
	FAILURE_KIND_ERROR,       /* setup or teardown failed */
	FAILURE_KIND_COLLECTION,  /* the module could not be collected */
};

struct frame {
	char *file;
	int line;
	char *function;  /* may be NULL */
};

struct failure {
	char *id;          /* node id exactly as pytest prints it */
	char *file;        /* the test file, may be NULL for foreign runners */
	char *test;        /* the id after "file::", may be NULL */
	enum failure_kind kind;
	char *error_type;  /* "ZeroDivisionError", "pkg.errors.ParseError", may be NULL */
	char *message;     /* may be multi-line, may be NULL */
	char *loc_file;    /* NULL when unknown */
	int loc_line;      /* 0 when unknown */
	struct frame *frames;
	size_t nr_frames, alloc_frames;
	char *traceback;   /* the runner's own report text, capped; may be NULL */
	char *output;      /* captured stdout/stderr, capped; may be NULL */
};

struct test_summary {
	size_t total, passed, failed, errors, skipped, xfailed, xpassed;
};

struct test_result {
	struct test_summary summary;
	struct failure *failures;
	size_t nr_failures, alloc_failures;
	char *rootdir;     /* absolute path of the project root, may be NULL */
	double duration;   /* seconds of the run */
};

#define TEST_RESULT_INIT { { 0, 0, 0, 0, 0, 0, 0 }, NULL, 0, 0, NULL, 0.0 }

void test_result_init(struct test_result *res);
void test_result_release(struct test_result *res);
/* a new zeroed failure owned by `res`; the pointer is valid until the next add */
struct failure *test_result_add_failure(struct test_result *res, const char *id);
/* the failure with this id, or NULL */
struct failure *test_result_find(struct test_result *res, const char *id);
/* remove failure `i`, keeping order */
void test_result_remove(struct test_result *res, size_t i);

/* forget what a failure says (type, message, location, frames, texts), keeping id, file, test and kind */
void failure_clear_details(struct failure *f);
/* a deep copy of `src` into `dst` (which holds nothing yet) */
void failure_copy(struct failure *dst, const struct failure *src);
/* free everything a failure holds (not the struct itself) */
void failure_release(struct failure *f);
/* failure_release() and free() a heap-allocated failure; NULL is a no-op */
void failure_free(struct failure *f);

void failure_add_frame(struct failure *f, const char *file, int line, const char *function);
/*
 * How much of a node id names its test function: the id without its
 * parameters ("a.py::t[1-2]" -> "a.py::t"); a module's id whole. Two
 * failures of one test function (a failure group) share this prefix.
 */
size_t failure_id_function_len(const char *id);
/* set `file` and `test` from `id` ("a/b.py::C::t[x]" -> "a/b.py", "C::t[x]") */
void failure_split_id(struct failure *f);
/* location := the last frame, when one exists and no location is set */
void failure_locate_from_frames(struct failure *f);

const char *failure_kind_name(enum failure_kind kind);
/* 0 and the kind, or -1 for an unknown name */
int failure_kind_parse(enum failure_kind *out, const char *name);

/* Text fields filled from test output are capped to this many bytes (head and tail kept). */
#define FAILURE_TEXT_CAP (64u * 1024)
/* how a NUL byte in test output is kept in a text field (Python's spelling of it) */
#define FAILURE_NUL_ESCAPE "\\x00"
/*
 * replace *field with a valid-UTF-8 copy of <s, len>, NUL bytes spelled
 * FAILURE_NUL_ESCAPE, keeping the head and tail when over `cap`
 */
void failure_set_text(char **field, const char *s, size_t len, size_t cap);

#endif
