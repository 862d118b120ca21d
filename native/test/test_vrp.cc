// VRP hybrid genetic search: optimality on tiny instances against exhaustive dynamic programming,
// determinism, feasibility of every returned plan (checked here, independently of the solver),
// time windows, optional visits, mixed fleet with two depots, time limit and cancellation.
#include <algorithm>
#include <chrono>
#include <limits>
#include <thread>

#include "test_util.h"
#include "waybill/vrp.h"

using namespace waybill;
using namespace waybill::opt;

namespace {

struct Instance {
  std::size_t n = 0, depots = 1, dims = 1;
  std::vector<double> x, y, dist, demand, service, early, late, penalty;
  std::vector<std::vector<double>> caps;
  std::vector<VrpVehicleType> types;
  VrpProblem problem() {
    VrpProblem p;
    p.n = n;
    p.depots = depots;
    p.dims = dims;
    p.dist = dist.data();
    p.time = dist.data();
    p.demand = demand.data();
    p.service = service.empty() ? nullptr : service.data();
    p.early = early.empty() ? nullptr : early.data();
    p.late = late.empty() ? nullptr : late.data();
    p.penalty = penalty.empty() ? nullptr : penalty.data();
    coords.clear();
    for (std::size_t i = 0; i < n; ++i) coords.push_back(x[i]), coords.push_back(y[i]);
    p.coords = coords.data();
    for (std::size_t t = 0; t < types.size(); ++t) types[t].capacity = caps[t].data();
    p.types = types.data();
    p.n_types = types.size();
    return p;
  }
  std::vector<double> coords;
};

Instance random_cvrp(std::size_t customers, double cap, uint32_t seed, int count = 0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 100);
  Instance in;
  in.n = customers + 1;
  for (std::size_t i = 0; i < in.n; ++i) in.x.push_back(u(rng)), in.y.push_back(u(rng));
  in.x[0] = in.y[0] = 50;
  in.dist.resize(in.n * in.n);
  for (std::size_t i = 0; i < in.n; ++i)
    for (std::size_t j = 0; j < in.n; ++j) in.dist[i * in.n + j] = std::round(std::hypot(in.x[i] - in.x[j], in.y[i] - in.y[j]));
  in.demand.assign(in.n, 0);
  for (std::size_t i = 1; i < in.n; ++i) in.demand[i] = 1 + static_cast<double>(rng() % 9);
  in.caps = {{cap}};
  VrpVehicleType t;
  t.count = count > 0 ? count : static_cast<int>(customers);
  in.types = {t};
  return in;
}

std::vector<std::vector<int>> decode(const std::vector<int32_t>& out) {
  std::vector<std::vector<int>> routes(1);
  for (int32_t v : out) {
    if (v < 0) routes.emplace_back();
    else routes.back().push_back(v);
  }
  routes.pop_back();
  return routes;
}

/// Independent check: each required customer exactly once, capacity per dimension, windows
/// (waiting allowed), fleet; returns the distance-based objective or +inf when infeasible.
double check(Instance& in, const std::vector<std::vector<int>>& routes, int* unassigned = nullptr) {
  std::vector<int> seen(in.n, 0);
  double total = 0;
  std::size_t slot = 0;
  for (std::size_t t = 0; t < in.types.size(); ++t)
    for (int k = 0; k < in.types[t].count; ++k, ++slot) {
      const auto& r = routes.at(slot);
      if (r.empty()) continue;
      const auto& ty = in.types[t];
      std::vector<double> load(in.dims, 0);
      double time = std::max(in.early.empty() ? 0.0 : in.early[static_cast<std::size_t>(ty.start_depot)], ty.shift_start);
      int prev = ty.start_depot;
      double dist = 0;
      for (int c : r) {
        if (c < static_cast<int>(in.depots) || c >= static_cast<int>(in.n) || seen[static_cast<std::size_t>(c)]++) return std::numeric_limits<double>::infinity();
        for (std::size_t d = 0; d < in.dims; ++d) load[d] += in.demand[static_cast<std::size_t>(c) * in.dims + d];
        dist += in.dist[static_cast<std::size_t>(prev) * in.n + static_cast<std::size_t>(c)];
        time += in.dist[static_cast<std::size_t>(prev) * in.n + static_cast<std::size_t>(c)];
        if (!in.early.empty()) {
          time = std::max(time, in.early[static_cast<std::size_t>(c)]);
          if (time > in.late[static_cast<std::size_t>(c)] + 1e-9) return std::numeric_limits<double>::infinity();
        }
        if (!in.service.empty()) time += in.service[static_cast<std::size_t>(c)];
        prev = c;
      }
      dist += in.dist[static_cast<std::size_t>(prev) * in.n + static_cast<std::size_t>(ty.end_depot)];
      time += in.dist[static_cast<std::size_t>(prev) * in.n + static_cast<std::size_t>(ty.end_depot)];
      if (!in.late.empty() && time > in.late[static_cast<std::size_t>(ty.end_depot)] + 1e-9) return std::numeric_limits<double>::infinity();
      for (std::size_t d = 0; d < in.dims; ++d)
        if (load[d] > in.caps[t][d] + 1e-9) return std::numeric_limits<double>::infinity();
      total += ty.fixed_cost + ty.cost_distance * dist;
    }
  int left = 0;
  for (std::size_t c = in.depots; c < in.n; ++c)
    if (!seen[c]) {
      if (in.penalty.empty() || !(in.penalty[c] < std::numeric_limits<double>::infinity())) return std::numeric_limits<double>::infinity();
      total += in.penalty[c];
      ++left;
    }
  if (unassigned != nullptr) *unassigned = left;
  return total;
}

/// Exact CVRP optimum for tiny instances: Held-Karp TSP per feasible subset, then set partition DP.
double exact_cvrp(const Instance& in) {
  const int m = static_cast<int>(in.n) - 1;
  const int full = 1 << m;
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> tsp(static_cast<std::size_t>(full), inf);
  std::vector<double> hk(static_cast<std::size_t>(full) * static_cast<std::size_t>(m), inf);
  auto D = [&](int a, int b) { return in.dist[static_cast<std::size_t>(a) * in.n + static_cast<std::size_t>(b)]; };
  for (int i = 0; i < m; ++i) hk[static_cast<std::size_t>(1 << i) * m + i] = D(0, i + 1);
  for (int s = 1; s < full; ++s)
    for (int i = 0; i < m; ++i) {
      const double v = hk[static_cast<std::size_t>(s) * m + i];
      if (!(s >> i & 1) || v == inf) continue;
      tsp[static_cast<std::size_t>(s)] = std::min(tsp[static_cast<std::size_t>(s)], v + D(i + 1, 0));
      for (int j = 0; j < m; ++j)
        if (!(s >> j & 1)) {
          auto& t = hk[static_cast<std::size_t>(s | 1 << j) * m + j];
          t = std::min(t, v + D(i + 1, j + 1));
        }
    }
  std::vector<double> best(static_cast<std::size_t>(full), inf);
  best[0] = 0;
  for (int s = 1; s < full; ++s) {
    double load = 0;
    for (int i = 0; i < m; ++i)
      if (s >> i & 1) load += in.demand[static_cast<std::size_t>(i + 1)];
    if (load > in.caps[0][0]) tsp[static_cast<std::size_t>(s)] = inf;
  }
  for (int s = 1; s < full; ++s) {
    const int low = s & -s;  // the route holding the lowest customer
    for (int sub = s; sub > 0; sub = (sub - 1) & s)
      if ((sub & low) && tsp[static_cast<std::size_t>(sub)] < inf)
        best[static_cast<std::size_t>(s)] = std::min(best[static_cast<std::size_t>(s)], tsp[static_cast<std::size_t>(sub)] + best[static_cast<std::size_t>(s ^ sub)]);
  }
  return best[static_cast<std::size_t>(full - 1)];
}

struct Run {
  Status status;
  VrpResult result;
  std::vector<int32_t> out;
  std::vector<std::vector<int>> routes;
};

Run solve(Instance& in, VrpOptions o, CancelToken cancel = {}) {
  Run r;
  VrpProblem p = in.problem();
  r.out.assign(in.n - in.depots + vrp_vehicle_slots(p), -7);
  r.status = vrp_solve_cpu(p, o, r.out.data(), &r.result, cancel);
  if (r.status.ok()) r.routes = decode(r.out);
  return r;
}

}  // namespace

int run_vrp_suite() {
  // Optimality on tiny instances.
  for (uint32_t seed = 1; seed <= 6; ++seed) {
    Instance in = random_cvrp(9, 15, seed);
    VrpOptions o;
    o.seed = seed;
    o.max_iterations = 300;
    const Run r = solve(in, o);
    CHECK(r.status.ok(), "%s", r.status.message.c_str());
    const double exact = exact_cvrp(in);
    const double got = check(in, r.routes);
    CHECK(r.result.feasible, "seed %u: infeasible", seed);
    CHECK(std::abs(got - r.result.cost) < 1e-6, "seed %u: reported %f, checked %f", seed, r.result.cost, got);
    CHECK(std::abs(got - exact) < 1e-6, "seed %u: HGS %f vs exact %f", seed, got, exact);
  }
  // Determinism (1 and 2 workers) and feasibility on a 120-customer instance.
  for (int workers = 1; workers <= 2; ++workers) {
    Instance in = random_cvrp(120, 40, 99);
    VrpOptions o;
    o.seed = 5;
    o.max_iterations = 400;
    o.workers = workers;
    o.exchange_every = 100;
    const Run a = solve(in, o), b = solve(in, o);
    CHECK(a.status.ok() && b.status.ok(), "status");
    CHECK(a.out == b.out, "workers %d: same seed and iterations gave different plans", workers);
    CHECK(a.result.feasible && std::abs(check(in, a.routes) - a.result.cost) < 1e-6, "workers %d: checked cost differs", workers);
    CHECK(a.result.iterations == 400 * workers, "workers %d: %lld iterations", workers, static_cast<long long>(a.result.iterations));
  }
  // Time windows (Solomon-like, clustered horizon) with service times.
  {
    Instance in = random_cvrp(60, 50, 7);
    std::mt19937_64 rng(3);
    in.early.assign(in.n, 0);
    in.late.assign(in.n, 0);
    in.service.assign(in.n, 0);
    in.late[0] = 400;
    for (std::size_t i = 1; i < in.n; ++i) {
      const double d0 = in.dist[i];
      const double start = d0 + static_cast<double>(rng() % 200);
      in.early[i] = start;
      in.late[i] = start + 30 + static_cast<double>(rng() % 60);
      in.service[i] = 5;
    }
    VrpOptions o;
    o.max_iterations = 600;
    const Run r = solve(in, o);
    CHECK(r.status.ok() && r.result.feasible, "VRPTW infeasible: warp %f", r.result.time_warp);
    const double got = check(in, r.routes);
    CHECK(std::abs(got - r.result.cost) < 1e-6, "VRPTW reported %f, checked %f", r.result.cost, got);
  }
  // Optional visits: twice the demand the fleet can carry; the plan is feasible and leaves some out.
  {
    Instance in = random_cvrp(40, 30, 11, 3);
    in.penalty.assign(in.n, 1000);
    VrpOptions o;
    o.max_iterations = 400;
    const Run r = solve(in, o);
    int left = 0;
    const double got = check(in, r.routes, &left);
    CHECK(r.status.ok() && r.result.feasible, "prize-collecting plan infeasible");
    CHECK(left > 0 && left == r.result.unassigned, "left out %d, reported %d", left, r.result.unassigned);
    CHECK(std::abs(got - r.result.cost) < 1e-6, "prize-collecting reported %f, checked %f", r.result.cost, got);
  }
  // Required visits the fleet cannot carry: reported infeasible, never silently.
  {
    Instance in = random_cvrp(40, 30, 11, 3);
    VrpOptions o;
    o.max_iterations = 200;
    const Run r = solve(in, o);
    CHECK(r.status.ok() && !r.result.feasible && r.result.excess_load > 0, "over-constrained plan not flagged");
  }
  // Mixed fleet, two depots, two capacity dimensions.
  {
    Instance in = random_cvrp(50, 0, 21);
    in.depots = 2;
    in.dims = 2;
    in.x[1] = 10, in.y[1] = 10;
    for (std::size_t i = 0; i < in.n; ++i)
      for (std::size_t j = 0; j < in.n; ++j) in.dist[i * in.n + j] = std::round(std::hypot(in.x[i] - in.x[j], in.y[i] - in.y[j]));
    std::vector<double> dem(in.n * 2, 0);
    for (std::size_t i = 2; i < in.n; ++i) dem[i * 2] = in.demand[i], dem[i * 2 + 1] = static_cast<double>(i % 3);
    in.demand = dem;
    VrpVehicleType big, small;
    big.count = 3, big.fixed_cost = 100, big.start_depot = big.end_depot = 0;
    small.count = 6, small.fixed_cost = 20, small.start_depot = small.end_depot = 1, small.cost_distance = 1.5;
    in.types = {big, small};
    in.caps = {{60, 25}, {20, 8}};
    VrpOptions o;
    o.max_iterations = 500;
    const Run r = solve(in, o);
    const double got = check(in, r.routes);
    CHECK(r.status.ok() && r.result.feasible, "mixed fleet infeasible");
    CHECK(std::abs(got - r.result.cost) < 1e-6, "mixed fleet reported %f, checked %f", r.result.cost, got);
  }
  // Time limit and cancellation return the best plan so far.
  {
    Instance in = random_cvrp(300, 50, 4);
    VrpOptions o;
    o.time_limit_ms = 400;
    const auto t0 = std::chrono::steady_clock::now();
    const Run r = solve(in, o);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    CHECK(r.status.ok() && r.result.feasible, "time-limited run");
    CHECK(ms < 400 * 1.05 + 60, "time limit 400 ms, took %.0f ms", ms);
    int32_t flag = 0;
    VrpOptions o2;
    o2.time_limit_ms = 60000;
    std::thread canceller([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      __atomic_store_n(&flag, 1, __ATOMIC_RELAXED);
    });
    const auto t1 = std::chrono::steady_clock::now();
    const Run c = solve(in, o2, CancelToken{&flag});
    canceller.join();
    const double cms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t1).count();
    CHECK(c.status.ok() && c.result.cancelled && cms < 2000, "cancel: %.0f ms", cms);
    CHECK(std::isfinite(check(in, c.routes)), "cancelled plan infeasible");
  }
  // Bad input.
  {
    Instance in = random_cvrp(5, 10, 1);
    in.demand[2] = -1;
    VrpOptions o;
    o.max_iterations = 10;
    CHECK(solve(in, o).status.code == StatusCode::kInvalidArgument, "negative demand accepted");
    Instance in2 = random_cvrp(5, 10, 1);
    in2.dist[7] = std::nan("");
    CHECK(solve(in2, o).status.code == StatusCode::kInvalidArgument, "NaN distance accepted");
  }
  return waybill::test::failures() == 0 ? 0 : 1;
}
