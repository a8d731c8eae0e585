/* Query jobs: over a registered dataset (`frocket run`, POST /datasets/<name>/query) and over
 * loose files (`frocket query`).  Both validate the query, fan out one query task per part,
 * merge the chosen attempts' part results and write the same result document. */
#include "invoker/internal.h"

#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "core/clock.h"
#include "core/file.h"
#include "core/log.h"
#include "query/wire.h"
#include "storage/storage.h"
#include "task/dschema.h"

/* What a query job runs over: one basepath per part (loose files may live anywhere). */
typedef struct qjob {
	fr_invoker *inv;
	char request_id[32];
	const char *dataset, *registered_at;
	const char *group_col, *ts_col;
	int nparts;
	const char **basepaths;    /* per part */
	const char **names;        /* per part, relative to its basepath */
	int64_t total_size;
	fr_task_col *cols;
	int ncols;
	const char *query;
	size_t query_len;
	int selectable;            /* one basepath for all parts: workers may pick their parts */
} qjob;

static int build_query_req(void *arg, int task, int attempt, double invoke_time, fr_buf *out,
                           fr_err *err)
{
	qjob *j = arg;
	/* task -1: a self-select request, the worker fills in the part it picks */
	int sel = task < 0;
	fr_task_req r = {
		.kind = FR_TASK_QUERY,
		.request_id = j->request_id,
		.task_index = task,
		.attempt = attempt,
		.invoke_time = invoke_time,
		.dataset = j->dataset,
		.registered_at = j->registered_at,
		.basepath = j->basepaths[sel ? 0 : task],
		.part_name = sel ? "" : j->names[task],
		.part_index = task,
		.group_col = j->group_col,
		.ts_col = j->ts_col,
		.opts = j->inv->opts.task,
		.query = j->query,
		.query_len = j->query_len,
		.cols = j->cols,
		.ncols = j->ncols,
	};
	return fr_task_req_encode(&r, out, err);
}

/* "<what>. Task errors: ['<msg>', ...]" (runtime.md §4.5), at most a few messages. */
static void job_error(const fr_job_run_out *ro, int ntasks, char *out, size_t n)
{
	snprintf(out, n, "%s", ro->error[0] ? ro->error : "Some tasks failed");
	int first = 1, shown = 0;
	for (int i = 0; i < ntasks; i++) {
		const fr_job_result *r = ro->chosen[i];
		if (!r || !r->res.error)
			continue;
		size_t l = strlen(out);
		if (shown == 5) {
			snprintf(out + l, n - l, ", ...");
			break;
		}
		snprintf(out + l, n - l, "%s'%s'", first ? ". Task errors: [" : ", ", r->res.error);
		first = 0;
		shown++;
	}
	if (!first) {
		size_t l = strlen(out);
		if (l + 2 < n)
			snprintf(out + l, n - l, "]");
	}
}

/* Runs the job; writes the document into out.  q validated against s already. */
static int run_qjob(qjob *j, const fr_query *q, double t_start, fr_job_progress_fn fn,
                    void *arg, int pretty, fr_job_out *out)
{
	fr_invoker *inv = j->inv;
	fr_err err = { 0 };
	fr_job *job = NULL;
	fr_arena *a = fr_arena_new(0);
	fr_qresult *acc = NULL;
	int rc;
	if (!a || (rc = fr_job_new(j->nparts, inv->opts.retry_max, &job, &err))) {
		fr_arena_free(a);
		fr_job_fail_doc(out, FR_JOB_INTERNAL, NULL, a ? err.msg : "out of memory", pretty);
		return FR_ENOMEM;
	}
	/* worker self-select (runtime.md §2.7), where the executor offers it */
	if (j->selectable && inv->opts.self_select)
		job->select_parts = (const char *const *)j->names;
	fr_job_run_out ro;
	rc = fr_job_run(inv, job, build_query_req, j, fn, arg, t_start, a, &ro, &err);
	fr_job_unref(job);
	if (rc) {
		fr_job_fail_doc(out, FR_JOB_INTERNAL, NULL, err.msg, pretty);
		fr_arena_free(a);
		return rc;
	}
	int ok = ro.ok;
	char msg[FR_ERR_MSG_MAX] = "";
	if (ok && (rc = fr_qresult_new(q, &acc, &err))) {
		ok = 0;
		snprintf(msg, sizeof msg, "%s", err.msg);
	}
	for (int i = 0; ok && i < j->nparts; i++) {
		fr_qresult *part = NULL;
		const fr_job_result *r = ro.chosen[i];
		if ((rc = fr_qresult_decode(q, r->res.qresult, r->res.qresult_len, &part, &err)) ||
		    (rc = fr_qresult_merge(q, acc, part, &err))) {
			ok = 0;
			snprintf(msg, sizeof msg, "part %d (%.200s): %.700s", i, j->names[i], err.msg);
		}
		fr_qresult_free(part);
	}
	if (!ok && !msg[0])
		job_error(&ro, j->nparts, msg, sizeof msg);
	fr_jw w;
	fr_buf_reset(&out->doc);
	fr_jw_init(&w, &out->doc, pretty);
	fr_jw_open(&w, '{');
	if (!ok) {
		fr_jw_key(&w, "errorMessage");
		fr_jw_str(&w, msg);
	} else if (fr_qresult_write(q, acc, &w)) {
		w.oom = 1;
	}
	fr_jw_key(&w, "requestId");
	fr_jw_str(&w, j->request_id);
	fr_job_stats_in si = { .total_s = fr_mono_s() - t_start, .enqueue_s = ro.enqueue_s,
		.poll_s = ro.poll_s, .results = ro.results, .nresults = ro.nresults,
		.has_dataset = 1, .parts = j->nparts, .total_size = j->total_size, .query = 1 };
	fr_job_write_stats(&w, &inv->opts, &si);
	fr_jw_key(&w, "success");
	fr_jw_bool(&w, ok);
	fr_jw_close(&w, '}');
	fr_job_emit_metrics(inv, "query", j->dataset && *j->dataset ? j->dataset : NULL, ok,
	                    si.total_s, &ro);
	fr_qresult_free(acc);
	fr_arena_free(a);
	if (fr_jw_status(&w)) {
		fr_job_fail_doc(out, FR_JOB_INTERNAL, NULL, "out of memory writing the result",
		                pretty);
		return FR_ENOMEM;
	}
	out->outcome = ok ? FR_JOB_OK : FR_JOB_FAILED;
	snprintf(out->message, sizeof out->message, "%s", ok ? "" : msg);
	return 0;
}

static void progress_start(fr_job_progress_fn fn, void *arg, const char *msg, double t0)
{
	if (!fn)
		return;
	fr_job_progress p = { .stage = "STARTING", .message = msg };
	p.elapsed = fr_mono_s() - t0;
	fn(arg, &p);
}

/* Validation failures are documents with errorKind, like the API's 400 answers. */
static int invalid(fr_job_out *out, const fr_qerror *qe, int pretty)
{
	fr_job_fail_doc(out, FR_JOB_INVALID, fr_qerr_kind_name(qe->kind), qe->msg, pretty);
	return 0;
}

static int cols_of_schema(const fr_qschema *s, fr_arena *a, fr_task_col **out)
{
	fr_task_col *c = fr_arena_calloc(a, (size_t)(s->ncols > 0 ? s->ncols : 1), sizeof *c);
	if (!c)
		return FR_ENOMEM;
	for (int i = 0; i < s->ncols; i++) {
		c[i].name = s->names[i];
		c[i].type = s->types[i];
	}
	*out = c;
	return 0;
}

int fr_invoke_query(fr_invoker *inv, const char *dataset, const char *query, size_t len,
                    fr_job_progress_fn fn, void *arg, int pretty, fr_job_out *out)
{
	double t0 = fr_mono_s();
	memset(out, 0, sizeof *out);
	fr_job_request_id(out->request_id, sizeof out->request_id);
	fr_err err = { 0 };
	fr_arena *a = fr_arena_new(0);
	fr_catalog *cat = NULL;
	fr_dataset *ds = NULL;
	fr_dschema *sch = NULL;
	fr_qschema qs;
	int rc = 0;
	if (!a) {
		fr_job_fail_doc(out, FR_JOB_INTERNAL, NULL, "out of memory", pretty);
		return FR_ENOMEM;
	}
	progress_start(fn, arg, "Validating the query", t0);
	if ((rc = fr_invoker_catalog(inv, &cat, &err)) ||
	    (rc = fr_catalog_get(cat, dataset, FR_DS_PARTS | FR_DS_SCHEMA, a, &ds, &err))) {
		fr_job_fail_doc(out, rc == FR_ENOTFOUND ? FR_JOB_NOT_FOUND : FR_JOB_INTERNAL, NULL,
		                err.msg, pretty);
		goto done;
	}
	if ((rc = fr_dschema_parse(ds->schema_json, strlen(ds->schema_json), a, &sch, &err)) ||
	    (rc = fr_dschema_qschema(sch, a, &qs, &err))) {
		fr_err_prefix(&err, "dataset '%s': stored schema", dataset);
		fr_job_fail_doc(out, FR_JOB_INTERNAL, NULL, err.msg, pretty);
		goto done;
	}
	fr_query_opts qo = fr_invoker_query_opts(&inv->opts);
	fr_query *q;
	fr_qerror qe;
	if (fr_query_parse_opts(query ? query : "", len, &qs, &qo, a, &q, &qe)) {
		rc = invalid(out, &qe, pretty);
		goto done;
	}
	/* A started query marks the dataset used (runtime.md §6.1), whatever its outcome. */
	if ((rc = fr_catalog_mark_used(cat, dataset, (int64_t)time(NULL), &err))) {
		fr_job_fail_doc(out, rc == FR_ENOTFOUND ? FR_JOB_NOT_FOUND : FR_JOB_INTERNAL, NULL,
		                err.msg, pretty);
		goto done;
	}
	fr_catalog_close(cat);
	cat = NULL;
	qjob j = { .inv = inv, .dataset = ds->name, .registered_at = ds->registered_at,
		.group_col = ds->group_col, .ts_col = ds->ts_col, .nparts = (int)ds->total_parts,
		.total_size = ds->total_size, .query = query, .query_len = len, .selectable = 1 };
	memcpy(j.request_id, out->request_id, sizeof j.request_id);
	j.basepaths = fr_arena_calloc(a, (size_t)(j.nparts ? j.nparts : 1), sizeof *j.basepaths);
	j.names = fr_arena_calloc(a, (size_t)(j.nparts ? j.nparts : 1), sizeof *j.names);
	if (!j.basepaths || !j.names || cols_of_schema(&qs, a, &j.cols)) {
		fr_job_fail_doc(out, FR_JOB_INTERNAL, NULL, "out of memory", pretty);
		rc = FR_ENOMEM;
		goto done;
	}
	j.ncols = qs.ncols;
	for (int i = 0; i < j.nparts; i++) {
		j.basepaths[i] = ds->basepath;
		j.names[i] = ds->parts[i].name;
	}
	rc = run_qjob(&j, q, t0, fn, arg, pretty, out);
done:
	fr_catalog_close(cat);
	fr_arena_free(a);
	return rc;
}

/* The query schema of loose files: the first part's Parquet metadata (query.md §0). */
static int files_schema(const char *basepath, const char *name, const char *gid,
                        const char *ts, fr_arena *a, fr_qschema *s, fr_err *err)
{
	fr_pq_file *f = NULL;
	uint64_t size;
	int rc = fr_storage_open(basepath, name, &f, &size, err);
	if (rc)
		return rc;
	int n = fr_pq_num_columns(f);
	const char **names = fr_arena_calloc(a, (size_t)(n > 0 ? n : 1), sizeof *names);
	fr_coltype *types = fr_arena_calloc(a, (size_t)(n > 0 ? n : 1), sizeof *types);
	if (!names || !types) {
		fr_pq_close(f);
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	}
	s->ncols = 0;
	s->group_col = s->ts_col = -1;
	for (int c = 0; c < n; c++) {
		fr_pq_colinfo ci;
		if (fr_pq_column_info(f, c, &ci)) {
			rc = fr_err_set(err, FR_ECORRUPT, "%s: cannot read column %d", fr_pq_name(f), c);
			break;
		}
		if (ci.nested || ci.type == FR_TYPE_NONE)
			continue;
		if (!strcmp(ci.name, gid))
			s->group_col = s->ncols;
		if (!strcmp(ci.name, ts))
			s->ts_col = s->ncols;
		if (!(names[s->ncols] = fr_arena_strdup(a, ci.name))) {
			rc = fr_err_set(err, FR_ENOMEM, "out of memory");
			break;
		}
		types[s->ncols++] = ci.type;
	}
	s->names = names;
	s->types = types;
	if (!rc && s->group_col < 0)
		rc = fr_err_set(err, FR_ENOTFOUND, "group id column '%s' is not a supported column "
		                "of %s", gid, fr_pq_name(f));
	else if (!rc && s->ts_col < 0)
		rc = fr_err_set(err, FR_ENOTFOUND, "timestamp column '%s' is not a supported column "
		                "of %s", ts, fr_pq_name(f));
	else if (!rc && types[s->group_col] != FR_TYPE_INT && types[s->group_col] != FR_TYPE_STRING)
		rc = fr_err_set(err, FR_EINVAL, "group id column '%s' is %s; it must be INT or "
		                "STRING", gid, fr_coltype_name(types[s->group_col]));
	else if (!rc && types[s->ts_col] != FR_TYPE_INT && types[s->ts_col] != FR_TYPE_FLOAT)
		rc = fr_err_set(err, FR_EINVAL, "timestamp column '%s' is %s; it must be INT or "
		                "FLOAT", ts, fr_coltype_name(types[s->ts_col]));
	fr_pq_close(f);
	return rc;
}

typedef struct ident {
	const struct stat *st;
	int i;
} ident;

static int cmp_ident(const void *a, const void *b)
{
	const ident *x = a, *y = b;
	if (x->st->st_dev != y->st->st_dev)
		return x->st->st_dev < y->st->st_dev ? -1 : 1;
	if (x->st->st_ino != y->st->st_ino)
		return x->st->st_ino < y->st->st_ino ? -1 : 1;
	return x->i - y->i;   /* argument order, for a stable first pair */
}

/* Two parts that are the same file: FR_EINVAL naming both paths. */
static int find_duplicate(const char *const *paths, const struct stat *st, int n, fr_err *err)
{
	ident *v = malloc(sizeof *v * (size_t)(n > 0 ? n : 1));
	if (!v)
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	for (int i = 0; i < n; i++) {
		v[i].st = &st[i];
		v[i].i = i;
	}
	qsort(v, (size_t)n, sizeof *v, cmp_ident);
	int rc = 0;
	for (int i = 1; i < n && !rc; i++)
		if (v[i].st->st_dev == v[i - 1].st->st_dev && v[i].st->st_ino == v[i - 1].st->st_ino)
			rc = fr_err_set(err, FR_EINVAL, "%s and %s are the same file; give each part "
			                "once", paths[v[i - 1].i], paths[v[i].i]);
	free(v);
	return rc;
}

int fr_invoke_query_files(fr_invoker *inv, const char *const *paths, int n,
                          const char *group_col, const char *ts_col, const char *query,
                          size_t len, fr_job_progress_fn fn, void *arg, int pretty,
                          fr_job_out *out)
{
	double t0 = fr_mono_s();
	memset(out, 0, sizeof *out);
	fr_job_request_id(out->request_id, sizeof out->request_id);
	fr_err err = { 0 };
	fr_arena *a = fr_arena_new(0);
	struct stat *st = calloc((size_t)(n > 0 ? n : 1), sizeof *st);
	int rc = 0;
	qjob j = { .inv = inv, .dataset = "", .registered_at = "", .group_col = group_col,
		.ts_col = ts_col, .nparts = n, .query = query, .query_len = len };
	memcpy(j.request_id, out->request_id, sizeof j.request_id);
	if (!a || !st || !(j.basepaths = fr_arena_calloc(a, (size_t)(n ? n : 1), sizeof(char *))) ||
	    !(j.names = fr_arena_calloc(a, (size_t)(n ? n : 1), sizeof(char *)))) {
		fr_job_fail_doc(out, FR_JOB_INTERNAL, NULL, "out of memory", pretty);
		rc = FR_ENOMEM;
		goto done;
	}
	/* Each part is named by its directory and file name, as a dataset's parts are; stat()
	 * gives its size and its identity (nothing is opened yet: each task opens its own part),
	 * so the same file under two names (a/x and a/../a/x, a symlink, a hard link) is
	 * refused instead of being counted twice. */
	for (int i = 0; i < n; i++) {
		char *d = fr_arena_strdup(a, paths[i]), *b = fr_arena_strdup(a, paths[i]);
		if (!d || !b) {
			fr_job_fail_doc(out, FR_JOB_INTERNAL, NULL, "out of memory", pretty);
			rc = FR_ENOMEM;
			goto done;
		}
		j.basepaths[i] = dirname(d);
		j.names[i] = basename(b);
		if ((rc = fr_file_stat_regular(paths[i], &st[i], &err))) {
			fr_job_fail_doc(out, FR_JOB_FAILED, NULL, err.msg, pretty);
			goto done;
		}
		j.total_size += st[i].st_size;
	}
	if ((rc = find_duplicate(paths, st, n, &err))) {
		fr_job_fail_doc(out, rc == FR_EINVAL ? FR_JOB_INVALID : FR_JOB_INTERNAL, NULL, err.msg,
		                pretty);
		goto done;
	}
	fr_qschema *qs = fr_arena_calloc(a, 1, sizeof *qs);
	if (!qs) {
		fr_job_fail_doc(out, FR_JOB_INTERNAL, NULL, "out of memory", pretty);
		rc = FR_ENOMEM;
		goto done;
	}
	if (n < 1 || (rc = files_schema(j.basepaths[0], j.names[0], group_col, ts_col, a, qs,
	                                &err))) {
		fr_job_fail_doc(out, rc == FR_ENOTFOUND || rc == FR_EINVAL ? FR_JOB_INVALID :
		                FR_JOB_FAILED, NULL, n < 1 ? "no parts" : err.msg, pretty);
		goto done;
	}
	fr_query_opts qo = fr_invoker_query_opts(&inv->opts);
	fr_query *q;
	fr_qerror qe;
	if (fr_query_parse_opts(query ? query : "", len, qs, &qo, a, &q, &qe)) {
		rc = invalid(out, &qe, pretty);
		goto done;
	}
	if (cols_of_schema(qs, a, &j.cols)) {
		fr_job_fail_doc(out, FR_JOB_INTERNAL, NULL, "out of memory", pretty);
		rc = FR_ENOMEM;
		goto done;
	}
	j.ncols = qs->ncols;
	rc = run_qjob(&j, q, t0, fn, arg, pretty, out);
done:
	free(st);
	fr_arena_free(a);
	return rc;
}
