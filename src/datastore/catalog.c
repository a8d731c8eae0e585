/* The catalog's public entry points: argument checks shared by every backend, the dataset-name
 * rule and the last-used guard, then a call through the backend's operations table.  Checking
 * here once means a registration that is malformed (unsorted parts, sizes that do not add up)
 * is refused the same way whether it would have gone to SQLite or to Redis. */
#include "datastore/catalog_impl.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int fr_catalog_check_name(const char *name, fr_err *err)
{
	if (!name)
		return fr_err_set(err, FR_EINVAL, "dataset name is missing");
	size_t n = strnlen(name, FR_DATASET_NAME_MAX + 1);
	if (n == 0)
		return fr_err_set(err, FR_EINVAL, "dataset name is empty");
	if (n > FR_DATASET_NAME_MAX)
		return fr_err_set(err, FR_EINVAL, "dataset name is longer than %d bytes",
		                  FR_DATASET_NAME_MAX);
	const unsigned char *s = (const unsigned char *)name;
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i];
		uint32_t cp;
		size_t len;
		if (c < 0x80) {
			cp = c;
			len = 1;
		} else if (c >= 0xc2 && c <= 0xdf) {   /* 0xc0, 0xc1 only start overlong forms */
			cp = c & 0x1f;
			len = 2;
		} else if ((c & 0xf0) == 0xe0) {
			cp = c & 0x0f;
			len = 3;
		} else if (c >= 0xf0 && c <= 0xf4) {
			cp = c & 0x07;
			len = 4;
		} else {
			return fr_err_set(err, FR_EINVAL,
			                  "dataset name is not valid UTF-8 (byte 0x%02x at offset %zu)", c, i);
		}
		if (len > n - i)
			return fr_err_set(err, FR_EINVAL,
			                  "dataset name is not valid UTF-8 (truncated sequence at offset %zu)", i);
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return fr_err_set(err, FR_EINVAL,
				                  "dataset name is not valid UTF-8 (bad continuation byte at offset %zu)",
				                  i + k);
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000))
			return fr_err_set(err, FR_EINVAL,
			                  "dataset name is not valid UTF-8 (overlong encoding at offset %zu)", i);
		if (cp >= 0xd800 && cp <= 0xdfff)
			return fr_err_set(err, FR_EINVAL,
			                  "dataset name is not valid UTF-8 (surrogate U+%04X at offset %zu)",
			                  (unsigned)cp, i);
		if (cp > 0x10ffff)
			return fr_err_set(err, FR_EINVAL,
			                  "dataset name is not valid UTF-8 (code point above U+10FFFF at offset %zu)",
			                  i);
		/* C0, DEL and C1: they move terminals' cursors and break the list table. */
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f))
			return fr_err_set(err, FR_EINVAL,
			                  "dataset name holds a control character (U+%04X at offset %zu)",
			                  (unsigned)cp, i);
		i += len;
	}
	return 0;
}

/* A registration as put() needs it: every field present, parts sorted and adding up, so that a
 * reader can rely on what it gets back (info's totals, the task list) without re-checking. */
static int check_dataset(const fr_dataset *ds, fr_err *err)
{
	int rc;
	if (!ds)
		return fr_err_set(err, FR_EINVAL, "catalog put: no dataset given");
	if ((rc = fr_catalog_check_name(ds->name, err)))
		return rc;
	const char *missing = !ds->registered_at || !ds->registered_at[0] ? "registered_at"
	                      : !ds->basepath ? "basepath"
	                      : !ds->group_col ? "group_col"
	                      : !ds->ts_col ? "ts_col"
	                      : !ds->schema_json ? "schema_json"
	                      : !ds->short_schema_json ? "short_schema_json"
	                      : NULL;
	if (missing)
		return fr_err_set(err, FR_EINVAL, "dataset '%s': %s is missing", ds->name, missing);
	if (ds->total_parts < 0 || (ds->total_parts > 0 && !ds->parts))
		return fr_err_set(err, FR_EINVAL, "dataset '%s': %" PRId64 " parts but no part list",
		                  ds->name, ds->total_parts);
	uint64_t sum = 0;
	for (int64_t i = 0; i < ds->total_parts; i++) {
		const fr_dataset_part *p = &ds->parts[i];
		if (!p->name || !p->name[0])
			return fr_err_set(err, FR_EINVAL, "dataset '%s': part %" PRId64 " has no name",
			                  ds->name, i);
		if (i > 0 && strcmp(ds->parts[i - 1].name, p->name) >= 0)
			return fr_err_set(err, FR_EINVAL,
			                  "dataset '%s': parts not sorted by name ('%s' before '%s')",
			                  ds->name, ds->parts[i - 1].name, p->name);
		if (p->size > (uint64_t)INT64_MAX || sum > (uint64_t)INT64_MAX - p->size)
			return fr_err_set(err, FR_EINVAL, "dataset '%s': part '%s' size out of range",
			                  ds->name, p->name);
		sum += p->size;
	}
	if (ds->total_size < 0 || (uint64_t)ds->total_size != sum)
		return fr_err_set(err, FR_EINVAL,
		                  "dataset '%s': total_size %" PRId64 " is not the sum of the part sizes "
		                  "(%" PRIu64 ")", ds->name, ds->total_size, sum);
	return 0;
}

int fr_catalog_guard_refuses(int has_last_used, int64_t last_used, int force, int64_t interval,
                             int64_t now, fr_unregister_res *out)
{
	if (!has_last_used || force || interval == 0)
		return 0;
	/* Saturating: a last_used far in the past or future (a clock jump, a hand-edited catalog)
	 * must not overflow into the wrong answer. */
	int64_t since;
	if (__builtin_sub_overflow(now, last_used, &since))
		since = now < last_used ? INT64_MIN : INT64_MAX;
	if (interval <= since)
		return 0;
	out->success = 0;
	snprintf(out->message, sizeof out->message,
	         "Dataset was last used %" PRId64 " seconds ago, which is less than safety interval "
	         "%" PRId64 ". Use the 'force' parameter to unregister anyway.", since, interval);
	return 1;
}

const char *fr_catalog_kind(const fr_catalog *c)
{
	return c ? c->ops->kind : "none";
}

void fr_catalog_close(fr_catalog *c)
{
	if (c)
		c->ops->close(c);
}

int fr_catalog_ping(fr_catalog *c, fr_err *err)
{
	if (!c)
		return fr_err_set(err, FR_EINVAL, "catalog ping: no catalog");
	return c->ops->ping(c, err);
}

int fr_catalog_put(fr_catalog *c, const fr_dataset *ds, fr_err *err)
{
	int rc;
	if (!c)
		return fr_err_set(err, FR_EINVAL, "catalog put: no catalog");
	if ((rc = check_dataset(ds, err)))
		return rc;
	return c->ops->put(c, ds, err);
}

int fr_catalog_get(fr_catalog *c, const char *name, int want, fr_arena *arena,
                   fr_dataset **out, fr_err *err)
{
	int rc;
	if (out)
		*out = NULL;
	if (!c || !arena || !out)
		return fr_err_set(err, FR_EINVAL, "catalog get: missing argument");
	if (want & ~(FR_DS_PARTS | FR_DS_SCHEMA))
		return fr_err_set(err, FR_EINVAL, "catalog get: unknown want flags 0x%x", (unsigned)want);
	if ((rc = fr_catalog_check_name(name, err)))
		return rc;
	return c->ops->get(c, name, want, arena, out, err);
}

int fr_catalog_list(fr_catalog *c, fr_arena *arena, fr_dataset **out, int *n, fr_err *err)
{
	if (out)
		*out = NULL;
	if (n)
		*n = 0;
	if (!c || !arena || !out || !n)
		return fr_err_set(err, FR_EINVAL, "catalog list: missing argument");
	return c->ops->list(c, arena, out, n, err);
}

int fr_catalog_mark_used(fr_catalog *c, const char *name, int64_t now, fr_err *err)
{
	int rc;
	if (!c)
		return fr_err_set(err, FR_EINVAL, "catalog mark_used: no catalog");
	if ((rc = fr_catalog_check_name(name, err)))
		return rc;
	return c->ops->mark_used(c, name, now, err);
}

int fr_catalog_unregister(fr_catalog *c, const char *name, int force, int64_t interval,
                          int64_t now, fr_unregister_res *out, fr_err *err)
{
	int rc;
	if (!c || !out)
		return fr_err_set(err, FR_EINVAL, "catalog unregister: missing argument");
	memset(out, 0, sizeof *out);
	if (interval < 0)
		return fr_err_set(err, FR_EINVAL,
		                  "unregister: safety interval %" PRId64 " is negative", interval);
	if ((rc = fr_catalog_check_name(name, err)))
		return rc;
	return c->ops->unregister(c, name, force, interval, now, out, err);
}
