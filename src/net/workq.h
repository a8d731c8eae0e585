/* The work-queue protocol between the invoker (FROCKET_INVOKER=work_queue) and frocket-worker,
 * over Redis (our own layout; runtime.md §3 describes the original's as a reference):
 *
 *   {P}queues:default               list: messages (fr_wq_msg, binary), LPUSH by the invoker,
 *                                   moved by workers into their processing list
 *   {P}queues:default:processing:<worker id>
 *                                   list: the message a worker holds (removed when done)
 *   {P}req-<id>:status              hash "<task>:<attempt>" -> "<status>:<wall time>"
 *   {P}req-<id>:result              hash "<task>:<attempt>" -> encoded fr_task_res
 *   {P}req-<id>:parts               set of "<part index>:<part name>": the parts still free
 *                                   for self-selecting workers (runtime.md §2.7)
 *   {P}req-<id>:done                list: a worker pushes "<task>:<attempt>" with the final
 *                                   status; the invoker's poller waits on it (BLPOP) between
 *                                   polls, so a finished task is read at once
 *
 * The invoker writes QUEUED and pushes in one MULTI/EXEC; a worker refreshes the status of its
 * attempt (heartbeat) while the task runs and writes the result and the final status in one
 * MULTI/EXEC.  Every request key gets the TTL carried in the message (decision 21), so keys
 * re-created by a late worker expire; the invoker deletes them when its job ends.
 *
 * Worker self-select: the invoker publishes the job's parts in the set, writes QUEUED for
 * attempt 0 of every task and pushes as many messages with task FR_WQ_SELECT; a worker
 * taking one removes a part from the set (one it has read before if it can: SREM, else
 * SPOP) and runs attempt 0 of that part's task.  Retries always name their task. */
#ifndef FR_NET_WORKQ_H
#define FR_NET_WORKQ_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/error.h"

#define FR_WQ_VERSION 2
/* fr_wq_msg.task of a self-select message (its attempt is 0) */
#define FR_WQ_SELECT (-1)
#define FR_WQ_KEYBASE_MAX 200

typedef struct fr_wq_msg {
	const char *keybase;       /* "<prefix>req-<request id>" */
	int32_t task, attempt;     /* task FR_WQ_SELECT: the worker picks the part */
	uint32_t ttl;              /* seconds, for every key the worker writes */
	double heartbeat;          /* seconds between status refreshes while the task runs */
	const uint8_t *req;        /* the encoded fr_task_req */
	size_t req_len;
} fr_wq_msg;

int fr_wq_msg_encode(const fr_wq_msg *m, fr_buf *b, fr_err *err);
/* Untrusted bytes (anyone can push onto the list): FR_ECORRUPT naming the problem.  Strings
 * are copied into a; req points into data. */
int fr_wq_msg_decode(const void *data, size_t len, fr_arena *a, fr_wq_msg *m, fr_err *err);

/* A self-select set member, "<part index>:<part name>", appended to b (0 or FR_ENOMEM). */
int fr_wq_member(fr_buf *b, int idx, const char *name);
/* Parses a member: 0, or -1 when it is not one (an index, ':', a non-empty name). */
int fr_wq_member_parse(const char *s, size_t n, int *idx, const char **name, size_t *name_len);

/* "<task>:<attempt>" */
void fr_wq_field(char *out, size_t n, int task, int attempt);
/* Parses a field; 0 or -1. */
int fr_wq_field_parse(const char *s, size_t n, int *task, int *attempt);
/* "<status number>:<wall seconds>" */
void fr_wq_status_value(char *out, size_t n, int status, double wall);
int fr_wq_status_parse(const char *s, size_t n, int *status, double *wall);

#endif
