/* The invoker: turns a registration or a query into a job of one task per part, hands the
 * tasks to an executor (the local thread pool now; the Redis queue and Lambda later), tracks
 * their statuses, retries failed ones, honours the run timeout, reports progress, merges the
 * parts' answers and builds the result document with its stats.  The CLI and the API server
 * both call these functions: there is one query path and one registration path.
 *
 * This is the top of the library: the only layer that reads FROCKET_* settings (through
 * core/config, in fr_invoker_opts_load); everything below gets them as option structs. */
#ifndef FR_INVOKER_INVOKER_H
#define FR_INVOKER_INVOKER_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "datastore/catalog.h"
#include "net/redis.h"
#include "query/query.h"
#include "storage/s3.h"
#include "task/task.h"

#define FR_MAX_PERCENTILES 16

typedef struct fr_invoker_opts {
	const char *home;              /* FROCKET_HOME (default ~/.frocket): the embedded catalog */
	int threads;                   /* FROCKET_LOCAL_THREADS (default: online cores) */
	double idle_release;           /* worker.idle.release.seconds (10): a task thread idle
	                                * this long gives its cached memory back to the system */
	int retry_max;                 /* invoker.retry.max.attempts (3): attempts per task */
	double retry_failed_interval;  /* invoker.retry.failed.interval (3 s) */
	double run_timeout;            /* invoker.run.timeout (60 s): the tasks' phase of a job */
	double sample_ratio;           /* validation.sample.ratio (0.1) */
	int64_t sample_max;            /* validation.sample.max (10) */
	double cat_top_minpct;         /* dataset.categorical.top.minpct (0.01) */
	int64_t unregister_interval;   /* unregister.last.used.interval (30 s; 0 disables) */
	double percentiles[FR_MAX_PERCENTILES];  /* stats.timing.percentiles */
	int npercentiles;
	int busy_timeout_ms;           /* catalog lock wait (5000) */
	fr_task_opts task;             /* shipped with every task */
	/* S3 client and disk cache of this process (FROCKET_S3_AWS_* over FROCKET_AWS_*,
	 * FROCKET_WORKER_DISK_CACHE_*); handed to storage by fr_invoker_new */
	fr_storage_s3_opts s3;
	/* distributed mode (issue 16) */
	int datastore_redis;           /* FROCKET_DATASTORE: embedded (default, 0) or redis (1) */
	int work_queue;                /* FROCKET_INVOKER: local (default, 0) or work_queue (1) */
	double retry_lost_interval;    /* invoker.retry.lost.interval (20 s): an unfinished
	                                * attempt silent this long is lost (executors that can
	                                * lose tasks only) */
	int poll_interval_ms;          /* invoker.async.poll.interval.ms (25) */
	int self_select;               /* worker.self.select.enabled (true): a query's first
	                                * attempts let the workers pick their parts, preferring
	                                * parts they read before (work_queue only) */
	fr_redis_opts redis;           /* the datastore role's connection (interfaces.md §3.3) */
	fr_redis_opts blob_redis;      /* the blobstore role's (registration group ids) */
} fr_invoker_opts;

/* Reads every setting from FROCKET_* (strictly: a malformed or out-of-range value is
 * FR_EINVAL naming the variable and its value). */
int fr_invoker_opts_load(fr_invoker_opts *o, fr_err *err);
/* The S3 client and disk-cache settings alone (part of fr_invoker_opts_load; also used by
 * fr_runtime_init so that every executable hands them to storage at start-up). */
int fr_invoker_s3_opts_load(fr_storage_s3_opts *s, fr_err *err);
/* The Redis settings of a role ("datastore" or "blobstore"): <role>.redis.host|port|db|password
 * falling back to redis.host|port|db|password, the shared datastore.redis.prefix, and
 * redis.connect.timeout.ms / redis.command.timeout.ms.  Also used by frocket-worker. */
int fr_invoker_redis_opts_load(const char *role, fr_redis_opts *o, fr_err *err);
/* The engine settings of a query, as the tasks will use them. */
fr_query_opts fr_invoker_query_opts(const fr_invoker_opts *o);

typedef struct fr_invoker fr_invoker;

/* Starts the executor (a pool of o->threads threads) and remembers o (copied, home too).
 * Thread-safe afterwards: several jobs may run at once from different threads. */
int fr_invoker_new(const fr_invoker_opts *o, fr_invoker **out, fr_err *err);
void fr_invoker_free(fr_invoker *inv);   /* waits for the executor's threads; NULL allowed */
const fr_invoker_opts *fr_invoker_get_opts(const fr_invoker *inv);
/* A catalog handle for this thread (caller closes it). */
int fr_invoker_catalog(const fr_invoker *inv, fr_catalog **out, fr_err *err);

/* ---- Progress ---- */
typedef struct fr_job_progress {
	const char *stage;             /* STARTING, RUNNING, FINISHING, DONE */
	const char *message;           /* e.g. "Discovering files in <basepath>" (may be NULL) */
	int total;                     /* tasks of the job */
	int counts[FR_TS__COUNT];      /* tasks by the status of their latest attempt */
	int64_t rows;                  /* rows scanned by the tasks done so far */
	double elapsed;                /* seconds since the job started */
	/* While the tasks run (stage RUNNING), a callback that stores nonzero here cancels the
	 * job: queued tasks are dropped, running ones stop at their next step, and the job ends
	 * failed with "Job cancelled".  The API server uses it when a client goes away.  NULL in
	 * the other stages. */
	volatile int *cancel;
} fr_job_progress;

/* Called from the invoking thread whenever the counts change (and at most every 100 ms
 * otherwise); must not block long. */
typedef void (*fr_job_progress_fn)(void *arg, const fr_job_progress *p);

/* ---- Jobs ----
 * Each job fills an fr_job_out: the result document (API flavour: keys sorted, nulls and
 * empty objects dropped; pretty or one line) and what the caller needs to pick an exit code
 * or an HTTP status. */
typedef enum {
	FR_JOB_OK = 0,                 /* success: true */
	FR_JOB_FAILED,                 /* the job ran and failed (a task, a timeout, a check) */
	FR_JOB_INVALID,                /* the request was refused before any task: bad query,
	                                * bad arguments (errorKind says which) */
	FR_JOB_NOT_FOUND,              /* no such dataset */
	FR_JOB_INTERNAL,               /* the job machinery failed (out of memory, catalog) */
} fr_job_outcome;

typedef struct fr_job_out {
	fr_job_outcome outcome;
	fr_buf doc;                    /* the result document, owned (fr_job_out_free) */
	char message[FR_ERR_MSG_MAX];  /* the error message when not OK */
	char request_id[32];
} fr_job_out;

void fr_job_out_free(fr_job_out *o);

typedef enum { FR_VALIDATE_SAMPLE = 0, FR_VALIDATE_SINGLE, FR_VALIDATE_FIRST_LAST } fr_validation;
/* "SINGLE"/"FIRST_LAST"/"SAMPLE", case-insensitive; -1 when unknown. */
int fr_validation_parse(const char *s);

typedef struct fr_register_args {
	const char *name, *basepath, *group_col, *ts_col;
	const char *pattern;           /* NULL: "*.parquet" */
	fr_validation validation;
	int validate_uniques;
} fr_register_args;

/* A registration job (runtime.md §5): discovery, sampling, one register task per sampled
 * part, the uniqueness check, the schema merge, and one catalog transaction. */
int fr_invoke_register(fr_invoker *inv, const fr_register_args *args, fr_job_progress_fn fn,
                       void *arg, int pretty, fr_job_out *out);

/* A query job over a registered dataset: validation against its schema, the last-used mark,
 * one query task per part, the merge, the result document. */
int fr_invoke_query(fr_invoker *inv, const char *dataset, const char *query, size_t len,
                    fr_job_progress_fn fn, void *arg, int pretty, fr_job_out *out);

/* The same query job over loose Parquet files (`frocket query`): the schema comes from the
 * first file's metadata; the same part given twice (by file identity) is refused. */
int fr_invoke_query_files(fr_invoker *inv, const char *const *paths, int n,
                          const char *group_col, const char *ts_col, const char *query,
                          size_t len, fr_job_progress_fn fn, void *arg, int pretty,
                          fr_job_out *out);

/* Unregister with the last-used guard; the UnregisterResult document in out. */
int fr_invoke_unregister(fr_invoker *inv, const char *name, int force, int pretty,
                         fr_job_out *out);

/* ---- Metrics (runtime.md §8) ----
 * After each job the invoker hands its metric rows to a sink set by the program (the API
 * server's Prometheus registry): the job's own rows (component invoker) and those of every
 * task attempt that reported a result (component worker). */
#define FR_METRICS(X) \
	X(FR_M_INVOKE_TO_RUN_SECONDS,       "invoke_to_run_seconds") \
	X(FR_M_TASK_TOTAL_RUN_SECONDS,      "task_total_run_seconds") \
	X(FR_M_TASK_TOTAL_LOAD_SECONDS,     "task_total_load_seconds") \
	X(FR_M_TASK_PREFLIGHT_SLEEP_SECONDS, "task_preflight_sleep_seconds") \
	X(FR_M_TASK_DOWNLOAD_SECONDS,       "task_download_seconds") \
	X(FR_M_TASK_LOAD_FILE_SECONDS,      "task_load_file_seconds") \
	X(FR_M_TASK_RUN_QUERY_SECONDS,      "task_run_query_seconds") \
	X(FR_M_SCANNED_ROWS,                "scanned_rows") \
	X(FR_M_SCANNED_GROUPS,              "scanned_groups") \
	X(FR_M_MACHINE_MEMORY_BYTES,        "machine_memory_bytes") \
	X(FR_M_COST_DOLLARS,                "cost_dollars") \
	X(FR_M_INVOKER_TOTAL_SECONDS,       "invoker_total_seconds") \
	X(FR_M_ASYNC_ENQUEUE_SECONDS,       "async_enqueue_seconds") \
	X(FR_M_ASYNC_POLL_SECONDS,          "async_poll_seconds")

typedef enum {
#define X(name, text) name,
	FR_METRICS(X)
#undef X
	FR_M__COUNT
} fr_metric;

/* The Prometheus name ("invoker_total_seconds"); its unit is the part after the last '_'. */
const char *fr_metric_name(fr_metric m);

typedef struct fr_metric_row {
	fr_metric metric;
	double value;
	int worker;                    /* 0: the invoker's row, 1: a task attempt's */
	int success;                   /* the job's or the attempt's outcome */
	const char *worker_startup;    /* worker rows: "warm" (local and queue workers) */
	const char *load_from;         /* worker rows after a load: "source", "disk_cache" */
	const char *part_select;       /* query task rows: "set_by_invoker" */
} fr_metric_row;

typedef struct fr_job_metrics {
	const char *job_type;          /* "query" or "register" */
	const char *dataset;           /* NULL for loose files */
	const fr_metric_row *rows;
	int nrows;
} fr_job_metrics;

typedef void (*fr_metrics_fn)(void *arg, const fr_job_metrics *m);
/* Sets the sink before any job starts; it is called from each job's thread as the job ends
 * (several at once when jobs run in parallel). */
void fr_invoker_set_metrics(fr_invoker *inv, fr_metrics_fn fn, void *arg);

/* DatasetInfo and DatasetPartsInfo (interfaces.md §0.4) as one value in w: api = 1 for the
 * API flavour (keys sorted, nulls dropped), 0 for the CLI's (record order, nulls kept).  The
 * parts need ds with FR_DS_PARTS. */
struct fr_jw;
void fr_dataset_write_info(struct fr_jw *w, const fr_dataset *ds, int api);
void fr_dataset_write_parts(struct fr_jw *w, const fr_dataset *ds, int api);

/* ---- Executors (internal seam, public for tests) ---- */
typedef struct fr_executor fr_executor;
typedef struct fr_job fr_job;

/* One encoded task request for an executor. */
typedef struct fr_submission {
	int task, attempt;
	const void *req;
	size_t len;
} fr_submission;

typedef struct fr_executor_ops {
	/* Hands n encoded task requests to the workers in one go (a remote queue: one round
	 * trip).  The job has already recorded each attempt as QUEUED.  The executor reports
	 * what happens through fr_job_report_status / fr_job_report_result, from any thread. */
	int (*submit)(fr_executor *e, fr_job *job, const fr_submission *items, int n,
	              fr_err *err);
	/* NULL, or worker self-select (runtime.md §2.7): attempt 0 of every task of the job as
	 * job->ntasks copies of one request without a part (task_index -1); each worker picks
	 * a part among parts[] (parts[i] is task i's part name), preferring one it has read
	 * before.  The attempts are recorded QUEUED already. */
	int (*submit_select)(fr_executor *e, fr_job *job, const void *req, size_t len,
	                     const char *const *parts, fr_err *err);
	/* The job ended (done, failed or timed out): drop or cancel its remaining work.  The job
	 * stays valid until every reference the executor took is released. */
	void (*job_end)(fr_executor *e, fr_job *job);
	void (*free)(fr_executor *e);
	/* 1 when a submitted task may vanish without any report (a worker killed on another
	 * machine): the job then retries attempts silent for invoker.retry.lost.interval, as of
	 * the executor's latest fr_job_report_looked.  The local executor never loses a task, so
	 * it leaves this 0. */
	int can_lose_tasks;
} fr_executor_ops;

struct fr_executor {
	const fr_executor_ops *ops;
};

/* The local executor: `threads` threads taking tasks of any number of jobs from one FIFO and
 * running them with fr_task_run.  A thread that has run a task and then finds nothing to do
 * for idle_release seconds releases its cached arena blocks (fr_arena_cache_release). */
int fr_executor_local_new(int threads, double idle_release, fr_executor **out, fr_err *err);
/* The Redis work-queue executor (FROCKET_INVOKER=work_queue): requests go onto a Redis list
 * for frocket-worker processes; a poller thread reads the jobs' status hashes every
 * o->poll_interval_ms and reports into the jobs.  Connects (and pings) at once. */
int fr_executor_work_queue_new(const fr_invoker_opts *o, fr_executor **out, fr_err *err);
/* An invoker over a given executor (tests); takes ownership of exec. */
int fr_invoker_new_with(const fr_invoker_opts *o, fr_executor *exec, fr_invoker **out,
                        fr_err *err);

/* Executor -> job reports (thread-safe).  A report for an attempt the job does not know is
 * ignored.  A result is an encoded fr_task_res; the job copies it. */
void fr_job_report_status(fr_job *job, int task, int attempt, fr_task_status st);
void fr_job_report_result(fr_job *job, int task, int attempt, const void *res, size_t len);
/* An executor that can lose tasks has read every status of the job as it was at monotonic
 * time t, and reported what changed.  The lost rule measures an attempt's silence up to the
 * latest such look, never up to the present: an executor that falls behind (a poller busy
 * reading a large result, a loaded machine) delays the verdict instead of retrying live
 * tasks.  Until the first look nothing is lost. */
void fr_job_report_looked(fr_job *job, double t);
/* The executor can no longer run the job (its Redis connection broke): the job fails with
 * msg at its next look (the first such report wins). */
void fr_job_report_error(fr_job *job, const char *msg);
/* References held by executors for queued work; the last release frees the job. */
void fr_job_ref(fr_job *job);
void fr_job_unref(fr_job *job);
/* The flag a running task polls (fr_task_run's cancel). */
const volatile int *fr_job_cancel_flag(const fr_job *job);

#endif
