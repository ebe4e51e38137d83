#ifndef ENGINE_REPLY_H
#define ENGINE_REPLY_H

#include "edit/change.h"

#include <stddef.h>

/*
 * A model's reply, as engine/prompt.h asks for it, read into a change.
 *
 * The reply is a JSON object or a YAML mapping (seed 003's form, code in
 * block scalars), with or without a ```json / ```yaml / ``` fence, with
 * prose around it. Tried in order: each fenced block; the first balanced
 * {...} that parses as a JSON object (raw newlines and tabs inside its
 * strings are tolerated); the whole text as YAML; the YAML from the first
 * line that starts with a known key. The first mapping that has a known
 * key is the reply.
 *
 * Fields: "reasoning" (or "description", "explanation") becomes the
 * change's description; "file" (or "file_to_patch", "path") names the file,
 * relative to the project root; exactly one payload: "old_str" and
 * "new_str" (update; also nested as seed 003's "update": {old_str,
 * new_str}), "patch" (a unified diff; without "file", the files the diff
 * names), or "new_content" / "content" (rewrite). "mode" may say which,
 * and must agree. "edits": [...] lists several such edits (each may omit
 * "file" to use the top-level one).
 *
 * Ownership: the change is the caller's (change_release()).
 */

#define REPLY_MAX_INPUT (4u * 1024 * 1024) /* bytes of reply read at all */
#define REPLY_MAX_DEPTH 32                 /* nesting of YAML collections */
#define REPLY_MAX_JSON_TRIES 16            /* '{' positions tried for a JSON object in prose */

/*
 * Parse a reply. Returns 0 and the change (reasoning into
 * change.description), or ERR_PARSE with a reason a model can act on:
 * "the reply has no 'file'", "the reply has both 'old_str' and
 * 'new_content'", "'old_str' is empty", "the reply is not JSON or YAML:
 * ...", ERR_LIMIT past REPLY_MAX_INPUT. `out` is initialised here and left
 * empty on failure.
 */
int reply_parse(struct change *out, const char *text, size_t len);

#endif
