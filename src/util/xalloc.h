#ifndef UTIL_XALLOC_H
#define UTIL_XALLOC_H

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/*
 * Allocation that never returns NULL: on failure it reports and aborts, as
 * git's xmalloc does. Everything returned is owned by the caller.
 */
void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* xstrdup that maps NULL to NULL */
char *xstrdup_or_null(const char *s);

/* multiply with overflow check; aborts on overflow */
size_t st_mult(size_t a, size_t b);
size_t st_add(size_t a, size_t b);
/* a + b, saturating at LONG_MIN and LONG_MAX instead of overflowing (counts from outside) */
long sat_add(long a, long b);

/*
 * Grow an array `x` of `nr` used elements to hold at least `want`:
 * ALLOC_GROW(list->items, list->nr + 1, list->alloc);
 */
#define ALLOC_GROW(x, want, alloc)                                          \
	do {                                                                \
		if ((want) > (alloc)) {                                     \
			size_t alloc_grow_n_ = (alloc) < 8 ? 8 : (alloc);   \
			while (alloc_grow_n_ < (want))                      \
				alloc_grow_n_ = st_mult(alloc_grow_n_, 2);  \
			(x) = xrealloc((x), st_mult(alloc_grow_n_,          \
						    sizeof(*(x))));         \
			(alloc) = alloc_grow_n_;                            \
		}                                                           \
	} while (0)

/*
 * Append one zeroed element to the array `x` of `nr` used elements,
 * pointing `elem` at it: ALLOC_APPEND(f, set->files, set->nr, set->alloc);
 */
#define ALLOC_APPEND(elem, x, nr, alloc)                                    \
	do {                                                                \
		ALLOC_GROW(x, (nr) + 1, alloc);                             \
		(elem) = &(x)[(nr)++];                                      \
		memset((elem), 0, sizeof(*(elem)));                         \
	} while (0)

/* `release` on each of the `nr` elements of the array `x`, then free(x) */
#define FREE_ARRAY(x, nr, release)                                          \
	do {                                                                \
		size_t free_array_i_;                                       \
		for (free_array_i_ = 0; free_array_i_ < (nr); free_array_i_++) \
			release(&(x)[free_array_i_]);                       \
		free(x);                                                    \
	} while (0)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * free() each of a list of pointers, for release functions:
 * FREE_ALL(r->root, r->branch, r->error). They are not reset.
 */
#define FREE_ALL(...) \
	free_all((void *const[]){ __VA_ARGS__ }, ARRAY_SIZE(((void *const[]){ __VA_ARGS__ })))
void free_all(void *const *ptrs, size_t nr);

#endif
