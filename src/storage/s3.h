/* The S3 store (aws.md §2): ListObjectsV2 listing, ranged GETs signed with SigV4 over one
 * libcurl multi handle per thread (keep-alive), retries with backoff and jitter, and a disk
 * cache of the byte ranges read.  Settings come in fr_storage_s3_opts, set once per process
 * by the invoker or binary layer.  This layer reads no environment variable: the standard
 * AWS_* credential-chain variables (interfaces.md §3.4) come in the settings too, as the
 * environment the invoker layer hands over. */
#ifndef FR_STORAGE_S3_H
#define FR_STORAGE_S3_H

#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"
#include "parquet/parquet.h"
#include "storage/storage.h"

typedef struct fr_storage_s3_opts {
	/* FROCKET_S3_AWS_* over FROCKET_AWS_* (interfaces.md §3.4); NULL or "" = unset */
	const char *region;
	const char *endpoint_url;        /* set: path-style requests to this endpoint */
	const char *access_key_id;
	const char *secret_access_key;
	int no_signature;                /* public buckets: no Authorization at all */
	double connect_timeout;          /* s3.aws.connect.timeout, seconds (60) */
	double read_timeout;             /* s3.aws.read.timeout: a stalled transfer (60) */
	int max_attempts;                /* s3.aws.retries.max.attempts: total tries (5) */
	double retry_base;               /* backoff base, seconds (0.1) */
	int max_parallel;                /* s3.aws.max.pool.connections: GETs at once (10) */
	uint64_t coalesce_gap;           /* ranges closer than this are fetched as one (64 KiB) */
	/* disk cache (worker.disk.cache.*): NULL dir or 0 bytes disables it */
	const char *cache_dir;
	uint64_t cache_max_bytes;
	/* the environment ("NAME=value", NULL-terminated; NULL = empty) the credential chain and
	 * region take the AWS_* variables and HOME from: the invoker layer passes the process's
	 * own.  fr_storage_s3_init copies those entries, so later changes are not seen */
	char *const *env;
} fr_storage_s3_opts;

/* Copies o (strings too) for every later S3 call of this process and initialises libcurl.
 * Call before starting threads; calling again replaces the settings (tests). */
int fr_storage_s3_init(const fr_storage_s3_opts *o, fr_err *err);
/* Defaults for the numeric fields (used when fr_storage_s3_init was never called). */
void fr_storage_s3_defaults(fr_storage_s3_opts *o);

/* 0 when path is a valid S3 basepath (interfaces.md §4.1), else FR_EINVAL with
 * "Invalid path: <path> (protocol: S3)". */
int fr_s3_check_basepath(const char *path, fr_err *err);
/* Splits s3://bucket/prefix into its parts (interfaces.md §4.1).  FR_EINVAL otherwise. */
int fr_s3_parse(const char *path, fr_arena *a, const char **bucket, const char **key,
                fr_err *err);
/* Lists the objects directly under s3://bucket/prefix (delimiter '/', every page) whose
 * names relative to the prefix match pattern.  Same contract as fr_storage_list. */
int fr_s3_list(const char *basepath, const char *pattern, fr_arena *arena,
               fr_part_entry **out, int *n, fr_err *err);
/* Opens s3://bucket/key for fr_pq_* reads (footer first, chunks on demand or prefetched). */
int fr_s3_open(const char *path, const fr_storage_open_opts *o, fr_pq_file **out,
               uint64_t *size, fr_err *err);
/* Drops the cached bytes of a part (decision 20: a part that failed to load). */
void fr_s3_evict(const char *path, const fr_storage_open_opts *o);

#endif
