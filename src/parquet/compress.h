/* Page compression for the Parquet writer: snappy, zstd, gzip or none, with contexts reused
 * across pages so compressing a page allocates nothing once buffers have grown. */
#ifndef FR_PARQUET_COMPRESS_H
#define FR_PARQUET_COMPRESS_H

#include <stddef.h>
#include "core/buf.h"
#include "core/error.h"

typedef struct fr_pq_compressor fr_pq_compressor;

/* Codec from its name (none/uncompressed, snappy, zstd, gzip; case-insensitive), as the
 * FR_PQ_CODEC_* value; -1 when the name is not one the writer supports. */
int fr_pq_codec_from_name(const char *name);

/* level 0 picks the codec's default (zstd 3, gzip 6).  FR_EUNSUPPORTED for other codecs. */
int fr_pq_compressor_new(int codec, int level, fr_pq_compressor **out, fr_err *err);
void fr_pq_compressor_free(fr_pq_compressor *c);
/* Appends the compressed form of src[0..n) to dst. */
int fr_pq_compress(fr_pq_compressor *c, const void *src, size_t n, fr_buf *dst, fr_err *err);

#endif
