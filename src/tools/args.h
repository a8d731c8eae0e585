/* Argument parsing helpers shared by the data tools' commands. */
#ifndef FR_TOOLS_ARGS_H
#define FR_TOOLS_ARGS_H

#include <stdint.h>
#include "core/error.h"

/* A non-negative integer with an optional k/M/G suffix (powers of 1000): "2500000",
 * "2.5M", "20M".  FR_EINVAL with a message naming the flag. */
int fr_args_count(const char *flag, const char *s, int64_t *out, fr_err *err);

#endif
