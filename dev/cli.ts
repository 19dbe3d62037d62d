#!/usr/bin/env node
// Dev-only commands: they create tables and load data, so they never ship in dist/ or the image.
// Run through tsx: `node --import tsx dev/cli.ts <command>` (npm run db:init / npm run demo-data).
import { reportCliError } from '../src/cli/cli-errors.js';
import { createLogger } from '../src/shared/logger.js';

const HELP = `dev/cli.ts <command> [options]   (development, demo and tests only)

  db:init --database-url URL     create the contract tables and the read-only role (--create-database,
                                 --readonly-role NAME, --clickhouse-url URL)
  demo-data --database-url URL   load the incident dataset (--clickhouse-url, --scale, --seed, --customers)
  deployments-repo DIR           build the demo deployments repository "What changed around then" reads`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const io = { stdout: process.stdout, stderr: process.stderr, env: process.env };
  switch (command) {
    case 'db:init':
      return (await import('./db/db-init-cli.js')).dbInitCommand(rest, io);
    case 'demo-data': {
      const { runDemoData } = await import('./demo/demo-data-command.js');
      return runDemoData(rest, { log: (line: string) => process.stderr.write(line + '\n'), stdout: process.stdout });
    }
    case 'deployments-repo': {
      const { buildDemoDeploymentsRepo, DEMO_COMMITS } = await import('./demo/deployments-repo.js');
      const dir = rest[0] ?? '.cache/demo-deployments';
      await buildDemoDeploymentsRepo(dir);
      process.stderr.write(`demo deployments repository: ${dir} (${DEMO_COMMITS.length} commits)\n`);
      return 0;
    }
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
