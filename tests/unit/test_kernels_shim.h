/* The few Check calls test_kernels.c uses, for cross-built runs (aarch64 under qemu-user via
 * `make kernels-neon-check`) where no Check library for the target exists.  Tests run in one
 * process, in order; the first failure prints its message and exits 1. */
#ifndef FR_TEST_KERNELS_SHIM_H
#define FR_TEST_KERNELS_SHIM_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define START_TEST(name) static void name(void) {
#define END_TEST }
#define CK_NORMAL 0

#define ck_abort_msg(...) \
	do { \
		fprintf(stderr, __VA_ARGS__); \
		fprintf(stderr, "\n"); \
		exit(1); \
	} while (0)
#define ck_assert_msg(c, ...) \
	do { \
		if (!(c)) \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)
#define ck_assert_str_eq(a, b) ck_assert_msg(!strcmp((a), (b)), "%s != %s", (a), (b))
#define ck_assert_ptr_nonnull(p) ck_assert_msg((p) != NULL, "%s is NULL", #p)

typedef struct shim_tcase {
	void (*fn[64])(void);
	const char *names[64];
	int n;
} TCase;
typedef struct shim_suite {
	TCase *tc;
} Suite;
typedef struct shim_runner {
	Suite *s;
} SRunner;

static inline Suite *suite_create(const char *name)
{
	(void)name;
	return calloc(1, sizeof(Suite));
}
static inline TCase *tcase_create(const char *name)
{
	(void)name;
	return calloc(1, sizeof(TCase));
}
static inline void tcase_set_timeout(TCase *tc, double t)
{
	(void)tc;
	(void)t;
}
#define tcase_add_test(tc, f) \
	do { \
		(tc)->names[(tc)->n] = #f; \
		(tc)->fn[(tc)->n++] = f; \
	} while (0)
static inline void suite_add_tcase(Suite *s, TCase *tc)
{
	s->tc = tc;
}
static inline SRunner *srunner_create(Suite *s)
{
	SRunner *r = calloc(1, sizeof *r);
	r->s = s;
	return r;
}
static inline void srunner_run_all(SRunner *r, int mode)
{
	(void)mode;
	for (int i = 0; i < r->s->tc->n; i++) {
		printf("%s\n", r->s->tc->names[i]);
		r->s->tc->fn[i]();
	}
	printf("all %d tests passed\n", r->s->tc->n);
}
static inline int srunner_ntests_failed(SRunner *r)
{
	(void)r;
	return 0;
}
static inline void srunner_free(SRunner *r)
{
	free(r->s->tc);
	free(r->s);
	free(r);
}

#endif
