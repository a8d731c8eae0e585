/* Per-thread scratch memory kept between kernel calls.  Fresh pages cost a fault each on first
 * touch (several microseconds in a microVM such as Firecracker/Lambda), which for the tables of
 * a 2.5M-row part is more than the kernels' own work; reusing warm memory avoids it. */
#include "kernels/internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Fresh blocks from this size up are mapped with MAP_POPULATE: the kernel faults all pages in
 * one call, instead of one fault per page on first touch (two when the first touch is a read:
 * the shared zero page, then copy-on-write), which matters most in a microVM. */
#define POPULATE_MIN ((size_t)1 << 20)

typedef struct scratch {
	void *p[FR_SCR__COUNT];
	size_t cap[FR_SCR__COUNT];
	unsigned char mapped[FR_SCR__COUNT]; /* p came from mmap */
} scratch;

static void block_free(scratch *s, int slot)
{
	if (s->mapped[slot])
		munmap(s->p[slot], s->cap[slot]);
	else
		free(s->p[slot]);
	s->p[slot] = NULL;
	s->cap[slot] = 0;
	s->mapped[slot] = 0;
}

/* Zeroed fresh memory for a slot. */
static int block_alloc(scratch *s, int slot, size_t size)
{
#if defined(MAP_POPULATE) && defined(MAP_ANONYMOUS)
	if (size >= POPULATE_MIN) {
#if defined(MADV_HUGEPAGE) && defined(MADV_POPULATE_WRITE)
		/* Transparent huge pages are often "madvise" only: ask for them before the pages are
		 * faulted in.  A hash table of a 2.5M-row part (~30 MB) probed at random otherwise
		 * misses the TLB on nearly every probe, and 2 MiB pages also cut the faults 512x. */
		void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p != MAP_FAILED) {
			(void)madvise(p, size, MADV_HUGEPAGE);
			if (madvise(p, size, MADV_POPULATE_WRITE) != 0) { /* kernels before 5.14 */
				munmap(p, size);
				p = mmap(NULL, size, PROT_READ | PROT_WRITE,
				         MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
			}
		}
#else
		void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		               MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
#endif
		if (p != MAP_FAILED) {
			s->p[slot] = p;
			s->cap[slot] = size;
			s->mapped[slot] = 1;
			return 0;
		}
	}
#endif
	void *p = calloc(1, size);
	if (!p)
		return -1;
	s->p[slot] = p;
	s->cap[slot] = size;
	s->mapped[slot] = 0;
	return 0;
}

static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static __thread scratch *tls;

static void scratch_destroy(void *arg)
{
	scratch *s = arg;
	if (!s)
		return;
	for (int i = 0; i < FR_SCR__COUNT; i++)
		block_free(s, i);
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
	/* an eighth more than asked, so slowly growing parts do not reallocate every call (not
	 * more: fresh memory is paid for when it is mapped) */
	size_t ncap = size + size / 8;
	if (ncap < size)
		ncap = size;
	if (!keep) {
		/* free first: the old contents are not wanted, the peak stays lower.  Fresh memory
		 * is zeroed: epoch-stamped tables rely on never seeing garbage. */
		block_free(s, slot);
		return block_alloc(s, slot, ncap) ? NULL : s->p[slot];
	}
	if (s->mapped[slot]) { /* keep the contents across a move out of a mapping */
		scratch tmp = { 0 };
		if (block_alloc(&tmp, 0, ncap))
			return NULL;
		memcpy(tmp.p[0], s->p[slot], s->cap[slot]);
		block_free(s, slot);
		s->p[slot] = tmp.p[0];
		s->cap[slot] = tmp.cap[0];
		s->mapped[slot] = tmp.mapped[0];
		return s->p[slot];
	}
	void *np = realloc(s->p[slot], ncap);
	if (!np)
		return NULL;
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

void fr_kern__scratch_drop(int slot)
{
	scratch *s = tls;
	if (s)
		block_free(s, slot);
}

void fr_kern__scratch_swap(int a, int b)
{
	scratch *s = get();
	if (!s)
		return;
	void *p = s->p[a];
	size_t c = s->cap[a];
	unsigned char m = s->mapped[a];
	s->p[a] = s->p[b];
	s->cap[a] = s->cap[b];
	s->mapped[a] = s->mapped[b];
	s->p[b] = p;
	s->cap[b] = c;
	s->mapped[b] = m;
}

void fr_kern_scratch_release(void)
{
	scratch *s = tls;
	if (!s)
		return;
	for (int i = 0; i < FR_SCR__COUNT; i++)
		block_free(s, i);
}
