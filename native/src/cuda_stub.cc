// Stand-ins for the CUDA entry points when the library is built without a CUDA compiler (or with
// WAYBILL_CUDA=OFF). They report why, so the backend registry can tell the user.
#include "cpu/ml/internal.h"
#include "cpu/ml/kmeans_device.h"
#include "waybill/geo.h"
#include "waybill/ml.h"
#include "waybill/or.h"
#include "waybill/timeseries.h"
#include "waybill/trajectory.h"

#ifndef WAYBILL_CUDA_OFF_REASON
#define WAYBILL_CUDA_OFF_REASON "built without CUDA"
#endif

namespace waybill::geo {
namespace {
Status not_built() { return Status::Error(StatusCode::kUnsupported, WAYBILL_CUDA_OFF_REASON); }
}  // namespace

CudaDeviceInfo cuda_probe() {
  CudaDeviceInfo info;
  info.reason = WAYBILL_CUDA_OFF_REASON;
  return info;
}

template <typename Out>
Status haversine_matrix_cuda(const double*, std::size_t, const double*, std::size_t, double, Out*, RowRange,
                             CancelToken) {
  return not_built();
}
template <typename Out>
Status euclidean_matrix_cuda(const double*, std::size_t, const double*, std::size_t, Out*, RowRange, CancelToken) {
  return not_built();
}
Status k_nearest_cuda(const double*, std::size_t, const double*, std::size_t, std::size_t, Metric, double, int32_t*,
                      double*, RowRange, CancelToken) {
  return not_built();
}

template Status haversine_matrix_cuda<double>(const double*, std::size_t, const double*, std::size_t, double,
                                              double*, RowRange, CancelToken);
template Status haversine_matrix_cuda<float>(const double*, std::size_t, const double*, std::size_t, double, float*,
                                             RowRange, CancelToken);
template Status euclidean_matrix_cuda<double>(const double*, std::size_t, const double*, std::size_t, double*,
                                              RowRange, CancelToken);
template Status euclidean_matrix_cuda<float>(const double*, std::size_t, const double*, std::size_t, float*,
                                             RowRange, CancelToken);

}  // namespace waybill::geo

namespace waybill::opt {
Status auction_assignment_cuda(const double*, std::size_t, int32_t*, AuctionResult*, CancelToken) {
  return Status::Error(StatusCode::kUnsupported, WAYBILL_CUDA_OFF_REASON);
}
}  // namespace waybill::opt

namespace waybill::trajectory {
Status pairwise_cuda(const Batch&, const Batch&, const MeasureParams&, double*, RowRange, CancelToken) {
  return Status::Error(StatusCode::kUnsupported, WAYBILL_CUDA_OFF_REASON);
}
}  // namespace waybill::trajectory

namespace waybill::ts {
Status ets_fit_cuda(const double*, const int32_t*, std::size_t, int, const EtsOptions&, double*, double*, RowRange, CancelToken) {
  return Status::Error(StatusCode::kUnsupported, WAYBILL_CUDA_OFF_REASON);
}
}  // namespace waybill::ts

namespace waybill::ml {
Status gbdt_predict_cuda(const ForestView&, Objective, std::size_t, const double*, std::size_t, bool, double*, RowRange,
                         CancelToken) {
  return Status::Error(StatusCode::kUnsupported, WAYBILL_CUDA_OFF_REASON);
}
Status kmeans_assign_cuda(const double*, std::size_t, const double*, std::size_t, std::size_t, int32_t*, double*) {
  return Status::Error(StatusCode::kUnsupported, std::string("CUDA k-means assignment: ") + WAYBILL_CUDA_OFF_REASON);
}
namespace detail {
Status make_cuda_kmeans_assign(const double*, std::size_t, std::size_t, std::size_t,
                               std::unique_ptr<KMeansAssignDevice>*) {
  return Status::Error(StatusCode::kUnsupported, std::string("CUDA k-means assignment: ") + WAYBILL_CUDA_OFF_REASON);
}
Status make_cuda_hist(const BinnedMatrix&, std::size_t, std::size_t, std::unique_ptr<HistDevice>*) {
  return Status::Error(StatusCode::kUnsupported, std::string("CUDA GBDT training: ") + WAYBILL_CUDA_OFF_REASON);
}
}  // namespace detail
}  // namespace waybill::ml
