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

# NEON path on an x86 host: cross-build the kernel tests for aarch64 (Check replaced by a shim)
# and run them under qemu-user.  Needs the Debian packages gcc-aarch64-linux-gnu, qemu-user.
KERNELS_NEON_SRC = src/core/error.c src/core/arena.c src/core/buf.c src/core/log.c \
	src/core/config.c src/core/vec.c src/kernels/simd.c src/kernels/bitmap.c src/kernels/cmp.c \
	src/kernels/index.c src/kernels/group.c src/kernels/scratch.c tests/unit/test_kernels.c
EXTRA_DIST += tests/unit/test_kernels_shim.h
CLEANFILES += tests/unit/test_kernels-aarch64
.PHONY: kernels-neon-check
kernels-neon-check:
	@$(MKDIR_P) tests/unit
	aarch64-linux-gnu-gcc -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wshadow \
		-Wno-unused-parameter -fno-strict-aliasing -D_GNU_SOURCE -DFR_CHECK_SHIM -static \
		-I$(top_srcdir)/src -I$(top_srcdir)/tests/unit \
		$(addprefix $(top_srcdir)/,$(KERNELS_NEON_SRC)) -lm -lpthread \
		-o tests/unit/test_kernels-aarch64
	qemu-aarch64 tests/unit/test_kernels-aarch64
