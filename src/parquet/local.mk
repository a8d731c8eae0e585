# src/parquet (reader): Thrift compact decoding, footer, schema, pages, codecs, encodings.
noinst_HEADERS += src/parquet/parquet.h
include src/parquet/writer.mk
