#include "util/hash.h"

uint64_t hash_fnv1a_add(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ p[i]) * HASH_FNV1A_PRIME;
	return h;
}

uint64_t hash_fnv1a(const void *data, size_t len)
{
	return hash_fnv1a_add(HASH_FNV1A_BASIS, data, len);
}
