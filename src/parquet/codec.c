/* Page decompression: snappy, gzip (concatenated members), zstd, brotli, LZ4 (Hadoop framing
 * or raw block), LZ4_RAW.  Output size always equals the page header's size. */
#include "parquet/codec.h"
#include "parquet/format.h"
#include "parquet/snappy.h"

#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>
#include <lz4.h>
#include <brotli/decode.h>
#include <string.h>

int fr_pq_codec_supported(int codec)
{
	switch (codec) {
	case FR_PQ_CODEC_UNCOMPRESSED: case FR_PQ_CODEC_SNAPPY: case FR_PQ_CODEC_GZIP:
	case FR_PQ_CODEC_BROTLI: case FR_PQ_CODEC_LZ4: case FR_PQ_CODEC_ZSTD:
	case FR_PQ_CODEC_LZ4_RAW:
		return 1;
	default:
		return 0;
	}
}

static int gunzip(const uint8_t *src, size_t n, uint8_t *dst, size_t want, const char **why)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	if (inflateInit2(&z, 16 + 15) != Z_OK) {
		*why = "gzip: cannot initialise zlib";
		return -1;
	}
	size_t in_off = 0, out_off = 0;
	int rc = 0;
	for (;;) {
		/* zlib counts in uInt; pages are capped well below 4 GiB. */
		z.next_in = (Bytef *)(uintptr_t)(src + in_off);
		z.avail_in = (uInt)(n - in_off);
		z.next_out = dst + out_off;
		z.avail_out = (uInt)(want - out_off);
		int r = inflate(&z, Z_FINISH);
		in_off = n - z.avail_in;
		out_off = want - z.avail_out;
		if (r == Z_STREAM_END) {
			/* Another gzip member may follow (concatenated_gzip_members.parquet). */
			if (in_off < n && out_off < want) {
				if (inflateReset(&z) != Z_OK) { rc = -1; *why = "gzip: reset failed"; break; }
				continue;
			}
			break;
		}
		if (r == Z_BUF_ERROR && z.avail_out == 0) {
			*why = "gzip: page decompresses to more bytes than its header says";
			rc = -1;
			break;
		}
		*why = "gzip: corrupt compressed data";
		rc = -1;
		break;
	}
	inflateEnd(&z);
	if (!rc && out_off != want) {
		*why = "decompressed size does not match the page header";
		rc = -1;
	}
	return rc;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Hadoop framing: [BE u32 decompressed][BE u32 compressed][block] repeated. */
static int lz4_hadoop(const uint8_t *src, size_t n, uint8_t *dst, size_t want)
{
	size_t ip = 0, op = 0;
	while (ip < n) {
		if (n - ip < 8)
			return -1;
		uint32_t dlen = be32(src + ip), clen = be32(src + ip + 4);
		ip += 8;
		if (clen > n - ip || dlen > want - op)
			return -1;
		int r = LZ4_decompress_safe((const char *)src + ip, (char *)dst + op, (int)clen, (int)dlen);
		if (r < 0 || (uint32_t)r != dlen)
			return -1;
		ip += clen;
		op += dlen;
	}
	return op == want ? 0 : -1;
}

int fr_pq_size_plausible(int codec, const uint8_t *src, size_t n, size_t want)
{
	switch (codec) {
	case FR_PQ_CODEC_UNCOMPRESSED:
		return n == want ? 0 : -1;
	case FR_PQ_CODEC_SNAPPY: {
		size_t len;
		if (fr_snappy_length(src, n, &len) < 0)
			return -1;
		return len == want ? 0 : -1;
	}
	case FR_PQ_CODEC_LZ4:
	case FR_PQ_CODEC_LZ4_RAW:
		/* An LZ4 sequence expands at most 255-fold. */
		return want / 256 <= n + 64 ? 0 : -1;
	case FR_PQ_CODEC_GZIP:
		/* Deflate's maximum ratio is about 1032:1. */
		return want / 1040 <= n + 64 ? 0 : -1;
	case FR_PQ_CODEC_ZSTD: {
		/* A frame header that declares its size must not exceed the page's; an RLE block
		 * (4 bytes) expands to at most 128 KiB. */
		unsigned long long fcs = ZSTD_getFrameContentSize(src, n);
		if (fcs == ZSTD_CONTENTSIZE_ERROR)
			return -1;
		if (fcs != ZSTD_CONTENTSIZE_UNKNOWN && fcs > want)
			return -1;
		return want / 32768 <= n + 64 ? 0 : -1;
	}
	default:
		/* brotli has no useful bound; the 1 GiB page cap applies. */
		return 0;
	}
}

void fr_pq_dctx_free(fr_pq_dctx *ctx)
{
	if (ctx && ctx->zstd) {
		ZSTD_freeDCtx(ctx->zstd);
		ctx->zstd = NULL;
	}
}

int fr_pq_decompress(fr_pq_dctx *ctx, int codec, const uint8_t *src, size_t n, uint8_t *dst,
	size_t want, const char **why)
{
	if (want > 0x7fffffffu || n > 0x7fffffffu) {
		*why = "page too large";
		return -1;
	}
	switch (codec) {
	case FR_PQ_CODEC_UNCOMPRESSED:
		if (n != want) {
			*why = "uncompressed page size does not match the header";
			return -1;
		}
		memcpy(dst, src, n);
		return 0;
	case FR_PQ_CODEC_SNAPPY:
		return fr_snappy_decompress(src, n, dst, want, why);
	case FR_PQ_CODEC_GZIP:
		return gunzip(src, n, dst, want, why);
	case FR_PQ_CODEC_ZSTD: {
		/* A reused context saves its allocation and setup on every page. */
		if (ctx && !ctx->zstd)
			ctx->zstd = ZSTD_createDCtx();
		size_t r = ctx && ctx->zstd ? ZSTD_decompressDCtx(ctx->zstd, dst, want, src, n) :
			ZSTD_decompress(dst, want, src, n);
		if (ZSTD_isError(r)) {
			*why = ZSTD_getErrorCode(r) == ZSTD_error_dstSize_tooSmall ?
				"zstd: page decompresses to more bytes than its header says" :
				"zstd: corrupt compressed data";
			return -1;
		}
		if (r != want) {
			*why = "zstd: decompressed size does not match the page header";
			return -1;
		}
		return 0;
	}
	case FR_PQ_CODEC_BROTLI: {
		size_t out = want;
		if (BrotliDecoderDecompress(n, src, &out, dst) != BROTLI_DECODER_RESULT_SUCCESS) {
			*why = "brotli: corrupt compressed data";
			return -1;
		}
		if (out != want) {
			*why = "brotli: decompressed size does not match the page header";
			return -1;
		}
		return 0;
	}
	case FR_PQ_CODEC_LZ4:
		if (!lz4_hadoop(src, n, dst, want))
			return 0;
		/* A raw block (old parquet-cpp) or LZ4_RAW data labelled LZ4. */
		__attribute__((fallthrough));
	case FR_PQ_CODEC_LZ4_RAW: {
		int r = LZ4_decompress_safe((const char *)src, (char *)dst, (int)n, (int)want);
		if (r < 0) {
			*why = "lz4: corrupt compressed data";
			return -1;
		}
		if ((size_t)r != want) {
			*why = "lz4: decompressed size does not match the page header";
			return -1;
		}
		return 0;
	}
	case FR_PQ_CODEC_LZO:
		*why = "compression codec LZO is not supported";
		return -1;
	default:
		*why = "unknown compression codec";
		return -1;
	}
}
