/* Per-group kernels: counts, any, exact int sums, compensated double sums, sequence steps,
 * group bitmap -> row bitmap, distinct groups per value.  Scatter loops over random ids are
 * latency-bound rather than SIMD-friendly, so one tight scalar loop serves every mode; the
 * row bitmap is consumed a 64-row word at a time (empty words skipped, full words unmasked),
 * or, over many groups, a batch of rows at a time (FOR_ROWS_AHEAD). */
#include "kernels/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Runs the body (the variadic tail) with i = for every row i < len set in rows (every row when
 * rows is NULL) in the bitmap words [w0, w1). */
#define FOR_ROWS_IN(rows, len, w0, w1, i, ...) \
	do { \
		for (int64_t fr_w_ = (w0); fr_w_ < (w1); fr_w_++) { \
			int64_t fr_base_ = fr_w_ * 64; \
			uint64_t fr_m_ = (rows) ? (rows)[fr_w_] : ~(uint64_t)0; \
			if (fr_base_ + 64 > (len)) \
				fr_m_ &= fr_kern__tail_mask(len); \
			if (fr_m_ == ~(uint64_t)0) { \
				for (int64_t i = fr_base_; i < fr_base_ + 64; i++) { __VA_ARGS__; } \
			} else { \
				for (; fr_m_; fr_m_ &= fr_m_ - 1) { \
					int64_t i = fr_base_ + __builtin_ctzll(fr_m_); \
					__VA_ARGS__; \
				} \
			} \
		} \
	} while (0)
/* The same over the whole bitmap. */
#define FOR_ROWS(rows, len, i, ...) \
	FOR_ROWS_IN(rows, len, 0, (int64_t)FR_BITMAP_WORDS(len), i, __VA_ARGS__)

/* Few groups (the values of a small dictionary, say): consecutive rows mostly update the same
 * accumulator, and each update would wait for the previous one's store.  LANES copies of the
 * accumulators, row i updating copy i % LANES, keep the updates independent; the copies are
 * added up at the end. */
#define LANES 8
#define LANES_MAX_GROUPS 256

/* Per-group state of a million groups lies in L3 or beyond; a row's slot is known well before
 * the row is reached (its id is a sequential read), so it is prefetched AHEAD rows early.
 * "Rows" means rows of the bitmap: FOR_ROWS_AHEAD first lists a batch's set rows, then runs
 * the body over them with the state of the row AHEAD positions later in the list prefetched,
 * so a sparse bitmap (a later sequence step, a filtered count) gets its misses overlapped as
 * well as a dense one; walking the bitmap and prefetching the row AHEAD rows later in the
 * part would prefetch rows the bitmap skips, and each miss would then be waited for in turn
 * (50-95 ns a row measured at 1-64% density over 1.25M groups).
 * State of fewer than PREFETCH_MIN_GROUPS groups stays in L2 (the values of a dictionary, say),
 * where the extra load and prefetch per row would only cost: GROUP_ROWS takes plain FOR_ROWS
 * there. */
#define AHEAD 48
#define PREFETCH_MIN_GROUPS 16384
#define BATCH_ROWS 2048
#define FOR_ROWS_AHEAD(rows, len, i, j, PF, ...) \
	do { \
		uint32_t fr_ix_[BATCH_ROWS]; \
		int64_t fr_nw_ = (int64_t)FR_BITMAP_WORDS(len); \
		for (int64_t fr_w0_ = 0; fr_w0_ < fr_nw_; fr_w0_ += BATCH_ROWS / 64) { \
			int64_t fr_w1_ = fr_w0_ + BATCH_ROWS / 64 < fr_nw_ ? fr_w0_ + BATCH_ROWS / 64 \
			                                                  : fr_nw_; \
			/* (the library's popcount: this file is built without the popcnt instruction) */ \
			int fr_n_ = (rows) ? (int)fr_kern_bm_popcount((rows) + fr_w0_, \
			                                             (fr_w1_ - fr_w0_) * 64) : 0; \
			if (!(rows) || fr_n_ >= BATCH_ROWS / 4) { \
				/* dense: the row AHEAD rows later is most likely in the bitmap too */ \
				FOR_ROWS_IN(rows, len, fr_w0_, fr_w1_, i, { \
					if (i + AHEAD < (len)) { \
						int64_t j = i + AHEAD; \
						PF; \
					} \
					__VA_ARGS__; \
				}); \
				continue; \
			} \
			fr_n_ = 0; \
			for (int64_t fr_w_ = fr_w0_; fr_w_ < fr_w1_; fr_w_++) { \
				uint64_t fr_m_ = (rows)[fr_w_]; \
				if (fr_w_ * 64 + 64 > (len)) \
					fr_m_ &= fr_kern__tail_mask(len); \
				for (; fr_m_; fr_m_ &= fr_m_ - 1) \
					fr_ix_[fr_n_++] = (uint32_t)(fr_w_ * 64) + (uint32_t)__builtin_ctzll(fr_m_); \
			} \
			for (int fr_k_ = 0; fr_k_ < fr_n_ && fr_k_ < AHEAD; fr_k_++) { \
				int64_t j = fr_ix_[fr_k_]; \
				PF; \
			} \
			for (int fr_k_ = 0; fr_k_ < fr_n_; fr_k_++) { \
				if (fr_k_ + AHEAD < fr_n_) { \
					int64_t j = fr_ix_[fr_k_ + AHEAD]; \
					PF; \
				} \
				int64_t i = fr_ix_[fr_k_]; \
				__VA_ARGS__; \
			} \
		} \
	} while (0)
/* The body over the rows of `rows`; when ng groups' state is beyond L2, with the statement PF
 * run for the row j visited AHEAD rows later (it prefetches that row's state). */
#define GROUP_ROWS_PF(rows, len, i, ng, j, PF, ...) \
	do { \
		if ((ng) >= PREFETCH_MIN_GROUPS) \
			FOR_ROWS_AHEAD(rows, len, i, j, PF, __VA_ARGS__); \
		else \
			FOR_ROWS(rows, len, i, __VA_ARGS__); \
	} while (0)
/* Prefetch of arr[ids[j]] (read: rw 0, written: rw 1); out-of-range ids fetch slot 0. */
#define PREFETCH_SLOT(arr, ids, j, ng, rw) \
	do { \
		uint32_t fr_pg_ = (ids)[j]; \
		__builtin_prefetch(&(arr)[fr_pg_ < (ng) ? fr_pg_ : 0], rw); \
	} while (0)
/* The common case: one array indexed by group. */
#define GROUP_ROWS(rows, len, i, ids, arr, ng, rw, ...) \
	GROUP_ROWS_PF(rows, len, i, ng, fr_j_, PREFETCH_SLOT(arr, ids, fr_j_, ng, rw), __VA_ARGS__)

void fr_kern_group_count(const uint32_t *ids, int64_t len, uint32_t ngroups,
                         const uint64_t *rows, uint32_t *out)
{
	memset(out, 0, (size_t)ngroups * sizeof *out);
	if (len <= 0)
		return;
	if (ngroups <= LANES_MAX_GROUPS) {
		uint32_t lane[LANES][LANES_MAX_GROUPS + 1];
		memset(lane, 0, sizeof lane);
		FOR_ROWS(rows, len, i, {
			uint32_t g = ids[i];
			lane[i & (LANES - 1)][g < ngroups ? g : LANES_MAX_GROUPS]++;
		});
		for (uint32_t g = 0; g < ngroups; g++) {
			uint32_t c = 0;
			for (int l = 0; l < LANES; l++)
				c += lane[l][g];
			out[g] = c;
		}
		return;
	}
	GROUP_ROWS(rows, len, i, ids, out, ngroups, 1, {
		uint32_t g = ids[i];
		if (g < ngroups)
			out[g]++;
	});
}

void fr_kern_group_any(const uint32_t *ids, int64_t len, uint32_t ngroups,
                       const uint64_t *rows, uint64_t *out)
{
	memset(out, 0, FR_BITMAP_WORDS(ngroups) * sizeof *out);
	if (len <= 0)
		return;
	/* prefetched whatever the group count: the words are written at random */
	FOR_ROWS_AHEAD(rows, len, i, j, {
		uint32_t pg = ids[j];
		__builtin_prefetch(&out[(pg < ngroups ? pg : 0) >> 6], 1);
	}, {
		uint32_t g = ids[i];
		if (g < ngroups)
			out[g >> 6] |= (uint64_t)1 << (g & 63);
	});
}

/* rows & col->valid into scratch when the column has nulls; returns the bitmap to use. */
static const uint64_t *with_valid(const uint64_t *rows, const fr_vec *col, int64_t len)
{
	if (!col->valid)
		return rows;
	size_t nw = FR_BITMAP_WORDS(len);
	uint64_t *m = fr_kern__scratch(FR_SCR_A, nw ? nw * sizeof *m : 8, 0);
	if (!m)
		return NULL;
	if (rows)
		fr_kern_bm_and(m, rows, col->valid, len);
	else
		memcpy(m, col->valid, nw * sizeof *m);
	return m;
}

/* 128-bit accumulation straight into out: the exact fallback. */
static void sum_i64_wide(const uint32_t *ids, int64_t len, uint32_t ngroups, const uint64_t *rows,
                         const fr_vec *col, fr_i128 *out)
{
	memset(out, 0, (size_t)ngroups * sizeof *out);
	const int64_t *v = col->v.i64;
	const uint64_t *valid = col->valid;
	FOR_ROWS(rows, len, i, {
		uint32_t g = ids[i];
		if (g < ngroups)
			out[g] += v[i] & -(int64_t)(!valid || fr_bit_get(valid, i));
	});
}

void fr_kern_group_sum_i64(const uint32_t *ids, int64_t len, uint32_t ngroups,
                           const uint64_t *rows, const fr_vec *col, fr_i128 *out)
{
	if (len <= 0) {
		memset(out, 0, (size_t)ngroups * sizeof *out);
		return;
	}
	/* 64-bit accumulators halve the randomly accessed state; an overflow anywhere (flags
	 * OR-ed, no branch) redoes the sum in 128 bits, so the result is exact either way */
	int64_t *acc = fr_kern__scratch_zero(FR_SCR_B, (size_t)ngroups * sizeof *acc);
	if (!acc) {
		sum_i64_wide(ids, len, ngroups, rows, col, out);
		return;
	}
	const int64_t *v = col->v.i64;
	const uint64_t *valid = col->valid;
	int ovf = 0;
	if (ngroups <= LANES_MAX_GROUPS) {
		int64_t lane[LANES][LANES_MAX_GROUPS + 1];
		memset(lane, 0, sizeof lane);
		FOR_ROWS(rows, len, i, {
			uint32_t g = ids[i];
			int64_t *a = &lane[i & (LANES - 1)][g < ngroups ? g : LANES_MAX_GROUPS];
			ovf |= __builtin_add_overflow(*a, v[i] & -(int64_t)(!valid || fr_bit_get(valid, i)), a);
		});
		if (ovf) {
			sum_i64_wide(ids, len, ngroups, rows, col, out);
			return;
		}
		for (uint32_t g = 0; g < ngroups; g++) {
			fr_i128 t = 0;
			for (int l = 0; l < LANES; l++)
				t += lane[l][g];
			out[g] = t;
		}
		return;
	}
	if (valid) {
		/* null slots hold 0 by the fr_vec contract, but do not rely on it: the value is masked
		 * with its validity bit rather than branched on (nulls are unpredictable) */
		GROUP_ROWS(rows, len, i, ids, acc, ngroups, 1, {
			uint32_t g = ids[i];
			if (g < ngroups)
				ovf |= __builtin_add_overflow(acc[g], v[i] & -(int64_t)fr_bit_get(valid, i),
				                              &acc[g]);
		});
	} else {
		GROUP_ROWS(rows, len, i, ids, acc, ngroups, 1, {
			uint32_t g = ids[i];
			if (g < ngroups)
				ovf |= __builtin_add_overflow(acc[g], v[i], &acc[g]);
		});
	}
	if (ovf) {
		sum_i64_wide(ids, len, ngroups, rows, col, out);
		return;
	}
	for (uint32_t g = 0; g < ngroups; g++)
		out[g] = acc[g];
}

int fr_kern_group_sum_f64(const uint32_t *ids, int64_t len, uint32_t ngroups,
                          const uint64_t *rows, const fr_vec *col, double *out, fr_err *err)
{
	if (len <= 0) {
		memset(out, 0, (size_t)ngroups * sizeof *out);
		return 0;
	}
	/* sum and compensation side by side: one cache line per group update */
	typedef struct { double s, c; } acc;
	acc *a = fr_kern__scratch_zero(FR_SCR_B, (size_t)ngroups * sizeof *a);
	const uint64_t *m = with_valid(rows, col, len);
	if (!a || (col->valid && !m))
		return fr_err_set(err, FR_ENOMEM, "out of memory summing %u groups", ngroups);
	const double *v = col->v.f64;
	if (ngroups <= LANES_MAX_GROUPS) {
		acc lane[LANES][LANES_MAX_GROUPS + 1];
		memset(lane, 0, sizeof lane);
		FOR_ROWS(m, len, i, {
			uint32_t g = ids[i];
			double x = v[i];
			/* out-of-range ids and NaN go to the spare slot, which is never read */
			acc *p = &lane[i & (LANES - 1)][g < ngroups && x == x ? g : LANES_MAX_GROUPS];
			double s = p->s, t = s + x;
			double z = t - s;
			p->c += (s - (t - z)) + (x - z);
			p->s = t;
		});
		for (uint32_t g = 0; g < ngroups; g++) {
			/* the lanes' sums added with the same compensation, then their compensations */
			double s = lane[0][g].s, c = lane[0][g].c;
			for (int l = 1; l < LANES; l++) {
				double x = lane[l][g].s, t = s + x;
				double z = t - s;
				c += (s - (t - z)) + (x - z) + lane[l][g].c;
				s = t;
			}
			out[g] = isfinite(s) ? s + c : s;
		}
		return 0;
	}
	GROUP_ROWS(m, len, i, ids, a, ngroups, 1, {
		uint32_t g = ids[i];
		double x = v[i];
		if (g < ngroups && x == x) {
			/* Neumaier summation with the error of each addition from Knuth's branch-free
			 * TwoSum (the same exact error Neumaier's magnitude test selects): a branch on the
			 * loaded sum would stall on every cache miss it mispredicts */
			double s = a[g].s, t = s + x;
			double z = t - s;
			a[g].c += (s - (t - z)) + (x - z);
			a[g].s = t;
		}
	});
	for (uint32_t g = 0; g < ngroups; g++) /* an infinite sum makes the compensation NaN */
		out[g] = isfinite(a[g].s) ? a[g].s + a[g].c : a[g].s;
	return 0;
}

/* One row of a later step; T and SKIP as in SEQ_STEP. */
#define SEQ_NEXT_ROW(T, SKIP) { \
	uint32_t g = ids[i]; \
	T t = ts[i]; \
	if (g >= ng || SKIP(t)) \
		continue; \
	if (prev_found && !fr_bit_get(prev_found, g)) \
		continue; \
	if (prev_ts && !(t > prev_ts[g])) \
		continue; \
	uint64_t bit = (uint64_t)1 << (g & 63); \
	if (!(out_found[g >> 6] & bit)) { \
		out_found[g >> 6] |= bit; \
		out_ts[g] = t; \
	} else if (t < out_ts[g]) { \
		out_ts[g] = t; \
	} \
}
/* The sequence step for one timestamp type; `T` is int64_t or double.  (A branch-free variant
 * that loads and stores every row's group measured slower on sparse step bitmaps and no faster
 * on dense ones.) */
/* The first step (no previous one) is the per-group minimum: every row folds its timestamp in
 * with a select, so a group's first row and its later ones take the same path and nothing
 * mispredicts; the minima start at the type's largest value, and a group is found when its
 * minimum moved or a row held that largest value itself (rare: a branch that never fires).
 * Later steps branch on the rows that qualify, which are usually few. */
#define SEQ_STEP(T, name, SKIP, TOP) \
	static void name(const uint32_t *ids, int64_t len, uint32_t ng, const uint64_t *m, \
	                 const T *ts, const T *prev_ts, const uint64_t *prev_found, T *out_ts, \
	                 uint64_t *out_found) \
	{ \
		memset(out_found, 0, FR_BITMAP_WORDS(ng) * sizeof *out_found); \
		if (!prev_found && !prev_ts) { \
			for (uint32_t g = 0; g < ng; g++) \
				out_ts[g] = TOP; \
			GROUP_ROWS(m, len, i, ids, out_ts, ng, 1, { \
				uint32_t g = ids[i]; \
				T t = ts[i]; \
				if (g >= ng || SKIP(t)) \
					continue; \
				if (__builtin_expect(t == TOP, 0)) \
					out_found[g >> 6] |= (uint64_t)1 << (g & 63); \
				T cur = out_ts[g]; \
				out_ts[g] = t < cur ? t : cur; \
			}); \
			for (uint32_t g = 0; g < ng; g++) \
				out_found[g >> 6] |= (uint64_t)(out_ts[g] != TOP) << (g & 63); \
			return; \
		} \
		/* the previous step's timestamps are read and this one's written at the same \
		 * slot: both prefetched (the found bits stay in L2) */ \
		GROUP_ROWS_PF(m, len, i, ng, j, { \
			if (prev_ts) \
				PREFETCH_SLOT(prev_ts, ids, j, ng, 0); \
			PREFETCH_SLOT(out_ts, ids, j, ng, 1); \
		}, SEQ_NEXT_ROW(T, SKIP)); \
	}
#define SKIP_NONE(t) 0
#define SKIP_NAN(t) ((t) != (t))
SEQ_STEP(int64_t, seq_step_i64, SKIP_NONE, INT64_MAX)
SEQ_STEP(double, seq_step_f64, SKIP_NAN, INFINITY)

int fr_kern_seq_step(const uint32_t *ids, int64_t len, uint32_t ngroups, const uint64_t *rows,
                     const fr_vec *ts, const void *prev_ts, const uint64_t *prev_found,
                     void *out_ts, uint64_t *out_found, fr_err *err)
{
	if (ts->kind != FR_VEC_I64 && ts->kind != FR_VEC_F64)
		return fr_err_set(err, FR_EINVAL, "timestamps must be INT or FLOAT");
	size_t esz = ts->kind == FR_VEC_I64 ? sizeof(int64_t) : sizeof(double);
	size_t fw = FR_BITMAP_WORDS(ngroups);
	/* in-place steps: the previous values must survive until every row has been seen */
	int alias = (prev_ts && out_ts == prev_ts) || (prev_found && out_found == prev_found);
	void *nts = out_ts;
	uint64_t *nfound = out_found;
	const uint64_t *m = with_valid(rows, ts, len > 0 ? len : 0);
	if (ts->valid && !m)
		return fr_err_set(err, FR_ENOMEM, "out of memory for a sequence step");
	if (alias) {
		nts = fr_kern__scratch(FR_SCR_B, ngroups ? (size_t)ngroups * esz : 1, 0);
		nfound = fr_kern__scratch(FR_SCR_C, fw ? fw * sizeof *nfound : 1, 0);
		if (!nts || !nfound)
			return fr_err_set(err, FR_ENOMEM, "out of memory for a sequence step over %u groups",
			                  ngroups);
	}
	if (len <= 0)
		memset(nfound, 0, fw * sizeof *nfound);
	else if (ts->kind == FR_VEC_I64)
		seq_step_i64(ids, len, ngroups, m, ts->v.i64, prev_ts, prev_found, nts, nfound);
	else
		seq_step_f64(ids, len, ngroups, m, ts->v.f64, prev_ts, prev_found, nts, nfound);
	if (alias) {
		memcpy(out_ts, nts, (size_t)ngroups * esz);
		memcpy(out_found, nfound, fw * sizeof *nfound);
	}
	return 0;
}

void fr_kern_groups_to_rows(const uint32_t *ids, int64_t len, uint32_t ngroups,
                            const uint64_t *groups, uint64_t *out)
{
	/* the same lookup as a dictionary gather: bit ids[i] of the group bitmap */
	fr_kern_dict_gather(ids, NULL, len, groups, ngroups, 0, out);
}

/* ---- groups per value ----------------------------------------------------------------- */

/* (value, group) bit matrix up to this many bits (2 MiB, cache-resident); beyond, the rows are
 * counting-sorted by group and each group's values deduplicated with a last-group-seen mark
 * per value: linear time and no hash set of pairs. */
#define PAIR_MATRIX_MAX_BITS ((uint64_t)1 << 24)
/* the per-bucket matrix of the bucketed path, up to 512 KiB */
#define PAIR_BUCKET_MATRIX_MAX_BITS ((uint64_t)1 << 22)

/* Many groups: the rows are first split by group range (2^b groups per bucket, into at most
 * 2049 streams), then each bucket is processed while its groups' counters stay in cache.
 * An entry packs the row and, in one word, the value and the group within its bucket
 * (nvalues <= 2^(32-b)).  Each bucket then finds its first pairs in a bit matrix of (value,
 * group in the bucket) when that fits in L2; with more values it is counting-sorted by group and
 * deduplicated with a last-group-seen mark per value, without a branch.  Stable throughout, so "first" means first
 * in row order.
 * The split writes through a line buffer per bucket (fr_kern__stream_line; each bucket starts
 * on a line boundary) instead of one scattered 8-byte store each. */
typedef struct pair_ent {
	uint32_t r;
	uint32_t vg;      /* value << b | group within the bucket */
} pair_ent;

enum { PAIR_LINE = FR_KERN_LINE / sizeof(pair_ent) };  /* entries per line */

static int pair_firsts_buckets(const uint32_t *vids, uint32_t nvalues, const uint32_t *gids,
                               uint32_t ngroups, int64_t len, const uint64_t *rows, int b,
                               uint64_t *out)
{
	const uint32_t nb = (uint32_t)(((uint64_t)ngroups + ((uint64_t)1 << b) - 1) >> b);
	const uint32_t gmask = ((uint32_t)1 << b) - 1;
	/* per bucket: its row count, its first entry (a multiple of 8) and its next one */
	uint64_t *pos = fr_kern__scratch_zero(FR_SCR_A, ((size_t)nb + 1) * 3 * sizeof *pos);
	if (!pos)
		return -1;
	uint64_t *cnt = pos + nb + 1, *start = cnt + nb + 1;
	FOR_ROWS(rows, len, i, {
		uint32_t v = vids[i], g = gids[i];
		if (v < nvalues && g < ngroups)
			cnt[g >> b]++;
	});
	uint64_t at = 0, maxb = 0;
	for (uint32_t k = 0; k < nb; k++) {
		start[k] = pos[k] = at;
		at += (cnt[k] + PAIR_LINE - 1) / PAIR_LINE * PAIR_LINE;
		maxb = cnt[k] > maxb ? cnt[k] : maxb;
	}
	pair_ent *ent = fr_kern__scratch(FR_SCR_B, ((size_t)at + PAIR_LINE) * sizeof *ent + 64, 0);
	pair_ent *line = fr_kern__scratch(FR_SCR_C, ((size_t)nb * PAIR_LINE) * sizeof *line + 64, 0);
	/* Per bucket, either a bit per (value, group in the bucket) when that matrix stays in L2,
	 * or (more values) the entries sorted by group, with per-group cursors and the last
	 * group seen per value. */
	uint64_t mbits = (uint64_t)nvalues << b;
	uint64_t *mat = NULL;
	pair_ent *loc = NULL;
	uint32_t *cur = NULL;
	if (mbits <= PAIR_BUCKET_MATRIX_MAX_BITS) {
		if (!(mat = fr_kern__scratch_zero(FR_SCR_D, FR_BITMAP_WORDS(mbits) * sizeof *mat)))
			return -1;
	} else {
		loc = fr_kern__scratch(FR_SCR_D, ((size_t)maxb + 1) * sizeof *loc, 0);
		cur = fr_kern__scratch(FR_SCR_F, (((size_t)1 << b) + 1 + nvalues) * sizeof *cur, 0);
		if (!loc || !cur)
			return -1;
	}
	if (!ent || !line)
		return -1;
	ent = (pair_ent *)(((uintptr_t)ent + 63) & ~(uintptr_t)63);
	line = (pair_ent *)(((uintptr_t)line + 63) & ~(uintptr_t)63);
	FOR_ROWS(rows, len, i, {
		uint32_t v = vids[i], g = gids[i];
		if (v < nvalues && g < ngroups) {
			uint32_t k = g >> b;
			uint64_t p = pos[k]++;
			pair_ent *l = line + (size_t)k * PAIR_LINE;
			l[p % PAIR_LINE] = (pair_ent){ (uint32_t)i, v << b | (g & gmask) };
			if (p % PAIR_LINE == PAIR_LINE - 1)
				fr_kern__stream_line(ent + p - (PAIR_LINE - 1), l);
		}
	});
	fr_kern__stream_done();
	for (uint32_t k = 0; k < nb; k++) { /* the partly filled lines */
		uint64_t p = pos[k], f = p % PAIR_LINE;
		if (f)
			memcpy(ent + p - f, line + (size_t)k * PAIR_LINE, sizeof(pair_ent) * f);
	}
	const uint32_t per = (uint32_t)1 << b;
	if (mat) {
		/* vg is the pair's bit in a (value, group within the bucket) matrix: the first
		 * entry to find its bit clear is the pair's first row; the bits a bucket set are
		 * cleared after it, so the matrix is zeroed once */
		for (uint32_t k = 0; k < nb; k++) {
			uint64_t o0 = start[k], o1 = pos[k];
			for (uint64_t e = o0; e < o1; e++) {
				uint32_t r = ent[e].r, vg = ent[e].vg;
				uint64_t bit = (uint64_t)1 << (vg & 63);
				out[r >> 6] |= (uint64_t)!(mat[vg >> 6] & bit) << (r & 63);
				mat[vg >> 6] |= bit;
			}
			for (uint64_t e = o0; e < o1; e++)
				mat[ent[e].vg >> 6] = 0;
		}
		return 0;
	}
	uint32_t *last = cur + per + 1;
	memset(last, 0xff, (size_t)nvalues * sizeof *last);
	for (uint32_t k = 0; k < nb; k++) {
		uint64_t o0 = start[k], o1 = pos[k];
		if (o1 == o0)
			continue;
		memset(cur, 0, ((size_t)per + 1) * sizeof *cur);
		for (uint64_t e = o0; e < o1; e++)
			cur[(ent[e].vg & gmask) + 1]++;
		for (uint32_t g = 1; g <= per; g++)
			cur[g] += cur[g - 1];
		for (uint64_t e = o0; e < o1; e++)
			loc[cur[ent[e].vg & gmask]++] = ent[e];
		uint64_t n = o1 - o0;
		for (uint64_t e = 0; e < n; e++) {
			uint32_t r = loc[e].r, v = loc[e].vg >> b;
			uint32_t g = k << b | (loc[e].vg & gmask);
			out[r >> 6] |= (uint64_t)(last[v] != g) << (r & 63);
			last[v] = g;
		}
	}
	return 0;
}

int fr_kern_pair_firsts(const uint32_t *vids, uint32_t nvalues, const uint32_t *gids,
                        uint32_t ngroups, int64_t len, const uint64_t *rows, uint64_t *out,
                        fr_err *err)
{
	size_t nw = FR_BITMAP_WORDS(len);
	memset(out, 0, nw * sizeof *out);
	if (len <= 0 || !nvalues || !ngroups)
		return 0;
	uint64_t bits = (uint64_t)nvalues * ngroups;
	if (bits <= PAIR_MATRIX_MAX_BITS) {
		uint64_t *mat = fr_kern__scratch_zero(FR_SCR_A, FR_BITMAP_WORDS(bits) * sizeof *mat);
		if (!mat)
			goto nomem;
		FOR_ROWS(rows, len, i, {
			uint32_t v = vids[i], g = gids[i];
			if (v < nvalues && g < ngroups) {
				uint64_t b = (uint64_t)v * ngroups + g;
				uint64_t bit = (uint64_t)1 << (b & 63);
				out[i >> 6] |= (uint64_t)!(mat[b >> 6] & bit) << (i & 63);
				mat[b >> 6] |= bit;
			}
		});
		return 0;
	}
	/* ids come from an index over these rows, so a group count beyond the row count is a
	 * caller bug; refusing it keeps the scratch below proportional to the input */
	if ((int64_t)ngroups > len + 1)
		return fr_err_set(err, FR_EINVAL, "%u groups for %lld rows", ngroups, (long long)len);
	int b = 11; /* groups per bucket: 2^b, in cache (2048 measured best) */
	while (((uint64_t)ngroups >> b) > 2048)
		b++;
	if (ngroups > ((uint32_t)1 << b) && nvalues <= (uint32_t)1 << (32 - b))
		return pair_firsts_buckets(vids, nvalues, gids, ngroups, len, rows, b, out) ?
		       fr_err_set(err, FR_ENOMEM, "out of memory counting distinct groups per value") : 0;
	/* start[g + 1] counts group g's rows, then (prefix sums) start[g] is where they begin */
	uint32_t *start = fr_kern__scratch_zero(FR_SCR_A, ((size_t)ngroups + 2) * sizeof *start);
	if (!start)
		goto nomem;
	FOR_ROWS(rows, len, i, {
		uint32_t v = vids[i], g = gids[i];
		if (v < nvalues && g < ngroups)
			start[g + 1]++;
	});
	for (uint32_t g = 1; g <= ngroups; g++)
		start[g] += start[g - 1];
	uint32_t total = start[ngroups];
	/* (row, value) side by side: the dedup pass then reads one stream, not the values at
	 * random */
	typedef struct { uint32_t r, v; } rv;
	rv *ord = fr_kern__scratch(FR_SCR_B, (size_t)(total ? total : 1) * sizeof *ord, 0);
	uint32_t *last = fr_kern__scratch(FR_SCR_C, (size_t)nvalues * sizeof *last, 0);
	if (!ord || !last)
		goto nomem;
	/* each group's rows in row order; start[g] moves to the group's end as it fills */
	FOR_ROWS(rows, len, i, {
		uint32_t v = vids[i], g = gids[i];
		if (v < nvalues && g < ngroups)
			ord[start[g]++] = (rv){ (uint32_t)i, v };
	});
	memset(last, 0xff, (size_t)nvalues * sizeof *last);
	uint32_t k = 0;
	for (uint32_t g = 0; g < ngroups; g++) {
		for (; k < start[g]; k++) {
			uint32_t r = ord[k].r, v = ord[k].v;
			out[r >> 6] |= (uint64_t)(last[v] != g) << (r & 63);
			last[v] = g;
		}
	}
	return 0;
nomem:
	return fr_err_set(err, FR_ENOMEM, "out of memory counting distinct groups per value");
}

int fr_kern_groups_per_value(const uint32_t *vids, uint32_t nvalues, const uint32_t *gids,
                             uint32_t ngroups, int64_t len, const uint64_t *rows,
                             uint32_t *out, fr_err *err)
{
	memset(out, 0, (size_t)nvalues * sizeof *out);
	if (len <= 0 || !nvalues || !ngroups)
		return 0;
	/* a slot fr_kern_pair_firsts does not use */
	uint64_t *f = fr_kern__scratch(FR_SCR_E, FR_BITMAP_WORDS(len) * sizeof *f, 0);
	if (!f)
		return fr_err_set(err, FR_ENOMEM, "out of memory counting distinct groups per value");
	int rc = fr_kern_pair_firsts(vids, nvalues, gids, ngroups, len, rows, f, err);
	if (rc)
		return rc;
	fr_kern_group_count(vids, len, nvalues, f, out);
	return 0;
}
