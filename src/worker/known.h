/* The parts this worker process has read, per dataset registration: the candidates of
 * worker self-select (runtime.md §2.7).  A worker that read a part before has it in its
 * disk cache (S3) or the page cache (local files), so the invoker's published parts are
 * taken by the workers that read them last time.  Bounded: at most `max` entries, the least
 * recently used dropped first.  Thread-safe (a worker's task loops share one). */
#ifndef FR_WORKER_KNOWN_H
#define FR_WORKER_KNOWN_H

#include <stddef.h>

#include "core/arena.h"

typedef struct fr_known fr_known;

/* NULL when out of memory. */
fr_known *fr_known_new(int max);
void fr_known_free(fr_known *k);   /* NULL allowed */

/* Records that part (idx, name) of the registration (dataset, registered_at, basepath) was
 * read successfully (again: it becomes the most recent). */
void fr_known_add(fr_known *k, const char *dataset, const char *registered_at,
                  const char *basepath, int idx, const char *name);

/* The known parts of that registration, most recent first, at most max, as self-select set
 * members ("<idx>:<name>", net/workq.h) with their lengths; arrays and strings in a.  Parts
 * for which skip(skip_arg, idx) says 1 are left out (skip may be NULL); *known (if not
 * NULL) counts them too: a worker that knows parts of the dataset is warm even when they
 * are all taken.  Returns the number of members (0 when none or out of memory). */
int fr_known_candidates(fr_known *k, const char *dataset, const char *registered_at,
                        const char *basepath, int (*skip)(void *arg, int idx), void *skip_arg,
                        int max, fr_arena *a, const char ***members, size_t **lens,
                        int *known);

#endif
