/* `frocket query`: runs a query over Parquet files directly (no registration), one part per
 * file, through the same query job as `frocket run` (fr_invoke_query_files). */
#include "cli/cli.h"
#include "core/jw.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

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
	int empty = 0, sources = 0, pretty = fr_cli.pretty, c;
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
	fr_invoker *inv = NULL;
	int rc = fr_cli_invoker("query", &inv);
	if (rc)
		return rc;
	fr_err err = { 0 };
	fr_buf text = FR_BUF_INIT;
	if (fr_cli_read_query(file, str, empty, &text, &err)) {
		/* a document over the cap is an invalid query, whatever its source */
		if (err.code == FR_ELIMIT) {
			printf("{\"errorKind\": \"SCHEMA\", \"errorMessage\": ");
			fr_buf m = FR_BUF_INIT;
			fr_json_str(&m, err.msg, strlen(err.msg));
			fwrite(m.data, 1, m.len, stdout);
			fr_buf_free(&m);
			printf(", \"success\": false}\n");
		}
		fprintf(stderr, "frocket query: %s\n", err.msg);
		fr_buf_free(&text);
		fr_invoker_free(inv);
		return err.code == FR_ELIMIT ? 2 : 1;
	}
	fr_job_out out;
	fr_cli_bar bar;
	fr_cli_bar_init(&bar, "query", 1);
	fr_invoke_query_files(inv, (const char *const *)argv + optind, nparts, gid, ts,
	                      text.data ? (const char *)text.data : "", text.len, fr_cli_progress,
	                      &bar, pretty, &out);
	if (out.doc.len) {
		fwrite(out.doc.data, 1, out.doc.len, stdout);
		fputc('\n', stdout);
	}
	if (out.outcome != FR_JOB_OK)
		fprintf(stderr, "frocket query: %s\n", out.message);
	rc = out.outcome == FR_JOB_OK ? 0 : out.outcome == FR_JOB_INVALID ? 2 : 1;
	fr_job_out_free(&out);
	fr_buf_free(&text);
	fr_invoker_free(inv);
	return rc;
}
