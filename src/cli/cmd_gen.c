/* `frocket gen`: parses the options of the synthetic dataset generator (src/tools/gen.c). */
#include "cli/cli.h"
#include "tools/args.h"
#include "tools/gen.h"
#include "parquet/compress.h"

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
		"  --parts N            number of part files (default 8)\n"
		"  --rows R             total events, k/M/G suffixes allowed (default 2.5M)\n"
		"  --users U            distinct visitors (default rows/2)\n"
		"  --seed S             random seed (default 1)\n"
		"  --codec C            snappy (default), zstd, gzip or none\n"
		"  --sorted             rows ordered by visitorid, timestamp (default: shuffled)\n"
		"  --row-group-rows N   rows per row group (default 262144)\n"
		"  --threads N          parts written in parallel (default: number of CPUs)\n"
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
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'o': o.out = optarg; break;
		case 'S': o.sorted = 1; break;
		case 'P': o.progress = 0; break;
		case '2': o.page_v2 = 1; break;
		case 'h': usage(stdout); return 0;
		case 'c':
			o.codec = fr_pq_codec_from_name(optarg);
			if (o.codec < 0) {
				fprintf(stderr, "frocket gen: --codec: unknown codec '%s' (snappy, zstd, "
					"gzip, none)\n", optarg);
				return 2;
			}
			break;
		case 'p': case 'r': case 'u': case 's': case 'g': case 't': {
			const char *flag = c == 'p' ? "--parts" : c == 'r' ? "--rows" : c == 'u' ?
				"--users" : c == 's' ? "--seed" : c == 'g' ? "--row-group-rows" : "--threads";
			if (fr_args_count(flag, optarg, &v, &err)) {
				fprintf(stderr, "frocket gen: %s\n", err.msg);
				return 2;
			}
			if ((c == 'p' || c == 't') && v > 1000000) {
				fprintf(stderr, "frocket gen: %s: %lld is too large\n", flag, (long long)v);
				return 2;
			}
			if (c == 'p') o.parts = (int)v;
			else if (c == 'r') o.rows = v;
			else if (c == 'u') o.users = v;
			else if (c == 's') o.seed = (uint64_t)v;
			else if (c == 'g') o.row_group_rows = v;
			else o.threads = (int)v;
			if (c == 'u' && v == 0) {
				fprintf(stderr, "frocket gen: --users must be at least 1\n");
				return 2;
			}
			break;
		}
		default:
			usage(stderr);
			return 2;
		}
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
	char stale[256];
	int nstale = fr_args_stale_parts(o.out, o.parts, stale, sizeof stale);
	if (nstale)
		fprintf(stderr, "frocket %s: warning: %s also holds %d part file%s from another run "
			"(%s...); remove %s before using it as a dataset\n", "gen", o.out, nstale,
			nstale > 1 ? "s" : "", stale, nstale > 1 ? "them" : "it");
	return 0;
}
