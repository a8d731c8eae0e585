#!/usr/bin/env python3
"""Corpus test: runs `frocket inspect --rows` on every file listed in
tests/data/parquet/MANIFEST.md and checks it does what the manifest's "Reader must" column
says (values equal the expected file, or a clean one-line error), each within a time limit,
with no sanitizer report."""
import hashlib
import json
import os
import subprocess
import sys

TOP = os.environ.get("FR_TOP_SRCDIR", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("FR_TOP_BUILDDIR", TOP)
CORPUS = os.path.join(TOP, "tests", "data", "parquet")
FROCKET = os.path.join(BUILD, "frocket")
TIMEOUT = float(os.environ.get("FR_CORPUS_TIMEOUT", "5"))
SAN_MARKERS = ("AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer", "runtime error:")


def manifest():
    out = []
    for line in open(os.path.join(CORPUS, "MANIFEST.md"), encoding="utf-8"):
        if not line.startswith("| ") or line.startswith("| File") or line.startswith("| ---"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if len(cells) < 11 or not cells[0].startswith(("parquet-testing/", "duckdb/")):
            continue
        must = cells[9]
        if must.startswith("READ all") or must.startswith("READ values"):
            label = "READ"
        elif must.startswith("READ flat"):
            label = "READ_FLAT"
        elif must.startswith("READ (must equal expected) OR reject"):
            label = "READ_OR_REJECT"
        elif must.startswith("OPEN + report 0 rows"):
            label = "META"
        elif must.startswith('REJECT with "unsupported') or must.startswith('REJECT with "nested'):
            label = "REJECT_NESTED"
        elif must.startswith('REJECT with "encrypted'):
            label = "REJECT_ENCRYPTED"
        elif must.startswith("REJECT"):
            label = "REJECT"
        else:
            raise SystemExit("unknown label in MANIFEST: %s: %s" % (cells[0], must))
        out.append((cells[0], label))
    return out


def run(args):
    try:
        p = subprocess.run([FROCKET, "inspect"] + args, capture_output=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return None, b"", b"timeout"
    return p.returncode, p.stdout, p.stderr


def canon(row):
    return json.dumps(row, separators=(",", ":"), ensure_ascii=True)


def check_values(path, stdout):
    exp_path = os.path.join(CORPUS, "expected", path + ".jsonl")
    with open(exp_path, encoding="utf-8") as fh:
        header = json.loads(fh.readline())
        sample = [json.loads(l) for l in fh if l.strip()]
    try:
        got = [json.loads(l) for l in stdout.decode("utf-8").split("\n") if l]
    except (ValueError, UnicodeDecodeError) as e:
        return "output is not JSON lines: %s" % e
    if header.get("mode") == "digest+sample":
        total = header["rows_total"]
        if len(got) != total:
            return "expected %d rows, got %d" % (total, len(got))
        h = hashlib.sha256()
        for r in got:
            h.update((canon(r) + "\n").encode())
        if h.hexdigest() != header["rows_sha256"]:
            head = sample[:200]
            tail = sample[200:]
            for i, r in enumerate(head):
                if canon(r) != canon(got[i]):
                    return "row %d: expected %s, got %s" % (i, canon(r)[:300], canon(got[i])[:300])
            for i, r in enumerate(tail):
                j = total - len(tail) + i
                if canon(r) != canon(got[j]):
                    return "row %d: expected %s, got %s" % (j, canon(r)[:300], canon(got[j])[:300])
            return "rows_sha256 differs"
        return None
    if len(got) != len(sample):
        return "expected %d rows, got %d" % (len(sample), len(got))
    for i, (a, b) in enumerate(zip(sample, got)):
        if canon(a) != canon(b):
            return "row %d: expected %s, got %s" % (i, canon(a)[:300], canon(b)[:300])
    return None


def clean_failure(rc, stderr):
    if rc is None:
        return "timed out after %gs" % TIMEOUT
    text = stderr.decode("utf-8", "replace")
    if any(m in text for m in SAN_MARKERS):
        return "sanitizer report:\n" + text[:3000]
    if rc == 0:
        return "succeeded but must fail"
    if rc < 0 or rc > 2:
        return "died with status %d: %s" % (rc, text[:500])
    lines = [l for l in text.splitlines() if l.strip()]
    if len(lines) != 1:
        return "expected one stderr line, got %d: %s" % (len(lines), text[:500])
    return None


def sanitizer(stderr):
    text = stderr.decode("utf-8", "replace")
    if any(m in text for m in SAN_MARKERS):
        return "sanitizer report:\n" + text[:3000]
    return None


def nested_columns(path):
    rc, out, err = run(["--schema", "--json", os.path.join(CORPUS, path)])
    if rc != 0:
        return None
    return [c["name"] for c in json.loads(out)["columns"] if c["nested"]]


def check_meta(path):
    """--meta/--schema (human and JSON) succeed with valid JSON, or fail cleanly."""
    full = os.path.join(CORPUS, path)
    for args in (["--meta", "--json"], ["--schema", "--json"], ["--meta"], ["--schema"]):
        rc, out, err = run(args + [full])
        if rc == 0:
            problem = sanitizer(err)
            if problem:
                return problem
            if "--json" in args:
                try:
                    json.loads(out)
                except ValueError as e:
                    return "%s: invalid JSON: %s" % (" ".join(args), e)
        else:
            problem = clean_failure(rc, err)
            if problem:
                return "%s: %s" % (" ".join(args), problem)
    return None


def check(path, label):
    full = os.path.join(CORPUS, path)
    problem = check_meta(path)
    if problem:
        return problem
    rc, out, err = run(["--rows", full])
    if label in ("READ", "READ_FLAT", "META"):
        if rc != 0:
            return "failed (%s): %s" % (rc, err.decode("utf-8", "replace").strip()[:500])
        problem = sanitizer(err) or check_values(path, out)
        if problem or label != "READ_FLAT":
            return problem
        nested = nested_columns(path)
        if nested:
            rc, out, err = run(["--rows", "--columns", nested[0], full])
            problem = clean_failure(rc, err)
            if problem:
                return "selecting nested column %s: %s" % (nested[0], problem)
            if b"nested columns are not supported" not in err:
                return "selecting a nested column: unclear error: %s" % err.decode()
        return None
    if label == "READ_OR_REJECT":
        if rc == 0:
            return sanitizer(err) or check_values(path, out)
        return clean_failure(rc, err)
    if label == "REJECT_NESTED":
        if rc == 0:
            problem = sanitizer(err)
            if problem:
                return problem
        else:
            problem = clean_failure(rc, err)
            if problem:
                return problem
        nested = nested_columns(path)
        if nested:
            rc, out, err = run(["--rows", "--columns", nested[0], full])
            problem = clean_failure(rc, err)
            if problem:
                return "selecting nested column %s: %s" % (nested[0], problem)
            if b"nested columns are not supported" not in err:
                return "selecting a nested column: unclear error: %s" % err.decode()
        return None
    problem = clean_failure(rc, err)
    if problem:
        return problem
    if label == "REJECT_ENCRYPTED" and b"encrypted" not in err:
        return "error does not say the file is encrypted: %s" % err.decode()
    return None


def cli_checks():
    """Options of `frocket inspect` beyond the per-file checks."""
    f = os.path.join(CORPUS, "parquet-testing/data/alltypes_plain.snappy.parquet")
    problems = []
    for limit, want in (("1", 1), ("0", 0), ("5", 2)):   # the file has 2 rows
        rc, out, err = run(["--rows", "--limit", limit, f])
        if rc != 0 or len(out.splitlines()) != want:
            problems.append("--limit %s printed %d lines (rc %s)" % (limit, len(out.splitlines()), rc))
    rc, out, err = run(["--rows", "--columns", "id,string_col", "--limit", "1", f])
    if rc != 0 or len(json.loads(out)) != 2:
        problems.append("--columns id,string_col: rc %s, %r" % (rc, out))
    rc, out, err = run(["--rows", "--columns", "nope", f])
    if rc != 1 or b"no column named 'nope'" not in err or len(err.splitlines()) != 1:
        problems.append("unknown column: rc %s, %r" % (rc, err))
    rc, out, err = run([f + ".missing"])
    if rc != 1 or b"No such file" not in err:
        problems.append("missing file: rc %s, %r" % (rc, err))
    rc, out, err = run([])
    if rc != 2:
        problems.append("no FILE: rc %s" % rc)
    rc, out, err = run(["--bogus", f])
    if rc != 2:
        problems.append("unknown option: rc %s" % rc)
    rc, out, err = run(["--schema", "--json", f])
    cols = json.loads(out)["columns"] if rc == 0 else []
    if [c["name"] for c in cols][:2] != ["id", "bool_col"] or cols[0]["dataset_type"] != "INT":
        problems.append("--schema --json: %r" % out[:200])
    return problems


def main():
    files = manifest()
    for p in cli_checks():
        print("FAIL cli: %s" % p)
    failures = len(cli_checks())
    only = sys.argv[1:]
    for path, label in files:
        if only and not any(o in path for o in only):
            continue
        problem = check(path, label)
        if problem:
            failures += 1
            print("FAIL %-16s %s: %s" % (label, path, problem))
        elif os.environ.get("FR_CORPUS_VERBOSE"):
            print("ok   %-16s %s" % (label, path))
    print("%d files, %d failures" % (len(files), failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
