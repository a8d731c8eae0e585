# src/storage: basepaths (local, file://, s3:// recognised), listing parts, opening a part.
libfrocket_a_SOURCES += src/storage/storage.c
noinst_HEADERS += src/storage/storage.h

check_PROGRAMS += tests/unit/test_storage
TESTS += tests/unit/test_storage
tests_unit_test_storage_SOURCES = tests/unit/test_storage.c
tests_unit_test_storage_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_storage_LDADD = $(UNIT_LDADD)
