/* The Prometheus registry of the API server (runtime.md §8.3): every metric row of every job
 * this process ran is observed into a histogram named after the metric, labelled as the
 * original labelled it, with buckets chosen by the metric's unit.  Exposed by GET /metrics. */
#include "server/server.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/jw.h"

#define MAX_BUCKETS 64
/* Series per metric: dataset names multiply them; past this a new series is not created
 * (its rows are dropped) so a client registering names in a loop cannot grow us forever. */
#define MAX_SERIES 4096
#define NLABELS 7

static const char *const label_names[NLABELS] = { "component", "success", "dataset",
	"job_type", "worker_startup", "load_from", "part_select_method" };

typedef struct series {
	struct series *next;
	char *labels[NLABELS];     /* "None" when unset (the original's literal) */
	uint64_t *counts;          /* per bucket, not cumulative; nb + 1 (the +Inf one) */
	double sum;
	uint64_t count;
} series;

typedef struct hist {
	double bounds[MAX_BUCKETS];
	int nb;
	int worker;                /* label set: 4 (invoker metrics) or 7 (worker metrics) */
	series *head;
	int nseries;
} hist;

struct fr_srv_metrics {
	pthread_mutex_t mu;
	hist h[FR_M__COUNT];
};

/* "0.05, 0.1, 1_000" -> ascending doubles ('_' digit separators as in Python). */
static int parse_buckets(const char *key, const char *def, double *out, int *n, fr_err *err)
{
	const char *v = fr_config_str(key, def);
	char env[128];
	fr_config_env_name(key, env, sizeof env);
	*n = 0;
	const char *p = v;
	while (*p) {
		char num[64];
		size_t k = 0;
		while (isspace((unsigned char)*p))
			p++;
		while (*p && *p != ',' && k + 1 < sizeof num) {
			if (*p != '_' && !isspace((unsigned char)*p))
				num[k++] = *p;
			p++;
		}
		num[k] = 0;
		char *end;
		errno = 0;
		double x = strtod(num, &end);
		if (!k || *end || errno || !isfinite(x))
			return fr_err_set(err, FR_EINVAL, "%s=%s: must be a comma-separated list of "
			                  "numbers", env, v);
		if (*n == MAX_BUCKETS)
			return fr_err_set(err, FR_EINVAL, "%s: at most %d buckets", env, MAX_BUCKETS);
		if (*n && x <= out[*n - 1])
			return fr_err_set(err, FR_EINVAL, "%s=%s: buckets must be ascending", env, v);
		out[(*n)++] = x;
		if (*p == ',')
			p++;
		else if (*p)
			return fr_err_set(err, FR_EINVAL, "%s=%s: a number is too long", env, v);
	}
	if (!*n)
		return fr_err_set(err, FR_EINVAL, "%s: no buckets", env);
	return 0;
}

int fr_srv_metrics_new(fr_srv_metrics **out, fr_err *err)
{
	*out = NULL;
	fr_srv_metrics *m = calloc(1, sizeof *m);
	if (!m)
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	static const struct { const char *unit, *def; } units[] = {
		{ "seconds", "0.05, 0.1, 0.5, 1, 2, 5, 10, 15" },
		{ "dollars", "0.01, 0.05, 0.1, 0.5, 1, 2" },
		{ "bytes", "1048576, 16777216, 67108864, 134217728, 268435456" },
		{ "groups", "100, 1000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, "
		  "500_000_000" },
		{ "rows", "100, 1000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, "
		  "500_000_000" },
	};
	for (int i = 0; i < FR_M__COUNT; i++) {
		const char *name = fr_metric_name((fr_metric)i);
		const char *unit = strrchr(name, '_') + 1;
		char key[64];
		const char *def = NULL;
		for (size_t u = 0; u < sizeof units / sizeof units[0]; u++)
			if (!strcmp(unit, units[u].unit))
				def = units[u].def;
		int rc;
		if (def) {
			snprintf(key, sizeof key, "metrics.buckets.%s", unit);
			/* every known unit has its own default (the original's config table), so
			 * metrics.buckets.default only serves other units */
			rc = parse_buckets(key, def, m->h[i].bounds, &m->h[i].nb, err);
		} else {
			rc = parse_buckets("metrics.buckets.default", "0.1, 0.5, 1, 5, 25, 100, 1000",
			                   m->h[i].bounds, &m->h[i].nb, err);
		}
		if (rc) {
			free(m);
			return rc;
		}
		m->h[i].worker = !(i == FR_M_INVOKER_TOTAL_SECONDS || i == FR_M_ASYNC_ENQUEUE_SECONDS ||
		                   i == FR_M_ASYNC_POLL_SECONDS);
	}
	pthread_mutex_init(&m->mu, NULL);
	*out = m;
	return 0;
}

void fr_srv_metrics_free(fr_srv_metrics *m)
{
	if (!m)
		return;
	for (int i = 0; i < FR_M__COUNT; i++) {
		series *s = m->h[i].head;
		while (s) {
			series *n = s->next;
			for (int k = 0; k < NLABELS; k++)
				free(s->labels[k]);
			free(s->counts);
			free(s);
			s = n;
		}
	}
	pthread_mutex_destroy(&m->mu);
	free(m);
}

static series *find_series(hist *h, const char *const *lv)
{
	int nl = h->worker ? NLABELS : 4;
	for (series *s = h->head; s; s = s->next) {
		int k = 0;
		while (k < nl && !strcmp(s->labels[k], lv[k]))
			k++;
		if (k == nl)
			return s;
	}
	if (h->nseries >= MAX_SERIES)
		return NULL;
	series *s = calloc(1, sizeof *s);
	if (!s || !(s->counts = calloc((size_t)h->nb + 1, sizeof *s->counts))) {
		free(s);
		return NULL;
	}
	for (int k = 0; k < nl; k++)
		if (!(s->labels[k] = strdup(lv[k]))) {
			for (int j = 0; j < k; j++)
				free(s->labels[j]);
			free(s->counts);
			free(s);
			return NULL;
		}
	/* appended, so the exposition lists series in the order they appeared */
	series **pp = &h->head;
	while (*pp)
		pp = &(*pp)->next;
	*pp = s;
	h->nseries++;
	return s;
}

void fr_srv_metrics_observe(void *arg, const fr_job_metrics *jm)
{
	fr_srv_metrics *m = arg;
	pthread_mutex_lock(&m->mu);
	for (int r = 0; r < jm->nrows; r++) {
		const fr_metric_row *row = &jm->rows[r];
		if ((unsigned)row->metric >= FR_M__COUNT || !isfinite(row->value))
			continue;
		hist *h = &m->h[row->metric];
		const char *lv[NLABELS] = {
			row->worker ? "worker" : "invoker", row->success ? "True" : "False",
			jm->dataset ? jm->dataset : "None", jm->job_type ? jm->job_type : "None",
			row->worker_startup ? row->worker_startup : "None",
			row->load_from ? row->load_from : "None",
			row->part_select ? row->part_select : "None",
		};
		series *s = find_series(h, lv);
		if (!s)
			continue;
		int b = 0;
		while (b < h->nb && row->value > h->bounds[b])
			b++;
		s->counts[b]++;
		s->sum += row->value;
		s->count++;
	}
	pthread_mutex_unlock(&m->mu);
}

/* A label value in the exposition format: backslash, double quote and newline escaped. */
static int put_label(fr_buf *b, const char *name, const char *v, int first)
{
	int rc = fr_buf_printf(b, "%s%s=\"", first ? "" : ",", name);
	for (const char *p = v; *p && !rc; p++) {
		if (*p == '\\' || *p == '"')
			rc = fr_buf_printf(b, "\\%c", *p);
		else if (*p == '\n')
			rc = fr_buf_printf(b, "\\n");
		else
			rc = fr_buf_putc(b, (uint8_t)*p);
	}
	return rc ? rc : fr_buf_putc(b, '"');
}

static int put_series(fr_buf *b, const char *name, const char *suffix, const hist *h,
                      const series *s, const char *le)
{
	int nl = h->worker ? NLABELS : 4;
	int rc = fr_buf_printf(b, "%s%s{", name, suffix);
	for (int k = 0; k < nl && !rc; k++)
		rc = put_label(b, label_names[k], s->labels[k], k == 0);
	if (!rc && le)
		rc = fr_buf_printf(b, ",le=\"%s\"", le);
	return rc ? rc : fr_buf_putc(b, '}');
}

int fr_srv_metrics_text(fr_srv_metrics *m, fr_buf *b)
{
	int rc = 0;
	pthread_mutex_lock(&m->mu);
	for (int i = 0; i < FR_M__COUNT && !rc; i++) {
		const char *name = fr_metric_name((fr_metric)i);
		char upper[64];
		size_t k = 0;
		for (; name[k] && k + 1 < sizeof upper; k++)
			upper[k] = (char)toupper((unsigned char)name[k]);
		upper[k] = 0;
		const hist *h = &m->h[i];
		rc = fr_buf_printf(b, "# HELP %s %s\n# TYPE %s histogram\n", name, upper, name);
		for (const series *s = h->head; s && !rc; s = s->next) {
			uint64_t cum = 0;
			for (int j = 0; j <= h->nb && !rc; j++) {
				char le[40];
				if (j < h->nb)
					fr_json_fmt_double(h->bounds[j], le, sizeof le);
				else
					snprintf(le, sizeof le, "+Inf");
				cum += s->counts[j];
				rc = put_series(b, name, "_bucket", h, s, le);
				if (!rc)
					rc = fr_buf_printf(b, " %llu\n", (unsigned long long)cum);
			}
			if (!rc)
				rc = put_series(b, name, "_count", h, s, NULL);
			if (!rc)
				rc = fr_buf_printf(b, " %llu\n", (unsigned long long)s->count);
			if (!rc)
				rc = put_series(b, name, "_sum", h, s, NULL);
			if (!rc) {
				char v[40];
				fr_json_fmt_double(s->sum, v, sizeof v);
				rc = fr_buf_printf(b, " %s\n", v);
			}
		}
	}
	pthread_mutex_unlock(&m->mu);
	return rc ? FR_ENOMEM : 0;
}
