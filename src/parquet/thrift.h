/* Thrift compact-protocol decoder for Parquet metadata (footer, page headers): a bounded
 * cursor with a sticky error, nesting-depth limit and skipping of unknown fields. */
#ifndef FR_PARQUET_THRIFT_H
#define FR_PARQUET_THRIFT_H

#include <stdint.h>
#include <stddef.h>

/* Compact-protocol type ids (field headers and list element types). */
enum {
	FR_TT_STOP = 0, FR_TT_TRUE = 1, FR_TT_FALSE = 2, FR_TT_I8 = 3, FR_TT_I16 = 4,
	FR_TT_I32 = 5, FR_TT_I64 = 6, FR_TT_DOUBLE = 7, FR_TT_BINARY = 8, FR_TT_LIST = 9,
	FR_TT_SET = 10, FR_TT_MAP = 11, FR_TT_STRUCT = 12, FR_TT_UUID = 13,
};

#define FR_TR_MAX_DEPTH 64

typedef struct fr_tr {
	const uint8_t *p, *end;
	int depth;
	const char *err;   /* first problem seen (static text); NULL while all is well */
	size_t err_off;    /* byte offset of the problem */
	const uint8_t *start;
} fr_tr;

static inline void fr_tr_init(fr_tr *t, const uint8_t *p, size_t n)
{
	t->p = p;
	t->start = p;
	t->err_off = 0;
	t->end = p + n;
	t->depth = 0;
	t->err = NULL;
}

/* All readers return 0 on success and -1 on error (t->err set, sticky). */
int fr_tr_varint(fr_tr *t, uint64_t *v, int maxbytes);
int fr_tr_i32(fr_tr *t, int32_t *v);     /* zigzag varint, also i16 and enums */
int fr_tr_i64(fr_tr *t, int64_t *v);
int fr_tr_bin(fr_tr *t, const uint8_t **p, uint32_t *n);
/* Field header: *type = FR_TT_STOP at the end of the struct.  *last is the previous field id
 * of this struct (start at 0).  Bool fields carry their value in *type (TRUE/FALSE). */
int fr_tr_field(fr_tr *t, int16_t *last, int *type, int16_t *id);
/* List/set header; *n is checked against the bytes left (every element takes >= 1 byte,
 * except bool-free empty structs which still take their STOP byte). */
int fr_tr_list(fr_tr *t, int *etype, uint32_t *n);
/* Reads a bool field's value from its header type, or a list element of bool type. */
int fr_tr_bool_elem(fr_tr *t, int *v);
int fr_tr_skip(fr_tr *t, int type);
/* Struct nesting bookkeeping for decoders that recurse into sub-structs. */
int fr_tr_enter(fr_tr *t);
static inline void fr_tr_leave(fr_tr *t) { t->depth--; }
int fr_tr_fail(fr_tr *t, const char *why);

#endif
