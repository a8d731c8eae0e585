# src/kernels: SIMD kernels over column vectors (scalar reference + AVX2 + NEON, runtime dispatch).
libfrocket_a_SOURCES += src/kernels/simd.c src/kernels/bitmap.c src/kernels/cmp.c \
	src/kernels/index.c src/kernels/group.c
noinst_HEADERS += src/kernels/kernels.h src/kernels/internal.h

check_PROGRAMS += tests/unit/test_kernels
TESTS += tests/unit/test_kernels
tests_unit_test_kernels_SOURCES = tests/unit/test_kernels.c
tests_unit_test_kernels_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_kernels_LDADD = $(UNIT_LDADD)
