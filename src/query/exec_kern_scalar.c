/* Scalar stand-ins for the kernels the engine uses, defined weak: they exist only so src/query
 * builds and is tested before src/kernels lands, and the real (strong) kernels replace them at
 * link time.  Same contract as kernels/kernels.h; delete this file once kernels are on main. */
#include "kernels/kernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define WEAK __attribute__((weak))

static const char *const op_names[] = {
#define X(name, text) text,
	FR_KERN_OPS(X)
#undef X
};

WEAK const char *fr_kern_op_name(fr_op op)
{
	return (unsigned)op < FR_OP__COUNT ? op_names[op] : "?";
}

WEAK int fr_kern_op_parse(const char *s)
{
	for (int i = 0; i < FR_OP__COUNT; i++)
		if (!strcmp(s, op_names[i]))
			return i;
	return -1;
}

static void clear_tail(uint64_t *bm, int64_t n)
{
	if (n & 63)
		bm[n >> 6] &= ((uint64_t)1 << (n & 63)) - 1;
}

WEAK void fr_kern_bm_and(uint64_t *d, const uint64_t *a, const uint64_t *b, int64_t n)
{
	for (size_t i = 0; i < FR_BITMAP_WORDS(n); i++)
		d[i] = a[i] & b[i];
}

WEAK void fr_kern_bm_or(uint64_t *d, const uint64_t *a, const uint64_t *b, int64_t n)
{
	for (size_t i = 0; i < FR_BITMAP_WORDS(n); i++)
		d[i] = a[i] | b[i];
}

WEAK void fr_kern_bm_fill(uint64_t *d, int64_t n, int value)
{
	memset(d, value ? 0xff : 0, FR_BITMAP_WORDS(n) * 8);
	clear_tail(d, n);
}

WEAK int64_t fr_kern_bm_popcount(const uint64_t *a, int64_t n)
{
	int64_t c = 0;
	for (int64_t i = 0; i < n / 64; i++)
		c += __builtin_popcountll(a[i]);
	if (n & 63)
		c += __builtin_popcountll(a[n >> 6] & (((uint64_t)1 << (n & 63)) - 1));
	return c;
}

static int cmp_ok(fr_op op, int c)
{
	switch (op) {
	case FR_OP_EQ: return c == 0;
	case FR_OP_NE: return c != 0;
	case FR_OP_LT: return c < 0;
	case FR_OP_LE: return c <= 0;
	case FR_OP_GT: return c > 0;
	case FR_OP_GE: return c >= 0;
	default: return 0;
	}
}

#define CMP_LOOP(cmpexpr, nullexpr)                                           \
	do {                                                                    \
		memset(out, 0, FR_BITMAP_WORDS(n) * 8);                            \
		for (int64_t i = 0; i < n; i++) {                                  \
			int m;                                                         \
			if (nullexpr)                                                  \
				m = op == FR_OP_NE || op == FR_OP_NOT_CONTAINS;           \
			else                                                           \
				m = cmp_ok(op, (cmpexpr));                                 \
			if (m)                                                         \
				fr_bit_set(out, i);                                        \
		}                                                                  \
	} while (0)

WEAK int fr_kern_cmp_i64(const int64_t *v, const uint64_t *valid, int64_t n, fr_op op, int64_t c,
                         uint64_t *out, fr_err *err)
{
	(void)err;
	CMP_LOOP(v[i] < c ? -1 : v[i] > c, valid && !fr_bit_get(valid, i));
	return 0;
}

WEAK int fr_kern_cmp_f64(const double *v, const uint64_t *valid, int64_t n, fr_op op, double c,
                         uint64_t *out, fr_err *err)
{
	(void)err;
	CMP_LOOP(v[i] < c ? -1 : v[i] > c, (valid && !fr_bit_get(valid, i)) || isnan(v[i]));
	return 0;
}

WEAK int fr_kern_cmp_u32(const uint32_t *v, int64_t n, fr_op op, uint32_t c, uint64_t *out,
                         fr_err *err)
{
	(void)err;
	CMP_LOOP(v[i] < c ? -1 : v[i] > c, 0);
	return 0;
}

WEAK int fr_kern_cmp_i128(const fr_i128 *v, int64_t n, fr_op op, fr_i128 c, uint64_t *out,
                          fr_err *err)
{
	(void)err;
	CMP_LOOP(v[i] < c ? -1 : v[i] > c, 0);
	return 0;
}

static int contains(const uint8_t *h, size_t hn, const void *nd, size_t nn)
{
	if (nn == 0)
		return 1;
	return memmem(h, hn, nd, nn) != NULL;
}

WEAK int fr_kern_cmp_vec(const fr_vec *v, fr_op op, const fr_kern_const *c, uint64_t *out,
                         fr_err *err)
{
	int64_t n = v->len;
	switch (v->kind) {
	case FR_VEC_I64:
		return fr_kern_cmp_i64(v->v.i64, v->valid, n, op, c->i64, out, err);
	case FR_VEC_F64:
		return fr_kern_cmp_f64(v->v.f64, v->valid, n, op, c->f64, out, err);
	case FR_VEC_BOOL:
		if (op != FR_OP_EQ && op != FR_OP_NE)
			return fr_err_set(err, FR_EINVAL, "operator %s on a BOOL vector", op_names[op]);
		CMP_LOOP((v->v.b[i] != 0) - (c->i64 != 0), v->valid && !fr_bit_get(v->valid, i));
		return 0;
	case FR_VEC_DICT: {
		if (op != FR_OP_EQ && op != FR_OP_NE && op != FR_OP_CONTAINS &&
		    op != FR_OP_NOT_CONTAINS)
			return fr_err_set(err, FR_EINVAL, "operator %s on a string vector", op_names[op]);
		uint32_t nd = v->dict.n;
		uint8_t *m = malloc(nd ? nd : 1);
		if (!m)
			return fr_err_set(err, FR_ENOMEM, "out of memory");
		for (uint32_t k = 0; k < nd; k++) {
			const uint8_t *s = v->dict.data + v->dict.off[k];
			size_t sl = (size_t)(v->dict.off[k + 1] - v->dict.off[k]);
			int r;
			if (op == FR_OP_EQ || op == FR_OP_NE)
				r = sl == c->str_len && !memcmp(s, c->str, sl);
			else
				r = contains(s, sl, c->str, c->str_len);
			m[k] = (op == FR_OP_EQ || op == FR_OP_CONTAINS) ? r : !r;
		}
		memset(out, 0, FR_BITMAP_WORDS(n) * 8);
		int nullm = op == FR_OP_NE || op == FR_OP_NOT_CONTAINS;
		for (int64_t i = 0; i < n; i++) {
			int r;
			if (v->valid && !fr_bit_get(v->valid, i))
				r = nullm;
			else
				r = v->v.codes[i] < nd && m[v->v.codes[i]];
			if (r)
				fr_bit_set(out, i);
		}
		free(m);
		return 0;
	}
	default:
		return fr_err_set(err, FR_EINVAL, "unsupported vector kind");
	}
}

WEAK void fr_kern_notnull(const fr_vec *v, uint64_t *out)
{
	int64_t n = v->len;
	memset(out, 0, FR_BITMAP_WORDS(n) * 8);
	for (int64_t i = 0; i < n; i++)
		if (fr_vec_valid(v, i) && !(v->kind == FR_VEC_F64 && isnan(v->v.f64[i])))
			fr_bit_set(out, i);
}

static int row_on(const uint64_t *rows, int64_t i)
{
	return !rows || fr_bit_get(rows, i);
}

WEAK void fr_kern_group_count(const uint32_t *ids, int64_t len, uint32_t ng, const uint64_t *rows,
                              uint32_t *out)
{
	memset(out, 0, (size_t)ng * 4);
	for (int64_t i = 0; i < len; i++)
		if (ids[i] < ng && row_on(rows, i))
			out[ids[i]]++;
}

WEAK void fr_kern_group_any(const uint32_t *ids, int64_t len, uint32_t ng, const uint64_t *rows,
                            uint64_t *out)
{
	memset(out, 0, FR_BITMAP_WORDS(ng) * 8);
	for (int64_t i = 0; i < len; i++)
		if (ids[i] < ng && row_on(rows, i))
			fr_bit_set(out, ids[i]);
}

WEAK void fr_kern_group_sum_i64(const uint32_t *ids, int64_t len, uint32_t ng,
                                const uint64_t *rows, const fr_vec *col, fr_i128 *out)
{
	memset(out, 0, (size_t)ng * sizeof(fr_i128));
	for (int64_t i = 0; i < len; i++)
		if (ids[i] < ng && row_on(rows, i) && fr_vec_valid(col, i))
			out[ids[i]] += col->v.i64[i];
}

WEAK int fr_kern_group_sum_f64(const uint32_t *ids, int64_t len, uint32_t ng,
                               const uint64_t *rows, const fr_vec *col, double *out, fr_err *err)
{
	double *c = calloc(ng ? ng : 1, sizeof(double));
	if (!c)
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	memset(out, 0, (size_t)ng * sizeof(double));
	for (int64_t i = 0; i < len; i++) {
		if (ids[i] >= ng || !row_on(rows, i) || !fr_vec_valid(col, i))
			continue;
		double v = col->v.f64[i], *s = &out[ids[i]];
		if (isnan(v))
			continue;
		double t = *s + v;
		if (fabs(*s) >= fabs(v))
			c[ids[i]] += (*s - t) + v;
		else
			c[ids[i]] += (v - t) + *s;
		*s = t;
	}
	for (uint32_t g = 0; g < ng; g++)
		out[g] += c[g];
	free(c);
	return 0;
}

WEAK int fr_kern_seq_step(const uint32_t *ids, int64_t len, uint32_t ng, const uint64_t *rows,
                          const fr_vec *ts, const void *prev_ts, const uint64_t *prev_found,
                          void *out_ts, uint64_t *out_found, fr_err *err)
{
	int f64 = ts->kind == FR_VEC_F64;
	size_t sz = f64 ? sizeof(double) : sizeof(int64_t);
	uint8_t *nf = calloc(ng ? ng : 1, 1);
	void *nt = calloc(ng ? ng : 1, sz);
	if (!nf || !nt) {
		free(nf);
		free(nt);
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	}
	for (int64_t i = 0; i < len; i++) {
		uint32_t g = ids[i];
		if (g >= ng || !row_on(rows, i) || !fr_vec_valid(ts, i))
			continue;
		if (prev_found && !fr_bit_get(prev_found, g))
			continue;
		if (f64) {
			double t = ts->v.f64[i];
			if (isnan(t) || (prev_ts && !(t > ((const double *)prev_ts)[g])))
				continue;
			if (!nf[g] || t < ((double *)nt)[g])
				((double *)nt)[g] = t;
		} else {
			int64_t t = ts->v.i64[i];
			if (prev_ts && !(t > ((const int64_t *)prev_ts)[g]))
				continue;
			if (!nf[g] || t < ((int64_t *)nt)[g])
				((int64_t *)nt)[g] = t;
		}
		nf[g] = 1;
	}
	memset(out_found, 0, FR_BITMAP_WORDS(ng) * 8);
	for (uint32_t g = 0; g < ng; g++)
		if (nf[g])
			fr_bit_set(out_found, g);
	memcpy(out_ts, nt, (size_t)ng * sz);
	free(nf);
	free(nt);
	return 0;
}

WEAK void fr_kern_groups_to_rows(const uint32_t *ids, int64_t len, uint32_t ng,
                                 const uint64_t *groups, uint64_t *out)
{
	memset(out, 0, FR_BITMAP_WORDS(len) * 8);
	for (int64_t i = 0; i < len; i++)
		if (ids[i] < ng && fr_bit_get(groups, ids[i]))
			fr_bit_set(out, i);
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

WEAK int fr_kern_index_build(const fr_vec *keys, const uint64_t *sel, fr_arena *arena,
                             fr_kern_index *out, fr_err *err)
{
	int64_t n = keys->len;
	memset(out, 0, sizeof *out);
	if (n > FR_KERN_MAX_ROWS)
		return fr_err_set(err, FR_ELIMIT, "too many rows");
	if (keys->kind == FR_VEC_BIN)
		return fr_err_set(err, FR_EINVAL, "cannot index raw byte vectors");
	out->len = n;
	out->kind = keys->kind;
	out->ids = fr_arena_alloc(arena, (size_t)(n ? n : 1) * 4);
	out->domain = fr_arena_calloc(arena, FR_BITMAP_WORDS(n) + 1, 8);
	if (!out->ids || !out->domain)
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	uint64_t cap = 16;
	while (cap < (uint64_t)n * 2)
		cap <<= 1;
	uint32_t *ht = NULL;
	uint32_t *dmap = NULL;
	uint64_t *keybits = malloc((size_t)(n ? n : 1) * 8);
	if (keys->kind == FR_VEC_DICT)
		dmap = malloc((size_t)(keys->dict.n + 1) * 4);
	else
		ht = calloc(cap, 4);
	if (!keybits || (!ht && !dmap)) {
		free(keybits);
		free(ht);
		free(dmap);
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	}
	if (dmap)
		memset(dmap, 0xff, (size_t)(keys->dict.n + 1) * 4);
	uint32_t ng = 0;
	for (int64_t i = 0; i < n; i++) {
		out->ids[i] = FR_KERN_NOGROUP;
		if ((sel && !fr_bit_get(sel, i)) || !fr_vec_valid(keys, i))
			continue;
		uint64_t k;
		if (keys->kind == FR_VEC_F64) {
			double d = keys->v.f64[i];
			if (isnan(d))
				continue;
			if (d == 0)
				d = 0;
			memcpy(&k, &d, 8);
		} else if (keys->kind == FR_VEC_I64) {
			k = (uint64_t)keys->v.i64[i];
		} else if (keys->kind == FR_VEC_BOOL) {
			k = keys->v.b[i] != 0;
		} else {
			k = keys->v.codes[i];
			if (k >= keys->dict.n)
				continue;
			if (dmap[k] == UINT32_MAX) {
				dmap[k] = ng;
				keybits[ng++] = k;
			}
			out->ids[i] = dmap[k];
			fr_bit_set(out->domain, i);
			continue;
		}
		uint64_t h = mix(k) & (cap - 1);
		while (ht[h] && keybits[ht[h] - 1] != k)
			h = (h + 1) & (cap - 1);
		if (!ht[h]) {
			keybits[ng] = k;
			ht[h] = ++ng;
		}
		out->ids[i] = ht[h] - 1;
		fr_bit_set(out->domain, i);
	}
	out->n = ng;
	if (keys->kind == FR_VEC_F64)
		out->key_f64 = fr_arena_alloc(arena, (size_t)ng * 8 + 8);
	else if (keys->kind == FR_VEC_DICT)
		out->key_code = fr_arena_alloc(arena, (size_t)ng * 4 + 4);
	else
		out->key_i64 = fr_arena_alloc(arena, (size_t)ng * 8 + 8);
	if (!out->key_f64 && !out->key_code && !out->key_i64) {
		free(keybits);
		free(ht);
		free(dmap);
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	}
	for (uint32_t g = 0; g < ng; g++) {
		if (out->key_f64)
			memcpy(&out->key_f64[g], &keybits[g], 8);
		else if (out->key_code)
			out->key_code[g] = (uint32_t)keybits[g];
		else
			out->key_i64[g] = (int64_t)keybits[g];
	}
	free(keybits);
	free(ht);
	free(dmap);
	return 0;
}

WEAK int fr_kern_groups_per_value(const uint32_t *vids, uint32_t nv, const uint32_t *gids,
                                  uint32_t ng, int64_t len, const uint64_t *rows, uint32_t *out,
                                  fr_err *err)
{
	/* Rows of one group are not contiguous in general: remember the last group counted per
	 * value only works if sorted, so use a hash set of (value, group) pairs. */
	uint64_t cap = 16;
	while (cap < (uint64_t)len * 2)
		cap <<= 1;
	uint64_t *set = calloc(cap, 8);
	if (!set)
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	memset(out, 0, (size_t)nv * 4);
	for (int64_t i = 0; i < len; i++) {
		if (vids[i] >= nv || gids[i] >= ng || !row_on(rows, i))
			continue;
		uint64_t k = ((uint64_t)vids[i] << 32 | gids[i]) + 1;
		uint64_t h = mix(k) & (cap - 1);
		while (set[h] && set[h] != k)
			h = (h + 1) & (cap - 1);
		if (!set[h]) {
			set[h] = k;
			out[vids[i]]++;
		}
	}
	free(set);
	return 0;
}

WEAK int fr_kern_simd_set(fr_simd_mode mode, fr_err *err)
{
	if (mode != FR_SIMD_SCALAR)
		return fr_err_set(err, FR_EUNSUPPORTED, "only scalar kernels in this build");
	return 0;
}
