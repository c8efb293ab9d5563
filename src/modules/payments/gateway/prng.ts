/*
 * Deterministic randomness for the gateway simulator. Every decision is drawn from a stream keyed
 * by (seed, what, id), never from one shared stream, so a payment's outcome does not depend on
 * how many other payments ran before it or in which order: re-running an import with the same
 * seed reproduces every outcome.
 */

import { mulberry32, type Random } from '../../../platform/prng.js';

export { mulberry32, type Random };


/*
 * cyrb128: a fast 128-bit string hash (not cryptographic). SHA-256 was the first choice but cost
 * ~8us a call, which dominated a 100k-row bulk authorization; nothing here needs secrecy.
 */
function hash128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

// A separator that cannot appear in a decimal seed keeps ("1", "2x") and ("12", "x") apart.
function digest(seed: number, keys: readonly string[]): [number, number, number, number] {
  return hash128(`${seed}\u0000${keys.join('\u0000')}`);
}

/** An independent random stream for (seed, ...keys). */
export function streamFor(seed: number, ...keys: string[]): Random {
  return mulberry32(digest(seed, keys)[0]);
}

/**
 * A stable identifier such as `evt_3f2a...`: 96 hash bits, so a million events have no
 * realistic chance of colliding (a 32-bit hash would collide after ~65k).
 */
export function stableId(prefix: string, seed: number, ...keys: string[]): string {
  const [, a, b, c] = digest(seed, keys);
  return `${prefix}_${hex32(a)}${hex32(b)}${hex32(c)}`;
}

// In 16-bit halves: toString(16) on a number above 2^31 takes V8's slow double path (~2us).
function hex32(n: number): string {
  return (n >>> 16).toString(16).padStart(4, '0') + (n & 0xffff).toString(16).padStart(4, '0');
}

/** Uniform integer in [min, max]. */
export function between(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

/** Pick by weight; weights need not sum to 1. */
export function pickWeighted<T>(random: Random, items: readonly { value: T; weight: number }[]): T {
  const total = items.reduce((sum, item) => sum + item.weight, 0);
  let roll = random() * total;
  for (const item of items) {
    roll -= item.weight;
    if (roll < 0) return item.value;
  }
  const last = items[items.length - 1];
  if (!last) throw new Error('pickWeighted needs at least one item');
  return last.value;
}
