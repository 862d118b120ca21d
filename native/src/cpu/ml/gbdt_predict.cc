// GBDT prediction and Saabas contributions (src/kernels/ml/gbdt.ts gbdtPredict /
// gbdtContributions, gbdt-tree.ts): rows split over threads, each row summed over trees in tree
// order, so every thread count gives the reference's numbers.
#include <atomic>
#include <cmath>
#include <string>

#include "internal.h"

namespace waybill::ml {

ForestView Forest::view() const {
  ForestView v;
  v.num_trees = num_trees();
  v.num_features = num_features;
  v.init_score = init_score;
  v.tree_nodes = tree_nodes.data();
  v.tree_leaves = tree_leaves.data();
  v.split_feature = split_feature.data();
  v.threshold = threshold.data();
  v.default_left = default_left.data();
  v.categorical = categorical.data();
  v.left_child = left_child.data();
  v.right_child = right_child.data();
  v.internal_value = internal_value.data();
  v.cat_offsets = cat_offsets.data();
  v.cat_values = cat_values.data();
  v.leaf_value = leaf_value.data();
  v.internal_count = internal_count.data();
  v.leaf_count = leaf_count.data();
  return v;
}

void Forest::truncate(std::size_t k) {
  if (k >= num_trees()) return;
  const std::size_t nodes = static_cast<std::size_t>(tree_nodes[k]);
  const std::size_t leaves = static_cast<std::size_t>(tree_leaves[k]);
  tree_nodes.resize(k + 1);
  tree_leaves.resize(k + 1);
  split_feature.resize(nodes);
  left_child.resize(nodes);
  right_child.resize(nodes);
  threshold.resize(nodes);
  split_gain.resize(nodes);
  internal_value.resize(nodes);
  internal_count.resize(nodes);
  default_left.resize(nodes);
  categorical.resize(nodes);
  cat_values.resize(static_cast<std::size_t>(cat_offsets[nodes]));
  cat_offsets.resize(nodes + 1);
  leaf_value.resize(leaves);
  leaf_count.resize(leaves);
}

namespace detail {

Status check_forest(const ForestView& f, std::size_t num_trees, const double* features, std::size_t rows,
                    RowRange range) {
  if (num_trees > f.num_trees)
    return Status::Error(StatusCode::kInvalidArgument, "numIterations " + std::to_string(num_trees) +
                                                           " exceeds the model's " + std::to_string(f.num_trees) + " trees");
  if (f.num_features == 0) return Status::Error(StatusCode::kInvalidArgument, "the model has no features");
  if (range.begin > range.end || range.end > rows) return Status::Error(StatusCode::kInvalidArgument, "row range outside the rows");
  if (rows > 0 && features == nullptr) return Status::Error(StatusCode::kInvalidArgument, "features is null");
  // Every child index must stay inside its tree, every split feature inside the row.
  for (std::size_t t = 0; t < num_trees; ++t) {
    const int32_t n0 = f.tree_nodes[t], n1 = f.tree_nodes[t + 1];
    const int32_t leaves = f.tree_leaves[t + 1] - f.tree_leaves[t];
    if (n1 < n0 || leaves != n1 - n0 + 1)
      return Status::Error(StatusCode::kInvalidArgument, "tree " + std::to_string(t) + " has inconsistent node / leaf counts");
    for (int32_t i = n0; i < n1; ++i) {
      const int32_t local = i - n0;
      for (const int32_t c : {f.left_child[i], f.right_child[i]}) {
        const bool ok = c < 0 ? ~c < leaves : (c > local && c < n1 - n0);
        if (!ok) return Status::Error(StatusCode::kInvalidArgument, "tree " + std::to_string(t) + " has a bad child index");
      }
      if (f.split_feature[i] < 0 || static_cast<std::size_t>(f.split_feature[i]) >= f.num_features)
        return Status::Error(StatusCode::kInvalidArgument, "tree " + std::to_string(t) + " splits on a feature out of range");
      if (f.categorical[i] && f.cat_offsets[i + 1] < f.cat_offsets[i])
        return Status::Error(StatusCode::kInvalidArgument, "tree " + std::to_string(t) + " has bad category offsets");
    }
  }
  return Status::Ok();
}

}  // namespace detail

Status gbdt_predict_cpu(const ForestView& forest, Objective objective, std::size_t num_trees, const double* features,
                        std::size_t rows, bool transform, double* out, RowRange range, int threads,
                        CancelToken cancel) {
  Status s = detail::check_forest(forest, num_trees, features, rows, range);
  if (!s.ok()) return s;
  detail::CatBits cats;
  cats.build(forest, num_trees);
  detail::ObjectiveFns obj;
  obj.spec.kind = objective;
  const std::size_t p = forest.num_features;
  std::atomic<bool> cancelled{false};
  detail::parallel_blocks(threads, range.end - range.begin, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = range.begin + b; i < range.begin + e; ++i) {
      if (((i - range.begin) & 1023) == 0 && cancel.cancelled()) {
        cancelled = true;
        return;
      }
      const double* row = features + i * p;
      double v = forest.init_score;
      for (std::size_t t = 0; t < num_trees; ++t)
        v = v + forest.leaf_value[forest.tree_leaves[t] + cats.leaf_index(forest, t, row)];
      out[i] = transform ? obj.transform(v) : v;
    }
  });
  if (cancelled) return Status::Error(StatusCode::kCancelled, "prediction cancelled");
  return Status::Ok();
}

Status gbdt_contributions_cpu(const ForestView& forest, std::size_t num_trees, const double* features, std::size_t rows,
                              double* out, RowRange range, int threads, CancelToken cancel) {
  Status s = detail::check_forest(forest, num_trees, features, rows, range);
  if (!s.ok()) return s;
  detail::CatBits cats;
  cats.build(forest, num_trees);
  // Saabas: along the row's path, each split's feature gets value(child) - value(node).
  const auto add_row = [&](int, const double* row, double* o) {
    for (std::size_t t = 0; t < num_trees; ++t) {
      const std::size_t base = static_cast<std::size_t>(forest.tree_nodes[t]);
      if (static_cast<std::size_t>(forest.tree_nodes[t + 1]) == base) continue;
      const std::size_t leaf_base = static_cast<std::size_t>(forest.tree_leaves[t]);
      std::size_t node = 0;
      for (;;) {
        const std::size_t g = base + node;
        const int32_t f = forest.split_feature[g];
        const int32_t next = cats.goes_left(forest, g, row[f]) ? forest.left_child[g] : forest.right_child[g];
        const double child = next < 0 ? forest.leaf_value[leaf_base + ~next] : forest.internal_value[base + next];
        o[f] = o[f] + child - forest.internal_value[g];
        if (next < 0) break;
        node = static_cast<std::size_t>(next);
      }
    }
  };
  return detail::contribution_rows(forest, num_trees, features, out, range, threads, cancel, 255, [] { return 0; },
                                   add_row);
}

}  // namespace waybill::ml
