/* The documented, stable mapping of a group id to a part, shared by `frocket gen` and
 * `frocket repartition` so both place a group in the same part:
 *   integer id v:  part = fmix64((uint64_t)v) % N
 *   string id s:   part = fmix64(FNV-1a-64(bytes of s)) % N
 * fmix64 is MurmurHash3's 64-bit finaliser.  It never changes between versions. */
#ifndef FR_TOOLS_PARTITION_H
#define FR_TOOLS_PARTITION_H

#include <stddef.h>
#include <stdint.h>

#include "core/hash.h"

static inline uint32_t fr_part_of_int(int64_t v, uint32_t nparts)
{
	return (uint32_t)(fr_fmix64((uint64_t)v) % nparts);
}

static inline uint32_t fr_part_of_bytes(const uint8_t *p, size_t n, uint32_t nparts)
{
	return (uint32_t)(fr_fmix64(fr_fnv1a64(p, n)) % nparts);
}

#endif
