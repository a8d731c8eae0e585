#!/bin/sh
# `frocket repartition`: the oracle dataset from 4 parts into 7 (and by a nullable string
# column into 3) keeps every row and places each group in its documented part (checked with
# DuckDB); clear errors for bad inputs; peak RSS under --memory on an input 4x larger.
set -eu
top=${FR_TOP_SRCDIR:?} build=${FR_TOP_BUILDDIR:?}
fr="$build/frocket"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
oracle="$top/tests/data/oracle/data"
have_duckdb=1
if ! command -v node >/dev/null 2>&1 || [ ! -d "$top/bench/node_modules/@duckdb/node-api" ]; then
	have_duckdb=0
	echo "note: DuckDB for node is missing (cd bench && npm install); output checks skipped"
fi
duck() { [ $have_duckdb = 0 ] || NODE_PATH="$top/bench/node_modules" node "$top/tests/writer/repart_check.js" "$@"; }

"$fr" repartition --group-id uid --parts 7 --out "$tmp/r7" --no-progress "$oracle"/part-*.parquet
for i in 0 1 2 3 4 5 6; do [ -s "$tmp/r7/part-0000$i.parquet" ] || fail "part $i missing"; done
[ ! -e "$tmp/r7/part-00007.parquet" ] || fail "too many parts"
ls -a "$tmp/r7" | grep -q '\.tmp$' && fail "temporary files left behind"
duck "$tmp/r7" uid 7 "$oracle"/part-*.parquet

"$fr" repartition --group-id category --parts 3 --codec zstd --page-v2 --out "$tmp/r3" --no-progress \
	"$oracle"/part-*.parquet
duck "$tmp/r3" category 3 "$oracle"/part-*.parquet

# Round trip: repartitioning the output again gives the same parts, byte for byte.
"$fr" repartition --group-id uid --parts 7 --out "$tmp/r7b" --no-progress "$tmp"/r7/part-*.parquet
"$fr" repartition --group-id uid --parts 7 --out "$tmp/r7c" --no-progress "$tmp"/r7b/part-*.parquet
for i in 0 1 2 3 4 5 6; do
	cmp -s "$tmp/r7b/part-0000$i.parquet" "$tmp/r7c/part-0000$i.parquet" ||
		fail "repartition is not stable on its own output (part $i)"
done

check_err() {
	want="$1"; shift
	if "$fr" repartition --no-progress "$@" >"$tmp/out" 2>&1; then fail "repartition $* succeeded"; fi
	grep -q -- "$want" "$tmp/out" || fail "repartition $*: expected '$want' in: $(cat "$tmp/out")"
}
"$fr" gen --out "$tmp/g" --rows 1000 --parts 1 --no-progress
check_err "schema differs" --group-id uid --parts 2 --out "$tmp/e1" "$oracle/part-00000.parquet" "$tmp/g/part-00000.parquet"
[ ! -e "$tmp/e1/part-00000.parquet" ] || fail "output written despite a schema error"
check_err "no column 'nope'" --group-id nope --parts 2 --out "$tmp/e2" "$oracle/part-00000.parquet"
check_err "must be an integer or a string" --group-id price --parts 2 --out "$tmp/e3" "$oracle/part-00000.parquet"
check_err "--memory must be between 12 and" --group-id uid --parts 2 --memory 4 --out "$tmp/e4" "$oracle/part-00000.parquet"
check_err "no-such.parquet" --group-id uid --parts 2 --out "$tmp/e5" "$tmp/no-such.parquet"
check_err "no input files" --group-id uid --parts 2 --out "$tmp/e6"
head -c 100000 "$oracle/part-00000.parquet" >"$tmp/trunc.parquet"
check_err "trunc.parquet: not a parquet file" --group-id uid --parts 2 --out "$tmp/e7" "$tmp/trunc.parquet"

# Parts without rows (one visitor, three parts: two are empty) in and out.
"$fr" gen --out "$tmp/tiny" --rows 5 --users 1 --parts 3 --no-progress
"$fr" repartition --group-id visitorid --parts 4 --out "$tmp/tiny4" --no-progress "$tmp"/tiny/part-*.parquet
duck "$tmp/tiny4" visitorid 4 "$tmp"/tiny/part-*.parquet

# Bounded memory: a >= 64 MB input through a 16 MB budget.
"$fr" gen --out "$tmp/big" --rows 2.5M --parts 2 --row-group-rows 20000 --no-progress
size=$(cat "$tmp"/big/part-*.parquet | wc -c)
[ "$size" -ge $((64 * 1024 * 1024)) ] || fail "generated input is only $size bytes"
set +e
rss=$("$build/tests/writer/maxrss" "$fr" repartition --group-id visitorid --parts 7 --memory 16 \
	--out "$tmp/rb" --no-progress "$tmp"/big/part-*.parquet)
rc=$?
set -e
if [ $rc = 77 ]; then
	echo "peak RSS check skipped: $rss"
else
	[ $rc = 0 ] || fail "repartition of the large input failed"
	echo "peak RSS with --memory 16 on $size bytes of input: $rss KiB"
	[ "$rss" -lt $((16 * 1024)) ] || fail "peak RSS $rss KiB is over the 16 MB budget"
	duck "$tmp/rb" visitorid 7 "$tmp"/big/part-*.parquet
fi
echo "repartition ok"
