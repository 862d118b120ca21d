import type { BudgetAllocationTask } from './types.js';

/** Each unit's best option for multiplier `lambda` (ties: cheaper, then lower index). */
function evaluate(task: BudgetAllocationTask, lambda: number, choice: Int32Array | undefined) {
  const { value, cost, units, options } = task;
  let lag = 0;
  let totalValue = 0;
  let totalCost = 0;
  for (let u = 0; u < units; u++) {
    let best = 0;
    let bestCost = 0;
    let bestValue = 0;
    let pick = -1;
    for (let k = 0; k < options; k++) {
      const v = value[u * options + k] as number;
      if (Number.isNaN(v)) continue;
      const c = cost[u * options + k] as number;
      const score = v - lambda * c;
      if (score > best || (score === best && pick >= 0 && c < bestCost)) {
        best = score;
        bestCost = c;
        bestValue = v;
        pick = k;
      }
    }
    if (choice) choice[u] = pick;
    lag += best;
    totalValue += bestValue;
    totalCost += bestCost;
  }
  return { lag, value: totalValue, cost: totalCost };
}

/**
 * TypeScript reference of budgetAllocation (multiple-choice knapsack): Lagrangian bisection on
 * the budget multiplier, then a greedy repair that spends the budget left on the upgrades with
 * the best value per extra cost. Writes task.outChoice and task.outStats =
 * [value, cost, dualBound, lambda, chosen]; the dual bound is the smallest Lagrangian seen.
 */
export function budgetAllocationRef(task: BudgetAllocationTask): void {
  const { value, cost, units, options, budget } = task;
  const choice = task.outChoice;
  let out = { value: 0, cost: 0, bound: 0, lambda: 0 };
  const lo = evaluate(task, 0, choice);
  if (lo.cost <= budget) {
    out = { value: lo.value, cost: lo.cost, bound: lo.value, lambda: 0 };
  } else {
    // Upper end: twice the best value per unit of cost (nothing is worth taking above it). The
    // search stops at a step relative to it, so values of any scale (1e-11 of the costs) are
    // searched as finely as values of 1.
    let hi = 0;
    for (let t = 0; t < units * options; t++) {
      const v = value[t] as number;
      const c = cost[t] as number;
      if (!Number.isNaN(v) && c > 0) hi = Math.max(hi, (v / c) * 2);
    }
    if (!(hi > 0 && Number.isFinite(hi))) hi = hi > 0 ? Number.MAX_VALUE : 1;
    let bound = lo.lag;
    let low = 0;
    for (let it = 0; it < 100 && hi - low > 1e-12 * hi; it++) {
      if (task.cancel && Atomics.load(task.cancel, 0) !== 0) return;
      const mid = (low + hi) / 2;
      const e = evaluate(task, mid, undefined);
      bound = Math.min(bound, mid * budget + e.lag);
      if (e.cost > budget) low = mid;
      else hi = mid;
    }
    const feasible = evaluate(task, hi, choice);
    bound = Math.min(bound, hi * budget + feasible.lag);
    out = { value: feasible.value, cost: feasible.cost, bound, lambda: hi };
    // Only upgrades that fit in what is left can ever be taken (keeps the sort small).
    const left = budget - out.cost;
    const ups: Array<{ ratio: number; dv: number; dc: number; unit: number; option: number }> = [];
    for (let u = 0; u < units; u++) {
      const cur = choice[u] as number;
      const cv = cur >= 0 ? (value[u * options + cur] as number) : 0;
      const cc = cur >= 0 ? (cost[u * options + cur] as number) : 0;
      for (let k = 0; k < options; k++) {
        const vk = value[u * options + k] as number;
        if (Number.isNaN(vk) || k === cur) continue;
        const dv = vk - cv;
        const dc = (cost[u * options + k] as number) - cc;
        if (dv <= 0 || dc > left) continue;
        ups.push({ ratio: dc > 0 ? dv / dc : Number.POSITIVE_INFINITY, dv, dc, unit: u, option: k });
      }
    }
    ups.sort((a, b) => (a.ratio !== b.ratio ? b.ratio - a.ratio : a.unit - b.unit || a.option - b.option));
    const touched = new Uint8Array(units);
    for (const up of ups) {
      if (touched[up.unit] || out.cost + up.dc > budget) continue;
      touched[up.unit] = 1;
      choice[up.unit] = up.option;
      out.cost += up.dc;
      out.value += up.dv;
    }
    out.bound = Math.max(out.bound, out.value);
  }
  let chosen = 0;
  for (let u = 0; u < units; u++) if ((choice[u] as number) >= 0) chosen++;
  task.outStats.set([out.value, out.cost, out.bound, out.lambda, chosen]);
}
