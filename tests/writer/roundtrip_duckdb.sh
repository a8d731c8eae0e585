#!/bin/sh
# Writer round trip through DuckDB: every type, null pattern, codec, page version and
# dictionary setting must read back identically (values, types, statistics).
set -eu
top=${FR_TOP_SRCDIR:?} build=${FR_TOP_BUILDDIR:?}
if ! command -v node >/dev/null 2>&1; then
	echo "SKIP: node is not installed"; exit 77
fi
if [ ! -d "$top/bench/node_modules/@duckdb/node-api" ]; then
	echo "SKIP: DuckDB for node is missing: cd bench && npm install"; exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$build/tests/writer/write_cases" "$tmp"
NODE_PATH="$top/bench/node_modules" node "$top/tests/writer/duckdb_check.js" "$tmp"
