/* Unit tests of the dataset schema (src/task/dschema.c): per-part collection on the oracle
 * parts and on files written for each rule (column checks, dtype names, min/max, categorical
 * detection and top values), the merge, the group-id sets and their uniqueness check (with
 * corrupted blobs), and the JSON forms (exact round trips, corrupt documents refused). */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/vec.h"
#include "parquet/format.h"
#include "parquet/parquet.h"
#include "parquet/writer.h"
#include "task/dschema.h"

static char tmpdir[256];

static void make_tmp(void)
{
	snprintf(tmpdir, sizeof tmpdir, "/tmp/fr_test_dschema_XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void rm_tmp(void)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static fr_dschema_opts dopts(void)
{
	fr_dschema_opts o = { 0.1, 20, 0.01 };
	return o;
}

static const char *oracle_path(int i, char *buf, size_t n)
{
	const char *top = getenv("FR_TOP_SRCDIR");
	snprintf(buf, n, "%s/tests/data/oracle/data/part-%05d.parquet", top ? top : ".", i);
	return buf;
}

static const fr_dscol *col(const fr_dschema *s, const char *name)
{
	for (int i = 0; i < s->ncols; i++)
		if (!strcmp(s->cols[i].name, name))
			return &s->cols[i];
	return NULL;
}

static const char *unsup(const fr_dschema *s, const char *name)
{
	for (int i = 0; i < s->nunsup; i++)
		if (!strcmp(s->unsup_names[i], name))
			return s->unsup_types[i];
	return NULL;
}

/* ---- vectors for the writer ---- */

typedef struct tvec {
	fr_vec v;
	uint64_t *valid;
	int64_t *off;
	char *data;
} tvec;

static void set_nulls(tvec *t, const int *isnull, int64_t n)
{
	if (!isnull)
		return;
	t->valid = calloc(FR_BITMAP_WORDS(n) + 1, 8);
	for (int64_t i = 0; i < n; i++)
		if (!isnull[i])
			fr_bit_set(t->valid, i);
		else
			t->v.null_count++;
	t->v.valid = t->v.null_count ? t->valid : NULL;
}

static tvec tv_i64(const int64_t *vals, const int *isnull, int64_t n)
{
	tvec t;
	memset(&t, 0, sizeof t);
	t.v.kind = FR_VEC_I64;
	t.v.len = n;
	t.v.v.i64 = malloc((size_t)(n ? n : 1) * 8);
	for (int64_t i = 0; i < n; i++)
		t.v.v.i64[i] = isnull && isnull[i] ? 0 : vals[i];
	set_nulls(&t, isnull, n);
	return t;
}

static tvec tv_f64(const double *vals, const int *isnull, int64_t n)
{
	tvec t;
	memset(&t, 0, sizeof t);
	t.v.kind = FR_VEC_F64;
	t.v.len = n;
	t.v.v.f64 = malloc((size_t)(n ? n : 1) * 8);
	for (int64_t i = 0; i < n; i++)
		t.v.v.f64[i] = isnull && isnull[i] ? 0 : vals[i];
	set_nulls(&t, isnull, n);
	return t;
}

static tvec tv_bool(const int *vals, const int *isnull, int64_t n)
{
	tvec t;
	memset(&t, 0, sizeof t);
	t.v.kind = FR_VEC_BOOL;
	t.v.len = n;
	t.v.v.b = malloc((size_t)(n ? n : 1));
	for (int64_t i = 0; i < n; i++)
		t.v.v.b[i] = isnull && isnull[i] ? 0 : (uint8_t)(vals[i] != 0);
	set_nulls(&t, isnull, n);
	return t;
}

/* Strings; a NULL entry is a null. */
static tvec tv_str(const char *const *vals, int64_t n)
{
	tvec t;
	memset(&t, 0, sizeof t);
	int *isnull = calloc((size_t)(n ? n : 1), sizeof *isnull);
	size_t total = 0;
	for (int64_t i = 0; i < n; i++) {
		isnull[i] = vals[i] == NULL;
		total += vals[i] ? strlen(vals[i]) : 0;
	}
	t.v.kind = FR_VEC_BIN;
	t.v.len = n;
	t.off = malloc((size_t)(n + 1) * 8);
	t.data = malloc(total + 1);
	t.off[0] = 0;
	for (int64_t i = 0; i < n; i++) {
		size_t l = vals[i] ? strlen(vals[i]) : 0;
		memcpy(t.data + t.off[i], vals[i] ? vals[i] : "", l);
		t.off[i + 1] = t.off[i] + (int64_t)l;
	}
	t.v.dict = (fr_strtab){ (uint32_t)n, t.off, (const uint8_t *)t.data };
	set_nulls(&t, isnull, n);
	free(isnull);
	return t;
}

static void tv_free(tvec *t)
{
	free(t->v.v.ptr);
	free(t->valid);
	free(t->off);
	free(t->data);
}

/* Writes one file of ncols columns, rows split into row groups of rg_rows (0: one). */
/* Writer options of write_file: NULL (the writer's defaults) but in counted_strings. */
static const fr_pqw_opts *write_opts;

static void write_file(const char *path, const fr_pqw_col *cols, int ncols, tvec *vecs,
                       int64_t nrows, int64_t rg_rows)
{
	fr_pqw *w;
	fr_err e = { 0 };
	ck_assert_msg(fr_pqw_open(path, cols, ncols, write_opts, &w, &e) == 0, "%s", e.msg);
	if (rg_rows <= 0)
		rg_rows = nrows;
	for (int64_t at = 0; at < nrows; at += rg_rows) {
		int64_t k = nrows - at < rg_rows ? nrows - at : rg_rows;
		fr_vec part[16];
		uint64_t *bms[16] = { 0 };
		int64_t *offs[16] = { 0 };
		for (int c = 0; c < ncols; c++) {
			/* a window of the vector: values shifted, validity and offsets rebuilt */
			fr_vec v = vecs[c].v;
			v.len = k;
			if (vecs[c].v.valid) {
				bms[c] = calloc(FR_BITMAP_WORDS(k) + 1, 8);
				v.null_count = 0;
				for (int64_t i = 0; i < k; i++) {
					if (fr_bit_get(vecs[c].v.valid, at + i))
						fr_bit_set(bms[c], i);
					else
						v.null_count++;
				}
				v.valid = v.null_count ? bms[c] : NULL;
			}
			switch (v.kind) {
			case FR_VEC_I64: v.v.i64 += at; break;
			case FR_VEC_F64: v.v.f64 += at; break;
			case FR_VEC_BOOL: v.v.b += at; break;
			default: {
				const int64_t *o = vecs[c].v.dict.off + at;
				offs[c] = malloc((size_t)(k + 1) * 8);
				for (int64_t i = 0; i <= k; i++)
					offs[c][i] = o[i] - o[0];
				v.dict = (fr_strtab){ (uint32_t)k, offs[c], vecs[c].v.dict.data + o[0] };
				break;
			}
			}
			part[c] = v;
		}
		ck_assert_msg(fr_pqw_write_row_group(w, k, part, &e) == 0, "%s", e.msg);
		for (int c = 0; c < ncols; c++) {
			free(bms[c]);
			free(offs[c]);
		}
	}
	ck_assert_msg(fr_pqw_close(w, &e) == 0, "%s", e.msg);
}

/* Collects path with group g, timestamp t; returns the status, fills *s and err. */
static int collect_path(const char *path, const char *g, const char *t,
                        const fr_dschema_opts *o, fr_arena *a, fr_dschema **s, fr_buf *ids,
                        fr_err *e)
{
	fr_pq_file *f;
	ck_assert_msg(fr_pq_open_path(path, &f, e) == 0, "%s", e->msg);
	int rc = fr_dschema_collect(f, g, t, o, a, s, ids, e);
	fr_pq_close(f);
	return rc;
}

static void roundtrip(const fr_dschema *s)
{
	for (int pretty = 0; pretty < 2; pretty++) {
		fr_buf b1 = FR_BUF_INIT, b2 = FR_BUF_INIT;
		ck_assert_int_eq(fr_dschema_write_full(s, &b1, pretty), 0);
		fr_arena *a = fr_arena_new(0);
		fr_dschema *p;
		fr_err e = { 0 };
		ck_assert_msg(fr_dschema_parse((const char *)b1.data, b1.len, a, &p, &e) == 0, "%s",
		              e.msg);
		ck_assert_int_eq(fr_dschema_write_full(p, &b2, pretty), 0);
		ck_assert_uint_eq(b1.len, b2.len);
		ck_assert_int_eq(memcmp(b1.data, b2.data, b1.len), 0);
		fr_arena_free(a);
		fr_buf_free(&b1);
		fr_buf_free(&b2);
	}
}

/* ------------------------------------------------------------------------------------------ */

START_TEST(oracle_parts)
{
	fr_dschema_opts o = dopts();
	fr_arena *a = fr_arena_new(0);
	fr_dschema *parts[4];
	fr_buf ids[4];
	const char *names[4];
	char paths[4][4096];
	fr_err e = { 0 };
	for (int i = 0; i < 4; i++) {
		ids[i] = (fr_buf)FR_BUF_INIT;
		names[i] = oracle_path(i, paths[i], sizeof paths[i]);
		ck_assert_msg(collect_path(names[i], "uid", "ts", &o, a, &parts[i], &ids[i], &e) == 0,
		              "%s", e.msg);
		fr_dschema *s = parts[i];
		ck_assert_int_eq(s->ncols, 9);
		ck_assert_int_eq(s->nunsup, 0);
		ck_assert_str_eq(s->group_col, "uid");
		static const char *const nm[9] = { "uid", "ts", "event", "category", "keywords",
		                                   "price", "qty", "member", "score" };
		static const char *const dt[9] = { "int64", "int64", "object", "object", "object",
		                                   "float64", "int64", "bool", "float64" };
		static const fr_coltype ty[9] = { FR_TYPE_INT, FR_TYPE_INT, FR_TYPE_STRING,
		                                  FR_TYPE_STRING, FR_TYPE_STRING, FR_TYPE_FLOAT,
		                                  FR_TYPE_INT, FR_TYPE_BOOL, FR_TYPE_FLOAT };
		for (int c = 0; c < 9; c++) {
			ck_assert_str_eq(s->cols[c].name, nm[c]);
			ck_assert_str_eq(s->cols[c].dtype, dt[c]);
			ck_assert_int_eq(s->cols[c].type, ty[c]);
		}
		/* every numeric min/max equals the decoded values' (whether from stats or not) */
		fr_pq_file *f;
		ck_assert_int_eq(fr_pq_open_path(names[i], &f, &e), 0);
		fr_arena *va = fr_arena_new(0);
		for (int c = 0; c < 9; c++) {
			const fr_dscol *d = &s->cols[c];
			fr_vec v;
			ck_assert_int_eq(fr_pq_load_column(f, c, NULL, va, &v, &e), 0);
			if (d->type == FR_TYPE_INT || d->type == FR_TYPE_FLOAT) {
				double lo = INFINITY, hi = -INFINITY;
				for (int64_t r = 0; r < v.len; r++) {
					if (!fr_vec_valid(&v, r))
						continue;
					double x = v.kind == FR_VEC_I64 ? (double)v.v.i64[r] : v.v.f64[r];
					lo = x < lo ? x : lo;
					hi = x > hi ? x : hi;
				}
				ck_assert(d->has_min && d->has_max);
				ck_assert_msg(d->min == lo && d->max == hi, "part %d column %s", i, d->name);
			} else {
				ck_assert(!d->has_min && !d->has_max);
			}
			if (d->type == FR_TYPE_STRING) {
				/* ratio from the distinct non-null values of the column */
				uint8_t *seen = calloc(v.dict.n + 1, 1);
				int64_t distinct = 0;
				for (int64_t r = 0; r < v.len; r++)
					if (fr_vec_valid(&v, r) && !seen[v.v.codes[r]] && (seen[v.v.codes[r]] = 1))
						distinct++;
				free(seen);
				double ratio = (double)distinct / (double)v.len;
				ck_assert_int_eq(d->categorical, ratio <= 0.1);
				if (d->categorical) {
					ck_assert_msg(d->has_ratio && d->cat_ratio == ratio, "part %d %s: %d %.17g vs %.17g", i, d->name, d->has_ratio, d->cat_ratio, ratio);
					ck_assert_ptr_nonnull(d->top_values);
					ck_assert_int_le(d->ntop, 30);
					ck_assert_int_eq(d->ntop, distinct < 30 ? distinct : 30);
					for (int k = 1; k < d->ntop; k++)
						ck_assert(d->top_freqs[k - 1] > d->top_freqs[k] ||
						          (d->top_freqs[k - 1] == d->top_freqs[k] &&
						           strcmp(d->top_values[k - 1], d->top_values[k]) < 0));
				} else {
					ck_assert(!d->has_ratio && !d->top_values);
				}
			}
		}
		fr_arena_free(va);
		fr_pq_close(f);
		/* event: 5 values, no nulls: all of them, frequencies summing to 1 */
		const fr_dscol *ev = col(s, "event");
		ck_assert(ev->categorical);
		ck_assert_int_eq(ev->ntop, 5);
		double sum = 0;
		for (int k = 0; k < ev->ntop; k++)
			sum += ev->top_freqs[k];
		ck_assert(fabs(sum - 1) < 1e-12);
		roundtrip(s);
	}
	/* the oracle is partitioned by uid: the four sets are disjoint */
	const uint8_t *bl[4];
	size_t ln[4];
	for (int i = 0; i < 4; i++) {
		bl[i] = ids[i].data;
		ln[i] = ids[i].len;
	}
	ck_assert_msg(fr_dschema_ids_check(bl, ln, names, 4, &e) == 0, "%s", e.msg);
	/* a part sampled twice: its ids are in both */
	const uint8_t *b2[3] = { bl[0], bl[1], bl[1] };
	size_t l2[3] = { ln[0], ln[1], ln[1] };
	const char *n2[3] = { "p0", "p1", "p1again" };
	ck_assert_int_eq(fr_dschema_ids_check(b2, l2, n2, 3, &e), FR_EINVAL);
	ck_assert_msg(strstr(e.msg, "Group IDs are not unique across the 3 sampled files!") &&
	              strstr(e.msg, "is in both p1 and p1again"), "%s", e.msg);

	fr_dschema *m;
	ck_assert_msg(fr_dschema_merge((const fr_dschema *const *)parts, names, 4, &o, a, &m, &e) ==
	              0, "%s", e.msg);
	ck_assert_int_eq(m->ncols, 9);
	const fr_dscol *ts = col(m, "ts");
	double lo = INFINITY, hi = -INFINITY;
	for (int i = 0; i < 4; i++) {
		const fr_dscol *t = col(parts[i], "ts");
		lo = t->min < lo ? t->min : lo;
		hi = t->max > hi ? t->max : hi;
	}
	ck_assert(ts->min == lo && ts->max == hi);
	const fr_dscol *ev = col(m, "event");
	ck_assert(ev->categorical && ev->ntop == 5);
	roundtrip(m);

	fr_qschema q;
	ck_assert_int_eq(fr_dschema_qschema(m, a, &q, &e), 0);
	ck_assert_int_eq(q.ncols, 9);
	ck_assert_int_eq(q.group_col, 0);
	ck_assert_int_eq(q.ts_col, 1);
	ck_assert_str_eq(q.names[5], "price");
	ck_assert_int_eq(q.types[7], FR_TYPE_BOOL);

	fr_buf sb = FR_BUF_INIT;
	ck_assert_int_eq(fr_dschema_write_short(m, &sb, 0), 0);
	ck_assert_int_eq(fr_buf_putc(&sb, 0), 0);
	ck_assert_msg(strstr((char *)sb.data, "{\"columns\": {\"uid\": \"INT\", \"ts\": \"INT\", "
	                     "\"event\": \"STRING\", \"category\": \"STRING\", \"keywords\": "
	                     "\"STRING\", \"price\": \"FLOAT\", \"qty\": \"INT\", \"member\": "
	                     "\"BOOL\", \"score\": \"FLOAT\"}, \"minTimestamp\": ") == (char *)sb.data,
	              "%s", (char *)sb.data);
	ck_assert_ptr_nonnull(strstr((char *)sb.data, "\"sourceCategoricals\": [], "
	                             "\"potentialCategoricals\": [\"event\""));
	fr_buf_free(&sb);
	for (int i = 0; i < 4; i++)
		fr_buf_free(&ids[i]);
	fr_arena_free(a);
}
END_TEST

START_TEST(column_checks)
{
	make_tmp();
	char path[512];
	snprintf(path, sizeof path, "%s/c.parquet", tmpdir);
	int64_t n = 6;
	int64_t gi[6] = { 1, 2, 3, 4, 5, 6 }, ti[6] = { 10, 11, 12, 13, 14, 15 };
	double gf[6] = { 1, 2, 3, 4, 5, 6 }, tf[6] = { 1, 2, NAN, 4, 5, 6 };
	int bv[6] = { 1, 0, 1, 0, 1, 0 };
	int onenull[6] = { 0, 0, 0, 1, 0, 0 };
	fr_pqw_col cols[7] = {
		{ "g", FR_PQ_INT64, 1, 0, 0 },      /* null in row 3 */
		{ "gf", FR_PQ_DOUBLE, 0, 0, 0 },
		{ "gok", FR_PQ_INT64, 0, 0, 0 },
		{ "tnan", FR_PQ_DOUBLE, 0, 0, 0 },
		{ "tnull", FR_PQ_INT64, 1, 0, 0 },
		{ "tb", FR_PQ_BOOLEAN, 0, 0, 0 },
		{ "t", FR_PQ_INT64, 0, 0, 0 },
	};
	tvec v[7] = { tv_i64(gi, onenull, n), tv_f64(gf, NULL, n), tv_i64(gi, NULL, n),
	              tv_f64(tf, NULL, n), tv_i64(ti, onenull, n), tv_bool(bv, NULL, n),
	              tv_i64(ti, NULL, n) };
	write_file(path, cols, 7, v, n, 0);
	for (int i = 0; i < 7; i++)
		tv_free(&v[i]);

	fr_dschema_opts o = dopts();
	fr_arena *a = fr_arena_new(0);
	fr_dschema *s;
	fr_err e = { 0 };
	static const struct {
		const char *g, *t;
		int rc;
		const char *msg;
	} cases[] = {
		{ "nope", "t", FR_EINVAL, "Column nope not found in file" },
		{ "gf", "t", FR_EINVAL, "Group column gf type must be either integer or string, but "
		  "found: float64" },
		{ "tb", "t", FR_EINVAL, "Group column tb type must be either integer or string, but "
		  "found: bool" },
		{ "g", "t", FR_EINVAL, "Some values in column g are null" },
		{ "gok", "nope", FR_EINVAL, "Column nope not found in file" },
		{ "gok", "tb", FR_EINVAL, "Column tb is not numeric" },
		{ "gok", "tnan", FR_EINVAL, "Column tnan has NaN values" },
		{ "gok", "tnull", FR_EINVAL, "Column tnull has NaN values" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc = collect_path(path, cases[i].g, cases[i].t, &o, a, &s, NULL, &e);
		ck_assert_msg(rc == cases[i].rc, "case %zu: rc %d (%s)", i, rc, e.msg);
		ck_assert_msg(strstr(e.msg, cases[i].msg) != NULL, "case %zu: %s", i, e.msg);
		ck_assert_msg(strstr(e.msg, "c.parquet") != NULL, "case %zu names the part: %s", i,
		              e.msg);
	}
	/* a FLOAT timestamp without NaN is fine, and a group column may be the first INT one */
	ck_assert_msg(collect_path(path, "gok", "gf", &o, a, &s, NULL, &e) == 0, "%s", e.msg);
	ck_assert(col(s, "gf")->min == 1 && col(s, "gf")->max == 6);
	/* INT with nulls stays INT (decision 11): min/max ignore the null */
	ck_assert_msg(collect_path(path, "gok", "t", &o, a, &s, NULL, &e) == 0, "%s", e.msg);
	const fr_dscol *g = col(s, "g");
	ck_assert_int_eq(g->type, FR_TYPE_INT);
	ck_assert_str_eq(g->dtype, "int64");
	ck_assert(g->has_min && g->min == 1 && g->max == 6);
	const fr_dscol *tn = col(s, "tnan");
	ck_assert(tn->type == FR_TYPE_FLOAT && tn->min == 1 && tn->max == 6);   /* NaN ignored */
	ck_assert_int_eq(col(s, "tb")->type, FR_TYPE_BOOL);
	roundtrip(s);
	fr_arena_free(a);
	rm_tmp();
}
END_TEST

START_TEST(dtypes_and_unsupported)
{
	make_tmp();
	char path[512];
	snprintf(path, sizeof path, "%s/d.parquet", tmpdir);
	int64_t n = 4;
	int64_t small[4] = { 3, 1, 200, 7 }, big[4] = { 5, -1, 7, 9 };   /* -1: 2^64-1 as UINT_64 */
	int64_t ts[4] = { 100, 200, 300, 400 };
	int bv[4] = { 1, 0, 1, 1 }, nullmix[4] = { 0, 1, 0, 1 }, allnull[4] = { 1, 1, 1, 1 };
	double fv[4] = { 0, 0, 0, 0 };
	fr_pqw_col cols[11] = {
		{ "u8", FR_PQ_INT32, 0, 0, FR_PQ_CT_UINT_8 },
		{ "u16", FR_PQ_INT32, 0, 0, FR_PQ_CT_UINT_16 },
		{ "u32", FR_PQ_INT32, 0, 0, FR_PQ_CT_UINT_32 },
		{ "u64", FR_PQ_INT64, 0, 0, FR_PQ_CT_UINT_64 },
		{ "i16", FR_PQ_INT32, 0, 0, FR_PQ_CT_INT_16 },
		{ "i32", FR_PQ_INT32, 0, 0, 0 },
		{ "ts", FR_PQ_INT64, 0, 0, FR_PQ_CT_TIMESTAMP_MILLIS },
		{ "nb", FR_PQ_BOOLEAN, 1, 0, 0 },
		{ "__cond_x", FR_PQ_INT64, 0, 0, 0 },
		{ "dec", FR_PQ_INT64, 0, 0, FR_PQ_CT_DECIMAL },
		{ "fnull", FR_PQ_FLOAT, 1, 0, 0 },
	};
	tvec v[11] = { tv_i64(small, NULL, n), tv_i64(small, NULL, n), tv_i64(small, NULL, n),
	               tv_i64(big, NULL, n), tv_i64(small, NULL, n), tv_i64(small, NULL, n),
	               tv_i64(ts, NULL, n), tv_bool(bv, nullmix, n), tv_i64(small, NULL, n),
	               tv_i64(small, NULL, n), tv_f64(fv, allnull, n) };
	write_file(path, cols, 11, v, n, 0);
	for (int i = 0; i < 11; i++)
		tv_free(&v[i]);
	fr_dschema_opts o = dopts();
	fr_arena *a = fr_arena_new(0);
	fr_dschema *s;
	fr_err e = { 0 };
	ck_assert_msg(collect_path(path, "i32", "ts", &o, a, &s, NULL, &e) == 0, "%s", e.msg);
	ck_assert_str_eq(col(s, "u8")->dtype, "uint8");
	ck_assert_str_eq(col(s, "u16")->dtype, "uint16");
	ck_assert_str_eq(col(s, "u32")->dtype, "uint32");
	ck_assert_str_eq(col(s, "i16")->dtype, "int16");
	ck_assert_str_eq(col(s, "i32")->dtype, "int32");
	ck_assert_str_eq(col(s, "ts")->dtype, "int64");
	ck_assert_int_eq(col(s, "ts")->type, FR_TYPE_INT);
	/* an unsigned 64-bit column holding a value above INT64_MAX cannot be queried (the
	 * reader refuses it by name): registration lists it as unsupported */
	ck_assert_ptr_null(col(s, "u64"));
	ck_assert_str_eq(unsup(s, "u64"), "uint64");
	ck_assert(col(s, "u8")->min == 1 && col(s, "u8")->max == 200);
	/* nullable BOOL is supported (decision 11) */
	ck_assert_int_eq(col(s, "nb")->type, FR_TYPE_BOOL);
	ck_assert_str_eq(col(s, "nb")->dtype, "bool");
	/* all-null FLOAT column: no min/max */
	ck_assert(!col(s, "fnull")->has_min && !col(s, "fnull")->has_max);
	ck_assert_ptr_null(col(s, "__cond_x"));
	ck_assert_str_eq(unsup(s, "__cond_x"), "int64");
	ck_assert_ptr_null(col(s, "dec"));
	ck_assert_str_eq(unsup(s, "dec"), "object");
	ck_assert_int_eq(s->ncols, 8);
	ck_assert_int_eq(s->nunsup, 3);
	/* a reserved name cannot be the group column */
	ck_assert_int_eq(collect_path(path, "__cond_x", "ts", &o, a, &s, NULL, &e), FR_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "__cond_x"));
	ck_assert_msg(collect_path(path, "i32", "ts", &o, a, &s, NULL, &e) == 0, "%s", e.msg);
	roundtrip(s);
	fr_buf b = FR_BUF_INIT;
	ck_assert_int_eq(fr_dschema_write_full(s, &b, 0), 0);
	fr_buf_putc(&b, 0);
	ck_assert_ptr_nonnull(strstr((char *)b.data, "\"unsupportedColumns\": {\"u64\": "
	                             "\"uint64\", \"__cond_x\": \"int64\", \"dec\": \"object\"}}"));
	ck_assert_ptr_nonnull(strstr((char *)b.data, "\"fnull\": {\"name\": \"fnull\", \"dtypeName\": "
	                             "\"float32\", \"coltype\": \"FLOAT\", \"colattrs\": "
	                             "{\"numericMin\": null, \"numericMax\": null, \"categorical\": "
	                             "false, \"catTopValues\": null, \"catUniqueRatio\": null}}"));
	fr_buf_free(&b);
	fr_arena_free(a);
	rm_tmp();
}
END_TEST

START_TEST(categorical_rules)
{
	make_tmp();
	char path[512];
	snprintf(path, sizeof path, "%s/k.parquet", tmpdir);
	enum { N = 100 };
	const char *ten[N], *eleven[N], *topv[N], *allnull[N], *uniq[N];
	char buf[N][16], ubuf[N][16];
	int64_t g[N], ts[N];
	for (int i = 0; i < N; i++) {
		snprintf(buf[i], sizeof buf[i], "v%d", i % 10);
		ten[i] = buf[i];
		eleven[i] = i == 99 ? "extra" : buf[i];
		/* a 40, b 20, c 20, d 10, null 10: ties between b and c go by value */
		topv[i] = i < 40 ? "a" : i < 60 ? "c" : i < 80 ? "b" : i < 90 ? "d" : NULL;
		allnull[i] = NULL;
		snprintf(ubuf[i], sizeof ubuf[i], "u%d", i);
		uniq[i] = ubuf[i];
		g[i] = i;
		ts[i] = 1000 + i;
	}
	fr_pqw_col cols[7] = {
		{ "g", FR_PQ_INT64, 0, 0, 0 }, { "ts", FR_PQ_INT64, 0, 0, 0 },
		{ "ten", FR_PQ_BYTE_ARRAY, 0, 1, 0 }, { "eleven", FR_PQ_BYTE_ARRAY, 0, 1, 0 },
		{ "top", FR_PQ_BYTE_ARRAY, 1, 1, 0 }, { "none", FR_PQ_BYTE_ARRAY, 1, 1, 0 },
		{ "uniq", FR_PQ_BYTE_ARRAY, 0, 1, 0 },
	};
	tvec v[7] = { tv_i64(g, NULL, N), tv_i64(ts, NULL, N), tv_str(ten, N), tv_str(eleven, N),
	              tv_str(topv, N), tv_str(allnull, N), tv_str(uniq, N) };
	/* four row groups: one dictionary per column chunk; "eleven" reaches its 11th value in
	 * the last one (the first row group alone cannot tell), "uniq" is told by the first */
	write_file(path, cols, 7, v, N, 30);
	for (int i = 0; i < 7; i++)
		tv_free(&v[i]);
	fr_dschema_opts o = dopts();
	o.cat_top_count = 2;   /* a part keeps floor(1.5 * 2) = 3 */
	fr_arena *a = fr_arena_new(0);
	fr_dschema *s;
	fr_err e = { 0 };
	ck_assert_msg(collect_path(path, "g", "ts", &o, a, &s, NULL, &e) == 0, "%s", e.msg);
	const fr_dscol *c = col(s, "ten");
	ck_assert(c->categorical && c->has_ratio && c->cat_ratio == 0.1);   /* ratio <= 0.1 */
	c = col(s, "eleven");
	ck_assert(!c->categorical && !c->has_ratio && !c->top_values);
	c = col(s, "none");
	ck_assert(!c->categorical && !c->has_ratio && !c->top_values);
	c = col(s, "uniq");
	ck_assert(!c->categorical && !c->has_ratio && !c->top_values);
	/* with a ratio of 1, every column is categorical (the first row group decides nothing) */
	o.cat_ratio = 1;
	ck_assert_msg(collect_path(path, "g", "ts", &o, a, &s, NULL, &e) == 0, "%s", e.msg);
	c = col(s, "uniq");
	ck_assert(c->categorical && c->cat_ratio == 1 && c->ntop == 3);
	ck_assert_str_eq(c->top_values[0], "u0");   /* all tied: by value */
	ck_assert_str_eq(c->top_values[2], "u10");
	ck_assert(col(s, "eleven")->categorical);
	o.cat_ratio = 0.1;
	c = col(s, "top");
	ck_assert(c->categorical && c->cat_ratio == 0.04);
	ck_assert_int_eq(c->ntop, 3);
	ck_assert_str_eq(c->top_values[0], "a");
	ck_assert_str_eq(c->top_values[1], "b");
	ck_assert_str_eq(c->top_values[2], "c");
	ck_assert(c->top_freqs[0] == 40.0 / 90 && c->top_freqs[1] == 20.0 / 90 &&
	          c->top_freqs[2] == 20.0 / 90);
	roundtrip(s);
	/* a top count of 0: categorical, but no top values */
	o.cat_top_count = 0;
	ck_assert_msg(collect_path(path, "g", "ts", &o, a, &s, NULL, &e) == 0, "%s", e.msg);
	ck_assert(col(s, "top")->categorical && !col(s, "top")->top_values);
	/* a stricter ratio turns "ten" off */
	o = dopts();
	o.cat_ratio = 0.09;
	ck_assert_msg(collect_path(path, "g", "ts", &o, a, &s, NULL, &e) == 0, "%s", e.msg);
	ck_assert(!col(s, "ten")->categorical && col(s, "top")->categorical);
	/* a string group column */
	ck_assert_msg(collect_path(path, "ten", "ts", &o, a, &s, NULL, &e) == 0, "%s", e.msg);
	fr_arena_free(a);
	rm_tmp();
}
END_TEST

START_TEST(pandas_categorical)
{
	const char *top = getenv("FR_TOP_SRCDIR");
	char path[4096];
	snprintf(path, sizeof path, "%s/tests/data/parquet/duckdb/internal_5994.parquet",
	         top ? top : ".");
	fr_dschema_opts o = dopts();
	fr_arena *a = fr_arena_new(0);
	fr_dschema *s;
	fr_err e = { 0 };
	ck_assert_msg(collect_path(path, "eventId", "eventTime", &o, a, &s, NULL, &e) == 0, "%s",
	              e.msg);
	const fr_dscol *c = col(s, "exfErrorCategory");
	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(c->dtype, "category");
	ck_assert(c->categorical);
	fr_buf b = FR_BUF_INIT;
	ck_assert_int_eq(fr_dschema_write_short(s, &b, 0), 0);
	fr_buf_putc(&b, 0);
	/* listed among the source categoricals, not the potential ones */
	const char *sc = strstr((char *)b.data, "\"sourceCategoricals\": ["),
	           *pc = strstr((char *)b.data, "\"potentialCategoricals\": ["),
	           *nm = strstr((char *)b.data, "\"exfErrorCategory\"]");
	ck_assert(sc && pc && nm && sc < nm && nm < pc);
	fr_buf_free(&b);
	roundtrip(s);
	fr_arena_free(a);
}
END_TEST

START_TEST(damaged_values)
{
	/* Overwritten values in an uncompressed page decode without complaint; the row group's
	 * statistics give them away (the oracle's part 3 damaged the same way is refused). */
	make_tmp();
	char path[512];
	snprintf(path, sizeof path, "%s/dmg.parquet", tmpdir);
	enum { N = 1000 };
	static int64_t g[N], ts[N];
	for (int i = 0; i < N; i++) {
		g[i] = 1000 + i;
		ts[i] = 5000 + i;
	}
	for (int which = 0; which < 2; which++) {
		fr_pqw_col cols[2] = { { which ? "ts" : "g", FR_PQ_INT64, 0, 0, 0 },
		                       { which ? "g" : "ts", FR_PQ_INT64, 0, 0, 0 } };
		fr_pqw_opts wo;
		fr_pqw_opts_default(&wo);
		wo.codec = FR_PQ_CODEC_UNCOMPRESSED;
		wo.dictionary = 0;
		fr_pqw *w;
		fr_err e = { 0 };
		ck_assert_int_eq(fr_pqw_open(path, cols, 2, &wo, &w, &e), 0);
		tvec v[2] = { tv_i64(which ? ts : g, NULL, N), tv_i64(which ? g : ts, NULL, N) };
		fr_vec vv[2] = { v[0].v, v[1].v };
		ck_assert_int_eq(fr_pqw_write_row_group(w, N, vv, &e), 0);
		ck_assert_int_eq(fr_pqw_close(w, &e), 0);
		tv_free(&v[0]);
		tv_free(&v[1]);
		fr_dschema_opts o = dopts();
		fr_arena *a = fr_arena_new(0);
		fr_dschema *s;
		ck_assert_msg(collect_path(path, "g", "ts", &o, a, &s, NULL, &e) == 0, "%s", e.msg);
		FILE *fp = fopen(path, "r+b");
		ck_assert_ptr_nonnull(fp);
		fseek(fp, 200, SEEK_SET);
		for (int i = 0; i < 400; i++)
			fputc(0xff, fp);
		fclose(fp);
		ck_assert_int_eq(collect_path(path, "g", "ts", &o, a, &s, NULL, &e), FR_ECORRUPT);
		ck_assert_msg(strstr(e.msg, "dmg.parquet: column ") && strstr(e.msg, which ? "ts" : "g") &&
		              strstr(e.msg, "statistics"), "%s", e.msg);
		fr_arena_free(a);
	}
	rm_tmp();
}
END_TEST

/* ---- merge ---- */

static fr_dscol mkcol(const char *name, fr_coltype t)
{
	fr_dscol c;
	memset(&c, 0, sizeof c);
	c.name = name;
	c.type = t;
	c.dtype = t == FR_TYPE_INT ? "int64" : t == FR_TYPE_FLOAT ? "float64" : t == FR_TYPE_BOOL ?
	          "bool" : "object";
	return c;
}

START_TEST(merge_rules)
{
	fr_dschema_opts o = dopts();
	fr_arena *a = fr_arena_new(0);
	fr_err e = { 0 };
	const char *topa[3] = { "x", "y", "z" }, *topb[3] = { "x", "w", "z" };
	double fa[3] = { 0.5, 0.3, 0.015 }, fb[3] = { 0.4, 0.2, 0.005 };
	fr_dscol ca[5] = { mkcol("g", FR_TYPE_INT), mkcol("t", FR_TYPE_FLOAT),
	                   mkcol("s", FR_TYPE_STRING), mkcol("b", FR_TYPE_BOOL),
	                   mkcol("s2", FR_TYPE_STRING) };
	fr_dscol cb[5] = { mkcol("s2", FR_TYPE_STRING), mkcol("s", FR_TYPE_STRING),
	                   mkcol("b", FR_TYPE_BOOL), mkcol("t", FR_TYPE_FLOAT),
	                   mkcol("g", FR_TYPE_INT) };
	ca[0].has_min = ca[0].has_max = 1; ca[0].min = 5; ca[0].max = 10;
	cb[4].has_min = cb[4].has_max = 1; cb[4].min = -3; cb[4].max = 8;
	ca[1].has_min = ca[1].has_max = 1; ca[1].min = 0.5; ca[1].max = 1.5;   /* cb[3]: none */
	ca[2].categorical = 1; ca[2].has_ratio = 1; ca[2].cat_ratio = 0.02;
	ca[2].ntop = 3; ca[2].top_values = topa; ca[2].top_freqs = fa;
	cb[1].categorical = 1; cb[1].has_ratio = 1; cb[1].cat_ratio = 0.04;
	cb[1].ntop = 3; cb[1].top_values = topb; cb[1].top_freqs = fb;
	ca[4].categorical = 1; ca[4].has_ratio = 1; ca[4].cat_ratio = 0.05;   /* cb[0]: not */
	ca[4].ntop = 1; ca[4].top_values = topa; ca[4].top_freqs = fa;
	const char *un[1] = { "odd" }, *ut[1] = { "object" };
	fr_dschema A = { "g", "t", ca, 5, un, ut, 1 }, B = { "g", "t", cb, 5, NULL, NULL, 0 };
	const fr_dschema *ps[2] = { &A, &B };
	const char *names[2] = { "part-a", "part-b" };
	fr_dschema *m;
	o.cat_top_count = 3;
	ck_assert_msg(fr_dschema_merge(ps, names, 2, &o, a, &m, &e) == 0, "%s", e.msg);
	ck_assert_int_eq(m->ncols, 5);
	ck_assert_str_eq(m->cols[0].name, "g");   /* the first part's order */
	ck_assert(m->cols[0].min == -3 && m->cols[0].max == 10);
	ck_assert(m->cols[1].has_min && m->cols[1].min == 0.5 && m->cols[1].max == 1.5);
	const fr_dscol *s = &m->cols[2];
	ck_assert(s->categorical && fabs(s->cat_ratio - 0.03) < 1e-15);
	/* sums x .9, y .3, w .2, z .02: the 3 largest, halved */
	ck_assert_int_eq(s->ntop, 3);
	ck_assert_str_eq(s->top_values[0], "x");
	ck_assert_str_eq(s->top_values[1], "y");
	ck_assert_str_eq(s->top_values[2], "w");
	ck_assert(fabs(s->top_freqs[0] - 0.45) < 1e-15 && fabs(s->top_freqs[1] - 0.15) < 1e-15 &&
	          fabs(s->top_freqs[2] - 0.1) < 1e-15);
	ck_assert(!m->cols[4].categorical && !m->cols[4].has_ratio && !m->cols[4].top_values);
	ck_assert_int_eq(m->nunsup, 1);
	ck_assert_str_eq(m->unsup_names[0], "odd");
	roundtrip(m);
	/* minpct drops small entries */
	o.cat_top_minpct = 0.12;
	ck_assert_int_eq(fr_dschema_merge(ps, names, 2, &o, a, &m, &e), 0);
	ck_assert_int_eq(m->cols[2].ntop, 2);
	/* equal schemas merge to themselves */
	const fr_dschema *same[2] = { &A, &A };
	o = dopts();
	ck_assert_int_eq(fr_dschema_merge(same, names, 2, &o, a, &m, &e), 0);
	fr_buf b1 = FR_BUF_INIT, b2 = FR_BUF_INIT;
	fr_dschema *one;
	ck_assert_int_eq(fr_dschema_merge(same, names, 1, &o, a, &one, &e), 0);
	ck_assert_int_eq(fr_dschema_write_full(m, &b1, 1), 0);
	ck_assert_int_eq(fr_dschema_write_full(one, &b2, 1), 0);
	ck_assert(b1.len == b2.len && !memcmp(b1.data, b2.data, b1.len));
	fr_buf_free(&b1);
	fr_buf_free(&b2);

	/* a differing type */
	cb[3].type = FR_TYPE_INT;
	ck_assert_int_eq(fr_dschema_merge(ps, names, 2, &o, a, &m, &e), FR_EINVAL);
	ck_assert_msg(strstr(e.msg, "Schemas differ!") == e.msg &&
	              strstr(e.msg, "column t is FLOAT in part-a and INT in part-b"), "%s", e.msg);
	cb[3].type = FR_TYPE_FLOAT;
	/* a missing column, either way */
	B.ncols = 4;
	ck_assert_int_eq(fr_dschema_merge(ps, names, 2, &o, a, &m, &e), FR_EINVAL);
	ck_assert_msg(strstr(e.msg, "Schemas differ!") && strstr(e.msg, "part-a") &&
	              strstr(e.msg, "part-b") && strstr(e.msg, "column g"), "%s", e.msg);
	const fr_dschema *rev[2] = { &B, &A };
	const char *rnames[2] = { "part-b", "part-a" };
	ck_assert_int_eq(fr_dschema_merge(rev, rnames, 2, &o, a, &m, &e), FR_EINVAL);
	ck_assert_msg(strstr(e.msg, "column g is in part-a only"), "%s", e.msg);
	B.ncols = 5;
	cb[4].name = "G";
	ck_assert_int_eq(fr_dschema_merge(ps, names, 2, &o, a, &m, &e), FR_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "Schemas differ!"));
	fr_arena_free(a);
}
END_TEST

/* ---- group-id sets ---- */

/* A blob built by hand: kind 1 with n int64 values, raw. */
static void hand_blob(fr_buf *b, int kind, const int64_t *v, int n)
{
	fr_buf_append(b, "FRID", 4);
	fr_buf_putc(b, 1);
	fr_buf_putc(b, (uint8_t)kind);
	fr_buf_put_u64le(b, (uint64_t)n);
	fr_buf_putc(b, 0);
	for (int i = 0; i < n; i++)
		fr_buf_put_u64le(b, (uint64_t)v[i]);
}

/* A bitmap-form blob by hand: kind, count, lo, words. */
static void hand_bitmap(fr_buf *b, int kind, uint64_t count, int64_t lo, const uint64_t *w,
                        int nw)
{
	fr_buf_append(b, "FRID", 4);
	fr_buf_putc(b, 1);
	fr_buf_putc(b, (uint8_t)kind);
	fr_buf_put_u64le(b, count);
	fr_buf_putc(b, 2);
	fr_buf_put_u64le(b, (uint64_t)lo);
	for (int i = 0; i < nw; i++)
		fr_buf_put_u64le(b, w[i]);
}

static void ids_of_file(const char *path, const char *g, fr_buf *ids)
{
	fr_dschema_opts o = dopts();
	fr_arena *a = fr_arena_new(0);
	fr_dschema *s;
	fr_err e = { 0 };
	ck_assert_msg(collect_path(path, g, "ts", &o, a, &s, ids, &e) == 0, "%s", e.msg);
	fr_arena_free(a);
}

START_TEST(ids_sets)
{
	make_tmp();
	enum { N = 5000 };
	static int64_t gi[3][N], ts[N];
	static char sbuf[3][N][16];
	const char *gs[3][N];
	/* part 0: even ids, part 1: odd ids (shuffled, repeated), part 2: 4000..8999 */
	for (int i = 0; i < N; i++) {
		gi[0][i] = 2 * (int64_t)((i * 7919) % N) - 6000;
		gi[1][i] = 2 * (int64_t)((i * 104729) % (N / 2)) + 1 - 6000;
		gi[2][i] = 3000 + i;
		ts[i] = i;
		for (int p = 0; p < 3; p++) {
			snprintf(sbuf[p][i], sizeof sbuf[p][i], "u%06lld", (long long)gi[p][i]);
			gs[p][i] = sbuf[p][i];
		}
	}
	fr_buf bi[3], bs[3];
	char paths[3][512];
	for (int p = 0; p < 3; p++) {
		snprintf(paths[p], sizeof paths[p], "%s/p%d.parquet", tmpdir, p);
		fr_pqw_col cols[3] = { { "g", FR_PQ_INT64, 0, 0, 0 }, { "gs", FR_PQ_BYTE_ARRAY, 0, 1, 0 },
		                       { "ts", FR_PQ_INT64, 0, 0, 0 } };
		tvec v[3] = { tv_i64(gi[p], NULL, N), tv_str(gs[p], N), tv_i64(ts, NULL, N) };
		write_file(paths[p], cols, 3, v, N, 0);
		for (int i = 0; i < 3; i++)
			tv_free(&v[i]);
		bi[p] = (fr_buf)FR_BUF_INIT;
		bs[p] = (fr_buf)FR_BUF_INIT;
		ids_of_file(paths[p], "g", &bi[p]);
		ids_of_file(paths[p], "gs", &bs[p]);
	}
	ck_assert_int_eq(bi[0].data[5], 1);
	ck_assert_int_eq(bs[0].data[5], 2);
	ck_assert_int_eq(bi[2].data[14], 2);   /* 5000 ids of one range: a bitmap (640 bytes) */
	ck_assert_int_eq(bs[2].data[14], 1);   /* 5000 strings: compressed */
	uint64_t cnt;
	memcpy(&cnt, bi[1].data + 6, 8);
	ck_assert_uint_eq(cnt, N / 2);          /* distinct */
	const char *names[3] = { "p0", "p1", "p2" };
	fr_err e = { 0 };
	for (int kind = 0; kind < 2; kind++) {
		fr_buf *b = kind ? bs : bi;
		const uint8_t *bl[3] = { b[0].data, b[1].data, b[2].data };
		size_t ln[3] = { b[0].len, b[1].len, b[2].len };
		ck_assert_msg(fr_dschema_ids_check(bl, ln, names, 2, &e) == 0, "%s", e.msg);
		/* part 0 holds the even ids -6000..3998, part 1 the odd ones -5999..-1001, part 2
		 * 3000..7999: the first id shared, in value order and in byte order, is 3000 */
		int rc = fr_dschema_ids_check(bl, ln, names, 3, &e);
		ck_assert_int_eq(rc, FR_EINVAL);
		ck_assert_msg(strstr(e.msg, "Group IDs are not unique across the 3 sampled files!"),
		              "%s", e.msg);
		ck_assert_msg(strstr(e.msg, kind ? "'u003000' is in both p0 and p2" :
		                     "3000 is in both p0 and p2"), "%s", e.msg);
	}
	/* kinds differ */
	const uint8_t *mix[2] = { bi[0].data, bs[1].data };
	size_t mixl[2] = { bi[0].len, bs[1].len };
	ck_assert_int_eq(fr_dschema_ids_check(mix, mixl, names, 2, &e), FR_EINVAL);

	/* corruption: every truncation is refused, every single-byte flip is handled */
	fr_buf small = FR_BUF_INIT;
	int64_t sv[3] = { -5, 7, 9 };
	hand_blob(&small, 1, sv, 3);
	fr_buf *all[3] = { &small, &bi[0], &bs[1] };
	for (int k = 0; k < 3; k++) {
		fr_buf *b = all[k];
		uint8_t *copy = malloc(b->len);
		for (size_t l = 0; l < b->len; l++) {
			memcpy(copy, b->data, l);
			const uint8_t *bl[1] = { copy };
			size_t ln[1] = { l };
			ck_assert_int_eq(fr_dschema_ids_check(bl, ln, names, 1, &e), FR_ECORRUPT);
		}
		size_t step = b->len > 400 ? b->len / 199 : 1;
		for (size_t at = 0; at < b->len; at += step) {
			memcpy(copy, b->data, b->len);
			copy[at] ^= 0x5a;
			const uint8_t *bl[2] = { copy, bi[2].data };
			size_t ln[2] = { b->len, bi[2].len };
			int rc = fr_dschema_ids_check(bl, ln, names, 2, &e);
			ck_assert(rc == 0 || rc == FR_ECORRUPT || rc == FR_EINVAL);
		}
		free(copy);
	}
	/* unsorted and repeated values are refused */
	fr_buf bad = FR_BUF_INIT;
	int64_t unsorted[3] = { 1, 3, 2 }, rep[3] = { 1, 2, 2 };
	hand_blob(&bad, 1, unsorted, 3);
	const uint8_t *bl[1] = { bad.data };
	size_t ln[1] = { bad.len };
	ck_assert_int_eq(fr_dschema_ids_check(bl, ln, names, 1, &e), FR_ECORRUPT);
	ck_assert_ptr_nonnull(strstr(e.msg, "p0"));
	fr_buf_reset(&bad);
	hand_blob(&bad, 1, rep, 3);
	bl[0] = bad.data;
	ck_assert_int_eq(fr_dschema_ids_check(bl, ln, names, 1, &e), FR_ECORRUPT);
	fr_buf_reset(&bad);
	hand_blob(&bad, 3, rep, 0);
	bl[0] = bad.data;
	ln[0] = bad.len;
	ck_assert_int_eq(fr_dschema_ids_check(bl, ln, names, 1, &e), FR_ECORRUPT);
	/* an empty set is fine */
	fr_buf_reset(&bad);
	hand_blob(&bad, 1, rep, 0);
	bl[0] = bad.data;
	ck_assert_int_eq(fr_dschema_ids_check(bl, ln, names, 1, &e), 0);
	/* a list against a bitmap (bi[2]: 3000..7999): the shared id is found and named */
	fr_buf_reset(&bad);
	int64_t one[2] = { -1, 3000 };
	hand_blob(&bad, 1, one, 2);
	const uint8_t *lb[2] = { bad.data, bi[2].data };
	size_t ll[2] = { bad.len, bi[2].len };
	ck_assert_int_eq(fr_dschema_ids_check(lb, ll, names, 2, &e), FR_EINVAL);
	ck_assert_msg(strstr(e.msg, "3000 is in both p0 and p1"), "%s", e.msg);
	/* bitmaps: a good one near the top of int64; a wrong count, a range past INT64_MAX, a
	 * bitmap of strings, a length that is not whole words, an unknown flag */
	uint64_t w2[2] = { 0x5, 0x8000000000000000ULL };
	struct { int kind; uint64_t count; int64_t lo; int nw; int flag; int want; } bm[] = {
		{ 1, 3, INT64_MAX - 127, 2, 2, 0 },
		{ 1, 4, 0, 2, 2, FR_ECORRUPT },
		{ 1, 3, INT64_MAX - 126, 2, 2, FR_ECORRUPT },
		{ 2, 3, 0, 2, 2, FR_ECORRUPT },
		{ 1, 3, 0, 2, 6, FR_ECORRUPT },
	};
	for (size_t i = 0; i < sizeof bm / sizeof *bm; i++) {
		fr_buf_reset(&bad);
		hand_bitmap(&bad, bm[i].kind, bm[i].count, bm[i].lo, w2, bm[i].nw);
		bad.data[14] = (uint8_t)bm[i].flag;
		bl[0] = bad.data;
		ln[0] = bad.len;
		ck_assert_msg(fr_dschema_ids_check(bl, ln, names, 1, &e) == bm[i].want, "bitmap %zu: %s",
		              i, e.msg);
	}
	fr_buf_reset(&bad);
	hand_bitmap(&bad, 1, 3, 0, w2, 2);
	bl[0] = bad.data;
	ln[0] = bad.len - 3;   /* not whole words */
	ck_assert_int_eq(fr_dschema_ids_check(bl, ln, names, 1, &e), FR_ECORRUPT);
	/* the bitmap's ids (0, 2, 127) against a list holding 127 */
	int64_t l127[1] = { 127 };
	fr_buf lst = FR_BUF_INIT;
	hand_blob(&lst, 1, l127, 1);
	const uint8_t *pb[2] = { bad.data, lst.data };
	size_t pl[2] = { bad.len, lst.len };
	ck_assert_int_eq(fr_dschema_ids_check(pb, pl, names, 2, &e), FR_EINVAL);
	ck_assert_msg(strstr(e.msg, "127 is in both p0 and p1"), "%s", e.msg);
	fr_buf_free(&lst);
	fr_buf_free(&bad);
	fr_buf_free(&small);
	for (int p = 0; p < 3; p++) {
		fr_buf_free(&bi[p]);
		fr_buf_free(&bs[p]);
	}
	rm_tmp();
}
END_TEST

/* ---- JSON ---- */

static const char *good_json =
	"{\"groupIdColumn\": \"g\", \"timestampColumn\": \"t\", \"columns\": {"
	"\"g\": {\"name\": \"g\", \"dtypeName\": \"int64\", \"coltype\": \"INT\", \"colattrs\": "
	"{\"numericMin\": 1.0, \"numericMax\": 1e+20, \"categorical\": false, \"catTopValues\": "
	"null, \"catUniqueRatio\": null}}, "
	"\"t\": {\"name\": \"t\", \"dtypeName\": \"float64\", \"coltype\": \"FLOAT\", \"colattrs\": "
	"{\"numericMin\": -0.0, \"numericMax\": 1.8166703e-06, \"categorical\": false, "
	"\"catTopValues\": null, \"catUniqueRatio\": null}}, "
	"\"\\u00e9v\\u00e9nement \\ud83d\\ude00\": {\"name\": \"\\u00e9v\\u00e9nement "
	"\\ud83d\\ude00\", \"dtypeName\": \"object\", \"coltype\": \"STRING\", \"colattrs\": "
	"{\"numericMin\": null, \"numericMax\": null, \"categorical\": true, \"catTopValues\": "
	"{\"a \\\"q\\\"\": 0.5, \"\\n\": 0.1}, \"catUniqueRatio\": 0.001}}, "
	"\"b\": {\"name\": \"b\", \"dtypeName\": \"bool\", \"coltype\": \"BOOL\", \"colattrs\": "
	"{\"numericMin\": null, \"numericMax\": null, \"categorical\": false, \"catTopValues\": "
	"null, \"catUniqueRatio\": null}}}, \"unsupportedColumns\": {\"x\": \"object\"}}";

START_TEST(json_forms)
{
	fr_arena *a = fr_arena_new(0);
	fr_dschema *s;
	fr_err e = { 0 };
	ck_assert_msg(fr_dschema_parse(good_json, strlen(good_json), a, &s, &e) == 0, "%s", e.msg);
	fr_buf b = FR_BUF_INIT;
	ck_assert_int_eq(fr_dschema_write_full(s, &b, 0), 0);
	ck_assert_uint_eq(b.len, strlen(good_json));
	ck_assert_int_eq(memcmp(b.data, good_json, b.len), 0);   /* key order kept */
	fr_buf_free(&b);
	roundtrip(s);
	ck_assert_str_eq(s->cols[2].name, "\xc3\xa9v\xc3\xa9nement \xf0\x9f\x98\x80");
	ck_assert_str_eq(s->cols[2].top_values[0], "a \"q\"");
	ck_assert(signbit(s->cols[1].min));

	fr_buf sh = FR_BUF_INIT;
	ck_assert_int_eq(fr_dschema_write_short(s, &sh, 0), 0);
	fr_buf_putc(&sh, 0);
	ck_assert_str_eq((char *)sh.data, "{\"columns\": {\"g\": \"INT\", \"t\": \"FLOAT\", "
	                 "\"\\u00e9v\\u00e9nement \\ud83d\\ude00\": \"STRING\", \"b\": \"BOOL\"}, "
	                 "\"minTimestamp\": -0.0, \"maxTimestamp\": 1.8166703e-06, "
	                 "\"sourceCategoricals\": [], \"potentialCategoricals\": "
	                 "[\"\\u00e9v\\u00e9nement \\ud83d\\ude00\"]}");
	fr_buf_reset(&sh);
	ck_assert_int_eq(fr_dschema_write_short(s, &sh, 1), 0);
	fr_buf_putc(&sh, 0);
	ck_assert_ptr_nonnull(strstr((char *)sh.data, "{\n  \"columns\": {\n    \"g\": \"INT\",\n"));
	fr_buf_free(&sh);

	/* every prefix is refused */
	size_t n = strlen(good_json);
	for (size_t l = 0; l < n; l++) {
		fr_arena *pa = fr_arena_new(0);
		ck_assert_int_eq(fr_dschema_parse(good_json, l, pa, &s, &e), FR_ECORRUPT);
		fr_arena_free(pa);
	}
	/* each of these edits is refused, with the field named */
	static const struct {
		const char *from, *to, *msg;
	} edits[] = {
		{ "\"categorical\": false", "\"categorical\": 0", "categorical" },
		{ "\"numericMin\": 1.0", "\"numericMin\": \"1\"", "numericMin" },
		{ "\"coltype\": \"INT\"", "\"coltype\": \"DATE\"", "coltype" },
		{ "\"name\": \"g\"", "\"name\": \"h\"", "name" },
		{ "\"name\": \"g\"", "\"name\": 7", "name" },
		{ "\"dtypeName\": \"int64\"", "\"dtypeName\": null", "dtypeName" },
		{ "\"groupIdColumn\": \"g\"", "\"groupIdColumn\": [\"g\"]", "groupIdColumn" },
		{ "{\"x\": \"object\"}", "{\"x\": 1}", "unsupportedColumns" },
		{ "{\"x\": \"object\"}", "[\"x\"]", "unsupportedColumns" },
		{ "\"a \\\"q\\\"\": 0.5", "\"a \\\"q\\\"\": true", "catTopValues" },
		{ "\"catUniqueRatio\": 0.001", "\"catUniqueRatio\": {}", "catUniqueRatio" },
		{ ", \"catUniqueRatio\": 0.001", "", "catUniqueRatio" },
		{ "\"timestampColumn\": \"t\", ", "", "timestampColumn" },
		{ "\"timestampColumn\": \"t\", ", "\"timestampColumn\": \"t\", \"extra\": 1, ",
		  "extra" },
		{ "\"timestampColumn\": \"t\", ", "\"timestampColumn\": \"t\", \"timestampColumn\": "
		  "\"t\", ", "duplicate" },
		{ "\"numericMin\": null, \"numericMax\": null, \"categorical\": false",
		  "\"numericMin\": 1, \"numericMax\": null, \"categorical\": false", "non-numeric" },
		{ "\"categorical\": true", "\"categorical\": false", "non-categorical" },
		{ "\"dtypeName\": \"bool\"", "\"dtypeName\": \"bo\\u0000ol\"", "" },
		{ "\"timestampColumn\": \"t\"", "\"timestampColumn\": \"x\"", "timestampColumn" },
		{ "\"groupIdColumn\": \"g\"", "\"groupIdColumn\": \"b2\"", "groupIdColumn" },
	};
	for (size_t i = 0; i < sizeof edits / sizeof edits[0]; i++) {
		const char *at = strstr(good_json, edits[i].from);
		ck_assert_ptr_nonnull(at);
		fr_buf d = FR_BUF_INIT;
		fr_buf_append(&d, good_json, (size_t)(at - good_json));
		fr_buf_append(&d, edits[i].to, strlen(edits[i].to));
		fr_buf_append(&d, at + strlen(edits[i].from), strlen(at + strlen(edits[i].from)));
		int rc = fr_dschema_parse((const char *)d.data, d.len, a, &s, &e);
		ck_assert_msg(rc == FR_ECORRUPT, "edit %zu accepted", i);
		ck_assert_msg(strstr(e.msg, edits[i].msg), "edit %zu: %s", i, e.msg);
		fr_buf_free(&d);
	}
	ck_assert_int_eq(fr_dschema_parse("[]", 2, a, &s, &e), FR_ECORRUPT);
	ck_assert_int_eq(fr_dschema_parse(NULL, 0, a, &s, &e), FR_ECORRUPT);

	/* qschema: indexes of the group and timestamp columns, refusal when one is absent */
	ck_assert_int_eq(fr_dschema_parse(good_json, strlen(good_json), a, &s, &e), 0);
	fr_qschema q;
	ck_assert_int_eq(fr_dschema_qschema(s, a, &q, &e), 0);
	ck_assert(q.ncols == 4 && q.group_col == 0 && q.ts_col == 1 && q.types[3] == FR_TYPE_BOOL);
	s->ts_col = "x";
	ck_assert_int_eq(fr_dschema_qschema(s, a, &q, &e), FR_EINVAL);
	ck_assert_ptr_nonnull(strstr(e.msg, "x"));
	fr_arena_free(a);
}
END_TEST

/* Registration counts the values of a string column without dictionary pages by hashing the
 * raw values (analyze_strings_counted), and uses the reader's dictionary when every chunk has
 * one.  Both must give the same answers, exactly, at the categorical boundary too. */
static void same_strings(const fr_dscol *x, const fr_dscol *y)
{
	ck_assert_msg(x->categorical == y->categorical && x->has_ratio == y->has_ratio &&
	              (!x->has_ratio || x->cat_ratio == y->cat_ratio) && x->ntop == y->ntop,
	              "column %s: categorical %d/%d ratio %g/%g top %d/%d", x->name, x->categorical,
	              y->categorical, x->cat_ratio, y->cat_ratio, x->ntop, y->ntop);
	for (int i = 0; i < x->ntop; i++) {
		ck_assert_str_eq(x->top_values[i], y->top_values[i]);
		ck_assert(x->top_freqs[i] == y->top_freqs[i]);
	}
}

START_TEST(counted_strings)
{
	make_tmp();
	enum { N = 2000, NC = 7 };
	/* at: exactly 200 distinct values of 2000 rows (ratio 0.1: categorical); above: 201 (just
	 * over: not); nul: nulls and 200 distinct; odd: NUL bytes and broken UTF-8 among the most
	 * frequent (left out of the top values); uniq: every value distinct.  Lengths 0 to 40 go
	 * through every tail of the hash; the frequencies are skewed with ties. */
	static char at[N][48], above[N][48], nul[N][48], odd[N][48], uniq[N][48];
	const char *vat[N], *vabove[N], *vnul[N], *vodd[N], *vuniq[N];
	int64_t g[N], ts[N];
	for (int i = 0; i < N; i++) {
		/* every one of the 200 values in the first 1000 rows, then values 0..36 only:
		 * skewed frequencies, with ties */
		int k = i < 1000 ? i % 200 : i % 37;
		int len = k % 41;
		memset(at[i], 'a' + k % 26, (size_t)len);
		snprintf(at[i] + len, 8, "%d", k);
		if (k == 7)
			at[i][0] = '\0';             /* the empty string is a value like any other */
		vat[i] = at[i];
		memcpy(above[i], at[i], sizeof above[i]);
		if (i == N - 1)
			snprintf(above[i], sizeof above[i], "one more");
		vabove[i] = above[i];
		snprintf(nul[i], sizeof nul[i], "n%d", k);
		vnul[i] = i % 9 == 4 ? NULL : nul[i];
		if (i % 3 == 2)
			snprintf(odd[i], sizeof odd[i], "o%d", k % 50);
		else
			snprintf(odd[i], sizeof odd[i], "%s", i % 3 ? "\xff\xfe" : "x~y");
		vodd[i] = odd[i];
		snprintf(uniq[i], sizeof uniq[i], "unique value number %d", i);
		vuniq[i] = uniq[i];
		g[i] = i;
		ts[i] = 1000 + i;
	}
	fr_pqw_col cols[NC] = {
		{ "g", FR_PQ_INT64, 0, 0, 0 }, { "ts", FR_PQ_INT64, 0, 0, 0 },
		{ "at", FR_PQ_BYTE_ARRAY, 0, 1, 0 }, { "above", FR_PQ_BYTE_ARRAY, 0, 1, 0 },
		{ "nul", FR_PQ_BYTE_ARRAY, 1, 1, 0 }, { "odd", FR_PQ_BYTE_ARRAY, 0, 0, 0 },
		{ "uniq", FR_PQ_BYTE_ARRAY, 0, 1, 0 },
	};
	tvec v[NC] = { tv_i64(g, NULL, N), tv_i64(ts, NULL, N), tv_str(vat, N), tv_str(vabove, N),
	               tv_str(vnul, N), tv_str(vodd, N), tv_str(vuniq, N) };
	for (int64_t i = 0; i < v[5].off[N]; i++)
		if (v[5].data[i] == '~')
			v[5].data[i] = '\0';         /* "x\0y" */
	/* 0: dictionary pages everywhere (the reader's dictionary); 1: none (the counted path);
	 * 2: dictionaries that fill up and fall back to PLAIN pages in mid-chunk */
	char path[3][512];
	fr_pqw_opts wo[3];
	for (int k = 0; k < 3; k++) {
		snprintf(path[k], sizeof path[k], "%s/s%d.parquet", tmpdir, k);
		fr_pqw_opts_default(&wo[k]);
		wo[k].dictionary = k != 1;
		if (k == 2)
			wo[k].dict_limit = 600;
		write_opts = &wo[k];
		write_file(path[k], cols, NC, v, N, 300);
	}
	write_opts = NULL;
	for (int i = 0; i < NC; i++)
		tv_free(&v[i]);
	/* the files are what the test means: every chunk of "at" has a dictionary page in the
	 * first file, none has in the second */
	for (int k = 0; k < 2; k++) {
		fr_pq_file *f;
		fr_err e = { 0 };
		ck_assert_int_eq(fr_pq_open_path(path[k], &f, &e), 0);
		ck_assert_int_eq(fr_pq_num_row_groups(f), 7);
		for (int rg = 0; rg < 7; rg++) {
			fr_pq_chunkinfo ch;
			ck_assert_int_eq(fr_pq_chunk_info(f, rg, fr_pq_column_index(f, "at"), &ch), 0);
			ck_assert_int_eq(ch.dictionary_page_offset >= 0, k == 0);
		}
		fr_pq_close(f);
	}
	static const char *const names[] = { "at", "above", "nul", "odd", "uniq" };
	const double ratios[] = { 0.1, 0.0999, 0.1005, 1 };
	const int tops[] = { 20, 2, 0 };
	fr_arena *a = fr_arena_new(0);
	for (size_t r = 0; r < sizeof ratios / sizeof ratios[0]; r++) {
		for (size_t t = 0; t < sizeof tops / sizeof tops[0]; t++) {
			fr_dschema_opts o = dopts();
			o.cat_ratio = ratios[r];
			o.cat_top_count = tops[t];
			fr_dschema *s[3];
			fr_err e = { 0 };
			for (int k = 0; k < 3; k++)
				ck_assert_msg(collect_path(path[k], "g", "ts", &o, a, &s[k], NULL, &e) == 0,
				              "%s", e.msg);
			for (size_t c = 0; c < sizeof names / sizeof names[0]; c++) {
				same_strings(col(s[0], names[c]), col(s[1], names[c]));
				same_strings(col(s[0], names[c]), col(s[2], names[c]));
			}
			if (r == 0 && t == 0) {
				/* the boundary itself, and the answers that do not depend on the path */
				const fr_dscol *c = col(s[1], "at");
				ck_assert(c->categorical && c->has_ratio && c->cat_ratio == 0.1);
				ck_assert_int_eq(c->ntop, 30);
				ck_assert(!col(s[1], "above")->categorical && !col(s[1], "above")->has_ratio);
				c = col(s[1], "nul");
				ck_assert(c->categorical && c->cat_ratio == 0.1);
				double sum = 0;
				for (int i = 0; i < c->ntop; i++)
					sum += c->top_freqs[i];
				ck_assert(sum > 0 && sum <= 1);
				c = col(s[1], "odd");
				ck_assert(c->categorical);
				for (int i = 0; i < c->ntop; i++)
					ck_assert(strcmp(c->top_values[i], "x") && strcmp(c->top_values[i],
					          "\xff\xfe"));
				ck_assert(!col(s[1], "uniq")->categorical);
				roundtrip(s[1]);
			}
		}
	}
	fr_arena_free(a);
	rm_tmp();
}
END_TEST

/* The int id set of one blob (header checked), decompressed when it is compressed. */
static int64_t *blob_ints(const fr_buf *b, uint64_t *count)
{
	ck_assert(b->len >= 15 && !memcmp(b->data, "FRID", 4) && b->data[4] == 1 &&
	          b->data[5] == 1);
	memcpy(count, b->data + 6, 8);
	const uint8_t *p = b->data + 15;
	size_t len = b->len - 15;
	uint8_t *raw = NULL;
	ck_assert(b->data[14] <= 3);
	if (b->data[14] & 1) {
		uint64_t rl;
		ck_assert(len >= 8);
		memcpy(&rl, p, 8);
		raw = malloc(rl ? rl : 1);
		ck_assert_uint_eq(ZSTD_decompress(raw, rl, p + 8, len - 8), rl);
		p = raw;
		len = rl;
	}
	int64_t *v;
	if (b->data[14] & 2) {   /* a bitmap: u64 lo, then words; bit d is lo + d */
		ck_assert(len >= 8 && (len - 8) % 8 == 0);
		uint64_t lo;
		memcpy(&lo, p, 8);
		v = malloc((*count ? *count : 1) * sizeof *v);
		uint64_t k = 0;
		for (size_t w = 0; w < (len - 8) / 8; w++) {
			uint64_t bits;
			memcpy(&bits, p + 8 + 8 * w, 8);
			for (int d = 0; d < 64; d++)
				if (bits >> d & 1) {
					ck_assert(k < *count);
					v[k++] = (int64_t)(lo + 64 * (uint64_t)w + (uint64_t)d);
				}
		}
		ck_assert_uint_eq(k, *count);
	} else {
		ck_assert_uint_eq(len, *count * 8);
		v = malloc((len ? len : 1));
		memcpy(v, p, len);   /* little-endian host */
	}
	free(raw);
	return v;
}

static int cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
	return a < b ? -1 : a > b;
}

START_TEST(ids_dense_and_sparse)
{
	/* The distinct ids come from a bitmap over their range when it is narrow (span / 64 <
	 * rows), else from a sort: both must give the sorted distinct set, on either side of the
	 * switch, across zero and at the ends of int64. */
	make_tmp();
	enum { N = 3000 };
	static int64_t g[N], ts[N], want[N];
	char path[512];
	snprintf(path, sizeof path, "%s/i.parquet", tmpdir);
	for (int t = 0; t < 7; t++) {
		for (int i = 0; i < N; i++) {
			int64_t k = (int64_t)((i * 7919) % (N / 2));   /* shuffled, each twice */
			switch (t) {
			case 0: g[i] = k - 700; break;                        /* across zero */
			case 1: g[i] = INT64_MIN + k; break;                   /* the bottom end */
			case 2: g[i] = INT64_MAX - k; break;                   /* the top end */
			case 3: g[i] = k % 5 == 0 ? INT64_MIN : k % 5 == 1 ? INT64_MAX : k; break;
			/* one id far out: span / 64 == N - 1 (bitmap), then == N (sort) */
			case 4: g[i] = i == 17 ? (int64_t)64 * (N - 1) : k; break;
			case 5: g[i] = i == 17 ? (int64_t)64 * N : k; break;
			default: g[i] = k * 1000003 - 5; break;                /* sparse, spread */
			}
			ts[i] = i;
			want[i] = g[i];
		}
		qsort(want, N, sizeof *want, cmp_i64);
		size_t m = 0;
		for (size_t i = 0; i < N; i++)
			if (!m || want[i] != want[m - 1])
				want[m++] = want[i];
		fr_pqw_col cols[2] = { { "g", FR_PQ_INT64, 0, 0, 0 }, { "ts", FR_PQ_INT64, 0, 0, 0 } };
		tvec v[2] = { tv_i64(g, NULL, N), tv_i64(ts, NULL, N) };
		write_file(path, cols, 2, v, N, 1000);
		tv_free(&v[0]);
		tv_free(&v[1]);
		fr_buf b = FR_BUF_INIT;
		ids_of_file(path, "g", &b);
		uint64_t cnt;
		int64_t *got = blob_ints(&b, &cnt);
		ck_assert_msg(cnt == m, "case %d: %llu ids, want %zu", t, (unsigned long long)cnt, m);
		ck_assert_msg(!memcmp(got, want, m * 8), "case %d: ids differ", t);
		free(got);
		fr_buf_free(&b);
	}
	rm_tmp();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dschema");
	TCase *tc = tcase_create("dschema");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, oracle_parts);
	tcase_add_test(tc, column_checks);
	tcase_add_test(tc, dtypes_and_unsupported);
	tcase_add_test(tc, categorical_rules);
	tcase_add_test(tc, pandas_categorical);
	tcase_add_test(tc, damaged_values);
	tcase_add_test(tc, merge_rules);
	tcase_add_test(tc, ids_sets);
	tcase_add_test(tc, json_forms);
	tcase_add_test(tc, counted_strings);
	tcase_add_test(tc, ids_dense_and_sparse);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
