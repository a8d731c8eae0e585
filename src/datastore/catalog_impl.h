/* The catalog's implementation seam: every backend (embedded SQLite now, Redis later) fills one
 * table of operations.  The public fr_catalog_* functions in catalog.c check arguments once for
 * all backends, so an implementation receives only valid names and well-formed registrations. */
#ifndef FR_DATASTORE_CATALOG_IMPL_H
#define FR_DATASTORE_CATALOG_IMPL_H

#include "datastore/catalog.h"

typedef struct fr_catalog_ops {
	const char *kind;                                  /* "embedded", "redis" */
	void (*close)(fr_catalog *c);
	int (*ping)(fr_catalog *c, fr_err *err);
	int (*put)(fr_catalog *c, const fr_dataset *ds, fr_err *err);
	int (*get)(fr_catalog *c, const char *name, int want, fr_arena *arena, fr_dataset **out,
	           fr_err *err);
	int (*list)(fr_catalog *c, fr_arena *arena, fr_dataset **out, int *n, fr_err *err);
	int (*mark_used)(fr_catalog *c, const char *name, int64_t now, fr_err *err);
	/* out is zeroed by the caller; the backend fills found/last_used and calls
	 * fr_catalog_guard_refuses inside its transaction. */
	int (*unregister)(fr_catalog *c, const char *name, int force, int64_t interval, int64_t now,
	                  fr_unregister_res *out, fr_err *err);
} fr_catalog_ops;

/* A backend's handle starts with this member, so a fr_catalog * casts to the backend's type. */
struct fr_catalog {
	const fr_catalog_ops *ops;
};

/* The last-used guard of runtime.md §5.10, one rule for every backend: returns 1 (and fills
 * out->success = 0 and out->message) when the unregister must be refused. */
int fr_catalog_guard_refuses(int has_last_used, int64_t last_used, int force, int64_t interval,
                             int64_t now, fr_unregister_res *out);

#endif
