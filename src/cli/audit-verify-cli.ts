import { parseCliArgs } from './args.js';
import { configFrom } from './config-source.js';
import type { CliIo } from './cli-io.js';
import { opsDatabaseError } from './ops-db-errors.js';
import { describeVerdict, finishChain, startChain, verdictAsData, walkChain, type ChainVerdict } from '../backfill/audit-chain.js';
import { BackfillStore } from '../backfill/store.js';
import { createOpsPool } from '../ops/ops-store.js';
import { BotError } from '../shared/errors.js';

// `backfill audit verify`: recomputes the audit log's hash chain (migration 0006) in the database and names the
// first row that was edited, or where rows were removed. Read-only: the runtime role can run it.

export const AUDIT_USAGE = 'scorecard-bot backfill audit verify [--config FILE | --database-url URL] [--json]';

/** Rows per round trip: a page is a few hundred kB, and a long log never sits in memory at once. */
const PAGE = 2_000;

export async function verifyAuditChain(store: BackfillStore, pageSize = PAGE): Promise<ChainVerdict> {
  const genesis = await store.auditGenesis();
  let state = startChain();
  for (;;) {
    const page = await store.auditChainPage(state.last?.id ?? null, pageSize);
    const step = walkChain(state, page, genesis);
    if ('break' in step) return { intact: false, break: step.break };
    state = step.state;
    if (page.length < pageSize) return finishChain(state);
  }
}

export async function auditCommand(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'verify') {
    throw new BotError('BAD_INPUT', sub ? `Unknown backfill audit command "${sub.slice(0, 20)}".` : 'backfill audit needs a command: verify.', {
      hint: `Usage: ${AUDIT_USAGE}\nExample: scorecard-bot backfill audit verify --config bot.yml`,
    });
  }
  const { values, positionals } = parseCliArgs(rest, { config: { type: 'string' }, 'database-url': { type: 'string' }, json: { type: 'boolean' } }, AUDIT_USAGE);
  if (positionals.length > 0) throw new BotError('BAD_INPUT', `backfill audit verify takes no arguments (got "${positionals[0]!.slice(0, 40)}").`, { hint: `Usage: ${AUDIT_USAGE}` });
  if (values.config && values['database-url']) throw new BotError('BAD_INPUT', 'Give --config or --database-url, not both.', { hint: `Usage: ${AUDIT_USAGE}` });
  // Like ops:migrate: an explicit flag first, then OPS_DATABASE_URL, then the config's ops.url.
  let url = values['database-url'] ?? (values.config ? undefined : io.env.OPS_DATABASE_URL);
  if (!url && (values.config || io.env.SCORECARD_BOT_CONFIG)) url = (await configFrom(values.config, io.env)).ops?.url;
  if (!url) throw new BotError('BAD_INPUT', 'Which ops database? Give --database-url URL, or a config with ops.url.', { hint: `Usage: ${AUDIT_USAGE}` });
  const pool = createOpsPool(url, { max: 1 });
  try {
    const verdict = await verifyAuditChain(new BackfillStore(pool)).catch((err: unknown) => {
      throw opsDatabaseError(err);
    });
    io.stdout.write(values.json ? JSON.stringify(verdictAsData(verdict), null, 2) + '\n' : describeVerdict(verdict) + '\n');
    return verdict.intact ? 0 : 1;
  } finally {
    await pool.end();
  }
}
