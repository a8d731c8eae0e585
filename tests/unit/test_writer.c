/* Unit tests of the Parquet writer side: RLE hybrid encoder against a reference decoder,
 * Thrift encoding bytes, the partition hash (pinned values), count parsing, writer errors,
 * every writer option combination read back by our reader (values, nulls, statistics), and
 * repartition of the oracle dataset checked row for row through our reader. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/wait.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/vec.h"
#include "parquet/encode.h"
#include "parquet/format.h"
#include "parquet/parquet.h"
#include "parquet/thrift_enc.h"
#include "parquet/writer.h"
#include "tools/args.h"
#include "tools/gen.h"
#include "tools/outset.h"
#include "tools/partition.h"
#include "tools/repartition.h"
#include "tests/writer/cases.h"

static char tmpdir[256];

static void make_tmp(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/fr_test_writer_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void rm_tmp(void)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Reference decoder of the RLE / bit-packing hybrid. */
static size_t rle_decode(const uint8_t *p, size_t n, int bw, uint32_t *out, size_t want)
{
	size_t i = 0, k = 0;
	while (k < want && i < n) {
		uint64_t h = 0;
		int sh = 0;
		while (p[i] & 0x80) {
			h |= (uint64_t)(p[i++] & 0x7f) << sh;
			sh += 7;
		}
		h |= (uint64_t)p[i++] << sh;
		if (h & 1) {
			size_t cnt = (h >> 1) * 8;
			uint64_t acc = 0;
			int nb = 0;
			for (size_t x = 0; x < cnt; x++) {
				while (nb < bw) {
					acc |= (uint64_t)p[i++] << nb;
					nb += 8;
				}
				uint32_t v = (uint32_t)(acc & ((1ull << bw) - 1));
				acc >>= bw;
				nb -= bw;
				if (k < want)
					out[k++] = v;
			}
		} else {
			size_t cnt = h >> 1;
			uint32_t v = 0;
			for (int b = 0; b < (bw + 7) / 8; b++)
				v |= (uint32_t)p[i++] << (8 * b);
			for (size_t x = 0; x < cnt && k < want; x++)
				out[k++] = v;
		}
	}
	return k;
}

START_TEST(rle_roundtrip)
{
	uint64_t s = 1;
	for (int bw = 1; bw <= 32; bw += (bw < 4 ? 1 : 5)) {
		for (int trial = 0; trial < 20; trial++) {
			size_t n = 1 + (size_t)(trial * 977 % 5000);
			uint32_t *v = malloc(n * 4), *d = malloc(n * 4);
			uint32_t mask = bw == 32 ? UINT32_MAX : (1u << bw) - 1;
			for (size_t i = 0; i < n; i++) {
				s = s * 6364136223846793005ull + 1442695040888963407ull;
				/* runs of random lengths mixed with noise */
				v[i] = (i > 0 && (s >> 60) < 11) ? v[i - 1] : (uint32_t)(s >> 20) & mask;
			}
			fr_buf b = FR_BUF_INIT;
			ck_assert_int_eq(fr_pq_rle_encode(v, n, bw, &b), 0);
			ck_assert_uint_eq(rle_decode(b.data, b.len, bw, d, n), n);
			ck_assert_int_eq(memcmp(v, d, n * 4), 0);
			fr_buf_free(&b);
			free(v);
			free(d);
		}
	}
}
END_TEST

START_TEST(rle_bits_windows)
{
	/* Bitmaps longer than the encoder's window, with runs crossing window edges. */
	size_t n = 20000;
	uint64_t *bm = calloc(FR_BITMAP_WORDS(n + 100), 8);
	uint64_t s = 7;
	for (size_t i = 0; i < n + 100; i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		int bit = (i / 3000) % 2 ? (int)(s >> 63) : (i % 4099 < 4090);
		if (bit)
			fr_bit_set(bm, (int64_t)i);
	}
	for (int64_t from = 0; from < 70; from += 13) {
		fr_buf b = FR_BUF_INIT;
		ck_assert_int_eq(fr_pq_rle_encode_bits(bm, from, n, &b), 0);
		uint32_t *d = malloc(n * 4);
		ck_assert_uint_eq(rle_decode(b.data, b.len, 1, d, n), n);
		for (size_t i = 0; i < n; i++)   /* first difference only */
			if (d[i] != (uint32_t)fr_bit_get(bm, from + (int64_t)i))
				ck_abort_msg("from %lld: bit %zu differs", (long long)from, i);
		free(d);
		fr_buf_free(&b);
	}
	free(bm);
	ck_assert_int_eq(fr_pq_bit_width(0), 1);
	ck_assert_int_eq(fr_pq_bit_width(1), 1);
	ck_assert_int_eq(fr_pq_bit_width(2), 2);
	ck_assert_int_eq(fr_pq_bit_width(255), 8);
	ck_assert_int_eq(fr_pq_bit_width(256), 9);
}
END_TEST

START_TEST(thrift_bytes)
{
	fr_buf b = FR_BUF_INIT;
	fr_tenc t;
	fr_tenc_init(&t, &b);
	fr_tenc_i32(&t, 1, -1);           /* 0x15 0x01 */
	fr_tenc_i64(&t, 3, 300);          /* 0x26 0xd8 0x04 */
	fr_tenc_bool(&t, 4, 1);           /* 0x11 */
	fr_tenc_str(&t, 20, "ab");        /* long form: 0x08 0x28, len 2 */
	fr_tenc_list_begin(&t, 21, FR_TC_I32, 2);   /* 0x19 0x25 */
	fr_tenc_elem_i32(&t, 1);
	fr_tenc_elem_i32(&t, 2);
	fr_tenc_struct_begin(&t, 22);     /* 0x1c */
	fr_tenc_struct_end(&t);           /* 0x00 */
	ck_assert_int_eq(fr_tenc_finish(&t), 0);
	static const uint8_t want[] = { 0x15, 0x01, 0x26, 0xd8, 0x04, 0x11, 0x08, 0x28, 0x02, 'a',
		'b', 0x19, 0x25, 0x02, 0x04, 0x1c, 0x00, 0x00 };
	ck_assert_uint_eq(b.len, sizeof want);
	ck_assert_int_eq(memcmp(b.data, want, sizeof want), 0);
	/* unbalanced struct_end is an error, not a crash */
	fr_buf_reset(&b);
	fr_tenc_init(&t, &b);
	fr_tenc_struct_end(&t);
	ck_assert_int_ne(fr_tenc_finish(&t), 0);
	fr_buf_free(&b);
}
END_TEST

START_TEST(partition_hash_pinned)
{
	/* The documented mapping must never change: datasets written by one version are read
	 * by the next.  Values computed independently (Python) from the README formula. */
	static const int64_t ids[] = { 0, 1, 2, 3, -1, (int64_t)1 << 40 };
	static const uint32_t want[] = { 0, 0, 5, 2, 5, 1 };
	for (int i = 0; i < 6; i++)
		ck_assert_uint_eq(fr_part_of_int(ids[i], 7), want[i]);
	ck_assert_uint_eq(fr_part_of_int(12345, 1000), 753);
	ck_assert_uint_eq(fr_part_of_bytes((const uint8_t *)"", 0, 7), 1);
	ck_assert_uint_eq(fr_part_of_bytes((const uint8_t *)"a", 1, 7), 1);
	ck_assert_uint_eq(fr_part_of_bytes((const uint8_t *)"user-42", 7, 7), 4);
	ck_assert_uint_eq(fr_part_of_bytes((const uint8_t *)"user-42", 7, 1000), 453);
}
END_TEST

START_TEST(args_counts)
{
	fr_err e = { 0 };
	int64_t v;
	ck_assert_int_eq(fr_args_count("--rows", "2500000", &v, &e), 0);
	ck_assert_int_eq(v, 2500000);
	ck_assert_int_eq(fr_args_count("--rows", "2.5M", &v, &e), 0);
	ck_assert_int_eq(v, 2500000);
	ck_assert_int_eq(fr_args_count("--rows", "20M", &v, &e), 0);
	ck_assert_int_eq(v, 20000000);
	ck_assert_int_eq(fr_args_count("--rows", "3k", &v, &e), 0);
	ck_assert_int_eq(v, 3000);
	ck_assert_int_ne(fr_args_count("--rows", "1.5", &v, &e), 0);
	ck_assert_int_ne(fr_args_count("--rows", "-3", &v, &e), 0);
	ck_assert_int_ne(fr_args_count("--rows", "", &v, &e), 0);
	ck_assert_int_ne(fr_args_count("--rows", "12x", &v, &e), 0);
	ck_assert_int_ne(fr_args_count("--rows", "99999999999999999999", &v, &e), 0);
	ck_assert_ptr_nonnull(strstr(e.msg, "--rows"));
}
END_TEST

/* Issue 13: no count, however large, overflows (UBSan), and every range error states the
 * bounds that apply and the value given. */
START_TEST(args_overflow_and_bounds)
{
	fr_err e = { 0 };
	int64_t v;
	static const char *const too_big[] = { "9223372036.9G", "9223372036854775808",
		"9223372037G", "9223372036854776k", "99999999999999999999999999999999999999999M",
		"18446744073709551616" };
	for (size_t i = 0; i < sizeof too_big / sizeof *too_big; i++) {
		memset(&e, 0, sizeof e);
		ck_assert_int_eq(fr_args_count("--rows", too_big[i], &v, &e), FR_EINVAL);
		ck_assert_msg(strstr(e.msg, "--rows must be between 0 and 9223372036854775807, not") &&
			strstr(e.msg, too_big[i]), "%s: %s", too_big[i], e.msg);
	}
	/* The largest value is reachable exactly, through a suffix too. */
	ck_assert_int_eq(fr_args_count("--rows", "9223372036.854775807G", &v, &e), 0);
	ck_assert_int_eq(v, INT64_MAX);
	ck_assert_int_eq(fr_args_count("--rows", "9223372036854775807", &v, &e), 0);
	ck_assert_int_eq(v, INT64_MAX);
	/* A fraction must give a whole number; digits past the ninth may only be zeros. */
	ck_assert_int_eq(fr_args_count("--rows", "1.0000000010G", &v, &e), 0);
	ck_assert_int_eq(v, 1000000001);
	ck_assert_int_ne(fr_args_count("--rows", "1.0000000001G", &v, &e), 0);
	ck_assert_int_ne(fr_args_count("--rows", "2.0005k", &v, &e), 0);
	ck_assert_int_ne(fr_args_count("--rows", "1.", &v, &e), 0);
	ck_assert_int_ne(fr_args_count("--rows", ".5k", &v, &e), 0);
	ck_assert_int_ne(fr_args_count("--rows", "1kk", &v, &e), 0);
	/* Ranges: both ends named, whichever is crossed. */
	ck_assert_int_ne(fr_args_range("--memory", "99999999999999", 12, 1048576, &v, &e), 0);
	ck_assert_str_eq(e.msg, "--memory must be between 12 and 1048576, not 99999999999999");
	ck_assert_int_ne(fr_args_range("--memory", "4", 12, 1048576, &v, &e), 0);
	ck_assert_str_eq(e.msg, "--memory must be between 12 and 1048576, not 4");
	ck_assert_int_eq(fr_args_range("--memory", "12", 12, 1048576, &v, &e), 0);
	ck_assert_int_eq(v, 12);
	int parts;
	ck_assert_int_ne(fr_args_parts("1000001", &parts, &e), 0);
	ck_assert_str_eq(e.msg, "--parts must be between 1 and 10000, not 1000001");
	ck_assert_int_ne(fr_args_parts("0", &parts, &e), 0);
	ck_assert_int_eq(fr_args_parts("10k", &parts, &e), 0);
	ck_assert_int_eq(parts, 10000);
	int codec;
	ck_assert_int_ne(fr_args_codec("lz5", &codec, &e), 0);
	ck_assert_ptr_nonnull(strstr(e.msg, "unknown codec 'lz5'"));
}
END_TEST

/* Entries of dir whose name ends with suffix. */
static int count_dir(const char *dir, const char *suffix)
{
	DIR *d = opendir(dir);
	ck_assert_ptr_nonnull(d);
	int n = 0;
	struct dirent *de;
	size_t sl = strlen(suffix);
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l >= sl && !strcmp(de->d_name + l - sl, suffix))
			n++;
	}
	closedir(d);
	return n;
}

static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

static int file_is(const char *path, const char *text)
{
	char buf[256] = "";
	FILE *f = fopen(path, "r");
	if (!f)
		return 0;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	return !strcmp(buf, text);
}

/* Output sets: nothing appears before commit, abort leaves an earlier dataset as it was,
 * temporary files of dead runs are removed, those of live processes kept. */
START_TEST(outset_all_or_nothing)
{
	make_tmp();
	char dir[512], path[600], stale_dead[600], stale_live[600], legacy[600];
	snprintf(dir, sizeof dir, "%s/out/sub", tmpdir);
	fr_err e = { 0 };
	fr_outset *s;
	ck_assert_int_eq(fr_outset_begin(dir, 2, &s, &e), 0);   /* creates the parents */
	/* One output set at a time: the signal handler cleans one list. */
	fr_outset *s2;
	ck_assert_int_ne(fr_outset_begin(dir, 2, &s2, &e), 0);
	for (int i = 0; i < 2; i++)
		put_file(fr_outset_tmp_path(s, i), i ? "old1" : "old0");
	ck_assert_int_eq(count_dir(dir, ".parquet"), 0);
	ck_assert_int_eq(fr_outset_commit(s, &e), 0);
	snprintf(path, sizeof path, "%s/part-00001.parquet", dir);
	ck_assert(file_is(path, "old1"));
	ck_assert_int_eq(count_dir(dir, ".tmp"), 0);

	/* A failed run with more parts: the earlier dataset stays, no temp file is left. */
	ck_assert_int_eq(fr_outset_begin(dir, 3, &s, &e), 0);
	for (int i = 0; i < 3; i++)
		put_file(fr_outset_tmp_path(s, i), "new");
	fr_outset_abort(s);
	ck_assert_int_eq(count_dir(dir, ".tmp"), 0);
	ck_assert_int_eq(count_dir(dir, ".parquet"), 2);
	snprintf(path, sizeof path, "%s/part-00000.parquet", dir);
	ck_assert(file_is(path, "old0"));

	/* Leftovers of killed runs: a dead PID and the PID-less name are removed; a live
	 * process's (our parent's) file is kept. */
	pid_t child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0)
		_exit(0);
	ck_assert_int_eq(waitpid(child, NULL, 0), child);
	snprintf(stale_dead, sizeof stale_dead, "%s/.part-00000.parquet.%ld.tmp", dir, (long)child);
	snprintf(stale_live, sizeof stale_live, "%s/.part-00001.parquet.%ld.tmp", dir,
		(long)getppid());
	snprintf(legacy, sizeof legacy, "%s/.part-00002.parquet.tmp", dir);
	put_file(stale_dead, "x");
	put_file(stale_live, "x");
	put_file(legacy, "x");
	ck_assert_int_eq(fr_outset_begin(dir, 1, &s, &e), 0);
	ck_assert_int_ne(access(stale_dead, F_OK), 0);
	ck_assert_int_ne(access(legacy, F_OK), 0);
	ck_assert_int_eq(access(stale_live, F_OK), 0);
	fr_outset_abort(s);
	unlink(stale_live);

	/* A warning names parts an earlier run with more parts left behind. */
	char msg[1024];
	ck_assert_int_eq(fr_outset_stale_warning(dir, 1, msg, sizeof msg), 1);
	ck_assert_ptr_nonnull(strstr(msg, "part-00001.parquet"));
	ck_assert_int_eq(fr_outset_stale_warning(dir, 2, msg, sizeof msg), 0);

	/* A file where the directory should be. */
	snprintf(path, sizeof path, "%s/part-00000.parquet/x", dir);
	ck_assert_int_ne(fr_outset_begin(path, 1, &s, &e), 0);
	ck_assert_ptr_nonnull(strstr(e.msg, "part-00000.parquet"));
	rm_tmp();
}
END_TEST

START_TEST(writer_errors)
{
	make_tmp();
	char path[512];
	snprintf(path, sizeof path, "%s/e.parquet", tmpdir);
	fr_pqw_col cols[2] = { { "id", FR_PQ_INT32, 0, 0, 0 }, { "s", FR_PQ_BYTE_ARRAY, 0, 1, 0 } };
	fr_pqw *w;
	fr_err e = { 0 };
	ck_assert_int_eq(fr_pqw_open(path, cols, 2, NULL, &w, &e), 0);
	int64_t ids[2] = { 1, (int64_t)1 << 40 };
	uint64_t valid = 1;
	int64_t off[3] = { 0, 1, 2 };
	fr_vec v[2];
	memset(v, 0, sizeof v);
	v[0].kind = FR_VEC_I64; v[0].len = 2; v[0].v.i64 = ids;
	v[1].kind = FR_VEC_BIN; v[1].len = 2; v[1].dict = (fr_strtab){ 2, off, (const uint8_t *)"ab" };
	ck_assert_int_ne(fr_pqw_write_row_group(w, 2, v, &e), 0);
	ck_assert_ptr_nonnull(strstr(e.msg, "does not fit INT32"));
	ck_assert_ptr_nonnull(strstr(e.msg, "id"));
	ids[1] = 2;
	v[1].valid = &valid;
	v[1].null_count = 1;
	ck_assert_int_ne(fr_pqw_write_row_group(w, 2, v, &e), 0);
	ck_assert_ptr_nonnull(strstr(e.msg, "column s is required"));
	v[1].valid = NULL;
	v[1].kind = FR_VEC_F64;
	ck_assert_int_ne(fr_pqw_write_row_group(w, 2, v, &e), 0);
	ck_assert_ptr_nonnull(strstr(e.msg, "does not match"));
	v[1].kind = FR_VEC_BIN;
	ck_assert_int_ne(fr_pqw_write_row_group(w, 0, v, &e), 0);
	/* Refused input leaves the writer usable. */
	ck_assert_int_eq(fr_pqw_write_row_group(w, 2, v, &e), 0);
	ck_assert_int_eq(fr_pqw_close(w, &e), 0);
	fr_pq_file *f;
	ck_assert_int_eq(fr_pq_open_path(path, &f, &e), 0);
	ck_assert_int_eq(fr_pq_num_rows(f), 2);
	fr_pq_close(f);

	ck_assert_int_eq(fr_pqw_open(path, cols, 2, NULL, &w, &e), 0);
	fr_pqw_abort(w);
	ck_assert_int_ne(access(path, F_OK), 0);   /* abort removes the partial file */

	/* Unwritable path: the error names it. */
	ck_assert_int_ne(fr_pqw_open("/nonexistent-dir/x.parquet", cols, 2, NULL, &w, &e), 0);
	ck_assert_ptr_nonnull(strstr(e.msg, "/nonexistent-dir/x.parquet"));
	rm_tmp();
}
END_TEST

/* Value of row r of a written vector as the reader must return it. */
static void check_value(const fr_pqw_col *c, const fr_vec *in, int64_t r, const fr_vec *out,
	int64_t ro, const char *file)
{
	int vin = fr_vec_valid(in, r), vout = fr_vec_valid(out, ro);
	if (vin != vout)
		ck_abort_msg("%s: column %s row %lld: null mismatch", file, c->name, (long long)ro);
	if (!vin)
		return;
	switch (c->type) {
	case FR_PQ_BOOLEAN:
		ck_assert_int_eq(out->v.b[ro], in->v.b[r] != 0);
		break;
	case FR_PQ_INT32:
	case FR_PQ_INT64:
		if (out->v.i64[ro] != in->v.i64[r])
			ck_abort_msg("%s: column %s row %lld: %lld != %lld", file, c->name, (long long)ro,
				(long long)out->v.i64[ro], (long long)in->v.i64[r]);
		break;
	case FR_PQ_FLOAT:
	case FR_PQ_DOUBLE: {
		double want = c->type == FR_PQ_FLOAT ? (double)(float)in->v.f64[r] : in->v.f64[r];
		double got = out->v.f64[ro];
		if (isnan(want) ? !isnan(got) : (got != want || signbit(got) != signbit(want)))
			ck_abort_msg("%s: column %s row %lld: %.17g != %.17g", file, c->name,
				(long long)ro, got, want);
		break;
	}
	default: {
		int64_t k = in->kind == FR_VEC_DICT ? in->v.codes[r] : r;
		const uint8_t *a = in->dict.data + in->dict.off[k];
		int64_t an = in->dict.off[k + 1] - in->dict.off[k];
		uint32_t ko = out->v.codes[ro];
		const uint8_t *b = out->dict.data + out->dict.off[ko];
		int64_t bn = out->dict.off[ko + 1] - out->dict.off[ko];
		if (an != bn || memcmp(a, b, (size_t)an))
			ck_abort_msg("%s: column %s row %lld: string mismatch", file, c->name,
				(long long)ro);
	}
	}
}

START_TEST(roundtrip_our_reader)
{
	make_tmp();
	fr_wcase_data d;
	fr_err e = { 0 };
	ck_assert_int_eq(fr_wcase_build(&d, &e), 0);
	for (int i = 0; i < fr_wcase_count(); i++) {
		char path[4096];
		if (fr_wcase_write(tmpdir, i, &d, path, sizeof path, &e))
			ck_abort_msg("write: %s", e.msg);
		fr_pq_file *f;
		if (fr_pq_open_path(path, &f, &e))
			ck_abort_msg("open: %s", e.msg);
		int64_t total = 0;
		for (int g = 0; g < d.nrg; g++)
			total += d.rg_rows[g];
		ck_assert_int_eq(fr_pq_num_rows(f), total);
		ck_assert_int_eq(fr_pq_num_row_groups(f), d.nrg);
		ck_assert_int_eq(fr_pq_num_columns(f), d.ncols);
		ck_assert_ptr_nonnull(strstr(fr_pq_created_by(f), "frocket version"));
		for (int c = 0; c < d.ncols; c++) {
			fr_pq_colinfo ci;
			ck_assert_int_eq(fr_pq_column_info(f, c, &ci), 0);
			ck_assert_str_eq(ci.name, d.cols[c].name);
			ck_assert_int_eq(ci.physical_type, d.cols[c].type);
			ck_assert_int_eq(ci.optional, d.cols[c].optional);
			if (d.cols[c].type == FR_PQ_BYTE_ARRAY)
				ck_assert_int_eq(ci.type, FR_TYPE_STRING);
			fr_arena *a = fr_arena_new(0);
			fr_vec out;
			if (fr_pq_load_column(f, c, NULL, a, &out, &e))
				ck_abort_msg("%s: load %s: %s", path, d.cols[c].name, e.msg);
			ck_assert_int_eq(out.len, total);
			int64_t ro = 0;
			for (int g = 0; g < d.nrg; g++) {
				for (int64_t r = 0; r < d.rg_rows[g]; r++, ro++)
					check_value(&d.cols[c], &d.vec[g][c], r, &out, ro, path);
				/* Statistics: null count always; INT64 min/max exact. */
				fr_pq_chunkinfo chi;
				ck_assert_int_eq(fr_pq_chunk_info(f, g, c, &chi), 0);
				ck_assert_int_eq(chi.has_null_count, 1);
				ck_assert_int_eq(chi.null_count, d.vec[g][c].null_count);
				const fr_vec *in = &d.vec[g][c];
				if (d.cols[c].type == FR_PQ_INT64 && in->null_count < in->len) {
					int64_t mn = INT64_MAX, mx = INT64_MIN;
					for (int64_t r = 0; r < in->len; r++)
						if (fr_vec_valid(in, r)) {
							mn = in->v.i64[r] < mn ? in->v.i64[r] : mn;
							mx = in->v.i64[r] > mx ? in->v.i64[r] : mx;
						}
					ck_assert(chi.has_min && chi.has_max);
					int64_t smn, smx;
					memcpy(&smn, chi.min, 8);
					memcpy(&smx, chi.max, 8);
					ck_assert(smn == mn && smx == mx);
				}
			}
			fr_arena_free(a);
		}
		/* Pruning trusts our statistics: rowid ranges select exactly their row groups. */
		uint8_t keep[FR_WCASE_RGS];
		ck_assert_int_eq(fr_pq_prune_range(f, 0, 1, 3001, 1, 3002, keep, &e), 0);
		ck_assert_int_eq(keep[0], 0);
		ck_assert_int_eq(keep[1], 0);
		ck_assert_int_eq(keep[2], 1);
		fr_pq_close(f);
	}
	fr_wcase_free(&d);
	rm_tmp();
}
END_TEST


/* Every row of a set of files serialised as bytes (column by column, with a null marker), so
 * two datasets can be compared as multisets by sorting. */
typedef struct rowset {
	fr_buf bytes;
	int64_t *start;      /* n + 1 offsets */
	int64_t n;
	int64_t *gid;        /* group id per row (the INT64 column `gcol`) */
	int *file;           /* file index per row */
} rowset;

static void load_rows(rowset *rs, char **paths, int np, const char *gname)
{
	memset(rs, 0, sizeof *rs);
	rs->n = 0;
	rs->bytes = (fr_buf)FR_BUF_INIT;
	int64_t total = 0;
	for (int i = 0; i < np; i++) {
		fr_pq_file *f;
		fr_err e = { 0 };
		if (fr_pq_open_path(paths[i], &f, &e))
			ck_abort_msg("%s", e.msg);
		total += fr_pq_num_rows(f);
		fr_pq_close(f);
	}
	rs->start = calloc((size_t)total + 1, 8);
	rs->gid = calloc((size_t)total + 1, 8);
	rs->file = calloc((size_t)total + 1, sizeof(int));
	for (int i = 0; i < np; i++) {
		fr_pq_file *f;
		fr_err e = { 0 };
		ck_assert_int_eq(fr_pq_open_path(paths[i], &f, &e), 0);
		int nc = fr_pq_num_columns(f), g = fr_pq_column_index(f, gname);
		ck_assert_int_ge(g, 0);
		int64_t n = fr_pq_num_rows(f);
		fr_arena *a = fr_arena_new(0);
		fr_pq_phys *ph = fr_arena_calloc(a, (size_t)nc, sizeof *ph);
		for (int c = 0; c < nc; c++)
			if (fr_pq_load_physical(f, c, -1, a, &ph[c], &e))
				ck_abort_msg("%s", e.msg);
		for (int64_t r = 0; r < n; r++) {
			int64_t k = rs->n++;
			rs->start[k] = (int64_t)rs->bytes.len;
			rs->file[k] = i;
			memcpy(&rs->gid[k], ph[g].data + r * 8, 8);
			for (int c = 0; c < nc; c++) {
				int valid = !ph[c].valid || fr_bit_get(ph[c].valid, r);
				fr_buf_putc(&rs->bytes, (uint8_t)valid);
				if (!valid)
					continue;
				if (ph[c].width)
					fr_buf_append(&rs->bytes, ph[c].data + r * ph[c].width,
						(size_t)ph[c].width);
				else {
					int64_t s0 = ph[c].bin.off[r], s1 = ph[c].bin.off[r + 1];
					fr_buf_put_u32le(&rs->bytes, (uint32_t)(s1 - s0));
					fr_buf_append(&rs->bytes, ph[c].bin.data + s0, (size_t)(s1 - s0));
				}
			}
		}
		rs->start[rs->n] = (int64_t)rs->bytes.len;
		fr_arena_free(a);
		fr_pq_close(f);
	}
}

static const rowset *cmp_rs;
static int cmp_rows(const void *a, const void *b)
{
	int64_t i = *(const int64_t *)a, j = *(const int64_t *)b;
	int64_t li = cmp_rs->start[i + 1] - cmp_rs->start[i];
	int64_t lj = cmp_rs->start[j + 1] - cmp_rs->start[j];
	int c = memcmp(cmp_rs->bytes.data + cmp_rs->start[i], cmp_rs->bytes.data + cmp_rs->start[j],
		(size_t)(li < lj ? li : lj));
	return c ? c : (li > lj) - (li < lj);
}

static int64_t *sorted_order(const rowset *rs)
{
	int64_t *ord = malloc(sizeof(int64_t) * (size_t)(rs->n + 1));
	for (int64_t i = 0; i < rs->n; i++)
		ord[i] = i;
	cmp_rs = rs;
	qsort(ord, (size_t)rs->n, sizeof *ord, cmp_rows);
	return ord;
}

/* Snappy pages are decompressed two at a time (the next page, in the chunk or the next
 * selected row group, with the current one).  A corrupt page must still fail as itself, naming
 * its row group, and only when it is reached: the row groups before it and a selection
 * without it load. */
START_TEST(paired_pages_corrupt_one)
{
	make_tmp();
	char path[4096];
	snprintf(path, sizeof path, "%s/paired.parquet", tmpdir);
	fr_pqw_col cols[2] = { { .name = "ts", .type = FR_PQ_INT64, .optional = 1 },
	                       { .name = "x", .type = FR_PQ_DOUBLE, .optional = 1 } };
	fr_pqw_opts o;
	fr_pqw_opts_default(&o);
	o.page_size = 16384; /* several pages per chunk */
	fr_pqw *w;
	fr_err e = { 0 };
	ck_assert_int_eq(fr_pqw_open(path, cols, 2, &o, &w, &e), 0);
	enum { RGS = 5, ROWS = 20000 };
	static int64_t ts[ROWS];
	static double x[ROWS];
	static uint64_t valid[FR_BITMAP_WORDS(ROWS)];
	for (int g = 0; g < RGS; g++) {
		memset(valid, 0, sizeof valid);
		int64_t nulls = 0;
		for (int i = 0; i < ROWS; i++) {
			ts[i] = 1430622000000LL + (int64_t)((uint64_t)(g * ROWS + i) * 2654435761u % 99999989);
			x[i] = (double)((g * ROWS + i) % 1000) / 8;
			if ((i * 7 + g) % 23) {
				fr_bit_set(valid, i);
			} else {
				ts[i] = 0;
				x[i] = 0;
				nulls++;
			}
		}
		fr_vec v[2] = {
			{ .kind = FR_VEC_I64, .len = ROWS, .null_count = nulls, .valid = valid, .v.i64 = ts },
			{ .kind = FR_VEC_F64, .len = ROWS, .null_count = nulls, .valid = valid, .v.f64 = x },
		};
		ck_assert_int_eq(fr_pqw_write_row_group(w, ROWS, v, &e), 0);
	}
	ck_assert_int_eq(fr_pqw_close(w, &e), 0);
	/* intact: every value back, across page and chunk pairs */
	fr_pq_file *f;
	ck_assert_int_eq(fr_pq_open_path(path, &f, &e), 0);
	fr_arena *a = fr_arena_new(0);
	fr_vec out;
	ck_assert_int_eq(fr_pq_load_column(f, 0, NULL, a, &out, &e), 0);
	ck_assert_int_eq(out.len, RGS * ROWS);
	for (int g = 0; g < RGS; g++)
		for (int i = 0; i < ROWS; i++) {
			int isnull = !((i * 7 + g) % 23);
			int64_t r = (int64_t)g * ROWS + i;
			/* first difference only: no assert per row */
			if (fr_vec_valid(&out, r) != !isnull)
				ck_abort_msg("row %lld: valid %d, want %d", (long long)r,
				             fr_vec_valid(&out, r), !isnull);
			int64_t want = 1430622000000LL +
				(int64_t)((uint64_t)(g * ROWS + i) * 2654435761u % 99999989);
			if (!isnull && out.v.i64[r] != want)
				ck_abort_msg("row %lld: %lld, want %lld", (long long)r,
				             (long long)out.v.i64[r], (long long)want);
		}
	fr_pq_chunkinfo ci;
	ck_assert_int_eq(fr_pq_chunk_info(f, 2, 0, &ci), 0);
	ck_assert_int_eq(ci.codec, FR_PQ_CODEC_SNAPPY);
	fr_pq_close(f);
	fr_arena_free(a);
	/* corrupt row group 2's ts chunk at eight places in turn (so the bad page is the first or
	 * the second of a pair, in the chunk or across chunks): a run of 0xff bytes is a copy from
	 * before the start, which snappy must refuse */
	FILE *src = fopen(path, "rb");
	ck_assert_ptr_nonnull(src);
	static uint8_t file[1 << 22];
	size_t fsz = fread(file, 1, sizeof file, src);
	fclose(src);
	ck_assert(fsz > 0 && fsz < sizeof file);
	char bad_path[4200];
	snprintf(bad_path, sizeof bad_path, "%s.bad", path);
	for (int place = 1; place <= 8; place++) {
		static uint8_t copy[1 << 22];
		memcpy(copy, file, fsz);
		int64_t at = ci.data_page_offset + ci.compressed_size * place / 9;
		memset(copy + at, 0xff, 64);
		FILE *fp = fopen(bad_path, "wb");
		ck_assert_ptr_nonnull(fp);
		ck_assert_int_eq(fwrite(copy, 1, fsz, fp), fsz);
		fclose(fp);
		ck_assert_int_eq(fr_pq_open_path(bad_path, &f, &e), 0);
		a = fr_arena_new(0);
		int rc = fr_pq_load_column(f, 0, NULL, a, &out, &e);
		ck_assert_int_ne(rc, 0);
		ck_assert_msg(strstr(e.msg, "row group 2") && strstr(e.msg, "snappy"), "%s", e.msg);
		uint8_t keep[RGS] = { 1, 1, 0, 1, 1 };
		ck_assert_int_eq(fr_pq_load_column(f, 0, keep, a, &out, &e), 0);
		ck_assert_int_eq(out.len, 4 * ROWS);
		uint8_t first_two[RGS] = { 1, 1, 0, 0, 0 };
		ck_assert_int_eq(fr_pq_load_column(f, 0, first_two, a, &out, &e), 0);
		ck_assert_int_eq(fr_pq_load_column(f, 1, NULL, a, &out, &e), 0); /* the other column */
		fr_pq_close(f);
		fr_arena_free(a);
	}
	unlink(bad_path);
	ck_assert_int_eq(fr_pq_open_path(path, &f, &e), 0);
	a = fr_arena_new(0);
	fr_pq_close(f);
	fr_arena_free(a);
	unlink(path);
}
END_TEST

/* The oracle dataset, 4 parts into nparts within memory_mb, row groups of rgr rows: the same
 * multiset of rows (compared through our reader, byte for byte, nulls included), every group
 * in its documented part, and every output row group rgr rows but a part's last. */
static void repart_oracle(int nparts, int64_t memory_mb, int64_t rgr)
{
	make_tmp();
	const char *top = getenv("FR_TOP_SRCDIR");
	char *in[4], *out[16];
	ck_assert_int_le(nparts, 16);
	for (int i = 0; i < 4; i++) {
		in[i] = malloc(4096);
		snprintf(in[i], 4096, "%s/tests/data/oracle/data/part-%05d.parquet", top ? top : ".", i);
	}
	for (int i = 0; i < nparts; i++) {
		out[i] = malloc(4096);
		snprintf(out[i], 4096, "%s/out/part-%05d.parquet", tmpdir, i);
	}
	char outdir[512];
	snprintf(outdir, sizeof outdir, "%s/out", tmpdir);
	fr_repart_opts o;
	fr_repart_opts_default(&o);
	o.group_col = "uid";
	o.parts = nparts;
	o.out = outdir;
	o.progress = 0;
	o.memory_mb = memory_mb;
	o.row_group_rows = rgr;
	o.inputs = (const char *const *)in;
	o.ninputs = 4;
	fr_err e = { 0 };
	if (fr_repart_run(&o, &e))
		ck_abort_msg("repartition: %s", e.msg);
	ck_assert_int_eq(count_dir(outdir, ".tmp"), 0);
	rowset a, b;
	load_rows(&a, in, 4, "uid");
	load_rows(&b, out, nparts, "uid");
	ck_assert_int_eq(a.n, 51046);
	ck_assert_int_eq(a.n, b.n);
	int64_t misplaced = 0;
	for (int64_t r = 0; r < b.n; r++)
		misplaced += b.file[r] != (int)fr_part_of_int(b.gid[r], (uint32_t)nparts);
	ck_assert_int_eq(misplaced, 0);
	int64_t *oa = sorted_order(&a), *ob = sorted_order(&b);
	for (int64_t r = 0; r < a.n; r++) {
		int64_t la = a.start[oa[r] + 1] - a.start[oa[r]];
		int64_t lb = b.start[ob[r] + 1] - b.start[ob[r]];
		if (la != lb || memcmp(a.bytes.data + a.start[oa[r]], b.bytes.data + b.start[ob[r]],
				(size_t)la))
			ck_abort_msg("row multisets differ at sorted row %lld", (long long)r);
	}
	for (int i = 0; i < nparts; i++) {
		fr_pq_file *f;
		ck_assert_int_eq(fr_pq_open_path(out[i], &f, &e), 0);
		int nrg = fr_pq_num_row_groups(f);
		for (int g = 0; g < nrg; g++) {
			int64_t rows = fr_pq_row_group_rows(f, g);
			if (g < nrg - 1 ? rows != rgr : rows < 1 || rows > rgr)
				ck_abort_msg("part %d row group %d of %d has %lld rows, --row-group-rows %lld",
					i, g, nrg, (long long)rows, (long long)rgr);
		}
		fr_pq_close(f);
	}
	free(oa);
	free(ob);
	rowset *sets[2] = { &a, &b };
	for (int k = 0; k < 2; k++) {
		fr_buf_free(&sets[k]->bytes);
		free(sets[k]->start);
		free(sets[k]->gid);
		free(sets[k]->file);
	}
	for (int i = 0; i < 4; i++)
		free(in[i]);
	for (int i = 0; i < nparts; i++)
		free(out[i]);
	rm_tmp();
}

START_TEST(repartition_oracle_our_reader)
{
	repart_oracle(7, 16, 1000000);
}
END_TEST

/* Issue 13: --row-group-rows is exact (it was exceeded by whatever a slice held), at sizes
 * that cut validity bitmaps off word boundaries, over budgets that force early writes. */
START_TEST(repartition_row_group_rows_exact)
{
	repart_oracle(3, 12, 300);
	repart_oracle(5, 16, 77);
	repart_oracle(1, 12, 64);
}
END_TEST

/* Issue 13: a row group whose single pass cannot fit the budget is refused before anything
 * is written, naming the --memory that would do; that --memory then works. */
START_TEST(repartition_memory_refused_with_minimum)
{
	make_tmp();
	char gdir[512], odir[512], in[600];
	snprintf(gdir, sizeof gdir, "%s/g", tmpdir);
	snprintf(odir, sizeof odir, "%s/o", tmpdir);
	snprintf(in, sizeof in, "%s/part-00000.parquet", gdir);
	fr_gen_opts g;
	fr_gen_opts_default(&g);
	g.out = gdir;
	g.parts = 1;
	g.rows = 200000;
	g.row_group_rows = 200000;
	g.progress = 0;
	g.threads = 1;
	fr_err e = { 0 };
	ck_assert_int_eq(fr_gen_run(&g, &e), 0);
	const char *inputs[1] = { in };
	fr_repart_opts o;
	fr_repart_opts_default(&o);
	o.group_col = "visitorid";
	o.parts = 4;
	o.out = odir;
	o.progress = 0;
	o.memory_mb = 12;
	o.inputs = inputs;
	o.ninputs = 1;
	ck_assert_int_ne(fr_repart_run(&o, &e), 0);
	ck_assert_msg(strstr(e.msg, "--memory 12 is too small for") && strstr(e.msg, "200000 rows"),
		"%s", e.msg);
	ck_assert_int_ne(access(odir, F_OK), 0);   /* nothing written, not even the directory */
	const char *use = strstr(e.msg, "use --memory ");
	ck_assert_ptr_nonnull(use);
	o.memory_mb = atoll(use + strlen("use --memory "));
	ck_assert_int_gt(o.memory_mb, 12);
	if (fr_repart_run(&o, &e))
		ck_abort_msg("with the --memory named: %s", e.msg);
	rm_tmp();
}
END_TEST

START_TEST(repartition_keeps_annotations)
{
	/* DATE on INT32 and TIMESTAMP_MILLIS on INT64 survive a repartition; a string group id
	 * column works; DECIMAL is refused by name. */
	make_tmp();
	char in[512], outdir[512], out0[600];
	snprintf(in, sizeof in, "%s/in.parquet", tmpdir);
	snprintf(outdir, sizeof outdir, "%s/out", tmpdir);
	snprintf(out0, sizeof out0, "%s/part-00000.parquet", outdir);
	fr_pqw_col cols[3] = { { "day", FR_PQ_INT32, 0, 0, FR_PQ_CT_DATE },
		{ "ts", FR_PQ_INT64, 1, 0, FR_PQ_CT_TIMESTAMP_MILLIS },
		{ "user", FR_PQ_BYTE_ARRAY, 0, 1, 0 } };
	fr_pqw *w;
	fr_err e = { 0 };
	ck_assert_int_eq(fr_pqw_open(in, cols, 3, NULL, &w, &e), 0);
	int64_t day[4] = { 19000, 19001, 19002, 19003 }, ts[4] = { 1, 2, 0, 4 };
	uint64_t tsvalid = 0xb;
	int64_t off[5] = { 0, 1, 2, 3, 4 };
	fr_vec v[3];
	memset(v, 0, sizeof v);
	v[0].kind = FR_VEC_I64; v[0].len = 4; v[0].v.i64 = day;
	v[1].kind = FR_VEC_I64; v[1].len = 4; v[1].v.i64 = ts; v[1].valid = &tsvalid;
	v[1].null_count = 1;
	v[2].kind = FR_VEC_BIN; v[2].len = 4; v[2].dict = (fr_strtab){ 4, off, (const uint8_t *)"abca" };
	ck_assert_int_eq(fr_pqw_write_row_group(w, 4, v, &e), 0);
	ck_assert_int_eq(fr_pqw_close(w, &e), 0);

	const char *inputs[1] = { in };
	fr_repart_opts o;
	fr_repart_opts_default(&o);
	o.group_col = "user";
	o.parts = 1;
	o.out = outdir;
	o.progress = 0;
	o.inputs = inputs;
	o.ninputs = 1;
	if (fr_repart_run(&o, &e))
		ck_abort_msg("%s", e.msg);
	fr_pq_file *f;
	ck_assert_int_eq(fr_pq_open_path(out0, &f, &e), 0);
	fr_pq_colinfo ci;
	ck_assert_int_eq(fr_pq_column_info(f, 0, &ci), 0);
	ck_assert_int_eq(ci.converted, FR_PQ_CT_DATE);
	ck_assert_int_eq(ci.physical_type, FR_PQ_INT32);
	ck_assert_int_eq(fr_pq_column_info(f, 1, &ci), 0);
	ck_assert_int_eq(ci.converted, FR_PQ_CT_TIMESTAMP_MILLIS);
	ck_assert_int_eq(ci.optional, 1);
	ck_assert_int_eq(fr_pq_column_info(f, 2, &ci), 0);
	ck_assert_int_eq(ci.type, FR_TYPE_STRING);
	ck_assert_int_eq(fr_pq_num_rows(f), 4);
	fr_pq_close(f);

	/* DECIMAL: refused with the column's name. */
	fr_pqw_col dcol[1] = { { "amount", FR_PQ_INT64, 0, 0, FR_PQ_CT_DECIMAL } };
	ck_assert_int_eq(fr_pqw_open(in, dcol, 1, NULL, &w, &e), 0);
	ck_assert_int_eq(fr_pqw_write_row_group(w, 4, v, &e), 0);
	ck_assert_int_eq(fr_pqw_close(w, &e), 0);
	o.group_col = "amount";
	ck_assert_int_ne(fr_repart_run(&o, &e), 0);
	ck_assert_ptr_nonnull(strstr(e.msg, "amount"));
	rm_tmp();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("writer");
	TCase *tc = tcase_create("writer");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, rle_roundtrip);
	tcase_add_test(tc, rle_bits_windows);
	tcase_add_test(tc, thrift_bytes);
	tcase_add_test(tc, partition_hash_pinned);
	tcase_add_test(tc, args_counts);
	tcase_add_test(tc, args_overflow_and_bounds);
	tcase_add_test(tc, outset_all_or_nothing);
	tcase_add_test(tc, writer_errors);
	tcase_add_test(tc, roundtrip_our_reader);
	tcase_add_test(tc, paired_pages_corrupt_one);
	tcase_add_test(tc, repartition_oracle_our_reader);
	tcase_add_test(tc, repartition_row_group_rows_exact);
	tcase_add_test(tc, repartition_memory_refused_with_minimum);
	tcase_add_test(tc, repartition_keeps_annotations);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
