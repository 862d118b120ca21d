/**
 * Building and slicing trajectory batches. Views returned here share memory with the batch
 * (`subarray`), so reading one trajectory never copies.
 */
import type { SpatialBatch, TrajectoryBatch } from './types.js';

/** Number of trajectories in a batch. */
export function trajectoryCount(batch: SpatialBatch): number {
  return batch.offsets.length - 1;
}

/** Id of trajectory `t`: `ids[t]`, or its index as a string when the batch has no ids. */
export function idOf(batch: SpatialBatch, t: number): string {
  return batch.ids?.[t] ?? String(t);
}

/** Interleaved coordinates of trajectory `t` (a view, 2 x points long). */
export function coordsOf(batch: SpatialBatch, t: number): Float64Array {
  return batch.coords.subarray(2 * (batch.offsets[t] as number), 2 * (batch.offsets[t + 1] as number));
}

/** Timestamps of trajectory `t` (a view). */
export function timesOf(batch: TrajectoryBatch, t: number): Float64Array {
  return batch.times.subarray(batch.offsets[t] as number, batch.offsets[t + 1] as number);
}

/**
 * Appends points and trajectories into growable typed arrays, then hands out one batch. Loaders
 * and cleaning steps use it so that no per-point object is ever created.
 */
export class BatchBuilder {
  private coords = new Float64Array(1024);
  private times = new Float64Array(512);
  private offsets: number[] = [0];
  private readonly ids: string[] = [];
  private points = 0;

  /** Points added so far, over all trajectories (including the one still open). */
  get size(): number {
    return this.points;
  }

  /** Points in the trajectory still open (added since the last `end`). */
  get openLength(): number {
    return this.points - (this.offsets[this.offsets.length - 1] as number);
  }

  /** Appends one point to the open trajectory. */
  push(lat: number, lng: number, time: number): void {
    if (this.points === this.times.length) {
      const coords = new Float64Array(this.coords.length * 2);
      coords.set(this.coords);
      this.coords = coords;
      const times = new Float64Array(this.times.length * 2);
      times.set(this.times);
      this.times = times;
    }
    this.coords[2 * this.points] = lat;
    this.coords[2 * this.points + 1] = lng;
    this.times[this.points] = time;
    this.points++;
  }

  /** Closes the open trajectory under `id`. With `keepEmpty` false (default) an empty one is dropped. */
  end(id: string, keepEmpty = false): void {
    if (this.openLength === 0 && !keepEmpty) return;
    this.ids.push(id);
    this.offsets.push(this.points);
  }

  /** Drops the points of the open trajectory. */
  discardOpen(): void {
    this.points = this.offsets[this.offsets.length - 1] as number;
  }

  /** The batch (exact-length copies; the builder can be dropped afterwards). */
  build(): TrajectoryBatch {
    this.discardOpen();
    return {
      ids: [...this.ids],
      coords: this.coords.slice(0, 2 * this.points),
      times: this.times.slice(0, this.points),
      offsets: Int32Array.from(this.offsets),
    };
  }
}

/**
 * A batch from per-trajectory arrays — convenient for tests and small inputs. `coords[t]` is
 * trajectory t's interleaved coordinates; `times[t]` its timestamps (NaN when omitted).
 */
export function batchFromArrays(coords: ArrayLike<number>[], times?: ArrayLike<number>[], ids?: string[]): TrajectoryBatch {
  const b = new BatchBuilder();
  coords.forEach((c, t) => {
    const ts = times?.[t];
    for (let p = 0; p < c.length / 2; p++) b.push(c[2 * p] as number, c[2 * p + 1] as number, ts ? (ts[p] as number) : Number.NaN);
    b.end(ids?.[t] ?? String(t), true);
  });
  return b.build();
}

/** A batch holding trajectories `which` of `batch`, in that order (copies). */
export function selectTrajectories(batch: TrajectoryBatch, which: ArrayLike<number>): TrajectoryBatch {
  const b = new BatchBuilder();
  for (let k = 0; k < which.length; k++) {
    const t = which[k] as number;
    for (let p = batch.offsets[t] as number; p < (batch.offsets[t + 1] as number); p++) {
      b.push(batch.coords[2 * p] as number, batch.coords[2 * p + 1] as number, batch.times[p] as number);
    }
    b.end(idOf(batch, t), true);
  }
  return b.build();
}
