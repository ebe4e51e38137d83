#ifndef UTIL_SIG_H
#define UTIL_SIG_H

/*
 * Interruption: SIGINT, SIGTERM and SIGHUP set a flag instead of killing
 * the process, so long operations (a test run, later a fix session) can
 * stop their children and restore state before exiting with 130.
 */
void sig_install(void);
/* the signal received, or 0 */
int sig_pending(void);
/* for tests */
void sig_reset(void);

#endif
