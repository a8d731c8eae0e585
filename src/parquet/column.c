/* Column loading: walks the pages of each column chunk, decompresses each page once into a
 * reusable buffer and decodes values straight into the output vector (parquet.md §5-§8). */
#include "parquet/internal.h"
#include "parquet/format.h"
#include "parquet/thrift.h"
#include "parquet/codec.h"
#include "parquet/decode.h"
#include "parquet/snappy.h"
#include "core/buf.h"
#include "core/hash.h"

#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <stdio.h>
#include <sys/mman.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#define MAX_PAGE_SIZE ((int64_t)1 << 30)
/* Bytes reserved before a fixed-width vector so a page's levels can be decompressed in
 * front of its first value (data_page_v1_direct). */
#define FR_PQ_HEADROOM 256

enum { M_FIXED, M_DICT, M_BIN };
enum { CV_COPY, CV_I32_I64, CV_U32_I64, CV_F32_F64, CV_F16_F64, CV_INT96_NS };

/* The public fr_pq_bytes, so that fr_pq_scan_bytes hands the decoder's spans out as they are. */
typedef fr_pq_bytes span;

typedef struct pghdr {
	int type;
	int32_t usize, csize;
	int has_v1, has_v2, has_dict;
	int32_t nv, enc, def_enc;
	int32_t nulls, nrows, def_len, rep_len;
	int is_compressed;
	int32_t dict_nv;
} pghdr;

/* Global string dictionary (one per loaded column): open addressing.  A slot holds the
 * upper 32 bits of the hash and code + 1, so probing rarely touches the strings. */
typedef struct strdict {
	uint64_t *slots;      /* 0 empty, else (hash >> 32) << 32 | (code + 1) */
	uint32_t mask;
	uint32_t n, cap;      /* entries, and room in off/hashes */
	int64_t *off;         /* n + 1 entries */
	uint64_t *hashes;     /* full hash per entry, for growing the table */
	fr_buf data;
} strdict;

typedef struct load {
	fr_pq_file *f;
	const fr_pq_leaf *leaf;
	fr_err *err;
	int mode, conv, pw, ow;
	uint8_t *vals;
	uint64_t *valid;
	int64_t nulls;
	int64_t pos;
	int64_t total;
	int64_t lvl_pred;       /* predicted length of a v1 page's level section */
	const char *where;      /* "row group N" for messages */
	int rg;
	const uint8_t *keep;    /* selected row groups (NULL: all), or only_rg >= 0 */
	int only_rg;
	/* The page walk, so that a snappy page can be decompressed together with the next one
	 * (two independent streams decode faster than one): the current chunk's bytes and the
	 * offset of the page after the current one; the page decompressed ahead into
	 * f->aheadbuf (its compressed body, NULL when none) and its failure, if it failed. */
	const uint8_t *chunk_base;
	int64_t chunk_len, chunk_next;
	const uint8_t *ahead_body;
	const char *ahead_why;
	/* chunk dictionary */
	int has_dict;
	uint32_t dict_n;
	int dict_identity;       /* M_DICT: the chunk dictionary maps entry i to code i */
	uint8_t *dict_vals;     /* M_FIXED: dict_n * ow bytes */
	size_t dict_vals_cap;
	span *dict_spans;       /* M_BIN / strings */
	size_t dict_spans_cap;
	uint32_t *dict_map;     /* M_DICT: chunk index -> global code */
	size_t dict_map_cap;
	uint8_t *dict_bytes;
	size_t dict_bytes_cap;
	strdict sd;
	/* M_BIN output, or the consumer of fr_pq_scan_bytes (then nothing is stored) */
	fr_pq_bytes_fn scan;
	void *scan_ctx;
	fr_buf bin;
	int64_t *bin_off;
	/* scratch */
	uint32_t *idx;
	size_t idxcap;
	span *spans;
	size_t spanscap;
	uint64_t *u64;
	size_t u64cap;
	uint8_t *phys;
	size_t physcap;
	uint8_t *strbuf;
	size_t strbufcap;
} load;

int fr_pq_grow(uint8_t **buf, size_t *cap, size_t n)
{
	if (n <= *cap)
		return 0;
	size_t c = *cap ? *cap : 4096;
	while (c < n)
		c = c * 2 > c ? c * 2 : n;
	uint8_t *p = realloc(*buf, c);
	if (!p)
		return FR_ENOMEM;
	*buf = p;
	*cap = c;
	return 0;
}

#define GROW(L, ptr, cap, count) \
	fr_pq_grow((uint8_t **)&(ptr), &(cap), (size_t)(count) * sizeof *(ptr))

static int bad(load *L, const char *fmt, const char *detail)
{
	return fr_err_set(L->err, FR_ECORRUPT, "%s: column %s, %s: %s%s%s", L->f->name,
		L->leaf->name, L->where, fmt, detail ? ": " : "", detail ? detail : "");
}

static int oom(load *L)
{
	return fr_err_set(L->err, FR_ENOMEM, "%s: column %s: out of memory", L->f->name,
		L->leaf->name);
}

/* ---- string dictionary ---- */

static int sd_rehash(strdict *d, uint32_t newsize)
{
	uint64_t *sl = calloc(newsize, sizeof *sl);
	if (!sl)
		return -1;
	uint32_t mask = newsize - 1;
	for (uint32_t c = 0; c < d->n; c++) {
		uint64_t h = d->hashes[c];
		uint32_t i = (uint32_t)h & mask;
		while (sl[i])
			i = (i + 1) & mask;
		sl[i] = (h >> 32 << 32) | (uint64_t)(c + 1);
	}
	free(d->slots);
	d->slots = sl;
	d->mask = mask;
	return 0;
}

/* Short strings (most dictionary entries) compare inline, without a call. */
static inline int bytes_eq(const uint8_t *a, const uint8_t *b, size_t n)
{
	if (n > 16)
		return !memcmp(a, b, n);
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

/* Returns the code of the string, inserting it; UINT32_MAX on allocation failure. */
static uint32_t sd_insert(strdict *d, const uint8_t *p, uint32_t n)
{
	if (!d->slots || (uint64_t)(d->n + 1) * 2 > (uint64_t)d->mask + 1) {
		uint32_t ns = d->slots ? (d->mask + 1) * 2 : 1024;
		if (ns == 0 || sd_rehash(d, ns))
			return UINT32_MAX;
	}
	uint64_t h = fr_hash_bytes(p, n);
	uint64_t tag = h >> 32 << 32;
	uint32_t i = (uint32_t)h & d->mask;
	for (;;) {
		uint64_t sv = d->slots[i];
		if (!sv)
			break;
		if ((sv & 0xffffffff00000000ull) == tag) {
			uint32_t c = (uint32_t)sv - 1;
			/* Empty strings only: data.data may still be NULL. */
			if (d->off[c + 1] - d->off[c] == n && (n == 0 || bytes_eq(d->data.data + d->off[c], p, n)))
				return c;
		}
		i = (i + 1) & d->mask;
	}
	if (d->n >= UINT32_MAX - 2)
		return UINT32_MAX;
	if (d->n + 1 >= d->cap) {
		uint32_t nc = d->cap ? (d->cap > UINT32_MAX / 2 ? UINT32_MAX - 1 : d->cap * 2) : 1024;
		int64_t *no = realloc(d->off, ((size_t)nc + 1) * sizeof *no);
		if (!no)
			return UINT32_MAX;
		d->off = no;
		uint64_t *nh = realloc(d->hashes, (size_t)nc * sizeof *nh);
		if (!nh)
			return UINT32_MAX;
		d->hashes = nh;
		d->cap = nc;
	}
	if (d->n == 0)
		d->off[0] = 0;
	if (fr_buf_append(&d->data, p, n))
		return UINT32_MAX;
	uint32_t c = d->n++;
	d->off[c + 1] = d->off[c] + n;
	d->hashes[c] = h;
	d->slots[i] = tag | (uint64_t)(c + 1);
	return c;
}

static void sd_free(strdict *d)
{
	free(d->slots);
	free(d->off);
	free(d->hashes);
	fr_buf_free(&d->data);
	memset(d, 0, sizeof *d);
}

/* ---- conversions from physical bytes ---- */

static double half_to_double(uint16_t h)
{
	int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
	double v;
	if (e == 0)
		v = ldexp((double)m, -24);
	else if (e == 31)
		v = m ? NAN : INFINITY;
	else
		v = ldexp((double)(m | 1024), e - 25);
	return s ? -v : v;
}

static void conv_phys(const load *L, const uint8_t *src, int64_t k, uint8_t *dst)
{
	if (k == 0)
		return;   /* an all-null page may have no value buffer at all (src == NULL) */
	switch (L->conv) {
	case CV_COPY:
		memcpy(dst, src, (size_t)k * L->pw);
		break;
	case CV_I32_I64: {
		int64_t *o = (int64_t *)(void *)dst;
		for (int64_t i = 0; i < k; i++) {
			int32_t v;
			memcpy(&v, src + 4 * i, 4);
			o[i] = v;
		}
		break;
	}
	case CV_U32_I64: {
		int64_t *o = (int64_t *)(void *)dst;
		for (int64_t i = 0; i < k; i++) {
			uint32_t v;
			memcpy(&v, src + 4 * i, 4);
			o[i] = v;
		}
		break;
	}
	case CV_F32_F64: {
		double *o = (double *)(void *)dst;
		for (int64_t i = 0; i < k; i++) {
			float v;
			memcpy(&v, src + 4 * i, 4);
			o[i] = v;
		}
		break;
	}
	case CV_F16_F64: {
		double *o = (double *)(void *)dst;
		for (int64_t i = 0; i < k; i++)
			o[i] = half_to_double((uint16_t)(src[2 * i] | src[2 * i + 1] << 8));
		break;
	}
	case CV_INT96_NS: {
		int64_t *o = (int64_t *)(void *)dst;
		for (int64_t i = 0; i < k; i++) {
			uint64_t ns;
			int32_t jd;
			memcpy(&ns, src + 12 * i, 8);
			memcpy(&jd, src + 12 * i + 8, 4);
			o[i] = (int64_t)(ns + (uint64_t)((int64_t)jd - 2440588) * 86400000000000ull);
		}
		break;
	}
	}
}

/* Bits [pos, pos+len) of bm (len <= 64) as the low bits of a word. */
static inline uint64_t bits_at(const uint64_t *bm, int64_t pos, int len)
{
	int sh = (int)(pos & 63);
	uint64_t w = bm[pos >> 6] >> sh;
	if (sh && sh + len > 64)
		w |= bm[(pos >> 6) + 1] << (64 - sh);
	return len == 64 ? w : w & ((1ull << len) - 1);
}

/* Spreads k dense values at dst[0..k) over n rows by the validity bits starting at bit
 * `off`; null slots become 0.  Walks backwards so it works in place; 64 rows at a time, with
 * whole-block moves for runs of valid rows. */
static void scatter(uint8_t *dst, int w, const uint64_t *bm, int64_t off, int64_t n, int64_t k)
{
	int64_t j = k;
	int64_t e = n;
	while (e > 0) {
		int64_t s0 = e > 64 ? e - 64 : 0;
		int len = (int)(e - s0);
		uint64_t bits = bits_at(bm, off + s0, len);
		int cnt = __builtin_popcountll(bits);
		if (cnt == len) {
			j -= cnt;
			if (j != s0)
				memmove(dst + s0 * w, dst + j * w, (size_t)cnt * w);
		} else if (cnt == 0) {
			memset(dst + s0 * w, 0, (size_t)len * w);
		} else if (w == 8 || w == 4) {
			/* Branch-free: every row copies the next value down or zero.  In place and
			 * safe: a row's slot (s0 + b) is never below the value it takes (j - 1), and a
			 * null row's slot lies above every value still to move. */
			for (int b = len - 1; b >= 0; b--) {
				uint64_t bit = bits >> b & 1, mask = -bit;
				int64_t src = j - 1 < 0 ? 0 : j - 1;
				if (w == 8) {
					uint64_t v;
					memcpy(&v, dst + src * 8, 8);
					v &= mask;
					memcpy(dst + (s0 + b) * 8, &v, 8);
				} else {
					uint32_t v;
					memcpy(&v, dst + src * 4, 4);
					v &= (uint32_t)mask;
					memcpy(dst + (s0 + b) * 4, &v, 4);
				}
				j -= (int64_t)bit;
			}
		} else {
			for (int b = len - 1; b >= 0; b--) {
				uint8_t *d = dst + (s0 + b) * w;
				if (bits >> b & 1) {
					j--;
					memmove(d, dst + j * w, (size_t)w);
				} else {
					memset(d, 0, (size_t)w);
				}
			}
		}
		e = s0;
	}
}

/* ---- emitting string values ---- */

/* Emits k dense string values for the n rows of the page at L->pos. */
static int emit_spans(load *L, const span *sp, int64_t k, int64_t n)
{
	if (L->mode == M_DICT) {
		uint32_t *codes = (uint32_t *)(void *)L->vals + L->pos;
		for (int64_t i = 0; i < k; i++) {
			uint32_t c = sd_insert(&L->sd, sp[i].p, sp[i].n);
			if (c == UINT32_MAX)
				return oom(L);
			codes[i] = c;
		}
		if (k < n)
			scatter((uint8_t *)codes, 4, L->valid, L->pos, n, k);
		return 0;
	}
	if (L->mode == M_FIXED) {
		/* FIXED_LEN_BYTE_ARRAY values that came through a byte-array encoding. */
		uint8_t *d = L->vals + L->pos * L->ow;
		for (int64_t i = 0; i < k; i++) {
			if ((int)sp[i].n != L->pw)
				return bad(L, "FIXED_LEN_BYTE_ARRAY value of the wrong length", NULL);
		}
		if (L->conv == CV_COPY) {
			for (int64_t i = 0; i < k; i++)
				memcpy(d + i * L->pw, sp[i].p, (size_t)L->pw);
		} else {
			for (int64_t i = 0; i < k; i++)
				conv_phys(L, sp[i].p, 1, d + i * L->ow);
		}
		if (k < n)
			scatter(d, L->ow, L->valid, L->pos, n, k);
		return 0;
	}
	if (L->scan) {
		int rc = k > 0 ? L->scan(L->scan_ctx, sp, (size_t)k, L->err) : 0;
		return rc < 0 ? rc : 0;
	}
	int64_t j = 0;
	for (int64_t i = 0; i < n; i++) {
		int64_t r = L->pos + i;
		if (!L->valid || fr_bit_get(L->valid, r)) {
			if (fr_buf_append(&L->bin, sp[j].p, sp[j].n))
				return oom(L);
			j++;
		}
		L->bin_off[r + 1] = (int64_t)L->bin.len;
	}
	return 0;
}

/* ---- dictionary gathers (AVX2 where available) ---- */

/* out[i] = dict[min(ix[i], n-1)] for uint32 entries; returns nonzero if an index was >= n.
 * n must be > 0.  in and out may be the same array. */
static uint32_t gather32_scalar(uint32_t *out, const uint32_t *ix, const uint32_t *dict,
	int64_t k, uint32_t n)
{
	uint32_t badidx = 0;
	for (int64_t i = 0; i < k; i++) {
		uint32_t x = ix[i];
		badidx |= x >= n;
		out[i] = dict[x < n ? x : 0];
	}
	return badidx;
}

static uint32_t gather64_scalar(uint64_t *out, const uint32_t *ix, const uint64_t *dict,
	int64_t k, uint32_t n)
{
	uint32_t badidx = 0;
	for (int64_t i = 0; i < k; i++) {
		uint32_t x = ix[i];
		badidx |= x >= n;
		out[i] = dict[x < n ? x : 0];
	}
	return badidx;
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) static uint32_t gather32_avx2(uint32_t *out, const uint32_t *ix,
	const uint32_t *dict, int64_t k, uint32_t n)
{
	const __m256i last = _mm256_set1_epi32((int)(n - 1));
	__m256i badv = _mm256_setzero_si256();
	int64_t i = 0;
	for (; i + 8 <= k; i += 8) {
		__m256i x = _mm256_loadu_si256((const __m256i *)(const void *)(ix + i));
		__m256i c = _mm256_min_epu32(x, last);
		badv = _mm256_or_si256(badv, _mm256_xor_si256(c, x));
		__m256i v = _mm256_i32gather_epi32((const int *)dict, c, 4);
		_mm256_storeu_si256((__m256i *)(void *)(out + i), v);
	}
	uint32_t badidx = !_mm256_testz_si256(badv, badv);
	return badidx | gather32_scalar(out + i, ix + i, dict, k - i, n);
}

__attribute__((target("avx2"))) static uint32_t gather64_avx2(uint64_t *out, const uint32_t *ix,
	const uint64_t *dict, int64_t k, uint32_t n)
{
	const __m128i last = _mm_set1_epi32((int)(n - 1));
	__m128i badv = _mm_setzero_si128();
	int64_t i = 0;
	for (; i + 4 <= k; i += 4) {
		__m128i x = _mm_loadu_si128((const __m128i *)(const void *)(ix + i));
		__m128i c = _mm_min_epu32(x, last);
		badv = _mm_or_si128(badv, _mm_xor_si128(c, x));
		__m256i v = _mm256_i32gather_epi64((const long long *)dict, c, 8);
		_mm256_storeu_si256((__m256i *)(void *)(out + i), v);
	}
	uint32_t badidx = !_mm_testz_si128(badv, badv);
	return badidx | gather64_scalar(out + i, ix + i, dict, k - i, n);
}
#endif

static uint32_t gather32(uint32_t *out, const uint32_t *ix, const uint32_t *dict, int64_t k,
	uint32_t n)
{
	if (n == 0)
		return k > 0;
#if defined(__x86_64__)
	if (fr_pq_simd())
		return gather32_avx2(out, ix, dict, k, n);
#endif
	return gather32_scalar(out, ix, dict, k, n);
}

static uint32_t gather64(uint64_t *out, const uint32_t *ix, const uint64_t *dict, int64_t k,
	uint32_t n)
{
	if (n == 0)
		return k > 0;
#if defined(__x86_64__)
	if (fr_pq_simd())
		return gather64_avx2(out, ix, dict, k, n);
#endif
	return gather64_scalar(out, ix, dict, k, n);
}

/* ---- page value decoding ---- */

static int parse_plain_bytes(load *L, const uint8_t *v, size_t vn, int64_t k, span *sp,
	size_t *used)
{
	size_t o = 0;
	for (int64_t i = 0; i < k; i++) {
		if (vn - o < 4)
			return bad(L, "PLAIN byte array values run past the page", NULL);
		uint32_t len;
		memcpy(&len, v + o, 4);
		o += 4;
		if (len > vn - o)
			return bad(L, "PLAIN byte array value runs past the page", NULL);
		sp[i].p = v + o;
		sp[i].n = len;
		o += len;
	}
	if (used)
		*used = o;
	return 0;
}

/* M_DICT: indices straight into the code vector, checked and mapped to the column's codes in
 * the same pass. */
static int decode_dict_codes(load *L, const uint8_t *v, size_t vn, int64_t k, uint32_t *into)
{
	if (!L->has_dict)
		return bad(L, "dictionary-encoded page without a dictionary page", NULL);
	if (k == 0)
		return 0;
	if (vn < 1)
		return bad(L, "dictionary-encoded page without a bit width", NULL);
	int bw = v[0];
	if (bw > 32)
		return bad(L, "dictionary index bit width above 32", NULL);
	int badidx = 0;
	if (fr_pq_rle_decode_dict(v + 1, vn - 1, bw, into, k, L->dict_identity ? NULL : L->dict_map,
	                          L->dict_n, &badidx) < 0)
		return bad(L, "corrupt RLE/bit-packed dictionary indices", NULL);
	if (badidx)
		return bad(L, "dictionary index out of range", NULL);
	return 0;
}

static int decode_dict_indices(load *L, const uint8_t *v, size_t vn, int64_t k, uint32_t *into)
{
	if (!L->has_dict)
		return bad(L, "dictionary-encoded page without a dictionary page", NULL);
	if (k == 0)
		return 0;
	if (vn < 1)
		return bad(L, "dictionary-encoded page without a bit width", NULL);
	int bw = v[0];
	if (bw > 32)
		return bad(L, "dictionary index bit width above 32", NULL);
	if (!into) {
		if (GROW(L, L->idx, L->idxcap, k))
			return oom(L);
		into = L->idx;
	}
	if (fr_pq_rle_decode(v + 1, vn - 1, bw, into, k) < 0)
		return bad(L, "corrupt RLE/bit-packed dictionary indices", NULL);
	/* Indices are range-checked by the gathers (fused: one pass over them). */
	return 0;
}

static int decode_values(load *L, int enc, const uint8_t *v, size_t vn, int64_t k, int64_t n)
{
	const fr_pq_leaf *lf = L->leaf;
	int ty = lf->type;
	int isbytes = ty == FR_PQ_BYTE_ARRAY || (ty == FR_PQ_FIXED_LEN_BYTE_ARRAY && L->mode != M_FIXED);
	uint8_t *dst = L->vals ? L->vals + L->pos * L->ow : NULL;

	switch (enc) {
	case FR_PQ_ENC_PLAIN:
		if (ty == FR_PQ_BOOLEAN) {
			if ((uint64_t)(k + 7) / 8 > vn)
				return bad(L, "PLAIN boolean values run past the page", NULL);
			for (int64_t i = 0; i < k; i++)
				dst[i] = (v[i >> 3] >> (i & 7)) & 1;
			break;
		}
		if (ty == FR_PQ_BYTE_ARRAY) {
			if (GROW(L, L->spans, L->spanscap, k))
				return oom(L);
			if (parse_plain_bytes(L, v, vn, k, L->spans, NULL))
				return -1;
			return emit_spans(L, L->spans, k, n);
		}
		if ((uint64_t)k * L->pw > vn)
			return bad(L, "PLAIN values run past the page", NULL);
		if (isbytes) {
			if (GROW(L, L->spans, L->spanscap, k))
				return oom(L);
			for (int64_t i = 0; i < k; i++) {
				L->spans[i].p = v + i * L->pw;
				L->spans[i].n = (uint32_t)L->pw;
			}
			return emit_spans(L, L->spans, k, n);
		}
		conv_phys(L, v, k, dst);
		break;
	case FR_PQ_ENC_PLAIN_DICTIONARY:
	case FR_PQ_ENC_RLE_DICTIONARY:
		/* String codes: indices are decoded straight into the code vector and mapped to
		 * the column's dictionary in the same pass. */
		if (L->mode == M_DICT) {
			if (decode_dict_codes(L, v, vn, k, (uint32_t *)(void *)dst))
				return -1;
			break;
		}
		if (decode_dict_indices(L, v, vn, k, NULL))
			return -1;
		if (k == 0 && isbytes)
			return emit_spans(L, NULL, 0, n);
		if (k == 0)
			break;   /* an all-null page: nothing to gather */
	{
		const uint32_t *ix = L->idx;
		const uint32_t dn = L->dict_n;
		uint32_t badidx = 0;
		if (isbytes) {
			if (GROW(L, L->spans, L->spanscap, k))
				return oom(L);
			for (int64_t i = 0; i < k; i++) {
				uint32_t x = ix[i];
				badidx |= x >= dn;
				L->spans[i] = L->dict_spans[x < dn ? x : 0];
			}
			if (badidx)
				return bad(L, "dictionary index out of range", NULL);
			return emit_spans(L, L->spans, k, n);
		} else if (L->ow == 8) {
			badidx = gather64((uint64_t *)(void *)dst, ix, (const uint64_t *)(void *)L->dict_vals,
				k, dn);
		} else if (L->ow == 4) {
			badidx = gather32((uint32_t *)(void *)dst, ix, (const uint32_t *)(void *)L->dict_vals,
				k, dn);
		} else {
			for (int64_t i = 0; i < k; i++) {
				uint32_t x = ix[i];
				badidx |= x >= dn;
				memcpy(dst + i * L->ow, L->dict_vals + (size_t)(x < dn ? x : 0) * L->ow,
					(size_t)L->ow);
			}
		}
		if (badidx)
			return bad(L, "dictionary index out of range", NULL);
		break;
	}
	case FR_PQ_ENC_RLE: {
		if (ty != FR_PQ_BOOLEAN)
			return bad(L, "RLE value encoding on a non-boolean column", NULL);
		if (vn < 4)
			return bad(L, "RLE boolean values without a length prefix", NULL);
		uint32_t len;
		memcpy(&len, v, 4);
		if (len > vn - 4)
			return bad(L, "RLE boolean length prefix past the page", NULL);
		if (GROW(L, L->idx, L->idxcap, k))
			return oom(L);
		if (fr_pq_rle_decode(v + 4, len, 1, L->idx, k) < 0)
			return bad(L, "corrupt RLE boolean values", NULL);
		for (int64_t i = 0; i < k; i++)
			dst[i] = (uint8_t)L->idx[i];
		break;
	}
	case FR_PQ_ENC_DELTA_BINARY_PACKED: {
		if (ty != FR_PQ_INT32 && ty != FR_PQ_INT64)
			return bad(L, "DELTA_BINARY_PACKED on a column that is not INT32 or INT64", NULL);
		if (GROW(L, L->u64, L->u64cap, k + 1))
			return oom(L);
		int64_t total;
		if (fr_pq_delta_decode(v, vn, ty == FR_PQ_INT32 ? 32 : 64, L->u64, k, &total) < 0)
			return bad(L, "corrupt DELTA_BINARY_PACKED values", NULL);
		if (total != k)
			return bad(L, "DELTA_BINARY_PACKED value count does not match the page", NULL);
		if (ty == FR_PQ_INT32) {
			if (GROW(L, L->phys, L->physcap, k * 4))
				return oom(L);
			for (int64_t i = 0; i < k; i++) {
				uint32_t w = (uint32_t)L->u64[i];
				memcpy(L->phys + 4 * i, &w, 4);
			}
			conv_phys(L, L->phys, k, dst);
		} else {
			conv_phys(L, (const uint8_t *)L->u64, k, dst);
		}
		break;
	}
	case FR_PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
	case FR_PQ_ENC_DELTA_BYTE_ARRAY: {
		if (ty != FR_PQ_BYTE_ARRAY && ty != FR_PQ_FIXED_LEN_BYTE_ARRAY)
			return bad(L, "DELTA byte-array encoding on a non-byte-array column", NULL);
		int64_t total;
		const uint8_t *p = v;
		size_t left = vn;
		if (GROW(L, L->u64, L->u64cap, 2 * k + 2) || GROW(L, L->spans, L->spanscap, k))
			return oom(L);
		uint64_t *prefix = L->u64 + k + 1;
		if (enc == FR_PQ_ENC_DELTA_BYTE_ARRAY) {
			int64_t used = fr_pq_delta_decode(p, left, 32, prefix, k, &total);
			if (used < 0 || total != k)
				return bad(L, "corrupt DELTA_BYTE_ARRAY prefix lengths", NULL);
			p += used;
			left -= (size_t)used;
		}
		int64_t used = fr_pq_delta_decode(p, left, 32, L->u64, k, &total);
		if (used < 0 || total != k)
			return bad(L, "corrupt DELTA_LENGTH_BYTE_ARRAY lengths", NULL);
		p += used;
		left -= (size_t)used;
		uint64_t sum = 0;
		for (int64_t i = 0; i < k; i++) {
			uint64_t l = (uint32_t)L->u64[i];
			if ((int32_t)L->u64[i] < 0)
				return bad(L, "negative byte array length", NULL);
			sum += l;
		}
		if (sum > left)
			return bad(L, "byte array data runs past the page", NULL);
		if (enc == FR_PQ_ENC_DELTA_LENGTH_BYTE_ARRAY) {
			for (int64_t i = 0; i < k; i++) {
				L->spans[i].p = p;
				L->spans[i].n = (uint32_t)L->u64[i];
				p += L->spans[i].n;
			}
			return emit_spans(L, L->spans, k, n);
		}
		/* DELTA_BYTE_ARRAY: value[i] = prefix of value[i-1] + suffix[i]. */
		uint64_t need = 0, prevlen = 0;
		for (int64_t i = 0; i < k; i++) {
			uint64_t pl = (uint32_t)prefix[i];
			if ((int32_t)prefix[i] < 0 || pl > prevlen)
				return bad(L, "DELTA_BYTE_ARRAY prefix longer than the previous value", NULL);
			prevlen = pl + (uint32_t)L->u64[i];
			if (prevlen > 0xffffffffu)
				return bad(L, "DELTA_BYTE_ARRAY value too long", NULL);
			need += prevlen;
			if (need > (uint64_t)MAX_PAGE_SIZE)
				return bad(L, "DELTA_BYTE_ARRAY page expands beyond 1 GiB", NULL);
		}
		if (fr_pq_grow(&L->strbuf, &L->strbufcap, need ? need : 1))
			return oom(L);
		uint8_t *o = L->strbuf;
		const uint8_t *prev = NULL;
		for (int64_t i = 0; i < k; i++) {
			uint32_t pl = (uint32_t)prefix[i], sl = (uint32_t)L->u64[i];
			if (pl)
				memcpy(o, prev, pl);
			memcpy(o + pl, p, sl);
			p += sl;
			L->spans[i].p = o;
			L->spans[i].n = pl + sl;
			prev = o;
			o += pl + sl;
		}
		return emit_spans(L, L->spans, k, n);
	}
	case FR_PQ_ENC_BYTE_STREAM_SPLIT: {
		int w = L->pw;
		if (ty == FR_PQ_BOOLEAN || ty == FR_PQ_BYTE_ARRAY || ty == FR_PQ_INT96)
			return bad(L, "BYTE_STREAM_SPLIT on an unsupported physical type", NULL);
		if ((uint64_t)k * w != vn)
			return bad(L, "BYTE_STREAM_SPLIT streams do not fill the page", NULL);
		if (GROW(L, L->phys, L->physcap, k * w))
			return oom(L);
		fr_pq_bss_decode(v, k, w, L->phys);
		if (isbytes) {
			if (GROW(L, L->spans, L->spanscap, k))
				return oom(L);
			for (int64_t i = 0; i < k; i++) {
				L->spans[i].p = L->phys + i * w;
				L->spans[i].n = (uint32_t)w;
			}
			return emit_spans(L, L->spans, k, n);
		}
		conv_phys(L, L->phys, k, dst);
		break;
	}
	default: {
		const char *en = fr_pq_encoding_name(enc);
		return fr_err_set(L->err, FR_EUNSUPPORTED, "%s: column %s, %s: unsupported encoding %s",
			L->f->name, L->leaf->name, L->where, en ? en : "(unknown)");
	}
	}
	if (k < n && dst)
		scatter(dst, L->ow, L->valid, L->pos, n, k);
	return 0;
}

/* ---- dictionary page ---- */

static int load_dict(load *L, const uint8_t *body, size_t len, int32_t nv)
{
	const fr_pq_leaf *lf = L->leaf;
	if (nv < 0)
		return bad(L, "dictionary page with a negative number of values", NULL);
	if (L->has_dict)
		return bad(L, "more than one dictionary page in the column chunk", NULL);
	int64_t k = nv;
	L->dict_n = (uint32_t)nv;
	int ty = lf->type;
	/* Entries must fit in the page before anything is sized from their count: PLAIN byte
	 * arrays take at least 4 bytes each, booleans a bit, others their width. */
	uint64_t min_bytes = ty == FR_PQ_BYTE_ARRAY ? (uint64_t)k * 4 :
		ty == FR_PQ_BOOLEAN ? ((uint64_t)k + 7) / 8 : (uint64_t)k * (uint64_t)L->pw;
	if (min_bytes > len)
		return bad(L, "dictionary page shorter than its values", NULL);
	if (ty == FR_PQ_BYTE_ARRAY || (ty == FR_PQ_FIXED_LEN_BYTE_ARRAY && L->mode != M_FIXED)) {
		/* Keep the bytes: the page buffer is reused for the next page. */
		if (fr_pq_grow(&L->dict_bytes, &L->dict_bytes_cap, len ? len : 1) ||
		    GROW(L, L->dict_spans, L->dict_spans_cap, k ? k : 1))
			return oom(L);
		memcpy(L->dict_bytes, body, len);
		if (ty == FR_PQ_BYTE_ARRAY) {
			if (parse_plain_bytes(L, L->dict_bytes, len, k, L->dict_spans, NULL))
				return -1;
		} else {
			if ((uint64_t)k * L->pw > len)
				return bad(L, "dictionary page shorter than its values", NULL);
			for (int64_t i = 0; i < k; i++) {
				L->dict_spans[i].p = L->dict_bytes + i * L->pw;
				L->dict_spans[i].n = (uint32_t)L->pw;
			}
		}
		if (L->mode == M_DICT) {
			if (GROW(L, L->dict_map, L->dict_map_cap, k ? k : 1))
				return oom(L);
			uint32_t moved = 0;
			for (int64_t i = 0; i < k; i++) {
				uint32_t c = sd_insert(&L->sd, L->dict_spans[i].p, L->dict_spans[i].n);
				if (c == UINT32_MAX)
					return oom(L);
				L->dict_map[i] = c;
				moved |= c ^ (uint32_t)i;
			}
			/* the chunk's entries keep their codes (the first chunk, or chunks whose
			 * dictionary starts like the column's): indices need no mapping */
			L->dict_identity = !moved;
		}
	} else {
		if (fr_pq_grow(&L->dict_vals, &L->dict_vals_cap, (size_t)(k ? k : 1) * L->ow))
			return oom(L);
		if (ty == FR_PQ_BOOLEAN) {
			if ((uint64_t)(k + 7) / 8 > len)
				return bad(L, "dictionary page shorter than its values", NULL);
			for (int64_t i = 0; i < k; i++)
				L->dict_vals[i] = (body[i >> 3] >> (i & 7)) & 1;
		} else {
			if ((uint64_t)k * L->pw > len)
				return bad(L, "dictionary page shorter than its values", NULL);
			conv_phys(L, body, k, L->dict_vals);
		}
	}
	L->has_dict = 1;
	return 0;
}

/* ---- page headers ---- */

static int dec_page_header(fr_tr *t, pghdr *h)
{
	int16_t last = 0, id;
	int ty;
	int32_t v;
	int got_type = 0, got_us = 0, got_cs = 0;
	memset(h, 0, sizeof *h);
	h->is_compressed = 1;
	while (!fr_tr_field(t, &last, &ty, &id) && ty != FR_TT_STOP) {
		if (id == 1 && ty == FR_TT_I32) { if (!fr_tr_i32(t, &v)) { h->type = v; got_type = 1; } }
		else if (id == 2 && ty == FR_TT_I32) { if (!fr_tr_i32(t, &h->usize)) got_us = 1; }
		else if (id == 3 && ty == FR_TT_I32) { if (!fr_tr_i32(t, &h->csize)) got_cs = 1; }
		else if ((id == 5 || id == 7 || id == 8) && ty == FR_TT_STRUCT) {
			int16_t l2 = 0, i2;
			int t2;
			int req = 0;
			if (fr_tr_enter(t))
				break;
			while (!fr_tr_field(t, &l2, &t2, &i2) && t2 != FR_TT_STOP) {
				int32_t x = 0;
				if (t2 == FR_TT_I32) {
					if (fr_tr_i32(t, &x))
						break;
				} else if (t2 == FR_TT_TRUE || t2 == FR_TT_FALSE) {
					x = t2 == FR_TT_TRUE;
				} else {
					fr_tr_skip(t, t2);
					continue;
				}
				if (id == 5) {
					if (i2 == 1) { h->nv = x; req |= 1; }
					else if (i2 == 2) { h->enc = x; req |= 2; }
					else if (i2 == 3) h->def_enc = x;
				} else if (id == 7) {
					if (i2 == 1) { h->dict_nv = x; req |= 1; }
					else if (i2 == 2) req |= 2;
				} else {
					if (i2 == 1) { h->nv = x; req |= 1; }
					else if (i2 == 2) { h->nulls = x; req |= 2; }
					else if (i2 == 3) h->nrows = x;
					else if (i2 == 4) { h->enc = x; req |= 4; }
					else if (i2 == 5) { h->def_len = x; req |= 8; }
					else if (i2 == 6) { h->rep_len = x; req |= 16; }
					else if (i2 == 7) h->is_compressed = x;
				}
			}
			fr_tr_leave(t);
			if (id == 5) h->has_v1 = (req & 3) == 3;
			else if (id == 7) h->has_dict = (req & 1) == 1;
			else h->has_v2 = (req & 31) == 31;
		} else {
			fr_tr_skip(t, ty);
		}
	}
	if (t->err)
		return -1;
	if (!got_type || !got_us || !got_cs)
		return fr_tr_fail(t, "page header misses a required field");
	return 0;
}

/* The data page that the walk reaches after the current one, if it can be decompressed
 * together with it: a v1 data page of this column, snappy, in this chunk or first in the next
 * selected chunk of a mapped file, whose sizes are plausible.  No side effects: anything odd
 * just means no pairing (the walk reports it when it gets there). */
static int peek_pair(load *L, const uint8_t **body, pghdr *h)
{
	fr_pq_file *f = L->f;
	const uint8_t *base = L->chunk_base;
	int64_t len = L->chunk_len, at = L->chunk_next;
	if (at >= len) {
		/* The next chunk's bytes are at hand only in a mapped file (a range reader fetches
		 * a chunk when it is loaded).  A single row group's load has no next chunk: looking
		 * for one would walk every later row group, once per row group of the file. */
		if (!f->map || L->only_rg >= 0)
			return -1;
		int r = L->rg + 1;
		for (; r < f->nrg; r++)
			if (!L->keep || L->keep[r])
				break;
		if (r >= f->nrg || f->rgs[r].num_rows == 0)
			return -1;
		const fr_pq_chunk *ch = &f->rgs[r].cols[L->leaf - f->leaves];
		if (ch->codec != FR_PQ_CODEC_SNAPPY)
			return -1;
		int64_t start = ch->data_page_offset;
		if (ch->dict_page_offset > 0 && ch->dict_page_offset < start)
			start = ch->dict_page_offset;
		int64_t data_end = (int64_t)f->size - 8 - f->footer_len;
		len = ch->total_compressed;
		if (start < 4 || len <= 0 || start > data_end || len > data_end - start)
			return -1;
		base = f->map + start;
		at = 0;
	}
	fr_tr t;
	fr_tr_init(&t, base + at, (size_t)(len - at));
	if (dec_page_header(&t, h) || h->type != FR_PQ_PAGE_DATA_PAGE || !h->has_v1)
		return -1;
	int64_t off = t.p - base;
	if (h->csize < 0 || h->csize > len - off || h->usize < 0 || h->usize > MAX_PAGE_SIZE ||
	    fr_pq_size_plausible(FR_PQ_CODEC_SNAPPY, base + off, (size_t)h->csize, (size_t)h->usize))
		return -1;
	*body = base + off;
	return 0;
}

/* Decompresses the current snappy page into dst, and the next one (when it pairs) into the
 * file's look-ahead buffer in the same pass.  The next page's outcome waits for the walk. */
static int snappy_page(load *L, const uint8_t *src, size_t n, uint8_t *dst, size_t want,
	const char **why)
{
	const uint8_t *nbody;
	pghdr nh;
	if (peek_pair(L, &nbody, &nh) ||
	    fr_pq_grow(&L->f->aheadbuf, &L->f->aheadcap, (size_t)nh.usize + 8))
		return fr_pq_decompress(&L->f->dctx, FR_PQ_CODEC_SNAPPY, src, n, dst, want, why);
	const char *nwhy = NULL;
	int r = fr_snappy_decompress2(src, n, dst, want, why, nbody, (size_t)nh.csize,
		L->f->aheadbuf, (size_t)nh.usize, &nwhy);
	L->ahead_body = nbody;
	L->ahead_why = r & 2 ? nwhy : NULL;
	return r & 1 ? -1 : 0;
}

/* Decompresses (or not) into the file's page buffer; *out points at the page bytes. */
static int page_bytes(load *L, int codec, const uint8_t *src, size_t n, int64_t want,
	const uint8_t **out)
{
	if (want < 0 || want > MAX_PAGE_SIZE)
		return bad(L, "page size out of range", NULL);
	if (codec == FR_PQ_CODEC_UNCOMPRESSED) {
		if ((int64_t)n != want)
			return bad(L, "uncompressed page size does not match the page header", NULL);
		*out = src;
		return 0;
	}
	if (want == 0 && n == 0) {
		*out = src;
		return 0;
	}
	if (L->ahead_body == src) { /* decompressed with the page before it */
		L->ahead_body = NULL;
		if (L->ahead_why)
			return bad(L, "cannot decompress page", L->ahead_why);
		*out = L->f->aheadbuf;
		return 0;
	}
	if (fr_pq_size_plausible(codec, src, n, (size_t)want))
		return bad(L, "page cannot decompress to the size its header declares", NULL);
	if (fr_pq_grow(&L->f->pagebuf, &L->f->pagecap, (size_t)want + 8))
		return oom(L);
	const char *why = NULL;
	if (codec == FR_PQ_CODEC_SNAPPY ? snappy_page(L, src, n, L->f->pagebuf, (size_t)want, &why)
	    : fr_pq_decompress(&L->f->dctx, codec, src, n, L->f->pagebuf, (size_t)want, &why))
		return bad(L, "cannot decompress page", why);
	*out = L->f->pagebuf;
	return 0;
}

/* Definition levels of a flat optional column, into the validity bitmap at L->pos. */
static int def_levels(load *L, int enc, const uint8_t *p, size_t n, int64_t nv, int prefixed,
	int64_t *ones, size_t *used)
{
	int64_t r;
	if (enc == FR_PQ_ENC_BIT_PACKED && prefixed) {
		r = fr_pq_bitpacked_msb_bits(p, n, L->valid, L->pos, nv, ones);
		if (r < 0)
			return bad(L, "truncated BIT_PACKED definition levels", NULL);
		*used = (size_t)r;
		return 0;
	}
	size_t len = n, off = 0;
	if (prefixed) {
		uint32_t l32;
		if (n < 4)
			return bad(L, "truncated definition levels", NULL);
		memcpy(&l32, p, 4);
		if (l32 > n - 4)
			return bad(L, "definition levels run past the page", NULL);
		len = l32;
		off = 4;
	}
	r = fr_pq_rle_bits(p + off, len, L->valid, L->pos, nv, ones);
	if (r < 0)
		return bad(L, "corrupt or short definition levels", NULL);
	*used = off + len;
	return 0;
}

/* v1 page of PLAIN fixed-width values that need no conversion: decompress the whole page
 * straight into the vector so that its values land in place.  The levels come first in the
 * page, so the page is written at dst - pred, where pred is the levels' length predicted
 * from the previous page (usually exact); the bytes it overwrites are saved and restored.
 * A wrong prediction costs one memmove. */
static int data_page_v1_direct(load *L, const fr_pq_chunk *ch, const pghdr *h, const uint8_t *body)
{
	const fr_pq_leaf *lf = L->leaf;
	int64_t nv = h->nv, k = nv;
	int64_t pred = lf->max_def > 0 ? L->lvl_pred : 0;
	if (pred < 0) {
		/* First page: guess one RLE run of 1s (4-byte length, run header, value byte). */
		pred = 4 + 1 + 1;
		for (uint64_t x = (uint64_t)nv << 1; x >= 0x80; x >>= 7)
			pred++;
	}
	uint8_t *dst = L->vals + L->pos * L->ow;
	int64_t room = (L->total - L->pos) * L->ow;
	if (h->usize < 0 || h->usize > MAX_PAGE_SIZE)
		return bad(L, "page size out of range", NULL);
	int ahead = L->ahead_body == body;
	if (ahead || pred < 0 || pred > FR_PQ_HEADROOM || h->usize < pred || h->usize - pred > room) {
		/* Decompressed ahead with the previous page, or no room for the trick: decompress
		 * aside and copy. */
		const uint8_t *pg;
		size_t used = 0;
		if (page_bytes(L, ch->codec, body, (size_t)h->csize, h->usize, &pg))
			return -1;
		if (lf->max_def > 0 && def_levels(L, h->def_enc, pg, (size_t)h->usize, nv, 1, &k, &used))
			return -1;
		if ((uint64_t)k * L->pw > (uint64_t)h->usize - used)
			return bad(L, "PLAIN values run past the page", NULL);
		memcpy(dst, pg + used, (size_t)k * L->pw);
		L->lvl_pred = (int64_t)used;
	} else {
		uint8_t saved[FR_PQ_HEADROOM];
		uint8_t *at = dst - pred;
		const char *why = NULL;
		memcpy(saved, at, (size_t)pred);
		if (fr_pq_size_plausible(ch->codec, body, (size_t)h->csize, (size_t)h->usize)) {
			memcpy(at, saved, (size_t)pred);
			return bad(L, "page cannot decompress to the size its header declares", NULL);
		}
		if (ch->codec == FR_PQ_CODEC_SNAPPY ?
		    snappy_page(L, body, (size_t)h->csize, at, (size_t)h->usize, &why) :
		    fr_pq_decompress(&L->f->dctx, ch->codec, body, (size_t)h->csize, at, (size_t)h->usize, &why)) {
			memcpy(at, saved, (size_t)pred);
			return bad(L, "cannot decompress page", why);
		}
		size_t used = 0;
		int rc = 0;
		if (lf->max_def > 0)
			rc = def_levels(L, h->def_enc, at, (size_t)h->usize, nv, 1, &k, &used);
		if (!rc && (uint64_t)k * L->pw > (uint64_t)h->usize - used)
			rc = bad(L, "PLAIN values run past the page", NULL);
		if (!rc && (int64_t)used != pred)
			memmove(dst, at + used, (size_t)k * L->pw);
		memcpy(at, saved, (size_t)pred);
		if (rc)
			return rc;
		L->lvl_pred = (int64_t)used;
	}
	if (k < nv)
		scatter(dst, L->ow, L->valid, L->pos, nv, k);
	L->nulls += nv - k;
	L->pos += nv;
	return 0;
}

static int data_page(load *L, const fr_pq_chunk *ch, const pghdr *h, const uint8_t *body,
	int64_t rg_left)
{
	const fr_pq_leaf *lf = L->leaf;
	int64_t nv = h->nv;
	if (nv < 0)
		return bad(L, "negative number of values in a data page", NULL);
	if (nv > rg_left)
		return bad(L, "data pages hold more values than the row group has rows", NULL);
	int64_t k = nv;
	const uint8_t *vals;
	size_t vlen;
	int enc = h->enc;
	int direct = enc == FR_PQ_ENC_PLAIN && L->mode == M_FIXED && L->conv == CV_COPY &&
		lf->type != FR_PQ_BOOLEAN && ch->codec != FR_PQ_CODEC_UNCOMPRESSED;
	if (h->type == FR_PQ_PAGE_DATA_PAGE && direct)
		return data_page_v1_direct(L, ch, h, body);
	if (h->type == FR_PQ_PAGE_DATA_PAGE) {
		const uint8_t *pg;
		if (page_bytes(L, ch->codec, body, (size_t)h->csize, h->usize, &pg))
			return -1;
		size_t used = 0;
		if (lf->max_def > 0) {
			if (def_levels(L, h->def_enc, pg, (size_t)h->usize, nv, 1, &k, &used))
				return -1;
		}
		vals = pg + used;
		vlen = (size_t)h->usize - used;
	} else {
		if (h->def_len < 0 || h->rep_len < 0 ||
		    (int64_t)h->def_len + h->rep_len > h->csize ||
		    (int64_t)h->def_len + h->rep_len > h->usize)
			return bad(L, "v2 page level lengths out of range", NULL);
		if (h->nulls < 0 || h->nulls > nv)
			return bad(L, "v2 page null count out of range", NULL);
		const uint8_t *lv = body + h->rep_len;
		if (lf->max_def > 0) {
			size_t used;
			if (def_levels(L, FR_PQ_ENC_RLE, lv, (size_t)h->def_len, nv, 0, &k, &used))
				return -1;
			if (nv - k != h->nulls)
				return bad(L, "v2 page null count disagrees with its definition levels", NULL);
		} else if (h->nulls) {
			return bad(L, "REQUIRED column has a page with nulls", NULL);
		}
		const uint8_t *raw = lv + h->def_len;
		size_t rawlen = (size_t)h->csize - h->rep_len - h->def_len;
		int64_t ulen = (int64_t)h->usize - h->rep_len - h->def_len;
		/* parquet-cpp 1.x wrote is_compressed=false on compressed pages (ARROW-10353). */
		int compressed = (h->is_compressed || (L->f->app == FR_PQ_APP_PARQUET_CPP &&
			fr_pq_version_lt(L->f, 2, 0, 0))) && ch->codec != FR_PQ_CODEC_UNCOMPRESSED;
		if (ulen == 0) {
			vals = raw;
			vlen = 0;
		} else if (compressed && direct && ulen == k * L->pw) {
			/* PLAIN values need no decoding: decompress straight into the vector. */
			const char *why = NULL;
			uint8_t *dst = L->vals + L->pos * L->ow;
			if (fr_pq_decompress(&L->f->dctx, ch->codec, raw, rawlen, dst, (size_t)ulen, &why))
				return bad(L, "cannot decompress page", why);
			if (k < nv)
				scatter(dst, L->ow, L->valid, L->pos, nv, k);
			L->nulls += nv - k;
			L->pos += nv;
			return 0;
		} else if (compressed) {
			if (page_bytes(L, ch->codec, raw, rawlen, ulen, &vals))
				return -1;
			vlen = (size_t)ulen;
		} else {
			if ((int64_t)rawlen != ulen)
				return bad(L, "uncompressed v2 page size does not match the page header", NULL);
			vals = raw;
			vlen = rawlen;
		}
	}
	if (lf->max_def > 0) {
		L->nulls += nv - k;
	}
	if (decode_values(L, enc, vals, vlen, k, nv))
		return -1;
	L->pos += nv;
	return 0;
}

/* The byte range of a chunk (parquet.md §5.1-5.2): 0, or -1 when it lies outside the
 * file's data.  Shared by the loader and the prefetch hint so both name the same bytes. */
static int chunk_range(const fr_pq_file *f, const fr_pq_chunk *ch, int64_t *startp,
                       int64_t *lenp)
{
	int64_t start = ch->data_page_offset;
	if (ch->dict_page_offset > 0 && ch->dict_page_offset < start)
		start = ch->dict_page_offset;
	int64_t len = ch->total_compressed;
	int64_t data_end = (int64_t)f->size - 8 - f->footer_len;
	if (start < 4 || len <= 0 || start > data_end || len > data_end - start)
		return -1;
	/* PARQUET-816: old parquet-mr under-reports the chunk length by the dictionary page
	 * header; allow reading up to 100 bytes more (never into the footer). */
	if (f->app == FR_PQ_APP_PARQUET_MR && fr_pq_version_lt(f, 1, 2, 9)) {
		int64_t pad = data_end - (start + len);
		len += pad < 100 ? pad : 100;
	}
	*startp = start;
	*lenp = len;
	return 0;
}

void fr_pq_set_hooks(fr_pq_file *f, fr_pq_prefetch_fn prefetch, void (*release)(void *ctx))
{
	f->prefetch = prefetch;
	f->release = release;
}

void fr_pq_set_view(fr_pq_file *f, fr_pq_view_fn view)
{
	f->view = view;
}

int fr_pq_prefetch(fr_pq_file *f, const int *cols, int ncols, const uint8_t *keep, fr_err *err)
{
	if (f->map || !f->prefetch || ncols <= 0 || f->nrg <= 0)
		return 0;
	size_t cap = (size_t)ncols * (size_t)f->nrg;
	fr_pq_range *r = malloc(cap * sizeof *r);
	int n = 0;
	if (!r)
		return fr_err_set(err, FR_ENOMEM, "%s: out of memory", f->name);
	uint64_t tail_start = f->size - f->tail_len;
	for (int g = 0; g < f->nrg; g++) {
		if (keep && !keep[g])
			continue;
		for (int i = 0; i < ncols; i++) {
			if (cols[i] < 0 || cols[i] >= f->nleaves)
				continue;
			const fr_pq_chunk *ch = &f->rgs[g].cols[cols[i]];
			int64_t start, len;
			/* a chunk the loader will refuse is left for the loader to report */
			if (!ch->has_meta || ch->encrypted || chunk_range(f, ch, &start, &len))
				continue;
			if (f->tail && (uint64_t)start >= tail_start)
				continue;
			r[n].off = (uint64_t)start;
			r[n].len = (uint64_t)len;
			n++;
		}
	}
	int rc = n ? f->prefetch(f->ctx, r, n, err) : 0;
	free(r);
	if (rc)
		return fr_err_prefix(err, "%s", f->name);
	return 0;
}

/* Locates a chunk's bytes and maps or fetches them. */
static int chunk_bytes(load *L, const fr_pq_chunk *ch, const uint8_t **basep, int64_t *lenp)
{
	fr_pq_file *f = L->f;
	const fr_pq_leaf *lf = L->leaf;
	int64_t start, len;
	if (chunk_range(f, ch, &start, &len))
		return bad(L, "column chunk lies outside the file's data", NULL);
	const uint8_t *base;
	uint64_t tail_start = f->size - f->tail_len;
	if (f->map) {
		base = f->map + start;
#ifdef MADV_POPULATE_READ
		/* One call maps the chunk's pages in, instead of a page fault per 4 KiB on first
		 * touch (costly under a hypervisor); kernels before 5.14 refuse it, harmlessly. */
		uintptr_t lo = (uintptr_t)base & ~(uintptr_t)4095;
		uintptr_t hi = ((uintptr_t)base + (uintptr_t)len + 4095) & ~(uintptr_t)4095;
		(void)madvise((void *)lo, hi - lo, MADV_POPULATE_READ);
#endif
	} else if (f->tail && (uint64_t)start >= tail_start) {
		base = f->tail + ((uint64_t)start - tail_start);   /* fetched with the footer */
	} else if (f->view && (base = f->view(f->ctx, (uint64_t)start, (uint64_t)len))) {
		f->bytes_read += (uint64_t)len;                     /* lent, not copied */
	} else {
		if (fr_pq_grow(&f->chunkbuf, &f->chunkcap, (size_t)len))
			return oom(L);
		if (f->read(f->ctx, (uint64_t)start, (uint64_t)len, f->chunkbuf, L->err))
			return fr_err_prefix(L->err, "%s: column %s", f->name, lf->name);
		f->bytes_read += (uint64_t)len;
		base = f->chunkbuf;
	}
	*basep = base;
	*lenp = len;
	return 0;
}

/* Metadata checks of one chunk that need no page: done for every selected row group before
 * the output is allocated, so a lying footer fails before any big allocation. */
static int chunk_meta_check(load *L, int rg)
{
	fr_pq_file *f = L->f;
	const fr_pq_leaf *lf = L->leaf;
	const fr_pq_rowgroup *g = &f->rgs[rg];
	const fr_pq_chunk *ch = &g->cols[L->leaf - f->leaves];
	if (!ch->has_meta)
		return bad(L, "column chunk without metadata", NULL);
	if (ch->has_file_path)
		return fr_err_set(L->err, FR_EUNSUPPORTED,
			"%s: column %s: column chunks in other files are not supported", f->name, lf->name);
	if (ch->type != lf->type)
		return bad(L, "column chunk type does not match the schema", NULL);
	if (ch->num_values != g->num_rows)
		return bad(L, "column chunk value count does not match the row group's rows", NULL);
	if (g->num_rows == 0)
		return 0;
	if (!fr_pq_codec_supported(ch->codec)) {
		const char *cn = fr_pq_codec_name(ch->codec);
		return fr_err_set(L->err, FR_EUNSUPPORTED,
			"%s: column %s: unsupported compression codec %s", f->name, lf->name,
			cn ? cn : "(unknown)");
	}
	int64_t start = ch->data_page_offset;
	if (ch->dict_page_offset > 0 && ch->dict_page_offset < start)
		start = ch->dict_page_offset;
	int64_t data_end = (int64_t)f->size - 8 - f->footer_len;
	if (start < 4 || ch->total_compressed <= 0 || start > data_end ||
	    ch->total_compressed > data_end - start)
		return bad(L, "column chunk lies outside the file's data", NULL);
	return 0;
}

/* Loads one column chunk (row group rg) at L->pos. */
static int load_chunk(load *L, int rg)
{
	fr_pq_file *f = L->f;
	const fr_pq_rowgroup *g = &f->rgs[rg];
	const fr_pq_chunk *ch = &g->cols[L->leaf - f->leaves];
	char where[48];
	snprintf(where, sizeof where, "row group %d", rg);
	L->where = where;
	L->rg = rg;
	L->has_dict = 0;
	L->dict_n = 0;
	L->dict_identity = 0;
	if (chunk_meta_check(L, rg))
		return -1;
	if (g->num_rows == 0)
		return 0;
	const uint8_t *base;
	int64_t len;
	if (chunk_bytes(L, ch, &base, &len))
		return -1;
	L->chunk_base = base;
	L->chunk_len = len;
	int64_t off = 0, seen = 0, rows = g->num_rows;
	while (seen < rows) {
		if (off >= len)
			return bad(L, "column chunk ends before all its values were read", NULL);
		fr_tr t;
		fr_tr_init(&t, base + off, (size_t)(len - off));
		pghdr h;
		if (dec_page_header(&t, &h))
			return bad(L, "corrupt page header", t.err);
		off = t.p - base;
		if (h.csize < 0 || h.csize > len - off)
			return bad(L, "page size runs past the column chunk", NULL);
		if (h.usize < 0)
			return bad(L, "negative uncompressed page size", NULL);
		const uint8_t *body = base + off;
		off += h.csize;
		L->chunk_next = off;
		if (h.type == FR_PQ_PAGE_DICTIONARY_PAGE) {
			if (!h.has_dict)
				return bad(L, "dictionary page without its header", NULL);
			const uint8_t *pg;
			if (page_bytes(L, ch->codec, body, (size_t)h.csize, h.usize, &pg))
				return -1;
			if (load_dict(L, pg, (size_t)h.usize, h.dict_nv))
				return -1;
		} else if (h.type == FR_PQ_PAGE_DATA_PAGE || h.type == FR_PQ_PAGE_DATA_PAGE_V2) {
			if (h.type == FR_PQ_PAGE_DATA_PAGE ? !h.has_v1 : !h.has_v2)
				return bad(L, "data page without its header", NULL);
			if (data_page(L, ch, &h, body, rows - seen))
				return -1;
			seen += h.nv;
		}
		/* INDEX_PAGE and unknown page types are skipped. */
	}
	return 0;
}

static void load_free(load *L)
{
	free(L->dict_vals);
	free(L->dict_spans);
	free(L->dict_map);
	free(L->dict_bytes);
	free(L->idx);
	free(L->spans);
	free(L->u64);
	free(L->phys);
	free(L->strbuf);
	sd_free(&L->sd);
	fr_buf_free(&L->bin);
}

static int phys_width(const fr_pq_leaf *lf)
{
	switch (lf->type) {
	case FR_PQ_BOOLEAN: return 1;
	case FR_PQ_INT32: case FR_PQ_FLOAT: return 4;
	case FR_PQ_INT64: case FR_PQ_DOUBLE: return 8;
	case FR_PQ_INT96: return 12;
	case FR_PQ_FIXED_LEN_BYTE_ARRAY: return lf->type_length;
	default: return 0;
	}
}

static int check_column(fr_pq_file *f, int col, fr_err *err)
{
	if (col < 0 || col >= f->nleaves)
		return fr_err_set(err, FR_EINVAL, "%s: no column number %d", f->name, col);
	const fr_pq_leaf *lf = &f->leaves[col];
	if (lf->nested)
		return fr_err_set(err, FR_EUNSUPPORTED, "%s: nested columns are not supported: %s",
			f->name, lf->name);
	if (lf->bad_annotation)
		return fr_err_set(err, FR_ECORRUPT,
			"%s: column %s: type annotation does not fit the physical type %s", f->name,
			lf->name, fr_pq_type_name(lf->type));
	return 0;
}

/* Upper bound on rows we allocate for: metadata row counts are unverified until the pages
 * are decoded, so never allocate far more than the file could describe. */
static int check_rows(fr_pq_file *f, int64_t rows, fr_err *err)
{
	int64_t cap = (int64_t)1 << 24;
	if ((int64_t)f->size < ((int64_t)1 << 40) / 1024 && (int64_t)f->size * 1024 > cap)
		cap = (int64_t)f->size * 1024;
	if (rows > cap)
		return fr_err_set(err, FR_ELIMIT,
			"%s: %lld rows is more than a file of %llu bytes can hold", f->name,
			(long long)rows, (unsigned long long)f->size);
	return 0;
}

/* Shared driver: sets up L for the rows of the selected row groups and loads them. */
static int run_load(load *L, fr_arena *arena, const uint8_t *keep, int only_rg)
{
	fr_pq_file *f = L->f;
	/* One row group's load touches that row group only: callers reading a file row group
	 * by row group (inspect --rows, repartition) would otherwise pay for every row group
	 * each time, quadratic in their number. */
	int r0 = only_rg >= 0 ? only_rg : 0, r1 = only_rg >= 0 ? only_rg + 1 : f->nrg;
	int64_t total = 0;
	for (int r = r0; r < r1; r++)
		if (!keep || keep[r])
			total += f->rgs[r].num_rows;
	if (check_rows(f, total, L->err))
		return L->err->code;
	for (int r = r0; r < r1; r++) {
		if (keep && !keep[r])
			continue;
		char where[48];
		snprintf(where, sizeof where, "row group %d", r);
		L->where = where;
		if (chunk_meta_check(L, r))
			return L->err->code;
	}
	L->where = "";
	L->total = total;
	L->lvl_pred = -1;
	L->keep = keep;
	L->only_rg = only_rg;
	if (L->mode != M_BIN) {
		size_t bytes = (size_t)total * L->ow + 8 + FR_PQ_HEADROOM;
		uint8_t *base = fr_arena_alloc(arena, bytes);
		if (!base)
			return oom(L);
		L->vals = base + FR_PQ_HEADROOM;
		/* Transparent huge pages for big vectors: far fewer page faults when filling. */
		if (bytes >= ((size_t)4 << 20)) {
			uintptr_t lo = ((uintptr_t)base + (2u << 20) - 1) & ~(uintptr_t)((2u << 20) - 1);
			uintptr_t hi = ((uintptr_t)base + bytes) & ~(uintptr_t)((2u << 20) - 1);
			if (hi > lo)
				madvise((void *)lo, hi - lo, MADV_HUGEPAGE);
		}
	} else if (!L->scan) {
		L->bin_off = fr_arena_alloc(arena, (size_t)(total + 1) * sizeof *L->bin_off);
		if (!L->bin_off)
			return oom(L);
		L->bin_off[0] = 0;
	}
	if (L->leaf->max_def > 0) {
		L->valid = fr_arena_calloc(arena, FR_BITMAP_WORDS(total) + 1, sizeof *L->valid);
		if (!L->valid)
			return oom(L);
	}
	for (int r = r0; r < r1; r++) {
		if (keep && !keep[r])
			continue;
		int64_t before = L->pos;
		if (load_chunk(L, r))
			return L->err->code;
		if (L->pos != before + f->rgs[r].num_rows)
			return bad(L, "column chunk holds fewer values than the row group has rows", NULL);
	}
	return 0;
}

static int finish_bin(load *L, fr_arena *arena, fr_strtab *out)
{
	uint8_t *data = fr_arena_alloc(arena, L->bin.len ? L->bin.len : 1);
	if (!data)
		return oom(L);
	if (L->bin.len)
		memcpy(data, L->bin.data, L->bin.len);
	out->n = (uint32_t)L->total;
	out->off = L->bin_off;
	out->data = data;
	return 0;
}

int fr_pq_load_physical(fr_pq_file *f, int col, int rg, fr_arena *arena, fr_pq_phys *out,
	fr_err *err)
{
	memset(out, 0, sizeof *out);
	if (check_column(f, col, err))
		return err->code;
	if (rg < -1 || rg >= f->nrg)
		return fr_err_set(err, FR_EINVAL, "%s: no row group %d", f->name, rg);
	load L;
	memset(&L, 0, sizeof L);
	L.f = f;
	L.leaf = &f->leaves[col];
	L.err = err;
	L.where = "";
	int ty = L.leaf->type;
	L.pw = phys_width(L.leaf);
	if (ty == FR_PQ_BYTE_ARRAY || ty == FR_PQ_FIXED_LEN_BYTE_ARRAY) {
		L.mode = M_BIN;
	} else {
		L.mode = M_FIXED;
		L.conv = CV_COPY;
		L.ow = L.pw;
	}
	int rc = run_load(&L, arena, NULL, rg);
	if (!rc && L.mode == M_BIN)
		rc = finish_bin(&L, arena, &out->bin);
	if (!rc) {
		out->physical_type = ty;
		out->len = L.total;
		out->null_count = L.nulls;
		out->valid = L.nulls ? L.valid : NULL;
		out->width = L.mode == M_BIN ? 0 : L.pw;
		out->data = L.vals;
	}
	load_free(&L);
	return rc;
}

int fr_pq_scan_bytes(fr_pq_file *f, int col, int rg, fr_pq_bytes_fn fn, void *ctx,
	int64_t *rows, int64_t *nulls, fr_err *err)
{
	*rows = *nulls = 0;
	if (check_column(f, col, err))
		return err->code;
	if (rg < -1 || rg >= f->nrg)
		return fr_err_set(err, FR_EINVAL, "%s: no row group %d", f->name, rg);
	if (f->leaves[col].type != FR_PQ_BYTE_ARRAY)
		return fr_err_set(err, FR_EINVAL, "%s: column %s is not a BYTE_ARRAY column", f->name,
			f->leaves[col].name);
	/* The validity bitmap (nullable columns) is the only allocation that grows with the
	 * rows: a private arena, gone on return. */
	fr_arena *arena = fr_arena_new(0);
	if (!arena)
		return fr_err_set(err, FR_ENOMEM, "%s: out of memory", f->name);
	load L;
	memset(&L, 0, sizeof L);
	L.f = f;
	L.leaf = &f->leaves[col];
	L.err = err;
	L.where = "";
	L.pw = phys_width(L.leaf);
	L.mode = M_BIN;
	L.scan = fn;
	L.scan_ctx = ctx;
	int rc = run_load(&L, arena, NULL, rg);
	if (!rc) {
		*rows = L.total;
		*nulls = L.nulls;
	}
	load_free(&L);
	fr_arena_free(arena);
	return rc;
}

int fr_pq_load_column(fr_pq_file *f, int col, const uint8_t *keep, fr_arena *arena,
	fr_vec *out, fr_err *err)
{
	memset(out, 0, sizeof *out);
	if (check_column(f, col, err))
		return err->code;
	fr_pq_colinfo ci;
	fr_pq_column_info(f, col, &ci);
	/* Unsupported types are served as raw bytes when they are bytes (UUID, BSON, WKB...);
	 * anything else (decimals on integers, INTERVAL) has no faithful vector form. */
	if (ci.type == FR_TYPE_NONE && (ci.vec_kind != FR_VEC_BIN ||
	    (ci.physical_type != FR_PQ_BYTE_ARRAY && ci.physical_type != FR_PQ_FIXED_LEN_BYTE_ARRAY)))
		return fr_err_set(err, FR_EUNSUPPORTED, "%s: column %s has an unsupported type",
			f->name, ci.name);
	load L;
	memset(&L, 0, sizeof L);
	L.f = f;
	L.leaf = &f->leaves[col];
	L.err = err;
	L.where = "";
	L.pw = phys_width(L.leaf);
	switch (ci.vec_kind) {
	case FR_VEC_DICT: L.mode = M_DICT; L.ow = 4; break;
	case FR_VEC_BIN: L.mode = M_BIN; break;
	case FR_VEC_BOOL: L.mode = M_FIXED; L.ow = 1; L.conv = CV_COPY; break;
	case FR_VEC_I64:
		L.mode = M_FIXED;
		L.ow = 8;
		L.conv = L.leaf->type == FR_PQ_INT32 ? (L.leaf->is_unsigned ? CV_U32_I64 : CV_I32_I64) :
			L.leaf->type == FR_PQ_INT96 ? CV_INT96_NS : CV_COPY;
		break;
	case FR_VEC_F64:
		L.mode = M_FIXED;
		L.ow = 8;
		L.conv = L.leaf->type == FR_PQ_FLOAT ? CV_F32_F64 :
			L.leaf->is_float16 ? CV_F16_F64 : CV_COPY;
		break;
	}
	int rc = run_load(&L, arena, keep, -1);
	if (!rc && ci.vec_kind == FR_VEC_I64 && L.leaf->type == FR_PQ_INT64 && L.leaf->is_unsigned) {
		/* Queries compare, group and print integers as int64.  An unsigned 64-bit value above
		 * INT64_MAX has no such form (its bits would read as a negative number and give wrong
		 * answers), so the column is refused by name; smaller values are exact.  Null slots
		 * are zero after loading, so every slot can be checked. */
		const uint64_t *u = (const uint64_t *)(const void *)L.vals;
		for (int64_t i = 0; i < L.total; i++)
			if (u[i] > (uint64_t)INT64_MAX) {
				rc = fr_err_set(err, FR_EUNSUPPORTED, "%s: column %s: unsigned value %llu is "
					"above 9223372036854775807, the largest integer a query can use",
					f->name, ci.name, (unsigned long long)u[i]);
				break;
			}
	}
	if (!rc) {
		out->kind = ci.vec_kind;
		out->len = L.total;
		out->null_count = L.nulls;
		out->valid = L.nulls ? L.valid : NULL;
		out->v.ptr = L.vals;
		if (L.mode == M_BIN) {
			rc = finish_bin(&L, arena, &out->dict);
		} else if (L.mode == M_DICT) {
			strdict *d = &L.sd;
			int64_t *off = fr_arena_alloc(arena, (size_t)(d->n + 1) * sizeof *off);
			uint8_t *data = fr_arena_alloc(arena, d->data.len ? d->data.len : 1);
			if (!off || !data) {
				rc = oom(&L);
			} else {
				off[0] = 0;
				if (d->n)
					memcpy(off, d->off, (size_t)(d->n + 1) * sizeof *off);
				if (d->data.len)
					memcpy(data, d->data.data, d->data.len);
				out->dict.n = d->n;
				out->dict.off = off;
				out->dict.data = data;
			}
		}
	}
	load_free(&L);
	return rc;
}

/* Walks the page headers of every chunk of one column (nested ones too) without decoding
 * values: sizes, level lengths and value counts must be consistent. */
int fr_pq_check_column(fr_pq_file *f, int col, fr_err *err)
{
	if (col < 0 || col >= f->nleaves)
		return fr_err_set(err, FR_EINVAL, "%s: no column number %d", f->name, col);
	load L;
	memset(&L, 0, sizeof L);
	L.f = f;
	L.leaf = &f->leaves[col];
	L.err = err;
	for (int rg = 0; rg < f->nrg; rg++) {
		const fr_pq_chunk *ch = &f->rgs[rg].cols[col];
		char where[48];
		snprintf(where, sizeof where, "row group %d", rg);
		L.where = where;
		if (!ch->has_meta)
			return bad(&L, "column chunk without metadata", NULL);
		if (ch->type != L.leaf->type)
			return bad(&L, "column chunk type does not match the schema", NULL);
		if (ch->num_values < 0)
			return bad(&L, "negative value count", NULL);
		if (ch->num_values == 0)
			continue;
		const uint8_t *base;
		int64_t len, off = 0, seen = 0;
		if (chunk_bytes(&L, ch, &base, &len))
			return err->code;
		while (seen < ch->num_values) {
			if (off >= len)
				return bad(&L, "column chunk ends before all its values were read", NULL);
			fr_tr t;
			fr_tr_init(&t, base + off, (size_t)(len - off));
			pghdr h;
			if (dec_page_header(&t, &h))
				return bad(&L, "corrupt page header", t.err);
			off = t.p - base;
			if (h.csize < 0 || h.csize > len - off || h.usize < 0)
				return bad(&L, "page size out of range", NULL);
			off += h.csize;
			if (h.type == FR_PQ_PAGE_DATA_PAGE || h.type == FR_PQ_PAGE_DATA_PAGE_V2) {
				if (h.type == FR_PQ_PAGE_DATA_PAGE ? !h.has_v1 : !h.has_v2)
					return bad(&L, "data page without its header", NULL);
				if (h.nv < 0)
					return bad(&L, "negative number of values in a data page", NULL);
				if (h.type == FR_PQ_PAGE_DATA_PAGE_V2 &&
				    (h.def_len < 0 || h.rep_len < 0 ||
				     (int64_t)h.def_len + h.rep_len > h.csize ||
				     (int64_t)h.def_len + h.rep_len > h.usize ||
				     h.nulls < 0 || h.nulls > h.nv))
					return bad(&L, "v2 page level lengths out of range", NULL);
				seen += h.nv;
			} else if (h.type == FR_PQ_PAGE_DICTIONARY_PAGE) {
				if (!h.has_dict || h.dict_nv < 0)
					return bad(&L, "bad dictionary page header", NULL);
			}
		}
		if (seen != ch->num_values)
			return bad(&L, "data pages hold more values than the column chunk", NULL);
	}
	return 0;
}
