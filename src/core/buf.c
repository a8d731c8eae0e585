/* Growable byte buffer with geometric growth. */
#include "core/buf.h"
#include "core/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fr_buf_reserve(fr_buf *b, size_t extra)
{
	if (extra > SIZE_MAX - b->len)
		return FR_ENOMEM;
	size_t need = b->len + extra;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	uint8_t *p = realloc(b->data, cap);
	if (!p)
		return FR_ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

int fr_buf_append(fr_buf *b, const void *p, size_t n)
{
	if (n == 0)
		return 0;
	if (fr_buf_reserve(b, n))
		return FR_ENOMEM;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	return 0;
}

int fr_buf_putc(fr_buf *b, uint8_t c)
{
	return fr_buf_append(b, &c, 1);
}

int fr_buf_printf(fr_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return FR_EINVAL;
	if (fr_buf_reserve(b, (size_t)n + 1))
		return FR_ENOMEM;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

int fr_buf_put_u32le(fr_buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	return fr_buf_append(b, x, 4);
}

int fr_buf_put_u64le(fr_buf *b, uint64_t v)
{
	uint8_t x[8];
	for (int i = 0; i < 8; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	return fr_buf_append(b, x, 8);
}

int fr_buf_put_varint(fr_buf *b, uint64_t v)
{
	uint8_t x[10];
	size_t n = 0;
	do {
		uint8_t c = v & 0x7f;
		v >>= 7;
		x[n++] = c | (v ? 0x80 : 0);
	} while (v);
	return fr_buf_append(b, x, n);
}

void fr_buf_reset(fr_buf *b)
{
	b->len = 0;
}

void fr_buf_free(fr_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
