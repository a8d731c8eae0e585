# src/storage: the S3 store (SigV4 signer, credentials, ranged reads, disk cache).
libfrocket_a_SOURCES += src/storage/sigv4.c
noinst_HEADERS += src/storage/sigv4.h
EXTRA_DIST += tests/data/sigv4

check_PROGRAMS += tests/unit/test_sigv4
TESTS += tests/unit/test_sigv4
tests_unit_test_sigv4_SOURCES = tests/unit/test_sigv4.c
tests_unit_test_sigv4_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_sigv4_LDADD = $(UNIT_LDADD)
