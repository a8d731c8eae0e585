/* FROCKET_* configuration: a dotted key such as "invoker.run.timeout" is read from the
 * environment variable FROCKET_INVOKER_RUN_TIMEOUT (upper-case, '.' -> '_').  Malformed values
 * are errors that name the variable, never silently replaced by the default. */
#ifndef FR_CORE_CONFIG_H
#define FR_CORE_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include "core/error.h"

/* Writes the environment variable name for key into out (size n). */
void fr_config_env_name(const char *key, char *out, size_t n);
/* The raw value, or def when unset or empty.  Never NULL unless def is NULL. */
const char *fr_config_str(const char *key, const char *def);
/* Typed getters: 0 and *out set (to def when unset), or FR_EINVAL with a message. */
int fr_config_int(const char *key, int64_t def, int64_t *out, fr_err *err);
int fr_config_double(const char *key, double def, double *out, fr_err *err);
/* true/false/1/0/yes/no, case-insensitive. */
int fr_config_bool(const char *key, int def, int *out, fr_err *err);

#endif
