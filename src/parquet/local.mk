# src/parquet (reader): Thrift compact decoding, footer, schema, pages, codecs, encodings.
libfrocket_a_SOURCES += src/parquet/format.c
noinst_HEADERS += src/parquet/parquet.h src/parquet/format.h
include src/parquet/writer.mk
