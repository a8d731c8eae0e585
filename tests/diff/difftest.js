// Randomized differential test: random datasets (written to Parquet by DuckDB) and random valid
// queries, each answered by `frocket query` and by the reference evaluator (ref.js); any
// difference fails, with the seed, a reproduction command and a shrunk copy of the case.
//
// usage: node difftest.js [--seed N] [--budget SECONDS] [--datasets N] [--queries N]
//          [--scalar-every K] [--jobs N] [--dataset D [--query Q]] [--max-failures N]
// env:   FR_TOP_SRCDIR, FR_TOP_BUILDDIR, FROCKET (binary to test), FR_DIFF_SEED, FR_DIFF_BUDGET
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawn } = require('child_process');

let duck;
try {
  duck = require('./duck.js');
} catch (e) {
  console.log(`SKIP: DuckDB for Node is not installed (${e.message.split('\n')[0]}).\n` +
    `  Install it with: cd bench && npm install   (scripts/test does this), then run with\n` +
    `  NODE_PATH=<top>/bench/node_modules`);
  process.exit(77);
}
const json = require('./json.js');
const { Evaluator, toResponse } = require('./ref.js');
const { compareResult } = require('./compare.js');
const { Rng, genDataset, QueryGen } = require('./gen.js');

const srcdir = process.env.FR_TOP_SRCDIR || path.resolve(__dirname, '..', '..');
const builddir = process.env.FR_TOP_BUILDDIR || srcdir;
const bin = process.env.FROCKET || path.join(builddir, 'frocket');
const TIMEOUT_MS = 60000;

function parseArgs(argv) {
  const o = {
    seed: process.env.FR_DIFF_SEED !== undefined ? Number(process.env.FR_DIFF_SEED) : Math.floor(Math.random() * 2 ** 31),
    budget: Number(process.env.FR_DIFF_BUDGET || 120),
    datasets: 100000, queries: 60, scalarEvery: 4, jobs: Number(process.env.FR_TEST_JOBS || 2),
    dataset: null, query: null, maxFailures: 5,
    keep: path.join(builddir, 'tests', 'diff', 'failures'),
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => { const v = Number(argv[++i]); if (!Number.isFinite(v)) { console.error(`${a} needs a number`); process.exit(2); } return v; };
    if (a === '--seed') o.seed = num();
    else if (a === '--budget') o.budget = num();
    else if (a === '--datasets') o.datasets = num();
    else if (a === '--queries') o.queries = num();
    else if (a === '--scalar-every') o.scalarEvery = num();
    else if (a === '--jobs') o.jobs = num();
    else if (a === '--dataset') o.dataset = num();
    else if (a === '--query') o.query = num();
    else if (a === '--max-failures') o.maxFailures = num();
    else if (a === '--keep') o.keep = argv[++i];
    else { console.error(`unknown argument ${a}`); process.exit(2); }
  }
  return o;
}

function runEngine(args, mode) {
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env.FROCKET_SIMD;
    // the expected answers assume the default top, grace and exact-map limit
    for (const k of Object.keys(env)) if (k.startsWith('FROCKET_AGGREGATIONS_')) delete env[k];
    if (mode === 'scalar') env.FROCKET_SIMD = 'scalar';
    const p = spawn(bin, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    const err = [];
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; p.kill('SIGKILL'); }, TIMEOUT_MS);
    p.stdout.on('data', (b) => out.push(b));
    p.stderr.on('data', (b) => err.push(b));
    p.on('error', (e) => err.push(Buffer.from(String(e))));
    p.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

function judge(expected, r) {
  if (r.timedOut) return [`timed out after ${TIMEOUT_MS / 1000} s`];
  if (r.signal) return [`killed by signal ${r.signal}`];
  let doc;
  try { doc = json.parse(r.stdout); } catch (e) { return [`exit ${r.code}; stdout is not one JSON document (${e.message})`]; }
  const d = compareResult(expected, doc);
  if (r.code !== 0) d.unshift(`expected exit 0, got ${r.code}`);
  return d;
}

// A sanitizer report starts with its verdict: show that and the top frames, else the tail.
function stderrExcerpt(text) {
  const lines = text.trim().split('\n');
  const at = lines.findIndex((l) => /runtime error|Sanitizer|LeakSanitizer/.test(l));
  const shown = at >= 0 ? lines.slice(at, at + 8) : lines.slice(-8);
  return shown.join('\n          ');
}

const quote = (s) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

function engineArgs(ds, qfile, files) {
  return ['query', '--group-id', ds.schema.groupId, '--timestamp', ds.schema.timestamp, '--file', qfile, ...files];
}

async function writeParts(con, ds, parts, dir) {
  fs.mkdirSync(dir, { recursive: true });
  const files = [];
  let k = 0;
  for (let i = 0; i < parts.length; i++) {
    if (!parts[i].length) continue;
    const f = path.join(dir, `part-${String(k++).padStart(5, '0')}.parquet`);
    await duck.writeParquet(con, f, ds.cols, parts[i], { ...ds.writer[i], sqlTypes: ds.sqlTypes });
    files.push(f);
  }
  return files;
}

async function pool(items, jobs, fn) {
  let next = 0;
  const worker = async () => { while (next < items.length) { const t = items[next++]; await fn(t); } };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, items.length)) }, worker));
}

// Drops groups, then rows, while the case keeps failing: the smaller the case, the quicker the
// engine developer sees the bug. Bounded in attempts and time.
async function shrink(con, ds, parts, q, mode, tmp) {
  let attempts = 0;
  const t0 = Date.now();
  const gidCol = ds.schema.groupId;
  let cur = parts.map((p) => p.slice());
  const fails = async (cand) => {
    attempts++;
    const dir = path.join(tmp, `shrink-${attempts}`);
    const files = await writeParts(con, ds, cand, dir);
    const qf = path.join(dir, 'query.json');
    fs.writeFileSync(qf, json.stringify(q, 2));
    const exp = new Evaluator(ds.schema).run(cand.flat(), q);
    const r = await runEngine(engineArgs(ds, qf, files), mode);
    const bad = judge(exp, r).length > 0;
    fs.rmSync(dir, { recursive: true, force: true });
    return bad;
  };
  const within = () => attempts < 80 && Date.now() - t0 < 30000;
  const minimise = async (units, rebuild) => {
    let chunk = Math.ceil(units.length / 2);
    while (chunk >= 1 && within()) {
      let progressed = false;
      for (let i = 0; i < units.length && within(); i += chunk) {
        const cand = units.slice(0, i).concat(units.slice(i + chunk));
        if (!cand.length) continue;
        if (await fails(rebuild(cand))) { units = cand; progressed = true; i -= chunk; }
      }
      if (!progressed) chunk = Math.floor(chunk / 2);
    }
    return units;
  };
  // units: [part index, group key] then [part index, row]
  let groups = [];
  cur.forEach((p, pi) => { for (const k of new Set(p.map((r) => String(r[gidCol])))) groups.push([pi, k]); });
  const byGroups = (gs) => {
    const keep = new Set(gs.map(([pi, k]) => `${pi}\u0000${k}`));
    return cur.map((p, pi) => p.filter((r) => keep.has(`${pi}\u0000${String(r[gidCol])}`)));
  };
  groups = await minimise(groups, byGroups);
  cur = byGroups(groups);
  let rows = [];
  cur.forEach((p, pi) => p.forEach((r) => rows.push([pi, r])));
  const byRows = (rs) => cur.map((_, pi) => rs.filter(([p]) => p === pi).map(([, r]) => r));
  rows = await minimise(rows, byRows);
  return { parts: byRows(rows), attempts };
}

// NaN has no JSON spelling; rows.jsonl is for people, so mark it.
const nanSafe = (r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' && Number.isNaN(v) ? '<NaN>' : v]));

async function saveCase(con, dir, ds, parts, q, mode, seedInfo, expected) {
  fs.mkdirSync(dir, { recursive: true });
  const files = await writeParts(con, ds, parts, dir);
  fs.writeFileSync(path.join(dir, 'query.json'), json.stringify(q, 2) + '\n');
  fs.writeFileSync(path.join(dir, 'expected.json'), json.stringify(toResponse(expected), 2) + '\n');
  fs.writeFileSync(path.join(dir, 'rows.jsonl'), parts.map((p, i) => p.map((r) => json.stringify(nanSafe({ part: BigInt(i), ...r }))).join('\n')).filter((s) => s).join('\n') + '\n');
  const rel = files.map((f) => path.basename(f));
  const cmd = `${mode === 'scalar' ? 'FROCKET_SIMD=scalar ' : ''}"\${FROCKET:-${bin}}" ${engineArgs(ds, 'query.json', rel).map(quote).join(' ')}`;
  fs.writeFileSync(path.join(dir, 'repro.sh'), `#!/bin/sh\n# ${seedInfo}\n# expected answer (reference evaluator): expected.json; rows: rows.jsonl\ncd "$(dirname "$0")" && exec ${cmd}\n`);
  fs.chmodSync(path.join(dir, 'repro.sh'), 0o755);
  const r = await runEngine(engineArgs(ds, path.join(dir, 'query.json'), files), mode);
  fs.writeFileSync(path.join(dir, 'actual.json'), r.stdout);
  fs.writeFileSync(path.join(dir, 'stderr.txt'), r.stderr);
  return judge(expected, r);
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const reproBase = `FR_TOP_SRCDIR=${quote(srcdir)} FR_TOP_BUILDDIR=${quote(builddir)} NODE_PATH=${quote(path.join(srcdir, 'bench', 'node_modules'))} node ${quote(path.join(srcdir, 'tests', 'diff', 'difftest.js'))} --seed ${o.seed}`;
  console.log(`differential test: seed ${o.seed}, budget ${o.budget} s (reproduce: ${reproBase})`);
  if (!fs.existsSync(bin)) {
    console.log(`FAIL: frocket binary not found at ${bin} (build the project first)`);
    process.exit(1);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'frocket-diff-'));
  const con = await duck.connect();
  const t0 = Date.now();
  const failures = [];
  let cases = 0, runs = 0, datasets = 0, rowsTotal = 0;
  const d0 = o.dataset === null ? 0 : o.dataset;
  const d1 = o.dataset === null ? o.datasets : o.dataset + 1;
  try {
    for (let d = d0; d < d1; d++) {
      if (o.dataset === null && (Date.now() - t0) / 1000 > o.budget) break;
      if (failures.length >= o.maxFailures) break;
      const ds = genDataset(new Rng(o.seed, d));
      const rows = ds.parts.flat();
      const dir = path.join(tmp, `d${d}`);
      const files = await writeParts(con, ds, ds.parts, dir);
      const ev = new Evaluator(ds.schema);
      datasets++;
      rowsTotal += rows.length;
      if (d === d0) {
        // A broken or missing `frocket query` gets one clear message, not thousands of diffs.
        const smoke = await runEngine(['query', '--group-id', ds.schema.groupId, '--timestamp', ds.schema.timestamp, '--empty', ...files], 'simd');
        const dd = judge(ev.run(rows, {}), smoke);
        if (dd.length) {
          console.log(`FAIL: \`frocket query --empty\` does not answer correctly on the first random dataset.\n` +
            `  command: ${quote(bin)} ${['query', '--group-id', ds.schema.groupId, '--timestamp', ds.schema.timestamp, '--empty', ...files].map(quote).join(' ')}\n` +
            `  - ${dd.slice(0, 10).join('\n  - ')}\n  stdout: ${smoke.stdout.slice(0, 1500)}\n  stderr: ${smoke.stderr.slice(0, 1500)}`);
          const keep = path.join(o.keep, `seed${o.seed}-d${d}-empty`);
          fs.rmSync(keep, { recursive: true, force: true });
          await saveCase(con, keep, ds, ds.parts, {}, 'simd', `seed ${o.seed} dataset ${d} (empty query)`, ev.run(rows, {}));
          console.log(`  case saved in ${keep} (repro.sh)`);
          process.exitCode = 1;
          return;
        }
      }
      const tasks = [];
      const q0 = o.query === null ? 0 : o.query;
      const q1 = o.query === null ? o.queries : o.query + 1;
      for (let j = q0; j < q1; j++) {
        const q = new QueryGen(new Rng(o.seed, d, j, 0x51), ds, rows).query();
        let expected;
        try {
          expected = ev.run(rows, q);
        } catch (e) {
          failures.push({ d, j, mode: '-', diffs: [`reference evaluator rejected a generated query (generator bug): ${e.message}`], q, ds });
          continue;
        }
        const qf = path.join(dir, `q${j}.json`);
        fs.writeFileSync(qf, json.stringify(q, 2));
        tasks.push({ d, j, q, qf, expected, mode: 'simd' });
        if (o.query !== null || j % o.scalarEvery === 0) tasks.push({ d, j, q, qf, expected, mode: 'scalar' });
        cases++;
      }
      await pool(tasks, o.jobs, async (t) => {
        const r = await runEngine(engineArgs(ds, t.qf, files), t.mode);
        runs++;
        const diffs = judge(t.expected, r);
        if (diffs.length) failures.push({ ...t, ds, diffs, stderr: r.stderr });
      });
      fs.rmSync(dir, { recursive: true, force: true });
    }

    failures.sort((a, b) => a.d - b.d || a.j - b.j);
    const reported = failures.slice(0, o.maxFailures);
    for (const f of reported) {
      console.log(`FAIL seed ${o.seed} dataset ${f.d} query ${f.j} (${f.mode} mode)`);
      console.log(`  reproduce: ${reproBase} --dataset ${f.d} --query ${f.j}`);
      for (const x of f.diffs.slice(0, 15)) console.log(`  - ${x}`);
      if (f.diffs.length > 15) console.log(`  - ... ${f.diffs.length - 15} more differences`);
      if (f.stderr && f.stderr.trim()) console.log(`  stderr: ${stderrExcerpt(f.stderr)}`);
      if (f.mode === '-') continue;
      const keep = path.join(o.keep, `seed${o.seed}-d${f.d}-q${f.j}-${f.mode}`);
      fs.rmSync(keep, { recursive: true, force: true });
      const info = `seed ${o.seed} dataset ${f.d} query ${f.j} (${f.mode} mode)`;
      await saveCase(con, path.join(keep, 'full'), f.ds, f.ds.parts, f.q, f.mode, info, f.expected);
      if (reported.indexOf(f) >= 2) { console.log(`  case saved in ${keep}/full (not shrunk: only the first two failures are)`); continue; }
      const s = await shrink(con, f.ds, f.ds.parts, f.q, f.mode, tmp);
      const exp = new Evaluator(f.ds.schema).run(s.parts.flat(), f.q);
      const md = await saveCase(con, path.join(keep, 'min'), f.ds, s.parts, f.q, f.mode, `${info}, shrunk`, exp);
      console.log(`  case saved in ${keep}/full; shrunk to ${s.parts.flat().length} rows in ${keep}/min (${s.attempts} tries; run min/repro.sh)`);
      for (const x of md.slice(0, 8)) console.log(`    min: ${x}`);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  console.log(`differential test: seed ${o.seed}: ${datasets} datasets (${rowsTotal} rows), ${cases} queries, ` +
    `${runs} engine runs, ${failures.length} failures, ${secs} s`);
  if (failures.length || cases === 0) process.exitCode = 1;
}

main().catch((e) => { console.log(`FAIL: differential test crashed: ${e.stack}`); process.exit(1); });
