import { createHash } from 'node:crypto';
import { DAY_MS, HOUR_MS } from './numbers.js';

// Member i (1-based) of a cohort gets every attribute from h = md5(`${cohortKey}|${i}`). The loader computes them in
// SQL (memberSql below) and the ground truth recomputes the few it names (first missing) here; both use integer
// arithmetic only, so the two agree to the millisecond. Keep the pairs in step.

export const md5 = (text: string): string => createHash('md5').update(text).digest('hex');

const HOUR_SPAN = HOUR_MS - 2; // created_at lies strictly inside its hour: BETWEEN-style hour queries stay exact

/** Member i's created_at: evenly spread over the hour in creation order, jittered by 16 bits of its hash. */
export function memberCreatedMs(hourStartMs: number, count: number, i: number, h: string): number {
  const x = BigInt(parseInt(h.slice(0, 4), 16));
  const offset = ((BigInt(i - 1) * 65536n + x) * BigInt(HOUR_SPAN)) / (BigInt(count) * 65536n);
  return hourStartMs + 1 + Number(offset);
}

/** submitted_at falls on created date + delay days, later that day than created_at's time of day. */
export function memberSubmittedMs(createdMs: number, delayDays: number, h: string): number {
  const dayEnd = createdMs - (createdMs % DAY_MS) + DAY_MS;
  const x = BigInt(parseInt(h.slice(20, 28), 16));
  const within = (x * BigInt(dayEnd - createdMs - 1)) / 4294967296n;
  return createdMs + delayDays * DAY_MS + 1 + Number(within);
}

const VARIANT = '89ab';

/** UUIDv7 shape: the first 48 bits are created_at in ms, the rest comes from the hash. */
export function uuid7(createdMs: number, h: string): string {
  const t = createdMs.toString(16).padStart(12, '0');
  const variant = VARIANT[parseInt(h.charAt(7), 16) & 3] ?? '8';
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${h.slice(4, 7)}-${variant}${h.slice(8, 11)}-${h.slice(11, 23)}`;
}

/** UUIDv4 shape for conversations, a different permutation of the same hash (120 bits of it, so unique too). */
export function conversationUuid(h: string): string {
  const variant = VARIANT[parseInt(h.charAt(12), 16) & 3] ?? '8';
  return `${h.slice(16, 24)}-${h.slice(24, 28)}-4${h.slice(28, 31)}-${variant}${h.slice(12, 15)}-${h.slice(0, 12)}`;
}

/** A stable id for a named thing (templates, named scorecards' conversations): a v4-shaped md5. */
export function stableUuid(text: string): string {
  const h = md5(text);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${VARIANT[parseInt(h.charAt(16), 16) & 3]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Score count of member i: cycles through [min, max] with a per-cohort salt, so sums are known without hashing. */
export function memberScoreCount(min: number, max: number, salt: number, i: number): number {
  return min + ((i * 7 + salt) % (max - min + 1));
}

export function cohortScoreSum(min: number, max: number, salt: number, count: number): number {
  const range = max - min + 1;
  let cycle = 0;
  for (let i = 1; i <= range; i++) cycle += memberScoreCount(min, max, salt, i);
  let sum = Math.floor(count / range) * cycle;
  for (let i = 1; i <= count % range; i++) sum += memberScoreCount(min, max, salt, i);
  return sum;
}

// ---- the same formulas in SQL (expressions over a hash column `h`, 1-based `i`, bigint ms) ----

const hexInt = (h: string, from: number, len: number): string =>
  `('x' || substr(${h}, ${from}, ${len}))::bit(${len * 4})::bigint`;

export function createdMsSql(hourMs: string, count: string, i: string, h: string): string {
  return `(${hourMs} + 1 + ((((${i})::bigint - 1) * 65536 + ${hexInt(h, 1, 4)}) * ${HOUR_SPAN}) / ((${count})::bigint * 65536))`;
}

export function submittedMsSql(createdMs: string, delay: string, h: string): string {
  return `((${createdMs}) + (${delay})::bigint * ${DAY_MS} + 1 + (${hexInt(h, 21, 8)} * (${DAY_MS} - (${createdMs}) % ${DAY_MS} - 1)) / 4294967296)`;
}

export function uuid7Sql(createdMs: string, h: string): string {
  const t = `lpad(to_hex(${createdMs}), 12, '0')`;
  return `(substr(${t}, 1, 8) || '-' || substr(${t}, 9, 4) || '-7' || substr(${h}, 5, 3) || '-' || substr('89ab', (${hexInt(h, 8, 1)} & 3)::int + 1, 1) || substr(${h}, 9, 3) || '-' || substr(${h}, 12, 12))`;
}

export function conversationUuidSql(h: string): string {
  return `(substr(${h}, 17, 8) || '-' || substr(${h}, 25, 4) || '-4' || substr(${h}, 29, 3) || '-' || substr('89ab', (${hexInt(h, 13, 1)} & 3)::int + 1, 1) || substr(${h}, 13, 3) || '-' || substr(${h}, 1, 12))`;
}

export function scoreCountSql(min: string, max: string, salt: string, i: string): string {
  return `(${min} + ((${i} * 7 + ${salt}) % (${max} - ${min} + 1)))`;
}
