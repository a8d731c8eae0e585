/* Query engine contract: query document -> validated, expanded fr_query; execution of one query
 * over one part's column vectors -> compact part result; merging part results; the result
 * document.  Semantics: spec/query.md with the decisions of spec/README.md. */
#ifndef FR_QUERY_QUERY_H
#define FR_QUERY_QUERY_H

#include <stdint.h>
#include <stddef.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/vec.h"
#include "kernels/kernels.h"

/* Validation error kinds (query.md §3.1); printed as errorKind. */
#define FR_QERR_KINDS(X) \
	X(FR_QERR_NONE,              "NONE") \
	X(FR_QERR_INVALID_ARGUMENTS, "INVALID_ARGUMENTS") \
	X(FR_QERR_SCHEMA,            "SCHEMA") \
	X(FR_QERR_TYPE_MISMATCH,     "TYPE_MISMATCH") \
	X(FR_QERR_DATASET_MISMATCH,  "DATASET_MISMATCH") \
	X(FR_QERR_RELATION,          "RELATION") \
	X(FR_QERR_UNEXPECTED,        "UNEXPECTED")

typedef enum {
#define X(name, text) name,
	FR_QERR_KINDS(X)
#undef X
} fr_qerr_kind;

const char *fr_qerr_kind_name(fr_qerr_kind k);

/* Aggregation types, spelled as in the query document. */
#define FR_AGG_TYPES(X) \
	X(FR_AGG_COUNT,            "count") \
	X(FR_AGG_COUNT_PER_VALUE,  "countPerValue") \
	X(FR_AGG_GROUPS_PER_VALUE, "groupsPerValue") \
	X(FR_AGG_SUM_PER_VALUE,    "sumPerValue") \
	X(FR_AGG_MEAN_PER_VALUE,   "meanPerValue")

typedef enum {
#define X(name, text) name,
	FR_AGG_TYPES(X)
#undef X
	FR_AGG__COUNT
} fr_agg_type;

const char *fr_agg_type_name(fr_agg_type t);

/* The dataset's short schema: what validation checks against (query.md §0). */
typedef struct fr_qschema {
	int ncols;
	const char **names;
	const fr_coltype *types;
	int group_col;             /* index into names */
	int ts_col;
} fr_qschema;

/* Resource limits for untrusted documents (reported as SCHEMA errors). */
#define FR_QUERY_MAX_DOC_BYTES (8u << 20)
#define FR_QUERY_MAX_ITEMS 10000       /* conditions, steps, filters, aggregations: each list */

/* ---- The validated, expanded query.  Everything lives in the arena given to the parser. ---- */

typedef enum { FR_QV_INT, FR_QV_FLOAT, FR_QV_BOOL, FR_QV_STR } fr_qval_type;

typedef struct fr_qfilter {
	const char *column;
	int col;                   /* schema column index */
	fr_op op;
	fr_qval_type vtype;        /* JSON type of the literal (§1.9) */
	int64_t i;                 /* INT and BOOL literals */
	double f;                  /* FLOAT literals; INT literals widened too */
	const char *s;             /* STR literal (may contain NUL: use slen) */
	size_t slen;
} fr_qfilter;

/* One row predicate: the AND of n filters (a `filter` is n == 1). */
typedef struct fr_qstep {
	fr_qfilter *filters;
	int n;
	int multi;                 /* written as a `filters` array (check order of §3.2) */
} fr_qstep;

typedef enum { FR_COND_FILTER, FR_COND_SEQUENCE } fr_cond_kind;
typedef enum { FR_TARGET_COUNT, FR_TARGET_SUM } fr_target_type;

typedef struct fr_qcond {
	fr_cond_kind kind;
	const char *name;          /* NULL when unnamed */
	fr_qstep rows;             /* FR_COND_FILTER */
	fr_target_type target;
	fr_op target_op;           /* one of == != < <= > >= */
	const char *sum_column;
	int sum_col;               /* FR_TARGET_SUM */
	int value_is_int;          /* literal type of the target value */
	int64_t ivalue;
	double fvalue;
	int include_zero;          /* -1 absent, 0, 1 (after §2.3 defaulting) */
	fr_qstep *steps;           /* FR_COND_SEQUENCE */
	int nsteps;
} fr_qcond;

/* Relation AST: node 0..n-1, root given separately; leaves reference conditions. */
typedef enum { FR_REL_COND, FR_REL_AND, FR_REL_OR } fr_rel_kind;
typedef struct fr_relnode {
	fr_rel_kind kind;
	int cond;                  /* FR_REL_COND */
	int left, right;           /* node indexes, AND/OR; always smaller than the node's own */
} fr_relnode;

/* The relation compiled (by fr_query_parse_relation) into a postfix program over a stack of
 * group bitmaps, so that neither evaluation nor any later walk recurses on the expression's
 * depth: a chain of 80,000 terms is a loop, not 80,000 stack frames.  Operands that are a
 * condition are applied in place (no stack slot); the heavier operand of an inner node is
 * evaluated first (Sethi-Ullman), so the stack never holds more than floor(log2(leaves)) + 1
 * bitmaps; a condition repeated in one run of the same operator (x and $a and $a) is dropped
 * (idempotent).  Memory while evaluating is one bitmap per distinct condition plus rel_depth. */
typedef enum {
	FR_RELOP_PUSH,             /* push the groups of condition `cond` */
	FR_RELOP_AND_COND,         /* top &= groups of `cond` */
	FR_RELOP_OR_COND,          /* top |= groups of `cond` */
	FR_RELOP_AND_TOP,          /* pop x; top &= x */
	FR_RELOP_OR_TOP            /* pop x; top |= x */
} fr_relop_kind;
typedef struct fr_relop {
	fr_relop_kind op;
	int cond;
} fr_relop;

typedef struct fr_qagg {
	fr_agg_type type;
	const char *column, *other_column;  /* other_column NULL when not given */
	int col;
	int other_col;             /* -1 unless sum/mean per value */
	const char *name;          /* NULL when unnamed */
	int top;                   /* map types: final number of entries */
} fr_qagg;

typedef struct fr_qagglist {
	fr_qagg *a;
	int n;
	int present;               /* 0: the list was absent or empty -> null in the result */
} fr_qagglist;

typedef struct fr_query {
	const fr_qschema *schema;  /* borrowed; must outlive the query */
	int has_from, has_to;
	int64_t from, to;
	fr_qcond *conds;
	int nconds;
	fr_relnode *rel;           /* NULL when there are no conditions */
	int nrel, rel_root;
	fr_relop *rel_prog;        /* the compiled relation (see fr_relop) */
	int nrel_prog, rel_depth;  /* instructions; bitmaps its stack needs at most */
	char *relation;            /* expanded relation text (NULL when none) */
	fr_qagglist aggs;
	int has_funnel;
	fr_qstep *fsteps;
	int nfsteps;
	fr_qagglist step_aggs;
	fr_qagglist end_aggs;
	uint8_t *used;             /* used[col] = 1 if the query reads column col (schema->ncols);
	                            * the timestamp only with a timeframe, sequence or funnel */
	double grace;              /* past the exact limit a part keeps ceil(top * grace) entries */
	int64_t exact_limit;       /* FROCKET_AGGREGATIONS_EXACT_LIMIT */
} fr_query;

typedef struct fr_qerror {
	fr_qerr_kind kind;
	char msg[FR_ERR_MSG_MAX];  /* names the JSON path, e.g. query.conditions[1].filter */
} fr_qerror;

/* Settings of the query engine (FROCKET_AGGREGATIONS_*), passed in by whoever read them. */
typedef struct fr_query_opts {
	int64_t top_default;       /* default `top` of map aggregations (10), 1..1000000 */
	double grace;              /* past the exact limit a part keeps ceil(top * grace) (2.0) */
	int64_t exact_limit;       /* distinct keys a part returns exactly (100000) */
} fr_query_opts;

/* Parses text (len bytes, need not be NUL-terminated) and validates it against schema, with
 * the engine settings in opts (out-of-range settings are INVALID_ARGUMENTS).  On success *out
 * points into `arena` and 0 is returned; otherwise a negative status and qe filled. */
int fr_query_parse_opts(const char *text, size_t len, const fr_qschema *schema,
                        const fr_query_opts *opts, fr_arena *arena, fr_query **out,
                        fr_qerror *qe);

/* fr_query_parse_opts with the default settings (top 10, grace 2.0, exact limit 100000). */
int fr_query_parse(const char *text, size_t len, const fr_qschema *schema, fr_arena *arena,
                   fr_query **out, fr_qerror *qe);

/* Relation expression parser (exposed for tests).  Adds nodes to q->rel. */
int fr_query_parse_relation(fr_query *q, const char *relation, fr_arena *arena, fr_qerror *qe);

/* ---- Part results ---- */

/* One map entry.  Which fields carry the value depends on the aggregation type:
 * countPerValue / groupsPerValue: cnt; sumPerValue: isum (INT other) or fsum+fcomp (FLOAT,
 * Neumaier pair); meanPerValue: the same sum plus cnt = number of non-null other values. */
typedef struct fr_qentry {
	const char *key;           /* stringified per the declared column type (§4.7) */
	uint32_t klen;
	int64_t cnt;
	fr_i128 isum;
	double fsum, fcomp;
} fr_qentry;

typedef struct fr_qaggres {
	int64_t count;             /* FR_AGG_COUNT */
	fr_qentry *e;              /* map types */
	uint32_t n, cap;
	uint32_t *ht;              /* merge accumulators only: open-addressing index into e */
	uint32_t htcap;
	int approximate;           /* some part cut its map (more keys than the exact limit) */
} fr_qaggres;

typedef struct fr_qstage {
	int64_t groups, rows;
	fr_qaggres *aggs;          /* as many as the corresponding fr_qagglist (NULL when absent) */
} fr_qstage;

/* Shaped by its query: query stage, one stage per funnel step (step aggregations) and the end
 * aggregations.  All memory is in `arena`, which the result owns (fr_qresult_free). */
typedef struct fr_qresult {
	fr_arena *arena;
	fr_qstage query;
	fr_qstage *steps;          /* nfsteps, NULL without a funnel */
	fr_qaggres *end;           /* end_aggs.n, NULL when absent */
	int64_t scanned_rows, scanned_groups;
} fr_qresult;

/* One part in memory: cols[c] for every schema column the query uses (others may be NULL),
 * all of the same length nrows. */
typedef struct fr_qpart {
	int64_t nrows;
	const fr_vec *const *cols;
	fr_kern_hint group_hint;   /* what the file's statistics say of the group column (optional,
	                            * checked by the index; zero = nothing) */
} fr_qpart;

/* Runs q over one part.  *out is a new result (its own arena); scratch goes to malloc'ed memory
 * freed before returning, so the caller may free the part's columns right after. */
int fr_query_exec(const fr_query *q, const fr_qpart *part, fr_qresult **out, fr_err *err);

/* An empty result shaped by q (zero counts, empty maps): the merge accumulator. */
int fr_qresult_new(const fr_query *q, fr_qresult **out, fr_err *err);
void fr_qresult_free(fr_qresult *r);
/* acc += part (key-wise sums, exact).  Parts must come from the same query. */
int fr_qresult_merge(const fr_query *q, fr_qresult *acc, const fr_qresult *part, fr_err *err);

/* Writes the response members "funnel" (when the query has one) and "query" of a merged
 * result into the object currently open in w (API flavour: keys sorted, nulls dropped from
 * objects but kept inside arrays; maps cut to `top`, value desc then key asc). */
struct fr_jw;
int fr_qresult_write(const fr_query *q, const fr_qresult *r, struct fr_jw *w);

#endif
