/* libcurl and libcrypto, loaded when the first S3 request needs them (dlopen), not when any
 * frocket process starts: linked in, they cost every invocation some 5 ms and 6 MB of
 * resident memory (26 shared libraries), which a local query or a bounded-memory repartition
 * should not pay.  Code in src/storage includes this header instead of curl.h/openssl: the
 * usual names then call through the loaded table, with the libraries' own prototypes. */
#ifndef FR_STORAGE_DL_H
#define FR_STORAGE_DL_H

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <string.h>

#include "core/error.h"

/* curl's type-checking wrappers are macros over the real functions: call the functions */
#undef curl_easy_setopt
#undef curl_easy_getinfo
#undef curl_multi_setopt

#define FR_DL_CURL(X) X(curl_global_init) X(curl_easy_init) X(curl_easy_setopt) \
	X(curl_easy_getinfo) X(curl_easy_cleanup) X(curl_easy_strerror) X(curl_easy_perform) \
	X(curl_multi_init) X(curl_multi_cleanup) X(curl_multi_setopt) X(curl_multi_add_handle) \
	X(curl_multi_remove_handle) X(curl_multi_perform) X(curl_multi_poll) \
	X(curl_multi_info_read) X(curl_slist_append) X(curl_slist_free_all) X(curl_url) \
	X(curl_url_set) X(curl_url_get) X(curl_url_cleanup) X(curl_free)
#define FR_DL_CRYPTO(X) X(HMAC) X(EVP_sha256) X(SHA256)

struct fr_dl_table {
#define FR_DL_MEMBER(f) __typeof__(f) *f;
	FR_DL_CURL(FR_DL_MEMBER)
	FR_DL_CRYPTO(FR_DL_MEMBER)
#undef FR_DL_MEMBER
};
extern struct fr_dl_table fr_dl;

/* Loads both libraries once per process (thread-safe): 0, or FR_EUNSUPPORTED naming the
 * library that could not be loaded. */
int fr_dl_load(fr_err *err);

#ifndef FR_DL_IMPL
#define curl_global_init (*fr_dl.curl_global_init)
#define curl_easy_init (*fr_dl.curl_easy_init)
#define curl_easy_setopt (*fr_dl.curl_easy_setopt)
#define curl_easy_getinfo (*fr_dl.curl_easy_getinfo)
#define curl_easy_cleanup (*fr_dl.curl_easy_cleanup)
#define curl_easy_strerror (*fr_dl.curl_easy_strerror)
#define curl_easy_perform (*fr_dl.curl_easy_perform)
#define curl_multi_init (*fr_dl.curl_multi_init)
#define curl_multi_cleanup (*fr_dl.curl_multi_cleanup)
#define curl_multi_setopt (*fr_dl.curl_multi_setopt)
#define curl_multi_add_handle (*fr_dl.curl_multi_add_handle)
#define curl_multi_remove_handle (*fr_dl.curl_multi_remove_handle)
#define curl_multi_perform (*fr_dl.curl_multi_perform)
#define curl_multi_poll (*fr_dl.curl_multi_poll)
#define curl_multi_info_read (*fr_dl.curl_multi_info_read)
#define curl_slist_append (*fr_dl.curl_slist_append)
#define curl_slist_free_all (*fr_dl.curl_slist_free_all)
#define curl_url (*fr_dl.curl_url)
#define curl_url_set (*fr_dl.curl_url_set)
#define curl_url_get (*fr_dl.curl_url_get)
#define curl_url_cleanup (*fr_dl.curl_url_cleanup)
#define curl_free (*fr_dl.curl_free)
#define HMAC (*fr_dl.HMAC)
#define EVP_sha256 (*fr_dl.EVP_sha256)
#define SHA256 (*fr_dl.SHA256)
/* wiping secrets must work before (and without) libcrypto */
#undef OPENSSL_cleanse
#define OPENSSL_cleanse(p, n) explicit_bzero((p), (n))
#endif

#endif
