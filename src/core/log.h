/* Logging to stderr (or FROCKET_LOG_FILE for servers/workers) at FROCKET_LOG_LEVEL. */
#ifndef FR_CORE_LOG_H
#define FR_CORE_LOG_H

#include "core/error.h"

typedef enum { FR_LOG_DEBUG = 10, FR_LOG_INFO = 20, FR_LOG_WARNING = 30, FR_LOG_ERROR = 40,
	FR_LOG_CRITICAL = 50 } fr_log_level;

/* Reads FROCKET_LOG_LEVEL and (if use_file) FROCKET_LOG_FILE.  An unknown level is an error
 * naming the value.  Without a call the level is info and output goes to stderr. */
int fr_log_init(int use_file, fr_err *err);
/* Parses debug/info/warning/warn/error/critical/fatal, case-insensitive; -1 if unknown. */
int fr_log_parse_level(const char *s);
void fr_log_set_level(fr_log_level level);
int fr_log_enabled(fr_log_level level);
void fr_log(fr_log_level level, const char *component, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define FR_DEBUG(comp, ...) do { if (fr_log_enabled(FR_LOG_DEBUG)) fr_log(FR_LOG_DEBUG, comp, __VA_ARGS__); } while (0)
#define FR_INFO(comp, ...) fr_log(FR_LOG_INFO, comp, __VA_ARGS__)
#define FR_WARN(comp, ...) fr_log(FR_LOG_WARNING, comp, __VA_ARGS__)
#define FR_ERROR(comp, ...) fr_log(FR_LOG_ERROR, comp, __VA_ARGS__)

#endif
