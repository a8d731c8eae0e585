# src/query: query document, validation, execution, merge, result document.
libfrocket_a_SOURCES += src/query/parse.c src/query/relation.c src/query/exec.c \
	src/query/result.c
noinst_HEADERS += src/query/query.h src/query/internal.h

check_PROGRAMS += tests/unit/test_query
TESTS += tests/unit/test_query
tests_unit_test_query_SOURCES = tests/unit/test_query.c tests/unit/query_testdata.h
tests_unit_test_query_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_query_LDADD = $(UNIT_LDADD)

check_PROGRAMS += tests/unit/test_query_pool
TESTS += tests/unit/test_query_pool
tests_unit_test_query_pool_SOURCES = tests/unit/test_query_pool.c
tests_unit_test_query_pool_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_query_pool_LDADD = $(UNIT_LDADD)
include tests/fuzz/query.mk

# End to end: `frocket query` shapes and exit codes, and the oracle suite over three splits.
TESTS += tests/query/cli_test.py
EXTRA_DIST += tests/query/cli_test.py tests/query/oracle_cmp.py tests/data/oracle

# Part results on the wire (task results cross a queue); tests/unit/test_wire.c.
libfrocket_a_SOURCES += src/query/wire.c
noinst_HEADERS += src/query/wire.h
check_PROGRAMS += tests/unit/test_wire
TESTS += tests/unit/test_wire
tests_unit_test_wire_SOURCES = tests/unit/test_wire.c tests/unit/query_testdata.h
tests_unit_test_wire_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_wire_LDADD = $(UNIT_LDADD)
