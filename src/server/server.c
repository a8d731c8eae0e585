/* The HTTP side of frocket-server: the libmicrohttpd daemon, the routes of interfaces.md §1.2
 * with the status codes of decision 15, request limits, the bearer token, the access log, and
 * the jobs: each on its own thread while its connection is suspended; in streaming mode the
 * connection is resumed for every line the job produces (§1.6).
 *
 * A job and its connection share a refcounted jobctx.  Its mutex orders the three parties:
 * the job thread (progress, result), the pool thread (handler, stream reader) and the
 * completion callback (the client is gone: the job is cancelled).  The connection is resumed
 * only by the party that cleared `suspended`, and outside the mutex. */
#include "config.h"

#include "server/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/jw.h"

/* Progress lines waiting for a slow client: past this the newest replaces the last queued
 * one, so a client that does not read cannot make the job wait or the queue grow. */
#define QCAP 32
/* A body past max_body is read and dropped (so the client can read our 413) up to this many
 * times max_body; beyond that the connection is closed after the 413. */
#define DRAIN_FACTOR 16

typedef enum { K_REGISTER, K_QUERY, K_EMPTY } job_kind;

typedef struct jobctx {
	pthread_mutex_t mu;
	int refs;
	struct fr_srv *s;
	struct MHD_Connection *conn;
	int fd;                    /* the client socket, polled while suspended */
	job_kind kind;
	int stream;
	fr_arena *arena;           /* the job's inputs */
	fr_register_args args;
	char *dataset;
	char *query;
	size_t query_len;
	double t_start;
	/* state, under mu */
	volatile int cancel;       /* client gone, timed out or shutting down */
	int suspended;             /* the connection waits for us */
	int conn_gone;             /* the request completed: never touch conn or fd again */
	int running;               /* streaming may start (tasks were dispatched) */
	int done;
	int timed_out;             /* the stream ended with "Request timed out" */
	fr_job_out out;
	char *lines[QCAP];         /* queued lines, each ending in '\n' */
	int qhead, qn;
	size_t off;                /* bytes of lines[qhead] already sent */
	char *last;                /* the last progress line queued (dedupe) */
	uint64_t sent;             /* stream bytes handed to libmicrohttpd (access log) */
	struct jobctx *next, *prev;  /* the server's live jobs */
} jobctx;

typedef struct req {
	struct fr_srv *s;
	struct MHD_Connection *conn;
	double t0;
	char id[32];
	char method[12];
	char path[520];            /* for the log: escaped, cut */
	int status;
	uint64_t bytes;
	fr_buf body;
	uint64_t body_seen;
	int body_over;
	int first_done;
	jobctx *jc;
	int job_counted;
	char job_id[32];
} req;

struct fr_srv {
	fr_srv_opts o;
	fr_invoker *inv;
	fr_srv_metrics *metrics;
	struct MHD_Daemon *d;
	int port;
	double stream_timeout;
	pthread_key_t cat_key;     /* a catalog handle per pool thread */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int inflight;              /* requests between their first call and their completion */
	int jobs;                  /* jobs running (the cap counts these) */
	int threads;               /* job threads alive (stop waits for these) */
	int stopping;
	jobctx *live;
	atomic_uint_fast64_t seq;
	uint32_t seed;
};

/* ---- small helpers ---- */

static void jc_unref(jobctx *jc)
{
	pthread_mutex_lock(&jc->mu);
	int last = --jc->refs == 0;
	pthread_mutex_unlock(&jc->mu);
	if (!last)
		return;
	for (int i = 0; i < jc->qn; i++)
		free(jc->lines[(jc->qhead + i) % QCAP]);
	free(jc->last);
	fr_job_out_free(&jc->out);
	fr_arena_free(jc->arena);
	pthread_mutex_destroy(&jc->mu);
	free(jc);
}

/* Called with jc->mu held; the caller resumes the connection after unlocking when it
 * returns 1. */
static int take_resume(jobctx *jc)
{
	if (!jc->suspended)
		return 0;
	jc->suspended = 0;
	return 1;
}

/* Whether the client closed its end (read side shows EOF or an error).  Only while the
 * connection is suspended: libmicrohttpd does not watch it then. */
static int peer_gone(int fd)
{
	if (fd < 0)
		return 0;
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLRDHUP };
	if (poll(&p, 1, 0) <= 0)
		return 0;
	if (p.revents & (POLLHUP | POLLERR | POLLNVAL | POLLRDHUP))
		return 1;
	if (p.revents & POLLIN) {
		char c;
		ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
		return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
	}
	return 0;
}

static void log_escape(const char *in, char *out, size_t n)
{
	size_t o = 0;
	for (size_t i = 0; in[i] && o + 5 < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c < 0x21 || c >= 0x7f || c == '\\' || c == '"')
			o += (size_t)snprintf(out + o, n - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = 0;
}

static fr_catalog *thread_catalog(fr_srv *s, fr_err *err)
{
	fr_catalog *c = pthread_getspecific(s->cat_key);
	if (c)
		return c;
	if (fr_invoker_catalog(s->inv, &c, err))
		return NULL;
	pthread_setspecific(s->cat_key, c);
	return c;
}

/* A handle that failed may be broken (the file replaced, the disk gone): reopen next time. */
static void drop_catalog(fr_srv *s)
{
	fr_catalog *c = pthread_getspecific(s->cat_key);
	pthread_setspecific(s->cat_key, NULL);
	fr_catalog_close(c);
}

static void cat_destructor(void *p)
{
	fr_catalog_close(p);
}

/* ---- responses ---- */

static enum MHD_Result send_buf(req *r, unsigned status, const char *ctype, fr_buf *b,
                                const char *h1, const char *v1)
{
	size_t len = b->len;
	void *data = b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, data ? data : "",
		data ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(resp, "X-Request-Id", r->id);
	if (h1)
		MHD_add_response_header(resp, h1, v1);
	if (r->s->stopping)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	r->status = (int)status;
	r->bytes = len;
	enum MHD_Result rc = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* The document's final form: pretty as the invoker wrote it, or compact; then '\n'. */
static void finish_doc(req *r, fr_buf *b)
{
	if (!r->s->o.pretty)
		fr_srv_json_compact(b);
	fr_buf_putc(b, '\n');
}

static enum MHD_Result send_json(req *r, unsigned status, fr_buf *b, const char *h1,
                                 const char *v1)
{
	finish_doc(r, b);
	return send_buf(r, status, "application/json", b, h1, v1);
}

/* {"errorKind"?, "errorMessage", "success": false}; internal messages become "Error" when
 * error details are off (they could name files or settings). */
static enum MHD_Result send_error(req *r, unsigned status, const char *kind, const char *msg,
                                  int is_public, const char *h1, const char *v1)
{
	fr_buf b = FR_BUF_INIT;
	fr_jw w;
	fr_jw_init(&w, &b, r->s->o.pretty);
	fr_jw_open(&w, '{');
	if (kind) {
		fr_jw_key(&w, "errorKind");
		fr_jw_str(&w, kind);
	}
	fr_jw_key(&w, "errorMessage");
	fr_jw_str(&w, is_public || r->s->o.error_details ? msg : "Error");
	fr_jw_key(&w, "success");
	fr_jw_bool(&w, 0);
	fr_jw_close(&w, '}');
	if (!is_public)
		FR_ERROR("server", "%s %s: %s", r->method, r->path, msg);
	return send_json(r, status, &b, h1, v1);
}

static enum MHD_Result send_oom(req *r)
{
	return send_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL, "out of memory", 0, NULL, NULL);
}

/* ---- the quick routes ---- */

static enum MHD_Result do_list(req *r)
{
	fr_err err = { 0 };
	fr_arena *a = fr_arena_new(0);
	fr_catalog *cat = a ? thread_catalog(r->s, &err) : NULL;
	fr_dataset *ds = NULL;
	int n = 0;
	if (!a)
		return send_oom(r);
	if (!cat || fr_catalog_list(cat, a, &ds, &n, &err)) {
		if (cat)
			drop_catalog(r->s);
		fr_arena_free(a);
		return send_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL, err.msg, 0, NULL, NULL);
	}
	fr_buf b = FR_BUF_INIT;
	fr_jw w;
	fr_jw_init(&w, &b, r->s->o.pretty);
	fr_jw_open(&w, '[');
	for (int i = 0; i < n; i++)
		fr_dataset_write_info(&w, &ds[i], 1);
	fr_jw_close(&w, ']');
	fr_arena_free(a);
	if (fr_jw_status(&w)) {
		fr_buf_free(&b);
		return send_oom(r);
	}
	return send_json(r, MHD_HTTP_OK, &b, NULL, NULL);
}

static enum MHD_Result not_found(req *r, const char *name)
{
	char msg[FR_ERR_MSG_MAX];
	snprintf(msg, sizeof msg, "Dataset %s not found", name);
	return send_error(r, MHD_HTTP_NOT_FOUND, NULL, msg, 1, NULL, NULL);
}

/* schema (short or full) and parts of one dataset */
static enum MHD_Result do_dataset_doc(req *r, const char *name, int parts, int full)
{
	fr_err err = { 0 };
	fr_arena *a = fr_arena_new(0);
	if (!a)
		return send_oom(r);
	fr_catalog *cat = thread_catalog(r->s, &err);
	fr_dataset *ds = NULL;
	int rc = cat ? fr_catalog_get(cat, name, parts ? FR_DS_PARTS : FR_DS_SCHEMA, a, &ds, &err)
	             : FR_EIO;
	if (rc == FR_ENOTFOUND) {
		fr_arena_free(a);
		return not_found(r, name);
	}
	if (rc) {
		if (cat)
			drop_catalog(r->s);
		fr_arena_free(a);
		return send_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL, err.msg, 0, NULL, NULL);
	}
	fr_buf b = FR_BUF_INIT;
	if (parts) {
		fr_jw w;
		fr_jw_init(&w, &b, r->s->o.pretty);
		fr_dataset_write_parts(&w, ds, 1);
		rc = fr_jw_status(&w);
	} else {
		const char *j = full ? ds->schema_json : ds->short_schema_json;
		rc = fr_srv_api_json(j ? j : "", j ? strlen(j) : 0, r->s->o.pretty, &b, &err);
	}
	fr_arena_free(a);
	if (rc) {
		fr_buf_free(&b);
		return send_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL,
		                  rc == FR_ENOMEM ? "out of memory" : err.msg, 0, NULL, NULL);
	}
	return send_json(r, MHD_HTTP_OK, &b, NULL, NULL);
}

static enum MHD_Result do_health(req *r)
{
	fr_err err = { 0 };
	fr_catalog *cat = thread_catalog(r->s, &err);
	int rc = cat ? fr_catalog_ping(cat, &err) : FR_EIO;
	if (rc && cat)
		drop_catalog(r->s);
	fr_buf b = FR_BUF_INIT;
	fr_jw w;
	fr_jw_init(&w, &b, r->s->o.pretty);
	fr_jw_open(&w, '{');
	fr_jw_key(&w, "datastore");
	fr_jw_str(&w, cat ? fr_catalog_kind(cat) : "embedded");
	if (rc) {
		fr_jw_key(&w, "errorMessage");
		fr_jw_str(&w, r->s->o.error_details ? err.msg : "Error");
		FR_ERROR("server", "health: the catalog does not answer: %s", err.msg);
	}
	fr_jw_key(&w, "ok");
	fr_jw_bool(&w, !rc);
	fr_jw_key(&w, "version");
	fr_jw_str(&w, PACKAGE_VERSION);
	fr_jw_close(&w, '}');
	if (fr_jw_status(&w)) {
		fr_buf_free(&b);
		return send_oom(r);
	}
	return send_json(r, rc ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_OK, &b, NULL, NULL);
}

static enum MHD_Result do_metrics(req *r)
{
	fr_buf b = FR_BUF_INIT;
	if (fr_srv_metrics_text(r->s->metrics, &b)) {
		fr_buf_free(&b);
		return send_oom(r);
	}
	return send_buf(r, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", &b, NULL,
	                NULL);
}

static enum MHD_Result do_unregister(req *r, const char *name, int force)
{
	fr_job_out out;
	fr_invoke_unregister(r->s->inv, name, force, r->s->o.pretty, &out);
	enum MHD_Result rc;
	if (out.outcome == FR_JOB_OK)
		rc = send_json(r, MHD_HTTP_OK, &out.doc, NULL, NULL);
	else if (out.outcome == FR_JOB_FAILED)   /* refused by the last-used guard */
		rc = send_json(r, MHD_HTTP_CONFLICT, &out.doc, NULL, NULL);
	else
		rc = send_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL, out.message, 0, NULL, NULL);
	fr_job_out_free(&out);
	return rc;
}

/* ---- jobs ---- */

static const char *const status_names[FR_TS__COUNT] = {
#define X(name, text) text,
	FR_TASK_STATUSES(X)
#undef X
};

static int cmp_idx(const void *a, const void *b)
{
	return strcmp(status_names[*(const int *)a], status_names[*(const int *)b]);
}

/* Queues one line (owned); under jc->mu. */
static void push_line(jobctx *jc, char *line, int progress)
{
	if (jc->qn == QCAP && progress) {
		/* coalesce: the newest snapshot replaces the newest queued one */
		int last = (jc->qhead + jc->qn - 1) % QCAP;
		if (!(jc->qn == 1 && jc->off)) {
			free(jc->lines[last]);
			jc->lines[last] = line;
			return;
		}
	}
	if (jc->qn == QCAP) {
		/* the final line always gets in: drop the newest queued progress line for it */
		int last = (jc->qhead + jc->qn - 1) % QCAP;
		free(jc->lines[last]);
		jc->lines[last] = line;
		return;
	}
	jc->lines[(jc->qhead + jc->qn) % QCAP] = line;
	jc->qn++;
}

/* A progress line of §1.6: {"message": ..., "stage": ..., "tasks": {...}}, keys sorted, the
 * original's ", " / ": " separators. */
static char *progress_line(const fr_job_progress *p)
{
	fr_buf b = FR_BUF_INIT;
	fr_jw w;
	fr_jw_init(&w, &b, 0);
	fr_jw_open(&w, '{');
	fr_jw_key(&w, "message");
	if (p->message)
		fr_jw_str(&w, p->message);
	else if (!strcmp(p->stage, "RUNNING"))
		fr_jw_str(&w, "Polling results");
	else
		fr_jw_null(&w);
	fr_jw_key(&w, "stage");
	fr_jw_str(&w, p->stage);
	fr_jw_key(&w, "tasks");
	fr_jw_open(&w, '{');
	int idx[FR_TS__COUNT];
	for (int i = 0; i < FR_TS__COUNT; i++)
		idx[i] = i;
	qsort(idx, FR_TS__COUNT, sizeof idx[0], cmp_idx);
	for (int i = 0; i < FR_TS__COUNT; i++)
		if (p->counts[idx[i]]) {
			fr_jw_key(&w, status_names[idx[i]]);
			fr_jw_int(&w, p->counts[idx[i]]);
		}
	fr_jw_close(&w, '}');
	fr_jw_close(&w, '}');
	if (fr_jw_status(&w) || fr_buf_putc(&b, '\n') || fr_buf_putc(&b, 0)) {
		fr_buf_free(&b);
		return NULL;
	}
	return (char *)b.data;
}

static char *dup_line(const char *s, size_t n)
{
	char *l = malloc(n + 2);
	if (!l)
		return NULL;
	memcpy(l, s, n);
	l[n] = '\n';
	l[n + 1] = 0;
	return l;
}

static void on_progress(void *arg, const fr_job_progress *p)
{
	jobctx *jc = arg;
	struct MHD_Connection *resume = NULL;
	pthread_mutex_lock(&jc->mu);
	if (!jc->cancel && jc->suspended && !jc->conn_gone && peer_gone(jc->fd)) {
		FR_INFO("server", "client went away: cancelling its job");   /* seen while waiting */
		jc->cancel = 1;
	}
	int running = !strcmp(p->stage, "RUNNING") && p->total > 0;
	if (jc->stream && running && !jc->cancel && !jc->timed_out) {
		char *line = progress_line(p);
		if (line && (!jc->last || strcmp(line, jc->last))) {
			free(jc->last);
			jc->last = strdup(line);
			push_line(jc, line, 1);
			jc->running = 1;
			if (take_resume(jc))
				resume = jc->conn;
		} else {
			free(line);
		}
	}
	if (jc->stream && !jc->timed_out && fr_mono_s() - jc->t_start > jc->s->stream_timeout) {
		/* §1.6 timeout guard: the stream ends; the job is cancelled, not waited for */
		static const char t[] = "{\"errorMessage\": \"Request timed out\", \"success\": false}";
		char *line = dup_line(t, sizeof t - 1);
		if (line) {
			push_line(jc, line, 0);
			jc->timed_out = 1;
			jc->running = 1;
			jc->cancel = 1;
			if (take_resume(jc))
				resume = jc->conn;
		}
	}
	if (jc->cancel && p->cancel)
		*p->cancel = 1;
	pthread_mutex_unlock(&jc->mu);
	if (resume)
		MHD_resume_connection(resume);
}

static void *job_main(void *arg)
{
	jobctx *jc = arg;
	fr_srv *s = jc->s;
	/* streamed lines are never pretty; a plain answer follows the switch */
	int pretty = jc->stream ? 0 : s->o.pretty;
	fr_job_out out;
	switch (jc->kind) {
	case K_REGISTER:
		fr_invoke_register(s->inv, &jc->args, on_progress, jc, pretty, &out);
		break;
	case K_QUERY:
		fr_invoke_query(s->inv, jc->dataset, jc->query, jc->query_len, on_progress, jc,
		                pretty, &out);
		break;
	case K_EMPTY:
		fr_invoke_query(s->inv, jc->dataset, "{}", 2, on_progress, jc, pretty, &out);
		break;
	}
	/* The job's slot frees before its client hears the answer, so a client that sends its
	 * next job right away is not refused by the cap. */
	pthread_mutex_lock(&s->mu);
	if (jc->prev)
		jc->prev->next = jc->next;
	else
		s->live = jc->next;
	if (jc->next)
		jc->next->prev = jc->prev;
	s->jobs--;
	pthread_mutex_unlock(&s->mu);
	struct MHD_Connection *resume = NULL;
	pthread_mutex_lock(&jc->mu);
	jc->out = out;
	jc->done = 1;
	if (jc->stream && !jc->timed_out && jc->running) {
		char *line = dup_line(out.doc.data ? (const char *)out.doc.data : "{}", out.doc.len);
		if (line)
			push_line(jc, line, 0);
	}
	if (take_resume(jc))
		resume = jc->conn;
	pthread_mutex_unlock(&jc->mu);
	if (resume)
		MHD_resume_connection(resume);
	jc_unref(jc);
	/* last: fr_srv_stop waits for this before it stops the daemon and frees the invoker */
	pthread_mutex_lock(&s->mu);
	s->threads--;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* The stream's body: one queued line per chunk; suspends the connection when nothing is
 * queued yet (returning 0 in internal polling mode would spin). */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)pos;
	jobctx *jc = cls;
	ssize_t n;
	pthread_mutex_lock(&jc->mu);
	if (jc->qn) {
		const char *l = jc->lines[jc->qhead];
		size_t left = strlen(l + jc->off);
		size_t k = left < max ? left : max;
		memcpy(buf, l + jc->off, k);
		jc->off += k;
		jc->sent += k;
		if (jc->off == strlen(l)) {
			free(jc->lines[jc->qhead]);
			jc->qhead = (jc->qhead + 1) % QCAP;
			jc->qn--;
			jc->off = 0;
		}
		n = (ssize_t)k;
	} else if (jc->done || jc->timed_out) {
		n = MHD_CONTENT_READER_END_OF_STREAM;
	} else {
		jc->suspended = 1;
		MHD_suspend_connection(jc->conn);
		n = 0;
	}
	pthread_mutex_unlock(&jc->mu);
	return n;
}

static void stream_free(void *cls)
{
	jc_unref(cls);
}

static unsigned outcome_status(fr_job_outcome o)
{
	switch (o) {
	case FR_JOB_OK: return MHD_HTTP_OK;
	case FR_JOB_INVALID: return MHD_HTTP_BAD_REQUEST;
	case FR_JOB_NOT_FOUND: return MHD_HTTP_NOT_FOUND;
	default: return MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
}

/* The handler's call after the job thread resumed the connection. */
static enum MHD_Result job_resumed(req *r)
{
	jobctx *jc = r->jc;
	pthread_mutex_lock(&jc->mu);
	int done = jc->done, running = jc->running;
	if (!done && !(jc->stream && running)) {
		/* not ours to answer yet: wait again */
		jc->suspended = 1;
		MHD_suspend_connection(r->conn);
		pthread_mutex_unlock(&jc->mu);
		return MHD_YES;
	}
	pthread_mutex_unlock(&jc->mu);
	if (done && r->job_id[0] == 0)
		snprintf(r->job_id, sizeof r->job_id, "%s", jc->out.request_id);
	/* Request-level failures (bad query, unknown dataset, internal) keep their status even
	 * when streaming was asked for: the stream has not started (§1.6). */
	if (jc->stream && (running || jc->out.outcome == FR_JOB_OK ||
	                   jc->out.outcome == FR_JOB_FAILED)) {
		if (done && !running) {
			/* the job ended before any task ran: its result is the only line */
			pthread_mutex_lock(&jc->mu);
			char *line = dup_line(jc->out.doc.data ? (const char *)jc->out.doc.data : "{}",
			                      jc->out.doc.len);
			if (line) {
				push_line(jc, line, 0);
				jc->running = 1;
			}
			pthread_mutex_unlock(&jc->mu);
			if (!line)
				return send_oom(r);
		}
		pthread_mutex_lock(&jc->mu);
		jc->refs++;   /* the response's */
		pthread_mutex_unlock(&jc->mu);
		struct MHD_Response *resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN,
			64 * 1024, stream_read, jc, stream_free);
		if (!resp) {
			jc_unref(jc);
			return MHD_NO;
		}
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
		MHD_add_response_header(resp, "X-Request-Id", r->id);
		r->status = MHD_HTTP_OK;
		enum MHD_Result rc = MHD_queue_response(r->conn, MHD_HTTP_OK, resp);
		MHD_destroy_response(resp);
		return rc;
	}
	fr_job_out *o = &jc->out;
	if (o->outcome == FR_JOB_INTERNAL)
		return send_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, NULL, o->message, 0, NULL, NULL);
	fr_buf b = FR_BUF_INIT;
	if (o->doc.len && fr_buf_append(&b, o->doc.data, o->doc.len)) {
		fr_buf_free(&b);
		return send_oom(r);
	}
	return send_json(r, outcome_status(o->outcome), &b, NULL, NULL);
}

/* Is basepath under one of the allowed roots (after resolving symlinks and dot-dots)? */
static int basepath_allowed(const fr_srv_opts *o, const char *basepath)
{
	if (!o->nroots)
		return 1;
	const char *p = basepath;
	if (!strncmp(p, "file://", 7))
		p += 7;
	else if (strstr(p, "://")) {
		/* remote stores: a root with the same scheme must be a prefix of the path */
		for (int i = 0; i < o->nroots; i++)
			if (strstr(o->roots[i], "://") && !strncmp(basepath, o->roots[i],
			                                          strlen(o->roots[i])))
				return 1;
		return 0;
	}
	char *real = realpath(p, NULL);
	if (!real)
		return 0;
	int ok = 0;
	for (int i = 0; i < o->nroots && !ok; i++) {
		const char *root = o->roots[i];
		size_t n = strlen(root);
		if (strstr(root, "://"))
			continue;
		ok = !strcmp(root, "/") || (!strncmp(real, root, n) && (real[n] == 0 || real[n] == '/'));
	}
	free(real);
	return ok;
}

static enum MHD_Result start_job(req *r, job_kind kind, const char *name, int stream)
{
	fr_srv *s = r->s;
	fr_err err = { 0 };
	jobctx *jc = calloc(1, sizeof *jc);
	if (!jc || !(jc->arena = fr_arena_new(0))) {
		free(jc);
		return send_oom(r);
	}
	pthread_mutex_init(&jc->mu, NULL);
	jc->refs = 1;
	jc->s = s;
	jc->conn = r->conn;
	jc->kind = kind;
	jc->stream = stream;
	jc->fd = -1;
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(r->conn,
		MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci)
		jc->fd = ci->connect_fd;
	if (kind == K_REGISTER) {
		if (fr_srv_parse_register(r->body.data ? (const char *)r->body.data : "", r->body.len,
		                          jc->arena, &jc->args, &err)) {
			jc_unref(jc);
			return err.code == FR_ENOMEM ? send_oom(r) :
			       send_error(r, MHD_HTTP_BAD_REQUEST, "INVALID_ARGUMENTS", err.msg, 1, NULL,
			                  NULL);
		}
		if (!basepath_allowed(&s->o, jc->args.basepath)) {
			jc_unref(jc);
			/* says nothing of what exists on this machine or of the allowed roots */
			return send_error(r, MHD_HTTP_FORBIDDEN, NULL, "Registering this basepath is "
			                  "not allowed on this server", 1, NULL, NULL);
		}
	} else {
		jc->dataset = fr_arena_strdup(jc->arena, name);
		if (kind == K_QUERY) {
			jc->query_len = r->body.len;
			jc->query = fr_arena_alloc(jc->arena, r->body.len + 1);
			if (jc->query) {
				if (r->body.len)
					memcpy(jc->query, r->body.data, r->body.len);
				jc->query[r->body.len] = 0;
			}
		}
		if (!jc->dataset || (kind == K_QUERY && !jc->query)) {
			jc_unref(jc);
			return send_oom(r);
		}
	}
	pthread_mutex_lock(&s->mu);
	if (s->jobs >= s->o.max_jobs) {
		pthread_mutex_unlock(&s->mu);
		jc_unref(jc);
		return send_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, "Too many jobs running; "
		                  "retry later", 1, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	}
	s->jobs++;
	s->threads++;
	jc->next = s->live;
	if (s->live)
		s->live->prev = jc;
	s->live = jc;
	pthread_mutex_unlock(&s->mu);
	jc->t_start = fr_mono_s();
	jc->refs = 2;   /* the request's and the job thread's */
	r->jc = jc;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_t t;
	/* the handler suspends the connection before the job can want to resume it */
	pthread_mutex_lock(&jc->mu);
	int prc = pthread_create(&t, &at, job_main, jc);
	pthread_attr_destroy(&at);
	if (prc) {
		pthread_mutex_unlock(&jc->mu);
		pthread_mutex_lock(&s->mu);
		s->jobs--;
		s->threads--;
		if (jc->prev)
			jc->prev->next = jc->next;
		else
			s->live = jc->next;
		if (jc->next)
			jc->next->prev = jc->prev;
		pthread_mutex_unlock(&s->mu);
		jc->refs = 1;
		r->jc = NULL;
		jc_unref(jc);
		return send_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, "cannot start a job thread",
		                  1, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	}
	jc->suspended = 1;
	MHD_suspend_connection(r->conn);
	pthread_mutex_unlock(&jc->mu);
	return MHD_YES;
}

/* ---- routing ---- */

static enum MHD_Result method_not_allowed(req *r, const char *allow)
{
	char msg[128];
	snprintf(msg, sizeof msg, "Method %s not allowed here (allowed: %s)", r->method, allow);
	return send_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, NULL, msg, 1, MHD_HTTP_HEADER_ALLOW,
	                  allow);
}

static enum MHD_Result route_not_found(req *r)
{
	return send_error(r, MHD_HTTP_NOT_FOUND, NULL, "Not found", 1, NULL, NULL);
}

static const char *arg(req *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

static enum MHD_Result admin_off(req *r)
{
	return send_error(r, MHD_HTTP_FORBIDDEN, NULL, "Not supported", 1, NULL, NULL);
}

/* Constant time in the token's content (the length of the expected token may leak). */
static int token_ok(const char *header, const char *token)
{
	static const char bearer[] = "Bearer ";
	if (!header || strncasecmp(header, bearer, sizeof bearer - 1))
		return 0;
	const char *got = header + sizeof bearer - 1;
	size_t gn = strlen(got), tn = strlen(token);
	unsigned char diff = (unsigned char)(gn != tn);
	for (size_t i = 0; i < tn; i++)
		diff |= (unsigned char)(token[i] ^ (i < gn ? got[i] : 0));
	return diff == 0;
}

static enum MHD_Result sum_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                  const char *value)
{
	(void)kind;
	size_t *n = cls;
	*n += strlen(key) + (value ? strlen(value) : 0) + 4;
	return MHD_YES;
}

static enum MHD_Result dispatch(req *r, const char *url)
{
	fr_srv *s = r->s;
	size_t hbytes = 0, qbytes = 0;
	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, sum_header, &hbytes);
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, sum_header, &qbytes);
	if ((int64_t)(strlen(url) + qbytes) > s->o.max_url)
		return send_error(r, MHD_HTTP_URI_TOO_LONG, NULL, "URL too long", 1, NULL, NULL);
	if ((int64_t)hbytes > s->o.max_headers)
		return send_error(r, MHD_HTTP_REQUEST_HEADER_FIELDS_TOO_LARGE, NULL,
		                  "Request header fields too large", 1, NULL, NULL);
	if (s->stopping)
		return send_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, NULL, "The server is shutting down",
		                  1, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	if (s->o.auth_token && strcmp(url, "/health") &&
	    !token_ok(MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	                                          MHD_HTTP_HEADER_AUTHORIZATION),
	              s->o.auth_token))
		return send_error(r, MHD_HTTP_UNAUTHORIZED, NULL, "A valid bearer token is required",
		                  1, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	if (r->body_over) {
		char msg[96];
		snprintf(msg, sizeof msg, "Request body larger than %lld bytes",
		         (long long)s->o.max_body);
		return send_error(r, MHD_HTTP_CONTENT_TOO_LARGE, NULL, msg, 1, NULL, NULL);
	}
	fr_srv_route rt;
	fr_err err = { 0 };
	if (fr_srv_route_match(url, r->method, &rt, &err))
		return send_oom(r);
	enum MHD_Result rc;
	if (rt.id == FR_RT_NONE || (rt.id == FR_RT_METRICS && !s->o.prometheus))
		rc = route_not_found(r);
	else if (!rt.method_ok)
		rc = method_not_allowed(r, rt.allow);
	else if (!s->o.admin && (rt.id == FR_RT_REGISTER || rt.id == FR_RT_PARTS ||
	                         rt.id == FR_RT_UNREGISTER))
		rc = admin_off(r);   /* before anything else about the request (§1.4) */
	else if (rt.bad_name) {
		char msg[FR_ERR_MSG_MAX + 64];
		snprintf(msg, sizeof msg, "Invalid dataset name in the URL: %s", err.msg);
		rc = send_error(r, MHD_HTTP_BAD_REQUEST, "INVALID_ARGUMENTS", msg, 1, NULL, NULL);
	} else {
		switch (rt.id) {
		case FR_RT_HEALTH: rc = do_health(r); break;
		case FR_RT_METRICS: rc = do_metrics(r); break;
		case FR_RT_LIST: rc = do_list(r); break;
		case FR_RT_REGISTER:
			rc = start_job(r, K_REGISTER, NULL, fr_srv_bool_param(arg(r, "stream")));
			break;
		case FR_RT_SCHEMA:
			rc = do_dataset_doc(r, rt.name, 0, fr_srv_bool_param(arg(r, "full")));
			break;
		case FR_RT_PARTS: rc = do_dataset_doc(r, rt.name, 1, 0); break;
		case FR_RT_QUERY:
			rc = start_job(r, K_QUERY, rt.name, fr_srv_bool_param(arg(r, "stream")));
			break;
		case FR_RT_EMPTY:
			rc = start_job(r, K_EMPTY, rt.name, fr_srv_bool_param(arg(r, "stream")));
			break;
		default:
			rc = do_unregister(r, rt.name, fr_srv_bool_param(arg(r, "force")));
			break;
		}
	}
	fr_srv_route_free(&rt);
	return rc;
}

static void new_request_id(fr_srv *s, char *out, size_t n)
{
	uint64_t x = atomic_fetch_add(&s->seq, 1);
	/* a counter scrambled by a per-process seed: unique per process, not guessable order */
	uint32_t h = (uint32_t)((x + s->seed) * 0x9E3779B97F4A7C15ULL >> 32);
	snprintf(out, n, "%lld-%08x", (long long)time(NULL), h);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
	(void)version;
	fr_srv *s = cls;
	req *r = *con_cls;
	if (!r) {
		r = calloc(1, sizeof *r);
		if (!r)
			return MHD_NO;
		r->s = s;
		r->conn = conn;
		r->t0 = fr_mono_s();
		new_request_id(s, r->id, sizeof r->id);
		snprintf(r->method, sizeof r->method, "%s", method);
		log_escape(url, r->path, sizeof r->path);
		*con_cls = r;
		pthread_mutex_lock(&s->mu);
		s->inflight++;
		pthread_mutex_unlock(&s->mu);
		/* A body announced far past the cap: refuse before the client sends it (it may
		 * be waiting for "100 Continue"). */
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		                                             MHD_HTTP_HEADER_CONTENT_LENGTH);
		const char *expect = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		                                                 MHD_HTTP_HEADER_EXPECT);
		if (cl) {
			char *end;
			unsigned long long v = strtoull(cl, &end, 10);
			if ((uint64_t)v > (uint64_t)s->o.max_body &&
			    ((expect && !strcasecmp(expect, "100-continue")) ||
			     (uint64_t)v / DRAIN_FACTOR > (uint64_t)s->o.max_body)) {
				r->body_over = 1;
				return dispatch(r, url);
			}
		}
		return MHD_YES;
	}
	if (r->jc)
		return job_resumed(r);
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		r->body_seen += n;
		if (r->body.len + n > (size_t)s->o.max_body) {
			r->body_over = 1;
			fr_buf_free(&r->body);
		} else if (!r->body_over && fr_buf_append(&r->body, upload_data, n)) {
			return MHD_NO;
		}
		*upload_data_size = 0;
		if (r->body_over && r->body_seen / DRAIN_FACTOR > (uint64_t)s->o.max_body)
			return dispatch(r, url);   /* stop draining: answer, then the connection closes */
		return MHD_YES;
	}
	if (r->status)
		return MHD_YES;   /* answered early */
	return dispatch(r, url);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	(void)conn;
	fr_srv *s = cls;
	req *r = *con_cls;
	if (!r)
		return;
	*con_cls = NULL;
	uint64_t bytes = r->bytes;
	if (r->jc) {
		jobctx *jc = r->jc;
		pthread_mutex_lock(&jc->mu);
		jc->conn_gone = 1;
		if (!jc->done && !jc->cancel) {
			jc->cancel = 1;
			FR_INFO("server", "client went away (request %s): cancelling its job", r->id);
		}
		if (jc->done && !r->job_id[0])
			snprintf(r->job_id, sizeof r->job_id, "%s", jc->out.request_id);
		bytes += jc->sent;
		pthread_mutex_unlock(&jc->mu);
		jc_unref(jc);
	}
	const char *how = toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" :
	                  toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED ? " (timed out)" :
	                  toe == MHD_REQUEST_TERMINATED_CLIENT_ABORT ? " (client went away)" :
	                  toe == MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN ? " (shutdown)" :
	                  toe == MHD_REQUEST_TERMINATED_READ_ERROR ? " (read error)" :
	                  " (error)";
	FR_INFO("access", "%s %s %d %llu %.3fms id=%s%s%s%s", r->method, r->path,
	        r->status ? r->status : 0, (unsigned long long)bytes,
	        (fr_mono_s() - r->t0) * 1000, r->id, r->job_id[0] ? " job=" : "", r->job_id, how);
	fr_buf_free(&r->body);
	free(r);
	pthread_mutex_lock(&s->mu);
	s->inflight--;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static size_t no_unescape(void *cls, struct MHD_Connection *c, char *uri)
{
	/* Routing needs the raw path: %2F inside a dataset name must not split segments.
	 * Segments and query values are decoded by the server itself. */
	(void)cls;
	(void)c;
	return strlen(uri);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	if (!fr_log_enabled(FR_LOG_DEBUG))
		return;
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = 0;
	fr_log(FR_LOG_DEBUG, "http", "%s", msg);
}

int fr_srv_start(const fr_srv_opts *o, fr_invoker *inv, fr_srv **out, fr_err *err)
{
	*out = NULL;
	fr_srv *s = calloc(1, sizeof *s);
	if (!s)
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	s->o = *o;
	s->inv = inv;
	s->stream_timeout = 1.1 * fr_invoker_get_opts(inv)->run_timeout;
	int rc = fr_srv_metrics_new(&s->metrics, err);
	if (rc) {
		free(s);
		return rc;
	}
	if (o->prometheus)
		fr_invoker_set_metrics(inv, fr_srv_metrics_observe, s->metrics);
	pthread_mutex_init(&s->mu, NULL);
	fr_cond_init_mono(&s->cv);
	pthread_key_create(&s->cat_key, cat_destructor);
	unsigned char seed[4] = { 0 };
	FILE *ur = fopen("/dev/urandom", "rb");
	if (!ur || fread(seed, 1, sizeof seed, ur) != sizeof seed)
		memcpy(seed, &(uint32_t){ (uint32_t)time(NULL) ^ (uint32_t)getpid() }, 4);
	if (ur)
		fclose(ur);
	memcpy(&s->seed, seed, 4);

	struct sockaddr_in sa4;
	struct sockaddr_in6 sa6;
	struct sockaddr *sa;
	/* poll(2), not epoll: with libmicrohttpd 0.9.75's edge-triggered epoll, a client that
	 * sends part of a body and closes left the connection in CLOSE_WAIT until its timeout
	 * (seen in tests/e2e/server_test.py's flood); level-triggered poll sees the EOF. */
	unsigned flags = MHD_USE_POLL | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC |
	                 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
	memset(&sa4, 0, sizeof sa4);
	memset(&sa6, 0, sizeof sa6);
	if (inet_pton(AF_INET, o->bind, &sa4.sin_addr) == 1) {
		sa4.sin_family = AF_INET;
		sa4.sin_port = htons((uint16_t)o->port);
		sa = (struct sockaddr *)&sa4;
	} else if (inet_pton(AF_INET6, o->bind, &sa6.sin6_addr) == 1) {
		sa6.sin6_family = AF_INET6;
		sa6.sin6_port = htons((uint16_t)o->port);
		sa = (struct sockaddr *)&sa6;
		flags |= MHD_USE_IPv6;
	} else {
		fr_srv_stop(s, 0);
		return fr_err_set(err, FR_EINVAL, "bind address '%s' is not an IPv4 or IPv6 address",
		                  o->bind);
	}
	/* request line and headers must fit the per-connection pool, with room for buffers */
	size_t pool = (size_t)(o->max_url + o->max_headers) + 64 * 1024;
	s->d = MHD_start_daemon(flags, (uint16_t)o->port, NULL, NULL, on_request, s,
		MHD_OPTION_SOCK_ADDR, sa,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)o->workers,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)o->conn_timeout,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)o->max_conns,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, pool,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, NULL,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
		MHD_OPTION_END);
	if (!s->d) {
		int e = errno;
		fr_srv_stop(s, 0);
		return fr_err_set(err, FR_EIO, "cannot listen on %s port %d: %s", o->bind, o->port,
		                  e ? strerror(e) : "libmicrohttpd refused the settings");
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port : o->port;
	*out = s;
	return 0;
}

int fr_srv_port(const fr_srv *s)
{
	return s->port;
}

static int wait_until(fr_srv *s, int (*cond)(fr_srv *), double deadline)
{
	pthread_mutex_lock(&s->mu);
	while (!cond(s)) {
		double now = fr_mono_s();
		if (deadline >= 0 && now >= deadline)
			break;
		double w = deadline < 0 || deadline - now > 0.2 ? 0.2 : deadline - now;
		struct timespec ts = fr_mono_timespec(now + w);
		pthread_cond_timedwait(&s->cv, &s->mu, &ts);
	}
	int ok = cond(s);
	pthread_mutex_unlock(&s->mu);
	return ok;
}

static int no_requests(fr_srv *s)
{
	return s->inflight == 0;
}

static int no_jobs(fr_srv *s)
{
	return s->threads == 0;
}

void fr_srv_stop(fr_srv *s, double grace)
{
	if (!s)
		return;
	if (s->d) {
		pthread_mutex_lock(&s->mu);
		s->stopping = 1;
		pthread_mutex_unlock(&s->mu);
		MHD_socket l = MHD_quiesce_daemon(s->d);
		if (l != MHD_INVALID_SOCKET)
			close(l);
		if (!wait_until(s, no_requests, fr_mono_s() + grace))
			FR_WARN("server", "requests still running after %.0f s: cancelling their jobs",
			        grace);
		pthread_mutex_lock(&s->mu);
		for (jobctx *jc = s->live; jc; jc = jc->next)
			jc->cancel = 1;
		pthread_mutex_unlock(&s->mu);
		/* Jobs stop within a progress tick once cancelled; every suspended connection is
		 * resumed by its job's end, which libmicrohttpd requires before it stops. */
		wait_until(s, no_jobs, -1);
		wait_until(s, no_requests, fr_mono_s() + 5);
		MHD_stop_daemon(s->d);
	}
	if (s->inv)
		fr_invoker_set_metrics(s->inv, NULL, NULL);
	fr_srv_metrics_free(s->metrics);
	pthread_key_delete(s->cat_key);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
