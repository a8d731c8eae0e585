/* Dense index: per row a uint32 id for equal keys, in order of first appearance.  Group index
 * (key = group-id column) and value index (key = an aggregated column) alike. */
#include "kernels/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NEG_ZERO 0x8000000000000000ULL
/* Linear probing stays short up to this load; four slots share a cache line, so a second probe
 * is usually free, while a smaller table keeps a 2.5M-row part's table inside the L3 cache. */
#define MAX_LOAD 0.5

/* One slot per cache-line quarter: key and id+1 together so a probe touches one line. */
typedef struct slot {
	uint64_t key;
	uint32_t id1; /* id + 1; 0 = empty */
	uint32_t pad;
} slot;

typedef struct table {
	slot *s;
	uint64_t mask;
	int shift;
	uint32_t count;
	uint64_t *keys; /* keys[id], grown with the count */
	uint32_t keys_cap;
} table;

static inline uint64_t hash64(uint64_t x)
{
	/* Fibonacci hashing of the folded key: one multiply; only the TOP bits are used (table
	 * index, HyperLogLog register and rank), and those depend on every key bit.  The fold is
	 * a bijection, so distinct keys never share a hash. */
	return (x ^ (x >> 32)) * 0x9E3779B97F4A7C15ULL;
}

/* Slot array in scratch slot FR_SCR_TABLE, keys (in id order) in FR_SCR_KEYS. */
static int table_init(table *t, int bits)
{
	memset(t, 0, sizeof *t);
	t->s = fr_kern__scratch_zero(FR_SCR_TABLE, ((size_t)1 << bits) * sizeof *t->s);
	t->keys_cap = 4096;
	t->keys = fr_kern__scratch(FR_SCR_KEYS, t->keys_cap * sizeof *t->keys, 0);
	if (!t->s || !t->keys)
		return -1;
	t->mask = ((uint64_t)1 << bits) - 1;
	t->shift = 64 - bits;
	return 0;
}

/* Doubles the slot array (built in FR_SCR_TABLE2, then swapped in); ids stay as they are. */
static int table_grow(table *t)
{
	uint64_t ncap = (t->mask + 1) * 2;
	slot *ns = fr_kern__scratch_zero(FR_SCR_TABLE2, ncap * sizeof *ns);
	if (!ns)
		return -1;
	int nshift = t->shift - 1;
	for (uint64_t i = 0; i <= t->mask; i++) {
		if (!t->s[i].id1)
			continue;
		uint64_t j = hash64(t->s[i].key) >> nshift;
		while (ns[j].id1)
			j = (j + 1) & (ncap - 1);
		ns[j] = t->s[i];
	}
	fr_kern__scratch_swap(FR_SCR_TABLE, FR_SCR_TABLE2);
	t->s = ns;
	t->mask = ncap - 1;
	t->shift = nshift;
	return 0;
}

static int keys_push(table *t, uint64_t key)
{
	if (t->count == t->keys_cap) {
		uint32_t ncap = t->keys_cap > UINT32_MAX / 2 ? UINT32_MAX : t->keys_cap * 2;
		uint64_t *nk = fr_kern__scratch(FR_SCR_KEYS, (size_t)ncap * sizeof *nk, 1);
		if (!nk)
			return -1;
		t->keys = nk;
		t->keys_cap = ncap;
	}
	t->keys[t->count] = key;
	return 0;
}

static inline uint64_t load_key(const uint64_t *raw, int64_t i, int f64)
{
	uint64_t k = raw[i];
	if (f64 && k == NEG_ZERO)
		k = 0; /* -0.0 == 0.0 */
	return k;
}

/* Hash path over the rows in dom, a 64-row bitmap word per block.  Software-pipelined: the keys
 * of block w+1 are hashed and their slots prefetched before block w is probed, so each probe
 * finds its line already on the way (the table of a 2.5M-row part outgrows the caches). */
typedef struct block {
	uint64_t ks[64], hs[64];
	uint64_t m;
	int cnt;
} block;

static void block_prepare(block *b, const uint64_t *raw, int f64, int64_t len,
                          const uint64_t *dom, int64_t w, const table *t)
{
	int64_t base = w * 64;
	b->cnt = (int)(len - base < 64 ? len - base : 64);
	b->m = dom[w];
	if (!b->m)
		return;
	for (int j = 0; j < b->cnt; j++) {
		b->ks[j] = load_key(raw, base + j, f64);
		b->hs[j] = hash64(b->ks[j]);
	}
	for (uint64_t m = b->m; m; m &= m - 1)
		__builtin_prefetch(&t->s[b->hs[__builtin_ctzll(m)] >> t->shift]);
}

static int index_hash(const uint64_t *raw, int f64, int64_t len, const uint64_t *dom,
                      uint32_t *ids, table *t)
{
	block bufs[2];
	int64_t nw = (int64_t)FR_BITMAP_WORDS(len);
	block_prepare(&bufs[0], raw, f64, len, dom, 0, t);
	for (int64_t w = 0; w < nw; w++) {
		block *b = &bufs[w & 1];
		int64_t base = w * 64;
		/* keep the load factor <= MAX_LOAD even if all 64 rows are new */
		while ((uint64_t)t->count + 64 > (uint64_t)((double)(t->mask + 1) * MAX_LOAD))
			if (table_grow(t))
				return -1;
		if (w + 1 < nw)
			block_prepare(&bufs[(w + 1) & 1], raw, f64, len, dom, w + 1, t);
		uint64_t m = b->m;
		if (!m) { /* block_prepare did not hash these rows */
			for (int j = 0; j < b->cnt; j++)
				ids[base + j] = FR_KERN_NOGROUP;
			continue;
		}
		/* table fields in locals: with -fno-strict-aliasing every store to ids would otherwise
		 * force them to be reloaded */
		slot *const S = t->s;
		const uint64_t mask = t->mask;
		const int shift = t->shift;
		/* Phase 1, branch-free: every row looks at its home slot.  The 64 loads are independent,
		 * so their cache misses overlap instead of each stalling behind a mispredicted branch. */
		uint64_t hit = 0;
		for (int j = 0; j < b->cnt; j++) {
			const slot *sl = &S[b->hs[j] >> shift];
			uint32_t id1 = sl->id1;
			hit |= (uint64_t)((sl->key == b->ks[j]) & (id1 != 0)) << j;
			ids[base + j] = id1 - 1;
		}
		if (m != ~(uint64_t)0)
			for (uint64_t out = ~m & fr_kern__tail_mask(b->cnt); out; out &= out - 1)
				ids[base + __builtin_ctzll(out)] = FR_KERN_NOGROUP;
		/* Phase 2, in row order (so ids stay in order of first appearance): rows whose key is
		 * new or sits past its home slot; their lines are in cache after phase 1. */
		for (uint64_t miss = m & ~hit; miss; miss &= miss - 1) {
			int j = __builtin_ctzll(miss);
			uint64_t k = b->ks[j];
			uint64_t pos = b->hs[j] >> shift;
			uint32_t id1;
			for (;;) {
				slot *sl = &S[pos];
				id1 = sl->id1;
				if (sl->key == k && id1)
					break;
				if (!id1) {
					if (keys_push(t, k))
						return -1;
					sl->key = k;
					sl->id1 = id1 = ++t->count;
					break;
				}
				pos = (pos + 1) & mask;
			}
			ids[base + j] = id1 - 1;
		}
	}
	return 0;
}

/* Distinct keys among the rows in dom, estimated with a 4096-register HyperLogLog (about 2%
 * error) so the table is sized once instead of being grown and rehashed several times. */
static uint64_t estimate_distinct(const uint64_t *raw, int f64, int64_t len, const uint64_t *dom)
{
	enum { P = 12, M = 1 << P };
	uint8_t reg[M];
	memset(reg, 0, sizeof reg);
	int64_t nw = (int64_t)FR_BITMAP_WORDS(len);
	for (int64_t w = 0; w < nw; w++) {
		for (uint64_t m = dom[w]; m; m &= m - 1) {
			uint64_t h = hash64(load_key(raw, w * 64 + __builtin_ctzll(m), f64));
			uint32_t r = (uint32_t)(h >> (64 - P));
			/* leading zeros of the bits below the register index; the sentinel bit caps it */
			uint8_t rank = (uint8_t)(__builtin_clzll((h << P) | ((uint64_t)1 << (P - 1))) + 1);
			if (rank > reg[r])
				reg[r] = rank;
		}
	}
	double sum = 0;
	int zeros = 0;
	for (int i = 0; i < M; i++) {
		sum += ldexp(1.0, -reg[i]);
		zeros += !reg[i];
	}
	double e = 0.7213 / (1 + 1.079 / M) * M * M / sum;
	if (e <= 2.5 * M && zeros)
		e = M * log((double)M / zeros); /* linear counting for small cardinalities */
	return (uint64_t)e;
}

/* 1 if the keys of the rows in dom never decrease (as int64 or as double). */
static int keys_sorted(const uint64_t *raw, int f64, int64_t len, const uint64_t *dom)
{
	int have = 0;
	int64_t pi = 0;
	double pd = 0;
	int64_t nw = (int64_t)FR_BITMAP_WORDS(len);
	for (int64_t w = 0; w < nw; w++) {
		uint64_t m = dom[w];
		int64_t base = w * 64;
		if (m == ~(uint64_t)0 && !f64) {
			const int64_t *p = (const int64_t *)raw + base;
			int bad = have && p[0] < pi;
			for (int j = 1; j < 64; j++)
				bad |= p[j] < p[j - 1];
			if (bad)
				return 0;
			pi = p[63];
			have = 1;
			continue;
		}
		for (; m; m &= m - 1) {
			int64_t i = base + __builtin_ctzll(m);
			if (f64) {
				double d = ((const double *)raw)[i];
				if (have && d < pd)
					return 0;
				pd = d;
			} else {
				int64_t v = ((const int64_t *)raw)[i];
				if (have && v < pi)
					return 0;
				pi = v;
			}
			have = 1;
		}
	}
	return 1;
}

/* Sorted path: a new id at every key change, no hashing.  Two branch-free passes (count the
 * changes, then assign) so keys can be allocated exactly.  `prev` starts as the complement of
 * the first selected key, so the first row always opens id 0. */
static uint32_t sorted_pass(const uint64_t *raw, int f64, int64_t len, const uint64_t *dom,
                            uint64_t first, uint32_t *ids, uint64_t *keys)
{
	uint32_t id = UINT32_MAX;
	uint64_t prev = ~first;
	int64_t nw = (int64_t)FR_BITMAP_WORDS(len);
	for (int64_t w = 0; w < nw; w++) {
		uint64_t m = dom[w];
		int64_t base = w * 64;
		if (m == ~(uint64_t)0) {
			for (int64_t i = base; i < base + 64; i++) {
				uint64_t k = load_key(raw, i, f64);
				id += k != prev;
				prev = k;
				if (ids) {
					ids[i] = id;
					keys[id] = k; /* the last write per id is that id's key too */
				}
			}
			continue;
		}
		int cnt = (int)(len - base < 64 ? len - base : 64);
		if (ids)
			for (int j = 0; j < cnt; j++)
				ids[base + j] = FR_KERN_NOGROUP;
		for (; m; m &= m - 1) {
			int64_t i = base + __builtin_ctzll(m);
			uint64_t k = load_key(raw, i, f64);
			id += k != prev;
			prev = k;
			if (ids) {
				ids[i] = id;
				keys[id] = k;
			}
		}
	}
	return id + 1; /* 0 when nothing was selected */
}

static int index_sorted(const uint64_t *raw, int f64, int64_t len, const uint64_t *dom,
                        uint32_t *ids, fr_arena *arena, fr_kern_index *out)
{
	int64_t first_row = fr_kern_bm_next(dom, len, 0);
	uint64_t first = first_row >= 0 ? load_key(raw, first_row, f64) : 0;
	uint32_t n = sorted_pass(raw, f64, len, dom, first, NULL, NULL);
	uint64_t *keys = fr_arena_alloc(arena, (size_t)n * sizeof *keys);
	if (!keys)
		return -1;
	sorted_pass(raw, f64, len, dom, first, ids, keys);
	if (f64)
		out->key_f64 = (double *)keys;
	else
		out->key_i64 = (int64_t *)keys;
	out->n = n;
	out->sorted = 1;
	return 0;
}

/* DICT / BOOL: direct table from code to id. */
static int index_direct(const fr_vec *v, const uint64_t *dom_in, uint64_t *dom, uint32_t *ids,
                        fr_arena *arena, fr_kern_index *out)
{
	int64_t len = v->len;
	uint32_t ncodes = v->kind == FR_VEC_BOOL ? 2 : v->dict.n;
	uint32_t *map = fr_kern__scratch(FR_SCR_A, ((size_t)ncodes + 1) * sizeof *map, 0);
	uint32_t *first = fr_kern__scratch(FR_SCR_B, ((size_t)ncodes + 1) * sizeof *first, 0);
	if (!map || !first)
		return -1;
	memset(map, 0xff, ((size_t)ncodes + 1) * sizeof *map); /* FR_KERN_NOGROUP */
	uint32_t n = 0;
	int64_t nw = (int64_t)FR_BITMAP_WORDS(len);
	for (int64_t w = 0; w < nw; w++) {
		uint64_t m = dom_in[w], keep = m;
		int64_t base = w * 64;
		int cnt = (int)(len - base < 64 ? len - base : 64);
		for (int j = 0; j < cnt; j++) {
			int64_t i = base + j;
			if (!((m >> j) & 1)) {
				ids[i] = FR_KERN_NOGROUP;
				continue;
			}
			uint32_t c = v->kind == FR_VEC_BOOL ? (v->v.b[i] != 0) : v->v.codes[i];
			if (c >= ncodes) { /* corrupt code: no id, out of the domain */
				ids[i] = FR_KERN_NOGROUP;
				keep &= ~((uint64_t)1 << j);
				continue;
			}
			uint32_t id = map[c];
			if (id == FR_KERN_NOGROUP) {
				id = map[c] = n;
				first[n++] = c;
			}
			ids[i] = id;
		}
		dom[w] = keep;
	}
	out->n = n;
	int rc = 0;
	if (v->kind == FR_VEC_BOOL) {
		out->key_i64 = fr_arena_alloc(arena, (size_t)n * sizeof(int64_t));
		if (!out->key_i64)
			rc = -1;
		for (uint32_t i = 0; !rc && i < n; i++)
			out->key_i64[i] = first[i];
	} else {
		out->key_code = fr_arena_memdup(arena, first, (size_t)n * sizeof *first);
		if (!out->key_code)
			rc = -1;
	}
	return rc;
}

int fr_kern_index_build(const fr_vec *keys, const uint64_t *sel, fr_arena *arena,
                        fr_kern_index *out, fr_err *err)
{
	memset(out, 0, sizeof *out);
	int64_t len = keys->len;
	out->kind = keys->kind;
	out->len = len;
	if (keys->kind == FR_VEC_BIN)
		return fr_err_set(err, FR_EINVAL, "cannot index raw binary values");
	if (len < 0 || len > FR_KERN_MAX_ROWS)
		return fr_err_set(err, FR_ELIMIT, "%lld rows: at most %lld rows per part",
		                  (long long)len, (long long)FR_KERN_MAX_ROWS);
	size_t nw = FR_BITMAP_WORDS(len);
	out->ids = fr_arena_alloc(arena, (size_t)len * sizeof *out->ids);
	out->domain = fr_arena_alloc(arena, nw * sizeof *out->domain);
	if (!out->ids || !out->domain)
		goto nomem;
	if (len == 0)
		return 0;
	fr_kern_notnull(keys, out->domain);
	if (sel)
		fr_kern_bm_and(out->domain, out->domain, sel, len);

	if (keys->kind == FR_VEC_DICT || keys->kind == FR_VEC_BOOL) {
		if (index_direct(keys, out->domain, out->domain, out->ids, arena, out))
			goto nomem;
		return 0;
	}
	int f64 = keys->kind == FR_VEC_F64;
	const uint64_t *raw = (const uint64_t *)keys->v.ptr;
	if (keys_sorted(raw, f64, len, out->domain)) {
		if (index_sorted(raw, f64, len, out->domain, out->ids, arena, out))
			goto nomem;
		return 0;
	}
	/* size for the estimate plus a margin, never more than the rows need */
	int64_t rows = fr_kern_bm_popcount(out->domain, len);
	uint64_t est = estimate_distinct(raw, f64, len, out->domain);
	uint64_t want = est + est / 8 + 64;
	if (want > (uint64_t)rows + 64)
		want = (uint64_t)rows + 64;
	int bits = 12;
	while ((double)((uint64_t)1 << bits) * MAX_LOAD < (double)want)
		bits++;
	table t;
	if (table_init(&t, bits) || index_hash(raw, f64, len, out->domain, out->ids, &t))
		goto nomem;
	out->n = t.count;
	void *k = fr_arena_memdup(arena, t.keys, (size_t)t.count * sizeof(uint64_t));
	if (!k)
		goto nomem;
	if (f64)
		out->key_f64 = k;
	else
		out->key_i64 = k;
	return 0;
nomem:
	return fr_err_set(err, FR_ENOMEM, "out of memory indexing %lld rows", (long long)len);
}
