// Hybrid genetic search for vehicle routing (after Vidal et al. 2012 and Vidal 2022): feasible
// and infeasible subpopulations ranked by a biased fitness (cost rank + diversity rank over the
// broken-pairs distance), ordered crossover on giant tours, Split, granular local search, repair
// with raised penalties, adaptive penalties towards a target share of feasible offspring, and
// restarts. Several workers run independent populations on threads and exchange their best
// solutions at fixed iteration counts, so a run is reproducible for a seed and iteration limit.
#include <array>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

#include "vrp_internal.h"

namespace waybill::opt::vrp {

namespace {

struct Individual {
  Solution sol;
  std::vector<int> giant;
  std::vector<int> succ, pred;  // per node: next / previous customer, -1 depot, -2 not routed
  double biased = 0;
  std::vector<std::pair<double, Individual*>> close;  // broken-pairs distance to the others, sorted

  void links(const Data& d) {
    succ.assign(static_cast<std::size_t>(d.n), -2);
    pred.assign(static_cast<std::size_t>(d.n), -2);
    for (const auto& r : sol.routes)
      for (std::size_t i = 0; i < r.size(); ++i) {
        succ[static_cast<std::size_t>(r[i])] = i + 1 < r.size() ? r[i + 1] : -1;
        pred[static_cast<std::size_t>(r[i])] = i > 0 ? r[i - 1] : -1;
      }
  }
  double diversity(int closest) const {
    const std::size_t k = std::min(close.size(), static_cast<std::size_t>(closest));
    if (k == 0) return 0;
    double s = 0;
    for (std::size_t i = 0; i < k; ++i) s += close[i].first;
    return s / static_cast<double>(k);
  }
};

double broken_pairs(const Data& d, const Individual& a, const Individual& b) {
  int diff = 0;
  for (int c = d.depots; c < d.n; ++c) {
    const auto i = static_cast<std::size_t>(c);
    if (a.succ[i] != b.succ[i] && a.succ[i] != b.pred[i]) ++diff;
    if (a.pred[i] == -1 && b.pred[i] != -1 && b.succ[i] != -1) ++diff;
  }
  return static_cast<double>(diff) / std::max(1, d.clients);
}

class SubPopulation {
 public:
  std::vector<std::unique_ptr<Individual>> members;  // sorted by penalized cost

  void add(const Data& d, std::unique_ptr<Individual> ind, const VrpOptions& o) {
    for (auto& m : members) {
      const double dist = broken_pairs(d, *ind, *m);
      insert_close(*m, dist, ind.get());
      insert_close(*ind, dist, m.get());
    }
    auto it = std::upper_bound(members.begin(), members.end(), ind->sol.penalized,
                               [](double c, const std::unique_ptr<Individual>& m) { return c < m->sol.penalized; });
    members.insert(it, std::move(ind));
    if (static_cast<int>(members.size()) > o.population + o.generation)
      while (static_cast<int>(members.size()) > o.population) remove_worst(o);
  }

  void update_biased(const VrpOptions& o) {
    const std::size_t k = members.size();
    if (k == 0) return;
    if (k == 1) {
      members[0]->biased = 0;
      return;
    }
    std::vector<std::pair<double, std::size_t>> div(k);
    for (std::size_t i = 0; i < k; ++i) div[i] = {-members[i]->diversity(o.closest), i};
    std::sort(div.begin(), div.end());
    const double elite_share = 1.0 - static_cast<double>(o.elite) / static_cast<double>(k);
    for (std::size_t r = 0; r < k; ++r) {
      const std::size_t i = div[r].second;
      const double div_rank = static_cast<double>(r) / static_cast<double>(k - 1);
      const double fit_rank = static_cast<double>(i) / static_cast<double>(k - 1);
      members[i]->biased = fit_rank + elite_share * div_rank;
    }
  }

  void resort() {
    std::stable_sort(members.begin(), members.end(),
                     [](const auto& a, const auto& b) { return a->sol.penalized < b->sol.penalized; });
  }

 private:
  static void insert_close(Individual& to, double dist, Individual* other) {
    auto it = std::upper_bound(to.close.begin(), to.close.end(), dist,
                               [](double v, const std::pair<double, Individual*>& e) { return v < e.first; });
    to.close.insert(it, {dist, other});
  }

  void remove_worst(const VrpOptions& o) {
    update_biased(o);
    std::size_t worst = 0;
    bool worst_clone = false;
    double worst_fit = -1;
    for (std::size_t i = 1; i < members.size(); ++i) {  // never the best (index 0)
      const bool clone = !members[i]->close.empty() && members[i]->close[0].first < 1e-12;
      if ((clone && !worst_clone) || (clone == worst_clone && members[i]->biased > worst_fit)) {
        worst = i;
        worst_clone = clone;
        worst_fit = members[i]->biased;
      }
    }
    Individual* gone = members[worst].get();
    for (auto& m : members) {
      auto& c = m->close;
      for (std::size_t j = 0; j < c.size(); ++j)
        if (c[j].second == gone) {
          c.erase(c.begin() + static_cast<std::ptrdiff_t>(j));
          break;
        }
    }
    members.erase(members.begin() + static_cast<std::ptrdiff_t>(worst));
  }
};

/// Best solutions the workers publish at each exchange round (two buffers: a worker can be at
/// most one round ahead of another).
struct Exchange {
  std::mutex m;
  std::condition_variable cv;
  std::vector<std::array<Solution, 2>> slot;
  std::vector<int64_t> round;
  std::vector<char> done;
  // Best so far across workers, for progress reports and the final answer.
  double best = kInf;
  bool best_feasible = false;
  std::atomic<int64_t> iterations{0};
};

struct Shared {
  const Data* d;
  const VrpOptions* o;
  Clock::time_point t0, deadline;
  bool has_deadline;
  CancelToken cancel;
  VrpProgress progress;
  void* progress_user;
  Exchange ex;
  std::mutex progress_m;
  double last_report_ms = -1e9;
};

class Worker {
 public:
  Worker(Shared& sh, int id) : sh_(sh), d_(*sh.d), o_(*sh.o), id_(id), ls_(d_), rng_(sh.o->seed * 1000003ULL + static_cast<uint64_t>(id) * 7919ULL + 17) {
    const double maxdem = std::max(d_.max_demand, 1e-9);
    pen_.load = std::clamp(d_.max_dist / maxdem, 0.1, 1000.0);
    pen_.warp = 1.0;
  }

  void run() {
    init_population();
    int64_t it = 0;
    int64_t since_improvement = 0;
    while (!stop(it)) {
      if (feasible_.members.empty() && infeasible_.members.empty()) break;
      ++it;
      sh_.ex.iterations.fetch_add(1, std::memory_order_relaxed);
      auto child = std::make_unique<Individual>();
      const Individual& p1 = tournament();
      const Individual& p2 = tournament();
      crossover(p1.giant, p2.giant, child->giant);
      const bool improved = educate(std::move(child));
      since_improvement = improved ? 0 : since_improvement + 1;
      if (it % 100 == 0) manage_penalties();
      if (o_.restart_after > 0 && since_improvement >= o_.restart_after) {
        feasible_.members.clear();
        infeasible_.members.clear();
        init_population();
        since_improvement = 0;
      }
      if (o_.workers > 1 && o_.exchange_every > 0 && it % o_.exchange_every == 0) exchange(it / o_.exchange_every);
      report(false);
    }
    {
      std::lock_guard<std::mutex> lock(sh_.ex.m);
      sh_.ex.done[static_cast<std::size_t>(id_)] = 1;
    }
    sh_.ex.cv.notify_all();
    iterations_ = it;
  }

  bool has_best() const { return have_best_; }
  const Solution& best() const { return best_; }
  double best_ms() const { return best_ms_; }
  int64_t iterations() const { return iterations_; }
  /// Least infeasible member when no feasible solution was found.
  const Solution* best_infeasible() const {
    const Solution* b = nullptr;
    for (const auto& m : infeasible_.members)
      if (b == nullptr || m->sol.excess + m->sol.warp < b->excess + b->warp - 1e-12 ||
          (std::abs(m->sol.excess + m->sol.warp - b->excess - b->warp) <= 1e-12 && m->sol.objective < b->objective))
        b = &m->sol;
    return b;
  }

 private:
  double elapsed_ms() const { return std::chrono::duration<double, std::milli>(Clock::now() - sh_.t0).count(); }

  bool stop(int64_t it) const {
    if (sh_.cancel.cancelled()) return true;
    if (o_.max_iterations > 0 && it >= o_.max_iterations) return true;
    return sh_.has_deadline && Clock::now() >= sh_.deadline;
  }

  void init_population() {
    const int count = 4 * o_.population;
    std::vector<int> giant;
    for (int c = d_.depots; c < d_.n; ++c) giant.push_back(c);
    for (int k = 0; k < count; ++k) {
      if (sh_.cancel.cancelled() || (sh_.has_deadline && Clock::now() >= sh_.deadline)) break;
      if (o_.max_iterations > 0 && k >= std::max<int64_t>(o_.max_iterations, 2)) break;
      auto ind = std::make_unique<Individual>();
      std::shuffle(giant.begin(), giant.end(), rng_);
      ind->giant = giant;
      educate(std::move(ind));
    }
  }

  const Individual& tournament() {
    feasible_.update_biased(o_);
    // (callers check the population is not empty)
    infeasible_.update_biased(o_);
    const std::size_t nf = feasible_.members.size(), ni = infeasible_.members.size();
    auto pick = [&]() -> const Individual& {
      const std::size_t k = static_cast<std::size_t>(rng_() % (nf + ni));
      return k < nf ? *feasible_.members[k] : *infeasible_.members[k - nf];
    };
    const Individual& a = pick();
    const Individual& b = pick();
    return a.biased <= b.biased ? a : b;
  }

  void crossover(const std::vector<int>& a, const std::vector<int>& b, std::vector<int>& child) {
    const std::size_t n = a.size();
    child.assign(n, -1);
    if (n == 0) return;
    const std::size_t start = static_cast<std::size_t>(rng_() % n);
    std::size_t end = static_cast<std::size_t>(rng_() % n);
    while (n > 1 && end == start) end = static_cast<std::size_t>(rng_() % n);
    std::vector<char> taken(static_cast<std::size_t>(d_.n), 0);
    for (std::size_t i = start; i != (end + 1) % n; i = (i + 1) % n) {
      child[i] = a[i];
      taken[static_cast<std::size_t>(a[i])] = 1;
      if (n == 1) break;
    }
    std::size_t pos = (end + 1) % n;
    for (std::size_t k = 1; k <= n; ++k) {
      const int c = b[(end + k) % n];
      if (taken[static_cast<std::size_t>(c)]) continue;
      child[pos] = c;
      pos = (pos + 1) % n;
    }
  }

  /// Split + local search (+ repair), then insertion into the population. True when the best
  /// feasible solution improved.
  bool educate(std::unique_ptr<Individual> ind) {
    split(d_, pen_, ind->giant, ind->sol);
    ls_.run(ind->sol, pen_, rng_, sh_.deadline, sh_.has_deadline);
    evaluate(d_, pen_, ind->sol);
    load_ok_.push_back(ind->sol.excess < kEps);
    warp_ok_.push_back(ind->sol.warp < kEps);
    bool improved = consider(ind->sol);
    std::unique_ptr<Individual> repaired;
    if (!ind->sol.feasible() && rng_() % 2 == 0) {
      repaired = std::make_unique<Individual>();
      repaired->sol = ind->sol;
      Penalties strong{pen_.load * 10, pen_.warp * 10};
      ls_.run(repaired->sol, strong, rng_, sh_.deadline, sh_.has_deadline);
      evaluate(d_, pen_, repaired->sol);
      if (!repaired->sol.feasible()) repaired.reset();
      else improved = consider(repaired->sol) || improved;
    }
    insert(std::move(ind));
    if (repaired) insert(std::move(repaired));
    return improved;
  }

  void insert(std::unique_ptr<Individual> ind) {
    ind->giant = giant_tour(d_, ind->sol);
    ind->links(d_);
    if (ind->sol.feasible()) feasible_.add(d_, std::move(ind), o_);
    else infeasible_.add(d_, std::move(ind), o_);
  }

  bool consider(const Solution& s) {
    if (!s.feasible()) return false;
    if (have_best_ && s.objective >= best_.objective - 1e-9 * std::max(1.0, std::abs(best_.objective))) return false;
    best_ = s;
    have_best_ = true;
    best_ms_ = elapsed_ms();
    {
      std::lock_guard<std::mutex> lock(sh_.ex.m);
      if (!sh_.ex.best_feasible || s.objective < sh_.ex.best) {
        sh_.ex.best = s.objective;
        sh_.ex.best_feasible = true;
      }
    }
    report(true);
    return true;
  }

  void report(bool force) {
    if (sh_.progress == nullptr) return;
    const double ms = elapsed_ms();
    std::lock_guard<std::mutex> lock(sh_.progress_m);
    if (!force && ms - sh_.last_report_ms < 100) return;
    sh_.last_report_ms = ms;
    double best;
    bool feasible;
    {
      std::lock_guard<std::mutex> l2(sh_.ex.m);
      best = sh_.ex.best;
      feasible = sh_.ex.best_feasible;
    }
    sh_.progress(sh_.progress_user, best, feasible, sh_.ex.iterations.load(std::memory_order_relaxed), ms);
  }

  void manage_penalties() {
    auto adjust = [&](std::vector<char>& ok, double& pen) {
      if (ok.empty()) return;
      double share = 0;
      for (char c : ok) share += c;
      share /= static_cast<double>(ok.size());
      if (share < o_.target_feasible - 0.05 && pen < 100000) pen = std::min(pen * 1.2, 100000.0);
      else if (share > o_.target_feasible + 0.05 && pen > 0.1) pen = std::max(pen * 0.85, 0.1);
      ok.clear();
    };
    adjust(load_ok_, pen_.load);
    if (d_.use_time) adjust(warp_ok_, pen_.warp);
    warp_ok_.clear();
    for (auto& m : infeasible_.members) m->sol.penalized = m->sol.objective + pen_.load * m->sol.excess + pen_.warp * m->sol.warp;
    infeasible_.resort();
  }

  void exchange(int64_t round) {
    Exchange& ex = sh_.ex;
    const std::size_t me = static_cast<std::size_t>(id_);
    const std::size_t buf = static_cast<std::size_t>(round % 2);
    {
      std::lock_guard<std::mutex> lock(ex.m);
      if (have_best_) ex.slot[me][buf] = best_;
      else if (!feasible_.members.empty()) ex.slot[me][buf] = feasible_.members[0]->sol;
      else if (!infeasible_.members.empty()) ex.slot[me][buf] = infeasible_.members[0]->sol;
      else ex.slot[me][buf] = Solution{};
      ex.round[me] = round;
    }
    ex.cv.notify_all();
    std::vector<Solution> incoming;
    {
      std::unique_lock<std::mutex> lock(ex.m);
      for (std::size_t w = 0; w < ex.round.size(); ++w) {
        if (w == me) continue;
        while (ex.round[w] < round && !ex.done[w] && !sh_.cancel.cancelled() && !(sh_.has_deadline && Clock::now() >= sh_.deadline)) {
          if (sh_.has_deadline) ex.cv.wait_until(lock, std::min(sh_.deadline, Clock::now() + std::chrono::milliseconds(50)));
          else ex.cv.wait_for(lock, std::chrono::milliseconds(50));
        }
        if (ex.round[w] >= round && !ex.slot[w][buf].routes.empty()) incoming.push_back(ex.slot[w][buf]);
      }
    }
    for (auto& s : incoming) {
      auto ind = std::make_unique<Individual>();
      ind->sol = std::move(s);
      evaluate(d_, pen_, ind->sol);
      consider(ind->sol);
      insert(std::move(ind));
    }
  }

  Shared& sh_;
  const Data& d_;
  const VrpOptions& o_;
  int id_;
  LocalSearch ls_;
  Rng rng_;
  Penalties pen_;
  SubPopulation feasible_, infeasible_;
  std::vector<char> load_ok_, warp_ok_;
  Solution best_;
  bool have_best_ = false;
  double best_ms_ = 0;
  int64_t iterations_ = 0;
};

}  // namespace

Status prepare(const VrpProblem& pr, const VrpOptions& o, Data& d) {
  auto bad = [](const std::string& m) { return Status::Error(StatusCode::kInvalidArgument, m); };
  if (pr.depots < 1 || pr.n < pr.depots) return bad("need at least one depot and n >= depots");
  if (pr.dims < 1 || pr.dims > kVrpMaxDims) return bad("dims must be in 1..8");
  if (pr.dist == nullptr || pr.demand == nullptr || pr.types == nullptr || pr.n_types < 1) return bad("dist, demand and at least one vehicle type are required");
  if (o.max_iterations <= 0 && o.time_limit_ms <= 0) return bad("set max_iterations or time_limit_ms");
  if (o.workers < 1 || o.workers > 64) return bad("workers must be in 1..64");
  d.n = static_cast<int>(pr.n);
  d.depots = static_cast<int>(pr.depots);
  d.dims = static_cast<int>(pr.dims);
  d.clients = d.n - d.depots;
  d.dist = pr.dist;
  d.time = pr.time != nullptr ? pr.time : pr.dist;
  const std::size_t n = pr.n;
  for (std::size_t i = 0; i < n * n; ++i)
    if (!(pr.dist[i] >= 0) || !(d.time[i] >= 0) || std::isinf(pr.dist[i]))
      return bad("dist and time must be finite and >= 0 (entry " + std::to_string(i) + ")");
  d.demand.assign(pr.demand, pr.demand + n * pr.dims);
  for (double v : d.demand)
    if (!(v >= 0) || std::isinf(v)) return bad("demands must be finite and >= 0");
  d.service.assign(n, 0);
  d.early.assign(n, 0);
  d.late.assign(n, kInf);
  d.penalty.assign(n, kInf);
  bool windows = false;
  for (std::size_t i = 0; i < n; ++i) {
    if (pr.service != nullptr) d.service[i] = pr.service[i];
    if (pr.early != nullptr) d.early[i] = pr.early[i];
    if (pr.late != nullptr) d.late[i] = pr.late[i];
    if (pr.penalty != nullptr && i >= pr.depots) d.penalty[i] = pr.penalty[i];
    if (!(d.service[i] >= 0) || std::isinf(d.service[i])) return bad("service times must be finite and >= 0");
    if (std::isnan(d.early[i]) || std::isnan(d.late[i]) || d.late[i] < d.early[i]) return bad("time window of node " + std::to_string(i) + " is invalid");
    if (!(d.penalty[i] >= 0)) return bad("penalties must be >= 0");
    if (d.early[i] > 0 || d.late[i] < kInf) windows = true;
    if (d.penalty[i] < kInf) d.has_optional = true;
  }
  d.types.resize(pr.n_types);
  d.first_slot.resize(pr.n_types);
  bool time_costs = false;
  double best_cap = -1;
  for (std::size_t t = 0; t < pr.n_types; ++t) {
    const VrpVehicleType& in = pr.types[t];
    TypeInfo& ty = d.types[t];
    if (in.count < 1) return bad("vehicle type " + std::to_string(t) + ": count must be >= 1");
    if (in.capacity == nullptr) return bad("vehicle type " + std::to_string(t) + ": capacity missing");
    for (std::size_t k = 0; k < pr.dims; ++k) {
      ty.capacity[k] = in.capacity[k];
      if (!(in.capacity[k] >= 0)) return bad("vehicle type " + std::to_string(t) + ": capacity must be >= 0");
    }
    if (in.start_depot < 0 || in.start_depot >= d.depots || in.end_depot < 0 || in.end_depot >= d.depots)
      return bad("vehicle type " + std::to_string(t) + ": depot index out of range");
    ty.count = in.count;
    ty.fixed = in.fixed_cost;
    ty.cost_distance = in.cost_distance;
    ty.cost_time = in.cost_time;
    ty.max_duration = in.max_duration > 0 ? in.max_duration : kInf;
    ty.start = in.start_depot;
    ty.end = in.end_depot;
    ty.shift_start = in.shift_start;
    ty.shift_end = in.shift_end > 0 ? in.shift_end : kInf;
    if (!(ty.fixed >= 0) || !(ty.cost_distance >= 0) || !(ty.cost_time >= 0)) return bad("vehicle costs must be >= 0");
    if (ty.cost_time > 0 || ty.max_duration < kInf || ty.shift_start > 0 || ty.shift_end < kInf) time_costs = true;
    d.first_slot[t] = static_cast<int>(d.slot_type.size());
    for (int k = 0; k < in.count; ++k) d.slot_type.push_back(static_cast<int>(t));
    if (ty.capacity[0] > best_cap) best_cap = ty.capacity[0], d.split_type = static_cast<int>(t);
  }
  d.use_time = windows || time_costs;
  for (const auto& ty : d.types)
    if (ty.start != d.types[0].start || ty.end != ty.start) d.one_depot = false;
  for (std::size_t i = 0; i < n && d.symmetric; ++i)
    for (std::size_t j = i + 1; j < n; ++j)
      if (pr.dist[i * n + j] != pr.dist[j * n + i]) {
        d.symmetric = false;
        break;
      }
  d.max_dist = 0;
  for (std::size_t i = 0; i < n * n; ++i) d.max_dist = std::max(d.max_dist, pr.dist[i]);
  d.max_demand = 0;
  for (std::size_t i = pr.depots; i < n; ++i) d.max_demand = std::max(d.max_demand, d.demand[i * pr.dims]);
  d.has_coords = pr.coords != nullptr;
  d.angle.assign(n, 0);
  if (d.has_coords)
    for (std::size_t i = 0; i < n; ++i) {
      const double a = std::atan2(pr.coords[2 * i + 1] - pr.coords[1], pr.coords[2 * i] - pr.coords[0]);
      d.angle[i] = a < 0 ? a + 6.283185307179586 : a;
    }
  // Granular neighbourhoods: the closest customers by a correlation measure that, with time
  // windows, adds the waiting and time warp of going from one to the other (Vidal 2013).
  d.neighbours.assign(n, {});
  const int k = std::min(o.neighbours, d.clients - 1);
  std::vector<std::pair<double, int>> cand;
  for (int u = d.depots; u < d.n; ++u) {
    cand.clear();
    for (int v = d.depots; v < d.n; ++v) {
      if (v == u) continue;
      auto corr = [&](int a, int b) {
        double c = d.d(a, b);
        if (d.use_time) {
          const double tab = d.t(a, b);
          c += 0.2 * std::max(d.early[static_cast<std::size_t>(b)] - tab - d.service[static_cast<std::size_t>(a)] - d.late[static_cast<std::size_t>(a)], 0.0) +
               1.0 * std::max(d.early[static_cast<std::size_t>(a)] + d.service[static_cast<std::size_t>(a)] + tab - d.late[static_cast<std::size_t>(b)], 0.0);
        }
        return c;
      };
      cand.emplace_back(std::min(corr(u, v), corr(v, u)), v);
    }
    if (k > 0) {
      std::partial_sort(cand.begin(), cand.begin() + k, cand.end());
      auto& nb = d.neighbours[static_cast<std::size_t>(u)];
      for (int i = 0; i < k; ++i) nb.push_back(cand[static_cast<std::size_t>(i)].second);
    }
  }
  return Status::Ok();
}

}  // namespace waybill::opt::vrp

namespace waybill::opt {

std::size_t vrp_vehicle_slots(const VrpProblem& problem) {
  std::size_t s = 0;
  for (std::size_t t = 0; t < problem.n_types; ++t) s += static_cast<std::size_t>(std::max(0, problem.types[t].count));
  return s;
}

Status vrp_solve_cpu(const VrpProblem& problem, const VrpOptions& options, int32_t* routes_out, VrpResult* result,
                     CancelToken cancel, VrpProgress progress, void* progress_user) {
  using namespace vrp;
  Shared sh;
  sh.t0 = Clock::now();
  Data d;
  const Status st = prepare(problem, options, d);
  if (!st.ok()) return st;
  sh.d = &d;
  sh.o = &options;
  sh.has_deadline = options.time_limit_ms > 0;
  sh.deadline = sh.t0 + std::chrono::microseconds(static_cast<int64_t>(std::max(0.0, options.time_limit_ms) * 1000));
  sh.cancel = cancel;
  sh.progress = progress;
  sh.progress_user = progress_user;
  const int workers = options.workers;
  sh.ex.slot.resize(static_cast<std::size_t>(workers));
  sh.ex.round.assign(static_cast<std::size_t>(workers), 0);
  sh.ex.done.assign(static_cast<std::size_t>(workers), 0);
  std::vector<std::unique_ptr<Worker>> ws;
  for (int w = 0; w < workers; ++w) ws.push_back(std::make_unique<Worker>(sh, w));
  if (d.clients > 0) {
    if (workers == 1) {
      ws[0]->run();
    } else {
      std::vector<std::thread> threads;
      for (int w = 0; w < workers; ++w) threads.emplace_back([&, w] { ws[static_cast<std::size_t>(w)]->run(); });
      for (auto& t : threads) t.join();
    }
  }
  // The best feasible plan over the workers (ties: the lowest worker id), else the least
  // infeasible one.
  Solution empty;
  empty.routes.assign(static_cast<std::size_t>(d.slots()), {});
  const Solution* best = nullptr;
  double best_ms = 0;
  for (const auto& w : ws)
    if (w->has_best() && (best == nullptr || w->best().objective < best->objective)) best = &w->best(), best_ms = w->best_ms();
  if (best == nullptr)
    for (const auto& w : ws) {
      const Solution* b = w->best_infeasible();
      if (b != nullptr && (best == nullptr || b->excess + b->warp < best->excess + best->warp)) best = b;
    }
  if (best == nullptr) best = &empty;
  Solution out = *best;
  evaluate(d, Penalties{}, out);
  std::size_t k = 0;
  int routes = 0, routed = 0;
  for (const auto& r : out.routes) {
    for (int c : r) routes_out[k++] = c;
    routes_out[k++] = -1;
    if (!r.empty()) ++routes;
    routed += static_cast<int>(r.size());
  }
  result->cost = out.objective;
  result->distance = out.distance;
  result->duration = out.duration;
  result->excess_load = out.excess;
  result->time_warp = out.warp;
  result->feasible = out.feasible() && (d.clients == 0 || !out.routes.empty());
  if (d.clients > 0 && best == &empty) result->feasible = false;
  result->routes = routes;
  result->unassigned = d.clients - routed;
  int64_t iters = 0;
  for (const auto& w : ws) iters += w->iterations();
  result->iterations = iters;
  result->elapsed_ms = std::chrono::duration<double, std::milli>(Clock::now() - sh.t0).count();
  result->best_found_ms = best_ms;
  result->cancelled = cancel.cancelled();
  if (progress != nullptr) progress(progress_user, out.objective, result->feasible, iters, result->elapsed_ms);
  return Status::Ok();
}

}  // namespace waybill::opt
