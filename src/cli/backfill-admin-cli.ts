import { parseCliArgs } from './args.js';
import { configFrom } from './config-source.js';
import type { CliIo } from './cli-io.js';
import { opsDatabaseError } from './ops-db-errors.js';
import { chunkCount } from '../backfill/chunking.js';
import { plainMentions, renderRequestList, renderRequestStatus, requestListAsData, requestStatusAsData } from '../backfill/render-request.js';
import { BackfillService } from '../backfill/service.js';
import { STATUSES, type BackfillStatus } from '../backfill/status.js';
import { BackfillStore } from '../backfill/store.js';
import type { Config } from '../config/schema.js';
import { createOpsPool } from '../ops/ops-store.js';
import { createContext } from '../platform/read-context.js';
import { BotError } from '../shared/errors.js';
import { ConnectionUrlResolver } from '../sources/connection-url.js';
import { findCustomer } from '../sources/customer-sources.js';

// `backfill list | status | cancel`: the operator's view of backfill requests when Slack is down. A thin shell:
// reading goes through BackfillStore, cancelling through BackfillService.cancel, exactly what a Slack click does.
// Bad input is refused (exit 2) before anything is read or changed.

export const LIST_USAGE = 'scorecard-bot backfill list [--customer C] [--status S] [--limit N] [--json] [--config FILE]';
export const STATUS_USAGE = 'scorecard-bot backfill status <id> [--json] [--config FILE]';
export const CANCEL_USAGE = 'scorecard-bot backfill cancel <id> --as NAME [--json] [--config FILE]';

const EXAMPLE_ID = 'bf-0b7c2a4e-9a51-4d3e-8f0e-2f1d6c1a9b3e';

async function withStore<T>(config: Config, fn: (store: BackfillStore) => Promise<T>): Promise<T> {
  if (!config.ops) throw new BotError('BAD_CONFIG', 'This command reads the ops database: the config needs ops.url.', { hint: 'ops: { url: ${OPS_DATABASE_URL} }' });
  const pool = createOpsPool(config.ops.url, { max: 2 });
  try {
    return await fn(new BackfillStore(pool));
  } catch (err) {
    throw opsDatabaseError(err);
  } finally {
    await pool.end();
  }
}

function oneId(positionals: string[], usage: string, example: string): string {
  if (positionals.length !== 1 || !positionals[0]) {
    throw new BotError('BAD_INPUT', positionals.length === 0 ? 'Which backfill request? Give its ID.' : `One request ID, not ${positionals.length}.`, {
      hint: `Usage: ${usage}\nExample: ${example}   (IDs are in scorecard-bot backfill list)`,
    });
  }
  return positionals[0];
}

const unknownRequest = (id: string, example: string): BotError =>
  new BotError('BAD_INPUT', `There is no backfill request "${id.slice(0, 80)}".`, {
    hint: `Find its ID with: scorecard-bot backfill list\nExample: ${example}`,
  });

export async function backfillListCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCliArgs(
    argv,
    { customer: { type: 'string' }, status: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' }, config: { type: 'string' } },
    LIST_USAGE,
  );
  if (positionals.length > 0) throw new BotError('BAD_INPUT', `backfill list takes no arguments (got "${positionals[0]!.slice(0, 40)}").`, { hint: `Usage: ${LIST_USAGE}` });
  const status = values.status;
  if (status !== undefined && !(STATUSES as readonly string[]).includes(status)) {
    throw new BotError('BAD_INPUT', `"${status.slice(0, 40)}" is not a backfill status.`, {
      hint: `One of: ${STATUSES.join(', ')}.\nExample: scorecard-bot backfill list --status pending`,
    });
  }
  const limit = values.limit === undefined ? 20 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
    throw new BotError('BAD_INPUT', `--limit must be a whole number from 1 to 1000, not "${String(values.limit).slice(0, 20)}".`, {
      hint: 'Example: scorecard-bot backfill list --limit 50',
    });
  }
  const config = await configFrom(values.config, io.env);
  const customer = values.customer === undefined ? undefined : findCustomer(config, values.customer).name;
  const rows = await withStore(config, (store) => store.list({ customer, status: status as BackfillStatus | undefined, limit }));
  io.stdout.write(values.json ? JSON.stringify(requestListAsData(rows), null, 2) + '\n' : renderRequestList(rows) + '\n');
  return 0;
}

export async function backfillStatusCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCliArgs(argv, { json: { type: 'boolean' }, config: { type: 'string' } }, STATUS_USAGE);
  const example = `scorecard-bot backfill status ${EXAMPLE_ID}`;
  const id = oneId(positionals, STATUS_USAGE, example);
  const config = await configFrom(values.config, io.env);
  const status = await withStore(config, async (store) => {
    const request = await store.get(id);
    if (!request) throw unknownRequest(id, example);
    const [toWrite, checkpoints, audit] = await Promise.all([store.writeCount(id), store.checkpoints(id), store.audit(id)]);
    return {
      request,
      toWrite,
      chunks: request.chunkSize === null ? null : chunkCount(toWrite, request.chunkSize),
      chunksDone: checkpoints.length,
      historicRowsWritten: checkpoints.reduce((a, c) => a + c.historicRows, 0),
      audit,
    };
  });
  io.stdout.write(values.json ? JSON.stringify(requestStatusAsData(status), null, 2) + '\n' : renderRequestStatus(status) + '\n');
  return 0;
}

/** Cancels as `cli:NAME`. Exit 0 when cancelled, 1 when the request could not be cancelled (the reason printed). */
export async function backfillCancelCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCliArgs(argv, { as: { type: 'string' }, json: { type: 'boolean' }, config: { type: 'string' } }, CANCEL_USAGE);
  const example = `scorecard-bot backfill cancel ${EXAMPLE_ID} --as alice`;
  const id = oneId(positionals, CANCEL_USAGE, example);
  // The name goes into the audit log as cli:NAME: who did it must be said, and be a plain name.
  if (values.as === undefined || !/^[A-Za-z0-9._@-]{1,64}$/.test(values.as)) {
    throw new BotError('BAD_INPUT', values.as === undefined ? '--as NAME is required: the audit log records who cancelled.' : `--as "${values.as.slice(0, 40)}" is not a plain name (letters, digits, . _ @ -, at most 64).`, {
      hint: `Example: ${example}`,
    });
  }
  const actor = `cli:${values.as}`;
  const config = await configFrom(values.config, io.env);
  const ctx = createContext(config);
  try {
    const decision = await withStore(config, (store) => {
      const gap = { sources: ctx.sources, clickhouse: ctx.clickhouse, settings: config.gap, logger: ctx.logger };
      return new BackfillService({ store, config, gap, resolver: new ConnectionUrlResolver() }).cancel(id, actor);
    });
    if (!decision.ok && decision.reason === 'not_found') throw unknownRequest(id, example);
    let message: string;
    if (decision.ok) {
      // finished_at stays open while a running job still has to notice the cancel (store.cancel).
      message =
        decision.request.finishedAt === null
          ? `cancelled ${id} as ${actor}: the job stops after its current chunk; what it already wrote stays written.`
          : `cancelled ${id} as ${actor} before its job started: nothing was written.`;
    } else {
      message = `nothing changed: ${plainMentions(decision.message)}`;
    }
    if (values.json) {
      io.stdout.write(
        JSON.stringify({ ok: decision.ok, id, actor, status: decision.request?.status ?? null, ...(decision.ok ? {} : { reason: decision.reason }), message }, null, 2) + '\n',
      );
    } else {
      io.stdout.write(message + '\n');
    }
    return decision.ok ? 0 : 1;
  } finally {
    await ctx.close();
  }
}
