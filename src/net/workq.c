/* Work-queue message and field encodings (see workq.h). */
#include "net/workq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bin.h"

static const uint8_t magic[4] = { 'F', 'R', 'W', 'Q' };

int fr_wq_msg_encode(const fr_wq_msg *m, fr_buf *b, fr_err *err)
{
	if (fr_bin_u8(b, magic[0]) || fr_bin_u8(b, magic[1]) || fr_bin_u8(b, magic[2]) ||
	    fr_bin_u8(b, magic[3]) || fr_bin_u8(b, FR_WQ_VERSION) || fr_bin_str(b, m->keybase) ||
	    fr_bin_u32(b, (uint32_t)m->task) || fr_bin_u32(b, (uint32_t)m->attempt) ||
	    fr_bin_u32(b, m->ttl) || fr_bin_f64(b, m->heartbeat) ||
	    fr_bin_bytes(b, m->req, m->req_len))
		return fr_err_set(err, FR_ENOMEM, "out of memory encoding a task message");
	return 0;
}

int fr_wq_msg_decode(const void *data, size_t len, fr_arena *a, fr_wq_msg *m, fr_err *err)
{
	memset(m, 0, sizeof *m);
	if (len < 5 || memcmp(data, magic, 4))
		return fr_err_set(err, FR_ECORRUPT, "not a frocket task message (bad magic)");
	fr_bin_reader r;
	fr_bin_reader_init(&r, (const uint8_t *)data + 4, len - 4);
	uint8_t ver = fr_bin_get_u8(&r);
	if (ver != FR_WQ_VERSION)
		return fr_err_set(err, FR_ECORRUPT, "task message version %u (this worker reads %d)",
		                  ver, FR_WQ_VERSION);
	m->keybase = fr_bin_get_str(&r, a);
	m->task = (int32_t)fr_bin_get_u32(&r);
	m->attempt = (int32_t)fr_bin_get_u32(&r);
	m->ttl = fr_bin_get_u32(&r);
	m->heartbeat = fr_bin_get_f64(&r);
	m->req = fr_bin_get_bytes(&r, &m->req_len);
	int rc = fr_bin_reader_done(&r, "task message", err);
	if (rc)
		return rc;
	if (!m->keybase || !*m->keybase || strlen(m->keybase) > FR_WQ_KEYBASE_MAX)
		return fr_err_set(err, FR_ECORRUPT, "task message: bad key name");
	if ((m->task < 0 && m->task != FR_WQ_SELECT) || m->attempt < 0 ||
	    (m->task == FR_WQ_SELECT && m->attempt != 0))
		return fr_err_set(err, FR_ECORRUPT, "task message: bad task or attempt number");
	if (m->ttl < 1 || m->ttl > 7 * 86400)
		return fr_err_set(err, FR_ECORRUPT, "task message: TTL %u out of range", m->ttl);
	if (!(m->heartbeat >= 0.01 && m->heartbeat <= 3600))
		return fr_err_set(err, FR_ECORRUPT, "task message: heartbeat out of range");
	return 0;
}

void fr_wq_field(char *out, size_t n, int task, int attempt)
{
	snprintf(out, n, "%d:%d", task, attempt);
}

static int parse_int(const char **p, const char *end, long *out)
{
	long v = 0;
	const char *s = *p;
	if (s >= end || *s < '0' || *s > '9')
		return -1;
	while (s < end && *s >= '0' && *s <= '9') {
		if (v > 100000000)
			return -1;
		v = v * 10 + (*s++ - '0');
	}
	*p = s;
	*out = v;
	return 0;
}

int fr_wq_field_parse(const char *s, size_t n, int *task, int *attempt)
{
	const char *p = s, *end = s + n;
	long t, a;
	if (parse_int(&p, end, &t) || p >= end || *p++ != ':' || parse_int(&p, end, &a) || p != end)
		return -1;
	*task = (int)t;
	*attempt = (int)a;
	return 0;
}

int fr_wq_member(fr_buf *b, int idx, const char *name)
{
	char num[16];
	int k = snprintf(num, sizeof num, "%d:", idx);
	return fr_buf_append(b, num, (size_t)k) || fr_buf_append(b, name, strlen(name)) ? FR_ENOMEM
	                                                                                 : 0;
}

int fr_wq_member_parse(const char *s, size_t n, int *idx, const char **name, size_t *name_len)
{
	const char *p = s, *end = s + n;
	long i;
	if (parse_int(&p, end, &i) || p >= end || *p++ != ':' || p >= end)
		return -1;
	*idx = (int)i;
	*name = p;
	*name_len = (size_t)(end - p);
	return 0;
}

void fr_wq_status_value(char *out, size_t n, int status, double wall)
{
	snprintf(out, n, "%d:%.6f", status, wall);
}

int fr_wq_status_parse(const char *s, size_t n, int *status, double *wall)
{
	char tmp[64];
	if (n == 0 || n >= sizeof tmp)
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = 0;
	const char *p = tmp;
	long st;
	if (parse_int(&p, tmp + n, &st) || *p++ != ':')
		return -1;
	char *end;
	double w = strtod(p, &end);
	if (end == p || *end)
		return -1;
	*status = (int)st;
	*wall = w;
	return 0;
}
