/** JobManager: ordering, progress, cancellation before and during a run, bounded queue and store. */
import { describe, expect, it } from 'vitest';
import type { WaybillError } from '../../src/index.js';
import { JobManager, MemoryJobStore } from '../../src/jobs/jobs.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('JobManager', () => {
  it('runs a job to success with monotone progress and a result', async () => {
    const jobs = new JobManager();
    const seen: number[] = [];
    const holder = { id: '' };
    const job = await jobs.submit('count', async (c) => {
      await sleep(1); // the job may start before submit() has returned its id
      for (let i = 1; i <= 4; i++) {
        c.progress(i / 4);
        seen.push((await jobs.get(holder.id)).progress);
        await sleep(1);
      }
      c.progress(0.1); // progress never goes backwards
      return 42;
    });
    holder.id = job.id;
    const done = await jobs.wait(job.id);
    expect(done).toMatchObject({ state: 'succeeded', progress: 1, result: 42 });
    expect(seen).toEqual([0.25, 0.5, 0.75, 1]);
    expect(jobs.stateCounts()).toMatchObject({ succeeded: 1, running: 0, queued: 0 });
  });

  it('cancels a queued job before it starts and a running one through its signal', async () => {
    const jobs = new JobManager({ maxRunning: 1 });
    const running = await jobs.submit('long', async (c) => {
      while (!c.signal.aborted) await sleep(2);
      throw Object.assign(new Error('stopped'), { code: 'ABORTED' });
    });
    const queued = await jobs.submit('never', async () => 'ran');
    expect((await jobs.cancel(queued.id)).state).toBe('cancelled');
    await sleep(5);
    await jobs.cancel(running.id);
    expect((await jobs.wait(running.id)).state).toBe('cancelled');
    expect(((await jobs.cancel(running.id).catch((e) => e)) as WaybillError).code).toBe('CONFLICT');
    expect(jobs.stateCounts()).toMatchObject({ cancelled: 2, running: 0, queued: 0 });
  });

  it('a failing job keeps its error code; a full queue refuses with QUEUE_FULL; unknown ids are JOB_NOT_FOUND', async () => {
    const jobs = new JobManager({ maxRunning: 1, maxQueued: 1 });
    const bad = await jobs.submit('bad', async () => {
      await sleep(20);
      throw Object.assign(new Error('no data'), { code: 'INVALID_ARGUMENT' });
    });
    await jobs.submit('waiting', async () => 1);
    expect(((await jobs.submit('third', async () => 1).catch((e) => e)) as WaybillError).code).toBe('QUEUE_FULL');
    expect((await jobs.wait(bad.id)).error).toEqual({ code: 'INVALID_ARGUMENT', message: 'no data' });
    expect(((await jobs.get('nope').catch((e) => e)) as WaybillError).code).toBe('JOB_NOT_FOUND');
  });

  it('the memory store forgets the oldest finished jobs beyond its capacity', async () => {
    const jobs = new JobManager({ store: new MemoryJobStore(2) });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const j = await jobs.submit('n', async () => i);
      ids.push(j.id);
      await jobs.wait(j.id);
    }
    const kept = (await jobs.store.list()).map((j) => j.id);
    expect(kept).toEqual(ids.slice(2));
  });

  it('the memory store also bounds the bytes of finished results (the count alone let big results hold gigabytes)', async () => {
    const jobs = new JobManager({ store: new MemoryJobStore(100, 2500) });
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const j = await jobs.submit('n', async () => 'x'.repeat(1000));
      ids.push(j.id);
      await jobs.wait(j.id);
    }
    // Each result is 1002 bytes of JSON: two fit in 2500.
    expect((await jobs.store.list()).map((j) => j.id)).toEqual(ids.slice(2));
    // A running job is never forgotten, and the latest finished one stays even when alone too big.
    let release: () => void = () => {};
    const running = await jobs.submit('slow', () => new Promise((r) => (release = () => r(1))));
    const big = await jobs.submit('big', async () => 'y'.repeat(5000));
    await jobs.wait(big.id);
    const kept = (await jobs.store.list()).map((j) => j.id);
    expect(kept).toEqual([running.id, big.id]);
    release();
    await jobs.wait(running.id);
  });

  it('progress after the end leaves the record alone; a bare message detail is kept as { message }', async () => {
    const jobs = new JobManager();
    let report: ((f: number, d?: Record<string, unknown>) => void) | undefined;
    const job = await jobs.submit('n', async (c) => {
      report = c.progress;
      c.progress(0.5, 'halfway' as never);
      c.progress(0.6, [1, 2] as never); // not an object: ignored
      return 'done';
    });
    await jobs.wait(job.id);
    report?.(0.7, { late: true });
    await sleep(1);
    expect(await jobs.get(job.id)).toMatchObject({ state: 'succeeded', progress: 1, detail: { message: 'halfway' } });
  });

  it('close() gives up on a job that ignores its cancellation after closeTimeoutMs, recording it failed', async () => {
    const jobs = new JobManager({ closeTimeoutMs: 50 });
    const stuck = await jobs.submit('stuck', () => new Promise(() => {}));
    await sleep(1);
    const t0 = performance.now();
    await jobs.close();
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(await jobs.get(stuck.id)).toMatchObject({ state: 'failed', error: { code: 'TIMEOUT' } });
    expect((await jobs.get(stuck.id)).error?.message).toMatch(/did not stop within 50 ms/);
    expect(jobs.stateCounts()).toMatchObject({ running: 0, failed: 1 });
  });
});
