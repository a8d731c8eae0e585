/* The parts a worker has read (known.h): a small array scanned linearly (a few thousand
 * entries at most, next to a task that reads a Parquet file). */
#include "worker/known.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/hash.h"
#include "net/workq.h"

typedef struct entry {
	char *reg;                 /* "<dataset>\x1f<registered_at>\x1f<basepath>" */
	uint64_t h;                /* hash of reg: compared before the string */
	char *name;
	int idx;
	uint64_t used;             /* the clock of its last add */
} entry;

struct fr_known {
	pthread_mutex_t mu;
	entry *e;
	int n, max;
	uint64_t clock;
};

fr_known *fr_known_new(int max)
{
	fr_known *k = calloc(1, sizeof *k);
	if (!k)
		return NULL;
	k->max = max > 0 ? max : 1;
	k->e = calloc((size_t)k->max, sizeof *k->e);
	if (!k->e) {
		free(k);
		return NULL;
	}
	pthread_mutex_init(&k->mu, NULL);
	return k;
}

void fr_known_free(fr_known *k)
{
	if (!k)
		return;
	for (int i = 0; i < k->n; i++) {
		free(k->e[i].reg);
		free(k->e[i].name);
	}
	free(k->e);
	pthread_mutex_destroy(&k->mu);
	free(k);
}

/* The registration's key into buf (malloc); NULL when out of memory. */
static char *reg_key(const char *dataset, const char *registered_at, const char *basepath)
{
	fr_buf b = FR_BUF_INIT;
	const char sep = 0x1f;
	if (fr_buf_append(&b, dataset ? dataset : "", strlen(dataset ? dataset : "")) ||
	    fr_buf_append(&b, &sep, 1) ||
	    fr_buf_append(&b, registered_at ? registered_at : "",
	                  strlen(registered_at ? registered_at : "")) ||
	    fr_buf_append(&b, &sep, 1) ||
	    fr_buf_append(&b, basepath ? basepath : "", strlen(basepath ? basepath : "") + 1)) {
		fr_buf_free(&b);
		return NULL;
	}
	return (char *)b.data;   /* the buffer is ours now: NUL-terminated above */
}

void fr_known_add(fr_known *k, const char *dataset, const char *registered_at,
                  const char *basepath, int idx, const char *name)
{
	char *reg = reg_key(dataset, registered_at, basepath);
	char *nm = strdup(name ? name : "");
	if (!reg || !nm) {
		free(reg);
		free(nm);
		return;   /* a preference, not a duty: nothing breaks without it */
	}
	uint64_t h = fr_hash_bytes(reg, strlen(reg));
	pthread_mutex_lock(&k->mu);
	k->clock++;
	int at = -1;
	for (int i = 0; i < k->n && at < 0; i++)
		if (k->e[i].idx == idx && k->e[i].h == h && !strcmp(k->e[i].reg, reg) &&
		    !strcmp(k->e[i].name, nm))
			at = i;
	if (at >= 0) {
		k->e[at].used = k->clock;
		free(reg);
		free(nm);
	} else {
		if (k->n < k->max) {
			at = k->n++;
		} else {   /* full: the least recently used goes */
			at = 0;
			for (int i = 1; i < k->n; i++)
				if (k->e[i].used < k->e[at].used)
					at = i;
			free(k->e[at].reg);
			free(k->e[at].name);
		}
		k->e[at] = (entry){ reg, h, nm, idx, k->clock };
	}
	pthread_mutex_unlock(&k->mu);
}

static int by_recent(const void *a, const void *b)
{
	const entry *x = *(const entry *const *)a, *y = *(const entry *const *)b;
	return x->used < y->used ? 1 : x->used > y->used ? -1 : 0;
}

int fr_known_candidates(fr_known *k, const char *dataset, const char *registered_at,
                        const char *basepath, int (*skip)(void *arg, int idx), void *skip_arg,
                        int max, fr_arena *a, const char ***members, size_t **lens,
                        int *known)
{
	*members = NULL;
	*lens = NULL;
	if (known)
		*known = 0;
	char *reg = reg_key(dataset, registered_at, basepath);
	if (!reg)
		return 0;
	int out = 0;
	uint64_t h = fr_hash_bytes(reg, strlen(reg));
	pthread_mutex_lock(&k->mu);
	const entry **hits = fr_arena_calloc(a, (size_t)(k->n ? k->n : 1), sizeof *hits);
	int nh = 0, nk = 0;
	for (int i = 0; hits && i < k->n; i++) {
		if (k->e[i].h != h || strcmp(k->e[i].reg, reg))
			continue;
		nk++;
		if (!(skip && skip(skip_arg, k->e[i].idx)))
			hits[nh++] = &k->e[i];
	}
	if (known)
		*known = nk;
	if (nh) {
		qsort(hits, (size_t)nh, sizeof *hits, by_recent);
		if (nh > max)
			nh = max;
		const char **m = fr_arena_calloc(a, (size_t)nh, sizeof *m);
		size_t *l = fr_arena_calloc(a, (size_t)nh, sizeof *l);
		fr_buf b = FR_BUF_INIT;
		for (int i = 0; m && l && i < nh; i++) {
			fr_buf_reset(&b);
			if (fr_wq_member(&b, hits[i]->idx, hits[i]->name) ||
			    !(m[i] = fr_arena_memdup(a, b.data, b.len)))
				break;
			l[i] = b.len;
			out = i + 1;
		}
		fr_buf_free(&b);
		*members = m;
		*lens = l;
	}
	pthread_mutex_unlock(&k->mu);
	free(reg);
	return out;
}
