import { parseCliArgs } from './args.js';
import { configFrom } from './config-source.js';
import type { CliIo } from './cli-io.js';
import { createContext } from '../platform/read-context.js';
import { BotError } from '../shared/errors.js';
import { DEFAULT_CHECK_TIMEOUT_MS, checkScorecard } from '../check/check-service.js';
import { renderCheckText } from '../check/render-check-text.js';
import { EXAMPLE_SCORECARD_ID, parseScorecardId } from '../check/scorecard-id.js';

const USAGE = `scorecard-bot check <scorecard-id> [customer] [--customer C] [--json] [--timeout-ms N] [--config FILE]   e.g. scorecard-bot check ${EXAMPLE_SCORECARD_ID} --customer rentokil`;

/**
 * `scorecard-bot check`: a thin shell over checkScorecard. Exit 0 with a verdict; 1 when the scorecard was not
 * found and some customers could not be asked (the answer is incomplete); 2 for bad input (cli-errors).
 */
export async function checkCommand(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCliArgs(
    argv,
    {
      customer: { type: 'string' },
      json: { type: 'boolean' },
      'timeout-ms': { type: 'string' },
      config: { type: 'string' },
    },
    USAGE,
  );
  const [idText, positionalCustomer, ...extra] = positionals;
  if (idText === undefined || extra.length > 0) {
    throw new BotError('BAD_INPUT', idText === undefined ? 'A scorecard ID is required.' : 'Too many arguments.', { hint: `Usage: ${USAGE}` });
  }
  if (positionalCustomer !== undefined && values.customer !== undefined && positionalCustomer !== values.customer) {
    throw new BotError('BAD_INPUT', `Two customers given ("${positionalCustomer}" and "${values.customer}").`, { hint: `Usage: ${USAGE}` });
  }
  // The ID is checked before the config is read, so a typo never waits on credentials.
  const id = parseScorecardId(idText).id;
  const timeoutMs = parseTimeout(values['timeout-ms']);
  const config = await configFrom(values.config, io.env);
  const ctx = createContext(config);
  try {
    const customer = values.customer ?? positionalCustomer;
    const result = await checkScorecard(
      { sources: ctx.sources, clickhouse: ctx.clickhouse, timeoutMs, logger: ctx.logger },
      customer === undefined ? { id } : { id, customer },
    );
    io.stdout.write(values.json ? JSON.stringify(result, null, 2) + '\n' : renderCheckText(result) + '\n');
    return result.verdict === 'not_found' && result.unreachable.length > 0 ? 1 : 0;
  } finally {
    await ctx.close();
  }
}

function parseTimeout(text: string | undefined): number {
  if (text === undefined) return DEFAULT_CHECK_TIMEOUT_MS;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 100 || n > 600_000) {
    throw new BotError('BAD_INPUT', `--timeout-ms must be a whole number of milliseconds between 100 and 600000, not "${text}".`);
  }
  return n;
}

export const checkCliUsage = USAGE;
