/* `frocket`: thin dispatcher to the subcommands in src/cli/cmd_*.c.
 *
 * Two things are done here once for every command:
 * - the environment (every FROCKET_* setting, core/config) is checked before the command runs,
 *   so a bad value is refused the same way (named with its value, exit 2) by every command;
 * - stdout is checked when the command returns: output lost to a full disk, /dev/full or a
 *   closed stdout is an error (exit 1, "writing to stdout: <cause>"), never a silent exit 0. */
/* fopencookie: _GNU_SOURCE comes from AM_CPPFLAGS */
#include "config.h"
#include "cli/cli.h"
#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "invoker/runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
} commands[] = {
	{ "query", fr_cmd_query, "run a query over Parquet files (one part per file)" },
	{ "inspect", fr_cmd_inspect, "print the schema, metadata or rows of a Parquet file" },
	{ "gen", fr_cmd_gen, "generate a synthetic e-commerce event dataset" },
	{ "repartition", fr_cmd_repartition, "rewrite Parquet files into N parts by group id" },
	{ "register", fr_cmd_register, "register a dataset (the Parquet files of a basepath)" },
	{ "list", fr_cmd_list, "list the registered datasets" },
	{ "info", fr_cmd_info, "print a dataset's information, parts and schema" },
	{ "run", fr_cmd_run, "run a query over a registered dataset" },
	{ "unregister", fr_cmd_unregister, "remove a dataset's registration" },
	{ "config", fr_cmd_config, "print the effective configuration" },
};

static void usage(FILE *out)
{
	fprintf(out, "usage: frocket [--notrim] [--nocolor] [--nopretty] [--loglevel LEVEL] "
	        "COMMAND [ARGS...]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].help);
	fprintf(out, "\nglobal options (before the command):\n"
	        "  --nopretty         results on one line (machine mode)\n"
	        "  --notrim           do not shorten long names and paths in 'list'\n"
	        "  --nocolor          no colour in log lines\n"
	        "  --loglevel LEVEL   debug, info, warning, error or critical\n"
	        "\nRun 'frocket COMMAND --help' for the options of a command.\n");
}

/* A closed standard descriptor would be handed out by the next open(): a part or an output
 * file would become "stdout".  Each closed one gets /dev/null opened the wrong way round
 * (stdin write-only, stdout and stderr read-only), so using it fails with EBADF as it would
 * have, and the failure is reported instead of writing into some other file. */
static void reserve_std_fds(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		int d = open("/dev/null", (fd == 0 ? O_WRONLY : O_RDONLY) | O_NOCTTY);
		if (d >= 0 && d != fd) {
			dup2(d, fd);
			close(d);
		}
	}
}

/* stdout goes through this cookie stream so the cause of the first failed write is kept:
 * stdio forgets it (after a failed write the buffer is dropped and a later fflush succeeds,
 * leaving only ferror() without errno). */
static int out_errno;

static ssize_t out_write(void *cookie, const char *buf, size_t n)
{
	(void)cookie;
	size_t done = 0;
	if (out_errno) {
		errno = out_errno;
		return -1;
	}
	while (done < n) {
		ssize_t w = write(STDOUT_FILENO, buf + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			out_errno = w < 0 ? errno : EIO;
			errno = out_errno;
			return done ? (ssize_t)done : -1;
		}
		done += (size_t)w;
	}
	return (ssize_t)n;
}

static void install_stdout(void)
{
	cookie_io_functions_t fns = { .write = out_write };
	FILE *s = fopencookie(NULL, "w", fns);
	if (!s)
		return;   /* keep the plain stream; ferror() is still checked at the end */
	setvbuf(s, NULL, isatty(STDOUT_FILENO) ? _IOLBF : _IOFBF, 1 << 16);
	stdout = s;   /* glibc: stdout is an ordinary variable */
}

/* Flushes and closes stdout; a failure anywhere along the way is an error on stderr and exit
 * status 1 (or the command's own non-zero status). */
static int finish(const char *cmd, int rc)
{
	int e = 0;
	errno = 0;
	if (fflush(stdout))
		e = out_errno ? out_errno : errno ? errno : EIO;
	if (ferror(stdout) && !e)
		e = out_errno ? out_errno : EIO;
	errno = 0;
	if (fclose(stdout) && !e)
		e = out_errno ? out_errno : errno ? errno : EIO;
	/* close(2) can report a deferred write error (NFS); the descriptor is ours to close */
	if (close(STDOUT_FILENO) && errno != EBADF && errno != EINTR && !e)
		e = errno;
	if (!e)
		return rc;
	fprintf(stderr, "frocket%s%s: writing to stdout: %s\n", cmd ? " " : "", cmd ? cmd : "",
	        strerror(e));
	return rc ? rc : 1;
}

static void report_env(const char *msg, void *ctx)
{
	fprintf(stderr, "frocket %s: %s\n", (const char *)ctx, msg);
}

int main(int argc, char **argv)
{
	reserve_std_fds();
	install_stdout();
	int i = 1;
	for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-' && argv[i][2]; i++) {
		if (!strcmp(argv[i], "--nopretty"))
			fr_cli.pretty = 0;
		else if (!strcmp(argv[i], "--notrim"))
			fr_cli.trim = 0;
		else if (!strcmp(argv[i], "--nocolor"))
			fr_cli.color = 0;
		else if (!strcmp(argv[i], "--loglevel")) {
			if (i + 1 == argc || fr_log_parse_level(argv[i + 1]) < 0) {
				fprintf(stderr, "frocket: --loglevel: %s%s%s is not one of debug, info, "
				        "warning, error, critical\n", i + 1 < argc ? "'" : "",
				        i + 1 < argc ? argv[i + 1] : "a level", i + 1 < argc ? "'" : "");
				return finish(NULL, 2);
			}
			fr_cli.loglevel = argv[++i];
		} else if (!strcmp(argv[i], "--help")) {
			usage(stdout);
			return finish(NULL, 0);
		} else if (!strcmp(argv[i], "--version")) {
			printf("frocket %s\n", PACKAGE_VERSION);
			return finish(NULL, 0);
		} else {
			fprintf(stderr, "frocket: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return finish(NULL, 2);
		}
	}
	if (i >= argc) {
		usage(stderr);
		return finish(NULL, 2);
	}
	if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "help")) {
		usage(stdout);
		return finish(NULL, 0);
	}
	for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++) {
		const char *name = commands[k].name;
		if (strcmp(argv[i], name))
			continue;
		/* Every FROCKET_* setting is checked before any work, each bad one named with its
		 * value; then the ones that need more than parsing (log level, SIMD mode that this
		 * CPU may lack). */
		fr_err err = { 0 };
		if (fr_runtime_init(0, report_env, (void *)name, &err)) {
			if (err.msg[0])
				fprintf(stderr, "frocket %s: %s\n", name, err.msg);
			return finish(name, 2);
		}
		if (fr_cli.loglevel)
			fr_log_set_level((fr_log_level)fr_log_parse_level(fr_cli.loglevel));
		return finish(name, commands[k].fn(argc - i, argv + i));
	}
	fprintf(stderr, "frocket: unknown command '%s'\n", argv[i]);
	usage(stderr);
	return finish(NULL, 2);
}
