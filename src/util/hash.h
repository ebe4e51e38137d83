#ifndef UTIL_HASH_H
#define UTIL_HASH_H

#include <stddef.h>
#include <stdint.h>

/*
 * 64-bit FNV-1a (Fowler, Noll, Vo): a fast hash for tables and for telling
 * texts apart within one process, not a checksum to store or compare across
 * versions, and no defence against chosen input.
 */

#define HASH_FNV1A_BASIS 14695981039346656037ull   /* the 64-bit offset basis */
#define HASH_FNV1A_PRIME 1099511628211ull

/* FNV-1a of <data, len> */
uint64_t hash_fnv1a(const void *data, size_t len);
/*
 * Go on hashing from `h` (HASH_FNV1A_BASIS or an earlier result): the hash of
 * several pieces is that of their concatenation.
 */
uint64_t hash_fnv1a_add(uint64_t h, const void *data, size_t len);

#endif
