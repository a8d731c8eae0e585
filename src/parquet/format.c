/* Display names of the parquet.thrift enumerations. */
#include "parquet/format.h"

#include <stddef.h>

#define NAME_FN(fn, LIST) \
	const char *fn(int v) \
	{ \
		switch (v) { \
		LIST(CASE) \
		} \
		return NULL; \
	}
#define CASE(n, val) case val: return #n;
NAME_FN(fr_pq_type_name, FR_PQ_TYPES)
NAME_FN(fr_pq_converted_name, FR_PQ_CONVERTED_TYPES)
NAME_FN(fr_pq_encoding_name, FR_PQ_ENCODINGS)
NAME_FN(fr_pq_codec_name, FR_PQ_CODECS)
NAME_FN(fr_pq_page_type_name, FR_PQ_PAGE_TYPES)
#undef CASE
