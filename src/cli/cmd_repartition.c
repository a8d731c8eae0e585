/* `frocket repartition`: parses options for src/tools/repartition.c. */
#include "cli/cli.h"
#include "tools/args.h"
#include "tools/repartition.h"
#include "parquet/compress.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: frocket repartition --group-id COL --parts N --out DIR [--codec C]\n"
		"                           [--memory MB] [--row-group-rows N] [--page-v2] INPUT...\n"
		"\n"
		"Rewrites flat Parquet files into DIR/part-00000.parquet ... so that every group id\n"
		"lives in exactly one part: part = fmix64(id) %% N for integer ids,\n"
		"fmix64(FNV-1a-64(bytes)) %% N for string ids (null ids go to part 0).\n"
		"\n"
		"  --group-id COL       column holding the group id (integer or string)\n"
		"  --parts N            number of output parts\n"
		"  --out DIR            output directory (created if missing)\n"
		"  --codec C            snappy (default), zstd, gzip or none\n"
		"  --memory MB          memory budget for the whole process (default 512, min 12)\n"
		"  --row-group-rows N   largest output row group (default 1000000)\n"
		"  --page-v2            write data pages v2 (default v1, the most widely read)\n"
		"  --no-progress        never draw the progress bar\n");
}

int fr_cmd_repartition(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "group-id", required_argument, NULL, 'g' },
		{ "parts", required_argument, NULL, 'p' },
		{ "out", required_argument, NULL, 'o' },
		{ "codec", required_argument, NULL, 'c' },
		{ "memory", required_argument, NULL, 'm' },
		{ "row-group-rows", required_argument, NULL, 'r' },
		{ "no-progress", no_argument, NULL, 'P' },
		{ "page-v2", no_argument, NULL, '2' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	fr_repart_opts o;
	fr_repart_opts_default(&o);
	fr_err err = { 0 };
	int64_t v;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'g': o.group_col = optarg; break;
		case 'o': o.out = optarg; break;
		case 'P': o.progress = 0; break;
		case '2': o.page_v2 = 1; break;
		case 'h': usage(stdout); return 0;
		case 'c':
			o.codec = fr_pq_codec_from_name(optarg);
			if (o.codec < 0) {
				fprintf(stderr, "frocket repartition: --codec: unknown codec '%s' (snappy, "
					"zstd, gzip, none)\n", optarg);
				return 2;
			}
			break;
		case 'p': case 'm': case 'r': {
			const char *flag = c == 'p' ? "--parts" : c == 'm' ? "--memory" : "--row-group-rows";
			if (fr_args_count(flag, optarg, &v, &err)) {
				fprintf(stderr, "frocket repartition: %s\n", err.msg);
				return 2;
			}
			if (c == 'p')
				o.parts = v > 1000000 ? 1000000 : (int)v;
			else if (c == 'm')
				o.memory_mb = v;
			else
				o.row_group_rows = v;
			break;
		}
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!o.group_col || !o.out || !o.parts || optind >= argc) {
		fprintf(stderr, "frocket repartition: %s\n", !o.group_col ? "--group-id COL is required"
			: !o.out ? "--out DIR is required" : !o.parts ? "--parts N is required"
			: "no input files");
		usage(stderr);
		return 2;
	}
	o.inputs = (const char *const *)(argv + optind);
	o.ninputs = argc - optind;
	if (fr_repart_run(&o, &err)) {
		fprintf(stderr, "frocket repartition: %s\n", err.msg);
		return 1;
	}
	char stale[256];
	int nstale = fr_args_stale_parts(o.out, o.parts, stale, sizeof stale);
	if (nstale)
		fprintf(stderr, "frocket %s: warning: %s also holds %d part file%s from another run "
			"(%s...); remove %s before using it as a dataset\n", "repartition", o.out, nstale,
			nstale > 1 ? "s" : "", stale, nstale > 1 ? "them" : "it");
	return 0;
}
