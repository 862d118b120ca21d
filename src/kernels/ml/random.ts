/**
 * Seeded pseudo-random numbers for the ML kernels (row/feature subsampling, k-means++ seeding, the
 * synthetic data generator). mulberry32: a 32-bit state, one uint32 per draw divided by 2^32, so
 * the C++ port reproduces every draw bit for bit (it is the same generator as test/helpers/random.ts).
 * Never Math.random: a seed must fully determine a model.
 */

/** Uniform draws in [0, 1) from a 32-bit seed (any number; only its low 32 bits are used). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * One standard normal draw (Box–Muller, cosine branch only: exactly two uniforms per draw, so
 * the sequence of draws is simple to reproduce elsewhere).
 */
export function gaussian(rng: () => number): number {
  const u1 = 1 - rng(); // (0, 1]: log is finite
  const u2 = rng();
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}

/**
 * One Poisson(lambda) draw by Knuth's product-of-uniforms method (lambda <= 500; larger means are
 * clamped there: exp(-lambda) must stay a normal double).
 */
export function poissonSample(rng: () => number, lambda: number): number {
  const l = Math.exp(-Math.min(Math.max(lambda, 0), 500));
  let k = 0;
  let prod = rng();
  while (prod > l) {
    k++;
    prod *= rng();
  }
  return k;
}

/**
 * k distinct indices of 0..n-1, sorted ascending: a partial Fisher–Yates shuffle (draw j takes
 * position j + floor(u (n - j))), then a sort. Exactly k draws.
 */
export function sampleWithoutReplacement(rng: () => number, n: number, k: number): Int32Array {
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let j = 0; j < k; j++) {
    const r = j + Math.floor(rng() * (n - j));
    const t = idx[j] as number;
    idx[j] = idx[r] as number;
    idx[r] = t;
  }
  return idx.slice(0, k).sort();
}
