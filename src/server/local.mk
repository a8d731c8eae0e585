# src/server: frocket-server, the HTTP API over libmicrohttpd (issue 15).
bin_PROGRAMS += frocket-server
frocket_server_SOURCES = src/server/main.c src/server/server.c src/server/opts.c \
	src/server/apidoc.c src/server/metrics.c
noinst_HEADERS += src/server/server.h

# End to end against the real binary on loopback (python3 standard library only).
TESTS += tests/e2e/server_test.py
EXTRA_DIST += tests/e2e/server_test.py dist/frocket-server.service
