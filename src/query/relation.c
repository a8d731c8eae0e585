/* Relation expressions (query.md §3.4): "$0 or $name and ($1 || $2)" -> AST over conditions.
 * Recursive descent with AND binding tighter than OR; the input is trimmed and lower-cased
 * first, names resolve case-insensitively. */
#include "query/query.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define REL_MAX_DEPTH 200

typedef struct named {
	const char *name;
	int i;
} named;

typedef struct rp {
	fr_query *q;
	named *by_name;
	int cap;                   /* nodes allocated in q->rel */              /* indexes of the named conditions, sorted by name (no case) */
	int nnamed;
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
	if (p->pos < p->len) {
		snprintf(m, sizeof m, "invalid relation syntax at '%.20s' (position %zu)", p->s + p->pos,
		         p->pos);
	} else {   /* it stops where a condition, an operator or ')' must follow */
		size_t from = p->len > 20 ? p->len - 20 : 0;
		snprintf(m, sizeof m, "invalid relation syntax: it ends too early, after '%s%s' "
		         "(position %zu)", from ? "..." : "", p->s + from, p->len);
	}
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
	if (q->nrel >= p->cap)     /* cannot happen (see the sizing): refuse rather than overrun */
		return rel_err(p, FR_QERR_UNEXPECTED, "relation has more nodes than terms allow");
	fr_relnode *n = &q->rel[q->nrel];
	n->kind = k;
	n->cond = cond;
	n->left = l;
	n->right = r;
	return q->nrel++;
}

static int parse_or(rp *p);

/* Name lookups are a binary search over the sorted names, so a long relation over many named
 * conditions costs O(terms x log conditions), not O(terms x conditions). */
static int cmp_names(const void *a, const void *b)
{
	return strcasecmp(((const named *)a)->name, ((const named *)b)->name);
}

static int build_name_index(rp *p, fr_arena *arena)
{
	const fr_query *q = p->q;
	p->by_name = fr_arena_calloc(arena, (size_t)q->nconds + 1, sizeof(named));
	if (!p->by_name)
		return -1;
	for (int i = 0; i < q->nconds; i++)
		if (q->conds[i].name)
			p->by_name[p->nnamed++] = (named){ q->conds[i].name, i };
	/* names are unique (checked before), so the order is total */
	qsort(p->by_name, (size_t)p->nnamed, sizeof(named), cmp_names);
	return 0;
}

static int find_name(const rp *p, const char *s, size_t n)
{
	int lo = 0, hi = p->nnamed;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		const char *name = p->by_name[mid].name;
		int c = strncasecmp(name, s, n);
		if (c == 0 && name[n] != 0)
			c = 1;             /* name is longer than the key: it sorts after */
		if (c == 0)
			return p->by_name[mid].i;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Kept out of parse_term so that its frames, nested as deep as the parentheses, stay small. */
static __attribute__((noinline)) int name_err(rp *p, const char *what, size_t start)
{
	char m[200];
	size_t n = p->pos - start;
	snprintf(m, sizeof m, "unknown condition %s %s%.*s%s", what, *what == 'n' ? "'" : "",
	         n > 100 ? 100 : (int)n, p->s + start, *what == 'n' ? "'" : "");
	return rel_err(p, FR_QERR_RELATION, m);
}

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
	if (p->pos < p->len && isdigit((unsigned char)p->s[p->pos])) {
		uint64_t v = 0;
		while (p->pos < p->len && isdigit((unsigned char)p->s[p->pos])) {
			if (v < 1000000000)
				v = v * 10 + (uint64_t)(p->s[p->pos] - '0');
			p->pos++;
		}
		if (v >= (uint64_t)q->nconds)
			return name_err(p, "index", start);
		return new_node(p, FR_REL_COND, (int)v, -1, -1);
	}
	if (p->pos < p->len && p->s[p->pos] >= 'a' && p->s[p->pos] <= 'z') {
		while (p->pos < p->len && (isdigit((unsigned char)p->s[p->pos]) || p->s[p->pos] == '_' ||
		                           (p->s[p->pos] >= 'a' && p->s[p->pos] <= 'z')))
			p->pos++;
		int i = find_name(p, p->s + start, p->pos - start);
		if (i >= 0)
			return new_node(p, FR_REL_COND, i, -1, -1);
		return name_err(p, "name", start);
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

/* ---- compilation to the postfix program (see fr_relop in query.h) ---- */

typedef struct task {
	int node;                  /* >= 0: visit this node; < 0: emit `op` */
	fr_relop op;
} task;

typedef struct emitter {
	fr_query *q;
	int depth;                 /* stack depth of the program so far */
	int run;                   /* id of the current run of one operator on the top slot */
	int run_op;                /* -1 none yet (just pushed), else FR_REL_AND / FR_REL_OR */
	int *stamp;                /* stamp[cond] == run: cond already applied in this run */
} emitter;

static void emit(emitter *e, fr_relop op)
{
	fr_query *q = e->q;
	switch (op.op) {
	case FR_RELOP_PUSH:
		e->depth++;
		if (e->depth > q->rel_depth)
			q->rel_depth = e->depth;
		e->run++;
		e->run_op = -1;
		e->stamp[op.cond] = e->run;
		break;
	case FR_RELOP_AND_COND:
	case FR_RELOP_OR_COND: {
		/* x op a op a == x op a: within one run of one operator a repeat is dropped; a
		 * different operator starts a new run ((x and a) or a is not x and a) */
		int k = op.op == FR_RELOP_AND_COND ? FR_REL_AND : FR_REL_OR;
		if (e->run_op != -1 && e->run_op != k)
			e->run++;
		e->run_op = k;
		if (e->stamp[op.cond] == e->run)
			return;
		e->stamp[op.cond] = e->run;
		break;
	}
	case FR_RELOP_AND_TOP:
	case FR_RELOP_OR_TOP:
		e->depth--;
		e->run++;
		e->run_op = op.op == FR_RELOP_AND_TOP ? FR_REL_AND : FR_REL_OR;
		break;
	}
	q->rel_prog[q->nrel_prog++] = op;
}

static int compile(fr_query *q, fr_arena *arena)
{
	int n = q->nrel;
	/* need[i]: stack slots node i takes (Sethi-Ullman).  Children have smaller indexes than
	 * their parent (the parser creates them first), so one forward pass computes it. */
	int *need = fr_arena_calloc(arena, (size_t)n + 1, sizeof(int));
	/* a visit of an inner node pops one task and pushes at most three, every other task only
	 * pops: at most 1 + 2 x (inner nodes) <= n tasks are ever on the stack */
	task *st = fr_arena_calloc(arena, (size_t)n + 1, sizeof(task));
	q->rel_prog = fr_arena_calloc(arena, (size_t)n + 1, sizeof(fr_relop));
	emitter e = { .q = q, .run_op = -1,
	              .stamp = fr_arena_calloc(arena, (size_t)q->nconds + 1, sizeof(int)) };
	if (!need || !st || !q->rel_prog || !e.stamp)
		return -1;
	for (int i = 0; i < n; i++) {
		const fr_relnode *nd = &q->rel[i];
		if (nd->kind == FR_REL_COND) {
			need[i] = 1;
			continue;
		}
		int lc = q->rel[nd->left].kind == FR_REL_COND, rc = q->rel[nd->right].kind == FR_REL_COND;
		int nl = need[nd->left], nr = need[nd->right];
		if (rc)
			need[i] = nl;
		else if (lc)
			need[i] = nr;
		else
			need[i] = nl == nr ? nl + 1 : nl > nr ? nl : nr;
	}
	q->nrel_prog = 0;
	q->rel_depth = 0;
	size_t sp = 0;
	st[sp++] = (task){ .node = q->rel_root };
	while (sp > 0) {
		task t = st[--sp];
		if (t.node < 0) {
			emit(&e, t.op);
			continue;
		}
		const fr_relnode *nd = &q->rel[t.node];
		if (nd->kind == FR_REL_COND) {
			emit(&e, (fr_relop){ FR_RELOP_PUSH, nd->cond });
			continue;
		}
		int is_and = nd->kind == FR_REL_AND;
		const fr_relnode *l = &q->rel[nd->left], *r = &q->rel[nd->right];
		/* tasks run in reverse order of pushing */
		if (r->kind == FR_REL_COND || l->kind == FR_REL_COND) {
			int leaf_right = r->kind == FR_REL_COND;
			st[sp++] = (task){ .node = -1, .op = { is_and ? FR_RELOP_AND_COND : FR_RELOP_OR_COND,
			                                       leaf_right ? r->cond : l->cond } };
			st[sp++] = (task){ .node = leaf_right ? nd->left : nd->right };
		} else {
			int first = need[nd->left] >= need[nd->right] ? nd->left : nd->right;
			int second = first == nd->left ? nd->right : nd->left;
			st[sp++] = (task){ .node = -1, .op = { is_and ? FR_RELOP_AND_TOP : FR_RELOP_OR_TOP,
			                                       -1 } };
			st[sp++] = (task){ .node = second };
			st[sp++] = (task){ .node = first };
		}
	}
	return 0;
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
	/* Every leaf starts with a '$' and every inner node joins two subtrees: at most
	 * 2 x ('$' count) nodes, sized by the terms rather than by the text (spaces, long names). */
	size_t dollars = 0;
	for (size_t i = 0; i < len; i++)
		dollars += s[i] == '$';
	if (dollars > (size_t)INT32_MAX / 4)
		return rel_err(&p, FR_QERR_RELATION, "relation has too many terms");
	p.cap = (int)(2 * dollars + 1);
	q->rel = fr_arena_calloc(arena, (size_t)p.cap, sizeof(fr_relnode));
	if (!low || !q->rel)
		return rel_err(&p, FR_QERR_UNEXPECTED, "out of memory");
	for (size_t i = 0; i < len; i++)
		low[i] = (char)tolower((unsigned char)low[i]);
	q->nrel = 0;
	if (build_name_index(&p, arena))
		return rel_err(&p, FR_QERR_UNEXPECTED, "out of memory");
	p.s = low;
	p.len = len;
	int root = parse_or(&p);
	if (root < 0)
		return -1;
	if (p.pos != p.len)
		return syntax_err(&p);
	q->rel_root = root;
	if (compile(q, arena))
		return rel_err(&p, FR_QERR_UNEXPECTED, "out of memory");
	return 0;
}
