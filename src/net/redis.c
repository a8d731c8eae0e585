/* Redis connections (see redis.h).  hiredis contexts are not thread-safe, so each thread owns
 * its fr_redis.  A connection error poisons the hiredis context: we drop it and reconnect on
 * the next command rather than resending, because a command that may have reached the server
 * (an LPUSH, a MULTI/EXEC) must not run twice behind the caller's back. */
#include "net/redis.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

struct fr_redis {
	fr_redis_opts o;
	redisContext *c;
	char name[300];
};

void fr_rcmd_init(fr_rcmd *c, const char *verb)
{
	c->argc = 0;
	c->nnum = 0;
	fr_rcmd_str(c, verb);
}

void fr_rcmd_bin(fr_rcmd *c, const void *p, size_t n)
{
	/* A programming error (too many arguments) must not write past the arrays; the command
	 * then goes out short and the server refuses it, naming it. */
	if (c->argc >= FR_RCMD_MAX)
		return;
	c->argv[c->argc] = p;
	c->len[c->argc] = n;
	c->argc++;
}

void fr_rcmd_str(fr_rcmd *c, const char *s)
{
	fr_rcmd_bin(c, s, strlen(s));
}

void fr_rcmd_int(fr_rcmd *c, int64_t v)
{
	if (c->nnum >= 4)
		return;
	char *b = c->nbuf[c->nnum++];
	int n = snprintf(b, 32, "%" PRId64, v);
	fr_rcmd_bin(c, b, (size_t)n);
}

static struct timeval tv_ms(int ms)
{
	struct timeval tv = { ms / 1000, (ms % 1000) * 1000 };
	return tv;
}

const fr_redis_opts *fr_redis_get_opts(const fr_redis *r)
{
	return &r->o;
}

const char *fr_redis_name(const fr_redis *r)
{
	return r->name;
}

int fr_redis_connected(const fr_redis *r)
{
	return r->c != NULL;
}

static void drop(fr_redis *r)
{
	if (r->c)
		redisFree(r->c);
	r->c = NULL;
}

/* The lost-connection error: the context is dropped, the next command reconnects. */
static int conn_error(fr_redis *r, const char *what, fr_err *err)
{
	int rc = fr_err_set(err, FR_EIO, "redis %s: %s: %s", r->name, what,
	                    r->c && r->c->errstr[0] ? r->c->errstr : "connection lost");
	drop(r);
	return rc;
}

int fr_redis_want(const fr_redis *r, const redisReply *rep, int type, const char *what,
                  fr_err *err)
{
	if (!rep)
		return fr_err_set(err, FR_EREMOTE, "redis %s: %s: no reply", r->name, what);
	if (rep->type == REDIS_REPLY_ERROR)
		return fr_err_set(err, FR_EREMOTE, "redis %s: %s: %.*s", r->name, what,
		                  (int)(rep->len < 600 ? rep->len : 600), rep->str);
	if (rep->type != type)
		return fr_err_set(err, FR_EREMOTE, "redis %s: %s: unexpected reply type %d", r->name,
		                  what, rep->type);
	return 0;
}

/* The seconds a blocking command may wait at the server (its last argument), 0 for any
 * other command. */
static double blocking_wait(int argc, const char **argv, const size_t *len)
{
	static const char *const verbs[] = { "BLPOP", "BRPOP", "BLMOVE", "BRPOPLPUSH" };
	int blocking = 0;
	for (size_t i = 0; i < sizeof verbs / sizeof *verbs && argc >= 2; i++)
		blocking |= len[0] == strlen(verbs[i]) && !strncasecmp(argv[0], verbs[i], len[0]);
	if (!blocking || len[argc - 1] == 0 || len[argc - 1] > 30)
		return 0;
	char num[32];
	memcpy(num, argv[argc - 1], len[argc - 1]);
	num[len[argc - 1]] = 0;
	double w = strtod(num, NULL);
	return w > 0 && w < 86400 ? w : 0;
}

/* One command on the raw context, reply checked only against errors. */
static int raw(fr_redis *r, int argc, const char **argv, const size_t *len, redisReply **out,
               fr_err *err)
{
	*out = NULL;
	/* A blocking command's own wait comes on top of the command timeout, plus a second:
	 * the server rounds blocking timeouts up to its clock (100 ms at hz 10). */
	double wait = blocking_wait(argc, argv, len);
	int cmto = r->o.cmd_timeout_ms > 0 ? r->o.cmd_timeout_ms : 10000;
	if (wait > 0)
		redisSetTimeout(r->c, tv_ms(cmto + (int)(wait * 1000) + 1000));
	redisReply *rep = redisCommandArgv(r->c, argc, argv, len);
	if (wait > 0 && r->c)
		redisSetTimeout(r->c, tv_ms(cmto));
	if (!rep)
		return conn_error(r, argv[0], err);
	if (rep->type == REDIS_REPLY_ERROR) {
		int rc = fr_redis_want(r, rep, REDIS_REPLY_STATUS, argv[0], err);
		freeReplyObject(rep);
		return rc;
	}
	*out = rep;
	return 0;
}

static int do_connect(fr_redis *r, fr_err *err)
{
	drop(r);
	int cto = r->o.connect_timeout_ms > 0 ? r->o.connect_timeout_ms : 3000;
	int cmto = r->o.cmd_timeout_ms > 0 ? r->o.cmd_timeout_ms : 10000;
	r->c = redisConnectWithTimeout(r->o.host, r->o.port, tv_ms(cto));
	if (!r->c)
		return fr_err_set(err, FR_ENOMEM, "redis %s: out of memory", r->name);
	if (r->c->err) {
		int rc = fr_err_set(err, FR_EIO, "cannot connect to redis at %s: %s", r->name,
		                    r->c->errstr);
		drop(r);
		return rc;
	}
	redisSetTimeout(r->c, tv_ms(cmto));
	redisReply *rep = NULL;
	int rc = 0;
	if (r->o.password[0]) {
		const char *av[] = { "AUTH", r->o.password };
		size_t al[] = { 4, strlen(r->o.password) };
		if ((rc = raw(r, 2, av, al, &rep, err)))
			goto fail;
		freeReplyObject(rep);
	}
	if (r->o.db) {
		char db[16];
		snprintf(db, sizeof db, "%d", r->o.db);
		const char *av[] = { "SELECT", db };
		size_t al[] = { 6, strlen(db) };
		if ((rc = raw(r, 2, av, al, &rep, err)))
			goto fail;
		freeReplyObject(rep);
	}
	{
		const char *av[] = { "PING" };
		size_t al[] = { 4 };
		if ((rc = raw(r, 1, av, al, &rep, err)))
			goto fail;
		rc = fr_redis_want(r, rep, REDIS_REPLY_STATUS, "PING", err);
		freeReplyObject(rep);
		if (rc)
			goto fail;
	}
	return 0;
fail:
	drop(r);
	/* keep the cause but say it happened while connecting */
	if (err && strncmp(err->msg, "cannot connect", 14)) {
		char m[FR_ERR_MSG_MAX];
		snprintf(m, sizeof m, "%s", err->msg);
		fr_err_set(err, rc, "cannot connect to redis: %s", m);
	}
	return rc;
}

int fr_redis_reconnect(fr_redis *r, fr_err *err)
{
	return do_connect(r, err);
}

int fr_redis_new(const fr_redis_opts *o, fr_redis **out, fr_err *err)
{
	*out = NULL;
	fr_redis *r = calloc(1, sizeof *r);
	if (!r)
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	r->o = *o;
	snprintf(r->name, sizeof r->name, "%s:%d/%d", o->host, o->port, o->db);
	*out = r;
	return 0;
}

int fr_redis_open(const fr_redis_opts *o, fr_redis **out, fr_err *err)
{
	int rc = fr_redis_new(o, out, err);
	if (rc)
		return rc;
	if ((rc = do_connect(*out, err))) {
		fr_redis_close(*out);
		*out = NULL;
	}
	return rc;
}

void fr_redis_close(fr_redis *r)
{
	if (!r)
		return;
	drop(r);
	free(r);
}

int fr_redis_key(const fr_redis *r, char *out, size_t n, const char *a, const char *b,
                 fr_err *err)
{
	int k = snprintf(out, n, "%s%s%s", r->o.prefix, a ? a : "", b ? b : "");
	if (k < 0 || (size_t)k >= n)
		return fr_err_set(err, FR_ELIMIT, "redis key %s%s%s is too long", r->o.prefix,
		                  a ? a : "", b ? b : "");
	return 0;
}

static int ensure(fr_redis *r, fr_err *err)
{
	return r->c ? 0 : do_connect(r, err);
}

int fr_redis_run(fr_redis *r, const fr_rcmd *c, redisReply **reply, fr_err *err)
{
	*reply = NULL;
	int rc = ensure(r, err);
	if (rc)
		return rc;
	return raw(r, c->argc, (const char **)c->argv, c->len, reply, err);
}

int fr_redis_runv(fr_redis *r, int argc, const char **argv, const size_t *len,
                  redisReply **reply, fr_err *err)
{
	*reply = NULL;
	int rc = ensure(r, err);
	if (rc)
		return rc;
	return raw(r, argc, argv, len, reply, err);
}

int fr_redis_run_int(fr_redis *r, const fr_rcmd *c, long long *out, fr_err *err)
{
	redisReply *rep;
	int rc = fr_redis_run(r, c, &rep, err);
	if (rc)
		return rc;
	rc = fr_redis_want(r, rep, REDIS_REPLY_INTEGER, c->argv[0], err);
	if (!rc)
		*out = rep->integer;
	freeReplyObject(rep);
	return rc;
}

int fr_redis_run_ok(fr_redis *r, const fr_rcmd *c, fr_err *err)
{
	redisReply *rep;
	int rc = fr_redis_run(r, c, &rep, err);
	if (rc)
		return rc;
	rc = fr_redis_want(r, rep, REDIS_REPLY_STATUS, c->argv[0], err);
	freeReplyObject(rep);
	return rc;
}

int fr_redis_tx(fr_redis *r, const fr_rcmd *cmds, int n, redisReply **exec, fr_err *err)
{
	if (exec)
		*exec = NULL;
	int rc = ensure(r, err);
	if (rc)
		return rc;
	static const char *multi[] = { "MULTI" }, *ex[] = { "EXEC" };
	static const size_t lm[] = { 5 }, le[] = { 4 };
	/* pipelined: one round trip for the whole transaction */
	if (redisAppendCommandArgv(r->c, 1, multi, lm) != REDIS_OK)
		return conn_error(r, "MULTI", err);
	for (int i = 0; i < n; i++)
		if (redisAppendCommandArgv(r->c, cmds[i].argc, (const char **)cmds[i].argv, cmds[i].len) != REDIS_OK)
			return conn_error(r, cmds[i].argv[0], err);
	if (redisAppendCommandArgv(r->c, 1, ex, le) != REDIS_OK)
		return conn_error(r, "EXEC", err);
	/* Read every reply even after a refusal, so the connection stays in step. */
	for (int i = -1; i <= n; i++) {
		void *v = NULL;
		if (redisGetReply(r->c, &v) != REDIS_OK || !v) {
			const char *what = i < 0 ? "MULTI" : i < n ? cmds[i].argv[0] : "EXEC";
			return conn_error(r, what, err);
		}
		redisReply *rep = v;
		if (!rc) {
			if (i < 0)
				rc = fr_redis_want(r, rep, REDIS_REPLY_STATUS, "MULTI", err);
			else if (i < n)
				rc = fr_redis_want(r, rep, REDIS_REPLY_STATUS, cmds[i].argv[0], err);
			else if (rep->type == REDIS_REPLY_NIL)
				rc = fr_err_set(err, FR_EREMOTE, "redis %s: transaction aborted", r->name);
			else
				rc = fr_redis_want(r, rep, REDIS_REPLY_ARRAY, "EXEC", err);
			/* a command refused inside EXEC (e.g. wrong type) fails the whole call */
			if (!rc && i == n) {
				for (size_t k = 0; k < rep->elements && !rc; k++)
					if (rep->element[k]->type == REDIS_REPLY_ERROR)
						rc = fr_redis_want(r, rep->element[k], REDIS_REPLY_STATUS,
						                   k < (size_t)n ? cmds[k].argv[0] : "EXEC", err);
			}
		}
		if (i == n && !rc && exec)
			*exec = rep;
		else
			freeReplyObject(rep);
	}
	return rc;
}
