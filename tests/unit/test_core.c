/* Unit tests for src/core: arena, buffers, errors, configuration parsing. */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <math.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/bin.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/error.h"
#include "core/file.h"
#include "core/hash.h"
#include "core/log.h"

START_TEST(arena_alignment_and_large)
{
	fr_arena *a = fr_arena_new(1024);
	ck_assert_ptr_nonnull(a);
	for (int i = 0; i < 100; i++) {
		void *p = fr_arena_alloc(a, (size_t)i * 7 + 1);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq((uintptr_t)p % 64, 0);
		memset(p, 0xab, (size_t)i * 7 + 1);
	}
	char *big = fr_arena_alloc(a, 1 << 20);
	ck_assert_ptr_nonnull(big);
	memset(big, 1, 1 << 20);
	ck_assert_ptr_null(fr_arena_alloc(a, SIZE_MAX));
	ck_assert_ptr_null(fr_arena_calloc(a, SIZE_MAX / 2, 4));
	int *z = fr_arena_calloc(a, 10, sizeof(int));
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(z[i], 0);
	ck_assert_str_eq(fr_arena_strndup(a, "hello", 3), "hel");
	ck_assert_uint_ge(fr_arena_used(a), (size_t)(1 << 20));
	fr_arena_free(a);
}
END_TEST

/* Freed big blocks are reused by the next arena of the same thread, never for a request under
 * half their size, and the cache can be released. */
START_TEST(arena_block_cache)
{
	fr_arena_cache_release();
	ck_assert_uint_eq(fr_arena_cache_bytes(), 0);
	fr_arena *a = fr_arena_new(0);
	char *big = fr_arena_alloc(a, 4 << 20);
	ck_assert_ptr_nonnull(big);
	memset(big, 7, 4 << 20);
	fr_arena_free(a);
	ck_assert_uint_ge(fr_arena_cache_bytes(), (size_t)4 << 20);
	a = fr_arena_new(0);
	ck_assert_ptr_nonnull(fr_arena_alloc(a, 1 << 20)); /* too small for the cached block */
	ck_assert_uint_ge(fr_arena_cache_bytes(), (size_t)4 << 20);
	char *again = fr_arena_alloc(a, 3 << 20);
	ck_assert_ptr_eq(again, big);
	ck_assert_uint_eq(fr_arena_cache_bytes(), 0);
	memset(again, 1, 3 << 20);
	fr_arena_free(a);
	ck_assert_uint_gt(fr_arena_cache_bytes(), 0);
	fr_arena_cache_release();
	ck_assert_uint_eq(fr_arena_cache_bytes(), 0);
}
END_TEST

START_TEST(buf_varint_and_printf)
{
	fr_buf b = FR_BUF_INIT;
	ck_assert_int_eq(fr_buf_put_varint(&b, 300), 0);
	ck_assert_uint_eq(b.len, 2);
	ck_assert_uint_eq(b.data[0], 0xac);
	ck_assert_uint_eq(b.data[1], 0x02);
	fr_buf_reset(&b);
	ck_assert_int_eq(fr_buf_printf(&b, "%s-%d", "x", 42), 0);
	ck_assert_uint_eq(b.len, 4);
	ck_assert_int_eq(memcmp(b.data, "x-42", 4), 0);
	fr_buf_free(&b);
	ck_assert_ptr_null(b.data);
}
END_TEST

START_TEST(err_prefix)
{
	fr_err e = { 0 };
	ck_assert_int_eq(fr_err_set(&e, FR_ECORRUPT, "bad page %d", 3), FR_ECORRUPT);
	fr_err_prefix(&e, "col %s", "price");
	fr_err_prefix(&e, "part-00001.parquet");
	ck_assert_str_eq(e.msg, "part-00001.parquet: col price: bad page 3");
	ck_assert_str_eq(fr_err_code_str(FR_ECORRUPT), "corrupt input");
}
END_TEST

START_TEST(config_parsing)
{
	fr_err e = { 0 };
	int64_t i;
	double d;
	int b;
	char name[64];
	fr_config_env_name("invoker.run.timeout", name, sizeof name);
	ck_assert_str_eq(name, "FROCKET_INVOKER_RUN_TIMEOUT");
	unsetenv("FROCKET_TEST_X");
	ck_assert_int_eq(fr_config_int("test.x", 7, &i, &e), 0);
	ck_assert_int_eq(i, 7);
	setenv("FROCKET_TEST_X", "12", 1);
	ck_assert_int_eq(fr_config_int("test.x", 7, &i, &e), 0);
	ck_assert_int_eq(i, 12);
	setenv("FROCKET_TEST_X", "12abc", 1);
	ck_assert_int_eq(fr_config_int("test.x", 7, &i, &e), FR_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "FROCKET_TEST_X"));
	setenv("FROCKET_TEST_X", "0.25", 1);
	ck_assert_int_eq(fr_config_double("test.x", 1, &d, &e), 0);
	ck_assert(d == 0.25);
	setenv("FROCKET_TEST_X", "TRUE", 1);
	ck_assert_int_eq(fr_config_bool("test.x", 0, &b, &e), 0);
	ck_assert_int_eq(b, 1);
	setenv("FROCKET_TEST_X", "maybe", 1);
	ck_assert_int_eq(fr_config_bool("test.x", 0, &b, &e), FR_EINVAL);
	ck_assert_msg(strstr(e.msg, "FROCKET_TEST_X='maybe'") != NULL, "%s", e.msg);
	ck_assert_int_eq(fr_log_parse_level("WARN"), FR_LOG_WARNING);
	ck_assert_int_eq(fr_log_parse_level("verbose"), -1);
}
END_TEST

/* Issue 13: booleans accept exactly true/false, 1/0, yes/no, on/off in any case; a variable
 * set but empty is an error naming it, for every kind. */
START_TEST(config_strict)
{
	static const char *const yes[] = { "true", "TRUE", "1", "yes", "Yes", "on", "ON" };
	static const char *const no[] = { "false", "False", "0", "no", "NO", "off", "OFF", "oFf" };
	static const char *const badb[] = { "maybe", "2", "y", "n", "onn", " on", "" };
	fr_err e = { 0 };
	int b;
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		setenv("FROCKET_TEST_B", yes[i], 1);
		b = -1;
		ck_assert_msg(fr_config_bool("test.b", 0, &b, &e) == 0 && b == 1, "%s", yes[i]);
	}
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
		setenv("FROCKET_TEST_B", no[i], 1);
		b = -1;
		ck_assert_msg(fr_config_bool("test.b", 1, &b, &e) == 0 && b == 0, "%s", no[i]);
	}
	for (size_t i = 0; i < sizeof badb / sizeof badb[0]; i++) {
		setenv("FROCKET_TEST_B", badb[i], 1);
		fr_err_clear(&e);
		ck_assert_msg(fr_config_bool("test.b", 1, &b, &e) == FR_EINVAL, "'%s' accepted", badb[i]);
		ck_assert_msg(strstr(e.msg, "FROCKET_TEST_B") != NULL, "%s", e.msg);
	}
	unsetenv("FROCKET_TEST_B");
	ck_assert_int_eq(fr_config_bool("test.b", 1, &b, &e), 0);
	ck_assert_int_eq(b, 1);

	/* set but empty: an error for every typed getter, never the default */
	int64_t i64;
	double d;
	int idx;
	static const char *const names[] = { "auto", "scalar", NULL };
	setenv("FROCKET_TEST_E", "", 1);
	fr_err_clear(&e);
	ck_assert_int_eq(fr_config_int("test.e", 5, &i64, &e), FR_EINVAL);
	ck_assert_msg(strstr(e.msg, "FROCKET_TEST_E is set but empty") != NULL, "%s", e.msg);
	ck_assert_int_eq(fr_config_double("test.e", 5, &d, &e), FR_EINVAL);
	ck_assert_int_eq(fr_config_enum("test.e", names, 0, &idx, &e), FR_EINVAL);
	ck_assert_str_eq(fr_config_str("test.e", "dflt"), "");
	unsetenv("FROCKET_TEST_E");
	ck_assert_str_eq(fr_config_str("test.e", "dflt"), "dflt");
	setenv("FROCKET_TEST_E", "SCALAR", 1);
	ck_assert_int_eq(fr_config_enum("test.e", names, 0, &idx, &e), 0);
	ck_assert_int_eq(idx, 1);
	setenv("FROCKET_TEST_E", "fast", 1);
	ck_assert_int_eq(fr_config_enum("test.e", names, 0, &idx, &e), FR_EINVAL);
	ck_assert_msg(strstr(e.msg, "FROCKET_TEST_E='fast'") && strstr(e.msg, "auto, scalar"), "%s",
	              e.msg);
	unsetenv("FROCKET_TEST_E");
}
END_TEST

static void count_report(const char *msg, void *ctx)
{
	fr_buf *b = ctx;
	fr_buf_printf(b, "%s\n", msg);
}

/* Known settings are range-checked by the getters and by fr_config_check_env, which names each
 * bad variable (and only the bad ones) with its value. */
START_TEST(config_known_ranges)
{
	static const char *const vars[] = { "FROCKET_LOCAL_THREADS", "FROCKET_SIMD",
		"FROCKET_AGGREGATIONS_TOP_DEFAULT_COUNT", "FROCKET_AGGREGATIONS_TOP_GRACE_FACTOR",
		"FROCKET_AGGREGATIONS_EXACT_LIMIT", "FROCKET_PARQUET_STATS", "FROCKET_PROGRESS",
		"FROCKET_LOG_LEVEL", "FROCKET_LOG_FILE" };
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		unsetenv(vars[i]);
	fr_buf b = FR_BUF_INIT;
	ck_assert_int_eq(fr_config_check_env(count_report, &b), 0);
	fr_err e = { 0 };
	int64_t n;
	double d;
	setenv("FROCKET_LOCAL_THREADS", "0", 1);
	ck_assert_int_eq(fr_config_int("local.threads", 2, &n, &e), FR_EINVAL);
	ck_assert_msg(strstr(e.msg, "FROCKET_LOCAL_THREADS='0': must be between 1 and 4096"), "%s",
	              e.msg);
	setenv("FROCKET_LOCAL_THREADS", "99999999999999999999", 1);
	ck_assert_int_eq(fr_config_int("local.threads", 2, &n, &e), FR_EINVAL);
	ck_assert_msg(strstr(e.msg, "must be between 1 and 4096"), "%s", e.msg);
	setenv("FROCKET_LOCAL_THREADS", "4096", 1);
	ck_assert_int_eq(fr_config_int("local.threads", 2, &n, &e), 0);
	ck_assert_int_eq(n, 4096);
	setenv("FROCKET_AGGREGATIONS_TOP_GRACE_FACTOR", "0.5", 1);
	ck_assert_int_eq(fr_config_double("aggregations.top.grace.factor", 2, &d, &e), FR_EINVAL);
	setenv("FROCKET_AGGREGATIONS_TOP_GRACE_FACTOR", "nan", 1);
	ck_assert_int_eq(fr_config_double("aggregations.top.grace.factor", 2, &d, &e), FR_EINVAL);
	unsetenv("FROCKET_AGGREGATIONS_TOP_GRACE_FACTOR");
	/* one bad variable among good ones: exactly one message, naming it and its value */
	setenv("FROCKET_LOCAL_THREADS", "3", 1);
	setenv("FROCKET_AGGREGATIONS_TOP_DEFAULT_COUNT", "20", 1);
	setenv("FROCKET_AGGREGATIONS_EXACT_LIMIT", "-1", 1);
	setenv("FROCKET_PARQUET_STATS", "OFF", 1);
	ck_assert_int_eq(fr_config_check_env(count_report, &b), 1);
	fr_buf_putc(&b, 0);
	ck_assert_str_eq((const char *)b.data,
	                 "FROCKET_AGGREGATIONS_EXACT_LIMIT='-1': must be at least 1\n");
	fr_buf_reset(&b);
	/* every kind: empty and malformed values are all reported */
	setenv("FROCKET_AGGREGATIONS_EXACT_LIMIT", "", 1);
	setenv("FROCKET_PARQUET_STATS", "maybe", 1);
	setenv("FROCKET_SIMD", "", 1);
	setenv("FROCKET_LOG_LEVEL", "loud", 1);
	setenv("FROCKET_LOG_FILE", "", 1);
	setenv("FROCKET_PROGRESS", "2", 1);
	ck_assert_int_eq(fr_config_check_env(count_report, &b), 6);
	fr_buf_putc(&b, 0);
	const char *all = (const char *)b.data;
	ck_assert_msg(strstr(all, "FROCKET_AGGREGATIONS_EXACT_LIMIT is set but empty") &&
	              strstr(all, "FROCKET_PARQUET_STATS='maybe'") &&
	              strstr(all, "FROCKET_SIMD is set but empty") &&
	              strstr(all, "FROCKET_LOG_LEVEL='loud'") &&
	              strstr(all, "FROCKET_LOG_FILE is set but empty") &&
	              strstr(all, "FROCKET_PROGRESS='2'") && !strstr(all, "LOCAL_THREADS"), "%s", all);
	ck_assert_int_eq(fr_log_init(0, &e), FR_EINVAL);
	ck_assert_msg(strstr(e.msg, "FROCKET_LOG_LEVEL='loud'"), "%s", e.msg);
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		unsetenv(vars[i]);
	fr_buf_free(&b);
}
END_TEST

/* Issue 13: a FIFO, a directory or a device is refused by what it is, without blocking in
 * open() (a FIFO without a writer would block a plain open forever: the test's timeout). */
START_TEST(file_regular_only)
{
	char dir[] = "/tmp/frocket-test-core.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char fifo[128], reg[128];
	snprintf(fifo, sizeof fifo, "%s/fifo", dir);
	snprintf(reg, sizeof reg, "%s/reg", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	FILE *f = fopen(reg, "w");
	ck_assert_ptr_nonnull(f);
	fputs("abc", f);
	fclose(f);
	fr_err e = { 0 };
	struct stat st;
	int fd = 123;
	ck_assert_int_eq(fr_file_open_regular(fifo, &fd, &st, &e), FR_EINVAL);
	ck_assert_int_eq(fd, -1);
	ck_assert_msg(strstr(e.msg, "/fifo: is a FIFO, not a regular file"), "%s", e.msg);
	ck_assert_int_eq(fr_file_open_regular(dir, &fd, &st, &e), FR_EINVAL);
	ck_assert_msg(strstr(e.msg, ": is a directory"), "%s", e.msg);
	ck_assert_int_eq(fr_file_open_regular("/dev/null", &fd, &st, &e), FR_EINVAL);
	ck_assert_str_eq(e.msg, "/dev/null: is a character device, not a regular file");
	ck_assert_int_eq(fr_file_stat_regular(fifo, &st, &e), FR_EINVAL);
	snprintf(fifo, sizeof fifo, "%s/missing", dir);
	ck_assert_int_eq(fr_file_open_regular(fifo, &fd, &st, &e), FR_ENOTFOUND);
	ck_assert_msg(strstr(e.msg, "No such file or directory"), "%s", e.msg);
	ck_assert_int_eq(fr_file_open_regular(reg, &fd, &st, &e), 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(st.st_size, 3);
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	ck_assert_int_ne(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	close(fd);
	ck_assert_str_eq(fr_file_type_name(S_IFSOCK), "socket");
	ck_assert_str_eq(fr_file_type_name(S_IFBLK), "block device");
	unlink(reg);
	unlink(fifo);
	snprintf(fifo, sizeof fifo, "%s/fifo", dir);
	unlink(fifo);
	rmdir(dir);
}
END_TEST

START_TEST(bin_round_trip)
{
	fr_buf b = FR_BUF_INIT;
	ck_assert_int_eq(fr_bin_u8(&b, 0xab), 0);
	ck_assert_int_eq(fr_bin_u32(&b, 0xdeadbeef), 0);
	ck_assert_int_eq(fr_bin_i32(&b, -7), 0);
	ck_assert_int_eq(fr_bin_u64(&b, 0x0102030405060708ull), 0);
	ck_assert_int_eq(fr_bin_i64(&b, INT64_MIN), 0);
	ck_assert_int_eq(fr_bin_f64(&b, -0.0), 0);
	ck_assert_int_eq(fr_bin_bytes(&b, "a\0b", 3), 0);
	ck_assert_int_eq(fr_bin_str(&b, NULL), 0);
	ck_assert_int_eq(fr_bin_str(&b, ""), 0);
	ck_assert_int_eq(fr_bin_str(&b, "h\xc3\xa9llo"), 0);
	ck_assert_int_eq(fr_bin_u8(&b, 1), 0);
	ck_assert_int_eq(fr_bin_u32(&b, 2), 0);
	/* little-endian on the wire whatever the host */
	ck_assert_int_eq(b.data[1], 0xef);
	ck_assert_int_eq(b.data[9], 0x08);
	fr_arena *a = fr_arena_new(0);
	fr_bin_reader r;
	fr_bin_reader_init(&r, b.data, b.len);
	ck_assert_uint_eq(fr_bin_get_u8(&r), 0xab);
	ck_assert_uint_eq(fr_bin_get_u32(&r), 0xdeadbeef);
	ck_assert_int_eq(fr_bin_get_i32(&r), -7);
	ck_assert(fr_bin_get_u64(&r) == 0x0102030405060708ull);
	ck_assert(fr_bin_get_i64(&r) == INT64_MIN);
	double z = fr_bin_get_f64(&r);
	ck_assert(z == 0.0 && signbit(z));
	size_t n;
	const uint8_t *p = fr_bin_get_bytes(&r, &n);
	ck_assert(p && n == 3 && !memcmp(p, "a\0b", 3));
	ck_assert_ptr_null(fr_bin_get_str(&r, a));
	ck_assert_int_eq(r.bad, 0);
	ck_assert_str_eq(fr_bin_get_str(&r, a), "");
	ck_assert_str_eq(fr_bin_get_str(&r, a), "h\xc3\xa9llo");
	ck_assert_int_eq(fr_bin_get_bool(&r), 1);
	ck_assert_uint_eq(fr_bin_get_count(&r, 0), 0);   /* 2 items of >= 1 byte, 0 bytes left */
	ck_assert_int_eq(r.bad, 1);
	fr_err e = { 0 };
	ck_assert_int_eq(fr_bin_reader_done(&r, "test record", &e), FR_ECORRUPT);
	ck_assert_msg(strstr(e.msg, "test record") && strstr(e.msg, "count"), "%s", e.msg);
	fr_arena_free(a);
	fr_buf_free(&b);
}
END_TEST

START_TEST(bin_refusals)
{
	fr_arena *a = fr_arena_new(0);
	fr_err e = { 0 };
	fr_bin_reader r;
	/* every short read latches, later reads give zeros, done names the offset */
	const uint8_t three[3] = { 1, 2, 3 };
	fr_bin_reader_init(&r, three, 3);
	ck_assert_uint_eq(fr_bin_get_u8(&r), 1);
	ck_assert_uint_eq(fr_bin_get_u32(&r), 0);
	ck_assert_uint_eq(fr_bin_get_u8(&r), 0);
	ck_assert_int_eq(fr_bin_reader_done(&r, "rec", &e), FR_ECORRUPT);
	ck_assert_msg(strstr(e.msg, "truncated") && strstr(e.msg, "byte 1 of 3"), "%s", e.msg);
	/* trailing bytes */
	fr_bin_reader_init(&r, three, 3);
	fr_bin_get_u8(&r);
	ck_assert_int_eq(fr_bin_reader_done(&r, "rec", &e), FR_ECORRUPT);
	ck_assert_msg(strstr(e.msg, "2 trailing bytes"), "%s", e.msg);
	/* a length past the end, a NUL inside a string, a bad flag, a huge count */
	fr_buf b = FR_BUF_INIT;
	fr_bin_u32(&b, 100);
	fr_bin_u8(&b, 'x');
	fr_bin_reader_init(&r, b.data, b.len);
	size_t n = 9;
	ck_assert_ptr_null(fr_bin_get_bytes(&r, &n));
	ck_assert(r.bad && n == 0);
	fr_buf_reset(&b);
	fr_bin_bytes(&b, "a\0b", 3);
	fr_bin_reader_init(&r, b.data, b.len);
	ck_assert_ptr_null(fr_bin_get_str(&r, a));
	ck_assert(r.bad && strstr(r.what, "NUL"));
	fr_buf_reset(&b);
	fr_bin_u8(&b, 2);
	fr_bin_reader_init(&r, b.data, b.len);
	fr_bin_get_bool(&r);
	ck_assert(r.bad);
	fr_buf_reset(&b);
	fr_bin_u32(&b, 1000);
	for (int i = 0; i < 100; i++)
		fr_bin_u64(&b, 0);
	fr_bin_reader_init(&r, b.data, b.len);
	ck_assert_uint_eq(fr_bin_get_count(&r, 8), 0);
	ck_assert(r.bad);
	fr_bin_reader_init(&r, b.data, b.len);
	ck_assert_uint_eq(fr_bin_get_count(&r, 0), 0);   /* 1000 > 800 bytes left */
	fr_buf_reset(&b);
	fr_bin_u32(&b, 100);
	for (int i = 0; i < 100; i++)
		fr_bin_u64(&b, 0);
	fr_bin_reader_init(&r, b.data, b.len);
	ck_assert_uint_eq(fr_bin_get_count(&r, 8), 100);
	ck_assert(!r.bad);
	/* NULL where bytes are required; a decoder's own failure; the empty input */
	fr_buf_reset(&b);
	fr_bin_str(&b, NULL);
	fr_bin_reader_init(&r, b.data, b.len);
	ck_assert_ptr_null(fr_bin_get_bytes(&r, &n));
	ck_assert(r.bad);
	fr_bin_reader_init(&r, b.data, b.len);
	fr_bin_fail(&r, "unknown kind 9");
	fr_bin_fail(&r, "second");
	ck_assert_int_eq(fr_bin_reader_done(&r, "task", &e), FR_ECORRUPT);
	ck_assert_msg(strstr(e.msg, "task: unknown kind 9"), "%s", e.msg);
	fr_bin_reader_init(&r, NULL, 0);
	ck_assert_int_eq(fr_bin_reader_done(&r, "empty", &e), 0);
	fr_bin_get_u8(&r);
	ck_assert_int_eq(fr_bin_reader_done(&r, "empty", &e), FR_ECORRUPT);
	/* a failed write leaves the buffer as it was */
	fr_buf_reset(&b);
	fr_bin_u8(&b, 7);
	ck_assert_int_eq(fr_bin_bytes(&b, "", (size_t)0xffffffffu), FR_ELIMIT);
	ck_assert_uint_eq(b.len, 1);
	fr_buf_free(&b);
	fr_arena_free(a);
}
END_TEST

static TCase *bin_tcase(void)
{
	TCase *tc = tcase_create("bin");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, bin_round_trip);
	tcase_add_test(tc, bin_refusals);
	return tc;
}

/* fr_hash_bytes reads its tail in overlapping fixed-size loads: every byte of every length
 * must still count, equal bytes hash equal wherever they sit, and lengths differ. */
START_TEST(hash_bytes_every_byte_counts)
{
	uint8_t a[80], b[80];
	for (int i = 0; i < 80; i++)
		a[i] = (uint8_t)(i * 37 + 11);
	uint64_t byl[65];
	char first[128] = "";   /* the first failure; one assert at the end (no check per case) */
	for (size_t n = 0; n <= 64 && !first[0]; n++) {
		byl[n] = fr_hash_bytes(a, n);
		for (size_t m = 0; m < n && !first[0]; m++)
			if (byl[m] == byl[n])
				snprintf(first, sizeof first, "lengths %zu and %zu collide", m, n);
		for (size_t off = 1; off < 16 && !first[0]; off++) {
			memcpy(b + off, a, n);
			if (fr_hash_bytes(b + off, n) != byl[n])
				snprintf(first, sizeof first, "length %zu moved by %zu hashes apart", n, off);
		}
		for (size_t pos = 0; pos < n && !first[0]; pos++)
			for (int bit = 0; bit < 8 && !first[0]; bit++) {
				memcpy(b, a, n);
				b[pos] ^= (uint8_t)(1u << bit);
				if (fr_hash_bytes(b, n) == byl[n])
					snprintf(first, sizeof first, "length %zu: byte %zu bit %d ignored", n,
					         pos, bit);
			}
	}
	ck_assert_msg(!first[0], "%s", first);
	/* the stable pair: FNV-1a-64's published values, MurmurHash3's finaliser of 0 */
	ck_assert_uint_eq(fr_fnv1a64("", 0), 0xcbf29ce484222325ull);
	ck_assert_uint_eq(fr_fnv1a64("a", 1), 0xaf63dc4c8601ec8cull);
	ck_assert_uint_eq(fr_fnv1a64("foobar", 6), 0x85944171f73967e8ull);
	ck_assert_uint_eq(fr_fmix64(0), 0);
}
END_TEST

/* Timed waits on the monotonic clock: deadlines normalised, a wait that times out does so
 * no earlier than asked. */
START_TEST(mono_timed_waits)
{
	struct timespec ts = fr_mono_timespec(5.9999999999);
	ck_assert(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000L);
	ck_assert(ts.tv_sec == 5 || ts.tv_sec == 6);
	ts = fr_mono_timespec(-3);
	ck_assert(ts.tv_sec == 0 && ts.tv_nsec == 0);
	ts = fr_mono_timespec(INFINITY);
	ck_assert(ts.tv_sec > 0 && ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000L);
	pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cv;
	ck_assert_int_eq(fr_cond_init_mono(&cv), 0);
	pthread_mutex_lock(&mu);
	double t0 = fr_mono_s();
	struct timespec until = fr_mono_after(0.02);
	int rc;
	while ((rc = pthread_cond_timedwait(&cv, &mu, &until)) == 0)
		;   /* spurious wake-ups */
	double waited = fr_mono_s() - t0;
	pthread_mutex_unlock(&mu);
	pthread_cond_destroy(&cv);
	ck_assert_int_eq(rc, ETIMEDOUT);
	ck_assert_msg(waited >= 0.019, "woke after %.4f s", waited);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("core");
	TCase *tc = tcase_create("core");
	/* a few milliseconds each; the margin is for sanitizer builds on a busy machine */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, arena_alignment_and_large);
	tcase_add_test(tc, arena_block_cache);
	tcase_add_test(tc, buf_varint_and_printf);
	tcase_add_test(tc, err_prefix);
	tcase_add_test(tc, config_parsing);
	tcase_add_test(tc, config_strict);
	tcase_add_test(tc, config_known_ranges);
	tcase_add_test(tc, file_regular_only);
	tcase_add_test(tc, hash_bytes_every_byte_counts);
	tcase_add_test(tc, mono_timed_waits);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, bin_tcase());
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
