/* The stats object of job results (runtime.md §7), API flavour: keys sorted, empty objects
 * and unknown values left out.  Every attempt that reported a result counts for the task
 * totals; only successful ones for the timings. */
#include "invoker/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double quantile(const double *v, int n, double p)
{
	double pos = (n - 1) * p;
	int lo = (int)floor(pos);
	int hi = lo + 1 < n ? lo + 1 : lo;
	return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}

typedef struct pkey {
	char key[16];
	double value;
} pkey;

static int cmp_pkey(const void *a, const void *b)
{
	return strcmp(((const pkey *)a)->key, ((const pkey *)b)->key);
}

/* TimingStats: percentile keys, then max, mean, min (sorted); nothing when v is empty. */
static void write_timing(fr_jw *w, const char *key, double *v, int n, const fr_invoker_opts *o)
{
	if (n == 0)
		return;
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	double sum = 0;
	for (int i = 0; i < n; i++)
		sum += v[i];
	pkey pk[FR_MAX_PERCENTILES + 1];
	int np = 0;
	if (n < 20) {
		snprintf(pk[0].key, sizeof pk[0].key, "50%%");
		pk[0].value = quantile(v, n, 0.5);
		np = 1;
	} else {
		for (int i = 0; i < o->npercentiles; i++) {
			double p = o->percentiles[i], pct = p * 100;
			if (n < 100 && p >= 0.99)
				continue;
			if (fabs(pct - nearbyint(pct)) > 1e-9)
				continue;   /* its key would not name it (runtime.md §7) */
			snprintf(pk[np].key, sizeof pk[np].key, "%d%%", (int)nearbyint(pct));
			pk[np].value = quantile(v, n, p);
			np++;
		}
		qsort(pk, (size_t)np, sizeof *pk, cmp_pkey);
	}
	fr_jw_key(w, key);
	fr_jw_open(w, '{');
	for (int i = 0; i < np; i++) {
		fr_jw_key(w, pk[i].key);
		fr_jw_double(w, pk[i].value);
	}
	fr_jw_key(w, "max");
	fr_jw_double(w, v[n - 1]);
	fr_jw_key(w, "mean");
	fr_jw_double(w, sum / n);
	fr_jw_key(w, "min");
	fr_jw_double(w, v[0]);
	fr_jw_close(w, '}');
}

typedef struct slot {
	char key[40];
	int64_t n;
} slot;

static int cmp_slot(const void *a, const void *b)
{
	return strcmp(((const slot *)a)->key, ((const slot *)b)->key);
}

void fr_job_write_stats(fr_jw *w, const fr_invoker_opts *o, const fr_job_stats_in *in)
{
	int n = in->nresults, nok = 0;
	size_t cap = (size_t)(n > 0 ? n : 1);
	double *lat = malloc(cap * sizeof *lat), *load = malloc(cap * sizeof *load),
	       *tot = malloc(cap * sizeof *tot);
	slot *slots = calloc(cap, sizeof *slots);
	int nslots = 0;
	int64_t rows = 0, groups = 0, from_cache = 0;
	for (int i = 0; i < n && lat && load && tot && slots; i++) {
		const fr_task_res *r = &in->results[i].res;
		if (r->status != FR_TS_ENDED_SUCCESS)
			continue;
		lat[nok] = r->invoke_latency;
		load[nok] = r->load_s;
		tot[nok] = r->total_s;
		nok++;
		rows += r->scanned_rows;
		groups += r->scanned_groups;
		from_cache += r->from_cache != 0;
		double t = r->invoke_latency + r->total_s;
		double b = ceil(t / 0.25) * 0.25;
		if (b <= 0)
			b = 0.25;   /* a task takes some time: the first slot is (0, 0.25] */
		char key[40];
		fr_json_fmt_double(b, key, sizeof key);
		int j = 0;
		while (j < nslots && strcmp(slots[j].key, key))
			j++;
		if (j == nslots)
			snprintf(slots[nslots++].key, sizeof slots[0].key, "%s", key);
		slots[j].n++;
	}
	if (!lat || !load || !tot || !slots) {
		w->oom = 1;
		goto out;
	}
	qsort(slots, (size_t)nslots, sizeof *slots, cmp_slot);
	fr_jw_key(w, "stats");
	fr_jw_open(w, '{');
	if (in->has_dataset) {
		fr_jw_key(w, "dataset");
		fr_jw_open(w, '{');
		fr_jw_key(w, "parts");
		fr_jw_int(w, in->parts);
		fr_jw_key(w, "totalSize");
		fr_jw_int(w, in->total_size);
		fr_jw_close(w, '}');
	}
	fr_jw_key(w, "invoker");
	fr_jw_open(w, '{');
	fr_jw_key(w, "enqueueTime");
	fr_jw_double(w, in->enqueue_s);
	fr_jw_key(w, "failedTasks");
	fr_jw_int(w, n - nok);
	fr_jw_key(w, "pollTime");
	fr_jw_double(w, in->poll_s);
	if (nslots) {
		fr_jw_key(w, "taskSuccessOverTime");
		fr_jw_open(w, '{');
		for (int j = 0; j < nslots; j++) {
			fr_jw_key(w, slots[j].key);
			fr_jw_int(w, slots[j].n);
		}
		fr_jw_close(w, '}');
	}
	fr_jw_key(w, "totalTasks");
	fr_jw_int(w, n);
	fr_jw_close(w, '}');
	fr_jw_key(w, "totalTime");
	fr_jw_double(w, in->total_s);
	fr_jw_key(w, "worker");
	fr_jw_open(w, '{');
	fr_jw_key(w, "cache");
	fr_jw_open(w, '{');
	fr_jw_key(w, "diskCache");
	fr_jw_int(w, from_cache);
	fr_jw_key(w, "source");
	fr_jw_int(w, nok - from_cache);
	fr_jw_close(w, '}');
	fr_jw_key(w, "coldTasks");
	fr_jw_int(w, 0);
	write_timing(w, "invokeLatency", lat, nok, o);
	write_timing(w, "loadTime", load, nok, o);
	if (in->query) {
		fr_jw_key(w, "scannedGroups");
		fr_jw_int(w, groups);
		fr_jw_key(w, "scannedRows");
		fr_jw_int(w, rows);
	}
	write_timing(w, "totalTime", tot, nok, o);
	fr_jw_key(w, "warmTasks");
	fr_jw_int(w, nok);
	fr_jw_close(w, '}');
	fr_jw_close(w, '}');
out:
	free(lat);
	free(load);
	free(tot);
	free(slots);
}

void fr_job_fail_doc(fr_job_out *out, fr_job_outcome outcome, const char *kind,
                     const char *msg, int pretty)
{
	out->outcome = outcome;
	snprintf(out->message, sizeof out->message, "%s", msg);
	fr_buf_reset(&out->doc);
	fr_jw w;
	fr_jw_init(&w, &out->doc, pretty);
	fr_jw_open(&w, '{');
	if (kind) {
		fr_jw_key(&w, "errorKind");
		fr_jw_str(&w, kind);
	}
	fr_jw_key(&w, "errorMessage");
	fr_jw_str(&w, msg);
	if (out->request_id[0]) {
		fr_jw_key(&w, "requestId");
		fr_jw_str(&w, out->request_id);
	}
	fr_jw_key(&w, "success");
	fr_jw_bool(&w, 0);
	fr_jw_close(&w, '}');
}
