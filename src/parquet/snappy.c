/* Snappy block decompression.  Format: a varint (the uncompressed length), then elements, each
 * a tag byte whose low two bits say what follows:
 *   00 literal: length-1 in the upper six bits, or 60..63 = 1..4 little-endian length-1 bytes
 *   01 copy:    length 4..11 in bits 2..4, offset = bits 5..7 << 8 | next byte
 *   10 copy:    length 1..64 in the upper six bits, 16-bit little-endian offset
 *   11 copy:    as 10 with a 32-bit offset
 * A copy repeats the `length` bytes starting `offset` bytes back; it may overlap itself
 * (offset < length: a repeating pattern).
 *
 * Two loops.  The fast one runs while at least FAST_IN input and FAST_OUT output bytes remain:
 * it copies in 16-byte units and lets them run past the element ("wild" copies whose extra bytes
 * the next elements overwrite), so short elements cost a load and a store.  The careful loop
 * finishes the last bytes with exact bounds.  Every length and offset is checked against the
 * input consumed and the output produced before it is used. */
#include "parquet/snappy.h"

#include <string.h>

#define FAST_IN 20   /* tag + 16 literal bytes, or tag + 4 offset/length bytes */
#define FAST_OUT 80  /* the widest wild write: a pattern copy of 64 bytes + 15 */

static const char CORRUPT[] = "snappy: corrupt compressed data";

/* Per tag byte: length in bits 0..7, LIT, SLOW (anything but a literal or a 1-/2-byte-offset
 * copy of at most 16 bytes), and for 1-byte-offset copies the offset's high bits (<< 8) in bits
 * 16..; mask[type] keeps the offset bytes that follow the tag. */
enum { LIT = 1 << 8, SLOW = 1 << 9 };
typedef struct tags {
	uint32_t e[256];
	uint32_t mask[4];
} tags;

#define LITLEN(t) (((t) >> 2) + 1)
#define C1LEN(t) ((((t) >> 2) & 7) + 4)
#define ENTRY(t) \
	(((t) & 3) == 0 ? (LITLEN(t) <= 16 ? LITLEN(t) | LIT : SLOW) : \
	 ((t) & 3) == 1 ? (C1LEN(t) | (uint32_t)(((t) >> 5) << 8) << 16) : \
	 ((t) & 3) == 2 ? (LITLEN(t) <= 16 ? LITLEN(t) : SLOW) : SLOW)
#define E4(t) ENTRY(t), ENTRY((t) + 1), ENTRY((t) + 2), ENTRY((t) + 3)
#define E16(t) E4(t), E4((t) + 4), E4((t) + 8), E4((t) + 12)
#define E64(t) E16(t), E16((t) + 16), E16((t) + 32), E16((t) + 48)
static const tags tab = {
	{ E64(0), E64(64), E64(128), E64(192) },
	{ 0, 0xff, 0xffff, 0 },
};

/* Through a register, so overlapping source and destination are fine. */
static inline void copy16(uint8_t *d, const uint8_t *s)
{
	uint8_t t[16];
	memcpy(t, s, 16);
	memcpy(d, t, 16);
}

static inline uint32_t le16(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}

static inline uint32_t le32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	return v;
}

int fr_snappy_length(const uint8_t *src, size_t n, size_t *len)
{
	uint32_t v = 0;
	for (size_t i = 0; i < 5; i++) {
		if (i == n)
			return -1;
		uint32_t b = src[i];
		if (i == 4 && b > 15) /* more than 32 bits */
			return -1;
		v |= (b & 127) << (7 * i);
		if (!(b & 128)) {
			*len = v;
			return (int)i + 1;
		}
	}
	return -1;
}

/* off < 16 and off < l: the pattern of the last `off` bytes, repeated.  Writes up to l + 15
 * bytes from op. */
static inline void pattern_copy(uint8_t *op, const uint8_t *s, size_t off, size_t l)
{
	uint8_t pat[16];
	size_t j = 0;
	for (; j < off; j++)
		pat[j] = s[j];
	for (; j < 16; j++)
		pat[j] = pat[j - off];
	size_t step = 16 - 16 % off; /* a multiple of off: the pattern keeps its phase */
	for (size_t k = 0; k < l; k += step)
		memcpy(op + k, pat, 16);
}

/* One stream being decoded. */
typedef struct stream {
	const uint8_t *ip, *ip_end;
	uint8_t *op, *dst, *op_end;
	const char *why;        /* set when the stream failed */
} stream;

static inline int fast_room(const stream *z)
{
	return z->ip_end - z->ip >= FAST_IN && z->op_end - z->op >= FAST_OUT;
}

/* One element while fast_room holds.  The common elements (a literal of <= 16 bytes, a copy of
 * <= 16 bytes with a 1- or 2-byte offset) are one 16-byte move; the next tag's position
 * depends on the tag alone (literal: 1 + length, copy: 1 + offset bytes), which keeps the
 * loop-carried chain short, and the choices are selects, not branches, so mixed element kinds
 * do not mispredict.  Returns -1 (z->why set) on corrupt input. */
static inline __attribute__((always_inline)) int fast_step(stream *z)
{
	const uint8_t *ip = z->ip;
	uint8_t *op = z->op;
	uint32_t tag = ip[0];
	uint32_t e = tab.e[tag];
	if (__builtin_expect(!(e & SLOW), 1)) {
		size_t len = e & 0xff;
		int lit = (e & LIT) != 0;
		size_t adv = lit ? len + 1 : (tag & 3) + 1;
		size_t off = (e >> 16) | (le32(ip + 1) & tab.mask[tag & 3]);
		/* off == 0 wraps to SIZE_MAX */
		int bad = !lit & (off - 1 >= (size_t)(op - z->dst));
		/* no pointer before the output is ever formed, even for a copy about to fail */
		const uint8_t *s = lit ? ip + 1 : op - (bad ? 0 : off);
		int overlap = !lit & (off < len);
		if (__builtin_expect(bad | overlap, 0)) {
			if (bad) {
				z->why = CORRUPT;
				return -1;
			}
			pattern_copy(op, op - off, off, len);
		} else {
			copy16(op, s);
		}
		z->op = op + len;
		z->ip = ip + adv;
		return 0;
	}
	ip++;
	size_t l, off;
	if ((tag & 3) == 0) {
		l = (tag >> 2) + 1;
		if (l > 60) { /* 1..4 length bytes; FAST_IN leaves 4 readable */
			size_t nb = l - 60;
			uint32_t v = le32(ip);
			if (nb < 4)
				v &= ((uint32_t)1 << (8 * nb)) - 1;
			ip += nb;
			l = (size_t)v + 1;
		}
		size_t in_left = (size_t)(z->ip_end - ip), out_left = (size_t)(z->op_end - op);
		if (l > in_left || l > out_left) {
			z->why = CORRUPT;
			return -1;
		}
		if (l <= 64 && in_left >= 64 && out_left >= 64) {
			copy16(op, ip);
			copy16(op + 16, ip + 16);
			if (l > 32) {
				copy16(op + 32, ip + 32);
				copy16(op + 48, ip + 48);
			}
		} else {
			memcpy(op, ip, l);
		}
		z->ip = ip + l;
		z->op = op + l;
		return 0;
	}
	switch (tag & 3) {
	case 1:
		l = ((tag >> 2) & 7) + 4;
		off = (tag >> 5) << 8 | *ip++;
		break;
	case 2:
		l = (tag >> 2) + 1;
		off = le16(ip);
		ip += 2;
		break;
	default:
		l = (tag >> 2) + 1;
		off = le32(ip);
		ip += 4;
		break;
	}
	/* l <= 64 always fits FAST_OUT */
	if (off - 1 >= (size_t)(op - z->dst)) {
		z->why = CORRUPT;
		return -1;
	}
	const uint8_t *s = op - off;
	if (off >= 16) {
		/* each 16-byte unit reads only bytes written before it */
		copy16(op, s);
		copy16(op + 16, s + 16);
		if (l > 32) {
			copy16(op + 32, s + 32);
			copy16(op + 48, s + 48);
		}
	} else if (off >= l) {
		copy16(op, s);
	} else {
		pattern_copy(op, s, off, l);
	}
	z->ip = ip;
	z->op = op + l;
	return 0;
}

/* The last bytes, with exact bounds, then the size check. */
static int finish(stream *z)
{
	const uint8_t *ip = z->ip, *const ip_end = z->ip_end;
	uint8_t *op = z->op, *const op_end = z->op_end;
	while (ip < ip_end) {
		uint32_t tag = *ip++;
		size_t l, off;
		if ((tag & 3) == 0) {
			l = (tag >> 2) + 1;
			if (l > 60) {
				size_t nb = l - 60;
				if ((size_t)(ip_end - ip) < nb)
					goto corrupt;
				uint32_t v = 0;
				for (size_t k = 0; k < nb; k++)
					v |= (uint32_t)ip[k] << (8 * k);
				ip += nb;
				l = (size_t)v + 1;
			}
			if (l > (size_t)(ip_end - ip) || l > (size_t)(op_end - op))
				goto corrupt;
			memcpy(op, ip, l);
			ip += l;
			op += l;
			continue;
		}
		size_t nb = (tag & 3) == 1 ? 1 : (tag & 3) == 2 ? 2 : 4;
		if ((size_t)(ip_end - ip) < nb)
			goto corrupt;
		switch (tag & 3) {
		case 1:
			l = ((tag >> 2) & 7) + 4;
			off = (tag >> 5) << 8 | ip[0];
			break;
		case 2:
			l = (tag >> 2) + 1;
			off = le16(ip);
			break;
		default:
			l = (tag >> 2) + 1;
			off = le32(ip);
			break;
		}
		ip += nb;
		if (off - 1 >= (size_t)(op - z->dst) || l > (size_t)(op_end - op))
			goto corrupt;
		const uint8_t *s = op - off;
		for (size_t k = 0; k < l; k++) /* byte by byte: overlapping copies repeat */
			op[k] = s[k];
		op += l;
	}
	if (op != op_end) {
		z->why = "snappy: decompressed size does not match the page header";
		return -1;
	}
	return 0;
corrupt:
	z->why = CORRUPT;
	return -1;
}

static int start(stream *z, const uint8_t *src, size_t n, uint8_t *dst, size_t want)
{
	size_t ulen;
	int hdr = fr_snappy_length(src, n, &ulen);
	z->why = NULL;
	if (hdr < 0) {
		z->why = CORRUPT;
		return -1;
	}
	if (ulen != want) {
		z->why = "snappy: decompressed size does not match the page header";
		return -1;
	}
	z->ip = src + hdr;
	z->ip_end = src + n;
	z->dst = z->op = dst;
	z->op_end = dst + want;
	return 0;
}

/* The loops work on local copies of the streams: stores through the output pointer may alias
 * anything a pointer reaches, which would force the state back to memory after each one. */
static int run(stream *z)
{
	stream l = *z;
	int rc = 0;
	while (fast_room(&l))
		if ((rc = fast_step(&l)))
			break;
	*z = l;
	return rc ? rc : finish(z);
}

int fr_snappy_decompress(const uint8_t *src, size_t n, uint8_t *dst, size_t want,
                         const char **why)
{
	stream z;
	if (start(&z, src, n, dst, want) || run(&z)) {
		*why = z.why;
		return -1;
	}
	return 0;
}

int fr_snappy_decompress2(const uint8_t *src_a, size_t n_a, uint8_t *dst_a, size_t want_a,
                          const char **why_a, const uint8_t *src_b, size_t n_b, uint8_t *dst_b,
                          size_t want_b, const char **why_b)
{
	stream a, b;
	int ra = start(&a, src_a, n_a, dst_a, want_a), rb = start(&b, src_b, n_b, dst_b, want_b);
	/* Two independent chains of elements in one loop: the core overlaps them, where one
	 * stream alone waits on each tag before it can find the next. */
	if (!ra && !rb) {
		stream la = a, lb = b;
		while (fast_room(&la) && fast_room(&lb)) {
			if (fast_step(&la)) {
				ra = -1;
				break;
			}
			if (fast_step(&lb)) {
				rb = -1;
				break;
			}
		}
		a = la;
		b = lb;
	}
	if (!ra)
		ra = run(&a);
	if (!rb)
		rb = run(&b);
	*why_a = a.why;
	*why_b = b.why;
	return (ra ? 1 : 0) | (rb ? 2 : 0);
}
