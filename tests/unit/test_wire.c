/* Unit tests for src/query/wire.c: part results of real queries survive encode -> decode ->
 * merge with the same response document as merging the originals; truncated, corrupted and
 * foreign encodings are refused (FR_ECORRUPT) or decode to a result the merge and the writer
 * take, never a crash. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jw.h"
#include "query/query.h"
#include "query/wire.h"
#include "query_testdata.h"

/* Documents over EV, written with ' for ", covering every aggregation type, both sum kinds,
 * timeframes, conditions, and funnels with step and end aggregations. */
static const char *ev_docs[] = {
	"{}",
	"{'query':{'aggregations':[{'column':'event'}]}}",
	"{'query':{'aggregations':[{'column':'event','type':'count'},"
	"{'column':'tag','type':'countPerValue'},{'column':'tag','type':'groupsPerValue'},"
	"{'column':'event','type':'sumPerValue','otherColumn':'qty'},"
	"{'column':'event','type':'sumPerValue','otherColumn':'price'},"
	"{'column':'tag','type':'meanPerValue','otherColumn':'price','name':'m'}]}}",
	"{'timeframe':{'from':110,'to':300},'query':{'conditions':[{'filter':['event','==','buy']}],"
	"'aggregations':[{'column':'price','type':'sumPerValue','otherColumn':'qty'}]}}",
	"{'funnel':{'sequence':[{'filter':['event','==','view']},{'filter':['event','==','buy']}],"
	"'stepAggregations':[{'column':'price','type':'sumPerValue','otherColumn':'qty'},"
	"{'column':'uid','type':'count'}],"
	"'endAggregations':[{'column':'tag','type':'countPerValue'},"
	"{'column':'flag','type':'groupsPerValue'}]}}",
	"{'query':{'conditions':[{'filter':['event','==','cart']}]},'funnel':{'sequence':["
	"{'filter':['event','==','view']},{'filter':['event','==','cart']}]}}",
	"{'funnel':{'sequence':[{'filter':['event','==','view']}],"
	"'endAggregations':[{'column':'ts','type':'meanPerValue','otherColumn':'qty'}]}}",
};
#define NDOCS (int)(sizeof ev_docs / sizeof ev_docs[0])

static fr_arena *ev_arena;
static const fr_vec *cols_a[EV_NCOLS], *cols_b[EV_NCOLS];
static fr_qpart parts[2];

static void setup(void)
{
	ev_arena = fr_arena_new(0);
	ev_part(ev_arena, 0, 8, cols_a, &parts[0]);
	ev_part(ev_arena, 8, 12, cols_b, &parts[1]);
}

static void teardown(void)
{
	fr_arena_free(ev_arena);
}

static fr_query *parse(const char *doc, fr_arena *a)
{
	char *text = strdup(doc);
	for (char *p = text; *p; p++)
		if (*p == '\'')
			*p = '"';
	fr_query *q;
	fr_qerror qe;
	int rc = fr_query_parse(text, strlen(text), &ev_schema, a, &q, &qe);
	ck_assert_msg(rc == 0, "%s: %s", doc, qe.msg);
	free(text);
	return q;
}

/* The {"funnel", "query"} members of a merged result, plus the scanned counts. */
static char *render(const fr_query *q, const fr_qresult *r)
{
	fr_buf b = FR_BUF_INIT;
	fr_jw w;
	fr_jw_init(&w, &b, 0);
	fr_jw_open(&w, '{');
	ck_assert_int_eq(fr_qresult_write(q, r, &w), 0);
	fr_jw_close(&w, '}');
	fr_buf_printf(&b, " scanned %lld/%lld", (long long)r->scanned_rows,
	              (long long)r->scanned_groups);
	fr_buf_putc(&b, 0);
	char *s = strdup((char *)b.data);
	fr_buf_free(&b);
	return s;
}

/* Runs q over both parts; res[i] are the part results, enc[i] their encodings. */
static void run_parts(const fr_query *q, fr_qresult **res, fr_buf *enc)
{
	fr_err err = { 0 };
	for (int i = 0; i < 2; i++) {
		ck_assert_msg(fr_query_exec(q, &parts[i], &res[i], &err) == 0, "%s", err.msg);
		enc[i] = (fr_buf)FR_BUF_INIT;
		ck_assert_int_eq(fr_qresult_encode(q, res[i], &enc[i], &err), 0);
	}
}

/* Merges the decodings of enc[0..n) into a fresh accumulator and renders it. */
static char *merge_decoded(const fr_query *q, fr_buf *enc, int n)
{
	fr_err err = { 0 };
	fr_qresult *acc;
	ck_assert_int_eq(fr_qresult_new(q, &acc, &err), 0);
	for (int i = 0; i < n; i++) {
		fr_qresult *d;
		int rc = fr_qresult_decode(q, enc[i].data, enc[i].len, &d, &err);
		ck_assert_msg(rc == 0, "decode: %s", err.msg);
		ck_assert_int_eq(fr_qresult_merge(q, acc, d, &err), 0);
		fr_qresult_free(d);
	}
	char *s = render(q, acc);
	fr_qresult_free(acc);
	return s;
}

static void check_doc(const char *doc, int64_t exact_limit)
{
	fr_arena *a = fr_arena_new(0);
	fr_query *q = parse(doc, a);
	if (exact_limit)
		q->exact_limit = exact_limit;   /* force the per-part cut (approximate maps) */
	fr_qresult *res[2];
	fr_buf enc[2];
	run_parts(q, res, enc);
	fr_err err = { 0 };
	fr_qresult *acc;
	ck_assert_int_eq(fr_qresult_new(q, &acc, &err), 0);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(fr_qresult_merge(q, acc, res[i], &err), 0);
	char *want = render(q, acc);
	char *got = merge_decoded(q, enc, 2);
	ck_assert_msg(!strcmp(want, got), "%s\nwant %s\ngot  %s", doc, want, got);
	/* the encoding is deterministic: decode -> encode gives the same bytes */
	fr_qresult *d;
	ck_assert_int_eq(fr_qresult_decode(q, enc[0].data, enc[0].len, &d, &err), 0);
	fr_buf again = FR_BUF_INIT;
	ck_assert_int_eq(fr_qresult_encode(q, d, &again, &err), 0);
	ck_assert(again.len == enc[0].len && !memcmp(again.data, enc[0].data, again.len));
	fr_buf_free(&again);
	fr_qresult_free(d);
	free(want);
	free(got);
	fr_qresult_free(acc);
	for (int i = 0; i < 2; i++) {
		fr_qresult_free(res[i]);
		fr_buf_free(&enc[i]);
	}
	fr_arena_free(a);
}

START_TEST(round_trip_matches_merge)
{
	for (int i = 0; i < NDOCS; i++)
		check_doc(ev_docs[i], 0);
	/* past the exact limit: cut maps carry approximate = 1 across the wire */
	check_doc(ev_docs[2], 1);
	fr_arena *a = fr_arena_new(0);
	fr_query *q = parse(ev_docs[1], a);
	q->exact_limit = 1;
	fr_qresult *res[2];
	fr_buf enc[2];
	run_parts(q, res, enc);
	char *s = merge_decoded(q, enc, 2);
	ck_assert_msg(strstr(s, "\"approximate\": true") != NULL, "%s", s);
	free(s);
	for (int i = 0; i < 2; i++) {
		fr_qresult_free(res[i]);
		fr_buf_free(&enc[i]);
	}
	fr_arena_free(a);
}
END_TEST

/* Keys with every byte value (NUL included) and extreme sums survive. */
START_TEST(round_trip_hand_built)
{
	fr_arena *a = fr_arena_new(0);
	fr_query *q = parse("{'query':{'aggregations':[{'column':'event','type':'sumPerValue',"
	                    "'otherColumn':'qty'},{'column':'event','type':'count'}]}}", a);
	fr_err err = { 0 };
	fr_qresult *r;
	ck_assert_int_eq(fr_qresult_new(q, &r, &err), 0);
	static char keys[3][256];
	for (int i = 0; i < 256; i++)
		keys[0][i] = (char)i;
	fr_qentry e[3] = {
		{ keys[0], 256, 7, ((fr_i128)INT64_MAX << 40) + 5, 1.5, -1e-300 },
		{ keys[1], 0, 0, -((fr_i128)1 << 100), -0.0, 0 },
		{ keys[2], 1, FR_QRESULT_MAX_ROWS, -1, 1e308, 3 },
	};
	r->query.aggs[0].e = e;
	r->query.aggs[0].n = r->query.aggs[0].cap = 3;
	r->query.aggs[0].approximate = 1;
	r->query.aggs[1].count = 42;
	r->query.groups = 3;
	r->query.rows = FR_QRESULT_MAX_ROWS;
	r->scanned_rows = FR_QRESULT_MAX_ROWS;
	r->scanned_groups = 5;
	fr_buf b = FR_BUF_INIT;
	ck_assert_int_eq(fr_qresult_encode(q, r, &b, &err), 0);
	fr_qresult *d;
	ck_assert_msg(fr_qresult_decode(q, b.data, b.len, &d, &err) == 0, "%s", err.msg);
	const fr_qaggres *m = &d->query.aggs[0];
	ck_assert_uint_eq(m->n, 3);
	ck_assert_int_eq(m->approximate, 1);
	for (int i = 0; i < 3; i++) {
		ck_assert_uint_eq(m->e[i].klen, e[i].klen);
		ck_assert(!memcmp(m->e[i].key, e[i].key, e[i].klen));
		ck_assert_int_eq(m->e[i].key[e[i].klen], 0);
		ck_assert_int_eq(m->e[i].cnt, e[i].cnt);
		ck_assert(m->e[i].isum == e[i].isum);
		ck_assert(!memcmp(&m->e[i].fsum, &e[i].fsum, 8));
		ck_assert(!memcmp(&m->e[i].fcomp, &e[i].fcomp, 8));
	}
	ck_assert_int_eq(d->query.aggs[1].count, 42);
	ck_assert_int_eq(d->query.groups, 3);
	ck_assert_int_eq(d->query.rows, FR_QRESULT_MAX_ROWS);
	ck_assert_int_eq(d->scanned_rows, FR_QRESULT_MAX_ROWS);
	ck_assert_int_eq(d->scanned_groups, 5);
	fr_qresult_free(d);
	/* values no part can hold are refused, so merges cannot overflow */
	struct { int64_t *field; int64_t bad; const char *msg; } cases[] = {
		{ &r->scanned_rows, FR_QRESULT_MAX_ROWS + 1, "scanned rows" },
		{ &r->scanned_groups, FR_QRESULT_MAX_ROWS + 1, "scanned groups" },
		{ &r->query.groups, 6, "matching groups" },
		{ &r->query.aggs[1].count, -1, "count out of range" },
		{ &e[0].cnt, INT64_MAX, "entry count" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int64_t keep = *cases[i].field;
		*cases[i].field = cases[i].bad;
		fr_buf_reset(&b);
		ck_assert_int_eq(fr_qresult_encode(q, r, &b, &err), 0);
		ck_assert_int_eq(fr_qresult_decode(q, b.data, b.len, &d, &err), FR_ECORRUPT);
		ck_assert_msg(strstr(err.msg, cases[i].msg), "%s", err.msg);
		*cases[i].field = keep;
	}
	e[1].isum = (fr_i128)1 << 105;
	fr_buf_reset(&b);
	ck_assert_int_eq(fr_qresult_encode(q, r, &b, &err), 0);
	ck_assert_int_eq(fr_qresult_decode(q, b.data, b.len, &d, &err), FR_ECORRUPT);
	ck_assert_msg(strstr(err.msg, "sum out of range"), "%s", err.msg);
	r->query.aggs[0].e = NULL;   /* e lives on the stack, not in r's arena */
	fr_qresult_free(r);
	fr_buf_free(&b);
	fr_arena_free(a);
}
END_TEST

/* Decodes untrusted bytes: either refused as corrupt with a message, or a result that merges
 * and renders. */
static int decode_any(const fr_query *q, const uint8_t *p, size_t n)
{
	uint8_t *exact = malloc(n ? n : 1);   /* exact size: ASan sees any read past the end */
	memcpy(exact, p, n);
	fr_err err = { 0 };
	fr_qresult *d;
	int rc = fr_qresult_decode(q, exact, n, &d, &err);
	free(exact);
	if (rc) {
		ck_assert_int_eq(rc, FR_ECORRUPT);
		ck_assert(err.msg[0] != 0);
		return rc;
	}
	fr_qresult *acc;
	ck_assert_int_eq(fr_qresult_new(q, &acc, &err), 0);
	ck_assert_int_eq(fr_qresult_merge(q, acc, d, &err), 0);
	ck_assert_int_eq(fr_qresult_merge(q, acc, d, &err), 0);
	free(render(q, acc));
	fr_qresult_free(acc);
	fr_qresult_free(d);
	return 0;
}

START_TEST(truncated_and_corrupted)
{
	unsigned seed = 1234;
	int accepted = 0, refused = 0;
	for (int di = 0; di < NDOCS; di++) {
		fr_arena *a = fr_arena_new(0);
		fr_query *q = parse(ev_docs[di], a);
		fr_qresult *res[2];
		fr_buf enc[2];
		run_parts(q, res, enc);
		const fr_buf *e = &enc[0];
		/* every proper prefix is short of something */
		for (size_t len = 0; len < e->len; len++)
			if (decode_any(q, e->data, len) != FR_ECORRUPT)
				ck_abort_msg("%s: prefix of %zu bytes accepted", ev_docs[di], len);
		/* one trailing byte too many */
		uint8_t *longer = malloc(e->len + 1);
		memcpy(longer, e->data, e->len);
		longer[e->len] = 0;
		ck_assert_int_eq(decode_any(q, longer, e->len + 1), FR_ECORRUPT);
		free(longer);
		/* random flips of 1-3 bytes */
		uint8_t *m = malloc(e->len);
		for (int t = 0; t < 400; t++) {
			memcpy(m, e->data, e->len);
			int k = 1 + rand_r(&seed) % 3;
			for (int j = 0; j < k; j++)
				m[rand_r(&seed) % e->len] = (uint8_t)rand_r(&seed);
			if (decode_any(q, m, e->len))
				refused++;
			else
				accepted++;
		}
		free(m);
		/* wrong version, wrong magic */
		uint8_t *v = malloc(e->len);
		memcpy(v, e->data, e->len);
		v[4]++;
		fr_err err = { 0 };
		fr_qresult *d;
		ck_assert_int_eq(fr_qresult_decode(q, v, e->len, &d, &err), FR_ECORRUPT);
		ck_assert_msg(strstr(err.msg, "version") != NULL, "%s", err.msg);
		memcpy(v, e->data, e->len);
		v[0] = 'X';
		ck_assert_int_eq(fr_qresult_decode(q, v, e->len, &d, &err), FR_ECORRUPT);
		ck_assert_msg(strstr(err.msg, "magic") != NULL, "%s", err.msg);
		free(v);
		for (int i = 0; i < 2; i++) {
			fr_qresult_free(res[i]);
			fr_buf_free(&enc[i]);
		}
		fr_arena_free(a);
	}
	/* both outcomes happen: flips in sums and counts decode, flips in lengths do not */
	ck_assert_int_gt(accepted, 0);
	ck_assert_int_gt(refused, 0);
}
END_TEST

/* A result of one query is refused by a decoder holding another of a different shape. */
START_TEST(foreign_shape_refused)
{
	for (int i = 0; i < NDOCS; i++) {
		fr_arena *a = fr_arena_new(0);
		fr_query *q = parse(ev_docs[i], a);
		fr_qresult *res[2];
		fr_buf enc[2];
		run_parts(q, res, enc);
		for (int j = 0; j < NDOCS; j++) {
			if (j == i)
				continue;
			fr_query *other = parse(ev_docs[j], a);
			fr_err err = { 0 };
			fr_qresult *d;
			int rc = fr_qresult_decode(other, enc[1].data, enc[1].len, &d, &err);
			ck_assert_msg(rc == FR_ECORRUPT, "doc %d decoded as doc %d", i, j);
			ck_assert(strstr(err.msg, "part result") != NULL);
		}
		for (int k = 0; k < 2; k++) {
			fr_qresult_free(res[k]);
			fr_buf_free(&enc[k]);
		}
		fr_arena_free(a);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("wire");
	TCase *tc = tcase_create("wire");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, round_trip_matches_merge);
	tcase_add_test(tc, round_trip_hand_built);
	tcase_add_test(tc, truncated_and_corrupted);
	tcase_add_test(tc, foreign_shape_refused);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
