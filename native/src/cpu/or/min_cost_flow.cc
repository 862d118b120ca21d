// Minimum-cost flow by the primal network simplex.
//
// An artificial root is joined to every node (supply nodes send to it, demand nodes receive from
// it) at a prohibitive cost; those arcs form the first spanning tree. Each pivot brings in a
// non-tree arc with a violating reduced cost (block-search pricing), pushes flow around the cycle
// it closes in the tree, and drops the arc that limits the push. Potentials and depths are
// recomputed from the root after each tree change (O(n) per pivot: simple, fine for the sizes this
// serves). Flow left on an artificial arc at the end means the supplies cannot be routed.
// Potentials are double-double and the pricing tolerance is per arc (see below), so a huge cost
// beside small ones does not swamp them.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "waybill/or.h"

namespace waybill::opt {

Status min_cost_flow_cpu(std::size_t n, const double* supply, std::size_t m, const int32_t* src, const int32_t* dst,
                         const double* capacity, const double* cost, double* flow, double* potential, FlowResult* result,
                         CancelToken cancel) {
  double total_supply = 0, balance = 0, cost_span = 0, finite_caps = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!std::isfinite(supply[i])) return Status::Error(StatusCode::kInvalidArgument, "supplies must be finite");
    balance += supply[i];
    total_supply += std::fabs(supply[i]);
  }
  if (std::fabs(balance) > 1e-9 * std::max(1.0, total_supply)) {
    return Status::Error(StatusCode::kInvalidArgument, "supplies must sum to zero");
  }
  for (std::size_t a = 0; a < m; ++a) {
    if (src[a] < 0 || dst[a] < 0 || static_cast<std::size_t>(src[a]) >= n || static_cast<std::size_t>(dst[a]) >= n) {
      return Status::Error(StatusCode::kInvalidArgument, "arc endpoint outside 0..n-1");
    }
    if (!(capacity[a] >= 0) || !std::isfinite(cost[a])) return Status::Error(StatusCode::kInvalidArgument, "capacities must be >= 0 and costs finite");
    cost_span += std::fabs(cost[a]);
    if (!std::isinf(capacity[a])) finite_caps += capacity[a];
  }
  // No arc carries more than the supplies plus every finite capacity (a negative cycle of finite
  // arcs saturates them), so a push at least this large is limited only by unlimited arcs:
  // unbounded. (Sized from the supplies alone, it once called finite negative cycles unbounded.)
  const double inf_cap = (total_supply + finite_caps) * 2 + 1;
  const double big = (cost_span + 1) * 2;  // more than any path of real arcs costs
  // Potentials reach n * big and unlimited arcs get 4 * inf_cap: both must stay finite.
  if (!std::isfinite(inf_cap * 4) || !std::isfinite(big * static_cast<double>(n + 1))) {
    return Status::Error(StatusCode::kInvalidArgument, "supplies, capacities or costs too large: their sums overflow");
  }
  const std::size_t N = n + 1, M = m + n, root = n;
  std::vector<int32_t> s(M), t(M);
  std::vector<double> cap(M), c(M), f(M, 0.0);
  std::vector<int8_t> state(M, 1);  // 1: at lower bound, -1: at upper bound, 0: in the tree
  for (std::size_t a = 0; a < m; ++a) {
    s[a] = src[a];
    t[a] = dst[a];
    cap[a] = std::isinf(capacity[a]) ? inf_cap * 4 : capacity[a];
    c[a] = cost[a];
  }
  std::vector<int32_t> parent(N, -1), pred(N, -1), depth(N, 0);
  // Potentials as unevaluated sums pi + pi_lo (double-double): they carry the artificial cost
  // `big` (2 x the sum of |cost|), and with a 1e17 arc a plain double potential of big + 8.5
  // rounds to a multiple of 32, so the reduced costs of the small arcs (differences of such
  // potentials) lost every digit and a far worse plan came back (95.2 for 8).
  std::vector<double> pi(N, 0.0), pi_lo(N, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t a = m + i;
    // Strongly feasible start: zero-flow artificial arcs point away from the root.
    if (supply[i] > 0) {
      s[a] = static_cast<int32_t>(i);
      t[a] = static_cast<int32_t>(root);
      f[a] = supply[i];
    } else {
      s[a] = static_cast<int32_t>(root);
      t[a] = static_cast<int32_t>(i);
      f[a] = -supply[i];
    }
    cap[a] = inf_cap * 4;
    c[a] = big;
    state[a] = 0;
    parent[i] = static_cast<int32_t>(root);
    pred[i] = static_cast<int32_t>(a);
  }
  // Potentials and depths from the root: reduced cost c + pi[s] - pi[t] is 0 on tree arcs.
  std::vector<std::vector<int32_t>> children(N);
  std::vector<int32_t> stack;
  auto refresh = [&] {
    for (auto& ch : children) ch.clear();
    for (std::size_t v = 0; v < N; ++v) if (parent[v] >= 0) children[parent[v]].push_back(static_cast<int32_t>(v));
    stack.assign(1, static_cast<int32_t>(root));
    pi[root] = 0;
    pi_lo[root] = 0;
    depth[root] = 0;
    while (!stack.empty()) {
      const int32_t u = stack.back();
      stack.pop_back();
      for (const int32_t v : children[u]) {
        const int32_t a = pred[v];
        // Tree arc between v and its parent u: c + pi[s] - pi[t] = 0.
        // pi[v] = pi[u] -/+ c[a], the rounding error of the high part kept in the low part.
        const double add = s[a] == v ? -c[a] : c[a];
        const double hi = pi[u] + add;
        const double bb = hi - pi[u];
        const double err = (pi[u] - (hi - bb)) + (add - bb);
        const double lo = err + pi_lo[u];
        pi[v] = hi + lo;
        pi_lo[v] = lo - (pi[v] - hi);
        depth[v] = depth[u] + 1;
        stack.push_back(v);
      }
    }
  };
  refresh();
  const std::size_t block = std::max<std::size_t>(16, static_cast<std::size_t>(std::sqrt(static_cast<double>(M))));
  std::size_t next = 0;
  int64_t pivots = 0;
  const int64_t max_pivots = static_cast<int64_t>(50 * (N + M) + 1000000);
  while (true) {
    if ((pivots & 255) == 0 && cancel.cancelled()) return Status::Error(StatusCode::kCancelled, "cancelled");
    if (pivots > max_pivots) return Status::Error(StatusCode::kInvalidArgument, "network simplex did not converge (pivot limit)");
    // Block search: the most violating arc of the first block that has one.
    std::size_t enter = M;
    double best = 0;
    for (std::size_t scanned = 0; scanned < M;) {
      const std::size_t end = std::min(M, scanned + block);
      for (; scanned < end; ++scanned) {
        const std::size_t a = (next + scanned) % M;
        if (state[a] == 0) continue;
        // c + pi_s - pi_t with the high parts subtracted first (exact when they are close); an
        // arc violates only beyond the rounding of its own terms (a tolerance of 1e-12 x big for
        // every arc hid improvements of a few units whenever one cost was huge).
        const double dh = pi[s[a]] - pi[t[a]], dl = pi_lo[s[a]] - pi_lo[t[a]];
        const double viol = state[a] * ((c[a] + dh) + dl);
        const double tol = 1e-12 * (std::fabs(c[a]) + std::fabs(dh)) + 1e-24 * (std::fabs(pi[s[a]]) + std::fabs(pi[t[a]]));
        if (viol < -tol && viol < best) {
          best = viol;
          enter = a;
        }
      }
      if (enter != M) break;
    }
    if (enter == M) break;
    next = (enter + 1) % M;
    ++pivots;
    // Push from `first` to `second` through the entering arc, back through the tree.
    const bool forward = state[enter] == 1;
    const int32_t first = forward ? s[enter] : t[enter];
    const int32_t second = forward ? t[enter] : s[enter];
    int32_t u = second, v = first;
    std::vector<int32_t> up_second, up_first;
    while (u != v) {
      if (depth[u] >= depth[v]) {
        up_second.push_back(u);
        u = parent[u];
      } else {
        up_first.push_back(v);
        v = parent[v];
      }
    }
    // Leaving arc: the last arc of minimal residual met when walking the cycle in the direction
    // of the push from its apex (join -> first, the entering arc, second -> join). This keeps the
    // tree strongly feasible, which rules out cycling on degenerate pivots.
    double delta = std::numeric_limits<double>::infinity();
    int32_t leave_node = -1;  // child endpoint of the leaving tree arc; -1: the entering arc itself
    bool leave_on_second = false;
    for (auto it = up_first.rbegin(); it != up_first.rend(); ++it) {
      const int32_t a = pred[*it];
      const double r = s[a] == *it ? f[a] : cap[a] - f[a];  // push goes parent -> child
      if (r <= delta) {
        delta = r;
        leave_node = *it;
        leave_on_second = false;
      }
    }
    const double r_enter = forward ? cap[enter] - f[enter] : f[enter];
    if (r_enter <= delta) {
      delta = r_enter;
      leave_node = -1;
    }
    for (const int32_t x : up_second) {
      const int32_t a = pred[x];
      const double r = s[a] == x ? cap[a] - f[a] : f[a];  // push goes child -> parent
      if (r <= delta) {
        delta = r;
        leave_node = x;
        leave_on_second = true;
      }
    }
    if (delta >= inf_cap) return Status::Error(StatusCode::kInvalidArgument, "unbounded: a negative-cost cycle has unlimited capacity");
    // Update flows.
    f[enter] += forward ? delta : -delta;
    for (const int32_t x : up_second) {
      const int32_t a = pred[x];
      f[a] += s[a] == x ? delta : -delta;
    }
    for (const int32_t x : up_first) {
      const int32_t a = pred[x];
      f[a] += s[a] == x ? -delta : delta;
    }
    if (leave_node == -1) {
      state[enter] = static_cast<int8_t>(-state[enter]);  // bound to bound, tree unchanged
      continue;
    }
    const int32_t leave_arc = pred[leave_node];
    // Re-hang the subtree of leave_node from the entering arc's endpoint inside it.
    const int32_t q = leave_on_second ? second : first;
    const int32_t p = leave_on_second ? first : second;
    int32_t x = q, new_parent = p, new_arc = static_cast<int32_t>(enter);
    while (true) {
      const int32_t old_parent = parent[x], old_arc = pred[x];
      parent[x] = new_parent;
      pred[x] = new_arc;
      if (x == leave_node) break;
      new_parent = x;
      new_arc = old_arc;
      x = old_parent;
    }
    state[enter] = 0;
    state[leave_arc] = f[leave_arc] <= 0 ? 1 : -1;
    refresh();
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (f[m + i] > 1e-9 * std::max(1.0, total_supply)) {
      return Status::Error(StatusCode::kInfeasible, "infeasible: the supplies cannot be routed through the arcs' capacities");
    }
  }
  FlowResult r;
  for (std::size_t a = 0; a < m; ++a) {
    flow[a] = f[a];
    r.cost += f[a] * cost[a];
  }
  // Shifted so that node 0 has potential 0 (duals are defined up to a constant): the artificial
  // price `big` sits in every potential, and rounded to one double each, the small differences
  // between them (8 beside 2e17) were lost.
  for (std::size_t i = 0; i < n; ++i) potential[i] = (pi[i] - pi[0]) + (pi_lo[i] - pi_lo[0]);
  r.pivots = pivots;
  *result = r;
  return Status::Ok();
}

}  // namespace waybill::opt
