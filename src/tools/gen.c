/* Synthetic RetailRocket-like events.  Every random choice comes from a counter-based hash of
 * (seed, user) or (seed, item), so a part's content depends only on the options, parts can be
 * generated in parallel, and the output is byte-identical run after run.
 *
 * Model: users get a heavy-tailed (Pareto, alpha 1.1) share of the rows, at least one each.
 * A user's events form sessions (a new session with probability 1/5 per event, minutes
 * between events, hours to days between sessions, the whole history inside the 137-day
 * window).  A view may lead to an add-to-cart of the same item (2.8% of views, times a
 * per-user propensity: 60% of users browse at a quarter of the rate, 40% at 2.1x), and an
 * add-to-cart to a transaction (1 in 3).  Items are heavy-tailed in popularity; category,
 * price (8% unknown) and attribute tokens are functions of the item. */
#include "tools/gen.h"
#include "tools/args.h"
#include "tools/outset.h"
#include "tools/partition.h"
#include "tools/progress.h"
#include "parquet/format.h"
#include "parquet/writer.h"
#include "core/buf.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define T0_MS 1430622000000LL               /* 2015-05-03, where RetailRocket's log starts */
#define PERIOD_MS (137LL * 86400 * 1000)    /* ~4.5 months */
#define NCATEGORIES 1669
#define NTOKENS 256
#define MAX_WEIGHT 20000

enum { EV_VIEW, EV_CART, EV_TX };
static const char *EVENT_NAMES[] = { "view", "addtocart", "transaction" };

enum { C_VISITOR, C_TS, C_EVENT, C_ITEM, C_CATEGORY, C_PRICE, C_AVAILABLE, C_TXID, C_ATTRS,
	NCOLS };

static const fr_pqw_col COLS[NCOLS] = {
	{ "visitorid", FR_PQ_INT64, 0, 0, 0 },
	{ "timestamp", FR_PQ_INT64, 0, 0, 0 },
	{ "event", FR_PQ_BYTE_ARRAY, 0, 1, 0 },
	{ "itemid", FR_PQ_INT64, 0, 0, 0 },
	{ "categoryid", FR_PQ_BYTE_ARRAY, 0, 1, 0 },
	{ "price", FR_PQ_DOUBLE, 1, 0, 0 },
	{ "available", FR_PQ_BOOLEAN, 0, 0, 0 },
	{ "transactionid", FR_PQ_DOUBLE, 1, 0, 0 },
	{ "cryptic_attrs", FR_PQ_BYTE_ARRAY, 0, 1, 0 },
};

void fr_gen_opts_default(fr_gen_opts *o)
{
	memset(o, 0, sizeof *o);
	o->parts = 8;
	o->rows = 2500000;
	o->users = 0;
	o->seed = 1;
	o->codec = FR_PQ_CODEC_SNAPPY;
	o->row_group_rows = 262144;
	o->progress = 1;
}

/* ---- deterministic randomness ---------------------------------------------------------- */

typedef struct { uint64_t s; } rng_t;

static inline uint64_t next(rng_t *r)
{
	uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

/* Uniform in [0, 1) with 53 bits. */
static inline double unif(rng_t *r)
{
	return (double)(next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static inline uint64_t key(uint64_t seed, uint64_t salt, uint64_t x)
{
	return fr_fmix64(seed * 0x9E3779B97F4A7C15ull ^ fr_fmix64(x + salt * 0xD6E8FEB86659FD93ull));
}

/* Heavy-tailed integer weight in [1, MAX_WEIGHT]: Pareto(alpha 1.1) by inverse transform,
 * with x^(-1/1.1) computed without libm so results never depend on its version. */
static uint32_t user_weight(uint64_t seed, int64_t u)
{
	rng_t r = { key(seed, 1, (uint64_t)u) };
	double x = 1.0 - unif(&r);    /* (0, 1] */
	/* log2(x) = e + ln(m)/ln 2 with x = m 2^e, m in [0.5, 1), and
	 * ln(m) = ln(0.75) + 2 atanh((m - 0.75) / (m + 0.75)). */
	int e = 0;
	double m = x;
	while (m < 0.5) {
		m *= 2;
		e--;
	}
	double t = (m - 0.75) / (m + 0.75), t2 = t * t;
	double ln = -0.28768207245178090 + 2 * t * (1 + t2 / 3 + t2 * t2 / 5 + t2 * t2 * t2 / 7);
	double lg = e + ln * 1.4426950408889634;
	double p = -lg / 1.1;         /* >= 0 */
	int ip = (int)p;
	if (ip > 30)
		return MAX_WEIGHT;
	double f = p - ip;
	/* 2^f, f in [0,1) */
	double ex = 1 + f * (0.6931471805599453 + f * (0.2402265069591007 + f *
		(0.05550410866482158 + f * (0.009618129107628477 + f * 0.0013333558146428443))));
	double y = ex * (double)(1u << ip);
	if (y >= MAX_WEIGHT)
		return MAX_WEIGHT;
	return y < 1 ? 1 : (uint32_t)y;
}

/* ---- the plan: how many rows each user has ------------------------------------------- */

typedef struct gen_ctx {
	const fr_gen_opts *o;
	fr_outset *outs;        /* where parts go until the whole run succeeded */
	int64_t users;
	uint64_t wsum;          /* sum of weights */
	int64_t extra;          /* rows - users, shared out by weight */
	int64_t rem;            /* rows left after flooring: +1 to users 0..rem-1 */
	double p_cart;          /* P(add-to-cart | previous event is a view), before propensity */
	double p_tx;            /* P(transaction | previous event is an add-to-cart) */
	int64_t nitems;
	/* categoryid dictionary and attribute tokens, shared read-only by threads */
	int64_t cat_off[NCATEGORIES + 1];
	uint8_t cat_data[NCATEGORIES * 5];
	int64_t ev_off[4];
	uint8_t ev_data[32];
	char tokens[NTOKENS][16];
	uint8_t token_len[NTOKENS];
	fr_progress prog;
	int next_part;          /* work queue for threads */
	int finished;           /* threads done */
	pthread_mutex_t mu;
	int failed;
	fr_err err;
} gen_ctx;

static int64_t user_rows(const gen_ctx *g, int64_t u)
{
	uint64_t w = user_weight(g->o->seed, u);
	unsigned __int128 share = (unsigned __int128)(uint64_t)g->extra * w / g->wsum;
	return 1 + (int64_t)share + (u < g->rem);
}

static void plan(gen_ctx *g)
{
	uint64_t ws = 0;
	for (int64_t u = 0; u < g->users; u++)
		ws += user_weight(g->o->seed, u);
	g->wsum = ws;
	g->extra = g->o->rows - g->users;
	/* One pass for the flooring remainder and for who has two events or more (before the
	 * +1s of the remainder, which go to users 0..rem-1). */
	int64_t sum = 0, multi = 0;
	for (int64_t u = 0; u < g->users; u++) {
		uint64_t w = user_weight(g->o->seed, u);
		int64_t n = 1 + (int64_t)((unsigned __int128)(uint64_t)g->extra * w / ws);
		sum += n;
		multi += n >= 2;
	}
	g->rem = g->o->rows - sum;   /* 0 <= rem < users */
	for (int64_t u = 0; u < g->rem && u < g->users; u++)
		multi += user_rows(g, u) == 2;   /* were 1 before their +1 */

	/* Event shares must not depend on how rows are spread over users: only events after a
	 * user's first can be carts (E of them), and a cart that is its user's last event (L users
	 * have two or more events) cannot lead to a transaction.  Scale the rates to hit
	 * view 96.4%, addtocart 2.7%, transaction 0.9% of all events. */
	double rows = (double)g->o->rows, e = rows - (double)g->users;
	if (e > 0) {
		g->p_cart = 0.027 / 0.964 * rows / e;
		double not_last = (e - (double)multi) / e;
		g->p_tx = not_last > 0 ? (0.009 / 0.027) / not_last : 1;
	}
	if (g->p_cart > 0.45)
		g->p_cart = 0.45;
	if (g->p_tx > 1)
		g->p_tx = 1;
}

static void tables(gen_ctx *g)
{
	int64_t o = 0;
	g->cat_off[0] = 0;
	for (int c = 0; c < NCATEGORIES; c++) {
		/* RetailRocket category ids are small integers up to ~1700. */
		char b[8];
		int n = snprintf(b, sizeof b, "%d", c);
		memcpy(g->cat_data + o, b, (size_t)n);
		o += n;
		g->cat_off[c + 1] = o;
	}
	o = 0;
	for (int e = 0; e < 3; e++) {
		size_t n = strlen(EVENT_NAMES[e]);
		memcpy(g->ev_data + o, EVENT_NAMES[e], n);
		o += (int64_t)n;
		g->ev_off[e + 1] = o;
	}
	/* Tokens like RetailRocket's hashed property values: "n552.000", "1285872". */
	for (int k = 0; k < NTOKENS; k++) {
		uint64_t h = fr_fmix64((uint64_t)k + 77);
		int n = k % 3 == 0 ? snprintf(g->tokens[k], 16, "n%d.000", (int)(h % 1000) * 12)
			: snprintf(g->tokens[k], 16, "%d", (int)(100000 + h % 1200000));
		g->token_len[k] = (uint8_t)n;
	}
}

/* ---- per-item attributes ------------------------------------------------------------- */

static uint32_t item_category(uint64_t seed, int64_t item)
{
	return (uint32_t)(key(seed, 2, (uint64_t)item) % NCATEGORIES);
}

/* Price in cents-rounded dollars, or < 0 for unknown. */
static double item_price(uint64_t seed, int64_t item)
{
	rng_t r = { key(seed, 3, (uint64_t)item) };
	if (next(&r) % 100 < 8)
		return -1;
	double x = unif(&r);
	int64_t cents = 99 + (int64_t)(x * x * x * 150000.0);
	return (double)cents / 100.0;
}

/* ---- buffers of one row group -------------------------------------------------------- */

typedef struct rgbuf {
	int64_t cap, n;
	int64_t *visitor, *ts, *item;
	uint32_t *event, *cat;
	double *price, *txid;
	uint64_t *price_valid, *tx_valid;
	uint8_t *avail;
	int64_t *attr_off;
	fr_buf attrs;
	/* shuffle scratch */
	uint32_t *perm;
	int64_t *tmp64;
	fr_buf tmpattrs;
} rgbuf;

static void rgbuf_free(rgbuf *b)
{
	free(b->visitor); free(b->ts); free(b->item); free(b->event); free(b->cat);
	free(b->price); free(b->txid); free(b->price_valid); free(b->tx_valid); free(b->avail);
	free(b->attr_off); fr_buf_free(&b->attrs); free(b->perm); free(b->tmp64);
	fr_buf_free(&b->tmpattrs);
	memset(b, 0, sizeof *b);
}

static int rgbuf_init(rgbuf *b, int64_t cap)
{
	memset(b, 0, sizeof *b);
	size_t n = (size_t)cap, words = FR_BITMAP_WORDS(cap);
	b->cap = cap;
	b->visitor = malloc(n * 8); b->ts = malloc(n * 8); b->item = malloc(n * 8);
	b->event = malloc(n * 4); b->cat = malloc(n * 4);
	b->price = malloc(n * 8); b->txid = malloc(n * 8);
	b->price_valid = calloc(words, 8); b->tx_valid = calloc(words, 8);
	b->avail = malloc(n);
	b->attr_off = malloc((n + 1) * 8);
	b->perm = malloc(n * 4);
	b->tmp64 = malloc((n + 1) * 8);
	if (!b->visitor || !b->ts || !b->item || !b->event || !b->cat || !b->price || !b->txid ||
	    !b->price_valid || !b->tx_valid || !b->avail || !b->attr_off || !b->perm || !b->tmp64) {
		rgbuf_free(b);
		return FR_ENOMEM;
	}
	b->attr_off[0] = 0;
	return 0;
}

/* ---- one part ------------------------------------------------------------------------ */

typedef struct part_state {
	gen_ctx *g;
	int part;
	fr_pqw *w;
	rgbuf b;
	/* one user's events before they go to the buffer */
	int64_t ucap;
	int64_t *uts, *uitem;
	uint8_t *uev, *uavail;
	int32_t *usess;
	int rg;                 /* row groups written, seeds the shuffle */
} part_state;

static void permute64(int64_t *a, const uint32_t *perm, size_t n, int64_t *tmp)
{
	for (size_t i = 0; i < n; i++)
		tmp[i] = a[perm[i]];
	memcpy(a, tmp, n * 8);
}

static void permute32(uint32_t *a, const uint32_t *perm, size_t n, int64_t *tmp)
{
	uint32_t *t = (uint32_t *)tmp;
	for (size_t i = 0; i < n; i++)
		t[i] = a[perm[i]];
	memcpy(a, t, n * 4);
}

static void permute_bits(uint64_t *bm, const uint32_t *perm, int64_t n, int64_t *tmp)
{
	uint64_t *t = (uint64_t *)tmp;
	memset(t, 0, FR_BITMAP_WORDS(n) * 8);
	for (int64_t i = 0; i < n; i++)
		if (fr_bit_get(bm, perm[i]))
			fr_bit_set(t, i);
	memcpy(bm, t, FR_BITMAP_WORDS(n) * 8);
}

/* Rows of a part in arbitrary order: a seeded Fisher-Yates shuffle of the row group. */
static int shuffle(part_state *ps, int rg)
{
	rgbuf *b = &ps->b;
	int64_t n = b->n;
	if (n <= 1)
		return 0;
	rng_t r = { key(ps->g->o->seed, 9, (uint64_t)ps->part << 32 | (uint64_t)rg) };
	for (int64_t i = 0; i < n; i++)
		b->perm[i] = (uint32_t)i;
	for (int64_t i = n - 1; i > 0; i--) {
		int64_t j = (int64_t)(next(&r) % (uint64_t)(i + 1));
		uint32_t t = b->perm[i];
		b->perm[i] = b->perm[j];
		b->perm[j] = t;
	}
	size_t un = (size_t)n;
	permute64(b->visitor, b->perm, un, b->tmp64);
	permute64(b->ts, b->perm, un, b->tmp64);
	permute64(b->item, b->perm, un, b->tmp64);
	permute64((int64_t *)b->price, b->perm, un, b->tmp64);
	permute64((int64_t *)b->txid, b->perm, un, b->tmp64);
	permute32(b->event, b->perm, un, b->tmp64);
	permute32(b->cat, b->perm, un, b->tmp64);
	permute_bits(b->price_valid, b->perm, n, b->tmp64);
	permute_bits(b->tx_valid, b->perm, n, b->tmp64);
	uint8_t *t8 = (uint8_t *)b->tmp64;
	for (size_t i = 0; i < un; i++)
		t8[i] = b->avail[b->perm[i]];
	memcpy(b->avail, t8, un);
	fr_buf_reset(&b->tmpattrs);
	if (fr_buf_reserve(&b->tmpattrs, b->attrs.len))
		return FR_ENOMEM;
	int64_t *off = b->tmp64;
	off[0] = 0;
	for (int64_t i = 0; i < n; i++) {
		int64_t s = b->attr_off[b->perm[i]], e = b->attr_off[b->perm[i] + 1];
		memcpy(b->tmpattrs.data + b->tmpattrs.len, b->attrs.data + s, (size_t)(e - s));
		b->tmpattrs.len += (size_t)(e - s);
		off[i + 1] = (int64_t)b->tmpattrs.len;
	}
	memcpy(b->attr_off, off, (size_t)(n + 1) * 8);
	fr_buf tmp = b->attrs;
	b->attrs = b->tmpattrs;
	b->tmpattrs = tmp;
	return 0;
}

static int flush(part_state *ps, fr_err *err)
{
	rgbuf *b = &ps->b;
	gen_ctx *g = ps->g;
	if (!b->n)
		return 0;
	if (!g->o->sorted && shuffle(ps, ps->rg))
		return fr_err_set(err, FR_ENOMEM, "out of memory shuffling rows");
	int64_t n = b->n;
	fr_vec v[NCOLS];
	memset(v, 0, sizeof v);
	for (int c = 0; c < NCOLS; c++)
		v[c].len = n;
	v[C_VISITOR].kind = FR_VEC_I64; v[C_VISITOR].v.i64 = b->visitor;
	v[C_TS].kind = FR_VEC_I64; v[C_TS].v.i64 = b->ts;
	v[C_ITEM].kind = FR_VEC_I64; v[C_ITEM].v.i64 = b->item;
	v[C_EVENT].kind = FR_VEC_DICT; v[C_EVENT].v.codes = b->event;
	v[C_EVENT].dict = (fr_strtab){ 3, g->ev_off, g->ev_data };
	v[C_CATEGORY].kind = FR_VEC_DICT; v[C_CATEGORY].v.codes = b->cat;
	v[C_CATEGORY].dict = (fr_strtab){ NCATEGORIES, g->cat_off, g->cat_data };
	v[C_PRICE].kind = FR_VEC_F64; v[C_PRICE].v.f64 = b->price;
	v[C_PRICE].valid = b->price_valid;
	v[C_AVAILABLE].kind = FR_VEC_BOOL; v[C_AVAILABLE].v.b = b->avail;
	v[C_TXID].kind = FR_VEC_F64; v[C_TXID].v.f64 = b->txid;
	v[C_TXID].valid = b->tx_valid;
	v[C_ATTRS].kind = FR_VEC_BIN;
	v[C_ATTRS].dict = (fr_strtab){ (uint32_t)n, b->attr_off, b->attrs.data };
	if (fr_pqw_write_row_group(ps->w, n, v, err))
		return err->code;
	fr_progress_add(&g->prog, n);
	ps->rg++;
	b->n = 0;
	memset(b->price_valid, 0, FR_BITMAP_WORDS(b->cap) * 8);
	memset(b->tx_valid, 0, FR_BITMAP_WORDS(b->cap) * 8);
	fr_buf_reset(&b->attrs);
	return 0;
}

static int grow_user(part_state *ps, int64_t n)
{
	if (n <= ps->ucap)
		return 0;
	int64_t c = ps->ucap ? ps->ucap : 256;
	while (c < n)
		c *= 2;
	int64_t *a = realloc(ps->uts, (size_t)c * 8);
	if (!a)
		return FR_ENOMEM;
	ps->uts = a;
	if (!(a = realloc(ps->uitem, (size_t)c * 8)))
		return FR_ENOMEM;
	ps->uitem = a;
	uint8_t *e = realloc(ps->uev, (size_t)c);
	if (!e)
		return FR_ENOMEM;
	ps->uev = e;
	if (!(e = realloc(ps->uavail, (size_t)c)))
		return FR_ENOMEM;
	ps->uavail = e;
	int32_t *s = realloc(ps->usess, (size_t)c * 4);
	if (!s)
		return FR_ENOMEM;
	ps->usess = s;
	ps->ucap = c;
	return 0;
}

static int64_t zipf_item(rng_t *r, int64_t nitems)
{
	/* Item i is viewed about as often as 1/sqrt(i): the most popular item takes ~0.2% of
	 * the views at RetailRocket's scale, as there. */
	double x = unif(r);
	int64_t it = (int64_t)(x * x * (double)nitems);
	return it < nitems ? it : nitems - 1;
}

static int gen_user(part_state *ps, int64_t u, fr_err *err)
{
	gen_ctx *g = ps->g;
	uint64_t seed = g->o->seed;
	int64_t n = user_rows(g, u);
	if (grow_user(ps, n))
		return fr_err_set(err, FR_ENOMEM, "out of memory generating user %lld", (long long)u);
	rng_t r = { key(seed, 4, (uint64_t)u) };
	double propensity = next(&r) % 100 < 60 ? 0.25 : 2.125;
	/* Timestamps: offsets first, squeezed into the window if the history is too long. */
	int64_t t = 0, last_item = -1;
	int32_t sess = 0;
	int prev = -1;
	for (int64_t i = 0; i < n; i++) {
		int ev = EV_VIEW;
		if (i > 0) {
			double x = unif(&r);
			if (prev == EV_CART && x < g->p_tx)
				ev = EV_TX;
			else if (prev == EV_VIEW && x < g->p_cart * propensity)
				ev = EV_CART;
		}
		if (i > 0) {
			/* Sessions only break before a view: a cart follows its view within minutes. */
			if (ev == EV_VIEW && next(&r) % 5 == 0) {
				double x = unif(&r);
				t += 3600000 + (int64_t)(x * x * 6.0 * 86400000.0);
				sess++;
			} else {
				double x = unif(&r);
				t += 3000 + (int64_t)(x * x * 300000.0);
			}
		}
		if (ev == EV_VIEW)
			last_item = last_item >= 0 && next(&r) % 4 == 0 ? last_item
				: zipf_item(&r, g->nitems);
		ps->uts[i] = t;
		ps->uitem[i] = last_item;
		ps->uev[i] = (uint8_t)ev;
		ps->uavail[i] = ev != EV_VIEW || next(&r) % 100 < 85;
		ps->usess[i] = sess;
		prev = ev;
	}
	int64_t span = t;
	if (span >= PERIOD_MS) {
		for (int64_t i = 0; i < n; i++)
			ps->uts[i] = (int64_t)((unsigned __int128)ps->uts[i] * (PERIOD_MS - 1) /
				(uint64_t)span);
		span = ps->uts[n - 1];
	}
	int64_t start = T0_MS + (int64_t)(next(&r) % (uint64_t)(PERIOD_MS - span));
	rgbuf *b = &ps->b;
	for (int64_t i = 0; i < n; i++) {
		if (b->n == b->cap && flush(ps, err))
			return err->code;
		int64_t k = b->n++;
		int64_t item = ps->uitem[i];
		b->visitor[k] = u;
		b->ts[k] = start + ps->uts[i];
		b->event[k] = ps->uev[i];
		b->item[k] = item;
		b->cat[k] = item_category(seed, item);
		double price = item_price(seed, item);
		b->price[k] = price < 0 ? 0 : price;
		if (price >= 0)
			fr_bit_set(b->price_valid, k);
		b->avail[k] = ps->uavail[i];
		if (ps->uev[i] == EV_TX) {
			/* One transaction id per user session: items bought together share it. */
			b->txid[k] = (double)(u * 4096 + (ps->usess[i] & 4095));
			fr_bit_set(b->tx_valid, k);
		} else {
			b->txid[k] = 0;
		}
		/* 2..5 tokens of the item, '|'-separated. */
		uint64_t h = key(seed, 5, (uint64_t)item);
		int ntok = 2 + (int)(h & 3);
		if (fr_buf_reserve(&b->attrs, 5 * 17))
			return fr_err_set(err, FR_ENOMEM, "out of memory generating attributes");
		for (int k2 = 0; k2 < ntok; k2++) {
			int tok = (int)((h >> (8 + 8 * k2)) & 0xff);
			if (k2)
				b->attrs.data[b->attrs.len++] = '|';
			memcpy(b->attrs.data + b->attrs.len, g->tokens[tok], g->token_len[tok]);
			b->attrs.len += g->token_len[tok];
		}
		b->attr_off[k + 1] = (int64_t)b->attrs.len;
	}
	return 0;
}

static int gen_part(gen_ctx *g, int part, fr_err *err)
{
	const fr_gen_opts *o = g->o;
	part_state ps;
	memset(&ps, 0, sizeof ps);
	ps.g = g;
	ps.part = part;
	const char *path = fr_outset_tmp_path(g->outs, part);
	int64_t cap = o->row_group_rows;
	if (rgbuf_init(&ps.b, cap))
		return fr_err_set(err, FR_ENOMEM, "out of memory for a row group of %lld rows",
			(long long)cap);
	fr_pqw_opts wo;
	fr_pqw_opts_default(&wo);
	wo.codec = o->codec;
	wo.page_v2 = o->page_v2;
	int rc = fr_pqw_open(path, COLS, NCOLS, &wo, &ps.w, err);
	for (int64_t u = 0; !rc && u < g->users; u++) {
		if (fr_part_of_int(u, (uint32_t)o->parts) != (uint32_t)part)
			continue;
		rc = gen_user(&ps, u, err);
		if (!rc && __atomic_load_n(&g->failed, __ATOMIC_RELAXED))
			rc = fr_err_set(err, FR_EINVAL, "stopped: another part failed");
	}
	if (!rc)
		rc = flush(&ps, err);
	if (!rc) {
		rc = fr_pqw_close(ps.w, err);
		ps.w = NULL;
	}
	if (rc)
		fr_pqw_abort(ps.w);
	rgbuf_free(&ps.b);
	free(ps.uts); free(ps.uitem); free(ps.uev); free(ps.uavail); free(ps.usess);
	return rc;
}

static void *worker(void *arg)
{
	gen_ctx *g = arg;
	for (;;) {
		pthread_mutex_lock(&g->mu);
		int p = g->failed ? g->o->parts : g->next_part++;
		pthread_mutex_unlock(&g->mu);
		if (p >= g->o->parts) {
			__atomic_add_fetch(&g->finished, 1, __ATOMIC_RELAXED);
			return NULL;
		}
		fr_err e = { 0 };
		if (gen_part(g, p, &e)) {
			pthread_mutex_lock(&g->mu);
			if (!g->failed)
				g->err = e;
			__atomic_store_n(&g->failed, 1, __ATOMIC_RELAXED);
			pthread_mutex_unlock(&g->mu);
		}
	}
}

int fr_gen_run(const fr_gen_opts *o, fr_err *err)
{
	if (o->parts < 1 || o->parts > FR_ARGS_MAX_PARTS)
		return fr_err_set(err, FR_EINVAL, "--parts must be between 1 and %d, not %d",
			FR_ARGS_MAX_PARTS, o->parts);
	if (o->rows < 1 || o->rows > FR_GEN_MAX_ROWS)
		return fr_err_set(err, FR_EINVAL, "--rows must be between 1 and %lld, not %lld",
			(long long)FR_GEN_MAX_ROWS, (long long)o->rows);
	int64_t users = o->users ? o->users : (o->rows + 1) / 2;
	if (users < 1 || users > o->rows)
		return fr_err_set(err, FR_EINVAL, "--users must be between 1 and --rows (%lld), "
			"not %lld", (long long)o->rows, (long long)users);
	if (o->row_group_rows < 1 || o->row_group_rows > FR_GEN_MAX_ROW_GROUP_ROWS)
		return fr_err_set(err, FR_EINVAL, "--row-group-rows must be between 1 and %lld, "
			"not %lld", (long long)FR_GEN_MAX_ROW_GROUP_ROWS, (long long)o->row_group_rows);
	if (o->threads < 0 || o->threads > FR_GEN_MAX_THREADS)
		return fr_err_set(err, FR_EINVAL, "--threads must be between 0 and %d, not %d",
			FR_GEN_MAX_THREADS, o->threads);
	gen_ctx *g = calloc(1, sizeof *g);
	if (!g)
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	if (fr_outset_begin(o->out, o->parts, &g->outs, err)) {
		free(g);
		return err->code;
	}
	g->o = o;
	g->users = users;
	/* RetailRocket: ~235k items for 2.76M events. */
	g->nitems = o->rows / 12 > 100 ? o->rows / 12 : 100;
	plan(g);
	tables(g);
	fr_progress_init(&g->prog, "gen", o->rows);
	if (!o->progress)
		g->prog.enabled = 0;
	pthread_mutex_init(&g->mu, NULL);
	int nt = o->threads > 0 ? o->threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (nt < 1)
		nt = 1;
	if (nt > o->parts)
		nt = o->parts;
	if (nt > 64)
		nt = 64;
	pthread_t th[64];
	int started = 0;
	for (int i = 0; i < nt; i++) {
		if (pthread_create(&th[i], NULL, worker, g))
			break;
		started++;
	}
	if (!started)
		worker(g);
	/* Main thread draws progress while the workers run. */
	for (;;) {
		if (!started || __atomic_load_n(&g->finished, __ATOMIC_RELAXED) >= started)
			break;
		fr_progress_draw(&g->prog, 0);
		struct timespec ts = { 0, 50 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	for (int i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	int rc = 0;
	if (g->failed) {
		*err = g->err;
		rc = err->code ? err->code : FR_EIO;
		fr_outset_abort(g->outs);
	} else if ((rc = fr_outset_commit(g->outs, err)) == 0) {
		fr_progress_draw(&g->prog, 1);
	}
	pthread_mutex_destroy(&g->mu);
	free(g);
	return rc;
}
