/* Per-thread scratch memory kept between kernel calls.  Fresh pages cost a fault each on first
 * touch (several microseconds in a microVM such as Firecracker/Lambda), which for the tables of
 * a 2.5M-row part is more than the kernels' own work; reusing warm memory avoids it. */
#include "kernels/internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct scratch {
	void *p[FR_SCR__COUNT];
	size_t cap[FR_SCR__COUNT];
} scratch;

static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static __thread scratch *tls;

static void scratch_destroy(void *arg)
{
	scratch *s = arg;
	if (!s)
		return;
	for (int i = 0; i < FR_SCR__COUNT; i++)
		free(s->p[i]);
	free(s);
}

static void key_init(void)
{
	(void)pthread_key_create(&key, scratch_destroy);
}

static scratch *get(void)
{
	if (tls)
		return tls;
	pthread_once(&key_once, key_init);
	scratch *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	tls = s;
	pthread_setspecific(key, s); /* frees it when the thread exits */
	return s;
}

void *fr_kern__scratch(int slot, size_t size, int keep)
{
	scratch *s = get();
	if (!s)
		return NULL;
	if (size <= s->cap[slot])
		return s->p[slot];
	/* a quarter more than asked, so slowly growing parts do not reallocate every call */
	size_t ncap = size + size / 4;
	if (ncap < size)
		ncap = size;
	void *np = keep ? realloc(s->p[slot], ncap) : malloc(ncap);
	if (!np)
		return NULL;
	if (!keep)
		free(s->p[slot]);
	s->p[slot] = np;
	s->cap[slot] = ncap;
	return np;
}

void *fr_kern__scratch_zero(int slot, size_t size)
{
	void *p = fr_kern__scratch(slot, size ? size : 1, 0);
	if (p)
		memset(p, 0, size);
	return p;
}

void fr_kern__scratch_swap(int a, int b)
{
	scratch *s = get();
	if (!s)
		return;
	void *p = s->p[a];
	size_t c = s->cap[a];
	s->p[a] = s->p[b];
	s->cap[a] = s->cap[b];
	s->p[b] = p;
	s->cap[b] = c;
}

void fr_kern_scratch_release(void)
{
	scratch *s = tls;
	if (!s)
		return;
	for (int i = 0; i < FR_SCR__COUNT; i++) {
		free(s->p[i]);
		s->p[i] = NULL;
		s->cap[i] = 0;
	}
}
