import type { ThreadPublisher } from '../slack/thread-publisher.js';
import type { AlertStore, StoredAlert } from './alert-store.js';
import { kindsOf, type AlertProblem } from './problems.js';
import { rateLevel } from './alert-rules.js';
import { silenceEndedMessage, withSilenceEnded } from './silence-blocks.js';
import type { SilenceStore } from './silence-store.js';

// What an audit does about silences (the audit calls these at three well-delimited points): while a silence covers
// a customer its problems are recorded and counted but nothing is posted, and each open one is marked as held;
// once the silence is over, a held problem still open gets ONE message (the alert's first post saying so, or a
// line in its thread), after which it behaves like any other alert.

export interface SilenceAuditDeps {
  silences: SilenceStore;
  store: AlertStore;
  publisher: ThreadPublisher;
}

/** During a silence: the open alert is marked as held; the caller posts nothing for it. */
export async function holdForSilence(silences: SilenceStore, row: StoredAlert): Promise<void> {
  if (row.status === 'open') await silences.hold(row.id);
}

/**
 * After a silence, for an alert already announced (it has a thread): one message in its thread with the numbers
 * now, recorded as told so no "Worse" repeats it. false when no silence held it (or another process said it).
 */
export async function sayStillOpen(deps: SilenceAuditDeps, row: StoredAlert, p: AlertProblem): Promise<boolean> {
  if (!row.threadTs) return false;
  const since = await deps.silences.takeHeld(row.id);
  if (!since) return false;
  const was = { missing: row.toldMissing, level: row.toldLevel, kinds: row.toldKinds };
  const now = { missing: p.missing, level: rateLevel(p.rate), kinds: [...new Set([...was.kinds, ...kindsOf(p.findings)])] };
  try {
    await deps.publisher.postInThread(row.channel, row.threadTs, silenceEndedMessage({ customer: row.customer, population: row.population, missing: p.missing, total: p.total, silencedAt: since }, was.missing));
  } catch (err) {
    await deps.silences.restoreHeld(row.id, since).catch(() => undefined);
    throw err;
  }
  await deps.store.told(row.id, now, was);
  return true;
}

/**
 * The first post of an alert: if a silence held it, the message says the silence ended. Returns the message and
 * what to do if posting it fails (put the mark back, so the next try says it again).
 */
export async function announcementAfterSilence<M extends { text: string; blocks?: unknown[] }>(
  silences: SilenceStore | null | undefined,
  alert: StoredAlert,
  message: M,
): Promise<{ message: M; undo: () => Promise<void> }> {
  const since = silences ? await silences.takeHeld(alert.id) : null;
  if (!silences || !since) return { message, undo: async () => undefined };
  return { message: withSilenceEnded(message, { customer: alert.customer, silencedAt: since }), undo: () => silences.restoreHeld(alert.id, since) };
}

/** The summary of alerts over the hourly allowance: if a silence held any of them, it says the silence ended. */
export async function summaryAfterSilence<M extends { text: string; blocks?: unknown[] }>(
  silences: SilenceStore | null | undefined,
  alerts: readonly StoredAlert[],
  message: M,
): Promise<{ message: M; undo: () => Promise<void> }> {
  if (!silences) return { message, undo: async () => undefined };
  const held: { alert: StoredAlert; since: string }[] = [];
  for (const alert of alerts) {
    const since = await silences.takeHeld(alert.id);
    if (since) held.push({ alert, since });
  }
  if (held.length === 0) return { message, undo: async () => undefined };
  const customers = [...new Set(held.map((h) => h.alert.customer))].join(', ');
  const since = held.map((h) => h.since).sort()[0]!;
  return {
    message: withSilenceEnded(message, { customer: customers, silencedAt: since }, held.length === 1 ? 'this problem is' : 'these problems are'),
    undo: async () => {
      for (const h of held) await silences.restoreHeld(h.alert.id, h.since);
    },
  };
}
