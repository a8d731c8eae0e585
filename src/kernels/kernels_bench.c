/* Timing of every kernel on a synthetic 2.5M-row part, in each SIMD mode (`make kernels-bench`,
 * then src/kernels/kernels-bench [rows] [groups]).  Prints best-of-N ns/row; not a test. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "kernels/kernels.h"

static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int64_t N;
static int REPS = 7;

#define BENCH(label, stmt) \
	do { \
		double best_ = 1e30; \
		for (int r_ = 0; r_ < REPS; r_++) { \
			double t0_ = now(); \
			stmt; \
			double t_ = now() - t0_; \
			if (t_ < best_) \
				best_ = t_; \
		} \
		printf("  %-44s %8.3f ns/row  %8.2f ms\n", label, best_ * 1e9 / (double)N, best_ * 1e3); \
	} while (0)

static void die(const fr_err *e)
{
	fprintf(stderr, "kernels-bench: %s\n", e->msg);
	exit(1);
}

int main(int argc, char **argv)
{
	N = argc > 1 ? atoll(argv[1]) : 2500000;
	uint32_t NG = argc > 2 ? (uint32_t)atol(argv[2]) : 500000;
	if (N <= 0 || NG == 0) {
		fprintf(stderr, "usage: kernels-bench [rows] [groups]\n");
		return 2;
	}
	fr_arena *ar = fr_arena_new(0);
	size_t nw = FR_BITMAP_WORDS(N);
	int64_t *uid = fr_arena_alloc(ar, (size_t)N * 8), *uid_sorted = fr_arena_alloc(ar, (size_t)N * 8);
	int64_t *ts = fr_arena_alloc(ar, (size_t)N * 8), *qty = fr_arena_alloc(ar, (size_t)N * 8);
	double *price = fr_arena_alloc(ar, (size_t)N * 8);
	uint8_t *flag = fr_arena_alloc(ar, (size_t)N);
	uint32_t *ev = fr_arena_alloc(ar, (size_t)N * 4), *big = fr_arena_alloc(ar, (size_t)N * 4);
	uint64_t *pvalid = fr_arena_alloc(ar, nw * 8);
	memset(pvalid, 0, nw * 8);
	for (int64_t i = 0; i < N; i++) {
		uid[i] = (int64_t)(rnd() % NG) * 7919 + 1000000007LL; /* unsorted user ids */
		uid_sorted[i] = (int64_t)((uint64_t)i * NG / (uint64_t)N);
		ts[i] = 1600000000000LL + (int64_t)(rnd() % 86400000);
		qty[i] = (int64_t)(rnd() % 10);
		price[i] = (double)(rnd() % 10000) / 100;
		flag[i] = rnd() & 1;
		ev[i] = (uint32_t)(rnd() % 12);
		big[i] = (uint32_t)(rnd() % 100000);
		if (rnd() % 10)
			fr_bit_set(pvalid, i);
	}
	/* dictionaries: 12 event names, 100k product names */
	static const char *evn[12] = { "view", "cart", "buy", "search", "login", "logout", "share",
		                           "like", "review", "refund", "wishlist", "compare" };
	int64_t *eoff = fr_arena_alloc(ar, 13 * 8);
	uint8_t *edata = fr_arena_alloc(ar, 200);
	eoff[0] = 0;
	for (int i = 0; i < 12; i++) {
		memcpy(edata + eoff[i], evn[i], strlen(evn[i]));
		eoff[i + 1] = eoff[i] + (int64_t)strlen(evn[i]);
	}
	int64_t *boff = fr_arena_alloc(ar, 100001 * 8);
	uint8_t *bdata = fr_arena_alloc(ar, 100000 * 24);
	boff[0] = 0;
	for (int i = 0; i < 100000; i++) {
		int l = snprintf((char *)bdata + boff[i], 24, "product-%d-%s", i, evn[i % 12]);
		boff[i + 1] = boff[i] + l;
	}
	fr_vec vuid = { .kind = FR_VEC_I64, .len = N, .v.i64 = uid };
	fr_vec vuids = { .kind = FR_VEC_I64, .len = N, .v.i64 = uid_sorted };
	/* ids over a range 8x the groups (a part of a dataset hash-partitioned 8 ways): the dense path */
	int64_t *uid_dense = fr_arena_alloc(ar, (size_t)N * 8);
	for (int64_t i = 0; i < N; i++)
		uid_dense[i] = (int64_t)(rnd() % ((uint64_t)NG * 8));
	fr_vec vdense = { .kind = FR_VEC_I64, .len = N, .v.i64 = uid_dense };
	fr_vec vts = { .kind = FR_VEC_I64, .len = N, .v.i64 = ts };
	fr_vec vqty = { .kind = FR_VEC_I64, .len = N, .v.i64 = qty };
	fr_vec vprice = { .kind = FR_VEC_F64, .len = N, .valid = pvalid, .v.f64 = price };
	fr_vec vflag = { .kind = FR_VEC_BOOL, .len = N, .v.b = flag };
	fr_vec vev = { .kind = FR_VEC_DICT, .len = N, .v.codes = ev,
		           .dict = { .n = 12, .off = eoff, .data = edata } };
	fr_vec vbig = { .kind = FR_VEC_DICT, .len = N, .v.codes = big,
		            .dict = { .n = 100000, .off = boff, .data = bdata } };

	uint64_t *b1 = fr_arena_alloc(ar, nw * 8), *b2 = fr_arena_alloc(ar, nw * 8);
	uint64_t *b3 = fr_arena_alloc(ar, nw * 8);
	uint32_t *idx = fr_arena_alloc(ar, (size_t)N * 4);
	fr_err e = { 0 };

	printf("rows %lld, groups ~%u\n", (long long)N, NG);
	double t0 = now();
	uint64_t *copy = malloc((size_t)N * 8);
	double best = 1e30;
	for (int r = 0; r < REPS; r++) {
		t0 = now();
		memcpy(copy, ts, (size_t)N * 8);
		if (now() - t0 < best)
			best = now() - t0;
	}
	printf("reference: memcpy of an int64 column  %8.3f ns/row\n", best * 1e9 / (double)N);
	free(copy);

	for (int m = FR_SIMD_SCALAR; m <= FR_SIMD_NEON; m++) {
		if (!fr_kern_simd_available((fr_simd_mode)m))
			continue;
		fr_kern_simd_set((fr_simd_mode)m, &e);
		printf("mode %s\n", fr_kern_simd_name((fr_simd_mode)m));
		BENCH("cmp_i64 ts >= c", fr_kern_cmp_i64(ts, NULL, N, FR_OP_GE, 1600000000000LL + 43200000, b1, &e));
		BENCH("cmp_i64 qty == 3", fr_kern_cmp_i64(qty, NULL, N, FR_OP_EQ, 3, b1, &e));
		BENCH("cmp_f64 price > 50 (nulls)", fr_kern_cmp_f64(price, pvalid, N, FR_OP_GT, 50.0, b2, &e));
		BENCH("cmp_bool flag == true", fr_kern_cmp_bool(vflag.v.b, NULL, N, FR_OP_EQ, 1, b3, &e));
		BENCH("cmp_dict event == cart (12 entries)", fr_kern_cmp_dict(&vev, FR_OP_EQ, "cart", 4, b3, &e));
		BENCH("cmp_dict contains (100k entries)", fr_kern_cmp_dict(&vbig, FR_OP_CONTAINS, "-77", 3, b3, &e));
		BENCH("notnull f64", fr_kern_notnull(&vprice, b3));
		BENCH("bm_and", fr_kern_bm_and(b3, b1, b2, N));
		volatile int64_t sink = 0;
		BENCH("bm_popcount", sink += fr_kern_bm_popcount(b1, N));
		BENCH("bm_indexes (50% set)", sink += fr_kern_bm_indexes(b1, N, idx));
		(void)sink;

		fr_kern_index gi, vi;
		fr_arena *ia = fr_arena_new(0);
		BENCH("index_build int64 keys, unsorted", fr_kern_index_build(&vuid, NULL, ia, &gi, &e));
		printf("    (%u groups)\n", gi.n);
		BENCH("index_build int64 keys, dense range", fr_kern_index_build(&vdense, NULL, ia, &vi, &e));
		printf("    (%u groups)\n", vi.n);
		BENCH("index_build int64 keys, dense, count only", fr_kern_index_build_ex(&vdense, NULL, FR_KERN_IX_COUNT_ONLY, NULL, ia, &vi, &e));
		BENCH("index_build int64 keys, sorted", fr_kern_index_build(&vuids, NULL, ia, &vi, &e));
		BENCH("index_build dict codes (12)", fr_kern_index_build(&vev, NULL, ia, &vi, &e));
		BENCH("index_build dict codes (100k)", fr_kern_index_build(&vbig, NULL, ia, &vi, &e));
		BENCH("index_build f64 values (10k distinct)", fr_kern_index_build(&vprice, NULL, ia, &vi, &e));
		if (fr_kern_index_build(&vuid, NULL, ia, &gi, &e))
			die(&e);
		uint32_t ng = gi.n;
		uint32_t *cnt = malloc((size_t)ng * 4);
		fr_i128 *isum = malloc((size_t)ng * 16);
		double *dsum = malloc((size_t)ng * 8);
		int64_t *mts = malloc((size_t)ng * 8);
		uint64_t *gf = malloc(FR_BITMAP_WORDS(ng) * 8);
		BENCH("group_count (50% rows)", fr_kern_group_count(gi.ids, N, ng, b1, cnt));
		BENCH("group_count (all rows)", fr_kern_group_count(gi.ids, N, ng, NULL, cnt));
		BENCH("group_any (50% rows)", fr_kern_group_any(gi.ids, N, ng, b1, gf));
		BENCH("group_sum_i64 (all rows)", fr_kern_group_sum_i64(gi.ids, N, ng, NULL, &vqty, isum));
		BENCH("group_sum_f64 (all rows, 10% null)", fr_kern_group_sum_f64(gi.ids, N, ng, NULL, &vprice, dsum, &e));
		BENCH("seq_step first (8% rows)", fr_kern_seq_step(gi.ids, N, ng, b3, &vts, NULL, NULL, mts, gf, &e));
		fr_kern_cmp_dict(&vev, FR_OP_EQ, "cart", 4, b3, &e);
		fr_kern_seq_step(gi.ids, N, ng, b3, &vts, NULL, NULL, mts, gf, &e);
		BENCH("seq_step next (8% rows, in place)", fr_kern_seq_step(gi.ids, N, ng, b3, &vts, mts, gf, mts, gf, &e));
		BENCH("groups_to_rows", fr_kern_groups_to_rows(gi.ids, N, ng, gf, b2));
		fr_kern_index_build(&vev, NULL, ia, &vi, &e);
		uint32_t pv[16];
		BENCH("groups_per_value (12 values, all rows)", fr_kern_groups_per_value(vi.ids, vi.n, gi.ids, ng, N, NULL, pv, &e));
		fr_kern_index bi;
		fr_kern_index_build(&vbig, NULL, ia, &bi, &e);
		uint32_t *pvb = malloc((size_t)bi.n * 4);
		BENCH("groups_per_value (100k values, hash path)", fr_kern_groups_per_value(bi.ids, bi.n, gi.ids, ng, N, NULL, pvb, &e));
		uint32_t *cat = malloc((size_t)N * 4);
		for (int64_t i = 0; i < N; i++)
			cat[i] = big[i] % 1700;
		BENCH("groups_per_value (1700 values, buckets)", fr_kern_groups_per_value(cat, 1700, gi.ids, ng, N, NULL, pvb, &e));
		BENCH("countPerValue 1700 (all rows)", fr_kern_group_count(cat, N, 1700, NULL, pvb));
		BENCH("countPerValue 1700 (50% rows)", fr_kern_group_count(cat, N, 1700, b1, pvb));
		BENCH("sumPerValue 1700 (all rows, 10% null)", fr_kern_group_sum_f64(cat, N, 1700, NULL, &vprice, dsum, &e));
		free(cat);
		BENCH("countPerValue 12 (group_count on codes)", fr_kern_group_count(vi.ids, N, vi.n, b1, pv));
		free(pvb);
		free(cnt);
		free(isum);
		free(dsum);
		free(mts);
		free(gf);
		fr_arena_free(ia);
	}

	/* What a per-group pass costs by where its state lives: ids over few groups (state in L2)
	 * or over N/2 groups (a part of 1.25M visitors: state in L3 or beyond), in random order or
	 * sorted (a group's rows together), and by how dense the row bitmap is. */
	printf("per-group passes (one scalar loop in every mode)\n");
	uint32_t *pid = fr_arena_alloc(ar, (size_t)N * 4);
	uint32_t ngs[2] = { 16384, (uint32_t)(N / 2 > 16384 ? N / 2 : 16384) };
	uint32_t *pcnt = fr_arena_alloc(ar, (size_t)ngs[1] * 4);
	int64_t *pts = fr_arena_alloc(ar, (size_t)ngs[1] * 8), *pts2 = fr_arena_alloc(ar, (size_t)ngs[1] * 8);
	uint64_t *pf = fr_arena_alloc(ar, FR_BITMAP_WORDS(ngs[1]) * 8);
	uint64_t *pf2 = fr_arena_alloc(ar, FR_BITMAP_WORDS(ngs[1]) * 8);
	uint64_t *sparse = fr_arena_alloc(ar, nw * 8), *dense = fr_arena_alloc(ar, nw * 8);
	int64_t *cts = fr_arena_alloc(ar, (size_t)N * 8);
	uint32_t *cev = fr_arena_alloc(ar, (size_t)N * 4), *cbig = fr_arena_alloc(ar, (size_t)N * 4);
	memset(sparse, 0, nw * 8);
	memset(dense, 0, nw * 8);
	for (int64_t i = 0; i < N; i++) {
		if (rnd() % 100 < 2)
			fr_bit_set(sparse, i);
		if (rnd() % 100 < 97)
			fr_bit_set(dense, i);
	}
	for (int k = 0; k < 2; k++) {
		for (int sorted = 0; sorted < 2; sorted++) {
			uint32_t ng = ngs[k];
			for (int64_t i = 0; i < N; i++)
				pid[i] = sorted ? (uint32_t)((uint64_t)i * ng / (uint64_t)N) : (uint32_t)(rnd() % ng);
			printf("  %u groups, %s:\n", ng, sorted ? "rows sorted by group" : "rows in random order");
			BENCH("    group_count (all rows)", fr_kern_group_count(pid, N, ng, NULL, pcnt));
			BENCH("    group_any (97% of rows)", fr_kern_group_any(pid, N, ng, dense, pf2));
			BENCH("    seq_step first (97% of rows)", fr_kern_seq_step(pid, N, ng, dense, &vts, NULL, NULL, pts, pf, &e));
			BENCH("    seq_step next (97% of rows)", fr_kern_seq_step(pid, N, ng, dense, &vts, pts, pf, pts2, pf2, &e));
			BENCH("    seq_step next (2% of rows)", fr_kern_seq_step(pid, N, ng, sparse, &vts, pts, pf, pts2, pf2, &e));
			BENCH("    group_count (2% of rows)", fr_kern_group_count(pid, N, ng, sparse, pcnt));
			/* what an engine working on rows stored by group would pay first on shuffled
			 * rows: a counting sort of the row numbers by group, then a gather of an int64
			 * and two 4-byte columns into that order */
			BENCH("    reference: cluster rows by group + 3 gathers", {
				memset(pcnt, 0, (size_t)ng * 4);
				for (int64_t i = 0; i < N; i++)
					pcnt[pid[i]]++;
				uint32_t at = 0;
				for (uint32_t g = 0; g < ng; g++) {
					uint32_t c = pcnt[g];
					pcnt[g] = at;
					at += c;
				}
				for (int64_t i = 0; i < N; i++)
					idx[pcnt[pid[i]]++] = (uint32_t)i;
				for (int64_t i = 0; i < N; i++) {
					cts[i] = ts[idx[i]];
					cev[i] = ev[idx[i]];
					cbig[i] = big[idx[i]];
				}
			});
		}
	}
	fr_arena_free(ar);
	return 0;
}
