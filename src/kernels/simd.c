/* SIMD mode selection: CPU detection once, FROCKET_SIMD override, forcing from tests. */
#include "kernels/internal.h"

#include <pthread.h>
#include <string.h>
#include <strings.h>

#include "core/log.h"

int fr_kern__mode = -1;

static const char *const mode_names[] = {
#define X(name, text) text,
	FR_KERN_SIMD_MODES(X)
#undef X
};

const char *fr_kern_simd_name(fr_simd_mode mode)
{
	if ((unsigned)mode >= sizeof mode_names / sizeof mode_names[0])
		return "unknown";
	return mode_names[mode];
}

int fr_kern_simd_available(fr_simd_mode mode)
{
	switch (mode) {
	case FR_SIMD_SCALAR:
		return 1;
	case FR_SIMD_AVX2:
#ifdef FR_KERN_X86
		__builtin_cpu_init();
		return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
		       __builtin_cpu_supports("bmi2") &&
		       __builtin_cpu_supports("popcnt");
#else
		return 0;
#endif
	case FR_SIMD_NEON:
#ifdef FR_KERN_ARM
		return 1; /* Advanced SIMD is mandatory on AArch64 */
#else
		return 0;
#endif
	}
	return 0;
}

static fr_simd_mode best_mode(void)
{
	if (fr_kern_simd_available(FR_SIMD_AVX2))
		return FR_SIMD_AVX2;
	if (fr_kern_simd_available(FR_SIMD_NEON))
		return FR_SIMD_NEON;
	return FR_SIMD_SCALAR;
}

int fr_kern_simd_parse(const char *s, fr_simd_mode *out, fr_err *err)
{
	if (!strcasecmp(s, "auto")) {
		*out = best_mode();
		return 0;
	}
	for (unsigned m = 0; m < sizeof mode_names / sizeof mode_names[0]; m++) {
		if (strcasecmp(s, mode_names[m]))
			continue;
		if (!fr_kern_simd_available((fr_simd_mode)m))
			return fr_err_set(err, FR_EINVAL, "SIMD mode %s: this CPU or build cannot run %s "
			                  "kernels", s, mode_names[m]);
		*out = (fr_simd_mode)m;
		return 0;
	}
	return fr_err_set(err, FR_EINVAL, "SIMD mode '%s': expected auto, scalar, avx2 or neon", s);
}

static void select_once(void)
{
	fr_simd_mode m = best_mode();
	int expected = -1;
	__atomic_compare_exchange_n(&fr_kern__mode, &expected, (int)m, 0, __ATOMIC_RELAXED,
	                            __ATOMIC_RELAXED);
}

void fr_kern__select(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, select_once);
}

int fr_kern_simd_set(fr_simd_mode mode, fr_err *err)
{
	if (!fr_kern_simd_available(mode))
		return fr_err_set(err, FR_EUNSUPPORTED, "%s kernels are not available on this CPU/build",
		                  fr_kern_simd_name(mode));
	__atomic_store_n(&fr_kern__mode, (int)mode, __ATOMIC_RELAXED);
	return 0;
}

fr_simd_mode fr_kern_simd_get(void)
{
	return fr_kern__get();
}
