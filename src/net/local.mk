# src/net: network clients of the distributed mode (Redis over hiredis).
libfrocket_a_SOURCES += src/net/redis.c src/net/workq.c
noinst_HEADERS += src/net/redis.h src/net/workq.h

check_PROGRAMS += tests/unit/test_workq
TESTS += tests/unit/test_workq
tests_unit_test_workq_SOURCES = tests/unit/test_workq.c
tests_unit_test_workq_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_workq_LDADD = $(UNIT_LDADD)
