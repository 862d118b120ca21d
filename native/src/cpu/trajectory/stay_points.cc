// Stay-point detection, C++ CPU, as src/kernels/trajectory/stay-points.ts: from fix i, extend the
// run while fixes stay within `max_distance` of fix i; a run of >= 2 fixes spanning
// >= `min_duration` seconds is a stay (mean coordinate, first and last fix) and the scan resumes
// after it, otherwise at i + 1. Results are written per starting fix, so trajectories can be
// processed in any order and on any thread; the caller compacts them.
#include <vector>

#include "internal.h"

namespace waybill::trajectory {

Status stay_points_cpu(const Batch& batch, const double* times, double max_distance, double min_duration,
                       geo::Metric metric, double radius_m, int32_t* out_last, double* out_mean, RowRange trajs,
                       int threads, CancelToken cancel) {
  Status s = check_batch(batch, "batch");
  if (s.ok()) s = detail::check_range(trajs, batch.count, "trajectory");
  if (s.ok() && times == nullptr && batch.points > 0) s = Status::Error(StatusCode::kInvalidArgument, "stay points need timestamps");
  if (!s.ok()) return s;
  const bool geographic = metric == geo::Metric::kHaversine;
  const double* c = batch.coords;
  return detail::parallel_chunks(trajs.begin, trajs.end, 8, threads, cancel, [&] {
    return [&, cos_lat = std::vector<double>()](std::size_t lo, std::size_t hi) mutable {
      for (std::size_t t = lo; t < hi; ++t) {
        const std::size_t begin = batch.begin(t), end = begin + batch.size(t);
        std::fill(out_last + begin, out_last + end, int32_t{-1});
        // cos(lat) once per fix: the scan measures each fix against many others.
        cos_lat.resize(end - begin);
        if (geographic) {
          for (std::size_t p = begin; p < end; ++p) cos_lat[p - begin] = std::cos(c[2 * p] * detail::kRad);
        }
        auto distance = [&](std::size_t i, std::size_t j) {
          return geographic ? detail::haversine_cos(c[2 * i], c[2 * i + 1], cos_lat[i - begin], c[2 * j], c[2 * j + 1],
                                                    cos_lat[j - begin], radius_m)
                            : detail::hypot_js(c[2 * i] - c[2 * j], c[2 * i + 1] - c[2 * j + 1]);
        };
        std::size_t i = begin;
        while (i < end) {
          std::size_t j = i + 1;
          while (j < end && distance(i, j) <= max_distance) ++j;
          if (times[j - 1] - times[i] >= min_duration && j - 1 > i) {
            double sy = 0, sx = 0;
            for (std::size_t k = i; k < j; ++k) {
              sy += c[2 * k];
              sx += c[2 * k + 1];
            }
            const double count = static_cast<double>(j - i);
            out_last[i] = static_cast<int32_t>(j - 1);
            out_mean[2 * i] = sy / count;
            out_mean[2 * i + 1] = sx / count;
            i = j;
          } else {
            ++i;
          }
        }
      }
      return Status::Ok();
    };
  });
}

}  // namespace waybill::trajectory
