/* Part results on the wire.  Layout (little-endian, core/bin.h):
 *   "FRQR" u8 version
 *   u8 has_funnel, u32 nfsteps, i64 scanned_rows, i64 scanned_groups
 *   stage(query)  [stage(step i) for each funnel step, aggs(end)]  when has_funnel
 * stage = i64 groups, i64 rows, aggs
 * aggs  = u8 present, u32 n, n x (u8 type, then i64 count for count, else
 *         u8 approximate, u32 nentries, nentries x entry)
 * entry = u32 klen + key bytes, i64 cnt, u64 isum low, u64 isum high, f64 fsum, f64 fcomp
 * Every entry field is sent whatever the aggregation type, so a round trip is exact and the
 * merge (which sums every field) sees what it would have seen in-process.  The shape written
 * with the data (funnel, steps, list sizes, aggregation types) is checked against the
 * decoder's query, so a result of another query is refused rather than merged.  Counts are
 * checked against what one part can hold (a part has at most FR_QRESULT_MAX_ROWS rows; no count
 * exceeds its rows, no group count its groups, no integer sum 2^104 in magnitude) so that
 * merging millions of decoded parts can never overflow the accumulator's integers. */
#include "query/wire.h"

#include <string.h>

#include "core/bin.h"

static const uint8_t MAGIC[4] = { 'F', 'R', 'Q', 'R' };

/* klen + cnt + isum + fsum + fcomp: the least an entry can take on the wire */
#define ISUM_MAX ((fr_i128)1 << 104)

#define ENTRY_MIN_BYTES (4 + 8 + 16 + 8 + 8)

static int put_map(fr_buf *b, const fr_qaggres *m)
{
	int rc = fr_bin_u8(b, (uint8_t)(m->approximate != 0));
	rc |= fr_bin_u32(b, m->n);
	for (uint32_t i = 0; i < m->n && !rc; i++) {
		const fr_qentry *e = &m->e[i];
		unsigned __int128 u = (unsigned __int128)e->isum;
		rc |= fr_bin_bytes(b, e->key, e->klen);
		rc |= fr_bin_i64(b, e->cnt);
		rc |= fr_bin_u64(b, (uint64_t)u);
		rc |= fr_bin_u64(b, (uint64_t)(u >> 64));
		rc |= fr_bin_f64(b, e->fsum);
		rc |= fr_bin_f64(b, e->fcomp);
	}
	return rc;
}

static int put_aggs(fr_buf *b, const fr_qagglist *l, const fr_qaggres *r)
{
	int present = l->present && r;
	int rc = fr_bin_u8(b, (uint8_t)present);
	rc |= fr_bin_u32(b, present ? (uint32_t)l->n : 0);
	for (int i = 0; present && i < l->n && !rc; i++) {
		rc |= fr_bin_u8(b, (uint8_t)l->a[i].type);
		if (l->a[i].type == FR_AGG_COUNT)
			rc |= fr_bin_i64(b, r[i].count);
		else
			rc |= put_map(b, &r[i]);
	}
	return rc;
}

static int put_stage(fr_buf *b, const fr_qagglist *l, const fr_qstage *s)
{
	int rc = fr_bin_i64(b, s->groups);
	rc |= fr_bin_i64(b, s->rows);
	return rc | put_aggs(b, l, s->aggs);
}

int fr_qresult_encode(const fr_query *q, const fr_qresult *r, fr_buf *b, fr_err *err)
{
	size_t start = b->len;
	int rc = fr_buf_append(b, MAGIC, sizeof MAGIC);
	rc |= fr_bin_u8(b, FR_QRESULT_WIRE_VERSION);
	rc |= fr_bin_u8(b, (uint8_t)(q->has_funnel != 0));
	rc |= fr_bin_u32(b, q->has_funnel ? (uint32_t)q->nfsteps : 0);
	rc |= fr_bin_i64(b, r->scanned_rows);
	rc |= fr_bin_i64(b, r->scanned_groups);
	rc |= put_stage(b, &q->aggs, &r->query);
	if (q->has_funnel) {
		for (int i = 0; i < q->nfsteps && !rc; i++)
			rc |= put_stage(b, &q->step_aggs, &r->steps[i]);
		rc |= put_aggs(b, &q->end_aggs, r->end);
	}
	if (rc) {
		b->len = start;   /* no half-written result left behind */
		return fr_err_set(err, rc == FR_ELIMIT ? FR_ELIMIT : FR_ENOMEM,
		                  "encoding a part result: %s", rc == FR_ELIMIT ?
		                  "a key longer than 4 GiB" : "out of memory");
	}
	return 0;
}

/* ---- decoding ---- */

/* A count in [0, max]. */
static int64_t get_count(fr_bin_reader *r, int64_t max, const char *what)
{
	int64_t v = fr_bin_get_i64(r);
	if (v < 0 || v > max) {
		fr_bin_fail(r, what);
		return 0;
	}
	return v;
}

static void get_map(fr_bin_reader *r, fr_arena *a, int64_t maxrows, fr_qaggres *m)
{
	m->approximate = fr_bin_get_bool(r);
	uint32_t n = fr_bin_get_count(r, ENTRY_MIN_BYTES);
	if (r->bad || n == 0)
		return;
	/* First pass: check the entries and total the key bytes, so all keys of the map go in one
	 * allocation (a key per arena allocation would cost 64 bytes of alignment each).  After
	 * it the second pass cannot run short. */
	fr_bin_reader scan = *r;
	size_t keybytes = 0;
	for (uint32_t i = 0; i < n && !scan.bad; i++) {
		size_t klen;
		fr_bin_get_bytes(&scan, &klen);
		keybytes += klen + 1;
		for (int k = 0; k < 5; k++)
			fr_bin_get_u64(&scan);
	}
	if (scan.bad) {
		*r = scan;
		return;
	}
	fr_qentry *e = fr_arena_calloc(a, n, sizeof *e);
	char *keys = fr_arena_alloc(a, keybytes ? keybytes : 1);
	if (!e || !keys) {
		fr_bin_fail(r, "out of memory");
		return;
	}
	for (uint32_t i = 0; i < n && !r->bad; i++) {
		size_t klen;
		const uint8_t *k = fr_bin_get_bytes(r, &klen);
		if (r->bad)
			break;
		memcpy(keys, k, klen);
		keys[klen] = 0;
		e[i].key = keys;
		e[i].klen = (uint32_t)klen;
		keys += klen + 1;
		e[i].cnt = get_count(r, maxrows, "map entry count out of range");
		uint64_t lo = fr_bin_get_u64(r), hi = fr_bin_get_u64(r);
		e[i].isum = (fr_i128)((unsigned __int128)hi << 64 | lo);
		if (e[i].isum > ISUM_MAX || e[i].isum < -ISUM_MAX)
			fr_bin_fail(r, "map entry sum out of range");
		e[i].fsum = fr_bin_get_f64(r);
		e[i].fcomp = fr_bin_get_f64(r);
	}
	if (r->bad)
		return;
	m->e = e;
	m->n = m->cap = n;
}

static void get_aggs(fr_bin_reader *r, fr_arena *a, int64_t maxrows, const fr_qagglist *l,
                     fr_qaggres *out)
{
	int present = fr_bin_get_bool(r);
	uint32_t n = fr_bin_get_u32(r);
	if (r->bad)
		return;
	if (present != (l->present != 0) || (present && n != (uint32_t)l->n) || (!present && n)) {
		fr_bin_fail(r, "aggregation list does not match the query");
		return;
	}
	for (uint32_t i = 0; i < n && !r->bad; i++) {
		uint8_t t = fr_bin_get_u8(r);
		if (r->bad)
			return;
		if (t != (uint8_t)l->a[i].type) {
			fr_bin_fail(r, "aggregation type does not match the query");
			return;
		}
		if (t == FR_AGG_COUNT)
			out[i].count = get_count(r, maxrows, "count out of range");
		else
			get_map(r, a, maxrows, &out[i]);
	}
}

static void get_stage(fr_bin_reader *r, const fr_qresult *res, const fr_qagglist *l,
                      fr_qstage *s)
{
	s->groups = get_count(r, res->scanned_groups, "matching groups out of range");
	s->rows = get_count(r, res->scanned_rows, "matching rows out of range");
	get_aggs(r, res->arena, res->scanned_rows, l, s->aggs);
}

int fr_qresult_decode(const fr_query *q, const void *data, size_t len, fr_qresult **out,
                      fr_err *err)
{
	*out = NULL;
	fr_qresult *res;
	if (fr_qresult_new(q, &res, err))
		return err->code;
	fr_bin_reader r;
	fr_bin_reader_init(&r, data, len);
	if (len < sizeof MAGIC || memcmp(data, MAGIC, sizeof MAGIC)) {
		fr_qresult_free(res);
		return fr_err_set(err, FR_ECORRUPT, "part result: bad magic (not an encoded result)");
	}
	r.p += sizeof MAGIC;
	uint8_t version = fr_bin_get_u8(&r);
	if (!r.bad && version != FR_QRESULT_WIRE_VERSION) {
		fr_qresult_free(res);
		return fr_err_set(err, FR_ECORRUPT, "part result: wire version %u, this build reads %u",
		                  version, FR_QRESULT_WIRE_VERSION);
	}
	int has_funnel = fr_bin_get_bool(&r);
	uint32_t nfsteps = fr_bin_get_u32(&r);
	if (!r.bad && (has_funnel != (q->has_funnel != 0) ||
	               nfsteps != (q->has_funnel ? (uint32_t)q->nfsteps : 0)))
		fr_bin_fail(&r, "funnel steps do not match the query");
	res->scanned_rows = get_count(&r, FR_QRESULT_MAX_ROWS, "scanned rows out of range");
	res->scanned_groups = get_count(&r, res->scanned_rows, "scanned groups out of range");
	get_stage(&r, res, &q->aggs, &res->query);
	if (q->has_funnel) {
		for (int i = 0; i < q->nfsteps && !r.bad; i++)
			get_stage(&r, res, &q->step_aggs, &res->steps[i]);
		get_aggs(&r, res->arena, res->scanned_rows, &q->end_aggs, res->end);
	}
	if (fr_bin_reader_done(&r, "part result", err)) {
		fr_qresult_free(res);
		return err->code;
	}
	*out = res;
	return 0;
}
