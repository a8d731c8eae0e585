/* FROCKET_* environment configuration with strict parsing. */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The settings the programs read, with their ranges: the one place that decides what a valid
 * value is, for the getters and for fr_config_check_env(). */
enum { K_INT, K_DOUBLE, K_BOOL, K_ENUM, K_STR };
static const char *const simd_names[] = { "auto", "scalar", "avx2", "neon", NULL };
static const char *const datastore_names[] = { "embedded", "redis", NULL };
static const char *const invoker_names[] = { "local", "work_queue", NULL };
static const char *const level_names[] = { "debug", "info", "warning", "warn", "error",
	"critical", "fatal", NULL };
static const struct known {
	const char *key;
	int kind;
	double min, max;             /* K_INT, K_DOUBLE */
	const char *const *names;    /* K_ENUM */
	const char *def;             /* the default, as `frocket config` prints it */
} known[] = {
	{ "local.threads", K_INT, 1, 4096, NULL, "(number of cores)" },
	{ "simd", K_ENUM, 0, 0, simd_names, "auto" },
	{ "aggregations.top.default.count", K_INT, 1, 1000000, NULL, "10" },
	{ "aggregations.top.grace.factor", K_DOUBLE, 1, 1000, NULL, "2.0" },
	{ "aggregations.exact.limit", K_INT, 1, (double)INT64_MAX, NULL, "100000" },
	{ "parquet.stats", K_BOOL, 0, 0, NULL, "on" },
	{ "progress", K_BOOL, 0, 0, NULL, "on" },
	{ "log.level", K_ENUM, 0, 0, level_names, "info" },
	{ "log.file", K_STR, 0, 0, NULL, "" },
	/* datasets and jobs (read by the invoker, fr_invoker_opts_load) */
	{ "home", K_STR, 0, 0, NULL, "~/.frocket" },
	{ "invoker.retry.max.attempts", K_INT, 1, 100, NULL, "3" },
	{ "invoker.retry.failed.interval", K_DOUBLE, 0, 86400, NULL, "3" },
	{ "invoker.run.timeout", K_DOUBLE, 0.001, 604800, NULL, "60" },
	{ "validation.sample.ratio", K_DOUBLE, 0, 1, NULL, "0.1" },
	{ "validation.sample.max", K_INT, 1, 100000, NULL, "10" },
	{ "dataset.categorical.ratio", K_DOUBLE, 0, 1, NULL, "0.1" },
	{ "dataset.categorical.top.count", K_INT, 0, 100000, NULL, "20" },
	{ "dataset.categorical.top.minpct", K_DOUBLE, 0, 1, NULL, "0.01" },
	{ "unregister.last.used.interval", K_INT, 0, 1099511627776.0, NULL, "30" },
	{ "catalog.busy.timeout.ms", K_INT, 1, 3600000, NULL, "5000" },
	{ "stats.timing.percentiles", K_STR, 0, 0, NULL, "0.25, 0.5, 0.75, 0.95, 0.99" },
	/* the S3 client and the disk cache (fr_invoker_s3_opts_load).  The AWS string settings
	 * (region, endpoint, keys) are not listed: interfaces.md §3.4 has an empty one count as
	 * unset, and `frocket config` must never print a secret. */
	{ "s3.aws.connect.timeout", K_DOUBLE, 0.001, 86400, NULL, "60" },
	{ "s3.aws.read.timeout", K_DOUBLE, 0.001, 86400, NULL, "60" },
	{ "s3.aws.retry.base", K_DOUBLE, 0, 60, NULL, "0.1" },
	{ "s3.aws.retries.max.attempts", K_INT, 0, 100, NULL, "4" },
	{ "s3.aws.max.pool.connections", K_INT, 1, 1000, NULL, "10" },
	{ "s3.read.coalesce.bytes", K_INT, 0, 1073741824.0, NULL, "65536" },
	{ "worker.disk.cache.size.mb", K_DOUBLE, 0, 1073741824.0, NULL, "256" },
	{ "worker.disk.cache.dir", K_STR, 0, 0, NULL, "$TMPDIR/frocket-cache-<uid>" },
	{ "worker.idle.release.seconds", K_DOUBLE, 0, 86400, NULL, "10" },
	/* distributed mode (issue 16; fr_invoker_opts_load, fr_invoker_redis_opts_load) */
	{ "datastore", K_ENUM, 0, 0, datastore_names, "embedded" },
	{ "invoker", K_ENUM, 0, 0, invoker_names, "local" },
	{ "invoker.retry.lost.interval", K_DOUBLE, 0.01, 86400, NULL, "20" },
	{ "invoker.async.poll.interval.ms", K_INT, 1, 60000, NULL, "25" },
	{ "redis.host", K_STR, 0, 0, NULL, "localhost" },
	{ "redis.port", K_INT, 1, 65535, NULL, "6379" },
	{ "redis.db", K_INT, 0, 1000000, NULL, "0" },
	{ "datastore.redis.host", K_STR, 0, 0, NULL, "(redis.host)" },
	{ "datastore.redis.port", K_INT, 1, 65535, NULL, "(redis.port)" },
	{ "datastore.redis.db", K_INT, 0, 1000000, NULL, "(redis.db)" },
	{ "datastore.redis.prefix", K_STR, 0, 0, NULL, "frocket:" },
	{ "blobstore.redis.host", K_STR, 0, 0, NULL, "(redis.host)" },
	{ "blobstore.redis.port", K_INT, 1, 65535, NULL, "(redis.port)" },
	{ "blobstore.redis.db", K_INT, 0, 1000000, NULL, "(redis.db)" },
	{ "redis.connect.timeout.ms", K_INT, 1, 600000, NULL, "3000" },
	{ "redis.command.timeout.ms", K_INT, 1, 600000, NULL, "10000" },
	{ "worker.reject.age", K_DOUBLE, 0.001, 604800, NULL, "60" },
	{ "worker.self.select.enabled", K_BOOL, 0, 0, NULL, "true" },
	{ "part.selection.preflight.ms", K_INT, 0, 60000, NULL, "200" },
	/* frocket-server (src/server/opts.c); apiserver.auth.token is read there too but kept
	 * out of this table, which `frocket config` prints */
	{ "apiserver.bind", K_STR, 0, 0, NULL, "127.0.0.1" },
	{ "apiserver.port", K_INT, 0, 65535, NULL, "5000" },
	{ "apiserver.num.workers", K_INT, 1, 1024, NULL, "8" },
	{ "apiserver.max.jobs", K_INT, 1, 100000, NULL, "16" },
	{ "apiserver.max.body.bytes", K_INT, 1, 4294967296.0, NULL, "1048576" },
	{ "apiserver.max.url.bytes", K_INT, 256, 1048576, NULL, "8192" },
	{ "apiserver.max.header.bytes", K_INT, 1024, 1048576, NULL, "16384" },
	{ "apiserver.connection.timeout", K_INT, 1, 86400, NULL, "30" },
	{ "apiserver.max.connections", K_INT, 1, 100000, NULL, "512" },
	{ "apiserver.admin.actions", K_BOOL, 0, 0, NULL, "true" },
	{ "apiserver.error.details", K_BOOL, 0, 0, NULL, "true" },
	{ "apiserver.prettyprint", K_BOOL, 0, 0, NULL, "true" },
	{ "apiserver.basepath.roots", K_STR, 0, 0, NULL, "" },
	{ "metrics.export.prometheus", K_BOOL, 0, 0, NULL, "true" },
	{ "metrics.buckets.default", K_STR, 0, 0, NULL, "0.1, 0.5, 1, 5, 25, 100, 1000" },
	{ "metrics.buckets.seconds", K_STR, 0, 0, NULL, "0.05, 0.1, 0.5, 1, 2, 5, 10, 15" },
	{ "metrics.buckets.dollars", K_STR, 0, 0, NULL, "0.01, 0.05, 0.1, 0.5, 1, 2" },
	{ "metrics.buckets.bytes", K_STR, 0, 0, NULL,
	  "1048576, 16777216, 67108864, 134217728, 268435456" },
	{ "metrics.buckets.groups", K_STR, 0, 0, NULL,
	  "100, 1000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 500_000_000" },
	{ "metrics.buckets.rows", K_STR, 0, 0, NULL,
	  "100, 1000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 500_000_000" },
};

static const struct known *find_known(const char *key)
{
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (!strcmp(known[i].key, key))
			return &known[i];
	return NULL;
}

void fr_config_env_name(const char *key, char *out, size_t n)
{
	size_t j = 0;
	const char *pre = "FROCKET_";
	for (size_t i = 0; pre[i] && j + 1 < n; i++)
		out[j++] = pre[i];
	for (size_t i = 0; key[i] && j + 1 < n; i++)
		out[j++] = key[i] == '.' ? '_' : (char)toupper((unsigned char)key[i]);
	if (n)
		out[j] = '\0';
}

const char *fr_config_str(const char *key, const char *def)
{
	char name[256];
	fr_config_env_name(key, name, sizeof name);
	const char *v = getenv(name);
	return v ? v : def;
}

/* The value, NULL when unset; set but empty is an error. */
static int get(const char *key, const char **out, fr_err *err)
{
	*out = fr_config_str(key, NULL);
	if (*out && !**out) {
		char name[256];
		fr_config_env_name(key, name, sizeof name);
		return fr_err_set(err, FR_EINVAL, "%s is set but empty (unset it to use the default)",
		                  name);
	}
	return 0;
}

/* "FROCKET_X='v': problem"; the value is cut so the message stays readable. */
static int bad(const char *key, const char *v, fr_err *err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int bad(const char *key, const char *v, fr_err *err, const char *fmt, ...)
{
	char name[256], why[512];
	fr_config_env_name(key, name, sizeof name);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	return fr_err_set(err, FR_EINVAL, "%s='%.200s'%s: %s", name, v,
	                  strlen(v) > 200 ? "..." : "", why);
}

static int parse_int(const char *key, const char *v, int64_t *out, fr_err *err)
{
	char *end;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	while (*end && isspace((unsigned char)*end))
		end++;
	if (end == v || *end)
		return bad(key, v, err, "not an integer");
	const struct known *k = find_known(key);
	if (errno && !(k && k->kind == K_INT))
		return bad(key, v, err, "out of the 64-bit integer range");
	if (k && k->kind == K_INT && (errno || (double)x < k->min || (double)x > k->max)) {
		if (k->max >= (double)INT64_MAX)
			return bad(key, v, err, "must be at least %.0f", k->min);
		return bad(key, v, err, "must be between %.0f and %.0f", k->min, k->max);
	}
	*out = x;
	return 0;
}

static int parse_double(const char *key, const char *v, double *out, fr_err *err)
{
	char *end;
	errno = 0;
	double x = strtod(v, &end);
	while (*end && isspace((unsigned char)*end))
		end++;
	if (end == v || *end || !isfinite(x))
		return bad(key, v, err, "not a finite number");
	const struct known *k = find_known(key);
	if (k && k->kind == K_DOUBLE && !(x >= k->min && x <= k->max))
		return bad(key, v, err, "must be between %g and %g", k->min, k->max);
	*out = x;
	return 0;
}

static int parse_bool(const char *key, const char *v, int *out, fr_err *err)
{
	static const char *const t[] = { "true", "1", "yes", "on" }, *const f[] = { "false", "0",
		"no", "off" };
	for (int i = 0; i < 4; i++) {
		if (!strcasecmp(v, t[i])) {
			*out = 1;
			return 0;
		}
		if (!strcasecmp(v, f[i])) {
			*out = 0;
			return 0;
		}
	}
	return bad(key, v, err, "not a boolean (use true/false, 1/0, yes/no or on/off)");
}

static int parse_enum(const char *key, const char *v, const char *const *names, int *out,
                      fr_err *err)
{
	char list[256];
	size_t n = 0;
	list[0] = 0;
	for (int i = 0; names[i]; i++) {
		if (!strcasecmp(v, names[i])) {
			*out = i;
			return 0;
		}
		n += (size_t)snprintf(list + n, n < sizeof list ? sizeof list - n : 0, "%s%s",
		                      i ? ", " : "", names[i]);
		if (n >= sizeof list)
			n = sizeof list - 1;
	}
	return bad(key, v, err, "expected one of %s", list);
}

int fr_config_int(const char *key, int64_t def, int64_t *out, fr_err *err)
{
	const char *v;
	if (get(key, &v, err))
		return err->code;
	if (!v) {
		*out = def;
		return 0;
	}
	return parse_int(key, v, out, err);
}

int fr_config_double(const char *key, double def, double *out, fr_err *err)
{
	const char *v;
	if (get(key, &v, err))
		return err->code;
	if (!v) {
		*out = def;
		return 0;
	}
	return parse_double(key, v, out, err);
}

int fr_config_bool(const char *key, int def, int *out, fr_err *err)
{
	const char *v;
	if (get(key, &v, err))
		return err->code;
	if (!v) {
		*out = def;
		return 0;
	}
	return parse_bool(key, v, out, err);
}

int fr_config_enum(const char *key, const char *const *names, int def, int *out, fr_err *err)
{
	const char *v;
	if (get(key, &v, err))
		return err->code;
	if (!v) {
		*out = def;
		return 0;
	}
	return parse_enum(key, v, names, out, err);
}

int fr_config_check_env(void (*report)(const char *msg, void *ctx), void *ctx)
{
	int nbad = 0;
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		const struct known *k = &known[i];
		fr_err e = { 0 };
		int64_t iv;
		double dv;
		int bv;
		const char *v;
		int rc = get(k->key, &v, &e);
		if (!rc && v) {
			switch (k->kind) {
			case K_INT: rc = parse_int(k->key, v, &iv, &e); break;
			case K_DOUBLE: rc = parse_double(k->key, v, &dv, &e); break;
			case K_BOOL: rc = parse_bool(k->key, v, &bv, &e); break;
			case K_ENUM: rc = parse_enum(k->key, v, k->names, &bv, &e); break;
			default: break;   /* K_STR: any non-empty value */
			}
		}
		if (rc) {
			nbad++;
			if (report)
				report(e.msg, ctx);
		}
	}
	return nbad;
}

const char *fr_config_known(size_t i, const char **def)
{
	if (i >= sizeof known / sizeof known[0])
		return NULL;
	if (def)
		*def = known[i].def;
	return known[i].key;
}
