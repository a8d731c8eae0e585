/* S3 client (aws.md §2): listing, ranged reads through the Parquet reader's byte-range
 * interface, retries.  Every request is signed by our SigV4 signer (sigv4.c) and runs on the
 * calling thread's libcurl multi handle, whose connection cache keeps connections alive from
 * one task to the next.
 *
 * Reading a part (fr_s3_open):
 *  1. open: two GETs in parallel, the last 64 KiB (a suffix range, the size the reader asks
 *     for first) and the first 4 bytes (the leading magic, whose Content-Range also gives the
 *     object's size).  S3-compatible stores differ on suffix ranges (s3rver answers them with
 *     the object's head, aws.md §7.1), so behind a custom endpoint, or once a wrong answer was
 *     seen, the head comes first and the tail is asked for by offsets.  The reader then
 *     decodes the footer from those bytes and asks for more only when the footer is longer
 *     than 64 KiB.
 *  2. the task runner hints the chunks of the columns and row groups the query needs
 *     (fr_pq_prefetch): ranges closer than coalesce_gap are merged and all are fetched at
 *     once, up to max_parallel at a time; the reader's later reads are served from memory.
 *  3. anything not hinted is fetched when read.
 * Every response is checked against the range asked for (status, Content-Range, length): a
 * body cut short is retried, never decoded. */
#include "core/clock.h"
#include "storage/s3.h"

#include <ctype.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "storage/dl.h"
#include "storage/s3_internal.h"
#include "storage/sigv4.h"
#include "storage/storage.h"

/* ------------------------------------------------------------------ settings */

static fr_storage_s3_opts g_opts;
static int g_init;
static double g_clock_offset;   /* server time - our time, after RequestTimeTooSkewed */

void fr_storage_s3_defaults(fr_storage_s3_opts *o)
{
	memset(o, 0, sizeof *o);
	o->connect_timeout = 60;
	o->read_timeout = 60;
	o->max_attempts = 5;
	o->retry_base = 0.1;
	o->max_parallel = 10;
	o->coalesce_gap = 64u << 10;
}

const fr_storage_s3_opts *fr_s3_opts(void)
{
	if (!g_init) {
		fr_storage_s3_defaults(&g_opts);
		g_init = 1;
	}
	return &g_opts;
}

/* Copies of the settings' strings.  Old copies are kept (reachable) rather than freed: a
 * thread may still be reading the previous settings when they are replaced. */
static char **g_kept;
static size_t g_nkept, g_capkept;

static const char *own(const char *s)
{
	if (!s || !*s)
		return NULL;
	char *c = strdup(s);
	if (!c)
		return NULL;
	if (g_nkept == g_capkept) {
		size_t nc = g_capkept ? g_capkept * 2 : 16;
		char **nk = realloc(g_kept, nc * sizeof *nk);
		if (!nk) {
			free(c);
			return NULL;
		}
		g_kept = nk;
		g_capkept = nc;
	}
	g_kept[g_nkept++] = c;
	return c;
}

/* Keeps a block reachable for the life of the process (as own() keeps strings). */
static int keep(void *p)
{
	if (g_nkept == g_capkept) {
		size_t nc = g_capkept ? g_capkept * 2 : 16;
		char **nk = realloc(g_kept, nc * sizeof *nk);
		if (!nk)
			return -1;
		g_kept = nk;
		g_capkept = nc;
	}
	g_kept[g_nkept++] = p;
	return 0;
}

/* An entry of the environment the credential chain reads (AWS_*, HOME). */
static int chain_var(const char *e)
{
	return !strncmp(e, "AWS_", 4) || !strncmp(e, "HOME=", 5);
}

/* The entries of env the credential chain reads, copied; NULL when none. */
static char *const *own_env(char *const *env, int *oom)
{
	size_t n = 0;
	for (char *const *e = env; e && *e; e++)
		n += chain_var(*e);
	if (!n)
		return NULL;
	const char **arr = calloc(n + 1, sizeof *arr);
	if (!arr || keep(arr)) {
		free(arr);
		*oom = 1;
		return NULL;
	}
	size_t k = 0;
	for (char *const *e = env; *e && k < n; e++)
		if (chain_var(*e) && !(arr[k++] = own(*e)))
			*oom = 1;
	return (char *const *)arr;
}

int fr_storage_s3_init(const fr_storage_s3_opts *o, fr_err *err)
{
	/* libcurl and libcrypto are loaded with the first request (dl.c), so a process that
	 * never reads S3 never maps them */
	g_opts = *o;
	g_opts.region = own(o->region);
	g_opts.endpoint_url = own(o->endpoint_url);
	g_opts.access_key_id = own(o->access_key_id);
	g_opts.secret_access_key = own(o->secret_access_key);
	g_opts.cache_dir = own(o->cache_dir);
	int oom = 0;
	g_opts.env = own_env(o->env, &oom);
	if (oom || (o->region && *o->region && !g_opts.region) ||
	    (o->endpoint_url && *o->endpoint_url && !g_opts.endpoint_url) ||
	    (o->access_key_id && *o->access_key_id && !g_opts.access_key_id) ||
	    (o->secret_access_key && *o->secret_access_key && !g_opts.secret_access_key) ||
	    (o->cache_dir && *o->cache_dir && !g_opts.cache_dir))
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	if (g_opts.max_attempts < 1)
		g_opts.max_attempts = 1;
	if (g_opts.max_parallel < 1)
		g_opts.max_parallel = 1;
	g_init = 1;
	fr_s3_creds_reset();
	return 0;
}

/* ------------------------------------------------------------------ small helpers */

static double jitter01(void)
{
	static __thread uint64_t s;
	if (!s)
		s = (uint64_t)time(NULL) ^ ((uint64_t)(uintptr_t)&s << 16) ^ (uint64_t)getpid();
	s ^= s << 13;
	s ^= s >> 7;
	s ^= s << 17;
	return (double)(s >> 11) / 9007199254740992.0;
}

int fr_s3_parse(const char *path, fr_arena *a, const char **bucket, const char **key,
                fr_err *err)
{
	/* ^s3://([A-Za-z0-9_.-]+)/([A-Za-z0-9_./-]*)$ (interfaces.md §4.1) for basepaths;
	 * part names are checked by the listing, so keys here may hold any byte but NUL */
	if (strncmp(path, "s3://", 5))
		return fr_err_set(err, FR_EINVAL, "Invalid path: %s (protocol: S3)", path);
	const char *b = path + 5, *s = strchr(b, '/');
	if (!s || s == b)
		return fr_err_set(err, FR_EINVAL, "Invalid path: %s (protocol: S3)", path);
	for (const char *p = b; p < s; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
			return fr_err_set(err, FR_EINVAL, "Invalid path: %s (protocol: S3)", path);
	*bucket = fr_arena_strndup(a, b, (size_t)(s - b));
	*key = fr_arena_strdup(a, s + 1);
	if (!*bucket || !*key)
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	return 0;
}

int fr_s3_check_basepath(const char *path, fr_err *err)
{
	/* the whole string must match ^s3://([A-Za-z0-9_.-]+)/([A-Za-z0-9_./-]*)$ */
	if (strncmp(path, "s3://", 5))
		goto bad;
	const char *p = path + 5, *b = p;
	while (*p && (isalnum((unsigned char)*p) || *p == '_' || *p == '.' || *p == '-'))
		p++;
	if (p == b || *p != '/')
		goto bad;
	for (p++; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-' && *p != '/')
			goto bad;
	return 0;
bad:
	return fr_err_set(err, FR_EINVAL, "Invalid path: %s (protocol: S3)", path);
}

/* ------------------------------------------------------------------ XML */

static int xml_decode(const char *p, size_t n, fr_buf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] != '&') {
			if (fr_buf_putc(out, (uint8_t)p[i]))
				return FR_ENOMEM;
			continue;
		}
		const char *semi = memchr(p + i, ';', n - i < 12 ? n - i : 12);
		if (!semi) {
			if (fr_buf_putc(out, '&'))
				return FR_ENOMEM;
			continue;
		}
		size_t el = (size_t)(semi - (p + i)) + 1;
		char ent[16];
		memcpy(ent, p + i, el);
		ent[el] = 0;
		unsigned long cp = 0;
		int ok = 1;
		if (!strcmp(ent, "&amp;"))
			cp = '&';
		else if (!strcmp(ent, "&lt;"))
			cp = '<';
		else if (!strcmp(ent, "&gt;"))
			cp = '>';
		else if (!strcmp(ent, "&quot;"))
			cp = '"';
		else if (!strcmp(ent, "&apos;"))
			cp = '\'';
		else if (ent[1] == '#') {
			char *end;
			cp = ent[2] == 'x' ? strtoul(ent + 3, &end, 16) : strtoul(ent + 2, &end, 10);
			ok = *end == ';' && cp > 0 && cp <= 0x10FFFF;
		} else
			ok = 0;
		if (!ok) {
			if (fr_buf_putc(out, '&'))
				return FR_ENOMEM;
			continue;
		}
		uint8_t u[4];
		int ul;
		if (cp < 0x80) {
			u[0] = (uint8_t)cp;
			ul = 1;
		} else if (cp < 0x800) {
			u[0] = (uint8_t)(0xC0 | cp >> 6);
			u[1] = (uint8_t)(0x80 | (cp & 63));
			ul = 2;
		} else if (cp < 0x10000) {
			u[0] = (uint8_t)(0xE0 | cp >> 12);
			u[1] = (uint8_t)(0x80 | ((cp >> 6) & 63));
			u[2] = (uint8_t)(0x80 | (cp & 63));
			ul = 3;
		} else {
			u[0] = (uint8_t)(0xF0 | cp >> 18);
			u[1] = (uint8_t)(0x80 | ((cp >> 12) & 63));
			u[2] = (uint8_t)(0x80 | ((cp >> 6) & 63));
			u[3] = (uint8_t)(0x80 | (cp & 63));
			ul = 4;
		}
		if (fr_buf_append(out, u, (size_t)ul))
			return FR_ENOMEM;
		i += el - 1;
	}
	return 0;
}

/* Position of the next start tag with local name `tag` in x[from..n): sets *content to just
 * after '>', returns 1; 0 when none.  Self-closing tags count as empty. */
static int find_tag(const char *x, size_t n, size_t from, const char *tag, size_t *start,
                    size_t *content, int *empty)
{
	size_t tl = strlen(tag);
	for (size_t i = from; i < n; i++) {
		if (x[i] != '<' || i + 1 >= n || x[i + 1] == '/' || x[i + 1] == '?' || x[i + 1] == '!')
			continue;
		size_t j = i + 1, ns = j;
		while (j < n && x[j] != '>' && x[j] != ' ' && x[j] != '/' && x[j] != '\t' &&
		       x[j] != '\n' && x[j] != '\r') {
			if (x[j] == ':')
				ns = j + 1;
			j++;
		}
		if (j - ns != tl || memcmp(x + ns, tag, tl))
			continue;
		const char *gt = memchr(x + j, '>', n - j);
		if (!gt)
			return 0;
		*start = i;
		*content = (size_t)(gt - x) + 1;
		*empty = gt > x && gt[-1] == '/';
		return 1;
	}
	return 0;
}

/* End of element content: the matching "</[ns:]tag>" (no nesting of the same name in S3's
 * documents).  Sets *close_end past it. */
static int find_close(const char *x, size_t n, size_t from, const char *tag, size_t *cend,
                      size_t *close_end)
{
	size_t tl = strlen(tag);
	for (size_t i = from; i + 1 < n; i++) {
		if (x[i] != '<' || x[i + 1] != '/')
			continue;
		size_t j = i + 2, ns = j;
		while (j < n && x[j] != '>') {
			if (x[j] == ':')
				ns = j + 1;
			j++;
		}
		if (j < n && j - ns == tl && !memcmp(x + ns, tag, tl)) {
			*cend = i;
			*close_end = j + 1;
			return 1;
		}
	}
	return 0;
}

int fr_s3_xml_text(const char *xml, size_t n, const char *tag, fr_buf *out, size_t *next)
{
	size_t st, c, ce, end;
	int empty;
	fr_buf_reset(out);
	if (!xml || !find_tag(xml, n, 0, tag, &st, &c, &empty))
		return 0;
	if (empty) {
		ce = c;
		end = c;
	} else if (!find_close(xml, n, c, tag, &ce, &end))
		return 0;
	if (xml_decode(xml + c, ce - c, out) || fr_buf_putc(out, 0))
		return FR_ENOMEM;
	out->len--;
	if (next)
		*next = end;
	return 1;
}

/* ------------------------------------------------------------------ endpoint */

typedef struct endpoint {
	char scheme[8];
	char host[256];       /* the Host header: host[:port] when the port is not the default */
	int path_style;
} endpoint;

static int endpoint_for(const char *bucket, const char *region, endpoint *e, fr_err *err)
{
	const fr_storage_s3_opts *o = fr_s3_opts();
	memset(e, 0, sizeof *e);
	if (o->endpoint_url) {
		CURLU *u = curl_url();
		char *scheme = NULL, *host = NULL, *port = NULL;
		int bad = !u || curl_url_set(u, CURLUPART_URL, o->endpoint_url, 0) ||
			curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
			curl_url_get(u, CURLUPART_HOST, &host, 0);
		if (!bad)
			curl_url_get(u, CURLUPART_PORT, &port, 0);
		if (!bad) {
			snprintf(e->scheme, sizeof e->scheme, "%s", scheme);
			if (port)
				snprintf(e->host, sizeof e->host, "%s:%s", host, port);
			else
				snprintf(e->host, sizeof e->host, "%s", host);
		}
		curl_free(scheme);
		curl_free(host);
		curl_free(port);
		curl_url_cleanup(u);
		if (bad)
			return fr_err_set(err, FR_EINVAL, "invalid S3 endpoint URL: %s", o->endpoint_url);
		/* custom stores have no wildcard DNS for <bucket>.<host> (aws.md §2.1) */
		e->path_style = 1;
		return 0;
	}
	snprintf(e->scheme, sizeof e->scheme, "https");
	/* dotted bucket names break the *.s3 wildcard certificate: path style for them */
	e->path_style = strchr(bucket, '.') != NULL;
	if (e->path_style)
		snprintf(e->host, sizeof e->host, "s3.%s.amazonaws.com", region);
	else
		snprintf(e->host, sizeof e->host, "%s.s3.%s.amazonaws.com", bucket, region);
	return 0;
}

/* ------------------------------------------------------------------ transfers */

typedef struct xfer {
	/* request */
	const char *bucket, *key;     /* key NULL: a bucket request (listing) */
	const char *query;            /* canonical (sorted, encoded) or NULL */
	uint64_t off, len;            /* range [off, off+len) when len > 0 */
	int suffix;                   /* Range: bytes=-len */
	const char *if_match;         /* ETag of the first answer: one version per part */
	size_t limit;                 /* body bytes accepted (ranges: exact) */
	/* response */
	fr_buf body;
	long status;
	int has_cr;
	uint64_t cr_a, cr_b, cr_total;
	char bucket_region[64];
	char date[64];
	char etag[128];
	uint64_t window_pos;          /* a 200 answer to a range: position in the whole object */
	int overflow;
	/* state */
	int attempts;
	double not_before;
	int active, done;
	char region[64];
	int skew_retried, region_retried, token_retried;
	CURL *easy;
	struct curl_slist *hdrs;
	char errbuf[CURL_ERROR_SIZE];
	char last_problem[1024];
} xfer;

static pthread_key_t multi_key;
static pthread_once_t multi_once = PTHREAD_ONCE_INIT;

static void multi_free(void *m)
{
	curl_multi_cleanup(m);
}

static void multi_key_init(void)
{
	pthread_key_create(&multi_key, multi_free);
}

/* The calling thread's multi handle: its connection cache keeps connections alive from one
 * part to the next (one per thread, because a multi handle is not thread-safe). */
static CURLM *thread_multi(void)
{
	pthread_once(&multi_once, multi_key_init);
	CURLM *m = pthread_getspecific(multi_key);
	if (!m) {
		m = curl_multi_init();
		if (m) {
			curl_multi_setopt(m, CURLMOPT_MAXCONNECTS, (long)fr_s3_opts()->max_parallel + 2);
			pthread_setspecific(multi_key, m);
		}
	}
	return m;
}

static size_t on_body(char *p, size_t sz, size_t nm, void *ud)
{
	xfer *x = ud;
	size_t n = sz * nm;
	if (!x->status)
		curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &x->status);
	if (x->len && !x->suffix && x->status == 200) {
		/* the whole object in answer to a range (some stores): keep our window */
		uint64_t a = x->window_pos, b = a + n;
		x->window_pos = b;
		uint64_t lo = a > x->off ? a : x->off, hi = b < x->off + x->len ? b : x->off + x->len;
		if (lo < hi && fr_buf_append(&x->body, p + (lo - a), (size_t)(hi - lo)))
			return 0;
		if (b >= x->off + x->len)
			return 0;   /* we have our bytes; stop the download */
		return n;
	}
	size_t lim = x->status >= 300 ? 65536 : x->limit;
	if (x->body.len + n > lim) {
		x->overflow = 1;
		return 0;
	}
	if (fr_buf_append(&x->body, p, n))
		return 0;
	return n;
}

static size_t on_header(char *p, size_t sz, size_t nm, void *ud)
{
	xfer *x = ud;
	size_t n = sz * nm;
	char line[512];
	size_t l = n < sizeof line - 1 ? n : sizeof line - 1;
	memcpy(line, p, l);
	line[l] = 0;
	while (l && (line[l - 1] == '\r' || line[l - 1] == '\n'))
		line[--l] = 0;
	if (!strncasecmp(line, "HTTP/", 5)) {
		/* a new response (after 100-continue or a redirect): forget the last one's */
		x->has_cr = 0;
		x->status = 0;
		return n;
	}
	unsigned long long a, b, t;
	if (!strncasecmp(line, "content-range:", 14) &&
	    sscanf(line + 14, " bytes %llu-%llu/%llu", &a, &b, &t) == 3) {
		x->has_cr = 1;
		x->cr_a = a;
		x->cr_b = b;
		x->cr_total = t;
	} else if (!strncasecmp(line, "x-amz-bucket-region:", 20)) {
		const char *v = line + 20;
		while (*v == ' ')
			v++;
		snprintf(x->bucket_region, sizeof x->bucket_region, "%.63s", v);
	} else if (!strncasecmp(line, "etag:", 5)) {
		const char *v = line + 5;
		while (*v == ' ')
			v++;
		snprintf(x->etag, sizeof x->etag, "%.127s", v);
	} else if (!strncasecmp(line, "date:", 5)) {
		const char *v = line + 5;
		while (*v == ' ')
			v++;
		snprintf(x->date, sizeof x->date, "%.63s", v);
	}
	return n;
}

static void xfer_reset_response(xfer *x)
{
	fr_buf_reset(&x->body);
	x->status = 0;
	x->has_cr = 0;
	x->bucket_region[0] = 0;
	x->date[0] = 0;
	x->etag[0] = 0;
	x->window_pos = 0;
	x->overflow = 0;
	x->errbuf[0] = 0;
}

static void where(const xfer *x, char *out, size_t n)
{
	if (x->key)
		snprintf(out, n, "s3://%s/%s", x->bucket, x->key);
	else
		snprintf(out, n, "s3://%s", x->bucket);
}

/* Builds, signs and adds one attempt to the multi handle. */
static int xfer_start(CURLM *m, xfer *x, fr_err *err)
{
	const fr_storage_s3_opts *o = fr_s3_opts();
	if (!x->region[0])
		snprintf(x->region, sizeof x->region, "%s", fr_s3_region());
	endpoint ep;
	int rc = endpoint_for(x->bucket, x->region, &ep, err);
	if (rc)
		return rc;
	fr_buf path = FR_BUF_INIT, url = FR_BUF_INIT;
	if (ep.path_style) {
		rc = fr_buf_putc(&path, '/');
		rc = rc ? rc : fr_sigv4_uri_encode(&path, x->bucket, strlen(x->bucket), 1);
		if (!rc && x->key)
			rc = fr_buf_putc(&path, '/');
	} else {
		rc = fr_buf_putc(&path, '/');
	}
	/* the key is encoded once, '/' kept, and sent and signed exactly so (aws.md §1.1) */
	if (!rc && x->key)
		rc = fr_sigv4_uri_encode(&path, x->key, strlen(x->key), 1);
	rc = rc ? rc : fr_buf_putc(&path, 0);
	rc = rc ? rc : fr_buf_printf(&url, "%s://%s%s%s%s", ep.scheme, ep.host, (char *)path.data,
	                             x->query ? "?" : "", x->query ? x->query : "");
	rc = rc ? rc : fr_buf_putc(&url, 0);
	char range[80] = "";
	if (x->suffix)
		snprintf(range, sizeof range, "bytes=-%llu", (unsigned long long)x->len);
	else if (x->len)
		snprintf(range, sizeof range, "bytes=%llu-%llu", (unsigned long long)x->off,
		         (unsigned long long)(x->off + x->len - 1));
	fr_sigv4_out so;
	memset(&so, 0, sizeof so);
	struct curl_slist *h = NULL;
	char hb[400];
	snprintf(hb, sizeof hb, "Host: %s", ep.host);
	h = curl_slist_append(h, hb);
	if (range[0]) {
		snprintf(hb, sizeof hb, "Range: %s", range);
		h = curl_slist_append(h, hb);
	}
	if (x->if_match && *x->if_match) {
		/* a changed object fails with 412 instead of mixing versions (aws.md §2.3) */
		snprintf(hb, sizeof hb, "If-Match: %.300s", x->if_match);
		h = curl_slist_append(h, hb);
	}
	h = curl_slist_append(h, "Expect:");
	h = curl_slist_append(h, "Accept:");
	if (!rc && !o->no_signature) {
		fr_aws_creds c;
		if ((rc = fr_s3_creds_get(&c, err)))
			goto out;
		fr_sigv4_hdr sh[2] = { { "host", ep.host }, { "range", range } };
		fr_sigv4_req r = { .method = "GET", .path = (char *)path.data, .query = x->query,
			.headers = sh, .nheaders = range[0] ? 2 : 1,
			.payload_hash = FR_SIGV4_EMPTY_SHA256, .add_content_sha256 = 1 };
		fr_sigv4_creds sc = { c.access_key_id, c.secret, c.token };
		time_t now = time(NULL) + (time_t)g_clock_offset;
		rc = fr_sigv4_sign(&r, &sc, x->region, "s3", now, &so, err);
		fr_aws_creds_free(&c);
		for (int i = 0; !rc && i < so.nadd; i++)
			h = curl_slist_append(h, (char *)so.add[i].data);
		fr_sigv4_out_free(&so);
		if (rc)
			goto out;
	}
	if (rc) {
		rc = fr_err_set(err, FR_ENOMEM, "out of memory");
		goto out;
	}
	CURL *e = curl_easy_init();
	if (!e) {
		rc = fr_err_set(err, FR_ENOMEM, "out of memory");
		goto out;
	}
	xfer_reset_response(x);
	x->easy = e;
	x->hdrs = h;
	h = NULL;
	curl_easy_setopt(e, CURLOPT_URL, (char *)url.data);
	curl_easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "frocket");
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(o->connect_timeout * 1000));
	/* a stalled transfer: under 1 byte/s for read_timeout seconds */
	long rt = (long)(o->read_timeout + 0.999);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, rt < 1 ? 1L : rt);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	if (curl_multi_add_handle(m, e) != CURLM_OK) {
		rc = fr_err_set(err, FR_EIO, "libcurl refused a transfer");
		goto out;
	}
	x->active = 1;
	x->attempts++;
out:
	curl_slist_free_all(h);
	fr_buf_free(&path);
	fr_buf_free(&url);
	return rc;
}

static void xfer_stop(CURLM *m, xfer *x)
{
	if (x->easy) {
		curl_multi_remove_handle(m, x->easy);
		curl_easy_cleanup(x->easy);
		x->easy = NULL;
	}
	curl_slist_free_all(x->hdrs);
	x->hdrs = NULL;
	x->active = 0;
}

static int retryable_curl(CURLcode c)
{
	switch (c) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

/* The outcome of one finished attempt: 0 done, 1 retry, <0 failed (err set). */
static int xfer_finish(xfer *x, CURLcode cc, fr_err *err)
{
	char w[1200];
	where(x, w, sizeof w);
	long st = 0;
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &st);
	x->status = st;
	int window_done = x->len && !x->suffix && st == 200 && x->body.len == x->len;
	if (cc != CURLE_OK && !(cc == CURLE_WRITE_ERROR && window_done)) {
		if (cc == CURLE_WRITE_ERROR && x->overflow) {
			snprintf(x->last_problem, sizeof x->last_problem, "answer longer than the %llu "
			         "bytes asked for", (unsigned long long)x->limit);
			return 1;
		}
		snprintf(x->last_problem, sizeof x->last_problem, "%.200s%s%.300s", curl_easy_strerror(cc),
		         x->errbuf[0] ? ": " : "", x->errbuf);
		if (retryable_curl(cc))
			return 1;
		return fr_err_set(err, FR_EREMOTE, "%s: %s", w, x->last_problem);
	}
	if (st == 200 || st == 206) {
		if (!x->len)
			return 0;
		if (x->suffix) {
			if (st != 206 || !x->has_cr || x->cr_b < x->cr_a ||
			    x->body.len != x->cr_b - x->cr_a + 1 || x->cr_b >= x->cr_total) {
				snprintf(x->last_problem, sizeof x->last_problem, "answer does not match "
				         "its Content-Range (%zu bytes)", x->body.len);
				return 1;
			}
			return 0;
		}
		if (st == 206 && (!x->has_cr || x->cr_a != x->off ||
		                  x->cr_b != x->off + x->len - 1)) {
			if (x->has_cr && x->cr_a == x->off && x->cr_total == x->cr_b + 1 &&
			    x->body.len == x->cr_b - x->cr_a + 1)
				return 0;   /* clamped at the object's end: the caller checks the size */
			snprintf(x->last_problem, sizeof x->last_problem, "Content-Range does not match "
			         "the range asked for");
			return 1;
		}
		if (x->body.len != x->len) {
			/* a body cut short (or padded): never decode it */
			snprintf(x->last_problem, sizeof x->last_problem, "body of %zu bytes where "
			         "%llu were expected", x->body.len, (unsigned long long)x->len);
			return 1;
		}
		return 0;
	}
	fr_buf code = FR_BUF_INIT, msg = FR_BUF_INIT;
	const char *b = (const char *)x->body.data;
	fr_s3_xml_text(b, x->body.len, "Code", &code, NULL);
	fr_s3_xml_text(b, x->body.len, "Message", &msg, NULL);
	const char *cs = code.data ? (char *)code.data : "";
	char detail[600];
	snprintf(detail, sizeof detail, "HTTP %ld%s%s%s%s", st, *cs ? " " : "", cs,
	         msg.data ? ": " : "", msg.data ? (char *)msg.data : "");
	snprintf(x->last_problem, sizeof x->last_problem, "%s", detail);
	int rc;
	if (st == 500 || st == 502 || st == 503 || st == 504 || !strcmp(cs, "SlowDown") ||
	    !strcmp(cs, "RequestTimeout") || !strcmp(cs, "InternalError")) {
		rc = 1;
	} else if (!strcmp(cs, "RequestTimeTooSkewed") && !x->skew_retried && x->date[0]) {
		/* correct our clock from the server's Date and re-sign once (aws.md §1.2) */
		struct tm tm = { 0 };
		if (strptime(x->date, "%a, %d %b %Y %H:%M:%S", &tm))
			g_clock_offset = (double)timegm(&tm) - (double)time(NULL);
		x->skew_retried = 1;
		x->attempts--;
		rc = 1;
	} else if ((st == 301 || st == 400) && x->bucket_region[0] && !x->region_retried &&
	           strcmp(x->bucket_region, x->region)) {
		/* the bucket lives elsewhere: re-sign for its region (never follow Location) */
		snprintf(x->region, sizeof x->region, "%s", x->bucket_region);
		x->region_retried = 1;
		x->attempts--;
		rc = 1;
	} else if ((!strcmp(cs, "ExpiredToken") || !strcmp(cs, "InvalidToken")) &&
	           !x->token_retried) {
		fr_s3_creds_invalidate();
		x->token_retried = 1;
		rc = 1;
	} else if (st == 404) {
		rc = fr_err_set(err, FR_ENOTFOUND, "%s: not found (%s)", w, detail);
	} else if (st == 412) {
		rc = fr_err_set(err, FR_EREMOTE, "%s: the object changed while it was read (%s)", w,
		                detail);
	} else if (st == 403) {
		rc = fr_err_set(err, FR_EREMOTE, "%s: access denied (%s)", w, detail);
	} else {
		rc = fr_err_set(err, FR_EREMOTE, "%s: %s", w, detail);
	}
	fr_buf_free(&code);
	fr_buf_free(&msg);
	return rc;
}

/* The retry quota of AWS's "standard" mode (aws.md §2.6), per process: a retry costs 5
 * tokens (10 after a timeout), a success gives one back, and an empty bucket means no more
 * retries, so an outage does not multiply the traffic. */
static int g_quota = 500;
static pthread_mutex_t quota_mu = PTHREAD_MUTEX_INITIALIZER;

static int quota_take(int n)
{
	pthread_mutex_lock(&quota_mu);
	int ok = g_quota >= n;
	if (ok)
		g_quota -= n;
	pthread_mutex_unlock(&quota_mu);
	return ok;
}

static void quota_refund(void)
{
	pthread_mutex_lock(&quota_mu);
	if (g_quota < 500)
		g_quota++;
	pthread_mutex_unlock(&quota_mu);
}

/* Runs n transfers to completion on this thread's multi handle, at most max_parallel at
 * once, retrying what may be retried with exponential backoff and full jitter.  0 when all
 * succeeded; else the first failure (the others are stopped). */
static int run_xfers(xfer **v, int n, fr_err *err)
{
	const fr_storage_s3_opts *o = fr_s3_opts();
	if (fr_dl_load(err))
		return err->code;
	CURLM *m = thread_multi();
	if (!m)
		return fr_err_set(err, FR_ENOMEM, "out of memory");
	int left = n, active = 0, rc = 0;
	while (left > 0 && !rc) {
		double now = fr_mono_s(), wake = now + 1;
		for (int i = 0; i < n && !rc && active < o->max_parallel; i++) {
			xfer *x = v[i];
			if (x->done || x->active)
				continue;
			if (x->not_before > now) {
				if (x->not_before < wake)
					wake = x->not_before;
				continue;
			}
			if (!(rc = xfer_start(m, x, err)))
				active++;
		}
		if (rc)
			break;
		if (!active) {
			/* everything waits for its backoff */
			double d = wake - fr_mono_s();
			if (d > 0) {
				struct timespec ts = { (time_t)d, (long)((d - (time_t)d) * 1e9) };
				nanosleep(&ts, NULL);
			}
			continue;
		}
		int running;
		curl_multi_perform(m, &running);
		CURLMsg *msg;
		int q;
		while (!rc && (msg = curl_multi_info_read(m, &q))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			xfer *x;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			int r = xfer_finish(x, msg->data.result, err);
			xfer_stop(m, x);
			active--;
			if (r == 0) {
				x->done = 1;
				left--;
				quota_refund();
			} else if (r > 0) {
				int cost = strstr(x->last_problem, "imeout") ? 10 : 5;
				if (x->attempts >= o->max_attempts || !quota_take(cost)) {
					char w[1200];
					where(x, w, sizeof w);
					rc = fr_err_set(err, FR_EREMOTE, "%s: %s (gave up after %d attempts%s)",
					                w, x->last_problem, x->attempts,
					                x->attempts < o->max_attempts ? ", retry quota spent" : "");
				} else {
					double cap = o->retry_base * (double)(1u << (x->attempts < 20 ?
					                                             x->attempts : 20));
					if (cap > 20)
						cap = 20;
					x->not_before = fr_mono_s() + jitter01() * cap;
					FR_DEBUG("s3", "retrying %s/%s: %s", x->bucket, x->key ? x->key : "",
					         x->last_problem);
				}
			} else {
				rc = r;
			}
		}
		if (!rc && active > 0) {
			long ms = (long)((wake - fr_mono_s()) * 1000);
			curl_multi_poll(m, NULL, 0, ms < 1 ? 1 : (ms > 200 ? 200 : (int)ms), NULL);
		}
	}
	for (int i = 0; i < n; i++)
		if (v[i]->active)
			xfer_stop(m, v[i]);
	return rc;
}

/* ------------------------------------------------------------------ listing */

typedef struct name_ent {
	char *name;
	uint64_t size;
} name_ent;

static int name_cmp(const void *a, const void *b)
{
	return strcmp(((const name_ent *)a)->name, ((const name_ent *)b)->name);
}

int fr_s3_list(const char *basepath, const char *pattern, fr_arena *arena,
               fr_part_entry **out, int *n, fr_err *err)
{
	const char *bucket, *prefix;
	*out = NULL;
	*n = 0;
	int rc = fr_s3_parse(basepath, arena, &bucket, &prefix, err);
	if (rc)
		return rc;
	if (!pattern)
		pattern = "*.parquet";
	size_t pl = strlen(prefix);
	fr_buf pfx = FR_BUF_INIT, q = FR_BUF_INIT, tok = FR_BUF_INIT, key = FR_BUF_INIT,
	       sz = FR_BUF_INIT, tr = FR_BUF_INIT;
	/* "directly under the prefix" (decision 16): the prefix ends with '/' unless empty */
	rc = fr_buf_append(&pfx, prefix, pl);
	if (!rc && pl && prefix[pl - 1] != '/')
		rc = fr_buf_putc(&pfx, '/');
	rc = rc ? rc : fr_buf_putc(&pfx, 0);
	name_ent *v = NULL;
	size_t nv = 0, cap = 0;
	int pages = 0;
	while (!rc) {
		/* parameters in canonical order, encoded as they are signed */
		fr_buf_reset(&q);
		if (tok.len) {
			rc = fr_buf_printf(&q, "continuation-token=");
			rc = rc ? rc : fr_sigv4_uri_encode(&q, (char *)tok.data, tok.len, 0);
			rc = rc ? rc : fr_buf_putc(&q, '&');
		}
		rc = rc ? rc : fr_buf_printf(&q, "delimiter=%%2F&list-type=2&prefix=");
		rc = rc ? rc : fr_sigv4_uri_encode(&q, (char *)pfx.data, strlen((char *)pfx.data), 0);
		rc = rc ? rc : fr_buf_putc(&q, 0);
		if (rc) {
			rc = fr_err_set(err, FR_ENOMEM, "out of memory");
			break;
		}
		xfer x = { .bucket = bucket, .query = (char *)q.data, .limit = 64u << 20 };
		xfer *xv = &x;
		rc = run_xfers(&xv, 1, err);
		if (rc) {
			fr_buf_free(&x.body);
			fr_err_prefix(err, "%s", basepath);
			break;
		}
		const char *b = (const char *)x.body.data;
		size_t bl = x.body.len, pos = 0, st, c;
		int empty;
		while (find_tag(b, bl, pos, "Contents", &st, &c, &empty)) {
			size_t ce, end;
			if (empty || !find_close(b, bl, c, "Contents", &ce, &end))
				break;
			pos = end;
			if (fr_s3_xml_text(b + c, ce - c, "Key", &key, NULL) != 1)
				continue;
			fr_s3_xml_text(b + c, ce - c, "Size", &sz, NULL);
			const char *k = (const char *)key.data;
			size_t ppl = strlen((char *)pfx.data);
			if (strncmp(k, (char *)pfx.data, ppl))
				continue;
			const char *name = k + ppl;
			/* a "folder" marker or a deeper key is not a part */
			if (!*name || strchr(name, '/') || fnmatch(pattern, name, FNM_NOESCAPE))
				continue;
			if (nv == cap) {
				size_t ncap = cap ? cap * 2 : 256;
				name_ent *nvv = realloc(v, ncap * sizeof *nvv);
				if (!nvv) {
					rc = fr_err_set(err, FR_ENOMEM, "out of memory");
					break;
				}
				v = nvv;
				cap = ncap;
			}
			v[nv].name = fr_arena_strdup(arena, name);
			v[nv].size = sz.data ? strtoull((char *)sz.data, NULL, 10) : 0;
			if (!v[nv].name) {
				rc = fr_err_set(err, FR_ENOMEM, "out of memory");
				break;
			}
			nv++;
		}
		int more = fr_s3_xml_text(b, bl, "IsTruncated", &tr, NULL) == 1 &&
		           !strcmp((char *)tr.data, "true");
		fr_buf_reset(&tok);
		if (more && fr_s3_xml_text(b, bl, "NextContinuationToken", &tok, NULL) != 1) {
			rc = fr_err_set(err, FR_EREMOTE, "%s: listing truncated without a continuation "
			                "token", basepath);
		}
		fr_buf_free(&x.body);
		pages++;
		if (!more || rc)
			break;
		if (pages > 1000000) {
			rc = fr_err_set(err, FR_ELIMIT, "%s: more than a million listing pages",
			                basepath);
			break;
		}
	}
	if (!rc) {
		if (nv)
			qsort(v, nv, sizeof *v, name_cmp);
		fr_part_entry *e = fr_arena_calloc(arena, nv ? nv : 1, sizeof *e);
		if (!e) {
			rc = fr_err_set(err, FR_ENOMEM, "out of memory");
		} else {
			for (size_t i = 0; i < nv; i++) {
				e[i].name = v[i].name;
				e[i].size = v[i].size;
			}
			*out = e;
			*n = (int)nv;
		}
	}
	free(v);
	fr_buf_free(&pfx);
	fr_buf_free(&q);
	fr_buf_free(&tok);
	fr_buf_free(&key);
	fr_buf_free(&sz);
	fr_buf_free(&tr);
	return rc;
}

/* ------------------------------------------------------------------ reading parts */

#define TAIL_LEN ((uint64_t)64 << 10)   /* what the reader asks for first (reader.c) */

typedef struct seg {
	uint64_t off, len;
	uint8_t *p;
} seg;

typedef struct s3f {
	char *bucket, *key;
	uint64_t size;
	char cache_key[65];
	char etag[128];               /* "" when opened from the cache */
	int use_cache;
	seg *segs;
	int nseg, capseg;
	seg *maps;                    /* disk-cache entries lent to the reader (mmap'ed) */
	int nmap, capmap;
	fr_storage_stats st;
	fr_storage_stats *out;
} s3f;

static void s3f_free(s3f *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->nseg; i++)
		free(s->segs[i].p);
	free(s->segs);
	for (int i = 0; i < s->nmap; i++)
		munmap(s->maps[i].p, (size_t)s->maps[i].len);
	free(s->maps);
	free(s->bucket);
	free(s->key);
	free(s);
}

static void on_release(void *ctx)
{
	s3f *s = ctx;
	if (s->out)
		*s->out = s->st;
	s3f_free(s);
}

/* Takes ownership of p. */
static int add_seg(s3f *s, uint64_t off, uint64_t len, uint8_t *p)
{
	if (s->nseg == s->capseg) {
		int nc = s->capseg ? s->capseg * 2 : 8;
		seg *ns = realloc(s->segs, (size_t)nc * sizeof *ns);
		if (!ns) {
			free(p);
			return FR_ENOMEM;
		}
		s->segs = ns;
		s->capseg = nc;
	}
	s->segs[s->nseg++] = (seg){ off, len, p };
	return 0;
}

/* The segment of v[0..n) holding [off, off + len), or NULL. */
static const seg *seg_in(const seg *v, int n, uint64_t off, uint64_t len)
{
	for (int i = 0; i < n; i++)
		if (off >= v[i].off && off + len <= v[i].off + v[i].len)
			return &v[i];
	return NULL;
}

static const seg *find_seg(const s3f *s, uint64_t off, uint64_t len)
{
	return seg_in(s->segs, s->nseg, off, len);
}

/* Steals a buffer's bytes (the buffer is left empty). */
static uint8_t *steal(fr_buf *b)
{
	uint8_t *p = b->data;
	if (!p)
		p = malloc(1);
	*b = (fr_buf)FR_BUF_INIT;
	return p;
}

static void range_name(char *out, size_t n, uint64_t off, uint64_t len)
{
	snprintf(out, n, "%llu-%llu", (unsigned long long)off, (unsigned long long)len);
}

static int s3_read(void *ctx, uint64_t off, uint64_t len, void *dst, fr_err *err)
{
	s3f *s = ctx;
	if (off > s->size || len > s->size - off)
		return fr_err_set(err, FR_EIO, "read past the end of the object");
	const seg *g = find_seg(s, off, len);
	if (g) {
		memcpy(dst, g->p + (off - g->off), len);
		return 0;
	}
	char name[64];
	range_name(name, sizeof name, off, len);
	if (s->use_cache && fr_s3_cache_read(s->cache_key, name, dst, len)) {
		s->st.cache_hits++;
		s->st.cache_bytes += len;
		return 0;
	}
	xfer x = { .bucket = s->bucket, .key = s->key, .off = off, .len = len, .limit = len,
		.if_match = s->etag };
	xfer *xv = &x;
	int rc = run_xfers(&xv, 1, err);
	s->st.net_requests += (uint64_t)x.attempts;
	if (!rc) {
		memcpy(dst, x.body.data, len);
		s->st.net_bytes += len;
		if (s->use_cache)
			fr_s3_cache_put(s->cache_key, name, x.body.data, len);
	}
	fr_buf_free(&x.body);
	return rc;
}

/* The reader's view hook: bytes fetched ahead, or a cached range mapped, lent until the file
 * is closed (no copy); NULL sends the reader to s3_read. */
static const uint8_t *s3_view(void *ctx, uint64_t off, uint64_t len)
{
	s3f *s = ctx;
	if (off > s->size || len > s->size - off)
		return NULL;
	const seg *g = find_seg(s, off, len);
	if (!g)   /* a range lent before (a column loaded twice) is lent again, not mapped again */
		g = seg_in(s->maps, s->nmap, off, len);
	if (g)
		return g->p + (off - g->off);
	if (!s->use_cache)
		return NULL;
	if (s->nmap == s->capmap) {
		int nc = s->capmap ? s->capmap * 2 : 8;
		seg *nm = realloc(s->maps, (size_t)nc * sizeof *nm);
		if (!nm)
			return NULL;
		s->maps = nm;
		s->capmap = nc;
	}
	char name[64];
	range_name(name, sizeof name, off, len);
	const uint8_t *p = fr_s3_cache_map(s->cache_key, name, len);
	if (!p)
		return NULL;
	s->maps[s->nmap++] = (seg){ off, len, (uint8_t *)p };
	s->st.cache_hits++;
	s->st.cache_bytes += len;
	return p;
}

static int rng_cmp(const void *a, const void *b)
{
	const fr_pq_range *x = a, *y = b;
	return x->off < y->off ? -1 : x->off > y->off;
}

static int s3_prefetch(void *ctx, const fr_pq_range *r, int n, fr_err *err)
{
	s3f *s = ctx;
	const fr_storage_s3_opts *o = fr_s3_opts();
	fr_pq_range *need = malloc((size_t)n * sizeof *need);
	fr_pq_range *merged = malloc((size_t)n * sizeof *merged);
	xfer *xs = calloc((size_t)n, sizeof *xs);
	xfer **xv = calloc((size_t)n, sizeof *xv);
	int nn = 0, nm = 0, rc = 0;
	if (!need || !merged || !xs || !xv) {
		rc = fr_err_set(err, FR_ENOMEM, "out of memory");
		goto out;
	}
	for (int i = 0; i < n && !rc; i++) {
		if (r[i].off > s->size || r[i].len > s->size - r[i].off || !r[i].len ||
		    find_seg(s, r[i].off, r[i].len))
			continue;
		char name[64];
		range_name(name, sizeof name, r[i].off, r[i].len);
		/* a cached range is read from the cache straight into the reader's buffer when
		 * it is loaded (s3_read): no copy held here */
		if (s->use_cache && fr_s3_cache_has(s->cache_key, name, r[i].len))
			continue;
		need[nn++] = r[i];
	}
	if (rc || !nn)
		goto out;
	/* near ranges become one request: a gap costs less than a round trip */
	qsort(need, (size_t)nn, sizeof *need, rng_cmp);
	for (int i = 0; i < nn; i++) {
		if (nm) {
			fr_pq_range *m = &merged[nm - 1];
			uint64_t end = m->off + m->len;
			uint64_t nend = need[i].off + need[i].len;
			if (need[i].off <= end + o->coalesce_gap &&
			    (nend > end ? nend : end) - m->off <= ((uint64_t)64 << 20)) {
				if (nend > end)
					m->len = nend - m->off;
				continue;
			}
		}
		merged[nm++] = need[i];
	}
	for (int i = 0; i < nm; i++) {
		xs[i] = (xfer){ .bucket = s->bucket, .key = s->key, .off = merged[i].off,
			.len = merged[i].len, .limit = (size_t)merged[i].len, .if_match = s->etag };
		xv[i] = &xs[i];
	}
	rc = run_xfers(xv, nm, err);
	for (int i = 0; i < nm; i++)
		s->st.net_requests += (uint64_t)xs[i].attempts;
	if (rc)
		goto out;
	for (int i = 0; i < nm; i++) {
		s->st.net_bytes += merged[i].len;
		if (s->use_cache) {
			/* cache the ranges the reader will ask for, not the merged gaps */
			for (int j = 0; j < nn; j++) {
				if (need[j].off < merged[i].off ||
				    need[j].off + need[j].len > merged[i].off + merged[i].len)
					continue;
				char name[64];
				range_name(name, sizeof name, need[j].off, need[j].len);
				fr_s3_cache_put(s->cache_key, name,
				                xs[i].body.data + (need[j].off - merged[i].off), need[j].len);
			}
		}
		if (add_seg(s, merged[i].off, merged[i].len, steal(&xs[i].body))) {
			rc = fr_err_set(err, FR_ENOMEM, "out of memory");
			goto out;
		}
	}
out:
	for (int i = 0; xs && i < nm; i++)
		fr_buf_free(&xs[i].body);
	free(need);
	free(merged);
	free(xs);
	free(xv);
	return rc;
}

static void cache_key_of(const char *path, const fr_storage_open_opts *o, char out[65])
{
	fr_buf b = FR_BUF_INIT;
	out[0] = 0;
	if (!o || !o->dataset || !o->registered_at)
		return;
	if (fr_buf_printf(&b, "%s%c%s%c%s", o->dataset, 0, o->registered_at, 0, path)) {
		fr_buf_free(&b);
		return;
	}
	/* two independent 64-bit FNV-1a hashes, finalised: 128 bits name a registration well
	 * enough, and a warm cache then needs neither libcrypto nor libcurl (dl.h) */
	uint64_t h1 = 0xcbf29ce484222325ull, h2 = 0x84222325cbf29ce4ull;
	for (size_t i = 0; i < b.len; i++) {
		h1 = (h1 ^ b.data[i]) * 0x100000001b3ull;
		h2 = (h2 ^ b.data[b.len - 1 - i]) * 0x100000001b3ull;
	}
	uint64_t hs[2] = { h1, h2 };
	for (int k = 0; k < 2; k++) {
		uint64_t z = hs[k] + 0x9e3779b97f4a7c15ull;
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		hs[k] = z ^ (z >> 31);
	}
	snprintf(out, 65, "%016llx%016llx", (unsigned long long)hs[0], (unsigned long long)hs[1]);
	fr_buf_free(&b);
}

/* The tail entry: size (8 bytes LE), the 4 leading bytes, then the tail itself. */
static int open_from_cache(s3f *s)
{
	fr_buf b = FR_BUF_INIT;
	if (!fr_s3_cache_get(s->cache_key, "tail", 0, &b))
		return 0;
	uint64_t size = 0;
	if (b.len < 12) {
		fr_buf_free(&b);
		return 0;
	}
	for (int i = 0; i < 8; i++)
		size |= (uint64_t)b.data[i] << (8 * i);
	uint64_t tl = size < TAIL_LEN ? size : TAIL_LEN;
	if (b.len != 12 + tl) {
		fr_buf_free(&b);
		return 0;
	}
	uint8_t *head = malloc(4), *tail = malloc(tl ? tl : 1);
	if (!head || !tail) {
		free(head);
		free(tail);
		fr_buf_free(&b);
		return 0;
	}
	memcpy(head, b.data + 8, 4);
	memcpy(tail, b.data + 12, tl);
	fr_buf_free(&b);
	s->size = size;
	if (add_seg(s, 0, 4, head) || add_seg(s, size - tl, tl, tail))
		return 0;
	s->st.cache_hits++;
	s->st.cache_bytes += tl + 4;
	return 1;
}

/* Set once a store answered a suffix range with the object's head (s3rver does, aws.md
 * §7.1): from then on this process asks for the head first and the tail by offsets, two
 * small round trips instead of a wasted 64 KiB per part. */
static int g_suffix_broken;

static int open_from_store(s3f *s, fr_err *err)
{
	xfer t = { .bucket = s->bucket, .key = s->key, .len = TAIL_LEN, .suffix = 1,
		.limit = TAIL_LEN + 1 };
	xfer h = { .bucket = s->bucket, .key = s->key, .off = 0, .len = 4, .limit = 4 };
	xfer *xv[2] = { &h, &t };
	xfer x = { 0 };
	/* S3-compatible stores differ on suffix ranges: behind a custom endpoint do not rely
	 * on them at all */
	const char *ep = fr_s3_opts()->endpoint_url;
	int broken = (ep && *ep) || __atomic_load_n(&g_suffix_broken, __ATOMIC_RELAXED);
	int rc = run_xfers(xv, broken ? 1 : 2, err);
	s->st.net_requests += (uint64_t)(t.attempts + h.attempts);
	if (rc)
		goto out;
	if (!h.has_cr || h.cr_total < 4) {
		rc = fr_err_set(err, FR_ECORRUPT, "s3://%s/%s: not a parquet file (%llu bytes)",
		                s->bucket, s->key, (unsigned long long)(h.has_cr ? h.cr_total : 0));
		goto out;
	}
	uint64_t size = h.cr_total, tl = size < TAIL_LEN ? size : TAIL_LEN;
	s->size = size;
	snprintf(s->etag, sizeof s->etag, "%s", h.etag);
	uint8_t *tail;
	if (t.cr_total == size && t.cr_b == size - 1 && t.cr_a <= size - tl &&
	    t.body.len == t.cr_b - t.cr_a + 1) {
		/* the tail, or more than it (a small object whole): keep the last tl bytes */
		uint64_t skip = size - tl - t.cr_a;
		if (skip)
			memmove(t.body.data, t.body.data + skip, (size_t)tl);
		t.body.len = (size_t)tl;
		tail = steal(&t.body);
	} else {
		/* a store that reads "-N" as "0-N" (s3rver): ask for the tail by offsets */
		if (!broken && t.cr_a == 0 && t.cr_b < size - 1)
			__atomic_store_n(&g_suffix_broken, 1, __ATOMIC_RELAXED);
		x = (xfer){ .bucket = s->bucket, .key = s->key, .off = size - tl, .len = tl,
			.limit = (size_t)tl, .if_match = s->etag };
		xfer *xx = &x;
		rc = run_xfers(&xx, 1, err);
		s->st.net_requests += (uint64_t)x.attempts;
		if (rc)
			goto out;
		tail = steal(&x.body);
	}
	s->st.net_bytes += tl + 4;
	uint8_t *head = steal(&h.body);
	if (s->use_cache) {
		fr_buf c = FR_BUF_INIT;
		int bad = 0;
		for (int i = 0; i < 8; i++)
			bad |= fr_buf_putc(&c, (uint8_t)(size >> (8 * i)));
		bad |= fr_buf_append(&c, head, 4);
		bad |= fr_buf_append(&c, tail, tl);
		if (!bad)
			fr_s3_cache_put(s->cache_key, "tail", c.data, c.len);
		fr_buf_free(&c);
	}
	if (add_seg(s, 0, 4, head) || add_seg(s, size - tl, tl, tail))
		rc = fr_err_set(err, FR_ENOMEM, "out of memory");
out:
	fr_buf_free(&t.body);
	fr_buf_free(&h.body);
	fr_buf_free(&x.body);
	return rc;
}

int fr_s3_open(const char *path, const fr_storage_open_opts *o, fr_pq_file **out,
               uint64_t *size, fr_err *err)
{
	*out = NULL;
	fr_arena *a = fr_arena_new(0);
	s3f *s = calloc(1, sizeof *s);
	const char *bucket, *key;
	int rc;
	if (!a || !s) {
		rc = fr_err_set(err, FR_ENOMEM, "out of memory");
		goto fail;
	}
	if ((rc = fr_s3_parse(path, a, &bucket, &key, err)))
		goto fail;
	s->bucket = strdup(bucket);
	s->key = strdup(key);
	s->out = o ? o->stats : NULL;
	if (!s->bucket || !s->key) {
		rc = fr_err_set(err, FR_ENOMEM, "out of memory");
		goto fail;
	}
	cache_key_of(path, o, s->cache_key);
	const fr_storage_s3_opts *so = fr_s3_opts();
	s->use_cache = s->cache_key[0] && so->cache_dir && so->cache_max_bytes > 0;
	if (s->use_cache)
		fr_s3_cache_prune();   /* before a load, as runtime.md §6.4 orders */
	if (!(s->use_cache && open_from_cache(s)) && (rc = open_from_store(s, err)))
		goto fail;
	fr_pq_file *f;
	if ((rc = fr_pq_open_reader(path, s->size, s3_read, s, &f, err))) {
		/* bytes that do not open as parquet are not worth keeping (decision 20) */
		if (s->use_cache)
			fr_s3_cache_evict(s->cache_key);
		goto fail;
	}
	fr_pq_set_hooks(f, s3_prefetch, on_release);
	fr_pq_set_view(f, s3_view);
	*size = s->size;
	*out = f;
	fr_arena_free(a);
	return 0;
fail:
	if (s && s->out)
		*s->out = s->st;
	s3f_free(s);
	fr_arena_free(a);
	return rc;
}

void fr_s3_evict(const char *path, const fr_storage_open_opts *o)
{
	char key[65];
	cache_key_of(path, o, key);
	if (key[0])
		fr_s3_cache_evict(key);
}
