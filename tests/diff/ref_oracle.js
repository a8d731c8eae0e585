// Proves the reference evaluator before any engine exists: it must reproduce every expected
// answer of the oracle suite from the oracle's rows (tests/data/oracle/data.jsonl.gz).
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const json = require('./json.js');
const { Evaluator, ValidationError, toResponse } = require('./ref.js');
const { compareResult } = require('./compare.js');

const top = process.env.FR_TOP_SRCDIR || path.resolve(__dirname, '..', '..');
const dir = path.join(top, 'tests', 'data', 'oracle');
const SCHEMA = {
  groupId: 'uid', timestamp: 'ts',
  columns: { uid: 'INT', ts: 'INT', event: 'STRING', category: 'STRING', keywords: 'STRING',
             price: 'FLOAT', qty: 'INT', member: 'BOOL', score: 'FLOAT' },
};

function loadRows() {
  const text = zlib.gunzipSync(fs.readFileSync(path.join(dir, 'data.jsonl.gz'))).toString('utf8');
  const rows = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    const r = json.parse(line);
    for (const [c, t] of Object.entries(SCHEMA.columns)) {
      if (r[c] === null) continue;
      if (t === 'FLOAT') r[c] = Number(r[c]);
      else if (t === 'INT') r[c] = BigInt(r[c]);
    }
    rows.push(r);
  }
  return rows;
}

// The comparator and the float formatting decide every verdict of both suites: check them on
// hand-made cases, including ones that must fail.
function selfCheck() {
  const errs = [];
  const reprs = [[10, '10.0'], [25.5, '25.5'], [0.0001, '0.0001'], [1234567890123456, '1234567890123456.0'],
    [-2.5, '-2.5'], [-0, '-0.0'], [1e16, '1e+16'], [1.5e16, '1.5e+16'], [1e-5, '1e-05'], [1.5e-7, '1.5e-07'],
    [1.2345678901234567e19, '1.2345678901234567e+19'], [Math.fround(0.1), '0.10000000149011612'], [Infinity, 'inf']];
  for (const [x, want] of reprs) if (json.pyRepr(x) !== want) errs.push(`pyRepr(${x}) = ${json.pyRepr(x)}, want ${want}`);
  const agg = (value, full) => ({ column: 'c', type: 'countPerValue', value, top: 3n, name: null, ...(full ? { fullMap: true } : {}) });
  const res = (a) => ({ query: { matchingGroups: 1n, matchingGroupRows: 2n, aggregations: [a] } });
  const act = (value, extra) => ({ success: true, query: { matchingGroups: 1n, matchingGroupRows: 2n, aggregations: [{ column: 'c', type: 'countPerValue', value, top: 3n, ...extra }] } });
  const cases = [
    // [expected result, actual response, should pass, what]
    [res(agg({ a: 5n, b: 4n, c: 2n }, false)), act({ a: 5n, b: 4n, c: 2n }), true, 'equal map, name absent'],
    [res(agg({ a: 5n, b: 4n, c: 2n }, false)), act({ a: 5n, b: 4n, d: 2n }), true, 'oracle tie at the cut'],
    [res(agg({ a: 5n, b: 4n, c: 2n }, false)), act({ a: 5n, b: 4n, d: 3n }), false, 'wrong value past the cut'],
    [res(agg({ a: 5n, b: 4n, c: 2n }, false)), act({ a: 5n, d: 2n, c: 2n }), false, 'key above the cut missing'],
    [res(agg({ a: 5n, b: 4n }, false)), act({ a: 5n, b: 4n, d: 1n }), false, 'extra key in a complete map'],
    [res(agg({ a: 5n, b: 4n, c: 2n, d: 2n, e: 1n }, true)), act({ a: 5n, b: 4n, d: 2n }), true, 'full-map tie'],
    [res(agg({ a: 5n, b: 4n, c: 2n, d: 2n, e: 1n }, true)), act({ a: 5n, b: 4n, e: 1n }), false, 'below the cut'],
    [res(agg({ a: 5n, b: 4n, c: 2n, d: 2n, e: 1n }, true)), act({ a: 5n, b: 4n, c: 2n, d: 2n }), false, 'more than top'],
    [res(agg({ a: 5n }, false)), act({ a: 5 }), false, 'int printed as float'],
    [res(agg({ a: 2n ** 62n + 3n, b: 2n ** 62n + 2n, c: 2n ** 62n + 1n, d: 1n }, true)), act({ a: 2n ** 62n + 3n, b: 2n ** 62n + 2n, c: 2n ** 62n + 1n }), true, 'huge ints'],
    [res(agg({ a: 2n ** 62n + 3n, b: 2n ** 62n + 2n, c: 2n ** 62n + 1n, d: 2n ** 62n }, true)), act({ a: 2n ** 62n + 3n, b: 2n ** 62n + 2n, d: 2n ** 62n }), false, 'huge ints: cut past 2^53'],
    [res(agg({ a: 5n }, false)), act({ a: 5n }, { name: 'x' }), false, 'name not null'],
    [res(agg({ a: 5n }, false)), act({ a: 5n }, { approximate: false }), true, 'approximate false'],
    [res(agg({ a: 5n }, false)), act({ a: 5n }, { approximate: true }), false, 'approximate true'],
    [res({ column: 'c', type: 'sumPerValue', value: { a: 1.5 }, top: 3n, name: null }),
      { success: true, query: { matchingGroups: 1n, matchingGroupRows: 2n, aggregations: [{ column: 'c', type: 'sumPerValue', value: { a: 1.5 + 1e-12 }, top: 3n, name: null }] } }, true, 'float within 1e-9'],
    [res({ column: 'c', type: 'sumPerValue', value: { a: 1.5 }, top: 3n, name: null }),
      { success: true, query: { matchingGroups: 1n, matchingGroupRows: 2n, aggregations: [{ column: 'c', type: 'sumPerValue', value: { a: 1.5 + 1e-6 }, top: 3n, name: null }] } }, false, 'float off by 1e-6'],
    [{ query: { matchingGroups: 1n, matchingGroupRows: 2n } }, { success: true, query: { matchingGroups: 1n, matchingGroupRows: 2n }, funnel: { sequence: [] } }, false, 'unexpected funnel'],
    [{ query: { matchingGroups: 1n, matchingGroupRows: 2n } }, { success: true, query: { matchingGroups: 1n, matchingGroupRows: 3n } }, false, 'row count'],
  ];
  for (const [exp, a, pass, what] of cases) {
    const d = compareResult(exp, a);
    if ((d.length === 0) !== pass) errs.push(`comparator, ${what}: expected ${pass ? 'pass' : 'fail'}, got ${JSON.stringify(d)}`);
  }
  return errs;
}

function main() {
  const errs = selfCheck();
  for (const e of errs) console.log(`FAIL self-check: ${e}`);
  const rows = loadRows();
  const ev = new Evaluator(SCHEMA);
  const ids = fs.readdirSync(path.join(dir, 'queries')).filter((f) => f.endsWith('.json')).sort();
  let ok = 0, bad = 0, invalid = 0;
  for (const f of ids) {
    const exp = json.parse(fs.readFileSync(path.join(dir, 'expected', f), 'utf8'));
    const q = json.parse(fs.readFileSync(path.join(dir, 'queries', f), 'utf8'));
    if (!exp.valid) {
      // The evaluator only knows the includeZero rules (§3.3); those are all the oracle rejects.
      const kind = exp.errorKind.replace(/^ValidationErrorKind\./, '');
      try {
        ev.run(rows, q);
        console.log(`FAIL ${f}: accepted, expected ${kind}`);
        bad++;
      } catch (e) {
        if (e instanceof ValidationError && e.kind === kind) invalid++;
        else { console.log(`FAIL ${f}: expected ${kind}, got ${e.stack}`); bad++; }
      }
      continue;
    }
    let diffs;
    try {
      diffs = compareResult(exp.result, toResponse(ev.run(rows, q)));
    } catch (e) {
      diffs = [`evaluator threw: ${e.stack}`];
    }
    if (diffs.length === 0) { ok++; continue; }
    bad++;
    console.log(`FAIL ${f}:\n  ${diffs.slice(0, 20).join('\n  ')}`);
  }
  console.log(`reference evaluator vs oracle: ${ok} match, ${bad} differ, ${invalid} invalid queries rejected (${rows.length} rows)`);
  process.exit(bad === 0 && ok > 0 && errs.length === 0 ? 0 : 1);
}

main();
