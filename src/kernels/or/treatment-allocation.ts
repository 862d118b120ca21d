/**
 * Allocation of treatments (incentives, e-mails, subsidies) to units under a budget, from predicted
 * per-unit values: at most one treatment a unit, the largest total value within the budget, by
 * the budget allocation kernel (a multiple-choice knapsack). Treatments predicted to lose value are
 * never given. Used by the pricing plugin and POST /v1/pricing/allocate.
 */
import { WaybillError } from '../../errors.js';
import type { OrKernels } from './index.js';

export interface AllocationRequest {
  /** Extra value of a customer getting treatment k (rows x treatments, row-major). */
  value: Float64Array;
  /** Cost of one treatment of each kind (its length is the number of treatments). */
  costs: readonly number[];
  budget: number;
}

/**
 * Picks at most one treatment a customer: maximum total predicted value within the budget
 * (treatments with a predicted value <= 0 are never chosen). Returns the arm per customer (0 = none).
 */
export async function allocateTreatments(or: Pick<OrKernels, 'budgetAllocation'>, r: AllocationRequest) {
  const t = r.costs.length;
  if (t === 0 || r.value.length % t !== 0)
    throw new WaybillError('INVALID_LENGTH', `value has ${r.value.length} entries, not a multiple of the ${t} treatments`, {
      field: 'value',
    });
  const n = r.value.length / t;
  // A treatment expected to lose value is not an option: its value is set to 0, which the
  // allocation never takes at a positive cost.
  const value = r.value.map((v) => Math.max(v, 0));
  // The kernel's search on the budget multiplier (value per unit of cost) stops at an absolute step
  // of 1e-12, so where that multiplier is tiny (values 1e-11 of the costs) optimal allocations came
  // back with gaps of 0.4-0.56. Values and costs are scaled by powers of two (exact: the same
  // choices, sums and comparisons) so the largest of each is in [1, 2).
  const pow2 = (max: number) => (max > 0 && Number.isFinite(max) ? 2 ** -Math.floor(Math.log2(max)) : 1);
  let maxValue = 0;
  for (const v of value) if (v > maxValue) maxValue = v;
  const sv = pow2(maxValue);
  const sc = pow2(Math.max(...r.costs));
  for (let j = 0; j < value.length; j++) value[j] = (value[j] as number) * sv;
  const cost = new Float64Array(value.length);
  for (let i = 0; i < n; i++) for (let k = 0; k < t; k++) cost[i * t + k] = (r.costs[k] as number) * sc;
  // Scaled costs are below 2, so a budget of 2n already affords any choice (and stays finite).
  const budget = Number.isFinite(r.budget) && r.budget >= 0 ? Math.min(r.budget * sc, 2 * n) : r.budget;
  const res = await or.budgetAllocation(value, cost, budget, { units: n, options: t });
  const arm = Int32Array.from(res.choice, (c, i) => (c >= 0 && (value[i * t + c] as number) > 0 ? c + 1 : 0));
  return { arm, value: res.value / sv, cost: res.cost / sc, gap: res.gap };
}
