/* Fuzz target for the task wire formats: any bytes as a task request, a task result and a
 * part result of a fixed query (task_query.h).  What decodes must re-encode to exactly the
 * input (the formats are canonical), a decoded part result must merge and render, and a task
 * result's embedded part result is decoded too. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "task_query.h"
#include "core/jw.h"
#include "query/query.h"
#include "query/wire.h"
#include "query_testdata.h"
#include "task/task.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fr_arena *query_arena;
static fr_query *query;

static void same_bytes(const fr_buf *b, const uint8_t *data, size_t size)
{
	if (b->len != size || (size && memcmp(b->data, data, size)))
		abort();   /* decoding is not the inverse of encoding */
}

static void part_result(const uint8_t *data, size_t size)
{
	fr_err err = { 0 };
	fr_qresult *r, *acc;
	if (fr_qresult_decode(query, data, size, &r, &err)) {
		if (err.code != FR_ECORRUPT || !err.msg[0])
			abort();
		return;
	}
	fr_buf b = FR_BUF_INIT;
	if (fr_qresult_encode(query, r, &b, &err))
		abort();
	same_bytes(&b, data, size);
	if (fr_qresult_new(query, &acc, &err) || fr_qresult_merge(query, acc, r, &err) ||
	    fr_qresult_merge(query, acc, r, &err))
		abort();
	fr_buf_reset(&b);
	fr_jw w;
	fr_jw_init(&w, &b, 0);
	fr_jw_open(&w, '{');
	if (fr_qresult_write(query, acc, &w))
		abort();
	fr_jw_close(&w, '}');
	fr_buf_free(&b);
	fr_qresult_free(acc);
	fr_qresult_free(r);
}

static void free_query(void)
{
	fr_arena_free(query_arena);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!query) {
		fr_qerror qe;
		query_arena = fr_arena_new(0);
		atexit(free_query);
		if (fr_query_parse(FUZZ_TASK_QUERY, strlen(FUZZ_TASK_QUERY), &ev_schema, query_arena,
		                   &query, &qe))
			abort();
	}
	fr_arena *a = fr_arena_new(0);
	fr_err err = { 0 };
	fr_buf b = FR_BUF_INIT;
	fr_task_req req;
	if (fr_task_req_decode(data, size, a, &req, &err) == 0) {
		if (fr_task_req_encode(&req, &b, &err))
			abort();
		same_bytes(&b, data, size);
	} else if (err.code != FR_ECORRUPT || !err.msg[0]) {
		abort();
	}
	fr_buf_reset(&b);
	fr_task_res res;
	if (fr_task_res_decode(data, size, a, &res, &err) == 0) {
		if (fr_task_res_encode(&res, &b, &err))
			abort();
		same_bytes(&b, data, size);
		if (res.qresult)
			part_result(res.qresult, res.qresult_len);
	} else if (err.code != FR_ECORRUPT || !err.msg[0]) {
		abort();
	}
	fr_buf_free(&b);
	part_result(data, size);
	fr_arena_free(a);
	return 0;
}
