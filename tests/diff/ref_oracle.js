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

function main() {
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
  process.exit(bad === 0 && ok > 0 ? 0 : 1);
}

main();
