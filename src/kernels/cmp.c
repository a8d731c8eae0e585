/* Compare a vector with a constant into a row bitmap (query.md §4.3), dictionary predicates
 * evaluated once per entry then gathered per row, and the not-null domain of a vector. */
#include "kernels/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const op_names[] = {
#define X(name, text) text,
	FR_KERN_OPS(X)
#undef X
};

const char *fr_kern_op_name(fr_op op)
{
	return (unsigned)op < FR_OP__COUNT ? op_names[op] : "?";
}

int fr_kern_op_parse(const char *s)
{
	for (int i = 0; i < FR_OP__COUNT; i++)
		if (!strcmp(s, op_names[i]))
			return i;
	return -1;
}

static int is_order_op(fr_op op)
{
	return op >= FR_OP_EQ && op <= FR_OP_GE;
}

/* Applies the null rule to one word of comparison bits: nulls match only != and not contains. */
static inline uint64_t null_fix(uint64_t bits, uint64_t valid, int null_match)
{
	return null_match ? (bits | ~valid) : (bits & valid);
}

static void apply_validity(uint64_t *out, const uint64_t *valid, int64_t n, int null_match)
{
	if (!valid || n <= 0)
		return;
	size_t nw = FR_BITMAP_WORDS(n);
	for (size_t w = 0; w < nw; w++)
		out[w] = null_fix(out[w], valid[w], null_match);
	out[nw - 1] &= fr_kern__tail_mask(n);
}

/* ---- scalar templates: one loop per (type, op), the op never tested per element -------- */

#define SCALAR_CMP(T, name, EXPR) \
	static void name(const T *v, int64_t n, T c, uint64_t *out) \
	{ \
		int64_t full = n / 64; \
		for (int64_t w = 0; w < full; w++) { \
			const T *p = v + w * 64; \
			uint64_t bits = 0; \
			for (int j = 0; j < 64; j++) { \
				T x = p[j]; \
				bits |= (uint64_t)(EXPR) << j; \
			} \
			out[w] = bits; \
		} \
		if (n % 64) { \
			const T *p = v + full * 64; \
			uint64_t bits = 0; \
			for (int j = 0; j < n % 64; j++) { \
				T x = p[j]; \
				bits |= (uint64_t)(EXPR) << j; \
			} \
			out[full] = bits; \
		} \
	}

#define SCALAR_CMP_SET(T, pfx) \
	SCALAR_CMP(T, pfx##_eq, x == c) \
	SCALAR_CMP(T, pfx##_ne, !(x == c)) \
	SCALAR_CMP(T, pfx##_lt, x < c) \
	SCALAR_CMP(T, pfx##_le, x <= c) \
	SCALAR_CMP(T, pfx##_gt, x > c) \
	SCALAR_CMP(T, pfx##_ge, x >= c) \
	static void pfx(const T *v, int64_t n, fr_op op, T c, uint64_t *out) \
	{ \
		switch (op) { \
		case FR_OP_EQ: pfx##_eq(v, n, c, out); break; \
		case FR_OP_NE: pfx##_ne(v, n, c, out); break; \
		case FR_OP_LT: pfx##_lt(v, n, c, out); break; \
		case FR_OP_LE: pfx##_le(v, n, c, out); break; \
		case FR_OP_GT: pfx##_gt(v, n, c, out); break; \
		default: pfx##_ge(v, n, c, out); break; \
		} \
	}

SCALAR_CMP_SET(int64_t, cmp_i64_scalar)
SCALAR_CMP_SET(double, cmp_f64_scalar) /* NaN: only != is true, as null */
SCALAR_CMP_SET(uint32_t, cmp_u32_scalar)
SCALAR_CMP_SET(fr_i128, cmp_i128_scalar)
SCALAR_CMP(uint8_t, cmp_true_scalar, x != 0)

/* ---- AVX2 ----------------------------------------------------------------------------- */
#ifdef FR_KERN_X86

/* 64 int64 rows -> one word.  GT/EQ are the only native compares; the rest negate. */
#define AVX2_I64_OP(name, MASK4) \
	FR_AVX2 static void name(const int64_t *v, int64_t full, int64_t c, uint64_t *out) \
	{ \
		__m256i cv = _mm256_set1_epi64x(c); \
		for (int64_t w = 0; w < full; w++) { \
			const int64_t *p = v + w * 64; \
			uint64_t bits = 0; \
			for (int j = 0; j < 64; j += 4) { \
				__m256i x = _mm256_loadu_si256((const __m256i *)(p + j)); \
				uint64_t m = (uint64_t)_mm256_movemask_pd(_mm256_castsi256_pd(MASK4)); \
				bits |= m << j; \
			} \
			out[w] = bits; \
		} \
	}
AVX2_I64_OP(cmp_i64_avx2_eq, _mm256_cmpeq_epi64(x, cv))
AVX2_I64_OP(cmp_i64_avx2_gt, _mm256_cmpgt_epi64(x, cv))
AVX2_I64_OP(cmp_i64_avx2_lt, _mm256_cmpgt_epi64(cv, x))

FR_AVX2 static void cmp_i64_avx2(const int64_t *v, int64_t n, fr_op op, int64_t c, uint64_t *out)
{
	int64_t full = n / 64;
	uint64_t flip = 0;
	switch (op) {
	case FR_OP_EQ: cmp_i64_avx2_eq(v, full, c, out); break;
	case FR_OP_NE: cmp_i64_avx2_eq(v, full, c, out); flip = ~(uint64_t)0; break;
	case FR_OP_GT: cmp_i64_avx2_gt(v, full, c, out); break;
	case FR_OP_LE: cmp_i64_avx2_gt(v, full, c, out); flip = ~(uint64_t)0; break;
	case FR_OP_LT: cmp_i64_avx2_lt(v, full, c, out); break;
	default: cmp_i64_avx2_lt(v, full, c, out); flip = ~(uint64_t)0; break;
	}
	if (flip)
		for (int64_t w = 0; w < full; w++)
			out[w] = ~out[w];
	if (n % 64)
		cmp_i64_scalar(v + full * 64, n % 64, op, c, out + full);
}

#define AVX2_F64_OP(name, PRED) \
	FR_AVX2 static void name(const double *v, int64_t full, double c, uint64_t *out) \
	{ \
		__m256d cv = _mm256_set1_pd(c); \
		for (int64_t w = 0; w < full; w++) { \
			const double *p = v + w * 64; \
			uint64_t bits = 0; \
			for (int j = 0; j < 64; j += 4) { \
				__m256d x = _mm256_loadu_pd(p + j); \
				bits |= (uint64_t)_mm256_movemask_pd(_mm256_cmp_pd(x, cv, PRED)) << j; \
			} \
			out[w] = bits; \
		} \
	}
/* ordered predicates are false on NaN, unordered != is true: NaN behaves as null */
AVX2_F64_OP(cmp_f64_avx2_eq, _CMP_EQ_OQ)
AVX2_F64_OP(cmp_f64_avx2_ne, _CMP_NEQ_UQ)
AVX2_F64_OP(cmp_f64_avx2_lt, _CMP_LT_OQ)
AVX2_F64_OP(cmp_f64_avx2_le, _CMP_LE_OQ)
AVX2_F64_OP(cmp_f64_avx2_gt, _CMP_GT_OQ)
AVX2_F64_OP(cmp_f64_avx2_ge, _CMP_GE_OQ)

FR_AVX2 static void cmp_f64_avx2(const double *v, int64_t n, fr_op op, double c, uint64_t *out)
{
	int64_t full = n / 64;
	switch (op) {
	case FR_OP_EQ: cmp_f64_avx2_eq(v, full, c, out); break;
	case FR_OP_NE: cmp_f64_avx2_ne(v, full, c, out); break;
	case FR_OP_LT: cmp_f64_avx2_lt(v, full, c, out); break;
	case FR_OP_LE: cmp_f64_avx2_le(v, full, c, out); break;
	case FR_OP_GT: cmp_f64_avx2_gt(v, full, c, out); break;
	default: cmp_f64_avx2_ge(v, full, c, out); break;
	}
	if (n % 64)
		cmp_f64_scalar(v + full * 64, n % 64, op, c, out + full);
}

/* Bytes -> "is nonzero" bits, 32 rows per compare. */
FR_AVX2 static void cmp_true_avx2(const uint8_t *v, int64_t n, uint64_t *out)
{
	int64_t full = n / 64;
	__m256i z = _mm256_setzero_si256();
	for (int64_t w = 0; w < full; w++) {
		const uint8_t *p = v + w * 64;
		uint32_t lo = (uint32_t)_mm256_movemask_epi8(
			_mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)p), z));
		uint32_t hi = (uint32_t)_mm256_movemask_epi8(
			_mm256_cmpeq_epi8(_mm256_loadu_si256((const __m256i *)(p + 32)), z));
		out[w] = ~((uint64_t)lo | ((uint64_t)hi << 32));
	}
	if (n % 64)
		cmp_true_scalar(v + full * 64, n % 64, 0, out + full);
}

/* Unsigned 32-bit compares via the sign-flip trick (AVX2 has only signed cmpgt). */
FR_AVX2 static void cmp_u32_avx2(const uint32_t *v, int64_t n, fr_op op, uint32_t c,
                                 uint64_t *out)
{
	int64_t full = n / 64;
	__m256i sign = _mm256_set1_epi32((int)0x80000000u);
	__m256i cv = _mm256_xor_si256(_mm256_set1_epi32((int)c), sign);
	for (int64_t w = 0; w < full; w++) {
		const uint32_t *p = v + w * 64;
		uint64_t bits = 0;
		for (int j = 0; j < 64; j += 8) {
			__m256i x = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(p + j)), sign);
			__m256i m;
			switch (op) {
			case FR_OP_EQ: case FR_OP_NE: m = _mm256_cmpeq_epi32(x, cv); break;
			case FR_OP_GT: case FR_OP_LE: m = _mm256_cmpgt_epi32(x, cv); break;
			default: m = _mm256_cmpgt_epi32(cv, x); break;
			}
			bits |= (uint64_t)_mm256_movemask_ps(_mm256_castsi256_ps(m)) << j;
		}
		out[w] = (op == FR_OP_NE || op == FR_OP_LE || op == FR_OP_GE) ? ~bits : bits;
	}
	if (n % 64)
		cmp_u32_scalar(v + full * 64, n % 64, op, c, out + full);
}

/* bit i = match[codes[i]]: for dictionaries of up to 64 entries the match bitmap lives in two
 * registers and a variable shift does the lookup (shifts >= 32 give 0, which also rejects
 * out-of-range codes); larger dictionaries use a masked gather. */
FR_AVX2 static void gather_avx2(const uint32_t *codes, int64_t n, const uint64_t *match,
                                uint32_t ndict, uint64_t *out)
{
	int64_t full = n / 64;
	__m256i one = _mm256_set1_epi32(1);
	if (ndict <= 64) {
		uint64_t m = ndict ? match[0] : 0;
		__m256i lo = _mm256_set1_epi32((int)(uint32_t)m);
		__m256i hi = _mm256_set1_epi32((int)(uint32_t)(m >> 32));
		__m256i k32 = _mm256_set1_epi32(32);
		for (int64_t w = 0; w < full; w++) {
			const uint32_t *p = codes + w * 64;
			uint64_t bits = 0;
			for (int j = 0; j < 64; j += 8) {
				__m256i c = _mm256_loadu_si256((const __m256i *)(p + j));
				__m256i b = _mm256_or_si256(_mm256_srlv_epi32(lo, c),
				                            _mm256_srlv_epi32(hi, _mm256_sub_epi32(c, k32)));
				b = _mm256_slli_epi32(_mm256_and_si256(b, one), 31);
				bits |= (uint64_t)_mm256_movemask_ps(_mm256_castsi256_ps(b)) << j;
			}
			out[w] = bits;
		}
	} else {
		const int *tab = (const int *)match;
		__m256i sign = _mm256_set1_epi32((int)0x80000000u);
		__m256i lim = _mm256_xor_si256(_mm256_set1_epi32((int)ndict), sign);
		__m256i k31 = _mm256_set1_epi32(31);
		for (int64_t w = 0; w < full; w++) {
			const uint32_t *p = codes + w * 64;
			uint64_t bits = 0;
			for (int j = 0; j < 64; j += 8) {
				__m256i c = _mm256_loadu_si256((const __m256i *)(p + j));
				__m256i ok = _mm256_cmpgt_epi32(lim, _mm256_xor_si256(c, sign));
				__m256i g = _mm256_mask_i32gather_epi32(_mm256_setzero_si256(), tab,
				                                        _mm256_srli_epi32(c, 5), ok, 4);
				__m256i b = _mm256_srlv_epi32(g, _mm256_and_si256(c, k31));
				b = _mm256_slli_epi32(_mm256_and_si256(b, one), 31);
				bits |= (uint64_t)_mm256_movemask_ps(_mm256_castsi256_ps(b)) << j;
			}
			out[w] = bits;
		}
	}
	for (int64_t i = full * 64; i < n; i++) {
		uint32_t c = codes[i];
		uint64_t bit = c < ndict ? (match[c >> 6] >> (c & 63)) & 1 : 0;
		if (i % 64 == 0)
			out[i / 64] = 0;
		out[i / 64] |= bit << (i % 64);
	}
}
#endif

/* ---- NEON ----------------------------------------------------------------------------- */
#ifdef FR_KERN_ARM
/* Narrow two lanes of 64-bit masks to bits: NEON has no movemask, so AND with lane weights
 * and add across. */
#define NEON_I64_OP(name, T, LOAD, DUP, CMP, NEG) \
	static void name(const T *v, int64_t full, T c, uint64_t *out) \
	{ \
		const uint64_t wts[2] = { 1, 2 }; \
		uint64x2_t wt = vld1q_u64(wts); \
		for (int64_t w = 0; w < full; w++) { \
			const T *p = v + w * 64; \
			uint64_t bits = 0; \
			for (int j = 0; j < 64; j += 2) { \
				uint64x2_t m = CMP(LOAD(p + j), DUP(c)); \
				bits |= (uint64_t)vaddvq_u64(vandq_u64(m, wt)) << j; \
			} \
			out[w] = NEG ? ~bits : bits; \
		} \
	}
NEON_I64_OP(cmp_i64_neon_eq, int64_t, vld1q_s64, vdupq_n_s64, vceqq_s64, 0)
NEON_I64_OP(cmp_i64_neon_ne, int64_t, vld1q_s64, vdupq_n_s64, vceqq_s64, 1)
NEON_I64_OP(cmp_i64_neon_lt, int64_t, vld1q_s64, vdupq_n_s64, vcltq_s64, 0)
NEON_I64_OP(cmp_i64_neon_le, int64_t, vld1q_s64, vdupq_n_s64, vcleq_s64, 0)
NEON_I64_OP(cmp_i64_neon_gt, int64_t, vld1q_s64, vdupq_n_s64, vcgtq_s64, 0)
NEON_I64_OP(cmp_i64_neon_ge, int64_t, vld1q_s64, vdupq_n_s64, vcgeq_s64, 0)
/* NEON float compares are false on NaN; != is the negated == (true on NaN, as null). */
NEON_I64_OP(cmp_f64_neon_eq, double, vld1q_f64, vdupq_n_f64, vceqq_f64, 0)
NEON_I64_OP(cmp_f64_neon_ne, double, vld1q_f64, vdupq_n_f64, vceqq_f64, 1)
NEON_I64_OP(cmp_f64_neon_lt, double, vld1q_f64, vdupq_n_f64, vcltq_f64, 0)
NEON_I64_OP(cmp_f64_neon_le, double, vld1q_f64, vdupq_n_f64, vcleq_f64, 0)
NEON_I64_OP(cmp_f64_neon_gt, double, vld1q_f64, vdupq_n_f64, vcgtq_f64, 0)
NEON_I64_OP(cmp_f64_neon_ge, double, vld1q_f64, vdupq_n_f64, vcgeq_f64, 0)

#define NEON_DISPATCH(pfx, T, scalar) \
	static void pfx(const T *v, int64_t n, fr_op op, T c, uint64_t *out) \
	{ \
		int64_t full = n / 64; \
		switch (op) { \
		case FR_OP_EQ: pfx##_eq(v, full, c, out); break; \
		case FR_OP_NE: pfx##_ne(v, full, c, out); break; \
		case FR_OP_LT: pfx##_lt(v, full, c, out); break; \
		case FR_OP_LE: pfx##_le(v, full, c, out); break; \
		case FR_OP_GT: pfx##_gt(v, full, c, out); break; \
		default: pfx##_ge(v, full, c, out); break; \
		} \
		if (n % 64) \
			scalar(v + full * 64, n % 64, op, c, out + full); \
	}
NEON_DISPATCH(cmp_i64_neon, int64_t, cmp_i64_scalar)
NEON_DISPATCH(cmp_f64_neon, double, cmp_f64_scalar)

static void cmp_true_neon(const uint8_t *v, int64_t n, uint64_t *out)
{
	int64_t full = n / 64;
	static const uint8_t wts[16] = { 1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128 };
	uint8x16_t wt = vld1q_u8(wts);
	for (int64_t w = 0; w < full; w++) {
		uint64_t bits = 0;
		for (int j = 0; j < 64; j += 16) {
			uint8x16_t m = vtstq_u8(vld1q_u8(v + w * 64 + j), vld1q_u8(v + w * 64 + j));
			uint8x16_t b = vandq_u8(m, wt);
			uint64_t lo = vaddv_u8(vget_low_u8(b)), hi = vaddv_u8(vget_high_u8(b));
			bits |= (lo | (hi << 8)) << j;
		}
		out[w] = bits;
	}
	if (n % 64)
		cmp_true_scalar(v + full * 64, n % 64, 0, out + full);
}

/* 16 bytes of 0x00/0xff -> 16 bits. */
static inline uint64_t neon_bits16(uint8x16_t m)
{
	static const uint8_t wts[16] = { 1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128 };
	uint8x16_t b = vandq_u8(m, vld1q_u8(wts));
	return (uint64_t)vaddv_u8(vget_low_u8(b)) | ((uint64_t)vaddv_u8(vget_high_u8(b)) << 8);
}

/* Dictionaries of up to 64 entries: the match bitmap expanded to a 64-byte table, codes
 * narrowed with saturation to byte indexes, and TBL looks them up (indexes >= 64, including
 * saturated out-of-range codes, read as 0).  Larger dictionaries fall back to scalar. */
static int gather_neon(const uint32_t *codes, int64_t n, const uint64_t *match, uint32_t ndict,
                       uint64_t *out)
{
	if (ndict > 64)
		return 0;
	uint8_t tab[64];
	uint64_t mw = ndict ? match[0] : 0;
	for (int i = 0; i < 64; i++)
		tab[i] = ((mw >> i) & 1) ? 0xff : 0;
	uint8x16x4_t t = { { vld1q_u8(tab), vld1q_u8(tab + 16), vld1q_u8(tab + 32),
		                 vld1q_u8(tab + 48) } };
	int64_t full = n / 64;
	for (int64_t w = 0; w < full; w++) {
		const uint32_t *p = codes + w * 64;
		uint64_t bits = 0;
		for (int j = 0; j < 64; j += 16) {
			uint16x8_t lo = vcombine_u16(vqmovn_u32(vld1q_u32(p + j)), vqmovn_u32(vld1q_u32(p + j + 4)));
			uint16x8_t hi = vcombine_u16(vqmovn_u32(vld1q_u32(p + j + 8)),
			                             vqmovn_u32(vld1q_u32(p + j + 12)));
			uint8x16_t idx = vcombine_u8(vqmovn_u16(lo), vqmovn_u16(hi));
			bits |= neon_bits16(vqtbl4q_u8(t, idx)) << j;
		}
		out[w] = bits;
	}
	if (n % 64) {
		uint64_t bits = 0;
		for (int64_t i = full * 64; i < n; i++) {
			uint32_t c = codes[i];
			bits |= (c < ndict ? (match[0] >> c) & 1 : 0) << (i % 64);
		}
		out[full] = bits;
	}
	return 1;
}

#endif

/* ---- public --------------------------------------------------------------------------- */

static int bad_op(fr_err *err, fr_op op, const char *what)
{
	return fr_err_set(err, FR_EINVAL, "operator '%s' not applicable to %s", fr_kern_op_name(op),
	                  what);
}

int fr_kern_cmp_i64(const int64_t *v, const uint64_t *valid, int64_t n, fr_op op, int64_t c,
                    uint64_t *out, fr_err *err)
{
	if (!is_order_op(op))
		return bad_op(err, op, "INT values");
	if (n <= 0)
		return 0;
	switch (fr_kern__get()) {
#ifdef FR_KERN_X86
	case FR_SIMD_AVX2: cmp_i64_avx2(v, n, op, c, out); break;
#endif
#ifdef FR_KERN_ARM
	case FR_SIMD_NEON: cmp_i64_neon(v, n, op, c, out); break;
#endif
	default: cmp_i64_scalar(v, n, op, c, out); break;
	}
	apply_validity(out, valid, n, op == FR_OP_NE);
	return 0;
}

int fr_kern_cmp_f64(const double *v, const uint64_t *valid, int64_t n, fr_op op, double c,
                    uint64_t *out, fr_err *err)
{
	if (!is_order_op(op))
		return bad_op(err, op, "FLOAT values");
	if (isnan(c))
		return fr_err_set(err, FR_EINVAL, "cannot compare with NaN");
	if (n <= 0)
		return 0;
	switch (fr_kern__get()) {
#ifdef FR_KERN_X86
	case FR_SIMD_AVX2: cmp_f64_avx2(v, n, op, c, out); break;
#endif
#ifdef FR_KERN_ARM
	case FR_SIMD_NEON: cmp_f64_neon(v, n, op, c, out); break;
#endif
	default: cmp_f64_scalar(v, n, op, c, out); break;
	}
	apply_validity(out, valid, n, op == FR_OP_NE);
	return 0;
}

int fr_kern_cmp_bool(const uint8_t *v, const uint64_t *valid, int64_t n, fr_op op, int c,
                     uint64_t *out, fr_err *err)
{
	if (op != FR_OP_EQ && op != FR_OP_NE)
		return bad_op(err, op, "BOOL values");
	if (n <= 0)
		return 0;
	switch (fr_kern__get()) {
#ifdef FR_KERN_X86
	case FR_SIMD_AVX2: cmp_true_avx2(v, n, out); break;
#endif
#ifdef FR_KERN_ARM
	case FR_SIMD_NEON: cmp_true_neon(v, n, out); break;
#endif
	default: cmp_true_scalar(v, n, 0, out); break;
	}
	/* bits now say "value is true"; x == c is that or its negation */
	int negate = (op == FR_OP_EQ) != (c != 0);
	size_t nw = FR_BITMAP_WORDS(n);
	if (negate)
		for (size_t w = 0; w < nw; w++)
			out[w] = ~out[w];
	out[nw - 1] &= fr_kern__tail_mask(n);
	apply_validity(out, valid, n, op == FR_OP_NE);
	return 0;
}

int fr_kern_cmp_u32(const uint32_t *v, int64_t n, fr_op op, uint32_t c, uint64_t *out,
                    fr_err *err)
{
	if (!is_order_op(op))
		return bad_op(err, op, "counts");
	if (n <= 0)
		return 0;
#ifdef FR_KERN_X86
	if (fr_kern__get() == FR_SIMD_AVX2)
		cmp_u32_avx2(v, n, op, c, out);
	else
#endif
		cmp_u32_scalar(v, n, op, c, out);
	return 0;
}

int fr_kern_cmp_i128(const fr_i128 *v, int64_t n, fr_op op, fr_i128 c, uint64_t *out,
                     fr_err *err)
{
	if (!is_order_op(op))
		return bad_op(err, op, "sums");
	if (n > 0)
		cmp_i128_scalar(v, n, op, c, out);
	return 0;
}

/* ---- dictionaries --------------------------------------------------------------------- */

/* Entry index containing byte position p of the concatenated data (off non-decreasing). */
static uint32_t entry_at(const fr_strtab *d, int64_t p)
{
	uint32_t lo = 0, hi = d->n; /* answer in [lo, hi): last i with off[i] <= p */
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (d->off[mid] <= p)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* contains: one memmem pass over the concatenated entries instead of one call per entry;
 * a hit that straddles two entries is discarded and the search resumes one byte later. */
static void dict_contains(const fr_strtab *d, const uint8_t *val, size_t len, uint64_t *match)
{
	if (len == 0) {
		fr_kern_bm_fill(match, d->n, 1);
		return;
	}
	const uint8_t *base = d->data;
	int64_t end = d->off[d->n];
	int64_t pos = d->off[0];
	while (pos < end && (size_t)(end - pos) >= len) {
		const uint8_t *hit = memmem(base + pos, (size_t)(end - pos), val, len);
		if (!hit)
			break;
		int64_t p = hit - base;
		uint32_t e = entry_at(d, p);
		if (p + (int64_t)len <= d->off[e + 1]) {
			fr_bit_set(match, e);
			pos = d->off[e + 1];
		} else {
			pos = p + 1;
		}
	}
}

int fr_kern_dict_match(const fr_strtab *dict, fr_op op, const void *val, size_t val_len,
                       uint64_t *match, fr_err *err)
{
	uint32_t n = dict->n;
	if (op != FR_OP_EQ && op != FR_OP_NE && op != FR_OP_CONTAINS && op != FR_OP_NOT_CONTAINS)
		return bad_op(err, op, "STRING values");
	if (n == 0)
		return 0;
	for (uint32_t i = 0; i <= n; i++) /* the contract of fr_strtab, checked before use */
		if (dict->off[i] < (i ? dict->off[i - 1] : 0))
			return fr_err_set(err, FR_ECORRUPT, "dictionary offsets decrease at entry %u", i);
	fr_kern_bm_fill(match, n, 0);
	if (op == FR_OP_EQ || op == FR_OP_NE) {
		for (uint32_t i = 0; i < n; i++) {
			int64_t a = dict->off[i], b = dict->off[i + 1];
			if ((size_t)(b - a) == val_len && !memcmp(dict->data + a, val, val_len)) {
				fr_bit_set(match, i);
				break; /* entries are distinct */
			}
		}
	} else {
		dict_contains(dict, val, val_len, match);
	}
	if (op == FR_OP_NE || op == FR_OP_NOT_CONTAINS)
		fr_kern_bm_not(match, match, n);
	return 0;
}

static void gather_scalar(const uint32_t *codes, int64_t n, const uint64_t *match,
                          uint32_t ndict, uint64_t *out)
{
	int64_t full = n / 64;
	for (int64_t w = 0; w <= full; w++) {
		int64_t cnt = w < full ? 64 : n % 64;
		if (cnt == 0)
			break;
		const uint32_t *p = codes + w * 64;
		uint64_t bits = 0;
		for (int64_t j = 0; j < cnt; j++) {
			uint32_t c = p[j];
			uint64_t bit = c < ndict ? (match[c >> 6] >> (c & 63)) & 1 : 0;
			bits |= bit << j;
		}
		out[w] = bits;
	}
}

void fr_kern_dict_gather(const uint32_t *codes, const uint64_t *valid, int64_t n,
                         const uint64_t *match, uint32_t ndict, int null_match, uint64_t *out)
{
	if (n <= 0)
		return;
#ifdef FR_KERN_X86
	if (fr_kern__get() == FR_SIMD_AVX2)
		gather_avx2(codes, n, match, ndict, out);
	else
#endif
#ifdef FR_KERN_ARM
	if (fr_kern__get() != FR_SIMD_NEON || !gather_neon(codes, n, match, ndict, out))
#endif
		gather_scalar(codes, n, match, ndict, out);
	apply_validity(out, valid, n, null_match);
}

int fr_kern_cmp_dict(const fr_vec *v, fr_op op, const void *val, size_t val_len, uint64_t *out,
                     fr_err *err)
{
	if (v->kind != FR_VEC_DICT)
		return fr_err_set(err, FR_EINVAL, "string comparison on a non-dictionary vector");
	uint64_t *match = fr_kern__scratch(FR_SCR_A, (FR_BITMAP_WORDS(v->dict.n) + 1) * 8, 0);
	if (!match)
		return fr_err_set(err, FR_ENOMEM, "out of memory for a %u-entry dictionary match",
		                  v->dict.n);
	int rc = fr_kern_dict_match(&v->dict, op, val, val_len, match, err);
	if (rc == 0)
		fr_kern_dict_gather(v->v.codes, v->valid, v->len, match, v->dict.n,
		                    op == FR_OP_NE || op == FR_OP_NOT_CONTAINS, out);
	return rc;
}

int fr_kern_cmp_vec(const fr_vec *v, fr_op op, const fr_kern_const *c, uint64_t *out,
                    fr_err *err)
{
	switch (v->kind) {
	case FR_VEC_I64: return fr_kern_cmp_i64(v->v.i64, v->valid, v->len, op, c->i64, out, err);
	case FR_VEC_F64: return fr_kern_cmp_f64(v->v.f64, v->valid, v->len, op, c->f64, out, err);
	case FR_VEC_BOOL:
		return fr_kern_cmp_bool(v->v.b, v->valid, v->len, op, c->i64 != 0, out, err);
	case FR_VEC_DICT: return fr_kern_cmp_dict(v, op, c->str, c->str_len, out, err);
	default: return fr_err_set(err, FR_EINVAL, "comparison on raw binary vectors is not supported");
	}
}

/* ---- not-null domain ------------------------------------------------------------------ */

SCALAR_CMP(double, notnan_scalar, x == x) /* false exactly for NaN */

#ifdef FR_KERN_X86
FR_AVX2 static void notnan_avx2(const double *v, int64_t n, uint64_t *out)
{
	int64_t full = n / 64;
	for (int64_t w = 0; w < full; w++) {
		const double *p = v + w * 64;
		uint64_t bits = 0;
		for (int j = 0; j < 64; j += 4) {
			__m256d x = _mm256_loadu_pd(p + j);
			bits |= (uint64_t)_mm256_movemask_pd(_mm256_cmp_pd(x, x, _CMP_ORD_Q)) << j;
		}
		out[w] = bits;
	}
	if (n % 64)
		notnan_scalar(v + full * 64, n % 64, 0, out + full);
}
#endif

#ifdef FR_KERN_ARM
static void notnan_neon(const double *v, int64_t n, uint64_t *out)
{
	const uint64_t wts[2] = { 1, 2 };
	uint64x2_t wt = vld1q_u64(wts);
	int64_t full = n / 64;
	for (int64_t w = 0; w < full; w++) {
		uint64_t bits = 0;
		for (int j = 0; j < 64; j += 2) {
			float64x2_t x = vld1q_f64(v + w * 64 + j);
			bits |= (uint64_t)vaddvq_u64(vandq_u64(vceqq_f64(x, x), wt)) << j;
		}
		out[w] = bits;
	}
	if (n % 64)
		notnan_scalar(v + full * 64, n % 64, 0, out + full);
}
#endif

void fr_kern_notnull(const fr_vec *v, uint64_t *out)
{
	int64_t n = v->len;
	if (n <= 0)
		return;
	size_t nw = FR_BITMAP_WORDS(n);
	if (v->kind == FR_VEC_F64) {
#ifdef FR_KERN_X86
		if (fr_kern__get() == FR_SIMD_AVX2)
			notnan_avx2(v->v.f64, n, out);
		else
#endif
#ifdef FR_KERN_ARM
		if (fr_kern__get() == FR_SIMD_NEON)
			notnan_neon(v->v.f64, n, out);
		else
#endif
			notnan_scalar(v->v.f64, n, 0, out);
		apply_validity(out, v->valid, n, 0);
		return;
	}
	if (v->valid)
		memcpy(out, v->valid, nw * sizeof *out);
	else
		fr_kern_bm_fill(out, n, 1);
	out[nw - 1] &= fr_kern__tail_mask(n);
}
