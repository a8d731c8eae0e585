/* Repartition: inputs are read one row group at a time and, inside it, one column at a time
 * (through the reader's byte-range interface, so nothing is mapped or held beyond the chunk
 * being decoded).  Rows are scattered into one buffer per output part; a part's buffer is
 * written out as a row group when it reaches its share of the memory budget.  Outputs are
 * written under temporary names and renamed at the end, so a failure leaves no half dataset
 * and an input can never be overwritten while it is read.
 *
 * Memory: budget = --memory minus a fixed reserve for the program itself.  40% of it holds
 * the part buffers (a part flushes at 40%/N), 30% bounds the decoded slice of an input row
 * group (larger row groups are processed in row slices), the rest covers encoding scratch
 * and the reader's chunk buffer. */
#include "tools/repartition.h"
#include "tools/partition.h"
#include "tools/progress.h"
#include "parquet/format.h"
#include "parquet/parquet.h"
#include "parquet/writer.h"
#include "core/arena.h"
#include "core/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MB (1024 * 1024)
#define RESERVE_MB 6
#define MIN_MEMORY_MB 12

void fr_repart_opts_default(fr_repart_opts *o)
{
	memset(o, 0, sizeof *o);
	o->parts = 0;
	o->codec = FR_PQ_CODEC_SNAPPY;
	o->memory_mb = 512;
	o->row_group_rows = 1000000;
	o->progress = 1;
}

/* ---- input through pread ----------------------------------------------------------------- */

typedef struct input {
	int fd;
	fr_pq_file *f;
} input;

static int pread_fn(void *ctx, uint64_t off, uint64_t len, void *dst, fr_err *err)
{
	input *in = ctx;
	uint8_t *p = dst;
	while (len) {
		ssize_t n = pread(in->fd, p, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return fr_err_set(err, FR_EIO, "read failed at offset %llu: %s",
				(unsigned long long)off, n < 0 ? strerror(errno) : "unexpected end of file");
		p += n;
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

static int input_open(const char *path, input *in, fr_err *err)
{
	in->f = NULL;
	in->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (in->fd < 0)
		return fr_err_set(err, FR_EIO, "%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(in->fd, &st) || !S_ISREG(st.st_mode)) {
		close(in->fd);
		return fr_err_set(err, FR_EIO, "%s: not a regular file", path);
	}
	if (fr_pq_open_reader(path, (uint64_t)st.st_size, pread_fn, in, &in->f, err)) {
		close(in->fd);
		in->fd = -1;
		return err->code;
	}
	return 0;
}

static void input_close(input *in)
{
	fr_pq_close(in->f);
	if (in->fd >= 0)
		close(in->fd);
	in->f = NULL;
	in->fd = -1;
}

/* ---- schema ------------------------------------------------------------------------------- */

typedef struct ocol {
	char *name;
	int type;
	int optional;
	int string;
	int converted;          /* ConvertedType kept (0 none) */
} ocol;

static int supported(int t)
{
	return t == FR_PQ_BOOLEAN || t == FR_PQ_INT32 || t == FR_PQ_INT64 || t == FR_PQ_FLOAT ||
		t == FR_PQ_DOUBLE || t == FR_PQ_BYTE_ARRAY;
}

/* Checks input i against the schema taken from input 0 (or takes it when first). */
static int check_schema(const fr_repart_opts *o, int i, fr_pq_file *f, ocol **cols, int *ncols,
	int *gcol, fr_err *err)
{
	const char *name = o->inputs[i];
	int n = fr_pq_num_columns(f);
	int g = fr_pq_column_index(f, o->group_col);
	if (g < 0 && i == 0)
		return fr_err_set(err, FR_ENOTFOUND, "%s: no column '%s' (the --group-id column)",
			name, o->group_col);
	if (i == 0) {
		*cols = calloc((size_t)(n ? n : 1), sizeof **cols);
		if (!*cols)
			return fr_err_set(err, FR_ENOMEM, "out of memory");
		*ncols = n;
		*gcol = g;
	} else if (n != *ncols) {
		return fr_err_set(err, FR_EINVAL, "%s: schema differs from %s: %d columns instead "
			"of %d", name, o->inputs[0], n, *ncols);
	}
	for (int c = 0; c < n; c++) {
		fr_pq_colinfo ci;
		if (fr_pq_column_info(f, c, &ci))
			return fr_err_set(err, FR_ECORRUPT, "%s: cannot read column %d", name, c);
		if (ci.nested)
			return fr_err_set(err, FR_EUNSUPPORTED, "%s: column %s is nested; repartition "
				"rewrites flat schemas only", name, ci.name);
		if (!supported(ci.physical_type))
			return fr_err_set(err, FR_EUNSUPPORTED, "%s: column %s has physical type %s, "
				"which repartition does not write (BOOLEAN, INT32, INT64, FLOAT, DOUBLE, "
				"BYTE_ARRAY)", name, ci.name, fr_pq_type_name(ci.physical_type) ?
				fr_pq_type_name(ci.physical_type) : "?");
		if (ci.is_decimal)
			return fr_err_set(err, FR_EUNSUPPORTED, "%s: column %s is a DECIMAL; "
				"repartition does not rewrite decimals", name, ci.name);
		/* Integer annotations (dates, times, timestamps, sized and unsigned ints) survive
		 * through their ConvertedType; UTF8 through the string flag. */
		int conv = ci.converted > 0 && ci.converted != FR_PQ_CT_DECIMAL &&
			ci.physical_type != FR_PQ_BYTE_ARRAY ? ci.converted : 0;
		ocol *oc = &(*cols)[c];
		if (i == 0) {
			oc->converted = conv;
			oc->name = strdup(ci.name);
			if (!oc->name)
				return fr_err_set(err, FR_ENOMEM, "out of memory");
			oc->type = ci.physical_type;
			oc->optional = ci.optional;
			oc->string = ci.is_string;
			continue;
		}
		if (strcmp(oc->name, ci.name) || oc->type != ci.physical_type || oc->converted != conv)
			return fr_err_set(err, FR_EINVAL, "%s: schema differs from %s: column %d is "
				"'%s' %s, expected '%s' %s", name, o->inputs[0], c, ci.name,
				fr_pq_type_name(ci.physical_type), oc->name, fr_pq_type_name(oc->type));
		/* A column nullable in any input is nullable in the output. */
		oc->optional |= ci.optional;
		oc->string |= ci.is_string;
	}
	if (i > 0 && g != *gcol)
		return fr_err_set(err, FR_EINVAL, "%s: schema differs from %s", name, o->inputs[0]);
	int gt = (*cols)[g].type;
	if (gt != FR_PQ_INT32 && gt != FR_PQ_INT64 && gt != FR_PQ_BYTE_ARRAY)
		return fr_err_set(err, FR_EINVAL, "%s: group id column '%s' is %s; it must be an "
			"integer or a string", name, o->group_col, fr_pq_type_name(gt));
	return 0;
}

/* ---- part buffers ------------------------------------------------------------------------ */

typedef struct pcol {
	uint8_t *vals;          /* 1 byte (BOOLEAN) or 8 bytes (int64 / double) per row */
	uint64_t *valid;        /* NULL for required columns */
	int64_t *off;           /* BYTE_ARRAY: cap + 1 offsets into data */
	uint8_t *data;          /* BYTE_ARRAY bytes; grown by 1.5x (not 2x) to stay in budget */
	size_t dlen, dcap;
} pcol;

typedef struct pbuf {
	int64_t n, cap;
	pcol *cols;
	size_t bytes;           /* bytes held (capacity), for the budget */
	fr_pqw *w;
	char *tmp_path, *path;
} pbuf;

typedef struct rp {
	const fr_repart_opts *o;
	ocol *cols;
	int ncols, gcol;
	pbuf *parts;
	size_t part_budget, slice_budget;
	uint32_t *pid;          /* part of each row of the current input row group */
	size_t pid_cap;
	int64_t *cursor, *count;
	fr_progress prog;
} rp;

static size_t elem_size(int type)
{
	return type == FR_PQ_BOOLEAN ? 1 : 8;
}

static int pbuf_reserve(rp *R, pbuf *p, int64_t need)
{
	if (need <= p->cap)
		return 0;
	/* 1.5x growth: doubling would overshoot the part's share of the budget by up to 2x. */
	int64_t cap = p->cap + p->cap / 2;
	if (cap < need)
		cap = need;
	if (cap < 1024)
		cap = 1024;
	for (int c = 0; c < R->ncols; c++) {
		pcol *pc = &p->cols[c];
		size_t es = elem_size(R->cols[c].type);
		uint8_t *v = realloc(pc->vals, (size_t)cap * es);
		if (!v)
			return FR_ENOMEM;
		pc->vals = v;
		if (R->cols[c].optional) {
			size_t ow = FR_BITMAP_WORDS(p->cap), nw = FR_BITMAP_WORDS(cap);
			uint64_t *b = realloc(pc->valid, nw * 8);
			if (!b)
				return FR_ENOMEM;
			memset(b + ow, 0, (nw - ow) * 8);
			pc->valid = b;
		}
		if (R->cols[c].type == FR_PQ_BYTE_ARRAY) {
			int64_t *of = realloc(pc->off, (size_t)(cap + 1) * 8);
			if (!of)
				return FR_ENOMEM;
			if (!pc->off)
				of[0] = 0;
			pc->off = of;
		}
	}
	p->cap = cap;
	return 0;
}

static size_t pbuf_bytes(const rp *R, const pbuf *p)
{
	size_t b = 0;
	for (int c = 0; c < R->ncols; c++) {
		b += (size_t)p->cap * elem_size(R->cols[c].type);
		if (R->cols[c].optional)
			b += FR_BITMAP_WORDS(p->cap) * 8;
		if (R->cols[c].type == FR_PQ_BYTE_ARRAY)
			b += (size_t)(p->cap + 1) * 8 + p->cols[c].dcap;
	}
	return b;
}

static int flush_part(rp *R, int part, fr_err *err)
{
	pbuf *p = &R->parts[part];
	if (!p->n)
		return 0;
	fr_vec *v = calloc((size_t)R->ncols, sizeof *v);
	if (!v)
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	for (int c = 0; c < R->ncols; c++) {
		pcol *pc = &p->cols[c];
		v[c].len = p->n;
		v[c].valid = pc->valid;
		switch (R->cols[c].type) {
		case FR_PQ_BOOLEAN: v[c].kind = FR_VEC_BOOL; v[c].v.b = pc->vals; break;
		case FR_PQ_INT32:
		case FR_PQ_INT64: v[c].kind = FR_VEC_I64; v[c].v.i64 = (int64_t *)pc->vals; break;
		case FR_PQ_FLOAT:
		case FR_PQ_DOUBLE: v[c].kind = FR_VEC_F64; v[c].v.f64 = (double *)pc->vals; break;
		default:
			v[c].kind = FR_VEC_BIN;
			v[c].dict = (fr_strtab){ (uint32_t)p->n, pc->off, pc->data ? pc->data
				: (const uint8_t *)"" };
		}
	}
	int rc = fr_pqw_write_row_group(p->w, p->n, v, err);
	free(v);
	if (rc)
		return rc;
	fr_pqw_release_scratch(p->w);
	for (int c = 0; c < R->ncols; c++) {
		pcol *pc = &p->cols[c];
		if (pc->valid)
			memset(pc->valid, 0, FR_BITMAP_WORDS(p->n) * 8);
		pc->dlen = 0;
	}
	p->n = 0;
	return 0;
}

/* Scatters rows [a, b) of one loaded input column to the part buffers. */
static int scatter(rp *R, int c, const fr_pq_phys *ph, int64_t a, int64_t b)
{
	int type = R->cols[c].type;
	for (int p = 0; p < R->o->parts; p++)
		R->cursor[p] = R->parts[p].n;
	for (int64_t r = a; r < b; r++) {
		uint32_t p = R->pid[r];
		pbuf *pb = &R->parts[p];
		pcol *pc = &pb->cols[c];
		int64_t k = R->cursor[p]++;
		int valid = !ph->valid || fr_bit_get(ph->valid, r);
		if (pc->valid && valid)
			fr_bit_set(pc->valid, k);
		switch (type) {
		case FR_PQ_BOOLEAN:
			pc->vals[k] = valid ? ph->data[r] != 0 : 0;
			break;
		case FR_PQ_INT32: {
			int32_t x = 0;
			if (valid)
				memcpy(&x, ph->data + r * 4, 4);
			int64_t y = x;
			memcpy(pc->vals + k * 8, &y, 8);
			break;
		}
		case FR_PQ_FLOAT: {
			float x = 0;
			if (valid)
				memcpy(&x, ph->data + r * 4, 4);
			double y = x;
			memcpy(pc->vals + k * 8, &y, 8);
			break;
		}
		case FR_PQ_INT64:
		case FR_PQ_DOUBLE:
			if (valid)
				memcpy(pc->vals + k * 8, ph->data + r * 8, 8);
			else
				memset(pc->vals + k * 8, 0, 8);
			break;
		default: {
			int64_t s = ph->bin.off[r], e = ph->bin.off[r + 1];
			if (valid && e > s) {
				size_t n = (size_t)(e - s);
				if (pc->dlen + n > pc->dcap) {
					size_t cap = pc->dcap + pc->dcap / 2;
					if (cap < pc->dlen + n)
						cap = pc->dlen + n;
					if (cap < 4096)
						cap = 4096;
					uint8_t *d = realloc(pc->data, cap);
					if (!d)
						return FR_ENOMEM;
					pc->data = d;
					pc->dcap = cap;
				}
				memcpy(pc->data + pc->dlen, ph->bin.data + s, n);
				pc->dlen += n;
			}
			pc->off[k + 1] = (int64_t)pc->dlen;
		}
		}
	}
	return 0;
}

static int process_file(rp *R, int fi, input *in, fr_err *err)
{
	const fr_repart_opts *o = R->o;
	const char *name = o->inputs[fi];
	fr_pq_file *f = in->f;
	int nrg = fr_pq_num_row_groups(f);
	for (int g = 0; g < nrg; g++) {
		int64_t rows = fr_pq_row_group_rows(f, g);
		if (rows <= 0)
			continue;
		/* Part of every row, from the group id column. */
		if ((size_t)rows > R->pid_cap) {
			uint32_t *np = realloc(R->pid, (size_t)rows * 4);
			if (!np)
				return fr_err_set(err, FR_ENOMEM, "%s: out of memory for %lld rows", name,
					(long long)rows);
			R->pid = np;
			R->pid_cap = (size_t)rows;
		}
		fr_arena *a = fr_arena_new(0);
		if (!a)
			return fr_err_set(err, FR_ENOMEM, "out of memory");
		fr_pq_phys ph;
		if (fr_pq_load_physical(f, R->gcol, g, a, &ph, err)) {
			fr_arena_free(a);
			return err->code;
		}
		if (ph.len != rows) {
			fr_arena_free(a);
			return fr_err_set(err, FR_ECORRUPT, "%s: row group %d: column %s has %lld rows, "
				"expected %lld", name, g, o->group_col, (long long)ph.len, (long long)rows);
		}
		uint32_t np = (uint32_t)o->parts;
		for (int64_t r = 0; r < rows; r++) {
			if (ph.valid && !fr_bit_get(ph.valid, r)) {
				R->pid[r] = 0;   /* null group ids all go to part 0 */
				continue;
			}
			if (ph.physical_type == FR_PQ_INT32) {
				int32_t x;
				memcpy(&x, ph.data + r * 4, 4);
				R->pid[r] = fr_part_of_int(x, np);
			} else if (ph.physical_type == FR_PQ_INT64) {
				int64_t x;
				memcpy(&x, ph.data + r * 8, 8);
				R->pid[r] = fr_part_of_int(x, np);
			} else {
				int64_t s = ph.bin.off[r], e = ph.bin.off[r + 1];
				R->pid[r] = fr_part_of_bytes(ph.bin.data + s, (size_t)(e - s), np);
			}
		}
		/* Row slices so that the decoded slice stays within its budget: estimated from the
		 * decoded group column and the chunk sizes of the others. */
		size_t est = 0;
		for (int c = 0; c < R->ncols; c++) {
			fr_pq_chunkinfo ch;
			size_t fixed = (size_t)rows * (elem_size(R->cols[c].type) + 1);
			if (R->cols[c].type == FR_PQ_BYTE_ARRAY)
				fixed += (size_t)rows * 8;
			size_t unc = fr_pq_chunk_info(f, g, c, &ch) ? 0 : (size_t)ch.uncompressed_size;
			est += fixed > unc ? fixed : unc;
		}
		fr_arena_free(a);
		int64_t slices = (int64_t)(est / R->slice_budget) + 1;
		int64_t step = (rows + slices - 1) / slices;
		for (int64_t s0 = 0; s0 < rows; s0 += step) {
			int64_t s1 = rows - s0 > step ? s0 + step : rows;
			memset(R->count, 0, sizeof(int64_t) * (size_t)o->parts);
			for (int64_t r = s0; r < s1; r++)
				R->count[R->pid[r]]++;
			for (int p = 0; p < o->parts; p++)
				if (pbuf_reserve(R, &R->parts[p], R->parts[p].n + R->count[p]))
					return fr_err_set(err, FR_ENOMEM, "out of memory buffering part %d", p);
			for (int c = 0; c < R->ncols; c++) {
				fr_arena *ca = fr_arena_new(0);
				if (!ca)
					return fr_err_set(err, FR_ENOMEM, "out of memory");
				if (fr_pq_load_physical(f, c, g, ca, &ph, err)) {
					fr_arena_free(ca);
					return err->code;
				}
				int rc = ph.len != rows ? FR_ECORRUPT : scatter(R, c, &ph, s0, s1);
				fr_arena_free(ca);
				if (rc == FR_ECORRUPT)
					return fr_err_set(err, rc, "%s: row group %d: column %s has %lld rows, "
						"expected %lld", name, g, R->cols[c].name, (long long)ph.len,
						(long long)rows);
				if (rc)
					return fr_err_set(err, FR_ENOMEM, "out of memory buffering rows");
			}
			for (int p = 0; p < o->parts; p++) {
				pbuf *pb = &R->parts[p];
				pb->n += R->count[p];
				pb->bytes = pbuf_bytes(R, pb);
				if (pb->n >= o->row_group_rows || pb->bytes >= R->part_budget)
					if (flush_part(R, p, err))
						return err->code;
			}
			fr_progress_add(&R->prog, s1 - s0);
			fr_progress_draw(&R->prog, 0);
		}
	}
	return 0;
}

static int mkdirs(const char *dir, fr_err *err)
{
	char buf[4096];
	size_t n = strlen(dir);
	if (n == 0 || n >= sizeof buf)
		return fr_err_set(err, FR_EINVAL, "bad output directory '%s'", dir);
	memcpy(buf, dir, n + 1);
	for (size_t i = 1; i <= n; i++)
		if (buf[i] == '/' || buf[i] == 0) {
			char c = buf[i];
			buf[i] = 0;
			if (mkdir(buf, 0777) && errno != EEXIST)
				return fr_err_set(err, FR_EIO, "%s: cannot create directory: %s", buf,
					strerror(errno));
			buf[i] = c;
		}
	return 0;
}

int fr_repart_run(const fr_repart_opts *o, fr_err *err)
{
	if (!o->group_col || !*o->group_col)
		return fr_err_set(err, FR_EINVAL, "--group-id COLUMN is required");
	if (o->parts < 1 || o->parts > 10000)
		return fr_err_set(err, FR_EINVAL, "--parts must be between 1 and 10000, not %d",
			o->parts);
	if (!o->out)
		return fr_err_set(err, FR_EINVAL, "--out DIR is required");
	if (o->ninputs < 1)
		return fr_err_set(err, FR_EINVAL, "no input files");
	if (o->memory_mb < MIN_MEMORY_MB || o->memory_mb > ((int64_t)1 << 40))
		return fr_err_set(err, FR_EINVAL, "--memory must be at least %d (MB), not %lld",
			MIN_MEMORY_MB, (long long)o->memory_mb);
	if (o->row_group_rows < 1 || o->row_group_rows > INT32_MAX)
		return fr_err_set(err, FR_EINVAL, "--row-group-rows must be between 1 and %d",
			INT32_MAX);

	rp R;
	memset(&R, 0, sizeof R);
	R.o = o;
	int rc = 0;
	int64_t total = 0;
	/* Every input's schema is checked before anything is written. */
	for (int i = 0; i < o->ninputs && !rc; i++) {
		input in;
		if ((rc = input_open(o->inputs[i], &in, err)))
			break;
		rc = check_schema(o, i, in.f, &R.cols, &R.ncols, &R.gcol, err);
		total += fr_pq_num_rows(in.f);
		input_close(&in);
	}
	if (rc)
		goto out;
	if ((rc = mkdirs(o->out, err)))
		goto out;

	size_t usable = (size_t)(o->memory_mb - RESERVE_MB) * MB;
	R.part_budget = usable * 2 / 5 / (size_t)o->parts;
	if (R.part_budget < 64 * 1024)
		R.part_budget = 64 * 1024;
	R.slice_budget = usable * 3 / 10;
	R.parts = calloc((size_t)o->parts, sizeof *R.parts);
	R.cursor = calloc((size_t)o->parts, sizeof *R.cursor);
	R.count = calloc((size_t)o->parts, sizeof *R.count);
	fr_pqw_col *wc = calloc((size_t)R.ncols, sizeof *wc);
	if (!R.parts || !R.cursor || !R.count || !wc) {
		free(wc);
		rc = fr_err_set(err, FR_ENOMEM, "out of memory");
		goto out;
	}
	for (int c = 0; c < R.ncols; c++)
		wc[c] = (fr_pqw_col){ R.cols[c].name, R.cols[c].type, R.cols[c].optional,
			R.cols[c].string, R.cols[c].converted };
	fr_pqw_opts wo;
	fr_pqw_opts_default(&wo);
	wo.codec = o->codec;
	wo.page_v2 = o->page_v2;
	/* Many writers live at once: small I/O buffers and pages scaled to the part budget. */
	wo.io_buffer = 64 * 1024;
	wo.page_size = R.part_budget / 4;
	if (wo.page_size > 1 << 20)
		wo.page_size = 1 << 20;
	if (wo.page_size < 64 * 1024)
		wo.page_size = 64 * 1024;
	for (int p = 0; p < o->parts && !rc; p++) {
		pbuf *pb = &R.parts[p];
		pb->cols = calloc((size_t)R.ncols, sizeof *pb->cols);
		size_t n = strlen(o->out) + 64;
		pb->path = malloc(n);
		pb->tmp_path = malloc(n);
		if (!pb->cols || !pb->path || !pb->tmp_path) {
			rc = fr_err_set(err, FR_ENOMEM, "out of memory");
			break;
		}
		snprintf(pb->path, n, "%s/part-%05d.parquet", o->out, p);
		snprintf(pb->tmp_path, n, "%s/.part-%05d.parquet.tmp", o->out, p);
		rc = fr_pqw_open(pb->tmp_path, wc, R.ncols, &wo, &pb->w, err);
	}
	free(wc);
	if (rc)
		goto out;

	fr_progress_init(&R.prog, "repartition", total);
	if (!o->progress)
		R.prog.enabled = 0;
	for (int i = 0; i < o->ninputs && !rc; i++) {
		input in;
		if ((rc = input_open(o->inputs[i], &in, err)))
			break;
		rc = process_file(&R, i, &in, err);
		input_close(&in);
	}
	for (int p = 0; p < o->parts && !rc; p++)
		rc = flush_part(&R, p, err);
	for (int p = 0; p < o->parts && !rc; p++) {
		rc = fr_pqw_close(R.parts[p].w, err);
		R.parts[p].w = NULL;
	}
	for (int p = 0; p < o->parts && !rc; p++)
		if (rename(R.parts[p].tmp_path, R.parts[p].path))
			rc = fr_err_set(err, FR_EIO, "%s: cannot rename: %s", R.parts[p].path,
				strerror(errno));
	if (!rc)
		fr_progress_draw(&R.prog, 1);
out:
	if (R.parts)
		for (int p = 0; p < o->parts; p++) {
			pbuf *pb = &R.parts[p];
			if (pb->w)
				fr_pqw_abort(pb->w);
			else if (rc && pb->tmp_path)
				unlink(pb->tmp_path);
			if (pb->cols)
				for (int c = 0; c < R.ncols; c++) {
					free(pb->cols[c].vals);
					free(pb->cols[c].valid);
					free(pb->cols[c].off);
					free(pb->cols[c].data);
				}
			free(pb->cols);
			free(pb->path);
			free(pb->tmp_path);
		}
	if (R.cols)
		for (int c = 0; c < R.ncols; c++)
			free(R.cols[c].name);
	free(R.cols);
	free(R.parts);
	free(R.cursor);
	free(R.count);
	free(R.pid);
	return rc;
}
