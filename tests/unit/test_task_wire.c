/* Unit tests for src/task/wire.c: task requests and results round trip with every field
 * (NULL and empty strings, binary blobs), and every truncation, trailing byte, foreign header
 * and random corruption is refused or decodes to a well-formed record, never a crash. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bin.h"
#include "task/task.h"

#define FR_STR_(x) #x
#define FR_STR(x) FR_STR_(x)

static fr_task_col cols[] = {
	{ "uid", FR_TYPE_STRING }, { "ts", FR_TYPE_INT }, { "price \xe2\x82\xac", FR_TYPE_FLOAT },
	{ "", FR_TYPE_BOOL },
};

static const char query_doc[] = "{\"query\":{}}\0tail after a NUL";

static fr_task_req full_req(void)
{
	fr_task_req q = {
		.kind = FR_TASK_QUERY,
		.request_id = "1617111031-2d3a69d9",
		.task_index = 7,
		.attempt = 2,
		.invoke_time = 1617111031.40127,
		.dataset = "my data set \xc3\xa9",
		.registered_at = "2021-03-30T08:32:12.412792+00:00",
		.basepath = "file:///data/ds/",
		.part_name = "part-0003.parquet",
		.part_index = -1,
		.group_col = "uid",
		.ts_col = "ts",
		.opts = { 10, 2.5, 100000, 0.1, 20 },
		.query = query_doc,
		.query_len = sizeof query_doc - 1,
		.cols = cols,
		.ncols = 4,
		.want_group_ids = 1,
	};
	return q;
}

static const uint8_t blob[] = { 'F', 'R', 'Q', 'R', 0, 1, 2, 0xff, 0 };

static fr_task_res full_res(void)
{
	fr_task_res s = {
		.kind = FR_TASK_REGISTER,
		.task_index = 3,
		.attempt = 1,
		.status = FR_TS_ENDED_SUCCESS,
		.error = NULL,
		.invoke_latency = 0.25,
		.load_s = 1.5,
		.run_s = -0.0,
		.total_s = 1e-9,
		.scanned_rows = 123456789012345,
		.scanned_groups = 42,
		.part_size = INT64_MAX,
		.from_cache = 1,
		.select = FR_SEL_CANDIDATES_TAKEN,
		.preflight_s = 0.125,
		.retryable = 1,
		.qresult = blob,
		.qresult_len = sizeof blob,
		.schema_json = "{\"columns\": []}",
		.group_ids = blob,
		.group_ids_len = 0,
	};
	return s;
}

static int str_eq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return !strcmp(a, b);
}

static void check_req_eq(const fr_task_req *a, const fr_task_req *b)
{
	ck_assert_int_eq(a->kind, b->kind);
	ck_assert(str_eq(a->request_id, b->request_id));
	ck_assert_int_eq(a->task_index, b->task_index);
	ck_assert_int_eq(a->attempt, b->attempt);
	ck_assert(a->invoke_time == b->invoke_time);
	ck_assert(str_eq(a->dataset, b->dataset));
	ck_assert(str_eq(a->registered_at, b->registered_at));
	ck_assert(str_eq(a->basepath, b->basepath));
	ck_assert(str_eq(a->part_name, b->part_name));
	ck_assert_int_eq(a->part_index, b->part_index);
	ck_assert(str_eq(a->group_col, b->group_col));
	ck_assert(str_eq(a->ts_col, b->ts_col));
	ck_assert_int_eq(a->opts.top_default, b->opts.top_default);
	ck_assert(!memcmp(&a->opts.grace, &b->opts.grace, 8));
	ck_assert_int_eq(a->opts.exact_limit, b->opts.exact_limit);
	ck_assert(!memcmp(&a->opts.cat_ratio, &b->opts.cat_ratio, 8));
	ck_assert_int_eq(a->opts.cat_top_count, b->opts.cat_top_count);
	ck_assert_int_eq(!a->query, !b->query);
	ck_assert_uint_eq(a->query_len, b->query_len);
	if (a->query)
		ck_assert(!memcmp(a->query, b->query, a->query_len));
	ck_assert_int_eq(a->ncols, b->ncols);
	for (int i = 0; i < a->ncols; i++) {
		ck_assert_str_eq(a->cols[i].name, b->cols[i].name);
		ck_assert_int_eq(a->cols[i].type, b->cols[i].type);
	}
	ck_assert_int_eq(a->want_group_ids, b->want_group_ids);
}

static void check_res_eq(const fr_task_res *a, const fr_task_res *b)
{
	ck_assert_int_eq(a->kind, b->kind);
	ck_assert_int_eq(a->task_index, b->task_index);
	ck_assert_int_eq(a->attempt, b->attempt);
	ck_assert_int_eq(a->status, b->status);
	ck_assert(str_eq(a->error, b->error));
	ck_assert(!memcmp(&a->invoke_latency, &b->invoke_latency, 8));
	ck_assert(!memcmp(&a->load_s, &b->load_s, 8));
	ck_assert(!memcmp(&a->run_s, &b->run_s, 8));
	ck_assert(!memcmp(&a->total_s, &b->total_s, 8));
	ck_assert_int_eq(a->scanned_rows, b->scanned_rows);
	ck_assert_int_eq(a->scanned_groups, b->scanned_groups);
	ck_assert_int_eq(a->part_size, b->part_size);
	ck_assert_int_eq(a->from_cache, b->from_cache);
	ck_assert_int_eq(a->select, b->select);
	ck_assert(!memcmp(&a->preflight_s, &b->preflight_s, 8));
	ck_assert_int_eq(a->retryable, b->retryable);
	ck_assert_int_eq(!a->qresult, !b->qresult);
	ck_assert_uint_eq(a->qresult_len, b->qresult_len);
	if (a->qresult)
		ck_assert(!memcmp(a->qresult, b->qresult, a->qresult_len));
	ck_assert(str_eq(a->schema_json, b->schema_json));
	ck_assert_int_eq(!a->group_ids, !b->group_ids);
	ck_assert_uint_eq(a->group_ids_len, b->group_ids_len);
	if (a->group_ids)
		ck_assert(!memcmp(a->group_ids, b->group_ids, a->group_ids_len));
}

static void req_round_trip(const fr_task_req *in)
{
	fr_buf b = FR_BUF_INIT;
	fr_err err = { 0 };
	fr_buf_putc(&b, 'x');   /* encoding appends */
	ck_assert_int_eq(fr_task_req_encode(in, &b, &err), 0);
	ck_assert_int_eq(b.data[0], 'x');
	fr_arena *a = fr_arena_new(0);
	fr_task_req out;
	int rc = fr_task_req_decode(b.data + 1, b.len - 1, a, &out, &err);
	ck_assert_msg(rc == 0, "%s", err.msg);
	check_req_eq(in, &out);
	fr_arena_free(a);
	fr_buf_free(&b);
}

static void res_round_trip(const fr_task_res *in)
{
	fr_buf b = FR_BUF_INIT;
	fr_err err = { 0 };
	ck_assert_int_eq(fr_task_res_encode(in, &b, &err), 0);
	fr_arena *a = fr_arena_new(0);
	fr_task_res out;
	int rc = fr_task_res_decode(b.data, b.len, a, &out, &err);
	ck_assert_msg(rc == 0, "%s", err.msg);
	check_res_eq(in, &out);
	fr_arena_free(a);
	fr_buf_free(&b);
}

START_TEST(round_trips)
{
	fr_task_req q = full_req();
	req_round_trip(&q);
	/* a registration request: NULL query, no columns, empty and NULL strings */
	q.kind = FR_TASK_REGISTER;
	q.query = NULL;
	q.query_len = 0;
	q.cols = NULL;
	q.ncols = 0;
	q.request_id = NULL;
	q.registered_at = "";
	q.dataset = NULL;
	q.want_group_ids = 0;
	q.opts = (fr_task_opts){ -1, -0.0, INT64_MIN, 1e308, INT64_MAX };
	req_round_trip(&q);
	q.query = "";   /* present but empty is not NULL */
	req_round_trip(&q);
	fr_task_res s = full_res();
	res_round_trip(&s);
	s.kind = FR_TASK_QUERY;
	s.status = FR_TS_ENDED_FAILED;
	s.error = "part-0001.parquet: not a parquet file";
	s.qresult = NULL;
	s.qresult_len = 0;
	s.schema_json = NULL;
	s.group_ids = NULL;
	s.from_cache = 0;
	s.select = FR_SEL_NONE;
	s.preflight_s = 0;
	res_round_trip(&s);
	s.error = "";
	s.schema_json = "";
	res_round_trip(&s);
	/* decoded strings and blobs are arena copies with a NUL after them */
	fr_buf b = FR_BUF_INIT;
	fr_err err = { 0 };
	fr_task_res t = full_res();
	ck_assert_int_eq(fr_task_res_encode(&t, &b, &err), 0);
	fr_arena *a = fr_arena_new(0);
	fr_task_res out;
	ck_assert_int_eq(fr_task_res_decode(b.data, b.len, a, &out, &err), 0);
	ck_assert(out.qresult != blob && out.qresult[out.qresult_len] == 0);
	ck_assert(out.group_ids && out.group_ids_len == 0);
	memset(b.data, 0, b.len);
	ck_assert_str_eq(out.schema_json, "{\"columns\": []}");
	fr_arena_free(a);
	fr_buf_free(&b);
	ck_assert_str_eq(fr_task_status_name(FR_TS_RUNNING_QUERY), "RUNNING_QUERY");
	ck_assert_str_eq(fr_task_status_name(FR_TS_ENDED_FAILED), "ENDED_FAILED");
	ck_assert_str_eq(fr_task_status_name(FR_TS__COUNT), "UNKNOWN");
	ck_assert_str_eq(fr_task_status_name((fr_task_status)-1), "UNKNOWN");
}
END_TEST

typedef int (*decode_fn)(const void *, size_t, fr_arena *, void *, fr_err *);

static int dec_req(const void *p, size_t n, fr_arena *a, void *out, fr_err *err)
{
	return fr_task_req_decode(p, n, a, out, err);
}

static int dec_res(const void *p, size_t n, fr_arena *a, void *out, fr_err *err)
{
	return fr_task_res_decode(p, n, a, out, err);
}

/* Decodes an exact-size copy (ASan catches any read past the end); 0 or FR_ECORRUPT with a
 * message, and on success the record is well formed. */
static int decode_copy(decode_fn fn, const uint8_t *p, size_t n, char *msg, size_t msgsz)
{
	uint8_t *c = malloc(n ? n : 1);
	memcpy(c, p, n);
	fr_arena *a = fr_arena_new(0);
	union { fr_task_req q; fr_task_res s; } out;
	fr_err err = { 0 };
	int rc = fn(c, n, a, &out, &err);
	free(c);
	if (rc) {
		ck_assert_int_eq(rc, FR_ECORRUPT);
		ck_assert(err.msg[0]);
		if (msg)
			snprintf(msg, msgsz, "%s", err.msg);
	} else if (fn == dec_req) {
		ck_assert(out.q.kind == FR_TASK_QUERY || out.q.kind == FR_TASK_REGISTER);
		ck_assert(out.q.ncols >= 0 && out.q.ncols <= 100000);
		for (int i = 0; i < out.q.ncols; i++)
			ck_assert(out.q.cols[i].name && out.q.cols[i].type >= FR_TYPE_INT &&
			          out.q.cols[i].type <= FR_TYPE_STRING);
		if (out.q.query)
			ck_assert_int_eq(out.q.query[out.q.query_len], 0);
	} else {
		ck_assert(out.s.status == FR_TS_ENDED_SUCCESS || out.s.status == FR_TS_ENDED_FAILED);
		if (out.s.qresult)
			ck_assert_int_eq(out.s.qresult[out.s.qresult_len], 0);
	}
	fr_arena_free(a);
	return rc;
}

static void hostile(decode_fn fn, const fr_buf *enc, unsigned seed)
{
	char msg[FR_ERR_MSG_MAX];
	for (size_t len = 0; len < enc->len; len++)
		if (decode_copy(fn, enc->data, len, NULL, 0) == 0)
			ck_abort_msg("a prefix of %zu of %zu bytes was accepted", len, enc->len);
	uint8_t *m = malloc(enc->len + 1);
	memcpy(m, enc->data, enc->len);
	m[enc->len] = 0;
	ck_assert_int_eq(decode_copy(fn, m, enc->len + 1, msg, sizeof msg), FR_ECORRUPT);
	ck_assert_msg(strstr(msg, "1 trailing bytes"), "%s", msg);
	int accepted = 0;
	for (int t = 0; t < 1000; t++) {
		memcpy(m, enc->data, enc->len);
		int k = 1 + rand_r(&seed) % 4;
		for (int j = 0; j < k; j++)
			m[rand_r(&seed) % enc->len] = (uint8_t)rand_r(&seed);
		accepted += decode_copy(fn, m, enc->len, NULL, 0) == 0;
	}
	ck_assert_int_gt(accepted, 0);   /* flips in numbers decode; lengths and tags do not */
	free(m);
}

START_TEST(truncated_and_corrupted)
{
	fr_buf b = FR_BUF_INIT;
	fr_err err = { 0 };
	fr_task_req q = full_req();
	ck_assert_int_eq(fr_task_req_encode(&q, &b, &err), 0);
	hostile(dec_req, &b, 99);
	fr_buf_reset(&b);
	fr_task_res s = full_res();
	s.status = FR_TS_ENDED_FAILED;
	s.error = "boom";
	ck_assert_int_eq(fr_task_res_encode(&s, &b, &err), 0);
	hostile(dec_res, &b, 7);
	fr_buf_free(&b);
}
END_TEST

/* Each refusal names what is wrong. */
static void expect_refused(decode_fn fn, const fr_buf *b, size_t off, uint8_t val,
                           const char *want)
{
	uint8_t *m = malloc(b->len);
	memcpy(m, b->data, b->len);
	m[off] = val;
	char msg[FR_ERR_MSG_MAX] = "";
	ck_assert_int_eq(decode_copy(fn, m, b->len, msg, sizeof msg), FR_ECORRUPT);
	ck_assert_msg(strstr(msg, want), "want '%s' in '%s'", want, msg);
	free(m);
}

START_TEST(refusals_name_the_problem)
{
	fr_buf b = FR_BUF_INIT;
	fr_err err = { 0 };
	fr_task_req q = full_req();
	q.request_id = "ab";   /* fixed offsets: request_id's bytes start at 10 */
	ck_assert_int_eq(fr_task_req_encode(&q, &b, &err), 0);
	expect_refused(dec_req, &b, 0, 'X', "task request: bad magic");
	expect_refused(dec_req, &b, 4, FR_TASK_WIRE_VERSION + 1, "this build reads " FR_STR(FR_TASK_WIRE_VERSION));
	expect_refused(dec_req, &b, 5, 9, "unknown task kind 9");
	expect_refused(dec_req, &b, 10, 0, "NUL byte");
	expect_refused(dec_req, &b, 9, 0x7f, "truncated");   /* a length past the end */
	/* the results' status: unknown, or not final */
	fr_buf_reset(&b);
	fr_task_res s = full_res();
	ck_assert_int_eq(fr_task_res_encode(&s, &b, &err), 0);
	expect_refused(dec_res, &b, 0, 'Q', "task result: bad magic");
	expect_refused(dec_res, &b, 14, FR_TS__COUNT, "unknown task status");
	expect_refused(dec_res, &b, 14, FR_TS_RUNNING, "not final");
	/* a request is not a result */
	fr_arena *a = fr_arena_new(0);
	fr_task_req out;
	ck_assert_int_eq(fr_task_req_decode(b.data, b.len, a, &out, &err), FR_ECORRUPT);
	ck_assert_msg(strstr(err.msg, "bad magic"), "%s", err.msg);
	/* column counts: beyond the input, past 100000, a NULL name, an unknown type */
	fr_task_col many[2] = { { "a", FR_TYPE_INT }, { NULL, FR_TYPE_INT } };
	q = full_req();
	q.cols = many;
	q.ncols = 2;
	fr_buf_reset(&b);
	ck_assert_int_eq(fr_task_req_encode(&q, &b, &err), 0);
	ck_assert_int_eq(fr_task_req_decode(b.data, b.len, a, &out, &err), FR_ECORRUPT);
	ck_assert_msg(strstr(err.msg, "without a name"), "%s", err.msg);
	many[1].name = "b";
	many[1].type = FR_TYPE_NONE;
	fr_buf_reset(&b);
	ck_assert_int_eq(fr_task_req_encode(&q, &b, &err), 0);
	ck_assert_int_eq(fr_task_req_decode(b.data, b.len, a, &out, &err), FR_ECORRUPT);
	ck_assert_msg(strstr(err.msg, "unknown column type"), "%s", err.msg);
	/* ncols sits before its columns: 2 columns of 6 bytes + the last flag byte follow it */
	size_t ncols_at = b.len - 1 - 2 * 6 - 4;
	ck_assert_int_eq(b.data[ncols_at], 2);
	expect_refused(dec_req, &b, ncols_at, 200, "count larger than the input");
	fr_buf big = FR_BUF_INIT;
	fr_buf_append(&big, b.data, ncols_at);
	fr_bin_u32(&big, 100001);
	for (int i = 0; i < 100001; i++) {
		fr_bin_str(&big, "c");
		fr_bin_u8(&big, FR_TYPE_INT);
	}
	fr_bin_u8(&big, 0);
	ck_assert_int_eq(fr_task_req_decode(big.data, big.len, a, &out, &err), FR_ECORRUPT);
	ck_assert_msg(strstr(err.msg, "more than 100000 columns"), "%s", err.msg);
	/* and exactly 100000 is fine */
	fr_buf_reset(&big);
	fr_buf_append(&big, b.data, ncols_at);
	fr_bin_u32(&big, 100000);
	for (int i = 0; i < 100000; i++) {
		fr_bin_str(&big, "c");
		fr_bin_u8(&big, FR_TYPE_INT);
	}
	fr_bin_u8(&big, 0);
	ck_assert_int_eq(fr_task_req_decode(big.data, big.len, a, &out, &err), 0);
	ck_assert_int_eq(out.ncols, 100000);
	fr_buf_free(&big);
	/* the encoder refuses a column count the decoder would refuse */
	q.ncols = 100001;
	fr_buf_reset(&b);
	ck_assert_int_eq(fr_task_req_encode(&q, &b, &err), FR_EINVAL);
	ck_assert_uint_eq(b.len, 0);
	fr_arena_free(a);
	fr_buf_free(&b);
}
END_TEST

int main(void)
{
	Suite *su = suite_create("task_wire");
	TCase *tc = tcase_create("task_wire");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, round_trips);
	tcase_add_test(tc, truncated_and_corrupted);
	tcase_add_test(tc, refusals_name_the_problem);
	suite_add_tcase(su, tc);
	SRunner *sr = srunner_create(su);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
