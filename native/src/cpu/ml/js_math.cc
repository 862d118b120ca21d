// Math.exp and Math.log exactly as V8 computes them: V8 implements both with the fdlibm
// algorithms (argument reduction by ln 2, a minimax polynomial on the reduced argument), which
// are not correctly rounded, so glibc's exp / log differ from them in the last bit for ~7-9 % of
// arguments. The GBDT port needs the reference's gradients bit for bit, hence these.
#include <cstdint>
#include <cstring>
#include <limits>

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

double js_exp(double x) {
  constexpr double kOverflow = 7.09782712893383973096e+02;
  constexpr double kUnderflow = -7.45133219101941108420e+02;
  constexpr double kInvLn2 = 1.44269504088896338700e+00;
  constexpr double kP1 = 1.66666666666666019037e-01, kP2 = -2.77777777770155933842e-03,
                   kP3 = 6.61375632143793436117e-05, kP4 = -1.65339022054652515390e-06,
                   kP5 = 4.13813679705723846039e-08;
  constexpr double kTwoM1000 = 9.33263618503218878990e-302;  // 2^-1000
  constexpr double kE = 2.718281828459045;
  uint32_t hx = high_word(x);
  const int xsb = static_cast<int>((hx >> 31) & 1);
  hx &= 0x7fffffff;
  if (hx >= 0x40862E42) {  // |x| >= 709.78...
    if (hx >= 0x7ff00000) {
      if (((hx & 0xfffff) | low_word(x)) != 0) return x + x;  // NaN
      return xsb == 0 ? x : 0.0;
    }
    if (x > kOverflow) return std::numeric_limits<double>::infinity();
    if (x < kUnderflow) return 0.0;
  }
  double hi = 0, lo = 0;
  int k = 0;
  if (hx > 0x3fd62e42) {    // |x| > 0.5 ln2
    if (hx < 0x3FF0A2B2) {  // and |x| < 1.5 ln2
      if (x == 1.0) return kE;  // V8 special-cases e
      hi = xsb == 0 ? x - kLn2Hi : x + kLn2Hi;
      lo = xsb == 0 ? kLn2Lo : -kLn2Lo;
      k = 1 - xsb - xsb;
    } else {
      k = static_cast<int>(kInvLn2 * x + (xsb == 0 ? 0.5 : -0.5));
      const double t = k;
      hi = x - t * kLn2Hi;
      lo = t * kLn2Lo;
    }
    x = hi - lo;
  } else if (hx < 0x3e300000) {  // |x| < 2^-28
    return 1.0 + x;
  }
  const double t = x * x;
  // 2^k (or 2^(k + 1000) near underflow) built from its exponent bits; unsigned: k may be negative.
  const uint32_t e = static_cast<uint32_t>(k >= -1021 ? k : k + 1000);
  const double twopk = from_words(0x3ff00000u + (e << 20), 0);
  const double c = x - t * (kP1 + t * (kP2 + t * (kP3 + t * (kP4 + t * kP5))));
  if (k == 0) return 1.0 - ((x * c) / (c - 2.0) - x);
  const double y = 1.0 - ((lo - (x * c) / (2.0 - c)) - hi);
  if (k >= -1021) {
    if (k == 1024) return y * 2.0 * 8.98846567431157953865e+307;  // 2^1023
    return y * twopk;
  }
  return y * twopk * kTwoM1000;
}

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
