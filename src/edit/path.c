#include "edit/change.h"

#include "util/error.h"
#include "util/fs.h"
#include "util/xalloc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

static int refuse(const char *rel, const char *reason)
{
	return error_setc(ERR_USAGE, "cannot edit '%s': %s", rel, reason);
}

static int is_git_dir_name(const char *p, size_t n)
{
	return n == 4 && !strncasecmp(p, ".git", 4);
}

/* a reason to refuse `rel` before looking at the disk, or NULL */
static const char *lexical_problem(const char *rel)
{
	const char *p = rel;
	size_t len = strlen(rel), parts = 0;

	if (!len)
		return "the path is empty";
	if (len > EDIT_MAX_PATH)
		return "the path is too long";
	if (rel[0] == '/')
		return "the path is absolute";
	for (p = rel; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f)
			return "the path contains a control character";
		if (c == '\\')
			return "the path contains a backslash (use '/')";
	}
	if (rel[len - 1] == '/')
		return "the path names a directory";
	for (p = rel; *p;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 2 && !memcmp(p, "..", 2))
			return "the path contains '..'";
		if (is_git_dir_name(p, n))
			return "the path is inside .git";
		/* our own state: sessions, the knowledge base, reports */
		if (parts == 0 && n == strlen(EDIT_STATE_DIR) && !memcmp(p, EDIT_STATE_DIR, n))
			return "the path is inside " EDIT_STATE_DIR;
		if (n && !(n == 1 && *p == '.'))
			parts++;
		p += n;
		if (*p == '/')
			p++;
	}
	if (!parts)
		return "the path names the project root";
	return NULL;
}

/* 1 when a path relative to root (resolved) goes through .git */
static int through_git_dir(const char *rel)
{
	const char *p = rel;
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (is_git_dir_name(p, n))
			return 1;
		p += n;
		if (*p == '/')
			p++;
	}
	return 0;
}

int edit_path_check(struct buf *out, const char *root, const char *rel)
{
	struct buf real_root = BUF_INIT, cur = BUF_INIT, shown = BUF_INIT, target = BUF_INIT;
	const char *problem, *p;
	char *resolved_rel = NULL;
	int missing = 0, err = 0;

	if (!rel)
		return refuse("", "the path is empty");
	if ((problem = lexical_problem(rel)))
		return refuse(rel, problem);
	if ((err = fs_realpath(&real_root, root)) < 0) {
		err = error_prefix(err, "cannot edit '%s'", rel);
		goto done;
	}
	buf_add(&cur, real_root.ptr, real_root.len);
	for (p = rel; *p;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		const char *q;
		int last = 1;
		struct stat st;

		if (!n || (n == 1 && *p == '.')) {
			p += n + (slash ? 1 : 0);
			continue;
		}
		/* the last real component: only "", "." and '/' follow */
		for (q = p + n; *q; q++) {
			if (*q != '/' && !(*q == '.' && (q[1] == '/' || !q[1]) && q[-1] == '/')) {
				last = 0;
				break;
			}
		}
		if (shown.len)
			buf_addch(&shown, '/');
		buf_add(&shown, p, n);
		if (strcmp(cur.ptr, "/"))
			buf_addch(&cur, '/');
		buf_add(&cur, p, n);
		p += n + (slash ? 1 : 0);
		if (missing)
			continue;
		if (lstat(cur.ptr, &st) < 0) {
			if (errno == ENOENT) {
				missing = 1;
				continue;
			}
			err = error_errno("cannot edit '%s': cannot look at '%s'", rel, shown.ptr);
			err = ERR_USAGE;
			goto done;
		}
		if (S_ISLNK(st.st_mode)) {
			struct stat dst;
			if (last) {
				err = error_setc(ERR_USAGE,
						 "cannot edit '%s': '%s' is a symlink (edits write regular files only)",
						 rel, shown.ptr);
				goto done;
			}
			if (fs_realpath(&target, cur.ptr) < 0) {
				err = error_setc(ERR_USAGE, "cannot edit '%s': '%s' is a broken symlink", rel,
						 shown.ptr);
				goto done;
			}
			free(resolved_rel);
			resolved_rel = fs_relative_to(target.ptr, real_root.ptr);
			if (!resolved_rel) {
				err = error_setc(ERR_USAGE,
						 "cannot edit '%s': '%s' is a symlink that leads outside the project",
						 rel, shown.ptr);
				goto done;
			}
			if (stat(target.ptr, &dst) < 0 || !S_ISDIR(dst.st_mode)) {
				err = error_setc(ERR_USAGE, "cannot edit '%s': '%s' is not a directory", rel,
						 shown.ptr);
				goto done;
			}
			buf_reset(&cur);
			buf_add(&cur, target.ptr, target.len);
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (last) {
				err = error_setc(ERR_USAGE, "cannot edit '%s': '%s' is a directory", rel,
						 shown.ptr);
				goto done;
			}
			continue;
		}
		if (!last) {
			err = error_setc(ERR_USAGE, "cannot edit '%s': '%s' is not a directory", rel,
					 shown.ptr);
			goto done;
		}
		if (!S_ISREG(st.st_mode)) {
			err = error_setc(ERR_USAGE, "cannot edit '%s': '%s' is not a regular file", rel,
					 shown.ptr);
			goto done;
		}
	}
	/* symlinked directories may have led somewhere else inside root */
	free(resolved_rel);
	resolved_rel = fs_relative_to(cur.ptr, real_root.ptr);
	if (!resolved_rel || !strcmp(resolved_rel, ".")) {
		err = refuse(rel, "the path leads outside the project");
		goto done;
	}
	if (through_git_dir(resolved_rel)) {
		err = refuse(rel, "the path leads inside .git");
		goto done;
	}
	buf_reset(out);
	buf_add(out, cur.ptr, cur.len);
done:
	free(resolved_rel);
	buf_release(&target);
	buf_release(&shown);
	buf_release(&cur);
	buf_release(&real_root);
	return err;
}
