/**
 * Shared-buffer allocation with memory kept bounded.
 *
 * Node 20's V8 does not count SharedArrayBuffer memory toward its collection heuristics, and a
 * SharedArrayBuffer is freed only once every thread that saw it has collected its handle. Pool
 * workers allocate almost nothing, so they rarely collect; the main thread may not collect for a
 * long time either. Measured here (2 workers, 2000 x 2000 haversine, 40 calls dropping each
 * result): resident memory grew to ~1 GB and calls were 8x slower (page faults of fresh memory);
 * with a young-generation collection after large tasks on both sides it stayed at ~200 MB.
 *
 * So: workers call {@link collectYoung} after a task that touched large shared buffers; the main
 * thread calls it before allocating once 64 MiB of shared outputs were allocated since the last
 * time, and runs a full collection every 2 GiB (outputs a caller kept long enough to be promoted
 * to the old generation are only freed by a full collection). No FinalizationRegistry is used
 * to count live bytes: V8's scavenger keeps such targets alive, which defeated the young
 * collections in measurements.
 *
 * The collector is reached by enabling --expose-gc at run time and taking `gc` from a fresh
 * context (or the global `gc` when Node was started with --expose-gc). Side effect: `gc` is then
 * visible in new vm contexts. If neither works the hints are no-ops.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcFn = (options?: { type?: 'minor' | 'major'; execution?: 'sync' | 'async' }) => void;

const gc: GcFn | undefined = (() => {
  const global = (globalThis as { gc?: GcFn }).gc;
  if (typeof global === 'function') return global;
  try {
    setFlagsFromString('--expose-gc');
    const fn = runInNewContext('gc') as unknown;
    return typeof fn === 'function' ? (fn as GcFn) : undefined;
  } catch {
    return undefined;
  }
})();

/** Buffers at least this large count toward the hints. */
export const LARGE_BUFFER_BYTES = 1 << 20;
const YOUNG_EVERY_BYTES = 64 * 2 ** 20;
const FULL_EVERY_BYTES = 2 * 2 ** 30;

/** A young-generation collection of this thread's heap (cheap: ~0.1-1 ms). */
export function collectYoung(): void {
  gc?.({ type: 'minor', execution: 'sync' });
}

let sinceYoung = 0;
let sinceFull = 0;

/** Whether this thread can hint collections (false: memory may grow until V8 collects by itself). */
export const gcHintsAvailable: boolean = gc !== undefined;

/** Allocates a SharedArrayBuffer of `bytes`, hinting collections as described above. */
export function allocShared(bytes: number): SharedArrayBuffer {
  if (bytes >= LARGE_BUFFER_BYTES) {
    sinceYoung += bytes;
    sinceFull += bytes;
    if (sinceFull >= FULL_EVERY_BYTES) {
      sinceFull = 0;
      sinceYoung = 0;
      gc?.({ type: 'major', execution: 'sync' });
    } else if (sinceYoung >= YOUNG_EVERY_BYTES) {
      sinceYoung = 0;
      collectYoung();
    }
  }
  // At least 8 bytes and a multiple of 8, so any typed array can view it (empty outputs included).
  return new SharedArrayBuffer(Math.max(8, Math.ceil(bytes / 8) * 8));
}
