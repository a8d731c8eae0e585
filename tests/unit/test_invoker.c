/* Unit tests of the invoker's job loop: retries of failed tasks, the retry limit, the run
 * timeout, the dedupe rule, progress, and several jobs at once on the real local executor. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "invoker/internal.h"

/* ---- a scripted executor: each task fails `fails` times, then succeeds; or never ends ---- */
typedef struct script_exec {
	fr_executor base;
	int fails;                 /* failures before the first success, per task */
	int never;                 /* 1: no attempt ever reports */
	int submitted;
	int calls, selects;        /* submit / submit_select calls; of them, submit_select */
	int per_task[2048];
} script_exec;

static void script_report(fr_job *job, int task, int attempt, fr_task_status st)
{
	fr_task_res r = { .kind = FR_TASK_QUERY, .task_index = task, .attempt = attempt,
		.status = st, .error = st == FR_TS_ENDED_FAILED ? "scripted failure" : NULL,
		.retryable = 1, .select = FR_SEL_BY_INVOKER,
		.scanned_rows = 10 };
	fr_buf b = FR_BUF_INIT;
	fr_err err = { 0 };
	ck_assert_int_eq(fr_task_res_encode(&r, &b, &err), 0);
	fr_job_report_result(job, task, attempt, b.data, b.len);
	fr_buf_free(&b);
}

static int script_submit1(script_exec *e, fr_job *job, int task, int attempt)
{
	e->submitted++;
	if (e->never)
		return 0;
	fr_job_report_status(job, task, attempt, FR_TS_LOADING_DATA);
	int n = e->per_task[task]++;
	script_report(job, task, attempt, n < e->fails ? FR_TS_ENDED_FAILED : FR_TS_ENDED_SUCCESS);
	return 0;
}

static void script_job_end(fr_executor *e, fr_job *j) { (void)e; (void)j; }
static void script_free(fr_executor *e) { free(e); }
static int script_submit(fr_executor *ex, fr_job *job, const fr_submission *items, int n,
                         fr_err *err)
{
	script_exec *e = (script_exec *)ex;
	e->calls++;
	for (int i = 0; i < n; i++) {
		ck_assert_int_eq((int)items[i].len, 1);   /* build_nothing's request */
		script_submit1(e, job, items[i].task, items[i].attempt);
	}
	return 0;
}

/* Self-select: every task's attempt 0 from one part-less request (task -1). */
static int script_submit_select(fr_executor *ex, fr_job *job, const void *req, size_t len,
                                const char *const *parts, fr_err *err)
{
	script_exec *e = (script_exec *)ex;
	e->calls++;
	e->selects++;
	ck_assert_int_eq((int)len, 2);   /* build_nothing's request for task -1 */
	for (int i = 0; i < job->ntasks; i++) {
		ck_assert_ptr_nonnull(parts[i]);
		script_submit1(e, job, i, 0);
	}
	return 0;
}

static const fr_executor_ops script_ops = {
	.submit = script_submit, .job_end = script_job_end, .free = script_free,
};
static const fr_executor_ops script_select_ops = {
	.submit = script_submit, .submit_select = script_submit_select,
	.job_end = script_job_end, .free = script_free,
};

static int build_nothing(void *arg, int task, int attempt, double t, fr_buf *out, fr_err *err)
{
	return fr_buf_append(out, task < 0 ? "xx" : "x", task < 0 ? 2 : 1);
}

typedef struct seen {
	int calls, done;
	int last_success;
} seen;

static void on_progress(void *arg, const fr_job_progress *p)
{
	seen *s = arg;
	s->calls++;
	if (!strcmp(p->stage, "DONE"))
		s->done++;
	s->last_success = p->counts[FR_TS_ENDED_SUCCESS];
}

static fr_invoker *scripted(int fails, int never, int max_att, double timeout, script_exec **ex)
{
	fr_invoker_opts o;
	memset(&o, 0, sizeof o);
	o.home = "/nonexistent-frocket-home";
	o.threads = 1;
	o.retry_max = max_att;
	o.retry_failed_interval = 0.01;
	o.run_timeout = timeout;
	script_exec *e = calloc(1, sizeof *e);
	ck_assert_ptr_nonnull(e);
	e->base.ops = &script_ops;
	e->fails = fails;
	e->never = never;
	*ex = e;
	fr_invoker *inv;
	fr_err err = { 0 };
	ck_assert_int_eq(fr_invoker_new_with(&o, &e->base, &inv, &err), 0);
	return inv;
}

/* The documents are byte buffers, not C strings. */
static int doc_has(const fr_job_out *o, const char *needle)
{
	return o->doc.len && memmem(o->doc.data, o->doc.len, needle, strlen(needle)) != NULL;
}

static void run_job(fr_invoker *inv, int ntasks, fr_job_run_out *ro, fr_arena *a, seen *s)
{
	fr_job *job;
	fr_err err = { 0 };
	ck_assert_int_eq(fr_job_new(ntasks, fr_invoker_get_opts(inv)->retry_max, &job, &err), 0);
	ck_assert_int_eq(fr_job_run(inv, job, build_nothing, NULL, on_progress, s, fr_mono_s(), a,
	                            ro, &err), 0);
	fr_job_unref(job);
}

/* Requests go out in batches: one executor call per 512 tasks, not one per task. */
START_TEST(submits_in_batches)
{
	script_exec *e;
	fr_invoker *inv = scripted(0, 0, 3, 10, &e);
	fr_arena *a = fr_arena_new(0);
	fr_job_run_out ro;
	seen s = { 0 };
	run_job(inv, 1100, &ro, a, &s);
	ck_assert_msg(ro.ok, "%s", ro.error);
	ck_assert_int_eq(e->submitted, 1100);
	ck_assert_int_eq(e->calls, 3);
	ck_assert_int_eq(e->selects, 0);
	fr_arena_free(a);
	fr_invoker_free(inv);
}
END_TEST

/* Self-select: with part names set and an executor that can, attempt 0 of every task goes out
 * in one submit_select; retries name their task through submit. */
START_TEST(self_select_then_named_retries)
{
	script_exec *e;
	fr_invoker *inv = scripted(1, 0, 3, 10, &e);
	e->base.ops = &script_select_ops;
	fr_arena *a = fr_arena_new(0);
	fr_job_run_out ro;
	seen s = { 0 };
	const char *names[6] = { "a", "b", "c", "d", "e", "f" };
	fr_job *job;
	fr_err err = { 0 };
	ck_assert_int_eq(fr_job_new(6, 3, &job, &err), 0);
	job->select_parts = names;
	ck_assert_int_eq(fr_job_run(inv, job, build_nothing, NULL, on_progress, &s, fr_mono_s(), a,
	                            &ro, &err), 0);
	fr_job_unref(job);
	ck_assert_msg(ro.ok, "%s", ro.error);
	ck_assert_int_eq(e->selects, 1);
	ck_assert_int_eq(e->submitted, 12);   /* 6 selected, each failing once; 6 named retries */
	for (int i = 0; i < 6; i++)
		ck_assert_int_eq(ro.chosen[i]->attempt, 1);
	fr_arena_free(a);
	fr_invoker_free(inv);
}
END_TEST

START_TEST(fails_twice_then_succeeds)
{
	script_exec *e;
	fr_invoker *inv = scripted(2, 0, 3, 10, &e);
	fr_arena *a = fr_arena_new(0);
	fr_job_run_out ro;
	seen s = { 0 };
	run_job(inv, 5, &ro, a, &s);
	ck_assert_int_eq(ro.ok, 1);
	ck_assert_int_eq(e->submitted, 15);
	ck_assert_int_eq(ro.nresults, 15);   /* every attempt counts for the stats */
	for (int i = 0; i < 5; i++) {
		ck_assert_ptr_nonnull(ro.chosen[i]);
		ck_assert_int_eq(ro.chosen[i]->attempt, 2);
		ck_assert_int_eq(ro.chosen[i]->res.status, FR_TS_ENDED_SUCCESS);
	}
	ck_assert_int_eq(s.done, 1);
	ck_assert_int_eq(s.last_success, 5);
	fr_arena_free(a);
	fr_invoker_free(inv);
}
END_TEST

START_TEST(retry_limit)
{
	script_exec *e;
	fr_invoker *inv = scripted(3, 0, 3, 10, &e);
	fr_arena *a = fr_arena_new(0);
	fr_job_run_out ro;
	seen s = { 0 };
	run_job(inv, 2, &ro, a, &s);
	ck_assert_int_eq(ro.ok, 0);
	/* the job ends as soon as one task has used its attempts: the other may or may not have
	 * had its third by then */
	ck_assert_msg(e->submitted >= 5 && e->submitted <= 6, "%d submitted", e->submitted);
	ck_assert_msg(strstr(ro.error, "No more retries for task(s): [0"), "%s", ro.error);
	ck_assert_int_eq(ro.chosen[0]->attempt, 2);
	ck_assert_str_eq(ro.chosen[0]->res.error, "scripted failure");
	fr_arena_free(a);
	fr_invoker_free(inv);
}
END_TEST

START_TEST(never_ends_times_out)
{
	script_exec *e;
	fr_invoker *inv = scripted(0, 1, 3, 0.3, &e);
	fr_arena *a = fr_arena_new(0);
	fr_job_run_out ro;
	seen s = { 0 };
	double t0 = fr_mono_s();
	run_job(inv, 3, &ro, a, &s);
	double took = fr_mono_s() - t0;
	ck_assert_int_eq(ro.ok, 0);
	ck_assert_msg(strstr(ro.error, "Query timed out after"), "%s", ro.error);
	ck_assert_msg(took >= 0.3 && took < 30, "took %.3f s", took);
	ck_assert_int_eq(e->submitted, 3);    /* a task that is only slow is not retried */
	ck_assert_ptr_null(ro.chosen[0]);
	fr_arena_free(a);
	fr_invoker_free(inv);
}
END_TEST

/* ---- an executor that can lose tasks (issue 16): attempts below `lose_below` vanish after
 * LOADING_DATA; the others run `run_s` seconds on a thread, heartbeating every `beat_s`,
 * then succeed.  `fail_job` reports an executor error instead.  Its reports are immediate,
 * so a looker thread reports a look at the latest job every few milliseconds (what the
 * work-queue poller does after each pass); `no_looks` leaves that out. ---- */
typedef struct lossy_exec {
	fr_executor base;
	int lose_below;
	double run_s, beat_s;
	int fail_job;
	int no_looks;
	pthread_mutex_t mu;
	int submitted, running;
	fr_job *cur;               /* the latest job submitted to (a reference) */
	int stop;
	pthread_t looker;
} lossy_exec;

static void *lossy_look(void *arg)
{
	lossy_exec *e = arg;
	pthread_mutex_lock(&e->mu);
	while (!e->stop) {
		if (e->cur && !e->no_looks)
			fr_job_report_looked(e->cur, fr_mono_s());
		pthread_mutex_unlock(&e->mu);
		usleep(5000);
		pthread_mutex_lock(&e->mu);
	}
	pthread_mutex_unlock(&e->mu);
	return NULL;
}

typedef struct lossy_item {
	lossy_exec *e;
	fr_job *job;
	int task, attempt;
} lossy_item;

static void *lossy_run(void *arg)
{
	lossy_item *it = arg;
	double end = fr_mono_s() + it->e->run_s;
	while (fr_mono_s() < end && !*fr_job_cancel_flag(it->job)) {
		fr_job_report_status(it->job, it->task, it->attempt, FR_TS_RUNNING_QUERY);
		usleep((useconds_t)(it->e->beat_s * 1e6));
	}
	script_report(it->job, it->task, it->attempt, FR_TS_ENDED_SUCCESS);
	fr_job_unref(it->job);
	pthread_mutex_lock(&it->e->mu);
	it->e->running--;
	pthread_mutex_unlock(&it->e->mu);
	free(it);
	return NULL;
}

static int lossy_submit1(lossy_exec *e, fr_job *job, int task, int attempt)
{
	pthread_mutex_lock(&e->mu);
	e->submitted++;
	if (e->cur != job) {
		if (e->cur)
			fr_job_unref(e->cur);
		fr_job_ref(job);
		e->cur = job;
	}
	pthread_mutex_unlock(&e->mu);
	fr_job_report_status(job, task, attempt, FR_TS_LOADING_DATA);
	if (e->fail_job) {
		fr_job_report_error(job, "redis 127.0.0.1:1/0: connection lost");
		return 0;
	}
	if (attempt < e->lose_below)
		return 0;   /* the worker died with it: nothing more is ever reported */
	lossy_item *it = calloc(1, sizeof *it);
	ck_assert_ptr_nonnull(it);
	*it = (lossy_item){ e, job, task, attempt };
	fr_job_ref(job);
	pthread_mutex_lock(&e->mu);
	e->running++;
	pthread_mutex_unlock(&e->mu);
	pthread_t th;
	ck_assert_int_eq(pthread_create(&th, NULL, lossy_run, it), 0);
	pthread_detach(th);
	return 0;
}

static void lossy_free(fr_executor *ex)
{
	lossy_exec *e = (lossy_exec *)ex;
	for (;;) {   /* wait for the detached runners */
		pthread_mutex_lock(&e->mu);
		int r = e->running;
		pthread_mutex_unlock(&e->mu);
		if (!r)
			break;
		usleep(1000);
	}
	pthread_mutex_lock(&e->mu);
	e->stop = 1;
	pthread_mutex_unlock(&e->mu);
	pthread_join(e->looker, NULL);
	if (e->cur)
		fr_job_unref(e->cur);
	pthread_mutex_destroy(&e->mu);
	free(e);
}

static int lossy_submit(fr_executor *ex, fr_job *job, const fr_submission *items, int n,
                        fr_err *err)
{
	for (int i = 0; i < n; i++)
		lossy_submit1((lossy_exec *)ex, job, items[i].task, items[i].attempt);
	return 0;
}

static const fr_executor_ops lossy_ops = {
	.submit = lossy_submit, .job_end = script_job_end, .free = lossy_free,
	.can_lose_tasks = 1,
};

static fr_invoker *lossy(int lose_below, double run_s, double beat_s, double lost_interval,
                         double timeout, lossy_exec **ex)
{
	fr_invoker_opts o;
	memset(&o, 0, sizeof o);
	o.home = "/nonexistent-frocket-home";
	o.threads = 1;
	o.retry_max = 3;
	o.retry_failed_interval = 0.01;
	o.retry_lost_interval = lost_interval;
	o.run_timeout = timeout;
	lossy_exec *e = calloc(1, sizeof *e);
	ck_assert_ptr_nonnull(e);
	e->base.ops = &lossy_ops;
	e->lose_below = lose_below;
	e->run_s = run_s;
	e->beat_s = beat_s;
	pthread_mutex_init(&e->mu, NULL);
	ck_assert_int_eq(pthread_create(&e->looker, NULL, lossy_look, e), 0);
	*ex = e;
	fr_invoker *inv;
	fr_err err = { 0 };
	ck_assert_int_eq(fr_invoker_new_with(&o, &e->base, &inv, &err), 0);
	return inv;
}

START_TEST(lost_task_retried)
{
	lossy_exec *e;
	fr_invoker *inv = lossy(1, 0, 0.01, 0.2, 20, &e);
	fr_arena *a = fr_arena_new(0);
	fr_job_run_out ro;
	seen s = { 0 };
	double t0 = fr_mono_s();
	run_job(inv, 4, &ro, a, &s);
	double took = fr_mono_s() - t0;
	ck_assert_msg(ro.ok, "%s", ro.error);
	ck_assert_int_eq(e->submitted, 8);   /* each task: the lost attempt 0, then attempt 1 */
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(ro.chosen[i]->attempt, 1);
	ck_assert_msg(took >= 0.2 && took < 15, "took %.3f s", took);
	fr_arena_free(a);
	fr_invoker_free(inv);
}
END_TEST

START_TEST(lost_on_every_attempt)
{
	lossy_exec *e;
	fr_invoker *inv = lossy(100, 0, 0.01, 0.05, 1.0, &e);
	fr_arena *a = fr_arena_new(0);
	fr_job_run_out ro;
	seen s = { 0 };
	run_job(inv, 2, &ro, a, &s);
	ck_assert_int_eq(ro.ok, 0);
	ck_assert_msg(strstr(ro.error, "Query timed out after"), "%s", ro.error);
	ck_assert_int_eq(e->submitted, 6);   /* 3 attempts each, never a 4th */
	fr_arena_free(a);
	fr_invoker_free(inv);
}
END_TEST

/* The lost rule judges silence as of the executor's latest look: an executor that has not
 * looked (a poller stuck reading a large result) makes nothing lost, however long. */
START_TEST(no_look_no_lost_verdict)
{
	lossy_exec *e;
	fr_invoker *inv = lossy(100, 0, 0.01, 0.05, 0.6, &e);
	pthread_mutex_lock(&e->mu);
	e->no_looks = 1;
	pthread_mutex_unlock(&e->mu);
	fr_arena *a = fr_arena_new(0);
	fr_job_run_out ro;
	seen s = { 0 };
	run_job(inv, 2, &ro, a, &s);
	ck_assert_int_eq(ro.ok, 0);
	ck_assert_msg(strstr(ro.error, "Query timed out after"), "%s", ro.error);
	ck_assert_int_eq(e->submitted, 2);   /* never retried */
	fr_arena_free(a);
	fr_invoker_free(inv);
}
END_TEST

START_TEST(slow_with_heartbeats_not_retried)
{
	lossy_exec *e;
	/* runs 5 lost intervals, heartbeating 5 times per interval */
	fr_invoker *inv = lossy(0, 1.0, 0.04, 0.2, 20, &e);
	fr_arena *a = fr_arena_new(0);
	fr_job_run_out ro;
	seen s = { 0 };
	run_job(inv, 3, &ro, a, &s);
	ck_assert_msg(ro.ok, "%s", ro.error);
	ck_assert_int_eq(e->submitted, 3);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(ro.chosen[i]->attempt, 0);
	fr_arena_free(a);
	fr_invoker_free(inv);
}
END_TEST

START_TEST(executor_error_fails_job)
{
	lossy_exec *e;
	fr_invoker *inv = lossy(0, 0, 0.01, 0.2, 20, &e);
	e->fail_job = 1;
	fr_arena *a = fr_arena_new(0);
	fr_job_run_out ro;
	seen s = { 0 };
	double t0 = fr_mono_s();
	run_job(inv, 2, &ro, a, &s);
	ck_assert_int_eq(ro.ok, 0);
	ck_assert_msg(strstr(ro.error, "connection lost"), "%s", ro.error);
	ck_assert_msg(fr_mono_s() - t0 < 10, "the error must end the job at once");
	fr_arena_free(a);
	fr_invoker_free(inv);
}
END_TEST

START_TEST(dedupe_lowest_success)
{
	fr_job *job;
	fr_err err = { 0 };
	ck_assert_int_eq(fr_job_new(1, 3, &job, &err), 0);
	/* attempts 0..2 exist; 2 and 1 succeed (in that order), 0 is still running */
	job->tasks[0].natt = 3;
	for (int k = 0; k < 3; k++)
		job->tasks[0].att[k].st = FR_TS_QUEUED;
	script_report(job, 0, 2, FR_TS_ENDED_SUCCESS);
	script_report(job, 0, 1, FR_TS_ENDED_SUCCESS);
	script_report(job, 0, 7, FR_TS_ENDED_SUCCESS);   /* unknown attempt: ignored */
	ck_assert_int_eq(job->tasks[0].att[1].st, FR_TS_ENDED_SUCCESS);
	ck_assert_int_eq(job->tasks[0].att[0].st, FR_TS_QUEUED);
	/* a late status for an ended attempt does not reopen it */
	fr_job_report_status(job, 0, 1, FR_TS_RUNNING_QUERY);
	ck_assert_int_eq(job->tasks[0].att[1].st, FR_TS_ENDED_SUCCESS);
	fr_job_report_result(job, 0, 0, "garbage", 7);   /* undecodable: the attempt fails */
	ck_assert_int_eq(job->tasks[0].att[0].st, FR_TS_ENDED_FAILED);
	fr_job_unref(job);
}
END_TEST

/* ---- the real local executor: registration of a missing part that appears on retry ---- */

static const char *oracle_part(void)
{
	static char path[4096];
	const char *top = getenv("FR_TOP_SRCDIR");
	snprintf(path, sizeof path, "%s/tests/data/oracle/data/part-00001.parquet", top ? top : ".");
	return path;
}

typedef struct appear {
	const char *from, *to;
	int failures_seen, prev_failed, copied;
} appear;

/* After the first failure it sees, moves the part back into place.  (Counting later failures
 * from progress alone would race: an attempt may fail between two progress calls.) */
static void appear_progress(void *arg, const fr_job_progress *p)
{
	appear *ap = arg;
	int f = p->counts[FR_TS_ENDED_FAILED];
	if (f && !ap->prev_failed)
		ap->failures_seen++;
	ap->prev_failed = f;
	if (ap->copied || ap->failures_seen < 1)
		return;
	ck_assert_int_eq(rename(ap->from, ap->to), 0);
	ap->copied = 1;
}

START_TEST(local_executor_retry)
{
	char dir[] = "/tmp/frocket-invoker-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char home[4200], data[4200], part[4300], away[4300], cmd[9000];
	snprintf(home, sizeof home, "%s/home", dir);
	snprintf(data, sizeof data, "%s/data", dir);
	snprintf(part, sizeof part, "%s/p.parquet", data);
	snprintf(away, sizeof away, "%s/p.parquet.away", dir);
	ck_assert_int_eq(mkdir(data, 0700), 0);
	snprintf(cmd, sizeof cmd, "cp '%s' '%s'", oracle_part(), part);
	ck_assert_int_eq(system(cmd), 0);
	fr_invoker_opts o;
	fr_err err = { 0 };
	ck_assert_int_eq(fr_invoker_opts_load(&o, &err), 0);
	o.home = home;
	o.threads = 2;
	o.retry_max = 5;
	o.retry_failed_interval = 0.05;
	o.run_timeout = 60;
	fr_invoker *inv;
	ck_assert_int_eq(fr_invoker_new(&o, &inv, &err), 0);
	fr_register_args ra = { .name = "retry", .basepath = data, .group_col = "uid",
		.ts_col = "ts", .validation = FR_VALIDATE_SINGLE, .validate_uniques = 1 };
	fr_job_out out;
	ck_assert_int_eq(fr_invoke_register(inv, &ra, NULL, NULL, 0, &out), 0);
	ck_assert_msg(out.outcome == FR_JOB_OK, "%.*s", (int)out.doc.len, (char *)out.doc.data);
	fr_job_out_free(&out);
	/* The part goes missing: the query's attempts fail (a missing file may come back, so
	 * they are retried) until the progress callback puts it back. */
	ck_assert_int_eq(rename(part, away), 0);
	appear ap = { .from = away, .to = part };
	ck_assert_int_eq(fr_invoke_query(inv, "retry", "{}", 2, appear_progress, &ap, 0, &out), 0);
	ck_assert_msg(out.outcome == FR_JOB_OK, "%.*s", (int)out.doc.len, (char *)out.doc.data);
	ck_assert_int_eq(ap.copied, 1);
	ck_assert_msg(!doc_has(&out, "\"failedTasks\": 0"), "%.*s",
	              (int)out.doc.len, (char *)out.doc.data);
	fr_job_out_free(&out);
	/* A corrupt part fails at once: another attempt would read the same bytes. */
	FILE *f = fopen(part, "r+b");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(ftruncate(fileno(f), 100), 0);
	fclose(f);
	ck_assert_int_eq(fr_invoke_query(inv, "retry", "{}", 2, NULL, NULL, 0, &out), 0);
	ck_assert_int_eq(out.outcome, FR_JOB_FAILED);
	ck_assert_msg(doc_has(&out, "\"totalTasks\": 1"), "%.*s",
	              (int)out.doc.len, (char *)out.doc.data);
	fr_job_out_free(&out);
	snprintf(cmd, sizeof cmd, "cp '%s' '%s'", oracle_part(), part);
	ck_assert_int_eq(system(cmd), 0);
	/* several jobs at once on one executor */
	const char *paths[1] = { part };
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(fr_invoke_query_files(inv, paths, 1, "uid", "ts", "{}", 2, NULL,
		                                       NULL, 0, &out), 0);
		ck_assert_msg(out.outcome == FR_JOB_OK, "%.*s", (int)out.doc.len,
		              (char *)out.doc.data);
		fr_job_out_free(&out);
		ck_assert_int_eq(fr_invoke_query(inv, "retry", "{}", 2, NULL, NULL, 0, &out), 0);
		ck_assert_msg(out.outcome == FR_JOB_OK, "%.*s", (int)out.doc.len,
		              (char *)out.doc.data);
		fr_job_out_free(&out);
	}
	fr_invoker_free(inv);
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST


/* ---- the progress callback's cancel (the API server's client went away) ---- */
typedef struct canceller {
	int calls;
	int saw_flag;
} canceller;

static void cancel_after_two(void *arg, const fr_job_progress *p)
{
	canceller *c = arg;
	if (strcmp(p->stage, "RUNNING"))
		return;
	c->saw_flag += p->cancel != NULL;
	if (++c->calls == 2 && p->cancel)
		*p->cancel = 1;
}

START_TEST(progress_cancels_job)
{
	script_exec *e;
	fr_invoker *inv = scripted(0, 1, 3, 30, &e);   /* tasks never end: only cancel stops it */
	fr_arena *a = fr_arena_new(0);
	fr_job *job;
	fr_err err = { 0 };
	ck_assert_int_eq(fr_job_new(4, 3, &job, &err), 0);
	canceller c = { 0 };
	double t0 = fr_mono_s();
	fr_job_run_out ro;
	ck_assert_int_eq(fr_job_run(inv, job, build_nothing, NULL, cancel_after_two, &c, t0, a, &ro,
	                            &err), 0);
	ck_assert_msg(fr_mono_s() - t0 < 5, "cancel took %.2f s", fr_mono_s() - t0);
	ck_assert(!ro.ok);
	ck_assert_str_eq(ro.error, "Job cancelled");
	ck_assert_int_eq(c.calls, 2);
	ck_assert_int_eq(c.saw_flag, 2);
	ck_assert_int_ne(*fr_job_cancel_flag(job), 0);   /* running tasks are told too */
	fr_job_unref(job);
	fr_arena_free(a);
	fr_invoker_free(inv);
}
END_TEST

/* ---- metric rows handed to the sink after a job ---- */
typedef struct sink {
	int calls;
	int rows[FR_M__COUNT];
	int worker_rows, invoker_rows, failed_worker_rows;
	char job_type[16], dataset[32];
	int set_by_invoker, source;
} sink;

static void collect(void *arg, const fr_job_metrics *m)
{
	sink *k = arg;
	k->calls++;
	snprintf(k->job_type, sizeof k->job_type, "%s", m->job_type);
	snprintf(k->dataset, sizeof k->dataset, "%s", m->dataset ? m->dataset : "(null)");
	for (int i = 0; i < m->nrows; i++) {
		const fr_metric_row *r = &m->rows[i];
		k->rows[r->metric]++;
		if (r->worker) {
			k->worker_rows++;
			k->failed_worker_rows += !r->success;
			k->set_by_invoker += r->part_select && !strcmp(r->part_select, "set_by_invoker");
			k->source += r->load_from && !strcmp(r->load_from, "source");
			ck_assert_str_eq(r->worker_startup, "warm");
		} else {
			k->invoker_rows++;
		}
	}
}

START_TEST(metrics_rows)
{
	script_exec *e;
	fr_invoker *inv = scripted(1, 0, 3, 30, &e);   /* each task fails once, then succeeds */
	sink k = { 0 };
	fr_invoker_set_metrics(inv, collect, &k);
	fr_arena *a = fr_arena_new(0);
	fr_job_run_out ro;
	seen s = { 0 };
	run_job(inv, 3, &ro, a, &s);
	ck_assert(ro.ok);
	ck_assert_int_eq(ro.nresults, 6);
	fr_job_emit_metrics(inv, "query", "ds", 1, 0.5, &ro);
	ck_assert_int_eq(k.calls, 1);
	ck_assert_str_eq(k.job_type, "query");
	ck_assert_str_eq(k.dataset, "ds");
	ck_assert_int_eq(k.rows[FR_M_INVOKER_TOTAL_SECONDS], 1);
	ck_assert_int_eq(k.rows[FR_M_ASYNC_ENQUEUE_SECONDS], 1);
	ck_assert_int_eq(k.rows[FR_M_ASYNC_POLL_SECONDS], 1);
	/* every attempt has its latency and run time; only successful query attempts have the
	 * query's own rows */
	ck_assert_int_eq(k.rows[FR_M_INVOKE_TO_RUN_SECONDS], 6);
	ck_assert_int_eq(k.rows[FR_M_TASK_TOTAL_RUN_SECONDS], 6);
	ck_assert_int_eq(k.rows[FR_M_SCANNED_ROWS], 3);
	ck_assert_int_eq(k.rows[FR_M_TASK_RUN_QUERY_SECONDS], 3);
	ck_assert_int_eq(k.rows[FR_M_COST_DOLLARS], 0);
	ck_assert_int_gt(k.failed_worker_rows, 0);
	ck_assert_int_eq(k.source, k.worker_rows - k.failed_worker_rows);   /* after a load only */
	ck_assert_int_gt(k.set_by_invoker, 0);
	/* a job that never dispatched has no enqueue or poll rows; no sink, no call */
	memset(&k, 0, sizeof k);
	fr_job_emit_metrics(inv, "register", NULL, 0, 0.1, NULL);
	ck_assert_int_eq(k.rows[FR_M_ASYNC_POLL_SECONDS], 0);
	ck_assert_int_eq(k.rows[FR_M_INVOKER_TOTAL_SECONDS], 1);
	ck_assert_str_eq(k.dataset, "(null)");
	fr_invoker_set_metrics(inv, NULL, NULL);
	fr_job_emit_metrics(inv, "query", "ds", 1, 0.5, &ro);
	ck_assert_int_eq(k.calls, 1);
	ck_assert_str_eq(fr_metric_name(FR_M_INVOKER_TOTAL_SECONDS), "invoker_total_seconds");
	ck_assert_str_eq(fr_metric_name(FR_M_SCANNED_GROUPS), "scanned_groups");
	fr_arena_free(a);
	fr_invoker_free(inv);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("invoker");
	TCase *t = tcase_create("job");
	tcase_set_timeout(t, 120);
	tcase_add_test(t, submits_in_batches);
	tcase_add_test(t, self_select_then_named_retries);
	tcase_add_test(t, fails_twice_then_succeeds);
	tcase_add_test(t, retry_limit);
	tcase_add_test(t, never_ends_times_out);
	tcase_add_test(t, dedupe_lowest_success);
	tcase_add_test(t, local_executor_retry);
	tcase_add_test(t, lost_task_retried);
	tcase_add_test(t, lost_on_every_attempt);
	tcase_add_test(t, no_look_no_lost_verdict);
	tcase_add_test(t, slow_with_heartbeats_not_retried);
	tcase_add_test(t, executor_error_fails_job);
	tcase_add_test(t, progress_cancels_job);
	tcase_add_test(t, metrics_rows);
	suite_add_tcase(s, t);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
