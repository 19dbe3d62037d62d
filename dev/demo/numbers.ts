// Small deterministic helpers for the plan: keyed PRNGs (so a number never depends on iteration order or on which
// customers/dates were asked for), largest-remainder apportionment, and UTC calendar arithmetic on epoch ms.

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** FNV-1a, 32 bits. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32 seeded by (seed, key): a stream of floats in [0, 1) that only depends on its key. */
export function keyedRandom(seed: number, key: string): () => number {
  return mulberry32(hash32(key) ^ Math.imul(seed >>> 0, 0x9e3779b1));
}

/** mulberry32: a tiny seeded PRNG, floats in [0, 1). */
export function mulberry32(state: number): () => number {
  let a = state >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Splits `total` into integers proportional to `weights` (largest remainder), never giving a part more than its cap.
 * Exact when the weights are integers summing to `total` (scale 1 reproduces its input).
 */
export function apportion(total: number, weights: readonly number[], caps?: readonly number[]): number[] {
  const out = weights.map(() => 0);
  if (total === 0) return out;
  if (!Number.isInteger(total) || total < 0) throw new Error(`apportion: bad total ${total}`);
  const open = new Set<number>();
  weights.forEach((w, i) => {
    if (w > 0 && (caps === undefined || (caps[i] ?? 0) > 0)) open.add(i);
  });
  let left = total;
  // Water-filling: parts whose proportional share exceeds their cap are fixed at the cap, the rest re-split.
  for (;;) {
    if (open.size === 0) throw new Error(`apportion: cannot place ${left} of ${total} (no capacity)`);
    const sum = [...open].reduce((s, i) => s + (weights[i] ?? 0), 0);
    let saturated = false;
    for (const i of open) {
      const cap = caps?.[i] ?? Infinity;
      if ((left * (weights[i] ?? 0)) / sum >= cap) {
        out[i] = cap;
        left -= cap;
        open.delete(i);
        saturated = true;
      }
    }
    if (!saturated) break;
    if (left === 0) return out;
  }
  const sum = [...open].reduce((s, i) => s + (weights[i] ?? 0), 0);
  const fractions: [number, number][] = [];
  let placed = 0;
  for (const i of open) {
    const quota = (left * (weights[i] ?? 0)) / sum;
    const base = Math.floor(quota);
    out[i] = base;
    placed += base;
    fractions.push([i, quota - base]);
  }
  fractions.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  for (let k = 0; k < left - placed; k++) {
    const entry = fractions[k % fractions.length];
    if (entry) out[entry[0]] = (out[entry[0]] ?? 0) + 1;
  }
  return out;
}

export function dayMs(date: string): number {
  const ms = Date.parse(`${date}T00:00:00.000Z`);
  if (Number.isNaN(ms)) throw new Error(`bad date ${date}`);
  return ms;
}

export function hourMs(at: string): number {
  const ms = Date.parse(`${at}:00:00.000Z`);
  if (Number.isNaN(ms)) throw new Error(`bad hour ${at}`);
  return ms;
}

export const isoOf = (ms: number): string => new Date(ms).toISOString();
export const dateOf = (ms: number): string => isoOf(ms).slice(0, 10);
export const hourOf = (ms: number): string => isoOf(ms).slice(0, 13);
export const monthOf = (ms: number): string => isoOf(ms).slice(0, 7);

/** Days [from, to) as epoch ms. */
export function daysBetween(from: string, to: string): number[] {
  const out: number[] = [];
  for (let d = dayMs(from); d < dayMs(to); d += DAY_MS) out.push(d);
  return out;
}

export function monthDays(month: string): number[] {
  const start = dayMs(`${month}-01`);
  const next = new Date(start);
  next.setUTCMonth(next.getUTCMonth() + 1);
  return daysBetween(month + '-01', dateOf(next.getTime()));
}
