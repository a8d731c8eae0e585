/* `frocket repartition`: rewrites flat Parquet files into N parts so that every group id lives
 * in exactly one part (src/tools/partition.h), keeping column names, types and nulls, within
 * a memory budget whatever the input size. */
#ifndef FR_TOOLS_REPARTITION_H
#define FR_TOOLS_REPARTITION_H

#include <stdint.h>
#include "core/error.h"

typedef struct fr_repart_opts {
	const char *group_col;
	int parts;
	const char *out;                 /* directory, created if missing */
	int codec;                       /* FR_PQ_CODEC_*, default snappy */
	int64_t memory_mb;               /* budget for the whole process, default 512 */
	int64_t row_group_rows;          /* largest output row group, default 1,000,000 */
	int progress;
	int page_v2;                     /* DATA_PAGE_V2 instead of v1 data pages */
	const char *const *inputs;
	int ninputs;
} fr_repart_opts;

/* Bounds of --memory (MB); --parts: FR_ARGS_MAX_PARTS (tools/args.h). */
#define FR_REPART_MIN_MEMORY_MB 12
#define FR_REPART_MAX_MEMORY_MB (1 << 20)

void fr_repart_opts_default(fr_repart_opts *o);
int fr_repart_run(const fr_repart_opts *o, fr_err *err);

#endif
