#ifndef UTIL_DISTANCE_H
#define UTIL_DISTANCE_H

#include <stddef.h>

/*
 * How far apart two short texts are (names, keys): the Levenshtein
 * distance, each insertion, deletion or substitution one step. Time is
 * the product of the lengths, memory the second length: callers cap what
 * they compare.
 */
enum distance_flags {
	DISTANCE_FOLD_CASE = 1 << 0,     /* 'A' and 'a' alike */
	DISTANCE_DASH_UNDERSCORE = 1 << 1, /* '-' and '_' alike */
};

size_t distance_levenshtein(const char *a, size_t al, const char *b, size_t bl, unsigned flags);

#endif
