// Split of a giant tour into routes (Prins 2004; Bellman over the tour positions), with the
// fleet-limited layered variant when the unlimited split needs more routes than there are
// vehicles, and the giant tour of a solution (routes in polar order of their barycentres).
#include <numeric>

#include "vrp_internal.h"

namespace waybill::opt::vrp {

namespace {

struct Arc {
  double cost;
  int from;
};

}  // namespace

void split(const Data& d, const Penalties& p, const std::vector<int>& giant, Solution& out) {
  const TypeInfo& ty = d.types[static_cast<std::size_t>(d.split_type)];
  const int N = static_cast<int>(giant.size());
  const Seg start = depot_seg(d, ty.start, ty, true);
  const Seg end = depot_seg(d, ty.end, ty, false);
  // Route cost of giant[i..j] for every j reachable from i, computed once and reused by both splits.
  std::vector<std::vector<double>> cost(static_cast<std::size_t>(N));
  for (int i = 0; i < N; ++i) {
    Seg s = start;
    auto& row = cost[static_cast<std::size_t>(i)];
    for (int j = i; j < N; ++j) {
      merge_into(d, s, node_seg(d, giant[static_cast<std::size_t>(j)]), s);
      row.push_back(route_cost(d, ty, merge(d, s, end), false).penalized(p));
      bool over = false;
      for (int k = 0; k < d.dims; ++k)
        if (s.load[k] > 1.5 * ty.capacity[k] + 1e-9) over = true;
      if (over && j > i) break;
    }
  }
  std::vector<double> pot(static_cast<std::size_t>(N + 1), kInf);
  std::vector<int> pred(static_cast<std::size_t>(N + 1), -1);
  pot[0] = 0;
  for (int i = 0; i < N; ++i) {
    if (pot[static_cast<std::size_t>(i)] == kInf) continue;
    const auto& row = cost[static_cast<std::size_t>(i)];
    for (std::size_t k = 0; k < row.size(); ++k) {
      const double c = pot[static_cast<std::size_t>(i)] + row[k];
      const std::size_t j = static_cast<std::size_t>(i) + k + 1;
      if (c < pot[j]) pot[j] = c, pred[j] = i;
    }
  }
  std::vector<std::pair<int, int>> cuts;  // [begin, end) in giant
  for (int j = N; j > 0; j = pred[static_cast<std::size_t>(j)]) cuts.emplace_back(pred[static_cast<std::size_t>(j)], j);
  const int slots = d.slots();
  if (static_cast<int>(cuts.size()) > slots) {
    // Fleet-limited split: layer k = routes used so far.
    std::vector<std::vector<double>> potk(static_cast<std::size_t>(slots + 1), std::vector<double>(static_cast<std::size_t>(N + 1), kInf));
    std::vector<std::vector<int>> predk(static_cast<std::size_t>(slots + 1), std::vector<int>(static_cast<std::size_t>(N + 1), -1));
    potk[0][0] = 0;
    for (int k = 0; k < slots; ++k)
      for (int i = 0; i < N; ++i) {
        const double base = potk[static_cast<std::size_t>(k)][static_cast<std::size_t>(i)];
        if (base == kInf) continue;
        const auto& row = cost[static_cast<std::size_t>(i)];
        for (std::size_t t = 0; t < row.size(); ++t) {
          const std::size_t j = static_cast<std::size_t>(i) + t + 1;
          if (base + row[t] < potk[static_cast<std::size_t>(k + 1)][j]) {
            potk[static_cast<std::size_t>(k + 1)][j] = base + row[t];
            predk[static_cast<std::size_t>(k + 1)][j] = i;
          }
        }
      }
    int bk = -1;
    for (int k = 1; k <= slots; ++k)
      if (potk[static_cast<std::size_t>(k)][static_cast<std::size_t>(N)] < kInf &&
          (bk < 0 || potk[static_cast<std::size_t>(k)][static_cast<std::size_t>(N)] < potk[static_cast<std::size_t>(bk)][static_cast<std::size_t>(N)]))
        bk = k;
    if (bk > 0) {
      cuts.clear();
      for (int j = N, k = bk; k > 0; --k) {
        const int i = predk[static_cast<std::size_t>(k)][static_cast<std::size_t>(j)];
        cuts.emplace_back(i, j);
        j = i;
      }
    } else {
      // Routes of the load-capped split do not fit: the tour split in equal parts (penalised).
      cuts.clear();
      for (int k = 0; k < slots; ++k) cuts.emplace_back(N * k / slots, N * (k + 1) / slots);
    }
  }
  std::reverse(cuts.begin(), cuts.end());
  out.routes.assign(static_cast<std::size_t>(slots), {});
  if (d.types.size() == 1) {
    int slot = 0;
    for (const auto& [b, e] : cuts) {
      if (e <= b) continue;
      auto& r = out.routes[static_cast<std::size_t>(slot++)];
      r.assign(giant.begin() + b, giant.begin() + e);
    }
    return;
  }
  // Mixed fleet: heaviest routes first, each to the free vehicle type where it costs least.
  std::vector<int> order(cuts.size());
  std::iota(order.begin(), order.end(), 0);
  std::vector<double> weight(cuts.size(), 0);
  for (std::size_t r = 0; r < cuts.size(); ++r)
    for (int i = cuts[r].first; i < cuts[r].second; ++i)
      weight[r] += d.demand[static_cast<std::size_t>(giant[static_cast<std::size_t>(i)]) * d.dims];
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return weight[static_cast<std::size_t>(a)] > weight[static_cast<std::size_t>(b)]; });
  std::vector<int> used(d.types.size(), 0);
  for (int r : order) {
    const auto [b, e] = cuts[static_cast<std::size_t>(r)];
    if (e <= b) continue;
    int best_t = -1;
    double best_c = kInf;
    for (std::size_t t = 0; t < d.types.size(); ++t) {
      if (used[t] >= d.types[t].count) continue;
      const TypeInfo& tt = d.types[t];
      Seg s = depot_seg(d, tt.start, tt, true);
      for (int i = b; i < e; ++i) merge_into(d, s, node_seg(d, giant[static_cast<std::size_t>(i)]), s);
      merge_into(d, s, depot_seg(d, tt.end, tt, false), s);
      const double c = route_cost(d, tt, s, false).penalized(p);
      if (c < best_c) best_c = c, best_t = static_cast<int>(t);
    }
    if (best_t < 0) break;  // cannot happen: cuts.size() <= slots
    const int slot = d.first_slot[static_cast<std::size_t>(best_t)] + used[static_cast<std::size_t>(best_t)]++;
    out.routes[static_cast<std::size_t>(slot)].assign(giant.begin() + b, giant.begin() + e);
  }
}

std::vector<int> giant_tour(const Data& d, const Solution& s) {
  std::vector<std::pair<double, int>> keyed;
  for (std::size_t r = 0; r < s.routes.size(); ++r) {
    const auto& route = s.routes[r];
    if (route.empty()) continue;
    double key = static_cast<double>(r);
    if (d.has_coords) {
      // Circular mean of the customers' polar angles.
      double sx = 0, sy = 0;
      for (int c : route) sx += std::cos(d.angle[static_cast<std::size_t>(c)]), sy += std::sin(d.angle[static_cast<std::size_t>(c)]);
      key = std::atan2(sy, sx);
    }
    keyed.emplace_back(key, static_cast<int>(r));
  }
  std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<int> giant;
  giant.reserve(static_cast<std::size_t>(d.clients));
  std::vector<char> seen(static_cast<std::size_t>(d.n), 0);
  for (const auto& [key, r] : keyed)
    for (int c : s.routes[static_cast<std::size_t>(r)]) giant.push_back(c), seen[static_cast<std::size_t>(c)] = 1;
  for (int c = d.depots; c < d.n; ++c)
    if (!seen[static_cast<std::size_t>(c)]) giant.push_back(c);
  return giant;
}

}  // namespace waybill::opt::vrp
