import { euclideanMatrixRef } from '../kernels/geo/euclidean-matrix.js';
import { haversineMatrixRef } from '../kernels/geo/haversine-matrix.js';
import { kNearestRef } from '../kernels/geo/k-nearest.js';
import { budgetAllocationRef } from '../kernels/or/budget-allocation.js';
import { budgetAllocationMarginRef } from '../kernels/or/budget-allocation-margin.js';
import { linearAssignmentRef } from '../kernels/or/linear-assignment.js';
import { minCostFlowRef } from '../kernels/or/min-cost-flow.js';
import type { Backend, BackendStatus, KernelName, KernelTask } from './types.js';

const KERNELS: KernelName[] = ['haversineMatrix', 'euclideanMatrix', 'kNearest', 'linearAssignment', 'budgetAllocation', 'minCostFlow'];

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
    run(task: KernelTask): undefined {
      switch (task.kernel) {
        case 'haversineMatrix':
          haversineMatrixRef(task);
          break;
        case 'euclideanMatrix':
          euclideanMatrixRef(task);
          break;
        case 'kNearest':
          kNearestRef(task);
          break;
        case 'linearAssignment':
          linearAssignmentRef(task);
          break;
        case 'budgetAllocation':
          if (task.margin) budgetAllocationMarginRef(task);
          else budgetAllocationRef(task);
          break;
        case 'minCostFlow':
          minCostFlowRef(task);
          break;
        default:
          throw new Error(`the js backend has no ${task.kernel} kernel`);
      }
      return undefined;
    },
  };
}
