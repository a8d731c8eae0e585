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

/* Mask of the valid bits of the last word of an n-row bitmap (all ones when n % 64 == 0). */
static inline uint64_t fr_kern__tail_mask(int64_t n)
{
	return (n & 63) ? (((uint64_t)1 << (n & 63)) - 1) : ~(uint64_t)0;
}

#endif
