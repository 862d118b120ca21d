// Vector math for the CPU kernels. When glibc's libmvec is present (glibc >= 2.35, detected by
// CMake as WAYBILL_HAVE_LIBMVEC), asin is declared with the OpenMP SIMD attribute so GCC's
// vectoriser calls the SSE/AVX2/AVX-512 variants (_ZGV*_asin, <= 4 ulp) in the row loops.
// Otherwise the loops stay scalar and call the ordinary libm asin.
#pragma once

#include <cmath>

#if defined(WAYBILL_HAVE_LIBMVEC)
extern "C" {
__attribute__((simd("notinbranch"))) double asin(double) noexcept;
}
#define WAYBILL_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define WAYBILL_VECTOR_CLONES
#endif
