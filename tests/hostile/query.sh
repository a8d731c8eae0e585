#!/bin/sh
# Issue 13, query-engine classes, end to end against the built frocket:
#  1. relations of hostile length (flat AND/OR/mixed chains, deep parentheses) neither crash
#     nor grow memory with the expression's length, and answer as their short equivalents;
#  2. unsigned columns never give wrong answers: values that fit int64 are exact, a UINT_64
#     column holding a value above INT64_MAX is refused by name;
#  3. STRING values that are not UTF-8 print as distinct, reversible keys (\udcXX per byte),
#     so no JSON object has two equal keys and no count vanishes;
#  4. a document near the 8 MiB cap with 10,000 named conditions parses in linear time.
. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null 2>&1 || { echo "SKIP: python3 is needed"; exit 77; }
DS="$T/ds"
expect_rc 0 "gen a small dataset" "$FROCKET" gen --out "$DS" --parts 2 --rows 20k --no-progress
Q() { "$FROCKET" query -g visitorid -t timestamp --nopretty "$@"; }
# matching VALUE: "matchingGroups" of the query part of the last output
groups() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["query"]["matchingGroups"])' "$T/out" 2>/dev/null; }

# ---- 1. long relations ----
python3 - "$T" <<'PY'
import json, sys
t = sys.argv[1]
view = {"name": "a", "filter": ["event", "==", "transaction"]}
conds3 = [{"filter": ["event", "==", "transaction"]}, {"filter": ["event", "==", "addtocart"]},
          {"filter": ["price", ">", 900]}]
def w(name, rel, conds):
    open(f"{t}/{name}.json", "w").write(json.dumps({"query": {"relation": rel, "conditions": conds}}))
w("one", "$a", [view])
w("chain80k", " and ".join(["$a"] * 80000), [view])             # the issue's example
w("or3", "$0 or $1 or $2", conds3)
w("chain100k_or", " or ".join(f"${i % 3}" for i in range(100000)), conds3)
ops = ["and", "or", "&&", "||", "||"]
# terms cycle with period 3 and operators with period 5: 60,000 terms repeat the AND groups
# of the first 15 (an OR of ANDs), so both forms must agree
mixed = lambda n: "$0" + "".join(f" {ops[(i - 1) % 5]} ${i % 3}" for i in range(1, n))
w("mixed_short", mixed(15), conds3)
w("chain60k_mixed", mixed(60000), conds3)
w("and2", "$0 and $1", conds3)
deep = "".join(f"${i % 2} {'or' if i % 2 else 'and'} (" for i in range(200)) + "$1" + ")" * 200
w("deep200", deep, conds3)
w("deep201", "(" * 201 + "$0" + ")" * 201, conds3)
PY
expect_rc 0 "one condition" Q -f "$T/one.json" "$DS"/*.parquet; g0=$(groups)
expect_rc 0 "80,000-term AND chain of one condition" Q -f "$T/chain80k.json" "$DS"/*.parquet
[ "$(groups)" = "$g0" ] && ok "80k chain = its one condition ($g0 groups)" || fail "80k chain gives $(groups), want $g0"
expect_rc 0 "three-term OR" Q -f "$T/or3.json" "$DS"/*.parquet; g0=$(groups)
expect_rc 0 "100,000-term OR chain" Q -f "$T/chain100k_or.json" "$DS"/*.parquet
[ "$(groups)" = "$g0" ] && ok "100k OR chain = its short form" || fail "100k OR chain gives $(groups), want $g0"
expect_rc 0 "short mixed chain" Q -f "$T/mixed_short.json" "$DS"/*.parquet; g0=$(groups)
expect_rc 0 "60,000-term mixed chain" Q -f "$T/chain60k_mixed.json" "$DS"/*.parquet
[ "$(groups)" = "$g0" ] && ok "60k mixed chain = its short form" || fail "60k mixed chain gives $(groups), want $g0"
expect_rc 0 "two-term AND" Q -f "$T/and2.json" "$DS"/*.parquet; g0=$(groups)
expect_rc 0 "200 nested parentheses" Q -f "$T/deep200.json" "$DS"/*.parquet
[ "$(groups)" = "$g0" ] && ok "200-deep nesting = \$0 and \$1" || fail "200-deep nesting gives $(groups), want $g0"
expect_rc 2 "201 nested parentheses refused" Q -f "$T/deep201.json" "$DS"/*.parquet
grep -q "nested too deeply" "$T/out" && ok "nesting limit named" || fail "nesting error lacks 'nested too deeply': $(head -c 300 "$T/out")"

# ---- 2. unsigned columns ----
U="$TOP/tests/data/parquet/duckdb/unsigned_stats.parquet"
expect_rc 1 "UINT_64 above INT64_MAX refused" "$FROCKET" query -g uint -t utiny --nopretty \
	-s '{"query":{"conditions":[{"filter":["ubig",">",0]}]}}' "$U"
expect_err "column ubig.*18446744073709551615" "the refusal names the column and the value"
expect_rc 1 "UINT_64 refused as a map column too" "$FROCKET" query -g uint -t utiny --nopretty \
	-s '{"query":{"aggregations":[{"column":"ubig"}]}}' "$U"
expect_rc 1 "UINT_64 refused as the group column too" "$FROCKET" query -g ubig -t utiny --nopretty -e "$U"
expect_rc 0 "UINT_8/16 and an unannotated INT64 at their maxima" "$FROCKET" query -g uint -t utiny --nopretty \
	-s '{"query":{"conditions":[{"filter":["usmall",">",65534]},{"filter":["utiny","==",255]}],"aggregations":[{"column":"usmall"},{"column":"uint"}]}}' "$U"
python3 - "$T/out" <<'PY' && ok "unsigned maxima compare and print as unsigned" || fail "unsigned values wrong: $(head -c 400 "$T/out")"
import json, sys
d = json.load(open(sys.argv[1]))["query"]
v = {(a["column"], a["type"]): a["value"] for a in d["aggregations"]}
assert d["matchingGroups"] == 1, d
assert v[("usmall", "countPerValue")] == {"65535": 1}, v
assert v[("uint", "countPerValue")] == {"4294967295": 1}, v
PY

# ---- 3. invalid UTF-8 map keys ----
python3 - "$T/bad.parquet" <<'PY'
# A minimal Parquet file: required columns, one row group, PLAIN v1 pages, uncompressed.
import struct, sys
def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7f; n >>= 7
        if n: out.append(b | 0x80)
        else: out.append(b); return bytes(out)
def zz(n): return (n << 1) ^ (n >> 63)
class S:  # Thrift compact struct
    def __init__(self): self.b = bytearray(); self.last = 0
    def fh(self, fid, t):
        d = fid - self.last
        if 0 < d <= 15: self.b.append(d << 4 | t)
        else: self.b.append(t); self.b += varint(zz(fid))
        self.last = fid
    def i32(self, fid, v): self.fh(fid, 5); self.b += varint(zz(v)); return self
    def i64(self, fid, v): self.fh(fid, 6); self.b += varint(zz(v)); return self
    def bin(self, fid, v): self.fh(fid, 8); self.b += varint(len(v)) + v; return self
    def st(self, fid, s): self.fh(fid, 12); self.b += s.end(); return self
    def lst(self, fid, et, items):
        self.fh(fid, 9); n = len(items)
        self.b.append((n << 4 | et) if n < 15 else (0xf0 | et))
        if n >= 15: self.b += varint(n)
        for it in items:
            self.b += it.end() if et == 12 else varint(zz(it)) if et == 5 else varint(len(it)) + it
        return self
    def end(self): return bytes(self.b) + b'\x00'
def write(path, cols):
    nrows = len(cols[0][2]); out = bytearray(b'PAR1'); chunks = []
    for name, kind, vals in cols:
        if kind == 'str': data = b''.join(struct.pack('<I', len(v)) + v for v in vals); ptype = 6
        else: data = b''.join(struct.pack('<q', v) for v in vals); ptype = 2
        dph = S().i32(1, nrows).i32(2, 0).i32(3, 3).i32(4, 3)
        ph = S().i32(1, 0).i32(2, len(data)).i32(3, len(data)).st(5, dph).end()
        off = len(out); out += ph + data; size = len(ph) + len(data)
        md = S().i32(1, ptype).lst(2, 5, [0]).lst(3, 8, [name.encode()]).i32(4, 0) \
            .i64(5, nrows).i64(6, size).i64(7, size).i64(9, off)
        chunks.append(S().i64(2, off).st(3, md))
    schema = [S().bin(4, b'schema').i32(5, len(cols))]
    for name, kind, vals in cols:
        e = S().i32(1, 6 if kind == 'str' else 2).i32(3, 0).bin(4, name.encode())
        if kind == 'str': e.i32(6, 0)
        schema.append(e)
    rg = S().lst(1, 12, chunks).i64(2, len(out) - 4).i64(3, nrows)
    fmd = S().i32(1, 1).lst(2, 12, schema).i64(3, nrows).lst(4, 12, [rg]).end()
    out += fmd + struct.pack('<I', len(fmd)) + b'PAR1'
    open(path, 'wb').write(out)
# lone bytes that all printed "\ufffd" before, an overlong 'A' beside 'A', an encoded
# surrogate, a truncated sequence, and valid text (a real U+FFFD among it)
keys = [b'\xff', b'\xfe', b'\x80', b'A', b'\xc1\x81', b'\xed\xa0\x80', b'caf\xc3', b'caf\xc3\xa9',
        b'\xef\xbf\xbd']
rows = [k for i, k in enumerate(keys) for _ in range(i + 1)]
write(sys.argv[1], [('s', 'str', rows), ('ts', 'i64', list(range(len(rows)))),
                    ('uid', 'i64', [i % 4 for i in range(len(rows))])])
open(sys.argv[1] + '.keys', 'w').write(repr({k: i + 1 for i, k in enumerate(keys)}))
PY
check_keys() {
	python3 - "$T/out" "$T/bad.parquet.keys" "$1" <<'PY'
import ast, json, sys
def no_dup(pairs):
    keys = [k for k, _ in pairs]
    assert len(keys) == len(set(keys)), f"duplicate keys {keys}"
    return dict(pairs)
d = json.load(open(sys.argv[1]), object_pairs_hook=no_dup)
want = ast.literal_eval(open(sys.argv[2]).read())
aggs = d["query"]["aggregations"] if sys.argv[3] == "query" else d["funnel"]["endAggregations"]
m = [a for a in aggs if a["type"] == "countPerValue"][0]["value"]
got = {k.encode("utf-8", "surrogateescape"): v for k, v in m.items()}
assert got == want, f"{got} != {want}"
PY
}
expect_rc 0 "countPerValue over invalid UTF-8" "$FROCKET" query -g uid -t ts --nopretty \
	-s '{"query":{"aggregations":[{"column":"s","top":100}]}}' "$T/bad.parquet"
check_keys query && ok "distinct keys, every count, bytes recovered by surrogateescape" || fail "invalid UTF-8 keys: $(head -c 600 "$T/out")"
expect_rc 0 "the same with the string column as group id, in a funnel" "$FROCKET" query -g s -t ts --nopretty \
	-s '{"funnel":{"sequence":[{"filter":["ts",">=",0]}],"endAggregations":[{"column":"s","top":100}]}}' "$T/bad.parquet"
check_keys funnel && ok "funnel end aggregation keys distinct too" || fail "funnel keys: $(head -c 600 "$T/out")"
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["funnel"]["sequence"][0]["matchingGroups"] == 9' "$T/out" \
	&& ok "9 distinct string groups" || fail "string group ids merged: $(head -c 300 "$T/out")"

# ---- 4. a document near the size cap ----
python3 - "$T/big.json" <<'PY'
import json, sys
n = 10000
conds = [{"name": f"c{i}", "filter": ["event", "==", "transaction"]} for i in range(n)]
rel = " and ".join(f"$C{(i * 7919) % n}" for i in range(600000))
s = json.dumps({"query": {"relation": rel, "conditions": conds}})
assert len(s) < 8 << 20, len(s)
open(sys.argv[1], "w").write(s)
PY
expect_rc 0 "10,000 named conditions under a 600,000-term relation" Q -f "$T/big.json" "$DS"/*.parquet
expect_rc 0 "one transaction condition" Q -f "$T/one.json" "$DS"/*.parquet; g0=$(groups)
expect_rc 0 "again" Q -f "$T/big.json" "$DS"/*.parquet
[ "$(groups)" = "$g0" ] && ok "big document = its one condition" || fail "big document gives $(groups), want $g0"

finish
