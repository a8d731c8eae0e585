/* Streaming Parquet writer for flat schemas: one row group at a time from fr_vec column
 * vectors, so memory is bounded by the row group the caller hands over. */
#ifndef FR_PARQUET_WRITER_H
#define FR_PARQUET_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include "core/error.h"
#include "core/vec.h"

typedef struct fr_pqw fr_pqw;

/* One leaf column.  type is FR_PQ_BOOLEAN, INT32, INT64, FLOAT, DOUBLE or BYTE_ARRAY. */
typedef struct fr_pqw_col {
	const char *name;
	int type;
	int optional;     /* nullable (definition level 1) */
	int string;       /* BYTE_ARRAY annotated STRING / UTF8 */
	int converted;    /* ConvertedType annotation to keep (TIMESTAMP_MILLIS, DATE, INT_16...),
	                   * 0 for none (UTF8 comes from `string`) */
} fr_pqw_col;

typedef struct fr_pqw_opts {
	int codec;          /* FR_PQ_CODEC_SNAPPY (default), ZSTD, GZIP or UNCOMPRESSED */
	int level;          /* codec level, 0 = the codec's default */
	int page_v2;        /* write DATA_PAGE_V2 instead of v1 data pages */
	int dictionary;     /* 1 (default): RLE_DICTIONARY for strings and low-cardinality ints */
	size_t dict_limit;  /* dictionary page bytes past which a chunk falls back to PLAIN */
	size_t page_size;   /* target uncompressed bytes of values per data page */
	size_t io_buffer;   /* stdio buffer of the output file, 0 = 1 MiB */
} fr_pqw_opts;

void fr_pqw_opts_default(fr_pqw_opts *o);

/* Creates path (truncating it) and writes the header.  cols is copied.  Errors name path. */
int fr_pqw_open(const char *path, const fr_pqw_col *cols, int ncols, const fr_pqw_opts *o,
	fr_pqw **out, fr_err *err);

/* Appends one row group of nrows rows (nrows > 0).  Invalid input (vector kind or length,
 * dictionary codes, an INT32 value out of range, a null in a required column) is refused
 * before anything is written and leaves the writer usable; an error while writing (I/O,
 * memory) makes the file unusable: close then fails and removes it.  cols[i] holds column i:
 *   BOOLEAN <- FR_VEC_BOOL; INT32, INT64 <- FR_VEC_I64 (INT32 values must fit);
 *   FLOAT, DOUBLE <- FR_VEC_F64; BYTE_ARRAY <- FR_VEC_DICT or FR_VEC_BIN.
 * Only rows 0..nrows-1 are read (the vectors may be longer).  A required column must have
 * no null in those rows.  The vectors are not kept after the call. */
int fr_pqw_write_row_group(fr_pqw *w, int64_t nrows, const fr_vec *cols, fr_err *err);

/* Writes the footer, closes the file and frees w (also on error). */
int fr_pqw_close(fr_pqw *w, fr_err *err);
/* Frees w and removes the partly written file.  NULL is allowed. */
void fr_pqw_abort(fr_pqw *w);

/* Frees the encoding scratch (page buffers, dictionary tables, the codec context) kept between
 * row groups, for callers holding many writers at once within a memory budget. */
void fr_pqw_release_scratch(fr_pqw *w);

/* Bytes written so far (header, row groups). */
uint64_t fr_pqw_bytes_written(const fr_pqw *w);

#endif
