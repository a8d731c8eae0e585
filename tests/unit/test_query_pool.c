/* Unit tests for the thread pool (src/core/pool.c) the local query runner uses. */
#include <string.h>
#include <check.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "core/pool.h"

typedef struct job {
	atomic_int hits[1000];
	atomic_long sum;
} job;

static void task(void *arg, int i)
{
	job *j = arg;
	atomic_fetch_add(&j->hits[i], 1);
	atomic_fetch_add(&j->sum, i);
}

START_TEST(pool_runs_every_task_once)
{
	fr_err err = { 0 };
	for (int threads = 1; threads <= 4; threads++) {
		fr_pool *p;
		ck_assert_int_eq(fr_pool_new(threads, &p, &err), 0);
		ck_assert_int_eq(fr_pool_threads(p), threads);
		for (int round = 0; round < 50; round++) {
			job *j = calloc(1, sizeof *j);
			int n = (round * 37) % 1000;
			fr_pool_run(p, n, task, j);
			for (int i = 0; i < 1000; i++)   /* first difference only */
				if (atomic_load(&j->hits[i]) != (i < n ? 1 : 0))
					ck_abort_msg("threads %d round %d: task %d ran %d times", threads,
					             round, i, (int)atomic_load(&j->hits[i]));
			ck_assert_int_eq(atomic_load(&j->sum), (long)n * (n - 1) / 2);
			free(j);
		}
		fr_pool_free(p);
	}
	fr_pool_free(NULL);
}
END_TEST

START_TEST(pool_rejects_bad_sizes)
{
	fr_err err = { 0 };
	fr_pool *p;
	ck_assert_int_eq(fr_pool_new(0, &p, &err), FR_EINVAL);
	ck_assert_ptr_null(p);
	setenv("FROCKET_LOCAL_THREADS", "3", 1);
	ck_assert_int_eq(fr_pool_default_threads(&err), 3);
	setenv("FROCKET_LOCAL_THREADS", "0", 1);
	ck_assert_int_eq(fr_pool_default_threads(&err), -1);
	ck_assert_ptr_nonnull(strstr(err.msg, "FROCKET_LOCAL_THREADS"));
	setenv("FROCKET_LOCAL_THREADS", "two", 1);
	ck_assert_int_eq(fr_pool_default_threads(&err), -1);
	unsetenv("FROCKET_LOCAL_THREADS");
	ck_assert_int_ge(fr_pool_default_threads(&err), 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pool");
	TCase *tc = tcase_create("pool");
	/* well under a second even under sanitizers; the margin is for a busy machine */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, pool_runs_every_task_once);
	tcase_add_test(tc, pool_rejects_bad_sizes);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
