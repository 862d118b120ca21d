// waybill_bench: the native core timed without Node. First the geo tables (CPU single thread vs
// CUDA, linear assignment; bench_geo.cc), then every CUDA kernel against its CPU counterpart with
// an agreement column (bench_cuda.cc). All inputs are synthetic.
//
//   waybill_bench [--quick] [--threads N] [--only geo,or,trajectory,ts,gbdt,kmeans] [--no-geo-table]
//                 [--gbdt-trees K] [--gbdt-rows N,M] [--gbdt-device-work W,..] [--gbdt-partition-rows R,..]
//                 [--json FILE]
//
// --quick: small sizes (seconds on 2 cores). --threads: the "all threads" CPU rows (default: the
// hardware's). --only: the families of the CPU-vs-CUDA table. --gbdt-trees / --gbdt-rows: the
// GBDT training rows' trees (default 20) and row counts (default 100000,1000000), e.g. 100 trees
// as bench/ml.bench.ts trains. --gbdt-device-work / --gbdt-partition-rows: device size limits to
// time the kept-rows training at, one run each (HistDevice::min_hist_work, rows x sampled
// features, default 2^16; min_partition_rows, default 2^14), trees checked each time. Exit status: 0, also when no CUDA
// device is usable (every CUDA cell then says "skipped: no CUDA device (<reason>)"); 2 when a CUDA
// result disagreed with the CPU beyond its documented tolerance; 64 for a bad argument.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include "bench_util.h"
#include "waybill/geo.h"

std::string run_geo_bench(const waybill::bench::Options& opt);
bool run_cuda_bench(const waybill::bench::Options& opt, std::string* json);

int main(int argc, char** argv) {
  waybill::bench::Options opt;
  opt.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const char* json_path = nullptr;
  bool geo_table = true;
  for (int i = 1; i < argc; ++i) {
    const bool has_value = i + 1 < argc;
    if (std::strcmp(argv[i], "--quick") == 0) {
      opt.quick = true;
    } else if (std::strcmp(argv[i], "--no-geo-table") == 0) {
      geo_table = false;
    } else if (std::strcmp(argv[i], "--json") == 0 && has_value) {
      json_path = argv[++i];
    } else if (std::strcmp(argv[i], "--only") == 0 && has_value) {
      opt.only = argv[++i];
    } else if (std::strcmp(argv[i], "--threads") == 0 && has_value && std::atoi(argv[i + 1]) > 0) {
      opt.threads = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--gbdt-trees") == 0 && has_value && std::atoi(argv[i + 1]) > 0) {
      opt.gbdt_trees = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--gbdt-rows") == 0 && has_value && std::atol(argv[i + 1]) > 0) {
      opt.gbdt_rows = argv[++i];
    } else if (std::strcmp(argv[i], "--gbdt-device-work") == 0 && has_value && std::atol(argv[i + 1]) > 0) {
      opt.gbdt_device_work = argv[++i];
    } else if (std::strcmp(argv[i], "--gbdt-partition-rows") == 0 && has_value && std::atol(argv[i + 1]) > 0) {
      opt.gbdt_partition_rows = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: waybill_bench [--quick] [--threads N] [--only geo,or,trajectory,ts,gbdt,kmeans] "
                   "[--no-geo-table] [--gbdt-trees K] [--gbdt-rows N,M] [--gbdt-device-work W,..] "
                   "[--gbdt-partition-rows R,..] [--json FILE]\n");
      return 64;
    }
  }
  const auto cu = waybill::geo::cuda_probe();
  opt.cuda = cu.available;
  opt.cuda_reason = cu.reason;
  const std::string device = cu.available
                                 ? cu.name + " (sm_" + std::to_string(cu.cc_major) + std::to_string(cu.cc_minor) + ")"
                                 : "none: " + cu.reason;
  std::printf("# waybill_bench%s (synthetic inputs)\n", opt.quick ? " --quick" : "");
  std::printf("CUDA device: %s\nCPU threads: %d (hardware %u)\n", device.c_str(), opt.threads,
              std::thread::hardware_concurrency());
  std::fflush(stdout);

  std::string geo_json = "[]", kernels_json;
  if (geo_table) geo_json = run_geo_bench(opt);
  const bool agree = run_cuda_bench(opt, &kernels_json);
  std::printf("\n%s\n", !opt.cuda    ? "CUDA: skipped, no device; CPU side only"
                        : agree      ? "CUDA: every kernel agrees with the CPU"
                                     : "CUDA: MISMATCH against the CPU (see the agreement column)");

  if (json_path != nullptr) {
    const std::string json = std::string("{\n  \"synthetic\": true,\n  \"quick\": ") + (opt.quick ? "true" : "false") +
                             ",\n  \"cudaDevice\": " + waybill::bench::Report::quote(cu.available ? cu.name : "") +
                             ",\n  \"cudaReason\": " + waybill::bench::Report::quote(cu.available ? "" : cu.reason) +
                             ",\n  \"cpuThreads\": " + std::to_string(opt.threads) + ",\n  \"geo\": " + geo_json +
                             ",\n  \"kernels\": " + kernels_json + "\n}\n";
    FILE* f = std::fopen(json_path, "w");
    if (f == nullptr) {
      std::fprintf(stderr, "cannot write %s\n", json_path);
      return 1;
    }
    std::fputs(json.c_str(), f);
    std::fclose(f);
  }
  return agree ? 0 : 2;
}
