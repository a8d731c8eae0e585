#!/usr/bin/env python3
"""Issue 16 benchmark: the distributed path (Redis catalog + work queue + frocket-worker)
against the embedded mode on the same cores.  See bench/README.md, "Distributed mode".

It starts its own redis-server on a free loopback port and WORKERS frocket-worker processes,
and stops them at the end (also on errors).  Measured:
  (a) 1,000 tasks over tiny parts (the oracle data repartitioned into 1,000 parts): the
      empty query through Redis against the embedded mode with as many threads as workers;
      the difference per task is the invoker + worker overhead of the distributed path;
  (b) the invoker's enqueueTime for those 1,000 tasks (from the result's stats);
  (c) the 20M-row bench queries (bench/queries/*.json) through Redis against embedded.
Every figure is the whole `frocket run` process, best of --repeat (median in parentheses).
"""
import argparse
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
BUILD = os.environ.get("FR_BUILD", os.path.join(TOP, "build"))
FROCKET = os.environ.get("FR_FROCKET", os.path.join(BUILD, "frocket"))
WORKER = os.environ.get("FR_WORKER", os.path.join(BUILD, "frocket-worker"))
QUERIES = ["empty", "condition", "funnel", "aggregations"]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def proc_cpu(pid):
    """utime + stime of a live process, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Cluster:
    def __init__(self, tmp, nworkers):
        self.tmp = tmp
        self.port = free_port()
        self.redis = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", tmp, "--logfile", os.path.join(tmp, "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), 0.2) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if time.time() > deadline or self.redis.poll() is not None:
                raise SystemExit("redis-server did not start")
            time.sleep(0.05)
        self.env = dict(os.environ)
        for k in list(self.env):
            if k.startswith("FROCKET_"):
                del self.env[k]
        self.env.update({"FROCKET_DATASTORE": "redis", "FROCKET_INVOKER": "work_queue",
                         "FROCKET_REDIS_HOST": "127.0.0.1", "FROCKET_REDIS_PORT": str(self.port),
                         "FROCKET_HOME": os.path.join(tmp, "home-redis"),
                         "FROCKET_UNREGISTER_LAST_USED_INTERVAL": "0"})
        self.workers = []
        for i in range(nworkers):
            log = open(os.path.join(tmp, "worker-%d.log" % i), "w")
            self.workers.append(subprocess.Popen([WORKER], stdout=log, stderr=subprocess.STDOUT,
                                                 env=self.env))

    def worker_cpu(self):
        """CPU seconds of the workers and of redis-server so far."""
        return sum(proc_cpu(w.pid) for w in self.workers), proc_cpu(self.redis.pid)

    def stop(self):
        for w in self.workers:
            if w.poll() is None:
                w.send_signal(signal.SIGTERM)
        for w in self.workers:
            try:
                w.wait(20)
            except subprocess.TimeoutExpired:
                w.kill()
                w.wait()
        if self.redis.poll() is None:
            self.redis.send_signal(signal.SIGTERM)
            try:
                self.redis.wait(10)
            except subprocess.TimeoutExpired:
                self.redis.kill()
                self.redis.wait()


def run(args, env):
    """(wall seconds, invoker CPU seconds, parsed stdout) of one frocket process."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run([FROCKET, "--nopretty"] + args, capture_output=True, text=True, env=env)
    t = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise SystemExit("frocket %s failed (exit %d): %s" % (" ".join(args), p.returncode,
                                                              p.stderr[-500:]))
    docs = [json.loads(x) for x in p.stdout.splitlines() if x.strip()]
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return t, cpu, docs[0] if len(docs) == 1 else docs


def strip_stats(d):
    """The answer alone: stats and the request id differ from run to run."""
    return {k: v for k, v in d.items() if k not in ("stats", "requestId")}


def cell(xs, scale=1000.0, unit="ms", digits=0):
    return "%.*f %s (%.*f %s)" % (digits, min(xs) * scale, unit, digits,
                                  statistics.median(xs) * scale, unit)


def table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--tasks", type=int, default=1000)
    ap.add_argument("--big", default=os.path.join(TOP, "bench", "data",
                                                 "events-20000000x8-frocket"),
                    help="the 20M-row dataset (made with frocket gen if missing)")
    ap.add_argument("--skip-big", action="store_true", help="only (a) and (b)")
    o = ap.parse_args()
    for prog in (FROCKET, WORKER):
        if not os.access(prog, os.X_OK):
            raise SystemExit("missing %s (build first: make -C build)" % prog)
    if not shutil.which("redis-server"):
        raise SystemExit("redis-server is not installed")
    tmp = tempfile.mkdtemp(prefix="frbench-redis-")
    out = ["Load average at the start: %s; %d cores; %d workers (1 task loop each) against "
           "FROCKET_LOCAL_THREADS=%d; best of %d (median)." %
           (loadavg(), os.cpu_count(), o.workers, o.workers, o.repeat)]
    cl = None
    try:
        tiny = os.path.join(tmp, "tiny")
        src = os.path.join(TOP, "tests", "data", "oracle", "data")
        parts = sorted(os.path.join(src, f) for f in os.listdir(src) if f.endswith(".parquet"))
        subprocess.run([FROCKET, "repartition", "-g", "uid", "--parts", str(o.tasks), "--out",
                        tiny] + parts, check=True, capture_output=True)
        emb = dict(os.environ)
        for k in list(emb):
            if k.startswith("FROCKET_"):
                del emb[k]
        emb.update({"FROCKET_HOME": os.path.join(tmp, "home-embedded"),
                    "FROCKET_LOCAL_THREADS": str(o.workers),
                    "FROCKET_UNREGISTER_LAST_USED_INTERVAL": "0"})
        cl = Cluster(tmp, o.workers)
        for env in (emb, cl.env):
            run(["register", "tiny", tiny, "uid", "ts", "--validation", "single"], env)
        # (a) and (b)
        res = {}
        for mode, env in (("embedded", emb), ("redis", cl.env)):
            walls, cpus, wcpus, rcpus, enq = [], [], [], [], []
            run(["run", "tiny", "--empty"], env)   # warm the page cache and the workers
            for _ in range(o.repeat):
                w0, r0 = cl.worker_cpu()
                t, cpu, d = run(["run", "tiny", "--empty"], env)
                w1, r1 = cl.worker_cpu()
                walls.append(t)
                cpus.append(cpu)
                wcpus.append(w1 - w0 if mode == "redis" else 0.0)
                rcpus.append(r1 - r0 if mode == "redis" else 0.0)
                inv = d["stats"]["invoker"]
                if inv["totalTasks"] != o.tasks or inv["failedTasks"]:
                    raise SystemExit("%s: %s" % (mode, inv))
                enq.append(inv["enqueueTime"])
                res[mode + "-doc"] = strip_stats(d)
            res[mode] = (walls, cpus, wcpus, rcpus, enq)
        if res["embedded-doc"] != res["redis-doc"]:
            raise SystemExit("the empty query differs between embedded and redis")
        ew, ec, _, _, ee = res["embedded"]
        rw, rc, rwc, rrc, re_ = res["redis"]
        n = o.tasks
        out += ["", "(a) %d tasks over tiny parts (the empty query; the oracle data "
                "repartitioned into %d parts):" % (n, n), "",
                table(["mode", "wall", "wall per task", "frocket CPU", "workers' CPU",
                       "redis-server CPU", "enqueueTime"], [
                    ["embedded", cell(ew), cell([x / n for x in ew], 1e6, "us"),
                     cell(ec), "-", "-", cell(ee, 1000, "ms", 1)],
                    ["redis, %d workers" % o.workers, cell(rw),
                     cell([x / n for x in rw], 1e6, "us"), cell(rc), cell(rwc), cell(rrc),
                     cell(re_, 1000, "ms", 1)]]),
                "", "Overhead of the distributed path per task: wall %.0f us (best, redis - "
                "embedded, / %d tasks); CPU %.0f us (frocket + workers + redis-server - "
                "embedded frocket, best of each, / %d tasks)." %
                ((min(rw) - min(ew)) / n * 1e6, n,
                 (min(c + w + r for c, w, r in zip(rc, rwc, rrc)) - min(ec)) / n * 1e6, n),
                "", "(b) enqueueing %d tasks (stats.invoker.enqueueTime): best %.1f ms, median "
                "%.1f ms." % (n, min(re_) * 1000, statistics.median(re_) * 1000)]
        # (c)
        if not o.skip_big:
            if not os.path.isdir(o.big):
                sys.stderr.write("generating %s\n" % o.big)
                subprocess.run([FROCKET, "gen", "--rows", "20M", "--parts", "8", "--out",
                                o.big, "--no-progress"], check=True)
            for env in (emb, cl.env):
                run(["register", "big", o.big, "visitorid", "timestamp", "--validation",
                     "single"], env)
            rows = []
            for q in QUERIES:
                qf = os.path.join(HERE, "queries", q + ".json")
                src = ["--file", qf] if q != "empty" else ["--empty"]
                t = {}
                c = {}
                docs = {}
                for mode, env in (("embedded", emb), ("redis", cl.env)):
                    run(["run", "big"] + src, env)   # warm
                    xs, cs = [], []
                    for _ in range(o.repeat):
                        w0, r0 = cl.worker_cpu()
                        x, cpu, d = run(["run", "big"] + src, env)
                        w1, r1 = cl.worker_cpu()
                        xs.append(x)
                        # CPU of every process taking part (the steadier figure on a busy
                        # machine): frocket, and in redis mode the workers and redis-server
                        cs.append(cpu + ((w1 - w0) + (r1 - r0) if mode == "redis" else 0.0))
                        docs[mode] = strip_stats(d)
                    t[mode] = xs
                    c[mode] = cs
                if docs["embedded"] != docs["redis"]:
                    raise SystemExit("%s: answers differ between embedded and redis" % q)
                rows.append([q, cell(t["embedded"]), cell(t["redis"]),
                             "**%+.1f%%** (median %+.1f%%)" % (
                                 (min(t["redis"]) / min(t["embedded"]) - 1) * 100,
                                 (statistics.median(t["redis"]) /
                                  statistics.median(t["embedded"]) - 1) * 100),
                             cell(c["embedded"]), cell(c["redis"]),
                             "%+.1f%%" % ((min(c["redis"]) / min(c["embedded"]) - 1) * 100)])
            out += ["", "(c) the 20M-row bench queries (%s, 8 parts), same answers in both "
                    "modes:" % o.big, "",
                    table(["query", "embedded wall", "redis wall, %d workers" % o.workers,
                           "redis over embedded", "embedded CPU", "redis CPU (all processes)",
                           "CPU redis over embedded"], rows)]
        out += ["", "Load average at the end: %s." % loadavg()]
    finally:
        if cl:
            cl.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print("\n".join(out))


if __name__ == "__main__":
    main()
