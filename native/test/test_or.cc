// OR kernels: linear assignment against brute force (every permutation) on small random
// matrices, rectangular, maximising and with forbidden pairs; budget allocation against
// exhaustive search on small instances and its certified gap on a large one.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include "test_util.h"
#include "waybill/or.h"

using namespace waybill;
using namespace waybill::opt;

namespace {

double brute_assignment(const std::vector<double>& c, std::size_t n, std::size_t m, bool maximize) {
  std::vector<int> cols(m);
  std::iota(cols.begin(), cols.end(), 0);
  double best = maximize ? -INFINITY : INFINITY;
  // Permutations of m columns; the first n positions are the assignment.
  do {
    double s = 0;
    for (std::size_t i = 0; i < n; ++i) s += c[i * m + cols[i]];
    if (maximize ? s > best : s < best) best = s;
  } while (std::next_permutation(cols.begin(), cols.end()));
  return best;
}

void check_assignment_small() {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> U(-50, 100);
  for (int trial = 0; trial < 300; ++trial) {
    const std::size_t m = 1 + rng() % 7;
    const std::size_t n = 1 + rng() % m;
    const bool maximize = trial % 3 == 0;
    std::vector<double> c(n * m);
    for (auto& v : c) v = trial % 5 == 0 ? std::floor(U(rng) / 20) : U(rng);  // integer ties sometimes
    if (trial % 4 == 1 && n * m > 1) c[rng() % (n * m)] = maximize ? -INFINITY : INFINITY;
    std::vector<int32_t> x(n, -1);
    double total = 0;
    const Status s = linear_assignment_cpu(c.data(), n, m, maximize, x.data(), &total);
    const double expect = brute_assignment(c, n, m, maximize);
    if (!std::isfinite(expect)) {
      CHECK(!s.ok(), "trial %d: infeasible instance not reported", trial);
      continue;
    }
    CHECK(s.ok(), "trial %d: %s", trial, s.message.c_str());
    CHECK(std::fabs(total - expect) <= 1e-9 * (1 + std::fabs(expect)), "trial %d n=%zu m=%zu: %.12g vs brute %.12g", trial, n, m,
          total, expect);
    std::vector<char> used(m, 0);
    double recomputed = 0;
    for (std::size_t i = 0; i < n; ++i) {
      CHECK(x[i] >= 0 && static_cast<std::size_t>(x[i]) < m && !used[x[i]], "trial %d: bad column %d", trial, x[i]);
      if (x[i] >= 0 && static_cast<std::size_t>(x[i]) < m) {
        used[x[i]] = 1;
        recomputed += c[i * m + x[i]];
      }
    }
    CHECK(std::fabs(recomputed - total) <= 1e-9 * (1 + std::fabs(total)), "trial %d: total does not match the assignment", trial);
  }
  // All pairs of one row forbidden: infeasible; more rows than columns: rejected.
  std::vector<double> c = {INFINITY, INFINITY, 1, 2};
  std::vector<int32_t> x(2);
  double total;
  CHECK(!linear_assignment_cpu(c.data(), 2, 2, false, x.data(), &total).ok(), "row with only forbidden pairs accepted");
  CHECK(linear_assignment_cpu(c.data(), 2, 1, false, x.data(), &total).code == StatusCode::kInvalidArgument, "n > m accepted");
  CHECK(linear_assignment_cpu(c.data(), 0, 3, false, x.data(), &total).ok() && total == 0, "n = 0");
}

void check_assignment_large_consistency() {
  // n = 300: the optimum is at most the identity's and the greedy's cost, and every column is used once.
  const std::size_t n = 300;
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> U(0, 1000);
  std::vector<double> c(n * n);
  for (auto& v : c) v = U(rng);
  std::vector<int32_t> x(n);
  double total = 0;
  CHECK(linear_assignment_cpu(c.data(), n, n, false, x.data(), &total).ok(), "n=300 failed");
  double identity = 0;
  for (std::size_t i = 0; i < n; ++i) identity += c[i * n + i];
  CHECK(total <= identity, "optimum %.3f above the identity assignment %.3f", total, identity);
  std::vector<int32_t> sorted(x);
  std::sort(sorted.begin(), sorted.end());
  bool perm = true;
  for (std::size_t i = 0; i < n; ++i) perm = perm && sorted[i] == static_cast<int32_t>(i);
  CHECK(perm, "n=300 result is not a permutation");
  // Random uniform costs: the optimum of an n x n assignment is about 1.64 * 1000 (Aldous' pi^2/6 limit).
  CHECK(total > 800 && total < 3000, "n=300 optimum %.1f far from the pi^2/6 * range law", total);
}

double brute_budget(const std::vector<double>& v, const std::vector<double>& c, std::size_t units, std::size_t options, double budget) {
  double best = 0;
  std::vector<int> pick(units, -1);
  while (true) {
    double val = 0, cost = 0;
    for (std::size_t u = 0; u < units; ++u) {
      if (pick[u] >= 0) {
        val += v[u * options + pick[u]];
        cost += c[u * options + pick[u]];
      }
    }
    if (cost <= budget) best = std::max(best, val);
    std::size_t u = 0;
    while (u < units && ++pick[u] == static_cast<int>(options)) pick[u++] = -1;
    if (u == units) break;
  }
  return best;
}

void check_budget_small() {
  std::mt19937 rng(3);
  std::uniform_real_distribution<double> V(-5, 40), C(0, 20);
  for (int trial = 0; trial < 200; ++trial) {
    const std::size_t units = 1 + rng() % 6, options = 1 + rng() % 3;
    std::vector<double> v(units * options), c(units * options);
    for (std::size_t t = 0; t < v.size(); ++t) {
      v[t] = std::round(V(rng));
      c[t] = std::round(C(rng));
    }
    const double budget = std::round(C(rng) * units / 2);
    std::vector<int32_t> choice(units);
    BudgetResult r;
    const Status s = budget_allocation_cpu(v.data(), c.data(), units, options, budget, choice.data(), &r);
    CHECK(s.ok(), "%s", s.message.c_str());
    const double opt = brute_budget(v, c, units, options, budget);
    double val = 0, cost = 0;
    for (std::size_t u = 0; u < units; ++u) {
      if (choice[u] >= 0) {
        val += v[u * options + choice[u]];
        cost += c[u * options + choice[u]];
      }
    }
    CHECK(cost <= budget + 1e-9, "trial %d: over budget %.3f > %.3f", trial, cost, budget);
    CHECK(std::fabs(val - r.value) < 1e-9 && std::fabs(cost - r.cost) < 1e-9, "trial %d: reported totals differ", trial);
    CHECK(r.value <= opt + 1e-9 && opt <= r.dual_bound + 1e-6, "trial %d: value %.3f, optimum %.3f, bound %.3f", trial, r.value, opt,
          r.dual_bound);
  }
}

void check_budget_large_gap() {
  const std::size_t units = 200000, options = 5;
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> U(0, 1);
  std::vector<double> v(units * options), c(units * options);
  for (std::size_t u = 0; u < units; ++u) {
    for (std::size_t k = 0; k < options; ++k) {
      c[u * options + k] = (k + 1) * (0.5 + U(rng));
      v[u * options + k] = std::sqrt(k + 1.0) * (0.2 + U(rng));
    }
  }
  std::vector<int32_t> choice(units);
  BudgetResult r;
  const Status s = budget_allocation_cpu(v.data(), c.data(), units, options, units * 0.8, choice.data(), &r);
  CHECK(s.ok(), "%s", s.message.c_str());
  const double gap = (r.dual_bound - r.value) / r.dual_bound;
  CHECK(gap >= -1e-12 && gap <= 1e-3, "gap %.3g above 0.1 %% (value %.3f bound %.3f)", gap, r.value, r.dual_bound);
  CHECK(r.cost <= units * 0.8 + 1e-6, "over budget");
  std::printf("budget allocation %zu x %zu: value %.2f, bound %.2f, gap %.2e\n", units, options, r.value, r.dual_bound, gap);
}

}  // namespace

int run_or_suite() {
  check_assignment_small();
  check_assignment_large_consistency();
  check_budget_small();
  check_budget_large_gap();
  return 0;
}
