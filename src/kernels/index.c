/* Dense index: per row a uint32 id for equal keys, in order of first appearance.  Group index
 * (key = group-id column) and value index (key = an aggregated column) alike. */
#include "kernels/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NEG_ZERO 0x8000000000000000ULL
/* Linear probing stays short up to this load; four slots share a cache line, so a second probe
 * is usually free, while a smaller table keeps more of a 2.5M-row part's table in cache. */
#define MAX_LOAD 0.6
/* Tables up to this many slots (256 KiB) stay in L2: no software prefetch for them. */
#define PREFETCH_MIN_SLOTS (1u << 14)

/* One slot per cache-line quarter: key and id together so a probe touches one line.  A slot is
 * occupied iff its epoch is the table's current one, so a retained table is reused without
 * clearing it: each build (and each growth) takes a new epoch. */
typedef struct slot {
	uint64_t key;
	uint32_t id;
	uint32_t epoch;
} slot;

typedef struct table {
	slot *s;
	uint64_t cap;   /* slots; any multiple of 64 (positions by multiply-shift, not masking) */
	uint32_t epoch;
	uint32_t count;
	uint64_t *keys; /* keys[id], grown with the count */
	uint32_t keys_cap;
} table;

/* Per thread: the last epoch handed out, and the most keys one build has needed (the starting
 * size of the next table, so a thread indexing similar parts sizes its table once). */
static __thread uint32_t tl_epoch;
static __thread uint32_t tl_hint;

/* A new epoch; on wrap-around (after 2^32 builds) the retained tables are dropped, since fresh
 * scratch memory is zeroed and epoch 0 is never used. */
static uint32_t next_epoch(void)
{
	if (++tl_epoch == 0) {
		fr_kern__scratch_drop(FR_SCR_TABLE);
		fr_kern__scratch_drop(FR_SCR_TABLE2);
		tl_epoch = 1;
	}
	return tl_epoch;
}

void fr_kern__index_set_epoch(uint32_t epoch, uint32_t hint)
{
	/* tables stamped with later epochs would look occupied once the epoch is moved back */
	fr_kern__scratch_drop(FR_SCR_TABLE);
	fr_kern__scratch_drop(FR_SCR_TABLE2);
	tl_epoch = epoch;
	tl_hint = hint;
}

/* Home slot of hash h in a table of cap slots: Lemire's multiply-shift range reduction (the
 * high half of h * cap, led by the hash's top bits), so the table need not be a power of two
 * (that wastes up to half the memory, and these tables outgrow the caches). */
static inline uint64_t home(uint64_t h, uint64_t cap)
{
	return (uint64_t)(((unsigned __int128)h * cap) >> 64);
}

static inline uint64_t hash64(uint64_t x)
{
	/* Fibonacci hashing of the folded key: one multiply; only the TOP bits are used (the table
	 * index), and those depend on every key bit.  The fold is a bijection, so distinct keys
	 * never share a hash. */
	return (x ^ (x >> 32)) * 0x9E3779B97F4A7C15ULL;
}

/* Slot array in scratch slot FR_SCR_TABLE (never cleared: see slot), keys in FR_SCR_KEYS. */
static int table_init(table *t, uint64_t cap)
{
	memset(t, 0, sizeof *t);
	t->epoch = next_epoch(); /* first: on wrap-around it drops the retained tables */
	t->s = fr_kern__scratch(FR_SCR_TABLE, cap * sizeof *t->s, 0);
	t->keys_cap = 4096;
	t->keys = fr_kern__scratch(FR_SCR_KEYS, t->keys_cap * sizeof *t->keys, 0);
	if (!t->s || !t->keys)
		return -1;
	t->cap = cap;
	return 0;
}

/* Doubles the slot array (built in FR_SCR_TABLE2 under a new epoch, then swapped in); ids stay
 * as they are. */
static int table_grow(table *t)
{
	uint64_t ncap = t->cap * 2;
	uint32_t old = t->epoch;
	/* on wrap-around next_epoch would drop the table being grown: restart the epochs here,
	 * from fresh zeroed memory, and drop the old table once copied */
	int wrap = tl_epoch == UINT32_MAX;
	if (wrap)
		fr_kern__scratch_drop(FR_SCR_TABLE2);
	uint32_t ep = wrap ? (tl_epoch = 1) : ++tl_epoch;
	slot *ns = fr_kern__scratch(FR_SCR_TABLE2, ncap * sizeof *ns, 0);
	if (!ns)
		return -1;
	for (uint64_t i = 0; i < t->cap; i++) {
		if (t->s[i].epoch != old)
			continue;
		uint64_t j = home(hash64(t->s[i].key), ncap);
		while (ns[j].epoch == ep)
			j = j + 1 == ncap ? 0 : j + 1;
		ns[j] = t->s[i];
		ns[j].epoch = ep;
	}
	fr_kern__scratch_swap(FR_SCR_TABLE, FR_SCR_TABLE2);
	if (wrap) /* its stale epochs could match the restarted ones */
		fr_kern__scratch_drop(FR_SCR_TABLE2);
	t->s = ns;
	t->cap = ncap;
	t->epoch = ep;
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

/* Linear probing from pos: the id of key k, inserting it with the next id if the table (slots
 * of the current epoch ep) does not hold it yet.  -1 when the key list cannot grow. */
static inline int probe_insert(table *t, slot *S, uint64_t cap, uint32_t ep, uint64_t k,
	uint64_t pos, uint32_t *id)
{
	for (;;) {
		slot *sl = &S[pos];
		if (sl->epoch != ep) {
			if (keys_push(t, k))
				return -1;
			sl->key = k;
			sl->epoch = ep;
			*id = sl->id = t->count++;
			return 0;
		}
		if (sl->key == k) {
			*id = sl->id;
			return 0;
		}
		pos = pos + 1 == cap ? 0 : pos + 1;
	}
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
	if (t->cap <= PREFETCH_MIN_SLOTS) /* a cache-resident table gains nothing from it */
		return;
	for (uint64_t m = b->m; m; m &= m - 1)
		__builtin_prefetch(&t->s[home(b->hs[__builtin_ctzll(m)], t->cap)]);
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
		while ((uint64_t)t->count + 64 > (uint64_t)((double)t->cap * MAX_LOAD))
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
		const uint64_t cap = t->cap;
		const uint32_t ep = t->epoch;
		/* Phase 1, branch-free: every row looks at its home slot.  The 64 loads are independent,
		 * so their cache misses overlap instead of each stalling behind a mispredicted branch. */
		uint64_t hit = 0;
		for (int j = 0; j < b->cnt; j++) {
			const slot *sl = &S[home(b->hs[j], cap)];
			hit |= (uint64_t)((sl->key == b->ks[j]) & (sl->epoch == ep)) << j;
			ids[base + j] = sl->id;
		}
		if (m != ~(uint64_t)0)
			for (uint64_t out = ~m & fr_kern__tail_mask(b->cnt); out; out &= out - 1)
				ids[base + __builtin_ctzll(out)] = FR_KERN_NOGROUP;
		/* Phase 2, in row order (so ids stay in order of first appearance): rows whose key is
		 * new or sits past its home slot; their lines are in cache after phase 1. */
		for (uint64_t miss = m & ~hit; miss; miss &= miss - 1) {
			int j = __builtin_ctzll(miss);
			uint64_t k = b->ks[j];
			uint32_t id;
			if (probe_insert(t, S, cap, ep, k, home(b->hs[j], cap), &id))
				return -1;
			ids[base + j] = id;
		}
	}
	return 0;
}

/* Radix-partitioned build for many distinct keys, whose one big table would be probed at
 * random (a cache miss per row).  Rows are split by the top hash bits into buckets small enough
 * that each bucket's table stays in L2: (1) count rows per bucket, (2) scatter the keys into
 * bucket order (sequential writes into a few hundred streams), (3) per bucket, a small table
 * under a fresh epoch of FR_SCR_TABLE assigns ids into a bucket-ordered array, (4) a pass in row
 * order gathers the ids back, each bucket's ids read in the order they were scattered.  Ids are
 * therefore dense but grouped by bucket, not in order of first appearance.  Hashing again in
 * every pass is cheaper than storing hashes: one multiply against a memory stream. */
enum { RADIX_MIN_KEYS = 1 << 15, RADIX_ROWS_PER_BUCKET = 8192, RADIX_MAX_BITS = 10 };

static int index_radix(const uint64_t *raw, int64_t len, const uint64_t *dom, int64_t rows,
                       uint64_t want, uint32_t *ids, int count_only, table *t)
{
	int bits = 4;
	/* tables sized by the rows of a bucket (its distinct keys are at most that): 512 buckets
	 * of ~5k rows (~128 KiB tables) measured fastest for a 2.5M-row part */
	while (bits < RADIX_MAX_BITS && ((int64_t)1 << bits) * RADIX_ROWS_PER_BUCKET < rows)
		bits++;
	const int nb = 1 << bits, shift = 64 - bits;
	int64_t off[(1 << RADIX_MAX_BITS) + 1], cur[1 << RADIX_MAX_BITS];
	memset(cur, 0, sizeof cur);
	int64_t nw = (int64_t)FR_BITMAP_WORDS(len);
	for (int64_t w = 0; w < nw; w++)
		for (uint64_t m = dom[w]; m; m &= m - 1)
			cur[hash64(raw[w * 64 + __builtin_ctzll(m)]) >> shift]++;
	if (want > t->keys_cap) { /* ids never exceed the selected rows, nor want (<= rows + 64) */
		t->keys = fr_kern__scratch(FR_SCR_KEYS, (size_t)want * sizeof *t->keys, 0);
		if (!t->keys)
			return -1;
		t->keys_cap = (uint32_t)want;
	}
	/* bucket b's keys: [off[b], off[b] + cnt[b]), each bucket starting on a line boundary so
	 * that the split can write whole lines (fr_kern__stream_line) */
	enum { KL = FR_KERN_LINE / sizeof(uint64_t) };
	int64_t maxb = 0, at = 0;
	for (int b = 0; b < nb; b++) {
		off[b] = at;
		at += (cur[b] + KL - 1) / KL * KL;
		maxb = cur[b] > maxb ? cur[b] : maxb;
	}
	off[nb] = at;
	uint64_t *sk = fr_kern__scratch(FR_SCR_A, (size_t)(at + KL) * sizeof *sk + FR_KERN_LINE, 0);
	uint32_t *sid = fr_kern__scratch(FR_SCR_B, (size_t)(at ? at : 1) * sizeof *sid, 0);
	uint64_t *line = fr_kern__scratch(FR_SCR_C, (size_t)nb * FR_KERN_LINE + FR_KERN_LINE, 0);
	if (!sk || !sid || !line)
		return -1;
	sk = (uint64_t *)(((uintptr_t)sk + FR_KERN_LINE - 1) & ~(uintptr_t)(FR_KERN_LINE - 1));
	line = (uint64_t *)(((uintptr_t)line + FR_KERN_LINE - 1) & ~(uintptr_t)(FR_KERN_LINE - 1));
	int64_t cnt[1 << RADIX_MAX_BITS];
	memcpy(cnt, cur, (size_t)nb * sizeof *cnt);
	for (int b = 0; b < nb; b++)
		cur[b] = off[b];
	for (int64_t w = 0; w < nw; w++)
		for (uint64_t m = dom[w]; m; m &= m - 1) {
			uint64_t k = raw[w * 64 + __builtin_ctzll(m)];
			int b = (int)(hash64(k) >> shift);
			int64_t p = cur[b]++;
			uint64_t *l = line + (size_t)b * KL;
			l[p % KL] = k;
			if (p % KL == KL - 1)
				fr_kern__stream_line(sk + p - (KL - 1), l);
		}
	fr_kern__stream_done();
	for (int b = 0; b < nb; b++) /* the partly filled lines */
		if (cur[b] % KL)
			memcpy(sk + cur[b] - cur[b] % KL, line + (size_t)b * KL,
			       (size_t)(cur[b] % KL) * sizeof *sk);
	/* a bucket's distinct keys never exceed its rows: this size keeps every load <= MAX_LOAD */
	uint64_t cap = ((uint64_t)((double)maxb / MAX_LOAD) + 64 + 63) & ~(uint64_t)63;
	for (int b = 0; b < nb; b++) {
		int64_t o0 = off[b], o1 = off[b] + cnt[b];
		if (o0 == o1)
			continue;
		uint32_t ep = next_epoch(); /* before the lookup: a wrap-around drops the table */
		slot *S = fr_kern__scratch(FR_SCR_TABLE, cap * sizeof *S, 0);
		if (!S)
			return -1;
		/* 64 keys at a time: each looks at its home slot without a branch (a key seen before
		 * usually sits there), then the others probe and insert, in order */
		for (int64_t p0 = o0; p0 < o1; p0 += 64) {
			int n = (int)(o1 - p0 < 64 ? o1 - p0 : 64);
			uint64_t hit = 0;
			for (int j = 0; j < n; j++) {
				uint64_t k = sk[p0 + j];
				const slot *sl = &S[home(hash64(k) << bits, cap)];
				hit |= (uint64_t)((sl->key == k) & (sl->epoch == ep)) << j;
				sid[p0 + j] = sl->id;
			}
			for (uint64_t miss = ~hit & fr_kern__tail_mask(n); miss; miss &= miss - 1) {
				int j = __builtin_ctzll(miss);
				uint64_t k = sk[p0 + j];
				uint32_t id;
				if (probe_insert(t, S, cap, ep, k, home(hash64(k) << bits, cap), &id))
					return -1;
				sid[p0 + j] = id;
			}
		}
	}
	if (count_only) /* the distinct keys are counted: no ids to gather back */
		return 0;
	for (int b = 0; b < nb; b++)
		cur[b] = off[b];
	for (int64_t w = 0; w < nw; w++) {
		uint64_t m = dom[w];
		int64_t base = w * 64;
		int cnt_ = (int)(len - base < 64 ? len - base : 64);
		if (m != ~(uint64_t)0)
			for (int j = 0; j < cnt_; j++)
				ids[base + j] = FR_KERN_NOGROUP;
		for (; m; m &= m - 1) {
			int64_t i = base + __builtin_ctzll(m);
			/* a few hundred read streams defeat the hardware prefetcher: fetch ahead where
			 * the row 32 on will read (its stream's position now, near enough) */
			if (i + 32 < len)
				__builtin_prefetch(&sid[cur[hash64(raw[i + 32]) >> shift]]);
			ids[i] = sid[cur[hash64(raw[i]) >> shift]++];
		}
	}
	return 0;
}

/* Distinct keys among the rows in dom, estimated with a 4096-register HyperLogLog (about 2%
 * error): a table sized once avoids growing through ever larger fresh tables, whose page faults
 * dominate a first build in a microVM. */
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
			reg[r] = rank > reg[r] ? rank : reg[r];
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

/* Distinct keys among the first SAMPLE selected rows (exact, small local set): a cheap test
 * for low cardinality, where neither the estimate nor a big table is worth it. */
enum { SAMPLE = 2048, SAMPLE_SET = 4096 };
static uint32_t sample_distinct(const uint64_t *raw, int f64, int64_t len, const uint64_t *dom)
{
	uint64_t set[SAMPLE_SET];
	uint8_t used[SAMPLE_SET];
	memset(used, 0, sizeof used);
	uint32_t d = 0, seen = 0;
	int64_t nw = (int64_t)FR_BITMAP_WORDS(len);
	for (int64_t w = 0; w < nw && seen < SAMPLE; w++) {
		for (uint64_t m = dom[w]; m && seen < SAMPLE; m &= m - 1, seen++) {
			uint64_t k = load_key(raw, w * 64 + __builtin_ctzll(m), f64);
			uint32_t j = (uint32_t)(hash64(k) >> 52); /* 4096 slots */
			while (used[j] && set[j] != k)
				j = (j + 1) & (SAMPLE_SET - 1);
			if (!used[j]) {
				used[j] = 1;
				set[j] = k;
				d++;
			}
		}
	}
	return d;
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

/* Dense path: I64 keys whose range is small against the rows (at most DENSE_SPAN times the
 * selected rows, or below DENSE_SMALL): a bitmap over [min, max] marks the keys present, a
 * per-word prefix count ranks them, and a row's id is the number of present keys below its
 * key.  Ids therefore follow key order, and keys that are near each other in the data (user ids
 * assigned in sign-up order, say) get ids near each other, which keeps the per-group kernels'
 * accesses close together.  Two passes over the rows, each one bitmap access per row in a
 * 1-bit-per-possible-key array (at most 3 bytes per selected row with the prefix counts), and
 * no hashing. */
enum { DENSE_SPAN = 16, DENSE_SMALL = 1 << 16 };

/* min and max of the keys of the rows in dom; 0 if dom is empty. */
static int key_range(const int64_t *v, int64_t len, const uint64_t *dom, int64_t *mn, int64_t *mx)
{
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	int any = 0;
	int64_t nw = (int64_t)FR_BITMAP_WORDS(len);
	for (int64_t w = 0; w < nw; w++) {
		uint64_t m = dom[w];
		int64_t base = w * 64;
		if (m == ~(uint64_t)0) {
			for (int j = 0; j < 64; j++) {
				int64_t x = v[base + j];
				lo = x < lo ? x : lo;
				hi = x > hi ? x : hi;
			}
			any = 1;
			continue;
		}
		for (; m; m &= m - 1) {
			int64_t x = v[base + __builtin_ctzll(m)];
			lo = x < lo ? x : lo;
			hi = x > hi ? x : hi;
			any = 1;
		}
	}
	*mn = lo;
	*mx = hi;
	return any;
}

/* The presence bits and their prefix counts side by side, so that a row's rank is one cache
 * line: rank of key offset d = w[d >> 6].pre + popcount(w[d >> 6].bits below bit d & 63). */
typedef struct rankword {
	uint64_t bits;
	uint64_t pre;
} rankword;

#define DENSE_RANK(POPCNT) \
	do { \
		uint32_t acc = 0; \
		for (size_t w = 0; w < nwords; w++) { \
			rw[w].pre = acc; \
			acc += (uint32_t)POPCNT(rw[w].bits); \
		} \
		*n = acc; \
		int64_t nw = (int64_t)FR_BITMAP_WORDS(len); \
		for (int64_t w = 0; w < nw; w++) { \
			uint64_t m = dom[w]; \
			int64_t base = w * 64; \
			if (m != ~(uint64_t)0) { \
				int cnt = (int)(len - base < 64 ? len - base : 64); \
				for (int j = 0; j < cnt; j++) \
					ids[base + j] = FR_KERN_NOGROUP; \
				for (; m; m &= m - 1) { \
					int64_t i = base + __builtin_ctzll(m); \
					uint64_t d = (uint64_t)v[i] - (uint64_t)mn; \
					const rankword *r = &rw[d >> 6]; \
					ids[i] = (uint32_t)r->pre + \
					         (uint32_t)POPCNT(r->bits & ((((uint64_t)1) << (d & 63)) - 1)); \
				} \
				continue; \
			} \
			for (int64_t i = base; i < base + 64; i++) { \
				uint64_t d = (uint64_t)v[i] - (uint64_t)mn; \
				const rankword *r = &rw[d >> 6]; \
				ids[i] = (uint32_t)r->pre + \
				         (uint32_t)POPCNT(r->bits & ((((uint64_t)1) << (d & 63)) - 1)); \
			} \
		} \
	} while (0)

static void dense_rank_scalar(const int64_t *v, int64_t len, const uint64_t *dom, int64_t mn,
                              rankword *rw, size_t nwords, uint32_t *ids, uint32_t *n)
{
	DENSE_RANK(__builtin_popcountll);
}

#ifdef FR_KERN_X86
FR_AVX2 static void dense_rank_avx2(const int64_t *v, int64_t len, const uint64_t *dom,
                                    int64_t mn, rankword *rw, size_t nwords, uint32_t *ids,
                                    uint32_t *n)
{
	DENSE_RANK(__builtin_popcountll);
}
#endif

/* Marks the keys present.  With `check` (a range that came from a hint, not from the keys)
 * every key is tested against it; an outsider marks nothing harmful (it is clamped to 0) and
 * makes the call return 1: the range was wrong. */
#define DENSE_MARK(CHECK) \
	do { \
		for (int64_t w = 0; w < nw; w++) { \
			uint64_t m = dom[w]; \
			int64_t base = w * 64; \
			if (m == ~(uint64_t)0) { \
				for (int64_t i = base; i < base + 64; i++) { \
					uint64_t d = (uint64_t)v[i] - (uint64_t)mn; \
					if (CHECK) { \
						out_of |= d > span; \
						d = d > span ? 0 : d; \
					} \
					bits[d >> 6] |= (uint64_t)1 << (d & 63); \
				} \
				continue; \
			} \
			for (; m; m &= m - 1) { \
				uint64_t d = (uint64_t)v[base + __builtin_ctzll(m)] - (uint64_t)mn; \
				if (CHECK) { \
					out_of |= d > span; \
					d = d > span ? 0 : d; \
				} \
				bits[d >> 6] |= (uint64_t)1 << (d & 63); \
			} \
		} \
	} while (0)

static int index_dense(const int64_t *v, int64_t len, const uint64_t *dom, int64_t mn,
                       uint64_t span, int check, uint32_t *ids, int keep_keys, int count_only,
                       fr_arena *arena, fr_kern_index *out)
{
	size_t nwords = (size_t)(span >> 6) + 1;
	int64_t nw = (int64_t)FR_BITMAP_WORDS(len);
	uint64_t out_of = 0;
	/* The keys are marked in a plain presence bitmap (half the lines of rank words: the
	 * random pass touches fewer), copied into the rank words only when ids are wanted. */
	uint64_t *bits = fr_kern__scratch_zero(FR_SCR_A, nwords * sizeof *bits);
	if (!bits)
		return -1;
	if (check)
		DENSE_MARK(1);
	else
		DENSE_MARK(0);
	if (out_of)
		return 1;
	out->dense = 1;
	if (count_only) { /* only the number of keys (count-only never keeps keys) */
		out->n = (uint32_t)fr_kern_bm_popcount(bits, (int64_t)nwords * 64);
		out->ids = NULL;
		return 0;
	}
	rankword *rw = fr_kern__scratch(FR_SCR_B, nwords * sizeof *rw, 0);
	if (!rw)
		return -1;
	for (size_t w = 0; w < nwords; w++)
		rw[w].bits = bits[w];
	uint32_t n;
#ifdef FR_KERN_X86
	if (fr_kern__get() == FR_SIMD_AVX2)
		dense_rank_avx2(v, len, dom, mn, rw, nwords, ids, &n);
	else
#endif
		dense_rank_scalar(v, len, dom, mn, rw, nwords, ids, &n);
	out->n = n;
	if (!keep_keys)
		return 0;
	int64_t *keys = fr_arena_alloc(arena, (size_t)(n ? n : 1) * sizeof *keys);
	if (!keys)
		return -1;
	uint32_t k = 0;
	for (size_t w = 0; w < nwords; w++)
		for (uint64_t b = rw[w].bits; b; b &= b - 1)
			keys[k++] = (int64_t)((uint64_t)mn + (uint64_t)w * 64 + (uint64_t)__builtin_ctzll(b));
	out->key_i64 = keys;
	return 0;
}

/* DICT / BOOL: direct table from code to id.  map[c] is NEW until code c is first seen; the
 * extra entry map[ncodes] (NOGROUP) absorbs out-of-range codes without a branch. */
#define NEW (FR_KERN_NOGROUP - 1)

static inline uint32_t direct_code(const fr_vec *v, int64_t i, int isbool, uint32_t ncodes)
{
	uint32_t c = isbool ? (uint32_t)(v->v.b[i] != 0) : v->v.codes[i];
	return c < ncodes ? c : ncodes;
}

static inline void direct_rows(const fr_vec *v, const uint64_t *dom_in, uint64_t *dom,
                               uint32_t *ids, uint32_t *map, uint32_t *first, uint32_t *n,
                               uint32_t ncodes, int isbool)
{
	int64_t len = v->len;
	int64_t nw = (int64_t)FR_BITMAP_WORDS(len);
	for (int64_t w = 0; w < nw; w++) {
		uint64_t m = dom_in[w], bad = 0;
		int64_t base = w * 64;
		if (m == ~(uint64_t)0) { /* the common case: every row selected and non-null */
			for (int j = 0; j < 64; j++) {
				uint32_t c = direct_code(v, base + j, isbool, ncodes);
				uint32_t id = map[c];
				if (__builtin_expect(id == NEW, 0)) {
					id = map[c] = *n;
					first[(*n)++] = c;
				}
				ids[base + j] = id;
				bad |= (uint64_t)(id == FR_KERN_NOGROUP) << j;
			}
			dom[w] = m & ~bad;
			continue;
		}
		int cnt = (int)(len - base < 64 ? len - base : 64);
		for (int j = 0; j < cnt; j++) {
			int64_t i = base + j;
			if (!((m >> j) & 1)) {
				ids[i] = FR_KERN_NOGROUP;
				continue;
			}
			uint32_t c = direct_code(v, i, isbool, ncodes);
			uint32_t id = map[c];
			if (id == NEW) {
				id = map[c] = *n;
				first[(*n)++] = c;
			}
			ids[i] = id;
			bad |= (uint64_t)(id == FR_KERN_NOGROUP) << j; /* corrupt code: out of the domain */
		}
		dom[w] = m & ~bad;
	}
}

static int index_direct(const fr_vec *v, const uint64_t *dom_in, uint64_t *dom, uint32_t *ids,
                        fr_arena *arena, fr_kern_index *out)
{
	uint32_t ncodes = v->kind == FR_VEC_BOOL ? 2 : v->dict.n;
	if (ncodes >= NEW) /* ids must stay below the markers */
		ncodes = NEW - 1;
	uint32_t *map = fr_kern__scratch(FR_SCR_A, ((size_t)ncodes + 1) * sizeof *map, 0);
	uint32_t *first = fr_kern__scratch(FR_SCR_B, ((size_t)ncodes + 1) * sizeof *first, 0);
	if (!map || !first)
		return -1;
	for (uint32_t c = 0; c < ncodes; c++)
		map[c] = NEW;
	map[ncodes] = FR_KERN_NOGROUP;
	uint32_t n = 0;
	if (v->kind == FR_VEC_BOOL)
		direct_rows(v, dom_in, dom, ids, map, first, &n, ncodes, 1);
	else
		direct_rows(v, dom_in, dom, ids, map, first, &n, ncodes, 0);
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

int fr_kern_index_build_ex(const fr_vec *keys, const uint64_t *sel, unsigned flags,
                           const fr_kern_hint *hint, fr_arena *arena, fr_kern_index *out,
                           fr_err *err)
{
	int count_only = !!(flags & FR_KERN_IX_COUNT_ONLY);
	int keep_keys = !(flags & (FR_KERN_IX_NO_KEYS | FR_KERN_IX_COUNT_ONLY));
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
	if (!f64) {
		int64_t mn, mx, sel_rows = fr_kern_bm_popcount(out->domain, len);
		/* the range from a hint (the file's statistics) saves a pass over the keys; it is
		 * checked while the keys are marked, and a wrong one means measuring it after all */
		int hinted = hint && hint->has_range && hint->min <= hint->max;
		for (int pass = hinted ? 0 : 1; pass < 2; pass++) {
			if (pass == 0) {
				mn = hint->min;
				mx = hint->max;
			} else if (!key_range((const int64_t *)raw, len, out->domain, &mn, &mx)) {
				break;
			}
			uint64_t span = (uint64_t)mx - (uint64_t)mn;
			if (!(span < DENSE_SMALL || span / DENSE_SPAN < (uint64_t)sel_rows))
				continue;
			int r = index_dense((const int64_t *)raw, len, out->domain, mn, span, pass == 0,
			                    out->ids, keep_keys, count_only, arena, out);
			if (r < 0)
				goto nomem;
			if (r == 0)
				return 0;
		}
	}
	/* Start at the largest key count this thread has needed (parts of a dataset are alike; a
	 * low-cardinality build in a big retained table costs nothing extra, it touches few lines).
	 * When that hint may be far too small, size from an estimate instead of growing: a sample
	 * shows low cardinality cheaply, else a HyperLogLog pass counts.  Never more than the
	 * selected rows can need. */
	int64_t rows = fr_kern_bm_popcount(out->domain, len);
	uint64_t want = tl_hint;
	uint32_t d = UINT32_MAX; /* distinct keys in the sample, when taken */
	if (want < (uint64_t)rows / 8) {
		d = sample_distinct(raw, f64, len, out->domain);
		uint64_t e = d <= SAMPLE / 4 ? (uint64_t)d * 4 : estimate_distinct(raw, f64, len, out->domain);
		e += e / 8;
		want = e > want ? e : want;
	}
	if (want > (uint64_t)rows + 64)
		want = (uint64_t)rows + 64;
	uint64_t cap = ((uint64_t)((double)want / MAX_LOAD) + 63) & ~(uint64_t)63;
	if (cap < 4096)
		cap = 4096;
	table t;
	/* I64 keys only: F64 keys fold -0.0, and value indexes on them are rarely this wide */
	int radix = !f64 && want >= RADIX_MIN_KEYS;
	/* a big hint from the group index must not send a narrow value index this way */
	if (radix && d == UINT32_MAX)
		d = sample_distinct(raw, f64, len, out->domain);
	radix = radix && d > SAMPLE / 4;
	if (table_init(&t, radix ? 4096 : cap) ||
	    (radix ? index_radix(raw, len, out->domain, rows, want, out->ids, count_only, &t)
	           : index_hash(raw, f64, len, out->domain, out->ids, &t)))
		goto nomem;
	out->radix = radix;
	out->n = t.count;
	if (radix && count_only)
		out->ids = NULL;
	if (t.count > tl_hint)
		tl_hint = t.count;
	if (!keep_keys)
		return 0;
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

int fr_kern_index_build(const fr_vec *keys, const uint64_t *sel, fr_arena *arena,
                        fr_kern_index *out, fr_err *err)
{
	return fr_kern_index_build_ex(keys, sel, 0, NULL, arena, out, err);
}

int fr_kern_index_keys(const fr_vec *keys, fr_kern_index *ix, fr_arena *arena, fr_err *err)
{
	if (ix->key_i64 || ix->key_f64 || ix->key_code)
		return 0;
	if (keys->len != ix->len || keys->kind != ix->kind)
		return fr_err_set(err, FR_EINVAL, "index keys from another column");
	size_t n = ix->n ? ix->n : 1;
	int64_t len = ix->len, nw = (int64_t)FR_BITMAP_WORDS(len);
	switch (keys->kind) {
	case FR_VEC_DICT:
		if (!(ix->key_code = fr_arena_alloc(arena, n * sizeof *ix->key_code)))
			goto nomem;
		break;
	case FR_VEC_F64:
		if (!(ix->key_f64 = fr_arena_alloc(arena, n * sizeof *ix->key_f64)))
			goto nomem;
		break;
	default:
		if (!(ix->key_i64 = fr_arena_alloc(arena, n * sizeof *ix->key_i64)))
			goto nomem;
		break;
	}
	/* the last row of each id writes its key: equal keys, so any row will do (F64: -0.0
	 * and 0.0 share an id; the index reports the one it met, which prints alike) */
	for (int64_t w = 0; w < nw; w++)
		for (uint64_t m = ix->domain[w]; m; m &= m - 1) {
			int64_t i = w * 64 + __builtin_ctzll(m);
			uint32_t id = ix->ids[i];
			if (id >= ix->n)
				continue;
			switch (keys->kind) {
			case FR_VEC_DICT: ix->key_code[id] = keys->v.codes[i]; break;
			case FR_VEC_F64: ix->key_f64[id] = keys->v.f64[i] == 0 ? 0.0 : keys->v.f64[i]; break;
			case FR_VEC_BOOL: ix->key_i64[id] = keys->v.b[i] != 0; break;
			default: ix->key_i64[id] = keys->v.i64[i]; break;
			}
		}
	return 0;
nomem:
	return fr_err_set(err, FR_ENOMEM, "out of memory for %u index keys", ix->n);
}
