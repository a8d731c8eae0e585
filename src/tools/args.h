/* Argument parsing helpers shared by the data tools' commands. */
#ifndef FR_TOOLS_ARGS_H
#define FR_TOOLS_ARGS_H

#include <stddef.h>
#include <stdint.h>
#include "core/error.h"

/* --parts of gen and repartition: both hold a writer per part, one bound for both. */
#define FR_ARGS_MAX_PARTS 10000

/* A count in [min, max]: digits with an optional k/M/G suffix (powers of 1000) and a fraction
 * that must give a whole number: "2500000", "2.5M", "20M".  Never overflows, whatever the
 * digits.  FR_EINVAL with "FLAG: 'S' is not a valid count" or, for a well-formed value out of
 * range (however large), "FLAG must be between MIN and MAX, not S". */
int fr_args_range(const char *flag, const char *s, int64_t min, int64_t max, int64_t *out,
	fr_err *err);
/* fr_args_range over [0, INT64_MAX]. */
int fr_args_count(const char *flag, const char *s, int64_t *out, fr_err *err);
/* --parts N, 1..FR_ARGS_MAX_PARTS, the same for every command. */
int fr_args_parts(const char *s, int *out, fr_err *err);
/* --codec NAME: snappy, zstd, gzip or none (FR_PQ_CODEC_*). */
int fr_args_codec(const char *s, int *out, fr_err *err);

#endif
