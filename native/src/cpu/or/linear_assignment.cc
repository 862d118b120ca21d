// Linear assignment by shortest augmenting paths (the augmentation phase of Jonker-Volgenant),
// started from a column reduction that already assigns many rows.
//
// Duals: v[j] per column, u[i] implicit. Reduced costs c[i][j] - u[i] - v[j] stay >= 0 and are
// 0 on assigned pairs; each free row is assigned by a Dijkstra search over reduced costs, after
// which the scanned columns' duals are raised by their distance deficit.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "waybill/or.h"

namespace waybill::opt {
namespace {

/// Square solver on an n x n matrix without infinities. x: row -> col, y: col -> row.
Status solve_square(const std::vector<double>& c, std::size_t n, std::vector<int32_t>& x, CancelToken cancel) {
  std::vector<double> v(n);
  std::vector<int32_t> y(n, -1);
  x.assign(n, -1);
  // Column reduction: v[j] = min_i c[i][j]; give column j to its argmin row when that row is free.
  for (std::size_t j = 0; j < n; ++j) {
    std::size_t best = 0;
    double mn = c[j];
    for (std::size_t i = 1; i < n; ++i) {
      const double cij = c[i * n + j];
      if (cij < mn) {
        mn = cij;
        best = i;
      }
    }
    v[j] = mn;
    if (x[best] < 0) {
      x[best] = static_cast<int32_t>(j);
      y[j] = static_cast<int32_t>(best);
    }
  }
  // The column reduction can leave an assigned row with reduced cost > 0 on other columns only;
  // u[i] = 0 for all rows keeps c - v >= 0 everywhere, so the start is dual feasible.
  std::vector<double> d(n);
  std::vector<int32_t> pred(n);
  std::vector<char> scanned(n);
  std::vector<int32_t> scanned_list;
  scanned_list.reserve(n);
  for (std::size_t f = 0; f < n; ++f) {
    if (x[f] >= 0) continue;
    if (cancel.cancelled()) return Status::Error(StatusCode::kCancelled, "cancelled");
    const double* cf = c.data() + f * n;
    for (std::size_t j = 0; j < n; ++j) {
      d[j] = cf[j] - v[j];
      pred[j] = static_cast<int32_t>(f);
      scanned[j] = 0;
    }
    scanned_list.clear();
    std::size_t final_col = n;
    double mind = 0;
    while (true) {
      // The closest unscanned column; among equally close ones a free column, which ends the
      // search at once (with integer costs there are many ties, and scanning the assigned
      // ones first made n = 4000 take 30x longer).
      std::size_t jmin = n;
      double dmin = std::numeric_limits<double>::infinity();
      bool free_min = false;
      for (std::size_t j = 0; j < n; ++j) {
        if (scanned[j]) continue;
        if (d[j] < dmin) {
          dmin = d[j];
          jmin = j;
          free_min = y[j] < 0;
        } else if (d[j] == dmin && !free_min && y[j] < 0) {
          jmin = j;
          free_min = true;
        }
      }
      if (jmin == n) return Status::Error(StatusCode::kInvalidArgument, "internal: no augmenting path");
      mind = dmin;
      if (y[jmin] < 0) {
        final_col = jmin;
        break;
      }
      scanned[jmin] = 1;
      scanned_list.push_back(static_cast<int32_t>(jmin));
      const std::size_t i = static_cast<std::size_t>(y[jmin]);
      const double* ci = c.data() + i * n;
      // Reduced cost along the matched edge (i, jmin) is 0, so u[i] = c[i][jmin] - v[jmin] - mind.
      const double h = ci[jmin] - v[jmin] - mind;
      for (std::size_t j = 0; j < n; ++j) {
        if (scanned[j]) continue;
        const double cred = ci[j] - v[j] - h;
        if (cred < d[j]) {
          d[j] = cred;
          pred[j] = static_cast<int32_t>(i);
        }
      }
    }
    for (const int32_t j : scanned_list) v[j] += d[j] - mind;
    // Augment along the predecessor chain.
    std::size_t j = final_col;
    while (true) {
      const int32_t i = pred[j];
      y[j] = i;
      const int32_t prev = x[i];
      x[i] = static_cast<int32_t>(j);
      if (static_cast<std::size_t>(i) == f) break;
      j = static_cast<std::size_t>(prev);
    }
  }
  return Status::Ok();
}

}  // namespace

Status linear_assignment_cpu(const double* cost, std::size_t n, std::size_t m, bool maximize, int32_t* row_to_col,
                             double* total, CancelToken cancel) {
  if (n > m) return Status::Error(StatusCode::kInvalidArgument, "more rows than columns: transpose the matrix");
  if (n == 0) {
    *total = 0;
    return Status::Ok();
  }
  // Forbidden pairs (+inf; -inf when maximising) become a cost larger than any assignment of
  // allowed pairs; a solution that still uses one proves infeasibility.
  double span = 0;
  for (std::size_t t = 0; t < n * m; ++t) {
    const double c = maximize ? -cost[t] : cost[t];
    if (std::isfinite(c)) span = std::max(span, std::fabs(c));
  }
  const double big = (span + 1.0) * static_cast<double>(n + 1) * 2.0;
  std::vector<double> c(m * m, 0.0);  // rows n..m-1 are zero-cost dummies
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < m; ++j) {
      const double cij = maximize ? -cost[i * m + j] : cost[i * m + j];
      c[i * m + j] = std::isfinite(cij) ? cij : big;
    }
  }
  std::vector<int32_t> x;
  const Status s = solve_square(c, m, x, cancel);
  if (!s.ok()) return s;
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double original = cost[i * m + static_cast<std::size_t>(x[i])];
    if (!std::isfinite(original)) {
      return Status::Error(StatusCode::kInfeasible, "infeasible: every assignment uses a forbidden (infinite) pair");
    }
    row_to_col[i] = x[i];
    sum += original;
  }
  *total = sum;
  return Status::Ok();
}

}  // namespace waybill::opt
