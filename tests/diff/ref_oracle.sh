#!/bin/sh
# make check entry: the reference evaluator of the differential test must reproduce the oracle.
if ! command -v node >/dev/null 2>&1; then
	echo "FAIL: node not found; this test needs Node.js (scripts/install-deps installs it)"
	exit 1
fi
exec node "${FR_TOP_SRCDIR:-$(dirname "$0")/../..}/tests/diff/ref_oracle.js"
