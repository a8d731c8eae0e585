// Re-splits the oracle dataset (tests/data/oracle/data, 4 parts) into 1 part and 9 parts with
// DuckDB, so the oracle suite proves answers do not depend on how groups are spread over parts.
// Run once by hand (outputs are committed): NODE_PATH=bench/node_modules node tests/oracle/resplit.js
'use strict';
const path = require('path');
const fs = require('fs');
const { DuckDBInstance } = require('@duckdb/node-api');

const top = path.resolve(__dirname, '..', '..');
const dir = path.join(top, 'tests', 'data', 'oracle');
const src = path.join(dir, 'data', 'part-*.parquet');

// Writer settings per output part: every codec DuckDB has, both data page versions, small and
// large row groups, dictionary on and off, sorted and shuffled row order.
const SPLIT9 = [
  { codec: 'snappy', rg: 100000, order: 'uid, ts' },
  { codec: 'zstd', rg: 1000, v2: true, order: 'hash(uid, ts, event)' },
  { codec: 'gzip', rg: 2048, order: 'ts DESC' },
  { codec: 'uncompressed', rg: 100000, nodict: true, order: 'hash(ts)' },
  { codec: 'brotli', rg: 3000, order: 'uid, ts' },
  { codec: 'lz4_raw', rg: 100000, v2: true, order: 'hash(event, uid)' },
  { codec: 'zstd', rg: 500, nodict: true, order: 'uid DESC, ts' },
  { codec: 'lz4', rg: 100000, order: 'hash(qty, ts)' },
  { codec: 'snappy', rg: 4096, v2: true, nodict: true, order: 'event, ts' },
];

function copySql(query, file, s) {
  const opts = [`FORMAT parquet`, `COMPRESSION ${s.codec}`, `ROW_GROUP_SIZE ${s.rg}`];
  if (s.v2) opts.push(`PARQUET_VERSION V2`);
  if (s.nodict) opts.push(`DICTIONARY_SIZE_LIMIT 0`);
  return `COPY (${query} ORDER BY ${s.order}) TO '${file}' (${opts.join(', ')})`;
}

async function main() {
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  await con.run(`SET threads = 1`); // row groups and order must not depend on the machine
  await con.run(`CREATE TABLE t AS SELECT * FROM read_parquet('${src}')`);
  const n = (await con.runAndReadAll(`SELECT count(*) FROM t`)).getRows()[0][0];

  const d1 = path.join(dir, 'split1');
  fs.mkdirSync(d1, { recursive: true });
  await con.run(copySql('SELECT * FROM t', path.join(d1, 'part-00000.parquet'),
    { codec: 'zstd', rg: 7000, order: 'hash(uid, ts, event, score)' }));

  const d9 = path.join(dir, 'split9');
  fs.mkdirSync(d9, { recursive: true });
  for (let i = 0; i < 9; i++) {
    // Uneven parts: group i%9 by a hash of uid, so each group lands in exactly one part.
    const q = `SELECT * FROM t WHERE hash(uid * 7919) % 9 = ${i}`;
    await con.run(copySql(q, path.join(d9, `part-0000${i}.parquet`), SPLIT9[i]));
  }

  // Check the invariants the oracle suite relies on: same rows, each group in one part.
  const check = async (glob) => {
    const r = await con.runAndReadAll(`SELECT count(*), count(DISTINCT uid),
      (SELECT count(*) FROM (SELECT uid FROM read_parquet('${glob}', filename = true)
                             GROUP BY uid HAVING count(DISTINCT filename) > 1))
      FROM read_parquet('${glob}')`);
    const [rows, groups, split] = r.getRows()[0];
    const diff = await con.runAndReadAll(`SELECT count(*) FROM (
      (SELECT * FROM t EXCEPT ALL SELECT * FROM read_parquet('${glob}')) UNION ALL
      (SELECT * FROM read_parquet('${glob}') EXCEPT ALL SELECT * FROM t))`);
    const d = diff.getRows()[0][0];
    console.log(`${glob}: ${rows} rows, ${groups} groups, ${split} split groups, ${d} differing rows`);
    if (rows !== n || split !== 0n || d !== 0n) throw new Error(`bad split ${glob}`);
  };
  await check(path.join(d1, '*.parquet'));
  await check(path.join(d9, '*.parquet'));
}

main().catch((e) => { console.error(e); process.exit(1); });
