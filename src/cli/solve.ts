/**
 * `waybill solve <file>`: recognises the file by its contents and solves it with a progress bar
 * on stderr. TSPLIB `TYPE : TSP` goes to the TSP kernel (tour written as a TSPLIB `.tour`);
 * CVRPLIB CVRP / VRPTW, Solomon text and JSON problems go to the VRP solver (solve-vrp.ts).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseTsplib } from '../data/tsplib.js';
import { createEngine } from '../engine.js';
import { WaybillError } from '../errors.js';
import { conventionOf, type DistanceConvention } from '../kernels/or/routes.js';
import { checkWritable } from './out-path.js';
import { DEFAULT_SOLVE_MS, detectFormat, solveVrpFile, VRP_TYPES } from './solve-vrp.js';

export interface SolveArgs {
  file: string;
  /** Wall-clock budget, ms (absent: 10 s, or for a VRP with maxIterations no time limit). */
  timeLimitMs?: number;
  seed: number;
  out?: string;
  json?: boolean;
  /** VRP only: solver threads. */
  workers?: number;
  /** VRP only: genetic iterations per worker. */
  maxIterations?: number;
  /** VRP only: distance rounding for CVRPLIB / Solomon files. */
  rounding?: DistanceConvention;
  /** VRP only: fleet size for CVRPLIB / Solomon files. */
  vehicles?: number;
}

function bar(fraction: number, width = 30): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** Solves the file (TSP or VRP, by its contents); returns the result summary (also printed). */
export async function solveFile(args: SolveArgs): Promise<object> {
  let text: string;
  try {
    text = readFileSync(args.file, 'utf8');
  } catch (err) {
    throw new WaybillError('INVALID_ARGUMENT', `cannot read ${args.file}: ${(err as Error).message}`);
  }
  const format = detectFormat(text);
  const inst = format === 'tsplib' ? parseTsplib(text) : undefined;
  if (inst === undefined || VRP_TYPES.includes(inst.type)) {
    return solveVrpFile(
      {
        file: args.file,
        text,
        ...(args.timeLimitMs !== undefined ? { timeLimitMs: args.timeLimitMs } : {}),
        seed: args.seed,
        workers: args.workers ?? 1,
        ...(args.maxIterations !== undefined ? { maxIterations: args.maxIterations } : {}),
        ...(args.rounding ? { rounding: args.rounding } : {}),
        ...(args.vehicles !== undefined ? { vehicles: args.vehicles } : {}),
        ...(args.out ? { out: args.out } : {}),
        ...(args.json ? { json: true } : {}),
      },
      inst,
    );
  }
  if (inst.type !== 'TSP')
    throw new WaybillError(
      'KERNEL_UNSUPPORTED',
      `${basename(args.file)}: TYPE ${inst.type} is not solvable (TSP, ${VRP_TYPES.join(', ')})`,
    );
  const flags = { workers: '--workers', maxIterations: '--iterations', rounding: '--rounding', vehicles: '--vehicles' } as const;
  const ignored = (Object.keys(flags) as Array<keyof typeof flags>).filter((k) => args[k] !== undefined).map((k) => flags[k]);
  if (ignored.length > 0) process.stderr.write(`waybill: ${ignored.join(', ')} apply to routing problems only; ignored for a TSP\n`);
  if (args.out) checkWritable(args.out);
  const timeLimitMs = args.timeLimitMs ?? DEFAULT_SOLVE_MS;
  const engine = createEngine({ workers: 0 });
  const tty = process.stderr.isTTY === true;
  const ac = new AbortController();
  const onSigint = () => ac.abort();
  process.once('SIGINT', onSigint);
  try {
    const res = await engine.kernels.or.tsp(
      { coords: inst.coords, convention: conventionOf(inst.edgeWeightType) },
      {
        seed: args.seed,
        timeLimitMs,
        signal: ac.signal,
        onProgress: (p) => {
          const line = `${bar(p.elapsedMs / timeLimitMs)} ${(p.elapsedMs / 1000).toFixed(1)}/${(timeLimitMs / 1000).toFixed(1)} s  best ${p.best}  iterations ${p.iterations}`;
          if (tty) process.stderr.write(`\r${line}`);
          else process.stderr.write(`${line}\n`);
        },
      },
    );
    if (tty) process.stderr.write('\n');
    const summary = {
      name: inst.name || basename(args.file),
      n: inst.dimension,
      length: res.length,
      iterations: res.iterations,
      ms: res.timings.totalMs,
    };
    if (args.out) {
      const tour = Array.from(res.tour, (c) => String(c + 1)).join('\n');
      writeFileSync(
        args.out,
        `NAME : ${summary.name}.tour\nCOMMENT : length ${res.length}, waybill tsp, seed ${args.seed}\nTYPE : TOUR\nDIMENSION : ${inst.dimension}\nTOUR_SECTION\n${tour}\n-1\nEOF\n`,
      );
    }
    console.log(
      args.json
        ? JSON.stringify({ ...summary, cancelled: res.cancelled, tour: Array.from(res.tour) })
        : `${summary.name}: ${summary.n} cities, length ${summary.length}${res.cancelled ? ' (interrupted: best so far)' : ''}, ${summary.iterations} iterations in ${(summary.ms / 1000).toFixed(1)} s${args.out ? `, tour written to ${args.out}` : ''}`,
    );
    return summary;
  } finally {
    process.off('SIGINT', onSigint);
    await engine.close();
  }
}
