// geo kernel family: distance matrices and k-nearest search.
//
// Layout: points are interleaved pairs in one double array. For haversine kernels a pair is
// (latitude, longitude) in degrees; for euclidean kernels it is (x, y) in any planar unit.
// Outputs are row-major n x m (or n x k); only the rows in the given RowRange are written.
// Validation of values (NaN, ranges) is the caller's job (the TypeScript layer); the core checks
// only sizes and ranges that would make it touch memory it was not given.
#pragma once

#include "waybill/common.h"

namespace waybill::geo {

/// Mean Earth radius (IUGG R1), metres. The default for every haversine kernel.
constexpr double kEarthRadiusM = 6371008.8;

enum class Metric : int { kHaversine = 0, kEuclidean = 1 };

/// Great-circle distances in metres between n origins and m destinations (lat/lng degrees).
template <typename Out>
Status haversine_matrix_cpu(const double* origins, std::size_t n, const double* dests, std::size_t m,
                            double radius_m, Out* out, RowRange rows, CancelToken cancel = {});

/// Planar distances sqrt(dx^2 + dy^2) between n origins and m destinations.
template <typename Out>
Status euclidean_matrix_cpu(const double* origins, std::size_t n, const double* dests, std::size_t m,
                            Out* out, RowRange rows, CancelToken cancel = {});

/// For each origin in rows, the k nearest destinations: indices (n x k) and distances (n x k),
/// ascending by distance, ties broken by the lower destination index. Requires 1 <= k <= m.
Status k_nearest_cpu(const double* origins, std::size_t n, const double* dests, std::size_t m, std::size_t k,
                     Metric metric, double radius_m, int32_t* out_index, double* out_dist, RowRange rows,
                     CancelToken cancel = {});

// ---- CUDA (compiled only when a CUDA compiler was found; otherwise these return kUnsupported) ----

struct CudaDeviceInfo {
  bool compiled = false;   // built with CUDA sources
  bool available = false;  // at least one usable device
  int device_count = 0;
  std::string name;        // device 0
  int cc_major = 0;
  int cc_minor = 0;
  std::size_t total_mem = 0;
  int runtime_version = 0;
  int driver_version = 0;
  std::string reason;      // why unavailable, e.g. "no CUDA device: cudaErrorNoDevice (100)"
};

CudaDeviceInfo cuda_probe();

template <typename Out>
Status haversine_matrix_cuda(const double* origins, std::size_t n, const double* dests, std::size_t m,
                             double radius_m, Out* out, RowRange rows, CancelToken cancel = {});

template <typename Out>
Status euclidean_matrix_cuda(const double* origins, std::size_t n, const double* dests, std::size_t m, Out* out,
                             RowRange rows, CancelToken cancel = {});

/// Largest k the CUDA k-nearest kernel supports (per-thread sorted list in registers/local memory).
constexpr std::size_t kCudaMaxK = 64;

Status k_nearest_cuda(const double* origins, std::size_t n, const double* dests, std::size_t m, std::size_t k,
                      Metric metric, double radius_m, int32_t* out_index, double* out_dist, RowRange rows,
                      CancelToken cancel = {});

}  // namespace waybill::geo
