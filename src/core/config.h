/* FROCKET_* configuration: a dotted key such as "invoker.run.timeout" is read from the
 * environment variable FROCKET_INVOKER_RUN_TIMEOUT (upper-case, '.' -> '_').  Malformed values
 * are errors that name the variable and its value, never silently replaced by the default:
 * a variable set to the empty string is an error too (unset it to get the default).
 *
 * Every setting a program reads is listed in the table of known settings in config.c with its
 * kind and range; the typed getters enforce that range, and fr_config_check_env() checks all
 * of them at once so a program can refuse a bad environment before doing any work. */
#ifndef FR_CORE_CONFIG_H
#define FR_CORE_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "core/error.h"

/* Writes the environment variable name for key into out (size n). */
void fr_config_env_name(const char *key, char *out, size_t n);
/* The raw value ("" when set but empty), or def when unset. */
const char *fr_config_str(const char *key, const char *def);
/* Typed getters: 0 and *out set (to def when unset), or FR_EINVAL with a message naming the
 * variable and its value.  A key in the table of known settings is also range-checked. */
int fr_config_int(const char *key, int64_t def, int64_t *out, fr_err *err);
int fr_config_double(const char *key, double def, double *out, fr_err *err);
/* true/false, 1/0, yes/no, on/off, case-insensitive; nothing else. */
int fr_config_bool(const char *key, int def, int *out, fr_err *err);
/* One of names (NULL-terminated), case-insensitive: *out is its index (def when unset). */
int fr_config_enum(const char *key, const char *const *names, int def, int *out, fr_err *err);
/* Checks every known setting that is set; calls report once per bad one with a message naming
 * the variable and its value.  Returns the number of bad settings. */
int fr_config_check_env(void (*report)(const char *msg, void *ctx), void *ctx);

/* The i-th known setting's key (NULL past the last) and its default as text. */
const char *fr_config_known(size_t i, const char **def);

#endif
