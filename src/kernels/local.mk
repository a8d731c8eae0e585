# src/kernels: SIMD kernels over column vectors.
