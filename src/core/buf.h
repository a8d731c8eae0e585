/* Growable byte buffer (heap-owned), for building payloads, JSON text and file images. */
#ifndef FR_CORE_BUF_H
#define FR_CORE_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct fr_buf {
	uint8_t *data;   /* owned; free with fr_buf_free */
	size_t len;
	size_t cap;
} fr_buf;

#define FR_BUF_INIT { NULL, 0, 0 }

/* All return 0 or FR_ENOMEM; on failure the buffer is unchanged. */
int fr_buf_reserve(fr_buf *b, size_t extra);
int fr_buf_append(fr_buf *b, const void *p, size_t n);
int fr_buf_putc(fr_buf *b, uint8_t c);
int fr_buf_printf(fr_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Little-endian fixed-width and ULEB128 varint appends. */
int fr_buf_put_u32le(fr_buf *b, uint32_t v);
int fr_buf_put_u64le(fr_buf *b, uint64_t v);
int fr_buf_put_varint(fr_buf *b, uint64_t v);
void fr_buf_reset(fr_buf *b);   /* len = 0, keeps memory */
void fr_buf_free(fr_buf *b);    /* releases memory, back to FR_BUF_INIT */

#endif
