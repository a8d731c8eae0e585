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

async function duckTimes(con, sqls, repeat, before) {
  const times = [];
  for (let i = 0; i < repeat; i++) {
    if (before) before();
    const t0 = process.hrtime.bigint();
    for (const s of sqls) await con.run(s);
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return times;
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

  // 1. gen: frocket generates and writes; DuckDB only writes the same rows (held in memory
  // tables, one per part) to the same number of files.
  const genDir = path.join(work, 'gen');
  let genTimes = null;
  const genArgs = ['gen', '--rows', String(o.rows), '--parts', String(o.parts), '--codec',
    o.codec, '--threads', '1', '--no-progress', '--out', genDir];
  if (haveGen) {
    genTimes = [];
    for (let i = 0; i < o.repeat; i++) {
      rmDir(genDir);
      genTimes.push(L.runTimed(L.FROCKET, genArgs).wall);
    }
    cmds.push(`frocket ${genArgs.join(' ').replace(L.TOP + '/', '')}`);
  } else {
    rmDir(genDir);
    process.stderr.write('frocket gen is not built: DuckDB generates the input instead\n');
    await generate({ rows: o.rows, parts: o.parts, users: 0, codec: o.codec, out: genDir,
      threads: 2 });
  }
  const inputs = L.partFiles(genDir);
  const { con } = await L.duckConnect(1);
  for (let p = 0; p < inputs.length; p++) {
    await con.run(`CREATE TABLE part${p} AS SELECT * FROM read_parquet('${inputs[p]}')`);
  }
  const duckOut = path.join(work, 'duck-gen');
  fs.mkdirSync(duckOut, { recursive: true });
  const copyCodec = o.codec === 'none' ? 'uncompressed' : o.codec;
  const genSql = inputs.map((_, p) => `COPY part${p} TO '${duckOut}/part-${p}.parquet' ` +
    `(FORMAT parquet, COMPRESSION ${copyCodec})`);
  const duckGen = await duckTimes(con, genSql, o.repeat);
  for (let p = 0; p < inputs.length; p++) await con.run(`DROP TABLE part${p}`);
  out.push(['gen', L.fmtNum(o.rows),
    genTimes ? `${L.fmtNum(o.rows / L.best(genTimes))} rows/s (${L.fmtMs(L.best(genTimes))})` :
      'not built',
    `${L.fmtNum(o.rows / L.best(duckGen))} rows/s (${L.fmtMs(L.best(duckGen))})`,
    genTimes ? `**${L.fmtRatio(L.best(duckGen) / L.best(genTimes))}**` : '-']);

  // 2. repartition: both read the same parts and write o.repartition parts by a hash of
  // visitorid (DuckDB: PARTITION_BY, one directory per part).
  const repDir = path.join(work, 'rep');
  const repArgs = ['repartition', '--group-id', 'visitorid', '--parts', String(o.repartition),
    '--codec', o.codec, '--out', repDir, ...inputs];
  let repTimes = null;
  let repRss = NaN;
  if (haveRep) {
    repTimes = [];
    for (let i = 0; i < o.repeat; i++) {
      rmDir(repDir);
      const r = L.runTimed(L.FROCKET, repArgs);
      repTimes.push(r.wall);
      repRss = r.rssKb;
    }
    cmds.push(`frocket ${repArgs.slice(0, 9).join(' ').replace(L.TOP + '/', '')} PARTS...`);
  }
  const duckRep = path.join(work, 'duck-rep');
  const repSql = `COPY (SELECT *, hash(visitorid) % ${o.repartition} AS p
      FROM read_parquet(${L.sqlList(inputs)}))
    TO '${duckRep}' (FORMAT parquet, PARTITION_BY (p), COMPRESSION ${copyCodec})`;
  const duckRepTimes = await duckTimes(con, [repSql], o.repeat, () => rmDir(duckRep));
  out.push([`repartition ${inputs.length} -> ${o.repartition} parts`, L.fmtNum(o.rows),
    repTimes ? `${L.fmtNum(o.rows / L.best(repTimes))} rows/s (${L.fmtMs(L.best(repTimes))}, ` +
      `peak RSS ${L.fmtMiB(repRss * 1024)})` : 'not built',
    `${L.fmtNum(o.rows / L.best(duckRepTimes))} rows/s (${L.fmtMs(L.best(duckRepTimes))})`,
    repTimes ? `**${L.fmtRatio(L.best(duckRepTimes) / L.best(repTimes))}**` : '-']);

  console.log(L.table(['writer', 'rows', 'frocket (best)', 'DuckDB (best)',
    'DuckDB time / frocket time (goal >= 1)'], out));
  console.log(`\nCodec ${o.codec}, one thread on both sides, best of ${o.repeat}; ` +
    `machine: ${L.machine()}.`);
  if (cmds.length) console.log('frocket:\n' + cmds.map((c) => `    ${c}`).join('\n'));
  console.log('DuckDB (`SET threads = 1`): gen = one `COPY partN TO ... (FORMAT parquet, ' +
    `COMPRESSION ${copyCodec})\` per part from in-memory tables holding the rows frocket gen ` +
    'wrote (DuckDB does not generate, it only writes); repartition = `COPY (SELECT *, ' +
    `hash(visitorid) % ${o.repartition} AS p FROM read_parquet(PARTS)) TO DIR (FORMAT parquet, ` +
    `PARTITION_BY (p), COMPRESSION ${copyCodec})\`.`);
}

main().catch((e) => { console.error(e.message); process.exit(1); });
