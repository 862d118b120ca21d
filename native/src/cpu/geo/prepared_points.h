// Per-point trigonometry computed once per call, so the per-pair haversine needs only
// products, one sqrt and one asin (the half-angle difference identities are exact).
//
// Determinism: a point's terms must not depend on where it sits in a row block, or results would
// change with the worker count. The terms are therefore computed with scalar libm calls (the SIMD
// variants differ in the last ulp, and a vectorised loop sends some elements down a scalar
// remainder), and every array is 64-byte aligned so vectorised row loops never peel a different
// number of elements for different allocations.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <new>

namespace waybill::geo::detail {

constexpr double kDegToRad = 3.14159265358979323846 / 180.0;

/// A 64-byte aligned array of doubles.
class AlignedDoubles {
 public:
  explicit AlignedDoubles(std::size_t count) : size_(count) {
    const std::size_t bytes = ((count * sizeof(double) + 63) / 64) * 64;
    data_ = static_cast<double*>(std::aligned_alloc(64, bytes == 0 ? 64 : bytes));
    if (data_ == nullptr) throw std::bad_alloc();
  }
  AlignedDoubles(const AlignedDoubles&) = delete;
  AlignedDoubles& operator=(const AlignedDoubles&) = delete;
  ~AlignedDoubles() { std::free(data_); }
  double* data() { return data_; }
  const double* data() const { return data_; }
  double operator[](std::size_t i) const { return data_[i]; }
  std::size_t size() const { return size_; }

 private:
  double* data_ = nullptr;
  std::size_t size_ = 0;
};

/// Structure-of-arrays of the half-angle sines/cosines of latitude and longitude.
struct PreparedPoints {
  AlignedDoubles sin_half_lat, cos_half_lat, cos_lat, sin_half_lng, cos_half_lng;

  PreparedPoints(const double* latlng, std::size_t count)
      : sin_half_lat(count), cos_half_lat(count), cos_lat(count), sin_half_lng(count), cos_half_lng(count) {
    for (std::size_t i = 0; i < count; ++i) {
      const double lat = latlng[2 * i] * kDegToRad;
      const double lng = latlng[2 * i + 1] * kDegToRad;
      double s, c;
      sincos(0.5 * lat, &s, &c);
      sin_half_lat.data()[i] = s;
      cos_half_lat.data()[i] = c;
      // cos(lat) = cos^2(lat/2) - sin^2(lat/2): one sincos less; the absolute error (~1e-16) is
      // what matters in the haversine term it multiplies.
      cos_lat.data()[i] = (c - s) * (c + s);
      sincos(0.5 * lng, &s, &c);
      sin_half_lng.data()[i] = s;
      cos_half_lng.data()[i] = c;
    }
  }
};

}  // namespace waybill::geo::detail
