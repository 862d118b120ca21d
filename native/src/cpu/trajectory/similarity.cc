// Trajectory similarity measures, C++ CPU: DTW (full / Sakoe–Chiba band), discrete Fréchet,
// Hausdorff, ERP, EDR and LCSS — the recurrences of src/kernels/trajectory/{dtw,frechet,
// hausdorff,erp,edr,lcss}.ts, two rows of m + 1 cells each.
//
// Per row i of a pair, the ground distances from a_i to the needed points of b are computed
// first into a scratch row (vectorised), then the dynamic programme runs over it (a serial
// min/add chain). Pairs are independent, so a matrix is split into chunks of pairs over threads.
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <utility>

#include "internal.h"

namespace waybill::trajectory {
namespace {

using detail::AlignedDoubles;
using detail::Seg;
constexpr double kInf = std::numeric_limits<double>::infinity();

inline double min3(double a, double b, double c) {
  const double ab = a < b ? a : b;
  return ab < c ? ab : c;
}

/// One thread's scratch: distance row, two DP rows, column minima (Hausdorff), gap row (ERP).
struct Workspace {
  AlignedDoubles d, d2;
  std::vector<double> prev, cur, next, col, gap_b;
  explicit Workspace(std::size_t max_m)
      : d(max_m + 8), d2(max_m + 8), prev(max_m + 1), cur(max_m + 1), next(max_m + 1), col(max_m), gap_b(max_m) {}
};

/// The point of `a` at index i (interleaved coordinates) with the cosine of its latitude.
struct RowPoint {
  double y, x, c;
};

class PairKernel {
 public:
  PairKernel(const MeasureParams& p, Workspace& ws) : p_(p), ws_(ws), geo_(p.metric == geo::Metric::kHaversine) {}

  double operator()(const double* a, std::size_t n, const Seg& b) {
    switch (p_.measure) {
      case Measure::kDtw: return dtw(a, n, b);
      case Measure::kFrechet: return frechet(a, n, b);
      case Measure::kHausdorff: return hausdorff(a, n, b);
      case Measure::kErp: return erp(a, n, b);
      case Measure::kEdr: return edr(a, n, b);
      case Measure::kLcss: return lcss(a, n, b);
    }
    return std::numeric_limits<double>::quiet_NaN();
  }

 private:
  RowPoint point(const double* a, std::size_t i) const {
    const double y = a[2 * i];
    return {y, a[2 * i + 1], geo_ ? std::cos(y * detail::kRad) : 0.0};
  }
  // d[j] = dist(a_i, b_j) for j in [lo, hi), into the first (or the second) scratch row.
  double* row(const RowPoint& q, const Seg& b, std::size_t lo, std::size_t hi, bool second = false) {
    double* d = second ? ws_.d2.data() : ws_.d.data();
    detail::ground_row(geo_, p_.radius_m, q.y, q.x, q.c, b, lo, hi, d);
    return d;
  }

  // Full DTW (kSum) or Fréchet, two rows per pass: cell (i, j) and cell (i + 1, j - 1) do not
  // depend on each other, so their min / add chains overlap in the pipeline. Every cell is
  // computed from the same operands in the same order as in the one-row recurrence of the
  // reference, so the result is bit-identical to it.
  template <bool kSum>
  double two_rows(const double* a, std::size_t n, const Seg& b) {
    const std::size_t m = b.size;
    auto cell = [](double d, double best) { return kSum ? d + best : (d > best ? d : best); };
    double* prev = ws_.prev.data();
    double* r1 = ws_.cur.data();
    double* r2 = ws_.next.data();
    std::fill(prev, prev + m + 1, kInf);
    prev[0] = 0;  // virtual cell (-1, -1) starts the path
    std::size_t i = 1;
    for (; i + 1 <= n; i += 2) {
      const double* d1 = row(point(a, i - 1), b, 0, m);
      const double* d2 = row(point(a, i), b, 0, m, true);
      r1[0] = kInf;
      r2[0] = kInf;
      r1[1] = cell(d1[0], min3(prev[0], prev[1], r1[0]));
      for (std::size_t j = 2; j <= m; ++j) {
        r1[j] = cell(d1[j - 1], min3(prev[j - 1], prev[j], r1[j - 1]));
        r2[j - 1] = cell(d2[j - 2], min3(r1[j - 2], r1[j - 1], r2[j - 2]));
      }
      r2[m] = cell(d2[m - 1], min3(r1[m - 1], r1[m], r2[m - 1]));
      std::swap(prev, r2);
    }
    if (i == n) {
      const double* d = row(point(a, i - 1), b, 0, m);
      r1[0] = kInf;
      for (std::size_t j = 1; j <= m; ++j) r1[j] = cell(d[j - 1], min3(prev[j - 1], prev[j], r1[j - 1]));
      prev = r1;
    }
    return prev[m];
  }

  double dtw(const double* a, std::size_t n, const Seg& b) {
    const std::size_t m = b.size;
    const std::size_t diff = n > m ? n - m : m - n;
    const std::size_t w = p_.band < 0 ? std::max(n, m) : std::max(static_cast<std::size_t>(p_.band), diff);
    if (w >= std::max(n, m)) return two_rows<true>(a, n, b);  // the band constrains nothing
    double* prev = ws_.prev.data();
    double* cur = ws_.cur.data();
    std::fill(prev, prev + m + 1, kInf);
    std::fill(cur, cur + m + 1, kInf);
    prev[0] = 0;  // virtual cell (-1, -1) starts the path
    for (std::size_t i = 1; i <= n; ++i) {
      const std::size_t lo = i > w ? i - w : 1;
      const std::size_t hi = std::min(m, i + w);
      // Cells just outside this row's window are read by this row and the next: keep them infinite.
      cur[lo - 1] = kInf;
      if (hi < m) cur[hi + 1] = kInf;
      const double* d = row(point(a, i - 1), b, lo - 1, hi);
      for (std::size_t j = lo; j <= hi; ++j) cur[j] = d[j - 1] + min3(prev[j - 1], prev[j], cur[j - 1]);
      std::swap(prev, cur);
    }
    return prev[m];
  }

  double frechet(const double* a, std::size_t n, const Seg& b) {
    return two_rows<false>(a, n, b);
  }

  // max(h(a, b), h(b, a)) from one pass over the n x m distances: row minima give h(a, b),
  // column minima h(b, a) (the ground distance is exactly symmetric in its arguments).
  double hausdorff(const double* a, std::size_t n, const Seg& b) {
    const std::size_t m = b.size;
    double* col = ws_.col.data();
    std::fill(col, col + m, kInf);
    double worst = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const double* d = row(point(a, i), b, 0, m);
      double nearest = kInf;
      for (std::size_t j = 0; j < m; ++j) {
        nearest = d[j] < nearest ? d[j] : nearest;
        col[j] = d[j] < col[j] ? d[j] : col[j];
      }
      worst = nearest > worst ? nearest : worst;
    }
    for (std::size_t j = 0; j < m; ++j) worst = col[j] > worst ? col[j] : worst;
    return worst;
  }

  double erp(const double* a, std::size_t n, const Seg& b) {
    const std::size_t m = b.size;
    const double gy = p_.gap[0], gx = p_.gap[1];
    const RowPoint g{gy, gx, geo_ ? std::cos(gy * detail::kRad) : 0.0};
    double* gap_b = ws_.gap_b.data();
    const double* gd = row(g, b, 0, m);
    std::copy(gd, gd + m, gap_b);
    double* prev = ws_.prev.data();
    double* cur = ws_.cur.data();
    prev[0] = 0;
    for (std::size_t j = 1; j <= m; ++j) prev[j] = prev[j - 1] + gap_b[j - 1];
    for (std::size_t i = 1; i <= n; ++i) {
      const double ay = a[2 * (i - 1)], ax = a[2 * (i - 1) + 1];
      const double gap_a = detail::ground_distance(geo_, p_.radius_m, ay, ax, gy, gx);
      const double* d = row(point(a, i - 1), b, 0, m);
      cur[0] = prev[0] + gap_a;
      for (std::size_t j = 1; j <= m; ++j) {
        cur[j] = min3(prev[j - 1] + d[j - 1], prev[j] + gap_a, cur[j - 1] + gap_b[j - 1]);
      }
      std::swap(prev, cur);
    }
    return prev[m];
  }

  double edr(const double* a, std::size_t n, const Seg& b) {
    const std::size_t m = b.size;
    const double eps = p_.eps;
    double* prev = ws_.prev.data();
    double* cur = ws_.cur.data();
    for (std::size_t j = 0; j <= m; ++j) prev[j] = static_cast<double>(j);
    for (std::size_t i = 1; i <= n; ++i) {
      cur[0] = static_cast<double>(i);
      const double* d = row(point(a, i - 1), b, 0, m);
      for (std::size_t j = 1; j <= m; ++j) {
        const double sub = d[j - 1] <= eps ? 0.0 : 1.0;
        cur[j] = min3(prev[j - 1] + sub, prev[j] + 1, cur[j - 1] + 1);
      }
      std::swap(prev, cur);
    }
    return prev[m];
  }

  double lcss(const double* a, std::size_t n, const Seg& b) {
    const std::size_t m = b.size;
    const double eps = p_.eps, delta = p_.delta;
    double* prev = ws_.prev.data();
    double* cur = ws_.cur.data();
    std::fill(prev, prev + m + 1, 0.0);
    for (std::size_t i = 1; i <= n; ++i) {
      cur[0] = 0;
      const double* d = row(point(a, i - 1), b, 0, m);
      for (std::size_t j = 1; j <= m; ++j) {
        const double gap = static_cast<double>(i > j ? i - j : j - i);
        // Both branches computed, then selected: matches are data dependent, a branch mispredicts.
        const double matched = prev[j - 1] + 1;
        const double skipped = prev[j] > cur[j - 1] ? prev[j] : cur[j - 1];
        cur[j] = (gap <= delta) & (d[j - 1] <= eps) ? matched : skipped;
      }
      std::swap(prev, cur);
    }
    return 1 - prev[m] / static_cast<double>(std::min(n, m));
  }

  const MeasureParams& p_;
  Workspace& ws_;
  bool geo_;
};

Status check_params(const MeasureParams& p) {
  switch (p.measure) {
    case Measure::kDtw:
    case Measure::kFrechet:
    case Measure::kHausdorff:
    case Measure::kErp:
    case Measure::kEdr:
    case Measure::kLcss: break;
    default: return Status::Error(StatusCode::kInvalidArgument, "unknown similarity measure");
  }
  if (p.metric != geo::Metric::kHaversine && p.metric != geo::Metric::kEuclidean) {
    return Status::Error(StatusCode::kInvalidArgument, "unknown ground metric");
  }
  return Status::Ok();
}

Status check_non_empty(const Batch& b, std::size_t begin, std::size_t end, const char* name) {
  for (std::size_t t = begin; t < end; ++t) {
    if (b.size(t) == 0) {
      return Status::Error(StatusCode::kInvalidArgument, std::string(name) + ": trajectory " + std::to_string(t) +
                                                             " is empty; similarity measures need at least one point");
    }
  }
  return Status::Ok();
}

std::size_t longest(const Batch& b) {
  std::size_t m = 0;
  for (std::size_t t = 0; t < b.count; ++t) m = std::max(m, b.size(t));
  return m;
}

/// Units [u0, u1) of an (a.count x b.count) matrix of pairs; pair u -> out[u - out_base].
Status run_pairs(const Batch& a, const Batch& b, const MeasureParams& p, double* out, std::size_t out_base,
                 std::size_t u0, std::size_t u1, int threads, CancelToken cancel) {
  const std::size_t m = b.count;
  if (u0 == u1 || m == 0) return Status::Ok();
  const bool geographic = p.metric == geo::Metric::kHaversine;
  const detail::PreparedBatch pb(b, geographic);
  const std::size_t max_m = longest(b);
  // ~16 pairs per chunk keeps the atomic counter and the cancel poll negligible and still
  // balances rows of very different lengths.
  return detail::parallel_chunks(u0, u1, 16, threads, cancel, [&] {
    auto ws = std::make_shared<Workspace>(max_m);
    return [&, ws](std::size_t lo, std::size_t hi) {
      PairKernel kernel(p, *ws);
      for (std::size_t u = lo; u < hi; ++u) {
        const std::size_t i = u / m, j = u % m;
        const std::size_t s = pb.start[j];
        const double* box = pb.box.data() + 4 * j;
        const Seg seg{pb.y.data() + s, pb.x.data() + s, geographic ? pb.c.data() + s : nullptr, b.size(j),
                      box[0],           box[1],           box[2],                                 box[3]};
        out[u - out_base] = kernel(a.coords + 2 * a.begin(i), a.size(i), seg);
      }
      return Status::Ok();
    };
  });
}

}  // namespace

Status distance_cpu(const double* a, std::size_t n, const double* b, std::size_t m, const MeasureParams& params,
                    double* out) {
  const int32_t oa[2] = {0, static_cast<int32_t>(n)};
  const int32_t ob[2] = {0, static_cast<int32_t>(m)};
  const Batch ba{a, oa, 1, n}, bb{b, ob, 1, m};
  return pairwise_cpu(ba, bb, params, out, RowRange{0, 1});
}

Status pairwise_cpu(const Batch& a, const Batch& b, const MeasureParams& params, double* out, RowRange rows, int threads,
                    CancelToken cancel) {
  Status s = check_params(params);
  if (s.ok()) s = check_batch(a, "a");
  if (s.ok()) s = check_batch(b, "b");
  if (s.ok()) s = detail::check_range(rows, a.count, "row");
  if (s.ok()) s = check_non_empty(a, rows.begin, rows.end, "a");
  if (s.ok() && rows.begin < rows.end) s = check_non_empty(b, 0, b.count, "b");
  if (!s.ok()) return s;
  const std::size_t m = b.count;
  return run_pairs(a, b, params, out, 0, rows.begin * m, rows.end * m, threads, cancel);
}

Status one_to_many_cpu(const double* query, std::size_t q, const Batch& b, const MeasureParams& params, double* out,
                       RowRange cols, int threads, CancelToken cancel) {
  const int32_t oq[2] = {0, static_cast<int32_t>(q)};
  const Batch a{query, oq, 1, q};
  Status s = check_params(params);
  if (s.ok()) s = check_batch(b, "batch");
  if (s.ok()) s = detail::check_range(cols, b.count, "column");
  if (s.ok() && q == 0) s = Status::Error(StatusCode::kInvalidArgument, "query is empty; similarity measures need at least one point");
  if (s.ok()) s = check_non_empty(b, cols.begin, cols.end, "batch");
  if (!s.ok()) return s;
  // Pair (0, j) is unit j: the same code path as a 1 x m pairwise row, so the same values.
  return run_pairs(a, b, params, out, 0, cols.begin, cols.end, threads, cancel);
}

}  // namespace waybill::trajectory
