// Internal types of the VRP hybrid genetic search: the prepared instance, route segments with
// time-window data (Vidal et al. 2013, "A hybrid genetic algorithm with adaptive diversity
// management for a large class of vehicle routing problems with time-windows"), solutions,
// the local search and the split.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "waybill/vrp.h"

namespace waybill::opt::vrp {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr int kMaxDims = static_cast<int>(kVrpMaxDims);
constexpr double kEps = 1e-9;

using Clock = std::chrono::steady_clock;
using Rng = std::mt19937_64;

struct TypeInfo {
  double capacity[kMaxDims] = {};
  double fixed = 0, cost_distance = 1, cost_time = 0, max_duration = kInf;
  int start = 0, end = 0;
  double shift_start = 0, shift_end = kInf;
  int count = 1;
};

/// Immutable prepared instance shared by all workers.
struct Data {
  int n = 0, depots = 1, dims = 1, clients = 0;
  const double* dist = nullptr;
  const double* time = nullptr;
  std::vector<double> demand;  // n * dims
  std::vector<double> service, early, late, penalty;
  std::vector<TypeInfo> types;
  std::vector<int> slot_type;  // vehicle slot -> type
  std::vector<int> first_slot;  // type -> first slot
  bool use_time = false;       // windows, durations or time costs matter
  bool symmetric = true;
  bool has_optional = false;
  bool has_coords = false;
  bool one_depot = true;       // every vehicle starts and ends at the same depot node
  std::vector<double> angle;   // polar angle of each node around its nearest... depot 0, in [0, 2pi)
  std::vector<std::vector<int>> neighbours;  // per node (customers only filled)
  double max_dist = 0, max_demand = 0;
  int split_type = 0;

  double d(int a, int b) const { return dist[static_cast<std::size_t>(a) * n + b]; }
  double t(int a, int b) const { return time[static_cast<std::size_t>(a) * n + b]; }
  int slots() const { return static_cast<int>(slot_type.size()); }
};

/// A route piece: its end nodes, distance, load and time-window data (duration, time warp,
/// earliest and latest start of service at its first node).
struct Seg {
  int first = 0, last = 0;
  double dist = 0;
  double dur = 0, warp = 0, early = 0, late = kInf;
  double load[kMaxDims];
};

inline Seg node_seg(const Data& d, int i) {
  Seg s;
  s.first = s.last = i;
  for (int k = 0; k < d.dims; ++k) s.load[k] = d.demand[static_cast<std::size_t>(i) * d.dims + k];
  s.dur = d.service[i];
  s.early = d.early[i];
  s.late = d.late[i];
  return s;
}

inline Seg depot_seg(const Data& d, int depot, const TypeInfo& ty, bool start) {
  Seg s;
  s.first = s.last = depot;
  for (int k = 0; k < d.dims; ++k) s.load[k] = 0;
  s.dur = 0;
  s.early = std::max(d.early[depot], ty.shift_start);
  s.late = start ? d.late[depot] : std::min(d.late[depot], ty.shift_end);
  if (start) s.late = std::min(s.late, ty.shift_end);
  return s;
}

inline void merge_into(const Data& d, const Seg& a, const Seg& b, Seg& out) {
  const double arc = d.d(a.last, b.first);
  double la[kMaxDims];
  for (int k = 0; k < d.dims; ++k) la[k] = a.load[k] + b.load[k];
  if (d.use_time) {
    const double tr = d.t(a.last, b.first);
    const double delta = a.dur - a.warp + tr;
    const double wait = std::max(b.early - delta - a.late, 0.0);
    const double warp = std::max(a.early + delta - b.late, 0.0);
    const double dur = a.dur + b.dur + tr + wait;
    const double w = a.warp + b.warp + warp;
    const double e = std::max(b.early - delta, a.early) - wait;
    const double l = std::min(b.late - delta, a.late) + warp;
    out.dur = dur;
    out.warp = w;
    out.early = e;
    out.late = l;
  }
  out.dist = a.dist + arc + b.dist;
  for (int k = 0; k < d.dims; ++k) out.load[k] = la[k];
  out.first = a.first;
  out.last = b.last;
}

inline Seg merge(const Data& d, const Seg& a, const Seg& b) {
  Seg out;
  merge_into(d, a, b, out);
  return out;
}

/// Penalty weights (change during the search).
struct Penalties {
  double load = 1;
  double warp = 1;
};

struct RouteCost {
  double objective = 0;  // fixed + distance + time costs
  double excess = 0;     // capacity excess, summed over dimensions
  double warp = 0;       // time warp + duration excess
  double penalized(const Penalties& p) const { return objective + p.load * excess + p.warp * warp; }
};

/// Cost of a complete route (start depot ... end depot) served by a vehicle of type ty.
inline RouteCost route_cost(const Data& d, const TypeInfo& ty, const Seg& s, bool empty) {
  RouteCost c;
  if (empty) return c;
  c.objective = ty.fixed + ty.cost_distance * s.dist;
  for (int k = 0; k < d.dims; ++k) c.excess += std::max(0.0, s.load[k] - ty.capacity[k]);
  if (d.use_time) {
    c.objective += ty.cost_time * s.dur;
    c.warp = s.warp + std::max(0.0, s.dur - ty.max_duration);
  }
  return c;
}

/// A solution: customers per vehicle slot; left-out (optional) customers are in no route.
struct Solution {
  std::vector<std::vector<int>> routes;  // per slot
  double objective = 0;                  // route objectives + left-out penalties
  double excess = 0, warp = 0;
  double distance = 0, duration = 0;
  double penalized = 0;
  bool feasible() const { return excess < kEps && warp < kEps; }
};

/// Recomputes a solution's costs from its routes.
void evaluate(const Data& d, const Penalties& p, Solution& s);

/// Granular local search with relocate / swap / 2-opt / 2-opt* moves, SWAP* (Vidal 2022) when the
/// problem has no time dimension, and insertion / removal of optional visits.
class LocalSearch {
 public:
  explicit LocalSearch(const Data& d);
  /// Improves s in place under the given penalties until no improving move remains (or the
  /// deadline passes).
  void run(Solution& s, const Penalties& p, Rng& rng, Clock::time_point deadline, bool has_deadline);

 private:
  struct Route {
    int slot = 0, type = 0;
    std::vector<int> nodes;       // start depot, customers, end depot
    std::vector<Seg> fw, bw, bwc;  // prefix, suffix (with end depot), suffix without the end depot
    RouteCost cost;
    double pen = 0;
    int64_t modified = 0;
    int64_t swapstar_tested = -1;
    double sector_start = 0, sector_len = -1;  // polar sector (len < 0: empty)
    bool empty() const { return nodes.size() <= 2; }
  };

  void load(const Solution& s);
  void store(Solution& s) const;
  void update(Route& r);
  double pen_of(const Route& r, const Seg& s, bool empty) const;
  double eval_seq(const Route& r, const int* seq, int len) const;  // clients only
  bool moves_inter(int u, int v);
  void apply_inter(int which, int u, int v, Route& ru, Route& rv, int p, int q);
  bool moves_inter_fast(int u, int v);  // one depot: distance and load deltas (+ segments when timed)
  double pen_fast(const Route& r, double dist, const double* load, bool empty) const;
  bool moves_intra(int u, int v);
  bool moves_depot(int u, Route& rv);
  bool try_optional(int u);
  bool swap_star(Route& r1, Route& r2);
  void apply_seq(Route& r, std::vector<int>&& clients);

  const Data& d_;
  Penalties p_;
  std::vector<Route> routes_;
  std::vector<int> route_of_, pos_of_;  // per node; route_of_ -1: not routed
  std::vector<int64_t> tested_;
  int64_t moves_ = 0;
  std::vector<int> scratch_, scratch2_;
};

/// Cuts a giant tour of customers into routes for the vehicle slots (Bellman split on the
/// largest vehicle type, fleet-limited variant when needed, then routes given to slots).
void split(const Data& d, const Penalties& p, const std::vector<int>& giant, Solution& out);

/// Builds the giant tour of a solution: routes ordered by the polar angle of their barycentre,
/// left-out customers appended.
std::vector<int> giant_tour(const Data& d, const Solution& s);

Status prepare(const VrpProblem& problem, const VrpOptions& options, Data& d);

}  // namespace waybill::opt::vrp
