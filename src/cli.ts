#!/usr/bin/env node
import { reportCliError } from './cli/cli-errors.js';
import { createLogger } from './shared/logger.js';

const HELP = `scorecard-bot <command> [options]

  gap <customer|all> <period>   find scorecards missing from historic and ClickHouse (--json, --csv FILE)
  check <id> [customer]         why one scorecard is missing from historic or ClickHouse (--json)
  db:init --database-url URL    create the contract tables (dev, demo and tests only)
  demo-data --database-url URL  load the incident dataset (--clickhouse-url, --scale, --seed, --customers)
  ops:init --database-url URL   create the bot's own ops database schema (--create-database)
  ops:migrate [--database-url URL]  apply the ops database's pending migrations (default: ops.url of --config)
  backfill plan <customer> <period>  dry run of a backfill: read-only, prints the plan, writes nothing (--json)
  serve                         Slack listener (Socket Mode or HTTP) and job workers
  worker                        job workers only (several machines can share one queue)
  config:check                  validate the config and print it with secrets masked
  config:schema                 print the config's JSON Schema

Config: --config FILE or SCORECARD_BOT_CONFIG. Periods (UTC): jan-2026, 2026-01, dec-2025..jan-2026,
2026-01-15..2026-01-28, 2026-01-23, last-14d, last-3m.`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const io = { stdout: process.stdout, stderr: process.stderr, env: process.env };
  switch (command) {
    // Commands load lazily: `scorecard-bot help` should not pay for Bolt, BullMQ and the ClickHouse client.
    case 'gap':
      return (await import('./gap/gap-cli.js')).gapCommand(rest, io);
    case 'check':
      return (await import('./check/check-cli.js')).checkCommand(rest, io);
    case 'db:init':
      return (await import('./db/db-init-cli.js')).dbInitCommand(rest, io);
    case 'ops:init':
      return (await import('./ops/ops-init-cli.js')).opsInitCommand(rest, io);
    case 'ops:migrate':
      return (await import('./ops/ops-init-cli.js')).opsMigrateCommand(rest, io);
    case 'backfill':
      return (await import('./backfill/backfill-cli.js')).backfillCommand(rest, io);
    case 'serve':
    case 'worker':
      return (await import('./cli/serve.js')).serveCommand(command, rest, io);
    case 'demo-data': {
      const { runDemoData } = await import('./demo/demo-data-command.js');
      return runDemoData(rest, { log: (line: string) => process.stderr.write(line + '\n'), stdout: process.stdout });
    }
    case 'config:check':
    case 'config:schema':
      return (await import('./config/config-cli.js')).configCommand(command === 'config:check' ? 'check' : 'schema', rest, io);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(HELP + '\n');
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`error: unknown command "${command}"\n\n${HELP}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.exitCode = reportCliError(err, process.stderr, createLogger());
  },
);
