#!/usr/bin/env node
// Dev-only commands: they create tables and load data, so they never ship in dist/ or the image.
// Run through tsx: `node --import tsx dev/cli.ts <command>` (npm run db:init / npm run demo-data).
import { runCommandLine } from '../src/cli/run-command-line.js';

const HELP = `dev/cli.ts <command> [options]   (development, demo and tests only)

  db:init --database-url URL     create the contract tables and the read-only role (--create-database,
                                 --readonly-role NAME, --clickhouse-url URL)
  demo-data --database-url URL   load the incident dataset (--clickhouse-url, --scale, --seed, --customers)
  deployments-repo DIR           build the demo deployments repository "What changed around then" reads`;

runCommandLine(process.argv.slice(2), HELP, async (command, rest) => {
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
    default:
      return null;
  }
});
