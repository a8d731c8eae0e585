/* Arena (memory context): everything made for one task, query or loaded part is allocated
 * here and freed at once with fr_arena_free.  Not thread-safe: one owner at a time. */
#ifndef FR_CORE_ARENA_H
#define FR_CORE_ARENA_H

#include <stddef.h>
#include <stdint.h>

typedef struct fr_arena fr_arena;

/* New arena; block_size 0 picks a default (64 KiB).  NULL on allocation failure. */
fr_arena *fr_arena_new(size_t block_size);
/* Frees every allocation and the arena itself.  NULL is allowed. */
void fr_arena_free(fr_arena *a);

/* 64-byte aligned (SIMD-friendly) uninitialised memory; NULL on failure or overflow.
 * Requests of 0 bytes return a valid unique pointer. */
void *fr_arena_alloc(fr_arena *a, size_t n);
void *fr_arena_calloc(fr_arena *a, size_t count, size_t size);
/* Copies, NUL-terminated.  fr_arena_strndup copies at most n bytes. */
char *fr_arena_strdup(fr_arena *a, const char *s);
char *fr_arena_strndup(fr_arena *a, const char *s, size_t n);
void *fr_arena_memdup(fr_arena *a, const void *p, size_t n);

/* Bytes handed out (including large allocations), for memory accounting and stats. */
size_t fr_arena_used(const fr_arena *a);

/* Blocks of 1 MiB and more of a freed arena are kept in a cache of the freeing thread (bounded,
 * 1 GiB) and reused by its next arenas: a worker loading part after part then touches warm
 * pages instead of faulting in fresh ones.  The cache goes at thread exit; this releases the
 * calling thread's cache earlier and returns the freed pages to the system (the task threads
 * of the local executor and of frocket-worker call it once idle for
 * FROCKET_WORKER_IDLE_RELEASE_SECONDS). */
void fr_arena_cache_release(void);
/* Bytes held by the calling thread's cache (for tests and stats). */
size_t fr_arena_cache_bytes(void);

#endif
