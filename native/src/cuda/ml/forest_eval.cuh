// GBDT forest evaluation shared by the CUDA prediction kernel (gbdt_predict.cu) and, compiled for
// the host, by `waybill_tests ml` (native/test/test_ml_cuda.cc), so the device logic is checked
// against gbdt_predict_cpu on machines without a GPU.
//
// The forest is repacked once per call: one 32-byte node record (threshold, feature, children,
// category range, flags) instead of nine parallel arrays, children made global (>= 0 node index,
// < 0 ~leaf index into leaf_value), and one root per tree (~leaf for a single-leaf tree). The walk
// takes the branch gbdt-tree.ts goesLeft takes (NaN -> default direction; categorical -> left iff
// the value is one of the node's codes, tested in a bitset when they are all under 4096
// (cat_bits.h, as gbdt_predict_cpu does) and by binary search otherwise; numeric -> left iff
// x <= threshold) and adds the leaves tree by tree in tree order, v = v + leaf, as
// gbdt_predict_cpu does; with no fused multiply-add (nvcc --fmad=false, -ffp-contract=off on the
// host) every sum and the transform are IEEE operations in the same order, so raw and transformed
// predictions are bit-identical to the CPU.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "../../cpu/ml/cat_bits.h"

#ifdef __CUDACC__
#define WAYBILL_HD __host__ __device__
#else
#define WAYBILL_HD
#endif

namespace waybill::ml::cuda_detail {

/// One split node, 32 bytes. flags: bit 0 default left (missing values), bit 1 categorical,
/// bit 2 its codes as a bitset (cat_bits.h).
struct PackedNode {
  double threshold;
  int32_t feature;
  int32_t left;   ///< global node index, or ~global leaf index
  int32_t right;  ///< idem
  int32_t cat_begin;
  int32_t cat_end;  ///< categorical: codes cat_values[cat_begin .. cat_end), ascending; with
                    ///< kCatBits: the bitset's words cat_bits[cat_begin .. cat_begin + cat_end)
  uint32_t flags;
};

constexpr uint32_t kDefaultLeft = 1u;
constexpr uint32_t kCategorical = 2u;
constexpr uint32_t kCatBits = 4u;

/// Borrowed packed forest (device or host pointers).
struct ForestArrays {
  const int32_t* roots;  ///< per tree: global root node, or ~global leaf of a single-leaf tree
  const PackedNode* nodes;
  const double* cat_values;  ///< the int32 codes as doubles (exact), as the CPU compares them
  const uint64_t* cat_bits;  ///< the bitsets of kCatBits nodes
  const double* leaf_value;
  int32_t num_trees;
  double init_score;
};

/// gbdt-tree.ts goesLeft.
WAYBILL_HD inline bool goes_left(const PackedNode& n, const double* cat_values, const uint64_t* cat_bits, double x) {
  if (x != x) return (n.flags & kDefaultLeft) != 0;
  if (n.flags & kCatBits) return detail::cat_bits_has(cat_bits + n.cat_begin, n.cat_end, x);
  if (n.flags & kCategorical) {
    int32_t lo = n.cat_begin, hi = n.cat_end - 1;
    while (lo <= hi) {
      const int32_t mid = lo + ((hi - lo) >> 1);
      const double c = cat_values[mid];
      if (c == x) return true;
      if (c < x) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }
  return x <= n.threshold;
}

/// Raw margin of one row: feature f of the row at x[f * stride] (stride 1: row-major rows;
/// stride = rows: column-major, as the kernel stores a chunk).
WAYBILL_HD inline double forest_raw(const ForestArrays& f, const double* x, std::size_t stride) {
  double v = f.init_score;
  for (int32_t t = 0; t < f.num_trees; ++t) {
    int32_t next = f.roots[t];
    while (next >= 0) {
      const PackedNode& n = f.nodes[next];
      next = goes_left(n, f.cat_values, f.cat_bits, x[static_cast<std::size_t>(n.feature) * stride]) ? n.left : n.right;
    }
    v = v + f.leaf_value[~next];
  }
  return v;
}

WAYBILL_HD inline uint64_t bits_of(double x) {
#ifdef __CUDA_ARCH__
  return static_cast<uint64_t>(__double_as_longlong(x));
#else
  uint64_t b;
  std::memcpy(&b, &x, 8);
  return b;
#endif
}

WAYBILL_HD inline double from_bits(uint64_t b) {
#ifdef __CUDA_ARCH__
  return __longlong_as_double(static_cast<long long>(b));
#else
  double x;
  std::memcpy(&x, &b, 8);
  return x;
#endif
}

/// V8's Math.exp (fdlibm); also the host's ml::js_exp (native/src/cpu/ml/js_math.cc calls this one).
WAYBILL_HD inline double js_exp(double x) {
  const double kLn2Hi = 6.93147180369123816490e-01;
  const double kLn2Lo = 1.90821492927058770002e-10;
  const double kOverflow = 7.09782712893383973096e+02;
  const double kUnderflow = -7.45133219101941108420e+02;
  const double kInvLn2 = 1.44269504088896338700e+00;
  const double kP1 = 1.66666666666666019037e-01, kP2 = -2.77777777770155933842e-03, kP3 = 6.61375632143793436117e-05,
               kP4 = -1.65339022054652515390e-06, kP5 = 4.13813679705723846039e-08;
  const double kTwoM1000 = 9.33263618503218878990e-302;  // 2^-1000
  const double kE = 2.718281828459045;
  const uint64_t bits = bits_of(x);
  uint32_t hx = static_cast<uint32_t>(bits >> 32);
  const int xsb = static_cast<int>((hx >> 31) & 1);
  hx &= 0x7fffffff;
  if (hx >= 0x40862E42) {  // |x| >= 709.78...
    if (hx >= 0x7ff00000) {
      if (((hx & 0xfffff) | static_cast<uint32_t>(bits)) != 0) return x + x;  // NaN
      return xsb == 0 ? x : 0.0;
    }
    if (x > kOverflow) return from_bits(0x7ff0000000000000ull);  // +Infinity
    if (x < kUnderflow) return 0.0;
  }
  double hi = 0, lo = 0;
  int k = 0;
  if (hx > 0x3fd62e42) {    // |x| > 0.5 ln2
    if (hx < 0x3FF0A2B2) {  // and |x| < 1.5 ln2
      if (x == 1.0) return kE;
      hi = xsb == 0 ? x - kLn2Hi : x + kLn2Hi;
      lo = xsb == 0 ? kLn2Lo : -kLn2Lo;
      k = 1 - xsb - xsb;
    } else {
      k = static_cast<int>(kInvLn2 * x + (xsb == 0 ? 0.5 : -0.5));
      const double t = k;
      hi = x - t * kLn2Hi;
      lo = t * kLn2Lo;
    }
    x = hi - lo;
  } else if (hx < 0x3e300000) {  // |x| < 2^-28
    return 1.0 + x;
  }
  const double t = x * x;
  const uint32_t e = static_cast<uint32_t>(k >= -1021 ? k : k + 1000);
  const double twopk = from_bits(static_cast<uint64_t>(0x3ff00000u + (e << 20)) << 32);
  const double c = x - t * (kP1 + t * (kP2 + t * (kP3 + t * (kP4 + t * kP5))));
  if (k == 0) return 1.0 - ((x * c) / (c - 2.0) - x);
  const double y = 1.0 - ((lo - (x * c) / (2.0 - c)) - hi);
  if (k >= -1021) {
    if (k == 1024) return y * 2.0 * 8.98846567431157953865e+307;  // 2^1023
    return y * twopk;
  }
  return y * twopk * kTwoM1000;
}

/// ObjectiveFns::transform (objectives.cc): objective 3 logistic -> sigmoid, 4 poisson and
/// 5 tweedie -> exp, the others the raw margin.
WAYBILL_HD inline double transform_raw(int objective, double raw) {
  if (objective == 3) return 1 / (1 + js_exp(-raw));
  if (objective == 4 || objective == 5) return js_exp(raw);
  return raw;
}

/// The packed forest of the first num_trees trees of a ForestView (host side).
struct PackedForest {
  std::vector<int32_t> roots;
  std::vector<PackedNode> nodes;
  std::vector<double> cat_values, leaf_value;
  std::vector<uint64_t> cat_bits;
  double init_score = 0;

  /// Host pointers (for the host-compiled checks).
  ForestArrays host_view() const {
    return ForestArrays{roots.data(),     nodes.data(), cat_values.data(), cat_bits.data(),
                        leaf_value.data(), static_cast<int32_t>(roots.size()), init_score};
  }
};

/// Packs trees [0, num_trees) of a forest whose structure check_forest has accepted.
template <typename View>
PackedForest pack_forest(const View& v, std::size_t num_trees) {
  PackedForest p;
  p.init_score = v.init_score;
  const std::size_t nodes = num_trees == 0 ? 0 : static_cast<std::size_t>(v.tree_nodes[num_trees]);
  const std::size_t leaves = num_trees == 0 ? 0 : static_cast<std::size_t>(v.tree_leaves[num_trees]);
  p.roots.resize(num_trees);
  p.nodes.resize(nodes);
  p.leaf_value.assign(v.leaf_value, v.leaf_value + leaves);
  const std::size_t cats = nodes == 0 ? 0 : static_cast<std::size_t>(v.cat_offsets[nodes]);
  p.cat_values.resize(cats);
  for (std::size_t k = 0; k < cats; ++k) p.cat_values[k] = v.cat_values[k];
  for (std::size_t t = 0; t < num_trees; ++t) {
    const int32_t n0 = v.tree_nodes[t], n1 = v.tree_nodes[t + 1], l0 = v.tree_leaves[t];
    p.roots[t] = n1 == n0 ? ~l0 : n0;
    for (int32_t i = n0; i < n1; ++i) {
      PackedNode& n = p.nodes[static_cast<std::size_t>(i)];
      const auto global = [&](int32_t c) { return c < 0 ? ~(l0 + ~c) : n0 + c; };
      n.threshold = v.threshold[i];
      n.feature = v.split_feature[i];
      n.left = global(v.left_child[i]);
      n.right = global(v.right_child[i]);
      n.flags = (v.default_left[i] == 1 ? kDefaultLeft : 0u) | (v.categorical[i] ? kCategorical : 0u);
      n.cat_begin = n.flags & kCategorical ? v.cat_offsets[i] : 0;
      n.cat_end = n.flags & kCategorical ? v.cat_offsets[i + 1] : 0;
      if (n.flags & kCategorical) {
        const std::size_t at = p.cat_bits.size();
        const int32_t words = detail::append_cat_bits(v.cat_values + n.cat_begin, n.cat_end - n.cat_begin, &p.cat_bits);
        if (words >= 0) {
          n.flags |= kCatBits;
          n.cat_begin = static_cast<int32_t>(at);
          n.cat_end = words;
        }
      }
    }
  }
  return p;
}

}  // namespace waybill::ml::cuda_detail
