// TreeSHAP contributions (gbdt_treeshap_cpu, waybill/ml.h): the port of src/kernels/ml/treeshap.ts
// (path-dependent TreeSHAP, Lundberg, Erion and Lee 2018, Algorithm 2). The recursion, the path's
// extend / unwind / unwound-sum steps and the accumulation into the output follow the reference's
// floating-point operations in its order, so the values are the reference's (test/kernels/
// ml-treeshap.test.ts compares them). Rows are split over threads; each thread has its own scratch.
#include <algorithm>
#include <vector>

#include "internal.h"

namespace waybill::ml {
namespace {

/// One element of a path: a feature, its zero and one fractions, the permutation weight.
struct PathElement {
  int32_t d;
  double z, o, w;
};

/// The path of recursion level k in elements [k cap, k cap + cap) of one array.
class TreeShapWalk {
 public:
  TreeShapWalk(const ForestView& f, const detail::CatBits& cats, std::size_t max_depth)
      : f_(f), cats_(cats), cap_(max_depth + 2), path_(cap_ * cap_), inv_(cap_ + 1, 0) {
    for (std::size_t k = 1; k <= cap_; ++k) inv_[k] = 1 / static_cast<double>(k);
  }

  /// Adds the row's values for tree t to out[feature].
  void add(std::size_t t, const double* row, double* out) {
    n0_ = f_.tree_nodes[t];
    l0_ = f_.tree_leaves[t];
    if (f_.tree_nodes[t + 1] == n0_) return;
    row_ = row;
    out_ = out;
    recurse(0, path_.data(), 0, 1, 1, -1);
  }

 private:
  double cover(int32_t child) const {
    return child < 0 ? f_.leaf_count[l0_ + ~child] : f_.internal_count[n0_ + child];
  }

  /// `node` (>= 0 internal, < 0 ~leaf) with its path at m, the parent's parent_len elements just below.
  void recurse(int32_t node, PathElement* m, std::size_t parent_len, double pz, double po, int32_t pi) {
    if (parent_len > 0) std::copy_n(m - cap_, parent_len, m);
    std::size_t len = parent_len;
    m[len] = PathElement{pi, pz, po, len == 0 ? 1.0 : 0.0};
    const double inv_len = inv_[len + 1];
    for (std::size_t k = len; k-- > 0;) {
      m[k + 1].w = m[k + 1].w + po * m[k].w * (static_cast<double>(k + 1) * inv_len);
      m[k].w = pz * m[k].w * (static_cast<double>(len - k) * inv_len);
    }
    ++len;
    if (node < 0) {
      const double value = f_.leaf_value[l0_ + ~node];
      for (std::size_t i = 1; i < len; ++i) {
        const double s = unwound_sum(m, len, i);
        double& slot = out_[m[i].d];
        slot = slot + s * (m[i].o - m[i].z) * value;
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
      if (m[k].d != feature) continue;
      iz = m[k].z;
      io = m[k].o;
      unwind(m, len, k);
      --len;
      break;
    }
    recurse(hot, m + cap_, len, (iz * cover(hot)) / r, io, feature);
    recurse(cold, m + cap_, len, (iz * cover(cold)) / r, 0, feature);
  }

  void unwind(PathElement* m, std::size_t len, std::size_t i) const {
    const std::size_t l = len - 1;
    const double oi = m[i].o, zi = m[i].z;
    const double ld = static_cast<double>(l);
    if (oi != 0) {
      const double a = (ld + 1) / oi, b = zi / (ld + 1);
      double n = m[l].w;
      for (std::size_t j = l; j-- > 0;) {
        const double t = m[j].w;
        m[j].w = n * (a * inv_[j + 1]);
        n = t - m[j].w * (b * static_cast<double>(l - j));
      }
    } else {
      const double c = (ld + 1) / zi;
      for (std::size_t j = l; j-- > 0;) m[j].w = m[j].w * (c * inv_[l - j]);
    }
    for (std::size_t j = i; j < l; ++j) {
      m[j].d = m[j + 1].d;
      m[j].z = m[j + 1].z;
      m[j].o = m[j + 1].o;
    }
  }

  double unwound_sum(const PathElement* m, std::size_t len, std::size_t i) const {
    const std::size_t l = len - 1;
    const double oi = m[i].o, zi = m[i].z;
    const double ld = static_cast<double>(l);
    double total = 0;
    if (oi != 0) {
      const double a = (ld + 1) / oi, b = zi / (ld + 1);
      double n = m[l].w;
      for (std::size_t j = l; j-- > 0;) {
        const double t = n * (a * inv_[j + 1]);
        total += t;
        n = m[j].w - t * (b * static_cast<double>(l - j));
      }
    } else {
      const double c = (ld + 1) / zi;
      for (std::size_t j = l; j-- > 0;) total += m[j].w * (c * inv_[l - j]);
    }
    return total;
  }

  const ForestView& f_;
  const detail::CatBits& cats_;
  const std::size_t cap_;
  std::vector<PathElement> path_;
  std::vector<double> inv_;  // inv_[k] = 1 / k (treeshap.ts: multiplications by reciprocals, not divisions)
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
  return detail::contribution_rows(
      forest, num_trees, features, out, range, threads, cancel, 63,
      [&] { return TreeShapWalk(forest, cats, max_depth); },
      [&](TreeShapWalk& walk, const double* row, double* o) {
        for (std::size_t t = 0; t < num_trees; ++t) walk.add(t, row, o);
      });
}

}  // namespace waybill::ml
