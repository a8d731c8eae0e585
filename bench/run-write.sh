#!/bin/sh
# Issue 3 benchmark: see bench/README.md.  Options are passed to bench/write.js.
# FR_BUILD = build directory (default ./build), FR_FROCKET = another frocket binary.
set -e
here=$(cd "$(dirname "$0")" && pwd)
[ -d "$here/node_modules/@duckdb/node-api" ] || (cd "$here" && npm ci --silent)
make -s -C "${FR_BUILD:-$here/../build}" bench
exec node "$here/write.js" "$@"
