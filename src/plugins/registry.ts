/**
 * The model registry: loads plugins (from a folder, a path or an npm package name), keeps several
 * versions of a model side by side with a default, tracks each version's state (loading, ready,
 * failed + reason), validates inputs and outputs against the plugin's schemas, and runs predict()
 * through the version's runner (bounded concurrency and queue, optional dynamic batching).
 * A plugin that fails in any way is recorded as failed with its reason; nothing it does can stop
 * the other models or the server.
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Ajv, type ValidateFunction } from 'ajv';
import type { Engine } from '../engine.js';
import { ERROR_CATALOGUE, type ErrorCode, toWaybillError, WaybillError } from '../errors.js';
import { defaultDataDir } from '../paths.js';
import { validationField } from '../schema-field.js';
import { definePlugin, isPlugin, type PluginContext, type PluginDefinition, type PluginLogger, type WorkControl } from './define.js';
import { ModelRunner, type RunnerStats } from './runner.js';
import { describeValue, jsonProblem, thrownMessage } from './values.js';

/** How a failed record's reason starts when the version was already loaded (see add). */
export const NAME_CLASH = 'name clash';
export type ModelState = 'loading' | 'ready' | 'failed' | 'unloading';

/** What GET /v2/models and GET /v2/models/:name report for one version. */
export interface ModelVersionInfo {
  name: string;
  version: string;
  state: ModelState;
  reason?: string;
  isDefault: boolean;
  description?: string;
  kernels?: string[];
  inputSchema?: unknown;
  outputSchema?: unknown;
  metadata?: Record<string, unknown>;
  source: string;
  loadMs?: number;
  warmupMs?: number;
  batching?: { maxBatchSize: number; maxWaitMs: number };
  /** The plugin has train() (POST /v1/jobs type 'train'). */
  trainable?: boolean;
  /** Backends that served this version's kernel calls so far. */
  backends?: string[];
  runner?: RunnerStats;
  requests: number;
  failures: number;
}

export interface InferResult {
  name: string;
  version: string;
  outputs: unknown[];
  queueMs: number;
  computeMs: number;
  batchSize: number;
}

export interface RegistryOptions {
  kernels: Engine['kernels'];
  /** Default: WAYBILL_DATA_DIR or ../shared/data beside the package. */
  dataDir?: string;
  /** Default: WAYBILL_ARTIFACTS_DIR or .waybill/artifacts in the working directory. */
  artifactsDir?: string;
  logger?: PluginLogger;
  /** 'off' ignores every plugin's dynamic batching (default: WAYBILL_BATCHING, else 'plugin'). */
  batching?: 'plugin' | 'off';
  /** Folder from which npm package names are resolved (default: the working directory). */
  resolveFrom?: string;
  /**
   * Time a plugin's load(), warmup() and unload() may each take before the version is failed
   * (ms; default WAYBILL_LOAD_TIMEOUT_MS, else 120 000). A load that finishes later is unloaded.
   */
  loadTimeoutMs?: number;
}

interface Entry {
  name: string;
  version: string;
  source: string;
  state: ModelState;
  reason?: string;
  def?: PluginDefinition;
  model?: unknown;
  ctx?: PluginContext;
  abort: AbortController;
  checkInput?: ValidateFunction;
  checkOutput?: ValidateFunction;
  runner?: ModelRunner<unknown, unknown>;
  loadMs?: number;
  warmupMs?: number;
  requests: number;
  failures: number;
  backends: Set<string>;
}

/**
 * The engine's kernels as one model sees them: every call goes through, and the backend that
 * answered is recorded for the model's metadata.
 */
function recordingKernels(kernels: Engine['kernels'], seen: Set<string>): Engine['kernels'] {
  const wrap = <T extends object>(family: T): T =>
    new Proxy(family, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          const r = (await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args)) as { backend?: unknown };
          if (typeof r?.backend === 'string') seen.add(r.backend);
          return r;
        };
      },
    });
  return Object.fromEntries(Object.entries(kernels).map(([name, family]) => [name, wrap(family as object)])) as Engine['kernels'];
}

function newEntry(name: string, version: string, source: string, state: ModelState): Entry {
  return { name, version, source, state, abort: new AbortController(), requests: 0, failures: 0, backends: new Set() };
}

const consoleLogger: PluginLogger = {
  info: (m, d) => console.log(`[plugin] ${m}`, d ?? ''),
  warn: (m, d) => console.warn(`[plugin] ${m}`, d ?? ''),
  error: (m, d) => console.error(`[plugin] ${m}`, d ?? ''),
};

/** Order of dot-separated identifiers, numeric-aware (SemVer's rule for pre-release parts, nearly). */
function compareIdentifiers(a: string, b: string): number {
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i] as string;
    const q = y[i] as string;
    const pn = /^\d+$/.test(p);
    const qn = /^\d+$/.test(q);
    // Numeric identifiers rank below alphanumeric ones (SemVer 11.4.3); alphanumeric ones compare
    // numeric-aware (v2 < v10, beta9 < beta10) where SemVer compares them as ASCII.
    const c = pn !== qn ? (pn ? -1 : 1) : p.localeCompare(q, 'en', { numeric: true });
    if (c !== 0) return c;
  }
  return x.length - y.length;
}

/**
 * Version order, SemVer precedence for SemVer-shaped versions: 1.10.0 > 1.9.0, and a pre-release
 * ranks below its release (1.0.0-beta < 1.0.0: the text order made the beta the default);
 * build metadata (+...) is ignored. Other version strings: numeric-aware text order.
 */
export function compareVersions(a: string, b: string): number {
  const split = (v: string) => {
    const core = v.split('+')[0] as string;
    const dash = core.indexOf('-');
    return dash < 0 ? { main: core, pre: undefined } : { main: core.slice(0, dash), pre: core.slice(dash + 1) };
  };
  const x = split(a);
  const y = split(b);
  const c = compareIdentifiers(x.main, y.main);
  if (c !== 0) return c;
  if (x.pre === undefined || y.pre === undefined) {
    if (x.pre !== y.pre) return x.pre === undefined ? 1 : -1;
  } else {
    const d = compareIdentifiers(x.pre, y.pre);
    if (d !== 0) return d;
  }
  // Equal precedence (build metadata differs, or 1.0 vs 1.0.0): a stable order all the same.
  return a.localeCompare(b, 'en', { numeric: true });
}

/** Finds the module file of a plugin folder: index.ts, index.js, index.mjs or package.json "main". */
function moduleFile(dir: string): string | undefined {
  for (const f of ['index.ts', 'index.mts', 'index.js', 'index.mjs']) {
    if (existsSync(join(dir, f))) return join(dir, f);
  }
  return undefined;
}

export class ModelRegistry {
  private readonly entries = new Map<string, Entry>();
  /** Failures that never got a name@version (import errors, invalid definitions). */
  private readonly orphans: Entry[] = [];
  private readonly defaults = new Map<string, string>();
  private readonly dataDir: string;
  private readonly artifactsDir: string;
  private log: PluginLogger;
  private reloads = 0;
  private readonly loadTimeoutMs: number;

  constructor(private readonly options: RegistryOptions) {
    this.dataDir = options.dataDir ?? defaultDataDir();
    this.artifactsDir = options.artifactsDir ?? process.env.WAYBILL_ARTIFACTS_DIR ?? resolve('.waybill', 'artifacts');
    this.log = options.logger ?? consoleLogger;
    const envTimeout = Number(process.env.WAYBILL_LOAD_TIMEOUT_MS);
    this.loadTimeoutMs = options.loadTimeoutMs ?? (envTimeout > 0 ? envTimeout : 120_000);
  }

  /** Routes plugin and registry messages to another logger (the server's). */
  useLogger(logger: PluginLogger): void {
    this.log = logger;
  }

  /** Loads every plugin folder below `dir` (each with an index file). Missing dir: nothing. */
  async loadDirectory(dir: string): Promise<ModelVersionInfo[]> {
    if (!existsSync(dir)) return [];
    const out: ModelVersionInfo[] = [];
    for (const name of readdirSync(dir).sort()) {
      const sub = join(dir, name);
      let isDirectory: boolean;
      try {
        isDirectory = statSync(sub).isDirectory();
      } catch (err) {
        // A dangling link or an unreadable entry is one failed plugin, not a failed start.
        out.push(this.fail(name, '', sub, `cannot read ${sub}: ${thrownMessage(err)}`));
        continue;
      }
      if (!isDirectory) continue;
      out.push(...(await this.loadFrom(sub)));
    }
    return out;
  }

  /**
   * Loads a plugin from a folder or file path, or from an installed npm package name. The module's
   * default export (or its `plugin` / `plugins` export) is the definition, or an array of them.
   */
  async loadFrom(spec: string): Promise<ModelVersionInfo[]> {
    let file: string | undefined;
    try {
      file = this.resolveSpec(spec);
      const url = pathToFileURL(file);
      if (this.reloads > 0) url.searchParams.set('reload', String(this.reloads));
      const mod = (await import(url.href)) as Record<string, unknown>;
      const exported = mod.default ?? mod.plugin ?? mod.plugins;
      const defs = Array.isArray(exported) ? exported : [exported];
      if (exported === undefined)
        throw new WaybillError('INVALID_PLUGIN', `${spec} has no default export (export default definePlugin({...}))`);
      if (defs.length === 0) throw new WaybillError('INVALID_PLUGIN', `${spec} exports an empty list of plugins`);
      const out: ModelVersionInfo[] = [];
      for (const d of defs) out.push(await this.add(d, spec));
      return out;
    } catch (err) {
      // Whatever the module threw (a string, undefined) becomes the reason; nothing escapes.
      const reason = err instanceof WaybillError ? err.message : `could not import ${spec}: ${thrownMessage(err)}`;
      return [this.fail(basename(spec).replace(/\.(m?[jt]s)$/, ''), '', spec, reason)];
    }
  }

  private resolveSpec(spec: string): string {
    const looksLikePath = spec.startsWith('.') || spec.startsWith('/') || isAbsolute(spec) || existsSync(spec);
    if (looksLikePath) {
      const p = resolve(spec);
      if (!existsSync(p)) throw new WaybillError('PLUGIN_LOAD_FAILED', `plugin path ${spec} does not exist`);
      if (statSync(p).isDirectory()) {
        const f = moduleFile(p);
        if (f) return f;
        // A package folder: let Node resolve its entry point.
        return createRequire(join(p, 'package.json')).resolve(p);
      }
      return p;
    }
    try {
      return createRequire(join(this.options.resolveFrom ?? process.cwd(), 'package.json')).resolve(spec);
    } catch {
      throw new WaybillError('PLUGIN_LOAD_FAILED', `plugin package ${spec} is not installed (npm install ${spec}) and is not a path`);
    }
  }

  /** Records a plugin that never got to serve (import error, invalid definition, name clash). */
  private fail(name: string, version: string, source: string, reason: string): ModelVersionInfo {
    const orphan: Entry = { ...newEntry(name, version, source, 'failed'), reason };
    // The same source failing again (a repeated load request) replaces its earlier record rather
    // than adding one more failed entry to the model list on every attempt.
    const again = this.orphans.findIndex((o) => o.name === name && o.version === version && o.source === source);
    if (again >= 0) this.orphans.splice(again, 1);
    this.orphans.push(orphan);
    this.log.error(`plugin ${name}@${version || '?'} from ${source} failed: ${reason}`);
    return this.info(orphan);
  }

  /** Registers one definition: validates it, loads it, warms it up. Never throws: failures are recorded. */
  async add(candidate: unknown, source: string): Promise<ModelVersionInfo> {
    let def: PluginDefinition;
    try {
      def = isPlugin(candidate) ? candidate : definePlugin(candidate as PluginDefinition);
    } catch (err) {
      // The candidate is untrusted: its name may be anything (or a getter that throws).
      const field = (key: 'name' | 'version'): unknown => {
        try {
          return (candidate as Record<string, unknown> | undefined)?.[key];
        } catch {
          return undefined;
        }
      };
      const [name, version] = [field('name'), field('version')];
      const printable = (v: unknown) => (typeof v === 'string' && v.length <= 64 ? v : v === undefined ? undefined : describeValue(v));
      return this.fail(printable(name) ?? basename(source), printable(version) ?? '', source, thrownMessage(err));
    }
    const key = `${def.name}@${def.version}`;
    const existing = this.entries.get(key);
    if (existing && existing.state !== 'failed') {
      return this.fail(def.name, def.version, source, `${NAME_CLASH}: ${key} is already loaded from ${existing.source}`);
    }
    const entry: Entry = { ...newEntry(def.name, def.version, source, 'loading'), def };
    this.entries.set(key, entry);
    let phase: 'load' | 'warm-up' | undefined;
    try {
      // One validator per version: schemas with an $id would clash with another version's, or
      // with this version's own after a reload, in a shared one.
      const ajv = new Ajv({ strict: true, allErrors: true, strictTuples: false });
      entry.checkInput = compileSchema(ajv, def.input, 'input');
      entry.checkOutput = compileSchema(ajv, def.output, 'output');
      const artifactsDir = join(this.artifactsDir, def.name, def.version);
      mkdirSync(artifactsDir, { recursive: true });
      const prefix = `${key}: `;
      entry.ctx = {
        kernels: recordingKernels(this.options.kernels, entry.backends),
        dataDir: this.dataDir,
        artifactsDir,
        signal: entry.abort.signal,
        log: {
          info: (m, d) => this.log.info(prefix + m, d),
          warn: (m, d) => this.log.warn(prefix + m, d),
          error: (m, d) => this.log.error(prefix + m, d),
        },
      };
      const ctx = entry.ctx;
      const t0 = performance.now();
      phase = 'load';
      // A load that outlives its time limit is failed now and released when it finally returns.
      entry.model = await this.bounded(
        'load()',
        () => def.load(ctx),
        (late) => void this.release(entry, late),
      );
      entry.loadMs = performance.now() - t0;
      if (entry.abort.signal.aborted) {
        // Unloaded while loading: unload() left the release of the model to us.
        await this.release(entry, entry.model);
        return this.info(entry);
      }
      const limits = def.limits ?? {};
      const batchingOff = (this.options.batching ?? process.env.WAYBILL_BATCHING) === 'off';
      entry.runner = new ModelRunner<unknown, unknown>(
        {
          maxConcurrency: limits.maxConcurrency ?? 4,
          maxQueue: limits.maxQueue ?? 64,
          timeoutMs: limits.timeoutMs ?? 30_000,
          batching: batchingOff ? undefined : limits.batching,
        },
        async (batch) => (await def.predict(entry.ctx as PluginContext, entry.model, batch as never)) as unknown[],
      );
      const t1 = performance.now();
      phase = 'warm-up';
      const warmup = def.warmup;
      if (warmup) await this.bounded('warmup()', () => warmup.call(def, ctx, entry.model));
      entry.warmupMs = performance.now() - t1;
      if (entry.abort.signal.aborted) {
        await this.release(entry, entry.model); // unloaded during warm-up
        return this.info(entry);
      }
      entry.state = 'ready';
      this.log.info(`model ${key} ready (load ${entry.loadMs.toFixed(0)} ms, warm-up ${entry.warmupMs.toFixed(0)} ms)`);
    } catch (err) {
      if (entry.state === 'loading') entry.state = 'failed';
      entry.reason =
        err instanceof WaybillError
          ? `${phase === 'warm-up' ? 'warm-up: ' : ''}${err.message}`
          : `${phase ?? 'load'} failed: ${thrownMessage(err)}`;
      this.log.error(`model ${key} failed: ${entry.reason}`);
      // What load() acquired is released when warm-up fails.
      if (phase === 'warm-up') await this.release(entry, entry.model);
    }
    return this.info(entry);
  }

  /**
   * Runs a plugin hook with the registry's time limit (TIMEOUT beyond it). When it times out,
   * `onLate` receives what the hook returns afterwards, if it ever does.
   */
  private async bounded<T>(what: string, hook: () => Promise<T> | T, onLate?: (value: T) => void): Promise<T> {
    const ms = this.loadTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    const running = new Promise<T>((resolve) => resolve(hook()));
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        reject(new WaybillError('TIMEOUT', `${what} did not finish within ${ms} ms (loadTimeoutMs / WAYBILL_LOAD_TIMEOUT_MS)`));
      }, ms);
    });
    try {
      return await Promise.race([running, timeout]);
    } finally {
      clearTimeout(timer);
      if (timedOut)
        running.then(
          (late) => onLate?.(late),
          () => {},
        );
    }
  }

  /** Calls the plugin's unload() on `model` (time-limited; a failure is logged, never thrown). */
  private async release(e: Entry, model: unknown): Promise<void> {
    e.abort.abort();
    const unload = e.def?.unload;
    const ctx = e.ctx;
    if (!unload || !ctx) return;
    try {
      await this.bounded('unload()', () => unload.call(e.def, ctx, model));
    } catch (err) {
      this.log.warn(`unload of ${e.name}@${e.version} failed: ${thrownMessage(err)}`);
    }
  }

  /** All versions of all models, failed ones included, by name then version. */
  list(): ModelVersionInfo[] {
    const all = [...this.entries.values()].map((e) => this.info(e));
    all.push(...this.orphans.map((e) => this.info(e)));
    return all.sort((a, b) => a.name.localeCompare(b.name) || compareVersions(a.version, b.version));
  }

  /** Versions of one model (MODEL_NOT_FOUND when none). */
  versions(name: string): ModelVersionInfo[] {
    const v = this.list().filter((m) => m.name === name && m.version !== '');
    if (v.length === 0) throw new WaybillError('MODEL_NOT_FOUND', `no model named ${name}`, { name });
    return v;
  }

  /** The version served when none is named: the pinned default, else the highest ready version. */
  defaultVersion(name: string): string | undefined {
    const pinned = this.defaults.get(name);
    if (pinned && this.entries.get(`${name}@${pinned}`)?.state === 'ready') return pinned;
    const ready = [...this.entries.values()].filter((e) => e.name === name && e.state === 'ready').map((e) => e.version);
    return ready.sort(compareVersions).at(-1);
  }

  /** Pins the default version of a model. */
  setDefault(name: string, version: string): void {
    this.entry(name, version);
    this.defaults.set(name, version);
  }

  /** One version (the default when `version` is absent). */
  get(name: string, version?: string): ModelVersionInfo {
    return this.info(this.entry(name, version));
  }

  private entry(name: string, version?: string): Entry {
    const v =
      version ??
      this.defaultVersion(name) ??
      [...this.entries.values()]
        .filter((e) => e.name === name)
        .map((e) => e.version)
        .sort(compareVersions)
        .at(-1);
    const e = v === undefined ? undefined : this.entries.get(`${name}@${v}`);
    if (!e) {
      throw new WaybillError('MODEL_NOT_FOUND', version ? `no version ${version} of model ${name}` : `no model named ${name}`, {
        name,
        ...(version ? { version } : {}),
      });
    }
    return e;
  }

  /** Validates `inputs`, runs predict() through the version's runner, validates the outputs. */
  async infer(name: string, version: string | undefined, inputs: unknown[]): Promise<InferResult> {
    const e = this.readyEntry(name, version);
    this.validateInputs(e, inputs);
    e.requests++;
    const label = `model ${e.name}@${e.version}`;
    try {
      const r = await (e.runner as ModelRunner<unknown, unknown>).submit(inputs);
      r.outputs.forEach((o, i) => {
        if (!(e.checkOutput as ValidateFunction)(o)) {
          const errors = (e.checkOutput as ValidateFunction).errors ?? [];
          throw new WaybillError(
            'INVALID_OUTPUT',
            `${label} returned output ${i} that does not match its schema: ${errors.map((er) => `${er.instancePath || '/'} ${er.message}`).join('; ')}`,
          );
        }
        // The schema passed, but JSON would fail on it (a cycle, a BigInt) or change it (NaN -> null).
        const problem = jsonProblem(o);
        if (problem) throw new WaybillError('INVALID_OUTPUT', `${label} returned output ${i} that is not JSON: output ${i}${problem}`);
      });
      return { name: e.name, version: e.version, outputs: r.outputs, queueMs: r.queueMs, computeMs: r.computeMs, batchSize: r.batchSize };
    } catch (err) {
      e.failures++;
      throw pluginError(err, label, 'PREDICT_FAILED', 'failed');
    }
  }

  /**
   * Checks `inputs` against a ready version's input schema without running it: MODEL_NOT_READY,
   * or INVALID_ARGUMENT naming the first bad instance (its index in `inputs`).
   */
  checkInputs(name: string, version: string | undefined, inputs: unknown[]): void {
    this.validateInputs(this.readyEntry(name, version), inputs);
  }

  private readyEntry(name: string, version: string | undefined): Entry {
    const e = this.entry(name, version);
    if (e.state !== 'ready' || !e.runner || !e.checkInput || !e.checkOutput) {
      throw new WaybillError('MODEL_NOT_READY', `model ${e.name}@${e.version} is ${e.state}${e.reason ? `: ${e.reason}` : ''}`, {
        state: e.state,
      });
    }
    return e;
  }

  private validateInputs(e: Entry, inputs: unknown[]): void {
    if (!Array.isArray(inputs) || inputs.length === 0)
      throw new WaybillError('INVALID_ARGUMENT', 'at least one input instance is required');
    inputs.forEach((x, i) => {
      if (!(e.checkInput as ValidateFunction)(x)) {
        const errors = (e.checkInput as ValidateFunction).errors ?? [];
        throw new WaybillError(
          'INVALID_ARGUMENT',
          `input ${i} does not match the input schema of model ${e.name}@${e.version}: ${errors.map((er) => `${er.instancePath || '/'} ${er.message}`).join('; ')}`,
          {
            index: i,
            // The first offending value inside the instance (`window_end`, `history[1]`, `orders[0].time`).
            field: validationField(errors[0], 'input'),
            validation: errors.map((er) => ({ path: er.instancePath, message: er.message, params: er.params })),
          },
        );
      }
    });
  }

  /** Runs the plugin's train() (as a job: `control` carries the signal and progress). */
  async train(name: string, version: string | undefined, params: Record<string, unknown>, control: WorkControl): Promise<unknown> {
    const e = this.entry(name, version);
    if (!e.def?.train) throw new WaybillError('INVALID_ARGUMENT', `model ${e.name}@${e.version} has no train()`);
    if (e.state !== 'ready' || !e.ctx) throw new WaybillError('MODEL_NOT_READY', `model ${e.name}@${e.version} is ${e.state}`);
    const def = e.def;
    const ctx = e.ctx;
    try {
      return await def.train?.(ctx, params, control);
    } catch (err) {
      throw pluginError(err, `model ${e.name}@${e.version}`, 'TRAIN_FAILED', 'train() failed');
    }
  }

  /** Unloads one version (or every version when `version` is absent): waits for its calls, then calls unload(). */
  async unload(name: string, version?: string): Promise<ModelVersionInfo[]> {
    const targets = version ? [this.entry(name, version)] : [...this.entries.values()].filter((e) => e.name === name);
    if (targets.length === 0) throw new WaybillError('MODEL_NOT_FOUND', `no model named ${name}`, { name });
    const out: ModelVersionInfo[] = [];
    for (const e of targets) {
      const ready = e.state === 'ready';
      e.state = 'unloading';
      e.abort.abort();
      await e.runner?.drain();
      // A version still loading releases its model when load() returns (see add); a failed one
      // released it already or never had one.
      if (ready) await this.release(e, e.model);
      this.entries.delete(`${e.name}@${e.version}`);
      if (this.defaults.get(e.name) === e.version) this.defaults.delete(e.name);
      out.push({ ...this.info(e), state: 'unloading' });
    }
    return out;
  }

  /** Unloads the versions loaded from the same source as `name`, then imports that source again. */
  async reload(name: string): Promise<ModelVersionInfo[]> {
    const sources = new Set([...this.entries.values(), ...this.orphans].filter((e) => e.name === name).map((e) => e.source));
    if (sources.size === 0) throw new WaybillError('MODEL_NOT_FOUND', `no model named ${name}`, { name });
    if ([...this.entries.values()].some((e) => e.name === name)) await this.unload(name);
    this.orphans.splice(0, this.orphans.length, ...this.orphans.filter((o) => o.name !== name));
    this.reloads++;
    const out: ModelVersionInfo[] = [];
    for (const s of sources) out.push(...(await this.loadFrom(s)));
    return out;
  }

  /** Unloads everything (server shutdown). */
  async closeAll(): Promise<void> {
    for (const name of new Set([...this.entries.values()].map((e) => e.name))) await this.unload(name);
  }

  private info(e: Entry): ModelVersionInfo {
    const def = e.def;
    const info: ModelVersionInfo = {
      name: e.name,
      version: e.version,
      state: e.state,
      isDefault: this.entries.get(`${e.name}@${e.version}`) === e && this.defaultVersion(e.name) === e.version,
      source: e.source,
      requests: e.requests,
      failures: e.failures,
    };
    if (e.reason !== undefined) info.reason = e.reason;
    if (def) {
      info.description = def.description;
      info.kernels = def.kernels;
      info.inputSchema = def.input;
      info.outputSchema = def.output;
      if (def.metadata) info.metadata = def.metadata;
      if (def.limits?.batching && e.runner?.batching) info.batching = def.limits.batching;
      info.trainable = typeof def.train === 'function';
      if (e.backends.size > 0) info.backends = [...e.backends].sort();
    }
    if (e.loadMs !== undefined) info.loadMs = e.loadMs;
    if (e.warmupMs !== undefined) info.warmupMs = e.warmupMs;
    if (e.runner) info.runner = e.runner.stats();
    return info;
  }
}

function compileSchema(ajv: Ajv, schema: unknown, which: string): ValidateFunction {
  try {
    return ajv.compile(schema as object);
  } catch (err) {
    throw new WaybillError('INVALID_PLUGIN', `${which} schema is invalid: ${thrownMessage(err)}`);
  }
}

/**
 * What a plugin's failure becomes: an error with a catalogue code (ours, the kernels', or the
 * plugin's own `code: 'ABORTED'`) keeps its code and details; anything else, Errors and thrown
 * strings or `undefined` alike, is `fallback`. The message always names the model.
 */
function pluginError(err: unknown, label: string, fallback: ErrorCode, verb: string): WaybillError {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  if (err instanceof WaybillError || (typeof code === 'string' && Object.hasOwn(ERROR_CATALOGUE, code))) {
    const w = toWaybillError(err);
    return w.message.includes(label.slice('model '.length)) ? w : new WaybillError(w.code, `${label}: ${w.message}`, w.details);
  }
  return new WaybillError(fallback, `${label} ${verb}: ${thrownMessage(err)}`);
}
