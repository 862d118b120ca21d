// Ground distances of the trajectory kernels and batch shape checks.
//
// A row evaluates the reference's haversine term by term — sin((lat2 - lat1) * rad / 2), the
// cosines of both latitudes multiplied in the same order, min(1, a), 2 R asin(sqrt(a)) — rather
// than the half-angle form of the geo matrix kernels: on GPS fixes a few metres apart the
// half-angle differences lose ~1e-9 relative, the direct form stays within a few ulp.
#include <limits>
#include <string>

#include "internal.h"

namespace waybill::trajectory {

Status check_batch(const Batch& batch, const char* name) {
  if (batch.offsets == nullptr) return Status::Error(StatusCode::kInvalidArgument, std::string(name) + ".offsets is missing");
  if (batch.offsets[0] != 0) {
    return Status::Error(StatusCode::kInvalidArgument, std::string(name) + ".offsets[0] must be 0");
  }
  for (std::size_t t = 0; t < batch.count; ++t) {
    if (batch.offsets[t + 1] < batch.offsets[t]) {
      return Status::Error(StatusCode::kInvalidArgument, std::string(name) + ".offsets must not decrease: offsets[" +
                                                             std::to_string(t + 1) + "] < offsets[" + std::to_string(t) + "]");
    }
  }
  if (static_cast<std::size_t>(batch.offsets[batch.count]) != batch.points) {
    return Status::Error(StatusCode::kInvalidArgument, std::string(name) + ".offsets ends at " +
                                                           std::to_string(batch.offsets[batch.count]) + " but coords hold " +
                                                           std::to_string(batch.points) + " points");
  }
  if (batch.points > 0 && batch.coords == nullptr) {
    return Status::Error(StatusCode::kInvalidArgument, std::string(name) + ".coords is missing");
  }
  return Status::Ok();
}

namespace detail {

std::size_t PreparedBatch::padded_size(const Batch& b) {
  std::size_t total = 0;
  for (std::size_t t = 0; t < b.count; ++t) total += (b.size(t) + 7) / 8 * 8;
  return total;
}

PreparedBatch::PreparedBatch(const Batch& b, bool geographic)
    : start(b.count), box(4 * b.count), y(padded_size(b)), x(padded_size(b)), c(geographic ? padded_size(b) : 0) {
  std::size_t slot = 0;
  for (std::size_t t = 0; t < b.count; ++t) {
    start[t] = slot;
    const std::size_t first = b.begin(t), len = b.size(t);
    for (std::size_t k = 0; k < len; ++k) {
      const double lat = b.coords[2 * (first + k)];
      y.data()[slot + k] = lat;
      x.data()[slot + k] = b.coords[2 * (first + k) + 1];
      if (geographic) c.data()[slot + k] = std::cos(lat * kRad);
    }
    double* bx = box.data() + 4 * t;
    bx[0] = bx[2] = std::numeric_limits<double>::infinity();
    bx[1] = bx[3] = -std::numeric_limits<double>::infinity();
    for (std::size_t k = 0; k < len; ++k) {
      bx[0] = std::min(bx[0], y.data()[slot + k]);
      bx[1] = std::max(bx[1], y.data()[slot + k]);
      bx[2] = std::min(bx[2], x.data()[slot + k]);
      bx[3] = std::max(bx[3], x.data()[slot + k]);
    }
    slot += (len + 7) / 8 * 8;
  }
}

namespace {

WAYBILL_VECTOR_CLONES void haversine_row(double y1, double x1, double c1, const double* __restrict y,
                                         const double* __restrict x, const double* __restrict c, std::size_t len,
                                         double two_r, double* __restrict out) {
  for (std::size_t j = 0; j < len; ++j) {
    const double s_lat = std::sin((y[j] - y1) * kRad / 2);
    const double s_lng = std::sin((x[j] - x1) * kRad / 2);
    double a = s_lat * s_lat + c1 * c[j] * s_lng * s_lng;
    a = a < 1.0 ? a : 1.0;
    out[j] = two_r * std::asin(std::sqrt(a));
  }
}

// Fast path for rows whose half-angle differences are all within kSmallHalfAngle (the point and
// the whole trajectory within ~400 km, as in any one city): sin and asin by their series
// (internal.h). The inputs are computed exactly as the reference computes them and the series
// are accurate to a few ulp, so results stay within a few ulp of the reference without the cost
// of the libm calls; no cancellation either, so metre-scale distances keep full precision.
WAYBILL_VECTOR_CLONES void haversine_row_small(double y1, double x1, double c1, const double* __restrict y,
                                               const double* __restrict x, const double* __restrict c,
                                               std::size_t len, double two_r, double* __restrict out) {
  for (std::size_t j = 0; j < len; ++j) {
    const double s_lat = sin_small((y[j] - y1) * kRad / 2);
    const double s_lng = sin_small((x[j] - x1) * kRad / 2);
    double a = s_lat * s_lat + c1 * c[j] * s_lng * s_lng;
    a = a < 1.0 ? a : 1.0;
    out[j] = two_r * asin_small(std::sqrt(a));
  }
}

WAYBILL_VECTOR_CLONES void euclidean_row(double y1, double x1, const double* __restrict y, const double* __restrict x,
                                         std::size_t len, double* __restrict out) {
  for (std::size_t j = 0; j < len; ++j) {
    const double au = std::fabs(y1 - y[j]), av = std::fabs(x1 - x[j]);
    const double mx = au > av ? au : av;
    const double q = mx + static_cast<double>(mx == 0);  // 1 when both are 0 (result 0), else mx
    const double n0 = au / q, n1 = av / q;
    out[j] = std::sqrt(n0 * n0 + n1 * n1) * mx;
  }
}

}  // namespace

void ground_row(bool geographic, double radius, double y1, double x1, double c1, const Seg& s, std::size_t lo,
                std::size_t hi, double* out) {
  if (hi <= lo) return;
  if (geographic) {
    // The half-angle differences are monotone in the coordinates (so are their roundings): the
    // trajectory's bounding box bounds every one of them exactly.
    const double lat_span = std::max((s.y_max - y1) * kRad / 2, (y1 - s.y_min) * kRad / 2);
    const double lng_span = std::max((s.x_max - x1) * kRad / 2, (x1 - s.x_min) * kRad / 2);
    if (lat_span <= kSmallHalfAngle && lng_span <= kSmallHalfAngle) {
      haversine_row_small(y1, x1, c1, s.y + lo, s.x + lo, s.c + lo, hi - lo, 2 * radius, out + lo);
    } else {
      haversine_row(y1, x1, c1, s.y + lo, s.x + lo, s.c + lo, hi - lo, 2 * radius, out + lo);
    }
  } else {
    euclidean_row(y1, x1, s.y + lo, s.x + lo, hi - lo, out + lo);
  }
}

}  // namespace detail
}  // namespace waybill::trajectory
