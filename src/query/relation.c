/* Relation expressions (query.md §3.4): "$0 or $name and ($1 || $2)" -> AST over conditions.
 * Recursive descent with AND binding tighter than OR; the input is trimmed and lower-cased
 * first, names resolve case-insensitively. */
#include "query/query.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define REL_MAX_DEPTH 200

typedef struct rp {
	fr_query *q;
	const char *s;             /* lower-cased, trimmed relation */
	size_t len, pos;
	int depth;
	fr_qerror *qe;
	int failed;                /* an error message is already set */
} rp;

static int rel_err(rp *p, fr_qerr_kind kind, const char *msg)
{
	if (!p->failed) {
		p->qe->kind = kind;
		snprintf(p->qe->msg, sizeof p->qe->msg, "query.relation: %s", msg);
		p->failed = 1;
	}
	return -1;
}

static int syntax_err(rp *p)
{
	char m[200];
	size_t at = p->pos < p->len ? p->pos : 0;
	snprintf(m, sizeof m, "invalid relation syntax at '%.20s' (position %zu)", p->s + at, at);
	return rel_err(p, FR_QERR_RELATION, m);
}

static void skip_ws(rp *p)
{
	while (p->pos < p->len && isspace((unsigned char)p->s[p->pos]))
		p->pos++;
}

static int new_node(rp *p, fr_rel_kind k, int cond, int l, int r)
{
	fr_query *q = p->q;
	fr_relnode *n = &q->rel[q->nrel];
	n->kind = k;
	n->cond = cond;
	n->left = l;
	n->right = r;
	return q->nrel++;
}

static int parse_or(rp *p);

static int parse_term(rp *p)
{
	if (p->pos < p->len && p->s[p->pos] == '(') {
		if (++p->depth > REL_MAX_DEPTH)
			return rel_err(p, FR_QERR_RELATION, "relation nested too deeply");
		p->pos++;
		skip_ws(p);
		int e = parse_or(p);
		if (e < 0)
			return -1;
		skip_ws(p);
		if (p->pos >= p->len || p->s[p->pos] != ')')
			return syntax_err(p);
		p->pos++;
		p->depth--;
		return e;
	}
	if (p->pos >= p->len || p->s[p->pos] != '$')
		return syntax_err(p);
	size_t start = ++p->pos;
	const fr_query *q = p->q;
	char m[200];
	if (p->pos < p->len && isdigit((unsigned char)p->s[p->pos])) {
		uint64_t v = 0;
		while (p->pos < p->len && isdigit((unsigned char)p->s[p->pos])) {
			if (v < 1000000000)
				v = v * 10 + (uint64_t)(p->s[p->pos] - '0');
			p->pos++;
		}
		if (v >= (uint64_t)q->nconds) {
			snprintf(m, sizeof m, "unknown condition index %.*s", (int)(p->pos - start),
			         p->s + start);
			return rel_err(p, FR_QERR_RELATION, m);
		}
		return new_node(p, FR_REL_COND, (int)v, -1, -1);
	}
	if (p->pos < p->len && p->s[p->pos] >= 'a' && p->s[p->pos] <= 'z') {
		while (p->pos < p->len && (isdigit((unsigned char)p->s[p->pos]) || p->s[p->pos] == '_' ||
		                           (p->s[p->pos] >= 'a' && p->s[p->pos] <= 'z')))
			p->pos++;
		size_t n = p->pos - start;
		for (int i = 0; i < q->nconds; i++) {
			const char *name = q->conds[i].name;
			if (name && strlen(name) == n && !strncasecmp(name, p->s + start, n))
				return new_node(p, FR_REL_COND, i, -1, -1);
		}
		snprintf(m, sizeof m, "unknown condition name '%.*s'", n > 100 ? 100 : (int)n,
		         p->s + start);
		return rel_err(p, FR_QERR_RELATION, m);
	}
	p->pos = start - 1;
	return syntax_err(p);
}

/* Matches one of the two spellings of an operator after optional whitespace. */
static int match_op(rp *p, const char *word, const char *sym)
{
	size_t save = p->pos;
	skip_ws(p);
	size_t wl = strlen(word), sl = strlen(sym);
	if (p->len - p->pos >= wl && !memcmp(p->s + p->pos, word, wl)) {
		p->pos += wl;
		skip_ws(p);
		return 1;
	}
	if (p->len - p->pos >= sl && !memcmp(p->s + p->pos, sym, sl)) {
		p->pos += sl;
		skip_ws(p);
		return 1;
	}
	p->pos = save;
	return 0;
}

static int parse_and(rp *p)
{
	int l = parse_term(p);
	while (l >= 0 && match_op(p, "and", "&&")) {
		int r = parse_term(p);
		if (r < 0)
			return -1;
		l = new_node(p, FR_REL_AND, -1, l, r);
	}
	return l;
}

static int parse_or(rp *p)
{
	int l = parse_and(p);
	while (l >= 0 && match_op(p, "or", "||")) {
		int r = parse_and(p);
		if (r < 0)
			return -1;
		l = new_node(p, FR_REL_OR, -1, l, r);
	}
	return l;
}

int fr_query_parse_relation(fr_query *q, const char *relation, fr_arena *arena, fr_qerror *qe)
{
	rp p = { .q = q, .qe = qe };
	size_t len = strlen(relation);
	const char *s = relation;
	while (len && isspace((unsigned char)*s))
		s++, len--;
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (len == 0)
		return rel_err(&p, FR_QERR_RELATION, "empty relation");
	char *low = fr_arena_strndup(arena, s, len);
	/* Each node consumes at least one input character. */
	q->rel = fr_arena_calloc(arena, len + 1, sizeof(fr_relnode));
	if (!low || !q->rel)
		return rel_err(&p, FR_QERR_UNEXPECTED, "out of memory");
	for (size_t i = 0; i < len; i++)
		low[i] = (char)tolower((unsigned char)low[i]);
	q->nrel = 0;
	p.s = low;
	p.len = len;
	int root = parse_or(&p);
	if (root < 0)
		return -1;
	if (p.pos != p.len)
		return syntax_err(&p);
	q->rel_root = root;
	return 0;
}
