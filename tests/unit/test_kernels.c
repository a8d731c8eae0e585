/* Unit tests for src/kernels: every kernel in every SIMD mode this machine runs, on random
 * inputs against a naive per-row reference, plus hand-computed cases from query.md. */
#ifdef FR_CHECK_SHIM
#include "test_kernels_shim.h" /* cross-built runs without a target Check library */
#else
#include <check.h>
#endif
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/error.h"
#include "kernels/kernels.h"
#include "kernels/internal.h" /* test hooks */

/* Check records every passed ck_assert through its message pipe, which makes assertions in
 * million-iteration loops slow; these only call into Check on failure. */
#define REQ(c) \
	do { \
		if (!(c)) \
			ck_abort_msg("%s:%d: %s (mode %s)", __FILE__, __LINE__, #c, \
			             fr_kern_simd_name(fr_kern_simd_get())); \
	} while (0)
#define REQ_CMP(a, op, b) \
	do { \
		unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b); \
		if (!((long long)a_ op (long long)b_)) \
			ck_abort_msg("%s:%d: %s %s %s: %lld vs %lld (mode %s)", __FILE__, __LINE__, #a, #op, \
			             #b, (long long)a_, (long long)b_, fr_kern_simd_name(fr_kern_simd_get())); \
	} while (0)
#define REQ_UCMP(a, op, b) \
	do { \
		unsigned long long a_ = (unsigned long long)(a), b_ = (unsigned long long)(b); \
		if (!(a_ op b_)) \
			ck_abort_msg("%s:%d: %s %s %s: %llu vs %llu (mode %s)", __FILE__, __LINE__, #a, #op, \
			             #b, a_, b_, fr_kern_simd_name(fr_kern_simd_get())); \
	} while (0)

/* ---- helpers -------------------------------------------------------------------------- */

static uint64_t rng_state = 0x243F6A8885A308D3ULL;
static uint64_t rnd(void)
{
	uint64_t x = rng_state;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}
static uint64_t rnd_below(uint64_t n)
{
	return n ? rnd() % n : 0;
}

/* Sizes that exercise partial words, exactly one word, and several words. */
static const int64_t sizes[] = { 0, 1, 3, 63, 64, 65, 127, 128, 200, 1000, 4099 };
#define NSIZES (int)(sizeof sizes / sizeof sizes[0])

/* Validity patterns: 0 = no null (valid NULL), 1 = all null, 2 = mixed, 3 = mostly valid. */
static uint64_t *make_valid(fr_arena *a, int64_t n, int pattern)
{
	if (pattern == 0)
		return NULL;
	uint64_t *v = fr_arena_calloc(a, FR_BITMAP_WORDS(n) + 1, 8);
	for (int64_t i = 0; i < n; i++) {
		int bit = pattern == 1 ? 0 : pattern == 2 ? (int)(rnd() & 1) : (rnd() % 8 != 0);
		if (bit)
			fr_bit_set(v, i);
	}
	return v;
}

static uint64_t *rand_bm(fr_arena *a, int64_t n, int density_pct)
{
	uint64_t *v = fr_arena_calloc(a, FR_BITMAP_WORDS(n) + 1, 8);
	for (int64_t i = 0; i < n; i++)
		if ((int)rnd_below(100) < density_pct)
			fr_bit_set(v, i);
	return v;
}

static int valid_at(const uint64_t *valid, int64_t i)
{
	return !valid || fr_bit_get(valid, i);
}

/* Checks that the bitmap has exactly the expected bits and nothing past n. */
static void check_bits(const uint64_t *got, const uint8_t *want, int64_t n, const char *what)
{
	for (int64_t i = 0; i < n; i++)
		if (fr_bit_get(got, i) != want[i])
			ck_abort_msg("%s: row %lld of %lld: got %d want %d (mode %s)", what, (long long)i,
			             (long long)n, fr_bit_get(got, i), want[i],
			             fr_kern_simd_name(fr_kern_simd_get()));
	if (n % 64)
		ck_assert_msg((got[(n - 1) / 64] >> (n % 64)) == 0, "%s: bits past n set", what);
}

static int nmodes;
static fr_simd_mode modes[3];

static void init_modes(void)
{
	nmodes = 0;
	for (int m = FR_SIMD_SCALAR; m <= FR_SIMD_NEON; m++)
		if (fr_kern_simd_available((fr_simd_mode)m))
			modes[nmodes++] = (fr_simd_mode)m;
}

#define FOR_MODES(m) \
	for (int m##_i = 0; m##_i < nmodes && (fr_kern_simd_set(modes[m##_i], NULL) == 0); m##_i++)

static int ref_cmp_i64(int64_t x, fr_op op, int64_t c)
{
	switch (op) {
	case FR_OP_EQ: return x == c;
	case FR_OP_NE: return x != c;
	case FR_OP_LT: return x < c;
	case FR_OP_LE: return x <= c;
	case FR_OP_GT: return x > c;
	default: return x >= c;
	}
}

static int ref_cmp_f64(double x, fr_op op, double c)
{
	switch (op) {
	case FR_OP_EQ: return x == c;
	case FR_OP_NE: return !(x == c);
	case FR_OP_LT: return x < c;
	case FR_OP_LE: return x <= c;
	case FR_OP_GT: return x > c;
	default: return x >= c;
	}
}

#define REQ_EQ(a, b) REQ_CMP(a, ==, b)
#define REQ_LE(a, b) REQ_UCMP(a, <=, b)
#define REQ_LT(a, b) REQ_UCMP(a, <, b)

/* ---- SIMD mode control ---------------------------------------------------------------- */

START_TEST(simd_modes)
{
	fr_err e = { 0 };
	REQ(fr_kern_simd_available(FR_SIMD_SCALAR));
	REQ_EQ(fr_kern_simd_set(FR_SIMD_SCALAR, &e), 0);
	REQ_EQ(fr_kern_simd_get(), FR_SIMD_SCALAR);
	ck_assert_str_eq(fr_kern_simd_name(FR_SIMD_AVX2), "avx2");
#if !defined(__aarch64__)
	REQ_EQ(fr_kern_simd_set(FR_SIMD_NEON, &e), FR_EUNSUPPORTED);
#endif
	fr_simd_mode pm;
	REQ_EQ(fr_kern_simd_parse("SCALAR", &pm, &e), 0);
	REQ_EQ(pm, FR_SIMD_SCALAR);
	REQ_EQ(fr_kern_simd_parse("fastest", &pm, &e), FR_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "fastest"));
	REQ_EQ(fr_kern_simd_parse("auto", &pm, &e), 0);
	REQ(fr_kern_simd_available(pm));
#if !defined(__aarch64__)
	REQ_EQ(fr_kern_simd_parse("neon", &pm, &e), FR_EINVAL);
#endif
	REQ_EQ(fr_kern_op_parse("not contains"), FR_OP_NOT_CONTAINS);
	REQ_EQ(fr_kern_op_parse("=~"), -1);
	ck_assert_str_eq(fr_kern_op_name(FR_OP_LE), "<=");
}
END_TEST

/* ---- bitmaps -------------------------------------------------------------------------- */

START_TEST(bitmap_ops)
{
	fr_arena *ar = fr_arena_new(0);
	for (int si = 0; si < NSIZES; si++) {
		int64_t n = sizes[si];
		size_t nw = FR_BITMAP_WORDS(n);
		uint64_t *a = rand_bm(ar, n, 50), *b = rand_bm(ar, n, 30);
		uint64_t *d = fr_arena_calloc(ar, nw + 1, 8);
		uint32_t *idx = fr_arena_calloc(ar, (size_t)n + 1, 4);
		uint8_t *want = fr_arena_calloc(ar, (size_t)n + 1, 1);
		FOR_MODES(m) {
			fr_kern_bm_and(d, a, b, n);
			for (int64_t i = 0; i < n; i++)
				want[i] = fr_bit_get(a, i) & fr_bit_get(b, i);
			check_bits(d, want, n, "and");
			fr_kern_bm_or(d, a, b, n);
			for (int64_t i = 0; i < n; i++)
				want[i] = fr_bit_get(a, i) | fr_bit_get(b, i);
			check_bits(d, want, n, "or");
			fr_kern_bm_andnot(d, a, b, n);
			for (int64_t i = 0; i < n; i++)
				want[i] = fr_bit_get(a, i) & !fr_bit_get(b, i);
			check_bits(d, want, n, "andnot");
			fr_kern_bm_not(d, a, n);
			for (int64_t i = 0; i < n; i++)
				want[i] = !fr_bit_get(a, i);
			check_bits(d, want, n, "not");
			/* in place */
			memcpy(d, a, nw * 8);
			fr_kern_bm_and(d, d, b, n);
			for (int64_t i = 0; i < n; i++)
				want[i] = fr_bit_get(a, i) & fr_bit_get(b, i);
			check_bits(d, want, n, "and in place");
			fr_kern_bm_fill(d, n, 1);
			memset(want, 1, (size_t)n);
			check_bits(d, want, n, "fill 1");
			REQ_EQ(fr_kern_bm_popcount(d, n), n);
			fr_kern_bm_fill(d, n, 0);
			REQ_EQ(fr_kern_bm_popcount(d, n), 0);

			/* popcount and indexes ignore garbage past n */
			memcpy(d, a, nw * 8);
			if (n % 64)
				d[nw - 1] |= ~(uint64_t)0 << (n % 64);
			int64_t cnt = 0;
			for (int64_t i = 0; i < n; i++)
				cnt += fr_bit_get(a, i);
			REQ_EQ(fr_kern_bm_popcount(d, n), cnt);
			REQ_EQ(fr_kern_bm_indexes(d, n, idx), cnt);
			int64_t k = 0;
			for (int64_t i = fr_kern_bm_next(d, n, 0); i >= 0; i = fr_kern_bm_next(d, n, i + 1)) {
				REQ_EQ(fr_bit_get(a, i), 1);
				REQ_EQ(idx[k], i);
				k++;
			}
			REQ_EQ(k, cnt);
		}
	}
	fr_arena_free(ar);
}
END_TEST

/* ---- compares ------------------------------------------------------------------------- */

START_TEST(cmp_i64_random)
{
	fr_arena *ar = fr_arena_new(0);
	fr_err e = { 0 };
	for (int si = 0; si < NSIZES; si++) {
		int64_t n = sizes[si];
		for (int vp = 0; vp < 4; vp++) {
			int64_t *v = fr_arena_alloc(ar, (size_t)(n + 1) * 8);
			for (int64_t i = 0; i < n; i++) {
				uint64_t r = rnd() % 10;
				v[i] = r == 0 ? INT64_MIN : r == 1 ? INT64_MAX : (int64_t)rnd_below(7) - 3;
			}
			uint64_t *valid = make_valid(ar, n, vp);
			for (int64_t i = 0; i < n; i++) /* null slots hold 0, as the loader writes them */
				if (!valid_at(valid, i))
					v[i] = 0;
			uint64_t *out = fr_arena_calloc(ar, FR_BITMAP_WORDS(n) + 1, 8);
			uint8_t *want = fr_arena_calloc(ar, (size_t)n + 1, 1);
			const int64_t consts[] = { 0, -3, 2, INT64_MIN, INT64_MAX };
			for (int ci = 0; ci < 5; ci++)
				for (int op = FR_OP_EQ; op <= FR_OP_GE; op++) {
					for (int64_t i = 0; i < n; i++)
						want[i] = valid_at(valid, i) ? ref_cmp_i64(v[i], op, consts[ci])
						                             : op == FR_OP_NE;
					FOR_MODES(m) {
						memset(out, 0xa5, FR_BITMAP_WORDS(n) * 8);
						REQ_EQ(fr_kern_cmp_i64(v, valid, n, op, consts[ci], out, &e), 0);
						check_bits(out, want, n, fr_kern_op_name(op));
					}
				}
			REQ_EQ(fr_kern_cmp_i64(v, valid, n, FR_OP_CONTAINS, 0, out, &e), FR_EINVAL);
		}
	}
	fr_arena_free(ar);
}
END_TEST

START_TEST(cmp_f64_random)
{
	fr_arena *ar = fr_arena_new(0);
	fr_err e = { 0 };
	const double special[] = { NAN, -0.0, 0.0, INFINITY, -INFINITY, 1.5, -2.25, 1e300 };
	for (int si = 0; si < NSIZES; si++) {
		int64_t n = sizes[si];
		for (int vp = 0; vp < 4; vp++) {
			double *v = fr_arena_alloc(ar, (size_t)(n + 1) * 8);
			for (int64_t i = 0; i < n; i++)
				v[i] = special[rnd_below(8)];
			uint64_t *valid = make_valid(ar, n, vp);
			uint64_t *out = fr_arena_calloc(ar, FR_BITMAP_WORDS(n) + 1, 8);
			uint8_t *want = fr_arena_calloc(ar, (size_t)n + 1, 1);
			const double consts[] = { 0.0, -0.0, 1.5, INFINITY, -1e308 };
			for (int ci = 0; ci < 5; ci++)
				for (int op = FR_OP_EQ; op <= FR_OP_GE; op++) {
					for (int64_t i = 0; i < n; i++) {
						int null = !valid_at(valid, i) || isnan(v[i]);
						want[i] = null ? op == FR_OP_NE : ref_cmp_f64(v[i], op, consts[ci]);
					}
					FOR_MODES(m) {
						memset(out, 0x5a, FR_BITMAP_WORDS(n) * 8);
						REQ_EQ(fr_kern_cmp_f64(v, valid, n, op, consts[ci], out, &e), 0);
						check_bits(out, want, n, fr_kern_op_name(op));
					}
				}
			REQ_EQ(fr_kern_cmp_f64(v, valid, n, FR_OP_EQ, NAN, out, &e), FR_EINVAL);
			/* not-null domain: validity and not NaN */
			fr_vec vec = { .kind = FR_VEC_F64, .len = n, .valid = valid, .v.f64 = v };
			for (int64_t i = 0; i < n; i++)
				want[i] = valid_at(valid, i) && !isnan(v[i]);
			FOR_MODES(m) {
				fr_kern_notnull(&vec, out);
				check_bits(out, want, n, "notnull f64");
			}
		}
	}
	fr_arena_free(ar);
}
END_TEST

START_TEST(cmp_bool_u32_i128)
{
	fr_arena *ar = fr_arena_new(0);
	fr_err e = { 0 };
	for (int si = 0; si < NSIZES; si++) {
		int64_t n = sizes[si];
		for (int vp = 0; vp < 4; vp++) {
			uint8_t *v = fr_arena_alloc(ar, (size_t)n + 1);
			for (int64_t i = 0; i < n; i++)
				v[i] = (uint8_t)rnd_below(3); /* 2: any nonzero byte is true */
			uint64_t *valid = make_valid(ar, n, vp);
			uint64_t *out = fr_arena_calloc(ar, FR_BITMAP_WORDS(n) + 1, 8);
			uint8_t *want = fr_arena_calloc(ar, (size_t)n + 1, 1);
			for (int c = 0; c < 2; c++)
				for (int op = FR_OP_EQ; op <= FR_OP_NE; op++) {
					for (int64_t i = 0; i < n; i++)
						want[i] = valid_at(valid, i) ? ((v[i] != 0) == c) == (op == FR_OP_EQ)
						                             : op == FR_OP_NE;
					FOR_MODES(m) {
						REQ_EQ(fr_kern_cmp_bool(v, valid, n, op, c, out, &e), 0);
						check_bits(out, want, n, "bool");
					}
				}
			REQ_EQ(fr_kern_cmp_bool(v, valid, n, FR_OP_LT, 1, out, &e), FR_EINVAL);
		}
		uint32_t *u = fr_arena_alloc(ar, (size_t)(n + 1) * 4);
		fr_i128 *s = fr_arena_alloc(ar, (size_t)(n + 1) * 16);
		for (int64_t i = 0; i < n; i++) {
			u[i] = rnd() % 3 == 0 ? UINT32_MAX - (uint32_t)rnd_below(2) : (uint32_t)rnd_below(4);
			s[i] = (fr_i128)(int64_t)rnd() * (fr_i128)(int64_t)rnd_below(3);
		}
		uint64_t *out = fr_arena_calloc(ar, FR_BITMAP_WORDS(n) + 1, 8);
		uint8_t *want = fr_arena_calloc(ar, (size_t)n + 1, 1);
		const uint32_t uc[] = { 0, 2, UINT32_MAX, 0x80000000u };
		for (int ci = 0; ci < 4; ci++)
			for (int op = FR_OP_EQ; op <= FR_OP_GE; op++) {
				for (int64_t i = 0; i < n; i++)
					want[i] = ref_cmp_i64(u[i], op, uc[ci]);
				FOR_MODES(m) {
					REQ_EQ(fr_kern_cmp_u32(u, n, op, uc[ci], out, &e), 0);
					check_bits(out, want, n, "u32");
				}
				fr_i128 c = (fr_i128)uc[ci] << 64;
				for (int64_t i = 0; i < n; i++) {
					fr_i128 x = s[i];
					want[i] = op == FR_OP_EQ ? x == c : op == FR_OP_NE ? x != c : op == FR_OP_LT ? x < c
					          : op == FR_OP_LE ? x <= c : op == FR_OP_GT ? x > c : x >= c;
				}
				REQ_EQ(fr_kern_cmp_i128(s, n, op, c, out, &e), 0);
				check_bits(out, want, n, "i128");
			}
	}
	fr_arena_free(ar);
}
END_TEST

/* ---- dictionaries --------------------------------------------------------------------- */

typedef struct {
	fr_strtab t;
	int64_t off[400];
	uint8_t data[4000];
} dict_buf;

static void dict_build(dict_buf *d, const char *const *s, uint32_t n)
{
	d->off[0] = 0;
	for (uint32_t i = 0; i < n; i++) {
		size_t l = strlen(s[i]);
		memcpy(d->data + d->off[i], s[i], l);
		d->off[i + 1] = d->off[i] + (int64_t)l;
	}
	d->t.n = n;
	d->t.off = d->off;
	d->t.data = d->data;
}

START_TEST(dict_predicates)
{
	fr_arena *ar = fr_arena_new(0);
	fr_err e = { 0 };
	/* "bc" straddles "ab"|"cd" in the concatenation and must not match either */
	static const char *const small[] = { "view", "", "ab", "cd", "Red Shoes", "shoes", "hat",
		                                 "aaa", "aa", "a" };
	dict_buf *d = calloc(1, sizeof *d);
	dict_build(d, small, 10);
	uint64_t match[2];
	REQ_EQ(fr_kern_dict_match(&d->t, FR_OP_CONTAINS, "bc", 2, match, &e), 0);
	REQ_EQ(match[0], 0);
	REQ_EQ(fr_kern_dict_match(&d->t, FR_OP_CONTAINS, "hoes", 4, match, &e), 0);
	REQ_EQ(match[0], (1u << 4) | (1u << 5));
	REQ_EQ(fr_kern_dict_match(&d->t, FR_OP_CONTAINS, "aa", 2, match, &e), 0);
	REQ_EQ(match[0], (1u << 7) | (1u << 8));
	REQ_EQ(fr_kern_dict_match(&d->t, FR_OP_CONTAINS, "", 0, match, &e), 0);
	REQ_EQ(match[0], 0x3ff);
	REQ_EQ(fr_kern_dict_match(&d->t, FR_OP_NOT_CONTAINS, "a", 1, match, &e), 0);
	REQ_EQ(match[0], 0x3ff & ~((1u << 2) | (1u << 6) | (1u << 7) | (1u << 8) | (1u << 9)));
	REQ_EQ(fr_kern_dict_match(&d->t, FR_OP_EQ, "", 0, match, &e), 0);
	REQ_EQ(match[0], 1u << 1);
	REQ_EQ(fr_kern_dict_match(&d->t, FR_OP_NE, "view", 4, match, &e), 0);
	REQ_EQ(match[0], 0x3fe);
	REQ_EQ(fr_kern_dict_match(&d->t, FR_OP_EQ, "shoe", 4, match, &e), 0);
	REQ_EQ(match[0], 0);
	REQ_EQ(fr_kern_dict_match(&d->t, FR_OP_LT, "a", 1, match, &e), FR_EINVAL);

	/* random dictionaries (small: register lookup path; large: gather path), random codes
	 * including out-of-range ones, every validity pattern, compared with strstr/strcmp */
	const uint32_t dsizes[] = { 1, 5, 64, 65, 300 };
	const char *needles[] = { "", "a", "ab", "ba", "abc", "zzz" };
	char strs[400][8];
	const char *ptrs[400];
	for (int di = 0; di < 5; di++) {
		uint32_t nd = dsizes[di];
		for (uint32_t i = 0; i < nd; i++) {
			int l = (int)rnd_below(6);
			for (int k = 0; k < l; k++)
				strs[i][k] = (char)('a' + rnd_below(3));
			strs[i][l] = 0;
			ptrs[i] = strs[i];
		}
		dict_build(d, ptrs, nd); /* duplicates are harmless for these checks except == */
		for (int si = 0; si < NSIZES; si++) {
			int64_t n = sizes[si];
			uint32_t *codes = fr_arena_alloc(ar, (size_t)(n + 1) * 4);
			for (int64_t i = 0; i < n; i++)
				codes[i] = rnd() % 50 == 0 ? nd + (uint32_t)rnd_below(100) : (uint32_t)rnd_below(nd);
			codes[n] = 0;
			uint64_t *out = fr_arena_calloc(ar, FR_BITMAP_WORDS(n) + 1, 8);
			uint8_t *want = fr_arena_calloc(ar, (size_t)n + 1, 1);
			uint64_t *m = fr_arena_calloc(ar, FR_BITMAP_WORDS(nd) + 1, 8);
			for (int vp = 0; vp < 4; vp++) {
				uint64_t *valid = make_valid(ar, n, vp);
				for (int ni = 0; ni < 6; ni++)
					for (int op = FR_OP_CONTAINS; op <= FR_OP_NOT_CONTAINS; op++) {
						REQ_EQ(fr_kern_dict_match(&d->t, op, needles[ni],
						                                    strlen(needles[ni]), m, &e), 0);
						for (uint32_t k = 0; k < nd; k++)
							REQ_EQ(fr_bit_get(m, k),
							                 (strstr(strs[k], needles[ni]) != NULL) ==
							                     (op == FR_OP_CONTAINS));
						int nm = op == FR_OP_NOT_CONTAINS;
						for (int64_t i = 0; i < n; i++)
							want[i] = !valid_at(valid, i) ? nm
							          : codes[i] >= nd    ? 0
							                              : fr_bit_get(m, codes[i]);
						FOR_MODES(mm) {
							fr_kern_dict_gather(codes, valid, n, m, nd, nm, out);
							check_bits(out, want, n, "dict gather");
						}
					}
			}
		}
	}
	/* the vector-level entry point with the null rule */
	dict_build(d, small, 10);
	uint32_t codes[5] = { 0, 4, 5, 1, 0 };
	uint64_t valid = 0x1d; /* row 1 null */
	fr_vec v = { .kind = FR_VEC_DICT, .len = 5, .null_count = 1, .valid = &valid,
		         .v.codes = codes, .dict = d->t };
	uint64_t out;
	REQ_EQ(fr_kern_cmp_dict(&v, FR_OP_NOT_CONTAINS, "Shoe", 4, &out, &e), 0);
	REQ_EQ(out, 0x1f); /* null matches, "shoes" lacks capital S */
	REQ_EQ(fr_kern_cmp_dict(&v, FR_OP_CONTAINS, "Shoe", 4, &out, &e), 0);
	REQ_EQ(out, 0);
	fr_kern_const kc = { .str = "view", .str_len = 4 };
	REQ_EQ(fr_kern_cmp_vec(&v, FR_OP_EQ, &kc, &out, &e), 0);
	REQ_EQ(out, 0x11);
	REQ_EQ(fr_kern_cmp_vec(&v, FR_OP_NE, &kc, &out, &e), 0);
	REQ_EQ(out, 0x0e);
	REQ_EQ(fr_kern_cmp_vec(&v, FR_OP_GT, &kc, &out, &e), FR_EINVAL);
	free(d);
	fr_arena_free(ar);
}
END_TEST

/* ---- index ---------------------------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

/* Verifies an index against its definition: equal keys <-> equal ids, first-appearance order
 * (on the radix path: every id in [0, n) used; on the dense path: ids in key order too),
 * representative keys, NOGROUP and domain outside sel & non-null. */
static void check_index(const fr_vec *k, const uint64_t *sel, const fr_kern_index *ix)
{
	int64_t n = k->len;
	uint32_t next = 0;
	if (ix->dense) {
		REQ_EQ(k->kind, FR_VEC_I64);
		for (uint32_t a = 1; a < ix->n; a++)
			REQ(ix->key_i64[a - 1] < ix->key_i64[a]);
	}
	if (ix->radix || ix->dense) {
		REQ_EQ(k->kind, FR_VEC_I64);
		uint8_t *used = calloc((size_t)ix->n + 1, 1);
		int64_t *ks = malloc(((size_t)ix->n + 1) * sizeof *ks);
		REQ(used && ks);
		for (int64_t i = 0; i < n; i++) {
			int in = valid_at(sel, i) && valid_at(k->valid, i);
			REQ_EQ(fr_bit_get(ix->domain, i), in);
			if (!in) {
				REQ_EQ(ix->ids[i], FR_KERN_NOGROUP);
				continue;
			}
			REQ_LT(ix->ids[i], ix->n);
			REQ(ix->key_i64[ix->ids[i]] == k->v.i64[i]);
			used[ix->ids[i]] = 1;
		}
		/* every id used, and all representative keys distinct (so equal keys <-> equal ids) */
		for (uint32_t a = 0; a < ix->n; a++)
			REQ(used[a]);
		memcpy(ks, ix->key_i64, (size_t)ix->n * sizeof *ks);
		qsort(ks, ix->n, sizeof *ks, cmp_i64);
		for (uint32_t a = 1; a < ix->n; a++)
			REQ(ks[a - 1] != ks[a]);
		free(used);
		free(ks);
		return;
	}
	for (int64_t i = 0; i < n; i++) {
		int in = valid_at(sel, i) && valid_at(k->valid, i) &&
		         !(k->kind == FR_VEC_F64 && isnan(k->v.f64[i]));
		REQ_EQ(fr_bit_get(ix->domain, i), in);
		if (!in) {
			REQ_EQ(ix->ids[i], FR_KERN_NOGROUP);
			continue;
		}
		uint32_t id = ix->ids[i];
		REQ_LE(id, next);
		REQ_LT(id, ix->n);
		if (id == next)
			next++;
		switch (k->kind) {
		case FR_VEC_I64: REQ(ix->key_i64[id] == k->v.i64[i]); break;
		case FR_VEC_F64: REQ(ix->key_f64[id] == k->v.f64[i]); break;
		case FR_VEC_BOOL: REQ(ix->key_i64[id] == (k->v.b[i] != 0)); break;
		default: REQ_EQ(ix->key_code[id], k->v.codes[i]); break;
		}
	}
	REQ_EQ(next, ix->n);
	/* distinct ids have distinct keys */
	for (uint32_t a = 0; a < ix->n && a < 300; a++)
		for (uint32_t b = a + 1; b < ix->n && b < 300; b++) {
			if (k->kind == FR_VEC_I64 || k->kind == FR_VEC_BOOL)
				REQ(ix->key_i64[a] != ix->key_i64[b]);
			else if (k->kind == FR_VEC_F64)
				REQ(!(ix->key_f64[a] == ix->key_f64[b]));
			else
				REQ(ix->key_code[a] != ix->key_code[b]);
		}
}

/* The same index built for counting only: the same n and domain, the same path; no ids on the
 * dense and radix paths (they stop at the count), the full index's ids on the others. */
static void check_count_only(const fr_vec *k, const uint64_t *sel, const fr_kern_hint *hint,
                             const fr_kern_index *full, fr_arena *ar)
{
	fr_err e = { 0 };
	fr_kern_index ix;
	REQ_EQ(fr_kern_index_build_ex(k, sel, FR_KERN_IX_COUNT_ONLY, hint, ar, &ix, &e), 0);
	REQ_EQ(ix.n, full->n);
	REQ_EQ(ix.dense, full->dense);
	REQ_EQ(ix.sorted, full->sorted);
	REQ_EQ(ix.radix, full->radix);
	REQ(!(ix.dense || ix.radix) || (!ix.key_i64 && !ix.key_f64));
	REQ(k->len == 0 ||
	    memcmp(ix.domain, full->domain, FR_BITMAP_WORDS(k->len) * sizeof *ix.domain) == 0);
	if (ix.dense || ix.radix)
		REQ(ix.ids == NULL);
	else
		REQ(k->len == 0 || memcmp(ix.ids, full->ids, (size_t)k->len * sizeof *ix.ids) == 0);
}

/* The same index built without keys, keys filled in afterwards: identical ids and n, and keys
 * that pass check_index. */
static void check_no_keys(const fr_vec *k, const uint64_t *sel, const fr_kern_index *full,
                          fr_arena *ar)
{
	fr_err e = { 0 };
	fr_kern_index ix;
	REQ_EQ(fr_kern_index_build_ex(k, sel, FR_KERN_IX_NO_KEYS, NULL, ar, &ix, &e), 0);
	if (ix.dense || ix.radix) /* paths that skip them (others may keep keys they get free) */
		REQ(!ix.key_i64 && !ix.key_f64 && !ix.key_code);
	REQ_EQ(ix.n, full->n);
	REQ(k->len == 0 || memcmp(ix.ids, full->ids, (size_t)k->len * sizeof *ix.ids) == 0);
	REQ_EQ(fr_kern_index_keys(k, &ix, ar, &e), 0);
	check_index(k, sel, &ix);
	check_count_only(k, sel, NULL, full, ar);
}

START_TEST(index_random)
{
	fr_arena *ar = fr_arena_new(0);
	fr_err e = { 0 };
	const int64_t big[] = { 10000, 70000 }; /* grows the hash table several times */
	for (int si = 0; si < NSIZES + 2; si++) {
		int64_t n = si < NSIZES ? sizes[si] : big[si - NSIZES];
		for (int vp = 0; vp < 4; vp++)
			for (int shape = 0; shape < 4; shape++) {
				/* shape 0: few distinct; 1: many distinct; 2: sorted; 3: extremes */
				int64_t *iv = fr_arena_alloc(ar, (size_t)(n + 1) * 8);
				double *dv = fr_arena_alloc(ar, (size_t)(n + 1) * 8);
				for (int64_t i = 0; i < n; i++) {
					int64_t x = shape == 0 ? (int64_t)rnd_below(5)
					          : shape == 1 ? (int64_t)rnd_below((uint64_t)n)
					          : shape == 2 ? i / 3
					          : (rnd() & 1 ? INT64_MIN + (int64_t)rnd_below(3)
					                       : (int64_t)((rnd() % 3) << 62));
					iv[i] = x;
					dv[i] = shape == 3 ? (rnd() & 1 ? -0.0 : rnd() & 1 ? 0.0 : NAN) : (double)x / 4;
				}
				uint64_t *valid = make_valid(ar, n, vp);
				uint64_t *sel = (shape & 1) ? rand_bm(ar, n, 80) : NULL;
				fr_vec ki = { .kind = FR_VEC_I64, .len = n, .valid = valid, .v.i64 = iv };
				fr_vec kd = { .kind = FR_VEC_F64, .len = n, .valid = valid, .v.f64 = dv };
				fr_kern_index ix;
				REQ_EQ(fr_kern_index_build(&ki, sel, ar, &ix, &e), 0);
				check_index(&ki, sel, &ix);
				check_no_keys(&ki, sel, &ix, ar);
				if (shape == 2 && n > 1)
					REQ_EQ(ix.sorted, 1);
				REQ_EQ(fr_kern_index_build(&kd, sel, ar, &ix, &e), 0);
				check_index(&kd, sel, &ix);
				check_no_keys(&kd, sel, &ix, ar);
				if (shape == 3 && vp == 0 && n > 8)
					REQ_EQ(ix.n, 1); /* -0.0 and 0.0 are one key, NaN none */
			}
	}
	/* dictionary and bool keys */
	for (int si = 0; si < NSIZES; si++) {
		int64_t n = sizes[si];
		uint32_t *codes = fr_arena_alloc(ar, (size_t)(n + 1) * 4);
		uint8_t *b = fr_arena_alloc(ar, (size_t)n + 1);
		for (int64_t i = 0; i < n; i++) {
			codes[i] = (uint32_t)rnd_below(70);
			b[i] = (uint8_t)rnd_below(3);
		}
		for (int vp = 0; vp < 4; vp++) {
			uint64_t *valid = make_valid(ar, n, vp);
			fr_vec kc = { .kind = FR_VEC_DICT, .len = n, .valid = valid, .v.codes = codes };
			kc.dict.n = 70;
			fr_vec kb = { .kind = FR_VEC_BOOL, .len = n, .valid = valid, .v.b = b };
			fr_kern_index ix;
			REQ_EQ(fr_kern_index_build(&kc, NULL, ar, &ix, &e), 0);
			check_index(&kc, NULL, &ix);
			check_no_keys(&kc, NULL, &ix, ar);
			REQ_EQ(fr_kern_index_build(&kb, NULL, ar, &ix, &e), 0);
			check_index(&kb, NULL, &ix);
			check_no_keys(&kb, NULL, &ix, ar);
		}
	}
	/* corrupt codes get no id */
	uint32_t bad[3] = { 0, 7, 1 };
	fr_vec kc = { .kind = FR_VEC_DICT, .len = 3, .v.codes = bad };
	kc.dict.n = 2;
	fr_kern_index ix;
	REQ_EQ(fr_kern_index_build(&kc, NULL, ar, &ix, &e), 0);
	REQ_EQ(ix.n, 2);
	REQ_EQ(ix.ids[1], FR_KERN_NOGROUP);
	REQ_EQ(ix.domain[0], 5);
	fr_vec bin = { .kind = FR_VEC_BIN, .len = 3 };
	REQ_EQ(fr_kern_index_build(&bin, NULL, ar, &ix, &e), FR_EINVAL);
	fr_arena_free(ar);
}
END_TEST

/* Radix path (I64 keys, 32768+ distinct): selections, nulls, a partial last word, a bucket
 * holding most rows (one hot key), and a narrow column indexed after a wide one on the same
 * thread (the big size hint must not send it down the radix path). */
START_TEST(index_radix_path)
{
	fr_arena *ar = fr_arena_new(0);
	fr_err e = { 0 };
	const int64_t n = 200000 + 37;
	int64_t *iv = fr_arena_alloc(ar, (size_t)n * 8);
	for (int shape = 0; shape < 4; shape++) {
		for (int64_t i = 0; i < n; i++)
			/* keys spread wide (x 1000003), or the dense-range path would take them */
			iv[i] = shape == 0 ? (int64_t)rnd_below((uint64_t)n / 2) * 1000003
			      : shape == 1 ? (int64_t)rnd() /* nearly all distinct, both signs */
			      : shape == 2 ? (rnd() & 1 ? 42 : (int64_t)rnd_below((uint64_t)n) * 1000003)
			      : (int64_t)rnd_below(100) * 1000003;
		for (int vp = 0; vp < 4; vp++) {
			uint64_t *valid = make_valid(ar, n, vp);
			for (int s = 0; s < 2; s++) {
				uint64_t *sel = s ? rand_bm(ar, n, 80) : NULL;
				fr_vec k = { .kind = FR_VEC_I64, .len = n, .valid = valid, .v.i64 = iv };
				fr_kern_index ix;
				REQ_EQ(fr_kern_index_build(&k, sel, ar, &ix, &e), 0);
				REQ_EQ(ix.radix, shape != 3 && vp != 1); /* vp 1: all null */
				check_index(&k, sel, &ix);
				check_no_keys(&k, sel, &ix, ar);
			}
		}
	}
	fr_arena_free(ar);
}
END_TEST

/* Dense-range path (I64 keys spanning less than 65536 or 16x the selected rows): ranges at
 * the int64 extremes, one key, spans at the limit and just past it, nulls and selections, a
 * partial last word; ids must be in key order. */
START_TEST(index_dense_path)
{
	fr_arena *ar = fr_arena_new(0);
	fr_err e = { 0 };
	const int64_t sizes2[] = { 1, 63, 64, 65, 1000, 100000 + 37 };
	for (size_t si = 0; si < sizeof sizes2 / sizeof *sizes2; si++) {
		int64_t n = sizes2[si];
		int64_t *iv = fr_arena_alloc(ar, (size_t)n * 8);
		for (int shape = 0; shape < 6; shape++) {
			for (int64_t i = 0; i < n; i++)
				iv[i] = shape == 0 ? 7
				      : shape == 1 ? INT64_MIN + (int64_t)rnd_below(3000)
				      : shape == 2 ? INT64_MAX - (int64_t)rnd_below(3000)
				      : shape == 3 ? (int64_t)rnd_below((uint64_t)n * 16) - 5 * n
				      : shape == 4 ? (int64_t)rnd_below(65536) - 32768
				      : (int64_t)rnd_below((uint64_t)n) * 3;
			for (int vp = 0; vp < 4; vp++) {
				uint64_t *valid = make_valid(ar, n, vp);
				for (int sl = 0; sl < 2; sl++) {
					uint64_t *sel = sl ? rand_bm(ar, n, 70) : NULL;
					fr_vec k = { .kind = FR_VEC_I64, .len = n, .valid = valid, .v.i64 = iv };
					FOR_MODES(m) {
						fr_kern_index ix;
						REQ_EQ(fr_kern_index_build(&k, sel, ar, &ix, &e), 0);
						check_index(&k, sel, &ix);
						check_no_keys(&k, sel, &ix, ar);
						if (vp != 1 && !ix.sorted && n >= 64 && shape != 3)
							REQ_EQ(ix.dense, 1);
					}
				}
			}
		}
	}
	/* a range hint (from file statistics): right, too wide, lying (keys outside it), empty;
	 * the index must be right whatever the hint says */
	{
		const int64_t n = 5000;
		int64_t *kv = fr_arena_alloc(ar, (size_t)n * 8);
		for (int64_t i = 0; i < n; i++)
			kv[i] = 1000 + (int64_t)rnd_below(20000);
		kv[7] = 1000;
		kv[9] = 20999;
		fr_vec k = { .kind = FR_VEC_I64, .len = n, .v.i64 = kv };
		const fr_kern_hint hints[] = { { 1, 1000, 20999 }, { 1, 0, 100000 }, { 1, 5000, 6000 },
		                               { 1, 20999, 1000 }, { 1, INT64_MIN, INT64_MAX }, { 0, 0, 0 } };
		for (size_t h = 0; h < sizeof hints / sizeof *hints; h++) {
			fr_kern_index ix;
			REQ_EQ(fr_kern_index_build_ex(&k, NULL, 0, &hints[h], ar, &ix, &e), 0);
			check_index(&k, NULL, &ix);
			REQ_EQ(ix.dense, 1);
			check_count_only(&k, NULL, &hints[h], &ix, ar);
		}
	}
	/* the span limit: 16x the rows is dense, much wider is not */
	const int64_t n = 100000;
	int64_t *iv = fr_arena_alloc(ar, (size_t)n * 8);
	for (int wide = 0; wide < 2; wide++) {
		for (int64_t i = 0; i < n; i++)
			iv[i] = (int64_t)rnd_below((uint64_t)n * (wide ? 64 : 15));
		iv[0] = 0;
		fr_vec k = { .kind = FR_VEC_I64, .len = n, .v.i64 = iv };
		fr_kern_index ix;
		REQ_EQ(fr_kern_index_build(&k, NULL, ar, &ix, &e), 0);
		check_index(&k, NULL, &ix);
		REQ_EQ(ix.dense, !wide);
	}
	fr_arena_free(ar);
}
END_TEST

/* Hash path with whole 64-row words outside the selection, then again after the per-thread
 * scratch was released, and concurrently from two threads (each has its own scratch). */
typedef struct index_job {
	const fr_vec *k;
	const uint64_t *sel;
	fr_arena *ar;
	fr_kern_index ix;
	int rc;
} index_job;

static void *index_thread(void *arg)
{
	index_job *j = arg;
	fr_err e = { 0 };
	for (int r = 0; r < 3 && !j->rc; r++)
		j->rc = fr_kern_index_build(j->k, j->sel, j->ar, &j->ix, &e);
	return NULL;
}

START_TEST(index_gaps_release_threads)
{
	fr_arena *ar = fr_arena_new(0);
	fr_err e = { 0 };
	const int64_t n = 64 * 40 + 17;
	int64_t *iv = fr_arena_alloc(ar, (size_t)n * 8);
	for (int64_t i = 0; i < n; i++) /* spread past the dense-range path */
		iv[i] = ((int64_t)rnd_below(300) - 150) * 1000003;
	uint64_t *sel = rand_bm(ar, n, 90);
	sel[1] = sel[7] = sel[8] = 0; /* empty words between selected ones */
	fr_vec k = { .kind = FR_VEC_I64, .len = n, .v.i64 = iv };
	fr_kern_index ix;
	FOR_MODES(m) {
		REQ_EQ(fr_kern_index_build(&k, sel, ar, &ix, &e), 0);
		REQ_EQ(ix.sorted, 0);
		check_index(&k, sel, &ix);
		fr_kern_scratch_release();
		REQ_EQ(fr_kern_index_build(&k, sel, ar, &ix, &e), 0);
		check_index(&k, sel, &ix);
	}
	fr_kern_scratch_release();
	fr_kern_scratch_release(); /* twice is harmless */
	/* retained tables are stamped with an epoch per build and per growth: cross its wrap-around
	 * with tables left over from earlier builds */
	int64_t *wide = fr_arena_alloc(ar, (size_t)n * 8);
	for (int64_t i = 0; i < n; i++)
		wide[i] = (int64_t)rnd(); /* > 2048 distinct keys: the 4096-slot table grows */
	fr_vec kw = { .kind = FR_VEC_I64, .len = n, .v.i64 = wide };
	for (uint32_t start = UINT32_MAX - 3; start != 2; start++) { /* wrap in init and in growth */
		fr_kern__index_set_epoch(start, 0);
		for (int r = 0; r < 4; r++) {
			const fr_vec *kk = r & 2 ? &k : &kw;
			REQ_EQ(fr_kern_index_build(kk, r & 1 ? sel : NULL, ar, &ix, &e), 0);
			check_index(kk, r & 1 ? sel : NULL, &ix);
		}
	}
	index_job jobs[2] = { { .k = &k, .sel = sel, .ar = fr_arena_new(0) },
		                  { .k = &k, .sel = NULL, .ar = fr_arena_new(0) } };
	pthread_t th[2];
	for (int i = 0; i < 2; i++)
		REQ_EQ(pthread_create(&th[i], NULL, index_thread, &jobs[i]), 0);
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		REQ_EQ(jobs[i].rc, 0);
		check_index(&k, jobs[i].sel, &jobs[i].ix);
		fr_arena_free(jobs[i].ar);
	}
	fr_arena_free(ar);
}
END_TEST

/* ---- per-group kernels ---------------------------------------------------------------- */

/* The four per-group aggregation kernels over the same ids and rows, results side by side. */
static void run_group_kernels(const uint32_t *ids, int64_t n, uint32_t ng, const uint64_t *rows,
                              const fr_vec *ci, const fr_vec *cd, uint32_t *cnt, uint64_t *any,
                              fr_i128 *sums, double *dsum)
{
	fr_err e = { 0 };
	fr_kern_group_count(ids, n, ng, rows, cnt);
	fr_kern_group_any(ids, n, ng, rows, any);
	fr_kern_group_sum_i64(ids, n, ng, rows, ci, sums);
	REQ_EQ(fr_kern_group_sum_f64(ids, n, ng, rows, cd, dsum, &e), 0);
}

START_TEST(group_kernels_random)
{
	fr_arena *ar = fr_arena_new(0);
	fr_err e = { 0 };
	for (int si = 0; si < NSIZES; si++) {
		int64_t n = sizes[si];
		for (int vp = 0; vp < 4; vp++) {
			uint32_t ng = 1 + (uint32_t)rnd_below(40);
			uint32_t *ids = fr_arena_alloc(ar, (size_t)(n + 1) * 4);
			int64_t *iv = fr_arena_alloc(ar, (size_t)(n + 1) * 8);
			double *dv = fr_arena_alloc(ar, (size_t)(n + 1) * 8);
			int64_t *ts = fr_arena_alloc(ar, (size_t)(n + 1) * 8);
			double *tsd = fr_arena_alloc(ar, (size_t)(n + 1) * 8);
			for (int64_t i = 0; i < n; i++) {
				ids[i] = rnd() % 10 == 0 ? FR_KERN_NOGROUP : (uint32_t)rnd_below(ng + 1);
				/* odd validity patterns overflow int64 sums, even ones do not */
				iv[i] = !(vp & 1) ? (int64_t)rnd_below(2000) - 1000
				        : rnd() % 3 ? INT64_MAX - (int64_t)rnd_below(5) : INT64_MIN + 1;
				dv[i] = rnd() % 7 == 0 ? NAN : (double)(int64_t)rnd_below(1000) / 8;
				ts[i] = (int64_t)rnd_below(8); /* many ties */
				tsd[i] = rnd() % 9 == 0 ? NAN : (double)ts[i];
			}
			uint64_t *valid = make_valid(ar, n, vp);
			for (int64_t i = 0; i < n; i++)
				if (!valid_at(valid, i))
					iv[i] = dv[i] = 0;
			uint64_t *rows = vp == 0 ? NULL : rand_bm(ar, n, 70);
			fr_vec ci = { .kind = FR_VEC_I64, .len = n, .valid = valid, .v.i64 = iv };
			fr_vec cd = { .kind = FR_VEC_F64, .len = n, .valid = valid, .v.f64 = dv };
			fr_vec cts = { .kind = FR_VEC_I64, .len = n, .v.i64 = ts };
			fr_vec ctsd = { .kind = FR_VEC_F64, .len = n, .v.f64 = tsd };

			/* reference */
			uint32_t rc[64] = { 0 };
			fr_i128 rs[64] = { 0 };
			long double rd[64] = { 0 };
			int rany[64] = { 0 };
			for (int64_t i = 0; i < n; i++) {
				if (!valid_at(rows, i) || ids[i] >= ng)
					continue;
				rc[ids[i]]++;
				rany[ids[i]] = 1;
				if (valid_at(valid, i)) {
					rs[ids[i]] += iv[i];
					if (!isnan(dv[i]))
						rd[ids[i]] += dv[i];
				}
			}
			uint32_t cnt[64];
			uint64_t any[1], found[1], found2[1];
			fr_i128 sums[64];
			double dsum[64];
			int64_t mts[64], mts2[64];
			FOR_MODES(m) {
				run_group_kernels(ids, n, ng, rows, &ci, &cd, cnt, any, sums, dsum);
				for (uint32_t g = 0; g < ng; g++) {
					REQ_EQ(cnt[g], rc[g]);
					REQ_EQ(fr_bit_get(any, g), rany[g]);
					REQ(sums[g] == rs[g]); /* exact past int64 */
					REQ(dsum[g] == (double)rd[g]); /* multiples of 1/8: exact */
				}
				/* two sequence steps, also in place, against a naive double loop */
				REQ_EQ(fr_kern_seq_step(ids, n, ng, rows, &cts, NULL, NULL, mts, found, &e),
				                 0);
				memcpy(mts2, mts, sizeof mts);
				found2[0] = found[0];
				REQ_EQ(fr_kern_seq_step(ids, n, ng, NULL, &cts, mts2, found2, mts2, found2,
				                                  &e), 0);
				for (uint32_t g = 0; g < ng; g++) {
					int64_t best = INT64_MAX, best2 = INT64_MAX;
					for (int64_t i = 0; i < n; i++)
						if (ids[i] == g && valid_at(rows, i) && ts[i] < best)
							best = ts[i];
					REQ_EQ(fr_bit_get(found, g), best != INT64_MAX);
					if (best != INT64_MAX)
						REQ_EQ(mts[g], best);
					for (int64_t i = 0; i < n; i++)
						if (ids[i] == g && best != INT64_MAX && ts[i] > best && ts[i] < best2)
							best2 = ts[i];
					REQ_EQ(fr_bit_get(found2, g), best2 != INT64_MAX);
					if (best2 != INT64_MAX)
						REQ_EQ(mts2[g], best2);
				}
				/* float timestamps: NaN rows never match */
				double fts[64];
				REQ_EQ(fr_kern_seq_step(ids, n, ng, rows, &ctsd, NULL, NULL, fts, found, &e),
				                 0);
				for (uint32_t g = 0; g < ng; g++) {
					double best = INFINITY;
					for (int64_t i = 0; i < n; i++)
						if (ids[i] == g && valid_at(rows, i) && tsd[i] < best)
							best = tsd[i];
					REQ_EQ(fr_bit_get(found, g), best != INFINITY);
					if (best != INFINITY)
						REQ(fts[g] == best);
				}
				/* groups -> rows */
				uint64_t gsel[1] = { rnd() & ((ng < 64 ? (uint64_t)1 << ng : 0) - 1) };
				uint64_t *out = fr_arena_calloc(ar, FR_BITMAP_WORDS(n) + 1, 8);
				uint8_t *want = fr_arena_calloc(ar, (size_t)n + 1, 1);
				fr_kern_groups_to_rows(ids, n, ng, gsel, out);
				for (int64_t i = 0; i < n; i++)
					want[i] = ids[i] < ng && fr_bit_get(gsel, ids[i]);
				check_bits(out, want, n, "groups_to_rows");
			}
		}
	}
	fr_arena_free(ar);
}
END_TEST

START_TEST(sums_hand_computed)
{
	fr_err e = { 0 };
	/* Neumaier keeps the 1 that naive summation loses; INT64_MAX * 3 is exact */
	uint32_t ids[6] = { 0, 0, 0, 1, 1, 1 };
	double dv[6] = { 1e100, 1.0, -1e100, INFINITY, 1.0, 2.0 };
	int64_t iv[6] = { 1, 2, 3, INT64_MAX, INT64_MAX, INT64_MAX };
	fr_vec cd = { .kind = FR_VEC_F64, .len = 6, .v.f64 = dv };
	fr_vec ci = { .kind = FR_VEC_I64, .len = 6, .v.i64 = iv };
	double ds[2];
	fr_i128 is[2];
	FOR_MODES(m) {
		REQ_EQ(fr_kern_group_sum_f64(ids, 6, 2, NULL, &cd, ds, &e), 0);
		REQ(ds[0] == 1.0);
		REQ(isinf(ds[1]) && ds[1] > 0);
		fr_kern_group_sum_i64(ids, 6, 2, NULL, &ci, is);
		REQ(is[0] == 6);
		REQ(is[1] == (fr_i128)INT64_MAX * 3);
	}
	/* 0.1 ten times: compensated sum is exactly 1.0 */
	uint32_t z[10] = { 0 };
	double tenth[10];
	for (int i = 0; i < 10; i++)
		tenth[i] = 0.1;
	fr_vec ct = { .kind = FR_VEC_F64, .len = 10, .v.f64 = tenth };
	REQ_EQ(fr_kern_group_sum_f64(z, 10, 1, NULL, &ct, ds, &e), 0);
	REQ(ds[0] == 1.0);
}
END_TEST

/* fr_kern_cmp_vec dispatches on the vector kind with the matching constant. */
START_TEST(cmp_vec_dispatch)
{
	fr_err e = { 0 };
	int64_t iv[4] = { 5, -1, 0, 7 };
	double dv[4] = { 0.5, NAN, 2.5, -1.0 };
	uint8_t bv[4] = { 1, 0, 1, 0 };
	uint64_t valid = 0xb; /* row 2 null */
	fr_vec vi = { .kind = FR_VEC_I64, .len = 4, .valid = &valid, .v.i64 = iv };
	fr_vec vd = { .kind = FR_VEC_F64, .len = 4, .v.f64 = dv };
	fr_vec vb = { .kind = FR_VEC_BOOL, .len = 4, .valid = &valid, .v.b = bv };
	fr_vec vx = { .kind = FR_VEC_BIN, .len = 4 };
	fr_kern_const c = { .i64 = 5, .f64 = 0.5 };
	uint64_t out;
	FOR_MODES(m) {
		REQ_EQ(fr_kern_cmp_vec(&vi, FR_OP_GE, &c, &out, &e), 0);
		REQ_EQ(out, 0x9);
		REQ_EQ(fr_kern_cmp_vec(&vi, FR_OP_NE, &c, &out, &e), 0);
		REQ_EQ(out, 0xe); /* the null row matches != */
		REQ_EQ(fr_kern_cmp_vec(&vd, FR_OP_LE, &c, &out, &e), 0);
		REQ_EQ(out, 0x9); /* NaN never matches <= */
		REQ_EQ(fr_kern_cmp_vec(&vd, FR_OP_NE, &c, &out, &e), 0);
		REQ_EQ(out, 0xe); /* NaN matches != like null */
		c.i64 = 1;
		REQ_EQ(fr_kern_cmp_vec(&vb, FR_OP_EQ, &c, &out, &e), 0);
		REQ_EQ(out, 0x1);
		REQ_EQ(fr_kern_cmp_vec(&vb, FR_OP_NE, &c, &out, &e), 0);
		REQ_EQ(out, 0xe);
		c.i64 = 5;
		REQ_EQ(fr_kern_cmp_vec(&vx, FR_OP_EQ, &c, &out, &e), FR_EINVAL);
		REQ_EQ(fr_kern_cmp_vec(&vb, FR_OP_LT, &c, &out, &e), FR_EINVAL);
	}
}
END_TEST

/* Past PREFETCH_MIN_GROUPS groups the kernels walk a bitmap in batches of listed rows with
 * the state of later rows prefetched, dense batches by row and sparse ones by list: a bitmap
 * whose density changes along the rows (full, dense, sparse, empty stretches, a partial last
 * word and batch) must give what a plain loop gives. */
START_TEST(group_kernels_many_groups)
{
	fr_arena *ar = fr_arena_new(0);
	fr_err e = { 0 };
	const int64_t n = 300001;
	const uint32_t ng = 40000;
	uint32_t *ids = fr_arena_alloc(ar, (size_t)n * 4);
	int64_t *iv = fr_arena_alloc(ar, (size_t)n * 8), *ts = fr_arena_alloc(ar, (size_t)n * 8);
	double *dv = fr_arena_alloc(ar, (size_t)n * 8);
	uint64_t *rows = fr_arena_calloc(ar, FR_BITMAP_WORDS(n), 8);
	uint64_t *valid = fr_arena_calloc(ar, FR_BITMAP_WORDS(n), 8);
	for (int64_t i = 0; i < n; i++) {
		ids[i] = rnd() % 50 == 0 ? FR_KERN_NOGROUP : (uint32_t)rnd_below(ng);
		ts[i] = (int64_t)rnd_below(1000);
		dv[i] = rnd() % 11 == 0 ? NAN : (double)(int64_t)rnd_below(1000) / 4;
		if (rnd() % 10)
			fr_bit_set(valid, i);
		iv[i] = fr_bit_get(valid, i) ? (int64_t)rnd_below(1000000) - 500000 : 0;
		if (!fr_bit_get(valid, i))
			dv[i] = 0;
		/* 40k-row stretches: full, 90%, 2%, empty, 30%, 60%, ... */
		static const int pct[] = { 100, 90, 2, 0, 30, 60, 10 };
		int d = pct[(i / 40000) % 7];
		if ((int)rnd_below(100) < d)
			fr_bit_set(rows, i);
	}
	fr_vec ci = { .kind = FR_VEC_I64, .len = n, .valid = valid, .v.i64 = iv };
	fr_vec ci_nn = { .kind = FR_VEC_I64, .len = n, .v.i64 = iv };
	fr_vec cd = { .kind = FR_VEC_F64, .len = n, .valid = valid, .v.f64 = dv };
	fr_vec cts = { .kind = FR_VEC_I64, .len = n, .v.i64 = ts };
	uint32_t *rc = fr_arena_calloc(ar, ng, 4), *cnt = fr_arena_calloc(ar, ng, 4);
	int64_t *rs = fr_arena_calloc(ar, ng, 8), *rmin = fr_arena_calloc(ar, ng, 8);
	int64_t *rnext = fr_arena_calloc(ar, ng, 8);
	double *rd = fr_arena_calloc(ar, ng, 8), *dsum = fr_arena_calloc(ar, ng, 8);
	fr_i128 *sums = fr_arena_calloc(ar, ng, sizeof(fr_i128));
	int64_t *mts = fr_arena_calloc(ar, ng, 8), *mts2 = fr_arena_calloc(ar, ng, 8);
	uint64_t *any = fr_arena_calloc(ar, FR_BITMAP_WORDS(ng), 8);
	uint64_t *found = fr_arena_calloc(ar, FR_BITMAP_WORDS(ng), 8);
	uint64_t *found2 = fr_arena_calloc(ar, FR_BITMAP_WORDS(ng), 8);
	for (uint32_t g = 0; g < ng; g++)
		rmin[g] = rnext[g] = INT64_MAX;
	for (int64_t i = 0; i < n; i++) {
		if (!fr_bit_get(rows, i) || ids[i] >= ng)
			continue;
		uint32_t g = ids[i];
		rc[g]++;
		rs[g] += iv[i];
		if (fr_bit_get(valid, i) && !isnan(dv[i]))
			rd[g] += dv[i]; /* multiples of 1/4 below 2^40: exact */
		if (ts[i] < rmin[g])
			rmin[g] = ts[i];
	}
	/* the next step after the first step's minima, over every row of the part (rnext) and
	 * over the bitmap only (rnext_b: sparse stretches go through the listed path) */
	int64_t *rnext_b = fr_arena_calloc(ar, ng, 8);
	for (uint32_t g = 0; g < ng; g++)
		rnext_b[g] = INT64_MAX;
	for (int64_t i = 0; i < n; i++) {
		uint32_t g = ids[i];
		if (g >= ng || rmin[g] == INT64_MAX || !(ts[i] > rmin[g]))
			continue;
		if (ts[i] < rnext[g])
			rnext[g] = ts[i];
		if (fr_bit_get(rows, i) && ts[i] < rnext_b[g])
			rnext_b[g] = ts[i];
	}
	FOR_MODES(m) {
		run_group_kernels(ids, n, ng, rows, &ci, &cd, cnt, any, sums, dsum);
		for (uint32_t g = 0; g < ng; g++) {
			REQ_EQ(cnt[g], rc[g]);
			REQ_EQ(fr_bit_get(any, g), rc[g] > 0);
			REQ(sums[g] == (fr_i128)rs[g]);
			REQ(dsum[g] == rd[g]);
		}
		fr_kern_group_sum_i64(ids, n, ng, rows, &ci_nn, sums);
		for (uint32_t g = 0; g < ng; g++)
			REQ(sums[g] == (fr_i128)rs[g]); /* null slots hold 0 */
		REQ_EQ(fr_kern_seq_step(ids, n, ng, rows, &cts, NULL, NULL, mts, found, &e), 0);
		for (uint32_t g = 0; g < ng; g++) {
			REQ_EQ(fr_bit_get(found, g), rmin[g] != INT64_MAX);
			if (rmin[g] != INT64_MAX)
				REQ_EQ(mts[g], rmin[g]);
		}
		REQ_EQ(fr_kern_seq_step(ids, n, ng, NULL, &cts, mts, found, mts2, found2, &e), 0);
		for (uint32_t g = 0; g < ng; g++) {
			REQ_EQ(fr_bit_get(found2, g), rnext[g] != INT64_MAX);
			if (rnext[g] != INT64_MAX)
				REQ_EQ(mts2[g], rnext[g]);
		}
		REQ_EQ(fr_kern_seq_step(ids, n, ng, rows, &cts, mts, found, mts2, found2, &e), 0);
		for (uint32_t g = 0; g < ng; g++) {
			REQ_EQ(fr_bit_get(found2, g), rnext_b[g] != INT64_MAX);
			if (rnext_b[g] != INT64_MAX)
				REQ_EQ(mts2[g], rnext_b[g]);
		}
	}
	fr_arena_free(ar);
}
END_TEST

/* query.md §4.5 / TC: ties never chain; the earliest previous match is used. */
START_TEST(sequence_hand_computed)
{
	fr_err e = { 0 };
	/* group 0: view@100, cart@100 (tie: no chain), view@90? no: rows below */
	uint32_t ids[8] = { 0, 0, 1, 1, 1, 2, 2, 2 };
	int64_t ts[8] = { 100, 100, 50, 70, 60, 10, 30, 20 };
	/* step 0 rows (view): 0, 2, 5;  step 1 rows (cart): 1, 3, 6, 7 */
	uint64_t view = (1u << 0) | (1u << 2) | (1u << 5);
	uint64_t cart = (1u << 1) | (1u << 3) | (1u << 6) | (1u << 7) | (1u << 4);
	fr_vec vts = { .kind = FR_VEC_I64, .len = 8, .v.i64 = ts };
	int64_t t[3];
	uint64_t f;
	FOR_MODES(m) {
		REQ_EQ(fr_kern_seq_step(ids, 8, 3, &view, &vts, NULL, NULL, t, &f, &e), 0);
		REQ_EQ(f, 7);
		REQ_EQ(t[0], 100);
		REQ_EQ(t[1], 50);
		REQ_EQ(t[2], 10);
		REQ_EQ(fr_kern_seq_step(ids, 8, 3, &cart, &vts, t, &f, t, &f, &e), 0);
		REQ_EQ(f, 6); /* group 0's cart at the same ts does not chain */
		REQ_EQ(t[1], 60);
		REQ_EQ(t[2], 20);
	}
	fr_vec bad = { .kind = FR_VEC_DICT, .len = 8 };
	REQ_EQ(fr_kern_seq_step(ids, 8, 3, NULL, &bad, NULL, NULL, t, &f, &e), FR_EINVAL);
	/* the largest timestamp of its type is still a timestamp (the first step's minima start
	 * there): group 0 holds only INT64_MAX / +inf, group 2 nothing */
	{
		uint32_t gi[4] = { 0, 1, 0, 1 };
		int64_t big[4] = { INT64_MAX, 5, INT64_MAX, INT64_MAX };
		double inf[4] = { INFINITY, 5, INFINITY, NAN };
		fr_vec vb = { .kind = FR_VEC_I64, .len = 4, .v.i64 = big };
		fr_vec vf = { .kind = FR_VEC_F64, .len = 4, .v.f64 = inf };
		int64_t tb[3];
		double tf[3];
		uint64_t fb = 0, ff = 0;
		FOR_MODES(m) {
			REQ_EQ(fr_kern_seq_step(gi, 4, 3, NULL, &vb, NULL, NULL, tb, &fb, &e), 0);
			REQ_EQ(fb, 3);
			REQ(tb[0] == INT64_MAX && tb[1] == 5);
			REQ_EQ(fr_kern_seq_step(gi, 4, 3, NULL, &vf, NULL, NULL, tf, &ff, &e), 0);
			REQ_EQ(ff, 3);
			REQ(isinf(tf[0]) && tf[1] == 5);
		}
	}
}
END_TEST

START_TEST(groups_per_value_both_paths)
{
	fr_err e = { 0 };
	fr_arena *ar = fr_arena_new(0);
	const int64_t n = 5000;
	uint32_t *v = fr_arena_alloc(ar, n * 4), *g = fr_arena_alloc(ar, n * 4);
	uint64_t *rows = rand_bm(ar, n, 60);
	/* small matrix path, then > 2^27 pairs forces the hash path */
	const uint32_t nvs[2] = { 7, 20000 }, ngs[2] = { 50, 5000 };
	for (int p = 0; p < 2; p++) {
		uint32_t nv = nvs[p], ngr = ngs[p];
		for (int64_t i = 0; i < n; i++) {
			v[i] = rnd() % 20 == 0 ? FR_KERN_NOGROUP : (uint32_t)rnd_below(p ? 30 : nv);
			g[i] = (uint32_t)rnd_below(p ? 40 : ngr);
			if (i && rnd() % 3 == 0) { /* runs of the same pair */
				v[i] = v[i - 1];
				g[i] = g[i - 1];
			}
		}
		uint32_t *out = fr_arena_alloc(ar, nv * 4);
		FOR_MODES(m) {
			REQ_EQ(fr_kern_groups_per_value(v, nv, g, ngr, n, rows, out, &e), 0);
			for (uint32_t val = 0; val < (p ? 30 : nv); val++) {
				uint8_t seen[10000] = { 0 };
				uint32_t want = 0;
				for (int64_t i = 0; i < n; i++)
					if (fr_bit_get(rows, i) && v[i] == val && !seen[g[i]]) {
						seen[g[i]] = 1;
						want++;
					}
				REQ_EQ(out[val], want);
			}
		}
	}
	/* pair firsts: the first row of each (value, group) pair; per-value counts of the firsts
	 * within a set of whole groups are that set's distinct groups per value */
	/* the bit matrix; buckets of groups (> 4096 groups) sorted by group (many values); a
	 * counting sort (few groups, many values); buckets of groups with a bit matrix each
	 * (fewer values, more rows) */
	const int64_t n3 = 12000;
	v = fr_arena_alloc(ar, n3 * 4);
	g = fr_arena_alloc(ar, n3 * 4);
	for (int p = 0; p < 4; p++) {
		uint32_t nv = p == 0 ? 7 : p == 1 ? 20000 : p == 2 ? 30000 : 2000;
		uint32_t ngr = p == 0 ? 50 : p == 1 ? 5000 : p == 2 ? 1000 : 10000;
		int64_t np = p == 3 ? n3 : n;
		for (int64_t i = 0; i < np; i++) {
			v[i] = rnd() % 20 == 0 ? FR_KERN_NOGROUP : (uint32_t)rnd_below(p == 1 || p == 2 ? 30 : nv);
			g[i] = rnd() % 25 == 0 ? FR_KERN_NOGROUP : (uint32_t)rnd_below(ngr);
			if (p == 3 && i && rnd() % 4 == 0) /* groups with several rows of a value */
				g[i] = g[i - 1];
		}
		uint64_t *f = fr_arena_alloc(ar, FR_BITMAP_WORDS(np) * 8);
		uint64_t *seen = fr_arena_alloc(ar, FR_BITMAP_WORDS((uint64_t)nv * ngr) * 8);
		FOR_MODES(m) {
			REQ_EQ(fr_kern_pair_firsts(v, nv, g, ngr, np, NULL, f, &e), 0);
			memset(seen, 0, FR_BITMAP_WORDS((uint64_t)nv * ngr) * 8);
			for (int64_t i = 0; i < np; i++) {
				int first = v[i] < nv && g[i] < ngr;
				if (first) {
					uint64_t b = (uint64_t)v[i] * ngr + g[i];
					first = !fr_bit_get(seen, (int64_t)b);
					fr_bit_set(seen, (int64_t)b);
				}
				REQ_EQ(fr_bit_get(f, i), first);
			}
			/* a set of whole groups: the groups whose id is odd */
			uint64_t *odd = fr_arena_alloc(ar, FR_BITMAP_WORDS(np) * 8);
			memset(odd, 0, FR_BITMAP_WORDS(np) * 8);
			for (int64_t i = 0; i < np; i++)
				if (g[i] < ngr && (g[i] & 1))
					fr_bit_set(odd, i);
			uint32_t *want = fr_arena_alloc(ar, nv * 4), *got = fr_arena_alloc(ar, nv * 4);
			REQ_EQ(fr_kern_groups_per_value(v, nv, g, ngr, np, odd, want, &e), 0);
			fr_kern_bm_and(odd, odd, f, np);
			fr_kern_group_count(v, np, nv, odd, got);
			REQ(memcmp(want, got, nv * 4) == 0);
		}
	}
	uint32_t few[8];
	REQ_EQ(fr_kern_groups_per_value(v, 8, g, 1u << 30, n, rows, few, &e), FR_EINVAL);
	fr_arena_free(ar);
}
END_TEST

int main(void)
{
	init_modes();
	Suite *s = suite_create("kernels");
	TCase *tc = tcase_create("kernels");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, simd_modes);
	tcase_add_test(tc, bitmap_ops);
	tcase_add_test(tc, cmp_i64_random);
	tcase_add_test(tc, cmp_f64_random);
	tcase_add_test(tc, cmp_bool_u32_i128);
	tcase_add_test(tc, dict_predicates);
	tcase_add_test(tc, index_random);
	tcase_add_test(tc, index_gaps_release_threads);
	tcase_add_test(tc, index_radix_path);
	tcase_add_test(tc, index_dense_path);
	tcase_add_test(tc, group_kernels_random);
	tcase_add_test(tc, group_kernels_many_groups);
	tcase_add_test(tc, sums_hand_computed);
	tcase_add_test(tc, cmp_vec_dispatch);
	tcase_add_test(tc, sequence_hand_computed);
	tcase_add_test(tc, groups_per_value_both_paths);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
