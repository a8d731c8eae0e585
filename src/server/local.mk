# src/server: frocket-server, the HTTP API over libmicrohttpd (issue 15).
bin_PROGRAMS += frocket-server
frocket_server_SOURCES = src/server/main.c src/server/server.c src/server/opts.c \
	src/server/apidoc.c src/server/metrics.c src/server/route.c
noinst_HEADERS += src/server/server.h

# End to end against the real binary on loopback (python3 standard library only).
TESTS += tests/e2e/server_test.py
EXTRA_DIST += tests/e2e/server_test.py dist/frocket-server.service bench/run-server.sh

# Fuzz target for routing and body handling: replayed over its seeds in `make check`; a
# libFuzzer build (./configure --enable-fuzzing, clang) explores from them.
check_PROGRAMS += tests/fuzz/replay_server
TESTS += tests/fuzz/replay_server
tests_fuzz_replay_server_SOURCES = tests/fuzz/replay.c tests/fuzz/fuzz_server.c \
	src/server/apidoc.c src/server/route.c
tests_fuzz_replay_server_CPPFLAGS = $(AM_CPPFLAGS) -DFR_FUZZ_CORPORA='"tests/fuzz/corpus_server"'
EXTRA_DIST += tests/fuzz/corpus_server

if FUZZING
noinst_PROGRAMS += tests/fuzz/fuzz_server
tests_fuzz_fuzz_server_SOURCES = tests/fuzz/fuzz_server.c src/server/apidoc.c src/server/route.c
tests_fuzz_fuzz_server_CFLAGS = $(AM_CFLAGS) -fsanitize=fuzzer
tests_fuzz_fuzz_server_LDFLAGS = $(AM_LDFLAGS) -fsanitize=fuzzer
endif
