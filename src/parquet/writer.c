/* Parquet writer: encodes each column chunk of a row group straight from its fr_vec (dictionary
 * or PLAIN values, RLE definition levels, v1 or v2 data pages), compresses pages with reused
 * buffers, and keeps only the small per-chunk metadata needed for the footer. */
#include "config.h"
#include "parquet/writer.h"
#include "parquet/compress.h"
#include "parquet/encode.h"
#include "parquet/format.h"
#include "parquet/thrift_enc.h"
#include "core/buf.h"
#include "core/hash.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_DICT_LIMIT (1u << 20)
#define DEFAULT_PAGE_SIZE (1u << 20)
/* Statistics longer than this are left out rather than bloating the footer. */
#define MAX_STAT_LEN 1024
/* After this many values, an integer dictionary holding more than half of them is abandoned:
 * timestamps and ids would only pay for hashing. */
#define DICT_PROBE 8192

typedef struct chunk_meta {
	int64_t data_off, dict_off;   /* dict_off 0: no dictionary page */
	int64_t uncomp, comp;         /* page headers included */
	int64_t null_count;
	int dict;
	int has_minmax;
	size_t min_off, max_off;      /* into fr_pqw.statbuf */
	uint32_t min_len, max_len;
} chunk_meta;

typedef struct rg_meta {
	int64_t rows, uncomp, comp, offset;
	chunk_meta *cols;
} rg_meta;

struct fr_pqw {
	char *path;
	FILE *f;
	uint64_t pos;
	int ncols;
	fr_pqw_col *cols;
	fr_pqw_opts o;
	fr_pq_compressor *comp;
	rg_meta *rgs;
	int nrg, caprg;
	fr_buf statbuf;
	/* Scratch reused across chunks and row groups. */
	fr_buf page, cpage, hdr;
	uint32_t *codes;
	size_t codes_cap;
	uint32_t *slots;
	size_t slots_cap;             /* power of two */
	int64_t *ikeys;
	const uint8_t **sptr;
	uint32_t *slen, *shash;
	size_t ent_cap;
	uint32_t *remap;
	size_t remap_cap;
	int failed;                   /* a row group failed half-way: the file is unusable */
};

void fr_pqw_opts_default(fr_pqw_opts *o)
{
	memset(o, 0, sizeof *o);
	o->codec = FR_PQ_CODEC_SNAPPY;
	o->dictionary = 1;
	o->dict_limit = DEFAULT_DICT_LIMIT;
	o->page_size = DEFAULT_PAGE_SIZE;
}

uint64_t fr_pqw_bytes_written(const fr_pqw *w)
{
	return w->pos;
}

void fr_pqw_release_scratch(fr_pqw *w)
{
	/* The codec's context too (zstd's is about a megabyte): made again by the next page. */
	fr_pq_compressor_free(w->comp);
	w->comp = NULL;
	fr_buf_free(&w->page);
	fr_buf_free(&w->cpage);
	fr_buf_free(&w->hdr);
	free(w->codes);
	free(w->slots);
	free(w->ikeys);
	free(w->sptr);
	free(w->slen);
	free(w->shash);
	free(w->remap);
	w->codes = w->slots = w->slen = w->shash = w->remap = NULL;
	w->ikeys = NULL;
	w->sptr = NULL;
	w->codes_cap = w->slots_cap = w->ent_cap = w->remap_cap = 0;
}

static void free_writer(fr_pqw *w)
{
	if (!w)
		return;
	if (w->f)
		fclose(w->f);
	if (w->cols)
		for (int i = 0; i < w->ncols; i++)
			free((char *)w->cols[i].name);
	free(w->cols);
	for (int i = 0; i < w->nrg; i++)
		free(w->rgs[i].cols);
	free(w->rgs);
	fr_buf_free(&w->statbuf);
	fr_pqw_release_scratch(w);
	free(w->path);
	free(w);
}

void fr_pqw_abort(fr_pqw *w)
{
	if (!w)
		return;
	if (w->f) {
		fclose(w->f);
		w->f = NULL;
	}
	if (w->path)
		unlink(w->path);
	free_writer(w);
}

/* Compresses a page with the writer's codec, making its context again when
 * fr_pqw_release_scratch dropped it. */
static int compress(fr_pqw *w, const void *src, size_t n, fr_buf *dst, fr_err *err)
{
	if (!w->comp && fr_pq_compressor_new(w->o.codec, w->o.level, &w->comp, err))
		return err->code;
	return fr_pq_compress(w->comp, src, n, dst, err);
}

static int out(fr_pqw *w, const void *p, size_t n, fr_err *err)
{
	if (n && fwrite(p, 1, n, w->f) != n)
		return fr_err_set(err, FR_EIO, "%s: write failed: %s", w->path, strerror(errno));
	w->pos += n;
	return 0;
}

int fr_pqw_open(const char *path, const fr_pqw_col *cols, int ncols, const fr_pqw_opts *o,
	fr_pqw **outp, fr_err *err)
{
	*outp = NULL;
	if (ncols <= 0)
		return fr_err_set(err, FR_EINVAL, "%s: a Parquet file needs at least one column", path);
	for (int i = 0; i < ncols; i++) {
		int t = cols[i].type;
		if (t != FR_PQ_BOOLEAN && t != FR_PQ_INT32 && t != FR_PQ_INT64 && t != FR_PQ_FLOAT &&
		    t != FR_PQ_DOUBLE && t != FR_PQ_BYTE_ARRAY)
			return fr_err_set(err, FR_EUNSUPPORTED, "%s: column %s: physical type %d "
				"is not supported by the writer", path, cols[i].name, t);
		if (!cols[i].name)
			return fr_err_set(err, FR_EINVAL, "%s: column %d has no name", path, i);
	}
	fr_pqw *w = calloc(1, sizeof *w);
	if (!w)
		return fr_err_set(err, FR_ENOMEM, "%s: out of memory", path);
	if (o)
		w->o = *o;
	else
		fr_pqw_opts_default(&w->o);
	if (!w->o.dict_limit)
		w->o.dict_limit = DEFAULT_DICT_LIMIT;
	if (!w->o.page_size)
		w->o.page_size = DEFAULT_PAGE_SIZE;
	w->ncols = ncols;
	w->path = strdup(path);
	w->cols = calloc((size_t)ncols, sizeof *w->cols);
	if (!w->path || !w->cols) {
		free_writer(w);
		return fr_err_set(err, FR_ENOMEM, "%s: out of memory", path);
	}
	for (int i = 0; i < ncols; i++) {
		w->cols[i] = cols[i];
		w->cols[i].name = strdup(cols[i].name);
		if (!w->cols[i].name) {
			free_writer(w);
			return fr_err_set(err, FR_ENOMEM, "%s: out of memory", path);
		}
	}
	/* The codec is checked here; its context is made by the first page (gzip's is a quarter
	 * of a megabyte, held for nothing by writers that wait for rows). */
	if (fr_pq_compressor_new(w->o.codec, w->o.level, &w->comp, err)) {
		fr_err_prefix(err, "%s", path);
		free_writer(w);
		return err->code;
	}
	fr_pq_compressor_free(w->comp);
	w->comp = NULL;
	w->f = fopen(path, "wb");
	if (!w->f) {
		fr_err_set(err, FR_EIO, "%s: cannot create: %s", path, strerror(errno));
		free_writer(w);
		return err->code;
	}
	/* Large stdio buffer: pages go out in few write(2) calls. */
	setvbuf(w->f, NULL, _IOFBF, w->o.io_buffer ? w->o.io_buffer : 1 << 20);
	if (out(w, "PAR1", 4, err)) {
		fr_pqw_abort(w);
		return err->code;
	}
	*outp = w;
	return 0;
}

/* ---- scratch growth ---------------------------------------------------------------- */

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	size_t c = *cap ? *cap : 1024;
	while (c < need)
		c *= 2;
	void *q = realloc(*p, c * elem);
	if (!q)
		return FR_ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

static int grow_entries(fr_pqw *w, size_t need)
{
	if (need <= w->ent_cap)
		return 0;
	size_t c = w->ent_cap ? w->ent_cap * 2 : 1024;
	while (c < need)
		c *= 2;
	int64_t *k = realloc(w->ikeys, c * sizeof *k);
	if (!k)
		return FR_ENOMEM;
	w->ikeys = k;
	const uint8_t **sp = realloc(w->sptr, c * sizeof *sp);
	if (!sp)
		return FR_ENOMEM;
	w->sptr = sp;
	uint32_t *sl = realloc(w->slen, c * sizeof *sl);
	if (!sl)
		return FR_ENOMEM;
	w->slen = sl;
	uint32_t *sh = realloc(w->shash, c * sizeof *sh);
	if (!sh)
		return FR_ENOMEM;
	w->shash = sh;
	w->ent_cap = c;
	return 0;
}

static int reset_slots(fr_pqw *w, size_t cap)
{
	if (cap > w->slots_cap) {
		uint32_t *s = realloc(w->slots, cap * sizeof *s);
		if (!s)
			return FR_ENOMEM;
		w->slots = s;
		w->slots_cap = cap;
	}
	memset(w->slots, 0, cap * sizeof *w->slots);
	return 0;
}

static inline uint32_t hash_i64(int64_t x)
{
	uint64_t h = (uint64_t)x * 0x9E3779B97F4A7C15ull;
	return (uint32_t)(h >> 32) ^ (uint32_t)h;
}

/* ---- row helpers ----------------------------------------------------------------------- */

static int64_t count_valid(const uint64_t *bm, int64_t from, int64_t n)
{
	int64_t c = 0;
	int64_t i = from, end = from + n;
	while (i < end && (i & 63)) {
		c += (bm[i >> 6] >> (i & 63)) & 1;
		i++;
	}
	for (; i + 64 <= end; i += 64)
		c += __builtin_popcountll(bm[i >> 6]);
	for (; i < end; i++)
		c += (bm[i >> 6] >> (i & 63)) & 1;
	return c;
}

static inline void row_str(const fr_vec *v, int64_t r, const uint8_t **p, uint32_t *n)
{
	int64_t k = v->kind == FR_VEC_DICT ? v->v.codes[r] : r;
	*p = v->dict.data + v->dict.off[k];
	*n = (uint32_t)(v->dict.off[k + 1] - v->dict.off[k]);
}

/* ---- statistics ---------------------------------------------------------------------- */

static int put_stat(fr_pqw *w, chunk_meta *m, const void *mn, size_t mnl, const void *mx,
	size_t mxl)
{
	if (mnl > MAX_STAT_LEN || mxl > MAX_STAT_LEN)
		return 0;
	m->min_off = w->statbuf.len;
	m->min_len = (uint32_t)mnl;
	if (fr_buf_append(&w->statbuf, mn, mnl))
		return FR_ENOMEM;
	m->max_off = w->statbuf.len;
	m->max_len = (uint32_t)mxl;
	if (fr_buf_append(&w->statbuf, mx, mxl))
		return FR_ENOMEM;
	m->has_minmax = 1;
	return 0;
}

static int lt_bytes(const uint8_t *a, uint32_t an, const uint8_t *b, uint32_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);
	return c < 0 || (c == 0 && an < bn);
}

/* Min/max of the non-null values; INT32 columns are range-checked here. */
static int chunk_stats(fr_pqw *w, int col, const fr_vec *v, int64_t nrows, int64_t nn,
	chunk_meta *m, fr_err *err)
{
	const fr_pqw_col *c = &w->cols[col];
	const uint64_t *bm = v->valid;
	if (nn == 0)
		return 0;
	switch (c->type) {
	case FR_PQ_BOOLEAN: {
		uint8_t mn = 1, mx = 0;
		for (int64_t r = 0; r < nrows; r++)
			if (!bm || fr_bit_get(bm, r)) {
				uint8_t b = v->v.b[r] != 0;
				mn &= b;
				mx |= b;
			}
		return put_stat(w, m, &mn, 1, &mx, 1) ? FR_ENOMEM : 0;
	}
	case FR_PQ_INT32:
	case FR_PQ_INT64: {
		int64_t mn = INT64_MAX, mx = INT64_MIN;
		const int64_t *x = v->v.i64;
		if (!bm) {
			for (int64_t r = 0; r < nrows; r++) {
				mn = x[r] < mn ? x[r] : mn;
				mx = x[r] > mx ? x[r] : mx;
			}
		} else {
			for (int64_t r = 0; r < nrows; r++)
				if (fr_bit_get(bm, r)) {
					mn = x[r] < mn ? x[r] : mn;
					mx = x[r] > mx ? x[r] : mx;
				}
		}
		if (c->type == FR_PQ_INT64)
			return put_stat(w, m, &mn, 8, &mx, 8) ? FR_ENOMEM : 0;
		if (mn < INT32_MIN || mx > INT32_MAX)
			return fr_err_set(err, FR_EINVAL, "%s: column %s: value %lld does not fit INT32",
				w->path, c->name, (long long)(mn < INT32_MIN ? mn : mx));
		int32_t a = (int32_t)mn, b = (int32_t)mx;
		return put_stat(w, m, &a, 4, &b, 4) ? FR_ENOMEM : 0;
	}
	case FR_PQ_FLOAT:
	case FR_PQ_DOUBLE: {
		/* NaN never enters min/max (readers ignore a NaN bound); all-NaN chunks get none.
		 * Zero bounds are widened to -0/+0 as the format asks, so a sign never misleads. */
		double mn = INFINITY, mx = -INFINITY;
		int any = 0;
		const double *x = v->v.f64;
		for (int64_t r = 0; r < nrows; r++) {
			if (bm && !fr_bit_get(bm, r))
				continue;
			double d = c->type == FR_PQ_FLOAT ? (double)(float)x[r] : x[r];
			if (isnan(d))
				continue;
			any = 1;
			mn = d < mn ? d : mn;
			mx = d > mx ? d : mx;
		}
		if (!any)
			return 0;
		if (mn == 0)
			mn = -0.0;
		if (mx == 0)
			mx = 0.0;
		if (c->type == FR_PQ_DOUBLE)
			return put_stat(w, m, &mn, 8, &mx, 8) ? FR_ENOMEM : 0;
		float a = (float)mn, b = (float)mx;
		return put_stat(w, m, &a, 4, &b, 4) ? FR_ENOMEM : 0;
	}
	case FR_PQ_BYTE_ARRAY: {
		const uint8_t *mnp = NULL, *mxp = NULL;
		uint32_t mnl = 0, mxl = 0;
		for (int64_t r = 0; r < nrows; r++) {
			if (bm && !fr_bit_get(bm, r))
				continue;
			const uint8_t *p;
			uint32_t n;
			row_str(v, r, &p, &n);
			if (!mnp || lt_bytes(p, n, mnp, mnl)) {
				mnp = p;
				mnl = n;
			}
			if (!mxp || lt_bytes(mxp, mxl, p, n)) {
				mxp = p;
				mxl = n;
			}
		}
		return put_stat(w, m, mnp, mnl, mxp, mxl) ? FR_ENOMEM : 0;
	}
	}
	return 0;
}

static int dict_str_stats(fr_pqw *w, size_t nd, chunk_meta *m)
{
	size_t mn = 0, mx = 0;
	for (size_t i = 1; i < nd; i++) {
		if (lt_bytes(w->sptr[i], w->slen[i], w->sptr[mn], w->slen[mn]))
			mn = i;
		if (lt_bytes(w->sptr[mx], w->slen[mx], w->sptr[i], w->slen[i]))
			mx = i;
	}
	return put_stat(w, m, w->sptr[mn], w->slen[mn], w->sptr[mx], w->slen[mx]);
}

/* ---- dictionaries -------------------------------------------------------------------- */

/* Builds w->codes (one per non-null value) and the entries (w->ikeys or w->sptr/slen).
 * Returns the number of entries, or 0 when a dictionary is not worth it or too large. */
static size_t build_dict(fr_pqw *w, int col, const fr_vec *v, int64_t nrows, int64_t nn,
	size_t *dict_bytes, size_t *plain_bytes, int *oom)
{
	const fr_pqw_col *c = &w->cols[col];
	const uint64_t *bm = v->valid;
	*oom = 0;
	*dict_bytes = 0;
	*plain_bytes = 0;
	if (!w->o.dictionary || nn == 0)
		return 0;
	if (grow((void **)&w->codes, &w->codes_cap, (size_t)nn, sizeof *w->codes)) {
		*oom = 1;
		return 0;
	}
	size_t nd = 0, bytes = 0;
	int64_t k = 0;
	if (c->type == FR_PQ_INT32 || c->type == FR_PQ_INT64) {
		size_t width = c->type == FR_PQ_INT32 ? 4 : 8;
		size_t cap = 4096;
		if (reset_slots(w, cap)) {
			*oom = 1;
			return 0;
		}
		const int64_t *x = v->v.i64;
		for (int64_t r = 0; r < nrows; r++) {
			if (bm && !fr_bit_get(bm, r))
				continue;
			int64_t key = x[r];
			size_t mask = cap - 1, s = hash_i64(key) & mask;
			uint32_t code;
			for (;;) {
				uint32_t e = w->slots[s];
				if (!e) {
					if (grow_entries(w, nd + 1)) {
						*oom = 1;
						return 0;
					}
					w->ikeys[nd] = key;
					code = (uint32_t)nd++;
					w->slots[s] = code + 1;
					bytes += width;
					break;
				}
				if (w->ikeys[e - 1] == key) {
					code = e - 1;
					break;
				}
				s = (s + 1) & mask;
			}
			w->codes[k++] = code;
			if (bytes > w->o.dict_limit || (k == DICT_PROBE && nd > DICT_PROBE / 2))
				return 0;
			if (nd * 2 > cap) {
				cap *= 2;
				if (reset_slots(w, cap)) {
					*oom = 1;
					return 0;
				}
				for (size_t i = 0; i < nd; i++) {
					size_t t = hash_i64(w->ikeys[i]) & (cap - 1);
					while (w->slots[t])
						t = (t + 1) & (cap - 1);
					w->slots[t] = (uint32_t)i + 1;
				}
			}
		}
		*dict_bytes = bytes;
		return nd;
	}
	if (c->type != FR_PQ_BYTE_ARRAY)
		return 0;
	if (v->kind == FR_VEC_DICT) {
		/* The input is already dictionary-coded: renumber the codes this chunk uses, in
		 * order of first use, without hashing a single string. */
		size_t n = v->dict.n;
		if (grow((void **)&w->remap, &w->remap_cap, n ? n : 1, sizeof *w->remap)) {
			*oom = 1;
			return 0;
		}
		memset(w->remap, 0xff, n * sizeof *w->remap);
		for (int64_t r = 0; r < nrows; r++) {
			if (bm && !fr_bit_get(bm, r))
				continue;
			uint32_t src = v->v.codes[r];
			uint32_t dst = w->remap[src];
			*plain_bytes += 4 + (size_t)(v->dict.off[src + 1] - v->dict.off[src]);
			if (dst == UINT32_MAX) {
				if (grow_entries(w, nd + 1)) {
					*oom = 1;
					return 0;
				}
				const uint8_t *p = v->dict.data + v->dict.off[src];
				uint32_t len = (uint32_t)(v->dict.off[src + 1] - v->dict.off[src]);
				w->sptr[nd] = p;
				w->slen[nd] = len;
				dst = (uint32_t)nd++;
				w->remap[src] = dst;
				bytes += 4 + (size_t)len;
				if (bytes > w->o.dict_limit)
					return 0;
			}
			w->codes[k++] = dst;
		}
		*dict_bytes = bytes;
		return nd;
	}
	size_t cap = 4096;
	if (reset_slots(w, cap)) {
		*oom = 1;
		return 0;
	}
	for (int64_t r = 0; r < nrows; r++) {
		if (bm && !fr_bit_get(bm, r))
			continue;
		const uint8_t *p;
		uint32_t len;
		row_str(v, r, &p, &len);
		*plain_bytes += 4 + (size_t)len;
		uint32_t h = (uint32_t)fr_hash_bytes(p, len);
		size_t mask = cap - 1, s = h & mask;
		uint32_t code;
		for (;;) {
			uint32_t e = w->slots[s];
			if (!e) {
				if (grow_entries(w, nd + 1)) {
					*oom = 1;
					return 0;
				}
				w->sptr[nd] = p;
				w->slen[nd] = len;
				w->shash[nd] = h;
				code = (uint32_t)nd++;
				w->slots[s] = code + 1;
				bytes += 4 + (size_t)len;
				break;
			}
			if (w->shash[e - 1] == h && w->slen[e - 1] == len &&
			    !memcmp(w->sptr[e - 1], p, len)) {
				code = e - 1;
				break;
			}
			s = (s + 1) & mask;
		}
		w->codes[k++] = code;
		if (bytes > w->o.dict_limit)
			return 0;
		if (nd * 2 > cap) {
			cap *= 2;
			if (reset_slots(w, cap)) {
				*oom = 1;
				return 0;
			}
			for (size_t i = 0; i < nd; i++) {
				size_t t = w->shash[i] & (cap - 1);
				while (w->slots[t])
					t = (t + 1) & (cap - 1);
				w->slots[t] = (uint32_t)i + 1;
			}
		}
	}
	*dict_bytes = bytes;
	return nd;
}

/* ---- pages ----------------------------------------------------------------------------- */

/* Writes one page: header then body (w->cpage). */
static int emit_page(fr_pqw *w, chunk_meta *m, int type, size_t uncomp, int32_t nvalues,
	int32_t nnulls, int32_t nrows, int encoding, int32_t def_len, fr_err *err)
{
	if (uncomp > INT32_MAX || w->cpage.len > INT32_MAX)
		return fr_err_set(err, FR_ELIMIT, "%s: a page of %zu bytes is larger than Parquet "
			"allows", w->path, uncomp);
	fr_buf_reset(&w->hdr);
	fr_tenc t;
	fr_tenc_init(&t, &w->hdr);
	fr_tenc_i32(&t, 1, type);
	fr_tenc_i32(&t, 2, (int32_t)uncomp);
	fr_tenc_i32(&t, 3, (int32_t)w->cpage.len);
	if (type == FR_PQ_PAGE_DICTIONARY_PAGE) {
		fr_tenc_struct_begin(&t, 7);
		fr_tenc_i32(&t, 1, nvalues);
		fr_tenc_i32(&t, 2, FR_PQ_ENC_PLAIN);
		fr_tenc_struct_end(&t);
	} else if (type == FR_PQ_PAGE_DATA_PAGE) {
		fr_tenc_struct_begin(&t, 5);
		fr_tenc_i32(&t, 1, nvalues);
		fr_tenc_i32(&t, 2, encoding);
		fr_tenc_i32(&t, 3, FR_PQ_ENC_RLE);
		fr_tenc_i32(&t, 4, FR_PQ_ENC_RLE);
		fr_tenc_struct_end(&t);
	} else {
		fr_tenc_struct_begin(&t, 8);
		fr_tenc_i32(&t, 1, nvalues);
		fr_tenc_i32(&t, 2, nnulls);
		fr_tenc_i32(&t, 3, nrows);
		fr_tenc_i32(&t, 4, encoding);
		fr_tenc_i32(&t, 5, def_len);
		fr_tenc_i32(&t, 6, 0);
		fr_tenc_bool(&t, 7, w->o.codec != FR_PQ_CODEC_UNCOMPRESSED);
		fr_tenc_struct_end(&t);
	}
	if (fr_tenc_finish(&t))
		return fr_err_set(err, FR_ENOMEM, "%s: out of memory", w->path);
	if (out(w, w->hdr.data, w->hdr.len, err) || out(w, w->cpage.data, w->cpage.len, err))
		return err->code;
	m->uncomp += (int64_t)(w->hdr.len + uncomp);
	m->comp += (int64_t)(w->hdr.len + w->cpage.len);
	return 0;
}

static int put_values_plain(fr_pqw *w, int col, const fr_vec *v, int64_t r0, int64_t r1,
	int64_t nv)
{
	const fr_pqw_col *c = &w->cols[col];
	const uint64_t *bm = v->valid;
	fr_buf *b = &w->page;
	switch (c->type) {
	case FR_PQ_BOOLEAN: {
		if (fr_buf_reserve(b, (size_t)(nv + 7) / 8))
			return FR_ENOMEM;
		uint8_t *p = b->data + b->len;
		memset(p, 0, (size_t)(nv + 7) / 8);
		int64_t k = 0;
		for (int64_t r = r0; r < r1; r++)
			if (!bm || fr_bit_get(bm, r)) {
				if (v->v.b[r])
					p[k >> 3] |= (uint8_t)(1u << (k & 7));
				k++;
			}
		b->len += (size_t)(nv + 7) / 8;
		return 0;
	}
	case FR_PQ_INT32:
	case FR_PQ_FLOAT: {
		if (fr_buf_reserve(b, (size_t)nv * 4))
			return FR_ENOMEM;
		uint8_t *p = b->data + b->len;
		for (int64_t r = r0; r < r1; r++)
			if (!bm || fr_bit_get(bm, r)) {
				if (c->type == FR_PQ_INT32) {
					int32_t x = (int32_t)v->v.i64[r];
					memcpy(p, &x, 4);
				} else {
					float x = (float)v->v.f64[r];
					memcpy(p, &x, 4);
				}
				p += 4;
			}
		b->len += (size_t)nv * 4;
		return 0;
	}
	case FR_PQ_INT64:
	case FR_PQ_DOUBLE: {
		const uint8_t *src = c->type == FR_PQ_INT64 ? (const uint8_t *)v->v.i64
			: (const uint8_t *)v->v.f64;
		if (!bm)
			return fr_buf_append(b, src + r0 * 8, (size_t)(r1 - r0) * 8);
		if (fr_buf_reserve(b, (size_t)nv * 8))
			return FR_ENOMEM;
		uint8_t *p = b->data + b->len;
		for (int64_t r = r0; r < r1; r++)
			if (fr_bit_get(bm, r)) {
				memcpy(p, src + r * 8, 8);
				p += 8;
			}
		b->len += (size_t)nv * 8;
		return 0;
	}
	case FR_PQ_BYTE_ARRAY:
		for (int64_t r = r0; r < r1; r++)
			if (!bm || fr_bit_get(bm, r)) {
				const uint8_t *p;
				uint32_t n;
				row_str(v, r, &p, &n);
				if (fr_buf_put_u32le(b, n) || fr_buf_append(b, p, n))
					return FR_ENOMEM;
			}
		return 0;
	}
	return 0;
}

/* Definition levels of rows [r0, r1) appended to w->page. */
static int put_levels(fr_pqw *w, const fr_vec *v, int64_t r0, int64_t r1)
{
	if (v->valid)
		return fr_pq_rle_encode_bits(v->valid, r0, (size_t)(r1 - r0), &w->page);
	/* No nulls: one RLE run of 1s. */
	uint8_t x[11];
	size_t k = 0;
	uint64_t h = (uint64_t)(r1 - r0) << 1;
	while (h >= 0x80) {
		x[k++] = (uint8_t)(h | 0x80);
		h >>= 7;
	}
	x[k++] = (uint8_t)h;
	x[k++] = 1;
	return fr_buf_append(&w->page, x, k);
}

static int write_chunk(fr_pqw *w, int col, const fr_vec *v, int64_t nrows, chunk_meta *m,
	fr_err *err)
{
	const fr_pqw_col *c = &w->cols[col];
	memset(m, 0, sizeof *m);
	int64_t nn = v->valid ? count_valid(v->valid, 0, nrows) : nrows;
	m->null_count = nrows - nn;
	if (!c->optional && nn != nrows)
		return fr_err_set(err, FR_EINVAL, "%s: column %s is required but has %lld nulls",
			w->path, c->name, (long long)(nrows - nn));
	/* INT32 range errors surface here, before anything of the chunk is written. */
	int rc = c->type == FR_PQ_BYTE_ARRAY ? 0 : chunk_stats(w, col, v, nrows, nn, m, err);
	if (rc)
		return rc == FR_ENOMEM ? fr_err_set(err, FR_ENOMEM, "%s: out of memory", w->path) : rc;

	size_t dict_bytes = 0, plain = 0;
	int oom = 0;
	size_t nd = build_dict(w, col, v, nrows, nn, &dict_bytes, &plain, &oom);
	if (oom)
		return fr_err_set(err, FR_ENOMEM, "%s: column %s: out of memory building a "
			"dictionary", w->path, c->name);
	if (c->type == FR_PQ_BYTE_ARRAY) {
		/* String bounds from the distinct entries when there is a dictionary: far fewer
		 * comparisons than one per row. */
		if (nd)
			rc = dict_str_stats(w, nd, m);
		else
			rc = chunk_stats(w, col, v, nrows, nn, m, err);
		if (rc)
			return fr_err_set(err, FR_ENOMEM, "%s: out of memory", w->path);
	}
	int bw = nd ? fr_pq_bit_width((uint32_t)(nd - 1)) : 0;
	if (nd) {
		/* Keep the dictionary only when it is smaller than PLAIN would be. */
		if (c->type != FR_PQ_BYTE_ARRAY)
			plain = (size_t)nn * (c->type == FR_PQ_INT32 ? 4 : 8);
		size_t coded = dict_bytes + ((size_t)nn * (size_t)bw + 7) / 8;
		if (coded >= plain)
			nd = 0;
	}
	m->dict = nd > 0;

	/* Dictionary page. */
	if (nd) {
		m->dict_off = (int64_t)w->pos;
		fr_buf_reset(&w->page);
		if (fr_buf_reserve(&w->page, dict_bytes))
			return fr_err_set(err, FR_ENOMEM, "%s: out of memory", w->path);
		for (size_t i = 0; i < nd; i++) {
			if (c->type == FR_PQ_INT64) {
				memcpy(w->page.data + w->page.len, &w->ikeys[i], 8);
				w->page.len += 8;
			} else if (c->type == FR_PQ_INT32) {
				int32_t x = (int32_t)w->ikeys[i];
				memcpy(w->page.data + w->page.len, &x, 4);
				w->page.len += 4;
			} else {
				uint32_t n = w->slen[i];
				memcpy(w->page.data + w->page.len, &n, 4);
				memcpy(w->page.data + w->page.len + 4, w->sptr[i], n);
				w->page.len += 4 + (size_t)n;
			}
		}
		fr_buf_reset(&w->cpage);
		if (compress(w, w->page.data, w->page.len, &w->cpage, err))
			return fr_err_prefix(err, "%s: column %s", w->path, c->name);
		if (emit_page(w, m, FR_PQ_PAGE_DICTIONARY_PAGE, w->page.len, (int32_t)nd, 0, 0, 0, 0,
				err))
			return err->code;
	}

	/* Rows per data page from the average encoded value size. */
	double per_value;
	if (nd)
		per_value = bw / 8.0;
	else if (c->type == FR_PQ_BOOLEAN)
		per_value = 1 / 8.0;
	else if (c->type == FR_PQ_INT32 || c->type == FR_PQ_FLOAT)
		per_value = 4;
	else if (c->type == FR_PQ_INT64 || c->type == FR_PQ_DOUBLE)
		per_value = 8;
	else {
		/* Average string length over a sample of rows: cheap and good enough. */
		int64_t step = nrows > 1024 ? nrows / 1024 : 1, cnt = 0;
		double tot = 0;
		for (int64_t r = 0; r < nrows; r += step)
			if (!v->valid || fr_bit_get(v->valid, r)) {
				const uint8_t *p;
				uint32_t n;
				row_str(v, r, &p, &n);
				tot += 4 + n;
				cnt++;
			}
		per_value = cnt ? tot / (double)cnt : 4;
	}
	int64_t page_rows = (int64_t)((double)w->o.page_size / (per_value > 0.01 ? per_value : 0.01));
	if (page_rows < 64)
		page_rows = 64;
	if (page_rows > INT32_MAX / 2)
		page_rows = INT32_MAX / 2;

	m->data_off = (int64_t)w->pos;
	int64_t vbase = 0;
	int enc = nd ? FR_PQ_ENC_RLE_DICTIONARY : FR_PQ_ENC_PLAIN;
	for (int64_t r0 = 0; r0 < nrows; r0 += page_rows) {
		int64_t r1 = nrows - r0 > page_rows ? r0 + page_rows : nrows;
		int64_t nv = v->valid ? count_valid(v->valid, r0, r1 - r0) : r1 - r0;
		fr_buf_reset(&w->page);
		size_t def_len = 0;
		if (c->optional) {
			if (!w->o.page_v2 && fr_buf_put_u32le(&w->page, 0))
				goto oom;
			size_t start = w->page.len;
			if (put_levels(w, v, r0, r1))
				goto oom;
			def_len = w->page.len - start;
			if (!w->o.page_v2) {
				uint32_t l = (uint32_t)def_len;
				memcpy(w->page.data + start - 4, &l, 4);
				def_len += 4;
			}
		}
		if (nd) {
			if (fr_buf_putc(&w->page, (uint8_t)bw) ||
			    fr_pq_rle_encode(w->codes + vbase, (size_t)nv, bw, &w->page))
				goto oom;
		} else if (put_values_plain(w, col, v, r0, r1, nv)) {
			goto oom;
		}
		vbase += nv;
		fr_buf_reset(&w->cpage);
		if (!w->o.page_v2) {
			if (compress(w, w->page.data, w->page.len, &w->cpage, err))
				return fr_err_prefix(err, "%s: column %s", w->path, c->name);
			if (emit_page(w, m, FR_PQ_PAGE_DATA_PAGE, w->page.len, (int32_t)(r1 - r0), 0, 0,
					enc, 0, err))
				return err->code;
		} else {
			/* v2: levels stay uncompressed in front of the compressed values. */
			if (fr_buf_append(&w->cpage, w->page.data, def_len))
				goto oom;
			if (compress(w, w->page.data + def_len, w->page.len - def_len,
					&w->cpage, err))
				return fr_err_prefix(err, "%s: column %s", w->path, c->name);
			if (emit_page(w, m, FR_PQ_PAGE_DATA_PAGE_V2, w->page.len, (int32_t)(r1 - r0),
					(int32_t)(r1 - r0 - nv), (int32_t)(r1 - r0), enc, (int32_t)def_len,
					err))
				return err->code;
		}
	}
	return 0;
oom:
	return fr_err_set(err, FR_ENOMEM, "%s: column %s: out of memory encoding a page", w->path,
		c->name);
}

static int check_vec(const fr_pqw *w, int col, const fr_vec *v, int64_t nrows, fr_err *err)
{
	const fr_pqw_col *c = &w->cols[col];
	int want;
	switch (c->type) {
	case FR_PQ_BOOLEAN: want = v->kind == FR_VEC_BOOL; break;
	case FR_PQ_INT32:
	case FR_PQ_INT64: want = v->kind == FR_VEC_I64; break;
	case FR_PQ_FLOAT:
	case FR_PQ_DOUBLE: want = v->kind == FR_VEC_F64; break;
	default: want = v->kind == FR_VEC_DICT || v->kind == FR_VEC_BIN; break;
	}
	if (!want)
		return fr_err_set(err, FR_EINVAL, "%s: column %s: vector kind %d does not match "
			"physical type %s", w->path, c->name, (int)v->kind, fr_pq_type_name(c->type));
	if (v->len < nrows)
		return fr_err_set(err, FR_EINVAL, "%s: column %s: %lld rows given, %lld expected",
			w->path, c->name, (long long)v->len, (long long)nrows);
	if (v->kind == FR_VEC_BIN && (int64_t)v->dict.n < nrows)
		return fr_err_set(err, FR_EINVAL, "%s: column %s: %u strings for %lld rows",
			w->path, c->name, v->dict.n, (long long)nrows);
	if (!c->optional && v->valid && count_valid(v->valid, 0, nrows) != nrows)
		return fr_err_set(err, FR_EINVAL, "%s: column %s is required but has %lld nulls",
			w->path, c->name, (long long)(nrows - count_valid(v->valid, 0, nrows)));
	if (c->type == FR_PQ_INT32)
		for (int64_t r = 0; r < nrows; r++)
			if ((!v->valid || fr_bit_get(v->valid, r)) &&
			    (v->v.i64[r] < INT32_MIN || v->v.i64[r] > INT32_MAX))
				return fr_err_set(err, FR_EINVAL, "%s: column %s: value %lld does not fit "
					"INT32", w->path, c->name, (long long)v->v.i64[r]);
	if (v->kind == FR_VEC_DICT) {
		for (int64_t r = 0; r < nrows; r++)
			if ((!v->valid || fr_bit_get(v->valid, r)) && v->v.codes[r] >= v->dict.n)
				return fr_err_set(err, FR_EINVAL, "%s: column %s: row %lld has code %u "
					"past the dictionary (%u entries)", w->path, c->name, (long long)r,
					v->v.codes[r], v->dict.n);
	}
	return 0;
}

int fr_pqw_write_row_group(fr_pqw *w, int64_t nrows, const fr_vec *cols, fr_err *err)
{
	if (w->failed)
		return fr_err_set(err, FR_EINVAL, "%s: an earlier row group failed", w->path);
	if (nrows <= 0 || nrows > INT32_MAX)
		return fr_err_set(err, FR_EINVAL, "%s: a row group needs 1 to %d rows, not %lld",
			w->path, INT32_MAX, (long long)nrows);
	for (int i = 0; i < w->ncols; i++)
		if (check_vec(w, i, &cols[i], nrows, err))
			return err->code;
	if (w->nrg == w->caprg) {
		int nc = w->caprg ? w->caprg * 2 : 16;
		rg_meta *r = realloc(w->rgs, (size_t)nc * sizeof *r);
		if (!r)
			return fr_err_set(err, FR_ENOMEM, "%s: out of memory", w->path);
		w->rgs = r;
		w->caprg = nc;
	}
	rg_meta *rg = &w->rgs[w->nrg];
	memset(rg, 0, sizeof *rg);
	rg->cols = calloc((size_t)w->ncols, sizeof *rg->cols);
	if (!rg->cols)
		return fr_err_set(err, FR_ENOMEM, "%s: out of memory", w->path);
	w->nrg++;
	rg->rows = nrows;
	rg->offset = (int64_t)w->pos;
	for (int i = 0; i < w->ncols; i++) {
		if (write_chunk(w, i, &cols[i], nrows, &rg->cols[i], err)) {
			/* Pages of this row group may be on disk already: the file can only be
			 * abandoned.  (Input errors, found by check_vec above, leave it usable.) */
			w->failed = 1;
			return err->code;
		}
		rg->uncomp += rg->cols[i].uncomp;
		rg->comp += rg->cols[i].comp;
	}
	return 0;
}

static void footer(fr_pqw *w, fr_tenc *t)
{
	int64_t total = 0;
	for (int i = 0; i < w->nrg; i++)
		total += w->rgs[i].rows;
	fr_tenc_i32(t, 1, w->o.page_v2 ? 2 : 1);
	fr_tenc_list_begin(t, 2, FR_TC_STRUCT, (uint32_t)w->ncols + 1);
	fr_tenc_elem_struct_begin(t);
	fr_tenc_str(t, 4, "schema");
	fr_tenc_i32(t, 5, w->ncols);
	fr_tenc_struct_end(t);
	for (int i = 0; i < w->ncols; i++) {
		const fr_pqw_col *c = &w->cols[i];
		fr_tenc_elem_struct_begin(t);
		fr_tenc_i32(t, 1, c->type);
		fr_tenc_i32(t, 3, c->optional ? FR_PQ_REP_OPTIONAL : FR_PQ_REP_REQUIRED);
		fr_tenc_str(t, 4, c->name);
		if (c->converted > 0 && !(c->type == FR_PQ_BYTE_ARRAY && c->string))
			fr_tenc_i32(t, 6, c->converted);
		if (c->type == FR_PQ_BYTE_ARRAY && c->string) {
			fr_tenc_i32(t, 6, FR_PQ_CT_UTF8);
			fr_tenc_struct_begin(t, 10);
			fr_tenc_struct_begin(t, FR_PQ_LT_STRING);
			fr_tenc_struct_end(t);
			fr_tenc_struct_end(t);
		}
		fr_tenc_struct_end(t);
	}
	fr_tenc_i64(t, 3, total);
	fr_tenc_list_begin(t, 4, FR_TC_STRUCT, (uint32_t)w->nrg);
	for (int g = 0; g < w->nrg; g++) {
		const rg_meta *rg = &w->rgs[g];
		fr_tenc_elem_struct_begin(t);
		fr_tenc_list_begin(t, 1, FR_TC_STRUCT, (uint32_t)w->ncols);
		for (int i = 0; i < w->ncols; i++) {
			const chunk_meta *m = &rg->cols[i];
			const fr_pqw_col *c = &w->cols[i];
			int64_t start = m->dict_off ? m->dict_off : m->data_off;
			fr_tenc_elem_struct_begin(t);
			fr_tenc_i64(t, 2, start);
			fr_tenc_struct_begin(t, 3);
			fr_tenc_i32(t, 1, c->type);
			if (m->dict) {
				fr_tenc_list_begin(t, 2, FR_TC_I32, 3);
				fr_tenc_elem_i32(t, FR_PQ_ENC_PLAIN);
				fr_tenc_elem_i32(t, FR_PQ_ENC_RLE);
				fr_tenc_elem_i32(t, FR_PQ_ENC_RLE_DICTIONARY);
			} else {
				fr_tenc_list_begin(t, 2, FR_TC_I32, 2);
				fr_tenc_elem_i32(t, FR_PQ_ENC_PLAIN);
				fr_tenc_elem_i32(t, FR_PQ_ENC_RLE);
			}
			fr_tenc_list_begin(t, 3, FR_TC_BINARY, 1);
			fr_tenc_elem_bin(t, c->name, strlen(c->name));
			fr_tenc_i32(t, 4, w->o.codec);
			fr_tenc_i64(t, 5, rg->rows);
			fr_tenc_i64(t, 6, m->uncomp);
			fr_tenc_i64(t, 7, m->comp);
			fr_tenc_i64(t, 9, m->data_off);
			if (m->dict_off)
				fr_tenc_i64(t, 11, m->dict_off);
			fr_tenc_struct_begin(t, 12);
			fr_tenc_i64(t, 3, m->null_count);
			if (m->has_minmax) {
				fr_tenc_bin(t, 5, w->statbuf.data + m->max_off, m->max_len);
				fr_tenc_bin(t, 6, w->statbuf.data + m->min_off, m->min_len);
				fr_tenc_bool(t, 7, 1);
				fr_tenc_bool(t, 8, 1);
			}
			fr_tenc_struct_end(t);
			fr_tenc_struct_end(t);   /* ColumnMetaData */
			fr_tenc_struct_end(t);   /* ColumnChunk */
		}
		fr_tenc_i64(t, 2, rg->uncomp);
		fr_tenc_i64(t, 3, rg->rows);
		fr_tenc_i64(t, 5, rg->offset);
		fr_tenc_i64(t, 6, rg->comp);
		fr_tenc_i16(t, 7, (int16_t)(g < INT16_MAX ? g : INT16_MAX));
		fr_tenc_struct_end(t);
	}
	fr_tenc_str(t, 6, "frocket version " PACKAGE_VERSION);
	/* TYPE_ORDER for every leaf: tells readers min_value/max_value are trustworthy. */
	fr_tenc_list_begin(t, 7, FR_TC_STRUCT, (uint32_t)w->ncols);
	for (int i = 0; i < w->ncols; i++) {
		fr_tenc_elem_struct_begin(t);
		fr_tenc_struct_begin(t, 1);
		fr_tenc_struct_end(t);
		fr_tenc_struct_end(t);
	}
}

int fr_pqw_close(fr_pqw *w, fr_err *err)
{
	if (w->failed) {
		fr_err_set(err, FR_EINVAL, "%s: not finished: an earlier row group failed", w->path);
		fr_pqw_abort(w);
		return err->code;
	}
	fr_buf meta = FR_BUF_INIT;
	fr_tenc t;
	fr_tenc_init(&t, &meta);
	footer(w, &t);
	if (fr_tenc_finish(&t)) {
		fr_buf_free(&meta);
		fr_err_set(err, FR_ENOMEM, "%s: out of memory writing the footer", w->path);
		fr_pqw_abort(w);
		return err->code;
	}
	uint8_t tail[8];
	uint32_t n = (uint32_t)meta.len;
	memcpy(tail, &n, 4);
	memcpy(tail + 4, "PAR1", 4);
	int rc = out(w, meta.data, meta.len, err);
	fr_buf_free(&meta);
	if (!rc)
		rc = out(w, tail, 8, err);
	if (!rc) {
		FILE *f = w->f;
		w->f = NULL;
		if (fclose(f) != 0)
			rc = fr_err_set(err, FR_EIO, "%s: write failed: %s", w->path, strerror(errno));
	}
	if (rc) {
		fr_pqw_abort(w);
		return rc;
	}
	free_writer(w);
	return 0;
}
