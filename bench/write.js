// Issue 3: rows/s of `frocket gen` and `frocket repartition` against DuckDB's COPY ... TO writing
// the same rows with the same codec, everything on one thread.  Prints a Markdown table.
//   node write.js [--rows 5000000] [--parts 8] [--codec snappy] [--repeat 3]
'use strict';
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const L = require('./lib');
const { generate } = require('./gen-data');

function frocketWorks(sub) {
  if (!fs.existsSync(L.FROCKET)) return false;
  return spawnSync(L.FROCKET, [sub, '--help'], { encoding: 'utf8' }).status === 0;
}

function rmDir(d) { fs.rmSync(d, { recursive: true, force: true }); }

// One timed run of the statements: {wall, cpu} seconds.
async function duckRun(con, sqls, before) {
  if (before) before();
  return L.timeCall(async () => { for (const s of sqls) await con.run(s); });
}

async function main() {
  const o = L.parseArgs(process.argv.slice(2),
    { rows: 5000000, parts: 8, codec: 'snappy', repeat: 3, repartition: 4 });
  const work = path.join(L.DATA, `write-${o.rows}-${o.codec}`);
  fs.mkdirSync(work, { recursive: true });
  const out = [];
  const cmds = [];
  const haveGen = frocketWorks('gen');
  const haveRep = frocketWorks('repartition');

  // gen: frocket generates and writes; DuckDB only writes the same rows (held in memory
  // tables, one per part) to the same number of files.  repartition: both read gen's parts and
  // write o.repartition parts by a hash of visitorid (DuckDB: PARTITION_BY, one directory each).
  const genDir = path.join(work, 'gen');
  const genArgs = (dir) => ['gen', '--rows', String(o.rows), '--parts', String(o.parts),
    '--codec', o.codec, '--threads', '1', '--no-progress', '--out', dir];
  rmDir(genDir);
  if (haveGen) {
    L.runTimed(L.FROCKET, genArgs(genDir));
    cmds.push(`frocket ${genArgs(genDir).join(' ').replace(L.TOP + '/', '')}`);
  } else {
    process.stderr.write('frocket gen is not built: DuckDB generates the input instead\n');
    await generate({ rows: o.rows, parts: o.parts, users: 0, codec: o.codec, out: genDir,
      threads: 2 });
  }
  const inputs = L.partFiles(genDir);
  const { con } = await L.duckConnect(1);
  for (let p = 0; p < inputs.length; p++) {
    await con.run(`CREATE TABLE part${p} AS SELECT * FROM read_parquet('${inputs[p]}')`);
  }
  const copyCodec = o.codec === 'none' ? 'uncompressed' : o.codec;
  const duckOut = path.join(work, 'duck-gen');
  fs.mkdirSync(duckOut, { recursive: true });
  const genSql = inputs.map((_, p) => `COPY part${p} TO '${duckOut}/part-${p}.parquet' ` +
    `(FORMAT parquet, COMPRESSION ${copyCodec})`);
  const repDir = path.join(work, 'rep');
  const repArgs = ['repartition', '--group-id', 'visitorid', '--parts', String(o.repartition),
    '--no-progress', '--codec', o.codec, '--out', repDir, ...inputs];
  if (haveRep) {
    cmds.push(`frocket ${repArgs.slice(0, 10).join(' ').replace(L.TOP + '/', '')} PARTS...`);
  }
  const duckRep = path.join(work, 'duck-rep');
  const repSql = `COPY (SELECT *, hash(visitorid) % ${o.repartition} AS p
      FROM read_parquet(${L.sqlList(inputs)}))
    TO '${duckRep}' (FORMAT parquet, PARTITION_BY (p), COMPRESSION ${copyCodec})`;

  // The contenders take turns so that load bursts from other users hit all of them alike.
  const t = { gen: [], duckGen: [], rep: [], duckRep: [] };  // {wall, cpu} per run
  let repRss = 0;
  const genTmp = path.join(work, 'gen-again');
  for (let i = 0; i < o.repeat; i++) {
    if (haveGen) {
      rmDir(genTmp);
      t.gen.push(L.runTimed(L.FROCKET, genArgs(genTmp)));
    }
    t.duckGen.push(await duckRun(con, genSql));
    if (haveRep) {
      rmDir(repDir);
      const r = L.runTimed(L.FROCKET, repArgs);
      t.rep.push(r);
      repRss = Math.max(repRss, r.rssKb);
    }
    t.duckRep.push(await duckRun(con, [repSql], () => rmDir(duckRep)));
  }
  const wall = (runs) => L.best(runs.map((r) => r.wall));
  const cpu = (runs) => L.best(runs.map((r) => r.cpu));
  const cell = (runs, extra) => `${L.fmtNum(o.rows / wall(runs))} rows/s ` +
    `(${L.fmtMs(wall(runs))}, median ${L.fmtMs(L.median(runs.map((r) => r.wall)))}, ` +
    `CPU ${L.fmtMs(cpu(runs))}${extra || ''})`;
  const ratio = (ours, duck) => `**${L.fmtRatio(wall(duck) / wall(ours))}** / ` +
    `${L.fmtRatio(cpu(duck) / cpu(ours))}`;
  out.push(['gen', L.fmtNum(o.rows), haveGen ? cell(t.gen) : 'not built', cell(t.duckGen),
    haveGen ? ratio(t.gen, t.duckGen) : '-']);
  out.push([`repartition ${inputs.length} -> ${o.repartition} parts`, L.fmtNum(o.rows),
    haveRep ? cell(t.rep, `, peak RSS ${L.fmtMiB(repRss * 1024)}`) : 'not built',
    cell(t.duckRep), haveRep ? ratio(t.rep, t.duckRep) : '-']);

  console.log(L.table(['writer', 'rows', 'frocket (best)', 'DuckDB (best)',
    'DuckDB / frocket, wall / CPU (goal >= 1)'], out));
  console.log(`\nCodec ${o.codec}, one thread on both sides, best of ${o.repeat}; ` +
    `machine: ${L.machine()}.`);
  if (cmds.length) console.log('frocket:\n\n' + cmds.map((c) => `    ${c}`).join('\n'));
  console.log('\nDuckDB (`SET threads = 1`): gen = one `COPY partN TO ... (FORMAT parquet, ' +
    `COMPRESSION ${copyCodec})\` per part from in-memory tables holding the rows frocket gen ` +
    'wrote (DuckDB does not generate, it only writes); repartition = `COPY (SELECT *, ' +
    `hash(visitorid) % ${o.repartition} AS p FROM read_parquet(PARTS)) TO DIR (FORMAT parquet, ` +
    `PARTITION_BY (p), COMPRESSION ${copyCodec})\`.`);
}

main().catch((e) => { console.error(e.message); process.exit(1); });
