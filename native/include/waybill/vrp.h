// Vehicle routing: a hybrid genetic search (HGS) for capacitated routing with time windows,
// multi-dimensional capacity, mixed fleets, several depots and optional (prize-collecting) visits.
#pragma once

#include <cstdint>

#include "waybill/common.h"

namespace waybill::opt {

/// Capacity dimensions the solver supports.
constexpr std::size_t kVrpMaxDims = 8;

/// One vehicle type of the fleet.
struct VrpVehicleType {
  int32_t count = 1;                // vehicles of this type (>= 1)
  const double* capacity = nullptr;  // dims values
  double fixed_cost = 0;             // paid once per used vehicle
  double cost_distance = 1;          // per unit of distance
  double cost_time = 0;              // per unit of route duration
  double max_duration = 0;           // <= 0 or +inf: no limit
  int32_t start_depot = 0;           // node index < depots
  int32_t end_depot = 0;
  double shift_start = 0;            // earliest departure
  double shift_end = 0;              // latest return; +inf: none
};

/// A routing problem over n nodes; nodes 0..depots-1 are depots, the rest are customers.
/// Arrays are owned by the caller and must stay valid for the call.
struct VrpProblem {
  std::size_t n = 0;
  std::size_t depots = 1;
  std::size_t dims = 1;
  const double* dist = nullptr;     // n * n, row-major, >= 0
  const double* time = nullptr;     // n * n travel times (may equal dist)
  const double* demand = nullptr;   // n * dims, >= 0
  const double* service = nullptr;  // n (null: 0)
  const double* early = nullptr;    // n (null: no windows)
  const double* late = nullptr;     // n
  const double* penalty = nullptr;  // n: +inf = required; finite = optional, costs this when left out (null: all required)
  const double* coords = nullptr;   // 2 * n (x, y) or null; used for the polar sectors of SWAP*
  const VrpVehicleType* types = nullptr;
  std::size_t n_types = 0;
};

struct VrpOptions {
  uint64_t seed = 1;
  /// Genetic iterations (crossover + local search) per worker; <= 0: no limit (time rules).
  int64_t max_iterations = 0;
  /// Wall-clock limit, ms; <= 0: none (then max_iterations must be set).
  double time_limit_ms = 0;
  /// Independent populations on threads that exchange their best solutions.
  int workers = 1;
  /// Granular neighbourhood size (nearest correlated customers per customer).
  int neighbours = 20;
  int population = 25;      // mu
  int generation = 40;      // lambda
  int elite = 4;
  int closest = 5;
  double target_feasible = 0.2;
  /// Iterations without improvement before the population restarts.
  int64_t restart_after = 20000;
  /// Iterations between elite exchanges of the workers.
  int64_t exchange_every = 200;
};

struct VrpResult {
  double cost = 0;       // objective: fixed + distance + time costs + penalties of left-out visits
  double distance = 0;   // total distance
  double duration = 0;   // total route duration (minimal, waiting before departure removed)
  double excess_load = 0;  // > 0: capacity violated (no feasible plan found)
  double time_warp = 0;    // > 0: windows / duration violated
  bool feasible = false;
  int32_t routes = 0;      // non-empty routes
  int32_t unassigned = 0;  // optional visits left out
  int64_t iterations = 0;  // summed over workers
  double elapsed_ms = 0;
  double best_found_ms = 0;  // when the returned plan was found
  bool cancelled = false;
};

/// Called now and then from a solver thread: best objective so far, whether it is feasible,
/// iterations, elapsed ms. May be null.
using VrpProgress = void (*)(void* user, double best, bool feasible, int64_t iterations, double elapsed_ms);

/// Total vehicle slots of a problem (sum of the type counts): the size of routes_out's separators.
std::size_t vrp_vehicle_slots(const VrpProblem& problem);

/// Solves the problem. routes_out (length customers + vehicle slots) receives, for each vehicle
/// slot in type order, the customers it serves in order followed by -1. Left-out optional
/// customers are not listed. Deterministic for a given seed, worker count and iteration limit.
Status vrp_solve_cpu(const VrpProblem& problem, const VrpOptions& options, int32_t* routes_out, VrpResult* result,
                     CancelToken cancel = {}, VrpProgress progress = nullptr, void* progress_user = nullptr);

}  // namespace waybill::opt
