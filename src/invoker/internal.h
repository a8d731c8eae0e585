/* Invoker internals shared by its files: the job object and its run loop, stats, documents. */
#ifndef FR_INVOKER_INTERNAL_H
#define FR_INVOKER_INTERNAL_H

#include <pthread.h>

#include "core/arena.h"
#include "invoker/invoker.h"
#include "core/jw.h"

struct fr_invoker {
	fr_invoker_opts opts;
	char *home;
	fr_executor *exec;
	fr_metrics_fn metrics_fn;      /* fr_invoker_set_metrics */
	void *metrics_arg;
};

/* One attempt of one task, as reported by the executor. */
typedef struct fr_attempt {
	fr_task_status st;
	int final;                 /* failed for good: another attempt would fail the same way */
	double t;                  /* monotonic time of the last report */
	uint8_t *res;              /* encoded fr_task_res (malloc), NULL until it arrives */
	size_t len;
} fr_attempt;

typedef struct fr_job_task {
	fr_attempt *att;           /* max_att entries; natt used */
	int natt;
} fr_job_task;

struct fr_job {
	pthread_mutex_t mu;
	pthread_cond_t cv;         /* signalled on every report */
	int refs;
	volatile int cancel;
	int ntasks, max_att;
	fr_job_task *tasks;
	fr_attempt *att_all;        /* ntasks * max_att, the tasks' att point into it */
	uint64_t version;          /* bumped on every report */
	int64_t rows;              /* scanned rows of the successful results so far */
	double looked;             /* fr_job_report_looked: the latest look's time (0: none) */
	const char *const *select_parts;  /* set before fr_job_run: per task its part's name, for
	                            * executors with submit_select (worker self-select); the
	                            * caller keeps it alive through the run */
	char error[FR_ERR_MSG_MAX];  /* fr_job_report_error: the executor gave up on the job */
};

/* Builds the encoded request of (task, attempt). */
typedef int (*fr_job_build_fn)(void *arg, int task, int attempt, double invoke_time,
                               fr_buf *out, fr_err *err);

/* A decoded attempt result, for stats and completion. */
typedef struct fr_job_result {
	int task, attempt;
	int chosen;                /* the attempt the dedupe rule picked for its task */
	fr_task_res res;
} fr_job_result;

typedef struct fr_job_run_out {
	int ok;                    /* every task ended in success */
	char error[FR_ERR_MSG_MAX];  /* the invoker's error when not ok */
	double enqueue_s, poll_s;
	fr_job_result *results;    /* every attempt that reported a result (in arena) */
	int nresults;
	fr_job_result **chosen;    /* per task: its chosen attempt's result, NULL if none */
} fr_job_run_out;

int fr_job_new(int ntasks, int max_att, fr_job **out, fr_err *err);
/* Runs the job to its end on inv's executor: submit, wait, retry, time out.  Results are
 * decoded into arena.  The caller unrefs the job afterwards. */
int fr_job_run(fr_invoker *inv, fr_job *job, fr_job_build_fn build, void *build_arg,
               fr_job_progress_fn fn, void *fn_arg, double job_start, fr_arena *arena,
               fr_job_run_out *out, fr_err *err);

/* Stats (runtime.md §7) of a finished job, as the "stats" member of an open object. */
typedef struct fr_job_stats_in {
	double total_s, enqueue_s, poll_s;
	const fr_job_result *results;
	int nresults;
	int has_dataset;
	int64_t parts, total_size;
	int query;                 /* scannedRows/scannedGroups only for query jobs */
} fr_job_stats_in;
void fr_job_write_stats(fr_jw *w, const fr_invoker_opts *o, const fr_job_stats_in *in);

/* Hands the job's metric rows to the sink, if one is set: the invoker's own (enqueue and
 * poll only when the tasks were dispatched: ro != NULL) and every attempt's in ro. */
void fr_job_emit_metrics(fr_invoker *inv, const char *job_type, const char *dataset, int ok,
                         double total_s, const fr_job_run_out *ro);

/* "<unix seconds>-<8 hex>" */
void fr_job_request_id(char *out, size_t n);

/* A failure document {errorKind?, errorMessage, requestId?, stats?, success: false}. */
void fr_job_fail_doc(fr_job_out *out, fr_job_outcome outcome, const char *kind,
                     const char *msg, int pretty);

#endif
