/* Process start-up shared by every executable (see runtime.h). */
#include "invoker/runtime.h"

#include <malloc.h>

#include "core/config.h"
#include "core/log.h"
#include "kernels/kernels.h"

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
	if (!rc)
		rc = fr_kern_init(err);
	if (rc)
		return rc;
	/* A fixed mmap threshold keeps large part buffers out of the heap, so freeing a part's
	 * arena returns its memory at once (glibc's sliding threshold would keep it). */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	return 0;
}
