/* `frocket gen`: a synthetic e-commerce event dataset shaped like the public RetailRocket
 * dataset, written as Parquet parts partitioned by visitorid.  Output depends only on the
 * options (never on the thread count or the machine's timing). */
#ifndef FR_TOOLS_GEN_H
#define FR_TOOLS_GEN_H

#include <stdint.h>
#include "core/error.h"

typedef struct fr_gen_opts {
	const char *out;           /* directory, created if missing */
	int parts;                 /* default 8 */
	int64_t rows;              /* default 2,500,000 */
	int64_t users;             /* default rows / 2 (RetailRocket: ~0.51 visitors per event) */
	uint64_t seed;             /* default 1 */
	int codec;                 /* FR_PQ_CODEC_*, default snappy */
	int sorted;                /* rows by (visitorid, timestamp) instead of shuffled */
	int64_t row_group_rows;    /* default 262144 */
	int threads;               /* 0: one per online CPU */
	int progress;              /* draw a progress bar when stderr is a tty */
	int page_v2;               /* DATA_PAGE_V2 instead of v1 data pages */
} fr_gen_opts;

/* Bounds of the options (--parts: FR_ARGS_MAX_PARTS, tools/args.h). */
#define FR_GEN_MAX_ROWS ((int64_t)1 << 40)
#define FR_GEN_MAX_ROW_GROUP_ROWS ((int64_t)1 << 26)
#define FR_GEN_MAX_THREADS 1024

void fr_gen_opts_default(fr_gen_opts *o);
/* Writes out/part-00000.parquet ... through an output set (tools/outset.h): the parts appear
 * only when every one was written; errors name the option or the file. */
int fr_gen_run(const fr_gen_opts *o, fr_err *err);

#endif
