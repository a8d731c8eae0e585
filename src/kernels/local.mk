# src/kernels: SIMD kernels over column vectors.
noinst_HEADERS += src/kernels/kernels.h
