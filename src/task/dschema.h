/* The dataset schema (runtime.md §5.5-5.8, interfaces.md §0.4): what registration learns of
 * each part (columns, types, numeric min/max, categorical analysis with top values), how the
 * parts' schemas merge, the short schema queries are validated against, and the group-id sets
 * that the uniqueness check compares.  JSON is the form the catalog stores. */
#ifndef FR_TASK_DSCHEMA_H
#define FR_TASK_DSCHEMA_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/error.h"
#include "kernels/kernels.h"
#include "parquet/parquet.h"
#include "query/query.h"

typedef struct fr_dscol {
	const char *name;
	const char *dtype;         /* pandas-style dtype name: int64, uint32, float64, bool, object,
	                            * category (interfaces.md §0.4) */
	fr_coltype type;           /* INT, FLOAT, BOOL, STRING */
	int has_min, has_max;      /* numeric columns */
	double min, max;
	int categorical;
	int has_ratio;
	double cat_ratio;          /* catUniqueRatio */
	int ntop;                  /* catTopValues, by descending frequency */
	const char **top_values;
	double *top_freqs;
} fr_dscol;

typedef struct fr_dschema {
	const char *group_col, *ts_col;
	fr_dscol *cols;            /* supported columns, in file order */
	int ncols;
	const char **unsup_names;  /* unsupportedColumns: name -> dtype string */
	const char **unsup_types;
	int nunsup;
} fr_dschema;

typedef struct fr_dschema_opts {
	double cat_ratio;          /* dataset.categorical.ratio (0.1) */
	int64_t cat_top_count;     /* dataset.categorical.top.count (20): a part keeps 1.5x */
	double cat_top_minpct;     /* dataset.categorical.top.minpct (0.01), merge only */
} fr_dschema_opts;

/* Collects the schema of one part (registration task): checks the group column (present, INT
 * or STRING, no nulls) and the timestamp column (present, INT or FLOAT, no nulls or NaN),
 * reads min/max from trustworthy statistics where it can and decodes only the columns it
 * must (strings for the categorical analysis, columns without usable statistics).  Errors
 * start with fr_pq_name(f) and name the column ("<part>: Column uid not found in file", ...):
 * FR_ENOTFOUND for a missing column, FR_EINVAL for a failed check, the reader's codes for a
 * part that cannot be decoded.  All in arena (decoded columns live in scratch arenas freed
 * before return).  If ids is not NULL, also appends the part's distinct group ids in the
 * blob format below. */
int fr_dschema_collect(fr_pq_file *f, const char *group_col, const char *ts_col,
                       const fr_dschema_opts *opts, fr_arena *arena, fr_dschema **out,
                       fr_buf *ids, fr_err *err);

/* Merges the parts' schemas (§5.6): every part must have the same supported columns with the
 * same types ("Schemas differ! ..." naming both parts and the column); numeric min/max
 * widen; a string stays categorical only if it is in every part (ratios averaged, top values
 * summed, cut to cat_top_count, divided by the number of parts, below minpct dropped).
 * names[i] names part i in messages.  Result in arena. */
int fr_dschema_merge(const fr_dschema *const *parts, const char *const *names, int n,
                     const fr_dschema_opts *opts, fr_arena *arena, fr_dschema **out,
                     fr_err *err);

/* JSON forms.  Full schema (DatasetSchema) and short schema (DatasetShortSchema: columns,
 * minTimestamp, maxTimestamp, sourceCategoricals, potentialCategoricals), CLI flavour: keys in
 * record order, nulls kept.  0 or FR_ENOMEM. */
int fr_dschema_write_full(const fr_dschema *s, fr_buf *b, int pretty);
int fr_dschema_write_short(const fr_dschema *s, fr_buf *b, int pretty);
/* Parses a full schema written by fr_dschema_write_full (from the catalog: still checked).
 * FR_ECORRUPT naming what is wrong: invalid JSON, a missing, unexpected or duplicated key, a
 * value of the wrong type, attributes the writer never produces (min/max on a non-numeric
 * column, top values on a non-categorical one), a group or timestamp column that is not a
 * supported column.  write_full(parse(write_full(s))) == write_full(s).  Result in arena. */
int fr_dschema_parse(const char *json, size_t len, fr_arena *arena, fr_dschema **out,
                     fr_err *err);
/* The short schema as the query validator wants it; names point into s.  In arena. */
int fr_dschema_qschema(const fr_dschema *s, fr_arena *arena, fr_qschema *out, fr_err *err);

/* ---- Group-id sets (the uniqueness check, §5.7) ----
 * Blob: magic "FRID", u8 version (1), u8 kind (1 int64, 2 string), u64 count (LE), u8 flag,
 * then the payload: the values sorted ascending and distinct, int64 little-endian (signed
 * order), or u32 length + bytes (byte order).  Flag bit 1 (int64 only): the payload is a
 * bitmap instead, u64 lo then u64 words, bit d standing for the id lo + d (count bits set;
 * written when no bigger than the list: a part of ids from a narrow range, the usual case,
 * takes one bit per id of the range instead of 8 bytes per id).  Flag bit 0: the payload is
 * stored as u64 payload length, then one zstd frame holding it (its content size recorded)
 * and nothing after it.  Writers compress payloads of 1 KiB and more when that saves space;
 * readers refuse payloads over 1 GiB.  Sorted sets let the check merge k parts in one
 * streaming pass. */

/* Checks that no group id appears in two of the n sets (each set is distinct already).
 * FR_EINVAL "Group IDs are not unique across the <n> sampled files! <id> is in both <a> and
 * <b>", naming one duplicated id and the two parts (names[i]); FR_ECORRUPT for a bad blob. */
int fr_dschema_ids_check(const uint8_t *const *blobs, const size_t *lens,
                         const char *const *names, int n, fr_err *err);

#endif
