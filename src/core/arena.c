/* Arena: a chain of blocks for small allocations plus individually malloc'ed large ones,
 * all released together.  Alignment is 64 bytes so kernels can use aligned vector loads. */
#include "core/arena.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <malloc.h>   /* malloc_trim */
#endif

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define FR_ARENA_ALIGN 64

typedef struct fr_block {
	struct fr_block *next;
	size_t size;      /* usable bytes after the header */
	size_t used;
	size_t cap;       /* bytes allocated after the header (>= size when reused from the cache) */
} fr_block;

struct fr_arena {
	fr_block *head;       /* current small-allocation block; older ones follow */
	fr_block *large;      /* chain of dedicated blocks for big requests */
	size_t block_size;
	size_t used;
};

#define HDR ((sizeof(fr_block) + FR_ARENA_ALIGN - 1) & ~(size_t)(FR_ARENA_ALIGN - 1))

/* Per-thread cache of freed blocks.  A worker loads part after part of similar size; each part's
 * columns used to come from fresh mmap'ed memory, and first touch of a fresh page costs a fault
 * and a page clear (5-10 us per 4 KiB in a microVM: ~5000 faults per 20 MB column).  Blocks of a
 * freed arena are kept here and handed to the next arena on the same thread instead.  Bounded
 * (CACHE_MAX_BYTES, CACHE_MAX_BLOCKS) and released at thread exit or fr_arena_cache_release. */
#define CACHE_MIN_BLOCK ((size_t)1 << 20) /* smaller ones come from malloc's own free lists */
#define CACHE_MAX_BYTES ((size_t)1 << 30)
#define CACHE_MAX_BLOCKS 64
/* Fresh blocks from this size are prefaulted in one call (MADV_POPULATE_WRITE) rather than one
 * fault per page on first touch. */
#define POPULATE_MIN ((size_t)1 << 20)
#define HUGE ((uintptr_t)2 << 20)

typedef struct cache {
	fr_block *b[CACHE_MAX_BLOCKS];
	int n;
	size_t bytes;
} cache;

static pthread_key_t cache_key;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;
static int cache_key_ok;
static __thread cache *tl_cache;

static void cache_destroy(void *arg)
{
	cache *c = arg;
	if (!c)
		return;
	for (int i = 0; i < c->n; i++) {
		UNPOISON((char *)c->b[i] + HDR, c->b[i]->cap);
		free(c->b[i]);
	}
	free(c);
}

static void cache_key_init(void)
{
	cache_key_ok = pthread_key_create(&cache_key, cache_destroy) == 0;
}

void fr_arena_cache_release(void)
{
	cache *c = tl_cache;
	if (!c)
		return;
	tl_cache = NULL;
	if (cache_key_ok)
		pthread_setspecific(cache_key, NULL);
	int had = c->n > 0;
	cache_destroy(c);
#ifdef __GLIBC__
	/* Freed blocks under malloc's mmap threshold (which grows up to 32 MiB after big frees)
	 * stay in its heaps; this hands their pages back to the system as well. */
	if (had)
		(void)malloc_trim(0);
#else
	(void)had;
#endif
}

size_t fr_arena_cache_bytes(void)
{
	return tl_cache ? tl_cache->bytes : 0;
}

/* The calling thread's cache, created on first use; NULL if that fails (then no caching). */
static cache *cache_get(void)
{
	if (tl_cache)
		return tl_cache;
	pthread_once(&cache_once, cache_key_init);
	if (!cache_key_ok)
		return NULL;
	cache *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	if (pthread_setspecific(cache_key, c) != 0) {
		free(c);
		return NULL;
	}
	return tl_cache = c;
}

/* Smallest cached block of at least `size` bytes and at most twice that (so a small request
 * does not pin a big block); NULL if none. */
static fr_block *cache_take(size_t size)
{
	cache *c = tl_cache;
	if (!c)
		return NULL;
	int best = -1;
	for (int i = 0; i < c->n; i++) {
		size_t s = c->b[i]->cap;
		if (s >= size && s / 2 <= size && (best < 0 || s < c->b[best]->cap))
			best = i;
	}
	if (best < 0)
		return NULL;
	fr_block *b = c->b[best];
	c->b[best] = c->b[--c->n];
	c->bytes -= b->cap;
	return b;
}

/* Keeps b for reuse by this thread, or frees it when it is small or the cache is full. */
static void cache_put(fr_block *b)
{
	cache *c = b->cap >= CACHE_MIN_BLOCK ? cache_get() : NULL;
	if (!c || c->n == CACHE_MAX_BLOCKS || b->cap > CACHE_MAX_BYTES - c->bytes) {
		UNPOISON((char *)b + HDR, b->cap);
		free(b);
		return;
	}
	c->b[c->n++] = b;
	c->bytes += b->cap;
	/* a stale pointer into a freed arena still faults under ASan (the header stays ours) */
	POISON((char *)b + HDR, b->cap);
}

static fr_block *block_new(size_t size)
{
	void *p = NULL;
	if (size > SIZE_MAX - HDR)
		return NULL;
	fr_block *b = cache_take(size);
	if (b) {
		/* only the requested bytes are addressable, as with a fresh allocation */
		UNPOISON((char *)b + HDR, size);
		b->next = NULL;
		b->used = 0;
		b->size = size;
		return b;
	}
	/* slack for big blocks, so the same column of a slightly bigger next part still fits */
	size_t cap = size >= CACHE_MIN_BLOCK && size <= SIZE_MAX - HDR - size / 32 ? size + size / 32
	                                                                          : size;
	if (posix_memalign(&p, FR_ARENA_ALIGN, HDR + cap) != 0)
		return NULL;
#if defined(MADV_POPULATE_WRITE)
	if (size >= POPULATE_MIN) {
		/* best effort, on the whole pages inside the block (older kernels reject it: fine) */
		uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
		uintptr_t lo = ((uintptr_t)p + pg - 1) & ~(pg - 1);
		uintptr_t hi = ((uintptr_t)p + HDR + cap) & ~(pg - 1);
#if defined(MADV_HUGEPAGE)
		/* transparent huge pages are often "madvise" only: the 2 MiB-aligned interior of a
		 * big column gets them (512x fewer faults, fewer TLB misses in random gathers) */
		uintptr_t hlo = (lo + HUGE - 1) & ~(HUGE - 1), hhi = hi & ~(HUGE - 1);
		if (hhi > hlo)
			(void)madvise((void *)hlo, hhi - hlo, MADV_HUGEPAGE);
#endif
		if (hi > lo)
			(void)madvise((void *)lo, hi - lo, MADV_POPULATE_WRITE);
	}
#endif
	b = p;
	b->next = NULL;
	b->size = size;
	b->used = 0;
	b->cap = cap;
	POISON((char *)b + HDR + size, cap - size); /* the slack is not the caller's */
	return b;
}

fr_arena *fr_arena_new(size_t block_size)
{
	fr_arena *a = calloc(1, sizeof *a);
	if (!a)
		return NULL;
	a->block_size = block_size ? block_size : 64 * 1024;
	return a;
}

static void chain_free(fr_block *b)
{
	while (b) {
		fr_block *n = b->next;
		cache_put(b);
		b = n;
	}
}

void fr_arena_free(fr_arena *a)
{
	if (!a)
		return;
	chain_free(a->head);
	chain_free(a->large);
	free(a);
}

void *fr_arena_alloc(fr_arena *a, size_t n)
{
	if (n > SIZE_MAX - FR_ARENA_ALIGN)
		return NULL;
	size_t need = (n + FR_ARENA_ALIGN - 1) & ~(size_t)(FR_ARENA_ALIGN - 1);
	if (need == 0)
		need = FR_ARENA_ALIGN;
	if (need > a->block_size / 4) {
		fr_block *b = block_new(need);
		if (!b)
			return NULL;
		b->used = need;
		b->next = a->large;
		a->large = b;
		a->used += need;
		return (char *)b + HDR;
	}
	if (!a->head || a->head->size - a->head->used < need) {
		fr_block *b = block_new(a->block_size);
		if (!b)
			return NULL;
		b->next = a->head;
		a->head = b;
	}
	void *p = (char *)a->head + HDR + a->head->used;
	a->head->used += need;
	a->used += need;
	return p;
}

void *fr_arena_calloc(fr_arena *a, size_t count, size_t size)
{
	if (size && count > SIZE_MAX / size)
		return NULL;
	void *p = fr_arena_alloc(a, count * size);
	if (p)
		memset(p, 0, count * size);
	return p;
}

void *fr_arena_memdup(fr_arena *a, const void *p, size_t n)
{
	void *q = fr_arena_alloc(a, n);
	if (q && n)
		memcpy(q, p, n);
	return q;
}

char *fr_arena_strndup(fr_arena *a, const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *q = fr_arena_alloc(a, len + 1);
	if (q) {
		memcpy(q, s, len);
		q[len] = '\0';
	}
	return q;
}

char *fr_arena_strdup(fr_arena *a, const char *s)
{
	return fr_arena_strndup(a, s, strlen(s));
}

size_t fr_arena_used(const fr_arena *a)
{
	return a->used;
}
