import { reportCliError } from '../../src/cli/cli-errors.js';
import { runConsole } from './console.js';

// Entry point of `npm run console` (scripts/console.sh).
runConsole().then(
  (code) => process.exit(code),
  (err: unknown) => process.exit(reportCliError(err, process.stderr)),
);
