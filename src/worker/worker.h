/* frocket-worker: task loops serving the Redis work queue (net/workq.h). */
#ifndef FR_WORKER_WORKER_H
#define FR_WORKER_WORKER_H

#include <signal.h>

#include "core/error.h"
#include "net/redis.h"

typedef struct fr_worker_opts {
	fr_redis_opts redis;       /* the datastore role's connection */
	fr_redis_opts blob_redis;  /* the blobstore role's (registration group ids) */
	double reject_age;         /* worker.reject.age (60 s): older requests are dropped */
	double preflight;          /* part.selection.preflight.ms / 1000 (0.2 s): in self-select,
	                            * a worker with no part of the dataset read before waits up
	                            * to this long after the invocation before taking any part */
	double idle_release;       /* worker.idle.release.seconds (10): a loop that ran a task
	                            * and then finds no work this long releases its cached
	                            * memory (checked at each empty take, about once a second) */
	int threads;               /* task loops (--threads, default 1) */
	char id[128];              /* "<host>:<pid>": names the processing lists */
} fr_worker_opts;

/* Runs o->threads loops until *stop becomes nonzero; each loop finishes the task in hand
 * first.  Never returns early on Redis or message trouble (it logs and retries with backoff);
 * only a failure to start a loop is an error. */
int fr_worker_run(const fr_worker_opts *o, volatile sig_atomic_t *stop, fr_err *err);

#endif
