#ifndef REPORT_REPORT_H
#define REPORT_REPORT_H

#include "store/store.h"
#include "util/buf.h"

#include <jansson.h>

/*
 * Session reports (SPEC C8): Markdown for people, JSON for machines, both
 * made from what the store recorded, so a report can be made again later.
 */

/* The `fix --json` object: session, state, errors with their attempts. New reference. */
int report_session_json(json_t **out, struct store *st, const char *id);
/* The Markdown report into `out`. */
int report_session_markdown(struct buf *out, struct store *st, const char *id);
/*
 * The session's LLM exchanges (every prompt and reply, in the order
 * store_exchange_list() gives) as a JSON array: a new reference.
 */
int report_transcript_json(json_t **out, struct store *st, const char *id);
/*
 * The same as readable text into `out`: a header per exchange (failure,
 * attempt, provider/model, temperature, tokens, latency, outcome), then the
 * system prompt, the prompt and the reply, control bytes escaped.
 */
int report_transcript_text(struct buf *out, struct store *st, const char *id);
/*
 * Write the Markdown report of session `id` to `path` (the caller's:
 * project_state_path(PROJECT_REPORT)), making its directory when missing.
 */
int report_write_session(struct store *st, const char *id, const char *path);
/*
 * One line on a fix's behaviour check (an attempt's `behaviour`, JSON
 * text), appended to `out`: "it changes what 3 calls generated on the
 * original code do, e.g. grade(52): 'pass' before, 'fail' after", or "none
 * of the 14 calls ... ends otherwise off the failing tests' path". 0 when
 * there is
 * nothing to say (not checked, skipped, unreadable).
 */
int report_behaviour_line(struct buf *out, const char *behaviour);

#endif
