// The k-means assignment step on another device (the CUDA kernel: native/src/cuda/ml/kmeans_assign.cu;
// a stand-in that reports why in a build without CUDA: native/src/cuda_stub.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>

#include "waybill/common.h"

namespace waybill::ml::detail {

/// Holds the data matrix on the device for a whole k-means run, so each Lloyd iteration uploads
/// only the centroids and downloads the labels and distances.
class KMeansAssignDevice {
 public:
  virtual ~KMeansAssignDevice() = default;
  /// Nearest of the k centroids (k x p) for every row: kmeans_assign_cpu's labels and distances.
  virtual Status assign(const double* centroids, int32_t* labels, double* distances) = 0;
};

/// Copies rows x p data to the device for assignments against k centroids.
Status make_cuda_kmeans_assign(const double* data, std::size_t rows, std::size_t p, std::size_t k,
                               std::unique_ptr<KMeansAssignDevice>* out);

}  // namespace waybill::ml::detail
