/* AWS Signature Version 4 on OpenSSL HMAC/SHA-256 (aws.md §1).  Our own signer rather than
 * libcurl's CURLOPT_AWS_SIGV4: curl 7.88 does not sort the query, does not add
 * x-amz-content-sha256 or the session token and duplicates a caller's x-amz-date (aws.md
 * §1.5); and an own signer can be tested step by step against the published vectors. */
#ifndef FR_STORAGE_SIGV4_H
#define FR_STORAGE_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "core/buf.h"
#include "core/error.h"

#define FR_SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

typedef struct fr_sigv4_hdr {
	const char *name;
	const char *value;        /* as sent; folded lines and runs of blanks are normalised */
} fr_sigv4_hdr;

typedef struct fr_sigv4_req {
	const char *method;
	const char *path;         /* exactly as sent on the wire (already percent-encoded for S3) */
	const char *query;        /* as sent, without '?'; NULL or "" when none */
	const fr_sigv4_hdr *headers;   /* every header sent that may be signed, Host included */
	int nheaders;
	const char *payload_hash; /* lowercase hex SHA-256 of the body, or "UNSIGNED-PAYLOAD" */
	int normalize;            /* remove dot segments and collapse '//' (not for S3) */
	int double_encode;        /* URI-encode the wire path again (every service except S3) */
	int add_content_sha256;   /* send and sign x-amz-content-sha256 (S3) */
	int omit_token;           /* send the session token but leave it unsigned */
} fr_sigv4_req;

typedef struct fr_sigv4_creds {
	const char *access_key_id;
	const char *secret;
	const char *token;        /* NULL or "" without temporary credentials */
} fr_sigv4_creds;

typedef struct fr_sigv4_out {
	char amz_date[17];        /* 20150830T123600Z */
	char signature[65];
	fr_buf canonical;         /* the canonical request (NUL-terminated), for tests and debug */
	fr_buf string_to_sign;
	fr_buf authorization;     /* the Authorization header value */
	/* Headers the caller must add to the request, "Name: value" NUL-terminated each:
	 * X-Amz-Date, optionally X-Amz-Content-Sha256 and X-Amz-Security-Token, Authorization. */
	fr_buf add[4];
	int nadd;
} fr_sigv4_out;

/* Signs r at time `now` (UTC) for region and service.  0, or FR_EINVAL / FR_ENOMEM; the
 * error never contains the secret.  Free out with fr_sigv4_out_free (also after an error). */
int fr_sigv4_sign(const fr_sigv4_req *r, const fr_sigv4_creds *c, const char *region,
                  const char *service, time_t now, fr_sigv4_out *out, fr_err *err);
void fr_sigv4_out_free(fr_sigv4_out *out);

/* Lowercase hex SHA-256 of n bytes into hex[65]. */
void fr_sigv4_sha256_hex(const void *p, size_t n, char hex[65]);
/* The signing key (kSigning) for secret/date(yyyymmdd)/region/service. */
void fr_sigv4_signing_key(const char *secret, const char *date, const char *region,
                          const char *service, unsigned char key[32]);
/* Appends the SigV4 URI encoding of p[0..n) to b: unreserved bytes kept, '/' kept when
 * keep_slash, everything else %XX uppercase.  0 or FR_ENOMEM. */
int fr_sigv4_uri_encode(fr_buf *b, const char *p, size_t n, int keep_slash);

#endif
