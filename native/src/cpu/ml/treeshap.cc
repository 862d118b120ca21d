// TreeSHAP contributions (gbdt_treeshap_cpu, waybill/ml.h): the port of src/kernels/ml/treeshap.ts
// (path-dependent TreeSHAP, Lundberg, Erion and Lee 2018, Algorithm 2). The recursion, the path's
// extend / unwind / unwound-sum steps and the accumulation into the output follow the reference's
// floating-point operations in its order, so the values are the reference's (test/kernels/
// ml-treeshap.test.ts compares them). Rows are split over threads; each thread has its own scratch.
//
// Tables (the idea of Fast TreeSHAP v2, Yang 2021, arranged so the values do not change): the
// operations the recursion does for a row at a leaf depend only on the tree and on the one
// fraction (0 or 1) it extends the path with at each split on the leaf's path: 1 while the row has
// gone its way at every split on that feature so far, else 0. A feature split c times on the path
// has c + 1 such runs (its first cold split, or none), so a leaf's terms are one of prod (c + 1)
// vectors (2^D for D distinct features). A tree's table holds them all, built by the recursion run
// once for every pattern. A row then takes one pass over the tree's splits for its patterns, and
// its leaves add their stored terms in the recursion's order (left child first: the order of the
// adds is the tree's, not the row's). So the tables give the recursion's values bit for bit, and a
// row costs a pass over the tree instead of the path algebra at every leaf (4-5x faster on 31-leaf
// trees). Filling a leaf's table costs that algebra once per pattern, so a tree gets a table only
// when the batch is large enough to pay for it (TreeShapPlan).
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <utility>
#include <vector>

#include "internal.h"

namespace waybill::ml {
namespace {

/// One element of a path: a feature, its zero and one fractions, the permutation weight.
struct PathElement {
  int32_t d;
  double z, o, w;
};

/// The terms of one tree for every pattern of every leaf (see the top of the file). The walk keeps
/// the one fractions of the splits above a node as bits (bit k: the split at depth k); a leaf's
/// pattern is sum over set bits k of weight[k]: with its features' splits counted c_f, a mixed-radix
/// number whose digit for feature f is the length of its run of ones (0 .. c_f).
struct TreeTable {
  static constexpr uint32_t kNone = 31;  // prev of a node whose feature no split above uses; its bit is always set
  std::vector<int32_t> depth;       // per local internal node: its depth (the root 0)
  std::vector<uint32_t> prev;       // per local internal node: depth of the last split above on its feature, or kNone
  std::vector<int32_t> slot;        // per local internal node: its children's slots (2 i, 2 i + 1) in the walk's
                                    // bits: an internal child c at c, a leaf l at nodes + l
  std::vector<int32_t> leaf_order;  // the leaves as the recursion reaches them (left child first)
  std::vector<int32_t> weight_off;  // per local leaf: first of its depth's weights in weights
  std::vector<int32_t> weights;
  std::vector<int32_t> leaf_terms;  // per local leaf: terms it adds (unique features on its path)
  std::vector<int32_t> feat_off;    // per local leaf: first of its features in feats
  std::vector<int32_t> feats;       // the features of its terms, in the recursion's order
  std::vector<std::size_t> value_off;  // per local leaf: first value; pattern b at + b * terms
  std::size_t values_needed = 0;
  std::vector<double> values;          // filled only while its chunk of trees is evaluated

  /// The pattern of a leaf reached with one-fraction bits `bits`.
  std::size_t pattern(std::size_t leaf, uint32_t bits) const {
    const int32_t* w = weights.data() + weight_off[leaf];
    std::size_t at = 0;
    for (bits &= ~(uint32_t{1} << kNone); bits != 0; bits &= bits - 1)
      at += static_cast<std::size_t>(w[__builtin_ctz(bits)]);
    return at;
  }
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

  /// Fills tb->values (the plan's offsets and terms already set) for tree t.
  void tabulate(std::size_t t, TreeTable* tb) {
    n0_ = f_.tree_nodes[t];
    l0_ = f_.tree_leaves[t];
    tb_ = tb;
    build(0, path_.data(), 0, 1, 1, -1, 0, 0);
  }

 private:
  double cover(int32_t child) const {
    return child < 0 ? f_.leaf_count[l0_ + ~child] : f_.internal_count[n0_ + child];
  }

  /// Copies the parent's parent_len elements from just below m and extends them by (pi, pz, po).
  std::size_t extend(PathElement* m, std::size_t parent_len, double pz, double po, int32_t pi) const {
    if (parent_len > 0) std::copy_n(m - cap_, parent_len, m);
    std::size_t len = parent_len;
    m[len] = PathElement{pi, pz, po, len == 0 ? 1.0 : 0.0};
    const double inv_len = inv_[len + 1];
    for (std::size_t k = len; k-- > 0;) {
      m[k + 1].w = m[k + 1].w + po * m[k].w * (static_cast<double>(k + 1) * inv_len);
      m[k].w = pz * m[k].w * (static_cast<double>(len - k) * inv_len);
    }
    return len + 1;
  }

  /// The leaf's term for path element i (>= 1).
  double term(const PathElement* m, std::size_t len, std::size_t i, double value) const {
    return unwound_sum(m, len, i) * (m[i].o - m[i].z) * value;
  }

  /// Unwinds node g's feature from the path if it is there: its zero and one fractions (1, 1 if not).
  std::size_t drop_feature(PathElement* m, std::size_t len, int32_t feature, double* iz, double* io) const {
    *iz = 1;
    *io = 1;
    for (std::size_t k = 1; k < len; ++k) {
      if (m[k].d != feature) continue;
      *iz = m[k].z;
      *io = m[k].o;
      unwind(m, len, k);
      return len - 1;
    }
    return len;
  }

  /// `node` (>= 0 internal, < 0 ~leaf) with its path at m, the parent's parent_len elements just below.
  void recurse(int32_t node, PathElement* m, std::size_t parent_len, double pz, double po, int32_t pi) {
    std::size_t len = extend(m, parent_len, pz, po, pi);
    if (node < 0) {
      const double value = f_.leaf_value[l0_ + ~node];
      for (std::size_t i = 1; i < len; ++i) {
        double& slot = out_[m[i].d];
        slot = slot + term(m, len, i, value);
      }
      return;
    }
    const std::size_t g = static_cast<std::size_t>(n0_ + node);
    const int32_t feature = f_.split_feature[g];
    const bool left = cats_.goes_left(f_, g, row_[feature]);
    const int32_t lc = f_.left_child[g], rc = f_.right_child[g];
    const double r = f_.internal_count[g];
    double iz, io;
    len = drop_feature(m, len, feature, &iz, &io);
    // Left child first whichever side the row takes (treeshap.ts): the order of the adds is the tree's.
    recurse(lc, m + cap_, len, (iz * cover(lc)) / r, left ? io : 0, feature);
    recurse(rc, m + cap_, len, (iz * cover(rc)) / r, left ? 0 : io, feature);
  }

  /// recurse for every pattern at once: both ways at every split, the pattern's bits in `bits`.
  void build(int32_t node, PathElement* m, std::size_t parent_len, double pz, double po, int32_t pi, uint32_t bits,
             int32_t depth) {
    std::size_t len = extend(m, parent_len, pz, po, pi);
    if (node < 0) {
      const std::size_t leaf = static_cast<std::size_t>(~node);
      const double value = f_.leaf_value[l0_ + ~node];
      const std::size_t terms = len - 1;
      double* dst = tb_->values.data() + tb_->value_off[leaf] + tb_->pattern(leaf, bits) * terms;
      for (std::size_t i = 1; i < len; ++i) dst[i - 1] = term(m, len, i, value);
      return;
    }
    const std::size_t g = static_cast<std::size_t>(n0_ + node);
    const int32_t feature = f_.split_feature[g];
    const double r = f_.internal_count[g];
    double iz, io;
    len = drop_feature(m, len, feature, &iz, &io);
    // Each child as the row's side (one fraction io; a second pattern only when io is not 0) and
    // as the other side (0): the recursion's calls for every row at once.
    const uint32_t one = uint32_t{1} << depth;
    for (const int32_t c : {f_.left_child[g], f_.right_child[g]}) {
      const double z = (iz * cover(c)) / r;
      if (io != 0) build(c, m + cap_, len, z, io, feature, bits | one, depth + 1);
      build(c, m + cap_, len, z, 0, feature, bits, depth + 1);
    }
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
  TreeTable* tb_ = nullptr;
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

constexpr int32_t kMaxTableDepth = 31;  // splits at depths 0 .. 30: bits 0 .. 30 (31 is kNone's)
constexpr std::size_t kMaxTableValues = std::size_t{1} << 22;  // 32 MiB of doubles for a tree
constexpr std::size_t kChunkValues = std::size_t{1} << 23;     // tables held at a time: 64 MiB

/// The shape of tree t's table (TreeTable without its values), and rough operation counts: `build`
/// to fill it, `saved` per row by using it (a leaf with d terms costs about d^2 in the recursion,
/// (d^2 + 1) per pattern to tabulate, and about d + depth to look up). false when a leaf is deeper
/// than kMaxTableDepth or the table would hold more than kMaxTableValues.
/// plan_table's `build` and `saved` alone, without allocating: one walk with each feature's split
/// count on the path (`count`, all zero on entry and on return, one slot per feature). false when a
/// leaf is deeper than kMaxTableDepth.
bool table_cost(const ForestView& f, std::size_t t, std::vector<int32_t>& count, double* build, double* saved) {
  const int32_t n0 = f.tree_nodes[t];
  *build = 0;
  *saved = 0;
  bool fits = true;
  // d: distinct features on the path; patterns: prod over them of (count + 1).
  auto visit = [&](auto&& self, int32_t node, int32_t depth, double d, double patterns) -> void {
    if (depth > kMaxTableDepth) {
      fits = false;
      return;
    }
    if (node < 0) {
      *build += patterns * (d * d + 1);
      *saved += d * d - d - static_cast<double>(depth);
      return;
    }
    const int32_t feature = f.split_feature[n0 + node];
    int32_t& c = count[static_cast<std::size_t>(feature)];
    const double d2 = c == 0 ? d + 1 : d;
    const double p2 = patterns / static_cast<double>(c + 1) * static_cast<double>(c + 2);
    ++c;
    self(self, f.left_child[n0 + node], depth + 1, d2, p2);
    self(self, f.right_child[n0 + node], depth + 1, d2, p2);
    --c;
  };
  visit(visit, 0, 0, 0.0, 1.0);
  return fits;
}

bool plan_table(const ForestView& f, std::size_t t, TreeTable* tb, double* build, double* saved) {
  const int32_t n0 = f.tree_nodes[t], nodes = f.tree_nodes[t + 1] - n0;
  const std::size_t leaves = static_cast<std::size_t>(f.tree_leaves[t + 1] - f.tree_leaves[t]);
  tb->depth.assign(static_cast<std::size_t>(nodes), 0);
  tb->prev.assign(static_cast<std::size_t>(nodes), TreeTable::kNone);
  tb->slot.assign(2 * static_cast<std::size_t>(nodes), 0);
  tb->leaf_order.clear();
  tb->weight_off.assign(leaves, 0);
  tb->weights.clear();
  tb->leaf_terms.assign(leaves, 0);
  tb->feat_off.assign(leaves, 0);
  tb->value_off.assign(leaves, 0);
  tb->feats.clear();
  // One walk in the recursion's order (left child first), the path's features kept in place: at a
  // split, a feature already on the path moves to its end (the recursion unwinds and re-extends it).
  std::vector<int32_t> path;   // the features of the path's elements after the dummy
  std::vector<int32_t> split;  // the feature of the split at each depth above
  std::vector<std::size_t> radix;
  std::size_t values = 0;
  bool fits = true;
  *build = 0;
  *saved = 0;
  auto visit = [&](auto&& self, int32_t node) -> void {
    const int32_t depth = static_cast<int32_t>(split.size());
    if (!fits) return;
    if (node < 0) {
      if (depth > kMaxTableDepth) {
        fits = false;
        return;
      }
      const std::size_t leaf = static_cast<std::size_t>(~node);
      tb->leaf_order.push_back(~node);
      // Mixed radix over the leaf's features in path order: the digit of feature path[j] has
      // weight prod over earlier features of (their splits + 1).
      radix.assign(path.size(), 0);
      std::size_t patterns = 1;
      for (std::size_t j = 0; j < path.size(); ++j) {
        radix[j] = patterns;
        patterns *= static_cast<std::size_t>(std::count(split.begin(), split.end(), path[j])) + 1;
        if (patterns > kMaxTableValues) {
          fits = false;
          return;
        }
      }
      tb->weight_off[leaf] = static_cast<int32_t>(tb->weights.size());
      for (const int32_t feature : split) {
        const auto j = static_cast<std::size_t>(std::find(path.begin(), path.end(), feature) - path.begin());
        tb->weights.push_back(static_cast<int32_t>(radix[j]));
      }
      const std::size_t terms = path.size();
      const double d = static_cast<double>(terms);
      *build += static_cast<double>(patterns) * (d * d + 1);
      *saved += d * d - d - static_cast<double>(depth);
      tb->leaf_terms[leaf] = static_cast<int32_t>(terms);
      tb->feat_off[leaf] = static_cast<int32_t>(tb->feats.size());
      tb->feats.insert(tb->feats.end(), path.begin(), path.end());
      tb->value_off[leaf] = values;
      values += patterns * terms;
      if (values > kMaxTableValues) fits = false;
      return;
    }
    const std::size_t local = static_cast<std::size_t>(node);
    const int32_t feature = f.split_feature[n0 + node];
    tb->depth[local] = depth;
    for (int32_t k = depth; k-- > 0;)
      if (split[static_cast<std::size_t>(k)] == feature) {
        tb->prev[local] = static_cast<uint32_t>(k);
        break;
      }
    const int32_t lc = f.left_child[n0 + node], rc = f.right_child[n0 + node];
    tb->slot[2 * local] = lc >= 0 ? lc : nodes + ~lc;
    tb->slot[2 * local + 1] = rc >= 0 ? rc : nodes + ~rc;
    const auto at = std::find(path.begin(), path.end(), feature);
    const std::ptrdiff_t was = at == path.end() ? -1 : at - path.begin();
    if (was >= 0) path.erase(at);
    path.push_back(feature);
    split.push_back(feature);
    self(self, lc);
    self(self, rc);
    split.pop_back();
    path.pop_back();
    if (was >= 0) path.insert(path.begin() + was, feature);
  };
  visit(visit, 0);
  if (!fits) return false;
  tb->values.clear();
  tb->values.shrink_to_fit();
  tb->values_needed = values;
  return true;
}

/// Adds a row's terms for tree t from its table. One pass over the internal nodes (parents come
/// before their children) gives every node the one-fraction bits of the splits above it (TreeTable);
/// then the leaves add their patterns' terms in the recursion's order. No branch depends on the row
/// but those of the splits themselves. `bits` holds the tree's nodes + leaves.
void table_add(const ForestView& f, const detail::CatBits& cats, std::size_t t, const TreeTable& tb,
               const double* row, double* out, uint32_t* bits) {
  const int32_t n0 = f.tree_nodes[t];
  const std::size_t nodes = tb.depth.size();
  bits[0] = uint32_t{1} << TreeTable::kNone;
  for (std::size_t i = 0; i < nodes; ++i) {
    const std::size_t g = static_cast<std::size_t>(n0) + i;
    const double x = row[f.split_feature[g]];
    // goes_left without a branch on the value at numeric splits (NaN compares false: its default).
    const uint32_t nan_left = static_cast<uint32_t>(x != x) & static_cast<uint32_t>(f.default_left[g] == 1);
    const uint32_t left =
        f.categorical[g] ? (cats.goes_left(f, g, x) ? 1u : 0u) : static_cast<uint32_t>(x <= f.threshold[g]) | nan_left;
    const uint32_t b = bits[i];
    // 1 when every split above on this feature went the row's way (always, for a first split).
    const uint32_t alive = (b >> tb.prev[i]) & 1u;
    const uint32_t side = (alive << tb.depth[i]) & (0u - left);  // the bit the left child gets
    const uint32_t other = (alive << tb.depth[i]) & (left - 1u);  // the bit the right child gets
    bits[tb.slot[2 * i]] = b | side;
    bits[tb.slot[2 * i + 1]] = b | other;
  }
  const uint32_t* leaf_bits = bits + nodes;
  for (const int32_t l : tb.leaf_order) {
    const std::size_t leaf = static_cast<std::size_t>(l);
    const std::size_t terms = static_cast<std::size_t>(tb.leaf_terms[leaf]);
    const double* v = tb.values.data() + tb.value_off[leaf] + tb.pattern(leaf, leaf_bits[leaf]) * terms;
    const int32_t* feats = tb.feats.data() + tb.feat_off[leaf];
    for (std::size_t i = 0; i < terms; ++i) out[feats[i]] = out[feats[i]] + v[i];
  }
}

}  // namespace

Status gbdt_treeshap_cpu(const ForestView& forest, std::size_t num_trees, const double* features, std::size_t rows,
                         double* out, RowRange range, int threads, CancelToken cancel, TreeShapPlan plan) {
  Status s = detail::check_forest(forest, num_trees, features, rows, range);
  if (!s.ok()) return s;
  // Only trees that split read counts: a forest of single-leaf trees (constant features, one row)
  // has no node counts, and the binding passes its empty internalCount as a null pointer.
  const bool splits = forest.tree_nodes[num_trees] > forest.tree_nodes[0];
  if (splits && (forest.internal_count == nullptr || forest.leaf_count == nullptr))
    return Status::Error(StatusCode::kInvalidArgument, "TreeSHAP needs the node counts (internalCount / leafCount)");
  std::size_t max_depth = 0, max_nodes = 0, max_leaves = 0;
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
    max_nodes = std::max(max_nodes, static_cast<std::size_t>(forest.tree_nodes[t + 1] - forest.tree_nodes[t]));
    max_leaves = std::max(max_leaves, static_cast<std::size_t>(forest.tree_leaves[t + 1] - forest.tree_leaves[t]));
  }
  detail::CatBits cats;
  cats.build(forest, num_trees);
  const std::size_t n = range.end - range.begin;
  // Which trees get a table: every one that fits (kTables), none (kRecursion), or those whose table
  // costs less to fill than this batch saves by it (kAuto; on the development machine a unit of
  // `build` took about 3 ns and a unit of `saved` 6). A leaf's table has at least two patterns, so
  // a batch of one row never plans.
  std::vector<TreeTable> tables(num_trees);
  std::vector<uint8_t> tabled(num_trees, 0);
  const bool plans = plan == TreeShapPlan::kTables || (plan == TreeShapPlan::kAuto && n >= 2);
  std::vector<int32_t> count(plans ? forest.num_features : 0, 0);
  for (std::size_t t = 0; t < num_trees && plans; ++t) {
    if (forest.tree_nodes[t + 1] == forest.tree_nodes[t]) continue;
    double build = 0, saved = 0;
    if (!table_cost(forest, t, count, &build, &saved)) continue;
    if (plan == TreeShapPlan::kAuto && build > 2 * static_cast<double>(n) * saved) continue;
    tabled[t] = plan_table(forest, t, &tables[t], &build, &saved);
  }
  const std::size_t p = forest.num_features, w = p + 1;
  const double bias = detail::forest_bias(forest, num_trees);
  for (std::size_t i = range.begin; i < range.end; ++i) {
    double* o = out + i * w;
    for (std::size_t k = 0; k < p; ++k) o[k] = 0;
    o[p] = bias;
  }
  // Trees in chunks whose tables fit kChunkValues together: the chunk's tables are filled (trees
  // over threads), then rows go over threads in blocks, each block tree by tree so that a tree's
  // table stays in cache across the block's rows. Every row still adds its trees in order.
  const std::size_t block_rows = std::max<std::size_t>(64, 16384 / (2 * p + 1));  // a block's rows in and out: 128 KiB
  std::atomic<bool> cancelled{false};
  for (std::size_t t0 = 0; t0 < num_trees && !cancelled;) {
    std::size_t t1 = t0, held = 0;
    std::vector<std::size_t> fill;
    while (t1 < num_trees) {
      const std::size_t need = tabled[t1] ? tables[t1].values_needed : 0;
      if (t1 > t0 && held + need > kChunkValues) break;
      held += need;
      if (tabled[t1]) fill.push_back(t1);
      ++t1;
    }
    detail::parallel_blocks(threads, fill.size(), [&](std::size_t b, std::size_t e) {
      TreeShapWalk walk(forest, cats, max_depth);
      for (std::size_t k = b; k < e && !cancelled; ++k) {
        TreeTable& tb = tables[fill[k]];
        tb.values.assign(tb.values_needed, 0.0);
        walk.tabulate(fill[k], &tb);
        if (cancel.cancelled()) cancelled = true;
      }
    });
    if (cancelled) break;
    const std::size_t blocks = (n + block_rows - 1) / block_rows;
    detail::parallel_blocks(threads, blocks, [&](std::size_t bb, std::size_t be) {
      TreeShapWalk walk(forest, cats, max_depth);
      std::vector<uint32_t> bits(max_nodes + max_leaves);
      for (std::size_t blk = bb; blk < be; ++blk) {
        if (cancel.cancelled()) cancelled = true;
        if (cancelled) return;
        const std::size_t r0 = range.begin + blk * block_rows, r1 = std::min(range.end, r0 + block_rows);
        for (std::size_t t = t0; t < t1; ++t)
          for (std::size_t i = r0; i < r1; ++i) {
            if (tabled[t]) table_add(forest, cats, t, tables[t], features + i * p, out + i * w, bits.data());
            else walk.add(t, features + i * p, out + i * w);
          }
      }
    });
    for (const std::size_t t : fill) std::vector<double>().swap(tables[t].values);
    t0 = t1;
  }
  if (cancelled) return Status::Error(StatusCode::kCancelled, "contributions cancelled");
  return Status::Ok();
}

}  // namespace waybill::ml
