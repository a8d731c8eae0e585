#!/bin/sh
# Issue 13, data tools (gen, repartition, inspect) under hostile use: counts that overflow,
# range and usage errors (one exit code, the right bound), runs failing midway (file size
# limit) or interrupted (SIGINT, SIGTERM, SIGKILL) over an earlier dataset, the memory
# budget, --row-group-rows, and the cost of many row groups.
. "$(dirname "$0")/lib.sh"
FR=$FROCKET
MAXRSS="$BUILD/tests/writer/maxrss"

# ---- counts and ranges: exit 2 with the bound that applies, no sanitizer report ----------
expect_rc 2 "gen --rows 9223372036.9G" "$FR" gen --rows 9223372036.9G --out "$T/x"
expect_err "--rows must be between 1 and 1099511627776, not 9223372036.9G" "overflowing --rows: bound"
expect_rc 2 "gen --seed 99999999999999999999999G" "$FR" gen --seed 99999999999999999999999G --out "$T/x"
expect_err "--seed must be between 0 and 9223372036854775807" "overflowing --seed: bound"
expect_rc 2 "gen --threads 18446744073709551617" "$FR" gen --threads 18446744073709551617 --out "$T/x"
expect_err "--threads must be between 0 and 1024" "overflowing --threads: bound"
expect_rc 2 "repartition --memory 99999999999999" "$FR" repartition -g a --parts 2 --memory 99999999999999 --out "$T/x" in
expect_err "--memory must be between 12 and 1048576, not 99999999999999" "--memory too large: upper bound"
expect_rc 2 "repartition --memory 4" "$FR" repartition -g a --parts 2 --memory 4 --out "$T/x" in
expect_err "--memory must be between 12 and" "--memory too small: same message"
expect_rc 2 "repartition --memory abc (parse error: same exit as range)" "$FR" repartition -g a --parts 2 --memory abc --out "$T/x" in
expect_rc 2 "gen --parts 1000001" "$FR" gen --parts 1000001 --out "$T/x"
expect_err "--parts must be between 1 and 10000, not 1000001" "gen --parts: the bound and the value given"
expect_rc 2 "repartition --parts 1000001" "$FR" repartition -g a --parts 1000001 --out "$T/x" in
expect_err "--parts must be between 1 and 10000, not 1000001" "repartition --parts: the same bound"
expect_rc 2 "gen --rows 1.5 (not a whole count)" "$FR" gen --rows 1.5 --out "$T/x"
expect_rc 2 "gen --users above --rows" "$FR" gen --rows 10 --users 11 --out "$T/x"
[ ! -e "$T/x" ] && ok "no output directory after usage errors" || fail "usage errors created $T/x"

# ---- inspect: one mode, no option that would do nothing ----------------------------------
"$FR" gen --rows 20k --parts 4 --seed 7 --out "$T/old" --no-progress 2>"$T/err" || fail "gen old dataset"
P0="$T/old/part-00000.parquet"
expect_rc 2 "inspect --meta --rows" "$FR" inspect --meta --rows "$P0"
expect_err "--meta and --rows cannot be combined" "inspect: conflicting modes named"
expect_rc 2 "inspect --rows --schema" "$FR" inspect --rows --schema "$P0"
expect_rc 2 "inspect --columns without --rows" "$FR" inspect --columns visitorid "$P0"
expect_err "--columns applies to --rows only" "inspect: --columns needs --rows"
expect_rc 2 "inspect --meta --limit 3" "$FR" inspect --meta --limit 3 "$P0"
expect_rc 2 "inspect --rows --json" "$FR" inspect --rows --json "$P0"
expect_rc 2 "inspect --rows --limit -1" "$FR" inspect --rows --limit -1 "$P0"
expect_rc 0 "inspect --rows --rows --limit 2k --columns" "$FR" inspect --rows --rows --limit 2k --columns visitorid "$P0"
[ "$(wc -l <"$T/out")" = 2000 ] && ok "inspect --limit 2k: 2000 rows" || fail "inspect --limit 2k: $(wc -l <"$T/out") rows"

# ---- repartition -g, --row-group-rows exact ----------------------------------------------
expect_rc 0 "repartition -g --row-group-rows 300" "$FR" repartition -g visitorid --parts 3 --row-group-rows 300 --out "$T/r300" --no-progress "$T"/old/part-*.parquet
bad=0
for f in "$T"/r300/part-*.parquet; do
	"$FR" inspect --meta "$f" | sed -n 's/^row group [0-9]*: \([0-9]*\) rows$/\1/p' >"$T/rg"
	# every row group 300 rows, but the last may be smaller
	sed '$d' "$T/rg" | grep -qv '^300$' && bad=1
	[ "$(tail -n 1 "$T/rg")" -le 300 ] || bad=1
done
[ $bad = 0 ] && ok "repartition --row-group-rows 300: row groups of 300" || fail "row groups other than 300 rows"
expect_rc 0 "repartition --row-group-rows 7 --memory 12" "$FR" repartition -g visitorid --parts 2 --row-group-rows 7 --memory 12 --out "$T/r7" --no-progress "$T"/old/part-*.parquet
"$FR" inspect --meta "$T/r7/part-00000.parquet" | sed -n 's/^row group [0-9]*: \([0-9]*\) rows$/\1/p' | sed '$d' | grep -qv '^7$' &&
	fail "--row-group-rows 7 not honoured" || ok "--row-group-rows 7 honoured"

# ---- failing midway (file size limit): the earlier dataset survives byte for byte ---------
sums() { (cd "$1" && ls -A | sort && cksum part-*.parquet); }
sums "$T/old" >"$T/old.sums"
limited() { (trap '' XFSZ; ulimit -f 256; exec "$@"); }
expect_rc 1 "gen over an old dataset, writes failing (EFBIG)" limited "$FR" gen --rows 400k --parts 4 --threads 1 --out "$T/old" --no-progress
expect_err "File too large" "gen: the write error is named"
sums "$T/old" | cmp -s - "$T/old.sums" && ok "gen failure: old dataset intact, no temp file" || { fail "gen failure changed $T/old"; ls -la "$T/old" >&2; }
expect_rc 1 "gen with more parts, failing" limited "$FR" gen --rows 400k --parts 6 --out "$T/old" --no-progress
sums "$T/old" | cmp -s - "$T/old.sums" && ok "gen failure (6 parts): no part 4 or 5, old intact" || fail "gen failure with 6 parts changed $T/old"
"$FR" gen --rows 400k --parts 2 --out "$T/big" --no-progress 2>/dev/null || fail "gen big"
expect_rc 1 "repartition over an old dataset, writes failing" limited "$FR" repartition -g visitorid --parts 4 --out "$T/old" --no-progress "$T"/big/part-*.parquet
sums "$T/old" | cmp -s - "$T/old.sums" && ok "repartition failure: old dataset intact, no temp file" || fail "repartition failure changed $T/old"

# ---- interrupted runs: no temporary file left behind --------------------------------------
# wait_tmp DIR: waits (deadline 60 s) until DIR holds a temporary part, checking every 10 ms.
# (Not inotifywait: the parts are created within milliseconds of the start, before a watch
# set up after the first check exists, and a fast machine then finishes the whole run within
# the watch's timeout: CI saw no temporary part at all.)
wait_tmp() {
	end=$(($(date +%s) + 60))
	while [ "$(date +%s)" -lt "$end" ]; do
		ls -A "$1" 2>/dev/null | grep -q '\.tmp$' && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.01   # poll interval only: the deadline is the clock's
	done
	return 1
}
# Each case starts from the earlier dataset, so one case that goes wrong is reported alone.
cp -a "$T/old" "$T/old.orig"
restore() { rm -rf "$T/old" && cp -a "$T/old.orig" "$T/old"; }
# interrupt SIG DESC CMD...: starts CMD (signals at their defaults: a background job of a
# script ignores SIGINT), signals it once it writes, and checks it died of SIG leaving the
# earlier dataset and no temporary file.
interrupt() {
	sig=$1; desc=$2; shift 2
	restore
	env --default-signal=INT,TERM,HUP "$@" >/dev/null 2>"$T/err" &
	pid=$!
	if ! wait_tmp "$T/old"; then
		wait $pid; fail "$desc: never saw a temporary part"; return
	fi
	kill -s "$sig" $pid
	wait $pid; rc=$?
	[ $rc -gt 128 ] && ok "$desc: died of the signal ($rc)" || fail "$desc: exit $rc"
	sums "$T/old" | cmp -s - "$T/old.sums" && ok "$desc: old dataset intact, temp files removed" ||
		{ fail "$desc: leftovers"; ls -la "$T/old" >&2; }
}
"$FR" gen --rows 4M --parts 2 --out "$T/in4m" --no-progress 2>/dev/null || fail "gen 4M"
interrupt INT "repartition SIGINT" "$FR" repartition -g visitorid --parts 4 --out "$T/old" --no-progress "$T"/in4m/part-*.parquet
interrupt TERM "repartition SIGTERM" "$FR" repartition -g visitorid --parts 4 --out "$T/old" --no-progress "$T"/in4m/part-*.parquet
interrupt TERM "gen SIGTERM" "$FR" gen --rows 20M --parts 4 --threads 1 --out "$T/old" --no-progress
interrupt HUP "gen SIGHUP" "$FR" gen --rows 20M --parts 4 --threads 1 --out "$T/old" --no-progress
# SIGKILL cannot be caught: the next run into the directory removes what it left.
restore
"$FR" gen --rows 20M --parts 4 --threads 1 --out "$T/old" --no-progress 2>/dev/null &
pid=$!
if wait_tmp "$T/old"; then
	kill -9 $pid; wait $pid
	ls -A "$T/old" | grep -q '\.tmp$' && ok "SIGKILL leaves a temporary part" || fail "no temp part after SIGKILL"
	expect_rc 1 "next run (failing) into the directory" limited "$FR" gen --rows 400k --parts 4 --out "$T/old" --no-progress
	sums "$T/old" | cmp -s - "$T/old.sums" && ok "stale temp parts of the killed run removed" || { fail "stale temp parts kept"; ls -la "$T/old" >&2; }
else
	wait $pid; fail "SIGKILL: never saw a temporary part"
fi

# ---- memory budget: refused with a minimum that works, kept under it ---------------------
"$FR" gen --rows 1M --parts 1 --row-group-rows 1M --out "$T/one" --no-progress 2>/dev/null || fail "gen one row group"
expect_rc 1 "repartition --memory 12 on a 1M-row row group" "$FR" repartition -g visitorid --parts 4 --memory 12 --out "$T/rm" --no-progress "$T/one/part-00000.parquet"
expect_err "--memory 12 is too small for .*1000000 rows.*use --memory [0-9]+ or more" "refusal names the minimum"
[ ! -e "$T/rm" ] && ok "refused before writing anything" || fail "refusal wrote $T/rm"
min=$(sed -n 's/.*use --memory \([0-9]*\) or more.*/\1/p' "$T/err")
rss=$("$MAXRSS" "$FR" repartition -g visitorid --parts 4 --memory "$min" --out "$T/rm" --no-progress "$T/one/part-00000.parquet"); rc=$?
if [ $rc = 77 ]; then
	ok "peak RSS not measurable in this build ($rss)"
elif [ $rc = 0 ] && [ "$rss" -lt $((min * 1024)) ]; then
	ok "--memory $min: peak RSS $rss KiB within the budget"
else
	fail "--memory $min: exit $rc, peak RSS $rss KiB"
fi

# Many parts: each open writer's buffers and codec context count against the budget (they
# took 100 to 150 MB here).
"$FR" gen --rows 400k --parts 2 --row-group-rows 20000 --out "$T/rg20k" --no-progress 2>/dev/null || fail "gen rg20k"
for codec in gzip zstd; do
	rss=$("$MAXRSS" "$FR" repartition -g visitorid --parts 300 --codec $codec --memory 32 --out "$T/rp" --no-progress "$T"/rg20k/part-*.parquet); rc=$?
	if [ $rc = 77 ]; then
		ok "peak RSS not measurable in this build"
	elif [ $rc = 0 ] && [ "$rss" -lt $((32 * 1024)) ]; then
		ok "300 $codec parts, --memory 32: peak RSS $rss KiB"
	else
		fail "300 $codec parts, --memory 32: exit $rc, peak RSS $rss KiB"
	fi
done

# ---- cost linear in the number of row groups ----------------------------------------------
"$FR" gen --rows 2500 --row-group-rows 1 --parts 1 --out "$T/rg1" --no-progress 2>/dev/null
"$FR" gen --rows 20000 --row-group-rows 1 --parts 1 --out "$T/rg8" --no-progress 2>/dev/null
ms() { s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(((e - s) / 1000000 + 1)); }
for what in inspect repartition; do
	if [ $what = inspect ]; then
		a=$(ms "$FR" inspect --rows "$T/rg1/part-00000.parquet")
		b=$(ms "$FR" inspect --rows "$T/rg8/part-00000.parquet")
	else
		a=$(ms "$FR" repartition -g visitorid --parts 2 --out "$T/q1" --no-progress "$T/rg1/part-00000.parquet")
		b=$(ms "$FR" repartition -g visitorid --parts 2 --out "$T/q8" --no-progress "$T/rg8/part-00000.parquet")
	fi
	# 8x the row groups: linear is ~8x the time, quadratic ~64x.
	[ "$b" -le $((a * 24 + 200)) ] && ok "$what: 2.5k row groups $a ms, 20k $b ms" ||
		fail "$what: 2.5k row groups $a ms, 20k $b ms: grows faster than linear"
done
finish
