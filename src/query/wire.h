/* Part results on the wire: a compact, versioned binary form of fr_qresult so a part's
 * answer can cross a queue (task results) and be merged by another process. */
#ifndef FR_QUERY_WIRE_H
#define FR_QUERY_WIRE_H

#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"
#include "query/query.h"

/* Bump when the encoding changes; a decoder refuses other versions. */
#define FR_QRESULT_WIRE_VERSION 1
/* The most rows a decoded part may claim (2^40: far past what one part can hold in memory),
 * which bounds every count so merges of decoded parts cannot overflow. */
#define FR_QRESULT_MAX_ROWS ((int64_t)1 << 40)

/* Appends r (a part result of q) to b.  0, or FR_ENOMEM (b as it was). */
int fr_qresult_encode(const fr_query *q, const fr_qresult *r, fr_buf *b, fr_err *err);
/* Decodes a part result of q from untrusted bytes: its shape (stages, aggregations, entry
 * counts, key lengths) must match q exactly and every length is checked against the input.
 * *out is a new result (own arena; fr_qresult_free) that fr_qresult_merge accepts as its
 * part argument, as it accepts fr_query_exec's (not as the accumulator: start that with
 * fr_qresult_new).  Keys are NUL-terminated copies.
 * FR_ECORRUPT naming what does not match or is out of range (see FR_QRESULT_MAX_ROWS). */
int fr_qresult_decode(const fr_query *q, const void *data, size_t len, fr_qresult **out,
                      fr_err *err);

#endif
