#!/usr/bin/env python3
"""End-to-end test of `frocket query`: exit codes and output shapes (success, invalid query,
unreadable part, usage errors), equal answers whatever the thread count or SIMD mode, and the
oracle suite (tests/data/oracle: 305 queries) over the 4-part, 1-part and 9-part splits."""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from oracle_cmp import compare  # noqa: E402

TOP = os.environ.get("FR_TOP_SRCDIR", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("FR_TOP_BUILDDIR", TOP)
FROCKET = os.path.join(BUILD, "frocket")
ORACLE = os.path.join(TOP, "tests", "data", "oracle")
PARTS = sorted(glob.glob(os.path.join(ORACLE, "data", "*.parquet")))
SAN_MARKERS = ("AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer", "runtime error:")
failures = []


def run(args, env=None, stdin=None):
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run([FROCKET, "query"] + args, capture_output=True, text=True, env=e,
                       timeout=120, input=stdin)
    for m in SAN_MARKERS:
        if m in p.stderr:
            failures.append("sanitizer report for %s: %s" % (args, p.stderr[:2000]))
    return p


def check(cond, what):
    if not cond:
        failures.append(what)


def q(args, doc=None):
    base = ["-g", "uid", "-t", "ts"]
    if doc is not None:
        base += ["--string", doc]
    return run(base + args)


def without_stats(out):
    d = json.loads(out)
    d.pop("stats", None)
    d.pop("requestId", None)   # each job has its own
    return d


def shapes():
    p = q(["--empty"] + PARTS)
    check(p.returncode == 0, "empty query exit %d: %s" % (p.returncode, p.stderr))
    d = json.loads(p.stdout)
    check(d.get("success") is True and d["query"] == {"matchingGroupRows": 51046,
                                                     "matchingGroups": 2000},
          "empty query result: %s" % p.stdout[:300])
    check("funnel" not in d and "stats" in d, "empty query members: %s" % list(d))
    check(d["stats"]["worker"]["scannedRows"] == 51046, "scannedRows")
    check(p.stdout.count("\n") > 5 and p.stdout.startswith("{\n  \""), "pretty output")
    p = q(["--empty", "--nopretty"] + PARTS)
    check(p.returncode == 0 and p.stdout.count("\n") == 1, "--nopretty is one line")
    # keys sorted at every level
    keys = list(json.loads(p.stdout))
    check(keys == sorted(keys), "top-level keys sorted: %s" % keys)
    # the query from a file and from stdin
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        f.write('{"query": {"conditions": [{"filter": ["event", "==", "purchase"]}]}}')
        path = f.name
    a = run(["-g", "uid", "-t", "ts", "-f", path] + PARTS)
    b = run(["-g", "uid", "-t", "ts", "-f", "-"] + PARTS, stdin=open(path).read())
    os.unlink(path)
    check(a.returncode == 0 and without_stats(a.stdout) == without_stats(b.stdout),
          "--file and stdin agree")
    # invalid query: JSON error document on stdout, exit 2
    for doc, kind in (('{"hello": 1}', "SCHEMA"), ('{"query":', "SCHEMA"),
                      ('{"query": {"conditions": [{"filter": ["nope", "==", 1]}]}}',
                       "DATASET_MISMATCH"),
                      ('{"query": {"conditions": [{"filter": ["qty", "==", 1.5]}]}}',
                       "TYPE_MISMATCH"),
                      ('{"query": {"relation": "$3", "conditions": [{"filter": ["qty", "==", 1]}]}}',
                       "RELATION")):
        p = q(PARTS, doc)
        check(p.returncode == 2, "invalid query %s: exit %d" % (doc, p.returncode))
        try:
            d = json.loads(p.stdout)
            check(d.get("success") is False and d.get("errorKind") == kind and
                  d.get("errorMessage"), "invalid query %s: %s" % (doc, p.stdout))
        except ValueError:
            failures.append("invalid query output is not JSON: %r" % p.stdout)
    # unreadable or missing parts name the part, exit 1
    tmp = tempfile.mkdtemp()
    try:
        bad = os.path.join(tmp, "part-broken.parquet")
        with open(PARTS[0], "rb") as src, open(bad, "wb") as dst:
            data = src.read()
            dst.write(data[:len(data) // 2] + data[-8:])
        for extra in (bad, os.path.join(tmp, "part-missing.parquet")):
            p = q(["--empty", PARTS[1], extra])
            check(p.returncode == 1, "bad part %s: exit %d" % (extra, p.returncode))
            check(os.path.basename(extra) in p.stderr, "bad part named: %s" % p.stderr)
            check(p.stderr.count(os.path.basename(extra)) == 1, "part named once: %s" % p.stderr)
            try:
                d = json.loads(p.stdout)
                check(d.get("success") is False and os.path.basename(extra) in
                      d.get("errorMessage", ""), "bad part document: %s" % p.stdout)
            except ValueError:
                failures.append("bad part output is not JSON: %r" % p.stdout)
        p = run(["-g", "uid", "-t", "ts", "-f", os.path.join(tmp, "nofile.json")] + PARTS)
        check(p.returncode == 1 and "nofile.json" in p.stderr, "missing query file")
    finally:
        shutil.rmtree(tmp)
    # usage errors exit 2
    for args in ([], ["--empty"] + PARTS, ["-g", "uid", "-t", "ts"] + PARTS,
                 ["-g", "uid", "-t", "ts", "--empty", "--string", "{}"] + PARTS,
                 ["-g", "uid", "-t", "ts", "--empty"], ["--bogus"],
                 ["-g", "nosuch", "-t", "ts", "--empty"] + PARTS,
                 ["-g", "uid", "-t", "event", "--empty"] + PARTS):
        p = run(args)
        check(p.returncode == 2, "usage %s: exit %d" % (args, p.returncode))
    p = run(["--help"])
    check(p.returncode == 0 and "usage" in p.stdout, "--help")
    p = run(["-g", "uid", "-t", "ts", "--empty"] + PARTS, env={"FROCKET_LOCAL_THREADS": "x"})
    check(p.returncode == 2 and "FROCKET_LOCAL_THREADS" in p.stderr, "bad thread count")
    p = run(["-g", "uid", "-t", "ts", "--empty"] + PARTS, env={"FROCKET_SIMD": "sse9"})
    check(p.returncode == 2 and "FROCKET_SIMD" in p.stderr, "bad FROCKET_SIMD")


def same_answers():
    doc = ('{"timeframe": {"from": 1600000000}, "query": {"aggregations": [{"column": "category"},'
           '{"column": "event", "type": "meanPerValue", "otherColumn": "price"}]},'
           '"funnel": {"sequence": [{"filter": ["event", "==", "view"]},'
           '{"filter": ["event", "==", "purchase"]}], "endAggregations": [{"column": "qty"}]}}')
    ref = None
    for env in ({"FROCKET_LOCAL_THREADS": "1"}, {"FROCKET_LOCAL_THREADS": "3"},
                {"FROCKET_SIMD": "scalar"}):
        p = run(["-g", "uid", "-t", "ts", "--string", doc] + PARTS, env=env)
        check(p.returncode == 0, "%s: exit %d %s" % (env, p.returncode, p.stderr))
        d = without_stats(p.stdout)
        if ref is None:
            ref = d
        check(d == ref, "%s gives a different answer" % env)


def oracle(parts, label):
    bad = 0
    for name in sorted(os.listdir(os.path.join(ORACLE, "queries"))):
        with open(os.path.join(ORACLE, "expected", name)) as f:
            exp = json.load(f)
        p = run(["-g", "uid", "-t", "ts", "--nopretty", "-f",
                 os.path.join(ORACLE, "queries", name)] + parts)
        errs = []
        try:
            out = json.loads(p.stdout)
        except ValueError:
            out = None
            errs.append("no JSON (exit %d): %s" % (p.returncode, p.stderr[:300]))
        if out is not None:
            errs = compare(out, exp)
            want = 0 if exp["valid"] else 2
            if p.returncode != want:
                errs.append("exit %d, want %d" % (p.returncode, want))
        if errs:
            bad += 1
            failures.append("oracle %s %s: %s" % (label, name, "; ".join(errs[:3])))
    return bad


def main():
    if not os.path.exists(FROCKET):
        print("frocket not built: %s" % FROCKET)
        return 1
    shapes()
    same_answers()
    for label, pattern in (("4 parts", "data"), ("1 part", "split1"), ("9 parts", "split9")):
        parts = sorted(glob.glob(os.path.join(ORACLE, pattern, "*.parquet")))
        bad = oracle(parts, label)
        print("oracle over %s: %d failures" % (label, bad))
    for f in failures[:50]:
        print("FAIL:", f)
    print("%d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
