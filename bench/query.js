// Issue 4: `frocket query` against DuckDB on the same Parquet parts with the same threads, for the
// queries in bench/queries/ (NAME.json for frocket, NAME.sql for DuckDB).  Checks that both
// answers agree, measures peak RSS and the decode floor, prints a Markdown table.
//   node query.js [--rows 20000000] [--parts 8] [--threads 2] [--repeat 5] [--data DIR]
//                 [--source auto|frocket|duckdb] [--queries empty,funnel]
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const L = require('./lib');
const { generate } = require('./gen-data');

// Per query: the columns it reads (the decode floor loads exactly these: the timestamp only
// for a timeframe, a sequence or a funnel, as the engine), the part of the answer the SQL
// computes, and the speed goal of issue 4.
const QUERIES = [
  { name: 'empty', what: 'empty query', cols: ['visitorid'], compare: ['query'], goal: 4 },
  { name: 'condition', what: 'one condition', cols: ['visitorid', 'event'],
    compare: ['query'], goal: 4 },
  { name: 'funnel', what: '3-step funnel + step aggregations',
    cols: ['visitorid', 'timestamp', 'event', 'categoryid'], compare: ['funnel'], goal: 10 },
  { name: 'sequence', what: 'sequence + count target + relation',
    cols: ['visitorid', 'timestamp', 'event', 'price'], compare: ['query'], goal: 4 },
  { name: 'aggregations', what: 'per-value aggregations',
    cols: ['visitorid', 'event', 'categoryid', 'price'], compare: ['query.agg'], goal: 4 },
];
const TOP = 10;  // FROCKET_AGGREGATIONS_TOP_DEFAULT_COUNT default: maps are cut to this

// path -> Map(key -> number); scalars use the key ''.
function flattenFrocket(doc) {
  const out = new Map();
  const put = (p, k, v) => {
    if (!out.has(p)) out.set(p, new Map());
    out.get(p).set(k, Number(v));
  };
  const aggs = (prefix, list) => (list || []).forEach((a, j) => {
    if (a.value !== null && typeof a.value === 'object') {
      if (!out.has(`${prefix}.${j}`)) out.set(`${prefix}.${j}`, new Map());
      for (const [k, v] of Object.entries(a.value)) put(`${prefix}.${j}`, k, v);
    } else put(`${prefix}.${j}`, '', a.value);
  });
  if (doc.query) {
    put('query.matchingGroups', '', doc.query.matchingGroups);
    put('query.matchingGroupRows', '', doc.query.matchingGroupRows);
    aggs('query.agg', doc.query.aggregations);
  }
  if (doc.funnel) {
    (doc.funnel.sequence || []).forEach((s, i) => {
      put(`funnel.${i}.matchingGroups`, '', s.matchingGroups);
      put(`funnel.${i}.matchingGroupRows`, '', s.matchingGroupRows);
      aggs(`funnel.${i}.agg`, s.aggregations);
    });
    aggs('funnel.end', doc.funnel.endAggregations);
  }
  return out;
}

// DuckDB rows (path, key, value) -> the same shape; maps cut to the top TOP entries by value
// descending then key ascending (the project's tie rule, README decision 2).
function flattenDuck(rows) {
  const out = new Map();
  for (const r of rows) {
    if (!out.has(r.path)) out.set(r.path, []);
    out.get(r.path).push([r.key, Number(r.value)]);
  }
  const res = new Map();
  for (const [p, kv] of out) {
    if (kv.length === 1 && kv[0][0] === '') {
      res.set(p, new Map(kv));
      continue;
    }
    kv.sort((a, b) => (b[1] - a[1]) || (Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0]))));
    res.set(p, new Map(kv.slice(0, TOP)));
  }
  return res;
}

function close(a, b) {
  return a === b || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

// Differences between the answers, as readable lines (empty = they agree).
function compare(ours, duck, prefixes) {
  const diffs = [];
  const mine = [...ours.keys()].filter((p) => prefixes.some((x) => p === x || p.startsWith(x + '.')));
  const all = new Set([...mine, ...duck.keys()]);
  for (const p of [...all].sort()) {
    const a = ours.get(p);
    const b = duck.get(p);
    if (!a || !b) {
      // An empty map is absent from DuckDB's rows (no group at that step).
      if ((a && a.size === 0) || (b && b.size === 0)) continue;
      diffs.push(`${p}: only in ${a ? 'frocket' : 'DuckDB'}`);
      continue;
    }
    for (const k of new Set([...a.keys(), ...b.keys()])) {
      if (!a.has(k) || !b.has(k) || !close(a.get(k), b.get(k))) {
        diffs.push(`${p}[${JSON.stringify(k)}]: frocket ${a.get(k)}, DuckDB ${b.get(k)}`);
      }
    }
  }
  return diffs;
}

function frocketWorks(sub) {
  if (!fs.existsSync(L.FROCKET)) return false;
  const r = spawnSync(L.FROCKET, [sub, '--help'], { encoding: 'utf8' });
  return r.status === 0;
}

async function dataset(o) {
  if (o.data) return o.data;
  let source = o.source;
  if (source === 'auto') source = frocketWorks('gen') ? 'frocket' : 'duckdb';
  const dir = path.join(L.DATA, `events-${o.rows}x${o.parts}-${source}`);
  if (fs.existsSync(dir) && L.partFiles(dir).length === o.parts) return dir;
  process.stderr.write(`generating ${dir} with ${source}\n`);
  if (source === 'frocket') {
    L.runTimed(L.FROCKET, ['gen', '--rows', String(o.rows), '--parts', String(o.parts),
      '--out', dir, '--no-progress']);
  } else {
    await generate({ rows: o.rows, parts: o.parts, users: 0, codec: 'snappy', out: dir,
      threads: o.threads });
  }
  return dir;
}

function runFrocket(q, files, o) {
  const args = ['query', '--group-id', 'visitorid', '--timestamp', 'timestamp', '--file',
    path.join(L.BENCH, 'queries', `${q.name}.json`), '--nopretty', ...files];
  const r = L.runTimed(L.FROCKET, args, { env: { FROCKET_LOCAL_THREADS: String(o.threads) } });
  return { time: r.wall, cpu: r.cpu, rssKb: r.rssKb, doc: JSON.parse(r.stdout) };
}

// A fresh process per run, as for frocket; DuckDB's time excludes start-up and connecting.
function runDuck(q, files, o) {
  const sql = fs.readFileSync(path.join(L.BENCH, 'queries', `${q.name}.sql`), 'utf8')
    .replace(/\{files\}/g, L.sqlList(files));
  const r = L.runTimed(process.execPath, [path.join(L.BENCH, 'duck-child.js')], {
    input: JSON.stringify({ sql, threads: o.threads, repeat: 1 }),
  });
  const res = JSON.parse(r.stdout);
  return { time: res.times[0], cpu: res.cpu[0], rssKb: r.rssKb, rows: res.rows };
}

function runFloor(q, files, o) {
  const args = ['--floor', '--threads', String(o.threads), '--repeat', '1',
    '--columns', q.cols.join(','), ...files];
  const r = L.runTimed(L.BENCH_DECODE, args);
  const res = JSON.parse(r.stdout);
  return { time: res.best_s, cpu: res.best_cpu_s, bytes: res.columns.reduce((s, c) => s + c.bytes, 0),
    rssKb: r.rssKb };
}

// The three contenders take turns, so that a burst of load from other users of the machine
// hits all of them alike; best and median of `repeat` runs each.
function runQuery(q, files, o, haveQuery) {
  const res = { ours: haveQuery ? { times: [], cpu: [], rssKb: 0, doc: null } : null,
    duck: { times: [], cpu: [], rssKb: 0, rows: null },
    floor: { times: [], cpu: [], rssKb: 0, bytes: 0 } };
  for (let i = 0; i < o.repeat; i++) {
    const f = runFloor(q, files, o);
    res.floor.times.push(f.time);
    res.floor.cpu.push(f.cpu);
    res.floor.rssKb = Math.max(res.floor.rssKb, f.rssKb);
    res.floor.bytes = f.bytes;
    const d = runDuck(q, files, o);
    res.duck.times.push(d.time);
    res.duck.cpu.push(d.cpu);
    res.duck.rssKb = Math.max(res.duck.rssKb, d.rssKb);
    res.duck.rows = d.rows;
    if (haveQuery) {
      const r = runFrocket(q, files, o);
      res.ours.times.push(r.time);
      res.ours.cpu.push(r.cpu);
      res.ours.rssKb = Math.max(res.ours.rssKb, r.rssKb);
      res.ours.doc = r.doc;
    }
  }
  return res;
}

// Peak RSS of a node process running DuckDB includes node itself: measured once, reported.
function nodeBaselineKb() {
  const r = L.runTimed(process.execPath, ['-e', 'require("@duckdb/node-api")'],
    { env: { NODE_PATH: path.join(L.BENCH, 'node_modules') } });
  return r.rssKb;
}

async function main() {
  const o = L.parseArgs(process.argv.slice(2), { rows: 20000000, parts: 8, threads: 2,
    repeat: 5, data: '', source: 'auto', queries: '' });
  L.requireFile(L.BENCH_DECODE, 'build it with `make bench` in build/');
  const dir = await dataset(o);
  const files = L.partFiles(dir);
  const want = o.queries ? o.queries.split(',') : QUERIES.map((q) => q.name);
  const haveQuery = frocketWorks('query');
  const rows = [];
  const notes = [];
  for (const q of QUERIES.filter((x) => want.includes(x.name))) {
    process.stderr.write(`${q.name}...\n`);
    const { ours, duck, floor } = runQuery(q, files, o, haveQuery);
    let agree = 'n/a';
    if (ours) {
      const diffs = compare(flattenFrocket(ours.doc), flattenDuck(duck.rows), q.compare);
      agree = diffs.length ? `**NO** (${diffs.length})` : 'yes';
      if (diffs.length) notes.push(`${q.name}: ` + diffs.slice(0, 5).join('; '));
    }
    const fb = ours ? L.best(ours.times) : NaN;
    const db = L.best(duck.times);
    const flb = L.best(floor.times);
    const fc = ours ? L.best(ours.cpu) : NaN;
    rows.push([q.what,
      ours ? `${L.fmtMs(fb)} (${L.fmtMs(L.median(ours.times))})` : 'not built',
      `${L.fmtMs(db)} (${L.fmtMs(L.median(duck.times))})`,
      ours ? `**${L.fmtRatio(db / fb)}** (goal ${q.goal}x)` : '-',
      ours ? L.fmtRatio(L.best(duck.cpu) / fc) : '-',
      L.fmtMs(flb),
      ours ? `${(fb / flb).toFixed(2)} / ${(fc / L.best(floor.cpu)).toFixed(2)}` : '-',
      ours ? L.fmtMiB(ours.rssKb * 1024) : '-',
      L.fmtMiB(floor.bytes),
      ours ? `${(ours.rssKb * 1024 / floor.bytes).toFixed(2)} / ` +
        `${(ours.rssKb * 1024 / (floor.bytes / files.length * Math.min(o.threads,
          files.length))).toFixed(2)}` : '-',
      L.fmtMiB(floor.rssKb * 1024),
      L.fmtMiB(duck.rssKb * 1024),
      agree]);
  }
  const nrows = (await (async () => {
    const { con } = await L.duckConnect(o.threads);
    const [r] = await L.duckRows(con, `SELECT count(*) AS n FROM read_parquet(${L.sqlList(files)})`);
    return Number(r.n);
  })());
  console.log(L.table(['query', 'frocket wall, best (median)', 'DuckDB wall, best (median)',
    'DuckDB / frocket wall', 'DuckDB / frocket CPU', 'decode floor wall',
    'frocket / floor wall / CPU (goal 1.5)', 'frocket peak RSS', 'decoded columns',
    'RSS / decoded: all parts / parts in flight (goal 2)', 'floor peak RSS', 'DuckDB peak RSS', 'answers agree'], rows));
  console.log(`\n${L.fmtNum(nrows)} rows in ${files.length} parts (${path.relative(L.TOP, dir)}), ` +
    `${o.threads} threads on both sides, ${o.repeat} runs each; machine: ${L.machine()}.`);
  console.log(`frocket: \`FROCKET_LOCAL_THREADS=${o.threads} frocket query --group-id visitorid ` +
    `--timestamp timestamp --file bench/queries/NAME.json --nopretty PARTS...\` (wall time of the ` +
    'process; CPU = user + system of all its threads; peak RSS from /usr/bin/time).');
  console.log(`DuckDB: bench/queries/NAME.sql with \`SET threads = ${o.threads}\`, timed around ` +
    `the query in a fresh node process per run (its peak RSS includes node + the DuckDB module, ` +
    `${L.fmtMiB(nodeBaselineKb() * 1024)} idle).`);
  console.log(`Decode floor: \`bench/bench_decode --floor --threads ${o.threads} --repeat 1 --columns ` +
    'COLUMNS PARTS...` (loads only the columns the query reads).');
  if (notes.length) console.log('\nDifferences:\n' + notes.map((n) => `- ${n}`).join('\n'));
}

main().catch((e) => { console.error(e.message); process.exit(1); });
