/* Part results: creation, exact merging (query.md §5 with decisions 1, 2 and 12) and the
 * result members of the response document (§6). */
#include "query/query.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "query/internal.h"
#include "core/jw.h"
#include "core/hash.h"

static int alloc_aggs(fr_arena *a, const fr_qagglist *l, fr_qaggres **out)
{
	*out = NULL;
	if (!l->present)
		return 0;
	*out = fr_arena_calloc(a, (size_t)l->n, sizeof(fr_qaggres));
	return *out ? 0 : -1;
}

int fr_qresult_new(const fr_query *q, fr_qresult **out, fr_err *err)
{
	*out = NULL;
	fr_arena *a = fr_arena_new(0);
	fr_qresult *r = a ? fr_arena_calloc(a, 1, sizeof *r) : NULL;
	if (!r)
		goto oom;
	r->arena = a;
	if (alloc_aggs(a, &q->aggs, &r->query.aggs))
		goto oom;
	if (q->has_funnel) {
		r->steps = fr_arena_calloc(a, (size_t)q->nfsteps, sizeof(fr_qstage));
		if (!r->steps)
			goto oom;
		for (int i = 0; i < q->nfsteps; i++)
			if (alloc_aggs(a, &q->step_aggs, &r->steps[i].aggs))
				goto oom;
		if (alloc_aggs(a, &q->end_aggs, &r->end))
			goto oom;
	}
	*out = r;
	return 0;
oom:
	fr_arena_free(a);
	return fr_err_set(err, FR_ENOMEM, "out of memory for a query result");
}

void fr_qresult_free(fr_qresult *r)
{
	if (r)
		fr_arena_free(r->arena);
}

/* ---- ranking ---- */

double fr_qres_value(fr_agg_type t, int int_sum, const fr_qentry *e)
{
	double s = int_sum ? (double)e->isum : e->fsum + e->fcomp;
	switch (t) {
	case FR_AGG_SUM_PER_VALUE:
		return s;
	case FR_AGG_MEAN_PER_VALUE:
		return e->cnt ? s / (double)e->cnt : NAN;
	default:
		return (double)e->cnt;
	}
}

typedef struct rankctx {
	fr_agg_type t;
	int int_sum, with_keys;
} rankctx;

static _Thread_local rankctx rank_ctx;

static int cmp_key(const fr_qentry *a, const fr_qentry *b)
{
	uint32_t n = a->klen < b->klen ? a->klen : b->klen;
	int c = memcmp(a->key, b->key, n);
	if (c)
		return c;
	return a->klen < b->klen ? -1 : a->klen > b->klen;
}

static int cmp_rank(const void *pa, const void *pb)
{
	const fr_qentry *a = pa, *b = pb;
	const rankctx *c = &rank_ctx;
	/* Exact integer comparison where the value is an integer. */
	if (c->t == FR_AGG_COUNT_PER_VALUE || c->t == FR_AGG_GROUPS_PER_VALUE) {
		if (a->cnt != b->cnt)
			return a->cnt > b->cnt ? -1 : 1;
	} else if (c->t == FR_AGG_SUM_PER_VALUE && c->int_sum) {
		if (a->isum != b->isum)
			return a->isum > b->isum ? -1 : 1;
	} else {
		double va = fr_qres_value(c->t, c->int_sum, a), vb = fr_qres_value(c->t, c->int_sum, b);
		int na = isnan(va), nb = isnan(vb);
		if (na != nb)
			return na ? 1 : -1;
		if (va != vb)
			return va > vb ? -1 : 1;
	}
	if (c->with_keys)
		return cmp_key(a, b);
	return a->klen < b->klen ? -1 : a->klen > b->klen;
}

void fr_qres_rank(fr_agg_type t, int int_sum, fr_qentry *e, uint32_t n, int with_keys)
{
	rank_ctx.t = t;
	rank_ctx.int_sum = int_sum;
	rank_ctx.with_keys = with_keys;
	if (n > 1)
		qsort(e, n, sizeof *e, cmp_rank);
}

double fr_qres_kth_largest(double *v, uint32_t n, uint32_t k)
{
	/* quickselect for position k-1 in descending order (Hoare partition, middle pivot) */
	int64_t lo = 0, hi = (int64_t)n - 1, want = (int64_t)k - 1;
	for (uint32_t i = 0; i < n; i++)
		if (isnan(v[i]))   /* (inf - inf sums) rank last; comparisons need a total order */
			v[i] = -HUGE_VAL;
	while (lo < hi) {
		double pivot = v[lo + (hi - lo) / 2];
		int64_t i = lo, j = hi;
		while (i <= j) {
			while (v[i] > pivot)
				i++;
			while (v[j] < pivot)
				j--;
			if (i <= j) {
				double t = v[i];
				v[i++] = v[j];
				v[j--] = t;
			}
		}
		/* now v[lo..j] >= pivot, v[i..hi] <= pivot, and v(j..i) == pivot */
		if (want <= j)
			hi = j;
		else if (want >= i)
			lo = i;
		else
			break;
	}
	return v[want];
}

/* ---- merge ---- */

static void neumaier_add(double *sum, double *comp, double v)
{
	double t = *sum + v;
	if (fabs(*sum) >= fabs(v))
		*comp += (*sum - t) + v;
	else
		*comp += (v - t) + *sum;
	*sum = t;
}

static int rehash(fr_arena *a, fr_qaggres *m, uint32_t cap)
{
	uint32_t *ht = fr_arena_calloc(a, cap, sizeof(uint32_t));
	if (!ht)
		return FR_ENOMEM;
	for (uint32_t i = 0; i < m->n; i++) {
		uint32_t h = (uint32_t)fr_hash_bytes(m->e[i].key, m->e[i].klen) & (cap - 1);
		while (ht[h])
			h = (h + 1) & (cap - 1);
		ht[h] = i + 1;
	}
	m->ht = ht;
	m->htcap = cap;
	return 0;
}

static int merge_map(fr_arena *a, fr_qaggres *acc, const fr_qaggres *p)
{
	acc->approximate |= p->approximate;
	for (uint32_t i = 0; i < p->n; i++) {
		const fr_qentry *pe = &p->e[i];
		if ((uint64_t)(acc->n + 1) * 2 > acc->htcap) {
			uint32_t cap = acc->htcap ? acc->htcap * 2 : 64;
			if (cap < acc->htcap || rehash(a, acc, cap))
				return FR_ENOMEM;
		}
		uint32_t h = (uint32_t)fr_hash_bytes(pe->key, pe->klen) & (acc->htcap - 1);
		fr_qentry *e = NULL;
		while (acc->ht[h]) {
			fr_qentry *c = &acc->e[acc->ht[h] - 1];
			if (c->klen == pe->klen && !memcmp(c->key, pe->key, pe->klen)) {
				e = c;
				break;
			}
			h = (h + 1) & (acc->htcap - 1);
		}
		if (!e) {
			if (acc->n == acc->cap) {
				uint32_t cap = acc->cap ? acc->cap * 2 : 16;
				fr_qentry *ne = fr_arena_alloc(a, (size_t)cap * sizeof(fr_qentry));
				if (!ne || cap < acc->cap)
					return FR_ENOMEM;
				if (acc->n)
					memcpy(ne, acc->e, (size_t)acc->n * sizeof(fr_qentry));
				acc->e = ne;
				acc->cap = cap;
			}
			e = &acc->e[acc->n];
			memset(e, 0, sizeof *e);
			char *k = fr_arena_alloc(a, (size_t)pe->klen + 1);
			if (!k)
				return FR_ENOMEM;
			memcpy(k, pe->key, pe->klen);
			k[pe->klen] = 0;
			e->key = k;
			e->klen = pe->klen;
			acc->ht[h] = ++acc->n;
		}
		e->cnt += pe->cnt;
		e->isum += pe->isum;
		neumaier_add(&e->fsum, &e->fcomp, pe->fsum);
		neumaier_add(&e->fsum, &e->fcomp, pe->fcomp);
	}
	return 0;
}

static int merge_list(fr_arena *a, const fr_qagglist *l, fr_qaggres *acc, const fr_qaggres *p)
{
	if (!l->present)
		return 0;
	if (!acc || !p)
		return FR_EINVAL;   /* a part shaped by another query */
	for (int i = 0; i < l->n; i++) {
		if (l->a[i].type == FR_AGG_COUNT)
			acc[i].count += p[i].count;
		else if (merge_map(a, &acc[i], &p[i]))
			return FR_ENOMEM;
	}
	return 0;
}

int fr_qresult_merge(const fr_query *q, fr_qresult *acc, const fr_qresult *p, fr_err *err)
{
	fr_arena *a = acc->arena;
	acc->query.groups += p->query.groups;
	acc->query.rows += p->query.rows;
	acc->scanned_rows += p->scanned_rows;
	acc->scanned_groups += p->scanned_groups;
	if (merge_list(a, &q->aggs, acc->query.aggs, p->query.aggs))
		goto fail;
	if (q->has_funnel) {
		if (!acc->steps || !p->steps)
			goto fail;
		for (int i = 0; i < q->nfsteps; i++) {
			acc->steps[i].groups += p->steps[i].groups;
			acc->steps[i].rows += p->steps[i].rows;
			if (merge_list(a, &q->step_aggs, acc->steps[i].aggs, p->steps[i].aggs))
				goto fail;
		}
		if (merge_list(a, &q->end_aggs, acc->end, p->end))
			goto fail;
	}
	return 0;
fail:
	return fr_err_set(err, FR_ENOMEM, "merging part results: out of memory or mismatched "
	                  "result shapes");
}

/* ---- response members ---- */

static int int_sum_of(const fr_query *q, const fr_qagg *a)
{
	return a->other_col >= 0 && q->schema->types[a->other_col] == FR_TYPE_INT;
}

static int cmp_key_only(const void *pa, const void *pb)
{
	return cmp_key(pa, pb);
}

static int write_agg(const fr_query *q, const fr_qagg *a, const fr_qaggres *r, fr_jw *w)
{
	fr_jw_open(w, '{');
	if (r->approximate) {
		fr_jw_key(w, "approximate");
		fr_jw_bool(w, 1);
	}
	fr_jw_key(w, "column");
	fr_jw_str(w, a->column);
	fr_jw_key(w, "name");
	if (a->name)
		fr_jw_str(w, a->name);
	else
		fr_jw_null(w);
	fr_jw_key(w, "top");
	if (a->type == FR_AGG_COUNT)
		fr_jw_null(w);
	else
		fr_jw_int(w, a->top);
	fr_jw_key(w, "type");
	fr_jw_str(w, fr_agg_type_name(a->type));
	fr_jw_key(w, "value");
	if (a->type == FR_AGG_COUNT) {
		fr_jw_int(w, r->count);
		fr_jw_close(w, '}');
		return 0;
	}
	int int_sum = int_sum_of(q, a);
	/* Rank a copy (the accumulator keeps its hash index), drop all-null means, cut to top,
	 * then print in key order as the original's sorted-keys output does. */
	uint32_t n = 0;
	fr_qentry *e = malloc(((size_t)r->n + 1) * sizeof *e);
	if (!e)
		return FR_ENOMEM;
	for (uint32_t i = 0; i < r->n; i++)
		if (a->type != FR_AGG_MEAN_PER_VALUE || r->e[i].cnt > 0)
			e[n++] = r->e[i];
	if (n > (uint32_t)a->top) {
		/* only entries at or above the top-th largest value can be printed */
		double *v = malloc((size_t)n * sizeof *v);
		if (!v) {
			free(e);
			return FR_ENOMEM;
		}
		for (uint32_t i = 0; i < n; i++)
			v[i] = fr_qres_value(a->type, int_sum, &e[i]);
		double t = fr_qres_kth_largest(v, n, (uint32_t)a->top);
		free(v);
		uint32_t m = 0;
		for (uint32_t i = 0; i < n; i++)
			if (fr_qres_value(a->type, int_sum, &e[i]) >= t)
				e[m++] = e[i];
		n = m;
	}
	fr_qres_rank(a->type, int_sum, e, n, 1);
	if (n > (uint32_t)a->top)
		n = (uint32_t)a->top;
	qsort(e, n, sizeof *e, cmp_key_only);
	fr_jw_open(w, '{');
	for (uint32_t i = 0; i < n; i++) {
		fr_jw_keyn(w, e[i].key, e[i].klen);
		switch (a->type) {
		case FR_AGG_SUM_PER_VALUE:
			if (int_sum)
				fr_jw_i128(w, e[i].isum);
			else
				fr_jw_double(w, e[i].fsum + e[i].fcomp);
			break;
		case FR_AGG_MEAN_PER_VALUE:
			fr_jw_double(w, fr_qres_value(a->type, int_sum, &e[i]));
			break;
		default:
			fr_jw_int(w, e[i].cnt);
		}
	}
	fr_jw_close(w, '}');
	free(e);
	fr_jw_close(w, '}');
	return 0;
}

static int write_aggs(const fr_query *q, const fr_qagglist *l, const fr_qaggres *r, fr_jw *w)
{
	fr_jw_open(w, '[');
	for (int i = 0; i < l->n; i++)
		if (write_agg(q, &l->a[i], &r[i], w))
			return FR_ENOMEM;
	fr_jw_close(w, ']');
	return 0;
}

int fr_qresult_write(const fr_query *q, const fr_qresult *r, fr_jw *w)
{
	if (q->has_funnel) {
		fr_jw_key(w, "funnel");
		fr_jw_open(w, '{');
		if (q->end_aggs.present) {
			fr_jw_key(w, "endAggregations");
			if (write_aggs(q, &q->end_aggs, r->end, w))
				return FR_ENOMEM;
		}
		fr_jw_key(w, "sequence");
		fr_jw_open(w, '[');
		for (int i = 0; i < q->nfsteps; i++) {
			/* inside an array: "aggregations": null is kept (§6.1) */
			fr_jw_open(w, '{');
			fr_jw_key(w, "aggregations");
			if (q->step_aggs.present) {
				if (write_aggs(q, &q->step_aggs, r->steps[i].aggs, w))
					return FR_ENOMEM;
			} else {
				fr_jw_null(w);
			}
			fr_jw_key(w, "matchingGroupRows");
			fr_jw_int(w, r->steps[i].rows);
			fr_jw_key(w, "matchingGroups");
			fr_jw_int(w, r->steps[i].groups);
			fr_jw_close(w, '}');
		}
		fr_jw_close(w, ']');
		fr_jw_close(w, '}');
	}
	fr_jw_key(w, "query");
	fr_jw_open(w, '{');
	if (q->aggs.present) {
		fr_jw_key(w, "aggregations");
		if (write_aggs(q, &q->aggs, r->query.aggs, w))
			return FR_ENOMEM;
	}
	fr_jw_key(w, "matchingGroupRows");
	fr_jw_int(w, r->query.rows);
	fr_jw_key(w, "matchingGroups");
	fr_jw_int(w, r->query.groups);
	fr_jw_close(w, '}');
	return fr_jw_status(w);
}
