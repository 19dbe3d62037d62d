import type { WatchAudit } from '../config/watch-schema.js';
import type { Logger } from '../shared/logger.js';
import type { ThreadPublisher } from '../slack/thread-publisher.js';
import { customerAuditFailedMessage, customerAuditWorksAgainMessage } from './health-messages.js';
import type { WatchHealthStore } from './health-store.js';

// A customer whose audit fails is said once in the audit's channel ("Audit of acme failed: The database of acme
// refused the login …"), then nothing until it works again (one line). The state is in the ops database, so two
// workers, or every run of an hourly audit, never repeat it.

export interface FailureNoticeDeps {
  health?: WatchHealthStore | null;
  publisher: ThreadPublisher;
  gap: { logger: Logger };
}

export async function noticeCustomerFailure(deps: FailureNoticeDeps, audit: Pick<WatchAudit, 'name' | 'channel'>, customer: string, reason: string): Promise<void> {
  const health = deps.health;
  if (!health) return;
  try {
    if (!(await health.claimFailure(audit.name, customer, reason))) return;
    try {
      await deps.publisher.postRoot(audit.channel, customerAuditFailedMessage(audit.name, customer, reason));
    } catch (err) {
      // Not posted, so not told: the next failing run tries again.
      await health.unclaimFailure(audit.name, customer).catch(() => undefined);
      throw err;
    }
  } catch (err) {
    deps.gap.logger.warn({ err, audit: audit.name, customer }, 'watch: could not post that a customer audit failed');
  }
}

export async function noticeCustomerRecovery(deps: FailureNoticeDeps, audit: Pick<WatchAudit, 'name' | 'channel'>, customer: string): Promise<void> {
  const health = deps.health;
  if (!health) return;
  try {
    if (!(await health.claimRecovery(audit.name, customer))) return;
    await deps.publisher.postRoot(audit.channel, customerAuditWorksAgainMessage(audit.name, customer));
  } catch (err) {
    deps.gap.logger.warn({ err, audit: audit.name, customer }, 'watch: could not post that a customer audit works again');
  }
}
