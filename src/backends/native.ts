import { loadAddon, type NativeAddon, type NativeGeoOptions } from '../native/addon.js';
import type { Backend, BackendStatus, KernelName, KernelTask } from './types.js';

const KERNELS: KernelName[] = [
  'haversineMatrix',
  'euclideanMatrix',
  'kNearest',
  'linearAssignment',
  'auctionAssignment',
  'budgetAllocation',
  'tsp',
  'vrp',
  'minCostFlow',
];

/** Calls the addon function for `task.kernel` on the given device (OR kernels: CPU only, but the auction). */
export function runNative(addon: NativeAddon, task: KernelTask, device: 'cpu' | 'cuda', sync: boolean): Promise<void> | undefined {
  // The addon reads the fields it needs from the task itself (it ignores `kernel`).
  switch (task.kernel) {
    case 'linearAssignment':
      return addon.linearAssignment({ ...task, sync });
    case 'budgetAllocation':
      return addon.budgetAllocation({ ...task, sync });
    case 'tsp':
      return addon.tspSolve({ ...task, sync });
    case 'vrp':
      return addon.vrpSolve({ ...task, sync });
    case 'minCostFlow':
      return addon.minCostFlow({ ...task, sync });
    case 'auctionAssignment':
      return addon.auctionAssignment({ ...task, device, sync });
    default: {
      const o: NativeGeoOptions = { ...task, device, sync };
      if (task.kernel === 'haversineMatrix') return addon.haversineMatrix(o);
      if (task.kernel === 'euclideanMatrix') return addon.euclideanMatrix(o);
      return addon.kNearest(o);
    }
  }
}

/** The C++ CPU backend (vectorised, float64). */
export function createNativeBackend(): Backend {
  let cached: BackendStatus | undefined;
  const status = (): BackendStatus => {
    if (cached) return cached;
    const load = loadAddon();
    cached = load.ok
      ? {
          name: 'native',
          available: true,
          autoSelect: true,
          priority: 30,
          kernels: KERNELS,
          details: { version: load.addon.info().version, simd: load.addon.info().simd, path: load.path },
        }
      : { name: 'native', available: false, autoSelect: false, priority: 30, kernels: KERNELS, reason: load.reason };
    return cached;
  };
  return {
    name: 'native',
    priority: 30,
    kernels: KERNELS,
    poolable: true,
    status,
    rejects: () => null,
    run(task, sync) {
      const load = loadAddon();
      if (!load.ok) throw new Error(load.reason);
      return runNative(load.addon, task, 'cpu', sync);
    },
  };
}
