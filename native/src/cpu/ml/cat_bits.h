// Categorical split codes as bitsets, shared by the CPU prediction (internal.h CatBits) and the
// CUDA forest walk (native/src/cuda/ml/forest_eval.cuh): one layout, one membership test.
//
// A node's codes (int32, ascending) all in [0, kCatBitsMaxCode) become the words covering 0 .. its
// largest code; a value is a member iff it is an integer in that range whose bit is set, which is
// exactly when a binary search over the codes (compared as doubles) finds it. Nodes with a code
// outside that range keep the binary search.
#pragma once

#include <cstdint>
#include <vector>

#ifndef WAYBILL_HD
#ifdef __CUDACC__
#define WAYBILL_HD __host__ __device__
#else
#define WAYBILL_HD
#endif
#endif

namespace waybill::ml::detail {

constexpr int32_t kCatBitsMaxCode = 4096;  // at most 64 words (512 bytes) a node

/// Appends the bitset of codes[0, count) to *bits and returns its words; -1 (nothing appended)
/// when a code is negative or >= kCatBitsMaxCode. An empty set takes 0 words (nothing is a member).
inline int32_t append_cat_bits(const int32_t* codes, int32_t count, std::vector<uint64_t>* bits) {
  int32_t hi = -1;
  for (int32_t k = 0; k < count; ++k) {
    if (codes[k] < 0 || codes[k] >= kCatBitsMaxCode) return -1;
    if (codes[k] > hi) hi = codes[k];
  }
  const int32_t words = hi < 0 ? 0 : hi / 64 + 1;
  const std::size_t base = bits->size();
  bits->resize(base + static_cast<std::size_t>(words), 0);
  for (int32_t k = 0; k < count; ++k) (*bits)[base + (codes[k] >> 6)] |= uint64_t{1} << (codes[k] & 63);
  return words;
}

/// Whether a non-NaN value is a member of the bitset of `words` words at w.
WAYBILL_HD inline bool cat_bits_has(const uint64_t* w, int32_t words, double x) {
  if (!(x >= 0 && x < 64.0 * words)) return false;
  const int32_t c = static_cast<int32_t>(x);
  return static_cast<double>(c) == x && ((w[c >> 6] >> (c & 63)) & 1u) != 0;
}

}  // namespace waybill::ml::detail
