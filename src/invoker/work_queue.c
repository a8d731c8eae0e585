/* The work-queue executor (FROCKET_INVOKER=work_queue): tasks go onto a Redis list for
 * frocket-worker processes anywhere (net/workq.h has the layout).  submit() writes the
 * attempt's QUEUED status and pushes its message in one MULTI/EXEC; one poller thread per
 * executor reads the status hash of every active job each poll interval and turns changes
 * into fr_job_report_status / fr_job_report_result.  A status value carries the writer's
 * time, so a worker's heartbeat is a change too: the job's lost-task rule (this executor sets
 * can_lose_tasks) then tells a slow task from a lost one.  A broken Redis connection fails
 * the jobs it concerns with the connection's error (fr_job_report_error). */
#include "invoker/internal.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "net/workq.h"

typedef struct wq_job {
	struct wq_job *next;
	fr_job *job;
	char keybase[FR_WQ_KEYBASE_MAX + 1];
	char kstatus[FR_WQ_KEYBASE_MAX + 16], kresult[FR_WQ_KEYBASE_MAX + 16];
	char kparts[FR_WQ_KEYBASE_MAX + 16];   /* self-select: the parts still free */
	char kdone[FR_WQ_KEYBASE_MAX + 16];    /* a worker pushes here as a task ends */
	int ntasks, max_att;
	char (*seen)[40];          /* per task*max_att+attempt: the last status value seen */
	uint8_t *fetched;          /* per attempt: its result was read (or given up on) */
	int failed;                /* reported an error already */
	int polled;                /* one poll has succeeded */
} wq_job;

typedef struct wq_exec {
	fr_executor base;
	fr_invoker_opts o;
	char kqueue[256];
	char kwake[256];           /* the poller's own wake-up list (a new job, the end) */
	uint32_t ttl;
	double heartbeat;
	pthread_mutex_t mu;        /* jobs list, and the submit connection */
	fr_redis *sub;
	wq_job *jobs;
	pthread_mutex_t poll_mu;   /* held by the poller for a whole pass; job_end waits on it */
	pthread_cond_t cv;
	int stop;
	pthread_t poller;
	int started;
	fr_redis *pr;              /* the poller's own connection */
	fr_redis *blob;            /* the poller's blobstore connection (opened when needed) */
} wq_exec;

static wq_job *find_job(wq_exec *e, fr_job *job)
{
	for (wq_job *j = e->jobs; j; j = j->next)
		if (j->job == job)
			return j;
	return NULL;
}

static void free_wq_job(wq_job *j)
{
	if (!j)
		return;
	free(j->seen);
	free(j->fetched);
	free(j);
}

/* The job's entry, created at its first submit (under e->mu). */
static int job_entry(wq_exec *e, fr_job *job, wq_job **out, int *fresh, fr_err *err)
{
	wq_job *j = find_job(e, job);
	*fresh = !j;
	if (j) {
		*out = j;
		return 0;
	}
	j = calloc(1, sizeof *j);
	size_t n = (size_t)(job->ntasks > 0 ? job->ntasks : 1) * (size_t)job->max_att;
	if (!j || !(j->seen = calloc(n, sizeof *j->seen)) || !(j->fetched = calloc(n, 1))) {
		free_wq_job(j);
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	}
	char rid[32];
	fr_job_request_id(rid, sizeof rid);
	snprintf(j->keybase, sizeof j->keybase, "%sreq-%s", e->o.redis.prefix, rid);
	snprintf(j->kstatus, sizeof j->kstatus, "%s:status", j->keybase);
	snprintf(j->kresult, sizeof j->kresult, "%s:result", j->keybase);
	snprintf(j->kparts, sizeof j->kparts, "%s:parts", j->keybase);
	snprintf(j->kdone, sizeof j->kdone, "%s:done", j->keybase);
	j->job = job;
	j->ntasks = job->ntasks;
	j->max_att = job->max_att;
	fr_job_ref(job);
	j->next = e->jobs;
	e->jobs = j;
	*out = j;
	return 0;
}

/* A transaction under construction: commands whose arguments point into buffers that
 * outlive it (never into the commands themselves, which move as the array grows: hence no
 * fr_rcmd_int here, numbers go through txn_expire's own string).  Arguments are packed
 * several to a command (HSET's pairs, LPUSH's and SADD's values). */
typedef struct txn {
	fr_rcmd *c;
	int n, cap;
	int oom;
	char ttl[24];              /* the TTL of every EXPIRE in it, as a string */
} txn;

static fr_rcmd *txn_cmd(txn *t, const char *verb, const char *key)
{
	if (t->n == t->cap) {
		int cap = t->cap ? t->cap * 2 : 16;
		fr_rcmd *c = realloc(t->c, sizeof *c * (size_t)cap);
		if (!c) {
			t->oom = 1;
			return NULL;
		}
		t->c = c;
		t->cap = cap;
	}
	fr_rcmd *c = &t->c[t->n++];
	fr_rcmd_init(c, verb);
	fr_rcmd_str(c, key);
	return c;
}

static void txn_expire(txn *t, const char *key, uint32_t ttl)
{
	fr_rcmd *c = txn_cmd(t, "EXPIRE", key);
	snprintf(t->ttl, sizeof t->ttl, "%u", ttl);
	if (c)
		fr_rcmd_str(c, t->ttl);
}

/* A new job: the poller, waiting on the done lists of the jobs it knew, wakes to add its. */
static void txn_wake(wq_exec *e, txn *t)
{
	static const char one[] = "1";
	const char *v = one;
	size_t l = 1;
	fr_rcmd *c = txn_cmd(t, "RPUSH", e->kwake);
	if (c)
		fr_rcmd_bin(c, v, l);
	txn_expire(t, e->kwake, e->ttl);
}

/* Appends `per` arguments (a pair for HSET) to the open command `verb key`, opening a new one
 * when it is full. */
static void txn_args(txn *t, const char *verb, const char *key, const char *const *v,
                     const size_t *len, int per)
{
	fr_rcmd *c = t->n ? &t->c[t->n - 1] : NULL;
	if (!c || strcmp(c->argv[0], verb) || strcmp(c->argv[1], key) ||
	    c->argc + per > FR_RCMD_MAX)
		c = txn_cmd(t, verb, key);
	if (!c)
		return;
	for (int i = 0; i < per; i++)
		fr_rcmd_bin(c, v[i], len[i]);
}

/* Runs the transaction; once more on a fresh connection when the old one broke since the
 * last job (a Redis restart): at worst a message goes out twice, and both runs of the same
 * attempt write the same fields. */
static int txn_run(wq_exec *e, txn *t, const char *what, fr_err *err)
{
	int rc = t->oom ? fr_err_set(err, FR_ENOMEM, "out of memory") : 0;
	if (!rc && (rc = fr_redis_tx(e->sub, t->c, t->n, NULL, err)) == FR_EIO)
		rc = fr_redis_tx(e->sub, t->c, t->n, NULL, err);
	if (rc) {
		char m2[FR_ERR_MSG_MAX];
		snprintf(m2, sizeof m2, "%s", err->msg);
		fr_err_set(err, rc, "queueing %s: %s", what, m2);
	}
	free(t->c);
	return rc;
}

/* QUEUED for (tasks[i], atts[i]) into t; fields and values are written into fv (40 bytes
 * each, 2 per attempt), which the caller keeps until the transaction has run. */
static void queue_statuses(wq_exec *e, wq_job *j, txn *t, const int *tasks, const int *atts,
                           int n, char (*fv)[40])
{
	char val[40];
	fr_wq_status_value(val, sizeof val, FR_TS_QUEUED, fr_wall_s());
	for (int i = 0; i < n; i++) {
		fr_wq_field(fv[2 * i], 40, tasks[i], atts[i]);
		snprintf(fv[2 * i + 1], 40, "%s", val);
		/* the poller must not report our own QUEUED back as news */
		snprintf(j->seen[(size_t)tasks[i] * (size_t)j->max_att + (size_t)atts[i]], 40, "%s",
		         val);
		const char *v[2] = { fv[2 * i], fv[2 * i + 1] };
		size_t l[2] = { strlen(v[0]), strlen(v[1]) };
		txn_args(t, "HSET", j->kstatus, v, l, 2);
	}
	txn_expire(t, j->kstatus, e->ttl);
}

/* Wakes the poller out of its wait (a best effort: at worst it wakes at its timeout). */
static void wake_poller(wq_exec *e)
{
	fr_rcmd c[2];
	fr_rcmd_init(&c[0], "RPUSH");
	fr_rcmd_str(&c[0], e->kwake);
	fr_rcmd_str(&c[0], "1");
	fr_rcmd_init(&c[1], "EXPIRE");
	fr_rcmd_str(&c[1], e->kwake);
	fr_rcmd_str(&c[1], "60");
	fr_err err = { 0 };
	fr_redis_tx(e->sub, c, 2, NULL, &err);
}

/* One enqueue of n attempts, built under e->mu and sent as one transaction. */
typedef struct batch {
	int n;
	fr_buf msgs;               /* the encoded messages: n of them, or one sent n times */
	int repeat;                /* 1: msgs holds one message, sent n times */
	size_t *moff;              /* n + 1 offsets into msgs (unused when repeated) */
	fr_buf mem;                /* self-select: the n set members, else empty */
	size_t *poff;              /* n + 1 offsets into mem */
	int *ta;                   /* tasks [0, n), then attempts [n, 2n) */
	char (*fv)[40];            /* QUEUED fields and values, 2 per attempt */
} batch;

static int batch_init(batch *b, int n, fr_err *err)
{
	memset(b, 0, sizeof *b);
	size_t m = (size_t)(n > 0 ? n : 1);
	b->n = n;
	b->moff = calloc(m + 1, sizeof *b->moff);
	b->poff = calloc(m + 1, sizeof *b->poff);
	b->ta = calloc(2 * m, sizeof *b->ta);
	b->fv = malloc(sizeof *b->fv * 2 * m);
	if (!b->moff || !b->poff || !b->ta || !b->fv)
		return fr_err_set(err, FR_ENOMEM, "out of memory queueing %d tasks", n);
	return 0;
}

static void batch_free(batch *b)
{
	fr_buf_free(&b->msgs);
	fr_buf_free(&b->mem);
	free(b->moff);
	free(b->poff);
	free(b->ta);
	free(b->fv);
}

/* The transaction: the self-select members (if any) with their TTL, the QUEUED statuses
 * (before the messages: a worker never meets a task without its QUEUED entry, and one
 * transaction makes it all or nothing), the messages, and for a new job a wake-up of the
 * poller. */
static int batch_send(wq_exec *e, wq_job *j, int fresh, batch *b, const char *what,
                      fr_err *err)
{
	txn t = { 0 };
	int n = b->n;
	if (b->mem.len) {
		for (int i = 0; i < n; i++) {
			const char *v = (const char *)b->mem.data + b->poff[i];
			size_t l = b->poff[i + 1] - b->poff[i];
			txn_args(&t, "SADD", j->kparts, &v, &l, 1);
		}
		txn_expire(&t, j->kparts, e->ttl);
	}
	queue_statuses(e, j, &t, b->ta, b->ta + n, n, b->fv);
	for (int i = 0; i < n; i++) {
		const char *v = (const char *)b->msgs.data + (b->repeat ? 0 : b->moff[i]);
		size_t l = b->repeat ? b->msgs.len : b->moff[i + 1] - b->moff[i];
		txn_args(&t, "LPUSH", e->kqueue, &v, &l, 1);
	}
	if (fresh)
		txn_wake(e, &t);
	return txn_run(e, &t, what, err);
}

static int wq_submit(fr_executor *ex, fr_job *job, const fr_submission *items, int n,
                     fr_err *err)
{
	wq_exec *e = (wq_exec *)ex;
	batch b;
	wq_job *j = NULL;
	int fresh = 0;
	pthread_mutex_lock(&e->mu);
	int rc = batch_init(&b, n, err);
	if (!rc)
		rc = job_entry(e, job, &j, &fresh, err);
	for (int i = 0; i < n && !rc; i++) {
		fr_wq_msg m = { .keybase = j->keybase, .task = items[i].task,
			.attempt = items[i].attempt, .ttl = e->ttl, .heartbeat = e->heartbeat,
			.req = items[i].req, .req_len = items[i].len };
		rc = fr_wq_msg_encode(&m, &b.msgs, err);
		b.moff[i + 1] = b.msgs.len;
		b.ta[i] = items[i].task;
		b.ta[n + i] = items[i].attempt;
	}
	if (!rc) {
		char what[64];
		if (n == 1)
			snprintf(what, sizeof what, "task %d", items[0].task);
		else
			snprintf(what, sizeof what, "%d tasks", n);
		rc = batch_send(e, j, fresh, &b, what, err);
	}
	pthread_mutex_unlock(&e->mu);
	batch_free(&b);
	return rc;
}

/* Self-select: the parts in the job's set, QUEUED for attempt 0 of every task, and one
 * message naming no part, pushed once per task. */
static int wq_submit_select(fr_executor *ex, fr_job *job, const void *req, size_t len,
                            const char *const *parts, fr_err *err)
{
	wq_exec *e = (wq_exec *)ex;
	int n = job->ntasks;
	batch b;
	wq_job *j = NULL;
	int fresh = 0;
	pthread_mutex_lock(&e->mu);
	int rc = batch_init(&b, n, err);
	if (!rc)
		rc = job_entry(e, job, &j, &fresh, err);
	if (!rc) {
		fr_wq_msg m = { .keybase = j->keybase, .task = FR_WQ_SELECT, .attempt = 0,
			.ttl = e->ttl, .heartbeat = e->heartbeat, .req = req, .req_len = len };
		rc = fr_wq_msg_encode(&m, &b.msgs, err);
		b.repeat = 1;
	}
	for (int i = 0; i < n && !rc; i++) {
		if (fr_wq_member(&b.mem, i, parts[i]))
			rc = fr_err_set(err, FR_ENOMEM, "out of memory");
		b.poff[i + 1] = b.mem.len;
		b.ta[i] = i;   /* attempts: b.ta[n + i] = 0 */
	}
	if (!rc) {
		char what[64];
		snprintf(what, sizeof what, "%d self-select tasks", n);
		rc = batch_send(e, j, fresh, &b, what, err);
	}
	pthread_mutex_unlock(&e->mu);
	batch_free(&b);
	return rc;
}

/* A registration attempt's group ids travel through the blobstore (runtime.md §5.7): put
 * them back into the result, and delete the blob.  A missing blob fails the attempt. */
static void report_with_blob(wq_exec *e, wq_job *j, int task, int attempt, const redisReply *res,
                             const redisReply *blobkey)
{
	fr_arena *a = fr_arena_new(0);
	fr_task_res r;
	fr_err err = { 0 };
	fr_buf b = FR_BUF_INIT;
	redisReply *blob = NULL;
	if (!a || fr_task_res_decode(res->str, res->len, a, &r, &err)) {
		/* let the job say what is wrong with it */
		fr_job_report_result(j->job, task, attempt, res->str, res->len);
		goto out;
	}
	char key[512];
	snprintf(key, sizeof key, "%.*s", (int)(blobkey->len < 511 ? blobkey->len : 511),
	         blobkey->str);
	int rc = 0;
	if (!e->blob)
		rc = fr_redis_new(&e->o.blob_redis, &e->blob, &err);
	fr_rcmd c;
	fr_rcmd_init(&c, "GET");
	fr_rcmd_str(&c, key);
	if (!rc && (rc = fr_redis_run(e->blob, &c, &blob, &err)) == FR_EIO)
		rc = fr_redis_run(e->blob, &c, &blob, &err);
	char msg[FR_ERR_MSG_MAX];
	if (rc || blob->type != REDIS_REPLY_STRING) {
		snprintf(msg, sizeof msg, "Blob not found, ID: %s%s%.400s", key, rc ? ": " : "",
		         rc ? err.msg : "");
		r.status = FR_TS_ENDED_FAILED;
		r.error = msg;
		r.group_ids = NULL;
		r.group_ids_len = 0;
	} else {
		r.group_ids = (const uint8_t *)blob->str;
		r.group_ids_len = blob->len;
	}
	if (fr_task_res_encode(&r, &b, &err))
		fr_job_report_status(j->job, task, attempt, FR_TS_ENDED_FAILED);
	else
		fr_job_report_result(j->job, task, attempt, b.data, b.len);
	if (!rc) {
		redisReply *d;
		fr_rcmd_init(&c, "DEL");
		fr_rcmd_str(&c, key);
		if (!fr_redis_run(e->blob, &c, &d, &err))
			freeReplyObject(d);
	}
out:
	if (blob)
		freeReplyObject(blob);
	fr_buf_free(&b);
	fr_arena_free(a);
}

/* Reads one ended attempt's result (and its blob's id, if any) and hands it to the job. */
static void fetch_result(wq_exec *e, wq_job *j, int task, int attempt, const char *field)
{
	char bfield[48];
	snprintf(bfield, sizeof bfield, "%s:blob", field);
	fr_rcmd c[2];
	fr_rcmd_init(&c[0], "HGET");
	fr_rcmd_str(&c[0], j->kresult);
	fr_rcmd_str(&c[0], field);
	fr_rcmd_init(&c[1], "HGET");
	fr_rcmd_str(&c[1], j->kresult);
	fr_rcmd_str(&c[1], bfield);
	redisReply *ex;
	fr_err err = { 0 };
	if (fr_redis_tx(e->pr, c, 2, &ex, &err)) {
		if (!j->failed)
			fr_job_report_error(j->job, err.msg);
		j->failed = 1;
		return;
	}
	j->fetched[(size_t)task * (size_t)j->max_att + (size_t)attempt] = 1;
	const redisReply *res = ex->elements == 2 ? ex->element[0] : NULL;
	const redisReply *bk = ex->elements == 2 ? ex->element[1] : NULL;
	if (res && res->type == REDIS_REPLY_STRING && bk && bk->type == REDIS_REPLY_STRING) {
		report_with_blob(e, j, task, attempt, res, bk);
	} else if (res && res->type == REDIS_REPLY_STRING) {
		fr_job_report_result(j->job, task, attempt, res->str, res->len);
	} else {
		/* written in the same transaction as the ended status: gone means expired or
		 * tampered with; the attempt fails and may be retried */
		FR_WARN("invoker", "task %d attempt %d: ended without a result in %s", task, attempt,
		        j->kresult);
		fr_job_report_status(j->job, task, attempt, FR_TS_ENDED_FAILED);
	}
	freeReplyObject(ex);
}

static void poll_job(wq_exec *e, wq_job *j)
{
	if (j->failed)
		return;
	/* the statuses as of now: reported as the job's latest look once all are handed over
	 * (results included, however long they take to read) */
	double t = fr_mono_s();
	fr_rcmd c;
	fr_rcmd_init(&c, "HGETALL");
	fr_rcmd_str(&c, j->kstatus);
	redisReply *rep;
	fr_err err = { 0 };
	int rc = fr_redis_run(e->pr, &c, &rep, &err);
	/* the poller's connection may have broken between jobs: a job not yet polled tries a
	 * fresh one; a job already under way fails (its state may be gone with the server) */
	if (rc == FR_EIO && !j->polled)
		rc = fr_redis_run(e->pr, &c, &rep, &err);
	if (!rc && (rc = fr_redis_want(e->pr, rep, REDIS_REPLY_ARRAY, "HGETALL", &err)))
		freeReplyObject(rep);
	if (!rc && rep->elements == 0) {
		/* Our QUEUED entries were written before the first message went out: an empty
		 * hash means Redis lost the job's state (restarted without persistence, flushed). */
		rc = fr_err_set(&err, FR_EREMOTE, "redis %s: the job's task statuses (%s) are gone: "
		                "was the server restarted or flushed?", fr_redis_name(e->pr),
		                j->kstatus);
		freeReplyObject(rep);
	}
	if (rc) {
		j->failed = 1;
		fr_job_report_error(j->job, err.msg);
		return;
	}
	j->polled = 1;
	for (size_t i = 0; i + 1 < rep->elements; i += 2) {
		const redisReply *f = rep->element[i], *v = rep->element[i + 1];
		int task, attempt, st;
		double wall;
		if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING ||
		    fr_wq_field_parse(f->str, f->len, &task, &attempt) ||
		    fr_wq_status_parse(v->str, v->len, &st, &wall) || task >= j->ntasks ||
		    attempt >= j->max_att || st < 0 || st >= FR_TS__COUNT)
			continue;   /* not ours to understand: ignore, never crash */
		size_t idx = (size_t)task * (size_t)j->max_att + (size_t)attempt;
		if (v->len < 40 && strlen(j->seen[idx]) == v->len && !memcmp(j->seen[idx], v->str, v->len))
			continue;
		snprintf(j->seen[idx], 40, "%.*s", (int)(v->len < 39 ? v->len : 39), v->str);
		if (st == FR_TS_ENDED_SUCCESS || st == FR_TS_ENDED_FAILED) {
			if (!j->fetched[idx]) {
				char field[32];
				fr_wq_field(field, sizeof field, task, attempt);
				fetch_result(e, j, task, attempt, field);
			}
		} else {
			fr_job_report_status(j->job, task, attempt, (fr_task_status)st);
		}
	}
	freeReplyObject(rep);
	if (!j->failed)
		fr_job_report_looked(j->job, t);
}

/* Jobs whose done lists one wait watches (the others are still polled every period). */
#define MAX_WAIT_JOBS 256

/* Waits up to one poll period (Redis rounds a blocking timeout up to its clock, 100 ms at
 * the default hz) for a task of one of the jobs (done lists kd[0..nk)) to end: a worker
 * pushes onto its job's done list with the final status, so a finished task is read at
 * once instead of at the next period.  The executor's wake list ends the wait too: a new
 * job (so that its done list joins the wait) and the executor's end.  The lists are emptied after a wake (the pass
 * that follows reads every status).  Called with poll_mu held, released during the wait so
 * that job_end is never held up.  0 when the wait happened (woken or timed out), else the
 * error. */
static int wait_done(wq_exec *e, char (*kd)[FR_WQ_KEYBASE_MAX + 16], int nk, const char *tmo,
                     const char **argv, size_t *len, fr_err *err)
{
	argv[0] = "BLPOP";
	argv[1] = e->kwake;
	for (int i = 0; i < nk; i++)
		argv[2 + i] = kd[i];
	argv[2 + nk] = tmo;
	for (int i = 0; i < nk + 3; i++)
		len[i] = strlen(argv[i]);
	pthread_mutex_unlock(&e->poll_mu);
	redisReply *rep;
	int rc = fr_redis_runv(e->pr, nk + 3, argv, len, &rep, err);
	if (!rc) {
		int woken = rep->type == REDIS_REPLY_ARRAY;
		freeReplyObject(rep);
		if (woken) {
			argv[0] = "DEL";
			len[0] = 3;
			rc = fr_redis_runv(e->pr, nk + 2, argv, len, &rep, err);
			if (!rc)
				freeReplyObject(rep);
		}
	}
	pthread_mutex_lock(&e->poll_mu);
	return rc;
}

static void *poller(void *arg)
{
	wq_exec *e = arg;
	int period = e->o.poll_interval_ms > 0 ? e->o.poll_interval_ms : 25;
	char tmo[32];
	snprintf(tmo, sizeof tmo, "%.3f", period / 1000.0);
	const char *argv[3 + MAX_WAIT_JOBS];
	size_t len[3 + MAX_WAIT_JOBS];
	char (*kd)[FR_WQ_KEYBASE_MAX + 16] = malloc(sizeof *kd * MAX_WAIT_JOBS);
	/* A pass reads whole status hashes: woken by every task of a job of many small tasks,
	 * passes would cost the square of its size.  They start at least this far apart. */
	double gap = (period < 5 ? period : 5) / 1000.0;
	pthread_mutex_lock(&e->poll_mu);
	while (!e->stop) {
		double t_pass = fr_mono_s();
		/* snapshot the active jobs; job_end cannot remove one while we hold poll_mu */
		pthread_mutex_lock(&e->mu);
		wq_job *list = e->jobs;
		pthread_mutex_unlock(&e->mu);
		int nk = 0;
		for (wq_job *j = list; j && !e->stop; j = j->next) {
			poll_job(e, j);
			if (kd && !j->failed && nk < MAX_WAIT_JOBS)
				snprintf(kd[nk++], sizeof *kd, "%s", j->kdone);
		}
		if (e->stop)
			break;
		if (nk) {
			fr_err err = { 0 };
			int rc = wait_done(e, kd, nk, tmo, argv, len, &err);
			double left = t_pass + gap - fr_mono_s();
			if (!rc && left > 0 && !e->stop) {
				struct timespec ts = fr_mono_after(left);
				pthread_cond_timedwait(&e->cv, &e->poll_mu, &ts);
			}
			if (!rc)
				continue;
			/* The connection broke (a Redis restart): as for a failed poll, the jobs
			 * under way fail with its error, since their state may be gone with the
			 * server; the others are polled on a fresh connection. */
			pthread_mutex_lock(&e->mu);
			for (wq_job *j = e->jobs; j && rc == FR_EIO; j = j->next)
				for (int i = 0; i < nk && j->polled && !j->failed; i++)
					if (!strcmp(kd[i], j->kdone)) {
						j->failed = 1;
						fr_job_report_error(j->job, err.msg);
					}
			pthread_mutex_unlock(&e->mu);
		}
		struct timespec ts = fr_mono_after(period / 1000.0);
		pthread_cond_timedwait(&e->cv, &e->poll_mu, &ts);
	}
	pthread_mutex_unlock(&e->poll_mu);
	free(kd);
	return NULL;
}

/* The job ended: forget it and delete its keys (a late worker's writes re-create them with a
 * TTL, so they expire). */
static void wq_job_end(fr_executor *ex, fr_job *job)
{
	wq_exec *e = (wq_exec *)ex;
	pthread_mutex_lock(&e->poll_mu);
	pthread_mutex_lock(&e->mu);
	wq_job **pp = &e->jobs, *j = NULL;
	while (*pp) {
		if ((*pp)->job == job) {
			j = *pp;
			*pp = j->next;
			break;
		}
		pp = &(*pp)->next;
	}
	pthread_mutex_unlock(&e->poll_mu);
	if (j) {
		fr_rcmd c;
		fr_rcmd_init(&c, "DEL");
		fr_rcmd_str(&c, j->kstatus);
		fr_rcmd_str(&c, j->kresult);
		fr_rcmd_str(&c, j->kparts);
		fr_rcmd_str(&c, j->kdone);
		redisReply *rep;
		fr_err err = { 0 };
		int drc = fr_redis_run(e->sub, &c, &rep, &err);
		if (drc == FR_EIO)   /* a connection broken meanwhile: DEL again on a fresh one */
			drc = fr_redis_run(e->sub, &c, &rep, &err);
		if (drc)
			FR_WARN("invoker", "cleaning up %s: %s (the keys expire by themselves)",
			        j->keybase, err.msg);
		else
			freeReplyObject(rep);
	}
	pthread_mutex_unlock(&e->mu);
	if (j) {
		fr_job_unref(j->job);
		free_wq_job(j);
	}
}

static void wq_free(fr_executor *ex)
{
	wq_exec *e = (wq_exec *)ex;
	if (!e)
		return;
	if (e->started) {
		pthread_mutex_lock(&e->poll_mu);
		e->stop = 1;
		pthread_cond_broadcast(&e->cv);
		pthread_mutex_unlock(&e->poll_mu);
		wake_poller(e);   /* out of its BLPOP at once, not at its timeout */
		pthread_join(e->poller, NULL);
		fr_rcmd c;
		fr_rcmd_init(&c, "DEL");
		fr_rcmd_str(&c, e->kwake);
		redisReply *rep;
		fr_err err = { 0 };
		if (!fr_redis_run(e->sub, &c, &rep, &err))
			freeReplyObject(rep);
	}
	while (e->jobs) {
		wq_job *j = e->jobs;
		e->jobs = j->next;
		fr_job_unref(j->job);
		free_wq_job(j);
	}
	fr_redis_close(e->sub);
	fr_redis_close(e->pr);
	fr_redis_close(e->blob);
	pthread_cond_destroy(&e->cv);
	pthread_mutex_destroy(&e->poll_mu);
	pthread_mutex_destroy(&e->mu);
	free(e);
}

static const fr_executor_ops wq_ops = {
	.submit = wq_submit, .submit_select = wq_submit_select, .job_end = wq_job_end, .free = wq_free, .can_lose_tasks = 1,
};

int fr_executor_work_queue_new(const fr_invoker_opts *o, fr_executor **out, fr_err *err)
{
	*out = NULL;
	wq_exec *e = calloc(1, sizeof *e);
	if (!e)
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	e->base.ops = &wq_ops;
	e->o = *o;
	pthread_mutex_init(&e->mu, NULL);
	pthread_mutex_init(&e->poll_mu, NULL);
	fr_cond_init_mono(&e->cv);
	/* Keys outlive any job that could still read them (the run timeout plus the slack of
	 * enqueueing and a few lost intervals), and then expire (decision 21). */
	double ttl = 2 * o->run_timeout + 4 * o->retry_lost_interval + 60;
	e->ttl = ttl > 7 * 86400 ? 7 * 86400 : (uint32_t)ceil(ttl);
	/* Eight heartbeats per lost interval: a worker on a loaded machine may miss several
	 * before its task is taken for lost. */
	e->heartbeat = o->retry_lost_interval / 8;
	if (e->heartbeat < 0.01)
		e->heartbeat = 0.01;
	if (e->heartbeat > 5)
		e->heartbeat = 5;
	snprintf(e->kqueue, sizeof e->kqueue, "%squeues:default", o->redis.prefix);
	char rid[32];
	fr_job_request_id(rid, sizeof rid);
	snprintf(e->kwake, sizeof e->kwake, "%sinvoker-%s:wake", o->redis.prefix, rid);
	int rc = fr_redis_open(&o->redis, &e->sub, err);
	if (!rc)
		rc = fr_redis_open(&o->redis, &e->pr, err);
	if (!rc && pthread_create(&e->poller, NULL, poller, e))
		rc = fr_err_set(err, FR_EIO, "cannot start the work queue's poller thread");
	if (rc) {
		wq_free(&e->base);
		return rc;
	}
	e->started = 1;
	*out = &e->base;
	return 0;
}
