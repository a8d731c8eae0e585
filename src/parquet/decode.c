/* RLE/bit-packed hybrid, bit unpacking (specialised per bit width), DELTA_BINARY_PACKED and
 * BYTE_STREAM_SPLIT decoding, bounds-checked against corrupt input. */
#include "parquet/decode.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>


#if defined(__x86_64__)
#include <immintrin.h>
#endif

static int simd_default = -1, simd_forced = -1;

int fr_pq_simd(void)
{
	if (simd_forced >= 0)
		return simd_forced;
	int d = __atomic_load_n(&simd_default, __ATOMIC_RELAXED);
	if (d < 0) {
		d = 0;
#if defined(__x86_64__)
		d = __builtin_cpu_supports("avx2");
#endif
		__atomic_store_n(&simd_default, d, __ATOMIC_RELAXED);
	}
	return d;
}

void fr_pq_simd_force(int on)
{
	int can = 0;
#if defined(__x86_64__)
	can = __builtin_cpu_supports("avx2");
#endif
	simd_forced = on < 0 ? -1 : on && can;
}

static inline uint64_t load64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

/* Loads up to 8 bytes (zero-filled) without reading past end. */
static inline uint64_t load64_tail(const uint8_t *p, const uint8_t *end)
{
	uint64_t v = 0;
	size_t n = (size_t)(end - p);
	memcpy(&v, p, n < 8 ? n : 8);
	return v;
}

/* One group of 8 values of constant width BW; the compiler unrolls it per width. */
static inline __attribute__((always_inline)) void unpack8(const uint8_t *in, uint32_t *out,
	const int bw)
{
	const uint64_t mask = bw == 32 ? 0xffffffffu : ((1ull << bw) - 1);
	/* Written out so every offset and shift is a constant for each width. */
#define U(j) out[j] = (uint32_t)((load64(in + ((j) * bw >> 3)) >> ((j) * bw & 7)) & mask)
	U(0); U(1); U(2); U(3); U(4); U(5); U(6); U(7);
#undef U
}

static inline __attribute__((always_inline)) void unpack_groups(const uint8_t *in,
	uint32_t *out, size_t groups, const int bw)
{
	for (size_t g = 0; g < groups; g++, in += bw, out += 8)
		unpack8(in, out, bw);
}

#if defined(__x86_64__)
/* Eight values at a time for widths up to 24: each 32-bit lane gathers the four bytes that
 * hold its value (the upper four lanes from a second 16-byte load at their first byte), then
 * shifts and masks.  Returns the groups done: those whose loads stay inside in[0..avail). */
__attribute__((target("avx2"))) static size_t unpack_avx2(const uint8_t *in, size_t avail,
	int bw, uint32_t *out, size_t groups)
{
	const int hi = (4 * bw) >> 3;
	if (avail < (size_t)hi + 16)
		return 0;
	size_t lim = (avail - (size_t)hi - 16) / (size_t)bw + 1;
	if (groups > lim)
		groups = lim;
	uint8_t shuf[32];
	uint32_t sh[8];
	for (int j = 0; j < 8; j++) {
		int rel = ((j * bw) >> 3) - (j >= 4 ? hi : 0);
		for (int b = 0; b < 4; b++)
			shuf[j * 4 + b] = (uint8_t)(rel + b);
		sh[j] = (uint32_t)((j * bw) & 7);
	}
	const __m256i S = _mm256_loadu_si256((const __m256i *)(const void *)shuf);
	const __m256i SH = _mm256_loadu_si256((const __m256i *)(const void *)sh);
	const __m256i M = _mm256_set1_epi32((int)((1u << bw) - 1));
	for (size_t g = 0; g < groups; g++, in += bw, out += 8) {
		__m256i x = _mm256_loadu2_m128i((const __m128i *)(const void *)(in + hi),
		                                (const __m128i *)(const void *)in);
		x = _mm256_and_si256(_mm256_srlv_epi32(_mm256_shuffle_epi8(x, S), SH), M);
		_mm256_storeu_si256((__m256i *)(void *)out, x);
	}
	return groups;
}
#endif

/* Generic slow path for the tail (never reads at or past end). */
static void unpack_slow(const uint8_t *in, const uint8_t *end, int bw, uint32_t *out,
	int64_t count)
{
	const uint64_t mask = bw == 32 ? 0xffffffffu : ((1ull << bw) - 1);
	for (int64_t i = 0; i < count; i++) {
		uint64_t bit = (uint64_t)i * bw;
		out[i] = (uint32_t)((load64_tail(in + (bit >> 3), end) >> (bit & 7)) & mask);
	}
}

/* The values' bits must lie in in[0..avail); wide loads may read up to in[readable) (>= avail:
 * the rest of the buffer), which lets short bit-packed runs take the fast paths too. */
static int unpack32(const uint8_t *in, size_t avail, size_t readable, int bw, uint32_t *out,
	int64_t count)
{
	if (bw < 0 || bw > 32 || count < 0)
		return -1;
	if (bw == 0) {
		memset(out, 0, (size_t)count * sizeof *out);
		return 0;
	}
	if ((uint64_t)count * bw > (uint64_t)avail * 8)
		return -1;
	const uint8_t *end = in + readable;
	/* Whole groups whose 8-byte loads stay inside the buffer take the fast path. */
	size_t groups = (size_t)count / 8;
	size_t safe = readable >= 8 ? (readable - 8) / (size_t)bw : 0;
	if (groups > safe)
		groups = safe;
	size_t done = 0;
#if defined(__x86_64__)
	if (bw <= 24 && fr_pq_simd())
		done = unpack_avx2(in, readable, bw, out, groups);
#endif
	in += done * (size_t)bw;
	out += done * 8;
	groups -= done;
	count -= (int64_t)done * 8;
	switch (bw) {
#define C(B) case B: unpack_groups(in, out, groups, B); break;
	C(1) C(2) C(3) C(4) C(5) C(6) C(7) C(8) C(9) C(10) C(11) C(12) C(13) C(14) C(15) C(16)
	C(17) C(18) C(19) C(20) C(21) C(22) C(23) C(24) C(25) C(26) C(27) C(28) C(29) C(30)
	C(31) C(32)
#undef C
	}
	size_t rest = groups * 8;
	if ((int64_t)rest < count)
		unpack_slow(in + groups * (size_t)bw, end, bw, out + rest, count - (int64_t)rest);
	return 0;
}

int fr_pq_unpack32(const uint8_t *in, size_t avail, int bw, uint32_t *out, int64_t count)
{
	return unpack32(in, avail, avail, bw, out, count);
}

/* Dictionary indices x[0..k) mapped in place through map (NULL: kept), each checked against
 * n; returns nonzero if one was >= n (it then maps to entry 0). */
static uint32_t remap_scalar(uint32_t *x, int64_t k, const uint32_t *map, uint32_t n)
{
	uint32_t bad = 0;
	if (!map) {
		uint32_t m = 0;
		for (int64_t i = 0; i < k; i++)
			m = x[i] > m ? x[i] : m;
		return k > 0 && m >= n;
	}
	for (int64_t i = 0; i < k; i++) {
		uint32_t v = x[i];
		bad |= v >= n;
		x[i] = map[v < n ? v : 0];
	}
	return bad;
}

#if defined(__x86_64__)
__attribute__((target("avx2"))) static uint32_t remap_avx2(uint32_t *x, int64_t k,
	const uint32_t *map, uint32_t n)
{
	const __m256i last = _mm256_set1_epi32((int)(n - 1));
	__m256i badv = _mm256_setzero_si256();
	int64_t i = 0;
	if (!map) {
		for (; i + 8 <= k; i += 8) {
			__m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(x + i));
			badv = _mm256_or_si256(badv, _mm256_xor_si256(_mm256_min_epu32(v, last), v));
		}
	} else if (n <= 8) {
		/* a small dictionary: the map fits one register, a permute looks it up */
		uint32_t m8[8] = { 0 };
		memcpy(m8, map, n * sizeof *m8);
		const __m256i M = _mm256_loadu_si256((const __m256i *)(const void *)m8);
		for (; i + 8 <= k; i += 8) {
			__m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(x + i));
			__m256i c = _mm256_min_epu32(v, last);
			badv = _mm256_or_si256(badv, _mm256_xor_si256(c, v));
			_mm256_storeu_si256((__m256i *)(void *)(x + i), _mm256_permutevar8x32_epi32(M, c));
		}
	} else {
		for (; i + 8 <= k; i += 8) {
			__m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(x + i));
			__m256i c = _mm256_min_epu32(v, last);
			badv = _mm256_or_si256(badv, _mm256_xor_si256(c, v));
			_mm256_storeu_si256((__m256i *)(void *)(x + i),
				_mm256_i32gather_epi32((const int *)(const void *)map, c, 4));
		}
	}
	return (uint32_t)!_mm256_testz_si256(badv, badv) | remap_scalar(x + i, k - i, map, n);
}
#endif

static uint32_t remap(uint32_t *x, int64_t k, const uint32_t *map, uint32_t n)
{
	if (k <= 0)
		return 0;
	if (n == 0)
		return 1;
#if defined(__x86_64__)
	if (fr_pq_simd())
		return remap_avx2(x, k, map, n);
#endif
	return remap_scalar(x, k, map, n);
}

static inline int uleb(const uint8_t **pp, const uint8_t *end, uint64_t *v, int maxbytes)
{
	const uint8_t *p = *pp;
	uint64_t r = 0;
	for (int i = 0, s = 0; i < maxbytes; i++, s += 7) {
		if (p >= end)
			return -1;
		uint8_t b = *p++;
		r |= (uint64_t)(b & 0x7f) << s;
		if (!(b & 0x80)) {
			*v = r;
			*pp = p;
			return 0;
		}
	}
	return -1;
}

/* One run header of the RLE / bit-packed hybrid: 1 for a bit-packed run of *vals values
 * (whole groups of 8), 0 for a run of *vals copies of one value, -1 when the header is cut
 * short or the run is empty.  *take: how many of them are wanted, at most left. */
static inline int rle_run(const uint8_t **pp, const uint8_t *end, int64_t left, uint64_t *vals,
	int64_t *take)
{
	uint64_t h;
	if (uleb(pp, end, &h, 5) || (h >> 1) == 0)
		return -1;
	int packed = (int)(h & 1);
	*vals = packed ? (h >> 1) * 8 : h >> 1;
	*take = (int64_t)(*vals < (uint64_t)left ? *vals : (uint64_t)left);
	return packed;
}

/* The hybrid decoder; with dict, every value is a dictionary index checked against ndict and
 * mapped through map (NULL: kept), run values once per run, bit-packed values a block at a
 * time while they are in cache. */
static int64_t rle_decode(const uint8_t *p, size_t n, int bw, uint32_t *out, int64_t count,
	int dict, const uint32_t *map, uint32_t ndict, uint32_t *bad)
{
	const uint8_t *start = p, *end = p + n;
	int vbytes = (bw + 7) / 8;
	if (bw < 0 || bw > 32)
		return -1;
	int64_t i = 0;
	while (i < count) {
		uint64_t vals;
		int64_t take;
		int packed = rle_run(&p, end, count - i, &vals, &take);
		if (packed < 0)
			return -1;
		if (packed) {
			uint64_t bytes = vals / 8 * (uint64_t)bw;
			size_t avail = (size_t)(end - p);
			/* A short final run (old Polars) is fine if it holds the values we need. */
			if (!dict) {
				if (unpack32(p, bytes < avail ? bytes : avail, avail, bw, out + i, take))
					return -1;
			} else {
				/* blocks of 2048 values (a multiple of 8: whole groups) */
				for (int64_t o = 0; o < take; o += 2048) {
					int64_t b = take - o < 2048 ? take - o : 2048;
					size_t skip = (size_t)(o / 8) * (size_t)bw;
					size_t left = (bytes < avail ? bytes : avail) - skip;
					if (unpack32(p + skip, left, avail - skip, bw, out + i + o, b))
						return -1;
					*bad |= remap(out + i + o, b, map, ndict);
				}
			}
			i += take;
			p += bytes < avail ? bytes : avail;
		} else {
			if ((size_t)(end - p) < (size_t)vbytes)
				return -1;
			uint32_t v = 0;
			for (int b = 0; b < vbytes; b++)
				v |= (uint32_t)p[b] << (8 * b);
			p += vbytes;
			if (bw < 32 && (v >> bw))
				return -1;
			if (dict) {
				*bad |= v >= ndict;
				v = v >= ndict ? (map ? map[0] : 0) : map ? map[v] : v;
			}
			for (int64_t k = 0; k < take; k++)
				out[i + k] = v;
			i += take;
		}
	}
	return p - start;
}

int64_t fr_pq_rle_decode(const uint8_t *p, size_t n, int bw, uint32_t *out, int64_t count)
{
	return rle_decode(p, n, bw, out, count, 0, NULL, 0, NULL);
}

int64_t fr_pq_rle_decode_dict(const uint8_t *p, size_t n, int bw, uint32_t *out, int64_t count,
	const uint32_t *map, uint32_t ndict, int *bad)
{
	uint32_t b = 0;
	int64_t r;
	if (ndict == 0) { /* no entry to map to: every index is out of range */
		r = rle_decode(p, n, bw, out, count, 0, NULL, 0, NULL);
		b = count > 0;
	} else {
		r = rle_decode(p, n, bw, out, count, 1, map, ndict, &b);
	}
	*bad = r >= 0 && b;
	return r;
}

/* Sets bits [off, off+len) of bm. */
static void bits_set_range(uint64_t *bm, int64_t off, int64_t len)
{
	while (len > 0 && (off & 63)) {
		bm[off >> 6] |= 1ull << (off & 63);
		off++;
		len--;
	}
	while (len >= 64) {
		bm[off >> 6] = ~0ull;
		off += 64;
		len -= 64;
	}
	while (len > 0) {
		bm[off >> 6] |= 1ull << (off & 63);
		off++;
		len--;
	}
}

/* ORs `len` bits from src (LSB first) into bm at bit offset off; returns their popcount. */
static int64_t bits_copy(uint64_t *bm, int64_t off, const uint8_t *src, const uint8_t *end,
	int64_t len)
{
	int64_t ones = 0;
	int64_t i = 0;
	while (i < len) {
		int64_t take = len - i < 56 ? len - i : 56;
		uint64_t w;
		const uint8_t *q = src + (i >> 3);
		w = (q + 8 <= end) ? load64(q) : load64_tail(q, end);
		w >>= (i & 7);
		w &= (take == 64) ? ~0ull : ((1ull << take) - 1);
		ones += __builtin_popcountll(w);
		int64_t o = off + i;
		int sh = (int)(o & 63);
		bm[o >> 6] |= w << sh;
		if (sh && sh + take > 64)
			bm[(o >> 6) + 1] |= w >> (64 - sh);
		i += take;
	}
	return ones;
}

int64_t fr_pq_rle_bits(const uint8_t *p, size_t n, uint64_t *bm, int64_t off, int64_t count,
	int64_t *ones_out)
{
	const uint8_t *start = p, *end = p + n;
	int64_t i = 0, ones = 0;
	while (i < count) {
		uint64_t vals;
		int64_t take;
		int packed = rle_run(&p, end, count - i, &vals, &take);
		if (packed < 0)
			return -1;
		if (packed) {
			uint64_t groups = vals / 8;   /* bytes, at one bit a value */
			size_t avail = (size_t)(end - p);
			if ((uint64_t)take > (uint64_t)avail * 8)
				return -1;
			ones += bits_copy(bm, off + i, p, end, take);
			i += take;
			p += groups < avail ? groups : avail;
		} else {
			if (p >= end)
				return -1;
			uint8_t v = *p++;
			if (v > 1)
				return -1;
			if (v) {
				bits_set_range(bm, off + i, take);
				ones += take;
			}
			i += take;
		}
	}
	*ones_out = ones;
	return p - start;
}

int64_t fr_pq_bitpacked_msb_bits(const uint8_t *p, size_t n, uint64_t *bm, int64_t off,
	int64_t count, int64_t *ones_out)
{
	uint64_t bytes = ((uint64_t)count + 7) / 8;
	if (bytes > n)
		return -1;
	int64_t ones = 0;
	for (int64_t i = 0; i < count; i++) {
		if ((p[i >> 3] >> (7 - (i & 7))) & 1) {
			bm[(off + i) >> 6] |= 1ull << ((off + i) & 63);
			ones++;
		}
	}
	*ones_out = ones;
	return (int64_t)bytes;
}

/* Unpacks `count` values of width bw (0..64) LSB first, for delta miniblocks. */
static void unpack64(const uint8_t *in, const uint8_t *end, int bw, uint64_t *out, int64_t count)
{
	if (bw == 0) {
		memset(out, 0, (size_t)count * sizeof *out);
		return;
	}
	const uint64_t mask = bw == 64 ? ~0ull : ((1ull << bw) - 1);
	for (int64_t i = 0; i < count; i++) {
		uint64_t bit = (uint64_t)i * bw;
		const uint8_t *q = in + (bit >> 3);
		int sh = (int)(bit & 7);
		uint64_t lo = (q + 8 <= end) ? load64(q) : load64_tail(q, end);
		uint64_t v = lo >> sh;
		if (sh + bw > 64) {
			uint8_t hi = q + 8 < end ? q[8] : 0;
			v |= (uint64_t)hi << (64 - sh);
		}
		out[i] = v & mask;
	}
}

int64_t fr_pq_delta_decode(const uint8_t *p, size_t n, int max_bw, uint64_t *out, int64_t cap,
	int64_t *total_out)
{
	const uint8_t *start = p, *end = p + n;
	uint64_t block, nmini, total, zz;
	if (uleb(&p, end, &block, 10) || uleb(&p, end, &nmini, 10) || uleb(&p, end, &total, 10) ||
	    uleb(&p, end, &zz, 10))
		return -1;
	if (block == 0 || block % 128 || block > (1u << 20) || nmini == 0 || nmini > block ||
	    block % nmini || (block / nmini) % 32)
		return -1;
	/* Every value after the first takes at least... zero bits (bw 0), so bound the count by
	 * the caller's expectation instead. */
	if (total > (uint64_t)cap && out)
		return -1;
	*total_out = (int64_t)total;
	uint64_t per_mini = block / nmini;
	uint64_t prev = (zz >> 1) ^ (0 - (zz & 1));
	int64_t i = 0;
	if (total > 0) {
		if (out)
			out[0] = prev;
		i = 1;
	}
	uint8_t widths[1024];
	uint64_t deltas[1024];
	if (nmini > sizeof widths)
		return -1;
	while ((uint64_t)i < total) {
		uint64_t mz;
		if (uleb(&p, end, &mz, 10))
			return -1;
		uint64_t min_delta = (mz >> 1) ^ (0 - (mz & 1));
		if ((uint64_t)(end - p) < nmini)
			return -1;
		memcpy(widths, p, nmini);
		p += nmini;
		for (uint64_t m = 0; m < nmini && (uint64_t)i < total; m++) {
			int bw = widths[m];
			if (bw > max_bw)
				return -1;
			uint64_t bytes = per_mini * bw / 8;
			if ((uint64_t)(end - p) < bytes) {
				/* The last miniblock may be cut short if it still holds the values. */
				uint64_t need = ((total - (uint64_t)i) < per_mini ? (total - (uint64_t)i) : per_mini);
				if ((need * bw + 7) / 8 > (uint64_t)(end - p))
					return -1;
			}
			uint64_t take = total - (uint64_t)i < per_mini ? total - (uint64_t)i : per_mini;
			/* A miniblock can hold up to block_size values: unpack it in slices of 1024
			 * (a multiple of 8, so every slice starts on a byte). */
			for (uint64_t c0 = 0; out && c0 < take; c0 += 1024) {
				uint64_t cnt = take - c0 < 1024 ? take - c0 : 1024;
				const uint8_t *q = p + c0 * (uint64_t)bw / 8;
				if (q > end)
					return -1;
				if (bw <= 32) {
					/* The common case: the per-width unrolled unpacker. */
					uint32_t *d32 = (uint32_t *)(void *)deltas;
					size_t avail = (size_t)(end - q);
					uint64_t sb = cnt * (uint64_t)bw / 8 + 8;
					if (fr_pq_unpack32(q, sb < avail ? sb : avail, bw, d32, (int64_t)cnt))
						return -1;
					for (uint64_t k = 0; k < cnt; k++) {
						prev += min_delta + d32[k];
						out[i + (int64_t)(c0 + k)] = prev;
					}
				} else {
					unpack64(q, end, bw, deltas, (int64_t)cnt);
					for (uint64_t k = 0; k < cnt; k++) {
						prev += min_delta + deltas[k];
						out[i + (int64_t)(c0 + k)] = prev;
					}
				}
			}
			i += (int64_t)take;
			p += bytes < (uint64_t)(end - p) ? bytes : (uint64_t)(end - p);
		}
	}
	return p - start;
}

void fr_pq_bss_decode(const uint8_t *src, int64_t count, int width, uint8_t *dst)
{
	if (width == 8) {
		for (int64_t i = 0; i < count; i++) {
			uint64_t v = 0;
			for (int j = 0; j < 8; j++)
				v |= (uint64_t)src[j * count + i] << (8 * j);
			memcpy(dst + i * 8, &v, 8);
		}
		return;
	}
	if (width == 4) {
		for (int64_t i = 0; i < count; i++) {
			uint32_t v = (uint32_t)src[i] | (uint32_t)src[count + i] << 8 |
				(uint32_t)src[2 * count + i] << 16 | (uint32_t)src[3 * count + i] << 24;
			memcpy(dst + i * 4, &v, 4);
		}
		return;
	}
	for (int64_t i = 0; i < count; i++)
		for (int j = 0; j < width; j++)
			dst[i * width + j] = src[(int64_t)j * count + i];
}
