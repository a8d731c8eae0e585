// JSON that keeps what JSON.parse loses and the query language needs: integer literals become
// BigInt (exact int64 and past), literals with '.', 'e' or 'E' become Number (query.md §1.9).
'use strict';

function parse(text) {
  let i = 0;
  const n = text.length;
  const fail = (what) => {
    throw new SyntaxError(`JSON: ${what} at offset ${i}: ${JSON.stringify(text.slice(i, i + 30))}`);
  };
  const ws = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  const value = () => {
    ws();
    if (i >= n) fail('unexpected end');
    const c = text[i];
    if (c === '{') {
      i++;
      const o = {};
      ws();
      if (text[i] === '}') { i++; return o; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected key');
        const k = string();
        ws();
        if (text[i] !== ':') fail('expected :');
        i++;
        // defineProperty: a key such as "__proto__" must stay a plain data key
        Object.defineProperty(o, k, { value: value(), enumerable: true, writable: true, configurable: true });
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return o; }
        fail('expected , or }');
      }
    }
    if (c === '[') {
      i++;
      const a = [];
      ws();
      if (text[i] === ']') { i++; return a; }
      for (;;) {
        a.push(value());
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return a; }
        fail('expected , or ]');
      }
    }
    if (c === '"') return string();
    if (text.startsWith('true', i)) { i += 4; return true; }
    if (text.startsWith('false', i)) { i += 5; return false; }
    if (text.startsWith('null', i)) { i += 4; return null; }
    const m = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === '' || m[0] === '-') fail('unexpected token');
    i += m[0].length;
    if (m[2] === undefined && m[3] === undefined) return BigInt(m[0]);
    return Number(m[0]);
  };
  const string = () => {
    // JSON.parse does escapes and rejects control characters exactly as the standard says.
    const start = i;
    i++;
    while (i < n && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= n) fail('unterminated string');
    i++;
    return JSON.parse(text.slice(start, i));
  };
  const v = value();
  ws();
  if (i !== n) fail('trailing characters');
  return v;
}

// Shortest round-trip digits of a finite double, as Python's repr: `10.0`, `1e-05`, `1e+16`
// (query.md Appendix B).
function pyRepr(x) {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const neg = x < 0;
  const [mant, expStr] = Math.abs(x).toExponential().split('e');
  const digits = mant.replace('.', '');
  const e = Number(expStr);
  let s;
  if (e >= -4 && e < 16) {
    if (e >= 0) {
      const intPart = digits.length > e + 1 ? digits.slice(0, e + 1) : digits.padEnd(e + 1, '0');
      const frac = digits.length > e + 1 ? digits.slice(e + 1) : '0';
      s = `${intPart}.${frac}`;
    } else {
      s = `0.${'0'.repeat(-e - 1)}${digits}`;
    }
  } else {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const ae = Math.abs(e);
    s = `${m}e${e < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${ae}`;
  }
  return neg ? `-${s}` : s;
}

// Serialises BigInt as an integer literal and Number always as a float literal, so a value
// keeps its JSON type through a file (`5.0` stays FLOAT).
function stringify(v, indent) {
  const rec = (x, depth) => {
    const nl = indent ? '\n' + ' '.repeat(indent * (depth + 1)) : '';
    const end = indent ? '\n' + ' '.repeat(indent * depth) : '';
    if (x === null || x === undefined) return 'null';
    if (typeof x === 'bigint') return x.toString();
    if (typeof x === 'number') {
      if (!Number.isFinite(x)) throw new Error(`cannot write ${x} as JSON`);
      return pyRepr(x);
    }
    if (typeof x === 'boolean') return x ? 'true' : 'false';
    if (typeof x === 'string') return JSON.stringify(x);
    if (Array.isArray(x)) {
      if (x.length === 0) return '[]';
      return '[' + x.map((e) => nl + rec(e, depth + 1)).join(',') + end + ']';
    }
    const ks = Object.keys(x).filter((k) => x[k] !== undefined);
    if (ks.length === 0) return '{}';
    return '{' + ks.map((k) => nl + JSON.stringify(k) + (indent ? ': ' : ':') + rec(x[k], depth + 1)).join(',') + end + '}';
  };
  return rec(v, 0);
}

module.exports = { parse, stringify, pyRepr };
