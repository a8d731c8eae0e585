/* Thrift compact-protocol encoder for the Parquet writer's page headers and footer.
 * Errors are sticky: calls after a failed append do nothing and fr_tenc_status reports it. */
#ifndef FR_PARQUET_THRIFT_ENC_H
#define FR_PARQUET_THRIFT_ENC_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"

/* Compact-protocol wire types. */
enum { FR_TC_TRUE = 1, FR_TC_FALSE = 2, FR_TC_BYTE = 3, FR_TC_I16 = 4, FR_TC_I32 = 5,
	FR_TC_I64 = 6, FR_TC_DOUBLE = 7, FR_TC_BINARY = 8, FR_TC_LIST = 9, FR_TC_SET = 10,
	FR_TC_MAP = 11, FR_TC_STRUCT = 12 };

#define FR_TENC_MAX_DEPTH 16

typedef struct fr_tenc {
	fr_buf *out;                         /* appended to; owned by the caller */
	int16_t last[FR_TENC_MAX_DEPTH];     /* last field id per open struct (delta encoding) */
	int depth;
	int status;                          /* 0 or the first error (FR_ENOMEM, FR_EINVAL) */
} fr_tenc;

/* Starts encoding into out; the outermost struct is opened implicitly. */
void fr_tenc_init(fr_tenc *t, fr_buf *out);
/* Ends the outermost struct; returns the sticky status. */
int fr_tenc_finish(fr_tenc *t);
int fr_tenc_status(const fr_tenc *t);

/* Fields of the currently open struct. */
void fr_tenc_i16(fr_tenc *t, int16_t id, int16_t v);
void fr_tenc_i32(fr_tenc *t, int16_t id, int32_t v);
void fr_tenc_i64(fr_tenc *t, int16_t id, int64_t v);
void fr_tenc_bool(fr_tenc *t, int16_t id, int v);
void fr_tenc_bin(fr_tenc *t, int16_t id, const void *p, size_t n);
void fr_tenc_str(fr_tenc *t, int16_t id, const char *s);
void fr_tenc_struct_begin(fr_tenc *t, int16_t id);
void fr_tenc_struct_end(fr_tenc *t);
/* A list field of n elements of wire type elem; then write exactly n elements below. */
void fr_tenc_list_begin(fr_tenc *t, int16_t id, int elem, uint32_t n);

/* List elements. */
void fr_tenc_elem_i32(fr_tenc *t, int32_t v);
void fr_tenc_elem_bin(fr_tenc *t, const void *p, size_t n);
void fr_tenc_elem_struct_begin(fr_tenc *t);   /* closed with fr_tenc_struct_end */

#endif
