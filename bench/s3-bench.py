#!/usr/bin/env python3
"""Issue 17 benchmark: the bench dataset served from S3 on loopback (s3rver behind the test
proxy, which counts the bytes it forwards).  Per query: bytes fetched and wall time with
ranged reads and no cache (cold), with a warm disk cache, and on local files; against
downloading whole files first (the original's way: every part in full, then a local query).

  bench/s3-bench.py [--rows 5000000] [--parts 8] [--threads 2] [--repeat 3]
                    [--queries empty,condition,funnel,sequence,aggregations] [--data DIR]

Needs an optimised build in build/ (FR_BUILD=dir for another), node and tests/e2e/node_modules
(`npm ci` in tests/e2e).  Prints a Markdown table."""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
E2E = os.path.join(TOP, "tests", "e2e")
BUILD = os.environ.get("FR_BUILD", os.path.join(TOP, "build"))
FROCKET = os.path.join(BUILD, "frocket")
procs = []


def start(args, pattern, tmp):
    log = open(os.path.join(tmp, "log-%d.txt" % len(procs)), "w+")
    p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=E2E,
                         env=dict(os.environ, NODE_OPTIONS="--openssl-legacy-provider"))
    procs.append(p)
    end = time.time() + 30
    while time.time() < end:
        log.seek(0)
        m = re.search(pattern, log.read())
        if m:
            return m.group(1)
        if p.poll() is not None:
            break
        time.sleep(0.05)
    raise RuntimeError("%s did not start" % args[:2])


def timed(args, env):
    t0 = time.time()
    p = subprocess.run(args, capture_output=True, text=True, env=env)
    t = time.time() - t0
    if p.returncode != 0:
        raise RuntimeError("%s: %s %s" % (args[:3], p.stdout[:300], p.stderr[:300]))
    return t, json.loads(p.stdout)


def proxy(url, path, post=False):
    req = urllib.request.Request(url + path, data=b"" if post else None,
                                 method="POST" if post else "GET")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read().decode() or "null") if not post else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=5000000)
    ap.add_argument("--parts", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--queries", default="empty,condition,funnel,sequence,aggregations")
    ap.add_argument("--data")
    o = ap.parse_args()
    data = o.data or os.path.join(HERE, "data", "events-%dx%d-frocket" % (o.rows, o.parts))
    if not os.path.isdir(data):
        subprocess.run([FROCKET, "gen", "--rows", str(o.rows), "--parts", str(o.parts), "--out",
                        data, "--no-progress"], check=True)
    parts = sorted(f for f in os.listdir(data) if f.endswith(".parquet"))
    total = sum(os.path.getsize(os.path.join(data, f)) for f in parts)
    tmp = tempfile.mkdtemp(prefix="frocket-s3bench-")
    try:
        os.makedirs(os.path.join(tmp, "s3"))
        s3port = start(["node", os.path.join(E2E, "node_modules", "s3rver", "bin", "s3rver.js"),
                        "-d", os.path.join(tmp, "s3"), "-a", "127.0.0.1", "-p", "0",
                        "--configure-bucket", "bench"], r"listening on 127\.0\.0\.1:(\d+)", tmp)
        pport = start(["node", os.path.join(E2E, "s3_proxy.js"), s3port, "S3RVER"],
                      r"PORT (\d+)", tmp)
        purl = "http://127.0.0.1:%s" % pport
        subprocess.run(["node", os.path.join(E2E, "s3_util.js"), "put",
                        "http://127.0.0.1:%s" % s3port, "bench", "events/"] +
                       [os.path.join(data, f) for f in parts], check=True, cwd=E2E)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FROCKET_"))}
        env.update({"FROCKET_HOME": os.path.join(tmp, "home"),
                    "FROCKET_S3_AWS_ENDPOINT_URL": purl,
                    "FROCKET_S3_AWS_ACCESS_KEY_ID": "S3RVER",
                    "FROCKET_S3_AWS_SECRET_ACCESS_KEY": "S3RVER",
                    "FROCKET_WORKER_DISK_CACHE_DIR": os.path.join(tmp, "cache"),
                    "FROCKET_WORKER_DISK_CACHE_SIZE_MB": "0",
                    "FROCKET_LOCAL_THREADS": str(o.threads),
                    "AWS_EC2_METADATA_DISABLED": "true"})
        warm = dict(env, FROCKET_WORKER_DISK_CACHE_SIZE_MB="100000")
        for name, base in (("s3", "s3://bench/events/"), ("local", data)):
            subprocess.run([FROCKET, "register", name, base, "visitorid", "timestamp"],
                           check=True, env=env, capture_output=True)
        dl = os.path.join(tmp, "dl")
        rows = []
        for q in o.queries.split(","):
            qf = os.path.join(HERE, "queries", q + ".json")
            cold = warmt = local = whole = 1e9
            cold_bytes = warm_bytes = None
            answers = set()
            timed([FROCKET, "--nopretty", "run", "s3", "-f", qf], warm)   # fill the cache
            for _ in range(o.repeat):
                proxy(purl, "/__reset", True)
                t, d = timed([FROCKET, "--nopretty", "run", "s3", "-f", qf], env)
                cold, cold_bytes = min(cold, t), proxy(purl, "/__stats")["bytes"]
                answers.add(json.dumps(d["query"], sort_keys=True))
                proxy(purl, "/__reset", True)
                t, d = timed([FROCKET, "--nopretty", "run", "s3", "-f", qf], warm)
                warmt, warm_bytes = min(warmt, t), proxy(purl, "/__stats")["bytes"]
                answers.add(json.dumps(d["query"], sort_keys=True))
                t, d = timed([FROCKET, "--nopretty", "run", "local", "-f", qf], env)
                local = min(local, t)
                answers.add(json.dumps(d["query"], sort_keys=True))
                # the original's way: download every part in full, then read it locally
                shutil.rmtree(dl, ignore_errors=True)
                os.makedirs(dl)
                t0 = time.time()

                def get(f):
                    with urllib.request.urlopen("%s/bench/events/%s" % (purl, f)) as r, \
                            open(os.path.join(dl, f), "wb") as w:
                        shutil.copyfileobj(r, w, 1 << 20)
                with concurrent.futures.ThreadPoolExecutor(o.threads) as ex:
                    list(ex.map(get, parts))
                t, d = timed([FROCKET, "--nopretty", "query", "-g", "visitorid", "-t",
                              "timestamp", "-f", qf] + [os.path.join(dl, f) for f in parts], env)
                whole = min(whole, time.time() - t0)
                answers.add(json.dumps(d["query"], sort_keys=True))
            rows.append((q, cold_bytes, cold, warm_bytes, warmt, local, whole,
                         "same" if len(answers) == 1 else "DIFFERENT"))
        print("Dataset: %d parts, %.1f MB (%s); %d threads, best of %d.\n" %
              (len(parts), total / 1e6, os.path.basename(data), o.threads, o.repeat))
        print("| query | ranged reads: bytes fetched | % of dataset | time | warm disk cache: "
              "bytes fetched | time | local files: time | warm / local | whole files first: "
              "bytes | time | answers |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        for q, cb, ct, wb, wt, lt, whl, same in rows:
            print("| %s | %s | %.1f%% | %.3f s | %s | %.3f s | %.3f s | %.2fx | %s | %.3f s | %s |" %
                  (q, format(cb, ","), 100.0 * cb / total, ct, format(wb, ","), wt, lt, wt / lt,
                   format(total, ","), whl, same))
    finally:
        for p in procs:
            p.terminate()
            p.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
