import type pg from 'pg';
import type { WatchAudit } from '../config/watch-schema.js';
import type { Logger } from '../shared/logger.js';
import type { ThreadPublisher } from '../slack/thread-publisher.js';
import type { AlertStore, StoredAlert } from './alert-store.js';
import { digestMessage, type DigestProblem } from './digest-blocks.js';
import type { SilenceStore } from './silence-store.js';
import { coveringSilence } from './silences.js';

// The daily digest (watch[].digest: "09:00"): a BullMQ job scheduler per audit fires it (digest-schedules.ts); a
// claim in the ops database keyed by audit and UTC day (scorecard_bot.watch_digests) makes it post exactly once,
// whichever process and however many retries run it. A failed post gives the claim back for the retry.

export interface DigestDeps {
  pool: pg.Pool;
  store: AlertStore;
  publisher: ThreadPublisher;
  silences: SilenceStore | null;
  /** The customers an audit of all customers covers (the configured ones). */
  customers: readonly string[];
  /** Mentions of a customer's owners for this audit ('' for nobody): owners.ts. */
  owners?: (customer: string) => string;
  logger: Logger;
  now: () => Date;
}

const D = 'scorecard_bot.watch_digests';

export interface DigestOutcome {
  posted: boolean;
  day: string;
  ts?: string;
  problems?: number;
  healthy?: number;
}

export async function runDigest(deps: DigestDeps, audit: WatchAudit): Promise<DigestOutcome> {
  const now = deps.now();
  const day = now.toISOString().slice(0, 10);
  const { rowCount } = await deps.pool.query(`INSERT INTO ${D} (audit, day) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [audit.name, day]);
  if ((rowCount ?? 0) === 0) {
    deps.logger.info({ audit: audit.name, day }, 'watch: digest already posted today; skipped');
    return { posted: false, day };
  }
  try {
    const customers = audit.customers.length > 0 ? audit.customers : deps.customers;
    const [open, audits, silences] = await Promise.all([deps.store.openAlerts(audit.name), deps.store.lastAudits(), deps.silences?.active(now) ?? Promise.resolve([])]);
    const alerts = open.filter((a) => customers.includes(a.customer));
    const problems = alerts.map((a: StoredAlert): DigestProblem => ({
      customer: a.customer,
      population: a.population,
      start: a.start,
      missing: a.missing,
      total: a.total,
      channel: a.channel,
      threadTs: a.threadTs,
      acknowledgedBy: a.ackedBy,
      owners: deps.owners?.(a.customer) ?? '',
      silenced: coveringSilence(silences, a.customer, now) !== null,
    }));
    const last = new Map(audits.filter((a) => a.audit === audit.name).map((a) => [a.customer, a]));
    const withProblem = new Set(alerts.map((a) => a.customer));
    const rest = customers.filter((c) => !withProblem.has(c));
    const healthy = rest.filter((c) => last.has(c) && !last.get(c)!.error);
    const message = digestMessage({
      audit: audit.name,
      day,
      problems,
      healthy,
      failed: rest.filter((c) => last.get(c)?.error),
      unaudited: rest.filter((c) => !last.has(c)),
    });
    const ts = await deps.publisher.postRoot(audit.channel, message);
    await deps.pool.query(`UPDATE ${D} SET posted_ts = $3 WHERE audit = $1 AND day = $2`, [audit.name, day, ts]);
    deps.logger.info({ audit: audit.name, day, problems: problems.length }, 'watch: digest posted');
    return { posted: true, day, ts, problems: problems.length, healthy: healthy.length };
  } catch (err) {
    // Not posted: the claim goes back, so the job's retry (or tomorrow's run) is not refused.
    await deps.pool.query(`DELETE FROM ${D} WHERE audit = $1 AND day = $2 AND posted_ts IS NULL`, [audit.name, day]).catch(() => undefined);
    throw err;
  }
}
