/* Writer round-trip cases shared by the DuckDB check (write_cases) and our reader's check
 * (test_writer): deterministic column data and the option matrix it is written with. */
#ifndef FR_TESTS_WRITER_CASES_H
#define FR_TESTS_WRITER_CASES_H

#include <stdint.h>
#include "core/arena.h"
#include "core/error.h"
#include "core/vec.h"
#include "parquet/writer.h"

#define FR_WCASE_COLS 16
#define FR_WCASE_RGS 3

typedef struct fr_wcase_data {
	fr_arena *arena;
	int ncols;
	fr_pqw_col cols[FR_WCASE_COLS];
	int nrg;
	int64_t rg_rows[FR_WCASE_RGS];
	fr_vec vec[FR_WCASE_RGS][FR_WCASE_COLS];
} fr_wcase_data;

/* Number of option combinations, and the options and file stem of combination i. */
int fr_wcase_count(void);
void fr_wcase_opts(int i, fr_pqw_opts *o, char *name, size_t n);

int fr_wcase_build(fr_wcase_data *d, fr_err *err);
void fr_wcase_free(fr_wcase_data *d);
/* Writes dir/<name>.parquet with combination i. */
int fr_wcase_write(const char *dir, int i, const fr_wcase_data *d, char *path, size_t pathn,
	fr_err *err);
/* Writes every combination plus dir/<name>.json (the expected values); count or < 0. */
int fr_wcase_write_all(const char *dir, fr_err *err);

#endif
