/* Internal structures of the Parquet reader: decoded footer (schema leaves, row groups,
 * column chunks, statistics) and the open-file object.  Not part of the public contract. */
#ifndef FR_PARQUET_INTERNAL_H
#define FR_PARQUET_INTERNAL_H

#include <stdint.h>
#include <stddef.h>
#include "core/arena.h"
#include "core/error.h"
#include "parquet/parquet.h"
#include "parquet/codec.h"

/* Raw statistics, pointing into the footer bytes (which live as long as the file). */
typedef struct fr_pq_stats {
	const uint8_t *min, *max;            /* min_value / max_value (fields 6/5) */
	const uint8_t *min_old, *max_old;    /* deprecated min / max (fields 2/1), signed order */
	uint32_t min_len, max_len, min_old_len, max_old_len;
	uint8_t has_min, has_max, has_min_old, has_max_old;
	uint8_t has_null_count, has_distinct, has_nan_count;
	int8_t min_exact, max_exact;         /* -1 absent, else 0/1 */
	int64_t null_count, distinct_count, nan_count;
} fr_pq_stats;

typedef struct fr_pq_chunk {
	int type;
	int codec;
	int encrypted;                       /* crypto_metadata or encrypted_column_metadata */
	int has_file_path;
	int has_meta;
	uint32_t encodings;                  /* bitmask of Encoding values < 32 (informational) */
	int64_t num_values;
	int64_t total_uncompressed, total_compressed;
	int64_t data_page_offset, dict_page_offset;   /* dict: -1 when absent */
	int has_stats;
	fr_pq_stats stats;
	const char *path;                    /* path_in_schema joined with '.' (or NULL) */
} fr_pq_chunk;

typedef struct fr_pq_rowgroup {
	int64_t num_rows;
	int64_t total_byte_size;
	fr_pq_chunk *cols;                   /* one per leaf */
} fr_pq_rowgroup;

typedef struct fr_pq_leaf {
	const char *name;                    /* dotted path */
	int type;                            /* physical type */
	int type_length;
	int repetition;
	int converted;                       /* -1 none or unknown */
	int scale, precision;                /* DECIMAL (legacy or logical) */
	int logical;                         /* FR_PQ_LT_*, 0 none, -1 unknown member */
	int time_unit;                       /* TIME/TIMESTAMP: 1 ms, 2 us, 3 ns, 0 unknown */
	int utc;
	int int_bits, int_signed;            /* INTEGER logical type */
	int max_def, max_rep;
	int nested;
	int order;                           /* ColumnOrder: 0 absent, 1 TYPE, 2 IEEE754, 3 INT96, -1 unknown */
	int is_unsigned;                     /* values are unsigned integers */
	int is_decimal;
	int is_float16;
	int is_string;                       /* UTF8/STRING/ENUM/JSON */
	int bad_annotation;                  /* annotation does not fit the physical type */
} fr_pq_leaf;

typedef struct fr_pq_kv {
	const char *key, *value;             /* value may be NULL */
} fr_pq_kv;

struct fr_pq_file {
	char *name;
	uint64_t size;
	fr_pq_read_fn read;
	void *ctx;
	int fd;
	const uint8_t *map;                  /* whole file when opened by path; else NULL */
	fr_arena *meta;                      /* footer bytes and everything decoded from them */
	const uint8_t *footer;
	uint32_t footer_len;
	/* Range-reader files: the file's last tail_len bytes, fetched in one read at open (the
	 * footer and often the last column chunks); chunk reads inside it cost nothing. */
	const uint8_t *tail;
	uint64_t tail_len;
	int version;
	int64_t num_rows;
	const char *created_by;
	int app;                             /* FR_PQ_APP_* */
	int ver[3];                          /* parsed created_by version */
	int nleaves;
	fr_pq_leaf *leaves;
	int nrg;
	fr_pq_rowgroup *rgs;
	int nkv;
	fr_pq_kv *kv;
	int has_column_orders;
	int schema_elements;
	/* Reused scratch space (heap, owned by the file): chunk bytes when reading through a
	 * callback, and decompressed pages. */
	uint8_t *chunkbuf;
	size_t chunkcap;
	uint8_t *pagebuf;
	size_t pagecap;
	uint8_t *aheadbuf;                   /* a snappy page decompressed with the one before it */
	size_t aheadcap;
	fr_pq_dctx dctx;
	uint64_t bytes_read;                 /* through the callback, for tests */
	/* Range readers: optional hooks of the reader's owner (fr_pq_set_hooks). */
	fr_pq_prefetch_fn prefetch;
	void (*release)(void *ctx);
	fr_pq_view_fn view;         /* fr_pq_set_view (may be NULL) */
};

enum { FR_PQ_APP_OTHER, FR_PQ_APP_PARQUET_MR, FR_PQ_APP_PARQUET_CPP, FR_PQ_APP_PARQUET_NET };

/* footer.c */
int fr_pq_decode_footer(fr_pq_file *f, fr_err *err);
int fr_pq_version_lt(const fr_pq_file *f, int a, int b, int c);

/* Grows a heap buffer to at least n bytes; 0 or FR_ENOMEM. */
int fr_pq_grow(uint8_t **buf, size_t *cap, size_t n);

#endif
