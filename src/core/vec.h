/* Column vectors: the in-memory form of one column of one part, the only thing kernels see.
 * Produced by the Parquet loader (src/parquet) in a caller-given arena, consumed by the query
 * engine (src/query) and the kernels (src/kernels). */
#ifndef FR_CORE_VEC_H
#define FR_CORE_VEC_H

#include <stdint.h>
#include <stddef.h>

/* Exact integer sums (kernels, part results, JSON output). */
typedef __int128 fr_i128;

/* Logical column types of a dataset (query.md §0); FR_TYPE_NONE = unsupported column. */
#define FR_COLTYPES(X) \
	X(FR_TYPE_NONE,   "UNSUPPORTED") \
	X(FR_TYPE_INT,    "INT") \
	X(FR_TYPE_FLOAT,  "FLOAT") \
	X(FR_TYPE_BOOL,   "BOOL") \
	X(FR_TYPE_STRING, "STRING")

typedef enum {
#define X(name, text) name,
	FR_COLTYPES(X)
#undef X
} fr_coltype;

const char *fr_coltype_name(fr_coltype t);

typedef enum {
	FR_VEC_I64,    /* int64 per row: every integer type, timestamps, dates (INT columns) */
	FR_VEC_F64,    /* double per row: FLOAT/DOUBLE/FLOAT16 widened (FLOAT columns) */
	FR_VEC_BOOL,   /* one byte per row, 0 or 1 (BOOL columns) */
	FR_VEC_DICT,   /* uint32 code per row into `dict` (STRING columns) */
	FR_VEC_BIN,    /* raw variable-length bytes per row, in `dict` indexed by row */
} fr_vec_kind;

/* n byte strings; string i is data[off[i] .. off[i+1]).  off has n+1 entries, off[0] == 0. */
typedef struct fr_strtab {
	uint32_t n;
	const int64_t *off;
	const uint8_t *data;
} fr_strtab;

/* Bitmaps are arrays of uint64_t words, bit i of the vector = (w[i/64] >> (i%64)) & 1.
 * Bits past `len` in the last word are zero. */
#define FR_BITMAP_WORDS(n) (((size_t)(n) + 63) / 64)

typedef struct fr_vec {
	fr_vec_kind kind;
	int64_t len;              /* rows */
	int64_t null_count;       /* rows whose validity bit is 0 */
	const uint64_t *valid;    /* NULL when the column has no null in these rows; else bit i set
	                           * = row i non-null.  Value slots of null rows hold 0. */
	union {
		int64_t *i64;
		double *f64;
		uint8_t *b;
		uint32_t *codes;
		void *ptr;            /* unused for FR_VEC_BIN */
	} v;
	fr_strtab dict;           /* FR_VEC_DICT: the distinct strings, codes < dict.n, no two entries
	                           * equal.  FR_VEC_BIN: one entry per row (dict.n == len). */
} fr_vec;

static inline int fr_bit_get(const uint64_t *bm, int64_t i)
{
	return (int)((bm[i >> 6] >> (i & 63)) & 1);
}

static inline void fr_bit_set(uint64_t *bm, int64_t i)
{
	bm[i >> 6] |= (uint64_t)1 << (i & 63);
}

/* Row i is non-null. */
static inline int fr_vec_valid(const fr_vec *v, int64_t i)
{
	return !v->valid || fr_bit_get(v->valid, i);
}

#endif
