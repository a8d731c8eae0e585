// Runs one SQL query `repeat` times in a fresh DuckDB with `threads` threads, in its own process
// so that its peak RSS can be measured apart from the driver's.  Input: JSON on stdin
// {sql, threads, repeat}; output: JSON {times: [s...], rows: [...]} (the last run's rows).
'use strict';
const L = require('./lib');

async function main() {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const job = JSON.parse(input);
  const { con } = await L.duckConnect(job.threads);
  const times = [];
  let rows = [];
  for (let i = 0; i < job.repeat; i++) {
    const t0 = process.hrtime.bigint();
    rows = await L.duckRows(con, job.sql);
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  const out = rows.map((r) => {
    const o = {};
    for (const [k, v] of Object.entries(r)) o[k] = typeof v === 'bigint' ? v.toString() : v;
    return o;
  });
  process.stdout.write(JSON.stringify({ times, rows: out }));
}

main().catch((e) => { console.error(e.message); process.exit(1); });
