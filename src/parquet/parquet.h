/* Public contract of the Parquet reader: open a file (mmap'ed path or byte-range callback),
 * read its schema, metadata and statistics, prune row groups by timestamp, and load columns
 * into fr_vec column vectors.  Everything else in src/parquet is internal. */
#ifndef FR_PARQUET_H
#define FR_PARQUET_H

#include <stdint.h>
#include "core/arena.h"
#include "core/error.h"
#include "core/vec.h"

typedef struct fr_pq_file fr_pq_file;

/* Reads exactly len bytes at offset off into dst; 0 or a negative FR_E* with err filled.
 * Must be safe to call from one thread at a time per file. */
typedef int (*fr_pq_read_fn)(void *ctx, uint64_t off, uint64_t len, void *dst, fr_err *err);

/* Opens a local file (mmap).  Reads and validates the footer; errors name the path. */
int fr_pq_open_path(const char *path, fr_pq_file **out, fr_err *err);
/* Opens through a range reader (S3): fetches the footer only; column chunks are fetched when
 * loaded.  `name` is used in error messages. */
int fr_pq_open_reader(const char *name, uint64_t size, fr_pq_read_fn read, void *ctx,
	fr_pq_file **out, fr_err *err);
void fr_pq_close(fr_pq_file *f);
/* Opens (mmap) an open local file: a regular file only.  `name` is used in error messages.
 * Takes fd in every case (closed once the file is mapped, or before returning an error). */
int fr_pq_open_fd(const char *name, int fd, fr_pq_file **out, fr_err *err);

/* Range readers (S3) may learn ahead which byte ranges the next loads will read, to fetch
 * them at once (coalesced, in parallel) instead of one chunk per call. */
typedef struct fr_pq_range {
	uint64_t off, len;
} fr_pq_range;
typedef int (*fr_pq_prefetch_fn)(void *ctx, const fr_pq_range *r, int n, fr_err *err);
/* Hooks of a file opened with fr_pq_open_reader: prefetch (may be NULL) receives the hints
 * of fr_pq_prefetch; release (may be NULL) is called with ctx by fr_pq_close, so the reader's
 * owner can tie its state to the file's life. */
void fr_pq_set_hooks(fr_pq_file *f, fr_pq_prefetch_fn prefetch, void (*release)(void *ctx));
/* A range reader that already holds bytes (fetched ahead, or in a local disk cache it can
 * map) may lend them instead of copying: view returns the len bytes at off, valid until the
 * file is closed, or NULL (the reader then reads them with the read function). */
typedef const uint8_t *(*fr_pq_view_fn)(void *ctx, uint64_t off, uint64_t len);
void fr_pq_set_view(fr_pq_file *f, fr_pq_view_fn view);
/* A hint: columns cols[0..ncols) of the row groups with keep[rg] != 0 (NULL: all) will be
 * loaded next.  Hands their chunks' byte ranges (those not already fetched with the footer)
 * to the prefetch hook in one call; a no-op for mapped files or without a hook.  Chunks the
 * loader would refuse are skipped (the load reports them).  0 or the hook's error. */
int fr_pq_prefetch(fr_pq_file *f, const int *cols, int ncols, const uint8_t *keep, fr_err *err);

const char *fr_pq_name(const fr_pq_file *f);
int64_t fr_pq_num_rows(const fr_pq_file *f);
int fr_pq_num_row_groups(const fr_pq_file *f);
int64_t fr_pq_row_group_rows(const fr_pq_file *f, int rg);

/* Leaf columns of the flat schema, in file order. */
int fr_pq_num_columns(const fr_pq_file *f);
/* -1 when there is no leaf column of that name. */
int fr_pq_column_index(const fr_pq_file *f, const char *name);

typedef struct fr_pq_colinfo {
	const char *name;         /* dotted path for nested leaves */
	int physical_type;        /* parquet Type enum: 0 BOOLEAN .. 7 FIXED_LEN_BYTE_ARRAY */
	int nested;               /* 1 if the column is inside a group or repeated */
	int optional;             /* max definition level > 0 */
	fr_coltype type;          /* dataset type this column maps to, FR_TYPE_NONE if unsupported */
	fr_vec_kind vec_kind;     /* what fr_pq_load_column produces for it */
	/* Annotations, for tools (inspect) that show physical values. */
	int type_length;          /* FIXED_LEN_BYTE_ARRAY width, else 0 */
	int converted;            /* ConvertedType, -1 when absent or unknown */
	int logical;              /* LogicalType member id, 0 absent, -1 unknown to this reader */
	int time_unit;            /* TIME/TIMESTAMP logical unit: 1 ms, 2 us, 3 ns, else 0 */
	int utc;                  /* TIME/TIMESTAMP isAdjustedToUTC */
	int scale, precision;     /* DECIMAL */
	int is_unsigned;          /* UINT_* / INTEGER(unsigned): read the bits as unsigned */
	int is_decimal;
	int is_float16;
	int is_string;            /* UTF8/STRING, ENUM or JSON text */
	int repetition;           /* 0 REQUIRED, 1 OPTIONAL, 2 REPEATED */
} fr_pq_colinfo;

/* 0, or FR_EINVAL for a column number out of range.  Mapping: BOOLEAN -> BOOL; INT32/INT64/
 * INT96 -> INT (DATE, TIME, TIMESTAMP included); FLOAT/DOUBLE/FLOAT16 -> FLOAT; BYTE_ARRAY
 * annotated STRING/UTF8/ENUM/JSON or unannotated -> STRING; everything else (DECIMAL,
 * INTERVAL, UUID, BSON, geometry, unknown logical types, nested) -> FR_TYPE_NONE. */
int fr_pq_column_info(const fr_pq_file *f, int col, fr_pq_colinfo *out);

/* Process-wide: 0 stops every use of row-group statistics (FROCKET_PARQUET_STATS=off, set
 * once at start-up); pruning then keeps every row group, slower but never wrong. */
void fr_pq_set_use_stats(int on);

/* Row-group pruning for the timeframe [from, to): keep[rg] = 1 if row group rg may hold a
 * value of INT column `col` in the range (has_from/has_to say which bounds apply).  Statistics
 * that are missing or not trustworthy keep the row group: a matching row is never dropped. */
int fr_pq_prune_range(const fr_pq_file *f, int col, int has_from, int64_t from, int has_to,
	int64_t to, uint8_t *keep, fr_err *err);

/* The range of INT column `col` over the row groups in keep (NULL: all) from their statistics:
 * 1 with *min and *max when every such row group has trustworthy ones, else 0.  A hint only:
 * statistics may lie, so a consumer must check the values it relies on. */
int fr_pq_int_range(const fr_pq_file *f, int col, const uint8_t *keep, int64_t *min,
	int64_t *max);

/* Values: INT32 sign-extended (zero-extended when annotated unsigned), INT64 as stored
 * (an unsigned INT64 holding a value above INT64_MAX fails with FR_EUNSUPPORTED naming the
 * column and the value, rather than reading as a negative number), INT96 as nanoseconds since the epoch (wrapping), dates, times and
 * timestamps in the column's own unit (colinfo.time_unit / converted); FLOAT and FLOAT16
 * widened exactly.  FR_TYPE_NONE columns load as FR_VEC_BIN when their physical type is
 * BYTE_ARRAY or FIXED_LEN_BYTE_ARRAY, and fail with FR_EUNSUPPORTED otherwise.
 * Loads column `col` of the row groups with keep[rg] != 0 (all when keep is NULL),
 * concatenated in file order, into *out.  Every allocation is made in `arena` (owned by the
 * caller; the vector lives as long as the arena).  Strings become FR_VEC_DICT with one
 * dictionary for the whole column (entries distinct).  Only this column's chunks are read,
 * decompressed and decoded.  Errors name the file, the column and the problem; a nested
 * column is "nested columns are not supported: <name>".  Calls on different files may run
 * in parallel; one file is used by one thread at a time. */
int fr_pq_load_column(fr_pq_file *f, int col, const uint8_t *keep, fr_arena *arena,
	fr_vec *out, fr_err *err);

/* Physical values of one column, for tools that must show exactly what is stored (inspect
 * --rows): no type conversion at all. */
typedef struct fr_pq_phys {
	int physical_type;
	int64_t len;              /* rows */
	int64_t null_count;
	const uint64_t *valid;    /* NULL when no row is null */
	int width;                /* bytes per value in `data`: BOOLEAN 1 (0/1), INT32 4, INT64 8,
	                           * INT96 12, FLOAT 4, DOUBLE 8 (little-endian); 0 for BYTE_ARRAY
	                           * and FIXED_LEN_BYTE_ARRAY, whose values are in `bin` */
	const uint8_t *data;
	fr_strtab bin;            /* one entry per row (empty for null rows) */
} fr_pq_phys;

/* Loads the physical values of column `col` in row group `rg` (-1: all row groups) into
 * *out, allocated in `arena`.  Same checks and errors as fr_pq_load_column. */
int fr_pq_load_physical(fr_pq_file *f, int col, int rg, fr_arena *arena, fr_pq_phys *out,
	fr_err *err);

/* One BYTE_ARRAY value: its bytes and length. */
typedef struct fr_pq_bytes {
	const uint8_t *p;
	uint32_t n;
} fr_pq_bytes;

/* Consumer of fr_pq_scan_bytes: n (> 0) values in row order; the bytes live only during the
 * call.  0 to go on, or a negative FR_E* (with err filled) to stop the scan. */
typedef int (*fr_pq_bytes_fn)(void *ctx, const fr_pq_bytes *v, size_t n, fr_err *err);

/* Hands the non-null values of BYTE_ARRAY column `col` in row group `rg` (-1: all row
 * groups) to fn, a page at a time, in row order, straight from the decoded pages: no
 * dictionary is built and no value is copied (a dictionary-encoded page hands out its
 * dictionary's entries).  For consumers that only count or hash values (registration's
 * categorical analysis).  *rows and *nulls get the rows scanned and the nulls among them.
 * Same checks and errors as fr_pq_load_physical; FR_EINVAL for a column of another physical
 * type; fn's own error code stops the scan and is returned. */
int fr_pq_scan_bytes(fr_pq_file *f, int col, int rg, fr_pq_bytes_fn fn, void *ctx,
	int64_t *rows, int64_t *nulls, fr_err *err);

/* Walks the page headers of every chunk of column `col` (nested columns included) without
 * decoding values, checking sizes, level lengths and value counts.  For tools that must
 * vouch for a whole file while reading only its flat columns. */
int fr_pq_check_column(fr_pq_file *f, int col, fr_err *err);

/* Metadata for display (inspect --meta).  Pointers live as long as the file. */
const char *fr_pq_created_by(const fr_pq_file *f);     /* NULL when absent */
int fr_pq_version(const fr_pq_file *f);
int fr_pq_num_kv(const fr_pq_file *f);
void fr_pq_kv_get(const fr_pq_file *f, int i, const char **key, const char **value);

typedef struct fr_pq_chunkinfo {
	int codec;
	uint32_t encodings;       /* bit e set = Encoding e listed in the chunk metadata */
	int64_t num_values;
	int64_t compressed_size, uncompressed_size;
	int64_t data_page_offset, dictionary_page_offset;   /* -1 when absent */
	int has_stats;
	int has_min, has_max;     /* statistics usable as typed values (see fr_pq_stat_*) */
	const uint8_t *min, *max; /* raw PLAIN bytes (no length prefix) */
	uint32_t min_len, max_len;
	int has_null_count;
	int64_t null_count;
	int min_exact, max_exact; /* -1 unknown */
} fr_pq_chunkinfo;

int fr_pq_chunk_info(const fr_pq_file *f, int rg, int col, fr_pq_chunkinfo *out);

/* Bytes fetched through the range callback since the file was opened (0 for mmap). */
uint64_t fr_pq_bytes_read(const fr_pq_file *f);

#endif
