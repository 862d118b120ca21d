/**
 * Seeded synthetic series for the CUDA AutoETS parity test and benchmark: local-level /
 * local-trend series (trend damped in about a third of them) with Gaussian noise, lengths mostly
 * short as in M3 / M4 (60 % of 10..99, 30 % of 100..499, 10 % of 500..maxLen), levels from 0.01 to
 * 10^4 and about 15 % below zero (so not every series takes a multiplicative error). Labelled
 * "synthetic" wherever reported.
 */
import type { SeriesBatch } from '../../src/data/m4.js';
import { mulberry32 } from './random.js';

export function syntheticTrendedSeries(count: number, seed: number, maxLen = 2000): SeriesBatch {
  const rnd = mulberry32(seed);
  const gauss = () => {
    const u = Math.max(rnd(), 1e-300);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
  };
  const chunks: Float64Array[] = [];
  const offsets = new Int32Array(count + 1);
  for (let i = 0; i < count; i++) {
    const r = rnd();
    const n = r < 0.6 ? 10 + Math.floor(rnd() * 90) : r < 0.9 ? 100 + Math.floor(rnd() * 400) : 500 + Math.floor(rnd() * (maxLen - 499));
    const scale = 10 ** (-2 + 6 * rnd());
    let level = (rnd() < 0.85 ? 5 : -1) * scale;
    let slope = (rnd() - 0.4) * 0.05 * scale;
    const noise = (0.02 + 0.3 * rnd()) * scale;
    const damp = rnd() < 0.3 ? 0.97 : 1;
    const y = new Float64Array(n);
    for (let t = 0; t < n; t++) {
      level += slope;
      slope *= damp;
      y[t] = level + noise * gauss();
    }
    chunks.push(y);
    offsets[i + 1] = (offsets[i] as number) + n;
  }
  const values = new Float64Array(offsets[count] as number);
  chunks.forEach((c, i) => {
    values.set(c, offsets[i] as number);
  });
  return { ids: chunks.map((_, i) => `syn${i}`), values, offsets };
}

/**
 * Seeded synthetic seasonal series of season m for the CUDA AutoETS parity test and benchmark:
 * level and trend (damped in about a third) with an additive or a multiplicative season of random
 * shape and Gaussian noise, lengths from 3m (the shortest a seasonal model takes) to 3m + 300,
 * mostly short, levels from 0.01 to 10^4 and about 15 % of the series around a level below zero
 * (additive models only there). Labelled "synthetic" wherever reported.
 */
export function syntheticSeasonalSeries(count: number, m: number, seed: number): SeriesBatch {
  const rnd = mulberry32(seed);
  const gauss = () => {
    const u = Math.max(rnd(), 1e-300);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
  };
  const chunks: Float64Array[] = [];
  const offsets = new Int32Array(count + 1);
  for (let i = 0; i < count; i++) {
    const r = rnd();
    const n = 3 * m + (r < 0.6 ? Math.floor(rnd() * 40) : r < 0.9 ? 40 + Math.floor(rnd() * 120) : 160 + Math.floor(rnd() * 141));
    const scale = 10 ** (-2 + 6 * rnd());
    let level = (rnd() < 0.85 ? 5 : -0.5) * scale;
    let slope = (rnd() - 0.4) * 0.02 * scale;
    const noise = (0.01 + 0.2 * rnd()) * scale;
    const damp = rnd() < 0.3 ? 0.97 : 1;
    const mult = rnd() < 0.5;
    const amp = 0.1 + 0.4 * rnd();
    const shape = Array.from({ length: m }, (_, j) => Math.sin((2 * Math.PI * j) / m) + 0.5 * (rnd() - 0.5));
    const y = new Float64Array(n);
    for (let t = 0; t < n; t++) {
      level += slope;
      slope *= damp;
      const s = shape[t % m] as number;
      y[t] = (mult ? level * (1 + amp * s) : level + amp * scale * s) + noise * gauss();
    }
    chunks.push(y);
    offsets[i + 1] = (offsets[i] as number) + n;
  }
  const values = new Float64Array(offsets[count] as number);
  chunks.forEach((c, i) => {
    values.set(c, offsets[i] as number);
  });
  return { ids: chunks.map((_, i) => `seas${m}_${i}`), values, offsets };
}
