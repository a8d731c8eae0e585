/* Arena: a chain of blocks for small allocations plus individually malloc'ed large ones,
 * all released together.  Alignment is 64 bytes so kernels can use aligned vector loads. */
#include "core/arena.h"

#include <stdlib.h>
#include <string.h>

#define FR_ARENA_ALIGN 64

typedef struct fr_block {
	struct fr_block *next;
	size_t size;      /* usable bytes after the header */
	size_t used;
} fr_block;

struct fr_arena {
	fr_block *head;       /* current small-allocation block; older ones follow */
	fr_block *large;      /* chain of dedicated blocks for big requests */
	size_t block_size;
	size_t used;
};

#define HDR ((sizeof(fr_block) + FR_ARENA_ALIGN - 1) & ~(size_t)(FR_ARENA_ALIGN - 1))

static fr_block *block_new(size_t size)
{
	void *p = NULL;
	if (size > SIZE_MAX - HDR)
		return NULL;
	if (posix_memalign(&p, FR_ARENA_ALIGN, HDR + size) != 0)
		return NULL;
	fr_block *b = p;
	b->next = NULL;
	b->size = size;
	b->used = 0;
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
		free(b);
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
