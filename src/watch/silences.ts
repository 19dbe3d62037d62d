import type { ConfigSilence } from '../config/silence-schema.js';

// Pure: which silence covers a customer now. Silences come from two places, the ops database (`/scorecard-gap
// silence`) and the config file (`silences:`); both become ActiveSilence, and "all" covers every customer.

export interface ActiveSilence {
  /** The ops database's id ("12"); null for a silence from the config file (it cannot be ended from Slack). */
  id: string | null;
  customer: string;
  from: Date;
  to: Date;
  reason: string;
  /** Who silenced it (a Slack user id); null for the config file. */
  by: string | null;
}

export function fromConfig(list: readonly ConfigSilence[]): ActiveSilence[] {
  return list.map((s) => ({ id: null, customer: s.customer, from: new Date(s.from), to: new Date(s.to), reason: s.reason, by: null }));
}

/** The silences in force at `now`, soonest end first. */
export function activeAt(silences: readonly ActiveSilence[], now: Date): ActiveSilence[] {
  const t = now.getTime();
  return silences.filter((s) => s.from.getTime() <= t && t < s.to.getTime()).sort((a, b) => a.to.getTime() - b.to.getTime());
}

/** The silence covering `customer` at `now` that lasts longest (the one to name), or null. */
export function coveringSilence(silences: readonly ActiveSilence[], customer: string, now: Date): ActiveSilence | null {
  const covering = activeAt(silences, now).filter((s) => s.customer === customer || s.customer === 'all');
  return covering.at(-1) ?? null;
}
