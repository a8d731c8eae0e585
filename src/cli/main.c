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
};

static void usage(FILE *out)
{
	fprintf(out, "usage: frocket COMMAND [ARGS...]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].help);
	fprintf(out, "\nRun 'frocket COMMAND --help' for the options of a command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("frocket %s\n", PACKAGE_VERSION);
		return 0;
	}
	fr_err err = { 0 };
	if (fr_log_init(0, &err)) {
		fprintf(stderr, "frocket: %s\n", err.msg);
		return 2;
	}
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "frocket: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
