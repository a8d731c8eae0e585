/* Registration jobs (runtime.md §5): list the basepath, pick the parts to validate, run one
 * register task on each, check that no group id is in two of them, merge their schemas, and
 * store the dataset in one catalog transaction.  Nothing is stored unless every step passed.
 * Unregister (§5.10) lives here too. */
#include "invoker/internal.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/log.h"
#include "storage/storage.h"
#include "task/dschema.h"

typedef struct rjob {
	fr_invoker *inv;
	char request_id[32];
	char registered_at[40];
	const fr_register_args *args;
	const fr_part_entry *parts;
	const int *sample;         /* task -> part index */
	int uniques;
} rjob;

static int build_register_req(void *arg, int task, int attempt, double invoke_time,
                              fr_buf *out, fr_err *err)
{
	rjob *j = arg;
	int p = j->sample[task];
	fr_task_req r = {
		.kind = FR_TASK_REGISTER,
		.request_id = j->request_id,
		.task_index = task,
		.attempt = attempt,
		.invoke_time = invoke_time,
		.dataset = j->args->name,
		.registered_at = j->registered_at,
		.basepath = j->args->basepath,
		.part_name = j->parts[p].name,
		.part_index = p,
		.group_col = j->args->group_col,
		.ts_col = j->args->ts_col,
		.opts = j->inv->opts.task,
		.want_group_ids = j->uniques,
	};
	return fr_task_req_encode(&r, out, err);
}

/* A random index in [0, n) from the kernel's generator (sampling needs no reproducibility,
 * only independence between runs). */
static uint64_t rnd(uint64_t n)
{
	uint64_t x = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, &x, sizeof x) != (ssize_t)sizeof x)
		x = (uint64_t)time(NULL) * 6364136223846793005ULL + (uint64_t)clock();
	if (fd >= 0)
		close(fd);
	return n ? x % n : 0;
}

/* The parts to validate (runtime.md §5.3), without replacement (decision 18). */
static int choose_sample(const fr_invoker_opts *o, fr_validation mode, int n, fr_arena *a,
                         int **out, int *k)
{
	if (n == 1)
		mode = FR_VALIDATE_SINGLE;
	else if (n == 2 && mode == FR_VALIDATE_SAMPLE)
		mode = FR_VALIDATE_FIRST_LAST;
	int m = mode == FR_VALIDATE_SINGLE ? 1 : 2;
	if (mode == FR_VALIDATE_SAMPLE) {
		int64_t want = (int64_t)((double)n * o->sample_ratio);
		if (want > o->sample_max)
			want = o->sample_max;
		int64_t extra = want - 2 > 0 ? want - 2 : 0;
		if (extra > n - 2)
			extra = n - 2;
		m += (int)extra;
	}
	int *s = fr_arena_alloc(a, sizeof(int) * (size_t)m);
	if (!s)
		return FR_ENOMEM;
	s[0] = 0;
	if (m > 1)
		s[1] = n - 1;
	if (m > 2) {
		/* a partial Fisher-Yates over the middle parts 1..n-2 */
		int mid = n - 2;
		int *pool = malloc(sizeof(int) * (size_t)mid);
		if (!pool)
			return FR_ENOMEM;
		for (int i = 0; i < mid; i++)
			pool[i] = i + 1;
		for (int i = 0; i < m - 2; i++) {
			int r = i + (int)rnd((uint64_t)(mid - i));
			int t = pool[i];
			pool[i] = pool[r];
			pool[r] = t;
			s[2 + i] = pool[i];
		}
		free(pool);
	}
	*out = s;
	*k = m;
	return 0;
}

int fr_invoke_register(fr_invoker *inv, const fr_register_args *args, fr_job_progress_fn fn,
                       void *arg, int pretty, fr_job_out *out)
{
	double t0 = fr_mono_s();
	memset(out, 0, sizeof *out);
	fr_job_request_id(out->request_id, sizeof out->request_id);
	fr_err err = { 0 };
	fr_arena *a = fr_arena_new(0);
	fr_catalog *cat = NULL;
	fr_job *job = NULL;
	int rc = 0, nparts = 0, nsample = 0;
	fr_part_entry *parts = NULL;
	int *sample = NULL;
	char msg[FR_ERR_MSG_MAX] = "";
	fr_job_run_out ro;
	memset(&ro, 0, sizeof ro);
	int64_t total_size = 0;
	int ran = 0, ok = 0;
	fr_dataset ds = { 0 };
	if (!a) {
		fr_job_fail_doc(out, FR_JOB_INTERNAL, NULL, "out of memory", pretty);
		return FR_ENOMEM;
	}
	fr_store_kind kind;
	if ((rc = fr_catalog_check_name(args->name, &err)) ||
	    (rc = fr_storage_kind(args->basepath, &kind, &err))) {
		fr_job_fail_doc(out, FR_JOB_INVALID, "INVALID_ARGUMENTS", err.msg, pretty);
		goto done;
	}
	if (!args->group_col || !*args->group_col || !args->ts_col || !*args->ts_col) {
		fr_job_fail_doc(out, FR_JOB_INVALID, "INVALID_ARGUMENTS", "the group id and "
		                "timestamp columns must be named", pretty);
		rc = FR_EINVAL;
		goto done;
	}
	/* Open the catalog first: a broken FROCKET_HOME fails before any work. */
	if ((rc = fr_invoker_catalog(inv, &cat, &err))) {
		fr_job_fail_doc(out, FR_JOB_INTERNAL, NULL, err.msg, pretty);
		goto done;
	}
	char pmsg[FR_ERR_MSG_MAX];
	snprintf(pmsg, sizeof pmsg, "Discovering files in %s", args->basepath);
	if (fn) {
		fr_job_progress p = { .stage = "STARTING", .message = pmsg,
			.elapsed = fr_mono_s() - t0 };
		fn(arg, &p);
	}
	if ((rc = fr_storage_list(args->basepath, args->pattern, a, &parts, &nparts, &err))) {
		snprintf(msg, sizeof msg, "%s", err.msg);
		goto result;
	}
	if (nparts == 0) {
		snprintf(msg, sizeof msg, "No files found at %s", args->basepath);
		goto result;
	}
	for (int i = 0; i < nparts; i++)
		total_size += (int64_t)parts[i].size;
	if (choose_sample(&inv->opts, args->validation, nparts, a, &sample, &nsample)) {
		snprintf(msg, sizeof msg, "out of memory");
		goto result;
	}
	/* one validated part has nothing to be disjoint from: its ids are not even collected */
	int uniques = args->validate_uniques && nsample > 1;
	rjob j = { .inv = inv, .args = args, .parts = parts, .sample = sample,
		.uniques = uniques };
	memcpy(j.request_id, out->request_id, sizeof j.request_id);
	fr_iso8601_now(j.registered_at, sizeof j.registered_at);
	if ((rc = fr_job_new(nsample, inv->opts.retry_max, &job, &err)) ||
	    (rc = fr_job_run(inv, job, build_register_req, &j, fn, arg, t0, a, &ro, &err))) {
		snprintf(msg, sizeof msg, "%s", err.msg);
		goto result;
	}
	ran = 1;
	if (!ro.ok) {
		snprintf(msg, sizeof msg, "%s", ro.error[0] ? ro.error : "Some tasks failed");
		int first = 1;
		for (int i = 0; i < nsample; i++) {
			const fr_job_result *r = ro.chosen[i];
			if (!r || !r->res.error)
				continue;
			size_t l = strlen(msg);
			snprintf(msg + l, sizeof msg - l, "%s'%s'", first ? ". Task errors: [" : ", ",
			         r->res.error);
			first = 0;
		}
		if (!first && strlen(msg) + 2 < sizeof msg)
			strcat(msg, "]");
		goto result;
	}
	/* The complete step (§5.6): uniqueness, then the schema merge, then one transaction. */
	const fr_dschema **schemas = fr_arena_calloc(a, (size_t)nsample, sizeof *schemas);
	const char **names = fr_arena_calloc(a, (size_t)nsample, sizeof *names);
	const uint8_t **blobs = fr_arena_calloc(a, (size_t)nsample, sizeof *blobs);
	size_t *lens = fr_arena_calloc(a, (size_t)nsample, sizeof *lens);
	if (!schemas || !names || !blobs || !lens) {
		snprintf(msg, sizeof msg, "out of memory");
		goto result;
	}
	for (int i = 0; i < nsample; i++) {
		const fr_task_res *r = &ro.chosen[i]->res;
		fr_dschema *s;
		names[i] = fr_storage_part_path(args->basepath, parts[sample[i]].name, a);
		if (!names[i] || (rc = fr_dschema_parse(r->schema_json, r->schema_json ?
		                                        strlen(r->schema_json) : 0, a, &s, &err))) {
			snprintf(msg, sizeof msg, "%.300s: %.700s", names[i] ? names[i] : "?",
			         names[i] ? err.msg : "out of memory");
			goto result;
		}
		schemas[i] = s;
		blobs[i] = r->group_ids;
		lens[i] = r->group_ids_len;
	}
	if (uniques && (rc = fr_dschema_ids_check(blobs, lens, names, nsample, &err))) {
		snprintf(msg, sizeof msg, "%s", err.msg);
		goto result;
	}
	fr_dschema_opts so = { .cat_ratio = inv->opts.task.cat_ratio,
		.cat_top_count = inv->opts.task.cat_top_count,
		.cat_top_minpct = inv->opts.cat_top_minpct };
	fr_dschema *merged;
	if ((rc = fr_dschema_merge(schemas, names, nsample, &so, a, &merged, &err))) {
		snprintf(msg, sizeof msg, "%s", err.msg);
		goto result;
	}
	fr_buf full = FR_BUF_INIT, shrt = FR_BUF_INIT;
	if (fr_dschema_write_full(merged, &full, 0) || fr_dschema_write_short(merged, &shrt, 0) ||
	    fr_buf_putc(&full, 0) || fr_buf_putc(&shrt, 0)) {
		fr_buf_free(&full);
		fr_buf_free(&shrt);
		snprintf(msg, sizeof msg, "out of memory");
		goto result;
	}
	ds.name = args->name;
	ds.registered_at = j.registered_at;
	ds.basepath = args->basepath;
	ds.group_col = args->group_col;
	ds.ts_col = args->ts_col;
	ds.total_parts = nparts;
	ds.total_size = total_size;
	ds.parts = fr_arena_calloc(a, (size_t)nparts, sizeof *ds.parts);
	ds.schema_json = fr_arena_strdup(a, (const char *)full.data);
	ds.short_schema_json = fr_arena_strdup(a, (const char *)shrt.data);
	fr_buf_free(&full);
	fr_buf_free(&shrt);
	if (!ds.parts || !ds.schema_json || !ds.short_schema_json) {
		snprintf(msg, sizeof msg, "out of memory");
		goto result;
	}
	for (int i = 0; i < nparts; i++) {
		ds.parts[i].name = parts[i].name;
		ds.parts[i].size = parts[i].size;
	}
	if ((rc = fr_catalog_put(cat, &ds, &err))) {
		snprintf(msg, sizeof msg, "%s", err.msg);
		goto result;
	}
	ok = 1;
result:;
	fr_jw w;
	fr_buf_reset(&out->doc);
	fr_jw_init(&w, &out->doc, pretty);
	fr_jw_open(&w, '{');
	if (ok) {
		fr_jw_key(&w, "dataset");
		fr_dataset_write_info(&w, &ds, 1);
	} else {
		fr_jw_key(&w, "errorMessage");
		fr_jw_str(&w, msg);
	}
	fr_jw_key(&w, "requestId");
	fr_jw_str(&w, out->request_id);
	fr_job_stats_in si = { .total_s = fr_mono_s() - t0, .enqueue_s = ro.enqueue_s,
		.poll_s = ro.poll_s, .results = ro.results, .nresults = ran ? ro.nresults : 0,
		.has_dataset = nparts > 0, .parts = nparts, .total_size = total_size };
	fr_job_write_stats(&w, &inv->opts, &si);
	fr_jw_key(&w, "success");
	fr_jw_bool(&w, ok);
	fr_jw_close(&w, '}');
	out->outcome = ok ? FR_JOB_OK : FR_JOB_FAILED;
	snprintf(out->message, sizeof out->message, "%s", ok ? "" : msg);
	if (fr_jw_status(&w))
		fr_job_fail_doc(out, FR_JOB_INTERNAL, NULL, "out of memory writing the result", pretty);
	fr_job_emit_metrics(inv, "register", args->name, ok, si.total_s, ran ? &ro : NULL);
	rc = 0;
done:
	fr_job_unref(job);
	fr_catalog_close(cat);
	fr_arena_free(a);
	return rc;
}

int fr_invoke_unregister(fr_invoker *inv, const char *name, int force, int pretty,
                         fr_job_out *out)
{
	memset(out, 0, sizeof *out);
	fr_err err = { 0 };
	fr_catalog *cat = NULL;
	fr_unregister_res ur;
	int rc = fr_invoker_catalog(inv, &cat, &err);
	if (!rc)
		rc = fr_catalog_unregister(cat, name, force, inv->opts.unregister_interval,
		                           (int64_t)time(NULL), &ur, &err);
	fr_catalog_close(cat);
	if (rc) {
		fr_job_fail_doc(out, FR_JOB_INTERNAL, NULL, err.msg, pretty);
		return rc;
	}
	fr_jw w;
	fr_jw_init(&w, &out->doc, pretty);
	fr_jw_open(&w, '{');
	fr_jw_key(&w, "datasetFound");
	fr_jw_bool(&w, ur.found);
	if (ur.has_last_used) {
		fr_jw_key(&w, "datasetLastUsed");
		fr_jw_int(&w, ur.last_used);
	}
	if (!ur.success) {
		fr_jw_key(&w, "errorMessage");
		fr_jw_str(&w, ur.message);
	}
	fr_jw_key(&w, "success");
	fr_jw_bool(&w, ur.success);
	fr_jw_close(&w, '}');
	out->outcome = ur.success ? FR_JOB_OK : FR_JOB_FAILED;
	snprintf(out->message, sizeof out->message, "%s", ur.success ? "" : ur.message);
	if (fr_jw_status(&w)) {
		fr_job_fail_doc(out, FR_JOB_INTERNAL, NULL, "out of memory", pretty);
		return FR_ENOMEM;
	}
	return 0;
}
