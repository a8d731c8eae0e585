// Stand-in for `frocket query` built on the reference evaluator and DuckDB, used only to prove
// the test harnesses themselves: FROCKET="node tests/diff/fake_frocket.js" (see README there).
'use strict';
const fs = require('fs');
const json = require('./json.js');
const { Evaluator, ValidationError, toResponse } = require('./ref.js');
const duck = require('./duck.js');

async function main() {
  const a = process.argv.slice(2);
  if (a[0] !== 'query') { console.error('fake frocket: only `query` is implemented'); process.exit(2); }
  let groupId, timestamp, doc;
  const files = [];
  for (let i = 1; i < a.length; i++) {
    if (a[i] === '--group-id') groupId = a[++i];
    else if (a[i] === '--timestamp') timestamp = a[++i];
    else if (a[i] === '--file') doc = fs.readFileSync(a[++i], 'utf8');
    else if (a[i] === '--string') doc = a[++i];
    else if (a[i] === '--empty') doc = '{}';
    else files.push(a[i]);
  }
  const con = await duck.connect();
  const { columns, rows } = await duck.loadParquet(con, files);
  const ev = new Evaluator({ groupId, timestamp, columns });
  try {
    const res = toResponse(ev.run(rows, json.parse(doc)));
    res.stats = {};
    process.stdout.write(json.stringify(res, 2) + '\n');
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    process.stdout.write(json.stringify({ success: false, errorKind: e.kind, errorMessage: e.message }) + '\n');
    process.exit(2);
  }
}

main().catch((e) => { console.error(e.stack); process.exit(1); });
