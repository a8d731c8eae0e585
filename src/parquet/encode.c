/* RLE / bit-packing hybrid encoder (parquet Encodings.md): RLE runs for repeats of 8 or more,
 * bit-packed groups of 8 otherwise.  Written for speed: no per-value allocation, one reserve
 * per run. */
#include "parquet/encode.h"
#include "core/error.h"

#include <string.h>

int fr_pq_bit_width(uint32_t max_value)
{
	int w = 0;
	while (w < 32 && (max_value >> w))
		w++;
	return w ? w : 1;
}

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/* Length of the run of equal values at i, counted up to cap. */
static size_t run_len(const uint32_t *v, size_t n, size_t i, size_t cap)
{
	size_t j = i + 1;
	size_t end = n - i > cap ? i + cap : n;
	while (j < end && v[j] == v[i])
		j++;
	return j - i;
}

int fr_pq_rle_encode(const uint32_t *v, size_t n, int bw, fr_buf *out)
{
	size_t used;
	return fr_pq_rle_encode_part(v, n, bw, 1, &used, out);
}

int fr_pq_rle_encode_part(const uint32_t *v, size_t n, int bw, int final, size_t *used,
	fr_buf *out)
{
	size_t vbytes = ((size_t)bw + 7) / 8;
	size_t i = 0;
	while (i < n) {
		size_t r = run_len(v, n, i, SIZE_MAX);
		if (r >= 8) {
			if (fr_buf_reserve(out, 10 + vbytes))
				return FR_ENOMEM;
			uint8_t *p = out->data + out->len;
			size_t k = put_varint(p, (uint64_t)r << 1);
			for (size_t b = 0; b < vbytes; b++)
				p[k++] = (uint8_t)(v[i] >> (8 * b));
			out->len += k;
			i += r;
			continue;
		}
		/* Bit-pack groups of 8 until a group boundary starts a run worth RLE. */
		size_t j = i + 8;
		while (j < n && run_len(v, n, j, 8) < 8)
			j += 8;
		size_t end = j < n ? j : n;
		if (!final && end == n && (end - i) % 8) {
			end = i + (end - i) / 8 * 8;
			if (end == i)
				break;
		}
		size_t groups = (end - i + 7) / 8;
		if (fr_buf_reserve(out, 10 + groups * (size_t)bw))
			return FR_ENOMEM;
		uint8_t *p = out->data + out->len;
		size_t k = put_varint(p, (uint64_t)groups << 1 | 1);
		uint64_t acc = 0;
		int nbits = 0;
		for (size_t x = i; x < i + groups * 8; x++) {
			uint64_t val = x < end ? v[x] : 0;
			acc |= val << nbits;
			nbits += bw;
			while (nbits >= 8) {
				p[k++] = (uint8_t)acc;
				acc >>= 8;
				nbits -= 8;
			}
		}
		out->len += k;
		i = end;
	}
	*used = i;
	return 0;
}

int fr_pq_rle_encode_bits(const uint64_t *bm, int64_t from, size_t n, fr_buf *out)
{
	/* Levels are 0/1: expand a window at a time and reuse the general encoder, which keeps
	 * run detection in one place.  Values a window could not finish (a partial bit-packed
	 * group) move to the front of the next window. */
	uint32_t tmp[4096];
	size_t done = 0, keep = 0;
	while (done < n || keep) {
		size_t m = n - done < 4096 - keep ? n - done : 4096 - keep;
		for (size_t x = 0; x < m; x++) {
			int64_t bit = from + (int64_t)(done + x);
			tmp[keep + x] = (uint32_t)((bm[bit >> 6] >> (bit & 63)) & 1);
		}
		done += m;
		size_t used;
		if (fr_pq_rle_encode_part(tmp, keep + m, 1, done == n, &used, out))
			return FR_ENOMEM;
		keep = keep + m - used;
		memmove(tmp, tmp + used, keep * sizeof *tmp);
	}
	return 0;
}
