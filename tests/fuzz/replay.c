/*
 * main() for a harness outside libFuzzer: feed it every file of each folder
 * (or file) named on the command line, in name order, and say how many.
 * A crash is the test failing (the ASan build shows where).
 */
#include "fuzz.h"

#include "util/buf.h"
#include "util/error.h"
#include "util/fs.h"
#include "util/strvec.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* no input of a harness is larger than this */
#define REPLAY_MAX_INPUT (16u * 1024 * 1024)

static int replay_file(const char *path)
{
	struct buf data = BUF_INIT;

	buf_init(&data, REPLAY_MAX_INPUT);
	if (fs_read_file(&data, path, REPLAY_MAX_INPUT) < 0) {
		fprintf(stderr, "replay: %s\n", error_last());
		buf_release(&data);
		return -1;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)data.ptr, data.len);
	buf_release(&data);
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int main(int argc, char **argv)
{
	size_t replayed = 0, i;
	int a, err = 0;

	for (a = 1; a < argc; a++) {
		struct strvec names = STRVEC_INIT;
		struct dirent *de;
		DIR *d;

		if (!fs_is_dir(argv[a])) {
			if (replay_file(argv[a]) < 0)
				err = 1;
			replayed++;
			continue;
		}
		if (!(d = opendir(argv[a]))) {
			fprintf(stderr, "replay: cannot open '%s'\n", argv[a]);
			err = 1;
			continue;
		}
		while ((de = readdir(d)))
			if (de->d_name[0] != '.')
				strvec_pushf(&names, "%s/%s", argv[a], de->d_name);
		closedir(d);
		qsort((void *)names.v, names.nr, sizeof(*names.v), cmp_names);
		for (i = 0; i < names.nr; i++) {
			if (replay_file(names.v[i]) < 0)
				err = 1;
			replayed++;
		}
		strvec_clear(&names);
	}
	printf("replayed %zu inputs\n", replayed);
	return err;
}
