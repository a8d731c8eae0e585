/* Thrift compact protocol decoding, bounds-checked at every read (parquet.md §2). */
#include "parquet/thrift.h"

int fr_tr_fail(fr_tr *t, const char *why)
{
	if (!t->err) {
		t->err = why;
		t->err_off = (size_t)(t->p - t->start);
	}
	t->p = t->end;
	return -1;
}

int fr_tr_varint(fr_tr *t, uint64_t *v, int maxbytes)
{
	uint64_t r = 0;
	int shift = 0;
	if (t->err)
		return -1;
	for (int i = 0; i < maxbytes; i++) {
		if (t->p >= t->end)
			return fr_tr_fail(t, "truncated varint");
		uint8_t b = *t->p++;
		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = r;
			return 0;
		}
		shift += 7;
	}
	return fr_tr_fail(t, "varint too long");
}

int fr_tr_i32(fr_tr *t, int32_t *v)
{
	uint64_t u;
	if (fr_tr_varint(t, &u, 5))
		return -1;
	if (u > 0xffffffffu)
		return fr_tr_fail(t, "i32 out of range");
	uint32_t w = (uint32_t)u;
	*v = (int32_t)((w >> 1) ^ (0u - (w & 1)));
	return 0;
}

int fr_tr_i64(fr_tr *t, int64_t *v)
{
	uint64_t u;
	if (fr_tr_varint(t, &u, 10))
		return -1;
	*v = (int64_t)((u >> 1) ^ (0 - (u & 1)));
	return 0;
}

int fr_tr_bin(fr_tr *t, const uint8_t **p, uint32_t *n)
{
	uint64_t len;
	if (fr_tr_varint(t, &len, 5))
		return -1;
	if (len > (uint64_t)(t->end - t->p))
		return fr_tr_fail(t, "string length past the end of the metadata");
	*p = t->p;
	*n = (uint32_t)len;
	t->p += len;
	return 0;
}

int fr_tr_field(fr_tr *t, int16_t *last, int *type, int16_t *id)
{
	if (t->err)
		return -1;
	if (t->p >= t->end)
		return fr_tr_fail(t, "struct ends without STOP");
	uint8_t b = *t->p++;
	if (b == 0) {
		*type = FR_TT_STOP;
		*id = 0;
		return 0;
	}
	int ty = b & 0x0f, delta = b >> 4;
	if (ty == 0 || ty > FR_TT_UUID)
		return fr_tr_fail(t, "bad field type id");
	if (delta) {
		*id = (int16_t)(*last + delta);
	} else {
		int32_t v;
		if (fr_tr_i32(t, &v))
			return -1;
		if (v < -32768 || v > 32767)
			return fr_tr_fail(t, "field id out of range");
		*id = (int16_t)v;
	}
	*last = *id;
	*type = ty;
	return 0;
}

int fr_tr_list(fr_tr *t, int *etype, uint32_t *n)
{
	if (t->err)
		return -1;
	if (t->p >= t->end)
		return fr_tr_fail(t, "truncated list header");
	uint8_t b = *t->p++;
	uint64_t size = b >> 4;
	if (size == 15 && fr_tr_varint(t, &size, 5))
		return -1;
	*etype = b & 0x0f;
	/* fastparquet writes empty lists with element type 0. */
	if ((*etype == 0 && size != 0) || *etype > FR_TT_UUID)
		return fr_tr_fail(t, "bad list element type");
	/* Every element takes at least one byte (bools one byte each, structs a STOP). */
	if (size > (uint64_t)(t->end - t->p))
		return fr_tr_fail(t, "list longer than the metadata");
	*n = (uint32_t)size;
	return 0;
}

int fr_tr_bool_elem(fr_tr *t, int *v)
{
	if (t->err)
		return -1;
	if (t->p >= t->end)
		return fr_tr_fail(t, "truncated bool");
	*v = *t->p++ == 1;
	return 0;
}

int fr_tr_enter(fr_tr *t)
{
	if (t->err)
		return -1;
	if (++t->depth > FR_TR_MAX_DEPTH) {
		t->depth--;
		return fr_tr_fail(t, "metadata nested too deeply");
	}
	return 0;
}

static int skip_bytes(fr_tr *t, size_t n)
{
	if (n > (size_t)(t->end - t->p))
		return fr_tr_fail(t, "truncated value");
	t->p += n;
	return 0;
}

int fr_tr_skip(fr_tr *t, int type)
{
	uint64_t u;
	if (t->err)
		return -1;
	switch (type) {
	case FR_TT_TRUE:
	case FR_TT_FALSE:
		return 0;
	case FR_TT_I8:
		return skip_bytes(t, 1);
	case FR_TT_I16:
	case FR_TT_I32:
		return fr_tr_varint(t, &u, 5);
	case FR_TT_I64:
		return fr_tr_varint(t, &u, 10);
	case FR_TT_DOUBLE:
		return skip_bytes(t, 8);
	case FR_TT_UUID:
		return skip_bytes(t, 16);
	case FR_TT_BINARY: {
		const uint8_t *p;
		uint32_t n;
		return fr_tr_bin(t, &p, &n);
	}
	case FR_TT_LIST:
	case FR_TT_SET: {
		int et;
		uint32_t n;
		if (fr_tr_list(t, &et, &n) || fr_tr_enter(t))
			return -1;
		for (uint32_t i = 0; i < n && !t->err; i++) {
			if (et == FR_TT_TRUE || et == FR_TT_FALSE)
				skip_bytes(t, 1);
			else
				fr_tr_skip(t, et);
		}
		fr_tr_leave(t);
		return t->err ? -1 : 0;
	}
	case FR_TT_MAP: {
		uint64_t n;
		if (fr_tr_varint(t, &n, 5))
			return -1;
		if (n == 0)
			return 0;
		if (n > (uint64_t)(t->end - t->p))
			return fr_tr_fail(t, "map longer than the metadata");
		if (t->p >= t->end)
			return fr_tr_fail(t, "truncated map");
		uint8_t kv = *t->p++;
		int kt = kv >> 4, vt = kv & 15;
		if (kt == 0 || kt > FR_TT_UUID || vt == 0 || vt > FR_TT_UUID)
			return fr_tr_fail(t, "bad map element type");
		if (fr_tr_enter(t))
			return -1;
		for (uint64_t i = 0; i < n && !t->err; i++) {
			if (kt <= FR_TT_FALSE) skip_bytes(t, 1); else fr_tr_skip(t, kt);
			if (vt <= FR_TT_FALSE) skip_bytes(t, 1); else fr_tr_skip(t, vt);
		}
		fr_tr_leave(t);
		return t->err ? -1 : 0;
	}
	case FR_TT_STRUCT: {
		int16_t last = 0, id;
		int ty;
		if (fr_tr_enter(t))
			return -1;
		for (;;) {
			if (fr_tr_field(t, &last, &ty, &id))
				break;
			if (ty == FR_TT_STOP)
				break;
			if (fr_tr_skip(t, ty))
				break;
		}
		fr_tr_leave(t);
		return t->err ? -1 : 0;
	}
	default:
		return fr_tr_fail(t, "bad type id");
	}
}
