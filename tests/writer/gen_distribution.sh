#!/bin/sh
# `frocket gen` distributions checked with DuckDB: counts, event shares, partitioning, order.
set -eu
top=${FR_TOP_SRCDIR:?} build=${FR_TOP_BUILDDIR:?}
if ! command -v node >/dev/null 2>&1; then echo "SKIP: node is not installed"; exit 77; fi
if [ ! -d "$top/bench/node_modules/@duckdb/node-api" ]; then
	echo "SKIP: DuckDB for node is missing: cd bench && npm install"; exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$build/frocket" gen --out "$tmp/u" --rows 300k --parts 4 --seed 5 --row-group-rows 40000
NODE_PATH="$top/bench/node_modules" node "$top/tests/writer/gen_check.js" "$tmp/u" 300000 150000 4 0
"$build/frocket" gen --out "$tmp/s" --rows 200k --users 20k --parts 3 --seed 9 --sorted --codec zstd --page-v2
NODE_PATH="$top/bench/node_modules" node "$top/tests/writer/gen_check.js" "$tmp/s" 200000 20000 3 1
