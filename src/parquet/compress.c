/* Codec glue: snappy-c, libzstd and zlib (gzip framing, as Parquet's GZIP codec requires). */
#include "parquet/compress.h"
#include "parquet/format.h"

#include <limits.h>
#include <snappy-c.h>
#include <stdlib.h>
#include <strings.h>
#include <zlib.h>
#include <zstd.h>

struct fr_pq_compressor {
	int codec;
	int level;
	ZSTD_CCtx *zctx;
	z_stream zs;
	int zs_ready;
};

int fr_pq_codec_from_name(const char *name)
{
	if (!strcasecmp(name, "none") || !strcasecmp(name, "uncompressed"))
		return FR_PQ_CODEC_UNCOMPRESSED;
	if (!strcasecmp(name, "snappy"))
		return FR_PQ_CODEC_SNAPPY;
	if (!strcasecmp(name, "zstd"))
		return FR_PQ_CODEC_ZSTD;
	if (!strcasecmp(name, "gzip"))
		return FR_PQ_CODEC_GZIP;
	return -1;
}

int fr_pq_compressor_new(int codec, int level, fr_pq_compressor **out, fr_err *err)
{
	*out = NULL;
	if (codec != FR_PQ_CODEC_UNCOMPRESSED && codec != FR_PQ_CODEC_SNAPPY &&
	    codec != FR_PQ_CODEC_ZSTD && codec != FR_PQ_CODEC_GZIP)
		return fr_err_set(err, FR_EUNSUPPORTED, "codec %d is not supported by the writer", codec);
	fr_pq_compressor *c = calloc(1, sizeof *c);
	if (!c)
		return fr_err_set(err, FR_ENOMEM, "out of memory creating a compressor");
	c->codec = codec;
	c->level = level;
	if (codec == FR_PQ_CODEC_ZSTD) {
		c->zctx = ZSTD_createCCtx();
		if (!c->zctx) {
			free(c);
			return fr_err_set(err, FR_ENOMEM, "out of memory creating a zstd context");
		}
		ZSTD_CCtx_setParameter(c->zctx, ZSTD_c_compressionLevel, level ? level : 3);
	} else if (codec == FR_PQ_CODEC_GZIP) {
		/* windowBits 15 + 16: gzip header and trailer, which Parquet's GZIP codec expects. */
		if (deflateInit2(&c->zs, level ? level : 6, Z_DEFLATED, 15 + 16, 8,
				Z_DEFAULT_STRATEGY) != Z_OK) {
			free(c);
			return fr_err_set(err, FR_ENOMEM, "cannot initialise zlib deflate");
		}
		c->zs_ready = 1;
	}
	*out = c;
	return 0;
}

void fr_pq_compressor_free(fr_pq_compressor *c)
{
	if (!c)
		return;
	if (c->zctx)
		ZSTD_freeCCtx(c->zctx);
	if (c->zs_ready)
		deflateEnd(&c->zs);
	free(c);
}

int fr_pq_compress(fr_pq_compressor *c, const void *src, size_t n, fr_buf *dst, fr_err *err)
{
	switch (c->codec) {
	case FR_PQ_CODEC_UNCOMPRESSED:
		if (fr_buf_append(dst, src, n))
			return fr_err_set(err, FR_ENOMEM, "out of memory writing a page");
		return 0;
	case FR_PQ_CODEC_SNAPPY: {
		size_t cap = snappy_max_compressed_length(n);
		if (fr_buf_reserve(dst, cap))
			return fr_err_set(err, FR_ENOMEM, "out of memory compressing a page");
		size_t got = cap;
		if (snappy_compress(src, n, (char *)dst->data + dst->len, &got) != SNAPPY_OK)
			return fr_err_set(err, FR_EIO, "snappy compression failed");
		dst->len += got;
		return 0;
	}
	case FR_PQ_CODEC_ZSTD: {
		size_t cap = ZSTD_compressBound(n);
		if (fr_buf_reserve(dst, cap))
			return fr_err_set(err, FR_ENOMEM, "out of memory compressing a page");
		size_t got = ZSTD_compress2(c->zctx, dst->data + dst->len, cap, src, n);
		if (ZSTD_isError(got))
			return fr_err_set(err, FR_EIO, "zstd compression failed: %s",
				ZSTD_getErrorName(got));
		dst->len += got;
		return 0;
	}
	case FR_PQ_CODEC_GZIP: {
		if (n > UINT_MAX)
			return fr_err_set(err, FR_ELIMIT, "page of %zu bytes is too large for gzip", n);
		uLong cap = deflateBound(&c->zs, (uLong)n) + 32;
		if (fr_buf_reserve(dst, cap))
			return fr_err_set(err, FR_ENOMEM, "out of memory compressing a page");
		if (deflateReset(&c->zs) != Z_OK)
			return fr_err_set(err, FR_EIO, "zlib deflateReset failed");
		c->zs.next_in = (Bytef *)src;
		c->zs.avail_in = (uInt)n;
		c->zs.next_out = dst->data + dst->len;
		c->zs.avail_out = (uInt)cap;
		int rc = deflate(&c->zs, Z_FINISH);
		if (rc != Z_STREAM_END)
			return fr_err_set(err, FR_EIO, "gzip compression failed (zlib %d)", rc);
		dst->len += cap - c->zs.avail_out;
		return 0;
	}
	}
	return fr_err_set(err, FR_EUNSUPPORTED, "codec %d is not supported by the writer", c->codec);
}
