/* Thrift compact protocol, encoding side: field headers with id deltas, zigzag varints,
 * list headers.  Only what parquet.thrift structs need. */
#include "parquet/thrift_enc.h"
#include "core/error.h"

#include <string.h>

static void put(fr_tenc *t, const void *p, size_t n)
{
	if (t->status)
		return;
	if (fr_buf_append(t->out, p, n))
		t->status = FR_ENOMEM;
}

static void put_varint(fr_tenc *t, uint64_t v)
{
	uint8_t x[10];
	size_t n = 0;
	while (v >= 0x80) {
		x[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	x[n++] = (uint8_t)v;
	put(t, x, n);
}

static uint64_t zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static void field(fr_tenc *t, int16_t id, int type)
{
	if (t->depth <= 0) {
		t->status = t->status ? t->status : FR_EINVAL;
		return;
	}
	int16_t *last = &t->last[t->depth - 1];
	int delta = id - *last;
	if (delta > 0 && delta <= 15) {
		uint8_t b = (uint8_t)(delta << 4 | type);
		put(t, &b, 1);
	} else {
		uint8_t b = (uint8_t)type;
		put(t, &b, 1);
		put_varint(t, zigzag(id));
	}
	*last = id;
}

void fr_tenc_init(fr_tenc *t, fr_buf *out)
{
	memset(t, 0, sizeof *t);
	t->out = out;
	t->depth = 1;
}

int fr_tenc_finish(fr_tenc *t)
{
	if (t->depth != 1 && !t->status)
		t->status = FR_EINVAL;
	uint8_t stop = 0;
	put(t, &stop, 1);
	t->depth = 0;
	return t->status;
}

int fr_tenc_status(const fr_tenc *t)
{
	return t->status;
}

void fr_tenc_i16(fr_tenc *t, int16_t id, int16_t v)
{
	field(t, id, FR_TC_I16);
	put_varint(t, zigzag(v));
}

void fr_tenc_i32(fr_tenc *t, int16_t id, int32_t v)
{
	field(t, id, FR_TC_I32);
	put_varint(t, zigzag(v));
}

void fr_tenc_i64(fr_tenc *t, int16_t id, int64_t v)
{
	field(t, id, FR_TC_I64);
	put_varint(t, zigzag(v));
}

void fr_tenc_bool(fr_tenc *t, int16_t id, int v)
{
	field(t, id, v ? FR_TC_TRUE : FR_TC_FALSE);
}

void fr_tenc_bin(fr_tenc *t, int16_t id, const void *p, size_t n)
{
	field(t, id, FR_TC_BINARY);
	put_varint(t, n);
	put(t, p, n);
}

void fr_tenc_str(fr_tenc *t, int16_t id, const char *s)
{
	fr_tenc_bin(t, id, s, strlen(s));
}

static void push(fr_tenc *t)
{
	if (t->depth >= FR_TENC_MAX_DEPTH) {
		t->status = t->status ? t->status : FR_EINVAL;
		return;
	}
	t->last[t->depth++] = 0;
}

void fr_tenc_struct_begin(fr_tenc *t, int16_t id)
{
	field(t, id, FR_TC_STRUCT);
	push(t);
}

void fr_tenc_struct_end(fr_tenc *t)
{
	uint8_t stop = 0;
	put(t, &stop, 1);
	if (t->depth <= 1)
		t->status = t->status ? t->status : FR_EINVAL;
	else
		t->depth--;
}

void fr_tenc_list_begin(fr_tenc *t, int16_t id, int elem, uint32_t n)
{
	field(t, id, FR_TC_LIST);
	if (n < 15) {
		uint8_t b = (uint8_t)(n << 4 | (uint32_t)elem);
		put(t, &b, 1);
	} else {
		uint8_t b = (uint8_t)(0xf0 | elem);
		put(t, &b, 1);
		put_varint(t, n);
	}
}

void fr_tenc_elem_i32(fr_tenc *t, int32_t v)
{
	put_varint(t, zigzag(v));
}

void fr_tenc_elem_bin(fr_tenc *t, const void *p, size_t n)
{
	put_varint(t, n);
	put(t, p, n);
}

void fr_tenc_elem_struct_begin(fr_tenc *t)
{
	push(t);
}
