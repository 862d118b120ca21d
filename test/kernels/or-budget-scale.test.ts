/**
 * Budget allocation is scale-free: multiplying every value by a positive constant (here 1e-11, the
 * scale of per-customer effects in dollars against costs of 1) gives the same choice and the same
 * gap. The multiplier search once stopped at an absolute step of 1e-12, so such instances came back
 * with gaps of 0.4-0.56 for optimal plans. On each backend present.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/index.js';
import { mulberry32 } from '../../src/kernels/ml/random.js';

const engine = createEngine({ workers: 0 });
afterAll(async () => {
  await engine.close();
});
const native = engine.backends().find((b) => b.name === 'native');
const backends: Array<'js' | 'native'> = native?.available ? ['js', 'native'] : ['js'];
if (!native?.available) console.warn(`skipped: budget allocation scale test on native: ${native?.reason}`);

describe('budget allocation at tiny value scales', () => {
  for (const backend of backends)
    it(`${backend}: values x 1e-11 give the choice and gap of the unscaled instance`, async () => {
      const rng = mulberry32(9);
      const units = 300;
      const options = 2;
      const value = Float64Array.from({ length: units * options }, () => rng() * 0.2 - 0.02);
      const cost = Float64Array.from({ length: units * options }, (_, t) => 1 + (t % 2));
      const budget = 120;
      const ref = await engine.kernels.or.budgetAllocation(value, cost, budget, { units, options, backend });
      expect(ref.gap).toBeLessThan(1e-3);
      for (const scale of [1e-11, 1e-200]) {
        const small = await engine.kernels.or.budgetAllocation(
          value.map((v) => v * scale),
          cost,
          budget,
          { units, options, backend },
        );
        expect(Array.from(small.choice), `scale ${scale}`).toEqual(Array.from(ref.choice));
        expect(small.gap, `scale ${scale}`).toBeCloseTo(ref.gap, 9);
        expect(small.value / scale).toBeCloseTo(ref.value, 9);
      }
    });
});
