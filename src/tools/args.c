/* Numeric options of the data tools: counts such as --rows 20M (digits, an optional fraction,
 * an optional k/M/G suffix), always range-checked, with one message shape for every option:
 * "FLAG must be between MIN and MAX, not VALUE". */
#include "tools/args.h"
#include "parquet/compress.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses s exactly.  Returns 0 and *out on success; 1 when s is well formed but its value does
 * not fit in int64 (*out = INT64_MAX); -1 when s is not a count.  Accumulates in unsigned
 * 128-bit arithmetic, where nothing a 64-bit value times 10^9 can reach overflows. */
static int parse_count(const char *s, int64_t *out)
{
	const unsigned __int128 cap = (unsigned __int128)INT64_MAX;
	unsigned __int128 ip = 0, frac = 0, fdiv = 1;
	int big = 0;
	const char *p = s;
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		ip = ip * 10 + (unsigned)(*p - '0');
		if (ip > cap) {
			big = 1;
			ip = cap + 1;   /* stays above every bound without growing */
		}
	}
	int has_frac = 0;
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return -1;
		for (; *p >= '0' && *p <= '9'; p++) {
			/* Digits past the ninth can only make a k/M/G value fractional: they must be 0. */
			if (fdiv < 1000000000) {
				frac = frac * 10 + (unsigned)(*p - '0');
				fdiv *= 10;
			} else if (*p != '0') {
				return -1;
			}
			has_frac = 1;
		}
	}
	unsigned mult = 1;
	if (*p == 'k' || *p == 'K')
		mult = 1000;
	else if (*p == 'm' || *p == 'M')
		mult = 1000000;
	else if (*p == 'g' || *p == 'G')
		mult = 1000000000;
	if (mult > 1)
		p++;
	if (*p)
		return -1;
	/* The fraction must give a whole number: 2.5M is a count, 1.5 and 1.0001k are not. */
	if (has_frac && (frac * mult) % fdiv)
		return -1;
	unsigned __int128 v = ip * mult + frac * mult / fdiv;
	if (big || v > cap) {
		*out = INT64_MAX;
		return 1;
	}
	*out = (int64_t)v;
	return 0;
}

int fr_args_range(const char *flag, const char *s, int64_t min, int64_t max, int64_t *out,
	fr_err *err)
{
	int64_t v;
	int r = parse_count(s, &v);
	if (r < 0)
		return fr_err_set(err, FR_EINVAL, "%s: '%s' is not a valid count (examples: 1000, "
			"2.5M, 20M)", flag, s);
	if (r > 0 || v < min || v > max)
		return fr_err_set(err, FR_EINVAL, "%s must be between %lld and %lld, not %s", flag,
			(long long)min, (long long)max, s);
	*out = v;
	return 0;
}

int fr_args_parts(const char *s, int *out, fr_err *err)
{
	int64_t v;
	if (fr_args_range("--parts", s, 1, FR_ARGS_MAX_PARTS, &v, err))
		return err->code;
	*out = (int)v;
	return 0;
}

int fr_args_count(const char *flag, const char *s, int64_t *out, fr_err *err)
{
	return fr_args_range(flag, s, 0, INT64_MAX, out, err);
}

int fr_args_codec(const char *s, int *out, fr_err *err)
{
	int c = fr_pq_codec_from_name(s);
	if (c < 0)
		return fr_err_set(err, FR_EINVAL, "--codec: unknown codec '%s' (snappy, zstd, gzip, "
			"none)", s);
	*out = c;
	return 0;
}
