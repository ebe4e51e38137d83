#ifndef TESTS_FUZZ_H
#define TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/*
 * The libFuzzer harnesses: one tests/fuzz/fuzz_<parser>.c per parser that
 * reads outside input, each defining LLVMFuzzerTestOneInput() and
 * FUZZ_MAX_LEN, with a seed corpus in tests/fuzz/corpus/<parser>/, an
 * optional dictionary tests/fuzz/<parser>.dict and the inputs that once
 * crashed in tests/fuzz/regressions/<parser>/. Adding a parser is adding
 * one such file (and its seeds): CMake, scripts/fuzz.sh and the replay test
 * find it by its name.
 *
 * With PF_FUZZ=ON (clang) each harness links libFuzzer; in the normal and
 * sanitizer builds it links replay.c instead, whose main() feeds it every
 * file of the folders it is given (ctest: fuzz/<parser>).
 *
 * Harnesses must not leak, must write files only under fuzz_tmpdir(), and
 * must call fuzz_reset() before each input so no global state carries over.
 */

/* libFuzzer's entry point; returns 0, or -1 for an input not worth keeping */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A private directory of this process under $TMPDIR, made on first use
 * (with `files`, a NULL-terminated list of "relative/path", "content"
 * pairs, written into it) and removed at exit. Borrowed.
 */
const char *fuzz_tmpdir(const char *const *files);

/* write <data, size> to `path` (no fsync: a harness writes thousands a second); aborts on failure */
void fuzz_write_file(const char *path, const void *data, size_t size);

/* forget the last error and any pending signal: nothing of one input reaches the next */
void fuzz_reset(void);

#endif
