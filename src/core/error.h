/* Error reporting: functions return an int status (0 ok, negative FR_E*) and fill a
 * caller-owned fr_err whose message names what failed (file, column, JSON path). */
#ifndef FR_CORE_ERROR_H
#define FR_CORE_ERROR_H

#include <stdarg.h>

#define FR_ERR_CODES(X) \
	X(FR_OK,           0, "ok") \
	X(FR_EINVAL,      -1, "invalid argument") \
	X(FR_ENOMEM,      -2, "out of memory") \
	X(FR_EIO,         -3, "I/O error") \
	X(FR_ECORRUPT,    -4, "corrupt input") \
	X(FR_EUNSUPPORTED,-5, "not supported") \
	X(FR_ENOTFOUND,   -6, "not found") \
	X(FR_ELIMIT,      -7, "limit exceeded") \
	X(FR_ETIMEOUT,    -8, "timed out") \
	X(FR_EREMOTE,     -9, "remote service error")

enum {
#define X(name, val, text) name = val,
	FR_ERR_CODES(X)
#undef X
};

#define FR_ERR_MSG_MAX 1024

typedef struct fr_err {
	int code;                    /* one of FR_E*, 0 when no error */
	char msg[FR_ERR_MSG_MAX];    /* human-readable, names the failing thing */
} fr_err;

/* Sets code and message; returns code so callers can `return fr_err_set(...)`. */
int fr_err_set(fr_err *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int fr_err_vset(fr_err *e, int code, const char *fmt, va_list ap);
/* Prepends context, "ctx: old message"; returns e->code. NULL e is allowed. */
int fr_err_prefix(fr_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void fr_err_clear(fr_err *e);
/* Static text for a code ("corrupt input"). */
const char *fr_err_code_str(int code);

#endif
