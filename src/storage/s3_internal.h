/* Shared by s3.c, creds.c and cache.c; not a public interface. */
#ifndef FR_STORAGE_S3_INTERNAL_H
#define FR_STORAGE_S3_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "storage/s3.h"

/* The process's settings (defaults until fr_storage_s3_init). */
const fr_storage_s3_opts *fr_s3_opts(void);

/* ---- credentials and region (creds.c) ---- */
typedef struct fr_aws_creds {
	char *access_key_id, *secret, *token;   /* heap; token may be NULL */
	double expires;                          /* epoch seconds, 0 = never */
	const char *source;                      /* which link of the chain gave them */
} fr_aws_creds;
/* A copy of the current credentials, resolved (and refreshed 5 minutes before expiry) through
 * the overrides and the standard chain.  Errors name the sources tried, never a secret. */
int fr_s3_creds_get(fr_aws_creds *out, fr_err *err);
void fr_aws_creds_free(fr_aws_creds *c);       /* wipes the secret */
/* Forget cached temporary credentials (after ExpiredToken). */
void fr_s3_creds_invalidate(void);
/* The signing region: override, AWS_REGION, AWS_DEFAULT_REGION, the profile, IMDS (not with a
 * custom endpoint), else us-east-1.  Resolved once. */
const char *fr_s3_region(void);
/* Forgets everything resolved (tests switch settings). */
void fr_s3_creds_reset(void);

/* One small synchronous request (credential endpoints): 0 with *status and body, or an
 * error for a transport failure.  headers: NULL-terminated "Name: value" strings. */
int fr_s3_http_simple(const char *method, const char *url, const char *const *headers,
                      const char *body, double timeout, long *status, fr_buf *out, fr_err *err);

/* Text of the first element named `tag` (local name, any namespace prefix) inside
 * xml[0..n), entities decoded, into out (NUL-terminated).  1 found, 0 not, <0 ENOMEM.
 * *next (may be NULL) is set past the element's end. */
int fr_s3_xml_text(const char *xml, size_t n, const char *tag, fr_buf *out, size_t *next);

/* ---- disk cache (cache.c) ---- */
/* key: a hex digest naming the part's registration; name: the range ("t" tail, "<off>-<len>").
 * get: 1 and out filled (exactly want bytes when want > 0), 0 on a miss. */
int fr_s3_cache_get(const char *key, const char *name, uint64_t want, fr_buf *out);
/* Reads an entry of exactly len bytes straight into dst: 1 hit, 0 miss. */
int fr_s3_cache_read(const char *key, const char *name, void *dst, uint64_t len);
/* 1 when an entry of exactly len bytes is there (it may still vanish before it is read). */
int fr_s3_cache_has(const char *key, const char *name, uint64_t len);
/* A read-only mapping of the entry when it holds exactly len bytes (munmap it with len), else
 * NULL; a hit makes the entry the newest. */
const void *fr_s3_cache_map(const char *key, const char *name, uint64_t len);
void fr_s3_cache_put(const char *key, const char *name, const void *p, size_t n);
void fr_s3_cache_evict(const char *key);
/* Evicts least recently used entries until the cache fits its size (runtime.md §6.4). */
void fr_s3_cache_prune(void);

#endif
