/* `frocket query`: runs a query over Parquet files directly (no registration), one part per
 * file on a thread pool, loading only the columns the query uses; prints the response. */
#include "cli/cli.h"
#include "kernels/kernels.h"

#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/file.h"
#include "core/log.h"
#include "core/pool.h"
#include "parquet/parquet.h"
#include "query/jw.h"
#include "query/query.h"

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: frocket query --group-id COL --timestamp COL\n"
	        "                     (--file FILE | --string JSON | --empty) [--nopretty] PATH...\n"
	        "\n"
	        "Runs a query document over Parquet files, one part per file, and prints the\n"
	        "response as JSON on stdout.\n"
	        "  -g, --group-id COL    group id column (INT or STRING)\n"
	        "  -t, --timestamp COL   timestamp column (INT or FLOAT)\n"
	        "  -f, --file FILE       read the query document from FILE ('-' = stdin)\n"
	        "  -s, --string JSON     the query document itself (also --string-s)\n"
	        "  -e, --empty           the empty query {}\n"
	        "      --nopretty        print the response on one line\n"
	        "Environment: FROCKET_LOCAL_THREADS (default: number of cores),\n"
	        "FROCKET_AGGREGATIONS_TOP_DEFAULT_COUNT, FROCKET_AGGREGATIONS_TOP_GRACE_FACTOR,\n"
	        "FROCKET_AGGREGATIONS_EXACT_LIMIT, FROCKET_SIMD=scalar.\n"
	        "Each PATH must be a regular file, given once (the same file under two names is\n"
	        "refused).\n"
	        "Exit status: 0 success, 1 a part or file could not be read or the output could\n"
	        "not be written, 2 usage error (a part given twice included), invalid query or\n"
	        "bad FROCKET_* setting.\n");
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads the whole query document from path ('-' = stdin), at most one byte past the limit:
 * that byte is enough to refuse it, and a huge file or an endless pipe is never read whole.
 * A path that is not a regular file (FIFO, directory, device) is refused without blocking;
 * stdin may be anything (a pipe is the normal case).  *too_big is set past the limit. */
static int read_query_file(const char *path, fr_buf *b, int *too_big, fr_err *err)
{
	int is_stdin = !strcmp(path, "-");
	const char *name = is_stdin ? "stdin" : path;
	int fd = STDIN_FILENO;
	struct stat st;
	*too_big = 0;
	if (!is_stdin && fr_file_open_regular(path, &fd, &st, err))
		return err->code;
	char chunk[65536];
	int rc = 0;
	for (;;) {
		ssize_t n = read(fd, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = fr_err_set(err, FR_EIO, "%s: %s", name, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if (fr_buf_append(b, chunk, (size_t)n)) {
			rc = fr_err_set(err, FR_ENOMEM, "%s: out of memory", name);
			break;
		}
		if (b->len > FR_QUERY_MAX_DOC_BYTES) {
			*too_big = 1;
			break;
		}
	}
	if (!is_stdin)
		close(fd);
	return rc;
}

typedef struct part {
	const char *path;
	struct stat st;         /* identity (duplicates) and size, from stat() up front */
	fr_pq_file *f;          /* open only while its task runs */
	fr_qresult *res;
	fr_err err;
	double load_s, run_s;
} part;

typedef struct job {
	const fr_query *q;
	const fr_qschema *schema;
	part *parts;
} job;

static int load_and_run(job *j, part *p)
{
	const fr_query *q = j->q;
	const fr_qschema *s = j->schema;
	int nrg = fr_pq_num_row_groups(p->f);
	uint8_t *keep = calloc((size_t)(nrg > 0 ? nrg : 1), 1);
	const fr_vec **cols = calloc((size_t)s->ncols, sizeof *cols);
	fr_vec *vecs = calloc((size_t)s->ncols, sizeof *vecs);
	fr_arena *a = fr_arena_new(0);
	int rc = 0;
	double t0 = now_s();
	if (!keep || !cols || !vecs || !a) {
		rc = fr_err_set(&p->err, FR_ENOMEM, "%s: out of memory", p->path);
		goto out;
	}
	memset(keep, 1, (size_t)(nrg > 0 ? nrg : 1));
	int tscol = fr_pq_column_index(p->f, s->names[s->ts_col]);
	if (tscol < 0) {
		rc = fr_err_set(&p->err, FR_ENOTFOUND, "%s: no column %s", p->path,
		                s->names[s->ts_col]);
		goto out;
	}
	if ((q->has_from || q->has_to) && s->types[s->ts_col] == FR_TYPE_INT &&
	    (rc = fr_pq_prune_range(p->f, tscol, q->has_from, q->from, q->has_to, q->to, keep,
	                            &p->err)))
		goto out;
	int any = 0;
	for (int i = 0; i < nrg; i++)
		any |= keep[i];
	if (!any) {
		/* Every row group lies outside the timeframe: nothing to load. */
		if ((rc = fr_qresult_new(q, &p->res, &p->err)))
			fr_err_prefix(&p->err, "%s", p->path);
		goto out;
	}
	int64_t nrows = -1;
	for (int c = 0; c < s->ncols; c++) {
		if (!q->used[c])
			continue;
		int fc = fr_pq_column_index(p->f, s->names[c]);
		fr_pq_colinfo ci;
		if (fc < 0) {
			rc = fr_err_set(&p->err, FR_ENOTFOUND, "%s: no column %s", p->path, s->names[c]);
			goto out;
		}
		if ((rc = fr_pq_column_info(p->f, fc, &ci))) {
			fr_err_set(&p->err, FR_ECORRUPT, "%s: cannot read column %s", p->path, s->names[c]);
			goto out;
		}
		if (ci.type != s->types[c]) {
			rc = fr_err_set(&p->err, FR_EINVAL, "%s: column %s is %s here but %s in the "
			                "first part", p->path, s->names[c], fr_coltype_name(ci.type),
			                fr_coltype_name(s->types[c]));
			goto out;
		}
		double tc = now_s();
		if ((rc = fr_pq_load_column(p->f, fc, keep, a, &vecs[c], &p->err)))
			goto out;
		FR_DEBUG("query", "%s: column %s loaded in %.1f ms", p->path, s->names[c],
		         (now_s() - tc) * 1e3);
		if (nrows >= 0 && vecs[c].len != nrows) {
			rc = fr_err_set(&p->err, FR_ECORRUPT, "%s: column %s has %lld rows, others %lld",
			                p->path, s->names[c], (long long)vecs[c].len, (long long)nrows);
			goto out;
		}
		nrows = vecs[c].len;
		cols[c] = &vecs[c];
	}
	double t1 = now_s();
	p->load_s = t1 - t0;
	fr_qpart qp = { .nrows = nrows < 0 ? 0 : nrows, .cols = cols };
	if (s->types[s->group_col] == FR_TYPE_INT) {
		int gc = fr_pq_column_index(p->f, s->names[s->group_col]);
		qp.group_hint.has_range = gc >= 0 &&
			fr_pq_int_range(p->f, gc, keep, &qp.group_hint.min, &qp.group_hint.max);
	}
	if ((rc = fr_query_exec(q, &qp, &p->res, &p->err)))
		fr_err_prefix(&p->err, "%s", p->path);
	p->run_s = now_s() - t1;
out:
	/* The part's columns go as soon as its result is built. */
	fr_arena_free(a);
	free(vecs);
	free(cols);
	free(keep);
	return rc;
}

static void run_task(void *arg, int i)
{
	job *j = arg;
	part *p = &j->parts[i];
	/* Opened here, not up front: at most one descriptor and mapping per thread, so the
	 * number of parts is not bounded by the open-file limit. */
	if (fr_pq_open_path(p->path, &p->f, &p->err))
		return;
	if (load_and_run(j, p) && !p->err.code)
		fr_err_set(&p->err, FR_EIO, "%s: failed", p->path);
	/* Unmap the file now: its touched pages would otherwise stay resident until the end. */
	fr_pq_close(p->f);
	p->f = NULL;
}

/* Dataset schema from the first part (query.md §0: Parquet types -> dataset types). */
static int build_schema(fr_pq_file *f, fr_qschema *s, const char *gid, const char *ts,
                        fr_err *err)
{
	int n = fr_pq_num_columns(f);
	const char **names = calloc((size_t)(n > 0 ? n : 1), sizeof *names);
	fr_coltype *types = calloc((size_t)(n > 0 ? n : 1), sizeof *types);
	if (!names || !types) {
		free(names);
		free(types);
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	}
	s->ncols = 0;
	s->group_col = s->ts_col = -1;
	for (int c = 0; c < n; c++) {
		fr_pq_colinfo ci;
		if (fr_pq_column_info(f, c, &ci)) {
			s->names = names;
			s->types = types;
			return fr_err_set(err, FR_ECORRUPT, "%s: cannot read column %d", fr_pq_name(f), c);
		}
		if (ci.nested || ci.type == FR_TYPE_NONE)
			continue;
		if (!strcmp(ci.name, gid))
			s->group_col = s->ncols;
		if (!strcmp(ci.name, ts))
			s->ts_col = s->ncols;
		/* copied: the schema outlives the file, which is closed after its part runs */
		if (!(names[s->ncols] = strdup(ci.name))) {
			s->names = names;
			s->types = types;
			return fr_err_set(err, FR_ENOMEM, "out of memory");
		}
		types[s->ncols++] = ci.type;
	}
	s->names = names;
	s->types = types;
	if (s->group_col < 0)
		return fr_err_set(err, FR_ENOTFOUND, "group id column '%s' is not a supported column "
		                  "of %s", gid, fr_pq_name(f));
	if (s->ts_col < 0)
		return fr_err_set(err, FR_ENOTFOUND, "timestamp column '%s' is not a supported column "
		                  "of %s", ts, fr_pq_name(f));
	fr_coltype gt = types[s->group_col], tt = types[s->ts_col];
	if (gt != FR_TYPE_INT && gt != FR_TYPE_STRING)
		return fr_err_set(err, FR_EINVAL, "group id column '%s' is %s; it must be INT or "
		                  "STRING", gid, fr_coltype_name(gt));
	if (tt != FR_TYPE_INT && tt != FR_TYPE_FLOAT)
		return fr_err_set(err, FR_EINVAL, "timestamp column '%s' is %s; it must be INT or "
		                  "FLOAT", ts, fr_coltype_name(tt));
	return 0;
}

static void print_doc(fr_buf *b)
{
	fwrite(b->data, 1, b->len, stdout);
	fputc('\n', stdout);
	fflush(stdout);
}

/* A part that cannot be read or run: the message (which names the file) on stderr, and the
 * failure document on stdout.  Returns the exit status. */
static int print_failure(const char *msg, int pretty)
{
	fr_buf b = FR_BUF_INIT;
	fr_jw w;
	fprintf(stderr, "frocket query: %s\n", msg);
	fr_jw_init(&w, &b, pretty);
	fr_jw_open(&w, '{');
	fr_jw_key(&w, "errorMessage");
	fr_jw_str(&w, msg);
	fr_jw_key(&w, "success");
	fr_jw_bool(&w, 0);
	fr_jw_close(&w, '}');
	print_doc(&b);
	fr_buf_free(&b);
	return 1;
}

/* Two parts that are the same file: FR_EINVAL naming both paths. */
static int cmp_ident(const void *a, const void *b)
{
	const part *x = *(part *const *)a, *y = *(part *const *)b;
	if (x->st.st_dev != y->st.st_dev)
		return x->st.st_dev < y->st.st_dev ? -1 : 1;
	if (x->st.st_ino != y->st.st_ino)
		return x->st.st_ino < y->st.st_ino ? -1 : 1;
	return x < y ? -1 : x > y;   /* argument order, for a stable first pair */
}

static int find_duplicate(part *parts, int n, fr_err *err)
{
	part **v = malloc((size_t)n * sizeof *v);
	if (!v)
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	for (int i = 0; i < n; i++)
		v[i] = &parts[i];
	qsort(v, (size_t)n, sizeof *v, cmp_ident);
	int rc = 0;
	for (int i = 1; i < n && !rc; i++)
		if (v[i]->st.st_dev == v[i - 1]->st.st_dev && v[i]->st.st_ino == v[i - 1]->st.st_ino)
			rc = fr_err_set(err, FR_EINVAL, "%s and %s are the same file; give each part "
			                "once", v[i - 1]->path, v[i]->path);
	free(v);
	return rc;
}

static int print_invalid(const fr_qerror *qe, int pretty)
{
	fr_buf b = FR_BUF_INIT;
	fr_jw w;
	fr_jw_init(&w, &b, pretty);
	fr_jw_open(&w, '{');
	fr_jw_key(&w, "errorKind");
	fr_jw_str(&w, fr_qerr_kind_name(qe->kind));
	fr_jw_key(&w, "errorMessage");
	fr_jw_str(&w, qe->msg);
	fr_jw_key(&w, "success");
	fr_jw_bool(&w, 0);
	fr_jw_close(&w, '}');
	print_doc(&b);
	fr_buf_free(&b);
	return 2;
}

static void write_timing(fr_jw *w, const char *key, const part *parts, int n, int load)
{
	double mn = 0, mx = 0, sum = 0;
	for (int i = 0; i < n; i++) {
		double v = load ? parts[i].load_s : parts[i].run_s;
		if (i == 0 || v < mn)
			mn = v;
		if (i == 0 || v > mx)
			mx = v;
		sum += v;
	}
	if (n == 0)
		return;
	fr_jw_key(w, key);
	fr_jw_open(w, '{');
	fr_jw_key(w, "max");
	fr_jw_double(w, mx);
	fr_jw_key(w, "mean");
	fr_jw_double(w, sum / n);
	fr_jw_key(w, "min");
	fr_jw_double(w, mn);
	fr_jw_close(w, '}');
}

int fr_cmd_query(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "group-id", required_argument, NULL, 'g' },
		{ "timestamp", required_argument, NULL, 't' },
		{ "file", required_argument, NULL, 'f' },
		{ "string", required_argument, NULL, 's' },
		{ "string-s", required_argument, NULL, 's' },
		{ "empty", no_argument, NULL, 'e' },
		{ "nopretty", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *gid = NULL, *ts = NULL, *file = NULL, *str = NULL;
	int empty = 0, sources = 0, pretty = 1, c;
	optind = 1;
	opterr = 1;
	while ((c = getopt_long(argc, argv, "g:t:f:s:eh", opts, NULL)) != -1) {
		switch (c) {
		case 'g': gid = optarg; break;
		case 't': ts = optarg; break;
		case 'f': file = optarg; sources++; break;
		case 's': str = optarg; sources++; break;
		case 'e': empty = 1; sources++; break;
		case 'P': pretty = 0; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	int nparts = argc - optind;
	if (!gid || !ts || sources != 1 || nparts < 1) {
		fprintf(stderr, "frocket query: %s\n",
		        !gid ? "--group-id is required" : !ts ? "--timestamp is required" :
		        sources != 1 ? "exactly one of --file, --string, --empty is required" :
		        "at least one Parquet file is required");
		usage(stderr);
		return 2;
	}
	fr_err kerr = { 0 };
	if (fr_kern_init(&kerr)) {   /* a bad FROCKET_SIMD is an error, not a silent fallback */
		fprintf(stderr, "frocket query: %s\n", kerr.msg);
		return 2;
	}
	double t_start = now_s();
	int rc = 1;
	/* A fixed mmap threshold keeps large part buffers out of the heap, so freeing a part's
	 * arena returns its memory at once (glibc's sliding threshold would keep it). */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	fr_err err = { 0 };
	fr_buf text = FR_BUF_INIT;
	fr_qschema schema = { 0 };
	fr_arena *qa = NULL;
	fr_pool *pool = NULL;
	fr_qresult *acc = NULL;
	part *parts = calloc((size_t)nparts, sizeof *parts);
	if (!parts) {
		fprintf(stderr, "frocket query: out of memory\n");
		return 1;
	}
	/* The query document; one over the limit is an invalid query whatever its source. */
	int too_big = 0;
	const char *src = file ? (strcmp(file, "-") ? file : "stdin") : empty ? "--empty" : "--string";
	if (file) {
		if (read_query_file(file, &text, &too_big, &err)) {
			fprintf(stderr, "frocket query: %s\n", err.msg);
			goto done;
		}
	} else if (fr_buf_append(&text, empty ? "{}" : str, strlen(empty ? "{}" : str))) {
		fprintf(stderr, "frocket query: out of memory\n");
		goto done;
	}
	if (too_big || text.len > FR_QUERY_MAX_DOC_BYTES) {
		fr_qerror big = { .kind = FR_QERR_SCHEMA };
		snprintf(big.msg, sizeof big.msg, "%s: query document is larger than 8 MiB (%u bytes)",
		         src, FR_QUERY_MAX_DOC_BYTES);
		fprintf(stderr, "frocket query: %s\n", big.msg);
		rc = print_invalid(&big, pretty);
		goto done;
	}
	/* Every part is a regular file that exists (stat, nothing opened yet), and no file is
	 * given twice: the same file under two names (a/x and a/../a/x, a symlink, a hard link)
	 * would be counted twice. */
	uint64_t total_size = 0;
	for (int i = 0; i < nparts; i++) {
		parts[i].path = argv[optind + i];
		if (fr_file_stat_regular(parts[i].path, &parts[i].st, &parts[i].err)) {
			print_failure(parts[i].err.msg, pretty);
			goto done;
		}
		total_size += (uint64_t)parts[i].st.st_size;
	}
	if (find_duplicate(parts, nparts, &err)) {
		fprintf(stderr, "frocket query: %s\n", err.msg);
		rc = 2;
		goto done;
	}
	/* The schema comes from the first part, opened once here and closed again. */
	fr_pq_file *first;
	if (fr_pq_open_path(parts[0].path, &first, &err)) {
		print_failure(err.msg, pretty);
		goto done;
	}
	int srcs = build_schema(first, &schema, gid, ts, &err);
	fr_pq_close(first);
	if (srcs) {
		fprintf(stderr, "frocket query: %s\n", err.msg);
		rc = 2;
		goto done;
	}
	qa = fr_arena_new(0);
	fr_query *q;
	fr_qerror qe;
	if (!qa) {
		fprintf(stderr, "frocket query: out of memory\n");
		goto done;
	}
	if (fr_query_parse(text.data ? (const char *)text.data : "", text.len, &schema, qa, &q,
	                   &qe)) {
		rc = print_invalid(&qe, pretty);
		goto done;
	}
	int threads = fr_pool_default_threads(&err);
	if (threads < 0) {
		fprintf(stderr, "frocket query: %s\n", err.msg);
		rc = 2;
		goto done;
	}
	if (threads > nparts)
		threads = nparts;
	if (fr_pool_new(threads, &pool, &err)) {
		fprintf(stderr, "frocket query: %s\n", err.msg);
		goto done;
	}
	job j = { .q = q, .schema = &schema, .parts = parts };
	fr_pool_run(pool, nparts, run_task, &j);
	if (fr_qresult_new(q, &acc, &err)) {
		fprintf(stderr, "frocket query: %s\n", err.msg);
		goto done;
	}
	int failed = 0;
	for (int i = 0; i < nparts; i++) {
		if (parts[i].err.code || !parts[i].res) {
			if (!failed)
				print_failure(parts[i].err.msg, pretty);
			else
				fprintf(stderr, "frocket query: %s\n", parts[i].err.msg);
			failed = 1;
			continue;
		}
		if (!failed && fr_qresult_merge(q, acc, parts[i].res, &err)) {
			fprintf(stderr, "frocket query: %s\n", err.msg);
			goto done;
		}
	}
	if (failed)
		goto done;
	fr_buf out = FR_BUF_INIT;
	fr_jw w;
	fr_jw_init(&w, &out, pretty);
	fr_jw_open(&w, '{');
	if (fr_qresult_write(q, acc, &w)) {
		fr_buf_free(&out);
		fprintf(stderr, "frocket query: out of memory writing the response\n");
		goto done;
	}
	fr_jw_key(&w, "stats");
	fr_jw_open(&w, '{');
	fr_jw_key(&w, "dataset");
	fr_jw_open(&w, '{');
	fr_jw_key(&w, "parts");
	fr_jw_int(&w, nparts);
	fr_jw_key(&w, "totalSize");
	fr_jw_int(&w, (int64_t)total_size);
	fr_jw_close(&w, '}');
	fr_jw_key(&w, "invoker");
	fr_jw_open(&w, '{');
	fr_jw_key(&w, "failedTasks");
	fr_jw_int(&w, 0);
	fr_jw_key(&w, "totalTasks");
	fr_jw_int(&w, nparts);
	fr_jw_close(&w, '}');
	fr_jw_key(&w, "totalTime");
	fr_jw_double(&w, now_s() - t_start);
	fr_jw_key(&w, "worker");
	fr_jw_open(&w, '{');
	write_timing(&w, "loadTime", parts, nparts, 1);
	fr_jw_key(&w, "scannedGroups");
	fr_jw_int(&w, acc->scanned_groups);
	fr_jw_key(&w, "scannedRows");
	fr_jw_int(&w, acc->scanned_rows);
	write_timing(&w, "totalTime", parts, nparts, 0);
	fr_jw_close(&w, '}');
	fr_jw_close(&w, '}');
	fr_jw_key(&w, "success");
	fr_jw_bool(&w, 1);
	fr_jw_close(&w, '}');
	if (fr_jw_status(&w)) {
		fprintf(stderr, "frocket query: out of memory writing the response\n");
	} else {
		print_doc(&out);
		rc = 0;
	}
	fr_buf_free(&out);
done:
	fr_qresult_free(acc);
	fr_pool_free(pool);
	for (int i = 0; i < nparts; i++) {
		fr_qresult_free(parts[i].res);
		fr_pq_close(parts[i].f);
	}
	free(parts);
	fr_arena_free(qa);
	for (int i = 0; i < schema.ncols; i++)
		free((void *)schema.names[i]);
	free((void *)schema.names);
	free((void *)schema.types);
	fr_buf_free(&text);
	return rc;
}
