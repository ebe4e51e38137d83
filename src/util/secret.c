#define _GNU_SOURCE /* memmem */
#include "util/secret.h"

#include "util/error.h"
#include "util/xalloc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char **secrets;          /* the values, owned */
static size_t nr_secrets;
static char **hidden, **passed; /* environment variable names, owned */
static size_t nr_hidden, nr_passed;

static int in_list(char *const *list, size_t nr, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < nr; i++)
		if (strlen(list[i]) == len && !memcmp(list[i], name, len))
			return 1;
	return 0;
}

static void push(char ***list, size_t *nr, const char *s, size_t len)
{
	*list = xrealloc(*list, (*nr + 1) * sizeof(**list));
	(*list)[(*nr)++] = xstrndup(s, len);
}

static int add(const char *value, size_t len)
{
	if (!value || len < SECRET_MIN_LEN)
		return 0;
	/* from now on, no error message holds a secret */
	error_set_filter(secret_redact_array);
	pthread_mutex_lock(&lock);
	if (!in_list(secrets, nr_secrets, value, len))
		push(&secrets, &nr_secrets, value, len);
	pthread_mutex_unlock(&lock);
	return 1;
}

int secret_add(const char *value)
{
	return value ? add(value, strlen(value)) : 0;
}

/* the password of "scheme://user:password@host..." in `url`: its start, its length in `len` */
static const char *url_password(size_t *len, const char *url)
{
	const char *rest, *end, *at, *colon;

	if (!url || !(rest = strstr(url, "://")))
		return NULL;
	rest += 3;
	end = rest + strcspn(rest, "/?#");
	/* the last '@' of the authority: a password may hold an '@' of its own */
	for (at = end; at > rest && at[-1] != '@'; at--)
		;
	if (at == rest)
		return NULL;
	at--;
	if (!(colon = memchr(rest, ':', (size_t)(at - rest))))
		return NULL;
	if (len)
		*len = (size_t)(at - colon - 1);
	return colon + 1;
}

int secret_add_url(const char *url)
{
	size_t len = 0;
	const char *password = url_password(&len, url);

	return password ? add(password, len) : 0;
}

void secret_add_env(void)
{
	static const char *const names[] = SECRET_ENV_NAMES;
	static const char *const url_names[] = SECRET_ENV_URL_NAMES;
	size_t i;

	for (i = 0; names[i]; i++) {
		secret_add(getenv(names[i]));
		secret_hide_env(names[i]);
	}
	for (i = 0; url_names[i]; i++)
		if (url_password(NULL, getenv(url_names[i]))) {
			secret_add_url(getenv(url_names[i]));
			secret_hide_env(url_names[i]);
		}
}

void secret_hide_env(const char *name)
{
	pthread_mutex_lock(&lock);
	if (!in_list(hidden, nr_hidden, name, strlen(name)))
		push(&hidden, &nr_hidden, name, strlen(name));
	pthread_mutex_unlock(&lock);
}

void secret_pass_env(const char *name)
{
	pthread_mutex_lock(&lock);
	if (!in_list(passed, nr_passed, name, strlen(name)))
		push(&passed, &nr_passed, name, strlen(name));
	pthread_mutex_unlock(&lock);
}

static void free_list(char ***list, size_t *nr, int wipe)
{
	size_t i;

	for (i = 0; i < *nr; i++) {
		if (wipe) {
			volatile char *p = (*list)[i];
			while (*p)
				*p++ = '\0';
		}
		free((*list)[i]);
	}
	free(*list);
	*list = NULL;
	*nr = 0;
}

void secret_clear(void)
{
	pthread_mutex_lock(&lock);
	free_list(&secrets, &nr_secrets, 1);
	free_list(&hidden, &nr_hidden, 0);
	free_list(&passed, &nr_passed, 0);
	pthread_mutex_unlock(&lock);
}

/* the earliest secret in ptr[0..len) and its length; the lock is held */
static const char *find_locked(size_t *found_len, const char *ptr, size_t len)
{
	const char *best = NULL;
	size_t i;

	for (i = 0; i < nr_secrets; i++) {
		size_t n = strlen(secrets[i]);
		const char *hit = memmem(ptr, len, secrets[i], n);
		/* at one place, the longest: a secret holding another goes whole */
		if (hit && (!best || hit < best || (hit == best && n > *found_len))) {
			best = hit;
			*found_len = n;
		}
	}
	return best;
}

const char *secret_find(const char *ptr, size_t len)
{
	const char *hit;
	size_t n = 0;

	if (!ptr)
		return NULL;
	pthread_mutex_lock(&lock);
	hit = nr_secrets ? find_locked(&n, ptr, len) : NULL;
	pthread_mutex_unlock(&lock);
	return hit;
}

/* `s[0..len)` redacted into `out` (uncapped: no error is ever set here); the count */
static size_t redact_into(struct buf *out, const char *s, size_t len)
{
	size_t count = 0, n = 0;
	const char *hit;

	pthread_mutex_lock(&lock);
	while (nr_secrets && (hit = find_locked(&n, s, len))) {
		buf_add(out, s, (size_t)(hit - s));
		buf_adds(out, SECRET_REDACTED);
		len -= (size_t)(hit - s) + n;
		s = hit + n;
		count++;
	}
	pthread_mutex_unlock(&lock);
	buf_add(out, s, len);
	return count;
}

size_t secret_redact(struct buf *b)
{
	struct buf clean = BUF_INIT;
	size_t count;

	if (!secret_find(b->ptr, b->len))
		return 0;
	count = redact_into(&clean, b->ptr, b->len);
	buf_reset(b);
	/* the redacted text may pass b's cap: it is cut there */
	buf_add(b, clean.ptr, b->max && clean.len > b->max ? b->max : clean.len);
	buf_release(&clean);
	return count;
}

char *secret_redacted(const char *s)
{
	struct buf clean = BUF_INIT;

	if (!s)
		return NULL;
	redact_into(&clean, s, strlen(s));
	return buf_detach(&clean, NULL);
}

void secret_redact_array(char *s, size_t size)
{
	struct buf clean = BUF_INIT;
	size_t len = strnlen(s, size);

	if (!size || !secret_find(s, len))
		return;
	redact_into(&clean, s, len);
	len = clean.len < size - 1 ? clean.len : size - 1;
	memcpy(s, clean.ptr, len);
	s[len] = '\0';
	buf_release(&clean);
}

int secret_env_hidden(const char *entry)
{
	const char *eq = strchr(entry, '=');
	size_t name_len = eq ? (size_t)(eq - entry) : strlen(entry);
	size_t n = 0;
	int hide;

	pthread_mutex_lock(&lock);
	hide = in_list(hidden, nr_hidden, entry, name_len) ||
	       (eq && nr_secrets && find_locked(&n, eq + 1, strlen(eq + 1)));
	if (hide && in_list(passed, nr_passed, entry, name_len))
		hide = 0;
	pthread_mutex_unlock(&lock);
	return hide;
}
