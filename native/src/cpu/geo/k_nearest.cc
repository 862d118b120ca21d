// k-nearest destinations per origin, C++ CPU backend.
//
// Each row's distances are computed with the matrix kernels into a scratch row (vectorised),
// then the k smallest (distance, index) pairs are kept with a bounded max-heap. Ordering is
// lexicographic on (distance, index), so ties resolve to the lower index on every backend.
#include <algorithm>
#include <utility>
#include <vector>

#include "waybill/geo.h"

namespace waybill::geo {

Status k_nearest_cpu(const double* origins, std::size_t n, const double* dests, std::size_t m, std::size_t k,
                     Metric metric, double radius_m, int32_t* out_index, double* out_dist, RowRange rows,
                     CancelToken cancel) {
  if (rows.end > n || rows.begin > rows.end) {
    return Status::Error(StatusCode::kInvalidArgument, "row range outside [0, n]");
  }
  if (k == 0 || k > m) return Status::Error(StatusCode::kInvalidArgument, "k must satisfy 1 <= k <= m");
  if (m > static_cast<std::size_t>(INT32_MAX)) {
    return Status::Error(StatusCode::kInvalidArgument, "m exceeds the int32 index range");
  }
  // Rows are processed in small blocks so the distance scratch stays in cache.
  constexpr std::size_t kBlock = 16;
  std::vector<double> scratch(kBlock * m);
  std::vector<std::pair<double, int32_t>> heap;
  heap.reserve(k + 1);
  for (std::size_t b = rows.begin; b < rows.end; b += kBlock) {
    if (cancel.cancelled()) return Status::Error(StatusCode::kCancelled, "cancelled");
    const std::size_t e = std::min(rows.end, b + kBlock);
    // Compute rows [b, e) into scratch as if it were rows [0, e-b) of a small matrix.
    const double* o = origins + 2 * b;
    const RowRange local{0, e - b};
    const Status s = metric == Metric::kHaversine
                         ? haversine_matrix_cpu<double>(o, e - b, dests, m, radius_m, scratch.data(), local)
                         : euclidean_matrix_cpu<double>(o, e - b, dests, m, scratch.data(), local);
    if (!s.ok()) return s;
    for (std::size_t i = b; i < e; ++i) {
      const double* row = scratch.data() + (i - b) * m;
      heap.clear();
      for (std::size_t j = 0; j < m; ++j) {
        const std::pair<double, int32_t> cand{row[j], static_cast<int32_t>(j)};
        if (heap.size() < k) {
          heap.push_back(cand);
          std::push_heap(heap.begin(), heap.end());
        } else if (cand < heap.front()) {
          std::pop_heap(heap.begin(), heap.end());
          heap.back() = cand;
          std::push_heap(heap.begin(), heap.end());
        }
      }
      std::sort_heap(heap.begin(), heap.end());
      for (std::size_t t = 0; t < k; ++t) {
        out_dist[i * k + t] = heap[t].first;
        out_index[i * k + t] = heap[t].second;
      }
    }
  }
  return Status::Ok();
}

}  // namespace waybill::geo
