// Block histograms and partition steps shared by the CUDA kernels (gbdt_hist.cu) and, compiled
// for the host, by `waybill_tests ml` (native/test/test_ml_cuda.cc), which runs the same steps in
// scrambled orders against the CPU's histogram and partition on machines without a GPU.
//
// The sampled features of an iteration are cut, in order, into groups whose slots fit one block's
// shared-memory histogram (kBlockSlots slots of 3 64-bit values: 48 KiB, the most a kernel gets
// without opting in). A block of the kernel takes one group and one run of the leaf's rows: it
// zeroes its block histogram, adds every (row, feature) item of the run to it (shared-memory
// atomics), then adds each non-zero slot to the global histogram (global atomics).
//
// Fixed point: the rounded gradients and hessians are integer multiples of their quanta
// (detail::gradient_quantum) and every sum of them stays under 2^53 quanta, so the kernel adds
// them as 64-bit integers (to_fixed). Integer sums do not depend on order by construction (no
// reliance on every double sum being exact), a value off its grid is caught when it is converted,
// and from_fixed turns the sums back into the doubles the CPU's in-order sums give, bit for bit;
// the count slot adds 1 per row. On an H200 it built the histograms as fast as the double atomics
// had (620 builds of a 1e6 x 50 training: 189 ms against 179 ms; bench/RESULTS.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#ifndef WAYBILL_HD
#ifdef __CUDACC__
#define WAYBILL_HD __host__ __device__
#else
#define WAYBILL_HD
#endif
#endif

namespace waybill::ml::cuda_detail {

/// Slots (G, H, count: 3 int64 each) of one block's histogram: 2048 x 24 bytes = 48 KiB. A
/// feature has at most 256 slots (255 value bins and the missing bin), so a group holds >= 8.
constexpr int32_t kBlockSlots = 2048;

/// One sampled feature: where its bins are and where its slots go.
struct HistFeature {
  int32_t column;       ///< feature index: the column of the row-major bin matrix
  int32_t global_slot;  ///< its first slot in the whole histogram (BinnedMatrix::offsets)
  int32_t local_slot;   ///< its first slot in its group's block histogram
  int32_t num_slots;
};

/// The groups of one iteration's sampled features.
struct HistPlan {
  std::vector<HistFeature> features;  ///< the sampled features, in the order given
  std::vector<int32_t> group_begin;   ///< groups + 1: group g is features [group_begin[g], group_begin[g + 1])
  int32_t max_group_slots = 0;        ///< slots of the largest group (sizes the shared memory)
  int32_t first_slot = 0, end_slot = 0;  ///< the global slots the features span (ascending features)

  std::size_t groups() const { return group_begin.empty() ? 0 : group_begin.size() - 1; }
};

/// Cuts the features feats[0, nf) (slots offsets[f] .. offsets[f + 1]) into groups of at most
/// block_slots slots, in order. A feature with more slots than block_slots gets a group of its own
/// (max_group_slots then says so; the caller refuses it).
inline HistPlan plan_hist(const int32_t* offsets, const int32_t* feats, std::size_t nf,
                          int32_t block_slots = kBlockSlots) {
  HistPlan plan;
  plan.features.reserve(nf);
  plan.group_begin.push_back(0);
  int32_t used = 0;
  for (std::size_t j = 0; j < nf; ++j) {
    const int32_t f = feats[j];
    const int32_t slots = offsets[f + 1] - offsets[f];
    if (used > 0 && used + slots > block_slots) {
      plan.group_begin.push_back(static_cast<int32_t>(j));
      used = 0;
    }
    plan.features.push_back(HistFeature{f, offsets[f], used, slots});
    used += slots;
    if (used > plan.max_group_slots) plan.max_group_slots = used;
  }
  if (nf > 0) {
    plan.group_begin.push_back(static_cast<int32_t>(nf));
    plan.first_slot = offsets[feats[0]];
    plan.end_slot = offsets[feats[nf - 1] + 1];
  }
  return plan;
}

/// A sum of fixed-point values: integer multiples of a quantum.
using Fixed = long long;  // int64 (atomicAdd takes unsigned long long; two's complement wraps alike)

/// v / quantum as an integer, or false when v is not an integer multiple of quantum under 2^53 of
/// them (quantum a normal power of two, so v / quantum is exact).
WAYBILL_HD inline bool to_fixed(double v, double quantum, Fixed* out) {
  const double k = v / quantum;
  if (!(k >= -0x1p53 && k <= 0x1p53)) return false;
  const Fixed i = static_cast<Fixed>(k);
  *out = i;
  return static_cast<double>(i) == k;
}

/// A fixed-point sum back to a double (exact below 2^53 quanta).
WAYBILL_HD inline double from_fixed(Fixed v, double quantum) { return static_cast<double>(v) * quantum; }

/// What a block reads (device pointers in the kernel, host pointers in the tests).
struct HistArgs {
  const uint8_t* bins;  ///< row-major, all training rows x p
  std::size_t p;
  const int32_t* rows;  ///< the leaf's training rows
  const Fixed* grad;    ///< per training row, in quanta (to_fixed)
  const Fixed* hess;
  const HistFeature* features;
  const int32_t* group_begin;
};

/// Slots of group g's block histogram.
WAYBILL_HD inline int32_t group_slots(const HistArgs& a, int32_t g) {
  const HistFeature& last = a.features[a.group_begin[g + 1] - 1];
  return last.local_slot + last.num_slots;
}

/// add_items with indices of type Index (32-bit ones when they fit: a 64-bit division per item
/// costs several times a 32-bit one on the device).
template <typename Index, typename Add>
WAYBILL_HD inline void add_items_as(const HistArgs& a, int32_t jb, Index width, Index count, std::size_t rb, Index first,
                                    Index stride, Fixed* block, Add add) {
  for (Index k = first; k < count; k += stride) {
    const std::size_t r = static_cast<std::size_t>(a.rows[rb + k / width]);
    const HistFeature& f = a.features[jb + static_cast<int32_t>(k % width)];
    const uint8_t bin = a.bins[r * a.p + static_cast<std::size_t>(f.column)];
    Fixed* s = block + 3 * (static_cast<std::size_t>(f.local_slot) + bin);
    add(s, a.grad[r]);
    add(s + 1, a.hess[r]);
    add(s + 2, Fixed{1});
  }
}

/// Adds the items first, first + stride, ... of rows[rb, re) x group g's features to the block
/// histogram: item k is row rb + k / G with the group's feature k % G (G features), so a warp
/// reads neighbouring bytes of a row. add(slot, value) adds one value (an atomic on the device).
template <typename Add>
WAYBILL_HD inline void add_items(const HistArgs& a, int32_t g, std::size_t rb, std::size_t re, std::size_t first,
                                 std::size_t stride, Fixed* block, Add add) {
  const int32_t jb = a.group_begin[g];
  const std::size_t width = static_cast<std::size_t>(a.group_begin[g + 1] - jb);
  const std::size_t count = (re - rb) * width;
  if (count + stride <= 0xffffffffu)
    add_items_as<uint32_t>(a, jb, static_cast<uint32_t>(width), static_cast<uint32_t>(count), rb,
                           static_cast<uint32_t>(first), static_cast<uint32_t>(stride), block, add);
  else
    add_items_as<std::size_t>(a, jb, width, count, rb, first, stride, block, add);
}

/// Adds the values first, first + stride, ... of group g's block histogram to the whole histogram
/// (slot-major: value t of feature j is its slot t / 3, field t % 3). Zero values are skipped.
template <typename Add>
WAYBILL_HD inline void flush_block(const HistArgs& a, int32_t g, const Fixed* block, std::size_t first,
                                   std::size_t stride, Fixed* hist, Add add) {
  for (int32_t j = a.group_begin[g]; j < a.group_begin[g + 1]; ++j) {
    const HistFeature& f = a.features[j];
    const Fixed* src = block + 3 * static_cast<std::size_t>(f.local_slot);
    Fixed* dst = hist + 3 * static_cast<std::size_t>(f.global_slot);
    const std::size_t values = 3 * static_cast<std::size_t>(f.num_slots);
    for (std::size_t t = first; t < values; t += stride) {
      const Fixed v = src[t];
      if (v != 0) add(dst + t, v);
    }
  }
}

/// The fixed-point slots of the plan's features into hist (3 doubles per slot: G and H times their
/// quanta, the count as is), at each feature's global slots; span holds the slots from
/// plan.first_slot on.
inline void fixed_to_hist(const HistPlan& plan, const Fixed* span, double grad_quantum, double hess_quantum,
                          double* hist) {
  for (const HistFeature& f : plan.features)
    for (int32_t t = 0; t < f.num_slots; ++t) {
      const std::size_t v = 3 * static_cast<std::size_t>(f.global_slot + t);
      const Fixed* src = span + (v - 3 * static_cast<std::size_t>(plan.first_slot));
      hist[v] = from_fixed(src[0], grad_quantum);
      hist[v + 1] = from_fixed(src[1], hess_quantum);
      hist[v + 2] = static_cast<double>(src[2]);
    }
}

/// Partition on the device (rows kept there: detail::HistDevice::keeps_rows), in three passes
/// over a leaf's positions [0, len): flags (partition_flag), an exclusive scan of them, then a
/// scatter (partition_target) into a scratch copy. The scatter keeps each side in its old order,
/// so the result is the CPU's stable partition in any execution order.
struct PartitionArgs {
  const uint8_t* bins;  ///< row-major, all training rows x p
  std::size_t p;
  const int32_t* pos;  ///< the leaf's positions (training rows)
  int32_t feature;
  const uint8_t* table;  ///< 256 entries, 1: the bin goes left (shared memory in the kernel)
};

/// A split's rule over every byte value, passed by value to the kernel.
struct RuleTable {
  uint8_t left[256];
};

/// 1 when the row at the leaf's position i goes left, else 0.
WAYBILL_HD inline int32_t partition_flag(const PartitionArgs& a, std::size_t i) {
  return a.table[a.bins[static_cast<std::size_t>(a.pos[i]) * a.p + static_cast<std::size_t>(a.feature)]];
}

/// Where the leaf's position i goes: lefts_before = the left flags of positions [0, i) (the
/// exclusive scan), total_left = all of them. Left rows fill [0, total_left) in order, right rows
/// [total_left, len) in order.
WAYBILL_HD inline std::size_t partition_target(int32_t flag, std::size_t lefts_before, std::size_t total_left,
                                               std::size_t i) {
  return flag != 0 ? lefts_before : total_left + (i - lefts_before);
}

}  // namespace waybill::ml::cuda_detail
