/* Private to src/kernels: the selected SIMD mode and target attributes shared by the kernel
 * files.  The mode is read once per kernel call, never per element. */
#ifndef FR_KERNELS_INTERNAL_H
#define FR_KERNELS_INTERNAL_H

#include "kernels/kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#define FR_KERN_X86 1
#define FR_AVX2 __attribute__((target("avx2,bmi,bmi2,popcnt")))
#include <immintrin.h>
#endif
#if defined(__aarch64__)
#define FR_KERN_ARM 1
#include <arm_neon.h>
#endif

/* -1 until selected; then an fr_simd_mode. */
extern int fr_kern__mode;
void fr_kern__select(void);

static inline fr_simd_mode fr_kern__get(void)
{
	int m = __atomic_load_n(&fr_kern__mode, __ATOMIC_RELAXED);
	if (__builtin_expect(m < 0, 0)) {
		fr_kern__select();
		m = __atomic_load_n(&fr_kern__mode, __ATOMIC_RELAXED);
	}
	return (fr_simd_mode)m;
}

/* Per-thread scratch slots (scratch.c), reused across calls.  A kernel owns the slots it
 * uses for the duration of one call; kernels that call other kernels use disjoint slots. */
enum { FR_SCR_TABLE, FR_SCR_TABLE2, FR_SCR_KEYS, FR_SCR_A, FR_SCR_B, FR_SCR_C, FR_SCR_D,
       FR_SCR_E, FR_SCR_F, FR_SCR__COUNT };
/* At least size bytes; NULL on allocation failure.  Valid until the next call for the same slot.
 * keep: the old contents are preserved, like realloc.  Otherwise the contents are whatever the
 * slot last held, and memory newly allocated for the slot is zeroed. */
void *fr_kern__scratch(int slot, size_t size, int keep);
void *fr_kern__scratch_zero(int slot, size_t size);
/* Frees one slot. */
void fr_kern__scratch_drop(int slot);
/* Exchanges two slots (a table being grown into its successor). */
void fr_kern__scratch_swap(int a, int b);

/* Test hook: drops the calling thread's tables and sets its last index epoch (to cross the
 * wrap-around) and its table size hint (0: start small and grow). */
void fr_kern__index_set_epoch(uint32_t epoch, uint32_t hint);

/* Software write-combining, for scatters into hundreds of streams (radix splits): entries
 * gather in a 64-byte buffer per stream, and a full buffer goes to its 64-byte aligned place
 * in one piece, with non-temporal stores on x86 (the line is not read before it is
 * overwritten, nor wanted in cache until much later).  After the last line, call
 * fr_kern__stream_done before reading the destination. */
enum { FR_KERN_LINE = 64 };

static inline void fr_kern__stream_line(void *dst, const void *src)
{
#ifdef FR_KERN_X86
	for (int j = 0; j < 4; j++)
		_mm_stream_si128((__m128i *)dst + j, _mm_load_si128((const __m128i *)src + j));
#else
	__builtin_memcpy(dst, src, FR_KERN_LINE);
#endif
}

static inline void fr_kern__stream_done(void)
{
#ifdef FR_KERN_X86
	_mm_sfence();
#endif
}

/* Mask of the valid bits of the last word of an n-row bitmap (all ones when n % 64 == 0). */
static inline uint64_t fr_kern__tail_mask(int64_t n)
{
	return (n & 63) ? (((uint64_t)1 << (n & 63)) - 1) : ~(uint64_t)0;
}

#endif
