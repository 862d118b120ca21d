// ctest entry: `waybill_tests cpu` runs the geo CPU self-checks, `waybill_tests or` the OR kernels,
// `waybill_tests trajectory` the trajectory kernels (and the CUDA pairwise recurrence compiled for
// the host), `waybill_tests ts` the time-series kernels (and the CUDA AutoETS fit compiled for the
// host), `waybill_tests ml` the GBDT kernels (and the CUDA forest walk and histogram blocks compiled
// for the host) and k-means; `waybill_tests cuda` runs CPU vs CUDA parity and exits 77 (skipped) with the
// reason when no CUDA device is usable.
#include <cstdio>
#include <cstring>
#include <string>

#include "test_util.h"
#include "waybill/geo.h"

int run_cpu_suite();
int run_cuda_suite();
int run_or_suite();
int run_or_cuda_suite();
int run_vrp_suite();
int run_ts_suite();
int run_ts_cuda_host_suite();
int run_ts_cuda_suite();
int run_trajectory_suite();
int run_trajectory_cuda_host_suite();
int run_trajectory_cuda_suite();
int run_ml_suite();
int run_ml_cuda_host_suite();
int run_ml_cuda_suite();
int run_kmeans_suite();
int run_kmeans_cuda_suite();

int main(int argc, char** argv) {
  const char* which = argc > 1 ? argv[1] : "cpu";
  if (std::strcmp(which, "or") == 0) {
    run_or_suite();
  } else if (std::strcmp(which, "vrp") == 0) {
    run_vrp_suite();
  } else if (std::strcmp(which, "ts") == 0) {
    run_ts_suite();
    run_ts_cuda_host_suite();
  } else if (std::strcmp(which, "trajectory") == 0) {
    run_trajectory_suite();
    run_trajectory_cuda_host_suite();
  } else if (std::strcmp(which, "ml") == 0) {
    run_ml_suite();
    run_ml_cuda_host_suite();
    run_kmeans_suite();
  } else if (std::strcmp(which, "cuda") == 0) {
    const auto info = waybill::geo::cuda_probe();
    if (!info.available) {
      std::printf("skipped: no CUDA device (%s)\n", info.reason.c_str());
      return 77;
    }
    std::printf("CUDA device: %s (sm_%d%d)\n", info.name.c_str(), info.cc_major, info.cc_minor);
    // `waybill_tests cuda [family,...]`: only those families (geo, or, trajectory, ml, kmeans, ts).
    const std::string only = argc > 2 ? std::string(",") + argv[2] + "," : "";
    auto want = [&](const char* family) { return only.empty() || only.find(std::string(",") + family + ",") != std::string::npos; };
    if (want("geo")) run_cuda_suite();
    if (want("or")) run_or_cuda_suite();
    if (want("trajectory")) run_trajectory_cuda_suite();
    if (want("ml")) run_ml_cuda_suite();
    if (want("kmeans")) run_kmeans_cuda_suite();
    if (want("ts")) run_ts_cuda_suite();
  } else {
    run_cpu_suite();
  }
  std::printf("%d checks, %d failed\n", waybill::test::checks(), waybill::test::failures());
  return waybill::test::failures() == 0 ? 0 : 1;
}
