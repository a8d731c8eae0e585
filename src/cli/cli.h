/* The `frocket` command's subcommands and what they share.  Each returns the exit status. */
#ifndef FR_CLI_H
#define FR_CLI_H

#include "core/buf.h"
#include "core/error.h"
#include "invoker/invoker.h"

int fr_cmd_inspect(int argc, char **argv);
int fr_cmd_gen(int argc, char **argv);
int fr_cmd_repartition(int argc, char **argv);
int fr_cmd_query(int argc, char **argv);
int fr_cmd_register(int argc, char **argv);
int fr_cmd_list(int argc, char **argv);
int fr_cmd_info(int argc, char **argv);
int fr_cmd_run(int argc, char **argv);
int fr_cmd_unregister(int argc, char **argv);
int fr_cmd_config(int argc, char **argv);

/* The original's global options, given before the command (interfaces.md §2.2). */
typedef struct fr_cli_globals {
	int pretty;                /* 0 with --nopretty */
	int trim;                  /* 0 with --notrim */
	int color;                 /* 0 with --nocolor */
	const char *loglevel;      /* --loglevel, NULL when not given */
} fr_cli_globals;
extern fr_cli_globals fr_cli;

/* The query document from exactly one source: --file (a regular file, or '-' for stdin),
 * --string, or --empty.  At most FR_QUERY_MAX_DOC_BYTES.  FR_ENOTFOUND ("File not found:
 * F"), FR_EINVAL (not a regular file), FR_ELIMIT, FR_EIO with a message. */
int fr_cli_read_query(const char *file, const char *str, int empty, fr_buf *b, fr_err *err);
/* Loads the settings and starts the invoker; on failure prints the error and returns the
 * exit status (2 for a bad setting), else 0. */
int fr_cli_invoker(const char *cmd, fr_invoker **out);

/* The progress line of register and run, drawn on stderr when it is a terminal. */
typedef struct fr_cli_bar {
	const char *label;
	int rows;                  /* show scanned rows (query jobs) */
	int enabled;
} fr_cli_bar;
void fr_cli_bar_init(fr_cli_bar *b, const char *label, int rows);
void fr_cli_progress(void *arg, const fr_job_progress *p);

/* Prints a job's document on stdout and, when it failed, its message (and FAILED in pretty
 * mode) on stderr.  Returns 0 for success, else 1. */
int fr_cli_print_job(const char *cmd, const fr_job_out *o);

#endif
