/* Unit tests for src/core: arena, buffers, errors, configuration parsing. */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/error.h"
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
	ck_assert_int_eq(fr_log_parse_level("WARN"), FR_LOG_WARNING);
	ck_assert_int_eq(fr_log_parse_level("verbose"), -1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("core");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, arena_alignment_and_large);
	tcase_add_test(tc, arena_block_cache);
	tcase_add_test(tc, buf_varint_and_printf);
	tcase_add_test(tc, err_prefix);
	tcase_add_test(tc, config_parsing);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
