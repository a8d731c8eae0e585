#!/bin/sh
# Issue 14 benchmark (see bench/README.md): run against query, registration against the
# empty query, list and info with many datasets.  Options are passed to bench/datasets.js.
set -e
here=$(cd "$(dirname "$0")" && pwd)
exec node "$here/datasets.js" "$@"
