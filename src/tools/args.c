/* Counts such as --rows 20M: digits, an optional fraction, an optional k/M/G suffix. */
#include "tools/args.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fr_args_count(const char *flag, const char *s, int64_t *out, fr_err *err)
{
	int64_t ip = 0, frac = 0, fdiv = 1;
	const char *p = s;
	if (*p < '0' || *p > '9')
		goto bad;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (ip > (INT64_MAX - 9) / 10)
			goto bad;
		ip = ip * 10 + (*p - '0');
	}
	if (*p == '.') {
		p++;
		for (; *p >= '0' && *p <= '9'; p++)
			if (fdiv < 1000000000) {
				frac = frac * 10 + (*p - '0');
				fdiv *= 10;
			}
	}
	int64_t mult = 1;
	if (*p == 'k' || *p == 'K')
		mult = 1000;
	else if (*p == 'm' || *p == 'M')
		mult = 1000000;
	else if (*p == 'g' || *p == 'G')
		mult = 1000000000;
	if (mult > 1)
		p++;
	if (*p)
		goto bad;
	if (ip > INT64_MAX / mult)
		goto bad;
	int64_t v = ip * mult + frac * mult / fdiv;
	if (mult == 1 && frac)
		goto bad;
	*out = v;
	return 0;
bad:
	return fr_err_set(err, FR_EINVAL, "%s: '%s' is not a valid count (examples: 1000, 2.5M, "
		"20M)", flag, s);
}

int fr_args_stale_parts(const char *dir, int nparts, char *first, size_t n)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int count = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		int num, len = 0;
		if (sscanf(e->d_name, "part-%d.parquet%n", &num, &len) == 1 && len > 0 &&
		    e->d_name[len] == 0 && num >= nparts) {
			if (!count && n)
				snprintf(first, n, "%s", e->d_name);
			count++;
		}
	}
	closedir(d);
	return count;
}
