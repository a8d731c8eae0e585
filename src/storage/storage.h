/* Storage: where a dataset's parts live.  A basepath is a local directory (a plain path or
 * file://path) or, later, s3://bucket/prefix/.  Listing finds the parts by pattern; opening
 * gives the Parquet reader a part (a mapping for local files, byte ranges for remote ones).
 * Thread-safe: every function may be called from any thread at once. */
#ifndef FR_STORAGE_STORAGE_H
#define FR_STORAGE_STORAGE_H

#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "parquet/parquet.h"

typedef enum { FR_STORE_LOCAL = 1, FR_STORE_S3 = 2 } fr_store_kind;

/* Which store a basepath names.  FR_EINVAL naming the basepath for an unknown scheme
 * ("Storage protocol 'x' is not in supported list: ['FILE', 'S3']") or a malformed s3 path;
 * FR_EUNSUPPORTED for a store this build cannot read yet. */
int fr_storage_kind(const char *basepath, fr_store_kind *out, fr_err *err);

typedef struct fr_part_entry {
	const char *name;          /* relative to the basepath (a plain file name locally) */
	uint64_t size;             /* bytes */
} fr_part_entry;

/* Lists the parts directly under basepath whose names match the fnmatch(3) pattern (NULL =
 * "*.parquet"): regular files only (symlinks followed), no subdirectories, sorted by name in
 * byte order.  *out and its strings live in arena.  Zero matches is not an error (*n = 0).
 * FR_ENOTFOUND / FR_EIO naming the basepath when it cannot be listed. */
int fr_storage_list(const char *basepath, const char *pattern, fr_arena *arena,
                    fr_part_entry **out, int *n, fr_err *err);

/* The full path of part `name`: basepath + '/' (unless it ends with one) + name, with a
 * file:// prefix stripped for local stores.  Written into arena. */
char *fr_storage_part_path(const char *basepath, const char *name, fr_arena *arena);

/* Opens one part for reading: a regular file only (a FIFO, device or directory is refused
 * without blocking, naming what it is).  A local part name must be a plain file name (no '/',
 * not "." or ".."): FR_EINVAL otherwise.  *size is the part's size in bytes.  The caller
 * closes the file with fr_pq_close; nothing else is held.  Errors name the part's path. */
int fr_storage_open(const char *basepath, const char *name, fr_pq_file **out, uint64_t *size,
                    fr_err *err);

/* Counters of one opened remote part, written when the part is closed (fr_pq_close). */
typedef struct fr_storage_stats {
	uint64_t net_bytes, net_requests;    /* fetched from the store (requests incl. retries) */
	uint64_t cache_bytes, cache_hits;    /* served by the local disk cache */
} fr_storage_stats;

/* How a task opens a part: the disk-cache identity is the dataset registration, so
 * re-registering never reuses old bytes.  NULL dataset or registered_at (loose files,
 * registration tasks): no disk cache.  Local parts ignore all of it. */
typedef struct fr_storage_open_opts {
	const char *dataset;
	const char *registered_at;
	fr_storage_stats *stats;             /* may be NULL */
} fr_storage_open_opts;

/* fr_storage_open with options (o may be NULL: same as fr_storage_open). */
int fr_storage_open_ex(const char *basepath, const char *name, const fr_storage_open_opts *o,
                       fr_pq_file **out, uint64_t *size, fr_err *err);
/* Drops whatever a local cache holds of the part (decision 20: a part that failed to load
 * is not served again from the cache).  A no-op for local parts. */
void fr_storage_evict(const char *basepath, const char *name, const fr_storage_open_opts *o);

#endif
