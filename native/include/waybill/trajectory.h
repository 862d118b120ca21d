// trajectory kernel family, C++ CPU: similarity measures (pairwise n x m and one-to-many),
// Douglas–Peucker and TD-TR simplification, stay-point detection.
//
// Layout: many trajectories in one flat batch (see src/kernels/trajectory/types.ts). Trajectory t
// owns points offsets[t] .. offsets[t + 1] - 1; point p is (coords[2p], coords[2p + 1]): (lat, lng)
// degrees for haversine, (x, y) for euclidean; times[p] is epoch seconds.
//
// Every kernel follows the TypeScript reference in src/kernels/trajectory/*.ts operation for
// operation (same recurrences, same order of floating-point operations; -ffp-contract=off), so
// results differ from it only by the last-ulp differences of sin/cos/asin between libm and V8.
// The Euclidean ground distance reproduces V8's Math.hypot bit for bit (scale by the larger
// magnitude, then sqrt(n0^2 + n1^2) * max).
//
// Validation of values (NaN, coordinate ranges, timestamps, options) is the caller's job (the
// TypeScript layer); the core checks only shapes that would make it read or write memory it was
// not given (offsets against the point count, row ranges) and rejects empty trajectories in the
// similarity kernels, which need at least one point each.
//
// Threads: `threads` > 1 splits the work over std::threads (pairs of a matrix, trajectories of
// a batch); results are bit-identical for every thread count and row split.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>

#include "waybill/common.h"
#include "waybill/geo.h"

namespace waybill::trajectory {

/// Similarity measures; the values are part of the N-API contract.
enum class Measure : int { kDtw = 0, kFrechet = 1, kHausdorff = 2, kErp = 3, kEdr = 4, kLcss = 5 };

/// A batch of trajectories (borrowed pointers).
struct Batch {
  const double* coords = nullptr;    // 2 * points doubles, interleaved
  const int32_t* offsets = nullptr;  // count + 1 entries: 0, ..., points (non-decreasing)
  std::size_t count = 0;             // trajectories
  std::size_t points = 0;            // coords length / 2

  std::size_t begin(std::size_t t) const { return static_cast<std::size_t>(offsets[t]); }
  std::size_t size(std::size_t t) const { return static_cast<std::size_t>(offsets[t + 1] - offsets[t]); }
};

/// Checks offsets[0] == 0, non-decreasing offsets and offsets[count] == points. `name` goes into
/// the message ("a.offsets[3] < a.offsets[2]").
Status check_batch(const Batch& batch, const char* name);

/// Parameters of a similarity measure (each measure reads the ones it needs).
struct MeasureParams {
  Measure measure = Measure::kDtw;
  geo::Metric metric = geo::Metric::kHaversine;
  double radius_m = geo::kEarthRadiusM;
  /// DTW Sakoe–Chiba half-width in points; < 0: full DTW. Widened to |n - m| as in the reference.
  int64_t band = -1;
  /// EDR and LCSS matching threshold (ground-distance units): match when distance <= eps.
  double eps = 0.0;
  /// LCSS: matched points at most `delta` indices apart (infinity: unlimited).
  double delta = std::numeric_limits<double>::infinity();
  /// ERP gap point, (lat, lng) or (x, y).
  double gap[2] = {0.0, 0.0};
};

/// Distance between one trajectory a (n >= 1 points) and one b (m >= 1 points). Units: metres or
/// data units (DTW, Fréchet, Hausdorff, ERP), an edit count (EDR), a fraction in [0, 1] (LCSS).
Status distance_cpu(const double* a, std::size_t n, const double* b, std::size_t m, const MeasureParams& params,
                    double* out);

/// Rows [rows.begin, rows.end) of the n x m row-major matrix between batches a (n = a.count) and
/// b (m = b.count): out[i * m + j] = distance(a_i, b_j).
Status pairwise_cpu(const Batch& a, const Batch& b, const MeasureParams& params, double* out, RowRange rows,
                    int threads = 1, CancelToken cancel = {});

/// Entries [cols.begin, cols.end) of the distances from one query (q >= 1 points) to each
/// trajectory of b: out[j] = distance(query, b_j) (the same values as a 1 x m pairwise row).
Status one_to_many_cpu(const double* query, std::size_t q, const Batch& b, const MeasureParams& params, double* out,
                       RowRange cols, int threads = 1, CancelToken cancel = {});

/// pairwise_cpu on a CUDA device (native/src/cuda/trajectory/similarity.cu): DTW (full and band),
/// discrete Fréchet and Hausdorff only (others: kUnsupported), one thread per pair, float64. The
/// same values as pairwise_cpu: bit-identical for the Euclidean ground distance and for haversine
/// rows within ~400 km (the CPU's series path); otherwise within a relative 1e-12 (CUDA's sin /
/// asin instead of libmvec's). Rows [rows.begin, rows.end) of the n x m matrix are written; built
/// without CUDA it returns kUnsupported with the reason (cuda_stub.cc), and with no device a
/// kCudaError naming the CUDA error (geo::cuda_probe() says whether a device is usable).
Status pairwise_cuda(const Batch& a, const Batch& b, const MeasureParams& params, double* out, RowRange rows,
                     CancelToken cancel = {});

/// Simplification methods.
enum class Simplify : int { kDouglasPeucker = 0, kTdTr = 1 };

/// Douglas–Peucker (perpendicular distance to the kept segment, in an equirectangular plane at the
/// segment's start for haversine) or TD-TR (synchronized Euclidean distance; needs `times`,
/// strictly increasing). Writes keep[p] = 1 / 0 for every point p of trajectories
/// [trajs.begin, trajs.end); the first and last point of every non-empty trajectory are kept.
Status simplify_cpu(const Batch& batch, const double* times, Simplify method, double tolerance, geo::Metric metric,
                    double radius_m, uint8_t* keep, RowRange trajs, int threads = 1, CancelToken cancel = {});

/// Stay points (Li et al. 2008, with the reference's two corrections) of trajectories
/// [trajs.begin, trajs.end). For every point p of those trajectories: out_last[p] is the batch
/// index of the last fix of the stay that starts at p, or -1 when none starts there; when one
/// does, out_mean[2p], out_mean[2p + 1] is the mean coordinate of its fixes (else left as is).
Status stay_points_cpu(const Batch& batch, const double* times, double max_distance, double min_duration,
                       geo::Metric metric, double radius_m, int32_t* out_last, double* out_mean, RowRange trajs,
                       int threads = 1, CancelToken cancel = {});

}  // namespace waybill::trajectory
