// Issue 14 benchmark: the cost of going through the catalog and the job machinery.
//   node datasets.js [--rows 20000000] [--parts 8] [--threads 2] [--repeat 5] [--data DIR]
//                    [--datasets 1000]
// 1. `frocket run` against `frocket query` on the same parts, same threads, per query
//    (goal: run costs at most 5% more);
// 2. registration (SAMPLE and SINGLE) against the empty query over the same parts (goal: at
//    most 3x);
// 3. `frocket list` and `frocket info` with --datasets registered datasets (goal: < 20 ms).
// Every figure is the best of --repeat fresh processes (median in parentheses), measured in
// one run so the ratios compare like with like.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const L = require('./lib');

const QUERIES = ['empty', 'condition', 'funnel', 'aggregations'];

function timeMany(n, fn) {
  const t = [];
  for (let i = 0; i < n; i++) t.push(fn().wall);
  return t;
}

function cell(ts) { return `${L.fmtMs(L.best(ts))} (${L.fmtMs(L.median(ts))})`; }

function main() {
  const o = L.parseArgs(process.argv.slice(2), { rows: 20000000, parts: 8, threads: 2,
    repeat: 5, data: '', datasets: 1000 });
  const dir = o.data || path.join(L.DATA, `events-${o.rows}x${o.parts}-frocket`);
  if (!fs.existsSync(dir) || L.partFiles(dir).length !== o.parts) {
    process.stderr.write(`generating ${dir}\n`);
    L.runTimed(L.FROCKET, ['gen', '--rows', String(o.rows), '--parts', String(o.parts),
      '--out', dir, '--no-progress']);
  }
  const files = L.partFiles(dir);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'frbench-home-'));
  const env = { FROCKET_HOME: home, FROCKET_LOCAL_THREADS: String(o.threads),
    FROCKET_UNREGISTER_LAST_USED_INTERVAL: '0' };
  const fr = (args) => L.runTimed(L.FROCKET, args, { env });
  const out = [];
  out.push(`Machine: ${L.machine()}; ${o.rows} rows in ${o.parts} parts (${dir}); ` +
    `${o.threads} threads; best of ${o.repeat} (median).`);

  // 2. registration, also making the dataset the run figures need
  const reg = {};
  for (const mode of ['sample', 'single']) {
    reg[mode] = timeMany(o.repeat, () => fr(['--nopretty', 'register', 'bench', dir,
      'visitorid', 'timestamp', '--validation', mode]));
  }
  // 1. run against query
  const rows = [];
  let emptyQuery = null;
  for (const q of QUERIES) {
    const qf = path.join(L.BENCH, 'queries', `${q}.json`);
    const src = fs.existsSync(qf) ? ['--file', qf] : ['--empty'];
    const tq = timeMany(o.repeat, () => fr(['--nopretty', 'query', '-g', 'visitorid', '-t',
      'timestamp', ...src, ...files]));
    const tr = timeMany(o.repeat, () => fr(['--nopretty', 'run', 'bench', ...src]));
    if (q === 'empty') emptyQuery = tq;
    rows.push([q, cell(tq), cell(tr),
      `**${((L.best(tr) / L.best(tq) - 1) * 100).toFixed(1)}%** ` +
      `(median ${((L.median(tr) / L.median(tq) - 1) * 100).toFixed(1)}%)`]);
  }
  out.push('', '`frocket run` on the registered dataset against `frocket query` on the same ' +
    'parts (goal: at most +5%):', '',
    L.table(['query', 'frocket query', 'frocket run', 'run over query'], rows));
  out.push('', 'Registration against the empty query over the same parts (goal: at most 3x):',
    '', L.table(['job', 'time', 'over the empty query'], [
      ['empty query (`frocket query --empty`)', cell(emptyQuery), '1.00x'],
      ...['sample', 'single'].map((m) => [`register --validation ${m}`, cell(reg[m]),
        `**${L.fmtRatio(L.best(reg[m]) / L.best(emptyQuery))}**`]),
    ]));

  // 3. list and info with many datasets (registered from one small part: the catalog's
  // cost, not the registration's, is what is measured)
  const small = fs.mkdtempSync(path.join(os.tmpdir(), 'frbench-small-'));
  fs.copyFileSync(path.join(L.TOP, 'tests', 'data', 'oracle', 'data', 'part-00000.parquet'),
    path.join(small, 'part-00000.parquet'));
  const many = fs.mkdtempSync(path.join(os.tmpdir(), 'frbench-many-'));
  const envMany = { ...env, FROCKET_HOME: many };
  for (let i = 0; i < o.datasets; i++) {
    L.runTimed(L.FROCKET, ['--nopretty', 'register', `ds-${String(i).padStart(4, '0')}`,
      small, 'uid', 'ts', '--validation', 'single'], { env: envMany });
  }
  const n = Math.max(o.repeat, 10);
  const tl = timeMany(n, () => L.runTimed(L.FROCKET, ['list'], { env: envMany }));
  const tln = timeMany(n, () => L.runTimed(L.FROCKET, ['--nopretty', 'list'], { env: envMany }));
  const mid = `ds-${String(o.datasets >> 1).padStart(4, '0')}`;
  const ti = timeMany(n, () => L.runTimed(L.FROCKET, ['info', mid, '--full'],
    { env: envMany }));
  const tv = timeMany(n, () => L.runTimed(L.FROCKET, ['--version'], { env: envMany }));
  out.push('', `\`frocket list\` and \`frocket info\` with ${o.datasets} registered datasets ` +
    '(whole process, goal: under 20 ms each):', '',
    L.table(['command', 'time'], [['frocket list', cell(tl)], ['frocket --nopretty list', cell(tln)],
      [`frocket info ${mid} --full`, cell(ti)], ['frocket --version (process start only)',
        cell(tv)]]));
  for (const d of [home, small, many]) fs.rmSync(d, { recursive: true, force: true });
  console.log(out.join('\n'));
}

main();
