#!/bin/sh
# Issue 16 benchmark (see bench/README.md, "Distributed mode"): the distributed path through
# Redis and 2 frocket-worker processes against the embedded mode on the same cores.  Starts
# and stops its own redis-server; options are passed to bench/redis-bench.py.
# FR_BUILD = build directory (default ./build); FR_FROCKET / FR_WORKER = other binaries.
set -e
here=$(cd "$(dirname "$0")" && pwd)
exec python3 "$here/redis-bench.py" "$@"
