// Compares an engine response with an expected result by the oracle README's rules: ints exact,
// floats to a relative 1e-9, null-expected fields may be absent, map ties at the top-N cut.
// Returns a list of human-readable differences (empty = equal).
'use strict';

const { stringify } = require('./json.js');
const { cmp } = require('./ref.js'); // exact for BigInt past 2^53

const MAP_TYPES = new Set(['countPerValue', 'groupsPerValue', 'sumPerValue', 'meanPerValue']);
const REL = 1e-9;

const show = (v) => (v === undefined ? 'absent' : stringify(v));
const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isNum = (v) => typeof v === 'bigint' || typeof v === 'number';

function numEqual(exp, act) {
  if (typeof exp === 'bigint') return typeof act === 'bigint' && act === exp;
  if (!isNum(act)) return false;
  const a = Number(act);
  if (a === exp) return true;
  return Math.abs(a - exp) <= REL * Math.max(Math.abs(a), Math.abs(exp)) || Math.abs(a - exp) < 1e-300;
}

// exp/act: {key: number}. full = exp is the whole map (reference evaluator) rather than the
// expected top-N (oracle). The last kept places may be any of the keys tied at the cut.
function compareMap(exp, act, top, full, path, out) {
  if (!isObj(act)) { out.push(`${path}: expected a map, got ${show(act)}`); return; }
  const ek = Object.keys(exp);
  const ak = Object.keys(act);
  for (const k of ak) {
    if (!isNum(act[k])) out.push(`${path}[${JSON.stringify(k)}]: not a number: ${show(act[k])}`);
  }
  if (out.length) return;
  const sorted = ek.map((k) => exp[k]).sort((a, b) => cmp(b, a));
  const n = Number(top);
  const complete = full ? ek.length <= n : ek.length < n;
  if (complete) {
    for (const k of ek) {
      if (!(k in act)) out.push(`${path}: missing key ${JSON.stringify(k)} (expected ${show(exp[k])})`);
      else if (!numEqual(exp[k], act[k])) out.push(`${path}[${JSON.stringify(k)}]: expected ${show(exp[k])}, got ${show(act[k])}`);
    }
    for (const k of ak) if (!(k in exp)) out.push(`${path}: unexpected key ${JSON.stringify(k)} = ${show(act[k])}`);
    return;
  }
  const cut = sorted[n - 1];
  const tied = (v) => numEqual(typeof cut === 'bigint' ? cut : Number(cut), typeof cut === 'bigint' ? v : Number(v));
  const below = (v) => !tied(v) && cmp(v, cut) < 0;
  if (ak.length !== n) out.push(`${path}: expected ${n} entries (top), got ${ak.length}`);
  for (const k of ek) {
    if (tied(exp[k]) || below(exp[k])) continue;
    if (!(k in act)) out.push(`${path}: missing key ${JSON.stringify(k)} (expected ${show(exp[k])}, above the cut ${show(cut)})`);
  }
  for (const k of ak) {
    if (k in exp) {
      if (!numEqual(exp[k], act[k])) out.push(`${path}[${JSON.stringify(k)}]: expected ${show(exp[k])}, got ${show(act[k])}`);
      else if (below(exp[k])) out.push(`${path}: key ${JSON.stringify(k)} = ${show(act[k])} is below the cut ${show(cut)}`);
    } else if (full) {
      out.push(`${path}: unexpected key ${JSON.stringify(k)} = ${show(act[k])}`);
    } else if (!tied(act[k])) {
      out.push(`${path}: unexpected key ${JSON.stringify(k)} = ${show(act[k])} (only keys tied at ${show(cut)} may differ)`);
    }
  }
}

function compareAgg(exp, act, path, out) {
  if (!isObj(act)) { out.push(`${path}: expected an aggregation object, got ${show(act)}`); return; }
  for (const k of Object.keys(exp)) {
    if (k === 'fullMap' || k === 'value') continue;
    if (exp[k] === null) {
      if (act[k] !== null && act[k] !== undefined) out.push(`${path}.${k}: expected null or absent, got ${show(act[k])}`);
    } else if (typeof exp[k] === 'bigint' || typeof exp[k] === 'number') {
      if (!numEqual(exp[k], act[k])) out.push(`${path}.${k}: expected ${show(exp[k])}, got ${show(act[k])}`);
    } else if (exp[k] !== act[k]) {
      out.push(`${path}.${k}: expected ${show(exp[k])}, got ${show(act[k])}`);
    }
  }
  for (const k of Object.keys(act)) {
    if (k in exp) continue;
    // decision 2: "approximate": true marks a cut map; exact maps may say false or nothing
    if (k === 'approximate' && act[k] === false) continue;
    out.push(`${path}: unexpected member ${JSON.stringify(k)} = ${show(act[k])}`);
  }
  if (!('value' in act)) { out.push(`${path}.value: absent`); return; }
  if (MAP_TYPES.has(exp.type)) compareMap(exp.value, act.value, exp.top, exp.fullMap === true, `${path}.value`, out);
  else if (!numEqual(exp.value, act.value)) out.push(`${path}.value: expected ${show(exp.value)}, got ${show(act.value)}`);
}

function compareAggList(exp, act, path, out) {
  if (exp === null || exp === undefined) {
    if (act !== null && act !== undefined) out.push(`${path}: expected null or absent, got ${show(act)}`);
    return;
  }
  if (!Array.isArray(act)) { out.push(`${path}: expected a list of ${exp.length}, got ${show(act)}`); return; }
  if (act.length !== exp.length) { out.push(`${path}: expected ${exp.length} aggregations, got ${act.length}`); return; }
  exp.forEach((e, i) => compareAgg(e, act[i], `${path}[${i}]`, out));
}

function compareCounts(exp, act, path, out, extraKeys) {
  if (!isObj(act)) { out.push(`${path}: expected an object, got ${show(act)}`); return; }
  for (const k of ['matchingGroups', 'matchingGroupRows']) {
    if (!numEqual(exp[k], act[k])) out.push(`${path}.${k}: expected ${show(exp[k])}, got ${show(act[k])}`);
  }
  compareAggList(exp.aggregations, act.aggregations, `${path}.aggregations`, out);
  for (const k of Object.keys(act)) {
    if (!['matchingGroups', 'matchingGroupRows', 'aggregations', ...extraKeys].includes(k)) out.push(`${path}: unexpected member ${JSON.stringify(k)}`);
  }
}

// exp: {query, funnel?}; act: the whole response document.
function compareResult(exp, act) {
  const out = [];
  if (!isObj(act)) return [`response is not a JSON object: ${show(act)}`];
  if (act.success !== true) return [`response success is ${show(act.success)}: ${show(act.errorKind)} ${show(act.errorMessage)}`];
  compareCounts(exp.query, act.query, 'query', out, []);
  if (exp.funnel === undefined || exp.funnel === null) {
    if (act.funnel !== undefined && act.funnel !== null) out.push(`funnel: expected absent, got ${show(act.funnel)}`);
  } else if (!isObj(act.funnel)) {
    out.push(`funnel: expected an object, got ${show(act.funnel)}`);
  } else {
    const es = exp.funnel.sequence;
    const as = act.funnel.sequence;
    if (!Array.isArray(as) || as.length !== es.length) {
      out.push(`funnel.sequence: expected ${es.length} steps, got ${show(as)}`);
    } else {
      es.forEach((e, i) => compareCounts(e, as[i], `funnel.sequence[${i}]`, out, []));
    }
    compareAggList(exp.funnel.endAggregations, act.funnel.endAggregations, 'funnel.endAggregations', out);
    for (const k of Object.keys(act.funnel)) {
      if (k !== 'sequence' && k !== 'endAggregations') out.push(`funnel: unexpected member ${JSON.stringify(k)}`);
    }
  }
  return out;
}

module.exports = { compareResult, numEqual };
