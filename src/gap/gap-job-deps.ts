import type { GapSettings } from '../config/schema.js';
import type { ChangesLoader } from '../changes/loader.js';
import type { OpsStore } from '../ops/ops-store.js';
import type { ClickhouseTiers } from '../sources/clickhouse-tiers.js';
import type { CustomerSources } from '../sources/customer-sources.js';
import type { Logger } from '../shared/logger.js';
import type { ThreadPublisher } from '../slack/thread-publisher.js';
import type { FlowQueues } from './jobs/flow-progress.js';
import type { ProgressReporter } from './jobs/progress-reporter.js';
import type { RunState } from './jobs/run-state.js';
import type { GapReport } from './core/report.js';

// Types only: the processors and the report publisher both take these, and neither imports the other for them.

/** What the gap's wiring hands the workers. */
export interface GapJobDeps {
  sources: CustomerSources;
  clickhouse: ClickhouseTiers | null;
  settings: GapSettings;
  logger: Logger;
  publisher: ThreadPublisher;
  runState: RunState;
  ops: OpsStore | null;
  renderChart: ((report: GapReport) => Promise<Buffer>) | null;
  /** Change sources for "What changed around then" (issue 12); absent: no such section. */
  changes?: ChangesLoader;
  /** slack.csvMaxRows: the most rows the thread's CSV holds (the Slack SDK reads an upload into memory whole). */
  csvMaxRows?: number;
}

/** Plus what the workers add: the flow's queues (to count progress) and the fire-and-forget progress edits. */
export interface WorkerDeps extends GapJobDeps {
  queues: FlowQueues;
  progress: ProgressReporter;
}

