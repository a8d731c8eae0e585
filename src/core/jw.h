/* Streaming JSON writer for response documents: Python json.dumps layout (indent=2, or one
 * line with ", " and ": " separators), non-ASCII escaped, doubles as Python repr. */
#ifndef FR_CORE_JW_H
#define FR_CORE_JW_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/vec.h"

#define FR_JW_MAX_DEPTH 32

typedef struct fr_jw {
	fr_buf *b;
	int pretty;
	int level;
	int after_key;
	int oom;                   /* an append failed: the document is incomplete */
	uint8_t has_items[FR_JW_MAX_DEPTH];
} fr_jw;

void fr_jw_init(fr_jw *w, fr_buf *b, int pretty);
void fr_jw_open(fr_jw *w, char c);     /* '{' or '[' */
void fr_jw_close(fr_jw *w, char c);    /* '}' or ']' */
void fr_jw_key(fr_jw *w, const char *k);
void fr_jw_keyn(fr_jw *w, const char *k, size_t n);
void fr_jw_str(fr_jw *w, const char *s);
void fr_jw_strn(fr_jw *w, const char *s, size_t n);
void fr_jw_int(fr_jw *w, int64_t v);
void fr_jw_i128(fr_jw *w, fr_i128 v);
void fr_jw_double(fr_jw *w, double v);  /* non-finite -> null (JSON has no NaN/Infinity) */
void fr_jw_bool(fr_jw *w, int v);
void fr_jw_null(fr_jw *w);
/* 0, or FR_ENOMEM if any append failed. */
int fr_jw_status(const fr_jw *w);

/* Python repr() of a double (query.md Appendix B). */
void fr_json_fmt_double(double v, char *out, size_t n);
/* JSON string literal with non-ASCII escaped as \uXXXX (interfaces.md §0.2).  Bytes that are
 * not valid UTF-8 (overlong forms and encoded surrogates included) print one each as the lone
 * surrogate \udc80..\udcff (Python's surrogateescape): distinct byte strings always print
 * as distinct JSON strings, and the bytes can be recovered. */
int fr_json_str(fr_buf *b, const char *s, size_t len);

#endif
