/* bench_decode: decode throughput of the Parquet reader (fr_pq_load_column), one column kind at
 * a time on one thread, or the "decode floor" of a query (its columns over many files, N threads). */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "core/arena.h"
#include "core/error.h"
#include "core/vec.h"
#include "parquet/parquet.h"

#define MAX_COLS 64

typedef struct col_stat {
	int64_t values;         /* rows decoded, summed over files */
	int64_t bytes;          /* decoded size: value slots + dictionary + validity bitmap */
	double best_s;          /* single-thread mode: best wall time of one load of this column */
	double best_cpu_s;      /* and its best CPU time (robust when other processes share the CPU) */
	/* Checksums prove the data was really decoded and let the driver compare against DuckDB:
	 * INT sum, FLOAT sum, BOOL count of true, STRING sum of the lengths of the row values. */
	int64_t isum;
	double fsum;
	fr_vec_kind kind;
} col_stat;

typedef struct bench {
	char **files;
	int nfiles;
	const char *cols[MAX_COLS];
	int ncols;
	int threads;
	int repeat;
	atomic_int next;        /* next file to load (floor mode) */
	col_stat st[MAX_COLS];  /* floor mode: merged under lock */
	pthread_mutex_t lock;
	int failed;
	fr_err err;
} bench;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t vec_bytes(const fr_vec *v)
{
	int64_t b = 0;
	switch (v->kind) {
	case FR_VEC_I64: case FR_VEC_F64: b = v->len * 8; break;
	case FR_VEC_BOOL: b = v->len; break;
	case FR_VEC_DICT: b = v->len * 4 + (int64_t)(v->dict.n + 1) * 8 + v->dict.off[v->dict.n]; break;
	case FR_VEC_BIN: b = (int64_t)(v->dict.n + 1) * 8 + v->dict.off[v->dict.n]; break;
	}
	if (v->valid)
		b += (int64_t)FR_BITMAP_WORDS(v->len) * 8;
	return b;
}

/* Touches every decoded value, as the DuckDB side's sum() does, the way a consumer of the
 * vectors would: independent accumulators for the numbers, string lengths looked up per
 * dictionary entry (as DuckDB evaluates length() once per entry of a dictionary vector), null
 * rows skipped a 64-row bitmap word at a time. */
static void checksum(const fr_vec *v, col_stat *s)
{
	int64_t is = 0;
	double fs = 0;
	int64_t n = v->len;
	switch (v->kind) {
	case FR_VEC_I64: {
		int64_t a[4] = { 0, 0, 0, 0 }; /* null slots hold 0 */
		int64_t i = 0;
		for (; i + 4 <= n; i += 4)
			for (int k = 0; k < 4; k++)
				a[k] += v->v.i64[i + k];
		for (; i < n; i++)
			a[0] += v->v.i64[i];
		is = a[0] + a[1] + a[2] + a[3];
		break;
	}
	case FR_VEC_F64: {
		double a[4] = { 0, 0, 0, 0 }; /* null slots hold 0 */
		int64_t i = 0;
		for (; i + 4 <= n; i += 4)
			for (int k = 0; k < 4; k++)
				a[k] += v->v.f64[i + k];
		for (; i < n; i++)
			a[0] += v->v.f64[i];
		fs = (a[0] + a[1]) + (a[2] + a[3]);
		break;
	}
	case FR_VEC_BOOL:
		for (int64_t i = 0; i < n; i++)
			is += v->v.b[i];
		break;
	case FR_VEC_DICT: {
		int64_t *len = malloc(((size_t)v->dict.n + 1) * sizeof *len);
		if (!len)
			abort();
		for (uint32_t c = 0; c < v->dict.n; c++)
			len[c] = v->dict.off[c + 1] - v->dict.off[c];
		int64_t a[4] = { 0, 0, 0, 0 };
		for (int64_t w = 0; w * 64 < n; w++) {
			int64_t base = w * 64, cnt = n - base < 64 ? n - base : 64;
			uint64_t m = v->valid ? v->valid[w] : ~(uint64_t)0;
			if (cnt == 64 && m == ~(uint64_t)0) {
				for (int64_t i = base; i < base + 64; i += 4)
					for (int k = 0; k < 4; k++)
						a[k] += len[v->v.codes[i + k]];
				continue;
			}
			if (cnt < 64)
				m &= ((uint64_t)1 << cnt) - 1;
			for (; m; m &= m - 1)
				a[0] += len[v->v.codes[base + __builtin_ctzll(m)]];
		}
		is = a[0] + a[1] + a[2] + a[3];
		free(len);
		break;
	}
	case FR_VEC_BIN:
		for (int64_t i = 0; i < n; i++)
			if (fr_vec_valid(v, i))
				is += v->dict.off[i + 1] - v->dict.off[i];
		break;
	}
	s->isum += is;
	s->fsum += fs;
}

static int resolve(fr_pq_file *f, bench *b, int *idx, fr_err *err)
{
	for (int c = 0; c < b->ncols; c++) {
		idx[c] = fr_pq_column_index(f, b->cols[c]);
		if (idx[c] < 0)
			return fr_err_set(err, FR_ENOTFOUND, "%s: no column '%s'", fr_pq_name(f),
				b->cols[c]);
	}
	return 0;
}

/* Loads every requested column of one file into a fresh arena; adds to st. */
static int load_file(bench *b, const char *path, col_stat *st, fr_err *err)
{
	fr_pq_file *f = NULL;
	fr_arena *a = NULL;
	int idx[MAX_COLS];
	int rc = fr_pq_open_path(path, &f, err);
	if (rc)
		return rc;
	if ((rc = resolve(f, b, idx, err)))
		goto out;
	if (!(a = fr_arena_new(0))) {
		rc = fr_err_set(err, FR_ENOMEM, "%s: out of memory", path);
		goto out;
	}
	for (int c = 0; c < b->ncols; c++) {
		fr_vec v;
		if ((rc = fr_pq_load_column(f, idx[c], NULL, a, &v, err)))
			goto out;
		st[c].kind = v.kind;
		st[c].values += v.len;
		st[c].bytes += vec_bytes(&v);
		checksum(&v, &st[c]);
	}
out:
	fr_arena_free(a);
	fr_pq_close(f);
	return rc;
}

static void *floor_worker(void *arg)
{
	bench *b = arg;
	col_stat st[MAX_COLS];
	memset(st, 0, sizeof st);
	fr_err err = { 0 };
	int i;
	while ((i = atomic_fetch_add(&b->next, 1)) < b->nfiles) {
		if (load_file(b, b->files[i % b->nfiles], st, &err)) {
			pthread_mutex_lock(&b->lock);
			if (!b->failed) {
				b->failed = 1;
				b->err = err;
			}
			pthread_mutex_unlock(&b->lock);
			return NULL;
		}
	}
	pthread_mutex_lock(&b->lock);
	for (int c = 0; c < b->ncols; c++) {
		b->st[c].kind = st[c].kind;
		b->st[c].values += st[c].values;
		b->st[c].bytes += st[c].bytes;
		b->st[c].isum += st[c].isum;
		b->st[c].fsum += st[c].fsum;
	}
	pthread_mutex_unlock(&b->lock);
	return NULL;
}

static const char *kind_name(fr_vec_kind k)
{
	switch (k) {
	case FR_VEC_I64: return "i64";
	case FR_VEC_F64: return "f64";
	case FR_VEC_BOOL: return "bool";
	case FR_VEC_DICT: return "dict";
	case FR_VEC_BIN: return "bin";
	}
	return "?";
}

static long peak_rss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static void print_cols(const bench *b, const col_stat *st)
{
	printf("\"columns\":[");
	for (int c = 0; c < b->ncols; c++)
		printf("%s{\"name\":\"%s\",\"kind\":\"%s\",\"values\":%lld,\"bytes\":%lld,"
			"\"best_s\":%.6f,\"best_cpu_s\":%.6f,\"isum\":\"%lld\",\"fsum\":%.17g}", c ? "," : "", b->cols[c],
			kind_name(st[c].kind), (long long)st[c].values, (long long)st[c].bytes,
			st[c].best_s, st[c].best_cpu_s, (long long)st[c].isum, st[c].fsum);
	printf("]");
}

/* Per-column mode: each column of the first file loaded alone, best of `repeat`, one thread. */
static int run_columns(bench *b)
{
	fr_pq_file *f = NULL;
	int idx[MAX_COLS];
	fr_err err = { 0 };
	if (fr_pq_open_path(b->files[0], &f, &err) || resolve(f, b, idx, &err)) {
		fprintf(stderr, "bench_decode: %s\n", err.msg);
		fr_pq_close(f);
		return 1;
	}
	for (int c = 0; c < b->ncols; c++) {
		col_stat *s = &b->st[c];
		s->best_s = 1e30;
		s->best_cpu_s = 1e30;
		for (int r = 0; r < b->repeat; r++) {
			fr_arena *a = fr_arena_new(0);
			fr_vec v;
			col_stat one = { 0 };
			if (!a) {
				fprintf(stderr, "bench_decode: out of memory\n");
				fr_pq_close(f);
				return 1;
			}
			double t0 = now_s(), c0 = cpu_s(CLOCK_THREAD_CPUTIME_ID);
			if (fr_pq_load_column(f, idx[c], NULL, a, &v, &err)) {
				fprintf(stderr, "bench_decode: %s\n", err.msg);
				fr_arena_free(a);
				fr_pq_close(f);
				return 1;
			}
			checksum(&v, &one);
			double t = now_s() - t0, tc = cpu_s(CLOCK_THREAD_CPUTIME_ID) - c0;
			if (t < s->best_s)
				s->best_s = t;
			if (tc < s->best_cpu_s)
				s->best_cpu_s = tc;
			s->kind = v.kind;
			s->values = v.len;
			s->bytes = vec_bytes(&v);
			s->isum = one.isum;
			s->fsum = one.fsum;
			fr_arena_free(a);
		}
	}
	fr_pq_close(f);
	printf("{\"mode\":\"columns\",\"file\":\"%s\",\"repeat\":%d,", b->files[0], b->repeat);
	print_cols(b, b->st);
	printf(",\"peak_rss_kb\":%ld}\n", peak_rss_kb());
	return 0;
}

/* Floor mode: all columns of all files, files shared out to `threads` threads; best of `repeat`
 * wall times (sums are of the last round). */
static int run_floor(bench *b)
{
	double best = 1e30, best_cpu = 1e30;
	pthread_t th[256];
	for (int r = 0; r < b->repeat; r++) {
		memset(b->st, 0, sizeof b->st);
		atomic_store(&b->next, 0);
		double t0 = now_s(), c0 = cpu_s(CLOCK_PROCESS_CPUTIME_ID);
		int started = 0;
		for (int t = 0; t < b->threads; t++) {
			if (pthread_create(&th[t], NULL, floor_worker, b))
				break;
			started++;
		}
		for (int t = 0; t < started; t++)
			pthread_join(th[t], NULL);
		double el = now_s() - t0, elc = cpu_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
		if (started == 0) {
			fprintf(stderr, "bench_decode: cannot start threads\n");
			return 1;
		}
		if (b->failed) {
			fprintf(stderr, "bench_decode: %s\n", b->err.msg);
			return 1;
		}
		if (el < best)
			best = el;
		if (elc < best_cpu)
			best_cpu = elc;
	}
	printf("{\"mode\":\"floor\",\"files\":%d,\"threads\":%d,\"repeat\":%d,\"best_s\":%.6f,"
		"\"best_cpu_s\":%.6f,", b->nfiles, b->threads, b->repeat, best, best_cpu);
	print_cols(b, b->st);
	printf(",\"peak_rss_kb\":%ld}\n", peak_rss_kb());
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: bench_decode --columns A,B,... [--threads N] [--repeat R] [--floor] FILE...\n"
		"  default: load each column of the first FILE alone on one thread, best of R\n"
		"  --floor: load all the columns of every FILE, files shared by N threads, best of R\n"
		"Prints one JSON line: per column kind, values, decoded bytes, best time, checksums.\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "columns", required_argument, NULL, 'c' },
		{ "threads", required_argument, NULL, 't' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "floor", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static bench b;
	char *colspec = NULL;
	int floor_mode = 0;
	int c;
	b.threads = 1;
	b.repeat = 5;
	pthread_mutex_init(&b.lock, NULL);
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': colspec = optarg; break;
		case 't': b.threads = atoi(optarg); break;
		case 'r': b.repeat = atoi(optarg); break;
		case 'f': floor_mode = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!colspec || optind >= argc || b.threads < 1 || b.threads > 256 || b.repeat < 1) {
		usage(stderr);
		return 2;
	}
	for (char *tok = strtok(colspec, ","); tok; tok = strtok(NULL, ",")) {
		if (b.ncols == MAX_COLS) {
			fprintf(stderr, "bench_decode: at most %d columns\n", MAX_COLS);
			return 2;
		}
		b.cols[b.ncols++] = tok;
	}
	b.files = argv + optind;
	b.nfiles = argc - optind;
	return floor_mode ? run_floor(&b) : run_columns(&b);
}
