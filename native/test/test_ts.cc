// Time-series forecasters (CPU): hand-checked values; the full parity against the TS reference
// on real M4 / M3 / carparts series is in test/kernels/ts-parity.test.ts.
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
  return waybill::test::failures() == 0 ? 0 : 1;
}
