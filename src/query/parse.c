/* Query document -> validated, expanded fr_query (query.md §1-§3 with the decisions of
 * spec/README.md).  Checks run in the order of query.md §3.2 so the first error reported is the
 * one the original reports; every message names the JSON path of the offending value. */
#include "query/query.h"
#include "core/jw.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>


const char *fr_qerr_kind_name(fr_qerr_kind k)
{
	static const char *const names[] = {
#define X(name, text) text,
		FR_QERR_KINDS(X)
#undef X
	};
	if ((unsigned)k >= sizeof(names) / sizeof(names[0]))
		return "UNEXPECTED";
	return names[k];
}

const char *fr_agg_type_name(fr_agg_type t)
{
	static const char *const names[] = {
#define X(name, text) text,
		FR_AGG_TYPES(X)
#undef X
	};
	if ((unsigned)t >= FR_AGG__COUNT)
		return "?";
	return names[t];
}

#define PATH_MAX_LEN 256

typedef struct ctx {
	fr_query *q;
	fr_arena *arena;
	fr_qerror *qe;
	const fr_qschema *schema;
	/* Condition paths, kept for messages of the later passes. */
	char **cond_path;
	/* Aggregation bookkeeping for the §3.2 passes that follow the schema check. */
	int top_default;
	const fr_query_opts *opts;  /* NULL: the defaults (fr_query_parse) */
	/* Schema column indexes sorted by (name, index), built on the first lookup: hundreds of
	 * thousands of filters over a wide dataset cost O(log columns) each. */
	int *cols_by_name;
} ctx;

static int qfail(ctx *c, fr_qerr_kind kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int qfail(ctx *c, fr_qerr_kind kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->qe->msg, sizeof(c->qe->msg), fmt, ap);
	va_end(ap);
	c->qe->kind = kind;
	return FR_EINVAL;
}

/* Paths are cut at PATH_MAX_LEN - 1 bytes: they only serve messages. */
static void pcat(char *dst, size_t *k, const char *src)
{
	while (*src && *k + 1 < PATH_MAX_LEN)
		dst[(*k)++] = *src++;
	dst[*k] = 0;
}

static void subpath(char *dst, const char *base, const char *key)
{
	size_t k = 0;
	pcat(dst, &k, base);
	pcat(dst, &k, ".");
	pcat(dst, &k, key);
}

static void subidx(char *dst, const char *base, size_t i)
{
	char num[32];
	size_t k = 0;
	snprintf(num, sizeof num, "[%zu]", i);
	pcat(dst, &k, base);
	pcat(dst, &k, num);
}

/* Short JSON rendering of a value for messages. */
static void jdesc(const json_t *v, char *out, size_t n)
{
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	if (!s) {
		snprintf(out, n, "?");
		return;
	}
	if (strlen(s) > 80)
		snprintf(out, n, "%.77s...", s);
	else
		snprintf(out, n, "%s", s);
	free(s);
}

/* Every key of obj must be in allowed (NULL-terminated); else the jsonschema-style message. */
static int check_keys(ctx *c, const json_t *obj, const char *path, const char *const *allowed)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)obj, key, v) {
		int ok = 0;
		for (const char *const *a = allowed; *a; a++)
			if (!strcmp(*a, key))
				ok = 1;
		if (!ok)
			return qfail(c, FR_QERR_SCHEMA,
			             "%s: Additional properties are not allowed ('%.100s' was unexpected)",
			             path, key);
	}
	return 0;
}

static int need_object(ctx *c, const json_t *v, const char *path)
{
	if (!json_is_object(v)) {
		char d[100];
		jdesc(v, d, sizeof d);
		return qfail(c, FR_QERR_SCHEMA, "%s: %s is not of type 'object'", path, d);
	}
	return 0;
}

static int need_array(ctx *c, const json_t *v, const char *path, size_t min_items)
{
	char d[100];
	if (!json_is_array(v)) {
		jdesc(v, d, sizeof d);
		return qfail(c, FR_QERR_SCHEMA, "%s: %s is not of type 'array'", path, d);
	}
	if (json_array_size(v) < min_items) {
		jdesc(v, d, sizeof d);
		return qfail(c, FR_QERR_SCHEMA, "%s: %s is too short", path, d);
	}
	if (json_array_size(v) > FR_QUERY_MAX_ITEMS)
		return qfail(c, FR_QERR_SCHEMA, "%s: more than %d items", path, FR_QUERY_MAX_ITEMS);
	return 0;
}

static int get_string(ctx *c, const json_t *v, const char *path, const char **out)
{
	if (!json_is_string(v)) {
		char d[100];
		jdesc(v, d, sizeof d);
		return qfail(c, FR_QERR_SCHEMA, "%s: %s is not of type 'string'", path, d);
	}
	if (strlen(json_string_value(v)) != json_string_length(v))
		return qfail(c, FR_QERR_SCHEMA, "%s: names may not contain a NUL character", path);
	*out = fr_arena_strndup(c->arena, json_string_value(v), json_string_length(v));
	if (!*out)
		return qfail(c, FR_QERR_UNEXPECTED, "out of memory");
	return 0;
}

static int req_key(ctx *c, const json_t *obj, const char *path, const char *key, json_t **out)
{
	*out = json_object_get(obj, key);
	if (!*out)
		return qfail(c, FR_QERR_SCHEMA, "%s: '%s' is a required property", path, key);
	return 0;
}

/* Non-negative integer (integral floats such as 1000.0 accepted, query.md §1.2). */
static int get_nonneg_int(ctx *c, const json_t *v, const char *path, int64_t *out)
{
	char d[100];
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
	} else if (json_is_real(v) && json_real_value(v) == floor(json_real_value(v)) &&
	           fabs(json_real_value(v)) < 9.2e18) {
		*out = (int64_t)json_real_value(v);
	} else {
		jdesc(v, d, sizeof d);
		return qfail(c, FR_QERR_SCHEMA, "%s: %s is not of type 'integer'", path, d);
	}
	if (*out < 0) {
		jdesc(v, d, sizeof d);
		return qfail(c, FR_QERR_SCHEMA, "%s: %s is less than the minimum of 0", path, d);
	}
	return 0;
}

static const fr_op numeric_ops[] = { FR_OP_EQ, FR_OP_NE, FR_OP_GT, FR_OP_GE, FR_OP_LT, FR_OP_LE };

static int parse_op(ctx *c, const json_t *v, const char *path, int numeric_only, fr_op *out)
{
	char d[100];
	if (!json_is_string(v)) {
		jdesc(v, d, sizeof d);
		return qfail(c, FR_QERR_SCHEMA, "%s: %s is not of type 'string'", path, d);
	}
	int op = fr_kern_op_parse(json_string_value(v));
	if (op >= 0 && numeric_only) {
		int ok = 0;
		for (size_t i = 0; i < sizeof numeric_ops / sizeof numeric_ops[0]; i++)
			ok |= numeric_ops[i] == (fr_op)op;
		if (!ok)
			op = -1;
	}
	if (op < 0 || strlen(json_string_value(v)) != json_string_length(v)) {
		jdesc(v, d, sizeof d);
		return qfail(c, FR_QERR_SCHEMA, "%s: %s is not one of the %s operators", path, d,
		             numeric_only ? "numeric (== != > >= < <=)" :
		                            "supported (== != > >= < <= contains, not contains)");
	}
	*out = (fr_op)op;
	return 0;
}

/* ---- filters ---- */

static int parse_filter_value(ctx *c, const json_t *v, const char *path, fr_qfilter *f)
{
	if (json_is_integer(v)) {
		f->vtype = FR_QV_INT;
		f->i = json_integer_value(v);
		f->f = (double)f->i;
	} else if (json_is_real(v)) {
		f->vtype = FR_QV_FLOAT;
		f->f = json_real_value(v);
	} else if (json_is_boolean(v)) {
		f->vtype = FR_QV_BOOL;
		f->i = json_is_true(v);
	} else if (json_is_string(v)) {
		f->vtype = FR_QV_STR;
		f->slen = json_string_length(v);
		f->s = fr_arena_memdup(c->arena, json_string_value(v), f->slen + 1);
		if (!f->s)
			return qfail(c, FR_QERR_UNEXPECTED, "out of memory");
	} else {
		char d[100];
		jdesc(v, d, sizeof d);
		return qfail(c, FR_QERR_SCHEMA,
		             "%s: %s is not a valid filter value (string, number or boolean)", path, d);
	}
	return 0;
}

static int parse_verbose_filter(ctx *c, const json_t *v, const char *path, fr_qfilter *f)
{
	static const char *const keys[] = { "column", "op", "value", NULL };
	char p[PATH_MAX_LEN];
	json_t *x;
	if (need_object(c, v, path) || check_keys(c, v, path, keys))
		return FR_EINVAL;
	if (req_key(c, v, path, "column", &x))
		return FR_EINVAL;
	subpath(p, path, "column");
	if (get_string(c, x, p, &f->column))
		return FR_EINVAL;
	if (req_key(c, v, path, "op", &x))
		return FR_EINVAL;
	subpath(p, path, "op");
	if (parse_op(c, x, p, 0, &f->op))
		return FR_EINVAL;
	if (req_key(c, v, path, "value", &x))
		return FR_EINVAL;
	subpath(p, path, "value");
	return parse_filter_value(c, x, p, f);
}

/* A single filter: shorthand [column, op, value] (exactly 3 items, decision 6) or verbose. */
static int parse_single_filter(ctx *c, const json_t *v, const char *path, fr_qfilter *f)
{
	char p[PATH_MAX_LEN];
	if (!json_is_array(v))
		return parse_verbose_filter(c, v, path, f);
	if (json_array_size(v) != 3) {
		char d[100];
		jdesc(v, d, sizeof d);
		return qfail(c, FR_QERR_SCHEMA,
		             "%s: shorthand filter %s must have exactly 3 items [column, op, value]",
		             path, d);
	}
	subidx(p, path, 0);
	if (get_string(c, json_array_get(v, 0), p, &f->column))
		return FR_EINVAL;
	subidx(p, path, 1);
	if (parse_op(c, json_array_get(v, 1), p, 0, &f->op))
		return FR_EINVAL;
	subidx(p, path, 2);
	return parse_filter_value(c, json_array_get(v, 2), p, f);
}

static int parse_filters_array(ctx *c, const json_t *v, const char *path, fr_qstep *st)
{
	char p[PATH_MAX_LEN];
	if (need_array(c, v, path, 1))
		return FR_EINVAL;
	st->n = (int)json_array_size(v);
	st->multi = 1;
	st->filters = fr_arena_calloc(c->arena, (size_t)st->n, sizeof(fr_qfilter));
	if (!st->filters)
		return qfail(c, FR_QERR_UNEXPECTED, "out of memory");
	for (int i = 0; i < st->n; i++) {
		subidx(p, path, (size_t)i);
		const json_t *item = json_array_get(v, (size_t)i);
		if (json_is_array(item))
			return qfail(c, FR_QERR_SCHEMA,
			             "%s: shorthand filters are not allowed inside 'filters'; use "
			             "{\"column\": ..., \"op\": ..., \"value\": ...}", p);
		if (parse_verbose_filter(c, item, p, &st->filters[i]))
			return FR_EINVAL;
	}
	return 0;
}

static int one_filter_step(ctx *c, const json_t *fv, const char *path, fr_qstep *st)
{
	st->n = 1;
	st->filters = fr_arena_calloc(c->arena, 1, sizeof(fr_qfilter));
	if (!st->filters)
		return qfail(c, FR_QERR_UNEXPECTED, "out of memory");
	return parse_single_filter(c, fv, path, st->filters);
}

/* Sequence step: {"filter": ...} or {"filters": [...]}, optional rowFound. */
static int parse_step(ctx *c, const json_t *v, const char *path, fr_qstep *st)
{
	static const char *const keys[] = { "filter", "filters", "rowFound", NULL };
	char p[PATH_MAX_LEN];
	if (need_object(c, v, path) || check_keys(c, v, path, keys))
		return FR_EINVAL;
	json_t *rf = json_object_get(v, "rowFound");
	if (rf) {
		subpath(p, path, "rowFound");
		if (!json_is_boolean(rf))
			return qfail(c, FR_QERR_SCHEMA, "%s: is not of type 'boolean'", p);
		/* Decision 5: a step that must not occur is not implemented; never ignore it. */
		if (json_is_false(rf))
			return qfail(c, FR_QERR_SCHEMA,
			             "%s: 'rowFound': false is not supported yet", p);
	}
	json_t *f = json_object_get(v, "filter"), *fs = json_object_get(v, "filters");
	if ((f != NULL) == (fs != NULL))
		return qfail(c, FR_QERR_SCHEMA,
		             "%s: a sequence step needs exactly one of 'filter' or 'filters'", path);
	if (f) {
		subpath(p, path, "filter");
		return one_filter_step(c, f, p, st);
	}
	subpath(p, path, "filters");
	return parse_filters_array(c, fs, p, st);
}

static int parse_steps(ctx *c, const json_t *v, const char *path, fr_qstep **steps, int *n)
{
	char p[PATH_MAX_LEN];
	if (need_array(c, v, path, 1))
		return FR_EINVAL;
	*n = (int)json_array_size(v);
	*steps = fr_arena_calloc(c->arena, (size_t)*n, sizeof(fr_qstep));
	if (!*steps)
		return qfail(c, FR_QERR_UNEXPECTED, "out of memory");
	for (int i = 0; i < *n; i++) {
		subidx(p, path, (size_t)i);
		if (parse_step(c, json_array_get(v, (size_t)i), p, &(*steps)[i]))
			return FR_EINVAL;
	}
	return 0;
}

/* ---- targets ---- */

static int target_value(ctx *c, const json_t *v, const char *path, fr_qcond *cd)
{
	char d[100];
	if (cd->target == FR_TARGET_COUNT) {
		if (!json_is_integer(v)) {
			jdesc(v, d, sizeof d);
			return qfail(c, FR_QERR_SCHEMA, "%s: %s is not of type 'integer'", path, d);
		}
		cd->value_is_int = 1;
		cd->ivalue = json_integer_value(v);
		if (cd->ivalue < 0) {
			jdesc(v, d, sizeof d);
			return qfail(c, FR_QERR_SCHEMA, "%s: %s is less than the minimum of 0", path, d);
		}
		cd->fvalue = (double)cd->ivalue;
		return 0;
	}
	if (json_is_integer(v)) {
		cd->value_is_int = 1;
		cd->ivalue = json_integer_value(v);
		cd->fvalue = (double)cd->ivalue;
	} else if (json_is_real(v)) {
		cd->fvalue = json_real_value(v);
	} else {
		jdesc(v, d, sizeof d);
		return qfail(c, FR_QERR_SCHEMA, "%s: %s is not of type 'number'", path, d);
	}
	return 0;
}

static int parse_target(ctx *c, const json_t *v, const char *path, fr_qcond *cd)
{
	char p[PATH_MAX_LEN];
	char d[100];
	if (json_is_array(v)) {
		size_t n = json_array_size(v);
		const json_t *t0 = json_array_get(v, 0);
		if (t0 && json_is_string(t0) && !strcmp(json_string_value(t0), "count")) {
			if (n != 3)
				return qfail(c, FR_QERR_SCHEMA,
				             "%s: a count target must be [\"count\", op, value]", path);
			cd->target = FR_TARGET_COUNT;
			subidx(p, path, 1);
			if (parse_op(c, json_array_get(v, 1), p, 1, &cd->target_op))
				return FR_EINVAL;
			subidx(p, path, 2);
			return target_value(c, json_array_get(v, 2), p, cd);
		}
		if (t0 && json_is_string(t0) && !strcmp(json_string_value(t0), "sum")) {
			if (n != 4)
				return qfail(c, FR_QERR_SCHEMA,
				             "%s: a sum target must be [\"sum\", column, op, value]", path);
			cd->target = FR_TARGET_SUM;
			subidx(p, path, 1);
			if (get_string(c, json_array_get(v, 1), p, &cd->sum_column))
				return FR_EINVAL;
			subidx(p, path, 2);
			if (parse_op(c, json_array_get(v, 2), p, 1, &cd->target_op))
				return FR_EINVAL;
			subidx(p, path, 3);
			return target_value(c, json_array_get(v, 3), p, cd);
		}
		jdesc(v, d, sizeof d);
		return qfail(c, FR_QERR_SCHEMA,
		             "%s: %s is not a valid target ([\"count\", op, value] or "
		             "[\"sum\", column, op, value])", path, d);
	}
	if (need_object(c, v, path))
		return FR_EINVAL;
	json_t *t = json_object_get(v, "type");
	if (!t)
		return qfail(c, FR_QERR_SCHEMA, "%s: 'type' is a required property", path);
	subpath(p, path, "type");
	if (json_is_string(t) && !strcmp(json_string_value(t), "count")) {
		static const char *const keys[] = { "type", "op", "value", NULL };
		if (check_keys(c, v, path, keys))
			return FR_EINVAL;
		cd->target = FR_TARGET_COUNT;
	} else if (json_is_string(t) && !strcmp(json_string_value(t), "sum")) {
		static const char *const keys[] = { "type", "column", "op", "value", NULL };
		json_t *col;
		if (check_keys(c, v, path, keys) || req_key(c, v, path, "column", &col))
			return FR_EINVAL;
		cd->target = FR_TARGET_SUM;
		subpath(p, path, "column");
		if (get_string(c, col, p, &cd->sum_column))
			return FR_EINVAL;
	} else {
		jdesc(t, d, sizeof d);
		return qfail(c, FR_QERR_SCHEMA, "%s: %s is not one of ['count', 'sum']", p, d);
	}
	json_t *x;
	if (req_key(c, v, path, "op", &x))
		return FR_EINVAL;
	subpath(p, path, "op");
	if (parse_op(c, x, p, 1, &cd->target_op))
		return FR_EINVAL;
	if (req_key(c, v, path, "value", &x))
		return FR_EINVAL;
	subpath(p, path, "value");
	return target_value(c, x, p, cd);
}

/* ---- conditions ---- */

static int parse_condition(ctx *c, const json_t *v, const char *path, fr_qcond *cd)
{
	char p[PATH_MAX_LEN];
	if (need_object(c, v, path))
		return FR_EINVAL;
	cd->include_zero = -1;
	json_t *name = json_object_get(v, "name");
	if (name) {
		subpath(p, path, "name");
		if (get_string(c, name, p, &cd->name))
			return FR_EINVAL;
	}
	json_t *seq = json_object_get(v, "sequence");
	json_t *f = json_object_get(v, "filter"), *fs = json_object_get(v, "filters");
	int shapes = (seq != NULL) + (f != NULL) + (fs != NULL);
	if (shapes != 1)
		return qfail(c, FR_QERR_SCHEMA,
		             "%s: a condition needs exactly one of 'filter', 'filters' or 'sequence'",
		             path);
	if (seq) {
		static const char *const keys[] = { "name", "sequence", "maxDuration", NULL };
		if (check_keys(c, v, path, keys))
			return FR_EINVAL;
		if (json_object_get(v, "maxDuration"))
			return qfail(c, FR_QERR_SCHEMA, "%s.maxDuration: not supported yet", path);
		cd->kind = FR_COND_SEQUENCE;
		subpath(p, path, "sequence");
		return parse_steps(c, seq, p, &cd->steps, &cd->nsteps);
	}
	static const char *const keys[] = { "name", "filter", "filters", "target", "includeZero",
	                                    NULL };
	if (check_keys(c, v, path, keys))
		return FR_EINVAL;
	cd->kind = FR_COND_FILTER;
	if (f) {
		subpath(p, path, "filter");
		if (one_filter_step(c, f, p, &cd->rows))
			return FR_EINVAL;
	} else {
		subpath(p, path, "filters");
		if (parse_filters_array(c, fs, p, &cd->rows))
			return FR_EINVAL;
	}
	json_t *iz = json_object_get(v, "includeZero");
	if (iz) {
		if (!json_is_boolean(iz))
			return qfail(c, FR_QERR_SCHEMA, "%s.includeZero: is not of type 'boolean'", path);
		cd->include_zero = json_is_true(iz);
	}
	json_t *t = json_object_get(v, "target");
	if (t) {
		subpath(p, path, "target");
		return parse_target(c, t, p, cd);
	}
	/* Default target (§2.2): at least one matching row. */
	cd->target = FR_TARGET_COUNT;
	cd->target_op = FR_OP_GE;
	cd->value_is_int = 1;
	cd->ivalue = 1;
	cd->fvalue = 1;
	return 0;
}

/* ---- aggregations ---- */

/* Parsed but not yet expanded aggregation (type -1 = absent). */
typedef struct rawagg {
	int type;
	const char *column, *other, *name;
	int top;                   /* 0 = default */
	char path[PATH_MAX_LEN];
} rawagg;

static int parse_agg(ctx *c, const json_t *v, const char *path, rawagg *ra)
{
	static const char *const keys[] = { "column", "type", "name", "otherColumn", "top", NULL };
	char p[PATH_MAX_LEN];
	json_t *x;
	snprintf(ra->path, sizeof ra->path, "%s", path);
	ra->type = -1;
	if (need_object(c, v, path) || check_keys(c, v, path, keys))
		return FR_EINVAL;
	if (req_key(c, v, path, "column", &x))
		return FR_EINVAL;
	subpath(p, path, "column");
	if (get_string(c, x, p, &ra->column))
		return FR_EINVAL;
	if ((x = json_object_get(v, "type"))) {
		subpath(p, path, "type");
		for (int t = 0; t < FR_AGG__COUNT && json_is_string(x); t++)
			if (!strcmp(json_string_value(x), fr_agg_type_name((fr_agg_type)t)))
				ra->type = t;
		if (ra->type < 0) {
			char d[100];
			jdesc(x, d, sizeof d);
			return qfail(c, FR_QERR_SCHEMA,
			             "%s: %s is not one of ['count', 'countPerValue', 'groupsPerValue', "
			             "'sumPerValue', 'meanPerValue']", p, d);
		}
	}
	if ((x = json_object_get(v, "name"))) {
		subpath(p, path, "name");
		if (get_string(c, x, p, &ra->name))
			return FR_EINVAL;
	}
	if ((x = json_object_get(v, "otherColumn"))) {
		subpath(p, path, "otherColumn");
		if (get_string(c, x, p, &ra->other))
			return FR_EINVAL;
	}
	if ((x = json_object_get(v, "top"))) {
		subpath(p, path, "top");
		if (!json_is_integer(x) || json_integer_value(x) < 1 ||
		    json_integer_value(x) > 1000000)
			return qfail(c, FR_QERR_SCHEMA, "%s: must be an integer from 1 to 1000000", p);
		if (ra->type == FR_AGG_COUNT)
			return qfail(c, FR_QERR_SCHEMA,
			             "%s: 'top' applies only to map aggregations, not to 'count'", p);
		ra->top = (int)json_integer_value(x);
	}
	return 0;
}

/* Raw aggregation lists of the three places, expanded by expand_aggs. */
typedef struct rawlist {
	rawagg *r;
	int n;
	int present;
	const char *scope;         /* for uniqueness messages */
} rawlist;

static int parse_agg_list(ctx *c, const json_t *v, const char *path, rawlist *rl)
{
	char p[PATH_MAX_LEN];
	char lp[PATH_MAX_LEN];
	snprintf(lp, sizeof lp, "%s", path);
	/* Decision 4: the documented wrapper {"columns": [...]} is accepted too. */
	if (json_is_object(v)) {
		static const char *const keys[] = { "columns", NULL };
		json_t *cols;
		if (check_keys(c, v, path, keys) || req_key(c, v, path, "columns", &cols))
			return FR_EINVAL;
		subpath(lp, path, "columns");
		v = cols;
	}
	if (need_array(c, v, lp, 0))
		return FR_EINVAL;
	rl->n = (int)json_array_size(v);
	rl->present = rl->n > 0;
	rl->r = fr_arena_calloc(c->arena, (size_t)rl->n + 1, sizeof(rawagg));
	if (!rl->r)
		return qfail(c, FR_QERR_UNEXPECTED, "out of memory");
	for (int i = 0; i < rl->n; i++) {
		subidx(p, lp, (size_t)i);
		if (parse_agg(c, json_array_get(v, (size_t)i), p, &rl->r[i]))
			return FR_EINVAL;
	}
	return 0;
}

/* §2.4 expansion + the §3.2 step 5 check (name on a type-less aggregation). */
static int expand_aggs(ctx *c, const rawlist *rl, fr_qagglist *out)
{
	int n = 0;
	for (int i = 0; i < rl->n; i++) {
		if (rl->r[i].type < 0 && rl->r[i].name)
			return qfail(c, FR_QERR_SCHEMA,
			             "%s: an aggregation without 'type' expands to count, countPerValue "
			             "and groupsPerValue, so it cannot carry a 'name' ('%.100s')",
			             rl->r[i].path, rl->r[i].name);
		n += rl->r[i].type < 0 ? 3 : 1;
	}
	out->present = n > 0;
	out->n = n;
	out->a = fr_arena_calloc(c->arena, (size_t)n + 1, sizeof(fr_qagg));
	if (!out->a)
		return qfail(c, FR_QERR_UNEXPECTED, "out of memory");
	int k = 0;
	for (int i = 0; i < rl->n; i++) {
		const rawagg *ra = &rl->r[i];
		static const fr_agg_type dflt[3] = { FR_AGG_COUNT, FR_AGG_COUNT_PER_VALUE,
		                                     FR_AGG_GROUPS_PER_VALUE };
		int m = ra->type < 0 ? 3 : 1;
		for (int j = 0; j < m; j++, k++) {
			fr_qagg *a = &out->a[k];
			a->type = ra->type < 0 ? dflt[j] : (fr_agg_type)ra->type;
			a->column = ra->column;
			a->other_column = ra->other;
			a->name = ra->name;
			a->top = ra->top ? ra->top : c->top_default;
			a->col = a->other_col = -1;
		}
	}
	return 0;
}

/* Path of expanded aggregation k of a raw list (messages of later passes). */
static const char *agg_path(const rawlist *rl, int k)
{
	for (int i = 0; i < rl->n; i++) {
		int m = rl->r[i].type < 0 ? 3 : 1;
		if (k < m)
			return rl->r[i].path;
		k -= m;
	}
	return "?";
}

/* ---- §3.3 includeZero ---- */

static int check_include_zero(ctx *c, int idx, fr_qcond *cd)
{
	const char *path = c->cond_path[idx];
	if (cd->kind != FR_COND_FILTER)
		return 0;
	if (cd->target == FR_TARGET_SUM) {
		if (cd->include_zero == 1)
			return qfail(c, FR_QERR_TYPE_MISMATCH,
			             "%s: 'includeZero' cannot be used with a sum target", path);
		return 0;
	}
	int64_t v = cd->ivalue;
	const char *opn = fr_kern_op_name(cd->target_op);
	if (cd->include_zero == 1) {
		if (cd->target_op == FR_OP_GT)
			return qfail(c, FR_QERR_TYPE_MISMATCH,
			             "%s: target count > %lld never admits zero, so 'includeZero' cannot "
			             "be true", path, (long long)v);
		if (cd->target_op == FR_OP_LT && v == 0)
			return qfail(c, FR_QERR_TYPE_MISMATCH,
			             "%s: target count < 0 would need a negative count", path);
		if ((cd->target_op == FR_OP_EQ && v != 0) || (cd->target_op == FR_OP_GE && v != 0) ||
		    (cd->target_op == FR_OP_NE && v == 0))
			return qfail(c, FR_QERR_TYPE_MISMATCH,
			             "%s: target count %s %lld explicitly precludes zero, and thus "
			             "'includeZero' cannot be true", path, opn, (long long)v);
		return 0;
	}
	if (cd->target_op == FR_OP_EQ && v == 0) {
		if (cd->include_zero == 0)
			return qfail(c, FR_QERR_TYPE_MISMATCH,
			             "%s: target count == 0 only makes sense with 'includeZero': true",
			             path);
		cd->include_zero = 1;
	}
	return 0;
}

/* ---- §3.4 identifiers ---- */

static int valid_ident(const char *s)
{
	if (!isalpha((unsigned char)s[0]) || (unsigned char)s[0] >= 0x80)
		return 0;
	for (const char *p = s + 1; *p; p++)
		if (!(isalnum((unsigned char)*p) || *p == '_') || (unsigned char)*p >= 0x80)
			return 0;
	return 1;
}

typedef struct name_at {
	const char *name;
	int i;
} name_at;

static int cmp_name_at(const void *a, const void *b)
{
	const name_at *x = a, *y = b;
	int c = strcasecmp(x->name, y->name);
	return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* Names in one scope: uniqueness (case-insensitive, decision 9) before syntax, reported for
 * the first name in list order that repeats an earlier one or is invalid.  Duplicates are
 * found by sorting (10,000 names: not 50 million comparisons). */
static int check_names(ctx *c, const char *const *names, int n, const char *scope)
{
	name_at *v = fr_arena_calloc(c->arena, (size_t)n + 1, sizeof *v);
	if (!v)
		return qfail(c, FR_QERR_UNEXPECTED, "out of memory");
	int m = 0;
	for (int i = 0; i < n; i++)
		if (names[i])
			v[m++] = (name_at){ names[i], i };
	qsort(v, (size_t)m, sizeof *v, cmp_name_at);
	int first_dup = n;         /* smallest index whose name an earlier index already has */
	for (int k = 1; k < m; k++)
		if (!strcasecmp(v[k].name, v[k - 1].name) && v[k].i < first_dup)
			first_dup = v[k].i;
	for (int i = 0; i < n; i++) {
		if (!names[i])
			continue;
		if (i == first_dup)
			return qfail(c, FR_QERR_SCHEMA,
			             "Identifier name '%.100s' is not unique in scope '%s' "
			             "(names are compared case-insensitively)", names[i], scope);
		if (!valid_ident(names[i]))
			return qfail(c, FR_QERR_SCHEMA,
			             "Identifier name '%.100s' in scope '%s' is invalid: it must start "
			             "with a letter followed by letters, digits or underscores",
			             names[i], scope);
	}
	return 0;
}

static int check_agg_names(ctx *c, const fr_qagglist *l, const char *scope)
{
	const char **names = fr_arena_calloc(c->arena, (size_t)l->n + 1, sizeof(char *));
	if (!names)
		return qfail(c, FR_QERR_UNEXPECTED, "out of memory");
	for (int i = 0; i < l->n; i++)
		names[i] = l->a[i].name;
	return check_names(c, names, l->n, scope);
}

static int is_rel_op(const char *s, size_t n)
{
	return (n == 3 && !strncasecmp(s, "and", 3)) || (n == 2 && !strncasecmp(s, "or", 2)) ||
	       (n == 2 && !strncmp(s, "&&", 2)) || (n == 2 && !strncmp(s, "||", 2));
}

/* ---- relation defaulting (§2.5) ---- */

static int expand_relation(ctx *c, const char *given)
{
	fr_query *q = c->q;
	int n = q->nconds;
	const char *op = NULL;
	char opbuf[4];
	if (given) {
		const char *s = given;
		size_t len = strlen(s);
		while (len && isspace((unsigned char)*s))
			s++, len--;
		while (len && isspace((unsigned char)s[len - 1]))
			len--;
		if (is_rel_op(s, len)) {
			for (size_t i = 0; i < len; i++)
				opbuf[i] = (char)tolower((unsigned char)s[i]);
			opbuf[len] = 0;
			op = opbuf;
		} else {
			q->relation = fr_arena_strdup(c->arena, given);
			return q->relation ? 0 : qfail(c, FR_QERR_UNEXPECTED, "out of memory");
		}
	} else if (n == 0) {
		return 0;
	} else {
		op = "and";
	}
	fr_buf b = FR_BUF_INIT;
	for (int i = 0; i < n; i++)
		if (i)
			fr_buf_printf(&b, " %s $%d", op, i);
		else
			fr_buf_printf(&b, "$%d", i);
	q->relation = fr_arena_strndup(c->arena, b.data ? (const char *)b.data : "", b.len);
	fr_buf_free(&b);
	return q->relation ? 0 : qfail(c, FR_QERR_UNEXPECTED, "out of memory");
}

/* ---- §3.5 / §3.7 dataset checks ---- */

typedef struct col_at {
	const char *name;
	int i;
} col_at;

static int cmp_col_at(const void *a, const void *b)
{
	const col_at *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* Index of the first schema column named `name`, or -1 (also when out of memory: the caller
 * then reports the column as missing, which cannot happen with memory to spare). */
static int find_col(ctx *c, const char *name)
{
	const fr_qschema *s = c->schema;
	if (!c->cols_by_name) {
		col_at *v = malloc(((size_t)s->ncols + 1) * sizeof *v);
		int *ix = fr_arena_calloc(c->arena, (size_t)s->ncols + 1, sizeof(int));
		if (!v || !ix) {
			free(v);
			for (int i = 0; i < s->ncols; i++)
				if (!strcmp(s->names[i], name))
					return i;
			return FR_EINVAL;
		}
		for (int i = 0; i < s->ncols; i++)
			v[i] = (col_at){ s->names[i], i };
		qsort(v, (size_t)s->ncols, sizeof *v, cmp_col_at);
		for (int i = 0; i < s->ncols; i++)
			ix[i] = v[i].i;
		free(v);
		c->cols_by_name = ix;
	}
	/* lower bound: the first of equal names has the smallest index */
	int lo = 0, hi = s->ncols;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (strcmp(s->names[c->cols_by_name[mid]], name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->ncols && !strcmp(s->names[c->cols_by_name[lo]], name) ?
	       c->cols_by_name[lo] : -1;
}

static const char *vtype_name(fr_qval_type t)
{
	switch (t) {
	case FR_QV_INT: return "INT";
	case FR_QV_FLOAT: return "FLOAT";
	case FR_QV_BOOL: return "BOOL";
	default: return "STR";
	}
}

static void fmt_value(const fr_qfilter *f, char *out, size_t n)
{
	switch (f->vtype) {
	case FR_QV_INT: snprintf(out, n, "%lld", (long long)f->i); break;
	case FR_QV_FLOAT: fr_json_fmt_double(f->f, out, n); break;
	case FR_QV_BOOL: snprintf(out, n, "%s", f->i ? "True" : "False"); break;
	default: snprintf(out, n, "'%.60s'", f->s); break;
	}
}

static int check_filter_col(ctx *c, fr_qfilter *f, const char *where)
{
	f->col = find_col(c, f->column);
	if (f->col < 0)
		return qfail(c, FR_QERR_DATASET_MISMATCH, "%s: column '%.100s' is not in the dataset",
		             where, f->column);
	c->q->used[f->col] = 1;
	return 0;
}

static int check_filter(ctx *c, fr_qfilter *f, const char *where)
{
	if (check_filter_col(c, f, where))
		return FR_EINVAL;
	fr_coltype t = c->schema->types[f->col];
	int op_ok;
	switch (t) {
	case FR_TYPE_INT:
	case FR_TYPE_FLOAT:
		op_ok = f->op != FR_OP_CONTAINS && f->op != FR_OP_NOT_CONTAINS;
		break;
	case FR_TYPE_BOOL:
		op_ok = f->op == FR_OP_EQ || f->op == FR_OP_NE;
		break;
	case FR_TYPE_STRING:
		op_ok = f->op == FR_OP_EQ || f->op == FR_OP_NE || f->op == FR_OP_CONTAINS ||
		        f->op == FR_OP_NOT_CONTAINS;
		break;
	default:
		op_ok = 0;
	}
	if (!op_ok)
		return qfail(c, FR_QERR_TYPE_MISMATCH,
		             "%s: operator '%s' is not applicable to column '%.100s' of type %s",
		             where, fr_kern_op_name(f->op), f->column, fr_coltype_name(t));
	int v_ok = (t == FR_TYPE_INT && f->vtype == FR_QV_INT) ||
	           (t == FR_TYPE_FLOAT && (f->vtype == FR_QV_INT || f->vtype == FR_QV_FLOAT)) ||
	           (t == FR_TYPE_BOOL && f->vtype == FR_QV_BOOL) ||
	           (t == FR_TYPE_STRING && f->vtype == FR_QV_STR);
	if (!v_ok) {
		char vb[100];
		fmt_value(f, vb, sizeof vb);
		return qfail(c, FR_QERR_TYPE_MISMATCH,
		             "%s: value %s (%s) is not applicable to column '%.100s' of type %s",
		             where, vb, vtype_name(f->vtype), f->column, fr_coltype_name(t));
	}
	return 0;
}

static int numeric_col(ctx *c, const char *name, const char *where, const char *what, int *col)
{
	*col = find_col(c, name);
	if (*col < 0)
		return qfail(c, FR_QERR_DATASET_MISMATCH, "%s: %s '%.100s' is not in the dataset",
		             where, what, name);
	fr_coltype t = c->schema->types[*col];
	if (t != FR_TYPE_INT && t != FR_TYPE_FLOAT)
		return qfail(c, FR_QERR_TYPE_MISMATCH,
		             "%s: %s '%.100s' is of type %s, should be one of INT, FLOAT", where, what,
		             name, fr_coltype_name(t));
	c->q->used[*col] = 1;
	return 0;
}

/* Filters in the order of §3.2 step 13: singles first (conditions, condition sequences,
 * funnel), then every `filters` item in the same three places. */
static int check_all_filters(ctx *c, int singles)
{
	fr_query *q = c->q;
	char where[PATH_MAX_LEN + 32];
	for (int pass = 0; pass < 3; pass++) {
		if (pass == 0) {
			for (int i = 0; i < q->nconds; i++) {
				fr_qcond *cd = &q->conds[i];
				if (cd->kind != FR_COND_FILTER || cd->rows.multi == singles)
					continue;
				for (int k = 0; k < cd->rows.n; k++) {
					snprintf(where, sizeof where, "%s.%s", c->cond_path[i],
					         singles ? "filter" : "filters");
					if (check_filter(c, &cd->rows.filters[k], where))
						return FR_EINVAL;
				}
			}
		} else {
			for (int i = 0; pass == 1 ? i < q->nconds : i < 1; i++) {
				fr_qstep *steps = pass == 1 ? q->conds[i].steps : q->fsteps;
				int ns = pass == 1 ? (q->conds[i].kind == FR_COND_SEQUENCE ?
				                      q->conds[i].nsteps : 0) : q->nfsteps;
				for (int s = 0; s < ns; s++) {
					if (steps[s].multi == singles)
						continue;
					for (int k = 0; k < steps[s].n; k++) {
						if (pass == 1)
							snprintf(where, sizeof where, "%s.sequence[%d]",
							         c->cond_path[i], s);
						else
							snprintf(where, sizeof where, "funnel.sequence[%d]", s);
						if (check_filter(c, &steps[s].filters[k], where))
							return FR_EINVAL;
					}
				}
			}
		}
	}
	return 0;
}

/* ---- top level ---- */

static int read_config(ctx *c, fr_query *q)
{
	int64_t top, lim;
	double grace;
	if (c->opts) {
		/* settings that crossed a queue are checked like any other input */
		top = c->opts->top_default;
		grace = c->opts->grace;
		lim = c->opts->exact_limit;
		if (top < 1 || top > 1000000 || !(grace >= 1.0 && grace <= 1000.0) || lim < 1)
			return qfail(c, FR_QERR_INVALID_ARGUMENTS, "engine settings out of range: top "
			             "%lld, grace %g, exact limit %lld", (long long)top, grace,
			             (long long)lim);
	} else {
		top = 10;        /* the documented defaults (FROCKET_AGGREGATIONS_*) */
		grace = 2.0;
		lim = 100000;
	}
	c->top_default = (int)top;
	q->grace = grace;
	q->exact_limit = lim;
	return 0;
}

static int validate(ctx *c, const json_t *root)
{
	fr_query *q = c->q;
	static const char *const top_keys[] = { "timeframe", "query", "funnel", NULL };
	char p[PATH_MAX_LEN];
	rawlist ra = { .scope = "query.aggregations.name" };
	rawlist rs = { .scope = "funnel.stepAggregations.name" };
	rawlist re = { .scope = "funnel.endAggregations.name" };
	const char *relation = NULL;
	int has_relation = 0;

	if (read_config(c, q))
		return FR_EINVAL;
	/* 1. structure (the JSON-schema step) */
	if (!json_is_object(root)) {
		char d[100];
		jdesc(root, d, sizeof d);
		return qfail(c, FR_QERR_SCHEMA, "query: %s is not of type 'object'", d);
	}
	if (check_keys(c, root, "query document", top_keys))
		return FR_EINVAL;
	json_t *tf = json_object_get(root, "timeframe");
	if (tf) {
		static const char *const keys[] = { "from", "to", NULL };
		if (need_object(c, tf, "timeframe") || check_keys(c, tf, "timeframe", keys))
			return FR_EINVAL;
		json_t *x;
		if ((x = json_object_get(tf, "from"))) {
			q->has_from = 1;
			if (get_nonneg_int(c, x, "timeframe.from", &q->from))
				return FR_EINVAL;
		}
		if ((x = json_object_get(tf, "to"))) {
			q->has_to = 1;
			if (get_nonneg_int(c, x, "timeframe.to", &q->to))
				return FR_EINVAL;
		}
	}
	json_t *qo = json_object_get(root, "query");
	if (qo) {
		static const char *const keys[] = { "relation", "conditions", "aggregations", NULL };
		if (need_object(c, qo, "query") || check_keys(c, qo, "query", keys))
			return FR_EINVAL;
		json_t *x;
		if ((x = json_object_get(qo, "relation"))) {
			if (get_string(c, x, "query.relation", &relation))
				return FR_EINVAL;
			has_relation = 1;
		}
		if ((x = json_object_get(qo, "conditions"))) {
			if (need_array(c, x, "query.conditions", 0))
				return FR_EINVAL;
			q->nconds = (int)json_array_size(x);
			q->conds = fr_arena_calloc(c->arena, (size_t)q->nconds + 1, sizeof(fr_qcond));
			c->cond_path = fr_arena_calloc(c->arena, (size_t)q->nconds + 1, sizeof(char *));
			if (!q->conds || !c->cond_path)
				return qfail(c, FR_QERR_UNEXPECTED, "out of memory");
			for (int i = 0; i < q->nconds; i++) {
				subidx(p, "query.conditions", (size_t)i);
				c->cond_path[i] = fr_arena_strdup(c->arena, p);
				if (!c->cond_path[i])
					return qfail(c, FR_QERR_UNEXPECTED, "out of memory");
				if (parse_condition(c, json_array_get(x, (size_t)i), p, &q->conds[i]))
					return FR_EINVAL;
			}
		}
		if ((x = json_object_get(qo, "aggregations")) &&
		    parse_agg_list(c, x, "query.aggregations", &ra))
			return FR_EINVAL;
	}
	json_t *fo = json_object_get(root, "funnel");
	if (fo) {
		static const char *const keys[] = { "sequence", "maxDuration", "stepAggregations",
		                                    "endAggregations", NULL };
		json_t *x;
		if (need_object(c, fo, "funnel") || check_keys(c, fo, "funnel", keys) ||
		    req_key(c, fo, "funnel", "sequence", &x))
			return FR_EINVAL;
		if (parse_steps(c, x, "funnel.sequence", &q->fsteps, &q->nfsteps))
			return FR_EINVAL;
		if (json_object_get(fo, "maxDuration"))
			return qfail(c, FR_QERR_SCHEMA, "funnel.maxDuration: not supported yet");
		q->has_funnel = 1;
		if ((x = json_object_get(fo, "stepAggregations")) &&
		    parse_agg_list(c, x, "funnel.stepAggregations", &rs))
			return FR_EINVAL;
		if ((x = json_object_get(fo, "endAggregations")) &&
		    parse_agg_list(c, x, "funnel.endAggregations", &re))
			return FR_EINVAL;
	}

	/* 5. default aggregations */
	if (expand_aggs(c, &ra, &q->aggs) || expand_aggs(c, &rs, &q->step_aggs) ||
	    expand_aggs(c, &re, &q->end_aggs))
		return FR_EINVAL;
	/* 6. includeZero */
	for (int i = 0; i < q->nconds; i++)
		if (check_include_zero(c, i, &q->conds[i]))
			return FR_EINVAL;
	/* 7. otherColumn presence */
	const rawlist *rls[3] = { &ra, &rs, &re };
	fr_qagglist *als[3] = { &q->aggs, &q->step_aggs, &q->end_aggs };
	for (int l = 0; l < 3; l++)
		for (int i = 0; i < als[l]->n; i++) {
			fr_qagg *a = &als[l]->a[i];
			int needs = a->type == FR_AGG_SUM_PER_VALUE || a->type == FR_AGG_MEAN_PER_VALUE;
			if (needs && !a->other_column)
				return qfail(c, FR_QERR_SCHEMA, "%s: aggregation type %s requires "
				             "'otherColumn'", agg_path(rls[l], i), fr_agg_type_name(a->type));
			if (!needs && a->other_column)
				return qfail(c, FR_QERR_SCHEMA, "%s: 'otherColumn' is irrelevant for "
				             "aggregation type %s", agg_path(rls[l], i),
				             fr_agg_type_name(a->type));
		}
	/* 8-9. identifiers */
	{
		const char **names = fr_arena_calloc(c->arena, (size_t)q->nconds + 1, sizeof(char *));
		if (!names)
			return qfail(c, FR_QERR_UNEXPECTED, "out of memory");
		for (int i = 0; i < q->nconds; i++)
			names[i] = q->conds[i].name;
		if (check_names(c, names, q->nconds, "query.conditions.name"))
			return FR_EINVAL;
		for (int l = 0; l < 3; l++)
			if (check_agg_names(c, als[l], rls[l]->scope))
				return FR_EINVAL;
		for (int i = 0; i < q->nconds; i++)
			if (names[i] && is_rel_op(names[i], strlen(names[i]))) {
				char low[4];
				size_t l = strlen(names[i]);
				for (size_t j = 0; j <= l; j++)
					low[j] = (char)tolower((unsigned char)names[i][j]);
				return qfail(c, FR_QERR_SCHEMA, "%s.name: '%s' is a reserved word of the "
				             "relation and cannot be a condition name", c->cond_path[i], low);
			}
	}
	/* 10. relation */
	if (expand_relation(c, has_relation ? relation : NULL))
		return FR_EINVAL;
	if (q->relation && fr_query_parse_relation(q, q->relation, c->arena, c->qe))
		return FR_EINVAL;
	/* 11. timeframe order */
	if (q->has_from && q->has_to && q->to <= q->from)
		return qfail(c, FR_QERR_SCHEMA,
		             "timeframe: 'to' (%lld) must be larger than 'from' (%lld): 'from' is "
		             "inclusive and 'to' exclusive", (long long)q->to, (long long)q->from);
	/* 13. dataset checks */
	const fr_qschema *s = c->schema;
	q->used[s->group_col] = 1;
	/* The timestamp is read only by the timeframe and by sequences: other queries skip
	 * decoding it. */
	int need_ts = q->has_from || q->has_to || q->has_funnel;
	for (int i = 0; i < q->nconds; i++)
		need_ts |= q->conds[i].kind == FR_COND_SEQUENCE;
	if (need_ts)
		q->used[s->ts_col] = 1;
	if (check_all_filters(c, 1) || check_all_filters(c, 0))
		return FR_EINVAL;
	for (int l = 0; l < 3; l++)
		for (int i = 0; i < als[l]->n; i++) {
			fr_qagg *a = &als[l]->a[i];
			a->col = find_col(c, a->column);
			if (a->col < 0)
				return qfail(c, FR_QERR_DATASET_MISMATCH,
				             "%s: column '%.100s' is not in the dataset", agg_path(rls[l], i),
				             a->column);
			q->used[a->col] = 1;
		}
	for (int i = 0; i < q->nconds; i++) {
		fr_qcond *cd = &q->conds[i];
		if (cd->kind == FR_COND_FILTER && cd->target == FR_TARGET_SUM) {
			snprintf(p, sizeof p, "%s.target", c->cond_path[i]);
			if (numeric_col(c, cd->sum_column, p, "sum target column", &cd->sum_col))
				return FR_EINVAL;
		}
	}
	for (int l = 0; l < 3; l++)
		for (int i = 0; i < als[l]->n; i++) {
			fr_qagg *a = &als[l]->a[i];
			if (a->other_column && numeric_col(c, a->other_column, agg_path(rls[l], i),
			                                   "otherColumn", &a->other_col))
				return FR_EINVAL;
		}
	/* 14. Decision 8: no timestamp-scale plausibility check. */
	return 0;
}

int fr_query_parse(const char *text, size_t len, const fr_qschema *schema, fr_arena *arena,
                   fr_query **out, fr_qerror *qe)
{
	return fr_query_parse_opts(text, len, schema, NULL, arena, out, qe);
}

int fr_query_parse_opts(const char *text, size_t len, const fr_qschema *schema,
                        const fr_query_opts *opts, fr_arena *arena, fr_query **out,
                        fr_qerror *qe)
{
	ctx c = { .arena = arena, .qe = qe, .schema = schema, .opts = opts };
	qe->kind = FR_QERR_NONE;
	qe->msg[0] = 0;
	*out = NULL;
	if (!schema || schema->ncols <= 0 || schema->group_col < 0 ||
	    schema->group_col >= schema->ncols || schema->ts_col < 0 ||
	    schema->ts_col >= schema->ncols)
		return qfail(&c, FR_QERR_INVALID_ARGUMENTS, "no dataset schema to validate against");
	if (len > FR_QUERY_MAX_DOC_BYTES)
		return qfail(&c, FR_QERR_SCHEMA, "query document is %zu bytes, more than the %u "
		             "allowed", len, FR_QUERY_MAX_DOC_BYTES);
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_ALLOW_NUL, &je);
	if (!root)
		return qfail(&c, FR_QERR_SCHEMA, "malformed JSON: %s (line %d, column %d)", je.text,
		             je.line, je.column);
	fr_query *q = fr_arena_calloc(arena, 1, sizeof *q);
	if (!q || !(q->used = fr_arena_calloc(arena, (size_t)schema->ncols, 1))) {
		json_decref(root);
		return qfail(&c, FR_QERR_UNEXPECTED, "out of memory");
	}
	q->schema = schema;
	c.q = q;
	int rc = validate(&c, root);
	json_decref(root);
	if (rc)
		return FR_EINVAL;
	*out = q;
	return 0;
}
