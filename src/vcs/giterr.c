/*
 * libgit2's errors into ours, and URLs made fit to show: shared by the
 * files of src/vcs/.
 */
#include "vcs/giterr.h"

#include "util/error.h"

#include <git2.h>

#include <ctype.h>
#include <stdarg.h>
#include <string.h>

static int code_of(int gerr)
{
	switch (gerr) {
	case GIT_ENOTFOUND:
	case GIT_EUNBORNBRANCH:
		return ERR_NOTFOUND;
	case GIT_EEXISTS:
	case GIT_ECONFLICT:
	case GIT_EMERGECONFLICT:
	case GIT_EAPPLYFAIL:
	case GIT_ELOCKED:
	case GIT_EMODIFIED:
	case GIT_EUNCOMMITTED:
	case GIT_EINDEXDIRTY:
	case GIT_ENONFASTFORWARD:
		return ERR_CONFLICT;
	case GIT_EINVALIDSPEC:
	case GIT_EAMBIGUOUS:
		return ERR_USAGE;
	default:
		return ERR_GENERIC;
	}
}

int vcs_fail(int gerr, const char *fmt, ...)
{
	const git_error *e = git_error_last();
	struct buf msg = BUF_INIT;
	int code = code_of(gerr);
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	if (e && e->message && *e->message) {
		size_t at;
		buf_adds(&msg, ": ");
		at = msg.len;
		buf_adds(&msg, e->message);
		/* libgit2 sometimes starts with a capital ("Cannot"); keep "HEAD" */
		if (isupper((unsigned char)msg.ptr[at]) && islower((unsigned char)msg.ptr[at + 1]))
			msg.ptr[at] = (char)tolower((unsigned char)msg.ptr[at]);
		buf_rtrim(&msg);
		while (msg.len > at && msg.ptr[msg.len - 1] == '.')
			buf_setlen(&msg, msg.len - 1);
	}
	error_setc(code, "%s", msg.ptr);
	buf_release(&msg);
	git_error_clear();
	return code;
}

void vcs_url_scrub(struct buf *out, const char *url)
{
	const char *sep = strstr(url, "://"), *at = NULL, *colon = NULL, *auth, *p;

	buf_reset(out);
	if (sep) {
		auth = sep + 3;
		for (p = auth; *p && !strchr("/?#", *p); p++)
			if (*p == '@')
				at = p;         /* the last '@' ends the user information */
		if (at)
			colon = memchr(auth, ':', (size_t)(at - auth));
	}
	if (!colon) {
		buf_adds(out, url);
		return;
	}
	buf_add(out, url, (size_t)(colon - url));
	buf_adds(out, at);
}
