/**
 * Exponential smoothing state-space models, ETS(error, trend, season), and AutoETS (TS
 * reference). Error A or M, trend N, A or Ad (damped), season N, A or M, as in Hyndman, Koehler,
 * Ord & Snyder (2008), "Forecasting with exponential smoothing"; the recursions are written in
 * the observation form, so the point forecasts do not depend on the error type and only the
 * likelihood does:
 *
 *   q = l + phi b,  f = q (+ or x) s[t-m],  d = y (- or /) s[t-m] - q
 *   l' = q + alpha d,  b' = phi b + beta d,  s' = s[t-m] + gamma (y (- or /) q - s[t-m])
 *
 * Fit: maximum likelihood with the "usual" bounds (1e-4 <= alpha <= 0.9999, 1e-4 <= beta <= alpha,
 * 1e-4 <= gamma <= 1 - alpha, 0.8 <= phi <= 0.98) plus the admissibility test of the
 * characteristic polynomial for seasonal models. The criterion is R forecast::ets's:
 * n log(sum e^2) (+ 2 sum log|f| for multiplicative errors), with e the additive or relative
 * one-step error. The parameters live in an unbounded space (a rational squashing map, no
 * transcendental functions, so the C++ port gives the same numbers) and are searched by
 * Nelder-Mead over the smoothing parameters and the initial level/trend, stopped when the
 * criterion varies by at most 5e-6 per observation across the simplex (EtsFitOptions.tolerance);
 * the initial seasonal states start from a classical decomposition of the first three years (as
 * R does) and are then re-estimated by least squares given the smoothing parameters (exact for an
 * additive season, whose one-step errors are linear in the initial states; for a multiplicative
 * one the additive solution as factors 1 + s / l0), kept with a second search only if the
 * criterion improves.
 *
 * AutoETS fits every admissible model (additive error with multiplicative season is excluded,
 * as are multiplicative models for data <= 0, seasonal models when m = 1, m > maxSeason or
 * n < 3m, and models with n <= parameters + 4) and keeps the lowest AICc.
 *
 * The series is divided by its mean absolute level before fitting (the likelihood shifts by the
 * same constant for every model, added back in the reported log-likelihood), so the search
 * works at unit scale whatever the data's units.
 */
import { WaybillError } from '../../errors.js';
import type { NativeAddon } from '../../native/addon.js';

export type EtsError = 'A' | 'M';
export type EtsTrend = 'N' | 'A' | 'Ad';
export type EtsSeason = 'N' | 'A' | 'M';
export interface EtsSpec {
  error: EtsError;
  trend: EtsTrend;
  season: EtsSeason;
}

export interface EtsFit {
  spec: EtsSpec;
  m: number;
  n: number;
  alpha: number;
  /** 0 when the model has no trend. */
  beta: number;
  /** 0 when the model has no season. */
  gamma: number;
  /** 1 unless the trend is damped. */
  phi: number;
  /** States after the last observation, in the data's units: level, trend, and the m seasonal states by cycle position (t mod m). */
  level: number;
  trend: number;
  season: Float64Array;
  /** Mean squared one-step error (relative errors for error M) over n - np, as R reports sigma^2. */
  sigma2: number;
  loglik: number;
  aic: number;
  aicc: number;
  bic: number;
  /** Estimated parameters + 1 (sigma), as in R. */
  np: number;
  /**
   * AutoETS with `combine: 'weights'`: every fitted candidate with its Akaike weight (this fit,
   * the lowest AICc, first). Point forecasts and intervals then come from the weighted members;
   * absent when one model is used alone.
   */
  ensemble?: EtsEnsembleMember[];
}

/** One model of an Akaike-weighted AutoETS combination. */
export interface EtsEnsembleMember {
  fit: EtsFit;
  /** exp(-AICc difference / 2), normalised over the members (sum 1). */
  weight: number;
}

/**
 * How AutoETS turns the fitted candidates into a forecast: 'select' keeps the lowest AICc (as R's
 * ets); 'weights' combines every candidate with its Akaike weight exp(-ΔAICc / 2) (Burnham &
 * Anderson 2002; Kolassa 2011, "Combining exponential smoothing forecasts using Akaike weights",
 * IJF 27(2)), which forecasts better on every M3 / M4 dev set (bench/RESULTS.md).
 */
export type EtsCombine = 'select' | 'weights';
export const ETS_COMBINE_DEFAULT: EtsCombine = 'weights';
/** Members whose Akaike weight is below this share are left out of a combination (the rest renormalised). */
export const ETS_MIN_WEIGHT = 1e-3;

export const ETS_LOWER = 1e-4;
export const ETS_UPPER = 0.9999;
export const PHI_LOWER = 0.8;
export const PHI_UPPER = 0.98;
/** Largest maxSeason option (the native binding's 32-bit limit). */
export const MAX_SEASON_LIMIT = 2 ** 31 - 1;

/** Default Nelder-Mead stop: criterion spread per observation (see EtsFitOptions.tolerance). */
export const ETS_TOLERANCE = 5e-6;

export function etsName(s: EtsSpec): string {
  return `ETS(${s.error},${s.trend},${s.season})`;
}

/** Parses an R-style model code: error A/M/Z, trend N/A/Ad/Z, season N/A/M/Z (e.g. "ZZZ", "AAdN", "MNM"). */
export function parseEtsCode(code: string): { error: string[]; trend: string[]; season: string[] } {
  const m = /^([AMZ])(N|Ad|A|Z)([NAMZ])$/.exec(code);
  if (!m)
    throw new WaybillError(
      'INVALID_ARGUMENT',
      `ETS model code "${code}": use error A/M/Z, trend N/A/Ad/Z, season N/A/M/Z, e.g. ZZZ or AAdN`,
      {
        field: 'etsModel',
      },
    );
  const [, e, t, s] = m as unknown as [string, string, string, string];
  return {
    error: e === 'Z' ? ['A', 'M'] : [e],
    trend: t === 'Z' ? ['N', 'A', 'Ad'] : [t],
    season: s === 'Z' ? ['N', 'A', 'M'] : [s],
  };
}

// ---------------------------------------------------------------------------------------------
// Parameter maps (no transcendental functions: the C++ port reproduces them bit for bit).

/** (-inf, inf) -> (0, 1). */
export function squash(u: number): number {
  return 0.5 + (0.5 * u) / (1 + Math.abs(u));
}
/** Inverse of squash on (0, 1). */
export function unsquash(p: number): number {
  const v = 2 * p - 1;
  return v / (1 - Math.abs(v));
}

interface Smoothing {
  alpha: number;
  beta: number;
  gamma: number;
  phi: number;
}

function decode(spec: EtsSpec, u: ArrayLike<number>): Smoothing {
  let k = 0;
  const alpha = ETS_LOWER + (ETS_UPPER - ETS_LOWER) * squash(u[k++] as number);
  const beta = spec.trend === 'N' ? 0 : ETS_LOWER + (alpha - ETS_LOWER) * squash(u[k++] as number);
  const gamma = spec.season === 'N' ? 0 : ETS_LOWER + (1 - alpha - ETS_LOWER) * squash(u[k++] as number);
  const phi = spec.trend === 'Ad' ? PHI_LOWER + (PHI_UPPER - PHI_LOWER) * squash(u[k++] as number) : 1;
  return { alpha, beta, gamma, phi };
}

/** Number of smoothing parameters of a model. */
function smoothingCount(spec: EtsSpec): number {
  return 1 + (spec.trend === 'N' ? 0 : 1) + (spec.season === 'N' ? 0 : 1) + (spec.trend === 'Ad' ? 1 : 0);
}

// ---------------------------------------------------------------------------------------------
// Admissibility of seasonal models (Hyndman et al. 2008, ch. 10): the roots of the
// characteristic polynomial must lie in the unit disc (tolerance as R: |root| <= 1 + 1e-10,
// which for models without trend always holds for their unit root at z = 1, deflated here).

/** True when every root of c0 + c1 z + ... + cN z^N (cN != 0) is strictly inside the unit circle (Schur-Cohn). */
export function rootsInsideUnitCircle(coef: ArrayLike<number>): boolean {
  let a = Array.from(coef);
  while (a.length > 1) {
    const k = a.length - 1;
    const a0 = a[0] as number;
    const ak = a[k] as number;
    if (Math.abs(a0) >= Math.abs(ak)) return false;
    const next = new Array<number>(k);
    for (let j = 0; j < k; j++) next[j] = ak * (a[j + 1] as number) - a0 * (a[k - j - 1] as number);
    // Rescale by the leading coefficient (> 0): the coefficients would otherwise underflow.
    const lead = next[k - 1] as number;
    for (let j = 0; j < k; j++) next[j] = (next[j] as number) / lead;
    a = next;
  }
  return true;
}

export function admissible(s: Smoothing, m: number, hasTrend: boolean): boolean {
  const { alpha, gamma, phi } = s;
  const beta = hasTrend ? s.beta : 0;
  if (gamma < Math.max(1 - 1 / phi - alpha, 0) || gamma > 1 + 1 / phi - alpha) return false;
  if (alpha < 1 - 1 / phi - (gamma * (1 - m + phi + phi * m)) / (2 * phi * m)) return false;
  if (beta < -(1 - phi) * (gamma / m + alpha)) return false;
  // P(z) = phi(1-alpha-gamma) + (alpha+beta-alpha phi+gamma-1) z + sum_{j=2}^{m-1} (alpha+beta-alpha phi) z^j + (alpha+beta-phi) z^m + z^{m+1}
  const p = new Array<number>(m + 2);
  p[0] = phi * (1 - alpha - gamma);
  p[1] = alpha + beta - alpha * phi + gamma - 1;
  for (let j = 2; j < m; j++) p[j] = alpha + beta - alpha * phi;
  p[m] = alpha + beta - phi;
  p[m + 1] = 1;
  if (!hasTrend) {
    // Deflate the unit root: P(z) = (z - 1) Q(z).
    const q = new Array<number>(m + 1);
    q[m] = 1;
    for (let j = m; j >= 1; j--) q[j - 1] = (p[j] as number) + (q[j] as number);
    return rootsInsideUnitCircle(q);
  }
  return rootsInsideUnitCircle(p);
}

// ---------------------------------------------------------------------------------------------
// The recursion and the likelihood.

const TWO500 = 2 ** 500;
const TWO_500 = 2 ** -500;

export interface EtsState {
  level: number;
  trend: number;
  /** m seasonal states by cycle position. */
  season: Float64Array;
}

/**
 * Runs the model over y from the initial states (season is copied) and returns R's criterion
 * (Infinity for an invalid path). When `end` is given it receives the states after the last
 * observation and the sum of squared errors.
 */
export function etsCriterion(
  y: ArrayLike<number>,
  m: number,
  spec: EtsSpec,
  p: Smoothing,
  l0: number,
  b0: number,
  s0: ArrayLike<number>,
  work: Float64Array,
  end?: { state: EtsState; sse: number },
): number {
  const n = y.length;
  const { alpha, beta, gamma, phi } = p;
  const hasTrend = spec.trend !== 'N';
  const seasonType = spec.season;
  const multErr = spec.error === 'M';
  const mm = seasonType === 'N' ? 1 : m;
  for (let j = 0; j < mm; j++) work[j] = seasonType === 'N' ? 0 : (s0[j] as number);
  // The one-step forecast q = l + phi b is carried instead of the level: q' = (1 - alpha - phi beta) q
  // + phi^2 b + (alpha + phi beta) ya (ya = y, y - s or y / s), the same recursion with a shorter
  // chain of dependent operations per step (the C++ core does the same operations in the same order).
  let b = hasTrend ? b0 : 0;
  let q = hasTrend ? l0 + phi * b : l0;
  let l = l0;
  let sse = 0;
  let prod = 1;
  let exp2 = 0;
  let pos = 0;
  const aq = hasTrend ? 1 - alpha - phi * beta : 1 - alpha;
  const ab = phi * phi;
  const ay = hasTrend ? alpha + phi * beta : alpha;
  for (let t = 0; t < n; t++) {
    const yt = y[t] as number;
    const s = work[pos] as number;
    let f: number;
    let ya: number;
    let tt = 0;
    if (seasonType === 'N') {
      f = q;
      ya = yt;
    } else if (seasonType === 'A') {
      f = q + s;
      ya = yt - s;
      tt = yt - q;
    } else {
      if (Math.abs(s) < 1e-10 || Math.abs(q) < 1e-10) return Number.POSITIVE_INFINITY;
      f = q * s;
      ya = yt / s;
      tt = yt / q;
    }
    const d = ya - q;
    if (!Number.isFinite(f)) return Number.POSITIVE_INFINITY;
    let e: number;
    if (multErr) {
      if (Math.abs(f) < 1e-10) return Number.POSITIVE_INFINITY;
      e = (yt - f) / f;
      prod *= Math.abs(f);
      if (prod > TWO500) {
        prod *= TWO_500;
        exp2 += 500;
      } else if (prod < TWO_500) {
        prod *= TWO500;
        exp2 -= 500;
      }
    } else {
      e = yt - f;
    }
    sse += e * e;
    l = q + alpha * d;
    if (seasonType !== 'N') work[pos] = s + gamma * (tt - s);
    pos = pos + 1 === mm ? 0 : pos + 1;
    if (hasTrend) {
      const bn = phi * b + beta * d;
      q = aq * q + ab * b + ay * ya;
      b = bn;
    } else {
      q = aq * q + ay * ya;
    }
  }
  if (!Number.isFinite(sse)) return Number.POSITIVE_INFINITY;
  if (end) {
    end.sse = sse;
    end.state.level = l;
    end.state.trend = b;
    // Seasonal states by absolute cycle position: work[j] is position j.
    for (let j = 0; j < mm; j++) end.state.season[j] = work[j] as number;
  }
  const lik = n * Math.log(Math.max(sse, 1e-300));
  return multErr ? lik + 2 * (Math.log(prod) + exp2 * Math.LN2) : lik;
}

// ---------------------------------------------------------------------------------------------
// Nelder-Mead (reflection 1, expansion 2, contraction 1/2, shrink 1/2), deterministic.

export interface NelderMeadResult {
  x: Float64Array;
  f: number;
  evals: number;
}

export function nelderMead(
  fn: (x: Float64Array) => number,
  x0: ArrayLike<number>,
  step: ArrayLike<number>,
  maxIter: number,
  tol: number,
): NelderMeadResult {
  const d = x0.length;
  const pts: Float64Array[] = [];
  const fv = new Float64Array(d + 1);
  let evals = 0;
  const ev = (x: Float64Array) => {
    evals++;
    const v = fn(x);
    return Number.isNaN(v) ? Number.POSITIVE_INFINITY : v;
  };
  for (let i = 0; i <= d; i++) {
    const x = Float64Array.from(x0);
    if (i > 0) x[i - 1] = (x[i - 1] as number) + (step[i - 1] as number);
    pts.push(x);
    fv[i] = ev(x);
  }
  const order = Array.from({ length: d + 1 }, (_, i) => i);
  const c = new Float64Array(d);
  const xr = new Float64Array(d);
  const xe = new Float64Array(d);
  const xc = new Float64Array(d);
  for (let it = 0; it < maxIter; it++) {
    // Insertion sort by value, ties by index (stable and identical in the C++ port).
    for (let i = 1; i <= d; i++) {
      const k = order[i] as number;
      let j = i - 1;
      while (
        j >= 0 &&
        ((fv[order[j] as number] as number) > (fv[k] as number) ||
          ((fv[order[j] as number] as number) === (fv[k] as number) && (order[j] as number) > k))
      ) {
        order[j + 1] = order[j] as number;
        j--;
      }
      order[j + 1] = k;
    }
    const best = order[0] as number;
    const worst = order[d] as number;
    const second = order[d - 1] as number;
    const fb = fv[best] as number;
    const fw = fv[worst] as number;
    if (Number.isFinite(fw) && fw - fb <= tol) break;
    c.fill(0);
    for (let i = 0; i <= d; i++) {
      if (i === worst) continue;
      const x = pts[i] as Float64Array;
      for (let k = 0; k < d; k++) c[k] = (c[k] as number) + (x[k] as number);
    }
    for (let k = 0; k < d; k++) c[k] = (c[k] as number) / d;
    const xw = pts[worst] as Float64Array;
    for (let k = 0; k < d; k++) xr[k] = (c[k] as number) + ((c[k] as number) - (xw[k] as number));
    const fr = ev(xr);
    if (fr < fb) {
      for (let k = 0; k < d; k++) xe[k] = (c[k] as number) + 2 * ((c[k] as number) - (xw[k] as number));
      const fe = ev(xe);
      if (fe < fr) {
        xw.set(xe);
        fv[worst] = fe;
      } else {
        xw.set(xr);
        fv[worst] = fr;
      }
      continue;
    }
    if (fr < (fv[second] as number)) {
      xw.set(xr);
      fv[worst] = fr;
      continue;
    }
    const outside = fr < fw;
    for (let k = 0; k < d; k++)
      xc[k] = outside
        ? (c[k] as number) + 0.5 * ((xr[k] as number) - (c[k] as number))
        : (c[k] as number) + 0.5 * ((xw[k] as number) - (c[k] as number));
    const fc = ev(xc);
    if (fc < (outside ? fr : fw)) {
      xw.set(xc);
      fv[worst] = fc;
      continue;
    }
    const xb = pts[best] as Float64Array;
    for (let i = 0; i <= d; i++) {
      if (i === best) continue;
      const x = pts[i] as Float64Array;
      for (let k = 0; k < d; k++) x[k] = (xb[k] as number) + 0.5 * ((x[k] as number) - (xb[k] as number));
      fv[i] = ev(x);
    }
  }
  let bi = 0;
  for (let i = 1; i <= d; i++) if ((fv[i] as number) < (fv[bi] as number)) bi = i;
  return { x: Float64Array.from(pts[bi] as Float64Array), f: fv[bi] as number, evals };
}

// ---------------------------------------------------------------------------------------------
// Initial states (R's heuristic): classical decomposition of the first 3m values for the season,
// then the mean (no trend) or a least-squares line over the first max(10, 2m) adjusted values.

function seasonalFigure(y: ArrayLike<number>, m: number, multiplicative: boolean): Float64Array {
  const n = 3 * m;
  const even = m % 2 === 0;
  const half = even ? m / 2 : (m - 1) / 2;
  const sum = new Float64Array(m);
  const cnt = new Float64Array(m);
  for (let i = half; i + half < n; i++) {
    let t = 0;
    if (even) {
      t += 0.5 * (y[i - half] as number) + 0.5 * (y[i + half] as number);
      for (let k = -half + 1; k <= half - 1; k++) t += y[i + k] as number;
    } else {
      for (let k = -half; k <= half; k++) t += y[i + k] as number;
    }
    t /= m;
    const p = i % m;
    sum[p] = (sum[p] as number) + (multiplicative ? (y[i] as number) / t : (y[i] as number) - t);
    cnt[p] = (cnt[p] as number) + 1;
  }
  const fig = new Float64Array(m);
  let mean = 0;
  for (let p = 0; p < m; p++) {
    fig[p] = (sum[p] as number) / (cnt[p] as number);
    mean += fig[p] as number;
  }
  mean /= m;
  for (let p = 0; p < m; p++) fig[p] = multiplicative ? (fig[p] as number) / mean : (fig[p] as number) - mean;
  if (multiplicative) for (let p = 0; p < m; p++) fig[p] = Math.max(fig[p] as number, 1e-2);
  return fig;
}

export function etsInitialState(y: ArrayLike<number>, m: number, spec: EtsSpec): { l0: number; b0: number; season: Float64Array } {
  const seasonal = spec.season !== 'N';
  const season = new Float64Array(seasonal ? m : 1);
  let len = y.length;
  let sa: (i: number) => number = (i) => y[i] as number;
  if (seasonal) {
    const fig = seasonalFigure(y, m, spec.season === 'M');
    season.set(fig);
    len = Math.min(len, 3 * m);
    sa = spec.season === 'M' ? (i) => (y[i] as number) / (fig[i % m] as number) : (i) => (y[i] as number) - (fig[i % m] as number);
  }
  const maxn = Math.min(Math.max(10, 2 * (seasonal ? m : 1)), len);
  if (spec.trend === 'N') {
    let s = 0;
    for (let i = 0; i < maxn; i++) s += sa(i);
    return { l0: s / maxn, b0: 0, season };
  }
  // Least-squares line on t = 1..maxn; intercept = level at t = 0.
  let st = 0;
  let sy = 0;
  let stt = 0;
  let sty = 0;
  for (let i = 0; i < maxn; i++) {
    const t = i + 1;
    const v = sa(i);
    st += t;
    sy += v;
    stt += t * t;
    sty += t * v;
  }
  const den = maxn * stt - st * st;
  const b0 = den !== 0 ? (maxn * sty - st * sy) / den : 0;
  let l0 = (sy - b0 * st) / maxn;
  let b = b0;
  if (Math.abs(l0 + b) < 1e-8) {
    l0 *= 1 + 1e-3;
    b *= 1 + 1e-3;
  }
  return { l0, b0: b, season };
}

// ---------------------------------------------------------------------------------------------
// Exact least squares for the initial states of an additive-season (linear) recursion given the
// smoothing parameters: e_t = c_t - d_t' x0 with x0 = (l0, [b0], s_1 .. s_{m-1}), s_0 = -sum.

function seasonStatesLeastSquares(
  y: ArrayLike<number>,
  m: number,
  spec: EtsSpec,
  p: Smoothing,
): { l0: number; b0: number; season: Float64Array } | null {
  const n = y.length;
  const hasTrend = spec.trend !== 'N';
  const k0 = 1 + (hasTrend ? 1 : 0) + (m - 1); // free initial states
  const bi = 1; // row of b in G (when hasTrend)
  const s0r = hasTrend ? 2 : 1; // first seasonal row in G
  // G: rows l, [b], s_0..s_{m-1}; columns the free states. Row-major (rows x k0).
  const rows = s0r + m;
  const G = new Float64Array(rows * k0);
  G[0] = 1; // l <- l0
  if (hasTrend) G[bi * k0 + 1] = 1;
  const c0 = hasTrend ? 2 : 1; // first seasonal column
  for (let j = 1; j < m; j++) {
    G[(s0r + j) * k0 + c0 + j - 1] = 1;
    G[s0r * k0 + c0 + j - 1] = -1; // s_0 = -sum of the others
  }
  const A = new Float64Array(k0 * k0);
  const rhs = new Float64Array(k0);
  const dv = new Float64Array(k0);
  // Affine part: the recursion from zero states.
  let l = 0;
  let b = 0;
  const S = new Float64Array(m);
  let pos = 0;
  const { alpha, beta, gamma, phi } = p;
  for (let t = 0; t < n; t++) {
    const yt = y[t] as number;
    // c_t: error of the zero-state run; d_t = w' G (w picks l, phi b, s_pos).
    const q = l + phi * b;
    const ct = yt - q - (S[pos] as number);
    const sr = (s0r + pos) * k0;
    for (let k = 0; k < k0; k++) dv[k] = (G[k] as number) + (hasTrend ? phi * (G[bi * k0 + k] as number) : 0) + (G[sr + k] as number);
    for (let i = 0; i < k0; i++) {
      const di = dv[i] as number;
      if (di === 0) continue;
      rhs[i] = (rhs[i] as number) + di * ct;
      const row = i * k0;
      for (let j = i; j < k0; j++) A[row + j] = (A[row + j] as number) + di * (dv[j] as number);
    }
    // States: x' = A x + g e, so G' = A G - g d' and the affine part updates with e = c_t.
    for (let k = 0; k < k0; k++) {
      const gl = G[k] as number;
      const gb = hasTrend ? (G[bi * k0 + k] as number) : 0;
      const dk = dv[k] as number;
      G[k] = gl + phi * gb - alpha * dk;
      if (hasTrend) G[bi * k0 + k] = phi * gb - beta * dk;
      G[sr + k] = (G[sr + k] as number) - gamma * dk;
    }
    const phib = phi * b;
    l = l + phib + alpha * ct;
    if (hasTrend) b = phib + beta * ct;
    S[pos] = (S[pos] as number) + gamma * ct;
    pos = pos + 1 === m ? 0 : pos + 1;
  }
  // e = c - d'x0  =>  minimise sum (c - d'x)^2: (sum d d') x = sum d c. Cholesky on the upper triangle.
  for (let i = 0; i < k0; i++) for (let j = 0; j < i; j++) A[i * k0 + j] = A[j * k0 + i] as number;
  const L = new Float64Array(k0 * k0);
  for (let i = 0; i < k0; i++) {
    for (let j = 0; j <= i; j++) {
      let s = A[i * k0 + j] as number;
      for (let k = 0; k < j; k++) s -= (L[i * k0 + k] as number) * (L[j * k0 + k] as number);
      if (i === j) {
        if (!(s > 1e-12 * ((A[i * k0 + i] as number) + 1e-300))) return null;
        L[i * k0 + i] = Math.sqrt(s);
      } else {
        L[i * k0 + j] = s / (L[j * k0 + j] as number);
      }
    }
  }
  const z = new Float64Array(k0);
  for (let i = 0; i < k0; i++) {
    let s = rhs[i] as number;
    for (let k = 0; k < i; k++) s -= (L[i * k0 + k] as number) * (z[k] as number);
    z[i] = s / (L[i * k0 + i] as number);
  }
  const x = new Float64Array(k0);
  for (let i = k0 - 1; i >= 0; i--) {
    let s = z[i] as number;
    for (let k = i + 1; k < k0; k++) s -= (L[k * k0 + i] as number) * (x[k] as number);
    x[i] = s / (L[i * k0 + i] as number);
  }
  const season = new Float64Array(m);
  let sum = 0;
  for (let j = 1; j < m; j++) {
    season[j] = x[c0 + j - 1] as number;
    sum += season[j] as number;
  }
  season[0] = -sum;
  if (!x.every((v) => Number.isFinite(v))) return null;
  return { l0: x[0] as number, b0: hasTrend ? (x[1] as number) : 0, season };
}

// ---------------------------------------------------------------------------------------------
// Fitting one model.

export interface EtsFitOptions {
  /** Nelder-Mead iterations per search (default 800). */
  maxIter?: number;
  /** Relative tolerance of the search (default 1e-8). */
  /**
   * Convergence: the search stops when the criterion (-2 log-likelihood) differs by at most
   * tolerance x n across the simplex (default 5e-6 per observation). A loose stop acts as
   * shrinkage towards R's conventional starting values; 1e-9 gives fully converged fits, which
   * forecast worse on the M3/M4 dev data (bench/RESULTS.md).
   */
  tolerance?: number;
}

/** Number of free parameters as R counts them (smoothing + initial states), without sigma. */
export function etsParamCount(spec: EtsSpec, m: number): number {
  return smoothingCount(spec) + 1 + (spec.trend === 'N' ? 0 : 1) + (spec.season === 'N' ? 0 : m - 1);
}

/** Mean absolute value of the first values: the unit the search works in. */
function fitScale(y: ArrayLike<number>, m: number): number {
  const k = Math.min(y.length, Math.max(10, 2 * m));
  let s = 0;
  for (let i = 0; i < k; i++) s += Math.abs(y[i] as number);
  s /= k;
  if (!(s > 0)) {
    for (let i = 0; i < y.length; i++) s = Math.max(s, Math.abs(y[i] as number));
  }
  return s > 0 ? s : 1;
}

/**
 * Fits one ETS model by maximum likelihood. Returns null when the model cannot be fitted to this
 * series (too short, non-positive data for a multiplicative part, no admissible start).
 */
export function fitEts(y: ArrayLike<number>, m: number, spec: EtsSpec, options: EtsFitOptions = {}): EtsFit | null {
  const n = y.length;
  const seasonal = spec.season !== 'N';
  const mm = seasonal ? m : 1;
  if (seasonal && (m < 2 || n < 3 * m)) return null;
  if (spec.error === 'A' && spec.season === 'M') return null;
  const npar = etsParamCount(spec, mm);
  if (n <= npar + 4) return null;
  if (spec.error === 'M' || spec.season === 'M') for (let i = 0; i < n; i++) if (!((y[i] as number) > 0)) return null;
  const maxIter = options.maxIter ?? 800;
  const tol = (options.tolerance ?? ETS_TOLERANCE) * n;
  const scale = fitScale(y, mm);
  const ys = new Float64Array(n);
  for (let i = 0; i < n; i++) ys[i] = (y[i] as number) / scale;
  const init = etsInitialState(ys, mm, spec);
  let season = init.season;
  const ns = smoothingCount(spec);
  const hasTrend = spec.trend !== 'N';
  const work = new Float64Array(mm);
  // Start values (R's initparam), clamped away from the ends of the squashing map.
  const clampRel = (r: number) => Math.min(0.98, Math.max(0.02, r));
  const alpha0 = ETS_LOWER + (0.2 * (ETS_UPPER - ETS_LOWER)) / mm;
  const u0: number[] = [unsquash(clampRel((alpha0 - ETS_LOWER) / (ETS_UPPER - ETS_LOWER)))];
  if (hasTrend) u0.push(unsquash(0.1));
  if (seasonal) u0.push(unsquash(0.05));
  if (spec.trend === 'Ad') u0.push(unsquash(0.9));
  u0.push(init.l0);
  if (hasTrend) u0.push(init.b0);
  const step: number[] = [];
  for (let i = 0; i < ns; i++) step.push(0.5);
  step.push(0.1 * Math.max(Math.abs(init.l0), 0.1));
  if (hasTrend) step.push(0.01 * Math.max(Math.abs(init.l0), 0.1));
  const crit = (x: Float64Array, s: Float64Array) => {
    const p = decode(spec, x);
    if (seasonal && !admissible(p, mm, hasTrend)) return Number.POSITIVE_INFINITY;
    return etsCriterion(ys, mm, spec, p, x[ns] as number, hasTrend ? (x[ns + 1] as number) : 0, s, work);
  };
  let best = nelderMead((x) => crit(x, season), u0, step, maxIter, tol);
  if (seasonal) {
    // Re-estimate every initial state by least squares given the smoothing parameters (exact for an
    // additive season; for a multiplicative one the additive solution gives factors 1 + s / l0),
    // then search again; kept only if the criterion improves.
    const ls = seasonStatesLeastSquares(ys, mm, spec, decode(spec, best.x));
    if (ls && spec.season === 'M') for (let j = 0; j < mm; j++) ls.season[j] = Math.max(1e-2, 1 + (ls.season[j] as number) / ls.l0);
    if (ls) {
      const x1 = Float64Array.from(best.x);
      x1[ns] = ls.l0;
      if (hasTrend) x1[ns + 1] = ls.b0;
      const f1 = crit(x1, ls.season);
      if (f1 < best.f) {
        season = ls.season;
        const again = nelderMead((x) => crit(x, season), x1, step, maxIter, tol);
        best = again.f <= f1 ? again : { x: x1, f: f1, evals: 0 };
      }
    }
  }
  if (!Number.isFinite(best.f)) return null;
  const p = decode(spec, best.x);
  const end = { state: { level: 0, trend: 0, season: new Float64Array(mm) }, sse: 0 };
  const lik = etsCriterion(ys, mm, spec, p, best.x[ns] as number, hasTrend ? (best.x[ns + 1] as number) : 0, season, work, end);
  const np = npar + 1;
  const likFull = lik + 2 * n * Math.log(scale);
  const aic = likFull + 2 * np;
  const aicc = n - np - 1 > 0 ? aic + (2 * np * (np + 1)) / (n - np - 1) : Number.POSITIVE_INFINITY;
  const bic = likFull + Math.log(n) * np;
  const errScale = spec.error === 'A' ? scale * scale : 1;
  const seasonOut = new Float64Array(mm);
  for (let j = 0; j < mm; j++)
    seasonOut[j] = spec.season === 'A' ? (end.state.season[j] as number) * scale : (end.state.season[j] as number);
  return {
    spec,
    m: mm,
    n,
    alpha: p.alpha,
    beta: p.beta,
    gamma: p.gamma,
    phi: p.phi,
    level: end.state.level * scale,
    trend: end.state.trend * scale,
    season: seasonOut,
    sigma2: (end.sse * errScale) / Math.max(1, n - np),
    loglik: -0.5 * likFull,
    aic,
    aicc,
    bic,
    np,
  };
}

export interface AutoEtsOptions extends EtsFitOptions {
  /** R-style model code (default "ZZZ": every admissible model). */
  model?: string;
  /** Selection or Akaike-weighted combination of the candidates (default 'weights'). */
  combine?: EtsCombine;
  /** Seasonal models only when m <= maxSeason (default 24, as R's ets). */
  maxSeason?: number;
}

/** All models AutoETS considers for this series, in a fixed order. */
export function etsCandidates(y: ArrayLike<number>, m: number, options: AutoEtsOptions = {}): EtsSpec[] {
  const code = parseEtsCode(options.model ?? 'ZZZ');
  const maxSeason = options.maxSeason ?? 24;
  let positive = true;
  for (let i = 0; i < y.length; i++) if (!((y[i] as number) > 0)) positive = false;
  const seasonOk = m > 1 && m <= maxSeason && y.length >= 3 * m;
  const out: EtsSpec[] = [];
  for (const error of code.error as EtsError[])
    for (const trend of code.trend as EtsTrend[])
      for (const season of code.season as EtsSeason[]) {
        if (season !== 'N' && !seasonOk) continue;
        if (!positive && (error === 'M' || season === 'M')) continue;
        if (error === 'A' && season === 'M') continue;
        out.push({ error, trend, season });
      }
  return out;
}

/**
 * AutoETS: every candidate model fitted; the lowest AICc kept, carrying the Akaike-weighted
 * combination of all candidates unless `combine` is 'select' (null when none can be fitted).
 */
export function autoEts(y: ArrayLike<number>, m: number, options: AutoEtsOptions = {}): EtsFit | null {
  const fits: EtsFit[] = [];
  for (const spec of etsCandidates(y, m, options)) {
    const f = fitEts(y, m, spec, options);
    if (f) fits.push(f);
  }
  return combineEtsFits(fits, options.combine ?? ETS_COMBINE_DEFAULT);
}

/**
 * The AutoETS answer from fitted candidates: the lowest AICc (first in the list on ties) and, for
 * 'weights' with two or more members above ETS_MIN_WEIGHT, its `ensemble`.
 */
export function combineEtsFits(fits: ReadonlyArray<EtsFit | null>, combine: EtsCombine): EtsFit | null {
  let best: EtsFit | null = null;
  for (const f of fits) if (f && Number.isFinite(f.aicc) && (!best || f.aicc < best.aicc)) best = f;
  if (!best || combine === 'select') return best;
  const members: EtsEnsembleMember[] = [];
  let total = 0;
  for (const f of fits) {
    if (!f || !Number.isFinite(f.aicc)) continue;
    const w = Math.exp(-0.5 * (f.aicc - best.aicc));
    members.push({ fit: f, weight: w });
    total += w;
  }
  const kept = members.filter((e) => e.weight / total >= ETS_MIN_WEIGHT);
  if (kept.length < 2) return best;
  let sum = 0;
  for (const e of kept) sum += e.weight;
  kept.sort((a, b) => b.weight - a.weight);
  // The best model first, without its own ensemble (members are plain fits).
  const ensemble = kept.map((e) => ({ fit: e.fit, weight: e.weight / sum }));
  return { ...best, ensemble };
}

/** The candidates of a combination and their weights, as text: "AICc-weighted ETS(M,A,N) 0.620, ETS(M,Ad,N) 0.380". */
export function etsEnsembleName(fit: EtsFit): string {
  if (!fit.ensemble) return etsName(fit.spec);
  return `AICc-weighted ${fit.ensemble.map((e) => `${etsName(e.fit.spec)} ${e.weight.toFixed(3)}`).join(', ')}`;
}

// ---------------------------------------------------------------------------------------------
// Forecasts and prediction intervals.

/** Point forecasts h = 1..horizon from the final states (the model's forecast function). */
export function etsPointForecast(fit: EtsFit, horizon: number, out = new Float64Array(horizon)): Float64Array {
  if (fit.ensemble) {
    // The weighted mean of the members' forecasts.
    const one = new Float64Array(horizon);
    out.fill(0, 0, horizon);
    for (const { fit: f, weight } of fit.ensemble) {
      singleModelForecast(f, horizon, one);
      for (let h = 0; h < horizon; h++) out[h] = (out[h] as number) + weight * (one[h] as number);
    }
    return out;
  }
  return singleModelForecast(fit, horizon, out);
}

function singleModelForecast(fit: EtsFit, horizon: number, out: Float64Array): Float64Array {
  const { spec, m, n, level, trend, phi } = fit;
  let phih = 0;
  let pw = 1;
  for (let h = 1; h <= horizon; h++) {
    if (spec.trend === 'A') phih = h;
    else if (spec.trend === 'Ad') {
      pw *= phi;
      phih += pw;
    }
    const lp = level + phih * trend;
    const s = fit.season[(n + h - 1) % m] as number;
    out[h - 1] = spec.season === 'N' ? lp : spec.season === 'A' ? lp + s : lp * s;
  }
  return out;
}

/** Horner evaluation of c[0] x^(k-1) + ... + c[k-1]. */
function horner(c: readonly number[], x: number): number {
  let v = 0;
  for (const ci of c) v = v * x + ci;
  return v;
}

/** Standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new WaybillError('INVALID_ARGUMENT', `probability must be in (0, 1), got ${p}`);
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572, 1];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416, 1];
  const tail = (q: number) => horner(c, q) / horner(d, q);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (horner(a, r) * q) / horner(b, r);
}

/** Small deterministic PRNG (mulberry32) and standard normals by Box-Muller, for the simulated intervals. */
function normalStream(seed: number): () => number {
  let s = seed >>> 0;
  const uniform = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  let spare = Number.NaN;
  return () => {
    if (!Number.isNaN(spare)) {
      const v = spare;
      spare = Number.NaN;
      return v;
    }
    const u1 = uniform();
    const u2 = uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  };
}

/** True for the linear homoscedastic class (additive error, no multiplicative part): analytic intervals. */
export function etsIsClass1(spec: EtsSpec): boolean {
  return spec.error === 'A' && spec.season !== 'M';
}

export interface EtsIntervals {
  /** levels.length rows of horizon values each: lower[k * horizon + h]. */
  lower: Float64Array;
  upper: Float64Array;
}

/**
 * Prediction intervals at the given levels (in %, e.g. 80, 95). Additive-error linear models
 * (class 1) use the exact forecast variance sigma^2 (1 + sum_{j<h} c_j^2) with
 * c_j = alpha + beta phi_j + gamma [j mod m = 0]; the other models are simulated (`paths` sample
 * paths of the fitted model with Gaussian errors, seeded, quantiles of type 7).
 */
export function etsIntervals(
  fit: EtsFit,
  horizon: number,
  levels: readonly number[],
  options: { paths?: number; seed?: number } = {},
): EtsIntervals {
  const L = levels.length;
  const lower = new Float64Array(L * horizon);
  const upper = new Float64Array(L * horizon);
  if (fit.ensemble) {
    // A combination: the weighted average of the members' quantiles (quantile averaging; Lichtendahl,
    // Grushka-Cockayne & Winkler 2013, "Is it better to average probabilities or quantiles?").
    fit.ensemble.forEach(({ fit: f, weight }, k) => {
      const iv = etsIntervals(f, horizon, levels, { ...options, seed: (options.seed ?? 1) + 7919 * k });
      for (let i = 0; i < L * horizon; i++) {
        lower[i] = (lower[i] as number) + weight * (iv.lower[i] as number);
        upper[i] = (upper[i] as number) + weight * (iv.upper[i] as number);
      }
    });
    return { lower, upper };
  }
  const mean = etsPointForecast(fit, horizon);
  const { spec, m, alpha, beta, gamma, phi, sigma2 } = fit;
  if (etsIsClass1(spec)) {
    let cum = 0; // sum_{j<h} c_j^2
    let phij = 0;
    let pw = 1;
    for (let h = 1; h <= horizon; h++) {
      const v = sigma2 * (1 + cum);
      const sd = Math.sqrt(v);
      for (let k = 0; k < L; k++) {
        const z = normalQuantile(0.5 + (levels[k] as number) / 200);
        lower[k * horizon + h - 1] = (mean[h - 1] as number) - z * sd;
        upper[k * horizon + h - 1] = (mean[h - 1] as number) + z * sd;
      }
      // c_h for the next step.
      if (spec.trend === 'A') phij = h;
      else if (spec.trend === 'Ad') {
        pw *= phi;
        phij += pw;
      }
      const cj = alpha + beta * phij + (spec.season === 'A' && h % m === 0 ? gamma : 0);
      cum += cj * cj;
    }
    return { lower, upper };
  }
  const paths = options.paths ?? 2000;
  const draw = normalStream(options.seed ?? 1);
  const sims = new Float64Array(paths * horizon);
  const sd = Math.sqrt(sigma2);
  const S = new Float64Array(m);
  for (let pth = 0; pth < paths; pth++) {
    let l = fit.level;
    let b = fit.trend;
    S.set(fit.season);
    for (let h = 1; h <= horizon; h++) {
      const pos = (fit.n + h - 1) % m;
      const phib = phi * b;
      const q = l + (spec.trend === 'N' ? 0 : phib);
      const s = S[pos] as number;
      const f = spec.season === 'N' ? q : spec.season === 'A' ? q + s : q * s;
      const eps = sd * draw();
      const yv = spec.error === 'A' ? f + eps : f * (1 + eps);
      sims[pth * horizon + h - 1] = yv;
      const d = spec.season === 'N' ? yv - q : spec.season === 'A' ? yv - s - q : yv / s - q;
      const tt = spec.season === 'A' ? yv - q : spec.season === 'M' ? yv / q : 0;
      l = q + alpha * d;
      if (spec.trend !== 'N') b = phib + beta * d;
      if (spec.season !== 'N') S[pos] = s + gamma * (tt - s);
    }
  }
  const col = new Float64Array(paths);
  const quantile = (sorted: Float64Array, prob: number) => {
    const hpos = (sorted.length - 1) * prob;
    const lo = Math.floor(hpos);
    const hi = Math.min(sorted.length - 1, lo + 1);
    return (sorted[lo] as number) + (hpos - lo) * ((sorted[hi] as number) - (sorted[lo] as number));
  };
  for (let h = 0; h < horizon; h++) {
    for (let p = 0; p < paths; p++) col[p] = sims[p * horizon + h] as number;
    col.sort();
    for (let k = 0; k < L; k++) {
      const a = 0.5 - (levels[k] as number) / 200;
      lower[k * horizon + h] = quantile(col, a);
      upper[k * horizon + h] = quantile(col, 1 - a);
    }
  }
  return { lower, upper };
}

// ---------------------------------------------------------------------------------------------
// Batches, and the native (C++) fitter's layout.

const ERR_CODES: EtsError[] = ['A', 'M'];
const TREND_CODES: EtsTrend[] = ['N', 'A', 'Ad'];
const SEASON_CODES: EtsSeason[] = ['N', 'A', 'M'];

/** Model code of the native layout: error * 9 + trend * 3 + season. */
export function etsCode(s: EtsSpec): number {
  return ERR_CODES.indexOf(s.error) * 9 + TREND_CODES.indexOf(s.trend) * 3 + SEASON_CODES.indexOf(s.season);
}

/** Bit mask of the model codes an R-style code allows. */
export function etsModelMask(code: string): number {
  const c = parseEtsCode(code);
  let mask = 0;
  for (const error of c.error as EtsError[])
    for (const trend of c.trend as EtsTrend[]) for (const season of c.season as EtsSeason[]) mask |= 1 << etsCode({ error, trend, season });
  return mask;
}

export const ETS_NATIVE_PARAMS = 16;

/**
 * The native AutoETS (waybill/timeseries.h ets_fit_cpu), when the addon is loaded: the addon's
 * tsEtsFit options (allModels: every candidate, slot = model code, ETS_NATIVE_MODELS slots),
 * called synchronously.
 */
export type NativeEtsFit = (o: Omit<Parameters<NativeAddon['tsEtsFit']>[0], 'cancel' | 'sync'> & { sync: true }) => unknown;

/** Model-code slots of the native all-models layout (error * 9 + trend * 3 + season < 18). */
export const ETS_NATIVE_MODELS = 18;

/** Decodes series i of the native output (null when no model could be fitted). */
export function etsFitFromNative(params: Float64Array, season: Float64Array, m: number, i: number): EtsFit | null {
  const P = params.subarray(i * ETS_NATIVE_PARAMS, (i + 1) * ETS_NATIVE_PARAMS);
  const code = P[0] as number;
  if (code < 0) return null;
  const spec: EtsSpec = {
    error: ERR_CODES[Math.floor(code / 9)] as EtsError,
    trend: TREND_CODES[Math.floor(code / 3) % 3] as EtsTrend,
    season: SEASON_CODES[code % 3] as EtsSeason,
  };
  const mm = P[14] as number;
  return {
    spec,
    m: mm,
    n: P[13] as number,
    alpha: P[1] as number,
    beta: P[2] as number,
    gamma: P[3] as number,
    phi: P[4] as number,
    level: P[5] as number,
    trend: P[6] as number,
    sigma2: P[7] as number,
    loglik: P[8] as number,
    aic: P[9] as number,
    aicc: P[10] as number,
    bic: P[11] as number,
    np: P[12] as number,
    season: season.slice(i * m, i * m + mm),
  };
}

/**
 * AutoETS over a batch (values + offsets): the C++ fitter when `native` is given (same numbers as
 * the TS reference, see the parity tests), else the TS reference.
 */
export function autoEtsBatch(
  values: Float64Array,
  offsets: Int32Array,
  m: number,
  options?: AutoEtsOptions,
  native?: NativeEtsFit,
): Array<EtsFit | null>;
/** The same with an asynchronous native call (a Promise from the addon's thread pool). */
export function autoEtsBatch(
  values: Float64Array,
  offsets: Int32Array,
  m: number,
  options: AutoEtsOptions,
  native: NativeEtsFit,
  async: true,
): Promise<Array<EtsFit | null>>;
export function autoEtsBatch(
  values: Float64Array,
  offsets: Int32Array,
  m: number,
  options: AutoEtsOptions = {},
  native?: NativeEtsFit,
  async?: boolean,
): Array<EtsFit | null> | Promise<Array<EtsFit | null>> {
  const count = offsets.length - 1;
  const maxIter = options.maxIter ?? 800;
  const tolerance = options.tolerance ?? ETS_TOLERANCE;
  const maxSeason = options.maxSeason ?? 24;
  if (!Number.isInteger(maxIter) || maxIter < 1)
    throw new WaybillError('INVALID_ARGUMENT', `maxIter must be an integer >= 1, got ${maxIter}`, { field: 'maxIter' });
  if (!(tolerance > 0)) throw new WaybillError('INVALID_ARGUMENT', `tolerance must be > 0, got ${tolerance}`, { field: 'tolerance' });
  // The native binding reads it as a 32-bit integer (2^53 was a raw TypeError there).
  if (!Number.isInteger(maxSeason) || maxSeason < 1 || maxSeason > MAX_SEASON_LIMIT)
    throw new WaybillError('INVALID_ARGUMENT', `maxSeason must be an integer in 1..${MAX_SEASON_LIMIT}, got ${maxSeason}`, {
      field: 'maxSeason',
    });
  const combine = options.combine ?? ETS_COMBINE_DEFAULT;
  if (combine !== 'select' && combine !== 'weights')
    throw new WaybillError('INVALID_ARGUMENT', `combine must be select or weights, got ${String(combine)}`, { field: 'combine' });
  if (native) {
    const mask = etsModelMask(options.model ?? 'ZZZ');
    let models = 0;
    for (let c = 0; c < ETS_NATIVE_MODELS; c++) if (mask & (1 << c)) models++;
    // A combination needs every candidate's fit: one native pass returns them all (slot = model
    // code, the order of etsCandidates), combined per series here.
    const all = combine === 'weights' && models > 1;
    const slots = all ? ETS_NATIVE_MODELS : 1;
    const outParams = new Float64Array(count * slots * ETS_NATIVE_PARAMS);
    const outSeason = new Float64Array(count * slots * m);
    const decodeAll = () =>
      Array.from({ length: count }, (_, i) => {
        if (!all) return etsFitFromNative(outParams, outSeason, m, i);
        const fits: Array<EtsFit | null> = [];
        for (let c = 0; c < ETS_NATIVE_MODELS; c++)
          if (mask & (1 << c)) fits.push(etsFitFromNative(outParams, outSeason, m, i * slots + c));
        return combineEtsFits(fits, combine);
      });
    const ret = native({
      values,
      offsets,
      count,
      season: m,
      maxIter,
      tolerance,
      maxSeason,
      modelMask: mask,
      ...(all ? { allModels: true } : {}),
      outParams,
      outSeason,
      sync: true,
    });
    if (async) return Promise.resolve(ret).then(decodeAll);
    return decodeAll();
  }
  const out: Array<EtsFit | null> = [];
  for (let i = 0; i < count; i++) out.push(autoEts(values.subarray(offsets[i] as number, offsets[i + 1] as number), m, options));
  return out;
}
