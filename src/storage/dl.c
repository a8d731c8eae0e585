/* The lazily loaded libcurl and libcrypto (see dl.h). */
#define FR_DL_IMPL
#include "storage/dl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

struct fr_dl_table fr_dl;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char failure[512];

static void *open_first(const char *const *names)
{
	for (int i = 0; names[i]; i++) {
		void *h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
		if (h)
			return h;
	}
	return NULL;
}

static void load(void)
{
	static const char *const crypto[] = { "libcrypto.so.3", "libcrypto.so", NULL };
	static const char *const curl[] = { "libcurl.so.4", "libcurl.so", NULL };
	void *hc = open_first(crypto), *hu = hc ? open_first(curl) : NULL;
	if (!hc || !hu) {
		const char *e = dlerror();
		snprintf(failure, sizeof failure, "cannot load %s for S3: %s",
		         hc ? "libcurl.so.4" : "libcrypto.so.3", e ? e : "not found");
		return;
	}
#define FR_DL_SYM(h, f)                                                                    \
	if (!failure[0] && !(*(void **)&fr_dl.f = dlsym(h, #f)))                           \
		snprintf(failure, sizeof failure, "cannot load %s for S3: no symbol %s",     \
		         h == hc ? "libcrypto.so.3" : "libcurl.so.4", #f);
#define FR_DL_CURL_SYM(f) FR_DL_SYM(hu, f)
#define FR_DL_CRYPTO_SYM(f) FR_DL_SYM(hc, f)
	FR_DL_CRYPTO(FR_DL_CRYPTO_SYM)
	FR_DL_CURL(FR_DL_CURL_SYM)
	/* libcurl's global start-up, once per process, before its first use */
	if (!failure[0])
		fr_dl.curl_global_init(CURL_GLOBAL_DEFAULT);
}

int fr_dl_load(fr_err *err)
{
	pthread_once(&once, load);
	if (failure[0])
		return fr_err_set(err, FR_EUNSUPPORTED, "%s", failure);
	return 0;
}
