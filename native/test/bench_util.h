// Shared pieces of waybill_bench (no Node needed): options, timing, a thread splitter for kernels
// that take a row range, and the CPU-vs-CUDA report (Markdown rows as they are measured, JSON at
// the end).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "waybill/common.h"

namespace waybill::bench {

struct Options {
  bool quick = false;        ///< small sizes (a smoke run on a machine without a GPU)
  int threads = 1;           ///< "all threads" of the CPU rows (hardware_concurrency unless --threads)
  std::string only;          ///< comma-separated families to run ("" = all)
  bool cuda = false;         ///< a CUDA device is usable
  std::string cuda_reason;   ///< why not, when !cuda
  int gbdt_trees = 0;        ///< trees of the GBDT training rows (0: 20, or 5 with --quick)
  std::string gbdt_rows;     ///< rows of the GBDT training rows, comma-separated ("": 1e5,1e6, or 1e5 with --quick)
  std::string gbdt_device_work;     ///< device size limits to sweep: min rows x features a device build
  std::string gbdt_partition_rows;  ///< and min rows of a device partition, comma-separated ("": none)

  bool wants(const char* family) const {
    if (only.empty()) return true;
    const std::string f = family;
    std::size_t start = 0;
    while (start <= only.size()) {
      const std::size_t end = std::min(only.find(',', start), only.size());
      if (only.compare(start, end - start, f) == 0) return true;
      start = end + 1;
    }
    return false;
  }
};

/// The positive integers of a comma-separated list ("100000,1000000"); others are skipped.
inline std::vector<std::size_t> size_list(const std::string& list) {
  std::vector<std::size_t> out;
  for (std::size_t at = 0; at <= list.size();) {
    const std::size_t end = std::min(list.find(',', at), list.size());
    const long long v = std::atoll(list.substr(at, end - at).c_str());
    if (v > 0) out.push_back(static_cast<std::size_t>(v));
    at = end + 1;
  }
  return out;
}

/// Median wall time in milliseconds of `reps` calls after `warmup` untimed ones (CUDA context
/// creation, first-touch page faults, lazy module loading).
template <typename F>
double median_ms(F&& f, int reps, int warmup = 1) {
  for (int w = 0; w < warmup; ++w) f();
  std::vector<double> t;
  for (int r = 0; r < std::max(reps, 1); ++r) {
    const auto a = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count());
  }
  std::sort(t.begin(), t.end());
  return t[t.size() / 2];
}

/// Runs fn(RowRange) over [0, n) on `threads` std::threads, handing out blocks of `block` rows
/// from a shared counter (balanced when rows cost differently, as AutoETS series do). Returns
/// the first failed Status, or Ok.
template <typename F>
Status parallel_rows(std::size_t n, int threads, std::size_t block, F&& fn) {
  std::atomic<std::size_t> next{0};
  std::vector<Status> st(static_cast<std::size_t>(std::max(threads, 1)));
  auto work = [&](std::size_t w) {
    for (;;) {
      const std::size_t b = next.fetch_add(block);
      if (b >= n) return;
      Status s = fn(RowRange{b, std::min(n, b + block)});
      if (!s.ok()) {
        st[w] = std::move(s);
        return;
      }
    }
  };
  if (threads <= 1) {
    work(0);
  } else {
    std::vector<std::thread> pool;
    for (std::size_t w = 0; w < st.size(); ++w) pool.emplace_back(work, w);
    for (auto& t : pool) t.join();
  }
  for (auto& s : st)
    if (!s.ok()) return s;
  return Status::Ok();
}

/// One CPU-vs-CUDA row. cpu_ms / cuda_ms are NaN when not measured; cuda_note then says why
/// ("skipped: no CUDA device (...)", "error: ...").
struct Row {
  Row(std::string f, std::string k, std::string s, int threads = 1)
      : family(std::move(f)), kernel(std::move(k)), size(std::move(s)), cpu_threads(threads) {}
  std::string family, kernel, size;
  int cpu_threads = 1;
  double cpu_ms = NAN;
  double cuda_ms = NAN;
  std::string cuda_note;
  std::string agreement;  ///< "bit-identical", "max rel 3e-16", "labels equal", ... or "n/a"
  bool agrees = true;     ///< false: CUDA disagreed with the CPU beyond the documented tolerance
};

class Report {
 public:
  void header() {
    std::printf("\n| family | kernel | size (synthetic) | CPU threads | CPU ms | CUDA ms | speed-up | agreement |\n");
    std::printf("|---|---|---|---|---|---|---|---|\n");
    std::fflush(stdout);
  }
  void add(const Row& r) {
    rows_.push_back(r);
    char cpu[32], cu[32], sp[32];
    fmt_ms(r.cpu_ms, cpu, sizeof cpu);
    if (std::isnan(r.cuda_ms)) {
      std::snprintf(cu, sizeof cu, "-");
    } else {
      fmt_ms(r.cuda_ms, cu, sizeof cu);
    }
    if (!std::isnan(r.cpu_ms) && !std::isnan(r.cuda_ms) && r.cuda_ms > 0) {
      std::snprintf(sp, sizeof sp, "%.2fx", r.cpu_ms / r.cuda_ms);
    } else {
      std::snprintf(sp, sizeof sp, "-");
    }
    const std::string cuda_cell = std::isnan(r.cuda_ms) ? r.cuda_note : std::string(cu);
    std::printf("| %s | %s | %s | %d | %s | %s | %s | %s%s |\n", r.family.c_str(), r.kernel.c_str(), r.size.c_str(),
                r.cpu_threads, cpu, cuda_cell.c_str(), sp, r.agrees ? "" : "MISMATCH: ", r.agreement.c_str());
    std::fflush(stdout);
  }
  bool all_agree() const {
    for (const auto& r : rows_)
      if (!r.agrees) return false;
    return true;
  }
  std::string json() const {
    std::string s = "[";
    for (std::size_t i = 0; i < rows_.size(); ++i) {
      const Row& r = rows_[i];
      s += i ? ",\n    {" : "\n    {";
      s += "\"family\":" + quote(r.family) + ",\"kernel\":" + quote(r.kernel) + ",\"size\":" + quote(r.size) +
           ",\"cpuThreads\":" + std::to_string(r.cpu_threads) + ",\"cpuMs\":" + num(r.cpu_ms) +
           ",\"cudaMs\":" + num(r.cuda_ms) + ",\"cudaNote\":" + quote(r.cuda_note) +
           ",\"speedup\":" + num(!std::isnan(r.cpu_ms) && !std::isnan(r.cuda_ms) ? r.cpu_ms / r.cuda_ms : NAN) +
           ",\"agreement\":" + quote(r.agreement) + ",\"agrees\":" + (r.agrees ? "true" : "false") + "}";
    }
    return s + (rows_.empty() ? "]" : "\n  ]");
  }

  static std::string quote(const std::string& v) {
    std::string o = "\"";
    for (char c : v) {
      if (c == '"' || c == '\\') {
        o += '\\';
        o += c;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        o += ' ';
      } else {
        o += c;
      }
    }
    return o + "\"";
  }
  static std::string num(double v) {
    if (!std::isfinite(v)) return "null";
    char b[40];
    std::snprintf(b, sizeof b, "%.4f", v);
    return b;
  }

 private:
  static void fmt_ms(double v, char* buf, std::size_t n) {
    if (std::isnan(v)) {
      std::snprintf(buf, n, "-");
    } else {
      std::snprintf(buf, n, v < 10 ? "%.3f" : "%.1f", v);
    }
  }
  std::vector<Row> rows_;
};

}  // namespace waybill::bench
