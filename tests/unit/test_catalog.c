/* Unit tests for the catalog (src/datastore): round trips of every field with odd names,
 * re-registration, the unregister guard, several handles and processes on one home, writers
 * killed mid-transaction, files that are not ours, bad homes, and a timing print for the
 * 1,000-dataset goal. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "datastore/catalog.h"

/* ---- helpers ---------------------------------------------------------------------------- */

static char *new_home(void)
{
	char tmpl[] = "/tmp/frcat-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(tmpl));
	return strdup(tmpl);
}

static void rm_home(char *home)
{
	char cmd[256];
	snprintf(cmd, sizeof cmd, "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", home, home);
	ck_assert_int_eq(system(cmd), 0);
	free(home);
}

static fr_catalog *open_ok(const char *home)
{
	fr_err err = { 0 };
	fr_catalog_opts o = { .home = home, .busy_timeout_ms = 10000 };
	fr_catalog *c = NULL;
	int rc = fr_catalog_open_embedded(&o, &c, &err);
	ck_assert_msg(rc == 0, "open %s: %s", home, err.msg);
	return c;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A registration whose every field depends on (tag, nparts), so a reader can tell which
 * put it sees and whether the fields belong together. */
typedef struct made {
	fr_dataset ds;
	fr_dataset_part parts[64];
	char names[64][48];
	char regat[40], basepath[64], schema[64], shortschema[64];
} made;

static void make_ds(made *m, const char *name, int tag, int nparts)
{
	memset(m, 0, sizeof *m);
	ck_assert_int_le(nparts, 64);
	/* Later tags register later (list order). */
	snprintf(m->regat, sizeof m->regat, "2026-01-%02dT%02d:%02d:%02d.%06dZ", 1 + tag / 86400,
	         tag / 3600 % 24, tag / 60 % 60, tag % 60, tag % 1000000);
	snprintf(m->basepath, sizeof m->basepath, "/data/v%d/", tag);
	snprintf(m->schema, sizeof m->schema, "{\"tag\": %d, \"full\": true}", tag);
	snprintf(m->shortschema, sizeof m->shortschema, "{\"tag\": %d}", tag);
	int64_t total = 0;
	for (int i = 0; i < nparts; i++) {
		snprintf(m->names[i], sizeof m->names[i], "part-%d-%03d.parquet", tag, i);
		m->parts[i].name = m->names[i];
		m->parts[i].size = UINT64_C(1000) * (uint64_t)tag + (uint64_t)i;
		total += (int64_t)m->parts[i].size;
	}
	m->ds = (fr_dataset){
		.name = name, .registered_at = m->regat, .basepath = m->basepath,
		.group_col = "user id", .ts_col = "ts", .total_parts = nparts, .total_size = total,
		.parts = nparts ? m->parts : NULL, .schema_json = m->schema,
		.short_schema_json = m->shortschema,
	};
}

/* A dataset read back is one whole registration of make_ds: returns its tag, or fails. */
static int check_whole(const fr_dataset *d)
{
	int tag = -1;
	ck_assert_int_eq(sscanf(d->basepath, "/data/v%d/", &tag), 1);
	made m;
	make_ds(&m, d->name, tag, (int)d->total_parts);
	ck_assert_str_eq(d->registered_at, m.regat);
	ck_assert_int_eq(d->total_size, m.ds.total_size);
	ck_assert_str_eq(d->schema_json, m.schema);
	ck_assert_str_eq(d->short_schema_json, m.shortschema);
	for (int64_t i = 0; i < d->total_parts; i++) {
		ck_assert_str_eq(d->parts[i].name, m.names[i]);
		ck_assert_uint_eq(d->parts[i].size, m.parts[i].size);
	}
	return tag;
}

static void put_ok(fr_catalog *c, const fr_dataset *ds)
{
	fr_err err = { 0 };
	int rc = fr_catalog_put(c, ds, &err);
	ck_assert_msg(rc == 0, "put: %s", err.msg);
}

static size_t slurp(const char *path, unsigned char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	size_t n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

/* ---- names ------------------------------------------------------------------------------- */

START_TEST(name_rules)
{
	fr_err err = { 0 };
	char max[FR_DATASET_NAME_MAX + 2];
	memset(max, 'x', sizeof max);
	max[FR_DATASET_NAME_MAX] = '\0';
	ck_assert_int_eq(fr_catalog_check_name(max, &err), 0);
	max[FR_DATASET_NAME_MAX] = 'x';
	max[FR_DATASET_NAME_MAX + 1] = '\0';
	ck_assert_int_eq(fr_catalog_check_name(max, &err), FR_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "longer than 256 bytes"));

	char emoji[FR_DATASET_NAME_MAX + 1] = "";
	for (int i = 0; i < FR_DATASET_NAME_MAX / 4; i++)
		strcat(emoji, "\xf0\x9f\x9a\x80");   /* U+1F680, 4 bytes: exactly 256 */
	ck_assert_int_eq(fr_catalog_check_name(emoji, &err), 0);

	static const char *const good[] = {
		"a", "with space", " lead and trail ", "quo'te\"s", "back\\slash", "semi;colon--",
		"caf\xc3\xa9", "\xe4\xb8\xad\xe6\x96\x87", "\xef\xbb\xbf" "bom", "\xf4\x8f\xbf\xbf",
		"\xc2\xa0nbsp", "%s%n", "Robert'); DROP TABLE datasets;--",
	};
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		ck_assert_msg(fr_catalog_check_name(good[i], &err) == 0, "good[%zu]: %s", i, err.msg);

	static const struct { const char *name, *msg; } bad[] = {
		{ "", "empty" },
		{ "new\nline", "control character (U+000A at offset 3)" },
		{ "tab\t", "control character (U+0009" },
		{ "del\x7f", "control character (U+007F" },
		{ "c1\xc2\x85", "control character (U+0085" },
		{ "\x1b[31mred", "control character (U+001B at offset 0)" },
		{ "\xc0\xaf", "byte 0xc0 at offset 0" },
		{ "\xc1\xbf", "byte 0xc1" },
		{ "\xe0\x80\xaf", "overlong" },
		{ "\xf0\x80\x80\xaf", "overlong" },
		{ "\xed\xa0\x80", "surrogate U+D800" },
		{ "\xed\xbf\xbf", "surrogate U+DFFF" },
		{ "\xf4\x90\x80\x80", "above U+10FFFF" },
		{ "\xf5\x80\x80\x80", "byte 0xf5" },
		{ "\xff", "byte 0xff" },
		{ "x\x80", "byte 0x80 at offset 1" },
		{ "end\xf0\x9f\x9a", "truncated sequence at offset 3" },
		{ "\xe2\x28\xa1", "bad continuation byte at offset 1" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		fr_err_clear(&err);
		ck_assert_msg(fr_catalog_check_name(bad[i].name, &err) == FR_EINVAL, "bad[%zu]", i);
		ck_assert_msg(strstr(err.msg, bad[i].msg), "bad[%zu]: '%s' lacks '%s'", i, err.msg,
		              bad[i].msg);
	}
	ck_assert_int_eq(fr_catalog_check_name(NULL, &err), FR_EINVAL);
}
END_TEST

/* ---- round trips ------------------------------------------------------------------------- */

START_TEST(round_trip)
{
	char *home = new_home();
	char longname[FR_DATASET_NAME_MAX + 1];
	memset(longname, 'n', FR_DATASET_NAME_MAX);
	longname[FR_DATASET_NAME_MAX] = '\0';
	const char *const names[] = {
		"plain", "with spaces", "it's \"quoted\"", "rocket \xf0\x9f\x9a\x80 \xe4\xb8\xad",
		"Robert'); DROP TABLE datasets;--", longname,
	};
	enum { N = sizeof names / sizeof names[0] };
	fr_err err = { 0 };
	fr_catalog *c = open_ok(home);
	ck_assert_str_eq(fr_catalog_kind(c), "embedded");
	ck_assert_int_eq(fr_catalog_ping(c, &err), 0);

	/* Odd values in every text field, and part names with spaces, quotes, UTF-8 and bytes
	 * that are not UTF-8 (a Linux file name may hold any byte but '/' and NUL). */
	fr_dataset_part parts[4] = {
		{ "a b.parquet", 1 }, { "it's.parquet", UINT64_C(1) << 40 },
		{ "\xc3\xa9t\xc3\xa9.parquet", 0 }, { "\xff\xfe raw.parquet", 0 },
	};
	for (int i = 0; i < N; i++) {
		char regat[40];
		snprintf(regat, sizeof regat, "2026-03-0%dT10:00:00.00000%dZ", i % 2 + 1, i);
		fr_dataset ds = {
			.name = names[i], .registered_at = regat, .basepath = "file:///da'ta/ x/",
			.group_col = "user \"id\"", .ts_col = "\xe6\x97\xb6\xe9\x97\xb4",
			.total_parts = 4, .total_size = (INT64_C(1) << 40) + 1, .parts = parts,
			.schema_json = "{\"columns\": {\"caf\\u00e9\": \"STRING\"}}",
			.short_schema_json = "{\"k\": 'single'}",
			.has_last_used = 1, .last_used = 99,   /* ignored by put */
		};
		put_ok(c, &ds);
	}
	for (int reopen = 0; reopen < 2; reopen++) {
		fr_arena *a = fr_arena_new(0);
		for (int i = 0; i < N; i++) {
			fr_dataset *d = NULL;
			int rc = fr_catalog_get(c, names[i], FR_DS_PARTS | FR_DS_SCHEMA, a, &d, &err);
			ck_assert_msg(rc == 0, "get %d: %s", i, err.msg);
			ck_assert_str_eq(d->name, names[i]);
			char regat[40];
			snprintf(regat, sizeof regat, "2026-03-0%dT10:00:00.00000%dZ", i % 2 + 1, i);
			ck_assert_str_eq(d->registered_at, regat);
			ck_assert_str_eq(d->basepath, "file:///da'ta/ x/");
			ck_assert_str_eq(d->group_col, "user \"id\"");
			ck_assert_str_eq(d->ts_col, "\xe6\x97\xb6\xe9\x97\xb4");
			ck_assert_int_eq(d->total_parts, 4);
			ck_assert_int_eq(d->total_size, (INT64_C(1) << 40) + 1);
			ck_assert_int_eq(d->has_last_used, 0);
			for (int p = 0; p < 4; p++) {
				ck_assert_str_eq(d->parts[p].name, parts[p].name);
				ck_assert_uint_eq(d->parts[p].size, parts[p].size);
			}
			ck_assert_str_eq(d->schema_json, "{\"columns\": {\"caf\\u00e9\": \"STRING\"}}");
			ck_assert_str_eq(d->short_schema_json, "{\"k\": 'single'}");
			/* INFO alone leaves the rest zero. */
			ck_assert_int_eq(fr_catalog_get(c, names[i], FR_DS_INFO, a, &d, &err), 0);
			ck_assert_ptr_null(d->parts);
			ck_assert_ptr_null(d->schema_json);
			ck_assert_ptr_null(d->short_schema_json);
			ck_assert_int_eq(d->total_parts, 4);
		}
		/* Newest first; equal registered_at by name. */
		fr_dataset *v;
		int n;
		ck_assert_int_eq(fr_catalog_list(c, a, &v, &n, &err), 0);
		ck_assert_int_eq(n, N);
		for (int i = 0; i + 1 < n; i++) {
			int cmp = strcmp(v[i].registered_at, v[i + 1].registered_at);
			ck_assert_msg(cmp > 0 || (cmp == 0 && strcmp(v[i].name, v[i + 1].name) < 0),
			              "list order at %d", i);
			ck_assert_ptr_null(v[i].parts);
		}
		ck_assert_str_eq(v[0].registered_at, "2026-03-02T10:00:00.000005Z");
		fr_arena_free(a);
		fr_catalog_close(c);
		c = open_ok(home);
	}

	/* Errors of get and put. */
	fr_arena *a = fr_arena_new(0);
	fr_dataset *d = (fr_dataset *)1;
	ck_assert_int_eq(fr_catalog_get(c, "nope 'x'", FR_DS_INFO, a, &d, &err), FR_ENOTFOUND);
	ck_assert_str_eq(err.msg, "Dataset 'nope 'x'' not found");
	ck_assert_ptr_null(d);
	ck_assert_int_eq(fr_catalog_get(c, "bad\n", FR_DS_INFO, a, &d, &err), FR_EINVAL);
	ck_assert_int_eq(fr_catalog_get(c, "plain", 8, a, &d, &err), FR_EINVAL);
	made m;
	make_ds(&m, "bad parts", 1, 3);
	m.parts[1].name = "part-0.parquet";                /* before part-1-000: unsorted */
	ck_assert_int_eq(fr_catalog_put(c, &m.ds, &err), FR_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "not sorted"));
	make_ds(&m, "bad parts", 1, 3);
	m.ds.total_size++;
	ck_assert_int_eq(fr_catalog_put(c, &m.ds, &err), FR_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "total_size"));
	make_ds(&m, "bad parts", 1, 3);
	m.ds.schema_json = NULL;
	ck_assert_int_eq(fr_catalog_put(c, &m.ds, &err), FR_EINVAL);
	ck_assert_ptr_nonnull(strstr(err.msg, "schema_json is missing"));
	make_ds(&m, "bad\x01name", 1, 3);
	ck_assert_int_eq(fr_catalog_put(c, &m.ds, &err), FR_EINVAL);
	ck_assert_int_eq(fr_catalog_get(c, "bad parts", FR_DS_INFO, a, &d, &err), FR_ENOTFOUND);
	/* Zero parts is a registration too (the basepath held files that were all... none). */
	make_ds(&m, "empty", 2, 0);
	put_ok(c, &m.ds);
	ck_assert_int_eq(fr_catalog_get(c, "empty", FR_DS_PARTS | FR_DS_SCHEMA, a, &d, &err), 0);
	ck_assert_int_eq(d->total_parts, 0);
	ck_assert_int_eq(check_whole(d), 2);
	fr_arena_free(a);
	fr_catalog_close(c);
	fr_catalog_close(NULL);
	rm_home(home);
}
END_TEST

START_TEST(reregister)
{
	char *home = new_home();
	fr_err err = { 0 };
	fr_catalog *c = open_ok(home);
	fr_arena *a = fr_arena_new(0);
	made m;
	make_ds(&m, "ds", 1, 40);
	put_ok(c, &m.ds);
	make_ds(&m, "neighbour", 7, 5);
	put_ok(c, &m.ds);
	ck_assert_int_eq(fr_catalog_mark_used(c, "ds", 1234, &err), 0);
	fr_dataset *d;
	ck_assert_int_eq(fr_catalog_get(c, "ds", FR_DS_INFO, a, &d, &err), 0);
	ck_assert_int_eq(d->has_last_used, 1);
	ck_assert_int_eq(d->last_used, 1234);

	/* Fewer parts, another basepath: no part of the first registration survives, and the
	 * last-used mark is cleared. */
	make_ds(&m, "ds", 2, 3);
	put_ok(c, &m.ds);
	ck_assert_int_eq(fr_catalog_get(c, "ds", FR_DS_PARTS | FR_DS_SCHEMA, a, &d, &err), 0);
	ck_assert_int_eq(d->total_parts, 3);
	ck_assert_int_eq(check_whole(d), 2);
	ck_assert_int_eq(d->has_last_used, 0);
	ck_assert_int_eq(fr_catalog_get(c, "neighbour", FR_DS_PARTS | FR_DS_SCHEMA, a, &d, &err), 0);
	ck_assert_int_eq(check_whole(d), 7);
	fr_dataset *v;
	int n;
	ck_assert_int_eq(fr_catalog_list(c, a, &v, &n, &err), 0);
	ck_assert_int_eq(n, 2);
	fr_catalog_close(c);

	/* Nothing left behind in the tables themselves. */
	char path[256];
	snprintf(path, sizeof path, "%s/catalog.db", home);
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_stmt *st;
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM parts", -1, &st, NULL), 0);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(st, 0), 3 + 5);
	sqlite3_finalize(st);
	sqlite3_close(db);
	fr_arena_free(a);
	rm_home(home);
}
END_TEST

START_TEST(unregister_guard)
{
	char *home = new_home();
	fr_err err = { 0 };
	fr_catalog *c = open_ok(home);
	fr_arena *a = fr_arena_new(0);
	fr_unregister_res r;
	fr_dataset *d;
	made m;

	/* Never used: goes at once. */
	make_ds(&m, "it's me", 1, 2);
	put_ok(c, &m.ds);
	ck_assert_int_eq(fr_catalog_unregister(c, "it's me", 0, 30, 1000, &r, &err), 0);
	ck_assert(r.success && r.found && !r.has_last_used);
	ck_assert_int_eq(fr_catalog_get(c, "it's me", FR_DS_INFO, a, &d, &err), FR_ENOTFOUND);

	/* Used 10 s ago with a 30 s interval: refused, nothing deleted. */
	put_ok(c, &m.ds);
	ck_assert_int_eq(fr_catalog_mark_used(c, "it's me", 1000, &err), 0);
	ck_assert_int_eq(fr_catalog_unregister(c, "it's me", 0, 30, 1010, &r, &err), 0);
	ck_assert(!r.success && r.found && r.has_last_used);
	ck_assert_int_eq(r.last_used, 1000);
	ck_assert_str_eq(r.message, "Dataset was last used 10 seconds ago, which is less than "
	                 "safety interval 30. Use the 'force' parameter to unregister anyway.");
	ck_assert_int_eq(fr_catalog_get(c, "it's me", FR_DS_PARTS | FR_DS_SCHEMA, a, &d, &err), 0);
	ck_assert_int_eq(check_whole(d), 1);
	/* Exactly the interval: allowed (interval > since is the refusal). */
	ck_assert_int_eq(fr_catalog_unregister(c, "it's me", 0, 30, 1030, &r, &err), 0);
	ck_assert(r.success && r.found && r.has_last_used && r.last_used == 1000);

	/* force, and interval 0, both skip the guard. */
	put_ok(c, &m.ds);
	ck_assert_int_eq(fr_catalog_mark_used(c, "it's me", 1000, &err), 0);
	ck_assert_int_eq(fr_catalog_unregister(c, "it's me", 1, 30, 1001, &r, &err), 0);
	ck_assert(r.success && r.found && r.last_used == 1000 && r.message[0] == '\0');
	put_ok(c, &m.ds);
	ck_assert_int_eq(fr_catalog_mark_used(c, "it's me", 1000, &err), 0);
	ck_assert_int_eq(fr_catalog_unregister(c, "it's me", 0, 0, 1000, &r, &err), 0);
	ck_assert(r.success && r.found);
	/* A last-used in the future (clock jump) is refused, like the original. */
	put_ok(c, &m.ds);
	ck_assert_int_eq(fr_catalog_mark_used(c, "it's me", 2000, &err), 0);
	ck_assert_int_eq(fr_catalog_unregister(c, "it's me", 0, 30, 1000, &r, &err), 0);
	ck_assert(!r.success);
	ck_assert_ptr_nonnull(strstr(r.message, "used -1000 seconds ago"));

	/* Unknown names. */
	ck_assert_int_eq(fr_catalog_unregister(c, "ghost", 0, 30, 1000, &r, &err), 0);
	ck_assert(r.success && !r.found && !r.has_last_used);
	ck_assert_int_eq(fr_catalog_mark_used(c, "ghost", 1000, &err), FR_ENOTFOUND);
	ck_assert_str_eq(err.msg, "Dataset 'ghost' not found");
	ck_assert_int_eq(fr_catalog_unregister(c, "ghost", 0, -1, 1000, &r, &err), FR_EINVAL);
	ck_assert_int_eq(fr_catalog_unregister(c, "", 0, 30, 1000, &r, &err), FR_EINVAL);
	fr_arena_free(a);
	fr_catalog_close(c);
	rm_home(home);
}
END_TEST

/* ---- concurrency --------------------------------------------------------------------------- */

/* One writer: its own handle; puts, marks, gets and unregisters its own names and a shared
 * one.  Returns the number of failed calls (printed). */
static int writer(const char *home, int id, int rounds)
{
	fr_err err = { 0 };
	fr_catalog_opts o = { .home = home, .busy_timeout_ms = 20000 };
	fr_catalog *c = NULL;
	if (fr_catalog_open_embedded(&o, &c, &err)) {
		fprintf(stderr, "writer %d: open: %s\n", id, err.msg);
		return 1;
	}
	int fails = 0;
	for (int r = 0; r < rounds; r++) {
		char name[32];
		snprintf(name, sizeof name, "w%d-%d", id, r % 10);
		made m;
		make_ds(&m, r % 3 ? name : "shared", id * 1000 + r, 1 + r % 17);
		fr_arena *a = fr_arena_new(0);
		fr_dataset *d, *v;
		fr_unregister_res res;
		int n, g;
		if (fr_catalog_put(c, &m.ds, &err) ||
		    fr_catalog_mark_used(c, m.ds.name, r, &err) ||
		    ((g = fr_catalog_get(c, "shared", FR_DS_PARTS | FR_DS_SCHEMA, a, &d, &err)) &&
		     g != FR_ENOTFOUND) ||
		    fr_catalog_list(c, a, &v, &n, &err) ||
		    (r % 5 == 4 && fr_catalog_unregister(c, name, 1, 30, r, &res, &err))) {
			fprintf(stderr, "writer %d round %d: %s\n", id, r, err.msg);
			fails++;
		}
		fr_arena_free(a);
	}
	fr_catalog_close(c);
	return fails;
}

typedef struct warg { const char *home; int id, fails; } warg;

static void *writer_thread(void *p)
{
	warg *w = p;
	w->fails = writer(w->home, w->id, 150);
	return NULL;
}

/* Every dataset in the catalog is one whole registration. */
static int check_catalog(const char *home)
{
	fr_err err = { 0 };
	fr_catalog *c = open_ok(home);
	fr_arena *a = fr_arena_new(0);
	fr_dataset *v;
	int n;
	int rc = fr_catalog_list(c, a, &v, &n, &err);
	ck_assert_msg(rc == 0, "list: %s", err.msg);
	for (int i = 0; i < n; i++) {
		fr_dataset *d;
		rc = fr_catalog_get(c, v[i].name, FR_DS_PARTS | FR_DS_SCHEMA, a, &d, &err);
		ck_assert_msg(rc == 0, "get %s: %s", v[i].name, err.msg);
		check_whole(d);
	}
	fr_arena_free(a);
	fr_catalog_close(c);
	return n;
}

START_TEST(two_threads)
{
	char *home = new_home();
	warg w[2] = { { home, 1, 0 }, { home, 2, 0 } };
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, writer_thread, &w[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	ck_assert_int_eq(w[0].fails + w[1].fails, 0);
	ck_assert_int_gt(check_catalog(home), 0);
	rm_home(home);
}
END_TEST

START_TEST(processes)
{
	/* Four processes start on a home that does not exist yet: they race to create the
	 * directory and the schema, then write at once. */
	char *top = new_home();
	char home[256];
	snprintf(home, sizeof home, "%s/a/b/home", top);
	enum { P = 4 };
	pid_t pid[P];
	for (int i = 0; i < P; i++) {
		pid[i] = fork();
		ck_assert_int_ge(pid[i], 0);
		if (pid[i] == 0)
			_exit(writer(home, i + 1, 100) ? 1 : 0);
	}
	for (int i = 0; i < P; i++) {
		int st;
		ck_assert_int_eq(waitpid(pid[i], &st, 0), pid[i]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "writer process %d failed", i + 1);
	}
	ck_assert_int_gt(check_catalog(home), 0);
	struct stat sb;
	ck_assert_int_eq(stat(home, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0700);
	rm_home(top);
}
END_TEST

/* What many short `frocket` commands do at once: open, one call, close.  The last handle to
 * close checkpoints and removes the WAL while others open; none may see SQLITE_BUSY. */
static int open_call_close(const char *home, int id, int rounds)
{
	int fails = 0;
	for (int r = 0; r < rounds; r++) {
		fr_err err = { 0 };
		fr_catalog_opts o = { .home = home, .busy_timeout_ms = 20000 };
		fr_catalog *c = NULL;
		fr_arena *a = fr_arena_new(0);
		fr_dataset *v;
		int n, rc = fr_catalog_open_embedded(&o, &c, &err);
		if (!rc && id % 2) {
			rc = fr_catalog_list(c, a, &v, &n, &err);
		} else if (!rc) {
			made m;
			char name[32];
			snprintf(name, sizeof name, "storm %d", r % 7);
			make_ds(&m, name, id * 1000 + r, 1 + r % 9);
			rc = fr_catalog_put(c, &m.ds, &err);
		}
		if (rc) {
			fprintf(stderr, "process %d round %d: %s\n", id, r, err.msg);
			fails++;
		}
		fr_arena_free(a);
		fr_catalog_close(c);
	}
	return fails;
}

START_TEST(open_close_storm)
{
	char *home = new_home();
	enum { P = 4 };
	pid_t pid[P];
	for (int i = 0; i < P; i++) {
		pid[i] = fork();
		ck_assert_int_ge(pid[i], 0);
		if (pid[i] == 0)
			_exit(open_call_close(home, i, 150) ? 1 : 0);
	}
	for (int i = 0; i < P; i++) {
		int st;
		ck_assert_int_eq(waitpid(pid[i], &st, 0), pid[i]);
		ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "process %d failed", i);
	}
	ck_assert_int_gt(check_catalog(home), 0);
	rm_home(home);
}
END_TEST

/* A child re-registers datasets with ever new contents, telling the parent after each put;
 * the parent SIGKILLs it at a random instant.  Whatever the instant, the catalog opens and
 * every dataset in it is one whole registration. */
START_TEST(killed_writer)
{
	char *home = new_home();
	unsigned seed = (unsigned)time(NULL) ^ (unsigned)getpid();
	printf("killed_writer: seed %u\n", seed);
	srand(seed);
	int kills_mid_put = 0;
	for (int iter = 0; iter < 20; iter++) {
		int fd[2];
		ck_assert_int_eq(pipe(fd), 0);
		pid_t pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			close(fd[0]);
			fr_err err = { 0 };
			fr_catalog_opts o = { .home = home };
			fr_catalog *c;
			if (fr_catalog_open_embedded(&o, &c, &err)) {
				fprintf(stderr, "child: %s\n", err.msg);
				_exit(2);
			}
			for (int k = 1;; k++) {
				made m;
				char name[32];
				snprintf(name, sizeof name, "victim %d", k % 3);
				make_ds(&m, name, iter * 100000 + k, 1 + (k * 7 + iter) % 64);
				if (fr_catalog_put(c, &m.ds, &err)) {
					fprintf(stderr, "child: %s\n", err.msg);
					_exit(3);
				}
				if (write(fd[1], "x", 1) != 1)
					_exit(4);
			}
		}
		close(fd[1]);
		/* One in four is killed blind (possibly while opening or creating the catalog),
		 * the others after a random number of completed puts plus a random delay. */
		if (iter % 4) {
			int want = 1 + rand() % 20;
			char ch;
			for (int got = 0; got < want; got++)
				ck_assert_int_eq(read(fd[0], &ch, 1), 1);
			kills_mid_put++;
		}
		usleep((useconds_t)(rand() % 3000));
		kill(pid, SIGKILL);
		int st;
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		ck_assert_msg(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
		              "child ended by itself (status %d)", st);
		close(fd[0]);
		check_catalog(home);
	}
	ck_assert_int_gt(kills_mid_put, 0);
	ck_assert_int_gt(check_catalog(home), 0);
	rm_home(home);
}
END_TEST

/* ---- files and homes that are not ours ------------------------------------------------------ */

static void expect_refused(const char *home, int code, const char *needle)
{
	fr_err err = { 0 };
	fr_catalog_opts o = { .home = home };
	fr_catalog *c = (fr_catalog *)1;
	int rc = fr_catalog_open_embedded(&o, &c, &err);
	ck_assert_msg(rc == code, "open %s: rc %d, want %d (%s)", home, rc, code, err.msg);
	ck_assert_ptr_null(c);
	ck_assert_msg(strstr(err.msg, needle), "'%s' lacks '%s'", err.msg, needle);
	printf("refused as expected: %s\n", err.msg);
}

START_TEST(foreign_files)
{
	static unsigned char before[1 << 16], after[1 << 16];
	char *home = new_home();
	char path[256];
	snprintf(path, sizeof path, "%s/catalog.db", home);

	/* Random bytes. */
	FILE *f = fopen(path, "wb");
	ck_assert_ptr_nonnull(f);
	srand(7);
	for (int i = 0; i < 8192; i++)
		fputc(rand() & 0xff, f);
	fclose(f);
	size_t n = slurp(path, before, sizeof before);
	expect_refused(home, FR_ECORRUPT, path);
	expect_refused(home, FR_ECORRUPT, "not a frocket catalog");
	ck_assert_uint_eq(slurp(path, after, sizeof after), n);
	ck_assert(memcmp(before, after, n) == 0);

	/* Another program's SQLite database. */
	unlink(path);
	sqlite3 *db;
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE notes(x); INSERT INTO notes VALUES (1)",
	                              NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	n = slurp(path, before, sizeof before);
	expect_refused(home, FR_ECORRUPT, "another program");
	ck_assert_uint_eq(slurp(path, after, sizeof after), n);
	ck_assert(memcmp(before, after, n) == 0);

	/* A catalog of a newer frocket. */
	unlink(path);
	fr_catalog *c = open_ok(home);
	made m;
	make_ds(&m, "keep me", 3, 4);
	put_ok(c, &m.ds);
	fr_catalog_close(c);
	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	n = slurp(path, before, sizeof before);
	expect_refused(home, FR_EUNSUPPORTED, "newer frocket");
	ck_assert_uint_eq(slurp(path, after, sizeof after), n);
	ck_assert(memcmp(before, after, n) == 0);

	/* A catalog whose pages after the first were overwritten: the header is fine, the data
	 * is not; reads report corruption naming the file (and do not crash). */
	unlink(path);
	c = open_ok(home);
	for (int i = 0; i < 50; i++) {
		char name[32];
		snprintf(name, sizeof name, "ds %d", i);
		make_ds(&m, name, i, 30);
		put_ok(c, &m.ds);
	}
	fr_catalog_close(c);
	n = slurp(path, before, sizeof before);
	ck_assert_uint_gt(n, 3 * 4096);
	int fd = open(path, O_WRONLY);
	ck_assert_int_ge(fd, 0);
	memset(after, 0xa5, n - 4096);
	ck_assert_int_eq(pwrite(fd, after, n - 4096, 4096), (ssize_t)(n - 4096));
	close(fd);
	{
		fr_err err = { 0 };
		fr_catalog_opts o = { .home = home };
		int rc = fr_catalog_open_embedded(&o, &c, &err);
		if (rc == 0) {
			fr_arena *a = fr_arena_new(0);
			fr_dataset *v;
			int cnt;
			rc = fr_catalog_list(c, a, &v, &cnt, &err);
			fr_arena_free(a);
			fr_catalog_close(c);
		}
		ck_assert_int_eq(rc, FR_ECORRUPT);
		ck_assert_ptr_nonnull(strstr(err.msg, path));
		printf("overwritten pages: %s\n", err.msg);
	}

	/* An empty file (touch catalog.db) holds nothing to lose: it becomes a catalog. */
	unlink(path);
	f = fopen(path, "wb");
	fclose(f);
	c = open_ok(home);
	fr_err err = { 0 };
	ck_assert_int_eq(fr_catalog_ping(c, &err), 0);
	fr_catalog_close(c);

	/* catalog.db that is a directory. */
	unlink(path);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	expect_refused(home, FR_EIO, "not a regular file");
	rm_home(home);
}
END_TEST

START_TEST(bad_homes)
{
	char *top = new_home();
	char file[256], home[300];
	snprintf(file, sizeof file, "%s/plain-file", top);
	FILE *f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	fputs("x", f);
	fclose(f);
	/* These stop root too. */
	expect_refused(file, FR_EIO, "is not a directory");
	snprintf(home, sizeof home, "%s/below/home", file);
	expect_refused(home, FR_EIO, "is not a directory");
	expect_refused("", FR_EINVAL, "empty");

	snprintf(home, sizeof home, "%s/locked", top);
	ck_assert_int_eq(mkdir(home, 0500), 0);
	if (geteuid() == 0) {
		printf("bad_homes: running as root, where mode 0500 does not stop writes: the "
		       "non-writable home case is checked only for other users\n");
	} else {
		expect_refused(home, FR_EIO, "not writable");
		/* A catalog that exists but was made read-only. */
		char home2[320], db[340];
		snprintf(home2, sizeof home2, "%s/ro", top);
		fr_catalog_close(open_ok(home2));
		snprintf(db, sizeof db, "%s/catalog.db", home2);
		ck_assert_int_eq(chmod(db, 0400), 0);
		expect_refused(home2, FR_EIO, "not writable");
		snprintf(home, sizeof home, "%s/locked/sub", top);
		expect_refused(home, FR_EIO, "cannot create catalog home");
	}
	rm_home(top);
}
END_TEST

/* ---- timing (printed, not asserted: the goal is for `frocket list`/`info`) ------------------ */

START_TEST(timing_1000)
{
	char *home = new_home();
	fr_err err = { 0 };
	fr_catalog *c = open_ok(home);
	double t0 = now_ms();
	for (int i = 0; i < 1000; i++) {
		made m;
		char name[32];
		snprintf(name, sizeof name, "dataset %04d", i);
		make_ds(&m, name, i, 8);
		put_ok(c, &m.ds);
	}
	double t_put = now_ms() - t0;
	fr_catalog_close(c);

	t0 = now_ms();
	c = open_ok(home);
	double t_open = now_ms() - t0;
	fr_arena *a = fr_arena_new(0);
	fr_dataset *v, *d;
	int n;
	t0 = now_ms();
	ck_assert_int_eq(fr_catalog_list(c, a, &v, &n, &err), 0);
	double t_list = now_ms() - t0;
	ck_assert_int_eq(n, 1000);
	ck_assert_str_eq(v[0].name, "dataset 0999");
	t0 = now_ms();
	ck_assert_int_eq(fr_catalog_get(c, "dataset 0500", FR_DS_PARTS | FR_DS_SCHEMA, a, &d, &err), 0);
	double t_get = now_ms() - t0;
	ck_assert_int_eq(check_whole(d), 500);
	fr_arena_free(a);
	fr_catalog_close(c);
	/* What one `frocket list` pays in the catalog: open, list, close. */
	t0 = now_ms();
	c = open_ok(home);
	a = fr_arena_new(0);
	ck_assert_int_eq(fr_catalog_list(c, a, &v, &n, &err), 0);
	fr_arena_free(a);
	fr_catalog_close(c);
	double t_cycle = now_ms() - t0;
	printf("catalog timing, 1000 datasets x 8 parts: 1000 puts %.1f ms (%.2f ms each), "
	       "open %.2f ms, list %.2f ms, get with parts+schema %.3f ms, open+list+close %.2f ms\n",
	       t_put, t_put / 1000, t_open, t_list, t_get, t_cycle);
	rm_home(home);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("catalog");
	TCase *tc = tcase_create("catalog");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, name_rules);
	tcase_add_test(tc, round_trip);
	tcase_add_test(tc, reregister);
	tcase_add_test(tc, unregister_guard);
	tcase_add_test(tc, two_threads);
	tcase_add_test(tc, processes);
	tcase_add_test(tc, open_close_storm);
	tcase_add_test(tc, killed_writer);
	tcase_add_test(tc, foreign_files);
	tcase_add_test(tc, bad_homes);
	tcase_add_test(tc, timing_1000);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
