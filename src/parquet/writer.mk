# src/parquet (writer side): Thrift compact encoding, page compression, level/value encoders,
# the streaming writer.
libfrocket_a_SOURCES += src/parquet/thrift_enc.c src/parquet/compress.c src/parquet/encode.c \
	src/parquet/writer.c
noinst_HEADERS += src/parquet/thrift_enc.h src/parquet/compress.h src/parquet/encode.h \
	src/parquet/writer.h

# Round trips through DuckDB (node) of files written with every option combination.
check_PROGRAMS += tests/writer/write_cases
tests_writer_write_cases_SOURCES = tests/writer/write_cases.c tests/writer/cases.c
TESTS += tests/writer/roundtrip_duckdb.sh
noinst_HEADERS += tests/writer/cases.h
EXTRA_DIST += tests/writer/roundtrip_duckdb.sh tests/writer/duckdb_check.js

check_PROGRAMS += tests/unit/test_writer
TESTS += tests/unit/test_writer
tests_unit_test_writer_SOURCES = tests/unit/test_writer.c tests/writer/cases.c
tests_unit_test_writer_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_writer_LDADD = $(UNIT_LDADD)
