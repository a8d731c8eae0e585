/* One runtime-init call for every executable (frocket, frocket-server, frocket-worker): the
 * FROCKET_* settings checked up front, logging, the SIMD kernels, the allocator's policy. */
#ifndef FR_INVOKER_RUNTIME_H
#define FR_INVOKER_RUNTIME_H

#include "core/error.h"

/* Checks every FROCKET_* setting (each bad one reported through report(msg, ctx), all of
 * them, not only the first), then starts logging (use_log_file: FROCKET_LOG_FILE applies,
 * as for servers and workers) and picks the SIMD kernels.  0, or an error: with an empty
 * err->msg when the reports already named every bad variable, else with the message. */
int fr_runtime_init(int use_log_file, void (*report)(const char *msg, void *ctx), void *ctx,
                    fr_err *err);

#endif
