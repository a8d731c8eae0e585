/* Error struct helpers: formatted messages with context prefixes. */
#include "core/error.h"

#include <stdio.h>
#include <string.h>

int fr_err_vset(fr_err *e, int code, const char *fmt, va_list ap)
{
	if (!e)
		return code;
	e->code = code;
	vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	return code;
}

int fr_err_set(fr_err *e, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fr_err_vset(e, code, fmt, ap);
	va_end(ap);
	return code;
}

int fr_err_prefix(fr_err *e, const char *fmt, ...)
{
	char old[FR_ERR_MSG_MAX];
	va_list ap;
	if (!e)
		return FR_EINVAL;
	memcpy(old, e->msg, sizeof old);
	old[sizeof old - 1] = '\0';
	va_start(ap, fmt);
	int n = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
	va_end(ap);
	size_t len = n < 0 ? 0 : (size_t)n < sizeof e->msg ? (size_t)n : sizeof e->msg - 1;
	if (old[0] && len + 2 < sizeof e->msg) {
		/* Truncation of a long chain of context is acceptable: the innermost cause is last. */
		memcpy(e->msg + len, ": ", 2);
		len += 2;
		size_t rest = strlen(old);
		if (rest > sizeof e->msg - 1 - len)
			rest = sizeof e->msg - 1 - len;
		memcpy(e->msg + len, old, rest);
		len += rest;
		e->msg[len] = '\0';
	}
	return e->code;
}

void fr_err_clear(fr_err *e)
{
	if (e) {
		e->code = 0;
		e->msg[0] = '\0';
	}
}

const char *fr_err_code_str(int code)
{
	switch (code) {
#define X(name, val, text) case val: return text;
	FR_ERR_CODES(X)
#undef X
	}
	return "unknown error";
}
