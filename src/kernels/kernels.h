/* SIMD kernels over column vectors and bitmaps: the inner loops of the query engine (compare ->
 * bitmap, bitmap algebra, key -> dense index, per-group/per-value count, sum, min, sequences).
 * They know nothing of JSON, files or networks; scalar, AVX2 and NEON paths give equal results.
 *
 * Conventions shared by every kernel:
 * - Row bitmaps are uint64_t words as in core/vec.h (FR_BITMAP_WORDS(len) words, bit i = row i).
 *   Every bitmap a kernel WRITES has its bits past `len` cleared; bitmaps it READS may have
 *   garbage past `len` only where stated.  A NULL input row bitmap means "every row".
 * - Outputs are caller-allocated and fully overwritten (no need to zero them first) unless a
 *   prototype says otherwise.  Results that the kernel sizes itself (indexes, keys) are
 *   allocated in the caller's arena.  Scratch (hash tables, temporaries) comes from a per-thread
 *   cache that is kept between calls, because touching fresh pages costs more than the kernels
 *   themselves in a microVM; fr_kern_scratch_release frees it (it is also freed at thread exit).
 * - Row counts are limited to FR_KERN_MAX_ROWS so that row counts and ids fit in uint32_t.
 * - Kernels never read or write out of bounds even when an id array is inconsistent with the
 *   counts given: ids >= n_groups are skipped.  Functions that cannot fail return void.
 *
 * Timeframe decision: the engine does NOT compact rows.  It builds the group index over the
 * rows selected by the timeframe bitmap (fr_kern_index_build with `sel`); rows outside get
 * FR_KERN_NOGROUP and are skipped by every per-group kernel.  The engine AND-s the timeframe
 * bitmap into the row bitmaps it passes (filters, R_M), which keeps counts exact.
 *
 * Cost note: an unsorted high-cardinality group index is by far the dearest kernel (one random
 * hash-table access per row; ~20 ns/row for 500k groups in 2.5M rows on the dev VM, against
 * ~0.5 ns/row for a compare).  A worker that keeps loaded parts should keep the index built with
 * sel == NULL next to them and apply each query's timeframe as a row bitmap instead
 * (groups present = fr_kern_group_any(ids, ..., timeframe)). */
#ifndef FR_KERNELS_KERNELS_H
#define FR_KERNELS_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/vec.h"

#define FR_KERN_MAX_ROWS ((int64_t)UINT32_MAX - 1)
/* Id of a row that belongs to no group (outside the selection the index was built on). */
#define FR_KERN_NOGROUP UINT32_MAX

/* ------------------------------------------------------------------------------------------
 * SIMD mode.  Chosen once from the CPU (AVX2+BMI2 on x86_64, NEON on aarch64) unless
 * FROCKET_SIMD is "scalar" (or "auto", the default; "avx2"/"neon" demand that path). */
#define FR_KERN_SIMD_MODES(X) \
	X(FR_SIMD_SCALAR, "scalar") \
	X(FR_SIMD_AVX2,   "avx2") \
	X(FR_SIMD_NEON,   "neon")

typedef enum {
#define X(name, text) name,
	FR_KERN_SIMD_MODES(X)
#undef X
} fr_simd_mode;

/* Parses a mode name (auto, scalar, avx2, neon; case-insensitive; "auto" = the best this CPU
 * runs): FR_EINVAL naming the value when unknown or when this CPU or build cannot run it.
 * Without fr_kern_simd_set the first kernel call selects the best mode. */
int fr_kern_simd_parse(const char *name, fr_simd_mode *out, fr_err *err);
/* Forces a mode (tests, benchmarks).  FR_EUNSUPPORTED if this CPU/build cannot run it. */
int fr_kern_simd_set(fr_simd_mode mode, fr_err *err);
fr_simd_mode fr_kern_simd_get(void);
const char *fr_kern_simd_name(fr_simd_mode mode);
/* 1 if this CPU and build can run `mode` (scalar always can). */
int fr_kern_simd_available(fr_simd_mode mode);

/* Frees the calling thread's scratch cache (e.g. a worker going idle).  Always safe. */
void fr_kern_scratch_release(void);

/* ------------------------------------------------------------------------------------------
 * Bitmaps.  n = rows.  dst may alias a or b. */
void fr_kern_bm_and(uint64_t *dst, const uint64_t *a, const uint64_t *b, int64_t n);
void fr_kern_bm_or(uint64_t *dst, const uint64_t *a, const uint64_t *b, int64_t n);
/* dst = a & ~b */
void fr_kern_bm_andnot(uint64_t *dst, const uint64_t *a, const uint64_t *b, int64_t n);
/* dst = ~a (bits past n stay cleared). */
void fr_kern_bm_not(uint64_t *dst, const uint64_t *a, int64_t n);
/* dst = all ones (first n bits) / all zeros. */
void fr_kern_bm_fill(uint64_t *dst, int64_t n, int value);
/* Set bits among the first n (bits past n are ignored, so input garbage there is harmless). */
int64_t fr_kern_bm_popcount(const uint64_t *a, int64_t n);
/* Writes the indexes of set bits of a (first n bits) in increasing order; returns how many.
 * out must hold popcount(a) entries. */
int64_t fr_kern_bm_indexes(const uint64_t *a, int64_t n, uint32_t *out);

/* Next set bit at or after `from` among the first n, or -1.  Iterate with
 * for (int64_t i = fr_kern_bm_next(bm, n, 0); i >= 0; i = fr_kern_bm_next(bm, n, i + 1)). */
static inline int64_t fr_kern_bm_next(const uint64_t *bm, int64_t n, int64_t from)
{
	if (from < 0)
		from = 0;
	if (from >= n)
		return -1;
	int64_t w = from >> 6;
	uint64_t word = bm[w] & (~(uint64_t)0 << (from & 63));
	int64_t nw = (int64_t)FR_BITMAP_WORDS(n);
	while (!word) {
		if (++w >= nw)
			return -1;
		word = bm[w];
	}
	int64_t i = w * 64 + __builtin_ctzll(word);
	return i < n ? i : -1;
}

/* ------------------------------------------------------------------------------------------
 * Compare a vector with a constant into a row bitmap (query.md §4.3).
 * Null rule: null rows (validity bit 0; NaN for doubles) match FR_OP_NE and
 * FR_OP_NOT_CONTAINS and never match any other operator. */
#define FR_KERN_OPS(X) \
	X(FR_OP_EQ,           "==") \
	X(FR_OP_NE,           "!=") \
	X(FR_OP_LT,           "<") \
	X(FR_OP_LE,           "<=") \
	X(FR_OP_GT,           ">") \
	X(FR_OP_GE,           ">=") \
	X(FR_OP_CONTAINS,     "contains") \
	X(FR_OP_NOT_CONTAINS, "not contains")

typedef enum {
#define X(name, text) name,
	FR_KERN_OPS(X)
#undef X
	FR_OP__COUNT
} fr_op;

const char *fr_kern_op_name(fr_op op);
/* Parses "==", "not contains", ...; -1 if unknown. */
int fr_kern_op_parse(const char *s);

/* Raw-array compares: v has n values, valid is the validity bitmap or NULL (no nulls); out gets
 * FR_BITMAP_WORDS(n) words.  op must be one of == != < <= > >= (else FR_EINVAL). */
int fr_kern_cmp_i64(const int64_t *v, const uint64_t *valid, int64_t n, fr_op op, int64_t c,
                    uint64_t *out, fr_err *err);
/* Doubles: NaN values are null.  c must not be NaN (FR_EINVAL). */
int fr_kern_cmp_f64(const double *v, const uint64_t *valid, int64_t n, fr_op op, double c,
                    uint64_t *out, fr_err *err);
/* Bytes 0/1 (any nonzero byte counts as true); only == and !=. */
int fr_kern_cmp_bool(const uint8_t *v, const uint64_t *valid, int64_t n, fr_op op, int c,
                     uint64_t *out, fr_err *err);
/* Unsigned per-group counts (no nulls) and 128-bit per-group sums (no nulls). */
int fr_kern_cmp_u32(const uint32_t *v, int64_t n, fr_op op, uint32_t c, uint64_t *out,
                    fr_err *err);
int fr_kern_cmp_i128(const fr_i128 *v, int64_t n, fr_op op, fr_i128 c, uint64_t *out,
                     fr_err *err);

/* Dictionary strings, in two steps so the per-row part is a pure gather:
 * 1. fr_kern_dict_match evaluates the predicate once per dictionary entry into a bitmap of
 *    FR_BITMAP_WORDS(dict->n) words (bit k = entry k matches).  Ops: == != contains, not
 *    contains.  Comparison is literal and byte-wise; an empty `val` is contained in every entry.
 * 2. fr_kern_dict_gather sets bit i = match[codes[i]] for valid rows, `null_match` for null
 *    rows.  Codes >= ndict (corrupt input) never match.
 * fr_kern_cmp_dict does both for an FR_VEC_DICT vector. */
int fr_kern_dict_match(const fr_strtab *dict, fr_op op, const void *val, size_t val_len,
                       uint64_t *match, fr_err *err);
void fr_kern_dict_gather(const uint32_t *codes, const uint64_t *valid, int64_t n,
                         const uint64_t *match, uint32_t ndict, int null_match, uint64_t *out);
int fr_kern_cmp_dict(const fr_vec *v, fr_op op, const void *val, size_t val_len, uint64_t *out,
                     fr_err *err);

/* Dispatch on v->kind: I64 takes c_i64, F64 takes c_f64, BOOL takes c_i64 (0/1), DICT takes
 * (str, str_len).  FR_EINVAL names the operator when it does not fit the kind. */
typedef struct fr_kern_const {
	int64_t i64;
	double f64;
	const void *str;
	size_t str_len;
} fr_kern_const;
int fr_kern_cmp_vec(const fr_vec *v, fr_op op, const fr_kern_const *c, uint64_t *out,
                    fr_err *err);

/* Bitmap of rows that are non-null (and, for F64, not NaN): the domain of aggregations. */
void fr_kern_notnull(const fr_vec *v, uint64_t *out);

/* ------------------------------------------------------------------------------------------
 * Dense index: per row a uint32 id in [0, n) for equal keys, ids in order of first appearance
 * except on the radix path (`radix` set: ids grouped by hash bucket) and the dense-range path
 * (`dense` set: ids in key order).
 * Used for the group index (key = group-id column) and for per-value aggregations (key = the
 * aggregated column).  Built only over the rows in `sel` (NULL = all rows) that are non-null
 * (and not NaN); every other row gets FR_KERN_NOGROUP, which all per-group kernels skip.
 *
 * Paths: a column already sorted (non-decreasing over the selected rows) takes a hash-free
 * path.  I64 keys whose range max - min is below 65536 or 16 times the selected rows take the
 * dense-range path (a presence bitmap over the range, ranked by per-word prefix counts: no
 * hashing).  Other I64 and F64 keys go through an open-addressing hash table (linear probing,
 * Fibonacci hash, sized by a HyperLogLog estimate, probes prefetched a 64-row block ahead);
 * I64 keys with an estimated 32768+ distinct values are first partitioned by hash into buckets
 * whose small tables stay in cache (the radix path).  F64 keys: -0.0 and 0.0 are one key.
 * DICT keys use a direct code -> id table (codes are already dense), BOOL keys a two-entry
 * table.
 *
 * Memory: ids, keys and domain are allocated in `arena` (owned by it); the hash table is scratch. */
typedef struct fr_kern_index {
	uint32_t *ids;          /* len entries; NULL after FR_KERN_IX_COUNT_ONLY on the dense and
	                         * radix paths */
	int64_t len;            /* rows */
	uint32_t n;             /* distinct keys (groups) */
	fr_vec_kind kind;       /* kind of the key vector */
	/* Representative key of each id (n entries): i64 for I64 and BOOL (0/1) keys, f64 for
	 * F64 keys, code into the vector's dict for DICT keys. */
	int64_t *key_i64;       /* I64, BOOL */
	double *key_f64;        /* F64 */
	uint32_t *key_code;     /* DICT */
	uint64_t *domain;       /* rows that got an id (sel & non-null), FR_BITMAP_WORDS(len) words */
	int sorted;             /* 1 if the hash-free sorted path was taken (for stats/tests) */
	int radix;              /* 1 if the radix-partitioned path was taken (I64 keys, many
	                         * distinct): ids not in order of first appearance */
	int dense;              /* 1 if the dense-range path was taken (I64 keys whose range is
	                         * small against the rows): ids in key order */
} fr_kern_index;

/* FR_ELIMIT if len > FR_KERN_MAX_ROWS, FR_ENOMEM, FR_EINVAL for FR_VEC_BIN. */
int fr_kern_index_build(const fr_vec *keys, const uint64_t *sel, fr_arena *arena,
                        fr_kern_index *out, fr_err *err);
/* The same with flags.  FR_KERN_IX_NO_KEYS: the representative keys need not be stored (key_*
 * may stay NULL: a group index seldom needs them, and on a part with a million groups they
 * cost a pass and 8 MB; paths that get them for free keep them); fr_kern_index_keys fills them
 * in later from the same key vector (a no-op when they are there). */
#define FR_KERN_IX_NO_KEYS 1u
/* FR_KERN_IX_COUNT_ONLY: the caller reads only n and domain (a query that counts groups and
 * rows and nothing per group).  Paths that find n before the ids stop there and leave ids
 * NULL: the dense range (a popcount of the marks, no ranking pass) and the radix partition (no
 * gathering of the ids back into row order); the others build the ids as usual.  Implies
 * FR_KERN_IX_NO_KEYS. */
#define FR_KERN_IX_COUNT_ONLY 2u
/* hint (optional): what the caller believes of the keys, e.g. from Parquet statistics.  A
 * range [min, max] of every non-null I64 key lets the dense-range path skip measuring it; it is
 * checked against every key, so a wrong hint costs time, never correctness. */
typedef struct fr_kern_hint {
	int has_range;
	int64_t min, max;
} fr_kern_hint;
int fr_kern_index_build_ex(const fr_vec *keys, const uint64_t *sel, unsigned flags,
                           const fr_kern_hint *hint, fr_arena *arena, fr_kern_index *out,
                           fr_err *err);
int fr_kern_index_keys(const fr_vec *keys, fr_kern_index *ix, fr_arena *arena, fr_err *err);

/* ------------------------------------------------------------------------------------------
 * Per-group kernels.  ids/ngroups come from an index (group or value index); `rows` is a row
 * bitmap (NULL = all rows); a row contributes iff it is in `rows`, its id < ngroups and (for
 * value columns) its value is non-null / not NaN.  Outputs have ngroups entries. */

/* Rows per group. */
void fr_kern_group_count(const uint32_t *ids, int64_t len, uint32_t ngroups,
                         const uint64_t *rows, uint32_t *out);
/* Group bitmap (FR_BITMAP_WORDS(ngroups) words): groups with at least one row in `rows`. */
void fr_kern_group_any(const uint32_t *ids, int64_t len, uint32_t ngroups,
                       const uint64_t *rows, uint64_t *out);
/* Exact integer sums: accumulated in 64 bits while no group overflows, else redone in 128 bits
 * (which cannot overflow for < 2^63 rows).  Null rows are skipped. */
void fr_kern_group_sum_i64(const uint32_t *ids, int64_t len, uint32_t ngroups,
                           const uint64_t *rows, const fr_vec *col, fr_i128 *out);
/* Neumaier-compensated double sums (out = sum + compensation); NaN values skipped.  Groups with
 * no contributing row get 0.0.  Infinities propagate as in plain summation. */
int fr_kern_group_sum_f64(const uint32_t *ids, int64_t len, uint32_t ngroups,
                          const uint64_t *rows, const fr_vec *col, double *out, fr_err *err);

/* Sequence step (query.md §4.5), also the per-group minimum (prev_found == NULL):
 * for each group g with prev_found bit set (or every group when prev_found is NULL), out_ts[g] =
 * min ts[r] over rows r of g in `rows` with ts[r] > prev_ts[g] (no lower bound when prev_ts is
 * NULL) and out_found bit g = such a row exists.  out_ts of groups not found is unspecified.
 * ts is an I64 or F64 vector (null / NaN rows never match).  out_found has
 * FR_BITMAP_WORDS(ngroups) words; prev_ts / out_ts are int64_t* for I64 ts, double* for F64.
 * out_ts may alias prev_ts and out_found may alias prev_found (steps computed in place). */
int fr_kern_seq_step(const uint32_t *ids, int64_t len, uint32_t ngroups, const uint64_t *rows,
                     const fr_vec *ts, const void *prev_ts, const uint64_t *prev_found,
                     void *out_ts, uint64_t *out_found, fr_err *err);

/* Row bitmap of the rows whose group bit is set in `groups` (rows with FR_KERN_NOGROUP or an
 * id >= ngroups are cleared): "all rows of matching groups". */
void fr_kern_groups_to_rows(const uint32_t *ids, int64_t len, uint32_t ngroups,
                            const uint64_t *groups, uint64_t *out);

/* ------------------------------------------------------------------------------------------
 * Per-value aggregations (query.md §4.7).  Build a value index on the aggregated column with
 * fr_kern_index_build (sel = the timeframe or NULL; nulls and NaN get no id) once, then:
 *   count          = popcount(rows & vindex.domain)
 *   countPerValue  = fr_kern_group_count(vindex.ids, ..., vindex.n, rows & vindex.domain)
 *   sumPerValue    = fr_kern_group_sum_{i64,f64}(vindex.ids, ..., rows & domain, other column)
 *   meanPerValue   = that sum / fr_kern_group_count(..., rows & domain & notnull(other))
 *   groupsPerValue = fr_kern_groups_per_value below.
 * Keys with a zero count were not observed in `rows` and must not be reported. */

/* Rows holding the first occurrence, in row order, of their (value, group) pair among the rows
 * in `rows` (value ids < nvalues and group ids < ngroups only): out gets FR_BITMAP_WORDS(len)
 * words.  For any set S of whole groups (every row of a group in S or none of them), the
 * distinct groups per value among S & rows are the per-value counts of the first rows in S:
 * fr_kern_group_count(vids, len, nvalues, firsts & S, out) -- so one pass here serves every
 * groupsPerValue of a part whose row sets are unions of groups (R_M, funnel steps).
 * A (value, group) bit matrix when nvalues * ngroups is small, else a counting sort of the
 * rows by group.  FR_ENOMEM, or FR_EINVAL when ngroups exceeds the row count (ids must come
 * from an index over these rows). */
int fr_kern_pair_firsts(const uint32_t *vids, uint32_t nvalues, const uint32_t *gids,
                        uint32_t ngroups, int64_t len, const uint64_t *rows, uint64_t *out,
                        fr_err *err);

/* out[v] = number of distinct groups among rows in `rows` with value id v (ids < nvalues and
 * gids < ngroups only): the first rows of fr_kern_pair_firsts, counted per value.  FR_ENOMEM,
 * FR_EINVAL as there. */
int fr_kern_groups_per_value(const uint32_t *vids, uint32_t nvalues, const uint32_t *gids,
                             uint32_t ngroups, int64_t len, const uint64_t *rows,
                             uint32_t *out, fr_err *err);

#endif
