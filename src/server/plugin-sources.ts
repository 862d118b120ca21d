/** Where a server finds the model plugins it loads at start: plugins/, a config file, WAYBILL_PLUGINS. */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { WaybillError } from '../errors.js';

/**
 * The plugin sources a server loads when `plugins` is not given: `plugins/` when it exists, then the `plugins`
 * array of the config file (WAYBILL_CONFIG, default ./waybill.config.json, when present), then
 * the comma-separated WAYBILL_PLUGINS.
 */
export function defaultPluginSources(): string[] {
  const fromEnv = (process.env.WAYBILL_PLUGINS ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return [...(existsSync('plugins') ? ['plugins'] : []), ...configPlugins(), ...fromEnv];
}

function configPlugins(): string[] {
  const file = process.env.WAYBILL_CONFIG ?? 'waybill.config.json';
  if (!existsSync(file)) {
    if (process.env.WAYBILL_CONFIG) throw new WaybillError('INVALID_ARGUMENT', `config file ${file} (WAYBILL_CONFIG) does not exist`);
    return [];
  }
  let config: { plugins?: unknown };
  try {
    config = JSON.parse(readFileSync(file, 'utf8')) as { plugins?: unknown };
  } catch (err) {
    throw new WaybillError('INVALID_ARGUMENT', `config file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (config.plugins === undefined) return [];
  if (!Array.isArray(config.plugins) || config.plugins.some((p) => typeof p !== 'string')) {
    throw new WaybillError('INVALID_ARGUMENT', `config file ${file}: "plugins" must be an array of paths or package names`);
  }
  return config.plugins as string[];
}

/** A folder of plugin folders (rather than one plugin): it has no index file of its own. */
export function isPluginCollection(source: string): boolean {
  if (!existsSync(source) || !statSync(source).isDirectory()) return false;
  return !['index.ts', 'index.mts', 'index.js', 'index.mjs', 'package.json'].some((f) => existsSync(join(source, f)));
}
