/* The worker's task loops.  Each loop owns two Redis connections: one to take messages and
 * write results, one for its heartbeat thread (hiredis contexts are single-threaded).
 *
 * Taking a task: LMOVE from the queue into the loop's own processing list and EXPIRE of
 * that list in one Lua step (waiting, when the queue is empty, with a BLMOVE of the queue
 * onto itself, which takes nothing), so the message is never only in this process's memory;
 * when the task is done (or dropped) the list is deleted.  If the process dies the invoker's
 * lost-task rule queues a fresh attempt, and the orphaned copy expires.
 *
 * Everything popped is untrusted: a message that does not decode, names keys outside our
 * prefix, is older than worker.reject.age, or belongs to a job that already ended is logged
 * and dropped; the loop goes on. */
#include "worker/worker.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/log.h"
#include "net/workq.h"
#include "task/task.h"
#include "worker/known.h"

typedef struct hb {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t th;
	int started;
	fr_redis *r;
	int active, quit, writing, dirty;
	volatile int cancel;       /* set when the job is found ended; fr_task_run's cancel */
	int st;
	double interval, next;
	uint32_t ttl;
	char key[FR_WQ_KEYBASE_MAX + 16], field[32];
} hb;

typedef struct loop {
	const fr_worker_opts *o;
	volatile sig_atomic_t *stop;
	int n;
	pthread_t th;
	fr_redis *r;
	fr_redis *blob;            /* the blobstore role's connection, opened when needed */
	char kqueue[256], kproc[512];
	char prefix_req[160];
	hb hb;
	fr_known *known;           /* the process's parts read before (shared by its loops) */
	/* self-select: the parts of the current job this loop knows are taken (tried or won),
	 * so that each candidate costs at most one SREM per job and loop */
	char sel_job[FR_WQ_KEYBASE_MAX + 1];
	uint8_t *sel_taken;        /* bitmap by part index */
	size_t sel_bits;
	int down;                  /* Redis was unreachable at the last try */
	double backoff;
	int dirty;                 /* ran a task since its memory was last released */
	double last_task;          /* fr_mono_s() when the last task ended */
} loop;

/* ---- heartbeat ---- */

/* Refreshes the attempt's status only while its job is alive (the invoker deletes the status
 * hash when the job ends): a heartbeat never resurrects an ended job's keys, and the answer
 * tells the task to stop early.  Nor does it overwrite the attempt's final status: the
 * heartbeat keeps going while the result is written (a big result can take longer than the
 * lost interval to encode and send), and a beat that lands after the result changes
 * nothing. */
static const char hb_lua[] =
	"if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end "
	"local cur = redis.call('HGET', KEYS[1], ARGV[1]) "
	"if cur then local s = string.match(cur, '^(%d+):') "
	"if s == ARGV[4] or s == ARGV[5] then return 1 end end "
	"redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) "
	"redis.call('EXPIRE', KEYS[1], ARGV[3]) return 1";

static void hb_write(hb *h, int st)
{
	char val[40];
	fr_wq_status_value(val, sizeof val, st, fr_wall_s());
	fr_rcmd c;
	fr_rcmd_init(&c, "EVAL");
	fr_rcmd_str(&c, hb_lua);
	fr_rcmd_str(&c, "1");
	fr_rcmd_str(&c, h->key);
	fr_rcmd_str(&c, h->field);
	fr_rcmd_str(&c, val);
	fr_rcmd_int(&c, h->ttl);
	fr_rcmd_int(&c, FR_TS_ENDED_SUCCESS);
	fr_rcmd_int(&c, FR_TS_ENDED_FAILED);
	fr_err err = { 0 };
	long long alive = 1;
	if (fr_redis_run_int(h->r, &c, &alive, &err))
		FR_WARN("worker", "heartbeat of %s %s: %s", h->key, h->field, err.msg);
	else if (!alive)
		h->cancel = 1;   /* the job has ended: stop the task at its next step */
}

static void *hb_main(void *arg)
{
	hb *h = arg;
	pthread_mutex_lock(&h->mu);
	while (!h->quit) {
		if (!h->active) {
			pthread_cond_wait(&h->cv, &h->mu);
			continue;
		}
		double now = fr_mono_s();
		if (h->dirty || now >= h->next) {
			int st = h->st;
			h->dirty = 0;
			h->writing = 1;
			pthread_mutex_unlock(&h->mu);
			hb_write(h, st);
			pthread_mutex_lock(&h->mu);
			h->writing = 0;
			h->next = fr_mono_s() + h->interval;
			pthread_cond_broadcast(&h->cv);
			continue;
		}
		struct timespec ts = fr_mono_timespec(h->next);
		pthread_cond_timedwait(&h->cv, &h->mu, &ts);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

static int hb_init(hb *h, const fr_redis_opts *ro, fr_err *err)
{
	memset(h, 0, sizeof *h);
	pthread_mutex_init(&h->mu, NULL);
	fr_cond_init_mono(&h->cv);
	int rc = fr_redis_new(ro, &h->r, err);
	if (rc)
		return rc;
	if (pthread_create(&h->th, NULL, hb_main, h))
		return fr_err_set(err, FR_EIO, "cannot start a heartbeat thread");
	h->started = 1;
	return 0;
}

static void hb_fini(hb *h)
{
	if (h->started) {
		pthread_mutex_lock(&h->mu);
		h->quit = 1;
		pthread_cond_broadcast(&h->cv);
		pthread_mutex_unlock(&h->mu);
		pthread_join(h->th, NULL);
	}
	fr_redis_close(h->r);
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
}

static void hb_start(hb *h, const char *key, const char *field, uint32_t ttl, double interval)
{
	pthread_mutex_lock(&h->mu);
	snprintf(h->key, sizeof h->key, "%s", key);
	snprintf(h->field, sizeof h->field, "%s", field);
	h->ttl = ttl;
	h->interval = interval;
	h->st = FR_TS_LOADING_DATA;
	h->cancel = 0;
	h->dirty = 1;
	h->active = 1;
	pthread_cond_broadcast(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

/* fr_task_run's progress callback: a new status (or a heartbeat) is written soon. */
static void hb_progress(void *arg, fr_task_status st)
{
	hb *h = arg;
	pthread_mutex_lock(&h->mu);
	if (h->st != (int)st) {
		h->st = st;
		h->dirty = 1;
		pthread_cond_broadcast(&h->cv);
	}
	pthread_mutex_unlock(&h->mu);
}

/* Stops the heartbeat and waits for a write in flight: the final status must come last. */
static void hb_stop(hb *h)
{
	pthread_mutex_lock(&h->mu);
	h->active = 0;
	while (h->writing)
		pthread_cond_wait(&h->cv, &h->mu);
	pthread_mutex_unlock(&h->mu);
}

/* ---- the loop ---- */

static void nap(loop *l, double s)
{
	double end = fr_mono_s() + s;
	while (!*l->stop && fr_mono_s() < end) {
		double left = end - fr_mono_s();
		if (left > 0.1)
			left = 0.1;
		if (left > 0) {
			struct timespec ts = { 0, (long)(left * 1e9) };
			nanosleep(&ts, NULL);
		}
	}
}

static void redis_trouble(loop *l, const char *what, const fr_err *err)
{
	if (!l->down)
		FR_WARN("worker", "loop %d: %s: %s; retrying with backoff", l->n, what, err->msg);
	l->down = 1;
	l->backoff = l->backoff <= 0 ? 0.1 : l->backoff * 2;
	if (l->backoff > 5)
		l->backoff = 5;
	nap(l, l->backoff);
}

static void redis_fine(loop *l)
{
	if (l->down)
		FR_INFO("worker", "loop %d: redis %s is back", l->n, fr_redis_name(l->r));
	l->down = 0;
	l->backoff = 0;
}

/* Writes the attempt's result and final status in one transaction (retried a few times over
 * reconnects: the writes are idempotent). */
static int write_result(loop *l, const char *keybase, const char *field, uint32_t ttl,
                        const fr_task_res *res, const char *blobkey, fr_err *err)
{
	fr_buf b = FR_BUF_INIT;
	int rc = fr_task_res_encode(res, &b, err);
	if (rc)
		return rc;
	char kst[FR_WQ_KEYBASE_MAX + 16], kres[FR_WQ_KEYBASE_MAX + 16], val[40];
	char kdone[FR_WQ_KEYBASE_MAX + 16];
	snprintf(kst, sizeof kst, "%s:status", keybase);
	snprintf(kres, sizeof kres, "%s:result", keybase);
	snprintf(kdone, sizeof kdone, "%s:done", keybase);
	fr_wq_status_value(val, sizeof val, res->status, fr_wall_s());
	fr_rcmd c[6];
	fr_rcmd_init(&c[0], "HSET");
	fr_rcmd_str(&c[0], kres);
	fr_rcmd_str(&c[0], field);
	fr_rcmd_bin(&c[0], b.data, b.len);
	char bfield[48];
	snprintf(bfield, sizeof bfield, "%s:blob", field);
	if (blobkey) {   /* the group ids' blob, named beside the result */
		fr_rcmd_str(&c[0], bfield);
		fr_rcmd_str(&c[0], blobkey);
	}
	fr_rcmd_init(&c[1], "HSET");
	fr_rcmd_str(&c[1], kst);
	fr_rcmd_str(&c[1], field);
	fr_rcmd_str(&c[1], val);
	fr_rcmd_init(&c[2], "EXPIRE");
	fr_rcmd_str(&c[2], kres);
	fr_rcmd_int(&c[2], ttl);
	fr_rcmd_init(&c[3], "EXPIRE");
	fr_rcmd_str(&c[3], kst);
	fr_rcmd_int(&c[3], ttl);
	/* wakes the invoker's poller at once (it waits on the job's done list between polls) */
	fr_rcmd_init(&c[4], "RPUSH");
	fr_rcmd_str(&c[4], kdone);
	fr_rcmd_str(&c[4], field);
	fr_rcmd_init(&c[5], "EXPIRE");
	fr_rcmd_str(&c[5], kdone);
	fr_rcmd_int(&c[5], ttl);
	for (int i = 0; i < 4; i++) {
		rc = fr_redis_tx(l->r, c, 6, NULL, err);
		/* a server refusal (OOM, wrong type) will not change by retrying */
		if (!rc || rc != FR_EIO)
			break;
		nap(l, 0.2 * (i + 1));
	}
	fr_buf_free(&b);
	return rc;
}

static void drop_proc(loop *l)
{
	fr_rcmd c;
	fr_rcmd_init(&c, "DEL");
	fr_rcmd_str(&c, l->kproc);
	redisReply *rep;
	fr_err err = { 0 };
	if (fr_redis_run(l->r, &c, &rep, &err))
		FR_WARN("worker", "loop %d: removing %s: %s (it expires by itself)", l->n, l->kproc,
		        err.msg);
	else
		freeReplyObject(rep);
}

/* 1 when the job's status hash still exists (the invoker deletes it when the job ends). */
static int job_alive(loop *l, const char *kst, fr_err *err)
{
	fr_rcmd c;
	fr_rcmd_init(&c, "EXISTS");
	fr_rcmd_str(&c, kst);
	long long n = 0;
	int rc = fr_redis_run_int(l->r, &c, &n, err);
	return rc ? rc : n > 0;
}

static int put_blob(loop *l, const char *key, const void *data, size_t len, uint32_t ttl,
                    fr_err *err)
{
	int rc = 0;
	if (!l->blob)
		rc = fr_redis_new(&l->o->blob_redis, &l->blob, err);
	fr_rcmd c;
	fr_rcmd_init(&c, "SET");
	fr_rcmd_str(&c, key);
	fr_rcmd_bin(&c, data, len);
	fr_rcmd_str(&c, "EX");
	fr_rcmd_int(&c, ttl);
	if (!rc && (rc = fr_redis_run_ok(l->blob, &c, err)) == FR_EIO)
		rc = fr_redis_run_ok(l->blob, &c, err);   /* SET is idempotent: once more */
	return rc;
}

/* Self-select (runtime.md §2.7): tries the candidates in order, then any part; one round
 * trip.  Returns {i, member} for the i-th candidate (from 1) won, {0, member} for a random
 * part, {0} when the set is empty or gone. */
static const char pick_lua[] =
	"for i = 1, #ARGV do "
	"if redis.call('SREM', KEYS[1], ARGV[i]) == 1 then return {i, ARGV[i]} end end "
	"local m = redis.call('SPOP', KEYS[1]) "
	"if m then return {0, m} end return {0}";

/* Part indexes beyond this are not remembered as taken (they are only tried again). */
#define MAX_SEL_BITS ((size_t)1 << 24)

static int sel_skip(void *arg, int idx)
{
	loop *l = arg;
	return idx >= 0 && (size_t)idx < l->sel_bits && (l->sel_taken[idx >> 3] >> (idx & 7) & 1);
}

static void sel_mark(loop *l, int idx)
{
	if (idx < 0 || (size_t)idx >= MAX_SEL_BITS)
		return;
	if ((size_t)idx >= l->sel_bits) {
		size_t bits = l->sel_bits ? l->sel_bits : 1024;
		while (bits <= (size_t)idx)
			bits *= 2;
		uint8_t *p = realloc(l->sel_taken, bits / 8);
		if (!p)
			return;   /* a preference: at worst a candidate is tried twice */
		memset(p + l->sel_bits / 8, 0, (bits - l->sel_bits) / 8);
		l->sel_taken = p;
		l->sel_bits = bits;
	}
	l->sel_taken[idx >> 3] |= (uint8_t)(1u << (idx & 7));
}

/* At most this many candidates go into one pick (the most recently read first). */
#define MAX_CANDIDATES 256

/* Picks the part of a self-select request and fills it into req (part name and index, task
 * index), with how it was chosen and the preflight wait: 0, or 1 when nothing is left to
 * pick (decision 19: the attempt ends cleanly, nothing written), or an error code (err set;
 * on Redis trouble the task stays QUEUED and the invoker's lost rule queues it again). */
static int select_part(loop *l, const fr_wq_msg *m, fr_task_req *req, fr_arena *a,
                       fr_task_select *how, double *slept, fr_err *err)
{
	if (strcmp(l->sel_job, m->keybase)) {   /* another job: nothing known taken yet */
		snprintf(l->sel_job, sizeof l->sel_job, "%s", m->keybase);
		if (l->sel_taken)
			memset(l->sel_taken, 0, l->sel_bits / 8);
	}
	const char **cand;
	size_t *clen;
	int nknown;
	int nc = fr_known_candidates(l->known, req->dataset, req->registered_at, req->basepath,
	                             sel_skip, l, MAX_CANDIDATES, a, &cand, &clen, &nknown);
	*slept = 0;
	if (!nknown) {
		/* a worker that read none of the dataset's parts lets warmer ones pick first */
		double left = l->o->preflight - (fr_wall_s() - req->invoke_time);
		if (left > l->o->preflight)
			left = l->o->preflight;   /* an invoker clock ahead of ours: never more */
		if (left > 0) {
			double t = fr_mono_s();
			nap(l, left);
			*slept = fr_mono_s() - t;
		}
	}
	char kparts[FR_WQ_KEYBASE_MAX + 16];
	snprintf(kparts, sizeof kparts, "%s:parts", m->keybase);
	int argc = 4 + nc;
	const char **argv = fr_arena_calloc(a, (size_t)argc, sizeof *argv);
	size_t *len = fr_arena_calloc(a, (size_t)argc, sizeof *len);
	if (!argv || !len)
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	argv[0] = "EVAL";
	argv[1] = pick_lua;
	argv[2] = "1";
	argv[3] = kparts;
	for (int i = 0; i < 4; i++)
		len[i] = strlen(argv[i]);
	for (int i = 0; i < nc; i++) {
		argv[4 + i] = cand[i];
		len[4 + i] = clen[i];
	}
	redisReply *rep;
	int rc = fr_redis_runv(l->r, argc, argv, len, &rep, err);
	if (rc)
		return rc;
	if ((rc = fr_redis_want(l->r, rep, REDIS_REPLY_ARRAY, "EVAL (picking a part)", err))) {
		freeReplyObject(rep);
		return rc;
	}
	if (rep->elements < 2) {
		freeReplyObject(rep);
		return 1;
	}
	const redisReply *won = rep->element[0], *mem = rep->element[1];
	int idx;
	const char *name;
	size_t nl;
	if (won->type != REDIS_REPLY_INTEGER || mem->type != REDIS_REPLY_STRING ||
	    fr_wq_member_parse(mem->str, mem->len, &idx, &name, &nl) || memchr(name, 0, nl)) {
		freeReplyObject(rep);
		return fr_err_set(err, FR_ECORRUPT, "%s: a member that is not a part", kparts);
	}
	char *pn = fr_arena_calloc(a, nl + 1, 1);
	if (!pn) {
		freeReplyObject(rep);
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	}
	memcpy(pn, name, nl);
	req->part_name = pn;
	req->task_index = idx;
	req->part_index = idx;
	/* runtime.md §2.7's labels: candidates known taken in this job count as candidates */
	*how = won->integer ? FR_SEL_CANDIDATE : nknown ? FR_SEL_CANDIDATES_TAKEN
	                                                : FR_SEL_NO_CANDIDATES;
	/* the candidates tried (up to the one won) are taken now, and so is the part picked */
	long long tried = won->integer > 0 && won->integer <= nc ? won->integer : nc;
	for (long long i = 0; i < tried; i++) {
		int ci;
		const char *cn;
		size_t cl;
		if (!fr_wq_member_parse(cand[i], clen[i], &ci, &cn, &cl))
			sel_mark(l, ci);
	}
	sel_mark(l, idx);
	freeReplyObject(rep);
	return 0;
}

static void handle(loop *l, const redisReply *msg)
{
	double t0 = fr_mono_s();
	char errbuf[FR_ERR_MSG_MAX];
	fr_arena *a = fr_arena_new(0);
	if (!a) {
		FR_ERROR("worker", "loop %d: out of memory; dropping a message", l->n);
		return;
	}
	fr_wq_msg m;
	fr_err err = { 0 };
	if (fr_wq_msg_decode(msg->str, msg->len, a, &m, &err)) {
		FR_WARN("worker", "loop %d: dropping a malformed message (%zu bytes): %s", l->n,
		        msg->len, err.msg);
		goto out;
	}
	if (strncmp(m.keybase, l->prefix_req, strlen(l->prefix_req)) ||
	    strpbrk(m.keybase + strlen(l->prefix_req), " \t\r\n{}*?[]")) {
		FR_WARN("worker", "loop %d: dropping a foreign message (keys outside '%s')", l->n,
		        l->prefix_req);
		goto out;
	}
	char field[32], kst[FR_WQ_KEYBASE_MAX + 16];
	fr_wq_field(field, sizeof field, m.task, m.attempt);
	snprintf(kst, sizeof kst, "%s:status", m.keybase);
	fr_task_req req;
	fr_task_res res;
	if (fr_task_req_decode(m.req, m.req_len, a, &req, &err)) {
		/* the envelope is ours: tell the invoker at once rather than let it wait */
		FR_WARN("worker", "%s task %d attempt %d: undecodable request: %s", m.keybase, m.task,
		        m.attempt, err.msg);
		memset(&res, 0, sizeof res);
		res.kind = FR_TASK_QUERY;
		res.task_index = m.task;
		res.attempt = m.attempt;
		res.status = FR_TS_ENDED_FAILED;
		res.error = err.msg;
		fr_err e2 = { 0 };
		if (m.task != FR_WQ_SELECT &&   /* no attempt of a task was taken: nothing to say */
		    write_result(l, m.keybase, field, m.ttl, &res, NULL, &e2))
			FR_WARN("worker", "%s: writing the failure: %s", m.keybase, e2.msg);
		goto out;
	}
	double age = fr_wall_s() - req.invoke_time;
	if (age > l->o->reject_age) {
		FR_WARN("worker", "%s task %d attempt %d: dropping a request %.1f s old (more than "
		        "FROCKET_WORKER_REJECT_AGE=%g)", m.keybase, m.task, m.attempt, age,
		        l->o->reject_age);
		goto out;
	}
	int alive = job_alive(l, kst, &err);
	if (alive < 0) {
		FR_WARN("worker", "%s task %d attempt %d: %s; dropping it (the invoker retries)",
		        m.keybase, m.task, m.attempt, err.msg);
		goto out;
	}
	if (!alive) {
		FR_INFO("worker", "%s task %d attempt %d: its job has ended; dropping it", m.keybase,
		        m.task, m.attempt);
		goto out;
	}
	fr_task_select how = FR_SEL_NONE;
	double slept = 0, t_sel = fr_mono_s();
	if (m.task == FR_WQ_SELECT) {
		if (req.kind != FR_TASK_QUERY) {
			FR_WARN("worker", "%s: dropping a self-select message that is not a query",
			        m.keybase);
			goto out;
		}
		int src = select_part(l, &m, &req, a, &how, &slept, &err);
		if (src == 1) {
			/* decision 19: every part is taken (a duplicate delivery, or the request
			 * outlived its job): nothing to run, nothing to write */
			FR_WARN("worker", "%s: no part left to select; nothing to do", m.keybase);
			goto out;
		}
		if (src) {
			FR_WARN("worker", "%s: picking a part: %s; dropping the message (the invoker "
			        "retries what is lost)", m.keybase, err.msg);
			goto out;
		}
		m.task = req.task_index;
		fr_wq_field(field, sizeof field, m.task, m.attempt);
	}
	t_sel = fr_mono_s() - t_sel;
	hb_start(&l->hb, kst, field, m.ttl, m.heartbeat);
	fr_task_run(&req, hb_progress, &l->hb, &l->hb.cancel, a, &res);
	if (how != FR_SEL_NONE) {
		/* the task's time includes the selection and the preflight wait (runtime.md §8.1);
		 * the invocation latency ends where the selection began */
		res.select = how;
		res.preflight_s = slept;
		res.total_s += t_sel;
		res.invoke_latency = res.invoke_latency > t_sel ? res.invoke_latency - t_sel : 0;
	}
	if (res.status == FR_TS_ENDED_SUCCESS && req.kind == FR_TASK_QUERY && req.dataset &&
	    *req.dataset)
		fr_known_add(l->known, req.dataset, req.registered_at, req.basepath, req.part_index,
		             req.part_name);
	if (l->hb.cancel) {
		hb_stop(&l->hb);
		FR_INFO("worker", "%s task %d attempt %d: its job ended while it ran; stopped it",
		        m.keybase, m.task, m.attempt);
		goto out;
	}
	/* the invoker matches a result to its attempt by the numbers inside */
	res.task_index = m.task;
	res.attempt = m.attempt;
	char blobkey[FR_WQ_KEYBASE_MAX + 96];
	const char *bk = NULL;
	if (res.status == FR_TS_ENDED_SUCCESS && res.group_ids && res.group_ids_len) {
		/* group ids go to the blobstore (runtime.md §5.7), under a key named after the
		 * request, the dataset's part and the attempt, with the request keys' TTL */
		snprintf(blobkey, sizeof blobkey, "%sblob:uniques-%s-%d-%d", l->o->redis.prefix,
		         m.keybase + strlen(l->prefix_req), m.task, m.attempt);
		if (put_blob(l, blobkey, res.group_ids, res.group_ids_len, m.ttl, &err)) {
			snprintf(errbuf, sizeof errbuf, "storing the group ids in the blobstore: %.900s",
			         err.msg);
			res.status = FR_TS_ENDED_FAILED;
			res.error = errbuf;
		} else {
			bk = blobkey;
		}
		res.group_ids = NULL;
		res.group_ids_len = 0;
	}
	int wrc = write_result(l, m.keybase, field, m.ttl, &res, bk, &err);
	hb_stop(&l->hb);   /* only now: the result's encoding and transfer count as alive */
	const char *part = req.part_name ? req.part_name : "?";
	if (wrc)
		FR_WARN("worker", "%s task %d attempt %d %s %s: result not written: %s", m.keybase,
		        m.task, m.attempt, req.kind == FR_TASK_REGISTER ? "register" : "query", part,
		        err.msg);
	else
		FR_INFO("worker", "%s task %d attempt %d %s %s%s%s: %s in %.3f s%s%s", m.keybase,
		        m.task, m.attempt, req.kind == FR_TASK_REGISTER ? "register" : "query", part,
		        how >= FR_SEL_CANDIDATE ? " " : "",
		        how >= FR_SEL_CANDIDATE ? fr_task_select_name(how) : "",
		        fr_task_status_name(res.status), fr_mono_s() - t0, res.error ? ": " : "",
		        res.error ? res.error : "");
out:
	fr_arena_free(a);
}

/* Puts back onto the queue whatever is left in this loop's processing list: a take whose
 * reply was lost with the connection (a Redis restart, a network cut) moved a message the
 * loop never saw.  Done at start and after every connection problem.  0 when done. */
static int recover(loop *l, fr_err *err)
{
	for (int i = 0; i < 1000; i++) {
		fr_rcmd c;
		fr_rcmd_init(&c, "LMOVE");
		fr_rcmd_str(&c, l->kproc);
		fr_rcmd_str(&c, l->kqueue);
		fr_rcmd_str(&c, "RIGHT");
		fr_rcmd_str(&c, "RIGHT");   /* the queue's next-out end: it does not wait again */
		redisReply *rep;
		int rc = fr_redis_run(l->r, &c, &rep, err);
		if (rc)
			return rc;
		int more = rep->type == REDIS_REPLY_STRING;
		freeReplyObject(rep);
		if (!more)
			return 0;
		FR_INFO("worker", "loop %d: put back a message left in %s", l->n, l->kproc);
	}
	return 0;
}

/* How long an orphaned processing list (its worker killed) keeps its message. */
#define PROC_TTL 3600

static const char take_lua[] =
	"local m = redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT') "
	"if m then redis.call('EXPIRE', KEYS[2], ARGV[1]) end return m";

static void *loop_main(void *arg)
{
	loop *l = arg;
	int need_recover = 1;
	while (!*l->stop) {
		if (need_recover) {
			fr_err rerr = { 0 };
			if (recover(l, &rerr)) {
				redis_trouble(l, "checking the processing list", &rerr);
				continue;
			}
			need_recover = 0;
		}
		/* Take the next message into the processing list and give the list its TTL in
		 * one atomic step, so that a worker killed at any instant leaves at worst a copy
		 * that expires (the invoker's lost rule queues a fresh attempt). */
		fr_rcmd c;
		fr_rcmd_init(&c, "EVAL");
		fr_rcmd_str(&c, take_lua);
		fr_rcmd_str(&c, "2");
		fr_rcmd_str(&c, l->kqueue);
		fr_rcmd_str(&c, l->kproc);
		fr_rcmd_int(&c, PROC_TTL);
		redisReply *rep;
		fr_err err = { 0 };
		if (fr_redis_run(l->r, &c, &rep, &err)) {
			redis_trouble(l, "taking a task", &err);
			need_recover = 1;
			continue;
		}
		redis_fine(l);
		if (rep->type == REDIS_REPLY_STRING) {
			handle(l, rep);
			drop_proc(l);
			l->dirty = 1;
			l->last_task = fr_mono_s();
		} else if (rep->type == REDIS_REPLY_NIL) {
			/* Idle: the arena blocks kept for the next task go back to the system once
			 * no task came for idle_release seconds. */
			if (l->dirty && fr_mono_s() - l->last_task >= l->o->idle_release) {
				fr_arena_cache_release();
				l->dirty = 0;
			}
			/* Nothing queued: wait until something is, without taking it (moving the
			 * queue's tail onto itself changes nothing); then race for it above. */
			freeReplyObject(rep);
			fr_rcmd_init(&c, "BLMOVE");
			fr_rcmd_str(&c, l->kqueue);
			fr_rcmd_str(&c, l->kqueue);
			fr_rcmd_str(&c, "RIGHT");
			fr_rcmd_str(&c, "RIGHT");
			fr_rcmd_str(&c, "1");   /* seconds: how soon a stop request is noticed */
			if (fr_redis_run(l->r, &c, &rep, &err)) {
				redis_trouble(l, "waiting for a task", &err);
				need_recover = 1;
				continue;
			}
		} else {
			FR_WARN("worker", "loop %d: taking a task: unexpected reply type %d", l->n,
			        rep->type);
			nap(l, 1);
		}
		freeReplyObject(rep);
	}
	return NULL;
}

int fr_worker_run(const fr_worker_opts *o, volatile sig_atomic_t *stop, fr_err *err)
{
	int n = o->threads > 0 ? o->threads : 1;
	loop *ls = calloc((size_t)n, sizeof *ls);
	if (!ls)
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	fr_known *known = fr_known_new(4096);
	if (!known) {
		free(ls);
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	}
	int rc = 0, started = 0;
	for (int i = 0; i < n && !rc; i++) {
		loop *l = &ls[i];
		l->o = o;
		l->known = known;
		l->stop = stop;
		l->n = i;
		snprintf(l->kqueue, sizeof l->kqueue, "%squeues:default", o->redis.prefix);
		snprintf(l->kproc, sizeof l->kproc, "%squeues:default:processing:%s:%d",
		         o->redis.prefix, o->id, i);
		snprintf(l->prefix_req, sizeof l->prefix_req, "%sreq-", o->redis.prefix);
		if ((rc = fr_redis_new(&o->redis, &l->r, err)) || (rc = hb_init(&l->hb, &o->redis, err)))
			break;
		if (pthread_create(&l->th, NULL, loop_main, l)) {
			rc = fr_err_set(err, FR_EIO, "cannot start task loop %d", i);
			break;
		}
		started++;
	}
	if (rc)
		*stop = 1;
	for (int i = 0; i < started; i++)
		pthread_join(ls[i].th, NULL);
	for (int i = 0; i < n; i++) {
		if (ls[i].hb.r || ls[i].hb.started)
			hb_fini(&ls[i].hb);
		fr_redis_close(ls[i].r);
		fr_redis_close(ls[i].blob);
		free(ls[i].sel_taken);
	}
	fr_known_free(known);
	free(ls);
	return rc;
}
