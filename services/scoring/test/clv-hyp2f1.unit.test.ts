import { hyp2f1, hyp2f1ExcessOverB } from '../src/clv/hyp2f1.math';

const relativeError = (actual: number, expected: number) => Math.abs(actual - expected) / Math.abs(expected);

describe('hyp2f1', () => {
  it('matches closed forms across the unit interval, including close to z = 1', () => {
    for (const z of [-0.9, -0.3, 1e-8, 0.1, 0.5, 0.9, 0.99, 0.999]) {
      // 2F1(1, 1; 2; z) = −ln(1−z)/z
      expect(relativeError(hyp2f1(1, 1, 2, z), -Math.log1p(-z) / z)).toBeLessThan(1e-13);
      // 2F1(a, b; b; z) = (1−z)^−a
      expect(relativeError(hyp2f1(0.7, 2.5, 2.5, z), (1 - z) ** -0.7)).toBeLessThan(1e-13);
    }
    for (const s of [0.2, 0.6, 0.95]) {
      // 2F1(½, ½; 3/2; s²) = arcsin(s)/s and 2F1(½, 1; 3/2; −s²) = arctan(s)/s
      expect(relativeError(hyp2f1(0.5, 0.5, 1.5, s * s), Math.asin(s) / s)).toBeLessThan(1e-13);
      expect(relativeError(hyp2f1(0.5, 1, 1.5, -s * s), Math.atan(s) / s)).toBeLessThan(1e-13);
    }
  });

  it('terminates as a polynomial when a is a non-positive integer', () => {
    // 2F1(−2, b; c; z) = 1 − 2bz/c + b(b+1)z²/(c(c+1))
    const [b, c, z] = [1.5, 0.75, 0.6];
    expect(hyp2f1(-2, b, c, z)).toBeCloseTo(1 - (2 * b * z) / c + (b * (b + 1) * z * z) / (c * (c + 1)), 14);
  });

  it('sums past early sign changes of the terms (negative a, b, c)', () => {
    // Euler: 2F1(a, b; c; z) = (1−z)^(c−a−b) 2F1(c−a, c−b; c; z) links two series with different terms.
    const [a, b, c, z] = [-3.4, 2.2, -1.7, 0.45];
    expect(relativeError(hyp2f1(a, b, c, z), (1 - z) ** (c - a - b) * hyp2f1(c - a, c - b, c, z))).toBeLessThan(1e-12);
  });

  it('stops as soon as the terms shrink geometrically, also when a parameter is huge', () => {
    // A BG/NBD fit on data without drop-out drives b to ~1e7; then 2F1(A, B; C; z) has A and C that large.
    // 2F1(A, B; A; z) = (1−z)^−B, summed in a few dozen terms (a loose tail bound would need ~0.3·A terms).
    const [A, B, z] = [5.8e7, -0.99995, 0.3];
    expect(relativeError(hyp2f1(A, B, A, z, { maxTerms: 200 }), (1 - z) ** -B)).toBeLessThan(1e-12);
  });

  it('refuses |z| ≥ 1, a non-positive integer c, and a series that does not converge in budget', () => {
    expect(() => hyp2f1(1, 1, 2, 1)).toThrow(RangeError);
    expect(() => hyp2f1(1, 1, 2, -1.5)).toThrow(RangeError);
    expect(() => hyp2f1(1, 1, -3, 0.5)).toThrow(RangeError);
    expect(() => hyp2f1(1, 1, 2, 0.999, { maxTerms: 100 })).toThrow(/did not converge/);
  });
});

describe('hyp2f1ExcessOverB', () => {
  it('equals (2F1 − 1)/b and has the right limit as b → 0', () => {
    expect(relativeError(hyp2f1ExcessOverB(1.3, 0.4, 2.1, 0.7), (hyp2f1(1.3, 0.4, 2.1, 0.7) - 1) / 0.4)).toBeLessThan(1e-13);
    // d/db 2F1(1, b; 2; z) at b = 0 = Σ z^k / (k(k+1)) = 1 − ln(1−z) + ln(1−z)/z
    for (const z of [0.1, 0.5, 0.95]) {
      const limit = 1 - Math.log1p(-z) + Math.log1p(-z) / z;
      expect(relativeError(hyp2f1ExcessOverB(1, 0, 2, z), limit)).toBeLessThan(1e-13);
      expect(relativeError(hyp2f1ExcessOverB(1, 1e-9, 2, z), limit)).toBeLessThan(1e-8);
    }
  });
});
