/**
 * gpu.js kernel sources for pairwise trajectory distances (run by ./gpujs.ts). One kernel thread
 * computes one pair: thread (x, y) is trajectory x of the column block against trajectory y of
 * the row block. Sources are generated strings, so no TypeScript or bundler transform reaches
 * gpu.js's parser, and float32 throughout.
 *
 * Inputs per side: point coordinates in fixed-stride slots (trajectory t of a block owns points
 * `t * stride .. t * stride + len[t] - 1`; a padding slot has len 0) and one length per slot.
 * Haversine data arrive as float32 offsets `d = u - c` of float64 unit vectors `u` from a common
 * centre `c` (also an argument): the chord between two points, `e = d_q - d_p`, is then exact to
 * float32 rounding of the data's spread rather than of 1, which keeps city-scale distances to
 * centimetres (absolute unit vectors alone would cost ~0.4 m per distance). Euclidean data arrive
 * centred and scaled by a power of two, so nothing overflows or underflows.
 *
 * Why DTW and Fréchet unroll their row. gpu.js has no local arrays beyond 4 elements and every
 * loop needs a bound known at compile time, so the rolling DP row cannot live in an array: it is
 * `K` scalar variables `p1 .. pK`, one per column, with the column loop unrolled in the source
 * (K = 32, 128 or 256, the smallest that holds the longest column trajectory of the call). The row
 * loop is an ordinary loop bounded by `loopMaxIterations`. The row is updated in place: before
 * column j is overwritten it is the previous row's value (`up`), and the previous row's column
 * j - 1 is kept in `diag`.
 */
import { GPUJS_ARC } from '../../backends/gpujs-arc.js';

/** Stands for +infinity in float32 DP cells (GLSL has no infinity literal); results stay far below it. */
export const GPUJS_BIG = 1e30;

/** Ground distance the kernels compute per cell. */
export type GpujsGround = 'haversine' | 'euclidean';

/**
 * Central angle (radians) between unit vectors p and q = p + e, from the chord e and p.
 * Chords below 0.1 (~640 km): 2 asin(|e| / 2) by its series |e| (1 + |e|^2 / 24 + 3 |e|^4 / 640),
 * truncation below 1e-9 relative, no division or branch of arc. Longer: atan2(|p x e|, 1 - |e|^2 / 2)
 * (= atan2(|p x q|, p . q) for unit vectors), well conditioned up to antipodes, where
 * 2 asin(|e| / 2) is not.
 */
const ANGLE = `function angle(ex, ey, ez, px, py, pz) {
  const h = ex * ex + ey * ey + ez * ez;
  let r = 0.0;
  if (h < 0.01) {
    r = Math.sqrt(h) * (1.0 + h * (0.041666668 + h * 0.0046875));
  } else {
    const sx = py * ez - pz * ey;
    const sy = pz * ex - px * ez;
    const sz = px * ey - py * ex;
    r = arc(Math.sqrt(sx * sx + sy * sy + sz * sz), 1.0 - 0.5 * h);
  }
  return r;
}`;

/** Helper functions a kernel of this ground needs (passed to gpu.js as `functions`). */
export function groundFunctions(ground: GpujsGround): string[] {
  return ground === 'haversine' ? [GPUJS_ARC, ANGLE] : [];
}

/** Kernel parameters, in call order, for a ground. */
function params(ground: GpujsGround, band: boolean): string {
  const side = ground === 'haversine' ? 'ax, ay, az, aLen, bx, by, bz, bLen' : 'ax, ay, aLen, bx, by, bLen';
  const centre = ground === 'haversine' ? ', cx, cy, cz' : '';
  return `${side}, aStride, bStride${centre}${band ? ', band' : ''}`;
}

/** Statements that set `d` to the ground distance of row point (dx, dy[, dz]) and column point `q` (an index expression). */
function groundCell(ground: GpujsGround, q: string): string[] {
  if (ground === 'haversine') {
    return [`ex = bx[${q}] - dx;`, `ey = by[${q}] - dy;`, `ez = bz[${q}] - dz;`, 'd = angle(ex, ey, ez, px, py, pz);'];
  }
  return [`ex = bx[${q}] - dx;`, `ey = by[${q}] - dy;`, 'd = Math.sqrt(ex * ex + ey * ey);'];
}

/** Loads row point `i` into dx, dy[, dz] (and p = c + d for haversine). */
function rowPoint(ground: GpujsGround, i: string): string[] {
  const lines = [`const dx = ax[sa + ${i}];`, `const dy = ay[sa + ${i}];`];
  if (ground === 'haversine') lines.push(`const dz = az[sa + ${i}];`, 'const px = cx + dx;', 'const py = cy + dy;', 'const pz = cz + dz;');
  return lines;
}

const HEAD = [
  'const sa = this.thread.y * aStride;',
  'const n = aLen[this.thread.y];',
  'const sb = this.thread.x * bStride;',
  'const m = bLen[this.thread.x];',
];

/**
 * DTW (sum of ground distances along the cheapest warping path; `band` the Sakoe–Chiba half-width,
 * widened to |n - m| as in dtw.ts) or discrete Fréchet (largest ground distance along the best
 * coupling), with the column loop unrolled over `k` columns (column trajectories of <= k points).
 * Returns the distance in radians (haversine) or scaled data units (euclidean).
 */
export function dpSource(measure: 'dtw' | 'frechet', ground: GpujsGround, k: number): string {
  const dtw = measure === 'dtw';
  const out: string[] = [`function (${params(ground, dtw)}) {`, ...HEAD];
  if (dtw) out.push('const w = Math.max(band, Math.abs(n - m));');
  out.push('let p0 = 0.0;');
  for (let j = 1; j <= k; j++) out.push(`let p${j} = ${GPUJS_BIG};`);
  out.push('let up = 0.0;', 'let diag = 0.0;', 'let ex = 0.0;', 'let ey = 0.0;', 'let ez = 0.0;', 'let d = 0.0;');
  out.push('for (let i = 0; i < n; i++) {', ...rowPoint(ground, 'i'));
  // Column 0 is the virtual start: 0 before the first row, +infinity after.
  out.push('diag = p0;', `p0 = ${GPUJS_BIG};`);
  for (let j = 1; j <= k; j++) {
    const best = `Math.min(Math.min(diag, up), p${j - 1})`;
    const cell = [...groundCell(ground, `sb + ${j - 1}`), dtw ? `p${j} = d + ${best};` : `p${j} = Math.max(d, ${best});`];
    out.push(`if (m >= ${j}) {`, `up = p${j};`);
    if (dtw) out.push(`if (Math.abs(i - ${j - 1}) <= w) {`, ...cell, '} else {', `p${j} = ${GPUJS_BIG};`, '}');
    else out.push(...cell);
    out.push('diag = up;', '}');
  }
  out.push('}', 'let r = p1;');
  for (let j = 2; j <= k; j++) out.push(`if (m == ${j}) {`, `r = p${j};`, '}');
  out.push('return r;', '}');
  return out.join('\n');
}

/**
 * Symmetric Hausdorff distance: both directed passes compare squared chords (monotone in the
 * distance, so the same nearest / farthest points), skip a row point once it is nearer than the
 * current worst (as hausdorff.ts does), remember the pair that sets the result, and return that
 * pair's distance (radians or scaled data units).
 */
export function hausdorffSource(ground: GpujsGround): string {
  const hav = ground === 'haversine';
  const sq = (u: string, v: string) =>
    hav
      ? [`ex = bx[${v}] - ax[${u}];`, `ey = by[${v}] - ay[${u}];`, `ez = bz[${v}] - az[${u}];`, 'h = ex * ex + ey * ey + ez * ez;']
      : [`ex = bx[${v}] - ax[${u}];`, `ey = by[${v}] - ay[${u}];`, 'h = ex * ex + ey * ey;'];
  // One directed pass (`k` names its locals): outer over `o` (count `no`), inner over `x` (count `nx`).
  const pass = (k: number, o: string, no: string, x: string, nx: string, seta: string, setb: string) => [
    `for (let ${o} = 0; ${o} < ${no}; ${o}++) {`,
    `let nearest${k} = ${GPUJS_BIG};`,
    `let at${k} = 0;`,
    `for (let ${x} = 0; ${x} < ${nx}; ${x}++) {`,
    ...sq('sa + i', 'sb + j'),
    `if (h < nearest${k}) {`,
    `nearest${k} = h;`,
    `at${k} = ${x};`,
    '}',
    `if (nearest${k} <= worst) {`,
    'break;',
    '}',
    '}',
    `if (nearest${k} > worst) {`,
    `worst = nearest${k};`,
    `${seta};`,
    `${setb};`,
    '}',
    '}',
  ];
  const out = [`function (${params(ground, false)}) {`, ...HEAD];
  out.push('let worst = -1.0;', 'let wi = 0;', 'let wj = 0;', 'let ex = 0.0;', 'let ey = 0.0;', 'let ez = 0.0;', 'let h = 0.0;');
  out.push(...pass(1, 'i', 'n', 'j', 'm', 'wi = i', 'wj = at1'));
  out.push(...pass(2, 'j', 'm', 'i', 'n', 'wj = j', 'wi = at2'));
  // The distance of the pair that sets the result, by the well-conditioned formula.
  out.push(...rowPoint(ground, 'wi'));
  if (hav) out.push('ex = bx[sb + wj] - dx;', 'ey = by[sb + wj] - dy;', 'ez = bz[sb + wj] - dz;', 'return angle(ex, ey, ez, px, py, pz);');
  else out.push('ex = bx[sb + wj] - dx;', 'ey = by[sb + wj] - dy;', 'return Math.sqrt(ex * ex + ey * ey);');
  out.push('}');
  return out.join('\n');
}
