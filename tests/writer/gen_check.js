// Checks a `frocket gen` dataset with DuckDB against what the README promises: row and user
// counts, event shares, the partitioning formula, the time window, nulls, row order.
// usage: node gen_check.js DIR ROWS USERS PARTS SORTED(0|1)    exit 0 ok, 1 bad, 77 skip
'use strict';
let duckdb;
try {
	duckdb = require('@duckdb/node-api');
} catch (e) {
	console.log('SKIP: @duckdb/node-api is not installed (run: cd bench && npm install)');
	process.exit(77);
}
const [dir, rowsS, usersS, partsS, sortedS] = process.argv.slice(2);
const ROWS = Number(rowsS), USERS = Number(usersS), PARTS = Number(partsS);
const SORTED = sortedS === '1';
let bad = 0;
function check(ok, msg) {
	if (!ok) {
		bad++;
		console.error('FAIL: ' + msg);
	}
}

// The documented partitioning: fmix64(visitorid) % parts.
const M64 = (1n << 64n) - 1n;
function fmix64(x) {
	x = BigInt.asUintN(64, x);
	x ^= x >> 33n; x = (x * 0xff51afd7ed558ccdn) & M64;
	x ^= x >> 33n; x = (x * 0xc4ceb9fe1a85ec53n) & M64;
	x ^= x >> 33n;
	return x;
}

async function main() {
	const inst = await duckdb.DuckDBInstance.create(':memory:');
	const con = await inst.connect();
	const q = async (sql) => (await con.runAndReadAll(sql)).getRowsJS();
	const src = `read_parquet('${dir}/part-*.parquet', filename = true)`;

	const [[rows, users, minTs, maxTs, cats, nullPrice, txMismatch, parts]] = await q(
		`SELECT count(*), count(DISTINCT visitorid), min(timestamp), max(timestamp),
		        count(DISTINCT categoryid), count(*) FILTER (price IS NULL),
		        count(*) FILTER ((event = 'transaction') != (transactionid IS NOT NULL)),
		        count(DISTINCT filename)
		   FROM ${src}`);
	check(Number(rows) === ROWS, `rows ${rows}, expected ${ROWS}`);
	check(Number(users) === USERS, `distinct visitors ${users}, expected ${USERS}`);
	check(Number(parts) === PARTS, `${parts} part files, expected ${PARTS}`);
	const T0 = 1430622000000n, T1 = T0 + 137n * 86400000n;
	check(minTs >= T0 && maxTs < T1, `timestamps ${minTs}..${maxTs} outside the 137-day window`);
	check(Number(cats) <= 1669 && Number(cats) > Math.min(1000, ROWS / 100),
		`${cats} distinct categoryid values`);
	const np = Number(nullPrice) / ROWS;
	check(np > 0.03 && np < 0.15, `null price share ${np}`);
	check(Number(txMismatch) === 0, `${txMismatch} rows where transactionid is set iff not a transaction`);

	const shares = Object.fromEntries((await q(
		`SELECT event, count(*) FROM ${src} GROUP BY 1`)).map(([e, n]) => [e, Number(n) / ROWS]));
	check(Math.abs(shares.view - 0.964) < 0.01, `view share ${shares.view}`);
	check(Math.abs(shares.addtocart - 0.027) < 0.006, `addtocart share ${shares.addtocart}`);
	check(Math.abs(shares.transaction - 0.009) < 0.003, `transaction share ${shares.transaction}`);

	// Funnels are non-trivial: visitors who viewed, carted, then bought, in that order.
	const [[funnel]] = await q(
		`SELECT count(*) FROM (SELECT visitorid FROM ${src} GROUP BY 1
		   HAVING min(timestamp) FILTER (event = 'addtocart') < max(timestamp) FILTER (event = 'transaction'))`);
	check(Number(funnel) > ROWS / 2000, `only ${funnel} visitors carted then bought`);

	// Heavy tail: the busiest visitor has far more events than the median one.
	const [[maxN, medN]] = await q(
		`SELECT max(n), median(n) FROM (SELECT count(*) n FROM ${src} GROUP BY visitorid)`);
	check(Number(maxN) >= 20 * Number(medN), `max events per visitor ${maxN}, median ${medN}`);

	// Every visitor lives in exactly the part the documented hash names.
	const placement = await q(
		`SELECT visitorid, min(filename), count(DISTINCT filename) FROM ${src} GROUP BY 1`);
	let wrong = 0;
	const perPart = new Array(PARTS).fill(0);
	for (const [v, f, n] of placement) {
		const p = Number(fmix64(v) % BigInt(PARTS));
		if (Number(n) !== 1 || !f.endsWith(`part-${String(p).padStart(5, '0')}.parquet`))
			wrong++;
	}
	check(wrong === 0, `${wrong} visitors not (only) in part fmix64(visitorid) % ${PARTS}`);
	const partRows = (await q(`SELECT filename, count(*) FROM ${src} GROUP BY 1`)).map((r) => Number(r[1]));
	for (const n of partRows)
		check(Math.abs(n - ROWS / PARTS) < 0.2 * ROWS / PARTS, `a part has ${n} rows, expected ~${ROWS / PARTS}`);

	// Order inside each part: sorted by (visitorid, timestamp) only with --sorted.
	const [[unordered]] = await q(
		`SELECT count(*) FROM (SELECT visitorid, timestamp, filename,
		        lag(visitorid) OVER (PARTITION BY filename ORDER BY file_row_number) pv,
		        lag(timestamp) OVER (PARTITION BY filename ORDER BY file_row_number) pt
		   FROM read_parquet('${dir}/part-*.parquet', filename = true, file_row_number = true))
		  WHERE pv > visitorid OR (pv = visitorid AND pt > timestamp)`);
	if (SORTED)
		check(Number(unordered) === 0, `${unordered} rows out of (visitorid, timestamp) order`);
	else
		check(Number(unordered) > ROWS / 10, `only ${unordered} rows out of order without --sorted`);

	if (bad) {
		console.error(`${bad} checks failed`);
		process.exit(1);
	}
	console.log(`gen dataset ok: ${rows} rows, ${users} visitors, shares ${JSON.stringify(shares)}`);
}
main().catch((e) => { console.error(e); process.exit(1); });
