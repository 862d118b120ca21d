// k-means (kmeans_cpu, kmeans_assign_cpu in waybill/ml.h): the C++ port of the TypeScript
// reference src/kernels/ml/kmeans.ts, whose header comment is the specification.
//
// Parity: every floating-point value the reference computes is computed here with the same
// operations in the same order (-ffp-contract=off): a squared distance sums (x_f - c_f)^2 over
// features in order from 0; the seeding totals and running sums go in row order; the centre sums
// add rows in row order, then divide by the count; the shift adds (next - old)^2 over centres,
// then features (the reference's `x ** 2` is x * x: V8's pow returns x * x for y = 2); the
// tolerance scale is sum_f (v_f / n / p). So labels, centroids, inertia and iteration counts are
// bit-identical to the reference (test/kernels/ml-kmeans-native.test.ts).
//
// Speed without changing a bit: the Lloyd assignment keeps the centroids feature-major, so two
// rows' k distances are summed side by side in registers (each lane still adds its features in
// order, which vectorises; an AVX2 clone is picked at run time on x86-64 Linux); rows are split
// over WorkPool threads and the centre sums over features.
//
// Elkan (2003): per row an upper bound u on the distance to its centre, per row and centre a
// lower bound l, and half the centre-to-centre distances h. A centre j is skipped when l_j or h
// exceeds u by more than a distance computed in floating point can be off (relative
// (p + 4) * 2^-52, and only above an absolute floor where squares do not underflow): then its
// computed squared distance is strictly larger than the current centre's, so it can neither win
// nor tie. Every bound is rounded outwards (up for u and the centre shifts, down for l and h).
// Every centre that could win or tie is therefore computed with the same dist2 as Lloyd, and the
// choice among them (smallest, ties to the lowest index) gives Lloyd's labels, bit for bit.
// The bounds are loosened lazily (see ElkanBounds): a row whose nearest-centre test holds is not
// written. Elkan keeps k bounds per row, so it pays when p is large next to k (bench/RESULTS.md,
// "k-means"): with few features, reading the bounds costs about as much as the distances.
#include <algorithm>
#include <atomic>
#include <cfloat>
#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "internal.h"
#include "kmeans_device.h"
#include "waybill/ml.h"

namespace waybill::ml {
namespace {

/// kmeans.ts dist2: sum over features in order of (a_f - b_f)^2.
inline double dist2(const double* a, const double* b, std::size_t p) {
  double s = 0;
  for (std::size_t f = 0; f < p; ++f) {
    const double d = a[f] - b[f];
    s += d * d;
  }
  return s;
}

/// Centroids k x p row-major -> p x k (feature-major) for the side-by-side distance sums.
std::vector<double> feature_major(const double* centroids, std::size_t k, std::size_t p) {
  std::vector<double> t(k * p);
  for (std::size_t j = 0; j < k; ++j)
    for (std::size_t f = 0; f < p; ++f) t[f * k + j] = centroids[j * p + f];
  return t;
}

/// Squared distances of R rows (x, x + p, ...) to centroids j0 .. j0 + W - 1 of feature-major ct
/// (p x k) into out (R rows of k), each summed over features in order: R x W independent lanes
/// in registers, so the additions of one lane never wait on each other's latency chains.
template <std::size_t R, std::size_t W>
inline void distance_lanes(const double* x, const double* ct, std::size_t k, std::size_t p, std::size_t j0,
                           double* out) {
  double acc[R][W] = {};
  for (std::size_t f = 0; f < p; ++f) {
    const double* c = ct + f * k + j0;
    for (std::size_t r = 0; r < R; ++r) {
      const double xf = x[r * p + f];
      for (std::size_t w = 0; w < W; ++w) {
        const double d = xf - c[w];
        acc[r][w] += d * d;
      }
    }
  }
  for (std::size_t r = 0; r < R; ++r)
    for (std::size_t w = 0; w < W; ++w) out[r * k + j0 + w] = acc[r][w];
}

/// All k distances of R rows into out (R x k).
template <std::size_t R>
inline void row_distances(const double* x, const double* ct, std::size_t k, std::size_t p, double* out) {
  std::size_t j = 0;
  for (; j + 8 <= k; j += 8) distance_lanes<R, 8>(x, ct, k, p, j, out);
  if (j + 4 <= k) {
    distance_lanes<R, 4>(x, ct, k, p, j, out);
    j += 4;
  }
  for (; j < k; ++j) distance_lanes<R, 1>(x, ct, k, p, j, out);
}

/// The reference's choice: the smallest distance, ties to the lowest index.
inline void nearest(const double* s, std::size_t k, int32_t* label, double* distance) {
  int32_t best = 0;
  double bd = s[0];
  for (std::size_t c = 1; c < k; ++c)
    if (s[c] < bd) {
      bd = s[c];
      best = static_cast<int32_t>(c);
    }
  *label = best;
  *distance = bd;
}

/// Lloyd assignment of rows [begin, end) against feature-major centroids ct (p x k), two rows at
/// a time. Built for AVX2 as well where GCC can dispatch at run time (no FMA: the same bits).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
__attribute__((target_clones("avx2", "default")))
#endif
void assign_rows(const double* ct, std::size_t k, const double* data, std::size_t p, std::size_t begin,
                 std::size_t end, int32_t* labels, double* distances) {
  std::vector<double> dist(2 * k);
  double* s = dist.data();
  std::size_t i = begin;
  for (; i + 2 <= end; i += 2) {
    row_distances<2>(data + i * p, ct, k, p, s);
    nearest(s, k, labels + i, distances + i);
    nearest(s + k, k, labels + i + 1, distances + i + 1);
  }
  if (i < end) {
    row_distances<1>(data + i * p, ct, k, p, s);
    nearest(s, k, labels + i, distances + i);
  }
}

Status invalid(KMeansResult* out, const char* code, std::string msg) {
  if (out != nullptr) out->input_error = code;
  return Status::Error(StatusCode::kInvalidArgument, std::move(msg));
}

/// Elkan's bounds for one run: rows x k lower bounds l, one upper bound u per row (each pair
/// valid at the epoch the row stores), k x k half centre distances and each centre's nearest.
/// Bounds are loosened lazily: cum_[e][j] bounds (from above) the distance centre j moved from
/// epoch 0 to epoch e, so a row last refreshed at epoch t loosens l_j by cum_[e][j] - cum_[t][j]
/// and u by its centre's difference when it is next looked at; a row that the nearest-centre test
/// skips is not written at all (most rows, once the centres settle).
class ElkanBounds {
 public:
  ElkanBounds(std::size_t n, std::size_t k, std::size_t p)
      : k_(k), p_(p), gamma_((static_cast<double>(p) + 4) * DBL_EPSILON), lower_(n * k), upper_(n), epoch_of_(n, 0),
        half_(k * k), nearest_(k), cum_(k, 0.0) {}

  /// First assignment: every distance, the bounds from them, Lloyd's labels and distances.
  void init_rows(const double* c, const double* data, std::size_t begin, std::size_t end, int32_t* labels,
                 double* distances) {
    for (std::size_t i = begin; i < end; ++i) {
      const double* x = data + i * p_;
      double* l = &lower_[i * k_];
      int32_t best = 0;
      double bd = 0;
      for (std::size_t j = 0; j < k_; ++j) {
        const double d = dist2(x, c + j * p_, p_);
        l[j] = down(d);
        if (j == 0 || d < bd) {
          bd = d;
          best = static_cast<int32_t>(j);
        }
      }
      labels[i] = best;
      distances[i] = bd;
      upper_[i] = up(bd);
      epoch_of_[i] = 0;
    }
  }

  /// Half centre-to-centre distances (lower bounds) and each centre's nearest one.
  void centre_distances(const double* c) {
    for (std::size_t a = 0; a < k_; ++a) {
      half_[a * k_ + a] = 0;
      nearest_[a] = INFINITY;
    }
    for (std::size_t a = 0; a < k_; ++a)
      for (std::size_t b = a + 1; b < k_; ++b) {
        const double h = down(dist2(c + a * p_, c + b * p_, p_)) * 0.5;
        half_[a * k_ + b] = half_[b * k_ + a] = h;
        nearest_[a] = std::min(nearest_[a], h);
        nearest_[b] = std::min(nearest_[b], h);
      }
  }

  /// One assignment step for rows [begin, end) (labels hold the previous step's and are
  /// updated). Returns the distance computations.
  uint64_t assign_rows(const double* c, const double* data, std::size_t begin, std::size_t end, int32_t* labels) {
    const int32_t e = epoch_;
    const double* cum_e = &cum_[static_cast<std::size_t>(e) * k_];
    uint64_t evals = 0;
    for (std::size_t i = begin; i < end; ++i) {
      std::size_t b = static_cast<std::size_t>(labels[i]);
      const int32_t t = epoch_of_[i];
      const double* cum_t = &cum_[static_cast<std::size_t>(t) * k_];
      double u = upper_[i];
      if (t != e) u = (u + (cum_e[b] - cum_t[b]) * kUp2) * kUp4;
      if (beyond(nearest_[b], u)) continue;  // no other centre can win or tie: nothing to store
      double* l = &lower_[i * k_];
      if (t != e)
        for (std::size_t j = 0; j < k_; ++j) l[j] = std::max(0.0, (l[j] - (cum_e[j] - cum_t[j]) * kUp2) * kDown4);
      const double* x = data + i * p_;
      bool tight = false;
      double db = 0;
      double ut = cut(u);
      for (std::size_t j = 0; j < k_; ++j) {
        if (j == b || l[j] > ut || half_[b * k_ + j] > ut) continue;
        if (!tight) {
          db = dist2(x, c + b * p_, p_);
          ++evals;
          u = up(db);
          ut = cut(u);
          l[b] = down(db);
          tight = true;
          if (l[j] > ut || half_[b * k_ + j] > ut) continue;
        }
        const double d = dist2(x, c + j * p_, p_);
        ++evals;
        l[j] = down(d);
        if (d < db || (d == db && j < b)) {
          b = j;
          db = d;
          u = up(d);
          ut = cut(u);
        }
      }
      labels[i] = static_cast<int32_t>(b);
      upper_[i] = u;
      epoch_of_[i] = e;
    }
    return evals;
  }

  /// Starts a new epoch after the centres moved from `before` to `after`.
  void centre_shifts(const double* before, const double* after) {
    const std::size_t e = static_cast<std::size_t>(epoch_);
    cum_.resize((e + 2) * k_);
    for (std::size_t j = 0; j < k_; ++j)
      cum_[(e + 1) * k_ + j] = (cum_[e * k_ + j] + up(dist2(after + j * p_, before + j * p_, p_))) * kUp2;
    ++epoch_;
  }

 private:
  // Outward rounding factors: x * kUp2 >= the exact sum or difference just rounded, and so on.
  static constexpr double kUp2 = 1 + 2 * DBL_EPSILON, kUp4 = 1 + 4 * DBL_EPSILON, kDown4 = 1 - 4 * DBL_EPSILON;

  /// An upper bound on the true distance from a computed squared distance.
  double up(double d2) const { return std::sqrt(d2) * (1 + gamma_); }
  /// A lower bound on the true distance from a computed squared distance.
  double down(double d2) const { return std::sqrt(d2) * (1 - gamma_); }
  /// The value a lower bound must exceed to prove a centre's computed squared distance strictly
  /// above that of a centre within u: u plus the rounding margin, and at least a floor below
  /// which squared distances may underflow (NaN u: NaN, which nothing exceeds).
  double cut(double u) const {
    const double m = u * (1 + 3 * gamma_);
    return m < 1e-140 ? 1e-140 : m;
  }
  bool beyond(double lower, double u) const { return lower > cut(u); }

  std::size_t k_, p_;
  double gamma_;
  std::vector<double> lower_, upper_;
  std::vector<int32_t> epoch_of_;
  std::vector<double> half_, nearest_;
  std::vector<double> cum_;  // (epoch + 1) x k
  int32_t epoch_ = 0;
};

}  // namespace

Status kmeans_assign_cpu(const double* centroids, std::size_t k, const double* data, std::size_t rows, std::size_t p,
                         int32_t* labels, double* distances, int threads) {
  if (p < 1 || k < 1) return Status::Error(StatusCode::kInvalidArgument, "k and p must be >= 1");
  if (rows == 0) return Status::Ok();
  if (centroids == nullptr || data == nullptr || labels == nullptr || distances == nullptr)
    return Status::Error(StatusCode::kInvalidArgument, "null array");
  const std::vector<double> ct = feature_major(centroids, k, p);
  detail::WorkPool pool(threads);
  pool.run(rows, [&](std::size_t b, std::size_t e) { assign_rows(ct.data(), k, data, p, b, e, labels, distances); });
  return Status::Ok();
}

Status kmeans_cpu(const double* data, std::size_t n, std::size_t p, const KMeansParams& params, KMeansResult* out,
                  CancelToken cancel) {
  if (out == nullptr) return Status::Error(StatusCode::kInvalidArgument, "out is null");
  *out = KMeansResult{};
  if (p < 1) return invalid(out, "INVALID_ARGUMENT", "numFeatures must be an integer >= 1");
  if (n == 0) return invalid(out, "INVALID_ARGUMENT", "data has zero rows");
  if (data == nullptr) return invalid(out, "INVALID_ARGUMENT", "data is null");
  for (std::size_t i = 0; i < n * p; ++i)
    if (!std::isfinite(data[i]))
      return invalid(out, "NOT_FINITE",
                     "data[" + std::to_string(i) + "] (row " + std::to_string(i / p) + ", feature " +
                         std::to_string(i % p) + ") is " + std::to_string(data[i]));
  if (params.k < 1 || static_cast<std::size_t>(params.k) > n)
    return invalid(out, "INVALID_K",
                   "k must be an integer with 1 <= k <= rows (" + std::to_string(n) + "), got " +
                       std::to_string(params.k));
  if (params.max_iterations < 1) return invalid(out, "INVALID_ARGUMENT", "maxIterations must be >= 1");
  if (!(params.tolerance >= 0) || !std::isfinite(params.tolerance))
    return invalid(out, "INVALID_ARGUMENT", "tolerance must be finite and >= 0");
  if (params.threads < 1) return invalid(out, "INVALID_ARGUMENT", "threads must be >= 1");
  const bool elkan = params.algorithm == KMeansAlgorithm::kElkan;
  if (!elkan && params.algorithm != KMeansAlgorithm::kLloyd)
    return invalid(out, "INVALID_ARGUMENT", "algorithm must be lloyd (0) or elkan (1)");
  const bool cuda = params.device == KMeansDevice::kCuda;
  if (cuda && elkan)
    return Status::Error(StatusCode::kUnsupported,
                         "the CUDA k-means assignment step is Lloyd's (every distance); use algorithm lloyd with "
                         "device cuda");

  const std::size_t k = static_cast<std::size_t>(params.k);
  std::unique_ptr<detail::KMeansAssignDevice> device;
  if (cuda) {
    const Status s = detail::make_cuda_kmeans_assign(data, n, p, k, &device);
    if (!s.ok()) return s;
  }
  detail::WorkPool pool(params.threads);
  detail::Mulberry32 rng(params.seed);
  const double dn = static_cast<double>(n);

  // k-means++ seeding.
  std::vector<double>& centroids = out->centroids;
  centroids.assign(k * p, 0);
  const std::size_t first = static_cast<std::size_t>(std::floor(rng() * dn));
  std::copy(data + first * p, data + first * p + p, centroids.begin());
  std::vector<double> d2(n);
  pool.run(n, [&](std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) d2[i] = dist2(data + i * p, centroids.data(), p);
  });
  for (std::size_t j = 1; j < k; ++j) {
    double total = 0;
    for (std::size_t i = 0; i < n; ++i) total += d2[i];
    const double u = rng();
    std::size_t pick = n;
    if (total > 0) {
      const double r = u * total;
      double cum = 0;
      for (std::size_t i = 0; i < n; ++i) {
        cum += d2[i];
        if (cum > r) {
          pick = i;
          break;
        }
      }
      for (std::size_t i = n; i-- > 0 && pick == n;)
        if (d2[i] > 0) pick = i;
    } else {
      pick = static_cast<std::size_t>(std::floor(u * dn));
    }
    std::copy(data + pick * p, data + pick * p + p, centroids.begin() + static_cast<std::ptrdiff_t>(j * p));
    const double* cj = centroids.data() + j * p;
    pool.run(n, [&](std::size_t b, std::size_t e) {
      for (std::size_t i = b; i < e; ++i) d2[i] = std::min(d2[i], dist2(data + i * p, cj, p));
    });
  }

  // Scale of the tolerance: mean per-feature variance, in the reference's order (each feature's
  // sums run over rows in order; all features advance together, two passes over the rows).
  std::vector<double> mu(p, 0.0), var(p, 0.0);
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t f = 0; f < p; ++f) mu[f] += data[i * p + f];
  for (double& m : mu) m /= dn;
  for (std::size_t i = 0; i < n; ++i)
    for (std::size_t f = 0; f < p; ++f) {
      const double d = data[i * p + f] - mu[f];
      var[f] += d * d;
    }
  double mean_var = 0;
  for (std::size_t f = 0; f < p; ++f) mean_var += var[f] / dn / static_cast<double>(p);
  const double threshold = params.tolerance * mean_var;

  std::vector<int32_t> labels(n, -1), next(n);
  std::vector<double> distances(n), sums(k * p), counts(k), before;
  std::unique_ptr<ElkanBounds> bounds;
  if (elkan) bounds = std::make_unique<ElkanBounds>(n, k, p);
  std::atomic<uint64_t> evals{0};
  int iterations = 0;
  bool converged = false;
  while (iterations < params.max_iterations) {
    if (cancel.cancelled()) return Status::Error(StatusCode::kCancelled, "k-means cancelled");
    ++iterations;
    // Assignment step; `distances` is exact (Lloyd's) wherever `have_distances`.
    bool have_distances = true;
    if (device) {
      const Status s = device->assign(centroids.data(), next.data(), distances.data());
      if (!s.ok()) return s;
      evals += static_cast<uint64_t>(n) * k;
    } else if (!elkan) {
      const std::vector<double> ct = feature_major(centroids.data(), k, p);
      pool.run(n, [&](std::size_t b, std::size_t e) {
        assign_rows(ct.data(), k, data, p, b, e, next.data(), distances.data());
      });
      evals += static_cast<uint64_t>(n) * k;
    } else if (iterations == 1) {
      pool.run(n, [&](std::size_t b, std::size_t e) {
        bounds->init_rows(centroids.data(), data, b, e, next.data(), distances.data());
      });
      evals += static_cast<uint64_t>(n) * k;
    } else {
      bounds->centre_distances(centroids.data());
      std::copy(labels.begin(), labels.end(), next.begin());
      pool.run(n, [&](std::size_t b, std::size_t e) {
        evals += bounds->assign_rows(centroids.data(), data, b, e, next.data());
      });
      have_distances = false;
    }
    std::size_t changed = 0;
    for (std::size_t i = 0; i < n; ++i) changed += next[i] != labels[i];
    labels.swap(next);
    if (changed == 0) {
      converged = true;
      break;
    }
    // Centre sums in row order (threads over features), counts.
    std::fill(counts.begin(), counts.end(), 0.0);
    for (std::size_t i = 0; i < n; ++i) counts[static_cast<std::size_t>(labels[i])] += 1;
    std::fill(sums.begin(), sums.end(), 0.0);
    pool.run(p, [&](std::size_t fb, std::size_t fe) {
      for (std::size_t i = 0; i < n; ++i) {
        const double* x = data + i * p;
        double* sc = sums.data() + static_cast<std::size_t>(labels[i]) * p;
        for (std::size_t f = fb; f < fe; ++f) sc[f] += x[f];
      }
    });
    if (elkan) before = centroids;
    double shift = 0;
    for (std::size_t c = 0; c < k; ++c) {
      std::size_t row = n;  // n: none
      if (counts[c] == 0) {
        if (!have_distances) {  // exact distances to the assigned centres, as Lloyd has them
          const double* cs = elkan ? before.data() : centroids.data();
          pool.run(n, [&](std::size_t b, std::size_t e) {
            for (std::size_t i = b; i < e; ++i)
              distances[i] = dist2(data + i * p, cs + static_cast<std::size_t>(labels[i]) * p, p);
          });
          have_distances = true;
        }
        double bd = -1;
        for (std::size_t i = 0; i < n; ++i)
          if (distances[i] > bd) {
            bd = distances[i];
            row = i;
          }
        if (row < n) distances[row] = -1;
      }
      for (std::size_t f = 0; f < p; ++f) {
        const double nv = row < n ? data[row * p + f] : sums[c * p + f] / counts[c];
        const double d = nv - centroids[c * p + f];
        shift += d * d;
        centroids[c * p + f] = nv;
      }
    }
    if (shift <= threshold) {
      converged = true;
      break;
    }
    if (elkan) {
      bounds->centre_shifts(before.data(), centroids.data());
    }
  }

  // Final assignment (the reference's `final`), inertia in row order.
  out->labels.resize(n);
  if (device) {
    const Status s = device->assign(centroids.data(), out->labels.data(), distances.data());
    if (!s.ok()) return s;
  } else {
    const std::vector<double> ct = feature_major(centroids.data(), k, p);
    pool.run(n, [&](std::size_t b, std::size_t e) {
      assign_rows(ct.data(), k, data, p, b, e, out->labels.data(), distances.data());
    });
  }
  evals += static_cast<uint64_t>(n) * k;
  double inertia = 0;
  for (std::size_t i = 0; i < n; ++i) inertia += distances[i];
  out->inertia = inertia;
  out->iterations = iterations;
  out->converged = converged;
  out->distance_evaluations = evals.load();
  return Status::Ok();
}

}  // namespace waybill::ml
