// Minimal test harness for the native core (no external framework, so the GPU machine needs
// only CMake and a compiler). CHECK records a failure and continues; a suite returns 1 if any
// check failed, 77 when it must be skipped (ctest SKIP_RETURN_CODE).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace waybill::test {

inline int& failures() {
  static int f = 0;
  return f;
}
inline int& checks() {
  static int c = 0;
  return c;
}

#define CHECK(cond, ...)                                            \
  do {                                                              \
    ++::waybill::test::checks();                                    \
    if (!(cond)) {                                                  \
      ++::waybill::test::failures();                                \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond); \
      std::fprintf(stderr, __VA_ARGS__);                            \
      std::fprintf(stderr, "\n");                                   \
    }                                                               \
  } while (0)

/// Random (lat, lng) pairs plus the edge cases every geo test must cover: poles, the date line,
/// antipodal pairs and duplicates.
inline std::vector<double> random_latlng(std::size_t count, uint32_t seed, bool with_edges = true) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> lat(-90.0, 90.0), lng(-180.0, 180.0);
  std::vector<double> v(2 * count);
  for (std::size_t i = 0; i < count; ++i) {
    v[2 * i] = lat(rng);
    v[2 * i + 1] = lng(rng);
  }
  if (with_edges) {
    const double edges[][2] = {{90, 0}, {-90, 0}, {0, 180}, {0, -180}, {0, 179.9999}, {10, 20}, {-10, -160}, {0, 0}};
    for (std::size_t e = 0; e < 8 && e < count; ++e) {
      v[2 * e] = edges[e][0];
      v[2 * e + 1] = edges[e][1];
    }
  }
  return v;
}

/// Reference haversine in the textbook form (the same formula as the TypeScript reference).
inline double haversine_ref(double lat1, double lng1, double lat2, double lng2, double r) {
  const double k = 3.14159265358979323846 / 180.0;
  const double p1 = lat1 * k, p2 = lat2 * k;
  const double dp = (lat2 - lat1) * k, dl = (lng2 - lng1) * k;
  const double sp = std::sin(dp / 2), sl = std::sin(dl / 2);
  double a = sp * sp + std::cos(p1) * std::cos(p2) * sl * sl;
  a = a < 1.0 ? a : 1.0;
  return 2 * r * std::asin(std::sqrt(a));
}

}  // namespace waybill::test
