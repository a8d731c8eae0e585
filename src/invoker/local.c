/* The local executor: a fixed pool of threads taking the tasks of any number of jobs from one
 * FIFO.  A task travels as its encoded request and comes back as its encoded result, exactly
 * as it would through the Redis queue, and runs with fr_task_run, the one task runner. */
#include "invoker/internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/log.h"

typedef struct item {
	struct item *next;
	fr_job *job;
	int task, attempt;
	size_t len;
	uint8_t req[];
} item;

typedef struct local_exec {
	fr_executor base;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	item *head, *tail;
	int stop;
	int nthreads;
	pthread_t *threads;
	double idle_release;   /* seconds idle before a thread releases its cached memory */
} local_exec;

typedef struct progress_ctx {
	fr_job *job;
	int task, attempt;
} progress_ctx;

static void on_progress(void *arg, fr_task_status st)
{
	progress_ctx *p = arg;
	fr_job_report_status(p->job, p->task, p->attempt, st);
}

/* A result for a request that could not even be decoded: the attempt fails with the reason. */
static void report_failure(item *it, const char *msg)
{
	fr_task_res r = { .kind = FR_TASK_QUERY, .task_index = it->task, .attempt = it->attempt,
		.status = FR_TS_ENDED_FAILED, .error = msg };
	fr_buf b = FR_BUF_INIT;
	fr_err err = { 0 };
	if (!fr_task_res_encode(&r, &b, &err))
		fr_job_report_result(it->job, it->task, it->attempt, b.data, b.len);
	else
		fr_job_report_status(it->job, it->task, it->attempt, FR_TS_ENDED_FAILED);
	fr_buf_free(&b);
}

static void run_item(item *it)
{
	fr_arena *a = fr_arena_new(0);
	if (!a) {
		report_failure(it, "out of memory");
		return;
	}
	fr_task_req req;
	fr_err err = { 0 };
	if (fr_task_req_decode(it->req, it->len, a, &req, &err)) {
		report_failure(it, err.msg);
		fr_arena_free(a);
		return;
	}
	progress_ctx pc = { it->job, it->task, it->attempt };
	fr_task_res res;
	fr_task_run(&req, on_progress, &pc, fr_job_cancel_flag(it->job), a, &res);
	fr_buf b = FR_BUF_INIT;
	if (fr_task_res_encode(&res, &b, &err))
		report_failure(it, "out of memory encoding the task result");
	else
		fr_job_report_result(it->job, it->task, it->attempt, b.data, b.len);
	fr_buf_free(&b);
	fr_arena_free(a);
}

/* Waits for work or a stop; a thread that ran a task and then waits idle_release seconds with
 * nothing to do gives its cached arena blocks back to the system (a long-lived server keeps
 * the memory of its biggest query only while queries keep coming).  Called locked. */
static void wait_work(local_exec *e, int *dirty)
{
	while (!e->stop && !e->head) {
		if (!*dirty) {
			pthread_cond_wait(&e->cv, &e->mu);
			continue;
		}
		struct timespec until = fr_mono_after(e->idle_release);
		if (pthread_cond_timedwait(&e->cv, &e->mu, &until) == ETIMEDOUT && !e->head) {
			pthread_mutex_unlock(&e->mu);
			fr_arena_cache_release();
			pthread_mutex_lock(&e->mu);
			*dirty = 0;
		}
	}
}

static void *worker(void *arg)
{
	local_exec *e = arg;
	int dirty = 0;   /* ran a task since the last release */
	pthread_mutex_lock(&e->mu);
	for (;;) {
		wait_work(e, &dirty);
		if (!e->head)
			break;   /* stopping with nothing left */
		dirty = 1;
		item *it = e->head;
		e->head = it->next;
		if (!e->head)
			e->tail = NULL;
		pthread_mutex_unlock(&e->mu);
		if (!*fr_job_cancel_flag(it->job))
			run_item(it);
		fr_job_unref(it->job);
		free(it);
		pthread_mutex_lock(&e->mu);
	}
	pthread_mutex_unlock(&e->mu);
	return NULL;
}

static int local_submit(fr_executor *ex, fr_job *job, const fr_submission *items, int n,
                        fr_err *err)
{
	local_exec *e = (local_exec *)ex;
	item *head = NULL, *tail = NULL;
	for (int i = 0; i < n; i++) {
		item *it = malloc(sizeof *it + items[i].len);
		if (!it) {
			while (head) {
				item *nx = head->next;
				fr_job_unref(head->job);
				free(head);
				head = nx;
			}
			return fr_err_set(err, FR_ENOMEM, "out of memory queueing task %d",
			                  items[i].task);
		}
		it->next = NULL;
		it->job = job;
		it->task = items[i].task;
		it->attempt = items[i].attempt;
		it->len = items[i].len;
		memcpy(it->req, items[i].req, items[i].len);
		fr_job_ref(job);
		if (tail)
			tail->next = it;
		else
			head = it;
		tail = it;
	}
	if (!head)
		return 0;
	pthread_mutex_lock(&e->mu);
	if (e->tail)
		e->tail->next = head;
	else
		e->head = head;
	e->tail = tail;
	pthread_cond_broadcast(&e->cv);
	pthread_mutex_unlock(&e->mu);
	return 0;
}

/* Drops the job's tasks still waiting in the queue; running ones see the cancel flag. */
static void local_job_end(fr_executor *ex, fr_job *job)
{
	local_exec *e = (local_exec *)ex;
	item *drop = NULL;
	pthread_mutex_lock(&e->mu);
	item **pp = &e->head;
	e->tail = NULL;
	while (*pp) {
		item *it = *pp;
		if (it->job == job) {
			*pp = it->next;
			it->next = drop;
			drop = it;
		} else {
			e->tail = it;
			pp = &it->next;
		}
	}
	pthread_mutex_unlock(&e->mu);
	while (drop) {
		item *n = drop->next;
		fr_job_unref(drop->job);
		free(drop);
		drop = n;
	}
}

static void local_free(fr_executor *ex)
{
	local_exec *e = (local_exec *)ex;
	if (!e)
		return;
	pthread_mutex_lock(&e->mu);
	e->stop = 1;
	pthread_cond_broadcast(&e->cv);
	pthread_mutex_unlock(&e->mu);
	for (int i = 0; i < e->nthreads; i++)
		pthread_join(e->threads[i], NULL);
	free(e->threads);
	pthread_cond_destroy(&e->cv);
	pthread_mutex_destroy(&e->mu);
	free(e);
}

/* a local task always reports (it runs in this process): no lost-task retries */
static const fr_executor_ops local_ops = {
	.submit = local_submit, .job_end = local_job_end, .free = local_free,
	.can_lose_tasks = 0,
};

int fr_executor_local_new(int threads, double idle_release, fr_executor **out, fr_err *err)
{
	*out = NULL;
	if (threads < 1 || threads > 4096)
		return fr_err_set(err, FR_EINVAL, "local executor: %d threads (must be 1..4096)",
		                  threads);
	local_exec *e = calloc(1, sizeof *e);
	if (!e || !(e->threads = calloc((size_t)threads, sizeof *e->threads))) {
		free(e);
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	}
	e->base.ops = &local_ops;
	e->idle_release = idle_release > 0 ? idle_release : 0;
	pthread_mutex_init(&e->mu, NULL);
	if (fr_cond_init_mono(&e->cv)) {
		pthread_mutex_destroy(&e->mu);
		free(e->threads);
		free(e);
		return fr_err_set(err, FR_EIO, "local executor: cannot make a condition variable");
	}
	for (int i = 0; i < threads; i++) {
		if (pthread_create(&e->threads[i], NULL, worker, e)) {
			local_free(&e->base);
			return fr_err_set(err, FR_EIO, "cannot start thread %d of the local executor",
			                  i + 1);
		}
		e->nthreads++;
	}
	*out = &e->base;
	return 0;
}
