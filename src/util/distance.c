#include "util/distance.h"

#include "util/xalloc.h"

#include <ctype.h>
#include <stdlib.h>

static int fold(int c, unsigned flags)
{
	if (flags & DISTANCE_FOLD_CASE)
		c = tolower(c);
	if ((flags & DISTANCE_DASH_UNDERSCORE) && c == '_')
		c = '-';
	return c;
}

size_t distance_levenshtein(const char *a, size_t al, const char *b, size_t bl, unsigned flags)
{
	size_t *row = xmalloc(st_mult(st_add(bl, 1), sizeof(*row))), i, j, result;

	for (j = 0; j <= bl; j++)
		row[j] = j;
	for (i = 1; i <= al; i++) {
		size_t diag = row[0];
		int ca = fold((unsigned char)a[i - 1], flags);
		row[0] = i;
		for (j = 1; j <= bl; j++) {
			size_t up = row[j], best = diag + (ca != fold((unsigned char)b[j - 1], flags));
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	result = row[bl];
	free(row);
	return result;
}
