/* Opening Parquet files (mmap or byte-range callback), schema accessors, statistics and
 * row-group pruning (parquet.md §1, §10). */
#include "parquet/internal.h"
#include "parquet/format.h"
#include "core/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static fr_pq_file *file_new(const char *name, fr_err *err)
{
	fr_pq_file *f = calloc(1, sizeof *f);
	if (!f) {
		fr_err_set(err, FR_ENOMEM, "%s: out of memory", name);
		return NULL;
	}
	f->fd = -1;
	f->meta = fr_arena_new(0);
	f->name = strdup(name);
	if (!f->meta || !f->name) {
		fr_arena_free(f->meta);
		free(f->name);
		free(f);
		fr_err_set(err, FR_ENOMEM, "%s: out of memory", name);
		return NULL;
	}
	return f;
}

static int map_read(void *ctx, uint64_t off, uint64_t len, void *dst, fr_err *err)
{
	fr_pq_file *f = ctx;
	if (off > f->size || len > f->size - off)
		return fr_err_set(err, FR_EIO, "read past the end of the file");
	memcpy(dst, f->map + off, len);
	return 0;
}

/* One read of this many bytes at the end of the file usually gets the whole footer. */
#define TAIL_READ ((uint64_t)64 << 10)

static int fetch(fr_pq_file *f, uint64_t off, uint64_t len, void *dst, fr_err *err)
{
	if (f->read(f->ctx, off, len, dst, err))
		return fr_err_prefix(err, "%s", f->name);
	if (!f->map)
		f->bytes_read += len;
	return 0;
}

/* Reads the tail, checks the magic numbers and decodes the footer: one read for a file
 * whose footer fits in 64 KiB, plus 4 bytes for the leading magic of larger files. */
static int open_common(fr_pq_file *f, fr_err *err)
{
	uint8_t head[4];
	const uint8_t *tail;
	uint64_t tlen;
	if (f->size < 12)
		return fr_err_set(err, FR_ECORRUPT, "%s: not a parquet file (only %llu bytes)", f->name,
			(unsigned long long)f->size);
	if (f->map) {
		tail = f->map;
		tlen = f->size;
	} else {
		tlen = f->size < TAIL_READ ? f->size : TAIL_READ;
		uint8_t *buf = fr_arena_alloc(f->meta, (size_t)tlen);
		if (!buf)
			return fr_err_set(err, FR_ENOMEM, "%s: out of memory", f->name);
		if (fetch(f, f->size - tlen, tlen, buf, err))
			return err->code;
		tail = buf;
		f->tail = buf;
		f->tail_len = tlen;
	}
	const uint8_t *end = tail + tlen - 8;
	if (tlen == f->size)
		memcpy(head, tail, 4);
	else if (fetch(f, 0, 4, head, err))
		return err->code;
	if (!memcmp(end + 4, "PARE", 4) || !memcmp(head, "PARE", 4))
		return fr_err_set(err, FR_EUNSUPPORTED, "%s: encrypted parquet files are not supported",
			f->name);
	if (memcmp(end + 4, "PAR1", 4) || memcmp(head, "PAR1", 4))
		return fr_err_set(err, FR_ECORRUPT, "%s: not a parquet file (no PAR1 magic %s)",
			f->name, memcmp(head, "PAR1", 4) ? "at the start" : "at the end");
	uint32_t L = (uint32_t)end[0] | (uint32_t)end[1] << 8 | (uint32_t)end[2] << 16 |
		(uint32_t)end[3] << 24;
	if (L == 0 || L > f->size - 12)
		return fr_err_set(err, FR_ECORRUPT, "%s: corrupt footer: length %u does not fit the file",
			f->name, L);
	f->footer_len = L;
	if ((uint64_t)L + 8 <= tlen) {
		f->footer = end - L;
	} else {
		uint8_t *buf = fr_arena_alloc(f->meta, L);
		if (!buf)
			return fr_err_set(err, FR_ENOMEM, "%s: out of memory", f->name);
		if (fetch(f, f->size - 8 - L, L, buf, err))
			return err->code;
		f->footer = buf;
	}
	return fr_pq_decode_footer(f, err);
}

int fr_pq_open_path(const char *path, fr_pq_file **out, fr_err *err)
{
	*out = NULL;
	/* Refuses FIFOs, directories and devices by name without blocking in open(). */
	int fd;
	struct stat st;
	if (fr_file_open_regular(path, &fd, &st, err))
		return err->code;
	return fr_pq_open_fd(path, fd, out, err);
}

int fr_pq_open_reader(const char *name, uint64_t size, fr_pq_read_fn read, void *ctx,
	fr_pq_file **out, fr_err *err)
{
	*out = NULL;
	fr_pq_file *f = file_new(name, err);
	if (!f)
		return err->code;
	f->size = size;
	f->read = read;
	f->ctx = ctx;
	if (open_common(f, err)) {
		fr_pq_close(f);
		return err->code;
	}
	*out = f;
	return 0;
}

void fr_pq_close(fr_pq_file *f)
{
	if (!f)
		return;
	if (f->map)
		munmap((void *)(uintptr_t)f->map, f->size);
	if (f->fd >= 0)
		close(f->fd);
	fr_arena_free(f->meta);
	fr_pq_dctx_free(&f->dctx);
	free(f->chunkbuf);
	free(f->pagebuf);
	free(f->aheadbuf);
	free(f->name);
	if (f->release)
		f->release(f->ctx);
	free(f);
}

const char *fr_pq_name(const fr_pq_file *f) { return f->name; }
int64_t fr_pq_num_rows(const fr_pq_file *f) { return f->num_rows; }
int fr_pq_num_row_groups(const fr_pq_file *f) { return f->nrg; }
int fr_pq_num_columns(const fr_pq_file *f) { return f->nleaves; }
const char *fr_pq_created_by(const fr_pq_file *f) { return f->created_by; }
int fr_pq_version(const fr_pq_file *f) { return f->version; }
int fr_pq_num_kv(const fr_pq_file *f) { return f->nkv; }
uint64_t fr_pq_bytes_read(const fr_pq_file *f) { return f->bytes_read; }

void fr_pq_kv_get(const fr_pq_file *f, int i, const char **key, const char **value)
{
	*key = f->kv[i].key;
	*value = f->kv[i].value;
}

int64_t fr_pq_row_group_rows(const fr_pq_file *f, int rg)
{
	if (rg < 0 || rg >= f->nrg)
		return -1;
	return f->rgs[rg].num_rows;
}

int fr_pq_column_index(const fr_pq_file *f, const char *name)
{
	for (int i = 0; i < f->nleaves; i++)
		if (!strcmp(f->leaves[i].name, name))
			return i;
	return -1;
}

int fr_pq_column_info(const fr_pq_file *f, int col, fr_pq_colinfo *out)
{
	memset(out, 0, sizeof *out);
	if (col < 0 || col >= f->nleaves)
		return FR_EINVAL;
	const fr_pq_leaf *l = &f->leaves[col];
	out->name = l->name;
	out->physical_type = l->type;
	out->nested = l->nested;
	out->optional = l->max_def > 0;
	out->type_length = l->type == FR_PQ_FIXED_LEN_BYTE_ARRAY ? l->type_length : 0;
	out->converted = l->converted;
	out->logical = l->logical;
	out->time_unit = l->time_unit;
	out->utc = l->utc;
	out->scale = l->scale;
	out->precision = l->precision;
	out->is_unsigned = l->is_unsigned;
	out->is_decimal = l->is_decimal;
	out->is_float16 = l->is_float16;
	out->is_string = l->is_string;
	out->repetition = l->repetition;
	fr_coltype t = FR_TYPE_NONE;
	fr_vec_kind k = FR_VEC_BIN;
	if (l->nested || l->bad_annotation || l->logical == -1 || l->is_decimal) {
		t = FR_TYPE_NONE;
		k = FR_VEC_BIN;
	} else {
		switch (l->type) {
		case FR_PQ_BOOLEAN: t = FR_TYPE_BOOL; k = FR_VEC_BOOL; break;
		case FR_PQ_INT32: case FR_PQ_INT64: case FR_PQ_INT96:
			if (l->converted == FR_PQ_CT_INTERVAL)
				break;
			t = FR_TYPE_INT; k = FR_VEC_I64; break;
		case FR_PQ_FLOAT: case FR_PQ_DOUBLE: t = FR_TYPE_FLOAT; k = FR_VEC_F64; break;
		case FR_PQ_BYTE_ARRAY:
			if (l->is_string || (l->logical == 0 && l->converted < 0)) {
				t = FR_TYPE_STRING;
				k = FR_VEC_DICT;
			}
			break;
		case FR_PQ_FIXED_LEN_BYTE_ARRAY:
			if (l->is_float16) {
				t = FR_TYPE_FLOAT;
				k = FR_VEC_F64;
			}
			break;
		}
	}
	out->type = t;
	out->vec_kind = k;
	return 0;
}

int fr_pq_chunk_info(const fr_pq_file *f, int rg, int col, fr_pq_chunkinfo *out)
{
	memset(out, 0, sizeof *out);
	if (rg < 0 || rg >= f->nrg || col < 0 || col >= f->nleaves)
		return FR_EINVAL;
	const fr_pq_chunk *c = &f->rgs[rg].cols[col];
	out->codec = c->codec;
	out->encodings = c->encodings;
	out->num_values = c->num_values;
	out->compressed_size = c->total_compressed;
	out->uncompressed_size = c->total_uncompressed;
	out->data_page_offset = c->data_page_offset;
	out->dictionary_page_offset = c->dict_page_offset > 0 ? c->dict_page_offset : -1;
	out->has_stats = c->has_stats;
	out->min_exact = c->stats.min_exact;
	out->max_exact = c->stats.max_exact;
	if (c->has_stats) {
		const fr_pq_stats *s = &c->stats;
		out->has_null_count = s->has_null_count;
		out->null_count = s->null_count;
		if (s->has_min && s->has_max) {
			out->has_min = out->has_max = 1;
			out->min = s->min; out->min_len = s->min_len;
			out->max = s->max; out->max_len = s->max_len;
		} else if (s->has_min_old && s->has_max_old) {
			out->has_min = out->has_max = 1;
			out->min = s->min_old; out->min_len = s->min_old_len;
			out->max = s->max_old; out->max_len = s->max_old_len;
		}
	}
	return 0;
}

static int64_t le_int(const uint8_t *p, uint32_t n)
{
	if (n == 4) {
		int32_t v;
		memcpy(&v, p, 4);
		return v;
	}
	int64_t v;
	memcpy(&v, p, 8);
	return v;
}

static int use_stats = 1;

void fr_pq_set_use_stats(int on)
{
	__atomic_store_n(&use_stats, on != 0, __ATOMIC_RELAXED);
}

/* Statistics are used only where they are known to be trustworthy (parquet.md §10). */
static int stats_trusted(const fr_pq_file *f, const fr_pq_leaf *l)
{
	if (!__atomic_load_n(&use_stats, __ATOMIC_RELAXED))
		return 0;
	if (l->type != FR_PQ_INT32 && l->type != FR_PQ_INT64)
		return 0;   /* INT96 stats are meaningless; others are not timestamps */
	if (l->is_unsigned || l->is_decimal || l->bad_annotation || l->nested)
		return 0;
	if (l->order == -1 || l->order == 2 || l->order == 3)
		return 0;
	/* Parquet.Net 4.x wrote timestamp statistics that exclude real values. */
	if (f->app == FR_PQ_APP_PARQUET_NET)
		return 0;
	return 1;
}

/* The typed min/max of INT chunk c, if its statistics are usable: 1, or 0. */
static int chunk_int_range(const fr_pq_chunk *c, uint32_t w,
	int64_t *lo, int64_t *hi)
{
	if (!c->has_meta || !c->has_stats)
		return 0;
	const fr_pq_stats *s = &c->stats;
	const uint8_t *mn = NULL, *mx = NULL;
	if (s->has_min && s->has_max && s->min_len == w && s->max_len == w) {
		mn = s->min;
		mx = s->max;
	} else if (s->has_min_old && s->has_max_old && s->min_old_len == w && s->max_old_len == w) {
		mn = s->min_old;
		mx = s->max_old;
	}
	if (!mn)
		return 0;
	*lo = le_int(mn, w);
	*hi = le_int(mx, w);
	return *lo <= *hi; /* contradictory: unusable */
}

int fr_pq_prune_range(const fr_pq_file *f, int col, int has_from, int64_t from, int has_to,
	int64_t to, uint8_t *keep, fr_err *err)
{
	if (col < 0 || col >= f->nleaves)
		return fr_err_set(err, FR_EINVAL, "%s: no column number %d", f->name, col);
	const fr_pq_leaf *l = &f->leaves[col];
	int trusted = stats_trusted(f, l);
	uint32_t w = l->type == FR_PQ_INT32 ? 4 : 8;
	for (int r = 0; r < f->nrg; r++) {
		keep[r] = 1;
		const fr_pq_rowgroup *g = &f->rgs[r];
		if (g->num_rows == 0) {
			keep[r] = 0;
			continue;
		}
		if (has_from && has_to && from >= to) {
			keep[r] = 0;
			continue;
		}
		const fr_pq_chunk *c = &g->cols[col];
		if (!trusted || !c->has_meta || !c->has_stats)
			continue;
		const fr_pq_stats *s = &c->stats;
		if (s->has_null_count && s->null_count == g->num_rows) {
			keep[r] = 0;   /* only nulls: no value can be in the range */
			continue;
		}
		int64_t lo, hi;
		if (!chunk_int_range(c, w, &lo, &hi))
			continue;
		if ((has_to && lo >= to) || (has_from && hi < from))
			keep[r] = 0;
	}
	return 0;
}

int fr_pq_int_range(const fr_pq_file *f, int col, const uint8_t *keep, int64_t *min,
	int64_t *max)
{
	if (col < 0 || col >= f->nleaves)
		return 0;
	const fr_pq_leaf *l = &f->leaves[col];
	if (!stats_trusted(f, l))
		return 0;
	uint32_t w = l->type == FR_PQ_INT32 ? 4 : 8;
	int any = 0;
	int64_t mn = 0, mx = 0;
	for (int r = 0; r < f->nrg; r++) {
		const fr_pq_rowgroup *g = &f->rgs[r];
		if ((keep && !keep[r]) || g->num_rows == 0)
			continue;
		const fr_pq_chunk *c = &g->cols[col];
		int64_t lo, hi;
		if (c->has_meta && c->has_stats && c->stats.has_null_count &&
		    c->stats.null_count == g->num_rows)
			continue; /* only nulls */
		if (!chunk_int_range(c, w, &lo, &hi))
			return 0;
		mn = any && mn < lo ? mn : lo;
		mx = any && mx > hi ? mx : hi;
		any = 1;
	}
	if (!any)
		return 0;
	*min = mn;
	*max = mx;
	return 1;
}

/* Opens an already open local file (storage opens it non-blocking and checks it is a regular
 * file first, so a FIFO or device never blocks the open).  Takes the descriptor in every case:
 * it is closed once the file is mapped, or on failure. */
int fr_pq_open_fd(const char *name, int fd, fr_pq_file **out, fr_err *err)
{
	*out = NULL;
	fr_pq_file *f = file_new(name, err);
	if (!f) {
		close(fd);
		return err->code;
	}
	f->fd = fd;
	struct stat st;
	if (fstat(fd, &st)) {
		int e = errno;
		fr_pq_close(f);
		return fr_err_set(err, FR_EIO, "%s: %s", name, strerror(e));
	}
	if (!S_ISREG(st.st_mode)) {
		fr_pq_close(f);
		return fr_err_set(err, FR_EIO, "%s: not a regular file", name);
	}
	f->size = (uint64_t)st.st_size;
	if (f->size > 0) {
		void *m = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (m == MAP_FAILED) {
			int e = errno;
			fr_pq_close(f);
			return fr_err_set(err, FR_EIO, "%s: mmap: %s", name, strerror(e));
		}
		f->map = m;
	}
	/* the mapping holds the file: no descriptor is kept per open part */
	close(f->fd);
	f->fd = -1;
	f->read = map_read;
	f->ctx = f;
	if (open_common(f, err)) {
		fr_pq_close(f);
		return err->code;
	}
	*out = f;
	return 0;
}
