/* The output set of a data tool (`frocket gen`, `frocket repartition`): DIR/part-00000.parquet
 * ... appear only when the whole run succeeded.  Parts are written under hidden temporary
 * names (.part-00000.parquet.PID.tmp), then synced and renamed into place together, so a
 * failed or interrupted run leaves an earlier dataset in DIR as it was.
 *
 * Temporary files never outlive the run: fr_outset_abort removes them; SIGINT, SIGTERM and
 * SIGHUP remove them before the process dies of the signal (signals the caller inherited as
 * ignored stay ignored); and the temporary files of a killed run (SIGKILL, a crash) are
 * recognised by their name and removed by the next run into the same directory, unless the
 * process named in them is still alive. */
#ifndef FR_TOOLS_OUTSET_H
#define FR_TOOLS_OUTSET_H

#include <stddef.h>
#include "core/error.h"

typedef struct fr_outset fr_outset;

/* Creates dir (and its parents) when missing, removes stale temporary files there and arms
 * the signal cleanup.  One output set at a time per process.  Errors name dir. */
int fr_outset_begin(const char *dir, int nparts, fr_outset **out, fr_err *err);
/* Where part i is to be written (a temporary path inside dir). */
const char *fr_outset_tmp_path(const fr_outset *s, int part);
/* Every part is written and closed: fsyncs them, renames them to part-NNNNN.parquet, fsyncs
 * dir and frees s.  On error the parts not yet renamed are removed. */
int fr_outset_commit(fr_outset *s, fr_err *err);
/* Removes the temporary files and frees s.  NULL is allowed. */
void fr_outset_abort(fr_outset *s);

/* Files part-NNNNN.parquet in dir numbered nparts or above, left by an earlier run with more
 * parts, would join the dataset: returns how many and writes a warning naming the first and
 * what to do into msg (size n).  0 when none or when dir cannot be read. */
int fr_outset_stale_warning(const char *dir, int nparts, char *msg, size_t n);

#endif
