/* What the harnesses share: a private directory and the per-input reset. */
#include "fuzz.h"

#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/sig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct buf tmpdir = BUF_INIT;

static void remove_tmpdir(void)
{
	fs_remove_tree(tmpdir.ptr);
	buf_release(&tmpdir);
}

static void write_files(const char *const *files)
{
	struct buf path = BUF_INIT;

	for (; files && files[0]; files += 2) {
		char *slash;
		buf_reset(&path);
		buf_addf(&path, "%s/%s", tmpdir.ptr, files[0]);
		slash = strrchr(path.ptr, '/');
		*slash = '\0';
		if (fs_mkdir_p(path.ptr, 0700) < 0)
			goto fail;
		*slash = '/';
		fuzz_write_file(path.ptr, files[1], strlen(files[1]));
	}
	buf_release(&path);
	return;
fail:
	fprintf(stderr, "fuzz: cannot set up '%s': %s\n", path.ptr, error_last());
	abort();
}

const char *fuzz_tmpdir(const char *const *files)
{
	if (tmpdir.len)
		return tmpdir.ptr;
	if (fs_mkdtemp(&tmpdir, "pf-fuzz") < 0) {
		fprintf(stderr, "fuzz: cannot make a temporary directory: %s\n", error_last());
		abort();
	}
	atexit(remove_tmpdir);
	write_files(files);
	return tmpdir.ptr;
}

void fuzz_write_file(const char *path, const void *data, size_t size)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(data, 1, size, f) != size || fclose(f)) {
		fprintf(stderr, "fuzz: cannot write '%s'\n", path);
		abort();
	}
}

void fuzz_reset(void)
{
	error_clear();
	sig_reset();
}
