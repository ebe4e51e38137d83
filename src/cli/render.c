#include "cli/render.h"

#include "util/buf.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define COLOR_RED "\033[31m"
#define COLOR_YELLOW "\033[33m"
#define COLOR_GREEN "\033[32m"
#define COLOR_BOLD "\033[1m"
#define COLOR_RESET "\033[0m"
#define MIN_ERROR_COLUMN 20

void render_style_for(struct render_style *out, FILE *stream)
{
	int fd = fileno(stream);
	const char *term = getenv("TERM");
	struct winsize ws;

	out->color = isatty(fd) && !getenv("NO_COLOR") && !(term && !strcmp(term, "dumb"));
	out->width = 0;
	if (isatty(fd) && !ioctl(fd, TIOCGWINSZ, &ws) && ws.ws_col)
		out->width = ws.ws_col;
}

/* number of characters (code points) in a UTF-8 string */
static size_t display_len(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/* append at most `max` characters of the first line of `s` */
static void add_clipped(struct buf *b, const char *s, size_t max)
{
	size_t n = 0;
	const char *p = s;
	while (*p && *p != '\n') {
		if (((unsigned char)*p & 0xc0) != 0x80) {
			if (n == max)
				break;
			n++;
		}
		p++;
	}
	if (*p && *p != '\n' && max > 0) {
		/* cut: make room for the ellipsis */
		const char *q = p;
		do
			q--;
		while (q > s && ((unsigned char)*q & 0xc0) == 0x80);
		buf_add(b, s, (size_t)(q - s));
		buf_adds(b, "\xe2\x80\xa6");
		return;
	}
	buf_add(b, s, (size_t)(p - s));
}

static void error_text(struct buf *b, const struct failure *f)
{
	if (f->error_type)
		buf_adds(b, f->error_type);
	if (f->message && *f->message) {
		if (f->error_type)
			buf_adds(b, ": ");
		buf_adds(b, f->message);
	}
}

static void pad(FILE *to, size_t n)
{
	while (n--)
		fputc(' ', to);
}

void render_failures_table(FILE *to, const struct test_result *res, const struct render_style *st)
{
	size_t wkind = strlen("KIND"), wloc = strlen("LOCATION"), wtest = strlen("TEST");
	struct buf cell = BUF_INIT;
	size_t i;

	if (!res->nr_failures)
		return;
	for (i = 0; i < res->nr_failures; i++) {
		const struct failure *f = &res->failures[i];
		size_t n;
		if ((n = strlen(failure_kind_name(f->kind))) > wkind)
			wkind = n;
		buf_reset(&cell);
		if (f->loc_file)
			buf_addf(&cell, "%s:%d", f->loc_file, f->loc_line);
		if ((n = display_len(cell.ptr)) > wloc)
			wloc = n;
		if ((n = display_len(f->id)) > wtest)
			wtest = n;
	}
	if (st->color)
		fputs(COLOR_BOLD, to);
	fprintf(to, "%-*s  %-*s  %-*s  ERROR", (int)wkind, "KIND", (int)wloc, "LOCATION",
		(int)wtest, "TEST");
	if (st->color)
		fputs(COLOR_RESET, to);
	fputc('\n', to);
	for (i = 0; i < res->nr_failures; i++) {
		const struct failure *f = &res->failures[i];
		const char *kind = failure_kind_name(f->kind);
		size_t used = wkind + wloc + wtest + 6;
		size_t room = 0;
		struct buf err = BUF_INIT;

		if (st->color)
			fputs(f->kind == FAILURE_KIND_FAILURE ? COLOR_RED : COLOR_YELLOW, to);
		fputs(kind, to);
		if (st->color)
			fputs(COLOR_RESET, to);
		pad(to, wkind - strlen(kind) + 2);
		buf_reset(&cell);
		if (f->loc_file)
			buf_addf(&cell, "%s:%d", f->loc_file, f->loc_line);
		else
			buf_adds(&cell, "-");
		fputs(cell.ptr, to);
		pad(to, wloc - display_len(cell.ptr) + 2);
		fputs(f->id, to);
		pad(to, wtest - display_len(f->id) + 2);
		error_text(&err, f);
		buf_reset(&cell);
		if (st->width)
			room = (size_t)st->width > used + MIN_ERROR_COLUMN ?
			       (size_t)st->width - used : MIN_ERROR_COLUMN;
		add_clipped(&cell, err.ptr, room ? room : (size_t)-1);
		fputs(cell.ptr, to);
		fputc('\n', to);
		buf_release(&err);
	}
	buf_release(&cell);
}

void render_summary_line(FILE *to, const struct test_result *res, const struct render_style *st)
{
	const struct test_summary *s = &res->summary;
	struct buf line = BUF_INIT;
	const struct {
		size_t n;
		const char *one, *many;
	} parts[] = {
		{ s->failed, "failed", "failed" },
		{ s->errors, "error", "errors" },
		{ s->passed, "passed", "passed" },
		{ s->skipped, "skipped", "skipped" },
		{ s->xfailed, "xfailed", "xfailed" },
		{ s->xpassed, "xpassed", "xpassed" },
	};
	size_t i;
	const char *color = s->failed || s->errors ? COLOR_RED : COLOR_GREEN;

	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		if (!parts[i].n)
			continue;
		buf_addf(&line, "%s%zu %s", line.len ? ", " : "", parts[i].n,
			 parts[i].n == 1 ? parts[i].one : parts[i].many);
	}
	if (!line.len)
		buf_adds(&line, "no tests ran");
	buf_addf(&line, " in %.2fs", res->duration);
	if (st->color)
		fprintf(to, "%s%s%s\n", color, line.ptr, COLOR_RESET);
	else
		fprintf(to, "%s\n", line.ptr);
	buf_release(&line);
}

static void fix_event_line(const struct fix_event *ev, void *payload)
{
	(void)payload;
	if (ev->kind == FIX_EVENT_DONE)
		fputs("\r\033[K", stderr);
	else if (ev->nr_candidates)
		fprintf(stderr, "\r\033[K[%zu/%zu] %s: candidate %zu of %zu (%.0fs)", ev->position + 1,
			ev->count, ev->id, ev->candidate, ev->nr_candidates, ev->elapsed);
	else
		fprintf(stderr, "\r\033[K[%zu/%zu] %s (%.0fs)", ev->position + 1, ev->count, ev->id,
			ev->elapsed);
	fflush(stderr);
}

/* plain lines: a failure begun, its candidates now and then, the end */
static void fix_event_plain(const struct fix_event *ev, void *payload)
{
	struct render_fix_state *st = payload;
	int begun = !st->started || ev->position != st->position;

	if (ev->kind == FIX_EVENT_DONE) {
		if (st->started)
			fprintf(stderr, "pytest-fixer: progress: done (%.0fs)\n", ev->elapsed);
		fflush(stderr);
		return;
	}
	if (begun)
		fprintf(stderr, "pytest-fixer: progress: [%zu/%zu] %s (%.0fs)\n", ev->position + 1,
			ev->count, ev->id, ev->elapsed);
	if (ev->nr_candidates &&
	    (begun || ev->elapsed - st->last_line >= RENDER_PROGRESS_LINE_SECONDS ||
	     ev->candidate == ev->nr_candidates)) {
		fprintf(stderr, "pytest-fixer: progress: [%zu/%zu] %s: candidate %zu of %zu (%.0fs)\n",
			ev->position + 1, ev->count, ev->id, ev->candidate, ev->nr_candidates,
			ev->elapsed);
	} else if (!begun) {
		return;
	}
	st->started = 1;
	st->position = ev->position;
	st->last_line = ev->elapsed;
	fflush(stderr);
}

/* show the verified change and ask: apply (the default), skip or quit; end of input quits */
static enum fix_answer fix_confirm_ask(const struct fix_review *r, void *payload)
{
	const struct render_fix_state *st = payload;
	char line[64];

	if (st->progress == RENDER_PROGRESS_TERMINAL)
		fputs("\r\033[K", stderr);
	fprintf(stderr, "\nA verified fix for %s (%s):\n\n%s\n", r->id,
		r->template_name ? r->template_name : "-", r->diff ? r->diff : "(no diff)");
	for (;;) {
		fprintf(stderr, "[a]pply (commit it on a fix branch), [s]kip, [q]uit? ");
		fflush(stderr);
		if (!fgets(line, sizeof(line), stdin))
			return FIX_ANSWER_QUIT;
		if (line[0] == 'a' || line[0] == 'A' || line[0] == '\n')
			return FIX_ANSWER_APPLY;
		if (line[0] == 's' || line[0] == 'S')
			return FIX_ANSWER_SKIP;
		if (line[0] == 'q' || line[0] == 'Q')
			return FIX_ANSWER_QUIT;
	}
}

void render_fix_hooks(struct fix_hooks *out, struct render_fix_state *st,
		      enum render_progress progress, int interactive)
{
	*st = (struct render_fix_state){ .progress = progress };
	out->on_event = progress == RENDER_PROGRESS_TERMINAL ? fix_event_line :
			progress == RENDER_PROGRESS_LINES ? fix_event_plain : NULL;
	out->confirm = interactive ? fix_confirm_ask : NULL;
	out->payload = st;
}

void render_fix_begin(const struct render_fix_state *st, const char *what)
{
	if (st->progress != RENDER_PROGRESS_LINES)
		return;
	fprintf(stderr, "pytest-fixer: progress: %s\n", what);
	fflush(stderr);
}

void render_dry_run(FILE *to, const struct fix_result *r)
{
	size_t i, k;

	for (i = 0; i < r->nr_failures; i++) {
		const struct fix_failure_result *f = &r->failures[i];
		const char *diff = f->win.diff;
		size_t len;

		if (f->status != FAILURE_FIXED || !diff || !*diff)
			continue;
		for (k = 0; k < i; k++)   /* shown already with an earlier failure */
			if (r->failures[k].status == FAILURE_FIXED && r->failures[k].win.diff &&
			    !strcmp(r->failures[k].win.diff, diff))
				break;
		if (k < i)
			continue;
		fprintf(to, "\nverified fix for %s", f->id);
		for (k = i + 1; k < r->nr_failures; k++)
			if (r->failures[k].status == FAILURE_FIXED && r->failures[k].win.diff &&
			    !strcmp(r->failures[k].win.diff, diff) && strcmp(r->failures[k].id, f->id))
				fprintf(to, ", %s", r->failures[k].id);
		fprintf(to, " (%s%s%s):\n", f->win.engine ? f->win.engine : "-",
			f->win.template_name ? ", " : "",
			f->win.template_name ? f->win.template_name : "");
		len = strlen(diff);
		fputs(diff, to);
		if (diff[len - 1] != '\n')
			fputc('\n', to);
	}
	fputs("\ndry run: nothing was committed, no branch was made (run without --dry-run to "
	      "commit these fixes)\n", to);
}
