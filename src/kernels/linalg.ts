/**
 * Small dense linear algebra shared by the kernels that solve symmetric positive definite
 * systems (the logistic regression's Newton steps, forecast reconciliation): Cholesky factoring
 * and the two triangular solves, on row-major Float64Arrays.
 */

/**
 * In-place Cholesky factorisation A = L L' of a symmetric k x k matrix (row-major; the lower
 * triangle is overwritten by L, the upper one is left as it was). Returns undefined on success,
 * else the first pivot that is not above `floor` or not finite, with its value (A is then not
 * positive definite, or too ill-conditioned for the caller) and A partly overwritten.
 */
export function choleskyInPlace(A: Float64Array, k: number, floor = 0): { pivot: number; value: number } | undefined {
  for (let j = 0; j < k; j++) {
    let d = A[j * k + j] as number;
    for (let p = 0; p < j; p++) d -= (A[j * k + p] as number) * (A[j * k + p] as number);
    if (!(d > floor) || !Number.isFinite(d)) return { pivot: j, value: d };
    const l = Math.sqrt(d);
    A[j * k + j] = l;
    for (let i = j + 1; i < k; i++) {
      let s = A[i * k + j] as number;
      for (let p = 0; p < j; p++) s -= (A[i * k + p] as number) * (A[j * k + p] as number);
      A[i * k + j] = s / l;
    }
  }
  return undefined;
}

/** Solves L L' x = b in place (b becomes x; k values) for a factor from {@link choleskyInPlace}. */
export function choleskySolveInPlace(L: Float64Array, k: number, b: Float64Array): void {
  for (let i = 0; i < k; i++) {
    let s = b[i] as number;
    for (let p = 0; p < i; p++) s -= (L[i * k + p] as number) * (b[p] as number);
    b[i] = s / (L[i * k + i] as number);
  }
  for (let i = k - 1; i >= 0; i--) {
    let s = b[i] as number;
    for (let p = i + 1; p < k; p++) s -= (L[p * k + i] as number) * (b[p] as number);
    b[i] = s / (L[i * k + i] as number);
  }
}
