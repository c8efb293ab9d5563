/*
 * Seeded randomness for the generator: same seed, same bytes, on every machine. mulberry32 is
 * small and fast; this is for test data, not for anything secret.
 */

import { mulberry32, type Random } from '../../platform/prng.js';

export { mulberry32, type Random };

/** Zipf-like sampler over 1..n (weight 1/k^s): a few items come up in most draws. */
export function zipf(n: number, s: number, random: Random): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 1; k <= n; k++) cdf[k - 1] = sum += 1 / k ** s;
  return () => {
    const x = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
}
