/* Helpers shared by the files of src/query (not part of the module's contract). */
#ifndef FR_QUERY_INTERNAL_H
#define FR_QUERY_INTERNAL_H

#include "query/query.h"

/* Final value of an entry as a double, for ranking (means divide; NaN if cnt == 0). */
double fr_qres_value(fr_agg_type t, int int_sum, const fr_qentry *e);
/* Sorts entries by value descending, then key ascending (with_keys) or by the value id kept
 * in klen (without keys yet). */
void fr_qres_rank(fr_agg_type t, int int_sum, fr_qentry *e, uint32_t n, int with_keys);

/* The k-th largest of v[0..n) (1 <= k <= n); reorders v; NaN counts as -inf. */
double fr_qres_kth_largest(double *v, uint32_t n, uint32_t k);

#endif
