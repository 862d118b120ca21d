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

}  // namespace waybill::ml
