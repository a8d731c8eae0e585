/* Process start-up shared by every executable (see runtime.h). */
#include "invoker/runtime.h"

#include <malloc.h>

#include "core/config.h"
#include "core/log.h"
#include "invoker/invoker.h"
#include "kernels/kernels.h"
#include "parquet/decode.h"
#include "parquet/parquet.h"
#include "storage/s3.h"

int fr_runtime_init(int use_log_file, void (*report)(const char *msg, void *ctx), void *ctx,
                    fr_err *err)
{
	if (fr_config_check_env(report, ctx)) {
		/* every bad variable was reported already: nothing more to say */
		err->code = FR_EINVAL;
		err->msg[0] = 0;
		return FR_EINVAL;
	}
	int rc = fr_log_init(use_log_file, err);
	if (rc)
		return rc;
	/* The SIMD mode and the statistics switch are process-wide: read here, set once. */
	fr_simd_mode m;
	const char *simd = fr_config_str("simd", "auto");
	if ((rc = fr_kern_simd_parse(simd, &m, err))) {
		fr_err_prefix(err, "FROCKET_SIMD");
		return rc;
	}
	if ((rc = fr_kern_simd_set(m, err)))
		return rc;
	fr_pq_simd_force(m == FR_SIMD_SCALAR ? 0 : -1);
	int stats = 1;
	if ((rc = fr_config_bool("parquet.stats", 1, &stats, err)))
		return rc;
	fr_pq_set_use_stats(stats);
	/* storage never reads FROCKET_*: its S3 and disk-cache settings are handed over here,
	 * before any thread can open a part */
	fr_storage_s3_opts s3;
	if ((rc = fr_invoker_s3_opts_load(&s3, err)) || (rc = fr_storage_s3_init(&s3, err)))
		return rc;
	/* A fixed mmap threshold keeps large part buffers out of the heap, so freeing a part's
	 * arena returns its memory at once (glibc's sliding threshold would keep it). */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	return 0;
}
