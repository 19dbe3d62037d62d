import type { SlackSettings } from '../config/schema.js';
import type { OpsStore } from '../ops/ops-store.js';
import type { Logger } from '../shared/logger.js';
import type { ThreadPublisher } from '../slack/thread-publisher.js';
import type { BackfillService } from './service.js';
import type { BackfillStore } from './store.js';
import type { UsergroupResolver } from '../slack/usergroups.js';

// Types only: the request handlers and the decision handlers share these, and neither imports the other for them.

export interface BackfillActionDeps {
  service: BackfillService;
  store: BackfillStore;
  ops: Pick<OpsStore, 'getRun'>;
  publisher: ThreadPublisher;
  /** Enqueues the job of an approved request (jobId = request ID, so twice is once). */
  enqueue(requestId: string): Promise<void>;
  /** Enqueues the plan job of a request in planning (jobId = request ID). */
  enqueuePlan(requestId: string): Promise<void>;
  usergroups: UsergroupResolver;
  slack: SlackSettings;
  logger: Logger;
  now?: () => Date;
}
