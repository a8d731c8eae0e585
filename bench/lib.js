// Shared helpers of the benchmark drivers: paths, DuckDB sessions, timing of child processes
// with their peak RSS, statistics and Markdown formatting.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const BENCH = __dirname;
const TOP = path.resolve(BENCH, '..');
// The optimised build the figures come from (scripts/test builds into build/).
const BUILD = path.resolve(process.env.FR_BUILD || path.join(TOP, 'build'));
const DATA = path.resolve(process.env.FR_BENCH_DATA || path.join(BENCH, 'data'));
// FR_FROCKET points at another frocket binary (e.g. a branch not yet merged).
const FROCKET = path.resolve(process.env.FR_FROCKET || path.join(BUILD, 'frocket'));
const BENCH_DECODE = path.join(BUILD, 'bench', 'bench_decode');

function duckdb() {
  try {
    return require('@duckdb/node-api');
  } catch (e) {
    throw new Error('@duckdb/node-api is missing: run `cd bench && npm ci` first');
  }
}

// A fresh in-memory DuckDB told to use `threads` threads.
async function duckConnect(threads) {
  const { DuckDBInstance } = duckdb();
  const db = await DuckDBInstance.create(':memory:');
  const con = await db.connect();
  await con.run(`SET threads = ${threads | 0}`);
  return { db, con };
}

async function duckRows(con, sql) {
  const r = await con.runAndReadAll(sql);
  return r.getRowObjects();
}

function sqlList(files) {
  return '[' + files.map((f) => `'${f.replace(/'/g, "''")}'`).join(', ') + ']';
}

// Runs a command under /usr/bin/time; returns wall seconds (our own clock), CPU seconds
// (user + system, all threads), peak RSS in KiB and the captured output.  Throws with stderr on a non-zero exit.
function runTimed(cmd, args, opts = {}) {
  const tf = path.join(os.tmpdir(), `frbench-time-${process.pid}.txt`);
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M %U %S', '-o', tf, cmd, ...args], {
    env: { ...process.env, ...(opts.env || {}) },
    maxBuffer: 1 << 30,
    encoding: 'utf8',
    input: opts.input,
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  let rss = NaN;
  let cpu = NaN;
  try {
    const f = fs.readFileSync(tf, 'utf8').trim().split('\n').pop().split(' ');
    rss = parseInt(f[0], 10);
    cpu = parseFloat(f[1]) + parseFloat(f[2]);
    fs.unlinkSync(tf);
  } catch (e) { /* reported as NaN */ }
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (status ${r.status}):\n${r.stderr}`);
  }
  return { wall, cpu, rssKb: rss, stdout: r.stdout, stderr: r.stderr };
}

// Times an async call: wall and CPU seconds of this process (DuckDB's threads included).
async function timeCall(fn) {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const value = await fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1e6, value };
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
function best(xs) { return Math.min(...xs); }

// Fixed-point with thousands separators for large counts, 3 significant digits otherwise.
function fmtNum(x) {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  return x.toPrecision(3);
}
function fmtMs(s) { return (s * 1000).toFixed(s < 0.1 ? 1 : 0) + ' ms'; }
function fmtMiB(bytes) { return (bytes / 1048576).toFixed(1) + ' MiB'; }
function fmtRatio(x) { return x.toFixed(x < 10 ? 2 : 1) + 'x'; }

function table(header, rows) {
  const out = ['| ' + header.join(' | ') + ' |', '|' + header.map(() => '---').join('|') + '|'];
  for (const r of rows) out.push('| ' + r.join(' | ') + ' |');
  return out.join('\n');
}

function partFiles(dir) {
  return fs.readdirSync(dir).filter((f) => f.endsWith('.parquet')).sort()
    .map((f) => path.join(dir, f));
}

function machine() {
  const cpus = os.cpus();
  return `${cpus.length} x ${cpus[0].model.trim()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ` +
    `load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`;
}

// Parses "--name value" / "--flag" arguments into an object with defaults.
function parseArgs(argv, defaults) {
  const o = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const k = a.slice(2);
    if (!(k in defaults)) throw new Error(`unknown option ${a}`);
    if (typeof defaults[k] === 'boolean') o[k] = true;
    else {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      o[k] = typeof defaults[k] === 'number' ? Number(v) : v;
    }
  }
  return o;
}

function requireFile(p, hint) {
  if (!fs.existsSync(p)) throw new Error(`${p} not found: ${hint}`);
}

module.exports = {
  BENCH, TOP, BUILD, DATA, FROCKET, BENCH_DECODE, duckConnect, duckRows, sqlList, runTimed,
  timeCall, median, best, fmtNum, fmtMs, fmtMiB, fmtRatio, table, partFiles, machine, parseArgs,
  requireFile,
};
