/**
 * A float32 atan2 for gpu.js shaders, as kernel source. GLSL ES gives atan no required precision:
 * with it, the geo haversine kernel (src/backends/gpujs.ts) missed its tolerance by up to 2.6x on
 * Mesa's software rasteriser (headless GL under Xvfb), where the trajectory kernels, already on
 * this function, passed theirs. Both now use it (trajectory: src/kernels/trajectory/gpujs-shaders.ts).
 */

/**
 * atan2(s, c) for s >= 0, in [0, pi], from arithmetic only (the webasm mode would otherwise
 * call the host's Math.atan2 once per cell, measured 3x slower). Octant reduction to |t| <= 1,
 * then atan(t) = pi/4 + atan((t - 1) / (t + 1)) above tan(pi/8), then t * P(t^2) with P of degree 4
 * fitted for least maximal relative error on [0, tan(pi/8)] (1.8e-8 in float64; 1.2e-7 once
 * evaluated in float32, i.e. float32 rounding dominates).
 */
export const GPUJS_ARC = `function arc(s, c) {
  const ac = Math.abs(c);
  let t = 0.0;
  if (s > ac) {
    t = ac / s;
  } else {
    if (ac > 0.0) {
      t = s / ac;
    }
  }
  let base = 0.0;
  if (t > 0.41421356) {
    t = (t - 1.0) / (t + 1.0);
    base = 0.78539816;
  }
  const t2 = t * t;
  let a = base + t * (0.999999982 + t2 * (-0.333327994 + t2 * (0.199744737 + t2 * (-0.138521141 + t2 * 0.0798680362))));
  if (s > ac) {
    a = 1.5707964 - a;
  }
  if (c < 0.0) {
    a = 3.1415927 - a;
  }
  return a;
}`;
