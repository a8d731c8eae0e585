/* Unit tests of the self-select candidates' record (worker/known.h): per registration, most
 * recent first, bounded with the least recently used dropped, and safe from several
 * threads at once. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker/known.h"

static int has(const char **m, const size_t *l, int n, const char *want)
{
	for (int i = 0; i < n; i++)
		if (l[i] == strlen(want) && !memcmp(m[i], want, l[i]))
			return 1;
	return 0;
}

static int skip_zero(void *arg, int idx)
{
	(void)arg;
	return idx == 0;
}

START_TEST(per_registration_recent_first)
{
	fr_known *k = fr_known_new(100);
	ck_assert_ptr_nonnull(k);
	fr_arena *a = fr_arena_new(0);
	const char **m;
	size_t *l;
	ck_assert_int_eq(fr_known_candidates(k, "ds", "r1", "/d", NULL, NULL, 10, a, &m, &l, NULL), 0);
	fr_known_add(k, "ds", "r1", "/d", 0, "p0");
	fr_known_add(k, "ds", "r1", "/d", 1, "p1");
	fr_known_add(k, "ds", "r2", "/d", 2, "p2");     /* another registration */
	fr_known_add(k, "other", "r1", "/d", 3, "p3");  /* another dataset */
	fr_known_add(k, "ds", "r1", "/e", 4, "p4");     /* another basepath */
	fr_known_add(k, "ds", "r1", "/d", 0, "p0");     /* again: now the most recent */
	int n = fr_known_candidates(k, "ds", "r1", "/d", NULL, NULL, 10, a, &m, &l, NULL);
	ck_assert_int_eq(n, 2);
	ck_assert_uint_eq(l[0], 4);
	ck_assert(!memcmp(m[0], "0:p0", 4));
	ck_assert(!memcmp(m[1], "1:p1", 4));
	ck_assert_int_eq(fr_known_candidates(k, "ds", "r1", "/d", NULL, NULL, 1, a, &m, &l, NULL), 1);
	ck_assert_int_eq(fr_known_candidates(k, "ds", "r2", "/d", NULL, NULL, 10, a, &m, &l, NULL), 1);
	ck_assert(has(m, l, 1, "2:p2"));
	ck_assert_int_eq(fr_known_candidates(k, "ds", "r3", "/d", NULL, NULL, 10, a, &m, &l, NULL), 0);
	/* skipped indexes (the parts already tried in this job) are left out */
	int known;
	ck_assert_int_eq(fr_known_candidates(k, "ds", "r1", "/d", skip_zero, NULL, 10, a, &m, &l,
	                                     &known), 1);
	ck_assert(!memcmp(m[0], "1:p1", 4));
	ck_assert_int_eq(known, 2);   /* the skipped part counts as known */
	fr_arena_free(a);
	fr_known_free(k);
}
END_TEST

START_TEST(bounded_lru)
{
	fr_known *k = fr_known_new(3);
	fr_arena *a = fr_arena_new(0);
	char name[32];
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof name, "p%d", i);
		fr_known_add(k, "ds", "r", "/d", i, name);
	}
	fr_known_add(k, "ds", "r", "/d", 0, "p0");   /* p1 is now the least recent */
	fr_known_add(k, "ds", "r", "/d", 3, "p3");
	const char **m;
	size_t *l;
	int n = fr_known_candidates(k, "ds", "r", "/d", NULL, NULL, 10, a, &m, &l, NULL);
	ck_assert_int_eq(n, 3);
	ck_assert(has(m, l, n, "0:p0") && has(m, l, n, "2:p2") && has(m, l, n, "3:p3"));
	ck_assert(!has(m, l, n, "1:p1"));
	fr_arena_free(a);
	fr_known_free(k);
	fr_known_free(NULL);
}
END_TEST

static fr_known *shared;

static void *hammer(void *arg)
{
	int base = *(int *)arg;
	fr_arena *a = fr_arena_new(0);
	char name[32];
	for (int i = 0; i < 2000; i++) {
		snprintf(name, sizeof name, "p%d", (base + i) % 300);
		fr_known_add(shared, "ds", "r", "/d", (base + i) % 300, name);
		const char **m;
		size_t *l;
		int n = fr_known_candidates(shared, "ds", "r", "/d", NULL, NULL, 50, a, &m, &l, NULL);
		ck_assert(n >= 1 && n <= 50);
	}
	fr_arena_free(a);
	return NULL;
}

START_TEST(threads)
{
	shared = fr_known_new(128);
	pthread_t th[4];
	int base[4] = { 0, 77, 150, 222 };
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&th[i], NULL, hammer, &base[i]), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	fr_arena *a = fr_arena_new(0);
	const char **m;
	size_t *l;
	ck_assert_int_eq(fr_known_candidates(shared, "ds", "r", "/d", NULL, NULL, 1000, a, &m, &l, NULL), 128);
	fr_arena_free(a);
	fr_known_free(shared);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("known");
	TCase *t = tcase_create("known");
	tcase_set_timeout(t, 60);
	tcase_add_test(t, per_registration_recent_first);
	tcase_add_test(t, bounded_lru);
	tcase_add_test(t, threads);
	suite_add_tcase(s, t);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
