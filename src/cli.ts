#!/usr/bin/env node
import { runCommandLine } from './cli/run-command-line.js';

const HELP = `scorecard-bot <command> [options]

  gap <customer|all> <period>   find scorecards missing from historic and ClickHouse (--json, --csv FILE)
  check <id> [customer]         why one scorecard is missing from historic or ClickHouse (--json)
  ops:init --database-url URL   create the bot's own ops database schema (--create-database)
  ops:migrate [--database-url URL]  apply the ops database's pending migrations (default: ops.migrationUrl,
                                else ops.url, of --config)
  backfill plan <customer> <period>  dry run of a backfill: read-only, prints the plan, writes nothing (--json)
  backfill list                 backfill requests, newest first (--customer C, --status S, --limit N, --json)
  backfill status <id>          one request: its plan, chunks done, result or error, audit trail (--json)
  backfill cancel <id> --as NAME  cancel a request when Slack is down (recorded as cli:NAME; --json)
  backfill audit verify         check the audit log's hash chain: exit 1 names the edited or removed row
                                (--config FILE or --database-url URL; --json)
  serve                         Slack listener (Socket Mode or HTTP) and job workers
  worker                        job workers only (several machines can share one queue)
  config:check                  validate the config and print it with secrets masked
  config:schema                 print the config's JSON Schema

Config: --config FILE or SCORECARD_BOT_CONFIG. Periods (UTC): jan-2026, 2026-01, dec-2025..jan-2026,
2026-01-15..2026-01-28, 2026-01-23, last-14d, last-3m.`;

runCommandLine(process.argv.slice(2), HELP, async (command, rest) => {
  const io = { stdout: process.stdout, stderr: process.stderr, env: process.env };
  switch (command) {
    // Commands load lazily: `scorecard-bot help` should not pay for Bolt, BullMQ and the ClickHouse client.
    case 'gap':
      return (await import('./cli/gap-cli.js')).gapCommand(rest, io);
    case 'check':
      return (await import('./cli/check-cli.js')).checkCommand(rest, io);
    case 'ops:init':
      return (await import('./cli/ops-cli.js')).opsInitCommand(rest, io);
    case 'ops:migrate':
      return (await import('./cli/ops-cli.js')).opsMigrateCommand(rest, io);
    case 'backfill':
      return (await import('./cli/backfill-cli.js')).backfillCommand(rest, io);
    case 'serve':
    case 'worker':
      return (await import('./cli/serve.js')).serveCommand(command, rest, io);
    case 'config:check':
    case 'config:schema':
      return (await import('./cli/config-cli.js')).configCommand(command === 'config:check' ? 'check' : 'schema', rest, io);
    default:
      return null;
  }
});
