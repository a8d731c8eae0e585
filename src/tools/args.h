/* Argument parsing helpers shared by the data tools' commands. */
#ifndef FR_TOOLS_ARGS_H
#define FR_TOOLS_ARGS_H

#include <stddef.h>
#include <stdint.h>
#include "core/error.h"

/* A non-negative integer with an optional k/M/G suffix (powers of 1000): "2500000",
 * "2.5M", "20M".  FR_EINVAL with a message naming the flag. */
int fr_args_count(const char *flag, const char *s, int64_t *out, fr_err *err);

#endif

/* Number of files named part-NNNNN.parquet in dir whose number is >= nparts: leftovers of an
 * earlier run with more parts, which would silently join the dataset.  The first is named in
 * first (size n).  0 when none or when dir cannot be read. */
int fr_args_stale_parts(const char *dir, int nparts, char *first, size_t n);
