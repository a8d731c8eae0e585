# tests/fuzz: libFuzzer targets (clang, ./configure --enable-fuzzing) and a plain replay
# driver that `make check` runs over the seed corpora with any compiler.
check_PROGRAMS += tests/fuzz/replay_parquet
TESTS += tests/fuzz/replay_parquet
tests_fuzz_replay_parquet_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_parquet.c
# The seeds, then the whole reader corpus: valid, broken and malicious files.
tests_fuzz_replay_parquet_CPPFLAGS = $(AM_CPPFLAGS) \
	-DFR_FUZZ_CORPORA='"tests/fuzz/corpus_parquet:tests/data/parquet"'
EXTRA_DIST += tests/fuzz/corpus_parquet

if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_parquet
tests_fuzz_fuzz_parquet_SOURCES = tests/fuzz/fuzz_parquet.c
tests_fuzz_fuzz_parquet_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_parquet_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
endif
