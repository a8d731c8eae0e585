/* Unit tests of the Parquet reader: Thrift compact decoding, RLE/bit-packed hybrid, delta
 * and byte-stream-split decoders (hand-made vectors, truncated and overlong inputs), row-group
 * pruning, the byte-range-callback open, and column loading on corpus files. */
#include <check.h>
#include <ftw.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/vec.h"
#include "parquet/parquet.h"
#include "parquet/format.h"
#include "parquet/thrift.h"
#include "parquet/decode.h"
#include "parquet/snappy.h"
#include "parquet/writer.h"

#include <snappy-c.h>

static char *corpus(const char *rel)
{
	static char buf[4096];
	const char *top = getenv("FR_TOP_SRCDIR");
	snprintf(buf, sizeof buf, "%s/tests/data/parquet/%s", top ? top : ".", rel);
	return buf;
}

/* ---- snappy: our decoder against libsnappy ---- */

static uint64_t sn_rng = 0x2545F4914F6CDD1DULL;
static uint64_t sn_rand(void)
{
	sn_rng ^= sn_rng << 13;
	sn_rng ^= sn_rng >> 7;
	sn_rng ^= sn_rng << 17;
	return sn_rng;
}

/* Inputs of the shapes real pages have: random bytes, runs, short repeating patterns of every
 * period up to 70 (overlapping copies), little-endian integers with constant high bytes
 * (alternating short literals and copies), and mixtures; sizes around the fast loop's margins. */
static void sn_fill(uint8_t *p, size_t n, int shape)
{
	switch (shape) {
	case 0:
		for (size_t i = 0; i < n; i++)
			p[i] = (uint8_t)sn_rand();
		break;
	case 1: {
		size_t i = 0;
		while (i < n) {
			uint8_t b = (uint8_t)(sn_rand() % 3);
			size_t run = 1 + sn_rand() % 300;
			for (size_t k = 0; k < run && i < n; k++)
				p[i++] = b;
		}
		break;
	}
	case 2: {
		size_t period = 1 + sn_rand() % 70;
		for (size_t i = 0; i < n; i++)
			p[i] = i < period ? (uint8_t)sn_rand() : p[i - period];
		break;
	}
	case 3:
		for (size_t i = 0; i + 8 <= n; i += 8) {
			uint64_t v = 1430622000000ULL + sn_rand() % 100000000ULL;
			memcpy(p + i, &v, 8);
		}
		for (size_t i = n & ~(size_t)7; i < n; i++)
			p[i] = 0;
		break;
	default: {
		size_t i = 0;
		while (i < n) {
			size_t seg = 1 + sn_rand() % 2000;
			int sh = (int)(sn_rand() % 4);
			if (seg > n - i)
				seg = n - i;
			sn_fill(p + i, seg, sh);
			i += seg;
		}
		break;
	}
	}
}

START_TEST(snappy_matches_libsnappy)
{
	static const size_t sizes[] = { 0, 1, 2, 15, 16, 17, 19, 20, 21, 63, 64, 65, 79, 80, 81,
		100, 255, 256, 1000, 4095, 65536, 65537, 300000 };
	size_t maxn = 300000;
	uint8_t *in = malloc(maxn), *out = malloc(maxn + 1);
	char *z = malloc(snappy_max_compressed_length(maxn));
	ck_assert(in && out && z);
	int cases = 0;
	for (int shape = 0; shape < 5; shape++)
		for (size_t si = 0; si < sizeof sizes / sizeof *sizes; si++)
			for (int rep = 0; rep < 6; rep++) {
				size_t n = sizes[si];
				sn_fill(in, n, shape);
				size_t zn = snappy_max_compressed_length(n);
				ck_assert_int_eq(snappy_compress((const char *)in, n, z, &zn), SNAPPY_OK);
				const char *why = NULL;
				memset(out, 0xAA, n + 1);
				ck_assert_msg(fr_snappy_decompress((const uint8_t *)z, zn, out, n, &why) == 0,
				              "shape %d size %zu: %s", shape, n, why);
				ck_assert_msg(n == 0 || memcmp(in, out, n) == 0, "shape %d size %zu differs",
				              shape, n);
				ck_assert_int_eq(out[n], 0xAA); /* nothing written past the end */
				/* a wrong expected size is refused either way */
				ck_assert_int_eq(fr_snappy_decompress((const uint8_t *)z, zn, out, n + 1, &why), -1);
				if (n)
					ck_assert_int_eq(fr_snappy_decompress((const uint8_t *)z, zn, out, n - 1, &why), -1);
				cases++;
			}
	ck_assert_int_gt(cases, 600);
	free(in);
	free(out);
	free(z);
}
END_TEST

/* Hand-made blocks: every element kind, overlapping copies, and the ways a block can lie. */
START_TEST(snappy_hand_vectors)
{
	uint8_t out[64];
	const char *why;
	/* "abcabcabca": literal "abc", copy len 7 offset 3 (1-byte offset form: 4 + 3) */
	static const uint8_t ok1[] = { 10, 2 << 2, 'a', 'b', 'c', (3 << 2) | 1, 3 };
	ck_assert_int_eq(fr_snappy_decompress(ok1, sizeof ok1, out, 10, &why), 0);
	ck_assert(memcmp(out, "abcabcabca", 10) == 0);
	/* 2- and 4-byte offset copies */
	static const uint8_t ok2[] = { 6, 1 << 2, 'x', 'y', (3 << 2) | 2, 2, 0, (0 << 2) | 3, 1, 0, 0, 0 };
	ck_assert_int_eq(fr_snappy_decompress(ok2, sizeof ok2, out, 7, &why), -1); /* 6 bytes only */
	ck_assert_int_eq(fr_snappy_decompress(ok2, sizeof ok2, out, 6, &why), -1); /* 2+4+1 = 7 */
	static const uint8_t ok3[] = { 7, 1 << 2, 'x', 'y', (3 << 2) | 2, 2, 0, (0 << 2) | 3, 1, 0, 0, 0 };
	ck_assert_int_eq(fr_snappy_decompress(ok3, sizeof ok3, out, 7, &why), 0);
	ck_assert(memcmp(out, "xyxyxyy", 7) == 0);
	/* literal with a 1-byte length (60 = one length byte follows) */
	uint8_t lit[3 + 70];
	lit[0] = 70;
	lit[1] = 60 << 2;
	lit[2] = 69;
	for (int i = 0; i < 70; i++)
		lit[3 + i] = (uint8_t)i;
	ck_assert_int_eq(fr_snappy_decompress(lit, sizeof lit, out, 64, &why), -1);
	static uint8_t big[80];
	ck_assert_int_eq(fr_snappy_decompress(lit, sizeof lit, big, 70, &why), 0);
	ck_assert_int_eq(big[69], 69);
	/* offset 0, offset before the start, copy past the end, truncated tag and length */
	static const uint8_t bad_off0[] = { 5, 0, 'a', (0 << 2) | 1, 0 };
	static const uint8_t bad_far[] = { 5, 0, 'a', (0 << 2) | 1, 2 };
	static const uint8_t bad_long[] = { 3, 0, 'a', (3 << 2) | 1, 1 };
	static const uint8_t bad_trunc[] = { 5, 0, 'a', (0 << 2) | 2, 1 };
	static const uint8_t bad_litlen[] = { 5, 61 << 2, 4 };
	static const uint8_t bad_varint[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0 };
	static const uint8_t bad_varint2[] = { 0xff, 0xff, 0xff, 0xff, 0x1f };
	static const uint8_t trailing[] = { 1, 0, 'a', 0, 'b' };
	ck_assert_int_eq(fr_snappy_decompress(bad_off0, sizeof bad_off0, out, 5, &why), -1);
	ck_assert_int_eq(fr_snappy_decompress(bad_far, sizeof bad_far, out, 5, &why), -1);
	ck_assert_int_eq(fr_snappy_decompress(bad_long, sizeof bad_long, out, 3, &why), -1);
	ck_assert_int_eq(fr_snappy_decompress(bad_trunc, sizeof bad_trunc, out, 5, &why), -1);
	ck_assert_int_eq(fr_snappy_decompress(bad_litlen, sizeof bad_litlen, out, 5, &why), -1);
	ck_assert_int_eq(fr_snappy_decompress(bad_varint, sizeof bad_varint, out, 0, &why), -1);
	ck_assert_int_eq(fr_snappy_decompress(bad_varint2, sizeof bad_varint2, out, 0, &why), -1);
	ck_assert_int_eq(fr_snappy_decompress(trailing, sizeof trailing, out, 1, &why), -1);
	ck_assert_int_eq(fr_snappy_decompress(NULL, 0, out, 0, &why), -1);
	size_t len;
	ck_assert_int_eq(fr_snappy_length(bad_varint2, sizeof bad_varint2, &len), -1);
	static const uint8_t v32[] = { 0xff, 0xff, 0xff, 0xff, 0x0f };
	ck_assert_int_eq(fr_snappy_length(v32, sizeof v32, &len), 5);
	ck_assert_uint_eq(len, 0xffffffffu);
}
END_TEST

/* Corrupted and truncated blocks: the same verdict as libsnappy, the same bytes when both
 * accept, and never a write past the output (ASan checks the reads). */
START_TEST(snappy_corrupt_agrees)
{
	size_t maxn = 20000;
	uint8_t *in = malloc(maxn), *a = malloc(maxn), *b = malloc(maxn);
	char *z = malloc(snappy_max_compressed_length(maxn));
	ck_assert(in && a && b && z);
	int accepted = 0, rejected = 0;
	for (int it = 0; it < 3000; it++) {
		size_t n = 1 + sn_rand() % maxn;
		sn_fill(in, n, 4);
		size_t zn = snappy_max_compressed_length(n);
		ck_assert_int_eq(snappy_compress((const char *)in, n, z, &zn), SNAPPY_OK);
		int flips = 1 + (int)(sn_rand() % 4);
		for (int k = 0; k < flips; k++)
			z[sn_rand() % zn] ^= (char)(1 + sn_rand() % 255);
		size_t cut = sn_rand() % 4 == 0 ? sn_rand() % zn : zn;
		/* exact-size copies, so ASan sees any read past the input */
		uint8_t *zin = malloc(cut ? cut : 1);
		memcpy(zin, z, cut);
		size_t want;
		if (snappy_uncompressed_length((const char *)zin, cut, &want) != SNAPPY_OK || want > maxn)
			want = n;
		uint8_t *dst = malloc(want ? want : 1);
		const char *why;
		int ours = fr_snappy_decompress(zin, cut, dst, want, &why);
		size_t bl = want;
		int theirs = snappy_uncompress((const char *)zin, cut, (char *)b, &bl) == SNAPPY_OK &&
		             bl == want ? 0 : -1;
		ck_assert_msg(ours == theirs, "iteration %d: ours %d, libsnappy %d", it, ours, theirs);
		if (!ours) {
			ck_assert(want == 0 || memcmp(dst, b, want) == 0);
			accepted++;
		} else {
			rejected++;
		}
		free(dst);
		free(zin);
	}
	ck_assert_int_gt(rejected, 100);
	(void)accepted;
	free(in);
	free(a);
	free(b);
	free(z);
}
END_TEST

/* Two blocks at once: each decodes exactly as alone (bytes and verdict), whatever happens to
 * the other, and whichever ends first. */
START_TEST(snappy_pairs)
{
	size_t maxn = 70000;
	uint8_t *in[2], *out[2], *one = malloc(maxn);
	char *z[2];
	for (int k = 0; k < 2; k++) {
		in[k] = malloc(maxn);
		out[k] = malloc(maxn);
		z[k] = malloc(snappy_max_compressed_length(maxn));
		ck_assert(in[k] && out[k] && z[k]);
	}
	int failures = 0;
	for (int it = 0; it < 600; it++) {
		size_t n[2], zn[2];
		for (int k = 0; k < 2; k++) {
			n[k] = it % 7 == 0 ? sn_rand() % 100 : sn_rand() % maxn;
			sn_fill(in[k], n[k], (int)(sn_rand() % 5));
			zn[k] = snappy_max_compressed_length(n[k]);
			ck_assert_int_eq(snappy_compress((const char *)in[k], n[k], z[k], &zn[k]), SNAPPY_OK);
			if (it % 3 == k + 1) /* corrupt one of them now and then */
				for (int f = 0; f < 3; f++)
					z[k][sn_rand() % zn[k]] ^= (char)(1 + sn_rand() % 255);
		}
		const char *w[2] = { NULL, NULL };
		int r = fr_snappy_decompress2((const uint8_t *)z[0], zn[0], out[0], n[0], &w[0],
		                              (const uint8_t *)z[1], zn[1], out[1], n[1], &w[1]);
		for (int k = 0; k < 2; k++) {
			const char *why1 = NULL;
			int alone = fr_snappy_decompress((const uint8_t *)z[k], zn[k], one, n[k], &why1);
			int failed = (r >> k) & 1;
			ck_assert_int_eq(failed, alone != 0);
			if (failed) {
				ck_assert_ptr_nonnull(w[k]);
				ck_assert_str_eq(w[k], why1);
				failures++;
			} else {
				ck_assert(n[k] == 0 || memcmp(out[k], one, n[k]) == 0);
				if (it % 3 != k + 1)
					ck_assert(n[k] == 0 || memcmp(out[k], in[k], n[k]) == 0);
			}
		}
	}
	ck_assert_int_gt(failures, 50);
	for (int k = 0; k < 2; k++) {
		free(in[k]);
		free(out[k]);
		free(z[k]);
	}
	free(one);
}
END_TEST

/* ---- Thrift ---- */

START_TEST(thrift_ints)
{
	/* zigzag: 0 -> 0, 1 -> -1, 2 -> 1, 3 -> -2; 300 = ac 02 */
	static const uint8_t b[] = { 0x00, 0x01, 0x02, 0x03, 0xd8, 0x04, 0xfe, 0xff, 0xff, 0xff, 0x0f };
	fr_tr t;
	int32_t v;
	fr_tr_init(&t, b, sizeof b);
	ck_assert_int_eq(fr_tr_i32(&t, &v), 0); ck_assert_int_eq(v, 0);
	ck_assert_int_eq(fr_tr_i32(&t, &v), 0); ck_assert_int_eq(v, -1);
	ck_assert_int_eq(fr_tr_i32(&t, &v), 0); ck_assert_int_eq(v, 1);
	ck_assert_int_eq(fr_tr_i32(&t, &v), 0); ck_assert_int_eq(v, -2);
	ck_assert_int_eq(fr_tr_i32(&t, &v), 0); ck_assert_int_eq(v, 300);
	ck_assert_int_eq(fr_tr_i32(&t, &v), 0); ck_assert_int_eq(v, 2147483647);
	/* truncated varint */
	static const uint8_t tr[] = { 0x80, 0x80 };
	fr_tr_init(&t, tr, sizeof tr);
	ck_assert_int_eq(fr_tr_i32(&t, &v), -1);
	ck_assert_ptr_nonnull(t.err);
	/* overlong: 6 continuation bytes for an i32 */
	static const uint8_t ol[] = { 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 };
	fr_tr_init(&t, ol, sizeof ol);
	ck_assert_int_eq(fr_tr_i32(&t, &v), -1);
	/* i64 takes up to 10 bytes */
	static const uint8_t l64[] = { 0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
	int64_t w;
	fr_tr_init(&t, l64, sizeof l64);
	ck_assert_int_eq(fr_tr_i64(&t, &w), 0);
	ck_assert(w == INT64_MAX);
}
END_TEST

START_TEST(thrift_fields_and_skip)
{
	/* struct { 1: i32 5, 3: bool true, 32767: binary "ab" (long form), 4: list<i32>[1,2],
	 *          20: struct { 1: i64 7, 2: map<i32,i32>{1:2} } (long form), stop } */
	static const uint8_t b[] = {
		0x15, 0x0a,                 /* field 1 i32 = 5 */
		0x21,                       /* field 3 bool true (delta 2, type 1) */
		0x08, 0xfe, 0xff, 0x03, 0x02, 'a', 'b',   /* long form id 32767, binary */
		0x09, 0x08, 0x22, 0x02, 0x04, /* long form id 4: list<i32> size 2: 1, 2 */
		0x0c, 0x28,                 /* long form id 20, struct */
		0x16, 0x0e,                 /* field 1 i64 7 */
		0x1b, 0x01, 0x55, 0x02, 0x04, /* field 2 map size 1 <i32,i32> 1:2 */
		0x00,                       /* end inner */
		0x00,                       /* end outer */
	};
	fr_tr t;
	fr_tr_init(&t, b, sizeof b);
	int16_t last = 0, id;
	int ty;
	int32_t v;
	ck_assert_int_eq(fr_tr_field(&t, &last, &ty, &id), 0);
	ck_assert_int_eq(id, 1); ck_assert_int_eq(ty, FR_TT_I32);
	ck_assert_int_eq(fr_tr_i32(&t, &v), 0); ck_assert_int_eq(v, 5);
	ck_assert_int_eq(fr_tr_field(&t, &last, &ty, &id), 0);
	ck_assert_int_eq(id, 3); ck_assert_int_eq(ty, FR_TT_TRUE);
	ck_assert_int_eq(fr_tr_field(&t, &last, &ty, &id), 0);
	ck_assert_int_eq(id, 32767); ck_assert_int_eq(ty, FR_TT_BINARY);
	ck_assert_int_eq(fr_tr_skip(&t, ty), 0);
	ck_assert_int_eq(fr_tr_field(&t, &last, &ty, &id), 0);
	ck_assert_int_eq(id, 4); ck_assert_int_eq(ty, FR_TT_LIST);
	ck_assert_int_eq(fr_tr_skip(&t, ty), 0);
	ck_assert_int_eq(fr_tr_field(&t, &last, &ty, &id), 0);
	ck_assert_int_eq(id, 20); ck_assert_int_eq(ty, FR_TT_STRUCT);
	ck_assert_int_eq(fr_tr_skip(&t, ty), 0);
	ck_assert_int_eq(fr_tr_field(&t, &last, &ty, &id), 0);
	ck_assert_int_eq(ty, FR_TT_STOP);
	ck_assert_ptr_null(t.err);
	ck_assert(t.p == b + sizeof b);

	/* Every strict prefix must fail cleanly when skipped as a struct. */
	for (size_t n = 0; n < sizeof b; n++) {
		uint8_t *cp = malloc(n ? n : 1);
		memcpy(cp, b, n);
		fr_tr_init(&t, cp, n);
		ck_assert_int_eq(fr_tr_skip(&t, FR_TT_STRUCT), -1);
		free(cp);
	}
}
END_TEST

START_TEST(thrift_limits)
{
	fr_tr t;
	/* A list claiming more elements than there are bytes. */
	static const uint8_t big[] = { 0xf5, 0xff, 0xff, 0xff, 0xff, 0x07, 0x00 };
	int et;
	uint32_t n;
	fr_tr_init(&t, big, sizeof big);
	ck_assert_int_eq(fr_tr_list(&t, &et, &n), -1);
	/* A string longer than the buffer. */
	static const uint8_t str[] = { 0x10, 'a' };
	const uint8_t *p;
	uint32_t len;
	fr_tr_init(&t, str, sizeof str);
	ck_assert_int_eq(fr_tr_bin(&t, &p, &len), -1);
	/* Bad type ids 14 and 15. */
	static const uint8_t badty[] = { 0x1e, 0x00 };
	int16_t last = 0, id;
	int ty;
	fr_tr_init(&t, badty, sizeof badty);
	ck_assert_int_eq(fr_tr_field(&t, &last, &ty, &id), -1);
	/* Structs nested 1000 deep: refused by the depth limit, not the stack. */
	uint8_t deep[2000];
	for (int i = 0; i < 1000; i++)
		deep[i] = 0x1c;          /* field +1, struct */
	memset(deep + 1000, 0, 1000);
	fr_tr_init(&t, deep, sizeof deep);
	ck_assert_int_eq(fr_tr_skip(&t, FR_TT_STRUCT), -1);
	ck_assert_str_eq(t.err, "metadata nested too deeply");
	/* Struct without STOP. */
	static const uint8_t nostop[] = { 0x15, 0x02 };
	fr_tr_init(&t, nostop, sizeof nostop);
	ck_assert_int_eq(fr_tr_skip(&t, FR_TT_STRUCT), -1);
	/* Bool list elements: 1 true; 0 and 2 false (Go writers). */
	static const uint8_t bools[] = { 0x31, 0x01, 0x02, 0x00 };
	int v;
	fr_tr_init(&t, bools, sizeof bools);
	ck_assert_int_eq(fr_tr_list(&t, &et, &n), 0);
	ck_assert_int_eq(n, 3);
	fr_tr_bool_elem(&t, &v); ck_assert_int_eq(v, 1);
	fr_tr_bool_elem(&t, &v); ck_assert_int_eq(v, 0);
	fr_tr_bool_elem(&t, &v); ck_assert_int_eq(v, 0);
	/* Empty list with element type 0 (fastparquet) is accepted. */
	static const uint8_t empty0[] = { 0x00 };
	fr_tr_init(&t, empty0, 1);
	ck_assert_int_eq(fr_tr_list(&t, &et, &n), 0);
	ck_assert_int_eq(n, 0);
}
END_TEST

/* ---- RLE / bit-packed hybrid ---- */

START_TEST(rle_hybrid)
{
	/* RLE run of 5 x 3 (bw 2), then a bit-packed group of 8 values 0..7 (bw 3). */
	static const uint8_t rle[] = { 0x0a, 0x03 };
	uint32_t out[64];
	ck_assert_int_eq(fr_pq_rle_decode(rle, sizeof rle, 2, out, 5), 2);
	for (int i = 0; i < 5; i++)
		ck_assert_uint_eq(out[i], 3);
	/* bit-packed 0..7 at bw 3: 0x88 0xc6 0xfa per Encodings.md */
	static const uint8_t bp[] = { 0x03, 0x88, 0xc6, 0xfa };
	ck_assert_int_eq(fr_pq_rle_decode(bp, sizeof bp, 3, out, 8), 4);
	for (int i = 0; i < 8; i++)
		ck_assert_uint_eq(out[i], (uint32_t)i);
	/* Only 6 needed from the padded group. */
	ck_assert_int_eq(fr_pq_rle_decode(bp, sizeof bp, 3, out, 6), 4);
	ck_assert_uint_eq(out[5], 5);
	/* Truncated: the group needs 3 bytes, 2 given, and all 8 values wanted. */
	ck_assert_int_eq(fr_pq_rle_decode(bp, 3, 3, out, 8), -1);
	/* A short final run that still holds the needed values is accepted (old Polars). */
	ck_assert_int_eq(fr_pq_rle_decode(bp, 3, 3, out, 4), 3);
	ck_assert_uint_eq(out[3], 3);
	/* Too few values in the stream. */
	ck_assert_int_eq(fr_pq_rle_decode(rle, sizeof rle, 2, out, 6), -1);
	/* Zero-length runs are refused (no infinite loop). */
	static const uint8_t zero[] = { 0x00, 0x01, 0x01 };
	ck_assert_int_eq(fr_pq_rle_decode(zero, sizeof zero, 1, out, 1), -1);
	ck_assert_int_eq(fr_pq_rle_decode(zero + 1, 2, 1, out, 1), -1);   /* 0x01: 0 groups */
	/* RLE value wider than the bit width. */
	static const uint8_t wide[] = { 0x02, 0x05 };
	ck_assert_int_eq(fr_pq_rle_decode(wide, sizeof wide, 2, out, 1), -1);
	/* bw 0: every value 0, RLE runs carry no value bytes. */
	static const uint8_t bw0[] = { 0x14 };
	out[0] = 99;
	ck_assert_int_eq(fr_pq_rle_decode(bw0, sizeof bw0, 0, out, 10), 1);
	ck_assert_uint_eq(out[9], 0);
	/* bw above 32 */
	ck_assert_int_eq(fr_pq_rle_decode(rle, sizeof rle, 33, out, 1), -1);
	/* Overlong header varint. */
	static const uint8_t ol[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
	ck_assert_int_eq(fr_pq_rle_decode(ol, sizeof ol, 1, out, 1), -1);
}
END_TEST

START_TEST(unpack_all_widths)
{
	/* Pack 100 pseudo-random values at every width and unpack them back, scalar and SIMD. */
	for (int simd = 0; simd < 2; simd++)
	for (int bw = 1; bw <= 32; bw++) {
		fr_pq_simd_force(simd);
		uint32_t in[100], out[100];
		uint8_t buf[100 * 4 + 8];
		memset(buf, 0, sizeof buf);
		uint64_t x = 88172645463325252ull;
		for (int i = 0; i < 100; i++) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			in[i] = (uint32_t)(bw == 32 ? x : x & ((1ull << bw) - 1));
			for (int b = 0; b < bw; b++)
				if (in[i] >> b & 1)
					buf[(i * bw + b) / 8] |= (uint8_t)(1 << ((i * bw + b) % 8));
		}
		size_t bytes = (size_t)(100 * bw + 7) / 8;
		uint8_t *exact = malloc(bytes);
		memcpy(exact, buf, bytes);
		ck_assert_int_eq(fr_pq_unpack32(exact, bytes, bw, out, 100), 0);
		for (int i = 0; i < 100; i++)
			ck_assert_uint_eq(out[i], in[i]);
		ck_assert_int_eq(fr_pq_unpack32(exact, bytes - 1, bw, out, 100), -1);
		free(exact);
	}
	fr_pq_simd_force(-1);
}
END_TEST

/* Writes an RLE/bit-packed hybrid stream of vals[0..n) at width bw: runs of equal values as RLE
 * runs, the rest in bit-packed runs of `groups_per_run` groups (zero-padded). */
static size_t put_uleb(uint8_t *p, uint64_t v)
{
	size_t k = 0;
	do {
		uint8_t b = v & 127;
		v >>= 7;
		p[k++] = (uint8_t)(b | (v ? 128 : 0));
	} while (v);
	return k;
}

static size_t rle_encode(const uint32_t *vals, int64_t n, int bw, int groups_per_run, uint8_t *out)
{
	size_t o = 0;
	int64_t i = 0;
	while (i < n) {
		int64_t r = 1;
		while (i + r < n && vals[i + r] == vals[i])
			r++;
		if (r >= 16) {
			o += put_uleb(out + o, (uint64_t)r << 1);
			for (int b = 0; b < (bw + 7) / 8; b++)
				out[o++] = (uint8_t)(vals[i] >> (8 * b));
			i += r;
			continue;
		}
		int64_t take = (int64_t)groups_per_run * 8;
		o += put_uleb(out + o, ((uint64_t)groups_per_run << 1) | 1);
		size_t bytes = (size_t)groups_per_run * (size_t)bw;
		memset(out + o, 0, bytes);
		for (int64_t j = 0; j < take && i + j < n; j++)
			for (int b = 0; b < bw; b++)
				if (vals[i + j] >> b & 1)
					out[o + (size_t)((j * bw + b) / 8)] |= (uint8_t)(1 << ((j * bw + b) % 8));
		o += bytes;
		i += take;
	}
	return o;
}

/* Dictionary indices: decoded, checked and mapped in one pass, against a plain decode and a
 * scalar map; small maps (the permute path), big ones (gathers), identity (NULL), short and
 * very long bit-packed runs, and indices out of range at every position kind. */
START_TEST(rle_dict_indices)
{
	uint64_t x = 0x9E3779B97F4A7C15ULL;
	static uint32_t vals[20000], got[20000], plain[20000], map[5000];
	static uint8_t buf[20000 * 4 + 1000];
	const uint32_t ndicts[] = { 1, 3, 8, 9, 1700, 5000 };
	for (int simd = 0; simd < 2; simd++) {
		fr_pq_simd_force(simd);
		for (size_t di = 0; di < sizeof ndicts / sizeof *ndicts; di++) {
			uint32_t nd = ndicts[di];
			int bw = 0;
			while ((1u << bw) < nd)
				bw++;
			if (bw == 0)
				bw = 1;
			for (uint32_t k = 0; k < nd; k++)
				map[k] = (k * 2654435761u) % 100000;
			const int gprs[] = { 1, 2, 300 };
			for (int gi = 0; gi < 3; gi++) {
				int64_t n = 1000 + (int64_t)(x % 19000);
				for (int64_t i = 0; i < n; i++) {
					x ^= x << 13; x ^= x >> 7; x ^= x << 17;
					vals[i] = (x >> 8) % 3 == 0 && i ? vals[i - 1] : (uint32_t)(x % nd);
				}
				size_t len = rle_encode(vals, n, bw, gprs[gi], buf);
				for (int m = 0; m < 2; m++) {
					int bad = 1;
					ck_assert_int_ge(fr_pq_rle_decode_dict(buf, len, bw, got, n, m ? map : NULL, nd, &bad), 0);
					ck_assert_int_eq(bad, 0);
					for (int64_t i = 0; i < n; i++)   /* first difference only */
						if (got[i] != (m ? map[vals[i]] : vals[i]))
							ck_abort_msg("nd %u map %d: value %lld is %u, want %u", nd,
							             m, (long long)i, got[i], m ? map[vals[i]] : vals[i]);
				}
				ck_assert_int_ge(fr_pq_rle_decode(buf, len, bw, plain, n), 0);
				ck_assert(memcmp(plain, vals, (size_t)n * 4) == 0);
				/* one index out of range: in a run, in a bit-packed group; or no entries */
				if ((1u << bw) > nd) {
					static uint32_t wrong[20000];
					static uint8_t buf2[20000 * 4 + 1000];
					for (int where = 0; where < 2; where++) {
						memcpy(wrong, vals, (size_t)n * 4);
						if (where == 0) /* a run of 20 at the end */
							for (int64_t i = n - 20; i < n; i++)
								wrong[i] = nd;
						else
							wrong[n / 2] = nd;
						size_t l2 = rle_encode(wrong, n, bw, gprs[gi], buf2);
						int bad = 0;
						ck_assert_int_ge(fr_pq_rle_decode_dict(buf2, l2, bw, got, n, map, nd, &bad), 0);
						ck_assert_int_eq(bad, 1);
						bad = 0;
						ck_assert_int_ge(fr_pq_rle_decode_dict(buf2, l2, bw, got, n, NULL, nd, &bad), 0);
						ck_assert_int_eq(bad, 1);
					}
				}
				int bad = 0;
				ck_assert_int_ge(fr_pq_rle_decode_dict(buf, len, bw, got, n, map, 0, &bad), 0);
				ck_assert_int_eq(bad, 1);
				/* truncated streams are still refused */
				ck_assert_int_eq(fr_pq_rle_decode_dict(buf, len / 2, bw, got, n, map, nd, &bad), -1);
			}
		}
	}
	fr_pq_simd_force(-1);
}
END_TEST

START_TEST(rle_bits_levels)
{
	/* 3 ones (RLE), then a bit-packed group 10110010, then RLE of 70 zeros, 10 ones. */
	static const uint8_t b[] = { 0x06, 0x01, 0x03, 0x4d, 0x8c, 0x01, 0x00, 0x14, 0x01 };
	uint64_t bm[4] = { 0 };
	int64_t ones;
	int64_t used = fr_pq_rle_bits(b, sizeof b, bm, 5, 91, &ones);
	ck_assert_int_eq(used, (int64_t)sizeof b);
	ck_assert_int_eq(ones, 3 + 4 + 10);
	for (int i = 5; i < 8; i++)
		ck_assert_int_eq(fr_bit_get(bm, i), 1);
	static const int pat[8] = { 1, 0, 1, 1, 0, 0, 1, 0 };
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq(fr_bit_get(bm, 8 + i), pat[i]);
	for (int i = 16; i < 86; i++)
		ck_assert_int_eq(fr_bit_get(bm, i), 0);
	for (int i = 86; i < 96; i++)
		ck_assert_int_eq(fr_bit_get(bm, i), 1);
	ck_assert_int_eq(fr_bit_get(bm, 96), 0);
	/* A level of 2 in a bw-1 stream is refused. */
	static const uint8_t two[] = { 0x02, 0x02 };
	memset(bm, 0, sizeof bm);
	ck_assert_int_eq(fr_pq_rle_bits(two, 2, bm, 0, 1, &ones), -1);
	/* Truncated. */
	ck_assert_int_eq(fr_pq_rle_bits(b, 4, bm, 0, 91, &ones), -1);
}
END_TEST

/* ---- DELTA_BINARY_PACKED ---- */


/* Reference encoder with a given block size and miniblock count. */
static size_t delta_encode_bm(const int64_t *v, int n, uint8_t *out, int block, int nmini)
{
	int per = block / nmini;
	size_t o = 0;
	o += put_uleb(out + o, (uint64_t)block);
	o += put_uleb(out + o, (uint64_t)nmini);
	o += put_uleb(out + o, (uint64_t)n);
	o += put_uleb(out + o, n ? ((uint64_t)v[0] << 1) ^ (uint64_t)(v[0] >> 63) : 0);
	uint64_t *d = malloc(sizeof *d * (size_t)block);
	for (int i = 1; i < n; i += block) {
		int cnt = n - i < block ? n - i : block;
		int64_t mn = INT64_MAX;
		for (int k = 0; k < cnt; k++) {
			d[k] = (uint64_t)v[i + k] - (uint64_t)v[i + k - 1];
			if ((int64_t)d[k] < mn)
				mn = (int64_t)d[k];
		}
		o += put_uleb(out + o, ((uint64_t)mn << 1) ^ (uint64_t)(mn >> 63));
		size_t wpos = o;
		memset(out + wpos, 0, (size_t)nmini);
		o += (size_t)nmini;
		for (int m = 0; m < nmini && m * per < cnt; m++) {
			int w = 0;
			for (int k = m * per; k < cnt && k < m * per + per; k++) {
				uint64_t r = d[k] - (uint64_t)mn;
				while (w < 64 && (r >> w))
					w++;
			}
			out[wpos + m] = (uint8_t)w;
			uint8_t *mb = out + o;
			memset(mb, 0, (size_t)w * per / 8);
			for (int k = 0; k < per; k++) {
				uint64_t r = m * per + k < cnt ? d[m * per + k] - (uint64_t)mn : 0;
				for (int b = 0; b < w; b++)
					if (r >> b & 1)
						mb[((size_t)k * w + b) / 8] |= (uint8_t)(1 << ((k * w + b) % 8));
			}
			o += (size_t)w * per / 8;
		}
	}
	free(d);
	return o;
}

static size_t delta_encode(const int64_t *v, int n, uint8_t *out)
{
	return delta_encode_bm(v, n, out, 128, 4);
}

START_TEST(delta_big_miniblocks)
{
	/* One miniblock of 4096 values (block 4096, 1 miniblock), small and 64-bit deltas. */
	enum { N = 5000 };
	static int64_t v[N];
	static uint8_t buf[N * 9 + 4096 * 8 + 100];
	static uint64_t out[N];
	for (int wide = 0; wide < 2; wide++) {
		uint64_t x = 7;
		for (int i = 0; i < N; i++) {
			x = x * 6364136223846793005ull + 1;
			v[i] = wide ? (int64_t)x : (int64_t)(i * 3 + (x >> 60));
		}
		size_t len = delta_encode_bm(v, N, buf, 4096, 1);
		int64_t total;
		ck_assert_int_eq(fr_pq_delta_decode(buf, len, 64, out, N, &total), (int64_t)len);
		ck_assert_int_eq(total, N);
		for (int i = 0; i < N; i++)   /* first difference only */
			if (out[i] != (uint64_t)v[i])
				ck_abort_msg("wide %d: value %d differs", wide, i);
	}
}
END_TEST

START_TEST(delta_roundtrip)
{
	static int64_t v[1000];
	static uint8_t buf[1000 * 9 + 1000];
	uint64_t out[1000];
	uint64_t x = 1;
	for (int i = 0; i < 1000; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		v[i] = i % 7 == 0 ? (int64_t)x : (int64_t)(x >> (i % 60));
	}
	v[3] = INT64_MIN;
	v[4] = INT64_MAX;
	int sizes[] = { 0, 1, 2, 31, 33, 128, 129, 1000 };
	for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
		int n = sizes[s];
		size_t len = delta_encode(v, n, buf);
		int64_t total;
		uint8_t *exact = malloc(len);
		memcpy(exact, buf, len);
		int64_t used = fr_pq_delta_decode(exact, len, 64, out, n, &total);
		ck_assert_int_eq(used, (int64_t)len);
		ck_assert_int_eq(total, n);
		for (int i = 0; i < n; i++)   /* first difference only */
			if (out[i] != (uint64_t)v[i])
				ck_abort_msg("n %d: value %d differs", n, i);
		/* Truncations fail, unless only the padding of the last miniblock was cut (accepted
		 * on purpose): then every value must still be right. */
		for (size_t cut = 0; cut < len; cut++) {
			uint8_t *c2 = malloc(cut ? cut : 1);
			memcpy(c2, exact, cut);
			int64_t r = fr_pq_delta_decode(c2, cut, 64, out, n, &total);
			if (r >= 0) {
				ck_assert_int_eq(r, (int64_t)cut);
				for (int i = 0; i < n; i++)
					if (out[i] != (uint64_t)v[i])
						ck_abort_msg("n %d cut %zu: value %d differs", n, cut, i);
			}
			free(c2);
		}
		/* More values than the caller expects is refused. */
		if (n > 1)
			ck_assert_int_eq(fr_pq_delta_decode(exact, len, 64, out, n - 1, &total), -1);
		free(exact);
	}
}
END_TEST

START_TEST(delta_bad_headers)
{
	uint64_t out[8];
	int64_t total;
	/* block size not a multiple of 128 */
	static const uint8_t b1[] = { 0x64, 0x04, 0x01, 0x00 };
	ck_assert_int_eq(fr_pq_delta_decode(b1, sizeof b1, 64, out, 8, &total), -1);
	/* zero miniblocks */
	static const uint8_t b2[] = { 0x80, 0x01, 0x00, 0x01, 0x00 };
	ck_assert_int_eq(fr_pq_delta_decode(b2, sizeof b2, 64, out, 8, &total), -1);
	/* miniblock size not a multiple of 32 (128 / 3) */
	static const uint8_t b3[] = { 0x80, 0x01, 0x03, 0x01, 0x00 };
	ck_assert_int_eq(fr_pq_delta_decode(b3, sizeof b3, 64, out, 8, &total), -1);
	/* bit width 33 on INT32 */
	static const uint8_t b4[] = { 0x80, 0x01, 0x04, 0x02, 0x00, 0x00, 33, 0, 0, 0 };
	ck_assert_int_eq(fr_pq_delta_decode(b4, sizeof b4, 32, out, 8, &total), -1);
	/* bit width 65 on INT64 */
	static const uint8_t b5[] = { 0x80, 0x01, 0x04, 0x02, 0x00, 0x00, 65, 0, 0, 0 };
	ck_assert_int_eq(fr_pq_delta_decode(b5, sizeof b5, 64, out, 8, &total), -1);
	/* Spec example: 7, 5, 3, 1, 2, 3, 4, 5 (min delta -2, width 2). */
	static const uint8_t ok[] = { 0x80, 0x01, 0x04, 0x08, 0x0e, 0x03, 0x02, 0x00, 0x00, 0x00,
		0xc0, 0x3f, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00 };
	int64_t used = fr_pq_delta_decode(ok, sizeof ok, 64, out, 8, &total);
	ck_assert_int_eq(used, (int64_t)sizeof ok);
	static const int64_t want[] = { 7, 5, 3, 1, 2, 3, 4, 5 };
	for (int i = 0; i < 8; i++)
		ck_assert_int_eq((int64_t)out[i], want[i]);
}
END_TEST

START_TEST(bss)
{
	/* Two floats 1.0f (00 00 80 3f) and -2.0f (00 00 00 c0), split into 4 streams. */
	static const uint8_t src[] = { 0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x3f, 0xc0 };
	uint8_t dst[8];
	fr_pq_bss_decode(src, 2, 4, dst);
	float f[2];
	memcpy(f, dst, 8);
	ck_assert(f[0] == 1.0f && f[1] == -2.0f);
	/* Width 3 (FLBA): generic path. */
	static const uint8_t s3[] = { 1, 2, 3, 4, 5, 6 };
	uint8_t d3[6];
	fr_pq_bss_decode(s3, 2, 3, d3);
	static const uint8_t w3[] = { 1, 3, 5, 2, 4, 6 };
	ck_assert_mem_eq(d3, w3, 6);
}
END_TEST

/* ---- files ---- */

START_TEST(prune_range)
{
	fr_err err = { 0 };
	fr_pq_file *f;
	/* seq 0..9999 in 10 row groups of 1000, min/max statistics on each. */
	ck_assert_int_eq(fr_pq_open_path(corpus("duckdb/file_row_number.parquet"), &f, &err), 0);
	int col = fr_pq_column_index(f, "seq");
	ck_assert_int_ge(col, 0);
	uint8_t keep[10];
	ck_assert_int_eq(fr_pq_prune_range(f, col, 1, 1500, 1, 3000, keep, &err), 0);
	for (int r = 0; r < 10; r++)
		ck_assert_int_eq(keep[r], r == 1 || r == 2);
	/* Bounds: [999, 1000) keeps only row group 0; to is exclusive. */
	fr_pq_prune_range(f, col, 1, 999, 1, 1000, keep, &err);
	for (int r = 0; r < 10; r++)
		ck_assert_int_eq(keep[r], r == 0);
	/* Only a lower bound. */
	fr_pq_prune_range(f, col, 1, 9000, 0, 0, keep, &err);
	for (int r = 0; r < 10; r++)
		ck_assert_int_eq(keep[r], r == 9);
	/* No bounds keeps everything. */
	fr_pq_prune_range(f, col, 0, 0, 0, 0, keep, &err);
	for (int r = 0; r < 10; r++)
		ck_assert_int_eq(keep[r], 1);
	/* Property: loading only the kept row groups never loses a row in the range. */
	fr_arena *a = fr_arena_new(0);
	fr_vec all;
	ck_assert_int_eq(fr_pq_load_column(f, col, NULL, a, &all, &err), 0);
	ck_assert_int_eq(all.len, 10000);
	for (int64_t from = -500; from < 10500; from += 777) {
		int64_t to = from + 1234;
		fr_vec part;
		fr_pq_prune_range(f, col, 1, from, 1, to, keep, &err);
		ck_assert_int_eq(fr_pq_load_column(f, col, keep, a, &part, &err), 0);
		int64_t n1 = 0, n2 = 0;
		for (int64_t i = 0; i < all.len; i++)
			n1 += all.v.i64[i] >= from && all.v.i64[i] < to;
		for (int64_t i = 0; i < part.len; i++)
			n2 += part.v.i64[i] >= from && part.v.i64[i] < to;
		ck_assert_int_eq(n1, n2);
	}
	/* The statistics switch turns pruning off. */
	fr_pq_set_use_stats(0);
	fr_pq_prune_range(f, col, 1, 1500, 1, 3000, keep, &err);
	for (int r = 0; r < 10; r++)
		ck_assert_int_eq(keep[r], 1);
	fr_pq_set_use_stats(1);
	fr_arena_free(a);
	fr_pq_close(f);

	/* UINT_8 column whose statistics are out of range: never pruned. */
	ck_assert_int_eq(fr_pq_open_path(corpus("duckdb/out_of_range_stats.parquet"), &f, &err), 0);
	uint8_t k1[1];
	fr_pq_prune_range(f, 0, 1, 255, 1, 256, k1, &err);
	ck_assert_int_eq(k1[0], 1);
	fr_pq_close(f);
}
END_TEST

typedef struct counting {
	FILE *fp;
	uint64_t bytes, calls;
} counting;

static int count_read(void *ctx, uint64_t off, uint64_t len, void *dst, fr_err *err)
{
	counting *c = ctx;
	c->bytes += len;
	c->calls++;
	if (fseek(c->fp, (long)off, SEEK_SET) || fread(dst, 1, len, c->fp) != len)
		return fr_err_set(err, FR_EIO, "short read");
	return 0;
}

static uint64_t file_size(FILE *fp)
{
	fseek(fp, 0, SEEK_END);
	return (uint64_t)ftell(fp);
}

START_TEST(range_reader_fetches_only_needed)
{
	/* 292 KB, 16 columns in one row group: the open reads the last 64 KiB (footer inside)
	 * and the leading magic; a column load fetches exactly that column's chunk. */
	const char *path = corpus("duckdb/lineitem-top10000.gzip.parquet");
	counting c = { fopen(path, "rb"), 0, 0 };
	ck_assert_ptr_nonnull(c.fp);
	uint64_t size = file_size(c.fp);
	fr_err err = { 0 };
	fr_pq_file *f;
	ck_assert_int_eq(fr_pq_open_reader("lineitem", size, count_read, &c, &f, &err), 0);
	ck_assert_uint_eq(c.bytes, 65536 + 4);
	ck_assert_uint_eq(c.calls, 2);
	fr_arena *a = fr_arena_new(0);
	fr_vec v;
	uint64_t total = c.bytes;
	const char *cols[] = { "l_partkey", "l_orderkey", "l_shipmode" };
	for (int i = 0; i < 3; i++) {
		int col = fr_pq_column_index(f, cols[i]);
		ck_assert_int_ge(col, 0);
		fr_pq_chunkinfo k;
		fr_pq_chunk_info(f, 0, col, &k);
		uint64_t before = c.bytes, calls = c.calls;
		ck_assert_int_eq(fr_pq_load_column(f, col, NULL, a, &v, &err), 0);
		ck_assert_int_eq(v.len, 10000);
		ck_assert_uint_eq(c.bytes - before, (uint64_t)k.compressed_size);
		ck_assert_uint_eq(c.calls - calls, 1);
		total += (uint64_t)k.compressed_size;
	}
	ck_assert_uint_eq(fr_pq_bytes_read(f), total);
	ck_assert_uint_lt(total, size / 2);
	/* The same values as through mmap. */
	fr_pq_file *g;
	fr_vec w;
	ck_assert_int_eq(fr_pq_open_path(path, &g, &err), 0);
	ck_assert_int_eq(fr_pq_load_column(g, fr_pq_column_index(g, "l_shipmode"), NULL, a, &w, &err), 0);
	ck_assert_int_eq(w.dict.n, v.dict.n);
	ck_assert(memcmp(w.v.codes, v.v.codes, 10000 * 4) == 0);
	ck_assert_uint_eq(fr_pq_bytes_read(g), 0);
	fr_pq_close(g);
	fr_arena_free(a);
	fr_pq_close(f);
	fclose(c.fp);

	/* A 33 KB file of 50 row groups: one read at open, then nothing; with pruning only the
	 * kept row groups are decoded. */
	path = corpus("parquet-testing/data/geospatial/geography-points.parquet");
	c.fp = fopen(path, "rb");
	c.bytes = c.calls = 0;
	size = file_size(c.fp);
	ck_assert_int_eq(fr_pq_open_reader("geo", size, count_read, &c, &f, &err), 0);
	ck_assert_uint_eq(c.bytes, size);
	ck_assert_uint_eq(c.calls, 1);
	a = fr_arena_new(0);
	uint8_t keep[50] = { 0 };
	keep[3] = 1;
	ck_assert_int_eq(fr_pq_load_column(f, fr_pq_column_index(f, "id"), keep, a, &v, &err), 0);
	ck_assert_int_eq(v.len, 10);
	ck_assert_uint_eq(c.calls, 1);
	fr_arena_free(a);
	fr_pq_close(f);
	fclose(c.fp);
}
END_TEST

START_TEST(load_strings_and_nulls)
{
	fr_err err = { 0 };
	fr_pq_file *f;
	/* sort_columns: a INT64 with nulls, b STRING, 2 row groups of 3 rows. */
	ck_assert_int_eq(fr_pq_open_path(corpus("parquet-testing/data/sort_columns.parquet"), &f, &err), 0);
	fr_arena *a = fr_arena_new(0);
	fr_vec va, vb;
	ck_assert_int_eq(fr_pq_load_column(f, 0, NULL, a, &va, &err), 0);
	ck_assert_int_eq(fr_pq_load_column(f, 1, NULL, a, &vb, &err), 0);
	ck_assert_int_eq(va.kind, FR_VEC_I64);
	ck_assert_int_eq(va.len, 6);
	ck_assert_int_eq(va.null_count, 2);
	ck_assert_ptr_nonnull(va.valid);
	for (int64_t i = 0; i < va.len; i++)
		if (!fr_vec_valid(&va, i))
			ck_assert_int_eq(va.v.i64[i], 0);
	ck_assert_int_eq(vb.kind, FR_VEC_DICT);
	ck_assert_int_eq(vb.len, 6);
	/* One dictionary for both row groups, entries distinct. */
	for (uint32_t i = 0; i < vb.dict.n; i++)
		for (uint32_t j = i + 1; j < vb.dict.n; j++) {
			int64_t li = vb.dict.off[i + 1] - vb.dict.off[i];
			int64_t lj = vb.dict.off[j + 1] - vb.dict.off[j];
			ck_assert(li != lj || memcmp(vb.dict.data + vb.dict.off[i],
				vb.dict.data + vb.dict.off[j], (size_t)li));
		}
	for (int64_t i = 0; i < vb.len; i++)
		ck_assert_uint_lt(vb.v.codes[i], vb.dict.n);
	ck_assert_uint_le(vb.dict.n, 3);
	fr_pq_colinfo ci;
	ck_assert_int_eq(fr_pq_column_info(f, 1, &ci), 0);
	ck_assert_int_eq(ci.type, FR_TYPE_STRING);
	ck_assert_int_eq(fr_pq_column_index(f, "nope"), -1);
	fr_arena_free(a);
	fr_pq_close(f);

	/* Nested columns: a clear error naming the column; flat ones still load. */
	ck_assert_int_eq(fr_pq_open_path(corpus("parquet-testing/data/datapage_v2.snappy.parquet"), &f, &err), 0);
	a = fr_arena_new(0);
	int e = fr_pq_column_index(f, "e.list.element");
	ck_assert_int_ge(e, 0);
	ck_assert_int_ne(fr_pq_load_column(f, e, NULL, a, &va, &err), 0);
	ck_assert_str_eq(strstr(err.msg, "nested"), "nested columns are not supported: e.list.element");
	ck_assert_int_eq(fr_pq_load_column(f, fr_pq_column_index(f, "d"), NULL, a, &va, &err), 0);
	ck_assert_int_eq(va.kind, FR_VEC_BOOL);
	ck_assert_int_eq(va.len, 5);
	fr_arena_free(a);
	fr_pq_close(f);
}
END_TEST

START_TEST(open_errors)
{
	fr_err err = { 0 };
	fr_pq_file *f;
	ck_assert_int_ne(fr_pq_open_path(corpus("no/such/file.parquet"), &f, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "No such file"));
	ck_assert_int_ne(fr_pq_open_path(corpus("duckdb/footer_broken/twomarkers.parquet"), &f, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "twomarkers.parquet"));
	ck_assert_int_ne(fr_pq_open_path(corpus("parquet-testing/data/uniform_encryption.parquet.encrypted"), &f, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "encrypted parquet files are not supported"));
	ck_assert_int_ne(fr_pq_open_path(corpus("parquet-testing/data/encrypt_columns_plaintext_footer.parquet.encrypted"), &f, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "encrypted"));
}
END_TEST

/* ---- unsigned columns (issue 13): exact when they fit int64, refused by name when not ---- */

static int load_named(fr_pq_file *f, const char *name, fr_arena *a, fr_vec *v, fr_err *err)
{
	for (int c = 0; c < fr_pq_num_columns(f); c++) {
		fr_pq_colinfo ci;
		fr_pq_column_info(f, c, &ci);
		if (!strcmp(ci.name, name))
			return fr_pq_load_column(f, c, NULL, a, v, err);
	}
	ck_abort_msg("no column %s", name);
	return -1;
}

START_TEST(unsigned_columns)
{
	/* the example: DuckDB's UINT_8/16/64 columns holding their maximum values */
	fr_pq_file *f;
	fr_err err = { 0 };
	ck_assert_int_eq(fr_pq_open_path(corpus("duckdb/unsigned_stats.parquet"), &f, &err), 0);
	fr_arena *a = fr_arena_new(0);
	fr_vec v;
	static const struct { const char *name; int64_t max; } fits[] = {
		{ "utiny", 255 }, { "usmall", 65535 }, { "uint", 4294967295LL } };
	for (size_t i = 0; i < sizeof fits / sizeof fits[0]; i++) {
		ck_assert_int_eq(load_named(f, fits[i].name, a, &v, &err), 0);
		ck_assert_int_eq(v.kind, FR_VEC_I64);
		ck_assert_int_eq(v.len, 2);
		ck_assert_int_eq(v.v.i64[0], 0);
		ck_assert_int_eq(v.v.i64[1], fits[i].max);
	}
	memset(&err, 0, sizeof err);
	ck_assert_int_eq(load_named(f, "ubig", a, &v, &err), FR_EUNSUPPORTED);
	ck_assert_msg(strstr(err.msg, "column ubig") && strstr(err.msg, "18446744073709551615"),
	              "%s", err.msg);
	/* unsigned statistics (max 2^64-1 would read as -1) are never used: no group range hint,
	 * and a timeframe keeps the row group whatever its bounds */
	for (int c = 0; c < fr_pq_num_columns(f); c++) {
		fr_pq_colinfo ci;
		fr_pq_column_info(f, c, &ci);
		if (!ci.is_unsigned)
			continue;
		int64_t mn, mx;
		ck_assert_int_eq(fr_pq_int_range(f, c, NULL, &mn, &mx), 0);
		uint8_t keep[1] = { 0 };
		ck_assert_int_eq(fr_pq_prune_range(f, c, 1, -5, 1, -1, keep, &err), 0);
		ck_assert_int_eq(keep[0], 1);
	}
	fr_pq_close(f);

	/* variants written by our writer: UINT_32 on INT32 at its maximum (stored as -1), UINT_64
	 * at INT64_MAX (exact), UINT_64 just above it (2^63, stored as INT64_MIN) in the second
	 * row group after one with a null, and a signed INT64 holding INT64_MIN (not refused) */
	char path[] = "/tmp/frocket-unsigned-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	fr_pqw_col cols[] = {
		{ .name = "u32", .type = FR_PQ_INT32, .converted = FR_PQ_CT_UINT_32 },
		{ .name = "u64ok", .type = FR_PQ_INT64, .converted = FR_PQ_CT_UINT_64 },
		{ .name = "u64big", .type = FR_PQ_INT64, .optional = 1, .converted = FR_PQ_CT_UINT_64 },
		{ .name = "s64", .type = FR_PQ_INT64 },
	};
	fr_pqw_opts o;
	fr_pqw_opts_default(&o);
	fr_pqw *w;
	ck_assert_int_eq(fr_pqw_open(path, cols, 4, &o, &w, &err), 0);
	int64_t u32[3] = { 0, -1, 7 }, u64ok[3] = { INT64_MAX, 0, 1 };
	int64_t u64big[3] = { 0, 0, 5 }, s64[3] = { INT64_MIN, 0, -1 };
	uint64_t valid[1] = { 0x5 };   /* row 1 null */
	fr_vec rg1[4] = {
		{ .kind = FR_VEC_I64, .len = 3, .v.i64 = u32 },
		{ .kind = FR_VEC_I64, .len = 3, .v.i64 = u64ok },
		{ .kind = FR_VEC_I64, .len = 3, .v.i64 = u64big, .valid = valid, .null_count = 1 },
		{ .kind = FR_VEC_I64, .len = 3, .v.i64 = s64 },
	};
	ck_assert_int_eq(fr_pqw_write_row_group(w, 3, rg1, &err), 0);
	int64_t big[3] = { 1, INT64_MIN, 2 };
	fr_vec rg2[4] = { rg1[0], rg1[1], { .kind = FR_VEC_I64, .len = 3, .v.i64 = big }, rg1[3] };
	ck_assert_int_eq(fr_pqw_write_row_group(w, 3, rg2, &err), 0);
	ck_assert_int_eq(fr_pqw_close(w, &err), 0);
	ck_assert_int_eq(fr_pq_open_path(path, &f, &err), 0);
	ck_assert_int_eq(load_named(f, "u32", a, &v, &err), 0);
	ck_assert_int_eq(v.v.i64[1], 4294967295LL);
	ck_assert_int_eq(load_named(f, "u64ok", a, &v, &err), 0);
	ck_assert_int_eq(v.v.i64[0], INT64_MAX);
	ck_assert_int_eq(load_named(f, "s64", a, &v, &err), 0);
	ck_assert_int_eq(v.v.i64[0], INT64_MIN);
	memset(&err, 0, sizeof err);
	ck_assert_int_eq(load_named(f, "u64big", a, &v, &err), FR_EUNSUPPORTED);
	ck_assert_msg(strstr(err.msg, "column u64big") && strstr(err.msg, "9223372036854775808"),
	              "%s", err.msg);
	/* only the first row group (values 0, null, 5): fits, so it loads */
	uint8_t keep[2] = { 1, 0 };
	int c = -1;
	for (int i = 0; i < fr_pq_num_columns(f); i++) {
		fr_pq_colinfo ci;
		fr_pq_column_info(f, i, &ci);
		if (!strcmp(ci.name, "u64big"))
			c = i;
	}
	ck_assert_int_eq(fr_pq_load_column(f, c, keep, a, &v, &err), 0);
	ck_assert_int_eq(v.v.i64[2], 5);
	fr_pq_close(f);
	unlink(path);
	fr_arena_free(a);
}
END_TEST

/* ---- high-level vectors agree with physical values, over the whole corpus ---- */

static int compared_files, compared_columns;

static double half(uint16_t h)
{
	int sg = h >> 15, e = (h >> 10) & 31, m = h & 1023;
	double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(m | 1024, e - 25);
	return sg ? -v : v;
}

static void compare_column(fr_pq_file *f, int c)
{
	fr_pq_colinfo ci;
	fr_pq_column_info(f, c, &ci);
	if (ci.nested || ci.type == FR_TYPE_NONE)
		return;
	fr_arena *a = fr_arena_new(0);
	fr_err err = { 0 };
	fr_vec v;
	fr_pq_phys p;
	int r1 = fr_pq_load_column(f, c, NULL, a, &v, &err);
	int r2 = fr_pq_load_physical(f, c, -1, a, &p, &err);
	if (r1 == FR_EUNSUPPORTED && r2 == 0 && ci.is_unsigned && ci.physical_type == FR_PQ_INT64) {
		/* refused only when a value is really above INT64_MAX */
		int big = 0;
		for (int64_t i = 0; i < p.len && !big; i++) {
			uint64_t u;
			memcpy(&u, p.data + i * 8, 8);
			big = (!p.valid || fr_bit_get(p.valid, i)) && u > (uint64_t)INT64_MAX;
		}
		ck_assert_msg(big, "%s %s: unsigned column refused without a big value", fr_pq_name(f),
		              ci.name);
		fr_arena_free(a);
		return;
	}
	ck_assert_msg((r1 == 0) == (r2 == 0), "%s %s: load %d, physical %d", fr_pq_name(f), ci.name, r1, r2);
	if (r1) {
		fr_arena_free(a);
		return;
	}
	ck_assert_int_eq(v.len, p.len);
	ck_assert_int_eq(v.null_count, p.null_count);
	for (int64_t i = 0; i < v.len; i++) {
		int ok = fr_vec_valid(&v, i);
		if (ok != (!p.valid || fr_bit_get(p.valid, i)))
			ck_abort_msg("%s %s row %lld: validity differs", fr_pq_name(f), ci.name, (long long)i);
		if (!ok)
			continue;
		const uint8_t *d = p.width ? p.data + i * p.width : p.bin.data + p.bin.off[i];
		switch (v.kind) {
		case FR_VEC_I64: {
			int64_t want;
			if (ci.physical_type == FR_PQ_INT32) {
				int32_t x; memcpy(&x, d, 4);
				want = ci.is_unsigned ? (int64_t)(uint32_t)x : x;
			} else if (ci.physical_type == FR_PQ_INT96) {
				uint64_t ns; int32_t jd;
				memcpy(&ns, d, 8); memcpy(&jd, d + 8, 4);
				want = (int64_t)(ns + (uint64_t)((int64_t)jd - 2440588) * 86400000000000ull);
			} else {
				memcpy(&want, d, 8);
			}
			if (v.v.i64[i] != want)
				ck_abort_msg("%s %s row %lld", fr_pq_name(f), ci.name, (long long)i);
			break;
		}
		case FR_VEC_F64: {
			double want;
			if (ci.physical_type == FR_PQ_FLOAT) { float x; memcpy(&x, d, 4); want = x; }
			else if (ci.physical_type == FR_PQ_DOUBLE) memcpy(&want, d, 8);
			else want = half((uint16_t)(p.bin.data[p.bin.off[i]] | p.bin.data[p.bin.off[i] + 1] << 8));
			if (memcmp(&v.v.f64[i], &want, 8) != 0 && !(isnan(want) && isnan(v.v.f64[i])))
				ck_abort_msg("%s %s row %lld", fr_pq_name(f), ci.name, (long long)i);
			break;
		}
		case FR_VEC_BOOL:
			if (v.v.b[i] != d[0])
				ck_abort_msg("%s %s row %lld", fr_pq_name(f), ci.name, (long long)i);
			break;
		case FR_VEC_DICT: {
			uint32_t k = v.v.codes[i];
			if (k >= v.dict.n)
				ck_abort_msg("%s %s row %lld: code out of range", fr_pq_name(f), ci.name, (long long)i);
			int64_t l1 = v.dict.off[k + 1] - v.dict.off[k], l2 = p.bin.off[i + 1] - p.bin.off[i];
			if (l1 != l2 || memcmp(v.dict.data + v.dict.off[k], d, (size_t)l1))
				ck_abort_msg("%s %s row %lld", fr_pq_name(f), ci.name, (long long)i);
			break;
		}
		case FR_VEC_BIN:
			break;
		}
	}
	compared_columns++;
	fr_arena_free(a);
}

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st; (void)ftw;
	if (type != FTW_F || !strstr(path, ".parquet") || strstr(path, "/expected/"))
		return 0;
	fr_err err = { 0 };
	fr_pq_file *f;
	if (fr_pq_open_path(path, &f, &err))
		return 0;
	for (int c = 0; c < fr_pq_num_columns(f); c++)
		compare_column(f, c);
	fr_pq_close(f);
	compared_files++;
	return 0;
}

START_TEST(vectors_match_physical)
{
	ck_assert_int_eq(nftw(corpus(""), visit, 16, FTW_PHYS), 0);
	ck_assert_int_gt(compared_files, 100);
	ck_assert_int_gt(compared_columns, 300);
}
END_TEST

/* The same through a range reader (the S3 path: chunks fetched into a buffer, pages of a
 * chunk decompressed in pairs without a mapping). */
static int visit_range(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st; (void)ftw;
	if (type != FTW_F || !strstr(path, ".parquet") || strstr(path, "/expected/"))
		return 0;
	counting c = { fopen(path, "rb"), 0, 0 };
	if (!c.fp)
		return 0;
	fr_err err = { 0 };
	fr_pq_file *f;
	if (!fr_pq_open_reader(path, file_size(c.fp), count_read, &c, &f, &err)) {
		for (int k = 0; k < fr_pq_num_columns(f); k++)
			compare_column(f, k);
		fr_pq_close(f);
		compared_files++;
	}
	fclose(c.fp);
	return 0;
}

START_TEST(vectors_match_physical_range_reader)
{
	compared_files = compared_columns = 0;
	ck_assert_int_eq(nftw(corpus(""), visit_range, 16, FTW_PHYS), 0);
	ck_assert_int_gt(compared_files, 100);
	ck_assert_int_gt(compared_columns, 300);
}
END_TEST

/* ---- fr_pq_scan_bytes hands out exactly the non-null values the physical load gives ---- */

typedef struct scan_acc {
	fr_buf bytes;          /* the values' bytes, one after the other */
	int64_t nvals;
	int64_t *lens;
	size_t lens_cap;
	int calls, fail_at;    /* fail_at > 0: the fail_at-th call fails */
} scan_acc;

static int scan_collect(void *ctx, const fr_pq_bytes *v, size_t n, fr_err *err)
{
	scan_acc *s = ctx;
	if (++s->calls == s->fail_at)
		return fr_err_set(err, FR_ELIMIT, "consumer stops at call %d", s->calls);
	if (n == 0)
		return fr_err_set(err, FR_EINVAL, "called with no values");
	if (s->nvals + (int64_t)n > (int64_t)s->lens_cap) {
		s->lens_cap = (size_t)(s->nvals + (int64_t)n) * 2;
		s->lens = realloc(s->lens, s->lens_cap * sizeof *s->lens);
		ck_assert_ptr_nonnull(s->lens);
	}
	for (size_t i = 0; i < n; i++) {
		if (fr_buf_append(&s->bytes, v[i].p, v[i].n))
			return fr_err_set(err, FR_ENOMEM, "out of memory");
		s->lens[s->nvals++] = v[i].n;
	}
	return 0;
}

static void scan_acc_free(scan_acc *s)
{
	fr_buf_free(&s->bytes);
	free(s->lens);
	memset(s, 0, sizeof *s);
}

/* Scans column c (row group rg, -1 all) and checks it against fr_pq_load_physical: same
 * non-null values in the same order, same row and null counts.  0 when both failed alike. */
static int scan_matches_physical(fr_pq_file *f, int c, int rg)
{
	fr_arena *a = fr_arena_new(0);
	fr_err e1 = { 0 }, e2 = { 0 };
	fr_pq_phys p;
	scan_acc s;
	memset(&s, 0, sizeof s);
	int64_t rows = -1, nulls = -1;
	int r1 = fr_pq_load_physical(f, c, rg, a, &p, &e1);
	int r2 = fr_pq_scan_bytes(f, c, rg, scan_collect, &s, &rows, &nulls, &e2);
	ck_assert_msg((r1 == 0) == (r2 == 0), "%s column %d: physical %d (%s), scan %d (%s)",
	              fr_pq_name(f), c, r1, e1.msg, r2, e2.msg);
	if (r1 == 0) {
		ck_assert_int_eq(rows, p.len);
		ck_assert_int_eq(nulls, p.null_count);
		ck_assert_int_eq(s.nvals, p.len - p.null_count);
		int64_t j = 0, at = 0;
		int same = 1;
		for (int64_t i = 0; i < p.len && same; i++) {
			if (p.valid && !fr_bit_get(p.valid, i))
				continue;
			int64_t n = p.bin.off[i + 1] - p.bin.off[i];
			same = s.lens[j] == n && (size_t)(at + n) <= s.bytes.len &&
			       (n == 0 || !memcmp(s.bytes.data + at, p.bin.data + p.bin.off[i], (size_t)n));
			at += n;
			j++;
		}
		ck_assert_msg(same && (size_t)at == s.bytes.len, "%s column %d row group %d: the "
		              "scanned values differ from the physical ones", fr_pq_name(f), c, rg);
	}
	scan_acc_free(&s);
	fr_arena_free(a);
	return r1;
}

static int scanned_columns;
static int visit_scan(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st; (void)ftw;
	if (type != FTW_F || !strstr(path, ".parquet") || strstr(path, "/expected/"))
		return 0;
	fr_err err = { 0 };
	fr_pq_file *f;
	if (fr_pq_open_path(path, &f, &err))
		return 0;
	for (int c = 0; c < fr_pq_num_columns(f); c++) {
		fr_pq_colinfo ci;
		fr_pq_column_info(f, c, &ci);
		if (ci.physical_type != FR_PQ_BYTE_ARRAY || ci.nested)
			continue;
		if (scan_matches_physical(f, c, -1) == 0)
			scanned_columns++;
	}
	fr_pq_close(f);
	return 0;
}

START_TEST(scan_bytes_matches_physical)
{
	/* every BYTE_ARRAY column of the corpus (PLAIN, dictionary, DELTA_LENGTH_BYTE_ARRAY,
	 * DELTA_BYTE_ARRAY, v1 and v2 pages, nulls) */
	ck_assert_int_eq(nftw(corpus(""), visit_scan, 16, FTW_PHYS), 0);
	ck_assert_int_gt(scanned_columns, 20);
}
END_TEST

START_TEST(scan_bytes_row_groups_and_errors)
{
	/* our writer, with and without dictionaries, a dictionary that falls back to PLAIN in
	 * mid-chunk, v1 and v2 pages: values of every length 0..40 and nulls, three row groups */
	enum { N = 3000 };
	char path[] = "/tmp/frocket-scan-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	int64_t *off = malloc((N + 1) * sizeof *off), *ids = malloc(N * sizeof *ids);
	uint8_t *data = malloc((size_t)N * 41);
	uint64_t *valid = calloc(FR_BITMAP_WORDS(N) + 1, 8);
	ck_assert(off && ids && data && valid);
	off[0] = 0;
	int64_t nulls = 0;
	for (int i = 0; i < N; i++) {
		int len = (i * 7) % 41;
		int null = i % 13 == 5;
		ids[i] = i;
		for (int k = 0; k < len && !null; k++)
			data[off[i] + k] = (uint8_t)('a' + (i / 3 + k) % 26);
		off[i + 1] = off[i] + (null ? 0 : len);
		if (null)
			nulls++;
		else
			fr_bit_set(valid, i);
	}
	fr_pqw_col cols[] = { { .name = "id", .type = FR_PQ_INT64 },
	                      { .name = "s", .type = FR_PQ_BYTE_ARRAY, .optional = 1, .string = 1 } };
	fr_vec vecs[2] = { { .kind = FR_VEC_I64, .len = N, .v.i64 = ids },
	                   { .kind = FR_VEC_BIN, .len = N, .valid = valid, .null_count = nulls,
	                     .dict = { N, off, data } } };
	for (int variant = 0; variant < 4; variant++) {
		fr_pqw_opts o;
		fr_pqw_opts_default(&o);
		o.dictionary = variant != 1;
		o.page_v2 = variant == 3;
		if (variant == 2)
			o.dict_limit = 2000;   /* the dictionary fills up: PLAIN pages follow */
		fr_pqw *w;
		fr_err err = { 0 };
		ck_assert_int_eq(fr_pqw_open(path, cols, 2, &o, &w, &err), 0);
		for (int at = 0; at < N; at += 1000) {
			fr_vec part[2] = { vecs[0], vecs[1] };
			/* one row group of 1000 rows: a window with its own validity and offsets */
			part[0].v.i64 = ids + at;
			part[0].len = part[1].len = 1000;
			uint64_t *bm = calloc(FR_BITMAP_WORDS(1000) + 1, 8);
			int64_t z = 0;
			for (int i = 0; i < 1000; i++) {
				if (fr_bit_get(valid, at + i))
					fr_bit_set(bm, i);
				else
					z++;
			}
			part[1].valid = bm;
			part[1].null_count = z;
			part[1].dict = (fr_strtab){ 1000, off + at, data };
			ck_assert_msg(fr_pqw_write_row_group(w, 1000, part, &err) == 0, "%s", err.msg);
			free(bm);
		}
		ck_assert_int_eq(fr_pqw_close(w, &err), 0);
		fr_pq_file *f;
		ck_assert_int_eq(fr_pq_open_path(path, &f, &err), 0);
		ck_assert_int_eq(fr_pq_num_row_groups(f), 3);
		for (int rg = -1; rg < 3; rg++)
			ck_assert_int_eq(scan_matches_physical(f, 1, rg), 0);
		/* the whole column, against the input */
		scan_acc s;
		memset(&s, 0, sizeof s);
		int64_t rows, zn;
		ck_assert_int_eq(fr_pq_scan_bytes(f, 1, -1, scan_collect, &s, &rows, &zn, &err), 0);
		ck_assert_int_eq(rows, N);
		ck_assert_int_eq(zn, nulls);
		ck_assert_int_eq(s.bytes.len, (size_t)off[N]);
		ck_assert(!memcmp(s.bytes.data, data, (size_t)off[N]));
		int calls = s.calls;
		scan_acc_free(&s);
		ck_assert_int_ge(calls, 3);   /* at least one call per row group */
		/* the consumer's error stops the scan and comes back as is */
		s.fail_at = 2;
		memset(&err, 0, sizeof err);
		ck_assert_int_eq(fr_pq_scan_bytes(f, 1, -1, scan_collect, &s, &rows, &zn, &err),
		                 FR_ELIMIT);
		ck_assert_int_eq(s.calls, 2);
		ck_assert_str_eq(err.msg, "consumer stops at call 2");
		scan_acc_free(&s);
		/* not a BYTE_ARRAY column, no such row group, no such column */
		ck_assert_int_eq(fr_pq_scan_bytes(f, 0, -1, scan_collect, &s, &rows, &zn, &err),
		                 FR_EINVAL);
		ck_assert_msg(strstr(err.msg, "column id"), "%s", err.msg);
		ck_assert_int_eq(fr_pq_scan_bytes(f, 1, 3, scan_collect, &s, &rows, &zn, &err),
		                 FR_EINVAL);
		ck_assert_int_eq(fr_pq_scan_bytes(f, 1, -2, scan_collect, &s, &rows, &zn, &err),
		                 FR_EINVAL);
		ck_assert_int_ne(fr_pq_scan_bytes(f, 2, -1, scan_collect, &s, &rows, &zn, &err), 0);
		ck_assert_int_eq(s.calls, 0);
		fr_pq_close(f);
	}
	unlink(path);
	free(off);
	free(ids);
	free(data);
	free(valid);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("parquet");
	TCase *tc = tcase_create("decode");
	/* the slowest (rle_dict_indices) takes ~2 s under ASan+UBSan on an idle machine; Check's
	 * default of 4 s failed on a busy one */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, thrift_ints);
	tcase_add_test(tc, thrift_fields_and_skip);
	tcase_add_test(tc, thrift_limits);
	tcase_add_test(tc, rle_hybrid);
	tcase_add_test(tc, unpack_all_widths);
	tcase_add_test(tc, rle_dict_indices);
	tcase_add_test(tc, rle_bits_levels);
	tcase_add_test(tc, delta_roundtrip);
	tcase_add_test(tc, delta_bad_headers);
	tcase_add_test(tc, delta_big_miniblocks);
	tcase_add_test(tc, bss);
	tcase_add_test(tc, snappy_matches_libsnappy);
	tcase_add_test(tc, snappy_hand_vectors);
	tcase_add_test(tc, snappy_corrupt_agrees);
	tcase_add_test(tc, snappy_pairs);
	suite_add_tcase(s, tc);
	TCase *tf = tcase_create("files");
	tcase_set_timeout(tf, 300);
	tcase_add_test(tf, prune_range);
	tcase_add_test(tf, range_reader_fetches_only_needed);
	tcase_add_test(tf, load_strings_and_nulls);
	tcase_add_test(tf, open_errors);
	tcase_add_test(tf, unsigned_columns);
	tcase_add_test(tf, vectors_match_physical);
	tcase_add_test(tf, vectors_match_physical_range_reader);
	tcase_add_test(tf, scan_bytes_matches_physical);
	tcase_add_test(tf, scan_bytes_row_groups_and_errors);
	suite_add_tcase(s, tf);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
