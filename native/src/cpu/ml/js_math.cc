// Math.exp and Math.log exactly as V8 computes them: V8 implements both with the fdlibm
// algorithms (argument reduction by ln 2, a minimax polynomial on the reduced argument), which
// are not correctly rounded, so glibc's exp / log differ from them in the last bit for ~7-9 % of
// arguments. The GBDT port needs the reference's gradients bit for bit, hence these.
#include <cstdint>
#include <cstring>
#include <limits>

#include "../../cuda/ml/forest_eval.cuh"
#include "waybill/ml.h"

namespace waybill::ml {
namespace {

inline uint32_t high_word(double x) {
  uint64_t b;
  std::memcpy(&b, &x, 8);
  return static_cast<uint32_t>(b >> 32);
}
inline uint32_t low_word(double x) {
  uint64_t b;
  std::memcpy(&b, &x, 8);
  return static_cast<uint32_t>(b);
}
inline double with_high_word(double x, uint32_t hi) {
  uint64_t b;
  std::memcpy(&b, &x, 8);
  b = (static_cast<uint64_t>(hi) << 32) | (b & 0xffffffffu);
  std::memcpy(&x, &b, 8);
  return x;
}
inline double from_words(uint32_t hi, uint32_t lo) {
  const uint64_t b = (static_cast<uint64_t>(hi) << 32) | lo;
  double x;
  std::memcpy(&x, &b, 8);
  return x;
}

constexpr double kLn2Hi = 6.93147180369123816490e-01;
constexpr double kLn2Lo = 1.90821492927058770002e-10;

}  // namespace

// One implementation for the host and the CUDA prediction kernel (forest_eval.cuh).
double js_exp(double x) { return cuda_detail::js_exp(x); }

double js_log(double x) {
  constexpr double kTwo54 = 1.80143985094819840000e+16;
  constexpr double kLg1 = 6.666666666666735130e-01, kLg2 = 3.999999999940941908e-01, kLg3 = 2.857142874366239149e-01,
                   kLg4 = 2.222219843214978396e-01, kLg5 = 1.818357216161805012e-01, kLg6 = 1.531383769920937332e-01,
                   kLg7 = 1.479819860511658591e-01;
  int32_t hx = static_cast<int32_t>(high_word(x));
  const uint32_t lx = low_word(x);
  int k = 0;
  if (hx < 0x00100000) {  // x < 2^-1022
    if (((hx & 0x7fffffff) | static_cast<int32_t>(lx)) == 0) return -std::numeric_limits<double>::infinity();
    if (hx < 0) return std::numeric_limits<double>::quiet_NaN();
    k -= 54;
    x *= kTwo54;  // subnormal: scale up
    hx = static_cast<int32_t>(high_word(x));
  }
  if (hx >= 0x7ff00000) return x + x;
  k += (hx >> 20) - 1023;
  hx &= 0x000fffff;
  int32_t i = (hx + 0x95f64) & 0x100000;
  x = with_high_word(x, static_cast<uint32_t>(hx | (i ^ 0x3ff00000)));  // normalise x or x/2
  k += (i >> 20);
  const double f = x - 1.0;
  if ((0x000fffff & (2 + hx)) < 3) {  // -2^-20 <= f < 2^-20
    if (f == 0.0) {
      if (k == 0) return 0.0;
      const double dk = k;
      return dk * kLn2Hi + dk * kLn2Lo;
    }
    const double R = f * f * (0.5 - 0.33333333333333333 * f);
    if (k == 0) return f - R;
    const double dk = k;
    return dk * kLn2Hi - ((R - dk * kLn2Lo) - f);
  }
  const double s = f / (2.0 + f);
  const double dk = k;
  const double z = s * s;
  i = hx - 0x6147a;
  const double w = z * z;
  const int32_t j = 0x6b851 - hx;
  const double t1 = w * (kLg2 + w * (kLg4 + w * kLg6));
  const double t2 = z * (kLg1 + w * (kLg3 + w * (kLg5 + w * kLg7)));
  i |= j;
  const double R = t2 + t1;
  if (i > 0) {
    const double hfsq = 0.5 * f * f;
    if (k == 0) return f - (hfsq - s * (hfsq + R));
    return dk * kLn2Hi - ((hfsq - (s * (hfsq + R) + dk * kLn2Lo)) - f);
  }
  if (k == 0) return f - s * (f - R);
  return dk * kLn2Hi - ((s * (f - R) - dk * kLn2Lo) - f);
}

// js_log / js_exp over many values, four at a time: the same operations as js_log on vector lanes, so
// every result is the scalar one bit for bit (-ffp-contract=off: no fused multiply-adds). A group
// with a lane off the main path (zero, negative, subnormal, infinite or NaN; |x - 1| < 2^-20 after
// scaling) goes through the scalar function.
namespace {

typedef double LogV4 __attribute__((vector_size(32)));
typedef long long LogM4 __attribute__((vector_size(32)));

__attribute__((always_inline)) inline void js_log_inplace_body(double* x, std::size_t n) {
  constexpr double kLg1 = 6.666666666666735130e-01, kLg2 = 3.999999999940941908e-01, kLg3 = 2.857142874366239149e-01,
                   kLg4 = 2.222219843214978396e-01, kLg5 = 1.818357216161805012e-01, kLg6 = 1.531383769920937332e-01,
                   kLg7 = 1.479819860511658591e-01;
  const LogM4 kLowMask = {0xffffffffLL, 0xffffffffLL, 0xffffffffLL, 0xffffffffLL};
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    LogV4 v;
    std::memcpy(&v, x + i, sizeof v);
    const LogM4 bits = (LogM4)v;
    const LogM4 hx = bits >> 32;  // signed high words
    const LogM4 hm = hx & 0x000fffff;
    const LogM4 off = (hx < 0x00100000) | (hx >= 0x7ff00000) | ((0x000fffff & (2 + hm)) < 3);
    if (off[0] | off[1] | off[2] | off[3]) {
      for (int k = 0; k < 4; ++k) x[i + k] = js_log(x[i + k]);
      continue;
    }
    const LogM4 sel = (hm + 0x95f64) & 0x100000;
    const LogM4 k = ((hx >> 20) - 1023) + (sel >> 20);
    const LogV4 xn = (LogV4)(((hm | (sel ^ 0x3ff00000)) << 32) | (bits & kLowMask));
    const LogV4 f = xn - 1.0;
    const LogV4 s = f / (2.0 + f);
    const LogV4 dk = __builtin_convertvector(k, LogV4);
    const LogV4 z = s * s;
    const LogM4 ij = (hm - 0x6147a) | (0x6b851 - hm);
    const LogV4 w = z * z;
    const LogV4 t1 = w * (kLg2 + w * (kLg4 + w * kLg6));
    const LogV4 t2 = z * (kLg1 + w * (kLg3 + w * (kLg5 + w * kLg7)));
    const LogV4 R = t2 + t1;
    const LogV4 hfsq = 0.5 * f * f;
    const LogV4 a0 = f - (hfsq - s * (hfsq + R));
    const LogV4 ak = dk * kLn2Hi - ((hfsq - (s * (hfsq + R) + dk * kLn2Lo)) - f);
    const LogV4 b0 = f - s * (f - R);
    const LogV4 bk = dk * kLn2Hi - ((s * (f - R) - dk * kLn2Lo) - f);
    const LogM4 pos = ij > 0, zero = k == 0;
    const LogM4 a = ((LogM4)a0 & zero) | ((LogM4)ak & ~zero);
    const LogM4 b = ((LogM4)b0 & zero) | ((LogM4)bk & ~zero);
    const LogV4 out = (LogV4)((a & pos) | (b & ~pos));
    std::memcpy(x + i, &out, sizeof out);
  }
  for (; i < n; ++i) x[i] = js_log(x[i]);
}

// js_exp over many values, four at a time, as js_log_inplace does for the log. Lanes with
// |x| >= 709.78 or |x| < 2^-28, x == 1, or a scale 2^k outside the normal range send their group
// through the scalar function. (x c) / (c - 2) is computed as -((x c) / (2 - c)), which is the
// same number: c - 2 == -(2 - c) exactly and a / -b == -(a / b).
__attribute__((always_inline)) inline void js_exp_inplace_body(double* x, std::size_t n) {
  constexpr double kInvLn2 = 1.44269504088896338700e+00;
  constexpr double kP1 = 1.66666666666666019037e-01, kP2 = -2.77777777770155933842e-03, kP3 = 6.61375632143793436117e-05,
                   kP4 = -1.65339022054652515390e-06, kP5 = 4.13813679705723846039e-08;
  typedef int I4 __attribute__((vector_size(16)));
  std::size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    LogV4 v;
    std::memcpy(&v, x + i, sizeof v);
    const LogM4 bits = (LogM4)v;
    const LogM4 hx = (bits >> 32) & 0x7fffffff;
    const LogM4 neg = bits < 0;
    LogM4 off = (hx >= 0x40862E42) | (hx < 0x3e300000) | (v == 1.0);
    const LogM4 mid = (hx > 0x3fd62e42) & (hx < 0x3FF0A2B2);  // 0.5 ln2 < |x| < 1.5 ln2: k = +-1
    const LogM4 big = hx >= 0x3FF0A2B2;                        // k from the rounding below
    const LogV4 half = (LogV4)(((LogM4)(LogV4){-0.5, -0.5, -0.5, -0.5} & neg) | ((LogM4)(LogV4){0.5, 0.5, 0.5, 0.5} & ~neg));
    const I4 k32 = __builtin_convertvector(kInvLn2 * v + half, I4);  // truncation, as static_cast<int>
    const LogM4 kbig = __builtin_convertvector(k32, LogM4);
    const LogM4 kmid = (neg & -1) | (~neg & 1);
    const LogM4 k = (kbig & big) | (kmid & mid);
    off |= (k < -1021) | (k > 1023);
    if (off[0] | off[1] | off[2] | off[3]) {
      for (int j = 0; j < 4; ++j) x[i + j] = js_exp(x[i + j]);
      continue;
    }
    const LogV4 tb = __builtin_convertvector(kbig, LogV4);
    const LogV4 hi_big = v - tb * kLn2Hi, lo_big = tb * kLn2Lo;
    const LogV4 hi_mid = (LogV4)(((LogM4)(v + kLn2Hi) & neg) | ((LogM4)(v - kLn2Hi) & ~neg));
    const LogV4 lo_mid = (LogV4)(((LogM4)(LogV4){-kLn2Lo, -kLn2Lo, -kLn2Lo, -kLn2Lo} & neg) |
                                 ((LogM4)(LogV4){kLn2Lo, kLn2Lo, kLn2Lo, kLn2Lo} & ~neg));
    const LogV4 hi = (LogV4)(((LogM4)hi_big & big) | ((LogM4)hi_mid & mid));
    const LogV4 lo = (LogV4)(((LogM4)lo_big & big) | ((LogM4)lo_mid & mid));
    const LogM4 reduced = big | mid;
    const LogV4 xr = (LogV4)(((LogM4)(hi - lo) & reduced) | ((LogM4)v & ~reduced));
    const LogV4 t = xr * xr;
    const LogV4 c = xr - t * (kP1 + t * (kP2 + t * (kP3 + t * (kP4 + t * kP5))));
    const LogV4 q = (xr * c) / (2.0 - c);
    const LogV4 r0 = 1.0 - ((-q) - xr);
    const LogV4 y = 1.0 - ((lo - q) - hi);
    const LogV4 twopk = (LogV4)((0x3ff00000 + (k << 20)) << 32);
    const LogV4 rk = y * twopk;
    const LogM4 zero = k == 0;
    const LogV4 out = (LogV4)(((LogM4)r0 & zero) | ((LogM4)rk & ~zero));
    std::memcpy(x + i, &out, sizeof out);
  }
  for (; i < n; ++i) x[i] = js_exp(x[i]);
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2"))) void js_exp_inplace_avx2(double* x, std::size_t n) { js_exp_inplace_body(x, n); }
#endif
void js_exp_inplace_generic(double* x, std::size_t n) { js_exp_inplace_body(x, n); }

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx2"))) void js_log_inplace_avx2(double* x, std::size_t n) { js_log_inplace_body(x, n); }
#endif
void js_log_inplace_generic(double* x, std::size_t n) { js_log_inplace_body(x, n); }

}  // namespace

namespace detail {
void js_log_inplace(double* x, std::size_t n) {
#if defined(__x86_64__) || defined(__i386__)
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2) return js_log_inplace_avx2(x, n);
#endif
  js_log_inplace_generic(x, n);
}
void js_exp_inplace(double* x, std::size_t n) {
#if defined(__x86_64__) || defined(__i386__)
  static const bool avx2 = __builtin_cpu_supports("avx2");
  if (avx2) return js_exp_inplace_avx2(x, n);
#endif
  js_exp_inplace_generic(x, n);
}
}  // namespace detail

}  // namespace waybill::ml
