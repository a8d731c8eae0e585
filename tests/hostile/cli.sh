#!/bin/sh
# Issue 13, the command line: special files, lost output, duplicate parts, the open-file limit,
# FROCKET_* settings and query-file errors, each class with the reported example and variants.
# Every command runs under a timeout, so a regression that blocks (a FIFO) fails, not hangs.
. "$(dirname "$0")/lib.sh"
D="$ORACLE/data"
P0="$D/part-00000.parquet"
TO="timeout 120"
Q="$TO $FROCKET query -g uid -t ts"

# -- 1. special files are refused by what they are, without blocking ------------------------
mkfifo "$T/fifo"
mkdir "$T/dir"
expect_rc 1 "FIFO as a part" $Q --empty "$P0" "$T/fifo"
expect_err "fifo: is a FIFO, not a regular file" "FIFO part named as a FIFO"
expect_rc 1 "FIFO as the query file" $Q --file "$T/fifo" "$P0"
expect_err "fifo: is a FIFO" "FIFO query file named as a FIFO"
expect_rc 1 "FIFO to inspect" $TO "$FROCKET" inspect "$T/fifo"
expect_err "fifo: is a FIFO" "inspect names the FIFO"
expect_rc 1 "FIFO as a repartition input" $TO "$FROCKET" repartition -g uid --parts 2 --out "$T/rp" "$P0" "$T/fifo"
expect_err "fifo: is a FIFO" "repartition names the FIFO input"
expect_rc 1 "FIFO among the files of a registration" env FROCKET_HOME="$T/home" $TO "$FROCKET" register fifo-ds "$T" uid ts --pattern fifo
expect_err "No files found" "registration lists regular files only: a FIFO is not a part"
expect_rc 1 "directory as a part" $Q --empty "$P0" "$T/dir"
expect_err "dir: is a directory" "directory part named as a directory"
expect_rc 1 "character device as a part" $Q --empty /dev/null
expect_err "/dev/null: is a character device" "device part named as a device"
expect_rc 1 "directory to inspect" $TO "$FROCKET" inspect "$T/dir"
expect_err "dir: is a directory" "inspect names the directory"
expect_rc 1 "device as the query file" $Q --file /dev/zero "$P0"
expect_err "/dev/zero: is a character device" "device query file named as a device"
# stdin stays allowed, a pipe included
if echo '{}' | $Q --nopretty --file - "$P0" >"$T/out" 2>"$T/err" &&
   grep -q '"matchingGroups": 445' "$T/out"; then ok "query from a pipe on stdin"
else fail "query from a pipe on stdin"; fi

# -- 2. lost output is an error: /dev/full and a closed stdout, every command ---------------
# out_rc WANT DESC full|closed CMD...: runs CMD with stdout on /dev/full or closed.
out_rc() {
	want=$1; desc=$2; how=$3; shift 3
	if [ "$how" = full ]; then "$@" >/dev/full 2>"$T/err"; else "$@" >&- 2>"$T/err"; fi
	got=$?
	if grep -q -e AddressSanitizer -e 'runtime error:' -e LeakSanitizer "$T/err"; then
		fail "$desc: sanitizer report"; sed -n 1,20p "$T/err" >&2; return
	fi
	if [ "$got" != "$want" ]; then fail "$desc: exit $got, want $want"; return; fi
	ok "$desc"
}
for how in full closed; do
	if [ $how = full ]; then why="No space left on device"; else why="Bad file descriptor"; fi
	out_rc 1 "query > $how" $how $Q --empty "$P0"
	expect_err "^frocket query: writing to stdout: $why" "query > $how: named on stderr"
	out_rc 2 "invalid query > $how keeps exit 2" $how $Q --string '{"nope":1}' "$P0"
	expect_err "writing to stdout: $why" "invalid query > $how: named on stderr"
	out_rc 1 "inspect > $how" $how $TO "$FROCKET" inspect "$P0"
	expect_err "writing to stdout: $why" "inspect > $how: named"
	out_rc 1 "inspect --meta --json > $how" $how $TO "$FROCKET" inspect --meta --json "$P0"
	out_rc 1 "inspect --rows > $how" $how $TO "$FROCKET" inspect --rows "$P0"
	expect_err "writing to stdout: $why" "inspect --rows > $how: named"
	for c in "" query inspect gen repartition; do
		out_rc 1 "frocket $c --help > $how" $how $TO "$FROCKET" $c --help
		expect_err "writing to stdout: $why" "frocket $c --help > $how: named"
	done
	out_rc 1 "--version > $how" $how $TO "$FROCKET" --version
	# gen writes nothing on stdout: a closed or full stdout is not its problem
	out_rc 0 "gen > $how" $how $TO "$FROCKET" gen --out "$T/gen-$how" --rows 2000 --parts 2
	expect_rc 0 "gen > $how wrote a readable dataset" $TO "$FROCKET" query -g visitorid \
		-t timestamp --empty "$T/gen-$how"/*.parquet
done
# inspect --rows stops at the first failed write instead of rendering the rest
if $TO "$FROCKET" inspect --rows "$P0" >/dev/full 2>"$T/err"; then fail "inspect --rows > /dev/full exit 0"
elif [ "$(grep -c 'writing' "$T/err")" -le 2 ]; then ok "inspect --rows reports the write error once or twice, not per row"
else fail "inspect --rows reports the write error per row"; fi

# -- 3. the same part twice is refused by file identity --------------------------------------
cp "$D/part-00001.parquet" "$T/copy.parquet"
ln -s "$D/part-00001.parquet" "$T/link.parquet"
ln "$T/copy.parquet" "$T/hard.parquet"
expect_rc 2 "same path twice" $Q --empty "$P0" "$P0"
expect_err "part-00000.parquet and .*part-00000.parquet are the same file" "same path: both named"
expect_rc 2 "path and path/../path" $Q --empty "$P0" "$D/../data/part-00000.parquet"
expect_err "are the same file" "dot-dot: refused"
expect_rc 2 "a symlink to another part" $Q --empty "$D/part-00001.parquet" "$P0" "$T/link.parquet"
expect_err "part-00001.parquet and .*link.parquet are the same file" "symlink: both named"
expect_rc 2 "a hard link to another part" $Q --empty "$T/copy.parquet" "$T/hard.parquet"
expect_err "copy.parquet and .*hard.parquet are the same file" "hard link: both named"
expect_rc 0 "a copy is a different file" $Q --empty "$P0" "$T/copy.parquet"

# -- 4. the number of parts is not bounded by the open-file limit ----------------------------
mkdir "$T/many"
i=0
while [ $i -lt 200 ]; do cp "$ORACLE/split9/part-00000.parquet" "$T/many/p$i.parquet"; i=$((i + 1)); done
expect_rc 0 "200 parts under ulimit -n 64" sh -c 'ulimit -n 64 && exec "$@"' sh \
	$Q --nopretty --empty "$T"/many/*.parquet
if grep -q '"parts": 200' "$T/out"; then ok "200 parts counted"; else fail "200 parts counted"; fi

# -- 5. FROCKET_* settings: strict, named with their value, exit 2 in every command ----------
# run_cmd CMD [VAR=VALUE...]: each command, with arguments that would otherwise succeed, under
# the given settings
run_cmd() {
	c=$1; shift
	case $c in
	query) env "$@" $Q --empty "$P0" ;;
	inspect) env "$@" $TO "$FROCKET" inspect "$P0" ;;
	gen) env "$@" $TO "$FROCKET" gen --out "$T/gen-env" --rows 100 --parts 1 ;;
	repartition) env "$@" $TO "$FROCKET" repartition --group-id uid --parts 2 --out "$T/rep-env" "$P0" ;;
	esac
}
for c in query inspect gen repartition; do
	run_cmd $c >"$T/out" 2>"$T/err" && ok "$c runs with no settings" || fail "$c runs with no settings"
	run_cmd $c FROCKET_PARQUET_STATS=maybe >"$T/out" 2>"$T/err"; rc=$?
	if [ $rc = 2 ] && grep -q "^frocket $c: FROCKET_PARQUET_STATS='maybe': not a boolean" "$T/err"
	then ok "$c: FROCKET_PARQUET_STATS=maybe refused, exit 2"
	else fail "$c: FROCKET_PARQUET_STATS=maybe: exit $rc"; sed -n 1,3p "$T/err" >&2; fi
	for v in FROCKET_LOCAL_THREADS FROCKET_SIMD FROCKET_AGGREGATIONS_TOP_DEFAULT_COUNT \
	         FROCKET_AGGREGATIONS_TOP_GRACE_FACTOR FROCKET_AGGREGATIONS_EXACT_LIMIT \
	         FROCKET_PARQUET_STATS FROCKET_PROGRESS FROCKET_LOG_LEVEL; do
		run_cmd $c "$v=" >"$T/out" 2>"$T/err"; rc=$?
		if [ $rc = 2 ] && grep -q "^frocket $c: $v is set but empty" "$T/err"
		then ok "$c: empty $v refused, exit 2"
		else fail "$c: empty $v: exit $rc"; sed -n 1,3p "$T/err" >&2; fi
	done
	# one bad among good ones: exactly that one is named
	run_cmd $c FROCKET_LOCAL_THREADS=2 FROCKET_AGGREGATIONS_TOP_DEFAULT_COUNT=20 \
		FROCKET_AGGREGATIONS_TOP_GRACE_FACTOR=0.5 >"$T/out" 2>"$T/err"; rc=$?
	if [ $rc = 2 ] && [ "$(wc -l <"$T/err")" = 1 ] &&
	   grep -q "FROCKET_AGGREGATIONS_TOP_GRACE_FACTOR='0.5': must be between 1 and 1000" "$T/err"
	then ok "$c: one bad setting named alone"
	else fail "$c: one bad setting: exit $rc"; sed -n 1,3p "$T/err" >&2; fi
	rm -rf "$T/gen-env" "$T/rep-env"
done
rm -rf "$T/gen-env" "$T/rep-env"
# booleans: any case of on/off/true/false/yes/no/1/0; OFF really turns statistics off
TF='{"timeframe":{"from":1700000000}}'
P2="$D/part-00002.parquet"
for v in on ON true 1; do
	FROCKET_PARQUET_STATS=$v $Q --nopretty --string "$TF" "$P2" >"$T/out" 2>"$T/err"
	if grep -q '"scannedRows": 0' "$T/out"; then ok "FROCKET_PARQUET_STATS=$v prunes"
	else fail "FROCKET_PARQUET_STATS=$v prunes"; fi
done
for v in OFF off False no 0; do
	FROCKET_PARQUET_STATS=$v $Q --nopretty --string "$TF" "$P2" >"$T/out" 2>"$T/err"
	if grep -q '"scannedRows": 12725' "$T/out"; then ok "FROCKET_PARQUET_STATS=$v does not prune"
	else fail "FROCKET_PARQUET_STATS=$v does not prune"; sed -n 1,3p "$T/err" >&2; fi
done

# -- 6. query file errors -------------------------------------------------------------------
expect_rc 1 "query file that is a directory" $Q --file "$T/dir" "$P0"
expect_err "dir: is a directory" "query file directory named, not 'read error'"
head -c 9000000 /dev/zero | tr '\0' ' ' >"$T/big.json"
expect_rc 2 "query file over 8 MiB" $Q --file "$T/big.json" "$P0"
expect_err "big.json: query document is larger than 8 MiB" "over the cap: file"
expect_rc 2 "query on stdin over 8 MiB" sh -c '"$@" <"$0"' "$T/big.json" $Q --file - "$P0"
expect_err "stdin: query document is larger than 8 MiB" "over the cap: stdin"
# an endless stream is cut at the cap, not read to the end
expect_rc 2 "endless query on stdin" sh -c 'tr "\0" " " </dev/zero | "$@"' sh $Q --file - "$P0"
expect_err "stdin: query document is larger than 8 MiB" "endless stdin refused at the cap"
finish
