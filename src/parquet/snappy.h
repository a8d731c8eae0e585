/* Snappy block decompression (the raw format of snappy's format_description.txt, as Parquet
 * pages carry it).  Our own decoder: libsnappy 1.1.9 as Debian builds it calls memmove through
 * the PLT for every element, which made PLAIN numeric pages cost twice what they need.  The
 * writer still compresses with libsnappy, and the tests hold this decoder to libsnappy's output
 * on every input libsnappy accepts.  Reader side only; never reads or writes out of bounds,
 * whatever the bytes. */
#ifndef FR_PARQUET_SNAPPY_H
#define FR_PARQUET_SNAPPY_H

#include <stddef.h>
#include <stdint.h>

/* The uncompressed length in the block's preamble; -1 if the varint is malformed or does not
 * fit 32 bits. */
int fr_snappy_length(const uint8_t *src, size_t n, size_t *len);

/* Decompresses the block src[0..n) into exactly dst[0..want).  -1 with *why set (a static
 * message) when the block is corrupt or does not decompress to exactly `want` bytes. */
int fr_snappy_decompress(const uint8_t *src, size_t n, uint8_t *dst, size_t want,
                         const char **why);

/* Two blocks at once (independent: distinct outputs), faster than one after the other.
 * Returns 0, or bit 0 set when block a failed (*why_a set) and bit 1 when block b failed
 * (*why_b set); each block is decoded, or refused, exactly as fr_snappy_decompress would. */
int fr_snappy_decompress2(const uint8_t *src_a, size_t n_a, uint8_t *dst_a, size_t want_a,
                          const char **why_a, const uint8_t *src_b, size_t n_b, uint8_t *dst_b,
                          size_t want_b, const char **why_b);

#endif
