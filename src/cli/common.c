/* What the job commands (query, register, run, unregister) share: the global options, the
 * query sources, the invoker, the progress line and how a job's result is printed. */
#include "cli/cli.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/config.h"
#include "core/file.h"
#include "core/log.h"
#include "kernels/kernels.h"

fr_cli_globals fr_cli = { .pretty = 1, .trim = 1, .color = 1 };

int fr_cli_read_query(const char *file, const char *str, int empty, fr_buf *b, fr_err *err)
{
	if (empty || str) {
		const char *s = empty ? "{}" : str;
		size_t n = strlen(s);
		if (n > FR_QUERY_MAX_DOC_BYTES)
			return fr_err_set(err, FR_ELIMIT, "--string: query document is larger than "
			                  "8 MiB (%u bytes)", FR_QUERY_MAX_DOC_BYTES);
		if (fr_buf_append(b, s, n))
			return fr_err_set(err, FR_ENOMEM, "out of memory");
		return 0;
	}
	/* Reads at most one byte past the limit: that byte is enough to refuse the document,
	 * and a huge file or an endless pipe is never read whole.  A path that is not a regular
	 * file is refused without blocking; stdin may be anything (a pipe is the normal case). */
	int is_stdin = !strcmp(file, "-");
	const char *name = is_stdin ? "stdin" : file;
	int fd = STDIN_FILENO;
	struct stat st;
	if (!is_stdin && fr_file_open_regular(file, &fd, &st, err)) {
		if (err->code == FR_ENOTFOUND)
			fr_err_set(err, FR_ENOTFOUND, "File not found: %s", file);
		return err->code;
	}
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
		if (b->len + (size_t)n > FR_QUERY_MAX_DOC_BYTES) {
			rc = fr_err_set(err, FR_ELIMIT, "%s: query document is larger than 8 MiB "
			                "(%u bytes)", name, FR_QUERY_MAX_DOC_BYTES);
			break;
		}
		if (fr_buf_append(b, chunk, (size_t)n)) {
			rc = fr_err_set(err, FR_ENOMEM, "%s: out of memory", name);
			break;
		}
	}
	if (!is_stdin)
		close(fd);
	return rc;
}

int fr_cli_invoker(const char *cmd, fr_invoker **out)
{
	fr_err err = { 0 };
	fr_invoker_opts o;
	/* A fixed mmap threshold keeps large part buffers out of the heap, so freeing a part's
	 * arena returns its memory at once (glibc's sliding threshold would keep it). */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	if (fr_invoker_opts_load(&o, &err)) {
		fprintf(stderr, "frocket %s: %s\n", cmd, err.msg);
		return 2;
	}
	if (fr_invoker_new(&o, out, &err)) {
		fprintf(stderr, "frocket %s: %s\n", cmd, err.msg);
		return 1;
	}
	return 0;
}

static void human(char *buf, size_t n, int64_t v)
{
	if (v >= 1000000000)
		snprintf(buf, n, "%.2fG", (double)v / 1e9);
	else if (v >= 1000000)
		snprintf(buf, n, "%.2fM", (double)v / 1e6);
	else if (v >= 10000)
		snprintf(buf, n, "%.1fk", (double)v / 1e3);
	else
		snprintf(buf, n, "%lld", (long long)v);
}

/* "\r<label> [#####.....] 3/8 tasks  1.2M rows  2.1s" on a terminal only. */
void fr_cli_progress(void *arg, const fr_job_progress *p)
{
	fr_cli_bar *b = arg;
	if (!b->enabled)
		return;
	int done = p->counts[FR_TS_ENDED_SUCCESS];
	int final = !strcmp(p->stage, "DONE");
	int total = p->total > 0 ? p->total : 1;
	int width = 24, fill = width * done / total;
	char bar[32], rows[32];
	for (int i = 0; i < width; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[width] = 0;
	human(rows, sizeof rows, p->rows);
	if (p->total == 0)
		fprintf(stderr, "\r%s %s\033[K", b->label, p->message ? p->message : p->stage);
	else
		fprintf(stderr, "\r%s [%s] %d/%d tasks%s%s%s  %.1fs\033[K", b->label, bar, done,
		        p->total, b->rows ? "  " : "", b->rows ? rows : "", b->rows ? " rows" : "",
		        p->elapsed);
	if (final)
		fputc('\n', stderr);
	fflush(stderr);
}

void fr_cli_bar_init(fr_cli_bar *b, const char *label, int rows)
{
	fr_err err = { 0 };
	int on = 1;
	fr_config_bool("progress", 1, &on, &err);   /* checked at start-up: cannot fail here */
	b->label = label;
	b->rows = rows;
	b->enabled = on && isatty(2);
}

int fr_cli_print_job(const char *cmd, const fr_job_out *o)
{
	if (o->doc.len) {
		fwrite(o->doc.data, 1, o->doc.len, stdout);
		fputc('\n', stdout);
	}
	if (o->outcome == FR_JOB_OK)
		return 0;
	if (o->message[0])
		fprintf(stderr, "frocket %s: %s\n", cmd, o->message);
	if (fr_cli.pretty)
		fprintf(stderr, "FAILED\n");
	return 1;
}
