// Private helpers of the GBDT CPU kernels: the mulberry32 generator, feature bins and objectives
// written exactly as the TypeScript reference (src/kernels/ml/random.ts, binning.ts,
// objectives.ts) evaluates them, a small std::thread splitter, a persistent helper pool for
// the many short parallel steps of one training run, and the interface of a histogram builder
// on another device (HistDevice, the CUDA one in native/src/cuda/ml/gbdt_hist.cu).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "cat_bits.h"
#include "waybill/ml.h"

namespace waybill::ml::detail {

/// mulberry32 (random.ts): uniform draws in [0, 1), one uint32 / 2^32 each.
class Mulberry32 {
 public:
  explicit Mulberry32(uint32_t seed) : a_(seed) {}
  double operator()() {
    a_ += 0x6d2b79f5u;
    uint32_t t = a_;
    t = (t ^ (t >> 15)) * (t | 1u);
    t ^= t + (t ^ (t >> 7)) * (t | 61u);
    return static_cast<double>(t ^ (t >> 14)) / 4294967296.0;
  }

 private:
  uint32_t a_;
};

/// k distinct indices of 0..n-1, ascending (random.ts sampleWithoutReplacement: exactly k draws).
std::vector<int32_t> sample_without_replacement(Mulberry32& rng, int32_t n, int32_t k);

/// TypedArray.prototype.sort order for doubles without NaN: ascending, -0 before +0.
inline bool js_less(double a, double b) { return a < b || (a == b && std::signbit(a) && !std::signbit(b)); }
/// Long arrays: an LSD radix sort on order-preserving keys (negative doubles with every bit
/// flipped, the others with the sign bit flipped), 11 bits a pass, passes whose digit is the same
/// for every key skipped. Doubles without NaN have one bit pattern per value except the zeros,
/// and the keys put -0 before +0, so the result is the comparison sort's, bit for bit.
inline void js_sort_radix(double* begin, double* end) {
  const std::size_t n = static_cast<std::size_t>(end - begin);
  std::vector<uint64_t> a(n), b(n);
  for (std::size_t i = 0; i < n; ++i) {
    uint64_t k;
    std::memcpy(&k, begin + i, 8);
    a[i] = (k >> 63) != 0 ? ~k : k | 0x8000000000000000ULL;
  }
  constexpr int kBits = 11;
  constexpr std::size_t kBuckets = std::size_t{1} << kBits;
  std::vector<std::size_t> count(kBuckets);
  for (int shift = 0; shift < 64; shift += kBits) {
    std::fill(count.begin(), count.end(), 0);
    for (std::size_t i = 0; i < n; ++i) ++count[(a[i] >> shift) & (kBuckets - 1)];
    if (count[(a[0] >> shift) & (kBuckets - 1)] == n) continue;  // one digit for all: nothing moves
    std::size_t sum = 0;
    for (std::size_t d = 0; d < kBuckets; ++d) {
      const std::size_t c = count[d];
      count[d] = sum;
      sum += c;
    }
    for (std::size_t i = 0; i < n; ++i) b[count[(a[i] >> shift) & (kBuckets - 1)]++] = a[i];
    a.swap(b);
  }
  for (std::size_t i = 0; i < n; ++i) {
    const uint64_t k = a[i];
    const uint64_t bits = (k >> 63) != 0 ? k & 0x7fffffffffffffffULL : ~k;
    std::memcpy(begin + i, &bits, 8);
  }
}

inline void js_sort(double* begin, double* end) {
  if (end - begin >= 4096) {
    js_sort_radix(begin, end);
    return;
  }
  std::sort(begin, end);
  // Equal values are interchangeable except zeros: put -0 before +0 in each run of zeros.
  double* z = std::lower_bound(begin, end, 0.0);
  double* z_end = std::upper_bound(z, end, 0.0);
  const auto negative = std::count_if(z, z_end, [](double v) { return std::signbit(v); });
  for (double* q = z; q < z_end; ++q) *q = q - z < negative ? -0.0 : 0.0;
}

/// binning.ts FeatureBins.
struct FeatureBins {
  bool categorical = false;
  std::vector<double> upper;       // numeric: upper bounds of value bins 0..numValueBins-2
  std::vector<int32_t> categories;  // categorical: code of each own value bin
  bool has_other = false;
  int num_value_bins = 1;  // the missing bin is numbered num_value_bins
};

/// binning.ts BinnedMatrix: bins row-major rows x p, histogram slot offsets (p + 1).
struct BinnedMatrix {
  std::vector<uint8_t> bins;
  std::vector<int32_t> offsets;
  std::vector<FeatureBins> mappers;
};

/// buildBins + binMatrix. Fails on a categorical value that is not a code in [0, 2^31 - 1].
Status bin_features(const double* features, std::size_t rows, std::size_t p, const std::vector<bool>& categorical,
                    int max_bins, std::size_t sample_size, BinnedMatrix* out, int threads = 1);

/// Type-7 quantile of sorted values (objectives.ts quantileSorted).
double quantile_sorted(const double* sorted, std::size_t m, double alpha);

/// The objectives of objectives.ts, same formulas and order of operations.
struct ObjectiveFns {
  ObjectiveSpec spec;
  bool refits() const { return spec.kind == Objective::kL1 || spec.kind == Objective::kQuantile; }
  double alpha() const { return spec.kind == Objective::kL1 ? 0.5 : spec.alpha; }
  Status check_labels(const char* field, const double* y, std::size_t n) const;
  double init_score(const double* y, std::size_t n) const;
  /// Gradients and hessians of rows [begin, end).
  void gradients(const double* y, const double* f, double* g, double* h, std::size_t begin, std::size_t end) const;
  /// Re-fitted raw leaf value from the rows rows[start..end) (l1 / quantile); scratch is resized.
  double refit_leaf(const double* y, const double* f, const int32_t* rows, std::size_t start, std::size_t end,
                    std::vector<double>& scratch) const;
  double transform(double raw) const;
  /// Whether loss_terms can hand gradients_from_link the per-row link value the gradient needs
  /// (logistic: the probability; Poisson: the mean), so the next iteration computes no exp.
  bool caches_link() const { return spec.kind == Objective::kLogistic || spec.kind == Objective::kPoisson; }
  /// Rows [begin, end): term[i] = row i's share of the reported loss before the division by n,
  /// so that summing term[0..n) in ascending order gives the reference's loss sum bit for bit
  /// (its `t -= v` is `t += -v` exactly); with caches_link(), also link[i] (unless link is null).
  void loss_terms(const double* y, const double* f, double* term, double* link, std::size_t begin,
                  std::size_t end) const;
  /// gradients() from link values computed by loss_terms on the same scores (identical results).
  void gradients_from_link(const double* y, const double* link, double* g, double* h, std::size_t begin,
                           std::size_t end) const;
};

/// gbdt.ts gridAnchor: R = 2^(e + 1) with n * max_abs < 2^e, from the exponent bits; 0 when
/// n * max_abs is 0, not finite or too large.
inline double grid_anchor(double max_abs, std::size_t n) {
  const double x = static_cast<double>(n) * max_abs;
  if (!(x > 0) || !std::isfinite(x)) return 0;
  uint64_t b;
  std::memcpy(&b, &x, 8);
  const int biased = static_cast<int>((b >> 52) & 0x7ff);
  const int e = biased == 0 ? -1022 : biased - 1022;
  const int r_biased = e + 1 + 1023;
  if (r_biased >= 0x7ff) return 0;
  const uint64_t r = static_cast<uint64_t>(r_biased) << 52;
  double out;
  std::memcpy(&out, &r, 8);
  return out;
}

/// The quantum of values rounded against anchor r (gbdt.ts roundToGrid: (r + v) - r for |v| < r / 2,
/// a multiple of ulp(r / 2) = r * 2^-53), or 0 when it is not a normal number (an anchor below
/// 2^-969): then the values are left to order-exact sums on the CPU. An anchor of 0 (all values
/// zero) gives quantum 1.
inline double gradient_quantum(double r) {
  if (r == 0) return 1;
  const double q = r * 0x1p-53;
  return q >= 0x1p-1022 ? q : 0;
}

/// Builds training histograms somewhere other than the calling thread (the CUDA device:
/// native/src/cuda/ml/gbdt_hist.cu). The trainer calls set_gradients and set_features once per
/// iteration, before the first build of that iteration, then build once per large leaf. Every
/// call returns an error Status instead of aborting; after an error the trainer stops.
class HistDevice {
 public:
  virtual ~HistDevice() = default;
  /// The rounded gradients and hessians of all training rows (rows doubles each), with their
  /// quanta: powers of two (normal numbers) of which every value is an integer multiple, small
  /// enough that rows x the largest value stays under 2^52 quanta (gradient_quantum). A device may
  /// then add them as 64-bit integers; a value off its grid is an error (kCudaError on the device).
  /// The arrays must stay valid until the device is destroyed or given other arrays: a device may
  /// page-lock them for faster copies (the CUDA one does).
  virtual Status set_gradients(const double* grad, const double* hess, double grad_quantum,
                               double hess_quantum) = 0;
  /// The sampled features of this iteration (ascending indices, nf of them).
  virtual Status set_features(const int32_t* feats, std::size_t nf) = 0;
  /// Histogram of the rows rows[0, len) (training row indices) over the sampled features into
  /// hist (3 doubles (G, H, count) per slot, the slots of BinnedMatrix::offsets): the slots of
  /// every sampled feature are overwritten, the others are left as they are. The sums must be
  /// exact (rounded gradients), so that any order of additions gives the CPU's histogram.
  virtual Status build(const int32_t* rows, std::size_t len, double* hist) = 0;

  // Optional: row lists kept on the device. A device that keeps_rows() holds its own copy of the
  // trainer's position array (the tree's sampled rows, partitioned leaf by leaf), so a large
  // leaf is partitioned there and its histograms are built there without its rows crossing the
  // bus; the trainer copies a leaf's rows back only when the CPU needs them (a small leaf, the
  // leaf values and scores at the end of the tree). The partition is the CPU's: stable, the left
  // rows first, so both copies hold the same rows at the same positions.
  virtual bool keeps_rows() const { return false; }
  /// Positions [0, len) of this tree: rows[0, len) (training row indices, as build() takes).
  virtual Status set_rows(const int32_t* /*rows*/, std::size_t /*len*/) { return unsupported_rows(); }
  /// build() of the rows at positions [start, end) of the device's copy.
  virtual Status build_at(std::size_t /*start*/, std::size_t /*end*/, double* /*hist*/) { return unsupported_rows(); }
  /// Stable partition of positions [start, end) by table[bin of `feature`] (1: left, 0: right;
  /// 256 entries). expected_left is the trainer's count of left rows (from the histogram); a
  /// different count on the device is an error (kCudaError), never a silently different tree.
  virtual Status partition(std::size_t /*start*/, std::size_t /*end*/, int32_t /*feature*/,
                           const uint8_t* /*table*/, std::size_t /*expected_left*/) {
    return unsupported_rows();
  }
  /// The rows at positions [start, end) of the device's copy into rows[0, end - start).
  virtual Status get_rows(std::size_t /*start*/, std::size_t /*end*/, int32_t* /*rows*/) { return unsupported_rows(); }

  // Optional: the device's own size limits, 0 for the trainer's defaults (gbdt_train.cc
  // kDeviceHistWork: the least rows x sampled features of a build sent to the device;
  // kDevicePartitionRows: the least rows of a leaf partitioned where its rows are kept). The
  // trees do not depend on them (the sums are exact); only the time does: waybill_bench
  // --gbdt-device-work sweeps them on a GPU.
  virtual std::size_t min_hist_work() const { return 0; }
  virtual std::size_t min_partition_rows() const { return 0; }

 private:
  static Status unsupported_rows() {
    return Status::Error(StatusCode::kUnsupported, "this histogram device does not keep row lists");
  }
};

/// Creates a HistDevice for a binned matrix of `rows` x `p` (copied; the BinnedMatrix may go).
using HistDeviceFactory = Status (*)(const BinnedMatrix& binned, std::size_t rows, std::size_t p,
                                     std::unique_ptr<HistDevice>* out);

/// The CUDA histogram builder (gbdt_hist.cu); kUnsupported with the reason in a build without
/// CUDA (native/src/cuda_stub.cc), kCudaError (or kOutOfMemory) when the device cannot be used.
Status make_cuda_hist(const BinnedMatrix& binned, std::size_t rows, std::size_t p, std::unique_ptr<HistDevice>* out);

/// gbdt_train_cpu with the histogram builder made by `factory` (null: the CPU only; params.device
/// is then ignored). The tests pass a host emulation of the CUDA kernel here.
Status gbdt_train_with(const Dataset& train, const Dataset* valid, const GbdtParams& params, TrainResult* out,
                       CancelToken cancel, const std::function<void(const Progress&)>& progress,
                       HistDeviceFactory factory);

/// x[i] = js_log(x[i]) for i in [0, n), bit for bit, four lanes at a time where the CPU allows.
void js_log_inplace(double* x, std::size_t n);
/// x[i] = js_exp(x[i]) for i in [0, n), bit for bit, likewise.
void js_exp_inplace(double* x, std::size_t n);

/// Runs fn(begin, end) over [0, n) split into `threads` contiguous blocks (inline when 1).
template <typename Fn>
void parallel_blocks(int threads, std::size_t n, Fn&& fn) {
  const std::size_t t = std::min<std::size_t>(static_cast<std::size_t>(std::max(1, threads)), n);
  if (t <= 1) {
    if (n > 0) fn(std::size_t{0}, n);
    return;
  }
  std::vector<std::thread> pool;
  std::vector<std::exception_ptr> errors(t);
  pool.reserve(t - 1);
  for (std::size_t k = 1; k < t; ++k) {
    pool.emplace_back([&, k] {
      try {
        fn(n * k / t, n * (k + 1) / t);
      } catch (...) {
        errors[k] = std::current_exception();
      }
    });
  }
  try {
    fn(std::size_t{0}, n / t);
  } catch (...) {
    errors[0] = std::current_exception();
  }
  for (auto& th : pool) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

/// Helper threads kept for one training run (threads - 1 of them; none for 1 thread). run()
/// splits [0, n) into the blocks of parallel_blocks (so every result is the same), and the
/// calling thread claims blocks too: a block no helper has claimed yet is run by the caller.
/// So the many short steps of a training (a histogram, a gradient pass) neither start threads
/// nor wait for a helper the OS has not scheduled (on a busy machine that wait, once per step,
/// made 2 threads slower than 1). One caller at a time; not reentrant.
class WorkPool {
 public:
  explicit WorkPool(int threads) : threads_(static_cast<std::size_t>(std::max(1, threads))) {
    helpers_.reserve(threads_ - 1);
    for (std::size_t k = 1; k < threads_; ++k) helpers_.emplace_back([this] { helper(); });
  }
  ~WorkPool() {
    {
      std::lock_guard<std::mutex> lock(m_);
      stop_ = true;
      epoch_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    for (auto& th : helpers_) th.join();
  }
  WorkPool(const WorkPool&) = delete;
  WorkPool& operator=(const WorkPool&) = delete;

  /// Runs fn(begin, end) over [0, n) in min(threads, n) contiguous blocks (inline when 1).
  template <typename Fn>
  void run(std::size_t n, Fn&& fn) {
    const std::size_t t = std::min(threads_, n);
    if (t <= 1) {
      if (n > 0) fn(std::size_t{0}, n);
      return;
    }
    auto block = [&](std::size_t k) { fn(n * k / t, n * (k + 1) / t); };
    using Block = decltype(block);
    dispatch(t, [](void* ctx, std::size_t k) { (*static_cast<Block*>(ctx))(k); }, &block);
  }

 private:
  using Task = void (*)(void*, std::size_t);

  void dispatch(std::size_t blocks, Task task, void* ctx) {
    {
      std::lock_guard<std::mutex> lock(m_);
      task_ = task;
      ctx_ = ctx;
      blocks_ = blocks;
      next_ = 0;
      done_.store(0, std::memory_order_relaxed);
      error_ = nullptr;
      epoch_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    std::unique_lock<std::mutex> lock(m_);
    while (next_ < blocks_) {
      const std::size_t k = next_++;
      lock.unlock();
      execute(task, ctx, k, lock);
    }
    if (done_.load(std::memory_order_relaxed) != blocks_) {
      lock.unlock();
      spin_until([&] { return done_.load(std::memory_order_acquire) == blocks; });
      lock.lock();
      finished_.wait(lock, [&] { return done_.load(std::memory_order_relaxed) == blocks_; });
    }
    blocks_ = 0;  // a helper waking late finds nothing to claim
    if (error_) {
      std::exception_ptr e = error_;
      error_ = nullptr;
      lock.unlock();
      std::rethrow_exception(e);
    }
  }

  /// Runs block k (lock released), then relocks and counts it done.
  void execute(Task task, void* ctx, std::size_t k, std::unique_lock<std::mutex>& lock) {
    std::exception_ptr err;
    try {
      task(ctx, k);
    } catch (...) {
      err = std::current_exception();
    }
    lock.lock();
    if (err && !error_) error_ = err;
    if (done_.fetch_add(1, std::memory_order_release) + 1 == blocks_) finished_.notify_all();
  }

  /// Busy-waits (with a pause hint) until ready() or about kSpinMicros have passed. Training
  /// dispatches come back to back (gradients, histograms, scores, loss) with short serial work in
  /// between; a helper (or the caller) that spins over such a gap starts at once instead of paying
  /// a futex wake-up, which on small tables cost more than the parallel work saved. Longer gaps
  /// fall back to the condition variables, so an idle pool uses no CPU.
  template <typename Ready>
  static void spin_until(Ready&& ready) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(kSpinMicros);
    for (unsigned i = 1;; ++i) {
      if (ready()) return;
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
      if ((i & 63) == 0 && std::chrono::steady_clock::now() >= until) return;
    }
  }

  void helper() {
    std::unique_lock<std::mutex> lock(m_);
    for (;;) {
      if (!(stop_ || next_ < blocks_)) {
        const uint64_t seen = epoch_.load(std::memory_order_relaxed);  // the dispatch already served
        lock.unlock();
        spin_until([&] { return epoch_.load(std::memory_order_acquire) != seen; });
        lock.lock();
        wake_.wait(lock, [&] { return stop_ || next_ < blocks_; });
      }
      if (stop_) return;
      const std::size_t k = next_++;
      const Task task = task_;
      void* const ctx = ctx_;
      lock.unlock();
      execute(task, ctx, k, lock);
    }
  }

  const std::size_t threads_;
  std::vector<std::thread> helpers_;
  std::mutex m_;
  std::condition_variable wake_, finished_;
  Task task_ = nullptr;
  void* ctx_ = nullptr;
  static constexpr int kSpinMicros = 200;
  std::size_t blocks_ = 0, next_ = 0;
  std::atomic<std::size_t> done_{0};  // written under m_; read without it while spinning
  std::atomic<uint64_t> epoch_{0};    // one more per dispatch and at stop, for spinning helpers
  std::exception_ptr error_;
  bool stop_ = false;
};

}  // namespace waybill::ml::detail

namespace waybill::ml::detail {

/// The structure checks of a predict / contributions call (gbdt_predict.cc): numTrees within the
/// model, the row range, every child index inside its tree and every split feature inside a row.
/// The CUDA prediction (native/src/cuda/ml/gbdt_predict.cu) runs the same checks.
Status check_forest(const ForestView& f, std::size_t num_trees, const double* features, std::size_t rows,
                    RowRange range);

/// gbdt-tree.ts goesLeft for node `node` (global index) of a forest.
inline bool goes_left(const ForestView& v, std::size_t node, double x) {
  if (std::isnan(x)) return v.default_left[node] == 1;
  if (v.categorical[node]) {
    int64_t lo = v.cat_offsets[node], hi = static_cast<int64_t>(v.cat_offsets[node + 1]) - 1;
    while (lo <= hi) {
      const int64_t mid = (lo + hi) >> 1;
      const double c = v.cat_values[mid];
      if (c == x) return true;
      if (c < x) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }
  return x <= v.threshold[node];
}

/// gbdt-tree.ts leafIndex: the tree-local leaf reached by a row of features, with the branch
/// `left(global node, value)` at each split (goes_left, or CatBits::goes_left).
template <typename GoesLeft>
inline int32_t walk_to_leaf(const ForestView& v, std::size_t tree, const double* row, const GoesLeft& left) {
  const std::size_t base = static_cast<std::size_t>(v.tree_nodes[tree]);
  if (static_cast<std::size_t>(v.tree_nodes[tree + 1]) == base) return 0;
  std::size_t node = 0;
  for (;;) {
    const std::size_t g = base + node;
    const int32_t next = left(g, row[v.split_feature[g]]) ? v.left_child[g] : v.right_child[g];
    if (next < 0) return ~next;
    node = static_cast<std::size_t>(next);
  }
}

/// The contributions' bias (gbdt.ts gbdtContributions): init_score plus every tree's root value
/// (its training-row-weighted mean leaf), added in tree order.
inline double forest_bias(const ForestView& v, std::size_t num_trees) {
  double bias = v.init_score;
  for (std::size_t t = 0; t < num_trees; ++t) {
    const bool single = v.tree_nodes[t + 1] == v.tree_nodes[t];
    bias += single ? v.leaf_value[v.tree_leaves[t]] : v.internal_value[v.tree_nodes[t]];
  }
  return bias;
}

/// The row loop of a contributions call (Saabas, TreeSHAP): rows [range) split over threads, each
/// row's out (num_features + 1 values) zeroed with the bias in its last column, then
/// add(state, row features, row out); `state` comes from make_state() once per block of rows. The
/// cancel flag is polled every poll_mask + 1 rows.
template <typename MakeState, typename AddRow>
Status contribution_rows(const ForestView& f, std::size_t num_trees, const double* features, double* out,
                         RowRange range, int threads, CancelToken cancel, std::size_t poll_mask,
                         const MakeState& make_state, const AddRow& add) {
  const std::size_t p = f.num_features, w = p + 1;
  const double bias = forest_bias(f, num_trees);
  std::atomic<bool> cancelled{false};
  parallel_blocks(threads, range.end - range.begin, [&](std::size_t b, std::size_t e) {
    auto state = make_state();
    for (std::size_t i = range.begin + b; i < range.begin + e; ++i) {
      if (((i - range.begin) & poll_mask) == 0 && cancel.cancelled()) {
        cancelled = true;
        return;
      }
      double* o = out + i * w;
      for (std::size_t k = 0; k < p; ++k) o[k] = 0;
      o[p] = bias;
      add(state, features + i * p, o);
    }
  });
  if (cancelled) return Status::Error(StatusCode::kCancelled, "contributions cancelled");
  return Status::Ok();
}

/// The tree-local leaf of a row (binary search at categorical splits; CatBits::leaf_index for many rows).
inline int32_t leaf_index(const ForestView& v, std::size_t tree, const double* row) {
  return walk_to_leaf(v, tree, row, [&](std::size_t g, double x) { return goes_left(v, g, x); });
}

/// The categorical splits of a forest as bitsets (cat_bits.h), built once per prediction call
/// (gbdt_predict.cc): a partition split sends up to maxCatThreshold codes left, and a binary
/// search over them per row costs a chain of unpredictable branches. Nodes whose codes do not fit
/// a bitset keep the binary search.
struct CatBits {
  std::vector<int32_t> base;   // per global node: first word in bits, or -1
  std::vector<int32_t> words;  // per global node: words it owns
  std::vector<uint64_t> bits;

  /// For the first num_trees trees of a forest that check_forest accepted.
  void build(const ForestView& v, std::size_t num_trees) {
    const std::size_t nodes = static_cast<std::size_t>(v.tree_nodes[num_trees]);
    base.assign(nodes, -1);
    words.assign(nodes, 0);
    bits.clear();
    for (std::size_t g = 0; g < nodes; ++g) {
      if (!v.categorical[g]) continue;
      const std::size_t at = bits.size();
      const int32_t w = append_cat_bits(v.cat_values + v.cat_offsets[g], v.cat_offsets[g + 1] - v.cat_offsets[g], &bits);
      if (w < 0) continue;
      base[g] = static_cast<int32_t>(at);
      words[g] = w;
    }
  }

  /// goes_left of node g (global), with the node's bitset when it has one.
  bool goes_left(const ForestView& v, std::size_t g, double x) const {
    if (!v.categorical[g] || base[g] < 0) return detail::goes_left(v, g, x);
    if (std::isnan(x)) return v.default_left[g] == 1;
    return cat_bits_has(bits.data() + base[g], words[g], x);
  }

  /// leaf_index (the tree-local leaf of a row) with the bitsets.
  int32_t leaf_index(const ForestView& v, std::size_t tree, const double* row) const {
    return walk_to_leaf(v, tree, row, [&](std::size_t g, double x) { return goes_left(v, g, x); });
  }
};

}  // namespace waybill::ml::detail
