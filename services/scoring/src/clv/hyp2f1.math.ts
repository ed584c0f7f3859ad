// Hot loop: Math's functions are bound once, since a global lookup per call is ~10x slower under
// jest's vm sandbox (and free elsewhere).
const { abs, max, min } = Math;

export interface SeriesOptions {
  relativeTolerance?: number;
  maxTerms?: number;
}

const DEFAULTS = { relativeTolerance: 1e-15, maxTerms: 5_000_000 };

/**
 * Gaussian hypergeometric function 2F1(a, b; c; z) by its power series, for real -1 < z < 1.
 *
 * Term k+1 = term k · (a+k)(b+k) z / ((c+k)(k+1)). The sum stops once the current term, together with a
 * bound on everything after it, is below `relativeTolerance` of the sum; if that does not happen within
 * `maxTerms` terms (z very close to ±1) it throws instead of returning a truncated value.
 */
export function hyp2f1(a: number, b: number, c: number, z: number, options: SeriesOptions = {}): number {
  if (z === 0) return 1;
  return 1 + sumFrom(a * b * z / c, a, b, c, z, options);
}

/**
 * (2F1(a, b; c; z) − 1) / b, summed directly so it stays exact as b → 0 (every term of 2F1 − 1
 * carries the factor b). BG/NBD's conditional expectation needs exactly this to be stable near a = 1.
 */
export function hyp2f1ExcessOverB(a: number, b: number, c: number, z: number, options: SeriesOptions = {}): number {
  if (z === 0) return 0;
  return sumFrom(a * z / c, a, b, c, z, options);
}

/** Sums term_1 + term_2 + ... of the 2F1 series, given term_1 (possibly scaled by a constant). */
function sumFrom(first: number, a: number, b: number, c: number, z: number, options: SeriesOptions): number {
  const { relativeTolerance, maxTerms } = { ...DEFAULTS, ...options };
  if (!(abs(z) < 1)) throw new RangeError(`hyp2f1: the series needs |z| < 1, got z = ${z}`);
  if (Number.isInteger(c) && c <= 0) throw new RangeError(`hyp2f1: c must not be 0 or a negative integer, got ${c}`);
  if (![a, b, c, z].every(Number.isFinite)) return NaN;

  // Past this index every Pochhammer factor is positive, so the ratio below is z times a product of two
  // fractions, each monotone towards 1, and max(fraction, 1) bounds each for all later terms: the rest of the
  // series is bounded by a geometric tail. Either numerator may pair with either denominator; the tighter
  // pairing matters when a or b is huge (a model with b ~ 1e7 would otherwise sum millions of terms).
  // Before that index a tiny term can be followed by larger ones.
  const settled = max(0, -a, -b, -c) + 1;
  let term = first;
  let sum = first;
  for (let k = 1; k < maxTerms; k++) {
    if (term === 0) return sum; // a or b is a non-positive integer: the series is a polynomial
    term *= ((a + k) * (b + k) * z) / ((c + k) * (k + 1));
    sum += term;
    if (k >= settled) {
      const rho =
        abs(z) *
        min(
          max((a + k + 1) / (k + 2), 1) * max((b + k + 1) / (c + k + 1), 1),
          max((a + k + 1) / (c + k + 1), 1) * max((b + k + 1) / (k + 2), 1),
        );
      if (rho < 1 && (abs(term) * rho) / (1 - rho) <= relativeTolerance * abs(sum)) return sum;
    }
  }
  throw new RangeError(`hyp2f1: series did not converge in ${maxTerms} terms (a=${a}, b=${b}, c=${c}, z=${z})`);
}
