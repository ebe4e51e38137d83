#ifndef STORE_SESSION_STATE_H
#define STORE_SESSION_STATE_H

/*
 * The states of a fix session (SPEC C7, seed 000 §6-7) and the transitions
 * allowed between them, kept as one table in session_state.c:
 *
 *   from \ to      INIT  RUNNING  PAUSED  COMPLETED  FAILED  ERROR
 *   INITIALIZING    -      yes     yes       -        yes     yes
 *   RUNNING         -       -      yes      yes       yes     yes
 *   PAUSED          -      yes      -       yes       yes     yes
 *   COMPLETED       -       -       -        -         -       -
 *   FAILED          -     resume    -        -         -       -
 *   ERROR           -     resume    -        -         -       -
 *
 * COMPLETED, FAILED and ERROR are terminal, with one exception: `resume`
 * of a session that crashed (FAILED) or stopped on an error (ERROR) takes it
 * back to RUNNING. session_state_check() accepts those two moves (it cannot
 * know who asks); only the resume path may make them, and
 * session_state_is_resume() tells them apart.
 *
 * A session killed with SIGKILL stays RUNNING in the database; whoever
 * finds it so moves it along the table like anyone else (`cleanup` takes it
 * to PAUSED, `resume` carries on in RUNNING). A move to the same state is
 * not a transition and is refused like any other move missing from it.
 */
enum session_state {
	SESSION_INITIALIZING,
	SESSION_RUNNING,
	SESSION_PAUSED,
	SESSION_COMPLETED,
	SESSION_FAILED,
	SESSION_ERROR,
};

#define SESSION_STATE_COUNT (SESSION_ERROR + 1)

/* "INITIALIZING", "RUNNING", ...; a static string */
const char *session_state_name(enum session_state state);
/* 0 and the state for an exact (upper-case) name; ERR_PARSE naming it otherwise */
int session_state_parse(enum session_state *out, const char *name);
/* 0 when `from` -> `to` is allowed, else ERR_CONFLICT "cannot go from 'COMPLETED' to 'RUNNING'" */
int session_state_check(enum session_state from, enum session_state to);
/* 1 for the moves only `resume` may make (FAILED or ERROR -> RUNNING) */
int session_state_is_resume(enum session_state from, enum session_state to);
/* 1 for COMPLETED, FAILED and ERROR */
int session_state_is_terminal(enum session_state state);

#endif
