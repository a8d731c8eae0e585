# src/datastore: the catalog of registered datasets (embedded SQLite now, Redis later).
libfrocket_a_SOURCES += src/datastore/catalog.c src/datastore/catalog_sqlite.c \
	src/datastore/catalog_redis.c
noinst_HEADERS += src/datastore/catalog.h src/datastore/catalog_impl.h

check_PROGRAMS += tests/unit/test_catalog
TESTS += tests/unit/test_catalog
tests_unit_test_catalog_SOURCES = tests/unit/test_catalog.c
tests_unit_test_catalog_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_catalog_LDADD = $(UNIT_LDADD)
