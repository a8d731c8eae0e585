/* Fixed-size thread pool running parallel-for jobs: fr_pool_run hands task indexes 0..n-1 to
 * the workers and returns when every task has finished.  One job at a time per pool. */
#ifndef FR_CORE_POOL_H
#define FR_CORE_POOL_H

#include "core/error.h"

typedef struct fr_pool fr_pool;

/* Runs task `i` of a job; arg is the job's argument.  Must be thread-safe across tasks. */
typedef void (*fr_pool_fn)(void *arg, int i);

/* nthreads >= 1 worker threads.  FR_ENOMEM / FR_EIO (thread creation) with a message. */
int fr_pool_new(int nthreads, fr_pool **out, fr_err *err);
/* Stops and joins the workers.  NULL is allowed. */
void fr_pool_free(fr_pool *p);
int fr_pool_threads(const fr_pool *p);
/* Runs fn(arg, i) for i in [0, n) on the workers; blocks until all are done. */
void fr_pool_run(fr_pool *p, int n, fr_pool_fn fn, void *arg);

/* FROCKET_LOCAL_THREADS, default the number of online cores (at least 1). */
int fr_pool_default_threads(fr_err *err);

#endif
