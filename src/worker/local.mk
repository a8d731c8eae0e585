# src/worker: `frocket-worker`, the task loops of the Redis work queue (distributed mode).
bin_PROGRAMS += frocket-worker
frocket_worker_SOURCES = src/worker/main.c src/worker/worker.c
noinst_HEADERS += src/worker/worker.h
EXTRA_DIST += dist/frocket-worker@.service

# End to end: a real redis-server, three workers, the oracle and the faults.
TESTS += tests/e2e/redis_test.py
EXTRA_DIST += tests/e2e/redis_test.py
