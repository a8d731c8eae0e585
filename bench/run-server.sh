#!/bin/sh
# frocket-server under wrk (issue 15): requests/s and latency of GET /datasets and of a small
# query on the oracle dataset at 1, 16 and 64 connections; a long run checked for errors and
# flat RSS; the query's cost through the API against the same job through `frocket run`.
#   bench/run-server.sh [--duration S] [--long S]      (needs wrk: apt-get install wrk)
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${FR_TOP_BUILDDIR:-$TOP/build}
DUR=10
LONG=60
while [ $# -gt 0 ]; do
	case $1 in
	--duration) DUR=$2; shift 2 ;;
	--long) LONG=$2; shift 2 ;;
	*) echo "usage: $0 [--duration S] [--long S]" >&2; exit 2 ;;
	esac
done
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
TMP=$(mktemp -d)
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
# a job cap above the largest connection count: the points measure throughput, not 503s
export FROCKET_HOME="$TMP/home" FROCKET_LOG_LEVEL=warning FROCKET_APISERVER_MAX_JOBS=128
"$BUILD/frocket-server" --port 0 2>"$TMP/err" &
PID=$!
PORT=
for _ in $(seq 1 200); do
	PORT=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$TMP/err")
	[ -n "$PORT" ] && break
	sleep 0.05
done
[ -n "$PORT" ] || { cat "$TMP/err" >&2; exit 1; }
URL=http://127.0.0.1:$PORT
DATA=$TOP/tests/data/oracle/data
curl -sf -XPOST "$URL/datasets/register" -H 'Content-Type: application/json' \
	-d "{\"name\": \"oracle\", \"basepath\": \"$DATA\", \"groupIdColumn\": \"uid\", \"timestampColumn\": \"ts\"}" >/dev/null
Q='{"query": {"conditions": [{"filter": ["event", "==", "purchase"]}], "aggregations": [{"column": "event"}]}}'
cat >"$TMP/query.lua" <<LUA
wrk.method = "POST"
wrk.body = '$Q'
wrk.headers["Content-Type"] = "application/json"
LUA
rss() { awk '/^VmRSS/ {print $2}' "/proc/$PID/status"; }
summary() {   # requests/s, p50, p99, errors from wrk --latency output
	awk '/Requests\/sec/ {r=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
	     /Non-2xx|Socket errors/ {e=e" "$0} END {printf "%10s req/s  p50 %8s  p99 %8s %s\n", r, p50, p99, e}'
}
echo "frocket-server on 127.0.0.1:$PORT, $(nproc) cores, ${DUR}s per point"
for what in datasets query; do
	for c in 1 16 64; do
		t=$c; [ "$t" -gt 4 ] && t=4
		if [ $what = datasets ]; then
			out=$(wrk -t"$t" -c"$c" -d"${DUR}s" --latency "$URL/datasets")
		else
			out=$(wrk -t"$t" -c"$c" -d"${DUR}s" --latency -s "$TMP/query.lua" \
				"$URL/datasets/oracle/query")
		fi
		printf "%-9s c=%-3s" "$what" "$c"
		echo "$out" | summary
	done
done
# What the API adds to a job: wall time of a request (keep-alive, one client) minus the job's
# own time (stats.totalTime, the invoker's figure that `frocket run` prints too).
python3 - "$PORT" "$Q" <<'PY'
import http.client, json, sys, time
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
over, job = [], []
for i in range(220):
    t0 = time.perf_counter()
    c.request("POST", "/datasets/oracle/query", sys.argv[2], {"Content-Type": "application/json"})
    d = json.loads(c.getresponse().read())
    wall = time.perf_counter() - t0
    if i >= 20:
        over.append(wall - d["stats"]["totalTime"])
        job.append(d["stats"]["totalTime"])
over.sort(); job.sort()
print("query via the API: job %.3f ms (p50), API overhead p50 %.3f ms, p99 %.3f ms" %
      (job[100] * 1e3, over[100] * 1e3, over[197] * 1e3))
PY
t=0
for _ in 1 2 3 4 5; do
	t=$(python3 -c "print($t + $("$BUILD/frocket" --nopretty run oracle --string "$Q" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["stats"]["totalTime"])'))")
done
echo "the same job through frocket run (a fresh process each time): $(python3 -c "print('%.3f' % ($t / 5 * 1000))") ms (mean stats.totalTime)"
r0=$(rss)
out=$(wrk -t4 -c64 -d"${LONG}s" --latency "$URL/datasets")
r1=$(rss)
printf "long run  c=64 %ss" "$LONG"
echo "$out" | summary
echo "RSS before/after the long run: ${r0} kB / ${r1} kB"
