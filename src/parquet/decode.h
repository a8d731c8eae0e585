/* Value-level decoders of the Parquet encodings (parquet.md §7-§8): RLE/bit-packed hybrid,
 * bit unpacking, DELTA_BINARY_PACKED, BYTE_STREAM_SPLIT.  Pure functions over byte ranges,
 * bounds-checked, unit-tested on their own. */
#ifndef FR_PARQUET_DECODE_H
#define FR_PARQUET_DECODE_H

#include <stddef.h>
#include <stdint.h>

/* SIMD paths of the reader (AVX2 on x86_64): 1 when they run.  Chosen once from the CPU;
 * fr_pq_simd_force overrides it (the process start-up for FROCKET_SIMD=scalar, tests: 0
 * scalar, 1 SIMD where the CPU has it, -1 back to the default). */
int fr_pq_simd(void);
void fr_pq_simd_force(int on);

/* Unpacks `count` bw-bit values (bw 0..32, LSB first) from in[0..avail) into out.  Values
 * whose bits lie past `avail` are an error (-1); else 0. */
int fr_pq_unpack32(const uint8_t *in, size_t avail, int bw, uint32_t *out, int64_t count);

/* RLE/bit-packed hybrid stream of bw-bit values (0..32).  Decodes exactly `count` values into
 * out; returns the bytes consumed, or -1 if the stream is malformed or holds fewer values. */
int64_t fr_pq_rle_decode(const uint8_t *p, size_t n, int bw, uint32_t *out, int64_t count);

/* The same for dictionary indices: each is checked against ndict (*bad set when one is out of
 * range) and replaced by map[index] (map NULL: kept as it is), in the same pass. */
int64_t fr_pq_rle_decode_dict(const uint8_t *p, size_t n, int bw, uint32_t *out, int64_t count,
	const uint32_t *map, uint32_t ndict, int *bad);

/* The same for bit width 1 (definition levels of a flat optional column), written straight
 * into bitmap bits off..off+count (which must be zero).  *ones gets the number of 1 levels.
 * Returns bytes consumed or -1 (malformed, too few values, or a level above 1). */
int64_t fr_pq_rle_bits(const uint8_t *p, size_t n, uint64_t *bm, int64_t off, int64_t count,
	int64_t *ones);

/* Deprecated BIT_PACKED levels (MSB first), bit width 1, into the bitmap.  Returns bytes
 * consumed or -1. */
int64_t fr_pq_bitpacked_msb_bits(const uint8_t *p, size_t n, uint64_t *bm, int64_t off,
	int64_t count, int64_t *ones);

/* DELTA_BINARY_PACKED.  Reads the header; *total gets total_value_count.  Decodes up to
 * `cap` values into out (wrapping 64-bit arithmetic; for INT32 keep the low 32 bits) and
 * returns the bytes consumed through the last miniblock holding a needed value, or -1.
 * max_bw is 32 for INT32 and 64 for INT64.  With out == NULL nothing is stored (used to find
 * the end of a stream). */
int64_t fr_pq_delta_decode(const uint8_t *p, size_t n, int max_bw, uint64_t *out, int64_t cap,
	int64_t *total);

/* BYTE_STREAM_SPLIT: count values of `width` bytes from src (count*width bytes). */
void fr_pq_bss_decode(const uint8_t *src, int64_t count, int width, uint8_t *dst);

#endif
