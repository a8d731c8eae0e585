/* The dataset schema of runtime.md §5.4-5.8: per-part collection, merge, JSON forms and the
 * group-id uniqueness check.  Registration reads the footer and statistics of every column
 * but decodes only what it must: the group and timestamp columns (null checks, ids, exact
 * timestamp range), string columns (categorical analysis), and numeric columns whose
 * statistics cannot be trusted. */
#include "task/dschema.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "core/log.h"
#include "core/hash.h"
#include "parquet/format.h"
#include "core/jw.h"

#define COND_PREFIX "__cond_"
#define IDS_MAGIC "FRID"
#define IDS_VERSION 1
#define IDS_KIND_INT 1
#define IDS_KIND_STR 2
#define IDS_HDR 15               /* magic 4, version 1, kind 1, count 8, flag 1 */
/* A decompressed id set larger than this is refused as corrupt: a part's distinct ids stay far
 * below it (the original's blobs had to fit Redis' 512 MB value limit). */
#define IDS_MAX_RAW ((uint64_t)1 << 30)
/* Payloads below this are stored raw: compressing them saves nothing worth a frame. */
#define IDS_COMPRESS_MIN 1024

/* ------------------------------------------------------------------------------------------
 * Small helpers */

/* Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF): what a JSON document
 * can carry exactly, so a name or value that passes comes back byte for byte from the
 * catalog.  Returns the length of the sequence at s[i], or 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t len, size_t i)
{
	unsigned char c = s[i];
	if (c < 0x80)
		return 1;
	size_t n;
	uint32_t cp, minv;
	if ((c & 0xE0) == 0xC0) {
		n = 2; cp = c & 0x1F; minv = 0x80;
	} else if ((c & 0xF0) == 0xE0) {
		n = 3; cp = c & 0x0F; minv = 0x800;
	} else if ((c & 0xF8) == 0xF0) {
		n = 4; cp = c & 0x07; minv = 0x10000;
	} else {
		return 0;
	}
	if (i + n > len)
		return 0;
	for (size_t k = 1; k < n; k++) {
		if ((s[i + k] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i + k] & 0x3F);
	}
	if (cp < minv || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

/* Valid strict UTF-8 with no NUL byte. */
static int json_safe(const void *p, size_t len)
{
	const unsigned char *s = p;
	for (size_t i = 0; i < len;) {
		if (s[i] == 0)
			return 0;
		size_t n = utf8_seq(s, len, i);
		if (!n)
			return 0;
		i += n;
	}
	return 1;
}

/* A copy of s with every byte that is not part of a valid sequence replaced by U+FFFD. */
static char *utf8_sanitize(fr_arena *a, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t len = strlen(str);
	char *out = fr_arena_alloc(a, len * 3 + 1);
	if (!out)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq(s, len, i);
		if (n) {
			memcpy(out + k, s + i, n);
			k += n;
			i += n;
		} else {
			memcpy(out + k, "\xEF\xBF\xBD", 3);
			k += 3;
			i++;
		}
	}
	out[k] = 0;
	return out;
}

/* Open-addressing set of C strings (names), in an arena.  Bounded by the caller's count. */
typedef struct strset {
	const char **slot;
	int *val;
	size_t cap;
} strset;

static int strset_init(strset *s, fr_arena *a, size_t n)
{
	size_t cap = 16;
	while (cap < n * 2 + 1)
		cap <<= 1;
	s->cap = cap;
	s->slot = fr_arena_calloc(a, cap, sizeof *s->slot);
	s->val = fr_arena_calloc(a, cap, sizeof *s->val);
	return s->slot && s->val ? 0 : FR_ENOMEM;
}

/* Index of name's slot: occupied by name, or the empty slot where it would go. */
static size_t strset_find(const strset *s, const char *name)
{
	size_t i = fr_hash_bytes(name, strlen(name)) & (s->cap - 1);
	while (s->slot[i] && strcmp(s->slot[i], name))
		i = (i + 1) & (s->cap - 1);
	return i;
}

/* -1 when absent. */
static int strset_get(const strset *s, const char *name)
{
	size_t i = strset_find(s, name);
	return s->slot[i] ? s->val[i] : -1;
}

/* 1 if added, 0 if already present. */
static int strset_add(strset *s, const char *name, int val)
{
	size_t i = strset_find(s, name);
	if (s->slot[i])
		return 0;
	s->slot[i] = name;
	s->val[i] = val;
	return 1;
}

static const char *type_name(fr_coltype t)
{
	return fr_coltype_name(t);
}

/* ------------------------------------------------------------------------------------------
 * dtype names (pandas spelling, interfaces.md §0.4) */

static const char *int_dtype(const fr_pq_colinfo *ci)
{
	switch (ci->converted) {
	case FR_PQ_CT_UINT_8: return "uint8";
	case FR_PQ_CT_UINT_16: return "uint16";
	case FR_PQ_CT_UINT_32: return "uint32";
	case FR_PQ_CT_UINT_64: return "uint64";
	case FR_PQ_CT_INT_8: return "int8";
	case FR_PQ_CT_INT_16: return "int16";
	case FR_PQ_CT_INT_32: return "int32";
	case FR_PQ_CT_INT_64: return "int64";
	default: break;
	}
	/* A LogicalType INTEGER without its ConvertedType twin: the physical width (the bit width
	 * is not in the public column info), signedness from the annotation.  INT96 loads as
	 * int64 nanoseconds; dates, times and timestamps load as integers in their own unit. */
	if (ci->physical_type == FR_PQ_INT32)
		return ci->is_unsigned ? "uint32" : "int32";
	return ci->is_unsigned ? "uint64" : "int64";
}

static const char *dtype_of(const fr_pq_colinfo *ci, int pandas_cat)
{
	if (pandas_cat)
		return "category";
	if (ci->nested)
		return "object";
	switch (ci->type) {
	case FR_TYPE_BOOL: return "bool";
	case FR_TYPE_INT: return int_dtype(ci);
	case FR_TYPE_FLOAT:
		return ci->physical_type == FR_PQ_FLOAT ? "float32" :
		       ci->physical_type == FR_PQ_DOUBLE ? "float64" : "float16";
	case FR_TYPE_STRING: return "object";
	default: return "object";   /* decimals, binary, UUID, intervals...: pandas objects */
	}
}

/* Names of the columns a pandas writer stored as categoricals (the "pandas" key-value
 * metadata, pandas_type "categorical").  The metadata is a hint: if it is malformed, no
 * column is taken for a categorical. */
static int pandas_categoricals(const fr_pq_file *f, fr_arena *a, strset *out)
{
	int nkv = fr_pq_num_kv(f);
	int rc = strset_init(out, a, 0);
	if (rc)
		return rc;
	for (int i = 0; i < nkv; i++) {
		const char *k, *v;
		fr_pq_kv_get(f, i, &k, &v);
		if (!k || !v || strcmp(k, "pandas"))
			continue;
		json_t *doc = json_loads(v, 0, NULL);
		json_t *cols = doc ? json_object_get(doc, "columns") : NULL;
		size_t n = json_is_array(cols) ? json_array_size(cols) : 0;
		if (n && (rc = strset_init(out, a, n))) {
			json_decref(doc);
			return rc;
		}
		for (size_t j = 0; j < n; j++) {
			json_t *c = json_array_get(cols, j);
			const char *pt = json_string_value(json_object_get(c, "pandas_type"));
			const char *nm = json_string_value(json_object_get(c, "field_name"));
			if (!nm)
				nm = json_string_value(json_object_get(c, "name"));
			if (!pt || !nm || strcmp(pt, "categorical"))
				continue;
			char *copy = fr_arena_strdup(a, nm);
			if (!copy) {
				json_decref(doc);
				return FR_ENOMEM;
			}
			strset_add(out, copy, 1);
		}
		json_decref(doc);
		break;
	}
	return 0;
}

/* ------------------------------------------------------------------------------------------
 * Column analysis */

/* min/max of a FLOAT/DOUBLE column from its statistics: 1 when every row group with a value
 * has usable ones (known null count, both bounds of the right width, no NaN, min <= max),
 * else 0 and the caller decodes.  Row groups of nulls only contribute nothing. */
static int float_stats(const fr_pq_file *f, int col, const fr_pq_colinfo *ci, double *mn,
                       double *mx)
{
	if (ci->physical_type != FR_PQ_FLOAT && ci->physical_type != FR_PQ_DOUBLE)
		return 0;
	/* Parquet.Net 4.x wrote statistics that exclude real values (the reader distrusts them
	 * for the same reason). */
	const char *cb = fr_pq_created_by(f);
	if (cb && strstr(cb, "Parquet.Net"))
		return 0;
	uint32_t w = ci->physical_type == FR_PQ_FLOAT ? 4 : 8;
	int any = 0;
	double lo = 0, hi = 0;
	for (int r = 0; r < fr_pq_num_row_groups(f); r++) {
		int64_t rows = fr_pq_row_group_rows(f, r);
		if (rows <= 0)
			continue;
		fr_pq_chunkinfo c;
		if (fr_pq_chunk_info(f, r, col, &c) || !c.has_stats || !c.has_null_count ||
		    c.null_count < 0 || c.null_count > rows)
			return 0;
		if (c.null_count == rows)
			continue;
		if (!c.has_min || !c.has_max || c.min_len != w || c.max_len != w)
			return 0;
		double a, b;
		if (w == 4) {
			float fa, fb;
			memcpy(&fa, c.min, 4);
			memcpy(&fb, c.max, 4);
			a = fa;
			b = fb;
		} else {
			memcpy(&a, c.min, 8);
			memcpy(&b, c.max, 8);
		}
		if (isnan(a) || isnan(b) || a > b)
			return 0;
		lo = any && lo < a ? lo : a;
		hi = any && hi > b ? hi : b;
		any = 1;
	}
	if (!any)
		return 0;
	*mn = lo;
	*mx = hi;
	return 1;
}

/* min/max of a decoded numeric vector, nulls and NaN ignored.  uns: compare INT values as
 * unsigned 64-bit (UINT_64 keeps its bits in the vector). */
static void vec_range(const fr_vec *v, int uns, fr_dscol *c)
{
	int any = 0;
	if (v->kind == FR_VEC_F64) {
		double lo = 0, hi = 0;
		for (int64_t i = 0; i < v->len; i++) {
			double x = v->v.f64[i];
			if (!fr_vec_valid(v, i) || isnan(x))
				continue;
			if (!any || x < lo)
				lo = x;
			if (!any || x > hi)
				hi = x;
			any = 1;
		}
		c->min = lo;
		c->max = hi;
	} else if (uns) {
		uint64_t lo = 0, hi = 0;
		for (int64_t i = 0; i < v->len; i++) {
			uint64_t x = (uint64_t)v->v.i64[i];
			if (!fr_vec_valid(v, i))
				continue;
			if (!any || x < lo)
				lo = x;
			if (!any || x > hi)
				hi = x;
			any = 1;
		}
		c->min = (double)lo;
		c->max = (double)hi;
	} else {
		int64_t lo = 0, hi = 0;
		for (int64_t i = 0; i < v->len; i++) {
			int64_t x = v->v.i64[i];
			if (!fr_vec_valid(v, i))
				continue;
			if (!any || x < lo)
				lo = x;
			if (!any || x > hi)
				hi = x;
			any = 1;
		}
		c->min = (double)lo;
		c->max = (double)hi;
	}
	c->has_min = c->has_max = any;
	if (!any)
		c->min = c->max = 0;
}

typedef struct strref {
	const uint8_t *p;
	size_t n;
	int64_t count;
} strref;

static int strref_cmp_bytes(const strref *a, const strref *b)
{
	size_t m = a->n < b->n ? a->n : b->n;
	int r = m ? memcmp(a->p, b->p, m) : 0;
	if (r)
		return r;
	return a->n < b->n ? -1 : a->n > b->n;
}

static int strref_cmp_freq(const void *x, const void *y)
{
	const strref *a = x, *b = y;
	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return strref_cmp_bytes(a, b);
}

static int strref_cmp_val(const void *x, const void *y)
{
	return strref_cmp_bytes(x, y);
}

/* Occurrences of each dictionary entry of a FR_VEC_DICT vector (malloc'ed, dict.n entries). */
static int dict_counts(const fr_vec *v, int64_t **out, fr_err *err, const char *fname,
                       const char *col)
{
	size_t n = v->dict.n;
	int64_t *cnt = calloc(n ? n : 1, sizeof *cnt);
	if (!cnt)
		return fr_err_set(err, FR_ENOMEM, "%s: column %s: out of memory", fname, col);
	for (int64_t i = 0; i < v->len; i++) {
		if (!fr_vec_valid(v, i))
			continue;
		uint32_t c = v->v.codes[i];
		if (c >= n) {
			free(cnt);
			return fr_err_set(err, FR_ECORRUPT, "%s: column %s: dictionary code out of range",
			                  fname, col);
		}
		cnt[c]++;
	}
	*out = cnt;
	return 0;
}

/* Categorical analysis of a string column (§5.5). */
static int analyze_strings(const fr_vec *v, int pandas_cat, const fr_dschema_opts *o,
                           fr_arena *a, fr_dscol *c, fr_err *err, const char *fname)
{
	int64_t *cnt;
	int rc = dict_counts(v, &cnt, err, fname, c->name);
	if (rc)
		return rc;
	int64_t distinct = 0, nonnull = v->len - v->null_count;
	for (uint32_t i = 0; i < v->dict.n; i++)
		distinct += cnt[i] > 0;
	c->categorical = 0;
	c->has_ratio = 0;
	c->ntop = 0;
	c->top_values = NULL;
	c->top_freqs = NULL;
	if (pandas_cat) {
		/* A stored categorical is one whatever its ratio (§5.5). */
		c->categorical = 1;
		if (v->len > 0) {
			c->has_ratio = 1;
			c->cat_ratio = (double)distinct / (double)v->len;
		}
	} else if (distinct > 0) {
		c->has_ratio = 1;
		c->cat_ratio = (double)distinct / (double)v->len;
		c->categorical = c->cat_ratio <= o->cat_ratio;
		if (!c->categorical)
			c->has_ratio = 0;
	}
	int64_t k = o->cat_top_count > 0 ? (int64_t)floor((double)o->cat_top_count * 1.5) : 0;
	if (!c->categorical || k <= 0) {
		free(cnt);
		return 0;
	}
	strref *refs = malloc((size_t)(distinct ? distinct : 1) * sizeof *refs);
	if (!refs) {
		free(cnt);
		return fr_err_set(err, FR_ENOMEM, "%s: column %s: out of memory", fname, c->name);
	}
	size_t nr = 0;
	for (uint32_t i = 0; i < v->dict.n; i++) {
		if (!cnt[i])
			continue;
		const uint8_t *p = v->dict.data + v->dict.off[i];
		size_t n = (size_t)(v->dict.off[i + 1] - v->dict.off[i]);
		/* A value JSON cannot carry exactly (NUL, broken UTF-8) would come back from the
		 * catalog as another string, or collide with one: it is left out of the top values. */
		if (!json_safe(p, n))
			continue;
		refs[nr++] = (strref){ p, n, cnt[i] };
	}
	free(cnt);
	qsort(refs, nr, sizeof *refs, strref_cmp_freq);
	size_t keep = nr < (size_t)k ? nr : (size_t)k;
	c->top_values = fr_arena_calloc(a, keep ? keep : 1, sizeof *c->top_values);
	c->top_freqs = fr_arena_calloc(a, keep ? keep : 1, sizeof *c->top_freqs);
	if (!c->top_values || !c->top_freqs) {
		free(refs);
		return fr_err_set(err, FR_ENOMEM, "%s: column %s: out of memory", fname, c->name);
	}
	for (size_t i = 0; i < keep; i++) {
		char *s = fr_arena_strndup(a, (const char *)refs[i].p, refs[i].n);
		if (!s) {
			free(refs);
			return fr_err_set(err, FR_ENOMEM, "%s: column %s: out of memory", fname, c->name);
		}
		c->top_values[i] = s;
		c->top_freqs[i] = (double)refs[i].count / (double)nonnull;
	}
	c->ntop = (int)keep;
	free(refs);
	return 0;
}

/* ------------------------------------------------------------------------------------------
 * Group-id blobs */

/* Sorts n int64 ascending: LSD radix on the sign-flipped bits, skipping bytes every key
 * shares (ids are often narrow). */
static int sort_i64(int64_t *v, size_t n)
{
	int sorted = 1;
	for (size_t i = 1; i < n && sorted; i++)
		sorted = v[i - 1] <= v[i];
	if (sorted)
		return 0;
	uint64_t *a = (uint64_t *)v, *b = malloc(n * sizeof *b);
	if (!b)
		return FR_ENOMEM;
	/* every byte's histogram in one pass: a byte all keys share then costs nothing */
	size_t (*hist)[256] = calloc(8, sizeof *hist);
	if (!hist) {
		free(b);
		return FR_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t x = a[i] ^ (uint64_t)1 << 63;
		a[i] = x;
		for (int k = 0; k < 8; k++)
			hist[k][(x >> (8 * k)) & 0xFF]++;
	}
	for (int sh = 0; sh < 64; sh += 8) {
		size_t *cnt = hist[sh / 8];
		if (cnt[(a[0] >> sh) & 0xFF] == n)
			continue;
		size_t pos = 0;
		for (int d = 0; d < 256; d++) {
			size_t c = cnt[d];
			cnt[d] = pos;
			pos += c;
		}
		for (size_t i = 0; i < n; i++)
			b[cnt[(a[i] >> sh) & 0xFF]++] = a[i];
		uint64_t *t = a;
		a = b;
		b = t;
	}
	free(hist);
	if (a != (uint64_t *)v) {
		memcpy(v, a, n * sizeof *a);
		b = a;
	}
	free(b);
	for (size_t i = 0; i < n; i++)
		((uint64_t *)v)[i] ^= (uint64_t)1 << 63;
	return 0;
}

static int put_u64(fr_buf *b, uint64_t v)
{
	return fr_buf_put_u64le(b, v);
}

/* Payload forms (the flag byte): bit 0 zstd-compressed, bit 1 a bitmap (int ids only). */
#define IDS_F_ZSTD 1
#define IDS_F_BITMAP 2

/* Appends the blob of payload (count values of kind, as a list or with IDS_F_BITMAP a
 * bitmap) to out, compressed when that pays. */
static int ids_emit(fr_buf *out, int kind, uint64_t count, uint8_t form, const fr_buf *payload)
{
	int rc = 0;
	uint8_t flag = form;
	fr_buf z = FR_BUF_INIT;
	if (payload->len >= IDS_COMPRESS_MIN) {
		size_t bound = ZSTD_compressBound(payload->len);
		if ((rc = fr_buf_reserve(&z, bound)))
			goto done;
		size_t zn = ZSTD_compress(z.data, bound, payload->data, payload->len, 3);
		if (!ZSTD_isError(zn) && zn + 8 < payload->len) {
			z.len = zn;
			flag |= IDS_F_ZSTD;
		}
	}
	if ((rc = fr_buf_append(out, IDS_MAGIC, 4)) || (rc = fr_buf_putc(out, IDS_VERSION)) ||
	    (rc = fr_buf_putc(out, (uint8_t)kind)) || (rc = put_u64(out, count)) ||
	    (rc = fr_buf_putc(out, flag)))
		goto done;
	if (flag & IDS_F_ZSTD) {
		if ((rc = put_u64(out, payload->len)) || (rc = fr_buf_append(out, z.data, z.len)))
			goto done;
	} else if (payload->len) {
		rc = fr_buf_append(out, payload->data, payload->len);
	}
done:
	fr_buf_free(&z);
	return rc;
}

/* Ids spanning a range not much wider than their number (a part of consecutive user ids, the
 * usual case) are sorted and made distinct by one bitmap over the range: one pass over the
 * ids and one over the bitmap, instead of a sort.  The payload is then that bitmap when it is
 * no bigger than the list (*dense = 2), else the sorted list (*dense = 1); *dense = 0 leaves
 * the ids to the sort. */
static int ids_dense(const int64_t *v, size_t n, fr_buf *pay, uint64_t *count, int *dense)
{
	*dense = 0;
	if (n == 0)
		return 0;
	int64_t lo = v[0], hi = v[0];
	for (size_t i = 1; i < n; i++) {
		lo = v[i] < lo ? v[i] : lo;
		hi = v[i] > hi ? v[i] : hi;
	}
	uint64_t span = (uint64_t)hi - (uint64_t)lo;   /* exact, as unsigned */
	/* the bitmap costs at most one bit per 64 of range per id: no more than the ids' bytes */
	if (span / 64 >= n)
		return 0;
	size_t words = (size_t)(span / 64) + 1;
	uint64_t *bm = calloc(words, sizeof *bm);
	if (!bm)
		return FR_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		uint64_t d = (uint64_t)v[i] - (uint64_t)lo;
		bm[d >> 6] |= (uint64_t)1 << (d & 63);
	}
	size_t m = 0;
	for (size_t w = 0; w < words; w++)
		m += (size_t)__builtin_popcountll(bm[w]);
	if (words + 1 <= m) {   /* the bitmap (lo and the words) is no bigger than the list */
		int rc = fr_buf_reserve(pay, 8 + words * 8);
		if (!rc) {
			fr_buf_put_u64le(pay, (uint64_t)lo);   /* reserved: cannot fail */
			for (size_t w = 0; w < words; w++)
				fr_buf_put_u64le(pay, bm[w]);
			*count = m;
			*dense = 2;
		}
		free(bm);
		return rc;
	}
	int rc = fr_buf_reserve(pay, m * 8);
	if (!rc) {
		uint8_t *o = pay->data + pay->len;
		for (size_t w = 0; w < words; w++) {
			for (uint64_t b = bm[w]; b; b &= b - 1) {
				uint64_t x = (uint64_t)lo + ((uint64_t)w << 6) + (uint64_t)__builtin_ctzll(b);
				for (int k = 0; k < 8; k++)     /* little-endian, as fr_buf_put_u64le */
					o[k] = (uint8_t)(x >> (8 * k));
				o += 8;
			}
		}
		pay->len += m * 8;
		*count = m;
		*dense = 1;
	}
	free(bm);
	return rc;
}

/* The distinct ids of a decoded group column (no nulls: checked before). */
static int ids_build(const fr_vec *v, fr_buf *out, fr_err *err, const char *fname,
                     const char *col)
{
	fr_buf pay = FR_BUF_INIT;
	int rc = 0;
	uint64_t count = 0;
	int kind;
	uint8_t form = 0;
	if (v->kind == FR_VEC_I64) {
		kind = IDS_KIND_INT;
		size_t n = (size_t)v->len;
		int dense = 0;
		if ((rc = ids_dense(v->v.i64, n, &pay, &count, &dense)))
			goto done;
		form = dense == 2 ? IDS_F_BITMAP : 0;
		if (dense)
			goto emit;
		int64_t *a = malloc((n ? n : 1) * sizeof *a);
		if (!a) {
			rc = FR_ENOMEM;
			goto done;
		}
		memcpy(a, v->v.i64, n * sizeof *a);
		if ((rc = sort_i64(a, n))) {
			free(a);
			goto done;
		}
		size_t m = 0;
		for (size_t i = 0; i < n; i++)
			if (!m || a[i] != a[m - 1])
				a[m++] = a[i];
		if ((rc = fr_buf_reserve(&pay, m * 8))) {
			free(a);
			goto done;
		}
		for (size_t i = 0; i < m; i++)
			fr_buf_put_u64le(&pay, (uint64_t)a[i]);   /* reserved above: cannot fail */
		count = m;
		free(a);
	} else {
		kind = IDS_KIND_STR;
		int64_t *cnt;
		if ((rc = dict_counts(v, &cnt, err, fname, col)))
			return rc;
		size_t m = 0;
		strref *refs = malloc((v->dict.n ? v->dict.n : 1) * sizeof *refs);
		if (!refs) {
			free(cnt);
			rc = FR_ENOMEM;
			goto done;
		}
		for (uint32_t i = 0; i < v->dict.n; i++)
			if (cnt[i])
				refs[m++] = (strref){ v->dict.data + v->dict.off[i],
				                      (size_t)(v->dict.off[i + 1] - v->dict.off[i]), 0 };
		free(cnt);
		/* dictionary entries are distinct: sorting is all that is left */
		qsort(refs, m, sizeof *refs, strref_cmp_val);
		for (size_t i = 0; i < m && !rc; i++) {
			if (refs[i].n > UINT32_MAX) {
				rc = fr_err_set(err, FR_ELIMIT, "%s: a group id of column %s is too long",
				                fname, col);
				break;
			}
			if (!(rc = fr_buf_put_u32le(&pay, (uint32_t)refs[i].n)))
				rc = fr_buf_append(&pay, refs[i].p, refs[i].n);
		}
		free(refs);
		if (rc)
			goto done;
		count = m;
	}
emit:
	if (pay.len > IDS_MAX_RAW) {
		rc = fr_err_set(err, FR_ELIMIT, "%s: the distinct ids of column %s take more than "
		                "%llu bytes", fname, col, (unsigned long long)IDS_MAX_RAW);
		goto done;
	}
	rc = ids_emit(out, kind, count, form, &pay);
done:
	fr_buf_free(&pay);
	if (rc == FR_ENOMEM)
		fr_err_set(err, FR_ENOMEM, "%s: column %s: out of memory", fname, col);
	return rc;
}

/* One decoded, validated id set. */
typedef struct idset {
	int kind;
	uint64_t count;
	const uint8_t *p, *end;     /* payload: raw values */
	uint8_t *owned;             /* decompressed payload, freed by the caller */
	/* cursor of the merge */
	uint64_t pos;
	const uint8_t *cur;
	int64_t iv;
	const uint8_t *sv;
	uint32_t sn;
	/* bitmap form: bit d of the words is the id lo + d */
	int bitmap;
	uint64_t lo;                /* as unsigned: lo + d wraps like the signed sum */
	uint64_t nwords, w, bits;   /* words, the current word's index and its bits left */
} idset;

static uint64_t rd_u64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint32_t rd_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Moves set s to its next value; 0 at the end. */
static int idset_next(idset *s)
{
	if (s->pos >= s->count)
		return 0;
	if (s->bitmap) {   /* count bits are set in all (checked at open): one is left */
		while (!s->bits)
			s->bits = rd_u64(s->cur + 8 * ++s->w);
		s->iv = (int64_t)(s->lo + (s->w << 6) + (uint64_t)__builtin_ctzll(s->bits));
		s->bits &= s->bits - 1;
	} else if (s->kind == IDS_KIND_INT) {
		s->iv = (int64_t)rd_u64(s->cur);
		s->cur += 8;
	} else {
		s->sn = rd_u32(s->cur);
		s->sv = s->cur + 4;
		s->cur += 4 + (size_t)s->sn;
	}
	s->pos++;
	return 1;
}

static int idset_cmp(const idset *a, const idset *b)
{
	if (a->kind == IDS_KIND_INT)
		return a->iv < b->iv ? -1 : a->iv > b->iv;
	size_t m = a->sn < b->sn ? a->sn : b->sn;
	int r = m ? memcmp(a->sv, b->sv, m) : 0;
	if (r)
		return r;
	return a->sn < b->sn ? -1 : a->sn > b->sn;
}

/* The bitmap form's payload: u64 lo, then words; count bits set in all, and the last bit's
 * id still an int64 above lo (no wrap).  Ascending by construction. */
static int bitmap_open(idset *s, size_t plen, const char *name, fr_err *err)
{
	int bad = plen < 8 || (plen - 8) % 8;
	if (!bad) {
		s->lo = rd_u64(s->p);
		s->nwords = (plen - 8) / 8;
		/* the ids lo .. lo + 64 nwords - 1 must not pass INT64_MAX: in the order-keeping
		 * unsigned image u = lo ^ 2^63, u + 64 nwords - 1 stays below 2^64 */
		uint64_t u = s->lo ^ ((uint64_t)1 << 63);
		if (s->nwords && 64 * s->nwords - 1 > UINT64_MAX - u)
			bad = 1;
		uint64_t m = 0;
		for (uint64_t w = 0; !bad && w < s->nwords; w++)
			m += (uint64_t)__builtin_popcountll(rd_u64(s->p + 8 + 8 * w));
		if (m != s->count)
			bad = 1;
	}
	if (bad) {
		free(s->owned);
		s->owned = NULL;
		return fr_err_set(err, FR_ECORRUPT, "group ids of %s: a bitmap of the wrong length, "
		                  "range or count", name);
	}
	s->bitmap = 1;
	s->cur = s->p + 8;        /* the words */
	s->w = 0;
	s->bits = s->nwords ? rd_u64(s->cur) : 0;
	s->pos = 0;
	return 0;
}

/* Parses and fully validates blob (structure, exact length, strictly ascending values). */
static int idset_open(const uint8_t *blob, size_t len, const char *name, idset *s, fr_err *err)
{
	memset(s, 0, sizeof *s);
	if (!blob || len < IDS_HDR || memcmp(blob, IDS_MAGIC, 4))
		return fr_err_set(err, FR_ECORRUPT, "group ids of %s: not a group-id set", name);
	if (blob[4] != IDS_VERSION)
		return fr_err_set(err, FR_ECORRUPT, "group ids of %s: version %u, expected %u", name,
		                  blob[4], IDS_VERSION);
	s->kind = blob[5];
	if (s->kind != IDS_KIND_INT && s->kind != IDS_KIND_STR)
		return fr_err_set(err, FR_ECORRUPT, "group ids of %s: unknown kind %d", name, s->kind);
	s->count = rd_u64(blob + 6);
	uint8_t flag = blob[14];
	const uint8_t *p = blob + IDS_HDR, *end = blob + len;
	if (flag > (IDS_F_ZSTD | IDS_F_BITMAP) || ((flag & IDS_F_BITMAP) && s->kind != IDS_KIND_INT))
		return fr_err_set(err, FR_ECORRUPT, "group ids of %s: unknown flag %u", name, flag);
	if (flag & IDS_F_ZSTD) {
		if (end - p < 8)
			return fr_err_set(err, FR_ECORRUPT, "group ids of %s: truncated", name);
		uint64_t raw = rd_u64(p);
		p += 8;
		if (raw > IDS_MAX_RAW)
			return fr_err_set(err, FR_ECORRUPT, "group ids of %s: implausible size %llu", name,
			                  (unsigned long long)raw);
		unsigned long long fs = ZSTD_getFrameContentSize(p, (size_t)(end - p));
		size_t zlen = ZSTD_findFrameCompressedSize(p, (size_t)(end - p));
		if (fs != raw || ZSTD_isError(zlen) || zlen != (size_t)(end - p))
			return fr_err_set(err, FR_ECORRUPT, "group ids of %s: bad compressed frame", name);
		s->owned = malloc(raw ? (size_t)raw : 1);
		if (!s->owned)
			return fr_err_set(err, FR_ENOMEM, "group ids of %s: out of memory", name);
		size_t got = ZSTD_decompress(s->owned, (size_t)raw, p, zlen);
		if (ZSTD_isError(got) || got != raw) {
			free(s->owned);
			s->owned = NULL;
			return fr_err_set(err, FR_ECORRUPT, "group ids of %s: bad compressed frame", name);
		}
		s->p = s->owned;
		s->end = s->owned + raw;
	} else {
		s->p = p;
		s->end = end;
	}
	size_t plen = (size_t)(s->end - s->p);
	if (flag & IDS_F_BITMAP)
		return bitmap_open(s, plen, name, err);
	int bad = 0;
	if (s->kind == IDS_KIND_INT) {
		if (s->count > plen / 8 || s->count * 8 != plen)
			bad = 1;
	} else if (s->count > plen / 4) {
		bad = 1;
	}
	/* walk once: lengths in bounds, values strictly ascending, nothing left over */
	s->cur = s->p;
	idset prev;
	for (uint64_t i = 0; !bad && i < s->count; i++) {
		if (s->kind == IDS_KIND_STR) {
			if (s->end - s->cur < 4 || (size_t)(s->end - s->cur) - 4 < rd_u32(s->cur)) {
				bad = 1;
				break;
			}
		}
		idset_next(s);
		if (i > 0 && idset_cmp(&prev, s) >= 0)
			bad = 2;
		prev = *s;
	}
	if (!bad && s->cur != s->end)
		bad = 1;
	if (bad) {
		free(s->owned);
		s->owned = NULL;
		return fr_err_set(err, FR_ECORRUPT, "group ids of %s: %s", name,
		                  bad == 2 ? "values not strictly ascending" : "truncated or bad length");
	}
	s->pos = 0;
	s->cur = s->p;
	return 0;
}

/* An id for a message: at most 64 bytes, control bytes escaped. */
static void id_text(const idset *s, char *out, size_t n)
{
	if (s->kind == IDS_KIND_INT) {
		snprintf(out, n, "%lld", (long long)s->iv);
		return;
	}
	size_t k = 0, lim = s->sn < 64 ? s->sn : 64;
	out[k++] = '\'';
	for (size_t i = 0; i < lim && k + 6 < n; i++) {
		unsigned char c = s->sv[i];
		if (c < 0x20 || c == 0x7f)
			k += (size_t)snprintf(out + k, n - k, "\\x%02x", c);
		else
			out[k++] = (char)c;
	}
	if (s->sn > lim && k + 4 < n) {
		memcpy(out + k, "...", 3);
		k += 3;
	}
	out[k++] = '\'';
	out[k] = 0;
}

int fr_dschema_ids_check(const uint8_t *const *blobs, const size_t *lens,
                         const char *const *names, int n, fr_err *err)
{
	if (n <= 0)
		return 0;
	idset *s = calloc((size_t)n, sizeof *s);
	int *heap = malloc((size_t)n * sizeof *heap);
	int rc = 0;
	if (!s || !heap) {
		rc = fr_err_set(err, FR_ENOMEM, "group-id check: out of memory");
		goto done;
	}
	for (int i = 0; i < n; i++)
		if ((rc = idset_open(blobs[i], lens[i], names[i], &s[i], err)))
			goto done;
	for (int i = 1; i < n; i++)
		if (s[i].kind != s[0].kind) {
			rc = fr_err_set(err, FR_EINVAL, "Schemas differ! group ids of %s are %s, group ids "
			                "of %s are %s", names[0], s[0].kind == IDS_KIND_INT ? "integers" :
			                "strings", names[i], s[i].kind == IDS_KIND_INT ? "integers" :
			                "strings");
			goto done;
		}
	/* k-way merge over a binary min-heap of the sets' current values: equal neighbours in
	 * the merged stream come from two different sets (each set is strictly ascending). */
	int hn = 0;
	for (int i = 0; i < n; i++) {
		if (!idset_next(&s[i]))
			continue;
		int j = hn++;
		while (j > 0 && idset_cmp(&s[i], &s[heap[(j - 1) / 2]]) < 0) {
			heap[j] = heap[(j - 1) / 2];
			j = (j - 1) / 2;
		}
		heap[j] = i;
	}
	int last = -1;
	idset lastv;
	memset(&lastv, 0, sizeof lastv);
	while (hn > 0) {
		int top = heap[0];
		if (last >= 0 && idset_cmp(&lastv, &s[top]) == 0) {
			char id[300];
			id_text(&s[top], id, sizeof id);
			int a = last < top ? last : top, b = last < top ? top : last;
			rc = fr_err_set(err, FR_EINVAL, "Group IDs are not unique across the %d sampled "
			                "files! %s is in both %s and %s", n, id, names[a], names[b]);
			goto done;
		}
		last = top;
		lastv = s[top];
		/* the root's set moves on, or leaves the heap for its last element */
		int x = top;
		if (!idset_next(&s[top]))
			x = heap[--hn];
		if (hn == 0)
			break;
		int j = 0;
		for (;;) {
			int l = 2 * j + 1;
			if (l >= hn)
				break;
			int best = l;
			if (l + 1 < hn && idset_cmp(&s[heap[l + 1]], &s[heap[l]]) < 0)
				best = l + 1;
			if (idset_cmp(&s[heap[best]], &s[x]) >= 0)
				break;
			heap[j] = heap[best];
			j = best;
		}
		heap[j] = x;
	}
done:
	if (s)
		for (int i = 0; i < n; i++)
			free(s[i].owned);
	free(s);
	free(heap);
	return rc;
}

/* ------------------------------------------------------------------------------------------
 * Collection */

static int is_cond(const char *name)
{
	return !strncmp(name, COND_PREFIX, sizeof COND_PREFIX - 1);
}

/* Decodes column col into v (in arena a). */
static int load(fr_pq_file *f, int col, fr_arena *a, fr_vec *v, fr_err *err)
{
	return fr_pq_load_column(f, col, NULL, a, v, err);
}

/* A decoded INT column against the statistics the reader trusts, row group by row group: a
 * value outside its row group's declared range means the data or the footer was damaged
 * (uncompressed pages carry no checksum, so overwritten values decode without complaint).
 * Queries prune row groups by these statistics, so such a part would give wrong answers
 * quietly: registration refuses it instead. */
static int check_stats_agree(fr_pq_file *f, int col, const fr_vec *v, const char *name,
                             fr_err *err)
{
	if (v->kind != FR_VEC_I64)
		return 0;
	int nrg = fr_pq_num_row_groups(f);
	uint8_t *keep = calloc((size_t)(nrg > 0 ? nrg : 1), 1);
	if (!keep)
		return fr_err_set(err, FR_ENOMEM, "%s: out of memory", fr_pq_name(f));
	int64_t at = 0;
	int rc = 0;
	for (int r = 0; r < nrg && !rc; r++) {
		int64_t rows = fr_pq_row_group_rows(f, r);
		if (rows < 0 || rows > v->len - at)
			break;
		keep[r] = 1;
		int64_t lo, hi;
		if (fr_pq_int_range(f, col, keep, &lo, &hi)) {
			for (int64_t i = at; i < at + rows; i++) {
				int64_t x = v->v.i64[i];
				if (fr_vec_valid(v, i) && (x < lo || x > hi)) {
					rc = fr_err_set(err, FR_ECORRUPT, "%s: column %s, row group %d: value %lld "
					                "is outside the range [%lld, %lld] of the row group's "
					                "statistics: the part is damaged", fr_pq_name(f), name, r,
					                (long long)x, (long long)lo, (long long)hi);
					break;
				}
			}
		}
		keep[r] = 0;
		at += rows;
	}
	free(keep);
	return rc;
}

/* The group column checks (§5.4 step 3): attributes and ids from one decode. */
static int check_group(fr_pq_file *f, int gi, const fr_pq_colinfo *ci, const char *g,
                       int pandas_cat, const fr_dschema_opts *o, fr_arena *arena,
                       fr_dscol *attrs, fr_buf *ids, fr_err *err)
{
	const char *fname = fr_pq_name(f);
	if (ci->nested || (ci->type != FR_TYPE_INT && ci->type != FR_TYPE_STRING))
		return fr_err_set(err, FR_EINVAL, "%s: Group column %s type must be either integer "
		                  "or string, but found: %s", fname, g, dtype_of(ci, pandas_cat));
	fr_arena *sa = fr_arena_new(0);
	if (!sa)
		return fr_err_set(err, FR_ENOMEM, "%s: out of memory", fname);
	fr_vec v;
	int rc = load(f, gi, sa, &v, err);
	if (rc)
		goto done;
	if (v.null_count > 0) {
		rc = fr_err_set(err, FR_EINVAL, "%s: Some values in column %s are null", fname, g);
		goto done;
	}
	if ((rc = check_stats_agree(f, gi, &v, g, err)))
		goto done;
	if (ci->type == FR_TYPE_INT)
		vec_range(&v, ci->is_unsigned && ci->physical_type == FR_PQ_INT64, attrs);
	else if ((rc = analyze_strings(&v, pandas_cat, o, arena, attrs, err, fname)))
		goto done;
	if (ids)
		rc = ids_build(&v, ids, err, fname, g);
done:
	fr_arena_free(sa);
	return rc;
}

static int check_ts(fr_pq_file *f, int ti, const fr_pq_colinfo *ci, const char *t,
                    fr_dscol *attrs, fr_err *err)
{
	const char *fname = fr_pq_name(f);
	if (ci->nested || (ci->type != FR_TYPE_INT && ci->type != FR_TYPE_FLOAT))
		return fr_err_set(err, FR_EINVAL, "%s: Column %s is not numeric", fname, t);
	fr_arena *sa = fr_arena_new(0);
	if (!sa)
		return fr_err_set(err, FR_ENOMEM, "%s: out of memory", fname);
	fr_vec v;
	int rc = load(f, ti, sa, &v, err);
	if (rc)
		goto done;
	int bad = v.null_count > 0;
	if (!bad && v.kind == FR_VEC_F64)
		for (int64_t i = 0; i < v.len && !bad; i++)
			bad = isnan(v.v.f64[i]);
	if (bad) {
		rc = fr_err_set(err, FR_EINVAL, "%s: Column %s has NaN values", fname, t);
		goto done;
	}
	if ((rc = check_stats_agree(f, ti, &v, t, err)))
		goto done;
	vec_range(&v, ci->is_unsigned && ci->physical_type == FR_PQ_INT64, attrs);
done:
	fr_arena_free(sa);
	return rc;
}

/* ------------------------------------------------------------------------------------------
 * Exact value counts of a plain string column, cache-friendly.
 *
 * The reader's string loading builds one dictionary for the whole column: one hash-table
 * probe and one string comparison per row, scattered over the whole dictionary.  For a
 * column with hundreds of thousands of distinct values (cryptic_attrs of the bench data)
 * that is most of a registration's time, spent waiting on memory.  Here the rows are
 * partitioned by the top bits of their hash into NPART partitions, copied inline (hash,
 * length, bytes) one row group at a time, and each partition then counts its pending rows in
 * its own small table of distinct values: every access stays within one partition's few
 * kilobytes.  Counts are exact (equal hashes are compared byte for byte), so the ratio, the
 * categorical flag and the top values are those of the dictionary they replace. */

#define NPART 256
#define PENT_HDR 12     /* u64 hash, u32 length, then the bytes */

typedef struct spart {
	fr_buf pend;        /* rows of the current row group, not yet counted */
	fr_buf reps;        /* one entry per distinct value (same layout) */
	uint64_t *roff;     /* offset of each distinct value in reps */
	int64_t *cnt;       /* its occurrences */
	uint32_t nrep, cap;
	uint64_t *slots;    /* 0 empty, else (hash >> 32) << 32 | (index + 1) */
	uint32_t mask;
} spart;

/* memcmp(a, b, n) == 0 inline: nearly every comparison is of two equal values (a repeated
 * value meets its first occurrence), and the call was a tenth of the counting. */
static inline int same_bytes(const uint8_t *a, const uint8_t *b, size_t n)
{
	if (n < 8) {
		for (size_t i = 0; i < n; i++)
			if (a[i] != b[i])
				return 0;
		return 1;
	}
	uint64_t x, y, diff = 0;
	for (size_t i = 0; i + 8 <= n; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		diff |= x ^ y;
	}
	memcpy(&x, a + n - 8, 8);
	memcpy(&y, b + n - 8, 8);
	return !(diff | (x ^ y));
}

static int spart_rehash(spart *s, uint32_t size)
{
	uint64_t *sl = calloc(size, sizeof *sl);
	if (!sl)
		return FR_ENOMEM;
	uint32_t mask = size - 1;
	for (uint32_t c = 0; c < s->nrep; c++) {
		uint64_t h;
		memcpy(&h, s->reps.data + s->roff[c], 8);
		uint32_t i = (uint32_t)h & mask;
		while (sl[i])
			i = (i + 1) & mask;
		sl[i] = (h >> 32 << 32) | (uint64_t)(c + 1);
	}
	free(s->slots);
	s->slots = sl;
	s->mask = mask;
	return 0;
}

/* Counts the pending rows of one partition into its distinct values. */
static int spart_flush(spart *s)
{
	const uint8_t *p = s->pend.data, *end = p + s->pend.len;
	while (p < end) {
		uint64_t h;
		uint32_t n;
		memcpy(&h, p, 8);
		memcpy(&n, p + 8, 4);
		const uint8_t *b = p + PENT_HDR;
		p = b + n;
		if (!s->slots || (uint64_t)(s->nrep + 1) * 2 > (uint64_t)s->mask + 1) {
			if (s->nrep >= UINT32_MAX / 4)
				return FR_ELIMIT;
			if (spart_rehash(s, s->slots ? (s->mask + 1) * 2 : 64))
				return FR_ENOMEM;
		}
		uint64_t tag = h >> 32 << 32;
		uint32_t i = (uint32_t)h & s->mask;
		int found = 0;
		for (uint64_t sv; (sv = s->slots[i]); i = (i + 1) & s->mask) {
			if ((sv & 0xffffffff00000000ull) != tag)
				continue;
			uint32_t c = (uint32_t)sv - 1;
			const uint8_t *r = s->reps.data + s->roff[c];
			uint64_t rh;
			uint32_t rn;
			memcpy(&rh, r, 8);
			memcpy(&rn, r + 8, 4);
			if (rh == h && rn == n && same_bytes(r + PENT_HDR, b, n)) {
				s->cnt[c]++;
				found = 1;
				break;
			}
		}
		if (found)
			continue;
		if (s->nrep >= s->cap) {
			uint32_t nc = s->cap ? s->cap * 2 : 64;
			uint64_t *ro = realloc(s->roff, (size_t)nc * sizeof *ro);
			if (!ro)
				return FR_ENOMEM;
			s->roff = ro;
			int64_t *cn = realloc(s->cnt, (size_t)nc * sizeof *cn);
			if (!cn)
				return FR_ENOMEM;
			s->cnt = cn;
			s->cap = nc;
		}
		s->roff[s->nrep] = s->reps.len;
		if (fr_buf_append(&s->reps, b - PENT_HDR, PENT_HDR + (size_t)n))
			return FR_ENOMEM;
		s->cnt[s->nrep] = 1;
		s->slots[i] = tag | (uint64_t)(s->nrep + 1);
		s->nrep++;
	}
	s->pend.len = 0;
	return 0;
}

/* fr_pq_scan_bytes consumer: each value, with its hash, to its partition's pending rows. */
static int part_values(void *ctx, const fr_pq_bytes *v, size_t n, fr_err *err)
{
	spart *ps = ctx;
	for (size_t i = 0; i < n; i++) {
		uint64_t h = fr_hash_bytes(v[i].p, v[i].n);
		spart *s = &ps[h >> 56];
		if (s->pend.cap - s->pend.len < PENT_HDR + (size_t)v[i].n &&
		    fr_buf_reserve(&s->pend, PENT_HDR + (size_t)v[i].n))
			return fr_err_set(err, FR_ENOMEM, "out of memory");
		uint8_t *d = s->pend.data + s->pend.len;
		memcpy(d, &h, 8);
		memcpy(d + 8, &v[i].n, 4);
		memcpy(d + PENT_HDR, v[i].p, v[i].n);
		s->pend.len += PENT_HDR + (size_t)v[i].n;
	}
	return 0;
}

/* Keeps the k best values (by strref_cmp_freq) seen so far in top[0..*nt), best first. */
static void top_offer(strref *top, size_t k, size_t *nt, strref r)
{
	if (*nt == k && strref_cmp_freq(&r, &top[k - 1]) >= 0)
		return;
	/* A value JSON cannot carry exactly (NUL, broken UTF-8) would come back from the catalog
	 * as another string, or collide with one: it is left out of the top values. */
	if (!json_safe(r.p, r.n))
		return;
	size_t i = *nt < k ? (*nt)++ : k - 1;
	while (i > 0 && strref_cmp_freq(&r, &top[i - 1]) < 0) {
		top[i] = top[i - 1];
		i--;
	}
	top[i] = r;
}

/* Categorical analysis (§5.5) of a string column that is not a stored categorical, from
 * exact value counts made row group by row group (fr_pq_scan_bytes): the same answers
 * as analyze_strings over the whole column's dictionary, at a fraction of its cost. */
static int analyze_strings_counted(fr_pq_file *f, int col, const fr_dschema_opts *o,
                                   fr_arena *a, fr_dscol *c, fr_err *err)
{
	const char *fname = fr_pq_name(f);
	int nrg = fr_pq_num_row_groups(f);
	spart *ps = calloc(NPART, sizeof *ps);
	if (!ps)
		return fr_err_set(err, FR_ENOMEM, "%s: column %s: out of memory", fname, c->name);
	int64_t rows = 0, nulls = 0, distinct = 0;
	int rc = 0;
	/* Distinct values only accumulate: once they are more than cat_ratio of all the file's
	 * rows, the column cannot be categorical, and a non-categorical column stores nothing
	 * else (no ratio, no top values).  The rest of it is not read: on a high-cardinality
	 * column (the bench data's cryptic_attrs: 34% distinct) the threshold is passed within
	 * the first row groups, and counting it was most of a registration. */
	const int64_t total = fr_pq_num_rows(f);
	int over = 0;
	/* row group by row group: the pending rows of one row group at most are held */
	for (int rg = 0; rg < nrg && !rc && !over; rg++) {
		int64_t r, z;
		if ((rc = fr_pq_scan_bytes(f, col, rg, part_values, ps, &r, &z, err)))
			break;
		rows += r;
		nulls += z;
		distinct = 0;
		for (int k = 0; k < NPART && !rc; k++) {
			rc = spart_flush(&ps[k]);
			distinct += ps[k].nrep;
		}
		over = total > 0 && (double)distinct / (double)total > o->cat_ratio;
	}
	if (rc)
		goto done;
	int64_t nonnull = rows - nulls;
	c->categorical = 0;
	c->has_ratio = 0;
	c->ntop = 0;
	c->top_values = NULL;
	c->top_freqs = NULL;
	if (over) {
		c->cat_ratio = (double)distinct / (double)total;   /* a lower bound; not stored */
	} else if (distinct > 0) {
		c->cat_ratio = (double)distinct / (double)rows;
		c->categorical = c->cat_ratio <= o->cat_ratio;
		c->has_ratio = c->categorical;
	}
	int64_t k = o->cat_top_count > 0 ? (int64_t)floor((double)o->cat_top_count * 1.5) : 0;
	if (!c->categorical || k <= 0)
		goto done;
	if (k > distinct)
		k = distinct;
	strref *top = malloc((size_t)k * sizeof *top);
	if (!top) {
		rc = FR_ENOMEM;
		goto done;
	}
	size_t nt = 0;
	for (int q = 0; q < NPART; q++) {
		const spart *s = &ps[q];
		for (uint32_t i = 0; i < s->nrep; i++) {
			const uint8_t *r = s->reps.data + s->roff[i];
			uint32_t n;
			memcpy(&n, r + 8, 4);
			top_offer(top, (size_t)k, &nt, (strref){ r + PENT_HDR, n, s->cnt[i] });
		}
	}
	c->top_values = fr_arena_calloc(a, nt ? nt : 1, sizeof *c->top_values);
	c->top_freqs = fr_arena_calloc(a, nt ? nt : 1, sizeof *c->top_freqs);
	for (size_t i = 0; i < nt && c->top_values && c->top_freqs; i++) {
		if (!(c->top_values[i] = fr_arena_strndup(a, (const char *)top[i].p, top[i].n)))
			c->top_freqs = NULL;
		else
			c->top_freqs[i] = (double)top[i].count / (double)nonnull;
	}
	free(top);
	if (!c->top_values || !c->top_freqs)
		rc = FR_ENOMEM;
	else
		c->ntop = (int)nt;
done:
	for (int q = 0; q < NPART; q++) {
		fr_buf_free(&ps[q].pend);
		fr_buf_free(&ps[q].reps);
		free(ps[q].roff);
		free(ps[q].cnt);
		free(ps[q].slots);
	}
	free(ps);
	if (rc == FR_ENOMEM)
		return fr_err_set(err, FR_ENOMEM, "%s: column %s: out of memory", fname, c->name);
	if (rc == FR_ELIMIT)
		return fr_err_set(err, FR_ELIMIT, "%s: column %s: too many or too long values to "
		                  "count", fname, c->name);
	return rc;
}

/* 1 when every chunk of the column starts with a dictionary page: the reader then meets each
 * distinct value of a chunk once (its dictionary) and maps the rows by index, cheaper than
 * hashing every row. */
static int all_dict_chunks(const fr_pq_file *f, int col)
{
	int nrg = fr_pq_num_row_groups(f);
	for (int rg = 0; rg < nrg; rg++) {
		fr_pq_chunkinfo ch;
		if (fr_pq_chunk_info(f, rg, col, &ch) || ch.dictionary_page_offset < 0)
			return 0;
	}
	return 1;
}

/* Numeric and string attributes of one ordinary supported column. */
static int analyze_column(fr_pq_file *f, int col, const fr_pq_colinfo *ci, int pandas_cat,
                          const fr_dschema_opts *o, fr_arena *arena, fr_dscol *c, fr_err *err)
{
	if (ci->type == FR_TYPE_BOOL)
		return 0;
	if (ci->type == FR_TYPE_INT) {
		int64_t lo, hi;
		if (fr_pq_int_range(f, col, NULL, &lo, &hi)) {
			c->has_min = c->has_max = 1;
			c->min = (double)lo;
			c->max = (double)hi;
			return 0;
		}
	} else if (ci->type == FR_TYPE_FLOAT) {
		double lo, hi;
		if (float_stats(f, col, ci, &lo, &hi)) {
			c->has_min = c->has_max = 1;
			c->min = lo;
			c->max = hi;
			return 0;
		}
	}
	int rc;
	if (ci->type == FR_TYPE_STRING && !pandas_cat && !all_dict_chunks(f, col))
		return analyze_strings_counted(f, col, o, arena, c, err);
	fr_arena *sa = fr_arena_new(0);
	if (!sa)
		return fr_err_set(err, FR_ENOMEM, "%s: out of memory", fr_pq_name(f));
	fr_vec v;
	rc = load(f, col, sa, &v, err);
	if (!rc) {
		if (ci->type == FR_TYPE_STRING)
			rc = analyze_strings(&v, pandas_cat, o, arena, c, err, fr_pq_name(f));
		else
			vec_range(&v, ci->is_unsigned && ci->physical_type == FR_PQ_INT64, c);
	}
	fr_arena_free(sa);
	return rc;
}

int fr_dschema_collect(fr_pq_file *f, const char *group_col, const char *ts_col,
                       const fr_dschema_opts *opts, fr_arena *arena, fr_dschema **out,
                       fr_buf *ids, fr_err *err)
{
	const char *fname = fr_pq_name(f);
	int n = fr_pq_num_columns(f);
	if (n < 0)
		n = 0;
	fr_dschema *s = fr_arena_calloc(arena, 1, sizeof *s);
	strset cats, seen_sup, seen_uns;
	if (!s || pandas_categoricals(f, arena, &cats) || strset_init(&seen_sup, arena, (size_t)n) ||
	    strset_init(&seen_uns, arena, (size_t)n))
		return fr_err_set(err, FR_ENOMEM, "%s: out of memory", fname);
	s->group_col = fr_arena_strdup(arena, group_col);
	s->ts_col = fr_arena_strdup(arena, ts_col);
	s->cols = fr_arena_calloc(arena, (size_t)(n ? n : 1), sizeof *s->cols);
	s->unsup_names = fr_arena_calloc(arena, (size_t)(n ? n : 1), sizeof *s->unsup_names);
	s->unsup_types = fr_arena_calloc(arena, (size_t)(n ? n : 1), sizeof *s->unsup_types);
	if (!s->group_col || !s->ts_col || !s->cols || !s->unsup_names || !s->unsup_types)
		return fr_err_set(err, FR_ENOMEM, "%s: out of memory", fname);

	/* §5.4 step 3, in the original's order: group column, then timestamp column. */
	fr_pq_colinfo gci, tci;
	fr_dscol gattrs, tattrs;
	memset(&gattrs, 0, sizeof gattrs);
	memset(&tattrs, 0, sizeof tattrs);
	gattrs.name = s->group_col;
	int gi = fr_pq_column_index(f, group_col);
	if (gi < 0 || fr_pq_column_info(f, gi, &gci))
		return fr_err_set(err, FR_EINVAL, "%s: Column %s not found in file", fname,
		                  group_col);
	int rc = check_group(f, gi, &gci, group_col, strset_get(&cats, group_col) >= 0, opts,
	                     arena, &gattrs, ids, err);
	if (rc)
		return rc;
	int ti = fr_pq_column_index(f, ts_col);
	if (ti < 0 || fr_pq_column_info(f, ti, &tci))
		return fr_err_set(err, FR_EINVAL, "%s: Column %s not found in file", fname, ts_col);
	if ((rc = check_ts(f, ti, &tci, ts_col, &tattrs, err)))
		return rc;
	/* §5.4 step 5: both must be supported columns. */
	for (int k = 0; k < 2; k++) {
		const char *nm = k ? ts_col : group_col;
		if (is_cond(nm))
			return fr_err_set(err, FR_EINVAL, "%s: Column %s is reserved (names starting with "
			                  COND_PREFIX " are not supported)", fname, nm);
		if (!json_safe(nm, strlen(nm)))
			return fr_err_set(err, FR_EINVAL, "%s: the name of column %s is not valid UTF-8",
			                  fname, nm);
	}

	for (int c = 0; c < n; c++) {
		fr_pq_colinfo ci;
		if (fr_pq_column_info(f, c, &ci))
			return fr_err_set(err, FR_ECORRUPT, "%s: cannot read column %d", fname, c);
		int pcat = strset_get(&cats, ci.name) >= 0;
		const char *dt = dtype_of(&ci, pcat);
		if (!json_safe(ci.name, strlen(ci.name)) || is_cond(ci.name) ||
		    ci.type == FR_TYPE_NONE || ci.nested) {
			/* Unsupported, named as JSON will carry it; a later duplicate adds nothing. */
			char *nm = json_safe(ci.name, strlen(ci.name)) ? fr_arena_strdup(arena, ci.name) :
			           utf8_sanitize(arena, ci.name);
			if (!nm)
				return fr_err_set(err, FR_ENOMEM, "%s: out of memory", fname);
			if (!strset_add(&seen_uns, nm, s->nunsup))
				continue;
			if (is_cond(ci.name))
				FR_WARN("dschema", "%s: column %s is not supported (the prefix " COND_PREFIX
				        " is reserved for the query engine)", fname, nm);
			s->unsup_names[s->nunsup] = nm;
			s->unsup_types[s->nunsup++] = dt;
			continue;
		}
		/* Two leaves of one name: the first is the one queries resolve (the reader's
		 * lookup), so the later one is left out. */
		if (strset_get(&seen_sup, ci.name) >= 0)
			continue;
		fr_dscol *d = &s->cols[s->ncols];
		if (c == gi) {
			*d = gattrs;
		} else if (c == ti) {
			*d = tattrs;
		} else {
			memset(d, 0, sizeof *d);
			d->name = ci.name;
			rc = analyze_column(f, c, &ci, pcat, opts, arena, d, err);
			if (rc == FR_EUNSUPPORTED && ci.is_unsigned) {
				/* An unsigned 64-bit column holding values above INT64_MAX cannot be queried
				 * (the reader refuses to load it): it is listed as unsupported, so a query
				 * naming it is refused at validation instead of failing every task. */
				FR_WARN("dschema", "%s", err->msg);
				fr_err_clear(err);
				char *nm = fr_arena_strdup(arena, ci.name);
				if (!nm)
					return fr_err_set(err, FR_ENOMEM, "%s: out of memory", fname);
				if (strset_add(&seen_uns, nm, s->nunsup)) {
					s->unsup_names[s->nunsup] = nm;
					s->unsup_types[s->nunsup++] = dt;
				}
				continue;
			}
			if (rc)
				return rc;
		}
		if (ci.type != FR_TYPE_STRING)
			d->categorical = d->has_ratio = d->ntop = 0;
		if (ci.type == FR_TYPE_BOOL || ci.type == FR_TYPE_STRING)
			d->has_min = d->has_max = 0;
		d->name = fr_arena_strdup(arena, ci.name);
		d->dtype = dt;
		d->type = ci.type;
		if (!d->name)
			return fr_err_set(err, FR_ENOMEM, "%s: out of memory", fname);
		strset_add(&seen_sup, d->name, s->ncols);
		s->ncols++;
	}
	*out = s;
	return 0;
}

/* ------------------------------------------------------------------------------------------
 * Merge (§5.6) */

static int col_map(const fr_dschema *s, fr_arena *a, strset *m)
{
	int rc = strset_init(m, a, (size_t)s->ncols);
	for (int i = 0; !rc && i < s->ncols; i++)
		strset_add(m, s->cols[i].name, i);
	return rc;
}

typedef struct topent {
	const char *v;
	double sum;
} topent;

static int topent_cmp(const void *x, const void *y)
{
	const topent *a = x, *b = y;
	if (a->sum != b->sum)
		return a->sum > b->sum ? -1 : 1;
	return strcmp(a->v, b->v);
}

static int merge_top(const fr_dscol *const *cols, int n, const fr_dschema_opts *o,
                     fr_arena *a, fr_dscol *d)
{
	int total = 0, any = 0;
	for (int i = 0; i < n; i++) {
		total += cols[i]->ntop;
		any |= cols[i]->top_values != NULL;
	}
	d->top_values = NULL;
	d->top_freqs = NULL;
	d->ntop = 0;
	if (!any)
		return 0;
	strset idx;
	topent *e = fr_arena_calloc(a, (size_t)(total ? total : 1), sizeof *e);
	if (!e || strset_init(&idx, a, (size_t)total))
		return FR_ENOMEM;
	int ne = 0;
	for (int i = 0; i < n; i++)
		for (int k = 0; k < cols[i]->ntop; k++) {
			const char *v = cols[i]->top_values[k];
			int at = strset_get(&idx, v);
			if (at < 0) {
				strset_add(&idx, v, ne);
				e[ne].v = v;
				e[ne++].sum = cols[i]->top_freqs[k];
			} else {
				e[at].sum += cols[i]->top_freqs[k];
			}
		}
	qsort(e, (size_t)ne, sizeof *e, topent_cmp);
	int64_t keep = o->cat_top_count > 0 ? o->cat_top_count : 0;
	if (keep > ne)
		keep = ne;
	d->top_values = fr_arena_calloc(a, (size_t)(keep ? keep : 1), sizeof *d->top_values);
	d->top_freqs = fr_arena_calloc(a, (size_t)(keep ? keep : 1), sizeof *d->top_freqs);
	if (!d->top_values || !d->top_freqs)
		return FR_ENOMEM;
	for (int64_t k = 0; k < keep; k++) {
		double fq = e[k].sum / n;
		if (fq < o->cat_top_minpct)
			continue;
		if (!(d->top_values[d->ntop] = fr_arena_strdup(a, e[k].v)))
			return FR_ENOMEM;
		d->top_freqs[d->ntop++] = fq;
	}
	return 0;
}

int fr_dschema_merge(const fr_dschema *const *parts, const char *const *names, int n,
                     const fr_dschema_opts *opts, fr_arena *arena, fr_dschema **out,
                     fr_err *err)
{
	if (n <= 0)
		return fr_err_set(err, FR_EINVAL, "schema merge: no part to merge");
	const fr_dschema *p0 = parts[0];
	strset *maps = fr_arena_calloc(arena, (size_t)n, sizeof *maps);
	if (!maps)
		return fr_err_set(err, FR_ENOMEM, "schema merge: out of memory");
	for (int i = 0; i < n; i++)
		if (col_map(parts[i], arena, &maps[i]))
			return fr_err_set(err, FR_ENOMEM, "schema merge: out of memory");
	for (int i = 1; i < n; i++) {
		const fr_dschema *pi = parts[i];
		if (strcmp(p0->group_col, pi->group_col) || strcmp(p0->ts_col, pi->ts_col))
			return fr_err_set(err, FR_EINVAL, "Schemas differ! %s has group/timestamp columns "
			                  "%s/%s, %s has %s/%s", names[0], p0->group_col, p0->ts_col,
			                  names[i], pi->group_col, pi->ts_col);
		for (int c = 0; c < pi->ncols; c++) {
			int at = strset_get(&maps[0], pi->cols[c].name);
			if (at < 0)
				return fr_err_set(err, FR_EINVAL, "Schemas differ! %s has %d columns, %s has "
				                  "%d: column %s is in %s only", names[0], p0->ncols, names[i],
				                  pi->ncols, pi->cols[c].name, names[i]);
			if (p0->cols[at].type != pi->cols[c].type)
				return fr_err_set(err, FR_EINVAL, "Schemas differ! column %s is %s in %s and "
				                  "%s in %s", pi->cols[c].name, type_name(p0->cols[at].type),
				                  names[0], type_name(pi->cols[c].type), names[i]);
		}
		for (int c = 0; c < p0->ncols; c++)
			if (strset_get(&maps[i], p0->cols[c].name) < 0)
				return fr_err_set(err, FR_EINVAL, "Schemas differ! %s has %d columns, %s has "
				                  "%d: column %s is in %s only", names[0], p0->ncols, names[i],
				                  pi->ncols, p0->cols[c].name, names[0]);
	}

	fr_dschema *s = fr_arena_calloc(arena, 1, sizeof *s);
	const fr_dscol **same = fr_arena_calloc(arena, (size_t)n, sizeof *same);
	if (!s || !same)
		return fr_err_set(err, FR_ENOMEM, "schema merge: out of memory");
	s->group_col = fr_arena_strdup(arena, p0->group_col);
	s->ts_col = fr_arena_strdup(arena, p0->ts_col);
	s->ncols = p0->ncols;
	s->cols = fr_arena_calloc(arena, (size_t)(s->ncols ? s->ncols : 1), sizeof *s->cols);
	s->nunsup = p0->nunsup;
	s->unsup_names = fr_arena_calloc(arena, (size_t)(s->nunsup ? s->nunsup : 1),
	                                 sizeof *s->unsup_names);
	s->unsup_types = fr_arena_calloc(arena, (size_t)(s->nunsup ? s->nunsup : 1),
	                                 sizeof *s->unsup_types);
	if (!s->group_col || !s->ts_col || !s->cols || !s->unsup_names || !s->unsup_types)
		return fr_err_set(err, FR_ENOMEM, "schema merge: out of memory");
	for (int u = 0; u < s->nunsup; u++) {
		s->unsup_names[u] = fr_arena_strdup(arena, p0->unsup_names[u]);
		s->unsup_types[u] = fr_arena_strdup(arena, p0->unsup_types[u]);
		if (!s->unsup_names[u] || !s->unsup_types[u])
			return fr_err_set(err, FR_ENOMEM, "schema merge: out of memory");
	}
	for (int c = 0; c < p0->ncols; c++) {
		const fr_dscol *c0 = &p0->cols[c];
		fr_dscol *d = &s->cols[c];
		memset(d, 0, sizeof *d);
		d->name = fr_arena_strdup(arena, c0->name);
		d->dtype = fr_arena_strdup(arena, c0->dtype);
		d->type = c0->type;
		if (!d->name || !d->dtype)
			return fr_err_set(err, FR_ENOMEM, "schema merge: out of memory");
		for (int i = 0; i < n; i++)
			same[i] = &parts[i]->cols[strset_get(&maps[i], c0->name)];
		if (d->type == FR_TYPE_INT || d->type == FR_TYPE_FLOAT) {
			for (int i = 0; i < n; i++) {
				if (same[i]->has_min && (!d->has_min || same[i]->min < d->min)) {
					d->min = same[i]->min;
					d->has_min = 1;
				}
				if (same[i]->has_max && (!d->has_max || same[i]->max > d->max)) {
					d->max = same[i]->max;
					d->has_max = 1;
				}
			}
		} else if (d->type == FR_TYPE_STRING) {
			int all = 1;
			double rsum = 0;
			for (int i = 0; i < n; i++) {
				all &= same[i]->categorical;
				rsum += same[i]->has_ratio ? same[i]->cat_ratio : 0;
			}
			if (all) {
				d->categorical = 1;
				d->has_ratio = 1;
				d->cat_ratio = rsum / n;
				if (merge_top(same, n, opts, arena, d))
					return fr_err_set(err, FR_ENOMEM, "schema merge: out of memory");
			}
		}
	}
	*out = s;
	return 0;
}

/* ------------------------------------------------------------------------------------------
 * JSON */

static void put_num(fr_jw *w, int has, double v)
{
	if (has)
		fr_jw_double(w, v);
	else
		fr_jw_null(w);
}

int fr_dschema_write_full(const fr_dschema *s, fr_buf *b, int pretty)
{
	fr_jw w;
	fr_jw_init(&w, b, pretty);
	fr_jw_open(&w, '{');
	fr_jw_key(&w, "groupIdColumn");
	fr_jw_str(&w, s->group_col);
	fr_jw_key(&w, "timestampColumn");
	fr_jw_str(&w, s->ts_col);
	fr_jw_key(&w, "columns");
	fr_jw_open(&w, '{');
	for (int i = 0; i < s->ncols; i++) {
		const fr_dscol *c = &s->cols[i];
		fr_jw_key(&w, c->name);
		fr_jw_open(&w, '{');
		fr_jw_key(&w, "name");
		fr_jw_str(&w, c->name);
		fr_jw_key(&w, "dtypeName");
		fr_jw_str(&w, c->dtype);
		fr_jw_key(&w, "coltype");
		fr_jw_str(&w, type_name(c->type));
		fr_jw_key(&w, "colattrs");
		fr_jw_open(&w, '{');
		fr_jw_key(&w, "numericMin");
		put_num(&w, c->has_min, c->min);
		fr_jw_key(&w, "numericMax");
		put_num(&w, c->has_max, c->max);
		fr_jw_key(&w, "categorical");
		fr_jw_bool(&w, c->categorical);
		fr_jw_key(&w, "catTopValues");
		if (c->top_values) {
			fr_jw_open(&w, '{');
			for (int k = 0; k < c->ntop; k++) {
				fr_jw_key(&w, c->top_values[k]);
				fr_jw_double(&w, c->top_freqs[k]);
			}
			fr_jw_close(&w, '}');
		} else {
			fr_jw_null(&w);
		}
		fr_jw_key(&w, "catUniqueRatio");
		put_num(&w, c->has_ratio, c->cat_ratio);
		fr_jw_close(&w, '}');
		fr_jw_close(&w, '}');
	}
	fr_jw_close(&w, '}');
	fr_jw_key(&w, "unsupportedColumns");
	fr_jw_open(&w, '{');
	for (int i = 0; i < s->nunsup; i++) {
		fr_jw_key(&w, s->unsup_names[i]);
		fr_jw_str(&w, s->unsup_types[i]);
	}
	fr_jw_close(&w, '}');
	fr_jw_close(&w, '}');
	return fr_jw_status(&w);
}

static const fr_dscol *find_col(const fr_dschema *s, const char *name)
{
	for (int i = 0; i < s->ncols; i++)
		if (!strcmp(s->cols[i].name, name))
			return &s->cols[i];
	return NULL;
}

/* A source categorical: a categorical string stored as one (pandas "category"). */
static int is_source_cat(const fr_dscol *c)
{
	return c->categorical && !strcmp(c->dtype, "category");
}

int fr_dschema_write_short(const fr_dschema *s, fr_buf *b, int pretty)
{
	fr_jw w;
	fr_jw_init(&w, b, pretty);
	fr_jw_open(&w, '{');
	fr_jw_key(&w, "columns");
	fr_jw_open(&w, '{');
	for (int i = 0; i < s->ncols; i++) {
		fr_jw_key(&w, s->cols[i].name);
		fr_jw_str(&w, type_name(s->cols[i].type));
	}
	fr_jw_close(&w, '}');
	const fr_dscol *ts = find_col(s, s->ts_col);
	fr_jw_key(&w, "minTimestamp");
	put_num(&w, ts && ts->has_min, ts ? ts->min : 0);
	fr_jw_key(&w, "maxTimestamp");
	put_num(&w, ts && ts->has_max, ts ? ts->max : 0);
	for (int pass = 0; pass < 2; pass++) {
		fr_jw_key(&w, pass ? "potentialCategoricals" : "sourceCategoricals");
		fr_jw_open(&w, '[');
		for (int i = 0; i < s->ncols; i++) {
			const fr_dscol *c = &s->cols[i];
			if (c->type == FR_TYPE_STRING && c->categorical && is_source_cat(c) == !pass)
				fr_jw_str(&w, c->name);
		}
		fr_jw_close(&w, ']');
	}
	fr_jw_close(&w, '}');
	return fr_jw_status(&w);
}

/* Parsing: everything is checked; the first problem is reported with its JSON path. */

typedef struct jctx {
	fr_arena *a;
	fr_err *err;
} jctx;

static int corrupt(jctx *j, const char *fmt, const char *a1, const char *a2)
{
	fr_err_set(j->err, FR_ECORRUPT, "dataset schema: ");
	char tail[FR_ERR_MSG_MAX];
	snprintf(tail, sizeof tail, fmt, a1 ? a1 : "", a2 ? a2 : "");
	size_t l = strlen(j->err->msg);
	snprintf(j->err->msg + l, sizeof j->err->msg - l, "%s", tail);
	return FR_ECORRUPT;
}

static const char *jstr(jctx *j, json_t *o, const char *key, const char *where)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v)) {
		corrupt(j, "%s.%s must be a string", where, key);
		return NULL;
	}
	const char *s = fr_arena_strndup(j->a, json_string_value(v), json_string_length(v));
	if (!s)
		fr_err_set(j->err, FR_ENOMEM, "dataset schema: out of memory");
	return s;
}

/* A number or null: 1 with *v, 0 for null, <0 on error. */
static int jnum(jctx *j, json_t *o, const char *key, const char *where, double *v)
{
	json_t *x = json_object_get(o, key);
	if (json_is_null(x))
		return 0;
	if (!json_is_number(x))
		return corrupt(j, "%s.%s must be a number or null", where, key);
	*v = json_number_value(x);
	return 1;
}

/* Refuses keys other than the expected ones (and a missing one: every key is written). */
static int jkeys(jctx *j, json_t *o, const char *const *keys, int nkeys, const char *where)
{
	if (!json_is_object(o))
		return corrupt(j, "%s must be an object", where, NULL);
	for (int k = 0; k < nkeys; k++)
		if (!json_object_get(o, keys[k]))
			return corrupt(j, "%s.%s is missing", where, keys[k]);
	if (json_object_size(o) != (size_t)nkeys) {
		const char *key;
		json_t *v;
		json_object_foreach(o, key, v) {
			int known = 0;
			for (int k = 0; k < nkeys; k++)
				known |= !strcmp(key, keys[k]);
			if (!known)
				return corrupt(j, "%s: unexpected key %s", where, key);
		}
	}
	return 0;
}

static int parse_coltype(const char *s, fr_coltype *t)
{
	static const fr_coltype ts[] = { FR_TYPE_INT, FR_TYPE_FLOAT, FR_TYPE_BOOL, FR_TYPE_STRING };
	for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++)
		if (!strcmp(s, fr_coltype_name(ts[i]))) {
			*t = ts[i];
			return 0;
		}
	return -1;
}

static int parse_col(jctx *j, const char *key, json_t *o, fr_dscol *c)
{
	static const char *const ck[] = { "name", "dtypeName", "coltype", "colattrs" };
	static const char *const ak[] = { "numericMin", "numericMax", "categorical",
	                                  "catTopValues", "catUniqueRatio" };
	char where[160];
	snprintf(where, sizeof where, "columns[%.120s]", key);
	int rc = jkeys(j, o, ck, 4, where);
	if (rc)
		return rc;
	memset(c, 0, sizeof *c);
	if (!(c->name = jstr(j, o, "name", where)) || !(c->dtype = jstr(j, o, "dtypeName", where)))
		return j->err->code;
	if (strcmp(c->name, key))
		return corrupt(j, "%s.name is %s, not its key", where, c->name);
	const char *ct = jstr(j, o, "coltype", where);
	if (!ct)
		return j->err->code;
	if (parse_coltype(ct, &c->type))
		return corrupt(j, "%s.coltype: unknown type %s", where, ct);
	json_t *at = json_object_get(o, "colattrs");
	char wa[200];
	snprintf(wa, sizeof wa, "%s.colattrs", where);
	if ((rc = jkeys(j, at, ak, 5, wa)))
		return rc;
	if ((rc = jnum(j, at, "numericMin", wa, &c->min)) < 0)
		return rc;
	c->has_min = rc;
	if ((rc = jnum(j, at, "numericMax", wa, &c->max)) < 0)
		return rc;
	c->has_max = rc;
	if ((rc = jnum(j, at, "catUniqueRatio", wa, &c->cat_ratio)) < 0)
		return rc;
	c->has_ratio = rc;
	json_t *cat = json_object_get(at, "categorical");
	if (!json_is_boolean(cat))
		return corrupt(j, "%s.categorical must be a boolean", wa, NULL);
	c->categorical = json_is_true(cat);
	json_t *top = json_object_get(at, "catTopValues");
	if (!json_is_null(top)) {
		if (!json_is_object(top))
			return corrupt(j, "%s.catTopValues must be an object or null", wa, NULL);
		size_t nt = json_object_size(top);
		if (nt > INT32_MAX)
			return corrupt(j, "%s.catTopValues is too large", wa, NULL);
		c->top_values = fr_arena_calloc(j->a, nt ? nt : 1, sizeof *c->top_values);
		c->top_freqs = fr_arena_calloc(j->a, nt ? nt : 1, sizeof *c->top_freqs);
		if (!c->top_values || !c->top_freqs)
			return fr_err_set(j->err, FR_ENOMEM, "dataset schema: out of memory");
		const char *k;
		json_t *v;
		json_object_foreach(top, k, v) {
			if (!json_is_number(v))
				return corrupt(j, "%s.catTopValues[%.120s] must be a number", wa, k);
			if (!(c->top_values[c->ntop] = fr_arena_strdup(j->a, k)))
				return fr_err_set(j->err, FR_ENOMEM, "dataset schema: out of memory");
			c->top_freqs[c->ntop++] = json_number_value(v);
		}
	}
	/* What the writer never produces is refused, so a damaged record is caught here rather
	 * than misleading a query later. */
	int numeric = c->type == FR_TYPE_INT || c->type == FR_TYPE_FLOAT;
	if (!numeric && (c->has_min || c->has_max))
		return corrupt(j, "%s: numericMin/numericMax on a non-numeric column", wa, NULL);
	if (c->type != FR_TYPE_STRING && c->categorical)
		return corrupt(j, "%s: categorical on a non-string column", wa, NULL);
	if (!c->categorical && (c->has_ratio || c->top_values))
		return corrupt(j, "%s: catTopValues/catUniqueRatio on a non-categorical column", wa,
		               NULL);
	return 0;
}

int fr_dschema_parse(const char *json, size_t len, fr_arena *arena, fr_dschema **out,
                     fr_err *err)
{
	static const char *const tk[] = { "groupIdColumn", "timestampColumn", "columns",
	                                  "unsupportedColumns" };
	jctx j = { arena, err };
	json_error_t je;
	json_t *doc = json_loadb(json ? json : "", json ? len : 0, JSON_REJECT_DUPLICATES, &je);
	if (!doc)
		return fr_err_set(err, FR_ECORRUPT, "dataset schema: invalid JSON at line %d column "
		                  "%d: %s", je.line, je.column, je.text);
	int rc = jkeys(&j, doc, tk, 4, "schema");
	fr_dschema *s = NULL;
	if (rc)
		goto done;
	if (!(s = fr_arena_calloc(arena, 1, sizeof *s))) {
		rc = fr_err_set(err, FR_ENOMEM, "dataset schema: out of memory");
		goto done;
	}
	if (!(s->group_col = jstr(&j, doc, "groupIdColumn", "schema")) ||
	    !(s->ts_col = jstr(&j, doc, "timestampColumn", "schema"))) {
		rc = err->code;
		goto done;
	}
	json_t *cols = json_object_get(doc, "columns"), *uns = json_object_get(doc,
	                                                                      "unsupportedColumns");
	if (!json_is_object(cols) || !json_is_object(uns)) {
		rc = corrupt(&j, "schema.%s must be an object", json_is_object(cols) ?
		             "unsupportedColumns" : "columns", NULL);
		goto done;
	}
	size_t nc = json_object_size(cols), nu = json_object_size(uns);
	if (nc > INT32_MAX || nu > INT32_MAX) {
		rc = corrupt(&j, "schema: too many columns", NULL, NULL);
		goto done;
	}
	s->cols = fr_arena_calloc(arena, nc ? nc : 1, sizeof *s->cols);
	s->unsup_names = fr_arena_calloc(arena, nu ? nu : 1, sizeof *s->unsup_names);
	s->unsup_types = fr_arena_calloc(arena, nu ? nu : 1, sizeof *s->unsup_types);
	if (!s->cols || !s->unsup_names || !s->unsup_types) {
		rc = fr_err_set(err, FR_ENOMEM, "dataset schema: out of memory");
		goto done;
	}
	const char *key;
	json_t *v;
	json_object_foreach(cols, key, v) {
		if ((rc = parse_col(&j, key, v, &s->cols[s->ncols])))
			goto done;
		s->ncols++;
	}
	json_object_foreach(uns, key, v) {
		if (!json_is_string(v)) {
			rc = corrupt(&j, "unsupportedColumns[%.120s] must be a string", key, NULL);
			goto done;
		}
		s->unsup_names[s->nunsup] = fr_arena_strdup(arena, key);
		s->unsup_types[s->nunsup] = fr_arena_strdup(arena, json_string_value(v));
		if (!s->unsup_names[s->nunsup] || !s->unsup_types[s->nunsup]) {
			rc = fr_err_set(err, FR_ENOMEM, "dataset schema: out of memory");
			goto done;
		}
		s->nunsup++;
	}
	for (int k = 0; k < 2; k++) {
		const char *nm = k ? s->ts_col : s->group_col;
		int found = 0;
		for (int i = 0; i < s->ncols && !found; i++)
			found = !strcmp(s->cols[i].name, nm);
		if (!found) {
			rc = corrupt(&j, "schema.%s %s is not in columns", k ? "timestampColumn" :
			             "groupIdColumn", nm);
			goto done;
		}
	}
	*out = s;
done:
	json_decref(doc);
	return rc;
}

int fr_dschema_qschema(const fr_dschema *s, fr_arena *arena, fr_qschema *out, fr_err *err)
{
	const char **names = fr_arena_calloc(arena, (size_t)(s->ncols ? s->ncols : 1),
	                                     sizeof *names);
	fr_coltype *types = fr_arena_calloc(arena, (size_t)(s->ncols ? s->ncols : 1),
	                                    sizeof *types);
	if (!names || !types)
		return fr_err_set(err, FR_ENOMEM, "dataset schema: out of memory");
	out->ncols = s->ncols;
	out->group_col = out->ts_col = -1;
	for (int i = 0; i < s->ncols; i++) {
		names[i] = s->cols[i].name;
		types[i] = s->cols[i].type;
		if (!strcmp(names[i], s->group_col))
			out->group_col = i;
		if (!strcmp(names[i], s->ts_col))
			out->ts_col = i;
	}
	out->names = names;
	out->types = types;
	if (out->group_col < 0)
		return fr_err_set(err, FR_EINVAL, "dataset schema: group column %s is not a supported "
		                  "column", s->group_col);
	if (out->ts_col < 0)
		return fr_err_set(err, FR_EINVAL, "dataset schema: timestamp column %s is not a "
		                  "supported column", s->ts_col);
	return 0;
}
