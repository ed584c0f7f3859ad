import type { BgNbdParams, CustomerSummary } from './bg-nbd.model';
import type { SpendSummary } from './calibration.summary';
import type { GammaGammaParams } from './gamma-gamma.model';

// Bound once: a global lookup per call is ~10x slower under jest's vm sandbox (and free elsewhere).
const { cos, floor, imul, log, sqrt, PI } = Math;

/** Uniform numbers in [0, 1). */
export type Random = () => number;

/**
 * Seeded generator for reproducible simulations (mulberry32: 32-bit state, fast, good enough for Monte
 * Carlo checks of model fits; not for anything security-related).
 */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Gamma(shape, rate) by Marsaglia & Tsang (2000); shapes below 1 via Gamma(shape+1)·U^(1/shape). */
export function sampleGamma(shape: number, rate: number, random: Random): number {
  if (shape < 1) return sampleGamma(shape + 1, rate, random) * (1 - random()) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / sqrt(9 * d);
  for (;;) {
    const z = sampleNormal(random);
    const v = (1 + c * z) ** 3;
    if (v <= 0) continue;
    const u = 1 - random();
    if (log(u) < (z * z) / 2 + d - d * v + d * log(v)) return (d * v) / rate;
  }
}

export function sampleBeta(a: number, b: number, random: Random): number {
  const g = sampleGamma(a, 1, random);
  return g / (g + sampleGamma(b, 1, random));
}

function sampleNormal(random: Random): number {
  // Box-Muller; 1 − U keeps the logarithm's argument in (0, 1].
  return sqrt(-2 * log(1 - random())) * cos(2 * PI * random());
}

/**
 * Draws customers from the BG/NBD process: λ ~ Gamma(r, α), p ~ Beta(a, b), purchases at rate λ after the
 * first one at time 0, dropping out with probability p after each repeat purchase, observed for `age`.
 * With `resolution` > 0, purchase times are floored to that grid and same-slot purchases merged, as
 * calendar-day data would be (e.g. 1/7 when the unit is weeks).
 */
export function simulateBgNbd(
  params: BgNbdParams,
  ages: readonly number[],
  random: Random,
  resolution = 0,
): CustomerSummary[] {
  const slot = (t: number) => (resolution > 0 ? floor(t / resolution) * resolution : t);
  const gap = (lambda: number) => -log(1 - random()) / lambda;
  return ages.map((T) => {
    const lambda = sampleGamma(params.r, params.alpha, random);
    const dropout = sampleBeta(params.a, params.b, random);
    let x = 0;
    let tx = 0;
    for (let t = gap(lambda); t <= T; t += gap(lambda)) {
      const time = slot(t);
      if (time > tx) {
        x++;
        tx = time;
      }
      if (random() < dropout) break;
    }
    return { x, tx, T };
  });
}

/** Draws each customer's mean spend m̄ over x transactions from the Gamma-Gamma model (x = 0 gives 0). */
export function simulateGammaGammaSpend(params: GammaGammaParams, xs: readonly number[], random: Random): SpendSummary[] {
  return xs.map((x) => {
    if (x === 0) return { x, meanValue: 0 };
    const nu = sampleGamma(params.q, params.gamma, random);
    // A sum of x Gamma(p, ν) values is Gamma(px, ν).
    return { x, meanValue: sampleGamma(params.p * x, nu, random) / x };
  });
}
