#include "project/project.h"

#include "edit/change.h"
#include "runner/pytest.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/error.h"
#include "util/log.h"
#include "util/sig.h"
#include "util/fs.h"
#include "util/strvec.h"
#include "util/xalloc.h"
#include "vcs/vcs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#define PROJECT_DATABASE_NAME "state.db"
#define PROJECT_LOCK_NAME "fix.lock"
#define PROJECT_APPLY_JOURNAL_NAME "apply-journal"
#define PROJECT_WRITE_LOCK_NAME "write.lock"
#define PROJECT_WRITE_JOURNAL_NAME "write-journal"
/* how often a writer waiting for the write lock looks again */
#define PROJECT_WRITE_POLL_MS 20

int project_open(struct project **out, const char *dir)
{
	struct project *p = xcalloc(1, sizeof(*p));
	struct buf root = BUF_INIT;
	int err;

	*out = NULL;
	err = vcs_open(&p->repo, dir);
	if (err == ERR_NOTFOUND) {
		p->repo = NULL;
		err = fs_realpath(&root, dir);
	} else if (!err) {
		buf_adds(&root, vcs_workdir(p->repo));
	}
	if (err < 0) {
		buf_release(&root);
		project_free(p);
		return err;
	}
	p->root = buf_detach(&root, NULL);
	p->pytest = pytest_choice_new();
	*out = p;
	return 0;
}

void project_free(struct project *p)
{
	if (p) {
		store_free(p->store);
		pytest_choice_free(p->pytest);
		vcs_free(p->repo);
		free(p->root);
	}
	free(p);
}

int project_store(struct store **out, struct project *p, int create)
{
	struct buf db = BUF_INIT;
	int err = 0;

	*out = NULL;
	if (create && (err = project_exclude(p)) < 0)
		return err;
	if (!p->store) {
		project_state_path(&db, p->root, PROJECT_DATABASE, NULL);
		if (!create && !fs_is_file(db.ptr))
			err = error_setc(ERR_NOTFOUND, "no pytest-fixer session was run in '%s'",
					 p->root);
		else
			err = store_open(&p->store, db.ptr);
		buf_release(&db);
	}
	if (!err)
		*out = p->store;
	return err;
}

int project_exclude(struct project *p)
{
	return p->repo ? vcs_exclude(p->repo, "/" EDIT_STATE_DIR "/") : 0;
}

int project_knowledge_path(struct buf *out)
{
	const char *dir = getenv(PROJECT_DATA_DIR_ENV);
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");

	buf_reset(out);
	if (dir && *dir)
		buf_addf(out, "%s/knowledge.db", dir);
	else if (xdg && *xdg == '/')
		buf_addf(out, "%s/pytest-fixer/knowledge.db", xdg);
	else if (home && *home == '/')
		buf_addf(out, "%s/.local/share/pytest-fixer/knowledge.db", home);
	else
		return -1;
	return 0;
}

void project_state_path(struct buf *out, const char *root, enum project_file what, const char *id)
{
	buf_reset(out);
	buf_addf(out, "%s/%s", root, EDIT_STATE_DIR);
	switch (what) {
	case PROJECT_STATE_DIR:
		break;
	case PROJECT_DATABASE:
		buf_adds(out, "/" PROJECT_DATABASE_NAME);
		break;
	case PROJECT_LOCK:
		buf_adds(out, "/" PROJECT_LOCK_NAME);
		break;
	case PROJECT_APPLY_JOURNAL:
		buf_adds(out, "/" PROJECT_APPLY_JOURNAL_NAME);
		break;
	case PROJECT_SESSION_LOCKS:
		buf_adds(out, "/locks");
		break;
	case PROJECT_SESSION_LOCK:
		buf_addf(out, "/locks/%s.lock", id);
		break;
	case PROJECT_WORKTREES:
		buf_addf(out, "/worktrees/%s", id);
		break;
	case PROJECT_REPORT:
		buf_adds(out, "/reports");
		if (id)
			buf_addf(out, "/%s.md", id);
		break;
	case PROJECT_REPRO:
		buf_adds(out, "/repro");
		break;
	case PROJECT_WRITE_LOCK:
		buf_adds(out, "/" PROJECT_WRITE_LOCK_NAME);
		break;
	case PROJECT_WRITE_JOURNAL:
		buf_adds(out, "/" PROJECT_WRITE_JOURNAL_NAME);
		break;
	}
}

int project_dir_is_vendor(const char *name, size_t len)
{
	static const char *const vendor[] = { "venv", "site-packages", "dist-packages",
					      "node_modules", "__pycache__" };
	size_t i;

	if (len > 1 && name[0] == '.' && !(len == 2 && name[1] == '.'))
		return 1;
	for (i = 0; i < ARRAY_SIZE(vendor); i++)
		if (len == strlen(vendor[i]) && !memcmp(name, vendor[i], len))
			return 1;
	return 0;
}

int project_path_is_source(const char *rel)
{
	const char *p = rel, *slash;

	while ((slash = strchr(p, '/'))) {
		if (project_dir_is_vendor(p, (size_t)(slash - p)))
			return 0;
		p = slash + 1;
	}
	return 1;
}

void project_vendor_dirs(struct strvec *out, const char *root)
{
	struct buf path = BUF_INIT;
	struct dirent *e;
	DIR *d = opendir(root);

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!project_dir_is_vendor(e->d_name, strlen(e->d_name)))
			continue;
		buf_reset(&path);
		buf_addf(&path, "%s/%s", root, e->d_name);
		if (fs_is_dir(path.ptr))
			strvec_push(out, e->d_name);
	}
	closedir(d);
	buf_release(&path);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* the .py files under root/rel, depth first in name order, onto `out` */
static void python_files_in(struct strvec *out, const char *root, const char *rel, int depth, size_t max)
{
	struct buf path = BUF_INIT, sub = BUF_INIT;
	struct strvec names = STRVEC_INIT;
	struct dirent *e;
	DIR *d;
	size_t i;

	if (depth > PROJECT_MAX_DEPTH)
		return;
	buf_addf(&path, "%s%s%s", root, *rel ? "/" : "", rel);
	if (!(d = opendir(path.ptr))) {
		buf_release(&path);
		return;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			strvec_push(&names, e->d_name);
	closedir(d);
	qsort(names.v, names.nr, sizeof(*names.v), name_cmp);
	for (i = 0; i < names.nr && out->nr < max; i++) {
		const char *name = names.v[i];
		size_t n = strlen(name);
		struct stat st;
		buf_reset(&sub);
		buf_addf(&sub, "%s%s%s", rel, *rel ? "/" : "", name);
		buf_reset(&path);
		buf_addf(&path, "%s/%s", root, sub.ptr);
		if (lstat(path.ptr, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			if (!project_dir_is_vendor(name, n))
				python_files_in(out, root, sub.ptr, depth + 1, max);
		} else if (S_ISREG(st.st_mode) && n > 3 && !strcmp(name + n - 3, ".py")) {
			strvec_push(out, sub.ptr);
		}
	}
	strvec_clear(&names);
	buf_release(&path);
	buf_release(&sub);
}

void project_python_files(struct strvec *out, const char *root, size_t max)
{
	python_files_in(out, root, "", 0, max);
}

int project_knowledge_open(struct store **out)
{
	struct buf path = BUF_INIT, dir = BUF_INIT;
	const char *slash;
	int err;

	*out = NULL;
	if ((err = project_knowledge_path(&path)) < 0)
		goto done;
	slash = strrchr(path.ptr, '/');
	buf_add(&dir, path.ptr, (size_t)(slash - path.ptr));
	if ((err = fs_mkdir_p(dir.ptr, 0700)) < 0 || (err = store_open(out, path.ptr)) < 0)
		err = error_prefix(err, "no knowledge base for the machine at '%s'", path.ptr);
done:
	buf_release(&path);
	buf_release(&dir);
	return err;
}

/* the write lock, flocked into *fd: waited for, or (!wait) 1 when another holds it */
static int write_lock(int *fd, const char *root, int wait)
{
	struct buf path = BUF_INIT;
	int err = 0;

	project_state_path(&path, root, PROJECT_STATE_DIR, NULL);
	if ((err = fs_mkdir_p(path.ptr, 0755)) < 0)
		goto done;
	project_state_path(&path, root, PROJECT_WRITE_LOCK, NULL);
	if ((*fd = open(path.ptr, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0) {
		err = error_errno("cannot open '%s'", path.ptr);
		goto done;
	}
	while (flock(*fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK) {
			err = error_errno("cannot lock '%s'", path.ptr);
			break;
		}
		if (!wait) {
			err = 1;
			break;
		}
		if (sig_pending()) {
			err = error_setc(ERR_INTERRUPTED, "interrupted while waiting for '%s'", path.ptr);
			break;
		}
		clock_sleep_ms(PROJECT_WRITE_POLL_MS);
	}
	if (err) {
		close(*fd);
		*fd = -1;
	}
done:
	buf_release(&path);
	return err;
}

int project_write_files(struct fs_batch *b, const char *root)
{
	struct strvec report = STRVEC_INIT;
	struct buf journal = BUF_INIT;
	size_t i;
	int fd = -1, err;

	if ((err = write_lock(&fd, root, 1)) < 0)
		return err;
	project_state_path(&journal, root, PROJECT_WRITE_JOURNAL, NULL);
	if ((err = fs_batch_recover(&report, root, journal.ptr)) < 0)
		err = error_prefix(err, "a write that was cut short is still in the way");
	for (i = 0; i < report.nr; i++)
		log_warn("a write that was cut short: %s", report.v[i]);
	if (!err) {
		b->root = root;
		b->journal = journal.ptr;
		err = fs_batch_commit(b);
		b->journal = NULL;
	}
	close(fd);
	strvec_clear(&report);
	buf_release(&journal);
	return err;
}

int project_write_recover(struct strvec *report, const char *root)
{
	struct buf journal = BUF_INIT;
	int fd = -1, err = 0;

	project_state_path(&journal, root, PROJECT_STATE_DIR, NULL);
	if (!fs_is_dir(journal.ptr))
		goto done;
	if ((err = write_lock(&fd, root, 0)) != 0) {
		if (err == 1) {
			strvec_push(report, "files are being written into the project: left alone");
			err = 0;
		}
		goto done;
	}
	project_state_path(&journal, root, PROJECT_WRITE_JOURNAL, NULL);
	err = fs_batch_recover(report, root, journal.ptr);
	close(fd);
done:
	buf_release(&journal);
	return err;
}
