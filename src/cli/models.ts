/**
 * `waybill models` and `waybill infer`: against a running server (--url) or, without one, by
 * loading the plugins in-process (the same sources `waybill serve` would load).
 */

import { createEngine } from '../engine.js';
import { WaybillError } from '../errors.js';
import type { ModelVersionInfo } from '../plugins/registry.js';
import { defaultPluginSources, isPluginCollection } from '../server/plugin-sources.js';

export interface ModelsArgs {
  url?: string;
  plugins?: string[];
}

async function remote(url: string, path: string, init?: RequestInit): Promise<unknown> {
  let res: Response;
  let body: { code?: string; message?: string };
  try {
    res = await fetch(new URL(path, url), init);
    body = (await res.json()) as { code?: string; message?: string };
  } catch (err) {
    // A malformed --url, nothing listening there, or a reply that is not the API's JSON.
    const e = err as Error & { cause?: { message?: string } };
    throw new WaybillError('INVALID_ARGUMENT', `--url ${url}: ${e.message}${e.cause?.message ? ` (${e.cause.message})` : ''}`, {
      argument: 'url',
    });
  }
  if (!res.ok) throw new WaybillError((body.code as never) ?? 'INTERNAL', body.message ?? `HTTP ${res.status}`);
  return body;
}

/** Loads the plugin sources into a fresh engine, runs `fn`, closes the engine. */
async function withLocalModels<T>(plugins: string[] | undefined, fn: (engine: ReturnType<typeof createEngine>) => Promise<T>): Promise<T> {
  const engine = createEngine();
  engine.plugins.useLogger({ info: () => {}, warn: (m) => console.error(m), error: (m) => console.error(m) });
  try {
    for (const source of plugins ?? defaultPluginSources()) {
      if (isPluginCollection(source)) await engine.plugins.loadDirectory(source);
      else await engine.plugins.loadFrom(source);
    }
    return await fn(engine);
  } finally {
    await engine.close();
  }
}

export function formatModels(models: ModelVersionInfo[]): string {
  if (models.length === 0) return 'no models';
  return models
    .map(
      (m) =>
        `${m.isDefault ? '*' : ' '} ${`${m.name}@${m.version || '?'}`.padEnd(32)} ${m.state.padEnd(8)} ${m.state === 'failed' ? m.reason : (m.description ?? '')}`,
    )
    .join('\n');
}

export async function listModels(args: ModelsArgs): Promise<ModelVersionInfo[]> {
  if (args.url) return ((await remote(args.url, '/v2/models')) as { models: ModelVersionInfo[] }).models;
  return withLocalModels(args.plugins, async (engine) => engine.plugins.list());
}

/**
 * Runs inference. `json` is one instance object, an array of instances, or a full request body
 * ({ instances } or KServe { inputs }); with a model name@version the version is used.
 */
export async function inferCli(model: string, json: string, args: ModelsArgs): Promise<unknown> {
  let body: unknown;
  try {
    body = JSON.parse(json);
  } catch (err) {
    throw new WaybillError('INVALID_ARGUMENT', `the input is not JSON: ${(err as Error).message}`);
  }
  const [name, version] = model.split('@') as [string, string | undefined];
  const request =
    typeof body === 'object' && body !== null && !Array.isArray(body) && ('instances' in body || 'inputs' in body)
      ? body
      : { instances: Array.isArray(body) ? body : [body] };
  if (args.url) {
    const path = version ? `/v2/models/${name}/versions/${version}/infer` : `/v2/models/${name}/infer`;
    return remote(args.url, path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request) });
  }
  if (!('instances' in (request as object)))
    throw new WaybillError('INVALID_ARGUMENT', 'without --url, give plain instances (KServe tensors need a server)');
  return withLocalModels(args.plugins, async (engine) => {
    const r = await engine.plugins.infer(name, version, (request as { instances: unknown[] }).instances);
    return {
      model_name: r.name,
      model_version: r.version,
      predictions: r.outputs,
      parameters: { queue_ms: r.queueMs, compute_ms: r.computeMs, batch_size: r.batchSize },
    };
  });
}
