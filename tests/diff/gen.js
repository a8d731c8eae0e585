// Random datasets and random valid queries for the differential test, deterministic by seed.
// Datasets are small and hostile (timestamp ties, nulls everywhere, NaN, empty strings, one-row
// groups, huge integers); queries use every construct of query.md §1 and the decisions.
'use strict';

// sfc32 seeded through splitmix32: fast, good enough, reproducible across platforms.
class Rng {
  constructor(...seeds) {
    let h = 0x9e3779b9;
    const mix = (x) => {
      h = (h + (x | 0) + 0x9e3779b9) | 0;
      let z = h;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    for (const s of seeds) mix(s);
    this.a = mix(1); this.b = mix(2); this.c = mix(3); this.d = mix(4);
    for (let i = 0; i < 12; i++) this.u32();
  }
  u32() {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
  float() { return this.u32() / 4294967296; }
  int(lo, hi) { return lo + Math.floor(this.float() * (hi - lo + 1)); } // inclusive
  chance(p) { return this.float() < p; }
  pick(a) { return a[Math.floor(this.float() * a.length)]; }
  shuffle(a) {
    for (let i = a.length - 1; i > 0; i--) { const j = this.int(0, i); [a[i], a[j]] = [a[j], a[i]]; }
    return a;
  }
  big(bits) { // uniform BigInt in [-2^bits, 2^bits)
    let v = 0n;
    for (let i = 0; i < Math.ceil((bits + 1) / 32); i++) v = (v << 32n) | BigInt(this.u32());
    return BigInt.asIntN(bits + 1, v);
  }
}

const WORDS = ['', 'a', 'ab', 'abc', 'b', 'A', 'Ab', 'view', 'View', 'click', 'a2c', 'shoes',
  'red shoes', 'Red Shoes', 'o\'neil', 'x|y', 'x|y|z', 'tab\there', 'line\nbreak', 'back\\slash',
  '"quoted"', 'é', 'naïve café', '日本語', '🙂', ' ', '  lead', 'trail ', '%', '_', '$0', 'null',
  'NaN', 'True', '1', '1.0', '-0', 'nul\u0000byte', 'a'.repeat(40), 'long ' + 'x'.repeat(200)];

const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;
const clampI64 = (v) => (v < I64_MIN ? I64_MIN : v > I64_MAX ? I64_MAX : v);
const FLOAT_KINDS = {
  nice: (r) => r.int(-200, 200) / 4,
  small: (r) => r.pick([0.5, 1.5, 2.25, -3.75, 10, 0, 7]),
  messy: (r) => (r.float() - 0.3) * r.pick([1, 100, 1e6]),
  odd: (r) => r.pick([1e-5, 1.5e-7, 1e16, 1.5e16, 0.1, 0.2, 0.30000000000000004, 123456789.125,
    1234567890123456, 2.5e-300, 1e300, -1e-4, 9.999e-5, 1e22, 5e-324]),
};

// A column: name, logical type, null rate, value generator, optional physical override.
function genColumn(r, name, type) {
  const col = { name, type, nullRate: r.pick([0, 0, 0, 0.05, 0.2, 0.2, 0.5, 1]) };
  switch (type) {
    case 'INT': {
      const kind = r.pick(['tiny', 'tiny', 'small', 'wide', 'huge']);
      col.kind = kind;
      if (kind === 'tiny') { col.gen = (rr) => BigInt(rr.int(-2, 3)); if (r.chance(0.5)) col.sqlType = r.pick(['TINYINT', 'SMALLINT', 'INTEGER']); }
      if (kind === 'small') { col.gen = (rr) => BigInt(rr.int(-50, 1000)); if (r.chance(0.4)) col.sqlType = 'INTEGER'; }
      if (kind === 'wide') col.gen = (rr) => rr.big(40);
      // near the int64 edges: sums overflow int64 (decision 12: report exactly)
      if (kind === 'huge') col.gen = (rr) => rr.pick([9223372036854775807n, -9223372036854775808n, 4611686018427387904n, rr.big(63), rr.big(62), 1n, -1n]);
      break;
    }
    case 'FLOAT': {
      const kind = r.pick(['nice', 'nice', 'small', 'messy', 'odd']);
      col.kind = kind;
      col.gen = FLOAT_KINDS[kind];
      col.nanRate = r.pick([0, 0, 0.1, 0.3]);
      if (kind !== 'odd' && r.chance(0.2)) col.sqlType = 'FLOAT'; // float32: values widen to double
      break;
    }
    case 'BOOL':
      col.gen = (rr) => rr.chance(0.5);
      break;
    case 'STRING': {
      const vocab = r.shuffle(WORDS.slice()).slice(0, r.int(1, 12));
      col.gen = (rr) => rr.pick(vocab);
      break;
    }
    default: throw new Error(type);
  }
  return col;
}

function cellValue(r, col) {
  if (col.nullRate && r.chance(col.nullRate)) return null;
  if (col.nanRate && r.chance(col.nanRate)) return NaN;
  let v = col.gen(r);
  if (col.sqlType === 'FLOAT') v = Math.fround(v);
  return v;
}

// -> { cols: [[name, type]], schema, parts: [[row...]], sqlTypes, writer: [opts per part] }
function genDataset(r) {
  const gidType = r.pick(['INT', 'STRING']);
  const tsType = r.chance(0.75) ? 'INT' : 'FLOAT';
  // mostly small; now and then big enough for several row groups per part
  const big = r.chance(0.08);
  const nGroups = big ? r.int(300, 600) : r.pick([1, 2, r.int(3, 10), r.int(10, 40), r.int(10, 40), r.int(30, 80), r.int(30, 80), r.int(30, 80)]);
  const tsBase = r.pick([0, 1000, 1600000000, 1600000000000]);
  const tsSpan = r.pick([3, 10, 50, 1000]); // small spans: many equal timestamps
  const cols = [];
  const colDefs = [];
  const names = new Set();
  const nCols = r.int(3, 7);
  for (let i = 0; i < nCols; i++) {
    const type = r.pick(['INT', 'FLOAT', 'BOOL', 'STRING']);
    let name = `${type[0].toLowerCase()}${i}`;
    if (r.chance(0.1)) name = r.pick(['Mixed_Case', 'with space', 'dot.name', 'ü']) + i;
    names.add(name);
    colDefs.push(genColumn(r, name, type));
  }
  const gid = r.chance(0.5) ? 'gid' : 'user id';
  const ts = r.chance(0.5) ? 'ts' : 'time';
  cols.push([gid, gidType], [ts, tsType]);
  for (const c of colDefs) cols.push([c.name, c.type]);

  const gids = new Set();
  const groups = [];
  while (groups.length < nGroups) {
    let g;
    if (gidType === 'INT') g = r.pick([BigInt(r.int(0, 100000)), BigInt(r.int(-50, 50)), r.big(63)]);
    else g = r.pick([`u${r.int(0, 99999)}`, r.pick(WORDS), `${r.int(0, 99)}`]);
    const k = String(g);
    if (gids.has(k)) continue;
    gids.add(k);
    const n = r.pick([1, 1, r.int(2, 4), r.int(2, 15), r.int(10, 40)]);
    const rows = [];
    const span = r.chance(0.3) ? 2 : tsSpan;
    for (let i = 0; i < n; i++) {
      const row = {};
      row[gid] = g;
      const t = tsBase + r.int(0, span);
      row[ts] = tsType === 'INT' ? BigInt(t) : t + r.pick([0, 0.5, 0.25]);
      for (const c of colDefs) row[c.name] = cellValue(r, c);
      rows.push(row);
    }
    groups.push(rows);
  }
  const nParts = Math.min(groups.length, big ? r.pick([1, 2]) : r.pick([1, 1, 2, 3, 4, 6]));
  const parts = Array.from({ length: nParts }, () => []);
  groups.forEach((g, i) => parts[i < nParts ? i : r.int(0, nParts - 1)].push(...g));
  for (const p of parts) {
    if (r.chance(big ? 0.3 : 0.6)) r.shuffle(p); // sorted big parts: row groups with disjoint ts ranges
    else p.sort((a, b) => (a[ts] < b[ts] ? -1 : a[ts] > b[ts] ? 1 : 0));
  }
  const sqlTypes = {};
  for (const c of colDefs) if (c.sqlType) sqlTypes[c.name] = c.sqlType;
  const writer = parts.map(() => ({
    codec: r.pick(['snappy', 'zstd', 'gzip', 'uncompressed', 'lz4_raw', 'brotli']),
    rowGroup: big ? 2048 : r.pick([100000, 2048]), v2: r.chance(0.3), noDict: r.chance(0.2),
  }));
  const columns = Object.fromEntries(cols);
  return { cols, schema: { groupId: gid, timestamp: ts, columns }, parts, sqlTypes, writer, colDefs, tsBase, tsSpan };
}

// ---- queries ---------------------------------------------------------------------------------

const NUM_OPS = ['==', '!=', '>', '>=', '<', '<='];
const STR_OPS = ['==', '!=', 'contains', 'not contains'];

class QueryGen {
  constructor(r, ds, rows) {
    this.r = r;
    this.ds = ds;
    this.rows = rows;
    this.colNames = Object.keys(ds.schema.columns);
    this.numCols = this.colNames.filter((c) => ['INT', 'FLOAT'].includes(ds.schema.columns[c]));
  }

  observed(col) {
    const r = this.r;
    for (let i = 0; i < 5; i++) {
      const v = r.pick(this.rows)[col];
      if (v !== null && !(typeof v === 'number' && Number.isNaN(v))) return v;
    }
    return null;
  }

  value(col, op) {
    const r = this.r;
    const t = this.ds.schema.columns[col];
    const o = r.chance(0.75) ? this.observed(col) : null;
    switch (t) {
      case 'INT': {
        if (typeof o === 'bigint') return r.chance(0.8) ? o : clampI64(o + BigInt(r.int(-1, 1)));
        return BigInt(r.int(-3, 5));
      }
      case 'FLOAT': {
        let v = typeof o === 'number' ? o : r.int(-20, 20) / 2;
        if (r.chance(0.1)) v += 0.125;
        // integer literal on a FLOAT column is legal (V-07); keep it exact
        if (Number.isInteger(v) && Math.abs(v) < 1e15 && r.chance(0.4)) return BigInt(v);
        return v;
      }
      case 'BOOL': return r.chance(0.5);
      case 'STRING': {
        if (typeof o === 'string') {
          const cps = Array.from(o); // by code point: half a surrogate pair is not a string
          if (op.includes('contains') && cps.length > 1 && r.chance(0.5)) {
            const a = r.int(0, cps.length - 1);
            return cps.slice(a, r.int(a, cps.length)).join('');
          }
          return o;
        }
        return r.pick(WORDS);
      }
      default: throw new Error(t);
    }
  }

  filter(verboseOnly, broad) {
    const r = this.r;
    const col = r.pick(this.colNames);
    const t = this.ds.schema.columns[col];
    const ops = broad && r.chance(0.5) ? { STRING: ['!=', 'not contains', 'contains'], BOOL: ['==', '!='], INT: ['!=', '>=', '<='], FLOAT: ['!=', '>=', '<='] }
      : { STRING: STR_OPS, BOOL: ['==', '!='], INT: NUM_OPS, FLOAT: NUM_OPS };
    const op = r.pick(ops[t]);
    const value = this.value(col, op);
    if (!verboseOnly && r.chance(0.5)) return [col, op, value];
    return { column: col, op, value };
  }

  // broad: steps of long chains should often match, or deep steps are always empty
  step(broad) {
    const r = this.r;
    if (r.chance(0.65)) return { filter: this.filter(false, broad) };
    return { filters: Array.from({ length: r.pick([1, 1, 2, 3]) }, () => this.filter(true, broad)) };
  }

  target() {
    const r = this.r;
    if (r.chance(0.3) && this.numCols.length) {
      const col = r.pick(this.numCols);
      const op = r.pick(NUM_OPS);
      const t = this.ds.schema.columns[col];
      const o = this.observed(col);
      let value;
      if (t === 'INT') value = r.chance(0.2) ? r.int(-10, 10) / 2 : (typeof o === 'bigint' ? clampI64(o * BigInt(r.int(0, 3))) : BigInt(r.int(-5, 20)));
      else value = r.chance(0.3) ? BigInt(r.int(-5, 20)) : (typeof o === 'number' ? o * r.int(0, 3) : r.int(-10, 30) / 2);
      if (typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)) value = 0.5;
      return { t: { type: 'sum', column: col, op, value }, short: r.chance(0.5) };
    }
    const op = r.pick(NUM_OPS);
    const value = BigInt(r.pick([0, 0, 1, 1, 1, 2, 3, 5]));
    return { t: { type: 'count', op, value }, short: r.chance(0.5) };
  }

  // includeZero choices that the validator accepts for this target (query.md §3.3).
  includeZeroFor(t) {
    const r = this.r;
    if (t.type === 'sum') return r.pick([undefined, undefined, false]);
    const v = t.value;
    const zeroOk = (t.op === '==' && v === 0n) || (t.op === '>=' && v === 0n) || (t.op === '<' && v >= 1n) ||
      t.op === '<=' || (t.op === '!=' && v !== 0n);
    if (t.op === '==' && v === 0n) return r.pick([undefined, true]);
    if (zeroOk) return r.pick([undefined, true, true, false]);
    return r.pick([undefined, undefined, false]);
  }

  condition() {
    const r = this.r;
    const kind = r.pick(['filter', 'filter', 'filters', 'sequence']);
    if (kind === 'sequence') return { sequence: Array.from({ length: r.pick([1, 2, 2, 3, 4]) }, () => this.step(true)) };
    const c = kind === 'filter' ? { filter: this.filter(false) } : { filters: Array.from({ length: r.pick([1, 2, 2, 3]) }, () => this.filter(true, true)) };
    if (r.chance(0.7)) {
      const { t, short } = this.target();
      c.target = short ? (t.type === 'count' ? ['count', t.op, t.value] : ['sum', t.column, t.op, t.value]) : t;
      const iz = this.includeZeroFor(t);
      if (iz !== undefined) c.includeZero = iz;
    } else if (r.chance(0.3)) {
      c.includeZero = false; // default target >= 1 admits includeZero false only
    }
    return c;
  }

  relation(conds) {
    const r = this.r;
    const n = conds.length;
    const choice = r.int(0, 9);
    if (choice <= 2) return undefined;
    if (choice <= 4) return r.pick(['and', 'OR', ' && ', '||', 'And', 'or ', 'or', '||']);
    const ref = (i) => {
      const c = conds[i];
      if (c.name && r.chance(0.6)) {
        const nm = r.pick([c.name, c.name.toUpperCase(), c.name.toLowerCase()]);
        return `$${nm}`;
      }
      return r.chance(0.1) ? `$0${i}` : `$${i}`;
    };
    const ws = () => r.pick([' ', ' ', '  ', '\t', '\n ']);
    const tree = (depth) => {
      if (depth > 2 || r.chance(0.4)) return ref(r.int(0, n - 1));
      const parts = Array.from({ length: r.int(2, 3) }, () => tree(depth + 1));
      let s = parts[0];
      for (let i = 1; i < parts.length; i++) s += ws() + r.pick(['and', 'or', '&&', '||', 'AND', 'Or']) + ws() + parts[i];
      return r.chance(0.5) ? `(${r.chance(0.3) ? ' ' : ''}${s})` : s;
    };
    let rel = tree(0);
    if (r.chance(0.05) && n >= 2) rel = `$0and$1`; // legal: no whitespace needed (decision-free §3.4)
    return r.chance(0.2) ? ` ${rel} ` : rel;
  }

  aggregation(names) {
    const r = this.r;
    const col = r.pick(this.colNames);
    const type = r.pick([undefined, 'count', 'countPerValue', 'groupsPerValue', 'sumPerValue', 'meanPerValue']);
    const a = { column: col };
    if (type === undefined) return a;
    a.type = type;
    if (type === 'sumPerValue' || type === 'meanPerValue') {
      if (!this.numCols.length) { a.type = 'countPerValue'; } else a.otherColumn = r.pick(this.numCols);
    }
    if (a.type !== 'count' && r.chance(0.3)) a.top = BigInt(r.int(1, 12));
    if (r.chance(0.3)) {
      const nm = `agg${names.size}${r.pick(['', '_x', 'Y'])}`;
      names.add(nm);
      a.name = nm;
    }
    return a;
  }

  aggList(min, max) {
    const names = new Set();
    const n = this.r.chance(0.1) ? 0 : this.r.int(min, max); // [] behaves as absent
    return Array.from({ length: n }, () => this.aggregation(names));
  }

  query() {
    const r = this.r;
    const q = {};
    if (r.chance(0.3)) {
      const { tsBase, tsSpan } = this.ds;
      const tf = {};
      const point = () => BigInt(Math.max(0, tsBase + r.int(-2, tsSpan + 2)));
      if (r.chance(0.7)) tf.from = point();
      if (r.chance(0.7)) {
        let to = point();
        if (tf.from !== undefined && to <= tf.from) to = tf.from + BigInt(r.int(1, 5));
        tf.to = to;
      }
      if (r.chance(0.05)) { tf.from = BigInt(tsBase + tsSpan + 100); delete tf.to; } // empty frame
      q.timeframe = tf;
    }
    if (r.chance(0.85)) {
      const qq = {};
      const n = r.pick([0, 1, 1, 1, 2, 2, 3, 4]);
      if (n > 0 || r.chance(0.2)) {
        const conds = Array.from({ length: n }, () => this.condition());
        const used = new Set();
        for (const c of conds) {
          if (!r.chance(0.35)) continue;
          const nm = r.pick(['a', 'viewed', 'Bought', 'c_1', 'x9', 'seq', 'andy', 'orb']) + (used.size ? used.size : '');
          if (used.has(nm.toLowerCase())) continue;
          used.add(nm.toLowerCase());
          c.name = nm;
        }
        qq.conditions = conds;
        if (n > 0) {
          const rel = this.relation(conds);
          if (rel !== undefined) qq.relation = rel;
        }
      }
      if (r.chance(0.75)) {
        const list = this.aggList(1, 3);
        qq.aggregations = r.chance(0.05) ? { columns: list } : list;
      }
      q.query = qq;
    }
    if (r.chance(0.4)) {
      const f = { sequence: Array.from({ length: r.pick([1, 2, 2, 3, 3, 4]) }, () => this.step(true)) };
      if (r.chance(0.6)) f.stepAggregations = this.aggList(1, 2);
      if (r.chance(0.6)) f.endAggregations = this.aggList(1, 2);
      q.funnel = f;
    }
    return q;
  }
}

module.exports = { Rng, genDataset, QueryGen };
