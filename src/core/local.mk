# src/core: errors, arenas, buffers, logging, configuration, column vectors.
libfrocket_a_SOURCES += src/core/error.c src/core/arena.c src/core/buf.c src/core/log.c \
	src/core/config.c src/core/vec.c src/core/pool.c src/core/file.c src/core/jw.c
libfrocket_a_SOURCES += src/core/bin.c
noinst_HEADERS += src/core/bin.h
noinst_HEADERS += src/core/error.h src/core/arena.h src/core/buf.h src/core/log.h \
	src/core/config.h src/core/vec.h src/core/pool.h src/core/file.h src/core/jw.h

check_PROGRAMS += tests/unit/test_core
TESTS += tests/unit/test_core
tests_unit_test_core_SOURCES = tests/unit/test_core.c
tests_unit_test_core_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_core_LDADD = $(UNIT_LDADD)
libfrocket_a_SOURCES += src/core/clock.c
noinst_HEADERS += src/core/clock.h src/core/hash.h
