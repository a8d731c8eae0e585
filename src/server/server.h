/* frocket-server: the HTTP API (interfaces.md §1 with decision 15) over libmicrohttpd.  Every
 * job goes through the invoker (fr_invoke_register / _query / _unregister): the server adds
 * routing, status codes, streaming, limits, auth, the access log and /metrics, nothing else.
 *
 * Threads: libmicrohttpd's pool (APISERVER_NUM_WORKERS) parses requests and answers the quick
 * routes inline; every job runs on a thread of its own while its connection is suspended, so
 * a long query never holds a pool thread. */
#ifndef FR_SERVER_SERVER_H
#define FR_SERVER_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "invoker/invoker.h"

typedef struct fr_srv_opts {
	char bind[64];             /* FROCKET_APISERVER_BIND: IPv4 or IPv6 literal (127.0.0.1) */
	int port;                  /* APISERVER_PORT / FROCKET_APISERVER_PORT (5000); 0: any */
	int workers;               /* APISERVER_NUM_WORKERS / FROCKET_APISERVER_NUM_WORKERS (8) */
	int64_t max_body;          /* FROCKET_APISERVER_MAX_BODY_BYTES (1 MiB): 413 past it */
	int64_t max_url;           /* FROCKET_APISERVER_MAX_URL_BYTES (8192): 414 past it */
	int64_t max_headers;       /* FROCKET_APISERVER_MAX_HEADER_BYTES (16384): 431 past it */
	int conn_timeout;          /* FROCKET_APISERVER_CONNECTION_TIMEOUT (30 s idle) */
	int max_conns;             /* FROCKET_APISERVER_MAX_CONNECTIONS (512) */
	int max_jobs;              /* FROCKET_APISERVER_MAX_JOBS (16): 503 + Retry-After past it */
	int admin;                 /* FROCKET_APISERVER_ADMIN_ACTIONS (true) */
	int error_details;         /* FROCKET_APISERVER_ERROR_DETAILS (true) */
	int pretty;                /* FROCKET_APISERVER_PRETTYPRINT (true) */
	int prometheus;            /* FROCKET_METRICS_EXPORT_PROMETHEUS (true) */
	char *auth_token;          /* FROCKET_APISERVER_AUTH_TOKEN: bearer token, NULL: none */
	char **roots;              /* FROCKET_APISERVER_BASEPATH_ROOTS, resolved; NULL: any */
	int nroots;
} fr_srv_opts;

/* Reads the settings (strictly: a malformed value is FR_EINVAL naming the variable).  The
 * caller frees with fr_srv_opts_free. */
int fr_srv_opts_load(fr_srv_opts *o, fr_err *err);
void fr_srv_opts_free(fr_srv_opts *o);

typedef struct fr_srv fr_srv;

/* Starts listening (takes inv; does not own it). */
int fr_srv_start(const fr_srv_opts *o, fr_invoker *inv, fr_srv **out, fr_err *err);
/* The port actually bound (useful with port 0). */
int fr_srv_port(const fr_srv *s);
/* Stops accepting, waits up to `grace` seconds for the requests in flight, cancels the jobs
 * still running, waits for their threads and frees everything. */
void fr_srv_stop(fr_srv *s, double grace);

/* ---- Documents (apidoc.c) ---- */

/* Re-emits a JSON document in the API flavour (interfaces.md §0.3): keys sorted at every
 * level, null members and empty-object members dropped from objects (not inside arrays).
 * pretty: 2-space indent; else one compact line (',' and ':').  FR_EINVAL if json does not
 * parse, FR_ENOMEM. */
int fr_srv_api_json(const char *json, size_t len, int pretty, fr_buf *out, fr_err *err);
/* Removes the whitespace outside strings of a JSON document in place (the compact form of
 * FROCKET_APISERVER_PRETTYPRINT=false). */
void fr_srv_json_compact(fr_buf *b);

/* A registration body (interfaces.md §1.5.1): both spellings of every key (the later one
 * wins), strict types.  Strings are copied into the arena.  FR_EINVAL with the original's
 * messages ("'basepath' missing or invalid in body", "123 is not a bool", ...). */
struct fr_arena;
int fr_srv_parse_register(const char *body, size_t len, struct fr_arena *a,
                          fr_register_args *out, fr_err *err);

/* Percent-decoding of a URL path segment (plus_space 0) or a query value (plus_space 1).
 * FR_EINVAL for a malformed escape or a decoded NUL.  out has room for strlen(in) + 1. */
int fr_srv_url_decode(const char *in, int plus_space, char *out, fr_err *err);
/* The original's boolean query parameters: trimmed, lower-cased, equal to "true". */
int fr_srv_bool_param(const char *raw);

/* ---- Routing (route.c) ---- */
typedef enum { FR_RT_NONE = 0, FR_RT_HEALTH, FR_RT_METRICS, FR_RT_LIST, FR_RT_REGISTER,
	FR_RT_SCHEMA, FR_RT_PARTS, FR_RT_QUERY, FR_RT_EMPTY, FR_RT_UNREGISTER } fr_srv_route_id;

typedef struct fr_srv_route {
	fr_srv_route_id id;        /* FR_RT_NONE: no such route (404) */
	const char *allow;         /* the methods of the route ("GET, HEAD"); NULL: any */
	int method_ok;             /* 0: 405 with allow */
	char *name;                /* the decoded dataset name (malloc), dataset routes only */
	int bad_name;              /* the segment is not a valid name: err says why (400) */
} fr_srv_route;

/* url is the raw path (no query string).  0, or FR_ENOMEM.  A bad name is not an error of
 * the call: bad_name is set and err holds the reason. */
int fr_srv_route_match(const char *url, const char *method, fr_srv_route *out,
                       fr_err *err);
void fr_srv_route_free(fr_srv_route *r);

/* ---- Metrics (metrics.c): the Prometheus registry of runtime.md §8.3 ---- */
typedef struct fr_srv_metrics fr_srv_metrics;
/* Buckets from metrics.buckets.<unit> / .default (FR_EINVAL naming a malformed list). */
int fr_srv_metrics_new(fr_srv_metrics **out, fr_err *err);
void fr_srv_metrics_free(fr_srv_metrics *m);
/* The invoker's metrics sink (fr_metrics_fn); thread-safe. */
void fr_srv_metrics_observe(void *arg, const fr_job_metrics *jm);
/* The text exposition format, version 0.0.4.  0 or FR_ENOMEM. */
int fr_srv_metrics_text(fr_srv_metrics *m, fr_buf *out);

#endif
