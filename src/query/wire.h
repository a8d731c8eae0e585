/* Part results on the wire: a compact, versioned binary form of fr_qresult so a part's
 * answer can cross a queue (task results) and be merged by another process. */
#ifndef FR_QUERY_WIRE_H
#define FR_QUERY_WIRE_H

#include <stddef.h>

#include "core/buf.h"
#include "core/error.h"
#include "query/query.h"

/* Appends r (a part result of q) to b.  0, or FR_ENOMEM. */
int fr_qresult_encode(const fr_query *q, const fr_qresult *r, fr_buf *b, fr_err *err);
/* Decodes a part result of q from untrusted bytes: its shape (stages, aggregations, entry
 * counts, key lengths) must match q exactly and every length is checked against the input.
 * *out is a new result (own arena; fr_qresult_free) that fr_qresult_merge accepts.
 * FR_ECORRUPT naming what does not match. */
int fr_qresult_decode(const fr_query *q, const void *data, size_t len, fr_qresult **out,
                      fr_err *err);

#endif
