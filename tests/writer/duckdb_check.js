// Reads every DIR/*.parquet written by frocket with DuckDB and compares it with DIR/<same>.json
// (written by the same tool): column types, every value (nulls, NaN, -0, infinities
// included), row-group sizes, per-chunk null counts and min/max statistics, created_by.
// usage: node duckdb_check.js DIR      exit 0 ok, 1 mismatch, 77 DuckDB not installed
'use strict';
const fs = require('fs');
const path = require('path');

let duckdb;
try {
	duckdb = require('@duckdb/node-api');
} catch (e) {
	console.log('SKIP: @duckdb/node-api is not installed (run: cd bench && npm install)');
	process.exit(77);
}

const DUCK_TYPES = { BOOLEAN: 'BOOLEAN', INT32: 'INTEGER', INT64: 'BIGINT', FLOAT: 'FLOAT',
	DOUBLE: 'DOUBLE', BYTE_ARRAY: 'VARCHAR' };

let failures = 0;
function fail(file, msg) {
	failures++;
	if (failures <= 30)
		console.error(`${file}: ${msg}`);
}

function expectedValue(type, e) {
	if (e === null)
		return null;
	if (type === 'INT64')
		return BigInt(e);
	if (type === 'FLOAT' || type === 'DOUBLE') {
		if (e === 'NaN') return NaN;
		if (e === 'Infinity') return Infinity;
		if (e === '-Infinity') return -Infinity;
		if (e === '-0') return -0;
		return type === 'FLOAT' ? Math.fround(e) : e;
	}
	return e;
}

function same(a, b) {
	if (typeof a === 'number' && typeof b === 'number')
		return Object.is(a, b) || (a === b && a !== 0);
	return a === b;
}

function show(x) {
	return typeof x === 'bigint' ? `${x}n` : Object.is(x, -0) ? '-0' : JSON.stringify(x);
}

function sqlStr(s) {
	return `'${s.replace(/'/g, "''")}'`;
}

async function checkFile(con, pq, exp) {
	const name = path.basename(pq);
	const types = exp.types;
	const cols = exp.columns;

	const desc = (await con.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${sqlStr(pq)})`))
		.getRowsJS();
	if (desc.length !== cols.length)
		fail(name, `${desc.length} columns, expected ${cols.length}`);
	desc.forEach((d, i) => {
		if (d[0] !== cols[i])
			fail(name, `column ${i} is ${d[0]}, expected ${cols[i]}`);
		if (d[1] !== DUCK_TYPES[types[i]])
			fail(name, `column ${cols[i]} has DuckDB type ${d[1]}, expected ${DUCK_TYPES[types[i]]}`);
	});

	const rows = (await con.runAndReadAll(
		`SELECT * FROM read_parquet(${sqlStr(pq)}) ORDER BY rowid`)).getRowsJS();
	if (rows.length !== exp.rows.length)
		fail(name, `${rows.length} rows, expected ${exp.rows.length}`);
	const n = Math.min(rows.length, exp.rows.length);
	for (let r = 0; r < n; r++)
		for (let c = 0; c < cols.length; c++) {
			const want = expectedValue(types[c], exp.rows[r][c]);
			const got = rows[r][c];
			if (!same(got, want))
				fail(name, `row ${r} column ${cols[c]}: got ${show(got)}, expected ${show(want)}`);
		}

	const fmeta = (await con.runAndReadAll(
		`SELECT created_by FROM parquet_file_metadata(${sqlStr(pq)})`)).getRowsJS();
	if (!/^frocket version /.test(fmeta[0][0]))
		fail(name, `created_by is ${fmeta[0][0]}`);

	const meta = (await con.runAndReadAll(
		`SELECT row_group_id, row_group_num_rows, column_id, stats_null_count, stats_min_value,
		        stats_max_value
		   FROM parquet_metadata(${sqlStr(pq)}) ORDER BY row_group_id, column_id`)).getRowsJS();
	let base = 0;
	const rgStart = exp.row_groups.map((k) => { const b = base; base += k; return b; });
	for (const m of meta) {
		const g = Number(m[0]), c = Number(m[2]);
		if (Number(m[1]) !== exp.row_groups[g])
			fail(name, `row group ${g} has ${m[1]} rows, expected ${exp.row_groups[g]}`);
		const vals = exp.rows.slice(rgStart[g], rgStart[g] + exp.row_groups[g]).map((x) => x[c]);
		const nulls = vals.filter((x) => x === null).length;
		if (Number(m[3]) !== nulls)
			fail(name, `row group ${g} column ${cols[c]}: null_count ${m[3]}, expected ${nulls}`);
		const nn = vals.filter((x) => x !== null);
		if (types[c] === 'INT64' || types[c] === 'INT32') {
			if (nn.length === 0) {
				if (m[4] !== null || m[5] !== null)
					fail(name, `row group ${g} column ${cols[c]}: min/max on an all-null chunk`);
				continue;
			}
			const big = nn.map((x) => BigInt(x));
			const mn = big.reduce((a, b) => (b < a ? b : a));
			const mx = big.reduce((a, b) => (b > a ? b : a));
			if (m[4] !== String(mn) || m[5] !== String(mx))
				fail(name, `row group ${g} column ${cols[c]}: stats ${m[4]}..${m[5]}, expected ${mn}..${mx}`);
		} else if (types[c] === 'BYTE_ARRAY' && nn.length) {
			const bufs = nn.map((x) => Buffer.from(x, 'utf8'));
			const mnb = bufs.reduce((a, b) => (Buffer.compare(b, a) < 0 ? b : a));
			const mxb = bufs.reduce((a, b) => (Buffer.compare(b, a) > 0 ? b : a));
			// Bounds longer than 1 KiB are left out of the footer.
			const long = mnb.length > 1024 || mxb.length > 1024;
			const mn = mnb.toString(), mx = mxb.toString();
			if (long ? m[4] !== null : (m[4] !== mn || m[5] !== mx))
				fail(name, `row group ${g} column ${cols[c]}: stats ${show(m[4])}..${show(m[5])}, expected ${show(mn)}..${show(mx)}`);
		}
	}
}

async function main() {
	const dir = process.argv[2];
	const files = fs.readdirSync(dir).filter((f) => f.endsWith('.parquet')).sort();
	if (!files.length) {
		console.error(`no .parquet files in ${dir}`);
		process.exit(1);
	}
	const inst = await duckdb.DuckDBInstance.create(':memory:');
	const con = await inst.connect();
	for (const f of files) {
		const pq = path.join(dir, f);
		const exp = JSON.parse(fs.readFileSync(pq.replace(/\.parquet$/, '.json'), 'utf8'));
		await checkFile(con, pq, exp);
	}
	if (failures) {
		console.error(`${failures} mismatches`);
		process.exit(1);
	}
	console.log(`${files.length} files read back identically by DuckDB`);
}

main().catch((e) => { console.error(e); process.exit(1); });
