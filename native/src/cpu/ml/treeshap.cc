// TreeSHAP contributions (gbdt_treeshap_cpu, waybill/ml.h): the port of src/kernels/ml/treeshap.ts
// (path-dependent TreeSHAP, Lundberg, Erion and Lee 2018, Algorithm 2). The recursion, the path's
// extend / unwind / unwound-sum steps and the accumulation into the output follow the reference's
// floating-point operations in its order, so the values are the reference's (test/kernels/
// ml-treeshap.test.ts compares them). Rows are split over threads; each thread has its own scratch.
#include <algorithm>
#include <atomic>
#include <vector>

#include "internal.h"

namespace waybill::ml {
namespace {

/// The path of recursion level k in slots [k cap, k cap + cap) of four parallel arrays.
class TreeShapWalk {
 public:
  TreeShapWalk(const ForestView& f, const detail::CatBits& cats, std::size_t max_depth)
      : f_(f), cats_(cats), cap_(max_depth + 2), d_(cap_ * cap_), z_(cap_ * cap_), o_(cap_ * cap_), w_(cap_ * cap_) {}

  /// Adds the row's values for tree t to out[feature].
  void add(std::size_t t, const double* row, double* out) {
    n0_ = f_.tree_nodes[t];
    l0_ = f_.tree_leaves[t];
    if (f_.tree_nodes[t + 1] == n0_) return;
    row_ = row;
    out_ = out;
    recurse(0, 0, 0, 1, 1, -1);
  }

 private:
  double cover(int32_t child) const {
    return child < 0 ? f_.leaf_count[l0_ + ~child] : f_.internal_count[n0_ + child];
  }

  void recurse(int32_t node, std::size_t level, std::size_t parent_len, double pz, double po, int32_t pi) {
    const std::size_t base = level * cap_;
    if (level > 0) {
      const std::size_t from = base - cap_;
      std::copy_n(d_.begin() + from, parent_len, d_.begin() + base);
      std::copy_n(z_.begin() + from, parent_len, z_.begin() + base);
      std::copy_n(o_.begin() + from, parent_len, o_.begin() + base);
      std::copy_n(w_.begin() + from, parent_len, w_.begin() + base);
    }
    std::size_t len = parent_len;
    d_[base + len] = pi;
    z_[base + len] = pz;
    o_[base + len] = po;
    w_[base + len] = len == 0 ? 1 : 0;
    for (std::size_t k = len; k-- > 0;) {
      w_[base + k + 1] = w_[base + k + 1] + (po * w_[base + k] * static_cast<double>(k + 1)) / static_cast<double>(len + 1);
      w_[base + k] = (pz * w_[base + k] * static_cast<double>(len - k)) / static_cast<double>(len + 1);
    }
    ++len;
    if (node < 0) {
      const double value = f_.leaf_value[l0_ + ~node];
      for (std::size_t i = 1; i < len; ++i) {
        const double s = unwound_sum(base, len, i);
        double& slot = out_[d_[base + i]];
        slot = slot + s * (o_[base + i] - z_[base + i]) * value;
      }
      return;
    }
    const std::size_t g = static_cast<std::size_t>(n0_ + node);
    const int32_t feature = f_.split_feature[g];
    const bool left = cats_.goes_left(f_, g, row_[feature]);
    const int32_t hot = left ? f_.left_child[g] : f_.right_child[g];
    const int32_t cold = left ? f_.right_child[g] : f_.left_child[g];
    const double r = f_.internal_count[g];
    double iz = 1, io = 1;
    for (std::size_t k = 1; k < len; ++k) {
      if (d_[base + k] != feature) continue;
      iz = z_[base + k];
      io = o_[base + k];
      unwind(base, len, k);
      --len;
      break;
    }
    recurse(hot, level + 1, len, (iz * cover(hot)) / r, io, feature);
    recurse(cold, level + 1, len, (iz * cover(cold)) / r, 0, feature);
  }

  void unwind(std::size_t base, std::size_t len, std::size_t i) {
    const std::size_t l = len - 1;
    const double oi = o_[base + i], zi = z_[base + i];
    const double ld = static_cast<double>(l);
    double n = w_[base + l];
    for (std::size_t j = l; j-- > 0;) {
      const double jd = static_cast<double>(j);
      if (oi != 0) {
        const double t = w_[base + j];
        w_[base + j] = (n * (ld + 1)) / ((jd + 1) * oi);
        n = t - (w_[base + j] * zi * (ld - jd)) / (ld + 1);
      } else {
        w_[base + j] = (w_[base + j] * (ld + 1)) / (zi * (ld - jd));
      }
    }
    for (std::size_t j = i; j < l; ++j) {
      d_[base + j] = d_[base + j + 1];
      z_[base + j] = z_[base + j + 1];
      o_[base + j] = o_[base + j + 1];
    }
  }

  double unwound_sum(std::size_t base, std::size_t len, std::size_t i) const {
    const std::size_t l = len - 1;
    const double oi = o_[base + i], zi = z_[base + i];
    const double ld = static_cast<double>(l);
    double total = 0;
    if (oi != 0) {
      double n = w_[base + l];
      for (std::size_t j = l; j-- > 0;) {
        const double jd = static_cast<double>(j);
        const double t = (n * (ld + 1)) / ((jd + 1) * oi);
        total += t;
        n = w_[base + j] - (t * zi * (ld - jd)) / (ld + 1);
      }
    } else {
      for (std::size_t j = l; j-- > 0;) {
        const double jd = static_cast<double>(j);
        total += (w_[base + j] * (ld + 1)) / (zi * (ld - jd));
      }
    }
    return total;
  }

  const ForestView& f_;
  const detail::CatBits& cats_;
  const std::size_t cap_;
  std::vector<int32_t> d_;
  std::vector<double> z_, o_, w_;
  int32_t n0_ = 0, l0_ = 0;
  const double* row_ = nullptr;
  double* out_ = nullptr;
};

/// The most splits on a root-to-leaf path of tree t (children have larger local indices).
std::size_t tree_depth(const ForestView& f, std::size_t t) {
  const int32_t n0 = f.tree_nodes[t], nodes = f.tree_nodes[t + 1] - n0;
  std::vector<std::size_t> depth(static_cast<std::size_t>(nodes), 0);
  std::size_t most = 0;
  for (int32_t i = 0; i < nodes; ++i) {
    const std::size_t below = depth[static_cast<std::size_t>(i)] + 1;
    most = std::max(most, below);
    for (const int32_t c : {f.left_child[n0 + i], f.right_child[n0 + i]})
      if (c >= 0) depth[static_cast<std::size_t>(c)] = below;
  }
  return most;
}

}  // namespace

Status gbdt_treeshap_cpu(const ForestView& forest, std::size_t num_trees, const double* features, std::size_t rows,
                         double* out, RowRange range, int threads, CancelToken cancel) {
  Status s = detail::check_forest(forest, num_trees, features, rows, range);
  if (!s.ok()) return s;
  if (forest.internal_count == nullptr || forest.leaf_count == nullptr)
    return Status::Error(StatusCode::kInvalidArgument, "TreeSHAP needs the node counts (internalCount / leafCount)");
  std::size_t max_depth = 0;
  for (std::size_t t = 0; t < num_trees; ++t) {
    for (int32_t i = forest.tree_nodes[t]; i < forest.tree_nodes[t + 1]; ++i)
      if (!(forest.internal_count[i] > 0))
        return Status::Error(StatusCode::kInvalidArgument,
                             "TreeSHAP needs positive node counts (internalCount / leafCount) in every tree");
    if (forest.tree_nodes[t + 1] > forest.tree_nodes[t])
      for (int32_t i = forest.tree_leaves[t]; i < forest.tree_leaves[t + 1]; ++i)
        if (!(forest.leaf_count[i] > 0))
          return Status::Error(StatusCode::kInvalidArgument,
                               "TreeSHAP needs positive node counts (internalCount / leafCount) in every tree");
    max_depth = std::max(max_depth, tree_depth(forest, t));
  }
  detail::CatBits cats;
  cats.build(forest, num_trees);
  const std::size_t p = forest.num_features, w = p + 1;
  const double bias = detail::forest_bias(forest, num_trees);
  std::atomic<bool> cancelled{false};
  detail::parallel_blocks(threads, range.end - range.begin, [&](std::size_t b, std::size_t e) {
    TreeShapWalk walk(forest, cats, max_depth);
    for (std::size_t i = range.begin + b; i < range.begin + e; ++i) {
      if (((i - range.begin) & 63) == 0 && cancel.cancelled()) {
        cancelled = true;
        return;
      }
      double* o = out + i * w;
      for (std::size_t f = 0; f < p; ++f) o[f] = 0;
      o[p] = bias;
      for (std::size_t t = 0; t < num_trees; ++t) walk.add(t, features + i * p, o);
    }
  });
  if (cancelled) return Status::Error(StatusCode::kCancelled, "contributions cancelled");
  return Status::Ok();
}

}  // namespace waybill::ml
