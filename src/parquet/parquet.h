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
} fr_pq_colinfo;

int fr_pq_column_info(const fr_pq_file *f, int col, fr_pq_colinfo *out);

/* Row-group pruning for the timeframe [from, to): keep[rg] = 1 if row group rg may hold a
 * value of INT column `col` in the range (has_from/has_to say which bounds apply).  Statistics
 * that are missing or not trustworthy keep the row group: a matching row is never dropped. */
int fr_pq_prune_range(const fr_pq_file *f, int col, int has_from, int64_t from, int has_to,
	int64_t to, uint8_t *keep, fr_err *err);

/* Loads column `col` of the row groups with keep[rg] != 0 (all when keep is NULL),
 * concatenated in file order, into *out.  Every allocation is made in `arena` (owned by the
 * caller; the vector lives as long as the arena).  Strings become FR_VEC_DICT with one
 * dictionary for the whole column (entries distinct).  Only this column's chunks are read,
 * decompressed and decoded.  Errors name the file, the column and the problem; a nested
 * column is "nested columns are not supported: <name>".  Calls on different files may run
 * in parallel; one file is used by one thread at a time. */
int fr_pq_load_column(fr_pq_file *f, int col, const uint8_t *keep, fr_arena *arena,
	fr_vec *out, fr_err *err);

#endif
