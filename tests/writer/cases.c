/* Writer round-trip cases: every supported type, null patterns (none, all, alternating,
 * runs, random), strings with quotes, unicode, empty and over-long values, NaN and +-0,
 * INT32 extremes, a high-cardinality string that overflows a small dictionary limit. */
#include "tests/writer/cases.h"
#include "parquet/format.h"
#include "core/buf.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const int64_t RG_ROWS[FR_WCASE_RGS] = { 3000, 1, 4097 };

static const int CODECS[] = { FR_PQ_CODEC_UNCOMPRESSED, FR_PQ_CODEC_SNAPPY, FR_PQ_CODEC_ZSTD,
	FR_PQ_CODEC_GZIP };
static const char *CODEC_NAMES[] = { "none", "snappy", "zstd", "gzip" };

int fr_wcase_count(void)
{
	return 4 * 2 * 2;
}

void fr_wcase_opts(int i, fr_pqw_opts *o, char *name, size_t n)
{
	fr_pqw_opts_default(o);
	int codec = i % 4, v2 = (i / 4) % 2, dict = (i / 8) % 2;
	o->codec = CODECS[codec];
	o->page_v2 = v2;
	o->dictionary = !dict;
	/* Small pages and dictionaries: many pages per chunk and a PLAIN fallback. */
	o->page_size = 2000;
	o->dict_limit = 8000;
	snprintf(name, n, "case-%s-%s-%s", CODEC_NAMES[codec], v2 ? "v2" : "v1",
		dict ? "plain" : "dict");
}

static uint64_t rng(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static const char *WORDS[] = { "view", "", "say \"hi\"", "back\\slash", "naïve café", "日本語",
	"tab\there", "o'neil", "Shoes", "shoes", "a|b|c", "zzz" };
#define NWORDS (sizeof WORDS / sizeof WORDS[0])

enum { C_ROWID, C_BOOL, C_I32, C_I64, C_I64LC, C_FLOAT, C_DOUBLE, C_SBIN, C_SDICT, C_SREQ,
	C_ALLNULL, C_ALT, C_RUNS, C_SUNIQ, C_DREQ, C_BREQ };

static const fr_pqw_col COLS[FR_WCASE_COLS] = {
	{ "rowid", FR_PQ_INT64, 0, 0, 0 },
	{ "b", FR_PQ_BOOLEAN, 1, 0, 0 },
	{ "i32", FR_PQ_INT32, 1, 0, 0 },
	{ "i64", FR_PQ_INT64, 0, 0, 0 },
	{ "i64_lowcard", FR_PQ_INT64, 1, 0, 0 },
	{ "f32", FR_PQ_FLOAT, 1, 0, 0 },
	{ "f64", FR_PQ_DOUBLE, 1, 0, 0 },
	{ "s_bin", FR_PQ_BYTE_ARRAY, 1, 1, 0 },
	{ "s_dict", FR_PQ_BYTE_ARRAY, 1, 1, 0 },
	{ "s_req", FR_PQ_BYTE_ARRAY, 0, 1, 0 },
	{ "all_null", FR_PQ_INT64, 1, 0, 0 },
	{ "alt_null", FR_PQ_DOUBLE, 1, 0, 0 },
	{ "runs_null", FR_PQ_INT32, 1, 0, 0 },
	{ "s_unique", FR_PQ_BYTE_ARRAY, 1, 1, 0 },
	{ "d_req", FR_PQ_DOUBLE, 0, 0, 0 },
	{ "b_req", FR_PQ_BOOLEAN, 0, 0, 0 },
};

/* A string table of n entries from a callback-free recipe: word k or a numbered string. */
static int make_strtab(fr_arena *a, fr_strtab *t, uint32_t n, const uint32_t *pick,
	int unique_base)
{
	fr_buf b = FR_BUF_INIT;
	int64_t *off = fr_arena_alloc(a, sizeof(int64_t) * (n + 1));
	if (!off)
		return FR_ENOMEM;
	off[0] = 0;
	for (uint32_t i = 0; i < n; i++) {
		int rc;
		if (unique_base >= 0)
			rc = fr_buf_printf(&b, "u%07d-%s", unique_base + (int)i, (i % 7) ? "x" : "yy");
		else if (pick[i] == NWORDS)   /* longer than the statistics limit */
			rc = fr_buf_printf(&b, "%01500d", (int)i);
		else
			rc = fr_buf_append(&b, WORDS[pick[i]], strlen(WORDS[pick[i]]));
		if (rc) {
			fr_buf_free(&b);
			return FR_ENOMEM;
		}
		off[i + 1] = (int64_t)b.len;
	}
	t->n = n;
	t->off = off;
	t->data = fr_arena_memdup(a, b.data ? (void *)b.data : (void *)"", b.len);
	fr_buf_free(&b);
	return t->data ? 0 : FR_ENOMEM;
}

int fr_wcase_build(fr_wcase_data *d, fr_err *err)
{
	memset(d, 0, sizeof *d);
	d->arena = fr_arena_new(0);
	if (!d->arena)
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	d->ncols = FR_WCASE_COLS;
	memcpy(d->cols, COLS, sizeof COLS);
	d->nrg = FR_WCASE_RGS;
	uint64_t seed = 42;
	int64_t base = 0;
	for (int g = 0; g < d->nrg; g++) {
		int64_t n = RG_ROWS[g];
		d->rg_rows[g] = n;
		fr_arena *a = d->arena;
		for (int c = 0; c < d->ncols; c++) {
			fr_vec *v = &d->vec[g][c];
			v->len = n;
			uint64_t *valid = fr_arena_calloc(a, FR_BITMAP_WORDS(n) + 1, 8);
			int has_null = 0;
			if (!valid)
				goto oom;
			for (int64_t r = 0; r < n; r++) {
				int64_t row = base + r;
				int isnull;
				switch (c) {
				case C_ALLNULL: isnull = 1; break;
				case C_ALT: isnull = row % 2; break;
				case C_RUNS: isnull = (row / 37) % 3 == 0; break;
				default:
					isnull = COLS[c].optional && rng(&seed) % 10 < 3;
				}
				if (!isnull)
					fr_bit_set(valid, r);
				else
					has_null = 1;
			}
			v->null_count = 0;
			for (int64_t r = 0; r < n; r++)
				v->null_count += !fr_bit_get(valid, r);
			v->valid = has_null ? valid : NULL;
			switch (COLS[c].type) {
			case FR_PQ_BOOLEAN:
				v->kind = FR_VEC_BOOL;
				if (!(v->v.b = fr_arena_calloc(a, (size_t)n, 1)))
					goto oom;
				for (int64_t r = 0; r < n; r++)
					if (fr_vec_valid(v, r))
						v->v.b[r] = rng(&seed) % 3 == 0;
				break;
			case FR_PQ_INT32:
			case FR_PQ_INT64:
				v->kind = FR_VEC_I64;
				if (!(v->v.i64 = fr_arena_calloc(a, (size_t)n, 8)))
					goto oom;
				for (int64_t r = 0; r < n; r++) {
					if (!fr_vec_valid(v, r))
						continue;
					int64_t row = base + r, x;
					uint64_t z = rng(&seed);
					if (c == C_ROWID)
						x = row;
					else if (c == C_I32)
						x = row % 100 == 0 ? INT32_MIN : row % 100 == 1 ? INT32_MAX
							: (int32_t)(uint32_t)z;
					else if (c == C_I64)
						x = row == 5 ? INT64_MIN : row == 6 ? INT64_MAX : (int64_t)z;
					else if (c == C_I64LC)
						x = (int64_t)(z % 5) - 2;
					else
						x = (int64_t)(z % 1000) - 500;
					v->v.i64[r] = x;
				}
				break;
			case FR_PQ_FLOAT:
			case FR_PQ_DOUBLE:
				v->kind = FR_VEC_F64;
				if (!(v->v.f64 = fr_arena_calloc(a, (size_t)n, 8)))
					goto oom;
				for (int64_t r = 0; r < n; r++) {
					if (!fr_vec_valid(v, r))
						continue;
					int64_t row = base + r;
					uint64_t z = rng(&seed);
					double x = ((double)(z >> 11) / 9007199254740992.0 - 0.5) * 1e6;
					if (c == C_FLOAT)
						x = (double)(float)x;
					if (c != C_DREQ) {
						if (row % 101 == 7)
							x = NAN;
						else if (row % 103 == 8)
							x = -0.0;
						else if (row % 107 == 9)
							x = c == C_FLOAT ? (double)INFINITY : -INFINITY;
					}
					v->v.f64[r] = x;
				}
				break;
			case FR_PQ_BYTE_ARRAY: {
				uint32_t *pick = fr_arena_alloc(a, sizeof(uint32_t) * (size_t)(n + 1));
				if (!pick)
					goto oom;
				if (c == C_SDICT) {
					/* Dictionary-coded input with unused entries: the writer renumbers. */
					uint32_t dn = NWORDS + 1;
					uint32_t *ident = fr_arena_alloc(a, sizeof(uint32_t) * dn);
					if (!ident)
						goto oom;
					for (uint32_t k = 0; k < dn; k++)
						ident[k] = k;
					if (make_strtab(a, &v->dict, dn, ident, -1))
						goto oom;
					v->kind = FR_VEC_DICT;
					if (!(v->v.codes = fr_arena_calloc(a, (size_t)n, 4)))
						goto oom;
					for (int64_t r = 0; r < n; r++)
						if (fr_vec_valid(v, r))
							v->v.codes[r] = (uint32_t)(rng(&seed) % (dn - 1)) +
								(r % 500 == 3);
					break;
				}
				v->kind = FR_VEC_BIN;
				for (int64_t r = 0; r < n; r++)
					pick[r] = fr_vec_valid(v, r) ? (uint32_t)(rng(&seed) % NWORDS) : 1;
				if (c == C_SBIN && n > 10 && fr_vec_valid(v, 10))
					pick[10] = NWORDS;
				if (make_strtab(a, &v->dict, (uint32_t)n, pick,
						c == C_SUNIQ ? (int)base : -1))
					goto oom;
				if (c == C_SUNIQ && v->valid) {
					/* Null rows of a BIN vector hold empty strings. */
					int64_t *off = (int64_t *)v->dict.off;
					uint8_t *data = (uint8_t *)v->dict.data;
					int64_t o = 0;
					for (int64_t r = 0; r < n; r++) {
						int64_t s = off[r], e = off[r + 1];
						off[r] = o;
						if (fr_vec_valid(v, r)) {
							memmove(data + o, data + s, (size_t)(e - s));
							o += e - s;
						}
					}
					off[n] = o;
				}
				break;
			}
			}
		}
		base += n;
	}
	return 0;
oom:
	fr_wcase_free(d);
	return fr_err_set(err, FR_ENOMEM, "out of memory building test data");
}

void fr_wcase_free(fr_wcase_data *d)
{
	fr_arena_free(d->arena);
	d->arena = NULL;
}

int fr_wcase_write(const char *dir, int i, const fr_wcase_data *d, char *path, size_t pathn,
	fr_err *err)
{
	fr_pqw_opts o;
	char name[64];
	fr_wcase_opts(i, &o, name, sizeof name);
	snprintf(path, pathn, "%s/%s.parquet", dir, name);
	fr_pqw *w;
	if (fr_pqw_open(path, d->cols, d->ncols, &o, &w, err))
		return err->code;
	for (int g = 0; g < d->nrg; g++)
		if (fr_pqw_write_row_group(w, d->rg_rows[g], d->vec[g], err)) {
			fr_pqw_abort(w);
			return err->code;
		}
	return fr_pqw_close(w, err);
}

static void json_str(FILE *f, const uint8_t *p, int64_t n)
{
	fputc('"', f);
	for (int64_t i = 0; i < n; i++) {
		unsigned ch = p[i];
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc((int)ch, f);
	}
	fputc('"', f);
}

static void json_double(FILE *f, double x, int is_float)
{
	if (isnan(x))
		fputs("\"NaN\"", f);
	else if (isinf(x))
		fputs(x > 0 ? "\"Infinity\"" : "\"-Infinity\"", f);
	else if (x == 0 && signbit(x))
		fputs("\"-0\"", f);
	else
		fprintf(f, is_float ? "%.9g" : "%.17g", x);
}

/* Expected values: {"columns": [...], "types": [...], "row_groups": [...], "rows": [[...]]};
 * INT64 as strings (JSON numbers lose precision past 2^53). */
static int write_json(const char *path, const fr_wcase_data *d, fr_err *err)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return fr_err_set(err, FR_EIO, "%s: cannot create", path);
	fputs("{\"columns\": [", f);
	for (int c = 0; c < d->ncols; c++)
		fprintf(f, "%s\"%s\"", c ? ", " : "", d->cols[c].name);
	fputs("],\n \"types\": [", f);
	for (int c = 0; c < d->ncols; c++)
		fprintf(f, "%s\"%s\"", c ? ", " : "", fr_pq_type_name(d->cols[c].type));
	fputs("],\n \"row_groups\": [", f);
	for (int g = 0; g < d->nrg; g++)
		fprintf(f, "%s%lld", g ? ", " : "", (long long)d->rg_rows[g]);
	fputs("],\n \"rows\": [\n", f);
	int first = 1;
	for (int g = 0; g < d->nrg; g++)
		for (int64_t r = 0; r < d->rg_rows[g]; r++) {
			fputs(first ? "[" : ",\n[", f);
			first = 0;
			for (int c = 0; c < d->ncols; c++) {
				const fr_vec *v = &d->vec[g][c];
				if (c)
					fputs(", ", f);
				if (!fr_vec_valid(v, r)) {
					fputs("null", f);
					continue;
				}
				switch (d->cols[c].type) {
				case FR_PQ_BOOLEAN: fputs(v->v.b[r] ? "true" : "false", f); break;
				case FR_PQ_INT32: fprintf(f, "%lld", (long long)v->v.i64[r]); break;
				case FR_PQ_INT64: fprintf(f, "\"%lld\"", (long long)v->v.i64[r]); break;
				case FR_PQ_FLOAT: json_double(f, v->v.f64[r], 1); break;
				case FR_PQ_DOUBLE: json_double(f, v->v.f64[r], 0); break;
				default: {
					int64_t k = v->kind == FR_VEC_DICT ? v->v.codes[r] : r;
					json_str(f, v->dict.data + v->dict.off[k],
						v->dict.off[k + 1] - v->dict.off[k]);
				}
				}
			}
			fputc(']', f);
		}
	fputs("\n]}\n", f);
	if (fclose(f))
		return fr_err_set(err, FR_EIO, "%s: write failed", path);
	return 0;
}

int fr_wcase_write_all(const char *dir, fr_err *err)
{
	fr_wcase_data d;
	if (fr_wcase_build(&d, err))
		return -1;
	char path[4096];
	int n = fr_wcase_count();
	for (int i = 0; i < n; i++) {
		if (fr_wcase_write(dir, i, &d, path, sizeof path, err))
			goto fail;
		size_t l = strlen(path);
		memcpy(path + l - 8, ".json", 6);
		if (write_json(path, &d, err))
			goto fail;
	}
	fr_wcase_free(&d);
	return n;
fail:
	fr_wcase_free(&d);
	return -1;
}
