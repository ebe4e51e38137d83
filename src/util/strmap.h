#ifndef UTIL_STRMAP_H
#define UTIL_STRMAP_H

#include <stddef.h>
#include <stdint.h>

/*
 * A hash map from byte strings to indices, for readers of outside input
 * that look up what they have seen so far: one lookup costs the same with
 * ten entries or a million. The map owns copies of its keys; values are the
 * caller's (usually an index into the caller's array).
 */
struct strmap_entry {
	char *key;           /* NULL: an empty slot */
	size_t len;
	uint64_t hash;
	size_t value;
};

struct strmap {
	struct strmap_entry *slots;
	size_t nr, alloc;    /* alloc: 0 or a power of two */
};

#define STRMAP_INIT { NULL, 0, 0 }

/* the value stored for <key, len> into `out`: 1 when there is one, else 0 */
int strmap_get(size_t *out, const struct strmap *m, const char *key, size_t len);
/* store `value` for <key, len> unless the key has one already (the first wins); 1 if stored */
int strmap_put(struct strmap *m, const char *key, size_t len, size_t value);
void strmap_release(struct strmap *m);

#endif
