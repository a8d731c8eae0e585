/* Line-oriented logger: one locked write per line so threads never interleave. */
#include "core/log.h"
#include "core/config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <errno.h>
#include <time.h>

static fr_log_level g_level = FR_LOG_INFO;
static FILE *g_out;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

int fr_log_parse_level(const char *s)
{
	static const struct { const char *name; int level; } t[] = {
		{ "debug", FR_LOG_DEBUG }, { "info", FR_LOG_INFO }, { "warning", FR_LOG_WARNING },
		{ "warn", FR_LOG_WARNING }, { "error", FR_LOG_ERROR }, { "critical", FR_LOG_CRITICAL },
		{ "fatal", FR_LOG_CRITICAL },
	};
	for (size_t i = 0; s && i < sizeof t / sizeof t[0]; i++)
		if (strcasecmp(s, t[i].name) == 0)
			return t[i].level;
	return -1;
}

int fr_log_init(int use_file, fr_err *err)
{
	/* Strict like every FROCKET_* setting (core/config): set but empty is an error. */
	static const char *const names[] = { "debug", "info", "warning", "warn", "error",
		"critical", "fatal", NULL };
	int idx;
	if (fr_config_enum("log.level", names, -1, &idx, err))
		return err->code;
	if (idx >= 0)
		g_level = (fr_log_level)fr_log_parse_level(names[idx]);
	const char *file = fr_config_str("log.file", NULL);
	if (file && !*file)
		return fr_err_set(err, FR_EINVAL, "FROCKET_LOG_FILE is set but empty (unset it to "
		                  "log to stderr)");
	if (use_file && file) {
		FILE *f = fopen(file, "a");
		if (!f)
			return fr_err_set(err, FR_EIO, "FROCKET_LOG_FILE: cannot open %s: %s", file,
				strerror(errno));
		setvbuf(f, NULL, _IOLBF, 0);
		g_out = f;
	}
	return 0;
}

void fr_log_set_level(fr_log_level level)
{
	g_level = level;
}

int fr_log_enabled(fr_log_level level)
{
	return level >= g_level;
}

static const char *level_name(fr_log_level l)
{
	switch (l) {
	case FR_LOG_DEBUG: return "DEBUG";
	case FR_LOG_INFO: return "INFO";
	case FR_LOG_WARNING: return "WARNING";
	case FR_LOG_ERROR: return "ERROR";
	default: return "CRITICAL";
	}
}

void fr_log(fr_log_level level, const char *component, const char *fmt, ...)
{
	if (level < g_level)
		return;
	char line[4096];
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	int n = snprintf(line, sizeof line, "%04d-%02d-%02d %02d:%02d:%02d,%03ld %s %s ",
		tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		ts.tv_nsec / 1000000, component ? component : "frocket", level_name(level));
	va_list ap;
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof line)
		vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&g_lock);
	FILE *out = g_out ? g_out : stderr;
	fputs(line, out);
	fputc('\n', out);
	fflush(out);
	pthread_mutex_unlock(&g_lock);
}
