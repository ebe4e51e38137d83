#include "util/strmap.h"

#include "util/hash.h"
#include "util/xalloc.h"

#include <stdlib.h>
#include <string.h>

#define STRMAP_FIRST_ALLOC 64

/* the slot of <key, len>: its entry, or the empty slot where it would go */
static struct strmap_entry *slot_for(const struct strmap *m, uint64_t hash, const char *key, size_t len)
{
	size_t mask = m->alloc - 1, i;

	for (i = (size_t)hash & mask;; i = (i + 1) & mask) {
		struct strmap_entry *e = &m->slots[i];
		if (!e->key || (e->hash == hash && e->len == len && !memcmp(e->key, key, len)))
			return e;
	}
}

static void grow(struct strmap *m)
{
	struct strmap old = *m;
	size_t i;

	m->alloc = old.alloc ? 2 * old.alloc : STRMAP_FIRST_ALLOC;
	m->slots = xcalloc(m->alloc, sizeof(*m->slots));
	for (i = 0; i < old.alloc; i++)
		if (old.slots[i].key)
			*slot_for(m, old.slots[i].hash, old.slots[i].key, old.slots[i].len) = old.slots[i];
	free(old.slots);
}

int strmap_get(size_t *out, const struct strmap *m, const char *key, size_t len)
{
	const struct strmap_entry *e;

	if (!m->alloc)
		return 0;
	e = slot_for(m, hash_fnv1a(key, len), key, len);
	if (!e->key)
		return 0;
	*out = e->value;
	return 1;
}

int strmap_put(struct strmap *m, const char *key, size_t len, size_t value)
{
	uint64_t hash = hash_fnv1a(key, len);
	struct strmap_entry *e;

	/* at most half full, so a probe ends soon */
	if (2 * (m->nr + 1) > m->alloc)
		grow(m);
	e = slot_for(m, hash, key, len);
	if (e->key)
		return 0;
	e->key = xmalloc(len + 1);     /* keys may hold NUL bytes */
	memcpy(e->key, key, len);
	e->key[len] = '\0';
	e->len = len;
	e->hash = hash;
	e->value = value;
	m->nr++;
	return 1;
}

void strmap_release(struct strmap *m)
{
	size_t i;

	for (i = 0; i < m->alloc; i++)
		free(m->slots[i].key);
	free(m->slots);
	m->slots = NULL;
	m->nr = m->alloc = 0;
}
