// Time-series forecasters (CPU): hand-checked values; the full parity against the TS reference
// on real M4 / M3 / carparts series is in test/kernels/ts-parity.test.ts.
#include <cstring>
#include <cmath>
#include <vector>

#include "test_util.h"
#include "waybill/timeseries.h"

using namespace waybill;

int run_ts_suite() {
  const std::vector<double> v = {0, 4, 0, 0, 2, 1, 2, 3, 5, 5, 5, 5};
  const std::vector<int32_t> off = {0, 5, 8, 12};
  std::vector<double> out(3 * 2);
  auto run = [&](ts::Method m, double alpha = 0.5, double beta = 0.5) {
    return ts::forecast_cpu(v.data(), off.data(), 3, m, 2, 1, alpha, beta, out.data(), nullptr, RowRange{0, 3});
  };
  CHECK(run(ts::Method::kCroston).ok(), "croston");
  CHECK(std::fabs(out[0] - 3 / 2.5) < 1e-12, "croston %f", out[0]);
  CHECK(run(ts::Method::kSba).ok() && std::fabs(out[0] - 0.75 * 3 / 2.5) < 1e-12, "sba %f", out[0]);
  CHECK(run(ts::Method::kTsb).ok() && std::fabs(out[0] - 0.575 * 3) < 1e-12, "tsb %f", out[0]);
  CHECK(run(ts::Method::kDrift).ok() && out[2] == 4 && out[3] == 5, "drift %f %f", out[2], out[3]);
  CHECK(run(ts::Method::kSes).ok() && std::fabs(out[4] - 5) < 1e-9, "ses of a constant %f", out[4]);
  CHECK(run(ts::Method::kNaive).ok() && out[1] == 2, "naive");
  CHECK(ts::forecast_cpu(v.data(), off.data(), 3, ts::Method::kNaive, 0, 1, 0.1, 0.1, out.data(), nullptr, RowRange{0, 3}).code ==
            StatusCode::kInvalidArgument,
        "horizon 0 accepted");
  // ADIDA: demands every 3rd period -> k = 3, bucket totals 3 -> 1 per period.
  {
    const std::vector<double> d = {0, 0, 3, 0, 0, 3, 0, 0, 3};
    const std::vector<int32_t> o = {0, 9};
    std::vector<double> f(2);
    CHECK(ts::forecast_cpu(d.data(), o.data(), 1, ts::Method::kAdida, 2, 1, 0.1, 0.1, f.data(), nullptr, RowRange{0, 1}).ok() &&
              std::fabs(f[0] - 1) < 1e-9,
          "adida %f", f[0]);
  }
  // AutoETS: a seasonal series gets a seasonal model and finite states; a constant one a flat forecast;
  // one that is too short gets code -1.
  {
    std::vector<double> y;
    for (int t = 0; t < 96; ++t) y.push_back(50 + 0.2 * t + 8 * std::sin(2 * M_PI * t / 12) + std::sin(t * 7.3));
    for (int t = 0; t < 30; ++t) y.push_back(5);
    for (int t = 0; t < 4; ++t) y.push_back(t + 1.0);
    const std::vector<int32_t> o = {0, 96, 126, 130};
    std::vector<double> params(3 * ts::kEtsParams), season(3 * 12);
    ts::EtsOptions opt;
    CHECK(ts::ets_fit_cpu(y.data(), o.data(), 3, 12, opt, params.data(), season.data(), RowRange{0, 3}).ok(), "ets fit");
    CHECK(static_cast<int>(params[0]) % 3 != 0, "seasonal series got model code %f", params[0]);
    CHECK(std::isfinite(params[5]) && std::isfinite(params[10]), "level %f aicc %f", params[5], params[10]);
    CHECK(std::fabs(params[ts::kEtsParams + 5] - 5) < 1e-6, "constant series level %f", params[ts::kEtsParams + 5]);
    CHECK(params[2 * ts::kEtsParams] == -1, "too-short series code %f", params[2 * ts::kEtsParams]);
  }
  // The non-seasonal models are fitted in lockstep (four models per vector pass) when two or more
  // are allowed: the best of {ANN, AAN, AAdN, MNN, MAN, MAdN} fitted together must equal, bit for
  // bit, the best of the six fitted one model at a time (a one-model mask takes the scalar path).
  {
    std::mt19937 rng(7);
    std::normal_distribution<double> g(0, 1);
    std::vector<double> y;
    std::vector<int32_t> o = {0};
    for (int s = 0; s < 12; ++s) {
      const int n = 20 + 37 * s;
      double level = 100 + 10 * s, slope = 0.05 * (s % 5) - 0.08;
      for (int t = 0; t < n; ++t) {
        slope = 0.9 * slope + 0.02 * g(rng);
        level = std::max(1.0, level + slope + 0.5 * g(rng));
        y.push_back(level * (1 + 0.02 * g(rng)));
      }
      o.push_back(static_cast<int32_t>(y.size()));
    }
    const std::size_t count = o.size() - 1;
    auto fit = [&](uint32_t mask, std::vector<double>& params) {
      ts::EtsOptions opt;
      opt.model_mask = mask;
      std::vector<double> season(count);
      params.assign(count * ts::kEtsParams, 0.0);
      return ts::ets_fit_cpu(y.data(), o.data(), count, 1, opt, params.data(), season.data(), RowRange{0, count}).ok();
    };
    const int codes[6] = {0, 3, 6, 9, 12, 15};  // ANN, AAN, AAdN, MNN, MAN, MAdN
    std::vector<double> together, single[6];
    uint32_t all = 0;
    for (int c : codes) all |= 1u << c;
    CHECK(fit(all, together), "lockstep fit");
    for (int k = 0; k < 6; ++k) CHECK(fit(1u << codes[k], single[k]), "single fit %d", codes[k]);
    int same = 0;
    for (std::size_t s = 0; s < count; ++s) {
      int bk = -1;
      for (int k = 0; k < 6; ++k) {
        const double* P = single[k].data() + s * ts::kEtsParams;
        if (P[0] >= 0 && std::isfinite(P[10]) && (bk < 0 || P[10] < single[bk][s * ts::kEtsParams + 10])) bk = k;
      }
      const double* A = together.data() + s * ts::kEtsParams;
      const double* B = single[bk].data() + s * ts::kEtsParams;
      bool eq = true;
      for (int j = 0; j < ts::kEtsParams; ++j) eq = eq && std::memcmp(&A[j], &B[j], sizeof(double)) == 0;
      CHECK(eq, "series %zu: lockstep code %g aicc %.17g vs one at a time code %g aicc %.17g", s, A[0], A[10], B[0], B[10]);
      same += eq ? 1 : 0;
    }
    CHECK(same == static_cast<int>(count), "%d of %zu series identical", same, count);
  }
  return waybill::test::failures() == 0 ? 0 : 1;
}
