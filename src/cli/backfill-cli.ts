import pg from 'pg';
import { parseCliArgs } from './args.js';
import { configFrom } from './config-source.js';
import { parseGapInput } from '../gap/core/gap-input.js';
import { createContext } from '../platform/read-context.js';
import { BotError } from '../shared/errors.js';
import { ConnectionUrlResolver } from '../sources/connection-url.js';
import { planAsData, renderPlanText } from '../backfill/render-plan.js';
import { BackfillService, dryRunPlan } from '../backfill/service.js';
import { BackfillStore } from '../backfill/store.js';
import type { CliIo } from './cli-io.js';
import { AUDIT_USAGE, auditCommand } from './audit-verify-cli.js';
import { backfillCancelCommand, backfillListCommand, backfillStatusCommand, CANCEL_USAGE, LIST_USAGE, STATUS_USAGE } from './backfill-admin-cli.js';

const USAGE = `scorecard-bot backfill plan <customer> <period> [--json] [--config FILE]   (dry run: read-only, writes nothing)
       scorecard-bot backfill run --request ID [--config FILE]                  (runs an approved request here)
       ${LIST_USAGE}
       ${STATUS_USAGE}
       ${CANCEL_USAGE}
       ${AUDIT_USAGE}`;

/** `scorecard-bot backfill ...`: the dry run, running an approved request here, and the operator's commands. */
export async function backfillCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  // The operator's commands (for when Slack is down) each parse their own options.
  if (sub === 'list') return backfillListCommand(rest, io);
  if (sub === 'status') return backfillStatusCommand(rest, io);
  if (sub === 'cancel') return backfillCancelCommand(rest, io);
  if (sub === 'audit') return auditCommand(rest, io);
  if (sub !== 'plan' && sub !== 'run') {
    throw new BotError('BAD_INPUT', sub ? `Unknown backfill command "${sub.slice(0, 20)}".` : 'backfill needs a command: plan, run, list, status, cancel or audit verify.', {
      hint: `Usage: ${USAGE}`,
    });
  }
  const { values, positionals } = parseCliArgs(rest, { json: { type: 'boolean' }, config: { type: 'string' }, request: { type: 'string' } }, USAGE);
  const config = await configFrom(values.config, io.env);
  const ctx = createContext(config);
  const gap = { sources: ctx.sources, clickhouse: ctx.clickhouse, settings: config.gap, logger: ctx.logger };
  try {
    if (sub === 'plan') {
      const input = parseGapInput(positionals.join(' '), config.customers.map((c) => c.name), io.now?.() ?? new Date());
      if (input.customer === 'all') throw new BotError('BAD_INPUT', 'A backfill plan covers one customer.', { hint: 'Example: scorecard-bot backfill plan rentokil jan-2026' });
      // No ops database at all: the dry run writes nowhere.
      const plan = await dryRunPlan({ config, gap }, { customer: input.customer, period: input.period });
      io.stdout.write(values.json ? JSON.stringify(planAsData(plan), null, 2) + '\n' : renderPlanText(plan, { dryRun: true }) + '\n');
      return 0;
    }
    if (!values.request) throw new BotError('BAD_INPUT', '--request ID is required.', { hint: `Usage: ${USAGE}` });
    if (!config.ops) throw new BotError('BAD_CONFIG', 'backfill run needs ops.url in the config.', { hint: 'ops: { url: ${OPS_DATABASE_URL} }' });
    const opsPool = new pg.Pool({ connectionString: config.ops.url, max: 2, application_name: 'scorecard-bot-backfill-cli' });
    try {
      const service = new BackfillService({ store: new BackfillStore(opsPool), config, gap, resolver: new ConnectionUrlResolver(), workerId: `cli-${process.pid}` });
      const result = await service.run(values.request, (p) =>
        io.stderr.write(`chunks ${p.chunksDone}/${p.chunks}, ${p.historicRows} historic rows, ${p.rowsPerSecond} rows/s\n`),
      );
      io.stdout.write(JSON.stringify(result, null, 2) + '\n');
      return result.status === 'done' || result.status === 'done_with_remainder' ? 0 : 1;
    } finally {
      await opsPool.end();
    }
  } finally {
    await ctx.close();
  }
}
