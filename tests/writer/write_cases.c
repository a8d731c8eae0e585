/* Test helper: writes Parquet files covering every type, null pattern, codec, page version and
 * dictionary setting, each with a JSON file of the values it must read back as.  The files are
 * then checked by DuckDB (tests/writer/duckdb_check.js) and by our reader (test_writer).
 * usage: write_cases OUTDIR */
#include "tests/writer/cases.h"

#include <stdio.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: write_cases OUTDIR\n");
		return 2;
	}
	fr_err err = { 0 };
	int n = fr_wcase_write_all(argv[1], &err);
	if (n < 0) {
		fprintf(stderr, "write_cases: %s\n", err.msg);
		return 1;
	}
	printf("%d files\n", n);
	return 0;
}
