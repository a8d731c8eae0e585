#!/bin/sh
# Issue 2 benchmark: Parquet decode throughput per column kind and codec vs DuckDB, one thread.
# Usage: bench/run-decode.sh [--rows N] [--repeat R]   (FR_BUILD=build dir, default ./build)
set -e
here=$(cd "$(dirname "$0")" && pwd)
[ -d "$here/node_modules/@duckdb/node-api" ] || (cd "$here" && npm ci --silent)
make -s -C "${FR_BUILD:-$here/../build}" bench
exec node "$here/decode.js" "$@"
