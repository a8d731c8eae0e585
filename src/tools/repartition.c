/* Repartition: inputs are read one row group at a time and, inside it, one column at a time
 * (through the reader's byte-range interface, so nothing is mapped or held beyond the chunk
 * being decoded).  One pass per input row group: each column chunk is decoded once and its
 * rows scattered into one buffer per output part; parts write out row groups of exactly
 * --row-group-rows rows as they fill (the last one of a part may be smaller).  Outputs go
 * through an output set (tools/outset.h): temporary names, renamed together at the end, so a
 * failure or a signal leaves no half dataset and an input can never be overwritten while it
 * is read.
 *
 * Memory: budget = --memory minus a fixed reserve for the program itself.  A pass over a row
 * group needs room for its rows in the part buffers, its part ids, the decoded group-id
 * column and one other decoded column (estimated from the row count and the chunk sizes in
 * the metadata, see rg_need).  Before a pass, when what the part buffers hold plus that need
 * would pass the budget, every part is written out and its buffers freed.  An input row group
 * whose pass alone needs more than the budget is refused before anything is written, with
 * the --memory that would do.  Each part's open writer (stdio buffer, bookkeeping) is taken
 * off the budget first. */
#include "tools/repartition.h"
#include "core/file.h"
#include "tools/args.h"
#include "tools/outset.h"
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
/* The program's own resident share of --memory (code, libraries, allocator, stacks); 6 was
 * 52 KiB short on a fresh Debian 12 root. */
#define RESERVE_MB 7

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
	in->fd = -1;
	struct stat st;
	/* a FIFO or device among the inputs is refused by what it is, never waited on */
	if (fr_file_open_regular(path, &in->fd, &st, err))
		return err->code;
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
	uint8_t *vals;          /* 1 byte (BOOLEAN) or 8 bytes (int64 / double) per row; NULL for
	                         * BYTE_ARRAY, whose values are off + data */
	uint64_t *valid;        /* NULL for required columns */
	int64_t *off;           /* BYTE_ARRAY: cap + 1 offsets into data */
	uint8_t *data;          /* BYTE_ARRAY bytes; grown by 1.5x (not 2x) to stay in budget */
	size_t dlen, dcap;
} pcol;

typedef struct pbuf {
	int64_t n, cap;
	pcol *cols;
	fr_pqw *w;
} pbuf;

typedef struct rp {
	const fr_repart_opts *o;
	ocol *cols;
	int ncols, gcol;
	pbuf *parts;
	double usable;          /* bytes of the budget for buffers and decoding */
	double held;            /* bytes the part buffers hold (capacity) */
	uint32_t *pid;          /* part of each row of the current input row group */
	size_t pid_cap;
	int64_t *cursor, *count;
	uint64_t *bits;         /* validity of one column of a row group being written */
	size_t bits_words;
	fr_vec *vecs;           /* ncols vectors of a row group being written */
	fr_outset *outs;
	fr_progress prog;
} rp;

static size_t elem_size(int type)
{
	return type == FR_PQ_BOOLEAN ? 1 : type == FR_PQ_BYTE_ARRAY ? 0 : 8;
}

static int phys_size(int type)
{
	return type == FR_PQ_BOOLEAN ? 1 : type == FR_PQ_INT32 || type == FR_PQ_FLOAT ? 4 :
		type == FR_PQ_BYTE_ARRAY ? 0 : 8;
}

/* Estimated bytes a pass over row group g needs beyond what the part buffers already hold:
 * room for its rows in the part buffers (which may grow by 1.5x past it), its part ids, and
 * the decoded group-id column alongside the largest other decoded column (values, offsets,
 * dictionary indices, validity, and the chunk as read and uncompressed).  In doubles: the
 * metadata is untrusted and its sizes may be anything. */
static double rg_need(const rp *R, fr_pq_file *f, int g)
{
	double rows = (double)fr_pq_row_group_rows(f, g);
	if (rows <= 0)
		return 0;
	double buf = 0, gcol = 0, other = 0;
	for (int c = 0; c < R->ncols; c++) {
		fr_pq_chunkinfo ch;
		double unc = 0, comp = 0;
		if (!fr_pq_chunk_info(f, g, c, &ch)) {
			unc = ch.uncompressed_size > 0 ? (double)ch.uncompressed_size : 0;
			comp = ch.compressed_size > 0 ? (double)ch.compressed_size : 0;
		}
		int bin = R->cols[c].type == FR_PQ_BYTE_ARRAY;
		buf += rows * (double)elem_size(R->cols[c].type) + (R->cols[c].optional ? rows / 8 : 0) +
			(bin ? rows * 8 + unc : 0);
		double dec = rows * (phys_size(R->cols[c].type) + 4) + rows / 8 +
			(bin ? rows * 8 + unc : 0) + unc + comp;
		if (c == R->gcol)
			gcol = dec;
		else if (dec > other)
			other = dec;
	}
	return buf * 1.5 + rows * 4 + gcol + other;
}

static int pbuf_reserve(rp *R, pbuf *p, int64_t need)
{
	if (need <= p->cap)
		return 0;
	/* 1.5x growth: doubling would overshoot the budget by up to 2x. */
	int64_t cap = p->cap + p->cap / 2;
	if (cap < need)
		cap = need;
	for (int c = 0; c < R->ncols; c++) {
		pcol *pc = &p->cols[c];
		size_t es = elem_size(R->cols[c].type);
		if (es) {
			uint8_t *v = realloc(pc->vals, (size_t)cap * es);
			if (!v)
				return FR_ENOMEM;
			pc->vals = v;
		}
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

static double pbuf_bytes(const rp *R, const pbuf *p)
{
	double b = 0;
	for (int c = 0; c < R->ncols; c++) {
		b += (double)p->cap * (double)elem_size(R->cols[c].type);
		if (R->cols[c].optional)
			b += (double)FR_BITMAP_WORDS(p->cap) * 8;
		if (R->cols[c].type == FR_PQ_BYTE_ARRAY)
			b += (double)(p->cap + 1) * 8 + (double)p->cols[c].dcap;
	}
	return b;
}

static void pbuf_release(rp *R, pbuf *p)
{
	for (int c = 0; c < R->ncols; c++) {
		pcol *pc = &p->cols[c];
		free(pc->vals);
		free(pc->valid);
		free(pc->off);
		free(pc->data);
		memset(pc, 0, sizeof *pc);
	}
	p->cap = 0;
}

/* Bits [from, from + n) of src into dst[0..]; the rest of dst's last word is cleared. */
static void copy_bits(uint64_t *dst, const uint64_t *src, int64_t from, int64_t n)
{
	memset(dst, 0, FR_BITMAP_WORDS(n) * 8);
	for (int64_t i = 0; i < n; i++)
		if (fr_bit_get(src, from + i))
			fr_bit_set(dst, i);
}

/* Writes rows [start, start + n) of part p as one row group. */
static int write_rows(rp *R, int part, int64_t start, int64_t n, fr_err *err)
{
	pbuf *p = &R->parts[part];
	size_t words = FR_BITMAP_WORDS(n) * (size_t)R->ncols;
	if (start % 64 && words > R->bits_words) {
		uint64_t *b = realloc(R->bits, words * 8);
		if (!b)
			return fr_err_set(err, FR_ENOMEM, "out of memory writing part %d", part);
		R->bits = b;
		R->bits_words = words;
	}
	fr_vec *v = R->vecs;
	memset(v, 0, (size_t)R->ncols * sizeof *v);
	for (int c = 0; c < R->ncols; c++) {
		pcol *pc = &p->cols[c];
		v[c].len = n;
		if (pc->valid && start % 64) {
			uint64_t *b = R->bits + (size_t)c * FR_BITMAP_WORDS(n);
			copy_bits(b, pc->valid, start, n);
			v[c].valid = b;
		} else if (pc->valid) {
			v[c].valid = pc->valid + start / 64;
		}
		switch (R->cols[c].type) {
		case FR_PQ_BOOLEAN: v[c].kind = FR_VEC_BOOL; v[c].v.b = pc->vals + start; break;
		case FR_PQ_INT32:
		case FR_PQ_INT64:
			v[c].kind = FR_VEC_I64;
			v[c].v.i64 = (int64_t *)(void *)(pc->vals + start * 8);
			break;
		case FR_PQ_FLOAT:
		case FR_PQ_DOUBLE:
			v[c].kind = FR_VEC_F64;
			v[c].v.f64 = (double *)(void *)(pc->vals + start * 8);
			break;
		default:
			/* Offsets stay absolute: the writer reads data + off[r]. */
			v[c].kind = FR_VEC_BIN;
			v[c].dict = (fr_strtab){ (uint32_t)n, pc->off + start, pc->data ? pc->data
				: (const uint8_t *)"" };
		}
	}
	return fr_pqw_write_row_group(p->w, n, v, err);
}

/* Writes part p's buffered rows as row groups of --row-group-rows rows; with all, the last,
 * smaller one too, else the remainder moves to the front of the buffers for the next pass. */
static int flush_part(rp *R, int part, int all, fr_err *err)
{
	pbuf *p = &R->parts[part];
	int64_t rgr = R->o->row_group_rows, done = 0;
	while (p->n - done >= rgr || (all && p->n > done)) {
		int64_t k = p->n - done < rgr ? p->n - done : rgr;
		if (write_rows(R, part, done, k, err))
			return err->code;
		done += k;
	}
	if (!done)
		return 0;
	fr_pqw_release_scratch(p->w);
	int64_t rem = p->n - done;
	for (int c = 0; c < R->ncols; c++) {
		pcol *pc = &p->cols[c];
		size_t es = elem_size(R->cols[c].type);
		if (es && rem)
			memmove(pc->vals, pc->vals + (size_t)done * es, (size_t)rem * es);
		if (pc->valid) {
			size_t w0 = FR_BITMAP_WORDS(rem), w1 = FR_BITMAP_WORDS(p->n);
			if (rem) {
				/* Through the scratch: source and destination overlap. */
				if (w0 > R->bits_words) {
					uint64_t *b = realloc(R->bits, w0 * 8);
					if (!b)
						return fr_err_set(err, FR_ENOMEM, "out of memory buffering part %d",
							part);
					R->bits = b;
					R->bits_words = w0;
				}
				copy_bits(R->bits, pc->valid, done, rem);
				memcpy(pc->valid, R->bits, w0 * 8);
			}
			memset(pc->valid + w0, 0, (w1 - w0) * 8);
		}
		if (R->cols[c].type == FR_PQ_BYTE_ARRAY) {
			int64_t base = pc->off[done];
			if (rem)
				memmove(pc->data, pc->data + base, (size_t)(pc->off[p->n] - base));
			for (int64_t i = 0; i <= rem; i++)
				pc->off[i] = pc->off[done + i] - base;
			pc->dlen -= (size_t)base;
		}
	}
	p->n = rem;
	return 0;
}

/* Scatters the rows of one loaded input column to the part buffers. */
static int scatter(rp *R, int c, const fr_pq_phys *ph, int64_t rows)
{
	int type = R->cols[c].type;
	for (int p = 0; p < R->o->parts; p++)
		R->cursor[p] = R->parts[p].n;
	for (int64_t r = 0; r < rows; r++) {
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

static int load_col(fr_pq_file *f, const char *name, const char *col, int c, int g,
	int64_t rows, fr_arena *a, fr_pq_phys *ph, fr_err *err)
{
	if (fr_pq_load_physical(f, c, g, a, ph, err))
		return err->code;
	if (ph->len != rows)
		return fr_err_set(err, FR_ECORRUPT, "%s: row group %d: column %s has %lld rows, "
			"expected %lld", name, g, col, (long long)ph->len, (long long)rows);
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
		/* Room for this pass: write out and free what the parts hold when needed. */
		if (R->held + rg_need(R, f, g) > R->usable) {
			for (int p = 0; p < o->parts; p++) {
				if (flush_part(R, p, 1, err))
					return err->code;
				pbuf_release(R, &R->parts[p]);
			}
			R->held = 0;
		}
		/* Part of every row, from the group id column. */
		if ((size_t)rows > R->pid_cap) {
			uint32_t *np = realloc(R->pid, (size_t)rows * 4);
			if (!np)
				return fr_err_set(err, FR_ENOMEM, "%s: out of memory for %lld rows", name,
					(long long)rows);
			R->pid = np;
			R->pid_cap = (size_t)rows;
		}
		fr_arena *ga = fr_arena_new(0);
		if (!ga)
			return fr_err_set(err, FR_ENOMEM, "out of memory");
		fr_pq_phys gph;
		if (load_col(f, name, o->group_col, R->gcol, g, rows, ga, &gph, err)) {
			fr_arena_free(ga);
			return err->code;
		}
		uint32_t np = (uint32_t)o->parts;
		for (int64_t r = 0; r < rows; r++) {
			if (gph.valid && !fr_bit_get(gph.valid, r)) {
				R->pid[r] = 0;   /* null group ids all go to part 0 */
				continue;
			}
			if (gph.physical_type == FR_PQ_INT32) {
				int32_t x;
				memcpy(&x, gph.data + r * 4, 4);
				R->pid[r] = fr_part_of_int(x, np);
			} else if (gph.physical_type == FR_PQ_INT64) {
				int64_t x;
				memcpy(&x, gph.data + r * 8, 8);
				R->pid[r] = fr_part_of_int(x, np);
			} else {
				int64_t s = gph.bin.off[r], e = gph.bin.off[r + 1];
				R->pid[r] = fr_part_of_bytes(gph.bin.data + s, (size_t)(e - s), np);
			}
		}
		memset(R->count, 0, sizeof(int64_t) * (size_t)o->parts);
		for (int64_t r = 0; r < rows; r++)
			R->count[R->pid[r]]++;
		int rc = 0;
		for (int p = 0; p < o->parts && !rc; p++)
			if (pbuf_reserve(R, &R->parts[p], R->parts[p].n + R->count[p]))
				rc = fr_err_set(err, FR_ENOMEM, "out of memory buffering part %d", p);
		/* Each chunk decoded once; the group-id column's is kept from above. */
		for (int c = 0; c < R->ncols && !rc; c++) {
			if (c == R->gcol) {
				if (scatter(R, c, &gph, rows))
					rc = fr_err_set(err, FR_ENOMEM, "out of memory buffering rows");
				continue;
			}
			fr_arena *ca = fr_arena_new(0);
			fr_pq_phys ph;
			if (!ca)
				rc = fr_err_set(err, FR_ENOMEM, "out of memory");
			else if (!(rc = load_col(f, name, R->cols[c].name, c, g, rows, ca, &ph, err)) &&
			    scatter(R, c, &ph, rows))
				rc = fr_err_set(err, FR_ENOMEM, "out of memory buffering rows");
			fr_arena_free(ca);
		}
		fr_arena_free(ga);
		if (rc)
			return rc;
		R->held = 0;
		for (int p = 0; p < o->parts; p++) {
			pbuf *pb = &R->parts[p];
			pb->n += R->count[p];
			if (flush_part(R, p, 0, err))
				return err->code;
			R->held += pbuf_bytes(R, pb);
		}
		fr_progress_add(&R->prog, rows);
		fr_progress_draw(&R->prog, 0);
	}
	return 0;
}

int fr_repart_run(const fr_repart_opts *o, fr_err *err)
{
	if (!o->group_col || !*o->group_col)
		return fr_err_set(err, FR_EINVAL, "--group-id COLUMN is required");
	if (o->parts < 1 || o->parts > FR_ARGS_MAX_PARTS)
		return fr_err_set(err, FR_EINVAL, "--parts must be between 1 and %d, not %d",
			FR_ARGS_MAX_PARTS, o->parts);
	if (!o->out)
		return fr_err_set(err, FR_EINVAL, "--out DIR is required");
	if (o->ninputs < 1)
		return fr_err_set(err, FR_EINVAL, "no input files");
	if (o->memory_mb < FR_REPART_MIN_MEMORY_MB || o->memory_mb > FR_REPART_MAX_MEMORY_MB)
		return fr_err_set(err, FR_EINVAL, "--memory must be between %d and %d (MB), not %lld",
			FR_REPART_MIN_MEMORY_MB, FR_REPART_MAX_MEMORY_MB, (long long)o->memory_mb);
	if (o->row_group_rows < 1 || o->row_group_rows > INT32_MAX)
		return fr_err_set(err, FR_EINVAL, "--row-group-rows must be between 1 and %d, not %lld",
			INT32_MAX, (long long)o->row_group_rows);

	rp R;
	memset(&R, 0, sizeof R);
	R.o = o;
	/* Every part's writer lives for the whole run: its stdio buffer (scaled down for many
	 * parts) and bookkeeping come off the budget first. */
	size_t io_buffer = (size_t)((double)(o->memory_mb - RESERVE_MB) * MB / 8 / o->parts);
	io_buffer = io_buffer > 64 * 1024 ? 64 * 1024 : io_buffer < 4096 ? 4096 : io_buffer;
	double per_part = (double)io_buffer + 16384;
	R.usable = (double)(o->memory_mb - RESERVE_MB) * MB - per_part * o->parts;
	int rc = 0;
	int64_t total = 0;
	/* Every input's schema, and the memory each row group's pass needs, are checked before
	 * anything is written. */
	double worst = 0;
	int worst_in = 0, worst_rg = 0;
	int64_t worst_rows = 0;
	for (int i = 0; i < o->ninputs && !rc; i++) {
		input in;
		if ((rc = input_open(o->inputs[i], &in, err)))
			break;
		rc = check_schema(o, i, in.f, &R.cols, &R.ncols, &R.gcol, err);
		total += fr_pq_num_rows(in.f);
		for (int g = 0; !rc && g < fr_pq_num_row_groups(in.f); g++) {
			double need = rg_need(&R, in.f, g);
			if (need > worst) {
				worst = need;
				worst_in = i;
				worst_rg = g;
				worst_rows = fr_pq_row_group_rows(in.f, g);
			}
		}
		input_close(&in);
	}
	if (rc)
		goto out;
	if (worst > R.usable) {
		double mb = RESERVE_MB + (worst + per_part * o->parts) / MB + 1;
		rc = fr_err_set(err, FR_ELIMIT, "--memory %lld is too small for %s: its row group %d "
			"(%lld rows) is read in one pass, which with %d output part%s needs about %.0f "
			"MB; use --memory %.0f or more, or inputs with smaller row groups",
			(long long)o->memory_mb, o->inputs[worst_in], worst_rg, (long long)worst_rows,
			o->parts, o->parts > 1 ? "s" : "", mb, mb);
		goto out;
	}
	if ((rc = fr_outset_begin(o->out, o->parts, &R.outs, err)))
		goto out;

	R.parts = calloc((size_t)o->parts, sizeof *R.parts);
	R.cursor = calloc((size_t)o->parts, sizeof *R.cursor);
	R.count = calloc((size_t)o->parts, sizeof *R.count);
	R.vecs = calloc((size_t)R.ncols, sizeof *R.vecs);
	fr_pqw_col *wc = calloc((size_t)R.ncols, sizeof *wc);
	if (!R.parts || !R.cursor || !R.count || !R.vecs || !wc) {
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
	/* Many writers live at once: small I/O buffers and pages scaled to the budget. */
	wo.io_buffer = io_buffer;
	double page = R.usable / 10 / o->parts;
	wo.page_size = page > (1 << 20) ? 1 << 20 : page < 64 * 1024 ? 64 * 1024 : (size_t)page;
	for (int p = 0; p < o->parts && !rc; p++) {
		pbuf *pb = &R.parts[p];
		pb->cols = calloc((size_t)R.ncols, sizeof *pb->cols);
		if (!pb->cols) {
			rc = fr_err_set(err, FR_ENOMEM, "out of memory");
			break;
		}
		rc = fr_pqw_open(fr_outset_tmp_path(R.outs, p), wc, R.ncols, &wo, &pb->w, err);
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
		rc = flush_part(&R, p, 1, err);
	for (int p = 0; p < o->parts && !rc; p++) {
		rc = fr_pqw_close(R.parts[p].w, err);
		R.parts[p].w = NULL;
	}
	if (!rc) {
		rc = fr_outset_commit(R.outs, err);
		R.outs = NULL;
	}
	if (!rc)
		fr_progress_draw(&R.prog, 1);
out:
	if (R.parts)
		for (int p = 0; p < o->parts; p++) {
			pbuf *pb = &R.parts[p];
			fr_pqw_abort(pb->w);
			if (pb->cols)
				pbuf_release(&R, pb);
			free(pb->cols);
		}
	fr_outset_abort(R.outs);
	if (R.cols)
		for (int c = 0; c < R.ncols; c++)
			free(R.cols[c].name);
	free(R.cols);
	free(R.parts);
	free(R.cursor);
	free(R.count);
	free(R.pid);
	free(R.bits);
	free(R.vecs);
	return rc;
}
