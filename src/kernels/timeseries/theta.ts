/**
 * Simple exponential smoothing and the classic Theta method as the M4 competition ran it (TS
 * reference): the series is seasonally adjusted like Naive2 (M4 seasonality test, classical
 * multiplicative decomposition), theta line 0 is the least-squares linear trend, theta line 2 is
 * 2 x series - line 0 extrapolated by SES, the forecast is their equal-weight mean, and the
 * seasonal indices are re-applied.
 *
 * SES is fitted by least squares over (alpha, initial level) — the maximum-likelihood fit of
 * ETS(A,N,N) — with alpha in [1e-4, 0.9999]: for a given alpha the best initial level has a
 * closed form (the one-step errors are linear in it), and alpha is found by a grid then golden-
 * section refinement.
 */
import type { SeriesBatch } from '../../data/m4.js';
import { WaybillError } from '../../errors.js';
import { isSeasonal, isSeasonalThetaf, multiplicativeSeasonalIndices } from './baselines.js';
import { type EtsFit, etsPointForecast } from './ets.js';

export interface SesFit {
  alpha: number;
  level0: number;
  /** Final level: the (flat) forecast. */
  level: number;
  sse: number;
}

function sesForAlpha(y: ArrayLike<number>, alpha: number): SesFit {
  const n = y.length;
  // level_{t-1} = a + b * level0; error_t = y_t - level_{t-1} = c_t - b_t * level0
  let a = 0;
  let b = 1;
  let scc = 0;
  let scb = 0;
  let sbb = 0;
  for (let t = 0; t < n; t++) {
    const yt = y[t] as number;
    const c = yt - a;
    scc += c * c;
    scb += c * b;
    sbb += b * b;
    a = (1 - alpha) * a + alpha * yt;
    b = (1 - alpha) * b;
  }
  const level0 = sbb > 0 ? scb / sbb : (y[0] as number);
  const sse = scc - 2 * level0 * scb + level0 * level0 * sbb;
  return { alpha, level0, level: a + b * level0, sse: Math.max(0, sse) };
}

/** Least-squares SES fit (alpha in [1e-4, 0.9999], optimal initial level). */
export function sesFit(y: ArrayLike<number>): SesFit {
  if (y.length === 0) throw new WaybillError('INVALID_ARGUMENT', 'SES needs at least one value');
  const lo = 1e-4;
  const hi = 0.9999;
  let best = sesForAlpha(y, lo);
  const steps = 50;
  let bi = 0;
  for (let i = 1; i <= steps; i++) {
    const f = sesForAlpha(y, lo + ((hi - lo) * i) / steps);
    if (f.sse < best.sse) {
      best = f;
      bi = i;
    }
  }
  let a = lo + ((hi - lo) * Math.max(0, bi - 1)) / steps;
  let b = lo + ((hi - lo) * Math.min(steps, bi + 1)) / steps;
  const g = (Math.sqrt(5) - 1) / 2;
  let x1 = b - g * (b - a);
  let x2 = a + g * (b - a);
  let f1 = sesForAlpha(y, x1);
  let f2 = sesForAlpha(y, x2);
  for (let it = 0; it < 60 && b - a > 1e-10; it++) {
    if (f1.sse <= f2.sse) {
      b = x2;
      x2 = x1;
      f2 = f1;
      x1 = b - g * (b - a);
      f1 = sesForAlpha(y, x1);
    } else {
      a = x1;
      x1 = x2;
      f1 = f2;
      x2 = a + g * (b - a);
      f2 = sesForAlpha(y, x2);
    }
  }
  for (const f of [f1, f2]) if (f.sse < best.sse) best = f;
  return best;
}

export interface ThetaForecast {
  mean: Float64Array;
  horizon: number;
  seasonal: Uint8Array;
  alpha: Float64Array;
}

/**
 * The M4 pipeline shared by SES and Theta: each series is seasonally adjusted like Naive2, `forecastAdjusted`
 * forecasts the adjusted series (value at step h = 0..horizon-1), and the indices are re-applied.
 */
function adjustedForecast(
  batch: SeriesBatch,
  horizon: number,
  seasonLength: number,
  forecastAdjusted: (x: Float64Array) => { alpha: number; at: (h: number) => number },
  seasonalTest: (x: ArrayLike<number>, m: number) => boolean = isSeasonal,
): ThetaForecast {
  if (!Number.isInteger(horizon) || horizon < 1)
    throw new WaybillError('INVALID_ARGUMENT', `horizon must be an integer >= 1, got ${horizon}`, { field: 'horizon' });
  if (!Number.isInteger(seasonLength) || seasonLength < 1)
    throw new WaybillError('INVALID_ARGUMENT', `seasonLength must be an integer >= 1, got ${seasonLength}`, { field: 'seasonLength' });
  const count = batch.ids.length;
  const m = seasonLength;
  const mean = new Float64Array(count * horizon);
  const seasonal = new Uint8Array(count);
  const alpha = new Float64Array(count);
  for (let s = 0; s < count; s++) {
    const a0 = batch.offsets[s] as number;
    const n = (batch.offsets[s + 1] as number) - a0;
    if (n === 0) throw new WaybillError('INVALID_ARGUMENT', `series ${batch.ids[s]} is empty`, { series: s });
    const raw = batch.values.subarray(a0, a0 + n);
    let si = seasonalTest(raw, m) ? multiplicativeSeasonalIndices(raw, m) : undefined;
    if (si && seasonalTest !== isSeasonal && si.some((v) => Math.abs(v) < 1e-4)) si = undefined; // thetaf's guard
    if (si) seasonal[s] = 1;
    const f = forecastAdjusted(si ? raw.map((v, i) => v / (si[i] as number)) : raw);
    alpha[s] = f.alpha;
    for (let h = 0; h < horizon; h++) mean[s * horizon + h] = si ? f.at(h) * (si[n - m + (h % m)] as number) : f.at(h);
  }
  return { mean, horizon, seasonal, alpha };
}

/** Classic Theta (M4 benchmark) for every series of the batch; `seasonLength` m (1 = none). */
export function thetaForecast(batch: SeriesBatch, horizon: number, seasonLength: number): ThetaForecast {
  return adjustedForecast(batch, horizon, seasonLength, (x) => {
    const n = x.length;
    // Theta line 0: least-squares line on t = 1..n.
    const { intercept, slope } = leastSquaresLine(x);
    // Theta line 2 = 2 x - line 0, extrapolated by SES.
    const line2 = new Float64Array(n);
    for (let t = 0; t < n; t++) line2[t] = 2 * (x[t] as number) - (intercept + slope * (t + 1));
    const ses = sesFit(line2);
    return { alpha: ses.alpha, at: (h) => 0.5 * ses.level + 0.5 * (intercept + slope * (n + h + 1)) };
  });
}

/**
 * Theta as R forecast::thetaf computes it (Hyndman & Billah 2003: SES with drift): seasonal test
 * as thetaf (n > 2m, qnorm(0.95)), classical multiplicative adjustment, SES fitted by least squares
 * (R: ets "ANN" with opt.crit "mse"), forecast = SES level + b/2 (h + (1 - (1 - alpha)^n) / alpha)
 * with b the least-squares slope of the adjusted series; seasonal indices re-applied.
 */
export function thetafForecast(batch: SeriesBatch, horizon: number, seasonLength: number): ThetaForecast {
  return adjustedForecast(
    batch,
    horizon,
    seasonLength,
    (x) => {
      const n = x.length;
      const ses = sesFit(x);
      const { slope } = leastSquaresLine(x);
      const a = Math.max(1e-10, ses.alpha);
      const c = (1 - (1 - a) ** n) / a;
      return { alpha: ses.alpha, at: (h) => ses.level + (slope / 2) * (h + c) };
    },
    isSeasonalThetaf,
  );
}

/** The theta values the optimised Theta searches (1 = SES on the series, 2 = classic Theta). */
export const OTM_THETAS: readonly number[] = Array.from({ length: 17 }, (_, i) => 1 + i / 4);

/**
 * Optimised Theta (after Fiorucci, Pellegrini, Louzada, Petropoulos & Koehler 2016): the forecast
 * is (1 - 1/theta) x the least-squares line + (1/theta) x SES on the theta line
 * theta x + (1 - theta) x line; theta is chosen on a grid (1 to 5 by 0.25) by the in-sample
 * mean squared one-step error of that combination, SES fitted by least squares for each theta.
 * The same seasonal adjustment as the classic method. (The paper optimises theta continuously
 * with the state-space likelihood; this grid is our simplification.)
 */
export function optimizedThetaForecast(batch: SeriesBatch, horizon: number, seasonLength: number): ThetaForecast & { theta: Float64Array } {
  const thetas = new Float64Array(batch.ids.length);
  let k = 0;
  const out = adjustedForecast(batch, horizon, seasonLength, (x) => {
    const n = x.length;
    const { intercept, slope } = leastSquaresLine(x);
    const z = new Float64Array(n);
    let best = { mse: Number.POSITIVE_INFINITY, theta: 2, level: 0, alpha: 0 };
    for (const theta of OTM_THETAS) {
      for (let t = 0; t < n; t++) z[t] = theta * (x[t] as number) + (1 - theta) * (intercept + slope * (t + 1));
      const ses = sesFit(z);
      // One-step fitted values of the combination.
      let l = ses.level0;
      let mse = 0;
      for (let t = 0; t < n; t++) {
        const fitted = (1 - 1 / theta) * (intercept + slope * (t + 1)) + l / theta;
        mse += ((x[t] as number) - fitted) ** 2;
        l += ses.alpha * ((z[t] as number) - l);
      }
      mse /= n;
      if (mse < best.mse) best = { mse, theta, level: ses.level, alpha: ses.alpha };
    }
    thetas[k++] = best.theta;
    const { theta, level, alpha } = best;
    return { alpha, at: (h) => (1 - 1 / theta) * (intercept + slope * (n + h + 1)) + level / theta };
  });
  return { ...out, theta: thetas };
}

function leastSquaresLine(x: ArrayLike<number>): { intercept: number; slope: number } {
  const n = x.length;
  let st = 0;
  let sy = 0;
  let stt = 0;
  let sty = 0;
  for (let t = 0; t < n; t++) {
    const tt = t + 1;
    const v = x[t] as number;
    st += tt;
    sy += v;
    stt += tt * tt;
    sty += tt * v;
  }
  const den = n * stt - st * st;
  const slope = n > 1 && den !== 0 ? (n * sty - st * sy) / den : 0;
  return { intercept: (sy - slope * st) / n, slope };
}

/**
 * SES benchmark as M4 ran it: seasonally adjusted like Naive2, least-squares SES, flat forecast,
 * seasonal indices re-applied.
 */
export function sesForecast(batch: SeriesBatch, horizon: number, seasonLength: number): ThetaForecast {
  return adjustedForecast(batch, horizon, seasonLength, (x) => {
    const ses = sesFit(x);
    return { alpha: ses.alpha, at: () => ses.level };
  });
}

/**
 * The M4 "Comb" benchmark (S-H-D): each series seasonally adjusted like Naive2, then the equal-
 * weight mean of SES, Holt and damped Holt — fitted here as ETS(A,N,N), ETS(A,A,N) and
 * ETS(A,Ad,N) by maximum likelihood — with the seasonal indices re-applied. A member that cannot
 * be fitted (too few values) is left out of the mean; with none the adjusted series' last value is used.
 */
export async function combForecast(
  batch: SeriesBatch,
  horizon: number,
  seasonLength: number,
  fitter: (
    values: Float64Array,
    offsets: Int32Array,
    m: number,
    options: { model: string },
  ) => Array<EtsFit | null> | Promise<Array<EtsFit | null>>,
): Promise<Float64Array> {
  const count = batch.ids.length;
  const m = seasonLength;
  const adjusted = new Float64Array(batch.values.length);
  const indices: Array<Float64Array | undefined> = [];
  for (let s = 0; s < count; s++) {
    const a = batch.offsets[s] as number;
    const raw = batch.values.subarray(a, batch.offsets[s + 1] as number);
    const si = isSeasonal(raw, m) ? multiplicativeSeasonalIndices(raw, m) : undefined;
    indices.push(si);
    for (let i = 0; i < raw.length; i++) adjusted[a + i] = si ? (raw[i] as number) / (si[i] as number) : (raw[i] as number);
  }
  const members = await Promise.all(['ANN', 'AAN', 'AAdN'].map((model) => fitter(adjusted, batch.offsets, 1, { model })));
  const mean = new Float64Array(count * horizon);
  const f = new Float64Array(horizon);
  for (let s = 0; s < count; s++) {
    const row = mean.subarray(s * horizon, (s + 1) * horizon);
    let k = 0;
    for (const fits of members) {
      const fit = fits[s];
      if (!fit) continue;
      etsPointForecast(fit, horizon, f);
      for (let h = 0; h < horizon; h++) row[h] = (row[h] as number) + (f[h] as number);
      k++;
    }
    const a = batch.offsets[s] as number;
    const n = (batch.offsets[s + 1] as number) - a;
    if (k === 0) row.fill(adjusted[a + n - 1] as number);
    else for (let h = 0; h < horizon; h++) row[h] = (row[h] as number) / k;
    const si = indices[s];
    if (si) for (let h = 0; h < horizon; h++) row[h] = (row[h] as number) * (si[n - m + (h % m)] as number);
  }
  return mean;
}
