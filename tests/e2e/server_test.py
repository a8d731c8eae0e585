#!/usr/bin/env python3
"""frocket-server end to end (issue 15): the real binary on free loopback ports with a temporary
FROCKET_HOME, started and stopped here.  Every route, error class and status code of decision
15; registration in both spellings; the 305 oracle queries through POST /query, serially and
from several clients at once; streaming read from a raw socket (chunk framing checked);
clients vanishing mid-stream (the job is cancelled, threads and RSS stay flat); the switches;
the limits; the token; basepath roots; the job cap; /metrics parsed as Prometheus text; the
access log; SIGTERM during a request.  Python standard library only."""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "query"))
from oracle_cmp import compare  # noqa: E402
from procstat import PeakRss, rss_anon  # noqa: E402

TOP = os.environ.get("FR_TOP_SRCDIR", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("FR_TOP_BUILDDIR", TOP)
SERVER = os.path.join(BUILD, "frocket-server")
ORACLE = os.path.join(TOP, "tests", "data", "oracle")
DATA = os.path.join(ORACLE, "data")
SAN_MARKERS = ("AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer", "runtime error:")
TMP = tempfile.mkdtemp(prefix="frocket-srv-")
HOME = os.path.join(TMP, "home")
failures = []
servers = []


def check(cond, what):
    if not cond:
        failures.append(what)
    return cond


class Server:
    """One frocket-server on a free loopback port (--port 0; the port is read from stderr)."""

    def __init__(self, name, extra=None, home=HOME):
        self.name = name
        self.log = os.path.join(TMP, "%s.log" % name)
        env = dict(os.environ)
        env.update({"FROCKET_HOME": home, "FROCKET_LOG_FILE": self.log,
                    "FROCKET_INVOKER_RETRY_FAILED_INTERVAL": "0.05"})
        env.update(extra or {})
        self.p = subprocess.Popen([SERVER, "--port", "0"], stderr=subprocess.PIPE, env=env)
        servers.append(self)
        self.err = []
        self.port = None
        ready = threading.Event()

        def reader():
            for raw in self.p.stderr:
                line = raw.decode("utf-8", "replace")
                self.err.append(line)
                m = re.match(r"listening on 127\.0\.0\.1:(\d+)", line)
                if m:
                    self.port = int(m.group(1))
                    ready.set()
            ready.set()
        threading.Thread(target=reader, daemon=True).start()
        if not ready.wait(30) or not self.port:
            raise RuntimeError("%s did not start: %s" % (name, "".join(self.err)[-2000:]))
        deadline = time.time() + 30
        while True:
            try:
                st, _, _ = self.req("GET", "/health", timeout=5)
                if st in (200, 503):
                    break
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError("%s: /health never answered" % name)
            time.sleep(0.05)

    def conn(self, timeout=120):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def req(self, method, path, body=None, headers=None, timeout=120, conn=None):
        c = conn or self.conn(timeout)
        h = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
            h.setdefault("Content-Type", "application/json")
        try:
            c.request(method, path, body=body, headers=h)
            r = c.getresponse()
            data = r.read()
        except (OSError, http.client.HTTPException) as e:
            # a closed connection is an answer the checks judge, not a crash of the test
            c.close()
            return None, {}, ("%s: %s" % (type(e).__name__, e)).encode()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        if not conn:
            c.close()
        return r.status, hdrs, data

    def json(self, method, path, body=None, headers=None, conn=None):
        st, h, data = self.req(method, path, body, headers, conn=conn)
        try:
            return st, h, json.loads(data)
        except ValueError:
            return st, h, data

    def proc_status(self):
        vals = {}
        with open("/proc/%d/status" % self.p.pid) as f:
            for line in f:
                k, _, v = line.partition(":")
                vals[k] = v.strip()
        return int(vals["VmRSS"].split()[0]), int(vals["Threads"])

    def sanitized(self):
        with open("/proc/%d/maps" % self.p.pid) as f:
            return "libasan" in f.read()

    def stop(self, expect_rc=0):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGTERM)
        try:
            rc = self.p.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.p.kill()
            rc = self.p.wait()
            failures.append("%s: did not stop after SIGTERM" % self.name)
        check(rc == expect_rc, "%s: exit %s after SIGTERM: %s" % (self.name, rc,
                                                                  "".join(self.err)[-3000:]))
        text = "".join(self.err)
        for m in SAN_MARKERS:
            if m in text:
                failures.append("%s: sanitizer report: %s" % (self.name, text[-4000:]))
                break
        return rc

    def log_lines(self):
        try:
            with open(self.log, encoding="utf-8", errors="replace") as f:
                return f.read().splitlines()
        except OSError:
            return []


def raw_request(port, head, body=b"", timeout=60):
    """Sends bytes, returns (status, headers, chunks or None, body) read until EOF."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(head + body)
    buf = b""
    while True:
        try:
            d = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not d:
            break
        buf += d
    s.close()
    return parse_response(buf)


def parse_response(buf):
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        return None, {}, None, buf
    hdrs = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        hdrs[k.strip().lower()] = v.strip()
    chunks = None
    if hdrs.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            chunks.append(rest[:size])
            if rest[size:size + 2] != b"\r\n":
                chunks.append(None)   # broken framing
                break
            rest = rest[size + 2:]
        body = b"".join(c for c in chunks if c is not None)
    else:
        body = rest
    return status, hdrs, chunks, body


def http_head(method, path, body=b"", extra=""):
    return ("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\nConnection: close\r\n%s\r\n" %
            (method, path, len(body), extra)).encode()


def stream_lines(body):
    return [json.loads(l) for l in body.decode().split("\n") if l.strip()]


def check_stream(what, status, hdrs, chunks, body, ntasks=None, success=True):
    if not check(status == 200, "%s: status %s %s" % (what, status, body[:300])):
        return None
    check(hdrs.get("content-type", "").startswith("application/json"), "%s: content type %s" %
          (what, hdrs))
    check("content-length" not in hdrs, "%s: a stream has no Content-Length" % what)
    if not check(chunks is not None and None not in chunks, "%s: chunk framing" % what):
        return None
    try:
        lines = stream_lines(body)
    except ValueError:
        failures.append("%s: a line is not JSON: %r" % (what, body[:500]))
        return None
    if not check(lines, "%s: no lines" % what):
        return None
    prog, last = lines[:-1], lines[-1]
    check(last.get("success") is success, "%s: last line %s" % (what, str(last)[:300]))
    done = -1
    for p in prog:
        check(set(p) == {"message", "stage", "tasks"}, "%s: progress keys %s" % (what, p))
        check(p.get("stage") in ("RUNNING", "FINISHING"), "%s: stage %s" % (what, p))
        check("success" not in p, "%s: success in a progress line" % what)
        if ntasks is not None:
            check(sum(p["tasks"].values()) == ntasks, "%s: tasks sum %s != %d" %
                  (what, p["tasks"], ntasks))
        ok = p["tasks"].get("ENDED_SUCCESS", 0)
        check(ok >= done, "%s: ENDED_SUCCESS decreased: %s" % (what, prog))
        done = ok
    # every progress line is one chunk of its own, ending in a newline
    text = body.decode()
    nprog = len([l for l in text.split("\n") if l.strip()]) - 1
    for c in chunks[:nprog]:
        check(c.endswith(b"\n") and c.count(b"\n") == 1, "%s: chunk %r is not one line" %
              (what, c[:200]))
    return lines


def register_body(name, basepath, camel=True, **kw):
    if camel:
        d = {"name": name, "basepath": basepath, "groupIdColumn": "uid", "timestampColumn": "ts"}
    else:
        d = {"name": name, "basepath": basepath, "group_id_column": "uid",
             "timestamp_column": "ts"}
    d.update(kw)
    return d


def q(name):
    return urllib.parse.quote(name, safe="")


# ---------------------------------------------------------------------------------------

def basics(s):
    st, h, d = s.json("GET", "/health")
    check(st == 200 and d.get("ok") is True and d.get("datastore") == "embedded" and
          d.get("version"), "health: %s %s" % (st, d))
    st, h, d = s.json("GET", "/datasets")
    check(st == 200 and d == [] and h.get("content-type", "").startswith("application/json"),
          "empty list: %s %s %s" % (st, h, d))
    check(re.match(r"^\d+-[0-9a-f]{8}$", h.get("x-request-id", "")), "X-Request-Id: %s" % h)
    for path in ("/nope", "/datasets/", "/", "/datasets/x", "/datasets/x/y/schema",
                 "/datasets/x/nothing"):
        st, _, d = s.json("GET", path)
        check(st == 404 and isinstance(d, dict) and d.get("success") is False,
              "404 for %s: %s %s" % (path, st, d))
    st, h, _ = s.json("POST", "/datasets")
    check(st == 405 and "GET" in h.get("allow", ""), "POST /datasets: %s %s" % (st, h))
    st, h, _ = s.json("GET", "/datasets/register")
    check(st == 405 and h.get("allow") == "POST", "GET register: %s %s" % (st, h))
    st, _, _ = s.json("POST", "/datasets/x/empty-query")
    check(st == 405, "POST empty-query: %s" % st)
    st, _, _ = s.json("GET", "/datasets/x/query")
    check(st == 405, "GET query: %s" % st)


def registration(s):
    st, _, d = s.json("POST", "/datasets/register", register_body("oracle", DATA))
    if not check(st == 200 and d.get("success") is True, "register camelCase: %s %s" %
                 (st, str(d)[:500])):
        return False
    check("errorMessage" not in d and d["dataset"]["totalParts"] == 4 and
          d["dataset"]["basepath"] == DATA and d["dataset"]["id"]["name"] == "oracle" and
          re.match(r"^\d+-[0-9a-f]{8}$", d["requestId"]), "register document: %s" % d)
    body = register_body("oracle2", os.path.join(ORACLE, "split9"), camel=False,
                         validation_mode="FIRST_LAST", validate_uniques=True)
    st, _, d = s.json("POST", "/datasets/register", body)
    check(st == 200 and d.get("success") and d["dataset"]["totalParts"] == 9,
          "register snake_case: %s %s" % (st, str(d)[:500]))
    # re-registration keeps one entry, with a later registeredAt
    st, _, first = s.json("GET", "/datasets")
    before = {x["id"]["name"]: x["id"]["registeredAt"] for x in first}
    st, _, d = s.json("POST", "/datasets/register", register_body(
        "oracle2", os.path.join(ORACLE, "split9"), validationMode="SINGLE",
        validateUniques=False))
    check(st == 200 and d.get("success"), "re-register: %s %s" % (st, str(d)[:300]))
    st, _, lst = s.json("GET", "/datasets")
    after = {x["id"]["name"]: x["id"]["registeredAt"] for x in lst}
    check(len(lst) == 2 and after["oracle2"] > before["oracle2"],
          "re-registration: %s -> %s" % (before, after))
    for x in lst:
        check(set(x) == {"basepath", "groupIdColumn", "id", "timestampColumn", "totalParts"}
              and set(x["id"]) == {"name", "registeredAt"}, "list element keys: %s" % x)
    # the later spelling wins
    body = '{"name": "x", "basepath": "%s", "group_id_column": "nouid", "groupIdColumn": "uid",' \
           ' "timestampColumn": "ts", "validation_mode": "SINGLE"}' % DATA
    st, _, d = s.json("POST", "/datasets/register?stream=false", body.encode(),
                      {"Content-Type": "application/json"})
    check(st == 200 and d.get("success"), "later spelling wins: %s %s" % (st, str(d)[:300]))
    s.json("POST", "/datasets/x/unregister?force=true")
    # bad bodies: 400 with errorKind, before any job
    empty = os.path.join(TMP, "emptydir")
    os.makedirs(empty, exist_ok=True)
    cases = [
        ({"name": "b", "groupIdColumn": "uid", "timestampColumn": "ts"}, 400,
         "'basepath' missing or invalid in body"),
        ({"name": "b", "basepath": None, "groupIdColumn": "uid", "timestampColumn": "ts"}, 400,
         "'basepath' missing or invalid in body"),
        (register_body("b", DATA, validation_mode="SINGLEX"), 400, "SINGLEX"),
        (register_body("b", DATA, validationMode="single"), 400, "DatasetValidationMode"),
        (register_body("b", DATA, validate_uniques="123"), 400, "is not a bool"),
        (register_body("b", DATA, validateUniques=1), 400, "is not a bool"),
        (register_body(123, DATA), 400, "is not a str"),
        ([1, 2], 400, "JSON object"),
        (register_body("b", "gs://b/x/"), 400, "gs"),
        (register_body("", DATA), 400, "name"),
        (register_body("a\u0001b", DATA), 400, "name"),
    ]
    for body, want, needle in cases:
        st, _, d = s.json("POST", "/datasets/register", body)
        check(st == want and isinstance(d, dict) and d.get("success") is False and
              needle in d.get("errorMessage", "") and d.get("errorKind"),
              "register %s: %s %s" % (str(body)[:100], st, str(d)[:300]))
    for raw in (b"", b"{", b"{\"name\": \"x\",}", b"\xff\xfe", b"null", b"[1"):
        st, _, d = s.json("POST", "/datasets/register", raw, {"Content-Type": "application/json"})
        check(st == 400 and isinstance(d, dict) and d.get("success") is False and
              d.get("errorMessage"), "register body %r: %s %s" % (raw, st, d))
    # jobs that ran and failed: 500 with the job document
    st, _, d = s.json("POST", "/datasets/register", register_body("b", empty))
    check(st == 500 and d.get("success") is False and
          d.get("errorMessage") == "No files found at %s" % empty and "dataset" not in d,
          "no files: %s %s" % (st, d))
    st, _, d = s.json("POST", "/datasets/register", dict(register_body("b", DATA),
                                                        groupIdColumn="nouid"))
    check(st == 500 and d.get("success") is False and "nouid" in d.get("errorMessage", ""),
          "bad column: %s %s" % (st, str(d)[:300]))
    st, _, lst = s.json("GET", "/datasets")
    check(sorted(x["id"]["name"] for x in lst) == ["oracle", "oracle2"],
          "failed registrations leave the list: %s" % lst)
    return True


def dataset_docs(s):
    st, h, raw = s.req("GET", "/datasets/oracle/schema")
    d = json.loads(raw)
    check(st == 200 and set(d) == {"columns", "maxTimestamp", "minTimestamp",
                                   "potentialCategoricals", "sourceCategoricals"} and
          all(v in ("INT", "FLOAT", "BOOL", "STRING") for v in d["columns"].values()),
          "short schema: %s %s" % (st, d))
    check(raw.endswith(b"\n") and b"\n  \"columns\"" in raw, "pretty by default: %r" % raw[:80])
    for path in ("/datasets/oracle/schema?full=true", "/datasets/oracle/schema?full=TRUE",
                 "/datasets/oracle/schema?full=%20true%20"):
        st, _, d = s.json("GET", path)
        ok = st == 200 and d.get("groupIdColumn") == "uid" and d.get("timestampColumn") == "ts"
        for c in (d.get("columns") or {}).values() if ok else []:
            ok = ok and {"name", "dtypeName", "coltype", "colattrs"} <= set(c) and \
                "categorical" in c["colattrs"] and None not in c["colattrs"].values()
        check(ok, "full schema %s: %s %s" % (path, st, str(d)[:400]))
    for path in ("/datasets/oracle/schema?full=1", "/datasets/oracle/schema?full=yes"):
        st, _, d = s.json("GET", path)
        check(st == 200 and "minTimestamp" in d, "%s is the short schema: %s" % (path, d))
    st, _, raw = s.req("GET", "/datasets/oracle/parts")
    d = json.loads(raw)
    files = sorted(f for f in os.listdir(DATA) if f.endswith(".parquet"))
    check(st == 200 and d == {"filenames": files, "namingMethod": "LIST", "totalParts": 4,
                              "totalSize": sum(os.path.getsize(os.path.join(DATA, f))
                                               for f in files)}, "parts: %s %s" % (st, d))
    keys = [m.group(1) for m in re.finditer(rb'^  "(\w+)"', raw, re.M)]
    check(keys == [b"filenames", b"namingMethod", b"totalParts", b"totalSize"],
          "parts keys sorted: %s" % keys)
    for path in ("/datasets/nosuch/schema", "/datasets/nosuch/parts"):
        st, _, d = s.json("GET", path)
        check(st == 404 and d.get("errorMessage") == "Dataset nosuch not found",
              "%s: %s %s" % (path, st, d))
    st, _, d = s.json("POST", "/datasets/nosuch/query", {})
    check(st == 404 and "nosuch" in d.get("errorMessage", ""), "query unknown: %s %s" % (st, d))
    st, _, d = s.json("GET", "/datasets/nosuch/empty-query")
    check(st == 404, "empty-query unknown: %s %s" % (st, d))


def oracle(s):
    names = sorted(os.listdir(os.path.join(ORACLE, "queries")))
    c = s.conn()
    bad = 0
    answers = {}
    for name in names:
        with open(os.path.join(ORACLE, "queries", name), "rb") as f:
            body = f.read()
        with open(os.path.join(ORACLE, "expected", name)) as f:
            exp = json.load(f)
        st, _, out = s.json("POST", "/datasets/oracle/query?stream=false", body,
                            {"Content-Type": "application/json"}, conn=c)
        errs = ["not JSON: %r" % out[:200]] if not isinstance(out, dict) else compare(out, exp)
        want = 200 if exp["valid"] else 400
        if st != want:
            errs.append("status %s, want %d" % (st, want))
        if errs:
            bad += 1
            failures.append("oracle %s: %s" % (name, "; ".join(errs[:3])))
        if isinstance(out, dict):
            answers[name] = (st, {k: out.get(k) for k in ("query", "funnel", "errorKind")})
    c.close()
    print("oracle through POST /datasets/oracle/query: %d queries, %d failures" % (len(names), bad))
    # several clients at once give the serial answers
    subset = names[::4]
    got = {}
    lock = threading.Lock()

    def client(part):
        cc = s.conn()
        for name in part:
            with open(os.path.join(ORACLE, "queries", name), "rb") as f:
                body = f.read()
            st, _, out = s.json("POST", "/datasets/oracle/query", body,
                                {"Content-Type": "application/json"}, conn=cc)
            with lock:
                got[name] = (st, {k: out.get(k) for k in ("query", "funnel", "errorKind")}
                             if isinstance(out, dict) else out)
        cc.close()
    ts = [threading.Thread(target=client, args=(subset[i::4],)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    diff = [n for n in subset if got.get(n) != answers.get(n)]
    check(not diff, "concurrent answers differ from serial ones: %s" % diff[:5])


def empty_query(s):
    st, _, d = s.json("GET", "/datasets/oracle/empty-query")
    check(st == 200 and d.get("success") and d["query"]["matchingGroupRows"] == 51046 and
          "aggregations" not in d["query"] and "funnel" not in d and
          d["stats"]["invoker"]["totalTasks"] == 4, "empty-query: %s %s" % (st, str(d)[:400]))
    st, _, e = s.json("POST", "/datasets/oracle/query", {})
    check(st == 200 and e["query"] == d["query"], "query {} == empty-query: %s" % str(e)[:300])
    # malformed query documents: 400 with errorKind
    for raw in (b"", b"{", b"[1,2]", b'{"blah": 123}', b"\xff", b'{"query": {"conditions": 5}}'):
        st, _, d = s.json("POST", "/datasets/oracle/query", raw,
                          {"Content-Type": "application/json"})
        check(st == 400 and isinstance(d, dict) and d.get("success") is False and
              d.get("errorKind") and d.get("errorMessage"), "bad query %r: %s %s" % (raw, st, d))
    st, _, d = s.json("POST", "/datasets/oracle/query", {"blah": 123})
    check(st == 400 and "blah" in d.get("errorMessage", ""), "unknown key: %s" % d)


def names(s):
    for name in ("with space", "\u00fcn\u00efc\u00f8d\u00e9 \u2603", "a/b", "q?x#y%z"):
        st, _, d = s.json("POST", "/datasets/register", register_body(name, DATA))
        check(st == 200 and d.get("success"), "register %r: %s %s" % (name, st, str(d)[:300]))
        st, _, d = s.json("GET", "/datasets/%s/empty-query" % q(name))
        check(st == 200 and d.get("success"), "empty-query %r: %s %s" % (name, st, str(d)[:300]))
        st, _, d = s.json("GET", "/datasets/%s/schema" % q(name))
        check(st == 200 and "columns" in d, "schema %r: %s" % (name, st))
        st, _, d = s.json("POST", "/datasets/%s/unregister?force=true" % q(name))
        check(st == 200 and d == {"datasetFound": True, "datasetLastUsed": d.get("datasetLastUsed"),
                                  "success": True}, "unregister %r: %s %s" % (name, st, d))
    for path in ("/datasets/%ff%fe/schema", "/datasets/%zz/schema", "/datasets/a%00b/schema",
                 "/datasets/%c3/schema", "/datasets/%01/schema"):
        st, _, d = s.json("GET", path)
        check(st == 400 and isinstance(d, dict) and d.get("success") is False,
              "bad name %s: %s %s" % (path, st, d))
    # raw bytes that are not UTF-8, straight in the request line
    st, _, _, body = raw_request(s.port, b"GET /datasets/\xff\xfe/schema HTTP/1.1\r\n"
                                 b"Host: x\r\nConnection: close\r\n\r\n")
    check(st == 400, "raw invalid UTF-8 in the path: %s %r" % (st, body[:200]))


def streaming(s):
    body = json.dumps({"query": {"aggregations": [{"column": "event"}]}}).encode()
    for path in ("/datasets/oracle/query?stream=true", "/datasets/oracle/query?stream=TRUE",
                 "/datasets/oracle/query?stream=%20true%20"):
        r = raw_request(s.port, http_head("POST", path, body), body)
        lines = check_stream(path, *r, ntasks=4)
        if lines:
            check(lines[-1].get("query", {}).get("matchingGroupRows") == 51046,
                  "%s: result line %s" % (path, str(lines[-1])[:300]))
    for path in ("/datasets/oracle/query?stream=1", "/datasets/oracle/query?stream=yes"):
        st, h, _, b = raw_request(s.port, http_head("POST", path, body), body)
        check(st == 200 and "content-length" in h and json.loads(b).get("success"),
              "%s is not streamed: %s %s" % (path, st, h))
    r = raw_request(s.port, http_head("GET", "/datasets/oracle/empty-query?stream=true"))
    check_stream("empty-query stream", *r, ntasks=4)
    # registration: the progress counts the validation tasks
    b = json.dumps(register_body("s9", os.path.join(ORACLE, "split9"),
                                 validationMode="FIRST_LAST")).encode()
    r = raw_request(s.port, http_head("POST", "/datasets/register?stream=true", b), b)
    lines = check_stream("register stream", *r, ntasks=2)
    if lines:
        check(lines[-1]["dataset"]["totalParts"] == 9, "register stream result: %s" % lines[-1])
    # a registration that fails while running still streams: 200, success false
    b = json.dumps(register_body("s9", os.path.join(ORACLE, "split9"),
                                 groupIdColumn="nouid")).encode()
    r = raw_request(s.port, http_head("POST", "/datasets/register?stream=true", b), b)
    lines = check_stream("failed register stream", *r, success=False)
    if lines:
        check("nouid" in lines[-1].get("errorMessage", ""), "failed stream: %s" % lines[-1])
    # request-level failures keep their status: nothing is streamed
    b = b'{"blah": 1}'
    st, h, chunks, data = raw_request(s.port, http_head("POST", "/datasets/oracle/query?stream=true",
                                                        b), b)
    check(st == 400 and json.loads(data).get("errorKind"), "invalid streamed query: %s %s" %
          (st, data[:200]))
    st, _, _, data = raw_request(s.port, http_head("GET", "/datasets/nosuch/empty-query?stream=true"))
    check(st == 404, "unknown streamed dataset: %s %s" % (st, data[:200]))
    s.json("POST", "/datasets/s9/unregister?force=true")


def unregister_guard(s):
    st, _, d = s.json("POST", "/datasets/nosuch/unregister")
    check(st == 200 and d == {"datasetFound": False, "success": True}, "unknown: %s %s" % (st, d))
    t = int(time.time())
    s.json("GET", "/datasets/oracle2/empty-query")
    st, _, d = s.json("POST", "/datasets/oracle2/unregister?force=false")
    check(st == 409 and d.get("success") is False and d.get("datasetFound") is True and
          t <= d.get("datasetLastUsed", 0) < t + 10 and
          "less than safety interval" in d.get("errorMessage", ""), "guard: %s %s" % (st, d))
    st, _, lst = s.json("GET", "/datasets")
    check("oracle2" in [x["id"]["name"] for x in lst], "still listed after the refusal")
    st, _, d = s.json("POST", "/datasets/oracle2/unregister?force=true")
    check(st == 200 and d.get("success") and d.get("datasetFound") is True, "force: %s %s" %
          (st, d))
    st, _, d = s.json("POST", "/datasets/oracle2/unregister")
    check(st == 200 and d == {"datasetFound": False, "success": True}, "again: %s" % d)


def limits(s):
    big = b'{"x": "' + b"a" * (1 << 20) + b'"}'
    st, _, d = s.json("POST", "/datasets/oracle/query", big, {"Content-Type": "application/json"})
    check(st == 413 and d.get("success") is False, "413: %s %s" % (st, str(d)[:200]))
    st, _, d = s.json("GET", "/datasets/" + "n" * 10000 + "/schema")
    check(st == 414, "414: %s %s" % (st, str(d)[:200]))
    st, _, d = s.json("GET", "/datasets?a=" + "b" * 12000)
    check(st == 414, "414 by the query string: %s" % st)
    st, _, d = s.json("GET", "/datasets", headers={"X-Big": "h" * 20000})
    check(st == 431, "431: %s %s" % (st, str(d)[:200]))
    # far past every limit: some 4xx or a closed connection, and the server lives on
    for head in (b"GET /" + b"x" * 300000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
                 b"GET / HTTP/1.1\r\nHost: x\r\nX-A: " + b"y" * 300000 + b"\r\n\r\n",
                 b"GARBAGE\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"\x00\x01\x02\r\n\r\n",
                 b"POST /datasets/register HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n"
                 b"\r\n{",
                 b"POST /datasets/register HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                 b"zz\r\n"):
        try:
            st, _, _, _ = raw_request(s.port, head, timeout=20)
        except OSError:
            st = None
        check(st is None or 400 <= st < 500 or st == 505, "malformed %r...: %s" % (head[:40], st))
    st, _, d = s.json("GET", "/health")
    check(st == 200, "healthy after malformed requests: %s" % st)
    # a 2 MiB body declared up front with Expect: 100-continue is refused at once
    c = s.conn(30)
    c.putrequest("POST", "/datasets/oracle/query")
    c.putheader("Content-Length", str(2 << 20))
    c.putheader("Expect", "100-continue")
    c.putheader("Content-Type", "application/json")
    c.endheaders()
    r = c.getresponse()
    check(r.status == 413, "413 before the body: %s" % r.status)
    c.close()


def send_and_close(port, data, read=True):
    """Sends bytes, reads whatever comes back until EOF (every request here asks the server
    to close), closes; never raises.  Returns the status or None."""
    got = b""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(data)
        while read:
            d = sock.recv(65536)
            if not d:
                break
            got += d
        sock.close()
    except OSError:
        pass
    m = re.match(rb"HTTP/1\.[01] (\d+)", got)
    return int(m.group(1)) if m else None


def sockets(pid):
    """Open sockets of the process (connections and listeners; not the catalog's files,
    which each request thread opens once)."""
    n = 0
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            n += os.readlink("/proc/%d/fd/%s" % (pid, fd)).startswith("socket:")
        except OSError:
            pass
    return n


def hostile(s):
    """1,000+ malformed requests, then the server still answers right, with its descriptors
    and memory back where they started."""
    import random
    rnd = random.Random(15)
    st, _, good = s.json("POST", "/datasets/oracle/query", {"query": {"aggregations": [
        {"column": "event"}]}})
    check(st == 200, "query before the flood: %s" % st)
    fd0 = sockets(s.p.pid)
    rss0, _ = s.proc_status()
    # half-sent requests held open while the flood goes on (slowloris)
    held = []
    for i in range(20):
        try:
            c = socket.create_connection(("127.0.0.1", s.port), timeout=10)
            c.sendall(b"POST /datasets/oracle/query HTTP/1.1\r\nHost: x\r\nContent-Le")
            held.append(c)
        except OSError:
            pass
    kinds = 0
    for i in range(1000):
        k = i % 10
        if k == 0:      # random bytes as a query
            body = bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(1, 300)))
            data = http_head("POST", "/datasets/oracle/query", body) + body
        elif k == 1:    # broken JSON text as a registration
            body = json.dumps(register_body("h", DATA))[:rnd.randrange(1, 60)].encode()
            data = http_head("POST", "/datasets/register", body) + body
        elif k == 2:    # truncated body: announced longer than sent, then gone
            data = http_head("POST", "/datasets/oracle/query", b"x" * 500) + b'{"query":'
            send_and_close(s.port, data, read=False)
            kinds += 1
            continue
        elif k == 3:    # wrong methods
            m = rnd.choice(["DELETE", "PUT", "PATCH", "TRACE", "FOO"])
            data = ("%s /datasets/oracle/%s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" %
                    (m, rnd.choice(["schema", "query", "parts", "empty-query"]))).encode()
        elif k == 4:    # oversized URL
            data = b"GET /datasets/" + b"a" * rnd.randrange(9000, 100000) + \
                b"/schema HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        elif k == 5:    # oversized header
            data = b"GET /datasets HTTP/1.1\r\nHost: x\r\nX-H: " + \
                b"b" * rnd.randrange(17000, 100000) + b"\r\nConnection: close\r\n\r\n"
        elif k == 6:    # invalid UTF-8 and bad escapes in the name
            name = rnd.choice([b"%ff", b"%c3%28", b"%zz", b"%", b"%e2%82", b"\xc3\x28", b"%00"])
            data = b"GET /datasets/" + name + b"/schema HTTP/1.1\r\nHost: x\r\n" \
                b"Connection: close\r\n\r\n"
        elif k == 7:    # garbage request lines
            data = bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(1, 200))) + b"\r\n\r\n"
        elif k == 8:    # a stream the client drops at once
            body = b"{}"
            data = http_head("POST", "/datasets/oracle/query?stream=true", body) + body
            send_and_close(s.port, data, read=False)
            kinds += 1
            continue
        else:           # bad chunked framing, or a chunk that never ends
            tail = rnd.choice([b"zz\r\n{}\r\n0\r\n\r\n", b"ffffffffffffffffff\r\n",
                               b"2\r\n{}0\r\n\r\n", b"5\r\n{}\r\n"])
            data = (b"POST /datasets/oracle/query HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                    b"Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n" +
                    tail)
            if tail == b"5\r\n{}\r\n":
                send_and_close(s.port, data, read=False)
                kinds += 1
                continue
        st = send_and_close(s.port, data)
        if k in (0, 1, 3, 4, 5, 6):
            check(st is not None and 400 <= st < 500, "malformed kind %d answered %s" % (k, st))
        kinds += 1
    for c in held:
        c.close()
    check(kinds == 1000, "sent %d malformed requests" % kinds)
    st, _, again = s.json("POST", "/datasets/oracle/query", {"query": {"aggregations": [
        {"column": "event"}]}})
    check(st == 200 and again.get("query") == good.get("query"),
          "the same answer after the flood: %s" % st)
    deadline = time.time() + 20
    while sockets(s.p.pid) > fd0 and time.time() < deadline:
        time.sleep(0.05)
    check(sockets(s.p.pid) <= fd0, "sockets after the flood: %d -> %d" % (fd0,
                                                                           sockets(s.p.pid)))
    rss1, _ = s.proc_status()
    if not s.sanitized():
        check(rss1 - rss0 < 16 * 1024, "RSS after the flood: %d -> %d kB" % (rss0, rss1))


def metrics(s):
    st, h, raw = s.req("GET", "/metrics")
    text = raw.decode()
    check(st == 200 and h.get("content-type", "").startswith("text/plain; version=0.0.4"),
          "metrics: %s %s" % (st, h))
    types = dict(re.findall(r"^# TYPE (\w+) (\w+)$", text, re.M))
    for m in ("invoker_total_seconds", "async_enqueue_seconds", "async_poll_seconds",
              "invoke_to_run_seconds", "task_total_run_seconds", "task_total_load_seconds",
              "task_run_query_seconds", "scanned_rows", "scanned_groups", "machine_memory_bytes"):
        check(types.get(m) == "histogram", "metrics: # TYPE %s histogram missing" % m)
    series = {}
    sample = re.compile(r'^(\w+?)(_bucket|_count|_sum)\{([^}]*)\} (\S+)$')
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = sample.match(line)
        if not check(m, "metrics: bad sample line %r" % line):
            continue
        name, kind, labels, value = m.groups()
        lab = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', labels))
        le = lab.pop("le", None)
        key = (name, tuple(sorted(lab.items())))
        e = series.setdefault(key, {"buckets": [], "count": None, "sum": None})
        if kind == "_bucket":
            e["buckets"].append((le, float(value)))
        elif kind == "_count":
            e["count"] = float(value)
        else:
            e["sum"] = float(value)
    check(series, "metrics: no series after jobs")
    for (name, labels), e in series.items():
        counts = [v for _, v in e["buckets"]]
        check(counts == sorted(counts), "metrics %s %s: buckets not cumulative" % (name, labels))
        check(e["buckets"] and e["buckets"][-1][0] == "+Inf" and counts[-1] == e["count"],
              "metrics %s %s: +Inf bucket != count" % (name, labels))
        les = [float(l) for l, _ in e["buckets"][:-1]]
        check(les == sorted(les), "metrics %s: le not ascending" % name)
        lab = dict(labels)
        check({"component", "success", "dataset", "job_type"} <= set(lab),
              "metrics %s: labels %s" % (name, lab))
    check(re.search(r'^invoker_total_seconds_bucket\{[^}]*job_type="query"', text, re.M),
          "metrics: no invoker_total_seconds_bucket with job_type=query")
    check(re.search(r'^task_run_query_seconds_bucket\{[^}]*component="worker"[^}]*'
                    r'part_select_method="set_by_invoker"', text, re.M),
          "metrics: worker labels missing")
    check(re.search(r'^invoker_total_seconds_count\{[^}]*dataset="oracle"[^}]*job_type="register"',
                    text, re.M), "metrics: no register job")
    check(re.search(r'^invoker_total_seconds_count\{component="invoker",success="False"', text,
                    re.M), "metrics: no failed job series")


def access_log(s):
    st, h, _ = s.req("GET", "/datasets?x=1")
    rid = h.get("x-request-id")
    deadline = time.time() + 10
    line = None
    while time.time() < deadline and not line:
        line = next((l for l in s.log_lines() if "id=%s" % rid in l), None)
        if not line:
            time.sleep(0.05)
    check(line and re.search(r" access INFO GET /datasets 200 \d+ [\d.]+ms id=%s" % rid, line),
          "access log line for %s: %s" % (rid, line))
    lines = [l for l in s.log_lines() if " access " in l]
    check(len(lines) > 400, "access log has %d lines" % len(lines))
    check(any(re.search(r"POST /datasets/oracle/query 200 \d+ [\d.]+ms id=\S+ job=\d+-[0-9a-f]{8}",
                        l) for l in lines), "access log names the job of a query")


def switches_off():
    """Admin actions off, error details off, pretty off, Prometheus off."""
    s = Server("off", {"FROCKET_APISERVER_ADMIN_ACTIONS": "false",
                       "FROCKET_APISERVER_ERROR_DETAILS": "false",
                       "FROCKET_APISERVER_PRETTYPRINT": "false",
                       "FROCKET_METRICS_EXPORT_PROMETHEUS": "false"})
    try:
        for m, path in (("POST", "/datasets/register"), ("POST", "/datasets/oracle/unregister"),
                        ("GET", "/datasets/oracle/parts"), ("GET", "/datasets/nosuch/parts")):
            st, _, d = s.json(m, path, register_body("z", DATA) if "register" in path else None)
            check(st == 403 and d == {"errorMessage": "Not supported", "success": False},
                  "admin off %s %s: %s %s" % (m, path, st, d))
        for path in ("/datasets", "/datasets/oracle/schema", "/datasets/oracle/empty-query"):
            st, _, raw = s.req("GET", path)
            check(st == 200, "admin off, %s still works: %s" % (path, st))
            check(raw.count(b"\n") == 1 and raw.endswith(b"\n") and b", " not in raw and
                  b": " not in raw, "pretty off %s: %r" % (path, raw[:120]))
        st, _, d = s.json("GET", "/datasets/nosuch/schema")
        check(st == 404 and d["errorMessage"] == "Dataset nosuch not found",
              "details off keeps public errors: %s" % d)
        st, _, _ = s.req("GET", "/metrics")
        check(st == 404, "prometheus off: /metrics %s" % st)
        r = raw_request(s.port, http_head("GET", "/datasets/oracle/empty-query?stream=true"))
        check_stream("stream with pretty off", *r, ntasks=4)
    finally:
        s.stop()
    # a broken catalog: /health 503, internal errors hidden
    bad = os.path.join(TMP, "badhome")
    os.makedirs(bad, exist_ok=True)
    with open(os.path.join(bad, "catalog.db"), "wb") as f:
        f.write(os.urandom(8192))
    s = Server("broken", {"FROCKET_APISERVER_ERROR_DETAILS": "false"}, home=bad)
    try:
        st, _, d = s.json("GET", "/health")
        check(st == 503 and d.get("ok") is False and d.get("errorMessage") == "Error",
              "health on a broken catalog: %s %s" % (st, d))
        st, _, d = s.json("GET", "/datasets")
        check(st == 500 and d == {"errorMessage": "Error", "success": False},
              "details off hides internal errors: %s %s" % (st, d))
        check("catalog.db" not in json.dumps(d), "no file names leak")
    finally:
        s.stop()


def token_and_roots():
    root = os.path.join(TMP, "root")
    inside = os.path.join(root, "ds")
    shutil.copytree(DATA, inside)
    os.symlink(DATA, os.path.join(root, "escape"))
    # a root that does not exist is a start-up error (exit 2, naming the variable)
    env = dict(os.environ, FROCKET_HOME=os.path.join(TMP, "home-token"),
               FROCKET_APISERVER_BASEPATH_ROOTS="/nonexistent-root-x, " + root)
    p = subprocess.run([SERVER, "--port", "0"], env=env, capture_output=True, text=True,
                       timeout=60)
    check(p.returncode == 2 and "FROCKET_APISERVER_BASEPATH_ROOTS" in p.stderr,
          "bad root: %d %s" % (p.returncode, p.stderr))
    for args, needle in ((["--port", "70000"], "--port"), (["--bind", "nohost"], "nohost"),
                         (["--bogus"], "usage")):
        p = subprocess.run([SERVER] + args, env=dict(os.environ, FROCKET_HOME=env["FROCKET_HOME"]),
                           capture_output=True, text=True, timeout=60)
        check(p.returncode in (1, 2) and needle in p.stderr, "%s: %d %s" % (args, p.returncode,
                                                                             p.stderr))
    s = Server("token", {"FROCKET_APISERVER_AUTH_TOKEN": "s3cr3t-t0ken",
                         "FROCKET_APISERVER_BASEPATH_ROOTS": root + ", s3://bucket/ok/"},
               home=os.path.join(TMP, "home-token"))
    auth = {"Authorization": "Bearer s3cr3t-t0ken"}
    try:
        for hdrs in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Bearer s3cr3t-t0ke"},
                     {"Authorization": "Bearer s3cr3t-t0kenX"}, {"Authorization": "s3cr3t-t0ken"},
                     {"Authorization": "Basic czNjcjN0LXQwa2Vu"}):
            st, h, d = s.json("GET", "/datasets", headers=hdrs)
            check(st == 401 and h.get("www-authenticate") == "Bearer" and
                  d.get("success") is False, "401 with %s: %s %s" % (hdrs, st, d))
        st, _, _ = s.json("GET", "/datasets", headers=auth)
        check(st == 200, "200 with the token: %s" % st)
        st, _, _ = s.json("GET", "/health")
        check(st == 200, "/health needs no token: %s" % st)
        st, _, _ = s.json("GET", "/metrics")
        check(st == 401, "/metrics needs the token: %s" % st)
        st, _, d = s.json("POST", "/datasets/register", register_body("in", inside), auth)
        check(st == 200 and d.get("success"), "inside the root: %s %s" % (st, str(d)[:300]))
        st, _, d = s.json("POST", "/datasets/register", register_body("in2", "file://" + inside),
                          auth)
        check(st == 200 and d.get("success"), "file:// inside the root: %s %s" % (st, str(d)[:300]))
        for bp in (DATA, os.path.join(root, "..", os.path.basename(TMP), "root", "..", "home"),
                   os.path.join(root, "escape"), os.path.join(root, "nonexistent"), "/",
                   root + "/../", "s3://bucket/other/", "file:///etc"):
            st, _, d = s.json("POST", "/datasets/register", register_body("out", bp), auth)
            msg = d.get("errorMessage", "") if isinstance(d, dict) else ""
            check(st == 403 and d.get("success") is False and root not in msg and
                  "root" not in msg.lower() and bp not in msg,
                  "outside the roots %s: %s %s" % (bp, st, d))
        st, _, lst = s.json("GET", "/datasets", headers=auth)
        check(sorted(x["id"]["name"] for x in lst) == ["in", "in2"], "only the allowed: %s" % lst)
    finally:
        s.stop()


def idle_release():
    """A server idle for FROCKET_WORKER_IDLE_RELEASE_SECONDS gives back the memory its task
    threads kept from the last query (arena blocks cached for the next one)."""
    data = os.path.join(TMP, "idle")
    g = subprocess.run([os.path.join(BUILD, "frocket"), "gen", "--rows", "2M", "--parts", "2",
                        "--out", data, "--no-progress"], capture_output=True, text=True)
    if not check(g.returncode == 0, "gen for the idle test: %s" % g.stderr[-300:]):
        return
    s = Server("idle", {"FROCKET_WORKER_IDLE_RELEASE_SECONDS": "0.5"})
    try:
        if s.sanitized():
            print("idle release: not measurable under AddressSanitizer (it keeps freed memory)")
            return
        st, _, d = s.json("POST", "/datasets/register", register_body("idle", data,
                          groupIdColumn="visitorid", timestampColumn="timestamp"))
        if not check(st == 200 and d.get("success"), "register idle: %s %s" % (st, str(d)[:300])):
            return
        base = rss_anon(s.p.pid)
        peak = PeakRss(s.p.pid)
        st, _, d = s.json("POST", "/datasets/idle/query", {"query": {
            "conditions": [{"filter": ["event", "==", "view"]}],
            "aggregations": [{"column": "itemid"}, {"column": "cryptic_attrs"}]}})
        after = peak.stop()
        check(st == 200 and d.get("success"), "query for the idle test: %s %s" % (st, str(d)[:300]))
        if not check(after - base > 32 * 1024, "the query kept no memory to release: %d -> %d kB"
                     % (base, after)):
            return
        deadline, now = time.time() + 30, after
        while time.time() < deadline:
            now = rss_anon(s.p.pid)
            if now - base < (after - base) / 2:
                break
            time.sleep(0.1)
        check(now - base < (after - base) / 2, "idle 30 s, memory kept: %d -> %d -> %d kB" %
              (base, after, now))
        print("idle release: RssAnon %d kB, peak %d during the query, %d once idle" %
              (base, after, now))
    finally:
        s.stop()


def slow_dataset():
    """A dataset whose part 2 was deleted after registration: its queries retry the part
    (FROCKET_INVOKER_RETRY_FAILED_INTERVAL=1.5) and last about 3 s, then fail."""
    d = os.path.join(TMP, "slow")
    shutil.copytree(DATA, d)
    return d


def job_cap_disconnects_sigterm(slow):
    s = Server("cap", {"FROCKET_APISERVER_MAX_JOBS": "1",
                       "FROCKET_INVOKER_RETRY_FAILED_INTERVAL": "1.5"})
    try:
        st, _, d = s.json("POST", "/datasets/register", register_body("slow", slow))
        check(st == 200 and d.get("success"), "register slow: %s %s" % (st, str(d)[:300]))
        os.remove(os.path.join(slow, "part-00002.parquet"))
        # the failing job, in full: 500 with the task error named
        t0 = time.time()
        st, _, d = s.json("GET", "/datasets/slow/empty-query")
        took = time.time() - t0
        check(st == 500 and d.get("success") is False and
              "part-00002" in d.get("errorMessage", ""), "slow job: %s %s" % (st, str(d)[:300]))
        check(took > 2.5, "the slow job took %.2f s" % took)

        def start_stream():
            sock = socket.create_connection(("127.0.0.1", s.port), timeout=30)
            sock.sendall(http_head("GET", "/datasets/slow/empty-query?stream=true"))
            buf = b""
            while b"\r\n\r\n" not in buf or b"}\n" not in buf.split(b"\r\n\r\n", 1)[1]:
                d = sock.recv(4096)
                if not d:
                    break
                buf += d
            return sock, buf

        def wait_slot(limit):
            """Seconds until a job is accepted again (the cap is 1)."""
            t0 = time.time()
            while time.time() - t0 < limit:
                st, h, _ = s.req("GET", "/datasets/oracle/empty-query")
                if st == 200:
                    return time.time() - t0
                check(st == 503, "while the cap is reached: %s" % st)
                time.sleep(0.05)
            return None

        # 503 + Retry-After while the one allowed job runs
        sock, buf = start_stream()
        check(buf.startswith(b"HTTP/1.1 200"), "stream started: %r" % buf[:200])
        st, h, d = s.json("GET", "/datasets/oracle/empty-query")
        check(st == 503 and h.get("retry-after") and d.get("success") is False,
              "503 over the job cap: %s %s %s" % (st, h, d))
        # reading on: the stream ends with the job's failure
        rest = b""
        while True:
            d = sock.recv(65536)
            if not d:
                break
            rest += d
        sock.close()
        r = parse_response(buf + rest)
        lines = check_stream("slow stream", *r, ntasks=4, success=False)
        # clients that vanish mid-stream: the job is cancelled (the slot frees at once).  Left
        # alone, the job ends only after its third attempt, 2 x 1.5 s after it started: a slot
        # back within 2 s of the disconnect can only be the cancellation, and 2 s leaves a
        # loaded sanitizer run room to notice the closed socket.
        for _ in range(3):
            sock, buf = start_stream()
            check(buf.startswith(b"HTTP/1.1 200"), "warm-up stream started: %r" % buf[:100])
            sock.close()
            waited = wait_slot(10)
            check(waited is not None and waited < 2.0, "cancelled job freed the slot after %s s"
                  % waited)
        time.sleep(0)
        rss0, thr0 = s.proc_status()
        for i in range(20):
            sock, buf = start_stream()
            check(buf.startswith(b"HTTP/1.1 200"), "disconnect %d: stream started: %r" %
                  (i, buf[:100]))
            if i % 2:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            sock.close()
            waited = wait_slot(10)
            check(waited is not None and waited < 2.0, "disconnect %d: slot after %s s" % (i, waited))
        deadline = time.time() + 10
        while True:
            rss1, thr1 = s.proc_status()
            if thr1 <= thr0 or time.time() > deadline:
                break
            time.sleep(0.05)
        check(thr1 <= thr0, "threads grew over 20 disconnects: %d -> %d" % (thr0, thr1))
        # AddressSanitizer keeps freed memory in quarantine: RSS says nothing there
        if not s.sanitized():
            check(rss1 - rss0 < 16 * 1024, "RSS grew over 20 disconnects: %d -> %d kB" %
                  (rss0, rss1))
        st, _, d = s.json("GET", "/datasets/oracle/empty-query")
        check(st == 200 and d.get("success"), "after the disconnects: %s" % st)
        cancelled = [l for l in s.log_lines() if "client went away" in l]
        check(len(cancelled) >= 20, "cancellations logged: %d" % len(cancelled))
        # SIGTERM during a request: it completes, then the server exits 0
        sock, buf = start_stream()   # the job runs: its first progress line arrived
        check(buf.startswith(b"HTTP/1.1 200"), "stream before SIGTERM: %r" % buf[:200])
        s.p.send_signal(signal.SIGTERM)
        rest = b""
        sock.settimeout(60)
        while True:
            d = sock.recv(65536)
            if not d:
                break
            rest += d
        sock.close()
        lines = check_stream("stream across SIGTERM", *parse_response(buf + rest), ntasks=4,
                             success=False)
        check(lines and "part-00002" in lines[-1].get("errorMessage", ""),
              "the request in flight at SIGTERM completed: %s" % (lines and lines[-1]))
        rc = s.p.wait(60)
        check(rc == 0, "exit %s after SIGTERM" % rc)
        try:
            socket.create_connection(("127.0.0.1", s.port), timeout=2).close()
            failures.append("still accepting after SIGTERM")
        except OSError:
            pass
    finally:
        s.stop()


def main():
    if not os.access(SERVER, os.X_OK):
        print("FAIL: %s is not built" % SERVER)
        return 1
    t0 = time.time()
    s = Server("main")
    try:
        basics(s)
        if registration(s):
            dataset_docs(s)
            oracle(s)
            empty_query(s)
            names(s)
            streaming(s)
            limits(s)
            hostile(s)
            metrics(s)
            access_log(s)
            unregister_guard(s)
            st, _, d = s.json("POST", "/datasets/register", register_body("oracle2", os.path.join(
                ORACLE, "split9")))
    finally:
        s.stop()
    print("main server: %.1f s" % (time.time() - t0))
    switches_off()
    token_and_roots()
    idle_release()
    job_cap_disconnects_sigterm(slow_dataset())
    for srv in servers:
        if srv.p.poll() is None:
            srv.p.kill()
    print("total: %.1f s" % (time.time() - t0))
    if failures:
        for srv in servers:
            tail = "".join(srv.err)[-3000:]
            if tail.strip():
                print("--- %s stderr:\n%s" % (srv.name, tail))
        for f in failures[:60]:
            print("FAIL:", f)
        print("%d failure(s)" % len(failures))
        return 1
    shutil.rmtree(TMP, ignore_errors=True)
    print("PASS")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        for srv in servers:
            if srv.p.poll() is None:
                srv.p.kill()
