/* Bitmap algebra over uint64_t words: and/or/andnot/not, fill, popcount, set-bit indexes.
 * Memory-bound loops; the AVX2/NEON versions exist so the hot ones never fall back to libgcc. */
#include "kernels/internal.h"

#include <string.h>

/* ---- scalar ---------------------------------------------------------------------------- */

#define BINOP_SCALAR(name, expr) \
	static void name##_scalar(uint64_t *d, const uint64_t *a, const uint64_t *b, size_t nw) \
	{ \
		for (size_t i = 0; i < nw; i++) \
			d[i] = (expr); \
	}
BINOP_SCALAR(and, a[i] & b[i])
BINOP_SCALAR(or, a[i] | b[i])
BINOP_SCALAR(andnot, a[i] & ~b[i])

static int64_t popcount_scalar(const uint64_t *a, size_t nw)
{
	int64_t c = 0;
	for (size_t i = 0; i < nw; i++) {
		/* SWAR count: portable and branch-free where the popcnt instruction is not assumed */
		uint64_t x = a[i];
		x = x - ((x >> 1) & 0x5555555555555555ULL);
		x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
		x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
		c += (int64_t)((x * 0x0101010101010101ULL) >> 56);
	}
	return c;
}

static int64_t indexes_scalar(const uint64_t *a, size_t nw, uint32_t *out)
{
	int64_t k = 0;
	for (size_t w = 0; w < nw; w++) {
		uint64_t b = a[w];
		uint32_t base = (uint32_t)(w * 64);
		while (b) {
			out[k++] = base + (uint32_t)__builtin_ctzll(b);
			b &= b - 1;
		}
	}
	return k;
}

/* ---- AVX2 ------------------------------------------------------------------------------ */
#ifdef FR_KERN_X86
#define BINOP_AVX2(name, vexpr, sexpr) \
	FR_AVX2 static void name##_avx2(uint64_t *d, const uint64_t *a, const uint64_t *b, \
	                                size_t nw) \
	{ \
		size_t i = 0; \
		for (; i + 8 <= nw; i += 8) { \
			__m256i x0 = _mm256_loadu_si256((const __m256i *)(a + i)); \
			__m256i y0 = _mm256_loadu_si256((const __m256i *)(b + i)); \
			__m256i x1 = _mm256_loadu_si256((const __m256i *)(a + i + 4)); \
			__m256i y1 = _mm256_loadu_si256((const __m256i *)(b + i + 4)); \
			_mm256_storeu_si256((__m256i *)(d + i), vexpr(x0, y0)); \
			_mm256_storeu_si256((__m256i *)(d + i + 4), vexpr(x1, y1)); \
		} \
		for (; i < nw; i++) \
			d[i] = (sexpr); \
	}
#define V_AND(x, y) _mm256_and_si256(x, y)
#define V_OR(x, y) _mm256_or_si256(x, y)
#define V_ANDNOT(x, y) _mm256_andnot_si256(y, x)
BINOP_AVX2(and, V_AND, a[i] & b[i])
BINOP_AVX2(or, V_OR, a[i] | b[i])
BINOP_AVX2(andnot, V_ANDNOT, a[i] & ~b[i])

FR_AVX2 static int64_t popcount_avx2(const uint64_t *a, size_t nw)
{
	/* four independent popcnt chains hide the instruction's latency */
	uint64_t c0 = 0, c1 = 0, c2 = 0, c3 = 0;
	size_t i = 0;
	for (; i + 4 <= nw; i += 4) {
		c0 += (uint64_t)_mm_popcnt_u64(a[i]);
		c1 += (uint64_t)_mm_popcnt_u64(a[i + 1]);
		c2 += (uint64_t)_mm_popcnt_u64(a[i + 2]);
		c3 += (uint64_t)_mm_popcnt_u64(a[i + 3]);
	}
	for (; i < nw; i++)
		c0 += (uint64_t)_mm_popcnt_u64(a[i]);
	return (int64_t)(c0 + c1 + c2 + c3);
}

FR_AVX2 static int64_t indexes_avx2(const uint64_t *a, size_t nw, uint32_t *out)
{
	int64_t k = 0;
	for (size_t w = 0; w < nw; w++) {
		uint64_t b = a[w];
		uint32_t base = (uint32_t)(w * 64);
		while (b) {
			out[k++] = base + (uint32_t)_tzcnt_u64(b);
			b = _blsr_u64(b);
		}
	}
	return k;
}
#endif

/* ---- NEON ------------------------------------------------------------------------------ */
#ifdef FR_KERN_ARM
#define BINOP_NEON(name, vexpr, sexpr) \
	static void name##_neon(uint64_t *d, const uint64_t *a, const uint64_t *b, size_t nw) \
	{ \
		size_t i = 0; \
		for (; i + 4 <= nw; i += 4) { \
			uint64x2_t x0 = vld1q_u64(a + i), y0 = vld1q_u64(b + i); \
			uint64x2_t x1 = vld1q_u64(a + i + 2), y1 = vld1q_u64(b + i + 2); \
			vst1q_u64(d + i, vexpr(x0, y0)); \
			vst1q_u64(d + i + 2, vexpr(x1, y1)); \
		} \
		for (; i < nw; i++) \
			d[i] = (sexpr); \
	}
#define N_AND(x, y) vandq_u64(x, y)
#define N_OR(x, y) vorrq_u64(x, y)
#define N_ANDNOT(x, y) vbicq_u64(x, y)
BINOP_NEON(and, N_AND, a[i] & b[i])
BINOP_NEON(or, N_OR, a[i] | b[i])
BINOP_NEON(andnot, N_ANDNOT, a[i] & ~b[i])

static int64_t popcount_neon(const uint64_t *a, size_t nw)
{
	uint64x2_t acc = vdupq_n_u64(0);
	size_t i = 0;
	for (; i + 2 <= nw; i += 2) {
		uint8x16_t c = vcntq_u8(vreinterpretq_u8_u64(vld1q_u64(a + i)));
		acc = vaddq_u64(acc, vpaddlq_u32(vpaddlq_u16(vpaddlq_u8(c))));
	}
	int64_t n = (int64_t)(vgetq_lane_u64(acc, 0) + vgetq_lane_u64(acc, 1));
	if (i < nw)
		n += popcount_scalar(a + i, nw - i);
	return n;
}
#endif

/* ---- public ---------------------------------------------------------------------------- */

static void clear_tail(uint64_t *d, int64_t n)
{
	if (n > 0)
		d[(n - 1) >> 6] &= fr_kern__tail_mask(n);
}

#define BINOP_PUBLIC(name) \
	void fr_kern_bm_##name(uint64_t *dst, const uint64_t *a, const uint64_t *b, int64_t n) \
	{ \
		if (n <= 0) \
			return; \
		size_t nw = FR_BITMAP_WORDS(n); \
		switch (fr_kern__get()) { \
		case FR_SIMD_AVX2: BINOP_CALL_AVX2(name); break; \
		case FR_SIMD_NEON: BINOP_CALL_NEON(name); break; \
		default: name##_scalar(dst, a, b, nw); break; \
		} \
		clear_tail(dst, n); \
	}
#ifdef FR_KERN_X86
#define BINOP_CALL_AVX2(name) name##_avx2(dst, a, b, nw)
#else
#define BINOP_CALL_AVX2(name) name##_scalar(dst, a, b, nw)
#endif
#ifdef FR_KERN_ARM
#define BINOP_CALL_NEON(name) name##_neon(dst, a, b, nw)
#else
#define BINOP_CALL_NEON(name) name##_scalar(dst, a, b, nw)
#endif
BINOP_PUBLIC(and)
BINOP_PUBLIC(or)
BINOP_PUBLIC(andnot)

void fr_kern_bm_not(uint64_t *dst, const uint64_t *a, int64_t n)
{
	if (n <= 0)
		return;
	size_t nw = FR_BITMAP_WORDS(n);
	for (size_t i = 0; i < nw; i++) /* trivially vectorised by the compiler */
		dst[i] = ~a[i];
	clear_tail(dst, n);
}

void fr_kern_bm_fill(uint64_t *dst, int64_t n, int value)
{
	if (n <= 0)
		return;
	size_t nw = FR_BITMAP_WORDS(n);
	memset(dst, value ? 0xff : 0, nw * sizeof *dst);
	clear_tail(dst, n);
}

int64_t fr_kern_bm_popcount(const uint64_t *a, int64_t n)
{
	if (n <= 0)
		return 0;
	size_t nw = FR_BITMAP_WORDS(n);
	/* the last word is counted separately so garbage past n is ignored */
	uint64_t last = a[nw - 1] & fr_kern__tail_mask(n);
	int64_t c = popcount_scalar(&last, 1);
	switch (fr_kern__get()) {
#ifdef FR_KERN_X86
	case FR_SIMD_AVX2: return c + popcount_avx2(a, nw - 1);
#endif
#ifdef FR_KERN_ARM
	case FR_SIMD_NEON: return c + popcount_neon(a, nw - 1);
#endif
	default: return c + popcount_scalar(a, nw - 1);
	}
}

int64_t fr_kern_bm_indexes(const uint64_t *a, int64_t n, uint32_t *out)
{
	if (n <= 0)
		return 0;
	size_t nw = FR_BITMAP_WORDS(n);
	uint64_t last = a[nw - 1] & fr_kern__tail_mask(n);
	int64_t k;
#ifdef FR_KERN_X86
	if (fr_kern__get() == FR_SIMD_AVX2)
		k = indexes_avx2(a, nw - 1, out);
	else
#endif
		k = indexes_scalar(a, nw - 1, out);
	uint32_t base = (uint32_t)((nw - 1) * 64);
	while (last) {
		out[k++] = base + (uint32_t)__builtin_ctzll(last);
		last &= last - 1;
	}
	return k;
}
