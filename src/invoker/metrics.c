/* Job metrics (runtime.md §8): after each job, one row per metric for the invoker and for
 * every task attempt that reported a result, handed to the sink the program set (the API
 * server's Prometheus registry).  The CLI sets none, so it pays nothing. */
#include "invoker/internal.h"

#include <stdlib.h>
#include <unistd.h>

static const char *const metric_names[] = {
#define X(name, text) text,
	FR_METRICS(X)
#undef X
};

const char *fr_metric_name(fr_metric m)
{
	return (unsigned)m < FR_M__COUNT ? metric_names[m] : "unknown";
}

void fr_invoker_set_metrics(fr_invoker *inv, fr_metrics_fn fn, void *arg)
{
	inv->metrics_fn = fn;
	inv->metrics_arg = arg;
}

/* Physical memory of this machine (the local workers run here too). */
static double machine_memory(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
	return pages > 0 && size > 0 ? (double)pages * (double)size : 0;
}

static void add(fr_metric_row *rows, int *n, fr_metric m, double v, const fr_metric_row *proto)
{
	rows[*n] = *proto;
	rows[*n].metric = m;
	rows[*n].value = v;
	(*n)++;
}

void fr_job_emit_metrics(fr_invoker *inv, const char *job_type, const char *dataset, int ok,
                         double total_s, const fr_job_run_out *ro)
{
	if (!inv->metrics_fn)
		return;
	int nres = ro ? ro->nresults : 0;
	/* at most 4 invoker rows and 9 per attempt */
	fr_metric_row *rows = malloc(sizeof *rows * (size_t)(4 + 9 * nres));
	if (!rows)
		return;   /* metrics are best effort: the job's answer does not depend on them */
	double mem = machine_memory();
	int n = 0;
	fr_metric_row inv_row = { .worker = 0, .success = ok };
	add(rows, &n, FR_M_INVOKER_TOTAL_SECONDS, total_s, &inv_row);
	if (ro) {
		add(rows, &n, FR_M_ASYNC_ENQUEUE_SECONDS, ro->enqueue_s, &inv_row);
		add(rows, &n, FR_M_ASYNC_POLL_SECONDS, ro->poll_s, &inv_row);
	}
	if (mem > 0)
		add(rows, &n, FR_M_MACHINE_MEMORY_BYTES, mem, &inv_row);
	for (int i = 0; i < nres; i++) {
		const fr_task_res *r = &ro->results[i].res;
		int success = r->status == FR_TS_ENDED_SUCCESS;
		int query = r->kind == FR_TASK_QUERY;
		fr_metric_row w = { .worker = 1, .success = success, .worker_startup = "warm",
			.load_from = success ? (r->from_cache ? "disk_cache" : "source") : NULL,
			.part_select = query && r->select != FR_SEL_NONE ? fr_task_select_name(r->select)
			                                                 : NULL };
		add(rows, &n, FR_M_INVOKE_TO_RUN_SECONDS, r->invoke_latency, &w);
		add(rows, &n, FR_M_TASK_TOTAL_RUN_SECONDS, r->total_s, &w);
		if (r->select >= FR_SEL_CANDIDATE)   /* self-selected: the preflight wait, 0 or more */
			add(rows, &n, FR_M_TASK_PREFLIGHT_SLEEP_SECONDS, r->preflight_s, &w);
		/* a load was attempted when it took time or the task got past it */
		if (success || r->load_s > 0) {
			add(rows, &n, FR_M_TASK_TOTAL_LOAD_SECONDS, r->load_s, &w);
			add(rows, &n, FR_M_TASK_LOAD_FILE_SECONDS, r->load_s, &w);
		}
		if (query && success) {
			add(rows, &n, FR_M_TASK_RUN_QUERY_SECONDS, r->run_s, &w);
			add(rows, &n, FR_M_SCANNED_ROWS, (double)r->scanned_rows, &w);
			add(rows, &n, FR_M_SCANNED_GROUPS, (double)r->scanned_groups, &w);
		}
		if (mem > 0)
			add(rows, &n, FR_M_MACHINE_MEMORY_BYTES, mem, &w);
	}
	fr_job_metrics m = { .job_type = job_type, .dataset = dataset, .rows = rows, .nrows = n };
	inv->metrics_fn(inv->metrics_arg, &m);
	free(rows);
}
