#include "store/session_state.h"

#include "util/error.h"
#include "util/xalloc.h"

#include <assert.h>
#include <string.h>

static const char *const state_names[SESSION_STATE_COUNT] = {
	[SESSION_INITIALIZING] = "INITIALIZING",
	[SESSION_RUNNING] = "RUNNING",
	[SESSION_PAUSED] = "PAUSED",
	[SESSION_COMPLETED] = "COMPLETED",
	[SESSION_FAILED] = "FAILED",
	[SESSION_ERROR] = "ERROR",
};

enum move {
	NO = 0,   /* not allowed */
	YES,      /* allowed */
	RESUME,   /* allowed, for `resume` only */
};

/* moves[from][to] */
static const enum move moves[SESSION_STATE_COUNT][SESSION_STATE_COUNT] = {
	[SESSION_INITIALIZING] = {
		[SESSION_RUNNING] = YES, [SESSION_PAUSED] = YES,
		[SESSION_FAILED] = YES, [SESSION_ERROR] = YES,
	},
	[SESSION_RUNNING] = {
		[SESSION_PAUSED] = YES, [SESSION_COMPLETED] = YES,
		[SESSION_FAILED] = YES, [SESSION_ERROR] = YES,
	},
	[SESSION_PAUSED] = {
		[SESSION_RUNNING] = YES, [SESSION_COMPLETED] = YES,
		[SESSION_FAILED] = YES, [SESSION_ERROR] = YES,
	},
	[SESSION_COMPLETED] = { NO },
	[SESSION_FAILED] = { [SESSION_RUNNING] = RESUME },
	[SESSION_ERROR] = { [SESSION_RUNNING] = RESUME },
};

static inline int valid(enum session_state state)
{
	return (unsigned)state < SESSION_STATE_COUNT;
}

const char *session_state_name(enum session_state state)
{
	assert(valid(state));
	return state_names[state];
}

int session_state_parse(enum session_state *out, const char *name)
{
	size_t i;
	for (i = 0; i < ARRAY_SIZE(state_names); i++) {
		if (!strcmp(state_names[i], name)) {
			*out = (enum session_state)i;
			return 0;
		}
	}
	return error_setc(ERR_PARSE, "unknown session state '%s'", name);
}

int session_state_check(enum session_state from, enum session_state to)
{
	assert(valid(from) && valid(to));
	if (moves[from][to] == NO)
		return error_setc(ERR_CONFLICT, "cannot go from '%s' to '%s'",
				  state_names[from], state_names[to]);
	return 0;
}

int session_state_is_resume(enum session_state from, enum session_state to)
{
	assert(valid(from) && valid(to));
	return moves[from][to] == RESUME;
}

int session_state_is_terminal(enum session_state state)
{
	return state == SESSION_COMPLETED || state == SESSION_FAILED || state == SESSION_ERROR;
}
