/* The catalog (datastore): registered datasets, their parts, schemas and last-used marks.
 * One interface, two implementations: embedded (SQLite in FROCKET_HOME, the default) and,
 * later, Redis.  Every change is one transaction: a reader sees the old registration or the
 * new one, never half of one, even if the writer is killed.  A handle is used by one thread
 * at a time; open one per thread (they may share the same database, also across processes). */
#ifndef FR_DATASTORE_CATALOG_H
#define FR_DATASTORE_CATALOG_H

#include <stdint.h>

#include "core/arena.h"
#include "core/error.h"

/* Dataset names: 1..FR_DATASET_NAME_MAX bytes of valid UTF-8 without control characters
 * (spaces and any other UTF-8 are fine). */
#define FR_DATASET_NAME_MAX 256
/* FR_EINVAL with a message naming the problem ("dataset name is empty", ...).  C1 controls
 * (U+0080..U+009F) count as control characters too; overlong forms and surrogates are invalid
 * UTF-8.  Every fr_catalog_* call that takes a name checks it first. */
int fr_catalog_check_name(const char *name, fr_err *err);

typedef struct fr_dataset_part {
	const char *name;          /* relative to basepath */
	uint64_t size;
} fr_dataset_part;

/* One registration.  What a getter fills depends on the `want` flags; the rest is zero. */
typedef struct fr_dataset {
	/* FR_DS_INFO (always filled) */
	const char *name;
	const char *registered_at; /* ISO-8601 UTC with microseconds: the registration id */
	const char *basepath;      /* exactly as given */
	const char *group_col, *ts_col;
	int64_t total_parts;
	int64_t total_size;        /* bytes */
	int has_last_used;
	int64_t last_used;         /* unix seconds of the last query started on it */
	/* FR_DS_PARTS */
	fr_dataset_part *parts;    /* sorted by name; total_parts entries */
	/* FR_DS_SCHEMA: JSON text (fr_dschema_write_full / _short, CLI flavour) */
	const char *schema_json;
	const char *short_schema_json;
} fr_dataset;

enum { FR_DS_INFO = 0, FR_DS_PARTS = 1, FR_DS_SCHEMA = 2 };

typedef struct fr_catalog fr_catalog;

typedef struct fr_catalog_opts {
	const char *home;          /* FROCKET_HOME: directory, created (0700) if missing */
	int busy_timeout_ms;       /* how long to wait for another process's transaction; 0: 5000 */
} fr_catalog_opts;

/* Opens (creating if needed) the embedded catalog <home>/catalog.db.  A home that cannot be
 * created or written, or a file that is not a frocket catalog (corrupt, another program's
 * database, a newer schema version) is an error that says so; the file is never replaced. */
int fr_catalog_open_embedded(const fr_catalog_opts *opts, fr_catalog **out, fr_err *err);
/* Opens the Redis catalog (FROCKET_DATASTORE=redis) on the datastore connection settings:
 * connects and pings; an unreachable server is an error naming it. */
struct fr_redis_opts;
int fr_catalog_open_redis(const struct fr_redis_opts *o, fr_catalog **out, fr_err *err);
void fr_catalog_close(fr_catalog *c);    /* NULL allowed */
/* "embedded" (or "redis" later): for `frocket config` and /health. */
const char *fr_catalog_kind(const fr_catalog *c);
/* A cheap round trip: 0 when the catalog answers (for /health). */
int fr_catalog_ping(fr_catalog *c, fr_err *err);

/* Stores a registration, replacing any earlier one of the same name, and clears its
 * last-used mark: one transaction.  ds must have INFO, PARTS and SCHEMA filled (has_last_used
 * and last_used are ignored); parts strictly ascending by name (byte order) and total_size
 * their sum, else FR_EINVAL. */
int fr_catalog_put(fr_catalog *c, const fr_dataset *ds, fr_err *err);
/* FR_ENOTFOUND ("Dataset '<name>' not found") when absent.  *out in arena. */
int fr_catalog_get(fr_catalog *c, const char *name, int want, fr_arena *arena,
                   fr_dataset **out, fr_err *err);
/* Every dataset (INFO only), sorted by registered_at descending. */
int fr_catalog_list(fr_catalog *c, fr_arena *arena, fr_dataset **out, int *n, fr_err *err);
/* Sets last_used = now for name (a query is starting).  FR_ENOTFOUND when absent. */
int fr_catalog_mark_used(fr_catalog *c, const char *name, int64_t now, fr_err *err);

typedef struct fr_unregister_res {
	int success;               /* 0: refused by the last-used guard */
	int found;
	int has_last_used;
	int64_t last_used;
	char message[256];         /* the refusal text of runtime.md §5.10 when refused */
} fr_unregister_res;

/* Unregister with the last-used guard (runtime.md §5.10): refused when the dataset was used
 * less than `interval` seconds before `now` (interval 0 disables) unless force.  The check and
 * the delete are one transaction.  An unknown name is success with found = 0. */
int fr_catalog_unregister(fr_catalog *c, const char *name, int force, int64_t interval,
                          int64_t now, fr_unregister_res *out, fr_err *err);

#endif
