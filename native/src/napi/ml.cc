// N-API bindings of the ml family (GBDT, k-means; native/include/waybill/ml.h). Flat options objects,
// built and validated by src/kernels/ml/native.ts; this layer checks only the shapes that keep
// the core inside the memory it is given.
//   gbdtTrain({ features: Float64Array(rows * numFeatures), labels: Float64Array(rows), rows,
//               numFeatures, validFeatures?, validLabels?, validRows?, objective (0 l2, 1 l1,
//               2 quantile, 3 logistic, 4 poisson, 5 tweedie), alpha, tweedieVariancePower,
//               numIterations, learningRate, maxLeaves, maxDepth, minDataInLeaf,
//               minSumHessianInLeaf, lambdaL2, minSplitGain, subsample, colsample, maxBins,
//               binSampleSize, catSmooth, minDataPerGroup, maxCatThreshold, catL2,
//               maxCatToOnehot, earlyStoppingRounds, seed, gradientRounding? (default true),
//               categoricalFeatures: Int32Array, threads?, device?: 'cpu' | 'cuda',
//               cancel?: Int32Array, progress?: Float64Array(4), sync? })
//     -> (Promise of) { initScore, iterations, bestIteration, stopReason (0 completed,
//        1 early-stopping, 2 aborted), trainLoss, validLoss?, <forest arrays> }
//     progress, when given, holds [iteration, trainLoss, validLoss (NaN), bestIteration] after
//     every tree (a snapshot the caller may poll). device 'cuda': the histograms of large leaves
//     on the CUDA device (the same trees, bit for bit; `threads` still run the rest); without
//     gradientRounding UNSUPPORTED, a build without CUDA UNSUPPORTED with the reason, a machine
//     without a device CUDA_ERROR. gbdtTrainDevices lists the devices (absent: an older addon).
//   gbdtPredict({ <forest arrays>, initScore, numFeatures, numTrees, objective, features, rows,
//                 transform, out: Float64Array(rows), rowBegin?, rowEnd?, threads?,
//                 device?: 'cpu' | 'cuda', cancel?, sync? })
//     device 'cuda': gbdt_predict_cuda (the same numbers, bit for bit), `threads` unused; a build
//     without CUDA answers UNSUPPORTED with the reason, a machine without a device CUDA_ERROR.
//   gbdtContributions({ <forest arrays>, initScore, numFeatures, numTrees, features, rows,
//                       out: Float64Array(rows * (numFeatures + 1)), rowBegin?, rowEnd?,
//                       method?: 'saabas' | 'treeshap', ... })
//     treeshap: gbdt_treeshap_cpu, which also reads internalCount and leafCount.
//   gbdtContributionMethods: ['saabas', 'treeshap'].
//   kmeans({ data: Float64Array(rows * numFeatures), rows, numFeatures, k, seed, maxIterations,
//            tolerance, algorithm (0 lloyd, 1 elkan), threads?, device?: 'cpu' | 'cuda', cancel?,
//            sync? })
//     -> (Promise of) { centroids: Float64Array(k * numFeatures), labels: Int32Array(rows),
//        inertia, iterations, converged, distanceEvaluations }
//     Bad input rejects with the TS reference's code (INVALID_K, NOT_FINITE, INVALID_ARGUMENT).
//     device 'cuda': Lloyd's assignment step on the CUDA device, the centre update on the CPU
//     (the same result, bit for bit); with algorithm 1 UNSUPPORTED, a build without CUDA
//     UNSUPPORTED with the reason, a machine without a device CUDA_ERROR. kmeansDevices lists them.
//   kmeansAssign({ centroids: Float64Array(k * numFeatures), k, data, rows, numFeatures,
//                  labels: Int32Array(rows), distances: Float64Array(rows), threads?, device?, sync? })
// Forest arrays (ml.h ForestView): treeNodes, treeLeaves, splitFeature, leftChild, rightChild,
// catOffsets, catValues (Int32Array); threshold, internalValue, leafValue, splitGain,
// internalCount, leafCount (Float64Array); defaultLeft, categorical (Uint8Array).
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "bindings.h"
#include "waybill/ml.h"

namespace waybill::napi {
namespace {

int int_of(Napi::Env env, const Napi::Object& o, const char* key, double fallback) {
  const double d = number_or(env, o, key, fallback);
  if (d != std::floor(d) || d < -2147483648.0 || d > 2147483647.0) throw_invalid(env, std::string(key) + " must be an integer");
  return static_cast<int>(d);
}

bool bool_of(const Napi::Object& o, const char* key) {
  const Napi::Value v = o.Get(key);
  return v.IsBoolean() && v.As<Napi::Boolean>().Value();
}

Napi::Object options(const Napi::CallbackInfo& info) {
  if (info.Length() < 1 || !info[0].IsObject()) throw_invalid(info.Env(), "expected one options object");
  return info[0].As<Napi::Object>();
}

ml::Objective objective_of(Napi::Env env, const Napi::Object& o) {
  const int k = int_of(env, o, "objective", 0);
  if (k < 0 || k > 5) throw_invalid(env, "objective must be 0..5 (l2, l1, quantile, logistic, poisson, tweedie)");
  return static_cast<ml::Objective>(k);
}

int threads_of(Napi::Env env, const Napi::Object& o) {
  const int t = int_of(env, o, "threads", 1);
  if (t < 1 || t > 256) throw_invalid(env, "threads must be an integer in [1, 256]");
  return t;
}

template <typename T>
Napi::Value typed_copy(Napi::Env env, const std::vector<T>& v) {
  auto out = Napi::TypedArrayOf<T>::New(env, v.size());
  for (std::size_t i = 0; i < v.size(); ++i) out[i] = v[i];
  return out;
}

Napi::Object train_result(Napi::Env env, const ml::TrainResult& r, bool has_valid) {
  Napi::Object out = Napi::Object::New(env);
  const ml::Forest& f = r.forest;
  out.Set("initScore", f.init_score);
  out.Set("iterations", r.iterations);
  out.Set("bestIteration", r.best_iteration);
  out.Set("stopReason", static_cast<int>(r.stop_reason));
  out.Set("trainLoss", typed_copy(env, r.train_loss));
  if (has_valid) out.Set("validLoss", typed_copy(env, r.valid_loss));
  out.Set("treeNodes", typed_copy(env, f.tree_nodes));
  out.Set("treeLeaves", typed_copy(env, f.tree_leaves));
  out.Set("splitFeature", typed_copy(env, f.split_feature));
  out.Set("threshold", typed_copy(env, f.threshold));
  out.Set("defaultLeft", typed_copy(env, f.default_left));
  out.Set("categorical", typed_copy(env, f.categorical));
  out.Set("leftChild", typed_copy(env, f.left_child));
  out.Set("rightChild", typed_copy(env, f.right_child));
  out.Set("splitGain", typed_copy(env, f.split_gain));
  out.Set("internalValue", typed_copy(env, f.internal_value));
  out.Set("internalCount", typed_copy(env, f.internal_count));
  out.Set("catOffsets", typed_copy(env, f.cat_offsets));
  out.Set("catValues", typed_copy(env, f.cat_values));
  out.Set("leafValue", typed_copy(env, f.leaf_value));
  out.Set("leafCount", typed_copy(env, f.leaf_count));
  return out;
}

/// A training run: the inputs it borrows, its result, and the progress snapshot it writes.
struct TrainJob {
  ml::Dataset train, valid;
  bool has_valid = false;
  ml::GbdtParams params;
  CancelToken cancel;
  double* progress = nullptr;
  ml::TrainResult result;
  Status run() {
    std::function<void(const ml::Progress&)> report;
    if (progress != nullptr) {
      report = [this](const ml::Progress& p) {
        progress[1] = p.train_loss;
        progress[2] = p.valid_loss;
        progress[3] = p.best_iteration;
        progress[0] = p.iteration;  // last: a poller that sees iteration k sees its losses
      };
    }
    return ml::gbdt_train_cpu(train, has_valid ? &valid : nullptr, params, &result, cancel, report);
  }
  Napi::Value value(Napi::Env env) const { return train_result(env, result, has_valid); }
  Napi::Error error(Napi::Env env, const Status& s) const { return make_error(env, s); }
};

/// Runs a job (run(), value(env), error(env, status)) on a worker thread and settles a promise
/// with its value or error, keeping the borrowed arrays alive until then.
template <typename Job>
class JobWorker : public Napi::AsyncWorker {
 public:
  JobWorker(Napi::Env env, const char* name, std::shared_ptr<Job> job, std::vector<Napi::ObjectReference> keep)
      : Napi::AsyncWorker(env, name),
        job_(std::move(job)),
        keep_(std::move(keep)),
        deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    status_ = StatusWorker::guarded([this] { return job_->run(); });
  }
  void OnOK() override {
    if (status_.ok()) deferred_.Resolve(job_->value(Env()));
    else deferred_.Reject(job_->error(Env(), status_).Value());
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  std::shared_ptr<Job> job_;
  std::vector<Napi::ObjectReference> keep_;
  Napi::Promise::Deferred deferred_;
  Status status_;
};

/// The job's value now (options.sync: its error thrown), else a promise of it from a JobWorker.
template <typename Job>
Napi::Value run_job(Napi::Env env, const Napi::Object& o, const char* name, std::shared_ptr<Job> job,
                    std::vector<Napi::ObjectReference> keep) {
  if (bool_of(o, "sync")) {
    const Status s = StatusWorker::guarded([&] { return job->run(); });
    if (!s.ok()) throw job->error(env, s);
    return job->value(env);
  }
  auto* worker = new JobWorker<Job>(env, name, job, std::move(keep));
  Napi::Promise promise = worker->promise();
  worker->Queue();
  return promise;
}

Napi::Value GbdtTrain(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Napi::Object o = options(info);
  std::vector<Napi::ObjectReference> keep;
  auto job = std::make_shared<TrainJob>();
  const std::size_t rows = size_of(env, o, "rows"), p = size_of(env, o, "numFeatures");
  if (p < 1) throw_invalid(env, "numFeatures must be >= 1");
  job->train = ml::Dataset{array_of<double>(env, o, "features", napi_float64_array, rows * p, keep),
                           array_of<double>(env, o, "labels", napi_float64_array, rows, keep), rows, p};
  if (!o.Get("validLabels").IsUndefined()) {
    const std::size_t vrows = size_of(env, o, "validRows");
    job->valid = ml::Dataset{array_of<double>(env, o, "validFeatures", napi_float64_array, vrows * p, keep),
                             array_of<double>(env, o, "validLabels", napi_float64_array, vrows, keep), vrows, p};
    job->has_valid = true;
  }
  ml::GbdtParams& q = job->params;
  q.objective.kind = objective_of(env, o);
  q.objective.alpha = number_or(env, o, "alpha", 0.5);
  q.objective.tweedie_power = number_or(env, o, "tweedieVariancePower", 1.5);
  q.num_iterations = int_of(env, o, "numIterations", 100);
  q.learning_rate = number_or(env, o, "learningRate", 0.1);
  q.max_leaves = int_of(env, o, "maxLeaves", 31);
  q.max_depth = int_of(env, o, "maxDepth", 0);
  q.min_data_in_leaf = int_of(env, o, "minDataInLeaf", 20);
  q.min_sum_hessian_in_leaf = number_or(env, o, "minSumHessianInLeaf", 1e-3);
  q.lambda_l2 = number_or(env, o, "lambdaL2", 0);
  q.min_split_gain = number_or(env, o, "minSplitGain", 0);
  q.subsample = number_or(env, o, "subsample", 1);
  q.colsample = number_or(env, o, "colsample", 1);
  q.max_bins = int_of(env, o, "maxBins", 255);
  q.bin_sample_size = size_of(env, o, "binSampleSize", 200000);
  q.cat_smooth = number_or(env, o, "catSmooth", 10);
  q.min_data_per_group = int_of(env, o, "minDataPerGroup", 100);
  q.max_cat_threshold = int_of(env, o, "maxCatThreshold", 32);
  q.cat_l2 = number_or(env, o, "catL2", 10);
  q.max_cat_to_onehot = int_of(env, o, "maxCatToOnehot", 4);
  q.early_stopping_rounds = int_of(env, o, "earlyStoppingRounds", 0);
  const double seed = number_or(env, o, "seed", 0);
  if (!(seed >= 0 && seed <= 4294967295.0) || seed != std::floor(seed)) throw_invalid(env, "seed must be an integer in [0, 2^32)");
  q.seed = static_cast<uint32_t>(seed);
  const Napi::Value rounding = o.Get("gradientRounding");
  if (!rounding.IsUndefined() && !rounding.IsBoolean()) throw_invalid(env, "gradientRounding must be a boolean");
  q.gradient_rounding = !rounding.IsBoolean() || rounding.As<Napi::Boolean>().Value();
  if (o.Get("categoricalFeatures").IsTypedArray()) {
    std::size_t len = 0;
    const int32_t* cats = array_of<int32_t>(env, o, "categoricalFeatures", napi_int32_array, 0, keep, &len);
    q.categorical_features.assign(cats, cats + len);
  }
  q.threads = threads_of(env, o);
  q.device = cuda_of(env, o) ? ml::TrainDevice::kCuda : ml::TrainDevice::kCpu;
  job->cancel = cancel_of(env, o, keep);
  if (o.Get("progress").IsTypedArray()) job->progress = array_of<double>(env, o, "progress", napi_float64_array, 4, keep);
  return run_job(env, o, "waybill.gbdtTrain", job, std::move(keep));
}

/// The forest of a predict / contributions call, its arrays checked against each other.
ml::ForestView forest_of(Napi::Env env, const Napi::Object& o, std::vector<Napi::ObjectReference>& keep) {
  ml::ForestView v;
  std::size_t tn = 0, tl = 0;
  v.tree_nodes = array_of<int32_t>(env, o, "treeNodes", napi_int32_array, 1, keep, &tn);
  v.tree_leaves = array_of<int32_t>(env, o, "treeLeaves", napi_int32_array, tn, keep, &tl);
  if (tl != tn) throw_invalid(env, "treeNodes and treeLeaves must have the same length");
  v.num_trees = tn - 1;
  if (v.tree_nodes[0] != 0 || v.tree_leaves[0] != 0) throw_invalid(env, "treeNodes[0] and treeLeaves[0] must be 0");
  for (std::size_t t = 0; t < v.num_trees; ++t)
    if (v.tree_nodes[t + 1] < v.tree_nodes[t] || v.tree_leaves[t + 1] <= v.tree_leaves[t])
      throw_invalid(env, "treeNodes / treeLeaves must be increasing");
  const std::size_t nodes = static_cast<std::size_t>(v.tree_nodes[v.num_trees]);
  const std::size_t leaves = static_cast<std::size_t>(v.tree_leaves[v.num_trees]);
  v.split_feature = array_of<int32_t>(env, o, "splitFeature", napi_int32_array, nodes, keep);
  v.threshold = array_of<double>(env, o, "threshold", napi_float64_array, nodes, keep);
  v.default_left = array_of<uint8_t>(env, o, "defaultLeft", napi_uint8_array, nodes, keep);
  v.categorical = array_of<uint8_t>(env, o, "categorical", napi_uint8_array, nodes, keep);
  v.left_child = array_of<int32_t>(env, o, "leftChild", napi_int32_array, nodes, keep);
  v.right_child = array_of<int32_t>(env, o, "rightChild", napi_int32_array, nodes, keep);
  v.internal_value = array_of<double>(env, o, "internalValue", napi_float64_array, nodes, keep);
  v.cat_offsets = array_of<int32_t>(env, o, "catOffsets", napi_int32_array, nodes + 1, keep);
  std::size_t cv = 0;
  v.cat_values = array_of<int32_t>(env, o, "catValues", napi_int32_array, 0, keep, &cv);
  if (v.cat_offsets[0] != 0) throw_invalid(env, "catOffsets[0] must be 0");
  for (std::size_t i = 0; i < nodes; ++i)
    if (v.cat_offsets[i + 1] < v.cat_offsets[i]) throw_invalid(env, "catOffsets must be non-decreasing");
  if (static_cast<std::size_t>(v.cat_offsets[nodes]) > cv) throw_invalid(env, "catValues is shorter than catOffsets says");
  v.leaf_value = array_of<double>(env, o, "leafValue", napi_float64_array, leaves, keep);
  v.init_score = number_or(env, o, "initScore", NAN);
  v.num_features = size_of(env, o, "numFeatures");
  if (v.num_features < 1) throw_invalid(env, "numFeatures must be >= 1");
  return v;
}

RowRange rows_of(Napi::Env env, const Napi::Object& o, std::size_t n) {
  const RowRange r{size_of(env, o, "rowBegin", 0), size_of(env, o, "rowEnd", static_cast<double>(n))};
  if (r.begin > r.end || r.end > n) throw_invalid(env, "rowBegin/rowEnd outside [0, " + std::to_string(n) + "]");
  return r;
}

Napi::Value GbdtPredict(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Napi::Object o = options(info);
  std::vector<Napi::ObjectReference> keep;
  const ml::ForestView forest = forest_of(env, o, keep);
  const std::size_t num_trees = size_of(env, o, "numTrees", static_cast<double>(forest.num_trees));
  const ml::Objective objective = objective_of(env, o);
  const std::size_t rows = size_of(env, o, "rows");
  const double* features = array_of<double>(env, o, "features", napi_float64_array, rows * forest.num_features, keep);
  double* out = array_of<double>(env, o, "out", napi_float64_array, rows, keep);
  const bool transform = bool_of(o, "transform");
  const RowRange range = rows_of(env, o, rows);
  const int threads = threads_of(env, o);
  const bool cuda = cuda_of(env, o);
  const CancelToken cancel = cancel_of(env, o, keep);
  return run_status(
      env, bool_of(o, "sync"),
      [=] {
        return cuda ? ml::gbdt_predict_cuda(forest, objective, num_trees, features, rows, transform, out, range, cancel)
                    : ml::gbdt_predict_cpu(forest, objective, num_trees, features, rows, transform, out, range, threads,
                                           cancel);
      },
      std::move(keep));
}

Napi::Value GbdtContributions(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Napi::Object o = options(info);
  std::vector<Napi::ObjectReference> keep;
  ml::ForestView forest = forest_of(env, o, keep);
  const std::size_t num_trees = size_of(env, o, "numTrees", static_cast<double>(forest.num_trees));
  const std::size_t rows = size_of(env, o, "rows");
  const double* features = array_of<double>(env, o, "features", napi_float64_array, rows * forest.num_features, keep);
  double* out = array_of<double>(env, o, "out", napi_float64_array, rows * (forest.num_features + 1), keep);
  const RowRange range = rows_of(env, o, rows);
  const int threads = threads_of(env, o);
  const CancelToken cancel = cancel_of(env, o, keep);
  bool treeshap = false;
  if (o.Has("method") && !o.Get("method").IsUndefined()) {
    const Napi::Value m = o.Get("method");
    const std::string name = m.IsString() ? m.As<Napi::String>().Utf8Value() : "";
    if (name != "saabas" && name != "treeshap") throw_invalid(env, "method must be 'saabas' or 'treeshap'");
    treeshap = name == "treeshap";
  }
  if (treeshap) {
    forest.internal_count = array_of<double>(env, o, "internalCount", napi_float64_array,
                                             static_cast<std::size_t>(forest.tree_nodes[forest.num_trees]), keep);
    forest.leaf_count = array_of<double>(env, o, "leafCount", napi_float64_array,
                                         static_cast<std::size_t>(forest.tree_leaves[forest.num_trees]), keep);
  }
  return run_status(
      env, bool_of(o, "sync"),
      [=] {
        return treeshap ? ml::gbdt_treeshap_cpu(forest, num_trees, features, rows, out, range, threads, cancel)
                        : ml::gbdt_contributions_cpu(forest, num_trees, features, rows, out, range, threads, cancel);
      },
      std::move(keep));
}

/// A k-means run: the data it borrows, its parameters and result.
struct KMeansJob {
  const double* data = nullptr;
  std::size_t rows = 0, p = 0;
  ml::KMeansParams params;
  CancelToken cancel;
  ml::KMeansResult result;
  Status run() { return ml::kmeans_cpu(data, rows, p, params, &result, cancel); }
  Napi::Value value(Napi::Env env) const;
  Napi::Error error(Napi::Env env, const Status& s) const;
};

/// The error of a failed k-means run: the reference's code for bad input, else the Status code.
Napi::Error kmeans_error(Napi::Env env, const Status& s, const ml::KMeansResult& r) {
  Napi::Error err = make_error(env, s);
  if (s.code == StatusCode::kInvalidArgument && r.input_error != nullptr)
    err.Set("code", Napi::String::New(env, r.input_error));
  return err;
}

Napi::Object kmeans_result(Napi::Env env, const ml::KMeansResult& r) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("centroids", typed_copy(env, r.centroids));
  out.Set("labels", typed_copy(env, r.labels));
  out.Set("inertia", r.inertia);
  out.Set("iterations", r.iterations);
  out.Set("converged", r.converged);
  out.Set("distanceEvaluations", static_cast<double>(r.distance_evaluations));
  return out;
}

Napi::Value KMeansJob::value(Napi::Env env) const { return kmeans_result(env, result); }
Napi::Error KMeansJob::error(Napi::Env env, const Status& s) const { return kmeans_error(env, s, result); }

Napi::Value KMeans(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Napi::Object o = options(info);
  std::vector<Napi::ObjectReference> keep;
  auto job = std::make_shared<KMeansJob>();
  job->rows = size_of(env, o, "rows");
  job->p = size_of(env, o, "numFeatures");
  if (job->p < 1) throw_invalid(env, "numFeatures must be >= 1");
  job->data = array_of<double>(env, o, "data", napi_float64_array, job->rows * job->p, keep);
  ml::KMeansParams& q = job->params;
  q.k = int_of(env, o, "k", 8);
  const double seed = number_or(env, o, "seed", 0);
  if (!(seed >= 0 && seed <= 4294967295.0) || seed != std::floor(seed))
    throw_invalid(env, "seed must be an integer in [0, 2^32)");
  q.seed = static_cast<uint32_t>(seed);
  q.max_iterations = int_of(env, o, "maxIterations", 300);
  q.tolerance = number_or(env, o, "tolerance", 1e-4);
  const int algorithm = int_of(env, o, "algorithm", 0);
  if (algorithm != 0 && algorithm != 1) throw_invalid(env, "algorithm must be 0 (lloyd) or 1 (elkan)");
  q.algorithm = static_cast<ml::KMeansAlgorithm>(algorithm);
  q.threads = threads_of(env, o);
  q.device = cuda_of(env, o) ? ml::KMeansDevice::kCuda : ml::KMeansDevice::kCpu;
  job->cancel = cancel_of(env, o, keep);
  return run_job(env, o, "waybill.kmeans", job, std::move(keep));
}

Napi::Value KMeansAssign(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Napi::Object o = options(info);
  std::vector<Napi::ObjectReference> keep;
  const std::size_t k = size_of(env, o, "k"), rows = size_of(env, o, "rows"), p = size_of(env, o, "numFeatures");
  if (p < 1 || k < 1) throw_invalid(env, "k and numFeatures must be >= 1");
  const double* centroids = array_of<double>(env, o, "centroids", napi_float64_array, k * p, keep);
  const double* data = array_of<double>(env, o, "data", napi_float64_array, rows * p, keep);
  int32_t* labels = array_of<int32_t>(env, o, "labels", napi_int32_array, rows, keep);
  double* distances = array_of<double>(env, o, "distances", napi_float64_array, rows, keep);
  const int threads = threads_of(env, o);
  const bool cuda = cuda_of(env, o);
  return run_status(
      env, bool_of(o, "sync"),
      [=] {
        return cuda ? ml::kmeans_assign_cuda(centroids, k, data, rows, p, labels, distances)
                    : ml::kmeans_assign_cpu(centroids, k, data, rows, p, labels, distances, threads);
      },
      std::move(keep));
}

}  // namespace

void init_ml(Napi::Env env, Napi::Object exports) {
  exports.Set("gbdtTrain", Napi::Function::New(env, GbdtTrain, "gbdtTrain"));
  exports.Set("gbdtTrainDevices", cpu_cuda_devices(env));
  exports.Set("gbdtPredict", Napi::Function::New(env, GbdtPredict, "gbdtPredict"));
  exports.Set("gbdtContributions", Napi::Function::New(env, GbdtContributions, "gbdtContributions"));
  {
    Napi::Array methods = Napi::Array::New(env, 2);
    methods.Set(0u, Napi::String::New(env, "saabas"));
    methods.Set(1u, Napi::String::New(env, "treeshap"));
    exports.Set("gbdtContributionMethods", methods);
  }
  exports.Set("gbdtPredictDevices", cpu_cuda_devices(env));
  exports.Set("kmeans", Napi::Function::New(env, KMeans, "kmeans"));
  exports.Set("kmeansAssign", Napi::Function::New(env, KMeansAssign, "kmeansAssign"));
  exports.Set("kmeansDevices", cpu_cuda_devices(env));
}

}  // namespace waybill::napi
