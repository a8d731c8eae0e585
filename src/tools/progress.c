/* Progress bar: "\r<label> [#####.....]  42%  1.2M/2.5M rows  3.1s" on stderr. */
#include "tools/progress.h"

#include "core/clock.h"
#include "core/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void fr_progress_init(fr_progress *p, const char *label, int64_t total)
{
	memset(p, 0, sizeof *p);
	p->label = label;
	p->total = total > 0 ? total : 1;
	/* FROCKET_PROGRESS: a strict boolean (core/config, checked up front by the CLI). */
	fr_err e = { 0 };
	int on;
	if (fr_config_bool("progress", 1, &on, &e))
		on = 1;
	p->enabled = isatty(2) && on;
	p->start = fr_mono_s();
}

void fr_progress_add(fr_progress *p, int64_t n)
{
	__atomic_add_fetch(&p->done, n, __ATOMIC_RELAXED);
}

static void human(char *buf, size_t n, int64_t v)
{
	if (v >= 1000000000)
		snprintf(buf, n, "%.2fG", (double)v / 1e9);
	else if (v >= 1000000)
		snprintf(buf, n, "%.2fM", (double)v / 1e6);
	else if (v >= 10000)
		snprintf(buf, n, "%.1fk", (double)v / 1e3);
	else
		snprintf(buf, n, "%lld", (long long)v);
}

void fr_progress_draw(fr_progress *p, int final)
{
	if (!p->enabled)
		return;
	double now = fr_mono_s();
	if (!final && now - p->last_draw < 0.1)
		return;
	p->last_draw = now;
	int64_t done = __atomic_load_n(&p->done, __ATOMIC_RELAXED);
	if (done > p->total)
		done = p->total;
	int width = 30, fill = (int)(width * done / p->total);
	char bar[64], a[32], b[32];
	for (int i = 0; i < width; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[width] = 0;
	human(a, sizeof a, done);
	human(b, sizeof b, p->total);
	fprintf(stderr, "\r%s [%s] %3d%%  %s/%s rows  %.1fs%s", p->label, bar,
		(int)(100 * done / p->total), a, b, now - p->start, final ? "\n" : "");
	fflush(stderr);
}
