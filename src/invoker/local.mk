# src/invoker: jobs (registration, query) over an executor; the local thread-pool executor.
libfrocket_a_SOURCES += src/invoker/invoker.c src/invoker/job.c src/invoker/local.c \
	src/invoker/query.c src/invoker/register.c src/invoker/stats.c src/invoker/docs.c \
	src/invoker/runtime.c src/invoker/work_queue.c src/invoker/metrics.c
noinst_HEADERS += src/invoker/invoker.h src/invoker/internal.h src/invoker/runtime.h

check_PROGRAMS += tests/unit/test_invoker
TESTS += tests/unit/test_invoker
tests_unit_test_invoker_SOURCES = tests/unit/test_invoker.c
tests_unit_test_invoker_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_invoker_LDADD = $(UNIT_LDADD)

# End to end: registration, the dataset commands and the oracle through `frocket run`.
TESTS += tests/datasets/dataset_test.py
EXTRA_DIST += tests/datasets/dataset_test.py
