/* Unit tests for src/query: every engine and validation case of query.md §7 over the EV data
 * set built in memory, run as one part and as parts A + B (results must agree). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "query/internal.h"
#include "core/jw.h"
#include "query/query.h"
#include "query_testdata.h"
#include "parquet/format.h"
#include "parquet/parquet.h"
#include "parquet/writer.h"

/* Test documents are written with ' for " to stay readable. */
static char *dq(const char *s)
{
	char *d = strdup(s);
	for (char *p = d; *p; p++)
		if (*p == '\'')
			*p = '"';
	return d;
}

/* Runs doc over parts, merges, and returns the {"funnel", "query"} members as JSON text
 * (pretty or not).  NULL with *qe set on a validation error. */
/* Engine settings of run_text (NULL: the defaults). */
static const fr_query_opts *run_opts;

static char *run_text(const fr_qschema *s, const fr_qpart *parts, int nparts, const char *doc,
                      fr_qerror *qe, int pretty)
{
	fr_arena *a = fr_arena_new(0);
	fr_query *q;
	char *text = dq(doc), *out = NULL;
	if (fr_query_parse_opts(text, strlen(text), s, run_opts, a, &q, qe)) {
		free(text);
		fr_arena_free(a);
		return NULL;
	}
	free(text);
	fr_err err = { 0 };
	fr_qresult *acc;
	ck_assert_int_eq(fr_qresult_new(q, &acc, &err), 0);
	for (int i = 0; i < nparts; i++) {
		fr_qresult *r;
		int rc = fr_query_exec(q, &parts[i], &r, &err);
		ck_assert_msg(rc == 0, "exec failed: %s", err.msg);
		ck_assert_int_eq(fr_qresult_merge(q, acc, r, &err), 0);
		fr_qresult_free(r);
	}
	fr_buf b = FR_BUF_INIT;
	fr_jw w;
	fr_jw_init(&w, &b, pretty);
	fr_jw_open(&w, '{');
	ck_assert_int_eq(fr_qresult_write(q, acc, &w), 0);
	fr_jw_close(&w, '}');
	fr_buf_putc(&b, 0);
	out = strdup((char *)b.data);
	fr_buf_free(&b);
	fr_qresult_free(acc);
	fr_arena_free(a);
	return out;
}

static fr_arena *ev_arena;
static const fr_vec *ev_cols_all[EV_NCOLS], *ev_cols_a[EV_NCOLS], *ev_cols_b[EV_NCOLS];
static fr_qpart ev_one, ev_ab[2];

static void ev_setup(void)
{
	ev_arena = fr_arena_new(0);
	ev_part(ev_arena, 0, 12, ev_cols_all, &ev_one);
	ev_part(ev_arena, 0, 8, ev_cols_a, &ev_ab[0]);
	ev_part(ev_arena, 8, 12, ev_cols_b, &ev_ab[1]);
}

static void ev_teardown(void)
{
	fr_arena_free(ev_arena);
}

/* Compares the result of doc (as one part and as parts A+B) with the expected members. */
static void expect_parts(const char *id, const char *doc, const char *expected, int split)
{
	char *exp = dq(expected);
	json_error_t je;
	json_t *ej = json_loads(exp, 0, &je);
	ck_assert_msg(ej != NULL, "%s: bad expected JSON: %s", id, je.text);
	for (int mode = 0; mode < (split ? 2 : 1); mode++) {
		fr_qerror qe;
		char *got = run_text(&ev_schema, mode ? ev_ab : &ev_one, mode ? 2 : 1, doc, &qe, 0);
		ck_assert_msg(got != NULL, "%s: validation failed: %s: %s", id,
		              fr_qerr_kind_name(qe.kind), qe.msg);
		json_t *gj = json_loads(got, 0, &je);
		ck_assert_msg(gj != NULL, "%s: result is not JSON: %s", id, got);
		ck_assert_msg(json_equal(gj, ej), "%s (%s):\n got      %s\n expected %s", id,
		              mode ? "parts A+B" : "one part", got, exp);
		json_decref(gj);
		free(got);
	}
	json_decref(ej);
	free(exp);
}

static void expect(const char *id, const char *doc, const char *expected)
{
	expect_parts(id, doc, expected, 1);
}

static void expect_gr(const char *id, const char *doc, int g, int r)
{
	char e[200];
	snprintf(e, sizeof e, "{'query':{'matchingGroups':%d,'matchingGroupRows':%d}}", g, r);
	expect(id, doc, e);
}

static void expect_invalid(const char *id, const char *doc, fr_qerr_kind kind,
                           const char *fragment)
{
	fr_qerror qe;
	char *got = run_text(&ev_schema, &ev_one, 1, doc, &qe, 0);
	ck_assert_msg(got == NULL, "%s: expected %s, got a result %s", id, fr_qerr_kind_name(kind),
	              got ? got : "");
	ck_assert_msg(qe.kind == kind, "%s: expected %s, got %s: %s", id, fr_qerr_kind_name(kind),
	              fr_qerr_kind_name(qe.kind), qe.msg);
	if (fragment)
		ck_assert_msg(strstr(qe.msg, fragment) != NULL, "%s: message '%s' lacks '%s'", id,
		              qe.msg, fragment);
}

#define V "{'filter':['event','==','view']}"
#define B "{'filter':['event','==','buy']}"
#define CA "{'filter':['event','==','cart']}"
#define H "{'filter':['tag','==','hat']}"
#define C1(cond) "{'query':{'conditions':[" cond "]}}"

/* ---- §7.2 ---- */
START_TEST(tc_counting_targets)
{
	expect_gr("TC-01", "{}", 5, 12);
	expect_gr("TC-01b", "{'query':{}}", 5, 12);
	expect_gr("TC-01c", "{'query':{'conditions':[],'aggregations':[]}}", 5, 12);
	expect_gr("TC-02", C1(V), 4, 9);
	expect_gr("TC-03", C1("{'filter':['event','==','view'],'target':['count','>=',2]}"), 1, 3);
	expect_gr("TC-04", C1("{'filter':['event','==','view'],'target':['count','==',0]}"), 1, 3);
	expect_gr("TC-05", C1("{'filter':['event','==','view'],'target':['count','<',2],"
	                      "'includeZero':true}"), 4, 9);
	expect_gr("TC-06", C1("{'filter':['event','==','view'],'target':['count','<',2]}"), 3, 6);
	expect_gr("TC-07", C1("{'filter':['event','==','view'],'target':['count','>=',0]}"), 4, 9);
	expect_gr("TC-07b", C1("{'filter':['event','==','view'],'target':['count','>=',0],"
	                       "'includeZero':true}"), 5, 12);
	expect_gr("TC-08", C1("{'filter':['event','==','view'],'target':['count','<=',0]}"), 0, 0);
	expect_gr("TC-09", C1("{'filter':['event','==','view'],'target':['count','!=',1]}"), 1, 3);
	expect_gr("TC-09b", C1("{'filter':['event','==','view'],'target':['count','!=',1],"
	                       "'includeZero':true}"), 2, 6);
	expect_gr("TC-10", C1("{'filter':['event','==','buy'],'target':['sum','price','>',10]}"),
	          1, 3);
	expect_gr("TC-11", C1("{'filter':['event','==','view'],'target':['sum','price','==',0]}"),
	          1, 1);
	expect_gr("TC-12", C1("{'filter':['event','==','cart'],'target':{'type':'sum',"
	                      "'column':'price','op':'<','value':100}}"), 3, 9);
	expect_gr("TC-13", C1("{'filter':['event','==','view'],'target':['sum','qty','>=',4]}"),
	          2, 4);
	expect_gr("TC-14", C1("{'filter':['qty','>=',1],'target':['sum','price','>',20.5]}"), 1, 3);
	/* INT sums against fractional literals */
	expect_gr("sum-frac-gt", C1("{'filter':['event','==','view'],'target':['sum','qty','>',3.5]}"),
	          2, 4);
	expect_gr("sum-frac-eq", C1("{'filter':['event','==','view'],'target':['sum','qty','==',4.0]}"),
	          2, 4);
	expect_gr("sum-frac-le", C1("{'filter':['event','==','view'],'target':['sum','qty','<=',1.5]}"),
	          2, 5);
	/* counts beyond 32 bits */
	expect_gr("count-huge", C1("{'filter':['event','==','view'],'target':['count','<',"
	                           "9000000000]}"), 4, 9);
}
END_TEST

/* ---- §7.3 ---- */
START_TEST(tc_filters)
{
	expect_gr("TC-15", C1("{'filters':[{'column':'event','op':'==','value':'view'},"
	                      "{'column':'price','op':'>=','value':5}]}"), 2, 6);
	expect_gr("TC-16", "{'query':{'conditions':[" V ",{'filter':['price','>=',5]}]}}", 3, 8);
	expect_gr("TC-17", C1("{'filter':['tag','contains','shoes']}"), 2, 6);
	expect_gr("TC-18", C1("{'filter':['tag','contains','Shoes']}"), 1, 3);
	expect_gr("TC-19", C1("{'filter':['tag','contains','']}"), 4, 11);
	expect_gr("TC-20", C1("{'filter':['tag','==','hat']}"), 2, 5);
	expect_gr("TC-21", C1("{'filter':['event','!=','view']}"), 4, 11);
	expect_gr("TC-21b", C1("{'filter':['event','!=','view'],'target':['count','>=',3]}"), 1, 3);
	expect_gr("TC-22", C1("{'filter':['tag','not contains','hat']}"), 4, 10);
	expect_gr("TC-23", C1("{'filter':['tag','contains','hat'],'target':['count','==',1]}"), 2, 6);
	expect_gr("TC-24", C1("{'filter':['price','>',0]}"), 4, 11);
	expect_gr("TC-25", C1("{'filter':['price','!=',10]}"), 5, 12);
	expect_gr("TC-26", C1("{'filter':['price','!=',5],'target':['count','>=',2]}"), 3, 8);
	expect_gr("TC-27", C1("{'filter':['price','<=',5.0],'target':{'type':'count','op':'>',"
	                      "'value':1}}"), 2, 6);
	expect_gr("TC-28", C1("{'filters':[{'column':'ts','op':'>=','value':140},{'column':'ts',"
	                      "'op':'<=','value':200}],'target':['count','>=',2]}"), 1, 3);
	expect_gr("TC-29", C1("{'filter':['flag','==',true]}"), 4, 11);
	expect_gr("TC-29b", C1("{'filter':['flag','==',false],'target':['count','>=',2]}"), 1, 3);
	expect_gr("TC-29c", C1("{'filter':['flag','!=',true]}"), 5, 12);
	/* decision 7: backslashes compare literally */
	expect_gr("literal", C1("{'filter':['tag','==','red\\\\nshoes']}"), 0, 0);
}
END_TEST

/* ---- §7.4 ---- */
START_TEST(tc_relations)
{
	expect_gr("TC-30", "{'query':{'relation':'$Bought or $VIEWED','conditions':["
	          "{'name':'viewed','filter':['event','==','view']},"
	          "{'name':'bought','filter':['event','==','buy']}]}}", 5, 12);
	expect_gr("TC-30b", "{'query':{'conditions':["
	          "{'name':'viewed','filter':['event','==','view']},"
	          "{'name':'bought','filter':['event','==','buy']}]}}", 2, 5);
	expect_gr("TC-31", "{'query':{'relation':'$0 or $1 and $2','conditions':[" CA "," B "," H
	          "]}}", 4, 11);
	expect_gr("TC-31b", "{'query':{'relation':'($0 || $1) && $2','conditions':[" CA "," B "," H
	          "]}}", 2, 5);
	expect_gr("TC-32", "{'query':{'relation':'OR','conditions':[" CA "," H "]}}", 4, 11);
	expect_gr("TC-32b", "{'query':{'relation':'$1','conditions':[" CA "," H "]}}", 2, 5);
	expect_gr("TC-33", "{'query':{'relation':'$seq or $0','conditions':[{'filter':['qty','>=',4]},"
	          "{'name':'seq','sequence':[" CA "," B "]}]}}", 2, 4);
	expect_gr("TC-34", "{'query':{'relation':'$noBuy and $vc','conditions':[{'name':'noBuy',"
	          "'filter':['event','==','buy'],'target':['count','==',0]},{'name':'vc','sequence':["
	          V "," CA "]}]}}", 1, 3);
	/* V-21: valid spellings */
	expect_gr("V-21a", "{'query':{'relation':'$0and$0','conditions':[" V "]}}", 4, 9);
	expect_gr("V-21b", "{'query':{'relation':' $A and ( $1 ) ','conditions':[{'name':'a',"
	          "'filter':['event','==','view']}," B "]}}", 2, 5);
	expect_gr("V-21c", "{'query':{'relation':'$007','conditions':[" V "," V "," V "," V "," V
	          "," V "," V "," B "]}}", 3, 8);
	expect_gr("and-shorthand", "{'query':{'relation':'&&','conditions':[" V "," B "]}}", 2, 5);
}
END_TEST

/* ---- relations of hostile length (issue 13): no recursion on their depth, memory bounded
 * by the distinct conditions, and the same answers as their short equivalents ---- */

/* Reference: recursive descent straight over the text, on truth tables (bit j of a mask is the
 * value under assignment j, where condition c is true iff bit c of j is set). */
typedef struct refp {
	const char *s;
} refp;

static uint32_t ref_or(refp *p);

static void ref_ws(refp *p)
{
	while (*p->s == ' ')
		p->s++;
}

static uint32_t ref_term(refp *p)
{
	ref_ws(p);
	if (*p->s == '(') {
		p->s++;
		uint32_t v = ref_or(p);
		ref_ws(p);
		ck_assert_int_eq(*p->s, ')');
		p->s++;
		return v;
	}
	ck_assert_int_eq(*p->s, '$');
	int c = (int)strtol(p->s + 1, (char **)&p->s, 10);
	uint32_t m = 0;
	for (int j = 0; j < 32; j++)
		if (j >> c & 1)
			m |= 1u << j;
	return m;
}

static uint32_t ref_and(refp *p)
{
	uint32_t v = ref_term(p);
	for (;;) {
		ref_ws(p);
		if (strncmp(p->s, "and", 3))
			return v;
		p->s += 3;
		v &= ref_term(p);
	}
}

static uint32_t ref_or(refp *p)
{
	uint32_t v = ref_and(p);
	for (;;) {
		ref_ws(p);
		if (strncmp(p->s, "or", 2))
			return v;
		p->s += 2;
		v |= ref_and(p);
	}
}

/* Runs the compiled program of q on truth tables. */
static uint32_t run_prog(const fr_query *q)
{
	uint32_t st[64];
	int sp = 0;
	ck_assert_int_le(q->rel_depth, 64);
	for (int i = 0; i < q->nrel_prog; i++) {
		const fr_relop *op = &q->rel_prog[i];
		uint32_t m = 0;
		if (op->cond >= 0)
			for (int j = 0; j < 32; j++)
				if (j >> op->cond & 1)
					m |= 1u << j;
		switch (op->op) {
		case FR_RELOP_PUSH: ck_assert_int_lt(sp, q->rel_depth); st[sp++] = m; break;
		case FR_RELOP_AND_COND: ck_assert_int_ge(sp, 1); st[sp - 1] &= m; break;
		case FR_RELOP_OR_COND: ck_assert_int_ge(sp, 1); st[sp - 1] |= m; break;
		case FR_RELOP_AND_TOP: ck_assert_int_ge(sp, 2); sp--; st[sp - 1] &= st[sp]; break;
		case FR_RELOP_OR_TOP: ck_assert_int_ge(sp, 2); sp--; st[sp - 1] |= st[sp]; break;
		}
	}
	ck_assert_int_eq(sp, 1);
	return st[0];
}

static uint64_t rel_rng = 0x9E3779B97F4A7C15ULL;
static uint32_t rel_rand(uint32_t n)
{
	rel_rng ^= rel_rng << 13;
	rel_rng ^= rel_rng >> 7;
	rel_rng ^= rel_rng << 17;
	return (uint32_t)(rel_rng % n);
}

static void gen_rel(fr_buf *b, int depth, int *leaves)
{
	if (depth == 0 || rel_rand(10) < 3) {
		fr_buf_printf(b, "$%u", rel_rand(5));
		++*leaves;
		return;
	}
	int paren = rel_rand(2);
	if (paren)
		fr_buf_putc(b, '(');
	int n = 2 + (int)rel_rand(4);
	for (int i = 0; i < n; i++) {
		if (i)
			fr_buf_printf(b, rel_rand(2) ? " and " : " or ");
		gen_rel(b, depth - 1, leaves);
	}
	if (paren)
		fr_buf_putc(b, ')');
}

static fr_query *rel_query(fr_arena *a, int nconds, const char *rel, fr_qerror *qe)
{
	fr_query *q = fr_arena_calloc(a, 1, sizeof *q);
	q->conds = fr_arena_calloc(a, (size_t)nconds, sizeof *q->conds);
	q->nconds = nconds;
	return fr_query_parse_relation(q, rel, a, qe) ? NULL : q;
}

START_TEST(tc_relation_program)
{
	/* random relations over 5 conditions: the program agrees with the text on all 32
	 * assignments, and its stack stays within floor(log2(leaves)) + 1 */
	for (int t = 0; t < 3000; t++) {
		fr_arena *a = fr_arena_new(0);
		fr_buf b = FR_BUF_INIT;
		int leaves = 0;
		gen_rel(&b, 1 + (int)rel_rand(7), &leaves);
		fr_buf_putc(&b, 0);
		const char *text = (const char *)b.data;
		fr_qerror qe = { 0 };
		fr_query *q = rel_query(a, 5, text, &qe);
		ck_assert_msg(q != NULL, "%s: %s", text, qe.msg);
		refp rp = { text };
		uint32_t want = ref_or(&rp), got = run_prog(q);
		ck_assert_msg(got == want, "%s: program gives %08x, want %08x", text, got, want);
		int lg = 0;
		while ((1 << (lg + 1)) <= leaves)
			lg++;
		ck_assert_msg(q->rel_depth <= lg + 1, "%s: %d stack slots for %d leaves", text,
		              q->rel_depth, leaves);
		fr_buf_free(&b);
		fr_arena_free(a);
	}
}
END_TEST

/* n terms "$t0 op $t1 op ..." where term i is terms[i % nterms] and op alternates over ops */
static char *chain(int n, const char *const *terms, int nterms, const char *const *ops, int nops)
{
	fr_buf b = FR_BUF_INIT;
	fr_buf_printf(&b, "{'query':{'relation':'");
	for (int i = 0; i < n; i++) {
		if (i)
			fr_buf_printf(&b, " %s ", ops[(i - 1) % nops]);
		fr_buf_printf(&b, "%s", terms[i % nterms]);
	}
	fr_buf_putc(&b, 0);
	char *s = strdup((char *)b.data);
	fr_buf_free(&b);
	return s;
}

static void expect_chain(const char *id, char *rel, const char *conds, int g, int r)
{
	size_t n = strlen(rel) + strlen(conds) + 64;
	char *doc = malloc(n);
	snprintf(doc, n, "%s','conditions':[%s]}}", rel, conds);
	expect_gr(id, doc, g, r);
	/* the compiled program stays short and shallow */
	fr_arena *a = fr_arena_new(0);
	fr_query *q;
	fr_qerror qe;
	char *text = dq(doc);
	ck_assert_int_eq(fr_query_parse(text, strlen(text), &ev_schema, a, &q, &qe), 0);
	ck_assert_msg(q->rel_depth <= 2, "%s: %d stack slots", id, q->rel_depth);
	free(text);
	fr_arena_free(a);
	free(doc);
	free(rel);
}

START_TEST(tc_relation_chains)
{
	static const char *const and_[] = { "and" }, *const or_[] = { "or" };
	static const char *const mixed[] = { "and", "or", "&&", "||", "||" };
	/* the example: 80,000 times the same named condition (a 560 KB document) */
	static const char *const a[] = { "$a" };
	expect_chain("chain-80k-and", chain(80000, a, 1, and_, 1),
	             "{'name':'a','filter':['event','==','view']}", 4, 9);
	{
		fr_arena *ar = fr_arena_new(0);
		fr_qerror qe;
		char *rel = chain(80000, a, 1, and_, 1);
		fr_query *q = rel_query(ar, 1, rel + strlen("{'query':{'relation':'"), &qe);
		ck_assert_ptr_eq(q, NULL);   /* unnamed condition: $a is unknown */
		free(rel);
		fr_arena_free(ar);
	}
	/* variants: a long OR chain over three conditions, equal to $0 or $1 or $2 (TC-31 uses
	 * the same conditions), and long mixed chains with both spellings */
	static const char *const three[] = { "$0", "$1", "$2" };
	expect_gr("or3", "{'query':{'relation':'$0 or $1 or $2','conditions':[" CA "," B "," H "]}}",
	          4, 11);
	expect_chain("chain-100k-or", chain(100000, three, 3, or_, 1), CA "," B "," H, 4, 11);
	/* $0 and $1 or $2 && $0 || $1 || $2 and ...: an OR of ANDs */
	expect_gr("mixed-short", "{'query':{'relation':'$0 and $1 or $2 && $0 || $1 || $2 and $0 "
	          "or $1 && $2 || $0','conditions':[" CA "," B "," H "]}}", 4, 11);
	expect_chain("chain-60k-mixed", chain(60000, three, 3, mixed, 5), CA "," B "," H, 4, 11);
	/* an AND chain where a second condition appears only at the very end */
	static const char *const tail[] = { "$0", "$0", "$0", "$0" };
	char *rel = chain(50000, tail, 4, and_, 1);
	size_t n = strlen(rel);
	rel = realloc(rel, n + 8);
	strcpy(rel + n, " and $1");
	expect_chain("chain-50k-tail", rel, V "," B, 2, 5);
}
END_TEST

START_TEST(tc_relation_nesting)
{
	/* 200 levels of parentheses (the limit) around alternating operators: still shallow to
	 * evaluate; 201 is refused by name */
	for (int depth = 199; depth <= 201; depth++) {
		fr_buf b = FR_BUF_INIT;
		fr_buf_printf(&b, "{'query':{'relation':'");
		for (int i = 0; i < depth; i++)
			fr_buf_printf(&b, "$%d %s (", i % 2, i % 2 ? "or" : "and");
		fr_buf_printf(&b, "$1");
		for (int i = 0; i < depth; i++)
			fr_buf_putc(&b, ')');
		fr_buf_printf(&b, "','conditions':[" V "," B "]}}");
		fr_buf_putc(&b, 0);
		if (depth <= 200) {
			/* $0 and ($1 or ($0 and ($1 or ... $1))) is $0 and $1 */
			expect_gr("nested", (char *)b.data, 2, 5);
		} else {
			expect_invalid("nested-201", (char *)b.data, FR_QERR_RELATION, "nested too deeply");
		}
		fr_buf_free(&b);
	}
	/* a balanced tree of 2^14 leaves over 3 conditions, built bottom-up: the deepest stack
	 * evaluation would need is bounded by log2(leaves) + 1 */
	fr_buf cur = FR_BUF_INIT;
	char **level = calloc(1u << 14, sizeof(char *));
	for (int i = 0; i < 1 << 14; i++) {
		char t[8];
		snprintf(t, sizeof t, "$%d", i % 3);
		level[i] = strdup(t);
	}
	int n = 1 << 14, d = 0;
	while (n > 1) {
		for (int i = 0; i < n / 2; i++) {
			size_t l = strlen(level[2 * i]) + strlen(level[2 * i + 1]) + 10;
			char *s = malloc(l);
			snprintf(s, l, "(%s %s %s)", level[2 * i], d % 2 ? "or" : "and", level[2 * i + 1]);
			free(level[2 * i]);
			free(level[2 * i + 1]);
			level[i] = s;
		}
		n /= 2;
		d++;
	}
	fr_arena *a = fr_arena_new(0);
	fr_qerror qe;
	fr_query *q = rel_query(a, 3, level[0], &qe);
	ck_assert_msg(q != NULL, "%s", qe.msg);
	ck_assert_int_le(q->rel_depth, 15);
	refp rp = { level[0] };
	ck_assert_uint_eq(run_prog(q), ref_or(&rp));
	fr_arena_free(a);
	free(level[0]);
	free(level);
	fr_buf_free(&cur);
}
END_TEST

/* A document near the size cap with the most conditions allowed, all named, and a relation
 * of 400,000 terms over them: parsed in time linear in its size (the Check timeout fails a
 * quadratic parse), with the names and their uniqueness checked as before. */
static char *big_doc(int nc, int terms, const char *last_name)
{
	fr_buf b = FR_BUF_INIT;
	fr_buf_printf(&b, "{'query':{'relation':'");
	for (int i = 0; i < terms; i++)
		fr_buf_printf(&b, "%s$Cond%d", i ? (i % 7 ? " and " : " or ") : "", (int)(((int64_t)i * 7919) % nc));
	fr_buf_printf(&b, "','conditions':[");
	for (int i = 0; i < nc; i++) {
		char nm[32];
		snprintf(nm, sizeof nm, "cond%d", i);
		fr_buf_printf(&b, "%s{'name':'%s','filter':['event','==','view']}", i ? "," : "",
		              i == nc - 1 && last_name ? last_name : nm);
	}
	fr_buf_printf(&b, "]}}");
	fr_buf_putc(&b, 0);
	char *doc = dq((char *)b.data);
	fr_buf_free(&b);
	return doc;
}

START_TEST(tc_big_document)
{
	enum { NC = FR_QUERY_MAX_ITEMS, TERMS = 400000 };
	char *doc = big_doc(NC, TERMS, NULL);
	ck_assert_uint_lt(strlen(doc), FR_QUERY_MAX_DOC_BYTES);
	fr_arena *a = fr_arena_new(0);
	fr_query *q;
	fr_qerror qe;
	ck_assert_msg(fr_query_parse(doc, strlen(doc), &ev_schema, a, &q, &qe) == 0, "%s", qe.msg);
	ck_assert_int_eq(q->nconds, NC);
	ck_assert_int_le(q->rel_depth, 2);
	/* it runs (every condition is the same filter) */
	fr_err err = { 0 };
	fr_qresult *r;
	ck_assert_int_eq(fr_query_exec(q, &ev_one, &r, &err), 0);
	ck_assert_int_eq(r->query.groups, 4);
	fr_qresult_free(r);
	fr_arena_free(a);
	free(doc);
	/* a repeated name among them is still found (case-insensitively) and named; the relation
	 * no longer mentions the renamed condition */
	doc = big_doc(NC, 1000, "COND17");
	a = fr_arena_new(0);
	ck_assert_int_ne(fr_query_parse(doc, strlen(doc), &ev_schema, a, &q, &qe), 0);
	ck_assert_int_eq(qe.kind, FR_QERR_SCHEMA);
	ck_assert_msg(strstr(qe.msg, "'COND17' is not unique"), "%s", qe.msg);
	fr_arena_free(a);
	free(doc);
	expect_invalid("dup-order", "{'query':{'conditions':[{'name':'b','filter':['event','==','view']},"
	               "{'name':'a','filter':['event','==','view']},{'name':'B','filter':['event','==',"
	               "'view']},{'name':'A','filter':['event','==','view']}]}}", FR_QERR_SCHEMA,
	               "'B' is not unique");
	expect_invalid("invalid-first", "{'query':{'conditions':[{'name':'1x','filter':['event','==',"
	               "'view']},{'name':'a','filter':['event','==','view']},{'name':'a','filter':"
	               "['event','==','view']}]}}", FR_QERR_SCHEMA, "'1x' in scope");
	expect_invalid("dup-first", "{'query':{'conditions':[{'name':'a','filter':['event','==',"
	               "'view']},{'name':'a','filter':['event','==','view']},{'name':'1x','filter':"
	               "['event','==','view']}]}}", FR_QERR_SCHEMA, "'a' is not unique");
}
END_TEST

/* ---- §7.5 ---- */
#define SEQ(steps) "{'query':{'conditions':[{'sequence':[" steps "]}]}}"
START_TEST(tc_sequences)
{
	expect_gr("TC-35", SEQ(V "," B), 1, 3);
	expect_gr("TC-36", SEQ(CA "," B), 1, 3);
	expect_gr("TC-37", SEQ(V "," V), 1, 3);
	expect_gr("TC-38", SEQ(V "," CA), 2, 6);
	expect_gr("TC-39", SEQ(B "," V), 1, 2);
	expect_gr("TC-40", SEQ(V "," CA "," V), 0, 0);
	expect_gr("TC-41", SEQ("{'filter':['price','>',0]},{'filter':['price','>',0]},"
	                       "{'filter':['price','>',0]}"), 1, 3);
	expect_gr("TC-42", SEQ("{'filters':[{'column':'event','op':'==','value':'view'},"
	                       "{'column':'flag','op':'==','value':false}]},"
	                       "{'filter':['flag','==',true]}"), 1, 3);
	expect_gr("rowFound-true", SEQ("{'filter':['event','==','view'],'rowFound':true}"), 4, 9);
}
END_TEST

/* ---- §7.6 ---- */
START_TEST(tc_funnels)
{
	expect("TC-43", "{'funnel':{'sequence':[" V "," CA "," B "],'stepAggregations':[{'column':"
	       "'event','type':'countPerValue'}],'endAggregations':[{'column':'qty','type':'count',"
	       "'name':'q'}]}}",
	       "{'query':{'matchingGroups':5,'matchingGroupRows':12},'funnel':{'sequence':["
	       "{'matchingGroups':4,'matchingGroupRows':9,'aggregations':[{'column':'event','type':"
	       "'countPerValue','value':{'view':5,'cart':2,'buy':2},'top':10,'name':null}]},"
	       "{'matchingGroups':2,'matchingGroupRows':6,'aggregations':[{'column':'event','type':"
	       "'countPerValue','value':{'view':3,'cart':2,'buy':1},'top':10,'name':null}]},"
	       "{'matchingGroups':1,'matchingGroupRows':3,'aggregations':[{'column':'event','type':"
	       "'countPerValue','value':{'view':1,'cart':1,'buy':1},'top':10,'name':null}]}],"
	       "'endAggregations':[{'column':'qty','type':'count','value':3,'top':null,'name':'q'}]}}");
	expect("TC-44", "{'query':{'conditions':[" B "]},'funnel':{'sequence':[" V "," B "]}}",
	       "{'query':{'matchingGroups':3,'matchingGroupRows':8},'funnel':{'sequence':["
	       "{'matchingGroups':2,'matchingGroupRows':5,'aggregations':null},"
	       "{'matchingGroups':1,'matchingGroupRows':3,'aggregations':null}]}}");
	expect("TC-45", "{'funnel':{'sequence':[" CA "," B "]}}",
	       "{'query':{'matchingGroups':5,'matchingGroupRows':12},'funnel':{'sequence':["
	       "{'matchingGroups':3,'matchingGroupRows':9,'aggregations':null},"
	       "{'matchingGroups':1,'matchingGroupRows':3,'aggregations':null}]}}");
	expect("TC-46", "{'funnel':{'sequence':[" B "," V "]}}",
	       "{'query':{'matchingGroups':5,'matchingGroupRows':12},'funnel':{'sequence':["
	       "{'matchingGroups':3,'matchingGroupRows':8,'aggregations':null},"
	       "{'matchingGroups':1,'matchingGroupRows':2,'aggregations':null}]}}");
	expect("TC-47", "{'funnel':{'sequence':[{'filter':['ts','>=',150]},{'filter':['ts','<',150]}"
	       "]}}",
	       "{'query':{'matchingGroups':5,'matchingGroupRows':12},'funnel':{'sequence':["
	       "{'matchingGroups':3,'matchingGroupRows':7,'aggregations':null},"
	       "{'matchingGroups':0,'matchingGroupRows':0,'aggregations':null}]}}");
	expect("TC-48", "{'funnel':{'sequence':[{'filters':[{'column':'flag','op':'==','value':true},"
	       "{'column':'qty','op':'==','value':1}]}],'stepAggregations':[{'column':'uid','type':"
	       "'count'}],'endAggregations':[{'column':'uid','type':'count'}]}}",
	       "{'query':{'matchingGroups':5,'matchingGroupRows':12},'funnel':{'sequence':["
	       "{'matchingGroups':4,'matchingGroupRows':11,'aggregations':[{'column':'uid','type':"
	       "'count','value':11,'top':null,'name':null}]}],"
	       "'endAggregations':[{'column':'uid','type':'count','value':11,'top':null,'name':null}]}}");
	expect("TC-49", "{'funnel':{'sequence':[" V "," B "],'stepAggregations':[{'column':'price',"
	       "'type':'sumPerValue','otherColumn':'qty','name':'qtyByPrice'}]}}",
	       "{'query':{'matchingGroups':5,'matchingGroupRows':12},'funnel':{'sequence':["
	       "{'matchingGroups':4,'matchingGroupRows':9,'aggregations':[{'column':'price','type':"
	       "'sumPerValue','value':{'5.0':4,'10.0':2,'25.5':2,'8.0':1,'2.0':1},'top':10,"
	       "'name':'qtyByPrice'}]},"
	       "{'matchingGroups':1,'matchingGroupRows':3,'aggregations':[{'column':'price','type':"
	       "'sumPerValue','value':{'10.0':2,'25.5':2},'top':10,'name':'qtyByPrice'}]}]}}");
}
END_TEST

/* ---- §7.7 ---- */
START_TEST(tc_aggregations)
{
	expect("TC-50", "{'query':{'aggregations':[{'column':'event'}]}}",
	       "{'query':{'matchingGroups':5,'matchingGroupRows':12,'aggregations':["
	       "{'column':'event','type':'count','value':11,'top':null,'name':null},"
	       "{'column':'event','type':'countPerValue','value':{'view':5,'cart':3,'buy':3},"
	       "'top':10,'name':null},"
	       "{'column':'event','type':'groupsPerValue','value':{'view':4,'cart':3,'buy':3},"
	       "'top':10,'name':null}]}}");
	expect("TC-51", "{'query':{'aggregations':[{'column':'event','type':'sumPerValue',"
	       "'otherColumn':'price'},{'column':'event','type':'meanPerValue','otherColumn':'price',"
	       "'name':'avgPrice'}]}}",
	       "{'query':{'matchingGroups':5,'matchingGroupRows':12,'aggregations':["
	       "{'column':'event','type':'sumPerValue','value':{'buy':36.5,'cart':18.0,'view':17.0},"
	       "'top':10,'name':null},"
	       "{'column':'event','type':'meanPerValue','value':{'buy':12.166666666666666,"
	       "'cart':6.0,'view':5.666666666666667},'top':10,'name':'avgPrice'}]}}");
	expect("TC-52", "{'query':{'aggregations':[{'column':'qty','type':'countPerValue'},"
	       "{'column':'price','type':'countPerValue'},{'column':'flag','type':'groupsPerValue'},"
	       "{'column':'qty','type':'sumPerValue','otherColumn':'qty'},{'column':'flag','type':"
	       "'sumPerValue','otherColumn':'qty'}]}}",
	       "{'query':{'matchingGroups':5,'matchingGroupRows':12,'aggregations':["
	       "{'column':'qty','type':'countPerValue','value':{'1':8,'2':2,'3':1,'4':1},'top':10,"
	       "'name':null},"
	       "{'column':'price','type':'countPerValue','value':{'10.0':2,'5.0':2,'3.0':2,'25.5':1,"
	       "'8.0':1,'2.0':1,'7.0':1},'top':10,'name':null},"
	       "{'column':'flag','type':'groupsPerValue','value':{'False':5,'True':4},'top':10,"
	       "'name':null},"
	       "{'column':'qty','type':'sumPerValue','value':{'1':8,'2':4,'4':4,'3':3},'top':10,"
	       "'name':null},"
	       "{'column':'flag','type':'sumPerValue','value':{'False':13,'True':6},'top':10,"
	       "'name':null}]}}");
	expect("TC-53", "{'query':{'conditions':[" B "],'aggregations':[{'column':'event','type':"
	       "'count'},{'column':'event','type':'countPerValue'}]}}",
	       "{'query':{'matchingGroups':3,'matchingGroupRows':8,'aggregations':["
	       "{'column':'event','type':'count','value':7,'top':null,'name':null},"
	       "{'column':'event','type':'countPerValue','value':{'buy':3,'view':2,'cart':2},"
	       "'top':10,'name':null}]}}");
	expect("TC-54", "{'query':{'conditions':[{'filter':['event','==','view'],'target':['count',"
	       "'==',0]}],'aggregations':[{'column':'price','type':'count'},{'column':'event','type':"
	       "'countPerValue'},{'column':'uid','type':'groupsPerValue'}]}}",
	       "{'query':{'matchingGroups':1,'matchingGroupRows':3,'aggregations':["
	       "{'column':'price','type':'count','value':3,'top':null,'name':null},"
	       "{'column':'event','type':'countPerValue','value':{'cart':1,'buy':1},'top':10,"
	       "'name':null},"
	       "{'column':'uid','type':'groupsPerValue','value':{'u5':1},'top':10,'name':null}]}}");
	expect("TC-55", "{'query':{'aggregations':[{'column':'tag','type':'sumPerValue',"
	       "'otherColumn':'price'},{'column':'tag','type':'meanPerValue','otherColumn':'price'}]}}",
	       "{'query':{'matchingGroups':5,'matchingGroupRows':12,'aggregations':["
	       "{'column':'tag','type':'sumPerValue','value':{'blue hat':27.5,'red shoes':20.0,"
	       "'hat':15.0,'shoes':6.0,'green':5.0,'Red Shoes':0.0},'top':10,'name':null},"
	       "{'column':'tag','type':'meanPerValue','value':{'blue hat':13.75,'red shoes':10.0,"
	       "'hat':7.5,'green':5.0,'shoes':3.0},'top':10,'name':null}]}}");
	/* decision 4: per-aggregation top and the {'columns': [...]} wrapper */
	expect("top", "{'query':{'aggregations':{'columns':[{'column':'qty','type':'countPerValue',"
	       "'top':2}]}}}",
	       "{'query':{'matchingGroups':5,'matchingGroupRows':12,'aggregations':["
	       "{'column':'qty','type':'countPerValue','value':{'1':8,'2':2},'top':2,'name':null}]}}");
}
END_TEST

/* ---- §7.8 ---- */
START_TEST(tc_timeframe)
{
	expect("TC-56", "{'timeframe':{'from':600},'query':{'conditions':[" V "],'aggregations':["
	       "{'column':'event'}]},'funnel':{'sequence':[" V "],'stepAggregations':[{'column':"
	       "'event','type':'count'}],'endAggregations':[{'column':'event','type':'sumPerValue',"
	       "'otherColumn':'price'}]}}",
	       "{'query':{'matchingGroups':0,'matchingGroupRows':0,'aggregations':["
	       "{'column':'event','type':'count','value':0,'top':null,'name':null},"
	       "{'column':'event','type':'countPerValue','value':{},'top':10,'name':null},"
	       "{'column':'event','type':'groupsPerValue','value':{},'top':10,'name':null}]},"
	       "'funnel':{'sequence':[{'matchingGroups':0,'matchingGroupRows':0,'aggregations':["
	       "{'column':'event','type':'count','value':0,'top':null,'name':null}]}],"
	       "'endAggregations':[{'column':'event','type':'sumPerValue','value':{},'top':10,"
	       "'name':null}]}}");
	expect_gr("TC-56b", "{'timeframe':{'from':600}}", 0, 0);
	expect_gr("TC-57", "{'timeframe':{'from':150,'to':300}}", 2, 3);
	expect_gr("TC-58", "{'timeframe':{'from':300}}", 2, 2);
	expect_gr("TC-59", "{'timeframe':{'to':110}}", 2, 2);
	expect_gr("TC-60", "{'timeframe':{'from':120},'query':{'conditions':[{'filter':['event','==',"
	          "'view'],'target':['count','==',0]}]}}", 2, 3);
	expect("TC-61", "{'timeframe':{'from':110,'to':300},'funnel':{'sequence':[" V "," CA "],"
	       "'endAggregations':[{'column':'event'}]}}",
	       "{'query':{'matchingGroups':4,'matchingGroupRows':8},'funnel':{'sequence':["
	       "{'matchingGroups':2,'matchingGroupRows':4,'aggregations':null},"
	       "{'matchingGroups':0,'matchingGroupRows':0,'aggregations':null}],'endAggregations':["
	       "{'column':'event','type':'count','value':0,'top':null,'name':null},"
	       "{'column':'event','type':'countPerValue','value':{},'top':10,'name':null},"
	       "{'column':'event','type':'groupsPerValue','value':{},'top':10,'name':null}]}}");
	expect_gr("V-34", "{'timeframe':{}}", 5, 12);
	expect_gr("V-32", "{'timeframe':{'from':0}}", 5, 12);   /* decision 8 */
	expect_gr("tf-real", "{'timeframe':{'from':150.0}}", 3, 5);
}
END_TEST

/* ---- §6.2 ---- */
START_TEST(tc_worked_example)
{
	expect("6.2", "{'timeframe':{'from':100,'to':400},'query':{'relation':'$viewed or $1',"
	       "'conditions':[{'name':'viewed','filter':['event','==','view']},{'filter':['tag',"
	       "'contains','hat'],'target':['count','>=',2]}],'aggregations':[{'column':'event'},"
	       "{'column':'event','type':'sumPerValue','otherColumn':'price','name':'revenue'}]},"
	       "'funnel':{'sequence':[{'filter':['event','==','view']},{'filter':['event','==','cart']}"
	       "],'stepAggregations':[{'column':'qty','type':'countPerValue'}],'endAggregations':["
	       "{'column':'event','type':'meanPerValue','otherColumn':'price'}]}}",
	       "{'query':{'matchingGroups':3,'matchingGroupRows':8,'aggregations':["
	       "{'column':'event','type':'count','value':8,'top':null,'name':null},"
	       "{'column':'event','type':'countPerValue','value':{'view':4,'cart':2,'buy':2},"
	       "'top':10,'name':null},"
	       "{'column':'event','type':'groupsPerValue','value':{'view':3,'cart':2,'buy':2},"
	       "'top':10,'name':null},"
	       "{'column':'event','type':'sumPerValue','value':{'buy':33.5,'view':17.0,'cart':15.0},"
	       "'top':10,'name':'revenue'}]},"
	       "'funnel':{'sequence':["
	       "{'matchingGroups':3,'matchingGroupRows':8,'aggregations':[{'column':'qty','type':"
	       "'countPerValue','value':{'1':6,'2':1,'3':1},'top':10,'name':null}]},"
	       "{'matchingGroups':2,'matchingGroupRows':6,'aggregations':[{'column':'qty','type':"
	       "'countPerValue','value':{'1':4,'2':1,'3':1},'top':10,'name':null}]}],"
	       "'endAggregations':[{'column':'event','type':'meanPerValue','value':{'buy':25.5,"
	       "'view':7.5,'cart':7.5},'top':10,'name':null}]}}");
}
END_TEST

/* ---- §7.9 ---- */
START_TEST(tc_merge_mean)
{
	/* TC-62: split into parts A and B (expect() runs both); the mean merges correctly */
	expect("TC-62", "{'query':{'aggregations':[{'column':'event'},{'column':'event','type':"
	       "'sumPerValue','otherColumn':'price'},{'column':'event','type':'meanPerValue',"
	       "'otherColumn':'price'}]},'funnel':{'sequence':[" V "," CA "]}}",
	       "{'query':{'matchingGroups':5,'matchingGroupRows':12,'aggregations':["
	       "{'column':'event','type':'count','value':11,'top':null,'name':null},"
	       "{'column':'event','type':'countPerValue','value':{'view':5,'cart':3,'buy':3},"
	       "'top':10,'name':null},"
	       "{'column':'event','type':'groupsPerValue','value':{'view':4,'cart':3,'buy':3},"
	       "'top':10,'name':null},"
	       "{'column':'event','type':'sumPerValue','value':{'buy':36.5,'cart':18.0,'view':17.0},"
	       "'top':10,'name':null},"
	       "{'column':'event','type':'meanPerValue','value':{'buy':12.166666666666666,"
	       "'cart':6.0,'view':5.666666666666667},'top':10,'name':null}]},"
	       "'funnel':{'sequence':[{'matchingGroups':4,'matchingGroupRows':9,'aggregations':null},"
	       "{'matchingGroups':2,'matchingGroupRows':6,'aggregations':null}]}}");
}
END_TEST

static char *xstrdup_fmt(const char *fmt, int i)
{
	char b[32];
	snprintf(b, sizeof b, fmt, i);
	return strdup(b);
}

START_TEST(tc_top_cut)
{
	/* TC-63: 78 rows, k01..k12 occurring 13-i times, every row its own group */
	enum { N = 78 };
	const char *g[N], *k[N];
	int64_t ts[N];
	double v[N];
	int r = 0;
	for (int i = 1; i <= 12; i++)
		for (int j = 0; j < 13 - i; j++, r++) {
			g[r] = xstrdup_fmt("g%03d", r + 1);
			k[r] = xstrdup_fmt("k%02d", i);
			ts[r] = 100 + r;
			v[r] = i;
		}
	fr_arena *a = fr_arena_new(0);
	const fr_vec *cols[TOP_NCOLS];
	fr_qpart p = { 0 };
	top_part(a, g, ts, k, v, N, cols, &p);
	fr_qerror qe;
	char *got = run_text(&top_schema, &p, 1, "{'query':{'aggregations':[{'column':'k'},"
	                     "{'column':'k','type':'sumPerValue','otherColumn':'v'}]}}", &qe, 0);
	ck_assert_ptr_nonnull(got);
	json_t *gj = json_loads(got, 0, NULL);
	char *exp = dq("{'query':{'matchingGroups':78,'matchingGroupRows':78,'aggregations':["
	               "{'column':'k','type':'count','value':78,'top':null,'name':null},"
	               "{'column':'k','type':'countPerValue','value':{'k01':12,'k02':11,'k03':10,"
	               "'k04':9,'k05':8,'k06':7,'k07':6,'k08':5,'k09':4,'k10':3},'top':10,'name':null},"
	               "{'column':'k','type':'groupsPerValue','value':{'k01':12,'k02':11,'k03':10,"
	               "'k04':9,'k05':8,'k06':7,'k07':6,'k08':5,'k09':4,'k10':3},'top':10,'name':null},"
	               "{'column':'k','type':'sumPerValue','value':{'k06':42.0,'k07':42.0,'k05':40.0,"
	               "'k08':40.0,'k04':36.0,'k09':36.0,'k03':30.0,'k10':30.0,'k02':22.0,'k11':22.0},"
	               "'top':10,'name':null}]}}");
	json_t *ej = json_loads(exp, 0, NULL);
	ck_assert_msg(json_equal(gj, ej), "TC-63 got %s", got);
	json_decref(gj);
	json_decref(ej);
	free(exp);
	free(got);
	for (int i = 0; i < N; i++) {
		free((char *)g[i]);
		free((char *)k[i]);
	}
	fr_arena_free(a);
}
END_TEST

START_TEST(tc_exact_across_parts)
{
	/* TC-64: exact maps (decision 2) give x = 31 where the original said 30. */
	const char *ga[41], *ka[41], *gb[30], *kb[30];
	int64_t tsa[41], tsb[30];
	double va[41], vb[30];
	ga[0] = strdup("a0");
	ka[0] = strdup("x");
	for (int i = 1; i <= 20; i++)
		for (int j = 0; j < 2; j++) {
			int r = 1 + (i - 1) * 2 + j;
			ga[r] = xstrdup_fmt("a%02d", i);
			ka[r] = xstrdup_fmt("y%02d", i);
		}
	for (int i = 0; i < 41; i++) {
		tsa[i] = 100 + i;
		va[i] = 1.0;
	}
	for (int i = 0; i < 30; i++) {
		gb[i] = strdup("b0");
		kb[i] = strdup("x");
		tsb[i] = 200 + i;
		vb[i] = 1.0;
	}
	fr_arena *a = fr_arena_new(0);
	const fr_vec *ca[TOP_NCOLS], *cb[TOP_NCOLS];
	fr_qpart parts[2] = { { 0 } };
	top_part(a, ga, tsa, ka, va, 41, ca, &parts[0]);
	top_part(a, gb, tsb, kb, vb, 30, cb, &parts[1]);
	fr_qerror qe;
	char *got = run_text(&top_schema, parts, 2,
	                     "{'query':{'aggregations':[{'column':'k','type':'countPerValue'}]}}",
	                     &qe, 0);
	ck_assert_ptr_nonnull(got);
	ck_assert_msg(strstr(got, "\"x\": 31") != NULL, "TC-64 got %s", got);
	ck_assert_msg(strstr(got, "\"matchingGroups\": 22") != NULL, "TC-64 got %s", got);
	ck_assert_msg(strstr(got, "approximate") == NULL, "TC-64 got %s", got);
	/* Past the exact limit a part cuts its map and says so. */
	static const fr_query_opts limit5 = { .top_default = 10, .grace = 2.0, .exact_limit = 5 };
	run_opts = &limit5;
	free(got);
	got = run_text(&top_schema, parts, 2,
	               "{'query':{'aggregations':[{'column':'k','type':'countPerValue'}]}}", &qe, 0);
	run_opts = NULL;
	ck_assert_ptr_nonnull(got);
	ck_assert_msg(strstr(got, "\"approximate\": true") != NULL, "TC-64 approx got %s", got);
	ck_assert_msg(strstr(got, "\"x\": 30") != NULL, "TC-64 approx got %s", got);
	free(got);
	/* the per-part cut follows the aggregation's own top: 30 x 2.0 keeps all 21 keys */
	run_opts = &limit5;
	got = run_text(&top_schema, parts, 2, "{'query':{'aggregations':[{'column':'k','type':"
	               "'countPerValue','top':30}]}}", &qe, 0);
	run_opts = NULL;
	ck_assert_ptr_nonnull(got);
	ck_assert_msg(strstr(got, "\"x\": 31") != NULL, "TC-64 top 30 got %s", got);
	free(got);
	for (int i = 0; i < 41; i++) {
		free((char *)ga[i]);
		free((char *)ka[i]);
	}
	for (int i = 0; i < 30; i++) {
		free((char *)gb[i]);
		free((char *)kb[i]);
	}
	fr_arena_free(a);
}
END_TEST

/* TC-65: the merge function over hand-made part results. */
static void set_map(fr_qresult *r, fr_qaggres *m, const char *const *keys, const int64_t *vals,
                    int n)
{
	m->e = fr_arena_calloc(r->arena, (size_t)n, sizeof(fr_qentry));
	m->n = m->cap = (uint32_t)n;
	for (int i = 0; i < n; i++) {
		m->e[i].key = fr_arena_strdup(r->arena, keys[i]);
		m->e[i].klen = (uint32_t)strlen(keys[i]);
		m->e[i].cnt = vals[i];
	}
}

START_TEST(tc_merge_function)
{
	fr_arena *a = fr_arena_new(0);
	fr_query *q;
	fr_qerror qe;
	char *doc = dq("{'funnel':{'sequence':[" V "," V "],'stepAggregations':[{'column':'tag',"
	               "'type':'count'},{'column':'tag','type':'countPerValue','top':3}],"
	               "'endAggregations':[{'column':'tag','type':'countPerValue','top':2}]}}");
	ck_assert_int_eq(fr_query_parse(doc, strlen(doc), &ev_schema, a, &q, &qe), 0);
	free(doc);
	fr_err err = { 0 };
	fr_qresult *acc, *p1, *p2;
	ck_assert_int_eq(fr_qresult_new(q, &acc, &err), 0);
	ck_assert_int_eq(fr_qresult_new(q, &p1, &err), 0);
	ck_assert_int_eq(fr_qresult_new(q, &p2, &err), 0);
	static const char *k1[] = { "funny", "few", "not funny", "few2", "a1", "medium1" };
	static const int64_t v1[] = { 20, 4, 10, 3, 1, 5 };
	static const char *k2[] = { "funny", "few", "not funny", "few2", "a2", "medium2" };
	static const int64_t v2[] = { 200, 40, 100, 30, 10, 499 };
	p1->steps[0].groups = 100;
	p1->steps[0].rows = 1000;
	p2->steps[0].groups = 1000;
	p2->steps[0].rows = 10000;
	p1->steps[0].aggs[0].count = 10000;
	p2->steps[0].aggs[0].count = 100000;
	set_map(p1, &p1->steps[0].aggs[1], k1, v1, 6);
	set_map(p2, &p2->steps[0].aggs[1], k2, v2, 6);
	char *ek1[100], *ek2[200];
	int64_t ev1[100], ev2[200];
	for (int i = 0; i < 200; i++) {
		ek2[i] = xstrdup_fmt("value%d", i + 1);
		ev2[i] = 3 * (i + 1);
		if (i < 100) {
			ek1[i] = xstrdup_fmt("value%d", i + 1);
			ev1[i] = 10 * (i + 1);
		}
	}
	set_map(p1, &p1->end[0], (const char *const *)ek1, ev1, 100);
	set_map(p2, &p2->end[0], (const char *const *)ek2, ev2, 200);
	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(fr_qresult_merge(q, acc, p1, &err), 0);
	ck_assert_int_eq(fr_qresult_merge(q, acc, p2, &err), 0);
	fr_buf b = FR_BUF_INIT;
	fr_jw w;
	fr_jw_init(&w, &b, 0);
	fr_jw_open(&w, '{');
	ck_assert_int_eq(fr_qresult_write(q, acc, &w), 0);
	fr_jw_close(&w, '}');
	fr_buf_putc(&b, 0);
	json_t *gj = json_loads((char *)b.data, 0, NULL);
	char *exp = dq("{'query':{'matchingGroups':0,'matchingGroupRows':0},'funnel':{'sequence':["
	               "{'matchingGroups':11000,'matchingGroupRows':110000,'aggregations':["
	               "{'column':'tag','type':'count','value':1100000,'top':null,'name':null},"
	               "{'column':'tag','type':'countPerValue','value':{'funny':2200,'not funny':1100,"
	               "'medium1':500},'top':3,'name':null}]},"
	               "{'matchingGroups':0,'matchingGroupRows':0,'aggregations':["
	               "{'column':'tag','type':'count','value':0,'top':null,'name':null},"
	               "{'column':'tag','type':'countPerValue','value':{},'top':3,'name':null}]}],"
	               "'endAggregations':[{'column':'tag','type':'countPerValue','value':"
	               "{'value100':100300,'value99':99297},'top':2,'name':null}]}}");
	json_t *ej = json_loads(exp, 0, NULL);
	ck_assert_msg(json_equal(gj, ej), "TC-65 got %s", (char *)b.data);
	json_decref(gj);
	json_decref(ej);
	free(exp);
	fr_buf_free(&b);
	for (int i = 0; i < 200; i++) {
		free(ek2[i]);
		if (i < 100)
			free(ek1[i]);
	}
	fr_qresult_free(acc);
	fr_qresult_free(p1);
	fr_qresult_free(p2);
	fr_arena_free(a);
}
END_TEST

/* ---- §7.10 validation ---- */
#define AGG(x) "{'query':{'aggregations':[" x "]}}"
START_TEST(tc_validation)
{
	expect_invalid("V-01", "{'hello':'world'}", FR_QERR_SCHEMA, "'hello' was unexpected");
	expect_invalid("V-02", "[]", FR_QERR_SCHEMA, NULL);
	expect_invalid("V-03", C1("{'filter':['color','==','red']}"), FR_QERR_DATASET_MISMATCH,
	               "color");
	expect_invalid("V-04", C1("{'filter':['qty','==',1.5]}"), FR_QERR_TYPE_MISMATCH, "1.5");
	expect_invalid("V-04b", C1("{'filter':['qty','==',5.0]}"), FR_QERR_TYPE_MISMATCH, "FLOAT");
	expect_invalid("V-05", C1("{'filter':['event','>','a']}"), FR_QERR_TYPE_MISMATCH, "'>'");
	expect_invalid("V-06", C1("{'filter':['flag','==',1]}"), FR_QERR_TYPE_MISMATCH, "BOOL");
	expect_gr("V-07", C1("{'filter':['price','>',5]}"), 3, 8);
	expect_invalid("V-08", C1("{'filter':['event','==','view'],'target':['count','>',0],"
	                          "'includeZero':true}"), FR_QERR_TYPE_MISMATCH, "includeZero");
	expect_invalid("V-09", C1("{'filter':['event','==','view'],'target':['count','==',0],"
	                          "'includeZero':false}"), FR_QERR_TYPE_MISMATCH, "includeZero");
	expect_invalid("V-10", C1("{'filter':['event','==','view'],'target':['sum','price','>',1],"
	                          "'includeZero':true}"), FR_QERR_TYPE_MISMATCH, "sum");
	expect_invalid("V-11", C1("{'filter':['event','==','view'],'target':['sum','tag','>',1]}"),
	               FR_QERR_TYPE_MISMATCH, "STRING");
	expect_invalid("V-12", C1("{'filter':['event','==','view'],'target':['count','>=',-1]}"),
	               FR_QERR_SCHEMA, NULL);
	expect_invalid("V-13", C1("{'sequence':[" V "],'target':['count','>=',1]}"), FR_QERR_SCHEMA,
	               "'target' was unexpected");
	expect_invalid("V-14", C1("{'filters':[['event','==','view']]}"), FR_QERR_SCHEMA,
	               "query.conditions[0].filters[0]");
	expect_invalid("V-15", C1("{'sequence':[]}"), FR_QERR_SCHEMA, "too short");
	expect_invalid("V-15b", "{'funnel':{'sequence':[]}}", FR_QERR_SCHEMA, "too short");
	expect_invalid("V-16", "{'funnel':{}}", FR_QERR_SCHEMA, "'sequence' is a required property");
	expect_invalid("V-17", "{'query':{'relation':'$2','conditions':[" V "," V "]}}",
	               FR_QERR_RELATION, "index 2");
	static const char *const bad_rel[] = { "$0 and", "NOT $0", "$0 & $1", "(($0)", "()",
	                                       "$0 $1" };
	for (size_t i = 0; i < sizeof bad_rel / sizeof bad_rel[0]; i++) {
		char doc[300];
		snprintf(doc, sizeof doc, "{'query':{'relation':'%s','conditions':[" V "," V "]}}",
		         bad_rel[i]);
		expect_invalid("V-18", doc, FR_QERR_RELATION, NULL);
	}
	/* a relation that stops early names its end, not its start */
	expect_invalid("V-18b", "{'query':{'relation':'$0 and','conditions':[" V "," V "]}}",
	               FR_QERR_RELATION, "ends too early, after '$0 and' (position 6)");
	expect_invalid("V-18c", "{'query':{'relation':'$0 && ($1','conditions':[" V "," V "]}}",
	               FR_QERR_RELATION, "ends too early, after '$0 && ($1' (position 9)");
	expect_invalid("V-18d", "{'query':{'relation':'$0 $1','conditions':[" V "," V "]}}",
	               FR_QERR_RELATION, "at ' $1' (position 2)");
	expect_invalid("V-19", "{'query':{'relation':'$foo','conditions':[" V "]}}",
	               FR_QERR_RELATION, "foo");
	expect_invalid("V-20", "{'query':{'relation':'and'}}", FR_QERR_RELATION, "empty");
	expect_invalid("V-20b", "{'query':{'relation':'','conditions':[" V "]}}", FR_QERR_RELATION,
	               "empty");
	expect_invalid("V-20c", "{'query':{'relation':'   ','conditions':[" V "]}}",
	               FR_QERR_RELATION, "empty");
	expect_invalid("V-22", "{'query':{'conditions':[{'name':'x','filter':['event','==','view']},"
	               "{'name':'x','filter':['event','==','buy']}]}}", FR_QERR_SCHEMA,
	               "not unique in scope 'query.conditions.name'");
	expect_invalid("V-22b", "{'query':{'conditions':[{'name':'A','filter':['event','==','view']},"
	               "{'name':'a','filter':['event','==','buy']}]}}", FR_QERR_SCHEMA, "not unique");
	expect_invalid("V-23", C1("{'name':'Or','filter':['event','==','view']}"), FR_QERR_SCHEMA,
	               "'or'");
	expect_invalid("V-23b", C1("{'name':'AND','filter':['event','==','view']}"), FR_QERR_SCHEMA,
	               "reserved");
	static const char *const bad_names[] = { "1abc", "_x", "a b", "$a", "", "a\\n" };
	for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
		char doc[300];
		snprintf(doc, sizeof doc, C1("{'name':'%s','filter':['event','==','view']}"),
		         bad_names[i]);
		expect_invalid("V-24", doc, FR_QERR_SCHEMA, "invalid");
	}
	expect_invalid("V-25", AGG("{'column':'event','name':'e'}"), FR_QERR_SCHEMA, "name");
	expect_invalid("V-26", AGG("{'column':'event','type':'sumPerValue'}"), FR_QERR_SCHEMA,
	               "otherColumn");
	expect_invalid("V-26b", AGG("{'column':'event','type':'countPerValue','otherColumn':'price'}"),
	               FR_QERR_SCHEMA, "otherColumn");
	expect_invalid("V-26c", AGG("{'column':'event','otherColumn':'price'}"), FR_QERR_SCHEMA,
	               "otherColumn");
	expect_invalid("V-27", AGG("{'column':'event','type':'meanPerValue','otherColumn':'tag'}"),
	               FR_QERR_TYPE_MISMATCH, "INT, FLOAT");
	expect_invalid("V-27b", AGG("{'column':'event','type':'meanPerValue','otherColumn':'flag'}"),
	               FR_QERR_TYPE_MISMATCH, "BOOL");
	expect_invalid("V-28", AGG("{'column':'zz','type':'count'}"), FR_QERR_DATASET_MISMATCH, "zz");
	/* V-29 is accepted by decision 4 (see the 'top' case in tc_aggregations) */
	expect_invalid("V-29", AGG("{'column':'event','type':'countPerValue','top':0}"),
	               FR_QERR_SCHEMA, "top");
	expect_invalid("V-30", AGG("{'column':'event','type':'count','name':'a'},{'column':'qty',"
	               "'type':'count','name':'a'}"), FR_QERR_SCHEMA,
	               "query.aggregations.name");
	expect("V-30b", "{'query':{'aggregations':[{'column':'event','type':'count','name':'a'}]},"
	       "'funnel':{'sequence':[" V "],'endAggregations':[{'column':'qty','type':'count',"
	       "'name':'a'}]}}",
	       "{'query':{'matchingGroups':5,'matchingGroupRows':12,'aggregations':[{'column':"
	       "'event','type':'count','value':11,'top':null,'name':'a'}]},'funnel':{'sequence':["
	       "{'matchingGroups':4,'matchingGroupRows':9,'aggregations':null}],'endAggregations':["
	       "{'column':'qty','type':'count','value':9,'top':null,'name':'a'}]}}");
	expect_invalid("V-31", "{'timeframe':{'from':150,'to':150}}", FR_QERR_SCHEMA, "larger");
	expect_invalid("V-33", "{'timeframe':{'from':100.5}}", FR_QERR_SCHEMA, "timeframe.from");
	expect_invalid("V-33b", "{'timeframe':{'from':-1}}", FR_QERR_SCHEMA, "minimum");
	/* decision 5: ignored fields are rejected */
	expect_invalid("V-34", "{'funnel':{'sequence':[{'filter':['event','==','view'],"
	               "'rowFound':false}],'maxDuration':-5}}", FR_QERR_SCHEMA, "not supported");
	expect_invalid("V-34b", "{'funnel':{'sequence':[" V "],'maxDuration':5}}", FR_QERR_SCHEMA,
	               "not supported");
	expect_invalid("V-34c", C1("{'sequence':[" V "],'maxDuration':5}"), FR_QERR_SCHEMA,
	               "not supported");
	expect_invalid("V-36", C1("{'filter':['event','regex','v']}"), FR_QERR_SCHEMA, "regex");
}
END_TEST

/* Bad input beyond §7: malformed shorthand, nulls, wrong types, huge and deep documents. */
START_TEST(tc_bad_input)
{
	expect_invalid("short-filter", C1("{'filter':['event','==']}"), FR_QERR_SCHEMA,
	               "query.conditions[0].filter");
	expect_invalid("null-value", C1("{'filter':['event','==',null]}"), FR_QERR_SCHEMA,
	               "query.conditions[0].filter[2]");
	expect_invalid("short-target", C1("{'filter':['event','==','view'],'target':['count','>']}"),
	               FR_QERR_SCHEMA, "target");
	expect_invalid("float-count", C1("{'filter':['event','==','view'],'target':['count','>',1.0]}"),
	               FR_QERR_SCHEMA, "integer");
	expect_invalid("bool-count", C1("{'filter':['event','==','view'],'target':['count','>',true]}"),
	               FR_QERR_SCHEMA, "integer");
	expect_invalid("contains-target", C1("{'filter':['event','==','view'],'target':['count',"
	               "'contains',1]}"), FR_QERR_SCHEMA, "operator");
	expect_invalid("both-shapes", C1("{'filter':['event','==','view'],'filters':[{'column':'event',"
	               "'op':'==','value':'view'}]}"), FR_QERR_SCHEMA, "exactly one");
	expect_invalid("malformed", "{'query':", FR_QERR_SCHEMA, "malformed JSON");
	expect_invalid("not-object", "'text'", FR_QERR_SCHEMA, NULL);
	expect_invalid("null-doc", "null", FR_QERR_SCHEMA, NULL);
	expect_invalid("cond-not-object", C1("5"), FR_QERR_SCHEMA, "query.conditions[0]");
	expect_invalid("int-overflow", C1("{'filter':['qty','==',99999999999999999999]}"),
	               FR_QERR_SCHEMA, "malformed");
	expect_invalid("top-on-count", AGG("{'column':'event','type':'count','top':3}"),
	               FR_QERR_SCHEMA, "top");
	expect_invalid("group-not-numeric", C1("{'filter':['uid','>',3]}"), FR_QERR_TYPE_MISMATCH,
	               NULL);
	expect_invalid("nul-name", C1("{'filter':['event\\u0000x','==','view']}"), FR_QERR_SCHEMA,
	               "NUL");
	expect_gr("nul-value", C1("{'filter':['event','==','view\\u0000']}"), 0, 0);
	expect_gr("int64-min", C1("{'filter':['qty','>',-9223372036854775808]}"), 5, 12);
	/* deep nesting and a huge relation */
	char *deep = malloc(100000);
	size_t k = 0;
	for (int i = 0; i < 30000; i++)
		deep[k++] = '[';
	deep[k] = 0;
	expect_invalid("deep", deep, FR_QERR_SCHEMA, NULL);
	k = (size_t)snprintf(deep, 100000, "{'query':{'conditions':[" V "],'relation':'");
	for (int i = 0; i < 5000; i++)
		deep[k++] = '(';
	k += (size_t)snprintf(deep + k, 100000 - k, "$0'}}");
	expect_invalid("deep-relation", deep, FR_QERR_RELATION, NULL);
	free(deep);
	char *big = malloc(FR_QUERY_MAX_DOC_BYTES + 10);
	memset(big, ' ', FR_QUERY_MAX_DOC_BYTES + 9);
	big[FR_QUERY_MAX_DOC_BYTES + 9] = 0;
	big[0] = '{';
	big[FR_QUERY_MAX_DOC_BYTES + 8] = '}';
	expect_invalid("huge", big, FR_QERR_SCHEMA, "bytes");
	free(big);
}
END_TEST

START_TEST(tc_float_repr)
{
	static const struct { double v; const char *s; } cases[] = {
		{ 10.0, "10.0" }, { 25.5, "25.5" }, { 0.0001, "0.0001" },
		{ 1234567890123456.0, "1234567890123456.0" }, { -2.5, "-2.5" }, { -0.0, "-0.0" },
		{ 1e16, "1e+16" }, { 1.5e16, "1.5e+16" }, { 1e-05, "1e-05" }, { 1.5e-07, "1.5e-07" },
		{ 1.2345678901234567e+19, "1.2345678901234567e+19" }, { 0.1, "0.1" },
		{ 12.166666666666666, "12.166666666666666" }, { 5.666666666666667, "5.666666666666667" },
		{ (double)0.1f, "0.10000000149011612" }, { 1e22, "1e+22" }, { 123.0, "123.0" },
		{ 5e-324, "5e-324" }, { 1.7976931348623157e308, "1.7976931348623157e+308" },
		{ INFINITY, "inf" }, { -INFINITY, "-inf" },
		{ -0x0.06b4d655a26c6p-1022, "-5.8289942494699e-310" }, { 0.3, "0.3" },
		{ 2.0 / 3.0, "0.6666666666666666" }, { 1e15 + 0.3, "1000000000000000.2" },
		{ 9007199254740993.0, "9007199254740992.0" }, { 123456789.125, "123456789.125" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char b[64];
		fr_json_fmt_double(cases[i].v, b, sizeof b);
		ck_assert_str_eq(b, cases[i].s);
	}
}
END_TEST

START_TEST(tc_json_text)
{
	/* non-ASCII escaped, pretty layout as Python's json.dumps(indent=2) */
	fr_buf b = FR_BUF_INIT;
	fr_jw w;
	fr_jw_init(&w, &b, 1);
	fr_jw_open(&w, '{');
	fr_jw_key(&w, "a\xc3\xa9\xf0\x9f\x98\x80");
	fr_jw_open(&w, '[');
	fr_jw_int(&w, 1);
	fr_jw_open(&w, '{');
	fr_jw_close(&w, '}');
	fr_jw_close(&w, ']');
	fr_jw_key(&w, "b");
	fr_jw_i128(&w, (fr_i128)INT64_MAX * 4);
	fr_jw_close(&w, '}');
	fr_buf_putc(&b, 0);
	ck_assert_str_eq((char *)b.data, "{\n  \"a\\u00e9\\ud83d\\ude00\": [\n    1,\n    {}\n  ],\n"
	                 "  \"b\": 36893488147419103228\n}");
	fr_buf_free(&b);
}
END_TEST

/* ---- invalid UTF-8 in string values (issue 13): every byte string prints as a distinct JSON
 * string (invalid bytes as the lone surrogates \udc80..\udcff), so no map has two equal keys */

static char *jstr(const char *s, size_t n)
{
	fr_buf b = FR_BUF_INIT;
	ck_assert_int_eq(fr_json_str(&b, s, n), 0);
	fr_buf_putc(&b, 0);
	char *r = strdup((char *)b.data);
	fr_buf_free(&b);
	return r;
}

static const struct { const char *in; size_t n; const char *out; } utf8_cases[] = {
	{ "\xff", 1, "\"\\udcff\"" },
	{ "\xfe", 1, "\"\\udcfe\"" },
	{ "\x80", 1, "\"\\udc80\"" },
	{ "A", 1, "\"A\"" },
	{ "\xc1\x81", 2, "\"\\udcc1\\udc81\"" },                /* overlong 'A' */
	{ "\xe0\x80\x80", 3, "\"\\udce0\\udc80\\udc80\"" },        /* overlong NUL */
	{ "\x00", 1, "\"\\u0000\"" },
	{ "\xed\xa0\x80", 3, "\"\\udced\\udca0\\udc80\"" },        /* encoded surrogate */
	{ "\xf4\x90\x80\x80", 4, "\"\\udcf4\\udc90\\udc80\\udc80\"" }, /* above U+10FFFF */
	{ "caf\xc3", 4, "\"caf\\udcc3\"" },                       /* truncated */
	{ "caf\xc3\xa9", 5, "\"caf\\u00e9\"" },
	{ "\xef\xbf\xbd", 3, "\"\\ufffd\"" },                    /* a real U+FFFD */
	{ "\xf0\x9f\x98\x80\xff", 5, "\"\\ud83d\\ude00\\udcff\"" },
	{ "\xe2\x82", 2, "\"\\udce2\\udc82\"" },
	{ "\xe2\x82\xac", 3, "\"\\u20ac\"" },
};
#define NUTF8 (sizeof utf8_cases / sizeof utf8_cases[0])

START_TEST(tc_invalid_utf8_text)
{
	char *got[NUTF8];
	for (size_t i = 0; i < NUTF8; i++) {
		got[i] = jstr(utf8_cases[i].in, utf8_cases[i].n);
		ck_assert_msg(!strcmp(got[i], utf8_cases[i].out), "case %zu: %s, want %s", i, got[i],
		              utf8_cases[i].out);
	}
	for (size_t i = 0; i < NUTF8; i++)
		for (size_t j = 0; j < i; j++)
			ck_assert_msg(strcmp(got[i], got[j]), "cases %zu and %zu print alike: %s", j, i,
			              got[i]);
	for (size_t i = 0; i < NUTF8; i++)
		free(got[i]);
}
END_TEST

/* Counts of `key` (JSON text) in text: must be exactly one occurrence as a key. */
static int count_key(const char *text, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof pat, "%s: ", key);
	int n = 0;
	for (const char *p = text; (p = strstr(p, pat)); p++)
		n++;
	return n;
}

START_TEST(tc_invalid_utf8_keys)
{
	/* a Parquet file written by our writer with several invalid UTF-8 values in a STRING
	 * column, loaded as a query loads it, over two parts (the merge keeps keys apart too);
	 * value i appears i + 1 times; the same column as the group id keeps groups apart */
	enum { NV = NUTF8 };
	int64_t nrows = 0;
	for (int i = 0; i < NV; i++)
		nrows += i + 1;
	fr_arena *a = fr_arena_new(0);
	int64_t *off = fr_arena_calloc(a, (size_t)nrows + 1, sizeof *off);
	uint8_t *data = fr_arena_alloc(a, (size_t)nrows * 8);
	int64_t *ts = fr_arena_calloc(a, (size_t)nrows, sizeof *ts);
	int64_t *uid = fr_arena_calloc(a, (size_t)nrows, sizeof *uid);
	int64_t r = 0;
	for (int i = 0; i < NV; i++)
		for (int k = 0; k <= i; k++, r++) {
			memcpy(data + off[r], utf8_cases[i].in, utf8_cases[i].n);
			off[r + 1] = off[r] + (int64_t)utf8_cases[i].n;
			ts[r] = r;
			uid[r] = r % 5;
		}
	char path[] = "/tmp/frocket-utf8-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	fr_pqw_col pc[3] = { { .name = "s", .type = FR_PQ_BYTE_ARRAY, .string = 1 },
	                     { .name = "ts", .type = FR_PQ_INT64 },
	                     { .name = "uid", .type = FR_PQ_INT64 } };
	fr_vec in[3] = { { .kind = FR_VEC_BIN, .len = nrows,
	                   .dict = { .n = (uint32_t)nrows, .off = off, .data = data } },
	                 { .kind = FR_VEC_I64, .len = nrows, .v.i64 = ts },
	                 { .kind = FR_VEC_I64, .len = nrows, .v.i64 = uid } };
	fr_pqw_opts o;
	fr_pqw_opts_default(&o);
	fr_err err = { 0 };
	fr_pqw *w;
	ck_assert_int_eq(fr_pqw_open(path, pc, 3, &o, &w, &err), 0);
	ck_assert_int_eq(fr_pqw_write_row_group(w, nrows / 2, in, &err), 0);
	fr_vec rest[3];
	for (int c = 0; c < 3; c++)
		rest[c] = in[c];
	rest[0].dict.n = (uint32_t)(nrows - nrows / 2);
	rest[0].dict.off = off + nrows / 2;
	rest[0].len = rest[1].len = rest[2].len = nrows - nrows / 2;
	rest[1].v.i64 = ts + nrows / 2;
	rest[2].v.i64 = uid + nrows / 2;
	/* the writer reads string i at data[off[i] .. off[i+1]) whatever off[0] is */
	ck_assert_int_eq(fr_pqw_write_row_group(w, nrows - nrows / 2, rest, &err), 0);
	ck_assert_int_eq(fr_pqw_close(w, &err), 0);
	fr_pq_file *f;
	ck_assert_int_eq(fr_pq_open_path(path, &f, &err), 0);
	fr_vec cols[2][3];
	const fr_vec *pcols[2][3];
	fr_qpart parts[2];
	for (int p = 0; p < 2; p++) {
		uint8_t keep[2] = { p == 0, p == 1 };
		for (int c = 0; c < 3; c++) {
			ck_assert_msg(fr_pq_load_column(f, c, keep, a, &cols[p][c], &err) == 0, "%s",
			              err.msg);
			pcols[p][c] = &cols[p][c];
		}
		parts[p] = (fr_qpart){ .nrows = cols[p][0].len, .cols = pcols[p] };
	}
	fr_pq_close(f);
	unlink(path);
	static const char *names[3] = { "s", "ts", "uid" };
	static const fr_coltype types[3] = { FR_TYPE_STRING, FR_TYPE_INT, FR_TYPE_INT };
	for (int g = 0; g < 2; g++) {
		const fr_qschema schema = { 3, names, types, g ? 0 : 2, 1 };
		fr_qerror qe;
		char *got = run_text(&schema, parts, 2, "{'query':{'aggregations':[{'column':'s',"
		                     "'type':'countPerValue','top':100},{'column':'s','type':"
		                     "'sumPerValue','otherColumn':'ts','top':100}]}}", &qe, 0);
		ck_assert_msg(got != NULL, "%s", qe.msg);
		for (size_t i = 0; i < NUTF8; i++) {
			ck_assert_msg(count_key(got, utf8_cases[i].out) == 2, "key %s in %s",
			              utf8_cases[i].out, got);
			/* the count: "key: i+1" then ',' or '}' (countPerValue's map comes first) */
			char kv[80];
			int kl = snprintf(kv, sizeof kv, "%s: %zu", utf8_cases[i].out, i + 1);
			const char *at = strstr(got, kv);
			ck_assert_msg(at && (at[kl] == ',' || at[kl] == '}'), "%s => %zu in %s",
			              utf8_cases[i].out, i + 1, got);
		}
		char groups[64];
		/* groups add up over parts: 5 user ids in each; by value, the distinct values of
		 * each part (16: value 10 spans both) */
		snprintf(groups, sizeof groups, "\"matchingGroups\": %d", g ? 16 : 10);
		ck_assert_int_eq(cols[0][0].dict.n + cols[1][0].dict.n, 16);
		ck_assert_msg(strstr(got, groups) != NULL, "%s", got);
		free(got);
	}
	fr_arena_free(a);
}
END_TEST

START_TEST(tc_pretty_output)
{
	fr_qerror qe;
	char *got = run_text(&ev_schema, &ev_one, 1, "{'funnel':{'sequence':[" V "]}}", &qe, 1);
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, "{\n  \"funnel\": {\n    \"sequence\": [\n      {\n"
	                 "        \"aggregations\": null,\n        \"matchingGroupRows\": 9,\n"
	                 "        \"matchingGroups\": 4\n      }\n    ]\n  },\n  \"query\": {\n"
	                 "    \"matchingGroupRows\": 12,\n    \"matchingGroups\": 5\n  }\n}");
	free(got);
}
END_TEST

START_TEST(tc_simd_scalar_agree)
{
	/* The same answers with the kernels forced to scalar (FROCKET_SIMD=scalar). */
	fr_err err = { 0 };
	if (fr_kern_simd_set(FR_SIMD_SCALAR, &err) == 0) {
		expect_gr("TC-38-scalar", SEQ(V "," CA), 2, 6);
		expect_gr("TC-31-scalar", "{'query':{'relation':'$0 or $1 and $2','conditions':[" CA ","
		          B "," H "]}}", 4, 11);
	}
}
END_TEST

/* Queries without timeframe, sequence or funnel do not read the timestamp column. */
START_TEST(tc_no_timestamp_needed)
{
	const fr_vec *cols[EV_NCOLS];
	fr_qpart p = { 0 };
	memcpy(cols, ev_cols_all, sizeof cols);
	cols[EV_TS] = NULL;
	p.nrows = 12;
	p.cols = cols;
	fr_qerror qe;
	char *got = run_text(&ev_schema, &p, 1, C1(V), &qe, 0);
	ck_assert_ptr_nonnull(got);
	ck_assert_ptr_nonnull(strstr(got, "\"matchingGroups\": 4"));
	free(got);
	/* a sequence needs it: the part is reported, not read out of bounds */
	fr_arena *a = fr_arena_new(0);
	fr_query *q;
	char *doc = dq(SEQ(V "," B));
	ck_assert_int_eq(fr_query_parse(doc, strlen(doc), &ev_schema, a, &q, &qe), 0);
	fr_qresult *r;
	fr_err err = { 0 };
	ck_assert_int_ne(fr_query_exec(q, &p, &r, &err), 0);
	ck_assert_ptr_nonnull(strstr(err.msg, "ts"));
	free(doc);
	fr_arena_free(a);
}
END_TEST

/* A FLOAT timestamp column: timeframe and sequences compare doubles. */
START_TEST(tc_float_timestamp)
{
	static const fr_coltype types[EV_NCOLS] = { FR_TYPE_STRING, FR_TYPE_FLOAT, FR_TYPE_STRING,
	                                            FR_TYPE_FLOAT, FR_TYPE_INT, FR_TYPE_BOOL,
	                                            FR_TYPE_STRING };
	const fr_qschema schema = { EV_NCOLS, ev_names, types, EV_UID, EV_TS };
	double ts[12];
	for (int i = 0; i < 12; i++)
		ts[i] = (double)ev_ts[i] + 0.25;
	const fr_vec *cols[EV_NCOLS];
	memcpy(cols, ev_cols_all, sizeof cols);
	cols[EV_TS] = td_f64(ev_arena, ts, 12);
	fr_qpart p = { .nrows = 12, .cols = cols };
	fr_qerror qe;
	char *got = run_text(&schema, &p, 1, "{'timeframe':{'from':150,'to':300},'query':{"
	                     "'conditions':[{'sequence':[" V "," CA "]}]}}", &qe, 0);
	ck_assert_msg(got != NULL, "%s", qe.msg);
	/* frame [150, 300) keeps rows 2, 5, 6 (ts x.25); u2's view 150.25 and cart 150.25 tie */
	ck_assert_msg(strstr(got, "\"matchingGroups\": 0") != NULL, "%s", got);
	free(got);
	got = run_text(&schema, &p, 1, "{'timeframe':{'from':150,'to':300}}", &qe, 0);
	ck_assert_msg(strstr(got, "\"matchingGroupRows\": 3") != NULL, "%s", got);
	free(got);
	got = run_text(&schema, &p, 1, SEQ(V "," CA), &qe, 0);
	ck_assert_msg(strstr(got, "\"matchingGroups\": 2") != NULL, "%s", got);
	free(got);
}
END_TEST

/* Parts with no rows (a file of empty row groups, or everything outside the timeframe). */
START_TEST(tc_empty_part)
{
	const fr_vec *cols[EV_NCOLS];
	fr_qpart parts[2] = { { 0 } };
	ev_part(ev_arena, 0, 0, cols, &parts[0]);
	parts[1] = ev_one;
	fr_qerror qe;
	char *got = run_text(&ev_schema, parts, 1, "{'query':{'aggregations':[{'column':'event'},"
	                     "{'column':'qty','type':'meanPerValue','otherColumn':'price'}]},"
	                     "'funnel':{'sequence':[" V "," CA "],'endAggregations':[{'column':"
	                     "'tag'}]}}", &qe, 0);
	ck_assert_ptr_nonnull(got);
	ck_assert_msg(strstr(got, "\"matchingGroups\": 0") != NULL, "%s", got);
	free(got);
	expect_gr("TC-01 after empty part", "{}", 5, 12);
	got = run_text(&ev_schema, parts, 2, "{}", &qe, 0);
	ck_assert_msg(strstr(got, "\"matchingGroupRows\": 12") != NULL, "%s", got);
	free(got);
}
END_TEST

static int cmp_desc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? 1 : x > y ? -1 : 0;
}

START_TEST(tc_kth_largest)
{
	uint64_t s = 12345;
	for (int round = 0; round < 300; round++) {
		uint32_t n = 1 + (uint32_t)(round % 97) * 3;
		double *v = malloc(n * sizeof *v), *w = malloc(n * sizeof *w);
		for (uint32_t i = 0; i < n; i++) {
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			v[i] = (double)((s >> 33) % (round % 5 == 0 ? 3 : 1000));
		}
		memcpy(w, v, n * sizeof *v);
		qsort(w, n, sizeof *w, cmp_desc);
		uint32_t k = 1 + (uint32_t)(s % n);
		ck_assert(fr_qres_kth_largest(v, n, k) == w[k - 1]);
		free(v);
		free(w);
	}
}
END_TEST

static Suite *query_suite(void)
{
	Suite *s = suite_create("query");
	TCase *tc = tcase_create("engine");
	tcase_add_checked_fixture(tc, ev_setup, ev_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, tc_counting_targets);
	tcase_add_test(tc, tc_filters);
	tcase_add_test(tc, tc_relations);
	tcase_add_test(tc, tc_sequences);
	tcase_add_test(tc, tc_funnels);
	tcase_add_test(tc, tc_aggregations);
	tcase_add_test(tc, tc_timeframe);
	tcase_add_test(tc, tc_worked_example);
	tcase_add_test(tc, tc_merge_mean);
	tcase_add_test(tc, tc_top_cut);
	tcase_add_test(tc, tc_exact_across_parts);
	tcase_add_test(tc, tc_merge_function);
	tcase_add_test(tc, tc_validation);
	tcase_add_test(tc, tc_bad_input);
	tcase_add_test(tc, tc_float_repr);
	tcase_add_test(tc, tc_json_text);
	tcase_add_test(tc, tc_pretty_output);
	tcase_add_test(tc, tc_simd_scalar_agree);
	tcase_add_test(tc, tc_no_timestamp_needed);
	tcase_add_test(tc, tc_float_timestamp);
	tcase_add_test(tc, tc_empty_part);
	tcase_add_test(tc, tc_kth_largest);
	suite_add_tcase(s, tc);
	/* issue 13: documents near the size cap and long relations; a few seconds each under
	 * ASan+UBSan on an idle machine, with room for a busy one */
	TCase *th = tcase_create("hostile");
	tcase_add_checked_fixture(th, ev_setup, ev_teardown);
	tcase_set_timeout(th, 300);
	tcase_add_test(th, tc_relation_program);
	tcase_add_test(th, tc_relation_chains);
	tcase_add_test(th, tc_relation_nesting);
	tcase_add_test(th, tc_big_document);
	tcase_add_test(th, tc_invalid_utf8_text);
	tcase_add_test(th, tc_invalid_utf8_keys);
	suite_add_tcase(s, th);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(query_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
