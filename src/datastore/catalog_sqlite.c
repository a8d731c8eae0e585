/* The embedded catalog: one SQLite database, <home>/catalog.db, shared by every frocket process
 * on the machine.
 *
 * Why it is built this way:
 * - WAL mode: readers (list, info, a query looking its dataset up) never wait for a writer, and
 *   a writer killed at any instant leaves either its whole transaction or none of it.
 *   synchronous=NORMAL: commits do not fsync (checkpoints do), so a power cut may forget the
 *   last registrations but never leaves half of one; a killed process loses nothing committed.
 * - Every write is one BEGIN IMMEDIATE transaction: it takes the write lock up front, so the
 *   busy timeout covers the whole wait for another process and no deferred read-to-write upgrade
 *   can fail with SQLITE_BUSY_SNAPSHOT half-way.
 * - The file is identified by PRAGMA application_id and versioned by user_version.  A file that
 *   is not ours (another program's database, random bytes, a newer frocket's catalog) is refused
 *   after reading only its header, and nothing is written to it: the user's data is theirs.
 * - Schemas live in their own table and parts in theirs, so list reads only the small
 *   datasets rows (the 20 ms goal with 1,000 datasets).
 * - Statements are prepared once per handle, on first use, and every value is a bound
 *   parameter: names may hold quotes, spaces and any UTF-8. */
#include "datastore/catalog_impl.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define CAT_APP_ID   0x46724b74  /* "FrKt" */
#define CAT_VERSION  1           /* schema version this build reads and writes */
#define CAT_FILE     "catalog.db"
#define CAT_BUSY_MS  5000

static const char *const schema_sql =
	"CREATE TABLE datasets("
	" name TEXT PRIMARY KEY NOT NULL,"
	" registered_at TEXT NOT NULL,"
	" basepath TEXT NOT NULL,"
	" group_col TEXT NOT NULL,"
	" ts_col TEXT NOT NULL,"
	" total_parts INTEGER NOT NULL CHECK (total_parts >= 0),"
	" total_size INTEGER NOT NULL CHECK (total_size >= 0),"
	" last_used INTEGER);"
	"CREATE TABLE schemas("
	" dataset TEXT PRIMARY KEY NOT NULL REFERENCES datasets(name),"
	" full_json TEXT NOT NULL,"
	" short_json TEXT NOT NULL);"
	"CREATE TABLE parts("
	" dataset TEXT NOT NULL REFERENCES datasets(name),"
	" idx INTEGER NOT NULL,"
	" name TEXT NOT NULL,"
	" size INTEGER NOT NULL CHECK (size >= 0),"
	" PRIMARY KEY (dataset, idx)) WITHOUT ROWID;"
	"PRAGMA application_id = 1181895540;"   /* CAT_APP_ID */
	"PRAGMA user_version = 1;";             /* CAT_VERSION */

#define INFO_COLS "name, registered_at, basepath, group_col, ts_col, total_parts, total_size, " \
	"last_used"

#define STMTS(X) \
	X(S_BEGIN_WRITE, "BEGIN IMMEDIATE") \
	X(S_BEGIN_READ,  "BEGIN") \
	X(S_COMMIT,      "COMMIT") \
	X(S_ROLLBACK,    "ROLLBACK") \
	X(S_HEADER,      "SELECT (SELECT application_id FROM pragma_application_id)," \
	                 " (SELECT user_version FROM pragma_user_version)," \
	                 " (SELECT count(*) FROM sqlite_master)") \
	X(S_DEL_PARTS,   "DELETE FROM parts WHERE dataset = ?1") \
	X(S_DEL_SCHEMA,  "DELETE FROM schemas WHERE dataset = ?1") \
	X(S_DEL_DS,      "DELETE FROM datasets WHERE name = ?1") \
	X(S_INS_DS,      "INSERT INTO datasets (" INFO_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL)") \
	X(S_INS_SCHEMA,  "INSERT INTO schemas (dataset, full_json, short_json) VALUES (?1, ?2, ?3)") \
	X(S_INS_PART,    "INSERT INTO parts (dataset, idx, name, size) VALUES (?1, ?2, ?3, ?4)") \
	X(S_GET_DS,      "SELECT " INFO_COLS " FROM datasets WHERE name = ?1") \
	X(S_GET_PARTS,   "SELECT name, size FROM parts WHERE dataset = ?1 ORDER BY idx") \
	X(S_GET_SCHEMA,  "SELECT full_json, short_json FROM schemas WHERE dataset = ?1") \
	X(S_LIST,        "SELECT " INFO_COLS " FROM datasets ORDER BY registered_at DESC, name") \
	X(S_MARK,        "UPDATE datasets SET last_used = ?2 WHERE name = ?1") \
	X(S_LAST_USED,   "SELECT last_used FROM datasets WHERE name = ?1")

enum {
#define X(id, sql) id,
	STMTS(X)
#undef X
	S_COUNT
};

static const char *const stmt_sql[S_COUNT] = {
#define X(id, sql) sql,
	STMTS(X)
#undef X
};

typedef struct sq_catalog {
	fr_catalog base;          /* first: a fr_catalog * is a sq_catalog * */
	sqlite3 *db;
	char *path;
	int busy_ms;
	sqlite3_stmt *st[S_COUNT];
} sq_catalog;

/* Maps an SQLite result to an FR_E* code and a message naming the file and the step. */
static int sq_fail(sq_catalog *c, int rc, const char *what, fr_err *err)
{
	const char *msg = c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc);
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return fr_err_set(err, FR_ETIMEOUT,
		                  "catalog %s: %s: still locked by another process after %d ms (%s)",
		                  c->path, what, c->busy_ms, msg);
	case SQLITE_NOMEM:
		return fr_err_set(err, FR_ENOMEM, "catalog %s: %s: %s", c->path, what, msg);
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return fr_err_set(err, FR_ECORRUPT, "catalog %s: %s: the database is corrupt (%s)",
		                  c->path, what, msg);
	default:
		return fr_err_set(err, FR_EIO, "catalog %s: %s: %s", c->path, what, msg);
	}
}

/* The cached statement `i`, reset and unbound, ready for binding. */
static int stmt(sq_catalog *c, int i, sqlite3_stmt **out, fr_err *err)
{
	if (!c->st[i]) {
		int rc = sqlite3_prepare_v3(c->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
		                            &c->st[i], NULL);
		if (rc != SQLITE_OK)
			return sq_fail(c, rc, "preparing a statement", err);
	}
	*out = c->st[i];
	return 0;
}

/* Releases a statement's read state (a stepped SELECT holds its snapshot until reset).  The
 * result of reset only repeats the step's, which the caller has already handled. */
static void done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static int bind_text(sq_catalog *c, sqlite3_stmt *st, int i, const char *s, fr_err *err)
{
	int rc = sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	return rc == SQLITE_OK ? 0 : sq_fail(c, rc, "binding a parameter", err);
}

static int bind_i64(sq_catalog *c, sqlite3_stmt *st, int i, int64_t v, fr_err *err)
{
	int rc = sqlite3_bind_int64(st, i, v);
	return rc == SQLITE_OK ? 0 : sq_fail(c, rc, "binding a parameter", err);
}

/* Runs a statement that returns no rows (BEGIN, an INSERT, ...). */
static int run(sq_catalog *c, sqlite3_stmt *st, const char *what, fr_err *err)
{
	int rc = sqlite3_step(st);
	int ret = rc == SQLITE_DONE ? 0 : sq_fail(c, rc, what, err);
	done(st);
	return ret;
}

static int run_id(sq_catalog *c, int i, const char *what, fr_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc = stmt(c, i, &st, err);
	return rc ? rc : run(c, st, what, err);
}

static int begin(sq_catalog *c, int write, fr_err *err)
{
	return run_id(c, write ? S_BEGIN_WRITE : S_BEGIN_READ, "starting a transaction", err);
}

static int commit(sq_catalog *c, fr_err *err)
{
	return run_id(c, S_COMMIT, "committing", err);
}

/* After a failure inside a transaction: err already holds the cause, keep it. */
static void rollback(sq_catalog *c)
{
	if (sqlite3_get_autocommit(c->db))
		return;   /* SQLite already rolled back (e.g. after SQLITE_FULL) */
	sqlite3_stmt *st = NULL;
	fr_err ignored = { 0 };
	if (!stmt(c, S_ROLLBACK, &st, &ignored))
		run(c, st, "rolling back", &ignored);
}

/* A column the schema declares NOT NULL, copied into the arena.  NULL only if the catalog was
 * edited by hand (or is corrupt): reported, not dereferenced. */
static int col_text(sq_catalog *c, sqlite3_stmt *st, int col, fr_arena *a, const char **out,
                    fr_err *err)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	if (!t) {
		if (sqlite3_errcode(c->db) == SQLITE_NOMEM)
			return fr_err_set(err, FR_ENOMEM, "catalog %s: out of memory reading a row", c->path);
		return fr_err_set(err, FR_ECORRUPT, "catalog %s: column '%s' is NULL", c->path,
		                  sqlite3_column_name(st, col));
	}
	char *s = fr_arena_strndup(a, (const char *)t, (size_t)sqlite3_column_bytes(st, col));
	if (!s)
		return fr_err_set(err, FR_ENOMEM, "catalog %s: out of memory reading a row", c->path);
	*out = s;
	return 0;
}

/* One row of INFO_COLS into d. */
static int read_info(sq_catalog *c, sqlite3_stmt *st, fr_arena *a, fr_dataset *d, fr_err *err)
{
	int rc;
	memset(d, 0, sizeof *d);
	if ((rc = col_text(c, st, 0, a, &d->name, err)) ||
	    (rc = col_text(c, st, 1, a, &d->registered_at, err)) ||
	    (rc = col_text(c, st, 2, a, &d->basepath, err)) ||
	    (rc = col_text(c, st, 3, a, &d->group_col, err)) ||
	    (rc = col_text(c, st, 4, a, &d->ts_col, err)))
		return rc;
	d->total_parts = sqlite3_column_int64(st, 5);
	d->total_size = sqlite3_column_int64(st, 6);
	if (sqlite3_column_type(st, 7) != SQLITE_NULL) {
		d->has_last_used = 1;
		d->last_used = sqlite3_column_int64(st, 7);
	}
	if (d->total_parts < 0 || d->total_size < 0)
		return fr_err_set(err, FR_ECORRUPT, "catalog %s: dataset '%s' has negative totals",
		                  c->path, d->name);
	return 0;
}

static int sq_ping(fr_catalog *base, fr_err *err)
{
	sq_catalog *c = (sq_catalog *)base;
	sqlite3_stmt *st = NULL;
	int rc = stmt(c, S_HEADER, &st, err);
	if (rc)
		return rc;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = sq_fail(c, rc, "ping", err);
	} else if (sqlite3_column_int64(st, 0) != CAT_APP_ID ||
	           sqlite3_column_int64(st, 1) != CAT_VERSION) {
		/* Someone replaced the file under us. */
		rc = fr_err_set(err, FR_ECORRUPT, "catalog %s: no longer a frocket catalog", c->path);
	} else {
		rc = 0;
	}
	done(st);
	return rc;
}

static int put_rows(sq_catalog *c, const fr_dataset *ds, fr_err *err)
{
	static const int dels[] = { S_DEL_PARTS, S_DEL_SCHEMA, S_DEL_DS };
	sqlite3_stmt *st = NULL;
	int rc;
	/* Children first: correct whether or not the connection enforces foreign keys. */
	for (size_t i = 0; i < sizeof dels / sizeof dels[0]; i++)
		if ((rc = stmt(c, dels[i], &st, err)) || (rc = bind_text(c, st, 1, ds->name, err)) ||
		    (rc = run(c, st, "removing the previous registration", err)))
			return rc;
	if ((rc = stmt(c, S_INS_DS, &st, err)) || (rc = bind_text(c, st, 1, ds->name, err)) ||
	    (rc = bind_text(c, st, 2, ds->registered_at, err)) ||
	    (rc = bind_text(c, st, 3, ds->basepath, err)) ||
	    (rc = bind_text(c, st, 4, ds->group_col, err)) ||
	    (rc = bind_text(c, st, 5, ds->ts_col, err)) ||
	    (rc = bind_i64(c, st, 6, ds->total_parts, err)) ||
	    (rc = bind_i64(c, st, 7, ds->total_size, err)) ||
	    (rc = run(c, st, "storing the dataset", err)))
		return rc;
	if ((rc = stmt(c, S_INS_SCHEMA, &st, err)) || (rc = bind_text(c, st, 1, ds->name, err)) ||
	    (rc = bind_text(c, st, 2, ds->schema_json, err)) ||
	    (rc = bind_text(c, st, 3, ds->short_schema_json, err)) ||
	    (rc = run(c, st, "storing the schema", err)))
		return rc;
	if ((rc = stmt(c, S_INS_PART, &st, err)))
		return rc;
	for (int64_t i = 0; i < ds->total_parts; i++) {
		/* The name is bound once per row: clear_bindings in run() drops it. */
		if ((rc = bind_text(c, st, 1, ds->name, err)) || (rc = bind_i64(c, st, 2, i, err)) ||
		    (rc = bind_text(c, st, 3, ds->parts[i].name, err)) ||
		    (rc = bind_i64(c, st, 4, (int64_t)ds->parts[i].size, err)) ||
		    (rc = run(c, st, "storing a part", err)))
			return rc;
	}
	return 0;
}

static int sq_put(fr_catalog *base, const fr_dataset *ds, fr_err *err)
{
	sq_catalog *c = (sq_catalog *)base;
	int rc = begin(c, 1, err);
	if (rc)
		return fr_err_prefix(err, "registering '%s'", ds->name);
	if ((rc = put_rows(c, ds, err)) || (rc = commit(c, err))) {
		rollback(c);
		return fr_err_prefix(err, "registering '%s'", ds->name);
	}
	return 0;
}

static int get_rows(sq_catalog *c, const char *name, int want, fr_arena *a, fr_dataset **out,
                    fr_err *err)
{
	sqlite3_stmt *st = NULL;
	int rc;
	fr_dataset *d = fr_arena_alloc(a, sizeof *d);
	if (!d)
		return fr_err_set(err, FR_ENOMEM, "catalog: out of memory");
	if ((rc = stmt(c, S_GET_DS, &st, err)) || (rc = bind_text(c, st, 1, name, err)))
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		rc = fr_err_set(err, FR_ENOTFOUND, "Dataset '%s' not found", name);
	else if (rc != SQLITE_ROW)
		rc = sq_fail(c, rc, "reading a dataset", err);
	else
		rc = read_info(c, st, a, d, err);
	done(st);
	if (rc)
		return rc;

	if (want & FR_DS_PARTS) {
		/* Rows are counted against total_parts as they come, and the array grows with them:
		 * a hand-edited total cannot make us allocate what is not stored, nor hand back a
		 * short list. */
		if ((rc = stmt(c, S_GET_PARTS, &st, err)) || (rc = bind_text(c, st, 1, name, err)))
			return rc;
		int64_t n = 0, cap = 0;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			if (n == d->total_parts)
				break;
			if (n == cap) {
				int64_t ncap = cap ? cap * 2 : 256;
				if (ncap > d->total_parts)
					ncap = d->total_parts;
				fr_dataset_part *np = fr_arena_alloc(a, (size_t)ncap * sizeof *np);
				if (!np) {
					rc = fr_err_set(err, FR_ENOMEM, "catalog: out of memory reading parts");
					break;
				}
				if (n)
					memcpy(np, d->parts, (size_t)n * sizeof *np);
				d->parts = np;
				cap = ncap;
			}
			int64_t size = sqlite3_column_int64(st, 1);
			if ((rc = col_text(c, st, 0, a, &d->parts[n].name, err)))
				break;
			d->parts[n++].size = size < 0 ? 0 : (uint64_t)size;
		}
		if (rc == SQLITE_DONE && n == d->total_parts)
			rc = 0;
		else if (rc == SQLITE_DONE || rc == SQLITE_ROW)
			rc = fr_err_set(err, FR_ECORRUPT,
			                "catalog %s: dataset '%s' lists %" PRId64 " parts but %s are stored",
			                c->path, name, d->total_parts, rc == SQLITE_ROW ? "more" : "fewer");
		else if (rc > 0)
			rc = sq_fail(c, rc, "reading parts", err);
		done(st);
		if (rc)
			return rc;
	}

	if (want & FR_DS_SCHEMA) {
		if ((rc = stmt(c, S_GET_SCHEMA, &st, err)) || (rc = bind_text(c, st, 1, name, err)))
			return rc;
		rc = sqlite3_step(st);
		if (rc == SQLITE_DONE)
			rc = fr_err_set(err, FR_ECORRUPT, "catalog %s: dataset '%s' has no schema",
			                c->path, name);
		else if (rc != SQLITE_ROW)
			rc = sq_fail(c, rc, "reading a schema", err);
		else if (!(rc = col_text(c, st, 0, a, &d->schema_json, err)))
			rc = col_text(c, st, 1, a, &d->short_schema_json, err);
		done(st);
		if (rc)
			return rc;
	}
	*out = d;
	return 0;
}

static int sq_get(fr_catalog *base, const char *name, int want, fr_arena *a, fr_dataset **out,
                  fr_err *err)
{
	sq_catalog *c = (sq_catalog *)base;
	/* One read transaction: info, parts and schema come from the same registration even when
	 * another process re-registers the name meanwhile. */
	int rc = begin(c, 0, err);
	if (rc)
		return rc;
	if ((rc = get_rows(c, name, want, a, out, err)) || (rc = commit(c, err))) {
		rollback(c);
		*out = NULL;
		return rc;
	}
	return 0;
}

static int sq_list(fr_catalog *base, fr_arena *a, fr_dataset **out, int *n, fr_err *err)
{
	sq_catalog *c = (sq_catalog *)base;
	sqlite3_stmt *st = NULL;
	int rc = stmt(c, S_LIST, &st, err);
	if (rc)
		return rc;
	/* Rows go into a growing array in the arena: the old array is left behind, at most as
	 * much again as the final one. */
	fr_dataset *v = NULL;
	size_t cap = 0, cnt = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cnt == cap) {
			if (cap >= INT_MAX / 2) {
				rc = fr_err_set(err, FR_ELIMIT, "catalog %s: too many datasets", c->path);
				break;
			}
			size_t ncap = cap ? cap * 2 : 64;
			fr_dataset *nv = fr_arena_alloc(a, ncap * sizeof *nv);
			if (!nv) {
				rc = fr_err_set(err, FR_ENOMEM, "catalog: out of memory listing datasets");
				break;
			}
			if (cnt)
				memcpy(nv, v, cnt * sizeof *nv);
			v = nv;
			cap = ncap;
		}
		if ((rc = read_info(c, st, a, &v[cnt], err)))
			break;
		cnt++;
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = sq_fail(c, rc, "listing datasets", err);
	done(st);
	if (rc)
		return rc;
	*out = v;
	*n = (int)cnt;
	return 0;
}

static int sq_mark_used(fr_catalog *base, const char *name, int64_t now, fr_err *err)
{
	sq_catalog *c = (sq_catalog *)base;
	sqlite3_stmt *st = NULL;
	int rc = begin(c, 1, err);
	if (rc)
		return rc;
	if ((rc = stmt(c, S_MARK, &st, err)) || (rc = bind_text(c, st, 1, name, err)) ||
	    (rc = bind_i64(c, st, 2, now, err)) ||
	    (rc = run(c, st, "marking a dataset used", err)))
		goto fail;
	if (sqlite3_changes(c->db) == 0) {
		rc = fr_err_set(err, FR_ENOTFOUND, "Dataset '%s' not found", name);
		goto fail;
	}
	if ((rc = commit(c, err)))
		goto fail;
	return 0;
fail:
	rollback(c);
	return rc;
}

static int sq_unregister(fr_catalog *base, const char *name, int force, int64_t interval,
                         int64_t now, fr_unregister_res *out, fr_err *err)
{
	static const int dels[] = { S_DEL_PARTS, S_DEL_SCHEMA, S_DEL_DS };
	sq_catalog *c = (sq_catalog *)base;
	sqlite3_stmt *st = NULL;
	/* Write lock first: no query can mark the dataset used between the guard and the delete
	 * (the original's steps were not atomic; ours are). */
	int rc = begin(c, 1, err);
	if (rc)
		return rc;
	if ((rc = stmt(c, S_LAST_USED, &st, err)) || (rc = bind_text(c, st, 1, name, err)))
		goto fail;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		out->found = 1;
		if (sqlite3_column_type(st, 0) != SQLITE_NULL) {
			out->has_last_used = 1;
			out->last_used = sqlite3_column_int64(st, 0);
		}
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = 0;
	} else {
		rc = sq_fail(c, rc, "reading last-used", err);
	}
	done(st);
	if (rc)
		goto fail;
	out->success = 1;
	if (out->found && !fr_catalog_guard_refuses(out->has_last_used, out->last_used, force,
	                                            interval, now, out)) {
		for (size_t i = 0; i < sizeof dels / sizeof dels[0]; i++)
			if ((rc = stmt(c, dels[i], &st, err)) || (rc = bind_text(c, st, 1, name, err)) ||
			    (rc = run(c, st, "unregistering", err)))
				goto fail;
	}
	if ((rc = commit(c, err)))
		goto fail;
	return 0;
fail:
	rollback(c);
	out->success = 0;
	return fr_err_prefix(err, "unregistering '%s'", name);
}

static void sq_close(fr_catalog *base)
{
	sq_catalog *c = (sq_catalog *)base;
	for (int i = 0; i < S_COUNT; i++)
		sqlite3_finalize(c->st[i]);
	/* close_v2: never fails with statements outstanding; the last connection checkpoints
	 * and removes the WAL. */
	sqlite3_close_v2(c->db);
	free(c->path);
	free(c);
}

static const fr_catalog_ops sq_ops = {
	.kind = "embedded",
	.close = sq_close,
	.ping = sq_ping,
	.put = sq_put,
	.get = sq_get,
	.list = sq_list,
	.mark_used = sq_mark_used,
	.unregister = sq_unregister,
};

/* mkdir -p: missing parents 0755 (as umask allows), the home itself 0700 (it holds the
 * catalog, nobody else's business).  Errors name the component that failed. */
static int make_home(const char *home, fr_err *err)
{
	size_t len = strlen(home);
	char *buf = malloc(len + 1);
	if (!buf)
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	memcpy(buf, home, len + 1);
	while (len > 1 && buf[len - 1] == '/')
		buf[--len] = '\0';
	int rc = 0;
	for (size_t i = 1; i <= len; i++) {
		if (i < len && buf[i] != '/')
			continue;
		char saved = buf[i];
		buf[i] = '\0';
		struct stat sb;
		/* The failing component is named when it is a parent, not the home itself. */
		const char *at = i == len ? "" : buf, *sep = i == len ? "" : ": ";
		if (stat(buf, &sb) == 0) {
			if (!S_ISDIR(sb.st_mode))
				rc = fr_err_set(err, FR_EIO, "catalog home %s%s%s is not a directory", home,
				                sep, at);
		} else if (errno != ENOENT) {
			rc = fr_err_set(err, FR_EIO, "catalog home %s%s%s: %s", home, sep, at,
			                strerror(errno));
		} else if (mkdir(buf, i == len ? 0700 : 0755) != 0 && errno != EEXIST) {
			rc = fr_err_set(err, FR_EIO, "cannot create catalog home %s%s%s: %s", home, sep, at,
			                strerror(errno));
		}
		buf[i] = saved;
		if (rc)
			break;
	}
	free(buf);
	return rc;
}

/* Reads the header: *fresh = 1 for an empty database (no tables, no id), 0 for a frocket
 * catalog this build can use; anything else is refused with a message that says why. */
static int check_header(sq_catalog *c, int *fresh, fr_err *err)
{
	/* Preparing already reads the schema, so "not a database" may come from either step. */
	sqlite3_stmt *st = NULL;
	int rc = SQLITE_OK;
	if (!c->st[S_HEADER])
		rc = sqlite3_prepare_v3(c->db, stmt_sql[S_HEADER], -1, SQLITE_PREPARE_PERSISTENT,
		                        &c->st[S_HEADER], NULL);
	st = c->st[S_HEADER];
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		if ((rc & 0xff) == SQLITE_NOTADB || (rc & 0xff) == SQLITE_CORRUPT) {
			rc = fr_err_set(err, FR_ECORRUPT,
			                "catalog %s is not a frocket catalog (%s); it was left as it is: "
			                "move it away or set FROCKET_HOME to another directory",
			                c->path, sqlite3_errmsg(c->db));
		} else {
			rc = sq_fail(c, rc, "reading the header", err);
		}
		if (st)
			done(st);
		return rc;
	}
	int64_t app = sqlite3_column_int64(st, 0), ver = sqlite3_column_int64(st, 1);
	int64_t tables = sqlite3_column_int64(st, 2);
	done(st);
	*fresh = 0;
	if (app == 0 && ver == 0 && tables == 0) {
		*fresh = 1;
		return 0;
	}
	if (app != CAT_APP_ID)
		return fr_err_set(err, FR_ECORRUPT,
		                  "catalog %s is an SQLite database of another program (application id "
		                  "0x%08" PRIx64 ", %" PRId64 " tables), not a frocket catalog; it was "
		                  "left as it is: move it away or set FROCKET_HOME to another directory",
		                  c->path, (uint64_t)app & 0xffffffffu, tables);
	if (ver > CAT_VERSION)
		return fr_err_set(err, FR_EUNSUPPORTED,
		                  "catalog %s has schema version %" PRId64 ", written by a newer frocket "
		                  "(this one knows version %d); it was left as it is", c->path, ver,
		                  CAT_VERSION);
	if (ver < 1)
		return fr_err_set(err, FR_ECORRUPT, "catalog %s has no schema version", c->path);
	return 0;
}

static int exec_sql(sq_catalog *c, const char *sql, const char *what, fr_err *err)
{
	int rc = sqlite3_exec(c->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : sq_fail(c, rc, what, err);
}

/* The journal mode of the database: "wal" once any process converted it (the mode is
 * persistent), else NULL; asking needs no lock that a writer could hold. */
static int is_wal(sq_catalog *c)
{
	sqlite3_stmt *st = NULL;
	int wal = 0;
	if (sqlite3_prepare_v2(c->db, "PRAGMA journal_mode", -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		const char *mode = (const char *)sqlite3_column_text(st, 0);
		wal = mode && !strcmp(mode, "wal");
	}
	sqlite3_finalize(st);
	return wal;
}

static int set_wal(sq_catalog *c, fr_err *err)
{
	/* Converting needs the database to itself: only the first opener of a new catalog does
	 * it; every later open finds WAL already and must not queue behind busy writers. */
	if (is_wal(c))
		return 0;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(c->db, "PRAGMA journal_mode = WAL", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(c, rc, "setting WAL mode", err);
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = sq_fail(c, rc, "setting WAL mode", err);
	} else {
		const char *mode = (const char *)sqlite3_column_text(st, 0);
		rc = mode && !strcmp(mode, "wal") ? 0
		     : fr_err_set(err, FR_EIO, "catalog %s: the file system refused WAL mode (%s)",
		                  c->path, mode ? mode : "?");
	}
	sqlite3_finalize(st);
	return rc;
}

/* The advisory lock that serialises the creation of a new catalog (see open_db): waits up
 * to the busy timeout for another creator. */
static int init_lock(sq_catalog *c, int *out, fr_err *err)
{
	size_t n = strlen(c->path) + sizeof ".init-lock";
	char *p = malloc(n);
	if (!p)
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	snprintf(p, n, "%s.init-lock", c->path);
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	free(p);
	if (fd < 0)
		return fr_err_set(err, FR_EIO, "catalog %s: cannot create its lock file: %s", c->path,
		                  strerror(errno));
	for (int waited = 0;; waited += 10) {
		if (!flock(fd, LOCK_EX | LOCK_NB))
			break;
		if ((errno != EWOULDBLOCK && errno != EINTR) || waited >= c->busy_ms) {
			int e = errno;
			close(fd);
			return fr_err_set(err, e == EWOULDBLOCK ? FR_ETIMEOUT : FR_EIO, "catalog %s: %s",
			                  c->path, e == EWOULDBLOCK ? "another process is still creating "
			                  "it" : strerror(e));
		}
		usleep(10000);
	}
	*out = fd;
	return 0;
}

static int open_db(sq_catalog *c, fr_err *err)
{
	int rc = sqlite3_open_v2(c->path, &c->db,
	                         SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK)
		return sq_fail(c, rc, "opening", err);
	sqlite3_extended_result_codes(c->db, 1);
	if ((rc = sqlite3_busy_timeout(c->db, c->busy_ms)) != SQLITE_OK)
		return sq_fail(c, rc, "setting the busy timeout", err);
	/* Defensive: no writable_schema tricks through this connection. */
	if ((rc = sqlite3_db_config(c->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL)) != SQLITE_OK)
		return sq_fail(c, rc, "configuring", err);
	int fresh;
	/* Only the header is read before we know the file is ours: nothing is written to a
	 * file that is not (not even the WAL switch). */
	if ((rc = check_header(c, &fresh, err)))
		return rc;
	if ((rc = exec_sql(c, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL", "configuring",
	                   err)))
		return rc;
	if (!fresh)
		return 0;
	/* A new catalog.  Several processes may get here at once, and SQLite cannot let them all
	 * switch the journal to WAL (each holds a shared lock and waits for the others': they time
	 * out together).  Creation is therefore taken in turns under an advisory lock beside the
	 * file; the schema goes in under the write lock, after a second look at the header. */
	int lk = -1;
	if ((rc = init_lock(c, &lk, err)))
		return rc;
	if ((rc = set_wal(c, err)) || (rc = begin(c, 1, err)))
		goto out;
	if ((rc = check_header(c, &fresh, err)))
		goto fail;
	if (fresh && (rc = exec_sql(c, schema_sql, "creating the catalog", err)))
		goto fail;
	if ((rc = commit(c, err)))
		goto fail;
	goto out;
fail:
	rollback(c);
out:
	close(lk);   /* releases the lock */
	return rc;
}

int fr_catalog_open_embedded(const fr_catalog_opts *opts, fr_catalog **out, fr_err *err)
{
	int rc;
	if (out)
		*out = NULL;
	if (!opts || !out)
		return fr_err_set(err, FR_EINVAL, "catalog open: missing argument");
	if (!opts->home || !opts->home[0])
		return fr_err_set(err, FR_EINVAL, "catalog home (FROCKET_HOME) is empty");
	if (opts->busy_timeout_ms < 0)
		return fr_err_set(err, FR_EINVAL, "catalog busy timeout %d ms is negative",
		                  opts->busy_timeout_ms);
	/* One handle per thread needs SQLite's multi-thread mode at least (Debian's is serialized). */
	if (!sqlite3_threadsafe())
		return fr_err_set(err, FR_EUNSUPPORTED,
		                  "the SQLite library was built without thread support; the catalog "
		                  "needs SQLITE_THREADSAFE=1 or 2");
	if ((rc = make_home(opts->home, err)))
		return rc;
	/* SQLite would open a read-only file read-only without a word and fail at the first
	 * write; say it now, naming the path. */
	if (faccessat(AT_FDCWD, opts->home, W_OK | X_OK, AT_EACCESS) != 0)
		return fr_err_set(err, FR_EIO, "catalog home %s is not writable: %s", opts->home,
		                  strerror(errno));
	sq_catalog *c = calloc(1, sizeof *c);
	if (!c)
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	c->base.ops = &sq_ops;
	c->busy_ms = opts->busy_timeout_ms ? opts->busy_timeout_ms : CAT_BUSY_MS;
	size_t hl = strlen(opts->home);
	int slash = opts->home[hl - 1] == '/';
	c->path = malloc(hl + sizeof "/" CAT_FILE);
	if (!c->path) {
		free(c);
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	}
	memcpy(c->path, opts->home, hl);
	memcpy(c->path + hl - slash, "/" CAT_FILE, sizeof "/" CAT_FILE);
	struct stat sb;
	if (stat(c->path, &sb) == 0) {
		if (!S_ISREG(sb.st_mode))
			rc = fr_err_set(err, FR_EIO, "catalog %s is not a regular file", c->path);
		else if (faccessat(AT_FDCWD, c->path, R_OK | W_OK, AT_EACCESS) != 0)
			rc = fr_err_set(err, FR_EIO, "catalog %s is not writable: %s", c->path,
			                strerror(errno));
	} else if (errno != ENOENT) {
		rc = fr_err_set(err, FR_EIO, "catalog %s: %s", c->path, strerror(errno));
	}
	if (!rc)
		rc = open_db(c, err);
	if (rc) {
		sq_close(&c->base);
		return rc;
	}
	*out = &c->base;
	return 0;
}
