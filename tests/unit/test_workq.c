/* Unit tests of the work-queue encodings (net/workq.h): the message round trip, every
 * truncation and single-byte corruption of a message refused or decoded within bounds (a
 * worker must survive anything pushed onto the queue), and the field/status forms. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "net/workq.h"

static void sample(fr_buf *b)
{
	static const uint8_t req[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	fr_wq_msg m = { .keybase = "frocket:req-1700000000-0123abcd", .task = 7, .attempt = 2,
		.ttl = 180, .heartbeat = 5, .req = req, .req_len = sizeof req };
	fr_err err = { 0 };
	ck_assert_int_eq(fr_wq_msg_encode(&m, b, &err), 0);
}

START_TEST(round_trip)
{
	fr_buf b = FR_BUF_INIT;
	sample(&b);
	fr_arena *a = fr_arena_new(0);
	fr_wq_msg m;
	fr_err err = { 0 };
	ck_assert_int_eq(fr_wq_msg_decode(b.data, b.len, a, &m, &err), 0);
	ck_assert_str_eq(m.keybase, "frocket:req-1700000000-0123abcd");
	ck_assert_int_eq(m.task, 7);
	ck_assert_int_eq(m.attempt, 2);
	ck_assert_uint_eq(m.ttl, 180);
	ck_assert(m.heartbeat == 5);
	ck_assert_uint_eq(m.req_len, 9);
	ck_assert_int_eq(m.req[8], 9);
	fr_arena_free(a);
	fr_buf_free(&b);
}
END_TEST

START_TEST(hostile)
{
	fr_buf b = FR_BUF_INIT;
	sample(&b);
	fr_arena *a = fr_arena_new(0);
	int refused = 0;
	/* every truncation is refused */
	for (size_t n = 0; n < b.len; n++) {
		fr_wq_msg m;
		fr_err err = { 0 };
		if (fr_wq_msg_decode(b.data, n, a, &m, &err))
			refused++;
		else
			ck_abort_msg("a %zu-byte prefix of a %zu-byte message decoded", n, b.len);
		ck_assert(err.msg[0]);
	}
	ck_assert_int_eq(refused, (int)b.len);
	/* every byte changed to every value: refused, or decoded with sane bounds */
	uint8_t *copy = malloc(b.len);
	ck_assert_ptr_nonnull(copy);
	int bad = 0;
	for (size_t i = 0; i < b.len; i++)
		for (int v = 0; v < 256; v++) {
			memcpy(copy, b.data, b.len);
			copy[i] = (uint8_t)v;
			fr_wq_msg m;
			fr_err err = { 0 };
			if (fr_wq_msg_decode(copy, b.len, a, &m, &err))
				continue;
			if (m.task < 0 || m.attempt < 0 || m.ttl < 1 || !(m.heartbeat >= 0.01) ||
			    m.req + m.req_len > copy + b.len || !m.keybase || !*m.keybase)
				bad++;
		}
	ck_assert_int_eq(bad, 0);
	/* foreign payloads */
	const char *foreign[] = { "", "hello", "{\"contentCls\": \"QueryTaskRequest\"}", "FRWQ",
		"FRWQ\x02" };
	for (size_t i = 0; i < sizeof foreign / sizeof *foreign; i++) {
		fr_wq_msg m;
		fr_err err = { 0 };
		ck_assert_int_ne(fr_wq_msg_decode(foreign[i], strlen(foreign[i]) + (i == 4), a, &m,
		                                  &err), 0);
	}
	free(copy);
	fr_arena_free(a);
	fr_buf_free(&b);
}
END_TEST

START_TEST(fields)
{
	char f[32];
	int t, at, st;
	double w;
	fr_wq_field(f, sizeof f, 12, 3);
	ck_assert_str_eq(f, "12:3");
	ck_assert_int_eq(fr_wq_field_parse(f, strlen(f), &t, &at), 0);
	ck_assert_int_eq(t, 12);
	ck_assert_int_eq(at, 3);
	const char *badf[] = { "", ":", "1:", ":1", "1:2:3", "-1:2", "a:b", "1 :2",
		"999999999999:1" };
	for (size_t i = 0; i < sizeof badf / sizeof *badf; i++)
		ck_assert_int_eq(fr_wq_field_parse(badf[i], strlen(badf[i]), &t, &at), -1);
	fr_wq_status_value(f, sizeof f, 4, 1700000000.25);
	ck_assert_int_eq(fr_wq_status_parse(f, strlen(f), &st, &w), 0);
	ck_assert_int_eq(st, 4);
	ck_assert(w == 1700000000.25);
	const char *bads[] = { "", "4", "4:", ":1.0", "x:1", "4:1.0x",
		"4:1111111111111111111111111111111111111111111111111111111111111111111" };
	for (size_t i = 0; i < sizeof bads / sizeof *bads; i++)
		ck_assert_int_eq(fr_wq_status_parse(bads[i], strlen(bads[i]), &st, &w), -1);
}
END_TEST

/* Self-select messages (task FR_WQ_SELECT, attempt 0 only) and set members. */
START_TEST(select_and_members)
{
	static const uint8_t req[] = { 1 };
	fr_arena *a = fr_arena_new(0);
	fr_err err = { 0 };
	for (int att = 0; att < 2; att++) {
		fr_buf b = FR_BUF_INIT;
		fr_wq_msg m = { .keybase = "frocket:req-1", .task = FR_WQ_SELECT, .attempt = att,
			.ttl = 60, .heartbeat = 1, .req = req, .req_len = 1 };
		ck_assert_int_eq(fr_wq_msg_encode(&m, &b, &err), 0);
		fr_wq_msg d;
		ck_assert_int_eq(fr_wq_msg_decode(b.data, b.len, a, &d, &err), att ? FR_ECORRUPT : 0);
		if (!att)
			ck_assert_int_eq(d.task, FR_WQ_SELECT);
		fr_buf_free(&b);
	}
	fr_buf b = FR_BUF_INIT;
	fr_wq_msg m = { .keybase = "frocket:req-1", .task = -2, .attempt = 0, .ttl = 60,
		.heartbeat = 1, .req = req, .req_len = 1 };
	ck_assert_int_eq(fr_wq_msg_encode(&m, &b, &err), 0);
	fr_wq_msg d;
	ck_assert_int_eq(fr_wq_msg_decode(b.data, b.len, a, &d, &err), FR_ECORRUPT);
	fr_buf_reset(&b);
	ck_assert_int_eq(fr_wq_member(&b, 17, "part:with:colons.parquet"), 0);
	ck_assert_int_eq((int)b.len, 27);
	ck_assert(!memcmp(b.data, "17:part:with:colons.parquet", 27));
	int idx;
	const char *name;
	size_t nl;
	ck_assert_int_eq(fr_wq_member_parse((const char *)b.data, b.len, &idx, &name, &nl), 0);
	ck_assert_int_eq(idx, 17);
	ck_assert_uint_eq(nl, 24);
	ck_assert(!memcmp(name, "part:with:colons.parquet", nl));
	const char *bad[] = { "", "17", "17:", ":x", "-1:x", "x:y", "99999999999:x" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_int_eq(fr_wq_member_parse(bad[i], strlen(bad[i]), &idx, &name, &nl), -1);
	fr_buf_free(&b);
	fr_arena_free(a);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("workq");
	TCase *t = tcase_create("workq");
	tcase_set_timeout(t, 120);
	tcase_add_test(t, round_trip);
	tcase_add_test(t, hostile);
	tcase_add_test(t, fields);
	tcase_add_test(t, select_and_members);
	suite_add_tcase(s, t);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
