/* Dense index: per row a uint32 id for equal keys, in order of first appearance.  Group index
 * (key = group-id column) and value index (key = an aggregated column) alike. */
#include "kernels/internal.h"

#include <stdlib.h>
#include <string.h>

#define NEG_ZERO 0x8000000000000000ULL

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
	/* multiply-xorshift-multiply (splitmix finaliser): sequential and strided keys spread */
	x ^= x >> 31;
	x *= 0x9E3779B97F4A7C15ULL;
	x ^= x >> 29;
	x *= 0xBF58476D1CE4E5B9ULL;
	x ^= x >> 32;
	return x;
}

static int table_init(table *t, int bits)
{
	memset(t, 0, sizeof *t);
	t->s = calloc((size_t)1 << bits, sizeof *t->s);
	t->keys_cap = 1024;
	t->keys = malloc(t->keys_cap * sizeof *t->keys);
	if (!t->s || !t->keys)
		return -1;
	t->mask = ((uint64_t)1 << bits) - 1;
	t->shift = 64 - bits;
	return 0;
}

static void table_free(table *t)
{
	free(t->s);
	free(t->keys);
}

/* Doubles the slot array; ids stay as they are. */
static int table_grow(table *t)
{
	uint64_t ncap = (t->mask + 1) * 2;
	slot *ns = calloc(ncap, sizeof *ns);
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
	free(t->s);
	t->s = ns;
	t->mask = ncap - 1;
	t->shift = nshift;
	return 0;
}

static int keys_push(table *t, uint64_t key)
{
	if (t->count == t->keys_cap) {
		uint32_t ncap = t->keys_cap > UINT32_MAX / 2 ? UINT32_MAX : t->keys_cap * 2;
		uint64_t *nk = realloc(t->keys, (size_t)ncap * sizeof *nk);
		if (!nk)
			return -1;
		t->keys = nk;
		t->keys_cap = ncap;
	}
	t->keys[t->count] = key;
	return 0;
}

/* id of key, inserting it; UINT32_MAX on allocation failure. */
static inline uint32_t table_get(table *t, uint64_t key, uint64_t h)
{
	uint64_t j = h >> t->shift;
	for (;;) {
		slot *s = &t->s[j];
		if (!s->id1) {
			if (keys_push(t, key))
				return UINT32_MAX;
			s->key = key;
			s->id1 = ++t->count;
			return s->id1 - 1;
		}
		if (s->key == key)
			return s->id1 - 1;
		j = (j + 1) & t->mask;
	}
}

static inline uint64_t load_key(const uint64_t *raw, int64_t i, int f64)
{
	uint64_t k = raw[i];
	if (f64 && k == NEG_ZERO)
		k = 0; /* -0.0 == 0.0 */
	return k;
}

/* Hash path over the rows in dom; 64 rows per bitmap word, hashes of a word computed first so
 * the probes of the next rows can be prefetched while the current one resolves. */
static int index_hash(const uint64_t *raw, int f64, int64_t len, const uint64_t *dom,
                      uint32_t *ids, table *t)
{
	enum { AHEAD = 16 };
	uint64_t hs[64], ks[64];
	int64_t nw = (int64_t)FR_BITMAP_WORDS(len);
	uint64_t prev_key = 0;
	uint32_t prev_id = UINT32_MAX;
	for (int64_t w = 0; w < nw; w++) {
		uint64_t m = dom[w];
		int64_t base = w * 64;
		int cnt = (int)(len - base < 64 ? len - base : 64);
		if (!m) {
			for (int j = 0; j < cnt; j++)
				ids[base + j] = FR_KERN_NOGROUP;
			continue;
		}
		/* keep the load factor <= 1/2 even if all 64 rows are new */
		while ((uint64_t)t->count + 64 > (t->mask + 1) / 2)
			if (table_grow(t))
				return -1;
		for (int j = 0; j < cnt; j++) {
			ks[j] = load_key(raw, base + j, f64);
			hs[j] = hash64(ks[j]);
		}
		for (int j = 0; j < AHEAD && j < cnt; j++)
			__builtin_prefetch(&t->s[hs[j] >> t->shift]);
		for (int j = 0; j < cnt; j++) {
			if (j + AHEAD < cnt)
				__builtin_prefetch(&t->s[hs[j + AHEAD] >> t->shift]);
			if (!((m >> j) & 1)) {
				ids[base + j] = FR_KERN_NOGROUP;
				continue;
			}
			uint64_t k = ks[j];
			if (k != prev_key || prev_id == UINT32_MAX) { /* runs of one key skip the probe */
				prev_id = table_get(t, k, hs[j]);
				if (prev_id == UINT32_MAX)
					return -1;
				prev_key = k;
			}
			ids[base + j] = prev_id;
		}
	}
	return 0;
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

/* Sorted path: a new id at every key change, no hashing.  Two passes (count, then assign)
 * so keys can be allocated exactly. */
static int index_sorted(const uint64_t *raw, int f64, int64_t len, const uint64_t *dom,
                        uint32_t *ids, fr_arena *arena, fr_kern_index *out)
{
	uint32_t n = 0;
	uint64_t prev = 0;
	for (int pass = 0; pass < 2; pass++) {
		uint32_t id = UINT32_MAX;
		int64_t nw = (int64_t)FR_BITMAP_WORDS(len);
		for (int64_t w = 0; w < nw; w++) {
			uint64_t m = dom[w];
			int64_t base = w * 64;
			int cnt = (int)(len - base < 64 ? len - base : 64);
			for (int j = 0; j < cnt; j++) {
				if (!((m >> j) & 1)) {
					if (pass)
						ids[base + j] = FR_KERN_NOGROUP;
					continue;
				}
				uint64_t k = load_key(raw, base + j, f64);
				if (id == UINT32_MAX || k != prev) {
					id++;
					prev = k;
					if (pass) {
						if (f64)
							memcpy(&out->key_f64[id], &k, sizeof k);
						else
							out->key_i64[id] = (int64_t)k;
					}
				}
				if (pass)
					ids[base + j] = id;
			}
		}
		if (!pass) {
			n = id + 1; /* id wraps to 0 groups when nothing was selected */
			if (f64)
				out->key_f64 = fr_arena_alloc(arena, (size_t)n * sizeof(double));
			else
				out->key_i64 = fr_arena_alloc(arena, (size_t)n * sizeof(int64_t));
			if (!(f64 ? (void *)out->key_f64 : (void *)out->key_i64))
				return -1;
		}
	}
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
	uint32_t *map = malloc(((size_t)ncodes + 1) * sizeof *map);
	if (!map)
		return -1;
	memset(map, 0xff, ((size_t)ncodes + 1) * sizeof *map); /* FR_KERN_NOGROUP */
	uint32_t *first = malloc(((size_t)ncodes + 1) * sizeof *first);
	if (!first) {
		free(map);
		return -1;
	}
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
	free(first);
	free(map);
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
	table t;
	if (table_init(&t, 12)) {
		table_free(&t);
		goto nomem;
	}
	if (index_hash(raw, f64, len, out->domain, out->ids, &t)) {
		table_free(&t);
		goto nomem;
	}
	out->n = t.count;
	void *k = fr_arena_memdup(arena, t.keys, (size_t)t.count * sizeof(uint64_t));
	table_free(&t);
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
