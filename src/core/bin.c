/* Bounds-checked little-endian binary encoding.  Readers latch the first failure and return
 * zeros afterwards, so a decoder reads a whole record straight through and checks once at the
 * end; nothing read after a failure can index memory because every length is checked against
 * the remaining input before it is used. */
#include "core/bin.h"

#include <string.h>

#define NULL_LEN 0xffffffffu

static const char OOM[] = "out of memory";

int fr_bin_u8(fr_buf *b, uint8_t v)
{
	return fr_buf_append(b, &v, 1);
}

int fr_bin_u32(fr_buf *b, uint32_t v)
{
	return fr_buf_put_u32le(b, v);
}

int fr_bin_i32(fr_buf *b, int32_t v)
{
	return fr_buf_put_u32le(b, (uint32_t)v);
}

int fr_bin_u64(fr_buf *b, uint64_t v)
{
	return fr_buf_put_u64le(b, v);
}

int fr_bin_i64(fr_buf *b, int64_t v)
{
	return fr_buf_put_u64le(b, (uint64_t)v);
}

int fr_bin_f64(fr_buf *b, double v)
{
	uint64_t u;
	memcpy(&u, &v, 8);
	return fr_buf_put_u64le(b, u);
}

int fr_bin_bytes(fr_buf *b, const void *p, size_t n)
{
	if (n >= NULL_LEN)
		return FR_ELIMIT;
	/* reserve first so a failure leaves the buffer unchanged */
	if (fr_buf_reserve(b, 4 + n))
		return FR_ENOMEM;
	fr_buf_put_u32le(b, (uint32_t)n);
	fr_buf_append(b, p, n);
	return 0;
}

int fr_bin_str(fr_buf *b, const char *s)
{
	if (!s)
		return fr_buf_put_u32le(b, NULL_LEN);
	return fr_bin_bytes(b, s, strlen(s));
}

void fr_bin_reader_init(fr_bin_reader *r, const void *data, size_t len)
{
	static const uint8_t none[1];
	r->start = r->p = data ? data : none;   /* never offset a NULL pointer */
	r->end = r->p + (data ? len : 0);
	r->bad = 0;
	r->what = NULL;
}

void fr_bin_fail(fr_bin_reader *r, const char *what)
{
	if (!r->bad) {
		r->bad = 1;
		r->what = what;
	}
}

/* The next n bytes, or NULL (and the reader marked bad) when fewer remain. */
static const uint8_t *take(fr_bin_reader *r, size_t n)
{
	if (r->bad)
		return NULL;
	if ((size_t)(r->end - r->p) < n) {
		fr_bin_fail(r, "truncated input");
		return NULL;
	}
	const uint8_t *q = r->p;
	r->p += n;
	return q;
}

uint8_t fr_bin_get_u8(fr_bin_reader *r)
{
	const uint8_t *q = take(r, 1);
	return q ? q[0] : 0;
}

uint32_t fr_bin_get_u32(fr_bin_reader *r)
{
	const uint8_t *q = take(r, 4);
	if (!q)
		return 0;
	return (uint32_t)q[0] | (uint32_t)q[1] << 8 | (uint32_t)q[2] << 16 | (uint32_t)q[3] << 24;
}

int32_t fr_bin_get_i32(fr_bin_reader *r)
{
	return (int32_t)fr_bin_get_u32(r);
}

uint64_t fr_bin_get_u64(fr_bin_reader *r)
{
	const uint8_t *q = take(r, 8);
	if (!q)
		return 0;
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | q[i];
	return v;
}

int64_t fr_bin_get_i64(fr_bin_reader *r)
{
	return (int64_t)fr_bin_get_u64(r);
}

double fr_bin_get_f64(fr_bin_reader *r)
{
	uint64_t u = fr_bin_get_u64(r);
	double d;
	memcpy(&d, &u, 8);
	return d;
}

const uint8_t *fr_bin_get_bytes(fr_bin_reader *r, size_t *n)
{
	*n = 0;
	uint32_t len = fr_bin_get_u32(r);
	if (r->bad)
		return NULL;
	if (len == NULL_LEN) {
		fr_bin_fail(r, "NULL where bytes are required");
		return NULL;
	}
	const uint8_t *q = take(r, len);
	if (q)
		*n = len;
	return q;
}

char *fr_bin_get_str(fr_bin_reader *r, fr_arena *a)
{
	uint32_t len = fr_bin_get_u32(r);
	if (r->bad || len == NULL_LEN)
		return NULL;
	const uint8_t *q = take(r, len);
	if (!q)
		return NULL;
	if (memchr(q, 0, len)) {
		fr_bin_fail(r, "string with a NUL byte");
		return NULL;
	}
	char *s = fr_arena_strndup(a, (const char *)q, len);
	if (!s)
		fr_bin_fail(r, OOM);
	return s;
}

int fr_bin_get_bool(fr_bin_reader *r)
{
	uint8_t v = fr_bin_get_u8(r);
	if (v > 1) {
		fr_bin_fail(r, "flag byte neither 0 nor 1");
		return 0;
	}
	return v;
}

uint32_t fr_bin_get_count(fr_bin_reader *r, size_t min_item_bytes)
{
	uint32_t n = fr_bin_get_u32(r);
	if (r->bad)
		return 0;
	if (min_item_bytes == 0)
		min_item_bytes = 1;
	if ((uint64_t)n > (size_t)(r->end - r->p) / min_item_bytes) {
		fr_bin_fail(r, "count larger than the input can hold");
		return 0;
	}
	return n;
}

int fr_bin_reader_done(const fr_bin_reader *r, const char *ctx, fr_err *err)
{
	if (r->bad) {
		if (r->what && !strcmp(r->what, OOM))
			return fr_err_set(err, FR_ENOMEM, "%s: out of memory", ctx);
		return fr_err_set(err, FR_ECORRUPT, "%s: %s (at byte %zu of %zu)", ctx,
		                  r->what ? r->what : "invalid input", (size_t)(r->p - r->start),
		                  (size_t)(r->end - r->start));
	}
	if (r->p != r->end)
		return fr_err_set(err, FR_ECORRUPT, "%s: %zu trailing bytes after byte %zu", ctx,
		                  (size_t)(r->end - r->p), (size_t)(r->p - r->start));
	return 0;
}
