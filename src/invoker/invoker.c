/* The invoker object and its settings: every FROCKET_* value the library uses is read here,
 * strictly, and passed down as option structs. */
#include "invoker/internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/config.h"
#include "core/pool.h"

static int bad(fr_err *err, const char *key, const char *what)
{
	char name[128];
	fr_config_env_name(key, name, sizeof name);
	return fr_err_set(err, FR_EINVAL, "%s='%s': %s", name, fr_config_str(key, ""), what);
}

/* "0.25, 0.5, 0.75" -> values in (0, 1). */
static int get_percentiles(fr_invoker_opts *o, fr_err *err)
{
	const char *key = "stats.timing.percentiles";
	const char *v = fr_config_str(key, "0.25, 0.5, 0.75, 0.95, 0.99");
	o->npercentiles = 0;
	const char *p = v;
	while (*p) {
		while (isspace((unsigned char)*p))
			p++;
		char *end;
		errno = 0;
		double x = strtod(p, &end);
		if (end == p || errno || !(x > 0 && x < 1))
			return bad(err, key, "must be a comma-separated list of numbers between 0 and 1");
		if (o->npercentiles == FR_MAX_PERCENTILES)
			return bad(err, key, "at most 16 percentiles");
		o->percentiles[o->npercentiles++] = x;
		p = end;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == ',')
			p++;
		else if (*p)
			return bad(err, key, "must be a comma-separated list of numbers between 0 and 1");
	}
	return 0;
}

/* Per-service AWS setting (interfaces.md §3.4): s3.<k> when set, else <k>, else NULL. */
static const char *s3_str(const char *k)
{
	char key[128];
	snprintf(key, sizeof key, "s3.%s", k);
	const char *v = fr_config_str(key, NULL);
	return v && *v ? v : fr_config_str(k, NULL);
}

/* The S3 client and disk-cache settings.  Storage never reads FROCKET_* itself. */
int fr_invoker_s3_opts_load(fr_storage_s3_opts *s, fr_err *err)
{
	static char cache_dir[4096];
	int64_t v;
	int rc;
	fr_storage_s3_defaults(s);
	s->env = environ;   /* the AWS_* credential chain's variables (storage reads none) */
	s->region = s3_str("aws.region");
	s->endpoint_url = s3_str("aws.endpoint.url");
	s->access_key_id = s3_str("aws.access.key.id");
	s->secret_access_key = s3_str("aws.secret.access.key");
	const char *ns = fr_config_str("s3.aws.no.signature", NULL);
	if ((rc = fr_config_bool(ns && *ns ? "s3.aws.no.signature" : "aws.no.signature", 0,
	                         &s->no_signature, err)))
		return rc;
	double mb;
	if ((rc = fr_config_double("s3.aws.connect.timeout", 60, &s->connect_timeout, err)) ||
	    (rc = fr_config_double("s3.aws.read.timeout", 60, &s->read_timeout, err)) ||
	    (rc = fr_config_double("s3.aws.retry.base", 0.1, &s->retry_base, err)) ||
	    (rc = fr_config_double("worker.disk.cache.size.mb", 256, &mb, err)))
		return rc;
	s->cache_max_bytes = (uint64_t)(mb * 1048576.0);
	/* boto's meaning: retries after the first attempt */
	if ((rc = fr_config_int("s3.aws.retries.max.attempts", 4, &v, err)))
		return rc;
	s->max_attempts = (int)v + 1;
	if ((rc = fr_config_int("s3.aws.max.pool.connections", 10, &v, err)))
		return rc;
	s->max_parallel = (int)v;
	if ((rc = fr_config_int("s3.read.coalesce.bytes", 64 << 10, &v, err)))
		return rc;
	s->coalesce_gap = (uint64_t)v;
	const char *dir = fr_config_str("worker.disk.cache.dir", NULL);
	if (!dir || !*dir) {
		const char *t = getenv("TMPDIR");
		snprintf(cache_dir, sizeof cache_dir, "%s/frocket-cache-%u", t && *t ? t : "/tmp",
		         (unsigned)getuid());
		dir = cache_dir;
	}
	s->cache_dir = dir;
	return 0;
}

/* Ranges live in core/config's table of known settings, one place for every program: its
 * getters enforce them and name the variable and its value. */
int fr_invoker_opts_load(fr_invoker_opts *o, fr_err *err)
{
	memset(o, 0, sizeof *o);
	int64_t v;
	int rc;
	o->home = fr_config_str("home", NULL);
	int threads = fr_pool_default_threads(err);
	if (threads < 0)
		return err->code ? err->code : FR_EINVAL;
	o->threads = threads;
	if ((rc = fr_config_int("invoker.retry.max.attempts", 3, &v, err)))
		return rc;
	o->retry_max = (int)v;
	if ((rc = fr_config_double("invoker.retry.failed.interval", 3,
	                     &o->retry_failed_interval, err)) ||
	    (rc = fr_config_double("invoker.run.timeout", 60, &o->run_timeout, err)) ||
	    (rc = fr_config_double("validation.sample.ratio", 0.1, &o->sample_ratio, err)) ||
	    (rc = fr_config_int("validation.sample.max", 10, &o->sample_max, err)) ||
	    (rc = fr_config_double("dataset.categorical.top.minpct", 0.01, &o->cat_top_minpct,
	                     err)) ||
	    (rc = fr_config_int("unregister.last.used.interval", 30,
	                  &o->unregister_interval, err)) ||
	    (rc = get_percentiles(o, err)))
		return rc;
	if ((rc = fr_config_int("catalog.busy.timeout.ms", 5000, &v, err)) ||
	    (rc = fr_config_double("worker.idle.release.seconds", 10, &o->idle_release, err)))
		return rc;
	o->busy_timeout_ms = (int)v;
	/* distributed mode: which catalog and which executor, and their settings */
	const char *ds = fr_config_str("datastore", "embedded");
	if (!strcasecmp(ds, "redis"))
		o->datastore_redis = 1;
	else if (strcasecmp(ds, "embedded"))
		return bad(err, "datastore", "must be 'embedded' or 'redis'");
	const char *ik = fr_config_str("invoker", "local");
	if (!strcasecmp(ik, "work_queue"))
		o->work_queue = 1;
	else if (strcasecmp(ik, "local"))
		return bad(err, "invoker", "must be 'local' or 'work_queue'");
	if (o->work_queue && !o->datastore_redis)
		return bad(err, "invoker", "work_queue needs FROCKET_DATASTORE=redis (the workers "
		           "find their tasks in the datastore's Redis)");
	if ((rc = fr_config_double("invoker.retry.lost.interval", 20, &o->retry_lost_interval, err)) ||
	    (rc = fr_config_int("invoker.async.poll.interval.ms", 25, &v, err)))
		return rc;
	o->poll_interval_ms = (int)v;
	if ((rc = fr_config_bool("worker.self.select.enabled", 1, &o->self_select, err)))
		return rc;
	if (o->datastore_redis && ((rc = fr_invoker_redis_opts_load("datastore", &o->redis, err)) ||
	                           (rc = fr_invoker_redis_opts_load("blobstore", &o->blob_redis, err))))
		return rc;
	fr_task_opts *t = &o->task;
	if ((rc = fr_config_int("aggregations.top.default.count", 10, &t->top_default,
	                  err)) ||
	    (rc = fr_config_double("aggregations.top.grace.factor", 2.0, &t->grace, err)) ||
	    (rc = fr_config_int("aggregations.exact.limit", 100000,
	                  &t->exact_limit, err)) ||
	    (rc = fr_config_double("dataset.categorical.ratio", 0.1, &t->cat_ratio, err)) ||
	    (rc = fr_config_int("dataset.categorical.top.count", 20, &t->cat_top_count, err)))
		return rc;
	return fr_invoker_s3_opts_load(&o->s3, err);
}

/* <role>.<rest> if set, else <rest>. */
static const char *role_key(const char *role, const char *rest, char *buf, size_t n)
{
	snprintf(buf, n, "%s.%s", role, rest);
	if (!fr_config_str(buf, NULL))
		snprintf(buf, n, "%s", rest);
	return buf;
}

int fr_invoker_redis_opts_load(const char *role, fr_redis_opts *o, fr_err *err)
{
	memset(o, 0, sizeof *o);
	char k[96];
	int64_t v;
	int rc;
	const char *host = fr_config_str(role_key(role, "redis.host", k, sizeof k), "localhost");
	if (strlen(host) >= sizeof o->host)
		return bad(err, k, "host name too long");
	snprintf(o->host, sizeof o->host, "%s", host);
	if ((rc = fr_config_int(role_key(role, "redis.port", k, sizeof k), 6379, &v, err)))
		return rc;
	o->port = (int)v;
	if ((rc = fr_config_int(role_key(role, "redis.db", k, sizeof k), 0, &v, err)))
		return rc;
	o->db = (int)v;
	const char *pw = fr_config_str(role_key(role, "redis.password", k, sizeof k), "");
	if (strlen(pw) >= sizeof o->password)
		return fr_err_set(err, FR_EINVAL, "the redis password is too long");
	snprintf(o->password, sizeof o->password, "%s", pw);
	const char *prefix = fr_config_str("datastore.redis.prefix", "frocket:");
	if (strlen(prefix) >= 64)
		return bad(err, "datastore.redis.prefix", "at most 63 bytes");
	snprintf(o->prefix, sizeof o->prefix, "%s", prefix);
	if ((rc = fr_config_int("redis.connect.timeout.ms", 3000, &v, err)))
		return rc;
	o->connect_timeout_ms = (int)v;
	if ((rc = fr_config_int("redis.command.timeout.ms", 10000, &v, err)))
		return rc;
	o->cmd_timeout_ms = (int)v;
	return 0;
}

fr_query_opts fr_invoker_query_opts(const fr_invoker_opts *o)
{
	fr_query_opts q = { .top_default = o->task.top_default, .grace = o->task.grace,
		.exact_limit = o->task.exact_limit };
	return q;
}

static char *default_home(void)
{
	const char *h = getenv("HOME");
	if (!h || !*h) {
		struct passwd *pw = getpwuid(getuid());
		h = pw && pw->pw_dir ? pw->pw_dir : "/tmp";
	}
	size_t n = strlen(h) + sizeof "/.frocket";
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "%s/.frocket", h);
	return s;
}

int fr_invoker_new_with(const fr_invoker_opts *o, fr_executor *exec, fr_invoker **out,
                        fr_err *err)
{
	*out = NULL;
	/* the process's S3 settings, before any task can open a part (fr_runtime_init set them
	 * already; options that were never loaded hold zeroes and change nothing) */
	int rc = o->s3.max_attempts ? fr_storage_s3_init(&o->s3, err) : 0;
	if (rc) {
		exec->ops->free(exec);
		return rc;
	}
	fr_invoker *inv = calloc(1, sizeof *inv);
	if (!inv) {
		exec->ops->free(exec);
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	}
	inv->opts = *o;
	inv->home = o->home && *o->home ? strdup(o->home) : default_home();
	if (!inv->home) {
		exec->ops->free(exec);
		free(inv);
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	}
	inv->opts.home = inv->home;
	inv->exec = exec;
	*out = inv;
	return 0;
}

int fr_invoker_new(const fr_invoker_opts *o, fr_invoker **out, fr_err *err)
{
	fr_executor *e;
	int rc = o->work_queue ? fr_executor_work_queue_new(o, &e, err)
	                       : fr_executor_local_new(o->threads, o->idle_release, &e, err);
	if (rc)
		return rc;
	return fr_invoker_new_with(o, e, out, err);
}

void fr_invoker_free(fr_invoker *inv)
{
	if (!inv)
		return;
	inv->exec->ops->free(inv->exec);
	free(inv->home);
	free(inv);
}

const fr_invoker_opts *fr_invoker_get_opts(const fr_invoker *inv)
{
	return &inv->opts;
}

int fr_invoker_catalog(const fr_invoker *inv, fr_catalog **out, fr_err *err)
{
	if (inv->opts.datastore_redis)
		return fr_catalog_open_redis(&inv->opts.redis, out, err);
	fr_catalog_opts co = { .home = inv->home, .busy_timeout_ms = inv->opts.busy_timeout_ms };
	return fr_catalog_open_embedded(&co, out, err);
}

void fr_job_out_free(fr_job_out *o)
{
	if (o)
		fr_buf_free(&o->doc);
}

int fr_validation_parse(const char *s)
{
	if (!s)
		return -1;
	if (!strcasecmp(s, "sample"))
		return FR_VALIDATE_SAMPLE;
	if (!strcasecmp(s, "single"))
		return FR_VALIDATE_SINGLE;
	if (!strcasecmp(s, "first_last"))
		return FR_VALIDATE_FIRST_LAST;
	return -1;
}
