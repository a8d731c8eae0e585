/* Footer decoding: FileMetaData -> schema leaves, row groups, column chunks, statistics,
 * with the structural checks of parquet.md §3-§5 done before any page is read. */
#include "parquet/internal.h"
#include "parquet/format.h"
#include "parquet/thrift.h"

#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <ctype.h>

#define MAX_SCHEMA_DEPTH 32

typedef struct selem {
	int has_type, type, type_length, has_rep, rep, has_children, num_children;
	int converted, scale, precision;
	int logical, time_unit, utc, int_bits, int_signed, dec_scale, dec_precision;
	const uint8_t *name;
	uint32_t name_len;
	int has_name;
} selem;

typedef struct dctx {
	fr_pq_file *f;
	fr_tr t;
	fr_err *err;
} dctx;

/* TimeUnit union: 1 MILLIS, 2 MICROS, 3 NANOS; unknown members are "unsupported". */
static int dec_time_unit(fr_tr *t, int *unit)
{
	int16_t last = 0, id;
	int ty;
	*unit = 0;
	if (fr_tr_enter(t))
		return -1;
	while (!fr_tr_field(t, &last, &ty, &id) && ty != FR_TT_STOP) {
		if (ty == FR_TT_STRUCT && id >= 1 && id <= 3)
			*unit = id;
		fr_tr_skip(t, ty);
	}
	fr_tr_leave(t);
	return t->err ? -1 : 0;
}

static int dec_logical(fr_tr *t, selem *e)
{
	int16_t last = 0, id;
	int ty;
	if (fr_tr_enter(t))
		return -1;
	e->logical = -1;
	while (!fr_tr_field(t, &last, &ty, &id) && ty != FR_TT_STOP) {
		if (ty != FR_TT_STRUCT) {
			fr_tr_skip(t, ty);
			continue;
		}
		switch (id) {
		case FR_PQ_LT_DECIMAL: {
			int16_t l2 = 0, i2;
			int t2;
			int32_t v;
			int hs = 0, hp = 0;
			fr_tr_enter(t);
			while (!fr_tr_field(t, &l2, &t2, &i2) && t2 != FR_TT_STOP) {
				if (i2 == 1 && t2 == FR_TT_I32) { fr_tr_i32(t, &v); e->dec_scale = v; hs = 1; }
				else if (i2 == 2 && t2 == FR_TT_I32) { fr_tr_i32(t, &v); e->dec_precision = v; hp = 1; }
				else fr_tr_skip(t, t2);
			}
			fr_tr_leave(t);
			e->logical = (hs && hp) ? id : -1;
			break;
		}
		case FR_PQ_LT_TIME:
		case FR_PQ_LT_TIMESTAMP: {
			int16_t l2 = 0, i2;
			int t2;
			fr_tr_enter(t);
			e->utc = 0;
			e->time_unit = 0;
			while (!fr_tr_field(t, &l2, &t2, &i2) && t2 != FR_TT_STOP) {
				if (i2 == 1 && (t2 == FR_TT_TRUE || t2 == FR_TT_FALSE)) e->utc = t2 == FR_TT_TRUE;
				else if (i2 == 2 && t2 == FR_TT_STRUCT) dec_time_unit(t, &e->time_unit);
				else fr_tr_skip(t, t2);
			}
			fr_tr_leave(t);
			e->logical = e->time_unit ? id : -1;
			break;
		}
		case FR_PQ_LT_INTEGER: {
			int16_t l2 = 0, i2;
			int t2, hb = 0, hs = 0;
			fr_tr_enter(t);
			while (!fr_tr_field(t, &l2, &t2, &i2) && t2 != FR_TT_STOP) {
				if (i2 == 1 && t2 == FR_TT_I8) {
					if (t->p >= t->end) { fr_tr_fail(t, "truncated i8"); break; }
					e->int_bits = (int8_t)*t->p++;
					hb = 1;
				} else if (i2 == 2 && (t2 == FR_TT_TRUE || t2 == FR_TT_FALSE)) {
					e->int_signed = t2 == FR_TT_TRUE;
					hs = 1;
				} else {
					fr_tr_skip(t, t2);
				}
			}
			fr_tr_leave(t);
			e->logical = (hb && hs) ? id : -1;
			break;
		}
		case FR_PQ_LT_STRING: case FR_PQ_LT_MAP: case FR_PQ_LT_LIST: case FR_PQ_LT_ENUM:
		case FR_PQ_LT_DATE: case FR_PQ_LT_UNKNOWN: case FR_PQ_LT_JSON: case FR_PQ_LT_BSON:
		case FR_PQ_LT_UUID: case FR_PQ_LT_FLOAT16: case FR_PQ_LT_VARIANT:
		case FR_PQ_LT_GEOMETRY: case FR_PQ_LT_GEOGRAPHY: case FR_PQ_LT_FILE:
			e->logical = id;
			fr_tr_skip(t, ty);
			break;
		default:
			/* A member from a newer writer: the column is unsupported, not corrupt. */
			e->logical = -1;
			fr_tr_skip(t, ty);
		}
	}
	fr_tr_leave(t);
	return t->err ? -1 : 0;
}

static int dec_selem(fr_tr *t, selem *e)
{
	int16_t last = 0, id;
	int ty;
	int32_t v;
	memset(e, 0, sizeof *e);
	e->converted = -1;
	if (fr_tr_enter(t))
		return -1;
	while (!fr_tr_field(t, &last, &ty, &id) && ty != FR_TT_STOP) {
		switch (id) {
		case 1: if (ty == FR_TT_I32 && !fr_tr_i32(t, &v)) { e->has_type = 1; e->type = v; } else fr_tr_skip(t, ty); break;
		case 2: if (ty == FR_TT_I32 && !fr_tr_i32(t, &v)) e->type_length = v; else fr_tr_skip(t, ty); break;
		case 3: if (ty == FR_TT_I32 && !fr_tr_i32(t, &v)) { e->has_rep = 1; e->rep = v; } else fr_tr_skip(t, ty); break;
		case 4: if (ty == FR_TT_BINARY && !fr_tr_bin(t, &e->name, &e->name_len)) e->has_name = 1; else fr_tr_skip(t, ty); break;
		case 5: if (ty == FR_TT_I32 && !fr_tr_i32(t, &v)) { e->has_children = 1; e->num_children = v; } else fr_tr_skip(t, ty); break;
		case 6: if (ty == FR_TT_I32 && !fr_tr_i32(t, &v)) e->converted = v; else fr_tr_skip(t, ty); break;
		case 7: if (ty == FR_TT_I32 && !fr_tr_i32(t, &v)) e->scale = v; else fr_tr_skip(t, ty); break;
		case 8: if (ty == FR_TT_I32 && !fr_tr_i32(t, &v)) e->precision = v; else fr_tr_skip(t, ty); break;
		case 10: if (ty == FR_TT_STRUCT) dec_logical(t, e); else fr_tr_skip(t, ty); break;
		default: fr_tr_skip(t, ty);
		}
	}
	fr_tr_leave(t);
	if (!t->err && !e->has_name)
		fr_tr_fail(t, "schema element without a name");
	return t->err ? -1 : 0;
}

static int dec_stats(fr_tr *t, fr_pq_stats *s)
{
	int16_t last = 0, id;
	int ty;
	memset(s, 0, sizeof *s);
	s->min_exact = s->max_exact = -1;
	if (fr_tr_enter(t))
		return -1;
	while (!fr_tr_field(t, &last, &ty, &id) && ty != FR_TT_STOP) {
		if (ty == FR_TT_BINARY && id == 1) { if (!fr_tr_bin(t, &s->max_old, &s->max_old_len)) s->has_max_old = 1; }
		else if (ty == FR_TT_BINARY && id == 2) { if (!fr_tr_bin(t, &s->min_old, &s->min_old_len)) s->has_min_old = 1; }
		else if (ty == FR_TT_I64 && id == 3) { if (!fr_tr_i64(t, &s->null_count)) s->has_null_count = 1; }
		else if (ty == FR_TT_I64 && id == 4) { if (!fr_tr_i64(t, &s->distinct_count)) s->has_distinct = 1; }
		else if (ty == FR_TT_BINARY && id == 5) { if (!fr_tr_bin(t, &s->max, &s->max_len)) s->has_max = 1; }
		else if (ty == FR_TT_BINARY && id == 6) { if (!fr_tr_bin(t, &s->min, &s->min_len)) s->has_min = 1; }
		else if ((ty == FR_TT_TRUE || ty == FR_TT_FALSE) && id == 7) s->max_exact = ty == FR_TT_TRUE;
		else if ((ty == FR_TT_TRUE || ty == FR_TT_FALSE) && id == 8) s->min_exact = ty == FR_TT_TRUE;
		else if (ty == FR_TT_I64 && id == 9) { if (!fr_tr_i64(t, &s->nan_count)) s->has_nan_count = 1; }
		else fr_tr_skip(t, ty);
	}
	fr_tr_leave(t);
	return t->err ? -1 : 0;
}

static const char *join_path(fr_arena *a, const char **parts, int n)
{
	size_t len = 0;
	for (int i = 0; i < n; i++)
		len += strlen(parts[i]) + 1;
	char *s = fr_arena_alloc(a, len + 1);
	if (!s)
		return NULL;
	s[0] = 0;
	size_t o = 0;
	for (int i = 0; i < n; i++) {
		size_t l = strlen(parts[i]);
		if (i)
			s[o++] = '.';
		memcpy(s + o, parts[i], l);
		o += l;
	}
	s[o] = 0;
	return s;
}

static int dec_colmeta(dctx *d, fr_pq_chunk *c)
{
	fr_tr *t = &d->t;
	int16_t last = 0, id;
	int ty;
	int32_t v;
	int got_type = 0, got_codec = 0, got_nv = 0, got_dpo = 0, got_tcs = 0;
	const char *parts[64];
	int nparts = 0;
	if (fr_tr_enter(t))
		return -1;
	while (!fr_tr_field(t, &last, &ty, &id) && ty != FR_TT_STOP) {
		switch (id) {
		case 1: if (ty == FR_TT_I32 && !fr_tr_i32(t, &v)) { c->type = v; got_type = 1; } else fr_tr_skip(t, ty); break;
		case 2:
			if (ty == FR_TT_LIST) {
				int et;
				uint32_t n;
				if (fr_tr_list(t, &et, &n))
					break;
				for (uint32_t i = 0; i < n && !t->err; i++) {
					if (et == FR_TT_I32 && !fr_tr_i32(t, &v)) {
						if (v >= 0 && v < 32)
							c->encodings |= 1u << v;
					} else if (et != FR_TT_I32) {
						fr_tr_skip(t, et);
					}
				}
			} else {
				fr_tr_skip(t, ty);
			}
			break;
		case 3:
			if (ty == FR_TT_LIST) {
				int et;
				uint32_t n;
				if (fr_tr_list(t, &et, &n))
					break;
				for (uint32_t i = 0; i < n && !t->err; i++) {
					const uint8_t *p;
					uint32_t l;
					if (et != FR_TT_BINARY) {
						fr_tr_skip(t, et);
						continue;
					}
					if (fr_tr_bin(t, &p, &l))
						break;
					if (nparts < 64)
						parts[nparts++] = fr_arena_strndup(d->f->meta, (const char *)p, l);
				}
				for (int i = 0; i < nparts; i++)
					if (!parts[i])
						return fr_tr_fail(t, "out of memory");
				c->path = join_path(d->f->meta, parts, nparts);
			} else {
				fr_tr_skip(t, ty);
			}
			break;
		case 4: if (ty == FR_TT_I32 && !fr_tr_i32(t, &v)) { c->codec = v; got_codec = 1; } else fr_tr_skip(t, ty); break;
		case 5: if (ty == FR_TT_I64 && !fr_tr_i64(t, &c->num_values)) got_nv = 1; else if (ty != FR_TT_I64) fr_tr_skip(t, ty); break;
		case 6: if (ty == FR_TT_I64) fr_tr_i64(t, &c->total_uncompressed); else fr_tr_skip(t, ty); break;
		case 7: if (ty == FR_TT_I64 && !fr_tr_i64(t, &c->total_compressed)) got_tcs = 1; else if (ty != FR_TT_I64) fr_tr_skip(t, ty); break;
		case 9: if (ty == FR_TT_I64 && !fr_tr_i64(t, &c->data_page_offset)) got_dpo = 1; else if (ty != FR_TT_I64) fr_tr_skip(t, ty); break;
		case 11: if (ty == FR_TT_I64) fr_tr_i64(t, &c->dict_page_offset); else fr_tr_skip(t, ty); break;
		case 12: if (ty == FR_TT_STRUCT && !dec_stats(t, &c->stats)) c->has_stats = 1; else if (ty != FR_TT_STRUCT) fr_tr_skip(t, ty); break;
		default: fr_tr_skip(t, ty);
		}
	}
	fr_tr_leave(t);
	if (t->err)
		return -1;
	if (!got_type || !got_codec || !got_nv || !got_dpo || !got_tcs)
		return fr_tr_fail(t, "column metadata misses a required field");
	return 0;
}

static int dec_chunk(dctx *d, fr_pq_chunk *c)
{
	fr_tr *t = &d->t;
	int16_t last = 0, id;
	int ty;
	memset(c, 0, sizeof *c);
	c->dict_page_offset = -1;
	if (fr_tr_enter(t))
		return -1;
	while (!fr_tr_field(t, &last, &ty, &id) && ty != FR_TT_STOP) {
		if (id == 1 && ty == FR_TT_BINARY) { c->has_file_path = 1; fr_tr_skip(t, ty); }
		else if (id == 3 && ty == FR_TT_STRUCT) { if (!dec_colmeta(d, c)) c->has_meta = 1; }
		else if (id == 8 || id == 9) { c->encrypted = 1; fr_tr_skip(t, ty); }
		else fr_tr_skip(t, ty);
	}
	fr_tr_leave(t);
	return t->err ? -1 : 0;
}

static int dec_rowgroup(dctx *d, fr_pq_rowgroup *rg, int nleaves)
{
	fr_tr *t = &d->t;
	int16_t last = 0, id;
	int ty;
	int got_cols = 0, got_rows = 0;
	memset(rg, 0, sizeof *rg);
	if (fr_tr_enter(t))
		return -1;
	while (!fr_tr_field(t, &last, &ty, &id) && ty != FR_TT_STOP) {
		if (id == 1 && ty == FR_TT_LIST) {
			int et;
			uint32_t n;
			if (fr_tr_list(t, &et, &n))
				break;
			if (et != FR_TT_STRUCT)
				return fr_tr_fail(t, "row group columns are not structs");
			if ((int64_t)n != nleaves)
				return fr_tr_fail(t, "row group has a different number of column chunks than the schema has leaves");
			if (got_cols)
				return fr_tr_fail(t, "row group lists its columns twice");
			rg->cols = fr_arena_calloc(d->f->meta, n ? n : 1, sizeof *rg->cols);
			if (!rg->cols)
				return fr_tr_fail(t, "out of memory");
			for (uint32_t i = 0; i < n && !t->err; i++)
				dec_chunk(d, &rg->cols[i]);
			got_cols = 1;
		} else if (id == 2 && ty == FR_TT_I64) {
			fr_tr_i64(t, &rg->total_byte_size);
		} else if (id == 3 && ty == FR_TT_I64) {
			if (!fr_tr_i64(t, &rg->num_rows))
				got_rows = 1;
		} else {
			fr_tr_skip(t, ty);
		}
	}
	fr_tr_leave(t);
	if (t->err)
		return -1;
	if (!got_cols)
		return fr_tr_fail(t, "row group without columns");
	if (!got_rows)
		return fr_tr_fail(t, "row group without num_rows");
	if (rg->num_rows < 0)
		return fr_tr_fail(t, "row group with a negative number of rows");
	return 0;
}

static int is_int32ish(int ty) { return ty == FR_PQ_INT32; }

/* Resolves the annotations of a leaf into the flags the loader and inspect use, and marks
 * annotations that contradict the physical type (parquet.md §4 step 8). */
static void resolve_leaf(fr_pq_leaf *l, const selem *e)
{
	int ty = l->type;
	l->converted = e->converted;
	if (l->converted > FR_PQ_CT_INTERVAL)
		l->converted = -1;   /* out-of-enum (24 from old pandas): no annotation */
	l->logical = e->logical;
	l->scale = e->scale;
	l->precision = e->precision;
	l->time_unit = e->time_unit;
	l->utc = e->utc;
	l->int_bits = e->int_bits;
	l->int_signed = e->int_signed;
	if (l->logical > 0) {
		switch (l->logical) {
		case FR_PQ_LT_STRING: case FR_PQ_LT_ENUM: case FR_PQ_LT_JSON:
			l->is_string = 1;
			if (ty != FR_PQ_BYTE_ARRAY) l->bad_annotation = 1;
			break;
		case FR_PQ_LT_BSON: case FR_PQ_LT_GEOMETRY: case FR_PQ_LT_GEOGRAPHY:
			if (ty != FR_PQ_BYTE_ARRAY) l->bad_annotation = 1;
			break;
		case FR_PQ_LT_DECIMAL:
			l->is_decimal = 1;
			l->scale = e->dec_scale;
			l->precision = e->dec_precision;
			if (ty != FR_PQ_INT32 && ty != FR_PQ_INT64 && ty != FR_PQ_BYTE_ARRAY &&
			    ty != FR_PQ_FIXED_LEN_BYTE_ARRAY)
				l->bad_annotation = 1;
			break;
		case FR_PQ_LT_DATE:
			if (!is_int32ish(ty)) l->bad_annotation = 1;
			break;
		case FR_PQ_LT_TIME:
			if (l->time_unit == 1 ? ty != FR_PQ_INT32 : ty != FR_PQ_INT64) l->bad_annotation = 1;
			break;
		case FR_PQ_LT_TIMESTAMP:
			if (ty != FR_PQ_INT64) l->bad_annotation = 1;
			break;
		case FR_PQ_LT_INTEGER:
			if (l->int_bits != 8 && l->int_bits != 16 && l->int_bits != 32 && l->int_bits != 64)
				l->bad_annotation = 1;
			else if (l->int_bits == 64 ? ty != FR_PQ_INT64 : ty != FR_PQ_INT32)
				l->bad_annotation = 1;
			l->is_unsigned = !l->int_signed;
			break;
		case FR_PQ_LT_UUID:
			if (ty != FR_PQ_FIXED_LEN_BYTE_ARRAY || l->type_length != 16) l->bad_annotation = 1;
			break;
		case FR_PQ_LT_FLOAT16:
			l->is_float16 = 1;
			if (ty != FR_PQ_FIXED_LEN_BYTE_ARRAY || l->type_length != 2) l->bad_annotation = 1;
			break;
		default:
			break;
		}
		return;
	}
	switch (l->converted) {
	case FR_PQ_CT_UTF8: case FR_PQ_CT_ENUM: case FR_PQ_CT_JSON:
		l->is_string = 1;
		if (ty != FR_PQ_BYTE_ARRAY) l->bad_annotation = 1;
		break;
	case FR_PQ_CT_BSON:
		if (ty != FR_PQ_BYTE_ARRAY) l->bad_annotation = 1;
		break;
	case FR_PQ_CT_DECIMAL:
		l->is_decimal = 1;
		if (ty != FR_PQ_INT32 && ty != FR_PQ_INT64 && ty != FR_PQ_BYTE_ARRAY &&
		    ty != FR_PQ_FIXED_LEN_BYTE_ARRAY)
			l->bad_annotation = 1;
		break;
	case FR_PQ_CT_DATE: case FR_PQ_CT_TIME_MILLIS:
		if (ty != FR_PQ_INT32) l->bad_annotation = 1;
		break;
	case FR_PQ_CT_TIME_MICROS: case FR_PQ_CT_TIMESTAMP_MILLIS: case FR_PQ_CT_TIMESTAMP_MICROS:
		if (ty != FR_PQ_INT64) l->bad_annotation = 1;
		break;
	case FR_PQ_CT_UINT_8: case FR_PQ_CT_UINT_16: case FR_PQ_CT_UINT_32:
		l->is_unsigned = 1;
		if (ty != FR_PQ_INT32) l->bad_annotation = 1;
		break;
	case FR_PQ_CT_UINT_64:
		l->is_unsigned = 1;
		if (ty != FR_PQ_INT64) l->bad_annotation = 1;
		break;
	case FR_PQ_CT_INT_8: case FR_PQ_CT_INT_16: case FR_PQ_CT_INT_32:
		if (ty != FR_PQ_INT32) l->bad_annotation = 1;
		break;
	case FR_PQ_CT_INT_64:
		if (ty != FR_PQ_INT64) l->bad_annotation = 1;
		break;
	case FR_PQ_CT_INTERVAL:
		if (ty != FR_PQ_FIXED_LEN_BYTE_ARRAY || l->type_length != 12) l->bad_annotation = 1;
		break;
	default:
		break;
	}
}

typedef struct walk {
	dctx *d;
	selem *el;
	int n, pos;
	const char *path[MAX_SCHEMA_DEPTH];
	int nleaves;
	fr_pq_leaf *leaves;   /* NULL on the counting pass */
} walk;

/* Consumes one element (and its subtree) at w->pos, depth-first, from a cursor. */
static int walk_node(walk *w, int depth, int def, int rep, int nested)
{
	fr_tr *t = &w->d->t;
	if (depth >= MAX_SCHEMA_DEPTH)
		return fr_tr_fail(t, "schema nested too deeply");
	if (w->pos >= w->n)
		return fr_tr_fail(t, "schema has fewer elements than num_children declares");
	selem *e = &w->el[w->pos++];
	const char *nm = fr_arena_strndup(w->d->f->meta, (const char *)e->name, e->name_len);
	if (!nm)
		return fr_tr_fail(t, "out of memory");
	w->path[depth] = nm;
	if (e->has_rep) {
		if (e->rep < 0 || e->rep > 2)
			return fr_tr_fail(t, "invalid repetition type");
		if (e->rep == FR_PQ_REP_OPTIONAL) def++;
		if (e->rep == FR_PQ_REP_REPEATED) { def++; rep++; }
	}
	/* DuckDB writes num_children = 0 on leaves: a typed element with no children is a leaf. */
	if (e->has_children && !(e->has_type && e->num_children == 0)) {
		if (e->num_children < 0)
			return fr_tr_fail(t, "negative num_children");
		if (e->num_children > w->n - w->pos)
			return fr_tr_fail(t, "schema has fewer elements than num_children declares");
		for (int i = 0; i < e->num_children; i++)
			if (walk_node(w, depth + 1, def, rep, 1))
				return -1;
		return 0;
	}
	if (!e->has_type)
		return fr_tr_fail(t, "schema element is neither a group nor a leaf");
	if (e->type < 0 || e->type > FR_PQ_FIXED_LEN_BYTE_ARRAY)
		return fr_tr_fail(t, "invalid physical type in schema");
	if (w->leaves) {
		fr_pq_leaf *l = &w->leaves[w->nleaves];
		memset(l, 0, sizeof *l);
		l->name = join_path(w->d->f->meta, w->path + 1, depth);
		if (!l->name)
			return fr_tr_fail(t, "out of memory");
		l->type = e->type;
		l->type_length = e->type_length;
		l->repetition = e->has_rep ? e->rep : FR_PQ_REP_REQUIRED;
		l->max_def = def;
		l->max_rep = rep;
		l->nested = nested || rep > 0 || def > 1;
		if (e->type == FR_PQ_FIXED_LEN_BYTE_ARRAY && (e->type_length <= 0 || e->type_length > (1 << 20)))
			return fr_tr_fail(t, "FIXED_LEN_BYTE_ARRAY without a valid type_length");
		resolve_leaf(l, e);
	}
	w->nleaves++;
	return 0;
}

static int walk_schema(dctx *d, selem *el, int n)
{
	fr_tr *t = &d->t;
	if (n < 1)
		return fr_tr_fail(t, "empty schema");
	walk w = { .d = d, .el = el, .n = n, .pos = 1 };
	selem *root = &el[0];
	if (!root->has_children)
		return fr_tr_fail(t, "schema root is not a group");
	if (root->num_children < 0 || root->num_children > n - 1)
		return fr_tr_fail(t, "schema has fewer elements than num_children declares");
	for (int pass = 0; pass < 2; pass++) {
		w.pos = 1;
		w.nleaves = 0;
		w.path[0] = "";
		for (int i = 0; i < root->num_children; i++)
			if (walk_node(&w, 1, 0, 0, 0))
				return -1;
		if (w.pos != n)
			return fr_tr_fail(t, "schema has more elements than num_children declares");
		if (pass == 0) {
			d->f->nleaves = w.nleaves;
			w.leaves = fr_arena_calloc(d->f->meta, w.nleaves ? w.nleaves : 1, sizeof *w.leaves);
			if (!w.leaves)
				return fr_tr_fail(t, "out of memory");
		}
	}
	d->f->leaves = w.leaves;
	return 0;
}

/* "parquet-mr version 1.12.2 (build ...)": application and three numeric components. */
static void parse_created_by(fr_pq_file *f)
{
	const char *s = f->created_by;
	f->app = FR_PQ_APP_OTHER;
	f->ver[0] = f->ver[1] = f->ver[2] = 0;
	if (!s)
		return;
	if (!strncmp(s, "parquet-mr", 10))
		f->app = FR_PQ_APP_PARQUET_MR;
	else if (!strncmp(s, "parquet-cpp version", 19) || !strcmp(s, "parquet-cpp"))
		f->app = FR_PQ_APP_PARQUET_CPP;
	else if (!strncmp(s, "Parquet.Net", 11))
		f->app = FR_PQ_APP_PARQUET_NET;
	const char *v = strstr(s, "version ");
	if (!v)
		return;
	v += 8;
	if (*v == 'v')
		v++;
	for (int i = 0; i < 3 && isdigit((unsigned char)*v); i++) {
		long x = 0;
		while (isdigit((unsigned char)*v)) {
			if (x < 100000)
				x = x * 10 + (*v - '0');
			v++;
		}
		f->ver[i] = (int)x;
		if (*v != '.')
			break;
		v++;
	}
}

int fr_pq_version_lt(const fr_pq_file *f, int a, int b, int c)
{
	if (f->ver[0] != a) return f->ver[0] < a;
	if (f->ver[1] != b) return f->ver[1] < b;
	return f->ver[2] < c;
}

int fr_pq_decode_footer(fr_pq_file *f, fr_err *err)
{
	dctx d = { .f = f, .err = err };
	fr_tr *t = &d.t;
	fr_tr_init(t, f->footer, f->footer_len);
	int16_t last = 0, id;
	int ty;
	int got_schema = 0, got_rows = 0, got_rgs = 0, encrypted = 0;
	selem *el = NULL;
	int nel = 0;
	int32_t v;
	int norders = 0;
	int *orders = NULL;

	while (!fr_tr_field(t, &last, &ty, &id) && ty != FR_TT_STOP) {
		switch (id) {
		case 1:
			if (ty == FR_TT_I32 && !fr_tr_i32(t, &v)) f->version = v; else fr_tr_skip(t, ty);
			break;
		case 2: {
			int et;
			uint32_t n;
			if (ty != FR_TT_LIST) { fr_tr_skip(t, ty); break; }
			if (fr_tr_list(t, &et, &n))
				break;
			if (et != FR_TT_STRUCT) { fr_tr_fail(t, "schema is not a list of structs"); break; }
			if (got_schema) { fr_tr_fail(t, "schema listed twice"); break; }
			el = fr_arena_calloc(f->meta, n ? n : 1, sizeof *el);
			if (!el) { fr_tr_fail(t, "out of memory"); break; }
			for (uint32_t i = 0; i < n && !t->err; i++)
				dec_selem(t, &el[i]);
			nel = (int)n;
			got_schema = 1;
			/* Leaves must be known before row groups are decoded: schema comes first in
			 * every writer, but do not depend on it. */
			if (!t->err && walk_schema(&d, el, nel))
				break;
			break;
		}
		case 3:
			if (ty == FR_TT_I64 && !fr_tr_i64(t, &f->num_rows)) got_rows = 1; else if (ty != FR_TT_I64) fr_tr_skip(t, ty);
			break;
		case 4: {
			int et;
			uint32_t n;
			if (ty != FR_TT_LIST) { fr_tr_skip(t, ty); break; }
			if (!got_schema) { fr_tr_fail(t, "row groups before the schema"); break; }
			if (fr_tr_list(t, &et, &n))
				break;
			if (et != FR_TT_STRUCT) { fr_tr_fail(t, "row groups are not structs"); break; }
			if (got_rgs) { fr_tr_fail(t, "row groups listed twice"); break; }
			f->rgs = fr_arena_calloc(f->meta, n ? n : 1, sizeof *f->rgs);
			if (!f->rgs) { fr_tr_fail(t, "out of memory"); break; }
			for (uint32_t i = 0; i < n && !t->err; i++)
				dec_rowgroup(&d, &f->rgs[i], f->nleaves);
			f->nrg = (int)n;
			got_rgs = 1;
			break;
		}
		case 5: {
			int et;
			uint32_t n;
			if (ty != FR_TT_LIST) { fr_tr_skip(t, ty); break; }
			if (fr_tr_list(t, &et, &n))
				break;
			if (et != FR_TT_STRUCT) { for (uint32_t i = 0; i < n && !t->err; i++) fr_tr_skip(t, et); break; }
			f->kv = fr_arena_calloc(f->meta, n ? n : 1, sizeof *f->kv);
			if (!f->kv) { fr_tr_fail(t, "out of memory"); break; }
			f->nkv = 0;
			for (uint32_t i = 0; i < n && !t->err; i++) {
				int16_t l2 = 0, i2;
				int t2;
				const uint8_t *p;
				uint32_t len;
				fr_pq_kv *kv = &f->kv[f->nkv++];
				if (fr_tr_enter(t))
					break;
				while (!fr_tr_field(t, &l2, &t2, &i2) && t2 != FR_TT_STOP) {
					if ((i2 == 1 || i2 == 2) && t2 == FR_TT_BINARY && !fr_tr_bin(t, &p, &len)) {
						const char *s = fr_arena_strndup(f->meta, (const char *)p, len);
						if (i2 == 1) kv->key = s; else kv->value = s;
					} else if (!((i2 == 1 || i2 == 2) && t2 == FR_TT_BINARY)) {
						fr_tr_skip(t, t2);
					}
				}
				fr_tr_leave(t);
				if (!kv->key)
					kv->key = "";
			}
			break;
		}
		case 6:
			if (ty == FR_TT_BINARY) {
				const uint8_t *p;
				uint32_t len;
				if (!fr_tr_bin(t, &p, &len))
					f->created_by = fr_arena_strndup(f->meta, (const char *)p, len);
			} else {
				fr_tr_skip(t, ty);
			}
			break;
		case 7: {
			int et;
			uint32_t n;
			if (ty != FR_TT_LIST) { fr_tr_skip(t, ty); break; }
			if (fr_tr_list(t, &et, &n))
				break;
			orders = fr_arena_calloc(f->meta, n ? n : 1, sizeof *orders);
			if (!orders) { fr_tr_fail(t, "out of memory"); break; }
			for (uint32_t i = 0; i < n && !t->err; i++) {
				if (et != FR_TT_STRUCT) { fr_tr_skip(t, et); orders[i] = -1; continue; }
				int16_t l2 = 0, i2;
				int t2;
				orders[i] = -1;
				if (fr_tr_enter(t))
					break;
				while (!fr_tr_field(t, &l2, &t2, &i2) && t2 != FR_TT_STOP) {
					if (t2 == FR_TT_STRUCT && i2 >= 1 && i2 <= 3)
						orders[i] = i2;
					fr_tr_skip(t, t2);
				}
				fr_tr_leave(t);
			}
			norders = (int)n;
			f->has_column_orders = 1;
			break;
		}
		case 8:
		case 9:
			encrypted = 1;
			fr_tr_skip(t, ty);
			break;
		default:
			fr_tr_skip(t, ty);
		}
	}
	if (t->err) {
		if (!strcmp(t->err, "out of memory"))
			return fr_err_set(err, FR_ENOMEM, "%s: out of memory decoding the footer", f->name);
		return fr_err_set(err, FR_ECORRUPT, "%s: corrupt footer: %s (at byte %zu of %u)",
			f->name, t->err, t->err_off, f->footer_len);
	}
	if (encrypted)
		return fr_err_set(err, FR_EUNSUPPORTED, "%s: encrypted parquet files are not supported", f->name);
	if (!got_schema || !got_rows || !got_rgs)
		return fr_err_set(err, FR_ECORRUPT, "%s: corrupt footer: missing %s", f->name,
			!got_schema ? "schema" : !got_rows ? "num_rows" : "row_groups");
	f->schema_elements = nel;
	if (f->num_rows < 0)
		return fr_err_set(err, FR_ECORRUPT, "%s: corrupt footer: negative num_rows", f->name);
	int64_t sum = 0;
	for (int r = 0; r < f->nrg; r++) {
		sum += f->rgs[r].num_rows;
		if (sum < 0 || sum > f->num_rows)
			break;
	}
	if (sum != f->num_rows)
		return fr_err_set(err, FR_ECORRUPT,
			"%s: corrupt footer: num_rows %lld does not match the row groups' total",
			f->name, (long long)f->num_rows);
	for (int i = 0; i < f->nleaves; i++)
		f->leaves[i].order = (f->has_column_orders && i < norders) ? orders[i] :
			f->has_column_orders ? -1 : 0;
	parse_created_by(f);
	/* Chunk-level checks that do not need pages: encryption, external files, types. */
	uint64_t data_end = f->size - 8 - f->footer_len;
	for (int r = 0; r < f->nrg; r++) {
		for (int c = 0; c < f->nleaves; c++) {
			fr_pq_chunk *ch = &f->rgs[r].cols[c];
			if (ch->encrypted)
				return fr_err_set(err, FR_EUNSUPPORTED,
					"%s: encrypted parquet files are not supported (column %s)",
					f->name, f->leaves[c].name);
		}
	}
	(void)data_end;
	return 0;
}
