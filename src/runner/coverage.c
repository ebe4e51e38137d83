/* TEMP(i16-base): replaced by the spectrum branch */
#include "runner/coverage.h"

#include "util/error.h"

#include <stdlib.h>

int coverage_map_read(struct coverage_map **out, const char *path)
{
	*out = NULL;
	return error_setc(ERR_NOTFOUND, "no coverage map '%s' yet", path);
}

void coverage_map_free(struct coverage_map *m)
{
	(void)m;
}

size_t coverage_map_tests(const struct coverage_map *m)
{
	(void)m;
	return 0;
}

int coverage_rank(struct suspect **out, size_t *nr, const struct coverage_map *m,
		  const struct strvec *failing, size_t max)
{
	(void)m;
	(void)failing;
	(void)max;
	*out = NULL;
	*nr = 0;
	return 0;
}

void suspects_free(struct suspect *s, size_t nr)
{
	(void)nr;
	free(s);
}

void coverage_tests_covering(struct strvec *out, const struct coverage_map *m,
			     const char *file, int first, int last)
{
	(void)out;
	(void)m;
	(void)file;
	(void)first;
	(void)last;
}
