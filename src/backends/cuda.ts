import { loadAddon } from '../native/addon.js';
import { runNative } from './native.js';
import type { Backend, BackendStatus, KernelName } from './types.js';

const KERNELS: KernelName[] = ['haversineMatrix', 'euclideanMatrix', 'kNearest', 'auctionAssignment'];

/**
 * The CUDA auction ends every Jacobi round with a host synchronisation; on an H100 it lost to the
 * CPU auction at n = 2000 and won by 1.4x at 4000 (bench/RESULTS.md), so it is auto-selected only
 * from there.
 */
export const CUDA_MIN_AUCTION_N = 4000;

/** Largest k of the CUDA k-nearest kernel (kCudaMaxK in native/include/waybill/geo.h). */
export const CUDA_MAX_K = 64;

/**
 * Below this many pairs automatic dispatch keeps work on the CPU: the host-device transfers
 * cost more than the kernel saves. Forced calls ignore it.
 */
export const CUDA_MIN_PAIRS = 1 << 18;

/**
 * The euclidean kernel does so little arithmetic per pair that the device-to-host copy of its
 * output decides: on an H100 host it lost to one CPU thread at 500 x 500 and won by only 1.4x at
 * 4000 x 4000 (bench/results/gpu-native-geo.md), so it needs a larger input to be auto-selected.
 */
export const CUDA_MIN_PAIRS_EUCLIDEAN = 1 << 24;

/** The CUDA backend: same addon, device 'cuda'. Unavailable with the reason when no device is usable. */
export function createCudaBackend(): Backend {
  let cached: BackendStatus | undefined;
  const status = (): BackendStatus => {
    if (cached) return cached;
    const load = loadAddon();
    if (!load.ok) {
      cached = { name: 'cuda', available: false, autoSelect: false, priority: 40, kernels: KERNELS, reason: load.reason };
      return cached;
    }
    const cu = load.addon.info().cuda;
    const details: Record<string, unknown> = { compiled: cu.compiled, runtimeVersion: cu.runtimeVersion, driverVersion: cu.driverVersion };
    if (cu.available) {
      Object.assign(details, {
        device: cu.name,
        computeCapability: cu.computeCapability,
        deviceCount: cu.deviceCount,
        totalMemBytes: cu.totalMemBytes,
      });
      cached = { name: 'cuda', available: true, autoSelect: true, priority: 40, kernels: KERNELS, details };
    } else {
      cached = { name: 'cuda', available: false, autoSelect: false, priority: 40, kernels: KERNELS, reason: cu.reason, details };
    }
    return cached;
  };
  return {
    name: 'cuda',
    priority: 40,
    kernels: KERNELS,
    poolable: false,
    status,
    rejects(kernel, shape, forced) {
      if (kernel === 'kNearest' && (shape.k ?? 0) > CUDA_MAX_K) return `k = ${shape.k} is above the CUDA limit of ${CUDA_MAX_K}`;
      if (kernel === 'auctionAssignment')
        return forced || shape.n >= CUDA_MIN_AUCTION_N ? null : `n below ${CUDA_MIN_AUCTION_N}: the CPU auction is faster`;
      if (shape.n > 2 ** 30 || shape.m > 2 ** 30) return 'n or m above 2^30';
      const min = kernel === 'euclideanMatrix' ? CUDA_MIN_PAIRS_EUCLIDEAN : CUDA_MIN_PAIRS;
      if (!forced && shape.n * shape.m < min) return `fewer than ${min} pairs: transfers would dominate`;
      return null;
    },
    run(task) {
      const load = loadAddon();
      if (!load.ok) throw new Error(load.reason);
      return runNative(load.addon, task, 'cuda', false);
    },
  };
}
