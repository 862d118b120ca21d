import { WaybillError } from '../errors.js';
import { createCudaBackend } from './cuda.js';
import { createGpujsBackend } from './gpujs.js';
import { createJsBackend } from './js.js';
import { createNativeBackend } from './native.js';
import { BACKEND_NAMES, type Backend, type BackendName, type BackendStatus, type KernelName, type KernelShape } from './types.js';

/** Creates the four built-in backends. Nothing is probed until a status or a kernel call needs it. */
export function createBuiltinBackends(): Backend[] {
  return [createCudaBackend(), createNativeBackend(), createGpujsBackend(), createJsBackend()];
}

/**
 * Holds the backends an engine may use, probes them lazily and picks one per kernel call:
 * the highest-priority backend that is available, auto-selectable, has the kernel and accepts
 * the input shape. A forced backend is used as asked or fails with its reason.
 */
export class BackendRegistry {
  private readonly backends: Backend[];

  /** @param enabled names the engine may use (default: all); `js` is always kept as the fallback. */
  constructor(backends: Backend[] = createBuiltinBackends(), enabled?: readonly BackendName[]) {
    for (const name of enabled ?? []) {
      if (!BACKEND_NAMES.includes(name)) {
        throw new WaybillError('INVALID_ARGUMENT', `unknown backend '${String(name)}': expected one of ${BACKEND_NAMES.join(', ')}`);
      }
    }
    this.backends = backends.filter((b) => !enabled || enabled.includes(b.name) || b.name === 'js').sort((a, b) => b.priority - a.priority);
  }

  /** Status of every enabled backend, highest priority first (probes each once). */
  list(): BackendStatus[] {
    return this.backends.map((b) => b.status());
  }

  get(name: BackendName): Backend | undefined {
    return this.backends.find((b) => b.name === name);
  }

  /** Picks the backend for one call; see the class comment. */
  select(kernel: KernelName, shape: KernelShape, forced?: BackendName): Backend {
    if (forced !== undefined) {
      const b = this.get(forced);
      if (!b) {
        const known = BACKEND_NAMES.includes(forced);
        throw new WaybillError(
          known ? 'BACKEND_UNAVAILABLE' : 'INVALID_ARGUMENT',
          known ? `backend '${forced}' is not enabled in this engine` : `unknown backend '${String(forced)}'`,
          { backend: forced, field: 'backend' },
        );
      }
      const st = b.status();
      if (!st.available)
        throw new WaybillError('BACKEND_UNAVAILABLE', `backend '${forced}' is unavailable: ${st.reason ?? 'unknown reason'}`, {
          backend: forced,
          reason: st.reason,
        });
      if (!b.kernels.includes(kernel))
        throw new WaybillError('KERNEL_UNSUPPORTED', `backend '${forced}' has no ${kernel} kernel`, { backend: forced });
      const why = b.rejects(kernel, shape, true);
      if (why)
        throw new WaybillError('KERNEL_UNSUPPORTED', `backend '${forced}' cannot run this ${kernel}: ${why}`, {
          backend: forced,
          reason: why,
        });
      return b;
    }
    for (const b of this.backends) {
      if (!b.kernels.includes(kernel)) continue;
      const st = b.status();
      if (!st.available || !st.autoSelect) continue;
      if (b.rejects(kernel, shape, false)) continue;
      return b;
    }
    throw new WaybillError('BACKEND_UNAVAILABLE', `no backend can run ${kernel}`);
  }
}
