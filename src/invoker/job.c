/* Jobs: the table of task attempts that executors report into, and the loop that submits
 * tasks, waits for reports, retries failed tasks, applies the run timeout and picks, per task,
 * the one attempt whose result counts (runtime.md §4: the successful attempt with the lowest
 * number, else the latest attempt). */
#include "invoker/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"

int fr_job_new(int ntasks, int max_att, fr_job **out, fr_err *err)
{
	*out = NULL;
	if (ntasks < 0 || max_att < 1)
		return fr_err_set(err, FR_EINVAL, "job: %d tasks, %d attempts", ntasks, max_att);
	fr_job *j = calloc(1, sizeof *j);
	if (!j)
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	j->tasks = calloc((size_t)(ntasks > 0 ? ntasks : 1), sizeof *j->tasks);
	fr_attempt *att = calloc((size_t)(ntasks > 0 ? ntasks : 1) * (size_t)max_att, sizeof *att);
	if (!j->tasks || !att) {
		free(j->tasks);
		free(att);
		free(j);
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	}
	j->att_all = att;
	for (int i = 0; i < ntasks; i++)
		j->tasks[i].att = att + (size_t)i * (size_t)max_att;
	pthread_mutex_init(&j->mu, NULL);
	fr_cond_init_mono(&j->cv);
	j->refs = 1;
	j->ntasks = ntasks;
	j->max_att = max_att;
	*out = j;
	return 0;
}

void fr_job_ref(fr_job *job)
{
	pthread_mutex_lock(&job->mu);
	job->refs++;
	pthread_mutex_unlock(&job->mu);
}

void fr_job_unref(fr_job *job)
{
	if (!job)
		return;
	pthread_mutex_lock(&job->mu);
	int last = --job->refs == 0;
	pthread_mutex_unlock(&job->mu);
	if (!last)
		return;
	for (int i = 0; i < job->ntasks; i++)
		for (int k = 0; k < job->tasks[i].natt; k++)
			free(job->tasks[i].att[k].res);
	free(job->att_all);
	free(job->tasks);
	pthread_cond_destroy(&job->cv);
	pthread_mutex_destroy(&job->mu);
	free(job);
}

const volatile int *fr_job_cancel_flag(const fr_job *job)
{
	return &job->cancel;
}

static fr_attempt *attempt_of(fr_job *job, int task, int attempt)
{
	if (task < 0 || task >= job->ntasks || attempt < 0 || attempt >= job->tasks[task].natt)
		return NULL;
	return &job->tasks[task].att[attempt];
}

void fr_job_report_status(fr_job *job, int task, int attempt, fr_task_status st)
{
	pthread_mutex_lock(&job->mu);
	fr_attempt *a = attempt_of(job, task, attempt);
	/* an ended attempt stays ended; a late or repeated report only refreshes the time */
	if (a && a->st != FR_TS_ENDED_SUCCESS && a->st != FR_TS_ENDED_FAILED) {
		a->st = st;
		a->t = fr_mono_s();
		job->version++;
		pthread_cond_broadcast(&job->cv);
	}
	pthread_mutex_unlock(&job->mu);
}

void fr_job_report_looked(fr_job *job, double t)
{
	pthread_mutex_lock(&job->mu);
	if (t > job->looked)
		job->looked = t;   /* no wake-up: the loop looks again within 0.1 s anyway */
	pthread_mutex_unlock(&job->mu);
}

void fr_job_report_result(fr_job *job, int task, int attempt, const void *res, size_t len)
{
	/* The status travels inside the result: read it before taking the lock. */
	fr_arena *a = fr_arena_new(0);
	fr_task_res r;
	fr_err err = { 0 };
	int ok = a && !fr_task_res_decode(res, len, a, &r, &err);
	uint8_t *copy = ok ? malloc(len ? len : 1) : NULL;
	if (copy)
		memcpy(copy, res, len);
	pthread_mutex_lock(&job->mu);
	fr_attempt *at = attempt_of(job, task, attempt);
	if (at && !at->res && copy && r.task_index == task && r.attempt == attempt) {
		at->res = copy;
		at->len = len;
		at->st = r.status;
		at->final = r.status == FR_TS_ENDED_FAILED && !r.retryable;
		at->t = fr_mono_s();
		if (r.status == FR_TS_ENDED_SUCCESS)
			job->rows += r.scanned_rows;
		copy = NULL;
	} else if (at && !at->res) {
		/* an undecodable result fails the attempt; it may be retried */
		at->st = FR_TS_ENDED_FAILED;
		at->t = fr_mono_s();
		FR_WARN("invoker", "task %d attempt %d: unusable result: %s", task, attempt,
		        ok ? "it names another attempt" : err.msg);
	}
	job->version++;
	pthread_cond_broadcast(&job->cv);
	pthread_mutex_unlock(&job->mu);
	free(copy);
	fr_arena_free(a);
}

void fr_job_report_error(fr_job *job, const char *msg)
{
	pthread_mutex_lock(&job->mu);
	if (!job->error[0])
		snprintf(job->error, sizeof job->error, "%s", msg && *msg ? msg : "executor failed");
	job->version++;
	pthread_cond_broadcast(&job->cv);
	pthread_mutex_unlock(&job->mu);
}

/* The attempt whose status and result count for task t (runtime.md §4.2). */
static int chosen_attempt(const fr_job_task *t)
{
	for (int k = 0; k < t->natt; k++)
		if (t->att[k].st == FR_TS_ENDED_SUCCESS)
			return k;
	return t->natt - 1;
}

void fr_job_request_id(char *out, size_t n)
{
	static __thread unsigned seed;
	if (!seed)
		seed = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)&seed ^ (unsigned)clock();
	unsigned x = (unsigned)rand_r(&seed) ^ ((unsigned)rand_r(&seed) << 16);
	snprintf(out, n, "%lld-%08x", (long long)time(NULL), x);
}

static void wait_until(fr_job *job, double deadline)
{
	struct timespec ts = fr_mono_timespec(deadline);
	pthread_cond_timedwait(&job->cv, &job->mu, &ts);
}

/* Builds and hands over the requests of (tasks[i], atts[i]), i < n, in batches: one executor
 * call (one round trip to a remote queue) per batch, the memory of one batch at a time. */
#define SUBMIT_BATCH 512

static int submit(fr_invoker *inv, fr_job *job, fr_job_build_fn build, void *arg,
                  const int *tasks, const int *atts, int n, fr_err *err)
{
	int rc = 0;
	fr_buf b = FR_BUF_INIT;
	fr_submission items[SUBMIT_BATCH];
	size_t offs[SUBMIT_BATCH];
	for (int i0 = 0; i0 < n && !rc; i0 += SUBMIT_BATCH) {
		int m = n - i0 < SUBMIT_BATCH ? n - i0 : SUBMIT_BATCH;
		fr_buf_reset(&b);
		double now = fr_wall_s();
		for (int i = 0; i < m && !rc; i++) {
			offs[i] = b.len;
			rc = build(arg, tasks[i0 + i], atts[i0 + i], now, &b, err);
		}
		for (int i = 0; i < m && !rc; i++)   /* b may have moved while it grew */
			items[i] = (fr_submission){ tasks[i0 + i], atts[i0 + i], b.data + offs[i],
				(i + 1 < m ? offs[i + 1] : b.len) - offs[i] };
		if (!rc)
			rc = inv->exec->ops->submit(inv->exec, job, items, m, err);
	}
	fr_buf_free(&b);
	return rc;
}

/* Self-select (runtime.md §2.7): one request without a part, for every task's attempt 0. */
static int submit_select(fr_invoker *inv, fr_job *job, fr_job_build_fn build, void *arg,
                         fr_err *err)
{
	fr_buf b = FR_BUF_INIT;
	int rc = build(arg, -1, 0, fr_wall_s(), &b, err);
	if (!rc)
		rc = inv->exec->ops->submit_select(inv->exec, job, b.data, b.len, job->select_parts,
		                                   err);
	fr_buf_free(&b);
	return rc;
}

/* Records a new QUEUED attempt of task (under the lock); its number, or -1 when full. */
static int new_attempt(fr_job *job, int task)
{
	fr_job_task *t = &job->tasks[task];
	if (t->natt >= job->max_att)
		return -1;
	int k = t->natt++;
	t->att[k].st = FR_TS_QUEUED;
	t->att[k].t = fr_mono_s();
	job->version++;
	return k;
}

static void list_append(char *s, size_t n, int *first, int v)
{
	size_t l = strlen(s);
	if (l + 16 < n)
		snprintf(s + l, n - l, "%s%d", *first ? "" : ", ", v);
	*first = 0;
}

int fr_job_run(fr_invoker *inv, fr_job *job, fr_job_build_fn build, void *build_arg,
               fr_job_progress_fn fn, void *fn_arg, double job_start, fr_arena *arena,
               fr_job_run_out *out, fr_err *err)
{
	const fr_invoker_opts *o = &inv->opts;
	memset(out, 0, sizeof *out);
	int rc = 0;
	double t0 = fr_mono_s();
	volatile int cancel_req = 0;   /* set by the progress callback (fr_job_progress.cancel) */
	fr_job_progress pr = { .stage = "RUNNING", .message = NULL, .total = job->ntasks,
		.cancel = &cancel_req };
	{
		int *tasks = malloc(sizeof(int) * 2 * (size_t)(job->ntasks > 0 ? job->ntasks : 1));
		if (!tasks) {
			rc = fr_err_set(err, FR_ENOMEM, "out of memory");
		} else {
			int *atts = tasks + (job->ntasks > 0 ? job->ntasks : 1);
			pthread_mutex_lock(&job->mu);
			for (int i = 0; i < job->ntasks; i++) {
				tasks[i] = i;
				atts[i] = new_attempt(job, i);
			}
			pthread_mutex_unlock(&job->mu);
			if (job->select_parts && inv->exec->ops->submit_select && job->ntasks > 0)
				rc = submit_select(inv, job, build, build_arg, err);
			else
				rc = submit(inv, job, build, build_arg, tasks, atts, job->ntasks, err);
			free(tasks);
		}
	}
	double tpoll = fr_mono_s();
	out->enqueue_s = tpoll - t0;
	if (rc) {
		snprintf(out->error, sizeof out->error, "%s", err->msg);
		job->cancel = 1;
		inv->exec->ops->job_end(inv->exec, job);
		goto collect;
	}
	uint64_t seen = (uint64_t)-1;
	double last_report = 0;
	/* the tasks to retry and their new attempt numbers */
	int *retry = malloc(sizeof(int) * 2 * (size_t)(job->ntasks > 0 ? job->ntasks : 1));
	int *ks = retry ? retry + (job->ntasks > 0 ? job->ntasks : 1) : NULL;
	if (!retry) {
		snprintf(out->error, sizeof out->error, "out of memory");
		job->cancel = 1;
		inv->exec->ops->job_end(inv->exec, job);
		goto collect;
	}
	/* Only executors that can lose a task (remote workers) get lost-task retries: a local
	 * task always reports, however long it runs. */
	const int lose = inv->exec->ops->can_lose_tasks;
	pthread_mutex_lock(&job->mu);
	for (;;) {
		uint64_t v = job->version;
		double now = fr_mono_s();
		int nsuccess = 0, nretry = 0;
		double next = now + 0.1;   /* progress ticks */
		char exhausted[256] = "";
		int first = 1, nexhausted = 0, nfinal = 0;
		memset(pr.counts, 0, sizeof pr.counts);
		for (int i = 0; i < job->ntasks; i++) {
			fr_job_task *t = &job->tasks[i];
			int k = chosen_attempt(t);
			fr_attempt *a = &t->att[k];
			pr.counts[a->st]++;
			if (a->st == FR_TS_ENDED_SUCCESS) {
				nsuccess++;
			} else if (a->st == FR_TS_ENDED_FAILED) {
				if (t->natt >= job->max_att || a->final) {
					nexhausted++;
					nfinal += t->natt < job->max_att;
					list_append(exhausted, sizeof exhausted, &first, i);
				} else if (now - a->t >= o->retry_failed_interval) {
					retry[nretry++] = i;
				} else if (a->t + o->retry_failed_interval < next) {
					next = a->t + o->retry_failed_interval;
				}
			} else if (lose && t->natt < job->max_att) {
				/* Lost (runtime.md §4.4): no status or heartbeat for the lost interval,
				 * as of the executor's latest look (fr_job_report_looked).  The retry's
				 * fresh QUEUED attempt becomes the latest, so a task is not retried twice
				 * for the same silence.  Without attempts left it may still recover
				 * before the run timeout. */
				if (job->looked > 0 && job->looked - a->t >= o->retry_lost_interval)
					retry[nretry++] = i;
			}
		}
		pr.rows = job->rows;
		pr.elapsed = now - job_start;
		if (fn && (job->version != seen || now - last_report >= 0.1)) {
			seen = job->version;
			last_report = now;
			pthread_mutex_unlock(&job->mu);
			fn(fn_arg, &pr);
			pthread_mutex_lock(&job->mu);
		}
		if (cancel_req) {
			snprintf(out->error, sizeof out->error, "Job cancelled");
			break;
		}
		if (nsuccess == job->ntasks) {
			out->ok = 1;
			break;
		}
		if (job->error[0]) {
			snprintf(out->error, sizeof out->error, "%s", job->error);
			break;
		}
		if (nexhausted) {
			if (nfinal == nexhausted)   /* none used its attempts: retrying cannot help */
				snprintf(out->error, sizeof out->error, "Task(s) [%s] failed in a way "
				         "another attempt would repeat, failing", exhausted);
			else
				snprintf(out->error, sizeof out->error, "No more retries for task(s): [%s], "
				         "failing", exhausted);
			break;
		}

		if (now - tpoll > o->run_timeout) {
			snprintf(out->error, sizeof out->error, "Query timed out after %.2f seconds",
			         now - tpoll);
			break;
		}
		if (nretry) {
			for (int r = 0; r < nretry; r++) {
				fr_job_task *t = &job->tasks[retry[r]];
				pr.counts[t->att[t->natt - 1].st]--;
				ks[r] = new_attempt(job, retry[r]);
				pr.counts[FR_TS_QUEUED]++;
			}
			uint64_t vq = job->version;
			pthread_mutex_unlock(&job->mu);
			/* Progress shows the retries as QUEUED before they go out: a fast executor
			 * may fail them again before the next look, and a watcher must still see
			 * each failure as a separate event. */
			if (fn) {
				seen = vq;
				last_report = now;
				fn(fn_arg, &pr);
			}
			for (int r = 0; r < nretry; r++)
				FR_INFO("invoker", "retrying task %d (attempt %d)", retry[r], ks[r]);
			rc = submit(inv, job, build, build_arg, retry, ks, nretry, err);
			pthread_mutex_lock(&job->mu);
			if (rc) {
				snprintf(out->error, sizeof out->error, "%s", err->msg);
				break;
			}
			continue;
		}
		if (tpoll + o->run_timeout + 0.001 < next)
			next = tpoll + o->run_timeout + 0.001;
		if (job->version == v)
			wait_until(job, next);
	}
	job->cancel = 1;
	pthread_mutex_unlock(&job->mu);
	free(retry);
	inv->exec->ops->job_end(inv->exec, job);
collect:
	out->poll_s = fr_mono_s() - tpoll;
	/* Decode every result that arrived: all count for stats, the chosen ones for the answer. */
	pthread_mutex_lock(&job->mu);
	int nres = 0;
	for (int i = 0; i < job->ntasks; i++)
		for (int k = 0; k < job->tasks[i].natt; k++)
			nres += job->tasks[i].att[k].res != NULL;
	out->results = fr_arena_calloc(arena, (size_t)(nres ? nres : 1), sizeof *out->results);
	out->chosen = fr_arena_calloc(arena, (size_t)(job->ntasks ? job->ntasks : 1),
	                              sizeof *out->chosen);
	if (!out->results || !out->chosen) {
		pthread_mutex_unlock(&job->mu);
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	}
	for (int i = 0; i < job->ntasks; i++) {
		fr_job_task *t = &job->tasks[i];
		int ck = t->natt ? chosen_attempt(t) : -1;
		for (int k = 0; k < t->natt; k++) {
			fr_attempt *a = &t->att[k];
			if (!a->res)
				continue;
			fr_job_result *r = &out->results[out->nresults];
			fr_err derr = { 0 };
			if (fr_task_res_decode(a->res, a->len, arena, &r->res, &derr))
				continue;   /* checked when it was reported */
			r->task = i;
			r->attempt = k;
			r->chosen = k == ck;
			if (r->chosen)
				out->chosen[i] = r;
			out->nresults++;
		}
	}
	pthread_mutex_unlock(&job->mu);
	pr.stage = "DONE";
	pr.cancel = NULL;
	if (fn) {
		pr.elapsed = fr_mono_s() - job_start;
		fn(fn_arg, &pr);
	}
	return 0;
}
