import type { BudgetAllocationTask } from './types.js';

/**
 * TypeScript reference of the margin-floor variant of budgetAllocation (mirrors
 * native/src/cpu/or/budget_allocation_margin.cc step for step): nested bisection on the budget
 * multiplier lambda and the floor multiplier mu; every evaluation bounds the optimum and is a
 * candidate; the best candidate meeting both constraints is repaired greedily. When no candidate met the floor, the
 * plan with the most margin the budget buys is tried instead (the native fallback; the reference
 * once lacked it and answered INFEASIBLE where the native backend found a plan). Throws
 * Error(code INFEASIBLE) when that misses the floor too.
 */
export function budgetAllocationMarginRef(task: BudgetAllocationTask): void {
  const { value, cost, units, options, budget } = task;
  const margin = task.margin as Float64Array;
  const floor = task.marginFloor ?? 0;
  /** Choices maximising alpha * value - lambda * cost + mu * margin per unit (none when all < 0). */
  const evaluate = (lambda: number, mu: number, choice?: Int32Array, alpha = 1) => {
    let v = 0;
    let c = 0;
    let m = 0;
    let lag = 0;
    for (let u = 0; u < units; u++) {
      let best = 0;
      let bc = 0;
      let bv = 0;
      let bm = 0;
      let pick = -1;
      const o = u * options;
      for (let k = 0; k < options; k++) {
        const vk = value[o + k] as number;
        if (Number.isNaN(vk)) continue;
        const ck = cost[o + k] as number;
        const score = alpha * vk - lambda * ck + mu * (margin[o + k] as number);
        if (score > best || (score === best && pick >= 0 && ck < bc)) {
          best = score;
          bc = ck;
          bv = vk;
          bm = margin[o + k] as number;
          pick = k;
        }
      }
      if (choice) choice[u] = pick;
      lag += best;
      v += bv;
      c += bc;
      m += bm;
    }
    return { value: v, cost: c, margin: m, lag };
  };
  let bound = Number.POSITIVE_INFINITY;
  let bestValue = Number.NEGATIVE_INFINITY;
  let bestLambda = 0;
  let bestMu = 0;
  let found = false;
  const consider = (lambda: number, mu: number, e: ReturnType<typeof evaluate>) => {
    bound = Math.min(bound, lambda * budget - mu * floor + e.lag);
    if (e.cost <= budget && e.margin >= floor && e.value > bestValue) {
      bestValue = e.value;
      bestLambda = lambda;
      bestMu = mu;
      found = true;
    }
  };
  let ratioHi = 1;
  for (let t = 0; t < units * options; t++) {
    const v = value[t] as number;
    if (!Number.isNaN(v) && (cost[t] as number) > 0) ratioHi = Math.max(ratioHi, (Math.abs(v) / (cost[t] as number)) * 2);
  }
  const fitBudget = (mu: number) => {
    let lo = 0;
    let hi = ratioHi;
    for (let t = 0; t < units * options; t++) {
      const v = value[t] as number;
      if (!Number.isNaN(v) && (cost[t] as number) > 0)
        hi = Math.max(hi, ((Math.abs(v) + mu * Math.abs(margin[t] as number)) / (cost[t] as number)) * 2);
    }
    const e0 = evaluate(0, mu);
    consider(0, mu, e0);
    if (e0.cost <= budget) return e0;
    let atHi = evaluate(hi, mu);
    consider(hi, mu, atHi);
    for (let it = 0; it < 50 && hi - lo > 1e-12 * Math.max(1, hi); it++) {
      const mid = 0.5 * (lo + hi);
      const e = evaluate(mid, mu);
      consider(mid, mu, e);
      if (e.cost > budget) lo = mid;
      else {
        hi = mid;
        atHi = e;
      }
    }
    return atHi;
  };
  let muLo = 0;
  let muHi = 0;
  let e = fitBudget(0);
  if (e.margin < floor) {
    muHi = 1 / Math.max(1e-12, ratioHi);
    for (let grow = 0; grow < 60; grow++) {
      if (task.cancel && Atomics.load(task.cancel, 0) !== 0) return;
      e = fitBudget(muHi);
      if (e.margin >= floor) break;
      muLo = muHi;
      muHi *= 4;
    }
    for (let it = 0; it < 30 && muHi - muLo > 1e-12 * Math.max(1, muHi); it++) {
      if (task.cancel && Atomics.load(task.cancel, 0) !== 0) return;
      const mid = 0.5 * (muLo + muHi);
      if (fitBudget(mid).margin >= floor) muHi = mid;
      else muLo = mid;
    }
  }
  const choice = task.outChoice;
  const cur = found ? evaluate(bestLambda, bestMu, choice) : mostMargin(task, evaluate, choice);
  const left = budget - cur.cost;
  const ups: Array<{ ratio: number; dv: number; dc: number; dm: number; unit: number; option: number }> = [];
  for (let u = 0; u < units; u++) {
    const k0 = choice[u] as number;
    const o = u * options;
    const cv = k0 >= 0 ? (value[o + k0] as number) : 0;
    const cc = k0 >= 0 ? (cost[o + k0] as number) : 0;
    const cm = k0 >= 0 ? (margin[o + k0] as number) : 0;
    for (let k = 0; k < options; k++) {
      const vk = value[o + k] as number;
      if (Number.isNaN(vk) || k === k0) continue;
      const dv = vk - cv;
      const dc = (cost[o + k] as number) - cc;
      const dm = (margin[o + k] as number) - cm;
      if (dv <= 0 || dc > left) continue;
      ups.push({ ratio: dc > 0 ? dv / dc : Number.POSITIVE_INFINITY, dv, dc, dm, unit: u, option: k });
    }
  }
  ups.sort((a, b) => (a.ratio !== b.ratio ? b.ratio - a.ratio : a.unit - b.unit || a.option - b.option));
  const touched = new Uint8Array(units);
  for (const up of ups) {
    if (touched[up.unit] || cur.cost + up.dc > budget || cur.margin + up.dm < floor) continue;
    touched[up.unit] = 1;
    choice[up.unit] = up.option;
    cur.cost += up.dc;
    cur.value += up.dv;
    cur.margin += up.dm;
  }
  let chosen = 0;
  for (let u = 0; u < units; u++) if ((choice[u] as number) >= 0) chosen++;
  task.outStats.set([cur.value, cur.cost, Math.max(bound, cur.value), bestLambda, chosen, cur.margin, bestMu]);
}

type Evaluate = (
  lambda: number,
  mu: number,
  choice?: Int32Array,
  alpha?: number,
) => { value: number; cost: number; margin: number; lag: number };

/**
 * Feasibility first (native: the `!found` branch): the smallest lambda whose margin-greedy
 * choices (value ignored) fit the budget, then margin upgrades by margin per extra cost with the
 * budget left. Throws INFEASIBLE when even that misses the floor.
 */
function mostMargin(task: BudgetAllocationTask, evaluate: Evaluate, choice: Int32Array) {
  const { value, cost, units, options, budget } = task;
  const margin = task.margin as Float64Array;
  const floor = task.marginFloor ?? 0;
  let lo = 0;
  let hi = 1;
  for (let t = 0; t < units * options; t++)
    if (!Number.isNaN(value[t] as number) && (cost[t] as number) > 0)
      hi = Math.max(hi, (Math.abs(margin[t] as number) / (cost[t] as number)) * 2);
  if (evaluate(0, 1, undefined, 0).cost <= budget) hi = 0;
  for (let it = 0; it < 60 && hi - lo > 1e-12 * Math.max(1, hi); it++) {
    const mid = 0.5 * (lo + hi);
    if (evaluate(mid, 1, undefined, 0).cost > budget) lo = mid;
    else hi = mid;
  }
  const cur = evaluate(hi, 1, choice, 0);
  const ups: Array<{ ratio: number; dm: number; dc: number; dv: number; unit: number; option: number }> = [];
  for (let u = 0; u < units; u++) {
    const k0 = choice[u] as number;
    const o = u * options;
    const cc = k0 >= 0 ? (cost[o + k0] as number) : 0;
    const cm = k0 >= 0 ? (margin[o + k0] as number) : 0;
    const cv = k0 >= 0 ? (value[o + k0] as number) : 0;
    for (let k = 0; k < options; k++) {
      if (Number.isNaN(value[o + k] as number) || k === k0) continue;
      const dm = (margin[o + k] as number) - cm;
      const dc = (cost[o + k] as number) - cc;
      if (dm <= 0) continue;
      ups.push({ ratio: dc > 0 ? dm / dc : Number.POSITIVE_INFINITY, dm, dc, dv: (value[o + k] as number) - cv, unit: u, option: k });
    }
  }
  ups.sort((a, b) => (a.ratio !== b.ratio ? b.ratio - a.ratio : a.unit - b.unit || a.option - b.option));
  const moved = new Uint8Array(units);
  for (const up of ups) {
    if (moved[up.unit] || cur.cost + up.dc > budget) continue;
    moved[up.unit] = 1;
    choice[up.unit] = up.option;
    cur.cost += up.dc;
    cur.margin += up.dm;
    cur.value += up.dv;
  }
  if (cur.margin < floor || cur.cost > budget)
    throw Object.assign(new Error('no allocation found that meets the margin floor within the budget'), { code: 'INFEASIBLE' });
  return cur;
}
