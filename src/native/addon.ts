/**
 * The one place that finds and loads the compiled addon (build/Release/waybill.node). When it is
 * missing or fails to load, the reason is remembered and reported by the native and cuda backends.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { GeoTask } from '../kernels/geo/types.js';
import type {
  AuctionAssignmentTask,
  BudgetAllocationTask,
  LinearAssignmentTask,
  MinCostFlowTask,
  TspTask,
  VrpTask,
} from '../kernels/or/types.js';
import { PACKAGE_ROOT } from '../paths.js';

/**
 * Flat options object accepted by the addon's geo functions (see native/src/napi/geo.cc): the
 * kernel's task plus the device and whether to run on the calling thread.
 */
export type NativeGeoOptions = Omit<GeoTask, 'kernel' | 'radius'> & { radius?: number; device: 'cpu' | 'cuda'; sync?: boolean };

export interface NativeCudaInfo {
  compiled: boolean;
  available: boolean;
  deviceCount: number;
  name: string;
  computeCapability: string;
  totalMemBytes: number;
  runtimeVersion: number;
  driverVersion: number;
  reason: string;
}

export interface NativeAddon {
  info(): { version: string; simd: string; cuda: NativeCudaInfo };
  haversineMatrix(o: NativeGeoOptions): Promise<void> | undefined;
  euclideanMatrix(o: NativeGeoOptions): Promise<void> | undefined;
  kNearest(o: NativeGeoOptions): Promise<void> | undefined;
  linearAssignment(o: Omit<LinearAssignmentTask, 'kernel'> & { sync?: boolean }): Promise<void> | undefined;
  budgetAllocation(o: Omit<BudgetAllocationTask, 'kernel'> & { sync?: boolean }): Promise<void> | undefined;
  tspSolve(o: Omit<TspTask, 'kernel'> & { sync?: boolean }): Promise<void> | undefined;
  vrpSolve(o: Omit<VrpTask, 'kernel'> & { sync?: boolean }): Promise<void> | undefined;
  tsForecast(o: {
    values: Float64Array;
    offsets: Int32Array;
    count: number;
    method: number;
    horizon: number;
    season: number;
    alpha?: number;
    beta?: number;
    out: Float64Array;
    outSeasonal?: Uint8Array;
    cancel?: Int32Array;
    sync?: boolean;
  }): Promise<void> | undefined;
  tsEtsFit(o: {
    values: Float64Array;
    offsets: Int32Array;
    count: number;
    season: number;
    maxIter: number;
    relTol: number;
    maxSeason: number;
    modelMask: number;
    outParams: Float64Array;
    outSeason: Float64Array;
    cancel?: Int32Array;
    sync?: boolean;
  }): Promise<void> | undefined;
  minCostFlow(o: Omit<MinCostFlowTask, 'kernel'> & { sync?: boolean }): Promise<void> | undefined;
  auctionAssignment(o: Omit<AuctionAssignmentTask, 'kernel'> & { device: 'cpu' | 'cuda'; sync?: boolean }): Promise<void> | undefined;
}

export type AddonLoad = { ok: true; addon: NativeAddon; path: string } | { ok: false; reason: string };

let cached: AddonLoad | undefined;

/** Loads the addon once per thread. `WAYBILL_ADDON` may point at another build. */
export function loadAddon(): AddonLoad {
  if (cached) return cached;
  const path = process.env.WAYBILL_ADDON ?? join(PACKAGE_ROOT, 'build', 'Release', 'waybill.node');
  if (!existsSync(path)) {
    cached = { ok: false, reason: 'addon not built: run npm run build:native' };
    return cached;
  }
  try {
    // dlopen, not require: a stray .js or .json at that path must not be taken for the addon.
    const mod = { exports: {} as Partial<NativeAddon> };
    process.dlopen(mod, path);
    const a = mod.exports;
    const missing = (
      [
        'info',
        'haversineMatrix',
        'euclideanMatrix',
        'kNearest',
        'linearAssignment',
        'budgetAllocation',
        'tspSolve',
        'vrpSolve',
        'tsForecast',
        'tsEtsFit',
        'minCostFlow',
        'auctionAssignment',
      ] as const
    ).filter((f) => typeof a[f] !== 'function');
    cached =
      missing.length === 0
        ? { ok: true, addon: a as NativeAddon, path }
        : { ok: false, reason: `addon failed to load: ${path} lacks ${missing.join(', ')} (stale build? run npm run build:native)` };
  } catch (err) {
    cached = { ok: false, reason: `addon failed to load: ${(err as Error).message.split('\n')[0]}` };
  }
  return cached;
}
