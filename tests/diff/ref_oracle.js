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

// query.md §7 facts the oracle does not reach (not contains, sums and means, FLOAT keys, the
// worked example of §6.2), on the 12-row data set EV of §7.1.
const EV_SCHEMA = { groupId: 'uid', timestamp: 'ts',
  columns: { uid: 'STRING', ts: 'INT', event: 'STRING', price: 'FLOAT', qty: 'INT', flag: 'BOOL', tag: 'STRING' } };
const EV = [
  ['u1', 100, 'view', 10.0, 1, true, 'red shoes'], ['u1', 200, 'cart', 10.0, 1, true, 'red shoes'],
  ['u1', 300, 'buy', 25.5, 2, false, 'blue hat'], ['u2', 100, 'view', null, 1, false, 'Red Shoes'],
  ['u2', 150, 'view', 5.0, 3, false, null], ['u2', 150, 'cart', 5.0, 1, true, 'green'],
  ['u3', 120, 'buy', 8.0, 1, true, 'hat'], ['u3', 130, 'view', 2.0, 1, false, 'blue hat'],
  ['u4', 500, 'view', null, 4, false, null], ['u5', 110, 'cart', 3.0, 1, true, 'shoes'],
  ['u5', 110, 'buy', 3.0, 1, true, 'shoes'], ['u5', 140, null, 7.0, 2, false, 'hat'],
].map(([uid, ts, event, price, qty, flag, tag]) => ({ uid, ts: BigInt(ts), event, price, qty: BigInt(qty), flag, tag }));
const m = (type, column, value, extra) => `{"column":"${column}","type":"${type}","value":${value},"top":${type === 'count' ? 'null' : 10},"name":${extra || 'null'}}`;
const SPEC_FACTS = [
  ['TC-22', '{"query":{"conditions":[{"filter":["tag","not contains","hat"]}]}}', '{"query":{"matchingGroups":4,"matchingGroupRows":10}}'],
  ['TC-11', '{"query":{"conditions":[{"filter":["event","==","view"],"target":["sum","price","==",0]}]}}', '{"query":{"matchingGroups":1,"matchingGroupRows":1}}'],
  ['TC-21b', '{"query":{"conditions":[{"filter":["event","!=","view"],"target":["count",">=",3]}]}}', '{"query":{"matchingGroups":1,"matchingGroupRows":3}}'],
  ['TC-40', '{"query":{"conditions":[{"sequence":[{"filter":["event","==","view"]},{"filter":["event","==","cart"]},{"filter":["event","==","view"]}]}]}}', '{"query":{"matchingGroups":0,"matchingGroupRows":0}}'],
  ['TC-51', '{"query":{"aggregations":[{"column":"event","type":"sumPerValue","otherColumn":"price"},{"column":"event","type":"meanPerValue","otherColumn":"price","name":"avgPrice"}]}}',
    `{"query":{"matchingGroups":5,"matchingGroupRows":12,"aggregations":[${m('sumPerValue', 'event', '{"buy":36.5,"cart":18.0,"view":17.0}')},${m('meanPerValue', 'event', '{"buy":12.166666666666666,"cart":6.0,"view":5.666666666666667}', '"avgPrice"')}]}}`],
  ['TC-55', '{"query":{"aggregations":[{"column":"tag","type":"sumPerValue","otherColumn":"price"},{"column":"tag","type":"meanPerValue","otherColumn":"price"}]}}',
    `{"query":{"matchingGroups":5,"matchingGroupRows":12,"aggregations":[${m('sumPerValue', 'tag', '{"blue hat":27.5,"red shoes":20.0,"hat":15.0,"shoes":6.0,"green":5.0,"Red Shoes":0.0}')},${m('meanPerValue', 'tag', '{"blue hat":13.75,"red shoes":10.0,"hat":7.5,"green":5.0,"shoes":3.0}')}]}}`],
  ['TC-52', '{"query":{"aggregations":[{"column":"qty","type":"countPerValue"},{"column":"price","type":"countPerValue"},{"column":"flag","type":"groupsPerValue"},{"column":"qty","type":"sumPerValue","otherColumn":"qty"},{"column":"flag","type":"sumPerValue","otherColumn":"qty"}]}}',
    `{"query":{"matchingGroups":5,"matchingGroupRows":12,"aggregations":[${m('countPerValue', 'qty', '{"1":8,"2":2,"3":1,"4":1}')},${m('countPerValue', 'price', '{"10.0":2,"5.0":2,"3.0":2,"25.5":1,"8.0":1,"2.0":1,"7.0":1}')},${m('groupsPerValue', 'flag', '{"False":5,"True":4}')},${m('sumPerValue', 'qty', '{"1":8,"2":4,"4":4,"3":3}')},${m('sumPerValue', 'flag', '{"False":13,"True":6}')}]}}`],
  ['TC-49', '{"funnel":{"sequence":[{"filter":["event","==","view"]},{"filter":["event","==","buy"]}],"stepAggregations":[{"column":"price","type":"sumPerValue","otherColumn":"qty","name":"qtyByPrice"}]}}',
    `{"query":{"matchingGroups":5,"matchingGroupRows":12},"funnel":{"sequence":[{"matchingGroups":4,"matchingGroupRows":9,"aggregations":[${m('sumPerValue', 'price', '{"5.0":4,"10.0":2,"25.5":2,"8.0":1,"2.0":1}', '"qtyByPrice"')}]},{"matchingGroups":1,"matchingGroupRows":3,"aggregations":[${m('sumPerValue', 'price', '{"10.0":2,"25.5":2}', '"qtyByPrice"')}]}]}}`],
  ['TC-61', '{"timeframe":{"from":110,"to":300},"funnel":{"sequence":[{"filter":["event","==","view"]},{"filter":["event","==","cart"]}],"endAggregations":[{"column":"event"}]}}',
    `{"query":{"matchingGroups":4,"matchingGroupRows":8},"funnel":{"sequence":[{"matchingGroups":2,"matchingGroupRows":4,"aggregations":null},{"matchingGroups":0,"matchingGroupRows":0,"aggregations":null}],"endAggregations":[${m('count', 'event', '0')},${m('countPerValue', 'event', '{}')},${m('groupsPerValue', 'event', '{}')}]}}`],
  ['§6.2', '{"timeframe":{"from":100,"to":400},"query":{"relation":"$viewed or $1","conditions":[{"name":"viewed","filter":["event","==","view"]},{"filter":["tag","contains","hat"],"target":["count",">=",2]}],"aggregations":[{"column":"event"},{"column":"event","type":"sumPerValue","otherColumn":"price","name":"revenue"}]},"funnel":{"sequence":[{"filter":["event","==","view"]},{"filter":["event","==","cart"]}],"stepAggregations":[{"column":"qty","type":"countPerValue"}],"endAggregations":[{"column":"event","type":"meanPerValue","otherColumn":"price"}]}}',
    `{"query":{"matchingGroups":3,"matchingGroupRows":8,"aggregations":[${m('count', 'event', '8')},${m('countPerValue', 'event', '{"view":4,"cart":2,"buy":2}')},${m('groupsPerValue', 'event', '{"view":3,"cart":2,"buy":2}')},${m('sumPerValue', 'event', '{"buy":33.5,"view":17.0,"cart":15.0}', '"revenue"')}]},` +
    `"funnel":{"sequence":[{"matchingGroups":3,"matchingGroupRows":8,"aggregations":[${m('countPerValue', 'qty', '{"1":6,"2":1,"3":1}')}]},{"matchingGroups":2,"matchingGroupRows":6,"aggregations":[${m('countPerValue', 'qty', '{"1":4,"2":1,"3":1}')}]}],"endAggregations":[${m('meanPerValue', 'event', '{"buy":25.5,"view":7.5,"cart":7.5}')}]}}`],
];

function specFacts() {
  const errs = [];
  const ev = new Evaluator(EV_SCHEMA);
  for (const [id, q, want] of SPEC_FACTS) {
    try {
      const d = compareResult(json.parse(want), toResponse(ev.run(EV, json.parse(q))));
      for (const x of d) errs.push(`${id}: ${x}`);
    } catch (e) {
      errs.push(`${id}: ${e.stack}`);
    }
  }
  return errs;
}

function main() {
  const errs = selfCheck().concat(specFacts());
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
