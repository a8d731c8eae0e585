/* The documented, stable mapping of a group id to a part, shared by `frocket gen` and
 * `frocket repartition` so both place a group in the same part:
 *   integer id v:  part = fmix64((uint64_t)v) % N
 *   string id s:   part = fmix64(FNV-1a-64(bytes of s)) % N
 * fmix64 is MurmurHash3's 64-bit finaliser.  It never changes between versions. */
#ifndef FR_TOOLS_PARTITION_H
#define FR_TOOLS_PARTITION_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t fr_fmix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static inline uint32_t fr_part_of_int(int64_t v, uint32_t nparts)
{
	return (uint32_t)(fr_fmix64((uint64_t)v) % nparts);
}

static inline uint32_t fr_part_of_bytes(const uint8_t *p, size_t n, uint32_t nparts)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return (uint32_t)(fr_fmix64(h) % nparts);
}

#endif
