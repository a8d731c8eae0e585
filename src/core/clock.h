/* Clocks: a monotonic one for durations and deadlines, the wall clock for what crosses
 * processes (invoke times, registration ids, last-used marks). */
#ifndef FR_CORE_CLOCK_H
#define FR_CORE_CLOCK_H

#include <pthread.h>
#include <stddef.h>
#include <time.h>

/* Seconds on CLOCK_MONOTONIC. */
double fr_mono_s(void);
/* Seconds since the epoch (CLOCK_REALTIME), with sub-second precision. */
double fr_wall_s(void);
/* The wall clock as ISO-8601 UTC with microseconds, "2021-02-10T08:32:12.412792+00:00"
 * (Python's isoformat of an aware UTC datetime).  out must hold 33 bytes. */
void fr_iso8601_now(char *out, size_t n);

/* Timed waits on CLOCK_MONOTONIC, so that a step of the wall clock neither cuts a wait short
 * nor stretches it.  fr_cond_init_mono initialises a condition variable for them (0 or an
 * errno value); fr_mono_timespec turns an fr_mono_s() time into pthread_cond_timedwait's
 * absolute time, fr_mono_after the time `seconds` from now. */
int fr_cond_init_mono(pthread_cond_t *cv);
struct timespec fr_mono_timespec(double at);
struct timespec fr_mono_after(double seconds);

#endif
