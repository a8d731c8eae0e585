/* Task requests and results on the wire (they cross the Redis queue and Lambda payloads).
 * Layout (little-endian, core/bin.h; str = u32 length + bytes, 0xffffffff for NULL;
 * blob = u8 present + u32 length + bytes):
 *
 * request: "FRTQ" u8 version u8 kind
 *          str request_id, i32 task_index, i32 attempt, f64 invoke_time,
 *          str dataset, str registered_at, str basepath, str part_name, i32 part_index,
 *          str group_col, str ts_col,
 *          opts: i64 top_default, f64 grace, i64 exact_limit, f64 cat_ratio,
 *                i64 cat_top_count
 *          blob query, u32 ncols, ncols x (str name, u8 type), u8 want_group_ids
 * result:  "FRTR" u8 version u8 kind
 *          i32 task_index, i32 attempt, u8 status, str error, u8 retryable,
 *          f64 invoke_latency, f64 load_s, f64 run_s, f64 total_s,
 *          i64 scanned_rows, i64 scanned_groups, i64 part_size, u8 from_cache,
 *          u8 select, f64 preflight_s, blob qresult, str schema_json, blob group_ids
 *
 * Every field is written whatever the kind, so a round trip is exact and one decoder checks
 * one layout.  The decoders refuse anything they would have to guess about: another version,
 * an unknown kind, status or column type, a flag that is not 0 or 1, a NUL inside a string,
 * a NULL name, a count the input cannot hold, missing or trailing bytes. */
#include "task/task.h"

#include <string.h>

#include "core/bin.h"

static const uint8_t REQ_MAGIC[4] = { 'F', 'R', 'T', 'Q' };
static const uint8_t RES_MAGIC[4] = { 'F', 'R', 'T', 'R' };

const char *fr_task_select_name(fr_task_select s)
{
	static const char *const names[] = {
#define X(name, text) [name] = text,
		FR_TASK_SELECTS(X)
#undef X
	};
	if ((unsigned)s >= FR_SEL__COUNT)
		return "";
	return names[s];
}

/* More columns than any dataset the catalog accepts: a bound for corrupt counts. */
#define MAX_COLS 100000

const char *fr_task_status_name(fr_task_status s)
{
	static const char *const names[] = {
#define X(name, text) [name] = text,
		FR_TASK_STATUSES(X)
#undef X
	};
	if ((unsigned)s >= FR_TS__COUNT)
		return "UNKNOWN";
	return names[s];
}

static int kind_known(unsigned k)
{
	switch (k) {
#define X(name, val, text) case val:
	FR_TASK_KINDS(X)
#undef X
		return 1;
	default:
		return 0;
	}
}

static int put_blob(fr_buf *b, const void *p, size_t n)
{
	if (!p)
		return fr_bin_u8(b, 0);
	int rc = fr_bin_u8(b, 1);
	return rc ? rc : fr_bin_bytes(b, p, n);
}

/* The blob copied into the arena (NUL-terminated, so a JSON text can be used as a string);
 * NULL for an absent one. */
static const uint8_t *get_blob(fr_bin_reader *r, fr_arena *a, size_t *n)
{
	*n = 0;
	if (!fr_bin_get_bool(r))
		return NULL;
	size_t len;
	const uint8_t *p = fr_bin_get_bytes(r, &len);
	if (!p)
		return NULL;
	uint8_t *c = fr_arena_alloc(a, len + 1);
	if (!c) {
		fr_bin_fail(r, "out of memory");
		return NULL;
	}
	memcpy(c, p, len);
	c[len] = 0;
	*n = len;
	return c;
}

static int encode_failed(int rc, size_t start, fr_buf *b, const char *what, fr_err *err)
{
	b->len = start;   /* nothing half-written left behind */
	if (rc == FR_ELIMIT)
		return fr_err_set(err, FR_ELIMIT, "encoding a task %s: a field of 4 GiB or more", what);
	return fr_err_set(err, FR_ENOMEM, "encoding a task %s: out of memory", what);
}

/* Keeps the first failing status of a run of appends (the record is dropped as a whole). */
#define ACC(rc, call) do { int rc_ = (call); if (rc_ && !(rc)) (rc) = rc_; } while (0)

int fr_task_req_encode(const fr_task_req *req, fr_buf *b, fr_err *err)
{
	size_t start = b->len;
	int rc = 0;
	ACC(rc, fr_buf_append(b, REQ_MAGIC, 4));
	ACC(rc, fr_bin_u8(b, FR_TASK_WIRE_VERSION));
	ACC(rc, fr_bin_u8(b, (uint8_t)req->kind));
	ACC(rc, fr_bin_str(b, req->request_id));
	ACC(rc, fr_bin_i32(b, req->task_index));
	ACC(rc, fr_bin_i32(b, req->attempt));
	ACC(rc, fr_bin_f64(b, req->invoke_time));
	ACC(rc, fr_bin_str(b, req->dataset));
	ACC(rc, fr_bin_str(b, req->registered_at));
	ACC(rc, fr_bin_str(b, req->basepath));
	ACC(rc, fr_bin_str(b, req->part_name));
	ACC(rc, fr_bin_i32(b, req->part_index));
	ACC(rc, fr_bin_str(b, req->group_col));
	ACC(rc, fr_bin_str(b, req->ts_col));
	const fr_task_opts *o = &req->opts;
	ACC(rc, fr_bin_i64(b, o->top_default));
	ACC(rc, fr_bin_f64(b, o->grace));
	ACC(rc, fr_bin_i64(b, o->exact_limit));
	ACC(rc, fr_bin_f64(b, o->cat_ratio));
	ACC(rc, fr_bin_i64(b, o->cat_top_count));
	ACC(rc, put_blob(b, req->query, req->query_len));
	int32_t ncols = req->cols ? req->ncols : 0;
	if (ncols < 0 || ncols > MAX_COLS) {
		b->len = start;
		return fr_err_set(err, FR_EINVAL, "encoding a task request: %d columns (at most %d)",
		                  (int)ncols, MAX_COLS);
	}
	ACC(rc, fr_bin_u32(b, (uint32_t)ncols));
	for (int32_t i = 0; i < ncols; i++) {
		ACC(rc, fr_bin_str(b, req->cols[i].name));
		ACC(rc, fr_bin_u8(b, (uint8_t)req->cols[i].type));
	}
	ACC(rc, fr_bin_u8(b, req->want_group_ids != 0));
	if (rc)
		return encode_failed(rc, start, b, "request", err);
	return 0;
}

int fr_task_res_encode(const fr_task_res *res, fr_buf *b, fr_err *err)
{
	size_t start = b->len;
	int rc = 0;
	ACC(rc, fr_buf_append(b, RES_MAGIC, 4));
	ACC(rc, fr_bin_u8(b, FR_TASK_WIRE_VERSION));
	ACC(rc, fr_bin_u8(b, (uint8_t)res->kind));
	ACC(rc, fr_bin_i32(b, res->task_index));
	ACC(rc, fr_bin_i32(b, res->attempt));
	ACC(rc, fr_bin_u8(b, (uint8_t)res->status));
	ACC(rc, fr_bin_str(b, res->error));
	ACC(rc, fr_bin_u8(b, res->retryable != 0));
	ACC(rc, fr_bin_f64(b, res->invoke_latency));
	ACC(rc, fr_bin_f64(b, res->load_s));
	ACC(rc, fr_bin_f64(b, res->run_s));
	ACC(rc, fr_bin_f64(b, res->total_s));
	ACC(rc, fr_bin_i64(b, res->scanned_rows));
	ACC(rc, fr_bin_i64(b, res->scanned_groups));
	ACC(rc, fr_bin_i64(b, res->part_size));
	ACC(rc, fr_bin_u8(b, res->from_cache != 0));
	ACC(rc, fr_bin_u8(b, (uint8_t)res->select));
	ACC(rc, fr_bin_f64(b, res->preflight_s));
	ACC(rc, put_blob(b, res->qresult, res->qresult_len));
	ACC(rc, fr_bin_str(b, res->schema_json));
	ACC(rc, put_blob(b, res->group_ids, res->group_ids_len));
	if (rc)
		return encode_failed(rc, start, b, "result", err);
	return 0;
}

/* Magic, version and kind: the part both records share.  0 or FR_ECORRUPT. */
static int get_head(fr_bin_reader *r, const uint8_t magic[4], const char *ctx,
                    fr_task_kind *kind, fr_err *err)
{
	if ((size_t)(r->end - r->p) < 4 || memcmp(r->p, magic, 4))
		return fr_err_set(err, FR_ECORRUPT, "%s: bad magic (expected %.4s)", ctx,
		                  (const char *)magic);
	r->p += 4;
	uint8_t version = fr_bin_get_u8(r);
	if (r->bad)
		return fr_bin_reader_done(r, ctx, err);
	if (version != FR_TASK_WIRE_VERSION)
		return fr_err_set(err, FR_ECORRUPT, "%s: wire version %u, this build reads %u", ctx,
		                  version, FR_TASK_WIRE_VERSION);
	uint8_t k = fr_bin_get_u8(r);
	if (r->bad)
		return fr_bin_reader_done(r, ctx, err);
	if (!kind_known(k))
		return fr_err_set(err, FR_ECORRUPT, "%s: unknown task kind %u", ctx, k);
	*kind = (fr_task_kind)k;
	return 0;
}

int fr_task_req_decode(const void *data, size_t len, fr_arena *arena, fr_task_req *out,
                       fr_err *err)
{
	static const char ctx[] = "task request";
	memset(out, 0, sizeof *out);
	fr_bin_reader r;
	fr_bin_reader_init(&r, data, len);
	fr_task_req q = { 0 };
	if (get_head(&r, REQ_MAGIC, ctx, &q.kind, err))
		return err->code;
	q.request_id = fr_bin_get_str(&r, arena);
	q.task_index = fr_bin_get_i32(&r);
	q.attempt = fr_bin_get_i32(&r);
	q.invoke_time = fr_bin_get_f64(&r);
	q.dataset = fr_bin_get_str(&r, arena);
	q.registered_at = fr_bin_get_str(&r, arena);
	q.basepath = fr_bin_get_str(&r, arena);
	q.part_name = fr_bin_get_str(&r, arena);
	q.part_index = fr_bin_get_i32(&r);
	q.group_col = fr_bin_get_str(&r, arena);
	q.ts_col = fr_bin_get_str(&r, arena);
	q.opts.top_default = fr_bin_get_i64(&r);
	q.opts.grace = fr_bin_get_f64(&r);
	q.opts.exact_limit = fr_bin_get_i64(&r);
	q.opts.cat_ratio = fr_bin_get_f64(&r);
	q.opts.cat_top_count = fr_bin_get_i64(&r);
	q.query = (const char *)get_blob(&r, arena, &q.query_len);
	uint32_t ncols = fr_bin_get_count(&r, 5);   /* a column: str length + type byte */
	if (ncols > MAX_COLS)
		fr_bin_fail(&r, "more than 100000 columns");
	if (!r.bad && ncols) {
		q.cols = fr_arena_calloc(arena, ncols, sizeof *q.cols);
		if (!q.cols)
			fr_bin_fail(&r, "out of memory");
		q.ncols = (int32_t)ncols;
	}
	for (uint32_t i = 0; i < ncols && !r.bad; i++) {
		q.cols[i].name = fr_bin_get_str(&r, arena);
		uint8_t t = fr_bin_get_u8(&r);
		if (r.bad)
			break;
		if (!q.cols[i].name)
			fr_bin_fail(&r, "a column without a name");
		else if (t < FR_TYPE_INT || t > FR_TYPE_STRING)
			fr_bin_fail(&r, "unknown column type");
		q.cols[i].type = (fr_coltype)t;
	}
	q.want_group_ids = fr_bin_get_bool(&r);
	if (fr_bin_reader_done(&r, ctx, err))
		return err->code;
	*out = q;
	return 0;
}

int fr_task_res_decode(const void *data, size_t len, fr_arena *arena, fr_task_res *out,
                       fr_err *err)
{
	static const char ctx[] = "task result";
	memset(out, 0, sizeof *out);
	fr_bin_reader r;
	fr_bin_reader_init(&r, data, len);
	fr_task_res s = { 0 };
	if (get_head(&r, RES_MAGIC, ctx, &s.kind, err))
		return err->code;
	s.task_index = fr_bin_get_i32(&r);
	s.attempt = fr_bin_get_i32(&r);
	uint8_t st = fr_bin_get_u8(&r);
	/* a result is what a task ends with: only the two final statuses travel */
	if (!r.bad && st != FR_TS_ENDED_SUCCESS && st != FR_TS_ENDED_FAILED)
		fr_bin_fail(&r, st < FR_TS__COUNT ? "a result with a status that is not final"
		                                  : "unknown task status");
	s.status = (fr_task_status)st;
	s.error = fr_bin_get_str(&r, arena);
	s.retryable = fr_bin_get_bool(&r);
	s.invoke_latency = fr_bin_get_f64(&r);
	s.load_s = fr_bin_get_f64(&r);
	s.run_s = fr_bin_get_f64(&r);
	s.total_s = fr_bin_get_f64(&r);
	s.scanned_rows = fr_bin_get_i64(&r);
	s.scanned_groups = fr_bin_get_i64(&r);
	s.part_size = fr_bin_get_i64(&r);
	s.from_cache = fr_bin_get_bool(&r);
	uint8_t sel = fr_bin_get_u8(&r);
	if (!r.bad && sel >= FR_SEL__COUNT)
		fr_bin_fail(&r, "unknown part selection method");
	s.select = (fr_task_select)sel;
	s.preflight_s = fr_bin_get_f64(&r);
	s.qresult = get_blob(&r, arena, &s.qresult_len);
	s.schema_json = fr_bin_get_str(&r, arena);
	s.group_ids = get_blob(&r, arena, &s.group_ids_len);
	if (fr_bin_reader_done(&r, ctx, err))
		return err->code;
	*out = s;
	return 0;
}
