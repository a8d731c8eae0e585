/* Redis connections over hiredis for the distributed mode: the datastore (catalog, work queue,
 * task statuses and results) and the blobstore.  One fr_redis is one connection used by one
 * thread at a time.  Every reply is type-checked by the helpers here, so a foreign server, a
 * full server (maxmemory) or a dropped connection is an error that names the server and the
 * command, never a crash or a silently wrong value.  Nothing here reads the environment: the
 * settings come in fr_redis_opts (filled by the invoker layer from FROCKET_*). */
#ifndef FR_NET_REDIS_H
#define FR_NET_REDIS_H

#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>

#include "core/error.h"

typedef struct fr_redis_opts {
	char host[256];
	int port;
	int db;
	char password[256];        /* "" = no AUTH */
	char prefix[128];          /* key prefix ({P} of runtime.md), shared by both roles */
	int connect_timeout_ms;    /* 0: 3000 */
	int cmd_timeout_ms;        /* 0: 10000; blocking commands add their own wait to it */
} fr_redis_opts;

typedef struct fr_redis fr_redis;

/* Creates the handle and connects (AUTH, SELECT, PING); *out NULL on failure. */
int fr_redis_open(const fr_redis_opts *o, fr_redis **out, fr_err *err);
/* Creates the handle without connecting: the first command connects (workers that wait
 * for their server with backoff). */
int fr_redis_new(const fr_redis_opts *o, fr_redis **out, fr_err *err);
void fr_redis_close(fr_redis *r);                 /* NULL allowed */
const fr_redis_opts *fr_redis_get_opts(const fr_redis *r);
/* "host:port/db" for messages. */
const char *fr_redis_name(const fr_redis *r);
/* 1 while the connection is believed healthy. */
int fr_redis_connected(const fr_redis *r);
/* Drops and re-creates the connection now (once). */
int fr_redis_reconnect(fr_redis *r, fr_err *err);
/* Builds "<prefix><a><b>" into out (size n); FR_ELIMIT when too long. */
int fr_redis_key(const fr_redis *r, char *out, size_t n, const char *a, const char *b,
                 fr_err *err);

/* One command as an argument vector (binary-safe).  At most FR_RCMD_MAX arguments. */
#define FR_RCMD_MAX 12
typedef struct fr_rcmd {
	int argc;
	const char *argv[FR_RCMD_MAX];
	size_t len[FR_RCMD_MAX];
	char nbuf[4][32];          /* room for numbers given with fr_rcmd_int */
	int nnum;
} fr_rcmd;

void fr_rcmd_init(fr_rcmd *c, const char *verb);
void fr_rcmd_str(fr_rcmd *c, const char *s);
void fr_rcmd_bin(fr_rcmd *c, const void *p, size_t n);
void fr_rcmd_int(fr_rcmd *c, int64_t v);

/* Runs one command (reconnecting first if the connection was lost; never resending a
 * command that may have reached the server).  An error reply is FR_EREMOTE with the server's
 * text (e.g. "OOM command not allowed ..."); a lost connection FR_EIO.  *reply is owned by
 * the caller (freeReplyObject). */
int fr_redis_run(fr_redis *r, const fr_rcmd *c, redisReply **reply, fr_err *err);
/* The same for a command of any length (argv[0] is the verb). */
int fr_redis_runv(fr_redis *r, int argc, const char **argv, const size_t *len,
                  redisReply **reply, fr_err *err);
/* The same with the reply's type checked: an integer; a status (OK). */
int fr_redis_run_int(fr_redis *r, const fr_rcmd *c, long long *out, fr_err *err);
int fr_redis_run_ok(fr_redis *r, const fr_rcmd *c, fr_err *err);
/* MULTI, the n commands, EXEC in one round trip.  Every queued command must be accepted
 * and EXEC must succeed; *exec (if not NULL) gets EXEC's array reply (caller frees), whose
 * elements are checked against error replies.  */
int fr_redis_tx(fr_redis *r, const fr_rcmd *cmds, int n, redisReply **exec, fr_err *err);

/* Reply checks for callers that inspect arrays: FR_EREMOTE naming `what` when wrong. */
int fr_redis_want(const fr_redis *r, const redisReply *rep, int type, const char *what,
                  fr_err *err);

#endif
