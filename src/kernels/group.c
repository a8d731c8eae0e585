/* Per-group kernels: counts, any, exact int sums, compensated double sums, sequence steps,
 * group bitmap -> row bitmap, distinct groups per value.  Scatter loops over random ids are
 * latency-bound rather than SIMD-friendly, so one tight scalar loop serves every mode; the
 * row bitmap is consumed a 64-row word at a time (empty words skipped, full words unmasked). */
#include "kernels/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Runs the body (the variadic tail) with i = for every row i < len set in rows (every row when rows is NULL). */
#define FOR_ROWS(rows, len, i, ...) \
	do { \
		int64_t fr_nw_ = (int64_t)FR_BITMAP_WORDS(len); \
		for (int64_t fr_w_ = 0; fr_w_ < fr_nw_; fr_w_++) { \
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

void fr_kern_group_count(const uint32_t *ids, int64_t len, uint32_t ngroups,
                         const uint64_t *rows, uint32_t *out)
{
	memset(out, 0, (size_t)ngroups * sizeof *out);
	if (len <= 0)
		return;
	FOR_ROWS(rows, len, i, {
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
	FOR_ROWS(rows, len, i, {
		uint32_t g = ids[i];
		if (g < ngroups)
			out[g >> 6] |= (uint64_t)1 << (g & 63);
	});
}

/* rows & col->valid into scratch when the column has nulls; returns the bitmap to use. */
static const uint64_t *with_valid(const uint64_t *rows, const fr_vec *col, int64_t len,
                                  uint64_t **scratch)
{
	*scratch = NULL;
	if (!col->valid)
		return rows;
	size_t nw = FR_BITMAP_WORDS(len);
	uint64_t *m = malloc(nw * sizeof *m);
	if (!m)
		return NULL;
	if (rows)
		fr_kern_bm_and(m, rows, col->valid, len);
	else
		memcpy(m, col->valid, nw * sizeof *m);
	*scratch = m;
	return m;
}

void fr_kern_group_sum_i64(const uint32_t *ids, int64_t len, uint32_t ngroups,
                           const uint64_t *rows, const fr_vec *col, fr_i128 *out)
{
	memset(out, 0, (size_t)ngroups * sizeof *out);
	if (len <= 0)
		return;
	const int64_t *v = col->v.i64;
	if (col->valid) {
		/* null slots hold 0 by the fr_vec contract, but do not rely on it: mask per word */
		FOR_ROWS(rows, len, i, {
			uint32_t g = ids[i];
			if (g < ngroups && fr_bit_get(col->valid, i))
				out[g] += v[i];
		});
	} else {
		FOR_ROWS(rows, len, i, {
			uint32_t g = ids[i];
			if (g < ngroups)
				out[g] += v[i];
		});
	}
}

int fr_kern_group_sum_f64(const uint32_t *ids, int64_t len, uint32_t ngroups,
                          const uint64_t *rows, const fr_vec *col, double *out, fr_err *err)
{
	memset(out, 0, (size_t)ngroups * sizeof *out);
	if (len <= 0)
		return 0;
	double *comp = calloc(ngroups ? ngroups : 1, sizeof *comp);
	uint64_t *scratch;
	const uint64_t *m = with_valid(rows, col, len, &scratch);
	if (!comp || (col->valid && !m)) {
		free(comp);
		free(scratch);
		return fr_err_set(err, FR_ENOMEM, "out of memory summing %u groups", ngroups);
	}
	const double *v = col->v.f64;
	FOR_ROWS(m, len, i, {
		uint32_t g = ids[i];
		double x = v[i];
		if (g < ngroups && x == x) {
			/* Neumaier: the compensation keeps the low-order bits lost by each addition */
			double s = out[g], t = s + x;
			if (fabs(s) >= fabs(x))
				comp[g] += (s - t) + x;
			else
				comp[g] += (x - t) + s;
			out[g] = t;
		}
	});
	for (uint32_t g = 0; g < ngroups; g++)
		if (isfinite(out[g])) /* an infinite sum makes the compensation NaN: keep plain sum */
			out[g] += comp[g];
	free(comp);
	free(scratch);
	return 0;
}

/* The sequence step for one timestamp type; `T` is int64_t or double. */
#define SEQ_STEP(T, name, SKIP) \
	static void name(const uint32_t *ids, int64_t len, uint32_t ng, const uint64_t *m, \
	                 const T *ts, const T *prev_ts, const uint64_t *prev_found, T *out_ts, \
	                 uint64_t *out_found) \
	{ \
		memset(out_found, 0, FR_BITMAP_WORDS(ng) * sizeof *out_found); \
		FOR_ROWS(m, len, i, { \
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
		}); \
	}
#define SKIP_NONE(t) 0
#define SKIP_NAN(t) ((t) != (t))
SEQ_STEP(int64_t, seq_step_i64, SKIP_NONE)
SEQ_STEP(double, seq_step_f64, SKIP_NAN)

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
	uint64_t *scratch;
	const uint64_t *m = with_valid(rows, ts, len > 0 ? len : 0, &scratch);
	if (ts->valid && !m)
		return fr_err_set(err, FR_ENOMEM, "out of memory for a sequence step");
	if (alias) {
		nts = malloc(ngroups ? (size_t)ngroups * esz : 1);
		nfound = malloc(fw ? fw * sizeof *nfound : 1);
		if (!nts || !nfound) {
			free(nts);
			free(nfound);
			free(scratch);
			return fr_err_set(err, FR_ENOMEM, "out of memory for a sequence step over %u groups",
			                  ngroups);
		}
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
		free(nts);
		free(nfound);
	}
	free(scratch);
	return 0;
}

void fr_kern_groups_to_rows(const uint32_t *ids, int64_t len, uint32_t ngroups,
                            const uint64_t *groups, uint64_t *out)
{
	/* the same lookup as a dictionary gather: bit ids[i] of the group bitmap */
	fr_kern_dict_gather(ids, NULL, len, groups, ngroups, 0, out);
}

/* ---- groups per value ----------------------------------------------------------------- */

/* (value, group) bit matrix up to this many bits (16 MiB); a hash set of pairs beyond. */
#define PAIR_MATRIX_MAX_BITS ((uint64_t)1 << 27)

static inline uint64_t pair_hash(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

int fr_kern_groups_per_value(const uint32_t *vids, uint32_t nvalues, const uint32_t *gids,
                             uint32_t ngroups, int64_t len, const uint64_t *rows,
                             uint32_t *out, fr_err *err)
{
	memset(out, 0, (size_t)nvalues * sizeof *out);
	if (len <= 0 || !nvalues || !ngroups)
		return 0;
	uint64_t bits = (uint64_t)nvalues * ngroups;
	if (bits <= PAIR_MATRIX_MAX_BITS) {
		uint64_t *mat = calloc(FR_BITMAP_WORDS(bits), sizeof *mat);
		if (!mat)
			return fr_err_set(err, FR_ENOMEM, "out of memory for %u x %u value/group pairs",
			                  nvalues, ngroups);
		FOR_ROWS(rows, len, i, {
			uint32_t v = vids[i], g = gids[i];
			if (v < nvalues && g < ngroups) {
				uint64_t b = (uint64_t)v * ngroups + g;
				uint64_t bit = (uint64_t)1 << (b & 63);
				if (!(mat[b >> 6] & bit)) {
					mat[b >> 6] |= bit;
					out[v]++;
				}
			}
		});
		free(mat);
		return 0;
	}
	/* hash set of v<<32|g + 1 (0 = empty), linear probing, load <= 1/2 */
	uint64_t cap = 1 << 12, count = 0;
	uint64_t *set = calloc(cap, sizeof *set);
	if (!set)
		goto nomem;
	uint64_t last = 0;
	FOR_ROWS(rows, len, i, {
		uint32_t v = vids[i], g = gids[i];
		if (v >= nvalues || g >= ngroups)
			continue;
		uint64_t key = ((uint64_t)v << 32 | g) + 1;
		if (key == last) /* runs of one pair skip the probe */
			continue;
		last = key;
		if (count + 1 > cap / 2) {
			uint64_t ncap = cap * 2;
			uint64_t *ns = calloc(ncap, sizeof *ns);
			if (!ns)
				goto nomem;
			for (uint64_t j = 0; j < cap; j++) {
				if (!set[j])
					continue;
				uint64_t h = pair_hash(set[j]) & (ncap - 1);
				while (ns[h])
					h = (h + 1) & (ncap - 1);
				ns[h] = set[j];
			}
			free(set);
			set = ns;
			cap = ncap;
		}
		uint64_t h = pair_hash(key) & (cap - 1);
		while (set[h] && set[h] != key)
			h = (h + 1) & (cap - 1);
		if (!set[h]) {
			set[h] = key;
			count++;
			out[v]++;
		}
	});
	free(set);
	return 0;
nomem:
	free(set);
	return fr_err_set(err, FR_ENOMEM, "out of memory counting distinct groups per value");
}
