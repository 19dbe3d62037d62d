import { createLogger } from '../shared/logger.js';
import { reportCliError } from './cli-errors.js';

/** Runs a command and resolves with its exit code, or with null when the command is not known. */
export type Dispatch = (command: string, rest: string[]) => Promise<number | null>;

/**
 * The shell of a command-line entry point: help, unknown commands, and the exit code, with errors through the
 * CLI's one reporter. Both `scorecard-bot` and the dev CLI use it; each gives only its commands.
 */
export function runCommandLine(argv: string[], help: string, dispatch: Dispatch): void {
  const [command, ...rest] = argv;
  const run = async (): Promise<number> => {
    if (command === undefined || ['help', '--help', '-h'].includes(command)) {
      process.stdout.write(help + '\n');
      return command === undefined ? 2 : 0;
    }
    const code = await dispatch(command, rest);
    if (code !== null) return code;
    process.stderr.write(`error: unknown command "${command}"\n\n${help}\n`);
    return 2;
  };
  run().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.exitCode = reportCliError(err, process.stderr, createLogger());
    },
  );
}
