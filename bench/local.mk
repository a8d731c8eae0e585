# bench/: benchmark programs (built with `make bench`, never run by make check) and the
# node drivers that time them against DuckDB (bench/run-*.sh).
EXTRA_PROGRAMS = bench/bench_decode
bench_bench_decode_SOURCES = bench/bench_decode.c
CLEANFILES += $(EXTRA_PROGRAMS)
EXTRA_DIST += bench/README.md bench/lib.js bench/gen-data.js bench/decode.js bench/write.js \
	bench/query.js bench/duck-child.js bench/run-decode.sh bench/run-write.sh \
	bench/run-query.sh bench/package-lock.json bench/queries bench/run-redis.sh \
	bench/redis-bench.py

.PHONY: bench
bench: frocket$(EXEEXT) bench/bench_decode$(EXEEXT)
