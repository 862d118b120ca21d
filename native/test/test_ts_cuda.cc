// CUDA AutoETS (native/src/cuda/timeseries/): parity with ets_fit_cpu, non-seasonal and seasonal
// models.
//
// `waybill_tests ts` runs the per-(series, model) fit of the kernel (ets_task.cuh) compiled for the
// host, thread by thread as the launches map them, against ets_fit_cpu: bit-identical (same
// operations in the same order, and the host's log()), on synthetic series with and without a
// season and on the real seasonal sets M3 Quarterly (m = 4), M3 Monthly (m = 12) and M4 Hourly
// (m = 24) from WAYBILL_DATA_DIR or ../shared/data beside the repository (reported as skipped when
// absent). It also checks the entry point's argument and season-length rules, which need no device.
// `waybill_tests cuda` runs the real kernel on the device against ets_fit_cpu. CUDA's log() may
// differ from glibc's in the last bit, which can turn a Nelder-Mead comparison and send a search
// elsewhere; so per (series, model) the loglik and AICc must agree to 1e-9 relative and the
// parameters (alpha, beta, gamma, phi, level, trend, sigma2) and the seasonal states (relative to
// the largest of the level and the states) to 1e-6 on at least 99 % of the fits, and the rest are
// reported (count and worst differences). Which models are fitted (code -1 or not) must agree
// everywhere.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=off")  // as the core and nvcc --fmad=false: no fused multiply-add
#endif
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <numeric>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "../src/cuda/timeseries/ets_task.cuh"
#include "test_util.h"
#include "waybill/timeseries.h"

using namespace waybill;
using namespace waybill::ts;

namespace {

constexpr double kGuard = -12345.678;
constexpr uint32_t kNonSeasonal = (1u << 0) | (1u << 3) | (1u << 6) | (1u << 9) | (1u << 12) | (1u << 15);

struct Batch {
  std::vector<double> values;
  std::vector<int32_t> offsets{0};
  std::size_t count() const { return offsets.size() - 1; }
  void add(const std::vector<double>& y) {
    values.insert(values.end(), y.begin(), y.end());
    offsets.push_back(static_cast<int32_t>(values.size()));
  }
};

/// Synthetic trended series of lengths 10..2000 (most short, as in M3 / M4) at several scales, some
/// crossing zero (no multiplicative error), plus edge cases: too short for every model (n <= 6), too
/// short for the trended ones, constant, a zero, a huge level, a spike, a damped curve.
Batch synthetic(std::size_t count, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::normal_distribution<double> z(0.0, 1.0);
  Batch b;
  for (const int n : {0, 1, 5, 6, 7, 8, 9, 10, 11}) {
    std::vector<double> y;
    for (int t = 0; t < n; ++t) y.push_back(10 + 0.5 * t + std::sin(t * 1.7));
    b.add(y);
  }
  b.add(std::vector<double>(40, 3.0));
  {
    std::vector<double> y(30, 5.0);
    y[7] = 0;
    b.add(y);
  }
  {
    std::vector<double> y;
    for (int t = 0; t < 60; ++t) y.push_back(1e9 + 1e6 * t + 1e5 * std::sin(t));
    b.add(y);
  }
  {
    std::vector<double> y(50, 1.0);
    y[25] = 1000;
    b.add(y);
  }
  {
    std::vector<double> y;
    for (int t = 0; t < 80; ++t) y.push_back(100 - 40 * std::pow(0.95, t) + 0.3 * std::sin(t * 2.1));
    b.add(y);
  }
  while (b.count() < count) {
    const double r = u(rng);
    const int n = r < 0.6 ? 10 + static_cast<int>(u(rng) * 90) : r < 0.9 ? 100 + static_cast<int>(u(rng) * 400) : 500 + static_cast<int>(u(rng) * 1501);
    const double scale = std::pow(10.0, -2 + 6 * u(rng));
    const double level = (u(rng) < 0.85 ? 5 : -1) * scale;
    const double slope = (u(rng) - 0.4) * 0.05 * scale;
    const double noise = (0.02 + 0.3 * u(rng)) * scale;
    const double damp = u(rng) < 0.3 ? 0.97 : 1;
    std::vector<double> y(static_cast<std::size_t>(n));
    double l = level, bb = slope;
    for (int t = 0; t < n; ++t) {
      l += bb;
      bb *= damp;
      y[static_cast<std::size_t>(t)] = l + noise * z(rng);
    }
    b.add(y);
  }
  return b;
}

/// Synthetic seasonal series of season m: level, trend (damped in some) and an additive or a
/// multiplicative season of random shape with noise, lengths from 3m to 3m + 300 (most short), at
/// several scales, some crossing zero (additive models only); plus edge cases: shorter than 3m
/// (no seasonal model), exactly 3m, 3m + 1, a constant series, a zero value, a huge level.
Batch synthetic_seasonal(std::size_t count, int m, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::normal_distribution<double> z(0.0, 1.0);
  Batch b;
  auto shape = [&](std::vector<double>& s) {
    s.resize(static_cast<std::size_t>(m));
    for (int j = 0; j < m; ++j) s[static_cast<std::size_t>(j)] = std::sin(6.283185307179586 * j / m) + 0.5 * (u(rng) - 0.5);
  };
  std::vector<double> sh;
  for (const int n : {3 * m - 1, 3 * m, 3 * m + 1, 3 * m + 7}) {
    shape(sh);
    std::vector<double> y;
    for (int t = 0; t < n; ++t) y.push_back(50 + 0.2 * t + 5 * sh[static_cast<std::size_t>(t % m)] + z(rng));
    b.add(y);
  }
  b.add(std::vector<double>(static_cast<std::size_t>(4 * m), 7.0));
  {
    shape(sh);
    std::vector<double> y;
    for (int t = 0; t < 4 * m; ++t) y.push_back(20 + 3 * sh[static_cast<std::size_t>(t % m)] + 0.5 * z(rng));
    y[5] = 0;
    b.add(y);
  }
  {
    shape(sh);
    std::vector<double> y;
    for (int t = 0; t < 5 * m; ++t) y.push_back(1e9 * (1 + 0.1 * sh[static_cast<std::size_t>(t % m)]) + 1e6 * t + 1e6 * z(rng));
    b.add(y);
  }
  while (b.count() < count) {
    const double r = u(rng);
    const int n = 3 * m + (r < 0.6 ? static_cast<int>(u(rng) * 40) : r < 0.9 ? 40 + static_cast<int>(u(rng) * 120) : 160 + static_cast<int>(u(rng) * 141));
    const double scale = std::pow(10.0, -2 + 6 * u(rng));
    const double level = (u(rng) < 0.85 ? 5 : -0.5) * scale;
    const double slope = (u(rng) - 0.4) * 0.02 * scale;
    const double noise = (0.01 + 0.2 * u(rng)) * scale;
    const double damp = u(rng) < 0.3 ? 0.97 : 1;
    const bool mult = u(rng) < 0.5;
    const double amp = 0.1 + 0.4 * u(rng);
    shape(sh);
    std::vector<double> y(static_cast<std::size_t>(n));
    double l = level, bb = slope;
    for (int t = 0; t < n; ++t) {
      l += bb;
      bb *= damp;
      const double s = sh[static_cast<std::size_t>(t % m)];
      y[static_cast<std::size_t>(t)] = (mult ? l * (1 + amp * s) : l + amp * scale * s) + noise * z(rng);
    }
    b.add(y);
  }
  return b;
}

/// A set in the M4 CSV layout (header row, then "id","x1",... padded with empty fields), from
/// WAYBILL_DATA_DIR or ../shared/data beside the repository; an empty batch when absent. At most
/// `limit` series.
Batch read_m4_csv(const std::string& rel, std::size_t limit) {
  const char* env = std::getenv("WAYBILL_DATA_DIR");
  const std::string dir = env != nullptr ? std::string(env) : std::string(WAYBILL_SOURCE_DIR) + "/../shared/data";
  std::ifstream in(dir + "/" + rel);
  Batch b;
  if (!in) return b;
  std::string line;
  std::getline(in, line);  // header
  while (b.count() < limit && std::getline(in, line)) {
    std::vector<double> y;
    std::size_t start = line.find(',');
    while (start != std::string::npos) {
      const std::size_t end = line.find(',', start + 1);
      std::string cell = line.substr(start + 1, end == std::string::npos ? std::string::npos : end - start - 1);
      cell.erase(std::remove(cell.begin(), cell.end(), '"'), cell.end());
      cell.erase(std::remove(cell.begin(), cell.end(), '\r'), cell.end());
      if (!cell.empty() && cell != "NA") y.push_back(std::strtod(cell.c_str(), nullptr));
      start = end;
    }
    if (!y.empty()) b.add(y);
  }
  return b;
}

/// The kernel's work on the host: prepare_series per series (season 1 and, with seasonal models,
/// the season), fit_task per launch thread of the non-seasonal and the seasonal launch (the same
/// thread-to-(series, model) map, series sorted longest first), assemble_rows.
void run_host(const Batch& b, int season, const EtsOptions& o, double* params, double* season_out) {
  const std::size_t c = b.count();
  std::vector<double> ys(b.values.size()), scale(c), ys_season(b.values.size()), scale_season(c);
  std::vector<uint8_t> positive(c);
  for (std::size_t s = 0; s < c; ++s) {
    const int32_t a = b.offsets[s];
    cuda_detail::prepare_series(b.values.data() + a, b.offsets[s + 1] - a, 1, ys.data() + a, &scale[s], &positive[s]);
    cuda_detail::prepare_series(b.values.data() + a, b.offsets[s + 1] - a, season, ys_season.data() + a, &scale_season[s], &positive[s]);
  }
  std::vector<int32_t> order(c);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t x, int32_t y) {
    return b.offsets[static_cast<std::size_t>(x) + 1] - b.offsets[static_cast<std::size_t>(x)] >
           b.offsets[static_cast<std::size_t>(y) + 1] - b.offsets[static_cast<std::size_t>(y)];
  });
  int codes[kEtsModels];
  const int row_models = cuda_detail::plan_codes(o.model_mask, season, o.max_season, codes);
  const std::size_t m = static_cast<std::size_t>(season);
  std::vector<double> fits(c * static_cast<std::size_t>(row_models) * kEtsParams, kGuard), season_fits(c * static_cast<std::size_t>(row_models) * m, kGuard);
  for (const bool seasonal : {false, true}) {
    cuda_detail::TaskArgs a{};
    if (cuda_detail::select_launch(a, codes, row_models, seasonal) == 0) continue;
    a.ys = ys.data();
    a.scale = scale.data();
    a.ys_season = ys_season.data();
    a.scale_season = scale_season.data();
    a.offsets = b.offsets.data();
    a.positive = positive.data();
    a.order = order.data();
    a.count = c;
    a.season = season;
    a.max_iter = o.max_iter;
    a.tolerance = o.tolerance;
    a.fits = fits.data();
    a.season_fits = season_fits.data();
    const std::size_t threads = cuda_detail::task_threads(c, a.models);
    for (std::size_t t = 0; t < threads; ++t) {
      if (seasonal) cuda_detail::fit_task<true>(a, t);
      else cuda_detail::fit_task<false>(a, t);
    }
  }
  CHECK(std::find(fits.begin(), fits.end(), kGuard) == fits.end(), "host emulation: a (series, model) slot was not written");
  for (std::size_t s = 0; s < c; ++s)
    for (int k = 0; k < row_models; ++k)
      if (cuda_detail::is_seasonal(codes[k])) {
        const double* st = &season_fits[(s * static_cast<std::size_t>(row_models) + static_cast<std::size_t>(k)) * m];
        CHECK(std::find(st, st + m, kGuard) == st + m, "host emulation: seasonal states of series %zu, code %d not written", s, codes[k]);
      }
  cuda_detail::assemble_rows(fits.data(), season_fits.data(), c, row_models, codes, season, o.all_models, params, season_out);
}

struct Outputs {
  std::vector<double> params, season;
};

Outputs make_outputs(const Batch& b, int season, const EtsOptions& o) {
  const std::size_t slots = o.all_models ? kEtsModels : 1;
  return Outputs{std::vector<double>(b.count() * slots * kEtsParams, kGuard), std::vector<double>(b.count() * slots * season, kGuard)};
}

/// What a check_host run fitted (from ets_fit_cpu's output): fits, seasonal fits, the seasonal codes.
struct HostRun {
  std::size_t fitted = 0, seasonal = 0;
  uint32_t seasonal_codes = 0;
};

HostRun check_host(const char* label, const Batch& b, int season, const EtsOptions& o) {
  Outputs ref = make_outputs(b, season, o), got = make_outputs(b, season, o);
  const Status s = ets_fit_cpu(b.values.data(), b.offsets.data(), b.count(), season, o, ref.params.data(), ref.season.data(), RowRange{0, b.count()});
  CHECK(s.ok(), "%s: cpu %s", label, s.message.c_str());
  run_host(b, season, o, got.params.data(), got.season.data());
  std::size_t differ = 0, first = ref.params.size();
  for (std::size_t k = 0; k < ref.params.size(); ++k)
    if (std::memcmp(&ref.params[k], &got.params[k], sizeof(double)) != 0) {
      ++differ;
      first = std::min(first, k);
    }
  CHECK(differ == 0, "%s: %zu of %zu params differ from ets_fit_cpu (first at %zu: cpu %.17g, host kernel %.17g)", label, differ, ref.params.size(),
        first, first < ref.params.size() ? ref.params[first] : 0.0, first < ref.params.size() ? got.params[first] : 0.0);
  CHECK(std::memcmp(ref.season.data(), got.season.data(), ref.season.size() * sizeof(double)) == 0, "%s: season states differ", label);
  HostRun run;
  for (std::size_t k = 0; k < ref.params.size(); k += kEtsParams) {
    const int code = static_cast<int>(ref.params[k]);
    if (code < 0) continue;
    ++run.fitted;
    if (code % 3 != 0) {
      ++run.seasonal;
      run.seasonal_codes |= 1u << code;
    }
  }
  CHECK(run.fitted > b.count() / 2, "%s: only %zu fits (the test would prove little)", label, run.fitted);
  std::printf("  %s: %zu series, %zu fits (%zu seasonal), host-compiled kernel bit-identical to ets_fit_cpu: %s\n", label, b.count(), run.fitted,
              run.seasonal, differ == 0 ? "yes" : "NO");
  return run;
}

/// check_host with every model and all_models (and, with `select`, with the lowest AICc);
/// `min_seasonal`: how many seasonal fits the all-models run must contain, and every admissible
/// seasonal model must be among them (so that the check covers each).
void check_host_seasonal(const char* label, const Batch& b, int season, std::size_t min_seasonal, bool select) {
  EtsOptions all;
  all.all_models = true;
  const std::string a = std::string(label) + ", all models", s = std::string(label) + ", lowest AICc";
  const HostRun run = check_host(a.c_str(), b, season, all);
  CHECK(run.seasonal >= min_seasonal, "%s: only %zu seasonal fits", label, run.seasonal);
  CHECK(run.seasonal_codes == cuda_detail::kSeasonalMask, "%s: seasonal codes fitted %#x, expected every admissible one %#x", label, run.seasonal_codes,
        cuda_detail::kSeasonalMask);
  if (select) check_host(s.c_str(), b, season, EtsOptions{});
}

/// Rules of the entry point that hold with or without a device (and in the stub build).
void check_entry_rules() {
  Batch b = synthetic(12, 5);
  EtsOptions o;
  std::vector<double> P(b.count() * kEtsParams), S(b.count() * 4);
  std::vector<double> P30(b.count() * kEtsParams), S30(b.count() * 30);
  EtsOptions long_season = o;
  long_season.max_season = 40;
  Status s = ets_fit_cuda(b.values.data(), b.offsets.data(), b.count(), 30, long_season, P30.data(), S30.data(), RowRange{0, b.count()});
  CHECK(s.code == StatusCode::kUnsupported, "season 30 <= max_season 40 with seasonal models must be unsupported: %s", s.message.c_str());
#if defined(WAYBILL_WITH_CUDA)
  CHECK(s.message.find("season <= 24") != std::string::npos, "season 30: the message must give the device limit: %s", s.message.c_str());
#endif
  s = ets_fit_cuda(b.values.data(), b.offsets.data(), b.count(), 0, o, P.data(), S.data(), RowRange{0, b.count()});
#if defined(WAYBILL_WITH_CUDA)
  CHECK(s.code == StatusCode::kInvalidArgument, "season 0: %s", s.message.c_str());
  s = ets_fit_cuda(b.values.data(), b.offsets.data(), b.count(), 1, o, P.data(), S.data(), RowRange{0, b.count() + 1});
  CHECK(s.code == StatusCode::kInvalidArgument, "range past count: %s", s.message.c_str());
  CHECK(ets_fit_cuda(b.values.data(), b.offsets.data(), b.count(), 1, o, nullptr, nullptr, RowRange{3, 3}).ok(), "empty range must succeed");
#else
  CHECK(s.code == StatusCode::kUnsupported && s.message.find("without CUDA") != std::string::npos, "stub: %s", s.message.c_str());
#endif
}

/// Per (series, model) comparison of device output with ets_fit_cpu (all_models layout).
struct Tally {
  std::size_t fits = 0, outside = 0, presence = 0;
  double worst_lik = 0, worst_param = 0;
};

double rel(double a, double b) {
  if (a == b) return 0;
  const double d = std::fabs(a - b), m = std::max(std::fabs(a), std::fabs(b));
  return m < 1e-300 ? d : d / m;
}

/// Compares the all-models outputs; rs / gs: the seasonal states (m per slot).
Tally compare_all(const std::vector<double>& ref, const std::vector<double>& got, const std::vector<double>& rs, const std::vector<double>& gs,
                  std::size_t m) {
  Tally t;
  for (std::size_t k = 0, slot = 0; k < ref.size(); k += kEtsParams, ++slot) {
    const double* r = &ref[k];
    const double* g = &got[k];
    if ((r[0] < 0) != (g[0] < 0) || (r[0] >= 0 && r[0] != g[0])) {
      ++t.presence;
      continue;
    }
    if (r[0] < 0) continue;
    ++t.fits;
    const double lik = std::max(rel(r[8], g[8]), rel(r[10], g[10]));
    double par = 0;
    for (int j : {1, 2, 3, 4, 5, 6, 7}) par = std::max(par, rel(r[j], g[j]));
    // Seasonal states against the series' scale (the largest of |level| and the states): an
    // additive state near zero has no meaningful relative difference of its own.
    double size = std::fabs(r[5]);
    for (std::size_t j = 0; j < m; ++j) size = std::max(size, std::max(std::fabs(rs[slot * m + j]), std::fabs(gs[slot * m + j])));
    for (std::size_t j = 0; j < m; ++j) {
      const double d = std::fabs(rs[slot * m + j] - gs[slot * m + j]);
      if (d != 0) par = std::max(par, size < 1e-300 ? d : d / size);
    }
    t.worst_lik = std::max(t.worst_lik, lik);
    t.worst_param = std::max(t.worst_param, par);
    if (lik > 1e-9 || par > 1e-6) ++t.outside;
  }
  return t;
}

void check_device(const char* label, const Batch& b, int season, EtsOptions o) {
  o.all_models = true;
  Outputs ref = make_outputs(b, season, o), got = make_outputs(b, season, o);
  Status s = ets_fit_cpu(b.values.data(), b.offsets.data(), b.count(), season, o, ref.params.data(), ref.season.data(), RowRange{0, b.count()});
  const Status sc = ets_fit_cuda(b.values.data(), b.offsets.data(), b.count(), season, o, got.params.data(), got.season.data(), RowRange{0, b.count()});
  CHECK(s.ok() && sc.ok(), "%s: cpu %s, cuda %s", label, s.message.c_str(), sc.message.c_str());
  const Tally t = compare_all(ref.params, got.params, ref.season, got.season, static_cast<std::size_t>(season));
  CHECK(t.presence == 0, "%s: %zu (series, model) slots fitted on one side only", label, t.presence);
  CHECK(t.fits > 0 && t.outside * 100 <= t.fits, "%s: %zu of %zu fits outside tolerance (> 1 %%)", label, t.outside, t.fits);
  std::printf("  %s: %zu fits, %zu outside 1e-9 (loglik, AICc) / 1e-6 (parameters) = %.3f %%; worst rel. loglik/AICc %.2e, params %.2e\n", label,
              t.fits, t.outside, t.fits ? 100.0 * t.outside / t.fits : 0.0, t.worst_lik, t.worst_param);
  // The selection (lowest AICc) on the same batch: codes may differ only where a fit did.
  o.all_models = false;
  Outputs r1 = make_outputs(b, season, o), g1 = make_outputs(b, season, o);
  s = ets_fit_cpu(b.values.data(), b.offsets.data(), b.count(), season, o, r1.params.data(), r1.season.data(), RowRange{0, b.count()});
  const Status s1 = ets_fit_cuda(b.values.data(), b.offsets.data(), b.count(), season, o, g1.params.data(), g1.season.data(), RowRange{0, b.count()});
  CHECK(s.ok() && s1.ok(), "%s select: %s", label, s1.message.c_str());
  std::size_t other = 0;
  for (std::size_t i = 0; i < b.count(); ++i) other += r1.params[i * kEtsParams] != g1.params[i * kEtsParams] ? 1 : 0;
  CHECK(other <= t.outside, "%s select: %zu series chose another model (%zu fits differ)", label, other, t.outside);
  std::printf("  %s select: %zu of %zu series chose another model than the CPU\n", label, other, b.count());
}

void check_device_rows() {
  const Batch b = synthetic(300, 11);
  EtsOptions o;
  o.model_mask = kNonSeasonal & ~(1u << 6);  // no AAdN: the mask is honoured
  std::vector<double> ref(b.count() * kEtsParams, kGuard), got(b.count() * kEtsParams, kGuard), rs(b.count() * 12, kGuard), gs(b.count() * 12, kGuard);
  // season 12 above max_season: only non-seasonal models, season_out rows 12 wide.
  o.max_season = 6;
  const Status a = ets_fit_cpu(b.values.data(), b.offsets.data(), b.count(), 12, o, ref.data(), rs.data(), RowRange{40, 230});
  const Status c = ets_fit_cuda(b.values.data(), b.offsets.data(), b.count(), 12, o, got.data(), gs.data(), RowRange{40, 230});
  CHECK(a.ok() && c.ok(), "rows: cpu %s, cuda %s", a.message.c_str(), c.message.c_str());
  CHECK(got[40 * kEtsParams - 1] == kGuard && got[230 * kEtsParams] == kGuard && gs[40 * 12 - 1] == kGuard && gs[230 * 12] == kGuard,
        "rows [40, 230): guard values overwritten");
  std::size_t same = 0;
  for (std::size_t i = 40; i < 230; ++i) {
    CHECK(got[i * kEtsParams] != 6, "series %zu: AAdN chosen though masked out", i);
    same += got[i * kEtsParams] == ref[i * kEtsParams] ? 1 : 0;
  }
  // 190 series x 5 models: the 1 % of fits allowed to differ could change a few selections.
  CHECK(same * 100 >= 190 * 97, "rows: only %zu of 190 series chose the CPU's model", same);
}

}  // namespace

/// Part of `waybill_tests ts`: the host-compiled kernel against ets_fit_cpu, and the entry rules.
int run_ts_cuda_host_suite() {
  EtsOptions o;
  const Batch b = synthetic(160, 1);
  check_host("host-compiled CUDA AutoETS, all models", b, 1, [&] {
    EtsOptions x = o;
    x.all_models = true;
    return x;
  }());
  check_host("host-compiled CUDA AutoETS, lowest AICc", b, 1, o);
  EtsOptions masked = o;
  masked.model_mask = (1u << 0) | (1u << 12) | (1u << 1);  // ANN, MAN and a seasonal code unused at season 1
  check_host("host-compiled CUDA AutoETS, mask ANN + MAN", b, 1, masked);
  EtsOptions one = o;
  one.model_mask = 1u << 6;  // a single model: ets_fit_cpu's scalar path, not its lockstep one
  one.all_models = true;
  one.tolerance = 1e-9;
  check_host("host-compiled CUDA AutoETS, AAdN alone, tolerance 1e-9", b, 1, one);
  // Seasonal models: synthetic series for m = 4, 12, 24 (every admissible seasonal model fitted
  // somewhere), then the real seasonal sets.
  check_host_seasonal("host-compiled CUDA AutoETS, synthetic m = 4", synthetic_seasonal(120, 4, 21), 4, 500, true);
  check_host_seasonal("host-compiled CUDA AutoETS, synthetic m = 12", synthetic_seasonal(80, 12, 22), 12, 300, true);
  check_host_seasonal("host-compiled CUDA AutoETS, synthetic m = 24", synthetic_seasonal(40, 24, 23), 24, 150, true);
  {
    EtsOptions seasonal_mask;
    seasonal_mask.model_mask = (1u << 4) | (1u << 17) | (1u << 5) | (1u << 9);  // AAA, MAdM, AAM (never fitted) and MNN
    seasonal_mask.all_models = true;
    seasonal_mask.tolerance = 1e-9;
    check_host("host-compiled CUDA AutoETS, m = 12, mask AAA + MAdM + AAM + MNN, tolerance 1e-9", synthetic_seasonal(60, 12, 24), 12, seasonal_mask);
    EtsOptions over = seasonal_mask;
    over.max_season = 6;  // season 12 above max_season: the non-seasonal MNN alone
    check_host("host-compiled CUDA AutoETS, m = 12 > max_season 6", synthetic_seasonal(60, 12, 24), 12, over);
  }
  const struct {
    const char* label;
    const char* file;
    int season;
    std::size_t limit;
  } real[] = {{"M3 Quarterly", "ts/m3/Quarterly-train.csv", 4, 400},
              {"M3 Monthly", "ts/m3/Monthly-train.csv", 12, 800},
              {"M4 Hourly (first 120 series)", "ts/m4/Hourly-train.csv", 24, 120}};
  for (const auto& set : real) {
    const Batch b = read_m4_csv(set.file, set.limit);
    const std::string label = std::string("host-compiled CUDA AutoETS, ") + set.label;
    if (b.count() == 0) {
      std::printf("  %s: skipped (%s not found under WAYBILL_DATA_DIR or ../shared/data)\n", label.c_str(), set.file);
      continue;
    }
    check_host_seasonal(label.c_str(), b, set.season, b.count(), false);
  }
  check_entry_rules();
  return waybill::test::failures() == 0 ? 0 : 1;
}

/// Part of `waybill_tests cuda` (a device is present): the kernel against ets_fit_cpu.
int run_ts_cuda_suite() {
  EtsOptions o;
  check_device("cuda AutoETS, 2000 synthetic series", synthetic(2000, 2), 1, o);
  EtsOptions tight = o;
  tight.tolerance = 1e-9;
  check_device("cuda AutoETS, 300 series, tolerance 1e-9", synthetic(300, 3), 1, tight);
  check_device_rows();
  // More than one launch (kSeriesPerLaunch = 2^17 series): short series keep it quick.
  {
    Batch b;
    std::mt19937_64 rng(9);
    std::normal_distribution<double> z(0.0, 1.0);
    for (std::size_t i = 0; i < (std::size_t{1} << 17) + 300; ++i) {
      std::vector<double> y(12);
      for (int t = 0; t < 12; ++t) y[static_cast<std::size_t>(t)] = 20 + 0.3 * t + z(rng);
      b.add(y);
    }
    EtsOptions sel;
    sel.model_mask = (1u << 0) | (1u << 9);
    check_device("cuda AutoETS, 131372 short series (two launches), ANN + MNN", b, 1, sel);
  }
  // Seasonal models.
  check_device("cuda AutoETS, 1000 synthetic series, m = 4", synthetic_seasonal(1000, 4, 31), 4, o);
  check_device("cuda AutoETS, 500 synthetic series, m = 12", synthetic_seasonal(500, 12, 32), 12, o);
  check_device("cuda AutoETS, 200 synthetic series, m = 24", synthetic_seasonal(200, 24, 33), 24, o);
  check_device("cuda AutoETS, 300 synthetic series, m = 12, tolerance 1e-9", synthetic_seasonal(300, 12, 34), 12, tight);
  const std::pair<const char*, int> sets[] = {{"ts/m3/Quarterly-train.csv", 4}, {"ts/m3/Monthly-train.csv", 12}, {"ts/m4/Hourly-train.csv", 24}};
  for (const auto& set : sets) {
    const Batch b = read_m4_csv(set.first, 100000);
    const std::string label = std::string("cuda AutoETS, ") + set.first;
    if (b.count() == 0) {
      std::printf("  %s: skipped (not found under WAYBILL_DATA_DIR or ../shared/data)\n", label.c_str());
      continue;
    }
    check_device(label.c_str(), b, set.second, o);
  }
  // More than one seasonal launch (kSeasonalSeriesPerLaunch = 2^15 series).
  {
    Batch b;
    std::mt19937_64 rng(19);
    std::normal_distribution<double> z(0.0, 1.0);
    for (std::size_t i = 0; i < (std::size_t{1} << 15) + 300; ++i) {
      std::vector<double> y(16);
      for (int t = 0; t < 16; ++t) y[static_cast<std::size_t>(t)] = 20 + 0.3 * t + 3 * ((t % 4) - 1.5) + z(rng);
      b.add(y);
    }
    EtsOptions sel;
    sel.model_mask = (1u << 1) | (1u << 11) | (1u << 9);  // ANA, MNM, MNN
    check_device("cuda AutoETS, 33068 short series m = 4 (two seasonal launches), ANA + MNM + MNN", b, 4, sel);
  }
  check_entry_rules();
  return waybill::test::failures() == 0 ? 0 : 1;
}
