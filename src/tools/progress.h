/* A progress bar on stderr for the data tools, drawn only when stderr is a terminal.
 * fr_progress_add may be called from several threads; drawing is rate-limited. */
#ifndef FR_TOOLS_PROGRESS_H
#define FR_TOOLS_PROGRESS_H

#include <stdint.h>

typedef struct fr_progress {
	const char *label;
	int64_t total;
	int64_t done;          /* updated atomically */
	int enabled;
	double start, last_draw;
} fr_progress;

/* enabled when stderr is a tty (and FROCKET_PROGRESS is not 0). */
void fr_progress_init(fr_progress *p, const char *label, int64_t total);
void fr_progress_add(fr_progress *p, int64_t n);
/* Redraws if 100 ms passed (or always when final); final ends the line. */
void fr_progress_draw(fr_progress *p, int final);

#endif
