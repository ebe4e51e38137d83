#ifndef ENGINE_COLLECT_H
#define ENGINE_COLLECT_H

#include "edit/change.h"

/*
 * What a program changed in a copy of a project, as one change (the
 * command engine's candidate): the two trees are compared file by file,
 * without following a symlink. Every regular file of `after` that is new
 * or whose bytes differ from `before`'s becomes a rewrite edit, in path
 * order; then every regular file of `before` that `after` lacks (alone or
 * with its directory) a delete edit, in path order. Mode changes alone are
 * not changes.
 *
 * Entries named in COLLECT_IGNORED_NAMES (version control, caches,
 * virtualenvs, our own state) and files ending in COLLECT_IGNORED_SUFFIXES
 * are never compared, at any depth.
 *
 * Refused, with ERR_USAGE naming the path and what is wrong (and `out`
 * left empty): a symlink that is new or points elsewhere than before ("a
 * change may hold regular files only"), a file that replaced a directory or
 * a symlink (or the reverse), a new FIFO, socket or device, a symlink or
 * special file deleted, a file holding a NUL byte. ERR_LIMIT past EDIT_MAX_FILE_SIZE bytes in one file, EDIT_MAX_EDITS
 * files, COLLECT_MAX_ENTRIES entries or COLLECT_MAX_DEPTH directories deep.
 * Nothing changed is 0 with `out` empty.
 *
 * `out` is initialised here and owned by the caller (change_release()).
 */

#define COLLECT_IGNORED_NAMES { ".git", ".hg", ".svn", "__pycache__", ".pytest_cache", \
				".mypy_cache", ".ruff_cache", ".hypothesis", ".tox", ".nox", \
				".venv", EDIT_STATE_DIR, NULL }
#define COLLECT_IGNORED_SUFFIXES { ".pyc", ".pyo", NULL }
#define COLLECT_MAX_ENTRIES 200000
#define COLLECT_MAX_DEPTH 64

int collect_change(struct change *out, const char *before, const char *after);

#endif
