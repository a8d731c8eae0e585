/* `frocket inspect`: schema, metadata and rows of a Parquet file, human-readable or JSON.
 * --rows prints physical values in the corpus "physical value" format (one JSON array/row). */
#include "cli/cli.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/error.h"
#include "parquet/parquet.h"
#include "parquet/format.h"
#include "tools/args.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>

static void usage(FILE *out)
{
	fprintf(out,
		"usage: frocket inspect [--schema | --meta | --rows [--columns a,b,...] [--limit N]]\n"
		"                       [--json] FILE\n"
		"  --schema   columns with physical type, annotations and dataset type (default)\n"
		"  --meta     file metadata: row groups, codecs, encodings, statistics, created_by\n"
		"  --rows     one JSON array per row, physical values (see README)\n"
		"  --columns  comma-separated column names for --rows (default: all flat columns)\n"
		"  --limit N  print at most N rows (k/M/G suffixes allowed)\n"
		"  --json     JSON output for --schema and --meta\n"
		"One mode at a time; --columns and --limit need --rows; --json is for --schema and --meta.\n");
}

/* ---- value rendering ---- */

static void put_double(fr_buf *b, double d)
{
	if (isnan(d)) { fr_buf_printf(b, "\"NaN\""); return; }
	if (isinf(d)) { fr_buf_printf(b, d > 0 ? "\"Infinity\"" : "\"-Infinity\""); return; }
	/* Integral values print as integers, as in the corpus's expected files (JavaScript
	 * number formatting); -0.0 keeps its sign. */
	if (d == 0 && signbit(d)) {
		fr_buf_printf(b, "-0.0");
		return;
	}
	if (d == floor(d) && fabs(d) < 1e21) {
		fr_buf_printf(b, "%.0f", d);
		return;
	}
	char s[40];
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(s, sizeof s, "%.*g", prec, d);
		if (strtod(s, NULL) == d)
			break;
	}
	fr_buf_printf(b, "%s", s);
	if (!strpbrk(s, ".eEn"))
		fr_buf_printf(b, ".0");
}

static void put_hex(fr_buf *b, const uint8_t *p, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	fr_buf_reserve(b, n * 2 + 2);
	fr_buf_putc(b, '"');
	for (size_t i = 0; i < n; i++) {
		fr_buf_putc(b, (uint8_t)hx[p[i] >> 4]);
		fr_buf_putc(b, (uint8_t)hx[p[i] & 15]);
	}
	fr_buf_putc(b, '"');
}

static int utf8_valid(const uint8_t *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t c = s[i];
		if (c < 0x80) { i++; continue; }
		int len;
		uint32_t cp;
		if (c >= 0xc2 && c <= 0xdf) { len = 2; cp = c & 0x1f; }
		else if (c >= 0xe0 && c <= 0xef) { len = 3; cp = c & 0x0f; }
		else if (c >= 0xf0 && c <= 0xf4) { len = 4; cp = c & 0x07; }
		else return 0;
		if (i + (size_t)len > n)
			return 0;
		for (int k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += (size_t)len;
	}
	return 1;
}

static void put_str(fr_buf *b, const uint8_t *s, size_t n)
{
	fr_buf_reserve(b, n + 2);
	fr_buf_putc(b, '"');
	for (size_t i = 0; i < n; i++) {
		uint8_t c = s[i];
		if (c == '"' || c == '\\') {
			fr_buf_putc(b, '\\');
			fr_buf_putc(b, c);
		} else if (c < 0x20 || c == 0x7f) {
			fr_buf_printf(b, "\\u%04x", c);
		} else {
			fr_buf_putc(b, c);
		}
	}
	fr_buf_putc(b, '"');
}

static void put_text(fr_buf *b, const char *s)
{
	if (!s) {
		fr_buf_printf(b, "null");
		return;
	}
	put_str(b, (const uint8_t *)s, strlen(s));
}

/* Big-endian two's complement of any length, as an exact decimal integer. */
static void put_bigint_be(fr_buf *b, const uint8_t *p, size_t n)
{
	if (n == 0) {
		fr_buf_printf(b, "0");
		return;
	}
	uint8_t *m = malloc(n);
	char *digits = malloc(n * 3 + 2);
	if (!m || !digits) {
		free(m);
		free(digits);
		fr_buf_printf(b, "null");
		return;
	}
	memcpy(m, p, n);
	int neg = m[0] & 0x80;
	if (neg) {
		for (size_t i = 0; i < n; i++)
			m[i] = (uint8_t)~m[i];
		for (size_t i = n; i-- > 0;)
			if (++m[i] != 0)
				break;
	}
	size_t nd = 0;
	for (;;) {
		int zero = 1;
		unsigned rem = 0;
		for (size_t i = 0; i < n; i++) {
			unsigned cur = rem << 8 | m[i];
			m[i] = (uint8_t)(cur / 10);
			rem = cur % 10;
			if (m[i])
				zero = 0;
		}
		digits[nd++] = (char)('0' + rem);
		if (zero)
			break;
	}
	if (neg)
		fr_buf_putc(b, '-');
	while (nd > 0)
		fr_buf_putc(b, (uint8_t)digits[--nd]);
	free(m);
	free(digits);
}

static void put_i128(fr_buf *b, __int128 v)
{
	char s[48];
	int n = 0, neg = v < 0;
	unsigned __int128 u = neg ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;
	do {
		s[n++] = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u);
	if (neg)
		fr_buf_putc(b, '-');
	while (n > 0)
		fr_buf_putc(b, (uint8_t)s[--n]);
}

static double half_to_double(uint16_t h)
{
	int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
	double v;
	if (e == 0) v = ldexp((double)m, -24);
	else if (e == 31) v = m ? NAN : INFINITY;
	else v = ldexp((double)(m | 1024), e - 25);
	return s ? -v : v;
}

static const char *render_name(const fr_pq_colinfo *ci)
{
	switch (ci->physical_type) {
	case FR_PQ_BOOLEAN: return "bool";
	case FR_PQ_INT32: case FR_PQ_INT64:
		return ci->is_decimal ? "decimal_unscaled" : ci->is_unsigned ? "uint" : "int";
	case FR_PQ_INT96: return "int96_ns";
	case FR_PQ_FLOAT: case FR_PQ_DOUBLE: return "float";
	case FR_PQ_BYTE_ARRAY:
		return ci->is_decimal ? "decimal_unscaled" : ci->is_string ? "utf8" : "hex";
	default:
		return ci->is_decimal ? "decimal_unscaled" : ci->is_float16 ? "float16" : "hex";
	}
}

/* One physical value: p points at the PLAIN bytes (fixed types) or the byte string. */
static void put_value(fr_buf *b, const fr_pq_colinfo *ci, const uint8_t *p, size_t n)
{
	switch (ci->physical_type) {
	case FR_PQ_BOOLEAN:
		fr_buf_printf(b, p[0] ? "true" : "false");
		return;
	case FR_PQ_INT32: {
		int32_t v;
		memcpy(&v, p, 4);
		if (ci->is_unsigned && !ci->is_decimal)
			fr_buf_printf(b, "%u", (uint32_t)v);
		else
			fr_buf_printf(b, "%d", v);
		return;
	}
	case FR_PQ_INT64: {
		int64_t v;
		memcpy(&v, p, 8);
		if (ci->is_unsigned && !ci->is_decimal)
			fr_buf_printf(b, "%llu", (unsigned long long)(uint64_t)v);
		else
			fr_buf_printf(b, "%lld", (long long)v);
		return;
	}
	case FR_PQ_INT96: {
		int64_t ns;
		int32_t jd;
		memcpy(&ns, p, 8);
		memcpy(&jd, p + 8, 4);
		put_i128(b, ((__int128)jd - 2440588) * 86400 * (__int128)1000000000 + ns);
		return;
	}
	case FR_PQ_FLOAT: {
		float v;
		memcpy(&v, p, 4);
		put_double(b, (double)v);
		return;
	}
	case FR_PQ_DOUBLE: {
		double v;
		memcpy(&v, p, 8);
		put_double(b, v);
		return;
	}
	default:
		if (ci->is_decimal) {
			put_bigint_be(b, p, n);
		} else if (ci->physical_type == FR_PQ_FIXED_LEN_BYTE_ARRAY && ci->is_float16 && n == 2) {
			put_double(b, half_to_double((uint16_t)(p[0] | p[1] << 8)));
		} else if (ci->physical_type == FR_PQ_BYTE_ARRAY && ci->is_string) {
			if (utf8_valid(p, n)) {
				put_str(b, p, n);
			} else {
				fr_buf_printf(b, "{\"hex\":");
				put_hex(b, p, n);
				fr_buf_putc(b, '}');
			}
		} else {
			put_hex(b, p, n);
		}
	}
}

/* ---- --rows ---- */

static int split_columns(fr_pq_file *f, const char *list, int **cols, int *ncols, fr_err *err)
{
	int n = fr_pq_num_columns(f);
	*cols = calloc((size_t)(n ? n : 1) + 1, sizeof **cols);
	*ncols = 0;
	if (!*cols)
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	if (!list) {
		int nested = 0;
		for (int c = 0; c < n; c++) {
			fr_pq_colinfo ci;
			fr_pq_column_info(f, c, &ci);
			if (ci.nested)
				nested++;
			else
				(*cols)[(*ncols)++] = c;
		}
		if (*ncols == 0 && nested) {
			fr_pq_colinfo ci;
			for (int c = 0; c < n; c++) {
				fr_pq_column_info(f, c, &ci);
				if (ci.nested)
					break;
			}
			return fr_err_set(err, FR_EUNSUPPORTED, "%s: nested columns are not supported: %s",
				fr_pq_name(f), ci.name);
		}
		return 0;
	}
	char *dup = strdup(list), *save = NULL;
	if (!dup)
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	for (char *tok = strtok_r(dup, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int c = fr_pq_column_index(f, tok);
		if (c < 0) {
			fr_err_set(err, FR_ENOTFOUND, "%s: no column named '%s'", fr_pq_name(f), tok);
			free(dup);
			return err->code;
		}
		if (*ncols >= n) {
			fr_err_set(err, FR_EINVAL, "too many columns in --columns");
			free(dup);
			return err->code;
		}
		(*cols)[(*ncols)++] = c;
	}
	free(dup);
	return 0;
}

static int print_rows(fr_pq_file *f, const char *collist, int64_t limit, fr_err *err)
{
	int *cols = NULL, ncols = 0;
	int rc = split_columns(f, collist, &cols, &ncols, err);
	if (rc) {
		free(cols);
		return rc;
	}
	fr_pq_colinfo *ci = calloc((size_t)ncols + 1, sizeof *ci);
	fr_pq_phys *ph = calloc((size_t)ncols + 1, sizeof *ph);
	fr_buf b = FR_BUF_INIT;
	if (!ci || !ph) {
		rc = fr_err_set(err, FR_ENOMEM, "out of memory");
		goto out;
	}
	for (int i = 0; i < ncols; i++)
		fr_pq_column_info(f, cols[i], &ci[i]);
	/* Nested columns are not printed, but a corrupt one still makes the file corrupt. */
	int nested = 0;
	if (!collist) {
		for (int c = 0; c < fr_pq_num_columns(f); c++) {
			fr_pq_colinfo nc;
			fr_pq_column_info(f, c, &nc);
			if (nc.nested) {
				nested++;
				if ((rc = fr_pq_check_column(f, c, err)))
					goto out;
			}
		}
	}
	int64_t printed = 0;
	for (int rg = 0; rg < fr_pq_num_row_groups(f) && (limit < 0 || printed < limit); rg++) {
		fr_arena *a = fr_arena_new(0);
		if (!a) {
			rc = fr_err_set(err, FR_ENOMEM, "out of memory");
			goto out;
		}
		for (int i = 0; i < ncols; i++) {
			rc = fr_pq_load_physical(f, cols[i], rg, a, &ph[i], err);
			if (rc) {
				fr_arena_free(a);
				goto out;
			}
		}
		int64_t rows = fr_pq_row_group_rows(f, rg);
		for (int64_t r = 0; r < rows && (limit < 0 || printed < limit); r++, printed++) {
			fr_buf_reset(&b);
			fr_buf_putc(&b, '[');
			for (int i = 0; i < ncols; i++) {
				const fr_pq_phys *p = &ph[i];
				if (i)
					fr_buf_putc(&b, ',');
				if (p->valid && !fr_bit_get(p->valid, r)) {
					fr_buf_printf(&b, "null");
				} else if (p->width) {
					put_value(&b, &ci[i], p->data + r * p->width, (size_t)p->width);
				} else {
					put_value(&b, &ci[i], p->bin.data + p->bin.off[r],
						(size_t)(p->bin.off[r + 1] - p->bin.off[r]));
				}
			}
			fr_buf_printf(&b, "]\n");
			if (fwrite(b.data, 1, b.len, stdout) != b.len) {
				fr_arena_free(a);
				rc = fr_err_set(err, FR_EIO, "writing output: %s", strerror(errno));
				goto out;
			}
		}
		fr_arena_free(a);
	}
	if (nested)
		fprintf(stderr, "frocket inspect: %d nested column%s not shown (nested columns are not "
			"supported)\n", nested, nested > 1 ? "s" : "");
out:
	fr_buf_free(&b);
	free(ci);
	free(ph);
	free(cols);
	return rc;
}

/* ---- --schema / --meta ---- */

static const char *unit_name(int u)
{
	return u == 1 ? "MILLIS" : u == 2 ? "MICROS" : u == 3 ? "NANOS" : "UNKNOWN";
}

static const char *logical_name(int lt)
{
	switch (lt) {
#define X(n, v) case v: return #n;
	FR_PQ_LOGICAL_TYPES(X)
#undef X
	default: return NULL;
	}
}

static void put_logical(fr_buf *b, const fr_pq_colinfo *ci)
{
	if (ci->logical == 0) {
		fr_buf_printf(b, "null");
		return;
	}
	if (ci->logical < 0) {
		fr_buf_printf(b, "\"UNKNOWN_TO_READER\"");
		return;
	}
	const char *n = logical_name(ci->logical);
	if (ci->logical == FR_PQ_LT_TIMESTAMP || ci->logical == FR_PQ_LT_TIME)
		fr_buf_printf(b, "\"%s(%s,utc=%s)\"", n, unit_name(ci->time_unit), ci->utc ? "true" : "false");
	else if (ci->logical == FR_PQ_LT_DECIMAL)
		fr_buf_printf(b, "\"DECIMAL(%d,%d)\"", ci->precision, ci->scale);
	else
		fr_buf_printf(b, "\"%s\"", n ? n : "?");
}

static const char *rep_name(int r)
{
	return r == 0 ? "REQUIRED" : r == 1 ? "OPTIONAL" : "REPEATED";
}

static void schema_json(fr_pq_file *f, fr_buf *b)
{
	fr_buf_printf(b, "[");
	for (int c = 0; c < fr_pq_num_columns(f); c++) {
		fr_pq_colinfo ci;
		fr_pq_column_info(f, c, &ci);
		const char *cv = ci.converted >= 0 ? fr_pq_converted_name(ci.converted) : NULL;
		fr_buf_printf(b, "%s{\"name\":", c ? "," : "");
		put_text(b, ci.name);
		fr_buf_printf(b, ",\"physical\":\"%s\"", fr_pq_type_name(ci.physical_type));
		if (ci.type_length)
			fr_buf_printf(b, ",\"type_length\":%d", ci.type_length);
		fr_buf_printf(b, ",\"repetition\":\"%s\",\"converted\":", rep_name(ci.repetition));
		put_text(b, cv);
		fr_buf_printf(b, ",\"logical\":");
		put_logical(b, &ci);
		if (ci.is_decimal)
			fr_buf_printf(b, ",\"precision\":%d,\"scale\":%d", ci.precision, ci.scale);
		fr_buf_printf(b, ",\"nested\":%s,\"render\":\"%s\",\"dataset_type\":\"%s\"}",
			ci.nested ? "true" : "false", render_name(&ci),
			ci.nested ? "UNSUPPORTED" : fr_coltype_name(ci.type));
	}
	fr_buf_printf(b, "]");
}

static void print_schema(fr_pq_file *f, int json)
{
	fr_buf b = FR_BUF_INIT;
	if (json) {
		fr_buf_printf(&b, "{\"file\":");
		put_text(&b, fr_pq_name(f));
		fr_buf_printf(&b, ",\"num_rows\":%lld,\"columns\":", (long long)fr_pq_num_rows(f));
		schema_json(f, &b);
		fr_buf_printf(&b, "}\n");
	} else {
		fr_buf_printf(&b, "%s: %lld rows, %d row groups, %d columns\n", fr_pq_name(f),
			(long long)fr_pq_num_rows(f), fr_pq_num_row_groups(f), fr_pq_num_columns(f));
		for (int c = 0; c < fr_pq_num_columns(f); c++) {
			fr_pq_colinfo ci;
			fr_pq_column_info(f, c, &ci);
			fr_buf_printf(&b, "  %-24s %s", ci.name, fr_pq_type_name(ci.physical_type));
			if (ci.type_length)
				fr_buf_printf(&b, "(%d)", ci.type_length);
			fr_buf_printf(&b, " %s", rep_name(ci.repetition));
			if (ci.converted >= 0)
				fr_buf_printf(&b, " converted=%s", fr_pq_converted_name(ci.converted));
			if (ci.logical) {
				fr_buf_printf(&b, " logical=");
				put_logical(&b, &ci);
			}
			fr_buf_printf(&b, " -> %s%s\n", ci.nested ? "UNSUPPORTED" : fr_coltype_name(ci.type),
				ci.nested ? " (nested)" : "");
		}
	}
	fwrite(b.data, 1, b.len, stdout);
	fr_buf_free(&b);
}

static void put_encodings(fr_buf *b, uint32_t enc, int json)
{
	int first = 1;
	if (json)
		fr_buf_putc(b, '[');
	for (int e = 0; e < 32; e++) {
		if (!(enc >> e & 1))
			continue;
		const char *n = fr_pq_encoding_name(e);
		if (json)
			fr_buf_printf(b, "%s\"%s\"", first ? "" : ",", n ? n : "?");
		else
			fr_buf_printf(b, "%s%s", first ? "" : ",", n ? n : "?");
		first = 0;
	}
	if (json)
		fr_buf_putc(b, ']');
}

static void put_stat(fr_buf *b, const fr_pq_colinfo *ci, const uint8_t *p, uint32_t n)
{
	static const int width[] = { 1, 4, 8, 12, 4, 8, 0, 0 };
	int t = ci->physical_type;
	int w = t == FR_PQ_FIXED_LEN_BYTE_ARRAY ? ci->type_length : width[t];
	if (w && (int)n != w) {
		put_hex(b, p, n);   /* truncated or malformed: show the raw bytes */
		return;
	}
	put_value(b, ci, p, n);
}

static void print_meta(fr_pq_file *f, int json)
{
	fr_buf b = FR_BUF_INIT;
	int nc = fr_pq_num_columns(f), nrg = fr_pq_num_row_groups(f);
	if (json) {
		fr_buf_printf(&b, "{\"file\":");
		put_text(&b, fr_pq_name(f));
		fr_buf_printf(&b, ",\"version\":%d,\"created_by\":", fr_pq_version(f));
		put_text(&b, fr_pq_created_by(f));
		fr_buf_printf(&b, ",\"num_rows\":%lld,\"key_value_metadata\":{", (long long)fr_pq_num_rows(f));
		for (int i = 0; i < fr_pq_num_kv(f); i++) {
			const char *k, *v;
			fr_pq_kv_get(f, i, &k, &v);
			fr_buf_printf(&b, "%s", i ? "," : "");
			put_text(&b, k);
			fr_buf_putc(&b, ':');
			put_text(&b, v);
		}
		fr_buf_printf(&b, "},\"columns\":");
		schema_json(f, &b);
		fr_buf_printf(&b, ",\"row_groups\":[");
	} else {
		fr_buf_printf(&b, "file:        %s\ncreated_by:  %s\nversion:     %d\nnum_rows:    %lld\n"
			"row_groups:  %d\ncolumns:     %d\n", fr_pq_name(f),
			fr_pq_created_by(f) ? fr_pq_created_by(f) : "(none)", fr_pq_version(f),
			(long long)fr_pq_num_rows(f), nrg, nc);
		for (int i = 0; i < fr_pq_num_kv(f); i++) {
			const char *k, *v;
			fr_pq_kv_get(f, i, &k, &v);
			int vl = v ? (int)strlen(v) : 0;
			fr_buf_printf(&b, "kv:          %s = %.*s%s\n", k, vl > 60 ? 60 : vl, v ? v : "",
				vl > 60 ? "..." : "");
		}
	}
	for (int rg = 0; rg < nrg; rg++) {
		if (json)
			fr_buf_printf(&b, "%s{\"num_rows\":%lld,\"columns\":[", rg ? "," : "",
				(long long)fr_pq_row_group_rows(f, rg));
		else
			fr_buf_printf(&b, "row group %d: %lld rows\n", rg, (long long)fr_pq_row_group_rows(f, rg));
		for (int c = 0; c < nc; c++) {
			fr_pq_colinfo ci;
			fr_pq_chunkinfo k;
			fr_pq_column_info(f, c, &ci);
			fr_pq_chunk_info(f, rg, c, &k);
			const char *codec = fr_pq_codec_name(k.codec);
			if (json) {
				fr_buf_printf(&b, "%s{\"name\":", c ? "," : "");
				put_text(&b, ci.name);
				fr_buf_printf(&b, ",\"codec\":\"%s\",\"encodings\":", codec ? codec : "?");
				put_encodings(&b, k.encodings, 1);
				fr_buf_printf(&b, ",\"num_values\":%lld,\"compressed_size\":%lld,"
					"\"uncompressed_size\":%lld,\"data_page_offset\":%lld",
					(long long)k.num_values, (long long)k.compressed_size,
					(long long)k.uncompressed_size, (long long)k.data_page_offset);
				if (k.dictionary_page_offset >= 0)
					fr_buf_printf(&b, ",\"dictionary_page_offset\":%lld",
						(long long)k.dictionary_page_offset);
				fr_buf_printf(&b, ",\"statistics\":");
				if (!k.has_stats) {
					fr_buf_printf(&b, "null");
				} else {
					fr_buf_printf(&b, "{");
					int first = 1;
					if (k.has_min) {
						fr_buf_printf(&b, "\"min\":");
						put_stat(&b, &ci, k.min, k.min_len);
						fr_buf_printf(&b, ",\"max\":");
						put_stat(&b, &ci, k.max, k.max_len);
						first = 0;
					}
					if (k.has_null_count)
						fr_buf_printf(&b, "%s\"null_count\":%lld", first ? "" : ",",
							(long long)k.null_count);
					fr_buf_printf(&b, "}");
				}
				fr_buf_printf(&b, "}");
			} else {
				fr_buf_printf(&b, "  %-24s %s ", ci.name, codec ? codec : "?");
				put_encodings(&b, k.encodings, 0);
				fr_buf_printf(&b, " values=%lld size=%lld/%lld", (long long)k.num_values,
					(long long)k.compressed_size, (long long)k.uncompressed_size);
				if (k.has_min) {
					fr_buf_printf(&b, " min=");
					put_stat(&b, &ci, k.min, k.min_len);
					fr_buf_printf(&b, " max=");
					put_stat(&b, &ci, k.max, k.max_len);
				}
				if (k.has_null_count)
					fr_buf_printf(&b, " nulls=%lld", (long long)k.null_count);
				fr_buf_printf(&b, "\n");
			}
		}
		if (json)
			fr_buf_printf(&b, "]}");
	}
	if (json)
		fr_buf_printf(&b, "]}\n");
	fwrite(b.data, 1, b.len, stdout);
	fr_buf_free(&b);
}

int fr_cmd_inspect(int argc, char **argv)
{
	static const char *const MODES[] = { "--schema", "--meta", "--rows" };
	int mode = -1, json = 0;   /* 0 schema (the default), 1 meta, 2 rows */
	const char *cols = NULL, *path = NULL, *limit_arg = NULL;
	int64_t limit = -1;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int m = -1;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "--schema")) {
			m = 0;
		} else if (!strcmp(a, "--meta")) {
			m = 1;
		} else if (!strcmp(a, "--rows")) {
			m = 2;
		} else if (!strcmp(a, "--json")) {
			json = 1;
		} else if (!strcmp(a, "--columns") || !strcmp(a, "--limit")) {
			if (i + 1 >= argc) {
				fprintf(stderr, "frocket inspect: %s needs a value\n", a);
				usage(stderr);
				return 2;
			}
			if (a[2] == 'c') {
				cols = argv[++i];
			} else {
				fr_err e = { 0 };
				limit_arg = argv[++i];
				if (fr_args_count("--limit", limit_arg, &limit, &e)) {
					fprintf(stderr, "frocket inspect: %s\n", e.msg);
					return 2;
				}
			}
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "frocket inspect: unknown option '%s'\n", a);
			usage(stderr);
			return 2;
		} else if (path) {
			fprintf(stderr, "frocket inspect: only one FILE is accepted\n");
			return 2;
		} else {
			path = a;
		}
		/* One mode per run: a second one is refused rather than silently winning. */
		if (m >= 0 && mode >= 0 && m != mode) {
			fprintf(stderr, "frocket inspect: %s and %s cannot be combined: choose one\n",
				MODES[mode], MODES[m]);
			return 2;
		}
		if (m >= 0)
			mode = m;
	}
	if (mode < 0)
		mode = 0;
	/* Options that would do nothing in the chosen mode are refused, not ignored. */
	if (mode != 2 && (cols || limit_arg)) {
		fprintf(stderr, "frocket inspect: %s applies to --rows only\n",
			cols ? "--columns" : "--limit");
		return 2;
	}
	if (mode == 2 && json) {
		fprintf(stderr, "frocket inspect: --json applies to --schema and --meta; --rows always "
			"prints JSON\n");
		return 2;
	}
	if (!path) {
		usage(stderr);
		return 2;
	}
	fr_err err = { 0 };
	fr_pq_file *f;
	if (fr_pq_open_path(path, &f, &err)) {
		fprintf(stderr, "frocket inspect: %s\n", err.msg);
		return 1;
	}
	int rc = 0;
	if (mode == 0)
		print_schema(f, json);
	else if (mode == 1)
		print_meta(f, json);
	else
		rc = print_rows(f, cols, limit, &err);
	fr_pq_close(f);
	if (fflush(stdout) && !rc)
		rc = fr_err_set(&err, FR_EIO, "writing output: %s", strerror(errno));
	if (rc) {
		fprintf(stderr, "frocket inspect: %s\n", err.msg);
		return 1;
	}
	return 0;
}
