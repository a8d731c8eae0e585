# src/storage: the S3 store (SigV4 signer, credentials, ranged reads, disk cache).
libfrocket_a_SOURCES += src/storage/sigv4.c src/storage/s3.c src/storage/creds.c \
	src/storage/cache.c src/storage/dl.c
noinst_HEADERS += src/storage/sigv4.h src/storage/s3.h src/storage/s3_internal.h \
	src/storage/dl.h
EXTRA_DIST += tests/data/sigv4 tests/e2e/package.json tests/e2e/package-lock.json \
	tests/e2e/s3_util.js tests/e2e/s3_proxy.js

check_PROGRAMS += tests/unit/test_sigv4
TESTS += tests/unit/test_sigv4
tests_unit_test_sigv4_SOURCES = tests/unit/test_sigv4.c
tests_unit_test_sigv4_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_sigv4_LDADD = $(UNIT_LDADD)

check_PROGRAMS += tests/unit/test_s3
TESTS += tests/unit/test_s3
tests_unit_test_s3_SOURCES = tests/unit/test_s3.c
tests_unit_test_s3_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_s3_LDADD = $(UNIT_LDADD)

# End to end against s3rver on loopback (needs node and tests/e2e/node_modules: scripts/test
# runs `npm ci` there).
TESTS += tests/e2e/s3_test.py
EXTRA_DIST += tests/e2e/s3_test.py bench/s3-bench.py
