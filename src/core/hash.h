/* Hashes of bytes, one of each kind for the whole tree.
 *
 * fr_hash_bytes: for in-memory hash tables only (string dictionaries, value counts, name
 *   sets, merge maps, caches).  Never stored, never sent, never used to order output: it may
 *   change between versions.  Word-at-a-time, with the tail read in fixed-size loads that may
 *   overlap bytes already hashed (a variable-length memcpy per value was most of the cost of
 *   hashing short strings); the length is mixed in first, so overlapping tails of different
 *   lengths do not collide by construction.
 *
 * fr_fnv1a64 and fr_fmix64: FNV-1a-64 and MurmurHash3's 64-bit finaliser.  These are part of
 *   documented, stable mappings (a group id to its part, tools/partition.h) and must never
 *   change. */
#ifndef FR_CORE_HASH_H
#define FR_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t fr_hash_bytes(const void *data, size_t n)
{
	const uint8_t *p = data;
	uint64_t h = 0x9e3779b97f4a7c15ull ^ ((uint64_t)n * 0xff51afd7ed558ccdull);
	size_t len = n;
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
		h ^= h >> 29;
		p += 8;
		n -= 8;
	}
	if (n) {
		uint64_t w;
		if (len >= 8) {
			memcpy(&w, p + n - 8, 8);
		} else if (n >= 4) {
			uint32_t a, b;
			memcpy(&a, p, 4);
			memcpy(&b, p + n - 4, 4);
			w = a | (uint64_t)b << 32;
		} else {
			w = p[0] | (uint64_t)p[n >> 1] << 8 | (uint64_t)p[n - 1] << 16;
		}
		h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	}
	h ^= h >> 32;
	h *= 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

static inline uint64_t fr_fnv1a64(const void *data, size_t n)
{
	const uint8_t *p = data;
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static inline uint64_t fr_fmix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

#endif
