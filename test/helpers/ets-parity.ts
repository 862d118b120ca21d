/**
 * Per (series, model) comparison of two native AutoETS outputs in the all-models layout
 * (params count x 18 x 16, seasonal states count x 18 x m; src/kernels/timeseries/ets.ts): the
 * CUDA fitter against the C++ CPU one. A fit is within tolerance when loglik and AICc agree to
 * 1e-9 relative, alpha, beta, gamma, phi, level, trend and sigma2 to 1e-6 relative, and each
 * seasonal state to 1e-6 of the fit's scale (the largest of |level| and the states' magnitudes:
 * an additive state near zero has no meaningful relative difference of its own).
 */
import { ETS_NATIVE_PARAMS } from '../../src/kernels/timeseries/ets.js';

export interface EtsParity {
  /** (series, model) slots fitted on both sides with the same code. */
  fits: number;
  /** Slots fitted on one side only (or with another code). */
  presence: number;
  /** Fits outside the tolerance. */
  outside: number;
  /** Fits equal in every compared field. */
  identical: number;
  worstLik: number;
  worstParam: number;
}

export const relDiff = (a: number, b: number): number => (a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-300));

/** The seasonal states of both sides, m per slot (omit for non-seasonal calls: season 1, all zero). */
export interface EtsSeasonStates {
  ref: Float64Array;
  got: Float64Array;
  m: number;
}

export function compareEtsFits(ref: Float64Array, got: Float64Array, season?: EtsSeasonStates): EtsParity {
  const out: EtsParity = { fits: 0, presence: 0, outside: 0, identical: 0, worstLik: 0, worstParam: 0 };
  for (let k = 0, slot = 0; k < ref.length; k += ETS_NATIVE_PARAMS, slot++) {
    const r = ref.subarray(k, k + ETS_NATIVE_PARAMS);
    const g = got.subarray(k, k + ETS_NATIVE_PARAMS);
    if (r[0] !== g[0]) {
      out.presence++;
      continue;
    }
    if ((r[0] as number) < 0) continue;
    out.fits++;
    const lik = Math.max(relDiff(r[8] as number, g[8] as number), relDiff(r[10] as number, g[10] as number));
    let par = Math.max(...[1, 2, 3, 4, 5, 6, 7].map((j) => relDiff(r[j] as number, g[j] as number)));
    if (season) {
      const { m } = season;
      const rs = season.ref.subarray(slot * m, (slot + 1) * m);
      const gs = season.got.subarray(slot * m, (slot + 1) * m);
      let size = Math.abs(r[5] as number);
      for (let j = 0; j < m; j++) size = Math.max(size, Math.abs(rs[j] as number), Math.abs(gs[j] as number));
      for (let j = 0; j < m; j++) {
        const d = Math.abs((rs[j] as number) - (gs[j] as number));
        if (d !== 0) par = Math.max(par, size < 1e-300 ? d : d / size);
      }
    }
    if (lik === 0 && par === 0) out.identical++;
    out.worstLik = Math.max(out.worstLik, lik);
    out.worstParam = Math.max(out.worstParam, par);
    if (lik > 1e-9 || par > 1e-6) out.outside++;
  }
  return out;
}

export function describeParity(label: string, c: EtsParity): string {
  return `${label}: ${c.fits} fits, ${c.identical} bit-identical, ${c.outside} outside 1e-9 (loglik, AICc) / 1e-6 (parameters, seasonal states) = ${((100 * c.outside) / Math.max(1, c.fits)).toFixed(3)} %; worst rel. loglik/AICc ${c.worstLik.toExponential(2)}, parameters ${c.worstParam.toExponential(2)}`;
}
