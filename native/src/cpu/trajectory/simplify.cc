// Trajectory simplification, C++ CPU: Douglas–Peucker and TD-TR (Douglas–Peucker with the
// synchronized Euclidean distance), as src/kernels/trajectory/simplify.ts — an explicit stack of
// (first, last) segments, the first largest deviation kept when it exceeds the tolerance.
#include <string>
#include <vector>

#include "internal.h"

namespace waybill::trajectory {
namespace {

/// Perpendicular distance to the segment first–last (clamped), in the reference's local plane:
/// equirectangular at the segment's start for haversine, raw differences for euclidean.
class SegmentDeviation {
 public:
  SegmentDeviation(const double* c, bool geographic, double radius) : c_(c), geo_(geographic), r_(radius) {}

  void start(std::size_t first, std::size_t last) {
    lat0_ = c_[2 * first];
    lng0_ = c_[2 * first + 1];
    cos0_ = geo_ ? std::cos(lat0_ * detail::kRad) : 0.0;
    planar(c_[2 * last], c_[2 * last + 1], bx_, by_);
    len2_ = bx_ * bx_ + by_ * by_;
  }

  double operator()(std::size_t k) const {
    double px, py;
    planar(c_[2 * k], c_[2 * k + 1], px, py);
    double s = 0;
    if (len2_ != 0) {
      s = (px * bx_ + py * by_) / len2_;
      s = s < 1 ? s : 1;  // Math.max(0, Math.min(1, s))
      s = s > 0 ? s : 0;
    }
    return detail::hypot_js(px - s * bx_, py - s * by_);
  }

 private:
  void planar(double lat, double lng, double& px, double& py) const {
    if (!geo_) {
      px = lat - lat0_;
      py = lng - lng0_;
      return;
    }
    double d_lng = lng - lng0_;
    if (d_lng > 180) d_lng -= 360;
    else if (d_lng < -180) d_lng += 360;
    px = d_lng * detail::kRad * r_ * cos0_;
    py = (lat - lat0_) * detail::kRad * r_;
  }

  const double* c_;
  bool geo_;
  double r_;
  double lat0_ = 0, lng0_ = 0, cos0_ = 0, bx_ = 0, by_ = 0, len2_ = 0;
};

/// Synchronized Euclidean distance: ground distance from point k to where constant-velocity
/// motion from `first` to `last` (linear in coordinates) puts it at its own time.
class SyncDeviation {
 public:
  SyncDeviation(const double* c, const double* t, bool geographic, double radius)
      : c_(c), t_(t), geo_(geographic), r_(radius) {}

  void start(std::size_t first, std::size_t last) {
    first_ = first;
    last_ = last;
  }

  double operator()(std::size_t k) const {
    const double f = (t_[k] - t_[first_]) / (t_[last_] - t_[first_]);
    const double y0 = c_[2 * first_];
    const double x0 = c_[2 * first_ + 1];
    const double dy = c_[2 * last_] - y0;
    double dx = c_[2 * last_ + 1] - x0;
    if (geo_ && dx > 180) dx -= 360;
    else if (geo_ && dx < -180) dx += 360;
    double x = x0 + f * dx;
    if (geo_ && x > 180) x -= 360;
    else if (geo_ && x < -180) x += 360;
    const double y = y0 + f * dy;
    if (!geo_) return detail::hypot_js(c_[2 * k] - y, c_[2 * k + 1] - x);
    return detail::haversine_cos(c_[2 * k], c_[2 * k + 1], std::cos(c_[2 * k] * detail::kRad), y, x,
                                 std::cos(y * detail::kRad), r_);
  }

 private:
  const double* c_;
  const double* t_;
  bool geo_;
  double r_;
  std::size_t first_ = 0, last_ = 0;
};

template <typename Deviation>
void douglas_peucker_range(std::size_t begin, std::size_t end, double tolerance, uint8_t* keep, Deviation& dev,
                           std::vector<std::size_t>& stack) {
  keep[begin] = 1;
  keep[end - 1] = 1;
  stack.clear();
  stack.push_back(begin);
  stack.push_back(end - 1);
  while (!stack.empty()) {
    const std::size_t last = stack.back();
    stack.pop_back();
    const std::size_t first = stack.back();
    stack.pop_back();
    if (last <= first + 1) continue;
    dev.start(first, last);
    double worst = -1;
    std::size_t worst_at = 0;
    bool found = false;
    for (std::size_t k = first + 1; k < last; ++k) {
      const double d = dev(k);
      if (d > worst) {
        worst = d;
        worst_at = k;
        found = true;
      }
    }
    if (found && worst > tolerance) {
      keep[worst_at] = 1;
      stack.push_back(first);
      stack.push_back(worst_at);
      stack.push_back(worst_at);
      stack.push_back(last);
    }
  }
}

}  // namespace

Status simplify_cpu(const Batch& batch, const double* times, Simplify method, double tolerance, geo::Metric metric,
                    double radius_m, uint8_t* keep, RowRange trajs, int threads, CancelToken cancel) {
  Status s = check_batch(batch, "batch");
  if (s.ok()) s = detail::check_range(trajs, batch.count, "trajectory");
  if (s.ok() && method != Simplify::kDouglasPeucker && method != Simplify::kTdTr) {
    s = Status::Error(StatusCode::kInvalidArgument, "unknown simplification method");
  }
  if (s.ok() && method == Simplify::kTdTr && times == nullptr && batch.points > 0) {
    s = Status::Error(StatusCode::kInvalidArgument, "TD-TR needs timestamps");
  }
  if (!s.ok()) return s;
  const bool geographic = metric == geo::Metric::kHaversine;
  return detail::parallel_chunks(trajs.begin, trajs.end, 8, threads, cancel, [&] {
    return [&, stack = std::vector<std::size_t>()](std::size_t lo, std::size_t hi) mutable {
      SegmentDeviation seg(batch.coords, geographic, radius_m);
      SyncDeviation sync(batch.coords, times, geographic, radius_m);
      for (std::size_t t = lo; t < hi; ++t) {
        const std::size_t begin = batch.begin(t), end = begin + batch.size(t);
        std::fill(keep + begin, keep + end, uint8_t{0});
        if (end == begin) continue;
        if (method == Simplify::kDouglasPeucker) douglas_peucker_range(begin, end, tolerance, keep, seg, stack);
        else douglas_peucker_range(begin, end, tolerance, keep, sync, stack);
      }
      return Status::Ok();
    };
  });
}

}  // namespace waybill::trajectory
