// DuckDB helpers for the differential test: read Parquet parts back into evaluator rows (typed
// as ref.js expects) and write generated rows to Parquet.
'use strict';
const { DuckDBInstance } = require('@duckdb/node-api');

const INT_TYPES = new Set(['TINYINT', 'SMALLINT', 'INTEGER', 'BIGINT', 'UTINYINT', 'USMALLINT', 'UINTEGER', 'UBIGINT', 'HUGEINT']);

function logicalType(duckType) {
  if (INT_TYPES.has(duckType)) return 'INT';
  if (duckType === 'DOUBLE' || duckType === 'FLOAT') return 'FLOAT';
  if (duckType === 'BOOLEAN') return 'BOOL';
  if (duckType === 'VARCHAR') return 'STRING';
  return null; // unsupported: not in the dataset (query.md §0)
}

async function connect() {
  const inst = await DuckDBInstance.create(':memory:');
  const con = await inst.connect();
  await con.run('SET threads = 1');
  return con;
}

const sqlStr = (s) => `'${s.replace(/'/g, "''")}'`;

// files -> { columns: {name: type}, rows: [...] }
async function loadParquet(con, files) {
  const list = `[${files.map(sqlStr).join(', ')}]`;
  const d = await con.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${list})`);
  const columns = {};
  for (const [name, type] of d.getRows()) {
    const t = logicalType(type);
    if (t) columns[name] = t;
  }
  const r = await con.runAndReadAll(`SELECT * FROM read_parquet(${list})`);
  const names = r.columnNames();
  const rows = r.getRows().map((vals) => {
    const o = {};
    names.forEach((n, i) => {
      const t = columns[n];
      if (!t) return;
      let v = vals[i];
      if (v !== null && t === 'INT') v = BigInt(v);
      if (v !== null && t === 'FLOAT') v = Number(v);
      o[n] = v;
    });
    return o;
  });
  return { columns, rows };
}

function sqlValue(v, type) {
  if (v === null || v === undefined) return 'NULL';
  switch (type) {
    case 'INT': return v.toString();
    case 'FLOAT':
      if (Number.isNaN(v)) return "'NaN'::DOUBLE";
      return `'${String(v)}'::DOUBLE`; // a bare decimal literal would go through DECIMAL and round
    case 'BOOL': return v ? 'true' : 'false';
    case 'STRING': return v.includes('\0') ? `(${v.split('\0').map(sqlStr).join(' || chr(0) || ')})` : sqlStr(v); // SQL literals cannot hold NUL
    default: throw new Error(`bad type ${type}`);
  }
}

const SQL_TYPE = { INT: 'BIGINT', FLOAT: 'DOUBLE', BOOL: 'BOOLEAN', STRING: 'VARCHAR' };

// Writes rows to one Parquet file. cols: [[name, type]], opts: writer settings.
async function writeParquet(con, file, cols, rows, opts) {
  await con.run('DROP TABLE IF EXISTS w');
  await con.run(`CREATE TABLE w (${cols.map(([n, t]) => `"${n}" ${opts.sqlTypes && opts.sqlTypes[n] || SQL_TYPE[t]}`).join(', ')})`);
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    const vals = chunk.map((r) => `(${cols.map(([n, t]) => sqlValue(r[n], t)).join(', ')})`).join(',\n');
    await con.run(`INSERT INTO w VALUES ${vals}`);
  }
  const o = [`FORMAT parquet`, `COMPRESSION ${opts.codec || 'snappy'}`, `ROW_GROUP_SIZE ${opts.rowGroup || 100000}`];
  if (opts.v2) o.push('PARQUET_VERSION V2');
  if (opts.noDict) o.push('DICTIONARY_SIZE_LIMIT 0');
  // rowid keeps the generated order, so row order in a part is the generator's choice
  await con.run(`COPY (SELECT * FROM w ORDER BY rowid) TO ${sqlStr(file)} (${o.join(', ')})`);
}

module.exports = { connect, loadParquet, writeParquet, logicalType };
