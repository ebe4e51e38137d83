/*
 * libgit2's errors into ours, URLs made fit to show, credentials: shared
 * by the files of src/vcs/.
 */
#include "vcs/libgit.h"

#include "util/error.h"
#include "util/xalloc.h"

#include <git2.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
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

static int on_credentials(git_credential **out, const char *url, const char *user_from_url,
			  unsigned int allowed, void *payload)
{
	struct vcs_auth *a = payload;
	const char *user = user_from_url && *user_from_url ? user_from_url : VCS_SSH_USER;

	(void)url;
	if ((allowed & GIT_CREDENTIAL_SSH_KEY) && !(a->tried & GIT_CREDENTIAL_SSH_KEY)) {
		a->tried |= GIT_CREDENTIAL_SSH_KEY;
		return git_credential_ssh_key_from_agent(out, user);
	}
	if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && a->token &&
	    a->userpass_tries < VCS_AUTH_TRIES) {
		a->userpass_tries++;
		return git_credential_userpass_plaintext_new(out, VCS_TOKEN_USER, a->token);
	}
	if ((allowed & GIT_CREDENTIAL_USERNAME) && !(a->tried & GIT_CREDENTIAL_USERNAME)) {
		a->tried |= GIT_CREDENTIAL_USERNAME;
		return git_credential_username_new(out, user);
	}
	git_error_set_str(GIT_ERROR_NET, a->token ? "authentication failed: the token was refused"
			  : a->missing);
	return GIT_EAUTH;
}

static int on_push_update(const char *refname, const char *status, void *payload)
{
	struct vcs_auth *a = payload;

	if (status && !a->rejected_ref) {
		a->rejected_ref = xstrdup(refname);
		a->rejected_why = xstrdup(status);
	}
	return 0;
}

void vcs_auth_callbacks(struct git_remote_callbacks *cb, struct vcs_auth *a)
{
	git_remote_init_callbacks(cb, GIT_REMOTE_CALLBACKS_VERSION);
	cb->credentials = on_credentials;
	cb->push_update_reference = on_push_update;
	cb->payload = a;
}

void vcs_auth_release(struct vcs_auth *a)
{
	free(a->rejected_ref);
	free(a->rejected_why);
	a->rejected_ref = a->rejected_why = NULL;
}
