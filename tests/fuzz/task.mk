# tests/fuzz (task): fuzz_task over the task request/result and part-result decoders.  The
# replay driver runs the seed corpus in `make check`; gen_task_seeds rewrites that corpus
# (run it from the source tree after a wire format change).  Included from src/task/local.mk.
check_PROGRAMS += tests/fuzz/replay_task tests/fuzz/gen_task_seeds
TESTS += tests/fuzz/replay_task
tests_fuzz_replay_task_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_task.c tests/fuzz/task_query.h
tests_fuzz_replay_task_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit \
	-DFR_FUZZ_CORPORA='"tests/fuzz/corpus_task"'
tests_fuzz_gen_task_seeds_SOURCES = tests/fuzz/gen_task_seeds.c tests/fuzz/task_query.h
tests_fuzz_gen_task_seeds_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit
EXTRA_DIST += tests/fuzz/corpus_task

if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_task
tests_fuzz_fuzz_task_SOURCES = tests/fuzz/fuzz_task.c tests/fuzz/task_query.h
tests_fuzz_fuzz_task_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit
tests_fuzz_fuzz_task_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_task_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
endif
