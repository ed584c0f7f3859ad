// Hot loop: globals are bound once, since a global lookup per call is ~10x slower under jest's vm
// sandbox (and free elsewhere).
const { abs, exp, log1p, max } = Math;
const NEGATIVE_INFINITY = -Infinity;

/** log(e^u + e^v) without overflow; either side may be -Infinity (an absent term). */
export function logAddExp(u: number, v: number): number {
  const high = max(u, v);
  if (high === NEGATIVE_INFINITY) return NEGATIVE_INFINITY;
  return high + log1p(exp(-abs(u - v)));
}

/** log(1 + e^u): exact for large u, where 1 + e^u would overflow or swallow the 1. */
export function log1pExp(u: number): number {
  return u > 0 ? u + log1p(exp(-u)) : log1p(exp(u));
}

/** expm1(u) / u with its limit 1 at u = 0 (expm1 itself is accurate for tiny u). */
export function expm1OverX(u: number): number {
  return u === 0 ? 1 : Math.expm1(u) / u;
}
