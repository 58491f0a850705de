/** Small order statistics for benchmark samples. */

/** The q-quantile (0..1) of `xs` by linear interpolation between closest ranks; NaN when empty. */
export function quantile(xs, q) {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

export const median = (xs) => quantile(xs, 0.5);

/** {n, median, p10, p90, min, max} of `xs`. */
export function summary(xs) {
  return {
    n: xs.length,
    median: median(xs),
    p10: quantile(xs, 0.1),
    p90: quantile(xs, 0.9),
    min: xs.length ? Math.min(...xs) : Number.NaN,
    max: xs.length ? Math.max(...xs) : Number.NaN,
  };
}

/** Element-wise a[i] / b[i] over the runs where both exist (ratios taken within one run). */
export function pairedRatios(a, b) {
  const out = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (Number.isFinite(a[i]) && Number.isFinite(b[i]) && b[i] !== 0) out.push(a[i] / b[i]);
  }
  return out;
}
