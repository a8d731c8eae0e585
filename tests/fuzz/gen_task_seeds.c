/* Writes the seed corpus of fuzz_task (tests/fuzz/corpus_task): task requests of both kinds,
 * task results (success with a real part result, failure, registration) and bare part results
 * of the fixed query of task_query.h run over the EV data set.  Usage: gen_task_seeds DIR. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "task_query.h"
#include "query/query.h"
#include "query/wire.h"
#include "query_testdata.h"
#include "task/task.h"

static const char *dir;

static void put(const char *name, const fr_buf *b)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *fp = fopen(path, "wb");
	if (!fp || fwrite(b->data, 1, b->len, fp) != b->len || fclose(fp)) {
		perror(path);
		exit(1);
	}
}

static void check(int rc, const fr_err *err)
{
	if (rc) {
		fprintf(stderr, "gen_task_seeds: %s\n", err->msg);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	dir = argv[1];
	fr_err err = { 0 };
	fr_arena *a = fr_arena_new(0);
	fr_query *q;
	fr_qerror qe;
	if (fr_query_parse(FUZZ_TASK_QUERY, strlen(FUZZ_TASK_QUERY), &ev_schema, a, &q, &qe)) {
		fprintf(stderr, "gen_task_seeds: %s\n", qe.msg);
		return 1;
	}
	const fr_vec *cols_a[EV_NCOLS], *cols_b[EV_NCOLS];
	fr_qpart parts[2];
	ev_part(a, 0, 8, cols_a, &parts[0]);
	ev_part(a, 8, 12, cols_b, &parts[1]);
	fr_buf qr[2] = { FR_BUF_INIT, FR_BUF_INIT };
	for (int i = 0; i < 2; i++) {
		fr_qresult *r;
		check(fr_query_exec(q, &parts[i], &r, &err), &err);
		check(fr_qresult_encode(q, r, &qr[i], &err), &err);
		fr_qresult_free(r);
	}
	put("qresult_a", &qr[0]);
	put("qresult_b", &qr[1]);

	fr_task_col cols[EV_NCOLS];
	for (int i = 0; i < EV_NCOLS; i++)
		cols[i] = (fr_task_col){ ev_names[i], ev_types[i] };
	fr_task_req req = {
		.kind = FR_TASK_QUERY, .request_id = "1617111031-2d3a69d9", .task_index = 1,
		.attempt = 0, .invoke_time = 1617111031.40127, .dataset = "ev",
		.registered_at = "2021-03-30T08:32:12.412792+00:00", .basepath = "/data/ev/",
		.part_name = "part-1.parquet", .part_index = 1, .group_col = "uid", .ts_col = "ts",
		.opts = { 10, 2.0, 100000, 0.1, 20 }, .query = FUZZ_TASK_QUERY,
		.query_len = strlen(FUZZ_TASK_QUERY), .cols = cols, .ncols = EV_NCOLS,
	};
	fr_buf b = FR_BUF_INIT;
	check(fr_task_req_encode(&req, &b, &err), &err);
	put("req_query", &b);
	req.kind = FR_TASK_REGISTER;
	req.query = NULL;
	req.query_len = 0;
	req.cols = NULL;
	req.ncols = 0;
	req.want_group_ids = 1;
	req.basepath = "file:///data/ev";
	fr_buf_reset(&b);
	check(fr_task_req_encode(&req, &b, &err), &err);
	put("req_register", &b);

	fr_task_res res = {
		.kind = FR_TASK_QUERY, .task_index = 1, .status = FR_TS_ENDED_SUCCESS,
		.invoke_latency = 0.01, .load_s = 0.2, .run_s = 0.05, .total_s = 0.26,
		.scanned_rows = 8, .scanned_groups = 3, .part_size = 4096,
		.qresult = qr[0].data, .qresult_len = qr[0].len,
	};
	fr_buf_reset(&b);
	check(fr_task_res_encode(&res, &b, &err), &err);
	put("res_query_ok", &b);
	res.status = FR_TS_ENDED_FAILED;
	res.error = "/data/ev/part-1.parquet: not a parquet file (no PAR1 magic at the end)";
	res.qresult = NULL;
	res.qresult_len = 0;
	fr_buf_reset(&b);
	check(fr_task_res_encode(&res, &b, &err), &err);
	put("res_failed", &b);
	static const uint8_t ids[] = { 'F', 'R', 'I', 'D', 1, 2, 1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0,
	                               0, 'u', '1' };
	res = (fr_task_res){
		.kind = FR_TASK_REGISTER, .task_index = 0, .attempt = 1,
		.status = FR_TS_ENDED_SUCCESS, .load_s = 0.1, .total_s = 0.1, .part_size = 4096,
		.schema_json = "{\"groupIdColumn\": \"uid\", \"timestampColumn\": \"ts\"}",
		.group_ids = ids, .group_ids_len = sizeof ids,
	};
	fr_buf_reset(&b);
	check(fr_task_res_encode(&res, &b, &err), &err);
	put("res_register_ok", &b);
	fr_buf_free(&b);
	fr_buf_free(&qr[0]);
	fr_buf_free(&qr[1]);
	fr_arena_free(a);
	return 0;
}
