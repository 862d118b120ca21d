import { euclideanMatrixRef } from '../kernels/geo/euclidean-matrix.js';
import { haversineMatrixRef } from '../kernels/geo/haversine-matrix.js';
import { kNearestRef } from '../kernels/geo/k-nearest.js';
import type { GeoTask } from '../kernels/geo/types.js';
import type { Backend, BackendStatus, KernelName } from './types.js';

const KERNELS: KernelName[] = ['haversineMatrix', 'euclideanMatrix', 'kNearest'];

/** The TypeScript reference backend: always available, the specification the others must match. */
export function createJsBackend(): Backend {
  return {
    name: 'js',
    priority: 10,
    kernels: KERNELS,
    poolable: true,
    status(): BackendStatus {
      return { name: 'js', available: true, autoSelect: true, priority: 10, kernels: KERNELS, details: { node: process.version } };
    },
    rejects: () => null,
    run(task: GeoTask): undefined {
      if (task.kernel === 'haversineMatrix') haversineMatrixRef(task);
      else if (task.kernel === 'euclideanMatrix') euclideanMatrixRef(task);
      else kNearestRef(task);
      return undefined;
    },
  };
}
