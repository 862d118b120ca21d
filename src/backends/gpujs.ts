// PLACEHOLDER: being implemented (gpu.js backend). Interface only.
import type { Backend } from './types.js';

export function createGpujsBackend(): Backend {
  return {
    name: 'gpujs',
    priority: 20,
    kernels: [],
    poolable: false,
    status: () => ({ name: 'gpujs', available: false, autoSelect: false, priority: 20, kernels: [], reason: 'not implemented yet' }),
    rejects: () => 'not implemented',
    run: () => {
      throw new Error('not implemented');
    },
  };
}
