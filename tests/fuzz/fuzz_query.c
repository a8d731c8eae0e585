/* Fuzz target for the query parser, validator and engine: any bytes as a query document over
 * the EV data set of query.md §7.1 (in memory); valid documents are executed, merged over two
 * parts and rendered, so every stage sees what the validator lets through. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/jw.h"
#include "query/query.h"
#include "query_testdata.h"

static fr_arena *data_arena;
static const fr_vec *cols_a[EV_NCOLS], *cols_b[EV_NCOLS];
static fr_qpart parts[2];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!data_arena) {
		data_arena = fr_arena_new(0);
		ev_part(data_arena, 0, 8, cols_a, &parts[0]);
		ev_part(data_arena, 8, 12, cols_b, &parts[1]);
	}
	fr_arena *a = fr_arena_new(0);
	fr_query *q;
	fr_qerror qe;
	if (!a)
		return 0;
	if (fr_query_parse((const char *)data, size, &ev_schema, a, &q, &qe)) {
		/* every rejection carries a kind and a message */
		if (qe.kind == FR_QERR_NONE || !qe.msg[0])
			abort();
		fr_arena_free(a);
		return 0;
	}
	fr_err err = { 0 };
	fr_qresult *acc = NULL;
	if (fr_qresult_new(q, &acc, &err) == 0) {
		for (int i = 0; i < 2; i++) {
			fr_qresult *r;
			if (fr_query_exec(q, &parts[i], &r, &err))
				abort();  /* valid queries over valid data never fail */
			if (fr_qresult_merge(q, acc, r, &err))
				abort();
			fr_qresult_free(r);
		}
		fr_buf b = FR_BUF_INIT;
		fr_jw w;
		fr_jw_init(&w, &b, 1);
		fr_jw_open(&w, '{');
		if (fr_qresult_write(q, acc, &w))
			abort();
		fr_jw_close(&w, '}');
		fr_buf_free(&b);
	}
	fr_qresult_free(acc);
	fr_arena_free(a);
	return 0;
}
