/**
 * Worker thread of linear-program.ts: runs one HiGHS solve at a time (the `highs` WebAssembly
 * build, loaded once per worker) so that a solve never blocks the caller's event loop, and a solve
 * that does not stop (HiGHS's MIP presolve once looped past its own time limit) can be ended by
 * terminating the thread. Message in: { lp, options }; out: { ok: true, solution } or
 * { ok: false, message }.
 */
import { parentPort } from 'node:worker_threads';

interface Highs {
  solve(lp: string, options?: Record<string, unknown>): unknown;
}

let solver: Promise<Highs> | undefined;
const load = (): Promise<Highs> => {
  solver ??= (async () => ((await import('highs')) as unknown as { default: () => Promise<Highs> }).default())();
  return solver;
};

parentPort?.on('message', async (m: { lp: string; options: Record<string, unknown> }) => {
  try {
    const s = await load();
    parentPort?.postMessage({ ok: true, solution: s.solve(m.lp, m.options) });
  } catch (err) {
    // HiGHS aborts its WebAssembly instance on some errors: load a fresh one for the next solve.
    solver = undefined;
    parentPort?.postMessage({ ok: false, message: err instanceof Error ? err.message : String(err) });
  }
});
