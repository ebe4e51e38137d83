/*
 * The session state machine (src/store/session_state.c): every pair of states
 * against the table of SPEC C7 / seed 000 §6, written out again here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/session_state.h"
#include "util/error.h"

#include <stdio.h>
#include <string.h>

#define I SESSION_INITIALIZING
#define R SESSION_RUNNING
#define P SESSION_PAUSED
#define C SESSION_COMPLETED
#define F SESSION_FAILED
#define E SESSION_ERROR

static const struct { enum session_state from, to; int resume; } allowed[] = {
	{ I, R, 0 }, { I, F, 0 }, { I, E, 0 }, { I, P, 0 },
	{ R, P, 0 }, { R, C, 0 }, { R, F, 0 }, { R, E, 0 },
	{ P, R, 0 }, { P, F, 0 }, { P, E, 0 }, { P, C, 0 },
	{ F, R, 1 }, { E, R, 1 },
};

/* -1 when not allowed, else whether it is for resume only */
static int expected(enum session_state from, enum session_state to)
{
	size_t i;
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (allowed[i].from == from && allowed[i].to == to)
			return allowed[i].resume;
	return -1;
}

static void session_state__names_round_trip(void **state)
{
	static const char *const names[] = {
		"INITIALIZING", "RUNNING", "PAUSED", "COMPLETED", "FAILED", "ERROR",
	};
	enum session_state st;
	int i;

	assert_int_equal(SESSION_STATE_COUNT, 6);
	for (i = 0; i < SESSION_STATE_COUNT; i++) {
		assert_string_equal(session_state_name((enum session_state)i), names[i]);
		assert_int_equal(session_state_parse(&st, names[i]), 0);
		assert_int_equal(st, i);
	}
	assert_int_equal(session_state_parse(&st, "running"), ERR_PARSE);
	assert_string_equal(error_last(), "unknown session state 'running'");
	assert_int_equal(session_state_parse(&st, ""), ERR_PARSE);
	assert_int_equal(session_state_parse(&st, "RUNNING "), ERR_PARSE);
}

static void session_state__full_transition_table(void **state)
{
	int from, to, checked = 0, accepted = 0;
	char want[128];

	for (from = 0; from < SESSION_STATE_COUNT; from++) {
		for (to = 0; to < SESSION_STATE_COUNT; to++) {
			enum session_state f = (enum session_state)from;
			enum session_state t = (enum session_state)to;
			int exp = expected(f, t);

			error_clear();
			if (exp < 0) {
				assert_int_equal(session_state_check(f, t), ERR_CONFLICT);
				snprintf(want, sizeof(want), "cannot go from '%s' to '%s'",
					 session_state_name(f), session_state_name(t));
				assert_string_equal(error_last(), want);
				assert_false(session_state_is_resume(f, t));
			} else {
				assert_int_equal(session_state_check(f, t), 0);
				assert_int_equal(session_state_is_resume(f, t), exp);
				accepted++;
			}
			checked++;
		}
	}
	assert_int_equal(checked, 36);
	assert_int_equal(accepted, 14);
}

static void session_state__spec_examples(void **state)
{
	assert_int_equal(session_state_check(C, R), ERR_CONFLICT);
	assert_string_equal(error_last(), "cannot go from 'COMPLETED' to 'RUNNING'");
	assert_int_equal(session_state_check(R, R), ERR_CONFLICT);
	assert_int_equal(session_state_check(R, I), ERR_CONFLICT);
	assert_int_equal(session_state_check(I, C), ERR_CONFLICT);
	assert_int_equal(session_state_check(R, C), 0);
}

static void session_state__terminal_states(void **state)
{
	assert_false(session_state_is_terminal(I));
	assert_false(session_state_is_terminal(R));
	assert_false(session_state_is_terminal(P));
	assert_true(session_state_is_terminal(C));
	assert_true(session_state_is_terminal(F));
	assert_true(session_state_is_terminal(E));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(session_state__names_round_trip),
		cmocka_unit_test(session_state__full_transition_table),
		cmocka_unit_test(session_state__spec_examples),
		cmocka_unit_test(session_state__terminal_states),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
