/* `frocket repartition`: parses options for src/tools/repartition.c. */
#include "cli/cli.h"
#include "tools/args.h"
#include "tools/repartition.h"
#include "tools/outset.h"

#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: frocket repartition -g|--group-id COL --parts N --out DIR [--codec C]\n"
		"                           [--memory MB] [--row-group-rows N] [--page-v2] INPUT...\n"
		"\n"
		"Rewrites flat Parquet files into DIR/part-00000.parquet ... so that every group id\n"
		"lives in exactly one part: part = fmix64(id) %% N for integer ids,\n"
		"fmix64(FNV-1a-64(bytes)) %% N for string ids (null ids go to part 0).\n"
		"\n"
		"  -g, --group-id COL   column holding the group id (integer or string)\n"
		"  --parts N            number of output parts, 1 to 10000\n"
		"  --out DIR            output directory (created if missing)\n"
		"  --codec C            snappy (default), zstd, gzip or none\n"
		"  --memory MB          memory budget for the whole process, 12 to 1048576 (default 512)\n"
		"  --row-group-rows N   rows per output row group, the last of a part may be smaller\n"
		"                       (default 1000000)\n"
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
	int c, rc = 0;
	optind = 1;
	/* -g as in `frocket query`. */
	while (!rc && (c = getopt_long(argc, argv, "g:h", opts, NULL)) != -1) {
		switch (c) {
		case 'g': o.group_col = optarg; break;
		case 'o': o.out = optarg; break;
		case 'P': o.progress = 0; break;
		case '2': o.page_v2 = 1; break;
		case 'h': usage(stdout); return 0;
		case 'c': rc = fr_args_codec(optarg, &o.codec, &err); break;
		case 'p': rc = fr_args_parts(optarg, &o.parts, &err); break;
		case 'm':
			rc = fr_args_range("--memory", optarg, FR_REPART_MIN_MEMORY_MB,
				FR_REPART_MAX_MEMORY_MB, &o.memory_mb, &err);
			break;
		case 'r':
			rc = fr_args_range("--row-group-rows", optarg, 1, INT32_MAX, &o.row_group_rows,
				&err);
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (rc) {
		fprintf(stderr, "frocket repartition: %s\n", err.msg);
		return 2;
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
	char msg[1024];
	if (fr_outset_stale_warning(o.out, o.parts, msg, sizeof msg))
		fprintf(stderr, "frocket repartition: warning: %s\n", msg);
	return 0;
}
