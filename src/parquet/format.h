/* Enumerations of parquet.thrift (normative values), shared by the reader and the writer.
 * Written once as X-macros so names, codes and strings never drift apart. */
#ifndef FR_PARQUET_FORMAT_H
#define FR_PARQUET_FORMAT_H

#define FR_PQ_TYPES(X) \
	X(BOOLEAN, 0) X(INT32, 1) X(INT64, 2) X(INT96, 3) X(FLOAT, 4) X(DOUBLE, 5) \
	X(BYTE_ARRAY, 6) X(FIXED_LEN_BYTE_ARRAY, 7)

#define FR_PQ_CONVERTED_TYPES(X) \
	X(UTF8, 0) X(MAP, 1) X(MAP_KEY_VALUE, 2) X(LIST, 3) X(ENUM, 4) X(DECIMAL, 5) X(DATE, 6) \
	X(TIME_MILLIS, 7) X(TIME_MICROS, 8) X(TIMESTAMP_MILLIS, 9) X(TIMESTAMP_MICROS, 10) \
	X(UINT_8, 11) X(UINT_16, 12) X(UINT_32, 13) X(UINT_64, 14) X(INT_8, 15) X(INT_16, 16) \
	X(INT_32, 17) X(INT_64, 18) X(JSON, 19) X(BSON, 20) X(INTERVAL, 21)

#define FR_PQ_ENCODINGS(X) \
	X(PLAIN, 0) X(GROUP_VAR_INT, 1) X(PLAIN_DICTIONARY, 2) X(RLE, 3) X(BIT_PACKED, 4) \
	X(DELTA_BINARY_PACKED, 5) X(DELTA_LENGTH_BYTE_ARRAY, 6) X(DELTA_BYTE_ARRAY, 7) \
	X(RLE_DICTIONARY, 8) X(BYTE_STREAM_SPLIT, 9) X(ALP, 10)

#define FR_PQ_CODECS(X) \
	X(UNCOMPRESSED, 0) X(SNAPPY, 1) X(GZIP, 2) X(LZO, 3) X(BROTLI, 4) X(LZ4, 5) X(ZSTD, 6) \
	X(LZ4_RAW, 7)

#define FR_PQ_PAGE_TYPES(X) \
	X(DATA_PAGE, 0) X(INDEX_PAGE, 1) X(DICTIONARY_PAGE, 2) X(DATA_PAGE_V2, 3)

#define FR_PQ_REPETITIONS(X) X(REQUIRED, 0) X(OPTIONAL, 1) X(REPEATED, 2)

/* LogicalType union member ids (SchemaElement field 10). */
#define FR_PQ_LOGICAL_TYPES(X) \
	X(STRING, 1) X(MAP, 2) X(LIST, 3) X(ENUM, 4) X(DECIMAL, 5) X(DATE, 6) X(TIME, 7) \
	X(TIMESTAMP, 8) X(INTEGER, 10) X(UNKNOWN, 11) X(JSON, 12) X(BSON, 13) X(UUID, 14) \
	X(FLOAT16, 15) X(VARIANT, 16) X(GEOMETRY, 17) X(GEOGRAPHY, 18) X(FILE, 19)

enum fr_pq_type {
#define X(n, v) FR_PQ_##n = v,
	FR_PQ_TYPES(X)
#undef X
};
enum fr_pq_converted {
#define X(n, v) FR_PQ_CT_##n = v,
	FR_PQ_CONVERTED_TYPES(X)
#undef X
};
enum fr_pq_encoding {
#define X(n, v) FR_PQ_ENC_##n = v,
	FR_PQ_ENCODINGS(X)
#undef X
};
enum fr_pq_codec {
#define X(n, v) FR_PQ_CODEC_##n = v,
	FR_PQ_CODECS(X)
#undef X
};
enum fr_pq_page_type {
#define X(n, v) FR_PQ_PAGE_##n = v,
	FR_PQ_PAGE_TYPES(X)
#undef X
};
enum fr_pq_repetition {
#define X(n, v) FR_PQ_REP_##n = v,
	FR_PQ_REPETITIONS(X)
#undef X
};
enum fr_pq_logical {
#define X(n, v) FR_PQ_LT_##n = v,
	FR_PQ_LOGICAL_TYPES(X)
#undef X
};

/* Names for display ("SNAPPY"); "UNKNOWN(<n>)"-style callers handle NULL for unknown codes. */
const char *fr_pq_type_name(int v);
const char *fr_pq_converted_name(int v);
const char *fr_pq_encoding_name(int v);
const char *fr_pq_codec_name(int v);
const char *fr_pq_page_type_name(int v);

#endif
