/* FROCKET_* environment configuration with strict parsing. */
#include "core/config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void fr_config_env_name(const char *key, char *out, size_t n)
{
	size_t j = 0;
	const char *pre = "FROCKET_";
	for (size_t i = 0; pre[i] && j + 1 < n; i++)
		out[j++] = pre[i];
	for (size_t i = 0; key[i] && j + 1 < n; i++)
		out[j++] = key[i] == '.' ? '_' : (char)toupper((unsigned char)key[i]);
	if (n)
		out[j] = '\0';
}

const char *fr_config_str(const char *key, const char *def)
{
	char name[256];
	fr_config_env_name(key, name, sizeof name);
	const char *v = getenv(name);
	return v && *v ? v : def;
}

int fr_config_int(const char *key, int64_t def, int64_t *out, fr_err *err)
{
	const char *v = fr_config_str(key, NULL);
	if (!v) {
		*out = def;
		return 0;
	}
	char *end;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	while (*end && isspace((unsigned char)*end))
		end++;
	if (errno || end == v || *end) {
		char name[256];
		fr_config_env_name(key, name, sizeof name);
		return fr_err_set(err, FR_EINVAL, "%s: not an integer: '%s'", name, v);
	}
	*out = x;
	return 0;
}

int fr_config_double(const char *key, double def, double *out, fr_err *err)
{
	const char *v = fr_config_str(key, NULL);
	if (!v) {
		*out = def;
		return 0;
	}
	char *end;
	errno = 0;
	double x = strtod(v, &end);
	while (*end && isspace((unsigned char)*end))
		end++;
	if (errno || end == v || *end || !isfinite(x)) {
		char name[256];
		fr_config_env_name(key, name, sizeof name);
		return fr_err_set(err, FR_EINVAL, "%s: not a number: '%s'", name, v);
	}
	*out = x;
	return 0;
}

int fr_config_bool(const char *key, int def, int *out, fr_err *err)
{
	const char *v = fr_config_str(key, NULL);
	if (!v) {
		*out = def;
		return 0;
	}
	if (!strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "yes")) {
		*out = 1;
		return 0;
	}
	if (!strcasecmp(v, "false") || !strcmp(v, "0") || !strcasecmp(v, "no")) {
		*out = 0;
		return 0;
	}
	char name[256];
	fr_config_env_name(key, name, sizeof name);
	return fr_err_set(err, FR_EINVAL, "%s: not a boolean: '%s' (use true or false)", name, v);
}
