/**
 * The plugin contract. A plugin is a folder (or an npm package) whose module default-exports
 * `definePlugin({...})`: a model with TypeBox input/output schemas, a loader, an optional warm-up,
 * a batched predict, and optionally train/unload. The server validates inputs against `input`
 * before `predict` sees them, and outputs against `output` after.
 */
import type { Static, TSchema } from 'typebox';
import type { Engine } from '../engine.js';
import { WaybillError } from '../errors.js';
import { describeValue } from './values.js';

/** What a plugin's hooks receive. */
export interface PluginContext {
  /** The engine's kernels (geo, ...). */
  kernels: Engine['kernels'];
  /** Directory of shared data sets (WAYBILL_DATA_DIR, default ../shared/data next to the package). */
  dataDir: string;
  /** Writable directory for this model version's artifacts (WAYBILL_ARTIFACTS_DIR/<name>/<version>). */
  artifactsDir: string;
  /** Structured logger scoped to the model. */
  log: PluginLogger;
  /** Aborted when the model is unloaded or the server shuts down. */
  signal: AbortSignal;
}

export interface PluginLogger {
  info(msg: string, data?: Record<string, unknown>): void;
  warn(msg: string, data?: Record<string, unknown>): void;
  error(msg: string, data?: Record<string, unknown>): void;
}

/** Progress and cancellation for long work (training). */
export interface WorkControl {
  signal: AbortSignal;
  /** Report progress in [0, 1] with an optional message or metrics. */
  progress(fraction: number, detail?: Record<string, unknown>): void;
}

/** Metadata shown by GET /v2/models/:name: provenance and quality of the model. */
export interface PluginMetadata {
  /** Where the training / reference data came from (paths, licences, row counts). */
  data?: Record<string, unknown>;
  /** Measured quality, with how it was measured. */
  metrics?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface PluginLimits {
  /** predict() calls in flight at once for this model (default 4). */
  maxConcurrency?: number;
  /** Requests that may wait for a slot; beyond it the server answers 503 (default 64). */
  maxQueue?: number;
  /**
   * Dynamic batching: requests arriving within `maxWaitMs` of each other are merged into one
   * predict() call of at most `maxBatchSize` instances. Off when absent.
   */
  batching?: { maxBatchSize: number; maxWaitMs: number };
  /** Time one predict() call may take before the request fails (default 30 000 ms). */
  timeoutMs?: number;
}

export interface PluginDefinition<I extends TSchema = TSchema, O extends TSchema = TSchema, M = unknown> {
  /** URL-safe model name: lower-case letters, digits, '-', '_' and '.'. */
  name: string;
  /** Version string, e.g. '1.0.0'. Several versions of one name may be served side by side. */
  version: string;
  description: string;
  /** Kernels the model uses, e.g. ['geo.kNearest'] (shown in metadata). */
  kernels: string[];
  /** Schema of one instance of the input. */
  input: I;
  /** Schema of one instance of the output. */
  output: O;
  /** Builds or reads the model's artifacts. Throwing marks this version failed, with the reason. */
  load(ctx: PluginContext): Promise<M> | M;
  /** Runs before the model reports ready (e.g. one predict to warm caches and JIT). */
  warmup?(ctx: PluginContext, model: M): Promise<void> | void;
  /** Predicts a batch of validated inputs; returns one output per input, in order. */
  predict(ctx: PluginContext, model: M, batch: Static<I>[]): Promise<Static<O>[]> | Static<O>[];
  /** Trains (or re-trains) the model; run as a job. */
  train?(ctx: PluginContext, params: Record<string, unknown>, control: WorkControl): Promise<unknown> | unknown;
  /** Releases what load() acquired. */
  unload?(ctx: PluginContext, model: M): Promise<void> | void;
  metadata?: PluginMetadata;
  limits?: PluginLimits;
}

const PLUGIN_MARK = Symbol.for('waybill.plugin');
const NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;
const VERSION = /^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$/;

function isSchema(s: unknown): boolean {
  return typeof s === 'object' && s !== null && !Array.isArray(s);
}

/**
 * Checks a definition and marks it as a plugin. Throws WaybillError('INVALID_PLUGIN') with the
 * first problem found (the registry reports it as the plugin's failure reason).
 */
export function definePlugin<I extends TSchema, O extends TSchema, M>(def: PluginDefinition<I, O, M>): PluginDefinition<I, O, M> {
  const problems: string[] = [];
  const d = def as Partial<PluginDefinition<I, O, M>>;
  if (typeof d !== 'object' || d === null) throw new WaybillError('INVALID_PLUGIN', 'definePlugin needs an object');
  if (typeof d.name !== 'string' || !NAME.test(d.name)) problems.push(`name must match ${NAME} (got ${describeValue(d.name)})`);
  if (typeof d.version !== 'string' || !VERSION.test(d.version))
    problems.push(`version must match ${VERSION} (got ${describeValue(d.version)})`);
  if (typeof d.description !== 'string') problems.push('description must be a string');
  if (!Array.isArray(d.kernels) || d.kernels.some((k) => typeof k !== 'string')) problems.push('kernels must be an array of strings');
  if (!isSchema(d.input)) problems.push('input must be a TypeBox schema');
  if (!isSchema(d.output)) problems.push('output must be a TypeBox schema');
  if (typeof d.load !== 'function') problems.push('load must be a function');
  if (typeof d.predict !== 'function') problems.push('predict must be a function');
  for (const hook of ['warmup', 'train', 'unload'] as const) {
    if (d[hook] !== undefined && typeof d[hook] !== 'function') problems.push(`${hook} must be a function when given`);
  }
  const b = d.limits?.batching;
  if (b !== undefined && (!Number.isInteger(b.maxBatchSize) || b.maxBatchSize < 1 || !(b.maxWaitMs >= 0))) {
    problems.push('limits.batching needs an integer maxBatchSize >= 1 and maxWaitMs >= 0');
  }
  if (problems.length > 0) {
    throw new WaybillError('INVALID_PLUGIN', `invalid plugin ${describeValue(d.name ?? '?')}: ${problems.join('; ')}`, { problems });
  }
  Object.defineProperty(def, PLUGIN_MARK, { value: true });
  return def;
}

/** True for objects made by definePlugin (checked again by the loader, which also accepts plain objects it can validate). */
export function isPlugin(x: unknown): x is PluginDefinition {
  return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[PLUGIN_MARK] === true;
}
