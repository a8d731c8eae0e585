/* In-memory data sets of query.md §7 (EV, TOP, the TC-64 parts) as fr_vec columns, so the
 * engine tests need no Parquet file. */
#ifndef FR_TEST_QUERY_TESTDATA_H
#define FR_TEST_QUERY_TESTDATA_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/vec.h"
#include "query/query.h"

#define NUL_S ((const char *)0)

static inline uint64_t *td_valid(fr_arena *a, const int *isnull, int64_t n, int64_t *nulls)
{
	*nulls = 0;
	for (int64_t i = 0; i < n; i++)
		*nulls += isnull[i] != 0;
	if (!*nulls)
		return NULL;
	uint64_t *v = fr_arena_calloc(a, FR_BITMAP_WORDS(n) + 1, 8);
	for (int64_t i = 0; i < n; i++)
		if (!isnull[i])
			fr_bit_set(v, i);
	return v;
}

static inline fr_vec *td_str(fr_arena *a, const char *const *vals, int64_t n)
{
	fr_vec *v = fr_arena_calloc(a, 1, sizeof *v);
	int *isnull = calloc((size_t)n + 1, sizeof(int));
	const char **dict = calloc((size_t)n + 1, sizeof(char *));
	uint32_t nd = 0;
	v->kind = FR_VEC_DICT;
	v->len = n;
	v->v.codes = fr_arena_calloc(a, (size_t)n + 1, 4);
	for (int64_t i = 0; i < n; i++) {
		if (!vals[i]) {
			isnull[i] = 1;
			continue;
		}
		uint32_t k;
		for (k = 0; k < nd && strcmp(dict[k], vals[i]); k++)
			;
		if (k == nd)
			dict[nd++] = vals[i];
		v->v.codes[i] = k;
	}
	int64_t *off = fr_arena_calloc(a, nd + 1, 8);
	size_t total = 0;
	for (uint32_t k = 0; k < nd; k++)
		total += strlen(dict[k]);
	uint8_t *data = fr_arena_alloc(a, total + 1);
	for (uint32_t k = 0; k < nd; k++) {
		size_t l = strlen(dict[k]);
		memcpy(data + off[k], dict[k], l);
		off[k + 1] = off[k] + (int64_t)l;
	}
	v->dict.n = nd;
	v->dict.off = off;
	v->dict.data = data;
	v->valid = td_valid(a, isnull, n, &v->null_count);
	free(isnull);
	free(dict);
	return v;
}

static inline fr_vec *td_i64(fr_arena *a, const int64_t *vals, const int *isnull, int64_t n)
{
	fr_vec *v = fr_arena_calloc(a, 1, sizeof *v);
	int *zn = calloc((size_t)n + 1, sizeof(int));
	v->kind = FR_VEC_I64;
	v->len = n;
	v->v.i64 = fr_arena_calloc(a, (size_t)n + 1, 8);
	for (int64_t i = 0; i < n; i++)
		v->v.i64[i] = isnull && isnull[i] ? 0 : vals[i];
	v->valid = td_valid(a, isnull ? isnull : zn, n, &v->null_count);
	free(zn);
	return v;
}

static inline fr_vec *td_f64(fr_arena *a, const double *vals, int64_t n)
{
	fr_vec *v = fr_arena_calloc(a, 1, sizeof *v);
	int *isnull = calloc((size_t)n + 1, sizeof(int));
	v->kind = FR_VEC_F64;
	v->len = n;
	v->v.f64 = fr_arena_calloc(a, (size_t)n + 1, 8);
	for (int64_t i = 0; i < n; i++) {
		isnull[i] = isnan(vals[i]);
		v->v.f64[i] = isnull[i] ? 0 : vals[i];
	}
	v->valid = td_valid(a, isnull, n, &v->null_count);
	free(isnull);
	return v;
}

static inline fr_vec *td_bool(fr_arena *a, const uint8_t *vals, int64_t n)
{
	fr_vec *v = fr_arena_calloc(a, 1, sizeof *v);
	v->kind = FR_VEC_BOOL;
	v->len = n;
	v->v.b = fr_arena_calloc(a, (size_t)n + 1, 1);
	memcpy(v->v.b, vals, (size_t)n);
	return v;
}

/* ---- EV (query.md §7.1) ---- */
enum { EV_UID, EV_TS, EV_EVENT, EV_PRICE, EV_QTY, EV_FLAG, EV_TAG, EV_NCOLS };
static const char *ev_names[EV_NCOLS] = { "uid", "ts", "event", "price", "qty", "flag", "tag" };
static const fr_coltype ev_types[EV_NCOLS] = { FR_TYPE_STRING, FR_TYPE_INT, FR_TYPE_STRING,
                                               FR_TYPE_FLOAT, FR_TYPE_INT, FR_TYPE_BOOL,
                                               FR_TYPE_STRING };
static const fr_qschema ev_schema = { EV_NCOLS, ev_names, ev_types, EV_UID, EV_TS };

static const char *ev_uid[12] = { "u1", "u1", "u1", "u2", "u2", "u2", "u3", "u3", "u4", "u5",
                                  "u5", "u5" };
static const int64_t ev_ts[12] = { 100, 200, 300, 100, 150, 150, 120, 130, 500, 110, 110, 140 };
static const char *ev_event[12] = { "view", "cart", "buy", "view", "view", "cart", "buy", "view",
                                    "view", "cart", "buy", NUL_S };
static const double ev_price[12] = { 10.0, 10.0, 25.5, NAN, 5.0, 5.0, 8.0, 2.0, NAN, 3.0, 3.0,
                                     7.0 };
static const int64_t ev_qty[12] = { 1, 1, 2, 1, 3, 1, 1, 1, 4, 1, 1, 2 };
static const uint8_t ev_flag[12] = { 1, 1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 0 };
static const char *ev_tag[12] = { "red shoes", "red shoes", "blue hat", "Red Shoes", NUL_S,
                                  "green", "hat", "blue hat", NUL_S, "shoes", "shoes", "hat" };

/* Rows [from, to) of EV as one part; cols must hold EV_NCOLS pointers. */
static inline void ev_part(fr_arena *a, int from, int to, const fr_vec **cols, fr_qpart *p)
{
	int n = to - from;
	cols[EV_UID] = td_str(a, ev_uid + from, n);
	cols[EV_TS] = td_i64(a, ev_ts + from, NULL, n);
	cols[EV_EVENT] = td_str(a, ev_event + from, n);
	cols[EV_PRICE] = td_f64(a, ev_price + from, n);
	cols[EV_QTY] = td_i64(a, ev_qty + from, NULL, n);
	cols[EV_FLAG] = td_bool(a, ev_flag + from, n);
	cols[EV_TAG] = td_str(a, ev_tag + from, n);
	memset(p, 0, sizeof *p);
	p->nrows = n;
	p->cols = cols;
}

/* ---- TOP (TC-63/64): g STRING group, ts INT, k STRING, v FLOAT ---- */
enum { TOP_G, TOP_TS, TOP_K, TOP_V, TOP_NCOLS };
static const char *top_names[TOP_NCOLS] = { "g", "ts", "k", "v" };
static const fr_coltype top_types[TOP_NCOLS] = { FR_TYPE_STRING, FR_TYPE_INT, FR_TYPE_STRING,
                                                 FR_TYPE_FLOAT };
static const fr_qschema top_schema = { TOP_NCOLS, top_names, top_types, TOP_G, TOP_TS };

/* Builds a TOP-shaped part from parallel arrays. */
static inline void top_part(fr_arena *a, const char **g, const int64_t *ts, const char **k,
                     const double *v, int n, const fr_vec **cols, fr_qpart *p)
{
	cols[TOP_G] = td_str(a, g, n);
	cols[TOP_TS] = td_i64(a, ts, NULL, n);
	cols[TOP_K] = td_str(a, k, n);
	cols[TOP_V] = td_f64(a, v, n);
	memset(p, 0, sizeof *p);
	p->nrows = n;
	p->cols = cols;
}

#endif
