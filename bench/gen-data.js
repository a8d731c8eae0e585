// Writes the benchmark datasets with DuckDB: RetailRocket-like events partitioned by visitorid
// (rows unsorted inside each part), deterministic (hash-based pseudo-randomness over range()).
//   node gen-data.js --rows 20000000 --parts 8 --codec snappy --out data/events-duck
//   node gen-data.js --rows 3000000 --parts 1 --codec zstd --out data/decode-zstd
'use strict';
const fs = require('fs');
const path = require('path');
const L = require('./lib');

// One row per i in range(rows).  u(i, k) is a uniform [0, 1) draw, independent for each k.
// Users are heavy-tailed (rank = u^3 * users: a few visitors have thousands of events, most one
// or two); item popularity likewise; item attributes (category, price, tokens) hang off itemid.
function eventsSql(rows, users) {
  return `
    SELECT visitorid, timestamp, event, itemid, categoryid, price, available, transactionid,
           cryptic_attrs
    FROM (
      SELECT i, visitorid, ev,
        1430622000000 + floor(u(i, 2) * 11836800000)::BIGINT
          + CASE ev WHEN 1 THEN 120000 WHEN 2 THEN 600000 ELSE 0 END AS timestamp,
        CASE ev WHEN 0 THEN 'view' WHEN 1 THEN 'addtocart' ELSE 'transaction' END AS event,
        itemid,
        (h(itemid, 5) % 1700)::VARCHAR AS categoryid,
        CASE WHEN h(itemid, 6) % 20 = 0 THEN NULL
             ELSE round(1 + (h(itemid, 7) % 100000) / 100.0, 2) END::DOUBLE AS price,
        h(i, 8) % 4 <> 0 AS available,
        CASE WHEN ev = 2 THEN (h(i, 9) % 20000)::DOUBLE END AS transactionid,
        concat_ws('|', 'a' || (h(itemid, 10) % 1000), 'b' || (h(itemid, 11) % 50),
                  CASE WHEN h(itemid, 12) % 2 = 0 THEN 'n' || (h(itemid, 13) % 100000) END,
                  CASE WHEN h(itemid, 14) % 4 = 0 THEN 'c' || (h(itemid, 15) % 7) END)
          AS cryptic_attrs
      FROM (
        SELECT i,
          -- a bijection of the rank (2654435761 is coprime with the prime 4294967291)
          (floor(pow(u(i, 1), 3) * ${users})::BIGINT * 2654435761) % 4294967291 AS visitorid,
          CASE WHEN u(i, 3) < 0.964 THEN 0 WHEN u(i, 3) < 0.991 THEN 1 ELSE 2 END AS ev,
          1 + floor(pow(u(i, 4), 2) * 235000)::BIGINT AS itemid
        FROM range(${rows}) r(i)
      )
    )`;
}

async function generate(o) {
  const rows = o.rows;
  const users = o.users || Math.max(1, Math.floor(rows / 2));
  fs.mkdirSync(o.out, { recursive: true });
  for (const f of L.partFiles(o.out)) fs.unlinkSync(f);
  const { con } = await L.duckConnect(o.threads);
  await con.run(`SET preserve_insertion_order = true`);
  // hash(x, k) only XORs the hashes of x and k, so draws for different k would be correlated:
  // mix k into the argument instead.
  await con.run(`CREATE MACRO h(x, k) AS hash(x * 64 + k)`);
  await con.run(`CREATE MACRO u(x, k) AS (h(x, k) >> 11)::DOUBLE / 9007199254740992.0`);
  const t0 = Date.now();
  // One pass per part: only visitorid is computed for the rows of other parts.
  for (let p = 0; p < o.parts; p++) {
    const file = path.join(o.out, `part-${String(p).padStart(5, '0')}.parquet`);
    const where = o.parts > 1 ? `WHERE hash(visitorid) % ${o.parts} = ${p}` : '';
    await con.run(`COPY (SELECT * FROM (${eventsSql(rows, users)}) ${where}) TO '${file}'
      (FORMAT parquet, COMPRESSION ${o.codec})`);
    process.stderr.write(`  wrote ${file}\n`);
  }
  const [c] = await L.duckRows(con, `SELECT count(*) AS n, count(DISTINCT visitorid) AS g
    FROM read_parquet(${L.sqlList(L.partFiles(o.out))})`);
  process.stderr.write(`  ${c.n} rows, ${c.g} visitors in ${o.parts} parts, ` +
    `${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
}

if (require.main === module) {
  const o = L.parseArgs(process.argv.slice(2),
    { rows: 20000000, parts: 8, users: 0, codec: 'snappy', out: '', threads: 2 });
  if (!o.out) {
    console.error('usage: node gen-data.js --out DIR [--rows N] [--parts N] [--users N] ' +
      '[--codec snappy|zstd|uncompressed] [--threads N]');
    process.exit(2);
  }
  generate(o).catch((e) => { console.error(e.message); process.exit(1); });
}

module.exports = { generate, eventsSql };
