// Reference evaluator: query.md §2 and §4 (with the README decisions) applied row at a time to
// all rows at once, written for obviousness, not speed; the engine is checked against it.
//
// Values: INT cells and integer literals are BigInt, FLOAT cells and float literals are Number
// (NaN == null), BOOL boolean, STRING string. Map aggregations come back whole (not cut to top),
// so a comparison can tell a legitimate tie at the cut from a wrong key.
'use strict';

const MAP_TYPES = new Set(['countPerValue', 'groupsPerValue', 'sumPerValue', 'meanPerValue']);
const DEFAULT_TOP = 10n;
const { pyRepr } = require('./json.js');

const isNull = (x) => x === null || x === undefined || (typeof x === 'number' && Number.isNaN(x));

// Exact three-way comparison of BigInt/Number mixes (an INT sum against a fractional target).
function cmp(a, b) {
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'number') return -cmp(b, a);
  // a bigint, b number
  if (Number.isNaN(b)) throw new Error('NaN comparison');
  if (b === Infinity) return -1;
  if (b === -Infinity) return 1;
  const fb = Math.floor(b);
  const bf = BigInt(fb);
  if (a < bf) return -1;
  if (a > bf) return 1;
  return fb === b ? 0 : -1;
}

function applyOp(c, op) {
  switch (op) {
    case '==': return c === 0;
    case '!=': return c !== 0;
    case '>': return c > 0;
    case '>=': return c >= 0;
    case '<': return c < 0;
    case '<=': return c <= 0;
    default: throw new Error(`bad numeric op ${op}`);
  }
}

// ---- expansion (query.md §2; validation only as far as the generator needs) -------------------

function expandFilter(f) {
  if (Array.isArray(f)) {
    if (f.length !== 3) throw new Error('shorthand filter needs 3 items');
    return { column: f[0], op: f[1], value: f[2] };
  }
  return f;
}

function expandTarget(t) {
  if (t === undefined) return { type: 'count', op: '>=', value: 1n };
  if (Array.isArray(t)) {
    if (t[0] === 'count') return { type: 'count', op: t[1], value: t[2] };
    return { type: 'sum', column: t[1], op: t[2], value: t[3] };
  }
  return t;
}

function expandStep(s) {
  return s.filter !== undefined ? { filters: [expandFilter(s.filter)] } : { filters: s.filters.map(expandFilter) };
}

function expandAggs(list) {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list)) list = list.columns; // decision 4: {"columns": [...]} wrapper
  const out = [];
  for (const a of list) {
    if (a.type === undefined) {
      for (const type of ['count', 'countPerValue', 'groupsPerValue']) out.push({ ...a, type });
    } else {
      out.push(a);
    }
  }
  return out;
}

// Relation grammar of query.md §3.4: OR of AND-chains, parentheses, $index or $name.
function parseRelation(rel, conds) {
  const s = rel.trim().toLowerCase();
  let i = 0;
  const names = new Map();
  conds.forEach((c, k) => { if (c.name !== undefined) names.set(c.name.toLowerCase(), k); });
  const ws = () => { while (i < s.length && /\s/.test(s[i])) i++; };
  const fail = (m) => { throw new Error(`relation ${JSON.stringify(rel)}: ${m} at ${i}`); };
  const term = () => {
    ws();
    if (s[i] === '(') {
      i++;
      const e = expr();
      ws();
      if (s[i] !== ')') fail('expected )');
      i++;
      return e;
    }
    if (s[i] !== '$') fail('expected $');
    i++;
    let m = /^[a-z][a-z0-9_]*/.exec(s.slice(i));
    if (m) {
      i += m[0].length;
      if (!names.has(m[0])) fail(`unknown name ${m[0]}`);
      return { ref: names.get(m[0]) };
    }
    m = /^[0-9]+/.exec(s.slice(i));
    if (!m) fail('bad identifier');
    i += m[0].length;
    const k = Number(m[0]);
    if (k >= conds.length) fail(`unknown index ${k}`);
    return { ref: k };
  };
  const op = () => {
    ws();
    for (const [tok, o] of [['and', 'and'], ['&&', 'and'], ['or', 'or'], ['||', 'or']]) {
      if (s.startsWith(tok, i)) { i += tok.length; return o; }
    }
    return null;
  };
  const expr = () => {
    // AND binds tighter than OR: collect OR-separated AND chains.
    const ors = [[term()]];
    for (;;) {
      const save = i;
      const o = op();
      if (o === null) { i = save; break; }
      const t = term();
      if (o === 'and') ors[ors.length - 1].push(t);
      else ors.push([t]);
    }
    return { or: ors.map((ands) => ({ and: ands })) };
  };
  const e = expr();
  ws();
  if (i !== s.length) fail('trailing input');
  return e;
}

function evalRelation(e, truth) {
  if (e.ref !== undefined) return truth[e.ref];
  if (e.or) return e.or.some((x) => evalRelation(x, truth));
  return e.and.every((x) => evalRelation(x, truth));
}

function expandRelation(rel, n) {
  if (n === 0) return undefined;
  if (rel === undefined) rel = 'and';
  const t = rel.trim().toLowerCase();
  if (['and', 'or', '&&', '||'].includes(t)) {
    return Array.from({ length: n }, (_, k) => `$${k}`).join(` ${t} `);
  }
  return rel;
}

class ValidationError extends Error {
  constructor(kind, message) { super(message); this.kind = kind; }
}

// query.md §3.3: the only validation the evaluator does, because it changes which queries the
// generator may produce and the oracle has invalid queries of this kind.
function checkIncludeZero(t, iz) {
  const bad = (m) => { throw new ValidationError('TYPE_MISMATCH', m); };
  if (iz === true) {
    if (t.type === 'sum') bad('sum targets cannot take includeZero');
    const v = t.value;
    if (t.op === '>') bad("operator '>' never admits zero");
    if (t.op === '<' && v <= 0n) bad('target would need a negative count');
    if ((t.op === '==' || t.op === '>=') && v !== 0n) bad('target excludes zero');
    if (t.op === '!=' && v === 0n) bad('target excludes zero');
  } else if (iz === false && t.type === 'count' && t.op === '==' && t.value === 0n) {
    bad('count == 0 needs includeZero');
  }
}

// ---- evaluation (query.md §4, merged as §5 with decisions 1, 2, 10, 11, 12) --------------------

class Evaluator {
  constructor(schema) {
    this.schema = schema; // { groupId, timestamp, columns: {name: 'INT'|'FLOAT'|'BOOL'|'STRING'} }
  }

  type(col) {
    const t = this.schema.columns[col];
    if (!t) throw new Error(`unknown column ${col}`);
    return t;
  }

  rowMatches(row, f) {
    const x = row[f.column];
    const t = this.type(f.column);
    const v = f.value;
    if (isNull(x)) return f.op === '!=' || f.op === 'not contains';
    switch (t) {
      case 'STRING':
        if (f.op === '==') return x === v;
        if (f.op === '!=') return x !== v;
        if (f.op === 'contains') return x.includes(v);
        if (f.op === 'not contains') return !x.includes(v);
        throw new Error(`op ${f.op} on STRING`);
      case 'BOOL':
        if (f.op === '==') return x === v;
        if (f.op === '!=') return x !== v;
        throw new Error(`op ${f.op} on BOOL`);
      case 'INT':
        return applyOp(cmp(x, v), f.op);
      case 'FLOAT':
        return applyOp(cmp(x, Number(v)), f.op);
      default:
        throw new Error(`bad type ${t}`);
    }
  }

  rowMatchesAll(row, filters) { return filters.every((f) => this.rowMatches(row, f)); }

  key(col, x) {
    switch (this.type(col)) {
      case 'STRING': return x;
      case 'INT': return x.toString();
      case 'BOOL': return x ? 'True' : 'False';
      case 'FLOAT': return pyRepr(x);
      default: throw new Error('bad type');
    }
  }

  // Sum of a column over rows, nulls skipped: BigInt for INT, Neumaier-compensated for FLOAT.
  sum(col, rows) {
    if (this.type(col) === 'INT') {
      let s = 0n;
      for (const r of rows) if (!isNull(r[col])) s += r[col];
      return s;
    }
    let s = 0;
    let c = 0;
    for (const r of rows) {
      const x = r[col];
      if (isNull(x)) continue;
      const t = s + x;
      if (Math.abs(s) >= Math.abs(x)) c += s - t + x;
      else c += x - t + s;
      s = t;
    }
    return s + c;
  }

  // Number of leading steps a group passes (query.md §4.5: earliest match, strict ts order).
  stepsPassed(rows, steps) {
    const ts = this.schema.timestamp;
    let prev = null;
    let k = 0;
    for (const st of steps) {
      let best = null;
      for (const r of rows) {
        if (prev !== null && !(r[ts] > prev)) continue;
        if (!this.rowMatchesAll(r, st.filters)) continue;
        if (best === null || r[ts] < best) best = r[ts];
      }
      if (best === null) break;
      prev = best;
      k++;
    }
    return k;
  }

  condition(c, rows) {
    if (c.sequence) return this.stepsPassed(rows, c.sequence) === c.sequence.length;
    const m = rows.filter((r) => this.rowMatchesAll(r, c.filters));
    if (c.target.type === 'count') {
      const n = BigInt(m.length);
      if (n === 0n) return c.includeZero === true;
      return applyOp(cmp(n, c.target.value), c.target.op);
    }
    if (m.length === 0) return false;
    const s = this.sum(c.target.column, m);
    const v = this.type(c.target.column) === 'FLOAT' ? Number(c.target.value) : c.target.value;
    return applyOp(cmp(s, v), c.target.op);
  }

  aggregate(a, groups) {
    const c = a.column;
    const out = { column: a.column, type: a.type, value: null, top: null, name: a.name === undefined ? null : a.name };
    if (a.type === 'count') {
      let n = 0n;
      for (const g of groups) for (const r of g.rows) if (!isNull(r[c])) n++;
      out.value = n;
      return out;
    }
    out.top = a.top === undefined ? DEFAULT_TOP : a.top;
    out.fullMap = true;
    const byKey = new Map(); // key -> {rows, groups:Set}
    for (const g of groups) {
      for (const r of g.rows) {
        if (isNull(r[c])) continue;
        const k = this.key(c, r[c]);
        let e = byKey.get(k);
        if (!e) byKey.set(k, (e = { rows: [], groups: new Set() }));
        e.rows.push(r);
        e.groups.add(g.key);
      }
    }
    const value = {};
    const put = (k, v) => Object.defineProperty(value, k, { value: v, enumerable: true, writable: true, configurable: true });
    for (const [k, e] of byKey) {
      switch (a.type) {
        case 'countPerValue': put(k, BigInt(e.rows.length)); break;
        case 'groupsPerValue': put(k, BigInt(e.groups.size)); break;
        case 'sumPerValue': put(k, this.sum(a.otherColumn, e.rows)); break;
        case 'meanPerValue': {
          const nn = e.rows.filter((r) => !isNull(r[a.otherColumn])).length;
          if (nn === 0) break; // decision 1: no NaN; an all-null key is left out
          put(k, Number(this.sum(a.otherColumn, e.rows)) / nn);
          break;
        }
        default: throw new Error(`bad aggregation type ${a.type}`);
      }
    }
    out.value = value;
    return out;
  }

  aggregations(list, groups) {
    return list.length === 0 ? null : list.map((a) => this.aggregate(a, groups));
  }

  // rows: all rows of the dataset; q: the query document as a client sends it.
  run(rows, q) {
    const ts = this.schema.timestamp;
    const tf = q.timeframe || {};
    const tsType = this.type(ts);
    const bound = (v) => (tsType === 'FLOAT' ? Number(v) : v);
    const inFrame = rows.filter((r) =>
      (tf.from === undefined || cmp(r[ts], bound(tf.from)) >= 0) &&
      (tf.to === undefined || cmp(r[ts], bound(tf.to)) < 0));

    const gmap = new Map();
    for (const r of inFrame) {
      const k = this.key(this.schema.groupId, r[this.schema.groupId]);
      let g = gmap.get(k);
      if (!g) gmap.set(k, (g = { key: k, rows: [] }));
      g.rows.push(r);
    }
    const groups = [...gmap.values()];

    const qq = q.query || {};
    const conds = (qq.conditions || []).map((c) => {
      const name = c.name;
      if (c.sequence) return { name, sequence: c.sequence.map(expandStep) };
      const target = expandTarget(c.target);
      let includeZero = c.includeZero;
      if (includeZero === undefined && target.type === 'count' && target.op === '==' && target.value === 0n) includeZero = true;
      checkIncludeZero(target, includeZero);
      const filters = c.filter !== undefined ? [expandFilter(c.filter)] : c.filters.map(expandFilter);
      return { name, filters, target, includeZero };
    });
    let matching = groups;
    if (conds.length > 0) {
      const rel = parseRelation(expandRelation(qq.relation, conds.length), conds);
      matching = groups.filter((g) => evalRelation(rel, conds.map((c) => this.condition(c, g.rows))));
    }
    const rowCount = (gs) => BigInt(gs.reduce((n, g) => n + g.rows.length, 0));

    const result = { query: { matchingGroups: BigInt(matching.length), matchingGroupRows: rowCount(matching) } };
    const qa = this.aggregations(expandAggs(qq.aggregations), matching);
    if (qa !== null) result.query.aggregations = qa;

    if (q.funnel) {
      const steps = q.funnel.sequence.map(expandStep);
      const stepAggs = expandAggs(q.funnel.stepAggregations);
      const endAggs = expandAggs(q.funnel.endAggregations);
      const passed = matching.map((g) => this.stepsPassed(g.rows, steps));
      const seq = [];
      let last = [];
      for (let i = 0; i < steps.length; i++) {
        const gi = matching.filter((_, j) => passed[j] > i);
        seq.push({ matchingGroups: BigInt(gi.length), matchingGroupRows: rowCount(gi), aggregations: this.aggregations(stepAggs, gi) });
        last = gi;
      }
      result.funnel = { sequence: seq };
      const ea = this.aggregations(endAggs, last);
      if (ea !== null) result.funnel.endAggregations = ea;
    }
    return result;
  }
}

module.exports = { Evaluator, ValidationError, MAP_TYPES, isNull, cmp };

// The reference result as an engine prints it: maps cut to `top` (value descending, then key
// ascending, decision 2), no bookkeeping fields.
function toResponse(res) {
  const cutAgg = (a) => {
    const { fullMap, ...rest } = a;
    if (!fullMap) return rest;
    const ks = Object.keys(a.value).sort((x, y) => {
      const c = cmp(a.value[y], a.value[x]);
      return c !== 0 ? c : (x < y ? -1 : x > y ? 1 : 0);
    }).slice(0, Number(a.top));
    const value = {};
    for (const k of ks) Object.defineProperty(value, k, { value: a.value[k], enumerable: true, writable: true, configurable: true });
    return { ...rest, value };
  };
  const cutList = (l) => (l === null || l === undefined ? l : l.map(cutAgg));
  const out = { success: true, query: { ...res.query } };
  if (res.query.aggregations) out.query.aggregations = cutList(res.query.aggregations);
  if (res.funnel) {
    out.funnel = { sequence: res.funnel.sequence.map((s) => ({ ...s, aggregations: cutList(s.aggregations) })) };
    if (res.funnel.endAggregations) out.funnel.endAggregations = cutList(res.funnel.endAggregations);
  }
  return out;
}

module.exports.toResponse = toResponse;
