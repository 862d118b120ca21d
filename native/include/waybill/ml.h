// ml kernel family, C++ CPU: histogram gradient-boosted decision trees (training, prediction,
// Saabas contributions).
//
// The C++ port of the TypeScript reference src/kernels/ml/gbdt.ts (+ binning.ts, objectives.ts,
// gbdt-tree.ts, random.ts): the same bins, the same mulberry32 draws in the same order, the same
// tie-breaks and the same order of floating-point operations (-ffp-contract=off), so it grows the
// same trees. exp and log are the fdlibm algorithms that V8 uses for Math.exp / Math.log
// (native/src/cpu/ml/js_math.h), so gradients, leaf values and predictions are bit-identical to
// the reference; only Math.pow (the Tweedie loss value) comes from libm.
//
// Validation of values (labels in the objective's domain, option ranges, category codes) is the
// caller's job (src/kernels/ml/native.ts); the core re-checks what would make it misbehave and
// returns kInvalidArgument with a message naming the problem.
//
// Threads: `threads` > 1 bins and builds histograms over blocks of features, and computes
// gradients and scores over blocks of rows, on std::threads; every histogram slot is still summed
// in ascending row order and every loss in row order, so the result is bit-identical for every
// thread count (checked by native/test/test_ml.cc and test/kernels/ml-parity.test.ts).
//
// CUDA: prediction (gbdt_predict_cuda) and, with gradient rounding, the histograms of training
// (GbdtParams::device) run on a device with the CPU's results, bit for bit
// (native/test/test_ml_cuda.cc, test/kernels/ml-cuda-parity.test.ts).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "waybill/common.h"

namespace waybill::ml {

/// Objectives; the values are part of the N-API contract.
enum class Objective : int { kL2 = 0, kL1 = 1, kQuantile = 2, kLogistic = 3, kPoisson = 4, kTweedie = 5 };

struct ObjectiveSpec {
  Objective kind = Objective::kL2;
  double alpha = 0.5;           ///< quantile level (l1: 0.5)
  double tweedie_power = 1.5;   ///< rho in (1, 2)
};

/// Where a training run builds its histograms; the values are part of the N-API contract.
enum class TrainDevice : int { kCpu = 0, kCuda = 1 };

/// Resolved hyper-parameters (the reference's GbdtParams).
struct GbdtParams {
  ObjectiveSpec objective;
  int num_iterations = 100;
  double learning_rate = 0.1;
  int max_leaves = 31;
  int max_depth = 0;  ///< 0: none
  int min_data_in_leaf = 20;
  double min_sum_hessian_in_leaf = 1e-3;
  double lambda_l2 = 0;
  double min_split_gain = 0;
  double subsample = 1;
  double colsample = 1;
  int max_bins = 255;
  std::size_t bin_sample_size = 200000;
  double cat_smooth = 10;
  int min_data_per_group = 100;  ///< categories with fewer rows in a leaf stay out of sorted partitions
  int max_cat_threshold = 32;    ///< most categories on the left of a sorted partition split
  double cat_l2 = 10;            ///< lambda_l2 + cat_l2 is the L2 in the gain of sorted partition splits
  int max_cat_to_onehot = 4;     ///< at most this many categories in a leaf: one-vs-rest splits
  int early_stopping_rounds = 0;
  uint32_t seed = 0;
  /// Gradients and hessians rounded to a grid on which every sum is exact (gbdt.ts roundToGrid),
  /// so histograms may add rows in any order (threads, GPU) and still match the reference.
  bool gradient_rounding = true;
  std::vector<int32_t> categorical_features;  ///< feature indices (any order, duplicates allowed)
  int threads = 1;
  /// kCuda: large histograms are built on the CUDA device (native/src/cuda/ml/gbdt_hist.cu), the
  /// rest of training stays on the CPU threads; needs gradient_rounding (sums in any order are
  /// then exact, so the trees are bit-identical to kCpu), else kUnsupported.
  TrainDevice device = TrainDevice::kCpu;
};

/// Row-major features (rows x num_features, NaN = missing) and one label per row (borrowed).
struct Dataset {
  const double* features = nullptr;
  const double* labels = nullptr;
  std::size_t rows = 0;
  std::size_t num_features = 0;
};

/// Borrowed flat trees: the arrays of gbdt-tree.ts concatenated over trees. Tree t owns nodes
/// tree_nodes[t] .. tree_nodes[t + 1] - 1 and leaves tree_leaves[t] .. tree_leaves[t + 1] - 1;
/// children are local to the tree (>= 0 node, < 0 leaf ~c). A node with categorical[i] = 1 sends
/// the codes cat_values[cat_offsets[i] .. cat_offsets[i + 1]) (sorted ascending) left.
struct ForestView {
  std::size_t num_trees = 0;
  std::size_t num_features = 0;
  double init_score = 0;
  const int32_t* tree_nodes = nullptr;   // num_trees + 1
  const int32_t* tree_leaves = nullptr;  // num_trees + 1
  const int32_t* split_feature = nullptr;
  const double* threshold = nullptr;
  const uint8_t* default_left = nullptr;
  const uint8_t* categorical = nullptr;
  const int32_t* left_child = nullptr;
  const int32_t* right_child = nullptr;
  const double* internal_value = nullptr;
  const int32_t* cat_offsets = nullptr;  // total nodes + 1
  const int32_t* cat_values = nullptr;
  const double* leaf_value = nullptr;
  // Training rows that reached each node / leaf (the covers of TreeSHAP; prediction and Saabas
  // do not read them, so a view may leave them null).
  const double* internal_count = nullptr;  // total nodes
  const double* leaf_count = nullptr;      // total leaves
};

/// Owned flat trees (the layout of ForestView) plus the per-node training statistics.
struct Forest {
  double init_score = 0;
  std::size_t num_features = 0;
  std::vector<int32_t> tree_nodes{0}, tree_leaves{0};
  std::vector<int32_t> split_feature, left_child, right_child, cat_offsets{0}, cat_values;
  std::vector<double> threshold, split_gain, internal_value, internal_count, leaf_value, leaf_count;
  std::vector<uint8_t> default_left, categorical;

  std::size_t num_trees() const { return tree_nodes.size() - 1; }
  ForestView view() const;
  /// Keeps the first k trees.
  void truncate(std::size_t k);
};

enum class StopReason : int { kCompleted = 0, kEarlyStopping = 1, kAborted = 2 };

struct Progress {
  int iteration = 0;  ///< trees trained so far (1-based)
  double train_loss = 0;
  double valid_loss = 0;  ///< NaN without a validation set
  int best_iteration = 0;
};

struct TrainResult {
  Forest forest;
  int iterations = 0;       ///< trees trained (before truncation)
  int best_iteration = 0;   ///< trees kept
  StopReason stop_reason = StopReason::kCompleted;
  std::vector<double> train_loss, valid_loss;  ///< per iteration (valid_loss empty without valid)
};

/// Trains a model (gbdt.ts trainGbdt). `valid` may be null. The cancel flag is polled before each
/// iteration: a set flag stops training with kAborted, keeping the best model so far (not an
/// error). `progress`, when set, is called after every iteration on the training thread.
/// With params.device kCuda the histograms of large leaves are built on the CUDA device and the
/// result is the same, bit for bit: without gradient_rounding that is kUnsupported (the message
/// says so), a build without CUDA kUnsupported with the reason (native/src/cuda_stub.cc), a
/// machine without a usable device kCudaError.
Status gbdt_train_cpu(const Dataset& train, const Dataset* valid, const GbdtParams& params, TrainResult* out,
                      CancelToken cancel = {}, const std::function<void(const Progress&)>& progress = {});

/// Predictions of the first `num_trees` trees for rows [range.begin, range.end) of features
/// (rows x forest.num_features): the raw margin, or with `transform` the response (sigmoid for
/// logistic, exp for poisson / tweedie). out has one value per row of the whole matrix.
Status gbdt_predict_cpu(const ForestView& forest, Objective objective, std::size_t num_trees, const double* features,
                        std::size_t rows, bool transform, double* out, RowRange range, int threads = 1,
                        CancelToken cancel = {});

/// gbdt_predict_cpu on the CUDA device (native/src/cuda/ml/gbdt_predict.cu): the same arguments
/// and the same numbers, bit for bit (raw and transformed; leaves summed in tree order, V8's exp
/// ported to the device). Rows are processed in chunks; the cancel flag is polled between chunks.
/// A build without CUDA returns kUnsupported with the reason (native/src/cuda_stub.cc), a machine
/// without a usable device kCudaError.
Status gbdt_predict_cuda(const ForestView& forest, Objective objective, std::size_t num_trees, const double* features,
                         std::size_t rows, bool transform, double* out, RowRange range, CancelToken cancel = {});

/// Saabas contributions (gbdt.ts gbdtContributions): out is rows x (num_features + 1), row-major,
/// the last column the bias; only rows [range.begin, range.end) are written.
Status gbdt_contributions_cpu(const ForestView& forest, std::size_t num_trees, const double* features, std::size_t rows,
                              double* out, RowRange range, int threads = 1, CancelToken cancel = {});

/// How gbdt_treeshap_cpu evaluates a tree; the values are the same bit for bit. kRecursion: the
/// reference's recursion for every row. kTables: every tree whose table fits (leaves at depth <= 31,
/// at most 2^22 values) gets the terms of all its leaves' patterns tabulated once, and rows look
/// them up (treeshap.cc). kAuto: a table for each tree whose filling costs less than the batch's
/// rows save by it (estimated from the tree's shape), none for a batch of one row.
enum class TreeShapPlan : int { kAuto = 0, kRecursion = 1, kTables = 2 };

/// TreeSHAP contributions (src/kernels/ml/treeshap.ts, path-dependent, the tree's covers from
/// internal_count / leaf_count): the layout and bias of gbdt_contributions_cpu, the reference's
/// operations in its order. kInvalidArgument when the counts are missing or a cover is not positive.
Status gbdt_treeshap_cpu(const ForestView& forest, std::size_t num_trees, const double* features, std::size_t rows,
                         double* out, RowRange range, int threads = 1, CancelToken cancel = {},
                         TreeShapPlan plan = TreeShapPlan::kAuto);

// ---- k-means (src/kernels/ml/kmeans.ts is the specification) ----
//
// kmeans_cpu: k-means++ seeding from mulberry32, then Lloyd iterations; the reference's draws,
// tie rules (lowest centroid index, lowest row), empty-cluster rule and convergence test, with
// its order of floating-point operations, so labels, centroids, inertia and iterations are
// bit-identical to kmeans.ts (test/kernels/ml-kmeans-native.test.ts). kElkan prunes distance
// computations with Elkan's (2003) triangle-inequality bounds, made conservative by a relative
// margin above the rounding error of a computed distance, so it computes every distance that
// could decide an assignment and gives Lloyd's result bit for bit. `threads` split the rows of
// the assignment step (and the features of the centre sums); results do not depend on it.
// KMeansDevice::kCuda runs the assignment step (Lloyd only) on the CUDA device
// (native/src/cuda/ml/kmeans_assign.cu), the same labels and distances; the centre update stays
// on the CPU.

enum class KMeansAlgorithm : int { kLloyd = 0, kElkan = 1 };
/// Where the assignment step runs; the values are part of the N-API contract.
enum class KMeansDevice : int { kCpu = 0, kCuda = 1 };

struct KMeansParams {
  int k = 8;
  uint32_t seed = 0;
  int max_iterations = 300;
  double tolerance = 1e-4;
  KMeansAlgorithm algorithm = KMeansAlgorithm::kLloyd;
  int threads = 1;
  KMeansDevice device = KMeansDevice::kCpu;
};

struct KMeansResult {
  std::vector<double> centroids;  ///< k x p, row-major
  std::vector<int32_t> labels;
  double inertia = 0;
  int iterations = 0;
  bool converged = false;
  /// Distance computations of the assignment steps (rows x centres for Lloyd; fewer for Elkan).
  uint64_t distance_evaluations = 0;
  /// With a kInvalidArgument Status: the reference's WaybillError code for the input
  /// (INVALID_K, NOT_FINITE or INVALID_ARGUMENT), so the bindings report what kmeans.ts reports.
  const char* input_error = nullptr;
};

/// k-means of rows x p row-major finite data. The cancel flag is polled before each iteration
/// (kCancelled). Bad input: kInvalidArgument with out->input_error set; kCuda with kElkan is
/// kUnsupported; kCuda without a build with CUDA kUnsupported, without a usable device kCudaError.
Status kmeans_cpu(const double* data, std::size_t rows, std::size_t p, const KMeansParams& params, KMeansResult* out,
                  CancelToken cancel = {});

/// The reference's kmeansAssign: nearest of k centroids (k x p) for each of rows rows (squared
/// Euclidean distance, features summed in order; ties to the lowest index); labels and distances
/// have one slot per row.
Status kmeans_assign_cpu(const double* centroids, std::size_t k, const double* data, std::size_t rows, std::size_t p,
                         int32_t* labels, double* distances, int threads = 1);

/// kmeans_assign_cpu on the CUDA device (one thread per row): the same labels and distances, bit
/// for bit. kUnsupported in a build without CUDA, kCudaError without a usable device.
Status kmeans_assign_cuda(const double* centroids, std::size_t k, const double* data, std::size_t rows, std::size_t p,
                          int32_t* labels, double* distances);

/// V8's Math.exp / Math.log (fdlibm), exposed for the tests.
double js_exp(double x);
double js_log(double x);

}  // namespace waybill::ml
