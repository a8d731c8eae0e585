/* SigV4 signer (aws.md §1): canonical request, string to sign, signing key, signature. */
#include "storage/sigv4.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/dl.h"

void fr_sigv4_sha256_hex(const void *p, size_t n, char hex[65])
{
	fr_err e;
	if (fr_dl_load(&e)) {   /* no libcrypto: a digest that matches nothing */
		memset(hex, '0', 64);
		hex[64] = 0;
		return;
	}
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256(p, n, md);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

static void hmac(const void *key, size_t klen, const void *data, size_t dlen,
                 unsigned char out[32])
{
	unsigned int olen = 32;
	HMAC(EVP_sha256(), key, (int)klen, data, dlen, out, &olen);
}

void fr_sigv4_signing_key(const char *secret, const char *date, const char *region,
                          const char *service, unsigned char key[32])
{
	fr_err e;
	if (fr_dl_load(&e)) {
		memset(key, 0, 32);
		return;
	}
	size_t sl = strlen(secret);
	char *k = malloc(sl + 5);
	unsigned char a[32], b[32];
	if (!k) {   /* cannot happen in practice; an all-zero key just fails to verify */
		memset(key, 0, 32);
		return;
	}
	memcpy(k, "AWS4", 4);
	memcpy(k + 4, secret, sl + 1);
	hmac(k, sl + 4, date, strlen(date), a);
	/* the secret must not linger on the heap */
	OPENSSL_cleanse(k, sl + 4);
	free(k);
	hmac(a, 32, region, strlen(region), b);
	hmac(b, 32, service, strlen(service), a);
	hmac(a, 32, "aws4_request", 12, key);
	OPENSSL_cleanse(a, sizeof a);
	OPENSSL_cleanse(b, sizeof b);
}

static int unreserved(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~';
}

int fr_sigv4_uri_encode(fr_buf *b, const char *p, size_t n, int keep_slash)
{
	static const char hx[] = "0123456789ABCDEF";
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		int rc;
		if (unreserved(c) || (keep_slash && c == '/')) {
			rc = fr_buf_putc(b, c);
		} else {
			char e[3] = { '%', hx[c >> 4], hx[c & 15] };
			rc = fr_buf_append(b, e, 3);
		}
		if (rc)
			return rc;
	}
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes p[0..n) into b ('+' stays '+': SigV4 never reads it as a space). */
static int uri_decode(fr_buf *b, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)p[i];
		if (c == '%' && i + 2 < n && hexval(p[i + 1]) >= 0 && hexval(p[i + 2]) >= 0) {
			c = hexval(p[i + 1]) * 16 + hexval(p[i + 2]);
			i += 2;
		}
		if (fr_buf_putc(b, (uint8_t)c))
			return FR_ENOMEM;
	}
	return 0;
}

/* RFC 3986 dot-segment removal plus collapsing of repeated '/' (non-S3 services). */
static int normalize_path(const char *path, fr_buf *out)
{
	size_t n = strlen(path);
	const char **seg = calloc(n + 1, sizeof *seg);
	size_t *len = calloc(n + 1, sizeof *len);
	int nseg = 0, rc = 0, trailing = 0;
	if (!seg || !len) {
		free(seg);
		free(len);
		return FR_ENOMEM;
	}
	const char *p = path;
	while (*p) {
		while (*p == '/')
			p++;
		const char *s = p;
		while (*p && *p != '/')
			p++;
		size_t l = (size_t)(p - s);
		trailing = 0;
		if (l == 0) {
			trailing = 1;
		} else if (l == 1 && s[0] == '.') {
			trailing = 1;
		} else if (l == 2 && s[0] == '.' && s[1] == '.') {
			if (nseg > 0)
				nseg--;
			trailing = 1;
		} else {
			seg[nseg] = s;
			len[nseg++] = l;
			trailing = *p == '/';
		}
	}
	rc = fr_buf_putc(out, '/');
	for (int i = 0; i < nseg && !rc; i++) {
		rc = fr_buf_append(out, seg[i], len[i]);
		if (!rc && (i + 1 < nseg || trailing))
			rc = fr_buf_putc(out, '/');
	}
	free(seg);
	free(len);
	return rc;
}

typedef struct kv {
	char *k, *v;
} kv;

static int kv_cmp(const void *a, const void *b)
{
	const kv *x = a, *y = b;
	int c = strcmp(x->k, y->k);
	return c ? c : strcmp(x->v, y->v);
}

static int canonical_query(const char *q, fr_buf *out)
{
	if (!q || !*q)
		return 0;
	size_t n = strlen(q), np = 1;
	for (size_t i = 0; i < n; i++)
		np += q[i] == '&';
	kv *pairs = calloc(np, sizeof *pairs);
	int m = 0, rc = 0;
	if (!pairs)
		return FR_ENOMEM;
	const char *p = q;
	while (*p && !rc) {
		const char *e = strchr(p, '&');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l) {
			const char *eq = memchr(p, '=', l);
			size_t kl = eq ? (size_t)(eq - p) : l;
			fr_buf d = FR_BUF_INIT, en = FR_BUF_INIT;
			for (int part = 0; part < 2 && !rc; part++) {
				const char *s = part ? (eq ? eq + 1 : "") : p;
				size_t sl = part ? (eq ? l - kl - 1 : 0) : kl;
				fr_buf_reset(&d);
				fr_buf_reset(&en);
				rc = uri_decode(&d, s, sl);
				if (!rc)
					rc = fr_sigv4_uri_encode(&en, d.data ? (char *)d.data : "", d.len, 0);
				if (!rc)
					rc = fr_buf_putc(&en, 0);
				if (!rc) {
					char *dup = strdup((char *)en.data);
					if (!dup)
						rc = FR_ENOMEM;
					else if (part)
						pairs[m].v = dup;
					else
						pairs[m].k = dup;
				}
			}
			fr_buf_free(&d);
			fr_buf_free(&en);
			if (!rc)
				m++;
		}
		p += l;
		if (*p == '&')
			p++;
	}
	if (!rc) {
		qsort(pairs, (size_t)m, sizeof *pairs, kv_cmp);
		for (int i = 0; i < m && !rc; i++)
			rc = fr_buf_printf(out, "%s%s=%s", i ? "&" : "", pairs[i].k, pairs[i].v);
	}
	for (size_t i = 0; i < np; i++) {
		free(pairs[i].k);
		free(pairs[i].v);
	}
	free(pairs);
	return rc;
}

typedef struct hdr {
	char *name;     /* lowercase */
	fr_buf value;   /* normalised, duplicates joined with ',' */
	int order;
} hdr;

static int hdr_cmp(const void *a, const void *b)
{
	const hdr *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	return c ? c : x->order - y->order;
}

/* Headers that proxies or libcurl may add or change are never signed (aws.md §1.1). */
static int never_signed(const char *lname)
{
	static const char *const no[] = { "user-agent", "connection", "expect",
		"transfer-encoding", "authorization", "x-amzn-trace-id", NULL };
	for (int i = 0; no[i]; i++)
		if (!strcmp(lname, no[i]))
			return 1;
	return 0;
}

/* Trims and collapses every run of blanks (folded lines included) into one space. */
static int append_norm(fr_buf *b, const char *v)
{
	int pending = 0, any = 0;
	for (const char *p = v; *p; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
			pending = any;
			continue;
		}
		if (pending && fr_buf_putc(b, ' '))
			return FR_ENOMEM;
		pending = 0;
		any = 1;
		if (fr_buf_putc(b, (uint8_t)*p))
			return FR_ENOMEM;
	}
	return 0;
}

static int add_hdr(hdr *h, int *n, const char *name, const char *value)
{
	char *ln = strdup(name);
	if (!ln)
		return FR_ENOMEM;
	for (char *p = ln; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (never_signed(ln)) {
		free(ln);
		return 0;
	}
	for (int i = 0; i < *n; i++) {
		if (!strcmp(h[i].name, ln)) {
			free(ln);
			if (fr_buf_putc(&h[i].value, ','))
				return FR_ENOMEM;
			return append_norm(&h[i].value, value);
		}
	}
	h[*n].name = ln;
	h[*n].value = (fr_buf)FR_BUF_INIT;
	h[*n].order = *n;
	(*n)++;
	return append_norm(&h[*n - 1].value, value);
}

static int add_out(fr_sigv4_out *o, const char *fmt, const char *a, const char *b)
{
	fr_buf *x = &o->add[o->nadd++];
	if (fr_buf_printf(x, fmt, a, b) || fr_buf_putc(x, 0))
		return FR_ENOMEM;
	return 0;
}

int fr_sigv4_sign(const fr_sigv4_req *r, const fr_sigv4_creds *c, const char *region,
                  const char *service, time_t now, fr_sigv4_out *out, fr_err *err)
{
	memset(out, 0, sizeof *out);
	if (fr_dl_load(err))
		return err->code;
	if (!r->method || !r->path || !c || !c->access_key_id || !c->secret || !region ||
	    !service || !r->payload_hash)
		return fr_err_set(err, FR_EINVAL, "SigV4: incomplete request or credentials");
	struct tm tm;
	if (!gmtime_r(&now, &tm))
		return fr_err_set(err, FR_EINVAL, "SigV4: bad time");
	strftime(out->amz_date, sizeof out->amz_date, "%Y%m%dT%H%M%SZ", &tm);
	char date[9];
	memcpy(date, out->amz_date, 8);
	date[8] = 0;
	int has_token = c->token && *c->token;
	int nh = 0, rc = 0;
	hdr *h = calloc((size_t)r->nheaders + 3, sizeof *h);
	fr_buf path = FR_BUF_INIT, cr = FR_BUF_INIT, signed_h = FR_BUF_INIT;
	if (!h) {
		rc = FR_ENOMEM;
		goto done;
	}
	for (int i = 0; i < r->nheaders && !rc; i++)
		rc = add_hdr(h, &nh, r->headers[i].name, r->headers[i].value ? r->headers[i].value : "");
	if (!rc)
		rc = add_hdr(h, &nh, "x-amz-date", out->amz_date);
	if (!rc && r->add_content_sha256)
		rc = add_hdr(h, &nh, "x-amz-content-sha256", r->payload_hash);
	if (!rc && has_token && !r->omit_token)
		rc = add_hdr(h, &nh, "x-amz-security-token", c->token);
	if (rc)
		goto done;
	qsort(h, (size_t)nh, sizeof *h, hdr_cmp);

	/* 1. canonical request */
	const char *wire = *r->path ? r->path : "/";
	if (r->normalize)
		rc = normalize_path(wire, &path);
	else
		rc = fr_buf_append(&path, wire, strlen(wire));
	if (!rc)
		rc = fr_buf_printf(&cr, "%s\n", r->method);
	if (!rc && r->double_encode)
		rc = fr_sigv4_uri_encode(&cr, (char *)path.data, path.len, 1);
	else if (!rc)
		rc = fr_buf_append(&cr, path.data, path.len);
	if (!rc)
		rc = fr_buf_putc(&cr, '\n');
	if (!rc)
		rc = canonical_query(r->query, &cr);
	if (!rc)
		rc = fr_buf_putc(&cr, '\n');
	for (int i = 0; i < nh && !rc; i++) {
		rc = fr_buf_printf(&cr, "%s:", h[i].name);
		if (!rc)
			rc = fr_buf_append(&cr, h[i].value.data, h[i].value.len);
		if (!rc)
			rc = fr_buf_putc(&cr, '\n');
		if (!rc)
			rc = fr_buf_printf(&signed_h, "%s%s", i ? ";" : "", h[i].name);
	}
	if (!rc)
		rc = fr_buf_putc(&signed_h, 0);
	if (!rc)
		rc = fr_buf_printf(&cr, "\n%s\n%s", (char *)signed_h.data, r->payload_hash);
	if (rc)
		goto done;

	/* 2. string to sign */
	char crh[65];
	fr_sigv4_sha256_hex(cr.data, cr.len, crh);
	if ((rc = fr_buf_append(&out->canonical, cr.data, cr.len)) ||
	    (rc = fr_buf_putc(&out->canonical, 0)))
		goto done;
	if ((rc = fr_buf_printf(&out->string_to_sign, "AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s",
	                        out->amz_date, date, region, service, crh)))
		goto done;
	size_t stslen = out->string_to_sign.len;
	if ((rc = fr_buf_putc(&out->string_to_sign, 0)))
		goto done;

	/* 3, 4. signing key, signature */
	unsigned char key[32], sig[32];
	fr_sigv4_signing_key(c->secret, date, region, service, key);
	hmac(key, 32, out->string_to_sign.data, stslen, sig);
	OPENSSL_cleanse(key, sizeof key);
	for (int i = 0; i < 32; i++)
		snprintf(out->signature + 2 * i, 3, "%02x", sig[i]);
	if ((rc = fr_buf_printf(&out->authorization,
	                        "AWS4-HMAC-SHA256 Credential=%s/%s/%s/%s/aws4_request, "
	                        "SignedHeaders=%s, Signature=%s", c->access_key_id, date, region,
	                        service, (char *)signed_h.data, out->signature)) ||
	    (rc = fr_buf_putc(&out->authorization, 0)))
		goto done;
	if ((rc = add_out(out, "X-Amz-Date: %s%s", out->amz_date, "")))
		goto done;
	if (r->add_content_sha256 && (rc = add_out(out, "X-Amz-Content-Sha256: %s%s",
	                                           r->payload_hash, "")))
		goto done;
	if (has_token && (rc = add_out(out, "X-Amz-Security-Token: %s%s", c->token, "")))
		goto done;
	rc = add_out(out, "Authorization: %s%s", (char *)out->authorization.data, "");
done:
	for (int i = 0; h && i < nh; i++) {
		free(h[i].name);
		fr_buf_free(&h[i].value);
	}
	free(h);
	fr_buf_free(&path);
	fr_buf_free(&cr);
	fr_buf_free(&signed_h);
	if (rc)
		return fr_err_set(err, rc, "SigV4: out of memory");
	return 0;
}

void fr_sigv4_out_free(fr_sigv4_out *out)
{
	fr_buf_free(&out->canonical);
	fr_buf_free(&out->string_to_sign);
	fr_buf_free(&out->authorization);
	for (int i = 0; i < 4; i++) {
		/* the token travels in add[]: wipe before freeing */
		if (out->add[i].data)
			OPENSSL_cleanse(out->add[i].data, out->add[i].len);
		fr_buf_free(&out->add[i]);
	}
	out->nadd = 0;
}
