/* Value and level encoders of the Parquet writer: the RLE / bit-packing hybrid (definition
 * levels, dictionary indices) and bit-packed booleans. */
#ifndef FR_PARQUET_ENCODE_H
#define FR_PARQUET_ENCODE_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"

/* Bits needed for values 0..max_value (at least 1, so a one-entry dictionary still has a
 * non-zero width every reader accepts). */
int fr_pq_bit_width(uint32_t max_value);

/* Appends v[0..n) as an RLE / bit-packing hybrid run sequence of the given bit width (1..32),
 * without any length prefix.  Runs of 8 or more equal values become RLE runs.  0 or FR_ENOMEM. */
int fr_pq_rle_encode(const uint32_t *v, size_t n, int bit_width, fr_buf *out);

/* Streaming form: when !final, stops before a trailing bit-packed group that is not full
 * (padding may only end the whole sequence) and returns in *used how many values it encoded;
 * the caller passes the rest again with the next values. */
int fr_pq_rle_encode_part(const uint32_t *v, size_t n, int bit_width, int final, size_t *used,
	fr_buf *out);

/* Same for a validity bitmap read as definition levels (bit width 1): bits [from, from+n). */
int fr_pq_rle_encode_bits(const uint64_t *bm, int64_t from, size_t n, fr_buf *out);

#endif
