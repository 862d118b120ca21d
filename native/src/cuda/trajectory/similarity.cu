// Batched pairwise trajectory distances, CUDA backend: DTW (full and Sakoe–Chiba band), discrete
// Fréchet and Hausdorff between every trajectory of a and of b, haversine or Euclidean ground
// distance, float64.
//
// Layout: one thread per pair (i, j). Trajectories of ~100 fixes (GeoLife windows, courier
// trips) give millions of small, independent dynamic programmes, so a thread runs the CPU's
// recurrence on its own; a warp- or block-per-pair anti-diagonal wavefront would pay off only for
// trajectories of thousands of points. A thread keeps one DP row of m + 1 cells in global
// scratch, interleaved across the launch (cell k of thread t at scratch[k * stride + t]) so a
// warp's accesses to the same cell coalesce; the diagonal and left neighbours live in registers.
// The ground distance of each cell is computed inline.
//
// Parity with the CPU kernel (native/src/cpu/trajectory/similarity.cc): every cell takes the same
// operands in the same order (min3, d + best or max(d, best)), the cosines of the latitudes are
// computed on the host with the same std::cos call, and the haversine path is chosen per row from
// b's bounding box exactly as ground_row() chooses it. On the small-angle path (both half-angle
// differences <= 1/32 rad, i.e. a point and a trajectory within ~400 km) and for the Euclidean
// ground distance only +, -, *, /, sqrt and comparisons are used; with --fmad=false these are
// IEEE-exact on both sides, so results are bit-identical to the CPU. Otherwise CUDA's sin/asin
// (<= 2 ulp) replace libmvec's (<= 4 ulp), and results agree to a relative 1e-12 (tests).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "../cuda_check.h"
#include "pair_kernel.cuh"
#include "waybill/trajectory.h"

namespace waybill::trajectory {
namespace {

using cuda_detail::DeviceBatch;
using cuda_detail::kInfD;
using cuda_detail::KernelParams;
using cuda_detail::kRadD;
using cuda_detail::pair_distance;

constexpr int kThreads = 128;

/// Pairs [u0, u0 + count) of the (n x m) matrix, pair u = i * m + j, one per thread; out[t] for
/// pair u0 + t. Specialised per measure and ground distance, so no cell branches on them.
template <Measure kMeasure, bool kGeo>
__global__ void pairwise_kernel(DeviceBatch a, DeviceBatch b, std::size_t m_count, std::size_t u0, std::size_t count,
                                KernelParams k, double* __restrict__ scratch, double* __restrict__ out) {
  const std::size_t t = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (t >= count) return;
  const std::size_t u = u0 + t;
  // Scratch interleaved across the launch: cell c of thread t at scratch[c * count + t].
  out[t] = pair_distance<kMeasure, kGeo>(a, b, u / m_count, u % m_count, k, scratch + t, count);
}

using Launch = void (*)(DeviceBatch, DeviceBatch, std::size_t, std::size_t, std::size_t, KernelParams, double*, double*);

Launch launch_for(Measure measure, bool geographic) {
  switch (measure) {
    case Measure::kDtw: return geographic ? pairwise_kernel<Measure::kDtw, true> : pairwise_kernel<Measure::kDtw, false>;
    case Measure::kFrechet:
      return geographic ? pairwise_kernel<Measure::kFrechet, true> : pairwise_kernel<Measure::kFrechet, false>;
    default:
      return geographic ? pairwise_kernel<Measure::kHausdorff, true> : pairwise_kernel<Measure::kHausdorff, false>;
  }
}

const char* measure_name(Measure m) {
  switch (m) {
    case Measure::kDtw: return "dtw";
    case Measure::kFrechet: return "frechet";
    case Measure::kHausdorff: return "hausdorff";
    case Measure::kErp: return "erp";
    case Measure::kEdr: return "edr";
    case Measure::kLcss: return "lcss";
  }
  return "unknown";
}

/// Host-side structure of arrays of one batch: y, x, cos(lat * rad) computed as the CPU computes
/// them (std::cos, scalar libm), and the bounding box of each trajectory.
struct HostBatch {
  std::vector<double> y, x, c, box;
  HostBatch(const Batch& b, bool geographic, bool with_box)
      : y(b.points), x(b.points), c(geographic ? b.points : 0), box(with_box ? 4 * b.count : 0) {
    for (std::size_t p = 0; p < b.points; ++p) {
      y[p] = b.coords[2 * p];
      x[p] = b.coords[2 * p + 1];
      if (geographic) c[p] = std::cos(y[p] * kRadD);
    }
    for (std::size_t t = 0; with_box && t < b.count; ++t) {
      double* bx = box.data() + 4 * t;
      bx[0] = bx[2] = kInfD;
      bx[1] = bx[3] = -kInfD;
      for (std::size_t p = b.begin(t); p < b.begin(t) + b.size(t); ++p) {
        bx[0] = std::min(bx[0], y[p]);
        bx[1] = std::max(bx[1], y[p]);
        bx[2] = std::min(bx[2], x[p]);
        bx[3] = std::max(bx[3], x[p]);
      }
    }
  }
};

/// Uploads a batch; the buffers stay owned by the caller.
Status upload(const Batch& b, const HostBatch& h, cuda::DeviceBuffer<double>& y, cuda::DeviceBuffer<double>& x,
              cuda::DeviceBuffer<double>& c, cuda::DeviceBuffer<int32_t>& offsets, cuda::DeviceBuffer<double>& box,
              DeviceBatch* out) {
  WAYBILL_CUDA_TRY(y.alloc(h.y.size()));
  WAYBILL_CUDA_TRY(x.alloc(h.x.size()));
  WAYBILL_CUDA_TRY(c.alloc(h.c.size()));
  WAYBILL_CUDA_TRY(offsets.alloc(b.count + 1));
  WAYBILL_CUDA_TRY(box.alloc(h.box.size()));
  WAYBILL_CUDA_TRY(cudaMemcpy(y.ptr, h.y.data(), h.y.size() * sizeof(double), cudaMemcpyHostToDevice));
  WAYBILL_CUDA_TRY(cudaMemcpy(x.ptr, h.x.data(), h.x.size() * sizeof(double), cudaMemcpyHostToDevice));
  WAYBILL_CUDA_TRY(cudaMemcpy(c.ptr, h.c.data(), h.c.size() * sizeof(double), cudaMemcpyHostToDevice));
  WAYBILL_CUDA_TRY(cudaMemcpy(offsets.ptr, b.offsets, (b.count + 1) * sizeof(int32_t), cudaMemcpyHostToDevice));
  WAYBILL_CUDA_TRY(cudaMemcpy(box.ptr, h.box.data(), h.box.size() * sizeof(double), cudaMemcpyHostToDevice));
  *out = DeviceBatch{y.ptr, x.ptr, c.ptr, offsets.ptr, box.ptr};
  return Status::Ok();
}

/// Pairs per launch: the scratch rows (m + 1 doubles per pair) within kMaxChunkBytes, at most 2^20.
std::size_t pairs_per_launch(std::size_t longest_b, std::size_t pairs) {
  const std::size_t per_pair = (longest_b + 1) * sizeof(double);
  const std::size_t by_memory = std::max<std::size_t>(1, cuda::kMaxChunkBytes / per_pair);
  return std::min({by_memory, pairs, std::size_t{1} << 20});
}

}  // namespace

Status pairwise_cuda(const Batch& a, const Batch& b, const MeasureParams& params, double* out, RowRange rows,
                     CancelToken cancel) {
  if (params.measure != Measure::kDtw && params.measure != Measure::kFrechet && params.measure != Measure::kHausdorff) {
    const bool known = params.measure == Measure::kErp || params.measure == Measure::kEdr || params.measure == Measure::kLcss;
    if (!known) return Status::Error(StatusCode::kInvalidArgument, "unknown similarity measure");
    return Status::Error(StatusCode::kUnsupported, std::string("the CUDA pairwise kernel has dtw, frechet and hausdorff, not ") +
                                                       measure_name(params.measure));
  }
  if (params.metric != geo::Metric::kHaversine && params.metric != geo::Metric::kEuclidean) {
    return Status::Error(StatusCode::kInvalidArgument, "unknown ground metric");
  }
  Status s = check_batch(a, "a");
  if (s.ok()) s = check_batch(b, "b");
  if (!s.ok()) return s;
  if (rows.begin > rows.end || rows.end > a.count) {
    return Status::Error(StatusCode::kInvalidArgument, "row range outside [0, " + std::to_string(a.count) + "]");
  }
  if (rows.begin == rows.end || b.count == 0) return Status::Ok();
  for (std::size_t t = rows.begin; t < rows.end; ++t) {
    if (a.size(t) == 0) {
      return Status::Error(StatusCode::kInvalidArgument,
                           "a: trajectory " + std::to_string(t) + " is empty; similarity measures need at least one point");
    }
  }
  std::size_t longest_b = 0;
  for (std::size_t t = 0; t < b.count; ++t) {
    if (b.size(t) == 0) {
      return Status::Error(StatusCode::kInvalidArgument,
                           "b: trajectory " + std::to_string(t) + " is empty; similarity measures need at least one point");
    }
    longest_b = std::max(longest_b, b.size(t));
  }

  const bool geographic = params.metric == geo::Metric::kHaversine;
  const HostBatch ha(a, geographic, false), hb(b, geographic, true);
  cuda::DeviceBuffer<double> ay, ax, ac, abox, by, bx, bc, bbox, d_scratch, d_out;
  cuda::DeviceBuffer<int32_t> aoff, boff;
  DeviceBatch da{}, db{};
  s = upload(a, ha, ay, ax, ac, aoff, abox, &da);
  if (s.ok()) s = upload(b, hb, by, bx, bc, boff, bbox, &db);
  if (!s.ok()) return s;

  const KernelParams k{2 * params.radius_m, static_cast<long long>(params.band)};
  const Launch launch = launch_for(params.measure, geographic);
  const std::size_t m = b.count;
  const std::size_t u_begin = rows.begin * m, u_end = rows.end * m;
  const std::size_t chunk = pairs_per_launch(longest_b, u_end - u_begin);
  WAYBILL_CUDA_TRY(d_scratch.alloc(chunk * (longest_b + 1)));
  WAYBILL_CUDA_TRY(d_out.alloc(chunk));
  for (std::size_t u = u_begin; u < u_end; u += chunk) {
    if (cancel.cancelled()) return Status::Error(StatusCode::kCancelled, "cancelled");
    const std::size_t count = std::min(chunk, u_end - u);
    const unsigned blocks = static_cast<unsigned>((count + kThreads - 1) / kThreads);
    launch<<<blocks, kThreads>>>(da, db, m, u, count, k, d_scratch.ptr, d_out.ptr);
    WAYBILL_CUDA_TRY_LAUNCH();
    WAYBILL_CUDA_TRY(cudaMemcpy(out + u, d_out.ptr, count * sizeof(double), cudaMemcpyDeviceToHost));
  }
  return Status::Ok();
}

}  // namespace waybill::trajectory
