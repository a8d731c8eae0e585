#!/usr/bin/env python3
"""End to end through the CLI in a temporary FROCKET_HOME (issue 14): register the oracle
dataset and run all 305 oracle queries with `frocket run`; every validation mode; the bad
inputs (each leaves the catalog as it was); concurrent registrations; registrations killed
with SIGKILL at random moments; the unregister guard; the formats of list, info and config."""
import glob
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "query"))
from oracle_cmp import compare  # noqa: E402

TOP = os.environ.get("FR_TOP_SRCDIR", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("FR_TOP_BUILDDIR", TOP)
FROCKET = os.path.join(BUILD, "frocket")
ORACLE = os.path.join(TOP, "tests", "data", "oracle")
SAN_MARKERS = ("AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer", "runtime error:")
failures = []
HOME = tempfile.mkdtemp(prefix="frocket-home-")
TMP = tempfile.mkdtemp(prefix="frocket-ds-")


def env_with(extra=None, home=None):
    e = dict(os.environ)
    e["FROCKET_HOME"] = home or HOME
    e["FROCKET_INVOKER_RETRY_FAILED_INTERVAL"] = "0.05"
    e.update(extra or {})
    return e


def fr(args, extra=None, home=None, timeout=300, stdin=None):
    p = subprocess.run([FROCKET] + args, capture_output=True, text=True, timeout=timeout,
                       env=env_with(extra, home), input=stdin)
    for m in SAN_MARKERS:
        if m in p.stderr:
            failures.append("sanitizer report for %s: %s" % (args, p.stderr[:2000]))
    return p


def check(cond, what):
    if not cond:
        failures.append(what)
    return cond


def doc(p):
    try:
        return json.loads(p.stdout)
    except ValueError:
        return None


def listing(home=None):
    p = fr(["--nopretty", "list"], home=home)
    check(p.returncode == 0, "list exit %d: %s" % (p.returncode, p.stderr))
    return doc(p) or []


def copy_parts(src_glob, dst):
    os.makedirs(dst, exist_ok=True)
    for f in sorted(glob.glob(src_glob)):
        shutil.copy(f, dst)
    return dst


def register_and_oracle():
    data = os.path.join(ORACLE, "data")
    p = fr(["--nopretty", "register", "oracle", data, "uid", "ts"])
    d = doc(p)
    if not check(p.returncode == 0 and d and d.get("success"),
                 "register oracle: exit %d %s %s" % (p.returncode, p.stdout[:500], p.stderr[:500])):
        return
    check(d["dataset"]["id"]["name"] == "oracle" and d["dataset"]["totalParts"] == 4 and
          d["dataset"]["basepath"] == data, "register document: %s" % d)
    check(d["stats"]["dataset"]["parts"] == 4, "register stats: %s" % d.get("stats"))
    bad = 0
    names = sorted(os.listdir(os.path.join(ORACLE, "queries")))
    for name in names:
        with open(os.path.join(ORACLE, "expected", name)) as f:
            exp = json.load(f)
        p = fr(["--nopretty", "run", "oracle", "-f", os.path.join(ORACLE, "queries", name)])
        out = doc(p)
        errs = ["no JSON (exit %d): %s" % (p.returncode, p.stderr[:300])] if out is None \
            else compare(out, exp)
        want = 0 if exp["valid"] else 1
        if p.returncode != want:
            errs.append("exit %d, want %d" % (p.returncode, want))
        if errs:
            bad += 1
            failures.append("oracle run %s: %s" % (name, "; ".join(errs[:3])))
    print("oracle through frocket run: %d queries, %d failures" % (len(names), bad))
    # the same answer as `frocket query` over the same parts
    parts = sorted(glob.glob(os.path.join(data, "*.parquet")))
    q = '{"query": {"aggregations": [{"column": "event"}]}}'
    a = fr(["--nopretty", "run", "oracle", "--string", q])
    b = fr(["--nopretty", "query", "-g", "uid", "-t", "ts", "--string", q] + parts)
    da, db = doc(a), doc(b)
    check(da and db and da["query"] == db["query"], "run and query agree: %s / %s" %
          (a.stdout[:300], b.stdout[:300]))
    check(da and da["stats"]["worker"]["scannedRows"] == 51046, "run stats: %s" % a.stdout[:500])


def validation_modes():
    split9 = os.path.join(ORACLE, "split9")
    for mode in ("single", "first_last", "sample", "SAMPLE"):
        p = fr(["--nopretty", "register", "v-" + mode, split9, "uid", "ts", "--validation", mode])
        d = doc(p)
        check(p.returncode == 0 and d and d["success"], "validation %s: %s %s" %
              (mode, p.stdout[:300], p.stderr[:300]))
        p = fr(["--nopretty", "run", "v-" + mode, "--empty"])
        d = doc(p)
        check(d and d.get("query", {}).get("matchingGroups") == 2000,
              "run over v-%s: %s" % (mode, p.stdout[:300]))
    p = fr(["register", "x", split9, "uid", "ts", "--validation", "bogus"])
    check(p.returncode == 2 and "bogus" in p.stderr, "bad --validation: %d %s" %
          (p.returncode, p.stderr))
    # skip-uniques lets a copied part through; the check refuses it
    dup = copy_parts(os.path.join(ORACLE, "data", "part-0000[01].parquet"),
                     os.path.join(TMP, "dup"))
    shutil.copy(os.path.join(dup, "part-00000.parquet"), os.path.join(dup, "part-00002.parquet"))
    p = fr(["--nopretty", "register", "dup", dup, "uid", "ts", "--validation", "sample"])
    d = doc(p)
    check(p.returncode == 1 and d and not d["success"] and
          "not unique" in d.get("errorMessage", "") and "part-00000" in d["errorMessage"] and
          "part-00002" in d["errorMessage"],
          "duplicate group ids refused naming both parts: %s" % p.stdout[:500])
    p = fr(["--nopretty", "register", "dup", dup, "uid", "ts", "--skip-uniques"])
    check(p.returncode == 0, "--skip-uniques: %s" % p.stdout[:300])
    fr(["unregister", "dup", "--force"])


def bad_inputs():
    before = listing()
    cases = []
    cases.append(("missing basepath", ["bad", os.path.join(TMP, "nope"), "uid", "ts"], "nope"))
    empty = os.path.join(TMP, "empty")
    os.makedirs(empty)
    cases.append(("no match", ["bad", empty, "uid", "ts"], "No files found"))
    corrupt = copy_parts(os.path.join(ORACLE, "data", "*.parquet"), os.path.join(TMP, "corrupt"))
    with open(os.path.join(corrupt, "part-00003.parquet"), "r+b") as f:
        f.seek(200)
        f.write(b"\xff" * 4000)
    cases.append(("corrupt part", ["bad", corrupt, "uid", "ts", "--validation", "first_last"],
                  "part-00003"))
    trunc = copy_parts(os.path.join(ORACLE, "data", "*.parquet"), os.path.join(TMP, "trunc"))
    with open(os.path.join(trunc, "part-00000.parquet"), "r+b") as f:
        f.truncate(1000)
    cases.append(("truncated part", ["bad", trunc, "uid", "ts"], "part-00000"))
    notpq = os.path.join(TMP, "notpq")
    os.makedirs(notpq)
    with open(os.path.join(notpq, "a.parquet"), "w") as f:
        f.write("hello, not parquet\n" * 100)
    cases.append(("not parquet", ["bad", notpq, "uid", "ts"], "a.parquet"))
    data = os.path.join(ORACLE, "data")
    cases.append(("missing group column", ["bad", data, "nouid", "ts"], "nouid"))
    cases.append(("missing timestamp column", ["bad", data, "uid", "nots"], "nots"))
    cases.append(("float group column", ["bad", data, "price", "ts"], "price"))
    cases.append(("bool timestamp column", ["bad", data, "uid", "member"], "member"))
    cases.append(("empty name", ["", data, "uid", "ts"], "name"))
    cases.append(("long name", ["n" * 300, data, "uid", "ts"], "name"))
    cases.append(("control bytes in name", ["a\x01b", data, "uid", "ts"], "name"))
    for what, args, needle in cases:
        p = fr(["--nopretty", "register"] + args)
        d = doc(p)
        check(p.returncode == 1 and d is not None and d.get("success") is False and
              needle in d.get("errorMessage", ""),
              "%s: exit %d, %s %s" % (what, p.returncode, p.stdout[:400], p.stderr[:300]))
        check(needle in p.stderr, "%s: stderr names it: %s" % (what, p.stderr[:300]))
    check(listing() == before, "bad registrations leave the catalog as it was")
    # names with spaces and any UTF-8 work
    for name in ("with space", "ünïcødé ☃", "quote'\"name"):
        p = fr(["--nopretty", "register", name, data, "uid", "ts"])
        check(p.returncode == 0, "register %r: %s %s" % (name, p.stdout[:300], p.stderr[:300]))
        p = fr(["--nopretty", "run", name, "--empty"])
        check(p.returncode == 0, "run %r: %s" % (name, p.stdout[:300]))
        p = fr(["--nopretty", "unregister", name, "--force"])
        check(p.returncode == 0, "unregister %r" % name)
    # FROCKET_HOME that is a file, and a corrupt catalog: refused, never overwritten
    homefile = os.path.join(TMP, "homefile")
    with open(homefile, "w") as f:
        f.write("x")
    p = fr(["list"], home=homefile)
    check(p.returncode == 1 and "homefile" in p.stderr, "FROCKET_HOME a file: %d %s" %
          (p.returncode, p.stderr))
    badhome = os.path.join(TMP, "badhome")
    os.makedirs(badhome)
    junk = os.urandom(8192)
    with open(os.path.join(badhome, "catalog.db"), "wb") as f:
        f.write(junk)
    for args in (["list"], ["register", "x", data, "uid", "ts"]):
        p = fr(args, home=badhome)
        check(p.returncode == 1 and "catalog.db" in p.stderr, "corrupt catalog %s: %d %s" %
              (args, p.returncode, p.stderr[:300]))
    with open(os.path.join(badhome, "catalog.db"), "rb") as f:
        check(f.read() == junk, "a corrupt catalog is left untouched")


def part_gone_after_registration():
    d = copy_parts(os.path.join(ORACLE, "data", "*.parquet"), os.path.join(TMP, "gone"))
    p = fr(["--nopretty", "register", "gone", d, "uid", "ts"])
    check(p.returncode == 0, "register gone: %s" % p.stdout[:300])
    os.unlink(os.path.join(d, "part-00002.parquet"))
    p = fr(["--nopretty", "run", "gone", "--empty"])
    out = doc(p)
    check(p.returncode == 1 and out and out.get("success") is False and "query" not in out and
          "part-00002" in out.get("errorMessage", ""),
          "deleted part fails the query naming it: %s" % p.stdout[:400])
    shutil.copy(os.path.join(ORACLE, "data", "part-00002.parquet"), d)
    with open(os.path.join(d, "part-00001.parquet"), "r+b") as f:
        f.truncate(3000)
    p = fr(["--nopretty", "run", "gone", "--empty"])
    out = doc(p)
    check(p.returncode == 1 and out and "query" not in out and
          "part-00001" in out.get("errorMessage", ""),
          "truncated part fails the query naming it: %s" % p.stdout[:400])
    fr(["unregister", "gone", "--force"])


def concurrent_and_killed():
    data = os.path.join(ORACLE, "data")
    home = os.path.join(TMP, "conc-home")
    procs = [subprocess.Popen([FROCKET, "--nopretty", "register", n, data, "uid", "ts"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=env_with(home=home))
             for n in ("c1", "c2", "c1")]
    for p in procs:
        out, err = p.communicate(timeout=300)
        check(p.returncode == 0, "concurrent register: %d %s %s" % (p.returncode, out[:300],
                                                                     err[:300]))
    names = sorted(d["name"] for d in listing(home))
    check(names == ["c1", "c2"], "concurrent registers: %s" % names)
    # SIGKILL at random moments: the catalog opens and shows the old or the new registration
    rnd = random.Random(7)
    split9 = os.path.join(ORACLE, "split9")
    for i in range(20):
        src = split9 if i % 2 else data
        p = subprocess.Popen([FROCKET, "register", "k", src, "uid", "ts"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             env=env_with(home=home))
        time.sleep(rnd.uniform(0, 0.25))
        p.send_signal(signal.SIGKILL)
        p.wait()
        ls = listing(home)
        k = [d for d in ls if d["name"] == "k"]
        if k:
            check(k[0]["parts"] in (4, 9), "killed register left %s" % k)
            info = fr(["--nopretty", "info", "k"], home=home)
            lines = info.stdout.splitlines()
            if check(info.returncode == 0 and len(lines) == 3, "info after kill: %s" % info.stderr):
                parts = json.loads(lines[1])
                check(len(parts["filenames"]) == parts["totalParts"] == k[0]["parts"],
                      "parts consistent after kill: %s" % lines[1][:200])
        check(sorted(d["name"] for d in ls if d["name"] != "k") == ["c1", "c2"],
              "other datasets intact after kill %d" % i)


def unregister_guard():
    data = os.path.join(ORACLE, "data")
    fr(["register", "g", data, "uid", "ts"])
    p = fr(["--nopretty", "unregister", "g"])
    d = doc(p)
    check(p.returncode == 0 and d == {"datasetFound": True, "success": True},
          "unregister unused: %s" % p.stdout)
    fr(["register", "g", data, "uid", "ts"])
    fr(["run", "g", "--empty"])
    p = fr(["--nopretty", "unregister", "g"])
    d = doc(p)
    check(p.returncode == 1 and d and d["success"] is False and d["datasetFound"] is True and
          isinstance(d.get("datasetLastUsed"), int) and "force" in d.get("errorMessage", ""),
          "unregister guard: %s" % p.stdout)
    p = fr(["--nopretty", "unregister", "g"], extra={"FROCKET_UNREGISTER_LAST_USED_INTERVAL": "0"})
    check(p.returncode == 0, "interval 0 disables the guard: %s" % p.stdout)
    fr(["register", "g", data, "uid", "ts"])
    fr(["run", "g", "--empty"])
    p = fr(["--nopretty", "unregister", "g", "--force"])
    check(p.returncode == 0 and doc(p)["success"] is True, "--force: %s" % p.stdout)
    p = fr(["--nopretty", "unregister", "nosuch"])
    check(p.returncode == 0 and doc(p) == {"datasetFound": False, "success": True},
          "unknown dataset: %s" % p.stdout)
    p = fr(["run", "nosuch", "--empty"])
    check(p.returncode == 1 and "Dataset 'nosuch' not found!" in p.stderr,
          "run unknown: %s" % p.stderr)
    p = fr(["info", "nosuch"])
    check(p.returncode == 1 and "Dataset 'nosuch' not found!" in p.stderr,
          "info unknown: %s" % p.stderr)
    p = fr(["run", "oracle", "-f", os.path.join(TMP, "nofile.json")])
    check(p.returncode == 1 and "File not found" in p.stderr, "run missing file: %s" % p.stderr)


def formats():
    home = os.path.join(TMP, "fmt-home")
    p = fr(["list"], home=home)
    check(p.returncode == 0 and p.stdout == "No datasets registered yet\n", "empty list: %r" %
          p.stdout)
    p = fr(["--nopretty", "list"], home=home)
    check(p.stdout.strip() == "[]", "empty list nopretty: %r" % p.stdout)
    data = os.path.join(ORACLE, "data")
    long_name = "a-very-long-dataset-name-that-goes-on-and-on"
    fr(["register", long_name, data, "uid", "ts"], home=home)
    fr(["register", "short", data, "uid", "ts"], home=home)
    p = fr(["list"], home=home)
    lines = p.stdout.splitlines()
    check(len(lines) == 4 and lines[0].split() == ["name", "registered", "at", "parts", "group",
                                                  "id", "timestamp", "path"],
          "list header: %r" % p.stdout)
    check(set(lines[1]) <= {"-", " "}, "list rule: %r" % lines[1])
    check(lines[2].startswith("short ") and long_name[:27] + "..." in lines[3],
          "list rows (newest first, trimmed): %r" % p.stdout)
    p = fr(["--notrim", "list"], home=home)
    check(long_name in p.stdout, "--notrim: %r" % p.stdout)
    p = fr(["--nopretty", "list"], home=home)
    arr = doc(p)
    check(arr and [list(x) for x in arr][0] == ["name", "registered at", "parts", "group id",
                                                 "timestamp", "path"] and
          arr[0]["parts"] == 4 and arr[0]["registered at"].endswith(" UTC"),
          "list nopretty: %s" % p.stdout[:300])
    p = fr(["--nopretty", "info", "short"], home=home)
    lines = p.stdout.splitlines()
    if check(p.returncode == 0 and len(lines) == 3, "info three lines: %r" % p.stdout[:300]):
        info, parts, schema = (json.loads(x) for x in lines)
        check(list(info) == ["basepath", "totalParts", "id", "groupIdColumn", "timestampColumn"],
              "info keys: %s" % list(info))
        check(list(parts) == ["namingMethod", "totalParts", "totalSize", "runningNumberPattern",
                              "filenames"] and parts["runningNumberPattern"] is None and
              parts["filenames"] == ["part-0000%d.parquet" % i for i in range(4)],
              "parts doc: %s" % lines[1][:300])
        check(schema.get("columns", {}).get("uid") == "INT" and
              schema["columns"].get("event") == "STRING" and "minTimestamp" in schema,
              "short schema: %s" % lines[2][:300])
    p = fr(["--nopretty", "info", "short", "--full"], home=home)
    lines = p.stdout.splitlines()
    check(len(lines) == 3 and json.loads(lines[2]).get("groupIdColumn") == "uid",
          "full schema: %s" % p.stdout[-300:])
    p = fr(["info", "short"], home=home)
    check(p.returncode == 0 and p.stdout.startswith("{\n  \"basepath\"") and
          "Basic information" not in p.stdout, "pretty info: %r" % p.stdout[:100])
    p = fr(["--nopretty", "config"], home=home, extra={"FROCKET_SOMETHING_ELSE": "x"})
    cfg = doc(p)
    check(cfg and cfg.get("invoker.run.timeout") == "60" and cfg.get("something.else") == "x" and
          all(isinstance(v, str) for v in cfg.values()), "config: %s" % p.stdout[:300])
    p = fr(["--nopretty", "config"], home=home,
           extra={"FROCKET_APISERVER_AUTH_TOKEN": "hunter2", "FROCKET_REDIS_PASSWORD": "pw1",
                  "FROCKET_S3_AWS_SECRET_ACCESS_KEY": "sk1", "FROCKET_AWS_SESSION_TOKEN": "st1"})
    check(p.returncode == 0 and not any(x in p.stdout for x in ("hunter2", "pw1", "sk1", "st1")),
          "config never prints secrets: %s" % p.stdout[-400:])
    p = fr(["--loglevel", "warning", "--nopretty", "config"], home=home)
    check(doc(p) and doc(p)["log.level"] == "warning", "config log.level")
    p = fr(["config", "--nopretty"], home=home)
    check(p.returncode == 2, "global option after the command is a usage error")
    p = fr(["--help"])
    for c in ("register", "list", "info", "run", "unregister", "config", "query"):
        check(c in p.stdout, "--help lists %s" % c)
        h = fr([c, "--help"])
        check(h.returncode == 0 and "usage" in h.stdout, "%s --help" % c)


def main():
    if not os.path.exists(FROCKET):
        print("frocket not built: %s" % FROCKET)
        return 1
    try:
        register_and_oracle()
        validation_modes()
        bad_inputs()
        part_gone_after_registration()
        concurrent_and_killed()
        unregister_guard()
        formats()
    finally:
        shutil.rmtree(HOME, ignore_errors=True)
        shutil.rmtree(TMP, ignore_errors=True)
    for f in failures[:60]:
        print("FAIL:", f)
    print("%d failures" % len(failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
