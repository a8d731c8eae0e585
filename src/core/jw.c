/* JSON writer and number formatting for response documents (query.md §6, Appendix B). */
#include "core/jw.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

void fr_json_fmt_double(double v, char *out, size_t n)
{
	if (isnan(v)) {
		snprintf(out, n, "nan");
		return;
	}
	if (isinf(v)) {
		snprintf(out, n, v < 0 ? "-inf" : "inf");
		return;
	}
	if (v == 0) {
		snprintf(out, n, signbit(v) ? "-0.0" : "0.0");
		return;
	}
	/* Shortest digits that round-trip, as repr() does.  If a shortest form has k <= 15
	 * digits, rounding to 15 digits yields it padded with zeros (a double's half-ulp is
	 * below half a unit of the 15th digit), and the zeros are stripped below; otherwise 16
	 * or 17 digits are needed.  Subnormals have a coarser ulp: search from one digit. */
	char buf[40];
	for (int prec = fabs(v) < DBL_MIN ? 1 : 15; prec <= 17; prec++) {
		snprintf(buf, sizeof buf, "%.*e", prec - 1, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	const char *p = buf;
	int neg = 0;
	if (*p == '-') {
		neg = 1;
		p++;
	}
	char digits[24];
	int nd = 0;
	for (; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9' && nd < 20)
			digits[nd++] = *p;
	int x = *p == 'e' ? atoi(p + 1) : 0;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = 0;
	char res[64];
	size_t k = 0;
	if (neg)
		res[k++] = '-';
	if (x >= -4 && x < 16) {
		if (x >= 0) {
			for (int i = 0; i <= x; i++)
				res[k++] = i < nd ? digits[i] : '0';
			res[k++] = '.';
			if (nd > x + 1)
				for (int i = x + 1; i < nd; i++)
					res[k++] = digits[i];
			else
				res[k++] = '0';
		} else {
			res[k++] = '0';
			res[k++] = '.';
			for (int i = 0; i < -x - 1; i++)
				res[k++] = '0';
			for (int i = 0; i < nd; i++)
				res[k++] = digits[i];
		}
		res[k] = 0;
	} else {
		res[k++] = digits[0];
		if (nd > 1) {
			res[k++] = '.';
			for (int i = 1; i < nd; i++)
				res[k++] = digits[i];
		}
		snprintf(res + k, sizeof res - k, "e%c%02d", x < 0 ? '-' : '+', x < 0 ? -x : x);
	}
	snprintf(out, n, "%s", res);
}

/* Decodes one UTF-8 sequence strictly (no overlong forms, surrogates or code points above
 * U+10FFFF).  A byte that does not start a valid sequence comes back as the lone low surrogate
 * U+DC00 + byte (U+DC80..U+DCFF: Python's "surrogateescape"), consuming that one byte.  Valid
 * UTF-8 never decodes to a surrogate, so the rendering is injective and reversible: distinct
 * byte strings (map keys of a STRING column holding invalid UTF-8) never print as the same
 * JSON string, and bytes(s, 'utf-8', 'surrogateescape') gives the stored bytes back. */
static uint32_t utf8_next(const unsigned char *s, size_t len, size_t *i)
{
	unsigned char c = s[*i];
	uint32_t cp, min;
	int extra;
	if (c < 0x80) {
		(*i)++;
		return c;
	} else if ((c & 0xE0) == 0xC0) {
		cp = c & 0x1F;
		extra = 1;
		min = 0x80;
	} else if ((c & 0xF0) == 0xE0) {
		cp = c & 0x0F;
		extra = 2;
		min = 0x800;
	} else if ((c & 0xF8) == 0xF0) {
		cp = c & 0x07;
		extra = 3;
		min = 0x10000;
	} else {
		goto invalid;
	}
	if (*i + (size_t)extra >= len)
		goto invalid;
	for (int k = 1; k <= extra; k++) {
		if ((s[*i + (size_t)k] & 0xC0) != 0x80)
			goto invalid;
		cp = (cp << 6) | (s[*i + (size_t)k] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		goto invalid;
	*i += (size_t)extra + 1;
	return cp;
invalid:
	(*i)++;
	return 0xDC00 | c;
}

int fr_json_str(fr_buf *b, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	int rc = fr_buf_putc(b, '"');
	for (size_t i = 0; i < len && !rc;) {
		unsigned char c = s[i];
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			size_t j = i;
			while (j < len && s[j] >= 0x20 && s[j] < 0x7f && s[j] != '"' && s[j] != '\\')
				j++;
			rc = fr_buf_append(b, s + i, j - i);
			i = j;
			continue;
		}
		switch (c) {
		case '"': rc = fr_buf_append(b, "\\\"", 2); i++; continue;
		case '\\': rc = fr_buf_append(b, "\\\\", 2); i++; continue;
		case '\n': rc = fr_buf_append(b, "\\n", 2); i++; continue;
		case '\r': rc = fr_buf_append(b, "\\r", 2); i++; continue;
		case '\t': rc = fr_buf_append(b, "\\t", 2); i++; continue;
		case '\b': rc = fr_buf_append(b, "\\b", 2); i++; continue;
		case '\f': rc = fr_buf_append(b, "\\f", 2); i++; continue;
		default: break;
		}
		uint32_t cp = utf8_next(s, len, &i);
		if (cp >= 0x10000) {
			cp -= 0x10000;
			rc = fr_buf_printf(b, "\\u%04x\\u%04x", 0xD800 + (cp >> 10), 0xDC00 + (cp & 0x3FF));
		} else {
			rc = fr_buf_printf(b, "\\u%04x", cp);
		}
	}
	if (!rc)
		rc = fr_buf_putc(b, '"');
	return rc;
}

static void put(fr_jw *w, const char *s, size_t n)
{
	if (fr_buf_append(w->b, s, n))
		w->oom = 1;
}

static void newline(fr_jw *w)
{
	put(w, "\n", 1);
	for (int i = 0; i < w->level; i++)
		put(w, "  ", 2);
}

/* Separator before a value or a key. */
static void pre(fr_jw *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (w->level == 0)
		return;
	if (w->has_items[w->level])
		put(w, w->pretty ? "," : ", ", w->pretty ? 1 : 2);
	w->has_items[w->level] = 1;
	if (w->pretty)
		newline(w);
}

void fr_jw_init(fr_jw *w, fr_buf *b, int pretty)
{
	memset(w, 0, sizeof *w);
	w->b = b;
	w->pretty = pretty;
}

void fr_jw_open(fr_jw *w, char c)
{
	pre(w);
	put(w, &c, 1);
	if (w->level + 1 < FR_JW_MAX_DEPTH)
		w->level++;
	w->has_items[w->level] = 0;
}

void fr_jw_close(fr_jw *w, char c)
{
	int had = w->has_items[w->level];
	if (w->level > 0)
		w->level--;
	if (had && w->pretty)
		newline(w);
	put(w, &c, 1);
}

void fr_jw_keyn(fr_jw *w, const char *k, size_t n)
{
	pre(w);
	if (fr_json_str(w->b, k, n))
		w->oom = 1;
	put(w, ": ", 2);
	w->after_key = 1;
}

void fr_jw_key(fr_jw *w, const char *k)
{
	fr_jw_keyn(w, k, strlen(k));
}

void fr_jw_strn(fr_jw *w, const char *s, size_t n)
{
	pre(w);
	if (fr_json_str(w->b, s, n))
		w->oom = 1;
}

void fr_jw_str(fr_jw *w, const char *s)
{
	fr_jw_strn(w, s, strlen(s));
}

void fr_jw_int(fr_jw *w, int64_t v)
{
	char buf[32];
	pre(w);
	put(w, buf, (size_t)snprintf(buf, sizeof buf, "%lld", (long long)v));
}

void fr_jw_i128(fr_jw *w, fr_i128 v)
{
	char buf[48];
	int k = (int)sizeof buf;
	int neg = v < 0;
	unsigned __int128 u = neg ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;
	do {
		buf[--k] = (char)('0' + (int)(u % 10));
		u /= 10;
	} while (u);
	if (neg)
		buf[--k] = '-';
	pre(w);
	put(w, buf + k, sizeof buf - (size_t)k);
}

void fr_jw_double(fr_jw *w, double v)
{
	char buf[40];
	if (!isfinite(v)) {
		fr_jw_null(w);
		return;
	}
	fr_json_fmt_double(v, buf, sizeof buf);
	pre(w);
	put(w, buf, strlen(buf));
}

void fr_jw_bool(fr_jw *w, int v)
{
	pre(w);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void fr_jw_null(fr_jw *w)
{
	pre(w);
	put(w, "null", 4);
}

int fr_jw_status(const fr_jw *w)
{
	return w->oom ? FR_ENOMEM : 0;
}
