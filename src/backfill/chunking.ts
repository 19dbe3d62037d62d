// Chunks are ranges of the plan's write sequence (items seq 0..n-1): chunk k is [k*size, (k+1)*size).
// A checkpoint names a chunk number, so a resumed job knows exactly which seq range comes next.

export interface ChunkRange {
  chunk: number;
  fromSeq: number;
  toSeq: number; // exclusive
}

export function chunkCount(items: number, size: number): number {
  if (!Number.isInteger(size) || size < 1) throw new Error(`chunk size must be a positive integer, got ${size}`);
  return Math.ceil(items / size);
}

export function chunkRange(chunk: number, items: number, size: number): ChunkRange {
  const fromSeq = chunk * size;
  return { chunk, fromSeq, toSeq: Math.min(items, fromSeq + size) };
}

/** The chunks still to do after the given checkpoints (any order, gaps allowed: a retried chunk may land late). */
export function remainingChunks(items: number, size: number, done: Iterable<number>): number[] {
  const doneSet = new Set(done);
  const out: number[] = [];
  for (let k = 0; k < chunkCount(items, size); k++) if (!doneSet.has(k)) out.push(k);
  return out;
}

/** How long to wait after writing `rows` in `elapsedMs` so the average stays at or under `maxPerSecond`. */
export function rateDelayMs(rows: number, elapsedMs: number, maxPerSecond: number | undefined): number {
  if (!maxPerSecond) return 0;
  return Math.max(0, Math.ceil((rows / maxPerSecond) * 1000 - elapsedMs));
}

/** Exponential backoff for chunk retries: base, 2*base, 4*base ... */
export const backoffMs = (attempt: number, baseMs: number): number => baseMs * 2 ** Math.max(0, attempt - 1);
