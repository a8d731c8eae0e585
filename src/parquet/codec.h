/* Page decompression for the Parquet codecs (parquet.md §9).  Reader side only. */
#ifndef FR_PARQUET_CODEC_H
#define FR_PARQUET_CODEC_H

#include <stddef.h>
#include <stdint.h>

/* Decompresses src[0..n) with `codec` into exactly dst[0..want).  Returns 0, or -1 with *why
 * set to a static message (corrupt data, size mismatch, unsupported codec). */
/* Reusable decompression state (one per open file; not thread-safe).  Zero-initialise; free
 * with fr_pq_dctx_free. */
typedef struct fr_pq_dctx {
	void *zstd;
} fr_pq_dctx;

int fr_pq_decompress(fr_pq_dctx *ctx, int codec, const uint8_t *src, size_t n, uint8_t *dst,
	size_t want, const char **why);
void fr_pq_dctx_free(fr_pq_dctx *ctx);
/* 0 if src[0..n) could decompress to `want` bytes with this codec (format limits on the
 * compression ratio, snappy's own length header); -1 otherwise.  Checked before allocating. */
int fr_pq_size_plausible(int codec, const uint8_t *src, size_t n, size_t want);
int fr_pq_codec_supported(int codec);

#endif
