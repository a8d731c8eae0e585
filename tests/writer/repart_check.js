// Checks a `frocket repartition` output with DuckDB: same column names and types as the
// input, the same multiset of rows (nulls and NaN included), every group id in exactly one
// part, the part the documented hash names.
// usage: node repart_check.js OUTDIR GROUPCOL PARTS INPUT...   exit 0 ok, 1 bad, 77 skip
'use strict';
let duckdb;
try {
	duckdb = require('@duckdb/node-api');
} catch (e) {
	console.log('SKIP: @duckdb/node-api is not installed (run: cd bench && npm install)');
	process.exit(77);
}
const [outDir, group, partsS, ...inputs] = process.argv.slice(2);
const PARTS = Number(partsS);
let bad = 0;
function check(ok, msg) {
	if (!ok) {
		bad++;
		console.error('FAIL: ' + msg);
	}
}
const M64 = (1n << 64n) - 1n;
function fmix64(x) {
	x = BigInt.asUintN(64, x);
	x ^= x >> 33n; x = (x * 0xff51afd7ed558ccdn) & M64;
	x ^= x >> 33n; x = (x * 0xc4ceb9fe1a85ec53n) & M64;
	x ^= x >> 33n;
	return x;
}
function fnv1a(buf) {
	let h = 0xcbf29ce484222325n;
	for (const b of buf) {
		h ^= BigInt(b);
		h = (h * 0x100000001b3n) & M64;
	}
	return h;
}
function partOf(v) {
	if (v === null) return 0;
	const h = typeof v === 'string' ? fmix64(fnv1a(Buffer.from(v, 'utf8'))) : fmix64(BigInt(v));
	return Number(h % BigInt(PARTS));
}
const lit = (s) => `'${s.replace(/'/g, "''")}'`;

async function main() {
	const inst = await duckdb.DuckDBInstance.create(':memory:');
	const con = await inst.connect();
	const q = async (sql) => (await con.runAndReadAll(sql)).getRowsJS();
	const inSrc = `read_parquet([${inputs.map(lit).join(', ')}])`;
	const outFiles = [];
	for (let p = 0; p < PARTS; p++)
		outFiles.push(`${outDir}/part-${String(p).padStart(5, '0')}.parquet`);
	const outSrc = `read_parquet([${outFiles.map(lit).join(', ')}], filename = true)`;

	const dIn = await q(`DESCRIBE SELECT * FROM ${inSrc}`);
	const dOut = await q(`DESCRIBE SELECT * EXCLUDE (filename) FROM ${outSrc}`);
	check(JSON.stringify(dIn.map((r) => [r[0], r[1]])) === JSON.stringify(dOut.map((r) => [r[0], r[1]])),
		`schema differs: ${JSON.stringify(dIn.map((r) => r.slice(0, 2)))} vs ${JSON.stringify(dOut.map((r) => r.slice(0, 2)))}`);

	const [[nIn]] = await q(`SELECT count(*) FROM ${inSrc}`);
	const [[nOut]] = await q(`SELECT count(*) FROM ${outSrc}`);
	check(nIn === nOut, `${nOut} rows written, ${nIn} read`);
	const [[extra]] = await q(`SELECT count(*) FROM (SELECT * EXCLUDE (filename) FROM ${outSrc}
		EXCEPT ALL SELECT * FROM ${inSrc})`);
	const [[missing]] = await q(`SELECT count(*) FROM (SELECT * FROM ${inSrc}
		EXCEPT ALL SELECT * EXCLUDE (filename) FROM ${outSrc})`);
	check(Number(extra) === 0 && Number(missing) === 0,
		`row multisets differ: ${extra} rows only in the output, ${missing} only in the input`);

	const g = `"${group.replace(/"/g, '""')}"`;
	const rows = await q(`SELECT ${g}, min(filename), count(DISTINCT filename) FROM ${outSrc} GROUP BY 1`);
	let wrong = 0;
	for (const [v, f, n] of rows)
		if (Number(n) !== 1 || !f.endsWith(`part-${String(partOf(v)).padStart(5, '0')}.parquet`))
			wrong++;
	check(wrong === 0, `${wrong} of ${rows.length} groups not (only) in their documented part`);
	if (bad) {
		console.error(`${bad} checks failed`);
		process.exit(1);
	}
	console.log(`repartition ok: ${nOut} rows, ${rows.length} groups in ${PARTS} parts`);
}
main().catch((e) => { console.error(e); process.exit(1); });
