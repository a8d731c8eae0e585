/* Execution of one validated query over one part (query.md §4): timeframe, conditions and the
 * relation, aggregations, funnel.  All per-row work is done by the kernels; this file only
 * strings them together over one group index shared by every stage. */
#include "query/query.h"
#include "core/jw.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "query/internal.h"

typedef struct xctx {
	const fr_query *q;
	const fr_qpart *part;
	int64_t n;                 /* rows */
	fr_arena *tmp;             /* scratch of this execution */
	const uint64_t *sel;       /* timeframe rows, NULL = no timeframe */
	fr_kern_index g;           /* group index over the timeframe */
	uint32_t ng;
	fr_kern_index **vidx;      /* value index per column, built on first use */
	uint64_t **firsts;         /* per column, fr_kern_pair_firsts over its value index's domain,
	                            * built on its first groupsPerValue */
	uint64_t **cond_groups;    /* per condition, computed on first reference */
	fr_qresult *res;
	fr_err *err;
} xctx;

/* The status of a failure already described in x->err (a kernel or an allocation set it). */
static inline int failed(const xctx *x)
{
	return x->err->code ? x->err->code : FR_EINVAL;
}

#define WORDS(n) FR_BITMAP_WORDS(n)

static uint64_t *bm_new(xctx *x, int64_t nbits)
{
	uint64_t *b = fr_arena_calloc(x->tmp, WORDS(nbits) ? WORDS(nbits) : 1, sizeof(uint64_t));
	if (!b)
		fr_err_set(x->err, FR_ENOMEM, "out of memory for a bitmap of %lld bits",
		           (long long)nbits);
	return b;
}

static void *tmp_alloc(xctx *x, size_t count, size_t size)
{
	void *p = fr_arena_calloc(x->tmp, count ? count : 1, size);
	if (!p)
		fr_err_set(x->err, FR_ENOMEM, "out of memory (%zu x %zu bytes)", count, size);
	return p;
}

static const fr_vec *col(xctx *x, int c)
{
	return x->part->cols[c];
}

/* Row bitmap of one step: AND of its filters, AND `base` (the frame or R_M). */
static int step_rows(xctx *x, const fr_qstep *st, const uint64_t *base, uint64_t *out)
{
	uint64_t *t = NULL;
	for (int k = 0; k < st->n; k++) {
		const fr_qfilter *f = &st->filters[k];
		fr_kern_const c = { .i64 = f->i, .f64 = f->f, .str = f->s, .str_len = f->slen };
		uint64_t *dst = out;
		if (k > 0) {
			if (!t && !(t = bm_new(x, x->n)))
				return failed(x);
			dst = t;
		}
		if (fr_kern_cmp_vec(col(x, f->col), f->op, &c, dst, x->err))
			return fr_err_prefix(x->err, "column %s", f->column);
		if (k > 0)
			fr_kern_bm_and(out, out, t, x->n);
	}
	if (base)
		fr_kern_bm_and(out, out, base, x->n);
	return 0;
}

/* Group bitmap by a constant predicate over counts that may not fit the u32 kernel. */
static void fill_by_op(uint64_t *out, uint32_t ng, fr_op op, int below)
{
	/* below: every count is below the constant */
	int all = below ? (op == FR_OP_NE || op == FR_OP_LT || op == FR_OP_LE)
	                : (op == FR_OP_NE || op == FR_OP_GT || op == FR_OP_GE);
	fr_kern_bm_fill(out, ng, all);
}

static int count_target(xctx *x, const fr_qcond *cd, const uint64_t *rows, uint64_t *out)
{
	uint32_t ng = x->ng;
	if (cd->include_zero != 1 && cd->target_op == FR_OP_GE && cd->ivalue <= 1) {
		/* the default target (and >= 0 without includeZero): any matching row */
		fr_kern_group_any(x->g.ids, x->n, ng, rows, out);
		return 0;
	}
	uint32_t *cnt = tmp_alloc(x, ng, sizeof(uint32_t));
	uint64_t *t = bm_new(x, ng);
	if (!cnt || !t)
		return failed(x);
	fr_kern_group_count(x->g.ids, x->n, ng, rows, cnt);
	if (cd->ivalue > (int64_t)UINT32_MAX)
		fill_by_op(out, ng, cd->target_op, 1);
	else if (fr_kern_cmp_u32(cnt, ng, cd->target_op, (uint32_t)cd->ivalue, out, x->err))
		return failed(x);
	/* Zero-count groups match only through includeZero (§4.4). */
	if (fr_kern_cmp_u32(cnt, ng, FR_OP_GT, 0, t, x->err))
		return failed(x);
	fr_kern_bm_and(out, out, t, ng);
	if (cd->include_zero == 1) {
		if (fr_kern_cmp_u32(cnt, ng, FR_OP_EQ, 0, t, x->err))
			return failed(x);
		fr_kern_bm_or(out, out, t, ng);
	}
	return 0;
}

/* Integer sums against a literal that may be fractional: S op v for integer S is S op' k. */
static int cmp_i128_num(xctx *x, const fr_i128 *s, uint32_t ng, const fr_qcond *cd,
                        uint64_t *out)
{
	if (cd->value_is_int)
		return fr_kern_cmp_i128(s, ng, cd->target_op, (fr_i128)cd->ivalue, out, x->err);
	double v = cd->fvalue;
	if (v >= 1.0e38 || v <= -1.0e38) {
		fill_by_op(out, ng, cd->target_op, v > 0);
		return 0;
	}
	double fl = floor(v);
	fr_i128 k = (fr_i128)fl;
	if (fl == v)
		return fr_kern_cmp_i128(s, ng, cd->target_op, k, out, x->err);
	switch (cd->target_op) {
	case FR_OP_GT:
	case FR_OP_GE:
		return fr_kern_cmp_i128(s, ng, FR_OP_GT, k, out, x->err);
	case FR_OP_LT:
	case FR_OP_LE:
		return fr_kern_cmp_i128(s, ng, FR_OP_LE, k, out, x->err);
	default:
		fr_kern_bm_fill(out, ng, cd->target_op == FR_OP_NE);
		return 0;
	}
}

static int sum_target(xctx *x, const fr_qcond *cd, const uint64_t *rows, uint64_t *out)
{
	uint32_t ng = x->ng;
	const fr_vec *v = col(x, cd->sum_col);
	uint64_t *any = bm_new(x, ng);
	if (!any)
		return failed(x);
	if (v->kind == FR_VEC_I64) {
		fr_i128 *s = tmp_alloc(x, ng, sizeof(fr_i128));
		if (!s)
			return failed(x);
		fr_kern_group_sum_i64(x->g.ids, x->n, ng, rows, v, s);
		if (cmp_i128_num(x, s, ng, cd, out))
			return failed(x);
	} else if (v->kind == FR_VEC_F64) {
		double *s = tmp_alloc(x, ng, sizeof(double));
		if (!s)
			return failed(x);
		if (fr_kern_group_sum_f64(x->g.ids, x->n, ng, rows, v, s, x->err) ||
		    fr_kern_cmp_f64(s, NULL, ng, cd->target_op, cd->fvalue, out, x->err))
			return failed(x);
	} else {
		return fr_err_set(x->err, FR_EINVAL, "sum target column %s is not numeric",
		                  cd->sum_column);
	}
	/* Groups without a matching row never match a sum target (§4.4). */
	fr_kern_group_any(x->g.ids, x->n, ng, rows, any);
	fr_kern_bm_and(out, out, any, ng);
	return 0;
}

/* Runs the steps as a sequence over rows in `base`; found gets the groups passing the last
 * step; per_step (optional) is called after each step with the groups passing it. */
typedef int (*step_cb)(xctx *x, int step, const uint64_t *found, void *arg);

static int run_sequence(xctx *x, const fr_qstep *steps, int nsteps, const uint64_t *base,
                        uint64_t *found, step_cb cb, void *arg)
{
	const fr_vec *ts = col(x, x->q->schema->ts_col);
	uint32_t ng = x->ng;
	size_t tsz = ts->kind == FR_VEC_F64 ? sizeof(double) : sizeof(int64_t);
	/* two timestamp buffers and two found bitmaps, swapped each step: a step reads the
	 * previous one's while it writes its own (no in-place copy) */
	void *tsb[2] = { tmp_alloc(x, ng, tsz), nsteps > 1 ? tmp_alloc(x, ng, tsz) : NULL };
	uint64_t *fb[2] = { found, nsteps > 1 ? bm_new(x, ng) : NULL };
	uint64_t *rows = bm_new(x, x->n);
	if (!tsb[0] || !rows || (nsteps > 1 && (!tsb[1] || !fb[1])))
		return failed(x);
	for (int i = 0; i < nsteps; i++) {
		/* the last step lands in `found` */
		int cur = (nsteps - 1 - i) & 1, prev = cur ^ 1;
		if (step_rows(x, &steps[i], base, rows))
			return failed(x);
		if (fr_kern_seq_step(x->g.ids, x->n, ng, rows, ts, i ? tsb[prev] : NULL,
		                     i ? fb[prev] : NULL, tsb[cur], fb[cur], x->err))
			return failed(x);
		if (cb && cb(x, i, fb[cur], arg))
			return failed(x);
	}
	return 0;
}

static int cond_groups(xctx *x, int i, const uint64_t **out)
{
	if (x->cond_groups[i]) {
		*out = x->cond_groups[i];
		return 0;
	}
	const fr_qcond *cd = &x->q->conds[i];
	uint64_t *g = bm_new(x, x->ng);
	if (!g)
		return failed(x);
	const uint64_t *frame = x->g.domain;
	if (cd->kind == FR_COND_SEQUENCE) {
		if (run_sequence(x, cd->steps, cd->nsteps, frame, g, NULL, NULL))
			return failed(x);
	} else {
		uint64_t *rows = bm_new(x, x->n);
		if (!rows || step_rows(x, &cd->rows, frame, rows))
			return failed(x);
		if (cd->target == FR_TARGET_COUNT ? count_target(x, cd, rows, g)
		                                  : sum_target(x, cd, rows, g))
			return failed(x);
	}
	x->cond_groups[i] = g;
	*out = g;
	return 0;
}

/* Runs the compiled relation (fr_relop): a loop over its instructions with a stack of at most
 * rel_depth bitmaps, the bottom one being `out`; no recursion, no allocation per node. */
static int eval_rel(xctx *x, uint64_t *out)
{
	const fr_query *q = x->q;
	uint32_t ng = x->ng;
	int depth = q->rel_depth > 0 ? q->rel_depth : 1;
	uint64_t **stk = tmp_alloc(x, (size_t)depth, sizeof(uint64_t *));
	if (!stk)
		return failed(x);
	stk[0] = out;
	for (int i = 1; i < depth; i++)
		if (!(stk[i] = bm_new(x, ng)))
			return failed(x);
	int sp = 0;
	for (int pc = 0; pc < q->nrel_prog; pc++) {
		const fr_relop *op = &q->rel_prog[pc];
		const uint64_t *g;
		switch (op->op) {
		case FR_RELOP_PUSH:
			if (sp >= depth)
				return fr_err_set(x->err, FR_EINVAL, "relation program overflows its stack");
			if (cond_groups(x, op->cond, &g))
				return failed(x);
			memcpy(stk[sp++], g, WORDS(ng) * sizeof(uint64_t));
			break;
		case FR_RELOP_AND_COND:
		case FR_RELOP_OR_COND:
			if (sp < 1)
				return fr_err_set(x->err, FR_EINVAL, "relation program underflows its stack");
			if (cond_groups(x, op->cond, &g))
				return failed(x);
			if (op->op == FR_RELOP_AND_COND)
				fr_kern_bm_and(stk[sp - 1], stk[sp - 1], g, ng);
			else
				fr_kern_bm_or(stk[sp - 1], stk[sp - 1], g, ng);
			break;
		case FR_RELOP_AND_TOP:
		case FR_RELOP_OR_TOP:
			if (sp < 2)
				return fr_err_set(x->err, FR_EINVAL, "relation program underflows its stack");
			sp--;
			if (op->op == FR_RELOP_AND_TOP)
				fr_kern_bm_and(stk[sp - 1], stk[sp - 1], stk[sp], ng);
			else
				fr_kern_bm_or(stk[sp - 1], stk[sp - 1], stk[sp], ng);
			break;
		}
	}
	if (sp != 1)
		return fr_err_set(x->err, FR_EINVAL, "relation program leaves %d results", sp);
	return 0;
}

/* ---- aggregations ---- */

static const fr_kern_index *value_index(xctx *x, int c)
{
	if (x->vidx[c])
		return x->vidx[c];
	fr_kern_index *ix = tmp_alloc(x, 1, sizeof *ix);
	if (!ix)
		return NULL;
	const fr_vec *v = col(x, c);
	if (c == x->q->schema->group_col) {
		/* the group index is the value index of the group column; built without its keys */
		if (fr_kern_index_keys(v, &x->g, x->tmp, x->err))
			return NULL;
		*ix = x->g;
	} else if (v->kind == FR_VEC_DICT) {
		/* Dictionary codes already are dense value ids: the index is the codes themselves
		 * (no copy), over the dictionary's entries; entries no selected row holds get zero
		 * counts, and unobserved keys are never reported. */
		memset(ix, 0, sizeof *ix);
		ix->kind = FR_VEC_DICT;
		ix->len = x->n;
		ix->n = v->dict.n;
		ix->ids = v->v.codes;
		ix->key_code = tmp_alloc(x, v->dict.n, sizeof *ix->key_code);
		ix->domain = bm_new(x, x->n);
		if (!ix->key_code || !ix->domain)
			return NULL;
		for (uint32_t k = 0; k < v->dict.n; k++)
			ix->key_code[k] = k;
		fr_kern_notnull(v, ix->domain);
		if (x->sel)
			fr_kern_bm_and(ix->domain, ix->domain, x->sel, x->n);
	} else if (fr_kern_index_build(v, x->sel, x->tmp, ix, x->err)) {
		fr_err_prefix(x->err, "column %s", x->q->schema->names[c]);
		return NULL;
	}
	x->vidx[c] = ix;
	return ix;
}

/* Key text of value id v of index ix over vector vec (query.md §4.7). */
static int make_key(xctx *x, const fr_kern_index *ix, const fr_vec *vec, uint32_t v,
                    fr_arena *dst, fr_qentry *e)
{
	char buf[64];
	const char *s = buf;
	size_t len;
	switch (ix->kind) {
	case FR_VEC_I64:
		len = (size_t)snprintf(buf, sizeof buf, "%lld", (long long)ix->key_i64[v]);
		break;
	case FR_VEC_BOOL:
		s = ix->key_i64[v] ? "True" : "False";
		len = strlen(s);
		break;
	case FR_VEC_F64:
		fr_json_fmt_double(ix->key_f64[v], buf, sizeof buf);
		len = strlen(buf);
		break;
	case FR_VEC_DICT: {
		uint32_t code = ix->key_code[v];
		if (code >= vec->dict.n)
			return fr_err_set(x->err, FR_ECORRUPT, "dictionary code out of range");
		int64_t a = vec->dict.off[code], b = vec->dict.off[code + 1];
		if (a < 0 || b < a || b - a > UINT32_MAX)
			return fr_err_set(x->err, FR_ECORRUPT, "bad dictionary offsets");
		s = (const char *)vec->dict.data + a;
		len = (size_t)(b - a);
		break;
	}
	default:
		return fr_err_set(x->err, FR_EINVAL, "unsupported key vector kind");
	}
	char *k = fr_arena_alloc(dst, len + 1);
	if (!k)
		return fr_err_set(x->err, FR_ENOMEM, "out of memory for map keys");
	memcpy(k, s, len);
	k[len] = 0;
	e->key = k;
	e->klen = (uint32_t)len;
	return 0;
}

static int run_agg(xctx *x, const fr_qagg *a, const uint64_t *rows, fr_qaggres *out)
{
	const fr_vec *cv = col(x, a->col);
	uint64_t *r = bm_new(x, x->n);
	if (!r)
		return failed(x);
	if (a->type == FR_AGG_COUNT) {
		/* non-null values among the rows (which all lie in the timeframe): no value index */
		fr_kern_notnull(cv, r);
		fr_kern_bm_and(r, r, rows, x->n);
		if (x->sel)
			fr_kern_bm_and(r, r, x->sel, x->n);
		out->count = fr_kern_bm_popcount(r, x->n);
		return 0;
	}
	const fr_kern_index *ix = value_index(x, a->col);
	if (!ix)
		return failed(x);
	uint32_t nv = ix->n;
	fr_kern_bm_and(r, rows, ix->domain, x->n);
	uint32_t *cnt = tmp_alloc(x, nv, sizeof(uint32_t));
	if (!cnt)
		return failed(x);
	fr_i128 *isum = NULL;
	double *fsum = NULL;
	const fr_vec *ov = a->other_col >= 0 ? col(x, a->other_col) : NULL;
	switch (a->type) {
	case FR_AGG_COUNT_PER_VALUE:
		fr_kern_group_count(ix->ids, x->n, nv, r, cnt);
		break;
	case FR_AGG_GROUPS_PER_VALUE:
		/* Every row set aggregated here is a union of whole groups (R_M, the rows of the
		 * groups passing a funnel step), so the first rows of each (value, group) pair over
		 * the whole domain, found once, count the distinct groups of any of them. */
		if (!x->firsts[a->col]) {
			uint64_t *f = bm_new(x, x->n);
			if (!f || fr_kern_pair_firsts(ix->ids, nv, x->g.ids, x->ng, x->n, ix->domain, f,
			                              x->err))
				return failed(x);
			x->firsts[a->col] = f;
		}
		fr_kern_bm_and(r, r, x->firsts[a->col], x->n);
		fr_kern_group_count(ix->ids, x->n, nv, r, cnt);
		break;
	case FR_AGG_SUM_PER_VALUE:
	case FR_AGG_MEAN_PER_VALUE:
		if (a->type == FR_AGG_MEAN_PER_VALUE) {
			/* the mean's denominator counts non-null other values only */
			uint64_t *nn = bm_new(x, x->n);
			if (!nn)
				return failed(x);
			fr_kern_notnull(ov, nn);
			fr_kern_bm_and(r, r, nn, x->n);
		}
		fr_kern_group_count(ix->ids, x->n, nv, r, cnt);
		if (ov->kind == FR_VEC_I64) {
			if (!(isum = tmp_alloc(x, nv, sizeof(fr_i128))))
				return failed(x);
			fr_kern_group_sum_i64(ix->ids, x->n, nv, r, ov, isum);
		} else {
			if (!(fsum = tmp_alloc(x, nv, sizeof(double))))
				return failed(x);
			if (fr_kern_group_sum_f64(ix->ids, x->n, nv, r, ov, fsum, x->err))
				return failed(x);
		}
		break;
	default:
		return fr_err_set(x->err, FR_EINVAL, "unknown aggregation type");
	}
	uint32_t nobs = 0;
	for (uint32_t v = 0; v < nv; v++)
		nobs += cnt[v] > 0;
	/* Past the exact limit the whole map is scratch and only the kept entries stay. */
	int cut = (int64_t)nobs > x->q->exact_limit;
	out->e = fr_arena_calloc(cut ? x->tmp : x->res->arena, nobs ? nobs : 1, sizeof(fr_qentry));
	if (!out->e)
		return fr_err_set(x->err, FR_ENOMEM, "out of memory for an aggregation map");
	out->cap = nobs;
	uint32_t k = 0;
	for (uint32_t v = 0; v < nv; v++) {
		if (!cnt[v])
			continue;
		fr_qentry *e = &out->e[k++];
		e->cnt = cnt[v];
		if (isum)
			e->isum = isum[v];
		if (fsum)
			e->fsum = fsum[v];
		e->klen = v;       /* value id until make_key replaces it */
	}
	out->n = k;
	if (!cut) {
		for (uint32_t i = 0; i < out->n; i++)
			if (make_key(x, ix, cv, out->e[i].klen, x->res->arena, &out->e[i]))
				return failed(x);
		return 0;
	}
	/* Past the exact limit (decision 2): keep ceil(top x grace) entries, value desc then key
	 * asc.  Only entries at or above the keep-th largest value can be kept, so only they
	 * get (scratch) keys and take part in the sort. */
	int int_sum = ov && ov->kind == FR_VEC_I64;
	double keep = ceil((double)a->top * x->q->grace);
	if ((double)out->n > keep) {
		double *v = tmp_alloc(x, out->n, sizeof(double));
		if (!v)
			return failed(x);
		for (uint32_t i = 0; i < out->n; i++)
			v[i] = fr_qres_value(a->type, int_sum, &out->e[i]);
		double t = fr_qres_kth_largest(v, out->n, (uint32_t)keep);
		uint32_t m = 0;
		for (uint32_t i = 0; i < out->n; i++)
			if (fr_qres_value(a->type, int_sum, &out->e[i]) >= t)
				out->e[m++] = out->e[i];
		out->n = m;
	}
	for (uint32_t i = 0; i < out->n; i++)
		if (make_key(x, ix, cv, out->e[i].klen, x->tmp, &out->e[i]))
			return failed(x);
	fr_qres_rank(a->type, int_sum, out->e, out->n, 1);
	if ((double)out->n > keep)
		out->n = (uint32_t)keep;
	out->approximate = 1;
	fr_qentry *kept = fr_arena_alloc(x->res->arena, ((size_t)out->n + 1) * sizeof(fr_qentry));
	if (!kept)
		return fr_err_set(x->err, FR_ENOMEM, "out of memory for an aggregation map");
	for (uint32_t i = 0; i < out->n; i++) {
		kept[i] = out->e[i];
		char *key = fr_arena_alloc(x->res->arena, (size_t)out->e[i].klen + 1);
		if (!key)
			return fr_err_set(x->err, FR_ENOMEM, "out of memory for map keys");
		memcpy(key, out->e[i].key, (size_t)out->e[i].klen + 1);
		kept[i].key = key;
	}
	out->e = kept;
	out->cap = out->n;
	return 0;
}

static int run_aggs(xctx *x, const fr_qagglist *l, const uint64_t *rows, fr_qaggres *out)
{
	for (int i = 0; i < l->n; i++)
		if (run_agg(x, &l->a[i], rows, &out[i]))
			return fr_err_prefix(x->err, "aggregation %s on %s", fr_agg_type_name(l->a[i].type),
			                     l->a[i].column);
	return 0;
}

/* ---- funnel ---- */

typedef struct fctx {
	uint64_t *rows;
} fctx;

static int funnel_step(xctx *x, int i, const uint64_t *found, void *arg)
{
	fctx *f = arg;
	const fr_query *q = x->q;
	fr_qstage *st = &x->res->steps[i];
	st->groups = fr_kern_bm_popcount(found, x->ng);
	fr_kern_groups_to_rows(x->g.ids, x->n, x->ng, found, f->rows);
	st->rows = fr_kern_bm_popcount(f->rows, x->n);
	if (q->step_aggs.present && run_aggs(x, &q->step_aggs, f->rows, st->aggs))
		return failed(x);
	if (i == q->nfsteps - 1 && q->end_aggs.present &&
	    run_aggs(x, &q->end_aggs, f->rows, x->res->end))
		return failed(x);
	return 0;
}

static int exec_part(xctx *x)
{
	double t0 = fr_mono_s(), t1 = t0, t2 = t0, t3 = t0;
	const fr_query *q = x->q;
	const fr_qschema *s = q->schema;
	int64_t n = x->n;
	for (int c = 0; c < s->ncols; c++)
		if (q->used[c] && (!x->part->cols[c] || x->part->cols[c]->len != n))
			return fr_err_set(x->err, FR_EINVAL, "column %s is not loaded for this part",
			                  s->names[c]);
	const fr_vec *ts = q->used[s->ts_col] ? col(x, s->ts_col) : NULL;
	if (ts && ts->kind != FR_VEC_I64 && ts->kind != FR_VEC_F64)
		return fr_err_set(x->err, FR_EINVAL, "timestamp column %s is not numeric",
		                  s->names[s->ts_col]);
	/* 1. timeframe */
	if (ts && (q->has_from || q->has_to)) {
		uint64_t *sel = bm_new(x, n), *t = bm_new(x, n);
		if (!sel || !t)
			return failed(x);
		fr_kern_bm_fill(sel, n, 1);
		if (q->has_from) {
			if (ts->kind == FR_VEC_I64 ?
			    fr_kern_cmp_i64(ts->v.i64, ts->valid, n, FR_OP_GE, q->from, t, x->err) :
			    fr_kern_cmp_f64(ts->v.f64, ts->valid, n, FR_OP_GE, (double)q->from, t, x->err))
				return failed(x);
			fr_kern_bm_and(sel, sel, t, n);
		}
		if (q->has_to) {
			if (ts->kind == FR_VEC_I64 ?
			    fr_kern_cmp_i64(ts->v.i64, ts->valid, n, FR_OP_LT, q->to, t, x->err) :
			    fr_kern_cmp_f64(ts->v.f64, ts->valid, n, FR_OP_LT, (double)q->to, t, x->err))
				return failed(x);
			fr_kern_bm_and(sel, sel, t, n);
		}
		x->sel = sel;
	}
	/* without conditions, aggregations or a funnel nothing reads a row's group: the groups and
	 * rows are counted, and the index may skip assigning ids */
	int count_only = q->nconds == 0 && !q->aggs.present && !q->has_funnel;
	if (fr_kern_index_build_ex(col(x, s->group_col), x->sel,
	                           count_only ? FR_KERN_IX_COUNT_ONLY : FR_KERN_IX_NO_KEYS,
	                           &x->part->group_hint, x->tmp, &x->g, x->err))
		return fr_err_prefix(x->err, "group column %s", s->names[s->group_col]);
	x->ng = x->g.n;
	x->res->scanned_rows = n;
	x->res->scanned_groups = x->ng;
	t1 = fr_mono_s();
	/* 2. conditions and relation -> M */
	uint64_t *m = bm_new(x, x->ng), *rm = bm_new(x, n);
	if (!m || !rm)
		return failed(x);
	if (q->nconds > 0) {
		if (eval_rel(x, m))
			return failed(x);
	} else {
		fr_kern_bm_fill(m, x->ng, 1);
	}
	/* 3. R_M: without conditions every group matches, and R_M is the index's domain */
	if (q->nconds > 0)
		fr_kern_groups_to_rows(x->g.ids, n, x->ng, m, rm);
	else
		memcpy(rm, x->g.domain, WORDS(n) * sizeof *rm);
	x->res->query.groups = q->nconds > 0 ? fr_kern_bm_popcount(m, x->ng) : x->ng;
	x->res->query.rows = fr_kern_bm_popcount(rm, n);
	t2 = fr_mono_s();
	/* 4. aggregations */
	if (q->aggs.present && run_aggs(x, &q->aggs, rm, x->res->query.aggs))
		return failed(x);
	t3 = fr_mono_s();
	/* 5. funnel over R_M */
	if (q->has_funnel) {
		fctx f = { .rows = bm_new(x, n) };
		uint64_t *found = bm_new(x, x->ng);
		if (!f.rows || !found)
			return failed(x);
		if (run_sequence(x, q->fsteps, q->nfsteps, rm, found, funnel_step, &f))
			return failed(x);
	}
	FR_DEBUG("exec", "%lld rows, %u groups (index: %s): index %.1f ms, conditions %.1f ms, "
	         "aggregations %.1f ms, funnel %.1f ms", (long long)n, x->ng,
	         x->g.dense ? "dense" : x->g.sorted ? "sorted" : x->g.radix ? "radix" : "hash",
	         (t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3, (fr_mono_s() - t3) * 1e3);
	return 0;
}

int fr_query_exec(const fr_query *q, const fr_qpart *part, fr_qresult **out, fr_err *err)
{
	*out = NULL;
	if (part->nrows < 0 || part->nrows > FR_KERN_MAX_ROWS)
		return fr_err_set(err, FR_ELIMIT, "part has %lld rows, more than supported",
		                  (long long)part->nrows);
	xctx x = { .q = q, .part = part, .n = part->nrows, .err = err };
	int rc = fr_qresult_new(q, &x.res, err);
	if (rc)
		return rc;
	x.tmp = fr_arena_new(0);
	if (!x.tmp) {
		fr_qresult_free(x.res);
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	}
	x.vidx = fr_arena_calloc(x.tmp, (size_t)q->schema->ncols, sizeof(*x.vidx));
	x.firsts = fr_arena_calloc(x.tmp, (size_t)q->schema->ncols, sizeof(*x.firsts));
	x.cond_groups = fr_arena_calloc(x.tmp, (size_t)q->nconds + 1, sizeof(*x.cond_groups));
	if (!x.vidx || !x.firsts || !x.cond_groups)
		rc = fr_err_set(err, FR_ENOMEM, "out of memory");
	else
		rc = exec_part(&x);
	fr_arena_free(x.tmp);
	if (rc) {
		if (!err->code)
			fr_err_set(err, FR_ENOMEM, "out of memory");
		fr_qresult_free(x.res);
		return err->code;
	}
	*out = x.res;
	return 0;
}
