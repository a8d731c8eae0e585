#!/bin/sh
# make check entry for the randomized differential test (tests/diff/difftest.js); skips (77)
# when DuckDB for Node is not installed (cd bench && npm install).
top=${FR_TOP_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
if ! command -v node >/dev/null 2>&1; then
	echo "FAIL: node not found; this test needs Node.js (scripts/install-deps installs it)"
	exit 1
fi
if [ ! -d "$top/bench/node_modules/@duckdb/node-api" ]; then
	echo "SKIP: $top/bench/node_modules is missing; run: cd bench && npm install"
	exit 77
fi
NODE_PATH="$top/bench/node_modules" exec node "$top/tests/diff/difftest.js" "$@"
