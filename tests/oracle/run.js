// Oracle suite: runs the 305 oracle queries through `frocket query` on the dataset split into 4,
// 1 and 9 parts, with SIMD kernels and with FROCKET_SIMD=scalar, and compares every answer with
// tests/data/oracle/expected by the rules of tests/data/oracle/README.md.
//
// usage: node run.js [--split data|split1|split9]... [--mode simd|scalar]... [--jobs N] [qNNNN...]
// env:   FR_TOP_SRCDIR, FR_TOP_BUILDDIR (set by make check), FROCKET (binary to test, optional)
'use strict';
const fs = require('fs');
const path = require('path');
const { spawn } = require('child_process');
const json = require('../diff/json.js');
const { compareResult } = require('../diff/compare.js');

const srcdir = process.env.FR_TOP_SRCDIR || path.resolve(__dirname, '..', '..');
const builddir = process.env.FR_TOP_BUILDDIR || srcdir;
const bin = process.env.FROCKET || path.join(builddir, 'frocket');
const dataDir = path.join(srcdir, 'tests', 'data', 'oracle');
const SPLITS = { data: '4 parts', split1: '1 part', split9: '9 parts' };
const TIMEOUT_MS = 120000;
const MAX_REPORTED = 25;

function parseArgs(argv) {
  const o = { splits: [], modes: [], ids: [], jobs: Number(process.env.FR_TEST_JOBS || 2) };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--split') o.splits.push(argv[++i]);
    else if (a === '--mode') o.modes.push(argv[++i]);
    else if (a === '--jobs') o.jobs = Number(argv[++i]);
    else if (/^q\d+(\.json)?$/.test(a)) o.ids.push(a.replace(/\.json$/, ''));
    else { console.error(`unknown argument ${a}`); process.exit(2); }
  }
  o.explicit = o.splits.length > 0 || o.modes.length > 0;
  if (!o.splits.length) o.splits = Object.keys(SPLITS);
  if (!o.modes.length) o.modes = ['simd', 'scalar'];
  for (const s of o.splits) if (!SPLITS[s]) { console.error(`unknown split ${s}`); process.exit(2); }
  for (const m of o.modes) if (m !== 'simd' && m !== 'scalar') { console.error(`unknown mode ${m}`); process.exit(2); }
  if (!(o.jobs >= 1)) o.jobs = 1;
  return o;
}

// A sanitized build is several times slower per process: there the scalar kernels run on the
// 4-part split only (every split still runs with SIMD), to stay within ~3 minutes.
// FR_ORACLE_FULL=1 runs the whole matrix anyway.
function sanitizedBuild() {
  try {
    return /^SAN_CFLAGS = .*-fsanitize=/m.test(fs.readFileSync(path.join(builddir, 'Makefile'), 'utf8'));
  } catch (e) {
    return false;
  }
}

function parts(split) {
  const d = path.join(dataDir, split);
  return fs.readdirSync(d).filter((f) => f.endsWith('.parquet')).sort().map((f) => path.join(d, f));
}

function envFor(mode) {
  const env = { ...process.env };
  delete env.FROCKET_SIMD;
  // the expected answers assume the default top, grace and exact-map limit
  for (const k of Object.keys(env)) if (k.startsWith('FROCKET_AGGREGATIONS_')) delete env[k];
  if (mode === 'scalar') env.FROCKET_SIMD = 'scalar';
  return env;
}

function run(args, mode) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const p = spawn(bin, args, { env: envFor(mode), stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; p.kill('SIGKILL'); }, TIMEOUT_MS);
    p.stdout.on('data', (b) => out.push(b));
    p.stderr.on('data', (b) => err.push(b));
    p.on('error', (e) => err.push(Buffer.from(String(e))));
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, ms: Date.now() - t0,
        stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

// A sanitizer report starts with its verdict: show that and the top frames, else the tail.
function stderrExcerpt(text) {
  const lines = text.trim().split('\n');
  const at = lines.findIndex((l) => /runtime error|Sanitizer|LeakSanitizer/.test(l));
  const shown = at >= 0 ? lines.slice(at, at + 8) : lines.slice(-8);
  return shown.join('\n          ');
}

const quote = (s) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
const cmdline = (args, mode) => `${mode === 'scalar' ? 'FROCKET_SIMD=scalar ' : ''}${quote(bin)} ${args.map(quote).join(' ')}`;

// Checks one run against one expected file; returns the differences.
function judge(exp, r) {
  if (r.timedOut) return [`timed out after ${TIMEOUT_MS / 1000} s`];
  if (r.signal) return [`killed by signal ${r.signal}`];
  let doc;
  try {
    doc = json.parse(r.stdout);
  } catch (e) {
    return [`exit ${r.code}; stdout is not one JSON document (${e.message})`];
  }
  if (!exp.valid) {
    const kind = String(exp.errorKind).replace(/^ValidationErrorKind\./, '');
    const d = [];
    if (r.code !== 2) d.push(`expected exit 2 (invalid query: ${kind}), got ${r.code}`);
    if (doc === null || typeof doc !== 'object' || doc.success !== false) d.push(`expected "success": false, got ${json.stringify(doc && doc.success)}`);
    else if (String(doc.errorKind).replace(/^ValidationErrorKind\./, '') !== kind) d.push(`expected errorKind ${kind}, got ${json.stringify(doc.errorKind)} (${json.stringify(doc.errorMessage)})`);
    return d;
  }
  const d = compareResult(exp.result, doc);
  if (r.code !== 0) d.unshift(`expected exit 0, got ${r.code}`);
  return d;
}

async function pool(tasks, jobs, fn) {
  let next = 0;
  const worker = async () => { while (next < tasks.length) { const t = tasks[next++]; await fn(t); } };
  await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, worker));
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(bin)) {
    console.log(`FAIL: frocket binary not found at ${bin} (build the project first)`);
    process.exit(1);
  }
  // One cheap query first, so a missing or broken `frocket query` fails with one clear message
  // instead of 1,830 diffs.
  const smokeArgs = ['query', '--group-id', 'uid', '--timestamp', 'ts', '--empty', ...parts('split9')];
  const smoke = await run(smokeArgs, 'simd');
  let smokeDoc = null;
  try { smokeDoc = json.parse(smoke.stdout); } catch (e) { /* reported below */ }
  if (smoke.code !== 0 || !smokeDoc || smokeDoc.success !== true || !smokeDoc.query ||
      smokeDoc.query.matchingGroups !== 2000n || smokeDoc.query.matchingGroupRows !== 51046n) {
    console.log(`FAIL: \`frocket query\` does not answer the empty query over the oracle dataset ` +
      `(expected 2000 groups / 51046 rows).\n  command: ${cmdline(smokeArgs, 'simd')}\n  exit: ${smoke.code}` +
      `${smoke.signal ? ` (signal ${smoke.signal})` : ''}\n  stdout: ${smoke.stdout.slice(0, 2000)}\n  stderr: ${smoke.stderr.slice(0, 2000)}`);
    process.exit(1);
  }

  let ids = fs.readdirSync(path.join(dataDir, 'queries')).filter((f) => /^q\d+\.json$/.test(f)).map((f) => f.slice(0, -5)).sort();
  if (o.ids.length) ids = ids.filter((id) => o.ids.includes(id));
  const expected = new Map(ids.map((id) => [id, json.parse(fs.readFileSync(path.join(dataDir, 'expected', `${id}.json`), 'utf8'))]));

  const reduced = !o.explicit && process.env.FR_ORACLE_FULL !== '1' && sanitizedBuild();
  if (reduced) console.log('sanitized build: scalar mode on the 4-part split only (FR_ORACLE_FULL=1 runs every split in both modes)');
  const tasks = [];
  for (const split of o.splits) {
    const ps = parts(split);
    for (const mode of o.modes) {
      if (reduced && mode === 'scalar' && split !== 'data') continue;
      for (const id of ids) {
        const args = ['query', '--group-id', 'uid', '--timestamp', 'ts', '--file', path.join(dataDir, 'queries', `${id}.json`), ...ps];
        tasks.push({ id, split, mode, args });
      }
    }
  }

  const t0 = Date.now();
  const failures = [];
  const stats = new Map();
  await pool(tasks, o.jobs, async (t) => {
    const r = await run(t.args, t.mode);
    const d = judge(expected.get(t.id), r);
    const key = `${t.split}/${t.mode}`;
    const s = stats.get(key) || { pass: 0, fail: 0, ms: 0, max: 0 };
    s.ms += r.ms;
    s.max = Math.max(s.max, r.ms);
    if (d.length) { s.fail++; failures.push({ ...t, diffs: d, r }); } else s.pass++;
    stats.set(key, s);
  });

  failures.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  for (const f of failures.slice(0, MAX_REPORTED)) {
    console.log(`FAIL ${f.id} on ${f.split} (${SPLITS[f.split]}), ${f.mode} mode`);
    console.log(`  query:    ${path.join(dataDir, 'queries', f.id + '.json')}`);
    console.log(`  expected: ${path.join(dataDir, 'expected', f.id + '.json')}`);
    console.log(`  command:  ${cmdline(f.args, f.mode)}`);
    for (const d of f.diffs.slice(0, 15)) console.log(`  - ${d}`);
    if (f.diffs.length > 15) console.log(`  - ... ${f.diffs.length - 15} more differences`);
    if (f.r.stderr.trim()) console.log(`  stderr: ${stderrExcerpt(f.r.stderr)}`);
  }
  if (failures.length > MAX_REPORTED) console.log(`... and ${failures.length - MAX_REPORTED} more failures`);
  // A failure everywhere points at the engine; one only in some splits or modes at merging,
  // the reader or a kernel path: show the pattern.
  const byId = new Map();
  for (const f of failures) byId.set(f.id, [...(byId.get(f.id) || []), `${f.split}/${f.mode}`]);
  if (byId.size) {
    console.log(`failing queries (${byId.size}):`);
    for (const [id, where] of byId) console.log(`  ${id}: ${where.length === stats.size ? 'everywhere' : where.join(' ')}`);
  }
  for (const [key, s] of stats) {
    console.log(`${key}: ${s.pass} passed, ${s.fail} failed, mean ${(s.ms / (s.pass + s.fail)).toFixed(0)} ms, max ${s.max} ms per query`);
  }
  console.log(`oracle suite: ${tasks.length - failures.length}/${tasks.length} runs passed in ${((Date.now() - t0) / 1000).toFixed(1)} s (${o.jobs} at a time)`);
  process.exit(failures.length ? 1 : 0);
}

main().catch((e) => { console.log(`FAIL: oracle runner crashed: ${e.stack}`); process.exit(1); });
