# src/worker: `frocket-worker`, the task loops of the Redis work queue (distributed mode).
bin_PROGRAMS += frocket-worker
frocket_worker_SOURCES = src/worker/main.c src/worker/worker.c src/worker/known.c
noinst_HEADERS += src/worker/worker.h src/worker/known.h

# the self-select candidates' record
check_PROGRAMS += tests/unit/test_known
TESTS += tests/unit/test_known
tests_unit_test_known_SOURCES = tests/unit/test_known.c src/worker/known.c
tests_unit_test_known_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_known_LDADD = $(UNIT_LDADD)
EXTRA_DIST += dist/frocket-worker@.service

# End to end: a real redis-server, three workers, the oracle and the faults.
TESTS += tests/e2e/redis_test.py
EXTRA_DIST += tests/e2e/redis_test.py
