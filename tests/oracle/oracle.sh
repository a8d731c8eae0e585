#!/bin/sh
# make check entry for the oracle suite (tests/oracle/run.js): 305 queries x 3 splits x 2 modes.
if ! command -v node >/dev/null 2>&1; then
	echo "FAIL: node not found; the oracle suite needs Node.js (scripts/install-deps installs it)"
	exit 1
fi
exec node "${FR_TOP_SRCDIR:-$(dirname "$0")/../..}/tests/oracle/run.js" "$@"
