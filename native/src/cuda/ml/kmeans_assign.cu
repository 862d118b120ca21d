// k-means assignment step, CUDA backend (kmeans_assign_cuda in waybill/ml.h, and the device
// assignment of kmeans_cpu with KMeansDevice::kCuda).
//
// Layout: one thread per row; the row's k squared distances are computed one centroid after
// the other, each summing (x_f - c_f)^2 over features in order from 0, and the nearest is kept
// with `d < best` (ties to the lowest index): the CPU's operations in the CPU's order, IEEE-exact
// with --fmad=false, so labels and distances are bit-identical to kmeans_assign_cpu
// (native/test/test_ml_cuda.cc). The centroids sit in shared memory when they fit (k x p <= 6144
// doubles), else every thread of a block reads the same centroid value, which the cache
// broadcasts. The data matrix is uploaded once per k-means run (KMeansAssignDevice); each
// iteration uploads only the centroids and downloads the labels and distances.
#include <memory>

#include "../../cpu/ml/kmeans_device.h"
#include "../cuda_check.h"
#include "waybill/ml.h"

namespace waybill::ml {
namespace {

constexpr int kThreads = 128;
constexpr std::size_t kMaxSharedCentroidValues = 6144;  // 48 KiB of doubles

template <bool kShared>
__global__ void assign_kernel(const double* __restrict__ data, std::size_t rows, std::size_t p,
                              const double* __restrict__ centroids, std::size_t k, int32_t* __restrict__ labels,
                              double* __restrict__ distances) {
  extern __shared__ double shared_centroids[];
  const double* c = centroids;
  if (kShared) {
    for (std::size_t v = threadIdx.x; v < k * p; v += blockDim.x) shared_centroids[v] = centroids[v];
    __syncthreads();
    c = shared_centroids;
  }
  const std::size_t r = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (r >= rows) return;
  const double* x = data + r * p;
  int32_t best = 0;
  double bd = 0;
  for (std::size_t j = 0; j < k; ++j) {
    const double* cj = c + j * p;
    double s = 0;
    for (std::size_t f = 0; f < p; ++f) {
      const double d = x[f] - cj[f];
      s += d * d;
    }
    if (j == 0 || s < bd) {
      bd = s;
      best = static_cast<int32_t>(j);
    }
  }
  labels[r] = best;
  distances[r] = bd;
}

class CudaKMeansAssign final : public detail::KMeansAssignDevice {
 public:
  CudaKMeansAssign(std::size_t rows, std::size_t p, std::size_t k) : rows_(rows), p_(p), k_(k) {}

  Status upload(const double* data) {
    WAYBILL_CUDA_TRY(data_.alloc(rows_ * p_));
    WAYBILL_CUDA_TRY(centroids_.alloc(k_ * p_));
    WAYBILL_CUDA_TRY(labels_.alloc(rows_));
    WAYBILL_CUDA_TRY(distances_.alloc(rows_));
    WAYBILL_CUDA_TRY(cudaMemcpy(data_.ptr, data, rows_ * p_ * sizeof(double), cudaMemcpyHostToDevice));
    return Status::Ok();
  }

  Status assign(const double* centroids, int32_t* labels, double* distances) override {
    if (rows_ == 0) return Status::Ok();
    WAYBILL_CUDA_TRY(cudaMemcpy(centroids_.ptr, centroids, k_ * p_ * sizeof(double), cudaMemcpyHostToDevice));
    const unsigned blocks = static_cast<unsigned>((rows_ + kThreads - 1) / kThreads);
    if (k_ * p_ <= kMaxSharedCentroidValues) {
      assign_kernel<true><<<blocks, kThreads, k_ * p_ * sizeof(double)>>>(data_.ptr, rows_, p_, centroids_.ptr, k_,
                                                                           labels_.ptr, distances_.ptr);
    } else {
      assign_kernel<false><<<blocks, kThreads>>>(data_.ptr, rows_, p_, centroids_.ptr, k_, labels_.ptr, distances_.ptr);
    }
    WAYBILL_CUDA_TRY_LAUNCH();
    WAYBILL_CUDA_TRY(cudaMemcpy(labels, labels_.ptr, rows_ * sizeof(int32_t), cudaMemcpyDeviceToHost));
    WAYBILL_CUDA_TRY(cudaMemcpy(distances, distances_.ptr, rows_ * sizeof(double), cudaMemcpyDeviceToHost));
    return Status::Ok();
  }

 private:
  std::size_t rows_, p_, k_;
  cuda::DeviceBuffer<double> data_, centroids_, distances_;
  cuda::DeviceBuffer<int32_t> labels_;
};

}  // namespace

namespace detail {
Status make_cuda_kmeans_assign(const double* data, std::size_t rows, std::size_t p, std::size_t k,
                               std::unique_ptr<KMeansAssignDevice>* out) {
  if (p < 1 || k < 1) return Status::Error(StatusCode::kInvalidArgument, "k and p must be >= 1");
  auto dev = std::make_unique<CudaKMeansAssign>(rows, p, k);
  if (rows > 0) {
    const Status s = dev->upload(data);
    if (!s.ok()) return s;
  }
  *out = std::move(dev);
  return Status::Ok();
}
}  // namespace detail

Status kmeans_assign_cuda(const double* centroids, std::size_t k, const double* data, std::size_t rows, std::size_t p,
                          int32_t* labels, double* distances) {
  if (p < 1 || k < 1) return Status::Error(StatusCode::kInvalidArgument, "k and p must be >= 1");
  if (rows == 0) return Status::Ok();
  if (centroids == nullptr || data == nullptr || labels == nullptr || distances == nullptr)
    return Status::Error(StatusCode::kInvalidArgument, "null array");
  std::unique_ptr<detail::KMeansAssignDevice> dev;
  const Status s = detail::make_cuda_kmeans_assign(data, rows, p, k, &dev);
  if (!s.ok()) return s;
  return dev->assign(centroids, labels, distances);
}

}  // namespace waybill::ml
