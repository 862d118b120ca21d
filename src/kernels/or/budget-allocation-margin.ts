import type { BudgetAllocationTask } from './types.js';

/**
 * TypeScript reference of the margin-floor variant of budgetAllocation (mirrors
 * native/src/cpu/or/budget_allocation_margin.cc step for step): nested bisection on the budget
 * multiplier lambda and the floor multiplier mu; every evaluation bounds the optimum and is a
 * candidate; the best candidate meeting both constraints is repaired greedily. Throws
 * Error(code INFEASIBLE) when no candidate met the floor.
 */
export function budgetAllocationMarginRef(task: BudgetAllocationTask): void {
  const { value, cost, units, options, budget } = task;
  const margin = task.margin as Float64Array;
  const floor = task.marginFloor ?? 0;
  const evaluate = (lambda: number, mu: number, choice?: Int32Array) => {
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
        const score = vk - lambda * ck + mu * (margin[o + k] as number);
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
  if (!found) throw Object.assign(new Error('no allocation found that meets the margin floor within the budget'), { code: 'INFEASIBLE' });
  const choice = task.outChoice;
  const cur = evaluate(bestLambda, bestMu, choice);
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
