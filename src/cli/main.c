/* `frocket`: thin dispatcher to the subcommands in src/cli/cmd_*.c. */
#include "config.h"
#include "cli/cli.h"
#include "core/error.h"
#include "core/log.h"

#include <stdio.h>
#include <string.h>

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

int main(int argc, char **argv)
{
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
				return 2;
			}
			fr_cli.loglevel = argv[++i];
		} else if (!strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--version")) {
			printf("frocket %s\n", PACKAGE_VERSION);
			return 0;
		} else {
			fprintf(stderr, "frocket: unknown option '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (i >= argc) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "help")) {
		usage(stdout);
		return 0;
	}
	fr_err err = { 0 };
	if (fr_log_init(0, &err)) {
		fprintf(stderr, "frocket: %s\n", err.msg);
		return 2;
	}
	if (fr_cli.loglevel)
		fr_log_set_level((fr_log_level)fr_log_parse_level(fr_cli.loglevel));
	for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
		if (!strcmp(argv[i], commands[k].name))
			return commands[k].fn(argc - i, argv + i);
	fprintf(stderr, "frocket: unknown command '%s'\n", argv[i]);
	usage(stderr);
	return 2;
}
