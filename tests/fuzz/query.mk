# tests/fuzz (query): fuzz_query over the query parser, validator and engine.  The replay
# driver runs the seed corpus in `make check` with any compiler; libFuzzer needs clang and
# ./configure --enable-fuzzing.  Included from src/query/local.mk.
check_PROGRAMS += tests/fuzz/replay_query
TESTS += tests/fuzz/replay_query
tests_fuzz_replay_query_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_query.c
tests_fuzz_replay_query_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit \
	-DFR_FUZZ_CORPORA='"tests/fuzz/corpus_query"'
EXTRA_DIST += tests/fuzz/corpus_query

if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_query
tests_fuzz_fuzz_query_SOURCES = tests/fuzz/fuzz_query.c
tests_fuzz_fuzz_query_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/unit
tests_fuzz_fuzz_query_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_query_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
endif
