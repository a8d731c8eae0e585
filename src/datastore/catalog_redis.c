/* The Redis catalog (FROCKET_DATASTORE=redis): the same operations as the embedded one, kept
 * in five hashes keyed by dataset name (runtime.md §3.1): {P}datasets (info), {P}dataset_parts,
 * {P}schemas, {P}short_schemas and {P}dataset_lastused.  Values use our binary encoding
 * (core/bin.h) with a version byte, schemas their JSON text.  Atomicity:
 *  - put: one MULTI/EXEC writing the four hashes and clearing last-used;
 *  - get/list: one MULTI/EXEC of reads, so info, parts and schemas come from one registration
 *    (a reader never sees half a dataset even while the name is re-registered);
 *  - mark_used and unregister: Lua scripts, so the existence check and the write (and for
 *    unregister the last-used guard and the delete) are one step on the server. */
#include "datastore/catalog_impl.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bin.h"
#include "core/buf.h"
#include "net/redis.h"

#define VAL_VERSION 1

enum { K_INFO, K_PARTS, K_SCHEMA, K_SHORT, K_USED, K__N };
static const char *const key_names[K__N] = { "datasets", "dataset_parts", "schemas",
	"short_schemas", "dataset_lastused" };

typedef struct rd_catalog {
	fr_catalog base;
	fr_redis *r;
	char keys[K__N][200];
} rd_catalog;

static void rd_close(fr_catalog *base)
{
	rd_catalog *c = (rd_catalog *)base;
	fr_redis_close(c->r);
	free(c);
}

static int rd_ping(fr_catalog *base, fr_err *err)
{
	rd_catalog *c = (rd_catalog *)base;
	fr_rcmd cmd;
	fr_rcmd_init(&cmd, "PING");
	return fr_redis_run_ok(c->r, &cmd, err);
}

static int encode_info(const fr_dataset *ds, fr_buf *b)
{
	return fr_bin_u8(b, VAL_VERSION) || fr_bin_str(b, ds->registered_at) ||
	       fr_bin_str(b, ds->basepath) || fr_bin_str(b, ds->group_col) ||
	       fr_bin_str(b, ds->ts_col) || fr_bin_i64(b, ds->total_parts) ||
	       fr_bin_i64(b, ds->total_size) ? FR_ENOMEM : 0;
}

static int encode_parts(const fr_dataset *ds, fr_buf *b)
{
	if (fr_bin_u8(b, VAL_VERSION) || fr_bin_str(b, ds->registered_at) ||
	    fr_bin_u32(b, (uint32_t)ds->total_parts))
		return FR_ENOMEM;
	for (int64_t i = 0; i < ds->total_parts; i++)
		if (fr_bin_str(b, ds->parts[i].name) || fr_bin_u64(b, ds->parts[i].size))
			return FR_ENOMEM;
	return 0;
}

static int rd_put(fr_catalog *base, const fr_dataset *ds, fr_err *err)
{
	rd_catalog *c = (rd_catalog *)base;
	if (ds->total_parts > UINT32_MAX)
		return fr_err_set(err, FR_ELIMIT, "catalog: dataset '%s' has too many parts", ds->name);
	fr_buf info = FR_BUF_INIT, parts = FR_BUF_INIT;
	int rc = 0;
	if (encode_info(ds, &info) || encode_parts(ds, &parts)) {
		rc = fr_err_set(err, FR_ENOMEM, "catalog: out of memory storing '%s'", ds->name);
		goto out;
	}
	fr_rcmd cmds[5];
	const void *vals[4] = { info.data, parts.data, ds->schema_json, ds->short_schema_json };
	size_t lens[4] = { info.len, parts.len, strlen(ds->schema_json),
		strlen(ds->short_schema_json) };
	for (int k = 0; k < 4; k++) {
		fr_rcmd_init(&cmds[k], "HSET");
		fr_rcmd_str(&cmds[k], c->keys[k]);
		fr_rcmd_str(&cmds[k], ds->name);
		fr_rcmd_bin(&cmds[k], vals[k], lens[k]);
	}
	fr_rcmd_init(&cmds[4], "HDEL");
	fr_rcmd_str(&cmds[4], c->keys[K_USED]);
	fr_rcmd_str(&cmds[4], ds->name);
	rc = fr_redis_tx(c->r, cmds, 5, NULL, err);
out:
	fr_buf_free(&info);
	fr_buf_free(&parts);
	return rc;
}

static int corrupt(const char *name, const char *what, fr_err *err)
{
	return fr_err_set(err, FR_ECORRUPT, "catalog: dataset '%s': the %s stored in redis is "
	                  "damaged or of another version", name, what);
}

/* Info value + the dataset name (the hash field) + last-used -> ds. */
static int decode_info(const char *name, const redisReply *v, const redisReply *used,
                       fr_arena *a, fr_dataset *ds, fr_err *err)
{
	fr_bin_reader rd;
	fr_bin_reader_init(&rd, v->str, v->len);
	memset(ds, 0, sizeof *ds);
	uint8_t ver = fr_bin_get_u8(&rd);
	ds->registered_at = fr_bin_get_str(&rd, a);
	ds->basepath = fr_bin_get_str(&rd, a);
	ds->group_col = fr_bin_get_str(&rd, a);
	ds->ts_col = fr_bin_get_str(&rd, a);
	ds->total_parts = fr_bin_get_i64(&rd);
	ds->total_size = fr_bin_get_i64(&rd);
	fr_err e2 = { 0 };
	if (ver != VAL_VERSION || fr_bin_reader_done(&rd, "dataset info", &e2) ||
	    !ds->registered_at || !ds->basepath || !ds->group_col || !ds->ts_col ||
	    ds->total_parts < 0 || ds->total_size < 0)
		return corrupt(name, "info", err);
	if (!(ds->name = fr_arena_strdup(a, name)))
		return fr_err_set(err, FR_ENOMEM, "catalog: out of memory");
	if (used && used->type == REDIS_REPLY_STRING) {
		char *end;
		char tmp[32];
		snprintf(tmp, sizeof tmp, "%.*s", (int)(used->len < 31 ? used->len : 31), used->str);
		long long lu = strtoll(tmp, &end, 10);
		if (end == tmp || *end)
			return corrupt(name, "last-used mark", err);
		ds->has_last_used = 1;
		ds->last_used = lu;
	}
	return 0;
}

static int decode_parts(const redisReply *v, fr_arena *a, fr_dataset *ds, fr_err *err)
{
	fr_bin_reader rd;
	fr_bin_reader_init(&rd, v->str, v->len);
	uint8_t ver = fr_bin_get_u8(&rd);
	char *reg = fr_bin_get_str(&rd, a);
	uint32_t n = fr_bin_get_count(&rd, 12);
	if (ver != VAL_VERSION || rd.bad || !reg || strcmp(reg, ds->registered_at) ||
	    (int64_t)n != ds->total_parts)
		return corrupt(ds->name, "part list", err);
	ds->parts = fr_arena_calloc(a, n ? n : 1, sizeof *ds->parts);
	if (!ds->parts)
		return fr_err_set(err, FR_ENOMEM, "catalog: out of memory");
	for (uint32_t i = 0; i < n && !rd.bad; i++) {
		ds->parts[i].name = fr_bin_get_str(&rd, a);
		ds->parts[i].size = fr_bin_get_u64(&rd);
		if (!rd.bad && !ds->parts[i].name)
			return corrupt(ds->name, "part list", err);
	}
	fr_err e2 = { 0 };
	if (fr_bin_reader_done(&rd, "dataset parts", &e2))
		return corrupt(ds->name, "part list", err);
	return 0;
}

static int rd_get(fr_catalog *base, const char *name, int want, fr_arena *a, fr_dataset **out,
                  fr_err *err)
{
	rd_catalog *c = (rd_catalog *)base;
	*out = NULL;
	int ks[K__N], n = 0;
	ks[n++] = K_INFO;
	ks[n++] = K_USED;
	if (want & FR_DS_PARTS)
		ks[n++] = K_PARTS;
	if (want & FR_DS_SCHEMA) {
		ks[n++] = K_SCHEMA;
		ks[n++] = K_SHORT;
	}
	fr_rcmd cmds[K__N];
	for (int i = 0; i < n; i++) {
		fr_rcmd_init(&cmds[i], "HGET");
		fr_rcmd_str(&cmds[i], c->keys[ks[i]]);
		fr_rcmd_str(&cmds[i], name);
	}
	redisReply *ex;
	int rc = fr_redis_tx(c->r, cmds, n, &ex, err);
	if (rc)
		return rc;
	if (ex->elements != (size_t)n) {
		rc = fr_err_set(err, FR_EREMOTE, "redis %s: EXEC: %zu replies for %d reads",
		                fr_redis_name(c->r), ex->elements, n);
		goto out;
	}
	for (int i = 0; i < n && !rc; i++) {
		int t = ex->element[i]->type;
		if (t != REDIS_REPLY_STRING && t != REDIS_REPLY_NIL)
			rc = fr_err_set(err, FR_EREMOTE, "redis %s: HGET %s: unexpected reply type %d",
			                fr_redis_name(c->r), c->keys[ks[i]], t);
	}
	if (rc)
		goto out;
	if (ex->element[0]->type == REDIS_REPLY_NIL) {
		rc = fr_err_set(err, FR_ENOTFOUND, "Dataset '%s' not found", name);
		goto out;
	}
	fr_dataset *ds = fr_arena_alloc(a, sizeof *ds);
	if (!ds) {
		rc = fr_err_set(err, FR_ENOMEM, "catalog: out of memory");
		goto out;
	}
	if ((rc = decode_info(name, ex->element[0], ex->element[1], a, ds, err)))
		goto out;
	for (int i = 2; i < n && !rc; i++) {
		const redisReply *v = ex->element[i];
		/* written in one transaction with the info: a missing piece is damage */
		if (v->type == REDIS_REPLY_NIL) {
			rc = corrupt(name, key_names[ks[i]], err);
		} else if (ks[i] == K_PARTS) {
			rc = decode_parts(v, a, ds, err);
		} else {
			char *s = fr_arena_strndup(a, v->str, v->len);
			if (!s)
				rc = fr_err_set(err, FR_ENOMEM, "catalog: out of memory");
			else if (ks[i] == K_SCHEMA)
				ds->schema_json = s;
			else
				ds->short_schema_json = s;
		}
	}
	if (!rc)
		*out = ds;
out:
	freeReplyObject(ex);
	return rc;
}

static int cmp_reg_desc(const void *x, const void *y)
{
	const fr_dataset *a = x, *b = y;
	int c = strcmp(b->registered_at, a->registered_at);
	return c ? c : strcmp(a->name, b->name);
}

static int rd_list(fr_catalog *base, fr_arena *a, fr_dataset **out, int *n, fr_err *err)
{
	rd_catalog *c = (rd_catalog *)base;
	*out = NULL;
	*n = 0;
	fr_rcmd cmds[2];
	fr_rcmd_init(&cmds[0], "HGETALL");
	fr_rcmd_str(&cmds[0], c->keys[K_INFO]);
	fr_rcmd_init(&cmds[1], "HGETALL");
	fr_rcmd_str(&cmds[1], c->keys[K_USED]);
	redisReply *ex;
	int rc = fr_redis_tx(c->r, cmds, 2, &ex, err);
	if (rc)
		return rc;
	const redisReply *info = ex->elements == 2 ? ex->element[0] : NULL;
	const redisReply *used = ex->elements == 2 ? ex->element[1] : NULL;
	if ((rc = fr_redis_want(c->r, info, REDIS_REPLY_ARRAY, "HGETALL datasets", err)) ||
	    (rc = fr_redis_want(c->r, used, REDIS_REPLY_ARRAY, "HGETALL dataset_lastused", err)))
		goto out;
	size_t cnt = info->elements / 2;
	fr_dataset *v = fr_arena_calloc(a, cnt ? cnt : 1, sizeof *v);
	if (!v || cnt > INT32_MAX) {
		rc = fr_err_set(err, FR_ENOMEM, "catalog: out of memory listing datasets");
		goto out;
	}
	for (size_t i = 0; i < cnt && !rc; i++) {
		const redisReply *f = info->element[2 * i], *val = info->element[2 * i + 1];
		if (f->type != REDIS_REPLY_STRING || val->type != REDIS_REPLY_STRING) {
			rc = fr_err_set(err, FR_EREMOTE, "redis %s: HGETALL datasets: unexpected reply",
			                fr_redis_name(c->r));
			break;
		}
		char *name = fr_arena_strndup(a, f->str, f->len);
		if (!name) {
			rc = fr_err_set(err, FR_ENOMEM, "catalog: out of memory listing datasets");
			break;
		}
		const redisReply *u = NULL;
		for (size_t k = 0; k + 1 < used->elements; k += 2)
			if (used->element[k]->type == REDIS_REPLY_STRING &&
			    used->element[k]->len == f->len && !memcmp(used->element[k]->str, f->str, f->len))
				u = used->element[k + 1];
		rc = decode_info(name, val, u, a, &v[i], err);
	}
	if (rc)
		goto out;
	qsort(v, cnt, sizeof *v, cmp_reg_desc);
	*out = v;
	*n = (int)cnt;
out:
	freeReplyObject(ex);
	return rc;
}

/* Sets last-used only while the dataset exists (a concurrent unregister wins cleanly). */
static const char mark_lua[] =
	"if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then "
	"redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) return 1 end return 0";

static int rd_mark_used(fr_catalog *base, const char *name, int64_t now, fr_err *err)
{
	rd_catalog *c = (rd_catalog *)base;
	fr_rcmd cmd;
	fr_rcmd_init(&cmd, "EVAL");
	fr_rcmd_str(&cmd, mark_lua);
	fr_rcmd_str(&cmd, "2");
	fr_rcmd_str(&cmd, c->keys[K_INFO]);
	fr_rcmd_str(&cmd, c->keys[K_USED]);
	fr_rcmd_str(&cmd, name);
	fr_rcmd_int(&cmd, now);
	long long r;
	int rc = fr_redis_run_int(c->r, &cmd, &r, err);
	if (rc)
		return rc;
	if (!r)
		return fr_err_set(err, FR_ENOTFOUND, "Dataset '%s' not found", name);
	return 0;
}

/* The guard and the delete in one step.  The guard rule is fr_catalog_guard_refuses: the
 * script computes "since" the same way and refuses when interval > since (no force, a mark,
 * interval not 0); the C side then writes the message with the shared function.  Returns
 * {found, has_last_used, last_used (string), deleted}. */
static const char unreg_lua[] =
	"if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return {0, 0, '0', 0} end "
	"local lu = redis.call('HGET', KEYS[5], ARGV[1]) "
	"if lu and ARGV[2] == '0' and ARGV[3] ~= '0' and "
	"tonumber(ARGV[3]) > tonumber(ARGV[4]) - tonumber(lu) then return {1, 1, lu, 0} end "
	"for i = 1, 5 do redis.call('HDEL', KEYS[i], ARGV[1]) end "
	"if lu then return {1, 1, lu, 1} end return {1, 0, '0', 1}";

static int rd_unregister(fr_catalog *base, const char *name, int force, int64_t interval,
                         int64_t now, fr_unregister_res *out, fr_err *err)
{
	rd_catalog *c = (rd_catalog *)base;
	fr_rcmd cmd;
	fr_rcmd_init(&cmd, "EVAL");
	fr_rcmd_str(&cmd, unreg_lua);
	fr_rcmd_str(&cmd, "5");
	for (int k = 0; k < K__N; k++)
		fr_rcmd_str(&cmd, c->keys[k]);
	fr_rcmd_str(&cmd, name);
	fr_rcmd_str(&cmd, force ? "1" : "0");
	fr_rcmd_int(&cmd, interval);
	fr_rcmd_int(&cmd, now);
	redisReply *rep;
	int rc = fr_redis_run(c->r, &cmd, &rep, err);
	if (rc)
		return rc;
	if ((rc = fr_redis_want(c->r, rep, REDIS_REPLY_ARRAY, "unregister script", err)))
		goto out;
	if (rep->elements != 4 || rep->element[0]->type != REDIS_REPLY_INTEGER ||
	    rep->element[1]->type != REDIS_REPLY_INTEGER ||
	    rep->element[2]->type != REDIS_REPLY_STRING ||
	    rep->element[3]->type != REDIS_REPLY_INTEGER) {
		rc = fr_err_set(err, FR_EREMOTE, "redis %s: unregister script: unexpected reply",
		                fr_redis_name(c->r));
		goto out;
	}
	out->found = (int)rep->element[0]->integer;
	out->has_last_used = (int)rep->element[1]->integer;
	char tmp[32], *end;
	snprintf(tmp, sizeof tmp, "%.*s", (int)(rep->element[2]->len < 31 ? rep->element[2]->len : 31),
	         rep->element[2]->str);
	out->last_used = strtoll(tmp, &end, 10);
	if (end == tmp || *end) {
		rc = corrupt(name, "last-used mark", err);
		goto out;
	}
	out->success = 1;
	if (out->found && !rep->element[3]->integer &&
	    !fr_catalog_guard_refuses(out->has_last_used, out->last_used, force, interval, now, out)) {
		/* the script refused but the shared rule would not (e.g. a fractional mark) */
		out->success = 0;
		snprintf(out->message, sizeof out->message, "Dataset was last used recently. Use the "
		         "'force' parameter to unregister anyway.");
	}
out:
	freeReplyObject(rep);
	return rc;
}

static const fr_catalog_ops rd_ops = {
	.kind = "redis",
	.close = rd_close,
	.ping = rd_ping,
	.put = rd_put,
	.get = rd_get,
	.list = rd_list,
	.mark_used = rd_mark_used,
	.unregister = rd_unregister,
};

int fr_catalog_open_redis(const fr_redis_opts *o, fr_catalog **out, fr_err *err)
{
	*out = NULL;
	rd_catalog *c = calloc(1, sizeof *c);
	if (!c)
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	c->base.ops = &rd_ops;
	int rc = fr_redis_open(o, &c->r, err);
	for (int k = 0; k < K__N && !rc; k++)
		rc = fr_redis_key(c->r, c->keys[k], sizeof c->keys[k], key_names[k], NULL, err);
	if (rc) {
		fr_redis_close(c->r);
		free(c);
		return rc;
	}
	*out = &c->base;
	return 0;
}
