/* libFuzzer target for the Parquet reader: opens the input through the byte-range callback
 * API, loads every column (high-level and physical), checks nested columns, prunes, and
 * reads every value so sanitizers see any bad pointer; then opens it again mapped (an
 * in-memory file), where the reader pairs snappy pages across row groups, and loads every
 * column with and without a row-group selection. */
#include "parquet/parquet.h"
#include "core/arena.h"

#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

typedef struct mem {
	const uint8_t *p;
	size_t n;
} mem;

static int mem_read(void *ctx, uint64_t off, uint64_t len, void *dst, fr_err *err)
{
	mem *m = ctx;
	if (off > m->n || len > m->n - off)
		return fr_err_set(err, FR_EIO, "read past the end");
	memcpy(dst, m->p + off, len);
	return 0;
}

static volatile uint64_t sink;

static void touch_vec(const fr_vec *v)
{
	uint64_t s = 0;
	for (int64_t i = 0; i < v->len; i++) {
		int ok = fr_vec_valid(v, i);
		switch (v->kind) {
		case FR_VEC_I64: s += (uint64_t)v->v.i64[i] + (uint64_t)ok; break;
		case FR_VEC_F64: s += (uint64_t)(v->v.f64[i] == v->v.f64[i]); break;
		case FR_VEC_BOOL: s += v->v.b[i]; break;
		case FR_VEC_DICT: {
			uint32_t c = v->v.codes[i];
			if (ok && c >= v->dict.n)
				__builtin_trap();
			if (ok && v->dict.off[c + 1] > v->dict.off[c])
				s += v->dict.data[v->dict.off[c]];
			break;
		}
		case FR_VEC_BIN:
			if (v->dict.off[i + 1] > v->dict.off[i])
				s += v->dict.data[v->dict.off[i + 1] - 1];
			break;
		}
	}
	sink += s;
}

static void touch_phys(const fr_pq_phys *p)
{
	uint64_t s = 0;
	for (int64_t i = 0; i < p->len; i++) {
		if (p->valid && !fr_bit_get(p->valid, i))
			continue;
		if (p->width)
			s += p->data[i * p->width + p->width - 1];
		else if (p->bin.off[i + 1] > p->bin.off[i])
			s += p->bin.data[p->bin.off[i + 1] - 1];
	}
	sink += s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mem m = { data, size };
	fr_err err = { 0 };
	fr_pq_file *f;
	if (fr_pq_open_reader("fuzz.parquet", size, mem_read, &m, &f, &err))
		return 0;
	int nrg = fr_pq_num_row_groups(f);
	uint8_t *keep = nrg ? __builtin_alloca((size_t)nrg) : NULL;
	for (int c = 0; c < fr_pq_num_columns(f); c++) {
		fr_pq_colinfo ci;
		fr_pq_column_info(f, c, &ci);
		fr_arena *a = fr_arena_new(0);
		if (!a)
			break;
		fr_vec v;
		if (!fr_pq_load_column(f, c, NULL, a, &v, &err))
			touch_vec(&v);
		for (int rg = 0; rg < nrg && rg < 8; rg++) {
			fr_pq_phys p;
			if (!fr_pq_load_physical(f, c, rg, a, &p, &err))
				touch_phys(&p);
		}
		fr_pq_check_column(f, c, &err);
		if (ci.type == FR_TYPE_INT && nrg) {
			fr_pq_prune_range(f, c, 1, 0, 1, 1000, keep, &err);
			if (!fr_pq_load_column(f, c, keep, a, &v, &err))
				touch_vec(&v);
		}
		for (int rg = 0; rg < nrg; rg++) {
			fr_pq_chunkinfo k;
			fr_pq_chunk_info(f, rg, c, &k);
		}
		fr_arena_free(a);
	}
	fr_pq_close(f);
#ifdef MFD_CLOEXEC
	/* mapped: the path of an in-memory file */
	int fd = memfd_create("fuzz.parquet", MFD_CLOEXEC);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		char path[64];
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
		if (!fr_pq_open_path(path, &f, &err)) {
			nrg = fr_pq_num_row_groups(f);
			for (int c = 0; c < fr_pq_num_columns(f); c++) {
				fr_arena *a = fr_arena_new(0);
				if (!a)
					break;
				fr_vec v;
				if (!fr_pq_load_column(f, c, NULL, a, &v, &err))
					touch_vec(&v);
				uint8_t half[64];
				for (int rg = 0; rg < nrg && rg < 64; rg++) /* every other row group */
					half[rg] = (uint8_t)(rg & 1);
				if (nrg && nrg <= 64 && !fr_pq_load_column(f, c, half, a, &v, &err))
					touch_vec(&v);
				fr_arena_free(a);
			}
			fr_pq_close(f);
		}
	}
	close(fd);
#endif
	return 0;
}
