# src/kernels: SIMD kernels over column vectors (scalar reference + AVX2 + NEON, runtime dispatch).
libfrocket_a_SOURCES += src/kernels/simd.c src/kernels/bitmap.c src/kernels/cmp.c \
	src/kernels/index.c src/kernels/group.c src/kernels/scratch.c
noinst_HEADERS += src/kernels/kernels.h src/kernels/internal.h

check_PROGRAMS += tests/unit/test_kernels
TESTS += tests/unit/test_kernels
tests_unit_test_kernels_SOURCES = tests/unit/test_kernels.c
tests_unit_test_kernels_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_kernels_LDADD = $(UNIT_LDADD)

# Timing program, outside `make` and `make check`: `make kernels-bench`.
KERNELS_BENCH = src/kernels/kernels-bench$(EXEEXT)
EXTRA_DIST += src/kernels/kernels_bench.c
CLEANFILES += $(KERNELS_BENCH)
.PHONY: kernels-bench
kernels-bench: $(KERNELS_BENCH)
$(KERNELS_BENCH): $(srcdir)/src/kernels/kernels_bench.c libfrocket.a
	@$(MKDIR_P) src/kernels
	$(AM_V_CCLD)$(CC) $(DEFS) $(DEFAULT_INCLUDES) $(AM_CPPFLAGS) $(CPPFLAGS) $(AM_CFLAGS) \
		$(CFLAGS) $(AM_LDFLAGS) $(LDFLAGS) -o $@ $(srcdir)/src/kernels/kernels_bench.c \
		libfrocket.a $(DEP_LIBS)
