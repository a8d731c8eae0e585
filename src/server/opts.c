/* frocket-server's settings (interfaces.md §1.4, §3.9 and the hardening of issue 15), read
 * strictly: a malformed value stops the server with a message naming the variable. */
#include "server/server.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"

static int get_int(const char *key, int64_t def, int64_t lo, int64_t hi, int64_t *out,
                   fr_err *err)
{
	int rc = fr_config_int(key, def, out, err);
	if (rc)
		return rc;
	if (*out < lo || *out > hi) {
		char env[128];
		fr_config_env_name(key, env, sizeof env);
		return fr_err_set(err, FR_EINVAL, "%s=%lld: must be between %lld and %lld", env,
		                  (long long)*out, (long long)lo, (long long)hi);
	}
	return 0;
}

/* FROCKET_<KEY> first, then the container variable the original's entrypoint used. */
static int get_int_alias(const char *key, const char *alias, int64_t def, int64_t lo,
                         int64_t hi, int64_t *out, fr_err *err)
{
	const char *a = getenv(alias);
	if (a && *a && !fr_config_str(key, NULL)) {
		char *end;
		errno = 0;
		long long v = strtoll(a, &end, 10);
		if (errno || *end || end == a || v < lo || v > hi)
			return fr_err_set(err, FR_EINVAL, "%s=%s: must be an integer between %lld and "
			                  "%lld", alias, a, (long long)lo, (long long)hi);
		*out = v;
		return 0;
	}
	return get_int(key, def, lo, hi, out, err);
}

static int split_roots(fr_srv_opts *o, const char *v, fr_err *err)
{
	/* comma-separated: local directories (resolved now) or s3://bucket/prefix/ */
	const char *p = v;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		while (n && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		if (n) {
			char *r = strndup(p, n);
			char **nr = realloc(o->roots, sizeof *nr * (size_t)(o->nroots + 1));
			if (!r || !nr) {
				free(r);
				return fr_err_set(err, FR_ENOMEM, "out of memory");
			}
			o->roots = nr;
			if (!strstr(r, "://")) {
				char *real = realpath(r, NULL);
				if (!real) {
					int e2 = errno;
					fr_err_set(err, FR_EINVAL, "FROCKET_APISERVER_BASEPATH_ROOTS: %s: %s", r,
					           strerror(e2));
					free(r);
					return FR_EINVAL;
				}
				free(r);
				r = real;
			}
			o->roots[o->nroots++] = r;
		}
		p = e ? e + 1 : p + n;
		if (!e)
			break;
	}
	if (!o->nroots)
		return fr_err_set(err, FR_EINVAL, "FROCKET_APISERVER_BASEPATH_ROOTS is set but names "
		                  "no root");
	return 0;
}

int fr_srv_opts_load(fr_srv_opts *o, fr_err *err)
{
	memset(o, 0, sizeof *o);
	int64_t v;
	int rc;
	const char *bind = fr_config_str("apiserver.bind", "127.0.0.1");
	if (strlen(bind) >= sizeof o->bind)
		return fr_err_set(err, FR_EINVAL, "FROCKET_APISERVER_BIND=%s: too long", bind);
	snprintf(o->bind, sizeof o->bind, "%s", bind);
	if ((rc = get_int_alias("apiserver.port", "APISERVER_PORT", 5000, 0, 65535, &v, err)))
		return rc;
	o->port = (int)v;
	if ((rc = get_int_alias("apiserver.num.workers", "APISERVER_NUM_WORKERS", 8, 1, 1024, &v,
	                        err)))
		return rc;
	o->workers = (int)v;
	if ((rc = get_int("apiserver.max.body.bytes", 1 << 20, 1, INT64_C(1) << 32, &o->max_body,
	                  err)) ||
	    (rc = get_int("apiserver.max.url.bytes", 8192, 256, 1 << 20, &o->max_url, err)) ||
	    (rc = get_int("apiserver.max.header.bytes", 16384, 1024, 1 << 20, &o->max_headers,
	                  err)))
		return rc;
	if ((rc = get_int("apiserver.connection.timeout", 30, 1, 86400, &v, err)))
		return rc;
	o->conn_timeout = (int)v;
	if ((rc = get_int("apiserver.max.connections", 512, 1, 100000, &v, err)))
		return rc;
	o->max_conns = (int)v;
	if ((rc = get_int("apiserver.max.jobs", 16, 1, 100000, &v, err)))
		return rc;
	o->max_jobs = (int)v;
	if ((rc = fr_config_bool("apiserver.admin.actions", 1, &o->admin, err)) ||
	    (rc = fr_config_bool("apiserver.error.details", 1, &o->error_details, err)) ||
	    (rc = fr_config_bool("apiserver.prettyprint", 1, &o->pretty, err)) ||
	    (rc = fr_config_bool("metrics.export.prometheus", 1, &o->prometheus, err)))
		return rc;
	const char *tok = fr_config_str("apiserver.auth.token", NULL);
	if (tok && !*tok)   /* an empty token would let "Bearer " through */
		return fr_err_set(err, FR_EINVAL, "FROCKET_APISERVER_AUTH_TOKEN is set but empty");
	if (tok && !(o->auth_token = strdup(tok)))
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	const char *roots = fr_config_str("apiserver.basepath.roots", NULL);
	if (roots && (rc = split_roots(o, roots, err))) {
		fr_srv_opts_free(o);
		return rc;
	}
	return 0;
}

void fr_srv_opts_free(fr_srv_opts *o)
{
	free(o->auth_token);
	for (int i = 0; i < o->nroots; i++)
		free(o->roots[i]);
	free(o->roots);
	o->auth_token = NULL;
	o->roots = NULL;
	o->nroots = 0;
}
