# src/parquet (reader): Thrift compact decoding, footer, schema, pages, codecs, encodings.
libfrocket_a_SOURCES += src/parquet/format.c src/parquet/thrift.c src/parquet/footer.c \
	src/parquet/codec.c src/parquet/snappy.c src/parquet/decode.c src/parquet/column.c src/parquet/reader.c
noinst_HEADERS += src/parquet/parquet.h src/parquet/format.h src/parquet/thrift.h \
	src/parquet/internal.h src/parquet/codec.h src/parquet/snappy.h src/parquet/decode.h
include src/parquet/writer.mk

# Corpus test: every file of tests/data/parquet through `frocket inspect --rows`.
TESTS += tests/parquet/corpus_test.py
EXTRA_DIST += tests/parquet/corpus_test.py tests/data/parquet

check_PROGRAMS += tests/unit/test_parquet
TESTS += tests/unit/test_parquet
tests_unit_test_parquet_SOURCES = tests/unit/test_parquet.c
tests_unit_test_parquet_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_parquet_LDADD = $(UNIT_LDADD)
