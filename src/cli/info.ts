import { availableParallelism } from 'node:os';
import { createEngine, type EngineOptions } from '../engine.js';
import { loadAddon } from '../native/addon.js';
import { VERSION } from '../version.js';

export interface InfoReport {
  waybill: string;
  node: string;
  napi: string;
  platform: string;
  cores: number;
  workers: number;
  addon: { loaded: boolean; path?: string; simd?: string; reason?: string };
  backends: ReturnType<ReturnType<typeof createEngine>['backends']>;
}

/** Collects what `waybill info` prints: versions, the addon, every backend with its status or reason, workers. */
export async function collectInfo(options: EngineOptions = {}): Promise<InfoReport> {
  const engine = createEngine(options);
  try {
    const addon = loadAddon();
    return {
      waybill: VERSION,
      node: process.version,
      napi: process.versions.napi ?? 'unknown',
      platform: `${process.platform}-${process.arch}`,
      cores: availableParallelism(),
      workers: engine.pool().workers,
      addon: addon.ok ? { loaded: true, path: addon.path, simd: addon.addon.info().simd } : { loaded: false, reason: addon.reason },
      backends: engine.backends(),
    };
  } finally {
    await engine.close();
  }
}

/** Human-readable form of {@link collectInfo}. */
export function formatInfo(r: InfoReport): string {
  const lines = [
    `waybill ${r.waybill}  node ${r.node}  N-API ${r.napi}  ${r.platform}  ${r.cores} cores  ${r.workers} workers`,
    r.addon.loaded ? `addon: ${r.addon.path} (simd: ${r.addon.simd})` : `addon: not loaded: ${r.addon.reason}`,
    '',
    'backends (highest priority first):',
  ];
  for (const b of r.backends) {
    const state = !b.available ? 'unavailable' : b.autoSelect ? 'available' : 'available, not auto-selected';
    const mode = b.mode ? ` [mode ${b.mode}]` : '';
    lines.push(`  ${b.name.padEnd(6)} ${state}${mode}${b.reason ? `: ${b.reason}` : ''}`);
    if (b.details && Object.keys(b.details).length > 0) {
      const d = Object.entries(b.details)
        .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
        .join(' ');
      lines.push(`         ${d}`);
    }
  }
  return lines.join('\n');
}
