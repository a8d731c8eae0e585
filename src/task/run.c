/* The task runner: one part, one task.  Every executor (the local pool, the Redis worker, the
 * Lambda bootstrap) calls fr_task_run, so a part is opened, loaded and queried the same way
 * wherever it runs.  The part is opened through storage when the task starts and closed when
 * it ends: no descriptor or mapping outlives its task. */
#include "task/task.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "parquet/parquet.h"
#include "query/query.h"
#include "query/wire.h"
#include "storage/storage.h"
#include "task/dschema.h"

static int cancelled(const volatile int *cancel, fr_err *err)
{
	if (cancel && *cancel)
		return fr_err_set(err, FR_ETIMEOUT, "task cancelled");
	return 0;
}

static void step(fr_task_progress_fn progress, void *arg, fr_task_status st)
{
	if (progress)
		progress(arg, st);
}

int fr_task_schema_of_cols(const fr_task_col *cols, int ncols, const char *group_col,
                           const char *ts_col, fr_arena *a, fr_qschema *s, fr_err *err)
{
	const char **names = fr_arena_calloc(a, (size_t)(ncols > 0 ? ncols : 1), sizeof *names);
	fr_coltype *types = fr_arena_calloc(a, (size_t)(ncols > 0 ? ncols : 1), sizeof *types);
	if (!names || !types)
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	s->ncols = ncols;
	s->group_col = s->ts_col = -1;
	for (int i = 0; i < ncols; i++) {
		names[i] = cols[i].name;
		types[i] = cols[i].type;
		if (group_col && !strcmp(cols[i].name, group_col))
			s->group_col = i;
		if (ts_col && !strcmp(cols[i].name, ts_col))
			s->ts_col = i;
	}
	s->names = names;
	s->types = types;
	if (s->group_col < 0 || s->ts_col < 0)
		return fr_err_set(err, FR_EINVAL, "the dataset schema has no %s column '%s'",
		                  s->group_col < 0 ? "group id" : "timestamp",
		                  s->group_col < 0 ? (group_col ? group_col : "")
		                                   : (ts_col ? ts_col : ""));
	return 0;
}

/* Loads the columns q uses from part f (row groups outside the timeframe skipped) and runs
 * q over them.  The columns live in a scratch arena freed before returning. */
static int query_part(const fr_query *q, fr_pq_file *f,
                      fr_task_progress_fn progress, void *parg, const volatile int *cancel,
                      fr_qresult **out, double *load_s, fr_err *err)
{
	const fr_qschema *s = q->schema;
	const char *part = fr_pq_name(f);
	int nrg = fr_pq_num_row_groups(f);
	size_t nk = (size_t)(nrg > 0 ? nrg : 1);
	uint8_t *keep = malloc(nk);
	const fr_vec **cols = calloc((size_t)s->ncols, sizeof *cols);
	fr_vec *vecs = calloc((size_t)s->ncols, sizeof *vecs);
	fr_arena *a = fr_arena_new(0);
	double t0 = fr_mono_s();
	int rc = 0;
	*out = NULL;
	if (!keep || !cols || !vecs || !a) {
		rc = fr_err_set(err, FR_ENOMEM, "%s: out of memory", part);
		goto out;
	}
	memset(keep, 1, nk);
	int tscol = fr_pq_column_index(f, s->names[s->ts_col]);
	if (tscol < 0) {
		rc = fr_err_set(err, FR_EINVAL, "%s: no column %s", part, s->names[s->ts_col]);
		goto out;
	}
	if ((q->has_from || q->has_to) && s->types[s->ts_col] == FR_TYPE_INT &&
	    (rc = fr_pq_prune_range(f, tscol, q->has_from, q->from, q->has_to, q->to, keep, err)))
		goto out;
	int any = 0;
	for (int i = 0; i < nrg; i++)
		any |= keep[i];
	if (!any) {
		/* Every row group lies outside the timeframe: nothing to load. */
		if ((rc = fr_qresult_new(q, out, err)))
			fr_err_prefix(err, "%s", part);
		*load_s = fr_mono_s() - t0;
		goto out;
	}
	/* Tell a remote part which chunks follow, so it fetches them at once (coalesced, in
	 * parallel) rather than one by one; a no-op for local files. */
	int *want = malloc((size_t)(s->ncols > 0 ? s->ncols : 1) * sizeof *want);
	int nwant = 0;
	if (!want) {
		rc = fr_err_set(err, FR_ENOMEM, "%s: out of memory", part);
		goto out;
	}
	for (int c = 0; c < s->ncols; c++)
		if (q->used[c])
			want[nwant++] = fr_pq_column_index(f, s->names[c]);
	rc = fr_pq_prefetch(f, want, nwant, keep, err);
	free(want);
	if (rc)
		goto out;
	int64_t nrows = -1;
	for (int c = 0; c < s->ncols; c++) {
		if (!q->used[c])
			continue;
		if ((rc = cancelled(cancel, err)))
			goto out;
		int fc = fr_pq_column_index(f, s->names[c]);
		fr_pq_colinfo ci;
		if (fc < 0) {
			rc = fr_err_set(err, FR_EINVAL, "%s: no column %s", part, s->names[c]);
			goto out;
		}
		if ((rc = fr_pq_column_info(f, fc, &ci))) {
			rc = fr_err_set(err, FR_ECORRUPT, "%s: cannot read column %s", part, s->names[c]);
			goto out;
		}
		if (ci.type != s->types[c]) {
			rc = fr_err_set(err, FR_EINVAL, "%s: column %s is %s here but %s in the dataset "
			                "schema", part, s->names[c], fr_coltype_name(ci.type),
			                fr_coltype_name(s->types[c]));
			goto out;
		}
		if ((rc = fr_pq_load_column(f, fc, keep, a, &vecs[c], err)))
			goto out;
		if (nrows >= 0 && vecs[c].len != nrows) {
			rc = fr_err_set(err, FR_ECORRUPT, "%s: column %s has %lld rows, others %lld",
			                part, s->names[c], (long long)vecs[c].len, (long long)nrows);
			goto out;
		}
		nrows = vecs[c].len;
		cols[c] = &vecs[c];
		/* a heartbeat per column: a long load is progress, not a lost task */
		step(progress, parg, FR_TS_LOADING_DATA);
	}
	*load_s = fr_mono_s() - t0;
	step(progress, parg, FR_TS_RUNNING_QUERY);
	if ((rc = cancelled(cancel, err)))
		goto out;
	fr_qpart qp = { .nrows = nrows < 0 ? 0 : nrows, .cols = cols };
	if (s->types[s->group_col] == FR_TYPE_INT) {
		int gc = fr_pq_column_index(f, s->names[s->group_col]);
		qp.group_hint.has_range = gc >= 0 &&
			fr_pq_int_range(f, gc, keep, &qp.group_hint.min, &qp.group_hint.max);
	}
	if ((rc = fr_query_exec(q, &qp, out, err)))
		fr_err_prefix(err, "%s", part);
out:
	fr_arena_free(a);
	free(vecs);
	free(cols);
	free(keep);
	return rc;
}

/* Decision 20: a part whose bytes do not load (corrupt, or not what the reader can read) is
 * not served from the disk cache again.  Other failures say nothing about the cached bytes:
 * a store that cannot be reached, a cancelled task, a full memory. */
static int suspect_bytes(int rc)
{
	return rc == FR_ECORRUPT || rc == FR_EUNSUPPORTED;
}

static int run_query(const fr_task_req *req, fr_task_progress_fn progress, void *parg,
                     const volatile int *cancel, fr_arena *arena, fr_task_res *res, fr_err *err)
{
	fr_qschema *s = fr_arena_calloc(arena, 1, sizeof *s);
	if (!s)
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	int rc = fr_task_schema_of_cols(req->cols, req->ncols, req->group_col, req->ts_col, arena,
	                                s, err);
	if (rc)
		return rc;
	fr_query_opts qo = { .top_default = req->opts.top_default, .grace = req->opts.grace,
		.exact_limit = req->opts.exact_limit };
	fr_query *q;
	fr_qerror qe;
	if (fr_query_parse_opts(req->query ? req->query : "", req->query_len, s, &qo, arena, &q,
	                        &qe))
		return fr_err_set(err, FR_EINVAL, "invalid query (%s): %s",
		                  fr_qerr_kind_name(qe.kind), qe.msg);
	step(progress, parg, FR_TS_LOADING_DATA);
	fr_pq_file *f = NULL;
	uint64_t size = 0;
	double t0 = fr_mono_s();
	/* the disk cache of remote parts is keyed by the registration (runtime.md §6.4) */
	fr_storage_stats st = { 0 };
	fr_storage_open_opts so = { .dataset = req->dataset, .registered_at = req->registered_at,
		.stats = &st };
	if ((rc = fr_storage_open_ex(req->basepath, req->part_name, &so, &f, &size, err))) {
		if (suspect_bytes(rc))
			fr_storage_evict(req->basepath, req->part_name, &so);
		return rc;
	}
	res->part_size = (int64_t)size;
	fr_qresult *r = NULL;
	double load_s = 0;
	rc = query_part(q, f, progress, parg, cancel, &r, &load_s, err);
	/* Unmap now: the part's touched pages would otherwise stay resident. */
	fr_pq_close(f);
	res->load_s = load_s;
	/* served without a single request to the store */
	res->from_cache = st.cache_hits > 0 && st.net_requests == 0;
	if (rc) {
		if (suspect_bytes(rc))
			fr_storage_evict(req->basepath, req->part_name, &so);
		fr_qresult_free(r);
		return rc;
	}
	res->run_s = fr_mono_s() - t0 - load_s;
	res->scanned_rows = r->scanned_rows;
	res->scanned_groups = r->scanned_groups;
	fr_buf b = FR_BUF_INIT;
	rc = fr_qresult_encode(q, r, &b, err);
	fr_qresult_free(r);
	if (!rc) {
		res->qresult = fr_arena_memdup(arena, b.data ? (const void *)b.data : "", b.len);
		res->qresult_len = b.len;
		if (!res->qresult)
			rc = fr_err_set(err, FR_ENOMEM, "out of memory");
	}
	fr_buf_free(&b);
	return rc;
}

static int run_register(const fr_task_req *req, fr_task_progress_fn progress, void *parg,
                        const volatile int *cancel, fr_arena *arena, fr_task_res *res,
                        fr_err *err)
{
	step(progress, parg, FR_TS_LOADING_DATA);
	fr_pq_file *f = NULL;
	uint64_t size = 0;
	double t0 = fr_mono_s();
	int rc = fr_storage_open(req->basepath, req->part_name, &f, &size, err);
	if (rc)
		return rc;
	res->part_size = (int64_t)size;
	res->load_s = fr_mono_s() - t0;
	step(progress, parg, FR_TS_RUNNING);
	fr_dschema_opts so = { .cat_ratio = req->opts.cat_ratio,
		.cat_top_count = req->opts.cat_top_count };
	fr_dschema *ds = NULL;
	fr_buf ids = FR_BUF_INIT, js = FR_BUF_INIT;
	/* A remote part fetches at once the chunks the schema collection will surely decode:
	 * the group id and timestamp columns and every string column (categorical analysis);
	 * numeric columns are decoded only without usable statistics, fetched if so. */
	int nc = fr_pq_num_columns(f);
	int *want = malloc((size_t)(nc > 0 ? nc : 1) * sizeof *want);
	int nwant = 0;
	for (int c = 0; want && c < nc; c++) {
		fr_pq_colinfo ci;
		if (fr_pq_column_info(f, c, &ci) || ci.nested)
			continue;
		if (ci.type == FR_TYPE_STRING || (req->group_col && !strcmp(ci.name, req->group_col)) ||
		    (req->ts_col && !strcmp(ci.name, req->ts_col)))
			want[nwant++] = c;
	}
	if (!want)
		rc = fr_err_set(err, FR_ENOMEM, "out of memory");
	else
		rc = fr_pq_prefetch(f, want, nwant, NULL, err);
	free(want);
	if (!rc && !(rc = cancelled(cancel, err)))
		rc = fr_dschema_collect(f, req->group_col, req->ts_col, &so, arena, &ds,
		                        req->want_group_ids ? &ids : NULL, err);
	fr_pq_close(f);
	if (!rc && fr_dschema_write_full(ds, &js, 0))
		rc = fr_err_set(err, FR_ENOMEM, "out of memory");
	if (!rc) {
		res->schema_json = fr_arena_strndup(arena, js.data ? (const char *)js.data : "",
		                                    js.len);
		if (req->want_group_ids) {
			res->group_ids = fr_arena_memdup(arena, ids.data ? (const void *)ids.data : "",
			                                 ids.len);
			res->group_ids_len = ids.len;
		}
		if (!res->schema_json || (req->want_group_ids && !res->group_ids))
			rc = fr_err_set(err, FR_ENOMEM, "out of memory");
	}
	res->run_s = fr_mono_s() - t0 - res->load_s;
	fr_buf_free(&ids);
	fr_buf_free(&js);
	return rc;
}

void fr_task_run(const fr_task_req *req, fr_task_progress_fn progress, void *progress_arg,
                 const volatile int *cancel, fr_arena *arena, fr_task_res *res)
{
	double t0 = fr_mono_s();
	memset(res, 0, sizeof *res);
	res->kind = req->kind;
	res->task_index = req->task_index;
	res->attempt = req->attempt;
	res->select = req->kind == FR_TASK_QUERY ? FR_SEL_BY_INVOKER : FR_SEL_NONE;
	double lat = fr_wall_s() - req->invoke_time;
	res->invoke_latency = isfinite(lat) && lat > 0 ? lat : 0;
	fr_err err = { 0 };
	int rc;
	if (req->kind == FR_TASK_QUERY)
		rc = run_query(req, progress, progress_arg, cancel, arena, res, &err);
	else if (req->kind == FR_TASK_REGISTER)
		rc = run_register(req, progress, progress_arg, cancel, arena, res, &err);
	else
		rc = fr_err_set(&err, FR_EINVAL, "unknown task kind %d", (int)req->kind);
	res->total_s = fr_mono_s() - t0;
	if (rc) {
		res->status = FR_TS_ENDED_FAILED;
		res->error = fr_arena_strdup(arena, err.msg[0] ? err.msg : fr_err_code_str(rc));
		/* corrupt data, a bad query or an unsupported file fail again on every attempt */
		res->retryable = rc != FR_ECORRUPT && rc != FR_EINVAL && rc != FR_EUNSUPPORTED;
		res->qresult = NULL;
		res->qresult_len = 0;
		res->schema_json = NULL;
		res->group_ids = NULL;
		res->group_ids_len = 0;
		FR_DEBUG("task", "task %d attempt %d failed: %s", req->task_index, req->attempt,
		         res->error ? res->error : "?");
	} else {
		res->status = FR_TS_ENDED_SUCCESS;
	}
}
