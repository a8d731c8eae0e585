/* One task: register one part, or query one part.  The ONE code path every executor calls
 * (the local thread pool now; the Redis worker and the Lambda bootstrap later): a request in,
 * a result out, both with a versioned, bounds-checked binary encoding so they can cross a
 * queue.  A task never reads the environment: its settings travel in the request. */
#ifndef FR_TASK_TASK_H
#define FR_TASK_TASK_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/error.h"
#include "kernels/kernels.h"

/* Wire format version: bump when the encoding changes; a decoder refuses other versions. */
#define FR_TASK_WIRE_VERSION 3

#define FR_TASK_KINDS(X) \
	X(FR_TASK_QUERY,    1, "query") \
	X(FR_TASK_REGISTER, 2, "register")

typedef enum {
#define X(name, val, text) name = val,
	FR_TASK_KINDS(X)
#undef X
} fr_task_kind;

/* Task statuses (runtime.md §4.1), in lifecycle order. */
#define FR_TASK_STATUSES(X) \
	X(FR_TS_QUEUED,        "QUEUED") \
	X(FR_TS_LOADING_DATA,  "LOADING_DATA") \
	X(FR_TS_RUNNING_QUERY, "RUNNING_QUERY") \
	X(FR_TS_RUNNING,       "RUNNING") \
	X(FR_TS_ENDED_SUCCESS, "ENDED_SUCCESS") \
	X(FR_TS_ENDED_FAILED,  "ENDED_FAILED")

typedef enum {
#define X(name, text) name,
	FR_TASK_STATUSES(X)
#undef X
	FR_TS__COUNT
} fr_task_status;

const char *fr_task_status_name(fr_task_status s);

/* Settings shipped with every task (never read from the environment by the task).  The SIMD
 * mode and the statistics switch are not among them: they belong to the process that runs
 * the task (its CPU, its FROCKET_SIMD), set once by fr_runtime_init. */
typedef struct fr_task_opts {
	int64_t top_default;       /* aggregations.top.default.count (10) */
	double grace;              /* aggregations.top.grace.factor (2.0) */
	int64_t exact_limit;       /* aggregations.exact.limit (100000) */
	double cat_ratio;          /* dataset.categorical.ratio (0.1), registration */
	int64_t cat_top_count;     /* dataset.categorical.top.count (20), registration */
} fr_task_opts;

/* A short schema column list as shipped to query tasks (names/types of the registration). */
typedef struct fr_task_col {
	const char *name;
	fr_coltype type;
} fr_task_col;

typedef struct fr_task_req {
	fr_task_kind kind;
	const char *request_id;    /* the job's id, "<unix seconds>-<8 hex>" */
	int32_t task_index;        /* query: part index; registration: position in the sample */
	int32_t attempt;           /* 0 first, 1.. retries */
	double invoke_time;        /* wall clock (epoch s) when this request was built */
	/* the dataset and the part */
	const char *dataset;       /* name */
	const char *registered_at; /* registration id (ISO-8601) */
	const char *basepath;
	const char *part_name;     /* relative to basepath */
	int32_t part_index;
	const char *group_col, *ts_col;
	fr_task_opts opts;
	/* FR_TASK_QUERY: the query document as the client sent it (re-validated by the task
	 * against cols, so an invalid or foreign document fails the task, never crashes it) */
	const char *query;
	size_t query_len;
	fr_task_col *cols;
	int32_t ncols;
	/* FR_TASK_REGISTER: also return the part's sorted distinct group ids */
	int want_group_ids;
} fr_task_req;

/* How a query task's part was chosen (runtime.md §2.7; the metric label part_select_method). */
#define FR_TASK_SELECTS(X) \
	X(FR_SEL_NONE,             "")                         /* registration tasks */ \
	X(FR_SEL_BY_INVOKER,       "set_by_invoker") \
	X(FR_SEL_CANDIDATE,        "specific_candidate") \
	X(FR_SEL_CANDIDATES_TAKEN, "random_candidates_taken") \
	X(FR_SEL_NO_CANDIDATES,    "random_no_candidates")

typedef enum {
#define X(name, text) name,
	FR_TASK_SELECTS(X)
#undef X
	FR_SEL__COUNT
} fr_task_select;

const char *fr_task_select_name(fr_task_select s);

typedef struct fr_task_res {
	fr_task_kind kind;
	int32_t task_index, attempt;
	fr_task_status status;     /* FR_TS_ENDED_SUCCESS or FR_TS_ENDED_FAILED */
	const char *error;         /* NULL on success; names the part and the problem */
	int retryable;             /* failed for a reason another attempt may not meet (a missing
	                            * or unreadable file, a timeout, memory); 0 for what a retry
	                            * would meet again (corrupt data, a bad query or schema) */
	/* metrics (seconds; runtime.md §8) */
	double invoke_latency;     /* task start - invoke_time */
	double load_s, run_s, total_s;
	int64_t scanned_rows, scanned_groups;  /* query tasks */
	int64_t part_size;         /* bytes of the part, from storage */
	int from_cache;            /* 1: loaded from a local disk cache (remote stores) */
	fr_task_select select;     /* query tasks: how the part was chosen (fr_task_run says
	                            * FR_SEL_BY_INVOKER; a self-selecting worker overwrites it) */
	double preflight_s;        /* self-selected tasks: the preflight wait (runtime.md §2.7) */
	/* FR_TASK_QUERY success: the encoded part result (fr_qresult_encode) */
	const uint8_t *qresult;
	size_t qresult_len;
	/* FR_TASK_REGISTER success: the part's schema as JSON (fr_dschema_write, CLI flavour)
	 * and, if asked, its distinct group ids (fr_dschema_ids_* blob format) */
	const char *schema_json;
	const uint8_t *group_ids;
	size_t group_ids_len;
} fr_task_res;

/* Encodes into b (appending).  0 or FR_ENOMEM. */
int fr_task_req_encode(const fr_task_req *req, fr_buf *b, fr_err *err);
int fr_task_res_encode(const fr_task_res *res, fr_buf *b, fr_err *err);
/* Decodes untrusted bytes: every length and count is checked against the input, strings
 * and arrays are copied into arena.  FR_ECORRUPT naming what is wrong (bad magic, other
 * version, truncated, trailing bytes, unknown kind or status) and nothing allocated outside
 * arena. */
int fr_task_req_decode(const void *data, size_t len, fr_arena *arena, fr_task_req *out,
                       fr_err *err);
int fr_task_res_decode(const void *data, size_t len, fr_arena *arena, fr_task_res *out,
                       fr_err *err);

/* The query validator's schema from a task's column list: names and types point into cols;
 * the arrays are in arena.  FR_EINVAL when the group or timestamp column is not among them. */
struct fr_qschema;
int fr_task_schema_of_cols(const fr_task_col *cols, int ncols, const char *group_col,
                           const char *ts_col, fr_arena *arena, struct fr_qschema *out,
                           fr_err *err);

/* Progress from inside a running task: its status moves (LOADING_DATA, RUNNING_QUERY or
 * RUNNING); also called as a heartbeat while a long load goes on.  May be NULL. */
typedef void (*fr_task_progress_fn)(void *arg, fr_task_status status);

/* Runs one task.  Never fails as a call: every problem becomes res->status ENDED_FAILED with
 * res->error.  Everything in *res lives in arena (owned by the caller).  `cancel`, when not
 * NULL, is polled between steps: a nonzero value ends the task as failed ("cancelled"). */
void fr_task_run(const fr_task_req *req, fr_task_progress_fn progress, void *progress_arg,
                 const volatile int *cancel, fr_arena *arena, fr_task_res *res);

#endif
