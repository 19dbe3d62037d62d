import type { Platform } from '../platform/platform.js';
import type { SlackSurface } from '../slack/routes.js';
import { DEFAULT_CHECK_TIMEOUT_MS } from './check-service.js';
import { checkSlashCommand } from './check-slack.js';

// /scorecard-check in serve: read-only, answered in the request itself; no jobs, nothing to close.

export function wireCheck(p: Platform): { slack: SlackSurface; close(): Promise<void> } {
  return {
    slack: { commands: [checkSlashCommand({ sources: p.sources, clickhouse: p.clickhouse, timeoutMs: DEFAULT_CHECK_TIMEOUT_MS, logger: p.logger })] },
    close: async () => undefined,
  };
}
