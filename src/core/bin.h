/* Bounds-checked little-endian binary encoding for payloads that cross processes (task
 * requests and results, part results, group-id blobs).  Writers append to an fr_buf; readers
 * never read past `end` and latch the first error, so a decoder checks once at the end. */
#ifndef FR_CORE_BIN_H
#define FR_CORE_BIN_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/error.h"

/* ---- Writing: each returns 0 or FR_ENOMEM (buffer unchanged on failure); fr_bin_bytes and
 * fr_bin_str also FR_ELIMIT for 2^32 - 1 bytes or more. ---- */
int fr_bin_u8(fr_buf *b, uint8_t v);
int fr_bin_u32(fr_buf *b, uint32_t v);
int fr_bin_i32(fr_buf *b, int32_t v);
int fr_bin_u64(fr_buf *b, uint64_t v);
int fr_bin_i64(fr_buf *b, int64_t v);
int fr_bin_f64(fr_buf *b, double v);               /* IEEE-754 bits, little-endian */
int fr_bin_bytes(fr_buf *b, const void *p, size_t n);  /* u32 length + bytes (n < 2^32) */
/* u32 length + bytes, with length 0xffffffff for NULL, so NULL is distinct from "". */
int fr_bin_str(fr_buf *b, const char *s);

/* ---- Reading ---- */
typedef struct fr_bin_reader {
	const uint8_t *p, *end;
	const uint8_t *start;      /* for the byte offset in error messages */
	int bad;                   /* set at the first short or invalid read; later reads return 0 */
	const char *what;          /* what failed first (a static string), for the error message */
} fr_bin_reader;

void fr_bin_reader_init(fr_bin_reader *r, const void *data, size_t len);
uint8_t fr_bin_get_u8(fr_bin_reader *r);
uint32_t fr_bin_get_u32(fr_bin_reader *r);
int32_t fr_bin_get_i32(fr_bin_reader *r);
uint64_t fr_bin_get_u64(fr_bin_reader *r);
int64_t fr_bin_get_i64(fr_bin_reader *r);
double fr_bin_get_f64(fr_bin_reader *r);
/* Borrowed view into the input (valid while the input lives); *n set.  NULL on error. */
const uint8_t *fr_bin_get_bytes(fr_bin_reader *r, size_t *n);
/* Copy into arena, NUL-terminated; NULL for an encoded NULL or on error (check r->bad).  A
 * string holding a NUL byte is refused: C strings could not carry it whole. */
char *fr_bin_get_str(fr_bin_reader *r, fr_arena *a);
/* A flag byte: 0 or 1, anything else is refused. */
int fr_bin_get_bool(fr_bin_reader *r);
/* A count of following items, each at least min_item_bytes long: refused (r->bad) when the
 * remaining input cannot hold that many, so a corrupt count never drives a huge allocation. */
uint32_t fr_bin_get_count(fr_bin_reader *r, size_t min_item_bytes);
/* Marks the input bad for a decoder's own reason (unknown kind, shape mismatch); `what` is a
 * static string.  Only the first failure is kept. */
void fr_bin_fail(fr_bin_reader *r, const char *what);
/* 0 when every read succeeded and the input is consumed exactly; else FR_ECORRUPT naming
 * `ctx` and what failed. */
int fr_bin_reader_done(const fr_bin_reader *r, const char *ctx, fr_err *err);

#endif
