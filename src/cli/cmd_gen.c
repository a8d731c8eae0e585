/* `frocket gen`: parses the options of the synthetic dataset generator (src/tools/gen.c). */
#include "cli/cli.h"
#include "tools/args.h"
#include "tools/gen.h"
#include "tools/outset.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: frocket gen --out DIR [--parts N] [--rows R] [--users U] [--seed S]\n"
		"                   [--codec C] [--sorted] [--row-group-rows N] [--threads N] [--page-v2]\n"
		"\n"
		"Writes a synthetic e-commerce event dataset (RetailRocket-like) as DIR/part-00000.parquet...,\n"
		"partitioned by visitorid.  The same options always give byte-identical files.\n"
		"\n"
		"  --out DIR            output directory (created if missing)\n"
		"  --parts N            number of part files, 1 to 10000 (default 8)\n"
		"  --rows R             total events, k/M/G suffixes allowed (default 2.5M)\n"
		"  --users U            distinct visitors (default rows/2)\n"
		"  --seed S             random seed (default 1)\n"
		"  --codec C            snappy (default), zstd, gzip or none\n"
		"  --sorted             rows ordered by visitorid, timestamp (default: shuffled)\n"
		"  --row-group-rows N   rows per row group (default 262144)\n"
		"  --threads N          parts written in parallel, 0 to 1024 (default 0: number of CPUs)\n"
		"  --page-v2            write data pages v2 (default v1, the most widely read)\n"
		"  --no-progress        never draw the progress bar\n");
}

int fr_cmd_gen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "parts", required_argument, NULL, 'p' },
		{ "rows", required_argument, NULL, 'r' },
		{ "users", required_argument, NULL, 'u' },
		{ "seed", required_argument, NULL, 's' },
		{ "codec", required_argument, NULL, 'c' },
		{ "sorted", no_argument, NULL, 'S' },
		{ "row-group-rows", required_argument, NULL, 'g' },
		{ "threads", required_argument, NULL, 't' },
		{ "no-progress", no_argument, NULL, 'P' },
		{ "page-v2", no_argument, NULL, '2' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	fr_gen_opts o;
	fr_gen_opts_default(&o);
	fr_err err = { 0 };
	int64_t v;
	int c, rc = 0, users_set = 0;
	optind = 1;
	while (!rc && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'o': o.out = optarg; break;
		case 'S': o.sorted = 1; break;
		case 'P': o.progress = 0; break;
		case '2': o.page_v2 = 1; break;
		case 'h': usage(stdout); return 0;
		case 'c': rc = fr_args_codec(optarg, &o.codec, &err); break;
		case 'p': rc = fr_args_parts(optarg, &o.parts, &err); break;
		case 'r':
			rc = fr_args_range("--rows", optarg, 1, FR_GEN_MAX_ROWS, &o.rows, &err);
			break;
		case 'u':
			/* Its upper bound is --rows, checked once every option is read. */
			rc = fr_args_range("--users", optarg, 1, FR_GEN_MAX_ROWS, &o.users, &err);
			users_set = 1;
			break;
		case 's':
			if (!(rc = fr_args_count("--seed", optarg, &v, &err)))
				o.seed = (uint64_t)v;
			break;
		case 'g':
			rc = fr_args_range("--row-group-rows", optarg, 1, FR_GEN_MAX_ROW_GROUP_ROWS,
				&o.row_group_rows, &err);
			break;
		case 't':
			if (!(rc = fr_args_range("--threads", optarg, 0, FR_GEN_MAX_THREADS, &v, &err)))
				o.threads = (int)v;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (rc) {
		fprintf(stderr, "frocket gen: %s\n", err.msg);
		return 2;
	}
	if (users_set && o.users > o.rows) {
		fprintf(stderr, "frocket gen: --users must be between 1 and --rows (%lld), not %lld\n",
			(long long)o.rows, (long long)o.users);
		return 2;
	}
	if (optind < argc) {
		fprintf(stderr, "frocket gen: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!o.out) {
		fprintf(stderr, "frocket gen: --out DIR is required\n");
		usage(stderr);
		return 2;
	}
	if (fr_gen_run(&o, &err)) {
		fprintf(stderr, "frocket gen: %s\n", err.msg);
		return 1;
	}
	char msg[1024];
	if (fr_outset_stale_warning(o.out, o.parts, msg, sizeof msg))
		fprintf(stderr, "frocket gen: warning: %s\n", msg);
	return 0;
}
