// Per-point trigonometry computed once per call, so the per-pair haversine needs only
// products, one sqrt and one asin (the half-angle difference identities below are exact).
#pragma once

#include <cmath>
#include <cstddef>
#include <vector>

namespace waybill::geo::detail {

constexpr double kDegToRad = 3.14159265358979323846 / 180.0;

/// Structure-of-arrays of the half-angle sines/cosines of latitude and longitude.
struct PreparedPoints {
  std::vector<double> sin_half_lat, cos_half_lat, cos_lat, sin_half_lng, cos_half_lng;

  PreparedPoints(const double* latlng, std::size_t count)
      : sin_half_lat(count), cos_half_lat(count), cos_lat(count), sin_half_lng(count), cos_half_lng(count) {
    for (std::size_t i = 0; i < count; ++i) {
      const double lat = latlng[2 * i] * kDegToRad;
      const double lng = latlng[2 * i + 1] * kDegToRad;
      sin_half_lat[i] = std::sin(0.5 * lat);
      cos_half_lat[i] = std::cos(0.5 * lat);
      cos_lat[i] = std::cos(lat);
      sin_half_lng[i] = std::sin(0.5 * lng);
      cos_half_lng[i] = std::cos(0.5 * lng);
    }
  }
};

}  // namespace waybill::geo::detail
