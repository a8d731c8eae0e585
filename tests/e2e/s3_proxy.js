// Test proxy in front of the loopback S3 server (s3rver):
//  - verifies every SigV4 signature with AWS's own JavaScript signer (@smithy/signature-v4),
//    because s3rver checks none (aws.md §7.1): a wrong secret gets 403 SignatureDoesNotMatch;
//  - injects faults on request: POST /__fault {"mode": "503"|"stall"|"truncate"|"drop",
//    "count": n, "match": "substring of the path"} affects the next n matching GETs;
//  - counts what it forwarded: GET /__stats -> {"requests", "bytes", "faults"};
//    POST /__reset zeroes the counters.
// Prints "PORT <n>" once listening on 127.0.0.1 (port 0: the kernel picks a free one).
//   node s3_proxy.js <upstream port> <secret>
'use strict';
const http = require('http');
const { SignatureV4 } = require('@smithy/signature-v4');
const { Sha256 } = require('@aws-crypto/sha256-js');

const upstream = Number(process.argv[2]);
const secret = process.argv[3] || 'S3RVER';
let faults = [];
let stats = { requests: 0, bytes: 0, faults: 0, rejected: 0 };
const stalled = new Set();

async function verify(req) {
  const auth = req.headers.authorization;
  if (!auth) return true;   // anonymous (FROCKET_AWS_NO_SIGNATURE)
  const m = /Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]+)/.exec(auth);
  if (!m) return false;
  const [, akid, , region, service, signed, sig] = m;
  const u = new URL(req.url, 'http://x');
  const query = {};
  for (const [k, v] of u.searchParams) query[k] = v;
  const headers = {};
  for (const h of signed.split(';')) if (h !== 'x-amz-date') headers[h] = req.headers[h];
  const amzDate = req.headers['x-amz-date'];
  const d = new Date(Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1,
    +amzDate.slice(6, 8), +amzDate.slice(9, 11), +amzDate.slice(11, 13), +amzDate.slice(13, 15)));
  const signer = new SignatureV4({ credentials: { accessKeyId: akid, secretAccessKey: secret,
    sessionToken: req.headers['x-amz-security-token'] }, region, service, sha256: Sha256,
    uriEscapePath: false, applyChecksum: false });
  // the path as sent (already encoded once): S3 signs it unchanged
  const rawPath = req.url.split('?')[0];
  const signedReq = await signer.sign({ method: req.method, protocol: 'http:',
    hostname: req.headers.host, path: rawPath, query, headers }, { signingDate: d });
  const got = /Signature=([0-9a-f]+)/.exec(signedReq.headers.authorization)[1];
  return got === sig;
}

const server = http.createServer(async (req, res) => {
  if (req.url === '/__fault' && req.method === 'POST') {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => { faults.push(JSON.parse(body)); res.end('ok'); });
    return;
  }
  if (req.url === '/__stats') { res.end(JSON.stringify(stats)); return; }
  if (req.url === '/__reset' && req.method === 'POST') {
    stats = { requests: 0, bytes: 0, faults: 0, rejected: 0 };
    faults = [];
    res.end('ok');
    return;
  }
  let ok = false;
  try { ok = await verify(req); } catch (e) { ok = false; }
  if (!ok) {
    stats.rejected++;
    res.writeHead(403, { 'Content-Type': 'application/xml' });
    res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code>' +
      '<Message>The request signature we calculated does not match the signature you ' +
      'provided. Check your key and signing method.</Message></Error>');
    return;
  }
  stats.requests++;
  const f = faults.find((x) => x.count > 0 && req.method === 'GET' &&
    (!x.match || req.url.includes(x.match)));
  if (f) {
    f.count--;
    stats.faults++;
    if (f.mode === '503') {
      res.writeHead(503, { 'Content-Type': 'application/xml' });
      res.end('<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>');
      return;
    }
    if (f.mode === 'drop') { req.socket.destroy(); return; }
    if (f.mode === 'stall') {   // accept and never answer; freed when the client gives up
      stalled.add(req.socket);
      req.socket.on('close', () => stalled.delete(req.socket));
      return;
    }
  }
  const up = http.request({ host: '127.0.0.1', port: upstream, method: req.method,
    path: req.url, headers: req.headers }, (ur) => {
    res.writeHead(ur.statusCode, ur.headers);
    if (f && f.mode === 'truncate') {
      // half the body, then the connection dies: Content-Length promised more
      const len = Number(ur.headers['content-length'] || 0);
      let sent = 0;
      ur.on('data', (c) => {
        if (sent >= len / 2) return;
        const part = c.subarray(0, Math.max(0, Math.floor(len / 2) - sent));
        sent += part.length;
        res.write(part);
        if (sent >= Math.floor(len / 2)) { res.flushHeaders(); setImmediate(() => req.socket.destroy()); }
      });
      return;
    }
    ur.on('data', (c) => { stats.bytes += c.length; });
    ur.pipe(res);
  });
  up.on('error', () => req.socket.destroy());
  req.pipe(up);
});
server.keepAliveTimeout = 30000;
server.listen(0, '127.0.0.1', () => { console.log('PORT ' + server.address().port); });
process.on('SIGTERM', () => { for (const s of stalled) s.destroy(); process.exit(0); });
