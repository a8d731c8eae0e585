// Runs one SQL query `repeat` times in a fresh DuckDB with `threads` threads, in its own process
// so that its peak RSS can be measured apart from the driver's.  Input: JSON on stdin
// {sql, threads, repeat}; output: JSON {times: [s...], cpu: [s...], rows: [...]} (the last run's rows).
'use strict';
const L = require('./lib');

async function main() {
  let input = '';
  for await (const chunk of process.stdin) input += chunk;
  const job = JSON.parse(input);
  const { con } = await L.duckConnect(job.threads);
  const times = [];
  const cpu = [];
  let rows = [];
  for (let i = 0; i < job.repeat; i++) {
    const r = await L.timeCall(() => L.duckRows(con, job.sql));
    times.push(r.wall);
    cpu.push(r.cpu);
    rows = r.value;
  }
  const out = rows.map((r) => {
    const o = {};
    for (const [k, v] of Object.entries(r)) o[k] = typeof v === 'bigint' ? v.toString() : v;
    return o;
  });
  process.stdout.write(JSON.stringify({ times, cpu, rows: out }));
}

main().catch((e) => { console.error(e.message); process.exit(1); });
