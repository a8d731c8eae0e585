/* The dataset records of interfaces.md §0.4 as JSON, in both flavours: the API's (keys
 * sorted, nulls dropped) for result documents and frocket-server, the CLI's (record order,
 * nulls kept) for `frocket info`.  One writer, so the two can only differ by flavour. */
#include "invoker/internal.h"

void fr_dataset_write_info(fr_jw *w, const fr_dataset *d, int api)
{
	fr_jw_open(w, '{');
	fr_jw_key(w, "basepath");
	fr_jw_str(w, d->basepath);
	if (!api) {
		fr_jw_key(w, "totalParts");
		fr_jw_int(w, d->total_parts);
	}
	if (api) {
		fr_jw_key(w, "groupIdColumn");
		fr_jw_str(w, d->group_col);
	}
	fr_jw_key(w, "id");
	fr_jw_open(w, '{');
	fr_jw_key(w, "name");
	fr_jw_str(w, d->name);
	fr_jw_key(w, "registeredAt");
	fr_jw_str(w, d->registered_at);
	fr_jw_close(w, '}');
	if (!api) {
		fr_jw_key(w, "groupIdColumn");
		fr_jw_str(w, d->group_col);
	}
	fr_jw_key(w, "timestampColumn");
	fr_jw_str(w, d->ts_col);
	if (api) {
		fr_jw_key(w, "totalParts");
		fr_jw_int(w, d->total_parts);
	}
	fr_jw_close(w, '}');
}

static void filenames(fr_jw *w, const fr_dataset *d)
{
	fr_jw_key(w, "filenames");
	fr_jw_open(w, '[');
	for (int64_t i = 0; i < d->total_parts; i++)
		fr_jw_str(w, d->parts[i].name);
	fr_jw_close(w, ']');
}

void fr_dataset_write_parts(fr_jw *w, const fr_dataset *d, int api)
{
	fr_jw_open(w, '{');
	if (api)
		filenames(w, d);
	fr_jw_key(w, "namingMethod");
	fr_jw_str(w, "LIST");
	fr_jw_key(w, "totalParts");
	fr_jw_int(w, d->total_parts);
	fr_jw_key(w, "totalSize");
	fr_jw_int(w, d->total_size);
	if (!api) {
		fr_jw_key(w, "runningNumberPattern");   /* always null, kept in the CLI's form */
		fr_jw_null(w);
		filenames(w, d);
	}
	fr_jw_close(w, '}');
}
