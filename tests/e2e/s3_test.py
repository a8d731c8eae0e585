#!/usr/bin/env python3
"""Datasets on S3 end to end (issue 17), against a real S3-compatible server on loopback:
s3rver (npm), data uploaded with AWS's own JavaScript SDK, reached through a small proxy
(s3_proxy.js) that checks every SigV4 signature with AWS's JavaScript signer (s3rver checks
none) and injects faults on request.

- register the oracle dataset from s3://testbucket/oracle/ and run all 305 oracle queries
  with `frocket run` (disk cache off: every query reads S3), comparing with the oracle;
- the disk cache: a repeated query is served without any request, counted in
  stats.worker.cache.diskCache; a re-registration does not reuse the old entries;
- a prefix with 2,500 objects lists completely (plus a subfolder and a marker not taken);
- a deleted object fails its task with the key named; a wrong secret gives a clear 403
  that never shows the secret;
- faults: 503 twice then 200, a stalled connection, a body cut short, a dropped connection:
  all retried transparently with the right answer."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "query"))
from oracle_cmp import compare  # noqa: E402

TOP = os.environ.get("FR_TOP_SRCDIR", os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("FR_TOP_BUILDDIR", TOP)
FROCKET = os.path.join(BUILD, "frocket")
E2E = os.path.join(TOP, "tests", "e2e")
ORACLE = os.path.join(TOP, "tests", "data", "oracle")
SAN_MARKERS = ("AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer", "runtime error:")
WRONG_SECRET = "wrongSecret-Do-Not-Print-42"
failures = []
procs = []
TMP = tempfile.mkdtemp(prefix="frocket-s3-")
HOME = os.path.join(TMP, "home")
CACHE = os.path.join(TMP, "cache")


def check(cond, what):
    if not cond:
        failures.append(what)
    return cond


def start(args, pattern, deadline=30):
    """Starts a server, returns (process, first match of pattern in its output)."""
    log = open(os.path.join(TMP, "log-%d.txt" % len(procs)), "w+")
    p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=E2E,
                         env=dict(os.environ, NODE_OPTIONS="--openssl-legacy-provider"))
    procs.append(p)
    end = time.time() + deadline
    while time.time() < end:
        log.seek(0)
        m = re.search(pattern, log.read())
        if m:
            return p, m.group(1)
        if p.poll() is not None:
            break
        time.sleep(0.05)
    log.seek(0)
    raise RuntimeError("%s did not start: %s" % (args[:2], log.read()[-2000:]))


def stop_all():
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()


def node(*args):
    p = subprocess.run(["node", os.path.join(E2E, "s3_util.js")] + list(args), cwd=E2E,
                       capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise RuntimeError("s3_util %s: %s" % (args[:2], p.stderr))


class Proxy:
    def __init__(self, port):
        self.url = "http://127.0.0.1:%s" % port

    def call(self, path, body=None):
        req = urllib.request.Request(self.url + path, data=body,
                                     method="POST" if body is not None else "GET")
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.read().decode()

    def fault(self, mode, count, match):
        self.call("/__fault", json.dumps({"mode": mode, "count": count,
                                          "match": match}).encode())

    def stats(self):
        return json.loads(self.call("/__stats"))


class CredServer:
    """Container credentials, IMDSv2 and STS AssumeRoleWithWebIdentity on loopback."""

    def __init__(self):
        import http.server
        import threading
        outer = self
        self.token_file = os.path.join(TMP, "web-identity-token")
        with open(self.token_file, "w") as f:
            f.write("header.payload.signature\n")
        self.reset(False)

        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def send(self, code, body, ctype="application/json"):
                b = body.encode()
                self.send_response(code)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(b)))
                self.end_headers()
                self.wfile.write(b)

            def creds_json(self):
                outer.served += 1
                return json.dumps({"Code": "Success", "AccessKeyId": "S3RVER",
                                   "SecretAccessKey": "S3RVER", "Token": "session-token-x",
                                   "Expiration": outer.expiration()})

            def do_PUT(self):
                if self.path == "/latest/api/token" and \
                        self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                    self.send(200, "imds-token", "text/plain")
                else:
                    outer.bad += 1
                    self.send(400, "")

            def do_GET(self):
                if self.path == "/ecs":
                    if self.headers.get("Authorization") != "ecs-token":
                        outer.bad += 1
                        return self.send(403, "")
                    return self.send(200, self.creds_json())
                if self.path.startswith("/latest/meta-data/iam/security-credentials/"):
                    if self.headers.get("X-aws-ec2-metadata-token") != "imds-token":
                        outer.bad += 1
                        return self.send(401, "")
                    role = self.path.rsplit("/", 1)[1]
                    if not role:
                        return self.send(200, "test-role\n", "text/plain")
                    return self.send(200, self.creds_json())
                outer.bad += 1
                self.send(404, "")

            def do_POST(self):
                n = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(n).decode()
                if self.path == "/sts" and "Action=AssumeRoleWithWebIdentity" in body and \
                        "WebIdentityToken=header.payload.signature" in body and \
                        "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Ft" in body:
                    outer.served += 1
                    return self.send(200, (
                        "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/"
                        "2011-06-15/\"><AssumeRoleWithWebIdentityResult><Credentials>"
                        "<AccessKeyId>S3RVER</AccessKeyId><SecretAccessKey>S3RVER"
                        "</SecretAccessKey><SessionToken>sts-token</SessionToken><Expiration>%s"
                        "</Expiration></Credentials></AssumeRoleWithWebIdentityResult>"
                        "</AssumeRoleWithWebIdentityResponse>") % outer.expiration(),
                        "text/xml")
                outer.bad += 1
                self.send(400, "")

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d" % self.srv.server_address[1]
        self.thread = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.thread.start()

    def reset(self, expiring):
        self.expiring = expiring
        self.served = 0
        self.bad = 0

    def expiration(self):
        # within the 5-minute refresh margin, or an hour away
        t = time.time() + (120 if self.expiring else 3600)
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()


def base_env(endpoint, extra=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "FROCKET_"))}
    e.update({
        "FROCKET_HOME": HOME,
        "FROCKET_S3_AWS_ENDPOINT_URL": endpoint,
        "FROCKET_S3_AWS_ACCESS_KEY_ID": "S3RVER",
        "FROCKET_S3_AWS_SECRET_ACCESS_KEY": "S3RVER",
        "FROCKET_S3_AWS_READ_TIMEOUT": "2",
        "FROCKET_S3_AWS_RETRY_BASE": "0.05",
        "FROCKET_WORKER_DISK_CACHE_DIR": CACHE,
        "FROCKET_WORKER_DISK_CACHE_SIZE_MB": "0",
        "FROCKET_INVOKER_RETRY_FAILED_INTERVAL": "0.05",
        "AWS_EC2_METADATA_DISABLED": "true",
    })
    e.update(extra or {})
    return e


def fr(env, args, timeout=300):
    p = subprocess.run([FROCKET] + args, capture_output=True, text=True, timeout=timeout,
                       env=env)
    for m in SAN_MARKERS:
        if m in p.stderr:
            failures.append("sanitizer report for %s: %s" % (args, p.stderr[:2000]))
    return p


def doc(p):
    try:
        return json.loads(p.stdout)
    except ValueError:
        return None


def oracle_all(env):
    bad = 0
    names = sorted(os.listdir(os.path.join(ORACLE, "queries")))
    for name in names:
        with open(os.path.join(ORACLE, "expected", name)) as f:
            exp = json.load(f)
        p = fr(env, ["--nopretty", "run", "oracle", "-f", os.path.join(ORACLE, "queries", name)])
        out = doc(p)
        errs = ["no JSON (exit %d): %s" % (p.returncode, p.stderr[:300])] if out is None \
            else compare(out, exp)
        want = 0 if exp["valid"] else 1
        if p.returncode != want:
            errs.append("exit %d, want %d" % (p.returncode, want))
        if errs:
            bad += 1
            failures.append("oracle run %s: %s" % (name, "; ".join(errs[:3])))
    print("oracle through S3: %d queries, %d failures" % (len(names), bad))
    check(len(names) == 305, "305 oracle queries, found %d" % len(names))


def one_query(env, name="q0003.json"):
    with open(os.path.join(ORACLE, "expected", name)) as f:
        exp = json.load(f)
    p = fr(env, ["--nopretty", "run", "oracle", "-f", os.path.join(ORACLE, "queries", name)])
    out = doc(p)
    errs = ["no JSON (exit %d): %s" % (p.returncode, p.stderr[:300])] if out is None \
        else compare(out, exp)
    return p, out, errs


def main():
    if shutil.which("node") is None:
        print("FAIL: node is required for the S3 end-to-end test (s3rver, the AWS SDK)")
        return 1
    if not os.path.isdir(os.path.join(E2E, "node_modules", "s3rver")):
        print("FAIL: tests/e2e/node_modules is missing: run `npm ci` in tests/e2e "
              "(scripts/test does)")
        return 1
    if not os.path.exists(FROCKET):
        print("FAIL: frocket not built: %s" % FROCKET)
        return 1
    os.makedirs(os.path.join(TMP, "s3data"))
    _, s3port = start(["node", os.path.join(E2E, "node_modules", "s3rver", "bin", "s3rver.js"),
                       "-d", os.path.join(TMP, "s3data"), "-a", "127.0.0.1", "-p", "0",
                       "--configure-bucket", "testbucket"], r"listening on 127\.0\.0\.1:(\d+)")
    direct = "http://127.0.0.1:%s" % s3port
    _, pport = start(["node", os.path.join(E2E, "s3_proxy.js"), s3port, "S3RVER"],
                     r"PORT (\d+)")
    proxy = Proxy(pport)
    endpoint = proxy.url
    parts = sorted(os.path.join(ORACLE, "data", f) for f in os.listdir(os.path.join(ORACLE, "data"))
                   if f.endswith(".parquet"))
    node("put", direct, "testbucket", "oracle/", *parts)
    env = base_env(endpoint)

    # register and the whole oracle, cache off: every read goes to S3
    p = fr(env, ["--nopretty", "register", "oracle", "s3://testbucket/oracle/", "uid", "ts"])
    d = doc(p)
    if not check(p.returncode == 0 and d and d.get("success") and
                 d["dataset"]["totalParts"] == 4,
                 "register from S3: exit %d %s %s" % (p.returncode, p.stdout[:500],
                                                       p.stderr[:500])):
        return 1
    before = proxy.stats()
    oracle_all(env)
    after = proxy.stats()
    check(after["requests"] > before["requests"], "the oracle queries read S3")
    check(after["rejected"] == 0, "every signature verified by AWS's signer: %s" % after)

    # ranged reads: a one-column query reads far less than the dataset
    total = sum(os.path.getsize(f) for f in parts)
    proxy.call("/__reset", b"")
    p = fr(env, ["--nopretty", "run", "oracle", "--string",
                 '{"query": {"aggregations": [{"column": "event"}]}}'])
    st = proxy.stats()
    check(p.returncode == 0 and st["bytes"] < total / 2,
          "one-column query fetched %d of %d bytes" % (st["bytes"], total))

    # the disk cache: cold, then warm without a single request; counted in the stats
    cenv = base_env(endpoint, {"FROCKET_WORKER_DISK_CACHE_SIZE_MB": "64"})
    p, out, errs = one_query(cenv)
    check(not errs and out["stats"]["worker"]["cache"]["diskCache"] == 0,
          "cold cache run: %s %s" % (errs[:3], p.stdout[:300]))
    proxy.call("/__reset", b"")
    p, out, errs = one_query(cenv)
    st = proxy.stats()
    check(not errs and out["stats"]["worker"]["cache"]["diskCache"] == 4 and
          st["requests"] == 0, "warm cache run: %s %s proxy %s" % (errs[:3], p.stdout[:400], st))
    # a re-registration never reuses the entries of the old one
    p = fr(cenv, ["--nopretty", "register", "oracle", "s3://testbucket/oracle/", "uid", "ts"])
    if p.returncode != 0:
        fr(cenv, ["unregister", "oracle", "--force"])
        p = fr(cenv, ["--nopretty", "register", "oracle", "s3://testbucket/oracle/", "uid", "ts"])
    check(p.returncode == 0, "re-register: %s %s" % (p.stdout[:300], p.stderr[:300]))
    proxy.call("/__reset", b"")
    p, out, errs = one_query(cenv)
    check(not errs and out["stats"]["worker"]["cache"]["diskCache"] == 0 and
          proxy.stats()["requests"] > 0, "after re-registration the cache is cold: %s" %
          p.stdout[:300])
    p, out, errs = one_query(cenv)
    check(not errs and out["stats"]["worker"]["cache"]["diskCache"] == 4, "warm again: %s" %
          p.stdout[:300])
    # a store that cannot be reached fails a query needing uncached columns, and leaves the
    # cache alone (decision 20 evicts only bytes that do not load): the warm query stays warm
    proxy.fault("503", 1000, "oracle/")
    p = fr(base_env(endpoint, {"FROCKET_WORKER_DISK_CACHE_SIZE_MB": "64",
                               "FROCKET_S3_AWS_RETRIES_MAX_ATTEMPTS": "1",
                               "FROCKET_INVOKER_RETRY_MAX_ATTEMPTS": "1"}),
           ["--nopretty", "run", "oracle", "--string",
            '{"query": {"aggregations": [{"column": "keywords"}, {"column": "qty"}]}}'])
    check(p.returncode == 1, "a query with the store down: exit %d %s" % (p.returncode,
                                                                        p.stdout[:300]))
    proxy.call("/__reset", b"")
    p, out, errs = one_query(cenv)
    st = proxy.stats()
    check(not errs and out["stats"]["worker"]["cache"]["diskCache"] == 4 and
          st["requests"] == 0, "warm after the store was down: %s proxy %s" %
          (p.stdout[:300], st))

    # faults (cache off): each retried transparently, the answer unchanged
    for mode, count, match in (("503", 2, "oracle/part-00001"), ("stall", 1, "oracle/part-00002"),
                               ("truncate", 1, "oracle/part-00003"),
                               ("drop", 1, "oracle/part-00000")):
        f0 = proxy.stats()["faults"]
        proxy.fault(mode, count, match)
        t0 = time.time()
        p, out, errs = one_query(env)
        f1 = proxy.stats()["faults"]
        check(not errs and p.returncode == 0 and f1 - f0 == count,
              "fault %s x%d: exit %d, %d faults injected, %s %s" %
              (mode, count, p.returncode, f1 - f0, errs[:3], p.stderr[:300]))
        print("fault %s x%d: recovered in %.1f s" % (mode, count, time.time() - t0))
    # a body cut short on every attempt is an error, never data
    proxy.fault("truncate", 100, "oracle/part-00003")
    p, out, errs = one_query(base_env(endpoint, {"FROCKET_S3_AWS_RETRIES_MAX_ATTEMPTS": "1",
                                                 "FROCKET_INVOKER_RETRY_MAX_ATTEMPTS": "1"}))
    check(p.returncode == 1 and out and not out["success"] and
          "part-00003" in out.get("errorMessage", ""),
          "truncated every time: %s %s" % (p.stdout[:500], p.stderr[:300]))
    proxy.call("/__reset", b"")

    # 2,500 objects under one prefix: every page of the listing, nothing below it
    node("many", direct, "testbucket", "big/", "2500")
    node("put", direct, "testbucket", "big/", parts[0])
    os.makedirs(os.path.join(TMP, "extra", "sub"))
    shutil.copy(parts[0], os.path.join(TMP, "extra", "part-00000.parquet"))
    node("put", direct, "testbucket", "big/sub/", os.path.join(TMP, "extra", "part-00000.parquet"))
    with open(os.path.join(TMP, "extra", "_SUCCESS"), "w") as f:
        f.write("")
    node("put", direct, "testbucket", "big/", os.path.join(TMP, "extra", "_SUCCESS"))
    # big/part-00000.parquet is a real part; single validation reads only that one
    p = fr(env, ["--nopretty", "register", "big", "s3://testbucket/big/", "uid", "ts",
                 "--validation", "single"])
    d = doc(p)
    check(p.returncode == 0 and d and d["dataset"]["totalParts"] == 2500,
          "2,500 objects: %s %s" % (p.stdout[:400], p.stderr[:300]))

    # a deleted object fails its task with the key named
    node("put", direct, "testbucket", "del/", *parts)
    p = fr(env, ["--nopretty", "register", "del", "s3://testbucket/del/", "uid", "ts"])
    check(p.returncode == 0, "register del: %s" % p.stdout[:300])
    node("del", direct, "testbucket", "del/part-00002.parquet")
    p = fr(env, ["--nopretty", "run", "del", "--empty"])
    d = doc(p)
    check(p.returncode == 1 and d and not d["success"] and
          "del/part-00002.parquet" in d.get("errorMessage", "") and
          "not found" in d.get("errorMessage", ""),
          "deleted object: %s %s" % (p.stdout[:500], p.stderr[:300]))

    # a wrong secret: a clear 403 naming the bucket, never the secret
    wenv = base_env(endpoint, {"FROCKET_S3_AWS_SECRET_ACCESS_KEY": WRONG_SECRET})
    p = fr(wenv, ["--nopretty", "register", "wrong", "s3://testbucket/oracle/", "uid", "ts"])
    d = doc(p)
    check(p.returncode == 1 and d and "403" in d.get("errorMessage", "") and
          "SignatureDoesNotMatch" in d["errorMessage"] and "testbucket" in d["errorMessage"],
          "wrong secret: %s %s" % (p.stdout[:500], p.stderr[:300]))
    check(WRONG_SECRET not in p.stdout + p.stderr, "the secret never appears in output")
    p = fr(wenv, ["--nopretty", "run", "oracle", "--empty"])
    d = doc(p)
    check(p.returncode == 1 and d and "403" in d.get("errorMessage", "") and
          "oracle/part-0000" in d["errorMessage"] and WRONG_SECRET not in p.stdout + p.stderr,
          "wrong secret on a query: %s %s" % (p.stdout[:500], p.stderr[:300]))
    # partial credentials are refused by name
    penv = base_env(endpoint, {"FROCKET_S3_AWS_SECRET_ACCESS_KEY": ""})
    p = fr(penv, ["--nopretty", "run", "oracle", "--empty"])
    check(p.returncode == 1 and "partial S3 credentials" in p.stdout + p.stderr,
          "partial credentials: %s %s" % (p.stdout[:300], p.stderr[:300]))
    # the standard chain: a shared credentials file with a profile
    with open(os.path.join(TMP, "credentials"), "w") as f:
        f.write("[default]\naws_access_key_id = NOPE\naws_secret_access_key = nope\n\n"
                "[tests]\naws_access_key_id = S3RVER\naws_secret_access_key = S3RVER\n")
    fenv = base_env(endpoint, {"FROCKET_S3_AWS_ACCESS_KEY_ID": "",
                               "FROCKET_S3_AWS_SECRET_ACCESS_KEY": "",
                               "AWS_SHARED_CREDENTIALS_FILE": os.path.join(TMP, "credentials"),
                               "AWS_CONFIG_FILE": os.path.join(TMP, "noconfig"),
                               "AWS_PROFILE": "tests"})
    proxy.call("/__reset", b"")
    p, out, errs = one_query(fenv)
    check(not errs and proxy.stats()["rejected"] == 0, "profile credentials: %s %s" %
          (errs[:3], p.stderr[:300]))
    # environment credentials, and no credentials at all
    eenv = dict(fenv, AWS_ACCESS_KEY_ID="S3RVER", AWS_SECRET_ACCESS_KEY="S3RVER",
                AWS_PROFILE="nosuchprofile")
    p, out, errs = one_query(eenv)
    check(not errs, "environment credentials: %s %s" % (errs[:3], p.stderr[:300]))
    nenv = dict(fenv, AWS_PROFILE="nosuchprofile")
    p = fr(nenv, ["--nopretty", "run", "oracle", "--empty"])
    check(p.returncode == 1 and "no AWS credentials found" in p.stdout + p.stderr,
          "no credentials: %s %s" % (p.stdout[:300], p.stderr[:300]))
    # the credential endpoints of the chain, served on loopback: container credentials,
    # IMDSv2 and STS web identity, each giving temporary credentials with a session token
    # (signed, and checked by the proxy); credentials about to expire are fetched again
    creds = CredServer()
    try:
        chain = dict(fenv, AWS_PROFILE="nosuchprofile")
        for what, extra in (
                ("container", {"AWS_CONTAINER_CREDENTIALS_FULL_URI": creds.url + "/ecs",
                               "AWS_CONTAINER_AUTHORIZATION_TOKEN": "ecs-token"}),
                ("imds", {"AWS_EC2_METADATA_DISABLED": "false",
                          "AWS_EC2_METADATA_SERVICE_ENDPOINT": creds.url}),
                ("web identity", {"AWS_WEB_IDENTITY_TOKEN_FILE": creds.token_file,
                                  "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/t",
                                  "AWS_ENDPOINT_URL_STS": creds.url + "/sts"})):
            for expiring in (False, True):
                creds.reset(expiring)
                proxy.call("/__reset", b"")
                p, out, errs = one_query(dict(chain, **extra))
                st = proxy.stats()
                check(not errs and st["rejected"] == 0 and creds.bad == 0,
                      "%s credentials: %s %s %s" % (what, errs[:3], p.stderr[:300], st))
                # 4 parts: fetched once, or again for each part when about to expire
                check((creds.served > 1) == expiring, "%s credentials fetched %d times "
                      "(expiring: %s)" % (what, creds.served, expiring))
    finally:
        creds.stop()
    # a public bucket: no signature at all
    p, out, errs = one_query(base_env(direct, {"FROCKET_S3_AWS_ACCESS_KEY_ID": "",
                                               "FROCKET_S3_AWS_SECRET_ACCESS_KEY": "",
                                               "FROCKET_AWS_NO_SIGNATURE": "true"}))
    check(not errs, "no signature: %s %s" % (errs[:3], p.stderr[:300]))
    return 0


if __name__ == "__main__":
    rc = 1
    try:
        rc = main()
    except Exception as e:  # noqa: BLE001 - any crash of the harness is a failure
        failures.append("harness: %r" % e)
    finally:
        stop_all()
        shutil.rmtree(TMP, ignore_errors=True)
    for f in failures:
        print("FAIL:", f)
    if failures or rc:
        sys.exit(1)
    print("ok")
